"""Cohort engine: exact expected state occupancy (a Markov trace) for every stratum.

Time in state is handled by internal tunnel states: staying moves mass one duration
step on (capped at the state's ``track_duration − 1``); entering a state puts it at
duration 0.

``run_cohort`` is a compiled (numba) kernel, run by worker threads over tasks of one
stratum × up to 64 samples (the samples side by side, so each cell update is a loop over
them). It reads each transition's per-cycle value from the model's compact buffer
(:meth:`CompiledModel.compact`), turns values into probabilities exactly as
:meth:`CompiledModel.probabilities` does, and remakes them only where the values change
(not along the durations of a tunnel state, rarely from one cycle to the next), so its
memory is the formulas' own arrays plus the trace. ``cohort_reward_totals`` runs the same
kernel but keeps no trace: it adds up reward totals as it goes (a PSA that needs only those
spends most of a traced run writing and re-reading the trace). ``run_cohort_reference`` is the
original dense array program over P[sample, stratum, cycle, state, duration, next];
tests check the two agree to rounding.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba as nb
import numpy as np

from ipsecon.errors import InputError
from ipsecon.model.state_machine import CompiledModel, pack_values
from ipsecon.model.population import Strata
from ipsecon.engines.trace import Trace

BLOCK_ELEMENTS = 4_000_000  # cap on the size of one block of transition probabilities (reference path)
COMPACT_ELEMENTS = 4_000_000  # cap on the size of one block of compact transition values


def block_length(model: CompiledModel, n_samples: int, n_strata: int, n_cycles: int) -> int:
    per_cycle = n_samples * n_strata * model.n_states ** 2 * model.max_duration
    return int(max(1, min(n_cycles, BLOCK_ELEMENTS // max(per_cycle, 1))))


def advance(model: CompiledModel, occ: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One cycle: occ[n, g, S, D] and P[n, g, S, D, S] -> (new occ, moves[n, g, S, S])."""
    flows = occ[..., None] * P
    moves = flows.sum(axis=3)
    S, D = model.n_states, model.max_duration
    idx = np.arange(S)
    stay = flows[:, :, idx, :, idx]  # (S, n, g, D)
    stay = np.moveaxis(stay, 0, 2)  # (n, g, S, D)
    new = np.zeros_like(occ)
    if D > 1:
        new[..., 1:] = stay[..., :-1]
        new[..., -1] += stay[..., -1]
        for s in range(S):
            cap = model.caps[s]
            if cap < D:
                new[..., s, cap - 1] += new[..., s, cap:].sum(axis=-1)
                new[..., s, cap:] = 0.0
    else:
        new[..., 0] = stay[..., 0]
    entries = moves.copy()
    entries[..., idx, idx] = 0.0
    new[..., 0] += entries.sum(axis=2)
    return new, moves


