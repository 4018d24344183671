"""The payer ledger: conservation, perspectives as views, hand-worked benefit and tax amounts."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest

from ipsecon.errors import InputError
from ipsecon.money.ledger import PARTIES, PARTY_PERSPECTIVES, build_ledger, party_net, perspective_items, perspective_net
from ipsecon.engines.simulate import simulate

G2024 = 124_028.0  # G from 1 May 2024 (evidence.md 1E); the price date is 1 July 2024


@pytest.fixture(scope="module")
def sim(scenario):
    return simulate(scenario, horizon_years=5)


@pytest.fixture(scope="module")
def ledger(sim):
    return build_ledger(sim)


# --- a hand-made simulation: everyone in one state, one stratum ------------------------------

STATES = ["employed", "aap", "ufore", "other", "dead"]
WORK_STATES = ["employed", "employed_aap", "employed_ufore", "aap", "ufore", "other", "dead"]
G_MIN_AAP = 2.041  # ftrl § 11-20 from 1 July 2024 (NAV's rule code, MinsteÅrligYtelse.kt)


def fake_sim(scenario, state: str, start_age: float = 30.0, T: int = 12, n: int = 1, prior_income=None,
             states=STATES, overrides: dict | None = None, zone=None, start_year: int = 2024):
    """A Simulation-like object with all of one stratum in ``state`` for T monthly cycles."""
    S = len(states)
    occ = np.zeros((n, 2, 1, T + 1, S))
    occ[..., states.index(state)] = 1.0
    values = {**scenario.base_values(), "wages.real_wage_growth": 0.0, **(overrides or {})}
    cols = {"start_age": np.array([start_age]), "sex": np.array(["female"]), "ips_user": np.array(["yes"])}
    if prior_income is not None:
        cols["prior_income"] = np.array([float(prior_income)])
    model = SimpleNamespace(states=list(states), strategies=["tau", "ips"], cycle_years=1 / 12, file="fake.yaml",
                            spec=SimpleNamespace(counting="end"), discount_rate={"cost": 0.04, "effect": 0.04},
                            comparator="tau", comparator_index=0, employment_state=None)
    spec = SimpleNamespace(price_year=2024, ledger=SimpleNamespace(employer_zone=zone or "I"),
                           population=SimpleNamespace(start_year=start_year))
    sc = SimpleNamespace(model=model, strata=SimpleNamespace(columns=cols), base_values=lambda: values,
                         price_date=dt.date(2024, 7, 1), spec=spec, file="fake.yaml", parameters=scenario.parameters)
    trace = SimpleNamespace(occupancy=occ, flows=np.zeros((n, 2, 1, T, 0)), weights=np.array([1.0]),
                            reward_states={}, reward_transitions={})
    return SimpleNamespace(scenario=sc, trace=trace), values


def monthly(ledger, flow, strategy=0, sample=0):
    return ledger.flow(flow)[sample, strategy]


def test_aap_floor_over_25(scenario):
    # issue 14: 2 G before, 2.041 G from 1 July 2024 (the price date)
    s, _ = fake_sim(scenario, "aap", start_age=30, prior_income=150_000)
    assert np.allclose(monthly(build_ledger(s), "aap"), G_MIN_AAP * G2024 / 12)


def test_aap_floor_under_25_changes_on_the_25th_birthday(scenario):
    # granted 2024: start at 24.5, cycles 1-6 start before age 25 (2/3 of 2.041 G), cycles 7-12 at 2.041 G
    s, _ = fake_sim(scenario, "aap", start_age=24.5, prior_income=0, start_year=2024)
    aap = monthly(build_ledger(s), "aap")
    assert np.allclose(aap[:6], 2 / 3 * G_MIN_AAP * G2024 / 12)
    assert np.allclose(aap[6:], G_MIN_AAP * G2024 / 12)


def test_aap_under_25_minimum_only_for_grants_from_2020(scenario):
    # ftrl § 11-20: the 2/3 minimum applies to grants from 1 February 2020; a 2015 grant keeps the full minimum
    s, _ = fake_sim(scenario, "aap", start_age=20, prior_income=0, start_year=2015)
    assert np.allclose(monthly(build_ledger(s), "aap"), G_MIN_AAP * G2024 / 12)


@pytest.mark.parametrize("basis,expected", [(500_000, 0.66 * 500_000), (900_000, 0.66 * 6 * G2024)])
def test_aap_rate_and_cap(scenario, basis, expected):
    s, _ = fake_sim(scenario, "aap", prior_income=basis)
    assert np.allclose(monthly(build_ledger(s), "aap"), expected / 12)


@pytest.mark.parametrize("single,g_min", [(1.0, 2.529), (0.0, 2.329)])
def test_uforetrygd_minimum(scenario, single, g_min):
    # ftrl § 12-13, minima from 1 July 2024 (NAV's decision letters): 2.48 -> 2.529, 2.28 -> 2.329
    s, values = fake_sim(scenario, "ufore", prior_income=150_000, overrides={"ledger.single_share": single})
    assert np.allclose(monthly(build_ledger(s), "uforetrygd"), g_min * G2024 / 12)


def test_single_work_state_books_wage_without_benefit(scenario):
    # issue 14: 22.8 % of employed person-months got uføretrygd without a decision; a model with one
    # work state books wage only, at the mean hours of all work
    s, _ = fake_sim(scenario, "employed", prior_income=150_000)
    led = build_ledger(s, wage=243_750)
    assert np.allclose(monthly(led, "gross_wage"), 243_750 / 12)
    assert np.allclose(monthly(led, "uforetrygd"), 0.0) and np.allclose(monthly(led, "aap"), 0.0)


def test_work_with_uforetrygd_reduced_above_the_allowance(scenario):
    # employed_ufore at 0.15 FTE of a wage of 243,750 at 0.5 FTE: earnings 73,125; single minimum 2.529 G
    # reduced by (73,125 - 0.4 G) x 2.529 G / 3.3 G (income before disability at least 3.3 G, ftrl § 12-14)
    over = {"ledger.single_share": 1.0, "wages.hours_share.employed_ufore": 0.15, "wages.fte_share": 0.5}
    s, _ = fake_sim(scenario, "employed_ufore", prior_income=150_000, states=WORK_STATES, overrides=over)
    led = build_ledger(s, wage=243_750)
    assert np.allclose(monthly(led, "gross_wage"), 73_125 / 12)
    ut = 2.529 * G2024 - (73_125 - 0.4 * G2024) * 2.529 / 3.3
    assert np.allclose(monthly(led, "uforetrygd"), ut / 12)
    # below the allowance nothing is withdrawn
    s, _ = fake_sim(scenario, "employed_ufore", prior_income=150_000, states=WORK_STATES,
                    overrides={**over, "wages.hours_share.employed_ufore": 0.05})  # 24,375 < 0.4 G
    assert np.allclose(monthly(build_ledger(s, wage=243_750), "uforetrygd"), 2.529 * G2024 / 12)


def test_graded_aap_for_work(scenario):
    # employed_aap at 0.37 of 37.5 h keeps 63 % of the AAP (ftrl § 11-23); above 60 % none
    over = {"wages.hours_share.employed_aap": 0.37}
    s, _ = fake_sim(scenario, "employed_aap", prior_income=0, states=WORK_STATES, overrides=over)
    assert np.allclose(monthly(build_ledger(s), "aap"), 0.63 * G_MIN_AAP * G2024 / 12)
    s, _ = fake_sim(scenario, "employed_aap", prior_income=0, states=WORK_STATES,
                    overrides={"wages.hours_share.employed_aap": 0.65})
    assert np.allclose(monthly(build_ledger(s), "aap"), 0.0)


def test_tax_on_aap_by_hand(scenario):
    s, _ = fake_sim(scenario, "aap", prior_income=0)
    led = build_ledger(s)
    income = G_MIN_AAP * G2024  # 253,141.15
    ordinary = 0.22 * (income - 104_450 - 88_250)  # minimum deduction at its cap; personfradrag 2024
    bracket = 0.017 * (income - 208_050)
    assert np.allclose(monthly(led, "income_tax"), (ordinary + bracket) / 12)
    assert np.allclose(monthly(led, "trygdeavgift"), 0.078 * income / 12)  # below 25 % of income above 69,650


def test_trygdeavgift_lower_limit(scenario):
    # 80,000 a year: 7.8 % = 6,240, but at most 25 % of (80,000 - 69,650) = 2,587.50 (ftrl § 23-3)
    s, _ = fake_sim(scenario, "employed")
    assert np.allclose(monthly(build_ledger(s, wage=80_000), "trygdeavgift"), 2_587.5 / 12)
    assert np.allclose(monthly(build_ledger(s, wage=60_000), "trygdeavgift"), 0.0)


def test_wage_employer_contribution_zone_and_growth(scenario):
    s, _ = fake_sim(scenario, "employed", T=24)
    led = build_ledger(s, wage=240_000)
    assert np.allclose(monthly(led, "gross_wage"), 20_000)
    assert np.allclose(monthly(led, "employer_contribution"), 0.141 * 20_000)  # default zone I
    # plain wage income: tax from the schedule, by hand
    ordinary = 0.22 * (240_000 - 104_450 - 88_250)
    bracket = 0.017 * (240_000 - 208_050)
    assert np.allclose(monthly(led, "income_tax"), (ordinary + bracket) / 12)
    s, _ = fake_sim(scenario, "employed", T=24, overrides={"wages.real_wage_growth": 0.01}, zone="IVa")
    led = build_ledger(s, wage=240_000)
    wage = monthly(led, "gross_wage")
    assert np.allclose(wage[12], 20_000 * 1.01)  # cycle 13 starts at year 1
    assert np.allclose(monthly(led, "employer_contribution"), 0.079 * wage)  # Bodø: zone IVa
    s, _ = fake_sim(scenario, "employed", zone={"IV": 0.5, "V": 0.5})
    assert np.allclose(monthly(build_ledger(s, wage=240_000), "employer_contribution"), 0.5 * 0.051 * 20_000)


def test_bodo_is_zone_iva():
    import ipsecon
    from ipsecon.money.ledger import employer_zone_rate, ledger_rules

    sc = ipsecon.load_scenario("scenarios/bodo.yaml")
    assert employer_zone_rate(sc, ledger_rules(sc, sc.base_values())) == pytest.approx(0.079)


def test_social_assistance_in_other(scenario):
    s, _ = fake_sim(scenario, "other")
    led = build_ledger(s)
    assert np.allclose(monthly(led, "social_assistance"), 10_000 * 0.5)
    assert np.allclose(monthly(led, "income_tax"), 0.0)


def test_nobody_pays_for_the_dead(scenario):
    s, _ = fake_sim(scenario, "dead")
    assert np.allclose(build_ledger(s).amounts, 0.0)


@pytest.mark.parametrize("zone,match", [({"II": 0.5}, "sum to 1"), ("VI", "unknown zone")])
def test_bad_zone(scenario, zone, match):
    s, _ = fake_sim(scenario, "employed", zone=zone)
    with pytest.raises(InputError, match=match):
        build_ledger(s)


def test_missing_state_is_named(scenario):
    states = ["work", "aap", "ufore", "other", "dead"]
    s, _ = fake_sim(scenario, "work", states=states)
    with pytest.raises(InputError, match="'employed'"):
        build_ledger(s)
    led = build_ledger(s, wage=120_000, regimes={"employed": "work"})
    assert np.allclose(monthly(led, "gross_wage"), 10_000)


def test_sample_arrays(scenario):
    shares = np.array([0.25, 0.5, 0.75])
    s, values = fake_sim(scenario, "other", n=3, overrides={"ledger.social_assistance_share": shares})
    led = build_ledger(s)
    assert led.amounts.shape[0] == 3
    assert np.allclose(led.flow("social_assistance")[:, 0, 0], 10_000 * shares)
    # a sampled rule (G) goes through the per-sample rule path
    g = np.array([100_000.0, 124_028.0, 150_000.0])
    s, _ = fake_sim(scenario, "aap", n=3, prior_income=0, overrides={"rules.grunnbelop": g})
    assert np.allclose(build_ledger(s).flow("aap")[:, 0, 0], G_MIN_AAP * g / 12)


# --- wages and hours ---------------------------------------------------------------------------

def test_wage_is_hourly_wage_times_hours(scenario):
    """wages.ips_annual_gross_wage is derived (one fact, stated twice only with this check): hourly
    wage x full-time hours x mean hours; and the mean hours are the mix of the work states' hours."""
    v = scenario.parameters
    point = lambda name: float(v[name].value)  # noqa: E731
    assert point("wages.ips_annual_gross_wage") == pytest.approx(
        point("wages.hourly_wage") * point("wages.full_time_hours_per_year") * point("wages.fte_share"))
    share = point("wages.share_hours_over_60")
    mix = share * point("wages.hours_share.employed") + (1 - share) * point("wages.hours_share.employed_aap")
    assert mix == pytest.approx(point("wages.fte_share"), abs=0.01)
    assert point("wages.hours_share.employed") > point("rules.aap.work_threshold") >= point("wages.hours_share.employed_aap")


