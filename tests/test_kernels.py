"""The compiled engines give the reference (dense, unfused) paths' results.

* cohort: ``run_cohort`` (numba kernel over compact per-cycle values) equals
  ``run_cohort_reference`` (dense P[sample, stratum, cycle, state, duration, next]) to
  rounding (1e-12), on the shipped scenarios and on models with per-cycle probabilities,
  durations and more than 8 transitions out of a state;
* microsim: ``run_microsim`` draws exactly the states ``run_microsim_reference`` draws
  (the same probabilities, summed in numpy's order, for the inverse-CDF draw), so the
  counts and flows are identical for the same seed, and per-person totals agree to
  rounding (the kernel sums a stay's rewards from cumulative weights), also when many
  PSA samples share one kernel call and when the horizon is cut into many blocks;
* both are identical whatever the chunk size and the number of threads.
"""


from dataclasses import replace

import numba
import numpy as np
import pytest
import yaml
from hiv_variants import with_durations

from ipsecon.engines.cohort import run_cohort, run_cohort_reference
from ipsecon.engines.kernels import numpy_sum
from ipsecon.engines.microsim import run_microsim, run_microsim_reference
from ipsecon.engines.simulate import horizon_cycles
from ipsecon.model.scenario import load_scenario

TOL = 1e-12


def _args(scenario, years, n_samples=1, vary=None, strata=None):
    """Engine arguments; ``strata``: keep only these subgroups (the dense reference costs samples × subgroups ×
    cells², so the IPS model's comparisons with it run on a few subgroups of each kind)."""
    values = dict(scenario.base_values())
    if vary:
        values[vary] = float(values[vary]) * np.linspace(0.7, 1.3, n_samples)
    T = horizon_cycles(scenario, years)
    mix = scenario.start_mix(values, n_samples)
    groups = scenario.strata
    if strata is not None:
        keep = np.asarray(strata)
        groups = replace(groups, columns={k: v[keep] for k, v in groups.columns.items()},
                         weight=groups.weight[keep] / groups.weight[keep].sum(), share_formulas={}, nominal=None)
        mix = mix[:, keep] if mix.shape[1] > 1 else mix
    return scenario.model, values, groups, mix, scenario.spec.population.start_year, T, n_samples


def _few(scenario):
    """The first and last two subgroups: both latent classes, and (Bodø) IPS users and non-users."""
    G = scenario.strata.size
    return [0, 1, G - 2, G - 1]


