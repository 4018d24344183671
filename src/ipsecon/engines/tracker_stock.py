"""Cohort engine: the share of a steady-state stock whose tracker has reached a value (``stock_share``).

Assumption (steady state): the stock is fed by a constant inflow of new entrants like the scenario's cohort, under
the same rules and mix, for longer than anyone stays. At any date it then holds the cohorts that entered 0, 1, 2, …
cycles ago, each at its own time since entry, so the share of those in a state with a tracker at least k is
Σ_t P(state at t, tracker ≥ k) / Σ_t P(state at t) over the points t = 0 … T of one entry cohort (T long enough
that the tail left out is negligible). The trace keeps occupancy by state, not by tracker bin: the kernel is run
again one cycle at a time (``exit_cohorts.points``, the same kernel, values and layout as ``cohort.run_cohort``)
and every tunnel cell read at each point, only when a target asks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ipsecon.engines.exit_cohorts import points, start_cells
from ipsecon.engines.structure import model_layout
from ipsecon.model.population import Strata
from ipsecon.model.state_machine import CompiledModel


class TrackerError(ValueError):
    """A tracker, threshold or state the model cannot answer: ``field`` (the target's field) and ``allowed``."""

    def __init__(self, field: str, message: str, allowed: str):
        super().__init__(message)
        self.field, self.allowed = field, allowed


def tracker_cells(model: CompiledModel, states: list[int], tracker: str, at_least: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks over the engine's cells: in ``states``, and in them with ``tracker`` >= ``at_least``.
    A tracker's last bin holds "max or more", so ``at_least`` may be at most max; a state where the engine
    drops the tracker (no formula reachable from it reads it) cannot tell its values apart."""
    found = {tk.name: tk for tk in model.trackers}
    if tracker not in found:
        raise TrackerError("tracker", f"unknown tracker {tracker!r}", ", ".join(found) or "the model declares none")
    tk = found[tracker]
    if not 1 <= at_least <= tk.bins - 1:
        raise TrackerError("at_least", f"at_least {at_least} is beyond what {tracker} counts (its last value "
                           f"{tk.bins - 1} means {tk.bins - 1} or more)", f"1 … {tk.bins - 1}")
    dropped = [model.states[s] for s in states if model.bin_in[s, 0] == model.bin_in[s, tk.radix]]
    if dropped:
        raise TrackerError("state", f"the engine does not keep {tracker} in {', '.join(dropped)} (no formula "
                           "reachable from there reads it)", f"states where {tracker} can still matter")
    layout = model_layout(model)
    in_state = np.isin(layout.cell_state, states)
    value = tk.value(layout.cell_index % model.n_bins)
    return in_state, in_state & (value >= at_least)


def stock(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray, start_year: int,
          strategy: str, states: list[int], tracker: str, at_least: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """(in_state[g, t], beyond[g, t]) for points t = 0 … T of one entry cohort: the mass of stratum g in ``states``,
    and of it the mass with ``tracker`` >= ``at_least``. ``values``: one sample (``exit_cohorts.one_sample``);
    ``start_mix``: [1, stratum, state]."""
    in_state, beyond = tracker_cells(model, states, tracker, at_least)
    occ, never = start_cells(model, values, strata, start_mix, start_year, 1)
    held = np.zeros((strata.size, T + 1))
    long = np.zeros((strata.size, T + 1))
    for t in points(model, values, strata, start_year, strategy, T, occ, never):
        held[:, t] = occ[:, in_state, 0].sum(axis=1)
        long[:, t] = occ[:, beyond, 0].sum(axis=1)
    return held, long
