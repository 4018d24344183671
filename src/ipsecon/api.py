"""The pipeline behind every command: scenario -> engine -> ledger -> economics -> one Dataset.

    import ipsecon
    sc = ipsecon.load_scenario("scenarios/bodo.yaml", overrides={"ips.persistence.half_life": 3}, structure="no_decay")
    result = ipsecon.run(sc, engine="cohort", horizon=10)
    result.dataset                       # trace, ledger flows, economics, break-even wages, targets
    result.save("results/bodo_test")     # results.nc, occupancy.csv, summary.csv, breakeven.csv
    ipsecon.write_report("results/bodo_test")

The CLI parses options, makes one of these calls and prints or saves what comes back; it
computes nothing itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import xarray as xr

from ipsecon.economics import evaluation
from ipsecon.economics.breakeven import breakeven_table
from ipsecon.economics.defaults import HEADLINE_PERSPECTIVES, report_horizons
from ipsecon.engines.simulate import Simulation, simulate
from ipsecon.errors import InputError
from ipsecon.model.scenario import (
    LoadedScenario,
    content_digest,
    load_scenario,
    replace_variables,
)
from ipsecon.model.state_machine import CompiledModel
from ipsecon.money.ledger import build_ledger
from ipsecon.output import results as results_io
from ipsecon.output.provenance import run_attributes


@dataclass
class Result:
    """One run of a scenario: ``dataset`` holds everything it produced, labelled, with provenance."""

    dataset: xr.Dataset
    simulation: Simulation
    summary: pd.DataFrame
    economics: pd.DataFrame | None = None  # incremental outcomes per intervention and perspective
    breakeven: pd.DataFrame | None = None
    targets: list[dict] = field(default_factory=list)
    cea: pd.DataFrame | None = None  # a model without the ledger: cost-effectiveness per strategy (evaluation.ce_table)

    @property
    def scenario(self) -> LoadedScenario:
        return self.simulation.scenario

    def save(self, out_dir: str | Path, excel: bool = False) -> dict[str, Path]:
        """Write results.nc, occupancy.csv, summary.csv, (with break-even wages) breakeven.csv and (``excel``)
        results.xlsx as one run folder: the folder then holds this run only, or, if writing fails, the
        previous run untouched."""
        return results_io.write_results(self, Path(out_dir), excel=excel)


def run(scenario: LoadedScenario, engine: str | None = None, horizon: float | None = None, seed: int | None = None,
        individuals: int | None = None, breakeven: bool = True,
        perspectives: Iterable[str] = HEADLINE_PERSPECTIVES, command: str | None = None,
        structures: bool = True, wtp: float | None = None) -> Result:
    """Run ``scenario`` and evaluate it: trace, payer ledger and economics per perspective (for
    labour-market models), break-even wages at the standard horizons up to the run's, and the
    scenario's validation targets. With ``structures`` (the default) a run of the base case also runs
    each structural alternative of the model that changes something (``model.structures`` with
    variables, e.g. ``catch_up_3y``) with the same engine, seed and size, and stores its incremental
    NPV and break-even wage at the run's horizon beside the base case's (``structure_*`` variables).
    A model without the ledger that has cost and effect rewards gets the cost-effectiveness table
    instead (``Result.cea``, ``ce_*`` variables): increments, ICERs, dominance and NMB at ``wtp``
    (default: the model's ``wtp:``)."""
    engine = engine or scenario.spec.run.engine
    alternatives = (structure_alternatives(scenario) if structures and scenario.structure is None
                    and scenario.model.interventions and evaluation.has_ledger(scenario.model) else [])
    alt_sims = None
    if alternatives and engine == "cohort" and _batch_fits(scenario, horizon, 1 + len(alternatives)):
        # the base case and its alternatives in one batched cohort run (sample 0 is the base case)
        sim, *alt_sims = structure_simulations(scenario, [scenario] + alternatives, horizon, seed)
    else:
        sim = simulate(scenario, engine=engine, individuals=individuals, seed=seed, horizon_years=horizon)
    entry_years = None
    if (scenario.spec.population.entrants is not None and evaluation.has_ledger(scenario.model)
            and sim.trace.engine == "cohort" and (not alternatives or alt_sims is not None)):
        # an open population's entry cohorts run beside the base case's economics: their kernel releases the GIL,
        # and nothing before their result below runs a kernel (the structures' runs are in hand)
        from concurrent.futures import ThreadPoolExecutor

        from ipsecon.engines.open_population import run_open_population

        pool = ThreadPoolExecutor(1, thread_name_prefix="ipsecon-entry-years")
        entry_years = pool.submit(run_open_population, sim)
        pool.shutdown(wait=False)  # its one task runs on; its result (or error) is read below
    ds = results_io.to_dataset(sim)
    table, be, cea = None, None, None
    if not evaluation.has_ledger(scenario.model):
        kinds = {r["kind"] for r in scenario.model.rewards.values()}
        if scenario.model.interventions and kinds >= {"cost", "effect"}:
            cea = evaluation.cost_effectiveness(sim, wtp)
            ce = evaluation.ce_dataset(cea)
            ds = ds.merge(ce, combine_attrs="override")
            ds.attrs.update(ce.attrs)
    else:  # the payer ledger applies to labour-market models
        ledger = build_ledger(sim)
        outcomes = evaluation.evaluate(ledger, wtp=ledger.qaly_value, comparator=scenario.model.comparator)
        ds = results_io.with_economics(ds, ledger, outcomes["summary"])
        summary = outcomes["summary"]
        table = summary[(summary["sample"] == 0) & (summary["strategy"] != scenario.model.comparator)]
        if breakeven and scenario.model.interventions:
            be = breakeven_table({scenario.name: sim}, perspectives, report_horizons(sim.horizon_years))
            ds = results_io.with_breakeven(ds, be)
        if alternatives:
            ds = results_io.with_structure_outcomes(ds, *structure_outcomes(scenario, sim, perspectives, breakeven,
                                                                            alternatives, alt_sims))
        if scenario.spec.population.entrants is not None:  # an open population: results by calendar year too
            from ipsecon.economics.calendar_years import calendar_years

            calendar = calendar_years(sim, population=None if entry_years is None else entry_years.result())
            ds = ds.merge(calendar, join="left", combine_attrs="override")  # keep the run's coordinate order
            ds.attrs.update(calendar.attrs)
    targets = results_io.target_rows(sim)
    ds = results_io.with_targets(ds, targets)
    ds.attrs.update(run_attributes(scenario, sim.trace.engine, sim.seed, sim.individuals, sim.horizon_years, command))
    return Result(ds, sim, results_io.summary_frame(sim), table, be, targets, cea)


def structure_alternatives(scenario: LoadedScenario) -> list[LoadedScenario]:
    """The scenario with each structural alternative of its model that changes a variable, as
    ``load_scenario(..., structure=name)`` loads it: the same files, with the structure's variables
    replaced in the model. Made from the loaded scenario (only its model is compiled again), not read
    again: reading the scenario's parameter files three times took 0.3 s of Bodø's run."""
    if scenario.structure is not None:  # alternatives replace the scenario's own variables, not another structure's
        return [load_scenario(scenario.file, overrides=scenario.overrides, structure=name)
                for name, st in scenario.model.spec.structures.items() if st.variables]
    spec, file = scenario.model.spec, scenario.model.file
    out = []
    for name, st in spec.structures.items():
        if not st.variables:
            continue
        model = CompiledModel(replace_variables(spec, st.variables, file, f"model.structures.{name}.variables"), file)
        alt = replace(scenario, model=model, structure=name, digest=content_digest(scenario.digest, name))
        model.discount_rate = model.discount_rates(alt.base_values())
        alt.start_mix(alt.base_values())  # checked as load_scenario checks it
        out.append(alt)
    return out


def structure_outcomes(scenario: LoadedScenario, base: Simulation, perspectives: Iterable[str],
                       breakeven: bool = True, alternatives: list[LoadedScenario] | None = None,
                       simulations: list[Simulation] | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None] | None:
    """Each structural alternative that changes a variable, run as ``--structure NAME`` would run it
    (same engine, seed, size and horizon): (incremental outcomes per structure, perspective and
    intervention; break-even wages at the run's horizon, or None). None when the model has none.
    ``alternatives`` (:func:`structure_alternatives`) and their ``simulations`` may be given (``run``
    batches them with the base case); by default they are loaded and run here."""
    alts = structure_alternatives(scenario) if alternatives is None else alternatives
    if not alts:
        return None
    sims = simulations
    if sims is None and base.trace.engine == "cohort" and _batch_fits(scenario, base.horizon_years, len(alts)):
        sims = structure_simulations(scenario, alts, base.horizon_years, base.seed)
    elif sims is None:  # microsim (its totals depend on how many samples share a call), or too big: one run each
        sims = [simulate(alt, engine=base.trace.engine, individuals=base.individuals, seed=base.seed,
                         horizon_years=base.horizon_years) for alt in alts]
    outcomes, wages = [], []
    for alt, sim in zip(alts, sims):
        name = alt.structure
        ledger = build_ledger(sim)
        summary = evaluation.evaluate(ledger, wtp=ledger.qaly_value, comparator=alt.model.comparator)["summary"]
        rows = summary[(summary["sample"] == 0) & (summary["strategy"] != alt.model.comparator)]
        outcomes.append(rows.assign(structure=name))
        if breakeven:
            wages.append(breakeven_table({alt.name: sim}, perspectives, [sim.horizon_years]).assign(structure=name))
    return pd.concat(outcomes, ignore_index=True), (pd.concat(wages, ignore_index=True) if wages else None)


STRUCTURE_INDEX = "ipsecon_structure_index"  # the name the batched structures' formulas read


def structure_simulations(scenario: LoadedScenario, alternatives: list[LoadedScenario],
                          horizon_years: float, seed: int | None = None) -> list[Simulation]:
    """Cohort runs of ``alternatives`` (structures of ``scenario``, or ``scenario`` itself), as one run
    with a sample per entry: every variable a structure replaces becomes ``where(index == i, its
    formula, ...)`` with ``index`` the sample's position, so the kernel advances all of them side by
    side (the base case and three structures cost about 1.7 runs instead of 4). Each comes back as its
    own one-sample Simulation of its own scenario, with the trace of a separate run to the bit (the
    same arithmetic per sample; tests/test_structure_outcomes.py)."""
    spec = scenario.model.spec
    if STRUCTURE_INDEX in spec.variables or STRUCTURE_INDEX in scenario.parameters.params:
        raise InputError(scenario.model.file, f"model.variables.{STRUCTURE_INDEX}", "the name is reserved",
                         "another name")
    replaced: dict[str, str] = {}
    for i, alt in reversed(list(enumerate(alternatives))):
        if alt.structure is None:  # the scenario itself: its own formulas, the innermost default
            continue
        for name, text in spec.structures[alt.structure].variables.items():
            inner = replaced.get(name, f"({spec.variables[name]})")
            replaced[name] = f"where({STRUCTURE_INDEX} == {i}, ({text}), {inner})"
    model = CompiledModel(replace_variables(spec, replaced, scenario.model.file, "model.structures"),
                          scenario.model.file)
    model.discount_rate = scenario.model.discount_rate
    batch = replace(scenario, model=model)
    n = len(alternatives)
    values = {**scenario.base_values(), STRUCTURE_INDEX: np.arange(n, dtype=float)}
    sim = simulate(batch, engine="cohort", horizon_years=horizon_years, values=values, n_samples=n, seed=seed)
    return [Simulation(alt, _sample_of(sim.trace, i), sim.seed, sim.individuals, sim.horizon_years)
            for i, alt in enumerate(alternatives)]


def _batch_fits(scenario: LoadedScenario, horizon: float | None, n: int) -> bool:
    """Whether ``n`` samples of a traced cohort run fit in memory at once; where they do not (separate
    runs may), the base case and its alternatives run one after another."""
    from ipsecon.engines.memory import SAFETY, available_bytes, estimate_bytes

    return estimate_bytes(scenario, "cohort", None, horizon, n, True) <= available_bytes() * SAFETY


def _sample_of(trace, i: int):
    """Sample ``i`` of a trace, as a one-sample trace (arrays with one row for all samples stay as they are)."""
    def pick(a):
        return a[i:i + 1] if a.shape[0] > 1 else a

    return replace(trace, occupancy=pick(trace.occupancy), flows=pick(trace.flows), ever=pick(trace.ever),
                   weights=pick(trace.weights),
                   reward_states={k: pick(v) for k, v in trace.reward_states.items()},
                   reward_transitions={k: pick(v) for k, v in trace.reward_transitions.items()},
                   reward_masses={k: (pick(a), pick(b)) for k, (a, b) in trace.reward_masses.items()})


def run_breakeven(scenarios: Iterable[LoadedScenario], perspectives: Iterable[str] = HEADLINE_PERSPECTIVES,
                  horizons: Iterable[float] | None = None, engine: str = "cohort", progress=None,
                  command: str | None = None) -> tuple[pd.DataFrame, xr.Dataset]:
    """Break-even wage per scenario x intervention x perspective x horizon: (tidy table, Dataset with
    each scenario's run attributes in ``attrs['runs']``)."""
    horizons = sorted(float(h) for h in (horizons or report_horizons(40.0)))
    sims, runs = {}, {}
    for sc in scenarios:
        sims[sc.name] = simulate(sc, engine=engine, horizon_years=horizons[-1])
        sim = sims[sc.name]
        runs[sc.name] = run_attributes(sc, engine, sim.seed, sim.individuals, sim.horizon_years, command, card=False)
        runs[sc.name]["typical_wage"] = float(sc.base_values().get("wages.ips_annual_gross_wage", float("nan")))
        if progress is not None:
            progress.advance()
    table = breakeven_table(sims, perspectives, horizons)
    ds = results_io.breakeven_dataset(table)
    first = next(iter(runs.values()))
    ds.attrs.update(runs=json.dumps(runs, ensure_ascii=False), price_year=int(first["price_year"]), engine=engine,
                    command=first["command"], scenario_files=json.dumps({k: v["scenario_file"] for k, v in runs.items()}),
                    overrides=first["overrides"], typical_wage=first["typical_wage"])
    return table, ds


def validation(scenarios: Iterable[str | Path | LoadedScenario]) -> list[dict]:
    """Every published figure the scenarios declare (calibration and validation targets) against the model, each
    scenario run with the cohort engine up to its last target: rows with the scenario, role, value, interval,
    model value and PASS/MISS."""
    rows = []
    for sc in scenarios:
        sc = sc if isinstance(sc, LoadedScenario) else load_scenario(sc)
        spec = sc.spec
        declared = list(spec.targets) + (list(spec.calibration.targets) if spec.calibration else [])
        if not declared:
            continue
        horizon = max(spec.run.horizon_years, max(t.last_month for t in declared) / 12)  # readings after month included
        sim = simulate(sc, engine="cohort", horizon_years=horizon)
        rows += [{"scenario": sc.name, **row} for row in results_io.target_rows(sim)]
    return rows


def stamp(ds: xr.Dataset, scenario: LoadedScenario, engine: str | None, seed: int | None,
          individuals: int | None) -> xr.Dataset:
    """Give an uncertainty analysis's Dataset the attributes of the run it comes from."""
    engine = engine or scenario.spec.run.engine
    seed = scenario.spec.run.seed if seed is None else seed
    individuals = individuals or scenario.spec.run.individuals
    for key, value in run_attributes(scenario, engine, seed, individuals, float(ds.horizon.values[-1])).items():
        ds.attrs.setdefault(key, value)  # the analysis's own (e.g. the sampling seed) win
    return ds


def psa(scenario: LoadedScenario, samples: int = 1000, seed: int | None = None, engine: str | None = None,
        individuals: int | None = None, **options) -> xr.Dataset:
    """Probabilistic sensitivity analysis (:func:`ipsecon.uncertainty.psa.run_psa` options)."""
    from ipsecon.uncertainty.psa import run_psa

    ds = run_psa(scenario, samples, seed, engine=engine, individuals=individuals, **options)
    return stamp(ds, scenario, engine, seed, individuals)


def dsa(scenario: LoadedScenario, parameters: Iterable[str] | None = None, engine: str | None = None,
        individuals: int | None = None, seed: int | None = None, **options) -> xr.Dataset:
    """One-way and two-way sensitivity (:func:`ipsecon.uncertainty.dsa.run_dsa` options); ``parameters``
    are glob patterns (default every uncertain parameter)."""
    from ipsecon.uncertainty.dsa import run_dsa
    from ipsecon.uncertainty.sampling import uncertain_parameters

    names = uncertain_parameters(scenario, include=list(parameters) if parameters else None)
    ds = run_dsa(scenario, names, engine=engine, individuals=individuals, seed=seed, **options)
    return stamp(ds, scenario, engine, seed, individuals)


def sobol(scenario: LoadedScenario, base_samples: int = 64, parameters: Iterable[str] | None = None,
          engine: str | None = None, individuals: int | None = None, seed: int | None = None, **options) -> xr.Dataset:
    """Sobol' indices (:func:`ipsecon.uncertainty.sobol.run_sobol` options)."""
    from ipsecon.uncertainty.sampling import uncertain_parameters
    from ipsecon.uncertainty.sobol import run_sobol

    names = uncertain_parameters(scenario, include=list(parameters) if parameters else None)
    options.setdefault("group_by", "family")
    ds = run_sobol(scenario, base_samples, seed, names=names, engine=engine, individuals=individuals, **options)
    return stamp(ds, scenario, engine, seed, individuals)


__all__ = ["Result", "dsa", "load_scenario", "psa", "run", "run_breakeven", "sobol", "stamp", "validation"]

