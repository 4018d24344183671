"""Batch sweeps: scenarios × overrides × parameter samples, run with dask.distributed into one Zarr store.

    ipsecon sweep sweeps/persistence.yaml --workers 2

A sweep file (:class:`SweepSpec`) lists scenarios, named override sets (parameter values as with
``--set``, one of the model's structural alternatives such as ``structure: no_decay``, and/or
model-variable formulas), parameter samples (``n: 0`` = the deterministic base case), horizons,
perspectives and the engine.

The work is cut into **units** = (scenario, override, chunk of samples). Units run on Dask workers
(a local cluster of single-threaded processes by default, or a running cluster given its scheduler
address); a unit runs on one core (one thread, numba and BLAS included), so the parallelism is the
number of workers (or of worker threads on a remote cluster). Units send back a small Dataset of
outcomes; this process is the only writer of the store ``DIR/sweep.zarr``, dims (scenario, override,
sample, …the outcome dims: strategy, perspective, horizon). Because results travel back to the
client, workers on other machines need the package but no shared filesystem.

Crash safety: a unit first writes its region (its own Zarr chunks: the store is chunked one unit per
chunk along scenario, override and sample), then its completion marker ``DIR/units/<unit>.json``
atomically (temporary file + rename). A unit is done only when its marker exists, so a kill -9 at any
moment leaves complete units and units that will be recomputed; ``--resume`` redoes exactly those and
gives a store bitwise identical to an uninterrupted run. The store itself is created in a temporary
folder and renamed into place.

Results do not depend on the worker count or the chunk size: sample i is row i of one draw per
scenario (``Samples.values(rows=)``), the microsim's random numbers are a hash of (seed, person,
month), and each unit's numbers depend only on its own rows.

Overrides and samples: samples are drawn once per scenario (from the scenario without sweep
overrides), so every override sees the same draws (common random numbers across overrides); a
parameter an override sets is fixed at that value in all samples.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Literal

import numpy as np
import xarray as xr
from pydantic import Field, field_validator

from ipsecon import __version__
from ipsecon.errors import InputError
from ipsecon.model.scenario import LoadedScenario, _digest, load_scenario
from ipsecon.inputs.schema import Number, Strict
from ipsecon.inputs.yaml_files import load_yaml, validate

PERSPECTIVES = ("nav", "health", "municipality", "state", "public", "individual", "employer", "society")
STORE_NAME = "sweep.zarr"
MARKER_DIR = "units"
DELAY_ENV = "IPSECON_SWEEP_UNIT_DELAY"  # seconds of sleep per unit: a testing aid (kill/resume tests)



# --- the sweep file ---------------------------------------------------------------------------

class OverrideSpec(Strict):
    description: str | None = None
    set: dict[str, float] = {}  # parameter -> value, as `ipsecon simulate --set`
    structure: str | None = None  # one of the model's structural alternatives (model.structures)
    variables: dict[str, Number] = {}  # model variable -> formula, as a scenario's `variables:` (applied last)


class SamplesSpec(Strict):
    n: int = Field(0, ge=0, le=10_000_000, description="number of parameter samples; 0 = deterministic base case")
    seed: int = Field(20240601, ge=0)
    method: Literal["random", "lhs", "sobol"] = "random"
    parameters: list[str] | None = None  # glob patterns of the parameters to sample; default all uncertain


class SweepSpec(Strict):
    title: str | None = None
    description: str | None = None
    scenarios: list[str] = Field(min_length=1)
    overrides: dict[str, OverrideSpec | None] = {"base": None}
    samples: SamplesSpec = SamplesSpec()
    horizons: list[float] = Field(min_length=1)
    perspectives: list[Literal[PERSPECTIVES]] = ["society", "public", "nav"]  # type: ignore[valid-type]
    engine: Literal["cohort", "microsim"] = "cohort"
    individuals: int | None = Field(None, ge=1, description="microsim people per run; default the scenario's")
    seed: int | None = Field(None, ge=0, description="microsim seed; default the scenario's run.seed")
    chunk_size: int | None = Field(None, ge=1, description="samples per work unit; --chunk-size wins")

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
            if not name or any(c in name for c in "/\\\n"):
                raise ValueError(f"override name {name!r} must be non-empty without slashes")
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


_CODE_HASH: dict[tuple, str] = {}


def code_hash() -> str:
    """Digest of this package's Python sources, recorded in the store and in each unit's marker so
    that units computed by different code (local edits, editable installs that differ between
    machines: the version string misses both) are visible. Content-based, so equal across machines;
    recomputed only when a file's size or time changes."""
    root = Path(__file__).resolve().parent.parent  # the whole package, every subpackage
    files = sorted(root.rglob("*.py"))
    stamp = tuple((str(f.relative_to(root)), st.st_size, st.st_mtime_ns) for f in files for st in [f.stat()])
    if stamp not in _CODE_HASH:
        h = hashlib.sha256()
        for f in files:
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
        _CODE_HASH.clear()
        _CODE_HASH[stamp] = h.hexdigest()[:16]
    return _CODE_HASH[stamp]


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
    from ipsecon.model.state_machine import CompiledModel
    from ipsecon.model.scenario import _replace_variables

    spec = _replace_variables(loaded.model.spec, dict(override.variables), sweep_file, f"{where}.variables")
    try:
        model = CompiledModel(spec, loaded.model.file)
    except InputError as exc:
        name = (exc.path or "").removeprefix("model.variables.")
        if name in override.variables:
            raise InputError(sweep_file, f"{where}.variables.{name}", exc.problem, exc.allowed) from None
        raise
    digest = _digest(loaded.digest, {k: str(v) for k, v in override.variables.items()})
    return replace(loaded, model=model, digest=digest)


