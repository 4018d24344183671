"""The report's calendar-year section of an open population (issue 15): the per-year table of the
population, programme starts, working days and months on benefits per strategy, and a figure of each
budget's yearly net impact. Reads the ``calendar_*`` variables of results.nc only; its fixed texts are
``calendar.*`` in :mod:`ipsecon.output.report.messages`."""

from __future__ import annotations

import pandas as pd

from ipsecon.output.calendar import calendar_frame, has_calendar
from ipsecon.output.report.blocks import Figure, Section, Table, Text
from ipsecon.output.report.folder import Inputs
from ipsecon.output.report.i18n import number, percent, t


def calendar_section(inp: Inputs) -> Section | None:
    ds = inp.results
    if ds is None or not has_calendar(ds):
        return None
    run = inp.run("results.nc")
    comparator, _ = run.roles()
    comparator = comparator or str(ds.strategy.values[0])
    others = [s for s in ds.strategy.values.tolist() if s != comparator]
    strategies = [comparator] + others
    price_year = run.price_year or ""
    frame = calendar_frame(ds)
    by = {s: frame[frame.strategy == s].set_index("year") for s in strategies}
    ref = by[comparator]
    intervention = others[0] if others else comparator
    section = Section("calendar", t("calendar.title"))
    section.add(Text(t("calendar.intro", stock=number(float(ds.attrs.get("calendar_stock", float("nan")))),
                        days=ds.attrs.get("calendar_working_days_per_year", 230), price_year=price_year,
                        intervention=intervention, comparator=comparator)))
    years = [str(y) if m >= 12 else t("calendar.part", year=y, months=int(m)) for y, m in zip(ref.index, ref.months)]
    table = pd.DataFrame({t("calendar.year"): years, t("calendar.persons"): [number(v) for v in ref.persons],
                          t("calendar.entrants"): [number(v) for v in ref.entrants],
                          t("calendar.starts", intervention=intervention): [number(v) for v in ref.programme_starts]})
    unserved = ref.programme_wanted - ref.programme_starts
    if (unserved > 1e-9).any():
        table[t("calendar.unserved")] = [number(v) for v in unserved]
    for s in strategies:
        table[t("calendar.days", s=s)] = [number(v, 1) for v in by[s].working_days]
    for s in strategies:
        table[t("calendar.work", s=s)] = [percent(v, 1) for v in by[s].share_in_work]
    for s in strategies:
        table[t("calendar.aap", s=s)] = [number(v, 2) for v in by[s].aap_months]
    section.add(Table(table))
    for s in others:
        budgets = [str(b) for b in ds.budget.values]
        impact = by[s][[f"budget_impact_{b}" for b in budgets]].set_axis(budgets, axis=1)
        title = t("calendar.fig_title", intervention=s, comparator=comparator)
        section.add(Figure(f"calendar_budget_{s}", lambda impact=impact, title=title: _figure(impact, title, price_year),
                           t("calendar.caption")))
    return section


def _figure(impact: pd.DataFrame, title: str, price_year):
    from ipsecon.output.figures.calendar import budget_impact_figure

    return budget_impact_figure(impact, title, t("calendar.fig_y", price_year=price_year))
