"""The sweep's summary table, read from its store: one row per scenario × override set (with the
structural alternative it selects, where any does) × intervention × perspective × horizon.

Columns: ``samples`` (computed samples; 1 for a deterministic sweep), the incremental NPV's mean
and 95 % interval over the samples (NOK per person, discounted), ``p_pays_off`` (share of samples
whose incremental NPV is above 0) and the median break-even wage, where samples without a root in
the bracket count at its bounds (:func:`ipsecon.uncertainty.psa.breakeven_wage_quantile`, the one
owner of that statistic): ``breakeven_wage_censored`` is -1 where the median is "at most" the low
end, +1 "at least" the high end. A sweep with an open population adds the budget impact's mean and
95 % interval (``budget_impact_mean``, ``_low``, ``_high``: NOK of the price year, the whole population,
undiscounted, summed over the calendar years to the horizon; NaN for a closed population or a
perspective that is not a budget).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import xarray as xr

from ipsecon.sweep.store import STORE_NAME

KEYS = ["scenario", "override", "structure", "intervention", "perspective", "horizon"]
INTERVAL = (0.025, 0.975)


def summarise(store: str | Path | xr.Dataset) -> pd.DataFrame:
    """The summary table of a sweep store (a path to ``sweep.zarr`` or its folder, or the Dataset)."""
    from ipsecon.uncertainty.psa import breakeven_wage_quantile

    if isinstance(store, xr.Dataset):
        return _table(store, breakeven_wage_quantile)
    path = Path(store)
    with xr.open_zarr(path / STORE_NAME if (path / STORE_NAME).exists() else path) as ds:
        return _table(ds.load(), breakeven_wage_quantile)


def _table(ds: xr.Dataset, breakeven_wage_quantile) -> pd.DataFrame:
    inc = ds["inc_npv"]
    with warnings.catch_warnings():  # an all-NaN slice (no unit written yet) gives NaN, said by samples = 0
        warnings.simplefilter("ignore", RuntimeWarning)
        stats = xr.Dataset({
            "samples": inc.notnull().sum("sample"),
            "inc_npv_mean": inc.mean("sample"),
            "inc_npv_low": inc.quantile(INTERVAL[0], "sample").drop_vars("quantile"),
            "inc_npv_high": inc.quantile(INTERVAL[1], "sample").drop_vars("quantile"),
            "p_pays_off": (inc > 0).where(inc.notnull()).mean("sample"),
        })
        if "breakeven_wage" in ds:
            median, censored = breakeven_wage_quantile(ds[["breakeven_wage", "breakeven_status"]].assign_attrs(ds.attrs),
                                                       levels=(0.5,))
    if "breakeven_wage" in ds:
        stats["breakeven_wage_median"] = median.sel(quantile=0.5, drop=True)
        stats["breakeven_wage_censored"] = censored.sel(quantile=0.5, drop=True)
    else:  # a model without the payer ledger has no wage; its incremental NPV is incremental NMB
        stats["breakeven_wage_median"] = xr.full_like(stats["inc_npv_mean"], float("nan"))
        stats["breakeven_wage_censored"] = xr.zeros_like(stats["inc_npv_mean"], dtype="int8")
    if "budget_impact" in ds:  # an open population: the budget's impact over the calendar years (NaN elsewhere)
        with warnings.catch_warnings():  # a closed scenario's or a non-budget's all-NaN slice gives NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            bi = ds["budget_impact"]
            stats["budget_impact_mean"] = bi.mean("sample")
            stats["budget_impact_low"] = bi.quantile(INTERVAL[0], "sample").drop_vars("quantile")
            stats["budget_impact_high"] = bi.quantile(INTERVAL[1], "sample").drop_vars("quantile")
    rows = [d for d in ("scenario", "override", "intervention", "perspective", "horizon") if d in stats.dims]
    df = stats.to_dataframe(dim_order=rows).reset_index()
    df.insert(2, "structure", df["override"].map(structures(ds)))
    df["samples"] = df["samples"].astype(int)
    order = [k for k in KEYS if k in df] + [c for c in df if c not in KEYS]
    return df[order]


def structures(ds: xr.Dataset) -> dict[str, str]:
    """The structural alternative each override set selects ('' for the model's own structure)."""
    overrides = json.loads(ds.attrs.get("overrides", "{}"))
    return {str(name): (o or {}).get("structure") or "" for name, o in overrides.items()}


def format_summary(df: pd.DataFrame) -> str:
    """The table as text for a terminal (see :func:`display_table`)."""
    return display_table(df).to_string(index=False)


def display_table(df: pd.DataFrame) -> pd.DataFrame:
    """The table to read (terminal, report): money rounded to NOK, the interval in brackets,
    censored medians as '≤ 0' / '≥ 2,000,000', '–' where there is no number; the structure and
    intervention columns only where they tell rows apart."""
    def money(v):
        return "–" if pd.isna(v) else f"{v:,.0f}"

    def wage(v, c):
        return "–" if pd.isna(v) else {-1: "≤ ", 1: "≥ "}.get(int(c), "") + f"{v:,.0f}"

    show = pd.DataFrame({
        "scenario": df["scenario"], "override": df["override"],
        **({"structure": df["structure"].replace("", "–")} if df["structure"].astype(bool).any() else {}),
        **({"intervention": df["intervention"]} if df["intervention"].nunique() > 1 else {}),
        "perspective": df["perspective"], "horizon (y)": df["horizon"].map(lambda h: f"{h:g}"),
        "samples": df["samples"],
        "mean inc. NPV": df["inc_npv_mean"].map(money),
        "95 % interval": [f"[{money(a)}, {money(b)}]" if n > 1 else "–"  # one sample (deterministic): none
                          for a, b, n in zip(df["inc_npv_low"], df["inc_npv_high"], df["samples"])],
        "P(pays off)": df["p_pays_off"].map(lambda p: "–" if pd.isna(p) else f"{p:.2f}"),
        "median break-even wage": [wage(v, c) for v, c in zip(df["breakeven_wage_median"], df["breakeven_wage_censored"])],
    })
    if "budget_impact_mean" in df and df["budget_impact_mean"].notna().any():  # an open population's budgets
        show["mean budget impact"] = df["budget_impact_mean"].map(money)
    return show


def write_summary(df: pd.DataFrame, path: Path) -> None:
    """``summary.csv``, written whole or not at all (temporary file + rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False, float_format="%.10g")
    tmp.replace(path)


__all__ = ["display_table", "format_summary", "structures", "summarise", "write_summary"]
