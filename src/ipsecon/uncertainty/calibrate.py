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

from ipsecon import __version__
from ipsecon.errors import InputError
from ipsecon.model.scenario import LoadedScenario, load_scenario
from ipsecon.inputs.schema import CalibrationPrior, Target
from ipsecon.engines.measures import verdict
from ipsecon.engines.simulate import simulate


@dataclass
class CalibrationResult:
    scenario: LoadedScenario
    values: dict[str, float]
    fitted: list[tuple[Target, float]]
    output: Path
    log_cov: np.ndarray | None = None  # covariance of the log parameters (None: targets give no SE)

    @property
    def all_within_tolerance(self) -> bool:
        """Every target met within its interval (published 95 % CI, ± 1.96 SE, else ± tolerance)."""
        return all(verdict(t, v) == "PASS" for t, v in self.fitted)


def calibrate(path: str | Path, write: bool = True) -> CalibrationResult:
    scenario = load_scenario(path)
    spec = scenario.spec.calibration
    if spec is None:
        raise InputError(scenario.file, "calibration", "this scenario has no calibration section")
    names = list(spec.parameters)
    for name in names:
        if name not in scenario.parameters:
            raise InputError(scenario.file, f"calibration.parameters.{name}", "unknown parameter")
    priors = [p if isinstance(p, CalibrationPrior) else CalibrationPrior(bounds=p) for p in spec.parameters.values()]
    low = np.log([p.bounds[0] for p in priors])
    high = np.log([p.bounds[1] for p in priors])
    # parameters with a declared prior add (log θ − log median) / sdlog to the residuals (the fit is then
    # the posterior mode); the others get the scenario's prior_sdlog only in the covariance, centred on the fit
    with_prior = np.array([p.median is not None for p in priors])
    prior_centre = np.log([p.median if p.median is not None else 1.0 for p in priors])
    prior_sd = np.array([p.sdlog if p.sdlog is not None else (spec.prior_sdlog or np.inf) for p in priors])
    if not np.all(low < high):
        raise InputError(scenario.file, "calibration.parameters", "each bound must be [low, high] with 0 < low < high")
    base = scenario.base_values()
    horizon = max(t.last_month for t in spec.targets) / 12  # a state_after_exit target reads after its month

    def run(x):
        values = dict(base)
        values.update({n: float(np.exp(v)) for n, v in zip(names, x)})
        sim = simulate(scenario, engine="cohort", horizon_years=horizon, values=values)
        return [sim.measure(t, f"calibration.targets[{i}]") for i, t in enumerate(spec.targets)]

    # each target weighted by its sampling error (its tolerance where it gives none): a share from 17,849
    # register exits counts for more than one from a trial arm of 18
    scale = np.array([t.standard_error or t.tolerance for t in spec.targets])

    def residuals(x):
        fit = (np.array(run(x)) - np.array([t.value for t in spec.targets])) / scale
        return np.concatenate([fit, ((x - prior_centre) / prior_sd)[with_prior]])

    x0 = np.clip(np.log([base[n] for n in names]), low + 1e-9, high - 1e-9)
    fit = optimize.least_squares(residuals, x0, bounds=(low, high), xtol=1e-10, ftol=1e-10)
    values = {n: float(np.exp(v)) for n, v in zip(names, fit.x)}
    achieved = run(fit.x)
    output = (Path(scenario.file).parent / spec.output).resolve()
    n_targets = len(spec.targets)
    cov = log_covariance(fit.jac[:n_targets] * scale[:, None], [t.standard_error for t in spec.targets], prior_sd)
    result = CalibrationResult(scenario, values, list(zip(spec.targets, achieved)), output, cov)
    if write:
        write_calibrated(result)
    return result


