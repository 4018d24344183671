"""Sections of the uncertainty analyses, each from its own file and the run it records:
``psa.nc`` (CE plane, CEAC/CEAF, EVPI, EVPPI, break-even wage distribution, probability of paying
off), ``dsa.nc`` (tornados, two-way grids) and ``sobol.nc`` (indices per horizon and against
horizon). Incremental results are shown for each intervention the file records, against its
comparator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from ipsecon.output import figures as figs
from ipsecon.output.figures.uncertainty import for_intervention
from ipsecon.output.report.blocks import Figure, Section, Table, Text, fmt, ordered_perspectives, signed
from ipsecon.output.report.runs import RunInfo
from ipsecon.uncertainty.psa import breakeven_quantile_labels
from ipsecon.output.report.i18n import number, percent, t


def default_horizon(ds: xr.Dataset) -> float:
    h = ds["horizon"].values
    if "horizon_default" in ds.attrs:
        return float(h[np.argmin(np.abs(h - float(ds.attrs["horizon_default"])))])
    return float(h.max())


@dataclass
class Setting:
    """What an uncertainty section shows: its default horizon, perspectives (main first), and the
    interventions it compares with the comparator ([None] for a file that names none)."""

    horizon: float
    perspectives: list[str]
    comparator: str | None
    interventions: list
    short: dict[str, str]

    @property
    def against(self) -> str:
        if self.comparator is None:
            return " " + t("unc.no_comparator")
        return " " + t("unc.against", name=self.short.get(self.comparator, self.comparator), code=self.comparator)


def setting(ds: xr.Dataset, run: RunInfo) -> Setting:
    coord = ds["intervention"].values if "intervention" in ds.coords else None
    comparator, interventions = run.roles(coord)
    strategies = [str(s) for s in ds["strategy"].values] if "strategy" in ds.coords else []
    short = run.short_labels(list(dict.fromkeys(strategies + interventions + ([comparator] if comparator else []))))
    return Setting(default_horizon(ds), ordered_perspectives(ds["perspective"].values), comparator,
                   interventions or [None], short)


def _tag(i: str | None, interventions: list) -> str:
    return f"_{i}" if i is not None and len(interventions) > 1 else ""


def _for(i: str | None, short: dict, interventions: list) -> str:
    return f" — {short.get(i, i)}" if i is not None and len(interventions) > 1 else ""


def _npv_rows(psa, persp, interventions, short, py) -> pd.DataFrame:
    """Per intervention, perspective and horizon: PSA mean and interval, the base case, P(pays off)
    and the median break-even wage — every statistic over all samples (censored wages at their bound)."""
    rows = []
    wages = breakeven_quantile_labels(psa) if "breakeven_wage" in psa and "breakeven_status" in psa else None
    for i in interventions:
        inc = for_intervention(psa["inc_npv"], i)
        mean = for_intervention(psa["inc_npv_mean"], i) if "inc_npv_mean" in psa else inc.mean("sample")
        base = for_intervention(psa["inc_npv_base"], i) if "inc_npv_base" in psa else None
        pays = for_intervention(psa["prob_pays_off"], i) if "prob_pays_off" in psa else None
        median = for_intervention(wages.sel(quantile=0.5), i) if wages is not None else None
        for p in persp:
            for hh in psa["horizon"].values:
                x = inc.sel(perspective=p, horizon=hh).values
                row = {"intervention": short.get(i, i)} if len(interventions) > 1 else {}
                row |= {t("decision.col.perspective"): figs.perspective_label(p),
                        t("unc.col.horizon"): number(float(hh), 0 if float(hh).is_integer() else 1),
                        t("unc.col.mean", year=py): signed(float(mean.sel(perspective=p, horizon=hh)))}
                if base is not None:
                    row[t("unc.col.base", year=py)] = signed(float(base.sel(perspective=p, horizon=hh)))
                row[t("unc.col.interval")] = t("unc.range", low=signed(np.percentile(x, 2.5)),
                                               high=signed(np.percentile(x, 97.5)))
                if pays is not None:
                    row[t("decision.col.prob")] = f"{percent(float(pays.sel(perspective=p, horizon=hh)))}"
                if median is not None:
                    row[t("unc.col.median_wage")] = _wage_label(str(median.sel(perspective=p, horizon=hh).values))
                rows.append(row)
    return pd.DataFrame(rows)


def _wage_label(text: str) -> str:
    """A stored break-even quantile label ('62,421', '≤ 0', '≥ 2,000,000', '–') in the report's number format."""
    prefix = text[:2] if text[:2] in ("≤ ", "≥ ") else ""
    digits = text[len(prefix):].replace(",", "")
    return prefix + number(float(digits)) if digits.replace(".", "").isdigit() else text


