"""Norwegian rules against hand-worked cases written out from the rule text (evidence.md 1E-1G)."""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from ipsecon.errors import InputError
from ipsecon.inputs.parameters import load_parameters
from ipsecon.money.rules import (
    RuleParameters,
    TaxSchedule,
    aap_annual,
    aap_daily_rate,
    aap_reduction_for_work,
    average_g,
    bracket_tax,
    employer_contribution,
    grunnbelop,
    income_tax,
    uforetrygd_after_earnings,
    uforetrygd_annual,
)

RULES_DIR = Path(__file__).resolve().parents[1] / "parameters" / "rules"
G2024 = 124_028.0


@pytest.fixture(scope="module")
def params():
    return load_parameters(RULES_DIR)


@pytest.fixture(scope="module")
def rp2024(params):
    return RuleParameters.from_parameters(params, dt.date(2024, 6, 1))


# --- G ---------------------------------------------------------------------------------------

def test_grunnbelop_changes_on_1_may(params):
    assert grunnbelop(params, dt.date(2024, 4, 30)) == 118_620
    assert grunnbelop(params, dt.date(2024, 5, 1)) == 124_028
    assert grunnbelop(params, dt.date(2015, 12, 31)) == 90_068
    assert grunnbelop(params, dt.date(2025, 6, 1)) == 130_160


# Published annual averages, evidence.md 1E (2014-2024, all tagged [C] G values).
PUBLISHED_AVERAGE_G = {
    2013: 84_204, 2014: 87_328, 2015: 89_502, 2016: 91_740, 2017: 93_281, 2018: 95_800,
    2019: 98_866, 2020: 100_853, 2021: 104_716, 2022: 109_784, 2023: 116_239, 2024: 122_225,
}


@pytest.mark.parametrize("year,published", sorted(PUBLISHED_AVERAGE_G.items()))
def test_average_g_reproduces_published(params, year, published):
    assert average_g(params, year) == published


def test_average_g_derived_years(params):
    # evidence.md 1E [D] rows: 2010 (uses 2009 G [M]), 2011, 2012, 2025
    assert average_g(params, 2010) == 74_721
    assert average_g(params, 2011) == 78_024
    assert average_g(params, 2012) == 81_153
    assert average_g(params, 2025) == 128_116


def test_average_g_needs_previous_year(params):
    with pytest.raises(InputError, match="no G for 2008"):
        average_g(params, 2009)


def test_grunnbelop_override(params):
    p = params.with_overrides({"rules.grunnbelop": 100_000})
    assert grunnbelop(p, dt.date(2024, 6, 1)) == 100_000
    assert RuleParameters.from_parameters(p, dt.date(2024, 6, 1)).g == 100_000


# --- AAP -------------------------------------------------------------------------------------

def test_aap_floor_for_low_basis():
    # 66 % of 150,000 = 99,000 < 2G = 248,056 -> floor 2G
    assert aap_annual(150_000, 30, G2024) == pytest.approx(2 * G2024)


def test_aap_under25_floor():
    # under 25: 2/3 of 2G = 165,370.67
    assert aap_annual(0, 22, G2024) == pytest.approx(2 / 3 * 2 * G2024)
    # exactly 25 gets the full floor
    assert aap_annual(0, 25, G2024) == pytest.approx(2 * G2024)
    # a high basis under 25 is still 66 %
    assert aap_annual(400_000, 24, G2024) == pytest.approx(0.66 * 400_000)


def test_aap_cap_at_6g():
    # basis 1,000,000 > 6G = 744,168 -> 66 % of 744,168 = 491,150.88
    assert aap_annual(1_000_000, 40, G2024) == pytest.approx(0.66 * 6 * G2024)


def test_aap_mid_range():
    # 66 % of 500,000 = 330,000 (between 2G and 0.66 x 6G)
    assert aap_annual(500_000, 40, G2024) == pytest.approx(330_000)


