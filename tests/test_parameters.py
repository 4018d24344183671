"""Checks on the parameter files in parameters/: documentation, distributions, life table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ipsecon.inputs.parameters import load_parameters

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def params():
    return load_parameters(ROOT / "parameters")


def _e_remaining(q: np.ndarray) -> float:
    """Remaining life expectancy from annual q(x) starting at the first entry.

    Deaths fall evenly within each year; everyone alive at the end of the table is assumed
    to die within the following year (the conservative closure).
    """
    survival = np.cumprod(np.r_[1.0, 1.0 - q])
    person_years = (survival[:-1] + survival[1:]) / 2
    return float(person_years.sum() + survival[-1] * 0.5)


def _life_table(params, sex: str) -> tuple[np.ndarray, np.ndarray]:
    table = params["mortality.life_table"].table
    ages = np.array([row[0] for row in table.rows])
    q = np.array([row[1 + table.columns.index(sex)] for row in table.rows])
    return ages, q


def test_expected_groups_present(params):
    for group in ("ips", "mortality", "utilities", "economics", "wages", "health_care"):
        assert any(name.startswith(group + ".") for name in params.names()), group


def test_every_parameter_has_source_and_unit(params):
    for name in params.names():
        p = params[name]
        assert p.source and p.source.strip(), f"{name} has no source"
        assert p.unit and p.unit.strip(), f"{name} has no unit"
        assert p.description and p.description.strip(), f"{name} has no description"


def test_assumptions_say_so(params):
    """Anything tagged `assumption` must say it is one, in its source, description or note."""
    for name in params.names():
        p = params[name]
        if p.evidence == "assumption":
            text = " ".join(filter(None, (p.source, p.description, p.note))).lower()
            assert "assum" in text or "convention" in text, f"{name} is an assumption but does not say so"


@pytest.mark.parametrize("lo_q,hi_q", [(0.01, 0.99)])
def test_value_inside_its_distribution(params, lo_q, hi_q):
    checked = 0
    for name in params.names():
        p = params[name]
        if p.distribution is None or p.distribution.type == "dirichlet":
            continue
        dist = p.distribution.frozen()
        lo, hi = dist.ppf([lo_q, hi_q])
        assert lo <= p.value <= hi, f"{name}: value {p.value} outside [{lo:.4g}, {hi:.4g}]"
        # and the distribution's centre is not far from the point value
        centre = dist.median()
        spread = hi - lo
        assert abs(centre - p.value) <= 0.5 * spread, f"{name}: median {centre:.4g} far from value {p.value}"
        checked += 1
    assert checked >= 20


def test_values_inside_their_bounds(params):
    for name in params.names():
        p = params[name]
        if p.bounds is not None and isinstance(p.value, (int, float)):
            assert p.bounds[0] <= p.value <= p.bounds[1], f"{name}: {p.value} outside bounds {p.bounds}"


def test_plain_proportions_between_zero_and_one(params):
    for name in params.names():
        p = params[name]
        if p.unit.startswith("proportion") and p.unit != "proportion (difference, percentage points / 100)" \
                and isinstance(p.value, (int, float)) and "relative change" not in p.unit:
            assert 0 <= p.value <= 1, f"{name}: proportion {p.value}"


def test_norwegian_rct_beta_matches_reported_proportion(params):
    d = params["ips.trial.employed_18m_ips"].distribution
    assert (d.alpha, d.beta) == (85.6, 143.4)
    assert d.mean_value() == pytest.approx(0.374, abs=5e-4)
    assert d.alpha + d.beta == pytest.approx(params["ips.trial.n_ips"].value, abs=0.5)
    control = params["ips.trial.employed_18m_control"].distribution
    assert control.mean_value() == pytest.approx(0.271, abs=5e-4)
    assert control.alpha + control.beta == pytest.approx(params["ips.trial.n_control"].value, abs=0.5)


def test_trial_rr_consistent_with_arm_proportions(params):
    rr = params["ips.trial.employed_18m_ips"].value / params["ips.trial.employed_18m_control"].value
    assert rr == pytest.approx(params["ips.trial.rr_18m"].value, abs=0.01)


def test_pooled_rr_lognormal_reproduces_published_ci(params):
    d = params["ips.effect.rr_pooled"].distribution.frozen()
    assert d.median() == pytest.approx(2.07, rel=0.01)
    assert d.ppf(0.025) == pytest.approx(1.82, rel=0.02)
    assert d.ppf(0.975) == pytest.approx(2.35, rel=0.02)


def test_programme_cost_consistent_with_fte_build_up(params):
    per_fte = params["ips.cost.specialist_fte_cost"].value / params["ips.cost.caseload"].value
    assert per_fte == pytest.approx(params["ips.cost.per_client_year"].value, rel=0.05)


@pytest.mark.parametrize("sex", ["male", "female"])
def test_life_table_shape(params, sex):
    ages, q = _life_table(params, sex)
    assert ages[0] <= 20 and ages[-1] >= 100
    assert np.all((q > 0) & (q < 1))
    from30 = q[ages >= 30]
    assert np.all(np.diff(from30) > 0), "q(x) must increase with age from 30"


@pytest.mark.parametrize("sex", ["male", "female"])
def test_life_expectancy_at_20(params, sex):
    ages, q = _life_table(params, sex)
    e20 = _e_remaining(q[ages >= 20])
    assert 55 <= e20 <= 65, e20


def test_women_outlive_men(params):
    ages, qm = _life_table(params, "male")
    _, qf = _life_table(params, "female")
    assert _e_remaining(qf[ages >= 20]) > _e_remaining(qm[ages >= 20])


def test_smi_excess_mortality_gives_published_size_of_gap(params):
    """SMR applied as a hazard ratio should cost roughly 10-15 life years (Hjorthoj 2017: 14.5)."""
    smr = params["mortality.smr_smi"].value
    for sex in ("male", "female"):
        ages, q = _life_table(params, sex)
        q20 = q[ages >= 20]
        q_smi = 1 - (1 - q20) ** smr
        gap = _e_remaining(q20) - _e_remaining(q_smi)
        assert 5 <= gap <= 20, (sex, gap)


def test_declining_discount_schedule(params):
    # years 0-40 use economics.discount_rate itself (one owner of the 4 %)
    rates = [params["economics.discount_rate"].value] + [params[f"economics.discount.{k}"].value
                                                         for k in ("rate_years_40_75", "rate_years_75_plus")]
    assert rates == sorted(rates, reverse=True)


def test_utilities_order(params):
    u = {s: params[f"utilities.{s}"].value for s in ("employed", "aap", "ufore", "other")}
    assert all(0 < v < 1 for v in u.values())
    assert u["employed"] > max(u["aap"], u["ufore"], u["other"])
    assert u["employed"] - u["other"] == pytest.approx(params["utilities.employment_increment"].value)


def test_params_shows_the_mean_the_base_case_runs_where_it_differs_from_the_point_value():
    """`ipsecon params` names what a scenario's base case runs (run.base_case: mean): the programme cost's
    triangular(30,000, 47,000, 80,000) has mean (30,000 + 47,000 + 80,000) / 3 = 52,333.3, not its mode 47,000;
    a parameter without a distribution shows no such note."""
    import json

    from click.testing import CliRunner

    from ipsecon.cli import main

    out = CliRunner().invoke(main, ["params", "ips.cost.*", "--dir", str(ROOT / "parameters"), "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = {r["name"]: r for r in json.loads(out.output)["tables"]["parameters"]}
    assert float(rows["ips.cost.per_client_year"]["base_case_mean"]) == pytest.approx(157000 / 3, abs=0.1)
    assert rows["ips.cost.caseload"]["base_case_mean"] == ""
