"""Load a scenario: YAML -> checked model, parameters, population and run settings."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ipsecon.errors import InputError
from ipsecon.model.state_machine import CompiledModel
from ipsecon.inputs.parameters import ParameterSet, load_parameter_tree, load_parameters
from ipsecon.model.population import Strata, build_strata
from ipsecon.inputs.schema import Model, Scenario
from ipsecon.inputs.yaml_files import load_yaml, validate


@dataclass
class LoadedScenario:
    file: str
    spec: Scenario
    model: CompiledModel
    parameters: ParameterSet
    strata: Strata
    overrides: dict[str, float]
    digest: str
    structure: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def price_date(self) -> dt.date:
        return dt.date(self.spec.price_year, 7, 1)

    def point_values(self) -> dict[str, Any]:
        """The published point values (``value:`` of each parameter, dated values in force)."""
        return self.parameters.base_values(self.price_date)

    def base_values(self) -> dict[str, Any]:
        """The deterministic base case, for every run, analysis and report: with ``run.base_case: mean``
        (the default) each uncertain parameter at the mean of its distribution, so that the base case
        and a PSA describe the same inputs; with ``point`` the published point values."""
        values = self.point_values()
        if self.spec.run.base_case == "mean":
            values.update(distribution_means(self.parameters))
        return values

    def stratum_weights(self, values: dict[str, Any], n_samples: int = 1) -> np.ndarray:
        """The strata's weights [sample|1, stratum]: ``strata.weight``, with the shares of attributes
        given as formulas (``population.attributes``) evaluated for each sample."""
        strata = self.strata
        if not strata.share_formulas:
            return strata.weight[None]
        from ipsecon.inputs import expressions

        G = strata.size
        ns = self.model.namespace(values, strata, self.spec.population.start_year, self.model.strategies[0],
                                  np.array([0]), n_samples, with_duration=False)
        w = np.broadcast_to(strata.weight / strata.nominal, (n_samples, G)).copy()
        for name, levels in strata.share_formulas.items():
            path = f"population.attributes.{name}"
            shares = {level: np.broadcast_to(np.asarray(expressions.parse(text, self.file, f"{path}.{level}")(ns), dtype=float),
                                             (n_samples, G, 1, 1))[..., 0, 0] for level, text in levels.items()}
            total = sum(shares.values())
            bad = ~np.isfinite(total) | (np.abs(total - 1) > 1e-6) | np.any([(s < 0) | (s > 1) for s in shares.values()], axis=0)
            if bad.any():
                raise InputError(self.file, path, f"shares must be in [0, 1] and sum to 1, they sum to {total[bad][0]:.6g}",
                                 "formulas whose values add up to 1, e.g. p and 1 - p")
            column = strata.columns[name]
            for level, share in shares.items():
                w *= np.where(column == level, share, 1.0)
        return w

    def start_mix(self, values: dict[str, Any], n_samples: int = 1) -> np.ndarray:
        """Start-state shares [sample, stratum, state]."""
        S, G = self.model.n_states, self.strata.size
        if self.strata.start_mix is not None:
            return self.strata.start_mix[None]
        spec = self.spec.population.start_state
        if not spec:
            raise InputError(self.file, "population.start_state", "required when the population file has no state column",
                             "a mapping state -> share")
        from ipsecon.inputs import expressions

        ns = self.model.namespace(values, self.strata, self.spec.population.start_year, self.model.strategies[0],
                                  np.array([0]), n_samples, with_duration=False)
        mix = np.zeros((n_samples, G, S))
        for state, text in spec.items():
            s = self.model.state_index(state, "population.start_state")
            f = expressions.parse(text, self.file, f"population.start_state.{state}")
            mix[..., s] = np.broadcast_to(np.asarray(f(ns), dtype=float), (n_samples, G, 1, 1))[..., 0, 0]
        total = mix.sum(axis=-1)
        if not np.isfinite(mix).all() or (mix < 0).any() or np.abs(total - 1).max() > 1e-6:  # nan passes comparisons
            raise InputError(self.file, "population.start_state", f"shares must be >= 0 and sum to 1, they sum to {total.ravel()[0]:.6g}")
        return mix


def distribution_means(parameters: ParameterSet) -> dict[str, Any]:
    """The mean of each declared distribution (Dirichlet: alpha / sum, per component), by the names
    formulas read. Left out, keeping their point values: parameters without a distribution, tables,
    and calibrated parameters — the calibration matches its targets at the fitted point, and its
    lognormal is centred there (meanlog = log fit, so the fit is its median, not its mean); moving
    them to the mean would miss the very targets they were fitted to."""
    out: dict[str, Any] = {}
    for name, p in parameters.params.items():
        if p.distribution is None or p.table is not None or p.evidence == "calibrated":
            continue
        mean = p.distribution.mean_value()
        if isinstance(mean, dict):
            out.update({f"{name}.{comp}": float(v) for comp, v in mean.items()})
        else:
            out[name] = float(mean)
    return out


def _check_tracker_names(model: CompiledModel, params: ParameterSet, strata: Strata, file: str) -> None:
    """A tracker's names (``name``, ``name_years``) would hide a parameter or attribute of that name."""
    for tk in model.trackers:
        for name in (tk.name, f"{tk.name}_years"):
            if name in params.params or name in strata.columns:
                what = "a parameter" if name in params.params else "a population attribute"
                raise InputError(file, tk.path, f"{name!r} is also {what}", "a tracker name no parameter or attribute uses")


