"""Reading a results folder: the files it holds, the run each file records, and whether the runs agree.

Result files: ``results.nc`` (with ``summary.csv``; ``ipsecon simulate``), ``breakeven.nc`` /
``breakeven.csv`` (``ipsecon breakeven``, or the break-even wages ``simulate`` stores in
``results.nc``), ``psa.nc``, ``dsa.nc``, ``sobol.nc``. Each NetCDF file carries the attributes of
the run that wrote it (:mod:`ipsecon.output.provenance`); ``breakeven.nc`` holds one run per
scenario in ``attrs['runs']``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ipsecon.errors import InputError
from ipsecon.output.report.runs import RunInfo
from ipsecon.output.report.sweep_section import SweepFolder, read_sweep
from ipsecon.output.roles import parse_json

UNCERTAINTY_FILES = ("psa.nc", "dsa.nc", "sobol.nc")
BREAKEVEN_VARIABLES = {"breakeven_wage": "breakeven_wage", "breakeven_npv_at_low": "npv_at_low",
                       "breakeven_npv_at_high": "npv_at_high", "breakeven_reason": "reason"}


@dataclass
class Inputs:
    """Everything found in a results folder, and the run behind each file."""

    folder: Path
    results: xr.Dataset | None = None
    summary: pd.DataFrame | None = None
    breakeven: pd.DataFrame | None = None  # tidy: scenario, [intervention,] perspective, horizon_years, breakeven_wage, …
    breakeven_file: str = ""  # the file the break-even table was read from
    psa: xr.Dataset | None = None
    dsa: xr.Dataset | None = None
    sobol: xr.Dataset | None = None
    sweep: SweepFolder | None = None  # sweep.zarr (ipsecon sweep)
    runs: dict[str, RunInfo] = field(default_factory=dict)  # file name -> its run
    breakeven_runs: dict[str, RunInfo] = field(default_factory=dict)  # scenario -> its run (breakeven.nc)

    def run(self, file: str) -> RunInfo:
        return self.runs.get(file) or RunInfo(file)

    @property
    def main(self) -> RunInfo:
        """The run the report is about: results.nc's, else the first uncertainty file's, else the break-even run's."""
        for f in ("results.nc",) + UNCERTAINTY_FILES:
            if f in self.runs:
                return self.runs[f]
        if len(self.breakeven_runs) == 1:
            return next(iter(self.breakeven_runs.values()))
        return self.runs.get("breakeven.nc") or RunInfo("")

    @property
    def card_run(self) -> RunInfo:
        """The first run whose file holds a scenario card (for the model card)."""
        runs = [self.main] + list(self.runs.values()) + list(self.breakeven_runs.values())
        return next((r for r in runs if r.card), self.main)

    @property
    def name(self) -> str:
        if self.main.name:
            return self.main.name
        if self.breakeven_runs:
            return "+".join(self.breakeven_runs)
        if self.breakeven is not None and "scenario" in self.breakeven:
            return "+".join(dict.fromkeys(str(s) for s in self.breakeven["scenario"]))
        return self.folder.name

    def file_runs(self) -> list[tuple[str, list[RunInfo]]]:
        """Each result file with the run(s) it records (several for a breakeven.nc of several scenarios)."""
        out = [(f, [r]) for f, r in self.runs.items() if f != "breakeven.nc"]
        if self.breakeven_runs:
            out.append(("breakeven.nc", list(self.breakeven_runs.values())))
        elif "breakeven.nc" in self.runs:
            out.append(("breakeven.nc", [self.runs["breakeven.nc"]]))
        return out

    def mixed(self) -> list[tuple[RunInfo, RunInfo, list[str]]]:
        """Pairs of runs from different files whose recorded identity differs, with the differing fields."""
        files = self.file_runs()
        out = []
        for i, (_, runs_a) in enumerate(files):
            for _, runs_b in files[i + 1:]:
                out += [(a, b, c) for a in runs_a for b in runs_b if (c := a.conflicts(b))]
        return out

    def unverifiable(self) -> list[RunInfo]:
        """Runs that do not record part of their identity, in a folder of several files."""
        if len(self.file_runs()) < 2:
            return []
        return [r for _, runs in self.file_runs() for r in runs if r.unrecorded()]


