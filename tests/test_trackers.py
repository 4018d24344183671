"""Trackers: per-person counters that add one per cycle started in named states and never reset.

* closed form: a 3-state loop (A → W with p, W → A always, A → X once the counter reaches M)
  has binomial occupancies per counter value; the cohort kernel, its dense reference and the
  reference's cells per bin all give them;
* the count persists through other states: deterministic paths (cohort and a one-person
  microsim) leave A → W → A and exit when the *summed* months reach M, also from a start value;
* the cohort kernel equals its reference, and the microsim kernel draws what its reference
  draws, on models with trackers, durations, several trackers and per-sample values;
* the microsim agrees with the cohort within Monte Carlo error;
* without trackers (B = 1) results are those of the code before trackers (stored numbers);
* a reset state sets the count back to 0 (layout below; Krijkamp's Sick-Sicker in test_textbook.py);
* bad tracker declarations end in an InputError naming the field.
"""

from math import comb

import numpy as np
import pytest
import yaml
from hiv_variants import with_durations

from ipsecon.engines.cohort import advance, run_cohort, run_cohort_reference
from ipsecon.engines.microsim import run_microsim, run_microsim_reference
from ipsecon.engines.simulate import simulate
from ipsecon.errors import InputError
from ipsecon.model.scenario import load_scenario

P_LEAVE = 0.3  # A -> W per cycle while the counter is below M
M = 4  # A -> X once the counter reaches M
T = 14


