"""Figures of the probabilistic sensitivity analysis (``psa.nc``): CE plane, CEAC/CEAF, EVPI,
EVPPI, the break-even wage across samples and the probability of paying off.

Incremental variables carry a leading ``intervention`` dimension (one entry per intervention,
each against the file's ``comparator``); every function takes the ``intervention`` to draw and
may leave it out when the file holds one. Which strategy is the comparator is read from the
file (:mod:`ipsecon.output.roles`), never from the order of the strategies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import PercentFormatter

from ipsecon.output.figures.style import (MC_BAND, PERSPECTIVE_COLOURS, compact, finish, label, nok,
                                           perspective_label, strategy_colours, thousands)
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
               lw=0, label=f"{len(dq):,} PSA samples")
    ax.scatter([dq.mean()], [dc.mean()], marker="X", s=90, color="black", label="mean")
    lo, hi = min(dq.min(), 0), max(dq.max(), 0)
    pad = 0.05 * (hi - lo or 1)
    xs = np.array([lo - pad, hi + pad])
    ax.plot(xs, wtp * xs, color="#2166ac", ls="--", lw=1.2, label=f"willingness to pay {compact(wtp)} NOK per QALY")
    ax.axhline(0, color="black", lw=0.7)
    ax.axvline(0, color="black", lw=0.7)
    below = np.mean(dc < wtp * dq)
    ax.set_xlabel(f"incremental QALYs per person ({label(intervention, labels)} − "
                  f"{label(comparator, labels).lower()}, discounted)")
    ax.set_ylabel(f"incremental net cost per person, {nok(psa.attrs.get('price_year'))}")
    thousands(ax)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(alpha=0.3)
    ax.text(0.99, 0.02, f"{below:.0%} of samples below the line (cost-effective)", transform=ax.transAxes,
            ha="right", fontsize=8)
    return finish(fig, f"Cost-effectiveness plane — {perspective_label(perspective)}, "
                       f"{horizon_value(psa, horizon):g} years")


def ceac_figure(psa, perspective: str, horizon: float, labels: Mapping[str, str] | None = None):
    """Probability each strategy is the most cost-effective (CEAC) and the frontier (CEAF)."""
    ceac = sel_horizon(psa["ceac"].sel(perspective=perspective), horizon)
    wtp = psa["wtp"].values
    strategies = [str(s) for s in ceac["strategy"].values]
    colours = strategy_colours(strategies, dataset_roles(psa)[0])
    fig, ax = plt.subplots(figsize=(9.4, 4.6))
    for s in strategies:
        ax.plot(wtp, ceac.sel(strategy=s).values, color=colours[s], lw=1.8, label=f"{label(s, labels)} (CEAC)")
    if "ceaf_probability" in psa:
        prob = sel_horizon(psa["ceaf_probability"].sel(perspective=perspective), horizon).values
        best = sel_horizon(psa["ceaf_strategy"].sel(perspective=perspective), horizon).values
        for s in strategies:
            m = np.array([str(b) == s for b in best])
            if m.any():
                ax.scatter(wtp[m], prob[m], s=28, facecolor="none", edgecolor=colours[s], lw=1.5, zorder=4)
        ax.plot([], [], "o", mfc="none", mec="black", label="frontier (CEAF):\nhighest expected\nnet benefit")
    if "wtp_default" in psa.attrs:
        ax.axvline(float(psa.attrs["wtp_default"]), color="grey", ls=":", lw=1, label="default willingness to pay")
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"willingness to pay, NOK per QALY ({psa.attrs.get('price_year', '')} prices)")
    ax.set_ylabel("probability cost-effective")
    thousands(ax, "x")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return finish(fig, f"Acceptability curves — {perspective_label(perspective)}, {horizon_value(psa, horizon):g} years")


def evpi_figure(psa, perspective: str, horizon: float):
    """Expected value of perfect information per person and for the population."""
    wtp = psa["wtp"].values
    per = sel_horizon(psa["evpi"].sel(perspective=perspective), horizon).values
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.2))
    axes[0].plot(wtp, per, color="#5e3c99", lw=2)
    axes[0].set_ylabel(f"NOK per person ({psa.attrs.get('price_year', '')} prices)")
    axes[0].set_title("per person", fontsize=9)
    if "evpi_population" in psa:
        pop = sel_horizon(psa["evpi_population"].sel(perspective=perspective), horizon).values
    else:
        pop = per * float(psa.attrs.get("population", 1))
    axes[1].plot(wtp, pop / 1e6, color="#5e3c99", lw=2)
    axes[1].set_ylabel(f"million NOK ({psa.attrs.get('price_year', '')} prices)")
    axes[1].set_title(f"population of {float(psa.attrs.get('population', 1)):,.0f}", fontsize=9)
    for ax in axes:
        ax.set_xlabel("willingness to pay, NOK per QALY")
        thousands(ax, "x")
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    return finish(fig, f"Expected value of perfect information — {perspective_label(perspective)}, "
                       f"{horizon_value(psa, horizon):g} years")


def evppi_figure(psa, perspective: str, horizon: float, wtp: float | None = None, top: int = 15):
    """EVPPI per parameter group (bars, the ``top`` largest), at one willingness to pay, per person."""
    wtp = float(psa.attrs.get("wtp_default", psa["wtp"].values[0])) if wtp is None else wtp
    da = sel_horizon(psa["evppi"].sel(perspective=perspective), horizon).sel(wtp=wtp, method="nearest")
    full = da.to_series().sort_values()
    evpi_here = float(sel_horizon(psa["evpi"].sel(perspective=perspective), horizon).sel(wtp=wtp, method="nearest")) \
        if "evpi" in psa else float(full.max())
    # groups worth nothing (below 0.1 % of the EVPI, or 0.5 NOK) are left out and counted, not drawn as empty rows
    nonzero = full[full > max(0.5, 1e-3 * abs(evpi_here))]
    zero = len(full) - len(nonzero)
    s = nonzero.iloc[-top:] if len(nonzero) else full.iloc[-1:]
    fig, ax = plt.subplots(figsize=(8.2, 0.34 * len(s) + 1.9))
    ax.barh(range(len(s)), s.values, color="#5e3c99")
    ax.set_yticks(range(len(s)), [str(g) for g in s.index])
    if "evpi" in psa:
        evpi = float(sel_horizon(psa["evpi"].sel(perspective=perspective), horizon).sel(wtp=wtp, method="nearest"))
        ax.axvline(evpi, color="black", ls="--", lw=1, label=f"EVPI (all parameters): {compact(evpi)}")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_xlabel(f"NOK per person ({psa.attrs.get('price_year', '')} prices)")
    thousands(ax, "x")
    ax.grid(axis="x", alpha=0.3)
    ax.set_ylim(-0.6, len(s) - 0.4)
    more = f"; the {len(s)} largest of {len(nonzero)} groups with value" if len(nonzero) > len(s) else ""
    if zero:
        ax.text(0.99, 0.02, f"{zero} of {len(full)} groups have no value of information here (not drawn)",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7.5, color="#555555")
    return finish(fig, f"Value of learning more about each parameter group (EVPPI)\n"
                       f"{perspective_label(perspective)}, {horizon_value(psa, horizon):g} years, "
                       f"WTP {compact(wtp)} NOK per QALY{more}")


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
        for code, x, text in ((1, left_x, f"any wage\n(≤ {low / 1000:,.0f}k)"),
                              (2, right_x, f"none\n(≥ {high / 1000:,.0f}k)")):
            count = int(np.sum(st == code))
            if count:
                ax.bar([x], [count], width=width, color="white", edgecolor=colour, hatch="///", lw=1)
                ax.annotate(f"{text}: {count / n:.0%}", (x, count), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize=7)
        ax.text(0.99, 0.92, f"{n:,} samples", transform=ax.transAxes, ha="right", va="top", fontsize=7.5)
        ax.set_ylabel(perspective_label(p), fontsize=9)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(top=ax.get_ylim()[1] * 1.25)  # room for the labels of the end bars
        if typical_wage:
            ax.axvline(typical_wage / 1000, color="grey", ls="--", lw=1,
                       label=f"wage assumed for the group ({typical_wage / 1000:,.0f}k): above it, pays off")
        ax.grid(alpha=0.3)
    if typical_wage:
        axes[0, 0].legend(fontsize=7.5, loc="upper center")
    xlabel = (f"break-even gross wage, thousand NOK per year ({psa.attrs.get('price_year', '')} prices)\n"
              "hatched bars at the ends: censored samples; wages above the 99th percentile in the last bin")
    if left_out:
        xlabel += "\nnot shown (no wage-linked flow): " + ", ".join(perspective_label(p) for p in left_out)
    axes[-1, 0].set_xlabel(xlabel, fontsize=8)
    return finish(fig, f"Break-even wage across PSA samples at {horizon_value(psa, horizon):g} years (number of samples)")


def prob_pays_off_figure(psa, intervention: str | None = None, name: str = "IPS"):
    """Probability that the intervention (``name`` in the title) pays off (incremental NPV > 0),
    per perspective, against horizon."""
    da = for_intervention(psa["prob_pays_off"], intervention)
    fig, ax = plt.subplots(figsize=(7.6, 4.4))
    h = da["horizon"].values
    for p in da["perspective"].values:
        ax.plot(h, da.sel(perspective=p).values, marker="o", color=PERSPECTIVE_COLOURS.get(str(p)),
                label=perspective_label(str(p)))
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
    return finish(fig, f"How likely {name} pays off (incremental NPV > 0), by perspective and horizon")


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
    ax.set_xlabel("horizon (years, log scale)")


def psa_employment_figure(psa, labels: Mapping[str, str] | None = None):
    """Share in work by strategy over time across PSA samples (line: mean, band: 95 % of samples), and
    each intervention's difference from the comparator in percentage points with its band."""
    from ipsecon.output.figures.style import time_axis

    share = psa["employment_share"]
    x, xlabel = time_axis(share["month"].values)
    comparator, interventions = dataset_roles(psa)
    strategies = [str(s) for s in share["strategy"].values]
    colours = strategy_colours(strategies, comparator)
    fig, axes = plt.subplots(2, 1, figsize=(8, 6.2), sharex=True, gridspec_kw={"height_ratios": [3, 1.5]})
    for s in strategies:
        _band(axes[0], x, share.sel(strategy=s).values, colours[s], label(s, labels))
    axes[0].yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes[0].set_ylim(bottom=0)
    axes[0].set_ylabel("share of the starting group in work")
    axes[0].legend(fontsize=8, loc="lower right", title="line: mean; band: 95 % of samples", title_fontsize=8)
    for i in [i for i in interventions if i in strategies and comparator in strategies]:
        diff = share.sel(strategy=i).values - share.sel(strategy=comparator).values
        _band(axes[1], x, diff, colours[i], label(i, labels), scale=100)
    axes[1].axhline(0, color="black", lw=0.8)
    axes[1].set_ylabel(f"minus {label(comparator, labels).lower()}\n(percentage points)", fontsize=8)
    axes[1].set_xlabel(xlabel)
    for ax in axes:
        ax.grid(alpha=0.3)
    n = psa.sizes["sample"]
    return finish(fig, f"Employment across {n:,} PSA samples (95 % band)")


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
    ax.set_ylabel(f"cumulative discounted net per person\n{nok(psa.attrs.get('price_year'))}")
    thousands(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="line: mean; band: 95 %", title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return finish(fig, f"Who gains by when: {name} minus the comparator across PSA samples, above 0 = gain")


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
                   label=f"assumed wage ({compact(typical_wage)}): above it, pays off")
    if len(h) > 1:
        _log_horizons(ax, h)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"thousand NOK per year, gross\n({psa.attrs.get('price_year', '')} prices)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="line: median; band: 95 %", title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return finish(fig, f"Break-even wage of {name} against horizon across PSA samples\n"
                       "(samples paying off at any wage count at 0, at none at the bracket's top)")
