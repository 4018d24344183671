"""Sections of the deterministic run's money (``results.nc``): who pays and who gains, when, and
NPV/ROI/payback per perspective — each intervention against the comparator the file records.

The payer ledger is rebuilt from the stored flows, and discounted with the factors the run
stored (``discount_factor_cost`` / ``discount_factor_effect``), or, in files without them, from
the rates it records (``discount_rates``, ``cycle_years``, ``counting``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ipsecon.economics.evaluation import cycle_discount_factors
from ipsecon.output import figures as figs
from ipsecon.output.report.blocks import not_recorded, Figure, Section, Table, Text, money, ordered_perspectives, signed
from ipsecon.output.report.folder import Inputs, clean_months
from ipsecon.output.report.runs import RunInfo
from ipsecon.output.report.i18n import percent
from ipsecon.output.report.i18n import current, number, t
from ipsecon.output.report.decision import label as perspective_name

FLOWS = ("ips_programme_nav", "ips_programme_health_trust", "usual_vocational_rehabilitation", "aap", "uforetrygd",
         "social_assistance", "gross_wage", "income_tax", "trygdeavgift", "employer_contribution", "health_care")


def flow_label(flow: str) -> str:
    """A ledger flow in words ('IPS programme'), in the report's language."""
    return t(f"flow.{flow}") if flow in FLOWS else flow


def perspective_meaning(p: str) -> str:
    return t(f"meaning.{p}")


OVER_TIME = ("nav", "health", "municipality", "state", "public", "individual", "society")
PUBLIC = {"nav", "health_trust", "municipality", "state"}
HEALTH_COMPONENT = "health_value"  # society's QALYs valued in NOK: discounted as effects


def ledger_from_results(ds: xr.Dataset, run: RunInfo):
    """A Ledger rebuilt from results.nc (amounts per flow and month, QALYs per month if stored and
    the value of a QALY as recorded; NaN where not recorded)."""
    from ipsecon.money.ledger import Ledger

    led = clean_months(ds["ledger"]).transpose("sample", "strategy", "month", "flow")
    n, K, T, _ = led.shape
    qalys, value = np.zeros((n, K, T)), float("nan")
    if "qalys_per_month" in ds:
        q = clean_months(ds["qalys_per_month"]).transpose("sample", "strategy", "month").values
        qalys = q if q.shape == qalys.shape else qalys
        value = float(ds["qalys_per_month"].attrs.get("value_per_qaly", np.nan))
    if value != value and run.qaly_value is not None:
        value = run.qaly_value
    return Ledger(amounts=led.values, flows=[str(f) for f in led["flow"].values],
                  payer=[str(p) for p in led["payer"].values], receiver=[str(r) for r in led["receiver"].values],
                  category=[str(c) for c in led["category"].values], strategies=[str(s) for s in led["strategy"].values],
                  cycle_years=run.cycle_years or 1 / 12, counting=run.counting or "end", price_year=run.price_year or 0,
                  qalys=qalys, employment_years=np.zeros((n, K, T)), qaly_value=value,
                  # society's tax-financing cost of net public spending, as the run applied it (none in older files)
                  mcpf=float(ds.attrs.get("tax_financing_cost_rate", 0.0)))


def discount_factors(ds: xr.Dataset, run: RunInfo, n_cycles: int) -> dict[str, np.ndarray] | None:
    """The factor applied to each month's money ('cost') and QALYs ('effect'), as stored, else from
    the recorded rates; None when the file records neither."""
    out = {}
    rates = run.discount_rates
    for kind in ("cost", "effect"):
        if f"discount_factor_{kind}" in ds:
            out[kind] = clean_months(ds[f"discount_factor_{kind}"]).values[:n_cycles]
        elif rates is not None and run.cycle_years and run.counting:
            out[kind] = cycle_discount_factors(n_cycles, run.cycle_years, rates[kind], run.counting)
        else:
            return None
    return out


