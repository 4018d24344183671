"""The report: every promised section and figure, self-contained HTML, a Markdown twin with its PNGs;
rendered from the result files only (never the scenario or parameter files, which may have
changed), with a warning when a folder mixes files from different runs.

One short cohort run of the Norwegian trial (2 years) plus small synthetic psa/dsa/sobol files in
the schema the uncertainty commands write.
"""

import base64
import json
import re
import shutil

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from ipsecon.cli import main
from ipsecon.output import report

PERSPECTIVES = ["society", "public"]
HORIZONS = [1.5, 2.0]
PARAMETERS = ["ips.cost.per_client_year", "wages.ips_annual_gross_wage", "ips.persistence.half_life"]


def synthetic_psa(n: int = 120, seed: int = 1, strategies=("tau", "ips"), comparator: str = "tau") -> xr.Dataset:
    """Per-sample outcomes and decision summaries; incremental variables per intervention (each
    strategy other than ``comparator``), as the psa command writes them."""
    rng = np.random.default_rng(seed)
    wtp = np.linspace(0, 1_000_000, 11)
    strategies = list(strategies)
    interventions = [s for s in strategies if s != comparator]
    K, I, P, H, W = len(strategies), len(interventions), len(PERSPECTIVES), len(HORIZONS), len(wtp)
    cost = rng.normal(50_000, 5_000, (n, K, P, H))
    qalys = rng.normal(1.2, 0.05, (n, K, H))
    for k, s in enumerate(strategies):
        if s != comparator:
            cost[:, k] += rng.normal(4_000, 3_000, (n, P, H))
            qalys[:, k] += rng.normal(0.01, 0.01, (n, H))
    inc_npv = rng.normal(-2_000, 4_000, (n, I, P, H))
    wage = rng.lognormal(np.log(200_000), 0.4, (n, I, P, H))
    status = np.where(rng.random((n, I, P, H)) < 0.1, 2, 0)
    wage[status != 0] = np.nan
    ceac = rng.dirichlet(np.ones(K), size=(P, H, W))
    best = np.asarray(strategies)[ceac.argmax(axis=-1)]
    evpi = np.broadcast_to(np.linspace(100, 2_000, W), (P, H, W)).copy()
    evppi = np.stack([0.6 * evpi, 0.3 * evpi])
    ds = xr.Dataset(
        {
            "parameters": (("sample", "parameter"), rng.random((n, len(PARAMETERS)))),
            "net_gain": (("sample", "strategy", "perspective", "horizon"), -cost),
            "cost": (("sample", "strategy", "perspective", "horizon"), cost),
            "qalys": (("sample", "strategy", "horizon"), qalys),
            "inc_npv": (("sample", "intervention", "perspective", "horizon"), inc_npv),
            "breakeven_wage": (("sample", "intervention", "perspective", "horizon"), wage),
            "breakeven_status": (("sample", "intervention", "perspective", "horizon"), status.astype("int8")),
            "prob_pays_off": (("intervention", "perspective", "horizon"), (inc_npv > 0).mean(axis=0)),
            "ceac": (("perspective", "horizon", "wtp", "strategy"), ceac),
            "ceaf_probability": (("perspective", "horizon", "wtp"), ceac.max(axis=-1)),
            "ceaf_strategy": (("perspective", "horizon", "wtp"), best.astype(str)),
            "evpi": (("perspective", "horizon", "wtp"), evpi),
            "evpi_population": (("perspective", "horizon", "wtp"), evpi * 410),
            "evppi": (("group", "perspective", "horizon", "wtp"), evppi),
            "evppi_population": (("group", "perspective", "horizon", "wtp"), evppi * 410),
        },
        coords={"sample": np.arange(n), "strategy": strategies, "intervention": interventions,
                "perspective": PERSPECTIVES, "horizon": HORIZONS, "wtp": wtp, "parameter": PARAMETERS,
                "group": ["effect", "costs"]},
        attrs={"scenario": "norway_rct", "title": "synthetic", "price_year": 2024, "population": 410, "seed": seed,
               "n_samples": n, "engine": "cohort", "comparator": comparator, "interventions": json.dumps(interventions),
               "wtp_default": 500_000.0, "horizon_default": 2.0},
    )
    return ds


