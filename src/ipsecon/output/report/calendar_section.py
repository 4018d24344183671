"""The report's calendar-year section of an open population (issue 15): the per-year table of the
population, programme starts, working days and months on benefits per strategy, and a figure of each
budget's yearly net impact. Reads the ``calendar_*`` variables of results.nc only; its fixed texts are
in :data:`TEXTS` (English and Norwegian)."""

from __future__ import annotations

import pandas as pd

from ipsecon.output.calendar import calendar_frame, has_calendar
from ipsecon.output.report.blocks import Figure, Section, Table, Text
from ipsecon.output.report.folder import Inputs
from ipsecon.output.report.i18n import current, number, percent

TEXTS = {
    "en": {
        "title": "By calendar year: the whole target group and each budget",
        "intro": ("The population is open: the {stock} people of the start and those who join each year, each followed "
                  "from the month they enter. Per person-year of that year's population: working days ({days} "
                  "full-time days a year times the hours worked), share of months in work, months on AAP. "
                  "Budgets are each payer's net in the year, NOK of {price_year}, undiscounted, as budgets are "
                  "made; the impact is {intervention} minus {comparator} (+ = the budget gains)."),
        "year": "year", "persons": "person-years", "entrants": "joined", "starts": "started {intervention}",
        "unserved": "without a place", "part": "{year} ({months} months)", "days": "working days, {s}", "work": "in work, {s}", "aap": "AAP months, {s}",
        "fig_title": "Budget impact of {intervention} vs {comparator} per calendar year",
        "fig_y": "million NOK a year ({price_year} prices)",
        "caption": "Each public budget's yearly net impact (+ = gain), undiscounted; the public purse is their sum.",
    },
    "nb": {
        "title": "År for år: hele målgruppen og hvert budsjett",
        "intro": ("Befolkningen er åpen: de {stock} personene ved start og de som kommer til hvert år, hver fulgt fra "
                  "måneden de kommer inn. Per personår i årets befolkning: arbeidsdager ({days} heltidsdager i året "
                  "ganger arbeidstiden), andel måneder i arbeid, måneder med AAP. Budsjettene er hver betalers netto "
                  "i året, kroner i {price_year}-priser, udiskontert, slik budsjetter lages; virkningen er "
                  "{intervention} minus {comparator} (+ = budsjettet tjener)."),
        "year": "år", "persons": "personår", "entrants": "kom til", "starts": "startet {intervention}",
        "unserved": "uten plass", "part": "{year} ({months} mnd.)", "days": "arbeidsdager, {s}", "work": "i arbeid, {s}", "aap": "AAP-måneder, {s}",
        "fig_title": "Budsjettvirkning av {intervention} mot {comparator} per kalenderår",
        "fig_y": "millioner kroner i året ({price_year}-priser)",
        "caption": "Hvert offentlige budsjetts netto virkning per år (+ = gevinst), udiskontert; det offentlige er summen.",
    },
}


def _t(key: str, **values) -> str:
    text = TEXTS.get(current(), TEXTS["en"])[key]
    return text.format(**values) if values else text


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
    section = Section("calendar", _t("title"))
    section.add(Text(_t("intro", stock=number(float(ds.attrs.get("calendar_stock", float("nan")))),
                        days=ds.attrs.get("calendar_working_days_per_year", 230), price_year=price_year,
                        intervention=intervention, comparator=comparator)))
    years = [str(y) if m >= 12 else _t("part", year=y, months=int(m)) for y, m in zip(ref.index, ref.months)]
    table = pd.DataFrame({_t("year"): years, _t("persons"): [number(v) for v in ref.persons],
                          _t("entrants"): [number(v) for v in ref.entrants],
                          _t("starts", intervention=intervention): [number(v) for v in ref.programme_starts]})
    unserved = ref.programme_wanted - ref.programme_starts
    if (unserved > 1e-9).any():
        table[_t("unserved")] = [number(v) for v in unserved]
    for s in strategies:
        table[_t("days", s=s)] = [number(v, 1) for v in by[s].working_days]
    for s in strategies:
        table[_t("work", s=s)] = [percent(v, 1) for v in by[s].share_in_work]
    for s in strategies:
        table[_t("aap", s=s)] = [number(v, 2) for v in by[s].aap_months]
    section.add(Table(table))
    for s in others:
        budgets = [str(b) for b in ds.budget.values]
        impact = by[s][[f"budget_impact_{b}" for b in budgets]].set_axis(budgets, axis=1)
        title = _t("fig_title", intervention=s, comparator=comparator)
        section.add(Figure(f"calendar_budget_{s}", lambda impact=impact, title=title: _figure(impact, title, price_year),
                           _t("caption")))
    return section


def _figure(impact: pd.DataFrame, title: str, price_year):
    from ipsecon.output.figures.calendar import budget_impact_figure

    return budget_impact_figure(impact, title, _t("fig_y", price_year=price_year))
