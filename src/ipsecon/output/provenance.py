"""What every result file records about the run that made it, so that a report needs nothing else.

``run_attributes`` gives the attributes of one run (scenario, its hash, structure, overrides,
engine, seed, strategy roles, discount rates, …) and a *scenario card*: the description, the
model as run, the targets and every parameter with its value and source. Reports render from
these attributes only; they never re-read the scenario or parameter files, which may have
changed since.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import sys
from typing import Any

import numpy as np

from ipsecon import __version__
from ipsecon.model.scenario import LoadedScenario
from ipsecon.money.ledger import LEDGER_PARAMETERS, qaly_value

# what makes two result files come from the same run
RUN_IDENTITY = ("scenario_hash", "structure", "overrides", "engine", "seed", "individuals")


def _plain(value: Any) -> Any:
    """A parameter value as JSON: a number, {component: number}, or a list."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    a = np.asarray(value, dtype=float)
    return float(a) if a.ndim == 0 else a.tolist()


def scenario_card(scenario: LoadedScenario, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The scenario as run: description, model, targets, and every parameter with its value and source."""
    spec, model = scenario.spec, scenario.model
    values = scenario.base_values() if values is None else values
    params = {}
    for name in scenario.parameters.names():
        p = scenario.parameters[name]
        params[name] = {
            "value": f"table by {p.table.key}" if p.table is not None else _plain(values.get(name, p.value)),
            "unit": p.unit, "description": " ".join(p.description.split()), "source": " ".join(p.source.split()),
            "evidence": p.evidence, "in_force": scenario.price_date.year if p.values is not None else None,
            "distribution": None if p.distribution is None else p.distribution.model_dump(mode="json", exclude_none=True),
            "overridden": name in scenario.overrides,
        }
    targets = [dict(t.model_dump(mode="json"), kind="validation") for t in spec.targets]
    if spec.calibration is not None:
        targets += [dict(t.model_dump(mode="json"), kind="calibration") for t in spec.calibration.targets]
    used = model.formula_names()
    used |= {n.rsplit(".", 1)[0] for n in used if "." in n}  # name.component -> the parameter
    has_ledger = model.employment_state is not None
    ledger = sorted(n for n in scenario.parameters.names() if any(fnmatch.fnmatchcase(n, pat) for pat in LEDGER_PARAMETERS))
    wage = values.get("wages.ips_annual_gross_wage")
    return {
        "description": " ".join(spec.description.split()),
        "sources": list(spec.sources),
        "population": {"size": spec.population.size, "start_year": spec.population.start_year},
        "model_file": model.file,
        "model": model.spec.model_dump(mode="json", by_alias=True),
        "targets": targets,
        "parameters": params,
        "referenced_parameters": sorted(n for n in used if n in scenario.parameters),
        "ledger_parameters": ledger if has_ledger else [],
        "typical_wage": None if wage is None else float(np.mean(wage)),
        "qaly_value": float(np.mean(qaly_value(values))) if has_ledger and "economics.qaly_value" in values else None,
    }


def run_attributes(scenario: LoadedScenario, engine: str, seed: int | None, individuals: int | None,
                   horizon_years: float, command: str | None = None, card: bool = True) -> dict[str, str | int | float]:
    """Attributes of one run, for every file it writes (NetCDF attrs: strings and numbers only)."""
    model = scenario.model
    used = {name: {"source": p.source, "evidence": p.evidence, "unit": p.unit,
                   "file": scenario.parameters.files.get(name, "")}
            for name, p in scenario.parameters.params.items()}
    attrs: dict[str, str | int | float] = {
        "scenario": scenario.name,
        "scenario_title": scenario.spec.title,
        "scenario_file": scenario.file,
        "scenario_hash": scenario.digest,
        "structure": scenario.structure or "default",
        "overrides": json.dumps(scenario.overrides, sort_keys=True),
        "engine": engine,
        "seed": int(seed) if seed is not None else -1,
        "individuals": int(individuals or 0) if engine == "microsim" else 0,
        "horizon_years": float(horizon_years),
        "base_case": scenario.spec.run.base_case,  # uncertain parameters at their means, or point values
        "cycle_years": float(model.cycle_years),
        "counting": model.spec.counting,
        "price_year": int(scenario.spec.price_year),
        "discount_rates": json.dumps(model.discount_rate),
        "comparator": model.comparator,
        "interventions": json.dumps(model.interventions),
        "ipsecon_version": __version__,
        "command": command if command is not None else " ".join(["ipsecon"] + sys.argv[1:]),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if card:
        attrs["parameter_sources"] = json.dumps(used, ensure_ascii=False)
        attrs["scenario_card"] = json.dumps(scenario_card(scenario), ensure_ascii=False)
    return attrs

