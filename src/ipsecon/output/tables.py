"""Each command's results as named tables, for ``--format json|csv`` and the ``--excel`` workbook.

The tables are cut from what the API returned (nothing is computed here), so the terminal, the
files and the report show the same numbers. The first table of each command is its main one:
``--format csv`` prints it; JSON and Excel hold them all.
"""

from __future__ import annotations

import io
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import xarray as xr

Tables = dict[str, pd.DataFrame]


def simulate_tables(result) -> Tables:
    out: Tables = {}
    if getattr(result, "cea", None) is not None:
        out["cost_effectiveness"] = result.cea.reset_index(drop=True)
    if result.economics is not None:
        out["economics"] = result.economics.drop(columns=["sample"], errors="ignore").reset_index(drop=True)
    out["summary"] = result.summary.reset_index()
    if result.breakeven is not None:
        out["breakeven"] = result.breakeven.reset_index(drop=True)
    if result.targets:
        out["targets"] = pd.DataFrame(result.targets)
    from ipsecon.output import calendar

    if calendar.has_calendar(result.dataset):  # an open population: results per calendar year
        out["calendar_years"] = calendar.calendar_frame(result.dataset)
    return out


def breakeven_tables(table: pd.DataFrame) -> Tables:
    return {"breakeven": table.reset_index(drop=True)}


def _by_dims(ds: xr.Dataset, dims: set[str]) -> pd.DataFrame | None:
    """The variables whose dimensions are exactly ``dims``, as one tidy table."""
    names = [v for v in ds.data_vars if set(ds[v].dims) == dims]
    if not names:
        return None
    return ds[names].reset_coords(drop=True).to_dataframe().reset_index()


def psa_tables(ds: xr.Dataset) -> Tables:
    out: Tables = {}
    summary = _by_dims(ds, {"intervention", "perspective", "horizon"})
    if summary is not None:
        if "breakeven_wage_quantile" in ds:
            q = ds["breakeven_wage_quantile"].to_dataframe().reset_index()
            q = q.pivot_table(index=["intervention", "perspective", "horizon"], columns="quantile",
                              values="breakeven_wage_quantile", dropna=False)
            q.columns = [f"breakeven_wage_q{float(c):g}" for c in q.columns]
            summary = summary.merge(q.reset_index(), on=["intervention", "perspective", "horizon"], how="left")
        if "breakeven_wage_quantile_censored" in ds:  # a quantile at a bracket end: "≤ low" / "≥ high"
            c = ds["breakeven_wage_quantile_censored"].to_dataframe().reset_index()
            c = c.pivot_table(index=["intervention", "perspective", "horizon"], columns="quantile",
                              values="breakeven_wage_quantile_censored", dropna=False)
            c.columns = [f"breakeven_wage_q{float(x):g}_censored" for x in c.columns]
            summary = summary.merge(c.reset_index(), on=["intervention", "perspective", "horizon"], how="left")
        out["summary"] = summary
    if "evpi" in ds:
        out["evpi"] = _by_dims(ds, set(ds["evpi"].dims))
    if "evppi" in ds:
        out["evppi"] = _by_dims(ds, set(ds["evppi"].dims))
    if "inc_npv" in ds:
        out["samples"] = _by_dims(ds, set(ds["inc_npv"].dims))
    return out


def dsa_tables(ds: xr.Dataset) -> Tables:
    out: Tables = {}
    tornado = _by_dims(ds, {"parameter", "bound", "intervention", "perspective", "horizon"})
    if tornado is not None:
        if "swing" in ds:
            swing = ds["swing"].to_dataframe().reset_index()
            tornado = tornado.merge(swing, on=["parameter", "intervention", "perspective", "horizon"], how="left")
        out["tornado"] = tornado
    base = _by_dims(ds, {"intervention", "perspective", "horizon"})
    if base is not None:
        out["base"] = base
    ranges = _by_dims(ds, {"parameter"})
    if ranges is not None:
        out["ranges"] = ranges
    return out


def sobol_tables(ds: xr.Dataset) -> Tables:
    out: Tables = {"indices": _by_dims(ds, {"output", "horizon", "parameter"})}
    variance = _by_dims(ds, {"output", "horizon"})
    if variance is not None:
        out["variance"] = variance
    return out


# --- rendering ------------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """``value`` as JSON-safe Python: NaN and infinities become None (null), numpy scalars numbers."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int)):
        return value
    if pd.isna(value):
        return None
    return str(value)


def records(frame: pd.DataFrame) -> list[dict]:
    return [plain(r) for r in frame.to_dict(orient="records")]


def to_json(header: dict, tables: Tables, files: dict) -> str:
    """One JSON document: what was run, every table as records, the files written. Valid JSON: no NaN."""
    doc = {**plain(header), "tables": {k: records(v) for k, v in tables.items()},
           "files": {k: str(v) for k, v in files.items()}}
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)


def to_csv(tables: Tables) -> str:
    """The command's main table as CSV (empty cells for missing values)."""
    return next(iter(tables.values())).to_csv(index=False) if tables else ""


def to_excel(tables: Tables, about: dict) -> bytes:
    """A workbook: an 'about' sheet (what was run), then one sheet per table."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame({"field": list(about), "value": [str(plain(v)) for v in about.values()]}).to_excel(
            writer, sheet_name="about", index=False)
        for name, frame in tables.items():
            frame.replace([np.inf, -np.inf], np.nan).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()
