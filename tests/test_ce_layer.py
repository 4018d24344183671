"""The cost-effectiveness layer of a model without the payer ledger (issue 16, item 1).

Expected values are worked by hand (the frontier example), taken from the published model
(Chancellor 1997 / Briggs et al. 2006: ICER £6,276 per life year gained), or recomputed from the
per-sample costs and effects by the textbook formulas (CEAC, EVPI), never read off the code's output.
"""

import json

import numpy as np
import pytest
import xarray as xr
import yaml
from click.testing import CliRunner

from ipsecon import api
from ipsecon.cli import main
from ipsecon.economics.evaluation import ce_table


def test_frontier_increments_and_nmb_by_hand():
    # A comparator; B extendedly dominated (ICER vs A 4,000 > C vs B 2,000); C on the frontier (vs A:
    # 4,000 / 1.5 = 2,666.67); D strongly dominated by C; F cheaper and better than A (dominant)
    names = ["A", "B", "C", "D", "F"]
    t = ce_table(names, [1000, 3000, 5000, 6000, 800], [1.0, 1.5, 2.5, 2.0, 1.2], "A", 3000.0).set_index("strategy")
    assert list(t.status) == ["dominated", "extendedly dominated", "frontier", "dominated", "frontier"]
    assert t.loc["C", "compared_with"] == "F" and t.loc["C", "icer"] == pytest.approx(4200 / 1.3)
    assert list(t.vs_comparator) == ["comparator", "ICER", "ICER", "ICER", "dominant"]
    assert t.loc["B", "icer_vs_comparator"] == pytest.approx(4000.0)
    assert t.loc["C", "icer_vs_comparator"] == pytest.approx(4000 / 1.5)
    assert t.loc["D", "icer_vs_comparator"] == pytest.approx(5000.0)
    assert np.isnan(t.loc["F", "icer_vs_comparator"])  # no ratio for a dominant strategy
    assert list(t.nmb) == pytest.approx([2000, 1500, 2500, 0, 2800])
    assert list(t.incremental_nmb) == pytest.approx([0, -500, 500, -2000, 800])


