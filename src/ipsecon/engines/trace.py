"""What an engine returns: occupancy and flows per sample × strategy × stratum × time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Trace:
    """Expected (cohort) or observed (microsim) shares of each stratum.

    occupancy[sample, strategy, stratum, point, state]   points 0 … T
    flows[sample, strategy, stratum, cycle, transition]   cycles 1 … T (index k−1)
    ever[sample, strategy, stratum, point, e]             P(been in ever_in[e] by point; a state or a group)
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
    weights: np.ndarray  # [sample|1, stratum]: per sample where population shares are parameters
    occupancy: np.ndarray
    flows: np.ndarray
    ever: np.ndarray
    reward_states: dict[str, np.ndarray] = field(default_factory=dict)
    reward_transitions: dict[str, np.ndarray] = field(default_factory=dict)
    counts: np.ndarray | None = None
    totals_sd: dict[str, np.ndarray] = field(default_factory=dict)
    # microsim only, per reward: SD across individuals of the per-person difference of the discounted
    # total from the comparator's (paired: the same people and random numbers) [sample, strategy]; 0 for it
    totals_diff_sd: dict[str, np.ndarray] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)  # model.groups: name -> its states
    # cohort, rewards whose values depend on time in state or a tracker: (A, B)[sample, strategy, stratum,
    # cycle, state], the reward-weighted occupancy at each cycle's start and end (counting.reward_per_cycle)
    reward_masses: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # microsim with one sample: {"person": ids, "stratum": [N], "totals": {reward: [strategy, N]}} (discounted)
    people: dict | None = None
    # microsim with one sample: people per batch in each stratum, state and point [batch, strategy, stratum,
    # point, state] (counts, smallest unsigned type; the batches add up to the run's): ``microsim.batch_trace``
    batch_occupancy: np.ndarray | None = None

    def state_members(self, name: str) -> list[int]:
        """Indices of the states a state or group name stands for (unknown names: [])."""
        if name in self.groups:
            return [self.states.index(s) for s in self.groups[name]]
        return [self.states.index(name)] if name in self.states else []

    @property
    def n_cycles(self) -> int:
        return self.occupancy.shape[3] - 1

    def sample_weights(self, n: int) -> np.ndarray:
        """The strata's weights for each of ``n`` samples: [sample, stratum]."""
        return np.broadcast_to(self.weights, (n, self.weights.shape[-1]))

    def over_strata(self, per_stratum: np.ndarray) -> np.ndarray:
        """Weighted sum over strata of an array [sample, strategy, stratum, ...]."""
        return np.einsum("nkg...,ng->nk...", per_stratum, self.sample_weights(per_stratum.shape[0]))

    def population_occupancy(self) -> np.ndarray:
        """Occupancy averaged over strata with their weights: [sample, strategy, point, state]."""
        return self.over_strata(self.occupancy)

    def population_ever(self) -> np.ndarray:
        return self.over_strata(self.ever)

    def population_flows(self) -> np.ndarray:
        return self.over_strata(self.flows)
