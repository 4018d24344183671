"""Microsimulation engine: individuals with memory, a compiled (numba) kernel.

* Random numbers are counter-based: the uniform for person ``id`` in cycle ``t`` is a
  hash of (seed, id, t, stream). A seed therefore gives identical results whatever the
  chunking or number of threads, and every strategy sees the same numbers for the same
  person and month (common random numbers).
* Memory is O(individuals): per person only the current tunnel cell (state and time in
  state), the ever-visited flags and running reward totals are kept; the trace is
  accumulated as integer counts per worker × stratum × month × state (integers, so the
  sum over workers does not depend on how people were shared out).
* The next state is drawn by inverse CDF. ``run_microsim`` makes the probabilities in the
  kernel from the model's compact per-cycle values, with the same arithmetic as the
  cohort engine (``cohort.transition_probabilities``); each worker caches one cumulative
  row per stratum × tunnel cell and remakes it only in a month where a value out of that
  state changed. ``run_microsim_reference`` reads dense per-stratum tables instead; both
  draw identical states from the same seed (tests/test_kernels.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba as nb
import numpy as np

from . import accounting
from .cohort import (
    block_length,
    compact_block_length,
    compact_value,
    transition_probabilities,
    tunnel_cells,
    value_changes,
)
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


@nb.njit(cache=True, inline="always")
def _person_key(seed, person, stream):
    """The first two rounds of ``uniform``: they do not depend on t, so a person's are made once."""
    z = _mix(np.uint64(seed) * _GOLDEN + np.uint64(stream))
    return _mix(z + np.uint64(person) * _GOLDEN)


@nb.njit(cache=True, inline="always")
def _uniform_at(key, t):
    """``uniform(seed, person, t, stream)`` from the person's key: the same number."""
    z = _mix(key + np.uint64(t + 1) * _GOLDEN)
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True)
def person_keys(seed, ids, stream):
    out = np.empty(ids.shape[0], dtype=np.uint64)
    for i in range(ids.shape[0]):
        out[i] = _person_key(seed, ids[i], stream)
    return out


@nb.njit(cache=True)
def _make_row(buf, offset, strides, row_kind, out_ptr, out_tr, tr_target, s, g, j, d, cum, at, vals, probs, row):
    """cum[at:at + S − 1]: cumulative probabilities of the next state from state s at duration d
    (stratum g, block cycle j), made as CompiledModel.probabilities and np.cumsum make them."""
    a, b = out_ptr[s], out_ptr[s + 1]
    S = row.shape[0]
    for p in range(a, b):
        vals[p] = compact_value(buf, offset, strides, out_tr[p], 0, g, j, d)
    stay = transition_probabilities(row_kind[s], vals, probs, a, b)
    row[:] = 0.0
    for p in range(a, b):
        row[tr_target[out_tr[p]]] = probs[p]
    row[s] = stay
    acc = 0.0
    for y in range(S - 1):  # the last entry is never compared (the search stops at the last state)
        acc += row[y]
        cum[at + y] = acc


