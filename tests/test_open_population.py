"""Open populations (issue 15): entrants, uptake and capacity, calendar-year results and budget impact.

Checked against closed forms (a geometric survival sum), hand-worked capacity queues, the closed run
itself (the stock alone), the definitions of the calendar-year measures applied to the trace, and,
for the microsim, the cohort engine within a Monte Carlo bound."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from ipsecon.cli import main
from ipsecon.economics.calendar_years import WORKING_DAYS_PER_YEAR, calendar_years
from ipsecon.engines.open_population import run_open_population, split_users
from ipsecon.engines.simulate import simulate
from ipsecon.errors import InputError
from ipsecon.model.entrants import entry_plan, serve, wait_in_queue
from ipsecon.model.scenario import load_scenario
from ipsecon.money.ledger import build_ledger, perspective_net

SURVIVAL = {  # alive -> dead with probability 0.02 a month: alive k months after entry = 0.98^k
    "cycle_years": 1 / 12,
    "states": {"alive": {}, "dead": {}},
    "transitions": [{"from": "alive", "to": "dead", "probability": 0.02}],
    "strategies": {"none": {}},
}
ILLNESS = {  # healthy <-> sick, both may die; strategy b halves falling ill for users
    "cycle_years": 1 / 12,
    "states": {"healthy": {}, "sick": {}, "dead": {}},
    "transitions": [{"from": "healthy", "to": "sick", "probability": 0.04},
                    {"from": "sick", "to": "healthy", "probability": 0.05},
                    {"from": ["healthy", "sick"], "to": "dead", "probability": 0.01}],
    "strategies": {"a": {}, "b": {"effects": [{"transition": "healthy->sick", "hr": "where(user == 'yes', 0.5, 1.0)"}]}},
}


def write(tmp_path: Path, model: dict, population: dict, programme: dict | None = None, horizon: float = 3,
          individuals: int = 1000, name: str = "open") -> Path:
    doc = {"name": name, "title": "open population test", "description": "test", "model": model,
           "population": {"start_year": 2020, "age": {"value": 40}, **population},
           "run": {"engine": "cohort", "horizon_years": horizon, "individuals": individuals, "base_case": "point"}}
    if programme is not None:
        doc["programme"] = programme
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def person_months(sim):
    """Person-months per state in each cycle, per person of the run (counting at the end of a month)."""
    return sim.trace.over_strata(sim.trace.occupancy[..., 1:, :])


def test_superposition_equals_the_geometric_survival_sum(tmp_path):
    # stock 1000 in January 2020; 120 entrants in 2020 (10 a month), 240 in 2021 (20 a month), none in 2022
    path = write(tmp_path, SURVIVAL, {"size": 1000, "start_state": {"alive": 1.0},
                                      "entrants": {"per_year": {2020: 120, 2021: 240}, "last_year": 2021}})
    sc = load_scenario(path)
    pop = run_open_population(simulate(sc))
    alive = pop.calendar(person_months)[0, 0, :, 0]
    q, M = 0.98, 36
    monthly = np.array([10.0] * 12 + [20.0] * 12 + [0.0] * 12)
    # alive at the end of calendar month m: the stock q^(m+1) + each month c's entrants q^(m-c+1)
    expected = np.array([1000 * q ** (m + 1) + sum(monthly[c] * q ** (m - c + 1) for c in range(m + 1)) for m in range(M)])
    np.testing.assert_allclose(alive, expected, rtol=1e-12)
    assert [c.label for c in pop.cohorts] == ["stock", "2020", "2021"]  # 2020's entrants share the stock's run


def test_entrants_with_their_own_ages_and_shares(tmp_path):
    # death 3 % a month at 30 or older, 1 % below: the stock is 40, the entrants 20 (under 30 for the 3 years),
    # and all of them level 'f' of an attribute the model does not read (the shares change, the sums do not)
    model = {**SURVIVAL, "transitions": [{"from": "alive", "to": "dead", "probability": "where(age < 30, 0.01, 0.03)"}]}
    path = write(tmp_path, model, {"size": 1000, "start_state": {"alive": 1.0}, "attributes": {"sex": {"f": 0.5, "m": 0.5}},
                                   "entrants": {"per_year": 120, "age": {"value": 20}, "attributes": {"sex": {"f": 1.0}}}})
    sc = load_scenario(path)
    pop = run_open_population(simulate(sc))
    assert pop.cohorts[1].simulation.scenario.strata.columns["start_age"].tolist() == [20.0]  # not the stock's run
    alive = pop.calendar(person_months)[0, 0, :, 0]
    expected = [1000 * 0.97 ** (m + 1) + sum(10 * 0.99 ** (m - c + 1) for c in range(m + 1)) for m in range(36)]
    np.testing.assert_allclose(alive, expected, rtol=1e-12)


def test_the_stock_alone_is_the_closed_run_bit_for_bit(tmp_path):
    path = write(tmp_path, SURVIVAL, {"size": 700, "start_state": {"alive": 1.0}, "entrants": {"per_year": 0}})
    sc = load_scenario(path)
    sim = simulate(sc)
    pop = run_open_population(sim)
    assert pop.cohorts[1].simulation is sim  # the closed run itself, not a rerun
    np.testing.assert_array_equal(pop.calendar(person_months), 700.0 * person_months(sim))


def test_users_and_non_users_recombine_to_the_closed_run(tmp_path):
    path = write(tmp_path, ILLNESS, {"size": 500, "start_state": {"healthy": 1.0}, "attributes": {"user": {"yes": 0.3, "no": 0.7}},
                                     "entrants": {"per_year": 0}},
                 {"user_attribute": "user", "start_year": 2020, "uptake": 0.3})
    sim = simulate(load_scenario(path))
    pop = run_open_population(sim)
    np.testing.assert_allclose(pop.calendar(person_months), 500.0 * person_months(sim), rtol=1e-12, atol=1e-12)
    users = person_months(split_users(sim, sim.scenario.spec.programme, True))
    others = person_months(split_users(sim, sim.scenario.spec.programme, False))
    # only users get b's effect: their sick months differ between strategies, the others' do not
    assert abs(users[0, 1, -1, 1] - users[0, 0, -1, 1]) > 0.01
    np.testing.assert_allclose(others[0, 1], others[0, 0], rtol=1e-12)


def test_capacity_queue_by_hand():
    # 60 places (3 posts x 20), each start holds one for 12 months, 10 wanted a month: 6 months fill the
    # places, 6 months nobody starts, then the first clients leave and 10 a month start again
    starts = serve(np.full((1, 36), 10.0), np.array([60.0]), np.array([12.0]))
    np.testing.assert_array_equal(starts[0], ([10.0] * 6 + [0.0] * 6) * 3)
    # 40 % turnover, posts empty 3 months: 60 x (1 - 0.4 x 3 / 12) = 54 places -> 10,10,10,10,10,4 then 6 x 0
    starts = serve(np.full((1, 36), 10.0), np.array([54.0]), np.array([12.0]))
    np.testing.assert_array_equal(starts[0], ([10.0] * 5 + [4.0] + [0.0] * 6) * 3)


def test_waiting_list_first_come_first_served_by_hand():
    # 60 places held 12 months, 10 join a month: 6 months fill the places, nobody starts for 6 months and the
    # list grows by 10 a month; the places freed in months 12-17 go to the joiners of months 6-11 (6 months
    # waited), those of 24-29 to the joiners of 12-17 (12 months): 5 a month start, 10 join, the list grows
    q = wait_in_queue(np.full((1, 36), 10.0), np.array([60.0]), np.array([12.0]))
    np.testing.assert_array_equal(q.starts[0], ([10.0] * 6 + [0.0] * 6) * 3)
    ramp = [10.0, 20, 30, 40, 50, 60]
    np.testing.assert_array_equal(q.waiting()[0], [0.0] * 6 + ramp + [60.0] * 6 + [60.0 + r for r in ramp]
                                  + [120.0] * 6 + [120.0 + r for r in ramp])
    np.testing.assert_array_equal(q.mean_wait()[0, :6], 0.0)
    np.testing.assert_array_equal(q.mean_wait()[0, 12:18], 6.0)
    np.testing.assert_array_equal(q.mean_wait()[0, 24:30], 12.0)
    assert q.by_wait()[0, 8, 6] == 10.0 and q.by_wait()[0, 8].sum() == 10.0 and q.by_wait()[0, 14, 12] == 10.0
    # 54 places: 10,10,10,10,10,4 start; in month 12 the 10 freed go to the 6 left of month 5 (7 months)
    # and 4 of month 6 (6 months): mean (6 x 7 + 4 x 6) / 10 = 6.6
    q = wait_in_queue(np.full((1, 36), 10.0), np.array([54.0]), np.array([12.0]))
    np.testing.assert_array_equal(q.starts[0, :6], [10.0] * 5 + [4.0])
    assert q.served[0, 5, 12] == 6.0 and q.served[0, 6, 12] == 4.0
    np.testing.assert_allclose(q.mean_wait()[0, 12], 6.6, rtol=1e-12)
    # nobody is lost: joined = started + still waiting + gone
    np.testing.assert_allclose(q.starts.sum() + q.waiting()[0, -1] + q.left.sum(), 360.0, rtol=1e-12)


def test_waiting_list_with_a_maximum_wait():
    wanted = np.full((1, 36), 10.0)
    # max wait 0 is today's capacity without a queue
    for places in (60.0, 54.0):
        q = wait_in_queue(wanted, np.array([places]), np.array([12.0]), max_wait=0)
        np.testing.assert_array_equal(q.starts, serve(wanted, np.array([places]), np.array([12.0])))
    # max wait 3: the joiners of month 6 give up in month 10 (4 months waited), of month 7 in 11, ...;
    # in month 12 the freed places go to month 9's joiners (3 months), and the list holds 3 months of joiners
    q = wait_in_queue(wanted, np.array([60.0]), np.array([12.0]), max_wait=3)
    np.testing.assert_array_equal(q.left[0, :10], 0.0)
    np.testing.assert_array_equal(q.left[0, 10:12], 10.0)
    assert q.served[0, 9, 12] == 10.0 and q.mean_wait()[0, 12] == 3.0 and q.waiting()[0, 12] == 30.0
    # without capacity nobody waits
    q = wait_in_queue(wanted, np.array([np.inf]), None)
    np.testing.assert_array_equal(q.starts, wanted)
    assert q.waiting().max() == 0.0


def _ips_with_delay(scenario, months: int | None):
    """The scenario's IPS model with ips_start_delay_years set to a wait of ``months`` (None: the model as
    it was before the delay existed: no start, the support window and effects from entry)."""
    from dataclasses import replace

    from ipsecon.model.scenario import replace_variables
    from ipsecon.model.state_machine import CompiledModel

    spec = scenario.model.spec
    if months is None:
        ips = spec.strategies["ips"]
        effects = [e.model_copy(update={"start": 0.0, "decay_start": "support_years", "end": "effect_end"})
                   for e in ips.effects]
        sets = {**ips.set, "ips_programme_cost": "where(in_support, is_user * ips_cost_month, 0)"}
        spec = spec.model_copy(update={"strategies": {**spec.strategies, "ips": ips.model_copy(
            update={"effects": effects, "set": sets})}})
    else:
        spec = replace_variables(spec, {"ips_start_delay_years": months * scenario.model.cycle_years}, "t", "t")
    model = CompiledModel(spec, scenario.model.file)
    model.discount_rate = scenario.model.discount_rate
    return replace(scenario, model=model)


def test_a_wait_starts_ips_cost_and_effect_exactly_that_many_months_later(root):
    bodo = load_scenario(root / "scenarios/bodo.yaml")
    # no wait: bit for bit the model without the delay
    now, before = (simulate(_ips_with_delay(bodo, m), horizon_years=3) for m in (0, None))
    np.testing.assert_array_equal(now.trace.occupancy, before.trace.occupancy)
    for k in before.trace.reward_states:
        np.testing.assert_array_equal(now.trace.reward_states[k], before.trace.reward_states[k])
    support = round(bodo.base_values()["ips.cost.support_months"])
    for w in (2, 7):  # 2: where 20 × (1/12) < 2 × (1/12) + 1.5 in floating point
        run = simulate(_ips_with_delay(bodo, w), horizon_years=3)
        # IPS's own cost per person alive: 0 for w months, then support months of it, then 0 again
        tr = run.trace
        cost = tr.over_strata(tr.reward_states["programme_cost"]).sum(-1)[0]  # [strategy, month]
        alive = tr.over_strata(tr.occupancy[..., :-1, :-1]).sum(-1)[0, 0]
        months = np.nonzero((cost[1] - cost[0]) / alive > 1e-6)[0]
        np.testing.assert_array_equal(months, np.arange(w, w + support))
        # the effect: both strategies alike up to the start of month w, apart from then on
        occ = tr.occupancy
        np.testing.assert_array_equal(occ[:, 1, :, :w + 1], occ[:, 0, :, :w + 1])
        assert np.abs(occ[:, 1, :, w + 1] - occ[:, 0, :, w + 1]).max() > 1e-9


def test_entry_plan_caps_uptake_and_serves_stock_and_entrants_alike(tmp_path):
    capacity = {"specialists": 3, "caseload": 20, "support_months": 12, "turnover": 0.4, "refill_months": 3}
    path = write(tmp_path, ILLNESS, {"size": 100, "start_state": {"healthy": 1.0},
                                     "attributes": {"user": {"yes": "0.5", "no": "0.5"}},
                                     "entrants": {"per_year": 240}},
                 {"user_attribute": "user", "start_year": 2020, "uptake": {2020: 0.25, 2021: 0.5}, "capacity": capacity})
    plan = entry_plan(load_scenario(path), load_scenario(path).base_values(), 36)
    assert plan.places[0, 0] == pytest.approx(54.0)
    # month 0: stock 100 x 0.5 + 20 entrants x 0.25 = 55 wanted, 54 places: each served with chance 54/55
    assert plan.wanted[0, 0] == pytest.approx(55.0)
    assert plan.stock_users[0] == pytest.approx(50 * 54 / 55)
    assert plan.entrant_users[0, 0] == pytest.approx(5 * 54 / 55)
    # 2021: uptake 0.5 of 20 a month = 10 wanted (the ramp-up); 2022 carries 2021's share forward
    np.testing.assert_allclose(plan.wanted[0, 12:], 10.0)
    assert (plan.starts <= plan.wanted + 1e-12).all()
    held = [plan.starts[0, max(0, m - 11):m + 1].sum() for m in range(36)]
    assert max(held) <= 54.0 + 1e-9


def test_those_waiting_for_a_place_start_the_effect_after_their_wait(tmp_path):
    # 100 users want the programme in January, 60 places held 12 months: 60 start at once, 40 wait 12 months
    # (first come first served), then start. Strategy b's effect starts at the model's delay variable.
    model = {**ILLNESS, "variables": {"delay": 0},
             "strategies": {"a": {}, "b": {"effects": [{"transition": "healthy->sick", "hr": "where(user == 'yes', 0.5, 1.0)",
                                                         "start": "delay - where(delay > 0, 0.5 / 12, 0)"}]}}}
    pop = {"size": 100, "start_state": {"healthy": 1.0}, "attributes": {"user": {"yes": "1.0", "no": "0.0"}},
           "entrants": {"per_year": 0}}
    capacity = {"specialists": 3, "caseload": 20, "support_months": 12, "queue": True}
    path = write(tmp_path, model, pop, {"user_attribute": "user", "start_year": 2020, "uptake": 1.0,
                                        "capacity": capacity, "delay_variable": "delay"}, horizon=2)
    sc = load_scenario(path)
    plan = entry_plan(sc, sc.base_values(), 24)
    np.testing.assert_allclose(plan.starts[0], [60.0] + [0.0] * 11 + [40.0] + [0.0] * 11)
    assert plan.stock_users[0] == pytest.approx(100.0)  # all start in the end
    np.testing.assert_allclose(plan.wait_split()[0, 0, [0, 12]], [0.6, 0.4])
    pop_run = run_open_population(simulate(sc))
    open_sick = pop_run.calendar(lambda sim: person_months(sim))[0, :, :, 1]  # [strategy, month]
    # the closed run of 100 users without capacity: everyone's effect from January
    closed = write(tmp_path, model, {k: v for k, v in pop.items() if k != "entrants"}, horizon=2, name="closed")
    sick = person_months(simulate(load_scenario(closed)))[0, :, :, 1] * 100  # [strategy, month]
    # until the 40 start, b differs from a by the 60's effect alone; a (no effect) is the closed run's a
    np.testing.assert_allclose(open_sick[0], sick[0], rtol=1e-12)
    # (counted at the end of each month: months 0-11)
    np.testing.assert_allclose(open_sick[1, :12] - open_sick[0, :12], 0.6 * (sick[1, :12] - sick[0, :12]), rtol=1e-10, atol=1e-12)
    # from month 12 the 40 add an effect of their own: b's sick months fall below the 60's share
    assert (open_sick[1, 12:] - open_sick[0, 12:] < 0.6 * (sick[1, 12:] - sick[0, 12:]) - 1e-9).all()
    # a queue that nobody may wait in (max_wait_months 0) is capacity without a queue: 40 get usual care
    capacity["max_wait_months"] = 0
    path = write(tmp_path, model, pop, {"user_attribute": "user", "start_year": 2020, "uptake": 1.0,
                                        "capacity": capacity, "delay_variable": "delay"}, horizon=2, name="nowait")
    sc = load_scenario(path)
    assert entry_plan(sc, sc.base_values(), 24).stock_users[0] == pytest.approx(60.0)


def test_calendar_measures_follow_their_definitions_on_bodo(root, tmp_path):
    data = yaml.safe_load((root / "scenarios/bodo.yaml").read_text())
    data["model"] = str(root / "scenarios/models/ips.yaml")
    data["parameter_dirs"] = [str(root / "parameters")]
    data["population"]["entrants"]["per_year"] = 0  # the stock alone: the closed run x 561
    data["run"]["horizon_years"] = 2
    path = tmp_path / "bodo_stock.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    sc = load_scenario(path)
    values = sc.base_values()
    sim = simulate(sc)
    ds = calendar_years(sim)
    N = data["population"]["size"]  # the stock: 561
    ledger = build_ledger(sim)
    for b, persp in (("nav", "nav"), ("public", "public")):
        monthly = perspective_net(ledger, persp).values[0]  # [strategy, month] per person
        expected = N * monthly.reshape(2, 2, 12).sum(-1)
        np.testing.assert_allclose(ds.calendar_budget_net.sel(budget=b).values[0], expected, rtol=1e-9)
    occ = person_months(sim)[0]  # [strategy, month, state] per person
    states = list(sim.trace.states)
    alive = occ[..., [states.index(s) for s in states if s != "dead"]].sum(-1)
    work = {s: occ[..., states.index(s)] for s in ("employed", "employed_aap", "employed_ufore")}
    days = sum(work[s] * values[f"wages.hours_share.{s}"] for s in work) * WORKING_DAYS_PER_YEAR / 12
    for y in range(2):
        window = slice(12 * y, 12 * y + 12)
        person_years = alive[:, window].sum(-1) / 12
        np.testing.assert_allclose(ds.calendar_persons.values[0, :, y], N * person_years, rtol=1e-9)
        np.testing.assert_allclose(ds.calendar_working_days.values[0, :, y], days[:, window].sum(-1) / person_years, rtol=1e-9)
        aap = occ[:, window][..., [states.index("aap"), states.index("employed_aap")]].sum((-1, -2))
        np.testing.assert_allclose(ds.calendar_aap_months.values[0, :, y], aap / person_years, rtol=1e-9)
    # budget impact is the strategy's net minus usual care's; usual care's is 0
    impact = ds.calendar_budget_impact.sel(strategy="ips")
    np.testing.assert_allclose(impact, ds.calendar_budget_net.sel(strategy="ips") - ds.calendar_budget_net.sel(strategy="tau"))


def _mc_variance_bound(pop, programme, n_years: int) -> np.ndarray:
    """Per calendar year, a bound on the variance of the microsim's person-months in a state (or alive): each
    person's months within a year are in [0, 12], so a subgroup of n people whose run counts with total weight A
    (persons x share over its entry months) adds at most (12 A)^2 / (4 n); runs are independent."""
    var = np.zeros(n_years)
    for c in pop.cohorts:
        sim = c.simulation
        wu = split_users(sim, programme, True).trace.weights[0]
        wn = split_users(sim, programme, False).trace.weights[0]
        mix = c.persons[0][:, None] * (c.user_share[0][:, None] * wu + (1 - c.user_share[0][:, None]) * wn)  # [j, g]
        drawn = sim.trace.counts > 0
        for y in range(n_years):
            A = mix[[j for j in range(mix.shape[0]) if c.offset + j < 12 * (y + 1)]].sum(0)
            var[y] += np.sum((12 * A[drawn]) ** 2 / (4 * sim.trace.counts[drawn]))
    return var


def test_microsim_agrees_with_cohort_on_an_open_population(tmp_path):
    path = write(tmp_path, ILLNESS, {"size": 400, "start_state": {"healthy": 1.0}, "attributes": {"user": {"yes": 0.5, "no": 0.5}},
                                     "entrants": {"per_year": {2020: 240, 2021: 120, 2022: 360}}},
                 {"user_attribute": "user", "start_year": 2020, "uptake": {2020: 0.2, 2021: 0.8}}, individuals=20000)
    sc = load_scenario(path)
    cohort = run_open_population(simulate(sc))
    micro = run_open_population(simulate(sc, engine="microsim", seed=11))
    assert [c.simulation.seed for c in micro.cohorts] == [11, 11, 13, 14]  # a stream per entry year (seed + years after the start + 1)
    exact = cohort.calendar(person_months)[0].reshape(2, 3, 12, 3).sum(2)  # [strategy, year, state]
    got = micro.calendar(person_months)[0].reshape(2, 3, 12, 3).sum(2)
    bound = 4 * np.sqrt(_mc_variance_bound(micro, sc.spec.programme, 3))[None, :, None]
    assert (np.abs(got - exact) <= bound).all(), (np.abs(got - exact) / bound).max()
    assert (bound / exact[..., :2].max() < 0.05).all()  # the bound is tight enough to catch a wrong weight


@pytest.mark.parametrize("change, path_part", [
    (lambda d: d["programme"].update(uptake=1.5), "programme.uptake"),
    (lambda d: d["population"].pop("entrants"), "programme"),
    (lambda d: d["population"]["entrants"].update(per_year={2019: 10}), "population.entrants.per_year.2019"),
    (lambda d: d["programme"].update(user_attribute="sex"), "programme.user_attribute"),
    (lambda d: d["population"]["attributes"].update(user={"no": 1.0}), "population.attributes.user"),
    (lambda d: d["population"]["entrants"].update(attributes={"colour": {"red": 1.0}}), "population.entrants.attributes.colour"),
    (lambda d: d["model"].update(cycle_years=1.0), "population.entrants"),
    (lambda d: d["population"]["entrants"].update(attributes={"user": {"yes": 1.0}}), "population.entrants.attributes.user"),
    (lambda d: d["programme"].update(capacity={"specialists": 2, "caseload": 20, "support_months": 12,
                                                "turnover": 6, "refill_months": 3}), "programme.capacity"),
    (lambda d: d["programme"].update(capacity={"specialists": 2, "caseload": 20, "support_months": 12, "queue": True}),
     "programme.delay_variable"),
])
def test_bad_open_population_input_is_one_line_and_exit_2(tmp_path, change, path_part):
    path = write(tmp_path, ILLNESS, {"size": 100, "start_state": {"healthy": 1.0}, "attributes": {"user": {"yes": 0.5, "no": 0.5}},
                                     "entrants": {"per_year": 12}},
                 {"user_attribute": "user", "start_year": 2020, "uptake": 0.5})
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert path_part in str(err.value)
    run = CliRunner().invoke(main, ["validate", str(path)])
    assert run.exit_code == 2 and path_part in run.output and len(run.output.strip().splitlines()) == 1, run.output


def test_simulate_prints_writes_and_reports_the_calendar_years(root, tmp_path):
    out = tmp_path / "bodo"
    r = CliRunner().invoke(main, ["simulate", str(root / "scenarios/bodo.yaml"), "--horizon", "2", "--no-structures",
                                  "--out", str(out), "--no-report", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "By calendar year" in r.output and "Budget impact of ips vs tau per calendar year" in r.output
    import pandas as pd
    import xarray as xr

    table = pd.read_csv(out / "calendar.csv")
    assert sorted(table.year.unique()) == [2015, 2016] and set(table.strategy) == {"tau", "ips"}
    with xr.open_dataset(out / "results.nc") as ds:
        # 2015's 179 entrants (the mean of ips.bodo.entrants_per_year); 561 x 0.0855 of the stock and 17.1 % of
        # the entrants start IPS (the arithmetic of scenarios/bodo.yaml)
        np.testing.assert_allclose(ds.calendar_entrants.values[0], [179, 179])
        assert ds.calendar_programme_starts.values[0, 0] == pytest.approx(561 * 0.0855 + 179 * 0.171, rel=1e-9)
        assert all(ds[v].attrs.get("units") for v in ds.variables if str(v).startswith("calendar_"))
    from ipsecon.output.report.calendar_section import calendar_section
    from ipsecon.output.report.folder import read_inputs
    from ipsecon.output.report.i18n import language

    inp = read_inputs(out)
    for lang, title in (("en", "By calendar year"), ("nb", "År for år")):
        with language(lang):
            section = calendar_section(inp)
            text = " ".join(str(getattr(b, "text", "")) + " ".join(map(str, getattr(getattr(b, "frame", None), "columns", [])))
                            for b in section.blocks)
            figure = section.blocks[-1].make()
            labels = " ".join(t.get_text() for t in figure.findobj(match=lambda o: hasattr(o, "get_text")))
        assert section.title.startswith(title)
        if lang == "nb":  # no English fixed text in the Norwegian section or figure
            assert not [e for e in ("person-years", "working days", "Budget impact", "million NOK", "public purse")
                        if e in text + labels]


def _in_work(sim, users: bool):
    """Share in work of the run's programme users (or non-users) at the end of each month [strategy, month]."""
    part = split_users(sim, sim.scenario.spec.programme, users)
    states = list(sim.trace.states)
    work = [states.index(s) for s in ("employed", "employed_aap", "employed_ufore")]
    return person_months(part)[0][..., work].sum(-1)


