"""Command line: ``ipsecon simulate | breakeven | psa | dsa | sobol | threshold | sweep | report | calibrate | validate | params``.

Bad input ends with one line on stderr naming the file, field, problem and what is
allowed, and exit code 2 — never a traceback, and nothing half-written. So does an I/O
error (a full disk, a folder that cannot be written): the line names the path.
Every command that computes results takes ``--format table|json|csv`` (what it prints)
and ``--excel`` (a workbook of its tables beside its files).
"""

from __future__ import annotations

import atexit
import fnmatch
import gc
import math
import os
import sys
import threading
from pathlib import Path

import click

from ipsecon import __version__
from ipsecon.economics.defaults import (
    ALL_PERSPECTIVES,
    EVALUATION_PERSPECTIVES,
    HEADLINE_PERSPECTIVES,
    HORIZONS,
    SENSITIVITY_HORIZONS,
    WTP_MAX,
    wtp_grid,
)
from ipsecon.errors import InputError

from ipsecon.inputs.limits import MAX_HORIZON_YEARS
MAX_SEED = 2**63 - 1  # numpy seeds and the kernels' int64


def _csv(years) -> str:
    return ",".join(f"{h:g}" for h in years)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, float]:
    from ipsecon.inputs.overrides import parse_override_value

    out = {}
    for item in pairs:
        if "=" not in item:
            raise InputError("--set", item[:80], "expected path=value", "e.g. --set ips.cost.caseload=15")
        key, value = item.split("=", 1)
        out[key.strip()] = parse_override_value(key.strip(), value)
    return out


class Finite(click.ParamType):
    """A finite number within [low, high] (click's FloatRange lets nan through)."""

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None, low_open: bool = False):
        self.low, self.high, self.low_open = low, high, low_open

    def convert(self, value, param, ctx):
        try:
            x = float(value)
        except (TypeError, ValueError):
            self.fail(f"{str(value)[:40]!r} is not a number", param, ctx)
        below = self.low is not None and (x <= self.low if self.low_open else x < self.low)
        if not math.isfinite(x) or below or (self.high is not None and x > self.high):
            lo = "" if self.low is None else f"{'>' if self.low_open else '≥'} {self.low:g}"
            hi = "" if self.high is None else f"≤ {self.high:g}"
            self.fail(f"{str(value)[:40]!r} is not allowed (a finite number {' and '.join(p for p in (lo, hi) if p)})",
                      param, ctx)
        return x


def defer_dask_check() -> None:
    """xarray asks of every array it wraps whether it is a dask array or collection, and answers by
    importing dask (dask.array: 0.4-1 s with scipy.fft; dask.base 0.1-0.3 s), also in commands that
    never use dask. No array can be a dask array before dask.array is imported, and an object without
    ``__dask_graph__`` is no dask collection (dask's own first test), so those answers come without
    the import, and no dask scheduler runs before dask is imported (writing NetCDF asks); once dask is
    imported (``sweep``) xarray gets its usual answers. Installed once, before xarray loads (each of
    its three modules is adjusted as it loads); a no-op where xarray's internals differ."""
    pending = [name for name in _DASK_CHECKS if name not in sys.modules]
    for name in set(_DASK_CHECKS) - set(pending):
        _DASK_CHECKS[name](sys.modules[name])
    if pending and not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(pending))


class _AfterImport:
    """A meta path finder that finds nothing itself: it wraps the loaders of a few modules so that
    ``_DASK_CHECKS[name]`` runs on each right after it has loaded."""

    def __init__(self, names: list[str]):
        self.names = set(names)

    def find_spec(self, name, path=None, target=None):
        if name not in self.names:
            return None
        self.names.discard(name)
        if not self.names:
            sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec = finder.find_spec(name, path, target) if finder is not self and hasattr(finder, "find_spec") else None
            if spec is not None:
                if hasattr(spec.loader, "exec_module"):
                    run = spec.loader.exec_module

                    def exec_module(module, run=run):
                        run(module)
                        _DASK_CHECKS[name](module)

                    spec.loader.exec_module = exec_module
                return spec
        return None


def _defer_dask_arrays(pycompat) -> None:
    try:
        base, cache = pycompat.DuckArrayModule, pycompat._cached_duck_array_modules
    except AttributeError:  # another xarray: leave it as it is
        return

    class Deferred(base):
        def __init__(self):  # nothing imported yet
            pass

        def _real(self):
            cache["dask"] = real = base("dask")
            return real

        type = property(lambda self: self._real().type if "dask.array" in sys.modules else ())
        module = property(lambda self: self._real().module)
        version = property(lambda self: self._real().version)
        available = property(lambda self: self._real().available)

    cache.setdefault("dask", Deferred())


def _defer_dask_collections(utils) -> None:
    full = getattr(utils, "is_dask_collection", None)
    if full is None or getattr(full, "deferred", False):
        return

    def is_dask_collection(x) -> bool:
        return not isinstance(x, type) and hasattr(x, "__dask_graph__") and full(x)

    is_dask_collection.deferred = True
    utils.is_dask_collection = is_dask_collection


def _defer_dask_scheduler(locks) -> None:
    full = getattr(locks, "get_dask_scheduler", None)
    if full is None or getattr(full, "deferred", False):
        return

    def get_dask_scheduler(get=None, collection=None):  # no dask scheduler runs before dask is imported
        return full(get, collection) if "dask" in sys.modules else None

    get_dask_scheduler.deferred = True
    locks.get_dask_scheduler = get_dask_scheduler


