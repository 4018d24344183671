"""The answer first: the section a decision maker reads without scrolling. Per perspective: does
the intervention pay off, when (payback), the break-even wage against the wage assumed for the
group, the cost per extra employment-year, and where a PSA ran the probability of paying off —
then one line on the cost per QALY gained, saying which perspective it is for.

Everything is read from the stored outcomes (``results.nc``: ``outcome_*`` and the break-even
table; ``psa.nc``: per-sample outcomes; ``dsa.nc``: the base case); nothing is recomputed from
the model. Fixed texts come from the catalogue (:mod:`.messages`), numbers through Babel."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ipsecon.output.figures.uncertainty import for_intervention
from ipsecon.output.report.blocks import Section, Table, Text
from ipsecon.output.report.folder import Inputs
from ipsecon.output.report.i18n import current, number, percent, signed, t
from ipsecon.output.report.messages import CATALOGUES
from ipsecon.output.report.structures import structure_blocks

SHOWN = ("society", "public", "nav", "health")  # the perspectives the answer names; the rest are in the sections
WAGE_FIRST = ("public", "society", "nav")  # whose break-even wage the verdict compares with the assumed wage


def who(p: str) -> str:
    """A perspective's name in a sentence ('the public purse'); :func:`label` in a table."""
    return t(f"who.{p}") if f"who.{p}" in CATALOGUES[current()] else label(p)


def label(p: str) -> str:
    return t(f"perspective.{p}") if f"perspective.{p}" in CATALOGUES["en"] else p


def years(h: float) -> str:
    return number(h, 0 if float(h).is_integer() else 1)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + t("decision.and") + names[-1]


def verdict(name: str, npv: dict[str, float], over: str) -> str:
    """'IPS pays off for society over 10 years; not for NAV' — from the sign of each NPV."""
    pays = [p for p, v in npv.items() if v > 0]
    loses = [p for p, v in npv.items() if not v > 0]
    if not pays:
        return t("decision.verdict.none", name=name, over=over) + "."
    if not loses:
        return t("decision.verdict.all", name=name, over=over) + "."
    return (t("decision.verdict.pays", name=name, who=_join([who(p) for p in pays]), over=over) + "; "
            + t("decision.verdict.but_not", who=_join([who(p) for p in loses])) + ".")


def wage_cell(row: pd.Series | None) -> str:
    """A break-even wage as the table shows it: the number, 'any wage', 'none in the bracket' or 'not wage-linked'."""
    if row is None:
        return "–"
    w = row["breakeven_wage"]
    if w == w:
        return number(w)
    low, high = row.get("npv_at_low", np.nan), row.get("npv_at_high", np.nan)
    if low == low and high == high and np.isclose(low, high, rtol=1e-9, atol=0.5):
        return t("decision.not_wage_linked")
    return t("decision.any_wage") if low == low and low > 0 else t("decision.no_wage")


def _censoring(row: pd.Series) -> int:
    """-1: pays off at any wage, +1: at no wage in the bracket, 0: a wage was found or it is not wage-linked."""
    if "censored" in row:
        return int(row["censored"])
    if row["breakeven_wage"] == row["breakeven_wage"]:
        return 0
    low, high = row.get("npv_at_low", np.nan), row.get("npv_at_high", np.nan)
    if low == low and high == high and np.isclose(low, high, rtol=1e-9, atol=0.5):
        return 0  # not wage-linked
    return -1 if low == low and low > 0 else (1 if low == low else 0)


def wage_sentence(rows: dict[str, pd.Series], assumed: float | None, h: float) -> str:
    """Who pays off at any wage, and the first perspective with a break-even wage compared with the
    wage assumed for the group."""
    order = [q for q in WAGE_FIRST if q in rows] + [q for q in rows if q not in WAGE_FIRST]
    out = []
    anywage = [p for p in order if _censoring(rows[p]) < 0]
    if anywage:
        names = _join([label(p) for p in anywage])
        out.append(t("decision.wage.any", who=names[:1].upper() + names[1:], years=years(h)))
    for p in order:
        w = rows[p]["breakeven_wage"]
        if _censoring(rows[p]) > 0 and not out:
            out.append(t("decision.wage.none", who=label(p)[:1].upper() + label(p)[1:], years=years(h)))
        if _censoring(rows[p]) != 0 or w != w:
            continue
        if assumed is None:
            out.append(t("decision.wage.only", who=who(p), years=years(h), wage=number(w)))
        else:
            key = "decision.wage.above" if w > assumed else "decision.wage.below"
            out.append(t(key, who=who(p), years=years(h), wage=number(w), assumed=number(assumed),
                         gap=number(abs(w - assumed))))
        break
    return " ".join(out)


