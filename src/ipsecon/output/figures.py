"""Figures for reports (matplotlib, headless). Every function returns a matplotlib Figure.

One colour per strategy, state and perspective, used in every figure (``strategy_colours``,
``STATE_COLOURS``, ``PERSPECTIVE_COLOURS``). Money axes say NOK and the price year; time axes
say months or years since the strategy started. The uncertainty figures read the datasets the
``psa``, ``dsa`` and ``sobol`` commands write (schemas in :mod:`ipsecon.output.report`), so they can be
called directly, e.g. ``tornado_figure(xr.open_dataset("dsa.nc"), "society", 10, "inc_npv")``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

# --- one colour map each -------------------------------------------------------------------------

# Comparator dark grey, IPS orange; further strategies take the palette in order.
KNOWN_STRATEGY_COLOURS = {"tau": "#4d4d4d", "usual_care": "#4d4d4d", "control": "#4d4d4d", "ips": "#e66101"}
STRATEGY_PALETTE = ("#4d4d4d", "#e66101", "#5e3c99", "#1b7837", "#2166ac", "#b2182b", "#8c510a")
STATE_COLOURS = {"employed": "#33a02c", "aap": "#a6cee3", "ufore": "#1f78b4", "other": "#cab2d6", "dead": "#595959"}
STATE_PALETTE = ("#33a02c", "#a6cee3", "#1f78b4", "#cab2d6", "#fb9a99", "#fdbf6f", "#b15928", "#595959")
PERSPECTIVE_COLOURS = {"society": "#1b9e77", "public": "#2166ac", "nav": "#7570b3", "individual": "#e7298a",
                       "health": "#66a61e", "municipality": "#e6ab02", "state": "#a6761d", "employer": "#666666"}
PARTY_COLOURS = {"nav": PERSPECTIVE_COLOURS["nav"], "health_trust": PERSPECTIVE_COLOURS["health"],
                 "municipality": PERSPECTIVE_COLOURS["municipality"], "state": PERSPECTIVE_COLOURS["state"],
                 "individual": PERSPECTIVE_COLOURS["individual"], "employer": PERSPECTIVE_COLOURS["employer"]}
PERSPECTIVE_LABELS = {"society": "society", "public": "public purse", "nav": "NAV", "individual": "individual",
                      "health": "health trust", "municipality": "municipality", "state": "state (tax)",
                      "employer": "employer"}
PARTY_LABELS = {"nav": "NAV", "health_trust": "health trust", "municipality": "municipality", "state": "state",
                "individual": "individual", "employer": "employer", "resources": "resources"}
GAIN, LOSS, TOTAL = "#1a9850", "#d73027", "#2166ac"

DPI = 110
BREAKEVEN_STATUS = {0: "break-even wage found", 1: "pays off at any wage", 2: "no wage in the bracket breaks even",
                    3: "does not depend on the wage"}


def strategy_colours(strategies: Iterable[str]) -> dict[str, str]:
    """The colour of each strategy: known names fixed, others by position (comparator first)."""
    out = {}
    for i, s in enumerate(strategies):
        out[s] = KNOWN_STRATEGY_COLOURS.get(s, STRATEGY_PALETTE[i % len(STRATEGY_PALETTE)])
    return out


def state_colours(states: Iterable[str]) -> dict[str, str]:
    return {s: STATE_COLOURS.get(s, STATE_PALETTE[i % len(STATE_PALETTE)]) for i, s in enumerate(states)}


def nok(price_year: int | None, unit: str = "NOK") -> str:
    return f"{unit} ({price_year} prices)" if price_year else unit


def _thousands(ax, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _time_axis(months: np.ndarray) -> tuple[np.ndarray, str]:
    """Months for short runs, years beyond three years (easier to read)."""
    months = np.asarray(months, dtype=float)
    if months.size and months.max() > 36:
        return months / 12, "years since the strategy started"
    return months, "months since the strategy started"


def _label(name: str, labels: Mapping[str, str] | None) -> str:
    return (labels or {}).get(name, name)


def _finish(fig, title: str | None = None):
    if title:
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


# --- model card -----------------------------------------------------------------------------------

def _layout(states: Sequence[str], absorbing: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Living states round an ellipse (corners first, so straight arrows to a side column pass
    between boxes); absorbing states in a column on the right."""
    live = [s for s in states if s not in absorbing]
    pos = {}
    n = len(live)
    # four states sit on the corners (top-left first, anticlockwise); otherwise start at the top
    start = 3 * math.pi / 4 if n == 4 else math.pi / 2
    for i, s in enumerate(live):
        a = start + 2 * math.pi * i / max(n, 1)
        pos[s] = (1.6 * math.cos(a), 1.0 * math.sin(a))
    for j, s in enumerate(absorbing):
        pos[s] = (3.3, (len(absorbing) - 1) / 2 - j)
    return pos


