"""Command line: ``ipsecon simulate | breakeven | psa | dsa | sobol | sweep | report | calibrate | validate | params``.

Bad input ends with one line on stderr naming the file, field, problem and what is
allowed, and exit code 2 — never a traceback, and nothing half-written.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from pathlib import Path

import click

from ipsecon import __version__
from ipsecon.errors import InputError


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
        from ipsecon import progress

        quiet = progress.is_quiet()
        try:
            return super().invoke(ctx)
        except InputError as exc:
            _fail(exc)
        finally:  # --quiet is for one command: do not leak it into the next call in this process (tests, scripts)
            progress.set_quiet(quiet)


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
    from ipsecon.output.results import summary_frame, target_rows, write_results
    from ipsecon.model.scenario import load_scenario
    from ipsecon.engines.simulate import simulate as run

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
    from ipsecon.progress import set_quiet
    from ipsecon.output.report import write_report
    from ipsecon.output.results import _atomic_write

    if quiet:
        set_quiet(True)
    paths = {}
    if has_ledger and len(sim.scenario.model.strategies) > 1:
        from ipsecon.economics.breakeven import breakeven_table

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

    from ipsecon.economics import evaluation as economics
    from ipsecon.money.ledger import build_ledger

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

    from ipsecon.economics.breakeven import breakeven_table
    from ipsecon.output.figures import breakeven_figure
    from ipsecon.output.results import _atomic_write
    from ipsecon.model.scenario import load_scenario
    from ipsecon.engines.simulate import simulate as run

    try:
        years = sorted({float(h) for h in horizons.split(",") if h.strip()})
    except ValueError:
        raise InputError("--horizons", horizons, "expected comma-separated numbers of years", "e.g. 1.5,5,10,40") from None
    if not years or years[0] <= 0 or years[-1] > 100:
        raise InputError("--horizons", horizons, "horizons must be in (0, 100] years")
    extra = parse_overrides(overrides)
    from ipsecon.progress import Progress, set_quiet

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
        from ipsecon.output.report import write_report

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
    from ipsecon.output.report import write_report

    paths = write_report(Path(results_dir), Path(reports_root), quiet=quiet)
    click.echo(f"wrote {paths['html']}")
    click.echo(f"wrote {paths['markdown']} (figures in {paths['figures']})")


# --- uncertainty: psa, dsa, sobol --------------------------------------------------------------

def _years(text: str, option: str) -> list[float]:
    try:
        years = sorted({float(h) for h in text.split(",") if h.strip()})
    except ValueError:
        raise InputError(option, text, "expected comma-separated numbers of years", "e.g. 5,10,20,40") from None
    if not years or years[0] <= 0 or years[-1] > 100:
        raise InputError(option, text, "horizons must be in (0, 100] years")
    return years


def _uncertainty_options(default_horizons: str, default_perspectives: tuple[str, ...]):
    """Options shared by psa, dsa and sobol."""
    from ipsecon.money.ledger import PERSPECTIVES

    def wrap(f):
        for option in reversed([
            click.argument("scenario", type=click.Path(dir_okay=False)),
            click.option("--horizons", default=default_horizons, show_default=True, help="comma-separated years"),
            click.option("--perspective", "perspectives", multiple=True, default=default_perspectives, show_default=True,
                         type=click.Choice(PERSPECTIVES), help="repeatable"),
            click.option("--structure", default=None, help="structural alternative of the model (model.structures), "
                                                           "e.g. no_decay, catch_up_3y"),
            click.option("--set", "overrides", multiple=True, help="fix a parameter: path=value (repeatable)"),
            click.option("--engine", type=click.Choice(["cohort", "microsim"]), default="cohort", show_default=True),
            click.option("--individuals", type=click.IntRange(min=1), default=None, help="microsim population size"),
            click.option("--seed", type=click.IntRange(min=0), default=None, help="default: the scenario's run.seed"),
            click.option("--out", type=click.Path(file_okay=False), default=None,
                         help="output folder (default results/<scenario>_<command>)"),
            click.option("--no-report", is_flag=True, help="skip the HTML/Markdown report"),
            click.option("--reports", "reports_root", type=click.Path(file_okay=False), default="reports",
                         show_default=True, help="folder for reports (<folder>/<scenario>/)"),
            click.option("--quiet", is_flag=True, help="no progress output"),
        ]):
            f = option(f)
        return f

    return wrap


def _finish(ds, loaded, command: str, out, no_report: bool, reports_root: str, quiet: bool) -> Path:
    """Write <out>/<command>.nc atomically with provenance, then the report."""
    from ipsecon.output.results import _atomic_write

    out_dir = Path(out) if out else Path("results") / f"{loaded.name}_{command}"
    ds.attrs.update(scenario_file=str(loaded.file), scenario_hash=loaded.digest, ipsecon_version=__version__,
                    overrides=json.dumps(loaded.overrides), structure=loaded.structure or "default",
                    command=" ".join(sys.argv[1:]) or command)
    path = out_dir / f"{command}.nc"
    _atomic_write(path, lambda p: ds.to_netcdf(p, engine="h5netcdf"))
    click.echo(f"wrote {path}")
    if not no_report:
        from ipsecon.output.report import write_report

        paths = write_report(out_dir, Path(reports_root), quiet=quiet)
        click.echo(f"wrote {paths['html']}, {paths['markdown']}")
    return path


def _load_for_uncertainty(scenario, overrides, structure, quiet):
    from ipsecon.progress import set_quiet
    from ipsecon.model.scenario import load_scenario

    if quiet:
        set_quiet(True)
    return load_scenario(scenario, parse_overrides(overrides), structure)


def _money(x: float) -> str:
    return "n/a" if x != x else f"{x:,.0f}"


@main.command()
@_uncertainty_options("1.5,3,5,10,20,40", ("nav", "health", "municipality", "state", "public", "individual", "society"))
@click.option("--samples", type=click.IntRange(min=2), default=1000, show_default=True)
@click.option("--method", type=click.Choice(["random", "lhs", "sobol"]), default="random", show_default=True)
@click.option("--population", type=click.FloatRange(min=0), default=None,
              help="persons to scale EVPI/EVPPI to (default: the scenario's population size)")
@click.option("--wtp-max", type=click.FloatRange(min=0, min_open=True), default=2_000_000, show_default=True,
              help="top of the willingness-to-pay grid, NOK per QALY")
@click.option("--independent", is_flag=True, help="ignore declared correlations")
def psa(scenario, horizons, perspectives, structure, overrides, engine, individuals, seed, out, no_report, reports_root,
        quiet, samples, method, population, wtp_max, independent):
    """Probabilistic sensitivity analysis: CE plane, CEAC/CEAF, EVPI/EVPPI, break-even wage distribution."""
    import numpy as np

    from ipsecon.uncertainty.psa import run_psa

    loaded = _load_for_uncertainty(scenario, overrides, structure, quiet)
    ds = run_psa(loaded, samples, seed, method, _years(horizons, "--horizons"), perspectives,
                 np.linspace(0, wtp_max, 41), population, engine, individuals, correlated=not independent, quiet=quiet)
    h, wtp = ds.horizon.values, ds.attrs["wtp_default"]
    click.echo(f"PSA of {loaded.name}: {samples} samples ({method}), NOK per person discounted, "
               f"{loaded.spec.price_year} prices; {ds.attrs['intervention']} vs {ds.attrs['comparator']}")
    click.echo("  P(incremental NPV > 0)".ljust(28) + "".join(f"{x:>10g}y" for x in h))
    for p in ds.perspective.values:
        click.echo(f"    {p}".ljust(28) + "".join(f"{v:>11.2f}" for v in ds.prob_pays_off.sel(perspective=p).values))
    click.echo("  mean incremental NPV".ljust(28) + "".join(f"{x:>10g}y" for x in h))
    for p in ds.perspective.values:
        click.echo(f"    {p}".ljust(28) + "".join(_money(v).rjust(11) for v in ds.inc_npv.sel(perspective=p).mean("sample").values))
    if "society" in ds.perspective.values:
        w = ds.breakeven_wage.sel(perspective="society")
        st = ds.breakeven_status.sel(perspective="society")
        # samples with no root are censored at the bracket ends for the quantiles
        cens = w.where(st != 1, ds.attrs["bracket_low"]).where(st != 2, ds.attrs["bracket_high"])
        click.echo("  society break-even wage".ljust(28) + "".join(f"{x:>10g}y" for x in h))
        for label, q in (("median", 0.5), ("2.5 %", 0.025), ("97.5 %", 0.975)):
            click.echo(f"    {label}".ljust(28) + "".join(_money(v).rjust(11) for v in cens.quantile(q, "sample").values))
        e = ds.evpi.sel(perspective="society", wtp=wtp)
        click.echo(f"  EVPI at {wtp:,.0f} NOK/QALY (society), per person: " + ", ".join(
            f"{x:g}y {_money(v)}" for x, v in zip(h, e.values)) + f"; population ({ds.attrs['population']:,.0f}): "
                   + _money(float(ds.evpi_population.sel(perspective='society', wtp=wtp).values[-1])) + f" at {h[-1]:g}y")
    _finish(ds, loaded, "psa", out, no_report, reports_root, quiet)


@main.command()
@_uncertainty_options("5,10,20,40", ("society", "public", "nav"))
@click.option("--param", "params_", multiple=True, help="glob of parameters to vary (default: all uncertain ones)")
@click.option("--pair", "pairs", multiple=True, help="two-way grid for A,B (repeatable)")
@click.option("--grid", type=click.IntRange(min=2, max=41), default=7, show_default=True, help="points per axis in two-way grids")
@click.option("--coverage", type=click.FloatRange(min=0.5, max=0.999), default=0.95, show_default=True,
              help="central interval of each distribution used as its range (where no bounds are declared)")
@click.option("--wtp", type=click.FloatRange(min=0), default=None, help="NOK per QALY for INMB (default: the QALY value)")
def dsa(scenario, horizons, perspectives, structure, overrides, engine, individuals, seed, out, no_report, reports_root,
        quiet, params_, pairs, grid, coverage, wtp):
    """One-way (tornado) and two-way sensitivity on incremental NPV, INMB and the break-even wage."""
    from ipsecon.uncertainty.dsa import run_dsa
    from ipsecon.uncertainty.sampling import uncertain_parameters

    loaded = _load_for_uncertainty(scenario, overrides, structure, quiet)
    names = uncertain_parameters(loaded, include=params_ or None)
    parsed = []
    for p in pairs:
        parts = [x.strip() for x in p.split(",")]
        if len(parts) != 2:
            raise InputError("--pair", p, "expected two parameter names separated by a comma", "e.g. --pair a.b,c.d")
        parsed.append(tuple(parts))
    ds = run_dsa(loaded, names, coverage, parsed, grid, _years(horizons, "--horizons"), perspectives, wtp, engine,
                 individuals, seed, quiet)
    h = float(ds.horizon.values[-1])
    for p in ds.perspective.values:
        inc = ds.inc_npv.sel(perspective=p, horizon=h)
        swing = (inc.sel(bound="high") - inc.sel(bound="low")).to_pandas().abs().sort_values(ascending=False)
        click.echo(f"Tornado, incremental NPV ({p}, {h:g} years; base {_money(float(ds.base_inc_npv.sel(perspective=p, horizon=h)))} NOK/person):")
        for name in swing.index[:8]:
            lo, hi = (float(inc.sel(parameter=name, bound=b)) for b in ("low", "high"))
            click.echo(f"  {name:<46} {_money(lo):>12} .. {_money(hi):<12}")
    _finish(ds, loaded, "dsa", out, no_report, reports_root, quiet)


@main.command()
@_uncertainty_options("5,10,20,40", ("society", "public", "nav"))
@click.option("--base-samples", type=click.IntRange(min=2), default=64, show_default=True,
              help="N of the Saltelli design (a power of two); runs = N(D+2), or N(2D+2) with --second-order")
@click.option("--second-order", is_flag=True, help="also second-order indices")
@click.option("--group-by", type=click.Choice(["parameter", "family"]), default="family", show_default=True,
              help="inputs: parameter families (ips.cost, utilities, …; a quick first look) or single parameters")
@click.option("--param", "params_", multiple=True, help="glob of parameters to include (default: all uncertain ones)")
@click.option("--resamples", type=click.IntRange(min=10), default=200, show_default=True, help="bootstrap resamples for CIs")
def sobol(scenario, horizons, perspectives, structure, overrides, engine, individuals, seed, out, no_report, reports_root,
          quiet, base_samples, second_order, group_by, params_, resamples):
    """Sobol' first-order and total indices (SALib) of incremental NPV and break-even wage, per horizon."""
    from ipsecon.uncertainty.sampling import uncertain_parameters
    from ipsecon.uncertainty.sobol import run_sobol

    loaded = _load_for_uncertainty(scenario, overrides, structure, quiet)
    names = uncertain_parameters(loaded, include=params_ or None)
    ds = run_sobol(loaded, base_samples, seed, second_order, _years(horizons, "--horizons"), perspectives, names,
                   group_by, engine, individuals, resamples, quiet)
    click.echo(f"Sobol' indices for {loaded.name}: {ds.attrs['n_evaluations']} model runs; total index ST (95 % CI) of the "
               f"five largest inputs:")
    for o in ds.output.values:
        for h in ds.horizon.values:
            st = ds.ST.sel(output=o, horizon=h).to_pandas().sort_values(ascending=False)
            ci = ds.ST_conf.sel(output=o, horizon=h).to_pandas()
            top = ", ".join(f"{k} {v:.2f}±{ci[k]:.2f}" for k, v in st.head(5).items())
            click.echo(f"  {o} at {h:g}y: {top}")
    _finish(ds, loaded, "sobol", out, no_report, reports_root, quiet)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="fit and print, do not write the parameter file")
def calibrate(scenario, dry_run):
    """Fit the parameters named in SCENARIO's calibration section to its targets."""
    from ipsecon.uncertainty.calibrate import calibrate as fit

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
    from ipsecon.model.scenario import load_scenario
    from ipsecon.engines.simulate import simulate as run

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
    from ipsecon.inputs.parameters import load_parameters

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
def sweep(sweep_file, workers, scheduler, out, resume, overwrite, chunk_size, quiet):
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
    where = f"scheduler {scheduler}" if scheduler else (f"{r.workers} local workers" if r.workers else "this process")
    click.echo(f"{len(info['scenarios'])} scenarios × {len(info['overrides'])} overrides × {info['n_samples']} samples: "
               f"{r.units} units of ≤ {info['chunk_size']} samples, {r.computed} computed ({where}), "
               f"{r.skipped} already done; {r.seconds:.1f} s")
    click.echo(f"wrote {r.store}")
