"""Every number the terminal, the saved files and the report show is right and the same: the base
case at the distributions' means, break-even wage statistics over every PSA sample, ratios not
divided by tiny costs, reproduce commands that run, and reports that delete nothing but their own."""

import shlex
import shutil

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from ipsecon import api
from ipsecon.cli import main
from ipsecon.economics.evaluation import ratio_note, tiny_costs
from ipsecon.inputs.distributions import Distribution
from ipsecon.model.scenario import load_scenario
from ipsecon.output import console
from ipsecon.output.report import write_report
from ipsecon.output.report.uncertainty_sections import _npv_rows
from ipsecon.uncertainty.psa import (
    breakeven_quantile_labels,
    breakeven_wage_quantile,
)

FAMILIES = [
    {"type": "lognormal", "meanlog": 0.5, "sdlog": 0.6},
    {"type": "gamma", "mean": 4000, "sd": 2000},
    {"type": "gamma", "shape": 2.0, "scale": 3.0},
    {"type": "beta", "alpha": 2.0, "beta": 5.0},
    {"type": "beta", "mean": 0.3, "sd": 0.1},
    {"type": "normal", "mean": 330, "sd": 40},
    {"type": "uniform", "low": 0.1, "high": 0.4},
    {"type": "triangular", "low": 0, "mode": 47000, "high": 110000},
]


@pytest.mark.parametrize("spec", FAMILIES, ids=[f["type"] for f in FAMILIES])
def test_distribution_mean_is_the_mean_of_what_sampling_draws(spec):
    """The closed-form mean against the mean of the quantile function over a fine grid of uniforms
    (sampling maps uniforms through the same ppf)."""
    d = Distribution(**spec)
    u = (np.arange(400_000) + 0.5) / 400_000
    assert d.mean_value() == pytest.approx(float(np.mean(d.ppf(u))), rel=2e-3)


def test_dirichlet_mean_is_alpha_over_its_sum():
    d = Distribution(type="dirichlet", alpha={"a": 2.0, "b": 6.0})
    assert d.mean_value() == {"a": 0.25, "b": 0.75}


def test_base_case_is_the_mean_unless_the_scenario_asks_for_the_point(root):
    sc = load_scenario(root / "scenarios" / "bodo.yaml")
    base, point = sc.base_values(), sc.point_values()
    # triangular(low, mode, high): mean (low + mode + high) / 3, not the mode the file gives as value
    d = sc.parameters["ips.cost.per_client_year"].distribution
    assert base["ips.cost.per_client_year"] == pytest.approx((d.low + d.mode + d.high) / 3)
    assert point["ips.cost.per_client_year"] == sc.parameters["ips.cost.per_client_year"].value
    lognormal = sc.parameters["ips.effect.or_seed"].distribution
    assert base["ips.effect.or_seed"] == pytest.approx(np.exp(lognormal.meanlog + lognormal.sdlog ** 2 / 2))
    # calibrated parameters stay at their fit; parameters without a distribution at their value
    for name in ("calibrated.norway_rct.job_entry", "calibrated.norway_rct.hr_entry", "ips.cost.support_months"):
        assert base[name] == point[name]
    sc.spec.run.base_case = "point"
    assert sc.base_values() == point


def test_censored_break_even_wages_count_at_the_bracket_bounds():
    # 5 samples: 3 pay off at any wage, 1 at 100,000, 1 at no wage in the bracket
    status = np.array([1, 1, 1, 0, 2])
    wage = np.array([np.nan, np.nan, np.nan, 100_000.0, np.nan])
    ds = xr.Dataset({"breakeven_wage": ("sample", wage), "breakeven_status": ("sample", status)},
                    attrs={"bracket_low": 0.0, "bracket_high": 2_000_000.0})
    q, censored = breakeven_wage_quantile(ds, (0.5, 0.9))
    assert float(q.sel(quantile=0.5)) == 0.0 and int(censored.sel(quantile=0.5)) == -1
    assert float(q.sel(quantile=0.9)) == pytest.approx(np.quantile([0, 0, 0, 100_000, 2_000_000], 0.9))
    assert np.nanmedian(wage) == 100_000  # what a median over found wages alone would have said
    assert str(breakeven_quantile_labels(ds.assign(breakeven_wage_quantile=q, breakeven_wage_quantile_censored=censored))
               .sel(quantile=0.5).values) == "≤ 0"
    status[:] = 2
    q, censored = breakeven_wage_quantile(ds.assign(breakeven_status=("sample", status)), (0.5,))
    assert float(q.sel(quantile=0.5)) == 2_000_000 and int(censored.sel(quantile=0.5)) == 1


@pytest.fixture(scope="module")
def bodo_psa(root):
    sc = load_scenario(root / "scenarios" / "bodo.yaml")
    # 12 samples over 5 years: enough for a median and means to compare (Bodø's 96 subgroups make each month costly)
    return sc, api.psa(sc, 12, horizons=[1.5, 5], perspectives=["nav", "society"], quiet=True)


