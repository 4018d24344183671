"""Figure of an open population's budgets by calendar year: each payer's yearly net impact (issue 15)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ipsecon.output.figures.style import PERSPECTIVE_COLOURS, perspective_label, tight


def budget_impact_figure(impact: pd.DataFrame, title: str, ylabel: str):
    """One line per budget over calendar years. ``impact``: index year, a column per budget (party
    perspective), NOK per year (+ = the budget gains), drawn in million NOK; the public purse, their sum, drawn thicker."""
    fig, ax = plt.subplots(figsize=(8.6, 4.4))
    for budget in impact.columns:
        total = budget == "public"
        ax.plot(impact.index, impact[budget] / 1e6, marker="o", ms=3.5 if not total else 4.5,
                lw=2.4 if total else 1.4, color=PERSPECTIVE_COLOURS.get(budget, "#666666"),
                label=perspective_label(budget))
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(list(impact.index))
    ax.tick_params(axis="x", labelrotation=45 if len(impact.index) > 12 else 0)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=min(5, len(impact.columns)), loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    return tight(fig)
