"""The values a parameter may take: declared in its file (``range:``) or implied by its unit.

This module owns the rule. Base values, dated values, table entries, components, overrides
(``--set``, a scenario's ``set:``, the Python API), DSA ``bounds`` and the support of the
uncertainty distribution are all checked against it, by parameter name, before anything runs,
so a negative caseload or a cost of -5 NOK is refused instead of giving negative costs.

A file declares a range as ``range: [0, null]`` (inclusive; null = unbounded) or in interval
notation ``range: "(0, inf)"`` (round brackets exclude the end). Without one, the unit decides
(:data:`UNIT_RULES`): money amounts and counts >= 0, proportions and probabilities in [0, 1].
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ipsecon.errors import InputError


@dataclass(frozen=True)
class Range:
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def contains(self, value: Any) -> bool:
        """True when every value (a number or an array) lies in the range."""
        x = np.asarray(value, dtype=float)
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return bool(np.all(above & below))

    def contains_number(self, x: float) -> bool:
        above = x > self.low if self.low_open else x >= self.low
        return above and (x < self.high if self.high_open else x <= self.high)

    def covers(self, low: float, high: float) -> bool:
        """True when [low, high] (e.g. a distribution's support) lies in the range; an open end
        of the range admits a support that starts there (hit with probability zero)."""
        return self.low <= low and high <= self.high

    def __str__(self) -> str:
        def end(x: float) -> str:
            return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:g}"
        return f"{'(' if self.low_open or self.low == -math.inf else '['}{end(self.low)}, " \
               f"{end(self.high)}{')' if self.high_open or self.high == math.inf else ']'}"


# no number a model reads is larger: sums over people, months and strategies of larger ones
# could overflow to inf (a cost of 6e307 NOK gave inf totals with exit 0)
MAX_MAGNITUDE = 1e15

ANY = Range()
NON_NEGATIVE = Range(0.0)
SHARE = Range(0.0, 1.0)

# (pattern on the lower-cased unit, range, why): the first match applies
UNIT_RULES: list[tuple[str, Range, str]] = [
    (r"^(nok|usd|eur|gbp|sek|dkk|international dollars)\b", NON_NEGATIVE, "a money amount"),
    (r"^probability\b", SHARE, "a probability"),
    (r"^(proportion|fraction)( of [^()]*)?$", SHARE, "a share"),
    (r"^(persons|patients|municipalities|fte positions|clients per fte)$", NON_NEGATIVE, "a count"),
    (r"^(months|years|days|hours)\b", NON_NEGATIVE, "a duration"),
    (r"^per (cycle|day|week|month|year)$", NON_NEGATIVE, "a rate"),
    (r"^ratio\b", NON_NEGATIVE, "a ratio"),
    (r"^g$", NON_NEGATIVE, "an amount in G"),
    (r"^utility \(", Range(high=1.0), "a utility (1 = full health)"),
]

_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,\s]*)\s*,\s*([^,\s]*)\s*([\])])\s*$")
RANGE_FORMS = "[low, high] with null for no limit, or interval notation such as \"(0, inf)\" or \"[0, 1]\""


def _end(text: Any, default: float) -> float:
    if text is None or (isinstance(text, str) and text.strip().lower() in ("", "null", "none", "inf", "+inf", "-inf")):
        return default
    if isinstance(text, bool):
        raise ValueError("a range end is a number or null")  # noqa: TRY004 (pydantic reports ValueError)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a range end is a finite number or null")
    return value


def parse_range(spec: Any) -> Range:
    """A declared ``range:`` as a :class:`Range`; ValueError says what is wrong."""
    if isinstance(spec, (list, tuple)) and len(spec) == 2:
        low_open = high_open = False
        low, high = spec
    elif isinstance(spec, str) and _INTERVAL.match(spec):
        left, low, high, right = _INTERVAL.match(spec).groups()
        low_open, high_open = left == "(", right == ")"
    else:
        raise ValueError(f"range must be {RANGE_FORMS}")
    try:
        out = Range(_end(low, -math.inf), _end(high, math.inf), low_open, high_open)
    except (TypeError, ValueError):
        raise ValueError(f"range ends must be finite numbers or null ({RANGE_FORMS})") from None
    if out.low > out.high or (out.low == out.high and (low_open or high_open)):
        raise ValueError("range must have low <= high")
    return out


def allowed_range(unit: str, declared: Range | None) -> tuple[Range, str]:
    """The range a parameter's values must lie in, and where it comes from (for messages)."""
    if declared is not None:
        return declared, "its declared range"
    for pattern, rng, why in UNIT_RULES:
        if re.search(pattern, unit.strip().lower()):
            return rng, f"unit {unit!r} is {why}"
    return ANY, "no range declared"


def check_value(value: Any, rng: Range, why: str, file: str | None, path: str, what: str = "value") -> None:
    """Raise InputError unless ``value`` (a number or array) is finite and inside ``rng``."""
    plain = isinstance(value, (int, float)) and not isinstance(value, bool)  # most values: no numpy needed
    if plain and math.isfinite(value) and abs(value) <= MAX_MAGNITUDE and rng.contains_number(value):
        return
    x = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(x)):
        raise InputError(file, path, f"{what} {_first(x, ~np.isfinite(x))} is not a finite number", f"finite numbers in {rng}")
    if np.any(np.abs(x) > MAX_MAGNITUDE):
        raise InputError(file, path, f"{what} {_first(x, np.abs(x) > MAX_MAGNITUDE)} is too large",
                         f"numbers of at most {MAX_MAGNITUDE:g} in size")
    if not rng.contains(x):
        outside = np.ones(x.shape, bool) if x.ndim == 0 else ~np.array([rng.contains(v) for v in x.ravel()]).reshape(x.shape)
        raise InputError(file, path, f"{what} {_first(x, outside)} is outside {rng}", f"{rng} ({why})")


def _first(x: np.ndarray, mask: np.ndarray) -> str:
    return f"{x[mask].ravel()[0]:g}" if x.ndim else f"{float(x):g}"
