"""Start-up and the main command (issue 17): what a command imports, xarray without dask until dask is
used, and the base case with its structural alternatives in one batched cohort run."""

import json
import subprocess
import sys

import numpy as np

HEAVY = ["numba", "pandas", "xarray", "scipy", "matplotlib", "dask", "jinja2", "ipsecon.money.ledger"]


def _modules_after(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; which HEAVY modules it left imported, and what it printed."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return {"loaded": json.loads(out.stdout.strip().splitlines()[-1]), "stdout": out.stdout}


def test_version_imports_nothing_heavy():
    r = _modules_after("from ipsecon.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass")
    assert "ipsecon, version" in r["stdout"]
    assert r["loaded"] == []  # numpy is all --version may need (click, the defaults)


def test_import_ipsecon_is_light():
    assert _modules_after("import ipsecon")["loaded"] == []


def test_xarray_works_without_dask_until_dask_is_used():
    code = """
import io, sys
from ipsecon.cli import defer_dask_check
defer_dask_check()
import numpy as np, xarray as xr
ds = xr.Dataset({"a": ("x", np.arange(3.0))}, coords={"x": [1, 2, 3]})
ds.to_netcdf(io.BytesIO(), engine="h5netcdf")
assert "dask" not in sys.modules, "xarray imported dask"
import dask.array as da
lazy = xr.DataArray(da.ones(4, chunks=2), dims="y")
assert lazy.chunks == ((2, 2),) and float(lazy.sum().compute()) == 4.0
from xarray.namedarray.pycompat import is_chunked_array
assert is_chunked_array(lazy.variable._data) and not is_chunked_array(np.ones(2))
"""
    _modules_after(code)


def test_base_case_and_structures_in_one_batch_equal_separate_runs(root):
    from ipsecon import api
    from ipsecon.engines.simulate import simulate

    sc = api.load_scenario(root / "scenarios/bodo.yaml")
    alternatives = api.structure_alternatives(sc)
    assert [a.structure for a in alternatives] == ["no_decay", "catch_up_3y", "ips_replaces_usual_care"]
    batch = api.structure_simulations(sc, [sc] + alternatives, 3.25)
    for i in (0, 2):  # the base case and catch_up_3y, each against its own run
        one, alone = batch[i], simulate([sc, *alternatives][i], horizon_years=3.25)
        assert one.scenario is not None and one.trace.occupancy.shape == alone.trace.occupancy.shape
        for name in ("occupancy", "flows", "ever"):
            assert np.array_equal(getattr(one.trace, name), getattr(alone.trace, name)), name
        for reward, total in alone.reward_totals().items():
            assert np.array_equal(one.reward_totals()[reward], total), reward
    # the alternatives differ where they should: catch_up_3y ends the effect at year 3, so IPS's
    # employment at month 39 is lower than with no decay; ips_replaces_usual_care changes costs only
    work = [b.trace.population_occupancy()[0, 1, 39, 0] for b in batch]
    assert work[2] < work[1]
    assert np.array_equal(batch[3].trace.occupancy, batch[0].trace.occupancy)


def test_the_process_ends_with_its_exit_code_output_and_exit_handlers(tmp_path):
    """main() as the `ipsecon` script calls it skips the interpreter's teardown, nothing else: the
    exit status, every line printed (to a pipe, so buffered) and the exit handlers all remain."""
    code = ("import atexit, sys\nfrom ipsecon.cli import main\n"
            f"atexit.register(lambda: open({str(tmp_path / 'handler')!r}, 'w').write('ran'))\n"
            "sys.argv = ['ipsecon'] + sys.argv[1:]\nmain()\nprint('not reached')")
    ok = subprocess.run([sys.executable, "-c", code, "params", "caseload"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout.startswith("ips.cost.caseload = ") and "not reached" not in ok.stdout
    assert (tmp_path / "handler").read_text() == "ran"
    bad = subprocess.run([sys.executable, "-c", code, "simulate", str(tmp_path / "none.yaml")], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "none.yaml" in bad.stderr
