"""The report: every promised section and figure, self-contained HTML, a Markdown twin with its PNGs.

One short cohort run of the Norwegian trial (2 years) plus small synthetic psa/dsa/sobol files in
the schema the uncertainty commands write.
"""

import base64
import re

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from ipsecon.output import report
from ipsecon.cli import main

PERSPECTIVES = ["society", "public"]
HORIZONS = [1.5, 2.0]
PARAMETERS = ["ips.cost.per_client_year", "wages.ips_annual_gross_wage", "ips.persistence.half_life"]


def synthetic_psa(n: int = 120, seed: int = 1) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    wtp = np.linspace(0, 1_000_000, 11)
    strategies = ["tau", "ips"]
    P, H, W = len(PERSPECTIVES), len(HORIZONS), len(wtp)
    cost = rng.normal(50_000, 5_000, (n, 2, P, H))
    cost[:, 1] += rng.normal(4_000, 3_000, (n, P, H))
    qalys = rng.normal(1.2, 0.05, (n, 2, H))
    qalys[:, 1] += rng.normal(0.01, 0.01, (n, H))
    inc_npv = rng.normal(-2_000, 4_000, (n, P, H))
    wage = rng.lognormal(np.log(200_000), 0.4, (n, P, H))
    status = np.where(rng.random((n, P, H)) < 0.1, 2, 0)
    wage[status != 0] = np.nan
    ceac_ips = np.linspace(0.2, 0.8, W)
    ceac = np.broadcast_to(np.stack([1 - ceac_ips, ceac_ips], axis=-1), (P, H, W, 2)).copy()
    best = np.where(ceac_ips > 0.5, "ips", "tau")
    evpi = np.broadcast_to(np.linspace(100, 2_000, W), (P, H, W)).copy()
    evppi = np.stack([0.6 * evpi, 0.3 * evpi])
    ds = xr.Dataset(
        {
            "parameters": (("sample", "parameter"), rng.random((n, len(PARAMETERS)))),
            "net_gain": (("sample", "strategy", "perspective", "horizon"), -cost),
            "cost": (("sample", "strategy", "perspective", "horizon"), cost),
            "qalys": (("sample", "strategy", "horizon"), qalys),
            "inc_npv": (("sample", "perspective", "horizon"), inc_npv),
            "breakeven_wage": (("sample", "perspective", "horizon"), wage),
            "breakeven_status": (("sample", "perspective", "horizon"), status.astype("int8")),
            "prob_pays_off": (("perspective", "horizon"), (inc_npv > 0).mean(axis=0)),
            "ceac": (("perspective", "horizon", "wtp", "strategy"), ceac),
            "ceaf_probability": (("perspective", "horizon", "wtp"), ceac.max(axis=-1)),
            "ceaf_strategy": (("perspective", "horizon", "wtp"), np.broadcast_to(best, (P, H, W)).astype(str)),
            "evpi": (("perspective", "horizon", "wtp"), evpi),
            "evpi_population": (("perspective", "horizon", "wtp"), evpi * 410),
            "evppi": (("group", "perspective", "horizon", "wtp"), evppi),
            "evppi_population": (("group", "perspective", "horizon", "wtp"), evppi * 410),
        },
        coords={"sample": np.arange(n), "strategy": strategies, "perspective": PERSPECTIVES, "horizon": HORIZONS,
                "wtp": wtp, "parameter": PARAMETERS, "group": ["effect", "costs"]},
        attrs={"scenario": "norway_rct", "title": "synthetic", "price_year": 2024, "population": 410, "seed": seed,
               "n_samples": n, "engine": "cohort", "intervention": "ips", "comparator": "tau", "wtp_default": 500_000.0,
               "horizon_default": 2.0},
    )
    return ds


