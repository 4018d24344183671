"""`ipsecon sweep`: results independent of worker count and chunk size; resume after kill -9 gives
the same store as a clean run; bad sweep files end with one clear line, exit 2, nothing written."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from click.testing import CliRunner

from ipsecon.cli import main
from ipsecon.sweep.compute import DELAY_ENV
from ipsecon.sweep.run import run_sweep
from ipsecon.sweep.store import MARKER_DIR, STORE_NAME

N_SAMPLES = 6


def sweep_dict(root, **changes):
    d = {
        "title": "test sweep",
        "scenarios": [str(root / "scenarios" / "norway_rct.yaml")],
        "overrides": {"base": {}, "no_decay": {"set": {"ips.persistence.half_life": 1.0e9}},
                      "catch_up": {"structure": "catch_up_3y", "variables": {"effect_end": "1"}}},
        "samples": {"n": N_SAMPLES, "seed": 11, "method": "lhs"},
        "horizons": [1.0, 1.5],
        "perspectives": ["society", "nav"],
    }
    d.update(changes)
    return d


@pytest.fixture(scope="module")
def sweep_file(root, tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep_dict(root), sort_keys=False))
    return path


@pytest.fixture(scope="module")
def reference(sweep_file):
    """A clean, uninterrupted run in this process (no Dask), one unit per scenario × override."""
    out = sweep_file.parent / "reference"
    r = run_sweep(sweep_file, out, workers=0, chunk_size=N_SAMPLES, quiet=True)
    assert r.units == r.computed == 3
    return out


def arrays(out):
    with xr.open_zarr(out / STORE_NAME) as ds:
        return {name: ds[name].values for name in ds.variables}


def assert_bitwise_equal(out_a, out_b):
    a, b = arrays(out_a), arrays(out_b)
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].dtype == b[name].dtype and a[name].shape == b[name].shape, name
        assert a[name].tobytes() == b[name].tobytes(), f"{name} differs"


def test_store_layout_and_provenance(reference, sweep_file):
    with xr.open_zarr(reference / STORE_NAME) as ds:
        assert ds.sizes["scenario"] == 1 and list(ds.override.values) == ["base", "no_decay", "catch_up"]
        assert ds.sizes["sample"] == N_SAMPLES and list(ds.horizon.values) == [1.0, 1.5]
        assert {"net_gain", "cost", "qalys", "inc_npv", "breakeven_wage", "employment_years"} <= set(ds.data_vars)
        assert ds.net_gain.dims[:3] == ("scenario", "override", "sample")
        assert ds.attrs["seed"] == 11 and ds.attrs["samples_method"] == "lhs" and ds.attrs["ipsecon_version"]
        assert len(ds.attrs["sweep_hash"]) == 16 and len(json.loads(ds.attrs["scenario_hashes"])) == 3
        inc = ds.inc_npv.sel(perspective="society", horizon=1.5).load()
        assert np.isfinite(inc).all()
        # overrides act: 'no decay' never lowers the 18-month gain, catch-up by year 1 changes it
        assert (inc.sel(override="no_decay") >= inc.sel(override="base") - 1e-6).all()
        assert not np.allclose(inc.sel(override="catch_up"), inc.sel(override="base"))
        # samples differ from each other; the same draw is used under every override
        assert np.unique(inc.sel(override="base").values).size == N_SAMPLES
        assert ds.parameter_value.sizes["sample"] == N_SAMPLES
    assert len(list((reference / MARKER_DIR).glob("*.json"))) == 3


def test_a_unit_runs_on_one_core(sweep_file, tmp_path, monkeypatch):
    """A worker is one core: inside a unit the engines' numba kernels get one thread (else one
    worker would use every core and the worker count would not be the parallelism)."""
    import numba

    import ipsecon.sweep.compute as sweep

    seen, evaluate = [], sweep._evaluate

    def spy(*args):
        seen.append(numba.get_num_threads())
        return evaluate(*args)

    monkeypatch.setattr(sweep, "_evaluate", spy)
    before = numba.get_num_threads()
    run_sweep(sweep_file, tmp_path / "out", workers=0, chunk_size=N_SAMPLES, quiet=True)
    assert seen and set(seen) == {1}
    assert numba.get_num_threads() == before  # restored for the caller


def test_identical_for_worker_counts_and_chunk_sizes(reference, sweep_file, tmp_path):
    """Against a running cluster (--scheduler): 2 workers with 4 samples per unit, then 1 worker
    with one per unit; both bitwise equal to the in-process run (6 per unit). The local-cluster path
    (--workers) runs in the kill/resume test."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, Client(cluster) as client:
        for workers, chunk in ((2, 4), (1, 1)):
            cluster.scale(workers)
            deadline = time.monotonic() + 60
            while len(client.scheduler_info(n_workers=-1)["workers"]) != workers and time.monotonic() < deadline:
                time.sleep(0.05)
            out = tmp_path / f"w{workers}c{chunk}"
            r = run_sweep(sweep_file, out, scheduler=cluster.scheduler_address, chunk_size=chunk, quiet=True)
            assert r.workers == workers and r.computed == r.units == 3 * -(-N_SAMPLES // chunk)
            assert_bitwise_equal(out, reference)


# samples whose numbers depended on their unit's other samples before: sample 3 of this draw
# splits a class of the ledger's cells that the others share; 9 microsim samples in one call
# cut the 40 years into shorter blocks of cycles than one sample does
ORDER_CASES = {
    "cohort": {"samples": {"n": 7, "seed": 3, "method": "lhs"}, "horizons": [1.5, 20.0], "perspectives": ["society", "public"]},
    "microsim": {"samples": {"n": 9, "seed": 3, "method": "lhs"}, "horizons": [40.0], "perspectives": ["society"],
                 "engine": "microsim", "individuals": 300},
}


@pytest.mark.parametrize("engine", sorted(ORDER_CASES))
def test_bitwise_identical_for_every_chunk_size(root, tmp_path, engine):
    """Chunk sizes 1, 3 and 7 and the default give the same bytes in every variable as every
    sample in one unit, in this process; for the cohort also 2 local workers, 3 samples a unit."""
    path = tmp_path / "sweep.yaml"
    spec = {"scenarios": [str(root / "scenarios" / "norway_rct.yaml")], "overrides": {"base": {}}, **ORDER_CASES[engine]}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    reference = tmp_path / "one_unit"
    assert run_sweep(path, reference, workers=0, chunk_size=spec["samples"]["n"], quiet=True).units == 1
    # chunk 7 is one unit for the cohort's 7 samples (the reference itself): only the microsim's 9 need it
    chunks = (None, 1, 3, 7) if engine == "microsim" else (None, 1, 3)
    runs = {f"chunk {c}": {"workers": 0, "chunk_size": c} for c in chunks}
    if engine == "cohort":
        runs["2 workers"] = {"workers": 2, "chunk_size": 3}
    for name, options in runs.items():
        out = tmp_path / name.replace(" ", "_")
        run_sweep(path, out, quiet=True, **options)
        a, b = arrays(reference), arrays(out)
        for var in a:
            assert np.array_equal(a[var], b[var], equal_nan=a[var].dtype.kind == "f"), f"{name}: {var} differs"
        assert_bitwise_equal(reference, out)


def test_resume_after_kill_is_identical_to_a_clean_run(reference, sweep_file, tmp_path, monkeypatch):
    out = tmp_path / "killed"
    env = {**os.environ, DELAY_ENV: "0.4"}  # slow units, so the kill lands mid-sweep
    cmd = [sys.executable, "-c", "from ipsecon.cli import main; main()", "sweep", str(sweep_file), "--out", str(out),
           "--workers", "1", "--chunk-size", "1", "--quiet"]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    markers = out / MARKER_DIR
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if markers.is_dir() and len(list(markers.glob("*.json"))) >= 3:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()[0].decode()
        os.kill(proc.pid, signal.SIGKILL)  # kill -9 of the sweep process, mid-write or not
        proc.wait()
    finally:
        try:  # and the worker processes it started (its own session)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    done_before = {p.name: p.stat().st_mtime_ns for p in markers.glob("*.json")}
    assert 3 <= len(done_before) < 3 * N_SAMPLES

    # without --resume the existing output is refused
    refused = CliRunner().invoke(main, ["sweep", str(sweep_file), "--out", str(out), "--workers", "0"])
    assert refused.exit_code == 2 and "--resume" in refused.output and "already exists" in refused.output

    result = CliRunner().invoke(main, ["sweep", str(sweep_file), "--out", str(out), "--resume", "--workers", "0",
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    assert f"{3 * N_SAMPLES - len(done_before)} computed" in result.output
    assert f"{len(done_before)} already done" in result.output
    for name, mtime in done_before.items():  # finished units were not redone
        assert (markers / name).stat().st_mtime_ns == mtime
    assert_bitwise_equal(out, reference)

    # a resumed sweep whose file changed is refused
    changed = sweep_file.parent / "changed.yaml"
    changed.write_text(sweep_file.read_text() + "\n# edited\n")
    bad = CliRunner().invoke(main, ["sweep", str(changed), "--out", str(out), "--resume", "--workers", "0"])
    assert bad.exit_code == 2 and "changed" in bad.output

    # resuming with other ipsecon code (an upgrade or a local edit in between) says so; each marker has its code
    import ipsecon.sweep.run

    monkeypatch.setattr(ipsecon.sweep.run, "code_hash", lambda: "0123456789abcdef")
    warned = CliRunner().invoke(main, ["sweep", str(sweep_file), "--out", str(out), "--resume", "--workers", "0"])
    assert warned.exit_code == 0 and "warning:" in warned.output and "other ipsecon code" in warned.output
    assert all(json.loads(p.read_text())["code"] for p in markers.glob("*.json"))


@pytest.mark.parametrize("change, expect", [
    (lambda d: d.update(engines="cohort"), ["unknown key", "engine", "scenarios"]),
    (lambda d: d.update(perspectives=["society", "treasury"]), ["perspectives[1]", "'nav'"]),
    (lambda d: d["overrides"]["no_decay"].update(sett={}), ["overrides.no_decay.sett", "unknown key", "variables"]),
    (lambda d: d["overrides"]["no_decay"]["set"].update({"ips.no_such": 1}),
     ["overrides.no_decay.set.ips.no_such", "unknown parameter"]),
    (lambda d: d["overrides"]["catch_up"]["variables"].update(no_such_var="1"),
     ["overrides.catch_up.variables.no_such_var", "not a variable", "effect_end"]),
    (lambda d: d["overrides"]["catch_up"]["variables"].update(effect_end="no_such_parameter * 2"),
     ["no_such_parameter", "catch_up"]),
    (lambda d: d["overrides"]["catch_up"].update(structure="sudden_death"),
     ["overrides.catch_up.structure", "sudden_death", "no_decay"]),
    (lambda d: d["scenarios"].append("nowhere.yaml"), ["scenarios[1]", "not found"]),
    (lambda d: d.update(horizons=[0, 5]), ["horizons", "(0, 100]"]),
    (lambda d: d.update(samples={"n": 4, "method": "halton"}), ["samples.method", "sobol"]),
    (lambda d: d.update(samples={"n": 4, "parameters": ["no.such.*"]}), ["samples", "no parameter matches"]),
    (lambda d: d.update(samples={"n": "4"}), ["samples.n", "valid integer"]),
    (lambda d: d.update(samples={"n": True}), ["samples.n", "valid integer"]),
    (lambda d: d.update(samples={"n": 4, "seed": 2**64}), ["samples.seed", "less than or equal"]),
    (lambda d: d.update(chunk_size=10**30), ["chunk_size", "less than or equal"]),
    (lambda d: d.update(samples={"n": 200_000}, chunk_size=1), ["chunk_size", "work units", "100,000"]),
    (lambda d: d.update(perspectives=[]), ["perspectives", "at least 1"]),
    (lambda d: d.update(perspectives=["nav", "nav"]), ["perspectives", "twice"]),
    (lambda d: d["scenarios"].append(str(d["scenarios"][0]).rsplit("/", 1)[0]), ["scenarios[1]", "is a folder"]),
    (lambda d: d["scenarios"].append("a\0b.yaml"), ["scenarios[1]", "NUL byte"]),
    (lambda d: d["scenarios"].append(""), ["scenarios[1]", "empty path"]),
    (lambda d: d["scenarios"].append(d["scenarios"][0]), ["scenarios[1]", "appears twice"]),
    (lambda d: d.update(engine="microsim", individuals=10**13), ["individuals", "memory"]),
])
def test_bad_sweep_file(root, tmp_path, change, expect):
    data = sweep_dict(root)
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "--workers", "0"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for text in expect:
        assert text in lines[0], lines[0]
    assert not out.exists(), "nothing may be written on bad input"


def test_an_override_name_given_twice_is_refused(root, tmp_path):
    """YAML keeps the last of two equal keys without a word: two override sets of one name would
    silently become one."""
    path = tmp_path / "twice.yaml"
    text = yaml.safe_dump(sweep_dict(root), sort_keys=False)
    path.write_text(text.replace("  no_decay:\n", "  base:\n", 1))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "--workers", "0"])
    assert result.exit_code == 2 and "key 'base' appears twice in overrides" in result.output, result.output
    assert "line " in result.output and not out.exists()


# --- malformed sweep files: a mutation fuzz ---------------------------------------------------

FUZZ_BASE = {  # small, so that a mutation that stays valid runs in about a second
    "title": "fuzz",
    "scenarios": ["../scenarios/norway_rct.yaml"],
    "overrides": {"base": {}, "short": {"set": {"ips.persistence.half_life": 2.0}}},
    "samples": {"n": 2, "seed": 1, "method": "lhs"},
    "horizons": [1.0],
    "perspectives": ["society"],
    "engine": "cohort",
    "chunk_size": 1,
}
FUZZ_VALUES = [None, 0, -1, 1, 3, 2.5, float("nan"), float("inf"), -float("inf"), 1e300, 10**30, 10**8, "x", "",
               "3", True, [], {}, [1, 2], {"a": 1}, "a\0b", "/", "..", "nowhere.yaml", "../scenarios", 2**64]


def _paths(d, prefix=()):
    if isinstance(d, dict):
        for k, v in d.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


FUZZ_PATHS = list(_paths(FUZZ_BASE))


def _set(d, path, value):
    """d[path] = value, unless an earlier change removed the way there."""
    for k in path[:-1]:
        try:
            d = d[k]
        except (KeyError, IndexError, TypeError):
            return
    try:
        d[path[-1]] = value
    except (IndexError, TypeError):
        pass


def _mutated_text(op, changes, cut, byte):
    import copy

    d = copy.deepcopy(FUZZ_BASE)
    path = changes[0][0]
    parent = d
    for k in path[:-1]:
        parent = parent[k]
    if op == "set":
        for where, value in changes:
            _set(d, where, value)
    elif op == "delete":
        del parent[path[-1]]
    elif op == "rename" and isinstance(path[-1], str):
        parent[path[-1] + "_"] = parent.pop(path[-1])
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(parent[path[-1]])
    text = yaml.safe_dump(d, sort_keys=False).encode()
    if op == "duplicate key":
        text += b"overrides: {other: {}}\n"
    elif op == "truncate":
        text = text[:cut % (len(text) + 1)]
    elif op == "byte":
        i = cut % (len(text) + 1)
        text = text[:i] + bytes([byte]) + text[i:]
    elif op == "not a mapping":
        text = [b"", b"- a\n- b\n", b"42\n", b"~\n"][cut % 4]
    return text


def test_malformed_sweep_files_end_in_one_line_and_write_nothing(root, tmp_path_factory):
    """Mutations of a valid sweep file (values of every type at every field, missing or renamed
    keys, duplicates, truncated or non-UTF-8 text, a list or nothing instead of a mapping) end
    with exit 0, or with exit 2, one line naming the file, and no output folder."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "scenarios").symlink_to(root / "scenarios")
    seen = {0: 0, 2: 0}

    @settings(max_examples=80, deadline=None, derandomize=True, database=None)
    @given(st.sampled_from(["set", "set", "set", "delete", "rename", "duplicate", "duplicate key", "truncate", "byte",
                            "not a mapping"]),
           st.lists(st.tuples(st.sampled_from(FUZZ_PATHS), st.sampled_from(FUZZ_VALUES)), min_size=1, max_size=3),
           st.integers(0, 10**6), st.integers(0, 255))
    def check(op, changes, cut, byte):
        work = folder / "work"
        sweep = work / "sweep.yaml"
        work.mkdir(exist_ok=True)
        (work / "scenarios").unlink(missing_ok=True)
        (work / "scenarios").symlink_to(root / "scenarios")  # the scenario paths are relative to the sweep file
        sweep.write_bytes(_mutated_text(op, changes, cut, byte).replace(b"../scenarios/", b"scenarios/"))
        out = work / "out"
        result = CliRunner().invoke(main, ["sweep", str(sweep), "--out", str(out), "--workers", "0", "--quiet"])
        assert result.exit_code in (0, 2), (op, changes, result.output, result.exc_info)
        seen[result.exit_code] += 1
        if result.exit_code == 2:
            lines = [line for line in result.output.splitlines() if line.strip()]
            assert len(lines) == 1 and "Traceback" not in result.output, result.output
            assert not out.exists(), f"exit 2 wrote {out}: {lines[0]}"
        else:
            assert (out / STORE_NAME).is_dir() and (out / "summary.csv").is_file()
        shutil.rmtree(work)

    check()
    assert seen[0] and seen[2] > seen[0]  # the mutations reach both ends


def test_too_many_samples_for_memory(root, tmp_path, monkeypatch):
    """A sample count whose draws do not fit in memory ends with exit 2 before anything is drawn."""
    import ipsecon.engines.memory

    monkeypatch.setattr(ipsecon.engines.memory, "available_bytes", lambda: 2 * 2 ** 30)
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(sweep_dict(root, samples={"n": 5_000_000, "seed": 1}), sort_keys=False))
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "0"])
    assert result.exit_code == 2 and "samples.n" in result.output and "memory" in result.output, result.output
    assert not (tmp_path / "out").exists()


# --- one sweep per folder; --overwrite replaces only a complete sweep -------------------------

def test_a_second_sweep_into_a_busy_folder_is_refused(sweep_file, tmp_path):
    """Two `sweep --overwrite` into one folder at once: one runs, the other ends with exit 2
    naming the first's pid; the store is the complete one of the run that held the folder."""
    out = tmp_path / "busy"
    env = {**os.environ, DELAY_ENV: "0.3"}  # 9 units of 0.3 s: the first holds the folder for about 3 s
    cmd = [sys.executable, "-c", "from ipsecon.cli import main; main()", "sweep", str(sweep_file), "--out", str(out),
           "--workers", "0", "--chunk-size", "2", "--overwrite", "--quiet"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    winner, loser = (procs[0], procs[1]) if results[0][0] == 0 else (procs[1], procs[0])
    message = results[procs.index(loser)][2].strip()
    assert len(message.splitlines()) == 1 and f"{out} is in use by another sweep (pid {winner.pid})" in message
    with xr.open_zarr(out / STORE_NAME) as ds:
        assert np.isfinite(ds.inc_npv.values).all()
    assert len(list((out / MARKER_DIR).glob("*.json"))) == 9


def test_overwrite_keeps_the_previous_sweep_until_the_new_one_is_complete(reference, sweep_file, tmp_path, monkeypatch):
    import ipsecon.sweep.compute as compute

    out = tmp_path / "kept"
    shutil.copytree(reference, out)
    (out / "summary.csv").write_text("previous summary\n")
    calls, evaluate = [], compute._evaluate

    def fails_on_the_third_unit(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("a unit failed")
        return evaluate(*args)

    monkeypatch.setattr(compute, "_evaluate", fails_on_the_third_unit)
    failed = CliRunner().invoke(main, ["sweep", str(sweep_file), "--out", str(out), "--overwrite", "--workers", "0",
                                       "--quiet"])
    assert failed.exit_code != 0 and isinstance(failed.exception, RuntimeError)
    assert_bitwise_equal(out, reference)  # the previous complete sweep, untouched
    assert (out / "summary.csv").read_text() == "previous summary\n"
    assert sorted(p.name for p in out.iterdir()) == sorted([".sweep.lock", MARKER_DIR, STORE_NAME, "summary.csv"])

    monkeypatch.setattr(compute, "_evaluate", evaluate)
    done = CliRunner().invoke(main, ["sweep", str(sweep_file), "--out", str(out), "--overwrite", "--workers", "0",
                                     "--chunk-size", "2", "--quiet"])
    assert done.exit_code == 0, done.output
    assert_bitwise_equal(out, reference)  # the same numbers, now in units of 2 samples
    assert len(list((out / MARKER_DIR).glob("*.json"))) == 9
    assert (out / "summary.csv").read_text().startswith("scenario,override,structure")


# --- the summary --------------------------------------------------------------------------------

def test_summary_table_matches_the_store(reference, sweep_file, tmp_path):
    """summary.csv and the printed table: per scenario × override × perspective × horizon, the
    mean, 95 % interval and P(pays off) of the incremental NPV and the median break-even wage
    with censored samples at the bracket's bounds, recomputed here from the stored samples."""
    out = tmp_path / "summarised"
    result = CliRunner().invoke(main, ["sweep", str(sweep_file), "--out", str(out), "--workers", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "P(pays off)" in result.output and "median break-even wage" in result.output
    assert f"wrote {out / 'summary.csv'}" in result.output
    table = pd.read_csv(out / "summary.csv", keep_default_na=False)
    assert len(table) == 3 * 2 * 2  # overrides × perspectives × horizons (one scenario, one intervention)
    assert set(table.structure) == {"", "catch_up_3y"}
    with xr.open_zarr(out / STORE_NAME) as ds:
        low, high = ds.attrs["bracket_low"], ds.attrs["bracket_high"]
        for row in table.itertuples():
            at = {"scenario": row.scenario, "override": row.override, "perspective": row.perspective,
                  "horizon": row.horizon, "intervention": row.intervention}
            inc = ds.inc_npv.sel(at).values
            assert row.samples == N_SAMPLES
            assert np.isclose(row.inc_npv_mean, inc.mean(), rtol=1e-9)
            assert np.isclose(row.inc_npv_low, np.quantile(inc, 0.025), rtol=1e-9)
            assert np.isclose(row.inc_npv_high, np.quantile(inc, 0.975), rtol=1e-9)
            assert np.isclose(row.p_pays_off, (inc > 0).mean())
            status, wage = ds.breakeven_status.sel(at).values, ds.breakeven_wage.sel(at).values
            censored = np.where(status == 1, low, np.where(status == 2, high, wage))
            assert np.isclose(row.breakeven_wage_median, np.median(censored), rtol=1e-9)


# --- the report of a sweep folder ---------------------------------------------------------------

def test_report_of_a_sweep_folder(reference, sweep_file, tmp_path):
    """`ipsecon report` on a sweep folder: the summary table, what was swept and the provenance;
    a folder with nothing to report ends with exit 2."""
    out = tmp_path / "swept"
    assert CliRunner().invoke(main, ["sweep", str(sweep_file), "--out", str(out), "--workers", "0", "--quiet"]).exit_code == 0
    result = CliRunner().invoke(main, ["report", str(out), "--reports", str(tmp_path / "reports"), "--quiet"])
    assert result.exit_code == 0, result.output
    md = next((tmp_path / "reports").rglob("swept.md")).read_text()
    table = pd.read_csv(out / "summary.csv", keep_default_na=False)
    row = table.iloc[-1]
    assert "## Sweep: test sweep" in md and "| P(pays off) |" in md
    shown = {"nav": "NAV"}.get(row.perspective, row.perspective)  # the report names payers as people write them
    assert f"| {row.scenario} | {row.override} | {row.structure} | {shown} | {row.horizon:g} | {N_SAMPLES} | " \
           f"{row.inc_npv_mean:,.0f} | [{row.inc_npv_low:,.0f}, {row.inc_npv_high:,.0f}] | {row.p_pays_off:.2f} |" in md
    assert "Override set **no_decay**: sets ips.persistence.half_life = 1e+09" in md
    assert "Override set **catch_up**: structure catch_up_3y; variables effect_end = 1" in md
    assert f"Samples: {N_SAMPLES} (lhs, seed 11)" in md and "Horizons: 1, 1.5 years; perspectives: society, nav" in md
    with xr.open_zarr(out / STORE_NAME) as ds:
        assert ds.attrs["sweep_hash"] in md and ds.attrs["ipsecon_code_hash"] in md
    assert "Only" not in md  # every unit done

    empty = tmp_path / "empty"
    empty.mkdir()
    refused = CliRunner().invoke(main, ["report", str(empty), "--reports", str(tmp_path / "reports"), "--quiet"])
    assert refused.exit_code == 2
    assert f"{empty}: holds no ipsecon results: expected one of results.nc" in refused.output
    assert "sweep.zarr" in refused.output
