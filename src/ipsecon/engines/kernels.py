"""Compiled arithmetic both engines share: from a transition's per-cycle values to probabilities.

The cohort and the microsim kernels must make every probability exactly as
:meth:`CompiledModel.probabilities` does (from the same seed the microsim draws the very
states its dense reference path draws), so the arithmetic, down to numpy's summation
order, lives here once.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np

ROW_ABSORBING, ROW_PROBABILITIES, ROW_HAZARDS = 0, 1, 2  # CompiledModel.row_kind


class PackedValues(NamedTuple):
    """A flat buffer of 4-axis arrays as the kernels read it (``CompactValues`` without its
    Python-side shapes): value (q, n, g, j, d) is
    buf[offset[q] + n·strides[q, 0] + at[q, g] + j·strides[q, 2] + d·strides[q, 3]], at[q, g] the
    offset of subgroup g's row (its class's, where the formula tells only classes apart)."""

    buf: np.ndarray
    offset: np.ndarray
    strides: np.ndarray
    at: np.ndarray


def packed(values) -> PackedValues:
    """The kernel view of a ``CompactValues`` (``CompiledModel.compact``, ``pack_values``)."""
    return PackedValues(values.buf, values.offset, values.strides, values.at)


@nb.njit(cache=True, inline="always")
def compact_value(values, q, n, g, j, d):
    """Per-cycle value of transition q for sample n, stratum g, block cycle j, duration d."""
    buf, offset, strides, at = values
    return buf[offset[q] + n * strides[q, 0] + at[q, g] + j * strides[q, 2] + d * strides[q, 3]]


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
def numpy_sum(x, a, b):
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
        total = numpy_sum(vals, a, b)
        if total > 0:
            f = -math.expm1(-total)
            for i in range(a, b):
                probs[i] = vals[i] / total * f
        else:
            for i in range(a, b):
                probs[i] = 0.0
    stay = 1.0 - numpy_sum(probs, a, b)
    for i in range(a, b):
        probs[i] = min(max(probs[i], 0.0), 1.0)
    return min(max(stay, 0.0), 1.0)