def synthetic_dsa() -> xr.Dataset:
    rng = np.random.default_rng(2)
    k, P, H = len(PARAMETERS), len(PERSPECTIVES), len(HORIZONS)
    base = rng.normal(-1_000, 500, (1, P, H))
    swing = rng.normal(0, 3_000, (k, 2, 1, P, H))
    wage = 150_000 + rng.normal(0, 20_000, (k, 2, 1, P, H))
    wage[0, 0] = np.nan  # no wage breaks even at one bound: drawn as 'n/a'
    x, y = np.linspace(30_000, 80_000, 5), np.linspace(50_000, 250_000, 4)
    grid = (y[None, :, None, None] - 120_000) / 10 - (x[:, None, None, None] - 47_000) / 20
    twoway = np.broadcast_to(grid, (5, 4, P, H))[None, None]
    return xr.Dataset(
        {
            "base_value": ("parameter", [47_000.0, 120_000.0, 5.0]),
            "low_value": ("parameter", [30_000.0, 50_000.0, 2.0]),
            "high_value": ("parameter", [80_000.0, 250_000.0, 10.0]),
            "inc_npv": (("parameter", "bound", "intervention", "perspective", "horizon"), base + swing),
            "base_inc_npv": (("intervention", "perspective", "horizon"), base),
            "inmb": (("parameter", "bound", "intervention", "perspective", "horizon"), base + 2 * swing,
                     {"wtp": 500_000.0}),
            "base_inmb": (("intervention", "perspective", "horizon"), base),
            "breakeven_wage": (("parameter", "bound", "intervention", "perspective", "horizon"), wage),
            "base_breakeven_wage": (("intervention", "perspective", "horizon"), np.full((1, P, H), 150_000.0)),
            "twoway_inc_npv": (("intervention", "pair", "x_index", "y_index", "perspective", "horizon"), twoway),
            "twoway_x": (("pair", "x_index"), x[None]),
            "twoway_y": (("pair", "y_index"), y[None]),
            "twoway_x_name": ("pair", ["ips.cost.per_client_year"]),
            "twoway_y_name": ("pair", ["wages.ips_annual_gross_wage"]),
        },
        coords={"parameter": PARAMETERS, "bound": ["low", "high"], "intervention": ["ips"], "perspective": PERSPECTIVES,
                "horizon": HORIZONS, "pair": ["ips.cost.per_client_year × wages.ips_annual_gross_wage"]},
        attrs={"scenario": "norway_rct", "price_year": 2024, "comparator": "tau", "interventions": '["ips"]'},
    )


def synthetic_sobol() -> xr.Dataset:
    rng = np.random.default_rng(3)
    k, H = len(PARAMETERS), len(HORIZONS)
    s1 = rng.dirichlet(np.ones(k), size=(1, H)) * 0.9
    st = s1 + 0.05
    return xr.Dataset(
        {"S1": (("output", "horizon", "parameter"), s1), "S1_conf": (("output", "horizon", "parameter"), 0.1 * st),
         "ST": (("output", "horizon", "parameter"), st), "ST_conf": (("output", "horizon", "parameter"), 0.1 * st),
         "S2": (("output", "horizon", "parameter", "parameter_b"), np.zeros((1, H, k, k)))},
        coords={"output": ["inc_npv:society"], "horizon": HORIZONS, "parameter": PARAMETERS, "parameter_b": PARAMETERS},
        attrs={"n_base": 64, "n_evaluations": 64 * (2 * k + 2), "seed": 3},
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory, root):
    """`simulate` (which writes breakeven.csv), then uncertainty files added by hand, then the report of the
    whole folder (one rendering keeps the test short)."""
    tmp = tmp_path_factory.mktemp("report")
    out, reports = tmp / "rct", tmp / "reports"
    r = CliRunner().invoke(main, ["simulate", str(root / "scenarios" / "norway_rct.yaml"), "--engine", "cohort",
                                  "--horizon", "2", "--out", str(out), "--reports", str(reports), "--quiet"])
    assert r.exit_code == 0, r.output
    assert (out / "breakeven.csv").exists()
    synthetic_psa().to_netcdf(out / "psa.nc", engine="h5netcdf")
    synthetic_dsa().to_netcdf(out / "dsa.nc", engine="h5netcdf")
    synthetic_sobol().to_netcdf(out / "sobol.nc", engine="h5netcdf")
    r = CliRunner().invoke(main, ["report", str(out), "--reports", str(reports), "--quiet"])
    assert r.exit_code == 0, r.output
    html_path = reports / "norway_rct" / "rct.html"
    assert f"wrote {html_path}" in r.output
    return {"out": out, "html_path": html_path, "html": html_path.read_text(encoding="utf-8"),
            "md_path": reports / "norway_rct" / "rct.md"}


