"""Microsimulation, compiled kernels: each block's next-state rows, then every person's walk.

``fill_rows`` makes, before each block of months, the cumulative rows the next state is
drawn from (inverse CDF), from the model's compact per-cycle values with the cohort's
arithmetic (``kernels.transition_probabilities``); ``walk`` then takes each person through
the block's months, all PSA samples in the same calls. Arguments come packed in
namedtuples: numba resolves their fields when compiling, so the loops read plain locals;
dispatching a call costs about 0.1 µs per array field (a few µs, once per block and worker).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numba as nb
import numpy as np

from ipsecon.engines.draws import uniform_at
from ipsecon.engines.kernels import compact_value, transition_probabilities
from ipsecon.engines.structure import tunnel_cells
from ipsecon.model.state_machine import CompiledModel


class BlockRows(NamedTuple):
    """Block cycles t0 … t0 + tb − 1 and their next-state rows (``row_cells``, ``fill_rows``)."""

    t0: int
    tb: int
    n_tab: int  # row sets: one per sample, or 1 shared by all
    cell_row: np.ndarray  # [cell]: the row it reads
    row_state: np.ndarray  # [row]: the state it leaves
    row_duration: np.ndarray  # [row]: the full within-state index it is made at (duration·B + tracker bin)
    pcum: np.ndarray  # the rows, laid out as ``fill_rows`` says


class WorkItems(NamedTuple):
    """Per work item (a sample × a chunk of people): its worker, sample, chunk and count slot."""

    worker: np.ndarray
    sample: np.ndarray
    chunk: np.ndarray
    slot: np.ndarray


class People(NamedTuple):
    """The people, sorted by stratum, and where each (sample, person) stands between blocks."""

    chunk_bounds: np.ndarray  # [chunk + 1]: first person of each chunk
    stratum: np.ndarray  # [p]
    keys: np.ndarray  # [p]: random-number key (``draws.person_keys``)
    xcell: np.ndarray  # [n·N + p]: tunnel cell (state, duration and tracker bin)
    ever: np.ndarray  # [n·N + p]: ever-state flags
    totals: np.ndarray  # [(n·N + p)·R + r]: discounted reward totals


class Counts(NamedTuple):
    """What the walk counts, per count slot, stratum and trace point or cycle."""

    moves: np.ndarray  # [slot, g, t, s]: arrivals minus leavings (occupancy is their running sum)
    flows: np.ndarray  # [slot, g, t, k]
    firsts: np.ndarray  # [slot, g, t, q]: first entries into ever_in[q] (a state or a group)
    cells: np.ndarray  # [slot, g, t, cell]: people in each tunnel cell (rewards per cell only, else size 0)


class StayWeights(NamedTuple):
    """Reward weights of the block (see ``walk``), per sample when n_w > 1."""

    w_stay: np.ndarray
    n_w: int
    w_transition: np.ndarray
    with_tr: bool
    w_cell: np.ndarray  # rewards per tunnel cell: what being in cell c at block point m adds (see ``walk``)
    with_cells: bool


def chunk_bounds(n: int, chunk_size: int) -> np.ndarray:
    """First person of each chunk of ``chunk_size`` people, and n."""
    return np.unique(np.append(np.arange(0, n, max(1, chunk_size)), n)).astype(np.int64)


@nb.njit(cache=True)
def _make_row(values, row_kind, out_ptr, out_tr, tr_target, s, n, g, j, d, cum, at, vals, probs, row):
    """cum[at:at + S − 1]: cumulative probabilities of the next state from state s at duration d
    (sample n, stratum g, block cycle j), made as CompiledModel.probabilities and np.cumsum make them."""
    a, b = out_ptr[s], out_ptr[s + 1]
    S = row.shape[0]
    for p in range(a, b):
        vals[p] = compact_value(values, out_tr[p], n, g, j, d)
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
def fill_rows(values, layout, changed, rows):
    """pcum[(((n·G + g)·tb + j)·B + b)·(S + 1) + y]: row b (``row_cells``) for sample n (or
    the one shared row set), block cycle j, stratum g: 0, the S − 1 cumulative probabilities,
    2 — so that staying in state s is row[s] ≤ u < row[s + 1] for any s, the first state and
    the last included. Where no value out of a state changed since the previous cycle
    (``changed[j, g, s]``), that cycle's rows are copied instead of remade.
    """
    row_kind, out_ptr, out_tr, tr_target = layout.row_kind, layout.out_ptr, layout.out_tr, layout.tr_target
    n_strata = changed.shape[1]
    tb, n_tab, row_state, row_duration, pcum = rows.tb, rows.n_tab, rows.row_state, rows.row_duration, rows.pcum
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
                _make_row(values, row_kind, out_ptr, out_tr, tr_target, s, n, g, j, row_duration[b], pcum,
                          at + 1, vals, probs, row)
                pcum[at + S] = 2.0


def row_cells(model: CompiledModel, runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row of each tunnel cell, state of each row, full within-state index it is made at): the cells of
    a state whose indices share every value (``blocks.duration_runs``) read one row, so a block's
    rows are few enough to stay in the fastest caches."""
    cell = tunnel_cells(model)
    cell_row = np.empty(int(model.slots.sum()), dtype=np.int64)
    row_state, row_duration = [], []
    for s in range(model.n_states):
        d = 0
        while d < model.slots[s]:
            end = min(int(runs[s, d]), int(model.slots[s]))
            cell_row[cell[s] + d:cell[s] + end] = len(row_state)
            row_state.append(s)
            row_duration.append(int(model.cell_index[s, d]))
            d = end
    return cell_row, np.array(row_state, dtype=np.int64), np.array(row_duration, dtype=np.int64)