def test_maturity_scales_the_effect_by_programme_year_and_spillover_reaches_non_users(root):
    from ipsecon.engines.open_population import cohort_scenario

    bodo = root / "scenarios/bodo.yaml"
    young = load_scenario(bodo, overrides={"ips.maturity.first_year_share": 0.0, "ips.maturity.years_to_full": 3})
    # programme year 0 with no maturity yet: hr ** 0 = 1, the users' work is usual care's exactly
    stock = simulate(young, horizon_years=1)
    np.testing.assert_array_equal(_in_work(stock, True)[1], _in_work(stock, True)[0])
    # entrants of 2018 (programme year 3 = years_to_full) get the whole trial effect: the run equals one without maturity
    mature = simulate(cohort_scenario(young, 2018), horizon_years=1)
    plain = simulate(cohort_scenario(load_scenario(bodo), 2018), horizon_years=1)
    np.testing.assert_array_equal(mature.trace.occupancy, plain.trace.occupancy)
    # spillover: off by default (non-users as in usual care), a hazard ratio above 1 lifts non-users' work
    base = _in_work(plain, False)
    np.testing.assert_array_equal(base[1], base[0])
    lifted = _in_work(simulate(cohort_scenario(load_scenario(bodo, overrides={"ips.spillover.hr_entry": 1.2}), 2018),
                               horizon_years=1), False)
    assert (lifted[1, 1:] > lifted[0, 1:]).all() and np.array_equal(lifted[0], base[0])