def model_diagram_figure(states: Mapping[str, str], transitions: Iterable[tuple[str, str]],
                         changed: Iterable[tuple[str, str]] = (), intervention: str | None = None,
                         intervention_colour: str | None = None):
    """States as boxes, allowed transitions as arrows; arrows a strategy changes drawn in its colour.

    ``states``: name -> label; ``transitions``: (from, to) pairs; ``changed``: pairs with a
    strategy effect.
    """
    names = list(states)
    pairs = sorted({(a, b) for a, b in transitions if a != b}, key=lambda p: (names.index(p[0]), names.index(p[1])))
    changed = set(changed)
    sources = {a for a, _ in pairs}
    absorbing = [s for s in names if s not in sources]
    pos = _layout(names, absorbing)
    colours = state_colours(names)
    fig, ax = plt.subplots(figsize=(8.6, 4.8))
    boxes = {}
    for s in names:
        x, y = pos[s]
        label = states[s] or s
        text = "\n".join(_wrap(label, 22))
        t = ax.text(x, y, text, ha="center", va="center", fontsize=9, zorder=3,
                    bbox=dict(boxstyle="round,pad=0.5", facecolor=_lighten(colours[s]), edgecolor="#333333"))
        boxes[s] = t
    both = {(a, b) for a, b in pairs if (b, a) in pairs}
    for a, b in pairs:
        col = intervention_colour if (a, b) in changed and intervention_colour else "#555555"
        lw = 2.2 if (a, b) in changed else 1.0
        rad = 0.18 if (a, b) in both else 0.0
        arrow = FancyArrowPatch(pos[a], pos[b], arrowstyle="-|>", mutation_scale=13, color=col, lw=lw,
                                connectionstyle=f"arc3,rad={rad}", patchA=boxes[a].get_bbox_patch(),
                                patchB=boxes[b].get_bbox_patch(), shrinkA=2, shrinkB=2, zorder=2,
                                linestyle="--" if b in absorbing else "-")
        ax.add_patch(arrow)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.1, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.35, max(ys) + 0.55)
    ax.axis("off")
    handles = [Line2D([], [], color="#555555", lw=1, label="allowed move (each cycle)")]
    if changed and intervention:
        handles.append(Line2D([], [], color=intervention_colour or "black", lw=2.2,
                              label=f"move whose rate {intervention} changes"))
    if absorbing:
        handles.append(Line2D([], [], color="#555555", lw=1, ls="--", label="move to an absorbing state"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False, bbox_to_anchor=(0, 1.02), ncol=3)
    return _finish(fig, "States and allowed moves between them")


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return lines + ([line] if line else [])


def _lighten(colour: str, amount: float = 0.55) -> tuple[float, float, float]:
    r, g, b = matplotlib.colors.to_rgb(colour)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


# --- trajectories ---------------------------------------------------------------------------------

def employment_figure(months: np.ndarray, curves: Mapping[str, np.ndarray], targets: Sequence[Mapping] = (),
                      labels: Mapping[str, str] | None = None, ever_curves: Mapping[str, np.ndarray] | None = None,
                      state_label: str = "competitive employment", short: Mapping[str, str] | None = None):
    """Share in work by strategy over time, with the trial's published shares as markers, and below
    it the difference from the comparator (the first strategy) in percentage points — small
    population effects (e.g. when few of the group get IPS) are invisible on the main scale.

    ``targets``: dicts with strategy, month, value, measure ('in_state' or 'ever_in'), and
    optionally ``low``/``high`` (an interval drawn as an error bar) and ``source``.
    """
    x, xlabel = _time_axis(months)
    scale = 12 if "years" in xlabel else 1
    strategies = list(curves)
    colours = strategy_colours(strategies)
    two = len(strategies) > 1
    fig, axes = plt.subplots(2 if two else 1, 1, figsize=(8, 6.0 if two else 4.6), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1.3]} if two else None)
    ax = axes[0, 0]
    for s, y in curves.items():
        ax.plot(x, np.asarray(y), color=colours[s], lw=2, label=f"{_label(s, labels)}: in work")
        if ever_curves and s in ever_curves and any(t.get("measure") == "ever_in" for t in targets):
            ax.plot(x, np.asarray(ever_curves[s]), color=colours[s], lw=1.3, ls="--",
                    label=f"{_label(s, labels)}: ever in work since start")
    shown = False
    for t in targets:
        s = t["strategy"]
        c = colours.get(s, "black")
        tx = t["month"] / scale
        lo, hi = t.get("low"), t.get("high")
        yerr = None if lo is None else [[t["value"] - lo], [hi - t["value"]]]
        marker = "D" if t.get("measure", "in_state") == "in_state" else "s"
        ax.errorbar([tx], [t["value"]], yerr=yerr, fmt=marker, color=c, mec="black", ms=7, capsize=4, zorder=4,
                    label=None if shown else "published trial result (bar: 95 % interval)")
        shown = True
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    top = max([float(np.nanmax(v)) for v in curves.values()] + [t.get("high") or t["value"] for t in targets])
    ax.set_ylim(0, max(0.05, 1.15 * top))
    ax.set_ylabel(f"share of the starting group\nin {state_label}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if two:
        d_ax = axes[1, 0]
        base = np.asarray(curves[strategies[0]])
        for s in strategies[1:]:
            diff = (np.asarray(curves[s]) - base) * 100
            d_ax.plot(x, diff, color=colours[s], lw=2)
            k = int(np.nanargmax(np.abs(diff)))
            d_ax.annotate(f"{diff[k]:+.1f} pp", (x[k], diff[k]), textcoords="offset points", xytext=(4, 4), fontsize=8,
                          color=colours[s])
        d_ax.axhline(0, color="black", lw=0.8)
        names = " / ".join(_label(t, short or labels) for t in strategies[1:])
        d_ax.set_ylabel(f"{names} minus\n{_label(strategies[0], short or labels).lower()}\n(percentage points)", fontsize=8)
        d_ax.grid(alpha=0.3)
        lo, hi = d_ax.get_ylim()
        d_ax.set_ylim(min(lo, 0), hi + 0.15 * (hi - lo))
    axes[-1, 0].set_xlabel(xlabel)
    return _finish(fig, "Employment by strategy" + (" against the trial's results" if targets else ""))


def occupancy_figure(months: np.ndarray, occupancy: Mapping[str, np.ndarray], states: Sequence[str],
                     labels: Mapping[str, str] | None = None, strategy_labels: Mapping[str, str] | None = None,
                     short: Mapping[str, str] | None = None):
    """Where people are: stacked shares per strategy, plus the difference (last minus first strategy).

    ``occupancy``: strategy -> array [month, state] of shares.
    """
    x, xlabel = _time_axis(months)
    strategies = list(occupancy)
    colours = state_colours(states)
    s_colours = strategy_colours(strategies)
    n = len(strategies) + (1 if len(strategies) > 1 else 0)
    fig, axes = plt.subplots(1, n, figsize=(3.3 * n + 0.6, 4.6), squeeze=False)
    axes = axes[0]
    for ax, s in zip(axes, strategies):
        occ = np.asarray(occupancy[s])
        ax.stackplot(x, occ.T, colors=[colours[st] for st in states], labels=[_label(st, labels) for st in states])
        ax.set_title("\n".join(_wrap(_label(s, strategy_labels), 30)), fontsize=9, color=s_colours[s])
        ax.set_ylim(0, 1)
        ax.set_xlim(x[0], x[-1])
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(xlabel, fontsize=8)
    axes[0].set_ylabel("share of the starting group")
    if len(strategies) > 1:
        ax = axes[-1]
        diff = np.asarray(occupancy[strategies[-1]]) - np.asarray(occupancy[strategies[0]])
        for j, st in enumerate(states):
            ax.plot(x, diff[:, j] * 100, color=colours[st], lw=2, label=_label(st, labels))
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title("\n".join(_wrap(f"difference: {_label(strategies[-1], short or strategy_labels)} minus "
                                      f"{_label(strategies[0], short or strategy_labels).lower()}", 30)), fontsize=9)
        ax.set_ylabel("percentage points")
        ax.set_xlabel(xlabel, fontsize=8)
        ax.grid(alpha=0.3)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", fontsize=8, frameon=False, ncol=min(len(states), 3))
    fig.suptitle("Where people are over time", fontsize=11, x=0.01, ha="left")
    rows = math.ceil(len(states) / 3)
    fig.tight_layout(rect=(0, 0.06 * rows + 0.02, 1, 1))
    return fig


# --- money ----------------------------------------------------------------------------------------

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
        colour = PARTY_COLOURS.get(r["party"], "#999999")
        ax.barh(i, r["value"], left=start, color=colour, edgecolor=GAIN if r["value"] >= 0 else LOSS, lw=1.5)
        ax.text(max(start, running), i, f"  {r['value']:+,.0f}", va="center", fontsize=8)
        if i + 1 < len(steps):
            ax.plot([running, running], [i + 0.4, i + 0.6], color="#777777", lw=0.8)
    total_row = len(steps)
    ax.barh(total_row, running, color=TOTAL if running >= 0 else LOSS, alpha=0.9)
    ax.text(max(0, running), total_row, f"  {running:+,.0f}", va="center", fontsize=8, fontweight="bold")
    ax.set_yticks(range(total_row + 1), list(steps["label"]) + [total_label])
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    _thousands(ax, "x")
    ax.set_xlabel(f"discounted gain (+) or cost (−) per person, {nok(price_year)}")
    parties = list(dict.fromkeys(steps["party"]))
    handles = [Patch(facecolor=PARTY_COLOURS.get(p, "#999999"), label=f"paid or received by {PARTY_LABELS.get(p, p)}")
               for p in parties]
    handles += [Patch(facecolor="white", edgecolor=GAIN, lw=1.5, label="gain"),
                Patch(facecolor="white", edgecolor=LOSS, lw=1.5, label="cost")]
    fig.legend(handles=handles, fontsize=7.5, loc="lower center", ncol=3, frameon=False)
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo - 0.04 * (hi - lo), hi + 0.15 * (hi - lo))
    ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0.9 / fig.get_figheight(), 1, 1))
    return fig


