"""The cost-effectiveness frontier of a model without the payer ledger (``ce_*`` in results.nc)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import xarray as xr

from ipsecon.output.figures.style import finish, strategy_colours, thousands


def frontier_figure(ds: xr.Dataset):
    """Each strategy's discounted cost against its effect; the efficiency frontier as a line (its
    slopes are the ICERs); dominated strategies hollow."""
    names = [str(s) for s in ds.strategy.values]
    cost, effect = ds.ce_cost.values, ds.ce_effect.values
    status = [str(s) for s in ds.ce_status.values]
    colours = strategy_colours(names, ds.attrs.get("ce_comparator"))
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    front = sorted((e, c) for e, c, s in zip(effect, cost, status) if s == "frontier")
    ax.plot([e for e, _ in front], [c for _, c in front], color="#999999", lw=1.2, zorder=1, label="efficiency frontier")
    for n, c, e, s in zip(names, cost, effect, status):
        on = s == "frontier"
        ax.scatter([e], [c], s=60, zorder=2, color=colours[n] if on else "white", edgecolors=colours[n], linewidths=1.5,
                   label=n + ("" if on else f" ({s})"))
    unit = ds.ce_cost.attrs.get("units", "")
    ax.set_xlabel(f"{ds.attrs.get('ce_effect', 'effect')} ({ds.ce_effect.attrs.get('units', '')})")
    ax.set_ylabel(f"cost ({unit})")
    thousands(ax, "y")
    ax.legend(fontsize=8, frameon=False)
    return finish(fig)
