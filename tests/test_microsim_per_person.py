"""Per-person output of the microsim (``simulate --per-person FILE``): one row per person and strategy.

Checked against what the engine reports otherwise: the mean of the per-person totals is the run's
total (one stratum, so the trace's shares are the people's), their SD the one behind the Monte Carlo
SE, and the SD of per-strategy differences the paired SE; person ids are the same in every strategy;
Parquet and CSV.gz hold the same table; the cohort engine or another suffix is refused (exit 2).
"""

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from ipsecon.cli import main
from ipsecon.engines.people import per_person_frame
from ipsecon.engines.simulate import simulate
from ipsecon.model.scenario import load_scenario

N = 300


@pytest.fixture()
def path(tmp_path):
    data = {
        "name": "alive", "title": "alive", "description": "per-person output",
        "model": {"cycle_years": 1, "counting": "end", "discount": {"cost": 0.03, "effect": 0.03},
                  "states": {"A": {"track_duration": 3}, "D": {}},
                  "transitions": [{"from": "A", "to": "D", "probability": 0.1}],
                  "strategies": {"usual": {}, "treated": {"effects": [{"transition": "A->D", "rr": 0.7}]}},
                  "comparator": "usual",
                  "rewards": {"years": {"kind": "effect", "unit": "y", "states": {"A": 1}},
                              "cost": {"kind": "cost", "unit": "NOK", "states": {"A": "100 * (1 + duration)"}}}},
        "population": {"size": 100, "start_state": {"A": 1}},
        "run": {"horizon_years": 8, "engine": "microsim", "individuals": N, "seed": 5},
    }
    p = tmp_path / "alive.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_per_person_frame_adds_up_to_the_run(path):
    sim = simulate(load_scenario(path))
    frame = per_person_frame(sim)
    assert len(frame) == 2 * N
    assert set(frame.columns) == {"person", "stratum", "subgroup", "strategy", "cost_discounted", "years_discounted"}
    by = {k: g.set_index("person").sort_index() for k, g in frame.groupby("strategy")}
    assert np.array_equal(by["usual"].index, np.arange(N)) and np.array_equal(by["treated"].index, np.arange(N))
    totals = sim.reward_totals()
    se = sim.reward_standard_errors()
    for k, strategy in enumerate(sim.trace.strategies):
        for r in ("years", "cost"):
            x = by[strategy][f"{r}_discounted"].to_numpy()
            assert x.mean() == pytest.approx(totals[r][0, k], rel=1e-12)
            assert x.std(ddof=1) / np.sqrt(N) == pytest.approx(se[r][0, k], rel=1e-12)
    d = by["treated"]["years_discounted"] - by["usual"]["years_discounted"]
    k = sim.trace.strategies.index("treated")
    assert d.std(ddof=1) / np.sqrt(N) == pytest.approx(sim.incremental_standard_errors()["years"][0, k], rel=1e-12)


def test_cli_writes_parquet_and_csv_gz(path, tmp_path):
    runner = CliRunner()
    for name in ("people.parquet", "people.csv.gz"):
        r = runner.invoke(main, ["simulate", str(path), "--no-report", "--quiet", "--out", str(tmp_path / f"out_{name}"),
                                 "--per-person", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
        assert f"wrote {tmp_path / name}" in r.output
    a = pd.read_parquet(tmp_path / "people.parquet")
    b = pd.read_csv(tmp_path / "people.csv.gz")
    assert len(a) == 2 * N
    np.testing.assert_allclose(a["years_discounted"], b["years_discounted"], rtol=1e-15)
    assert list(a["strategy"]) == list(b["strategy"]) and list(a["person"]) == list(b["person"])


@pytest.mark.parametrize("extra", [["--engine", "cohort", "--per-person", "x.parquet"], ["--per-person", "x.txt"]])
def test_cli_refuses(path, tmp_path, extra):
    r = CliRunner().invoke(main, ["simulate", str(path), "--no-report", "--quiet", "--out", str(tmp_path / "o")] + extra)
    assert r.exit_code == 2 and "--per-person" in r.output and r.output.strip().count("\n") == 0, r.output