def test_hiv_model_gets_the_published_icer_and_nmb(root, tmp_path):
    out = tmp_path / "hiv"
    r = CliRunner().invoke(main, ["simulate", str(root / "tests/data/chancellor_hiv.yaml"), "--out", str(out),
                                  "--no-report", "--format", "json", "--wtp", "10000"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    rows = {row["strategy"]: row for row in doc["tables"]["cost_effectiveness"]}
    comb = rows["comb"]
    assert round(comb["icer_vs_comparator"]) == 6276 and round(comb["icer"]) == 6276  # Briggs et al. 2006, ex. 2.5
    assert comb["vs_comparator"] == "ICER" and comb["status"] == "frontier" and comb["compared_with"] == "mono"
    # 10,000 × (8.937 − 7.991) − (50,602 − 44,663) from the published rounded totals: 3,521 ± rounding
    assert comb["incremental_nmb"] == pytest.approx(10_000 * (8.937 - 7.991) - (50_602 - 44_663), abs=10)
    with xr.open_dataset(out / "results.nc") as ds:
        assert float(ds.ce_incremental_nmb.sel(strategy="comb")) == pytest.approx(comb["incremental_nmb"])
        assert ds.attrs["ce_wtp"] == 10000 and ds.attrs["ce_effect"] == "life_years"
        assert ds.ce_icer.attrs["units"] == "GBP per years"
    from ipsecon.output.report import write_report

    md = write_report(out, tmp_path / "reports", quiet=True)["markdown"].read_text()
    section = md.split("## Cost-effectiveness", 1)[1].split("\n## ", 1)[0]
    assert "ICER 6,276 GBP per years" in section and "| comb | 50,602 | 8.937 |" in section


@pytest.fixture(scope="module")
def hiv_psa(root):
    return api.load_scenario(root / "tests/data/chancellor_hiv_psa.yaml")


def test_psa_summaries_are_the_textbook_formulas(hiv_psa):
    ds = api.psa(hiv_psa, samples=40, seed=5, horizons=[5.0, 20.0], quiet=True)
    wtp = 20_000.0  # hiv.wtp in the file
    assert ds.attrs["wtp_default"] == wtp and list(ds.perspective.values) == ["model"]
    c = ds.cost.sel(perspective="model", horizon=20.0).transpose("sample", "strategy").values
    e = ds.qalys.sel(horizon=20.0).transpose("sample", "strategy").values
    nmb = wtp * e - c  # per sample and strategy
    assert ds.inc_npv.sel(perspective="model", horizon=20.0, intervention="comb").values == pytest.approx(nmb[:, 1] - nmb[:, 0])
    assert float(ds.prob_pays_off.sel(perspective="model", horizon=20.0, intervention="comb")) == pytest.approx(np.mean(nmb[:, 1] > nmb[:, 0]))
    ceac = ds.ceac.sel(perspective="model", horizon=20.0, wtp=wtp).values
    assert ceac == pytest.approx([np.mean(nmb.argmax(1) == k) for k in range(2)])
    evpi = np.mean(nmb.max(1)) - nmb.mean(0).max()
    assert float(ds.evpi.sel(perspective="model", horizon=20.0, wtp=wtp)) == pytest.approx(evpi, abs=1e-6)
    assert ds.wtp.values.max() == pytest.approx(5 * wtp)  # the grid follows the model's currency
    assert ds.evppi.sizes["group"] > 0 and ds.qalys.attrs["units"] == "years per person"


def test_dsa_tornado_on_incremental_nmb_equals_a_deterministic_run(hiv_psa, root):
    ds = api.dsa(hiv_psa, ["hiv.rr"], horizons=[20.0], quiet=True, wtp=15_000.0)
    low = float(ds.low_value.sel(parameter="hiv.rr"))
    # the same setting through the deterministic pipeline (another code path: the run's CE table)
    one = api.load_scenario(root / "tests/data/chancellor_hiv_psa.yaml", overrides={"hiv.rr": low})
    cea = api.run(one, wtp=15_000.0, structures=False).cea.set_index("strategy")
    got = float(ds.inc_npv.sel(parameter="hiv.rr", bound="low", intervention="comb", perspective="model", horizon=20.0))
    assert got == pytest.approx(cea.loc["comb", "incremental_nmb"], rel=1e-9)
    assert "breakeven_wage" not in ds


def test_sobol_and_sweep_run_on_a_model_without_the_ledger(hiv_psa, root, tmp_path):
    ds = api.sobol(hiv_psa, base_samples=8, horizons=[20.0], group_by="family", quiet=True)
    assert list(ds.output.values) == ["inc_nmb"] and list(ds.output_units.values) == ["GBP per person"]
    sweep = yaml.safe_load((root / "tests/data/hiv_sweep.yaml").read_text())
    sweep["scenarios"] = [str(root / "tests/data/chancellor_hiv_psa.yaml")]
    sweep["samples"] = {"n": 4}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(sweep))
    r = CliRunner().invoke(main, ["sweep", str(tmp_path / "s.yaml"), "--workers", "0", "--out", str(tmp_path / "o"),
                                  "--quiet", "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert "weaker_effect,,comb,model,20.0,4," in r.output.replace('"', "")


def test_bad_effect_reward_is_one_line_exit_2(root, tmp_path):
    spec = yaml.safe_load((root / "tests/data/chancellor_hiv.yaml").read_text())
    spec["model"]["effect"] = "cost"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    r = CliRunner().invoke(main, ["simulate", str(path), "--out", str(tmp_path / "o"), "--no-report"])
    assert r.exit_code == 2
    line = r.output.strip()
    assert "\n" not in line and "bad.yaml" in line and "model.effect" in line and "life_years" in line


def test_breakeven_on_a_model_without_the_ledger_points_to_threshold(root, tmp_path):
    r = CliRunner().invoke(main, ["breakeven", str(root / "tests/data/chancellor_hiv.yaml"), "--out", str(tmp_path / "b"),
                                  "--no-report", "--quiet"])
    line = r.output.strip()
    assert r.exit_code == 2 and "\n" not in line and "model.employment_state" in line and "ipsecon threshold" in line
