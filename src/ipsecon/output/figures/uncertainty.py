"""Figures of the probabilistic sensitivity analysis (``psa.nc``): CE plane, CEAC/CEAF, EVPI,
EVPPI, the break-even wage across samples and the probability of paying off.

Incremental variables carry a leading ``intervention`` dimension (one entry per intervention,
each against the file's ``comparator``); every function takes the ``intervention`` to draw and
may leave it out when the file holds one. Which strategy is the comparator is read from the
file (:mod:`ipsecon.output.roles`), never from the order of the strategies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from ipsecon.output.figures.style import (MC_BAND, PERSPECTIVE_COLOURS, compact, finish, grouped, label, nok, percent_axis,
                                           perspective_label, share, state_colours, strategy_colours, thousands,
                                           tight, time_axis, tr, wrap)
from ipsecon.output.roles import dataset_roles


def sel_horizon(da, horizon):
    """``da`` at the horizon nearest ``horizon`` (unchanged without a horizon dimension)."""
    return da.sel(horizon=horizon, method="nearest") if "horizon" in da.dims else da


def horizon_value(ds, horizon) -> float:
    """The horizon of ``ds`` nearest ``horizon``, in years."""
    return float(ds["horizon"].sel(horizon=horizon, method="nearest").values) if "horizon" in ds.coords else float(horizon)


def for_intervention(da, intervention: str | None):
    """``da`` (a DataArray or Dataset) for one intervention (unchanged without an intervention dimension; the only one when
    ``intervention`` is None)."""
    if "intervention" not in da.dims:
        return da
    if intervention is None:
        if da.sizes["intervention"] != 1:
            raise ValueError(f"{getattr(da, 'name', None) or 'data'}: {da.sizes['intervention']} interventions, "
                             "name the one to draw")
        return da.isel(intervention=0, drop=True)
    return da.sel(intervention=intervention, drop=True)


def comparison(ds, intervention: str | None = None) -> tuple[str, str]:
    """(intervention, comparator) as ``ds`` records them; an error where it does not."""
    comparator, interventions = dataset_roles(ds)
    if comparator is None or not interventions:
        raise ValueError("the file does not record its comparator and interventions")
    if intervention is None:
        if len(interventions) != 1:
            raise ValueError(f"{len(interventions)} interventions ({', '.join(interventions)}): name the one to draw")
        intervention = interventions[0]
    return intervention, comparator


def ce_plane_figure(psa, perspective: str, horizon: float, wtp: float | None = None,
                    labels: Mapping[str, str] | None = None, intervention: str | None = None):
    """Incremental cost against incremental QALYs, one dot per PSA sample, with the WTP line."""
    intervention, comparator = comparison(psa, intervention)
    cost = sel_horizon(psa["cost"].sel(perspective=perspective), horizon)
    q = sel_horizon(psa["qalys"], horizon)
    dc = (cost.sel(strategy=intervention) - cost.sel(strategy=comparator)).values
    dq = (q.sel(strategy=intervention) - q.sel(strategy=comparator)).values
    wtp = float(psa.attrs.get("wtp_default", psa["wtp"].values[len(psa["wtp"]) // 2])) if wtp is None else wtp
    fig, ax = plt.subplots(figsize=(9.4, 5))  # room for the legend beside a readable plane
    ax.scatter(dq, dc, s=6, alpha=0.35, color=strategy_colours([comparator, intervention], comparator)[intervention],
               lw=0, label=tr("fig.psa.samples", n=grouped(len(dq))))
    ax.scatter([dq.mean()], [dc.mean()], marker="X", s=90, color="black", label=tr("fig.mean"))
    lo, hi = min(dq.min(), 0), max(dq.max(), 0)
    pad = 0.05 * (hi - lo or 1)
    xs = np.array([lo - pad, hi + pad])
    ax.plot(xs, wtp * xs, color="#2166ac", ls="--", lw=1.2, label=tr("fig.wtp_line", wtp=compact(wtp)))
    ax.axhline(0, color="black", lw=0.7)
    ax.axvline(0, color="black", lw=0.7)
    below = np.mean(dc < wtp * dq)
    ax.set_xlabel(tr("fig.ce.xlabel", name=label(intervention, labels), comparator=label(comparator, labels).lower()))
    ax.set_ylabel(tr("fig.ce.ylabel", unit=nok(psa.attrs.get("price_year"))))
    thousands(ax)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(alpha=0.3)
    ax.text(0.99, 0.02, tr("fig.ce.below", share=share(below)), transform=ax.transAxes,
            ha="right", fontsize=8)
    return finish(fig, tr("fig.ce.title", who=perspective_label(perspective), years=f"{horizon_value(psa, horizon):g}"))


def ceac_figure(psa, perspective: str, horizon: float, labels: Mapping[str, str] | None = None):
    """Probability each strategy is the most cost-effective (CEAC) and the frontier (CEAF)."""
    ceac = sel_horizon(psa["ceac"].sel(perspective=perspective), horizon)
    wtp = psa["wtp"].values
    strategies = [str(s) for s in ceac["strategy"].values]
    colours = strategy_colours(strategies, dataset_roles(psa)[0])
    fig, ax = plt.subplots(figsize=(9.4, 4.6))
    for s in strategies:
        ax.plot(wtp, ceac.sel(strategy=s).values, color=colours[s], lw=1.8, label=tr("fig.ceac.curve", name=label(s, labels)))
    if "ceaf_probability" in psa:
        prob = sel_horizon(psa["ceaf_probability"].sel(perspective=perspective), horizon).values
        best = sel_horizon(psa["ceaf_strategy"].sel(perspective=perspective), horizon).values
        for s in strategies:
            m = np.array([str(b) == s for b in best])
            if m.any():
                ax.scatter(wtp[m], prob[m], s=28, facecolor="none", edgecolor=colours[s], lw=1.5, zorder=4)
        ax.plot([], [], "o", mfc="none", mec="black", label=tr("fig.ceac.frontier"))
    if "wtp_default" in psa.attrs:
        ax.axvline(float(psa.attrs["wtp_default"]), color="grey", ls=":", lw=1, label=tr("fig.ceac.default"))
    ax.set_ylim(-0.02, 1.02)
    percent_axis(ax)
    ax.set_xlabel(tr("fig.wtp_axis", unit=nok(psa.attrs.get("price_year"))))
    ax.set_ylabel(tr("fig.ceac.ylabel"))
    thousands(ax, "x")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return finish(fig, tr("fig.ceac.title", who=perspective_label(perspective), years=f"{horizon_value(psa, horizon):g}"))


def evpi_figure(psa, perspective: str, horizon: float):
    """Expected value of perfect information per person and for the population."""
    wtp = psa["wtp"].values
    per = sel_horizon(psa["evpi"].sel(perspective=perspective), horizon).values
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.2))
    axes[0].plot(wtp, per, color="#5e3c99", lw=2)
    axes[0].set_ylabel(tr("fig.per_person", unit=nok(psa.attrs.get("price_year"))))
    axes[0].set_title(tr("fig.evpi.per_person"), fontsize=9)
    if "evpi_population" in psa:
        pop = sel_horizon(psa["evpi_population"].sel(perspective=perspective), horizon).values
    else:
        pop = per * float(psa.attrs.get("population", 1))
    axes[1].plot(wtp, pop / 1e6, color="#5e3c99", lw=2)
    axes[1].set_ylabel(tr("fig.million", unit=nok(psa.attrs.get("price_year"))))
    axes[1].set_title(tr("fig.evpi.population", n=grouped(float(psa.attrs.get("population", 1)))), fontsize=9)
    for ax in axes:
        ax.set_xlabel(tr("fig.wtp_axis", unit=tr("fig.nok")))
        thousands(ax, "x")
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    return finish(fig, tr("fig.evpi.title", who=perspective_label(perspective), years=f"{horizon_value(psa, horizon):g}"))


def evppi_figure(psa, perspective: str, horizon: float, wtp: float | None = None, top: int = 15):
    """EVPPI per parameter group (bars, the ``top`` largest), at one willingness to pay, per person."""
    wtp = float(psa.attrs.get("wtp_default", psa["wtp"].values[0])) if wtp is None else wtp
    da = sel_horizon(psa["evppi"].sel(perspective=perspective), horizon).sel(wtp=wtp, method="nearest")
    full = da.to_series().sort_values()
    evpi = float(sel_horizon(psa["evpi"].sel(perspective=perspective), horizon).sel(wtp=wtp, method="nearest")) \
        if "evpi" in psa else None
    # a bar under 1 % of the axis (which runs to the EVPI) is an empty row to the eye: such groups are
    # counted under the axis, not drawn
    scale = max(abs(evpi) if evpi is not None else 0.0, float(full.max()) if len(full) else 0.0)
    nonzero = full[full > max(0.5, 0.01 * scale)]
    zero = len(full) - len(nonzero)
    s = nonzero.iloc[-top:] if len(nonzero) else full.iloc[-1:]
    fig, ax = plt.subplots(figsize=(8.6, 0.34 * len(s) + 2.1))
    ax.barh(range(len(s)), s.values, color="#5e3c99")
    for i, v in enumerate(s.values):  # the value at each bar's end: short bars stay readable
        ax.text(v, i, f" {compact(v)}", va="center", ha="left", fontsize=8)
    ax.set_yticks(range(len(s)), [str(g) for g in s.index])
    if evpi is not None:
        ax.axvline(evpi, color="black", ls="--", lw=1)
        ax.text(evpi, len(s) - 0.45, tr("fig.evppi.evpi", value=compact(evpi)) + " ", ha="right", va="bottom",
                fontsize=8)
    xlabel = tr("fig.per_person", unit=nok(psa.attrs.get("price_year")))
    if zero:
        xlabel += "\n" + tr("fig.evppi.zero", n=zero, of=len(full))
    ax.set_xlabel(xlabel)
    thousands(ax, "x")
    ax.set_xlim(0, max(scale, 1.0) * 1.12)
    ax.grid(axis="x", alpha=0.3)
    ax.set_ylim(-0.6, len(s) + 0.3)
    more = tr("fig.evppi.more", n=len(s), of=len(nonzero)) if len(nonzero) > len(s) else ""
    return finish(fig, tr("fig.evppi.title", who=perspective_label(perspective), years=f"{horizon_value(psa, horizon):g}",
                          wtp=compact(wtp), more=more))


def breakeven_distribution_figure(psa, horizon: float, perspectives: Sequence[str] | None = None,
                                  typical_wage: float | None = None, top: int = 4, intervention: str | None = None):
    """Distribution of the break-even wage over all PSA samples, one panel per perspective (the first
    ``top`` that depend on the wage). Censored samples are drawn as labelled bars at the ends: on the
    left those that pay off at any wage (break-even at most the bracket's low end), on the right those
    that pay off at no wage in the bracket. Perspectives without any wage-linked flow are named under
    the panels."""
    perspectives = list(perspectives or [str(p) for p in psa["perspective"].values])
    wage = sel_horizon(for_intervention(psa["breakeven_wage"], intervention), horizon)
    if "breakeven_status" in psa:
        status = sel_horizon(for_intervention(psa["breakeven_status"], intervention), horizon)
    else:  # older files: a wage where one was found, else not known why
        status = wage.isnull().astype(int) * 3
    low, high = float(psa.attrs.get("bracket_low", 0.0)), float(psa.attrs.get("bracket_high", np.nan))
    shown = [p for p in perspectives if (status.sel(perspective=p).values != 3).any()][:top]
    left_out = [p for p in perspectives if p not in shown]
    if not shown:
        shown = perspectives[:1]
    fig, axes = plt.subplots(len(shown), 1, figsize=(8, 1.9 * len(shown) + 1.3), sharex=True, squeeze=False)
    found = np.concatenate([wage.sel(perspective=p).values[status.sel(perspective=p).values == 0] for p in shown])
    found = found[np.isfinite(found)]
    top_edge = np.percentile(found, 99) if found.size else (high if np.isfinite(high) else 1.0)
    edges = np.linspace(low, max(top_edge, low + 1), 40) / 1000
    width = edges[1] - edges[0]
    left_x, right_x = edges[0] - 1.5 * width, edges[-1] + 1.5 * width
    for ax, p in zip(axes[:, 0], shown):
        w, st = wage.sel(perspective=p).values, status.sel(perspective=p).values
        n = st.size
        colour = PERSPECTIVE_COLOURS.get(p, "#999999")
        ax.hist(np.clip(w[(st == 0) & np.isfinite(w)] / 1000, edges[0], edges[-1]), bins=edges, color=colour, alpha=0.85)
        for code, x, text in ((1, left_x, tr("fig.bedist.any", wage=compact(low))),
                              (2, right_x, tr("fig.bedist.none", wage=compact(high)))):
            count = int(np.sum(st == code))
            if count:
                ax.bar([x], [count], width=width, color="white", edgecolor=colour, hatch="///", lw=1)
                ax.annotate(f"{text}: {share(count / n)}", (x, count), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize=7)
        ax.set_ylabel(perspective_label(p), fontsize=9)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(top=ax.get_ylim()[1] * 1.25)  # room for the labels of the end bars
        if typical_wage:
            ax.axvline(typical_wage / 1000, color="grey", ls="--", lw=1,
                       label=tr("fig.assumed_wage", wage=compact(typical_wage)))
        ax.grid(alpha=0.3)
    if typical_wage:
        axes[0, 0].legend(fontsize=7.5, loc="upper center")
    xlabel = tr("fig.bedist.xlabel", year=psa.attrs.get("price_year", ""))
    if left_out:
        xlabel += "\n" + tr("fig.bedist.left_out") + " " + ", ".join(perspective_label(p) for p in left_out)
    axes[-1, 0].set_xlabel(xlabel, fontsize=8)
    # the sample count once, in the title: written in each panel it ran into the end bars' labels
    return finish(fig, tr("fig.bedist.title", years=f"{horizon_value(psa, horizon):g}", n=grouped(wage.sizes["sample"])))


def wilson_interval(p, n: int, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of a share ``p`` of ``n`` independent samples (stays inside 0–1, and is
    not empty at 0 % or 100 % as the normal approximation is)."""
    p = np.asarray(p, dtype=float)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def prob_pays_off_figure(psa, intervention: str | None = None, name: str = "IPS"):
    """Probability that the intervention (``name`` in the title) pays off (incremental NPV > 0),
    per perspective, against horizon; the band is its sampling error over the PSA's samples (95 % Wilson
    interval), which few samples make wide."""
    da = for_intervention(psa["prob_pays_off"], intervention)
    n = int(psa.sizes.get("sample", 0) or psa.attrs.get("n_samples", 0))
    fig, ax = plt.subplots(figsize=(7.6, 4.4))
    h = da["horizon"].values
    for p in da["perspective"].values:
        colour = PERSPECTIVE_COLOURS.get(str(p))
        if n:
            lo, hi = wilson_interval(da.sel(perspective=p).values, n)
            ax.fill_between(h, lo, hi, color=colour, alpha=0.12, lw=0)
        ax.plot(h, da.sel(perspective=p).values, marker="o", color=colour, label=perspective_label(str(p)))
    ax.set_xscale("log")
    ax.set_xticks(h, [f"{v:g}" for v in h])
    ax.minorticks_off()
    ax.axhline(0.5, color="grey", ls=":", lw=1)
    ax.set_ylim(-0.02, 1.02)
    percent_axis(ax)
    ax.set_xlabel(tr("fig.horizon_log"))
    ax.set_ylabel(tr("fig.prob.ylabel"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title=tr("decision.col.perspective") + ("\n" + tr("fig.prob.band", n=grouped(n)) if n else ""),
              title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return finish(fig, tr("fig.prob.title", name=name))


def _band(ax, x, samples, colour, label, scale=1.0):
    """Mean line and 95 % band (2.5th–97.5th percentile) of ``samples`` [sample, point]."""
    samples = np.asarray(samples, dtype=float) * scale
    lo, hi = np.nanpercentile(samples, [2.5, 97.5], axis=0)
    ax.fill_between(x, lo, hi, color=colour, alpha=MC_BAND, lw=0)
    ax.plot(x, np.nanmean(samples, axis=0), color=colour, lw=2, label=label)


def _log_horizons(ax, h):
    ax.set_xscale("log")
    ax.set_xticks(h, [f"{v:g}" for v in h])
    ax.minorticks_off()
    ax.set_xlabel(tr("fig.horizon_log"))


def psa_employment_figure(psa, labels: Mapping[str, str] | None = None):
    """Share in work by strategy over time across PSA samples (line: mean, band: 95 % of samples), and
    each intervention's difference from the comparator in percentage points with its band."""
    share = psa["employment_share"]
    x, xlabel = time_axis(share["month"].values)
    comparator, interventions = dataset_roles(psa)
    strategies = [str(s) for s in share["strategy"].values]
    colours = strategy_colours(strategies, comparator)
    fig, axes = plt.subplots(2, 1, figsize=(8, 6.2), sharex=True, gridspec_kw={"height_ratios": [3, 1.5]})
    for s in strategies:
        _band(axes[0], x, share.sel(strategy=s).values, colours[s], label(s, labels))
    percent_axis(axes[0])
    axes[0].set_ylim(bottom=0)
    axes[0].set_ylabel(tr("fig.share_in_work"))
    # beside the plot: inside, it covered the bands
    axes[0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), title=tr("fig.band.mean_samples"),
                   title_fontsize=8)
    for i in [i for i in interventions if i in strategies and comparator in strategies]:
        diff = share.sel(strategy=i).values - share.sel(strategy=comparator).values
        _band(axes[1], x, diff, colours[i], label(i, labels), scale=100)
    axes[1].axhline(0, color="black", lw=0.8)
    names = " / ".join(label(i, labels) for i in interventions if i in strategies)
    axes[1].set_ylabel(tr("fig.minus_pp", name=names, comparator=label(comparator, labels).lower()).lstrip(), fontsize=8)
    axes[1].set_xlabel(xlabel)
    for ax in axes:
        ax.grid(alpha=0.3)
    n = psa.sizes["sample"]
    return finish(fig, tr("fig.psa_employment.title", n=grouped(n)))


def _readable(colour) -> str | tuple:
    """A state's colour for text, or dark grey where the colour is too pale to read on white (the
    light blue of graded AAP, the lilac of other income)."""
    r, g, b = matplotlib.colors.to_rgb(colour)
    return "#333333" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55 else colour


def psa_occupancy_figure(psa, labels: Mapping[str, str] | None = None, state_labels: Mapping[str, str] | None = None):
    """Share in each state by strategy over time across PSA samples: one panel per state, a line per
    strategy (mean) with its 95 % band (``occupancy_mean``, ``occupancy_quantile`` of ``psa.nc``)."""
    mean, q = psa["occupancy_mean"], psa["occupancy_quantile"]
    x, xlabel = time_axis(mean["month"].values)
    states = [str(s) for s in mean["state"].values]
    strategies = [str(s) for s in mean["strategy"].values]
    colours = strategy_colours(strategies, dataset_roles(psa)[0])
    cols = min(3, len(states))
    rows = math.ceil(len(states) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10.2, 2.9 * rows + 1.0), sharex=True, squeeze=False)
    for k, st in enumerate(states):
        ax = axes[k // cols, k % cols]
        for s in strategies:
            lo, hi = (q.sel(strategy=s, state=st).isel(occupancy_level=j).values for j in (0, -1))
            ax.fill_between(x, lo, hi, color=colours[s], alpha=MC_BAND, lw=0)
            ax.plot(x, mean.sel(strategy=s, state=st).values, color=colours[s], lw=1.8, label=label(s, labels))
        ax.set_title("\n".join(wrap(label(st, state_labels), 34)), fontsize=9,
                     color=_readable(state_colours(states)[st]))
        percent_axis(ax)
        ax.yaxis.set_major_locator(plt.MaxNLocator(4))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if k % cols == 0:
            ax.set_ylabel(tr("fig.share_of_group"), fontsize=8)
    for k in range(len(states), rows * cols):
        axes[k // cols, k % cols].axis("off")
    for k in range(len(states)):
        if k + cols >= len(states):  # the lowest panel of each column carries the time axis
            axes[k // cols, k % cols].set_xlabel(xlabel, fontsize=8)
            axes[k // cols, k % cols].xaxis.set_tick_params(labelbottom=True)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(strategies), fontsize=8, frameon=False,
               title=tr("fig.band.mean_samples"), title_fontsize=8)
    fig.suptitle(tr("fig.psa_occupancy.title", n=grouped(psa.sizes.get("sample", 0))), fontsize=11, x=0.01, ha="left")
    return tight(fig, rect=(0, 0.75 / fig.get_figheight(), 1, 1))


def psa_net_by_horizon_figure(psa, intervention: str | None = None, perspectives: Sequence[str] | None = None,
                              name: str = "IPS"):
    """Incremental NPV (the cumulative discounted net at each horizon) per perspective across PSA samples:
    mean and 95 % band."""
    inc = for_intervention(psa["inc_npv"], intervention)
    h = inc["horizon"].values
    perspectives = list(perspectives or [str(p) for p in inc["perspective"].values])
    fig, ax = plt.subplots(figsize=(8.6, 4.8))
    for p in perspectives:
        _band(ax, h, inc.sel(perspective=p).transpose("sample", "horizon").values, PERSPECTIVE_COLOURS.get(p, "#999999"),
              perspective_label(p))
    ax.axhline(0, color="black", lw=0.8)
    if len(h) > 1:
        _log_horizons(ax, h)
    ax.set_ylabel(tr("fig.cumulative.ylabel", unit=nok(psa.attrs.get("price_year"))))
    thousands(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title=tr("fig.band.mean"), title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return finish(fig, tr("fig.psa_net.title", name=name))


def psa_breakeven_by_horizon_figure(psa, intervention: str | None = None, perspectives: Sequence[str] | None = None,
                                    typical_wage: float | None = None, name: str = "IPS"):
    """Break-even wage against horizon across PSA samples: median (line) and 2.5th–97.5th percentiles
    (band), censored samples counted at the bracket's bounds; perspectives without a wage-linked flow left out."""
    q = for_intervention(psa["breakeven_wage_quantile"], intervention)
    status = for_intervention(psa["breakeven_status"], intervention)
    h = q["horizon"].values
    perspectives = [p for p in (perspectives or [str(p) for p in q["perspective"].values])
                    if (status.sel(perspective=p).values != 3).any()]
    fig, ax = plt.subplots(figsize=(8.6, 4.8))
    for p in perspectives:
        colour = PERSPECTIVE_COLOURS.get(p, "#999999")
        lo, mid, hi = (q.sel(perspective=p).sel(quantile=v, method="nearest").values / 1000 for v in (0.025, 0.5, 0.975))
        ax.fill_between(h, lo, hi, color=colour, alpha=MC_BAND, lw=0)
        ax.plot(h, mid, color=colour, lw=2, marker="o", label=perspective_label(p))
    if typical_wage:
        ax.axhline(typical_wage / 1000, color="grey", ls="--", lw=1,
                   label=tr("fig.assumed_wage", wage=compact(typical_wage)))
    if len(h) > 1:
        _log_horizons(ax, h)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(tr("fig.breakeven.ylabel", year=psa.attrs.get("price_year", "")))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title=tr("fig.band.median"), title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return finish(fig, tr("fig.psa_breakeven.title", name=name))