@nb.njit(cache=True, nogil=True)
def _run_worker(w, n_slots, sizes, buf, offset, strides, last_change, row_kind, out_ptr, out_tr, tr_target, tr_index,
                cell, cell_state, cell_next, ever_bit, stratum, xcell, ever, keys, t0, tb, chunk_bounds,
                occ_counts, flow_counts, ever_counts, w_point, w_transition, totals):
    """Worker w of ``_run_compact``: its chunks of people through cycles t0 … t0 + tb − 1.

    ``sizes`` = (states, rewards, ever states) as tuples of that many zeros: their lengths
    are compile-time constants, so the per-person loops over them unroll (about twice as
    fast as loops of run-time length). A person is (stratum[i], tunnel cell xcell[i]).
    Each worker keeps, per stratum × cell, the cumulative row of next-state probabilities
    and the block month it was made at; a row is remade only when
    last_change[j, g·S + s] (the latest month ≤ j at which a value out of state s changed
    for stratum g) is after that. Months are the outer loop so that a row made once serves
    every person of the worker that month. Chunks of people are dealt to ``n_slots``
    workers round-robin; each worker adds into its own integer count arrays.

    Layouts (flattened so each person-month does plain 1-D indexing): occ_counts[w, t, g·S + s],
    flow_counts[w, t, g·Q + k], ever_counts[w, t, g·E + q], w_point[t, (g·S + s)·R + r],
    w_transition[t, (g·Q + k)·R + r], totals[i, r].
    """
    S, R, E = len(sizes[0]), len(sizes[1]), len(sizes[2])
    n_chunks = chunk_bounds.shape[0] - 1
    C = cell_state.shape[0]
    Q = tr_target.shape[0]
    G = occ_counts.shape[2] // S
    tot = totals.reshape(-1)
    vals = np.empty(max(Q, 1))
    probs = np.empty(max(Q, 1))
    row = np.empty(S)
    made = np.full(G * C, -1, dtype=np.int64)
    cum = np.empty(G * C * S)
    for j in range(tb):
        t = t0 + j
        occ_t = occ_counts[w, t + 1]
        flow_t = flow_counts[w, t]
        ever_t = ever_counts[w, t + 1]
        wp_t = w_point[t + 1]
        wt_t = w_transition[t]
        change_t = last_change[j]
        for c in range(w, n_chunks, n_slots):
            for i in range(chunk_bounds[c], chunk_bounds[c + 1]):
                g = stratum[i]
                x = xcell[i]
                s = cell_state[x]
                gx = g * C + x
                if made[gx] < change_t[g * S + s]:
                    made[gx] = j
                    _make_row(buf, offset, strides, row_kind, out_ptr, out_tr, tr_target, s, g, j, x - cell[s],
                              cum, gx * S, vals, probs, row)
                u = _uniform_at(keys[i], t)
                # inverse CDF: the first state whose cumulative probability exceeds u, counted
                # without branches (rows are non-decreasing), at most the last state
                nxt = 0
                for y in range(S - 1):
                    nxt += u >= cum[gx * S + y]
                if nxt == s:
                    x = cell_next[x]
                else:
                    k = tr_index[s * S + nxt]
                    if k >= 0:
                        flow_t[g * Q + k] += 1
                        for r in range(R):
                            tot[i * R + r] += wt_t[(g * Q + k) * R + r]
                    x = cell[nxt]
                xcell[i] = x
                e = ever[i] | ever_bit[nxt]
                ever[i] = e
                occ_t[g * S + nxt] += 1
                for q in range(E):
                    ever_t[g * E + q] += (e >> q) & 1
                for r in range(R):
                    tot[i * R + r] += wp_t[(g * S + nxt) * R + r]


def _run_compact(n_slots: int, *args) -> None:
    """Advance every person through one block of cycles: ``n_slots`` workers (``_run_worker``)
    on threads, the GIL released. Plain threads rather than a numba prange: the type-level
    ``sizes`` tuple cannot be passed into a parallel region, and the worker loop compiled
    on its own ran about twice as fast as inside one."""
    if n_slots == 1:
        _run_worker(0, n_slots, *args)
        return
    with ThreadPoolExecutor(n_slots) as pool:
        for f in [pool.submit(_run_worker, w, n_slots, *args) for w in range(n_slots)]:
            f.result()


def last_value_change(model: CompiledModel, cv, n_strata: int, n_block: int) -> np.ndarray:
    """[j, g·S + s]: the latest block month ≤ j at which any value out of state s changed for
    stratum g (at any duration); 0 at the block's start. Rows made since are still valid."""
    changed = value_changes(model, cv, n_strata, n_block)
    months = np.arange(n_block)[:, None, None]
    return np.maximum.accumulate(np.where(changed, months, 0), axis=0).reshape(n_block, -1)


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


def run_microsim_reference(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
                 start_year: int, n_cycles: int, n_individuals: int, seed: int, n_samples: int = 1,
                 chunk_size: int = 4096) -> Trace:
    """Simulate ``n_individuals`` people per strategy (and per parameter sample): reference path
    over the dense probability tables."""
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


