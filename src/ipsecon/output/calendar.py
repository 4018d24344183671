"""Calendar-year results of an open population as a table: for the terminal and calendar.csv (issue 15).

Reads the ``calendar_*`` variables of a run's Dataset (:mod:`ipsecon.economics.calendar_years`),
sample 0 (the base case)."""

from __future__ import annotations

import pandas as pd
import xarray as xr

MEASURES = {  # variable -> column
    "calendar_persons": "persons",
    "calendar_share_in_work": "share_in_work",
    "calendar_working_days": "working_days",
    "calendar_aap_months": "aap_months",
    "calendar_ufore_months": "ufore_months",
}


def has_calendar(ds: xr.Dataset) -> bool:
    return "calendar_persons" in ds


def calendar_frame(ds: xr.Dataset) -> pd.DataFrame:
    """One row per calendar year and strategy: persons (person-years), outcomes per person-year, entrants,
    programme starts, each budget's net and (vs the comparator) impact, NOK of the price year undiscounted."""
    base = ds.sel(sample=0)
    frame = pd.DataFrame({col: base[var].to_series() for var, col in MEASURES.items()})
    for kind in ("net", "impact"):
        wide = base[f"calendar_budget_{kind}"].to_series().unstack("budget")
        frame = frame.join(wide.rename(columns=lambda b: f"budget_{kind}_{b}"))
    frame = frame.reset_index()
    for var in ("calendar_entrants", "calendar_programme_starts", "calendar_programme_wanted", "calendar_months",
                "calendar_waiting", "calendar_mean_wait"):
        if var not in base:  # results written before the waiting list
            continue
        frame = frame.merge(base[var].to_series().rename(var.removeprefix("calendar_")).reset_index(), on="year")
    return frame.sort_values(["year", "strategy"]).reset_index(drop=True)


def calendar_text(ds: xr.Dataset, comparator: str, price_year: int) -> str:
    """The per-year table: population, entrants, programme starts, working days and share in work per
    strategy, and each public budget's impact of every other strategy (NOK 1,000)."""
    frame = calendar_frame(ds)
    others = [s for s in ds.strategy.values.tolist() if s != comparator]
    strategies = [comparator] + others
    budgets = list(ds.budget.values)
    by = {s: frame[frame.strategy == s].set_index("year") for s in strategies}
    ref = by[comparator]
    unserved = frame.programme_wanted - frame.programme_starts
    queued = "waiting" in frame and bool((frame.waiting > 1e-9).any())  # a waiting list (capacity.queue)
    capped = not queued and bool((unserved > 1e-9).any())  # the programme's capacity left some without a place
    head = (f"{'year':>5} {'persons':>8} {'entrants':>8} {'starts':>6} " + (f"{'unserved':>8} " if capped else "")
            + (f"{'waiting':>8} {'wait m':>6} " if queued else "")
            + " ".join(f"{'days ' + s:>9}" for s in strategies) + " "
            + " ".join(f"{'work ' + s:>8}" for s in strategies) + " "
            + " ".join(f"{'AAP m ' + s:>9}" for s in strategies))
    days = ds.attrs.get("calendar_working_days_per_year", 230)  # economics.calendar_years.WORKING_DAYS_PER_YEAR
    lines = [f"By calendar year (open population; per person-year; working days = {days} a year × hours share; "
             f"sample 0):", "  " + head]
    for year, row in ref.iterrows():
        cells = [f"{str(year) + ('*' if row.months < 12 else ''):>5}", f"{row.persons:>8,.0f}", f"{row.entrants:>8,.0f}",
                 f"{row.programme_starts:>6,.0f}"]
        cells += [f"{row.programme_wanted - row.programme_starts:>8,.0f}"] if capped else []
        cells += [f"{row.waiting:>8,.0f}", f"{row.mean_wait:>6.1f}"] if queued else []
        cells += [f"{by[s].loc[year, 'working_days']:>9.1f}" for s in strategies]
        cells += [f"{by[s].loc[year, 'share_in_work']:>8.1%}" for s in strategies]
        cells += [f"{by[s].loc[year, 'aap_months']:>9.2f}" for s in strategies]
        lines.append("  " + " ".join(cells))
    partial = ref[ref.months < 12]
    if queued:
        lines.append("  waiting: persons on the waiting list at the year's end; wait m: mean months waited by those "
                     "starting in the year (nan: nobody starts)")
    if len(partial):
        lines.append("  * " + ", ".join(f"{y}: the first {m:.0f} months only (the horizon ends)" for y, m in partial.months.items()))
    for s in others:
        lines.append(f"Budget impact of {s} vs {comparator} per calendar year, NOK 1,000 ({price_year} prices, "
                     "undiscounted; + = the budget gains):")
        lines.append("  " + f"{'year':>4} " + " ".join(f"{b:>12}" for b in budgets))
        for year, row in by[s].iterrows():
            lines.append("  " + f"{year:>4d} " + " ".join(f"{row[f'budget_impact_{b}'] / 1000:>12,.0f}" for b in budgets))
        total = by[s][[f"budget_impact_{b}" for b in budgets]].sum()
        lines.append("  " + f"{'all':>4} " + " ".join(f"{total[f'budget_impact_{b}'] / 1000:>12,.0f}" for b in budgets))
    return "\n".join(lines)
