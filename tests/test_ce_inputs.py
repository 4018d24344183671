"""Inputs for textbook models (issue 16, item 5): tables from CSV, multivariate normal parameters,
cycles longer than a year and horizons past 100 years; each checked against a closed form."""

import shutil

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from ipsecon.cli import main
from ipsecon.engines.simulate import simulate
from ipsecon.errors import InputError
from ipsecon.model.scenario import load_scenario
from ipsecon.uncertainty.sampling import draw_samples

Q = {"female": [0.01, 0.02, 0.03, 0.04], "male": [0.02, 0.03, 0.05, 0.07]}  # tests/data/life_table_small.csv


def test_life_table_by_age_and_sex_from_csv(root):
    sc = load_scenario(root / "tests/data/life_table_model.yaml")
    assert sc.parameters["mort.q"].table.columns == ["female", "male"]
    # life years (end of cycle, undiscounted) = mean over the sexes of sum_k prod_{j<k} (1 - q(40 + j))
    expected = np.mean([sum(np.prod([1 - q for q in Q[s][:k]]) for k in range(1, 4)) for s in Q])
    assert simulate(sc).reward_totals()["life_years"][0, 0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("csv_text, words", [
    ("age,female\n40,0.01\n", ["life_table_small.csv", "header", "'male'"]),
    ("age,female,male\n40,0.01,x\n", ["life_table_small.csv", "line 2", "not a number"]),
])
def test_bad_csv_table_is_one_line_exit_2(root, tmp_path, csv_text, words):
    shutil.copy(root / "tests/data/life_table_model.yaml", tmp_path / "m.yaml")
    (tmp_path / "life_table_small.csv").write_text(csv_text)
    r = CliRunner().invoke(main, ["simulate", str(tmp_path / "m.yaml"), "--out", str(tmp_path / "o"), "--no-report"])
    assert r.exit_code == 2
    line = r.output.strip()
    assert "\n" not in line and all(w in line for w in words)


COV = [[4.0, 1.2, -0.6], [1.2, 1.0, 0.0], [-0.6, 0.0, 0.25]]


def _mvn_scenario(tmp_path, cov=COV):
    one = {"description": "a coefficient", "unit": "1", "source": "assumption (test)", "evidence": "assumption"}
    doc = {"name": "mvn", "title": "multivariate normal", "description": "joint draws",
           "parameters": {"beta": {"a": {**one, "value": 10.0}, "b": {**one, "value": -2.0}, "c": {**one, "value": 0.5}},
                          "multivariate_normal": [{"parameters": ["beta.a", "beta.b", "beta.c"], "covariance": cov,
                                                   "source": "assumption (test)"}]},
           "model": {"cycle_years": 1, "states": {"x": {}, "y": {}}, "transitions": [{"from": "x", "to": "y", "probability": 0.1}],
                     "strategies": {"s": {}}, "rewards": {"r": {"kind": "cost", "unit": "GBP",
                                                                  "states": {"x": "beta.a + beta.b + beta.c"}}}},
           "population": {"size": 1, "start_state": {"x": 1}}, "run": {"horizon_years": 1}}
    path = tmp_path / "mvn.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_multivariate_normal_draws_have_the_declared_mean_and_covariance(tmp_path):
    sc = load_scenario(_mvn_scenario(tmp_path))
    n = 20_000
    s = draw_samples(sc, n, seed=11)
    x = s.table[:, [s.columns.index(c) for c in ("beta.a", "beta.b", "beta.c")]]
    cov = np.asarray(COV)
    se_mean = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(x.mean(0) - [10.0, -2.0, 0.5]) < 4.5 * se_mean)
    # SE of a sample covariance of normals: sqrt((S_ii S_jj + S_ij^2) / n)
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / n)
    assert np.all(np.abs(np.cov(x.T) - cov) < 4.5 * se_cov)


def test_covariance_that_is_not_positive_definite_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"multivariate_normal\[0\].*positive definite"):
        load_scenario(_mvn_scenario(tmp_path, [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))


def test_five_year_cycles_and_a_120_year_horizon(root, tmp_path):
    """Death at 0.1 a year as a rate: per 5-year cycle p = 1 − e^(−0.5); 24 cycles; life years 5 a cycle
    at the end of each, discounted at 3 % a year: sum_j 5 e^(−0.5 j) 1.03^(−5 j)."""
    doc = {"name": "long", "title": "long cycles", "description": "5-year cycles, 120 years",
           "model": {"cycle_years": 5, "counting": "end", "discount": {"cost": 0.03, "effect": 0.03},
                     "states": {"alive": {}, "dead": {}},
                     "transitions": [{"from": "alive", "to": "dead", "rate": 0.1, "per": "year"}],
                     "strategies": {"s": {}}, "rewards": {"ly": {"kind": "effect", "unit": "years", "states": {"alive": 5}}}},
           "population": {"size": 1, "start_state": {"alive": 1}}, "run": {"horizon_years": 120}}
    (tmp_path / "long.yaml").write_text(yaml.safe_dump(doc))
    sc = load_scenario(tmp_path / "long.yaml")
    j = np.arange(1, 25)
    expected = float(np.sum(5 * np.exp(-0.5 * j) * 1.03 ** (-5.0 * j)))
    assert simulate(sc).reward_totals()["ly"][0, 0] == pytest.approx(expected, rel=1e-12)
    r = CliRunner().invoke(main, ["simulate", str(tmp_path / "long.yaml"), "--horizon", "151", "--no-report",
                                  "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "151" in r.output
