"""Rewards that read time in state or a tracker: a value per tunnel cell, counted at each trace row.

The trace of such a run keeps, per reward, the reward-weighted occupancy of each state at the
start and at the end of every cycle (``counting.reward_per_cycle`` reads them in place of
R · x): each row is counted with the value of the cell a person holds at that row — its time in
state (and tracker values) then, and the cycle's time t.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ipsecon.model.population import Strata
from ipsecon.model.state_machine import CompiledModel


def cell_masses(model: CompiledModel, values: dict[str, Any], strata: Strata, start_year: int, cells: np.ndarray,
                name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, B)[n, K, G, T, S] of a reward per tunnel cell: A(t, s) = Σ over s's cells of R(t, c) x_t(c) and
    B(t, s) = Σ R(t, c) x_{t+1}(c), each cell's value at the row counted (``counting.reward_per_cycle``)."""
    n_, K, G, P, C = cells.shape
    T = P - 1
    first = np.concatenate([[0], np.cumsum(model.slots)[:-1]])
    out_a, out_b = np.zeros((n_, K, G, T, model.n_states)), np.zeros((n_, K, G, T, model.n_states))
    for k, strategy in enumerate(model.strategies):
        ns = model.namespace(values, strata, start_year, strategy, np.arange(T), n)
        R = np.broadcast_to(model.reward_cell_values(ns, name), (n_, G, T, C))
        out_a[:, k] = np.add.reduceat(R * cells[:, k, :, :-1], first, axis=-1)
        out_b[:, k] = np.add.reduceat(R * cells[:, k, :, 1:], first, axis=-1)
    return out_a, out_b