def test_terminal_file_and_report_show_the_same_break_even_median_and_means(bodo_psa):
    sc, ds = bodo_psa
    labels = breakeven_quantile_labels(ds).sel(quantile=0.5, intervention="ips")
    rows = _npv_rows(ds, ["society", "nav"], ["ips"], {}, 2024)
    text = console.psa(ds, sc.name, 2024)
    median_line = next(line for line in text.splitlines() if line.strip().startswith("median"))
    assert median_line.split()[1:] == [str(v) for v in labels.sel(perspective="society").values]
    for _, row in rows.iterrows():
        p = {"society": "society", "NAV": "nav"}[row["perspective"]]
        h = float(row["horizon (years)"])
        assert row["median break-even wage"] == str(labels.sel(perspective=p, horizon=h).values)
        mean = float(ds["inc_npv"].sel(intervention="ips", perspective=p, horizon=h).mean())
        assert row["PSA mean incremental NPV (NOK 2024)"] == f"{mean:+,.0f}"
        base = float(ds["inc_npv_base"].sel(intervention="ips", perspective=p, horizon=h))
        assert row["base case (NOK 2024)"] == f"{base:+,.0f}"
    # the base case is the model at the means: the same as a deterministic run of the scenario
    run = api.run(sc, horizon=5)
    det = run.economics.set_index("perspective").loc["nav", "incremental_npv"]
    assert float(ds["inc_npv_base"].sel(intervention="ips", perspective="nav", horizon=5)) == pytest.approx(det, rel=1e-6)


def test_ratios_are_not_given_for_tiny_costs(root):
    assert tiny_costs(20.0, 930.0) and tiny_costs(0.0, 500.0) and tiny_costs(150.0, 20_000.0)
    assert not tiny_costs(5_000.0, 8_000.0)
    sc = load_scenario(root / "scenarios" / "bodo.yaml")
    sc.spec.run.base_case = "point"  # the published values: the state's extra costs are tens of NOK at most
    # 5 years: with the AAP clock summed over spells (aap_months) the state's extra costs grow to
    # about 200 NOK by year 10 (0.1 NOK when every job restarted the clock); none by year 5
    table = api.run(sc, horizon=5).economics.set_index("perspective")
    state = table.loc["state"]
    assert state["incremental_costs"] < 100 and state["incremental_gains"] > 500
    assert np.isnan(state["bcr"]) and np.isnan(state["roi"]) and state["ratio_note"].startswith("n/a")
    assert "tiny costs" in ratio_note(20.0, 930.0) and "20 NOK" in ratio_note(20.0, 930.0)
    assert ratio_note(5_000.0, 8_000.0) == ""
    nav = table.loc["nav"]
    assert nav["bcr"] == pytest.approx(nav["incremental_gains"] / nav["incremental_costs"])


def _report_md(paths) -> str:
    return paths["markdown"].read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [
    ["psa", "scenarios/norway_rct.yaml", "--samples", "4", "--horizons", "1.5,3", "--perspective", "society",
     "--set", "ips.cost.per_client_year=60000"],
    ["dsa", "scenarios/norway_rct.yaml", "--horizons", "2", "--perspective", "nav", "--param", "ips.cost.*",
     "--coverage", "0.9"],
    ["sobol", "scenarios/norway_rct.yaml", "--base-samples", "2", "--horizons", "2", "--perspective", "society",
     "--group-by", "parameter", "--param", "ips.cost.per_client_year", "--param", "wages.ips_annual_gross_wage",
     "--resamples", "10"],
    ["simulate", "scenarios/norway_rct.yaml", "--horizon", "2"],
])
def test_the_printed_reproduce_command_runs_and_recreates_the_file(command, root, tmp_path, monkeypatch):
    shutil.copytree(root / "scenarios", tmp_path / "scenarios")
    shutil.copytree(root / "parameters", tmp_path / "parameters")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    r = runner.invoke(main, command + ["--out", "first", "--no-report", "--quiet"])
    assert r.exit_code == 0, r.output
    md = _report_md(write_report(tmp_path / "first", tmp_path / "reports", quiet=True))
    block = md[md.index("## Files and how to reproduce"):]
    printed = [line.strip("-` ") for line in block.splitlines() if line.startswith(f"- `ipsecon {command[0]} ")]
    assert len(printed) == 1, block
    words = shlex.split(printed[0])
    assert words[words.index("--out") + 1] == "first" and str(tmp_path) not in md
    words[words.index("--out") + 1] = "again"
    r = runner.invoke(main, words[1:] + ["--no-report", "--quiet"])
    assert r.exit_code == 0, (printed[0], r.output)
    name = {"simulate": "results.nc"}.get(command[0], f"{command[0]}.nc")
    with xr.open_dataset(tmp_path / "first" / name, engine="h5netcdf") as a, \
            xr.open_dataset(tmp_path / "again" / name, engine="h5netcdf") as b:
        assert a.attrs["scenario_hash"] == b.attrs["scenario_hash"]
        numbers = [v for v in a.data_vars if a[v].dtype.kind == "f"]
        assert numbers and set(numbers) == {v for v in b.data_vars if b[v].dtype.kind == "f"}
        for v in numbers:  # the same run: every number the same
            np.testing.assert_allclose(a[v].values, b[v].values, rtol=1e-12, err_msg=v)


