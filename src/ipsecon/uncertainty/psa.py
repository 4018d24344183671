"""Probabilistic sensitivity analysis: draw parameter sets, evaluate them, summarise the decision.

``run_psa`` returns one ``xarray.Dataset`` (saved as ``psa.nc``): the samples and their
outcomes (outcomes.py) plus, per perspective and horizon, the probability that IPS pays off,
CEAC/CEAF, EVPI and EVPPI over a willingness-to-pay grid — per person and scaled to a
population (``attrs['population']`` persons, the scenario's population size unless given).
"""

from __future__ import annotations

import warnings
from typing import Iterable

import numpy as np
import xarray as xr

from ipsecon.uncertainty import voi
from ipsecon.economics.breakeven import DEFAULT_BRACKET
from ipsecon.economics.defaults import EVALUATION_PERSPECTIVES, HORIZONS, wtp_grid
from ipsecon.economics import evaluation
from ipsecon.errors import InputError
from ipsecon.economics.outcomes import evaluate
from ipsecon.money.ledger import qaly_value
from ipsecon.progress import Progress
from ipsecon.uncertainty.sampling import Samples, draw_samples
from ipsecon.model.scenario import LoadedScenario



BREAKEVEN_LEVELS = (0.025, 0.5, 0.975)


def censored_breakeven_wage(ds: xr.Dataset) -> xr.DataArray:
    """Every sample's break-even wage, a censored one at the bracket's bound: a sample that pays off
    at any wage (status 1) counts at the low end, one that pays off at no wage in the bracket
    (status 2) at the high end. NaN only where the perspective has no wage-linked flow (status 3)."""
    low, high = bracket(ds)
    w = ds["breakeven_wage"].where(ds["breakeven_status"] != 1, low)
    return w.where(ds["breakeven_status"] != 2, high)


def bracket(ds: xr.Dataset) -> tuple[float, float]:
    """The wage bracket the file's break-even search used (the default where it does not say)."""
    return (float(ds.attrs.get("bracket_low", DEFAULT_BRACKET[0])), float(ds.attrs.get("bracket_high", DEFAULT_BRACKET[1])))


def breakeven_wage_quantile(ds: xr.Dataset, levels=BREAKEVEN_LEVELS) -> tuple[xr.DataArray, xr.DataArray]:
    """The one place the break-even wage's quantiles over PSA samples are computed (the terminal, the
    saved file, the report and its figures all use it): (quantiles, censored) where ``censored`` is -1
    for a quantile at the bracket's low end that censored samples reach ("at most the low end"), +1
    at the high end ("at least the high end"), else 0. Every sample counts (see censored_breakeven_wage)."""
    w = censored_breakeven_wage(ds)
    with warnings.catch_warnings():  # a perspective with no wage-linked flow has no wage in any sample
        warnings.simplefilter("ignore", RuntimeWarning)
        q = w.quantile(list(levels), "sample")
    low, high = bracket(ds)
    any_low = (ds["breakeven_status"] == 1).any("sample")
    any_high = (ds["breakeven_status"] == 2).any("sample")
    censored = xr.where((q <= low) & any_low, -1, xr.where((q >= high) & any_high, 1, 0)).astype("int8")
    q.attrs.update(units="NOK per year (gross)",
                   long_name="quantiles of the break-even wage over all samples, censored ones at the bracket's bounds")
    censored.attrs.update(units="1 (code: -1, 0, +1)", long_name="-1: quantile is at most the bracket's low end (censored), +1: at least its high end, "
                                    "0: a break-even wage")
    return q, censored