def test_psa_draws_entrants_and_uptake_and_gives_each_sample_its_budgets(root):
    import ipsecon

    ds = ipsecon.psa(load_scenario(root / "scenarios/bodo.yaml"), samples=2, horizons=[1], quiet=True, calendar_years=True)
    drawn = {p: ds.parameters.sel(parameter=p).values for p in ("ips.bodo.entrants_per_year", "ips.bodo.entrant_uptake")}
    assert len(set(drawn["ips.bodo.entrants_per_year"])) == 2  # uncertain: a value per sample
    np.testing.assert_allclose(ds.calendar_entrants.values[:, 0], drawn["ips.bodo.entrants_per_year"])
    # 2015's starts: the stock's users (561 x 0.0855) and each sample's entrants x its uptake
    expected = drawn["ips.bodo.entrants_per_year"] * drawn["ips.bodo.entrant_uptake"] + 561 * 0.0855
    np.testing.assert_allclose(ds.calendar_programme_starts.values[:, 0], expected, rtol=1e-12)
    impact = ds.calendar_budget_impact.sel(strategy="ips", budget="public").values
    assert np.isfinite(impact).all() and impact[0, 0] != impact[1, 0]


def test_batched_entry_years_equal_their_separate_runs(tmp_path):
    from ipsecon.engines.open_population import batched_entry_years, cohort_scenario

    model = {**ILLNESS, "variables": {"p_sick": "where(year >= 2022, 0.06, 0.04) + 0.001 * (start_year - 2020)",
                                      "programme_years": 0, "hr": "0.5 ** min(1, (1 + programme_years) / 3)"},
             "transitions": [{"from": "healthy", "to": "sick", "probability": "p_sick"}] + ILLNESS["transitions"][1:],
             "strategies": {"a": {}, "b": {"effects": [{"transition": "healthy->sick", "hr": "where(user == 'yes', hr, 1.0)"}]}}}
    path = write(tmp_path, model, {"size": 100, "start_state": {"healthy": 1.0}, "attributes": {"user": {"yes": 0.5, "no": 0.5}},
                                   "entrants": {"per_year": 12}},
                 {"user_attribute": "user", "start_year": 2020, "uptake": 0.5, "years_variable": "programme_years"}, horizon=5)
    sc = load_scenario(path)
    batched = batched_entry_years(sc, [2021, 2022, 2023], 60, sc.base_values())
    for year, sim in batched.items():
        alone = simulate(cohort_scenario(sc, year), horizon_years=(60 - 12 * (year - 2020)) / 12)
        T = alone.trace.occupancy.shape[3]
        np.testing.assert_allclose(sim.trace.occupancy[..., :T, :], alone.trace.occupancy, rtol=0, atol=1e-14)
        assert sim.scenario.spec.population.start_year == year
    # the calendar years differ between entry years (the test would pass trivially otherwise)
    assert np.abs(batched[2021].trace.occupancy[..., 12, :] - batched[2023].trace.occupancy[..., 12, :]).max() > 1e-3