def test_aap_vectorised():
    basis = np.array([150_000, 0, 1_000_000, 500_000])
    age = np.array([30, 22, 40, 40])
    expected = [2 * G2024, 2 / 3 * 2 * G2024, 0.66 * 6 * G2024, 330_000]
    np.testing.assert_allclose(aap_annual(basis, age, G2024), expected)


def test_aap_work_reduction():
    aap = 330_000.0
    # 30 % of a 37.5 h week (11.25 h): reduced by 30 % -> 231,000
    assert aap_reduction_for_work(aap, 0.30) == pytest.approx(231_000)
    # 70 % > 60 %: no AAP
    assert aap_reduction_for_work(aap, 0.70) == 0.0
    # exactly 60 % is not "more than 60 %": 40 % still paid
    assert aap_reduction_for_work(aap, 0.60) == pytest.approx(0.4 * aap)
    np.testing.assert_allclose(aap_reduction_for_work(aap, np.array([0.0, 0.3, 0.7])), [aap, 231_000, 0])


def test_aap_after_work_hours(rp2024):
    aap = rp2024.aap(500_000, 40)
    assert rp2024.aap_after_work(aap, 11.25) == pytest.approx(0.7 * 330_000)
    assert rp2024.aap_after_work(aap, 26.25) == 0.0  # 70 % of 37.5 h


def test_aap_daily_rate():
    assert aap_daily_rate(260_000) == pytest.approx(1_000)


def test_aap_duration_is_dated(params):
    assert RuleParameters.from_parameters(params, dt.date(2015, 1, 1)).aap_max_duration_months == 48
    assert RuleParameters.from_parameters(params, dt.date(2018, 1, 1)).aap_max_duration_months == 36


# --- Uføretrygd ------------------------------------------------------------------------------

def test_ut_minimum_single_and_couple():
    # 66 % of 200,000 = 132,000 below both minimums
    assert uforetrygd_annual(200_000, G2024, single=True) == pytest.approx(2.48 * G2024)
    assert uforetrygd_annual(200_000, G2024, single=False) == pytest.approx(2.28 * G2024)
    np.testing.assert_allclose(uforetrygd_annual(200_000, G2024, single=np.array([True, False])),
                               [2.48 * G2024, 2.28 * G2024])


def test_ut_young_disabled_minimum():
    assert uforetrygd_annual(0, G2024, single=True, young_disabled=True) == pytest.approx(2.91 * G2024)
    assert uforetrygd_annual(0, G2024, single=False, young_disabled=True) == pytest.approx(2.66 * G2024)


def test_ut_cap_and_mid_range():
    assert uforetrygd_annual(900_000, G2024) == pytest.approx(0.66 * 6 * G2024)
    # 66 % of 600,000 = 396,000 > 2.48G = 307,589
    assert uforetrygd_annual(600_000, G2024) == pytest.approx(396_000)


def test_ut_earnings_below_allowance_no_reduction():
    ut = 396_000.0
    # 0.4G = 49,611.2; earnings 40,000 below it
    assert uforetrygd_after_earnings(ut, 40_000, G2024, 600_000) == pytest.approx(ut)


def test_ut_earnings_above_allowance_graded():
    ut, basis, earnings = 396_000.0, 600_000.0, 150_000.0
    degree = ut / basis  # 0.66
    expected = ut - (earnings - 0.4 * G2024) * degree  # 396,000 - 100,388.8 x 0.66
    assert uforetrygd_after_earnings(ut, earnings, G2024, basis) == pytest.approx(expected)
    assert expected == pytest.approx(329_743.39, abs=0.01)


def test_ut_reduction_floored_at_zero_and_degree_capped():
    # huge earnings: nothing left
    assert uforetrygd_after_earnings(396_000, 5_000_000, G2024, 600_000) == 0.0
    # minimum-benefit recipient with a low basis: degree capped at 1 (krone for krone)
    ut = 2.48 * G2024
    assert uforetrygd_after_earnings(ut, 100_000, G2024, 50_000) == pytest.approx(ut - (100_000 - 0.4 * G2024))
    assert uforetrygd_after_earnings(ut, 100_000, G2024, 0) == pytest.approx(ut - (100_000 - 0.4 * G2024))


