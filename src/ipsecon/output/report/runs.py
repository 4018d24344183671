"""The run behind a result file, as the file records it: scenario, structure, overrides, engine,
roles of the strategies, discounting, and the scenario card (description, model as run, targets,
parameters). Nothing here reads a scenario or parameter file; what a file does not record is
reported as :func:`~.blocks.not_recorded`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ipsecon.output.provenance import RUN_IDENTITY
from ipsecon.output.report.blocks import not_recorded
from ipsecon.output.roles import parse_json, recorded_roles
from ipsecon.output.report.i18n import current, number, t
from ipsecon.output.report.messages import CATALOGUES

def _translated(kind: str, key: str, label: str) -> str:
    """A state's or strategy's label: the model's own, or in another language the catalogue's name for
    a state or strategy of the IPS model ('state.aap'), where it has one."""
    name = f"{kind}.{key}"
    return CATALOGUES[current()][name] if current() != "en" and name in CATALOGUES[current()] else label


# identity fields that only tell runs apart for the microsimulation (a cohort run has no seed)
MICROSIM_ONLY = ("seed", "individuals")


def _number(value: Any, kind=float):
    try:
        v = kind(value)
    except (TypeError, ValueError):
        return None
    return v if v == v else None


@dataclass
class RunInfo:
    """One run: ``file`` names where it was read (e.g. ``results.nc`` or ``breakeven.nc (bodo)``)."""

    file: str
    attrs: dict = field(default_factory=dict)

    def get(self, key: str) -> Any:
        v = self.attrs.get(key)
        return None if v is None or (isinstance(v, str) and v == "") else v

    @cached_property
    def card(self) -> dict:
        card = parse_json(self.get("scenario_card"), {})
        return card if isinstance(card, dict) else {}

    @property
    def model(self) -> dict:
        return self.card.get("model") or {}

    @property
    def recorded(self) -> bool:
        return bool(self.attrs)

    # --- what was run ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.get("scenario") or "")

    @property
    def title(self) -> str | None:
        t = self.get("scenario_title") or self.get("title")
        return str(t) if t else None

    @property
    def overrides(self) -> dict | None:
        o = parse_json(self.get("overrides"), None)
        return o if isinstance(o, dict) else None

    @property
    def structure(self) -> str | None:
        s = self.get("structure")
        return str(s) if s is not None else None

    @property
    def engine(self) -> str | None:
        e = self.get("engine")
        return str(e) if e is not None else None

    @property
    def microsim(self) -> bool:
        return self.engine == "microsim"

    @property
    def seed(self) -> int | None:
        return _number(self.get("seed"), int)

    @property
    def individuals(self) -> int | None:
        return _number(self.get("individuals"), int)

    @property
    def horizon_years(self) -> float | None:
        return _number(self.get("horizon_years"))

    @property
    def price_year(self) -> int | None:
        return _number(self.get("price_year"), int)

    @property
    def cycle_years(self) -> float | None:
        return _number(self.get("cycle_years") or self.model.get("cycle_years"))

    @property
    def counting(self) -> str | None:
        c = self.get("counting") or self.model.get("counting")
        return str(c) if c else None

    @property
    def discount_rates(self) -> dict[str, float] | None:
        """The annual rates used ({'cost': r, 'effect': r}); None unless both are recorded as numbers."""
        d = parse_json(self.get("discount_rates"), None)
        if not isinstance(d, dict):
            return None
        # a rate, or a declining schedule [[from_year, rate], ...] (R-109/21 in the IPS model)
        rates = {k: d[k] if isinstance(d.get(k), list) and all(len(x) == 2 for x in d[k]) else _number(d.get(k))
                 for k in ("cost", "effect")}
        return rates if all(v is not None for v in rates.values()) else None

    @property
    def typical_wage(self) -> float | None:
        """The gross annual wage assumed for the group (NOK, price year)."""
        w = self.card.get("typical_wage")
        return _number(w if w is not None else self.get("typical_wage"))

    @property
    def qaly_value(self) -> float | None:
        return _number(self.card.get("qaly_value"))

    def roles(self, intervention_coord=None) -> tuple[str | None, list[str]]:
        """(comparator, interventions) as recorded in the attributes, else in the scenario card's model
        (``comparator``); interventions are then the other strategies of the model."""
        comparator, interventions = recorded_roles(self.attrs, intervention_coord)
        if comparator is None and self.model.get("comparator"):
            comparator = str(self.model["comparator"])
        if comparator is not None and not interventions and self.model.get("strategies"):
            interventions = [s for s in self.model["strategies"] if s != comparator]
        return comparator, interventions

    # --- labels -----------------------------------------------------------------------------------
    def strategy_labels(self) -> dict[str, str]:
        return {k: _translated("strategy", k, (v or {}).get("label") or k)
                for k, v in (self.model.get("strategies") or {}).items()}

    def state_labels(self) -> dict[str, str]:
        return {k: _translated("state", k, (v or {}).get("label") or k) for k, v in (self.model.get("states") or {}).items()}

    def short_labels(self, strategies) -> dict[str, str]:
        """Names for titles and sentences: the label before any bracket, or the key when the label
        is long ('Individual Placement and Support' -> 'IPS' via its key)."""
        long = self.strategy_labels()
        out = {}
        for s in strategies:
            short = long.get(s, s).split(" (")[0].strip()
            if len(short) > 22:
                short = s.upper() if len(s) <= 4 else s
            out[s] = short
        return out

    # --- identity and assumptions -------------------------------------------------------------------
    def identity(self) -> dict[str, str | None]:
        """The fields that must agree for two files to come from one run (None: not recorded;
        seed and individuals only for the microsimulation)."""
        out: dict[str, str | None] = {}
        for key in RUN_IDENTITY:
            if key in MICROSIM_ONLY and not self.microsim:
                continue
            if key == "overrides":
                o = self.overrides
                out[key] = None if o is None else json.dumps(o, sort_keys=True)
            else:
                v = self.get(key)
                out[key] = None if v is None else str(v)
        return out

    def conflicts(self, other: RunInfo) -> list[str]:
        """Identity fields recorded in both files that differ."""
        a, b = self.identity(), other.identity()
        return [k for k in RUN_IDENTITY if a.get(k) is not None and b.get(k) is not None and a[k] != b[k]]

    def unrecorded(self) -> list[str]:
        return [k for k, v in self.identity().items() if v is None]

    def overrides_text(self) -> str:
        o = self.overrides
        if o is None:
            return not_recorded()
        return ", ".join(f"`{k}` = {v:g}" if isinstance(v, (int, float)) else f"`{k}` = {v}" for k, v in o.items()) \
            or t("run.none")

    def structure_text(self) -> str:
        s = self.structure
        if s is None:
            return not_recorded()
        if s == "default":
            return t("run.default_structure")
        description = ((self.model.get("structures") or {}).get(s) or {}).get("description")
        return f"`{s}`" + (f" — {' '.join(str(description).split())}" if description else "")

    def engine_text(self) -> str:
        if self.engine is None:
            return not_recorded()
        if self.microsim:
            n = self.individuals
            return t("run.microsim", n=number(n), seed=self.seed) if n else t("run.microsim_seed", seed=self.seed)
        return t("run.cohort") if self.engine == "cohort" else self.engine

    def assumptions(self) -> dict[str, str]:
        """One row of the table of runs: what the run assumed, as the file records it."""
        h = self.horizon_years
        return {
            t("run.col.file"): self.file,
            t("run.col.scenario"): f"`{self.name}`" if self.name else not_recorded(),
            t("run.col.hash"): f"`{self.get('scenario_hash')}`" if self.get("scenario_hash") else not_recorded(),
            t("run.col.structure"): self.structure_text(),
            t("run.col.overrides"): self.overrides_text(),
            t("run.col.engine"): self.engine_text(),
            t("run.col.horizon"): t("time.years", n=f"{h:g}") if h is not None else not_recorded(),
            t("run.col.created"): str(self.get("created") or not_recorded()),
        }
