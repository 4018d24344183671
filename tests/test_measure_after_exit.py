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
                      "ever_in": ["work"],
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


def test_ever_within_a_window_is_one_minus_the_mass_kept_out_of_the_state(tmp_path):
    """within_months: in work at one or more month ends a+1 … b after leaving AAP. From the mix x_a at month a,
    the mass never in work by month b is x_a · (P Z)^(b − a), Z emptying the work column."""
    sim = _toy(tmp_path)
    P = _matrix(OUT)
    m = np.array([OUT[AAP, WORK], 0.0, OUT[AAP, OTHER]])
    m /= m.sum()
    Q = P.copy()
    Q[:, WORK] = 0.0
    for a, b in [(6, 18), (0, 12), (11, 12)]:
        x_a = m @ np.linalg.matrix_power(P, a)
        expected = 1.0 - (x_a @ np.linalg.matrix_power(Q, b - a)).sum()
        value = sim.measure(_t(from_state="aap", state="work", month=24, after_months=b, within_months=b - a))
        assert value == pytest.approx(expected, rel=1e-12), (a, b)
    point = sim.measure(_t(from_state="aap", state="work", month=24, after_months=18))
    assert value > 0 and sim.measure(_t(from_state="aap", state="work", month=24, after_months=18,
                                         within_months=12)) > point  # ever over a year beats one month's share


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


def _brute_force(sim, strategy: str, source: list[int], first: int, last: int, lag: int,
                 window: int = 0) -> tuple[float, float, float]:
    """(leavers, of them in work lag cycles later, of them in work at one or more of the last ``window`` points),
    population sums over exit cycles first … last: each exit cycle's leavers followed alone by the dense
    reference path."""
    sc, model = sim.scenario, sim.scenario.model
    values, strata = sc.base_values(), sc.strata
    S, D, G = model.n_states, model.width, strata.size
    T = last + lag
    P = _dense(sim, strategy)
    occ = np.zeros((1, G, S, D))
    bins0 = np.broadcast_to(model.start_bins(values, strata, sc.spec.population.start_year, 1), (1, G))
    occ[0, np.arange(G), :, bins0[0]] = sc.start_mix(values)[0]
    outside = np.setdiff1d(np.arange(S), source)
    work = [model.states.index(s) for s in model.spec.groups["in_work"]]
    w = sc.stratum_weights(values)[0]
    left = in_work = ever = 0.0
    for c in range(1, T + 1):
        if first <= c <= last:
            u = occ.copy()
            u[:, :, outside] = 0.0
            u, _ = advance(model, u, P[:, :, c - 1])
            u[:, :, source] = 0.0
            left += float(w @ u[0].sum(axis=(1, 2)))
            never = u.copy() if lag == window else None
            for k in range(c + 1, c + lag + 1):
                u, _ = advance(model, u, P[:, :, k - 1])
                if never is not None:
                    never, _ = advance(model, never, P[:, :, k - 1])
                    never[:, :, work] = 0.0
                if k == c + lag - window:  # the window opens: from here on count who gets into work
                    never = u.copy()
            in_work += float(w @ u[0][:, work].sum(axis=(1, 2)))
            if window:
                ever += float(w @ u[0].sum(axis=(1, 2))) - float(w @ never[0].sum(axis=(1, 2)))
        occ, _ = advance(model, occ, P[:, :, c - 1])
    return left, in_work, ever


_DENSE: dict = {}


def _dense(sim, strategy: str, cycles: int = 9) -> np.ndarray:
    """The dense per-cycle probabilities P[1, stratum, cycle, state, i, next] of the first ``cycles`` cycles
    (made once per strategy: most of the reference's time)."""
    if (id(sim), strategy) not in _DENSE:
        sc, model = sim.scenario, sim.scenario.model
        ns = model.namespace(sc.base_values(), sc.strata, sc.spec.population.start_year, strategy, np.arange(cycles), 1)
        _DENSE[id(sim), strategy] = model.probabilities(ns, strategy, (1, sc.strata.size, cycles), sc.strata,
                                                        np.arange(cycles))
    return _DENSE[id(sim), strategy]


@pytest.fixture(scope="module")
def rct(root):
    """The Norwegian trial's scenario (tenure tunnels, the AAP clock as a tracker, 40 strata), 9 months."""
    return simulate(ipsecon.load_scenario(root / "scenarios" / "norway_rct.yaml"), engine="cohort", horizon_years=0.75)


@pytest.mark.parametrize("strategy, from_month, month, lag, window", [("ips", 0, 6, 2, 0), ("tau", 1, 4, 5, 0),
                                                                        ("ips", 0, 5, 4, 3), ("tau", 2, 4, 5, 5)])
def test_tenure_and_tracker_agree_with_a_brute_force_reference(rct, strategy, from_month, month, lag, window):
    """IPS (hazard ratios that fade with time) and usual care; ips: 6 exit months and 3 lanes reused in turn;
    with windows: ever in work over the last 3 of 4 months, and over all 5 from the exit on."""
    source = rct.trace.state_members("on_aap")
    left, in_work, ever = _brute_force(rct, strategy, source, from_month + 1, month, lag, window)
    target = {"measure": "state_after_exit", "from_state": "on_aap", "state": "in_work", "strategy": strategy,
              "month": month, "from_month": from_month, "after_months": lag, "value": 0.5, "source": "test"}
    value = rct.measure(Target(**target, **({"within_months": window} if window else {})))
    assert value == pytest.approx((ever if window else in_work) / left, rel=1e-10)
    if window:
        assert ever > in_work
        return
    # the leavers are exactly the trace's flows out of on_aap (another path: the kernel's flows)
    arrived, later, _ = rct.after_exit(strategy, source, from_month + 1, month, lag)
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
    with pytest.raises(InputError, match=r"targets\.state: within_months needs 'other' listed in model\.ever_in"):
        sim.measure(_t(from_state="aap", state="other", month=6, within_months=6))
    # in a scenario file: a negative lag, a lag on another measure, no from_state
    spec = yaml.safe_load((tmp_path / "toy.yaml").read_text())
    cases = [({"after_months": -1}, r"targets\[0\]\.after_months: Input should be greater than or equal to 0"),
             ({"measure": "exit_share"}, r"targets\[0\]: .*after_months and within_months belong to state_after_exit"),
             ({"within_months": 7}, r"targets\[0\]: .*within_months must be at most after_months"),
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


def test_a_run_shows_the_figure_only_when_its_whole_window_fits(tmp_path):
    """A figure read 12 months after moves up to month 12 needs 24 months: a 12-month run leaves it out (rather
    than measuring a shortened window or failing), a 24-month run shows it."""
    from ipsecon.output.results import target_rows

    for months, shown in ((12, False), (24, True)):
        sim = _toy(tmp_path, months=months)
        sim.scenario.spec.targets.append(_t(from_state="aap", state="work", month=12))
        rows = target_rows(sim)
        assert any(r["measure"] == "state_after_exit" for r in rows) == shown