def test_work_pays_more_than_aap_at_the_modelled_hours(scenario):
    """Issue 14, must reach: net income in work >= net income on AAP, from the rules, for the hours of
    each work state of a model that splits work by benefit (employed above 60 % of full time, employed_aap
    at most 60 %), at the modelled wage, for a recipient on the minimum (age 30, and age 20 granted in 2024)."""
    from ipsecon.money.ledger import ledger_rules, work_annual

    values = scenario.base_values()
    W = values["wages.ips_annual_gross_wage"]
    for age, prior in ((30, 150_000), (20, 0), (30, 350_000)):
        s, _ = fake_sim(scenario, "aap", start_age=age, prior_income=prior)
        rules = ledger_rules(s.scenario, values)
        aap = float(rules.aap(prior, age))
        from ipsecon.money.rules import income_tax
        on_aap = aap - float(income_tax(aap, 0.0, rules).total)
        work = work_annual(values, rules, np.float64(W), np.float64(aap), np.float64(prior), 1, 0,
                           0.141, ["employed", "employed_aap"])
        for regime, a in work.items():
            net = a["gross_wage"] + a.get("aap", 0.0) - a["income_tax"] - a["trygdeavgift"]
            assert float(net) >= on_aap, (regime, age, prior, float(net), on_aap)