def discounted_increments(ledger, perspective: str, intervention: str, comparator: str,
                          factors: dict[str, np.ndarray]) -> xr.DataArray:
    """Discounted incremental amounts per person (month, component), intervention minus comparator,
    mean over samples; + = gain to the perspective."""
    items = ledger.perspective_items(perspective).transpose("sample", "strategy", "month", "component")
    inc = items.sel(strategy=intervention) - items.sel(strategy=comparator)
    comps = [str(c) for c in items["component"].values]
    f = np.stack([factors["effect"] if c == HEALTH_COMPONENT else factors["cost"] for c in comps], axis=-1)
    return inc.mean("sample") * f


def _waterfall(ledger, inc: xr.DataArray) -> pd.DataFrame:
    totals = inc.sum("month")
    payer = dict(zip(ledger.flows, ledger.payer))
    receiver = dict(zip(ledger.flows, ledger.receiver))
    steps = []
    for c, v in zip([str(c) for c in totals["component"].values], totals.values):
        party = payer[c] if payer[c] in PUBLIC else receiver[c]
        verb = ("more_spent" if party == payer[c] else "less_received") if v < 0 else \
            ("less_spent" if party == payer[c] else "more_received")
        steps.append({"label": t(f"waterfall.{verb}", party=figs.party_label(party), flow=flow_label(c)),
                      "party": party, "value": float(v)})
    df = pd.DataFrame(steps)
    df = df[df["value"].abs() >= 0.5]  # flows the intervention does not change (rounds to 0 NOK)
    return pd.concat([df[df.value < 0].sort_values("value"), df[df.value >= 0].sort_values("value", ascending=False)])


def _suffix(i: str, interventions: list[str]) -> str:
    return f"_{i}" if len(interventions) > 1 else ""


def _payers(ds, run, ledger, comparator, interventions, factors, short) -> Section:
    py = run.price_year
    horizon = run.horizon_years or ledger.n_cycles * ledger.cycle_years
    months = clean_months(ds["ledger"])["month"].values
    sec = Section("payers", t("section.payers"))
    if factors is None:
        return sec.add(Text(t("payers.no_discounting", what=not_recorded())))
    valued = "qalys_per_month" in ds and not np.isnan(ledger.qaly_value)  # society needs QALYs and their value
    perspectives = [p for p in OVER_TIME if p != "society" or valued]
    cname = short[comparator].lower()
    for i in interventions:
        iname, tag = short[i], _suffix(i, interventions)
        steps = _waterfall(ledger, discounted_increments(ledger, "public", i, comparator, factors))
        sec.add(Text(t("payers.waterfall", name=iname, comparator=cname, years=f"{horizon:g}")))
        sec.add(Figure(f"payer_waterfall{tag}", lambda s=steps, n=iname: figs.payer_waterfall_figure(
            s, py, t("fig.waterfall.title", name=n, comparator=cname), t("fig.waterfall.total")),
            t("payers.waterfall_caption") + (f" ({iname})" if tag else "")))
        cum = {p: np.cumsum(discounted_increments(ledger, p, i, comparator, factors).sum("component").values)
               for p in perspectives}
        sec.add(Text(t("payers.over_time") + " " + ("" if "society" in cum else t("payers.no_society") + " ")
                     + t("payers.meaning") + " " + "; ".join(f"**{figs.perspective_label(p)}** — "
                                                                   f"{perspective_meaning(p)}" for p in cum) + "."))
        se, batches = cumulative_errors(ds, i, months, list(cum))
        sec.add(Figure(f"cumulative_net{tag}", lambda c=cum, n=iname, e=se: figs.cumulative_net_figure(months, c, py, n, cname, e),
                       t("payers.cumulative_caption") + (f" ({iname})" if tag else "")
                       + (". " + t("mc.band_caption", b=batches) if batches else "")))
    return sec


