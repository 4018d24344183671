"""The microsim's Monte Carlo standard error of incremental totals, paired through common random numbers.

* by hand: on a two-state model (alive A, dead D) each person's months alive are worked out in Python
  from the same counter-based uniforms the engines read (``draws.uniform``), per strategy; the SD of the
  per-person differences / sqrt(N) is the engine's paired standard error (both kernels);
* with a common effect (everybody's death probability × 0.8) the paired SE is far below the unpaired
  sqrt(se_a² + se_b²), and it shows in the summary, the terminal and results.nc.
"""

import numpy as np
import pytest
import yaml

from ipsecon.engines.draws import uniform
from ipsecon.engines.microsim import run_microsim, run_microsim_reference
from ipsecon.engines.simulate import simulate
from ipsecon.model.scenario import load_scenario
from ipsecon.output.console import summary_table
from ipsecon.output.results import summary_frame, to_dataset

Q_DIE = 0.1  # per cycle in usual care
RR = 0.8  # the treatment lowers it by a fifth for everybody
T = 12
N = 400
SEED = 3


@pytest.fixture()
def alive(tmp_path):
    data = {
        "name": "alive", "title": "alive", "description": "paired standard errors",
        "model": {
            "cycle_years": 1, "counting": "end", "discount": {"cost": 0, "effect": 0},
            "states": {"A": {}, "D": {}},
            "transitions": [{"from": "A", "to": "D", "probability": Q_DIE}],
            # the comparator declared second: the engines must still pair every strategy with it
            "strategies": {"treated": {"effects": [{"transition": "A->D", "rr": RR}]}, "usual": {}},
            "comparator": "usual",
            "rewards": {"years": {"kind": "effect", "unit": "y", "states": {"A": 1}}},
        },
        "population": {"size": 100, "start_state": {"A": 1}},
        "run": {"horizon_years": T, "engine": "microsim", "individuals": N, "seed": SEED},
    }
    path = tmp_path / "alive.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


def _by_hand(q: float) -> np.ndarray:
    """Points 1 … T alive per person: the engines move person i out of A in cycle t when
    uniform(seed, i, t) ≥ P(stay) = 1 − q (the inverse CDF over the row [stay, leave])."""
    out = np.zeros(N)
    for i in range(N):
        for t in range(T):
            if uniform(SEED, i, t, 0) >= 1 - q:
                break
            out[i] += 1
    return out


def _args(sc):
    values = sc.base_values()
    return (sc.model, values, sc.strata, sc.start_mix(values, 1), sc.spec.population.start_year, T, N, SEED)


def test_paired_se_is_the_sd_of_per_person_differences(alive):
    usual, treated = _by_hand(Q_DIE), _by_hand(Q_DIE * RR)
    diff_sd = (treated - usual).std(ddof=1)
    k_t, k_u = alive.model.strategies.index("treated"), alive.model.strategies.index("usual")
    for trace in (run_microsim(*_args(alive), 1, 64), run_microsim_reference(*_args(alive))):
        sd = trace.totals_diff_sd["years"][0]
        assert sd[k_t] == pytest.approx(diff_sd, rel=1e-12)
        assert sd[k_u] == 0.0
        assert trace.totals_sd["years"][0, k_u] == pytest.approx(usual.std(ddof=1), rel=1e-12)
    sim = simulate(alive)
    inc = sim.incremental_standard_errors()["years"][0, k_t]
    assert inc == pytest.approx(diff_sd / np.sqrt(N), rel=1e-12)
    assert sim.reward_totals()["years"][0, k_t] - sim.reward_totals()["years"][0, k_u] == pytest.approx(
        (treated - usual).mean(), rel=1e-12)


def test_paired_se_is_well_below_the_unpaired_and_is_shown(alive):
    sim = simulate(alive)
    k_t, k_u = alive.model.strategies.index("treated"), alive.model.strategies.index("usual")
    se = sim.reward_standard_errors()["years"][0]
    unpaired = np.hypot(se[k_t], se[k_u])
    paired = sim.incremental_standard_errors()["years"][0, k_t]
    # the same uniforms: a person dies under treatment only where they die under usual care too,
    # later: the difference varies much less than either total
    assert paired < 0.5 * unpaired, (paired, unpaired)
    summary = summary_frame(sim)
    assert summary.loc["treated", "years_discounted_incremental_se"] == pytest.approx(paired, rel=1e-12)
    assert np.isnan(summary.loc["usual", "years_discounted_incremental_se"])  # the comparator has no difference
    text = summary_table(summary)
    assert f"difference MC se {paired:,.2g}, paired" in text and text.count("paired") == 1
    ds = to_dataset(sim)
    got = ds["reward_mc_se_incremental"].sel(strategy="treated", reward="years").values.ravel()[0]
    assert got == pytest.approx(paired, rel=1e-12) and ds["reward_mc_se_incremental"].attrs["units"] == "per person"
