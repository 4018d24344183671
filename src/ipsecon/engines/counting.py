"""Counting conventions and discounting: from a trace to reward totals (the one owner of both).

Trace points (rows) x_0 … x_T are the state occupancy at the start (x_0) and at the end of
each cycle. Cycle k (k = 1 … T) covers [k−1, k]. The reward of cycle k is

    value_k = R(t = k−1) · (a_k · x_{k−1} · d^a_k + b_k · x_k · d^b_k)
            + Σ_transitions TR(t = k−1) · flow_k · d^f_k

where R is the per-cycle state reward, TR a one-off reward per transition made during the
cycle, v_j the discount factor at point j, and the weights (a_k, b_k) and discount points
(d^a, d^b, d^f) are those of the convention:

* ``start``:      (1, 0), discounted at the points — occupancy at the start of each cycle
* ``end``:        (0, 1), at the points — at the end (e.g. Briggs et al. 2006, ch. 2)
* ``trapezoid``:  (½, ½), at the points: Σ_k ½(x_{k−1} v_{k−1} + x_k v_k)
* ``simpson``:    (⅓, ⅔) for odd k and (⅔, ⅓) for even k, at the points, so that with constant
  R the total is Simpson's 1/3 rule Σ w_j x_j v_j with w = (1, 4, 2, 4, …, 4, 1)/3; with an odd
  number of cycles the last cycle uses the trapezoid.
* ``life_table``: (½, ½), both discounted at the cycle's start, v_{k−1}: heemod's "life-table"
  method (counts are the mean of a cycle's first and last rows) with heemod's ``discount()``,
  which leaves the first cycle undiscounted (exponent k − 1).
* ``darth_simpson``: DARTH's within-cycle correction, ``darthtools::gen_wcc(n, "Simpson1/3")``,
  a weight per row j = 0 … T discounted at that row: ⅓ at rows 0 and T, otherwise ⅔ at odd and
  4/3 at even rows (gen_wcc counts its vector from 1: its "odd entries" are the even rows). Row j
  is counted with the reward of cycle j + 1, R(t = j); the last row with R(t = T − 1). The moves
  made during cycle k (transition rewards) belong to row k and take its weight: d^f_k = w_k v_k
  (DARTH's transition-dynamics array, Alarid-Escudero et al. 2023, time-dependent tutorial).
* ``every_row``: every row 0 … T once, discounted at the row (DARTH's ``gen_wcc(n, "none")``).

Discounting is discrete at time points: v_j = Π over years of (1 + r(y))^(−Δy) for the
time t_j = j × cycle length in years, with a constant rate r or a declining schedule
of (from_year, rate) steps; with a constant rate v_j = (1 + r)^(−t_j).
A reward may declare its own ``counting:`` (:func:`reward_counting`); the model's is the default.
"""

from __future__ import annotations

import numpy as np


def discount_factors(times_years: np.ndarray, rate: float | list[tuple[float, float]]) -> np.ndarray:
    """v(t) for a constant annual rate, or a declining schedule [(from_year, rate), ...]."""
    t = np.asarray(times_years, dtype=float)
    if np.isscalar(rate) or np.ndim(rate) == 0:
        return (1.0 + float(rate)) ** (-t)
    steps = sorted((float(a), float(r)) for a, r in rate)
    v = np.ones_like(t)
    for i, (start, r) in enumerate(steps):  # a product of powers: before a step v is bit for bit the constant rate's
        stop = steps[i + 1][0] if i + 1 < len(steps) else np.inf
        v = v * (1.0 + r) ** (-(np.clip(t, start, stop) - start))
    return v


CONVENTIONS = ("start", "end", "trapezoid", "simpson", "life_table", "darth_simpson", "every_row")
ROW_CONVENTIONS = {"darth_simpson", "every_row"}  # a weight per row, each row counted once
CYCLE_DISCOUNTED = {"life_table"}  # both rows of a cycle discounted at its start (not per point)


def row_weights(convention: str, n_cycles: int) -> np.ndarray:
    """w_j for rows j = 0 … T of a row convention (DARTH's ``gen_wcc``)."""
    T = n_cycles
    if convention == "every_row":
        return np.ones(T + 1)
    j = np.arange(T + 1)
    w = np.where(j % 2 == 1, 2 / 3, 4 / 3)  # gen_wcc: entry j + 1 even -> 2/3, odd -> 4/3
    w[0] = w[T] = 1 / 3
    return w