def _breakeven_rows(inp: Inputs, intervention: str | None) -> tuple[dict[str, pd.Series], float | None]:
    """The break-even rows at the longest horizon (per perspective) and that horizon."""
    be = inp.breakeven
    if be is None or be.empty:
        return {}, None
    if "intervention" in be and intervention is not None and (be["intervention"] == intervention).any():
        be = be[be["intervention"] == intervention]
    if "scenario" in be and be["scenario"].nunique() > 1:
        be = be[be["scenario"] == be["scenario"].iloc[0]]
    h = float(be["horizon_years"].max())
    at = be[be["horizon_years"] == h]
    return {str(r["perspective"]): r for _, r in at.iterrows()}, h


def _qaly_line(name: str, perspective: str, net_cost: float, d_qalys: float) -> str:
    if not d_qalys > 0:
        return t("decision.icer.none", name=name)
    if net_cost <= 0:
        return t("decision.icer.dominant", who=who(perspective), name=name, qalys=number(d_qalys, 3),
                 cost=number(-net_cost))
    return t("decision.icer", who=who(perspective), value=number(net_cost / d_qalys), cost=number(net_cost),
             qalys=number(d_qalys, 3))


def _results_answer(inp: Inputs, sec: Section, facts: dict) -> bool:
    ds, run = inp.results, inp.run("results.nc")
    comparator, interventions = run.roles()
    if ds is None or "outcome_incremental_npv" not in ds or comparator is None or not interventions:
        return False
    short = run.short_labels(list(ds["strategy"].values))
    horizon = run.horizon_years
    over = t("decision.over", years=years(horizon)) if horizon else ""
    assumed = run.typical_wage
    for i in [i for i in interventions if i in ds["strategy"].values]:
        def cell(v: str, p: str, i: str = i) -> float:
            return float(ds[f"outcome_{v}"].sel(perspective=p, strategy=i))

        shown = [p for p in SHOWN if p in ds["perspective"].values]
        npv = {p: cell("incremental_npv", p) for p in shown}
        wages, h_be = _breakeven_rows(inp, i)
        lines = [verdict(short[i], npv, over)]
        lines.append(wage_sentence(wages, assumed, h_be) if wages else t("decision.wage.not_computed"))
        rows = []
        for p in shown:
            pb = cell("payback_month", p)
            per_job = cell("cost_per_extra_employment_year", p) if "outcome_cost_per_extra_employment_year" in ds \
                else np.nan
            rows.append({t("decision.col.perspective"): label(p),
                         t("decision.col.pays"): t("decision.yes") if npv[p] > 0 else t("decision.no"),
                         t("decision.col.npv"): signed(npv[p]),
                         t("decision.col.payback"): t("decision.month", m=int(pb)) if pb == pb
                         else t("decision.never", years=years(horizon or 0)),
                         t("decision.col.breakeven", assumed=number(assumed) if assumed else "–"):
                             wage_cell(wages.get(p)),
                         t("decision.col.per_job_year"): number(per_job)})
        sec.add(Text(f"**{t('decision.in_short')}:** " + " ".join(x for x in lines if x)))
        stock_only = ("" if "calendar_persons" not in ds else " " + t(  # an open population: only the stock's run
            "decision.stock_only", stock=number(float(ds.attrs["calendar_stock"])), year=int(ds["year"].values[0])))
        sec.add(Table(pd.DataFrame(rows), t("decision.table.caption", year=run.price_year or "–", name=short[i],
                                            comparator=short[comparator].lower()) + " " + t("decision.per_job_year")
                      + stock_only))
        # the structural alternatives get their own section right after the answer (which must fit a screen)
        facts.setdefault("structures", []).extend(structure_blocks(ds, run, i, shown, npv, wages, label, wage_cell,
                                                                   years))
        if "outcome_qalys" in ds:
            q = ds["outcome_qalys"].sel(perspective=shown[0])
            d_q = float(q.sel(strategy=i) - q.sel(strategy=comparator))
            value = run.qaly_value or _number(ds.attrs.get("willingness_to_pay_per_qaly"))
            if "society" in npv and value:
                p, net_cost = "society", -npv["society"] + d_q * value  # society's NPV holds the QALYs' money value
            else:
                p = "health" if "health" in npv else shown[0]
                net_cost = -npv[p]
            sec.add(Text(_qaly_line(short[i], p, net_cost, d_q) + " " + t("decision.icer.which", who=who(p))))
    facts["answered"] = True
    return True


