"""Microsimulation engine: individuals with memory, a compiled (numba) kernel.

* Random numbers are counter-based: the uniform for person ``id`` in cycle ``t`` is a
  hash of (seed, id, t, stream). A seed therefore gives identical results whatever the
  chunking or number of threads, and every strategy sees the same numbers for the same
  person and month (common random numbers).
* Memory is O(individuals): per person only the current state, time in state, the
  ever-visited flags and running reward totals are kept; the trace is accumulated as
  counts per stratum × month × state.
* The next state is drawn by inverse CDF from the same per-stratum probability tables
  the cohort engine uses, so the microsim mean converges to the cohort trace.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from . import accounting
from .cohort import block_length
from .model import CompiledModel
from .population import Strata
from .trace import Trace

STREAM_TRANSITION, STREAM_STRATUM, STREAM_START = 0, 1, 2
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@nb.njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@nb.njit(cache=True, inline="always")
def uniform(seed, person, t, stream):
    """A uniform in [0, 1) from the counter (seed, person, t, stream): splitmix64 rounds."""
    z = _mix(np.uint64(seed) * _GOLDEN + np.uint64(stream))
    z = _mix(z + np.uint64(person) * _GOLDEN)
    z = _mix(z + np.uint64(t + 1) * _GOLDEN)
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True)
def uniforms(seed, persons, t, stream):
    out = np.empty(persons.shape[0])
    for i in range(persons.shape[0]):
        out[i] = uniform(seed, persons[i], t, stream)
    return out


@nb.njit(cache=True, parallel=True)
def _run_block(pcum, next_duration, tr_index, ever_states, stratum, state, duration, ever, ids, seed, t0,
               chunk_bounds, occ_counts, flow_counts, ever_counts, w_point, w_transition, totals):
    """Advance every person through one block of cycles.

    pcum[g, j, s, d, s']: cumulative transition probabilities for cycle t0 + j.
    Counts go into per-chunk arrays (no races); per-person totals are per person.
    """
    n_chunks = chunk_bounds.shape[0] - 1
    tb = pcum.shape[1]
    S = pcum.shape[2]
    R = w_point.shape[0]
    for c in nb.prange(n_chunks):
        for i in range(chunk_bounds[c], chunk_bounds[c + 1]):
            g = stratum[i]
            s = state[i]
            d = duration[i]
            e = ever[i]
            for j in range(tb):
                t = t0 + j
                u = uniform(seed, ids[i], t, 0)
                nxt = 0
                while nxt < S - 1 and u >= pcum[g, j, s, d, nxt]:
                    nxt += 1
                if nxt == s:
                    d = next_duration[s, d]
                else:
                    k = tr_index[s, nxt]
                    if k >= 0:
                        flow_counts[c, g, t, k] += 1
                        for r in range(R):
                            totals[i, r] += w_transition[r, g, t, k]
                    s = nxt
                    d = 0
                for q in range(ever_states.shape[0]):
                    if s == ever_states[q]:
                        e |= 1 << q
                occ_counts[c, g, t + 1, s] += 1
                for q in range(ever_states.shape[0]):
                    if (e >> q) & 1:
                        ever_counts[c, g, t + 1, q] += 1
                for r in range(R):
                    totals[i, r] += w_point[r, g, t + 1, s]
            state[i] = s
            duration[i] = d
            ever[i] = e


def _chunks(n: int, chunk_size: int) -> np.ndarray:
    return np.unique(np.append(np.arange(0, n, max(1, chunk_size)), n)).astype(np.int64)


def draw_individuals(strata: Strata, start_mix: np.ndarray, n_individuals: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratum and start state per person, from counter-based draws (chunking-proof)."""
    ids = np.arange(n_individuals, dtype=np.int64)
    if strata.individuals is not None and len(strata.individuals) == n_individuals:
        stratum = strata.individuals["stratum"].to_numpy().astype(np.int64)
    else:
        u = uniforms(seed, ids, -1, STREAM_STRATUM)
        stratum = np.searchsorted(np.cumsum(strata.weight), u, side="right").clip(0, strata.size - 1).astype(np.int64)
    if strata.individuals is not None and "state" in strata.individuals and len(strata.individuals) == n_individuals:
        state = strata.individuals["state"].to_numpy().astype(np.int64)
    else:
        u = uniforms(seed, ids, -1, STREAM_START)
        cum = np.cumsum(start_mix[stratum], axis=1)
        state = (u[:, None] >= cum).sum(axis=1).clip(0, start_mix.shape[1] - 1).astype(np.int64)
    return stratum, state


def point_weights(model: CompiledModel, rewards: dict[str, np.ndarray], n_cycles: int) -> np.ndarray:
    """W[r, g, j, s]: what being in state s at point j adds to a person's discounted total of reward r."""
    names = list(model.rewards)
    T = n_cycles
    a, b = accounting.counting_weights(model.spec.counting, T)
    times = np.arange(T + 1) * model.cycle_years
    out = np.zeros((len(names), rewards[names[0]].shape[0] if names else 0, T + 1, model.n_states)) if names else np.zeros((0, 1, T + 1, model.n_states))
    for r, name in enumerate(names):
        v = accounting.discount_factors(times, model.spec.discount[model.rewards[name]["kind"]])
        R = rewards[name]  # [g, T, S]
        out[r, :, :-1] += a[None, :, None] * v[None, :-1, None] * R
        out[r, :, 1:] += b[None, :, None] * v[None, 1:, None] * R
    return out


def run_microsim(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
                 start_year: int, n_cycles: int, n_individuals: int, seed: int, n_samples: int = 1,
                 chunk_size: int = 4096) -> Trace:
    """Simulate ``n_individuals`` people per strategy (and per parameter sample)."""
    S, G, T = model.n_states, strata.size, n_cycles
    K, n = len(model.strategies), n_samples
    names = list(model.rewards)
    tr_index = np.full((S, S), -1, dtype=np.int64)
    for tr in model.transitions:
        tr_index[tr.source, tr.target] = tr.index
    ever_states = np.array(model.ever_in, dtype=np.int64)
    ids = np.arange(n_individuals, dtype=np.int64)
    bounds = _chunks(n_individuals, chunk_size)
    n_chunks = len(bounds) - 1
    occupancy = np.zeros((n, K, G, T + 1, S))
    flows = np.zeros((n, K, G, T, len(model.transitions)))
    ever = np.zeros((n, K, G, T + 1, len(model.ever_in)))
    reward_states = {r: np.zeros((n, K, G, T, S)) for r in names}
    reward_transitions = {r: np.zeros((n, K, G, T, len(model.transitions))) for r in names}
    totals_sd = {r: np.zeros((n, K)) for r in names}
    counts = np.zeros(G)
    tb = block_length(model, 1, G, T)
    times = np.arange(T + 1) * model.cycle_years
    for i in range(n):
        sample_values = {k: (v[i] if isinstance(v, np.ndarray) and v.ndim == 1 else v) for k, v in values.items()}
        mix = start_mix[min(i, start_mix.shape[0] - 1)]
        stratum0, state0 = draw_individuals(strata, mix, n_individuals, seed)
        counts = np.bincount(stratum0, minlength=G).astype(float)
        for k, strategy in enumerate(model.strategies):
            ns_all = model.namespace(sample_values, strata, start_year, strategy, np.arange(T), 1, with_duration=False)
            rewards = model.reward_values(ns_all, (1, G, T))
            for r in names:
                reward_states[r][i, k] = rewards[r]["states"][0]
                reward_transitions[r][i, k] = rewards[r]["transitions"][0]
            w_point = point_weights(model, {r: rewards[r]["states"][0] for r in names}, T)
            w_transition = np.zeros((len(names), G, T, len(model.transitions)))
            for r_i, r in enumerate(names):
                v = accounting.discount_factors(times, model.spec.discount[model.rewards[r]["kind"]])
                w_transition[r_i] = rewards[r]["transitions"][0] * v[None, 1:, None]
            state = state0.copy()
            duration = np.zeros(n_individuals, dtype=np.int64)
            ever_flags = np.zeros(n_individuals, dtype=np.int64)
            for q, e in enumerate(model.ever_in):
                ever_flags |= (state == e).astype(np.int64) << q
            totals = np.zeros((n_individuals, len(names)))
            for r_i in range(len(names)):
                totals[:, r_i] = w_point[r_i, stratum0, 0, state]
            occ_c = np.zeros((n_chunks, G, T + 1, S), dtype=np.int64)
            flow_c = np.zeros((n_chunks, G, T, len(model.transitions)), dtype=np.int64)
            ever_c = np.zeros((n_chunks, G, T + 1, len(model.ever_in)), dtype=np.int64)
            np.add.at(occ_c[0], (stratum0, 0, state), 1)
            for q in range(len(model.ever_in)):
                np.add.at(ever_c[0], (stratum0, 0, q), (ever_flags >> q) & 1)
            for t0 in range(0, T, tb):
                cycles = np.arange(t0, min(T, t0 + tb))
                ns = model.namespace(sample_values, strata, start_year, strategy, cycles, 1)
                P = model.probabilities(ns, strategy, (1, G, len(cycles)), strata, cycles)[0]
                pcum = np.cumsum(P, axis=-1)
                _run_block(pcum, model.next_duration, tr_index, ever_states, stratum0, state, duration, ever_flags,
                           ids, seed, t0, bounds, occ_c, flow_c, ever_c, w_point, w_transition, totals)
            with np.errstate(invalid="ignore", divide="ignore"):
                per = np.where(counts > 0, 1.0 / counts, 0.0)
            occupancy[i, k] = occ_c.sum(axis=0) * per[:, None, None]
            flows[i, k] = flow_c.sum(axis=0) * per[:, None, None]
            ever[i, k] = ever_c.sum(axis=0) * per[:, None, None]
            for r_i, r in enumerate(names):
                totals_sd[r][i, k] = totals[:, r_i].std(ddof=1) if n_individuals > 1 else np.nan
    weights = counts / counts.sum()
    return Trace("microsim", model.states, model.strategies,
                 [f"{model.states[t.source]}->{model.states[t.target]}" for t in model.transitions],
                 [model.states[e] for e in model.ever_in], model.cycle_years, weights,
                 occupancy, flows, ever, reward_states, reward_transitions, counts=counts, totals_sd=totals_sd)
