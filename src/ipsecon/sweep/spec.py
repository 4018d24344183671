"""The sweep file: its schema (:class:`SweepSpec`), reading and checking it into a :class:`Plan`
(every scenario × override loaded and run for one cycle, the parameter samples drawn) and cutting
the plan into work units.

Overrides and samples: samples are drawn once per scenario (from the scenario without sweep
overrides), so every override sees the same draws (common random numbers across overrides); a
parameter an override sets is fixed at that value in all samples.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, StrictFloat, StrictInt, field_validator

from ipsecon import __version__
from ipsecon.errors import InputError
from ipsecon.inputs.schema import MAX_SEED, Number, Strict
from ipsecon.inputs.yaml_files import load_yaml, validate
from ipsecon.economics.defaults import ALL_PERSPECTIVES, HEADLINE_PERSPECTIVES
from ipsecon.model.scenario import LoadedScenario, content_digest, load_scenario
from ipsecon.sweep.store import code_hash

PERSPECTIVES = ALL_PERSPECTIVES
MAX_SAMPLES = 10_000_000
DRAW_COPIES = 12  # floats per sample and sampled column while the draws are made
MAX_UNITS = 100_000  # work units per sweep: each is a Dask task and a marker file


# --- the sweep file ---------------------------------------------------------------------------

class OverrideSpec(Strict):
    description: str | None = None
    set: dict[str, StrictFloat] = {}  # parameter -> value, as `ipsecon simulate --set`
    structure: str | None = None  # one of the model's structural alternatives (model.structures)
    variables: dict[str, Number] = {}  # model variable -> formula, as a scenario's `variables:` (applied last)


class SamplesSpec(Strict):
    n: StrictInt = Field(0, ge=0, le=MAX_SAMPLES, description="number of parameter samples; 0 = deterministic base case")
    seed: StrictInt = Field(20240601, ge=0, le=MAX_SEED)
    method: Literal["random", "lhs", "sobol"] = "random"
    parameters: list[str] | None = None  # glob patterns of the parameters to sample; default all uncertain


class SweepSpec(Strict):
    title: str | None = None
    description: str | None = None
    scenarios: list[str] = Field(min_length=1)
    overrides: dict[str, OverrideSpec | None] = {"base": None}
    samples: SamplesSpec = SamplesSpec()
    horizons: list[StrictFloat] = Field(min_length=1)
    perspectives: list[Literal[PERSPECTIVES]] = Field(list(HEADLINE_PERSPECTIVES), min_length=1)  # type: ignore[valid-type]
    engine: Literal["cohort", "microsim"] = "cohort"
    individuals: StrictInt | None = Field(None, ge=1, description="microsim people per run; default the scenario's")
    seed: StrictInt | None = Field(None, ge=0, le=MAX_SEED, description="microsim seed; default the scenario's run.seed")
    chunk_size: StrictInt | None = Field(None, ge=1, le=MAX_SAMPLES, description="samples per work unit; --chunk-size wins")

    @field_validator("horizons")
    @classmethod
    def _horizons(cls, v: list[float]) -> list[float]:
        if any(not (0 < h <= 100) for h in v):
            raise ValueError("horizons must be in (0, 100] years")
        return sorted(set(v))

    @field_validator("overrides")
    @classmethod
    def _names(cls, v: dict) -> dict:
        if not v:
            raise ValueError("at least one override set is needed (e.g. base: {})")
        for name in v:
            if not name.strip() or any(c in name for c in "/\\") or not name.isprintable():
                raise ValueError(f"override name {name!r} must be non-empty, printable, without slashes")
        return v

    @field_validator("perspectives")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"perspectives {v} name one twice")
        return v


# --- the plan: everything checked before anything is written ----------------------------------

@dataclass(frozen=True)
class Unit:
    scenario: int
    override: int
    chunk: int
    start: int  # first sample row
    stop: int  # one past the last

    @property
    def key(self) -> str:
        return f"s{self.scenario}-o{self.override}-c{self.chunk}"


@dataclass
class Plan:
    file: Path
    spec: SweepSpec
    file_hash: str
    scenario_names: list[str]
    override_names: list[str]
    cases: dict[tuple[int, int], LoadedScenario]  # (scenario, override) -> scenario with the override applied
    fixed: dict[int, dict[str, float]]  # override -> parameter values it fixes
    samples: list[Any | None]  # per scenario: a sampling.Samples, or None (deterministic)
    chunk_size: int
    strategies: list[str]

    @property
    def n_samples(self) -> int:
        """Length of the store's sample dim (1 for a deterministic sweep)."""
        return self.spec.samples.n or 1

    @property
    def units(self) -> list[Unit]:
        out = []
        n, c = self.n_samples, self.chunk_size
        for si in range(len(self.scenario_names)):
            for oi in range(len(self.override_names)):
                for ci, start in enumerate(range(0, n, c)):
                    out.append(Unit(si, oi, ci, start, min(n, start + c)))
        return out

    def provenance(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "title": spec.title or self.file.stem,
            "sweep_file": str(self.file),
            "sweep_hash": self.file_hash,
            "sweep_spec": json.dumps(spec.model_dump(mode="json")),
            "scenario_files": json.dumps({self.scenario_names[si]: c.file for (si, oi), c in self.cases.items() if oi == 0}),
            "scenario_hashes": json.dumps({f"{self.scenario_names[si]}/{self.override_names[oi]}": c.digest
                                           for (si, oi), c in self.cases.items()}),
            "ipsecon_version": __version__,
            "ipsecon_code_hash": code_hash(),
            "engine": spec.engine,
            "seed": int(spec.samples.seed),
            "samples_method": spec.samples.method if spec.samples.n else "deterministic",
            "n_samples": int(spec.samples.n),
            "microsim_seed": -1 if spec.seed is None else int(spec.seed),
            "individuals": 0 if spec.individuals is None else int(spec.individuals),
            "chunk_size": int(self.chunk_size),
            "overrides": json.dumps({name: (o.model_dump(mode="json") if o else {}) for name, o in spec.overrides.items()}),
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "conventions": "a unit (scenario, override, sample chunk) is complete iff units/<key>.json exists; "
                           "unwritten values read as NaN",
        }


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def apply_override(scenario_path: Path, override: OverrideSpec | None, sweep_file: str, where: str) -> LoadedScenario:
    """Load a scenario with an override set applied: parameter values (``set``), a structural
    alternative of the model (``structure``) and model-variable formulas (``variables``, replacing
    the model's formula as a scenario's own ``variables:`` does)."""
    override = override or OverrideSpec()
    try:
        loaded = load_scenario(scenario_path, dict(override.set), structure=override.structure)
    except InputError as exc:
        if exc.file == "--set":  # an unknown or malformed parameter name in the override
            raise InputError(sweep_file, f"{where}.set.{exc.path}", exc.problem, exc.allowed) from None
        if exc.path == "model.structures":
            raise InputError(sweep_file, f"{where}.structure", exc.problem, exc.allowed) from None
        raise
    if not override.variables:
        return loaded
    from ipsecon.model.scenario import replace_variables
    from ipsecon.model.state_machine import CompiledModel

    spec = replace_variables(loaded.model.spec, dict(override.variables), sweep_file, f"{where}.variables")
    try:
        model = CompiledModel(spec, loaded.model.file)
        model.discount_rate = model.discount_rates(loaded.base_values())
    except InputError as exc:
        name = (exc.path or "").removeprefix("model.variables.")
        if name in override.variables:
            raise InputError(sweep_file, f"{where}.variables.{name}", exc.problem, exc.allowed) from None
        raise
    digest = content_digest(loaded.digest, {k: str(v) for k, v in override.variables.items()})
    return replace(loaded, model=model, digest=digest)


