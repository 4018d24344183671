"""Microsimulation engine: individuals with memory, a compiled (numba) kernel.

* Random numbers are counter-based: the uniform for person ``id`` in cycle ``t`` is a
  hash of (seed, id, t, stream). A seed therefore gives identical results whatever the
  chunking or number of threads, and every strategy sees the same numbers for the same
  person and month (common random numbers).
* Memory is O(individuals × samples): per person only the current tunnel cell (state and
  time in state), the ever-visited flags and running reward totals are kept; the trace is
  accumulated as integer counts per slot × stratum × month (integers, so the sum over
  workers does not depend on how people were shared out).
* The next state is drawn by inverse CDF from cumulative rows made before each block of
  months (``_fill_rows``) from the model's compact per-cycle values, with the same
  arithmetic as the cohort engine (``cohort.transition_probabilities``). The kernel
  (``_walk``) then takes each person through the block's months; all PSA samples share
  its calls. ``run_microsim_reference`` reads dense per-stratum tables month by month;
  both draw identical states from the same seed (tests/test_kernels.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba as nb
import numpy as np

from ipsecon.engines import counting as accounting
from ipsecon.engines.cohort import (
    COMPACT_ELEMENTS,
    _stack_rewards,
    block_length,
    compact_block_length,
    compact_value,
    duration_runs,
    sample_free,
    transition_probabilities,
    tunnel_cells,
    value_changes,
)
from ipsecon.model.state_machine import CompiledModel
from ipsecon.model.population import Strata
from ipsecon.engines.trace import Trace

STREAM_TRANSITION, STREAM_STRATUM, STREAM_START = 0, 1, 2
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
TABLE_BYTES = 64 * 2 ** 20  # cap on one block's precomputed rows and reward weights


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
def _make_row(buf, offset, strides, row_kind, out_ptr, out_tr, tr_target, s, n, g, j, d, cum, at, vals, probs, row):
    """cum[at:at + S − 1]: cumulative probabilities of the next state from state s at duration d
    (sample n, stratum g, block cycle j), made as CompiledModel.probabilities and np.cumsum make them."""
    a, b = out_ptr[s], out_ptr[s + 1]
    S = row.shape[0]
    for p in range(a, b):
        vals[p] = compact_value(buf, offset, strides, out_tr[p], n, g, j, d)
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
def _fill_rows(buf, offset, strides, row_kind, out_ptr, out_tr, tr_target, row_state, row_duration, changed, n_tab,
               n_strata, tb, pcum):
    """pcum[(((n·G + g)·tb + j)·B + b)·(S + 1) + y]: row b (``row_cells``) for sample n (or
    the one shared row set), block cycle j, stratum g: 0, the S − 1 cumulative probabilities,
    2 — so that staying in state s is row[s] ≤ u < row[s + 1] for any s, the first state and
    the last included. Where no value out of a state changed since the previous cycle
    (``changed``), that cycle's rows are copied instead of remade.
    """
    S = row_kind.shape[0]
    V = S + 1
    B = row_state.shape[0]
    Q = max(tr_target.shape[0], 1)
    # serial: a few per cent of a run, and no parallel region that a caller's threads could nest
    for ng in range(n_tab * n_strata):
        n, g = ng // n_strata, ng % n_strata
        vals, probs, row = np.empty(Q), np.empty(Q), np.empty(S)
        for j in range(tb):
            for b in range(B):
                s = row_state[b]
                at = (((n * n_strata + g) * tb + j) * B + b) * V
                if j > 0 and not changed[j, g, s]:
                    for y in range(V):
                        pcum[at + y] = pcum[at - B * V + y]
                    continue
                pcum[at] = 0.0
                _make_row(buf, offset, strides, row_kind, out_ptr, out_tr, tr_target, s, n, g, j, row_duration[b], pcum,
                          at + 1, vals, probs, row)
                pcum[at + S] = 2.0


def row_cells(model: CompiledModel, runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row of each tunnel cell, state of each row, duration it is made at): the cells of a state
    whose durations share every value (``cohort.duration_runs``) read one row, so a block's rows
    are few enough to stay in the fastest caches."""
    cell = tunnel_cells(model)
    cell_row = np.empty(int(model.caps.sum()), dtype=np.int64)
    row_state, row_duration = [], []
    for s in range(model.n_states):
        d = 0
        while d < model.caps[s]:
            end = min(int(runs[s, d]), int(model.caps[s]))
            cell_row[cell[s] + d:cell[s] + end] = len(row_state)
            row_state.append(s)
            row_duration.append(d)
            d = end
    return cell_row, np.array(row_state, dtype=np.int64), np.array(row_duration, dtype=np.int64)