def run_microsim(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
                 start_year: int, n_cycles: int, n_individuals: int, seed: int, n_samples: int = 1,
                 chunk_size: int = 4096) -> Trace:
    """Simulate ``n_individuals`` people per strategy (and per parameter sample).

    Same draws, counts and per-person totals as :func:`run_microsim_reference` for the same
    seed, whatever ``chunk_size`` and the number of threads.
    """
    S, G, T = model.n_states, strata.size, n_cycles
    K, n = len(model.strategies), n_samples
    Q, E = len(model.transitions), len(model.ever_in)
    names = list(model.rewards)
    R = len(names)
    sizes = ((0,) * S, (0,) * R, (0,) * E)
    tr_index = np.full((S, S), -1, dtype=np.int64)
    for tr in model.transitions:
        tr_index[tr.source, tr.target] = tr.index
    cell = tunnel_cells(model)
    cell_state = np.repeat(np.arange(S), model.caps).astype(np.int64)
    # the cell after staying one more cycle: next duration, capped at the last tunnel slot
    cell_next = cell[cell_state] + np.minimum(np.arange(len(cell_state)) - cell[cell_state] + 1, model.caps[cell_state] - 1)
    ever_bit = np.zeros(S, dtype=np.int64)
    for q, e in enumerate(model.ever_in):
        ever_bit[e] |= 1 << q
    ids = np.arange(n_individuals, dtype=np.int64)
    keys = person_keys(seed, ids, STREAM_TRANSITION)
    bounds = _chunks(n_individuals, chunk_size)
    n_slots = max(1, min(nb.get_num_threads(), len(bounds) - 1))
    occupancy = np.zeros((n, K, G, T + 1, S))
    flows = np.zeros((n, K, G, T, Q))
    ever = np.zeros((n, K, G, T + 1, E))
    reward_states = {r: np.zeros((n, K, G, T, S)) for r in names}
    reward_transitions = {r: np.zeros((n, K, G, T, Q)) for r in names}
    totals_sd = {r: np.zeros((n, K)) for r in names}
    counts = np.zeros(G)
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
            w_transition = np.zeros((R, G, T, Q))
            for r_i, r in enumerate(names):
                v = accounting.discount_factors(times, model.spec.discount[model.rewards[r]["kind"]])
                w_transition[r_i] = rewards[r]["transitions"][0] * v[None, 1:, None]
            # [t, (g·S + s)·R + r]: what one person-month reads is contiguous
            w_point_k = np.ascontiguousarray(w_point.transpose(2, 1, 3, 0)).reshape(T + 1, G * S * R)
            w_transition_k = np.ascontiguousarray(w_transition.transpose(2, 1, 3, 0)).reshape(T, G * Q * R)
            xcell = cell[state0]
            ever_flags = np.zeros(n_individuals, dtype=np.int64)
            for q, e in enumerate(model.ever_in):
                ever_flags |= (state0 == e).astype(np.int64) << q
            totals = np.zeros((n_individuals, R))
            for r_i in range(R):
                totals[:, r_i] = w_point[r_i, stratum0, 0, state0]
            occ_c = np.zeros((n_slots, T + 1, G * S), dtype=np.int64)
            flow_c = np.zeros((n_slots, T, G * Q), dtype=np.int64)
            ever_c = np.zeros((n_slots, T + 1, G * E), dtype=np.int64)
            np.add.at(occ_c[0, 0], stratum0 * S + state0, 1)
            for q in range(E):
                np.add.at(ever_c[0, 0], stratum0 * E + q, (ever_flags >> q) & 1)
            tb = compact_block_length(model, sample_values, strata, start_year, strategy, 1, T)
            for t0 in range(0, T, tb):
                cycles = np.arange(t0, min(T, t0 + tb))
                ns = model.namespace(sample_values, strata, start_year, strategy, cycles, 1)
                cv = model.compact(ns, strategy, (1, G, len(cycles)), strata, cycles)
                last = last_value_change(model, cv, G, len(cycles))
                _run_compact(n_slots, sizes, cv.buf, cv.offset, cv.strides, last, model.row_kind, model.out_ptr,
                             model.out_tr, model.tr_target, tr_index.ravel(), cell, cell_state, cell_next, ever_bit,
                             stratum0, xcell, ever_flags, keys, t0, len(cycles), bounds, occ_c, flow_c, ever_c,
                             w_point_k, w_transition_k, totals)
            with np.errstate(invalid="ignore", divide="ignore"):
                per = np.where(counts > 0, 1.0 / counts, 0.0)
            occupancy[i, k] = occ_c.sum(axis=0).reshape(T + 1, G, S).transpose(1, 0, 2) * per[:, None, None]
            flows[i, k] = flow_c.sum(axis=0).reshape(T, G, Q).transpose(1, 0, 2) * per[:, None, None]
            ever[i, k] = ever_c.sum(axis=0).reshape(T + 1, G, E).transpose(1, 0, 2) * per[:, None, None]
            for r_i, r in enumerate(names):
                totals_sd[r][i, k] = totals[:, r_i].std(ddof=1) if n_individuals > 1 else np.nan
    weights = counts / counts.sum()
    return Trace("microsim", model.states, model.strategies,
                 [f"{model.states[t.source]}->{model.states[t.target]}" for t in model.transitions],
                 [model.states[e] for e in model.ever_in], model.cycle_years, weights,
                 occupancy, flows, ever, reward_states, reward_transitions, counts=counts, totals_sd=totals_sd)
