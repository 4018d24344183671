"""The events kernel (``run_microsim(kernel="events")``): one draw per stay instead of one per month.

* by hand: on a two-state model (out of work O, W absorbing) person i's stay in O lasts
  floor(−ln(1 − u) · 2^40) // round(−ln(1 − q) · 2^40) months, u = uniform(seed, i, 0, stream 0): the
  engine's occupancy is that, person for person;
* on the IPS model (tunnels: time in state; a tracker: months of AAP) each state's share at every month
  agrees with the cohort engine's exact expectation, and with the months kernel, within Monte Carlo error
  (the batch-means SE);
* the results are bitwise the same whatever the chunk size, the number of threads, PSA samples beside it
  and the block length (hazards are summed as integers, so months taken together or one by one agree).
"""

import math

import numba
import numpy as np
import pytest
from two_state import entry_scenario

import ipsecon
from ipsecon.engines import microsim
from ipsecon.engines.draws import uniforms
from ipsecon.engines.microsim import run_microsim
from ipsecon.engines.simulate import simulate
from ipsecon.errors import InputError
from ipsecon.output.results import to_dataset

Q, RR, T, N, SEED = 0.08, 1.5, 24, 3000, 5


def _two_state(tmp_path):
    return entry_scenario(tmp_path, Q, RR, T, N, SEED, "events kernel by hand")


def test_stay_lengths_by_hand(tmp_path):
    sc = _two_state(tmp_path)
    sim = simulate(sc, kernel="events")
    u = uniforms(SEED, np.arange(N, dtype=np.int64), 0, 0)
    target = np.array([int(-math.log(1.0 - x) * 2.0 ** 40) for x in u])
    for k, q in enumerate((Q, Q * RR)):
        h = int(-math.log(1.0 - q) * 2.0 ** 40 + 0.5)
        enters = target // h + 1  # the point (end of month) at which the person is first in W
        in_work = (enters[:, None] <= np.arange(T + 1)[None, :]).mean(axis=0)
        np.testing.assert_allclose(sim.trace.occupancy[0, k, 0, :, 1], in_work, rtol=0, atol=1e-12)
        # and the distribution is the model's: share in W after m months 1 − (1 − q)^m, within 4.5 binomial SEs
        p = 1 - (1 - q) ** np.arange(T + 1)
        assert np.all(np.abs(in_work - p) <= 4.5 * np.sqrt(p * (1 - p) / N) + 1e-12)


def test_agrees_with_the_cohort_and_the_months_kernel_within_monte_carlo_error():
    """IPS model, 18 months, 20,000 people: |share − exact| ≤ 4.5 batch SEs for every state, month and
    strategy (8 × 19 × 2 correlated comparisons); months with almost nobody in a state (SE 0) must match
    the cohort to 2/N. The months kernel's run agrees within 4.5 SEs of the difference."""
    sc = ipsecon.load_scenario("scenarios/norway_rct.yaml")
    exact = to_dataset(simulate(sc, engine="cohort", horizon_years=1.5))["occupancy"]
    ds = to_dataset(simulate(sc, engine="microsim", individuals=20000, seed=3, horizon_years=1.5, kernel="events"))
    got, se = ds["occupancy"], ds["occupancy_mc_se"]
    z = np.abs(got - exact).values
    bound = 4.5 * se.values + 2.0 / 20000
    assert np.all(z <= bound), float(np.max(z - bound))
    assert float(se.max()) > 0  # the comparison has teeth: people do move
    # and with the months kernel's run of the same people (other random numbers: independent errors)
    months = to_dataset(simulate(sc, engine="microsim", individuals=20000, seed=3, horizon_years=1.5))
    gap = np.abs(got - months["occupancy"]).values
    bound = 4.5 * np.hypot(se.values, months["occupancy_mc_se"].values) + 2.0 / 20000
    assert np.all(gap <= bound), float(np.max(gap - bound))


def test_bitwise_the_same_whatever_chunks_threads_samples_and_blocks(monkeypatch):
    sc = ipsecon.load_scenario("scenarios/norway_rct.yaml")
    values = sc.base_values()
    args = (sc.model, values, sc.strata, sc.start_mix(values, 1), sc.spec.population.start_year, 18, 3000, 11)
    plain = run_microsim(*args, kernel="events")
    runs = [run_microsim(*args, chunk_size=37, kernel="events")]
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        runs.append(run_microsim(*args, chunk_size=500, kernel="events"))
    finally:
        numba.set_num_threads(threads)
    monkeypatch.setattr(microsim, "TABLE_BYTES", 2 ** 16)  # blocks of a few months instead of one
    runs.append(run_microsim(*args, kernel="events"))
    for i, tr in enumerate(runs):
        for f in ("occupancy", "flows", "ever", "batch_occupancy"):
            assert np.array_equal(getattr(tr, f), getattr(plain, f)), f
        for r in plain.totals_sd:
            if i < 2:
                assert np.array_equal(tr.people["totals"][r], plain.people["totals"][r])
            else:  # the same stays; rewards summed block by block, as the months kernel sums them
                np.testing.assert_allclose(tr.people["totals"][r], plain.people["totals"][r], rtol=1e-12)
    # a PSA sample with the base values is the one-sample run: the same people and numbers, its own rows
    vary = dict(values)
    vary["calibrated.norway_rct.aap_to_ufore"] = float(values["calibrated.norway_rct.aap_to_ufore"]) * np.array([0.7, 1.0])
    psa = run_microsim(sc.model, vary, sc.strata, sc.start_mix(vary, 2), sc.spec.population.start_year, 18, 3000, 11,
                       n_samples=2, kernel="events")
    assert np.array_equal(psa.occupancy[1], plain.occupancy[0])
    assert not np.array_equal(psa.occupancy[0], plain.occupancy[0])
    # and another stream than the months kernel: the same seed gives other people
    assert not np.array_equal(run_microsim(*args).occupancy, plain.occupancy)


def test_unknown_kernel_is_refused():
    sc = ipsecon.load_scenario("scenarios/norway_rct.yaml")
    with pytest.raises(InputError, match="kernel"):
        simulate(sc, engine="microsim", individuals=100, horizon_years=0.5, kernel="weeks")