@nb.njit(cache=True, nogil=True)
def _walk(w, sizes, item_worker, item_sample, item_chunk, item_slot, chunk_bounds, stratum, keys,
          xcell, ever, totals, pcum, n_tab, cell_row, cell, cell_state, cell_next, tr_index, ever_bit, t0, tb,
          moves, flow_counts, firsts, w_stay, n_w, w_transition, with_tr):
    """Worker w: its work items (sample, chunk of people) through block cycles t0 … t0 + tb − 1.

    People are the outer loop and months the inner one: a person's cell and flags stay in
    registers while each month's row is read from the precomputed ``pcum`` (``_fill_rows``);
    people come sorted by stratum, so neighbours read the same rows. Most months nobody
    moves, so work beyond drawing the next state happens only at a change of state:
    it is counted as one leaving and one arriving (``moves``; occupancy is their running
    sum), first entries into ever-states are counted (``firsts``), and the rewards of the
    stay just ended are added as a difference of cumulative weights (``w_stay``).

    ``sizes`` = (states, rewards, ever states) as tuples of that many zeros: their lengths
    are compile-time constants, so the loops over them unroll. Counts go to the item's slot
    (its sample, or its worker × sample where workers share a sample), as integers, so the
    sums do not depend on how people were shared out.

    Layouts: xcell/ever[n·N + p], totals[(n·N + p)·R + r]; moves[slot, g, t, s],
    flow_counts[slot, g, t, k], firsts[slot, g, t, q] at trace point or cycle t;
    w_stay[(((n·G + g)·S + s)·(tb + 2) + m)·R + r]: the sum of the point weights of state s
    over trace points t0 … t0 + m − 1; w_transition[(((n·G + g)·tb + j)·Q + k)·R + r] for
    cycle t0 + j.
    """
    S, R, E = len(sizes[0]), len(sizes[1]), len(sizes[2])
    V = S + 1
    N = stratum.shape[0]
    G = moves.shape[1]
    Q = flow_counts.shape[3]
    B = pcum.shape[0] // (max(n_tab, 1) * G * tb * V)  # rows per stratum and cycle
    M = (tb + 2) * R  # one state's cumulative weights
    for it in range(item_worker.shape[0]):
        if item_worker[it] != w:
            continue
        n, c, slot = item_sample[it], item_chunk[it], item_slot[it]
        nt = n if n_tab > 1 else 0
        nw = n if n_w > 1 else 0
        for p in range(chunk_bounds[c], chunk_bounds[c + 1]):
            g = stratum[p]
            ip = n * N + p
            x = xcell[ip]
            s = cell_state[x]
            e = ever[ip]
            key = keys[p]
            mv = moves[slot, g]
            fl = flow_counts[slot, g]
            fi = firsts[slot, g]
            rows = (nt * G + g) * tb * B * V
            stay = (nw * G + g) * S * M
            lo = 0 if t0 == 0 else 1  # the stay in s so far: block points lo … (point 0 is the first block's)
            for j in range(tb):
                u = _uniform_at(key, t0 + j)
                at = rows + (j * B + cell_row[x]) * V
                if pcum[at + s] <= u < pcum[at + s + 1]:  # stays (most months)
                    x = cell_next[x]
                    continue
                # inverse CDF without branches (rows are non-decreasing): at most the last state
                nxt = 0
                for y in range(1, S):
                    nxt += u >= pcum[at + y]
                t = t0 + j
                k = tr_index[s * S + nxt]
                if k >= 0:
                    fl[t, k] += 1
                    if with_tr:
                        for r in range(R):
                            totals[ip * R + r] += w_transition[(((nw * G + g) * tb + j) * Q + k) * R + r]
                ended = stay + s * M  # the stay in s: block points lo … j
                for r in range(R):
                    totals[ip * R + r] += w_stay[ended + (j + 1) * R + r] - w_stay[ended + lo * R + r]
                mv[t + 1, s] -= 1
                mv[t + 1, nxt] += 1
                new = ever_bit[nxt] & ~e
                if new:
                    for q in range(E):
                        fi[t + 1, q] += (new >> q) & 1
                    e |= new
                s = nxt
                x = cell[nxt]
                lo = j + 1
            for r in range(R):
                totals[ip * R + r] += w_stay[stay + s * M + (tb + 1) * R + r] - w_stay[stay + s * M + lo * R + r]
            xcell[ip] = x
            ever[ip] = e