_DASK_CHECKS = {"xarray.namedarray.utils": _defer_dask_collections, "xarray.namedarray.pycompat": _defer_dask_arrays,
                "xarray.backends.locks": _defer_dask_scheduler}


def _end_process(code) -> None:
    """End the process as ``sys.exit(code)`` would, without the interpreter's teardown: its exit
    handlers run, the output is flushed, but the objects numpy, numba, pandas and xarray made are not
    freed one by one (0.1-0.15 s after a run, after gc.freeze). Where another non-daemon thread still
    runs, the ordinary exit waits for it."""
    if any(t is not threading.main_thread() and t.is_alive() and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - as the interpreter: a failed flush at exit is status 120
            code = code or 120
    os._exit(code)


class Guarded(click.Group):
    """Turns bad input and I/O errors from any command into one clear line and exit code 2."""

    def main(self, args=None, *more, **kwargs):
        """As click's; when the process is this command (``main()`` reads sys.argv and exits, as the
        ``ipsecon`` script calls it) it ends without the interpreter's teardown (``_end_process``)."""
        if args is not None or more or kwargs.get("prog_name") or not kwargs.get("standalone_mode", True):
            return super().main(args, *more, **kwargs)
        try:
            super().main(**kwargs)
            code = 0
        except SystemExit as exc:
            code = exc.code
        _end_process(code)

    def invoke(self, ctx):
        from ipsecon import progress

        quiet = progress.is_quiet()
        defer_dask_check()
        # At exit the interpreter's last garbage collections walk every object that numpy, numba,
        # pandas and xarray made (0.3-0.5 s after a run); freezing them first skips that walk. Files
        # are closed by then (every writer closes its own); in a test process this runs only at its end.
        atexit.unregister(gc.freeze)  # once, however many commands a process runs
        atexit.register(gc.freeze)
        try:
            return super().invoke(ctx)
        except InputError as exc:
            _fail(exc.message())
        except OSError as exc:  # full disk, read-only folder, a path below a file, a name too long …
            where = exc.filename if exc.filename is not None else "<writing output>"
            _fail(f"{str(where)[:200]}: {exc.strerror or exc} (allowed: a writable folder with free space; "
                  "a results folder is replaced only by a complete run)")
        except MemoryError:
            _fail("<run>: ran out of memory (allowed: a smaller population, horizon, sample count or chunk size)")
        finally:  # --quiet is for one command: do not leak it into the next call in this process (tests, scripts)
            progress.set_quiet(quiet)


@click.group(cls=Guarded)
@click.version_option(__version__, prog_name="ipsecon")
def main():
    """ipsecon — health-economic microsimulation of IPS (individuell jobbstøtte) in Norway."""


# --- options and output shared by the commands ------------------------------------------------

FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
                      help="what to print: tables, one JSON document (null for missing), or the main table as CSV")
EXCEL = click.option("--excel", is_flag=True, help="also write a workbook of the tables (<command>.xlsx)")
SEED = click.option("--seed", type=click.IntRange(min=0, max=MAX_SEED), default=None,
                    help="random seed (default: the scenario's run.seed)")
INDIVIDUALS = click.option("--individuals", type=click.IntRange(min=1), default=None, help="microsim population size")
REPORTS_DIR = click.option("--reports", "reports_root", type=click.Path(file_okay=False), default="reports",
                           show_default=True, help="folder for reports (<folder>/<scenario>/)")
# --lang travels in the context (not as a parameter) so every command with a report takes it unchanged
LANG = click.option("--lang", type=click.Choice(["en", "nb"]), default="en", show_default=True, expose_value=False,
                    callback=lambda ctx, _, v: ctx.meta.__setitem__("report_lang", v),
                    help="language of the report: English or Norwegian (bokmål)")


def REPORTS(f):  # noqa: N802 - used like the other option constants
    return REPORTS_DIR(LANG(f))


def _report_lang() -> str:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get("report_lang", "en") if ctx is not None else "en"


def default_out(name: str, command: str | None = None, engine: str = "cohort", structure: str | None = None) -> Path:
    """results/<name>[_<command>][_microsim][_<structure>]: runs that differ in kind, engine or structure
    never share a default folder."""
    parts = [name] + ([command] if command else []) + (["microsim"] if engine == "microsim" else [])
    return Path("results") / "_".join(parts + ([structure] if structure else []))


def _frames(fmt: str, **rows: list[dict]) -> dict:
    """Tables of plain rows for ``_emit``: built (with pandas, ~0.25 s to import) only for JSON or CSV."""
    if fmt not in ("json", "csv"):
        return {}
    import pandas as pd

    return {name: pd.DataFrame(r) for name, r in rows.items()}


def _emit(fmt: str, header: dict, tables: dict, files: dict, text) -> None:
    """Print a command's results: ``text()`` for tables, else JSON or the main table as CSV."""
    if fmt in ("json", "csv"):  # pandas (~0.25 s to import) only for these
        from ipsecon.output import tables as tables_io
    if fmt == "json":
        click.echo(tables_io.to_json(header, tables, files))
    elif fmt == "csv":
        click.echo(tables_io.to_csv(tables), nl=False)
    else:
        click.echo(text())
        for path in files.values():
            click.echo(f"wrote {path}")