def cumulative_errors(ds: xr.Dataset, intervention: str, months: np.ndarray,
                      perspectives: list[str]) -> tuple[dict[str, np.ndarray] | None, int]:
    """A microsim run's Monte Carlo standard error of each perspective's cumulative net on ``months``
    (``cumulative_net_mc_se``, from its person batches: output.mc_error) and the number of batches;
    (None, 0) where the file has none."""
    if "cumulative_net_mc_se" not in ds or intervention not in ds["cumulative_net_mc_se"]["strategy"].values:
        return None, 0
    da = ds["cumulative_net_mc_se"].sel(strategy=intervention).sel(month=months, method="nearest")
    se = {p: da.sel(perspective=p).values for p in perspectives if p in da["perspective"].values}
    return se or None, int(da.attrs.get("batches", 0)) if se else 0


NPV_MEASURES = ("incremental_costs", "incremental_gains", "incremental_npv", "bcr", "roi", "payback_month")


def npv_table(ds: xr.Dataset, intervention: str) -> pd.DataFrame:
    """The stored outcomes of one intervention per perspective (incremental against the comparator)."""
    rows = [{"perspective": p} | {n: float(ds[f"outcome_{n}"].sel(perspective=p, strategy=intervention))
                                  for n in NPV_MEASURES}
            | {"ratio_note": str(ds["outcome_ratio_note"].sel(perspective=p, strategy=intervention).values)
               if "outcome_ratio_note" in ds else ""}
            for p in ordered_perspectives(ds["perspective"].values)]
    return pd.DataFrame(rows)


def _npv(ds, run, interventions, comparator, short, facts) -> Section:
    py = run.price_year
    horizon = run.horizon_years
    sec = Section("npv", t("section.npv"))
    facts["npv"] = {}
    for i in interventions:
        table = npv_table(ds, i)
        facts["npv"][i] = table
        shown = pd.DataFrame({
            t("npv.col.perspective"): [perspective_name(p) for p in table.perspective],
            t("npv.col.costs", year=py): table.incremental_costs.map(money),
            t("npv.col.gains", year=py): table.incremental_gains.map(money),
            t("npv.col.npv", year=py): table.incremental_npv.map(signed),
            t("npv.col.bcr"): table.bcr.map(lambda v: "–" if v != v else number(v, 2)),
            "ROI": table.roi.map(lambda v: "–" if v != v else f"{percent(v)}"),
            t("npv.col.payback"): table.payback_month.map(lambda v: t("npv.never") if v != v
                                                          else t("decision.month", m=int(v))),
        })
        sec.add(Text(t("npv.intro", name=short[i], comparator=short[comparator].lower(),
                       over=t("decision.over", years=f"{horizon:g}") if horizon else t("npv.over_horizon"))))
        sec.add(Table(shown))
        # the stored notes are English sentences: another language names the perspectives only
        notes = [f"- {figs.perspective_label(p)}" + (f": {n}" if current() == "en" else "")
                 for p, n in zip(table.perspective, table.ratio_note) if n and n != "nan"]
        if notes:
            sec.add(Text(t("npv.ratio_notes") + "\n\n" + "\n".join(notes)))
        tag = _suffix(i, interventions)
        sec.add(Figure(f"npv{tag}", lambda t=table, n=short[i]: figs.npv_figure(t, py, n),
                       t("npv.caption") + (f" ({short[i]})" if tag else "")))
    return sec


def money_sections(inp: Inputs, facts: dict) -> list[Section]:
    ds, run = inp.results, inp.run("results.nc")
    if ds is None or "ledger" not in ds:
        return []
    ledger = ledger_from_results(ds, run)
    comparator, interventions = run.roles()
    interventions = [i for i in interventions if i in ledger.strategies]
    if comparator not in ledger.strategies or not interventions:
        return [Section("payers", t("section.payers")).add(Text(t("summary.no_comparator", what=not_recorded())))]
    short = run.short_labels(ledger.strategies)
    out = [_payers(ds, run, ledger, comparator, interventions, discount_factors(ds, run, ledger.n_cycles), short)]
    if "outcome_incremental_npv" in ds:
        out.append(_npv(ds, run, interventions, comparator, short, facts))
    return out
