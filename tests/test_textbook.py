"""The engine reproduces a published textbook Markov model from YAML alone.

Chancellor et al. (1997) HIV model as replicated in Briggs, Claxton & Sculpher (2006),
Decision Modelling for Health Economic Evaluation, exercise 2.5 / tables 2.3–2.4:
life years 7.991 (mono) and 8.937 (combination), discounted costs £44,663 and £50,602,
ICER £6,276 per life year gained.
"""

import numpy as np
import pytest

from ipsecon.model.scenario import load_scenario
from ipsecon.engines.simulate import simulate


@pytest.fixture(scope="module")
def hiv(root):
    sim = simulate(load_scenario(root / "tests/data/chancellor_hiv.yaml"))
    return sim.reward_totals()


def test_life_years_match_briggs(hiv):
    ly = hiv["life_years"][0]
    assert round(ly[0], 3) == 7.991
    assert round(ly[1], 3) == 8.937


def test_costs_match_briggs(hiv):
    cost = hiv["cost"][0]
    # the book prints whole pounds (44,663.45 and 50,601.65 rounded)
    assert round(cost[0]) == 44663
    assert round(cost[1]) == 50602


def test_icer_matches_published(hiv):
    cost, ly = hiv["cost"][0], hiv["life_years"][0]
    icer = (cost[1] - cost[0]) / (ly[1] - ly[0])
    # published to the pound: 6,275.96 rounds to 6,276 (lamivudine at £2,086.50, not £2,087)
    assert round(icer) == 6276
    assert icer == pytest.approx(6275.96, abs=0.005)


def test_counting_conventions_differ_as_expected(root):
    """Start-of-cycle counts x_0..x_{T-1}; end counts x_1..x_T; trapezoid is their mean."""
    sc = load_scenario(root / "tests/data/chancellor_hiv.yaml")
    sim = simulate(sc)
    occ = sim.trace.population_occupancy()[0, 0]
    alive = occ[:, :3].sum(axis=1)
    from ipsecon.engines import counting as accounting

    v = np.ones(21)
    per = {c: accounting.cycle_occupancy(sim.trace.occupancy, c, v)[0, 0, 0, :, :3].sum() for c in ("start", "end", "trapezoid", "simpson")}
    assert per["start"] == pytest.approx(alive[:-1].sum())
    assert per["end"] == pytest.approx(alive[1:].sum())
    assert per["trapezoid"] == pytest.approx((per["start"] + per["end"]) / 2)
    w = np.ones(21)
    w[1:-1:2], w[2:-1:2] = 4, 2
    assert per["simpson"] == pytest.approx((w * alive).sum() / 3)
