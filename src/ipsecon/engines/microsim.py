"""Microsimulation engine: individuals with memory, compiled (numba) kernels.

* Random numbers are counter-based (``draws``): a seed gives identical results whatever
  the chunking or number of threads, and every strategy sees the same numbers for the
  same person and month (common random numbers).
* Memory is O(individuals × samples): per person only the current tunnel cell (state and
  time in state), the ever-visited flags and running reward totals are kept; the trace is
  accumulated as integer counts per slot × stratum × month (integers, so the sum over
  workers does not depend on how people were shared out).
* Per strategy and block of months this module asks the model for its compact per-cycle
  values, has ``microsim_kernel.fill_rows`` make the cumulative rows the next state is
  drawn from, and ``microsim_kernel.walk`` take each person through the block; all PSA
  samples share its calls. ``run_microsim_reference`` (``microsim_reference``) reads
  dense per-stratum tables month by month; both draw identical states from the same seed
  (tests/test_kernels.py).
* ``kernel="events"`` (``microsim_kernel.walk_events``) draws one uniform per stay and one per
  destination instead of one per month: the same distribution from another random stream (``draws``),
  so it matches the cohort within Monte Carlo error, not the reference person for person.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numba as nb
import numpy as np

from ipsecon.engines import counting as accounting
from ipsecon.engines.assembly import make_trace, per_person, stack_rewards
from ipsecon.engines.cell_rewards import cell_masses
from ipsecon.engines.blocks import COMPACT_ELEMENTS, compact_block_length, duration_runs, sample_free, value_changes
from ipsecon.engines.draws import (
    STREAM_DESTINATION,
    STREAM_START,
    STREAM_STRATUM,
    STREAM_TRANSITION,
    draw_individuals,
    person_keys,
    uniform,
    uniforms,
)
from ipsecon.engines.kernels import packed
from ipsecon.engines.microsim_kernel import (
    BlockRows,
    Counts,
    People,
    Stays,
    StayWeights,
    WorkItems,
    chunk_bounds,
    fill_hazards,
    fill_rows,
    row_cells,
    start_stays,
    walk_all,
    walk_events_all,
)
from ipsecon.engines.microsim_reference import run_microsim_reference
from ipsecon.engines.reward_weights import point_weight_block, point_weights, reward_discount
from ipsecon.engines.structure import model_layout
from ipsecon.engines.trace import Trace
from ipsecon.errors import InputError
from ipsecon.model.population import Strata
from ipsecon.model.state_machine import CompiledModel

# the engine, and the names this module offered before the split (now made elsewhere)
__all__ = ["run_microsim", "batch_trace", "batch_count", "MC_BATCHES", "BATCH_GROUP", "run_microsim_reference",
           "draw_individuals", "point_weights", "point_weight_block", "person_keys", "uniform", "uniforms", "row_cells", "STREAM_TRANSITION", "STREAM_STRATUM", "STREAM_START",
           "TABLE_BYTES", "KERNELS"]

KERNELS = ("months", "events")  # run_microsim(kernel=...): a draw per person-month, or one per stay
TABLE_BYTES = 64 * 2 ** 20  # cap on one block's precomputed rows and reward weights
# person batches of a one-sample run: every curve's Monte Carlo error as the spread of the batch
# estimates (batch means); a power of two, so batches share out evenly over 2, 4, 8 or 16 threads
MC_BATCHES = 32
BATCH_GROUP = 8  # batches made into a trace at a time (``batch_trace``): what is made from them is 8 × one run's


def _block_cycles(model: CompiledModel, values: dict[str, Any], strata: Strata, start_year: int, strategy: str,
                  n_samples: int, n_cycles: int, n_rewards: int) -> int:
    """Cycles per block: the block's compact values (``compact_block_length``), rows and
    weights (per sample, as in a PSA, in the worst case) stay within their budgets."""
    S, C, G = model.n_states, int(model.slots.sum()), strata.size

    def fitting(rows: int) -> int:
        cells = C * n_rewards if model.cell_rewards else 0  # per-cell reward weights
        per_cycle = n_samples * G * (rows * (S + 1) + (S + len(model.transitions)) * n_rewards + cells) * 8
        return int(max(1, min(n_cycles, TABLE_BYTES // max(per_cycle, 1))))

    tb = fitting(C)  # at most a row per cell
    if tb < n_cycles:  # worth a closer bound: with trackers most cells share their state's row
        tb = fitting(_most_rows(model, values, strata, start_year, strategy, n_samples))
    # the compact values are at most one per transition × sample × stratum × cycle × duration;
    # only where that bound does not fit is it worth probing the formulas
    most = n_samples * G * tb * len(model.transitions) * model.width
    if most > COMPACT_ELEMENTS:
        tb = min(tb, compact_block_length(model, values, strata, start_year, strategy, n_samples, n_cycles))
    return tb


def _most_rows(model: CompiledModel, values: dict[str, Any], strata: Strata, start_year: int, strategy: str,
               n_samples: int) -> int:
    """Rows a block's tables can need (``row_cells``): a state's cells where some value out of it
    varies over the within-state index (reads ``duration`` or a tracker), else one. Whether a
    formula varies there is its broadcast shape, the same in every cycle: one probe cycle tells."""
    try:
        ns = model.namespace(values, strata, start_year, strategy, np.arange(1), n_samples)
        cv = model.compact(ns, strategy, (n_samples, strata.size, 1), strata, np.arange(1))
    except InputError:
        return int(model.slots.sum())  # bad input: the run itself reports it
    varies = np.zeros(model.n_states, dtype=bool)
    for q, shape in enumerate(cv.shapes):
        varies[model.transitions[q].source] |= shape[3] > 1
    return int(np.where(varies, model.slots, 1).sum())


def _work_items(n_samples: int, n_chunks: int, n_slots: int) -> tuple[WorkItems, int]:
    """(worker, sample, chunk, count slot) per work item, and the number of count slots. With
    enough samples each sample is one worker's, counted in its own slot; otherwise workers
    share each sample's chunks and count in a slot per worker × sample (summed afterwards)."""
    sample, chunk = (a.ravel().astype(np.int64) for a in np.meshgrid(np.arange(n_samples), np.arange(n_chunks), indexing="ij"))
    by_sample = n_samples >= 4 * n_slots
    worker = sample % n_slots if by_sample else chunk % n_slots
    slot = sample if by_sample else worker * n_samples + sample
    return WorkItems(worker, sample, chunk, slot), (n_samples if by_sample else n_slots * n_samples)


