"""State groups (``model.groups``): a name for a set of states, read where "ever in" and the measures read a state.

* closed form: from A people go to B or C with p each (and come back from B, or go on from C to D);
  with group BC = {B, C}, P(ever in BC by t) = 1 − (1 − 2p)^t exactly, in the cohort kernel and its
  dense reference; ever in a group is ever in any of its states, counted once;
* the cohort kernel equals its reference and the microsim kernel draws what its reference draws on
  a model with groups, tunnels, a tracker and per-sample values; the microsim is within Monte Carlo
  error of the cohort;
* measures of a group are sums over its states (in_state, time_share), exit_share out of a group
  counts moves from a member to a non-member only, ever_in and time_share_after_ever read the group;
* employment_state may name a group: summary's employment is the sum, the ledger books each member;
* bad group declarations end in an InputError naming the field.
"""

from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from ipsecon.engines.cohort import run_cohort, run_cohort_reference
from ipsecon.engines.microsim import run_microsim, run_microsim_reference
from ipsecon.engines.simulate import simulate
from ipsecon.errors import InputError
from ipsecon.inputs.schema import Target
from ipsecon.model.scenario import load_scenario

P = 0.07  # A -> B and A -> C per cycle
BACK = 0.2  # B -> A
ON = 0.1  # C -> D
INSIDE = 0.15  # B -> C: a move inside the group
T = 24


def _spec(**model_extra):
    model = {
        "cycle_years": 1 / 12,
        "states": {"A": {"track_duration": 4}, "B": {"track_duration": 3}, "C": {}, "D": {}},
        "groups": {"BC": ["B", "C"], "CD": ["C", "D"]},
        "transitions": [
            {"from": "A", "to": "B", "probability": "p"},
            {"from": "A", "to": "C", "probability": "p"},
            {"from": "B", "to": "A", "probability": BACK},
            {"from": "B", "to": "C", "probability": INSIDE},
            {"from": "C", "to": "D", "probability": ON},
        ],
        "variables": {"p": "x.p"},
        "ever_in": ["BC", "B", "CD"],
        "strategies": {"only": {}},
        "rewards": {"years": {"kind": "effect", "unit": "y", "states": {"A": 1, "B": 1, "C": 1}}},
    }
    model.update(model_extra)
    return {"name": "grouped", "title": "groups", "description": "state groups closed form",
            "model": model, "parameters": {"x": {"p": {"value": P, "unit": "probability per month",
                                                        "source": "assumption (test)", "description": "A -> B and A -> C", "evidence": "assumption"}}},
            "population": {"size": 100, "start_state": {"A": 1}}, "run": {"horizon_years": T / 12}}