def synthetic_dsa() -> xr.Dataset:
    rng = np.random.default_rng(2)
    k, P, H = len(PARAMETERS), len(PERSPECTIVES), len(HORIZONS)
    base = rng.normal(-1_000, 500, (P, H))
    swing = rng.normal(0, 3_000, (k, 2, P, H))
    wage = 150_000 + rng.normal(0, 20_000, (k, 2, P, H))
    wage[0, 0] = np.nan  # no wage breaks even at one bound: drawn as 'n/a'
    x, y = np.linspace(30_000, 80_000, 5), np.linspace(50_000, 250_000, 4)
    grid = (y[None, :, None, None] - 120_000) / 10 - (x[:, None, None, None] - 47_000) / 20
    twoway = np.broadcast_to(grid, (5, 4, P, H))[None]
    return xr.Dataset(
        {
            "base_value": ("parameter", [47_000.0, 120_000.0, 5.0]),
            "low_value": ("parameter", [30_000.0, 50_000.0, 2.0]),
            "high_value": ("parameter", [80_000.0, 250_000.0, 10.0]),
            "inc_npv": (("parameter", "bound", "perspective", "horizon"), base + swing),
            "base_inc_npv": (("perspective", "horizon"), base),
            "inmb": (("parameter", "bound", "perspective", "horizon"), base + 2 * swing, {"wtp": 500_000.0}),
            "base_inmb": (("perspective", "horizon"), base),
            "breakeven_wage": (("parameter", "bound", "perspective", "horizon"), wage),
            "base_breakeven_wage": (("perspective", "horizon"), np.full((P, H), 150_000.0)),
            "twoway_inc_npv": (("pair", "x_index", "y_index", "perspective", "horizon"), twoway),
            "twoway_x": (("pair", "x_index"), x[None]),
            "twoway_y": (("pair", "y_index"), y[None]),
            "twoway_x_name": ("pair", ["ips.cost.per_client_year"]),
            "twoway_y_name": ("pair", ["wages.ips_annual_gross_wage"]),
        },
        coords={"parameter": PARAMETERS, "bound": ["low", "high"], "perspective": PERSPECTIVES, "horizon": HORIZONS,
                "pair": ["ips.cost.per_client_year × wages.ips_annual_gross_wage"]},
        attrs={"scenario": "norway_rct", "price_year": 2024},
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
    """The uncertainty files first, then `simulate`, which writes breakeven.csv and the report of the
    whole folder (one rendering keeps the test short)."""
    tmp = tmp_path_factory.mktemp("report")
    out, reports = tmp / "rct", tmp / "reports"
    out.mkdir()
    synthetic_psa().to_netcdf(out / "psa.nc", engine="h5netcdf")
    synthetic_dsa().to_netcdf(out / "dsa.nc", engine="h5netcdf")
    synthetic_sobol().to_netcdf(out / "sobol.nc", engine="h5netcdf")
    r = CliRunner().invoke(main, ["simulate", str(root / "scenarios" / "norway_rct.yaml"), "--engine", "cohort",
                                  "--horizon", "2", "--out", str(out), "--reports", str(reports), "--quiet"])
    assert r.exit_code == 0, r.output
    assert (out / "breakeven.csv").exists()
    html_path = reports / "norway_rct" / "rct.html"
    assert f"wrote {html_path}" in r.output
    return {"out": out, "html_path": html_path, "html": html_path.read_text(encoding="utf-8"),
            "md_path": reports / "norway_rct" / "rct.md"}


SECTIONS = ["question", "model", "employment", "occupancy", "payers", "npv", "breakeven", "psa", "dsa", "sobol",
            "reproduce"]
FIGURES = ["model_diagram", "employment", "occupancy", "payer_waterfall", "cumulative_net", "npv", "breakeven",
           "ce_plane_society", "ce_plane_public", "ceac", "evpi", "evppi", "breakeven_distribution", "prob_pays_off",
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
    assert html.count("arbeidsavklaringspenger") == 1
    assert "Reme 2019 (V2), registry, in work at 18 months" in html
    assert "Key parameters" in html and "Assumptions" in html and "calibrated.norway_rct.hr_entry" in html


def test_html_is_self_contained(run):
    html = run["html"]
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", html)
    assert refs and all(r.startswith(("data:", "#")) for r in refs), [r for r in refs if not r.startswith(("data:", "#"))]
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
    inp = report.read_inputs(run["out"])
    ledger = report._ledger(inp)
    d = report._discount(inp, ledger)
    for p in ("society", "public", "nav", "individual"):
        net = ledger.perspective_net(p).transpose("sample", "strategy", "month").values
        total = ((net[:, 1] - net[:, 0]).mean(axis=0) * d).sum()
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
    r = runner.invoke(main, ["validate", str(tmp_path / "bad.yaml")])
    assert r.exit_code == 2 and "calibration.targets[3].month: month 30 is beyond run.horizon_years" in r.output