def batch_count(n_samples: int, n_individuals: int, batches: int | None = None) -> int:
    """Person batches a run counts apart (0: none): :data:`MC_BATCHES` by default for a run of one
    sample (a PSA's spread comes from its samples), at most half the people, none below two."""
    wanted = (MC_BATCHES if n_samples == 1 else 0) if batches is None else int(batches)
    B = min(wanted, n_individuals // 2) if n_samples == 1 else 0
    return B if B >= 2 else 0


def _people_order(stratum_of_id: np.ndarray, n_batches: int, chunk_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids in walking order, chunk bounds, batch of each chunk). People are sorted by stratum
    (ids, hence random numbers, go with them): neighbours read the same rows and weights. With
    batches (person id modulo B: independent draws, so independent batches) they are sorted by
    stratum, then batch, and no chunk spans two batches."""
    N, G = len(stratum_of_id), int(stratum_of_id.max(initial=0)) + 1
    if not n_batches:
        order = np.argsort(stratum_of_id.astype(np.int16) if G < 2 ** 15 else stratum_of_id, kind="stable")  # int16: radix sort
        return order, chunk_bounds(N, chunk_size), np.zeros(0, dtype=np.int64)
    piece_of_id = stratum_of_id.astype(np.int64) * n_batches + np.arange(N) % n_batches
    order = np.argsort(piece_of_id, kind="stable")
    piece = piece_of_id[order]
    bounds = np.unique(np.concatenate([chunk_bounds(N, chunk_size), np.flatnonzero(np.diff(piece)) + 1]))
    return order, bounds, order[bounds[:-1]] % n_batches


def run_microsim(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
                 start_year: int, n_cycles: int, n_individuals: int, seed: int, n_samples: int = 1,
                 chunk_size: int = 4096, batches: int | None = None, kernel: str = "months") -> Trace:
    """Simulate ``n_individuals`` people per strategy (and per parameter sample).

    Every sample runs in the same kernel calls (one per strategy and block of cycles).
    Same draws, counts and per-person totals as :func:`run_microsim_reference` for the same
    seed, whatever ``chunk_size`` and the number of threads.

    ``batches`` (:func:`batch_count`; default :data:`MC_BATCHES` for one sample): people are also
    counted per batch (person id modulo B), the same people in every strategy, and the trace keeps
    each batch's occupancy counts (``batch_occupancy``; :func:`batch_trace`) for the Monte Carlo
    error of every curve. The batches add up to the run's counts, so every result is bit for bit
    the same with or without them.

    ``kernel``: "months" draws every person's next state in every month (:func:`microsim_kernel.walk`);
    "events" draws how long each stay lasts and then where it goes (:func:`microsim_kernel.walk_events`):
    the same distribution from another use of the random numbers (``draws``), so a seed gives other
    people than "months" does (equal within Monte Carlo error), and :func:`run_microsim_reference`
    matches "months" only.
    """
    if kernel not in KERNELS:
        raise InputError(None, "kernel", f"unknown microsim kernel {kernel!r}", ", ".join(KERNELS))
    S, G, T = model.n_states, strata.size, n_cycles
    K, n, N = len(model.strategies), n_samples, n_individuals
    Q, E = len(model.transitions), len(model.ever_in)
    names = list(model.rewards)
    R = len(names)
    sizes = ((0,) * S, (0,) * R, (0,) * E)
    layout = model_layout(model)
    # stratum and start state per person (samples stacked); the stratum draw does not read the mix
    if start_mix.shape[0] > 1:
        drawn = [draw_individuals(strata, start_mix[min(i, start_mix.shape[0] - 1)], N, seed) for i in range(n)]
    else:
        drawn = [draw_individuals(strata, start_mix[0], N, seed)]
    B = batch_count(n, N, batches)
    order, bounds, chunk_batch = _people_order(drawn[0][0], B, chunk_size)
    n_slots = max(1, min(nb.get_num_threads(), n * (len(bounds) - 1)))
    if B:  # a worker per batch: moves counted per batch (B slots), everything else per worker
        n_slots = min(n_slots, B)
        chunks = np.arange(len(bounds) - 1, dtype=np.int64)
        items = WorkItems(chunk_batch % n_slots, np.zeros_like(chunks), chunks, chunk_batch)
        n_count, n_move = n_slots, B
    else:
        items, n_count = _work_items(n, len(bounds) - 1, n_slots)
        n_move = n_count
    stratum = drawn[0][0][order]
    keys = person_keys(seed, order.astype(np.int64), STREAM_TRANSITION)
    dest_keys = person_keys(seed, order.astype(np.int64), STREAM_DESTINATION) if kernel == "events" else keys
    state0 = np.concatenate([d[1][order] for d in drawn]) if len(drawn) > 1 else np.tile(drawn[0][1][order], n)
    ever0 = layout.ever_bit[state0]
    # everybody starts at duration 0, in the tracker bin they start with (0 without trackers)
    bin0 = np.broadcast_to(model.start_bins(values, strata, start_year, n), (n, G))[:, stratum].ravel()
    counts = np.bincount(stratum, minlength=G).astype(float)
    per = per_person(counts)
    a, b = accounting.counting_weights(model.spec.counting, T)
    times = np.arange(T + 1) * model.cycle_years
    v = {r: reward_discount(model, r, times) for r in names}
    occupancy = np.zeros((n, K, G, T + 1, S))
    flows = np.zeros((n, K, G, T, Q))
    ever = np.zeros((n, K, G, T + 1, E))
    rewards = {r: {"states": [], "transitions": []} for r in names}
    totals_sd = {r: np.zeros((n, K)) for r in names}
    diff_sd = {r: np.zeros((n, K)) for r in names}
    C_cells = int(model.slots.sum()) if model.cell_rewards else 0  # people counted per tunnel cell for those
    cells = np.zeros((n, K, G, T + 1, C_cells))
    # counts of at most a batch's people in a stratum: the smallest unsigned type that holds them (uint8 for
    # Bodø's 23,400 people in 96 strata), so the batches cost less than the run's float trace
    most = int(np.bincount(order % B * G + stratum).max()) if B else 0
    batch_occupancy = np.zeros((B, K, G, T + 1, S), dtype=np.min_scalar_type(most)) if B else None
    # with batches people walk in another order: the SDs below add each person's totals up in the order
    # people have without batches, so that they are bit for bit the same
    legacy = np.argsort(order)[_people_order(drawn[0][0], 0, chunk_size)[0]] if B else None
    # the comparator first: its per-person totals are kept to pair each other strategy's with them
    # (the same people and random numbers in every strategy; a strategy's run does not depend on order)
    paired = None
    kept: dict[int, np.ndarray] = {}
    for k in _comparator_first(model):
        strategy = model.strategies[k]
        ns = model.namespace(values, strata, start_year, strategy, np.arange(T), n, with_duration=False)
        reduced = model.reward_values_reduced(ns)
        for r in names:
            rewards[r]["states"].append(reduced[r]["states"])
            rewards[r]["transitions"].append(reduced[r]["transitions"])
        with_tr = any(np.any(reduced[r]["transitions"] != 0) for r in names)
        # rewards that read time in state or a tracker: a value per tunnel cell, added point by point
        cell_values = {}
        if model.cell_rewards:
            ns_cells = model.namespace(values, strata, start_year, strategy, np.arange(T), n)
            cell_values = {r: model.reward_cell_values(ns_cells, r) for r in model.cell_rewards}
        n_w = max([reduced[r][what].shape[0] for r in names for what in ("states", "transitions")]
                  + [c.shape[0] for c in cell_values.values()], default=1)
        totals = np.zeros((n, N, R))
        people = People(bounds, stratum, keys, layout.cell[state0] + model.bin_in[state0, bin0], ever0.copy(), totals.reshape(-1))
        # point 0 counts, then changes at each point (in the slot of the sample's first chunk)
        moves = np.zeros((n_move, G, T + 1, S), dtype=np.int64)
        flow_c = np.zeros((n_count, G, T, Q), dtype=np.int64)
        firsts = np.zeros((n_count, G, T + 1, E), dtype=np.int64)
        cell_c = np.zeros((n_count, G, T + 1, C_cells), dtype=np.int64)
        # (with batches: one sample; each batch's point 0 in its own slot of moves, the rest in slot 0)
        for i, at in enumerate(items.slot[items.chunk == 0] % n_count):
            span = slice(i * N, (i + 1) * N)
            if B:
                moves[:, :, 0] = np.bincount((order % B * G + stratum) * S + state0, minlength=B * G * S).reshape(B, G, S)
            else:
                moves[at, :, 0] = np.bincount(stratum * S + state0[span], minlength=G * S).reshape(G, S)
            for q in range(E):
                firsts[at, :, 0, q] = np.bincount(stratum, weights=(ever0[span] >> q) & 1, minlength=G)
            if C_cells:
                np.add.at(cell_c[at, :, 0], (stratum, people.xcell[span]), 1)
        tallies = Counts(moves, flow_c, firsts, cell_c)
        if kernel == "events":  # every strategy's first stays start from the same draws
            acc, target = np.empty(n * N, dtype=np.int64), np.empty(n * N, dtype=np.int64)
            start_stays(keys, n, acc, target)
        tb = _block_cycles(model, values, strata, start_year, strategy, n, T, R)
        for t0 in range(0, T, tb):
            cycles = np.arange(t0, min(T, t0 + tb))
            nb_ = len(cycles)
            ns = model.namespace(values, strata, start_year, strategy, cycles, n)
            cv = model.compact(ns, strategy, (n, G, nb_), strata, cycles)
            n_tab = 1 if sample_free(model, cv).all() else n
            cell_row, row_state, row_duration = row_cells(model, duration_runs(model, cv))
            rows = BlockRows(t0, nb_, n_tab, cell_row, row_state, row_duration,
                             np.empty(n_tab * G * nb_ * len(row_state) * (S + 1)))
            changes = value_changes(model, cv, G, nb_)
            fill_rows(packed(cv), layout, changes, rows)
            w_stay = np.zeros((n_w, G, S, nb_ + 2, R))
            for r_i, r in enumerate(names):
                if r in cell_values:  # counted per cell (w_cell), not per state
                    continue
                w = point_weight_block(a, b, v[r], reduced[r]["states"], t0, t0 + nb_ + 1)
                np.cumsum(np.broadcast_to(w, (n_w, G, nb_ + 1, S)).transpose(0, 1, 3, 2), axis=-1, out=w_stay[..., 1:, r_i])
            w_cell = np.zeros((n_w, G, nb_ + 1, C_cells, R) if cell_values else 1)
            for r_i, r in enumerate(names):
                if r in cell_values:
                    w_cell[..., r_i] = point_weight_block(a, b, v[r], cell_values[r], t0, t0 + nb_ + 1)
            if with_tr:
                w_tr = np.stack([np.broadcast_to(_cycles(reduced[r]["transitions"], cycles) * v[r][cycles + 1, None],
                                                 (n_w, G, nb_, Q)) for r in names], axis=-1)
            else:
                w_tr = np.zeros(1)
            weights = StayWeights(w_stay.reshape(-1), n_w, np.ascontiguousarray(w_tr).reshape(-1), with_tr,
                                  w_cell.reshape(-1), bool(cell_values))
            if kernel == "events":
                hazard = np.empty(n_tab * G * nb_ * len(row_state), dtype=np.int64)
                same = np.empty(G * nb_ * S, dtype=np.int64)
                fill_hazards(rows, changes, hazard, same)
                walk_events_all(n_slots, sizes, items, people, layout, rows, tallies, weights,
                                Stays(acc, target, dest_keys, hazard, same))
            else:
                walk_all(n_slots, sizes, items, people, layout, rows, tallies, weights)
            del cv, ns, rows, weights, w_stay, w_cell, w_tr  # freed before the next block's are made
        shares = per[None, :, None, None]
        fold = (n_count // n, n)
        occupancy[:, k] = np.cumsum(moves.reshape((n_move // n, n) + moves.shape[1:]).sum(axis=0), axis=2) * shares
        if B:
            _running_sum(moves, batch_occupancy[:, k])
        flows[:, k] = flow_c.reshape(fold + flow_c.shape[1:]).sum(axis=0) * shares
        ever[:, k] = np.cumsum(firsts.reshape(fold + firsts.shape[1:]).sum(axis=0), axis=2) * shares
        if C_cells:
            cells[:, k] = cell_c.reshape(fold + cell_c.shape[1:]).sum(axis=0) * shares
        in_order = totals if legacy is None else totals[:, legacy]
        for r_i, r in enumerate(names):  # column by column: faster than numpy's reduction over a middle axis
            totals_sd[r][:, k] = [in_order[i][:, r_i].std(ddof=1) for i in range(n)] if N > 1 else np.nan
            if paired is not None:
                diff_sd[r][:, k] = [(in_order[i][:, r_i] - paired[i][:, r_i]).std(ddof=1) for i in range(n)] if N > 1 else np.nan
        if paired is None:
            paired = in_order
        if n == 1:  # per-person output (``people.per_person_frame``): one sample's totals are small
            kept[k] = totals[0]
    reward_states = {r: stack_rewards(p["states"], (n, K, G, T, S)) for r, p in rewards.items()}
    reward_transitions = {r: stack_rewards(p["transitions"], (n, K, G, T, Q)) for r, p in rewards.items()}
    masses = {r: cell_masses(model, values, strata, start_year, cells, r, n) for r in model.cell_rewards}
    return make_trace("microsim", model, counts / counts.sum(), occupancy, flows, ever, reward_states,
                      reward_transitions, counts=counts, totals_sd=totals_sd, totals_diff_sd=diff_sd,
                      reward_masses=masses, people=_people(order, stratum, names, kept, K),
                      batch_occupancy=batch_occupancy)


@nb.njit(cache=True)
def _running_sum(moves: np.ndarray, out: np.ndarray) -> None:
    """out[b, g, t, s] = Σ over t' ≤ t of moves[b, g, t', s]: a batch's occupancy counts from its moves
    (in place, in ``out``'s type: numpy's cumsum over a middle axis, then a cast, took 10× as long)."""
    n_b, n_g, n_t, n_s = moves.shape
    for b in range(n_b):
        for g in range(n_g):
            for s in range(n_s):
                acc = 0
                for t in range(n_t):
                    acc += moves[b, g, t, s]
                    out[b, g, t, s] = acc


def batch_trace(trace: Trace, which: slice = slice(None), scale: float = 1.0) -> Trace | None:
    """A microsim run's person batches as the samples of a trace (None without batches).

    Sample b is batch b's estimate of the run's occupancy per stratum: B × its count / the run's people
    in the stratum, less the run's occupancy × (the batch's share of the strata weights × B − 1). The
    run's estimate is a weighted mean of its people, Σ_p λ_p x_p with λ = weight / people of the stratum
    (a ratio where subgroups are reweighted), and this is its linearisation per batch: the samples
    average to the run exactly, a batch with more than its share of an upweighted subgroup does not
    count that as noise, and without reweighting (λ = 1/N, batches of N/B people) the correction is 0.
    ``scale``: each sample is the run + scale × (batch estimate − run); with 1/sqrt(B) a sample deviates
    from the run by about one standard error, so a function re-evaluated per sample (a break-even wage)
    spreads as the delta method says. The spread over the samples of any linear function of the trace
    (shares, money per month, NPV), divided by (sqrt(B) × scale), is its Monte Carlo standard error (batch
    means); the batches hold the same people in every strategy, so a difference between strategies is
    paired. Flows and ever-in are not kept per batch (zero-width here); rewards are the run's, broadcast.
    ``which``: those batches only (a few at a time keep the memory of what is made from them small)."""
    if trace.batch_occupancy is None:
        return None
    B = trace.batch_occupancy.shape[0]
    counts = trace.batch_occupancy[which]
    n, K, G, T1, _ = counts.shape
    share = per_person(trace.counts)  # 1 / the run's people in each stratum
    run = trace.occupancy[:1]
    mass = B * (counts[:, 0, :, 0, :].sum(axis=-1) * share * trace.sample_weights(1)[0]).sum(axis=-1)  # [n]: mean 1
    estimate = counts * (B * share)[None, None, :, None, None] - (mass - 1)[:, None, None, None, None] * run
    occupancy = run + scale * (estimate - run)

    def broadcast(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x[:1], (n,) + x.shape[1:])

    return replace(trace, occupancy=occupancy, flows=np.zeros((n, K, G, T1 - 1, 0)), transitions=[],
                   ever=np.zeros((n, K, G, T1, 0)), ever_states=[],
                   reward_states={r: broadcast(x) for r, x in trace.reward_states.items()},
                   reward_transitions={r: broadcast(x[..., :0]) for r, x in trace.reward_transitions.items()},
                   totals_sd={}, totals_diff_sd={}, reward_masses={}, people=None, batch_occupancy=None)


def _people(order: np.ndarray, stratum: np.ndarray, names: list[str], kept: dict[int, np.ndarray], K: int) -> dict | None:
    """Per person (in id order: the id is the person's draw number, ``draws.person_keys``): stratum and
    each strategy's discounted totals, for a run of one sample; None otherwise."""
    if len(kept) < K:
        return None
    by_id = np.argsort(order, kind="stable")
    return {"person": order[by_id], "stratum": stratum[by_id],
            "totals": {r: np.stack([kept[k][by_id, r_i] for k in range(K)]) for r_i, r in enumerate(names)}}


def _comparator_first(model: CompiledModel) -> list[int]:
    """Strategy numbers with the comparator first, the others in declaration order."""
    c = model.comparator_index
    return [c] + [k for k in range(len(model.strategies)) if k != c]


def _cycles(R: np.ndarray, cycles: np.ndarray) -> np.ndarray:
    """R[..., t|1, X] on the given cycles (broadcast axes stay 1)."""
    return R[..., cycles, :] if R.shape[-2] > 1 else R
