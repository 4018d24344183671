"""Figures of money: who pays and who gains (waterfall), when (cumulative net), NPV per
perspective, and the break-even wage against horizon."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ipsecon.output.figures.style import (GAIN, LOSS, MC_BAND, PERSPECTIVE_COLOURS, TOTAL, compact, finish, nok,
                                           perspective_label, save, thousands, tight, time_axis, tr)


def payer_waterfall_figure(steps: pd.DataFrame, price_year: int | None, title: str, total_label: str):
    """Waterfall: each flow's discounted incremental effect on a budget, coloured by payer.

    ``steps``: columns label, party, value (NOK per person, + = gain to the budget).
    """
    steps = steps.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8.6, 0.42 * (len(steps) + 1) + 2.2))
    running = 0.0
    for i, r in steps.iterrows():
        start = running
        running += r["value"]
        ax.barh(i, r["value"], left=start, color=GAIN if r["value"] >= 0 else LOSS, alpha=0.85)
        ax.text(max(start, running), i, f"  {compact_signed(r['value'])}", va="center", fontsize=8)
        if i + 1 < len(steps):
            ax.plot([running, running], [i + 0.4, i + 0.6], color="#777777", lw=0.8)
    total_row = len(steps)
    ax.barh(total_row, running, color=TOTAL if running >= 0 else LOSS, alpha=0.9)
    ax.text(max(0, running), total_row, f"  {compact_signed(running)}", va="center", fontsize=8, fontweight="bold")
    ax.set_yticks(range(total_row + 1), list(steps["label"]) + [total_label])
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    thousands(ax, "x")
    ax.set_xlabel(tr("fig.waterfall.xlabel", unit=nok(price_year)))
    # one colour meaning in this figure: gain or cost to the budget; the party is named in each label
    handles = [Patch(facecolor=GAIN, alpha=0.85, label=tr("fig.waterfall.gain")),
               Patch(facecolor=LOSS, alpha=0.85, label=tr("fig.waterfall.cost")),
               Patch(facecolor=TOTAL if running >= 0 else LOSS, label=tr("fig.waterfall.net"))]
    fig.legend(handles=handles, fontsize=7.5, loc="lower center", ncol=3, frameon=False)
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo - 0.04 * (hi - lo), hi + 0.15 * (hi - lo))
    ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    return tight(fig, rect=(0, 0.35 / fig.get_figheight(), 1, 1))


def compact_signed(v: float) -> str:
    return ("+" if v > 0 else "") + compact(v)


def cumulative_net_figure(months: np.ndarray, cumulative: Mapping[str, np.ndarray], price_year: int | None,
                          intervention: str = "IPS", comparator: str | None = None,
                          standard_errors: Mapping[str, np.ndarray] | None = None):
    """Cumulative discounted incremental net per perspective over time (who gains, when). ``standard_errors``:
    per perspective, the Monte Carlo standard error of each month's value (a microsimulation's paired error),
    drawn as a 95 % band."""
    x, xlabel = time_axis(months)
    fig, ax = plt.subplots(figsize=(8.6, 4.8))
    for p, y in cumulative.items():
        y = np.asarray(y)
        ax.plot(x, y, color=PERSPECTIVE_COLOURS.get(p), lw=2.4 if p in ("society", "public") else 1.5,
                label=f"{perspective_label(p)} ({compact_signed(y[-1])})")
        if standard_errors and p in standard_errors:
            half = 1.96 * np.asarray(standard_errors[p])
            ax.fill_between(x, y - half, y + half, color=PERSPECTIVE_COLOURS.get(p), alpha=MC_BAND, lw=0)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(tr("fig.cumulative.ylabel", unit=nok(price_year)))
    thousands(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title=tr("fig.cumulative.legend"), title_fontsize=8, loc="upper left",
              bbox_to_anchor=(1.01, 1))
    return finish(fig, tr("fig.cumulative.title", name=intervention, comparator=comparator or tr("fig.comparator")))


def npv_figure(table: pd.DataFrame, price_year: int | None, intervention: str = "IPS"):
    """Incremental NPV per perspective (bars), payback month written on each."""
    table = table.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(table) + 1.6))
    for i, r in table.iterrows():
        v = r["incremental_npv"]
        ax.barh(i, v, color=PERSPECTIVE_COLOURS.get(r["perspective"], "#999999"))
        pb = r.get("payback_month")
        note = tr("headline.never") if pb is None or pb != pb else tr("headline.pays_back", m=int(pb))
        # a loss's label starts at 0, right of its bar: left of the bar it ran over the perspective's name
        ax.text(max(v, 0), i, f"  {compact_signed(v)}  ({note})  ", va="center", ha="left", fontsize=8)
    ax.set_yticks(range(len(table)), [perspective_label(p) for p in table["perspective"]])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    thousands(ax, "x")
    lo, hi = ax.get_xlim()
    span = hi - lo
    ax.set_xlim(lo - 0.05 * span * (lo < 0), hi + 0.45 * span)
    ax.set_xlabel(tr("fig.npv.xlabel", unit=nok(price_year)))
    ax.grid(axis="x", alpha=0.3)
    return finish(fig, tr("fig.npv.title", name=intervention))


def _line_groups(table: pd.DataFrame) -> list[str]:
    """The columns that tell the lines apart beyond perspective: scenario and, where several, intervention."""
    keys = ["scenario"] if "scenario" in table else []
    if "intervention" in table and table["intervention"].nunique() > 1:
        keys.append("intervention")
    return keys


def breakeven_plot(table: pd.DataFrame, price_year: int | None,
                   typical_wage: float | Mapping[str, float] | None = None, intervention: str = "IPS"):
    """Break-even gross wage against horizon, one line per scenario (× intervention) × perspective;
    horizons with no break-even wage are marked at the bottom ('any wage') or top ('none').
    ``typical_wage``: the wage assumed for the group, one for all or one per scenario. A column ``mc_se``
    (a microsimulation's Monte Carlo standard error of each wage) is drawn as a 95 % band where known."""
    fig, ax = plt.subplots(figsize=(9.6, 4.6))
    styles = ["-", "--", ":", "-."]
    keys = _line_groups(table)
    groups = list(table.groupby(keys, sort=False)) if keys else [((), table)]
    style_of: dict[str, str] = {}  # each scenario's line style, shared by its assumed-wage line
    for i, (key, by_s) in enumerate(groups):
        name = ": ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        first = str(key[0] if isinstance(key, tuple) and key else key)
        style_of.setdefault(first, styles[i % len(styles)])
        for perspective, g in by_s.groupby("perspective", sort=False):
            g = g.sort_values("horizon_years")
            text = perspective_label(perspective)
            if len(groups) > 1:
                text = f"{name}: {text}"
            colour = PERSPECTIVE_COLOURS.get(perspective)
            ax.plot(g["horizon_years"], g["breakeven_wage"] / 1000, marker="o", linestyle=styles[i % len(styles)],
                    color=colour, label=text)
            if "mc_se" in g:  # a band between horizons, and a bar at each (a lone horizon has no band)
                half = 1.96 * g["mc_se"].to_numpy(float) / 1000
                ax.fill_between(g["horizon_years"], g["breakeven_wage"] / 1000 - half, g["breakeven_wage"] / 1000 + half,
                                color=colour, alpha=MC_BAND, lw=0)
                ax.errorbar(g["horizon_years"], g["breakeven_wage"] / 1000, yerr=half, fmt="none", ecolor=colour,
                            elinewidth=1, capsize=3)
            if "npv_at_low" in g:
                missing = g[g["breakeven_wage"].isna()]
                anywage = missing[missing["npv_at_low"] > 0]
                ax.scatter(anywage["horizon_years"], np.zeros(len(anywage)), marker="v", color=colour, s=45, zorder=4,
                           clip_on=False)
                never = missing[(missing["npv_at_low"] <= 0) & (missing.get("npv_at_high", missing["npv_at_low"]) <= 0)]
                ax.scatter(never["horizon_years"], np.ones(len(never)), marker="^", color=colour, s=45, zorder=4,
                           transform=ax.get_xaxis_transform(), clip_on=False)
    ax.set_xscale("log")
    horizons = sorted(table["horizon_years"].unique())
    ax.set_xticks(horizons, [f"{h:g}" for h in horizons])
    ax.minorticks_off()
    wages = typical_wage if isinstance(typical_wage, Mapping) else {"": typical_wage}
    wages = {k: float(v) for k, v in wages.items() if v is not None and v == v}
    for scenario, w in wages.items():
        who = f"{scenario}: " if scenario and len(wages) > 1 else ""
        ax.axhline(w / 1000, color="grey", linewidth=0.8, linestyle=style_of.get(scenario, "--") if len(wages) > 1 else "--",
                   label=who + tr("fig.breakeven.assumed", wage=compact(w)))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(tr("fig.horizon_log"))
    ax.set_ylabel(tr("fig.breakeven.ylabel", year=price_year))
    ax.set_title(tr("fig.breakeven.title", name=intervention),
                 fontsize=9)
    # beside the plot: inside, it hid the ▲ marks on the top edge
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(alpha=0.3)
    return tight(fig)


def breakeven_figure(table: pd.DataFrame, path: Path, price_year: int,
                     typical_wage: float | Mapping[str, float] | None = None) -> Path:
    """Write :func:`breakeven_plot` to ``path`` (PNG)."""
    return save(breakeven_plot(table, price_year, typical_wage), path)
