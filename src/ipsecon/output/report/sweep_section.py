"""The report of a sweep folder (``ipsecon sweep``): its summary table, what was swept (scenarios,
override sets, samples, seed, horizons, engine) and the provenance the store records. Read from the
folder only: ``summary.csv`` (else the table is computed from ``sweep.zarr``), the store's
attributes and the unit markers; scenario files are not re-read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ipsecon.errors import InputError
from ipsecon.output.report.blocks import Alert, Section, Table, Text, bullets
from ipsecon.sweep.folder import SUMMARY_NAME
from ipsecon.sweep.store import MARKER_DIR, STORE_NAME


@dataclass
class SweepFolder:
    attrs: dict  # the store's provenance (sweep.spec.Plan.provenance)
    summary: pd.DataFrame  # sweep.summary.summarise's table
    units_done: int
    units_total: int


def read_sweep(folder: Path) -> SweepFolder | None:
    """The sweep in ``folder``, or None where there is none."""
    store = folder / STORE_NAME
    if not store.is_dir():
        return None
    import zarr  # ~0.2 s to import: only where there is a sweep to read

    from ipsecon.sweep.summary import summarise

    if not store.resolve().is_relative_to(folder.resolve()):
        raise InputError(store, None, "is a link to a folder outside the results folder",
                         "a report reads only the files inside the folder it is given")
    try:
        attrs = dict(zarr.open_group(str(store), mode="r").attrs)
    except Exception as exc:  # noqa: BLE001 - any unreadable store is the same problem for the reader
        raise InputError(store, None, f"cannot read the sweep store ({type(exc).__name__}: {str(exc)[:120]})",
                         "a store written by `ipsecon sweep`") from None
    csv = folder / SUMMARY_NAME
    if csv.is_file() and not csv.is_symlink():
        summary = pd.read_csv(csv, keep_default_na=False, na_values=[""])
        summary["structure"] = summary["structure"].fillna("")
    else:
        summary = summarise(store)
    n_cases = len(_json(attrs.get("scenario_hashes"), {})) or 1
    n = int(attrs.get("n_samples") or 0) or 1
    chunk = int(attrs.get("chunk_size") or n)
    done = len(list((folder / MARKER_DIR).glob("*.json"))) if (folder / MARKER_DIR).is_dir() else 0
    return SweepFolder(attrs, summary, done, n_cases * -(-n // chunk))


def sweep_section(sweep: SweepFolder | None) -> Section | None:
    if sweep is None:
        return None
    from ipsecon.sweep.summary import display_table

    a = sweep.attrs
    spec = _json(a.get("sweep_spec"), {})
    section = Section("sweep", f"Sweep: {a.get('title') or 'untitled'}")
    if sweep.units_done < sweep.units_total:
        section.add(Alert(f"Only {sweep.units_done} of {sweep.units_total} work units are done (an interrupted "
                          "sweep: `ipsecon sweep … --resume` completes it); the table counts the samples computed."))
    section.add(Text("**What was swept.**\n\n" + bullets(_swept(a, spec))))
    caption = ("Incremental NPV per person (intervention − comparator; NOK of the price year, discounted) over the "
               "samples: mean and 95 % interval; P(pays off) = share of samples above 0; median break-even wage "
               "(NOK per year), samples without a root counted at the bracket's bounds (≤ / ≥).")
    section.add(Table(display_table(sweep.summary), caption))
    section.add(Text("**Provenance.**\n\n" + bullets(_provenance(a))))
    return section


def _swept(a: dict, spec: dict) -> list[str]:
    files = _json(a.get("scenario_files"), {})
    lines = ["Scenarios: " + ", ".join(f"{name} (`{path}`)" for name, path in files.items())]
    for name, o in _json(a.get("overrides"), {}).items():
        o = o if isinstance(o, dict) else {}
        parts = [o.get("description") or ""]
        if o.get("set"):
            parts.append("sets " + ", ".join(f"{k} = {v:g}" for k, v in o["set"].items()))
        if o.get("structure"):
            parts.append(f"structure {o['structure']}")
        if o.get("variables"):
            parts.append("variables " + ", ".join(f"{k} = {v}" for k, v in o["variables"].items()))
        if not any(o.get(k) for k in ("set", "structure", "variables")):
            parts.append("the scenarios as they are")
        lines.append(f"Override set **{name}**: " + "; ".join(p for p in parts if p))
    n = int(a.get("n_samples") or 0)
    lines.append(f"Samples: {n:,} ({a.get('samples_method')}, seed {a.get('seed')}), the same draws under every "
                 "override set" if n else "Samples: none (the deterministic base case)")
    if spec.get("horizons"):
        lines.append("Horizons: " + ", ".join(f"{h:g}" for h in spec["horizons"]) + " years; perspectives: "
                     + ", ".join(spec.get("perspectives", [])))
    engine = a.get("engine") or spec.get("engine")
    if engine == "microsim":
        people = int(a.get("individuals") or 0)
        seed = int(a.get("microsim_seed", -1))
        engine += (f", {people:,} individuals" if people else ", the scenarios' individuals") + (
            f", seed {seed}" if seed >= 0 else ", the scenarios' seeds")
    lines.append(f"Engine: {engine}")
    return lines


def _provenance(a: dict) -> list[str]:
    lines = [f"Sweep file `{a.get('sweep_file')}` (sha256 {a.get('sweep_hash')}), created {a.get('created')}",
             (f"ipsecon {a.get('ipsecon_version')} (code {a.get('ipsecon_code_hash')}); work units of at most "
              f"{a.get('chunk_size')} samples")]
    hashes = _json(a.get("scenario_hashes"), {})
    if hashes:
        lines.append("Scenario × override digests: " + ", ".join(f"{k} {v}" for k, v in hashes.items()))
    return lines


def _json(text, default):
    try:
        value = json.loads(text) if isinstance(text, str) else default
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default
