"""Cohort engine: where the people who leave a set of states are some cycles later (``state_after_exit``).

The chain is linear, so each cycle's leavers can be followed on their own with the run's own
transitions: the compiled kernel (``cohort_kernel.run_block``) advances side by side, as lanes of one
sample, the population (lane 0, re-run from the start mix) and one lane per exit cycle. Before
cycle c the exit lane of c takes lane 0's mass in the source states' tunnel cells; after it the lane
keeps only what moved out of them, each mass in the cell it arrived in (duration 0, tracker bins
carried on), and moves on from there whatever it does next (back to a source state included); ``lag``
cycles later its occupancy by state is read and the lane is free for a later exit cycle, so at most
``lag + 1`` exit lanes are in use at once. With a ``window`` each lane also carries, from ``window`` cycles
before its reading, the kernel's mass not yet in each of the model's ever states (``model.ever_in``): whoever
was in one at a point of the window. Run only when a target asks for it. ``start_cells`` and ``points`` (the kernel
one cycle at a time, every tunnel cell readable at each point) are shared with ``tracker_stock``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numba as nb
import numpy as np

from ipsecon.engines.blocks import (
    compact_block_length,
    duration_runs,
    sample_free,
    value_changes,
)
from ipsecon.engines.cohort_kernel import (
    CarriedMass,
    CohortBlock,
    RewardSums,
    TraceArrays,
    run_block,
)
from ipsecon.engines.kernels import PackedValues, packed
from ipsecon.engines.structure import model_layout
from ipsecon.model.population import Strata
from ipsecon.model.state_machine import CompiledModel, pack_values


def one_sample(values: dict[str, Any], i: int = 0) -> dict[str, Any]:
    """Sample ``i`` of run values (per-sample values are 1-D arrays, as ``run_cohort`` takes them)."""
    return {k: v[i:i + 1] if isinstance(v, np.ndarray) and v.ndim == 1 else v for k, v in values.items()}


def after_exit(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray, start_year: int,
               strategy: str, source: list[int], first: int, last: int, lag: int,
               window: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(arrived[g, e], later[g, e, state], ever[g, e, j]) for exit cycles c = first … last (1-based,
    e = c − first): the mass of stratum g that moved during cycle c from a state in ``source`` to one outside
    it; where that mass is at point c + lag (it sums to arrived); and, with ``window`` >= 1, how much of it
    was in ``model.ever_in[j]`` at one or more of the points c + lag − window + 1 … c + lag (zeros without).
    ``values``: one sample (:func:`one_sample`); ``start_mix``: [1, stratum, state]. Same kernel, values
    and layout as ``cohort.run_cohort``."""
    if not 1 <= first <= last or lag < 0 or not 0 <= window <= lag:
        raise ValueError(f"exit cycles {first}..{last}, lag {lag}, window {window}: need 1 <= first <= last "
                         "and 0 <= window <= lag")
    S, G = model.n_states, strata.size
    layout = model_layout(model)
    cell = layout.cell
    W = min(last - first + 1, lag + 1)  # exit lanes: cycle c uses lane 1 + (c − first) % W
    T = last + lag  # cycles to run
    in_source = np.isin(layout.cell_state, source)
    cells_of = [np.arange(cell[s], cell[s] + model.slots[s]) for s in range(S)]
    occ, never = start_cells(model, values, strata, start_mix, start_year, W + 1)
    arrived = np.zeros((G, last - first + 1))
    later = np.zeros((G, last - first + 1, S))
    ever = np.zeros((G, last - first + 1, len(model.ever_members)))
    for c in points(model, values, strata, start_year, strategy, T, occ, never):
        if first <= c <= last:
            lane = 1 + (c - first) % W
            occ[:, in_source, lane] = 0.0  # those still in a source state have not left in cycle c
            arrived[:, c - first] = occ[:, :, lane].sum(axis=1)
        e = c - lag + window  # the exit cycle whose window opens now: all its mass not yet counted
        if window and first <= e <= last:
            opens = 1 + (e - first) % W
            never[:, :, :, opens] = occ[:, None, :, opens]
        e = c - lag  # the exit cycle whose lag ends now
        if first <= e <= last:
            done = 1 + (e - first) % W
            for s in range(S):
                later[:, e - first, s] = occ[:, cells_of[s], done].sum(axis=1)
            if window:
                ever[:, e - first] = arrived[:, e - first, None] - never[:, :, :, done].sum(axis=2)
            occ[:, :, done] = 0.0  # (its window's mass is replaced when the lane's next window opens)
        if first <= c + 1 <= last:  # before cycle c + 1: its exit lane takes the population's mass in the sources
            occ[:, :, 1 + (c + 1 - first) % W] = np.where(in_source, occ[:, :, 0], 0.0)
    return arrived, later, ever


