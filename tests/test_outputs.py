"""What a run writes: one complete run per folder (or the previous one untouched), valid JSON/CSV/Excel,
a unit on every NetCDF variable, and exit 2 with the path on I/O errors."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

from ipsecon.cli import main
from ipsecon.output import run_folder
from ipsecon.output.units import MISSING_UNIT


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _simulate(root, out, *extra):
    return _run("simulate", root / "scenarios" / "norway_rct.yaml", "--horizon", "2", "--out", out, "--quiet", *extra)


def _strict_json(text):
    def reject(token):
        raise ValueError(f"not JSON: {token}")
    return json.loads(text, parse_constant=reject)


def test_a_run_replaces_the_whole_folder_and_leaves_no_stale_file(tmp_path, root):
    out, reports = tmp_path / "rct", tmp_path / "reports"
    r = _simulate(root, out, "--reports", reports)
    assert r.exit_code == 0, r.output
    assert (out / "breakeven.csv").is_file() and (reports / "norway_rct" / "rct.html").is_file()
    assert run_folder.verify(out) == []
    r = _simulate(root, out, "--reports", reports, "--no-report")  # no break-even wages, no report
    assert r.exit_code == 0, r.output
    assert not (out / "breakeven.csv").exists()  # it would describe the earlier run
    assert not (reports / "norway_rct" / "rct.html").exists() and not (reports / "norway_rct" / "rct_figures").exists()
    assert run_folder.verify(out) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".rct.") and not p.name.endswith(".lock")] == []


def test_a_failed_run_leaves_the_previous_run_untouched(tmp_path, root, monkeypatch):
    out = tmp_path / "rct"
    assert _simulate(root, out, "--no-report").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = run_folder.RunFolder.write_bytes

    def disk_full(self, name, data, listed=True):
        if name == "summary.csv":  # after results.nc and occupancy.csv were staged
            raise OSError(errno.ENOSPC, "No space left on device", str(self.target / name))
        return real(self, name, data, listed)

    monkeypatch.setattr(run_folder.RunFolder, "write_bytes", disk_full)
    r = _simulate(root, out, "--no-report", "--set", "ips.cost.caseload=12")
    assert r.exit_code == 2
    assert str(out / "summary.csv") in r.output and "No space left on device" in r.output
    assert "Traceback" not in r.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p for p in tmp_path.iterdir() if ".staging-" in p.name] == []


def test_an_interrupted_swap_is_repaired_by_the_next_run(tmp_path, root):
    out = tmp_path / "rct"
    assert _simulate(root, out, "--no-report").exit_code == 0
    os.replace(out, tmp_path / ".rct.old-dead")  # killed between moving the old run aside and the new one in
    (tmp_path / ".rct.staging-dead").mkdir()
    with run_folder.RunFolder(out, "simulate") as run:
        assert (out / "results.nc").is_file()  # the complete old run is back while the new one is staged
        run.write_text("note.txt", "x")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["rct"]
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "note.txt"]


def test_kill_9_leaves_either_the_old_or_the_new_run(tmp_path, root):
    """Kill a real `simulate` at several moments: the folder always verifies as one complete run."""
    out = tmp_path / "rct"
    assert _simulate(root, out, "--no-report").exit_code == 0
    cmd = [str(Path(sys.executable).parent / "ipsecon"), "simulate", str(root / "scenarios" / "norway_rct.yaml"),
           "--horizon", "2", "--out", str(out), "--quiet", "--no-report", "--excel", "--set", "ips.cost.caseload=11"]
    for delay in (1.5, 2.5, 3.5):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        run_folder.repair(out)  # what the next run does first
        assert run_folder.verify(out) == [], delay
        assert [p for p in tmp_path.iterdir() if ".staging-" in p.name or ".old-" in p.name] == []


def test_a_folder_that_is_not_an_ipsecon_run_is_never_replaced(tmp_path, root):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("precious")
    r = _simulate(root, mine, "--no-report")
    assert r.exit_code == 2 and "no ipsecon run wrote" in r.output
    assert (mine / "chapter1.tex").read_text() == "precious" and sorted(p.name for p in mine.iterdir()) == ["chapter1.tex"]
    below_a_file = tmp_path / "thesis" / "chapter1.tex" / "out"
    r = _simulate(root, below_a_file, "--no-report")
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_one_command_does_not_overwrite_another_commands_folder(tmp_path, root):
    out = tmp_path / "rct"
    assert _simulate(root, out, "--no-report").exit_code == 0
    r = _run("dsa", root / "scenarios" / "norway_rct.yaml", "--out", out, "--no-report", "--quiet", "--horizons", "1")
    assert r.exit_code == 2 and "holds the results of `ipsecon simulate`" in r.output
    assert run_folder.verify(out) == []


def test_a_folder_being_written_is_refused(tmp_path, root):
    out = tmp_path / "rct"
    with run_folder.RunFolder(out, "simulate"):
        r = _simulate(root, out, "--no-report")
    assert r.exit_code == 2 and "being written by another ipsecon run" in r.output


def test_default_folders_differ_by_engine(tmp_path, root, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = root / "scenarios" / "norway_rct.yaml"
    assert _run("simulate", scenario, "--horizon", "1", "--no-report", "--quiet").exit_code == 0
    r = _run("simulate", scenario, "--horizon", "1", "--no-report", "--quiet", "--engine", "microsim",
             "--individuals", "200")
    assert r.exit_code == 0, r.output
    assert {p.name for p in (tmp_path / "results").iterdir() if not p.name.startswith(".")} == \
        {"norway_rct", "norway_rct_microsim"}
    engines = {xr.open_dataset(p / "results.nc", engine="h5netcdf").attrs["engine"]
               for p in (tmp_path / "results").iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert engines == {"cohort", "microsim"}


@pytest.mark.parametrize("option,value", [("--horizon", "nan"), ("--horizon", "inf"), ("--horizon", "1e400"),
                                          ("--horizon", "0"), ("--seed", str(2**64)), ("--individuals", "1e12")])
def test_non_finite_or_out_of_range_options_exit_2(tmp_path, root, option, value):
    r = _simulate(root, tmp_path / "x", "--no-report", option, value)
    assert r.exit_code == 2 and "Traceback" not in r.output and not (tmp_path / "x").exists()


@pytest.fixture(scope="module")
def every_command(tmp_path_factory, root):
    """Each computing command once, small, with --excel; its JSON output and folder."""
    tmp = tmp_path_factory.mktemp("formats")
    rct = root / "scenarios" / "norway_rct.yaml"
    runs = {
        "simulate": ["simulate", rct, "--horizon", "2"],
        "breakeven": ["breakeven", rct, root / "scenarios" / "bodo.yaml", "--horizons", "1.5,3"],
        "psa": ["psa", rct, "--samples", "8", "--horizons", "1,3"],
        "dsa": ["dsa", rct, "--horizons", "3", "--param", "ips.cost.*", "--pair",
                "calibrated.norway_rct.hr_entry,ips.persistence.half_life", "--grid", "2"],
        "sobol": ["sobol", rct, "--base-samples", "4", "--horizons", "3"],
    }
    out = {}
    for name, args in runs.items():
        folder = tmp / name
        r = _run(*args, "--out", folder, "--no-report", "--quiet", "--excel", "--format", "json")
        assert r.exit_code == 0, (name, r.output)
        out[name] = (folder, r.output)
    return out


def test_json_output_is_valid_json_with_null_for_missing(every_command):
    for name, (folder, text) in every_command.items():
        doc = _strict_json(text)
        assert doc["command"] == name and doc["tables"], name
        for key, path in doc["files"].items():
            assert os.path.isfile(path), (name, key)


def test_every_netcdf_variable_has_a_unit(every_command):
    for name, (folder, _) in every_command.items():
        for path in folder.glob("*.nc"):
            with xr.open_dataset(path, engine="h5netcdf", decode_times=False) as ds:
                for var in list(ds.data_vars) + list(ds.coords):
                    unit = ds[var].attrs.get("units")
                    assert unit and unit != MISSING_UNIT, (path.name, var)


def test_excel_workbook_holds_the_same_numbers_as_the_csv(every_command):
    folder, _ = every_command["breakeven"]
    book = openpyxl.load_workbook(folder / "breakeven.xlsx", read_only=True)
    assert book.sheetnames == ["about", "breakeven"]
    sheet = pd.read_excel(folder / "breakeven.xlsx", sheet_name="breakeven")
    csv = pd.read_csv(folder / "breakeven.csv")
    pd.testing.assert_series_equal(sheet["breakeven_wage"], csv["breakeven_wage"])
    folder, _ = every_command["psa"]
    assert "summary" in openpyxl.load_workbook(folder / "psa.xlsx", read_only=True).sheetnames


def test_csv_format_prints_the_main_table(tmp_path, root):
    r = _run("breakeven", root / "scenarios" / "norway_rct.yaml", "--horizons", "3", "--out", tmp_path / "be",
             "--no-report", "--quiet", "--format", "csv")
    assert r.exit_code == 0, r.output
    printed = pd.read_csv(pd.io.common.StringIO(r.output))
    saved = pd.read_csv(tmp_path / "be" / "breakeven.csv")
    pd.testing.assert_frame_equal(printed, saved)


@pytest.mark.parametrize("args", [["validate", "scenarios/bodo.yaml"], ["params", "caseload"],
                                  ["calibrate", "scenarios/meta.yaml", "--dry-run"]])  # meta: one parameter, a fast fit
def test_checking_and_listing_commands_speak_json_and_csv(root, args, monkeypatch):
    monkeypatch.chdir(root)
    doc = _strict_json(_run(*args, "--format", "json").output)
    assert doc["command"] == args[0] and all(doc["tables"].values())
    csv = _run(*args, "--format", "csv").output
    assert len(pd.read_csv(pd.io.common.StringIO(csv))) >= 1


def test_sweep_speaks_json_and_csv_with_the_saved_summary(root, tmp_path):
    args = ["sweep", root / "sweeps" / "persistence.yaml", "--workers", "0", "--out", tmp_path / "sw", "--quiet"]
    doc = _strict_json(_run(*args, "--format", "json").output)
    assert doc["command"] == "sweep" and doc["tables"]["summary"]
    saved = pd.read_csv(tmp_path / "sw" / "summary.csv")
    assert len(doc["tables"]["summary"]) == len(saved)
    printed = pd.read_csv(pd.io.common.StringIO(_run(*args, "--resume", "--format", "csv").output))
    pd.testing.assert_frame_equal(printed, saved, check_dtype=False)
