"""Cost-effectiveness of a model without the payer ledger: the table of ``results.nc``'s ``ce_*``
variables (totals, increments, ICERs, dominance, NMB) with the frontier figure, and the PSA's
summary of incremental cost, effect and NMB when ``psa.nc`` holds such a model. The text is the
template ``templates/ce_section.md.j2``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from ipsecon.output.report.blocks import Figure, Section, Table, Text, fmt
from ipsecon.output.report.folder import Inputs

CE_LAYER = "cost-effectiveness"  # attrs["economic_layer"] of the layer's files (economics.evaluation.CE_LAYER)


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=False,
                             keep_trailing_newline=False)
    return env.get_template("ce_section.md.j2")


def _verdict(r, comparator: str, cu: str, eu: str) -> str:
    what = r["ce_vs_comparator"]
    if what == "dominant":
        return f"**{r.name}** dominates {comparator}: it costs no more and gains at least as much."
    if what == "dominated":
        return f"**{r.name}** is dominated by {comparator}: it costs no less and gains no more."
    if what == "equal":
        return f"**{r.name}** has the cost and effect of {comparator}."
    more = "cost-effective" if r["ce_incremental_nmb"] > 0 else "not cost-effective"
    return (f"**{r.name}**: {fmt(float(r['ce_incremental_cost']))} {cu} more for {fmt(float(r['ce_incremental_effect']))} "
            f"{eu} gained, ICER {fmt(float(r['ce_icer_vs_comparator']))} {cu} per {eu}; incremental NMB "
            f"{fmt(float(r['ce_incremental_nmb']))} {cu}: {more} at that willingness to pay.")


def _psa_lines(psa, comparator: str, cu: str, eu: str) -> dict:
    h = float(psa.horizon.values[-1])
    p = str(psa.perspective.values[0])
    wtp = float(psa.attrs["wtp_default"])
    lines = []
    for i in psa.intervention.values:
        d_c = (psa.cost.sel(strategy=i, perspective=p, horizon=h) - psa.cost.sel(strategy=comparator, perspective=p, horizon=h))
        d_e = psa.qalys.sel(strategy=i, horizon=h) - psa.qalys.sel(strategy=comparator, horizon=h)
        inmb = psa.inc_npv.sel(intervention=i, perspective=p, horizon=h)
        lo, hi = np.quantile(inmb.values, [0.025, 0.975])
        mc, me = float(d_c.mean()), float(d_e.mean())
        ratio = f"; ICER of the means {fmt(mc / me)} {cu} per {eu}" if me else ""
        lines.append(f"**{i}**: mean incremental cost {fmt(mc)} {cu}, effect {fmt(me)} {eu}{ratio}; incremental NMB "
                     f"{fmt(float(inmb.mean()))} {cu} (95 % interval {fmt(float(lo))} to {fmt(float(hi))}); "
                     f"probability cost-effective {float((inmb > 0).mean()):.0%}.")
    evpi = float(psa.evpi.sel(perspective=p, horizon=h, wtp=wtp))
    lines.append(f"Expected value of perfect information {fmt(evpi)} {cu} per person, "
                 f"{fmt(evpi * float(psa.attrs.get('population', 1)))} {cu} for {fmt(float(psa.attrs.get('population', 1)))} people.")
    return {"n": int(psa.sizes["sample"]), "horizon": f"{h:g}", "wtp": fmt(wtp), "lines": lines}


def ce_section(inp: Inputs) -> Section | None:
    """The section, or None where the folder holds no result of the cost-effectiveness layer."""
    res = inp.results if inp.results is not None and "ce_cost" in inp.results else None
    psa = inp.psa if inp.psa is not None and inp.psa.attrs.get("economic_layer") == CE_LAYER else None
    if res is None and psa is None:
        return None
    a = (res if res is not None else psa).attrs
    comparator = a.get("ce_comparator") or a.get("comparator")
    cu = a.get("ce_cost_unit") or (res.ce_cost.attrs["units"].split(" per person")[0] if res is not None else "")
    eu = a.get("ce_effect_unit") or (res.ce_effect.attrs["units"].split(" per person")[0] if res is not None else "")
    context = {"comparator": comparator, "cost_unit": cu, "effect_unit": eu, "effect": a.get("ce_effect", ""),
               "costs": [c.strip() for c in str(a.get("ce_costs", "")).split(",") if c.strip()], "run": None, "psa": None}
    sec = Section("cost_effectiveness", "Cost-effectiveness")
    table = None
    if res is not None:
        frame = pd.DataFrame({k[3:]: res[k].values for k in res.data_vars if k.startswith("ce_")},
                             index=[str(s) for s in res.strategy.values])
        context["run"] = True
        context["wtp"] = fmt(float(a["ce_wtp"]))
        context["verdicts"] = [_verdict(r.add_prefix("ce_"), comparator, cu, eu) for name, r in frame.iterrows()
                               if name != comparator]
        table = frame.rename_axis("strategy").reset_index()[
            ["strategy", "cost", "effect", "incremental_cost", "incremental_effect", "icer_vs_comparator", "vs_comparator",
             "status", "compared_with", "icer", "nmb", "incremental_nmb"]]
        table.columns = ["strategy", f"cost ({cu})", f"effect ({eu})", "incr. cost", "incr. effect",
                         f"ICER vs {comparator}", "vs comparator", "frontier", "compared with", "ICER on the frontier",
                         "NMB", "incr. NMB"]
    if psa is not None:
        context["psa"] = _psa_lines(psa, comparator, cu, eu)
    sec.add(Text(_template().render(**context).strip()))
    if table is not None:
        sec.add(Table(table, f"Per person, discounted; ICER in {cu} per {eu}; NMB at {context['wtp']} {cu} per {eu}."))
        from ipsecon.output.figures.ce import frontier_figure

        sec.add(Figure("ce_frontier", lambda: frontier_figure(res),
                       "Cost against effect per strategy; the line is the efficiency frontier, its slopes the ICERs"))
    return sec
