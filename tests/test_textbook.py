"""The engine reproduces a published textbook Markov model from YAML alone.

Chancellor et al. (1997) HIV model as replicated in Briggs, Claxton & Sculpher (2006),
Decision Modelling for Health Economic Evaluation, exercise 2.5 / tables 2.3–2.4:
life years 7.991 (mono) and 8.937 (combination), discounted costs £44,663 and £50,602,
ICER £6,276 per life year gained.
"""

import numpy as np
import pytest

from ipsecon.model.scenario import load_scenario
from ipsecon.engines.simulate import simulate


@pytest.fixture(scope="module")
def hiv(root):
    sim = simulate(load_scenario(root / "tests/data/chancellor_hiv.yaml"))
    return sim.reward_totals()


def test_life_years_match_briggs(hiv):
    ly = hiv["life_years"][0]
    assert round(ly[0], 3) == 7.991
    assert round(ly[1], 3) == 8.937


def test_costs_match_briggs(hiv):
    cost = hiv["cost"][0]
    # the book prints whole pounds (44,663.45 and 50,601.65 rounded)
    assert round(cost[0]) == 44663
    assert round(cost[1]) == 50602


def test_icer_matches_published(hiv):
    cost, ly = hiv["cost"][0], hiv["life_years"][0]
    icer = (cost[1] - cost[0]) / (ly[1] - ly[0])
    # published to the pound: 6,275.96 rounds to 6,276 (lamivudine at £2,086.50, not £2,087)
    assert round(icer) == 6276
    assert icer == pytest.approx(6275.96, abs=0.005)


def test_counting_conventions_differ_as_expected(root):
    """Start-of-cycle counts x_0..x_{T-1}; end counts x_1..x_T; trapezoid is their mean."""
    sc = load_scenario(root / "tests/data/chancellor_hiv.yaml")
    sim = simulate(sc)
    occ = sim.trace.population_occupancy()[0, 0]
    alive = occ[:, :3].sum(axis=1)
    from ipsecon.engines import counting as accounting

    v = np.ones(21)
    per = {c: accounting.cycle_occupancy(sim.trace.occupancy, c, v)[0, 0, 0, :, :3].sum() for c in ("start", "end", "trapezoid", "simpson")}
    assert per["start"] == pytest.approx(alive[:-1].sum())
    assert per["end"] == pytest.approx(alive[1:].sum())
    assert per["trapezoid"] == pytest.approx((per["start"] + per["end"]) / 2)
    w = np.ones(21)
    w[1:-1:2], w[2:-1:2] = 4, 2
    assert per["simpson"] == pytest.approx((w * alive).sum() / 3)


# --- counting conventions, each against a hand-computed closed form (issue 16, item 3) -------------------
#
# Two states, H -> D with probability 0.2 a cycle, everyone starts in H, 4 annual cycles, 5 % a year:
# x_j = 0.8^j, v_j = 1.05^(-j); a cost of 100 per cycle in H (constant), and one of 100 (1 + t) (rising).

P, R, T = 0.2, 0.05, 4
Q = (1 - P) / (1 + R)  # x_j v_j = Q^j
ROWS = Q ** np.arange(T + 1)
CLOSED_FORM = {  # total of a reward of 1 per cycle in H
    "start": ROWS[:-1].sum(),
    "end": ROWS[1:].sum(),
    "trapezoid": (ROWS[:-1].sum() + ROWS[1:].sum()) / 2,
    # heemod: (x_{k-1} + x_k) / 2 discounted at the cycle's start: sum_k 0.8^(k-1) (1 + 0.8) / 2 / 1.05^(k-1)
    "life_table": sum(0.8 ** (k - 1) * 1.8 / 2 / 1.05 ** (k - 1) for k in range(1, T + 1)),
    # darthtools::gen_wcc(4, "Simpson1/3") = c(1/3, 2/3, 4/3, 2/3, 1/3), rows discounted by row
    "darth_simpson": float(np.dot([1 / 3, 2 / 3, 4 / 3, 2 / 3, 1 / 3], ROWS)),
    "every_row": ROWS.sum(),
    "simpson": float(np.dot([1, 4, 2, 4, 1], ROWS)) / 3,
}