def content_digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def replace_variables(model_spec: Model, replacements: dict, file: str, path: str) -> Model:
    """A model with some variable formulas replaced (a scenario's ``variables:`` or a structure)."""
    unknown = sorted(set(replacements) - set(model_spec.variables))
    if unknown:
        raise InputError(file, f"{path}.{unknown[0]}", "not a variable of the model", ", ".join(model_spec.variables))
    return model_spec.model_copy(update={"variables": {**model_spec.variables, **replacements}})


def load_scenario(path: str | Path, overrides: dict[str, float] | None = None,
                  structure: str | None = None) -> LoadedScenario:
    """Load and check a scenario; ``overrides`` fix parameter values, ``structure`` picks one of
    the model's structural alternatives (``model.structures``, e.g. how the IPS effect decays)."""
    path = Path(path)
    raw = load_yaml(path)
    file = str(path)
    spec = validate(Scenario, raw, file)
    base = path.parent
    if isinstance(spec.model, str):
        model_file = (base / spec.model).resolve()
        model_raw = load_yaml(model_file)
        if not isinstance(model_raw, dict) or "model" not in model_raw:
            raise InputError(model_file, "model", "a model file needs a top-level 'model' mapping")
        model_spec = validate(Model, model_raw["model"], str(model_file), "model")
        model_file_name = str(model_file)
    else:
        model_spec, model_file_name, model_raw = validate(Model, spec.model, file, "model"), file, None
    if spec.variables:
        # a scenario may replace the formula of a model variable (a "reform" of the shared model)
        model_spec = replace_variables(model_spec, spec.variables, file, "variables")
    if structure is not None:
        if structure not in model_spec.structures:
            raise InputError(model_file_name, "model.structures", f"no structural alternative {structure!r}",
                             ", ".join(model_spec.structures) or "none declared")
        model_spec = replace_variables(model_spec, model_spec.structures[structure].variables, model_file_name,
                                        f"model.structures.{structure}.variables")
    model = CompiledModel(model_spec, model_file_name)
    params = ParameterSet({}, {})
    for d in spec.parameter_dirs:
        p = (base / d).resolve()
        part = load_parameters(p) if p.is_dir() else load_parameter_tree(load_yaml(p), str(p))
        params = params.merged(part)
    if spec.parameters:
        params = params.merged(load_parameter_tree(spec.parameters, file))
    all_overrides = {**spec.set, **(overrides or {})}
    if spec.set:
        params = params.with_overrides(spec.set, f"{file}: set")
    if overrides:
        params = params.with_overrides(overrides, "--set")
    strata = build_strata(spec.population, model.states, file, base)
    _check_tracker_names(model, params, strata, model_file_name)
    digest = content_digest(raw, model_raw, {k: v.model_dump(mode="json") for k, v in params.params.items()}, all_overrides,
                     structure)
    scenario = LoadedScenario(file, spec, model, params, strata, all_overrides, digest, structure)
    model.discount_rate = model.discount_rates(scenario.base_values())
    scenario.start_mix(scenario.base_values())  # check shares now, before any run
    if spec.programme is not None or spec.population.entrants is not None:  # an open population: check it now too
        from ipsecon.model.entrants import check_open_population

        check_open_population(scenario)
    return scenario
