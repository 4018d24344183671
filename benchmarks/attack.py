#!/usr/bin/env python
"""A mutation fuzzer for bad input: every case must end in exit 0 or exit 2 with one clear line.

    python benchmarks/attack.py --seed 1 --cases 1000 [--workers 2] [--timeout 120] [--memory-gb 6]

Each case copies ``scenarios/``, ``parameters/`` and ``tests/data/`` into a temporary tree,
mutates a scenario file, a parameter file, the raw text of one of them, the ``--set``
overrides or the command-line options (nan, inf, 1e400, negative, zero, text, unicode, NUL,
empty, deep nesting, alias bombs, invalid dates, non-UTF-8 bytes, huge sizes, unsafe names),
and runs ``ipsecon simulate | validate | breakeven`` in-process with click's CliRunner,
``--out`` and ``--reports`` inside the case folder and ``--quiet``. Cases are made from
``--seed`` and the case number alone, so a run is reproducible and one case can be re-run
(``--only 17``).

Cases run in a pool of worker processes, each running many cases in-process under an
address-space limit (RLIMIT_AS, ``--memory-gb``); a case that outlives ``--timeout`` counts
as a hang (its worker is killed and replaced), a worker that dies or a MemoryError as a
memory kill. Counted per case:

  traceback        an exception other than SystemExit escaped (exit 1)
  exit code        an exit code other than 0 and 2
  hang / memory    see above
  nan in output    exit 0 with nan or inf in results.nc (data variables) or a csv file, other
                   than where nan means "none" (no break-even wage, no payback, no ratio) or
                   pads the month before the first cycle
  wrote on error   exit 2 after writing anything into --out or --reports
  escaped          a file written outside the case's --out and --reports folders
  unclear message  exit 2 without exactly one line naming a file and a field (or option),
                   or with a line over 400 characters

It prints a table of counts and, for each distinct root cause (exception type and last
frame, or the kind of failure), the first case that showed it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREE_PARTS = ("scenarios", "parameters", "tests/data")
CATEGORIES = ("traceback", "exit code", "hang", "memory", "nan in output", "wrote on error", "escaped",
              "unclear message")

# --- what goes in -----------------------------------------------------------------------------

NUMBERS = [math.nan, math.inf, -math.inf, -1, -1e9, 0, 0.0, 1e308, 2 ** 64, 10 ** 12, -0.0, 1e-320, 0.5, 7]
TEXTS = ["", "abc", "øæå €😀", "a\x00b", "x" * 3000, "1/0", "(-1)**0.5", "exp(1000)", "10**10**10", "min(1)",
         "log(-1)", "sqrt(-1)", "(" * 300 + "1" + ")" * 300, "-" * 500 + "1", "where(1, 2)", "__import__('os')",
         "lookup(mortality.life_table, 1e400)", "nan", "inf", "1e400", "ips.cost.caseload / 0", "clip(1, 2)",
         "weibull_hazard(0, -1, 0)", "prob_to_rate(2)", "undefined_name * 2", "1 if 2", "a.b.c.d.e", "'text' + 1"]
STRUCTURES = [None, True, False, [], {}, [1, 2], {"a": 1}, {"": None}]
NAMES = ["../../escape", "/tmp/attack_abs_escape/x", "a/b", ".hidden", "", "x" * 200, "..", "ok name", "nul\x00",
         "ø", "-dash", "good_name-1.0"]
OPTION_VALUES = {
    "--horizon": ["nan", "inf", "-1", "0", "1e9", "101", "abc", "1e-9", "0.01", "100", "", "1e400"],
    "--seed": ["-1", str(2 ** 64), str(2 ** 63), str(2 ** 63 - 1), "x", "1.5", "0"],
    "--individuals": ["0", "-1", str(10 ** 12), "1e12", str(10 ** 9), "1", "2", "x", str(10 ** 7)],
    "--engine": ["microsim", "cohort", "other", ""],
}
OVERRIDE_VALUES = ["nan", "inf", "-inf", "1e400", "-5", "0", "abc", "", "1e308", "ø", "a\x00", "-0", "1e-320",
                   " 3 ", "0x10", "1_000", "NaN", "Infinity", "2"]


def _deep(depth: int):
    node: object = 1
    for _ in range(depth):
        node = [node]
    return node


def _bad_value(rng: random.Random):
    pick = rng.random()
    if pick < 0.45:
        return rng.choice(NUMBERS)
    if pick < 0.8:
        return rng.choice(TEXTS)
    if pick < 0.95:
        return rng.choice(STRUCTURES)
    return _deep(rng.choice([50, 150]))  # deeper: the "deep flow" text edit (the dumper recurses)


def _paths(node, prefix=()):
    """Every path into a YAML tree (mappings and lists)."""
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _set(tree, path, value):
    node = tree
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def _get(tree, path):
    for p in path:
        tree = tree[p]
    return tree


FORMULA_EDITS = [
    lambda f: f"({f}) / 0", lambda f: f"(-1 - ({f})) ** 0.5", lambda f: f"exp(1000 * ({f}))", lambda f: f"min({f})",
    lambda f: "(" * 150 + f + ")" * 150, lambda f: f"({f}) * 1e308 * 1e308", lambda f: f"log(-1 - ({f}))",
    lambda f: f"where({f}, 1)", lambda f: f"({f}) ** 1e6", lambda f: f"-({f})", lambda f: f"({f}) + 'a'",
    lambda f: f"({f}) % 0", lambda f: f"(({f}) - ({f})) / (({f}) - ({f}))", lambda f: f"({f}) * 0 * exp(1000)", lambda f: f"clip({f}, 1, 0)", lambda f: f"({f}) if", lambda f: f"1 / (({f}) - ({f}))",
]


def _delete(tree, path):
    node = tree
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]


def _dump(data) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):  # floats such as nan and inf as YAML's .nan / .inf
        pass
    return yaml.dump(data, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=10 ** 6)


def _load(path: Path):
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _mutate_tree(rng: random.Random, data) -> str:
    """Mutate one place in a loaded YAML tree; returns what was done."""
    paths = [p for p in _paths(data) if p]
    path = rng.choice(paths)
    action = rng.random()
    if action < 0.7:
        value = _bad_value(rng)
        _set(data, path, value)
        return f"{'.'.join(map(str, path))} = {_short(value)}"
    if action < 0.85:
        _delete(data, path)
        return f"delete {'.'.join(map(str, path))}"
    parent = data
    for p in path[:-1]:
        parent = parent[p]
    if isinstance(parent, dict):
        parent[rng.choice(["colour", "valeu", "Value", "ø", "__class__"])] = _bad_value(rng)
        return f"unknown key under {'.'.join(map(str, path[:-1]))}"
    _set(data, path, _bad_value(rng))
    return f"{'.'.join(map(str, path))} = bad"


def _short(value, width: int = 60) -> str:
    text = repr(value) if not isinstance(value, list) or len(repr(value)) < 1000 else "[[[...]]]"
    return text if len(text) <= width else text[:width - 3] + "..."


SPECIAL_SCENARIO_EDITS = [
    ("nobody gets IPS", lambda d: d.setdefault("population", {}).setdefault("attributes", {}).update(ips_user={"no": 1.0})),
    ("everybody gets IPS", lambda d: d.setdefault("population", {}).setdefault("attributes", {}).update(ips_user={"yes": 1.0})),
    ("huge age range", lambda d: d.setdefault("population", {}).update(age={"distribution": "uniform", "low": 0, "high": 1e9})),
    ("age range 0..150 band 1", lambda d: d.setdefault("population", {}).update(age={"distribution": "uniform", "low": 0, "high": 150})),
    ("subgroup explosion", lambda d: d.setdefault("population", {}).update(
        attributes={f"a{j}": {f"l{i}": 1 / 40 for i in range(40)} for j in range(5)})),
    ("many subgroups", lambda d: d.setdefault("population", {}).update(
        attributes={"region": {f"r{i}": 1 / 400 for i in range(400)}})),
    ("seed 2**64", lambda d: d.setdefault("run", {}).update(seed=2 ** 64)),
    ("seed 2**63", lambda d: d.setdefault("run", {}).update(seed=2 ** 63)),
    ("10**12 individuals", lambda d: d.setdefault("run", {}).update(engine="microsim", individuals=10 ** 12)),
    ("unsafe name", None),  # filled per case from NAMES
    ("set nan", lambda d: d.update(set={"ips.persistence.half_life": math.nan})),
    ("set 1e400 text", lambda d: d.update(set={"ips.cost.caseload": "1e400"})),
    ("set caseload 0", lambda d: d.update(set={"ips.cost.caseload": 0})),
    ("start_state formula", lambda d: d.setdefault("population", {}).update(start_state={"aap": "1/0"})),
    ("NUL in parameter_dirs", lambda d: d.update(parameter_dirs=["../param\x00eters"])),
    ("NUL in model path", lambda d: d.update(model="models/i\x00ps.yaml")),
    ("NUL in population file", lambda d: d.setdefault("population", {}).update(file="people\x00.csv")),
    ("population file is a folder", lambda d: d.setdefault("population", {}).update(file=".")),
    ("parameter_dirs outside", lambda d: d.update(parameter_dirs=["/nonexistent", "/etc/passwd"])),
    ("inline parameter values {}", lambda d: d.update(parameters={"x": {"description": "d", "unit": "NOK", "source": "s",
                                                                       "evidence": "C", "values": {}}})),
    ("inline parameter nan", lambda d: d.update(parameters={"x": {"description": "d", "unit": "NOK", "source": "s",
                                                                  "evidence": "C", "value": math.nan}})),
    ("start_state nan from names", lambda d: d.setdefault("population", {}).update(
        start_state={"aap": "(ips.cost.caseload - 20) / (ips.cost.caseload - 20)"})),
    ("target month huge", lambda d: d.update(targets=[{"measure": "in_state", "state": "aap", "strategy": "tau",
                                                      "month": 10 ** 9, "value": 0.5, "source": "x"}])),
]

TEXT_EDITS = ["latin-1", "bytes", "truncate", "alias bomb", "recursive alias", "invalid date", "tabs", "deep flow",
              "huge file", "empty", "duplicate key", "nul byte"]


def _text_edit(rng: random.Random, text: str, kind: str) -> bytes:
    if kind == "latin-1":
        return (text + "\nextra: 'bø'\n").encode("latin-1", errors="replace")
    if kind == "bytes":
        pos = rng.randrange(len(text) + 1)
        return text[:pos].encode() + bytes([rng.choice([0xff, 0xfe, 0xc3, 0x80, 0x00])]) + text[pos:].encode()
    if kind == "truncate":
        return text[:rng.randrange(len(text) + 1)].encode()
    if kind == "alias bomb":
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
        return (text + "\n" + "\n".join(lines) + "\n").encode()
    if kind == "recursive alias":
        return (text + "\nloop: &l [*l]\n").encode()
    if kind == "invalid date":
        return (text + "\nwhen: " + rng.choice(["2024-02-30", "2024-13-01", "0000-01-01", "9999-99-99"]) + "\n").encode()
    if kind == "tabs":
        return text.replace("  ", "\t", 3).encode()
    if kind == "deep flow":
        depth = rng.choice([150, 1000, 20000])
        return (text + "\ndeep: " + "[" * depth + "]" * depth + "\n").encode()
    if kind == "huge file":
        return (text + "\n# " + "x" * 21_000_000 + "\n").encode()
    if kind == "empty":
        return b""
    if kind == "duplicate key":
        first = text.split("\n", 1)[0]
        return (text + "\n" + first + "\n").encode()
    return text.replace(":", ":\x00", 1).encode()


def make_case(seed: int, index: int, tree: Path) -> dict:
    """Case ``index`` of the attack with ``seed``: files to write (relative to the tree), the
    command line (``{tree}``, ``{out}`` and ``{reports}`` filled in by the worker), a note."""
    rng = random.Random(seed * 1_000_003 + index)
    scenarios = sorted(p.relative_to(tree).as_posix() for p in (tree / "scenarios").glob("*.yaml"))
    scenarios.append("tests/data/chancellor_hiv.yaml")
    param_files = sorted(p.relative_to(tree).as_posix() for p in (tree / "parameters").rglob("*.yaml"))
    scenario = rng.choice(scenarios)
    files: dict[str, str] = {}  # relative path -> text, or "b64:<...>" for raw bytes
    options: list[str] = []
    notes = []
    kind = rng.choices(["scenario", "special", "parameters", "model", "text", "override", "option"],
                       weights=[24, 12, 18, 12, 12, 11, 11])[0]
    if kind == "model":  # the formulas of the shared model (scenarios other than the textbook one use it)
        target = "scenarios/models/ips.yaml"
        if scenario.startswith("tests/"):
            scenario = "scenarios/bodo.yaml"
        data = _load(tree / target)
        formulas = [p for p in _paths(data) if p and isinstance(_get(data, p), str)]
        path = rng.choice(formulas)
        old = _get(data, path)
        new = rng.choice(FORMULA_EDITS)(old) if rng.random() < 0.6 else rng.choice(TEXTS)
        _set(data, path, new)
        files[target] = _dump(data)
        notes.append(f"{target}: {'.'.join(map(str, path))} = {_short(new)}")
    elif kind == "scenario":
        data = _load(tree / scenario)
        notes.append(_mutate_tree(rng, data))
        files[scenario] = _dump(data)
    elif kind == "special":
        label, edit = rng.choice(SPECIAL_SCENARIO_EDITS)
        data = _load(tree / scenario)
        if edit is None:
            name = rng.choice(NAMES)
            data["name"] = name
            label = f"name {name!r}"
        else:
            edit(data)
        notes.append(label)
        files[scenario] = _dump(data)
    elif kind == "parameters":
        target = rng.choice(param_files)
        data = _load(tree / target)
        notes.append(f"{target}: " + _mutate_tree(rng, data))
        files[target] = _dump(data)
    elif kind == "text":
        target = rng.choice([scenario, scenario, rng.choice(param_files), "scenarios/models/ips.yaml"])
        edit = rng.choice(TEXT_EDITS)
        raw = _text_edit(rng, (tree / target).read_text(encoding="utf-8"), edit)
        import base64

        files[target] = "b64:" + base64.b64encode(raw).decode()
        notes.append(f"{target}: {edit}")
    elif kind == "override":
        names = ["ips.cost.caseload", "ips.persistence.half_life", "economics.discount_rate", "economics.mcpf",
                 "health_care.monthly_cost.aap", "wages.ips_annual_gross_wage", "ledger.employer_zone.zone_1",
                 "mortality.life_table", "rules.grunnbelop", "transitions.exhaustion_rate", "nonexistent.param",
                 "", "ips", "ips.cost", "utilities.employed", "ledger.prior_income", "rules.tax.bracket_rates"]
        for _ in range(rng.choice([1, 1, 2, 3])):
            item = f"{rng.choice(names)}={rng.choice(OVERRIDE_VALUES)}" if rng.random() < 0.9 else rng.choice(
                ["novalue", "=5", "a==b", "x" * 500])
            options += ["--set", item]
        notes.append(" ".join(options))
    else:
        option = rng.choice(list(OPTION_VALUES))
        options += [option, rng.choice(OPTION_VALUES[option])]
        if option == "--individuals" and rng.random() < 0.7:
            options += ["--engine", "microsim"]
        notes.append(" ".join(options))
    command = rng.choices(["simulate", "validate", "breakeven"], weights=[75, 12, 13])[0]
    if command == "validate":
        if any(o.startswith("--") for o in options):
            command = "simulate"  # validate takes no options
        else:
            argv = ["validate", "{tree}/" + scenario]
    if command == "simulate":
        argv = ["simulate", "{tree}/" + scenario, "--out", "{out}/run", "--reports", "{reports}", "--quiet"]
        if "--horizon" not in options:
            argv += ["--horizon", rng.choice(["1", "2", "3"])]
        argv += ["--no-report"] if rng.random() < 0.85 else []
    elif command == "breakeven":
        options = [o for o in options if o not in ("--horizon",)]
        cleaned, skip = [], False
        for i, o in enumerate(options):  # breakeven takes --set and --engine only
            if skip:
                skip = False
                continue
            if o in ("--seed", "--individuals", "--horizon"):
                skip = True
                continue
            cleaned.append(o)
        argv = ["breakeven", "{tree}/" + scenario, "--horizons", rng.choice(["1", "2", "1,3"]), "--perspective",
                "society", "--out", "{out}/run", "--reports", "{reports}", "--quiet", "--no-report"] + cleaned
        options = []
    return {"index": index, "argv": argv + options, "files": files, "note": f"{kind}: " + "; ".join(notes)}


# --- the worker: runs cases in-process ------------------------------------------------------------

ALLOWED_NAN = {"outcome_bcr", "outcome_roi", "outcome_payback_month", "outcome_cost_per_extra_employment_year",
               "breakeven_wage", "breakeven_npv_at_low", "breakeven_npv_at_high", "bcr", "roi", "payback_month",
               "cost_per_extra_employment_year", "npv_at_low", "npv_at_high", "icer", "totals_sd",
               "reward_mc_se", "reward_mc_se_incremental",  # a Monte Carlo standard error of one individual is undefined
               "ce_icer", "ce_icer_vs_comparator",  # no ICER for the comparator or a dominated strategy
               "programme_breakeven_wage", "programme_breakeven_npv_at_low", "programme_breakeven_npv_at_high",
               "net_programme_cost_per_participant"}  # none for the comparator
PADDED = {"ledger", "qalys_per_month", "discount_factor_cost", "discount_factor_effect"}  # month 0: no cycle yet
WHOLE_FILE = ("file not found", "cannot read", "bytes (allowed", "not UTF-8", "not valid YAML", "expands to more",
              "nested", "recursive alias", "is not a valid date", "a value cannot be read")


def _nan_allowed(name: str) -> bool:
    return name in ALLOWED_NAN or name.endswith("_se")  # standard errors of one individual: undefined


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def nonfinite_outputs(out: Path) -> list[str]:
    import numpy as np
    import pandas as pd
    import xarray as xr

    bad = []
    for nc in out.rglob("*.nc"):
        with xr.open_dataset(nc) as ds:
            for name, var in ds.data_vars.items():
                if var.dtype.kind not in "fc":
                    continue
                values = var
                if name in PADDED and "month" in var.dims and var.sizes["month"] > 1:
                    values = var.isel(month=slice(1, None))
                a = np.asarray(values.values)
                if np.isinf(a).any() or (not _nan_allowed(name) and np.isnan(a).any()):
                    bad.append(f"{nc.name}:{name}")
    for csv in out.rglob("*.csv"):
        try:
            df = pd.read_csv(csv)
        except Exception:  # noqa: BLE001, S112 (an empty table: nothing to check)
            continue
        for col in df.select_dtypes("number"):
            x = df[col].to_numpy(dtype=float)
            if np.isinf(x).any() or (not _nan_allowed(col) and np.isnan(x).any()):
                bad.append(f"{csv.name}:{col}")
    return bad


def message_problem(lines: list[str]) -> str | None:
    if len(lines) != 1:
        return f"{len(lines)} lines"
    line = lines[0]
    said = re.sub(r" \(allowed: .*\)$", "", line)  # what is allowed may be a long list; the rest is short
    if len(said) > 400:
        return f"{len(said)} characters"
    if re.search(r"Error: (Invalid value for|No such option|Missing argument|Got unexpected)", line):
        return None  # click names the option
    m = re.match(r"error: (.+?): (.*)$", line)
    if not m or m.group(1).startswith("<input>"):
        return "no file"
    rest = m.group(2)
    if ": " not in rest and not any(w in line for w in WHOLE_FILE):
        return "no field path"
    return None


def run_case(case: dict, work: Path, pristine: Path) -> dict:
    import base64

    from click.testing import CliRunner

    from ipsecon.cli import main

    case_dir = work / f"case{case['index']}"
    tree, out, reports = case_dir / "tree", case_dir / "out", case_dir / "reports"
    shutil.rmtree(case_dir, ignore_errors=True)
    shutil.copytree(pristine, tree)
    for rel, text in case["files"].items():
        data = base64.b64decode(text[4:]) if text.startswith("b64:") else text.encode("utf-8", "surrogatepass")
        (tree / rel).write_bytes(data)
    out.mkdir()
    reports.mkdir()
    before = {p for p in case_dir.parent.rglob("*")}
    argv = [a.format(tree=tree, out=out, reports=reports) for a in case["argv"]]
    cwd = os.getcwd()
    os.chdir(case_dir)
    try:
        result = CliRunner().invoke(main, argv, catch_exceptions=True)
    finally:
        os.chdir(cwd)
    found: list[tuple[str, str]] = []  # (category, root cause)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        frame = traceback.extract_tb(result.exc_info[2])[-1] if result.exc_info and result.exc_info[2] else None
        where = f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" if frame else "?"
        category = "memory" if isinstance(exc, MemoryError) else "traceback"
        found.append((category, f"{type(exc).__name__} at {where}: {str(exc)[:100]}"))
    elif result.exit_code not in (0, 2):
        found.append(("exit code", f"exit {result.exit_code}"))
    written = _files_under(out) + _files_under(reports)
    if result.exit_code == 2:
        if written:
            found.append(("wrote on error", f"{argv[0]}: {written[0].relative_to(case_dir)}"))
        stderr = getattr(result, "stderr", "") or result.output
        lines = [line for line in stderr.strip().splitlines() if line.strip() and not line.startswith(("Usage:", "Try '"))]
        problem = message_problem(lines)
        if problem:
            found.append(("unclear message", f"{problem}: {(lines or [''])[0][:160]}"))
    elif result.exit_code == 0 and exc is None:
        bad = nonfinite_outputs(out)
        if bad:
            found.append(("nan in output", f"{argv[0]}: {bad[0]}"))
    after = {p for p in case_dir.parent.rglob("*")}
    escaped = sorted(str(p) for p in after - before if p.is_file() and not (
        p.is_relative_to(out) or p.is_relative_to(reports) or p.is_relative_to(tree)))
    abs_escape = Path("/tmp/attack_abs_escape")
    if abs_escape.exists():
        escaped.append(str(abs_escape))
        shutil.rmtree(abs_escape, ignore_errors=True)
    if escaped:
        found.append(("escaped", f"wrote {escaped[0]}"))
    shutil.rmtree(case_dir, ignore_errors=True)
    for p in case_dir.parent.iterdir():  # anything an escape left beside the case
        if p.is_file():
            p.unlink()
        elif p != case_dir and p.name != "pristine":
            shutil.rmtree(p, ignore_errors=True)
    return {"index": case["index"], "exit": result.exit_code, "found": found}


def worker(work: Path, pristine: Path, memory_gb: float) -> None:
    """Read cases (JSON lines) from stdin, answer each with one JSON line."""
    import resource

    import ipsecon.cli  # noqa: F401  (imports before the limit: numba reserves address space)

    if memory_gb > 0:
        limit = int(memory_gb * 2 ** 30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for line in sys.stdin:
        case = json.loads(line)
        try:
            answer = run_case(case, work, pristine)
        except MemoryError:
            answer = {"index": case["index"], "exit": None, "found": [("memory", "MemoryError in the harness")]}
        except Exception as exc:  # noqa: BLE001 (the harness itself failed on this case: counted)
            answer = {"index": case["index"], "exit": None,
                      "found": [("traceback", f"harness: {type(exc).__name__}: {str(exc)[:100]}")]}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


# --- the parent: hands out cases, detects hangs and deaths ---------------------------------------

class Worker:
    def __init__(self, k: int, work: Path, pristine: Path, memory_gb: float):
        self.dir = work / f"w{k}"
        self.dir.mkdir(exist_ok=True)
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", str(self.dir), str(pristine),
                                      str(memory_gb)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env=env)
        self.case: dict | None = None
        self.started = 0.0

    def send(self, case: dict) -> None:
        self.case, self.started = case, time.monotonic()
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def attack(seed: int, cases: list[int], workers: int, timeout: float, memory_gb: float, verbose: bool) -> dict:
    work = Path(tempfile.mkdtemp(prefix="ipsecon_attack_"))
    pristine = work / "pristine"
    for part in TREE_PARTS:
        shutil.copytree(ROOT / part, pristine / part, ignore=shutil.ignore_patterns("__pycache__"))
    todo = [make_case(seed, i, pristine) for i in cases]
    results: list[dict] = []
    pool = [Worker(k, work, pristine, memory_gb) for k in range(workers)]
    sel = selectors.DefaultSelector()
    for w in pool:
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)
    start = time.monotonic()

    def replace(w: Worker) -> Worker:
        sel.unregister(w.proc.stdout)
        w.kill()
        fresh = Worker(pool.index(w), work, pristine, memory_gb)
        pool[pool.index(w)] = fresh
        sel.register(fresh.proc.stdout, selectors.EVENT_READ, fresh)
        return fresh

    def record(answer: dict, case: dict) -> None:
        answer["note"], answer["argv"] = case["note"], case["argv"]
        answer["seconds"] = round(time.monotonic() - next(w.started for w in pool if w.case is case), 2) \
            if any(w.case is case for w in pool) else None
        results.append(answer)
        if verbose:
            print(f"case {case['index']}: exit {answer['exit']} {answer['found'] or ''} [{case['note'][:100]}]",
                  flush=True)

    try:
        while todo or any(w.case for w in pool):
            for w in pool:
                if w.case is None and todo:
                    w.send(todo.pop(0))
            for key, _ in sel.select(timeout=1.0):
                w = key.data
                line = w.proc.stdout.readline()
                case = w.case
                if not line:  # the worker died: killed for memory, or crashed hard
                    rc = w.proc.wait()
                    record({"index": case["index"], "exit": rc, "found": [("memory", f"worker died (signal/rc {rc})")]}, case)
                    replace(w)
                    continue
                record(json.loads(line), case)
                w.case = None
            now = time.monotonic()
            for w in list(pool):
                if w.case is not None and now - w.started > timeout:
                    record({"index": w.case["index"], "exit": None,
                            "found": [("hang", f"no answer within {timeout:g} s")]}, w.case)
                    replace(w)
    finally:
        for w in pool:
            w.kill()
        shutil.rmtree(work, ignore_errors=True)
    return {"results": sorted(results, key=lambda r: r["index"]), "seconds": time.monotonic() - start}


def report(outcome: dict, seed: int) -> int:
    results = outcome["results"]
    counts = {c: 0 for c in CATEGORIES}
    first: dict[tuple[str, str], dict] = {}
    for r in results:
        for category, cause in r["found"]:
            counts[category] += 1
            key = (category, re.sub(r"\d+", "N", cause.split(":")[0] if category == "unclear message" else cause[:80]))
            first.setdefault(key, {**r, "cause": cause})
    exits = {}
    for r in results:
        exits[r["exit"]] = exits.get(r["exit"], 0) + 1
    print(f"\n{len(results)} cases (seed {seed}) in {outcome['seconds']:.0f} s; exit codes: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(exits.items(), key=lambda kv: str(kv[0]))))
    print(f"{'failure':<18}{'cases':>7}")
    for c in CATEGORIES:
        print(f"{c:<18}{counts[c]:>7}")
    timed = sorted((r for r in results if r.get("seconds") is not None), key=lambda r: -r["seconds"])[:3]
    if timed:
        print("slowest cases: " + "; ".join(f"case {r['index']} {r['seconds']:.1f} s ({r['note'][:60]})" for r in timed))
    if first:
        print("\nfirst case of each distinct root cause:")
        for (category, _), r in first.items():
            print(f"- [{category}] case {r['index']}: {r['cause']}\n    {r['note'][:160]}\n    ipsecon {' '.join(r['argv'])[:200]}")
    return 1 if any(counts.values()) else 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--only", type=int, nargs="*", help="run only these case numbers")
    ap.add_argument("--workers", type=int, default=max(1, min(4, (os.cpu_count() or 2))))
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a case counts as a hang")
    ap.add_argument("--memory-gb", type=float, default=6.0, help="address-space limit per worker (0: none)")
    ap.add_argument("--verbose", action="store_true", help="one line per case")
    ap.add_argument("--json", type=Path, help="write every case's outcome here")
    args = ap.parse_args()
    cases = args.only if args.only else list(range(args.cases))
    outcome = attack(args.seed, cases, args.workers, args.timeout, args.memory_gb, args.verbose)
    if args.json:
        args.json.write_text(json.dumps(outcome, indent=1))
    return report(outcome, args.seed)


if __name__ == "__main__":
    sys.exit(main())
