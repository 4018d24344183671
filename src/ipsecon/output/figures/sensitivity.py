"""Figures of deterministic and variance-based sensitivity: tornados and two-way grids
(``dsa.nc``), Sobol indices per horizon and against horizon (``sobol.nc``).

Incremental outputs carry a leading ``intervention`` dimension; each function takes the
``intervention`` to draw and may leave it out when the file holds one.
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from ipsecon.output.figures.style import compact, finish, grouped, localised, perspective_label, thousands, tight, tr
from ipsecon.output.figures.uncertainty import for_intervention, horizon_value, sel_horizon

DSA_OUTPUTS = {"inc_npv": ("incremental NPV", "NOK per person"), "inmb": ("incremental net monetary benefit", "NOK per person"),
               "breakeven_wage": ("break-even wage", "NOK per year, gross"),
               "budget_impact": ("budget impact", "NOK, whole open population, undiscounted")}  # open populations only


def tornado_figure(dsa, perspective: str, horizon: float, output: str = "inc_npv", top: int = 15,
                   intervention: str | None = None):
    """One-way sensitivity: the output at each parameter's low and high value, sorted by swing."""
    name, unit = _output_name(output)
    da = sel_horizon(for_intervention(dsa[output], intervention).sel(perspective=perspective), horizon)
    base = float(sel_horizon(for_intervention(dsa[f"base_{output}"], intervention).sel(perspective=perspective), horizon))
    low, high = da.sel(bound="low").values, da.sel(bound="high").values
    params = [str(p) for p in da["parameter"].values]
    with np.errstate(invalid="ignore"):
        swing = np.fmax(np.fmax(np.abs(low - base), np.abs(high - base)), np.abs(high - low))
    swing = np.where(np.isnan(swing), -1.0, swing)  # parameters with no value at either bound go last
    order = np.argsort(-swing, kind="stable")[:top][::-1]
    fig, ax = plt.subplots(figsize=(8.6, 0.36 * len(order) + 2.1))
    status_of = _bound_status(dsa, output, perspective, horizon, intervention)
    labels, missing = [], set()
    for i, j in enumerate(order):
        for b, (v, colour) in enumerate(((low[j], "#4393c3"), (high[j], "#d6604d"))):
            status = int(status_of[j, b]) if status_of is not None else -1
            if np.isfinite(v):
                ax.barh(i, v - base, left=base, color=colour, alpha=0.9)
            elif status == 1:  # pays off at any wage: its break-even wage is at most the bracket's low end
                low_end = float(dsa.attrs.get("bracket_low", 0.0))
                ax.barh(i, low_end - base, left=base, facecolor="white", edgecolor=colour, hatch="///", lw=1)
                missing.add(status)
            else:  # no value at this bound: say why at the row's end instead of drawing an empty bar
                missing.add(status)
                ax.text(0.995, (i + 0.5) / len(order), tr(f"fig.tornado.{('low', 'high')[b]}") + ": "
                        + tr(f"fig.tornado.missing.{status if status in MISSING_AT_BOUND else 0}"),
                        transform=ax.transAxes, ha="right",
                        va="center", fontsize=6.5, color=colour)
        if "low_value" in dsa and "high_value" in dsa:
            labels.append(f"{params[j]}  [{_fmt_value(dsa['low_value'].values[j])} – "
                          f"{_fmt_value(dsa['high_value'].values[j])}]")
        else:
            labels.append(params[j])
    ax.set_yticks(range(len(order)), labels, fontsize=8)
    ax.axvline(base, color="black", lw=1)
    if output != "breakeven_wage":
        ax.axvline(0, color="grey", lw=0.8, ls=":")
    thousands(ax, "x")
    ax.set_xlabel(tr("fig.tornado.xlabel", name=name, unit=unit, year=dsa.attrs.get("price_year", ""), base=compact(base))
                  + ("\n" + tr("fig.tornado.hatched") if 1 in missing else "")
                  + ("\n" + tr("fig.tornado.text_right") if missing - {1} else ""),
                  fontsize=9)
    handles = [Patch(color="#4393c3", label=tr("fig.tornado.low_value")), Patch(color="#d6604d", label=tr("fig.tornado.high_value"))]
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    more = tr("fig.tornado.more", n=len(order), of=len(params)) if len(params) > len(order) else ""
    return finish(fig, tr("fig.tornado.title", name=name, who=perspective_label(perspective),
                          years=grouped(horizon_value(dsa, horizon), 1).removesuffix(",0").removesuffix(".0"), more=more))