def base_case_text(psa: xr.Dataset, top: int = 3) -> str:
    """One line on why the base case and the PSA mean differ, naming the parameters whose base value
    is furthest from their published point value."""
    if "inc_npv_base" not in psa:
        return ""
    mean_base = psa.attrs.get("base_case", "mean") == "mean"
    why = t("unc.base.mean") if mean_base else t("unc.base.point")
    if "parameter_point" in psa and "parameter_base" in psa:
        point, base = psa["parameter_point"].values, psa["parameter_base"].values
        draws = psa["parameters"].mean("sample").values if "parameters" in psa else base
        ref = base if mean_base else draws
        rel = np.abs(ref - point) / np.maximum(np.abs(point), 1e-12)
        order = [j for j in np.argsort(-rel)[:top] if rel[j] > 1e-3]
        if order:
            names = psa["parameter"].values
            why += (" " + t("unc.base.furthest") + " " + "; ".join(
                f"`{names[j]}` {fmt(float(point[j]))} → {fmt(float(ref[j]))} "
                f"({'+' if ref[j] > point[j] else '−'}{percent(abs(ref[j] - point[j]) / abs(point[j]))})"
                for j in order) + ".")
    return why


def _bands(sec: Section, psa: xr.Dataset, view: Setting, run: RunInfo) -> None:
    """The curves of the simulate report with their uncertainty: employment over time, the cumulative
    net per perspective and the break-even wage against horizon, each with a 95 % band across samples."""
    if "employment_share" in psa:
        sec.add(Figure("psa_employment", lambda: figs.psa_employment_figure(psa, view.short), t("unc.fig.employment")))
    else:
        sec.add(Text(t("unc.no_employment")))
    if "occupancy_mean" in psa and "occupancy_quantile" in psa:
        sec.add(Figure("psa_occupancy", lambda: figs.psa_occupancy_figure(psa, view.short, run.state_labels()),
                       t("unc.fig.occupancy")))
    else:
        sec.add(Text(t("unc.no_occupancy")))
    for i in view.interventions:
        tag, who = _tag(i, view.interventions), _for(i, view.short, view.interventions)
        name = view.short.get(i, i) if i else t("unc.the_intervention")
        if "inc_npv" in psa:
            sec.add(Figure(f"psa_net_by_horizon{tag}",
                           lambda i=i, n=name: figs.psa_net_by_horizon_figure(psa, i, view.perspectives[:4], n),
                           t("unc.fig.net", who=who)))
        if "breakeven_wage_quantile" in psa and "breakeven_status" in psa:
            sec.add(Figure(f"psa_breakeven_by_horizon{tag}",
                           lambda i=i, n=name: figs.psa_breakeven_by_horizon_figure(psa, i, view.perspectives[:3],
                                                                                    run.typical_wage, n),
                           t("unc.fig.breakeven", who=who)))


def psa_section(psa: xr.Dataset | None, run: RunInfo) -> Section | None:
    if psa is None:
        return None
    view = setting(psa, run)
    h, persp, interventions, short = view.horizon, view.perspectives, view.interventions, view.short
    main = persp[0]
    py = psa.attrs.get("price_year", run.price_year)
    wtp = float(psa.attrs.get("wtp_default", np.median(psa["wtp"].values)))
    sec = Section("psa", t("section.psa"))
    sec.add(Text(t("unc.psa.intro", n=number(int(psa.attrs.get("n_samples", psa.sizes.get("sample", 0)))),
                   seed=psa.attrs.get("seed", "–"), engine=psa.attrs.get("engine", "–"), years=f"{h:g}",
                   wtp=number(wtp)) + view.against))
    if "inc_npv" in psa:
        sec.add(Table(_npv_rows(psa, persp, interventions, short, py), t("unc.psa.table")))
        if base_case_text(psa):
            sec.add(Text(base_case_text(psa)))
    _bands(sec, psa, view, run)
    if "cost" in psa and "qalys" in psa and view.comparator is not None:
        for i in interventions:
            for p in [q for q in persp if q in ("society", "public")][:2] or [main]:
                sec.add(Figure(f"ce_plane{_tag(i, interventions)}_{p}",
                               lambda p=p, i=i: figs.ce_plane_figure(psa, p, h, wtp, short, i),
                               t("unc.fig.ce", who=figs.perspective_label(p), name=_for(i, short, interventions))))
    if "ceac" in psa:
        sec.add(Figure("ceac", lambda: figs.ceac_figure(psa, main, h, short),
                       t("unc.fig.ceac")))
    if "evpi" in psa:
        sec.add(Figure("evpi", lambda: figs.evpi_figure(psa, main, h),
                       t("unc.fig.evpi")))
    if "evppi" in psa:
        sec.add(Figure("evppi", lambda: figs.evppi_figure(psa, main, h, wtp),
                       t("unc.fig.evppi")))
    typical = run.typical_wage
    for i in interventions:
        tag, who = _tag(i, interventions), _for(i, short, interventions)
        if "breakeven_wage" in psa:
            sec.add(Figure(f"breakeven_distribution{tag}",
                           lambda i=i: figs.breakeven_distribution_figure(psa, h, persp, typical, intervention=i),
                           t("unc.fig.bedist", who=who) + (" " + t("unc.fig.bedist.dashed") if typical else "")))
        if "prob_pays_off" in psa:
            sec.add(Figure(f"prob_pays_off{tag}",
                           lambda i=i: figs.prob_pays_off_figure(psa, i, short.get(i, i) if i else t("unc.the_intervention")),
                           t("unc.fig.prob", who=who)))
    return sec


