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


# --- counting conventions, each against a hand-computed closed form (issue 16, item 3) -------------------
#
# Two states, H -> D with probability 0.2 a cycle, everyone starts in H, 4 annual cycles, 5 % a year:
# x_j = 0.8^j, v_j = 1.05^(-j); a cost of 100 per cycle in H (constant), and one of 100 (1 + t) (rising).

P, R, T = 0.2, 0.05, 4
Q = (1 - P) / (1 + R)  # x_j v_j = Q^j
ROWS = Q ** np.arange(T + 1)
CLOSED_FORM = {  # total of a reward of 1 per cycle in H
    "start": ROWS[:-1].sum(),
    "end": ROWS[1:].sum(),
    "trapezoid": (ROWS[:-1].sum() + ROWS[1:].sum()) / 2,
    # heemod: (x_{k-1} + x_k) / 2 discounted at the cycle's start: sum_k 0.8^(k-1) (1 + 0.8) / 2 / 1.05^(k-1)
    "life_table": sum(0.8 ** (k - 1) * 1.8 / 2 / 1.05 ** (k - 1) for k in range(1, T + 1)),
    # darthtools::gen_wcc(4, "Simpson1/3") = c(1/3, 2/3, 4/3, 2/3, 1/3), rows discounted by row
    "darth_simpson": float(np.dot([1 / 3, 2 / 3, 4 / 3, 2 / 3, 1 / 3], ROWS)),
    "every_row": ROWS.sum(),
    "simpson": float(np.dot([1, 4, 2, 4, 1], ROWS)) / 3,
}


def _two_state(tmp_path, counting, own=None):
    rewards = {"cost": {"kind": "cost", "unit": "GBP", "states": {"H": 100}},
               "rising": {"kind": "cost", "unit": "GBP", "states": {"H": "100 * (1 + t)"}},
               "years": {"kind": "effect", "unit": "years", "states": {"H": 1}}}
    for name, convention in (own or {}).items():
        rewards[name]["counting"] = convention
    spec = {"name": "two_state", "title": "two states", "description": "hand-computed counting conventions",
            "model": {"cycle_years": 1, "counting": counting, "discount": {"cost": R, "effect": R},
                      "states": {"H": {}, "D": {}}, "transitions": [{"from": "H", "to": "D", "probability": P}],
                      "strategies": {"a": {}, "b": {}}, "rewards": rewards},
            "population": {"size": 1, "age": {"distribution": "fixed", "value": 50}, "start_state": {"H": 1}},
            "run": {"horizon_years": T}}
    path = tmp_path / f"two_state_{counting}.yaml"
    path.write_text(__import__("yaml").safe_dump(spec))
    return load_scenario(path)


@pytest.mark.parametrize("counting", sorted(CLOSED_FORM))
def test_counting_convention_closed_form(tmp_path, counting):
    sc = _two_state(tmp_path, counting)
    for trace in (True, False):  # from the trace, and added up by the cohort kernel as it runs
        totals = simulate(sc, trace=trace).reward_totals()
        assert totals["cost"][0, 0] == pytest.approx(100 * CLOSED_FORM[counting], rel=1e-12)
        assert totals["years"][0, 1] == pytest.approx(CLOSED_FORM[counting], rel=1e-12)


def test_darth_rows_use_each_rows_reward(tmp_path):
    """DARTH multiplies row j by the reward at row j: R(t = j) = 100 (1 + j); the last row has the last cycle's."""
    sc = _two_state(tmp_path, "darth_simpson")
    r = 100 * (1 + np.minimum(np.arange(T + 1), T - 1))
    expected = float(np.dot([1 / 3, 2 / 3, 4 / 3, 2 / 3, 1 / 3], ROWS * r))
    assert simulate(sc).reward_totals()["rising"][0, 0] == pytest.approx(expected, rel=1e-12)