@nb.njit(cache=True, inline="always")
def _enter_cell(x, j, t, ip, g, cs, wc, C, R, cell_counts, totals, w_cell):
    """Cell x held at block point j + 1 (cycle t + 1): counted, and its cell weights added (``with_cells``)."""
    cell_counts[cs, g, t + 1, x] += 1
    for r in range(R):
        totals[ip * R + r] += w_cell[wc + ((j + 1) * C + x) * R + r]


@nb.njit(cache=True, inline="always")
def _leave(s, nxt, e, j, t, lo, ip, trw, ended, S, R, E, tr_index, ever_bit, fl, mv, fi, totals, w_transition,
           with_tr, w_stay):
    """A move from state s to nxt in block cycle j (cycle t): its flow and transition rewards (``trw``: the
    cycle's first transition weight), the rewards of the stay in s that ends (block points lo … j; ``ended``:
    s's first cumulative weight), one leaving and one arriving, first entries into ever-states. Returns the
    ever flags after it."""
    k = tr_index[s * S + nxt]
    if k >= 0:
        fl[t, k] += 1
        if with_tr:
            for r in range(R):
                totals[ip * R + r] += w_transition[trw + k * R + r]
    for r in range(R):
        totals[ip * R + r] += w_stay[ended + (j + 1) * R + r] - w_stay[ended + lo * R + r]
    mv[t + 1, s] -= 1
    mv[t + 1, nxt] += 1
    new = ever_bit[nxt] & ~e
    if new:
        for q in range(E):
            fi[t + 1, q] += (new >> q) & 1
    return e | new


