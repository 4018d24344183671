"""How the cohort engine spreads its work, results unchanged to the bit: the kernel's worker threads are kept
for the process (``cohort_kernel.worker_pool``: a run of many short blocks starts at most one pool's threads,
not threads for every block), and a strategy whose values are the same in every sample runs one lane."""

import threading
from pathlib import Path

import numpy as np

from ipsecon.engines import blocks, cohort, cohort_kernel
from ipsecon.engines.cohort import run_cohort
from ipsecon.engines.simulate import horizon_cycles
from ipsecon.model.scenario import load_scenario

DATA = Path(__file__).parent / "data"


def _run(sc, n_samples):
    values = sc.base_values()
    return run_cohort(sc.model, values, sc.strata, sc.start_mix(values, n_samples), sc.spec.population.start_year,
                      horizon_cycles(sc, 2.0), n_samples)


def test_blocks_share_one_pool_and_match_one_thread(monkeypatch):
    sc = load_scenario(DATA / "darth_sick_sicker.yaml")
    monkeypatch.setattr(blocks, "COMPACT_ELEMENTS", 1)  # one cycle per block: 24 blocks per strategy
    n = cohort_kernel.LANES + 1  # two lane groups: two workers' tasks even with one stratum
    monkeypatch.setattr(cohort.nb, "get_num_threads", lambda: 1)
    one = _run(sc, n)
    monkeypatch.setattr(cohort.nb, "get_num_threads", lambda: 2)
    starts = []
    original = threading.Thread.start

    def counted(self):
        starts.append(self.name)
        return original(self)

    monkeypatch.setattr(threading.Thread, "start", counted)
    two = _run(sc, n)
    two_again = _run(sc, n)
    assert len(starts) <= 1, starts  # the pool's one thread (worker 0 is the caller); fresh threads for every block before (27 here)
    for name in ("occupancy", "flows", "ever"):
        for run in (two, two_again):
            assert np.array_equal(getattr(one, name), getattr(run, name)), name


def test_pool_made_again_in_a_forked_child(monkeypatch):
    pool = cohort_kernel.worker_pool(1)
    assert cohort_kernel.worker_pool(1) is pool
    monkeypatch.setattr(cohort_kernel.os, "getpid", lambda: -1)  # as in a child of fork(): the threads are gone
    child = cohort_kernel.worker_pool(1)
    assert child is not pool
    assert child.submit(lambda: 7).result() == 7


def test_a_strategy_alike_in_every_sample_runs_one_lane(monkeypatch):
    """Samples differing only in the IPS effect's half-life: the comparator's values are the same in every
    sample, so it runs one lane and its trace is copied; every sample's trace is that of its own run, to the bit."""
    root = Path(__file__).resolve().parents[1]
    sc = load_scenario(root / "scenarios/bodo.yaml")
    base, year, T = sc.base_values(), sc.spec.population.start_year, horizon_cycles(sc, 1.0)
    lives = float(base["ips.persistence.half_life"]) * np.array([0.5, 1.0, 2.0])
    lanes, running = [], []
    original, run_strategy = cohort_kernel.cohort_worker, cohort._run_strategy

    def counted(w, n_slots, sizes, layout, values, block, carry, *rest):
        lanes.append((running[-1], carry.occ.shape[2]))
        return original(w, n_slots, sizes, layout, values, block, carry, *rest)

    def named(k, strategy, *args, **kwargs):  # ips runs its users only, as a part (its non-users move as under tau)
        running.append(strategy)
        return run_strategy(k, strategy, *args, **kwargs)

    monkeypatch.setattr(cohort_kernel, "cohort_worker", counted)
    monkeypatch.setattr(cohort, "_run_strategy", named)
    many = run_cohort(sc.model, {**base, "ips.persistence.half_life": lives}, sc.strata, sc.start_mix(base, 3), year, T, 3)
    monkeypatch.setattr(cohort_kernel, "cohort_worker", original)
    assert {n for s, n in lanes if s == "tau"} == {1} and {n for s, n in lanes if s == "ips"} == {3}  # tau one lane, ips three
    for i, life in enumerate(lives):
        one = run_cohort(sc.model, {**base, "ips.persistence.half_life": np.array([life])}, sc.strata,
                         sc.start_mix(base, 1), year, T, 1)
        for name in ("occupancy", "flows", "ever"):
            assert np.array_equal(getattr(many, name)[i], getattr(one, name)[0]), (name, i)


def test_a_run_holding_the_pool_can_submit_after_another_run_grows_it():
    """Two runs at once in threads (a Dask worker with several threads, a notebook): one takes the pool, the
    other, with more strata, grows it; the first must still be able to hand its workers to the pool it took
    (a pool shut down on growth refused them: "cannot schedule new futures after shutdown")."""
    taken = cohort_kernel.worker_pool(1)
    grown = cohort_kernel.worker_pool(256)  # more than any run asks for: a new pool
    assert grown is not taken
    assert taken.submit(lambda: 7).result() == 7
