"""What an engine returns: occupancy and flows per sample × strategy × stratum × time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Trace:
    """Expected (cohort) or observed (microsim) shares of each stratum.

    occupancy[sample, strategy, stratum, point, state]   points 0 … T
    flows[sample, strategy, stratum, cycle, transition]   cycles 1 … T (index k−1)
    ever[sample, strategy, stratum, point, e]             P(been in ever_in[e] by point)
    reward_states / reward_transitions: per reward name, per-cycle values
        [sample, strategy, stratum, cycle, state|transition]
    counts[stratum]: individuals per stratum (microsim) — None for the cohort
    totals_sd: microsim only, per reward: standard deviation across individuals of the
        discounted per-person total [sample, strategy], for Monte Carlo standard errors.
    """

    engine: str
    states: list[str]
    strategies: list[str]
    transitions: list[str]
    ever_states: list[str]
    cycle_years: float
    weights: np.ndarray
    occupancy: np.ndarray
    flows: np.ndarray
    ever: np.ndarray
    reward_states: dict[str, np.ndarray] = field(default_factory=dict)
    reward_transitions: dict[str, np.ndarray] = field(default_factory=dict)
    counts: np.ndarray | None = None
    totals_sd: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_cycles(self) -> int:
        return self.occupancy.shape[3] - 1

    def population_occupancy(self) -> np.ndarray:
        """Occupancy averaged over strata with their weights: [sample, strategy, point, state]."""
        return np.einsum("nkgts,g->nkts", self.occupancy, self.weights)

    def population_ever(self) -> np.ndarray:
        return np.einsum("nkgte,g->nkte", self.ever, self.weights)

    def population_flows(self) -> np.ndarray:
        return np.einsum("nkgtr,g->nktr", self.flows, self.weights)
