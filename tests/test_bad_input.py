"""Every class of bad input ends in one clear message, exit code 2, and nothing written."""

import copy

import pytest
import yaml
from click.testing import CliRunner

from ipsecon.cli import main


@pytest.fixture(scope="module")
def base(root):
    return yaml.safe_load((root / "tests/data/chancellor_hiv.yaml").read_text())


def run_bad(tmp_path, scenario, *extra):
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario) if not isinstance(scenario, str) else scenario)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["simulate", str(path), "--out", str(out), *extra])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists(), "nothing may be written on bad input"
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1, result.output
    assert str(path) in lines[0] or "--set" in lines[0] or ".csv" in lines[0]
    return lines[0]


def edit(base, fn):
    data = copy.deepcopy(base)
    fn(data)
    return data


def test_unknown_key(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["model"]["states"]["A"].update(colour="red")))
    assert "model.states.A.colour" in msg and "unknown key" in msg and "track_duration" in msg


def test_missing_field(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d.pop("title")))
    assert "title" in msg and "missing" in msg


def test_wrong_type(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["population"].update(size="many")))
    assert "population.size" in msg


def test_probability_outside_unit_interval(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["model"]["transitions"][0].update(probability=1.5)))
    assert "A->B" in msg and "outside [0, 1]" in msg and "0 <= p <= 1" in msg


def test_outgoing_probabilities_sum_above_one(tmp_path, base):
    def fn(d):
        d["model"]["transitions"][0]["probability"] = 0.6
        d["model"]["transitions"][1]["probability"] = 0.6
    msg = run_bad(tmp_path, edit(base, fn))
    # yaml.safe_dump sorts keys, so comb runs first: its RR keeps cycles 0-1 valid, cycle 2 is not
    assert "state A" in msg and "sum to 1.2098" in msg and "cycle 2" in msg and "strategy comb" in msg


def test_sum_above_one_only_in_one_strategy_and_month(tmp_path, base):
    """An effect that pushes probabilities over 1 is caught where it happens."""
    msg = run_bad(tmp_path, edit(base, lambda d: d["model"]["strategies"]["comb"]["effects"][0].update(rr=6)))
    assert "strategy comb" in msg and "state A" in msg


def test_negative_rate(tmp_path, base):
    def fn(d):
        d["model"]["transitions"][0] = {"from": "A", "to": "B", "rate": -0.1, "per": "year"}
    msg = run_bad(tmp_path, edit(base, fn))
    assert "rate is negative" in msg


def test_unknown_state(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["model"]["transitions"][0].update(to="Z")))
    assert "unknown state 'Z'" in msg and "A, B, C, D" in msg


def test_unknown_name_in_formula(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["model"]["transitions"][0].update(probability="hiv.count.XX / nA")))
    assert "hiv.count.XX" in msg


def test_formula_cannot_run_code(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["model"]["transitions"][0].update(probability="__import__('os').system('echo hi')")))
    assert "not allowed" in msg


def test_yaml_syntax_error(tmp_path):
    msg = run_bad(tmp_path, "name: [unclosed\n")
    assert "not valid YAML" in msg


def test_bad_override(tmp_path, base):
    msg = run_bad(tmp_path, base, "--set", "hiv.rr=abc")
    assert "hiv.rr" in msg and "not a number" in msg
    msg = run_bad(tmp_path, base, "--set", "no.such.param=1")
    assert "unknown parameter" in msg


def test_malformed_population_csv(tmp_path, base):
    csv = tmp_path / "people.csv"
    csv.write_text("id,sex\n1,female\n")
    scenario = edit(base, lambda d: d["population"].update(file=str(csv), age=None))
    msg = run_bad(tmp_path, scenario)
    assert "column age" in msg and "missing" in msg
    csv.write_text("age,state\n30,A\n41,Q\n")
    msg = run_bad(tmp_path, scenario)
    assert "row 3, column state" in msg and "unknown state 'Q'" in msg
    csv.write_text("age,state\nthirty,A\n")
    msg = run_bad(tmp_path, scenario)
    assert "row 2, column age" in msg


def test_good_population_csv_runs(tmp_path, base):
    csv = tmp_path / "people.csv"
    csv.write_text("age,state\n30,A\n41,B\n55,A\n")
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(edit(base, lambda d: d["population"].update(file=str(csv), age=None, start_state=None))))
    result = CliRunner().invoke(main, ["simulate", str(path), "--out", str(tmp_path / "o"), "--engine", "microsim", "--individuals", "3", "--no-report"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "results.nc").exists()


def test_parquet_population_runs(tmp_path, base):
    import pandas as pd

    pq = tmp_path / "people.parquet"
    pd.DataFrame({"age": [30, 41, 55], "state": ["A", "B", "A"]}).to_parquet(pq)
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(edit(base, lambda d: d["population"].update(file=str(pq), age=None, start_state=None))))
    result = CliRunner().invoke(main, ["simulate", str(path), "--out", str(tmp_path / "o"), "--format", "json", "--no-report"])
    assert result.exit_code == 0, result.output
    assert '"scenario": "chancellor_hiv"' in result.output
