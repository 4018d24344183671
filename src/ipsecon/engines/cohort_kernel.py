"""Cohort engine, compiled kernel: exact expected occupancy of every tunnel cell, cycle by cycle.

Worker threads take tasks of one stratum × up to LANES samples (side by side, so each cell
update is a loop over them) through a block of cycles. Values become probabilities with the
dense path's arithmetic (``kernels.transition_probabilities``), remade only where the values
change. The arguments come packed in namedtuples: numba resolves their fields when
compiling, so the loops read plain locals; dispatching a call costs about 0.1 µs per array
field (a few µs, once per block and worker). The structure of the model is
``structure.ModelLayout``, the block's transition values ``kernels.PackedValues``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numba as nb
import numpy as np

from ipsecon.engines.kernels import PackedValues, transition_probabilities

LANES = 64  # samples of one stratum advanced together: the innermost loops run over them
OUT_CYCLES = 32  # cycles of results gathered per lane before they are written to the trace


class CohortBlock(NamedTuple):
    """Strategy k through cycles t0 … t0 + tb − 1, and where the block's values change
    (``blocks.duration_runs``, ``blocks.sample_free``, ``blocks.value_changes``)."""

    k: int
    t0: int
    tb: int
    run_end: np.ndarray  # [s, d]
    sample_free: np.ndarray  # [s]
    changed: np.ndarray  # [j, g·S + s]


class CarriedMass(NamedTuple):
    """Mass carried from block to block, samples last."""

    occ: np.ndarray  # [g, cell, n]
    never: np.ndarray  # [g, e, cell, n]: mass not yet in ever_states[e]


class TraceArrays(NamedTuple):
    """Where the trace goes (``keep``), else unused."""

    keep: bool
    occupancy: np.ndarray  # [n, k, g, point, s]
    flows: np.ndarray  # [n, k, g, cycle, transition]
    ever: np.ndarray  # [n, k, g, point, e]
    cells: np.ndarray  # [n, k, g, point, cell]: occupancy of every tunnel cell, for rewards per cell (else size 0)


class RewardSums(NamedTuple):
    """Reward totals added up as the kernel goes (``cohort_reward_totals``)."""

    states: PackedValues  # each reward's state values over (sample, stratum, cycle, state)
    transitions: PackedValues  # … and transition values, read where has_tr
    has_tr: np.ndarray  # [reward]
    rsel: np.ndarray  # [m]: the reward of total m
    wa: np.ndarray  # [m, t]: weight of the occupancy at the start of cycle t
    wb: np.ndarray  # [m, t]: … at its end
    wf: np.ndarray  # [m, t]: … of its flows
    totals: np.ndarray  # [m, k, g, n]


@nb.njit(cache=True, inline="always")
def _state_sums(out, cells, cell, caps, nl):
    """out[s, l] = the sum of lane l over state s's tunnel cells (lanes 0 … nl − 1)."""
    for s in range(cell.shape[0]):
        out[s, :nl] = 0.0
        for c in range(cell[s], cell[s] + caps[s]):
            for l in range(nl):
                out[s, l] += cells[c, l]


