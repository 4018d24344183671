"""Population shares given as formulas of parameters (a latent class with an uncertain share).

Independent expectations:
* a population that is a share p of class ``a`` and 1 − p of class ``b`` has, state by state and
  point by point, p × (the trace of a population all ``a``) + (1 − p) × (all ``b``): closed form
  of a mixture, checked per sample when p varies across samples;
* the microsim draws its people at the base case's share and reweights them: at another share its
  population occupancy agrees with the cohort's within Monte Carlo error (binomial, 4.5 SE);
* bad shares end in an InputError naming the field.
"""

import numpy as np
import pytest
import yaml

from ipsecon.engines.simulate import simulate
from ipsecon.errors import InputError
from ipsecon.model.scenario import load_scenario

T = 8


def _data(shares):
    """Healthy → sick → dead; class b falls sick four times as fast as class a."""
    return {
        "name": "mix", "title": "mix", "description": "latent class mixture",
        "model": {
            "cycle_years": 1,
            "states": {"H": {}, "S": {}, "D": {}},
            "variables": {"p_sick": "where(cls == 'b', 0.4, 0.1)"},
            "transitions": [
                {"from": "H", "to": "S", "probability": "p_sick"},
                {"from": "S", "to": "D", "probability": 0.2},
            ],
            "ever_in": ["S"],
            "strategies": {"only": {}},
            "rewards": {"years": {"kind": "effect", "unit": "y", "states": {"H": 1, "S": 1}}},
        },
        "parameters": {"mix": {"share_a": {"value": 0.5, "unit": "proportion", "source": "test", "description": "share of a",
                                           "evidence": "assumption"}}},
        "population": {"size": 100, "start_state": {"H": 1}, "attributes": {"cls": shares}},
        "run": {"horizon_years": T},
    }


def _load(tmp_path, shares, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(_data(shares)))
    return load_scenario(path)


@pytest.fixture
def pure(tmp_path):
    """Population occupancy [point, state] of all-a and all-b populations."""
    a = simulate(_load(tmp_path, {"a": 1.0}, "a"), engine="cohort").trace.population_occupancy()[0, 0]
    b = simulate(_load(tmp_path, {"b": 1.0}, "b"), engine="cohort").trace.population_occupancy()[0, 0]
    return a, b


def test_cohort_mixture_per_sample(tmp_path, pure):
    sc = _load(tmp_path, {"a": "mix.share_a", "b": "1 - mix.share_a"}, "formula")
    p = np.array([0.2, 0.5, 0.9])
    values = sc.base_values()
    values["mix.share_a"] = p
    sim = simulate(sc, engine="cohort", values=values, n_samples=3)
    occ = sim.trace.population_occupancy()[:, 0]  # [sample, point, state]
    a, b = pure
    expected = p[:, None, None] * a[None] + (1 - p[:, None, None]) * b[None]
    assert np.allclose(occ, expected, atol=1e-13)
    # the reward totals of a run without a trace use the same weights
    totals = simulate(sc, engine="cohort", values=values, n_samples=3, trace=False).reward_totals()["years"][:, 0]
    assert np.allclose(totals, sim.reward_totals()["years"][:, 0], rtol=1e-12)


def test_microsim_reweights_to_another_share(tmp_path, pure):
    sc = _load(tmp_path, {"a": "mix.share_a", "b": "1 - mix.share_a"}, "formula")
    values = sc.base_values()
    values["mix.share_a"] = 0.15  # people are drawn at the base case's 0.5
    n = 40_000
    sim = simulate(sc, engine="microsim", values=values, individuals=n, seed=5)
    occ = sim.trace.population_occupancy()[0, 0]
    a, b = pure
    expected = 0.15 * a + 0.85 * b
    # importance weights w = p / 0.5 for a and (1 - p) / 0.5 for b inflate the binomial variance by
    # at most max(w) = 1.7
    se = np.sqrt(expected * (1 - expected) / n * 1.7) + 1e-12
    assert np.all(np.abs(occ - expected) < 4.5 * se)
    # at the base case's share the weights are the drawn shares themselves
    base = simulate(sc, engine="microsim", individuals=2000, seed=5)
    counts = base.trace.counts
    assert np.allclose(base.trace.weights[0], counts / counts.sum())


@pytest.mark.parametrize("shares,what", [
    ({"a": "mix.share_a", "b": "0.9 - mix.share_a"}, "sum to 1"),
    ({"a": "mix.share_a * 3", "b": "1 - mix.share_a * 3"}, "in [0, 1]"),
])
def test_bad_formula_shares(tmp_path, shares, what):
    sc = _load(tmp_path, shares, "bad")
    with pytest.raises(InputError) as err:
        simulate(sc, engine="cohort")
    assert "population.attributes.cls" in str(err.value) and what in str(err.value)
