"""state_after_exit: the share of a state's leavers who are in another state some months after leaving.

Checked against a matrix power (constant probabilities), a hand-written sum over exit months (probabilities
that change every month), and, on the IPS model with job tenure and the AAP clock, a brute-force reference
that follows each month's leavers on their own through the dense reference path (``model.probabilities`` and
``cohort_reference.advance``), with no lanes shared and none reused.
"""

import numpy as np
import pytest
import yaml

import ipsecon
from ipsecon.engines.cohort_reference import advance
from ipsecon.engines.simulate import simulate
from ipsecon.errors import InputError
from ipsecon.inputs.schema import Target

# toy model, monthly: probabilities per month out of each state (row: from, column: to), the diagonal staying
WORK, AAP, OTHER = 0, 1, 2
OUT = {(WORK, AAP): 0.06, (WORK, OTHER): 0.03, (AAP, WORK): 0.05, (AAP, OTHER): 0.02, (OTHER, WORK): 0.04,
       (OTHER, AAP): 0.03}
NAMES = ["work", "aap", "other"]


def _matrix(out: dict) -> np.ndarray:
    P = np.zeros((3, 3))
    for (a, b), p in out.items():
        P[a, b] = p
    P[np.arange(3), np.arange(3)] = 1 - P.sum(axis=1)
    return P


def _toy(tmp_path, aap_to_work: str = "0.05", months: int = 48):
    """A three-state scenario; ``aap_to_work`` a formula (may read t, the cycle's index from 0)."""
    transitions = [{"from": NAMES[a], "to": NAMES[b], "probability": str(p)} for (a, b), p in OUT.items()]
    transitions[[(a, b) for a, b in OUT].index((AAP, WORK))]["probability"] = aap_to_work
    spec = {"name": "toy_after_exit", "title": "toy", "description": "three states, monthly", "sources": ["test"],
            "price_year": 2024,
            "model": {"name": "toy", "cycle_years": 1 / 12, "counting": "end", "discount": {"cost": 0.0, "effect": 0.0},
                      "states": {n: {"label": n} for n in NAMES}, "groups": {"benefit_or_none": ["aap", "other"]},
                      "transitions": transitions, "strategies": {"only": {"label": "only"}},
                      "rewards": {"months": {"kind": "effect", "unit": "months", "states": {"work": 1}}}},
            "population": {"size": 100, "age": {"distribution": "fixed", "value": 40},
                           "start_state": {"aap": 0.7, "other": 0.2, "work": 0.1}},
            "run": {"engine": "cohort", "horizon_years": months / 12}}
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(spec))
    return simulate(ipsecon.load_scenario(path))


def _t(**kw):
    base = {"measure": "state_after_exit", "strategy": "only", "value": 0.5, "source": "test"}
    return Target(**{**base, **kw})


def test_constant_probabilities_give_a_matrix_power(tmp_path):
    """Every month's leavers of AAP arrive with the same mix m (to work or other, in proportion to their
    probabilities); 12 months later they are at m · P¹², whatever the window."""
    sim = _toy(tmp_path)
    P = _matrix(OUT)
    m = np.array([OUT[AAP, WORK], 0.0, OUT[AAP, OTHER]])
    m /= m.sum()
    expected = (m @ np.linalg.matrix_power(P, 12))[WORK]
    assert sim.measure(_t(from_state="aap", state="work", month=24)) == pytest.approx(expected, rel=1e-12)
    assert sim.measure(_t(from_state="aap", state="work", month=30, from_month=6)) == pytest.approx(expected, rel=1e-12)
    # lag 0: where the leavers went (exit_share's mix)
    lag0 = sim.measure(_t(from_state="aap", state="work", month=24, after_months=0))
    assert lag0 == pytest.approx(m[WORK], rel=1e-12)
    # out of a group: leaving {aap, other} means moving into work; 6 months on: the first row of P⁶
    assert sim.measure(_t(from_state="benefit_or_none", state="aap", month=12, after_months=6)) == \
        pytest.approx(np.linalg.matrix_power(P, 6)[WORK, AAP], rel=1e-12)


def test_probabilities_that_change_every_month_weigh_each_exit_month_by_its_leavers(tmp_path):
    """aap -> work rises with t: the share is Σ_c u_c · P_{c+1} ⋯ P_{c+lag} over Σ_c u_c, summed by hand."""
    sim = _toy(tmp_path, aap_to_work="0.02 + 0.002 * t", months=40)

    def P(c):  # the matrix of cycle c = 1, 2, … (formulas read t = c − 1)
        return _matrix({**OUT, (AAP, WORK): 0.02 + 0.002 * (c - 1)})

    x = np.array([0.1, 0.7, 0.2])
    later, left = 0.0, 0.0
    for c in range(1, 41):
        if 4 < c <= 28:  # exits in months 4 … 28 (from_month 4)
            u = x[AAP] * P(c)[AAP]
            u[AAP] = 0.0
            left += u.sum()
            for k in range(c + 1, c + 13):
                u = u @ P(k)
            later += u[OTHER]
        x = x @ P(c)
    value = sim.measure(_t(from_state="aap", state="other", month=28, from_month=4))
    assert value == pytest.approx(later / left, rel=1e-12)


