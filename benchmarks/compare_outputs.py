#!/usr/bin/env python
"""Which numbers changed between two versions of ipsecon, for every shipped scenario.

    python benchmarks/compare_outputs.py --before REV [--after WORKTREE_OR_REV] --out DIR
                                         [--before-dir CACHE] [--reasons FILE.yaml] [--strict]
    # repeatedly, against a cached before-output (about 40 s instead of 2 min):
    python benchmarks/compare_outputs.py --before 2e43908 --before-dir /tmp/compare_before --out /tmp/cmp

"before" is a git revision, checked out with ``git worktree add --detach`` into a temporary
folder (removed afterwards); "after" is a folder (default: this working tree) or a revision.
Each tree runs the CASES below in a subprocess (PYTHONPATH=<tree>/src, cwd=<tree>, this
interpreter), writing <DIR>/<before|after>/<case>/{results,reports}. ``--before-dir CACHE``
reuses CACHE as the before-output if it holds one (CACHE/run.json), else writes it there.

Every .nc and .csv in the results folders is compared variable by variable (column by column):
same (bitwise), close (max relative difference <= 1e-12), changed, new, removed or
shape/coords changed; attributes too, ignoring ``created`` and with the tree/output roots
replaced by <TREE>/<OUT>. The table of everything not "same" goes to <DIR>/comparison.md.
``--reasons`` maps glob patterns on "<case>/<file>:<variable>" (attributes: "var@attr",
global "@attr"; CSV rows: "(rows)"; whole files "(file)") to a sentence; unmatched rows say
UNEXPLAINED. Exit 0 unless the script fails, or with --strict when a row is UNEXPLAINED.
"""

from __future__ import annotations

import argparse, fnmatch, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
import yaml

REPO = Path(__file__).resolve().parent.parent
RTOL = 1e-12
LAUNCH = "import sys; from ipsecon.cli import main; sys.exit(main())"
# case name -> CLI arguments; "{out}" is <DIR>/<tree>/<case>
SIM = ["--out", "{out}/results", "--reports", "{out}/reports", "--quiet"]
CASES = {
    **{s: ["simulate", f"scenarios/{s}.yaml", *SIM] for s in ("bodo", "ips_in_pain", "ipsnor", "meta", "norway_rct")},
    "bodo_microsim": ["simulate", "scenarios/bodo.yaml", *SIM, "--engine", "microsim", "--individuals", "20000", "--seed", "7"],
    "norway_rct_discount0": ["simulate", "scenarios/norway_rct.yaml", *SIM, "--set", "economics.discount_rate=0"],
    "breakeven": ["breakeven", "scenarios/norway_rct.yaml", "scenarios/bodo.yaml", "--horizons", "1.5,5,10", *SIM],
}


def git(*args: str, repo: Path = REPO) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def run_tree(label: str, tree: Path, out: Path, rev: str) -> dict:
    """Run every case in `tree`, write logs and out/run.json; returns that record."""
    if out.is_dir() and any(out.iterdir()) and not (out / "run.json").exists():
        sys.exit(f"{out} is not empty and holds no run.json: not overwriting it")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    probe = subprocess.run([sys.executable, "-c", "import ipsecon; print(ipsecon.__file__)"], cwd=tree, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    print(f"[{label}] {rev}: ipsecon from {probe}", flush=True)
    if not Path(probe).resolve().is_relative_to((tree / "src").resolve()):
        sys.exit(f"{label}: imported {probe}, not the tree {tree}")
    record = {"rev": rev, "tree": str(tree), "out": str(out), "written_to": str(out), "ipsecon_file": probe, "cases": {}}
    (out / "run.json").write_text(json.dumps({**record, "incomplete": True}))  # marks the folder as ours
    for case, args in CASES.items():
        (out / case).mkdir()
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", LAUNCH, *[a.format(out=out / case) for a in args]],
                           cwd=tree, env=env, capture_output=True, text=True)
        secs = time.perf_counter() - t0
        (out / case / "log.txt").write_text(f"$ {args}\n{p.stdout}\n--- stderr\n{p.stderr}")
        tail = p.stderr.strip().splitlines()[-1:] if p.returncode else []
        record["cases"][case] = {"exit": p.returncode, "seconds": round(secs, 1), "error": " ".join(tail)}
        print(f"[{label}] {case}: exit {p.returncode}, {secs:.1f} s", flush=True)
    (out / "run.json").write_text(json.dumps(record, indent=1))
    return record


