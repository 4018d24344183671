"""Figures for reports (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

PERSPECTIVE_COLOURS = {"society": "#1b9e77", "public": "#d95f02", "nav": "#7570b3", "individual": "#e7298a",
                       "health": "#66a61e", "municipality": "#e6ab02", "state": "#a6761d", "employer": "#666666"}


def breakeven_figure(table: pd.DataFrame, path: Path, price_year: int, typical_wage: float | None = None) -> Path:
    """Break-even gross wage against horizon, one line per scenario × perspective."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    styles = ["-", "--", ":", "-."]
    for i, (scenario, by_s) in enumerate(table.groupby("scenario", sort=False)):
        for perspective, g in by_s.groupby("perspective", sort=False):
            g = g.sort_values("horizon_years")
            ax.plot(g["horizon_years"], g["breakeven_wage"] / 1000, marker="o", linestyle=styles[i % len(styles)],
                    color=PERSPECTIVE_COLOURS.get(perspective, None), label=f"{scenario}: {perspective}")
    ax.set_xscale("log")
    horizons = sorted(table["horizon_years"].unique())
    ax.set_xticks(horizons, [f"{h:g}" for h in horizons])
    ax.minorticks_off()
    if typical_wage:
        ax.axhline(typical_wage / 1000, color="grey", linewidth=0.8, linestyle="--",
                   label=f"assumed wage of the group ({typical_wage / 1000:,.0f}k)")
    ax.set_xlabel("horizon (years, log scale)")
    ax.set_ylabel(f"thousand NOK per year ({price_year} prices)")
    ax.set_title("Gross annual wage at which IPS breaks even (missing points: no wage in the bracket)")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