def load_sweep(path: str | Path, chunk_size: int | None = None, workers: int | None = None) -> Plan:
    """Read and check a sweep file and every scenario × override in it (one cohort cycle each, so
    formula errors surface now); draw the parameter samples. Raises InputError on bad input."""
    from ipsecon.engines.simulate import simulate

    path = Path(path)
    file = str(path)
    spec = read_spec(path)
    base = path.parent
    scenario_paths = []
    for i, s in enumerate(spec.scenarios):
        p = Path(os.path.normpath(base / s))
        if not p.is_file():
            raise InputError(file, f"scenarios[{i}]", f"scenario file not found: {p}", "paths relative to the sweep file")
        scenario_paths.append(p)
    override_names = list(spec.overrides)
    cases: dict[tuple[int, int], LoadedScenario] = {}
    names: list[str] = []
    strategies: list[str] | None = None
    for si, p in enumerate(scenario_paths):
        for oi, oname in enumerate(override_names):
            case = apply_override(p, spec.overrides[oname], file, f"overrides.{oname}")
            if case.model.employment_state is None:
                raise InputError(file, f"scenarios[{si}]", f"{p} has no employment_state: the sweep's outcomes need "
                                 "the payer ledger of a labour-market model")
            try:  # every formula on the first cycle, as `ipsecon validate` does
                simulate(case, engine="cohort", horizon_years=case.model.cycle_years)
            except InputError as exc:
                if oi > 0 or spec.overrides[oname]:
                    raise InputError(exc.file, exc.path, f"{exc.problem} [with sweep override {oname!r} from {file}]",
                                     exc.allowed) from None
                raise
            cases[si, oi] = case
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
        for si, p in enumerate(scenario_paths):
            scenario = cases[si, plain] if plain is not None else load_scenario(p)
            try:
                chosen = None
                if spec.samples.parameters:
                    chosen = uncertain_parameters(scenario, include=spec.samples.parameters)
                samples[si] = draw_samples(scenario, spec.samples.n, spec.samples.seed, method=spec.samples.method,
                                           names=chosen)
            except InputError as exc:
                raise InputError(file, "samples" + (f".{exc.path}" if exc.path else ""), exc.problem, exc.allowed) from None
    fixed = {oi: dict((spec.overrides[o] or OverrideSpec()).set) for oi, o in enumerate(override_names)}
    n = spec.samples.n or 1
    chunk = chunk_size or spec.chunk_size or default_chunk_size(n, len(cases), workers)
    return Plan(path, spec, _file_hash(path), names, override_names, cases, fixed, samples, int(chunk),
                strategies or [])


