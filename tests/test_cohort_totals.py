"""``simulate(..., trace=False)``: reward totals that the cohort kernel adds up as it runs equal
the totals made from the full trace (``Simulation.reward_series``) to rounding (1e-12 relative),
whatever the counting convention, transition rewards, tunnels, blocks or thread count."""

import copy

import numba
import numpy as np
import pytest
import yaml

from ipsecon.engines import blocks
from ipsecon.uncertainty.sampling import draw_samples
from ipsecon.model.scenario import load_scenario
from ipsecon.engines.simulate import simulate

TOL = 1e-12


def _both(sc, years, values=None, n_samples=1):
    kw = dict(engine="cohort", horizon_years=years, values=values, n_samples=n_samples)
    return simulate(sc, **kw), simulate(sc, trace=False, **kw)


def _assert_totals_equal(full, fast):
    assert fast.trace is None
    for discounted in (True, False):
        a, b = full.reward_totals(discounted), fast.reward_totals(discounted)
        assert list(a) == list(b)
        for r in a:
            assert a[r].shape == b[r].shape, r
            scale = max(np.abs(a[r]).max(), 1e-300)
            assert np.abs(a[r] - b[r]).max() <= TOL * scale, (r, discounted)


def test_totals_equal_trace_totals_norway(scenario):
    _assert_totals_equal(*_both(scenario, 4))


def test_totals_equal_trace_totals_bodo_with_per_sample_values(root):
    bodo = load_scenario(root / "scenarios/bodo.yaml")
    values = dict(bodo.base_values())
    values["calibrated.norway_rct.aap_to_ufore"] = float(values["calibrated.norway_rct.aap_to_ufore"]) * np.linspace(0.7, 1.3, 3)
    values["utilities.aap"] = float(values["utilities.aap"]) * np.linspace(0.9, 1.1, 3)
    _assert_totals_equal(*_both(bodo, 3.5, values, 3))


def test_totals_equal_trace_totals_reference_model_psa(root):
    ref = load_scenario(root / "benchmarks/reference_5state.yaml")
    n = 70  # more than one lane block of samples
    values = draw_samples(ref, n, seed=4).values(ref.base_values())
    _assert_totals_equal(*_both(ref, 40, values, n))


@pytest.fixture(scope="module")
def hiv_text(root):
    return yaml.safe_load((root / "tests/data/chancellor_hiv.yaml").read_text())


@pytest.mark.parametrize("counting", ["start", "end", "trapezoid", "simpson"])
def test_totals_equal_trace_totals_transition_rewards_and_tunnels(tmp_path, hiv_text, counting):
    """Per-cycle transition rewards that change over time, a tunnel state with duration-dependent
    probabilities, an ever state, every counting convention, an odd number of cycles (Simpson)."""
    d = copy.deepcopy(hiv_text)
    d["model"]["counting"] = counting
    d["model"]["states"]["B"]["track_duration"] = 4
    d["model"]["ever_in"] = ["C"]
    for tr in d["model"]["transitions"]:
        if tr["from"] == "B" and tr["to"] == "D":
            tr["probability"] = "hiv.count.BD / nB * (1 + duration / 4)"
    d["model"]["rewards"]["cost"]["transitions"] = {"A->C": "5000 + 300 * t", "B->D": 800}
    path = tmp_path / "hiv.yaml"
    path.write_text(yaml.safe_dump(d))
    _assert_totals_equal(*_both(load_scenario(path), 7))


def test_totals_carried_across_blocks(root, monkeypatch):
    """A horizon cut into several blocks of cycles adds up to the same totals."""
    bodo = load_scenario(root / "scenarios/bodo.yaml")
    full, one_block = _both(bodo, 3)
    monkeypatch.setattr(blocks, "COMPACT_ELEMENTS", 1)  # one cycle a block
    assert blocks.compact_block_length(bodo.model, bodo.base_values(), bodo.strata, bodo.spec.population.start_year,
                                       "ips", 1, full.n_cycles) == 1
    many = simulate(bodo, engine="cohort", horizon_years=3, trace=False)
    _assert_totals_equal(full, many)
    for r, x in one_block.reward_totals().items():
        assert np.abs(many.reward_totals()[r] - x).max() <= TOL * np.abs(x).max(), r


def test_totals_same_whatever_the_thread_count(root):
    ref = load_scenario(root / "benchmarks/reference_5state.yaml")
    values = draw_samples(ref, 150, seed=9).values(ref.base_values())
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = simulate(ref, values=values, n_samples=150, trace=False)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = simulate(ref, values=values, n_samples=150, trace=False)
    finally:
        numba.set_num_threads(before)
    for d in (True, False):
        for r, x in one.reward_totals(d).items():
            assert np.array_equal(x, two.reward_totals(d)[r]), r


def test_no_trace_offers_only_totals(scenario):
    sim = simulate(scenario, horizon_years=1, trace=False)
    assert sim.n_cycles == 12 and sim.reward_standard_errors() == {}
    with pytest.raises(ValueError, match="trace=False"):
        sim.reward_series("qalys")