def test_a_symlinked_figures_folder_is_replaced_not_emptied(root, tmp_path):
    out = tmp_path / "rct"
    r = CliRunner().invoke(main, ["simulate", str(root / "scenarios" / "norway_rct.yaml"), "--horizon", "2",
                                  "--out", str(out), "--no-report", "--quiet"])
    assert r.exit_code == 0, r.output
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "npv.png").write_bytes(b"not the report's")
    (tmp_path / "reports" / "norway_rct").mkdir(parents=True)
    (tmp_path / "reports" / "norway_rct" / "rct_figures").symlink_to(precious, target_is_directory=True)
    paths = write_report(out, tmp_path / "reports", quiet=True)
    assert (precious / "npv.png").read_bytes() == b"not the report's"
    assert not paths["figures"].is_symlink() and (paths["figures"] / "npv.png").is_file()
    assert not [p for p in paths["figures"].parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_report_names_no_absolute_path_and_reads_no_file_an_attribute_names(root, tmp_path, monkeypatch):
    out = tmp_path / "rct"
    r = CliRunner().invoke(main, ["simulate", str(root / "scenarios" / "norway_rct.yaml"), "--horizon", "2",
                                  "--out", str(out), "--no-report", "--quiet"])
    assert r.exit_code == 0, r.output
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET CONTENT", encoding="utf-8")
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:
        ds = ds.load()
    ds.attrs["scenario_file"] = str(secret)
    (out / "results.nc").unlink()
    ds.to_netcdf(out / "results.nc", engine="h5netcdf")
    monkeypatch.chdir(tmp_path)
    paths = write_report(out, tmp_path / "reports", quiet=True)
    for key in ("markdown", "html"):
        text = paths[key].read_text(encoding="utf-8")
        assert "TOP SECRET" not in text and str(tmp_path) not in text and str(root) not in text


def _simulated(root, out):
    r = CliRunner().invoke(main, ["simulate", str(root / "scenarios" / "norway_rct.yaml"), "--horizon", "2",
                                  "--out", str(out), "--no-report", "--quiet"])
    assert r.exit_code == 0, r.output
    return out


def test_report_refuses_a_result_file_linked_from_outside_its_folder(root, tmp_path):
    out = _simulated(root, tmp_path / "rct")
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("strategy,x\nips,1\n", encoding="utf-8")
    (out / "summary.csv").unlink()
    (out / "summary.csv").symlink_to(outside)
    r = CliRunner().invoke(main, ["report", str(out), "--reports", str(tmp_path / "reports"), "--quiet"])
    assert r.exit_code == 2 and "summary.csv" in r.output and "outside the results folder" in r.output


def test_a_failing_report_leaves_the_earlier_one_whole(root, tmp_path, monkeypatch):
    from ipsecon.output.report import document

    out = _simulated(root, tmp_path / "rct")
    paths = write_report(out, tmp_path / "reports", quiet=True)

    def files():
        return {p: p.read_bytes() for p in [paths["html"], paths["markdown"], *paths["figures"].iterdir()]}

    before = files()

    def half_written(sections, title, subtitle, fig_dir, *args, **kwargs):
        (fig_dir / "npv.png").write_bytes(b"half")  # some figures written, then a failure
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(document, "render", half_written)
    with pytest.raises(RuntimeError):
        write_report(out, tmp_path / "reports", quiet=True)
    assert files() == before
    assert not [p for p in paths["html"].parent.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_each_scenarios_assumed_wage_line_is_drawn_like_its_own_curves():
    import pandas as pd

    from ipsecon.output.figures.money import breakeven_plot

    rows = [{"scenario": s, "perspective": "society", "horizon_years": h, "breakeven_wage": w, "npv_at_low": -1.0}
            for s, base in (("bodo", 100_000), ("norway_rct", 120_000)) for h, w in ((5, base), (10, base / 2))]
    # the wages arrive in the other order than the table's scenarios (as breakeven.nc records its runs)
    fig = breakeven_plot(pd.DataFrame(rows), 2024, {"norway_rct": 150_000.0, "bodo": 140_000.0})
    style = {line.get_label(): line.get_linestyle() for line in fig.axes[0].get_lines()}
    for s in ("bodo", "norway_rct"):
        wage_line = next(k for k in style if k.startswith(f"{s}: assumed wage"))
        assert style[wage_line] == style[f"{s}: society"], s
    assert style["bodo: society"] != style["norway_rct: society"]


def test_report_shows_progress_over_its_figures_unless_quiet(root, tmp_path, capsys):
    from ipsecon import progress

    out = _simulated(root, tmp_path / "rct")
    progress.set_quiet(False)
    capsys.readouterr()
    paths = write_report(out, tmp_path / "reports", quiet=False)
    n = len(list(paths["figures"].iterdir()))
    assert f"report figures: done, {n} in" in capsys.readouterr().err
    write_report(out, tmp_path / "reports", quiet=True)
    assert "report figures" not in capsys.readouterr().err
