"""The break-even table's one-pass search gives what one root search per cell gives."""

from __future__ import annotations

import numpy as np
import pytest

from ipsecon.economics.breakeven import breakeven_table, breakeven_wage
from ipsecon.engines.simulate import simulate

PERSPECTIVES = ["society", "public", "individual", "health", "state", "municipality"]
HORIZONS = [1.5, 5, 10]


@pytest.fixture(scope="module")
def sim(scenario):
    return simulate(scenario, horizon_years=10)


def _per_cell(sim, **kwargs):
    pair = (sim.scenario.model.interventions[0], sim.scenario.model.comparator)
    return [breakeven_wage(sim, p, h, strategies=pair, **kwargs) for p in PERSPECTIVES for h in HORIZONS]


@pytest.mark.parametrize("bracket, roots", [((0.0, 2_000_000.0), 3), ((200_000.0, 400_000.0), 0)])
def test_one_pass_matches_root_search_per_cell(sim, bracket, roots):
    table = breakeven_table({"rct": sim}, PERSPECTIVES, HORIZONS, bracket=bracket)
    cells = _per_cell(sim, bracket=bracket)
    assert len(table) == len(cells)
    found = 0
    for (_, row), r in zip(table.iterrows(), cells):
        assert (row.perspective, row.horizon_years) == (r.perspective, r.horizon_years)
        assert np.isnan(row.breakeven_wage) == (r.wage is None)
        if r.wage is None:
            assert row.reason == r.reason  # the same words, with the same NPVs at the bracket's ends
        else:
            found += 1
            assert row.breakeven_wage == pytest.approx(r.wage, abs=0.02)  # both within xtol=0.01 of the root
            assert f"{row.breakeven_wage:,.0f}" == f"{r.wage:,.0f}" or abs(row.breakeven_wage % 1 - 0.5) < 0.02
        assert row.npv_at_low == pytest.approx(r.npv_low, rel=1e-9, abs=1e-6)
        assert row.npv_at_high == pytest.approx(r.npv_high, rel=1e-9, abs=1e-6)
    assert found >= roots  # the default bracket's comparison covered real roots, not only no-root cells


@pytest.fixture(scope="module")
def sim45(scenario):
    return simulate(scenario, horizon_years=45)


@pytest.mark.parametrize("horizon", [5, 45])
def test_declining_schedule_in_the_one_pass(sim45, horizon):
    # R-109/21's declining rates (4 % to 40 years, then 3 %: 45 years uses both; the model's default since issue 14) go
    # through the one-pass search: each horizon's cycle discount factors are exact, so it matches a root search per cell
    assert isinstance(sim45.scenario.model.discount_rate["cost"], list)
    table = breakeven_table({"rct": sim45}, ["society"], [horizon])
    r = breakeven_wage(sim45, "society", horizon)
    assert "vectorised" in table.reason.iloc[0]
    assert table.breakeven_wage.iloc[0] == pytest.approx(r.wage, abs=0.01)


@pytest.mark.parametrize("mcpf", [None, False, 0.1])
def test_tax_financing_cost_in_the_one_pass(sim, mcpf):
    # since issue 14 the R-109/21 tax-financing cost (on by default) is part of the one-pass search
    table = breakeven_table({"rct": sim}, ["society"], [5], mcpf=mcpf)
    r = breakeven_wage(sim, "society", 5, mcpf=mcpf)
    assert table.breakeven_wage.iloc[0] == pytest.approx(r.wage, abs=0.01)