# --- Tax -------------------------------------------------------------------------------------

def hand_tax_2024(wage):
    """The 2024 schedule written out for a wage earner (evidence.md 1G)."""
    min_ded = min(0.46 * wage, 104_450)
    ordinary = 0.22 * max(wage - min_ded - 88_250, 0)  # personfradrag 2024: 88,250 (Finansdepartementet)
    steps = [(208_050, 292_850, 0.017), (292_850, 670_000, 0.040), (670_000, 937_900, 0.136),
             (937_900, 1_350_000, 0.166), (1_350_000, float("inf"), 0.176)]
    bracket = sum(r * min(max(wage - lo, 0), hi - lo) for lo, hi, r in steps)
    # trygdeavgift 7.8 %, none up to 69,650 and at most 25 % of the income above it (ftrl § 23-3)
    return ordinary, bracket, min(0.078 * wage, 0.25 * max(wage - 69_650, 0))


def test_tax_650k_average_rate(rp2024):
    # 650,000: min deduction 104,450; ordinary (650,000 - 104,450 - 88,250) x 22 % = 100,606.00
    # bracket 1.7 % x 84,800 + 4.0 % x 357,150 = 15,727.60; trygdeavgift 7.8 % = 50,700
    t = income_tax(650_000, 0, rp2024)
    assert float(t.ordinary) == pytest.approx(100_606.00)
    assert float(t.bracket) == pytest.approx(15_727.60)
    assert float(t.trygdeavgift) == pytest.approx(50_700.0)
    # published average rate 25.7 % (smartepenger.no); no other deductions are modelled
    assert float(t.total) / 650_000 == pytest.approx(0.257, abs=0.015)


def test_tax_1m_average_rate(rp2024):
    t = income_tax(1_000_000, 0, rp2024)
    assert float(t.total) / 1_000_000 == pytest.approx(0.319, abs=0.015)  # published 31.9 %


@pytest.mark.parametrize("wage", [0, 50_000, 150_000, 250_000, 400_000, 800_000, 1_200_000, 2_000_000])
def test_tax_matches_hand_schedule(rp2024, wage):
    t = income_tax(wage, 0, rp2024)
    o, b, s = hand_tax_2024(wage)
    assert (float(t.ordinary), float(t.bracket), float(t.trygdeavgift)) == pytest.approx((o, b, s))


def test_tax_benefit_income_low_trygdeavgift(rp2024):
    # uføretrygd 300,000: same ordinary and bracket tax as a wage, trygdeavgift at 5.1 %
    t = income_tax(0, 300_000, rp2024)
    o, b, _ = hand_tax_2024(300_000)
    assert float(t.ordinary) == pytest.approx(o)
    assert float(t.bracket) == pytest.approx(b)
    assert float(t.trygdeavgift) == pytest.approx(0.051 * 300_000)
    # mixed: one minimum deduction and one bracket scale on the sum
    t = income_tax(np.array([100_000.0]), np.array([300_000.0]), rp2024)
    o, b, _ = hand_tax_2024(400_000)
    assert t.ordinary[0] == pytest.approx(o)
    assert t.bracket[0] == pytest.approx(b)
    assert t.trygdeavgift[0] == pytest.approx(0.078 * 100_000 + 0.051 * 300_000)


def test_tax_schedule_default_matches_yaml(rp2024):
    assert rp2024.tax == TaxSchedule()
    assert bracket_tax(208_050, rp2024.tax.bracket_thresholds, rp2024.tax.bracket_rates) == 0.0


def test_trygdeavgift_dated(params):
    assert RuleParameters.from_parameters(params, dt.date(2021, 6, 1)).tax.trygdeavgift_wage == 0.082
    assert RuleParameters.from_parameters(params, dt.date(2023, 6, 1)).tax.trygdeavgift_wage == 0.079


# --- Employer contribution -------------------------------------------------------------------

