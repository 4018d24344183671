"""The break-even wage section: from ``breakeven.nc`` (``ipsecon breakeven``, one run per
scenario, each with its own title, prices and assumed wage), or the wages ``simulate`` stores in
``results.nc``; ``breakeven.csv`` alone only in older folders."""

from __future__ import annotations

import pandas as pd

from ipsecon.output import figures as figs
from ipsecon.output.report.blocks import not_recorded, Figure, Section, Table, Text
from ipsecon.output.report.folder import Inputs
from ipsecon.output.report.commands import shown_path
from ipsecon.output.report.runs import RunInfo
from ipsecon.output.report.i18n import current, number
from ipsecon.output.report.i18n import t
from ipsecon.output.report.decision import label as perspective_name, wage_cell


def breakeven_runs(inp: Inputs) -> dict[str, RunInfo]:
    """The run of each scenario in the break-even table."""
    if inp.breakeven_runs:
        return inp.breakeven_runs
    run = inp.run("breakeven.nc") if inp.breakeven_file == "breakeven.nc" else inp.run("results.nc")
    scenarios = list(dict.fromkeys(str(s) for s in inp.breakeven["scenario"])) if inp.breakeven is not None else []
    return {s: run for s in scenarios} if scenarios else {run.name: run}


def scenario_label(name: str, run: RunInfo, several: bool) -> str:
    return f"{run.title} (`{name}`)" if several and run.title else name


def wage_label(r) -> str:
    """A break-even wage as the table shows it (one rule for the answer and this section)."""
    return wage_cell(r)


def breakeven_section(inp: Inputs, facts: dict) -> Section | None:
    be = inp.breakeven
    if be is None or be.empty:
        if inp.results is not None and "ledger" in inp.results:
            sec = Section("breakeven", t("section.breakeven"))
            file = shown_path(inp.run("results.nc").get("scenario_file") or "SCENARIO")
            sec.add(Text(t("breakeven.not_computed", file=file)))
            return sec
        return None
    runs = breakeven_runs(inp)
    several = be["scenario"].nunique() > 1
    price_years = {r.price_year for r in runs.values() if r.price_year is not None}
    py = price_years.pop() if len(price_years) == 1 else None
    wages = {s: r.typical_wage for s, r in runs.items() if r.typical_wage is not None}
    interventions = list(dict.fromkeys(be["intervention"])) if "intervention" in be else []
    name = t("unc.the_intervention")
    run = next(iter(runs.values()))
    if len(interventions) == 1 and interventions[0] in run.strategy_labels():  # a label the run records
        name = run.short_labels(interventions)[interventions[0]]
    sec = Section("breakeven", t("section.breakeven"))
    sec.add(Text(t("breakeven.intro") + ("" if wages else " " + t("breakeven.no_wage", what=not_recorded()))))
    if inp.breakeven_file == "breakeven.csv":
        sec.add(Text(t("breakeven.csv")))
    drawn, batches = with_mc_errors(be, inp)
    sec.add(Figure("breakeven", lambda: figs.breakeven_plot(drawn, py, wages if several else next(iter(wages.values()), None),
                                                            name),
                   t("breakeven.fig") + (". " + t("mc.band_breakeven", b=batches) if batches else "")))
    tab = be.assign(label=be.apply(wage_label, axis=1))
    tab["scenario"] = [scenario_label(s, runs.get(s, RunInfo("")), several) for s in tab["scenario"]]
    tab["perspective"] = [perspective_name(p) for p in tab["perspective"]]
    index = (["scenario"] if several else []) + (["intervention"] if len(interventions) > 1 else []) + ["perspective"]
    pivot = tab.pivot_table(index=index, columns="horizon_years", values="label", aggfunc="first")
    pivot.columns = [t("time.years", n=number(h, 0 if float(h).is_integer() else 1)) for h in pivot.columns]
    pivot.index.names = [t({"scenario": "run.col.scenario", "intervention": "card.col.strategy",
                            "perspective": "decision.col.perspective"}[n]) for n in pivot.index.names]
    prices = t("subtitle.prices", year=py) if py else t("breakeven.each_prices")
    sec.add(Table(pivot.reset_index(), t("breakeven.caption", prices=prices)))
    if "reason" in be:
        reasons = be[be["breakeven_wage"].isna()].drop_duplicates([c for c in ("scenario", "intervention", "perspective",
                                                                                "reason") if c in be])
        who = (lambda r: f"{r['scenario']} / ") if several else (lambda r: "")
        if not reasons.empty:
            # the stored reasons are English sentences: another language says what the table cell says
            sec.add(Text("\n".join(t("breakeven.reason", who=who(r) + perspective_name(r["perspective"]),
                                      years=number(r["horizon_years"], 0 if float(r["horizon_years"]).is_integer() else 1),
                                      reason=r["reason"] if current() == "en" else wage_label(r))
                                   for _, r in reasons.iterrows())))
    facts["breakeven"] = be
    return sec


def with_mc_errors(be: pd.DataFrame, inp: Inputs) -> tuple[pd.DataFrame, int]:
    """The table with ``mc_se``, the Monte Carlo standard error of each wage, where the wages are a
    microsim run's own (``results.nc``: ``breakeven_wage_mc_se``, delta method over person batches in
    output.mc_error), and the number of batches; the table as it is and 0 otherwise."""
    ds = inp.results
    if inp.breakeven_file != "results.nc" or ds is None or "breakeven_wage_mc_se" not in ds:
        return be, 0
    se = ds["breakeven_wage_mc_se"].to_dataframe().reset_index()
    se = se.rename(columns={"breakeven_horizon": "horizon_years", "breakeven_wage_mc_se": "mc_se"})
    keys = [k for k in ("intervention", "perspective", "horizon_years") if k in be and k in se]
    return be.merge(se[keys + ["mc_se"]], on=keys, how="left"), int(ds["breakeven_wage_mc_se"].attrs.get("batches", 0))


def breakeven_headline(inp: Inputs, be: pd.DataFrame) -> list[str]:
    """One line per scenario (and intervention): its society break-even wage at its longest horizon,
    next to its own title when there are several scenarios."""
    runs = breakeven_runs(inp)
    several = be["scenario"].nunique() > 1
    lines = []
    keys = ["scenario"] + (["intervention"] if "intervention" in be and be["intervention"].nunique() > 1 else [])
    for key, g in be.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        g = g[g["perspective"] == "society"] if (g["perspective"] == "society").any() else g
        r = g.sort_values("horizon_years").iloc[-1]
        w = r["breakeven_wage"]
        what = t("breakeven.per_year", wage=number(w)) if w == w else wage_label(r)
        run = runs.get(str(key[0]), RunInfo(""))
        who = f"**{run.title or key[0]}** (`{key[0]}`): " if several else ""
        extra = f" ({key[1]})" if len(key) > 1 else ""
        text = t("breakeven.headline", extra=extra, who=perspective_name(r["perspective"]),
                 years=number(r["horizon_years"], 0 if float(r["horizon_years"]).is_integer() else 1), what=what)
        lines.append(who + (text[0].lower() + text[1:] if several else text))
    return lines
