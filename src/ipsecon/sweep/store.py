"""The sweep's Zarr store ``DIR/sweep.zarr`` and its completion markers ``DIR/units/<unit>.json``:
creating the store, writing units into it (this process is the only writer), which units are done,
and the digest of the code that computed them.

Crash safety: a unit first writes its region (its own Zarr chunks: the store is chunked one unit per
chunk along scenario, override and sample), then its completion marker ``DIR/units/<unit>.json``
atomically (temporary file + rename). A unit is done only when its marker exists, so a kill -9 at any
moment leaves complete units and units that will be recomputed; ``--resume`` redoes exactly those and
gives a store bitwise identical to an uninterrupted run. The store itself is created in a temporary
folder and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

if TYPE_CHECKING:  # pragma: no cover
    from ipsecon.sweep.spec import Plan, Unit

STORE_NAME = "sweep.zarr"
MARKER_DIR = "units"
SWEEP_DIMS = ("scenario", "override", "sample")


_CODE_HASH: dict[tuple, str] = {}


def code_hash() -> str:
    """Digest of this package's Python sources, recorded in the store and in each unit's marker so
    that units computed by different code (local edits, editable installs that differ between
    machines: the version string misses both) are visible. Content-based, so equal across machines;
    recomputed only when a file's size or time changes."""
    root = Path(__file__).resolve().parent.parent  # the whole package, every subpackage
    files = sorted(root.rglob("*.py"))
    stamp = tuple((str(f.relative_to(root)), st.st_size, st.st_mtime_ns) for f in files for st in [f.stat()])
    if stamp not in _CODE_HASH:
        h = hashlib.sha256()
        for f in files:
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
        _CODE_HASH.clear()
        _CODE_HASH[stamp] = h.hexdigest()[:16]
    return _CODE_HASH[stamp]


def _fill(dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        return np.nan
    if dtype.kind in "iu":
        return -1 if dtype.kind == "i" else 0
    if dtype.kind == "b":
        return False
    raise TypeError(f"unsupported outcome dtype {dtype}")


def _outcome_arrays(ds: xr.Dataset, template: dict[str, tuple[str, ...]] | None = None) -> dict[str, np.ndarray]:
    """Each outcome variable as an array with dims (sample, ...), in the store's order."""
    out = {}
    for name, var in ds.data_vars.items():
        dims = template[name] if template is not None else ("sample",) + tuple(d for d in var.dims if d != "sample")
        out[name] = np.ascontiguousarray(var.transpose(*dims).values)
    return out


def create_store(path: Path, plan: Plan, first: xr.Dataset) -> None:
    """Write an empty store shaped by the first unit's outcomes; atomic (temporary folder + rename)."""
    import dask.array as da

    n = plan.n_samples
    coords: dict[str, Any] = {"scenario": plan.scenario_names, "override": plan.override_names,
                              "sample": np.arange(n)}
    for name, c in first.coords.items():
        if name != "sample" and name in first.dims:
            coords[name] = c.values
    data_vars, encoding = {}, {}
    for name, var in first.data_vars.items():
        rest = tuple(d for d in var.dims if d != "sample")
        shape = (len(plan.scenario_names), len(plan.override_names), n) + tuple(first.sizes[d] for d in rest)
        chunks = (1, 1, plan.chunk_size) + tuple(first.sizes[d] for d in rest)
        dtype = var.dtype if var.dtype.kind != "b" else np.dtype("i1")
        fill = _fill(dtype)
        data_vars[name] = (SWEEP_DIMS + rest, da.full(shape, fill, dtype=dtype, chunks=chunks), dict(var.attrs))
        encoding[name] = {"chunks": chunks, "_FillValue": fill}
    attrs = {k: v for k, v in first.attrs.items() if k not in ("scenario", "title", "ipsecon_version", "ipsecon_code_hash")}
    ds = xr.Dataset(data_vars, coords=coords, attrs={**attrs, **plan.provenance()})
    if plan.spec.samples.n:  # the parameter draws, per scenario (NaN where a scenario does not sample a column)
        columns = sorted({c for s in plan.samples for c in s.columns})
        table = np.full((len(plan.scenario_names), n, len(columns)), np.nan)
        for si, s in enumerate(plan.samples):
            idx = [columns.index(c) for c in s.columns]
            table[si][:, idx] = s.table
        ds["parameter_value"] = (("scenario", "sample", "parameter"), table,
                                 {"description": "sampled parameter values (before an override fixes what it sets)"})
        ds = ds.assign_coords(parameter=columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        ds.to_zarr(tmp, mode="w", encoding=encoding, compute=False, zarr_format=2, consolidated=True)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class StoreWriter:
    """Writes units' regions into an existing store, then their markers (single writer)."""

    def __init__(self, out_dir: Path):
        import zarr

        self.store = out_dir / STORE_NAME
        self.markers = out_dir / MARKER_DIR
        self.markers.mkdir(parents=True, exist_ok=True)
        self.group = zarr.open_group(str(self.store), mode="r+")
        # outcome variables: those with the three sweep dims first; the rest of their dims in store order
        self.template = {}
        for name, arr in self.group.arrays():
            dims = tuple(arr.attrs.get("_ARRAY_DIMENSIONS", ()))
            if dims[:3] == SWEEP_DIMS:
                self.template[name] = ("sample",) + dims[3:]

    def write(self, unit: Unit, ds: xr.Dataset) -> None:
        if set(ds.data_vars) != set(self.template):
            raise RuntimeError(f"unit {unit.key} returned variables {sorted(ds.data_vars)}, "
                               f"the store has {sorted(self.template)}")
        arrays = _outcome_arrays(ds, self.template)
        digest = hashlib.sha256()
        for name in sorted(arrays):
            a = arrays[name]
            if a.dtype.kind == "b":
                a = a.astype("i1")
            target = self.group[name]
            if a.shape != (unit.stop - unit.start,) + target.shape[3:]:
                raise RuntimeError(f"unit {unit.key}: {name} has shape {a.shape}, expected "
                                   f"{(unit.stop - unit.start,) + target.shape[3:]}")
            target[unit.scenario, unit.override, unit.start:unit.stop] = a
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(a).tobytes())
        marker = {"unit": unit.key, "scenario": unit.scenario, "override": unit.override, "rows": [unit.start, unit.stop],
                  "sha256": digest.hexdigest(), "version": ds.attrs.get("ipsecon_version", ""),
                  "code": ds.attrs.get("ipsecon_code_hash", "")}
        _atomic_text(self.markers / f"{unit.key}.json", json.dumps(marker))


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def done_units(out_dir: Path) -> set[str]:
    """Keys of units whose completion marker exists."""
    d = out_dir / MARKER_DIR
    if not d.is_dir():
        return set()
    return {p.stem for p in d.glob("*.json")}