def read_spec(path: Path) -> SweepSpec:
    return validate(SweepSpec, load_yaml(path), str(path))


def count_units(spec: SweepSpec, chunk_size: int | None, workers: int | None) -> int:
    """Number of units of a sweep file, before its scenarios are loaded (as ``Plan.units``)."""
    n, n_cases = spec.samples.n or 1, len(spec.scenarios) * len(spec.overrides)
    chunk = chunk_size or spec.chunk_size or default_chunk_size(n, n_cases, workers)
    return n_cases * math.ceil(n / chunk)


def default_chunk_size(n_samples: int, n_cases: int, workers: int | None) -> int:
    """At least about four units per worker in all (one chunk per scenario × override at least),
    at most 256 samples per unit (memory)."""
    workers = max(1, workers or 1)
    per_case = math.ceil(4 * workers / max(1, n_cases))
    return int(max(1, min(256, math.ceil(n_samples / per_case))))


# --- one unit (runs on a worker) --------------------------------------------------------------

def compute_unit(case: LoadedScenario, samples: Any | None, fixed: dict[str, float], settings: dict[str, Any]) -> xr.Dataset:
    """Outcomes of one (scenario, override, sample chunk); ``samples`` holds just the chunk's rows."""
    delay = float(os.environ.get(DELAY_ENV, "0") or 0)
    if delay > 0:
        time.sleep(delay)
    base = case.base_values()
    if samples is None:
        values, n = base, 1
    else:
        values = samples.values(base)
        values.update({k: float(v) for k, v in fixed.items()})  # an override fixes what it sets
        n = samples.table.shape[0]
    # Multi-threaded BLAS splits sums differently with its thread count, which changes the last
    # bits; one thread everywhere (this process, local or remote workers) keeps results bitwise
    # identical whatever runs the unit. The engines' numba threads are held to one as well: a
    # unit uses one core, so parallelism comes from the number of workers (each of a remote
    # cluster's worker threads, or the in-process fallback, would otherwise use every core).
    import numba
    from threadpoolctl import threadpool_limits

    threads = numba.get_num_threads()  # per calling thread in numba
    numba.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            ds = _evaluate(case, values, n, settings)
    finally:
        numba.set_num_threads(threads)
    ds.attrs["ipsecon_version"] = __version__
    ds.attrs["ipsecon_code_hash"] = code_hash()
    return ds


def _evaluate(case: LoadedScenario, values: dict[str, Any], n: int, s: dict[str, Any]) -> xr.Dataset:
    from ipsecon.economics.outcomes import evaluate

    return evaluate(case, values, n, s["horizons"], perspectives=s["perspectives"], engine=s["engine"],
                    individuals=s["individuals"], seed=s["seed"])


# --- the store --------------------------------------------------------------------------------

SWEEP_DIMS = ("scenario", "override", "sample")