def start_cells(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray, start_year: int,
                lanes: int) -> tuple[np.ndarray, np.ndarray]:
    """(occ[g, cell, lane], never[g, j, cell, lane]) at point 0: lane 0 holds the start mix, everybody at duration
    0 in the tracker bin they start with (as ``run_cohort``); the other lanes and ``never`` are empty."""
    S, G = model.n_states, strata.size
    layout = model_layout(model)
    occ = np.zeros((G, int(model.slots.sum()), lanes))
    start = np.broadcast_to(start_mix, (1, G, S))[0]
    bins0 = np.broadcast_to(model.start_bins(values, strata, start_year, 1), (1, G))[0]
    for s in range(S):
        occ[np.arange(G), layout.cell[s] + model.bin_in[s, bins0], 0] = start[:, s]
    # the kernel is given as many ever states as run_cohort gives it (the same compiled specialisation: a new
    # one costs ~20 s to compile after an install); they hold mass only where a caller puts some
    return occ, np.zeros((G, len(model.ever_members)) + occ.shape[1:])


def points(model: CompiledModel, values: dict[str, Any], strata: Strata, start_year: int, strategy: str, T: int,
           occ: np.ndarray, never: np.ndarray) -> Iterator[int]:
    """Run ``strategy`` for T cycles on the carried mass (``start_cells``), one cycle at a time, yielding each point
    c = 0 … T when ``occ`` (and ``never``) hold it: a caller may read every tunnel cell there, or move mass between
    lanes, before cycle c + 1 runs. ``values``: one sample (:func:`one_sample`)."""
    S, G = model.n_states, strata.size
    layout = model_layout(model)
    k = model.strategies.index(strategy)
    sizes = ((0,) * S, (0,) * len(model.ever_members))
    no_trace = TraceArrays(False, *(np.empty((0,) * 5),) * 4)
    none = packed(pack_values([]))
    no_sums = RewardSums(none, none, np.zeros(0, dtype=np.bool_), np.zeros(0, dtype=np.int64), np.zeros((0, T)),
                         np.zeros((0, T)), np.zeros((0, T)), np.zeros((0, len(model.strategies), G, occ.shape[2])))
    n_slots = max(1, min(nb.get_num_threads(), G))
    yield 0
    if T < 1:
        return
    tb = compact_block_length(model, values, strata, start_year, strategy, 1, T)
    for t0 in range(0, T, tb):
        cycles = np.arange(t0, min(T, t0 + tb))
        ns = model.namespace(values, strata, start_year, strategy, cycles, 1)
        cv = model.compact(ns, strategy, (1, G, len(cycles)), strata, cycles)
        runs, free = duration_runs(model, cv), sample_free(model, cv)
        changed = value_changes(model, cv, G, len(cycles)).reshape(len(cycles), -1)
        for j, t in enumerate(cycles):
            # cycle j of the block on its own: its values start j cycles on in every transition's buffer
            one = PackedValues(cv.buf, cv.offset + j * cv.strides[:, 2], cv.strides, cv.at)
            run_block(n_slots, sizes, layout, one, CohortBlock(k, int(t), 1, runs, free, changed[j:j + 1]),
                      CarriedMass(occ, never), no_trace, no_sums)
            yield int(t) + 1
        del cv, ns