@nb.njit(cache=True, nogil=True)
def cohort_worker(w, n_slots, sizes, layout, values, block, carry, trace, sums):
    """Worker w of ``run_block``: tasks w, w + n_slots, … of strategy k through cycles
    t0 … t0 + tb − 1. A task is one stratum g and up to LANES samples, kept side by side
    (lane l = sample n0 + l) so that every per-cell update is a loop over lanes.

    occ[g, c, n] carries the mass in tunnel cell c = cell[s] + i between blocks (i the
    within-state index: duration d·B + tracker bin; i = d without trackers), and
    never[g, e, c, n] the mass not yet in ever_in[e] (advanced alongside with the same
    probabilities, and emptied in its states each cycle). ``sizes`` = (states, ever states)
    as tuples of that many zeros, so their loops have compile-time lengths.

    A state's indices are taken in runs d … run_end[s, d] − 1 over which no value out of
    s changes (for any sample, stratum or cycle of the block). Per run and lane the values
    are read once and compared with those last seen there, unless changed[j, g·S + s] says
    none changed since the last cycle; the probabilities (and their exp) are remade only
    when they differ, once for all lanes when no value out of s depends on the sample
    (sample_free[s]). Staying moves a cell's mass to cell_next; the mass leaving is gathered
    over the run per tracker bin it carries (cell_bin) and moved out once per bin, to the
    target's cell at duration 0 in that bin, as the target keeps it (dest + bin_in[target, bin]).
    A cell's values are read at its full within-state index (cell_index).

    ``keep``: write occupancy, flows and ever to the trace. Reward totals are added up in
    totals[m, k, g, n] for m = 0 … M − 1: reward rsel[m] (state values rs, transition values
    rt where has_tr), cycle t weighted by wa[m, t], wb[m, t] (occupancy at its start and
    end) and wf[m, t] (flows).
    """
    # unpacked once: the loops below read plain locals
    row_kind, out_ptr, out_tr, dest = layout.row_kind, layout.out_ptr, layout.out_tr, layout.dest
    caps, cell, ever_bit = layout.caps, layout.cell, layout.ever_bit
    cell_next, cell_bin, cell_index, bin_in = layout.cell_next, layout.cell_bin, layout.cell_index, layout.bin_in
    tr_target = layout.tr_target
    buf, offset, strides, strata_at = values
    k, t0, tb, run_end, sample_free, changed = block
    occ, never = carry
    keep, occupancy, flows, ever, cells = trace
    keep_cells = keep and cells.shape[4] > 0
    rs, rt, has_tr, rsel, wa, wb, wf, totals = sums
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
    NB = 1  # tracker bins a leaving mass can carry
    for c in range(C):
        NB = max(NB, cell_bin[c] + 1)
    mass = np.empty((NB, L))
    bins = np.empty(NB, dtype=np.int64)  # the bins of a run that carry mass out (``emass``: ebins)
    ebins = np.empty(NB, dtype=np.int64)
    emass = np.empty((E, NB, L))
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
    rbuf, roff, rstr, rat = rs
    tbuf, toff, tstr, tat = rt
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
        # no never-mass in the cells of ever_in[e]'s own states, as run_cohort starts it and every cycle leaves
        # it: the never-mass of those states is then not advanced (all zeros), and nothing is added there
        clean = True
        for e in range(E):
            for es in range(S):
                if (ever_bit[es] >> e) & 1:
                    for c in range(cell[es], cell[es] + caps[es]):
                        for l in range(nl):
                            if nev[e, c, l] != 0.0:
                                clean = False
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
                        nx = cell_next[c0 + d]
                        for l in range(nl):
                            new[nx, l] += cur[c0 + d, l]
                        for e in range(E):
                            if clean and (ever_bit[s] >> e) & 1:
                                continue
                            for l in range(nl):
                                nnew[e, nx, l] += nev[e, c0 + d, l]
                    continue
                d0 = 0
                while d0 < cap:
                    d1 = run_end[s, d0]
                    r = c0 + d0
                    # no value out of s changed since last cycle (for any sample): keep its probabilities
                    check = 0 if j > 0 and not changed[j, g * S + s] else (1 if sample_free[s] else nl)
                    at = cell_index[r]  # the full within-state index its values are read at
                    for l in range(check):
                        n = n0 + l
                        same = fresh[r, l]
                        for i in range(a, b):
                            q = out_tr[i]
                            v = buf[offset[q] + n * strides[q, 0] + strata_at[q, g] + j * strides[q, 2] + at * strides[q, 3]]
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
                    # the tracker bins the run's cells carry out (bin 0 only without trackers)
                    lo_bin, hi_bin = cell_bin[r], cell_bin[r]
                    for d in range(d0 + 1, d1):
                        lo_bin = min(lo_bin, cell_bin[c0 + d])
                        hi_bin = max(hi_bin, cell_bin[c0 + d])
                    for h in range(lo_bin, hi_bin + 1):
                        mass[h, :nl] = 0.0
                        for e in range(E):
                            emass[e, h, :nl] = 0.0
                    # staying moves one duration on (the last duration keeps its mass) and the bin on
                    for d in range(d0, d1):
                        nx, h = cell_next[c0 + d], cell_bin[c0 + d]
                        for l in range(nl):
                            x = cur[c0 + d, l]
                            new[nx, l] += x * stays[r, l]
                            mass[h, l] += x
                    for e in range(E):
                        if clean and (ever_bit[s] >> e) & 1:
                            continue
                        for d in range(d0, d1):
                            nx, h = cell_next[c0 + d], cell_bin[c0 + d]
                            for l in range(nl):
                                x = nev[e, c0 + d, l]
                                nnew[e, nx, l] += x * stays[r, l]
                                emass[e, h, l] += x
                    # the mass leaving during the run, into the target's cell of the bin it carries; a bin
                    # empty in every lane would add exact zeros (masses and probabilities are >= 0), so it is
                    # left out: early in a run most tracker bins are empty (Bodø: 12 % less kernel time)
                    nz = 0
                    for h in range(lo_bin, hi_bin + 1):
                        for l in range(nl):
                            if mass[h, l] != 0.0:
                                bins[nz] = h
                                nz += 1
                                break
                    enz = 0
                    for h in range(lo_bin, hi_bin + 1):
                        found = False
                        for e in range(E):
                            for l in range(nl):
                                if emass[e, h, l] != 0.0:
                                    found = True
                                    break
                            if found:
                                break
                        if found:
                            ebins[enz] = h
                            enz += 1
                    for i in range(a, b):
                        q = out_tr[i]
                        nxt = tr_target[q]
                        for ib in range(nz):
                            h = bins[ib]
                            to = dest[i] + bin_in[nxt, h]
                            if need_flows:
                                for l in range(nl):
                                    x = mass[h, l] * probs[r, i - a, l]
                                    new[to, l] += x
                                    flow[q, l] += x
                            else:
                                for l in range(nl):
                                    new[to, l] += mass[h, l] * probs[r, i - a, l]
                        for e in range(E):
                            if (ever_bit[nxt] >> e) & 1:  # emptied below
                                continue
                            for ib in range(enz):
                                h = ebins[ib]
                                to = dest[i] + bin_in[nxt, h]
                                for l in range(nl):
                                    nnew[e, to, l] += emass[e, h, l] * probs[r, i - a, l]
                    d0 = d1
            for e in range(E):  # mass in ever_in[e] (any state of a group) has been there
                if clean:  # nothing was added in those cells
                    break
                for es in range(S):
                    if (ever_bit[es] >> e) & 1:
                        for c in range(cell[es], cell[es] + caps[es]):
                            for l in range(nl):
                                nnew[e, c, l] = 0.0
            clean = True
            _state_sums(xe, new, cell, caps, nl)
            if keep_cells:
                for l in range(nl):
                    for c in range(C):
                        cells[n0 + l, k, g, t + 1, c] = new[c, l]
            # reward of the cycle as accounting.reward_per_cycle makes it, added to the totals
            for r in range(R):
                if j == 0 or rstr[r, 2] != 0:
                    for s in range(S):
                        at = roff[r] + rat[r, g] + t * rstr[r, 2] + s * rstr[r, 3]
                        for l in range(nl):
                            rl[r, s, l] = rbuf[at + (n0 + l) * rstr[r, 0]]
                if has_tr[r] and (j == 0 or tstr[r, 2] != 0):
                    for q in range(Q):
                        at = toff[r] + tat[r, g] + t * tstr[r, 2] + q * tstr[r, 3]
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
                    for es in range(S):  # in cell order, less the cells of ever_in[e] (all zero)
                        if (ever_bit[es] >> e) & 1:
                            continue
                        for c in range(cell[es], cell[es] + caps[es]):
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


