"""The report of a sweep folder (``ipsecon sweep``): its summary table, what was swept (scenarios,
override sets, samples, seed, horizons, engine) and the provenance the store records. Read from the
folder only: ``summary.csv`` (else the table is computed from ``sweep.zarr``), the store's
attributes and the unit markers; scenario files are not re-read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


from ipsecon.errors import InputError
from ipsecon.output.report.blocks import Alert, Section, Table, Text, bullets
from ipsecon.output.report.i18n import current, number, t
from ipsecon.output.report.messages import CATALOGUES
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
        summary["structure"] = summary["structure"].astype(object).fillna("")  # an all-empty column reads as float
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
    from ipsecon.output import figures as figs  # matplotlib: not for a folder read without its report
    from ipsecon.sweep.summary import display_table

    a = sweep.attrs
    spec = _json(a.get("sweep_spec"), {})
    section = Section("sweep", t("sweep.title", title=a.get("title") or t("sweep.untitled")))
    if sweep.units_done < sweep.units_total:
        section.add(Alert(t("sweep.incomplete", done=sweep.units_done, total=sweep.units_total)))
    section.add(Text(f"**{t('sweep.what')}**\n\n" + bullets(_swept(a, spec))))
    table = display_table(sweep.summary).map(_localised)
    if "perspective" in table:
        table["perspective"] = [figs.perspective_label(p) for p in table["perspective"]]
    table.columns = [t(f"sweep.col.{c}") if f"sweep.col.{c}" in CATALOGUES["en"] else c for c in table.columns]
    section.add(Table(table, t("sweep.caption")))
    section.add(Text(f"**{t('sweep.provenance')}**\n\n" + bullets(_provenance(a))))
    return section


NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})*(?:\.\d+)?")


def _localised(cell):
    """The summary table's numbers ('1,234', '0.85') in the report's language (1 234 / 0,85 in Norwegian)."""
    if current() == "en" or not isinstance(cell, str):
        return cell
    return NUMBER.sub(lambda m: m.group(0).replace(",", "\u00a0").replace(".", ","), cell)


def _swept(a: dict, spec: dict) -> list[str]:
    files = _json(a.get("scenario_files"), {})
    lines = [t("sweep.scenarios") + " " + ", ".join(f"{name} (`{Path(str(path)).name}`)" for name, path in files.items())]
    for name, o in _json(a.get("overrides"), {}).items():
        o = o if isinstance(o, dict) else {}
        parts = [o.get("description") or ""]
        if o.get("set"):
            parts.append(t("sweep.sets") + " " + ", ".join(f"{k} = {v:g}" for k, v in o["set"].items()))
        if o.get("structure"):
            parts.append(t("sweep.structure", name=o["structure"]))
        if o.get("variables"):
            parts.append(t("sweep.variables") + " " + ", ".join(f"{k} = {v}" for k, v in o["variables"].items()))
        if not any(o.get(k) for k in ("set", "structure", "variables")):
            parts.append(t("sweep.as_they_are"))
        lines.append(t("sweep.override", name=name) + " " + "; ".join(p for p in parts if p))
    n = int(a.get("n_samples") or 0)
    lines.append(t("sweep.samples", n=number(n), method=a.get("samples_method"), seed=a.get("seed")) if n
                 else t("sweep.no_samples"))
    if spec.get("horizons"):
        lines.append(t("sweep.horizons", horizons=", ".join(f"{h:g}" for h in spec["horizons"]),
                       perspectives=", ".join(spec.get("perspectives", []))))
    engine = a.get("engine") or spec.get("engine")
    if engine == "microsim":
        people = int(a.get("individuals") or 0)
        seed = int(a.get("microsim_seed", -1))
        engine += (", " + t("sweep.individuals", n=number(people)) if people else ", " + t("sweep.their_individuals")) + (
            ", " + t("identity.seed") + f" {seed}" if seed >= 0 else ", " + t("sweep.their_seeds"))
    lines.append(t("sweep.engine", engine=engine))
    return lines


def _provenance(a: dict) -> list[str]:
    lines = [t("sweep.file", file=Path(str(a.get("sweep_file"))).name, hash=a.get("sweep_hash"), created=a.get("created")),
             t("sweep.version", version=a.get("ipsecon_version"), code=a.get("ipsecon_code_hash"), chunk=a.get("chunk_size"))]
    hashes = _json(a.get("scenario_hashes"), {})
    if hashes:
        lines.append(t("sweep.digests") + " " + ", ".join(f"{k} {v}" for k, v in hashes.items()))
    return lines


def _json(text, default):
    try:
        value = json.loads(text) if isinstance(text, str) else default
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default