def run_rev(label: str, rev: str, out: Path) -> dict:
    """Check out `rev` in a temporary worktree, run it, remove the worktree."""
    tmp = Path(tempfile.mkdtemp(prefix=f"ipsecon_{label}_")) / "tree"
    git("worktree", "add", "--detach", str(tmp), rev)
    try:
        return run_tree(label, tmp, out, rev)
    finally:
        git("worktree", "remove", "--force", str(tmp))
        shutil.rmtree(tmp.parent, ignore_errors=True)


# ---------------------------------------------------------------- comparison
def strip_roots(text: str, roots: dict[str, str]) -> str:
    for root, token in sorted(roots.items(), key=lambda kv: -len(kv[0])):  # longest first: out may lie in a tree
        text = text.replace(root, token)
    return text


def norm(value, roots: dict[str, str]) -> str:
    """A comparable form of an attribute: numpy -> Python, run-specific roots replaced."""
    value = np.asarray(value).tolist() if isinstance(value, np.generic | np.ndarray) else value
    return repr(strip_roots(value, roots) if isinstance(value, str) else value)


def where(index: tuple, labels) -> str:
    return ", ".join(f"{d}={lab[i]!r}" for (d, lab), i in zip(labels, index)) or "scalar"


def compare_values(a: np.ndarray, b: np.ndarray, labels) -> tuple[str, str]:
    """Same-shaped arrays -> (status, detail). labels: [(dim, coordinate values), ...] for locations."""
    note = f"dtype {a.dtype}->{b.dtype}; " if a.dtype != b.dtype else ""
    if a.dtype == b.dtype and a.tobytes() == b.tobytes() and a.dtype != object:
        return "same", ""
    if a.size == 0:
        return ("changed", note) if note else ("same", "")
    numeric = a.dtype.kind in "iuf" and b.dtype.kind in "iuf"
    if not numeric:  # strings, bools, objects: exact (missing == missing)
        neq = np.asarray(a != b) & ~(pd.isna(a) & pd.isna(b))
        if not neq.any():
            return ("same", "") if not note else ("changed", note)
        first = np.unravel_index(np.argmax(neq), neq.shape) if neq.ndim else ()
        return "changed", f"{note}{neq.sum()}/{neq.size} differ, first at {where(first, labels)}: {a[first]!r} -> {b[first]!r}"
    a, b = a.astype(np.float64), b.astype(np.float64)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        absd = np.where(a == b, 0.0, np.abs(a - b))
        reld = np.where(absd == 0, 0.0, absd / np.maximum(np.abs(a), np.abs(b)))
    reld[np.isnan(reld)] = np.inf  # inf vs finite
    nan_mismatch = nan_a != nan_b
    absd[nan_a | nan_b], reld[nan_a | nan_b] = 0.0, 0.0  # NaN mismatches are counted apart
    max_rel = float(reld.max())
    if not nan_mismatch.any() and max_rel <= RTOL:
        return "close", f"{note}max rel {max_rel:.3g}"
    ia = np.unravel_index(np.argmax(absd), a.shape) if a.ndim else ()
    ir = np.unravel_index(np.argmax(reld), a.shape) if a.ndim else ()
    n = int(((reld > RTOL) | nan_mismatch).sum())
    text = f"{note}{n}/{a.size} differ"
    if max_rel > RTOL:
        text += (f"; max abs {absd[ia]:.4g} at {where(ia, labels)} ({a[ia]:.10g} -> {b[ia]:.10g}); max rel {reld[ir]:.3g}"
                 + (" there" if ir == ia else f" at {where(ir, labels)}"))
    if nan_mismatch.any():
        first = np.unravel_index(np.argmax(nan_mismatch), a.shape) if a.ndim else ()
        text += f"; NaN in one only: {int(nan_mismatch.sum())}, first at {where(first, labels)}"
    return "changed", text


def compare_attrs(prefix: str, a: dict, b: dict, roots_a, roots_b) -> list:
    rows = []
    for k in sorted(set(a) | set(b)):
        if k == "created":
            continue
        if k not in b or k not in a:
            rows.append((f"{prefix}@{k}", "attr removed" if k not in b else "attr new", ""))
        elif (va := norm(a[k], roots_a)) != (vb := norm(b[k], roots_b)):
            i = next((i for i, (x, y) in enumerate(zip(va, vb)) if x != y), min(len(va), len(vb)))
            rows.append((f"{prefix}@{k}", "attr changed", f"…{va[max(0, i - 30):i + 50]} -> …{vb[max(0, i - 30):i + 50]}"))
    return rows


