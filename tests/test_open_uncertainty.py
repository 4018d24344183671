"""DSA, Sobol' and sweeps on an open population (issue 15): each budget's impact over the calendar years.

Checked against independent expectations: a DSA bound's budget impact is a separate ``ipsecon.run`` with that
value, its per-year budget impacts summed; the impact is linear in the entrant count (the entrants are a sum
of closed runs, each person's outcome independent of how many enter, Bodø having no capacity); the stock's
per-person NPV does not depend on entrants at all; a sweep point equals a separate run with that sample's
parameter values, whatever the chunk size, to the bit. Bodø over 18 months (the stock and the entrants of
2015-2016) keeps each test a few seconds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from click.testing import CliRunner

import ipsecon
from ipsecon.cli import main
from ipsecon.model.scenario import load_scenario
from ipsecon.output import console
from ipsecon.sweep.run import run_sweep
from ipsecon.sweep.store import STORE_NAME
from ipsecon.uncertainty.dsa import run_dsa
from ipsecon.uncertainty.sobol import run_sobol

ENTRANTS = "ips.bodo.entrants_per_year"
HORIZON = 1.5  # 2015 and the first half of 2016: a window that ends within a calendar year
BUDGETS = ["public", "nav"]


@pytest.fixture(scope="module")
def bodo(root):
    return load_scenario(root / "scenarios" / "bodo.yaml")


def calendar_total(root, overrides: dict, budgets=BUDGETS) -> np.ndarray:
    """A separate run's budget impact of ips per calendar year, summed over the years of the horizon."""
    sc = load_scenario(root / "scenarios" / "bodo.yaml", overrides=overrides)
    run = ipsecon.run(sc, horizon=HORIZON, structures=False, breakeven=False)
    impact = run.dataset.calendar_budget_impact.sel(strategy="ips", budget=budgets).isel(sample=0)
    return impact.sum("year").values, run


def test_a_dsa_bound_s_budget_impact_is_a_separate_run_with_that_value(root, bodo):
    ds = run_dsa(bodo, [ENTRANTS], horizons=[HORIZON], perspectives=["society", *BUDGETS], quiet=True)
    bi = ds.budget_impact.sel(parameter=ENTRANTS, intervention="ips", horizon=HORIZON)
    low = float(ds.low_value.sel(parameter=ENTRANTS))
    expected, run = calendar_total(root, {ENTRANTS: low})
    np.testing.assert_allclose(bi.sel(bound="low", perspective=BUDGETS).values, expected, rtol=1e-9)
    assert np.isnan(bi.sel(perspective="society")).all()  # society is not a budget
    # linear in the entrant count: the stock's part plus entrants x each entrant's impact (no capacity in Bodø)
    x = [float(ds[v].sel(parameter=ENTRANTS)) for v in ("low_value", "base_value", "high_value")]
    y = [bi.sel(bound="low", perspective="public"), ds.base_budget_impact.sel(intervention="ips", perspective="public",
                                                                              horizon=HORIZON),
         bi.sel(bound="high", perspective="public")]
    y = [float(v) for v in y]
    assert abs(y[2] - y[0]) > 1e5  # entrants move the budget (a public-purse impact of about NOK 0.3 M per 30 entrants)
    np.testing.assert_allclose((y[2] - y[1]) / (x[2] - x[1]), (y[1] - y[0]) / (x[1] - x[0]), rtol=1e-6)
    # the per-person NPV is the stock's closed run: entrants do not move it, and the terminal says so
    inc = ds.inc_npv.sel(parameter=ENTRANTS, intervention="ips", perspective="public", horizon=HORIZON)
    assert float(inc.sel(bound="low")) == float(inc.sel(bound="high"))
    assert "the 561 people of January 2015 as a closed group" in console.simulation(run)
    # the tornado table (dsa.csv) names the outcome
    from ipsecon.output.tables import dsa_tables

    tornado = dsa_tables(ds)["tornado"]
    assert "budget_impact" in tornado.columns
    assert "budget impact of ips (nav" in console.dsa(ds)


def test_a_two_way_grid_runs_no_budget_impact(bodo, monkeypatch):
    """The two-way grid stores only the incremental NPV: the open population is re-run for the one-way settings
    (base, low, high) alone, not for every grid point (Bodø, 7 x 7 at 10 years: about twice the grid's time)."""
    from ipsecon.uncertainty import dsa

    calls = []

    def counted(scenario, values, n, *args, **kwargs):
        calls.append(n)
        return budget_impact(scenario, values, n, *args, **kwargs)

    budget_impact = dsa.budget_impact
    monkeypatch.setattr(dsa, "budget_impact", counted)
    ds = run_dsa(bodo, [ENTRANTS], pairs=[(ENTRANTS, "ips.bodo.entrant_uptake")], grid=2, horizons=[HORIZON],
                 perspectives=["nav"], quiet=True)
    assert calls == [3]
    assert "twoway_inc_npv" in ds and "budget_impact" in ds

TEXTBOOK_OPEN = {  # an open population on a model without the payer ledger (costs and QALYs only)
    "name": "open_ce", "title": "open textbook model", "description": "test",
    "parameters": {"p": {"sick": {"value": 0.04, "unit": "probability per month", "source": "test", "evidence": "D",
                                  "description": "falling ill", "distribution": {"type": "beta", "alpha": 4, "beta": 96}}}},
    "model": {"cycle_years": 1 / 12, "states": {"healthy": {}, "sick": {}, "dead": {}},
              "transitions": [{"from": "healthy", "to": "sick", "probability": "p.sick"},
                              {"from": "sick", "to": "healthy", "probability": 0.05},
                              {"from": ["healthy", "sick"], "to": "dead", "probability": 0.01}],
              "strategies": {"a": {}, "b": {"effects": [{"transition": "healthy->sick", "hr": 0.5}]}},
              "rewards": {"cost": {"kind": "cost", "unit": "NOK", "states": {"healthy": 10, "sick": 100}},
                          "qaly": {"kind": "effect", "unit": "QALY", "states": {"healthy": 0.08, "sick": 0.05}}}},
    "population": {"start_year": 2020, "age": {"value": 40}, "size": 100, "start_state": {"healthy": 1.0},
                   "entrants": {"per_year": 12}},
    "run": {"engine": "cohort", "horizon_years": 3, "base_case": "point"},
}


