"""Variance-based (Sobol') sensitivity indices with SALib, as functions of the horizon.

SALib's Saltelli/Sobol' design gives N·(D+2) (or N·(2D+2) with second-order indices) points in
the unit cube; they go through the same quantile mapping as every other draw (sampling.py),
then through the whole pipeline once — a single evaluation at the longest horizon gives every
shorter horizon — and SALib's ``sobol.analyze`` returns first-order (S1), total (ST) and
optionally second-order (S2) indices with bootstrap confidence intervals, per output and horizon.

Sobol' indices assume independent inputs, so declared correlations are not applied here.
A Dirichlet row is one input (a SALib group); ``group_by="family"`` groups every parameter by its
family (name up to the last dot) for a coarser, cheaper analysis.

The break-even wage is censored to the search bracket where no wage in it breaks even (the low
end where IPS pays off at any wage, the high end where none does), so every sample has a value.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
import xarray as xr
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from ipsecon.errors import InputError
from ipsecon.economics.defaults import HEADLINE_PERSPECTIVES, SENSITIVITY_HORIZONS
from ipsecon.economics import evaluation
from ipsecon.economics.calendar_years import budget_impact
from ipsecon.economics.outcomes import evaluate
from ipsecon.progress import Progress
from ipsecon.uncertainty.sampling import Samples, layout, from_uniforms, uncertain_parameters
from ipsecon.model.scenario import LoadedScenario



def problem_for(scenario: LoadedScenario, names: list[str], group_by: str = "parameter") -> dict:
    """SALib problem over the unit cube: one variable per sampled column, Dirichlet rows grouped."""
    columns, owners = layout(scenario, names)
    if group_by == "family":
        groups = [o.rsplit(".", 1)[0] if "." in o else o for o in owners]
    elif group_by == "parameter":
        groups = list(owners)
    else:
        raise InputError(None, "--group-by", f"unknown grouping {group_by!r}", "parameter, family")
    problem = {"num_vars": len(columns), "names": columns, "bounds": [[0.0, 1.0]] * len(columns)}
    if groups != columns:
        problem["groups"] = groups
    return problem


def factor_names(problem: dict) -> list[str]:
    """The inputs SALib reports on: groups in order of first appearance, else the variables."""
    if "groups" not in problem:
        return list(problem["names"])
    return list(dict.fromkeys(problem["groups"]))


def design(scenario: LoadedScenario, n_base: int, seed: int, names: list[str] | None = None,
           second_order: bool = False, group_by: str = "parameter") -> tuple[dict, Samples]:
    if n_base < 2 or n_base & (n_base - 1):
        raise InputError(None, "--base-samples", f"{n_base} is not a power of two", "2, 4, 8, …, e.g. 256")
    names = uncertain_parameters(scenario) if names is None else names
    problem = problem_for(scenario, names, group_by)
    u = sobol_sample.sample(problem, n_base, calc_second_order=second_order, scramble=True, seed=seed)
    return problem, from_uniforms(scenario, names, u, correlated=False, seed=seed, method="saltelli")


def indices(problem: dict, outputs: dict[str, np.ndarray], horizons: Iterable[float], second_order: bool = False,
            num_resamples: int = 200, conf_level: float = 0.95, seed: int = 0) -> xr.Dataset:
    """S1/ST (and S2) with bootstrap CIs for each output ``{name: Y[evaluation, horizon]}``."""
    horizons = list(horizons)
    factors = factor_names(problem)
    F, H, O = len(factors), len(horizons), len(outputs)
    shape = (O, H, F)
    res = {k: np.full(shape, np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    if second_order:
        res.update({k: np.full(shape + (F,), np.nan) for k in ("S2", "S2_conf")})
    variance = np.zeros((O, H))
    for o, Y in enumerate(outputs.values()):
        Y = np.asarray(Y, dtype=float)
        for h in range(H):
            y = Y[:, h]
            if not np.all(np.isfinite(y)):
                raise InputError(None, list(outputs)[o], "the output has non-finite values", "finite numbers for Sobol' analysis")
            variance[o, h] = y.var()
            if variance[o, h] <= 1e-12 * max(1.0, float(np.mean(y ** 2))):
                for k in res:  # a constant output: no input explains any variance
                    res[k][o, h] = 0.0
                continue
            r = sobol_analyze.analyze(problem, y, calc_second_order=second_order, num_resamples=num_resamples,
                                      conf_level=conf_level, seed=seed)
            for k in ("S1", "S1_conf", "ST", "ST_conf"):
                res[k][o, h] = r[k]
            if second_order:
                res["S2"][o, h], res["S2_conf"][o, h] = r["S2"], r["S2_conf"]
    dims = ("output", "horizon", "parameter")
    ds = xr.Dataset({k: (dims + (("parameter_b",) if k.startswith("S2") else ()), v) for k, v in res.items()},
                    coords={"output": list(outputs), "horizon": horizons, "parameter": factors})
    if second_order:
        ds = ds.assign_coords(parameter_b=factors)
    ds["output_variance"] = (("output", "horizon"), variance)
    ds.attrs.update(conf_level=conf_level, num_resamples=num_resamples,
                    method="SALib sobol.analyze (Saltelli 2010 / Jansen estimators), bootstrap confidence intervals")
    return ds


def default_outputs(ds: xr.Dataset, perspectives: Iterable[str]) -> dict[str, np.ndarray]:
    """Incremental NPV per perspective and the society break-even wage (censored), [n, horizon],
    for each intervention (named ``inc_npv:<perspective>``, with ``<intervention>:`` in front when
    the model has several)."""
    out = {}
    several = ds.sizes["intervention"] > 1
    for i in ds.intervention.values:
        prefix = f"{i}:" if several else ""
        one = ds.sel(intervention=i)
        for p in perspectives:
            # a model without the ledger has one perspective, whose incremental NPV is incremental NMB
            name = "inc_nmb" if ds.attrs.get(evaluation.LAYER_ATTR) == evaluation.CE_LAYER else f"inc_npv:{p}"
            out[f"{prefix}{name}"] = one.inc_npv.sel(perspective=p).transpose("sample", "horizon").values
        if "society" in ds.perspective.values and "breakeven_wage" in ds:
            w = one.breakeven_wage.sel(perspective="society").transpose("sample", "horizon").values
            st = one.breakeven_status.sel(perspective="society").transpose("sample", "horizon").values
            w = np.where(st == 1, ds.attrs["bracket_low"], np.where(st == 2, ds.attrs["bracket_high"], w))
            if np.all(np.isfinite(w)):
                out[f"{prefix}breakeven_wage:society"] = w
    return out


def budget_outputs(impact: xr.DataArray) -> dict[str, np.ndarray]:
    """An open population's budget impact per budget, [n, horizon], named ``budget_impact:<budget>`` (with
    ``<intervention>:`` in front when the model has several), as :func:`default_outputs` names its outputs."""
    several = impact.sizes["intervention"] > 1
    return {f"{i + ':' if several else ''}budget_impact:{p}":
            impact.sel(intervention=i, perspective=p).transpose("sample", "horizon").values
            for i in impact.intervention.values for p in impact.perspective.values
            if np.isfinite(impact.sel(intervention=i, perspective=p).values).all()}


def run_sobol(scenario: LoadedScenario, n_base: int = 128, seed: int | None = None, second_order: bool = False,
              horizons: Iterable[float] = SENSITIVITY_HORIZONS, perspectives: Iterable[str] = HEADLINE_PERSPECTIVES,
              names: list[str] | None = None, group_by: str = "parameter", engine: str | None = None,
              individuals: int | None = None, num_resamples: int = 200, quiet: bool = False,
              outputs: Callable[[Samples], dict[str, np.ndarray]] | None = None) -> xr.Dataset:
    """Sobol' indices of the pipeline's outputs over ``horizons``. ``outputs`` may replace the
    pipeline by any function of the samples returning {name: Y[evaluation, horizon]} (tests use
    analytic functions through this same path)."""
    seed = scenario.spec.run.seed if seed is None else seed
    horizons, perspectives = [float(h) for h in horizons], list(perspectives)
    problem, samples = design(scenario, n_base, seed, names, second_order, group_by)
    if outputs is None:
        with Progress(f"Sobol {scenario.name}: model runs", total=samples.n, quiet=quiet) as bar:
            ds = evaluate(scenario, samples.values(scenario.base_values()), samples.n, horizons, perspectives,
                          engine=engine, individuals=individuals, seed=seed, progress=bar)
        ys = default_outputs(ds, list(ds.perspective.values))
        money = ds.attrs.get("ce_cost_unit", "NOK")
        units = {k: f"{money} per person" if "inc_n" in k else "NOK per year" for k in ys}
        if scenario.spec.population.entrants is not None:  # an open population: each budget's impact too
            with Progress(f"Sobol {scenario.name}: budget impact of the open population", total=samples.n,
                          quiet=quiet) as bar:
                impact = budget_impact(scenario, samples.values(scenario.base_values()), samples.n, horizons,
                                       perspectives, engine, individuals, seed, bar)
            if impact is not None:
                extra = budget_outputs(impact)
                ys.update(extra)
                units.update({k: impact.attrs["units"] for k in extra})
    else:
        ys = outputs(samples)
        units = {k: "" for k in ys}
    out = indices(problem, ys, horizons, second_order, num_resamples, seed=seed)
    out["output_units"] = ("output", [units[k] for k in ys])
    out.attrs.update(scenario=scenario.name, title=scenario.spec.title, n_base=int(n_base), n_evaluations=int(samples.n),
                     seed=int(seed), second_order=int(second_order), group_by=group_by,
                     price_year=scenario.spec.price_year, correlations="not applied (Sobol' indices assume independent inputs)")
    return out