def _load(tmp_path, data, name="grouped"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


def _args(sc, n_samples=1, values=None):
    values = dict(sc.base_values()) if values is None else values
    return (sc.model, values, sc.strata, sc.start_mix(values, n_samples), sc.spec.population.start_year,
            round(sc.spec.run.horizon_years / sc.model.cycle_years), n_samples)


@pytest.fixture()
def grouped(tmp_path):
    return _load(tmp_path, _spec())


def test_ever_in_group_closed_form(grouped):
    """Nothing but A -> B and A -> C leaves A: P(ever in B or C by t) = 1 − (1 − 2p)^t."""
    t = np.arange(T + 1)
    for trace in (run_cohort(*_args(grouped)), run_cohort_reference(*_args(grouped))):
        assert trace.ever_states == ["BC", "B", "CD"]
        np.testing.assert_allclose(trace.ever[0, 0, 0, :, 0], 1 - (1 - 2 * P) ** t, rtol=0, atol=1e-13)
        # a group is not the sum of its states' ever: ever B + ever C counts people twice
        ever_b = trace.ever[0, 0, 0, :, 1]
        assert np.all(ever_b <= trace.ever[0, 0, 0, :, 0] + 1e-15)
        # CD: C is entered from A (p) and from B; D only from C, so ever CD is ever C
        occ = trace.occupancy[0, 0, 0]
        assert np.all(trace.ever[0, 0, 0, :, 2] >= occ[:, 2] + occ[:, 3] - 1e-15)


def test_ever_in_group_by_hand_two_cycles(grouped):
    """Ever in CD after two cycles, by hand: from A, C at cycle 1 (p), or A→C at 2 ((1−2p)p), or
    A→B→C (p·INSIDE)."""
    trace = run_cohort(*_args(grouped))
    expected = P + (1 - 2 * P) * P + P * INSIDE
    assert trace.ever[0, 0, 0, 2, 2] == pytest.approx(expected, abs=1e-15)


def test_kernels_equal_references_with_groups_tracker_and_samples(tmp_path):
    """Also with a tracker that a cycle in A resets."""
    data = _spec(trackers={"used": {"states": ["B", "C"], "max": 3, "reset": ["A"]}})
    data["model"]["transitions"][0]["probability"] = "p * where(duration >= 2, 1.5, 1) * where(used >= 2, 0.5, 1)"
    sc = _load(tmp_path, data)
    values = dict(sc.base_values())
    values["x.p"] = np.array([0.05, 0.09])
    a, b = run_cohort(*_args(sc, 2, values)), run_cohort_reference(*_args(sc, 2, values))
    for name in ("occupancy", "flows", "ever"):
        assert np.abs(getattr(a, name) - getattr(b, name)).max() < 1e-12, name
    args = _args(sc, 2, values)
    m1 = run_microsim(*args[:-1], 3000, 5, 2, 700)
    m2 = run_microsim_reference(*args[:-1], 3000, 5, 2, 1000)
    for name in ("occupancy", "flows", "ever"):
        assert np.array_equal(getattr(m1, name), getattr(m2, name)), name


def test_microsim_within_monte_carlo_error_of_cohort(grouped):
    N = 20000
    coh = run_cohort(*_args(grouped))
    mic = run_microsim(*_args(grouped)[:-1], N, 11)
    c, m = coh.ever[0, 0, 0, T], mic.ever[0, 0, 0, T]
    se = np.sqrt(c * (1 - c) / N)
    assert np.all(np.abs(m - c) < 4 * se + 1e-12), (m, c, se)
    # and exactly the closed form's first cycle's count logic: ever BC at t = 1 is the share that left A
    assert mic.ever[0, 0, 0, 1, 0] == pytest.approx(1 - mic.occupancy[0, 0, 0, 1, 0], abs=1e-15)


def _target(**kw):
    return Target(**{"strategy": "only", "value": 0.5, "source": "test", **kw})


def test_measures_of_a_group_are_sums_of_member_measures(grouped):
    sim = simulate(grouped)
    m = lambda **kw: sim.measure(_target(**kw))  # noqa: E731
    for month in (1, 7, 24):
        assert m(measure="in_state", state="BC", month=month) == pytest.approx(
            m(measure="in_state", state="B", month=month) + m(measure="in_state", state="C", month=month), abs=1e-15)
    assert m(measure="time_share", state="BC", month=18, from_month=6) == pytest.approx(
        m(measure="time_share", state="B", month=18, from_month=6)
        + m(measure="time_share", state="C", month=18, from_month=6), abs=1e-15)
    assert m(measure="ever_in", state="BC", month=12) == pytest.approx(1 - (1 - 2 * P) ** 12, abs=1e-13)
    # after first entering B or C: months in B or C over months since the first entry
    occ = sim.trace.population_occupancy()[0, 0]
    ever = 1 - (1 - 2 * P) ** np.arange(T + 1)
    expected = (occ[5:13, 1] + occ[5:13, 2]).sum() / ever[5:13].sum()
    assert m(measure="time_share_after_ever", state="BC", month=12, from_month=4) == pytest.approx(expected, rel=1e-12)
    # out of {B, C}: B -> A and C -> D leave the group, B -> C does not
    f = sim.trace.population_flows()[0, 0, :12].sum(axis=0)
    k = {label: i for i, label in enumerate(sim.trace.transitions)}
    leave = f[k["B->A"]] + f[k["C->D"]]
    assert m(measure="exit_share", from_state="BC", state="A", month=12) == pytest.approx(f[k["B->A"]] / leave, rel=1e-12)
    assert m(measure="exit_share", from_state="BC", state="D", month=12, among=["A", "D"]) == pytest.approx(
        f[k["C->D"]] / leave, rel=1e-12)
    # into a group: moves from A into B or C, among only those into the group
    assert m(measure="exit_share", from_state="A", state="BC", month=12) == pytest.approx(1.0, abs=1e-15)
    with pytest.raises(InputError, match="no move BC->C"):
        m(measure="exit_share", from_state="BC", state="C", month=12)


def test_employment_state_may_name_a_group(tmp_path):
    from ipsecon.output.results import summary_frame

    sc = _load(tmp_path, _spec(employment_state="BC"))
    assert [sc.model.states[s] for s in sc.model.employment_states] == ["B", "C"] and sc.model.employment_name == "BC"
    sim = simulate(sc)
    row = summary_frame(sim).iloc[0]
    occ = sim.trace.population_occupancy()[0, 0]
    assert row["employed_m12"] == pytest.approx(occ[12, 1] + occ[12, 2], abs=1e-15)
    assert row["ever_employed_m12"] == pytest.approx(1 - (1 - 2 * P) ** 12, abs=1e-13)


def test_ledger_books_each_state_of_a_work_group(tmp_path):
    """Each work state of the group must be one the ledger books wages in."""
    from ipsecon.money.ledger import regime_states

    states = {s: {} for s in ("employed", "employed_aap", "aap", "ufore", "other", "dead")}
    base = {"states": states, "transitions": [{"from": "aap", "to": "employed", "probability": 0.1}],
            "strategies": {"tau": {}}, "groups": {"working": ["employed", "employed_aap"], "bad": ["employed", "aap"]}}
    data = {**_spec(), "parameters": {}}
    data["population"] = {"size": 10, "start_state": {"aap": 1}}
    data["model"] = {**base, "employment_state": "working"}
    sim = SimpleNamespace(scenario=_load(tmp_path, data, "work"))
    got = regime_states(sim, None)
    names = sim.scenario.model.states
    assert names[got["employed"]] == "employed" and names[got["employed_aap"]] == "employed_aap"
    data["model"] = {**base, "employment_state": "bad"}
    sim = SimpleNamespace(scenario=_load(tmp_path, data, "work_bad"))
    with pytest.raises(InputError, match=r"model\.employment_state.*'aap'"):
        regime_states(sim, None)


@pytest.mark.parametrize("change, field, words", [
    ({"groups": {"B": ["C"]}}, "model.groups.B", "is a state"),
    ({"groups": {"t": ["C"]}}, "model.groups.t", "reserved"),
    ({"groups": {"p": ["C"]}}, "model.groups.p", "is a variable"),
    ({"groups": {"G": []}}, "model.groups.G", "at least one state"),
    ({"groups": {"G": ["B", "Z"]}}, "model.groups.G[1]", "unknown state 'Z'"),
    ({"groups": {"G": ["B", "C", "B"]}}, "model.groups.G", "listed twice"),
    ({"ever_in": ["B", "XY"]}, "model.ever_in[1]", "unknown state or group 'XY'"),
    ({"ever_in": ["BC", "B", "BC"]}, "model.ever_in[2]", "listed twice"),
    ({"employment_state": "XY"}, "model.employment_state", "unknown state or group 'XY'"),
])
def test_bad_group_declarations(tmp_path, change, field, words):
    with pytest.raises(InputError) as err:
        _load(tmp_path, _spec(**change))
    line = str(err.value)
    assert field in line and words in line and "\n" not in line, line
