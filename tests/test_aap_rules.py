"""The AAP duration rules of the IPS model (folketrygdloven §§ 11-12, 11-17, 11-31 as in force), checked
against hand-computed occupancies: every ordinary hazard is switched off (no job entry, no death, no
ordinary exits, no re-entry), so the only moves left are the rules' own at the maximum, after the
job-seeker months and at the outer limit."""

import numpy as np
import pytest

from ipsecon.engines.cohort import run_cohort
from ipsecon.model.scenario import load_scenario, replace_variables
from ipsecon.model.state_machine import CompiledModel

QUIET = {"job_entry": "0", "mortality_rate": "0"}


def _quiet(root, scenario, start_year):
    """The scenario's model with ordinary hazards off, everyone on AAP from cycle 0 in ``start_year``."""
    sc = load_scenario(root / f"scenarios/{scenario}.yaml")
    model = CompiledModel(replace_variables(sc.model.spec, QUIET, sc.file, "variables"), sc.model.file)
    values = sc.base_values()
    values.update({"calibrated.norway_rct.aap_to_ufore": 0.0, "transitions.aap_to_other": 0.0,
                   "transitions.other_to_aap": 0.0, "transitions.other_to_ufore": 0.0})
    mix = np.zeros((1, sc.strata.size, model.n_states))
    mix[..., model.index["aap"]] = 1.0
    trace = run_cohort(model, values, sc.strata, mix, start_year, 100)
    occ = trace.occupancy[0, 0, 0]  # tau, first stratum: [month, state] at the end of each month
    return model, values, occ


def _share(model, occ, state, month):
    return float(occ[month, model.index[state]])


@pytest.mark.parametrize("start_year, maximum", [(2015, 48), (2020, 36)])
def test_maximum_by_grant_date_extension_and_job_seeker_months(root, start_year, maximum):
    """§ 11-12: 4 years for grants before 2018, 3 from 2018. At the maximum (1 − e)·u go to uføretrygd,
    the job seekers (1 − e)(1 − u) stay 6 months more (§ 11-17, the maximum ends in 2019 or later),
    the extension share e stays for its first decision of 12 months (a decision runs up to a year), a share r of
    them is renewed to the 24-month limit, then everyone leaves (u of those leaving to uføretrygd)."""
    model, values, occ = _quiet(root, "bodo", start_year)
    e, u = values["rules.aap.extension_share"], values["transitions.exhausted_to_ufore_share"]
    r, d = values["transitions.extension_renewal_share"], values["transitions.extension_decision_months"]
    assert d == 12
    assert _share(model, occ, "aap", maximum) == pytest.approx(1.0, abs=1e-12)
    after_max = maximum + 1
    assert _share(model, occ, "aap", after_max) == pytest.approx(1 - (1 - e) * u, abs=1e-9)
    assert _share(model, occ, "ufore", after_max) == pytest.approx((1 - e) * u, abs=1e-9)
    assert _share(model, occ, "aap", maximum + 6) == pytest.approx(1 - (1 - e) * u, abs=1e-9)
    assert _share(model, occ, "aap", maximum + 7) == pytest.approx(e, abs=1e-9)
    assert _share(model, occ, "other", maximum + 7) == pytest.approx((1 - e) * (1 - u), abs=1e-9)
    assert _share(model, occ, "aap", maximum + 12) == pytest.approx(e, abs=1e-9)
    assert _share(model, occ, "aap", maximum + 13) == pytest.approx(e * r, abs=1e-9)
    assert _share(model, occ, "ufore", maximum + 13) == pytest.approx((1 - e) * u + e * (1 - r) * u, abs=1e-9)
    assert _share(model, occ, "aap", maximum + 24) == pytest.approx(e * r, abs=1e-9)
    assert _share(model, occ, "aap", maximum + 25) == pytest.approx(0.0, abs=1e-9)
    assert _share(model, occ, "ufore", maximum + 25) == pytest.approx((1 - e) * u + e * u, abs=1e-9)


def test_no_job_seeker_months_when_the_maximum_ends_before_2018(root):
    """A 2013 grant reaches its 4-year maximum in 2017, before § 11-17's job-seeker months existed:
    all but the extension share leave at once."""
    model, values, occ = _quiet(root, "norway_rct", 2013)
    e, u = values["rules.aap.extension_share"], values["transitions.exhausted_to_ufore_share"]
    assert _share(model, occ, "aap", 49) == pytest.approx(e, abs=1e-9)
    assert _share(model, occ, "other", 49) == pytest.approx((1 - e) * (1 - u), abs=1e-9)
    assert _share(model, occ, "aap", 61) == pytest.approx(e * values["transitions.extension_renewal_share"], abs=1e-9)
    assert _share(model, occ, "aap", 73) == pytest.approx(0.0, abs=1e-9)