def _scenario(tmp_path, data, name="tracked"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


def _loop(max_count=6, start=None, track_a=1):
    """A (tracked) ⇄ W, A → X when the count reaches M; per-cycle probabilities, yearly cycles."""
    tracker = {"states": ["A"], "max": max_count, "label": "cycles started in A"}
    if start is not None:
        tracker["start"] = start
    return {
        "name": "loop", "title": "loop", "description": "tracker closed form",
        "model": {
            "cycle_years": 1,
            "states": {"A": {"track_duration": track_a}, "W": {}, "X": {}},
            "trackers": {"n": tracker},
            "transitions": [
                {"from": "A", "to": "W", "probability": f"where(n >= {M}, 0, a_to_w)"},
                {"from": "W", "to": "A", "probability": 1.0},
                {"from": "A", "to": "X", "probability": f"where(n >= {M}, 1, 0)"},
            ],
            "variables": {"a_to_w": P_LEAVE},
            "ever_in": ["W"],
            "strategies": {"only": {}},
            "rewards": {"years": {"kind": "effect", "unit": "y", "states": {"A": 1, "W": 1}}},
        },
        "population": {"size": 100, "start_state": {"A": 1}},
        "run": {"horizon_years": T},
    }


def _closed_form(t):
    """(occupancy of A per count 0 … M, occupancy of W, occupancy of X) at point t.

    In A with count k after t cycles: k cycles started in A, j = t − k of them left for W (each
    followed by one cycle in W), in any order: C(k, j) p^j (1 − p)^(k − j). In W with count k:
    the last of k cycles in A left: C(k − 1, j − 1) p^j (1 − p)^(k − j), j = t − k + 1. Whoever is
    in A with count M leaves for X in the next cycle."""
    p = P_LEAVE

    def in_a(k, s):
        j = s - k
        return comb(k, j) * p ** j * (1 - p) ** (k - j) if 0 <= j <= k else 0.0

    def in_w(k, s):
        j = s - k + 1
        return comb(k - 1, j - 1) * p ** j * (1 - p) ** (k - j) if k >= 1 and 1 <= j <= k else 0.0

    a = np.array([in_a(k, t) for k in range(M + 1)])
    w = sum(in_w(k, t) for k in range(1, M + 1))
    x = sum(in_a(M, s) for s in range(t))
    return a, w, x


def _run_args(sc, n_samples=1, values=None):
    values = values if values is not None else sc.base_values()
    return (sc.model, values, sc.strata, sc.start_mix(values, n_samples), sc.spec.population.start_year,
            round(sc.spec.run.horizon_years / sc.model.cycle_years), n_samples)


@pytest.fixture()
def loop(tmp_path):
    return _scenario(tmp_path, _loop())


def test_layout_cells_and_index(loop):
    m = loop.model
    # X is absorbing and reads nothing: its bins are one cell (the engines keep only what can matter)
    assert m.n_bins == 7 and list(m.slots) == [7, 7, 1] and m.width == 7
    # staying in A counts one up (capped at max), in W the count is kept; leaving carries it on
    assert list(m.next_index[0]) == [1, 2, 3, 4, 5, 6, 6]
    assert list(m.next_index[1]) == list(range(7))
    assert list(m.entry_index[0]) == [1, 2, 3, 4, 5, 6, 6]
    assert list(m.entry_index[1]) == list(range(7))


def _one_way(set_in_x=True):
    """The loop, then X -> Y (absorbing): X reads the count only under strategy ``reads`` (its ``set``
    of a variable), W tracks 3 durations that nothing reads."""
    data = _loop()
    model = data["model"]
    model["states"]["W"] = {"track_duration": 3}
    model["states"]["Y"] = {}
    model["variables"]["x_to_y"] = 0.1
    model["transitions"].append({"from": "X", "to": "Y", "probability": "x_to_y"})
    model["strategies"]["reads"] = {"set": {"x_to_y": "where(n >= 5, 0.6, 0.1)"}} if set_in_x else {}
    data["run"]["horizon_years"] = 12
    return data


def test_cells_kept_only_where_they_can_matter(tmp_path):
    """A tracker's bins are kept in a state only where a state reachable from it reads the tracker (here
    X, through a variable a strategy sets), time in state only where the state reads it; the engines on
    that reduced layout give their full-index references' results (cohort to 1e-12, microsim draw by draw)."""
    m = _scenario(tmp_path, _one_way(), "one_way").model
    assert [sorted(r) for r in m.in_state_reads()] == [["n"], [], ["n"], []]
    assert list(m.kept_durations) == [1, 1, 1, 1] and list(m.state_bins) == [7, 7, 7, 1]
    assert list(m.slots) == [7, 7, 7, 1]
    assert list(m.cell_next[0, :7]) == [1, 2, 3, 4, 5, 6, 6] and list(m.cell_next[1, :7]) == list(range(7))
    assert list(m.bin_in[3]) == [0] * 7  # whatever count comes into Y, it is Y's one cell
    plain = _scenario(tmp_path, _one_way(set_in_x=False), "one_way_plain").model
    assert list(plain.slots) == [7, 7, 1, 1]  # nobody reads the count in X: from X on it cannot matter
    sc = _scenario(tmp_path, _one_way(), "one_way")
    a, b = run_cohort(*_run_args(sc)), run_cohort_reference(*_run_args(sc))
    for name in ("occupancy", "flows", "ever"):
        assert np.abs(getattr(a, name) - getattr(b, name)).max() < 1e-12, name
    flows_xy = a.flows[0, :, 0, :, 3].sum(axis=-1)
    assert flows_xy[1] > flows_xy[0] + 0.05  # the count read in X changes what happens there
    args = _run_args(sc)[:6]
    x, y = run_microsim(*args, 2000, 9), run_microsim_reference(*args, 2000, 9)
    for name in ("occupancy", "flows", "ever", "counts"):
        assert np.array_equal(getattr(x, name), getattr(y, name)), name


def test_reset_sets_the_count_back_to_zero(tmp_path):
    """W resets the count of cycles started in A: after a cycle in W the bin is 0, elsewhere counted on."""
    data = _loop()
    data["model"]["trackers"]["n"]["reset"] = ["W"]
    m = _scenario(tmp_path, data).model
    assert list(m.entry_index[0]) == [1, 2, 3, 4, 5, 6, 6]  # leaving A: counted
    assert list(m.entry_index[1]) == [0] * 7  # leaving W: back to 0
    assert list(m.entry_index[2]) == list(range(7))  # X: carried


def test_microsim_blocks_count_rows_only_where_values_vary(loop):
    """The microsim sizes its blocks by the rows its tables need: A's values read the tracker (a
    row per cell), W's and X's do not (one row each)."""
    from ipsecon.engines.microsim import _most_rows

    assert _most_rows(loop.model, loop.base_values(), loop.strata, 2024, "only", 1) == 7 + 1 + 1


def test_cohort_matches_closed_form_per_state(loop):
    trace = run_cohort(*_run_args(loop))
    ref = run_cohort_reference(*_run_args(loop))
    for tr in (trace, ref):
        occ = tr.occupancy[0, 0, 0]
        for t in range(T + 1):
            a, w, x = _closed_form(t)
            np.testing.assert_allclose(occ[t], [a.sum(), w, x], atol=1e-13, err_msg=f"point {t}")
    assert _closed_form(T)[2] > 0.5  # the clock binds: most have reached M by the horizon


def test_reference_cells_per_bin_match_closed_form(loop):
    """The dense reference's occupancy of A per tracker bin, cycle by cycle."""
    m, values, strata, mix, year, _, _ = _run_args(loop)
    ns = m.namespace(values, strata, year, "only", np.arange(T), 1)
    P = m.probabilities(ns, "only", (1, 1, T), strata, np.arange(T))
    occ = np.zeros((1, 1, m.n_states, m.width))
    occ[0, 0, :, 0] = mix[0, 0]
    for t in range(T):
        a, _, _ = _closed_form(t)
        np.testing.assert_allclose(occ[0, 0, 0, :M + 1], a, atol=1e-13, err_msg=f"point {t}")
        assert np.all(occ[0, 0, 0, M + 1:] == 0)  # nobody counts beyond M: they left for X
        occ, _ = advance(m, occ, P[:, :, t])


def test_exit_when_summed_count_reaches_max_not_the_spell(tmp_path):
    """With duration as the clock (reset on every return) nobody would ever leave for X."""
    data = _loop()
    for tr in data["model"]["transitions"]:
        tr["probability"] = str(tr["probability"]).replace("n >=", "duration >=")
    data["model"]["states"]["A"]["track_duration"] = M + 1
    reset = simulate(_scenario(tmp_path, data, "reset"), engine="cohort").trace.occupancy[0, 0, 0, :, 2]
    kept = simulate(_scenario(tmp_path, _loop()), engine="cohort").trace.occupancy[0, 0, 0, :, 2]
    assert kept[-1] > reset[-1] + 0.3


# --- deterministic paths: the count persists through other states ---------------------------

def _path_model(start="where(prior == 'long', 2, 0)"):
    """A for 3 cycles, W for 2, back to A; X once 5 cycles were started in A (over all spells)."""
    return {
        "name": "path", "title": "path", "description": "deterministic path",
        "model": {
            "cycle_years": 1,
            "states": {"A": {"track_duration": 3}, "W": {"track_duration": 2}, "X": {}},
            "trackers": {"months_in_a": {"states": ["A"], "max": 8, "start": start}},
            "transitions": [
                {"from": "A", "to": "W", "probability": "where(duration >= 2 and months_in_a < 5, 1, 0)"},
                {"from": "W", "to": "A", "probability": "where(duration >= 1, 1, 0)"},
                {"from": "A", "to": "X", "probability": "where(months_in_a_years >= 5, 1, 0)"},
            ],
            "strategies": {"only": {}},
        },
        "population": {"size": 10, "attributes": {"prior": {"none": 0.5, "long": 0.5}}, "start_state": {"A": 1}},
        "run": {"horizon_years": 10},
    }


# A A A (3 counted) W W A A (5 counted) then X; starting with 2 counted: A A A W W A (5) then X
PATHS = {"none": "AAAWWAAAXXX", "long": "AAAWWAXXXXX"}


def _paths(trace, strata):
    out = {}
    for g in range(strata.size):
        if trace.counts is not None and trace.counts[g] == 0:
            continue  # a microsim stratum nobody was drawn into
        occ = trace.occupancy[0, 0, g]
        out[str(strata.columns["prior"][g])] = "".join("AWX"[s] for s in occ.argmax(axis=1))
        assert np.allclose(occ.max(axis=1), occ.sum(axis=1))  # everyone of the stratum in one state
    return out


def test_count_persists_through_other_states_cohort(tmp_path):
    sc = _scenario(tmp_path, _path_model())
    assert _paths(run_cohort(*_run_args(sc)), sc.strata) == PATHS
    assert _paths(run_cohort_reference(*_run_args(sc)), sc.strata) == PATHS


def test_count_persists_through_other_states_one_person_microsim(tmp_path):
    sc = _scenario(tmp_path, _path_model())
    m, values, strata, mix, year, T_, _ = _run_args(sc)
    seen = {}
    for seed in range(40):  # one person each: every seed draws a stratum; both are met
        tr = run_microsim(m, values, strata, mix, year, T_, 1, seed)
        assert tr.counts.sum() == 1
        seen.update(_paths(tr, strata))
        ref = run_microsim_reference(m, values, strata, mix, year, T_, 1, seed)
        assert np.array_equal(tr.occupancy, ref.occupancy)
        if len(seen) == 2:
            break
    assert seen == PATHS


def test_start_value_is_checked(tmp_path):
    with pytest.raises(InputError, match="start"):
        run_cohort(*_run_args(_scenario(tmp_path, _path_model(start="-1"))))
    # values beyond max start in the last bin ("max or more")
    sc = _scenario(tmp_path, _path_model(start="12"))
    assert list(sc.model.start_bins(sc.base_values(), sc.strata, 2024, 1)[0]) == [8, 8]


# --- compiled kernels equal their references on tracker models --------------------------------

def _rich(tmp_path):
    """Two trackers (one over two states), durations read too, competing rates, an effect."""
    data = _loop(max_count=5, track_a=3)
    model = data["model"]
    model["cycle_years"] = 1 / 12
    model["trackers"]["w_spells"] = {"states": ["W", "A"], "max": 3}
    model["states"]["W"] = {"track_duration": 2}
    model["transitions"] = [
        {"from": "A", "to": "W", "rate": "where(n >= 4, 0.1, a_to_w * (1 + duration / 3))", "per": "month"},
        {"from": "W", "to": "A", "rate": "0.5 + 0.1 * w_spells + 0.2 * duration", "per": "month"},
        {"from": "A", "to": "X", "rate": "0.02 + where(n >= 4, 0.6, 0) + 0.01 * n_years", "per": "month"},
        {"from": "W", "to": "X", "rate": 0.01, "per": "month"},
    ]
    model["strategies"]["other"] = {"effects": [{"transition": "A->W", "hr": 1.4, "end": 1}]}
    data["run"]["horizon_years"] = 3
    return _scenario(tmp_path, data, "rich")


def test_cohort_kernel_equals_reference_with_trackers(tmp_path):
    sc = _rich(tmp_path)
    values = dict(sc.base_values())
    values["a_to_w"] = np.linspace(0.2, 0.5, 3)
    a = run_cohort(*_run_args(sc, 3, values))
    b = run_cohort_reference(*_run_args(sc, 3, values))
    for name in ("occupancy", "flows", "ever"):
        assert np.abs(getattr(a, name) - getattr(b, name)).max() < 1e-12, name
    assert np.allclose(a.occupancy.sum(axis=-1), 1.0)


def test_microsim_kernel_draws_what_reference_draws_with_trackers(tmp_path):
    sc = _rich(tmp_path)
    args = _run_args(sc)
    a = run_microsim(*args[:6], 3000, 17)
    b = run_microsim_reference(*args[:6], 3000, 17)
    for name in ("occupancy", "flows", "ever", "counts"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_microsim_within_monte_carlo_error_of_cohort(tmp_path):
    sc = _rich(tmp_path)
    N = 20000
    cohort = run_cohort(*_run_args(sc))
    micro = run_microsim(*_run_args(sc)[:6], N, 5)
    occ_c = cohort.occupancy[0, :, 0]
    occ_m = micro.occupancy[0, :, 0]
    se = np.sqrt(occ_c * (1 - occ_c) / N)
    z = np.abs(occ_m - occ_c) / np.maximum(se, 1e-12)
    assert z[se > 0].max() < 4.5  # ~220 cells compared: a false alarm has probability < 0.2 %
    # and the clock binds in both: a large share has left for X
    assert occ_m[0, -1, 2] > 0.3 and abs(occ_m[0, -1, 2] - occ_c[0, -1, 2]) < 4.5 * se[0, -1, 2]


# --- without trackers: the results of the code before trackers --------------------------------

def test_without_trackers_results_are_unchanged(root, tmp_path):
    """Numbers from the commit before trackers (git worktree of 010231b, same machine): the
    duration-dependent HIV model of test_kernels.py, cohort and microsim, bit for bit."""
    d = with_durations(yaml.safe_load((root / "tests/data/chancellor_hiv.yaml").read_text()))
    d["parameters"]["hiv"]["cost"]["value"]["lam"] = 2087  # the price those numbers were computed with
    sc = _scenario(tmp_path, d, "hiv_durations")
    assert sc.model.n_bins == 1
    c = simulate(sc, engine="cohort", horizon_years=20)
    m = simulate(sc, engine="microsim", horizon_years=20, individuals=2000, seed=3)
    assert [float(x) for x in c.reward_totals()["cost"][0]] == [50381.5787416138, 44439.85661654649]
    assert [float(x) for x in c.reward_totals()["life_years"][0]] == [8.85829750254259, 7.914483152598569]
    assert [float(x) for x in c.trace.occupancy[0, :, 0, 10, 1]] == [0.059541977026946344, 0.0431007190435838]
    assert [float(x) for x in m.reward_totals()["cost"][0]] == [50387.98724747894, 44589.608958367906]
    assert [float(x) for x in m.trace.occupancy[0, :, 0, 10, 1]] == [0.059000000000000004, 0.042]


# --- bad declarations --------------------------------------------------------------------------

@pytest.mark.parametrize("change, field", [
    (lambda m: m["trackers"].update(duration=m["trackers"].pop("n")), "model.trackers.duration"),
    (lambda m: m["trackers"].update(W=m["trackers"].pop("n")), "model.trackers.W"),
    (lambda m: m["trackers"].update(a_to_w=m["trackers"].pop("n")), "model.trackers.a_to_w"),
    (lambda m: m["variables"].update(n_years="1"), "model.trackers.n"),  # the tracker's name in years
    (lambda m: m["trackers"]["n"].update(states=["Q"]), "model.trackers.n.states"),
    (lambda m: m["trackers"]["n"].update(states=[]), "model.trackers.n.states"),
    (lambda m: m["trackers"]["n"].update(max=0), "model.trackers.n.max"),
    (lambda m: m["trackers"]["n"].update(max=601), "model.trackers.n.max"),
    (lambda m: m["trackers"]["n"].update(colour=1), "model.trackers.n"),
    (lambda m: m["trackers"]["n"].update(reset=["A"]), "model.trackers.n.reset"),  # A counts: it cannot reset
    (lambda m: m["trackers"]["n"].update(reset=["Q"]), "model.trackers.n.reset"),
    # state rewards may read a tracker (a value per cell, tests/test_microsim_cell_rewards.py); one-off
    # transition rewards may not
    (lambda m: m["rewards"]["years"].update(transitions={"A->W": "n / 12"}), "model.rewards.years.transitions"),
])
def test_bad_tracker_declarations(tmp_path, change, field):
    data = _loop()
    change(data["model"])
    with pytest.raises(InputError) as e:
        _scenario(tmp_path, data)
    assert field in str(e.value)


def test_tracker_name_may_not_hide_a_parameter_or_attribute(tmp_path):
    data = _loop()
    data["parameters"] = {"n": {"value": 1.0, "unit": "x", "source": "test", "evidence": "assumption",
                                "description": "clashes with the tracker"}}
    with pytest.raises(InputError, match="also a parameter"):
        _scenario(tmp_path, data)
    data = _loop()
    data["population"]["attributes"] = {"n_years": {"a": 0.5, "b": 0.5}}
    with pytest.raises(InputError, match="also a population attribute"):
        _scenario(tmp_path, data)


def test_ips_model_months_already_on_aap_at_start(root):
    """The IPS model's aap_months starts at the variable aap_months_at_start (0 unless a scenario
    sets it): with 30 months already used Bodø's 48-month maximum (grants in 2015) binds from month 18, not 48."""
    from ipsecon.model.scenario import replace_variables
    from ipsecon.model.state_machine import CompiledModel

    sc = load_scenario(root / "scenarios/bodo.yaml")
    spec = replace_variables(sc.model.spec, {"aap_months_at_start": "30"}, sc.file, "variables")
    used = CompiledModel(spec, sc.model.file)
    values, year = sc.base_values(), sc.spec.population.start_year
    assert values["rules.aap.max_duration_months_before_2018"] == 48
    assert np.all(sc.model.start_bins(values, sc.strata, year, 1) == 0)
    assert np.all(used.start_bins(values, sc.strata, year, 1) == 30)
    fresh = run_cohort(sc.model, values, sc.strata, sc.start_mix(values), year, 26)
    late = run_cohort(used, values, sc.strata, sc.start_mix(values), year, 26)
    on_aap = [sc.model.index[s] for s in ("aap", "employed_aap")]
    np.testing.assert_allclose(late.occupancy[..., :19, :], fresh.occupancy[..., :19, :], atol=1e-14)
    # after the maximum (month 18) and the 6 job-seeker months (§ 11-17), only the extended stay on AAP
    share = lambda tr: tr.occupancy[0, :, :, 26][..., on_aap].sum(axis=-1)  # noqa: E731
    assert np.all(share(late) < 0.9 * share(fresh))
