"""Subgroups that move alike run once (cohort engine): a strategy whose transition values read no attribute
that tells two subgroups apart (the comparator does not read who would use the programme) advances one of
them and copies its trace to the other; subgroups whose values under a strategy are those under an earlier
one (IPS's non-users) take their trace from it. The trace must be the same to the bit as running every subgroup."""

import numpy as np
import pytest

from ipsecon.engines import cohort
from ipsecon.engines.simulate import simulate
from ipsecon.model.scenario import load_scenario


@pytest.fixture(scope="module")
def bodo():
    return load_scenario("scenarios/bodo.yaml")


def test_dynamics_reads_follows_variables_strategy_sets_and_age(bodo):
    m, cols = bodo.model, bodo.strata.columns
    # ips_user enters the transitions only through the IPS strategy's hr_entry/hr_exit (is_user);
    # start_age through age (mortality, retirement), sex through the life table, work_class through the hazards
    assert m.dynamics_reads("tau", cols) == {"start_age", "sex", "work_class"}
    assert m.dynamics_reads("ips", cols) == {"start_age", "sex", "work_class", "ips_user"}


def test_alike_subgroups_run_once_and_the_trace_is_the_same_to_the_bit(bodo, monkeypatch):
    n_strata = bodo.strata.size
    calls = []
    real = cohort._run_strategy

    def counting(k, strategy, strata, *args, **kwargs):
        calls.append((strategy, strata.size))
        return real(k, strategy, strata, *args, **kwargs)

    monkeypatch.setattr(cohort, "_run_strategy", counting)
    fast = simulate(bodo, engine="cohort", horizon_years=2)
    # tau runs half the subgroups (users and non-users alike there), ips its users (its non-users move as under tau)
    # (the kernels' load runs a cycle first)
    assert calls[-2:] == [("tau", n_strata // 2), ("ips", n_strata // 2)]
    monkeypatch.setattr(cohort, "_alike_strata", lambda *a: (None, None))
    monkeypatch.setattr(cohort, "_twin_strategy", lambda *a: (None, None))
    calls.clear()
    plain = simulate(bodo, engine="cohort", horizon_years=2)
    assert calls[-2:] == [("tau", n_strata), ("ips", n_strata)]
    for name in ("occupancy", "flows", "ever"):
        assert np.array_equal(getattr(fast.trace, name), getattr(plain.trace, name)), name
    for r in plain.trace.reward_states:
        assert np.array_equal(fast.trace.reward_states[r], plain.trace.reward_states[r]), r


def test_subgroups_that_start_apart_are_not_merged(bodo):
    """Users and non-users that start in different states (or tracker bins) are run each: only the start decides."""
    m, strata = bodo.model, bodo.strata
    start = np.broadcast_to(bodo.start_mix(bodo.base_values()), (1, strata.size, m.n_states)).copy()
    bins0 = np.zeros((strata.size, 1), dtype=np.int64)
    rows, copies = cohort._alike_strata(m, "tau", strata, start, bins0)
    assert len(rows) == strata.size // 2 and np.array_equal(rows[copies][rows], rows)
    user = strata.columns["ips_user"] == "yes"
    start[0, user] = np.roll(start[0, user], 1, axis=-1)  # users start elsewhere
    assert cohort._alike_strata(m, "tau", strata, start, bins0) == (None, None)
    bins0[user] = 1
    start[0, user] = np.roll(start[0, user], -1, axis=-1)
    assert cohort._alike_strata(m, "tau", strata, start, bins0) == (None, None)



def test_twins_are_the_subgroups_whose_values_do_not_change_with_the_strategy(bodo):
    """Under IPS, Bodø's non-users read the comparator's values to the bit (the effects reach users only): they are
    the twins, and only they. In the Norwegian trial everybody gets IPS: there are none."""
    m, strata, values = bodo.model, bodo.strata, bodo.base_values()
    k0, twins = cohort._twin_strategy(m, values, strata, 2015, 1, 120, 1)
    assert k0 == 0 and np.array_equal(twins, strata.columns["ips_user"] == "no")
    rct = load_scenario("scenarios/norway_rct.yaml")
    assert cohort._twin_strategy(rct.model, rct.base_values(), rct.strata, rct.spec.population.start_year, 1, 60,
                                 1) == (None, None)


def test_twins_are_found_over_the_whole_horizon_not_the_first_cycle(bodo, monkeypatch):
    """Subgroups whose values part from the earlier strategy's only later (here: one transition's row, from month 30)
    are no twins; the other non-users still are."""
    m, strata, values = bodo.model, bodo.strata, bodo.base_values()
    real = m.compact
    probe = real(m.namespace(values, strata, 2015, "ips", np.arange(1), 1), "ips", (1, strata.size, 1), strata,
                 np.arange(1))
    q = next(q for q, sh in enumerate(probe.shapes) if sh[1] > 1)
    changed = probe.row_of(q) == probe.row_of(q)[np.nonzero(strata.columns["ips_user"] == "no")[0][0]]

    def late_change(ns, strategy, shape, strata_, cycles, *a, **kw):
        cv = real(ns, strategy, shape, strata_, cycles, *a, **kw)
        if strategy == "ips" and cycles.max() >= 30:
            cv.stored(q)[:, cv.row_of(q)[changed][0]] *= 1.0 + 1e-12
        return cv

    monkeypatch.setattr(m, "compact", late_change)
    k0, twins = cohort._twin_strategy(m, values, strata, 2015, 1, 120, 1)
    assert k0 == 0 and changed.any() and not twins[changed].any()
    assert np.array_equal(twins, (strata.columns["ips_user"] == "no") & ~changed)


def test_twins_over_psa_samples_give_the_trace_of_running_them(bodo, monkeypatch):
    """With PSA samples (each its own lane) the twins' copied trace is the one running them gives, to the bit."""
    from ipsecon.uncertainty.sampling import draw_samples

    values = draw_samples(bodo, 3, seed=11).values(bodo.base_values())
    args = dict(engine="cohort", values=values, n_samples=3, horizon_years=3)
    fast = simulate(bodo, **args)
    monkeypatch.setattr(cohort, "_twin_strategy", lambda *a: (None, None))
    plain = simulate(bodo, **args)
    for name in ("occupancy", "flows", "ever"):
        assert np.array_equal(getattr(fast.trace, name), getattr(plain.trace, name)), name