def _two_state(tmp_path, counting, own=None):
    rewards = {"cost": {"kind": "cost", "unit": "GBP", "states": {"H": 100}},
               "rising": {"kind": "cost", "unit": "GBP", "states": {"H": "100 * (1 + t)"}},
               "years": {"kind": "effect", "unit": "years", "states": {"H": 1}}}
    for name, convention in (own or {}).items():
        rewards[name]["counting"] = convention
    spec = {"name": "two_state", "title": "two states", "description": "hand-computed counting conventions",
            "model": {"cycle_years": 1, "counting": counting, "discount": {"cost": R, "effect": R},
                      "states": {"H": {}, "D": {}}, "transitions": [{"from": "H", "to": "D", "probability": P}],
                      "strategies": {"a": {}, "b": {}}, "rewards": rewards},
            "population": {"size": 1, "age": {"distribution": "fixed", "value": 50}, "start_state": {"H": 1}},
            "run": {"horizon_years": T}}
    path = tmp_path / f"two_state_{counting}.yaml"
    path.write_text(__import__("yaml").safe_dump(spec))
    return load_scenario(path)


@pytest.mark.parametrize("counting", sorted(CLOSED_FORM))
def test_counting_convention_closed_form(tmp_path, counting):
    sc = _two_state(tmp_path, counting)
    for trace in (True, False):  # from the trace, and added up by the cohort kernel as it runs
        totals = simulate(sc, trace=trace).reward_totals()
        assert totals["cost"][0, 0] == pytest.approx(100 * CLOSED_FORM[counting], rel=1e-12)
        assert totals["years"][0, 1] == pytest.approx(CLOSED_FORM[counting], rel=1e-12)


def test_darth_rows_use_each_rows_reward(tmp_path):
    """DARTH multiplies row j by the reward at row j: R(t = j) = 100 (1 + j); the last row has the last cycle's."""
    sc = _two_state(tmp_path, "darth_simpson")
    r = 100 * (1 + np.minimum(np.arange(T + 1), T - 1))
    expected = float(np.dot([1 / 3, 2 / 3, 4 / 3, 2 / 3, 1 / 3], ROWS * r))
    assert simulate(sc).reward_totals()["rising"][0, 0] == pytest.approx(expected, rel=1e-12)


def test_each_reward_counts_by_its_own_convention(tmp_path):
    sc = _two_state(tmp_path, "end", own={"cost": "life_table", "years": "every_row"})
    totals = simulate(sc).reward_totals()
    assert totals["cost"][0, 0] == pytest.approx(100 * CLOSED_FORM["life_table"], rel=1e-12)
    assert totals["years"][0, 0] == pytest.approx(CLOSED_FORM["every_row"], rel=1e-12)
    assert totals["rising"][0, 0] == pytest.approx(100 * float(np.dot(1 + np.arange(T), ROWS[1:])), rel=1e-12)  # end
    from ipsecon.errors import InputError

    with pytest.raises(InputError, match="model.rewards.cost.counting"):  # the microsim counts one way only
        simulate(sc, engine="microsim", individuals=10)


# --- the validation suite: published models, at their published precision (issue 16, item 7) -------------

def _cea(root, name):
    from ipsecon import api

    return api.run(load_scenario(root / "tests/data" / name), structures=False).cea.set_index("strategy")


