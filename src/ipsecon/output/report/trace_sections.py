"""Sections of the deterministic run's trace (``results.nc``, ``summary.csv``): employment against
the published targets the run's scenario card records, and where people are over time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ipsecon.output import figures as figs
from ipsecon.output.report.blocks import Figure, Section, Table, Text
from ipsecon.output.report.citations import citation
from ipsecon.output.report.folder import Inputs, clean_months
from ipsecon.output.report.runs import RunInfo
from ipsecon.output.report.i18n import number, percent
from ipsecon.output.report.i18n import t as tr  # `t` names a target below


def _mean_over_samples(da):
    da = clean_months(da)
    return da.mean("sample") if "sample" in da.dims else da


def standard_error(target: dict) -> float | None:
    """The published share's standard error: given, or binomial from the number of people behind it."""
    se = target.get("standard_error", target.get("se"))
    if se:
        return float(se)
    n, v = target.get("n"), float(target["value"])
    return float(np.sqrt(max(v * (1 - v), 1e-12) / n)) if n else None


def employment_state(run: RunInfo, ds) -> str | None:
    emp = run.model.get("employment_state") if run.model else None
    if emp is None and not run.model and "employed" in ds["state"].values:
        emp = "employed"  # files without a scenario card: the state the labour-market model calls so
    return emp


def _targets(run: RunInfo, emp: str, strategies, months, curves, ever):
    """Markers for the figure and rows for the table, from the targets recorded with the run."""
    markers, rows = [], []
    for t in run.card.get("targets") or []:
        # shares in work at a month only: an exit share or a time share is not a point on these curves
        # (the validation table of the answer's section lists every target)
        if t.get("measure", "in_state") not in ("in_state", "ever_in"):
            continue
        if t.get("state") != emp or t.get("strategy") not in strategies or t["month"] > months.max() + 1e-9:
            continue
        se = standard_error(t)
        half = 1.96 * se if se else None
        d = {"strategy": t["strategy"], "month": t["month"], "value": t["value"], "measure": t["measure"],
             "source": t.get("source", "")}
        if half:
            d.update(low=max(0.0, t["value"] - half), high=min(1.0, t["value"] + half))
        markers.append(d)
        src = curves if t["measure"] == "in_state" else (ever or {})
        model = float(np.interp(t["month"], months, src[t["strategy"]])) if t["strategy"] in src else float("nan")
        use = t.get("kind") if t.get("kind") in ("calibration", "validation") else None
        rows.append({tr("card.col.strategy"): t["strategy"],
                     tr("trace.col.measure"): tr("trace.in_work" if t["measure"] == "in_state" else "trace.ever_in_work"),
                     tr("trace.col.month"): t["month"],
                     tr("trace.col.published"): f"{percent(t['value'], 1)}" + (f" ± {percent(half, 1)}" if half else ""),
                     tr("trace.col.model"): f"{percent(model, 1)}",
                     tr("trace.col.use"): tr(f"trace.use.{use}") if use else "–",
                     tr("card.col.source"): citation(t.get("source", ""))})
    return markers, rows


def _summary_table(summary: pd.DataFrame) -> Table | None:
    cols = [c for c in summary.columns if c.startswith("employed_m") and not c.endswith("_se")]
    if not cols:
        return None
    tab = pd.DataFrame({tr("card.col.strategy"): summary.index})
    for c in cols:
        vals = summary[c].map(lambda v: f"{percent(v, 1)}")
        if f"{c}_se" in summary:
            vals = vals + summary[f"{c}_se"].map(lambda v: f" ± {percent(v, 1)}")
        tab[tr("decision.month", m=c.replace("employed_m", ""))] = vals.values
    se = any(c.endswith("_se") for c in summary)
    return Table(tab, tr("trace.summary_caption") + (" " + tr("trace.summary_se") if se else ""))


def monte_carlo_errors(run: RunInfo, curves: dict) -> dict | None:
    """Binomial standard error of each month's share in a microsimulation of ``individuals`` people
    (None for the cohort engine, whose shares are exact expected values): for files without batch errors."""
    if not run.microsim or not run.individuals:
        return None
    return {s: np.sqrt(np.clip(np.asarray(p) * (1 - np.asarray(p)), 0, None) / run.individuals) for s, p in curves.items()}