# --- the real model ----------------------------------------------------------------------------

def test_every_flow_is_booked_once_between_two_parties(ledger):
    assert len(set(ledger.flows)) == len(ledger.flows)
    for a, b in zip(ledger.payer, ledger.receiver):
        assert a in PARTIES and b in PARTIES and a != b
    needed = {"ips_programme", "usual_vocational_rehabilitation", "aap", "uforetrygd", "social_assistance",
              "gross_wage", "income_tax", "trygdeavgift", "employer_contribution", "health_care"}
    assert needed <= set(ledger.category)


def test_conservation(ledger):
    """Each flow nets to zero across parties, and the parties' nets sum to zero."""
    net = party_net(ledger)
    assert np.allclose(net.sum("party"), 0.0, atol=1e-6)
    # independent bookkeeping: payer loses, receiver gains the same amount, flow by flow
    for f, (a, b) in enumerate(zip(ledger.payer, ledger.receiver)):
        amount = ledger.amounts[..., f]
        per_party = {p: np.zeros_like(amount) for p in PARTIES}
        per_party[a] -= amount
        per_party[b] += amount
        assert np.allclose(sum(per_party.values()), 0.0)
    manual = {p: sum((ledger.amounts[..., f] * ((b == p) - (a == p))
                      for f, (a, b) in enumerate(zip(ledger.payer, ledger.receiver)))) for p in PARTIES}
    for p in PARTIES:
        assert np.allclose(net.sel(party=p).values, manual[p])