MISSING_AT_BOUND = {1: "pays off at any wage", 2: "no wage in the bracket", 3: "not wage-linked"}  # fig.tornado.missing.*


def _output_name(output: str) -> tuple[str, str]:
    """(name, unit) of a DSA output in the report's language."""
    if output in DSA_OUTPUTS:
        return tr(f"fig.output.{output}"), tr(f"fig.output_unit.{output}")
    return output.replace("_", " "), ""


def _bound_status(dsa, output, perspective, horizon, intervention):
    """The break-even status at each parameter's (low, high) bound, where the file records it."""
    if output != "breakeven_wage" or "breakeven_status" not in dsa:
        return None
    st = sel_horizon(for_intervention(dsa["breakeven_status"], intervention).sel(perspective=perspective), horizon)
    return st.transpose("parameter", "bound").sel(bound=["low", "high"]).values


def _fmt_value(v) -> str:
    v = float(v)
    if v == 0 or not np.isfinite(v):
        return f"{v:g}"
    if abs(v) >= 1000:
        return grouped(v)
    return localised(f"{v:.3g}" if abs(v) >= 0.01 else f"{v:.2g}")


def twoway_figure(dsa, pair, perspective: str, horizon: float, intervention: str | None = None):
    """Two-way sensitivity: incremental NPV over a grid of two parameters, zero contour drawn."""
    z = sel_horizon(for_intervention(dsa["twoway_inc_npv"], intervention).sel(pair=pair, perspective=perspective), horizon)
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
        ax.clabel(cs, fmt={0: tr("fig.twoway.breaks_even")}, fontsize=8)
    cb = fig.colorbar(mesh, ax=ax)
    cb.set_label(tr("fig.twoway.colour", year=dsa.attrs.get("price_year", "")))
    thousands(cb.ax, "y")  # money in compact units here too (150k, not 150000)
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    thousands(ax, "x")
    thousands(ax, "y")
    if max(abs(x).max(), abs(y).max()) < 1000:  # small values: let matplotlib choose decimals
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    return finish(fig, tr("fig.twoway.title", who=perspective_label(perspective), years=f"{horizon_value(dsa, horizon):g}"))


def output_label(output: str) -> str:
    """'inc_npv:society' -> 'incremental NPV, society'; 'ips:inc_npv:society' (one of several
    interventions) -> 'incremental NPV, society (ips)'."""
    parts = str(output).split(":")
    intervention = parts.pop(0) if parts[0] not in DSA_OUTPUTS and len(parts) > 1 else ""
    name, perspective = parts[0], (parts[1] if len(parts) > 1 else "")
    text = _output_name(name)[0]
    text = f"{text}, {perspective_label(perspective)}" if perspective else text
    return f"{text} ({intervention})" if intervention else text