def batch_errors(ds, name: str, months, strategies, state: str | None = None) -> dict | None:
    """A microsim run's batch-means standard errors (``output.mc_error``) per strategy on ``months``, from
    variable ``name`` [strategy, month, ...]: None where the file has none (a cohort run, older files) or
    they are of another state; NaN-only strategies (the comparator's difference) left out."""
    if ds is None or name not in ds or (state is not None and ds[name].attrs.get("state") != state):
        return None
    da = ds[name].sel(month=months, method="nearest")
    out = {s: da.sel(strategy=s).values for s in strategies if s in da["strategy"].values}
    return {s: v for s, v in out.items() if not np.all(np.isnan(v))} or None


def batches_of(ds, name: str) -> int:
    return int(ds[name].attrs.get("batches", 0)) if ds is not None and name in ds else 0


def paired_error_table(ds, run: RunInfo) -> Table | None:
    """A microsimulation's Monte Carlo error of each intervention's difference from the comparator over
    the horizon, per reward: the paired standard error the engine stores (``reward_mc_se_incremental``,
    from each person's totals under both strategies) beside the unpaired one (the two totals' errors in
    quadrature), which would hold were the strategies simulated with different people."""
    if ds is None or "reward_mc_se_incremental" not in ds or "reward_mc_se" not in ds:
        return None
    comparator, interventions = run.roles()
    take = _mean_over_samples
    total, se, paired = take(ds["reward_discounted"]), take(ds["reward_mc_se"]), take(ds["reward_mc_se_incremental"])
    units = dict(zip([str(r) for r in ds["reward"].values], [str(u) for u in ds["reward_unit"].values])) \
        if "reward_unit" in ds else {}
    short = run.short_labels([str(s) for s in total["strategy"].values])
    rows = []
    for i in [i for i in interventions if i in total["strategy"].values and comparator in total["strategy"].values]:
        for r in [str(r) for r in total["reward"].values]:
            diff = float(total.sel(strategy=i, reward=r) - total.sel(strategy=comparator, reward=r))
            unpaired = float(np.hypot(se.sel(strategy=i, reward=r), se.sel(strategy=comparator, reward=r)))
            pse = float(paired.sel(strategy=i, reward=r))
            d = _digits(min(v for v in (pse, unpaired, np.inf) if v > 0))
            row = {tr("card.col.strategy"): short[i]} if len(interventions) > 1 else {}
            row |= {tr("mc.col.reward"): f"`{r}`" + (f", {units[r]}" if units.get(r) else ""),
                    tr("mc.col.difference"): number(diff, d), tr("mc.col.paired"): number(pse, d),
                    tr("mc.col.unpaired"): number(unpaired, d)}
            rows.append(row)
    if not rows:
        return None
    return Table(pd.DataFrame(rows), tr("mc.caption", comparator=short.get(comparator, comparator).lower()))


def _digits(se: float) -> int:
    """Decimals that show a standard error to two significant digits."""
    return int(min(8, max(0, 1 - np.floor(np.log10(se))))) if se > 0 and np.isfinite(se) else 0