def test_employer_contribution(rp2024):
    assert employer_contribution(500_000, 0.141) == pytest.approx(70_500)
    assert employer_contribution(500_000, rp2024.employer_rate("IVa")) == pytest.approx(39_500)
    assert employer_contribution(500_000, rp2024.employer_rate("V")) == 0.0
    np.testing.assert_allclose(employer_contribution(np.array([100_000, 200_000]), np.array([0.141, 0.051])),
                               [14_100, 10_200])
    assert set(rp2024.employer_rates) == {"I", "Ia", "II", "III", "IV", "IVa", "V"}
    with pytest.raises(InputError, match="no zone"):
        rp2024.employer_rate("VI")


def test_rule_parameters_2024(rp2024):
    assert rp2024.g == G2024
    assert rp2024.aap(0, 30) == pytest.approx(2 * G2024)
    assert rp2024.uforetrygd(0) == pytest.approx(2.48 * G2024)
    assert rp2024.uforetrygd_paid(396_000, 40_000, 600_000) == pytest.approx(396_000)


def test_minima_raised_from_1_july_2024(params):
    """AAP 2 G -> 2.041 G (NAV's rule code) and uføretrygd 2.48/2.28 -> 2.529/2.329 G, ung ufør
    2.91/2.66 -> 2.959/2.709 G (NAV's decision letters), from 1 July 2024."""
    before = RuleParameters.from_parameters(params, dt.date(2024, 6, 30))
    after = RuleParameters.from_parameters(params, dt.date(2024, 7, 1))
    assert (before.aap_floor_g, after.aap_floor_g) == (2.0, 2.041)
    assert (before.ut_min_single_g, before.ut_min_couple_g) == (2.48, 2.28)
    assert (after.ut_min_single_g, after.ut_min_couple_g) == (2.529, 2.329)
    assert (after.ut_young_min_single_g, after.ut_young_min_couple_g) == (2.959, 2.709)
    assert after.aap(0, 30) == pytest.approx(2.041 * G2024)


def test_under25_factor_by_grant_date(params, rp2024):
    # ftrl § 11-20: 2/3 of the minimum under 25 only for grants from 1 February 2020
    assert rp2024.for_grant_date(params, dt.date(2015, 7, 1)).aap_under25_factor == 1.0
    assert rp2024.for_grant_date(params, dt.date(2020, 2, 1)).aap_under25_factor == pytest.approx(2 / 3)
    fixed = params.with_overrides({"rules.aap.under25_minimum_factor": 0.5})
    rp = RuleParameters.from_parameters(fixed, dt.date(2024, 6, 1))
    assert rp.for_grant_date(fixed, dt.date(2015, 7, 1)).aap_under25_factor == 0.5  # an override holds for every grant


def test_tax_schedules_2024_and_2025(params):
    t24 = RuleParameters.from_parameters(params, dt.date(2024, 7, 1)).tax
    t25 = RuleParameters.from_parameters(params, dt.date(2025, 7, 1)).tax
    assert (t24.personal_allowance, t25.personal_allowance) == (88_250, 108_550)
    assert (t24.minimum_deduction_max, t25.minimum_deduction_max) == (104_450, 92_000)
    assert t25.bracket_thresholds == (217_400, 306_050, 697_150, 942_400, 1_410_750)
    assert t25.bracket_rates == (0.017, 0.040, 0.137, 0.167, 0.177)
    assert (t24.trygdeavgift_wage, t25.trygdeavgift_wage) == (0.078, 0.077)
    assert (t24.trygdeavgift_lower_limit, t25.trygdeavgift_lower_limit) == (69_650, 99_650)
    assert RuleParameters.from_parameters(params, dt.date(2022, 7, 1)).tax.trygdeavgift_wage == 0.080


def test_ut_income_ceiling_80_percent():
    # earnings above 80 % of income before disability: nothing paid (ftrl § 12-14)
    assert uforetrygd_after_earnings(396_000, 481_000, G2024, 600_000, ceiling_share=0.8) == 0.0
    assert uforetrygd_after_earnings(396_000, 479_000, G2024, 600_000, ceiling_share=0.8) > 0.0