def _report(out_dir: Path, reports_root: str, quiet: bool, no_report: bool) -> dict[str, Path]:
    """Write the report of ``out_dir``; with ``no_report`` remove an earlier one (it would describe another run)."""
    from ipsecon.output.report import remove_report, write_report

    if no_report:
        remove_report(out_dir, Path(reports_root))
        return {}
    report = write_report(out_dir, Path(reports_root), quiet=quiet, lang=_report_lang())
    return {"report": report["html"], "report_markdown": report["markdown"]}


# --- simulate, breakeven, report -------------------------------------------------------------

@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--engine", type=click.Choice(["cohort", "microsim"]), default=None, help="default: the scenario's run.engine")
@INDIVIDUALS
@SEED
@click.option("--horizon", type=Finite(0, MAX_HORIZON_YEARS, low_open=True), default=None, help="years")
@click.option("--set", "overrides", multiple=True, help="override a parameter: path=value (repeatable)")
@click.option("--structure", default=None, help="structural alternative of the model (model.structures), e.g. catch_up_3y")
@click.option("--no-structures", is_flag=True, help="do not also run the model's structural alternatives "
              "(by default a base-case run stores each one's incremental NPV and break-even wage beside its own)")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="output folder (default results/<scenario>[_microsim][_<structure>])")
@FORMAT
@EXCEL
@click.option("--no-report", is_flag=True, help="skip the break-even wages and the HTML/Markdown report")
@REPORTS
@click.option("--quiet", is_flag=True, help="no progress output")
@click.option("--wtp", type=Finite(0), default=None,
              help="willingness to pay per unit of effect for NMB (a model without the ledger; default: its wtp:)")
@click.option("--per-person", "per_person", type=click.Path(dir_okay=False), default=None,
              help="microsim: write each person's discounted totals per strategy to FILE (.parquet or .csv.gz)")
def simulate(scenario, engine, individuals, seed, horizon, overrides, structure, no_structures, out, fmt, excel, no_report,
             reports_root, quiet, wtp, per_person):
    """Run SCENARIO and write results.nc, occupancy.csv, summary.csv, breakeven.csv and a report."""
    from ipsecon import api
    from ipsecon.output import calendar, console, tables
    from ipsecon.progress import set_quiet

    if quiet:
        set_quiet(True)
    loaded = api.load_scenario(scenario, parse_overrides(overrides), structure)
    engine = engine or loaded.spec.run.engine
    out_dir = Path(out) if out else default_out(loaded.name, engine=engine, structure=structure)
    _check_out(out_dir)
    if per_person and (engine != "microsim" or not per_person.endswith((".parquet", ".csv.gz"))):
        raise InputError(loaded.file, "--per-person", f"{per_person!r} with the {engine} engine",
                         "--engine microsim and a file name ending in .parquet or .csv.gz")
    result = api.run(loaded, engine=engine, horizon=horizon, seed=seed, individuals=individuals, breakeven=not no_report,
                     structures=not no_structures, wtp=wtp)
    paths = result.save(out_dir, excel=excel)
    if per_person:
        from ipsecon.engines.people import write_per_person

        paths["per_person"] = write_per_person(result.simulation, per_person)
    paths.update(_report(out_dir, reports_root, quiet, no_report))

    def text():
        lines = [console.simulation(result)]
        if calendar.has_calendar(result.dataset):  # an open population: the per-year table (issue 15)
            lines.append(calendar.calendar_text(result.dataset, loaded.model.comparator, loaded.spec.price_year))
        if result.breakeven is not None:
            lines.append(console.breakeven(result.breakeven, loaded.spec.price_year))
        return "\n".join(lines)

    header = {"command": "simulate", "scenario": loaded.name, "engine": result.simulation.trace.engine,
              "validation_targets": result.targets}
    _emit(fmt, header, tables.simulate_tables(result), paths, text)


def _check_out(out_dir: Path) -> None:
    """Refuse an output folder that is not ours before spending time on the run."""
    from ipsecon.output.run_folder import check_replaceable

    check_replaceable(out_dir)


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--perspective", "perspectives", multiple=True, default=HEADLINE_PERSPECTIVES, show_default=True,
              type=click.Choice(ALL_PERSPECTIVES))