def test_microsim_draws_users_and_non_users_even_where_a_group_only_capacity_creates(tmp_path):
    # everyone wants the programme (the non-users' share is 0) but 20 places leave most without one
    capacity = {"specialists": 1, "caseload": 20, "support_months": 12}
    path = write(tmp_path, ILLNESS, {"size": 100, "start_state": {"healthy": 1.0},
                                     "attributes": {"user": {"yes": "1.0", "no": "0.0"}}, "entrants": {"per_year": 60}},
                 {"user_attribute": "user", "start_year": 2020, "uptake": 1.0, "capacity": capacity}, horizon=2,
                 individuals=4000)
    sc = load_scenario(path)
    exact = run_open_population(simulate(sc)).calendar(person_months)[0].reshape(2, 2, 12, 3).sum(2)  # [strategy, year, state]
    micro = run_open_population(simulate(sc, engine="microsim", seed=5))
    for c in micro.cohorts:  # both groups drawn (about half each), though the population's non-user share is 0
        users = c.simulation.scenario.strata.columns["user"] == "yes"
        assert c.simulation.trace.counts[users].sum() > 1500 and c.simulation.trace.counts[~users].sum() > 1500
    got = micro.calendar(person_months)[0].reshape(2, 2, 12, 3).sum(2)
    bound = 4 * np.sqrt(_mc_variance_bound(micro, sc.spec.programme, 2))
    # nobody lost (alive person-months) and each state within the Monte Carlo bound
    assert (np.abs(got[..., :2].sum(-1) - exact[..., :2].sum(-1)) <= bound[None]).all()
    assert (np.abs(got - exact) <= bound[None, :, None]).all()