def _fill(dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        return np.nan
    if dtype.kind in "iu":
        return -1 if dtype.kind == "i" else 0
    if dtype.kind == "b":
        return False
    raise TypeError(f"unsupported outcome dtype {dtype}")


def _outcome_arrays(ds: xr.Dataset, template: dict[str, tuple[str, ...]] | None = None) -> dict[str, np.ndarray]:
    """Each outcome variable as an array with dims (sample, ...), in the store's order."""
    out = {}
    for name, var in ds.data_vars.items():
        dims = template[name] if template is not None else ("sample",) + tuple(d for d in var.dims if d != "sample")
        out[name] = np.ascontiguousarray(var.transpose(*dims).values)
    return out


def create_store(path: Path, plan: Plan, first: xr.Dataset) -> None:
    """Write an empty store shaped by the first unit's outcomes; atomic (temporary folder + rename)."""
    import dask.array as da

    n = plan.n_samples
    coords: dict[str, Any] = {"scenario": plan.scenario_names, "override": plan.override_names,
                              "sample": np.arange(n)}
    for name, c in first.coords.items():
        if name != "sample" and name in first.dims:
            coords[name] = c.values
    data_vars, encoding = {}, {}
    for name, var in first.data_vars.items():
        rest = tuple(d for d in var.dims if d != "sample")
        shape = (len(plan.scenario_names), len(plan.override_names), n) + tuple(first.sizes[d] for d in rest)
        chunks = (1, 1, plan.chunk_size) + tuple(first.sizes[d] for d in rest)
        dtype = var.dtype if var.dtype.kind != "b" else np.dtype("i1")
        fill = _fill(dtype)
        data_vars[name] = (SWEEP_DIMS + rest, da.full(shape, fill, dtype=dtype, chunks=chunks), dict(var.attrs))
        encoding[name] = {"chunks": chunks, "_FillValue": fill}
    attrs = {k: v for k, v in first.attrs.items() if k not in ("scenario", "title", "ipsecon_version", "ipsecon_code_hash")}
    ds = xr.Dataset(data_vars, coords=coords, attrs={**attrs, **plan.provenance()})
    if plan.spec.samples.n:  # the parameter draws, per scenario (NaN where a scenario does not sample a column)
        columns = sorted({c for s in plan.samples for c in s.columns})
        table = np.full((len(plan.scenario_names), n, len(columns)), np.nan)
        for si, s in enumerate(plan.samples):
            idx = [columns.index(c) for c in s.columns]
            table[si][:, idx] = s.table
        ds["parameter_value"] = (("scenario", "sample", "parameter"), table,
                                 {"description": "sampled parameter values (before an override fixes what it sets)"})
        ds = ds.assign_coords(parameter=columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        ds.to_zarr(tmp, mode="w", encoding=encoding, compute=False, zarr_format=2, consolidated=True)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class StoreWriter:
    """Writes units' regions into an existing store, then their markers (single writer)."""

    def __init__(self, out_dir: Path):
        import zarr

        self.store = out_dir / STORE_NAME
        self.markers = out_dir / MARKER_DIR
        self.markers.mkdir(parents=True, exist_ok=True)
        self.group = zarr.open_group(str(self.store), mode="r+")
        # outcome variables: those with the three sweep dims first; the rest of their dims in store order
        self.template = {}
        for name, arr in self.group.arrays():
            dims = tuple(arr.attrs.get("_ARRAY_DIMENSIONS", ()))
            if dims[:3] == SWEEP_DIMS:
                self.template[name] = ("sample",) + dims[3:]

    def write(self, unit: Unit, ds: xr.Dataset) -> None:
        if set(ds.data_vars) != set(self.template):
            raise RuntimeError(f"unit {unit.key} returned variables {sorted(ds.data_vars)}, "
                               f"the store has {sorted(self.template)}")
        arrays = _outcome_arrays(ds, self.template)
        digest = hashlib.sha256()
        for name in sorted(arrays):
            a = arrays[name]
            if a.dtype.kind == "b":
                a = a.astype("i1")
            target = self.group[name]
            if a.shape != (unit.stop - unit.start,) + target.shape[3:]:
                raise RuntimeError(f"unit {unit.key}: {name} has shape {a.shape}, expected "
                                   f"{(unit.stop - unit.start,) + target.shape[3:]}")
            target[unit.scenario, unit.override, unit.start:unit.stop] = a
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(a).tobytes())
        marker = {"unit": unit.key, "scenario": unit.scenario, "override": unit.override, "rows": [unit.start, unit.stop],
                  "sha256": digest.hexdigest(), "version": ds.attrs.get("ipsecon_version", ""),
                  "code": ds.attrs.get("ipsecon_code_hash", "")}
        _atomic_text(self.markers / f"{unit.key}.json", json.dumps(marker))


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr, flush=True)


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def done_units(out_dir: Path) -> set[str]:
    """Keys of units whose completion marker exists."""
    d = out_dir / MARKER_DIR
    if not d.is_dir():
        return set()
    return {p.stem for p in d.glob("*.json")}


