"""Command line: ``ipsecon simulate | calibrate | validate | params``.

Bad input ends with one line on stderr naming the file, field, problem and what is
allowed, and exit code 2 — never a traceback, and nothing half-written.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from pathlib import Path

import click

from . import __version__
from .errors import InputError


def _fail(exc: InputError) -> None:
    click.echo(f"error: {exc.message()}", err=True)
    sys.exit(2)


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for item in pairs:
        if "=" not in item:
            raise InputError("--set", item, "expected path=value", "e.g. --set ips.cost.caseload=15")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise InputError("--set", key.strip(), f"value {value!r} is not a number") from None
    return out


class Guarded(click.Group):
    """Turns InputError from any command into a clear message and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            _fail(exc)


@click.group(cls=Guarded)
@click.version_option(__version__, prog_name="ipsecon")
def main():
    """ipsecon — health-economic microsimulation of IPS (individuell jobbstøtte) in Norway."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--engine", type=click.Choice(["cohort", "microsim"]), default=None, help="default: the scenario's run.engine")
@click.option("--individuals", type=click.IntRange(min=1), default=None, help="microsim population size")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="random seed (microsim)")
@click.option("--horizon", type=click.FloatRange(min=0, min_open=True, max=100), default=None, help="years")
@click.option("--set", "overrides", multiple=True, help="override a parameter: path=value (repeatable)")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="output folder (default results/<scenario>)")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--no-report", is_flag=True, help="skip the break-even wages and the HTML/Markdown report")
@click.option("--reports", "reports_root", type=click.Path(file_okay=False), default="reports", show_default=True,
              help="folder for reports (<folder>/<scenario>/)")
@click.option("--quiet", is_flag=True, help="no progress output")
def simulate(scenario, engine, individuals, seed, horizon, overrides, out, fmt, no_report, reports_root, quiet):
    """Run SCENARIO and write results.nc, occupancy.csv, summary.csv, breakeven.csv and a report."""
    from .results import summary_frame, target_rows, write_results
    from .scenario import load_scenario
    from .simulate import simulate as run

    loaded = load_scenario(scenario, parse_overrides(overrides))
    sim = run(loaded, engine=engine, individuals=individuals, seed=seed, horizon_years=horizon)
    out_dir = Path(out) if out else Path("results") / loaded.name
    economics_table, extra = None, None
    if loaded.model.employment_state is not None:  # the payer ledger applies to labour-market models
        economics_table, extra = _economics(sim)
    paths = write_results(sim, out_dir, extra)
    if not no_report:
        paths.update(_report_after_simulate(sim, out_dir, economics_table is not None, reports_root, quiet))
    summary = summary_frame(sim)
    targets = target_rows(sim)
    if fmt == "json":
        click.echo(json.dumps({"scenario": loaded.name, "engine": sim.trace.engine, "summary": summary.to_dict(orient="index"),
                               "economics": None if economics_table is None else economics_table.to_dict(orient="records"),
                               "validation_targets": targets, "files": {k: str(v) for k, v in paths.items()}}, indent=2,
                              default=lambda x: None if x != x else x))
        return
    click.echo(f"{loaded.spec.title}  [{loaded.name}, {sim.trace.engine}, horizon {sim.horizon_years:g} years"
               + (f", {sim.individuals} individuals, seed {sim.seed}" if sim.individuals else "") + "]")
    click.echo(_format_summary(summary))
    if economics_table is not None:
        click.echo(_format_economics(economics_table, loaded.spec.price_year))
    if targets:
        click.echo("Validation targets (not fitted):")
        for t in targets:
            click.echo(f"  {t['measure']} {t['state']} [{t['strategy']}] month {t['month']}: published {t['target']:.1%}, "
                       f"model {t['model']:.1%}  — {t['source']}")
    for k, v in paths.items():
        click.echo(f"wrote {v}")


REPORT_HORIZONS = (1.5, 3.0, 5.0, 10.0, 20.0, 40.0)


def _report_after_simulate(sim, out_dir: Path, has_ledger: bool, reports_root: str, quiet: bool) -> dict[str, Path]:
    """Break-even wage per horizon (society, public purse, NAV) into breakeven.csv, then the report."""
    from .progress import set_quiet
    from .report import write_report
    from .results import _atomic_write

    if quiet:
        set_quiet(True)
    paths = {}
    if has_ledger and len(sim.scenario.model.strategies) > 1:
        from .breakeven import breakeven_table

        horizons = sorted({h for h in REPORT_HORIZONS if h < sim.horizon_years - 1e-9} | {float(sim.horizon_years)})
        table = breakeven_table({sim.scenario.name: sim}, ("society", "public", "nav"), horizons)
        paths["breakeven"] = out_dir / "breakeven.csv"
        _atomic_write(paths["breakeven"], lambda p: table.to_csv(p, index=False))
    report = write_report(out_dir, Path(reports_root), quiet=quiet)
    return {**paths, "report": report["html"], "report_markdown": report["markdown"]}


def _economics(sim):
    """Ledger and outcomes per perspective; returns (incremental table, Dataset to store)."""
    import numpy as np
    import xarray as xr

    from . import economics
    from .ledger import build_ledger

    ledger = build_ledger(sim)
    qaly_value = ledger.qaly_value
    outcomes = economics.evaluate(ledger, wtp=qaly_value)
    summary = outcomes["summary"]
    extra = xr.Dataset({"ledger": ledger.to_xarray()})
    # QALYs per month (undiscounted, per person) so a report can draw society's net over time
    extra["qalys_per_month"] = xr.DataArray(ledger.qalys, dims=("sample", "strategy", "month"),
                                            coords={k: extra["ledger"][k] for k in ("sample", "strategy", "month")},
                                            attrs={"units": "QALYs per person per cycle, undiscounted",
                                                   "value_per_qaly": float(np.mean(qaly_value)),
                                                   "value_units": f"NOK ({ledger.price_year}) per QALY"})
    tidy = summary.set_index(["sample", "perspective", "strategy"]).to_xarray().isel(sample=0, drop=True)
    for name in tidy.data_vars:
        extra[f"outcome_{name}"] = tidy[name]
    extra.attrs["willingness_to_pay_per_qaly"] = float(qaly_value)
    comparator = sim.trace.strategies[0]
    table = summary[(summary["sample"] == 0) & (summary["strategy"] != comparator)]
    return table, extra


def _format_economics(table, price_year: int) -> str:
    lines = [f"Economics per person, discounted, NOK {price_year} (vs {{}}):".format("usual care"),
             "  " + "perspective".ljust(13) + "strategy".ljust(10) + "incr. NPV".rjust(13) + "BCR".rjust(8)
             + "payback".rjust(10)]
    for _, row in table.iterrows():
        bcr = "" if row["bcr"] != row["bcr"] else f"{row['bcr']:.2f}"
        payback = "never" if row["payback_month"] != row["payback_month"] else f"m{int(row['payback_month'])}"
        lines.append("  " + str(row["perspective"]).ljust(13) + str(row["strategy"]).ljust(10)
                     + f"{row['incremental_npv']:13,.0f}" + bcr.rjust(8) + payback.rjust(10))
    lines.append("  (society includes QALYs valued at economics.qaly_value; 'payback' = month the cumulative "
                 "discounted incremental net turns and stays positive)")
    return "\n".join(lines)


def _format_summary(summary) -> str:
    lines = []
    emp = [c for c in summary.columns if c.startswith("employed_m") and not c.endswith("_se")]
    if emp:
        lines.append("Share in competitive employment at month:")
        header = "  " + "strategy".ljust(12) + "".join(c.replace("employed_m", "m").rjust(16) for c in emp)
        lines.append(header)
        for strategy, row in summary.iterrows():
            cells = []
            for c in emp:
                text = f"{row[c]:.1%}"
                if f"{c}_se" in summary.columns:
                    text += f" ±{row[f'{c}_se']:.1%}"
                cells.append(text.rjust(16))
            lines.append("  " + str(strategy).ljust(12) + "".join(cells))
    pm = [c for c in summary.columns if c.startswith("person_months_")]
    lines.append("Person-months per person in each state:")
    lines.append("  " + "strategy".ljust(12) + "".join(c.replace("person_months_", "").rjust(11) for c in pm))
    for strategy, row in summary.iterrows():
        lines.append("  " + str(strategy).ljust(12) + "".join(f"{row[c]:11.2f}" for c in pm))
    rewards = [c for c in summary.columns if c.endswith("_discounted")]
    if rewards:
        lines.append("Discounted totals per person:")
        for strategy, row in summary.iterrows():
            parts = []
            for c in rewards:
                text = f"{c.replace('_discounted', '')} {row[c]:,.4g}"
                if f"{c}_se" in summary.columns:
                    text += f" (MC se {row[f'{c}_se']:,.2g})"
                parts.append(text)
            lines.append("  " + str(strategy).ljust(12) + "; ".join(parts))
    return "\n".join(lines)


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--perspective", "perspectives", multiple=True, default=("society", "public", "nav"), show_default=True,
              type=click.Choice(["nav", "health", "municipality", "state", "public", "individual", "employer", "society"]))
@click.option("--horizons", default="1.5,3,5,10,20,40", show_default=True, help="comma-separated years")
@click.option("--engine", type=click.Choice(["cohort", "microsim"]), default="cohort", show_default=True)
@click.option("--set", "overrides", multiple=True, help="override a parameter in every scenario: path=value")
@click.option("--out", type=click.Path(file_okay=False), default="results/breakeven", show_default=True)
@click.option("--no-report", is_flag=True, help="skip the HTML/Markdown report")
@click.option("--reports", "reports_root", type=click.Path(file_okay=False), default="reports", show_default=True,
              help="folder for reports (<folder>/<scenario>/)")
@click.option("--quiet", is_flag=True, help="no progress output")
def breakeven(scenarios, perspectives, horizons, engine, overrides, out, no_report, reports_root, quiet):
    """Break-even gross annual wage of IPS vs usual care, per scenario, perspective and horizon."""
    import xarray as xr

    from .breakeven import breakeven_table
    from .figures import breakeven_figure
    from .results import _atomic_write
    from .scenario import load_scenario
    from .simulate import simulate as run

    try:
        years = sorted({float(h) for h in horizons.split(",") if h.strip()})
    except ValueError:
        raise InputError("--horizons", horizons, "expected comma-separated numbers of years", "e.g. 1.5,5,10,40") from None
    if not years or years[0] <= 0 or years[-1] > 100:
        raise InputError("--horizons", horizons, "horizons must be in (0, 100] years")
    extra = parse_overrides(overrides)
    from .progress import Progress, set_quiet

    if quiet:
        set_quiet(True)
    sims, files = {}, {}
    with Progress("scenarios simulated", total=len(scenarios)) as bar:
        for path in scenarios:
            loaded = load_scenario(path, extra)
            sims[loaded.name] = run(loaded, engine=engine, horizon_years=years[-1])
            files[loaded.name] = str(path)
            bar.advance()
    table = breakeven_table(sims, perspectives, years)
    out_dir = Path(out)
    _atomic_write(out_dir / "breakeven.csv", lambda p: table.to_csv(p, index=False))
    ds = xr.Dataset.from_dataframe(table.set_index(["scenario", "perspective", "horizon_years"])[["breakeven_wage"]])
    ds["breakeven_wage"].attrs["units"] = "NOK per year (gross), price year of each scenario"
    first = next(iter(sims.values())).scenario
    typical = first.base_values().get("wages.ips_annual_gross_wage")
    # for the report: where the scenarios came from, their prices and the wage assumed for the group
    ds.attrs.update(scenario_files=json.dumps(files), price_year=int(first.spec.price_year), engine=engine,
                    overrides=json.dumps(extra), typical_wage=float(typical) if typical is not None else float("nan"))
    _atomic_write(out_dir / "breakeven.nc", lambda p: ds.to_netcdf(p, engine="h5netcdf"))
    breakeven_figure(table, out_dir / "breakeven.png", first.spec.price_year, typical)
    label = table.apply(lambda r: f"{r['breakeven_wage']:,.0f}" if r["breakeven_wage"] == r["breakeven_wage"]
                        else ("any wage" if r["npv_at_low"] > 0 else "none"), axis=1)
    pivot = table.assign(label=label).pivot(index=["scenario", "perspective"], columns="horizon_years", values="label")
    click.echo(f"Break-even gross annual wage (NOK per year, {first.spec.price_year} prices; 'any wage' = pays off even "
               f"at 0, 'none' = no wage up to the bracket's top breaks even):")
    click.echo("  " + "scenario / perspective".ljust(28) + "".join(f"{h:>10g}y" for h in pivot.columns))
    for (scenario, perspective), row in pivot.iterrows():
        click.echo("  " + f"{scenario} / {perspective}".ljust(28) + "".join(str(v).rjust(11) for v in row))
    for _, r in table[table["breakeven_wage"].isna()].drop_duplicates(["scenario", "perspective", "reason"]).iterrows():
        click.echo(f"  - {r['scenario']} / {r['perspective']} at {r['horizon_years']:g}y: {r['reason']}")
    click.echo(f"wrote {out_dir / 'breakeven.csv'}, {out_dir / 'breakeven.nc'}, {out_dir / 'breakeven.png'}")
    if not no_report:
        from .report import write_report

        report = write_report(out_dir, Path(reports_root), quiet=quiet)
        click.echo(f"wrote {report['html']}, {report['markdown']}")


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--reports", "reports_root", type=click.Path(file_okay=False), default="reports", show_default=True,
              help="folder for reports (<folder>/<scenario>/)")
@click.option("--quiet", is_flag=True, help="no progress output")
def report(results_dir, reports_root, quiet):
    """Write an HTML report (self-contained) and a Markdown twin for RESULTS_DIR.

    Reads whatever the folder holds: results.nc, summary.csv, breakeven.csv, psa.nc, dsa.nc, sobol.nc.
    """
    from .report import write_report

    paths = write_report(Path(results_dir), Path(reports_root), quiet=quiet)
    click.echo(f"wrote {paths['html']}")
    click.echo(f"wrote {paths['markdown']} (figures in {paths['figures']})")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="fit and print, do not write the parameter file")
def calibrate(scenario, dry_run):
    """Fit the parameters named in SCENARIO's calibration section to its targets."""
    from .calibrate import calibrate as fit

    result = fit(scenario, write=not dry_run)
    for name, value in result.values.items():
        click.echo(f"{name} = {value:.6g}")
    for target, value in result.fitted:
        ok = "ok" if abs(value - target.value) <= target.tolerance else "OUTSIDE TOLERANCE"
        click.echo(f"  {target.measure} {target.state} [{target.strategy}] month {target.month}: "
                   f"target {target.value:.3f}, model {value:.4f} ({ok})")
    if not dry_run:
        click.echo(f"wrote {result.output}")
    if not result.all_within_tolerance:
        sys.exit(1)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
