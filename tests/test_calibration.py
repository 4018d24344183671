"""Calibration reproduces the Norwegian trial and the committed fitted values still do."""

import pytest

from ipsecon.uncertainty.calibrate import calibrate
from ipsecon.model.scenario import load_scenario
from ipsecon.engines.simulate import simulate

TARGETS = [("tau", 12, 0.271), ("tau", 18, 0.271), ("ips", 12, 0.366), ("ips", 18, 0.374)]


def test_committed_calibration_hits_trial_targets(root):
    sc = load_scenario(root / "scenarios/norway_rct.yaml")
    sim = simulate(sc, engine="cohort", horizon_years=1.5)
    for target in sc.spec.calibration.targets:
        assert abs(sim.measure(target) - target.value) <= 0.01


def test_calibrate_fits_from_scratch(root):
    result = calibrate(root / "scenarios/norway_rct.yaml", write=False)
    assert result.all_within_tolerance
    for target, value in result.fitted:
        assert value == pytest.approx(target.value, abs=0.01)


def test_meta_scenario_gives_pooled_relative_risk(root):
    sc = load_scenario(root / "scenarios/meta.yaml")
    occ = simulate(sc, engine="cohort", horizon_years=1.5).trace.population_occupancy()[0, :, 18, 0]
    assert occ[1] / occ[0] == pytest.approx(2.07, abs=0.05)


def test_microsim_reproduces_targets_within_monte_carlo_error(root):
    sc = load_scenario(root / "scenarios/norway_rct.yaml")
    n = 20000
    sim = simulate(sc, engine="microsim", horizon_years=1.5, individuals=n, seed=3)
    for strategy, month, value in TARGETS:
        k = sim.trace.strategies.index(strategy)
        p = sim.trace.population_occupancy()[0, k, month, 0]
        se = (value * (1 - value) / n) ** 0.5
        assert abs(p - value) < 0.01 + 4 * se