def test_chancellor_hiv_matches_the_excel_model_exactly(root):
    """Briggs et al. 2006 ex. 2.5, online Excel model (the values heemod's test_dmhee.R checks)."""
    t = _cea(root, "chancellor_hiv.yaml")
    assert t.loc["mono", "cost"] == pytest.approx(44663.4535637, abs=5e-8)
    assert t.loc["comb", "cost"] == pytest.approx(50601.6513312, abs=5e-8)
    assert t.loc["mono", "effect"] == pytest.approx(7.9912066, abs=5e-8)
    assert t.loc["comb", "effect"] == pytest.approx(8.9373889, abs=5e-8)
    assert t.loc["comb", "icer"] == pytest.approx(6275.95560, abs=5e-6)


def test_dmhee_hip_replacement_matches_the_excel_model(root):
    """Briggs et al. 2006 ex. 3.5 (total hip replacement), online Excel model via heemod's test_dmhee.R."""
    t = _cea(root, "dmhee_hip.yaml")
    assert t.loc["standard", "cost"] == pytest.approx(512.434658, abs=5e-7)
    assert t.loc["standard", "effect"] == pytest.approx(14.6531896, abs=5e-8)
    assert t.loc["np1", "cost"] == pytest.approx(610.311818, abs=5e-7)
    assert t.loc["np1", "effect"] == pytest.approx(14.69770986, abs=5e-9)
    assert t.loc["np1", "icer"] == pytest.approx(2198.486665, abs=5e-7)


@pytest.mark.parametrize("file, published, icers", [
    # Alarid-Escudero et al. 2023, introductory tutorial, table 4: costs in whole dollars, QALYs to 3 decimals
    ("darth_sick_sicker.yaml", {"soc": (151580, 20.711), "A": (284805, 21.499), "B": (259100, 22.184),
                                "AB": (378875, 23.137)}, {"B": 72988, "AB": 125764}),
    # the time-dependent tutorial (age-specific mortality from the US 2015 life table, transition rewards), table 3
    ("darth_sick_sicker_age.yaml", {"soc": (116374, 18.879), "A": (218789, 19.636), "B": (202536, 20.199),
                                    "AB": (296300, 21.097)}, {"B": 65288, "AB": 104461}),
])
def test_darth_sick_sicker_tutorials(root, file, published, icers):
    t = _cea(root, file)
    for s, (cost, qalys) in published.items():
        assert round(t.loc[s, "cost"]) == cost and round(t.loc[s, "effect"], 3) == qalys
    assert {s: round(v) for s, v in t["icer"].dropna().items()} == icers  # along the frontier: SoC -> B -> AB
    assert t.loc["A", "status"] == "dominated" and t.loc["B", "compared_with"] == "soc"


def test_darth_psa_frontier_switches_where_published(root):
    """Alarid-Escudero et al. 2023 (introductory tutorial), CEAC/CEAF figure: SoC has the highest expected NMB
    below $80,000 per QALY, B between $80,000 and $120,000, AB from $120,000 (their distributions, table 1)."""
    from ipsecon import api

    sc = load_scenario(root / "tests/data/darth_sick_sicker.yaml")
    ds = api.psa(sc, samples=200, seed=1, horizons=[75.0], wtp=[50_000.0, 100_000.0, 150_000.0], quiet=True)
    best = ds.ceaf_strategy.sel(perspective="model", horizon=75.0).to_pandas()
    assert [best[w] for w in (50_000.0, 100_000.0, 150_000.0)] == ["soc", "B", "AB"]


# --- Krijkamp et al. 2018, appendix B: the Sick-Sicker microsimulation with time dependency -------------

