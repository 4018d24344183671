"""One call from a loaded scenario to a trace and its reward totals (either engine)."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from ipsecon.engines import counting as accounting
from ipsecon.engines import exit_cohorts, measures, tracker_stock
from ipsecon.engines.cohort import cohort_reward_totals, load_kernels, run_cohort
from ipsecon.engines.memory import check_memory
from ipsecon.engines.microsim import run_microsim
from ipsecon.engines.trace import Trace
from ipsecon.errors import InputError
from ipsecon.inputs.schema import Target
from ipsecon.model.scenario import LoadedScenario
from ipsecon.progress import slow_step

_WARM: set = set()  # engines whose kernels this process has run (cohort: with or without a trace)

@dataclass
class Simulation:
    """A run: its trace, or with ``simulate(trace=False)`` only its reward totals
    (``totals[discounted][reward]``, [sample, strategy]) and ``trace`` None."""

    scenario: LoadedScenario
    trace: Trace | None
    seed: int
    individuals: int | None
    horizon_years: float
    totals: dict[bool, dict[str, np.ndarray]] | None = None
    values: dict[str, Any] | None = None  # the run's parameter values; None (a slice of another run): the base case

    @property
    def n_cycles(self) -> int:
        return horizon_cycles(self.scenario, self.horizon_years) if self.trace is None else self.trace.n_cycles

    def discount_factors(self, name: str, discounted: bool = True) -> np.ndarray:
        """v at points 0 … T for reward ``name`` (ones when not discounted)."""
        model = self.scenario.model
        times = np.arange(self.n_cycles + 1) * model.cycle_years
        rate = model.discount_rate[model.rewards[name]["kind"]] if discounted else 0.0
        return accounting.discount_factors(times, rate)

    def reward_series(self, name: str, discounted: bool = True) -> np.ndarray:
        """Population reward per cycle [sample, strategy, cycle] (per person, in the reward's unit)."""
        if self.trace is None:
            raise ValueError("this simulation kept no trace (simulate(trace=False)): only reward_totals() is available")
        model = self.scenario.model
        v = self.discount_factors(name, discounted)
        tr = self.trace
        # one-off transition rewards only where the model declares some (saves a pass over the flows)
        has_tr = bool(model.rewards[name]["transitions"])
        flows = tr.flows if has_tr else tr.flows[..., :0]
        per_stratum = accounting.reward_per_cycle(tr.occupancy, flows, tr.reward_states[name],
                                                  tr.reward_transitions[name] if has_tr else flows,
                                                  accounting.reward_counting(model, name), v,
                                                  tr.reward_masses.get(name))
        return tr.over_strata(per_stratum)

    def reward_totals(self, discounted: bool = True) -> dict[str, np.ndarray]:
        """Per-person total of each reward [sample, strategy]."""
        if self.totals is not None:
            return dict(self.totals[discounted])
        return {r: self.reward_series(r, discounted).sum(axis=-1) for r in self.scenario.model.rewards}

    def measure(self, target: "Target", path: str = "targets") -> float:
        """The model's value for a target (:mod:`ipsecon.engines.measures`)."""
        rewards = {r: partial(self.reward_series, r, False) for r in self.scenario.model.rewards}  # undiscounted
        return measures.measure(self.trace, target, self.scenario.model.cycle_years, self.scenario.file, path, rewards,
                                self.after_exit, self.tracker_stock)

    def after_exit(self, strategy: str, source: list[int], first: int, last: int, lag: int,
                   window: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Population (arrived[e], later[e, state], ever[e, j]) of :func:`exit_cohorts.after_exit`, sample 0,
        weighted over strata: the cohort engine's exact values, also for a microsim run (which keeps no
        per-person exit times)."""
        sc = self.scenario
        values = exit_cohorts.one_sample(sc.base_values() if self.values is None else self.values)
        arrived, later, ever = exit_cohorts.after_exit(sc.model, values, sc.strata, sc.start_mix(values, 1)[:1],
                                                       sc.spec.population.start_year, strategy, source, first, last,
                                                       lag, window)
        w = sc.stratum_weights(values, 1)[0]
        return w @ arrived, np.einsum("g,ges->es", w, later), np.einsum("g,gej->ej", w, ever)

    def tracker_stock(self, strategy: str, states: list[int], tracker: str, at_least: int,
                      last: int) -> tuple[np.ndarray, np.ndarray]:
        """Population (held[t], beyond[t]) of :func:`tracker_stock.stock`, sample 0, weighted over strata: the
        cohort engine's exact values, also for a microsim run (as ``after_exit``)."""
        sc = self.scenario
        values = exit_cohorts.one_sample(sc.base_values() if self.values is None else self.values)
        held, beyond = tracker_stock.stock(sc.model, values, sc.strata, sc.start_mix(values, 1)[:1],
                                           sc.spec.population.start_year, strategy, states, tracker, at_least, last)
        w = sc.stratum_weights(values, 1)[0]
        return w @ held, w @ beyond

    def reward_standard_errors(self) -> dict[str, np.ndarray]:
        """Monte Carlo standard error of each discounted per-person total (microsim only)."""
        if self.trace is None or self.trace.engine != "microsim" or not self.individuals:
            return {}
        return {r: sd / np.sqrt(self.individuals) for r, sd in self.trace.totals_sd.items()}

    def incremental_standard_errors(self) -> dict[str, np.ndarray]:
        """Monte Carlo standard error of each strategy's discounted per-person total minus the
        comparator's [sample, strategy] (microsim only): paired, from the same people and random
        numbers in every strategy, so far below the unpaired sqrt(se_a² + se_b²) where the
        strategies share most of their variation."""
        if self.trace is None or self.trace.engine != "microsim" or not self.individuals:
            return {}
        return {r: sd / np.sqrt(self.individuals) for r, sd in self.trace.totals_diff_sd.items()}


def horizon_cycles(scenario: LoadedScenario, horizon_years: float) -> int:
    return max(1, int(round(horizon_years / scenario.model.cycle_years)))


def simulate(scenario: LoadedScenario, engine: str | None = None, individuals: int | None = None,
             seed: int | None = None, horizon_years: float | None = None,
             values: dict[str, Any] | None = None, n_samples: int = 1, chunk_size: int = 4096,
             trace: bool = True, kernel: str = "months") -> Simulation:
    """Run ``scenario`` with either engine.

    ``kernel`` (microsim): "months" or "events" (``microsim.run_microsim``).

    ``trace=False`` (cohort engine; the microsim always keeps its trace): keep no trace. The
    kernel adds up every reward's discounted and undiscounted totals as it runs
    (``cohort.cohort_reward_totals``), so only ``reward_totals()`` is available: the same
    numbers as from the trace (to rounding; tested to 1e-12 relative) in a fraction of the
    time and memory, for PSA runs that need nothing else.
    """
    run = scenario.spec.run
    engine = engine or run.engine
    horizon_years = horizon_years or run.horizon_years
    seed = run.seed if seed is None else seed
    values = scenario.base_values() if values is None else values
    if scenario.model.discount_rates(values) != scenario.model.discount_rate:
        raise InputError(scenario.file, "model.discount", "the discount rates of these values differ from the scenario's "
                         f"{scenario.model.discount_rate}", "change discount rates with overrides (--set), not per sample")
    # refuse a run that would not fit in memory before allocating any of it
    check_memory(scenario, engine, individuals, horizon_years, n_samples, trace or engine != "cohort", seed)
    T = horizon_cycles(scenario, horizon_years)
    mix = scenario.start_mix(values, n_samples)
    weights = scenario.stratum_weights(values, n_samples)
    year = scenario.spec.population.start_year
    # the first run in a process loads the numba kernels, or compiles them after an install (~20 s): say so
    step = f"{engine} engine: loading or, after an install, compiling its numerical kernels (about 20 s)"
    first = engine not in _WARM
    _WARM.add(engine)
    totals_only = engine == "cohort" and not trace and not scenario.model.cell_rewards
    if engine == "cohort" and (engine, totals_only) not in _WARM:
        _WARM.add((engine, totals_only))
        with slow_step(step):  # the kernels alone, on one cycle of one sample: the run itself is not loading
            load_kernels(scenario.model, exit_cohorts.one_sample(values), scenario.strata, mix[:1], year, not totals_only)
    with slow_step(step) if first and engine != "cohort" else nullcontext():
        # rewards per tunnel cell are added up from the trace's cell occupancy: they keep one
        if engine == "cohort" and not trace and not scenario.model.cell_rewards:
            sim = Simulation(scenario, None, seed, None, horizon_years)
            combos = [(r, d) for d in (True, False) for r in scenario.model.rewards]
            cycle = [(r,) + accounting.cycle_weights(accounting.reward_counting(scenario.model, r), sim.discount_factors(r, d))
                     for r, d in combos]
            out = cohort_reward_totals(scenario.model, values, scenario.strata, mix, year, T, n_samples, cycle, weights)
            sim.totals = {True: {}, False: {}}
            for (r, d), x in zip(combos, out):
                sim.totals[d][r] = x
            return sim
        if engine == "cohort":
            result = run_cohort(scenario.model, values, scenario.strata, mix, year, T, n_samples)
            result.weights = weights
            individuals = None
        else:
            individuals = individuals or run.individuals
            accounting.check_microsim(scenario.model)
            # the same people in every sample (common random numbers), drawn at the base case's
            # shares; where shares are parameters each sample reweights them
            drawn = scenario.strata
            if drawn.share_formulas:
                drawn = replace(drawn, weight=scenario.stratum_weights(scenario.base_values())[0])
            result = run_microsim(scenario.model, values, drawn, mix, year, T, individuals, seed, n_samples, chunk_size,
                                  kernel=kernel)
            if drawn.share_formulas:
                result.weights = _reweighted(result.counts, drawn.weight, weights, scenario.file)
        return Simulation(scenario, result, seed, individuals, horizon_years, values=values)


def _reweighted(counts: np.ndarray, drawn: np.ndarray, wanted: np.ndarray, file: str) -> np.ndarray:
    """Microsim strata weights [sample, stratum] for people drawn at shares ``drawn`` whose
    population has shares ``wanted`` per sample: each stratum's drawn share times wanted / drawn
    (importance weights), normalised — the drawn shares themselves where wanted == drawn."""
    if np.any((wanted > 0) & (counts == 0)[None, :] & (drawn == 0)[None, :]):
        raise InputError(file, "population.attributes", "a sample gives people to a subgroup that is empty at the base case",
                         "shares above 0 at the base case for every level a sample can reach")
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(drawn > 0, counts / counts.sum() * wanted / drawn, 0.0)
    return w / w.sum(axis=1, keepdims=True)
