"""Norwegian benefit and tax rules as small, pure, vectorised functions (OpenFisca style).

Each function takes explicit numbers (not the parameter tree), so it can be tested against
the rule text; :class:`RuleParameters` gathers those numbers from a :class:`ParameterSet`
for a given date. Amounts are annual NOK unless a docstring says otherwise. The numbers and
their sources live in ``parameters/rules/*.yaml`` (evidence.md sections 1E-1G).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Mapping, NamedTuple

import numpy as np

from ipsecon.errors import InputError
from ipsecon.inputs.parameters import ParameterSet

G_NAME = "rules.grunnbelop"
G_UPRATING_MONTH = 5  # G changes on 1 May


# --- Grunnbeløpet -----------------------------------------------------------------------------

def grunnbelop(params: ParameterSet, when: dt.date) -> float:
    """G in force on ``when`` (evidence.md 1E; a new G applies from 1 May each year)."""
    if G_NAME not in params:
        raise InputError("parameters/rules/", G_NAME, "parameter missing", "load parameters/rules")
    p = params[G_NAME]
    if p.values is None:  # a --set override or a plain value: one G for all dates
        return float(p.value)  # type: ignore[arg-type]
    return float(p.at(when))


def average_g_from(g_previous: Any, g_current: Any) -> np.ndarray:
    """Annual average G: G_{t-1} applies January-April, G_t May-December, so
    (4 G_{t-1} + 8 G_t) / 12 (evidence.md 1E). Not rounded."""
    return (4.0 * np.asarray(g_previous, dtype=float) + 8.0 * np.asarray(g_current, dtype=float)) / 12.0


def average_g(params: ParameterSet, year: int) -> float:
    """Published annual average G for ``year``: (4 G_{t-1} + 8 G_t) / 12, rounded to whole NOK.

    Reproduces the averages in evidence.md 1E. Needs G for ``year - 1``.
    """
    p = params[G_NAME] if G_NAME in params else None
    if p is None:
        raise InputError("parameters/rules/", G_NAME, "parameter missing", "load parameters/rules")
    if p.values is not None:
        first = min(p.values)
        if dt.date(year - 1, G_UPRATING_MONTH, 1) < first:
            raise InputError("parameters/rules/", G_NAME, f"no G for {year - 1}, needed for the {year} average",
                             f"years from {first.year + 1}")
    g_prev = grunnbelop(params, dt.date(year - 1, G_UPRATING_MONTH, 1))
    g_curr = grunnbelop(params, dt.date(year, G_UPRATING_MONTH, 1))
    # round half up, as money is published
    return float(np.floor(average_g_from(g_prev, g_curr) + 0.5))


# --- AAP (arbeidsavklaringspenger) ------------------------------------------------------------

def aap_annual(income_basis: Any, age: Any, g: float, rate: float = 0.66, cap_g: float = 6.0,
               floor_g: float = 2.0, under25_factor: float = 2.0 / 3.0) -> np.ndarray:
    """Annual AAP before any reduction for work (evidence.md 1F, nav.no; regjeringen.no).

    66 % of the income basis, the basis capped at 6G; at least 2G a year, or 2/3 of 2G for
    recipients under 25. Child supplements and the young-disabled minimum are not included.
    """
    basis = np.clip(np.asarray(income_basis, dtype=float), 0.0, cap_g * g)
    floor = floor_g * g * np.where(np.asarray(age, dtype=float) < 25, under25_factor, 1.0)
    return np.maximum(rate * basis, floor)


def aap_reduction_for_work(aap_annual: Any, hours_share: Any, threshold: float = 0.6) -> np.ndarray:
    """AAP payable after the reduction for work (evidence.md 1F, nav.no/aap).

    AAP is reduced in proportion to hours worked, ``hours_share`` being hours as a share of
    a full-time week (37.5 h; ``rules.aap.full_time_hours``); above 60 % no AAP is paid.
    Returns the benefit still paid, not the amount withdrawn. NAV applies this per two-week
    reporting period; applying it to an annual (or monthly) amount assumes steady hours.
    """
    share = np.clip(np.asarray(hours_share, dtype=float), 0.0, 1.0)
    paid = np.asarray(aap_annual, dtype=float) * (1.0 - share)
    return np.where(share > threshold, 0.0, paid)


def aap_daily_rate(aap_annual: Any, days_per_year: float = 260.0) -> np.ndarray:
    """Daily AAP rate: the annual benefit divided by 260 payment days (evidence.md 1F)."""
    return np.asarray(aap_annual, dtype=float) / days_per_year


# --- Uføretrygd -------------------------------------------------------------------------------

def uforetrygd_annual(income_basis: Any, g: float, single: Any = True, rate: float = 0.66,
                      cap_g: float = 6.0, min_single_g: float = 2.48, min_couple_g: float = 2.28,
                      young_disabled: Any = False, young_min_single_g: float = 2.91,
                      young_min_couple_g: float = 2.66) -> np.ndarray:
    """Annual uføretrygd at 100 % disability (evidence.md 1F; folketrygdloven 12-11, 12-13).

    66 % of the income basis (average of the 3 best of the last 5 years; cap 6G [M]), at least
    2.48G single or 2.28G with a spouse/cohabitant; for "ung ufør" (``young_disabled``) at
    least 2.91G / 2.66G. Graded disability (uføregrad below 100 %) is the caller's scaling.
    """
    basis = np.clip(np.asarray(income_basis, dtype=float), 0.0, cap_g * g)
    single = np.asarray(single, dtype=bool)
    young = np.asarray(young_disabled, dtype=bool)
    floor_ordinary = np.where(single, min_single_g, min_couple_g)
    floor_young = np.where(single, young_min_single_g, young_min_couple_g)
    floor = g * np.where(young, floor_young, floor_ordinary)
    return np.maximum(rate * basis, floor)


def compensation_degree(ut_full: Any, income_basis: Any, cap: float = 1.0) -> np.ndarray:
    """Kompensasjonsgrad: uføretrygd at 100 % divided by income before disability
    (folketrygdloven 12-14), limited to ``cap`` (``rules.uforetrygd.compensation_degree_max``,
    an assumption) and set to ``cap`` where the basis is zero.

    Simplification: the income basis stands in for NAV's "inntekt før uførhet" (which is
    uprated and may differ from the benefit basis).
    """
    ut = np.asarray(ut_full, dtype=float)
    basis = np.asarray(income_basis, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(basis > 0, ut / np.where(basis > 0, basis, 1.0), cap)
    return np.clip(ratio, 0.0, cap)


def uforetrygd_after_earnings(ut_full: Any, earnings: Any, g: float, income_basis: Any,
                              allowance_g: float = 0.4, compensation_cap: float = 1.0,
                              ceiling_share: float | None = None) -> np.ndarray:
    """Uføretrygd payable given earnings (evidence.md 1F: 0.4G allowance, then graded reduction).

    reduction = max(earnings - 0.4G, 0) x compensation degree, where the degree is
    ``ut_full / income_basis`` (see :func:`compensation_degree`); payable = ut_full - reduction,
    floored at 0; with ``ceiling_share`` (0.8, ftrl § 12-14 / § 12-7) nothing is paid when
    earnings exceed that share of ``income_basis``. Simplifications: 100 % disability
    (inntektsgrense = 0.4G, not a higher income after disability); annual settlement;
    ``income_basis`` is used as income before disability.
    """
    ut = np.asarray(ut_full, dtype=float)
    earned = np.asarray(earnings, dtype=float)
    excess = np.maximum(earned - allowance_g * g, 0.0)
    reduction = excess * compensation_degree(ut, income_basis, compensation_cap)
    paid = np.maximum(ut - reduction, 0.0)
    if ceiling_share is not None:
        paid = np.where(earned > ceiling_share * np.asarray(income_basis, dtype=float), 0.0, paid)
    return paid


# --- Income tax -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaxSchedule:
    """The personal income tax schedule of one year (defaults: 2024, as in parameters/rules/tax.yaml)."""

    ordinary_rate: float = 0.22
    personal_allowance: float = 88_250.0
    minimum_deduction_rate: float = 0.46
    minimum_deduction_max: float = 104_450.0
    bracket_thresholds: tuple[float, ...] = (208_050.0, 292_850.0, 670_000.0, 937_900.0, 1_350_000.0)
    bracket_rates: tuple[float, ...] = (0.017, 0.040, 0.136, 0.166, 0.176)
    trygdeavgift_wage: float = 0.078
    trygdeavgift_benefit: float = 0.051
    trygdeavgift_lower_limit: float = 69_650.0  # no trygdeavgift at or below it (ftrl § 23-3)
    trygdeavgift_phase_in_rate: float = 0.25  # at most this share of the income above the limit

    def __post_init__(self):
        if len(self.bracket_thresholds) != len(self.bracket_rates):
            raise InputError("parameters/rules/", "rules.tax", "bracket thresholds and rates differ in number")
        if list(self.bracket_thresholds) != sorted(self.bracket_thresholds):
            raise InputError("parameters/rules/", "rules.tax.bracket_thresholds", "thresholds must increase")


class TaxComponents(NamedTuple):
    """Income tax split as the ledger books it (all individual -> state)."""

    ordinary: np.ndarray      # tax on ordinary income (alminnelig inntekt)
    bracket: np.ndarray       # trinnskatt on personal income
    trygdeavgift: np.ndarray  # social security contribution

    @property
    def total(self) -> np.ndarray:
        return self.ordinary + self.bracket + self.trygdeavgift


def bracket_tax(personal_income: Any, thresholds: Any, rates: Any) -> np.ndarray:
    """Trinnskatt: each rate applies to personal income between its threshold and the next
    (evidence.md 1G, 2024 steps)."""
    income = np.asarray(personal_income, dtype=float)
    thresholds = np.asarray(thresholds, dtype=float)
    rates = np.asarray(rates, dtype=float)
    upper = np.append(thresholds[1:], np.inf)
    out = np.zeros_like(income)
    for lo, hi, r in zip(thresholds, upper, rates):
        out = out + r * np.clip(income - lo, 0.0, hi - lo)
    return out


def income_tax(wage_income: Any, benefit_income: Any, params: "TaxSchedule | RuleParameters") -> TaxComponents:
    """Annual personal income tax on wages and benefits (evidence.md 1G, 2024 schedule).

    * ordinary income = wages + benefits - minimum deduction (46 %, max 104,450) - personal
      allowance (88,240), floored at 0; taxed at 22 %;
    * bracket tax on personal income (wages + benefits);
    * trygdeavgift: the wage rate on ``wage_income``, the benefit rate on ``benefit_income``,
      nothing at or below the lower limit and at most 25 % of the income above it (ftrl § 23-3).

    ``wage_income`` is wages **and AAP** (AAP is taxed as wage income, and treated as such for
    trygdeavgift - an assumption); ``benefit_income`` is uføretrygd (low trygdeavgift rate, an
    assumption). Both get the wage minimum deduction (uføretrygd is taxed as wage income).
    Left out: other deductions (interest, travel, union fees, parental deduction), the lower
    income limit of trygdeavgift, the Finnmark/Nord-Troms rate, wealth tax, and tax
    limitation rules for low incomes.
    """
    tax = params.tax if isinstance(params, RuleParameters) else params
    wage = np.maximum(np.asarray(wage_income, dtype=float), 0.0)
    benefit = np.maximum(np.asarray(benefit_income, dtype=float), 0.0)
    personal = wage + benefit
    min_deduction = np.minimum(tax.minimum_deduction_rate * personal, tax.minimum_deduction_max)
    ordinary_income = np.maximum(personal - min_deduction - tax.personal_allowance, 0.0)
    ordinary = tax.ordinary_rate * ordinary_income
    bracket = bracket_tax(personal, tax.bracket_thresholds, tax.bracket_rates)
    trygd = tax.trygdeavgift_wage * wage + tax.trygdeavgift_benefit * benefit
    cap = tax.trygdeavgift_phase_in_rate * np.maximum(personal - tax.trygdeavgift_lower_limit, 0.0)
    trygd = np.minimum(trygd, cap)
    return TaxComponents(ordinary, bracket, trygd)


# --- Employer contribution --------------------------------------------------------------------

def employer_contribution(gross_wage: Any, zone_rate: Any) -> np.ndarray:
    """Arbeidsgiveravgift: gross wage times the zone rate (evidence.md 1G; e.g. 14.1 % zone I,
    7.9 % zone IVa, Bodø [M]). Paid by the employer on top of the gross wage."""
    return np.asarray(gross_wage, dtype=float) * np.asarray(zone_rate, dtype=float)


# --- Parameters for a date --------------------------------------------------------------------

@dataclass(frozen=True)
class RuleParameters:
    """The rule numbers in force on one date: G, benefit rates and floors, tax, payroll tax."""

    when: dt.date
    g: float
    aap_rate: float
    aap_cap_g: float
    aap_floor_g: float
    aap_under25_factor: float
    aap_days_per_year: float
    aap_max_duration_months: float
    aap_work_threshold: float
    aap_full_time_hours: float
    ut_rate: float
    ut_cap_g: float
    ut_min_single_g: float
    ut_min_couple_g: float
    ut_young_min_single_g: float
    ut_young_min_couple_g: float
    ut_allowance_g: float
    ut_compensation_cap: float
    ut_income_ceiling_share: float
    tax: TaxSchedule
    employer_rates: Mapping[str, float]

    @classmethod
    def from_parameters(cls, params: ParameterSet, when: dt.date) -> "RuleParameters":
        """Read ``rules.*`` from a parameter set (overrides included) as in force on ``when``."""
        return cls.from_values(params.base_values(when), when)

    @classmethod
    def from_values(cls, ns: Mapping[str, Any], when: dt.date) -> "RuleParameters":
        """Build from flat point values as :meth:`ParameterSet.base_values` gives them
        (``name`` and ``name.component``), e.g. one PSA draw."""
        def get(name: str) -> float:
            key = f"rules.{name}"
            if key not in ns:
                raise InputError("parameters/rules/", key, "parameter missing (or not a single number)", "see parameters/rules/")
            return float(ns[key])

        def components(name: str) -> dict[str, float]:
            prefix = f"rules.{name}."
            found = {k[len(prefix):]: float(v) for k, v in ns.items() if k.startswith(prefix)}
            if not found:
                raise InputError("parameters/rules/", f"rules.{name}", "parameter missing (or not named components)", "see parameters/rules/")
            return found

        def steps(name: str) -> tuple[float, ...]:
            comp = components(name)
            bad = [k for k in comp if not k.removeprefix("step").isdigit()]
            if bad:
                raise InputError("parameters/rules/", f"rules.{name}.{bad[0][:40]}", "not a step name",
                                 "components step1, step2, ...")
            return tuple(comp[k] for k in sorted(comp, key=lambda s: int(s.removeprefix("step"))))

        tax = TaxSchedule(
            ordinary_rate=get("tax.ordinary_rate"),
            personal_allowance=get("tax.personal_allowance"),
            minimum_deduction_rate=get("tax.minimum_deduction_rate"),
            minimum_deduction_max=get("tax.minimum_deduction_max"),
            bracket_thresholds=steps("tax.bracket_thresholds"),
            bracket_rates=steps("tax.bracket_rates"),
            trygdeavgift_wage=get("tax.trygdeavgift_wage"),
            trygdeavgift_benefit=get("tax.trygdeavgift_benefit"),
            trygdeavgift_lower_limit=get("tax.trygdeavgift_lower_limit"),
            trygdeavgift_phase_in_rate=get("tax.trygdeavgift_phase_in_rate"),
        )
        return cls(
            when=when,
            g=get("grunnbelop"),
            aap_rate=get("aap.rate"),
            aap_cap_g=get("aap.basis_cap_g"),
            aap_floor_g=get("aap.minimum_g"),
            aap_under25_factor=get("aap.under25_minimum_factor"),
            aap_days_per_year=get("aap.days_per_year"),
            aap_max_duration_months=get("aap.max_duration_months"),
            aap_work_threshold=get("aap.work_threshold"),
            aap_full_time_hours=get("aap.full_time_hours"),
            ut_rate=get("uforetrygd.rate"),
            ut_cap_g=get("uforetrygd.basis_cap_g"),
            ut_min_single_g=get("uforetrygd.minimum_single_g"),
            ut_min_couple_g=get("uforetrygd.minimum_couple_g"),
            ut_young_min_single_g=get("uforetrygd.young_minimum_single_g"),
            ut_young_min_couple_g=get("uforetrygd.young_minimum_couple_g"),
            ut_allowance_g=get("uforetrygd.earnings_allowance_g"),
            ut_compensation_cap=get("uforetrygd.compensation_degree_max"),
            ut_income_ceiling_share=get("uforetrygd.income_ceiling_share"),
            tax=tax,
            employer_rates=components("employer_contribution.rate"),
        )

    # Convenience wrappers: the pure functions with this date's numbers.

    def aap(self, income_basis: Any, age: Any) -> np.ndarray:
        return aap_annual(income_basis, age, self.g, self.aap_rate, self.aap_cap_g,
                          self.aap_floor_g, self.aap_under25_factor)

    def aap_after_work(self, aap: Any, hours_per_week: Any) -> np.ndarray:
        """AAP payable when working ``hours_per_week`` (share of the full-time week)."""
        share = np.asarray(hours_per_week, dtype=float) / self.aap_full_time_hours
        return aap_reduction_for_work(aap, share, self.aap_work_threshold)

    def uforetrygd(self, income_basis: Any, single: Any = True, young_disabled: Any = False) -> np.ndarray:
        return uforetrygd_annual(income_basis, self.g, single, self.ut_rate, self.ut_cap_g,
                                 self.ut_min_single_g, self.ut_min_couple_g, young_disabled,
                                 self.ut_young_min_single_g, self.ut_young_min_couple_g)

    def uforetrygd_paid(self, ut_full: Any, earnings: Any, income_basis: Any) -> np.ndarray:
        return uforetrygd_after_earnings(ut_full, earnings, self.g, income_basis,
                                         self.ut_allowance_g, self.ut_compensation_cap,
                                         self.ut_income_ceiling_share)

    def for_grant_date(self, params: ParameterSet, granted: dt.date) -> "RuleParameters":
        """These rules with the AAP under-25 factor in force when AAP was ``granted`` (the 2/3
        minimum applies to grants from 1 February 2020, ftrl § 11-20), unless it is overridden."""
        name = "rules.aap.under25_minimum_factor"
        if name not in params or params[name].values is None or len(params[name].values) == 1:
            return self  # an override or a plain value holds for every grant date
        return replace(self, aap_under25_factor=float(params[name].at(granted)))

    def employer_rate(self, zone: str) -> float:
        """Arbeidsgiveravgift rate of a zone (I, II, III, IV, IVa, V)."""
        if zone not in self.employer_rates:
            raise InputError("parameters/rules/", "rules.employer_contribution.rate", f"no zone {zone!r}",
                             ", ".join(self.employer_rates))
        return self.employer_rates[zone]
