"""Fit named parameters so the cohort engine reproduces a scenario's calibration targets."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy import optimize

from . import __version__
from .errors import InputError
from .scenario import LoadedScenario, load_scenario
from .schema import Target
from .results import measure
from .simulate import simulate


@dataclass
class CalibrationResult:
    scenario: LoadedScenario
    values: dict[str, float]
    fitted: list[tuple[Target, float]]
    output: Path

    @property
    def all_within_tolerance(self) -> bool:
        return all(abs(v - t.value) <= t.tolerance for t, v in self.fitted)


def calibrate(path: str | Path, write: bool = True) -> CalibrationResult:
    scenario = load_scenario(path)
    spec = scenario.spec.calibration
    if spec is None:
        raise InputError(scenario.file, "calibration", "this scenario has no calibration section")
    names = list(spec.parameters)
    for name in names:
        if name not in scenario.parameters:
            raise InputError(scenario.file, f"calibration.parameters.{name}", "unknown parameter")
    low = np.log([spec.parameters[n][0] for n in names])
    high = np.log([spec.parameters[n][1] for n in names])
    if not np.all(low < high):
        raise InputError(scenario.file, "calibration.parameters", "each bound must be [low, high] with 0 < low < high")
    base = scenario.base_values()
    horizon = max(t.month for t in spec.targets) / 12

    def run(x):
        values = dict(base)
        values.update({n: float(np.exp(v)) for n, v in zip(names, x)})
        sim = simulate(scenario, engine="cohort", horizon_years=horizon, values=values)
        return [measure(sim, t, scenario.file) for t in spec.targets]

    def residuals(x):
        return np.array([(m - t.value) / t.tolerance for m, t in zip(run(x), spec.targets)])

    x0 = np.clip(np.log([base[n] for n in names]), low + 1e-9, high - 1e-9)
    fit = optimize.least_squares(residuals, x0, bounds=(low, high), xtol=1e-10, ftol=1e-10)
    values = {n: float(np.exp(v)) for n, v in zip(names, fit.x)}
    achieved = run(fit.x)
    output = (Path(scenario.file).parent / spec.output).resolve()
    result = CalibrationResult(scenario, values, list(zip(spec.targets, achieved)), output)
    if write:
        write_calibrated(result)
    return result


def write_calibrated(result: CalibrationResult) -> None:
    """Write fitted values as a parameter file, with provenance; atomic (temp file + rename)."""
    scenario = result.scenario
    targets_text = "; ".join(f"{t.measure} {t.state} {t.strategy} month {t.month}: target {t.value:.3f} "
                             f"(±{t.tolerance}), model {v:.4f} — {t.source}" for t, v in result.fitted)
    tree: dict = {"about": f"Written by `ipsecon calibrate {scenario.file}` (ipsecon {__version__}) on "
                           f"{dt.date.today().isoformat()}; scenario hash {scenario.digest}. Do not edit by hand."}
    for name, value in result.values.items():
        old = scenario.parameters[name]
        node = tree
        parts = name.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = {
            "description": old.description,
            "unit": old.unit,
            "source": f"Calibrated with the cohort engine to: {targets_text}",
            "evidence": "calibrated",
            "value": float(f"{value:.8g}"),
        }
    result.output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=result.output.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(tree, fh, sort_keys=False, allow_unicode=True, width=100)
    os.replace(tmp, result.output)
