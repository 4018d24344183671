"""Blocks of cycles, and what a block's compact values let the kernels skip.

Both engines run the horizon in blocks of cycles whose transition values fit a memory
budget, and look at each block's values once to see where they do not change: along runs
of durations, from one cycle to the next, across samples. The kernels then make
probabilities only where the values change.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from ipsecon.errors import InputError
from ipsecon.model.population import Strata
from ipsecon.model.state_machine import CompactValues, CompiledModel

BLOCK_ELEMENTS = 4_000_000  # cap on the size of one block of transition probabilities (reference paths)
COMPACT_ELEMENTS = 1_000_000  # cap on the size of one block of compact transition values (8 MB: the
# formulas' temporaries are several times it; Bodø's 10-year run peaks at 41 MB of arrays, 177 at 4M, same time)


def block_length(model: CompiledModel, n_samples: int, n_strata: int, n_cycles: int) -> int:
    """Cycles per block of dense probabilities P[sample, stratum, cycle, state, i, next] (i: duration·B + tracker bin)."""
    per_cycle = n_samples * n_strata * model.n_states ** 2 * model.width
    return int(max(1, min(n_cycles, BLOCK_ELEMENTS // max(per_cycle, 1))))


def compact_block_length(model: CompiledModel, values: dict[str, Any], strata: Strata, start_year: int,
                         strategy: str, n_samples: int, n_cycles: int) -> int:
    """Cycles per block so that one block's compact values stay under COMPACT_ELEMENTS.

    A two-cycle probe shows which transitions vary over cycles (their buffers grow with
    the block) and which do not (fixed size). Usually the whole horizon fits in one block.
    """
    probe = np.arange(min(n_cycles, 2))
    try:
        ns = model.namespace(values, strata, start_year, strategy, probe, n_samples)
        # every value as its formula shapes it: a value the same in both probe cycles may change later
        cv = model.compact(ns, strategy, (n_samples, strata.size, len(probe)), strata, probe, same_cycles=False)
    except InputError:
        # bad input: use the dense path's blocks, so the first error found is the one it reports
        return block_length(model, n_samples, strata.size, n_cycles)
    per_cycle = sum(int(np.prod(sh)) // sh[2] for sh in cv.shapes if sh[2] > 1)
    fixed = sum(int(np.prod(sh)) for sh in cv.shapes if sh[2] == 1)
    tb = (COMPACT_ELEMENTS - fixed) // max(per_cycle, 1)
    if tb < 1 and fixed < COMPACT_ELEMENTS:
        # less than a cycle fits beside the values without a cycle axis, which every block makes again:
        # twice the budget, so that they are not made for every cycle (Bodø's batches of 4 samples:
        # 1 -> 2 cycles a block, 20 % less CPU); where they alone exceed it (a big PSA), one cycle
        tb = (2 * COMPACT_ELEMENTS - fixed) // max(per_cycle, 1)
    return int(max(1, min(n_cycles, tb)))


def duration_runs(model: CompiledModel, cv: CompactValues) -> np.ndarray:
    """[s, i]: the end of the run of the state's cells (its own index i, ``CompiledModel._cell_layout``)
    from i on over which no value out of state s changes (for any sample, stratum or cycle of the
    block): the kernels read values and make probabilities once per run."""
    S, D = model.n_states, model.width
    change = np.zeros((S, D + 1), dtype=bool)
    change[:, D] = True
    change[np.arange(S), model.slots] = True
    for q, shape in enumerate(cv.shapes):
        if shape[3] > 1:
            s = model.transitions[q].source
            L = int(model.slots[s])
            _index_changes(cv.buf, int(cv.offset[q]), int(np.prod(shape[:3])), shape[3], model.cell_index[s, :L], change[s])
    # next change strictly after d: the smallest j > d with change[s, j] (change[:, D] is always set)
    at = np.where(change[:, 1:], np.arange(1, D + 1), D)
    return np.ascontiguousarray(np.minimum.accumulate(at[:, ::-1], axis=1)[:, ::-1])


@nb.njit(cache=True)
def _index_changes(buf, offset, rows, width, index, change):
    """change[i] |= whether the values at full indices index[i − 1] and index[i] differ in any of the
    ``rows`` rows of a transition's (rows, width) values at buf[offset:]: in place, no temporaries
    (a block's values are the largest arrays of a PSA run), each row read in order."""
    L = index.shape[0]
    for r in range(rows):
        at = offset + r * width
        for i in range(1, L):
            if not change[i] and buf[at + index[i - 1]] != buf[at + index[i]]:
                change[i] = True


def value_changes(model: CompiledModel, cv: CompactValues, n_strata: int, n_block: int) -> np.ndarray:
    """[j, g, s]: whether any value out of state s for stratum g (any sample, any duration)
    differs between block cycles j − 1 and j; True at j = 0."""
    changed = np.zeros((n_block, n_strata, model.n_states), dtype=bool)
    changed[0] = True
    for q, shape in enumerate(cv.shapes):
        if shape[2] > 1:
            v = cv.stored(q)
            diff = np.any(v[:, :, 1:, :] != v[:, :, :-1, :], axis=(0, 3))  # (row|1, cycles − 1)
            changed[1:, :, model.transitions[q].source] |= diff[cv.row_of(q)].T  # each subgroup's row
    return changed


def same_by_subgroup(a: CompactValues, b: CompactValues) -> np.ndarray:
    """[g]: whether subgroup g reads the same values in ``a`` and ``b`` (two strategies' values on the same
    cycles): every transition, sample, cycle and duration, to the bit. Each pair of stored rows is compared once."""
    same = np.ones(a.at.shape[1], dtype=bool)
    for q in range(len(a.shapes)):
        va, vb = a.stored(q), b.stored(q)
        pairs, back = np.unique(np.stack([a.row_of(q), b.row_of(q)], axis=1), axis=0, return_inverse=True)
        same &= np.array([bool((va[:, i] == vb[:, j]).all()) for i, j in pairs])[back.ravel()]
    return same


def sample_free(model: CompiledModel, cv: CompactValues) -> np.ndarray:
    """[s]: whether no value out of state s varies over samples (probabilities shared by all)."""
    out = np.ones(model.n_states, dtype=np.bool_)
    for q, shape in enumerate(cv.shapes):
        if shape[0] > 1:
            out[model.transitions[q].source] = False
    return out