SECTIONS = ["question", "model", "employment", "occupancy", "payers", "npv", "breakeven", "psa", "dsa", "sobol",
            "reproduce"]
FIGURES = ["model_diagram", "employment", "occupancy", "payer_waterfall", "cumulative_net", "npv", "breakeven",
           "psa_net_by_horizon", "ce_plane_society", "ce_plane_public", "ceac", "evpi", "evppi", "breakeven_distribution", "prob_pays_off",
           "tornado_inc_npv_society", "tornado_inc_npv_public", "tornado_inmb", "tornado_breakeven_wage", "twoway_0",
           "sobol_bars_0", "sobol_horizon_0"]


def test_every_section_and_figure_is_there(run):
    html = run["html"]
    for key in SECTIONS:
        assert f"<section id='{key}'>" in html, key
    for name in FIGURES:
        m = re.search(rf"<figure id='fig-{name}'><img alt='[^']*' src='data:image/png;base64,([^']+)'>", html)
        assert m, name
        assert base64.b64decode(m.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
    # plain words: the benefits are explained once, the trial's targets are compared with the model
    assert "arbeidsavklaringspenger, work assessment allowance" in html
    # once in the report's own words (the model card may quote a parameter's source, a regulation's title)
    assert html[:html.index("<section id='model'>")].count("arbeidsavklaringspenger") == 1
    assert "Reme 2019 (V2), registry, in work at 18 months" in html
    assert "Key parameters" in html and "Assumptions" in html and "calibrated.norway_rct.hr_entry" in html
    # the synthetic files record no run: the report says it cannot check them, and warns of no mix
    assert "<code>psa.nc</code> does not record its run's scenario or its parameters (hash)" in html
    assert "different runs" not in html


def test_html_is_self_contained(run):
    html = run["html"]
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", html)
    assert refs and all(r.startswith(("data:", "#")) for r in refs if not r.startswith("https://doi.org/")), \
        [r for r in refs if not r.startswith(("data:", "#"))]
    # the only addresses outside the file are citations' links a reader may follow; nothing is fetched
    assert all(r.startswith(("data:", "#")) for r in re.findall(r"""src\s*=\s*["']([^"']*)""", html))
    assert re.search(r"<a href='https://doi.org/10\.5271/sjweh\.3753'>", html)
    for forbidden in ("<script", "<link", "@import", "url(", "<iframe", "<object", "<embed"):
        assert forbidden not in html.lower(), forbidden


def test_markdown_twin_links_its_png_files(run):
    md = run["md_path"].read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(links) == len(FIGURES)
    for link in links:
        assert not link.startswith(("http:", "https:", "/"))
        png = run["md_path"].parent / link
        assert png.read_bytes()[:4] == b"\x89PNG"


def test_money_over_time_adds_up_to_the_stored_npv(run):
    """The flows over time, discounted with the factors the run stored, add up to its stored NPV."""
    from ipsecon.output.report.money_sections import discount_factors, discounted_increments, ledger_from_results

    inp = report.read_inputs(run["out"])
    results = inp.run("results.nc")
    assert results.roles() == ("tau", ["ips"])
    ledger = ledger_from_results(inp.results, results)
    factors = discount_factors(inp.results, results, ledger.n_cycles)
    for p in ("society", "public", "nav", "individual"):
        total = float(discounted_increments(ledger, p, "ips", "tau", factors).sum())
        stored = float(inp.results["outcome_incremental_npv"].sel(perspective=p, strategy="ips"))
        assert total == pytest.approx(stored, rel=1e-9, abs=1e-6), p


def test_report_command_renders_only_the_files_present(tmp_path):
    folder = tmp_path / "sobol_only"
    folder.mkdir()
    synthetic_sobol().assign_attrs(scenario="norway_rct").to_netcdf(folder / "sobol.nc", engine="h5netcdf")
    r = CliRunner().invoke(main, ["report", str(folder), "--reports", str(tmp_path / "reports"), "--quiet"])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "reports" / "norway_rct" / "sobol_only.html").read_text(encoding="utf-8")
    assert "<section id='sobol'>" in html and "<section id='question'>" in html
    for key in ("employment", "payers", "psa", "dsa", "breakeven"):
        assert f"<section id='{key}'>" not in html


