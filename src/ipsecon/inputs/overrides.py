"""Override values (``--set name=value``, a scenario's ``set:``, ``load_scenario(overrides=...)``):
finite numbers only, so that nan or inf can never flow silently into every result."""

from __future__ import annotations

import math
from typing import Any

from ipsecon.errors import InputError

ALLOWED = "a finite number, e.g. --set ips.cost.caseload=15"


def _excerpt(text: str, width: int = 40) -> str:
    text = repr(text)
    return text if len(text) <= width else text[:width - 3] + "..."


def parse_override_value(key: str, text: Any, source: str = "--set") -> float:
    """The number an override gives ``key``: text is parsed, numbers are taken as they are;
    anything else, and nan, inf or numbers beyond the float range (1e400), raises InputError."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise InputError(source, key, f"value {_excerpt(str(text))} is not a number", ALLOWED)
    try:
        value = float(text.strip() if isinstance(text, str) else text)
    except (ValueError, OverflowError):  # OverflowError: an integer beyond the float range
        raise InputError(source, key, f"value {_excerpt(str(text))} is not a number", ALLOWED) from None
    if not math.isfinite(value):
        raise InputError(source, key, f"value {_excerpt(str(text))} is not a finite number", ALLOWED)
    return value