def _brute_force(sim, strategy: str, source: list[int], first: int, last: int, lag: int) -> tuple[float, float]:
    """(leavers, of them in work lag cycles later), population sums over exit cycles first … last: each exit
    cycle's leavers followed alone by the dense reference path."""
    sc, model = sim.scenario, sim.scenario.model
    values, strata = sc.base_values(), sc.strata
    S, D, G = model.n_states, model.width, strata.size
    T = last + lag
    ns = model.namespace(values, strata, sc.spec.population.start_year, strategy, np.arange(T), 1)
    P = model.probabilities(ns, strategy, (1, G, T), strata, np.arange(T))
    occ = np.zeros((1, G, S, D))
    bins0 = np.broadcast_to(model.start_bins(values, strata, sc.spec.population.start_year, 1), (1, G))
    occ[0, np.arange(G), :, bins0[0]] = sc.start_mix(values)[0]
    outside = np.setdiff1d(np.arange(S), source)
    work = [model.states.index(s) for s in model.spec.groups["in_work"]]
    w = sc.stratum_weights(values)[0]
    left = in_work = 0.0
    for c in range(1, T + 1):
        if first <= c <= last:
            u = occ.copy()
            u[:, :, outside] = 0.0
            u, _ = advance(model, u, P[:, :, c - 1])
            u[:, :, source] = 0.0
            left += float(w @ u[0].sum(axis=(1, 2)))
            for k in range(c + 1, c + lag + 1):
                u, _ = advance(model, u, P[:, :, k - 1])
            in_work += float(w @ u[0][:, work].sum(axis=(1, 2)))
        occ, _ = advance(model, occ, P[:, :, c - 1])
    return left, in_work


@pytest.fixture(scope="module")
def rct(root):
    """The Norwegian trial's scenario (tenure tunnels, the AAP clock as a tracker, 40 strata), 9 months."""
    return simulate(ipsecon.load_scenario(root / "scenarios" / "norway_rct.yaml"), engine="cohort", horizon_years=0.75)


@pytest.mark.parametrize("strategy, from_month, month, lag", [("ips", 0, 6, 2), ("tau", 1, 4, 5)])
def test_tenure_and_tracker_agree_with_a_brute_force_reference(rct, strategy, from_month, month, lag):
    """IPS (hazard ratios that fade with time) and usual care; ips: 6 exit months and 3 lanes reused in turn."""
    source = rct.trace.state_members("on_aap")
    left, in_work = _brute_force(rct, strategy, source, from_month + 1, month, lag)
    value = rct.measure(Target(measure="state_after_exit", from_state="on_aap", state="in_work", strategy=strategy,
                               month=month, from_month=from_month, after_months=lag, value=0.5, source="test"))
    assert value == pytest.approx(in_work / left, rel=1e-10)
    # the leavers are exactly the trace's flows out of on_aap (another path: the kernel's flows)
    arrived, later = rct.after_exit(strategy, source, from_month + 1, month, lag)
    assert arrived.sum() == pytest.approx(left, rel=1e-10) and later.sum() == pytest.approx(left, rel=1e-10)
    k = rct.trace.strategies.index(strategy)
    flows = rct.trace.population_flows()[0, k, from_month:month]
    moves = [[rct.trace.states.index(s) for s in label.split("->")] for label in rct.trace.transitions]
    out = [r for r, (a, b) in enumerate(moves) if a in source and b not in source]
    assert arrived == pytest.approx(flows[:, out].sum(axis=1), rel=1e-10, abs=1e-15)


def test_exits_too_late_for_the_horizon_are_left_out(tmp_path):
    """A 24-month run, months 0-24, 12 after: only exits in months 1-12 have their reading within the run."""
    sim = _toy(tmp_path, aap_to_work="0.02 + 0.002 * t", months=24)
    longer = _toy(tmp_path, aap_to_work="0.02 + 0.002 * t", months=36)
    assert sim.measure(_t(from_state="aap", state="work", month=24)) == \
        pytest.approx(longer.measure(_t(from_state="aap", state="work", month=12)), rel=1e-12)


def test_bad_input_is_one_clear_line(tmp_path):
    sim = _toy(tmp_path, months=24)
    with pytest.raises(InputError, match=r"targets\.state: unknown state or group 'job'") as e:
        sim.measure(_t(from_state="aap", state="job", month=12))
    assert "\n" not in str(e.value)
    with pytest.raises(InputError, match=r"targets\.from_state: unknown state or group 'nav'"):
        sim.measure(_t(from_state="nav", state="work", month=12))
    with pytest.raises(InputError, match=r"targets\.after_months: no move in months 12-24 is followed by 12 months "
                                         r"within the run's horizon \(24 months\)") as e:
        sim.measure(_t(from_state="aap", state="work", month=24, from_month=12))
    assert "\n" not in str(e.value)
    with pytest.raises(InputError, match=r"targets\.month: month 30 is beyond the horizon"):
        sim.measure(_t(from_state="aap", state="work", month=30))
    # in a scenario file: a negative lag, a lag on another measure, no from_state
    spec = yaml.safe_load((tmp_path / "toy.yaml").read_text())
    cases = [({"after_months": -1}, r"targets\[0\]\.after_months: Input should be greater than or equal to 0"),
             ({"measure": "exit_share"}, r"targets\[0\]: .*after_months belongs to state_after_exit"),
             ({"from_state": None}, r"targets\[0\]: .*state_after_exit needs from_state")]
    for target, message in cases:
        spec["targets"] = [{"measure": "state_after_exit", "from_state": "aap", "state": "work", "strategy": "only",
                            "month": 12, "after_months": 6, "value": 0.4, "source": "test", **target}]
        spec["targets"][0] = {k: v for k, v in spec["targets"][0].items() if v is not None}
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(spec))
        with pytest.raises(InputError, match=message) as e:
            ipsecon.load_scenario(path)
        assert str(path) in str(e.value) and "\n" not in str(e.value)