def breakeven_quantile_labels(ds: xr.Dataset) -> xr.DataArray:
    """The quantiles as text: '62,421', '≤ 0' (censored at the low end), '≥ 2,000,000', '–' (no
    wage-linked flow); from the file's stored quantiles, or computed from its samples."""
    if "breakeven_wage_quantile_censored" in ds:
        q, censored = ds["breakeven_wage_quantile"], ds["breakeven_wage_quantile_censored"]
    else:
        q, censored = breakeven_wage_quantile(ds)

    def label(v, c):
        if v != v:
            return "–"
        return {-1: "≤ ", 1: "≥ "}.get(int(c), "") + f"{v:,.0f}"

    with np.errstate(invalid="ignore"):  # NaN quantiles (no wage-linked flow) become '–'
        return xr.apply_ufunc(np.vectorize(label, otypes=[object]), q, censored)


def default_groups(samples: Samples) -> dict[str, list[str]]:
    """EVPPI groups: every parameter alone, and each family (name up to its last dot) of two or more."""
    groups = {p: cols for p, cols in samples.groups().items()}
    families: dict[str, list[str]] = {}
    for p, cols in samples.groups().items():
        families.setdefault(p.rsplit(".", 1)[0] + ".*", []).extend(cols)
    groups.update({f: cols for f, cols in families.items() if len(cols) > 1 and f[:-2] not in groups})
    return groups


def wtp_default(values: dict, scenario: LoadedScenario | None = None) -> float:
    """The QALY value the society perspective uses, in price-year NOK; for a model without the ledger
    its own willingness to pay per unit of effect (``model.wtp``)."""
    if scenario is not None and not evaluation.has_ledger(scenario.model):
        return evaluation.ce_wtp(scenario.model, values)
    return float(qaly_value(values))


def default_wtp_grid(scenario: LoadedScenario, values: dict) -> np.ndarray:
    """The willingness-to-pay grid of CEAC/CEAF/EVPI: 0–2 M NOK per QALY for the ledger's models
    (economics.defaults), 0 to CE_GRID_FACTOR × the model's own willingness to pay otherwise."""
    if evaluation.has_ledger(scenario.model):
        return wtp_grid()
    return wtp_grid(CE_GRID_FACTOR * max(wtp_default(values, scenario), 1.0))


# a model without the ledger: the grid runs to 5 × its willingness to pay (£100,000 at £20,000 per QALY)
CE_GRID_FACTOR = 5.0


def run_psa(scenario: LoadedScenario, n: int, seed: int | None = None, method: str = "random",
            horizons: Iterable[float] = HORIZONS, perspectives: Iterable[str] = EVALUATION_PERSPECTIVES,
            wtp: Iterable[float] | None = None, population: float | None = None, engine: str | None = None,
            individuals: int | None = None, groups: dict[str, list[str]] | None = None,
            correlated: bool = True, quiet: bool = False, calendar_years: bool = False) -> xr.Dataset:
    """``calendar_years``: for an open population, each sample's calendar-year results and budgets too
    (``calendar_*``): every entry year runs once per sample with its trace, several times the PSA's cost."""
    if calendar_years and scenario.spec.population.entrants is None:  # before any work: said, not silently ignored
        raise InputError(scenario.file, "--calendar-years", "the scenario is a closed population (no "
                         "population.entrants): there are no calendar years of entrants to add",
                         "leave --calendar-years out, or declare population.entrants")
    if calendar_years and not evaluation.has_ledger(scenario.model):  # work, AAP and budgets are the ledger's
        raise InputError(scenario.file, "--calendar-years", "calendar years count work, benefits and budgets from the "
                         "payer ledger, which this model has not (no employment_state)", "leave --calendar-years out")
    seed = scenario.spec.run.seed if seed is None else seed
    samples = draw_samples(scenario, n, seed, method, correlated=correlated)
    base = scenario.base_values()
    wtp = default_wtp_grid(scenario, base) if wtp is None else wtp
    with Progress(f"PSA {scenario.name}: samples", total=n, quiet=quiet) as bar:
        ds = evaluate(scenario, samples.values(base), n, horizons, perspectives, engine=engine,
                      individuals=individuals, seed=seed, progress=bar, by_month=True)  # employment bands
    ds["parameters"] = samples.to_xarray()
    ds = with_occupancy_bands(ds)
    ds = with_base_case(ds, scenario, samples, base, horizons, perspectives, engine, individuals, seed)
    if calendar_years:  # each sample's calendar years and budgets
        from ipsecon.economics.calendar_years import calendar_years_samples

        calendar = calendar_years_samples(scenario, samples.values(base), n, max(horizons), engine, individuals, seed)
        ds = ds.merge(calendar, join="left", combine_attrs="override")
    return summarise(ds, samples, wtp, population if population is not None else scenario.spec.population.size,
                     groups if groups is not None else default_groups(samples), wtp_default(base, scenario), seed, method,
                     engine or scenario.spec.run.engine)


