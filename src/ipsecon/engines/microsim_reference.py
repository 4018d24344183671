"""Microsimulation, reference path: dense per-stratum probability tables, month by month.

Each sample runs on its own, from P[stratum, cycle, state, duration, next] as the dense
cohort path builds it; the compiled path (``microsim.run_microsim``) draws identical states
from the same seed (tests/test_kernels.py).
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from ipsecon.engines.assembly import make_trace, per_person
from ipsecon.engines.blocks import block_length
from ipsecon.engines.draws import draw_individuals, uniform
from ipsecon.engines.microsim_kernel import chunk_bounds
from ipsecon.engines.cohort_reference import dense_masses
from ipsecon.engines.counting import counting_weights
from ipsecon.engines.reward_weights import point_weight_block, point_weights, reward_discount
from ipsecon.engines.structure import model_layout
from ipsecon.engines.trace import Trace
from ipsecon.model.population import Strata
from ipsecon.model.state_machine import CompiledModel


@nb.njit(cache=True, parallel=True)
def _run_block(pcum, layout, stratum, state, duration, ever, ids, seed, t0,
               bounds, occ_counts, flow_counts, ever_counts, w_point, w_transition, totals,
               with_cells, cell_counts, w_cell):
    """Advance every person through one block of cycles.

    pcum[g, j, s, d, s']: cumulative transition probabilities for cycle t0 + j, d the within-state
    index (duration·B + tracker bin): staying moves it to next_duration[s, d], leaving to
    entry_index[s, d] in the next state.
    Counts go into per-chunk arrays (no races); per-person totals are per person. Rewards per cell
    (``with_cells``): people counted per (state, index) in cell_counts[c, g, t, s·D + d], and
    w_cell[r, g, t, s·D + d] added for the (state, index) held at each point.
    """
    next_duration, entry_index = layout.next_duration, layout.entry_index
    tr_index, ever_bit = layout.tr_index, layout.ever_bit
    E = ever_counts.shape[3]
    n_chunks = bounds.shape[0] - 1
    tb = pcum.shape[1]
    S = pcum.shape[2]
    D = next_duration.shape[1]
    R = w_point.shape[0]
    for c in nb.prange(n_chunks):
        for i in range(bounds[c], bounds[c + 1]):
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
                    k = tr_index[s * S + nxt]
                    if k >= 0:
                        flow_counts[c, g, t, k] += 1
                        for r in range(R):
                            totals[i, r] += w_transition[r, g, t, k]
                    d = entry_index[s, d]
                    s = nxt
                for q in range(E):  # in ever_in[q]: its state, or a state of its group
                    if (ever_bit[s] >> q) & 1:
                        e |= 1 << q
                occ_counts[c, g, t + 1, s] += 1
                for q in range(E):
                    if (e >> q) & 1:
                        ever_counts[c, g, t + 1, q] += 1
                for r in range(R):
                    totals[i, r] += w_point[r, g, t + 1, s]
                if with_cells:
                    cell_counts[c, g, t + 1, s * D + d] += 1
                    for r in range(R):
                        totals[i, r] += w_cell[r, g, t + 1, s * D + d]
            state[i] = s
            duration[i] = d
            ever[i] = e


def _sample_values(values: dict[str, Any], i: int) -> dict[str, Any]:
    return {k: (v[i] if isinstance(v, np.ndarray) and v.ndim == 1 else v) for k, v in values.items()}


def run_microsim_reference(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
                 start_year: int, n_cycles: int, n_individuals: int, seed: int, n_samples: int = 1,
                 chunk_size: int = 4096) -> Trace:
    """Simulate ``n_individuals`` people per strategy (and per parameter sample): reference path
    over the dense probability tables."""
    S, G, T = model.n_states, strata.size, n_cycles
    K, n = len(model.strategies), n_samples
    names = list(model.rewards)
    layout = model_layout(model)
    ids = np.arange(n_individuals, dtype=np.int64)
    bounds = chunk_bounds(n_individuals, chunk_size)
    n_chunks = len(bounds) - 1
    occupancy = np.zeros((n, K, G, T + 1, S))
    flows = np.zeros((n, K, G, T, len(model.transitions)))
    ever = np.zeros((n, K, G, T + 1, len(model.ever_in)))
    reward_states = {r: np.zeros((n, K, G, T, S)) for r in names}
    reward_transitions = {r: np.zeros((n, K, G, T, len(model.transitions))) for r in names}
    totals_sd = {r: np.zeros((n, K)) for r in names}
    diff_sd = {r: np.zeros((n, K)) for r in names}
    counts = np.zeros(G)
    tb = block_length(model, 1, G, T)
    dense = np.zeros((n, K, G, T + 1, S, model.width)) if model.cell_rewards else None
    times = np.arange(T + 1) * model.cycle_years
    for i in range(n):
        sample_values = _sample_values(values, i)
        mix = start_mix[min(i, start_mix.shape[0] - 1)]
        stratum0, state0 = draw_individuals(strata, mix, n_individuals, seed)
        counts = np.bincount(stratum0, minlength=G).astype(float)
        paired = None  # the comparator's per-person totals, for the paired difference
        for k in [model.comparator_index] + [k for k in range(K) if k != model.comparator_index]:
            strategy = model.strategies[k]
            ns_all = model.namespace(sample_values, strata, start_year, strategy, np.arange(T), 1, with_duration=False)
            rewards = model.reward_values(ns_all, (1, G, T))
            for r in names:
                reward_states[r][i, k] = rewards[r]["states"][0]
                reward_transitions[r][i, k] = rewards[r]["transitions"][0]
            # rewards per cell: no state weights; a weight per (state, within-state index) instead
            cell_r = model.cell_rewards
            w_point = point_weights(model, {r: rewards[r]["states"][0] * (r not in cell_r) for r in names}, T)
            D = model.width
            w_cell = np.zeros((len(names), G, T + 1, S * D) if cell_r else (1, 1, 1, 1))
            if cell_r:
                ns_d = model.namespace(sample_values, strata, start_year, strategy, np.arange(T), 1)
                for r_i, r in enumerate(names):
                    if r in cell_r:
                        w_cell[r_i] = point_weights_dense(model, ns_d, r, G, T, times)
            w_transition = np.zeros((len(names), G, T, len(model.transitions)))
            for r_i, r in enumerate(names):
                w_transition[r_i] = rewards[r]["transitions"][0] * reward_discount(model, r, times)[None, 1:, None]
            state = state0.copy()
            duration = model.start_bins(sample_values, strata, start_year, 1)[0, stratum0]  # duration 0, the start bin
            ever_flags = layout.ever_bit[state]
            totals = np.zeros((n_individuals, len(names)))
            for r_i in range(len(names)):
                totals[:, r_i] = w_point[r_i, stratum0, 0, state] + (w_cell[r_i, stratum0, 0, state * D + duration]
                                                                     if cell_r else 0.0)
            cell_c = np.zeros((n_chunks, G, T + 1, S * D) if cell_r else (1, 1, 1, 1), dtype=np.int64)
            if cell_r:
                np.add.at(cell_c[0], (stratum0, 0, state * D + duration), 1)
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
                _run_block(pcum, layout, stratum0, state, duration, ever_flags,
                           ids, seed, t0, bounds, occ_c, flow_c, ever_c, w_point, w_transition, totals,
                           bool(cell_r), cell_c, w_cell)
            per = per_person(counts)
            occupancy[i, k] = occ_c.sum(axis=0) * per[:, None, None]
            flows[i, k] = flow_c.sum(axis=0) * per[:, None, None]
            ever[i, k] = ever_c.sum(axis=0) * per[:, None, None]
            if cell_r:
                dense[i, k] = (cell_c.sum(axis=0) * per[:, None, None]).reshape(G, T + 1, S, D)
            for r_i, r in enumerate(names):
                totals_sd[r][i, k] = totals[:, r_i].std(ddof=1) if n_individuals > 1 else np.nan
                if paired is not None:
                    diff_sd[r][i, k] = (totals[:, r_i] - paired[:, r_i]).std(ddof=1) if n_individuals > 1 else np.nan
            if paired is None:
                paired = totals
    masses = {r: dense_masses(model, values, strata, start_year, dense, r, n) for r in model.cell_rewards}
    return make_trace("microsim", model, counts / counts.sum(), occupancy, flows, ever, reward_states,
                      reward_transitions, counts=counts, totals_sd=totals_sd, totals_diff_sd=diff_sd,
                      reward_masses=masses)


def point_weights_dense(model: CompiledModel, ns: dict[str, Any], name: str, G: int, T: int,
                        times: np.ndarray) -> np.ndarray:
    """W[g, p, s·D + i]: what holding (state s, within-state index i) at point p adds to a person's
    total of cell reward ``name`` (its formulas over the index axis, one sample)."""
    D = model.width
    R = np.zeros((G, T, model.n_states, D))
    for s, f in model.rewards[name]["states"].items():
        v = np.asarray(f(ns), dtype=float)
        R[:, :, s, :] = np.broadcast_to(v.reshape((1,) * (4 - v.ndim) + v.shape), (1, G, T, D))[0]
    a, b = counting_weights(model.spec.counting, T)
    return point_weight_block(a, b, reward_discount(model, name, times), R.reshape(G, T, -1), 0, T + 1)