def _assert_cohort_equal(a, b):
    for name in ("occupancy", "flows", "ever"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        assert np.abs(x - y).max(initial=0.0) < TOL, name
    for r in b.reward_states:
        assert np.array_equal(a.reward_states[r], b.reward_states[r]), r
        assert np.array_equal(a.reward_transitions[r], b.reward_transitions[r]), r
    assert a.transitions == b.transitions and a.ever_states == b.ever_states
    assert np.array_equal(a.weights, b.weights)


def _assert_microsim_identical(a, b, totals_rtol=0.0):
    """Same draws: identical counts. Per-person totals are identical between kernel runs; the
    kernel sums a stay's rewards as a difference of cumulative weights where the reference
    adds month by month, so against the reference they agree to rounding (``totals_rtol``)."""
    for name in ("occupancy", "flows", "ever", "counts", "weights"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for r in b.totals_sd:
        np.testing.assert_allclose(a.totals_sd[r], b.totals_sd[r], rtol=totals_rtol, atol=0, err_msg=r)
        assert np.array_equal(a.reward_states[r], b.reward_states[r]), r


# --- models beyond the shipped scenarios -----------------------------------------------------

@pytest.fixture(scope="module")
def hiv_text(root):
    return yaml.safe_load((root / "tests/data/chancellor_hiv.yaml").read_text())


def _write(tmp_path_factory, name, data):
    path = tmp_path_factory.mktemp(name) / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


@pytest.fixture(scope="module")
def hiv(root):
    return load_scenario(root / "tests/data/chancellor_hiv.yaml")


@pytest.fixture(scope="module")
def hiv_durations(tmp_path_factory, hiv_text):
    """Per-cycle probabilities that depend on time in state (a tunnel of 4)."""
    return _write(tmp_path_factory, "hiv_durations", with_durations(hiv_text))


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """Ten states: 9 per-cycle probabilities out of S0 and 9 competing rates out of S1
    (numpy sums 8 or more terms pairwise; the kernels must round the same way)."""
    states = {f"S{i}": {"label": f"state {i}"} for i in range(10)}
    states["S1"]["track_duration"] = 3
    tr = [{"from": "S0", "to": f"S{i}", "probability": 0.013 * i + 0.0007} for i in range(1, 10)]
    tr += [{"from": "S1", "to": f"S{i}", "rate": f"0.11 * {i} + 0.05 * duration", "per": "year"}
           for i in range(10) if i != 1]
    tr += [{"from": f"S{i}", "to": "S0", "probability": 0.2} for i in range(2, 9)]
    data = {
        "name": "wide", "title": "wide", "description": "ten states",
        "model": {
            "cycle_years": 1 / 12, "states": states, "transitions": tr, "ever_in": ["S9", "S1"],
            "strategies": {"a": {}, "b": {"effects": [{"transition": "S1->S0", "hr": 0.7, "end": 1},
                                                       {"transition": "S0->S2", "rr": 1.3, "end": 2}]}},
            "rewards": {"cost": {"kind": "cost", "unit": "x", "states": {f"S{i}": i for i in range(10)},
                                 "transitions": {"S0->S1": 5}}},
        },
        "population": {"size": 100, "age": {"distribution": "uniform", "low": 30, "high": 33},
                       "attributes": {"sex": {"female": 0.4, "male": 0.6}}, "start_state": {"S0": 0.7, "S1": 0.3}},
        "run": {"horizon_years": 3},
    }
    return _write(tmp_path_factory, "wide", data)


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """Edge case: no rewards, no ever_in, an absorbing tunnel state and one exit."""
    data = {"name": "bare", "title": "bare", "description": "edge case",
            "model": {"cycle_years": 1, "states": {"A": {}, "B": {"track_duration": 3}, "C": {}},
                      "transitions": [{"from": "A", "to": "B", "probability": 0.1}], "strategies": {"only": {}}},
            "population": {"size": 10, "start_state": {"A": 0.6, "C": 0.4}}, "run": {"horizon_years": 6}}
    return _write(tmp_path_factory, "bare", data)


# --- cohort ------------------------------------------------------------------------------------

def test_cohort_kernel_equals_reference_norway(scenario):
    args = _args(scenario, 4)
    _assert_cohort_equal(run_cohort(*args), run_cohort_reference(*args))


def test_cohort_kernel_equals_reference_bodo_with_per_sample_values(root):
    bodo = load_scenario(root / "scenarios/bodo.yaml")
    args = _args(bodo, 3.5, n_samples=3, vary="calibrated.norway_rct.aap_to_ufore", strata=_few(bodo))
    _assert_cohort_equal(run_cohort(*args), run_cohort_reference(*args))


def test_cohort_kernel_equals_reference_per_sample_effect_and_many_samples(scenario):
    """More samples than one lane block (64), a per-sample effect and start mix (9 months: the dense
    reference costs samples × cells² per month)."""
    args = _args(scenario, 0.75, n_samples=70, vary="calibrated.norway_rct.hr_entry", strata=_few(scenario))
    _assert_cohort_equal(run_cohort(*args), run_cohort_reference(*args))


@pytest.mark.parametrize("which", ["hiv", "hiv_durations", "wide", "bare"])
def test_cohort_kernel_equals_reference_other_models(which, request):
    sc = request.getfixturevalue(which)
    args = _args(sc, sc.spec.run.horizon_years)
    _assert_cohort_equal(run_cohort(*args), run_cohort_reference(*args))


def test_cohort_reproduces_published_hiv_life_years(hiv):
    tr = run_cohort(*_args(hiv, 20))
    life_years = tr.population_occupancy()[0, :, 1:, :3].sum(axis=(-1, -2))
    assert life_years == pytest.approx([7.991, 8.937], abs=1e-3)


def test_cohort_kernel_same_whatever_the_thread_count(scenario):
    args = _args(scenario, 2, n_samples=5, vary="calibrated.norway_rct.job_entry")
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run_cohort(*args)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = run_cohort(*args)
    finally:
        numba.set_num_threads(before)
    for name in ("occupancy", "flows", "ever"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name


def test_compact_values_keep_the_formulas_small_shapes(root):
    """Per-sample values only widen the transitions that read them: nothing is stored per
    sample × stratum × cycle × duration unless a formula varies over all four."""
    bodo = load_scenario(root / "scenarios/bodo.yaml")
    model, values, strata, _, year, T, n = _args(bodo, 40, n_samples=1000, vary="calibrated.norway_rct.aap_to_ufore")
    cycles = np.arange(T)
    ns = model.namespace(values, strata, year, "ips", cycles, n)
    cv = model.compact(ns, "ips", (n, strata.size, T), strata, cycles)
    aap_ufore = model.transition_index("aap->ufore", "test")
    # the AAP clock reads the tracker: values over the within-state index (duration × tracker bins);
    # the hazard differs between the classes of the attributes it reads (latent class and age band): a row
    # per class, fewer than the subgroups, every subgroup pointed at its class's row; never per cycle
    reads = model.transition_reads("ips", strata.columns)[aap_ufore]
    assert "work_class" in reads and "sex" not in reads
    rows, copies = strata.classes(reads)
    assert cv.shapes[aap_ufore] == (n, len(rows), 1, model.width) and len(rows) < strata.size
    assert np.array_equal(cv.at[aap_ufore], copies * cv.strides[aap_ufore, 1])
    dense = n * strata.size * T * model.n_states * model.width * model.n_states
    assert cv.buf.size < dense / 1000


def test_numpy_sum_order():
    rng = np.random.default_rng(3)
    for k in list(range(1, 40)) + [127, 128, 129, 200, 1000, 1029]:
        x = rng.random(k + 2) * rng.choice([1e-3, 1.0, 1e3], k + 2)
        assert numpy_sum(x, 2, k + 2) == x[2:].sum()


# --- microsim ------------------------------------------------------------------------------------

def _micro(scenario, years, people, seed, n_samples=1, vary=None, chunk_size=4096):
    model, values, strata, mix, year, T, n = _args(scenario, years, n_samples, vary)
    return (model, values, strata, mix, year, T, people, seed, n, chunk_size)


def test_microsim_kernel_identical_to_reference_norway(scenario):
    args = _micro(scenario, 3, 4000, seed=3)
    _assert_microsim_identical(run_microsim(*args), run_microsim_reference(*args), totals_rtol=1e-11)


def test_microsim_kernel_identical_to_reference_bodo_two_samples(root):
    bodo = load_scenario(root / "scenarios/bodo.yaml")
    args = _micro(bodo, 2.5, 5000, seed=8, n_samples=2, vary="calibrated.norway_rct.aap_to_ufore", chunk_size=1000)
    _assert_microsim_identical(run_microsim(*args), run_microsim_reference(*args), totals_rtol=1e-11)


@pytest.mark.parametrize("which", ["hiv", "hiv_durations", "wide", "bare"])
def test_microsim_kernel_identical_to_reference_other_models(which, request):
    sc = request.getfixturevalue(which)
    args = _micro(sc, sc.spec.run.horizon_years, 3000, seed=21)
    _assert_microsim_identical(run_microsim(*args), run_microsim_reference(*args), totals_rtol=1e-11)


def test_microsim_kernel_same_whatever_chunks_and_threads(scenario):
    before = numba.get_num_threads()
    runs = []
    try:
        for threads, chunk in ((1, 5000), (min(2, numba.config.NUMBA_NUM_THREADS), 97), (1, 333)):
            numba.set_num_threads(threads)
            runs.append(run_microsim(*_micro(scenario, 2, 5000, seed=4, chunk_size=chunk)))
    finally:
        numba.set_num_threads(before)
    for other in runs[1:]:
        _assert_microsim_identical(other, runs[0])


def _reference_model_psa(root, n_samples, people, years):
    """The benchmark's 5-state model with PSA draws and a different start mix per sample."""
    from ipsecon.uncertainty.sampling import draw_samples

    sc = load_scenario(root / "benchmarks/reference_5state.yaml")
    values = draw_samples(sc, n_samples, seed=3).values(sc.base_values())
    mix = np.repeat(sc.start_mix(values, 1)[:1], n_samples, axis=0)
    rng = np.random.default_rng(1)
    mix[1:] = rng.dirichlet(np.ones(sc.model.n_states), size=(n_samples - 1, sc.strata.size))
    T = horizon_cycles(sc, years)
    return (sc.model, values, sc.strata, mix, sc.spec.population.start_year, T, people, 17, n_samples, 256)


def test_microsim_psa_batch_identical_to_reference(root):
    """Nine samples (more than 4 per thread: each sample is one thread's) in one call."""
    args = _reference_model_psa(root, 9, 700, 3)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        batch = run_microsim(*args)
    finally:
        numba.set_num_threads(before)
    _assert_microsim_identical(batch, run_microsim_reference(*args), totals_rtol=1e-11)


def test_microsim_sample_in_a_batch_equals_it_alone(root):
    model, values, strata, mix, year, T, people, seed, n, chunk = _reference_model_psa(root, 9, 700, 3)
    batch = run_microsim(model, values, strata, mix, year, T, people, seed, n, chunk)
    i = 5
    alone = run_microsim(model, {k: (v[i:i + 1] if isinstance(v, np.ndarray) and v.ndim == 1 else v) for k, v in values.items()},
                         strata, mix[i:i + 1], year, T, people, seed, 1, chunk)
    for name in ("occupancy", "flows", "ever"):
        assert np.array_equal(getattr(batch, name)[i], getattr(alone, name)[0]), name
    for r in alone.totals_sd:
        np.testing.assert_allclose(batch.totals_sd[r][i], alone.totals_sd[r][0], rtol=1e-11, err_msg=r)


def test_microsim_many_blocks_equal_one(scenario, monkeypatch):
    """A horizon cut into blocks of a cycle or two gives the same draws as one block."""
    import ipsecon.engines.microsim as microsim

    args = _micro(scenario, 3, 2000, seed=6, n_samples=2, vary="calibrated.norway_rct.job_entry")
    one = run_microsim(*args)
    monkeypatch.setattr(microsim, "TABLE_BYTES", 1)
    many = run_microsim(*args)
    _assert_microsim_identical(many, one, totals_rtol=1e-11)
