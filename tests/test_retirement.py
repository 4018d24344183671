"""Age 67 in the IPS model: AAP and uføretrygd are for ages 18-67 (ftrl § 11-4, § 12-4) and at 67 alderspensjon
follows, so everyone alive moves to ``retired`` in the month they turn 67 and no benefit, wage or tax is booked
from then on; before 67 the new state changes nothing."""

import numpy as np
import pytest
import yaml

from ipsecon.engines.simulate import simulate
from ipsecon.model.scenario import load_scenario
from ipsecon.money.ledger import build_ledger

# every alive state of the model, so the move is checked from each
START = {"employed": 0.1, "employed_aap": 0.1, "employed_ufore": 0.1, "aap": 0.3, "ufore": 0.2, "other": 0.2}
NAV_AND_WORK_FLOWS = ("aap", "uforetrygd", "gross_wage", "income_tax", "trygdeavgift", "employer_contribution",
                      "social_assistance", "ips_programme_nav", "ips_programme_health_trust",
                      "usual_vocational_rehabilitation")


def _scenario(root, tmp_path, age, horizon, overrides=None, start=START):
    """norway_rct's model, parameters and population mix, everyone aged ``age`` (years, may be fractional)."""
    spec = yaml.safe_load((root / "scenarios/norway_rct.yaml").read_text())
    spec["model"] = str(root / "scenarios/models/ips.yaml")
    spec["parameter_dirs"] = [str(root / "parameters")]
    for key in ("calibration", "targets"):
        spec.pop(key, None)
    spec["population"]["age"] = {"distribution": "fixed", "value": age}
    spec["population"]["start_state"] = start
    spec["run"]["horizon_years"] = horizon
    path = tmp_path / f"age_{age:.4f}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    return load_scenario(path, overrides=overrides)


def _shares(sim):
    """Occupancy [strategy, month, state] over the population (strata weights), sample 0."""
    t = sim.trace
    w = np.broadcast_to(np.atleast_2d(t.weights), t.occupancy.shape[:1] + t.occupancy.shape[2:3])
    return np.einsum("nkgts,ng->nkts", t.occupancy, w)[0]


def test_everyone_alive_retires_in_the_month_they_turn_67(root, tmp_path):
    sc = _scenario(root, tmp_path, 67, 2)  # the birthday starts month 0, which holds it
    sim = simulate(sc, engine="cohort")
    occ, s = _shares(sim), sc.model.index
    alive = 1 - occ[:, :, s["dead"]]
    # after one month (end of month 1 = point 1) everyone alive is retired, in both strategies, and stays
    assert np.allclose(occ[:, 1:, s["retired"]], alive[:, 1:], rtol=0, atol=1e-12)
    assert np.all(occ[:, 0, s["retired"]] == 0)
    # mortality goes on: in the month of the move death takes its monthly probability 1 - exp(-m/12), m the
    # model's annual mortality hazard at that age (life table x SMR), and keeps taking people afterwards
    ns = sc.model.namespace(sc.base_values(), sc.strata, 2013, "tau", np.arange(2), 1, with_duration=False)
    m = np.broadcast_to(ns["mortality_rate"], (1, sc.strata.size, 2, 1))[0, :, :, 0]
    w = sc.strata.weight
    assert occ[0, 1, s["dead"]] == pytest.approx(float(w @ (1 - np.exp(-m[:, 0] / 12))), rel=1e-9)
    assert occ[0, 13, s["dead"]] > occ[0, 1, s["dead"]] + 0.01
    # the ledger: from the end of the first month no benefit, wage, tax or programme flow at all
    # ("end" counting books cycle k at its end, so cycle 0 is already booked in retired); health care goes on
    ledger = build_ledger(sim)
    for flow in NAV_AND_WORK_FLOWS:
        assert np.abs(ledger.flow(flow)).max() < 1e-6, flow
    values = sc.base_values()
    care = ledger.flow("health_care")[0, 0]
    assert care[:12] == pytest.approx(values["health_care.monthly_cost.ufore"] * alive[0, 1:13], rel=1e-9)


