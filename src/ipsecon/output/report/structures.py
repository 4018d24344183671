"""The structural alternatives beside the base case (e.g. ``catch_up_3y``: usual care catches up by
year 3): per perspective, the incremental NPV and the break-even wage at the run's horizon under the
base case and under each alternative. Read from ``results.nc`` (``structure_*``, stored by
``simulate``); nothing is recomputed."""

from __future__ import annotations

import pandas as pd

from ipsecon.output.report.blocks import Table, Text
from ipsecon.output.report.i18n import signed, t


def structure_blocks(ds, run, intervention: str, shown: list[str], base_npv: dict[str, float],
                     base_wages: dict[str, pd.Series], label, wage_cell, years) -> list:
    """A sentence and a table comparing the base case with each stored structural alternative, or []."""
    if "structure_incremental_npv" not in ds or intervention not in ds["structure_incremental_npv"]["strategy"].values:
        return []
    npv = ds["structure_incremental_npv"].sel(strategy=intervention)
    wages = ds["structure_breakeven_wage"].sel(strategy=intervention) if "structure_breakeven_wage" in ds else None
    names = [str(s) for s in npv["structure"].values]
    base = t("decision.structures.base")
    rows = []
    for p in shown:
        row = {t("decision.col.perspective"): label(p), t("decision.structures.npv", name=base): signed(base_npv[p])}
        for s in names:
            row[t("decision.structures.npv", name=s)] = signed(float(npv.sel(structure=s, perspective=p)))
        row[t("decision.structures.wage", name=base)] = wage_cell(base_wages.get(p))
        for s in names:
            row[t("decision.structures.wage", name=s)] = "–" if wages is None else wage_cell(pd.Series({
                "breakeven_wage": float(wages.sel(structure=s, perspective=p)),
                "npv_at_low": float(ds["structure_npv_at_low"].sel(strategy=intervention, structure=s, perspective=p)),
                "npv_at_high": float(ds["structure_npv_at_high"].sel(strategy=intervention, structure=s, perspective=p))}))
        rows.append(row)
    described = "; ".join(f"`{s}` — {' '.join(str(((run.model.get('structures') or {}).get(s) or {}).get('description', '')).split())}"
                          for s in names)
    horizon = wages.attrs.get("horizon_years") if wages is not None else run.horizon_years
    return [Text(t("decision.structures.intro", alternatives=described)),
            Table(pd.DataFrame(rows), t("decision.structures.caption", years=years(float(horizon or 0))))]
