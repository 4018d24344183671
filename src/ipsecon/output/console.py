"""What the terminal shows: plain-text tables of results that the API computed (nothing is computed here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ipsecon.uncertainty.psa import breakeven_quantile_labels


def money(x: float) -> str:
    return "n/a" if x != x else f"{x:,.0f}"


def economics_table(table, price_year: int, comparator: str) -> str:
    lines = [f"Economics per person, discounted, NOK {price_year} (vs {comparator}):",
             "  " + "perspective".ljust(13) + "strategy".ljust(10) + "incr. NPV".rjust(13) + "BCR".rjust(8)
             + "payback".rjust(10)]
    for _, row in table.iterrows():
        bcr = ("–" if row.get("ratio_note") else "") if row["bcr"] != row["bcr"] else f"{row['bcr']:.2f}"
        payback = "never" if row["payback_month"] != row["payback_month"] else f"m{int(row['payback_month'])}"
        lines.append("  " + str(row["perspective"]).ljust(13) + str(row["strategy"]).ljust(10)
                     + f"{row['incremental_npv']:13,.0f}" + bcr.rjust(8) + payback.rjust(10))
    lines.append("  (society includes QALYs valued at economics.qaly_value; 'payback' = month the cumulative "
                 "discounted incremental net turns and stays positive)")
    if "ratio_note" in table and table["ratio_note"].astype(bool).any():
        lines.append("  (BCR '–' = n/a: no or tiny incremental costs, below max(100 NOK, 1 % of costs + gains) per person)")
    return "\n".join(lines)


def cost_effectiveness_table(table: pd.DataFrame) -> str:
    """Totals, increments against the comparator, the frontier's ICERs and NMB of a model without the ledger."""
    a = table.attrs
    cu, eu = a["cost_unit"], a["effect_unit"]

    def num(x, fmt):
        return "–" if x != x else format(x, fmt)

    lines = [f"Cost-effectiveness per person, discounted ({cu}; effect: {a['effect']} in {eu}; vs {a['comparator']}; "
             f"NMB at {a['wtp']:,.0f} {cu} per {eu}):",
             "  " + "strategy".ljust(12) + "cost".rjust(12) + "effect".rjust(10) + "incr. cost".rjust(12)
             + "incr. eff.".rjust(11) + "ICER".rjust(12) + "  " + "vs comparator".ljust(14) + "NMB".rjust(13)
             + "incr. NMB".rjust(12) + "  frontier"]
    for _, r in table.iterrows():
        ref = r["vs_comparator"] == "comparator"
        front = r["status"] if r["status"] != "frontier" or r["compared_with"] is None else \
            f"frontier, ICER {num(r['icer'], ',.0f')} vs {r['compared_with']}"
        lines.append("  " + str(r["strategy"]).ljust(12) + num(r["cost"], ",.0f").rjust(12) + num(r["effect"], ".4f").rjust(10)
                     + ("–" if ref else num(r["incremental_cost"], ",.0f")).rjust(12)
                     + ("–" if ref else num(r["incremental_effect"], ".4f")).rjust(11)
                     + num(r["icer_vs_comparator"], ",.0f").rjust(12) + "  " + str(r["vs_comparator"]).ljust(14)
                     + num(r["nmb"], ",.0f").rjust(13) + ("–" if ref else num(r["incremental_nmb"], ",.0f")).rjust(12)
                     + "  " + front)
    lines.append(f"  (ICER = incremental cost per {eu} gained against {a['comparator']}; none where one strategy dominates; "
                 "frontier: strong and extended dominance removed)")
    return "\n".join(lines)


def _with_se(summary, row, column: str, text: str, se_format: str) -> str:
    """``text`` followed by the column's Monte Carlo standard error where the summary has one (microsim)."""
    se = f"{column}_se"
    return text + se_format.format(row[se]) if se in summary.columns else text


def _paired_se(summary, row, column: str) -> str:
    """The Monte Carlo standard error of the difference from the comparator (paired), where there is one."""
    se = row.get(f"{column}_incremental_se") if f"{column}_incremental_se" in summary.columns else None
    return f" [difference MC se {se:,.2g}, paired]" if se is not None and np.isfinite(se) else ""