@click.option("--horizons", default=_csv(HORIZONS), show_default=True, help="comma-separated years")
@click.option("--engine", type=click.Choice(["cohort", "microsim"]), default="cohort", show_default=True)
@click.option("--set", "overrides", multiple=True, help="override a parameter in every scenario: path=value")
@click.option("--out", type=click.Path(file_okay=False), default="results/breakeven", show_default=True)
@FORMAT
@EXCEL
@click.option("--no-report", is_flag=True, help="skip the HTML/Markdown report")
@REPORTS
@click.option("--quiet", is_flag=True, help="no progress output")
def breakeven(scenarios, perspectives, horizons, engine, overrides, out, fmt, excel, no_report, reports_root, quiet):
    """Break-even gross annual wage of each intervention vs the comparator, per scenario, perspective and horizon."""
    from ipsecon import api
    from ipsecon.output import console, tables
    from ipsecon.output.figures import breakeven_plot
    from ipsecon.output.figures.style import png_bytes
    from ipsecon.output.results import write_run
    from ipsecon.output.units import netcdf_bytes
    from ipsecon.progress import Progress, set_quiet

    years = _years(horizons, "--horizons")
    extra = parse_overrides(overrides)
    if quiet:
        set_quiet(True)
    loaded = [api.load_scenario(path, extra) for path in scenarios]
    for sc in loaded:
        if sc.model.employment_state is None:
            raise InputError(sc.file, "model.employment_state", "the break-even wage needs the payer ledger of a "
                             "labour-market model", "a model with employment_state; for a parameter of any model: "
                             "ipsecon threshold MODEL --parameter NAME")
    names = [sc.name for sc in loaded]
    if len(set(names)) < len(names):
        raise InputError("SCENARIOS", ", ".join(names), "two scenarios have the same name", "scenarios with distinct names")
    out_dir = Path(out)
    _check_out(out_dir)
    with Progress("scenarios simulated", total=len(loaded)) as bar:
        table, ds = api.run_breakeven(loaded, perspectives, years, engine, progress=bar)
    price_year = int(ds.attrs["price_year"])
    files = {"breakeven.csv": table.to_csv(index=False), "breakeven.nc": netcdf_bytes(ds, "breakeven.nc"),
             "breakeven.png": png_bytes(breakeven_plot(table, price_year, ds.attrs["typical_wage"]))}
    if excel:
        files["breakeven.xlsx"] = tables.to_excel(tables.breakeven_tables(table), {"scenarios": ", ".join(names)})
    paths = write_run(out_dir, "breakeven", files, {**ds.attrs, "scenario": "+".join(names)})
    paths.update(_report(out_dir, reports_root, quiet, no_report))
    header = {"command": "breakeven", "scenarios": names, "engine": engine, "price_year": price_year}
    _emit(fmt, header, tables.breakeven_tables(table), paths, lambda: console.breakeven(table, price_year))


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True))
@REPORTS
@click.option("--quiet", is_flag=True, help="no progress output")
def report(results_dir, reports_root, quiet):
    """Write an HTML report (self-contained) and a Markdown twin for RESULTS_DIR.

    Reads whatever the folder holds: results.nc, summary.csv, breakeven.csv, psa.nc, dsa.nc, sobol.nc.
    """
    from ipsecon.output.report import write_report

    paths = write_report(Path(results_dir), Path(reports_root), quiet=quiet, lang=_report_lang())
    click.echo(f"wrote {paths['html']}")
    click.echo(f"wrote {paths['markdown']} (figures in {paths['figures']})")


# --- uncertainty: psa, dsa, sobol --------------------------------------------------------------

def _years(text: str, option: str) -> list[float]:
    try:
        years = sorted({float(h) for h in text.split(",") if h.strip()})
    except ValueError:
        raise InputError(option, text[:80], "expected comma-separated numbers of years", "e.g. 5,10,20,40") from None
    if not years or not all(math.isfinite(y) for y in years) or years[0] <= 0 or years[-1] > MAX_HORIZON_YEARS:
        raise InputError(option, text[:80], f"horizons must be finite numbers in (0, {MAX_HORIZON_YEARS}] years")
    return years


def _uncertainty_options(default_horizons: str, default_perspectives: tuple[str, ...]):
    """Options shared by psa, dsa and sobol."""
    def wrap(f):
        for option in reversed([
            click.argument("scenario", type=click.Path(dir_okay=False)),
            click.option("--horizons", default=None, help=f"comma-separated years (default {default_horizons}; a model "
                                                           "without the ledger: the standard ones up to its run's)"),
            click.option("--perspective", "perspectives", multiple=True, default=default_perspectives, show_default=True,
                         type=click.Choice(ALL_PERSPECTIVES), help="repeatable"),
            click.option("--structure", default=None, help="structural alternative of the model (model.structures), "
                                                           "e.g. no_decay, catch_up_3y"),
            click.option("--set", "overrides", multiple=True, help="fix a parameter: path=value (repeatable)"),
            click.option("--engine", type=click.Choice(["cohort", "microsim"]), default="cohort", show_default=True),
            INDIVIDUALS,
            SEED,
            click.option("--out", type=click.Path(file_okay=False), default=None,
                         help="output folder (default results/<scenario>_<command>[_microsim][_<structure>])"),
            FORMAT,
            EXCEL,
            click.option("--no-report", is_flag=True, help="skip the HTML/Markdown report"),
            REPORTS,
            click.option("--quiet", is_flag=True, help="no progress output"),
        ]):
            f = option(f)
        return f

    return wrap


def _horizons(text: str | None, loaded, default: str) -> list[float]:
    """--horizons, else the command's default; a model without the ledger (a textbook model) stops at its run's horizon."""
    from ipsecon.economics.evaluation import whole_cycle_horizons

    if text is None and loaded.model.employment_state is None:
        return whole_cycle_horizons(loaded)
    return _years(default if text is None else text, "--horizons")


def _out_for(loaded, command: str, engine: str, out) -> Path:
    out_dir = Path(out) if out else default_out(loaded.name, command, engine, loaded.structure)
    _check_out(out_dir)
    return out_dir