def test_dsa_and_sobol_of_an_open_population_without_the_ledger_have_no_budgets(tmp_path):
    """No payer ledger, no budgets: DSA and Sobol' run as on a closed population (before, both ended with 'the
    ledger needs a state for employed' while simulate ran)."""
    path = tmp_path / "open_ce.yaml"
    path.write_text(yaml.safe_dump(TEXTBOOK_OPEN))
    sc = load_scenario(path)
    ds = run_dsa(sc, ["p.sick"], horizons=[2], quiet=True)
    assert "budget_impact" not in ds and np.isfinite(ds.inc_npv.values).all()
    sob = run_sobol(sc, n_base=2, names=["p.sick"], horizons=[2], num_resamples=10, quiet=True)
    assert not [o for o in sob.output.values if "budget_impact" in str(o)]

def test_sobol_adds_each_budget_s_impact_as_an_output(bodo):
    ds = run_sobol(bodo, n_base=2, names=[ENTRANTS], horizons=[HORIZON], perspectives=["society", *BUDGETS],
                   num_resamples=10, quiet=True)
    outputs = [str(o) for o in ds.output.values]
    assert [o for o in outputs if o.startswith("budget_impact")] == ["budget_impact:public", "budget_impact:nav"]
    var = ds.output_variance.sel(horizon=HORIZON)
    assert float(var.sel(output="budget_impact:nav")) > 0  # entrant counts move the budget ...
    assert float(var.sel(output="inc_npv:nav")) == 0  # ... but not the stock's per-person NPV
    assert "undiscounted" in str(ds.output_units.sel(output="budget_impact:nav").values)


def _sweep(root, tmp_path, chunk: int, closed: bool = True):
    doc = {"title": "open and closed", "scenarios": [str(root / "scenarios" / "norway_rct.yaml")] * closed
           + [str(root / "scenarios" / "bodo.yaml")],
           "overrides": {"base": {}}, "samples": {"n": 2, "seed": 3, "method": "random", "parameters": [ENTRANTS]},
           "horizons": [HORIZON], "perspectives": ["society", "nav"]}
    path = tmp_path / "open.yaml"
    path.write_text(yaml.safe_dump(doc))
    return run_sweep(path, tmp_path / f"out{chunk}", workers=0, chunk_size=chunk, quiet=True)


def test_a_sweep_stores_each_point_s_budget_impact(root, tmp_path):
    one, two = _sweep(root, tmp_path, 1), _sweep(root, tmp_path, 2, closed=False)  # draws: the same seed per scenario
    with xr.open_zarr(one.store) as a, xr.open_zarr(two.store) as b:
        a, b = a.load(), b.load()
    np.testing.assert_array_equal(a.budget_impact.sel(scenario="bodo").values,  # chunk size: the same bits
                                  b.budget_impact.sel(scenario="bodo").values)
    bi = a.budget_impact.sel(override="base", intervention="ips", horizon=HORIZON)
    assert np.isnan(bi.sel(scenario="norway_rct")).all()  # closed: no budget impact
    assert np.isnan(bi.sel(scenario="bodo", perspective="society")).all()
    entrants = a.parameter_value.sel(scenario="bodo", parameter=ENTRANTS).values
    assert entrants[0] != entrants[1]
    expected, _ = calendar_total(root, {ENTRANTS: float(entrants[1])}, ["nav"])
    np.testing.assert_allclose(float(bi.sel(scenario="bodo", perspective="nav", sample=1)), expected[0], rtol=1e-9)
    summary = pd.read_csv(one.store.parent / "summary.csv")
    row = summary[(summary.scenario == "bodo") & (summary.perspective == "nav")].iloc[0]
    assert row.budget_impact_mean == pytest.approx(float(bi.sel(scenario="bodo", perspective="nav").mean()), rel=1e-9)
    assert summary[summary.scenario == "norway_rct"].budget_impact_mean.isna().all()


def test_psa_calendar_years_on_a_closed_population_is_one_line_and_exit_2(root, tmp_path):
    out = tmp_path / "psa"
    r = CliRunner().invoke(main, ["psa", str(root / "scenarios" / "norway_rct.yaml"), "--samples", "2",
                                  "--calendar-years", "--out", str(out), "--quiet"])
    assert r.exit_code == 2
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "--calendar-years" in lines[0] and "closed population" in lines[0]
    assert not out.exists()


def test_psa_calendar_years_without_the_ledger_is_one_line_naming_the_option(tmp_path):
    """Calendar years count work, AAP and each budget: the payer ledger's. On a textbook model the option is said to
    need it (before: 'the ledger needs a state for employed', naming neither the option nor the way out)."""
    path = tmp_path / "open_ce.yaml"
    path.write_text(yaml.safe_dump(TEXTBOOK_OPEN))
    out = tmp_path / "psa"
    r = CliRunner().invoke(main, ["psa", str(path), "--samples", "2", "--calendar-years", "--out", str(out), "--quiet"])
    assert r.exit_code == 2
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "--calendar-years" in lines[0] and "ledger" in lines[0]
    assert not out.exists()
