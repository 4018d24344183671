"""From an engine's arrays to the ``Trace`` it returns (what every engine path writes alike)."""

from __future__ import annotations

import numpy as np

from ipsecon.engines.trace import Trace
from ipsecon.model.state_machine import CompiledModel


def make_trace(engine: str, model: CompiledModel, weights: np.ndarray, occupancy: np.ndarray, flows: np.ndarray,
               ever: np.ndarray, reward_states: dict[str, np.ndarray], reward_transitions: dict[str, np.ndarray],
               **extra) -> Trace:
    """A trace labelled with the model's states, strategies, transitions and ever states;
    ``weights``: the strata's weights, [stratum] or [sample|1, stratum];
    ``extra``: the microsim's counts and totals_sd."""
    return Trace(engine, model.states, model.strategies,
                 [f"{model.states[t.source]}->{model.states[t.target]}" for t in model.transitions],
                 list(model.ever_in), model.cycle_years, np.atleast_2d(weights),
                 occupancy, flows, ever, reward_states, reward_transitions,
                 groups={g: [model.states[s] for s in m] for g, m in model.groups.items()}, **extra)


def stack_rewards(parts: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """Per-strategy reduced reward arrays (n|1, g|1, t|1, X) -> a read-only [n, K, g, t, X] view.

    Rewards rarely vary by sample and stratum and cycle at once; broadcasting keeps the
    trace's reward arrays from costing samples × strata × cycles × states each.
    """
    common = np.broadcast_shapes(*(p.shape for p in parts))
    out = np.zeros((common[0], len(parts)) + common[1:])
    for k, p in enumerate(parts):
        out[:, k] = p
    return np.broadcast_to(out, shape)


def per_person(counts: np.ndarray) -> np.ndarray:
    """1 / people per stratum (0 for an empty stratum): turns the microsim's counts into shares."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, 1.0 / counts, 0.0)