def test_reentry_after_the_maximum_follows_the_waiting_period(root):
    """§ 11-31 first paragraph: from 1 Jan 2018 to 30 Jun 2022 no new AAP period for those past the
    maximum; before and after, re-entry as before the maximum; past the outer limit never."""
    sc = load_scenario(root / "scenarios/bodo.yaml")  # grants in 2015: maximum 48, outer limit 72
    m, values = sc.model, sc.base_values()
    cycles = np.arange(120)
    ns = m.namespace(values, sc.strata, 2015, "tau", cycles, 1)
    allowed = np.broadcast_to(ns["aap_reentry_allowed"], (1, 1, cycles.size, m.width))[0, 0]
    months = np.arange(m.width) % m.n_bins
    year = 2015 + cycles / 12
    for j in (0, 30, 36, 89, 90, 119):
        expected = np.where(months >= 72, 0, np.where((months >= 48) & (year[j] >= 2018) & (year[j] < 2022.5), 0, 1))
        assert np.array_equal(allowed[j], expected), j
    assert allowed[36, 47] == 1 and allowed[36, 48] == 0 and allowed[90, 48] == 1 and allowed[90, 72] == 0


def test_ips_model_at_the_maximum(root):
    """A 2024 scenario's people get the 2018 rules: a 36-month maximum, 6 job-seeker months, outer limit 60."""
    sc = load_scenario(root / "scenarios/ipsnor.yaml")  # grants in 2024: maximum 36, outer limit 60
    values = sc.base_values()
    ns = sc.model.namespace(values, sc.strata, 2024, "tau", np.arange(1), 1)
    assert float(np.max(ns["aap_max_months"])) == 36 and float(np.max(ns["aap_outer_limit"])) == 60
    assert float(np.max(ns["aap_job_seeker_months"])) == 6


def test_without_pauses_only_the_extension_holds_aap_past_the_maximum(root):
    """§ 11-12 counts months with AAP over spells. Take away the two ways back to AAP with months to spare
    (a lost job without graded AAP, and other/no income), every other hazard of the fitted model on, graded AAP
    in work keeping the clock: nobody comes back to AAP, so the share on AAP never rises, and whoever is on it
    at month m has used m months. A 2013 grant (4-year maximum, no job-seeker months): at month 49 only the
    extension share e = 0.3 stays, at month 61 (the end of the 12-month first decision) the renewed share
    r = 0.5 of them, after the 2-year outer limit (month 72) nobody."""
    from ipsecon.engines.simulate import simulate

    sc = load_scenario(root / "scenarios/norway_rct.yaml",
                       overrides={"transitions.exit_to_aap_share": 0.0, "transitions.other_to_aap": 0.0})
    values = sc.base_values()
    e, r = values["rules.aap.extension_share"], values["transitions.extension_renewal_share"]
    occ = simulate(sc, engine="cohort", horizon_years=6.5).trace.population_occupancy()[0, 0]
    aap = occ[:, sc.model.index["aap"]]
    on_aap = aap + occ[:, sc.model.index["employed_aap"]]
    assert np.all(np.diff(on_aap) <= 1e-12)
    # of those on full AAP at the rule's month the rule's share stays (less the month's other exits); graded AAP
    # in work ends at the maximum (no extension in work)
    assert 0.9 * e * aap[48] < on_aap[49] < (e + 0.02) * aap[48]
    assert 0.9 * r * aap[60] < on_aap[61] < (r + 0.02) * aap[60]
    # past the outer limit nobody (a job lost in graded work in the very month the period ends, competing with
    # the exit hazard of 30 a month, brings back a few millionths)
    assert on_aap[72] > 0 and on_aap[73] == pytest.approx(0.0, abs=1e-5)


def test_job_losses_return_to_aap_as_nav_finds_aap_leavers_return(root):
    """transitions.exit_to_aap_share is NAV's split of AAP leavers neither in work nor on uføretrygd 6 months
    after leaving (Arbeidssøkere og stillinger, tabell 5, exits Q3 2024): back on nedsatt arbeidsevne 2.2 %,
    job seeker 3.6 %, other benefit 0.8 %, unknown 11.1 %; the base case runs the same value."""
    sc = load_scenario(root / "scenarios/norway_rct.yaml")
    assert sc.base_values()["transitions.exit_to_aap_share"] == pytest.approx(2.2 / (2.2 + 3.6 + 0.8 + 11.1), abs=5e-4)
