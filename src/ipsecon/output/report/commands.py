"""The command that recreates each result file, rebuilt from what the file records about its run
(scenario file, engine, seed, horizons, perspectives, sample sizes, overrides, …) — never the
process's command line as typed, which an API call or a test runner makes meaningless. Paths are
shown relative to the working directory (see :func:`shown_path`)."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import numpy as np
import xarray as xr

from ipsecon.output.report.runs import RunInfo


def shown_path(path) -> str:
    """A path as a report shows it: relative to the working directory when it lies inside it, else just
    its name (a report is shared; the folders of the machine that wrote it are nobody's business)."""
    p = Path(str(path))
    if not p.is_absolute():
        return p.as_posix()
    try:
        return Path(os.path.relpath(p, Path.cwd())).as_posix() if p.resolve().is_relative_to(Path.cwd().resolve()) \
            else p.name
    except (OSError, ValueError):
        return p.name


def _q(text) -> str:
    return shlex.quote(str(text))


def _num(x) -> str:
    """A number as the shortest text that reads back as the same float (1075863.6, not 1.07586e+06)."""
    return repr(float(x)).removesuffix(".0")


def _years(values) -> str:
    return ",".join(_num(h) for h in values)


def _common(run: RunInfo) -> list[str]:
    """--engine, --individuals and --seed (microsim), --structure and --set, as recorded."""
    parts = [f"--engine {run.engine}"] if run.engine else []
    if run.structure and run.structure != "default":
        parts.append(f"--structure {_q(run.structure)}")
    for k, v in (run.overrides or {}).items():
        parts.append(f"--set {_q(f'{k}={_num(v)}' if isinstance(v, (int, float)) else f'{k}={v}')}")
    return parts


def _seed(run: RunInfo) -> list[str]:
    out = [f"--seed {run.seed}"] if run.seed is not None and run.seed >= 0 else []
    if run.microsim and run.individuals:
        out.append(f"--individuals {run.individuals}")
    return out


def _perspectives(values) -> list[str]:
    return [f"--perspective {p}" for p in values]


def _recorded(run: RunInfo, option: str, command: str) -> list[str]:
    """Values of ``option`` in the recorded command line, if that is this command's own."""
    try:
        words = shlex.split(str(run.get("command") or ""))
    except ValueError:
        return []
    if words[:2] != ["ipsecon", command]:
        return []
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w == option]


def _psa(run: RunInfo, ds: xr.Dataset) -> list[str]:
    a = ds.attrs
    parts = [f"--samples {int(a.get('n_samples', ds.sizes.get('sample', 2)))}", f"--method {a.get('method', 'random')}"]
    parts += [f"--horizons {_years(ds['horizon'].values)}"] + _perspectives(ds["perspective"].values)
    if "population" in a:
        parts.append(f"--population {_num(a['population'])}")
    if "wtp" in ds.coords:
        grid = [w for w in ds["wtp"].values if not np.isclose(w, float(a.get("wtp_default", np.nan)))]
        parts.append(f"--wtp-max {_num(max(grid or ds['wtp'].values))}")
    if str(a.get("correlated", "1")) == "0":
        parts.append("--independent")
    return parts


def _dsa(run: RunInfo, ds: xr.Dataset) -> list[str]:
    a = ds.attrs
    parts = [f"--horizons {_years(ds['horizon'].values)}"] + _perspectives(ds["perspective"].values)
    parts += [f"--param {_q(p)}" for p in ds["parameter"].values]
    if "twoway_x_name" in ds:
        parts += [f"--pair {_q(f'{x},{y}')}" for x, y in zip(ds["twoway_x_name"].values, ds["twoway_y_name"].values)]
        parts.append(f"--grid {ds.sizes['x_index']}")
    if "coverage" in a:
        parts.append(f"--coverage {_num(a['coverage'])}")
    if "wtp" in a:
        parts.append(f"--wtp {_num(a['wtp'])}")
    return parts


def _sobol(run: RunInfo, ds: xr.Dataset) -> list[str]:
    a = ds.attrs
    perspectives = list(dict.fromkeys(str(o).split(":")[-1] for o in ds["output"].values if ":" in str(o)))
    parts = [f"--base-samples {int(a.get('n_base', 64))}", f"--group-by {a.get('group_by', 'family')}",
             f"--resamples {int(a.get('num_resamples', 200))}", f"--horizons {_years(ds['horizon'].values)}"]
    parts += _perspectives(perspectives)
    if str(a.get("second_order", "0")) == "1":
        parts.append("--second-order")
    if a.get("group_by") == "parameter":
        parts += [f"--param {_q(p)}" for p in ds["parameter"].values]
    else:  # families: which parameters were included is only in the command line
        parts += [f"--param {_q(p)}" for p in _recorded(run, "--param", "sobol")]
    return parts


UNCERTAINTY = {"psa.nc": ("psa", _psa), "dsa.nc": ("dsa", _dsa), "sobol.nc": ("sobol", _sobol)}


def reproduce_command(file: str, run: RunInfo, ds: xr.Dataset | None, folder) -> str | None:
    """The command that recreates ``file`` in ``folder``; None where the file does not record enough."""
    out = f"--out {_q(shown_path(folder))}"
    scenario = run.get("scenario_file")
    if file in UNCERTAINTY and ds is not None and scenario:
        name, options = UNCERTAINTY[file]
        words = ["ipsecon", name, _q(shown_path(scenario))] + options(run, ds) + _common(run) + _seed(run) + [out]
        return " ".join(words)
    if file == "results.nc" and scenario:
        h = run.horizon_years
        words = ["ipsecon simulate", _q(shown_path(scenario))] + [w for w in _common(run) if "--structure" not in w]
        words += ([f"--horizon {_num(h)}"] if h else []) + _seed(run) + [out]
        return " ".join(words)
    if file == "breakeven.nc":
        try:
            files = json.loads(run.get("scenario_files") or "{}")
        except ValueError:
            files = {}
        if not files or ds is None:
            return None
        words = ["ipsecon breakeven"] + [_q(shown_path(f)) for f in files.values()]
        words += [f"--horizons {_years(ds['horizon_years'].values)}"] + _perspectives(ds["perspective"].values)
        words += [w for w in _common(run) if not w.startswith("--structure")] + [out]
        return " ".join(words)
    return None