def _check_resumable(store: Path, plan: Plan, chunk_given: bool) -> None:
    import zarr

    try:
        attrs = dict(zarr.open_group(str(store), mode="r").attrs)
    except Exception as exc:  # noqa: BLE001 - any unreadable store is the same problem for the user
        raise InputError(store, None, f"cannot read the existing store to resume it ({exc})",
                         "--overwrite to start again") from None
    if attrs.get("sweep_hash") != plan.file_hash:
        raise InputError(plan.file, None, f"the sweep file changed since {store} was started",
                         "--overwrite to start again, or restore the file")
    if attrs.get("scenario_hashes") != plan.provenance()["scenario_hashes"]:
        raise InputError(store, "scenario_hashes", "a scenario or parameter file changed since the sweep was started",
                         "--overwrite to start again")
    if attrs.get("ipsecon_code_hash") != code_hash():  # warn, do not refuse: an edit may not touch the numbers
        _warn(f"{store} was started by other ipsecon code ({attrs.get('ipsecon_version')}, code "
              f"{attrs.get('ipsecon_code_hash')}; now {__version__}, code {code_hash()}): units computed before and "
              "after may differ (each unit's marker records its code; --overwrite recomputes everything)")
    stored_chunk = int(attrs.get("chunk_size", plan.chunk_size))
    if chunk_given and stored_chunk != plan.chunk_size:
        raise InputError("--chunk-size", str(plan.chunk_size), f"the store was started with chunk size {stored_chunk}",
                         f"{stored_chunk} or leave it out when resuming")
    plan.chunk_size = stored_chunk


# --- running ----------------------------------------------------------------------------------

@dataclass
class SweepResult:
    store: Path
    units: int
    computed: int
    skipped: int
    seconds: float  # wall time of the whole call
    compute_seconds: float  # from the cluster being ready to the last unit written
    workers: int
    info: dict[str, Any] = field(default_factory=dict)