def compare_nc(fa: Path, fb: Path, roots_a, roots_b) -> tuple[list, int]:
    rows, same = [], 0
    with xr.open_dataset(fa, engine="h5netcdf", decode_times=False) as da, \
         xr.open_dataset(fb, engine="h5netcdf", decode_times=False) as db:
        rows += compare_attrs("", da.attrs, db.attrs, roots_a, roots_b)
        for name in sorted(set(da.variables) | set(db.variables), key=str):
            if name not in db.variables or name not in da.variables:
                rows.append((name, "removed" if name not in db.variables else "new", ""))
                continue
            va, vb = da[name], db[name]
            rows += compare_attrs(str(name), va.attrs, vb.attrs, roots_a, roots_b)
            moved = [f"dims {va.dims}->{vb.dims}"] if va.dims != vb.dims else []
            for d in va.dims if not moved else ():
                ca, cb = (x.get_index(d) if d in x.indexes else np.arange(x.sizes[d]) for x in (da, db))
                if len(ca) != len(cb) or not np.array_equal(np.asarray(ca), np.asarray(cb)):
                    moved.append(f"{d}: {len(ca)} values -> {len(cb)}" + (" (same length, values differ)" if len(ca) == len(cb) else ""))
            if moved:
                rows.append((name, "shape/coords changed", "; ".join(moved)))
                continue
            labels = [(d, np.asarray(da.get_index(d) if d in da.indexes else range(da.sizes[d])).tolist()) for d in va.dims]
            status, detail = compare_values(np.asarray(va.values), np.asarray(vb.values), labels)
            if status == "same":
                same += 1
            else:
                rows.append((name, status, detail))
    return rows, same


def compare_csv(fa: Path, fb: Path, roots_a, roots_b) -> tuple[list, int]:
    a, b = pd.read_csv(fa), pd.read_csv(fb)
    for frame, roots in ((a, roots_a), (b, roots_b)):  # run-specific paths in text cells
        for c in frame.columns[frame.dtypes == object]:
            frame[c] = frame[c].map(lambda v: strip_roots(v, roots) if isinstance(v, str) else v)
    rows, same = [], 0
    rows += [(c, "removed", "") for c in a.columns if c not in b.columns]
    rows += [(c, "new", "") for c in b.columns if c not in a.columns]
    # rows are matched on the shortest prefix of columns that identifies them in both files
    key = next((list(a.columns[:k]) for k in range(1, len(a.columns)) if list(a.columns[:k]) == list(b.columns[:k])
                and not a.duplicated(list(a.columns[:k])).any() and not b.duplicated(list(a.columns[:k])).any()), None)
    ta, tb = ([tuple(r) for r in x[key].itertuples(index=False, name=None)] if key else [] for x in (a, b))
    if key and ta != tb:
        if len(a) == len(b) and set(ta) != set(tb):
            key = None  # same row count, keys changed: compare by position, the key columns show as changed
        else:
            pa, pb = ({t: i for i, t in enumerate(x)} for x in (ta, tb))
            gone, added = [t for t in ta if t not in pb], [t for t in tb if t not in pa]
            if gone or added:
                rows.append(("(rows)", "rows changed", f"{len(gone)} removed {gone[:3]}, {len(added)} new {added[:3]}"))
            common = [t for t in ta if t in pb]
            a, b = a.iloc[[pa[t] for t in common]], b.iloc[[pb[t] for t in common]]
    if len(a) != len(b):  # no key: positional; extra rows are new/removed
        rows.append(("(rows)", "rows changed", f"{len(a)} rows -> {len(b)} (compared by position)"))
        a, b = a.iloc[:min(len(a), len(b))], b.iloc[:min(len(a), len(b))]
    labels = [("row", [" / ".join(map(str, r)) for r in a[key].itertuples(index=False)] if key else list(range(len(a))))]
    for c in [c for c in a.columns if c in b.columns]:
        status, detail = compare_values(a[c].to_numpy(), b[c].to_numpy(), labels)
        if status == "same":
            same += 1
        else:
            rows.append((c, status, detail))
    return rows, same