def load_sweep(path: str | Path, chunk_size: int | None = None, workers: int | None = None) -> Plan:
    """Read and check a sweep file and every scenario × override in it (one cohort cycle each, so
    formula errors surface now); draw the parameter samples. Raises InputError on bad input."""
    from ipsecon.engines.simulate import simulate

    path = Path(path)
    file = str(path)
    spec = read_spec(path)
    base = path.parent
    scenario_paths = [_scenario_path(file, base, i, s) for i, s in enumerate(spec.scenarios)]
    n = spec.samples.n or 1
    chunk = min(n, chunk_size or spec.chunk_size or default_chunk_size(n, len(scenario_paths) * len(spec.overrides), workers))
    n_units = len(scenario_paths) * len(spec.overrides) * math.ceil(n / chunk)
    if n_units > MAX_UNITS:
        raise InputError("--chunk-size" if chunk_size else file, None if chunk_size else "chunk_size",
                         f"{n_units:,} work units (chunk size {chunk}) are too many to schedule",
                         f"at most {MAX_UNITS:,}: a larger chunk_size or --chunk-size, or fewer samples")
    override_names = list(spec.overrides)
    cases: dict[tuple[int, int], LoadedScenario] = {}
    names: list[str] = []
    strategies: list[str] | None = None
    for si, p in enumerate(scenario_paths):
        for oi, oname in enumerate(override_names):
            case = apply_override(p, spec.overrides[oname], file, f"overrides.{oname}")
            try:  # every formula on the first cycle, as `ipsecon validate` does
                simulate(case, engine="cohort", horizon_years=case.model.cycle_years)
            except InputError as exc:
                if oi > 0 or spec.overrides[oname]:
                    raise InputError(exc.file, exc.path, f"{exc.problem} [with sweep override {oname!r} from {file}]",
                                     exc.allowed) from None
                raise
            cases[si, oi] = case
            _check_unit_memory(case, spec, file)
        first = cases[si, 0]
        if first.name in names:
            raise InputError(file, f"scenarios[{si}]", f"scenario name {first.name!r} appears twice", "distinct scenarios")
        names.append(first.name)
        if strategies is None:
            strategies = list(first.model.strategies)
        elif list(first.model.strategies) != strategies:
            raise InputError(file, f"scenarios[{si}]", f"strategies {list(first.model.strategies)} differ from "
                             f"{strategies} of the first scenario", "scenarios of one model")
    samples: list[Any | None] = [None] * len(names)
    if spec.samples.n:
        from ipsecon.uncertainty.sampling import draw_samples, uncertain_parameters

        # draws come from the scenario without sweep overrides (see module doc): an empty override
        # set has loaded it already (loading is mostly YAML parsing, about 0.5 s a scenario)
        plain = next((oi for oi, o in enumerate(override_names) if spec.overrides[o] in (None, OverrideSpec())), None)
        scenarios = [cases[si, plain] if plain is not None else load_scenario(p) for si, p in enumerate(scenario_paths)]
        try:
            chosen = [uncertain_parameters(sc, include=spec.samples.parameters) if spec.samples.parameters else None
                      for sc in scenarios]
            _check_draw_memory(scenarios, chosen, spec.samples.n, file)
            for si, scenario in enumerate(scenarios):
                samples[si] = draw_samples(scenario, spec.samples.n, spec.samples.seed, method=spec.samples.method,
                                           names=chosen[si])
        except InputError as exc:
            if exc.file == file:  # already says where in the sweep file
                raise
            raise InputError(file, "samples" + (f".{exc.path}" if exc.path else ""), exc.problem, exc.allowed) from None
    fixed = {oi: dict((spec.overrides[o] or OverrideSpec()).set) for oi, o in enumerate(override_names)}
    return Plan(path, spec, _file_hash(path), names, override_names, cases, fixed, samples, int(chunk),
                strategies or [])