def _local_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def run_sweep(sweep_file: str | Path, out_dir: str | Path | None = None, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, overwrite: bool = False,
              chunk_size: int | None = None, quiet: bool | None = None,
              on_unit: Callable[[Unit], None] | None = None) -> SweepResult:
    """Run a sweep file into ``out_dir/sweep.zarr`` (default ``results/sweeps/<file stem>``).

    ``workers``: local cluster size (processes, one thread each: a worker is one core; default the
    usable cores, at most the number of units); 0 runs the units in this process without Dask, also
    on one core. ``scheduler``: address of a running cluster (``tcp://host:8786``) instead of a
    local one.
    """
    t_start = time.monotonic()
    sweep_file = Path(sweep_file)
    out = Path(out_dir) if out_dir is not None else Path("results") / "sweeps" / sweep_file.stem
    store = out / STORE_NAME
    markers = out / MARKER_DIR
    existing = store.exists() or (markers.is_dir() and any(markers.iterdir()))
    if existing and not (resume or overwrite):  # refuse before any work
        raise InputError(out, None, f"output already exists ({store.name}, {MARKER_DIR}/)",
                         "--resume to continue it, --overwrite to replace it, or another --out")
    planned_workers = workers if workers is not None else _local_workers()
    cluster = None
    if scheduler is None and workers != 0 and not (resume and store.exists()):
        # a fresh sweep runs every unit, so the sweep file alone sizes the local cluster: start it
        # now, its workers start up while load_sweep reads the scenarios (a resume waits for the plan)
        n_units = count_units(read_spec(sweep_file), chunk_size, planned_workers)
        cluster = _client(None, min(planned_workers, n_units) or 1)
    try:
        plan = load_sweep(sweep_file, chunk_size, planned_workers)
        if resume and store.exists():
            _check_resumable(store, plan, chunk_size is not None)
        else:  # fresh start: clear what an earlier run left (only our own paths)
            for p in (store, markers, *out.glob(f".{STORE_NAME}.*.tmp")):
                if p.is_dir():
                    shutil.rmtree(p)
        units = plan.units
        done = done_units(out) if store.exists() else set()
        todo = [u for u in units if u.key not in done]
        settings = {"horizons": list(plan.spec.horizons), "perspectives": list(plan.spec.perspectives),
                    "engine": plan.spec.engine, "individuals": plan.spec.individuals, "seed": plan.spec.seed}

        from ipsecon.progress import Progress

        writer: StoreWriter | None = StoreWriter(out) if store.exists() else None
        warned: list[str] = []

        def finish(unit: Unit, ds: xr.Dataset) -> None:
            nonlocal writer
            version, code = ds.attrs.get("ipsecon_version"), ds.attrs.get("ipsecon_code_hash")
            if version != __version__:
                raise InputError(scheduler or "--workers", None, f"a worker runs ipsecon {version}, this process {__version__}",
                                 "the same ipsecon installation on every machine")
            if code != code_hash() and not warned:
                warned.append(code)
                _warn(f"unit {unit.key} was computed by other ipsecon code ({code}) than this process has ({code_hash()}): "
                      "an edit since the start, or machines with different installations (each unit's marker records its code)")
            if writer is None:
                create_store(store, plan, ds)
                writer = StoreWriter(out)
            writer.write(unit, ds)
            if on_unit is not None:
                on_unit(unit)

        def chunk_samples(u: Unit):
            s = plan.samples[u.scenario]
            return None if s is None else s.subset(slice(u.start, u.stop))

        n_workers = 0
        desc = f"sweep {plan.spec.title or sweep_file.stem}"
        t_ready = time.monotonic()
        with Progress(desc, total=sum(u.stop - u.start for u in todo), quiet=quiet) as bar:
            if todo and workers == 0 and scheduler is None:
                t_ready = time.monotonic()
                for u in todo:
                    ds = compute_unit(plan.cases[u.scenario, u.override], chunk_samples(u), plan.fixed[u.override], settings)
                    finish(u, ds)
                    bar.advance(u.stop - u.start)
            elif todo:
                from dask.distributed import as_completed

                with cluster or _client(scheduler, min(planned_workers, len(todo)) or 1) as client:
                    n_workers = len(client.scheduler_info(n_workers=-1)["workers"])
                    t_ready = time.monotonic()
                    # every worker gets every scenario it may need up front, so no unit waits on a transfer
                    # and the scheduler has no data-locality reason to pile units on one worker
                    needed = {(u.scenario, u.override) for u in todo}
                    cases = {key: client.scatter(plan.cases[key], hash=False, broadcast=True) for key in sorted(needed)}
                    futures, unit_of = [], {}
                    for u in todo:
                        f = client.submit(compute_unit, cases[u.scenario, u.override], chunk_samples(u),
                                          plan.fixed[u.override], settings, key=f"sweep-{u.key}-{uuid.uuid4().hex[:8]}",
                                          pure=False, retries=1)
                        unit_of[f.key] = u
                        futures.append(f)
                    try:
                        for f in as_completed(futures):
                            u = unit_of[f.key]
                            finish(u, f.result())
                            bar.advance(u.stop - u.start)
                            f.release()
                    except BaseException:
                        client.cancel(futures)
                        raise
        t_end = time.monotonic()
        return SweepResult(store, len(units), len(todo), len(units) - len(todo), t_end - t_start, t_end - t_ready,
                           n_workers, {"chunk_size": plan.chunk_size, "n_samples": plan.n_samples,
                                       "scenarios": plan.scenario_names, "overrides": plan.override_names})
    finally:
        if cluster is not None:  # on an error before or while it ran (closing twice is harmless)
            cluster.close()