def test_no_report_writes_no_report(tmp_path, root):
    r = CliRunner().invoke(main, ["simulate", str(root / "scenarios" / "norway_rct.yaml"), "--horizon", "0.5",
                                  "--out", str(tmp_path / "r"), "--reports", str(tmp_path / "reports"), "--no-report"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "reports").exists() and not (tmp_path / "r" / "breakeven.csv").exists()


def test_params_and_validate_help_the_user(tmp_path, root):
    runner = CliRunner()
    r = runner.invoke(main, ["params", "caseload", "--dir", str(root / "parameters")])
    assert r.exit_code == 0 and "ips.cost.caseload = 20 [clients per FTE]" in r.output and "fidelity" in r.output.lower()
    r = runner.invoke(main, ["params", "caselod", "--dir", str(root / "parameters")])
    assert r.exit_code == 2 and "did you mean ips.cost.caseload" in r.output
    text = (root / "scenarios" / "norway_rct.yaml").read_text(encoding="utf-8")
    text = text.replace("model: models/ips.yaml", f"model: {root / 'scenarios' / 'models' / 'ips.yaml'}")
    text = text.replace("parameter_dirs: [../parameters]", f"parameter_dirs: ['{root / 'parameters'}']")
    text = text.replace("output: ../parameters/calibrated/norway_rct.yaml", f"output: {tmp_path / 'fit.yaml'}")
    (tmp_path / "bad.yaml").write_text(text.replace("strategy: ips, month: 18", "strategy: ips, month: 30"),
                                       encoding="utf-8")
    # a figure beyond run.horizon_years is valid: calibrate and validate --targets run to its last month
    r = runner.invoke(main, ["validate", str(tmp_path / "bad.yaml")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["validate", str(root / "scenarios" / "norway_rct.yaml")])
    assert r.exit_code == 0, r.output


# --- rendering from saved results only ---------------------------------------------------------

def _copy_inputs(root, tmp_path):
    """The scenarios and parameters copied, so that a test may edit or delete them after a run."""
    shutil.copytree(root / "scenarios", tmp_path / "scenarios")
    shutil.copytree(root / "parameters", tmp_path / "parameters")
    return tmp_path / "scenarios" / "norway_rct.yaml", tmp_path / "parameters" / "ips.yaml"


def _forbid_reading_inputs(monkeypatch):
    """Any attempt of the report to load a scenario or parameters fails the test."""
    from ipsecon.inputs import parameters
    from ipsecon.model import scenario

    def refuse(*args, **kwargs):
        raise AssertionError("the report read a scenario or parameter file")

    monkeypatch.setattr(scenario, "load_scenario", refuse)
    monkeypatch.setattr(parameters, "load_parameters", refuse)
    monkeypatch.setattr(parameters, "load_parameter_tree", refuse)


def _simulate(scenario, out, *extra):
    r = CliRunner().invoke(main, ["simulate", str(scenario), "--engine", "cohort", "--horizon", "2", "--out", str(out),
                                  "--no-report", "--quiet", *extra])
    assert r.exit_code == 0, r.output


TITLE = "The Norwegian IPS trial (6 counties, n = 410)"
COST_ROW = "<td>ips.cost.per_client_year</td><td>{}</td>"


def test_report_shows_the_run_not_the_files_as_they_are_now(tmp_path, root, monkeypatch):
    scenario, params = _copy_inputs(root, tmp_path)
    # the published point values as the base case, so the card's value is the file's `value:` (the default,
    # the mean of the distribution, would not move when that value is edited)
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("run:\n", "run:\n  base_case: point\n", 1),
                        encoding="utf-8")
    out = tmp_path / "results" / "rct"
    _simulate(scenario, out)
    # after the run: the scenario gets another title and description, the programme cost another value
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace(f"title: {TITLE}", "title: Edited after the run")
                        .replace("description: >", "description: >\n  Edited description after the run.", 1),
                        encoding="utf-8")
    cost = params.read_text(encoding="utf-8")
    assert cost.count("      value: 47000\n") == 1
    params.write_text(cost.replace("      value: 47000\n", "      value: 51234\n"), encoding="utf-8")
    _forbid_reading_inputs(monkeypatch)
    for step in ("edited", "deleted"):
        paths = report.write_report(out, tmp_path / "reports", quiet=True)
        html = paths["html"].read_text(encoding="utf-8")
        assert f"<h1>{TITLE}</h1>" in html, step
        assert "Edited" not in html, step
        assert COST_ROW.format("47,000") in html and "51,234" not in html, step
        assert "Reme 2019 (V2), registry, in work at 18 months" in html  # targets, from the card
        assert "calibrated.norway_rct.hr_entry" in html and "<section id='payers'>" in html
        scenario.unlink(missing_ok=True)  # and again without the files
        params.unlink(missing_ok=True)