def counting_weights(convention: str, n_cycles: int) -> tuple[np.ndarray, np.ndarray]:
    """(a_k, b_k) for k = 1 … T: the weights of x_{k−1} and x_k in cycle k."""
    T = n_cycles
    a, b = np.zeros(T), np.zeros(T)
    if convention == "start":
        a[:] = 1
    elif convention == "end":
        b[:] = 1
    elif convention in ("trapezoid", "life_table"):
        a[:] = b[:] = 0.5
    elif convention == "simpson":
        k = np.arange(1, T + 1)
        a[:] = np.where(k % 2 == 1, 1 / 3, 2 / 3)
        b[:] = np.where(k % 2 == 1, 2 / 3, 1 / 3)
        if T % 2 == 1:
            a[-1] = b[-1] = 0.5
    elif convention in ROW_CONVENTIONS:  # row j with cycle j + 1 (its reward R(t = j)); row T with cycle T
        w = row_weights(convention, T)
        a[:] = w[:-1]
        b[-1] = w[-1]
    else:
        raise ValueError(f"unknown counting convention {convention!r}")
    return a, b


def reward_counting(model, name: str) -> str:
    """The convention of reward ``name``: its own ``counting:``, else the model's."""
    own = model.spec.rewards[name].counting if name in model.spec.rewards else None
    return own or model.spec.counting


def cycle_weights(convention: str, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a_k · d^a_k, b_k · d^b_k, d^f_k) for k = 1 … T: the factors of R · x_{k−1}, R · x_k and
    TR · flow_k in the reward of cycle k, for kernels that add totals up cycle by cycle."""
    a, b = counting_weights(convention, len(v) - 1)
    if convention in CYCLE_DISCOUNTED:
        return a * v[:-1], b * v[:-1], v[:-1]
    if convention in ROW_CONVENTIONS:  # DARTH: the moves of cycle k are in row k, with its weight
        return a * v[:-1], b * v[1:], row_weights(convention, len(v) - 1)[1:] * v[1:]
    return a * v[:-1], b * v[1:], v[1:]


def cycle_discount_factors(convention: str, v: np.ndarray) -> np.ndarray:
    """The discount factor of each cycle's undiscounted amount R · (a_k x_{k−1} + b_k x_k), (T,):
    exact where R · x changes little within a cycle (and for ``start``, ``end``, ``life_table``)."""
    a, b = counting_weights(convention, len(v) - 1)
    wa, wb, wf = cycle_weights(convention, v)
    total = a + b
    return np.where(total > 0, (wa + wb) / np.where(total > 0, total, 1.0), wf)


def cycle_occupancy(occupancy: np.ndarray, convention: str, v: np.ndarray) -> np.ndarray:
    """Discounted occupancy measure per cycle: (..., T+1, S) -> (..., T, S)."""
    T = occupancy.shape[-2] - 1
    plain = np.all(v == 1)
    if plain and convention == "end":  # the common cases need no arithmetic
        return occupancy[..., 1:, :]
    if plain and convention == "start":
        return occupancy[..., :-1, :]
    wa, wb, _ = cycle_weights(convention, np.asarray(v, dtype=float) * np.ones(T + 1))
    return wa[:, None] * occupancy[..., :-1, :] + wb[:, None] * occupancy[..., 1:, :]


def reward_per_cycle(occupancy: np.ndarray, flows: np.ndarray, state_values: np.ndarray,
                     transition_values: np.ndarray, convention: str, v: np.ndarray,
                     masses: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Discounted reward in each cycle: (..., T). ``v`` has T+1 points (use ones for undiscounted).

    ``masses``: for a reward that reads time in state or a tracker, (A, B)[..., T, S] with
    A(t) = Σ_cells R(t, c) x_t(c) and B(t) = Σ_cells R(t, c) x_{t+1}(c) — each row counted with the
    value of the cell it holds — in place of R(t, s) · x(s)."""
    if masses is not None:
        wa, wb, _ = cycle_weights(convention, np.asarray(v, dtype=float) * np.ones(occupancy.shape[-2]))
        value = (wa[:, None] * masses[0] + wb[:, None] * masses[1]).sum(axis=-1)
    else:
        occ = cycle_occupancy(occupancy, convention, v)
        value = np.einsum("...s,...s->...", state_values, occ)
    if flows.shape[-1]:
        value = value + (transition_values * flows).sum(axis=-1) * cycle_weights(convention, v)[2]
    return value


def check_microsim(model) -> None:
    """The microsim weighs every reward with the model's (a_k, b_k) at the points: refuse what it
    cannot count (a reward's own convention, or one discounted per cycle) rather than count it otherwise."""
    from ipsecon.errors import InputError

    for name in model.spec.rewards:
        own = reward_counting(model, name)
        rows_with_moves = own in ROW_CONVENTIONS and bool(model.spec.rewards[name].transitions)  # weighted moves
        if own != model.spec.counting or own in CYCLE_DISCOUNTED or rows_with_moves:
            raise InputError(model.file, f"model.rewards.{name}.counting" if own != model.spec.counting else "model.counting",
                             f"the microsim engine cannot count {name!r} by {own!r}",
                             "the cohort engine, or one convention for all rewards among start, end, trapezoid, simpson, "
                             "darth_simpson, every_row")