@nb.njit(cache=True, nogil=True)
def walk(w, sizes, items, people, layout, rows, counts, weights):
    """Worker w: its work items (sample, chunk of people) through block cycles t0 … t0 + tb − 1.

    People are the outer loop and months the inner one: a person's cell and flags stay in
    registers while each month's row is read from the precomputed ``pcum`` (``fill_rows``);
    people come sorted by stratum, so neighbours read the same rows. Most months nobody
    moves, so work beyond drawing the next state happens only at a change of state:
    it is counted as one leaving and one arriving (``moves``; occupancy is their running
    sum), first entries into ever-states are counted (``firsts``), and the rewards of the
    stay just ended are added as a difference of cumulative weights (``w_stay``).

    ``sizes`` = (states, rewards, ever states) as tuples of that many zeros: their lengths
    are compile-time constants, so the loops over them unroll. Counts go to the item's slot
    (its sample, or its worker × sample where workers share a sample), as integers, so the
    sums do not depend on how people were shared out. An array with fewer slots than that
    counts in slot modulo its length: person batches count ``moves`` per batch and the rest
    per worker (``microsim.run_microsim``, worker = batch modulo workers, so no two share one).

    Weights: w_stay[(((n·G + g)·S + s)·(tb + 2) + m)·R + r], the sum of the point weights
    of state s over trace points t0 … t0 + m − 1; w_transition[(((n·G + g)·tb + j)·Q + k)·R + r]
    for cycle t0 + j. Rewards that read time in state or a tracker (``with_cells``) have no state
    weights: each point adds w_cell[(((n·G + g)·(tb + 1) + m)·C + c)·R + r] of the cell c held at
    block point m, and the people in each cell are counted (``cells``, integers).
    """
    # unpacked once: the loops below read plain locals
    item_worker, item_sample, item_chunk, item_slot = items
    bounds, stratum, keys, xcell, ever, totals = people
    cell, cell_state, cell_next, cell_bin, bin_in = layout.cell, layout.cell_state, layout.cell_next, layout.cell_bin, layout.bin_in
    tr_index, ever_bit = layout.tr_index, layout.ever_bit
    t0, tb, n_tab, cell_row, pcum = rows.t0, rows.tb, rows.n_tab, rows.cell_row, rows.pcum
    moves, flow_counts, firsts, cell_counts = counts
    w_stay, n_w, w_transition, with_tr, w_cell, with_cells = weights
    C = cell_state.shape[0]
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
        for p in range(bounds[c], bounds[c + 1]):
            g = stratum[p]
            ip = n * N + p
            x = xcell[ip]
            s = cell_state[x]
            e = ever[ip]
            key = keys[p]
            mv = moves[slot % moves.shape[0], g]
            fl = flow_counts[slot % flow_counts.shape[0], g]
            fi = firsts[slot % firsts.shape[0], g]
            cs = slot % cell_counts.shape[0]
            table = (nt * G + g) * tb * B * V  # this sample's (or the shared) rows of stratum g
            stay = (nw * G + g) * S * M
            lo = 0 if t0 == 0 else 1  # the stay in s so far: block points lo … (point 0 is the first block's)
            wc = (nw * G + g) * (tb + 1) * C * R  # this sample's (or the shared) cell weights of stratum g
            if with_cells and t0 == 0:
                for r in range(R):
                    totals[ip * R + r] += w_cell[wc + x * R + r]
            for j in range(tb):
                u = uniform_at(key, t0 + j)
                at = table + (j * B + cell_row[x]) * V
                if pcum[at + s] <= u < pcum[at + s + 1]:  # stays (most months)
                    x = cell_next[x]
                    if with_cells:
                        _enter_cell(x, j, t0 + j, ip, g, cs, wc, C, R, cell_counts, totals, w_cell)
                    continue
                # inverse CDF without branches (rows are non-decreasing): at most the last state
                nxt = 0
                for y in range(1, S):
                    nxt += u >= pcum[at + y]
                t = t0 + j
                e = _leave(s, nxt, e, j, t, lo, ip, (((nw * G + g) * tb + j) * Q) * R, stay + s * M, S, R, E, tr_index,
                           ever_bit, fl, mv, fi, totals, w_transition, with_tr, w_stay)
                s = nxt
                x = cell[nxt] + bin_in[nxt, cell_bin[x]]  # duration 0, the tracker bin carried on (as nxt keeps it)
                lo = j + 1
                if with_cells:
                    _enter_cell(x, j, t, ip, g, cs, wc, C, R, cell_counts, totals, w_cell)
            for r in range(R):
                totals[ip * R + r] += w_stay[stay + s * M + (tb + 1) * R + r] - w_stay[stay + s * M + lo * R + r]
            xcell[ip] = x
            ever[ip] = e


def walk_all(n_slots: int, *args) -> None:
    """``walk`` on ``n_slots`` threads with the GIL released. Plain threads rather than a numba
    prange: a parallel region cannot take the type-level ``sizes`` tuple, and the loop
    compiled on its own ran about twice as fast as inside one."""
    if n_slots == 1:
        walk(0, *args)
        return
    with ThreadPoolExecutor(n_slots) as pool:
        for f in [pool.submit(walk, w, *args) for w in range(n_slots)]:
            f.result()


