"""Uncertainty distributions declared with parameters, and sampling from them.

Each distribution maps uniform quantiles to values (``ppf``), so independent draws,
Latin hypercube draws, Sobol sequences and Gaussian-copula correlated draws all go
through the same code.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator


class Distribution(BaseModel):
    """A parameter's uncertainty distribution.

    Forms (all parameters in the parameter's own unit):
    beta(alpha, beta) or beta(mean, sd); gamma(shape, scale) or gamma(mean, sd);
    lognormal(meanlog, sdlog); normal(mean, sd); uniform(low, high);
    triangular(low, mode, high); dirichlet(alpha: {component: count}).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    type: Literal["beta", "gamma", "lognormal", "normal", "uniform", "triangular", "dirichlet"]
    alpha: float | dict[str, float] | None = None
    beta: float | None = None
    shape: float | None = None
    scale: float | None = None
    mean: float | None = None
    sd: float | None = None
    meanlog: float | None = None
    sdlog: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None

    @model_validator(mode="after")
    def _check(self):
        t = self.type
        need = {
            "lognormal": [("meanlog", "sdlog")],
            "normal": [("mean", "sd")],
            "uniform": [("low", "high")],
            "triangular": [("low", "mode", "high")],
            "beta": [("alpha", "beta"), ("mean", "sd")],
            "gamma": [("shape", "scale"), ("mean", "sd")],
            "dirichlet": [("alpha",)],
        }[t]
        if not any(all(getattr(self, f) is not None for f in form) for form in need):
            forms = " or ".join("(" + ", ".join(f) + ")" for f in need)
            raise ValueError(f"{t} distribution needs {forms}")
        if t == "dirichlet" and not isinstance(self.alpha, dict):
            raise ValueError("dirichlet alpha must map each component to a positive count")
        if t != "dirichlet" and isinstance(self.alpha, dict):
            raise ValueError(f"{t} alpha must be a number")
        for f in ("sd", "sdlog", "scale", "shape", "beta"):
            v = getattr(self, f)
            if v is not None and v <= 0:
                raise ValueError(f"{f} must be > 0")
        if t == "beta" and self.alpha is not None and self.alpha <= 0:
            raise ValueError("alpha must be > 0")
        if t == "beta" and self.mean is not None:
            if not 0 < self.mean < 1 or self.sd ** 2 >= self.mean * (1 - self.mean):
                raise ValueError("beta needs 0 < mean < 1 and sd² < mean(1 − mean)")
        if t == "dirichlet" and any(v <= 0 for v in self.alpha.values()):
            raise ValueError("dirichlet counts must be > 0")
        if t == "uniform" and not self.low < self.high:
            raise ValueError("uniform needs low < high")
        if t == "triangular" and not self.low <= self.mode <= self.high or (t == "triangular" and self.low == self.high):
            raise ValueError("triangular needs low <= mode <= high and low < high")
        if t != "dirichlet":  # extreme values (sd 1e308) overflow or leave scipy's domain
            try:
                with np.errstate(all="ignore"):
                    low, high = self.support()
            except (ArithmeticError, ValueError) as exc:
                raise ValueError(f"these {t} parameters give no distribution ({exc})") from None
            if np.isnan(low) or np.isnan(high):
                raise ValueError(f"these {t} parameters give no distribution")
        return self

    def _scipy_args(self) -> tuple[tuple[float, ...], float, float]:
        """(shape parameters, loc, scale) of the scipy distribution :meth:`frozen` makes."""
        t = self.type
        if t == "beta":
            return ((self.alpha, self.beta) if self.alpha is not None else _beta_from_moments(self.mean, self.sd)), 0.0, 1.0
        if t == "gamma":
            k, s = (self.shape, self.scale) if self.shape is not None else ((self.mean / self.sd) ** 2, self.sd ** 2 / self.mean)
            return (k,), 0.0, s
        if t == "lognormal":
            return (self.sdlog,), 0.0, np.exp(self.meanlog)
        if t == "normal":
            return (), self.mean, self.sd
        if t == "uniform":
            return (), self.low, self.high - self.low
        if t == "triangular":
            width = self.high - self.low
            return ((self.mode - self.low) / width,), self.low, width
        raise ValueError(f"{t} has no univariate form")

    def support(self) -> tuple[float, float]:
        """What ``self.frozen().support()`` returns, without importing scipy.stats (~0.4 s) to load a
        parameter file: the standard support scaled and shifted, NaN where scipy's checks fail."""
        args, loc, scale = self._scipy_args()
        low, high = _STANDARD_SUPPORT[self.type]
        valid = _SHAPES_VALID[self.type](*args) and scale > 0  # False for NaN, as in scipy
        if not valid:
            return np.nan, np.nan
        return low * scale + loc, high * scale + loc

    def frozen(self):
        """The scipy frozen distribution (not for dirichlet). Shared by equal distributions:
        making one costs about as much as a thousand quantiles, and a PSA asks for each often."""
        if self.type == "dirichlet":
            raise ValueError("dirichlet has no univariate form")
        key = tuple(getattr(self, f) for f in type(self).model_fields)
        if key not in _FROZEN:
            _FROZEN[key] = self._make_frozen()
        return _FROZEN[key]

    def _make_frozen(self):
        from scipy import stats  # ~0.4 s to import: only where a distribution is evaluated

        args, loc, scale = self._scipy_args()
        return _SCIPY_NAME[self.type](stats)(*args, loc=loc, scale=scale)

    def ppf(self, u: np.ndarray) -> np.ndarray | dict[str, np.ndarray]:
        """Values at uniform quantiles ``u``; for a Dirichlet ``u`` has one column per component."""
        if self.type == "dirichlet":
            names = list(self.alpha)
            u = np.atleast_2d(u)
            from scipy import special

            # Gamma(α, 1) quantiles, all components in one call
            gammas = special.gammaincinv(np.array([self.alpha[n] for n in names]), u)
            shares = gammas / gammas.sum(axis=1, keepdims=True)
            return {n: shares[:, i] for i, n in enumerate(names)}
        return self.frozen().ppf(u)

    @property
    def n_dims(self) -> int:
        return len(self.alpha) if self.type == "dirichlet" else 1

    def tail_bound(self, p: float = 1e-9) -> float:
        """An upper bound on the size of the ``p`` and ``1 - p`` quantiles by Chebyshev's inequality,
        |mean| + sd / sqrt(p), from closed-form moments (inf where they overflow): where it is small
        enough the quantiles need no scipy.stats, whose import costs ~0.4 s."""
        args, loc, scale = self._scipy_args()
        with np.errstate(all="ignore"):
            m, v = _STANDARD_MOMENTS[self.type](*args)
            bound = abs(m * scale + loc) + scale * np.sqrt(v) / np.sqrt(p)
        return float(bound) if np.isfinite(bound) else np.inf

    def mean_value(self):
        if self.type == "dirichlet":
            total = sum(self.alpha.values())
            return {k: v / total for k, v in self.alpha.items()}
        args, loc, scale = self._scipy_args()  # as scipy's mean(): mu * scale + loc, without importing it
        return float(_STANDARD_MOMENTS[self.type](*args)[0] * scale + loc)


_FROZEN: dict[tuple, object] = {}  # Distribution.frozen, by field values


# scipy's standard support, and its check of the shape parameters, per type (for Distribution.support)
_STANDARD_SUPPORT = {"beta": (0.0, 1.0), "gamma": (0.0, np.inf), "lognormal": (0.0, np.inf),
                     "normal": (-np.inf, np.inf), "uniform": (0.0, 1.0), "triangular": (0.0, 1.0)}
_SHAPES_VALID = {"beta": lambda a, b: a > 0 and b > 0, "gamma": lambda k: k > 0, "lognormal": lambda s: s > 0,
                 "normal": lambda: True, "uniform": lambda: True, "triangular": lambda c: 0 <= c <= 1}
_STANDARD_MOMENTS = {  # (mean, variance) of scipy's standard form, given the shape parameters
    "beta": lambda a, b: (a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))),
    "gamma": lambda k: (k, k),
    "lognormal": lambda s: (np.sqrt(np.exp(s * s)), np.exp(s * s) * (np.exp(s * s) - 1)),
    "normal": lambda: (0.0, 1.0),
    "uniform": lambda: (0.5, 1 / 12),
    "triangular": lambda c: ((c + 1.0) / 3.0, (1.0 - c + c * c) / 18),
}  # written as scipy's _stats writes them, so that mean_value gives scipy's mean to the last bit
_SCIPY_NAME = {"beta": lambda st: st.beta, "gamma": lambda st: st.gamma, "lognormal": lambda st: st.lognorm,
               "normal": lambda st: st.norm, "uniform": lambda st: st.uniform, "triangular": lambda st: st.triang}


def _beta_from_moments(mean: float, sd: float) -> tuple[float, float]:
    common = mean * (1 - mean) / sd ** 2 - 1
    return mean * common, (1 - mean) * common
