"""One call from a loaded scenario to a trace and its reward totals (either engine)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import accounting
from .cohort import run_cohort
from .microsim import run_microsim
from .scenario import LoadedScenario
from .trace import Trace


@dataclass
class Simulation:
    scenario: LoadedScenario
    trace: Trace
    seed: int
    individuals: int | None
    horizon_years: float

    @property
    def n_cycles(self) -> int:
        return self.trace.n_cycles

    def reward_series(self, name: str, discounted: bool = True) -> np.ndarray:
        """Population reward per cycle [sample, strategy, cycle] (per person, in the reward's unit)."""
        model = self.scenario.model
        times = np.arange(self.n_cycles + 1) * model.cycle_years
        rate = model.spec.discount[model.rewards[name]["kind"]] if discounted else 0.0
        v = accounting.discount_factors(times, rate)
        tr = self.trace
        # one-off transition rewards only where the model declares some (saves a pass over the flows)
        has_tr = bool(model.rewards[name]["transitions"])
        flows = tr.flows if has_tr else tr.flows[..., :0]
        per_stratum = accounting.reward_per_cycle(tr.occupancy, flows, tr.reward_states[name],
                                                  tr.reward_transitions[name] if has_tr else flows, model.spec.counting, v)
        return np.einsum("nkgt,g->nkt", per_stratum, tr.weights)

    def reward_totals(self, discounted: bool = True) -> dict[str, np.ndarray]:
        return {r: self.reward_series(r, discounted).sum(axis=-1) for r in self.scenario.model.rewards}

    def reward_standard_errors(self) -> dict[str, np.ndarray]:
        """Monte Carlo standard error of each discounted per-person total (microsim only)."""
        if self.trace.engine != "microsim" or not self.individuals:
            return {}
        return {r: sd / np.sqrt(self.individuals) for r, sd in self.trace.totals_sd.items()}


def horizon_cycles(scenario: LoadedScenario, horizon_years: float) -> int:
    return max(1, int(round(horizon_years / scenario.model.cycle_years)))


def simulate(scenario: LoadedScenario, engine: str | None = None, individuals: int | None = None,
             seed: int | None = None, horizon_years: float | None = None,
             values: dict[str, Any] | None = None, n_samples: int = 1, chunk_size: int = 4096) -> Simulation:
    run = scenario.spec.run
    engine = engine or run.engine
    horizon_years = horizon_years or run.horizon_years
    seed = run.seed if seed is None else seed
    values = scenario.base_values() if values is None else values
    T = horizon_cycles(scenario, horizon_years)
    mix = scenario.start_mix(values, n_samples)
    year = scenario.spec.population.start_year
    if engine == "cohort":
        trace = run_cohort(scenario.model, values, scenario.strata, mix, year, T, n_samples)
        individuals = None
    else:
        individuals = individuals or run.individuals
        trace = run_microsim(scenario.model, values, scenario.strata, mix, year, T, individuals, seed, n_samples, chunk_size)
    return Simulation(scenario, trace, seed, individuals, horizon_years)