# entrants as a table: death 1 % a month under 30, 3 % from 30, 2 points more for men; 5 % when sick (no recovery)
BY_AGE_SEX = {
    "cycle_years": 1 / 12,
    "states": {"alive": {}, "sick": {}, "dead": {}},
    "transitions": [{"from": "alive", "to": "dead", "probability": "where(age < 30, 0.01, 0.03) + where(sex == 'm', 0.02, 0)"},
                    {"from": "sick", "to": "dead", "probability": 0.05}],
    "strategies": {"none": {}},
}
TABLE_CSV = Path(__file__).parent / "data" / "entrants_table.csv"


def _table_scenario(tmp_path, table, name="table"):
    return write(tmp_path, BY_AGE_SEX, {"size": 100, "start_state": {"alive": 1.0}, "attributes": {"sex": {"f": 0.5, "m": 0.5}},
                                        "entrants": {"table": table}}, name=name)


def test_an_entrant_table_gives_each_entry_year_its_own_ages_sexes_and_start_states(tmp_path):
    # tests/data/entrants_table.csv: 2020: 120 women aged 20-21 and 60 men of 50 (a joint table: no men of 20 or
    # women of 50, which the product of its margins would have); 2021: 120 men of 25, 240 sick women of 50.
    # Each row is a closed cohort entering count/12 a month over its year, surviving (1 - p) a month.
    rows = [(0, 120, 0.99), (0, 60, 0.95), (12, 120, 0.97), (12, 240, 0.95)]  # (first month, count, monthly survival)
    stock = lambda m: 50 * 0.97 ** (m + 1) + 50 * 0.95 ** (m + 1)  # women and men of 40
    expected = np.array([stock(m) + sum(n / 12 * q ** (m - c + 1) for first, n, q in rows
                                        for c in range(first, min(first + 12, m + 1))) for m in range(36)])
    for table in (str(TABLE_CSV), [{"year": 2020, "age": "20-21", "sex": "f", "state": "alive", "count": 120},
                                   {"year": 2020, "age": 50, "sex": "m", "state": "alive", "count": 60},
                                   {"year": 2021, "age": 25, "sex": "m", "state": "alive", "count": 120},
                                   {"year": 2021, "age": "50", "sex": "f", "state": "sick", "count": 240}]):
        sc = load_scenario(_table_scenario(tmp_path, table))
        pop = run_open_population(simulate(sc))
        assert [c.label for c in pop.cohorts] == ["stock", "2020", "2021"]
        np.testing.assert_allclose(pop.plan.entrants[0], [15.0] * 12 + [30.0] * 12 + [0.0] * 12, rtol=1e-12)
        pm = pop.calendar(person_months)[0, 0]  # [month, state]
        np.testing.assert_allclose(pm[:, :2].sum(-1), expected, rtol=1e-12)
        # the sick are 2021's women alone: 240/12 a month from January 2021
        sick = [sum(20 * 0.95 ** (m - c + 1) for c in range(12, min(24, m + 1))) for m in range(36)]
        np.testing.assert_allclose(pm[:, 1], sick, rtol=1e-12, atol=1e-12)
        # the 2020 cohort: two subgroups per year of age... only the table's combinations, weighted by it
        strata = pop.cohorts[1].simulation.scenario.strata
        got = sorted(zip(strata.columns["start_age"].tolist(), strata.columns["sex"].tolist(), strata.weight.round(12)))
        assert got == [(20.0, "f", round(60 / 180, 12)), (21.0, "f", round(60 / 180, 12)), (50.0, "m", round(60 / 180, 12))]