OCCUPANCY_LEVELS = (0.025, 0.975)


def with_occupancy_bands(ds: xr.Dataset) -> xr.Dataset:
    """Each state's share per strategy and month across the samples: mean (``occupancy_mean``) and the
    2.5th/97.5th percentiles (``occupancy_quantile``), for the bands of the report's occupancy figure.
    From the per-sample ``occupancy`` that ``evaluate(by_month=True)`` keeps, dropped here: the file keeps
    the bands (a model without the payer ledger has neither)."""
    if "occupancy" not in ds:
        return ds
    occ = ds["occupancy"].drop_vars(["sample", "strategy", "month"], errors="ignore")
    ds = ds.drop_vars("occupancy")
    unit = {"units": "share of the starting group"}
    ds["occupancy_mean"] = occ.mean("sample").assign_attrs(unit)
    # its own level dimension: the break-even wage's 'quantile' has other levels
    ds["occupancy_quantile"] = occ.quantile(list(OCCUPANCY_LEVELS), "sample").rename(quantile="occupancy_level").assign_attrs(
        unit, long_name="2.5th and 97.5th percentiles over the samples of each state's share")
    ds["occupancy_level"].attrs["units"] = "1 (probability level)"
    return ds


def with_base_case(ds: xr.Dataset, scenario: LoadedScenario, samples: Samples, base: dict, horizons, perspectives,
                   engine, individuals, seed) -> xr.Dataset:
    """Add the deterministic base case next to the samples: its incremental NPV (``inc_npv_base``) and,
    per sampled column, its base value and published point value (``parameter_base``,
    ``parameter_point``), so a report can say why the PSA mean differs from the base case."""
    one = evaluate(scenario, base, 1, horizons, perspectives, engine=engine, individuals=individuals, seed=seed)
    ds["inc_npv_base"] = one["inc_npv"].isel(sample=0, drop=True)
    ds["inc_npv_base"].attrs["long_name"] = f"incremental NPV of the deterministic base case ({scenario.spec.run.base_case})"
    point = scenario.point_values()
    unit = {"units": "each parameter's own unit (see the scenario card or `ipsecon params`)"}
    ds["parameter_base"] = ("parameter", [float(base[c]) for c in samples.columns], unit)
    ds["parameter_point"] = ("parameter", [float(point[c]) for c in samples.columns], unit)
    ds.attrs["base_case"] = scenario.spec.run.base_case
    return ds


