"""Rewards that depend on time in state (``duration``) or a tracker: a value per tunnel cell, both engines.

* closed form: alive A (tracked for c cycles) → dead D with p per cycle, reward in A = its duration:
  with counting ``end`` and no discounting the total is Σ_{t=1..T} min(t, c − 1)(1 − p)^t, with
  ``start`` Σ_{t=0..T−1} …, discounted per point; the cohort kernel and its dense reference give it;
* on a model with durations, a tracker, per-sample values and a strategy effect the cohort kernel
  equals its dense reference (1e-12), the microsim kernel draws what its reference draws and their
  per-person totals agree to rounding; the microsim's totals are within Monte Carlo error of the cohort;
* the traceless path (``simulate(trace=False)``) gives the same totals; a transition reward that reads
  duration is refused with one line naming the field.
"""

import numpy as np
import pytest
import yaml

from ipsecon.engines.cohort import run_cohort, run_cohort_reference
from ipsecon.engines.microsim import run_microsim, run_microsim_reference
from ipsecon.engines.simulate import simulate
from ipsecon.errors import InputError
from ipsecon.model.scenario import load_scenario

P = 0.15
T = 10


def _load(tmp_path, model, name="cells", horizon=T, individuals=1000):
    data = {"name": name, "title": name, "description": "rewards per cell", "model": model,
            "population": {"size": 100, "start_state": {"A": 1}},
            "run": {"horizon_years": horizon, "individuals": individuals, "seed": 4}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


def _alive(track, counting="end", rate=0.0):
    return {"cycle_years": 1, "counting": counting, "discount": {"cost": rate, "effect": rate},
            "states": {"A": {"track_duration": track}, "D": {}},
            "transitions": [{"from": "A", "to": "D", "probability": P}],
            "strategies": {"only": {}},
            "rewards": {"time_in_a": {"kind": "effect", "unit": "cycles", "states": {"A": "duration"}},
                        "flat": {"kind": "cost", "unit": "NOK", "states": {"A": "100 + 0 * duration_years"}}}}


def _args(sc, n_samples=1, values=None):
    values = dict(sc.base_values()) if values is None else values
    return (sc.model, values, sc.strata, sc.start_mix(values, n_samples), sc.spec.population.start_year,
            round(sc.spec.run.horizon_years / sc.model.cycle_years), n_samples)


@pytest.mark.parametrize("track, counting, rate", [(T + 2, "end", 0.0), (5, "end", 0.0), (5, "start", 0.0),
                                                   (4, "trapezoid", 0.035)])
def test_duration_reward_closed_form(tmp_path, track, counting, rate):
    sc = _load(tmp_path, _alive(track, counting, rate))
    t = np.arange(T + 1)
    x = np.minimum(t, track - 1) * (1 - P) ** t  # value of row t: duration then × P(alive)
    v = (1 + rate) ** -t
    a, b = {"end": (0, 1), "start": (1, 0), "trapezoid": (0.5, 0.5)}[counting]
    expected = (a * x[:-1] * v[:-1] + b * x[1:] * v[1:]).sum()
    flat = 100 * (a * ((1 - P) ** t[:-1]) * v[:-1] + b * ((1 - P) ** t[1:]) * v[1:]).sum()
    assert set(sc.model.cell_rewards) == {"time_in_a", "flat"}
    for engine in ("kernel", "reference"):
        run = run_cohort if engine == "kernel" else run_cohort_reference
        sim = simulate(sc) if engine == "kernel" else None
        if sim is None:
            from ipsecon.engines.simulate import Simulation
            sim = Simulation(sc, run(*_args(sc)), 0, None, T)
        totals = sim.reward_totals()
        assert totals["time_in_a"][0, 0] == pytest.approx(expected, rel=1e-13), engine
        assert totals["flat"][0, 0] == pytest.approx(flat, rel=1e-13), engine


def _rich(tmp_path):
    model = {
        "cycle_years": 1 / 12,
        "states": {"A": {"track_duration": 4}, "W": {"track_duration": 3}, "X": {}},
        "trackers": {"worked": {"states": ["W"], "max": 5}},
        "transitions": [{"from": "A", "to": "W", "probability": "x.p * where(duration >= 2, 1.4, 1)"},
                        {"from": "W", "to": "A", "probability": 0.2},
                        {"from": "A", "to": "X", "probability": 0.02},
                        {"from": "W", "to": "X", "probability": 0.01}],
        "variables": {"wage": "1000 * (1 + 0.1 * worked) + 50 * duration"},
        "strategies": {"usual": {}, "help": {"effects": [{"transition": "A->W", "hr": 1.6}]}},
        "rewards": {"earnings": {"kind": "cost", "unit": "NOK", "states": {"W": "wage"}},
                    "qaly": {"kind": "effect", "unit": "QALY", "states": {"A": "0.06 - 0.002 * duration", "W": 0.07},
                             "transitions": {"A->W": -0.01}}},
        "counting": "trapezoid", "discount": {"cost": 0.04, "effect": 0.04},
    }
    data = {"name": "rich", "title": "rich", "description": "rewards per cell", "model": model,
            "parameters": {"x": {"p": {"value": 0.1, "unit": "probability per month", "source": "assumption (test)",
                                       "description": "A -> W", "evidence": "assumption"}}},
            "population": {"size": 100, "start_state": {"A": 0.7, "W": 0.3}},
            "run": {"horizon_years": 3, "individuals": 4000, "seed": 9}}
    path = tmp_path / "rich.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


def test_kernels_equal_dense_references(tmp_path):
    sc = _rich(tmp_path)
    assert sc.model.cell_rewards == ["earnings", "qaly"]
    values = dict(sc.base_values())
    values["x.p"] = np.array([0.08, 0.12])
    a, b = run_cohort(*_args(sc, 2, values)), run_cohort_reference(*_args(sc, 2, values))
    for r in ("earnings", "qaly"):
        for i in (0, 1):
            np.testing.assert_allclose(a.reward_masses[r][i], b.reward_masses[r][i], rtol=1e-12, atol=1e-12)
    args = _args(sc, 2, values)[:-1] + (3000, 5, 2)
    m1, m2 = run_microsim(*args, 700), run_microsim_reference(*args, 1000)
    for name in ("occupancy", "flows"):
        assert np.array_equal(getattr(m1, name), getattr(m2, name)), name
    for r in ("earnings", "qaly"):
        np.testing.assert_allclose(m1.reward_masses[r][0], m2.reward_masses[r][0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(m1.totals_sd[r], m2.totals_sd[r], rtol=1e-10)
        np.testing.assert_allclose(m1.totals_diff_sd[r], m2.totals_diff_sd[r], rtol=1e-10, atol=1e-12)


def test_microsim_within_monte_carlo_error_and_traceless_totals(tmp_path):
    sc = _rich(tmp_path)
    coh = simulate(sc)
    mic = simulate(sc, engine="microsim", individuals=20000, seed=3)
    se = mic.reward_standard_errors()
    for r, c in coh.reward_totals().items():
        m = mic.reward_totals()[r]
        assert np.all(np.abs(m - c) < 4 * se[r]), (r, m, c, se[r])
    bare = simulate(sc, trace=False)
    for r, c in coh.reward_totals().items():
        np.testing.assert_allclose(bare.reward_totals()[r], c, rtol=1e-14)


def test_microsim_per_person_totals_average_to_the_trace(tmp_path):
    """The per-person totals (behind the SEs) and the trace's totals count each row alike: with one
    stratum the mean of per-person totals is the trace's total, here checked through a deterministic
    model (nobody moves: every person's total is the closed form)."""
    model = _alive(6, "end")
    model["transitions"][0]["probability"] = 0.0
    sc = _load(tmp_path, model, "still", horizon=8, individuals=50)
    sim = simulate(sc, engine="microsim")
    expected = sum(min(t, 5) for t in range(1, 9))
    assert sim.reward_totals()["time_in_a"][0, 0] == pytest.approx(expected, rel=1e-13)
    assert sim.trace.totals_sd["time_in_a"][0, 0] == pytest.approx(0.0, abs=1e-12)


def test_microsim_per_person_totals_by_hand(tmp_path):
    """Each person's total, worked out from the uniforms the engines read (``draws.uniform``): a person
    leaves A in cycle t when u(t) ≥ 1 − p, and row t adds min(t, c − 1) while in A; the SD over
    people of those totals is the engine's (both kernels)."""
    from ipsecon.engines.draws import uniform

    c, N = 5, 300
    sc = _load(tmp_path, _alive(c, "end"), "byhand", individuals=N)
    totals = np.zeros(N)
    for i in range(N):
        for t in range(T):
            if uniform(4, i, t, 0) >= 1 - P:
                break
            totals[i] += min(t + 1, c - 1)
    for trace in (run_microsim(*_args(sc)[:-1], N, 4, 1, 64), run_microsim_reference(*_args(sc)[:-1], N, 4)):
        assert trace.totals_sd["time_in_a"][0, 0] == pytest.approx(totals.std(ddof=1), rel=1e-12)


def test_transition_reward_on_duration_is_refused(tmp_path):
    model = _alive(4)
    model["rewards"]["time_in_a"]["transitions"] = {"A->D": "duration"}
    with pytest.raises(InputError) as err:
        _load(tmp_path, model)
    assert "model.rewards.time_in_a.transitions" in str(err.value) and "\n" not in str(err.value)