def test_an_entrant_table_leaves_the_closed_run_as_it_was(tmp_path):
    # a table with nobody entering: the stock's run untouched, bit for bit
    sc = load_scenario(_table_scenario(tmp_path, [{"year": 2021, "age": 30, "sex": "f", "count": 0}]))
    sim = simulate(sc)
    closed = write(tmp_path, BY_AGE_SEX, {"size": 100, "start_state": {"alive": 1.0}, "attributes": {"sex": {"f": 0.5, "m": 0.5}}},
                   name="closed")
    np.testing.assert_array_equal(sim.trace.occupancy, simulate(load_scenario(closed)).trace.occupancy)
    pop = run_open_population(sim)
    np.testing.assert_array_equal(pop.calendar(person_months), 100.0 * person_months(sim))


@pytest.mark.parametrize("rows, path_part", [
    ([{"year": 2021, "age": 30, "sex": "f", "count": 5}, {"year": 2020, "age": 30, "sex": "f", "count": 5}], "table.1.year"),
    ([{"year": 2021, "age": 30, "sex": "f", "count": -5}], "table.0.count"),
    ([{"year": 2021, "age": 30, "sex": "f", "count": float("nan")}], "table.0.count"),
    ([{"year": 2021, "age": 30, "sex": "x", "count": 5}], "table.0.sex"),
    ([{"year": 2021, "age": 30, "sex": "f", "state": "asleep", "count": 5}], "table.0.state"),
    ([{"year": 2021, "age": "30-200", "sex": "f", "count": 5}], "table.0.age"),
    ([{"year": 2019, "age": 30, "sex": "f", "count": 5}], "table.0.year"),
    ([{"year": 2021, "age": 30, "colour": "red", "count": 5}], "table.0.colour"),
    ([{"year": 2021, "sex": "f", "count": 5}], "table.0"),
    ("no_such_file.csv", "population.entrants.table"),
])
def test_bad_entrant_tables_are_one_line_and_exit_2(tmp_path, rows, path_part):
    path = _table_scenario(tmp_path, rows)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert path_part in str(err.value)
    run = CliRunner().invoke(main, ["validate", str(path)])
    assert run.exit_code == 2 and path_part in run.output and len(run.output.strip().splitlines()) == 1, run.output