def dsa_section(dsa: xr.Dataset | None, run: RunInfo) -> Section | None:
    if dsa is None:
        return None
    view = setting(dsa, run)
    h, main = view.horizon, view.perspectives[0]
    sec = Section("dsa", t("section.dsa"))
    sec.add(Text(t("unc.dsa.intro", years=f"{h:g}") + view.against))
    w = dsa["inmb"].attrs.get("wtp", dsa.attrs.get("wtp")) if "inmb" in dsa else None
    for i in view.interventions:
        tag, who = _tag(i, view.interventions), _for(i, view.short, view.interventions)
        if "inc_npv" in dsa:
            for p in view.perspectives[:4]:
                sec.add(Figure(f"tornado_inc_npv{tag}_{p}",
                               lambda p=p, i=i: figs.tornado_figure(dsa, p, h, "inc_npv", intervention=i),
                               t("unc.fig.tornado_npv", who=figs.perspective_label(p), name=who)))
        if "budget_impact" in dsa:  # an open population: each budget's impact over the calendar years
            for p in [p for p in view.perspectives if bool(dsa["base_budget_impact"].sel(perspective=p).notnull().all())]:
                sec.add(Figure(f"tornado_budget_impact{tag}_{p}",
                               lambda p=p, i=i: figs.tornado_figure(dsa, p, h, "budget_impact", intervention=i),
                               t("unc.fig.tornado_budget", who=figs.perspective_label(p), name=who)))
        if "inmb" in dsa:
            sec.add(Figure(f"tornado_inmb{tag}", lambda i=i: figs.tornado_figure(dsa, main, h, "inmb", intervention=i),
                           t("unc.fig.tornado_inmb") + (" " + t("unc.at_wtp", wtp=number(float(w))) if w else "") + who))
        if "breakeven_wage" in dsa:
            sec.add(Figure(f"tornado_breakeven_wage{tag}",
                           lambda i=i: figs.tornado_figure(dsa, main, h, "breakeven_wage", intervention=i),
                           t("unc.fig.tornado_wage", who=who)))
        if "twoway_inc_npv" in dsa:
            for k, pair in enumerate(dsa["pair"].values):
                sec.add(Figure(f"twoway{tag}_{k}", lambda pair=pair, i=i: figs.twoway_figure(dsa, pair, main, h, i),
                               t("unc.fig.twoway", pair=pair, who=who)))
    return sec


def sobol_section(sob: xr.Dataset | None, run: RunInfo) -> Section | None:
    if sob is None:
        return None
    sec = Section("sobol", t("section.sobol"))
    sec.add(Text(t("unc.sobol.intro", n=number(int(sob.attrs.get("n_evaluations", 0))), seed=sob.attrs.get("seed", "–"))))
    interventions = [str(i) for i in sob["intervention"].values] if "intervention" in sob.dims else [None]
    k = 0
    for i in interventions:
        who = f" ({i})" if i is not None and len(interventions) > 1 else ""
        for out in sob["output"].values:
            out = str(out)
            sec.add(Figure(f"sobol_bars_{k}", lambda out=out, i=i: figs.sobol_bars_figure(sob, out, intervention=i),
                           t("unc.fig.sobol_bars", output=figs.output_label(out), who=who)))
            if sob.sizes.get("horizon", 1) > 1:
                sec.add(Figure(f"sobol_horizon_{k}",
                               lambda out=out, i=i: figs.sobol_horizon_figure(sob, out, intervention=i),
                               t("unc.fig.sobol_horizon", output=figs.output_label(out), who=who)))
            k += 1
    return sec