def run_cohort_reference(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
               start_year: int, n_cycles: int, n_samples: int = 1) -> Trace:
    """Expected occupancy for every sample, strategy and stratum: the dense reference path.

    ``values``: parameter values for formulas (floats, or arrays of length n_samples);
    ``start_mix``: [n_samples or 1, stratum, state] shares at cycle 0.
    """
    S, D, G, T = model.n_states, model.max_duration, strata.size, n_cycles
    K = len(model.strategies)
    n = n_samples
    occupancy = np.zeros((n, K, G, T + 1, S))
    flows = np.zeros((n, K, G, T, len(model.transitions)))
    ever = np.zeros((n, K, G, T + 1, len(model.ever_in)))
    reward_states = {r: np.zeros((n, K, G, T, S)) for r in model.rewards}
    reward_transitions = {r: np.zeros((n, K, G, T, len(model.transitions))) for r in model.rewards}
    src = np.array([tr.source for tr in model.transitions], dtype=int)
    dst = np.array([tr.target for tr in model.transitions], dtype=int)
    tb = block_length(model, n, G, T)
    start = np.broadcast_to(start_mix, (n, G, S))
    for k, strategy in enumerate(model.strategies):
        occ = np.zeros((n, G, S, D))
        occ[..., 0] = start
        never = [occ.copy() for _ in model.ever_in]
        for j, e in enumerate(model.ever_in):
            never[j][:, :, e, :] = 0.0
        occupancy[:, k, :, 0] = occ.sum(axis=-1)
        for j in range(len(model.ever_in)):
            ever[:, k, :, 0, j] = 1.0 - never[j].sum(axis=(-1, -2))
        for t0 in range(0, T, tb):
            cycles = np.arange(t0, min(T, t0 + tb))
            ns = model.namespace(values, strata, start_year, strategy, cycles, n)
            P = model.probabilities(ns, strategy, (n, G, len(cycles)), strata, cycles)
            rewards = model.reward_values(ns, (n, G, len(cycles)))
            for name, r in rewards.items():
                reward_states[name][:, k, :, t0:t0 + len(cycles)] = r["states"]
                reward_transitions[name][:, k, :, t0:t0 + len(cycles)] = r["transitions"]
            for i, t in enumerate(cycles):
                Pt = P[:, :, i]
                occ, moves = advance(model, occ, Pt)
                occupancy[:, k, :, t + 1] = occ.sum(axis=-1)
                flows[:, k, :, t] = moves[..., src, dst]
                for j, e in enumerate(model.ever_in):
                    never[j], _ = advance(model, never[j], Pt)
                    never[j][:, :, e, :] = 0.0
                    ever[:, k, :, t + 1, j] = 1.0 - never[j].sum(axis=(-1, -2))
    return Trace("cohort", model.states, model.strategies,
                 [f"{model.states[a]}->{model.states[b]}" for a, b in zip(src, dst)],
                 [model.states[e] for e in model.ever_in], model.cycle_years, strata.weight,
                 occupancy, flows, ever, reward_states, reward_transitions)


# --- compiled path ----------------------------------------------------------------------

ROW_ABSORBING, ROW_PROBABILITIES, ROW_HAZARDS = 0, 1, 2  # CompiledModel.row_kind