def test_a_bad_row_of_an_entrant_csv_names_the_file_and_line(tmp_path):
    csv = tmp_path / "entrants.csv"
    csv.write_text("year,age,sex,count\n2020,30,f,10\n2021,30,f,lots\n")
    with pytest.raises(InputError) as err:
        load_scenario(_table_scenario(tmp_path, str(csv)))
    assert "entrants.csv" in str(err.value) and "line 3.count" in str(err.value)
    csv.write_text("year,age,sex,count\n2020,30,f,10,7\n")  # a cell beyond the header: one line, not a traceback
    with pytest.raises(InputError) as err:
        load_scenario(_table_scenario(tmp_path, str(csv)))
    assert "entrants.csv" in str(err.value) and "line 2" in str(err.value) and "'7'" in str(err.value)
    csv.write_text("year,age,sex,count\n\n2020,30,f,10\n\n2021,30,f,lots\n")  # blank lines: the file's own line
    with pytest.raises(InputError) as err:
        load_scenario(_table_scenario(tmp_path, str(csv)))
    assert "line 5.count" in str(err.value)
    csv.write_text("year,age,sex,count,\n2020,30,f,10,\n")  # a trailing comma: no unnamed column
    assert load_scenario(_table_scenario(tmp_path, str(csv))).spec.population.entrants.table == str(csv)