def summary_table(summary) -> str:
    lines = []
    emp = [c for c in summary.columns if c.startswith("employed_m") and not c.endswith("_se")]
    if emp:
        lines.append("Share in competitive employment at month:")
        header = "  " + "strategy".ljust(12) + "".join(c.replace("employed_m", "m").rjust(16) for c in emp)
        lines.append(header)
        for strategy, row in summary.iterrows():
            cells = [_with_se(summary, row, c, f"{row[c]:.1%}", " ±{:.1%}").rjust(16) for c in emp]
            lines.append("  " + str(strategy).ljust(12) + "".join(cells))
    pm = [c for c in summary.columns if c.startswith("person_months_")]
    lines.append("Person-months per person in each state:")
    width = [max(11, len(c) - len("person_months_") + 2) for c in pm]  # state names as long as employed_ufore
    lines.append("  " + "strategy".ljust(12) + "".join(c.replace("person_months_", "").rjust(w) for c, w in zip(pm, width)))
    for strategy, row in summary.iterrows():
        lines.append("  " + str(strategy).ljust(12) + "".join(f"{row[c]:{w}.2f}" for c, w in zip(pm, width)))
    rewards = [c for c in summary.columns if c.endswith("_discounted")]
    if rewards:
        lines.append("Discounted totals per person:")
        for strategy, row in summary.iterrows():
            parts = [_with_se(summary, row, c, f"{c.replace('_discounted', '')} {row[c]:,.4g}", " (MC se {:,.2g})")
                     + _paired_se(summary, row, c) for c in rewards]
            lines.append("  " + str(strategy).ljust(12) + "; ".join(parts))
    return "\n".join(lines)


def simulation(result) -> str:
    """The run's header, employment, person-months, totals, economics and validation targets."""
    sc, sim = result.scenario, result.simulation
    lines = [f"{sc.spec.title}  [{sc.name}, {sim.trace.engine}, horizon {sim.horizon_years:g} years"
             + (f", {sim.individuals} individuals, seed {sim.seed}" if sim.individuals else "")
             + (f", structure {sc.structure}" if sc.structure else "")
             + (", overrides " + ", ".join(f"{k}={v:g}" for k, v in sc.overrides.items()) if sc.overrides else "") + "]",
             summary_table(result.summary)]
    if result.economics is not None:
        lines.append(economics_table(result.economics, sc.spec.price_year, sc.model.comparator))
        rate = result.dataset.attrs.get("tax_financing_cost_rate")
        if rate is not None:  # R-109/21: say whether society carries the tax-financing cost
            lines.append(f"  (society includes the tax-financing cost, {rate:.0%} of the net public effect, R-109/21)" if rate
                         else "  (society without the tax-financing cost: economics.mcpf = 0)")
        if "calendar_persons" in result.dataset:  # an open population: the headline figures are the stock's alone
            lines.append(f"  (NPVs and break-even wages per person: the {result.dataset.attrs['calendar_stock']:,.0f} people "
                         f"of January {int(result.dataset['year'].values[0])} as a closed group, all starting at once; "
                         "entrants, uptake and capacity count only in the budget impact by calendar year below)")
        if result.dataset.attrs.get("discounting"):  # which discount schedule every discounted figure used
            lines.append(f"  (discounting: {result.dataset.attrs['discounting']})")
        if "net_programme_cost_per_participant" in result.summary:
            for strategy, row in result.summary.iterrows():
                if row["net_programme_cost_per_participant"] == row["net_programme_cost_per_participant"]:
                    lines.append(f"  ({strategy}: net programme cost per participant over the horizon, undiscounted "
                                 f"{row['net_programme_cost_per_participant']:,.0f}; the Norwegian trial's published figure "
                                 f"(Holmås 2021, V3) uprated with G: {row['published_net_cost_per_participant']:,.0f})")
    if getattr(result, "cea", None) is not None:
        lines.append(cost_effectiveness_table(result.cea))
    if result.targets:
        lines.append(targets_table(result.targets))
    return "\n".join(lines)


