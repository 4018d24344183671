"""Which strategies a result file compares: its comparator and its interventions, as the file records them.

Read from the file's attributes (``comparator``, ``interventions``; older uncertainty files wrote
one ``intervention``) or its ``intervention`` coordinate, never guessed from the order of the
strategies: a file that records neither has no comparison to show.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def parse_json(value: Any, default: Any = None) -> Any:
    """A JSON attribute as Python (``default`` when absent or unreadable); dicts and lists pass through."""
    if value is None:
        return default
    if isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(str(value))
    except (TypeError, ValueError):
        return default


def recorded_roles(attrs: Mapping[str, Any], intervention_coord=None) -> tuple[str | None, list[str]]:
    """(comparator, interventions) as recorded; (None, []) where the file does not say."""
    comparator = attrs.get("comparator")
    comparator = str(comparator) if comparator not in (None, "") else None
    interventions = parse_json(attrs.get("interventions"), None)
    if not isinstance(interventions, list) or not interventions:
        if intervention_coord is not None and len(intervention_coord):
            interventions = [str(i) for i in intervention_coord]
        elif attrs.get("intervention"):
            interventions = [str(attrs["intervention"])]
        else:
            interventions = []
    return comparator, [str(i) for i in interventions]


def dataset_roles(ds) -> tuple[str | None, list[str]]:
    """(comparator, interventions) of an xarray Dataset (its attributes, else its ``intervention`` coordinate)."""
    coord = ds["intervention"].values if "intervention" in ds.coords else None
    return recorded_roles(ds.attrs, coord)
