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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pandas as pd
import xarray as xr

from ipsecon.economics import evaluation
from ipsecon.economics.breakeven import breakeven_table
from ipsecon.economics.defaults import HEADLINE_PERSPECTIVES, report_horizons
from ipsecon.engines.simulate import Simulation, simulate
from ipsecon.model.scenario import LoadedScenario, load_scenario
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
    sim = simulate(scenario, engine=engine, individuals=individuals, seed=seed, horizon_years=horizon)
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
        if structures and scenario.structure is None and scenario.model.interventions:
            alternatives = structure_outcomes(scenario, sim, perspectives, breakeven)
            if alternatives is not None:
                ds = results_io.with_structure_outcomes(ds, *alternatives)
        if scenario.spec.population.entrants is not None:  # an open population: results by calendar year too
            from ipsecon.economics.calendar_years import calendar_years

            calendar = calendar_years(sim)
            ds = ds.merge(calendar, join="left", combine_attrs="override")  # keep the run's coordinate order
            ds.attrs.update(calendar.attrs)
    targets = results_io.target_rows(sim)
    ds = results_io.with_targets(ds, targets)
    ds.attrs.update(run_attributes(scenario, sim.trace.engine, sim.seed, sim.individuals, sim.horizon_years, command))
    return Result(ds, sim, results_io.summary_frame(sim), table, be, targets, cea)


def structure_outcomes(scenario: LoadedScenario, base: Simulation, perspectives: Iterable[str],
                       breakeven: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None] | None:
    """Each structural alternative that changes a variable, run as ``--structure NAME`` would run it
    (same engine, seed, size and horizon): (incremental outcomes per structure, perspective and
    intervention; break-even wages at the run's horizon, or None). None when the model has none."""
    names = [n for n, st in scenario.model.spec.structures.items() if st.variables]
    if not names:
        return None
    outcomes, wages = [], []
    for name in names:
        alt = load_scenario(scenario.file, overrides=scenario.overrides, structure=name)
        sim = simulate(alt, engine=base.trace.engine, individuals=base.individuals, seed=base.seed,
                       horizon_years=base.horizon_years)
        ledger = build_ledger(sim)
        summary = evaluation.evaluate(ledger, wtp=ledger.qaly_value, comparator=alt.model.comparator)["summary"]
        rows = summary[(summary["sample"] == 0) & (summary["strategy"] != alt.model.comparator)]
        outcomes.append(rows.assign(structure=name))
        if breakeven:
            wages.append(breakeven_table({alt.name: sim}, perspectives, [sim.horizon_years]).assign(structure=name))
    return pd.concat(outcomes, ignore_index=True), (pd.concat(wages, ignore_index=True) if wages else None)


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
        horizon = max(spec.run.horizon_years, max(t.month for t in declared) / 12)
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