def targets_table(rows: list[dict]) -> str:
    """Published figures vs the model: calibration targets (fitted) and validation targets (not), PASS/MISS."""
    lines = ["Published figures vs the model (PASS: inside the published 95 % interval, or ± tolerance where none):"]
    for t in rows:
        # shares as percentages; reward totals (reward_total, reward_difference) in the reward's unit
        f = "{:,.0f}" if str(t.get("measure", "")).startswith("reward_") else "{:.1%}"
        lines.append(f"  {t['verdict']:<4} {t['role']:<11} {t['label']}: published {f.format(t['target'])} "
                     f"[{f.format(t['low'])}, {f.format(t['high'])}], model {f.format(t['model'])}  — {t['source']}")
    misses = [t for t in rows if t["verdict"] == "MISS"]
    if misses:
        lines.append(f"  WARNING: {len(misses)} of {len(rows)} published figures MISS: the model contradicts "
                     "them there (see the report)")
    return "\n".join(lines)


def _wage_label(wage: float, npv_at_low: float, status) -> str:
    if wage == wage:
        return f"{wage:,.0f}"
    if status == 3:  # the perspective's NPV has no wage-linked flow
        return "no link"
    return "any wage" if npv_at_low > 0 else "none"


def breakeven(table: pd.DataFrame, price_year: int) -> str:
    status = table["status"] if "status" in table else pd.Series([None] * len(table), index=table.index)
    label = pd.Series([_wage_label(w, lo, st) for w, lo, st in zip(table["breakeven_wage"], table["npv_at_low"], status)],
                      index=table.index)
    keys = ["scenario", "intervention", "perspective"]
    several = table["intervention"].nunique() > 1
    lines = [f"NPV break-even wage: gross annual wage at which the perspective's incremental NPV is zero (NOK per "
             f"person-year in work, {price_year} prices; 'any wage' = pays off even at 0, 'none' = no wage up to the "
             f"bracket's top breaks even, 'no link' = the NPV does not depend on the wage):"]

    def block(labels: pd.Series) -> list[str]:
        pivot = table.assign(label=labels).pivot(index=keys, columns="horizon_years", values="label")
        out = ["  " + "scenario / perspective".ljust(28) + "".join(f"{h:>10g}y" for h in pivot.columns)]
        for (scenario, intervention, perspective), row in pivot.iterrows():
            name = f"{scenario} / {intervention + ' / ' if several else ''}{perspective}"
            out.append("  " + name.ljust(28) + "".join(str(v).rjust(11) for v in row))
        return out

    lines += block(label)
    for _, r in table[table["breakeven_wage"].isna()].drop_duplicates(["scenario", "perspective", "reason"]).iterrows():
        lines.append(f"  - {r['scenario']} / {r['perspective']} at {r['horizon_years']:g}y: {r['reason']}")
    if "programme_breakeven_wage" in table:
        lines.append("Programme break-even wage: gross annual wage the people who get jobs must earn for the employment "
                     "effect (the perspective's gain, no health value) to carry IPS's whole running cost (seed 004):")
        plabel = pd.Series([_wage_label(w, 0.0, st) if st != 1 else "any wage" for w, st in
                            zip(table["programme_breakeven_wage"], table["programme_status"])], index=table.index)
        lines += block(plabel)
    return "\n".join(lines)


def _ce_psa(ds: xr.Dataset, name: str, price_year: int) -> str:
    """PSA of a model without the ledger: mean increments, the ICER of the means, P(cost-effective), EVPI."""
    h, wtp, a = ds.horizon.values, ds.attrs["wtp_default"], ds.attrs
    cu, eu, ref = a["ce_cost_unit"], a["ce_effect_unit"], a["comparator"]
    p = ds.perspective.values[0]
    lines = [f"PSA of {name}: {a['n_samples']} samples ({a['method']}), {cu} per person discounted, {price_year} prices; "
             f"effect {a['ce_effect']} ({eu}); compared with {ref}; NMB at {wtp:,.0f} {cu} per {eu}"]
    head = "".join(f"{x:>10g}y" for x in h)
    for i in ds.intervention.values:
        d_c = ds.cost.sel(strategy=i, perspective=p) - ds.cost.sel(strategy=ref, perspective=p)
        d_e = ds.qalys.sel(strategy=i) - ds.qalys.sel(strategy=ref)
        mc, me = d_c.mean("sample").values, d_e.mean("sample").values
        one = ds.sel(intervention=i, perspective=p)
        lines.append(f" {i} vs {ref}" + " " * max(1, 27 - len(f" {i} vs {ref}")) + head)
        for label, vals in (("mean incremental cost", [money(v) for v in mc]),
                            ("mean incremental effect", [f"{v:.4f}" for v in me]),
                            ("ICER of the means", [money(c / e) if e else "–" for c, e in zip(mc, me)]),
                            ("mean incremental NMB", [money(v) for v in one.inc_npv_mean.values]),
                            ("P(cost-effective)", [f"{v:.2f}" for v in one.prob_pays_off.values])):
            lines.append(f"  {label}".ljust(28) + "".join(str(v).rjust(11) for v in vals))
        if "inc_npv_base" in ds:
            lines.append(f"  base case ({a.get('base_case', 'mean')}) incr. NMB".ljust(28)
                         + "".join(money(v).rjust(11) for v in one.inc_npv_base.values))
    e = ds.evpi.sel(perspective=p, wtp=wtp)
    lines.append(f"  EVPI at {wtp:,.0f} {cu}/{eu}, per person: " + ", ".join(f"{x:g}y {money(v)}" for x, v in zip(h, e.values))
                 + f"; population ({a['population']:,.0f}): "
                 + money(float(ds.evpi_population.sel(perspective=p, wtp=wtp).values[-1])) + f" at {h[-1]:g}y")
    return "\n".join(lines)