def _scenario_path(file: str, base: Path, i: int, given: str) -> Path:
    """A scenario's path, relative to the sweep file; refused unless it names a readable file."""
    where, allowed = f"scenarios[{i}]", "paths of scenario files, relative to the sweep file"
    if not given.strip():
        raise InputError(file, where, "empty path", allowed)
    if "\0" in given or not given.isprintable():
        raise InputError(file, where, f"path {given!r} holds a NUL byte or another control character", allowed)
    p = Path(os.path.normpath(base / given))
    if p.is_dir():
        raise InputError(file, where, f"{p} is a folder, not a scenario file", allowed)
    if not p.is_file():
        raise InputError(file, where, f"scenario file not found: {p}", allowed)
    return p


def _check_unit_memory(case: LoadedScenario, spec: SweepSpec, file: str) -> None:
    """One sample of this scenario at the longest horizon must fit (units run at least one at a time)."""
    from ipsecon.engines.memory import check_memory

    try:
        check_memory(case, spec.engine, spec.individuals, max(spec.horizons), 1, True)
    except InputError as exc:
        raise InputError(file, "individuals" if spec.engine == "microsim" else "horizons", exc.problem,
                         exc.allowed) from None


def _check_draw_memory(scenarios: list[LoadedScenario], chosen: list[list[str] | None], n: int, file: str) -> None:
    """The draws of every scenario stay in this process for the whole sweep: refuse a sample count
    whose draws do not fit (drawing peaks at about ``DRAW_COPIES`` floats per sample and column:
    measured 90 bytes with 200,000 samples of 36 columns)."""
    from ipsecon.engines.memory import SAFETY, available_bytes
    from ipsecon.uncertainty.sampling import layout, uncertain_parameters

    columns = sum(len(layout(sc, names if names is not None else uncertain_parameters(sc))[0])
                  for sc, names in zip(scenarios, chosen))
    need = DRAW_COPIES * n * max(columns, 1) * 8
    limit = SAFETY * available_bytes()
    if need > limit:
        raise InputError(file, "samples.n", f"{n:,} samples of {columns} sampled columns need about "
                         f"{need / 2 ** 30:.1f} GB of memory, more than the {limit / 2 ** 30:.1f} GB this machine can give",
                         f"at most about {int(limit // (DRAW_COPIES * max(columns, 1) * 8)):,} samples here")