def _number(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if v == v else None


def _psa_answer(inp: Inputs, sec: Section) -> bool:
    from ipsecon.output.report.uncertainty_sections import setting
    from ipsecon.uncertainty.psa import breakeven_quantile_labels

    psa, run = inp.psa, inp.run("psa.nc")
    if psa is None or "inc_npv" not in psa:
        return False
    view = setting(psa, run)
    h = view.horizon
    shown = [p for p in SHOWN if p in view.perspectives] or view.perspectives[:4]
    assumed = run.typical_wage
    n = psa.sizes["sample"]
    medians = breakeven_quantile_labels(psa) if "breakeven_wage" in psa and "breakeven_status" in psa else None
    for i in view.interventions:
        name = view.short.get(i, i) if i else "IPS"
        inc = for_intervention(psa["inc_npv"], i).sel(horizon=h)
        mean = {p: float(inc.sel(perspective=p).mean()) for p in shown}
        lines = [verdict(name, mean, t("decision.over", years=years(h)))]
        wages = {}
        if "breakeven_wage_quantile" in psa:  # the median over all samples, censored ones at the bracket's bounds
            q = for_intervention(psa["breakeven_wage_quantile"], i).sel(quantile=0.5, horizon=h)
            c = for_intervention(psa["breakeven_wage_quantile_censored"], i).sel(quantile=0.5, horizon=h)
            wages = {p: pd.Series({"breakeven_wage": float(q.sel(perspective=p)),
                                   "censored": int(c.sel(perspective=p))}) for p in shown
                     if np.isfinite(float(q.sel(perspective=p)))}
            lines.append(wage_sentence(wages, assumed, h))
        pays = for_intervention(psa["prob_pays_off"], i).sel(horizon=h) if "prob_pays_off" in psa else (inc > 0).mean("sample")
        lines.append(t("decision.psa", n=number(n), years=years(h),
                       probs=", ".join(f"{who(p)} {percent(float(pays.sel(perspective=p)))}" for p in shown)))
        rows = []
        for p in shown:
            x = inc.sel(perspective=p).values
            row = {t("decision.col.perspective"): label(p),
                   t("decision.col.npv_psa"): f"{signed(mean[p])} ({signed(np.percentile(x, 2.5))} – "
                                               f"{signed(np.percentile(x, 97.5))})",
                   t("decision.col.prob"): percent(float(pays.sel(perspective=p))),
                   t("decision.col.payback"): _first_positive(for_intervention(psa["inc_npv"], i).sel(perspective=p))}
            if medians is not None:
                m = for_intervention(medians.sel(quantile=0.5), i).sel(perspective=p, horizon=h)
                row[t("decision.col.breakeven_median", assumed=number(assumed) if assumed else "–")] = \
                    _localise_wage(str(m.values))
            if "employment_years" in psa and view.comparator is not None and i is not None:
                e = psa["employment_years"].sel(horizon=h)
                d_emp = float((e.sel(strategy=i) - e.sel(strategy=view.comparator)).mean())
                row[t("decision.col.per_job_year")] = number(-mean[p] / d_emp) if d_emp else "–"
            rows.append(row)
        sec.add(Text(f"**{t('decision.in_short')}:** " + " ".join(x for x in lines if x)))
        sec.add(Table(pd.DataFrame(rows), t("decision.table.caption", year=psa.attrs.get("price_year", run.price_year),
                                            name=name, comparator=view.short.get(view.comparator, "").lower())
                      + " " + t("decision.per_job_year")))
        if "cost" in psa and "qalys" in psa and view.comparator is not None and i is not None:
            p = "society" if "society" in psa["perspective"].values else shown[0]
            c = psa["cost"].sel(perspective=p, horizon=h)
            q = psa["qalys"].sel(horizon=h)
            d_c = float((c.sel(strategy=i) - c.sel(strategy=view.comparator)).mean())
            d_q = float((q.sel(strategy=i) - q.sel(strategy=view.comparator)).mean())
            sec.add(Text(_qaly_line(name, p, d_c, d_q) + " " + t("decision.icer.which", who=who(p))))
    return True


def _first_positive(inc) -> str:
    """The first PSA horizon at which the mean incremental NPV is positive ('by 5 years')."""
    mean = inc.mean("sample")
    for h in mean["horizon"].values:
        if float(mean.sel(horizon=h)) > 0:
            return t("decision.by_years", years=years(float(h)))
    return t("decision.never", years=years(float(mean["horizon"].values.max())))


def _localise_wage(label: str) -> str:
    """A stored quantile label ('≤ 0', '123,456', '≥ 2,000,000') in the report's number format."""
    sign = label[:2] if label[:1] in "≤≥" else ""
    try:
        return sign + number(float(label[len(sign):].replace(",", "")))
    except ValueError:
        return label


def _dsa_answer(inp: Inputs, sec: Section) -> bool:
    from ipsecon.output.report.uncertainty_sections import setting

    dsa = inp.dsa
    if dsa is None or "base_inc_npv" not in dsa:
        return False
    view = setting(dsa, inp.run("dsa.nc"))
    for i in view.interventions:
        base = for_intervention(dsa["base_inc_npv"], i).sel(horizon=view.horizon, method="nearest")
        if "sample" in base.dims:
            base = base.isel(sample=0)
        shown = [p for p in SHOWN if p in view.perspectives] or view.perspectives[:4]
        npv = {p: float(base.sel(perspective=p)) for p in shown}
        name = view.short.get(i, i) if i else "IPS"
        wage = ""
        if "base_breakeven_wage" in dsa:
            w = for_intervention(dsa["base_breakeven_wage"], i).sel(horizon=view.horizon, method="nearest")
            st = for_intervention(dsa["base_breakeven_status"], i).sel(horizon=view.horizon, method="nearest") \
                if "base_breakeven_status" in dsa else None
            rows = {p: pd.Series({"breakeven_wage": float(w.sel(perspective=p)),
                                  "censored": {1: -1, 2: 1}.get(int(st.sel(perspective=p)), 0) if st is not None else 0})
                    for p in shown}
            wage = " " + wage_sentence(rows, inp.run("dsa.nc").typical_wage, view.horizon)
        sec.add(Text(f"**{t('decision.in_short')}:** " + verdict(name, npv, t("decision.over", years=years(view.horizon)))
                     + " " + t("decision.base_case", years=years(view.horizon),
                               values="; ".join(f"{label(p)} {signed(v)}" for p, v in npv.items())) + wage))
    return True


def _breakeven_answer(inp: Inputs, sec: Section) -> bool:
    be = inp.breakeven
    if be is None or be.empty:
        return False
    from ipsecon.output.report.breakeven_section import breakeven_runs

    runs = breakeven_runs(inp)
    lines = []
    for s, g in be.groupby("scenario", sort=False):
        run = runs.get(str(s))
        h = float(g["horizon_years"].max())
        rows = {str(r["perspective"]): r for _, r in g[g["horizon_years"] == h].iterrows()}
        text = wage_sentence(rows, run.typical_wage if run else None, h)
        title = (run.title if run and run.title else str(s)) if be["scenario"].nunique() > 1 else ""
        lines.append(f"- **{title}**: {text}" if title else text)
    sec.add(Text(f"**{t('decision.in_short')}:** " + t("decision.breakeven_only", years=years(float(be['horizon_years'].max())))
                 + "\n\n" + "\n".join(x if x.startswith("- ") else f"- {x}" for x in lines if x)))
    return True


def decision_section(inp: Inputs, facts: dict) -> Section | None:
    """The answer, from the richest file the folder holds (results.nc, else psa.nc, dsa.nc, the
    break-even table, sobol.nc or a sweep)."""
    sec = Section("decision", t("section.decision"))
    answered = (_results_answer(inp, sec, facts) or _psa_answer(inp, sec) or _dsa_answer(inp, sec)
                or _breakeven_answer(inp, sec))
    if not answered and inp.sobol is not None:
        sec.add(Text(t("decision.sobol", n=number(int(inp.sobol.attrs.get("n_evaluations", 0))))))
        answered = True
    if not answered and inp.sweep is not None:
        sec.add(Text(t("decision.sweep")))
        answered = True
    if not answered:
        return None
    return sec  # the contents follow at once: no line announcing them (the answer must fit a screen)


def structures_section(facts: dict) -> Section | None:
    """How long the effect lasts: the base case beside the model's structural alternatives (from the answer's
    facts), or None where the run stored none."""
    blocks = facts.get("structures") or []
    return Section("structures", t("section.structures"), list(blocks)) if blocks else None
