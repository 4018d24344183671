"""Cohort engine, reference path: the original dense array program.

It builds P[sample, stratum, cycle, state, i, next] block by block (i the within-state
index, duration·B + tracker bin) and moves the occupancy with numpy. Slow and memory-hungry, but plain: the compiled path
(``cohort.run_cohort``) is tested against it to rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ipsecon.engines.assembly import make_trace
from ipsecon.engines.blocks import block_length
from ipsecon.engines.trace import Trace
from ipsecon.model.population import Strata
from ipsecon.model.state_machine import CompiledModel


def advance(model: CompiledModel, occ: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One cycle: occ[n, g, S, D] and P[n, g, S, D, S] -> (new occ, moves[n, g, S, S]); D the
    within-state axis (durations × tracker bins)."""
    flows = occ[..., None] * P
    moves = flows.sum(axis=3)
    S, D, B = model.n_states, model.width, model.n_bins
    idx = np.arange(S)
    stay = flows[:, :, idx, :, idx]  # (S, n, g, D)
    if B > 1:
        return _advance_with_bins(model, flows, np.moveaxis(stay, 0, 2)), moves
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


def _advance_with_bins(model: CompiledModel, flows: np.ndarray, stay: np.ndarray) -> np.ndarray:
    """The new occupancy with trackers: staying goes to next_index[s, i], leaving s from i to the
    target's index entry_index[s, i] (duration 0, the bin carried on)."""
    S, D, B = model.n_states, model.width, model.n_bins
    new = np.zeros(stay.shape)
    # np.add.at adds in index order: (S·D, n, g) rows of the staying mass onto their next cells
    target = np.moveaxis(new, (2, 3), (0, 1))  # a view: (S, D, n, g)
    np.add.at(target, (np.repeat(np.arange(S), D), model.next_index.ravel()),
              np.moveaxis(stay, (2, 3), (0, 1)).reshape(S * D, *stay.shape[:2]))
    by_bin = np.zeros((B,) + flows.shape[:3] + (S,))  # [bin, n, g, source, target]
    moved = np.moveaxis(flows, 3, 0)  # (D, n, g, S, S)
    for s in range(S):
        np.add.at(by_bin[:, :, :, s], model.entry_index[s], moved[:, :, :, s])
    idx = np.arange(S)
    by_bin[:, :, :, idx, idx] = 0.0
    new[..., :B] += np.moveaxis(by_bin.sum(axis=3), 0, -1)
    return new


def run_cohort_reference(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
               start_year: int, n_cycles: int, n_samples: int = 1) -> Trace:
    """Expected occupancy for every sample, strategy and stratum: the dense reference path.

    ``values``: parameter values for formulas (floats, or arrays of length n_samples);
    ``start_mix``: [n_samples or 1, stratum, state] shares at cycle 0.
    """
    S, D, G, T = model.n_states, model.width, strata.size, n_cycles
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
    # rewards per cell (time in state, trackers): the occupancy of every (state, index), dense
    dense = np.zeros((n, K, G, T + 1, S, D)) if model.cell_rewards else None
    for k, strategy in enumerate(model.strategies):
        occ = np.zeros((n, G, S, D))
        # everybody at duration 0, in the tracker bin they start with
        bins0 = np.broadcast_to(model.start_bins(values, strata, start_year, n), (n, G))
        ni, gi = np.meshgrid(np.arange(n), np.arange(G), indexing="ij")
        occ[ni, gi, :, bins0] = start
        never = [occ.copy() for _ in model.ever_in]
        for j, members in enumerate(model.ever_members):
            never[j][:, :, members, :] = 0.0
        occupancy[:, k, :, 0] = occ.sum(axis=-1)
        if dense is not None:
            dense[:, k, :, 0] = occ
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
                if dense is not None:
                    dense[:, k, :, t + 1] = occ
                flows[:, k, :, t] = moves[..., src, dst]
                for j, members in enumerate(model.ever_members):
                    never[j], _ = advance(model, never[j], Pt)
                    never[j][:, :, members, :] = 0.0
                    ever[:, k, :, t + 1, j] = 1.0 - never[j].sum(axis=(-1, -2))
    masses = {r: dense_masses(model, values, strata, start_year, dense, r, n) for r in model.cell_rewards}
    return make_trace("cohort", model, strata.weight, occupancy, flows, ever, reward_states, reward_transitions,
                      reward_masses=masses)


def dense_masses(model: CompiledModel, values: dict[str, Any], strata: Strata, start_year: int, dense: np.ndarray,
                 name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, B)[n, K, G, T, S] of a reward per cell from the dense occupancy [n, K, G, T + 1, S, D]:
    A(t, s) = Σ_i R(t, s, i) x_t(s, i), B(t, s) = Σ_i R(t, s, i) x_{t+1}(s, i), R from each state's
    formula over the within-state index i (duration·B + tracker bin)."""
    n_, K, G, P, S, D = dense.shape
    T = P - 1
    r = model.rewards[name]
    A, B = np.zeros((n_, K, G, T, S)), np.zeros((n_, K, G, T, S))
    for k, strategy in enumerate(model.strategies):
        ns = model.namespace(values, strata, start_year, strategy, np.arange(T), n)
        for s, f in r["states"].items():
            v = np.asarray(f(ns), dtype=float)
            R = np.broadcast_to(v.reshape((1,) * (4 - v.ndim) + v.shape), (n_, G, T, D))
            A[:, k, :, :, s] = (R * dense[:, k, :, :-1, s]).sum(axis=-1)
            B[:, k, :, :, s] = (R * dense[:, k, :, 1:, s]).sum(axis=-1)
    return A, B