def summarise(ds: xr.Dataset, samples: Samples, wtp: Iterable[float], population: float,
              groups: dict[str, list[str]], wtp_ref: float, seed: int | None, method: str, engine: str) -> xr.Dataset:
    """Add the decision summaries to per-sample outcomes."""
    wtp = np.asarray(sorted(set(float(w) for w in wtp) | {wtp_ref}))
    names = list(ds.strategy.values)
    ref = names.index(ds.attrs["comparator"])
    P, H, W, K = ds.sizes["perspective"], ds.sizes["horizon"], len(wtp), len(names)
    ceac = np.zeros((P, H, W, K))
    ceaf_k = np.zeros((P, H, W), dtype=int)
    ceaf_p = np.zeros((P, H, W))
    evpi = np.zeros((P, H, W))
    evppi = np.zeros((len(groups), P, H, W))
    q_all = ds.qalys.transpose("sample", "horizon", "strategy").values
    c_all = ds.cost.transpose("sample", "perspective", "horizon", "strategy").values
    table = ds.parameters.values
    col = {c: j for j, c in enumerate(samples.columns)}
    for a in range(P):
        for h in range(H):
            q, c = q_all[:, h], c_all[:, a, h]
            ceac[a, h] = voi.ceac(q, c, wtp)
            ceaf_k[a, h], ceaf_p[a, h] = voi.ceaf(q, c, wtp)
            evpi[a, h] = voi.evpi(q, c, wtp)
    with Progress("value of information: EVPPI per parameter group", total=len(groups)) as bar:
        for g, cols in enumerate(groups.values()):  # one metamodel basis per group, fitted to all columns
            evppi[g] = voi.evppi(table[:, [col[x] for x in cols]], q_all[:, None], c_all, wtp, ref)
            bar.advance()
    dims = ("perspective", "horizon", "wtp")
    out = ds.assign_coords(wtp=wtp, group=list(groups))
    out["prob_pays_off"] = (ds.inc_npv > 0).mean("sample")
    if "breakeven_wage" in ds:
        q, censored = breakeven_wage_quantile(ds)
        out["breakeven_wage_quantile"], out["breakeven_wage_quantile_censored"] = q, censored
    # Monte Carlo error of the PSA means (from the number of parameter samples)
    n = ds.sizes["sample"]
    out["inc_npv_mean"] = ds.inc_npv.mean("sample")
    out["inc_npv_mean_se"] = ds.inc_npv.std("sample", ddof=1) / np.sqrt(n)
    if "mc_se_qalys" in ds:
        # microsim: the share of the QALYs' spread across samples that is simulation noise
        q = ds.qalys.isel(horizon=-1)
        out["simulation_noise_share_qalys"] = (ds.mc_se_qalys ** 2).mean("sample") / q.var("sample", ddof=1)
    out["ceac"] = (dims + ("strategy",), ceac)
    out["ceaf_probability"] = (dims, ceaf_p)
    out["ceaf_strategy"] = (dims, np.asarray(names, dtype=object)[ceaf_k].astype(str))
    out["evpi"] = (dims, evpi)
    out["evpi_population"] = (dims, evpi * population)
    out["evppi"] = (("group",) + dims, evppi)
    out["evppi_population"] = (("group",) + dims, evppi * population)
    out["group_members"] = ("group", [", ".join(v) for v in groups.values()])
    out.attrs.update(population=float(population), seed=-1 if seed is None else int(seed), n_samples=int(ds.sizes["sample"]),
                     method=method, engine=engine, wtp_default=wtp_ref, horizon_default=float(ds.horizon.values[-1]),
                     correlated=int(bool(samples.meta.get("correlated"))),
                     evppi_method="regression metamodel (Strong, Oakley & Brennan 2014): natural cubic splines "
                                  f"({voi.SPLINE_KNOTS} knots) per parameter + pairwise interactions",
                     wtp_units="NOK per QALY (price year)")
    money, effect = "NOK", "QALYs"
    if ds.attrs.get(evaluation.LAYER_ATTR) == evaluation.CE_LAYER:  # the model's own currency and effect
        money, effect = ds.attrs["ce_cost_unit"], ds.attrs["ce_effect_unit"]
        out.attrs["wtp_units"] = f"{money} per {effect}"
    for v, unit in (("net_gain", f"{money} per person"), ("cost", f"{money} per person"), ("inc_npv", f"{money} per person"),
                    ("inc_npv_mean", f"{money} per person"), ("inc_npv_mean_se", f"{money} per person"),
                    ("inc_npv_base", f"{money} per person"),
                    ("qalys", f"{effect} per person"), ("evpi", f"{money} per person"), ("evpi_population", money),
                    ("evppi", f"{money} per person"), ("evppi_population", money),
                    ("breakeven_wage", "NOK per year (gross)"), ("employment_share", "share of the starting group")):
        if v in out:
            out[v].attrs["units"] = unit
    return out