def psa(ds: xr.Dataset, name: str, price_year: int) -> str:
    if ds.attrs.get("economic_layer") == "cost-effectiveness":
        return _ce_psa(ds, name, price_year)
    h, wtp = ds.horizon.values, ds.attrs["wtp_default"]
    lines = [f"PSA of {name}: {ds.attrs['n_samples']} samples ({ds.attrs['method']}), NOK per person discounted, "
             f"{price_year} prices; compared with {ds.attrs['comparator']}"]
    if ds.attrs.get("discount_rates"):  # which discount schedule (R-109/21's declining one unless turned off)
        import json

        from ipsecon.economics.evaluation import discounting_text
        lines.append(f"  (discounting: {discounting_text(json.loads(ds.attrs['discount_rates']))})")
    for i in ds.intervention.values:
        one = ds.sel(intervention=i)
        lines.append(f" {i} vs {ds.attrs['comparator']}")
        lines.append("  P(incremental NPV > 0)".ljust(28) + "".join(f"{x:>10g}y" for x in h))
        for p in ds.perspective.values:
            lines.append(f"    {p}".ljust(28) + "".join(f"{v:>11.2f}" for v in one.prob_pays_off.sel(perspective=p).values))
        lines.append("  mean incremental NPV".ljust(28) + "".join(f"{x:>10g}y" for x in h))
        for p in ds.perspective.values:
            lines.append(f"    {p}".ljust(28) + "".join(money(v).rjust(11) for v in one.inc_npv_mean.sel(perspective=p).values))
        if "inc_npv_base" in ds:
            lines.append(f"  base case ({ds.attrs.get('base_case', 'mean')}) incr. NPV".ljust(28)
                         + "".join(f"{x:>10g}y" for x in h))
            for p in ds.perspective.values:
                lines.append(f"    {p}".ljust(28) + "".join(money(v).rjust(11) for v in one.inc_npv_base.sel(perspective=p).values))
        if "society" in ds.perspective.values and "breakeven_wage" in ds:
            q = breakeven_quantile_labels(ds)
            q = (q.sel(intervention=i) if "intervention" in q.dims else q).sel(perspective="society")
            lines.append("  society break-even wage".ljust(28) + "".join(f"{x:>10g}y" for x in h))
            for label, level in (("median", 0.5), ("2.5 %", 0.025), ("97.5 %", 0.975)):
                lines.append(f"    {label}".ljust(28) + "".join(str(v).rjust(11) for v in q.sel(quantile=level).values))
            lines.append("    (every sample counts: '≤ 0' = samples that pay off at any wage, '≥ top' = at no wage in "
                         "the bracket)")
    if "society" in ds.perspective.values:
        e = ds.evpi.sel(perspective="society", wtp=wtp)
        lines.append(f"  EVPI at {wtp:,.0f} NOK/QALY (society), per person: " + ", ".join(
            f"{x:g}y {money(v)}" for x, v in zip(h, e.values)) + f"; population ({ds.attrs['population']:,.0f}): "
            + money(float(ds.evpi_population.sel(perspective='society', wtp=wtp).values[-1])) + f" at {h[-1]:g}y")
    return "\n".join(lines)