# --- the events kernel (``kernel="events"``): one draw per stay, not per month -----------------------
#
# A stay in a state lasts while the summed hazard of its months, Σ −ln P(stay in month m), stays at most
# −ln u for one uniform u ∈ (0, 1] drawn when the stay starts: P(still there after k months) = Π P(stay),
# as month-by-month draws give. Hazards are summed as integers (units of 2^-40, ``HAZARD_SCALE``), so a
# sum over months does not depend on how they are grouped: months whose row does not change are taken
# in one step (a state's cells that keep their cell and row: the reference model's every state), and the
# result is bitwise the same whatever the block, chunk or thread. On leaving, the destination is drawn
# from the leaving month's row without the stay, with a second uniform (stream ``STREAM_DESTINATION``).
# Quantising −ln P to 2^-40 moves a month's probability by at most 5·10^-13 (relative).

HAZARD_SCALE = float(2 ** 40)
HAZARD_NEVER_STAYS = np.int64(2 ** 52)  # a month that cannot be stayed (P(stay) = 0); above any target


class Stays(NamedTuple):
    """Per (sample, person): the current stay's summed hazard and its target; per person: the
    destination key. Per block: the rows' hazards and how many cycles each state's rows stay the same."""

    acc: np.ndarray  # [n·N + p] int64
    target: np.ndarray  # [n·N + p] int64
    dest_keys: np.ndarray  # [p] uint64
    hazard: np.ndarray  # [((n·G + g)·tb + j)·B + b] int64: −ln P(stay) of row b, in 2^-40 units
    same: np.ndarray  # [(g·tb + j)·S + s]: block cycles j … j + same − 1 read the same rows out of s


@nb.njit(cache=True, inline="always")
def stay_target(key, t):
    """−ln u in 2^-40 units, u ∈ (0, 1] the uniform of the stay that starts in cycle t."""
    return np.int64(-np.log(1.0 - uniform_at(key, t)) * HAZARD_SCALE)


@nb.njit(cache=True)
def start_stays(keys, n_samples, acc, target):
    """Everybody's first stay starts in cycle 0 (the same draw in every sample and strategy)."""
    N = keys.shape[0]
    for n in range(n_samples):
        for p in range(N):
            acc[n * N + p] = 0
            target[n * N + p] = stay_target(keys[p], 0)


@nb.njit(cache=True, nogil=True)
def fill_hazards(rows, changed, hazard, same):
    """The block's hazards (``Stays.hazard``) from the rows ``fill_rows`` made, and ``Stays.same``."""
    tb, n_tab, row_state, pcum = rows.tb, rows.n_tab, rows.row_state, rows.pcum
    G, S = changed.shape[1], changed.shape[2]
    B = row_state.shape[0]
    V = S + 1
    for i in range(n_tab * G * tb * B):
        s = row_state[i % B]
        at = i * V
        p = min(pcum[at + s + 1], 1.0) - pcum[at + s]  # the stay's share of the row, as ``walk`` reads it
        if p <= 0.0:
            hazard[i] = HAZARD_NEVER_STAYS
        elif p >= 1.0:
            hazard[i] = 0
        else:
            hazard[i] = np.int64(-np.log(p) * HAZARD_SCALE + 0.5)
    for g in range(G):
        for s in range(S):
            same[(g * tb + tb - 1) * S + s] = 1
            for j in range(tb - 2, -1, -1):
                same[(g * tb + j) * S + s] = 1 if changed[j + 1, g, s] else same[(g * tb + j + 1) * S + s] + 1


