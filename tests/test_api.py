"""The public Python API: the README's example runs, and the facts it reports have one owner."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import ipsecon

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Python API"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(ROOT)
    code = code.replace('"results/bodo_api"', repr(str(tmp_path / "bodo_api")))
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    ds = namespace["result"].dataset
    for name in ("occupancy", "ledger", "outcome_incremental_npv", "breakeven_wage", "discount_factor_cost"):
        assert name in ds
    assert ds.attrs["structure"] == "no_decay" and "ips.persistence.half_life" in ds.attrs["overrides"]
    assert (tmp_path / "bodo_api" / "results.nc").is_file()


def test_discount_rate_moves_results_and_economics_together():
    """--set economics.discount_rate=0: the trace's QALY total and the economics agree (one source)."""
    sc = ipsecon.load_scenario(ROOT / "scenarios/norway_rct.yaml", overrides={"economics.discount_rate": 0.0})
    result = ipsecon.run(sc, breakeven=False)
    ds = result.dataset
    from_trace = float(ds.reward_discounted.sel(strategy="ips", reward="qalys"))
    from_economics = float(ds.outcome_qalys.sel(perspective="society", strategy="ips"))
    undiscounted = float(ds.reward_undiscounted.sel(strategy="ips", reward="qalys"))
    assert from_trace == pytest.approx(from_economics, rel=1e-9)
    assert from_trace == pytest.approx(undiscounted, rel=1e-12)  # rate 0: nothing discounted
    assert np.allclose(ds.discount_factor_cost.dropna("month"), 1.0)


def test_comparator_is_declared_by_the_model():
    sc = ipsecon.load_scenario(ROOT / "scenarios/norway_rct.yaml")
    assert sc.model.comparator == "tau" and sc.model.interventions == ["ips"]
    result = ipsecon.run(sc, horizon=1.5)
    assert set(result.breakeven["intervention"]) == {"ips"} and set(result.breakeven["comparator"]) == {"tau"}
    assert set(result.economics["strategy"]) == {"ips"}


def test_perspective_lists_agree():
    from ipsecon.economics import defaults
    from ipsecon.money.ledger import PERSPECTIVES

    assert set(defaults.ALL_PERSPECTIVES) == set(PERSPECTIVES)
    assert set(defaults.EVALUATION_PERSPECTIVES) <= set(PERSPECTIVES)
    assert set(defaults.HEADLINE_PERSPECTIVES) <= set(PERSPECTIVES)