def test_microsim_agrees_with_cohort_on_an_entrant_table_with_a_programme(tmp_path):
    model = {**ILLNESS, "transitions": ILLNESS["transitions"][:2] + [
        {"from": ["healthy", "sick"], "to": "dead", "probability": "where(age < 30, 0.01, 0.03) + where(sex == 'm', 0.02, 0)"}]}
    table = [{"year": 2020, "age": "20-21", "sex": "f", "state": "healthy", "count": 120}, {"year": 2020, "age": 50, "sex": "m", "state": "sick", "count": 60},
             {"year": 2021, "age": 25, "sex": "m", "state": "healthy", "count": 240}]
    path = write(tmp_path, model, {"size": 400, "start_state": {"healthy": 1.0},
                                   "attributes": {"user": {"yes": 0.5, "no": 0.5}, "sex": {"f": 0.5, "m": 0.5}},
                                   "entrants": {"table": table}},
                 {"user_attribute": "user", "start_year": 2020, "uptake": 0.5}, individuals=20000)
    sc = load_scenario(path)
    cohort = run_open_population(simulate(sc))
    micro = run_open_population(simulate(sc, engine="microsim", seed=5))
    exact = cohort.calendar(person_months)[0].reshape(2, 3, 12, 3).sum(2)  # [strategy, year, state]
    got = micro.calendar(person_months)[0].reshape(2, 3, 12, 3).sum(2)
    bound = 4 * np.sqrt(_mc_variance_bound(micro, sc.spec.programme, 3))[None, :, None]
    assert (np.abs(got - exact) <= bound).all(), (np.abs(got - exact) / bound).max()
    assert (bound / exact[..., :2].max() < 0.05).all()
    # users' effect reaches the entrants: b has fewer sick months than a
    assert (exact[1, 1:, 1] < exact[0, 1:, 1] - 1).all()


def test_entry_years_run_beside_the_base_case_economics(monkeypatch):
    """``api.run`` runs an open population's entry cohorts on a thread of their own while the base case's economics
    are made (their kernel releases the GIL): the calendar-year results are those of running them afterwards."""
    import threading

    from ipsecon import api
    from ipsecon.economics.calendar_years import calendar_years
    from ipsecon.engines import open_population
    from ipsecon.model.scenario import load_scenario

    threads = []
    real = open_population.run_open_population

    def recording(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(open_population, "run_open_population", recording)
    result = api.run(load_scenario("scenarios/bodo.yaml"), horizon=3)
    assert len(threads) == 1 and threads[0].startswith("ipsecon-entry-years")
    serial = calendar_years(result.simulation)
    assert serial.data_vars and all(result.dataset[v].reindex_like(serial[v]).equals(serial[v]) for v in serial.data_vars)
