"""Deterministic sensitivity analysis: one-way ranges (tornado) and two-way grids.

Each uncertain parameter is set to the low and the high end of its range, all others at their
base values, and the whole pipeline is re-run (all settings in one batched evaluation). The
range is the parameter's declared ``bounds`` where given, else the central ``coverage`` interval
of its distribution (default 95 %: the 2.5th and 97.5th percentiles). Declared correlations are
ignored here (a one-way analysis moves one input at a time). Dirichlet rows are left out: a
share cannot move alone.

Outputs per setting: incremental NPV per perspective, INMB at ``wtp`` (wtp · ΔQALY − Δcost, the
cost being the perspective's money) and the break-even wage, per horizon — never only the ICER,
whose sign flips make tornado bars meaningless.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import xarray as xr

from ipsecon.errors import InputError
from ipsecon.economics.defaults import HEADLINE_PERSPECTIVES, SENSITIVITY_HORIZONS
from ipsecon.economics import evaluation
from ipsecon.economics.calendar_years import budget_impact
from ipsecon.economics.outcomes import evaluate
from ipsecon.money.ledger import qaly_value
from ipsecon.progress import Progress
from ipsecon.uncertainty.sampling import uncertain_parameters
from ipsecon.model.scenario import LoadedScenario


def parameter_range(scenario: LoadedScenario, name: str, coverage: float = 0.95) -> tuple[float, float]:
    p = scenario.parameters[name]
    if p.bounds is not None:
        return float(p.bounds[0]), float(p.bounds[1])
    if p.distribution is None or p.distribution.type == "dirichlet":
        raise InputError(scenario.parameters.files.get(name), name, "needs `bounds:` or a univariate distribution for a one-way range")
    tail = (1 - coverage) / 2
    lo, hi = p.distribution.ppf(np.array([tail, 1 - tail]))
    return float(lo), float(hi)


def _dsa_names(scenario: LoadedScenario, names: list[str] | None) -> list[str]:
    if names is None:
        names = uncertain_parameters(scenario)
    return [n for n in names if not (scenario.parameters[n].distribution is not None
                                     and scenario.parameters[n].distribution.type == "dirichlet")]


def _evaluate_settings(scenario, settings: list[dict[str, float]], horizons, perspectives, wtp, engine, individuals,
                       seed, quiet, label, budget: bool = True):
    """Evaluate base values with each dict of changes (one sample per setting); ``budget``: an open population's
    budget impact too (the two-way grid stores none)."""
    base = scenario.base_values()
    values = dict(base)
    changed = sorted({k for s in settings for k in s})
    for k in changed:
        values[k] = np.array([s.get(k, base[k]) for s in settings], dtype=float)
    with Progress(label, total=len(settings), quiet=quiet) as bar:
        ds = evaluate(scenario, values, len(settings), horizons, perspectives, engine=engine, individuals=individuals,
                      seed=seed, progress=bar)
    if budget and scenario.spec.population.entrants is not None:  # an open population: each budget's impact
        with Progress(f"{label}: budget impact of the open population", total=len(settings), quiet=quiet) as bar:
            impact = budget_impact(scenario, values, len(settings), horizons, perspectives, engine, individuals, seed, bar)
        if impact is not None:
            ds["budget_impact"] = impact.transpose(*ds.inc_npv.dims)
    def incremental(da):  # each intervention minus the comparator, along the intervention dim
        chosen = da.sel(strategy=list(ds.intervention.values)).rename(strategy="intervention")
        return chosen - da.sel(strategy=ds.attrs["comparator"], drop=True)

    inmb = wtp * incremental(ds.qalys) - incremental(ds.cost)
    if not evaluation.has_ledger(scenario.model):  # there "incremental NPV" is incremental NMB: at this wtp
        ds["inc_npv"] = inmb.transpose(*ds.inc_npv.dims)
        ds.attrs["ce_wtp"] = float(wtp)
    return ds, inmb


def run_dsa(scenario: LoadedScenario, names: list[str] | None = None, coverage: float = 0.95,
            pairs: Iterable[tuple[str, str]] = (), grid: int = 7, horizons: Iterable[float] = SENSITIVITY_HORIZONS,
            perspectives: Iterable[str] = HEADLINE_PERSPECTIVES, wtp: float | None = None,
            engine: str | None = None, individuals: int | None = None, seed: int | None = None,
            quiet: bool = False) -> xr.Dataset:
    names = _dsa_names(scenario, names)
    pairs = [tuple(p) for p in pairs]
    for a, b in pairs:
        for x in (a, b):
            if x not in scenario.parameters:
                raise InputError(scenario.file, f"--pair {a},{b}", f"unknown parameter {x!r}", "see `ipsecon params`")
    base = scenario.base_values()
    if wtp is None:  # the society perspective's QALY value, or the model's own willingness to pay
        wtp = float(qaly_value(base)) if evaluation.has_ledger(scenario.model) else evaluation.ce_wtp(scenario.model, base)
    ranges = {n: parameter_range(scenario, n, coverage) for n in names}
    settings = [{}] + [{n: v} for n in names for v in ranges[n]]
    horizons, perspectives = list(horizons), list(perspectives)
    ds, inmb = _evaluate_settings(scenario, settings, horizons, perspectives, wtp, engine, individuals, seed, quiet,
                                  f"DSA {scenario.name}: one-way settings")
    m = len(names)

    def split(da):  # sample 0 = base, then (low, high) per parameter
        body = da.isel(sample=slice(1, None)).values.reshape((m, 2) + da.shape[1:])
        return da.isel(sample=0, drop=True), body

    out = xr.Dataset(coords={"parameter": names, "bound": ["low", "high"], "intervention": ds.intervention.values,
                             "perspective": ds.perspective.values,  # a model without the ledger has one
                             "horizon": ds.horizon.values})
    out["base_value"] = ("parameter", [float(base[n]) for n in names])
    out["low_value"] = ("parameter", [ranges[n][0] for n in names])
    out["high_value"] = ("parameter", [ranges[n][1] for n in names])
    out["range_source"] = ("parameter", ["bounds" if scenario.parameters[n].bounds is not None
                                         else f"distribution {coverage:.0%} interval" for n in names])
    for var, da in (("inc_npv", ds.inc_npv), ("inmb", inmb), ("breakeven_wage", ds.get("breakeven_wage")),
                    ("breakeven_status", ds.get("breakeven_status")), ("budget_impact", ds.get("budget_impact"))):
        if da is None:  # no ledger, no break-even wage; a closed population has no budget impact
            continue
        b, body = split(da.transpose("sample", "intervention", "perspective", "horizon"))
        out[f"base_{var}"] = (("intervention", "perspective", "horizon"), b.values)
        out[var] = (("parameter", "bound", "intervention", "perspective", "horizon"), body)
    for var in ("budget_impact", "base_budget_impact"):  # not per person: its own units
        if var in out:
            out[var].attrs.update(ds["budget_impact"].attrs)
    out["swing"] = abs(out.inc_npv.sel(bound="high", drop=True) - out.inc_npv.sel(bound="low", drop=True))
    out["swing"].attrs["units"] = "NOK per person"
    if pairs:
        _add_two_way(out, scenario, pairs, grid, coverage, horizons, perspectives, wtp, engine, individuals, seed, quiet)
    out.attrs.update(ds.attrs)
    out.attrs.update(wtp=float(wtp), coverage=float(coverage), units="NOK per person (price year), discounted",
                     wtp_units="NOK per QALY (price year)")
    return out


def _add_two_way(out, scenario, pairs, grid, coverage, horizons, perspectives, wtp, engine, individuals, seed, quiet):
    settings, xs, ys = [], [], []
    for a, b in pairs:
        x = np.linspace(*parameter_range(scenario, a, coverage), grid)
        y = np.linspace(*parameter_range(scenario, b, coverage), grid)
        xs.append(x)
        ys.append(y)
        settings += [{a: float(xi), b: float(yj)} for xi in x for yj in y]
    ds, _ = _evaluate_settings(scenario, settings, horizons, perspectives, wtp, engine, individuals, seed, quiet,
                               f"DSA {scenario.name}: two-way grid", budget=False)
    inc = ds.inc_npv.transpose("sample", "intervention", "perspective", "horizon").values
    inc = inc.reshape((len(pairs), grid, grid) + inc.shape[1:])
    out.coords["pair"] = [f"{a} × {b}" for a, b in pairs]
    out["twoway_inc_npv"] = (("pair", "x_index", "y_index", "intervention", "perspective", "horizon"), inc)
    out["twoway_x"] = (("pair", "x_index"), np.array(xs))
    out["twoway_y"] = (("pair", "y_index"), np.array(ys))
    out["twoway_x_name"] = ("pair", [a for a, _ in pairs])
    out["twoway_y_name"] = ("pair", [b for _, b in pairs])