def read_spec(path: Path) -> SweepSpec:
    data = load_yaml(path)
    _refuse_duplicate_keys(path)
    return validate(SweepSpec, data, str(path))


def _refuse_duplicate_keys(path: Path) -> None:
    """YAML keeps the last of two equal keys without a word: two override sets with one name, or a
    key given twice, would silently drop one. (The file has parsed already, so composing it again
    cannot fail.)"""
    import yaml

    from ipsecon.inputs.yaml_files import SAFE_LOADER

    def walk(node: yaml.Node, where: str) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value)
                if name in seen:
                    raise InputError(path, f"line {key.start_mark.line + 1}", f"key {name!r} appears twice in {where}",
                                     "each key once (override sets need distinct names)")
                seen.add(name)
                walk(value, f"{where}.{name}" if where != "the file" else name)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{where}[{i}]")

    node = yaml.compose(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    if node is not None:
        walk(node, "the file")


def count_units(spec: SweepSpec, chunk_size: int | None, workers: int | None) -> int:
    """Number of units of a sweep file, before its scenarios are loaded (as ``Plan.units``)."""
    n, n_cases = spec.samples.n or 1, len(spec.scenarios) * len(spec.overrides)
    chunk = min(n, chunk_size or spec.chunk_size or default_chunk_size(n, n_cases, workers))
    return n_cases * math.ceil(n / chunk)


def default_chunk_size(n_samples: int, n_cases: int, workers: int | None) -> int:
    """At least about four units per worker in all (one chunk per scenario × override at least),
    at most 256 samples per unit (memory)."""
    workers = max(1, workers or 1)
    per_case = math.ceil(4 * workers / max(1, n_cases))
    return int(max(1, min(256, math.ceil(n_samples / per_case))))