def test_the_move_happens_once_at_67_not_a_month_early(root, tmp_path):
    sc = _scenario(root, tmp_path, 66 + 10 / 12, 1)
    occ, s = _shares(simulate(sc, engine="cohort")), sc.model.index
    alive = 1 - occ[:, :, s["dead"]]
    assert np.all(occ[:, 1:3, s["retired"]] == 0)  # 66 y 11 m at the end of month 1; 67 at the start of month 2
    assert np.allclose(occ[:, 3:, s["retired"]], alive[:, 3:], rtol=0, atol=1e-12)


def test_nothing_changes_before_67(root, tmp_path):
    """A cohort aged 30 over 10 years never reaches 67: the model gives the same trace, ledger and economics as with
    the age limit out of reach (retirement_age 200: every added term is then exactly 0 or the old formula), to
    1e-12. (Checked once by hand against the model file before the state was added: the same trace to the last
    bit, ledger amounts within 1e-12 NOK.)"""
    runs = {}
    for limit in (None, 200.0):
        sc = _scenario(root, tmp_path, 30, 10, overrides=None if limit is None else {"rules.pension.retirement_age": limit})
        sim = simulate(sc, engine="cohort")
        runs[limit] = (sc, sim, build_ledger(sim))
    (sc, a, la), (_, b, lb) = runs[None], runs[200.0]
    assert np.all(a.trace.occupancy[..., sc.model.index["retired"]] == 0)
    np.testing.assert_allclose(a.trace.occupancy, b.trace.occupancy, rtol=0, atol=1e-12)
    np.testing.assert_allclose(la.amounts, lb.amounts, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(la.qalys, lb.qalys, rtol=1e-12, atol=0)


def test_cohort_and_microsim_agree_across_67(root, tmp_path):
    """A population aged 64 followed 5 years crosses 67 at month 36: the microsim's shares in each state agree with
    the cohort's exact values within 4 binomial standard errors, and at 67 its living people are all retired."""
    sc = _scenario(root, tmp_path, 64, 5)
    exact = _shares(simulate(sc, engine="cohort"))
    n = 20_000
    ms = simulate(sc, engine="microsim", individuals=n, seed=11)
    sim = _shares(ms)
    s = sc.model.index
    for month in (12, 35, 36, 37, 60):
        p = exact[:, month]
        se = np.sqrt(np.maximum(p * (1 - p), 1 / n) / n)
        assert np.all(np.abs(sim[:, month] - p) < 4 * se), (month, sim[:, month], p)
    assert np.all(exact[:, 36, s["retired"]] == 0) and np.all(sim[:, 36, s["retired"]] == 0)  # month 36 holds it
    assert np.allclose(sim[:, 37:, s["retired"]], 1 - sim[:, 37:, s["dead"]], rtol=0, atol=1e-12)


@pytest.mark.parametrize("start_months, birthday_month", [(11, 1), (10.8, 1), (10.2, 1), (11.4, 0)])
def test_the_move_is_in_the_month_that_holds_the_67th_birthday(root, tmp_path, start_months, birthday_month):
    """Aged 66 years and ``start_months`` months at the start, the person turns 67 after 12 - start_months months,
    in month ``birthday_month`` (months are [k, k + 1); one whose start is the birthday holds it). Until then they
    are 66: AAP and uføretrygd are paid (ftrl § 11-4, § 12-4: ages 18-67), so with "end" counting, which books a
    month in its end state, nobody may be retired at the end of an earlier month; at the end of the birthday's
    month everyone alive is."""
    sc = _scenario(root, tmp_path, 66 + start_months / 12, 1)
    sim = simulate(sc, engine="cohort")
    occ, s = _shares(sim), sc.model.index
    alive = 1 - occ[:, :, s["dead"]]
    assert np.all(occ[:, 1:birthday_month + 1, s["retired"]] == 0)
    assert np.allclose(occ[:, birthday_month + 1:, s["retired"]], alive[:, birthday_month + 1:], rtol=0, atol=1e-12)
    if birthday_month:  # the months before the birthday's book the benefits of people aged 66
        ledger = build_ledger(sim)
        for flow in ("aap", "uforetrygd"):
            assert np.all(ledger.flow(flow)[0, :, :birthday_month] != 0), flow