def _finish(ds, loaded, command: str, out_dir: Path, fmt: str, excel: bool, no_report: bool, reports_root: str,
            quiet: bool, text) -> None:
    """Write <out>/<command>.nc, its main table as <command>.csv and (``excel``) a workbook as one run; then the
    report; then print."""
    from ipsecon.output import tables as tables_io
    from ipsecon.output.results import run_identity, write_run
    from ipsecon.output.units import netcdf_bytes

    tables = getattr(tables_io, f"{command}_tables")(ds)
    files = {f"{command}.nc": netcdf_bytes(ds, f"{command}.nc"), f"{command}.csv": tables_io.to_csv(tables)}
    if excel:
        files[f"{command}.xlsx"] = tables_io.to_excel(tables, run_identity(ds.attrs))
    paths = write_run(out_dir, command, files, ds.attrs)
    paths.update(_report(out_dir, reports_root, quiet, no_report))
    header = {"command": command, "scenario": loaded.name, "structure": loaded.structure}
    _emit(fmt, header, tables, paths, text)


def _load_for_uncertainty(scenario, overrides, structure, quiet):
    from ipsecon.model.scenario import load_scenario
    from ipsecon.progress import set_quiet

    if quiet:
        set_quiet(True)
    return load_scenario(scenario, parse_overrides(overrides), structure)


@main.command()
@_uncertainty_options(_csv(HORIZONS), EVALUATION_PERSPECTIVES)
@click.option("--samples", type=click.IntRange(min=2), default=1000, show_default=True)
@click.option("--method", type=click.Choice(["random", "lhs", "sobol"]), default="random", show_default=True)
@click.option("--population", type=Finite(0), default=None,
              help="persons to scale EVPI/EVPPI to (default: the scenario's population size)")
@click.option("--wtp-max", type=Finite(0, low_open=True), default=None,
              help=f"top of the willingness-to-pay grid (default {WTP_MAX:,.0f} NOK per QALY; a model without the "
                   "ledger: 5 × its wtp)")
@click.option("--independent", is_flag=True, help="ignore declared correlations")
@click.option("--calendar-years", is_flag=True,
              help="an open population: each sample's calendar years and budgets too (runs every entry year per sample)")
def psa(scenario, horizons, perspectives, structure, overrides, engine, individuals, seed, out, fmt, excel, no_report,
        reports_root, quiet, samples, method, population, wtp_max, independent, calendar_years):
    """Probabilistic sensitivity analysis: CE plane, CEAC/CEAF, EVPI/EVPPI, break-even wage distribution."""
    from ipsecon import api
    from ipsecon.output import console

    loaded = _load_for_uncertainty(scenario, overrides, structure, quiet)
    out_dir = _out_for(loaded, "psa", engine, out)
    ds = api.psa(loaded, samples, seed, engine, individuals, method=method, horizons=_horizons(horizons, loaded, _csv(HORIZONS)),
                 perspectives=perspectives, wtp=None if wtp_max is None else wtp_grid(wtp_max), population=population,
                 correlated=not independent, calendar_years=calendar_years,
                 quiet=quiet)
    _finish(ds, loaded, "psa", out_dir, fmt, excel, no_report, reports_root, quiet,
            lambda: console.psa(ds, loaded.name, loaded.spec.price_year))


@main.command()
@_uncertainty_options(_csv(SENSITIVITY_HORIZONS), HEADLINE_PERSPECTIVES)
@click.option("--param", "params_", multiple=True, help="glob of parameters to vary (default: all uncertain ones)")
@click.option("--pair", "pairs", multiple=True, help="two-way grid for A,B (repeatable)")
@click.option("--grid", type=click.IntRange(min=2, max=41), default=7, show_default=True, help="points per axis in two-way grids")
@click.option("--coverage", type=Finite(0.5, 0.999), default=0.95, show_default=True,
              help="central interval of each distribution used as its range (where no bounds are declared)")
@click.option("--wtp", type=Finite(0), default=None, help="NOK per QALY for INMB (default: the QALY value; a model "
              "without the ledger: its wtp:, per unit of effect)")
def dsa(scenario, horizons, perspectives, structure, overrides, engine, individuals, seed, out, fmt, excel, no_report,
        reports_root, quiet, params_, pairs, grid, coverage, wtp):
    """One-way (tornado) and two-way sensitivity on incremental NPV, INMB and the break-even wage."""
    from ipsecon import api
    from ipsecon.output import console

    loaded = _load_for_uncertainty(scenario, overrides, structure, quiet)
    parsed = []
    for p in pairs:
        parts = [x.strip() for x in p.split(",")]
        if len(parts) != 2:
            raise InputError("--pair", p[:80], "expected two parameter names separated by a comma", "e.g. --pair a.b,c.d")
        parsed.append(tuple(parts))
    out_dir = _out_for(loaded, "dsa", engine, out)
    ds = api.dsa(loaded, params_, engine, individuals, seed, coverage=coverage, pairs=parsed, grid=grid,
                 horizons=_horizons(horizons, loaded, _csv(SENSITIVITY_HORIZONS)), perspectives=perspectives, wtp=wtp,
                 quiet=quiet)
    _finish(ds, loaded, "dsa", out_dir, fmt, excel, no_report, reports_root, quiet, lambda: console.dsa(ds))


@main.command()
@_uncertainty_options(_csv(SENSITIVITY_HORIZONS), HEADLINE_PERSPECTIVES)
@click.option("--base-samples", type=click.IntRange(min=2, max=2**20), default=64, show_default=True,
              help="N of the Saltelli design (a power of two); runs = N(D+2), or N(2D+2) with --second-order")
