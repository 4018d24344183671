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


# --- issue 12: bad input never crashes, hangs, runs out of memory or gives a silent nan -------

import math

import ipsecon
from ipsecon.errors import InputError
from ipsecon.inputs import ranges, yaml_files
from ipsecon.inputs.overrides import parse_override_value


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e400", "NaN", "Infinity"])
def test_override_must_be_finite(tmp_path, base, text):
    msg = run_bad(tmp_path, base, "--set", f"hiv.rr={text}")
    assert "--set: hiv.rr" in msg and "not a finite number" in msg


@pytest.mark.parametrize("value", [math.nan, math.inf, "1e400", True, None, [1]])
def test_api_override_must_be_finite(root, value):
    with pytest.raises(InputError, match="hiv.rr"):
        ipsecon.load_scenario(root / "tests/data/chancellor_hiv.yaml", overrides={"hiv.rr": value})


def test_parse_override_value():
    assert parse_override_value("a", " 2.5 ") == 2.5 and parse_override_value("a", 3) == 3.0
    for bad in ("abc", "", "1e400", "nan", "a\x00", 10 ** 400):
        with pytest.raises(InputError):
            parse_override_value("a", bad)


@pytest.mark.parametrize("where", [
    lambda d: d["population"].update(size=float("nan")),
    lambda d: d["run"].update(horizon_years=float("inf")),
    lambda d: d.update(set={"hiv.rr": float("nan")}),
    lambda d: d["parameters"]["hiv"]["rr"].update(value=float("inf")),
    lambda d: d["parameters"]["hiv"]["cost"]["value"].update(medA=float("nan")),
    lambda d: d["parameters"]["hiv"]["rr"].update(distribution={"type": "normal", "mean": 0.5, "sd": float("inf")}),
])
def test_yaml_nan_and_inf_refused(tmp_path, base, where):
    data = edit(base, lambda d: d.setdefault("run", {}))
    msg = run_bad(tmp_path, edit(data, where))
    assert "finite" in msg or "valid integer" in msg


def test_yaml_1e400_in_a_file(tmp_path, base):
    text = yaml.safe_dump(base).replace("value: 0.509", "value: 1e400")
    msg = run_bad(tmp_path, text)
    assert "hiv.rr" in msg and "finite" in msg


# ranges: declared in the file or implied by the unit

def test_negative_money_refused_with_parameter_name(tmp_path, base):
    msg = run_bad(tmp_path, base, "--set", "hiv.cost.medA=-1")
    assert "hiv.cost.medA" in msg and "outside [0, inf)" in msg and "money" in msg


def test_value_outside_unit_range_in_file(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["parameters"]["hiv"]["rr"].update(value=-0.5)))
    assert "hiv.rr.value" in msg and "outside [0, inf)" in msg


def test_declared_range_overrides_unit(tmp_path, base):
    ok = edit(base, lambda d: d["parameters"]["hiv"]["rr"].update(value=-0.5, range=[None, None]))
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(ok))
    assert ipsecon.load_scenario(path).parameters["hiv.rr"].value == -0.5
    msg = run_bad(tmp_path, edit(base, lambda d: d["parameters"]["hiv"]["rr"].update(range="(0.6, 1]")))
    assert "hiv.rr" in msg and "outside (0.6, 1]" in msg


def test_distribution_support_must_fit_the_range(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["parameters"]["hiv"]["rr"].update(
        distribution={"type": "normal", "mean": 0.5, "sd": 0.1})))
    assert "hiv.rr.distribution" in msg and "normal" in msg


def test_bounds_must_fit_the_range(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["parameters"]["hiv"]["rr"].update(bounds=[-1, 1])))
    assert "hiv.rr.bounds" in msg


def test_caseload_zero_or_negative_refused(root):
    for value in (0, -5):
        with pytest.raises(InputError, match=r"ips.cost.caseload.*outside \(0, inf\)"):
            ipsecon.load_scenario(root / "scenarios/norway_rct.yaml", overrides={"ips.cost.caseload": value})


def test_range_forms():
    assert ranges.parse_range([0, None]) == ranges.Range(0.0)
    assert ranges.parse_range("(0, inf)") == ranges.Range(0.0, math.inf, True, True)
    assert ranges.parse_range("[0, 1]").contains([0, 1]) and not ranges.parse_range("(0, 1]").contains(0)
    for bad in ("0..1", [1, 0], "(1, 1]", ["a", 1], [math.nan, 1], 5):
        with pytest.raises(ValueError):
            ranges.parse_range(bad)
    assert str(ranges.allowed_range("NOK per month", None)[0]) == "[0, inf)"
    assert str(ranges.allowed_range("proportion", None)[0]) == "[0, 1]"
    assert ranges.allowed_range("proportion (difference)", None)[0] == ranges.ANY