def test_each_reward_counts_by_its_own_convention(tmp_path):
    sc = _two_state(tmp_path, "end", own={"cost": "life_table", "years": "every_row"})
    totals = simulate(sc).reward_totals()
    assert totals["cost"][0, 0] == pytest.approx(100 * CLOSED_FORM["life_table"], rel=1e-12)
    assert totals["years"][0, 0] == pytest.approx(CLOSED_FORM["every_row"], rel=1e-12)
    assert totals["rising"][0, 0] == pytest.approx(100 * float(np.dot(1 + np.arange(T), ROWS[1:])), rel=1e-12)  # end
    from ipsecon.errors import InputError

    with pytest.raises(InputError, match="model.rewards.cost.counting"):  # the microsim counts one way only
        simulate(sc, engine="microsim", individuals=10)


# --- the validation suite: published models, at their published precision (issue 16, item 7) -------------

def _cea(root, name):
    from ipsecon import api

    return api.run(load_scenario(root / "tests/data" / name), structures=False).cea.set_index("strategy")


def test_chancellor_hiv_matches_the_excel_model_exactly(root):
    """Briggs et al. 2006 ex. 2.5, online Excel model (the values heemod's test_dmhee.R checks)."""
    t = _cea(root, "chancellor_hiv.yaml")
    assert t.loc["mono", "cost"] == pytest.approx(44663.4535637, abs=5e-8)
    assert t.loc["comb", "cost"] == pytest.approx(50601.6513312, abs=5e-8)
    assert t.loc["mono", "effect"] == pytest.approx(7.9912066, abs=5e-8)
    assert t.loc["comb", "effect"] == pytest.approx(8.9373889, abs=5e-8)
    assert t.loc["comb", "icer"] == pytest.approx(6275.95560, abs=5e-6)


def test_dmhee_hip_replacement_matches_the_excel_model(root):
    """Briggs et al. 2006 ex. 3.5 (total hip replacement), online Excel model via heemod's test_dmhee.R."""
    t = _cea(root, "dmhee_hip.yaml")
    assert t.loc["standard", "cost"] == pytest.approx(512.434658, abs=5e-7)
    assert t.loc["standard", "effect"] == pytest.approx(14.6531896, abs=5e-8)
    assert t.loc["np1", "cost"] == pytest.approx(610.311818, abs=5e-7)
    assert t.loc["np1", "effect"] == pytest.approx(14.69770986, abs=5e-9)
    assert t.loc["np1", "icer"] == pytest.approx(2198.486665, abs=5e-7)


@pytest.mark.parametrize("file, published, icers", [
    # Alarid-Escudero et al. 2023, introductory tutorial, table 4: costs in whole dollars, QALYs to 3 decimals
    ("darth_sick_sicker.yaml", {"soc": (151580, 20.711), "A": (284805, 21.499), "B": (259100, 22.184),
                                "AB": (378875, 23.137)}, {"B": 72988, "AB": 125764}),
    # the time-dependent tutorial (age-specific mortality from the US 2015 life table, transition rewards), table 3
    ("darth_sick_sicker_age.yaml", {"soc": (116374, 18.879), "A": (218789, 19.636), "B": (202536, 20.199),
                                    "AB": (296300, 21.097)}, {"B": 65288, "AB": 104461}),
])
def test_darth_sick_sicker_tutorials(root, file, published, icers):
    t = _cea(root, file)
    for s, (cost, qalys) in published.items():
        assert round(t.loc[s, "cost"]) == cost and round(t.loc[s, "effect"], 3) == qalys
    assert {s: round(v) for s, v in t["icer"].dropna().items()} == icers  # along the frontier: SoC -> B -> AB
    assert t.loc["A", "status"] == "dominated" and t.loc["B", "compared_with"] == "soc"


def test_darth_psa_frontier_switches_where_published(root):
    """Alarid-Escudero et al. 2023 (introductory tutorial), CEAC/CEAF figure: SoC has the highest expected NMB
    below $80,000 per QALY, B between $80,000 and $120,000, AB from $120,000 (their distributions, table 1)."""
    from ipsecon import api

    sc = load_scenario(root / "tests/data/darth_sick_sicker.yaml")
    ds = api.psa(sc, samples=200, seed=1, horizons=[75.0], wtp=[50_000.0, 100_000.0, 150_000.0], quiet=True)
    best = ds.ceaf_strategy.sel(perspective="model", horizon=75.0).to_pandas()
    assert [best[w] for w in (50_000.0, 100_000.0, 150_000.0)] == ["soc", "B", "AB"]