def _krijkamp_by_the_r_code(trt: int) -> tuple[float, float]:
    """Expected discounted costs and QALYs of appendix B's MicroSim, exactly: the distribution over
    (state, dur) carried row by row with the R code's own rules (Probs with dur after the previous row,
    Effs with dur before it counts the row, dur + 1 after a sick or sicker row, 0 otherwise; X at its mean 1)."""
    p_HD, p_HS1, p_S1H, p_S1S2, rp, ru = 0.005, 0.15, 0.5, 0.105, 0.2, 0.03
    r_HD = -np.log(1 - p_HD)
    r_S1D, r_S2D = 3 * r_HD, 10 * r_HD
    cost = {"H": 2000, "S1": 4000 + 12000 * trt, "S2": 15000 + 12000 * trt, "D": 0}

    def eff(m, dur):
        return {"H": 1.0, "S1": trt * (0.95 - dur * ru) + (1 - trt) * 0.75, "S2": 0.5, "D": 0.0}[m]

    def probs(m, dur):
        p_S1D = 1 - np.exp(-r_S1D * (1 + dur * rp))
        p_S2D = 1 - np.exp(-r_S2D * (1 + dur * rp))
        return {"H": {"H": 1 - p_HS1 - p_HD, "S1": p_HS1, "D": p_HD},
                "S1": {"H": p_S1H, "S1": 1 - p_S1H - p_S1S2 - p_S1D, "S2": p_S1S2, "D": p_S1D},
                "S2": {"S2": 1 - p_S2D, "D": p_S2D}, "D": {"D": 1.0}}[m]

    dist = {("H", 0): 1.0}
    total_c, total_e = float(cost["H"]), eff("H", 0)
    for t in range(1, 31):
        new, c, e = {}, 0.0, 0.0
        for (m, dur), p in dist.items():
            for m2, q in probs(m, dur).items():
                w = p * q
                c += w * cost[m2]
                e += w * eff(m2, dur)
                d2 = dur + 1 if m2 in ("S1", "S2") else 0
                new[(m2, d2)] = new.get((m2, d2), 0.0) + w
        dist = new
        total_c += c / 1.03 ** t
        total_e += e / 1.03 ** t
    return total_c, total_e


@pytest.fixture(scope="module")
def krijkamp(root):
    return load_scenario(root / "tests/data/krijkamp_sick_sicker.yaml")


def test_krijkamp_cohort_equals_the_r_codes_expected_values(krijkamp):
    """The tutorial's dur persists from Sick into Sicker and restarts when healthy (a tracker with
    reset); the utility of treated sick people reads it per row. The cohort engine gives the R code's
    expected values exactly."""
    totals = simulate(krijkamp, engine="cohort").reward_totals()
    k = krijkamp.model.strategies
    for trt, name in ((0, "no_treatment"), (1, "treatment")):
        c, e = _krijkamp_by_the_r_code(trt)
        assert totals["costs"][0, k.index(name)] == pytest.approx(c, rel=1e-12)
        assert totals["qalys"][0, k.index(name)] == pytest.approx(e, rel=1e-12)


def test_krijkamp_microsim_within_its_monte_carlo_error(krijkamp):
    """The microsim (20,000 people; the tutorial runs 100,000) within 4 of its standard errors of the
    exact values, totals and the paired increments."""
    sim = simulate(krijkamp, engine="microsim", individuals=20000, seed=11)
    totals, se, inc_se = sim.reward_totals(), sim.reward_standard_errors(), sim.incremental_standard_errors()
    k = krijkamp.model.strategies
    exact = {name: dict(zip(("costs", "qalys"), _krijkamp_by_the_r_code(trt)))
             for trt, name in ((0, "no_treatment"), (1, "treatment"))}
    for name in k:
        for r in ("costs", "qalys"):
            assert abs(totals[r][0, k.index(name)] - exact[name][r]) < 4 * se[r][0, k.index(name)], (name, r)
    i, j = k.index("treatment"), k.index("no_treatment")
    for r in ("costs", "qalys"):
        d = totals[r][0, i] - totals[r][0, j]
        assert abs(d - (exact["treatment"][r] - exact["no_treatment"][r])) < 4 * inc_se[r][0, i], r
        assert inc_se[r][0, i] < 0.5 * np.hypot(se[r][0, i], se[r][0, j])  # common random numbers pay off