def test_shipped_parameters_lie_in_their_ranges(root):
    from ipsecon.inputs.parameters import load_parameters

    params = load_parameters(root / "parameters")  # raises if any value, bound or support does not
    assert str(params["ips.cost.caseload"].allowed()[0]) == "(0, inf)"


# files that cannot be read as YAML

def test_file_not_utf8(tmp_path, base):
    path = tmp_path / "scenario.yaml"
    path.write_bytes((yaml.safe_dump(base) + "note: 'bø'\n").encode("latin-1"))
    result = CliRunner().invoke(main, ["simulate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "not UTF-8" in result.output and str(path) in result.output and "line" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("date", ["2024-02-30", "2024-13-01"])
def test_invalid_date(tmp_path, base, date):
    text = yaml.safe_dump(base) + f"extra_date: {date}\n"
    msg = run_bad(tmp_path, text)
    assert "not a valid date" in msg and "line" in msg


def test_dated_values_empty(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["parameters"]["hiv"]["rr"].update(value=None, values={})))
    assert "hiv.rr.values" in msg and "at least one date" in msg


def test_alias_bomb(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    msg = run_bad(tmp_path, "\n".join(lines) + "\n")
    assert "expands to more than" in msg


def test_recursive_alias_and_deep_nesting(tmp_path):
    assert "recursive alias" in run_bad(tmp_path, "a: &a [*a]\n")
    assert "nested" in run_bad(tmp_path, "a: " + "[" * 500 + "]" * 500 + "\n")


def test_file_size_limit(tmp_path, base, monkeypatch):
    monkeypatch.setattr(yaml_files, "MAX_FILE_BYTES", 1000)
    msg = run_bad(tmp_path, yaml.safe_dump(base))
    assert "bytes" in msg and "up to 1,000" in msg


@pytest.mark.parametrize("where", [
    lambda d: d.update(parameter_dirs=["../para\x00meters"]),
    lambda d: d["population"].update(file="people\x00.csv"),
])
def test_nul_byte_in_a_path(tmp_path, base, where):
    msg = run_bad(tmp_path, edit(base, where))
    assert "NUL" in msg


@pytest.mark.parametrize("seed", [2 ** 63, 2 ** 64, -1])
def test_seed_out_of_range(tmp_path, base, seed):
    msg = run_bad(tmp_path, edit(base, lambda d: d.setdefault("run", {}).update(seed=seed)))
    assert "run.seed" in msg


@pytest.mark.parametrize("name", ["../../escape", "/tmp/escape", "a/b", "..", ".hidden", "", "x" * 81, "a..b"])
def test_unsafe_scenario_name(tmp_path, base, name):
    msg = run_bad(tmp_path, edit(base, lambda d: d.update(name=name)))
    assert ": name:" in msg
    assert not (tmp_path.parent / "escape").exists()


# sizes that would run out of memory

def test_subgroup_explosion_refused(tmp_path, base):
    attrs = {f"a{j}": {f"l{i}": 1 / 40 for i in range(40)} for j in range(5)}
    msg = run_bad(tmp_path, edit(base, lambda d: d["population"].update(attributes=attrs)))
    assert "population" in msg and "subgroups" in msg


def test_huge_age_range_refused(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["population"].update(
        age={"distribution": "uniform", "low": 0, "high": 1e9})))
    assert "population.age.high" in msg


def test_too_many_individuals_refused_before_allocating(tmp_path, base):
    msg = run_bad(tmp_path, base, "--engine", "microsim", "--individuals", str(10 ** 12))
    assert "needs about" in msg and "memory" in msg


def test_memory_estimate_scales_and_refuses(root, monkeypatch):
    from ipsecon.engines import memory

    sc = ipsecon.load_scenario(root / "tests/data/chancellor_hiv.yaml")
    est = [memory.estimate_bytes(sc, "microsim", n, 20) for n in (10 ** 6, 2 * 10 ** 6, 3 * 10 ** 6)]
    per_person = (est[1] - est[0]) / 10 ** 6
    assert est[2] - est[1] == est[1] - est[0] and per_person >= 8 * (len(sc.model.rewards) + 1)  # linear in people
    one, hundred = (memory.estimate_bytes(sc, "cohort", None, 20, samples=n) - memory.OVERHEAD for n in (1, 100))
    assert hundred > 50 * one
    # at least what the engine really allocates for the trace
    from ipsecon.engines.simulate import simulate

    trace = simulate(sc, engine="cohort", horizon_years=20).trace
    assert memory.estimate_bytes(sc, "cohort", None, 20) >= sum(a.nbytes for a in (trace.occupancy, trace.flows, trace.ever))
    monkeypatch.setattr(memory, "available_bytes", lambda: 1000)
    with pytest.raises(InputError, match="needs about .* more than"):
        memory.check_memory(sc, "cohort", None, 20)


# runs that are valid but extreme

def test_nan_start_shares_refused(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["population"].update(
        start_state={"A": "(hiv.rr - 0.509) / (hiv.rr - 0.509)"})))
    assert "population.start_state" in msg