def cumulative_net_figure(months: np.ndarray, cumulative: Mapping[str, np.ndarray], price_year: int | None,
                          intervention: str = "IPS", comparator: str = "usual care"):
    """Cumulative discounted incremental net per perspective over time (who gains, when)."""
    x, xlabel = _time_axis(months)
    fig, ax = plt.subplots(figsize=(8.6, 4.8))
    for p, y in cumulative.items():
        y = np.asarray(y)
        ax.plot(x, y, color=PERSPECTIVE_COLOURS.get(p), lw=2.4 if p in ("society", "public") else 1.5,
                label=f"{PERSPECTIVE_LABELS.get(p, p)} ({y[-1]:+,.0f})")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"cumulative discounted net per person\n{nok(price_year)}")
    _thousands(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="perspective (value at the end)", title_fontsize=8, loc="upper left",
              bbox_to_anchor=(1.01, 1))
    return _finish(fig, f"Who gains and when: {intervention} minus {comparator}, above 0 = gain")


def npv_figure(table: pd.DataFrame, price_year: int | None, intervention: str = "IPS"):
    """Incremental NPV per perspective (bars), payback month written on each."""
    table = table.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(table) + 1.6))
    for i, r in table.iterrows():
        v = r["incremental_npv"]
        ax.barh(i, v, color=PERSPECTIVE_COLOURS.get(r["perspective"], "#999999"))
        pb = r.get("payback_month")
        note = "never pays back" if pb is None or pb != pb else f"pays back in month {int(pb)}"
        ax.text(v, i, f"  {v:+,.0f}  ({note})  ", va="center", ha="left" if v >= 0 else "right", fontsize=8)
    ax.set_yticks(range(len(table)), [PERSPECTIVE_LABELS.get(p, p) for p in table["perspective"]])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    _thousands(ax, "x")
    lo, hi = ax.get_xlim()
    span = hi - lo
    ax.set_xlim(lo - 0.45 * span * (lo < 0), hi + 0.45 * span)
    ax.set_xlabel(f"incremental net present value per person, {nok(price_year)}")
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, f"Net present value of {intervention} by perspective (> 0: gains exceed costs)")