def dsa(ds: xr.Dataset, top: int = 8) -> str:
    h = float(ds.horizon.values[-1])
    lines = []
    for i in ds.intervention.values:
        for p in ds.perspective.values:
            inc = ds.inc_npv.sel(intervention=i, perspective=p, horizon=h)
            swing = ds.swing.sel(intervention=i, perspective=p, horizon=h).to_pandas().sort_values(ascending=False)
            base = float(ds.base_inc_npv.sel(intervention=i, perspective=p, horizon=h))
            if ds.attrs.get("economic_layer") == "cost-effectiveness":  # a model without the ledger: NMB
                a = ds.attrs
                lines.append(f"Tornado, incremental NMB of {i} vs {a['comparator']} at {a['wtp']:,.0f} {a['ce_cost_unit']} "
                             f"per {a['ce_effect_unit']} ({h:g} years; base {money(base)} {a['ce_cost_unit']}/person):")
            else:
                lines.append(f"Tornado, incremental NPV of {i} ({p}, {h:g} years; base {money(base)} NOK/person):")
            for name in swing.index[:top]:
                lo, hi = (float(inc.sel(parameter=name, bound=b)) for b in ("low", "high"))
                lines.append(f"  {name:<46} {money(lo):>12} .. {money(hi):<12}")
        for p in ds.perspective.values if "budget_impact" in ds else ():  # an open population's budgets
            bi = ds.budget_impact.sel(intervention=i, perspective=p, horizon=h)
            base = float(ds.base_budget_impact.sel(intervention=i, perspective=p, horizon=h))
            if base != base:  # not a budget (society, individual, employer)
                continue
            lines.append(f"Tornado, budget impact of {i} ({p}, the whole open population over the calendar years to "
                         f"{h:g} years, NOK undiscounted; base {money(base)}):")
            for name in abs(bi.sel(bound="high") - bi.sel(bound="low")).to_pandas().sort_values(ascending=False).index[:top]:
                lo, hi = (float(bi.sel(parameter=name, bound=b)) for b in ("low", "high"))
                lines.append(f"  {name:<46} {money(lo):>12} .. {money(hi):<12}")
    return "\n".join(lines)


def sobol(ds: xr.Dataset, name: str) -> str:
    lines = [f"Sobol' indices for {name}: {ds.attrs['n_evaluations']} model runs; total index ST (95 % CI) of the "
             f"five largest inputs:"]
    for o in ds.output.values:
        for h in ds.horizon.values:
            st = ds.ST.sel(output=o, horizon=h).to_pandas().sort_values(ascending=False)
            ci = ds.ST_conf.sel(output=o, horizon=h).to_pandas()
            top = ", ".join(f"{k} {v:.2f}±{ci[k]:.2f}" for k, v in st.head(5).items())
            lines.append(f"  {o} at {h:g}y: {top}")
    return "\n".join(lines)


def threshold(table: pd.DataFrame, name: str) -> str:
    """Each threshold found, or why there is none in the range."""
    a = table.attrs
    several = table["intervention"].nunique() > 1
    lines = [f"Threshold of {a['parameter']} for {name}: the value at which the {a['measure']} against "
             f"{a['comparator']} is 0, searched over [{a['low']:,.6g}, {a['high']:,.6g}] ({a['measure']} in {a['units']}):"]
    for _, r in table.iterrows():
        who = (f"{r['intervention']} / " if several else "") + str(r["perspective"])
        if r["status"] == "found":
            what = f"{r['threshold']:,.6g}"
        elif "depend" in r["status"]:
            what = f"none: the {a['measure']} ({r['at_low']:,.0f}) does not depend on {a['parameter']}"
        else:
            what = f"none in the range ({'better' if 'better' in r['status'] else 'worse'} than {a['comparator']} at every " \
                   f"value: {a['measure']} {r['at_low']:,.0f} at the low end, {r['at_high']:,.0f} at the high end)"
        lines.append(f"  {who} at {r['horizon']:g} years: {what}")
    lines.append(f"  (base value {table['base_value'].iloc[0]:,.6g}; {a['evaluations']} model runs)")
    return "\n".join(lines)
