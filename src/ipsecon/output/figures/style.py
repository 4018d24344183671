"""One look for every figure: colours per strategy, state, perspective and payer, labels, axes.

The comparator is dark grey and IPS orange wherever they appear; money axes say NOK and the
price year; time axes say months or years since the strategy started.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, Formatter, FuncFormatter, MaxNLocator

# Comparator dark grey, IPS orange; further strategies take the palette in order.
KNOWN_STRATEGY_COLOURS = {"tau": "#4d4d4d", "usual_care": "#4d4d4d", "control": "#4d4d4d", "ips": "#e66101"}
STRATEGY_PALETTE = ("#4d4d4d", "#e66101", "#5e3c99", "#1b7837", "#2166ac", "#b2182b", "#8c510a")
# work in greens (graded work light with AAP, dark with uføretrygd), benefits in blues, retirement (67+) in tan
STATE_COLOURS = {"employed": "#33a02c", "employed_aap": "#b2df8a", "employed_ufore": "#005a32", "aap": "#a6cee3",
                 "ufore": "#1f78b4", "other": "#cab2d6", "retired": "#dfc27d", "dead": "#595959"}
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
MC_BAND = 0.25  # alpha of uncertainty bands (95 % intervals)

DPI = 100  # ~800-1000 px wide figures: sharp in a report page, and 17 % fewer pixels to draw than 110
# zlib level 1: PNG encoding took as long as drawing at the default level 6, for files only ~5 % smaller
PNG_OPTIONS = {"dpi": DPI, "pil_kwargs": {"compress_level": 1}}
BREAKEVEN_STATUS = {0: "break-even wage found", 1: "pays off at any wage", 2: "no wage in the bracket breaks even",
                    3: "does not depend on the wage"}


def strategy_colours(strategies: Iterable[str], comparator: str | None = None) -> dict[str, str]:
    """The colour of each strategy: known names fixed; the comparator (when given) grey; others
    take the palette in order."""
    strategies = list(strategies)
    out = {}
    taken = {KNOWN_STRATEGY_COLOURS[s] for s in strategies if s in KNOWN_STRATEGY_COLOURS}
    palette = STRATEGY_PALETTE[1:] if comparator is not None else STRATEGY_PALETTE
    rest = iter([c for c in palette if c not in taken])
    for s in strategies:
        if s in KNOWN_STRATEGY_COLOURS:
            out[s] = KNOWN_STRATEGY_COLOURS[s]
        elif s == comparator:
            out[s] = STRATEGY_PALETTE[0]
        else:
            out[s] = next(rest, "#999999")
    return out


def state_colours(states: Iterable[str]) -> dict[str, str]:
    """A colour per state: its own where it has one, else the next palette colour no other state of the
    list has (one colour meaning per figure: two states never share one while the palette lasts)."""
    states = list(states)
    taken = {STATE_COLOURS[s] for s in states if s in STATE_COLOURS}
    rest = [c for c in STATE_PALETTE if c not in taken] or list(STATE_PALETTE)
    out, k = {}, 0
    for s in states:
        if s in STATE_COLOURS:
            out[s] = STATE_COLOURS[s]
        else:
            out[s] = rest[k % len(rest)]
            k += 1
    return out


def tr(key: str, **values) -> str:
    """A figure's fixed text in the report's language (catalogue: ``ipsecon.output.report.messages``;
    imported on use, as the report package imports this one)."""
    from ipsecon.output.report.i18n import t

    return t(key, **values)


def localised(text: str) -> str:
    """English decimal point and grouping in the report's language ('12.5' -> '12,5', '1,234' -> '1 234' in nb)."""
    from ipsecon.output.report.i18n import current

    if current() == "en":
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


def perspective_label(perspective: str) -> str:
    key = f"perspective.{perspective}"
    return tr(key) if perspective in PERSPECTIVE_LABELS else perspective


def party_label(party: str) -> str:
    return tr(f"party.{party}") if party in PARTY_LABELS else party


def nok(price_year: int | None, unit: str | None = None) -> str:
    """Money axis unit (ticks are compact: k = thousand, M = million)."""
    unit = unit or tr("fig.nok")
    return tr("fig.nok_prices", unit=unit, year=price_year) if price_year else unit


def compact(v: float) -> str:
    """A money tick in compact units: 950, 12.5k, 250k, 1.25M (never '-0'); decimal comma in Norwegian."""
    a = abs(v)
    if a < 0.5:
        return "0"
    for scale, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if a >= scale:
            return localised(f"{v / scale:.3g}") + unit
    return localised(f"{v:.3g}" if a < 1 else f"{v:,.0f}")


def grouped(v: float, digits: int = 0) -> str:
    """A number with the report language's grouping and decimal sign (1,234.5 / 1 234,5)."""
    return localised(f"{v:,.{digits}f}")


def share(v: float, digits: int = 0) -> str:
    """A share as a percentage in the report's language ('37%' / '37 %')."""
    from ipsecon.output.report.i18n import percent

    return percent(v, digits)


class _Percent(Formatter):
    """Shares as percentages in the report's language, with the fewest decimals (up to 3) that tell
    every tick apart: a fixed 0 decimals read '0%, 0%, 1%, 1%' on an axis running to 1.2 %."""

    ticks: tuple = ()

    def set_locs(self, locs):  # the axis hands over its ticks before labelling them
        self.ticks = tuple(locs)

    def __call__(self, x, pos=None):
        locs = self.ticks or (x,)
        digits = next((d for d in range(4) if len({round(v * 100, d) for v in locs}) == len(locs)), 3)
        return share(x, digits)


def percent_axis(ax, axis: str = "y") -> None:
    """Share tick labels as percentages (see :class:`_Percent`)."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(_Percent())


def thousands(ax, axis: str = "y", bins: int = 6) -> None:
    """Money tick labels in compact units (k, M) and at most ``bins`` ticks, so they never run into
    each other at the report's width."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))
    if not isinstance(target.get_major_locator(), FixedLocator):
        target.set_major_locator(MaxNLocator(nbins=bins))


def time_axis(months: np.ndarray) -> tuple[np.ndarray, str]:
    """Months for short runs, years beyond three years (easier to read)."""
    months = np.asarray(months, dtype=float)
    if months.size and months.max() > 36:
        return months / 12, tr("fig.years_since")
    return months, tr("fig.months_since")


def label(name: str, labels: Mapping[str, str] | None) -> str:
    return (labels or {}).get(name, name)


def wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return lines + ([line] if line else [])


def lighten(colour: str, amount: float = 0.55) -> tuple[float, float, float]:
    r, g, b = matplotlib.colors.to_rgb(colour)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def finish(fig, title: str | None = None):
    if title:
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    return tight(fig)


def tight(fig, rect: tuple[float, float, float, float] | None = None):
    """Tight layout, done while the figure is drawn for saving: a separate ``fig.tight_layout()``
    lays out every text once more, which took a quarter of a report's figure time."""
    fig.set_layout_engine("tight", **({} if rect is None else {"rect": rect}))
    return fig


def png_bytes(fig) -> bytes:
    """The figure as PNG bytes (for writers that put a whole run's files in place at once)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", **PNG_OPTIONS)
    plt.close(fig)
    return buffer.getvalue()


def save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, **PNG_OPTIONS)
    plt.close(fig)
    return path
