"""Decision uncertainty from PSA samples: CEAC, CEAF, EVPI and EVPPI.

Net monetary benefit of strategy k in sample i at willingness to pay λ (NOK per QALY):
NMB_ik(λ) = λ · QALY_ik − cost_ik. Then

* CEAC(λ, k)  = P(k has the highest NMB)                     (share of samples)
* CEAF(λ)     = the strategy with the highest *expected* NMB, with its CEAC value
* EVPI(λ)     = E[max_k NMB_k] − max_k E[NMB_k]              (per person, ≥ 0)
* EVPPI(λ, φ) = E_φ[max_k E(NMB_k | φ)] − max_k E[NMB_k]     (per person, 0 ≤ EVPPI ≤ EVPI)

EVPPI uses the regression (metamodel) method of Strong, Oakley & Brennan (2014, Med Decis
Making 34:311): E(INB_k | φ) is estimated by least squares of the incremental NMB on a smooth
basis of the parameters in φ — natural cubic regression splines of each parameter (knots at
quantiles) plus, for a group, the pairwise products of the parameters' standardised values.
Because INB is linear in λ and the fit is a linear smoother, cost and QALY increments are fitted
once and combined for every λ.
"""

from __future__ import annotations

import numpy as np

SPLINE_KNOTS = 5  # interior knots per parameter (at quantiles); df = knots + 1 per parameter


def nmb(qalys: np.ndarray, cost: np.ndarray, wtp: np.ndarray) -> np.ndarray:
    """NMB [..., wtp, strategy] from qalys/cost [..., strategy] (samples on any leading axis)."""
    wtp = np.asarray(wtp, dtype=float)
    return wtp[:, None] * qalys[..., None, :] - cost[..., None, :]


def ceac(qalys: np.ndarray, cost: np.ndarray, wtp: np.ndarray) -> np.ndarray:
    """P(each strategy has the highest NMB): [wtp, strategy] from samples [sample, strategy]."""
    b = nmb(qalys, cost, wtp)  # (n, W, K)
    best = b.argmax(axis=-1)
    K = qalys.shape[-1]
    return (best[..., None] == np.arange(K)).mean(axis=0)


def ceaf(qalys: np.ndarray, cost: np.ndarray, wtp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the strategy with the highest expected NMB, its CEAC value), each [wtp]."""
    b = nmb(qalys, cost, wtp)
    k = b.mean(axis=0).argmax(axis=-1)
    p = ceac(qalys, cost, wtp)
    return k, p[np.arange(len(k)), k]


def evpi(qalys: np.ndarray, cost: np.ndarray, wtp: np.ndarray) -> np.ndarray:
    """Expected value of perfect information per person [wtp]."""
    b = nmb(qalys, cost, wtp)
    return b.max(axis=-1).mean(axis=0) - b.mean(axis=0).max(axis=-1)


def _natural_spline_basis(x: np.ndarray, knots: int = SPLINE_KNOTS) -> np.ndarray:
    """Natural cubic spline basis (truncated-power form, linear beyond the boundary knots),
    knots at quantiles of ``x``; columns exclude the intercept."""
    x = np.asarray(x, dtype=float)
    qs = np.unique(np.quantile(x, np.linspace(0.05, 0.95, knots + 2)))
    if qs.size < 3:  # (almost) constant or few distinct values: linear term only
        return (x - x.mean())[:, None] / (x.std() or 1.0)
    span = qs[-1] - qs[0]
    z, k = (x - qs[0]) / span, (qs - qs[0]) / span

    def d(j):
        return (np.maximum(z - k[j], 0) ** 3 - np.maximum(z - k[-1], 0) ** 3) / (k[-1] - k[j])

    cols = [z] + [d(j) - d(len(k) - 2) for j in range(len(k) - 2)]
    return np.column_stack(cols)


def regression_basis(params: np.ndarray, samples_per_term: int = 20) -> np.ndarray:
    """Design matrix for E(y | φ): intercept, splines of each column, pairwise interactions.

    An overfitted metamodel biases EVPPI upwards, so the basis is kept to at most one term per
    ``samples_per_term`` samples: interactions go first, then splines (linear terms remain)."""
    params = np.asarray(params, dtype=float)
    if params.ndim == 1:
        params = params[:, None]
    n, m = params.shape
    budget = max(n // samples_per_term, m + 1)
    s = (params - params.mean(axis=0)) / np.where(params.std(axis=0) > 0, params.std(axis=0), 1.0)
    splines = [_natural_spline_basis(params[:, j]) for j in range(m)]
    pairs = [(s[:, i] * s[:, j])[:, None] for i in range(m) for j in range(i + 1, m)]
    if 1 + sum(b.shape[1] for b in splines) + len(pairs) > budget:
        pairs = []
    if 1 + sum(b.shape[1] for b in splines) > budget:
        splines = [s[:, [j]] for j in range(m)]
    return np.hstack([np.ones((n, 1))] + splines + pairs)


def fitted(params: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares fitted values of every column of ``y`` [n, …] on the basis of ``params``."""
    B = regression_basis(params)
    flat = y.reshape(y.shape[0], -1)
    coef, *_ = np.linalg.lstsq(B, flat, rcond=None)
    return (B @ coef).reshape(y.shape)


def evppi(params: np.ndarray, qalys: np.ndarray, cost: np.ndarray, wtp: np.ndarray, reference: int = 0) -> np.ndarray:
    """EVPPI per person [..., wtp] for the parameters ``params`` [sample, m] (Strong–Oakley regression).

    ``qalys`` and ``cost`` are [sample, ..., strategy] (any batch axes between, e.g. perspective and
    horizon); the metamodel basis is built once and fitted to every column."""
    dq = qalys - qalys[..., [reference]]
    dc = cost - cost[..., [reference]]
    dq, dc = np.broadcast_arrays(dq, dc)
    g_q = fitted(params, dq)  # (n, ..., K)
    g_c = fitted(params, dc)
    g = nmb(g_q, g_c, wtp)  # (n, ..., W, K): fitted incremental NMB; the reference column is 0
    return g.max(axis=-1).mean(axis=0) - g.mean(axis=0).max(axis=-1)