@nb.njit(cache=True)
def _pairwise_block(x, a, b):
    """numpy's pairwise_sum on x[a:b] for b − a <= 128: sequential below 8, else 8 accumulators."""
    n = b - a
    if n < 8:
        res = 0.0
        for i in range(a, b):
            res += x[i]
        return res
    r0, r1, r2, r3 = x[a], x[a + 1], x[a + 2], x[a + 3]
    r4, r5, r6, r7 = x[a + 4], x[a + 5], x[a + 6], x[a + 7]
    i = a + 8
    while i < b - n % 8:
        r0 += x[i]
        r1 += x[i + 1]
        r2 += x[i + 2]
        r3 += x[i + 3]
        r4 += x[i + 4]
        r5 += x[i + 5]
        r6 += x[i + 6]
        r7 += x[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < b:
        res += x[i]
        i += 1
    return res


@nb.njit(cache=True)
def _numpy_sum(x, a, b):
    """x[a:b].sum() in numpy's own order, so the kernels round exactly like the dense path and
    the microsim draws the same states from the same seed. Above 128 terms numpy halves the
    range (at a multiple of 8) and adds the halves; done here with an explicit stack, since
    numba's cache cannot hold recursive functions reliably."""
    if b - a <= 128:
        return _pairwise_block(x, a, b)
    lo = np.empty(64, dtype=np.int64)
    hi = np.empty(64, dtype=np.int64)
    left = np.empty(64)
    stage = np.zeros(64, dtype=np.int64)  # 0: not split yet, 1: summing the left half, 2: the right
    lo[0], hi[0], stage[0] = a, b, 0
    top = 0
    value = 0.0
    while True:
        n = hi[top] - lo[top]
        half = n // 2
        half -= half % 8
        if n <= 128:
            value = _pairwise_block(x, lo[top], hi[top])
        elif stage[top] == 0:
            stage[top] = 1
            lo[top + 1], hi[top + 1], stage[top + 1] = lo[top], lo[top] + half, 0
            top += 1
            continue
        elif stage[top] == 1:
            left[top] = value
            stage[top] = 2
            lo[top + 1], hi[top + 1], stage[top + 1] = lo[top] + half, hi[top], 0
            top += 1
            continue
        else:
            value = left[top] + value
        if top == 0:
            return value
        top -= 1


@nb.njit(cache=True)
def transition_probabilities(kind, vals, probs, a, b):
    """Probabilities of the transitions out of one state, probs[a:b], from their per-cycle
    values vals[a:b] (declaration order); returns the probability of staying.

    Same arithmetic, in the same order, as CompiledModel.probabilities: native
    probabilities as given, or competing risks p_j = r_j / R × (1 − exp(−R)); staying is
    the complement; everything clipped to [0, 1].
    """
    if kind == ROW_ABSORBING:
        return 1.0
    if kind == ROW_PROBABILITIES:
        for i in range(a, b):
            probs[i] = vals[i]
    else:
        total = _numpy_sum(vals, a, b)
        if total > 0:
            f = -math.expm1(-total)
            for i in range(a, b):
                probs[i] = vals[i] / total * f
        else:
            for i in range(a, b):
                probs[i] = 0.0
    stay = 1.0 - _numpy_sum(probs, a, b)
    for i in range(a, b):
        probs[i] = min(max(probs[i], 0.0), 1.0)
    return min(max(stay, 0.0), 1.0)


@nb.njit(cache=True, inline="always")
def compact_value(buf, offset, strides, q, n, g, j, d):
    """Per-cycle value of transition q for sample n, stratum g, block cycle j, duration d."""
    return buf[offset[q] + n * strides[q, 0] + g * strides[q, 1] + j * strides[q, 2] + d * strides[q, 3]]


LANES = 64  # samples of one stratum advanced together: the innermost loops run over them
OUT_CYCLES = 32  # cycles of results gathered per lane before they are written to the trace


@nb.njit(cache=True, inline="always")
def _state_sums(out, cells, cell, caps, nl):
    """out[s, l] = the sum of lane l over state s's tunnel cells (lanes 0 … nl − 1)."""
    for s in range(cell.shape[0]):
        out[s, :nl] = 0.0
        for c in range(cell[s], cell[s] + caps[s]):
            for l in range(nl):
                out[s, l] += cells[c, l]


@nb.njit(cache=True, nogil=True)
def _cohort_worker(w, n_slots, sizes, buf, offset, strides, row_kind, out_ptr, out_tr, dest, caps, cell, ever_states,
                   run_end, sample_free, changed, occ, never, k, t0, tb, keep, occupancy, flows, ever,
                   rs, rt, has_tr, rsel, wa, wb, wf, totals):
    """Worker w of ``_cohort_block``: tasks w, w + n_slots, … of strategy k through cycles
    t0 … t0 + tb − 1. A task is one stratum g and up to LANES samples, kept side by side
    (lane l = sample n0 + l) so that every per-cell update is a loop over lanes.

    occ[g, c, n] carries the mass in tunnel cell c = cell[s] + d between blocks, and
    never[g, e, c, n] the mass not yet in ever_states[e] (advanced alongside with the same
    probabilities, and emptied in that state each cycle). ``sizes`` = (states, ever states)
    as tuples of that many zeros, so their loops have compile-time lengths.

    A state's durations are taken in runs d … run_end[s, d] − 1 over which no value out of
    s changes (for any sample, stratum or cycle of the block). Per run and lane the values
    are read once and compared with those last seen there, unless changed[j, g·S + s] says
    none changed since the last cycle; the probabilities (and their exp) are remade only
    when they differ, once for all lanes when no value out of s depends on the sample
    (sample_free[s]). The mass leaving is gathered over the run and moved out once.

    ``keep``: write occupancy, flows and ever to the trace. Reward totals (see
    ``cohort_reward_totals``) are added up in totals[m, k, g, n] for m = 0 … M − 1: reward
    rsel[m] (state values rs[0], transition values rt[0] where has_tr, packed as by
    ``pack_values`` over (sample, stratum, cycle, state|transition)), cycle t weighted by
    wa[m, t], wb[m, t] (occupancy at its start and end) and wf[m, t] (flows).
    """
    S, E = len(sizes[0]), len(sizes[1])
    G, C, N = occ.shape
    Q = len(out_tr)
    M = wa.shape[0]
    L = min(N, LANES)
    n_blocks = (N + L - 1) // L
    width = 1
    for s in range(S):
        width = max(width, out_ptr[s + 1] - out_ptr[s])
    cur = np.empty((C, L))
    new = np.empty((C, L))
    nev = np.empty((E, C, L))
    nnew = np.empty((E, C, L))
    mass = np.empty(L)
    emass = np.empty((E, L))
    flow = np.empty((max(Q, 1), L))
    tot = np.empty(L)
    # per run start (tunnel cell r) and lane: values last read there, probabilities made from them
    seen = np.empty((C, width, L))
    probs = np.empty((C, width, L))
    stays = np.empty((C, L))
    fresh = np.empty((C, L), dtype=np.bool_)
    tv = np.empty(width)
    tp = np.empty(width)
    out_occ = np.empty((L, OUT_CYCLES, S))
    out_flow = np.empty((L, OUT_CYCLES, Q))
    out_ever = np.empty((L, OUT_CYCLES, E))
    xs = np.empty((S, L))  # occupancy of each state at the start of the cycle
    xe = np.empty((S, L))  # … and at its end
    acc = np.empty((M, L))
    val = np.empty(L)
    tsum = np.empty(L)
    rbuf, roff, rstr = rs
    tbuf, toff, tstr = rt
    R = len(roff) if M else 0
    need_flows = keep  # for the trace, or for rewards on transitions
    for m in range(M):
        need_flows = need_flows or has_tr[rsel[m]]
    # reward values of the lanes, gathered again only in cycles where they can change
    rl = np.empty((R, S, L))
    tl = np.empty((R, Q, L))
    for task in range(w, G * n_blocks, n_slots):
        g = task // n_blocks
        n0 = (task - g * n_blocks) * L
        nl = min(L, N - n0)
        for c in range(C):
            for l in range(nl):
                cur[c, l] = occ[g, c, n0 + l]
                for e in range(E):
                    nev[e, c, l] = never[g, e, c, n0 + l]
        fresh[:, :] = False
        _state_sums(xs, cur, cell, caps, nl)
        for m in range(M):
            for l in range(nl):
                acc[m, l] = totals[m, k, g, n0 + l]
        for j in range(tb):
            t = t0 + j
            new[:, :] = 0.0
            nnew[:, :, :] = 0.0
            if need_flows:
                flow[:, :] = 0.0
            for s in range(S):
                a, b = out_ptr[s], out_ptr[s + 1]
                c0, cap = cell[s], caps[s]
                if a == b:  # absorbing: the mass stays, moving along its tunnel
                    for d in range(cap):
                        dd = d + 1 if d + 1 < cap else cap - 1
                        for l in range(nl):
                            new[c0 + dd, l] += cur[c0 + d, l]
                        for e in range(E):
                            for l in range(nl):
                                nnew[e, c0 + dd, l] += nev[e, c0 + d, l]
                    continue
                d0 = 0
                while d0 < cap:
                    d1 = run_end[s, d0]
                    r = c0 + d0
                    # no value out of s changed since last cycle (for any sample): keep its probabilities
                    check = 0 if j > 0 and not changed[j, g * S + s] else (1 if sample_free[s] else nl)
                    for l in range(check):
                        n = n0 + l
                        same = fresh[r, l]
                        for i in range(a, b):
                            q = out_tr[i]
                            v = buf[offset[q] + n * strides[q, 0] + g * strides[q, 1] + j * strides[q, 2] + d0 * strides[q, 3]]
                            if v != seen[r, i - a, l]:
                                seen[r, i - a, l] = v
                                same = False
                        if not same:
                            for i in range(b - a):
                                tv[i] = seen[r, i, l]
                            stays[r, l] = transition_probabilities(row_kind[s], tv, tp, 0, b - a)
                            for i in range(b - a):
                                probs[r, i, l] = tp[i]
                            fresh[r, l] = True
                            if sample_free[s]:
                                for m in range(1, nl):
                                    stays[r, m] = stays[r, 0]
                                    for i in range(b - a):
                                        probs[r, i, m] = tp[i]
                    # staying moves one duration on (the last tunnel slot keeps its mass)
                    top = min(d1, cap - 1)
                    mass[:nl] = 0.0
                    for d in range(d0, top):
                        for l in range(nl):
                            x = cur[c0 + d, l]
                            new[c0 + d + 1, l] += x * stays[r, l]
                            mass[l] += x
                    if d1 == cap:
                        for l in range(nl):
                            x = cur[c0 + cap - 1, l]
                            new[c0 + cap - 1, l] += x * stays[r, l]
                            mass[l] += x
                    for e in range(E):
                        emass[e, :nl] = 0.0
                        for d in range(d0, top):
                            for l in range(nl):
                                x = nev[e, c0 + d, l]
                                nnew[e, c0 + d + 1, l] += x * stays[r, l]
                                emass[e, l] += x
                        if d1 == cap:
                            for l in range(nl):
                                x = nev[e, c0 + cap - 1, l]
                                nnew[e, c0 + cap - 1, l] += x * stays[r, l]
                                emass[e, l] += x
                    # the mass leaving during the run
                    for i in range(a, b):
                        to, q = dest[i], out_tr[i]
                        if need_flows:
                            for l in range(nl):
                                x = mass[l] * probs[r, i - a, l]
                                new[to, l] += x
                                flow[q, l] += x
                        else:
                            for l in range(nl):
                                new[to, l] += mass[l] * probs[r, i - a, l]
                        for e in range(E):
                            for l in range(nl):
                                nnew[e, to, l] += emass[e, l] * probs[r, i - a, l]
                    d0 = d1
            for e in range(E):
                es = ever_states[e]
                for c in range(cell[es], cell[es] + caps[es]):
                    for l in range(nl):
                        nnew[e, c, l] = 0.0
            _state_sums(xe, new, cell, caps, nl)
            # reward of the cycle as accounting.reward_per_cycle makes it, added to the totals
            for r in range(R):
                if j == 0 or rstr[r, 2] != 0:
                    for s in range(S):
                        at = roff[r] + g * rstr[r, 1] + t * rstr[r, 2] + s * rstr[r, 3]
                        for l in range(nl):
                            rl[r, s, l] = rbuf[at + (n0 + l) * rstr[r, 0]]
                if has_tr[r] and (j == 0 or tstr[r, 2] != 0):
                    for q in range(Q):
                        at = toff[r] + g * tstr[r, 1] + t * tstr[r, 2] + q * tstr[r, 3]
                        for l in range(nl):
                            tl[r, q, l] = tbuf[at + (n0 + l) * tstr[r, 0]]
            for m in range(M):
                r = rsel[m]
                a_, b_, f_ = wa[m, t], wb[m, t], wf[m, t]
                val[:nl] = 0.0
                for s in range(S):
                    for l in range(nl):
                        val[l] += rl[r, s, l] * (a_ * xs[s, l] + b_ * xe[s, l])
                if has_tr[r]:
                    tsum[:nl] = 0.0
                    for q in range(Q):
                        for l in range(nl):
                            tsum[l] += tl[r, q, l] * flow[q, l]
                    for l in range(nl):
                        val[l] += tsum[l] * f_
                for l in range(nl):
                    acc[m, l] += val[l]
            if keep:
                # results go to per-lane buffers first, then out in contiguous runs of cycles
                # (each lane's rows lie far apart in the trace; many small scattered writes are slow)
                m = j % OUT_CYCLES
                for s in range(S):
                    for l in range(nl):
                        out_occ[l, m, s] = xe[s, l]
                for q in range(Q):
                    for l in range(nl):
                        out_flow[l, m, q] = flow[q, l]
                for e in range(E):
                    tot[:nl] = 0.0
                    for c in range(C):
                        for l in range(nl):
                            tot[l] += nnew[e, c, l]
                    for l in range(nl):
                        out_ever[l, m, e] = 1.0 - tot[l]
                if m == OUT_CYCLES - 1 or j == tb - 1:
                    first = t - m
                    for l in range(nl):
                        occupancy[n0 + l, k, g, first + 1:t + 2] = out_occ[l, :m + 1]
                        flows[n0 + l, k, g, first:t + 1] = out_flow[l, :m + 1]
                        ever[n0 + l, k, g, first + 1:t + 2] = out_ever[l, :m + 1]
            cur, new = new, cur
            nev, nnew = nnew, nev
            xs, xe = xe, xs
        for m in range(M):
            for l in range(nl):
                totals[m, k, g, n0 + l] = acc[m, l]
        for c in range(C):
            for l in range(nl):
                occ[g, c, n0 + l] = cur[c, l]
                for e in range(E):
                    never[g, e, c, n0 + l] = nev[e, c, l]


def _cohort_block(n_slots: int, *args) -> None:
    """Advance every (sample, stratum) pair through one block of cycles: ``n_slots`` workers
    (``_cohort_worker``) on threads with the GIL released. Plain threads rather than a numba
    prange: a parallel region cannot take the type-level ``sizes`` tuple, and the same loop
    compiled on its own ran about twice as fast as inside one."""
    if n_slots == 1:
        _cohort_worker(0, n_slots, *args)
        return
    with ThreadPoolExecutor(n_slots) as pool:
        for f in [pool.submit(_cohort_worker, w, n_slots, *args) for w in range(n_slots)]:
            f.result()


def compact_block_length(model: CompiledModel, values: dict[str, Any], strata: Strata, start_year: int,
                         strategy: str, n_samples: int, n_cycles: int) -> int:
    """Cycles per block so that one block's compact values stay under COMPACT_ELEMENTS.

    A two-cycle probe shows which transitions vary over cycles (their buffers grow with
    the block) and which do not (fixed size). Usually the whole horizon fits in one block.
    """
    probe = np.arange(min(n_cycles, 2))
    try:
        ns = model.namespace(values, strata, start_year, strategy, probe, n_samples)
        cv = model.compact(ns, strategy, (n_samples, strata.size, len(probe)), strata, probe)
    except InputError:
        # bad input: use the dense path's blocks, so the first error found is the one it reports
        return block_length(model, n_samples, strata.size, n_cycles)
    per_cycle = sum(int(np.prod(sh)) // sh[2] for sh in cv.shapes if sh[2] > 1)
    fixed = sum(int(np.prod(sh)) for sh in cv.shapes if sh[2] == 1)
    return int(max(1, min(n_cycles, (COMPACT_ELEMENTS - fixed) // max(per_cycle, 1))))


def duration_runs(model: CompiledModel, cv) -> np.ndarray:
    """[s, d]: the end of the run of durations from d on over which no value out of state s
    changes (for any sample, stratum or cycle of the block): the kernels read values and
    make probabilities once per run."""
    S, D = model.n_states, model.max_duration
    change = np.zeros((S, D + 1), dtype=bool)
    change[:, D] = True
    change[np.arange(S), model.caps] = True
    for q, shape in enumerate(cv.shapes):
        if shape[3] > 1:
            v = cv.buf[cv.offset[q]:cv.offset[q] + int(np.prod(shape))].reshape(shape)
            change[model.transitions[q].source, 1:D] |= np.any(v[..., 1:] != v[..., :-1], axis=(0, 1, 2))
    # next change strictly after d
    ends = np.full((S, D + 1), D, dtype=np.int64)
    for d in range(D - 1, -1, -1):
        ends[:, d] = np.where(change[:, d + 1], d + 1, ends[:, d + 1])
    return np.ascontiguousarray(ends[:, :D])


def value_changes(model: CompiledModel, cv, n_strata: int, n_block: int) -> np.ndarray:
    """[j, g, s]: whether any value out of state s for stratum g (any sample, any duration)
    differs between block cycles j − 1 and j; True at j = 0."""
    changed = np.zeros((n_block, n_strata, model.n_states), dtype=bool)
    changed[0] = True
    for q, shape in enumerate(cv.shapes):
        if shape[2] > 1:
            v = cv.buf[cv.offset[q]:cv.offset[q] + int(np.prod(shape))].reshape(shape)
            diff = np.any(v[:, :, 1:, :] != v[:, :, :-1, :], axis=(0, 3))  # (g|1, cycles − 1)
            changed[1:, :, model.transitions[q].source] |= diff.T
    return changed


def sample_free(model: CompiledModel, cv) -> np.ndarray:
    """[s]: whether no value out of state s varies over samples (probabilities shared by all)."""
    out = np.ones(model.n_states, dtype=np.bool_)
    for q, shape in enumerate(cv.shapes):
        if shape[0] > 1:
            out[model.transitions[q].source] = False
    return out


def tunnel_cells(model: CompiledModel) -> np.ndarray:
    """First packed cell of each state: state s, duration d lives in cell[s] + d."""
    return np.concatenate([[0], np.cumsum(model.caps)[:-1]]).astype(np.int64)


def _stack_rewards(parts: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """Per-strategy reduced reward arrays (n|1, g|1, t|1, X) -> a read-only [n, K, g, t, X] view.

    Rewards rarely vary by sample and stratum and cycle at once; broadcasting keeps the
    trace's reward arrays from costing samples × strata × cycles × states each.
    """
    common = np.broadcast_shapes(*(p.shape for p in parts))
    out = np.zeros((common[0], len(parts)) + common[1:])
    for k, p in enumerate(parts):
        out[:, k] = p
    return np.broadcast_to(out, shape)


def run_cohort(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
               start_year: int, n_cycles: int, n_samples: int = 1) -> Trace:
    """Expected occupancy for every sample, strategy and stratum (compiled kernel).

    ``values``: parameter values for formulas (floats, or arrays of length n_samples);
    ``start_mix``: [n_samples or 1, stratum, state] shares at cycle 0. Same trace as
    :func:`run_cohort_reference` (to rounding), except that reward arrays are read-only
    broadcast views.
    """
    return _run(model, values, strata, start_mix, start_year, n_cycles, n_samples, None)


def cohort_reward_totals(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
                         start_year: int, n_cycles: int, n_samples: int,
                         weights: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
    """Population reward totals [m, sample, strategy] added up by the kernel, with no trace.

    ``weights[m]`` = (reward name, wa, wb, wf), per-cycle factors of length ``n_cycles``
    (``accounting.cycle_weights``): cycle t adds R(t)·(wa[t]·x_t + wb[t]·x_{t+1}) plus, where
    the reward declares transition values, TR(t)·flow_t·wf[t] — what
    ``accounting.reward_per_cycle`` makes from a trace, so the totals equal the trace's to
    rounding. Occupancy, flows and ever are never stored: for a PSA that needs only totals,
    writing them (and reading them back) is most of the run.
    """
    return _run(model, values, strata, start_mix, start_year, n_cycles, n_samples, weights)


def _run(model, values, strata, start_mix, start_year, n_cycles, n_samples, weights):
    """The trace (``weights`` None), or the reward totals of ``cohort_reward_totals``."""
    keep = weights is None
    S, G, T = model.n_states, strata.size, n_cycles
    K, n = len(model.strategies), n_samples
    Q = len(model.transitions)
    ever_in = model.ever_in if keep else []  # ever feeds only the trace
    J = len(ever_in)
    cell = tunnel_cells(model)
    C = int(model.caps.sum())
    ever_states = np.array(ever_in, dtype=np.int64)
    dest = cell[model.tr_target[model.out_tr]]  # where each outgoing transition (by position) enters
    sizes = ((0,) * S, (0,) * J)
    n_slots = max(1, min(nb.get_num_threads(), G * -(-n // LANES)))
    if keep:
        # every element is written (point 0 here, the rest by the kernel); np.empty spares the
        # page zeroing that np.zeros costs on these, the largest arrays of a PSA run
        occupancy = np.empty((n, K, G, T + 1, S))
        flows = np.empty((n, K, G, T, Q))
        ever = np.empty((n, K, G, T + 1, J))
    else:
        occupancy = flows = ever = np.empty((0,) * 5)
    rewards = {r: {"states": [], "transitions": []} for r in model.rewards}
    names = list(model.rewards)
    weights = weights or []
    M = len(weights)
    rsel = np.array([names.index(w[0]) for w in weights], dtype=np.int64)
    wa, wb, wf = (np.array([w[i] for w in weights], dtype=np.float64).reshape(M, T) for i in (1, 2, 3))
    has_tr = np.array([bool(model.rewards[r]["transitions"]) for r in names], dtype=np.bool_)
    totals = np.zeros((M, K, G, n))
    no_rewards = pack_values([])
    packs = (no_rewards, no_rewards)
    start = np.broadcast_to(start_mix, (n, G, S))
    for k, strategy in enumerate(model.strategies):
        # carried between blocks, samples last: occ[g, c, n], never[g, e, c, n]
        occ = np.zeros((G, C, n))
        occ[:, cell, :] = start.transpose(1, 2, 0)
        never = np.repeat(occ[:, None], J, axis=1)
        for j, e in enumerate(ever_in):
            never[:, j, cell[e]:cell[e] + model.caps[e]] = 0.0
        if keep:
            occupancy[:, k, :, 0] = start
            ever[:, k, :, 0] = 1.0 - never.sum(axis=2).transpose(2, 0, 1)
        tb = compact_block_length(model, values, strata, start_year, strategy, n, T)
        if M:  # the kernel reads the reward values as it goes
            ns = model.namespace(values, strata, start_year, strategy, np.arange(T), n, with_duration=False)
            reduced = model.reward_values_reduced(ns)
            packs = tuple(pack_values([reduced[r][what] for r in names]) for what in ("states", "transitions"))
        for t0 in range(0, T, tb):
            cycles = np.arange(t0, min(T, t0 + tb))
            ns = model.namespace(values, strata, start_year, strategy, cycles, n)
            cv = model.compact(ns, strategy, (n, G, len(cycles)), strata, cycles)
            _cohort_block(n_slots, sizes, cv.buf, cv.offset, cv.strides, model.row_kind, model.out_ptr, model.out_tr, dest,
                          model.caps, cell, ever_states, duration_runs(model, cv), sample_free(model, cv),
                          value_changes(model, cv, G, len(cycles)).reshape(len(cycles), -1), occ, never,
                          k, t0, len(cycles), keep, occupancy, flows, ever,
                          *((p.buf, p.offset, p.strides) for p in packs), has_tr, rsel, wa, wb, wf, totals)
        if keep:
            ns = model.namespace(values, strata, start_year, strategy, np.arange(T), n, with_duration=False)
            for name, parts in model.reward_values_reduced(ns).items():
                rewards[name]["states"].append(parts["states"])
                rewards[name]["transitions"].append(parts["transitions"])
    if not keep:
        return np.einsum("mkgn,g->mnk", totals, strata.weight)
    reward_states = {r: _stack_rewards(p["states"], (n, K, G, T, S)) for r, p in rewards.items()}
    reward_transitions = {r: _stack_rewards(p["transitions"], (n, K, G, T, Q)) for r, p in rewards.items()}
    return Trace("cohort", model.states, model.strategies,
                 [f"{model.states[t.source]}->{model.states[t.target]}" for t in model.transitions],
                 [model.states[e] for e in model.ever_in], model.cycle_years, strata.weight,
                 occupancy, flows, ever, reward_states, reward_transitions)
