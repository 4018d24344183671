"""Subgroups that move alike run once (cohort engine): a strategy whose transition values read no attribute
that tells two subgroups apart (the comparator does not read who would use the programme) advances one of
them and copies its trace to the other. The trace must be the same to the bit as running every subgroup."""

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
    # tau runs half the subgroups (users and non-users alike there), ips all of them (the kernels' load runs a cycle first)
    assert calls[-2:] == [("tau", n_strata // 2), ("ips", n_strata)]
    monkeypatch.setattr(cohort, "_alike_strata", lambda *a: (None, None))
    plain = simulate(bodo, engine="cohort", horizon_years=2)
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