def test_report_of_old_files_says_what_they_do_not_record(tmp_path, root):
    """Files without the scenario card (older versions) still give a report, which says what is missing."""
    out = tmp_path / "old"
    _simulate(root / "scenarios" / "norway_rct.yaml", out)
    ds = report.folder.open_dataset(out / "results.nc")
    for key in ("scenario_card", "comparator", "interventions", "structure", "discount_rates"):
        del ds.attrs[key]
    for var in ("discount_factor_cost", "discount_factor_effect"):
        ds = ds.drop_vars(var, errors="ignore")
    (out / "results.nc").unlink()
    ds.to_netcdf(out / "results.nc", engine="h5netcdf")
    md = report.write_report(out, tmp_path / "reports", quiet=True)["markdown"].read_text(encoding="utf-8")
    assert "The scenario's description is not recorded in this file" in md
    assert "Which strategy is the comparator is not recorded in this file" in md
    assert "model structure not recorded in this file" in md
    assert "## Model card" not in md


def test_folder_mixing_runs_gets_a_warning_naming_both(tmp_path, root):
    out = tmp_path / "mixed"
    _simulate(root / "scenarios" / "norway_rct.yaml", out)
    r = CliRunner().invoke(main, ["psa", str(root / "scenarios" / "norway_rct.yaml"), "--samples", "4", "--horizons",
                                  "1,2", "--structure", "no_decay", "--set", "ips.cost.per_client_year=60000",
                                  "--out", str(tmp_path / "psa"), "--no-report", "--quiet"])
    assert r.exit_code == 0, r.output
    shutil.copy(tmp_path / "psa" / "psa.nc", out / "psa.nc")  # a user combining two runs' files by hand
    md = report.write_report(out, tmp_path / "reports", quiet=True)["markdown"].read_text(encoding="utf-8")
    top = md[:md.index("- [The question and the scenario]")]  # above the table of contents
    assert "Warning: the files in this folder come from different runs" in top
    assert "`results.nc` and `psa.nc` differ in" in top
    assert "model structure" in top and "overrides (--set)" in top
    rows = {line.split(" | ")[0].strip("| "): line for line in top.splitlines() if line.startswith("| ")}
    assert "`ips.cost.per_client_year` = 60000" in rows["psa.nc"] and "`no_decay`" in rows["psa.nc"]
    assert "| none |" in rows["results.nc"] and "default (the model as declared)" in rows["results.nc"]
    # the first summary names the run of each file, with its structure and overrides
    first = md[md.index("## The question"):md.index("## Model card")]
    assert "Run (`results.nc`)" in first and "overrides (--set) none" in first
    assert "Run (`psa.nc`)" in first and "model structure `no_decay`" in first
    assert "overrides (--set) `ips.cost.per_client_year` = 60000" in first


def test_folder_of_one_run_has_no_warning(tmp_path, root):
    out = tmp_path / "one"
    _simulate(root / "scenarios" / "norway_rct.yaml", out, "--set", "ips.cost.per_client_year=60000")
    md = report.write_report(out, tmp_path / "reports", quiet=True)["markdown"].read_text(encoding="utf-8")
    assert "different runs" not in md
    assert "overrides (--set) `ips.cost.per_client_year` = 60000" in md