@nb.njit(cache=True, nogil=True)
def walk_events(w, sizes, items, people, layout, rows, counts, weights, stays):
    """``walk`` with one draw per stay (see above): the same counts, weights and slots; a month costs
    an integer addition, months whose row and cell do not change cost nothing."""
    item_worker, item_sample, item_chunk, item_slot = items
    bounds, stratum, keys, xcell, ever, totals = people
    cell, cell_state, cell_next, cell_bin, bin_in = layout.cell, layout.cell_state, layout.cell_next, layout.cell_bin, layout.bin_in
    tr_index, ever_bit = layout.tr_index, layout.ever_bit
    t0, tb, n_tab, cell_row, pcum = rows.t0, rows.tb, rows.n_tab, rows.cell_row, rows.pcum
    moves, flow_counts, firsts, cell_counts = counts
    w_stay, n_w, w_transition, with_tr, w_cell, with_cells = weights
    s_acc, s_target, dest_keys, hazard, same = stays
    C = cell_state.shape[0]
    S, R, E = len(sizes[0]), len(sizes[1]), len(sizes[2])
    V = S + 1
    N = stratum.shape[0]
    G = moves.shape[1]
    Q = flow_counts.shape[3]
    B = pcum.shape[0] // (max(n_tab, 1) * G * tb * V)
    M = (tb + 2) * R
    for it in range(item_worker.shape[0]):
        if item_worker[it] != w:
            continue
        n, c, slot = item_sample[it], item_chunk[it], item_slot[it]
        nt = n if n_tab > 1 else 0
        nw = n if n_w > 1 else 0
        for p in range(bounds[c], bounds[c + 1]):
            g = stratum[p]
            ip = n * N + p
            x = xcell[ip]
            s = cell_state[x]
            e = ever[ip]
            key = keys[p]
            acc, target = s_acc[ip], s_target[ip]
            mv = moves[slot % moves.shape[0], g]
            fl = flow_counts[slot % flow_counts.shape[0], g]
            fi = firsts[slot % firsts.shape[0], g]
            cs = slot % cell_counts.shape[0]
            table = (nt * G + g) * tb * B  # this sample's (or the shared) rows of stratum g, in rows
            stay = (nw * G + g) * S * M
            lo = 0 if t0 == 0 else 1
            wc = (nw * G + g) * (tb + 1) * C * R
            if with_cells and t0 == 0:
                for r in range(R):
                    totals[ip * R + r] += w_cell[wc + x * R + r]
            j = 0
            while j < tb:
                row = table + j * B + cell_row[x]
                h = hazard[row]
                if cell_next[x] == x and not with_cells:  # the same cell and row for `run` months
                    run = same[(g * tb + j) * S + s]
                    if h == 0:
                        j += run
                        continue
                    more = (target - acc) // h  # months it stays before the one it leaves in
                    if more >= run:
                        acc += run * h
                        j += run
                        continue
                    j += more
                else:
                    acc += h
                    if acc <= target:  # stays (most months)
                        x = cell_next[x]
                        if with_cells:
                            _enter_cell(x, j, t0 + j, ip, g, cs, wc, C, R, cell_counts, totals, w_cell)
                        j += 1
                        continue
                # leaves in block cycle j: where to, from this month's row without the stay
                at = row * V
                lo_s = pcum[at + s]
                p_stay = max(min(pcum[at + s + 1], 1.0) - lo_s, 0.0)
                v = uniform_at(dest_keys[p], t0 + j) * (1.0 - p_stay)
                if v >= lo_s:
                    v += p_stay
                nxt = 0
                for y in range(1, S):
                    nxt += v >= pcum[at + y]
                if nxt == s:  # rounding at the stay's edges: the next state that can be entered, else the one before
                    for y in range(s - 1, -1, -1):
                        if pcum[at + y + 1] > pcum[at + y]:
                            nxt = y
                            break
                    for y in range(s + 1, S):
                        if min(pcum[at + y + 1], 1.0) > pcum[at + y]:
                            nxt = y
                            break
                t = t0 + j
                e = _leave(s, nxt, e, j, t, lo, ip, (((nw * G + g) * tb + j) * Q) * R, stay + s * M, S, R, E, tr_index,
                           ever_bit, fl, mv, fi, totals, w_transition, with_tr, w_stay)
                s = nxt
                x = cell[nxt] + bin_in[nxt, cell_bin[x]]
                lo = j + 1
                acc, target = 0, stay_target(key, t + 1)
                if with_cells:
                    _enter_cell(x, j, t, ip, g, cs, wc, C, R, cell_counts, totals, w_cell)
                j += 1
            for r in range(R):
                totals[ip * R + r] += w_stay[stay + s * M + (tb + 1) * R + r] - w_stay[stay + s * M + lo * R + r]
            xcell[ip] = x
            ever[ip] = e
            s_acc[ip], s_target[ip] = acc, target


def walk_events_all(n_slots: int, *args) -> None:
    """``walk_events`` on ``n_slots`` threads (as ``walk_all``)."""
    if n_slots == 1:
        walk_events(0, *args)
        return
    with ThreadPoolExecutor(n_slots) as pool:
        for f in [pool.submit(walk_events, w, *args) for w in range(n_slots)]:
            f.result()