def log_covariance(jacobian: np.ndarray, standard_errors: list[float | None],
                   prior_sdlog: float | np.ndarray | None = None) -> np.ndarray | None:
    """Covariance of the fitted log parameters: (Jᵀ Σ⁻¹ J + Λ⁻¹)⁻¹ with J = d model / d log θ,
    Σ = diag(SE²) of the targets (treated as independent) and Λ = diag(prior_sdlog²), one sd for all
    or one per parameter (inf: no prior on that one; None: the plain delta method). None when a
    target has no SE or the parameters are not identified (singular information)."""
    if any(se is None for se in standard_errors):
        return None
    J = np.asarray(jacobian, dtype=float)
    info = J.T @ (J / np.square(standard_errors)[:, None])
    if prior_sdlog is not None:
        info = info + np.diag(np.broadcast_to(1 / np.square(np.asarray(prior_sdlog, dtype=float)), info.shape[:1]))
    if np.linalg.cond(info) > 1e12:
        return None
    return np.linalg.inv(info)


def _fitted_distribution(value: float, sdlog: float, unit: str | None) -> dict:
    """Lognormal centred on the fit (median = fit); for a share (unit 'proportion') a beta with the fit as
    its mean and the delta-method sd value × sdlog, capped below the largest sd a beta allows."""
    if unit == "proportion":
        sd = min(value * sdlog, 0.95 * np.sqrt(value * (1 - value)))
        return {"type": "beta", "mean": float(f"{value:.8g}"), "sd": float(f"{sd:.6g}")}
    return {"type": "lognormal", "meanlog": float(f"{np.log(value):.8g}"), "sdlog": float(f"{sdlog:.6g}")}


def write_calibrated(result: CalibrationResult) -> None:
    """Write fitted values as a parameter file, with provenance; atomic (temp file + rename)."""
    scenario = result.scenario
    targets_text = "; ".join(f"{t.measure} {t.state} {t.strategy} month {t.month}: target {t.value:.3f} "
                             f"[{t.interval()[0]:.3f}, {t.interval()[1]:.3f}], model {v:.4f} ({verdict(t, v)}) — {t.source}"
                             for t, v in result.fitted)
    tree: dict = {"about": f"Written by `ipsecon calibrate {scenario.file}` (ipsecon {__version__}) on "
                           f"{dt.date.today().isoformat()}; scenario hash {scenario.digest}. Do not edit by hand."}
    names = list(result.values)
    cov = result.log_cov
    prior = scenario.spec.calibration.prior_sdlog
    method = ("Uncertainty: lognormal (beta with the same sd for a share), covariance (JᵀΣ⁻¹J + Λ⁻¹)⁻¹ of the log "
              "parameters from the targets' standard errors (treated as independent) and, in Λ, each parameter's "
              "declared prior"
              + (f" or else an independent normal prior on the log parameter with sd {prior:g} centred on the fit "
                 "(assumption: the targets alone do not identify every direction)" if prior else "")
              + "; correlations in this file.")
    declared = scenario.spec.calibration.parameters
    for i, (name, value) in enumerate(result.values.items()):
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
        if cov is not None:
            node[parts[-1]]["distribution"] = _fitted_distribution(value, float(np.sqrt(cov[i, i])), old.unit)
            node[parts[-1]]["note"] = method
        spec_i = declared[name]
        if isinstance(spec_i, CalibrationPrior) and spec_i.median is not None:
            node[parts[-1]]["note"] = (node[parts[-1]].get("note", "") + f" Prior: lognormal, median {spec_i.median:g}, "
                                       f"sdlog {spec_i.sdlog:g} ({spec_i.source}); the value is the posterior mode "
                                       "(targets × prior).").strip()
    if cov is not None:
        sd = np.sqrt(np.diag(cov))
        pairs = [{"between": [names[i], names[j]], "rho": float(f"{cov[i, j] / (sd[i] * sd[j]):.6g}"),
                  "source": "calibration covariance (delta method), see the parameters' notes"}
                 for i in range(len(names)) for j in range(i + 1, len(names))]
        if pairs:
            tree["correlations"] = pairs
    result.output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=result.output.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(tree, fh, sort_keys=False, allow_unicode=True, width=100)
    os.replace(tmp, result.output)