def test_public_is_the_sum_of_its_parties(ledger):
    public = perspective_net(ledger, "public")
    parts = sum(perspective_net(ledger, p) for p in ("nav", "health", "municipality", "state"))
    assert np.allclose(public, parts)
    assert set(PARTY_PERSPECTIVES["public"]) == {"nav", "health_trust", "municipality", "state"}


def test_society_transfers_cancel(ledger):
    """Society = production - resources + health value = -(employer + resources) nets + health value."""
    net = party_net(ledger)
    soc = perspective_net(ledger, "society", mcpf=False)
    health = ledger.qalys * ledger.qaly_value
    expected = -(net.sel(party="employer") + net.sel(party="resources")).values + health
    assert np.allclose(soc.values, expected)
    items = perspective_items(ledger, "society", mcpf=False)
    assert not any(c in str(i) for i in items["component"].values for c in ("aap", "uforetrygd", "income_tax", "social"))


def test_mcpf_adds_tax_financing_cost(ledger):
    # R-109/21: on by default (economics.mcpf = 0.2), off with mcpf=False (or --set economics.mcpf=0)
    base = perspective_net(ledger, "society", mcpf=False)
    public = perspective_net(ledger, "public")
    assert np.allclose(perspective_net(ledger, "society") - base, 0.2 * public)
    assert np.allclose(perspective_net(ledger, "society", mcpf=True) - base, 0.2 * public)
    assert np.allclose(perspective_net(ledger, "society", mcpf=0.1) - base, 0.1 * public)


