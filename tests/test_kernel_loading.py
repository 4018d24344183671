"""``cohort.load_kernels`` loads (or compiles) the very specialisations of the cohort kernel that a run then
calls, with or without a trace, so ``simulate``'s loading step times the loading alone, not the run."""

from pathlib import Path

import numpy as np

from ipsecon.engines import cohort_kernel
from ipsecon.engines.cohort import cohort_reward_totals, load_kernels, run_cohort
from ipsecon.engines.simulate import horizon_cycles
from ipsecon.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_a_run_calls_only_what_load_kernels_loaded():
    sc = load_scenario(ROOT / "scenarios/bodo.yaml")  # ever states: a run without a trace keeps none (other types)
    values, year, T = sc.base_values(), sc.spec.population.start_year, horizon_cycles(sc, 0.25)
    for trace in (True, False):
        load_kernels(sc.model, values, sc.strata, sc.start_mix(values, 1), year, trace)
        loaded = set(cohort_kernel.cohort_worker.signatures)
        assert loaded
        if trace:
            run_cohort(sc.model, values, sc.strata, sc.start_mix(values, 3), year, T, 3)
        else:
            cohort_reward_totals(sc.model, values, sc.strata, sc.start_mix(values, 3), year, T, 3,
                                 [("qalys", np.ones(T), np.zeros(T), np.zeros(T))])
        assert set(cohort_kernel.cohort_worker.signatures) == loaded  # nothing more to load or compile