@click.option("--second-order", is_flag=True, help="also second-order indices")
@click.option("--group-by", type=click.Choice(["parameter", "family"]), default="family", show_default=True,
              help="inputs: parameter families (ips.cost, utilities, …; a quick first look) or single parameters")
@click.option("--param", "params_", multiple=True, help="glob of parameters to include (default: all uncertain ones)")
@click.option("--resamples", type=click.IntRange(min=10, max=100_000), default=200, show_default=True,
              help="bootstrap resamples for CIs")
def sobol(scenario, horizons, perspectives, structure, overrides, engine, individuals, seed, out, fmt, excel, no_report,
          reports_root, quiet, base_samples, second_order, group_by, params_, resamples):
    """Sobol' first-order and total indices (SALib) of incremental NPV and break-even wage, per horizon."""
    from ipsecon import api
    from ipsecon.output import console

    loaded = _load_for_uncertainty(scenario, overrides, structure, quiet)
    out_dir = _out_for(loaded, "sobol", engine, out)
    ds = api.sobol(loaded, base_samples, params_, engine, individuals, seed, second_order=second_order,
                   horizons=_horizons(horizons, loaded, _csv(SENSITIVITY_HORIZONS)), perspectives=perspectives, group_by=group_by,
                   num_resamples=resamples, quiet=quiet)
    _finish(ds, loaded, "sobol", out_dir, fmt, excel, no_report, reports_root, quiet, lambda: console.sobol(ds, loaded.name))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--parameter", "name", required=True, help="the parameter to vary, e.g. hiv.drug.lam")
@click.option("--range", "value_range", nargs=2, type=Finite(), default=None,
              help="LOW HIGH to search (default: its bounds:, else its distribution's central 95 %%)")
@click.option("--horizons", default=None, help="comma-separated years (default: the standard ones up to the run's)")
@click.option("--perspective", "perspectives", multiple=True, default=HEADLINE_PERSPECTIVES, show_default=True,
              type=click.Choice(ALL_PERSPECTIVES), help="IPS ledger only: whose incremental NPV (repeatable)")
@click.option("--grid", type=click.IntRange(min=3, max=1001), default=21, show_default=True,
              help="values evaluated across the range before each sign change is refined (brentq)")
@click.option("--structure", default=None, help="structural alternative of the model (model.structures)")
@click.option("--set", "overrides", multiple=True, help="fix a parameter: path=value (repeatable)")
@click.option("--engine", type=click.Choice(["cohort", "microsim"]), default=None, help="default: the scenario's run.engine")
@INDIVIDUALS
@SEED
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="output folder (default results/<scenario>_threshold[_microsim][_<structure>])")
@FORMAT
@EXCEL
@click.option("--quiet", is_flag=True, help="no progress output")
def threshold(scenario, name, value_range, horizons, perspectives, grid, structure, overrides, engine, individuals, seed,
              out, fmt, excel, quiet):
    """The value of a parameter at which the intervention's incremental NMB (IPS ledger: a perspective's
    incremental NPV) is zero, per horizon; says when no value in the range is."""
    from ipsecon.output import console
    from ipsecon.output import tables as tables_io
    from ipsecon.output.provenance import run_attributes
    from ipsecon.output.results import run_identity, write_run
    from ipsecon.uncertainty.threshold import run_threshold

    loaded = _load_for_uncertainty(scenario, overrides, structure, quiet)
    engine = engine or loaded.spec.run.engine
    out_dir = _out_for(loaded, "threshold", engine, out)
    years = None if horizons is None else _years(horizons, "--horizons")
    table = run_threshold(loaded, name, value_range, years, perspectives, grid, engine, individuals, seed, quiet=quiet)
    attrs = run_attributes(loaded, engine, seed, individuals, float(table["horizon"].max()), "threshold", card=False)
    files = {"threshold.csv": table.to_csv(index=False)}
    if excel:
        files["threshold.xlsx"] = tables_io.to_excel({"threshold": table}, run_identity(attrs))
    paths = write_run(out_dir, "threshold", files, attrs)
    header = {"command": "threshold", "scenario": loaded.name, "parameter": name, **table.attrs}
    _emit(fmt, header, {"threshold": table}, paths, lambda: console.threshold(table, loaded.name))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="fit and print, do not write the parameter file")
@FORMAT
def calibrate(scenario, dry_run, fmt):
    """Fit the parameters named in SCENARIO's calibration section to its targets."""
    import pandas as pd

    from ipsecon.engines.measures import verdict
    from ipsecon.uncertainty.calibrate import calibrate as fit

    result = fit(scenario, write=not dry_run)
    fitted = pd.DataFrame([{"label": t.label(), "target": t.value, "low": t.interval()[0], "high": t.interval()[1],
                            "model": value, "verdict": verdict(t, value), "source": t.source}
                           for t, value in result.fitted])
    values = pd.DataFrame({"parameter": list(result.values), "value": list(result.values.values())})

    def text():
        lines = [f"{name} = {value:.6g}" for name, value in result.values.items()]
        lines += [f"  {r.verdict} {r.label}: target {r.target:.3f} [{r.low:.3f}, {r.high:.3f}], model {r.model:.4f}"
                  for r in fitted.itertuples()]
        return "\n".join(lines)

    files = {} if dry_run else {"parameters": result.output}
    _emit(fmt, {"command": "calibrate", "scenario": str(scenario)}, {"values": values, "targets": fitted}, files, text)
    if not result.all_within_tolerance:
        sys.exit(1)


