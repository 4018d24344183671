"""Per-person reward weights of the microsimulation: what being in a state at a trace point
adds to a person's discounted total, so a kernel adds up totals with no trace to read back.
"""

from __future__ import annotations

import numpy as np

from ipsecon.engines import counting as accounting
from ipsecon.model.state_machine import CompiledModel


def point_weight_block(a: np.ndarray, b: np.ndarray, v: np.ndarray, R: np.ndarray, p0: int, p1: int) -> np.ndarray:
    """W[..., p − p0, s] for trace points p0 ≤ p < p1: what being in state s at point p adds
    to a person's discounted total, for per-cycle rewards R[..., t|1, s] (t over all cycles
    or broadcast) and counting weights (a, b): W_p = a_p v_p R_p + b_{p−1} v_p R_{p−1},
    with the terms that do not exist at p = 0 and p = T left out."""
    T = len(a)
    at = (lambda idx: R[..., idx, :]) if R.shape[-2] > 1 else (lambda idx: R[..., np.zeros_like(idx), :])
    p = np.arange(p0, p1)
    out = np.zeros(R.shape[:-2] + (len(p), R.shape[-1]))
    now = p[p < T]
    out[..., :len(now), :] += (a[now] * v[now])[:, None] * at(now)
    after = p[p >= 1]
    out[..., len(p) - len(after):, :] += (b[after - 1] * v[after])[:, None] * at(after - 1)
    return out


def point_weights(model: CompiledModel, rewards: dict[str, np.ndarray], n_cycles: int) -> np.ndarray:
    """W[r, g, j, s]: what being in state s at point j adds to a person's discounted total of
    reward r, for rewards[name][g, t, s]."""
    a, b = accounting.counting_weights(model.spec.counting, n_cycles)
    times = np.arange(n_cycles + 1) * model.cycle_years
    parts = [point_weight_block(a, b, reward_discount(model, name, times), rewards[name], 0, n_cycles + 1)
             for name in model.rewards]
    return np.stack(parts) if parts else np.zeros((0, 1, n_cycles + 1, model.n_states))


def reward_discount(model: CompiledModel, reward: str, times: np.ndarray) -> np.ndarray:
    """Discount factors of reward ``reward`` at ``times`` (years)."""
    return accounting.discount_factors(times, model.discount_rate[model.rewards[reward]["kind"]])