def compare(before: dict, after: dict) -> tuple[list, list]:
    """-> (rows: (case, file, variable, status, detail), files: (case, file, same count, other count))."""
    rows, files = [], []
    roots = [{r["tree"]: "<TREE>", str(Path(r["tree"]).resolve()): "<TREE>", r.get("written_to", r["out"]): "<OUT>", r["out"]: "<OUT>"}
             for r in (before, after)]
    for case in CASES:
        ca, cb = before["cases"].get(case), after["cases"].get(case)
        if ca is None:
            rows.append((case, "(run)", "exit code", "missing", "not in the cached before-output"))
        elif ca["exit"] or cb["exit"]:
            rows.append((case, "(run)", "exit code", "failed" if cb["exit"] else "fixed",
                         f"exit {ca['exit']} -> {cb['exit']}; {ca['error']} | {cb['error']}"))
        da, db = Path(before["out"]) / case / "results", Path(after["out"]) / case / "results"
        names = sorted({p.relative_to(d).as_posix() for d in (da, db) if d.is_dir() for p in d.rglob("*") if p.is_file()})
        for name in names:
            fa, fb = da / name, db / name
            if not (fa.exists() and fb.exists()):
                rows.append((case, name, "(file)", "removed" if fa.exists() else "new", ""))
                continue
            comparer = {".nc": compare_nc, ".csv": compare_csv}.get(fa.suffix)
            if comparer is None:
                files.append((case, name, "not compared", ""))
                continue
            found, same = comparer(fa, fb, *roots)
            rows += [(case, name, *r) for r in found]
            files.append((case, name, same, len(found)))
    return rows, files


def markdown(rows, files, before, after, reasons) -> tuple[str, int]:
    esc = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
    unexplained = 0
    out = [f"# ipsecon outputs: before `{before['rev']}` vs after `{after['rev']}`", "",
           "| case | exit before | exit after | s before | s after | report before | report after |", "|---|---|---|---|---|---|---|"]
    for case in CASES:
        rs = [r["cases"].get(case, {"exit": "-", "seconds": "-"}) for r in (before, after)]
        html = ["yes" if any((Path(r["out"]) / case / "reports").rglob("*.html")) else "no" for r in (before, after)]
        out.append(f"| {case} | {rs[0]['exit']} | {rs[1]['exit']} | {rs[0]['seconds']} | {rs[1]['seconds']} | {html[0]} | {html[1]} |")
    out += ["", "| case | file | variables/columns same | not same |", "|---|---|---|---|"]
    out += [f"| {c} | {f} | {s} | {n} |" for c, f, s, n in files]
    out += ["", "| case | file | variable | status | detail | reason |", "|---|---|---|---|---|---|"]
    for case, name, var, status, detail in rows:
        key = f"{case}/{name}:{var}"
        reason = next((text for pat, text in reasons.items() if fnmatch.fnmatchcase(key, pat)), "UNEXPLAINED")
        unexplained += reason == "UNEXPLAINED"
        out.append(f"| {case} | {name} | {esc(var)} | {status} | {esc(detail[:400])} | {esc(reason)} |")
    if not rows:
        out.append("| | | | everything same | | |")
    out += ["", f"{len(rows)} rows not same, {unexplained} UNEXPLAINED."]
    return "\n".join(out) + "\n", unexplained


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", help="git revision (needed unless --before-dir holds an output)")
    ap.add_argument("--after", default=str(REPO), help="folder or git revision (default: this working tree)")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--before-dir", type=Path, help="reuse this before-output if present, else write it here")
    ap.add_argument("--reasons", type=Path)
    ap.add_argument("--strict", action="store_true", help="exit 1 if any row is UNEXPLAINED")
    opt = ap.parse_args()
    out = opt.out.resolve()
    reasons = yaml.safe_load(opt.reasons.read_text()) or {} if opt.reasons else {}
    cache = opt.before_dir.resolve() if opt.before_dir else out / "before"
    t0 = time.perf_counter()
    before = json.loads((cache / "run.json").read_text()) if opt.before_dir and (cache / "run.json").exists() else {}
    if before and not before.get("incomplete"):
        if opt.before and git("rev-parse", opt.before + "^{commit}") != before["rev"]:
            sys.exit(f"{cache} holds {before['rev']}, not {opt.before}")
        before["out"] = str(cache)  # wherever it lies now
        print(f"[before] reusing {cache} ({before['rev']})", flush=True)
    elif opt.before:
        before = run_rev("before", git("rev-parse", opt.before + "^{commit}"), cache)
    else:
        sys.exit("--before REV is needed (or --before-dir with an existing output)")
    if Path(opt.after).is_dir():
        tree = Path(opt.after).resolve()
        after = run_tree("after", tree, out / "after", f"{tree} (HEAD {git('rev-parse', '--short', 'HEAD', repo=tree)} + working tree)")
    else:
        after = run_rev("after", git("rev-parse", opt.after + "^{commit}"), out / "after")
    rows, files = compare(before, after)
    text, unexplained = markdown(rows, files, before, after, reasons)
    (out / "comparison.md").write_text(text)
    print(text + f"\nwrote {out / 'comparison.md'} ({time.perf_counter() - t0:.0f} s)")
    return 1 if opt.strict and unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