class _client:
    """Context: a Client on a running scheduler, or on a fresh LocalCluster (closed on exit).

    A local cluster starts at construction, in a background thread, so that its worker processes
    start and import the engine (about 2 s each) while this process reads and checks the sweep;
    ``with`` waits for it. Each worker is one process with one thread and one numba thread: a
    worker is one core, and the cluster's parallelism is its number of workers."""

    def __init__(self, scheduler: str | None, workers: int):
        self.scheduler, self.workers = scheduler, workers
        self.cluster = self.client = self._error = None
        self._thread = None
        if not scheduler:
            self._thread = threading.Thread(target=self._start_local, name="ipsecon-sweep-cluster", daemon=True)
            self._thread.start()

    def _start_local(self) -> None:
        import dask
        from dask.distributed import LocalCluster

        # BLAS on one thread so that workers do not compete for cores (numba: compute_unit). Not
        # NUMBA_NUM_THREADS: the nanny sets env only after the worker has imported numba (spawn
        # re-runs the `ipsecon` script), so workers had 2 numba threads, and a compile after those
        # started failed on the changed variable. Preload: workers import the engine while this
        # process reads the sweep, not in their first unit.
        env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        # Dask's default MALLOC_TRIM_THRESHOLD_ also fixes glibc's mmap threshold, so each large
        # NumPy temporary of a unit is fresh mmap'd memory: units ran 8 % slower than in-process.
        # The workers' statistical profiler (a stack sample every 10 ms, for the dashboard) cost
        # each worker about 4 % of a core.
        config = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                  "distributed.worker.profile.enabled": False}
        try:
            with dask.config.set(config):
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            dashboard_address=":0", silence_logs=logging.ERROR, env=env,
                                            preload=["ipsecon.sweep.run", "ipsecon.economics.outcomes"])
        except BaseException as exc:  # noqa: BLE001 - raised again in __enter__
            self._error = exc

    def __enter__(self):
        from dask.distributed import Client

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="15s")
            except (OSError, TimeoutError) as exc:
                raise InputError("--scheduler", self.scheduler, f"cannot connect ({exc})",
                                 "the address a running `dask scheduler` prints, e.g. tcp://host:8786") from None
            return self.client
        self._thread.join()
        if self._error is not None:
            raise self._error
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Idempotent; waits for a cluster still starting, so that no worker process is left behind."""
        if self._thread is not None:
            self._thread.join()
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = self._thread = None


# --- reading and benchmarking -----------------------------------------------------------------

def open_sweep(out_dir: str | Path) -> xr.Dataset:
    """The sweep store as a Dataset (lazy)."""
    return xr.open_zarr(Path(out_dir) / STORE_NAME)


def measure_speedup(sweep_file: str | Path, workers: tuple[int, ...] = (1, 2), chunk_size: int | None = None,
                    repeat: int = 1) -> dict[str, Any]:
    """Wall time of the same sweep with each local worker count, into throwaway stores.

    Returns {"workers": [...], "seconds": [...], "compute_seconds": [...], "speedup": t(first)/t(last),
    "compute_speedup": ...}. ``seconds`` include cluster start-up; ``compute_seconds`` start when
    the workers are up. Best of ``repeat`` runs each.
    """
    rows = {"workers": list(workers), "seconds": [], "compute_seconds": []}
    for w in workers:
        best = None
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                r = run_sweep(sweep_file, Path(tmp) / "out", workers=w, chunk_size=chunk_size, quiet=True)
            if best is None or r.compute_seconds < best.compute_seconds:
                best = r
        rows["seconds"].append(best.seconds)
        rows["compute_seconds"].append(best.compute_seconds)
        rows["units"] = best.units
    rows["speedup"] = rows["seconds"][0] / rows["seconds"][-1]
    rows["compute_speedup"] = rows["compute_seconds"][0] / rows["compute_seconds"][-1]
    return rows