def _walk_all(n_slots: int, *args) -> None:
    """``_walk`` on ``n_slots`` threads with the GIL released. Plain threads rather than a numba
    prange: a parallel region cannot take the type-level ``sizes`` tuple, and the loop
    compiled on its own ran about twice as fast as inside one."""
    if n_slots == 1:
        _walk(0, *args)
        return
    with ThreadPoolExecutor(n_slots) as pool:
        for f in [pool.submit(_walk, w, *args) for w in range(n_slots)]:
            f.result()


def _chunks(n: int, chunk_size: int) -> np.ndarray:
    return np.unique(np.append(np.arange(0, n, max(1, chunk_size)), n)).astype(np.int64)


@nb.njit(cache=True)
def _inverse_cdf(seed, n, stream, cum, row):
    """For person i: how many of cum[row[i], :] its uniform (seed, i, −1, stream) reaches,
    at most the last index (the state or stratum drawn)."""
    out = np.empty(n, dtype=np.int64)
    last = cum.shape[1] - 1
    for i in range(n):
        u = uniform(seed, i, -1, stream)
        r = row[i] if row.shape[0] > 0 else 0
        k = 0
        for y in range(cum.shape[1]):
            k += u >= cum[r, y]
        out[i] = min(k, last)
    return out


def draw_individuals(strata: Strata, start_mix: np.ndarray, n_individuals: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratum and start state per person, from counter-based draws (chunking-proof)."""
    if strata.individuals is not None and len(strata.individuals) == n_individuals:
        stratum = strata.individuals["stratum"].to_numpy().astype(np.int64)
    else:
        stratum = _inverse_cdf(seed, n_individuals, STREAM_STRATUM, np.cumsum(strata.weight)[None, :], np.zeros(0, np.int64))
    if strata.individuals is not None and "state" in strata.individuals and len(strata.individuals) == n_individuals:
        state = strata.individuals["state"].to_numpy().astype(np.int64)
    else:
        state = _inverse_cdf(seed, n_individuals, STREAM_START, np.cumsum(start_mix, axis=1), stratum)
    return stratum, state


def point_weight_block(a: np.ndarray, b: np.ndarray, v: np.ndarray, R: np.ndarray, p0: int, p1: int) -> np.ndarray:
    """W[..., p − p0, s] for trace points p0 ≤ p < p1: what being in state s at point p adds
    to a person's discounted total, for per-cycle rewards R[..., t|1, s] (t over all cycles
    or broadcast) and counting weights (a, b): W_p = a_p v_p R_p + b_{p−1} v_p R_{p−1},
    with the terms that do not exist at p = 0 and p = T left out."""
    T = len(a)
    at = (lambda idx: R[..., idx, :]) if R.shape[-2] > 1 else (lambda idx: R[..., np.zeros_like(idx), :])
    p = np.arange(p0, p1)
    out = np.zeros(R.shape[:-2] + (len(p), R.shape[-1]))
    now = p[p < T]
    out[..., :len(now), :] += (a[now] * v[now])[:, None] * at(now)
    after = p[p >= 1]
    out[..., len(p) - len(after):, :] += (b[after - 1] * v[after])[:, None] * at(after - 1)
    return out


def point_weights(model: CompiledModel, rewards: dict[str, np.ndarray], n_cycles: int) -> np.ndarray:
    """W[r, g, j, s]: what being in state s at point j adds to a person's discounted total of
    reward r, for rewards[name][g, t, s]."""
    a, b = accounting.counting_weights(model.spec.counting, n_cycles)
    times = np.arange(n_cycles + 1) * model.cycle_years
    parts = [point_weight_block(a, b, _discount(model, name, times), rewards[name], 0, n_cycles + 1) for name in model.rewards]
    return np.stack(parts) if parts else np.zeros((0, 1, n_cycles + 1, model.n_states))


def _discount(model: CompiledModel, reward: str, times: np.ndarray) -> np.ndarray:
    return accounting.discount_factors(times, model.spec.discount[model.rewards[reward]["kind"]])


def _transition_index(model: CompiledModel) -> np.ndarray:
    """[source, target] -> transition number, −1 where there is none."""
    out = np.full((model.n_states, model.n_states), -1, dtype=np.int64)
    for tr in model.transitions:
        out[tr.source, tr.target] = tr.index
    return out


def _ever_flags(model: CompiledModel, state: np.ndarray) -> np.ndarray:
    flags = np.zeros(state.shape, dtype=np.int64)
    for q, e in enumerate(model.ever_in):
        flags |= (state == e).astype(np.int64) << q
    return flags


def _sample_values(values: dict[str, Any], i: int) -> dict[str, Any]:
    return {k: (v[i] if isinstance(v, np.ndarray) and v.ndim == 1 else v) for k, v in values.items()}


def _trace(model: CompiledModel, counts: np.ndarray, occupancy, flows, ever, reward_states, reward_transitions,
           totals_sd) -> Trace:
    return Trace("microsim", model.states, model.strategies,
                 [f"{model.states[t.source]}->{model.states[t.target]}" for t in model.transitions],
                 [model.states[e] for e in model.ever_in], model.cycle_years, counts / counts.sum(),
                 occupancy, flows, ever, reward_states, reward_transitions, counts=counts, totals_sd=totals_sd)


def _per_person(counts: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, 1.0 / counts, 0.0)


def run_microsim_reference(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
                 start_year: int, n_cycles: int, n_individuals: int, seed: int, n_samples: int = 1,
                 chunk_size: int = 4096) -> Trace:
    """Simulate ``n_individuals`` people per strategy (and per parameter sample): reference path
    over the dense probability tables."""
    S, G, T = model.n_states, strata.size, n_cycles
    K, n = len(model.strategies), n_samples
    names = list(model.rewards)
    tr_index = _transition_index(model)
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
        sample_values = _sample_values(values, i)
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
                w_transition[r_i] = rewards[r]["transitions"][0] * _discount(model, r, times)[None, 1:, None]
            state = state0.copy()
            duration = np.zeros(n_individuals, dtype=np.int64)
            ever_flags = _ever_flags(model, state)
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
            per = _per_person(counts)
            occupancy[i, k] = occ_c.sum(axis=0) * per[:, None, None]
            flows[i, k] = flow_c.sum(axis=0) * per[:, None, None]
            ever[i, k] = ever_c.sum(axis=0) * per[:, None, None]
            for r_i, r in enumerate(names):
                totals_sd[r][i, k] = totals[:, r_i].std(ddof=1) if n_individuals > 1 else np.nan
    return _trace(model, counts, occupancy, flows, ever, reward_states, reward_transitions, totals_sd)


def _block_cycles(model: CompiledModel, values: dict[str, Any], strata: Strata, start_year: int, strategy: str,
                  n_samples: int, n_cycles: int, n_rewards: int) -> int:
    """Cycles per block: the block's compact values (``compact_block_length``), rows and
    weights (per sample, as in a PSA, in the worst case) stay within their budgets."""
    S, C, G = model.n_states, int(model.caps.sum()), strata.size
    per_cycle = n_samples * G * (C * (S + 1) + (S + len(model.transitions)) * n_rewards) * 8
    tb = int(max(1, min(n_cycles, TABLE_BYTES // max(per_cycle, 1))))
    # the compact values are at most one per transition × sample × stratum × cycle × duration;
    # only where that bound does not fit is it worth probing the formulas
    most = n_samples * G * tb * len(model.transitions) * model.max_duration
    if most > COMPACT_ELEMENTS:
        tb = min(tb, compact_block_length(model, values, strata, start_year, strategy, n_samples, n_cycles))
    return tb


def _work_items(n_samples: int, n_chunks: int, n_slots: int) -> tuple[np.ndarray, ...]:
    """(worker, sample, chunk, count slot) per work item. With enough samples each sample is
    one worker's, counted in its own slot; otherwise workers share each sample's chunks and
    count in a slot per worker × sample (summed afterwards)."""
    sample, chunk = (a.ravel().astype(np.int64) for a in np.meshgrid(np.arange(n_samples), np.arange(n_chunks), indexing="ij"))
    by_sample = n_samples >= 4 * n_slots
    worker = sample % n_slots if by_sample else chunk % n_slots
    slot = sample if by_sample else worker * n_samples + sample
    return worker, sample, chunk, slot, (n_samples if by_sample else n_slots * n_samples)


def run_microsim(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
                 start_year: int, n_cycles: int, n_individuals: int, seed: int, n_samples: int = 1,
                 chunk_size: int = 4096) -> Trace:
    """Simulate ``n_individuals`` people per strategy (and per parameter sample).

    Every sample runs in the same kernel calls (one per strategy and block of cycles).
    Same draws, counts and per-person totals as :func:`run_microsim_reference` for the same
    seed, whatever ``chunk_size`` and the number of threads.
    """
    S, G, T = model.n_states, strata.size, n_cycles
    K, n, N = len(model.strategies), n_samples, n_individuals
    Q, E = len(model.transitions), len(model.ever_in)
    names = list(model.rewards)
    R = len(names)
    sizes = ((0,) * S, (0,) * R, (0,) * E)
    tr_index = _transition_index(model).ravel()
    cell = tunnel_cells(model)
    cell_state = np.repeat(np.arange(S), model.caps).astype(np.int64)
    # the cell after staying one more cycle: next duration, capped at the last tunnel slot
    cell_next = cell[cell_state] + np.minimum(np.arange(len(cell_state)) - cell[cell_state] + 1, model.caps[cell_state] - 1)
    ever_bit = np.zeros(S, dtype=np.int64)
    for q, e in enumerate(model.ever_in):
        ever_bit[e] |= 1 << q
    bounds = _chunks(N, chunk_size)
    n_slots = max(1, min(nb.get_num_threads(), n * (len(bounds) - 1)))
    worker, item_sample, item_chunk, slot, n_count = _work_items(n, len(bounds) - 1, n_slots)
    # stratum and start state per person (samples stacked); the stratum draw does not read the mix
    if start_mix.shape[0] > 1:
        drawn = [draw_individuals(strata, start_mix[min(i, start_mix.shape[0] - 1)], N, seed) for i in range(n)]
    else:
        drawn = [draw_individuals(strata, start_mix[0], N, seed)]
    # people are kept sorted by stratum (ids, hence random numbers, go with them): neighbours
    # read the same rows and weights, and a person's data are read in order
    order = np.argsort(drawn[0][0].astype(np.int16) if G < 2 ** 15 else drawn[0][0], kind="stable")  # int16: radix sort
    stratum = drawn[0][0][order]
    keys = person_keys(seed, order.astype(np.int64), STREAM_TRANSITION)
    state0 = np.concatenate([d[1][order] for d in drawn]) if len(drawn) > 1 else np.tile(drawn[0][1][order], n)
    ever0 = _ever_flags(model, state0)
    counts = np.bincount(stratum, minlength=G).astype(float)
    per = _per_person(counts)
    a, b = accounting.counting_weights(model.spec.counting, T)
    times = np.arange(T + 1) * model.cycle_years
    v = {r: _discount(model, r, times) for r in names}
    occupancy = np.zeros((n, K, G, T + 1, S))
    flows = np.zeros((n, K, G, T, Q))
    ever = np.zeros((n, K, G, T + 1, E))
    rewards = {r: {"states": [], "transitions": []} for r in names}
    totals_sd = {r: np.zeros((n, K)) for r in names}
    for k, strategy in enumerate(model.strategies):
        ns = model.namespace(values, strata, start_year, strategy, np.arange(T), n, with_duration=False)
        reduced = model.reward_values_reduced(ns)
        for r in names:
            rewards[r]["states"].append(reduced[r]["states"])
            rewards[r]["transitions"].append(reduced[r]["transitions"])
        with_tr = any(np.any(reduced[r]["transitions"] != 0) for r in names)
        n_w = max([reduced[r][what].shape[0] for r in names for what in ("states", "transitions")], default=1)
        xcell = cell[state0]
        ever_flags = ever0.copy()
        totals = np.zeros((n, N, R))
        # point 0 counts, then changes at each point (in the slot of the sample's first chunk)
        moves = np.zeros((n_count, G, T + 1, S), dtype=np.int64)
        flow_c = np.zeros((n_count, G, T, Q), dtype=np.int64)
        firsts = np.zeros((n_count, G, T + 1, E), dtype=np.int64)
        for i, at in enumerate(slot[item_chunk == 0]):
            people = slice(i * N, (i + 1) * N)
            moves[at, :, 0] = np.bincount(stratum * S + state0[people], minlength=G * S).reshape(G, S)
            for q in range(E):
                firsts[at, :, 0, q] = np.bincount(stratum, weights=(ever_flags[people] >> q) & 1, minlength=G)
        tb = _block_cycles(model, values, strata, start_year, strategy, n, T, R)
        for t0 in range(0, T, tb):
            cycles = np.arange(t0, min(T, t0 + tb))
            nb_ = len(cycles)
            ns = model.namespace(values, strata, start_year, strategy, cycles, n)
            cv = model.compact(ns, strategy, (n, G, nb_), strata, cycles)
            n_tab = 1 if sample_free(model, cv).all() else n
            cell_row, row_state, row_duration = row_cells(model, duration_runs(model, cv))
            pcum = np.empty(n_tab * G * nb_ * len(row_state) * (S + 1))
            _fill_rows(cv.buf, cv.offset, cv.strides, model.row_kind, model.out_ptr, model.out_tr, model.tr_target,
                       row_state, row_duration, value_changes(model, cv, G, nb_), n_tab, G, nb_, pcum)
            w_stay = np.zeros((n_w, G, S, nb_ + 2, R))
            for r_i, r in enumerate(names):
                w = point_weight_block(a, b, v[r], reduced[r]["states"], t0, t0 + nb_ + 1)
                np.cumsum(np.broadcast_to(w, (n_w, G, nb_ + 1, S)).transpose(0, 1, 3, 2), axis=-1, out=w_stay[..., 1:, r_i])
            if with_tr:
                w_tr = np.stack([np.broadcast_to(_cycles(reduced[r]["transitions"], cycles) * v[r][cycles + 1, None],
                                                 (n_w, G, nb_, Q)) for r in names], axis=-1)
            else:
                w_tr = np.zeros(1)
            _walk_all(n_slots, sizes, worker, item_sample, item_chunk, slot, bounds, stratum, keys, xcell,
                      ever_flags, totals.reshape(-1), pcum, n_tab, cell_row, cell, cell_state, cell_next, tr_index, ever_bit,
                      t0, nb_, moves, flow_c, firsts, w_stay.reshape(-1), n_w,
                      np.ascontiguousarray(w_tr).reshape(-1), with_tr)
        shares = per[None, :, None, None]
        fold = (n_count // n, n)
        occupancy[:, k] = np.cumsum(moves.reshape(fold + moves.shape[1:]).sum(axis=0), axis=2) * shares
        flows[:, k] = flow_c.reshape(fold + flow_c.shape[1:]).sum(axis=0) * shares
        ever[:, k] = np.cumsum(firsts.reshape(fold + firsts.shape[1:]).sum(axis=0), axis=2) * shares
        for r_i, r in enumerate(names):  # column by column: faster than numpy's reduction over a middle axis
            totals_sd[r][:, k] = [totals[i][:, r_i].std(ddof=1) for i in range(n)] if N > 1 else np.nan
    reward_states = {r: _stack_rewards(p["states"], (n, K, G, T, S)) for r, p in rewards.items()}
    reward_transitions = {r: _stack_rewards(p["transitions"], (n, K, G, T, Q)) for r, p in rewards.items()}
    return _trace(model, counts, occupancy, flows, ever, reward_states, reward_transitions, totals_sd)


def _cycles(R: np.ndarray, cycles: np.ndarray) -> np.ndarray:
    """R[..., t|1, X] on the given cycles (broadcast axes stay 1)."""
    return R[..., cycles, :] if R.shape[-2] > 1 else R
