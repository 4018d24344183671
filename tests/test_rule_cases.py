"""Runs every rule case in tests/rule_cases/*.yaml (OpenFisca style): a rule, the date its parameters
are read at (parameters/rules), inputs, expected outputs, and the published example or rule text the
numbers come from. A domain expert adds a case by adding a YAML entry; no Python needed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml

from ipsecon.inputs.parameters import load_parameters
from ipsecon.money.rules import RuleParameters, aap_daily_rate, employer_contribution, income_tax

ROOT = Path(__file__).resolve().parents[1]
CASES = [(f.name, c) for f in sorted((ROOT / "tests" / "rule_cases").glob("*.yaml")) for c in yaml.safe_load(f.read_text())]
PARAMS = load_parameters(ROOT / "parameters" / "rules")
TOLERANCE = 0.01  # NOK: hand-worked amounts are rounded to the øre


def rules_at(date: str) -> RuleParameters:
    return RuleParameters.from_parameters(PARAMS, dt.date.fromisoformat(str(date)))


def evaluate(rule: str, r: RuleParameters, x: dict, when: dt.date) -> dict[str, float]:
    """The outputs a case's rule gives from its inputs (each rule one line of the rules module)."""
    if rule == "aap_annual":
        return {"annual": float(r.aap(x["income_basis"], x["age"]))}
    if rule == "aap_daily_rate":
        return {"daily_rate": float(np.round(aap_daily_rate(r.aap(x["income_basis"], x["age"]), r.aap_days_per_year), 2))}
    if rule == "aap_after_work":
        return {"annual": float(r.aap_after_work(x["aap_annual"], x["hours_per_week"]))}
    if rule == "uforetrygd_annual":
        return {"annual": float(r.uforetrygd(x["income_basis"], x.get("single", True), x.get("young_disabled", False)))}
    if rule == "uforetrygd_paid":
        return {"annual": float(r.uforetrygd_paid(x["ut_full"], x["earnings"], x["income_basis"]))}
    if rule == "income_tax":
        t = income_tax(x["wage_income"], x["benefit_income"], r)
        return {"ordinary": float(t.ordinary), "bracket": float(t.bracket), "trygdeavgift": float(t.trygdeavgift)}
    if rule == "trygdeavgift_rate":
        return {"rate": r.tax.trygdeavgift_wage}
    if rule == "employer_contribution":
        return {"amount": float(employer_contribution(x["gross_wage"], r.employer_rate(x["zone"])))}
    if rule == "aap_child_supplement":
        return {"per_day": float(PARAMS["rules.aap.child_supplement_per_day"].at(when))}
    raise AssertionError(f"unknown rule {rule!r} (add it to tests/test_rule_cases.py)")


def test_enough_cases_each_with_a_source():
    assert len(CASES) >= 40
    for file, c in CASES:
        assert set(c) == {"name", "source", "rule", "date", "input", "output"}, (file, c.get("name"))
        assert len(c["source"]) > 10, (file, c["name"])
    names = [c["name"] for _, c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"


@pytest.mark.parametrize("file,case", CASES, ids=[f"{f}: {c['name']}" for f, c in CASES])
def test_rule_case(file, case):
    got = evaluate(case["rule"], rules_at(case["date"]), case["input"], dt.date.fromisoformat(str(case["date"])))
    for key, expected in case["output"].items():
        assert got[key] == pytest.approx(expected, abs=TOLERANCE), f"{file}: {case['name']}: {key} ({case['source']})"
