"""What a report is made of (sections of text, tables, figures and warnings) and how numbers read in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ipsecon.output.report.i18n import number, signed, significant, t  # noqa: F401  (signed: re-exported)

NOT_RECORDED = "not recorded in this file"  # English; a report says not_recorded() in its language


def not_recorded() -> str:
    return t("not_recorded")

PREFERRED_PERSPECTIVES = ("society", "public", "nav", "health", "municipality", "state", "individual", "employer")


@dataclass
class Text:
    text: str  # paragraphs separated by blank lines; **bold**, `code`; lines starting "- " are a list


@dataclass
class Alert:
    text: str  # like Text, drawn as a warning box


@dataclass
class Table:
    frame: pd.DataFrame
    caption: str = ""


@dataclass
class Figure:
    name: str
    make: Callable[[], Any]  # returns a matplotlib Figure (made lazily, rendered once)
    caption: str = ""
    png: bytes | None = None


@dataclass
class Section:
    key: str
    title: str
    blocks: list = field(default_factory=list)
    collapsed: bool = False  # folded (HTML <details>): the model card, read on demand

    def add(self, block) -> Section:
        self.blocks.append(block)
        return self


def money(v: float | None) -> str:
    """NOK without decimals in the report's locale; '–' for missing, '0' for |v| < 0.5 (never '-0')."""
    return number(v)


def fmt(v: Any) -> str:
    """A table cell: numbers to four significant digits (thousands with the locale's grouping)."""
    if isinstance(v, (float, np.floating)):
        if v != v:
            return "–"
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return number(float(v))
        return significant(float(v))
    return str(v)


def ordered_perspectives(available) -> list[str]:
    available = [str(p) for p in available]
    return [p for p in PREFERRED_PERSPECTIVES if p in available] + [p for p in available if p not in PREFERRED_PERSPECTIVES]


def years_text(months: float) -> str:
    return t("time.months", n=f"{months:g}") if months < 36 else t("time.years", n=f"{months / 12:g}")


def bullets(lines) -> str:
    return "\n".join(f"- {line}" for line in lines)
