"""Threshold analysis: the value of one parameter at which the decision changes, per horizon.

For a model without the payer ledger the measure is incremental NMB at the model's willingness to
pay; with the IPS ledger it is each perspective's incremental NPV (the break-even wage is this
analysis for ``wages.ips_annual_gross_wage``). Every intervention is compared with the comparator.

The search first evaluates a grid of values across the range in one batched run (the values are
"samples" to the engine), so every horizon, perspective and intervention is bracketed at once;
then ``scipy.optimize.brentq`` refines each sign change, re-running the model at single values
(memoised: every cell shares each run). A cell with no sign change on the grid has no threshold in
the range, and says whether the intervention is then better or worse at every value. A function
that crosses zero twice between two neighbouring grid points is missed: a finer ``grid`` finds it.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from ipsecon.economics import evaluation
from ipsecon.economics.defaults import HEADLINE_PERSPECTIVES
from ipsecon.economics.outcomes import evaluate
from ipsecon.errors import InputError
from ipsecon.model.scenario import LoadedScenario
from ipsecon.progress import Progress

GRID_POINTS = 21


def threshold_range(scenario: LoadedScenario, name: str, given: tuple[float, float] | None,
                    coverage: float = 0.95) -> tuple[float, float]:
    """``given`` (--range), else the parameter's declared ``bounds:``, else the central ``coverage``
    interval of its distribution (as the DSA's one-way ranges)."""
    from ipsecon.uncertainty.dsa import parameter_range

    if given is not None:
        low, high = (float(x) for x in given)
    elif name in scenario.parameters and (scenario.parameters[name].bounds is not None or (
            scenario.parameters[name].distribution is not None
            and scenario.parameters[name].distribution.type != "dirichlet")):
        low, high = parameter_range(scenario, name, coverage)
    else:
        raise InputError(scenario.file, "--range", f"{name} declares no bounds: and no univariate distribution",
                         "give the range to search: --range LOW HIGH")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise InputError(scenario.file, "--range", f"[{low:g}, {high:g}]", "two finite numbers LOW < HIGH")
    return low, high


def _check_name(scenario: LoadedScenario, name: str, base: dict) -> None:
    value = base.get(name)
    if value is None:
        import difflib

        close = difflib.get_close_matches(name, [k for k, v in base.items() if np.ndim(v) == 0], n=3, cutoff=0.6)
        raise InputError(scenario.file, "--parameter", f"unknown parameter {name!r}"
                         + (f"; did you mean {', '.join(close)}?" if close else ""), "see `ipsecon params`")
    if np.ndim(value) != 0:
        raise InputError(scenario.file, "--parameter", f"{name} is not one number (a table or dated values)",
                         "a parameter with a single value, or one named component (e.g. hiv.drug.lam)")


def run_threshold(scenario: LoadedScenario, name: str, value_range: tuple[float, float] | None = None,
                  horizons: Iterable[float] | None = None, perspectives: Iterable[str] = HEADLINE_PERSPECTIVES,
                  grid: int = GRID_POINTS, engine: str | None = None, individuals: int | None = None,
                  seed: int | None = None, xtol: float | None = None, quiet: bool = False) -> pd.DataFrame:
    """One row per intervention × perspective × horizon × threshold found (or one row saying none is
    in the range): ``threshold`` (NaN where none), ``status`` (``found``, ``none: better throughout``,
    ``none: worse throughout``, ``none: does not depend on it``), the measure at the range's ends and at
    the base value."""
    base = scenario.base_values()
    _check_name(scenario, name, base)
    low, high = threshold_range(scenario, name, value_range)
    if grid < 3:
        raise InputError(scenario.file, "--grid", f"{grid}", "at least 3 points")
    horizons = sorted(float(h) for h in (horizons or evaluation.whole_cycle_horizons(scenario)))
    ce = not evaluation.has_ledger(scenario.model)
    perspectives = [evaluation.CE_PERSPECTIVE] if ce else list(perspectives)
    measure = "incremental NMB" if ce else "incremental NPV"

    def outcomes(xs: np.ndarray) -> np.ndarray:  # (len(xs), intervention, perspective, horizon)
        values = dict(base)
        values[name] = np.asarray(xs, dtype=float)
        ds = evaluate(scenario, values, len(xs), horizons, perspectives, engine=engine, individuals=individuals,
                      seed=seed, breakeven=False)
        return ds.inc_npv.transpose("sample", "intervention", "perspective", "horizon").values, ds

    xs = np.linspace(low, high, grid)
    with Progress(f"threshold {name}: grid of {grid} values", total=1, quiet=quiet) as bar:
        y, ds = outcomes(np.append(xs, float(base[name])))
        bar.advance()
    y, at_base = y[:-1], y[-1]
    interventions, ps = list(ds.intervention.values), list(ds.perspective.values)
    cache: dict[float, np.ndarray] = {}

    def single(x: float) -> np.ndarray:
        if x not in cache:
            cache[x] = outcomes(np.array([x]))[0][0]
        return cache[x]

    tol = xtol if xtol is not None else 1e-9 * max(abs(low), abs(high), high - low)
    from scipy.optimize import brentq

    rows = []
    for i, iv in enumerate(interventions):
        for p, persp in enumerate(ps):
            for h, hz in enumerate(horizons):
                f = y[:, i, p, h]
                common = {"intervention": iv, "perspective": persp, "horizon": hz, "parameter": name, "measure": measure,
                          "low": low, "high": high, "base_value": float(base[name]), "at_base": float(at_base[i, p, h]),
                          "at_low": float(f[0]), "at_high": float(f[-1])}
                found = []
                for j in range(grid - 1):
                    a, b = f[j], f[j + 1]
                    if a == 0:
                        found.append(float(xs[j]))
                    elif a * b < 0:
                        found.append(float(brentq(lambda x: single(x)[i, p, h], xs[j], xs[j + 1], xtol=tol)))
                if f[-1] == 0:
                    found.append(float(xs[-1]))
                for x in found:
                    rows.append({**common, "threshold": x, "status": "found"})
                if not found:
                    if np.all(np.abs(f - f[0]) <= 1e-9 * max(1.0, abs(f[0]))):  # the parameter does not reach it
                        status = "none: does not depend on it"
                    else:
                        status = f"none: {'better' if f[0] > 0 else 'worse'} throughout"
                    rows.append({**common, "threshold": np.nan, "status": status})
    table = pd.DataFrame(rows)
    table.attrs.update(parameter=name, measure=measure, comparator=scenario.model.comparator, low=low, high=high,
                       units=ds.attrs.get("units", ""), evaluations=grid + 1 + len(cache))
    return table
