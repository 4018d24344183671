"""Figures of the trace: the model's states and moves, employment and occupancy over time."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from ipsecon.output.figures.style import (MC_BAND, finish, grouped, label, lighten, percent_axis, state_colours,
                                           strategy_colours, tight, time_axis, tr, wrap)


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
        text = "\n".join(wrap(states[s] or s, 22))
        boxes[s] = ax.text(x, y, text, ha="center", va="center", fontsize=9, zorder=3,
                           bbox={"boxstyle": "round,pad=0.5", "facecolor": lighten(colours[s]), "edgecolor": "#333333"})
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
    handles = [Line2D([], [], color="#555555", lw=1, label=tr("fig.diagram.move"))]
    if changed and intervention:
        handles.append(Line2D([], [], color=intervention_colour or "black", lw=2.2,
                              label=tr("fig.diagram.changed", name=intervention)))
    if absorbing:
        handles.append(Line2D([], [], color="#555555", lw=1, ls="--", label=tr("fig.diagram.absorbing")))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False, bbox_to_anchor=(0, 1.02), ncol=3)
    return finish(fig, tr("fig.diagram.title"))


def employment_figure(months: np.ndarray, curves: Mapping[str, np.ndarray], targets: Sequence[Mapping] = (),
                      labels: Mapping[str, str] | None = None, ever_curves: Mapping[str, np.ndarray] | None = None,
                      state_label: str | None = None, short: Mapping[str, str] | None = None,
                      comparator: str | None = None, standard_errors: Mapping[str, np.ndarray] | None = None,
                      difference_errors: Mapping[str, np.ndarray] | None = None):
    """Share in work by strategy over time, with the trial's published shares as markers, and below
    it each other strategy's difference from ``comparator`` in percentage points — small
    population effects (e.g. when few of the group get IPS) are invisible on the main scale. No
    difference panel without a comparator.

    ``targets``: dicts with strategy, month, value, measure ('in_state' or 'ever_in'), and
    optionally ``low``/``high`` (an interval drawn as an error bar) and ``source``.
    ``standard_errors``: per strategy, the Monte Carlo standard error of each month's share (microsim),
    drawn as a 95 % band on the curve. ``difference_errors``: per intervention, the standard error of
    its difference from the comparator, drawn as a band on the difference. A microsimulation pairs its
    strategies (the same people and random numbers), so that error is far below the two shares' errors
    added in quadrature (about 1/7 of it in Bodø): without it the difference carries no band, never
    the unpaired one.
    """
    x, xlabel = time_axis(months)
    scale = 12 if len(x) and np.asarray(months, dtype=float)[-1] > x[-1] else 1  # the axis is in years
    strategies = list(curves)
    colours = strategy_colours(strategies, comparator)
    others = [s for s in strategies if s != comparator] if comparator in curves else []
    two = bool(others)
    fig, axes = plt.subplots(2 if two else 1, 1, figsize=(8, 6.0 if two else 4.6), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1.3]} if two else None)
    ax = axes[0, 0]
    se = standard_errors or {}
    for s, y in curves.items():
        ax.plot(x, np.asarray(y), color=colours[s], lw=2, label=tr("fig.employment.in_work", name=label(s, labels)))
        if s in se:
            half = 1.96 * np.asarray(se[s])
            first = s == next(iter(se))
            ax.fill_between(x, np.asarray(y) - half, np.asarray(y) + half, color=colours[s], alpha=MC_BAND, lw=0,
                            label=tr("fig.employment.mc_band") if first else None)
        if ever_curves and s in ever_curves and any(t.get("measure") == "ever_in" for t in targets):
            ax.plot(x, np.asarray(ever_curves[s]), color=colours[s], lw=1.3, ls="--",
                    label=tr("fig.employment.ever", name=label(s, labels)))
    shown = False
    for t in targets:
        lo, hi = t.get("low"), t.get("high")
        yerr = None if lo is None else [[t["value"] - lo], [hi - t["value"]]]
        marker = "D" if t.get("measure", "in_state") == "in_state" else "s"
        ax.errorbar([t["month"] / scale], [t["value"]], yerr=yerr, fmt=marker, color=colours.get(t["strategy"], "black"),
                    mec="black", ms=7, capsize=4, zorder=4,
                    label=None if shown else tr("fig.employment.published"))
        shown = True
    percent_axis(ax)
    top = max([float(np.nanmax(v)) for v in curves.values()] + [t.get("high") or t["value"] for t in targets])
    ax.set_ylim(0, max(0.05, 1.15 * top))
    ax.set_ylabel(tr("fig.employment.ylabel", state=state_label or tr("fig.employment.state")))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if two:
        d_ax = axes[1, 0]
        base = np.asarray(curves[comparator])
        for s in others:
            diff = (np.asarray(curves[s]) - base) * 100
            d_ax.plot(x, diff, color=colours[s], lw=2)
            if difference_errors and s in difference_errors:
                half = 196 * np.asarray(difference_errors[s])
                d_ax.fill_between(x, diff - half, diff + half, color=colours[s], alpha=MC_BAND, lw=0)
            k = int(np.nanargmax(np.abs(diff)))
            d_ax.annotate(tr("fig.pp", value=("+" if diff[k] > 0 else "") + grouped(diff[k], 1)), (x[k], diff[k]), textcoords="offset points", xytext=(4, 4), fontsize=8,
                          color=colours[s])
        d_ax.axhline(0, color="black", lw=0.8)
        names = " / ".join(label(t, short or labels) for t in others)
        d_ax.set_ylabel(tr("fig.minus_pp", name=names, comparator=label(comparator, short or labels).lower()), fontsize=8)
        d_ax.grid(alpha=0.3)
        lo, hi = d_ax.get_ylim()
        d_ax.set_ylim(min(lo, 0), hi + 0.15 * (hi - lo))
    axes[-1, 0].set_xlabel(xlabel)
    return finish(fig, tr("fig.employment.title_targets" if targets else "fig.employment.title"))


def occupancy_figure(months: np.ndarray, occupancy: Mapping[str, np.ndarray], states: Sequence[str],
                     labels: Mapping[str, str] | None = None, strategy_labels: Mapping[str, str] | None = None,
                     short: Mapping[str, str] | None = None, comparator: str | None = None,
                     interventions: Sequence[str] = (), difference_errors: Mapping[str, np.ndarray] | None = None):
    """Where people are: stacked shares per strategy, plus one panel per intervention with its
    difference from ``comparator`` (none without a comparator).

    ``occupancy``: strategy -> array [month, state] of shares. ``difference_errors``: per intervention,
    the standard error [month, state] of its difference from the comparator, drawn as a 95 % band (a
    microsimulation's paired error: see :func:`employment_figure`; no band without it).
    """
    x, xlabel = time_axis(months)
    strategies = list(occupancy)
    colours = state_colours(states)
    s_colours = strategy_colours(strategies, comparator)
    diffs = [i for i in interventions if i in occupancy] if comparator in occupancy else []
    n = len(strategies) + len(diffs)
    fig, axes = plt.subplots(1, n, figsize=(3.3 * n + 0.6, 4.6), squeeze=False)
    axes = axes[0]
    for ax, s in zip(axes, strategies):
        occ = np.asarray(occupancy[s])
        ax.stackplot(x, occ.T, colors=[colours[st] for st in states], labels=[label(st, labels) for st in states])
        ax.set_title("\n".join(wrap(label(s, strategy_labels), 30)), fontsize=9, color=s_colours[s])
        ax.set_ylim(0, 1)
        ax.set_xlim(x[0], x[-1])
        percent_axis(ax)
        ax.set_xlabel(xlabel, fontsize=8)
    axes[0].set_ylabel(tr("fig.share_of_group"))
    for ax, i in zip(axes[len(strategies):], diffs):
        diff = np.asarray(occupancy[i]) - np.asarray(occupancy[comparator])
        for j, st in enumerate(states):
            ax.plot(x, diff[:, j] * 100, color=colours[st], lw=2, label=label(st, labels))
            if difference_errors and i in difference_errors:
                half = 196 * np.asarray(difference_errors[i])[:, j]
                ax.fill_between(x, diff[:, j] * 100 - half, diff[:, j] * 100 + half, color=colours[st],
                                alpha=MC_BAND, lw=0)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title("\n".join(wrap(tr("fig.occupancy.difference", name=label(i, short or strategy_labels),
                                        comparator=label(comparator, short or strategy_labels).lower()), 30)),
                     fontsize=9)
        ax.set_ylabel(tr("fig.percentage_points"))
        ax.set_xlabel(xlabel, fontsize=8)
        ax.grid(alpha=0.3)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", fontsize=8, frameon=False, ncol=min(len(states), 3))
    fig.suptitle(tr("section.occupancy"), fontsize=11, x=0.01, ha="left")
    rows = math.ceil(len(states) / 3)
    return tight(fig, rect=(0, 0.06 * rows + 0.02, 1, 1))