def run_block(n_slots: int, *args) -> None:
    """Advance every (sample, stratum) pair through one block of cycles: ``n_slots`` workers
    (``cohort_worker``) with the GIL released, worker 0 in the calling thread and the others on
    the pool's threads. Plain threads rather than a numba prange: a parallel region cannot take
    the type-level ``sizes`` tuple, and the same loop compiled on its own ran about twice as fast
    as inside one."""
    if n_slots == 1:
        cohort_worker(0, n_slots, *args)
        return
    futures = [worker_pool(n_slots - 1).submit(cohort_worker, w, n_slots, *args) for w in range(1, n_slots)]
    cohort_worker(0, n_slots, *args)
    for f in futures:
        f.result()


_POOL: dict[str, Any] = {"pid": None, "size": 0, "pool": None}


def worker_pool(size: int) -> ThreadPoolExecutor:
    """A thread pool of at least ``size`` threads, kept for the process: a block of a few cycles takes
    milliseconds, and starting fresh threads for each of a run's hundreds of blocks cost as much as
    their work (Bodø's simulate: 708 thread starts, 1.5 s). Made again in a forked child, where the
    parent's threads do not exist. A pool outgrown is not shut down: a run in another thread may hold it
    still and submit to it; its threads end once no one holds it."""
    if _POOL["pid"] != os.getpid() or _POOL["size"] < size:
        _POOL.update(pid=os.getpid(), size=size, pool=ThreadPoolExecutor(size, thread_name_prefix="ipsecon-cohort"))
    return _POOL["pool"]
