"""Counting conventions and discounting: from a trace to reward totals.

Trace points x_0 … x_T are the state occupancy at the start (x_0) and at the end of
each cycle. Cycle k (k = 1 … T) covers [k−1, k]. The reward of cycle k is

    value_k = R(t = k−1) · (a_k · x_{k−1} · v_{k−1} + b_k · x_k · v_k)
            + Σ_transitions TR(t = k−1) · flow_k · v_k

where R is the per-cycle state reward, TR a one-off reward per transition made
during the cycle, v_j = discount factor at time point j, and (a_k, b_k) is

* ``start``:      (1, 0)          — count occupancy at the start of each cycle
* ``end``:        (0, 1)          — at the end (e.g. Briggs et al. 2006, ch. 2)
* ``trapezoid``:  (½, ½)          — life-table method
* ``simpson``:    (⅓, ⅔) for odd k and (⅔, ⅓) for even k, so that with constant R
  the total is Simpson's 1/3 rule Σ w_j x_j v_j with w = (1, 4, 2, 4, …, 4, 1)/3;
  with an odd number of cycles the last cycle uses the trapezoid.

Discounting is discrete at time points: v_j = Π over years of (1 + r(y))^(−Δy) for the
time t_j = j × cycle length in years, with a constant rate r or a declining schedule
of (from_year, rate) steps; with a constant rate v_j = (1 + r)^(−t_j).
"""

from __future__ import annotations

import numpy as np


def discount_factors(times_years: np.ndarray, rate: float | list[tuple[float, float]]) -> np.ndarray:
    """v(t) for a constant annual rate, or a declining schedule [(from_year, rate), ...]."""
    t = np.asarray(times_years, dtype=float)
    if np.isscalar(rate) or np.ndim(rate) == 0:
        return (1.0 + float(rate)) ** (-t)
    steps = sorted((float(a), float(r)) for a, r in rate)
    log_v = np.zeros_like(t)
    for i, (start, r) in enumerate(steps):
        stop = steps[i + 1][0] if i + 1 < len(steps) else np.inf
        span = np.clip(t, start, stop) - start
        log_v -= span * np.log1p(r)
    return np.exp(log_v)


def counting_weights(convention: str, n_cycles: int) -> tuple[np.ndarray, np.ndarray]:
    """(a_k, b_k) for k = 1 … T: the weights of x_{k−1} and x_k in cycle k."""
    T = n_cycles
    a, b = np.zeros(T), np.zeros(T)
    if convention == "start":
        a[:] = 1
    elif convention == "end":
        b[:] = 1
    elif convention == "trapezoid":
        a[:] = b[:] = 0.5
    elif convention == "simpson":
        k = np.arange(1, T + 1)
        a[:] = np.where(k % 2 == 1, 1 / 3, 2 / 3)
        b[:] = np.where(k % 2 == 1, 2 / 3, 1 / 3)
        if T % 2 == 1:
            a[-1] = b[-1] = 0.5
    else:
        raise ValueError(f"unknown counting convention {convention!r}")
    return a, b


def cycle_weights(convention: str, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a_k · v_{k−1}, b_k · v_k, v_k) for k = 1 … T: the factors of R · x_{k−1}, R · x_k and
    TR · flow_k in the reward of cycle k, for kernels that add totals up cycle by cycle."""
    a, b = counting_weights(convention, len(v) - 1)
    return a * v[:-1], b * v[1:], v[1:]


def cycle_occupancy(occupancy: np.ndarray, convention: str, v: np.ndarray) -> np.ndarray:
    """Discounted occupancy measure per cycle: (..., T+1, S) -> (..., T, S)."""
    T = occupancy.shape[-2] - 1
    a, b = counting_weights(convention, T)
    xv = occupancy if np.all(v == 1) else occupancy * v[:, None]
    if convention == "end":  # the common cases need no arithmetic
        return xv[..., 1:, :]
    if convention == "start":
        return xv[..., :-1, :]
    return a[:, None] * xv[..., :-1, :] + b[:, None] * xv[..., 1:, :]


def reward_per_cycle(occupancy: np.ndarray, flows: np.ndarray, state_values: np.ndarray,
                     transition_values: np.ndarray, convention: str, v: np.ndarray) -> np.ndarray:
    """Discounted reward in each cycle: (..., T). ``v`` has T+1 points (use ones for undiscounted)."""
    occ = cycle_occupancy(occupancy, convention, v)
    value = np.einsum("...s,...s->...", state_values, occ)
    if flows.shape[-1]:
        value = value + (transition_values * flows).sum(axis=-1) * v[1:]
    return value