@main.command()
@click.argument("scenarios", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--targets", "with_targets", is_flag=True,
              help="run each scenario and compare it with every published figure it declares (PASS/MISS); "
                   "without SCENARIOS: every scenarios/*.yaml")
@FORMAT
def validate(scenarios, with_targets, fmt):
    """Check SCENARIOS (model, parameters, population, one cycle of every formula) without running them."""
    from ipsecon.engines.simulate import simulate as run
    from ipsecon.model.scenario import load_scenario

    if not scenarios and with_targets:
        scenarios = tuple(str(p) for p in sorted(Path("scenarios").glob("*.yaml")))
    if not scenarios:
        raise InputError("SCENARIOS", None, "no scenario given", "one or more scenario files, or --targets alone for all")
    if with_targets:
        import pandas as pd

        from ipsecon import api
        from ipsecon.output import console

        rows = api.validation(scenarios)
        table = pd.DataFrame(rows)

        def text():
            lines = []
            for name in dict.fromkeys(r["scenario"] for r in rows):
                lines.append(f"{name}:")
                lines.append(console.targets_table([r for r in rows if r["scenario"] == name]))
            return "\n".join(lines) if lines else "no published figures declared"

        _emit(fmt, {"command": "validate", "scenarios": list(scenarios)}, {"targets": table}, {}, text)
        return
    facts, texts = [], []
    for scenario in scenarios:
        loaded = load_scenario(scenario)
        run(loaded, engine="cohort", horizon_years=loaded.model.cycle_years)
        _check_targets(loaded)
        spec = loaded.spec
        targets = list(spec.targets) + (list(spec.calibration.targets) if spec.calibration else [])
        assumed = sorted(n for n in loaded.overrides)
        facts.append({"scenario": loaded.name, "ok": True, "states": loaded.model.n_states,
                      "transitions": len(loaded.model.transitions), "strategies": len(loaded.model.strategies),
                      "subgroups": loaded.strata.size, "engine": spec.run.engine, "horizon_years": spec.run.horizon_years,
                      "population": spec.population.size, "start_year": spec.population.start_year,
                      "price_year": spec.price_year, "published_targets": len(targets), "overrides": ", ".join(assumed)})
        f = facts[-1]
        texts.append(f"{scenario}: ok ({f['states']} states, {f['transitions']} transitions, {f['strategies']} strategies, "
                     f"{f['subgroups']} subgroups)\n"
                     f"  run: {spec.run.engine} engine, {spec.run.horizon_years:g} years, population "
                     f"{spec.population.size:,} from {spec.population.start_year}, prices of {spec.price_year}; "
                     f"{len(targets)} published target(s)" + (f"; overrides: {', '.join(assumed)}" if assumed else ""))
    _emit(fmt, {"command": "validate"}, _frames(fmt, validation=facts), {}, lambda: "\n".join(texts))


def _check_targets(loaded) -> None:
    """Targets and calibration name real strategies, states and parameters, within the horizon."""
    spec, model = loaded.spec, loaded.model
    groups = [("targets", spec.targets)]
    if spec.calibration is not None:
        groups.append(("calibration.targets", spec.calibration.targets))
        for name in spec.calibration.parameters:
            if name not in loaded.parameters:
                raise InputError(loaded.file, f"calibration.parameters.{name}", "not a parameter", "see `ipsecon params`")
    for where, targets in groups:
        for i, t in enumerate(targets):
            path = f"{where}[{i}]"
            if t.strategy not in model.strategies:
                raise InputError(loaded.file, f"{path}.strategy", f"unknown strategy {t.strategy!r}", ", ".join(model.strategies))
            if t.is_total:  # reward_total / reward_difference
                if t.reward not in model.rewards:
                    raise InputError(loaded.file, f"{path}.reward", f"unknown reward {t.reward!r}", ", ".join(model.rewards))
                if t.versus is not None and t.versus not in model.strategies:
                    raise InputError(loaded.file, f"{path}.versus", f"unknown strategy {t.versus!r}", ", ".join(model.strategies))
            elif t.state not in model.states and t.state not in model.groups:
                raise InputError(loaded.file, f"{path}.state", f"unknown state or group {t.state!r}",
                                 ", ".join(model.states + list(model.groups)))
            if t.tracker is not None and t.tracker not in (trackers := [tk.name for tk in model.trackers]):
                raise InputError(loaded.file, f"{path}.tracker", f"unknown tracker {t.tracker!r}",
                                 ", ".join(trackers) or "the model declares none")
            if t.measure == "ever_in" and t.state not in model.spec.ever_in:
                raise InputError(loaded.file, f"{path}.state", f"{t.state!r} is not listed in model.ever_in",
                                 ", ".join(model.spec.ever_in) or "add it to model.ever_in")
            # no check against run.horizon_years: calibrate and validate --targets run to each figure's last month,
            # and a run with a shorter horizon leaves the figure out (output.results.target_rows)


