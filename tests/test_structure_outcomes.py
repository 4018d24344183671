"""simulate stores each structural alternative's key outcomes beside the base case's (results.nc:
structure_*), and the report shows them; an independent run with --structure NAME gives the same numbers."""

import numpy as np
import xarray as xr
from click.testing import CliRunner

from ipsecon import api
from ipsecon.cli import main
from ipsecon.model.scenario import load_scenario
from ipsecon.output.report import write_report


def _simulate(root, out, *extra):
    r = CliRunner().invoke(main, ["simulate", str(root / "scenarios/bodo.yaml"), "--horizon", "3", "--out", str(out),
                                  "--reports", str(out.parent / "reports"), "--quiet", *extra])
    assert r.exit_code == 0, r.output
    return xr.open_dataset(out / "results.nc", engine="h5netcdf")


def test_stored_catch_up_3y_equals_an_independent_structure_run(root, tmp_path):
    with _simulate(root, tmp_path / "base") as base, _simulate(root, tmp_path / "alt", "--structure", "catch_up_3y") as alt:
        # half_life changes no variable (it is the model as declared), so only the others are run again
        assert sorted(base["structure"].values) == ["catch_up_3y", "ips_replaces_usual_care", "no_decay"]
        stored = base["structure_incremental_npv"].sel(structure="catch_up_3y", strategy="ips")
        independent = alt["outcome_incremental_npv"].sel(strategy="ips")
        for p in independent["perspective"].values:
            np.testing.assert_allclose(float(stored.sel(perspective=p)), float(independent.sel(perspective=p)), rtol=1e-12)
        wage = base["structure_breakeven_wage"].sel(structure="catch_up_3y", strategy="ips")
        own = alt["breakeven_wage"].sel(intervention="ips", breakeven_horizon=3.0)
        np.testing.assert_allclose(wage.sel(perspective=own["perspective"]).values, own.values, rtol=1e-9)
        # the structure makes a difference: up to year 3 catch_up_3y keeps the full effect (no decay after
        # support), so over 3 years it is worth more than the base case's half-life decay
        assert float(stored.sel(perspective="society")) > float(base["outcome_incremental_npv"].sel(
            strategy="ips", perspective="society")) + 1
        # a run of an alternative does not store the alternatives again
        assert "structure_incremental_npv" not in alt


def test_the_report_shows_the_alternatives_beside_the_base_case(root, tmp_path):
    with _simulate(root, tmp_path / "base") as ds:
        npv = float(ds["structure_incremental_npv"].sel(structure="catch_up_3y", strategy="ips", perspective="society"))
    md = write_report(tmp_path / "base", tmp_path / "reports", quiet=True)["markdown"].read_text(encoding="utf-8")
    answer = md[md.rindex("\n", 0, md.index("NPV, catch_up_3y")) + 1:]  # from the table's header line
    header, _, society = answer.splitlines()[:3]
    columns = [c.strip() for c in header.split("|")]
    cells = [c.strip() for c in society.split("|")]
    assert cells[1] == "society"
    shown = float(cells[columns.index("NPV, catch_up_3y")].replace(",", "").replace("+", "").replace("\u2212", "-"))
    assert abs(shown - npv) < 0.51


def test_structures_option_off(root):
    sc = load_scenario(root / "scenarios/bodo.yaml")
    result = api.run(sc, horizon=1.5, breakeven=False, structures=False)
    assert "structure_incremental_npv" not in result.dataset