def sobol_bars_figure(sobol, output: str, top: int = 12, intervention: str | None = None):
    """First-order (S1) and total (ST) indices with 95 % intervals, one panel per horizon."""
    sobol = for_intervention(sobol, intervention)
    horizons = sobol["horizon"].values
    st_mean = sobol["ST"].sel(output=output).mean("horizon")
    params = [str(p) for p in st_mean.sortby(st_mean, ascending=False)["parameter"].values[:top]]
    n = len(horizons)
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10.5 if cols > 1 else 7.5, (0.34 * len(params) + 1.4) * rows + 1.2),
                             squeeze=False, sharey=True)
    y = np.arange(len(params))
    d_all = sobol.sel(output=output, parameter=params)
    # a share of variance lies in [0, 1]: the axis shows that range (and any estimate beyond it); the
    # intervals of a small design can be many times wider and would squeeze the bars to nothing
    lo = min(-0.05, float(np.nanmin([d_all["S1"].min(), d_all["ST"].min()])) - 0.05)
    hi = max(1.05, float(np.nanmax([d_all["S1"].max(), d_all["ST"].max()])) + 0.05)
    cut = False
    for k, h in enumerate(horizons):
        ax = axes[k // cols, k % cols]
        d = sobol.sel(output=output, horizon=h, parameter=params)
        for name, off, colour in (("S1", -0.18, "#92c5de"), ("ST", 0.18, "#2166ac")):
            err = d[f"{name}_conf"].values if f"{name}_conf" in d else None
            if err is not None:
                cut |= bool(np.any(d[name].values - err < lo) or np.any(d[name].values + err > hi))
            ax.barh(y + off, d[name].values, height=0.36, color=colour, xerr=err, ecolor="#333333", capsize=2,
                    label=tr(f"fig.sobol.{name}"))
        ax.set_title(tr("time.years", n=f"{float(h):g}"), fontsize=10)
        ax.set_xlim(lo, hi)
        ax.axvline(0, color="black", lw=0.6)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlabel(tr("fig.sobol.share") + ("\n" + tr("fig.sobol.cut") if cut and k >= n - cols else ""), fontsize=9)
    for k in range(n, rows * cols):
        axes[k // cols, k % cols].axis("off")
    for r in range(rows):
        axes[r, 0].set_yticks(y, params, fontsize=8.5)
    axes[0, 0].invert_yaxis()
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, fontsize=8, loc="lower center", ncol=2, frameon=False)  # beside no bar
    title = tr("fig.sobol.title", output=output_label(output))
    over = float(sobol["S1"].sel(output=output, parameter=params).max())
    if over > 1:  # a share of variance cannot exceed 1: the estimate is noisy
        title += "\n" + tr("fig.sobol.over_one", value=grouped(over, 2), n=int(sobol.attrs.get("n_base", 0)) or "?")
    fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    return tight(fig, rect=(0, 0.3 / fig.get_figheight(), 1, 1))


def sobol_horizon_figure(sobol, output: str, top: int = 8, intervention: str | None = None):
    """Total-order index (solid, with its bootstrap 95 % interval as a band, cut to 0–1) and first-order
    (dashed) against horizon for the leading parameters."""
    sobol = for_intervention(sobol, intervention)
    st = sobol["ST"].sel(output=output)
    params = [str(p) for p in st.max("horizon").sortby(st.max("horizon"), ascending=False)["parameter"].values[:top]]
    h = sobol["horizon"].values
    fig, ax = plt.subplots(figsize=(8.6, 4.6))
    cmap = plt.get_cmap("tab10")
    for i, p in enumerate(params):
        c = cmap(i % 10)
        ax.plot(h, st.sel(parameter=p).values, color=c, marker="o", lw=1.8, label=p)
        if "ST_conf" in sobol:
            half = sobol["ST_conf"].sel(output=output, parameter=p).values
            ax.fill_between(h, np.clip(st.sel(parameter=p).values - half, 0, 1),
                            np.clip(st.sel(parameter=p).values + half, 0, 1), color=c, alpha=0.12, lw=0)
        ax.plot(h, sobol["S1"].sel(output=output, parameter=p).values, color=c, ls="--", lw=1)
    if len(h) > 1 and h.max() / max(h.min(), 1e-9) > 5:
        ax.set_xscale("log")
        ax.set_xticks(h, [f"{v:g}" for v in h])
        ax.minorticks_off()
    ax.set_xlabel(tr("fig.horizon"))
    ax.set_ylabel(tr("fig.sobol.share"))
    ax.set_ylim(0, min(ax.get_ylim()[1], 1.02))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title=tr("fig.sobol.legend" if "ST_conf" in sobol else "fig.sobol.legend_no_band"),
              title_fontsize=8, loc="upper left",
              bbox_to_anchor=(1.01, 1))
    return finish(fig, tr("fig.sobol.horizon_title", output=output_label(output)))