def test_formula_error_names_formula_and_field(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["model"]["transitions"][0].update(probability="min(hiv.rr)")))
    assert "min(hiv.rr)" in msg and "model.transitions" in msg
    msg = run_bad(tmp_path, edit(base, lambda d: d["model"]["transitions"][0].update(probability="(-1) ** 0.5")))
    assert "(-1) ** 0.5" in msg and "no real result" in msg


def test_nobody_gets_ips_runs_with_zero_effect(tmp_path, root):
    data = yaml.safe_load((root / "scenarios/bodo.yaml").read_text())
    data["population"]["attributes"]["ips_user"] = {"no": 1.0}
    data["programme"]["uptake"] = 0.0  # nor any of the entrants (the open population, issue 15)
    data["model"] = str(root / "scenarios/models/ips.yaml")
    data["parameter_dirs"] = [str(root / "parameters")]
    path = tmp_path / "noips.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["simulate", str(path), "--out", str(tmp_path / "o"), "--horizon", "2",
                                       "--reports", str(tmp_path / "r"), "--quiet"])
    assert result.exit_code == 0, result.output
    import pandas as pd

    be = pd.read_csv(tmp_path / "o" / "breakeven.csv")
    assert be["breakeven_wage"].isna().all() and be["reason"].str.contains("does not depend on the wage").all()
    summary = pd.read_csv(tmp_path / "o" / "summary.csv").set_index("strategy")
    assert summary.loc["ips"].equals(summary.loc["tau"]) or (summary.loc["ips"] - summary.loc["tau"]).abs().max() < 1e-9


def test_huge_finite_numbers_refused(tmp_path, base):
    """6e307 is finite, but totals over months and strategies overflow to inf (exit 0 with inf before)."""
    msg = run_bad(tmp_path, edit(base, lambda d: d["parameters"]["hiv"]["cost"]["value"].update(azt=6e307)))
    assert "hiv.cost.value.azt" in msg and "too large" in msg
    msg = run_bad(tmp_path, edit(base, lambda d: d["model"]["rewards"]["cost"]["states"].update(A="exp(700)")))
    assert "model.rewards.cost.states" in msg and "at most 1e+15" in msg


def test_long_input_quoted_short(tmp_path, base):
    msg = run_bad(tmp_path, edit(base, lambda d: d["model"]["transitions"][0].update(to="(" * 5000)))
    assert "unknown state" in msg and len(msg) < 400


def test_tax_steps_must_be_named_steps(root, tmp_path):
    import datetime as dt

    from ipsecon.money.rules import RuleParameters

    sc = ipsecon.load_scenario(root / "scenarios/norway_rct.yaml")
    values = {k: v for k, v in sc.base_values().items() if not k.startswith("rules.tax.bracket_rates.")}
    values["rules.tax.bracket_rates.a"] = 0.1
    with pytest.raises(InputError, match="rules.tax.bracket_rates.a: not a step name"):
        RuleParameters.from_values(values, dt.date(2024, 7, 1))


@pytest.mark.parametrize("kwargs, field", [
    ({"horizon": math.nan}, "run.horizon_years"), ({"horizon": -1}, "run.horizon_years"),
    ({"horizon": 1e9}, "run.horizon_years"), ({"engine": "microsim", "individuals": 0}, "run.individuals"),
    ({"engine": "microsim", "seed": -1}, "run.seed"), ({"engine": "microsim", "seed": 2 ** 70}, "run.seed"),
    ({"engine": "bogus"}, "run.engine"),
])
def test_api_run_arguments_checked_like_the_file(root, kwargs, field):
    sc = ipsecon.load_scenario(root / "tests/data/chancellor_hiv.yaml")
    with pytest.raises(InputError, match=field):
        ipsecon.run(sc, **kwargs)


@pytest.mark.parametrize("distribution, problem", [
    ({"type": "gamma", "mean": 0.5, "sd": 1e308}, "give no distribution"),
    ({"type": "lognormal", "meanlog": 1000, "sdlog": 1}, "give no distribution"),
    ({"type": "uniform", "low": 0, "high": 1e16}, "beyond 1e+15"),
])
def test_extreme_distribution_refused(tmp_path, base, distribution, problem):
    msg = run_bad(tmp_path, edit(base, lambda d: d["parameters"]["hiv"]["rr"].update(distribution=distribution)))
    assert "hiv.rr.distribution" in msg and problem in msg


def test_nul_character_in_text(tmp_path, base):
    """A NUL in any text (here the title) reached the netCDF writer, which raised ValueError."""
    msg = run_bad(tmp_path, edit(base, lambda d: d.update(title="a\x00b")))
    assert "title (line" in msg and "NUL byte" in msg