def test_two_scenario_breakeven_pairs_each_title_with_its_own_number(tmp_path, root):
    import pandas as pd

    out, reports = tmp_path / "be", tmp_path / "reports"
    r = CliRunner().invoke(main, ["breakeven", str(root / "scenarios" / "norway_rct.yaml"),
                                  str(root / "scenarios" / "bodo.yaml"), "--horizons", "1.5,3", "--out", str(out),
                                  "--reports", str(reports), "--quiet"])
    assert r.exit_code == 0, r.output
    md = (reports / "norway_rct+bodo" / "be.md").read_text(encoding="utf-8")
    html = (reports / "norway_rct+bodo" / "be.html").read_text(encoding="utf-8")
    assert not re.search(r">\s*\*", html)  # no Markdown mark left in the page (the answer's titles are bold)
    table = pd.read_csv(out / "breakeven.csv")
    society = table[(table.perspective == "society") & (table.horizon_years == 3)].set_index("scenario")["breakeven_wage"]
    titles = {"norway_rct": TITLE, "bodo": "IPS in Bodø — population effect among AAP recipients aged 18–40"}
    assert society["norway_rct"] != society["bodo"]
    for name, title in titles.items():
        own, other = (f"{society[s]:,.0f}" for s in (name, next(s for s in titles if s != name)))
        lines = [ln for ln in md.splitlines() if ln.startswith(f"- **{title}** (`{name}`)")]  # the key numbers
        assert len(lines) == 1 and own in lines[0] and other not in lines[0], lines
        assert len([ln for ln in md.splitlines() if ln.startswith(f"- **{title}**:")]) == 1  # its line in the answer
        row = next(ln for ln in md.splitlines() if ln.startswith(f"| {title} (`{name}`) | society |"))
        assert row.rstrip(" |").endswith(own)


def test_uncertainty_sections_follow_the_recorded_roles():
    """Several interventions: one figure each, against the comparator the file names (not the first strategy)."""
    from ipsecon.output.figures.uncertainty import comparison
    from ipsecon.output.report.runs import RunInfo
    from ipsecon.output.report.uncertainty_sections import psa_section

    psa = synthetic_psa(n=30, strategies=("ips", "tau", "ips_plus"), comparator="tau")
    assert comparison(psa, "ips_plus") == ("ips_plus", "tau")
    with pytest.raises(ValueError):
        comparison(psa)  # two interventions: the figure must be told which
    sec = psa_section(psa, RunInfo("psa.nc", dict(psa.attrs)))
    names = [b.name for b in sec.blocks if isinstance(b, report.blocks.Figure)]
    for i in ("ips", "ips_plus"):
        assert f"ce_plane_{i}_society" in names and f"breakeven_distribution_{i}" in names and f"prob_pays_off_{i}" in names
    assert len(names) == len(set(names))
    import matplotlib.pyplot as plt

    for b in sec.blocks:
        if isinstance(b, report.blocks.Figure) and b.name.endswith("ips_plus_society"):
            plt.close(b.make())


def test_the_probability_of_paying_off_carries_the_wilson_interval_of_its_samples():
    """Worked by hand from Wilson's (1927) formula: 50 of 100 gives 0.5 ± 1.96·√(0.0025 + 1.96²/40000)/(1 + 1.96²/100)
    = [0.4038, 0.5962]; none of n gives [0, z²/(n + z²)] — not the empty interval of the normal approximation."""
    import numpy as np

    from ipsecon.output.figures.uncertainty import wilson_interval

    lo, hi = wilson_interval([0.5], 100)
    assert np.allclose([lo[0], hi[0]], [0.4038, 0.5962], atol=1e-4)
    lo, hi = wilson_interval([0.0, 1.0], 32)
    assert np.allclose(lo, [0.0, 32 / (32 + 1.96 ** 2)]) and np.allclose(hi, [1.96 ** 2 / (32 + 1.96 ** 2), 1.0])


def test_no_two_states_share_a_colour():
    """One colour meaning per figure: the IPS model's seven states (graded work states included) and a model's own
    state names each get a colour of their own."""
    from ipsecon.output.figures.style import state_colours

    ips = ["employed", "employed_aap", "employed_ufore", "aap", "ufore", "other", "dead"]
    other = ["healthy", "sick", "sicker", "dead", "employed", "s5", "s6"]
    for states in (ips, other):
        assert len(set(state_colours(states).values())) == len(states), state_colours(states)
