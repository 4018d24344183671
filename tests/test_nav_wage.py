"""Why NAV's incremental NPV of IPS can fall as the wage rises (norway_rct, cohort engine).

The wage moves nobody between states, and of NAV's items only uføretrygd paid beside work
(``employed_ufore``) depends on it: reduced by the compensation degree times earnings above 0.4 G
(ftrl § 12-14). Graded AAP is reduced by hours, not earnings (ftrl § 11-23), and taxes and the
employer's contribution go to the state. So NAV's NPV moves with the wage by
(IPS − usual care) discounted person-months in ``employed_ufore`` × the change of graded
uføretrygd: IPS adds such months in the first years (its entry effect acts on people holding a
uføretrygd decision) and, by keeping people off uføretrygd, removes more later. Each avoided month
saves NAV the graded uføretrygd, which is smaller when the person would have earned more.
The expected values below are worked by hand from the law, not read from the ledger's rules.
"""

from __future__ import annotations

import numpy as np
import pytest

from ipsecon.economics.evaluation import cycle_discount_factors
from ipsecon.engines import counting
from ipsecon.engines.simulate import simulate
from ipsecon.model.scenario import load_scenario
from ipsecon.money.ledger import build_ledger

G2024 = 124_028.0  # G from 1 May 2024; the price date is 1 July 2024
UT_MIN_SINGLE, UT_MIN_COUPLE = 2.529, 2.329  # G, ftrl § 12-13 from 1 July 2024
IFU_MIN_G = 3.3  # income before disability of a minimum-benefit recipient, at least 3.3 G (ledger.yaml)
ALLOWANCE_G = 0.4  # inntektsgrense, ftrl § 12-14 / § 12-16


@pytest.fixture(scope="module")
def sim(scenario):
    return simulate(scenario, horizon_years=40)


def nav_items(sim, wage, years):
    """Discounted incremental (IPS − usual care) NAV items per person at ``wage``."""
    model = sim.scenario.model
    T = round(years / model.cycle_years)
    led = build_ledger(sim, wage=wage).truncated(T)
    d = cycle_discount_factors(T, led.cycle_years, led.discount["cost"], led.counting)
    items = led.perspective_items("nav").transpose("sample", "strategy", "month", "component")
    k1, k0 = (list(model.strategies).index(s) for s in (model.interventions[0], model.comparator))
    inc = (items.values[0, k1] - items.values[0, k0]).T @ d
    return dict(zip(items.component.values.tolist(), inc))


def avoided_months(sim, years):
    """(IPS − usual care) person-months in employed_ufore, discounted and grown with wages as the ledger's money."""
    model, tr = sim.scenario.model, sim.trace
    T = round(years / model.cycle_years)
    occ = counting.cycle_occupancy(tr.occupancy, model.spec.counting, np.ones(tr.occupancy.shape[3]))
    months = np.einsum("nkgt,ng->nkt", occ[..., model.states.index("employed_ufore")], np.atleast_2d(tr.weights))[0]
    k1, k0 = (list(model.strategies).index(s) for s in (model.interventions[0], model.comparator))
    growth = (1 + sim.scenario.base_values()["wages.real_wage_growth"]) ** (np.arange(T) * model.cycle_years)
    d = cycle_discount_factors(T, model.cycle_years, model.discount_rate["cost"], model.spec.counting)
    return float(((months[k1, :T] - months[k0, :T]) * growth) @ d)


def graded_ut_slope(values):
    """NOK of uføretrygd withdrawn per NOK of annual wage W in employed_ufore, by hand (ftrl § 12-14):
    earnings = W × hours / fte; reduction = (earnings − 0.4 G) × UT at 100 % / income before disability."""
    basis = values["ledger.prior_income"]
    single = values["ledger.single_share"]
    ut_full = G2024 * (single * UT_MIN_SINGLE + (1 - single) * UT_MIN_COUPLE)
    assert 0.66 * basis < ut_full  # the minimum applies (66 % of the basis is below it)
    ifu = max(basis, IFU_MIN_G * G2024)
    earnings_share = values["wages.hours_share.employed_ufore"] / values["wages.fte_share"]
    return ut_full / ifu * earnings_share, earnings_share


def test_the_wage_moves_nobody(scenario, sim):
    rich = simulate(load_scenario(scenario.file, overrides={"wages.ips_annual_gross_wage": 600_000}), horizon_years=10)
    T1 = rich.trace.occupancy.shape[3]
    np.testing.assert_allclose(rich.trace.occupancy, sim.trace.occupancy[:, :, :, :T1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("years, sign", [(10, +1), (40, -1)])
def test_nav_moves_with_the_wage_only_through_graded_uforetrygd(sim, years, sign):
    values = sim.scenario.base_values()
    slope, share = graded_ut_slope(values)
    kink = ALLOWANCE_G * G2024 / share  # wage below which earnings beside uføretrygd stay under 0.4 G
    assert 160_000 < kink < 170_000
    lo, mid, hi = nav_items(sim, 150_000, years), nav_items(sim, 250_000, years), nav_items(sim, 600_000, years)
    for item in lo:  # AAP (reduced by hours, § 11-23) and the programme do not depend on the wage
        if item != "uforetrygd":
            assert hi[item] == pytest.approx(lo[item], abs=1e-6)
    m = avoided_months(sim, years)
    assert np.sign(m) == sign  # 10 years: IPS adds months beside uføretrygd; 40 years: it avoids more than it adds
    # each extra month beside uføretrygd saves NAV slope × ΔW / 12 more at the higher wage
    assert hi["uforetrygd"] - mid["uforetrygd"] == pytest.approx(m / 12 * slope * (600_000 - 250_000), rel=1e-9)
    assert mid["uforetrygd"] - lo["uforetrygd"] == pytest.approx(
        m / 12 * slope * (250_000 - kink), rel=1e-9)
    assert nav_items(sim, 0, years)["uforetrygd"] == pytest.approx(lo["uforetrygd"], abs=1e-6)  # under the allowance
    assert np.sign(sum(hi.values()) - sum(mid.values())) == sign