@main.command()
@click.argument("pattern", required=False, default="*")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default="parameters", show_default=True)
@FORMAT
def params(pattern, directory, fmt):
    """List parameters matching PATTERN (glob, e.g. 'ips.*') with value, unit, distribution and source."""
    from ipsecon.inputs.parameters import load_parameters

    ps = load_parameters(directory)
    if "*" not in pattern and "?" not in pattern:
        pattern = f"*{pattern}*"
    matches = [n for n in ps.names() if fnmatch.fnmatch(n, pattern)]
    if not matches:
        import difflib

        close = difflib.get_close_matches(pattern.strip("*"), ps.names(), n=5, cutoff=0.5)
        raise InputError(directory, pattern[:80], "no parameter matches" + (f"; did you mean {', '.join(close)}?" if close else ""),
                         "a name part or a glob such as 'ips.cost.*'; `ipsecon params` lists all")
    from ipsecon.model.scenario import distribution_means

    means = distribution_means(ps)  # what a scenario's base case runs (run.base_case: mean, the default)
    rows = []
    for name in matches:
        p = ps[name]
        if p.table is not None:
            value = f"table by {p.table.key} ({len(p.table.rows)} rows × {', '.join(p.table.columns)})"
        elif p.values is not None:
            last = max(p.values)
            value = f"{p.values[last]:g} from {last} ({len(p.values)} dated values)"
        elif isinstance(p.value, dict):
            value = ", ".join(f"{k}={v:g}" for k, v in p.value.items())
        else:
            value = f"{p.value:g}"
        dist = ""
        if p.distribution is not None:
            fields = {k: v for k, v in p.distribution.model_dump().items() if v is not None and k != "type"}
            dist = f"{p.distribution.type}({', '.join(f'{k}={v}' for k, v in fields.items())})"
        base = ", ".join(f"{k.removeprefix(name + '.') if k != name else ''}{'=' if k != name else ''}{v:g}"
                         for k, v in means.items() if k == name or k.startswith(name + "."))
        rows.append({"name": name, "value": value, "unit": p.unit, "distribution": dist,
                     "base_case_mean": base if base and base != value else "",
                     "description": " ".join(p.description.split()), "evidence": p.evidence, "source": p.source})

    def text():
        return "\n".join(f"{r['name']} = {r['value']} [{r['unit']}]" + (f"  ~ {r['distribution']}" if r["distribution"] else "")
                         + (f"  (base case runs the mean: {r['base_case_mean']})" if r["base_case_mean"] else "")
                         + f"\n    {r['description']}\n    {r['evidence']}: {r['source']}" for r in rows)

    _emit(fmt, {"command": "params", "pattern": pattern}, _frames(fmt, parameters=rows), {}, text)


# --- ipsecon sweep (batch of scenarios × overrides × samples on Dask; see sweep.py) -----------

@main.command()
@click.argument("sweep_file", metavar="SWEEP.yaml", type=click.Path(dir_okay=False))
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="local Dask workers (processes, 1 thread each); default the usable cores; 0 = no Dask, in this process")
@click.option("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://host:8786")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="output folder (default results/sweeps/<file>)")
@click.option("--resume", is_flag=True, help="continue an interrupted sweep: skip finished units, redo the rest")
@click.option("--overwrite", is_flag=True, help="replace an existing sweep output")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None, help="samples per work unit")
@click.option("--quiet", is_flag=True, help="no progress output")
@FORMAT
def sweep(sweep_file, workers, scheduler, out, resume, overwrite, chunk_size, quiet, fmt):
    """Run SWEEP.yaml (scenarios × overrides × samples) into OUT/sweep.zarr."""
    from ipsecon.progress import set_quiet
    from ipsecon.sweep.run import run_sweep

    if resume and overwrite:
        raise InputError("--resume/--overwrite", None, "give one of them, not both")
    if quiet:
        set_quiet(True)
    r = run_sweep(sweep_file, out, workers=workers, scheduler=scheduler, resume=resume, overwrite=overwrite,
                  chunk_size=chunk_size, quiet=quiet or None)
    info = r.info
    from ipsecon.sweep.folder import SUMMARY_NAME
    from ipsecon.sweep.summary import format_summary

    def text():
        where = f"scheduler {scheduler}" if scheduler else (f"{r.workers} local workers" if r.workers else "this process")
        seed = f", seed {info['seed']}" if info.get("seed") is not None else ""
        return (f"{len(info['scenarios'])} scenarios × {len(info['overrides'])} overrides × {info['n_samples']} samples: "
                f"{r.units} units of ≤ {info['chunk_size']} samples, {r.computed} computed ({where}), "
                f"{r.skipped} already done; {r.seconds:.1f} s ({r.compute_seconds:.1f} s from the workers being up)\n"
                + (f"\nIncremental NMB per person (a model without the ledger, perspective 'model': its own currency at its "
                   f"wtp, discounted; intervention − comparator) over the samples ({info['method']}{seed}):\n"
                   if set(r.summary["perspective"]) == {"model"} else
                   f"\nIncremental NPV per person (NOK, discounted; intervention − comparator) over the samples "
                   f"({info['method']}{seed}); median break-even wage in NOK per year:\n") + format_summary(r.summary) + "\n")

    header = {"command": "sweep", "sweep_file": str(sweep_file), "units": r.units, "computed": r.computed,
              "skipped": r.skipped, "seconds": r.seconds, "compute_seconds": r.compute_seconds, "workers": r.workers}
    _emit(fmt, header, {"summary": r.summary}, {"store": r.store, "summary": r.store.parent / SUMMARY_NAME}, text)
