"""Discounting, payback, the efficiency frontier and the outcome tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ipsecon.economics import evaluation as economics
from ipsecon.economics.defaults import EVALUATION_PERSPECTIVES
from ipsecon.money.ledger import build_ledger
from ipsecon.model.scenario import load_scenario
from ipsecon.engines.simulate import simulate

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def sim():
    return simulate(load_scenario(ROOT / "scenarios" / "norway_rct.yaml"), horizon_years=5)


@pytest.fixture(scope="module")
def outcomes(sim):
    return economics.evaluate(build_ledger(sim), wtp=500_000)


# --- discounting -----------------------------------------------------------------------------

def test_constant_rate_against_the_formula():
    T = 120
    k = np.arange(1, T + 1)
    assert np.allclose(economics.cycle_discount_factors(T, 1 / 12, 0.04, "end"), 1.04 ** (-k / 12))
    assert np.allclose(economics.cycle_discount_factors(T, 1 / 12, 0.04, "start"), 1.04 ** (-(k - 1) / 12))
    trap = 0.5 * (1.04 ** (-(k - 1) / 12) + 1.04 ** (-k / 12))
    assert np.allclose(economics.cycle_discount_factors(T, 1 / 12, 0.04, "trapezoid"), trap)


def test_declining_schedule_is_the_default_and_an_override_turns_it_off():
    # R-109/21: 4 % (economics.discount_rate) to year 40, 3 % to 75, then 2 %, for costs and effects
    on = load_scenario(ROOT / "scenarios" / "norway_rct.yaml").model.discount_rate
    assert on == {k: [(0.0, 0.04), (40.0, 0.03), (75.0, 0.02)] for k in ("cost", "effect")}
    off = load_scenario(ROOT / "scenarios" / "norway_rct.yaml", overrides={"economics.discount.declining": 0})
    assert off.model.discount_rate == {"cost": 0.04, "effect": 0.04}
    zero = load_scenario(ROOT / "scenarios" / "norway_rct.yaml", overrides={"economics.discount_rate": 0})
    assert zero.model.discount_rate["cost"] == [(0.0, 0.0), (40.0, 0.0), (75.0, 0.0)]  # a step never raises the rate
    d = economics.cycle_discount_factors(100, 1.0, on["cost"], "end")  # yearly cycles, factor at the end of year k
    assert d[29] == pytest.approx(1.04 ** -30, rel=1e-14)
    assert d[49] == pytest.approx(1.04 ** -40 * 1.03 ** -10, rel=1e-14)
    assert d[79] == pytest.approx(1.04 ** -40 * 1.03 ** -35 * 1.02 ** -5, rel=1e-14)
    # up to year 40 the factors are bit for bit the constant rate's, for every counting convention
    for counting in ("end", "start", "trapezoid", "simpson", "life_table"):
        a = economics.cycle_discount_factors(480, 1 / 12, on["cost"], counting)
        assert np.array_equal(a, economics.cycle_discount_factors(480, 1 / 12, 0.04, counting))


@pytest.mark.parametrize("value", ["0.5", "2", "yes"])
def test_bad_declining_switch_is_one_line(value):
    from ipsecon.errors import InputError

    with pytest.raises(InputError, match="economics.discount.declining") as e:
        load_scenario(ROOT / "scenarios" / "norway_rct.yaml", overrides={"economics.discount.declining": value})
    assert "\n" not in str(e.value)


@pytest.fixture(scope="module")
def sim60():
    # a small microsim (2 s, the cohort takes 9): these checks are of discounting, which any trace shows
    return simulate(load_scenario(ROOT / "scenarios" / "norway_rct.yaml"), horizon_years=60, engine="microsim",
                    individuals=400, seed=1)


def test_horizons_up_to_40_years_do_not_move(sim60):
    from dataclasses import replace

    led = build_ledger(sim60).truncated(480)
    on = economics.evaluate(led, wtp=500_000)["summary"]
    off = economics.evaluate(replace(led, discount={"cost": 0.04, "effect": 0.04}), wtp=500_000)["summary"]
    assert isinstance(led.discount["cost"], list) and on.equals(off)  # every outcome, bit for bit


def test_60_year_horizon_equals_the_hand_computed_schedule(sim60):
    led = build_ledger(sim60)
    on = economics.evaluate(led, wtp=500_000)["summary"]
    k = np.arange(1, 721) / 12  # IPS model: monthly cycles counted at the end of each month
    d = np.where(k <= 40, 1.04 ** -k, 1.04 ** -40 * 1.03 ** -(k - 40))
    for p in ("society", "public", "nav", "individual"):
        net = led.perspective_net(p).transpose("sample", "strategy", "month").values[0]  # (K, T)
        rows = on[on.perspective == p].set_index("strategy")
        for i, strategy in enumerate(led.strategies):
            assert rows.loc[strategy, "npv"] == pytest.approx(float(net[i] @ d), rel=1e-12)
    qalys = led.qalys[0] @ d  # (K,)
    society = on[on.perspective == "society"].set_index("strategy")
    assert list(society.loc[list(led.strategies), "qalys"]) == pytest.approx(list(qalys), rel=1e-12)
    # the engine's own discounted QALY total (the trace, another path) agrees with the economics
    assert sim60.reward_totals()["qalys"][0] == pytest.approx(qalys, rel=1e-9)
    # against the constant 4 %, the lower late rates weigh years 41-60 more: more discounted QALYs
    assert (qalys > led.qalys[0] @ 1.04 ** -k).all()


# --- payback ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cum,expected", [
    ([-3, -1, 2, -0.5, 1, 2], 5),   # turns positive in month 3 but dips again: pays back from month 5
    ([1, 2, 3], 1),
    ([-1, -2, -3], None),
    ([-1, 1, 0], None),             # back to zero at the end: not within the horizon
    ([], None),
])
def test_payback_month(cum, expected):
    assert economics.payback_month(cum) == expected


# --- efficiency frontier ---------------------------------------------------------------------

def test_extended_dominance_three_strategies():
    """Worked by hand (method: Cantor 1994 Med Decis Making 14:259; Drummond et al. 2015, ch. 4).

    A: cost 0, effect 0; B: 10,000, 0.1; C: 30,000, 0.5. Sorted by effect, ICER(B vs A) =
    100,000 > ICER(C vs B) = 50,000, so B is extendedly dominated (a mix of A and C gives
    B's effect for less). The frontier is A -> C with ICER 30,000 / 0.5 = 60,000.
    """
    df = economics.efficiency_frontier(["A", "B", "C"], [0, 10_000, 30_000], [0.0, 0.1, 0.5]).set_index("strategy")
    assert df.loc["B", "status"] == "extendedly dominated"
    assert df.loc["A", "status"] == "frontier" and np.isnan(df.loc["A", "icer"])
    assert df.loc["C", "compared_with"] == "A"
    assert df.loc["C", "icer"] == pytest.approx(60_000)


def test_strong_and_extended_dominance_together():
    # D costs more than C and is less effective: strongly dominated; B as above
    df = economics.efficiency_frontier(["A", "B", "C", "D"], [0, 10_000, 30_000, 35_000],
                                       [0.0, 0.1, 0.5, 0.45]).set_index("strategy")
    assert list(df.status) == ["frontier", "extendedly dominated", "frontier", "dominated"]
    assert df.loc["C", "icer"] == pytest.approx(60_000)


def test_published_strong_dominance_example():
    """Table 1 of JNCI Cancer Spectrum 2020;4(2):pkaa004 (doi:10.1093/jncics/pkaa004): strategy 2 is
    absolutely dominated; strategy 3 vs 1 has ICER 529,365.8."""
    df = economics.efficiency_frontier(["s1", "s2", "s3"], [1695.865, 12224.17, 12118.17],
                                       [8.570992, 8.583273, 8.590681]).set_index("strategy")
    assert df.loc["s2", "status"] == "dominated"
    assert df.loc["s3", "icer"] == pytest.approx(529_365.8, rel=1e-3)


def test_frontier_keeps_increasing_icers():
    df = economics.efficiency_frontier(list("ABCD"), [0, 10, 30, 70], [0, 1, 2, 3])
    assert (df.status == "frontier").all()
    assert list(df.icer[1:]) == [10, 20, 40]


# --- outcome tables ----------------------------------------------------------------------------

def test_summary_columns_and_consistency(outcomes):
    s = outcomes["summary"]
    for c in ("costs", "gains", "npv", "incremental_npv", "bcr", "roi", "payback_month", "qalys",
              "extra_employment_years", "extra_earnings", "cost_per_extra_employment_year"):
        assert c in s.columns
    assert set(s.perspective) == set(EVALUATION_PERSPECTIVES)
    assert np.allclose(s.gains - s.costs, s.npv)
    ips = s[s.strategy == "ips"]
    assert np.allclose(ips.incremental_gains - ips.incremental_costs, ips.incremental_npv)
    pub = ips.set_index("perspective")
    parts = pub.loc[["nav", "health", "municipality", "state"], "incremental_npv"].sum()
    assert pub.loc["public", "incremental_npv"] == pytest.approx(parts)
    assert (ips.extra_employment_years > 0).all()
    r = pub.loc["society"]
    assert r.roi == pytest.approx(r.incremental_npv / r.incremental_costs)
    assert r.cost_per_extra_employment_year == pytest.approx(-r.incremental_npv / r.extra_employment_years)


def test_discounted_qalys_match_the_trace(sim, outcomes):
    s = outcomes["summary"]
    q = s[s.perspective == "nav"].set_index("strategy").qalys
    assert np.allclose(q[["tau", "ips"]].values, sim.reward_totals()["qalys"][0])
    e = s[s.perspective == "nav"].set_index("strategy").employment_years
    assert np.allclose(e[["tau", "ips"]].values, sim.reward_totals()["employment_years"][0])


def test_health_perspective_cea(outcomes):
    cea = outcomes["cea"]
    h = cea[cea.perspective == "health"].set_index("strategy")
    # IPS costs the health trust more and gains QALYs: an ICER against usual care
    assert h.loc["ips", "compared_with"] == "tau"
    dq = h.loc["ips", "effect"] - h.loc["tau", "effect"]
    dc = h.loc["ips", "cost"] - h.loc["tau", "cost"]
    assert h.loc["ips", "icer"] == pytest.approx(dc / dq)
    assert h.loc["ips", "incremental_nmb"] == pytest.approx(500_000 * dq - dc)


def test_separate_rates_and_undiscounted(sim):
    led = build_ledger(sim)
    out = economics.evaluate(led, perspectives=["nav"], cost_rate=0.0, effect_rate=0.0)["summary"]
    nav = out.set_index("strategy").npv
    raw = led.perspective_net("nav").sum("month").values[0]
    assert np.allclose(nav[["tau", "ips"]].values, raw)


@pytest.mark.parametrize("declining, words", [(1, "costs and effects 4 % a year, 3 % from year 40, 2 % from year 75"),
                                              (0, "costs and effects 4 % a year")])
def test_terminal_and_results_say_which_schedule(declining, words):
    import ipsecon
    from ipsecon.output import console

    sc = ipsecon.load_scenario(ROOT / "scenarios" / "norway_rct.yaml", overrides={"economics.discount.declining": declining})
    result = ipsecon.run(sc, horizon=1, breakeven=False, structures=False)
    assert result.dataset.attrs["discounting"] == words
    assert f"(discounting: {words})" in console.simulation(result)
