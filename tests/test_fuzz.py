"""Property tests over bad input (issue 12): whatever a scenario file, a parameter file or an
override holds, ``ipsecon simulate`` ends with exit 0 or exit 2 — never a traceback —, an
exit-0 run has no nan or inf in its outputs, a failed run writes nothing, and every error is
one line naming a file and a field path.

The judgement of an outcome (message, outputs) is shared with ``benchmarks/attack.py``, the
larger fuzzer, so both count the same things. Examples are derandomized: CI is reproducible.
"""

import copy
import importlib.util
import math
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipsecon.cli import main

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("attack", ROOT / "benchmarks" / "attack.py")
attack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(attack)

# the textbook HIV model: small and self-contained; its parameters go to a parameter file
BASE = yaml.safe_load((ROOT / "tests/data/chancellor_hiv.yaml").read_text())
PARAMETERS = {"hiv": BASE.pop("parameters")["hiv"]}
BASE["parameter_dirs"] = ["params"]
SCENARIO_PATHS = [p for p in attack._paths(BASE) if p and p[0] not in ("description", "sources", "title")]
PARAMETER_PATHS = [p for p in attack._paths(PARAMETERS) if len(p) > 2]
NAMES = ["hiv.rr", "hiv.cost.medA", "hiv.cost.azt", "hiv.count.AB", "hiv.count", "hiv", "nothing.here", ""]

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2 ** 70, 2 ** 70),
                    st.sampled_from([0, -1, 1e308, 2 ** 63, 2 ** 64, 0.5, 1e-320]))
texts = st.one_of(st.text(max_size=20), st.sampled_from(attack.TEXTS + attack.NAMES))
values = st.one_of(numbers, texts, st.sampled_from(attack.STRUCTURES),
                   st.lists(numbers, max_size=3), st.dictionaries(st.text(max_size=5), numbers, max_size=2))


def _run(tmp: Path, scenario: dict, parameters: dict, *options: str):
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "params").mkdir(parents=True)
    (tmp / "params" / "hiv.yaml").write_text(attack._dump(parameters), encoding="utf-8")
    path = tmp / "scenario.yaml"
    path.write_text(attack._dump(scenario), encoding="utf-8")
    out, reports = tmp / "out", tmp / "reports"
    result = CliRunner().invoke(main, ["simulate", str(path), "--out", str(out / "run"), "--reports", str(reports),
                                       "--no-report", "--quiet", "--horizon", "3", *options], catch_exceptions=True)
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), f"traceback: {exc!r}"
    assert result.exit_code in (0, 2), result.output
    written = [p for p in (out, reports) if p.exists() for p in p.rglob("*") if p.is_file()]
    if result.exit_code == 2:
        assert not written, f"wrote {written[0]} on error"
        text = getattr(result, "stderr", "") or result.output
        lines = [x for x in text.strip().splitlines() if x.strip() and not x.startswith(("Usage:", "Try '"))]
        assert attack.message_problem(lines) is None, lines
    else:
        assert not attack.nonfinite_outputs(out), attack.nonfinite_outputs(out)
    escaped = [p for p in tmp.parent.iterdir() if p != tmp]
    assert not escaped, f"wrote outside the run's folder: {escaped[0]}"
    return result


def _tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "case"


def test_base_runs(tmp_path_factory):
    assert _run(_tmp(tmp_path_factory), BASE, PARAMETERS).exit_code == 0


@SETTINGS
@given(st.sampled_from(SCENARIO_PATHS), values, st.booleans())
def test_scenario_file(tmp_path_factory, path, value, delete):
    scenario = copy.deepcopy(BASE)
    if delete:
        attack._delete(scenario, path)
    else:
        attack._set(scenario, path, value)
    _run(_tmp(tmp_path_factory), scenario, PARAMETERS)


@SETTINGS
@given(st.sampled_from(PARAMETER_PATHS), values)
def test_parameter_file(tmp_path_factory, path, value):
    parameters = copy.deepcopy(PARAMETERS)
    attack._set(parameters, path, value)
    _run(_tmp(tmp_path_factory), BASE, parameters)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(NAMES), st.one_of(texts, numbers.map(str))), min_size=1, max_size=3))
def test_overrides(tmp_path_factory, pairs):
    options = [x for name, value in pairs for x in ("--set", f"{name}={value}")]
    result = _run(_tmp(tmp_path_factory), BASE, PARAMETERS, *options)
    finite = all(_finite_number(v) for _, v in pairs)
    if not finite:
        assert result.exit_code == 2  # nan, inf, 1e400 and text never run


def _finite_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except (ValueError, OverflowError):
        return False