def own_file(path: Path) -> bool:
    """Whether ``path`` is a file of its results folder to read (False when absent). A link that leads out
    of the folder is refused: a report reads only the folder it is given."""
    if not path.is_symlink() and not path.exists():
        return False
    if not path.resolve().is_relative_to(path.parent.resolve()):
        raise InputError(path, None, "is a link to a file outside the results folder",
                         "a report reads only the files inside the folder it is given")
    return path.is_file()


def open_dataset(path: Path) -> xr.Dataset | None:
    if not own_file(path):
        return None
    # decode_times=False: 'months since the strategy started' is not a calendar unit
    with xr.open_dataset(path, engine="h5netcdf", decode_times=False) as ds:
        return ds.load()


def clean_months(da: xr.DataArray) -> xr.DataArray:
    """Drop months where every value is missing and round month labels (results written before the
    occupancy and ledger month grids were aligned can hold both 7.000000000001 and 7.0)."""
    if "month" not in da.dims:
        return da
    other = [d for d in da.dims if d != "month"]
    keep = da.notnull().any(other) if other else da.notnull()
    da = da.isel(month=np.flatnonzero(keep.values))
    return da.assign_coords(month=np.round(da["month"].values.astype(float), 6))


def breakeven_frame(ds: xr.Dataset, horizon_dim: str, scenario: str | None = None) -> pd.DataFrame | None:
    """The break-even wages stored in a Dataset as a tidy table (None when it holds only the wages)."""
    if "breakeven_wage" not in ds or "breakeven_reason" not in ds:
        return None
    keep = [v for v in BREAKEVEN_VARIABLES if v in ds]
    frame = ds[keep].reset_coords(drop=True).to_dataframe().reset_index()
    frame = frame.rename(columns={**BREAKEVEN_VARIABLES, horizon_dim: "horizon_years"})
    reason = frame["reason"].astype(str).str.strip()
    frame = frame[frame["breakeven_wage"].notna() | ~reason.isin(["", "nan", "None"])]  # cells no run filled
    if "scenario" not in frame:
        frame.insert(0, "scenario", scenario or "")
    return frame.reset_index(drop=True)


def _breakeven_runs(attrs: dict) -> dict[str, RunInfo]:
    runs = parse_json(attrs.get("runs"), {})
    if not isinstance(runs, dict):
        return {}
    return {str(k): RunInfo(f"breakeven.nc ({k})", v) for k, v in runs.items() if isinstance(v, dict)}


def _read_breakeven(inp: Inputs, folder: Path) -> None:
    be = open_dataset(folder / "breakeven.nc")
    csv = folder / "breakeven.csv"
    if be is not None:
        inp.runs["breakeven.nc"] = RunInfo("breakeven.nc", dict(be.attrs))
        inp.breakeven_runs = _breakeven_runs(dict(be.attrs))
        inp.breakeven, inp.breakeven_file = breakeven_frame(be, "horizon_years"), "breakeven.nc"
    if inp.breakeven is None and inp.results is not None and "breakeven_horizon" in inp.results.dims:
        inp.breakeven = breakeven_frame(inp.results, "breakeven_horizon", inp.run("results.nc").name)
        inp.breakeven_file = "results.nc"
    if inp.breakeven is None and own_file(csv):  # older folders: a table without provenance of its own
        inp.breakeven, inp.breakeven_file = pd.read_csv(csv), "breakeven.csv"


def read_inputs(folder: Path) -> Inputs:
    """What ``folder`` holds; reads nothing outside it."""
    folder = Path(folder)
    inp = Inputs(folder)
    inp.results = open_dataset(folder / "results.nc")
    if inp.results is not None:
        inp.runs["results.nc"] = RunInfo("results.nc", dict(inp.results.attrs))
        if own_file(folder / "summary.csv"):
            inp.summary = pd.read_csv(folder / "summary.csv", index_col=0)
    for f in UNCERTAINTY_FILES:
        ds = open_dataset(folder / f)
        setattr(inp, f.removesuffix(".nc"), ds)
        if ds is not None:
            inp.runs[f] = RunInfo(f, dict(ds.attrs))
    _read_breakeven(inp, folder)
    inp.sweep = read_sweep(folder)
    found = [inp.results, inp.summary, inp.breakeven, inp.psa, inp.dsa, inp.sobol, inp.sweep]
    if all(x is None for x in found):
        expected = ("results.nc", "breakeven.nc", "breakeven.csv", *UNCERTAINTY_FILES, "sweep.zarr")
        raise InputError(folder, None, f"holds no ipsecon results: expected one of {', '.join(expected)}")
    return inp
