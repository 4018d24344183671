"""The report's language: fixed texts from a small catalogue per language (:mod:`.messages`) and
numbers through Babel in that language's locale, so a Norwegian report is a translation, not a
code change.

    with language("nb"):
        t("decision.title")        # 'Svaret'
        number(1234567)            # '1 234 567' (no-break spaces, nb_NO grouping)

The language is a context variable set by :func:`ipsecon.output.report.write_report` for the
duration of one report, so every section and table helper formats alike without being handed it.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from babel.numbers import format_decimal

from ipsecon.output.report.messages import CATALOGUES

LANGUAGES = tuple(CATALOGUES)  # ("en", "nb")
LOCALES = {"en": "en", "nb": "nb_NO"}
_LANG: ContextVar[str] = ContextVar("report_language", default="en")


def check_language(lang: str) -> str:
    if lang not in CATALOGUES:
        raise ValueError(f"report language {lang!r}: one of {', '.join(LANGUAGES)}")
    return lang


@contextmanager
def language(lang: str):
    token = _LANG.set(check_language(lang))
    try:
        yield
    finally:
        _LANG.reset(token)


def current() -> str:
    return _LANG.get()


def locale() -> str:
    return LOCALES[current()]


def t(key: str, **values) -> str:
    """The fixed text ``key`` in the current language (English where the catalogue lacks it)."""
    text = CATALOGUES[current()].get(key) or CATALOGUES["en"][key]
    return text.format(**values) if values else text


def _missing(v) -> bool:
    return v is None or v != v


def number(v: float | None, digits: int = 0) -> str:
    """A number with the locale's grouping and ``digits`` decimals; '–' for missing, never '-0'."""
    if _missing(v):
        return "–"
    if abs(v) < 0.5 * 10 ** -digits:
        v = 0.0
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(v, format=pattern, locale=locale())


def signed(v: float | None, digits: int = 0) -> str:
    """Like :func:`number` with a sign always written (+1,234 / -1,234)."""
    if _missing(v):
        return "–"
    text = number(abs(v), digits)
    return text if text in ("0", "0" + ("." if current() == "en" else ",") + "0" * digits) else \
        ("+" if v > 0 else "-") + text


def significant(v: float) -> str:
    """Up to four significant digits (0.3742, 12.5), in the locale's decimal sign."""
    return format_decimal(float(f"{v:.4g}"), format="@###", locale=locale())


def percent(v: float | None, digits: int = 0) -> str:
    """A share as a percentage: '37.4%' (en), '37,4 %' (nb)."""
    if _missing(v):
        return "–"
    return number(v * 100, digits) + ("%" if current() == "en" else "\u00a0%")


def points(v: float, digits: int = 1) -> str:
    """A difference of shares in percentage points, signed."""
    return signed(v * 100, digits)