def breakeven_plot(table: pd.DataFrame, price_year: int | None, typical_wage: float | None = None):
    """Break-even gross wage against horizon, one line per scenario × perspective; horizons with
    no break-even wage are marked at the bottom ('any wage') or top ('none')."""
    fig, ax = plt.subplots(figsize=(8, 4.6))
    styles = ["-", "--", ":", "-."]
    scenarios = list(dict.fromkeys(table["scenario"]))
    for i, (scenario, by_s) in enumerate(table.groupby("scenario", sort=False)):
        for perspective, g in by_s.groupby("perspective", sort=False):
            g = g.sort_values("horizon_years")
            label = PERSPECTIVE_LABELS.get(perspective, perspective)
            if len(scenarios) > 1:
                label = f"{scenario}: {label}"
            colour = PERSPECTIVE_COLOURS.get(perspective)
            ax.plot(g["horizon_years"], g["breakeven_wage"] / 1000, marker="o", linestyle=styles[i % len(styles)],
                    color=colour, label=label)
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
    if typical_wage:
        ax.axhline(typical_wage / 1000, color="grey", linewidth=0.8, linestyle="--",
                   label=f"assumed wage of the group ({typical_wage / 1000:,.0f}k)")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("horizon (years, log scale)")
    ax.set_ylabel(f"thousand NOK per year, gross ({price_year} prices)")
    ax.set_title("Gross annual wage at which IPS breaks even — at wages above it, it pays off\n"
                 "(▼ on the bottom edge: pays off at any wage; ▲ on the top edge: no wage up to the bracket's top)",
                 fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def breakeven_figure(table: pd.DataFrame, path: Path, price_year: int, typical_wage: float | None = None) -> Path:
    """Write :func:`breakeven_plot` to ``path`` (PNG)."""
    return save(breakeven_plot(table, price_year, typical_wage), path)


# --- probabilistic sensitivity analysis (psa.nc) ---------------------------------------------------

def _pair(ds) -> tuple[str, str]:
    strategies = [str(s) for s in ds["strategy"].values]
    comparator = ds.attrs.get("comparator", strategies[0])
    intervention = ds.attrs.get("intervention", [s for s in strategies if s != comparator][0])
    return intervention, comparator


def _sel_h(da, horizon):
    return da.sel(horizon=horizon, method="nearest") if "horizon" in da.dims else da


def ce_plane_figure(psa, perspective: str, horizon: float, wtp: float | None = None,
                    labels: Mapping[str, str] | None = None):
    """Incremental cost against incremental QALYs, one dot per PSA sample, with the WTP line."""
    intervention, comparator = _pair(psa)
    cost = _sel_h(psa["cost"].sel(perspective=perspective), horizon)
    q = _sel_h(psa["qalys"], horizon)
    dc = (cost.sel(strategy=intervention) - cost.sel(strategy=comparator)).values
    dq = (q.sel(strategy=intervention) - q.sel(strategy=comparator)).values
    wtp = float(psa.attrs.get("wtp_default", psa["wtp"].values[len(psa["wtp"]) // 2])) if wtp is None else wtp
    price_year = psa.attrs.get("price_year")
    fig, ax = plt.subplots(figsize=(7.2, 5))
    ax.scatter(dq, dc, s=6, alpha=0.35, color=strategy_colours([comparator, intervention])[intervention], lw=0,
               label=f"{len(dq):,} PSA samples")
    ax.scatter([dq.mean()], [dc.mean()], marker="X", s=90, color="black", label="mean")
    lo, hi = min(dq.min(), 0), max(dq.max(), 0)
    pad = 0.05 * (hi - lo or 1)
    xs = np.array([lo - pad, hi + pad])
    ax.plot(xs, wtp * xs, color="#2166ac", ls="--", lw=1.2, label=f"willingness to pay {wtp:,.0f} NOK per QALY")
    ax.axhline(0, color="black", lw=0.7)
    ax.axvline(0, color="black", lw=0.7)
    below = np.mean(dc < wtp * dq)
    ax.set_xlabel(f"incremental QALYs per person ({_label(intervention, labels)} − "
                  f"{_label(comparator, labels).lower()}, discounted)")
    ax.set_ylabel(f"incremental net cost per person, {nok(price_year)}")
    _thousands(ax)
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    ax.text(0.99, 0.02, f"{below:.0%} of samples below the line (cost-effective)", transform=ax.transAxes,
            ha="right", fontsize=8)
    return _finish(fig, f"Cost-effectiveness plane — {PERSPECTIVE_LABELS.get(perspective, perspective)}, "
                        f"{float(_h(psa, horizon)):g} years")


def _h(ds, horizon):
    return ds["horizon"].sel(horizon=horizon, method="nearest").values if "horizon" in ds.coords else horizon


def ceac_figure(psa, perspective: str, horizon: float, labels: Mapping[str, str] | None = None):
    """Probability each strategy is the most cost-effective (CEAC) and the frontier (CEAF)."""
    ceac = _sel_h(psa["ceac"].sel(perspective=perspective), horizon)
    wtp = psa["wtp"].values
    strategies = [str(s) for s in ceac["strategy"].values]
    colours = strategy_colours(strategies)
    fig, ax = plt.subplots(figsize=(7.6, 4.6))
    for s in strategies:
        ax.plot(wtp, ceac.sel(strategy=s).values, color=colours[s], lw=1.8, label=f"{_label(s, labels)} (CEAC)")
    if "ceaf_probability" in psa:
        prob = _sel_h(psa["ceaf_probability"].sel(perspective=perspective), horizon).values
        best = _sel_h(psa["ceaf_strategy"].sel(perspective=perspective), horizon).values
        for s in strategies:
            m = np.array([str(b) == s for b in best])
            if m.any():
                ax.scatter(wtp[m], prob[m], s=28, facecolor="none", edgecolor=colours[s], lw=1.5, zorder=4)
        ax.plot([], [], "o", mfc="none", mec="black", label="frontier (CEAF): strategy with the highest expected net benefit")
    if "wtp_default" in psa.attrs:
        ax.axvline(float(psa.attrs["wtp_default"]), color="grey", ls=":", lw=1, label="default willingness to pay")
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"willingness to pay, NOK per QALY ({psa.attrs.get('price_year', '')} prices)")
    ax.set_ylabel("probability cost-effective")
    _thousands(ax, "x")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return _finish(fig, f"Acceptability curves — {PERSPECTIVE_LABELS.get(perspective, perspective)}, "
                        f"{float(_h(psa, horizon)):g} years")


def evpi_figure(psa, perspective: str, horizon: float):
    """Expected value of perfect information per person and for the population."""
    wtp = psa["wtp"].values
    per = _sel_h(psa["evpi"].sel(perspective=perspective), horizon).values
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.2))
    axes[0].plot(wtp, per, color="#5e3c99", lw=2)
    axes[0].set_ylabel(f"NOK per person ({psa.attrs.get('price_year', '')} prices)")
    axes[0].set_title("per person", fontsize=9)
    if "evpi_population" in psa:
        pop = _sel_h(psa["evpi_population"].sel(perspective=perspective), horizon).values
    else:
        pop = per * float(psa.attrs.get("population", 1))
    axes[1].plot(wtp, pop / 1e6, color="#5e3c99", lw=2)
    axes[1].set_ylabel(f"million NOK ({psa.attrs.get('price_year', '')} prices)")
    axes[1].set_title(f"population of {float(psa.attrs.get('population', 1)):,.0f}", fontsize=9)
    for ax in axes:
        ax.set_xlabel("willingness to pay, NOK per QALY")
        _thousands(ax, "x")
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    return _finish(fig, f"Expected value of perfect information — {PERSPECTIVE_LABELS.get(perspective, perspective)}, "
                        f"{float(_h(psa, horizon)):g} years")


def evppi_figure(psa, perspective: str, horizon: float, wtp: float | None = None, top: int = 15):
    """EVPPI per parameter group (bars, the ``top`` largest), at one willingness to pay, per person."""
    wtp = float(psa.attrs.get("wtp_default", psa["wtp"].values[0])) if wtp is None else wtp
    da = _sel_h(psa["evppi"].sel(perspective=perspective), horizon).sel(wtp=wtp, method="nearest")
    full = da.to_series().sort_values()
    s = full.iloc[-top:]
    fig, ax = plt.subplots(figsize=(8.2, 0.34 * len(s) + 1.9))
    ax.barh(range(len(s)), s.values, color="#5e3c99")
    ax.set_yticks(range(len(s)), [str(g) for g in s.index])
    if "evpi" in psa:
        evpi = float(_sel_h(psa["evpi"].sel(perspective=perspective), horizon).sel(wtp=wtp, method="nearest"))
        ax.axvline(evpi, color="black", ls="--", lw=1, label=f"EVPI (all parameters): {evpi:,.0f}")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel(f"NOK per person ({psa.attrs.get('price_year', '')} prices)")
    _thousands(ax, "x")
    ax.grid(axis="x", alpha=0.3)
    ax.set_ylim(-0.6, len(s) - 0.4)
    more = f"; the {len(s)} largest of {len(full)} groups" if len(full) > len(s) else ""
    return _finish(fig, f"Value of learning more about each parameter group (EVPPI)\n"
                        f"{PERSPECTIVE_LABELS.get(perspective, perspective)}, {float(_h(psa, horizon)):g} years, "
                        f"WTP {wtp:,.0f} NOK per QALY{more}")


def breakeven_distribution_figure(psa, horizon: float, perspectives: Sequence[str] | None = None,
                                  typical_wage: float | None = None, top: int = 4):
    """Distribution of the break-even wage over PSA samples, one panel per perspective (the first
    ``top`` that have any break-even wage), with the share of samples where no wage breaks even or
    every wage pays. Perspectives without any wage-linked flow are named under the panels."""
    perspectives = list(perspectives or [str(p) for p in psa["perspective"].values])
    wage = _sel_h(psa["breakeven_wage"], horizon)
    status = _sel_h(psa["breakeven_status"], horizon) if "breakeven_status" in psa else None
    shown = [p for p in perspectives if np.isfinite(wage.sel(perspective=p).values).any()][:top]
    left_out = [p for p in perspectives if p not in shown]
    if not shown:
        shown = perspectives[:1]
    fig, axes = plt.subplots(len(shown), 1, figsize=(8, 1.9 * len(shown) + 1.3), sharex=True, squeeze=False)
    allw = wage.sel(perspective=shown).values
    allw = allw[np.isfinite(allw)]
    bins = np.linspace(0, np.percentile(allw, 99) if allw.size else 1, 40) / 1000
    for ax, p in zip(axes[:, 0], shown):
        w = wage.sel(perspective=p).values
        ax.hist(w[np.isfinite(w)] / 1000, bins=bins, color=PERSPECTIVE_COLOURS.get(p, "#999999"), alpha=0.85)
        notes = []
        if status is not None:
            st = status.sel(perspective=p).values
            for code, text in BREAKEVEN_STATUS.items():
                share = np.mean(st == code)
                if share > 0:
                    notes.append(f"{text}: {share:.0%}")
        ax.text(0.99, 0.92, "\n".join(notes), transform=ax.transAxes, ha="right", va="top", fontsize=7.5)
        ax.set_ylabel(PERSPECTIVE_LABELS.get(p, p), fontsize=9)
        ax.yaxis.get_major_locator().set_params(integer=True)
        if typical_wage:
            ax.axvline(typical_wage / 1000, color="grey", ls="--", lw=1,
                       label=f"wage assumed for the group ({typical_wage / 1000:,.0f}k): above it, pays off")
        ax.grid(alpha=0.3)
    if typical_wage:
        axes[0, 0].legend(fontsize=7.5, loc="upper left")
    xlabel = f"break-even gross wage, thousand NOK per year ({psa.attrs.get('price_year', '')} prices)"
    if left_out:
        xlabel += "\nnot shown: " + ", ".join(PERSPECTIVE_LABELS.get(p, p) for p in left_out)
    axes[-1, 0].set_xlabel(xlabel)
    return _finish(fig, f"Break-even wage across PSA samples at {float(_h(psa, horizon)):g} years (number of samples)")


def prob_pays_off_figure(psa):
    """Probability that the intervention pays off (incremental NPV > 0), per perspective, against horizon."""
    da = psa["prob_pays_off"]
    fig, ax = plt.subplots(figsize=(7.6, 4.4))
    h = da["horizon"].values
    for p in da["perspective"].values:
        ax.plot(h, da.sel(perspective=p).values, marker="o", color=PERSPECTIVE_COLOURS.get(str(p)),
                label=PERSPECTIVE_LABELS.get(str(p), str(p)))
    ax.set_xscale("log")
    ax.set_xticks(h, [f"{v:g}" for v in h])
    ax.minorticks_off()
    ax.axhline(0.5, color="grey", ls=":", lw=1)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("horizon (years, log scale)")
    ax.set_ylabel("probability incremental NPV > 0")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="perspective", title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _finish(fig, "How likely IPS pays off (incremental NPV > 0), by perspective and horizon")


# --- one-way and two-way sensitivity (dsa.nc) ------------------------------------------------------

DSA_OUTPUTS = {"inc_npv": ("incremental NPV", "NOK per person"), "inmb": ("incremental net monetary benefit", "NOK per person"),
               "breakeven_wage": ("break-even wage", "NOK per year, gross")}


def tornado_figure(dsa, perspective: str, horizon: float, output: str = "inc_npv", top: int = 15):
    """One-way sensitivity: the output at each parameter's low and high value, sorted by swing."""
    name, unit = DSA_OUTPUTS.get(output, (output, ""))
    da = _sel_h(dsa[output].sel(perspective=perspective), horizon)
    base = float(_sel_h(dsa[f"base_{output}"].sel(perspective=perspective), horizon))
    low, high = da.sel(bound="low").values, da.sel(bound="high").values
    params = [str(p) for p in da["parameter"].values]
    with np.errstate(invalid="ignore"):
        swing = np.fmax(np.fmax(np.abs(low - base), np.abs(high - base)), np.abs(high - low))
    swing = np.where(np.isnan(swing), -1.0, swing)  # parameters with no value at either bound go last
    order = np.argsort(-swing, kind="stable")[:top][::-1]
    fig, ax = plt.subplots(figsize=(8.6, 0.36 * len(order) + 1.8))
    labels = []
    for i, j in enumerate(order):
        for v, colour in ((low[j], "#4393c3"), (high[j], "#d6604d")):
            if np.isfinite(v):
                ax.barh(i, v - base, left=base, color=colour, alpha=0.9)
            else:
                ax.text(base, i, " n/a", va="center", fontsize=7)
        if "low_value" in dsa and "high_value" in dsa:
            labels.append(f"{params[j]}  [{_fmt_value(dsa['low_value'].values[j])} – "
                          f"{_fmt_value(dsa['high_value'].values[j])}]")
        else:
            labels.append(params[j])
    ax.set_yticks(range(len(order)), labels, fontsize=8)
    ax.axvline(base, color="black", lw=1)
    if output != "breakeven_wage":
        ax.axvline(0, color="grey", lw=0.8, ls=":")
    _thousands(ax, "x")
    ax.set_xlabel(f"{name}, {unit} ({dsa.attrs.get('price_year', '')} prices); base {base:,.0f}")
    handles = [Patch(color="#4393c3", label="parameter at its low value"), Patch(color="#d6604d", label="at its high value")]
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    more = f"; the {len(order)} widest of {len(params)} parameters" if len(params) > len(order) else ""
    return _finish(fig, f"Tornado: {name} — {PERSPECTIVE_LABELS.get(perspective, perspective)}, "
                        f"{float(_h(dsa, horizon)):g} years (widest swing on top{more})")


def _fmt_value(v) -> str:
    v = float(v)
    if v == 0 or not np.isfinite(v):
        return f"{v:g}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}" if abs(v) >= 0.01 else f"{v:.2g}"


def twoway_figure(dsa, pair, perspective: str, horizon: float):
    """Two-way sensitivity: incremental NPV over a grid of two parameters, zero contour drawn."""
    z = _sel_h(dsa["twoway_inc_npv"].sel(pair=pair, perspective=perspective), horizon)
    x = np.asarray(dsa["twoway_x"].sel(pair=pair).values, dtype=float)
    y = np.asarray(dsa["twoway_y"].sel(pair=pair).values, dtype=float)
    xname = str(dsa["twoway_x_name"].sel(pair=pair).values) if "twoway_x_name" in dsa else "x"
    yname = str(dsa["twoway_y_name"].sel(pair=pair).values) if "twoway_y_name" in dsa else "y"
    zz = z.transpose("y_index", "x_index").values
    fig, ax = plt.subplots(figsize=(7.2, 5.2))
    lim = np.nanmax(np.abs(zz)) or 1.0
    mesh = ax.pcolormesh(x, y, zz, cmap="RdBu", vmin=-lim, vmax=lim, shading="auto")
    if np.nanmin(zz) < 0 < np.nanmax(zz):
        cs = ax.contour(x, y, zz, levels=[0], colors="black", linewidths=1.5)
        ax.clabel(cs, fmt={0: "breaks even"}, fontsize=8)
    cb = fig.colorbar(mesh, ax=ax)
    cb.set_label(f"incremental NPV per person, NOK ({dsa.attrs.get('price_year', '')} prices)")
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    _thousands(ax, "x")
    _thousands(ax, "y")
    if max(abs(x).max(), abs(y).max()) < 1000:  # small values: let matplotlib choose decimals
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    return _finish(fig, f"Two-way sensitivity — {PERSPECTIVE_LABELS.get(perspective, perspective)}, "
                        f"{float(_h(dsa, horizon)):g} years\n(blue: pays off, red: does not; black line: breaks even)")


# --- Sobol indices (sobol.nc) ----------------------------------------------------------------------

def output_label(output: str) -> str:
    """'inc_npv:society' -> 'incremental NPV, society'."""
    name, _, perspective = str(output).partition(":")
    text = DSA_OUTPUTS.get(name, (name.replace("_", " "), ""))[0]
    return f"{text}, {PERSPECTIVE_LABELS.get(perspective, perspective)}" if perspective else text


def sobol_bars_figure(sobol, output: str, top: int = 12):
    """First-order (S1) and total (ST) indices with 95 % intervals, one panel per horizon."""
    horizons = sobol["horizon"].values
    st_mean = sobol["ST"].sel(output=output).mean("horizon")
    params = [str(p) for p in st_mean.sortby(st_mean, ascending=False)["parameter"].values[:top]]
    n = len(horizons)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols + 1.5, 0.3 * len(params) * rows + 1.6 * rows),
                             squeeze=False, sharey=True)
    y = np.arange(len(params))
    for k, h in enumerate(horizons):
        ax = axes[k // cols, k % cols]
        d = sobol.sel(output=output, horizon=h, parameter=params)
        for name, off, colour in (("S1", -0.18, "#92c5de"), ("ST", 0.18, "#2166ac")):
            v = d[name].values
            err = d[f"{name}_conf"].values if f"{name}_conf" in d else None
            ax.barh(y + off, v, height=0.36, color=colour, xerr=err, ecolor="#333333", capsize=2,
                    label={"S1": "first order (S1)", "ST": "total (ST)"}[name])
        ax.set_title(f"{float(h):g} years", fontsize=9)
        ax.set_xlim(left=min(0, ax.get_xlim()[0]))
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlabel("share of output variance")
    for k in range(n, rows * cols):
        axes[k // cols, k % cols].axis("off")
    axes[0, 0].set_yticks(y, params, fontsize=8)
    axes[0, 0].invert_yaxis()
    axes[0, 0].legend(fontsize=7.5, loc="lower right")
    return _finish(fig, f"Sobol indices: {output_label(output)} (bars: 95 % intervals)")


def sobol_horizon_figure(sobol, output: str, top: int = 8):
    """Total-order index (solid) and first-order (dashed) against horizon for the leading parameters."""
    st = sobol["ST"].sel(output=output)
    params = [str(p) for p in st.max("horizon").sortby(st.max("horizon"), ascending=False)["parameter"].values[:top]]
    h = sobol["horizon"].values
    fig, ax = plt.subplots(figsize=(8.6, 4.6))
    cmap = plt.get_cmap("tab10")
    for i, p in enumerate(params):
        c = cmap(i % 10)
        ax.plot(h, st.sel(parameter=p).values, color=c, marker="o", lw=1.8, label=p)
        ax.plot(h, sobol["S1"].sel(output=output, parameter=p).values, color=c, ls="--", lw=1)
    if len(h) > 1 and h.max() / max(h.min(), 1e-9) > 5:
        ax.set_xscale("log")
        ax.set_xticks(h, [f"{v:g}" for v in h])
        ax.minorticks_off()
    ax.set_xlabel("horizon (years)")
    ax.set_ylabel("share of output variance")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="solid: total (ST), dashed: first order (S1)", title_fontsize=8, loc="upper left",
              bbox_to_anchor=(1.01, 1))
    return _finish(fig, f"Which inputs matter at which horizon — {output_label(output)}")
