"""Running a sweep: ``run_sweep`` plans it, takes the output folder's lock, checks an existing output
before resuming, runs the units that are not done (in this process, on a local Dask cluster or on
a running one), writes their results as they arrive and ends with the summary table (``summary.csv``);
``--overwrite`` writes the new sweep beside the old one and swaps it in when complete (``folder``).
``open_sweep`` reads the store and ``measure_speedup`` times worker counts.

Units run on Dask workers (a local cluster of single-threaded processes by default, or a running
cluster given its scheduler address); a unit runs on one core (one thread, numba and BLAS included),
so the parallelism is the number of workers (or of worker threads on a remote cluster). Units send
back a small Dataset of outcomes; this process is the only writer of the store. Because results
travel back to the client, workers on other machines need the package but no shared filesystem.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import xarray as xr

from ipsecon import __version__
from ipsecon.engines.memory import available_cores
from ipsecon.errors import InputError
from ipsecon.sweep.compute import compute_unit
from ipsecon.sweep.folder import SUMMARY_NAME, discard, has_sweep, locked, replace_sweep, staging_folder
from ipsecon.sweep.spec import Plan, Unit, count_units, load_sweep, read_spec
from ipsecon.sweep.store import MARKER_DIR, STORE_NAME, StoreWriter, code_hash, create_store, done_units

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
    summary: Any = None  # the summary table (pandas DataFrame, as summary.csv)


def run_sweep(sweep_file: str | Path, out_dir: str | Path | None = None, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, overwrite: bool = False,
              chunk_size: int | None = None, quiet: bool | None = None,
              on_unit: Callable[[Unit], None] | None = None) -> SweepResult:
    """Run a sweep file into ``out_dir/sweep.zarr`` (default ``results/sweeps/<file stem>``).

    ``workers``: local cluster size (processes, one thread each: a worker is one core; default the
    usable cores, at most the number of units); 0 runs the units in this process without Dask, also
    on one core. ``scheduler``: address of a running cluster (``tcp://host:8786``) instead of a
    local one.

    Nothing is written before the sweep file and everything it names have been checked. The output
    folder is locked for the whole run (a second sweep into it ends with InputError); with
    ``overwrite`` the previous sweep is replaced only when the new one is complete.
    """
    t_start = time.monotonic()
    sweep_file = Path(sweep_file)
    out = Path(out_dir) if out_dir is not None else Path("results") / "sweeps" / sweep_file.stem
    _refuse_existing(out, resume, overwrite)  # before any work; again under the lock
    if workers is not None and workers > 4 * available_cores():
        raise InputError("--workers", str(workers), f"more local workers than 4 × the {available_cores()} usable cores",
                         f"0 … {4 * available_cores()} (a worker is one core)")
    planned_workers = workers if workers is not None else available_cores()
    cluster = None
    if scheduler is None and workers != 0 and not (resume and (out / STORE_NAME).exists()):
        # a fresh sweep runs every unit, so the sweep file alone sizes the local cluster: start it
        # now, its workers start up while load_sweep reads the scenarios (a resume waits for the plan)
        n_units = count_units(read_spec(sweep_file), chunk_size, planned_workers)
        cluster = _client(None, min(planned_workers, n_units) or 1)
    try:
        plan = load_sweep(sweep_file, chunk_size, planned_workers)
        with locked(out):
            _refuse_existing(out, resume, overwrite)
            resuming = resume and (out / STORE_NAME).exists()
            if resuming:
                _check_resumable(out / STORE_NAME, plan, chunk_size is not None)
            target = staging_folder(out) if overwrite and has_sweep(out) else out
            if target == out and not resuming:  # fresh start: clear what an earlier run left (only our own paths)
                for p in (out / STORE_NAME, out / MARKER_DIR, *out.glob(f".{STORE_NAME}.*.tmp")):
                    if p.is_dir():
                        shutil.rmtree(p)
            try:
                result = _run_plan(plan, target, sweep_file, workers, scheduler, cluster, planned_workers, quiet,
                                   on_unit, t_start)
                from ipsecon.sweep.summary import summarise, write_summary

                result.summary = summarise(target / STORE_NAME)
                write_summary(result.summary, target / SUMMARY_NAME)
            except BaseException:
                if target != out:  # the previous sweep stays as it was
                    discard(target)
                raise
            if target != out:
                replace_sweep(out, target)
            result.store = out / STORE_NAME
            result.seconds = time.monotonic() - t_start
            return result
    finally:
        if cluster is not None:  # on an error before or while it ran (closing twice is harmless)
            cluster.close()


def _refuse_existing(out: Path, resume: bool, overwrite: bool) -> None:
    if has_sweep(out) and not (resume or overwrite):
        raise InputError(out, None, f"output already exists ({STORE_NAME}, {MARKER_DIR}/)",
                         "--resume to continue it, --overwrite to replace it, or another --out")


def _run_plan(plan: Plan, out: Path, sweep_file: Path, workers: int | None, scheduler: str | None, cluster: Any,
              planned_workers: int, quiet: bool | None, on_unit: Callable[[Unit], None] | None,
              t_start: float) -> SweepResult:
    """Run the units of ``plan`` that ``out`` has not done, into ``out/sweep.zarr``."""
    store = out / STORE_NAME
    units = plan.units
    done = done_units(out) if store.exists() else set()
    todo = [u for u in units if u.key not in done]
    settings = {"horizons": list(plan.spec.horizons), "perspectives": list(plan.spec.perspectives),
                "engine": plan.spec.engine, "individuals": plan.spec.individuals, "seed": plan.spec.seed}
    if any(c.spec.population.entrants is not None for c in plan.cases.values()):  # an open population: budgets too
        settings["budget_impact"] = True

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
    desc = f"sweep {plan.spec.title or sweep_file.stem}: work units of ≤ {plan.chunk_size} samples"
    t_ready = time.monotonic()
    with Progress(desc, total=len(todo), quiet=quiet) as bar:
        if todo and workers == 0 and scheduler is None:
            t_ready = time.monotonic()
            for u in todo:
                ds = compute_unit(plan.cases[u.scenario, u.override], chunk_samples(u), plan.fixed[u.override], settings)
                finish(u, ds)
                bar.advance(1)
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
                        bar.advance(1)
                        f.release()
                except BaseException:
                    client.cancel(futures)
                    raise
    t_end = time.monotonic()
    return SweepResult(store, len(units), len(todo), len(units) - len(todo), t_end - t_start, t_end - t_ready,
                       n_workers, {"chunk_size": plan.chunk_size, "n_samples": plan.n_samples,
                                   "scenarios": plan.scenario_names, "overrides": plan.override_names,
                                   "seed": plan.spec.samples.seed if plan.spec.samples.n else None,
                                   "method": plan.spec.samples.method if plan.spec.samples.n else "deterministic"})


# --- resuming: may this output be continued? -------------------------------------------------

def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr, flush=True)


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


# --- the Dask cluster -------------------------------------------------------------------------

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
                                            preload=["ipsecon.sweep.compute", "ipsecon.economics.outcomes"])
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