def test_qalys_match_the_trace(sim, ledger):
    assert np.allclose(ledger.qalys.sum(-1), sim.reward_series("qalys", discounted=False).sum(-1))


def test_programme_cost_matches_reward_and_splits_by_payer(sim, ledger):
    total = sum(ledger.flow(f) for f in ("ips_programme_nav", "ips_programme_health_trust", "usual_vocational_rehabilitation"))
    assert np.allclose(total.sum(-1), sim.reward_series("programme_cost", discounted=False).sum(-1))
    assert np.allclose(ledger.flow("ips_programme_nav")[:, 0], 0.0)  # the comparator gets usual care only
    nav, ht = ledger.flow("ips_programme_nav")[:, 1].sum(), ledger.flow("ips_programme_health_trust")[:, 1].sum()
    assert np.isclose(nav / (nav + ht), 0.8)


def test_to_xarray(ledger):
    da = ledger.to_xarray()
    assert da.dims == ("sample", "strategy", "month", "flow")
    assert list(da.strategy.values) == ["tau", "ips"]
    assert da.sel(flow="aap").payer.item() == "nav" and da.sel(flow="aap").receiver.item() == "individual"
    assert da.month.values[0] == 1 and da.sizes["month"] == 60
    assert float(da.groupby("category").sum().sel(category="gross_wage").sum()) == pytest.approx(
        float(ledger.flow("gross_wage").sum()))


def test_truncation_equals_a_shorter_simulation(scenario, ledger):
    short = build_ledger(simulate(scenario, horizon_years=1.5))
    assert np.allclose(ledger.truncated(18).amounts, short.amounts)
    with pytest.raises(InputError):
        ledger.truncated(61)