def employment_section(inp: Inputs) -> Section | None:
    ds, run = inp.results, inp.run("results.nc")
    if ds is None or "occupancy" not in ds:
        return None
    emp = employment_state(run, ds)
    if emp is None:
        return None
    occ = _mean_over_samples(ds["occupancy"])
    months = occ["month"].values
    strategies = [str(s) for s in occ["strategy"].values]
    # a group of work states (model.groups): its states summed
    members = (run.model.get("groups") or {}).get(emp, [emp])
    curves = {s: occ.sel(strategy=s, state=members).sum("state").values for s in strategies}
    ever = None
    if "ever_in" in ds and emp in ds["ever_state"].values:
        ev = _mean_over_samples(ds["ever_in"])
        ever = {s: ev.sel(strategy=s, ever_state=emp).values for s in strategies}
    markers, rows = _targets(run, emp, strategies, months, curves, ever)
    sec = Section("employment", tr("section.employment"))
    if markers:
        sec.add(Text(tr("employment.intro") + " " + tr("employment.targets")))
    elif "targets" in run.card:
        sec.add(Text(tr("employment.intro") + " " + tr("employment.no_targets")))
    else:
        sec.add(Text(tr("employment.intro") + " " + tr("employment.targets_unrecorded")))
    labels, short = run.strategy_labels(), run.short_labels(strategies)
    comparator = run.roles()[0]
    # a group of states (model.groups, e.g. in_work) has no label of its own: the figure's word for work
    state_label = run.state_labels().get(emp, tr("fig.employment.state")).lower()
    se = batch_errors(ds, "employment_mc_se", months, strategies, emp)
    difference = batch_errors(ds, "employment_difference_mc_se", months, strategies, emp) if se else None
    batches = batches_of(ds, "employment_mc_se") if se else 0
    se = se or monte_carlo_errors(run, curves)
    paired = paired_error_table(ds, run) if se else None
    if batches:
        sec.add(Text(tr("employment.mc_batches", n=number(run.individuals or 0), b=batches)))
    elif se:
        sec.add(Text(tr("employment.mc_band", n=number(run.individuals)) + " "
                     + tr("employment.mc_paired" if paired is not None else "employment.mc_unpaired")))
    sec.add(Figure("employment", lambda: figs.employment_figure(months, curves, markers, labels, ever, state_label, short,
                                                                comparator, se, difference),
                   tr("fig.employment.title_targets" if markers else "fig.employment.title")
                   + (". " + tr("mc.band_caption", b=batches) if batches else "")))
    if rows:
        sec.add(Table(pd.DataFrame(rows), tr("employment.targets_caption")))
    table = _summary_table(inp.summary) if inp.summary is not None else None
    if table is not None:
        sec.add(table)
    if paired is not None:
        sec.add(paired)
    return sec


def occupancy_section(inp: Inputs) -> Section | None:
    ds, run = inp.results, inp.run("results.nc")
    if ds is None or "occupancy" not in ds:
        return None
    occ = _mean_over_samples(ds["occupancy"])
    states = [str(s) for s in occ["state"].values]
    strategies = [str(s) for s in occ["strategy"].values]
    data = {s: occ.sel(strategy=s).transpose("month", "state").values for s in strategies}
    months = occ["month"].values
    labels = run.state_labels()
    comparator, interventions = run.roles()
    sec = Section("occupancy", tr("section.occupancy"))
    note = ""
    aap = (run.model.get("states") or {}).get("aap") or {}
    if "aap" in states and int(aap.get("track_duration", 1)) > 1:
        note = " " + tr("occupancy.aap_note")
    shift = tr("occupancy.shift") if comparator and interventions else tr("occupancy.no_comparator")
    sec.add(Text(tr("occupancy.intro") + " " + shift + note))
    strategy_labels, short = run.strategy_labels(), run.short_labels(strategies)
    difference = batch_errors(ds, "occupancy_difference_mc_se", months, interventions) if comparator else None
    batches = batches_of(ds, "occupancy_difference_mc_se") if difference else 0
    if batches:
        se = ds["occupancy_difference_mc_se"].sel(month=months, method="nearest")
        difference = {i: se.sel(strategy=i, state=states).transpose("month", "state").values for i in difference}
        sec.add(Text(tr("occupancy.mc_batches", n=number(run.individuals or 0), b=batches)))
    elif run.microsim and run.individuals and comparator and interventions:
        sec.add(Text(tr("occupancy.mc_band", n=number(run.individuals))))
    sec.add(Figure("occupancy", lambda: figs.occupancy_figure(months, data, states, labels, strategy_labels, short,
                                                              comparator, interventions, difference),
                   tr("trace.occupancy_caption") + (". " + tr("mc.band_caption", b=batches) if batches else "")))
    if "person_months" in ds:
        pm = ds["person_months"]
        pm = pm.mean("sample") if "sample" in pm.dims else pm
        tab = pm.to_pandas().reindex(columns=states)
        tab.columns = [labels.get(c, c) for c in tab.columns]
        tab = tab.map(lambda v: number(v, 2)).reset_index().rename(columns={"strategy": tr("card.col.strategy")})
        sec.add(Table(tab, tr("trace.person_months")))
    return sec