def validate(scenario):
    """Check SCENARIO (model, parameters, population, one cycle of every formula) without running it."""
    from .scenario import load_scenario
    from .simulate import simulate as run

    loaded = load_scenario(scenario)
    run(loaded, engine="cohort", horizon_years=loaded.model.cycle_years)
    _check_targets(loaded)
    spec = loaded.spec
    click.echo(f"{scenario}: ok ({loaded.model.n_states} states, {len(loaded.model.transitions)} transitions, "
               f"{len(loaded.model.strategies)} strategies, {loaded.strata.size} subgroups)")
    targets = list(spec.targets) + (list(spec.calibration.targets) if spec.calibration else [])
    assumed = sorted(n for n in loaded.overrides)
    click.echo(f"  run: {spec.run.engine} engine, {spec.run.horizon_years:g} years, population {spec.population.size:,} "
               f"from {spec.population.start_year}, prices of {spec.price_year}; {len(targets)} published target(s)"
               + (f"; overrides: {', '.join(assumed)}" if assumed else ""))


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
            if t.state not in model.states:
                raise InputError(loaded.file, f"{path}.state", f"unknown state {t.state!r}", ", ".join(model.states))
            if t.measure == "ever_in" and t.state not in model.spec.ever_in:
                raise InputError(loaded.file, f"{path}.state", f"{t.state!r} is not listed in model.ever_in",
                                 ", ".join(model.spec.ever_in) or "add it to model.ever_in")
            if t.month > spec.run.horizon_years * 12 + 1e-9:
                raise InputError(loaded.file, f"{path}.month", f"month {t.month} is beyond run.horizon_years "
                                 f"({spec.run.horizon_years:g} years)", "a month within the horizon")


@main.command()
@click.argument("pattern", required=False, default="*")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default="parameters", show_default=True)
def params(pattern, directory):
    """List parameters matching PATTERN (glob, e.g. 'ips.*') with value, unit, distribution and source."""
    from .parameters import load_parameters

    ps = load_parameters(directory)
    if "*" not in pattern and "?" not in pattern:
        pattern = f"*{pattern}*"
    matches = [n for n in ps.names() if fnmatch.fnmatch(n, pattern)]
    if not matches:
        import difflib

        close = difflib.get_close_matches(pattern.strip("*"), ps.names(), n=5, cutoff=0.5)
        raise InputError(directory, pattern, "no parameter matches" + (f"; did you mean {', '.join(close)}?" if close else ""),
                         "a name part or a glob such as 'ips.cost.*'; `ipsecon params` lists all")
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
            dist = f"  ~ {p.distribution.type}({', '.join(f'{k}={v}' for k, v in fields.items())})"
        description = " ".join(p.description.split())
        click.echo(f"{name} = {value} [{p.unit}]{dist}\n    {description}\n    {p.evidence}: {p.source}")
