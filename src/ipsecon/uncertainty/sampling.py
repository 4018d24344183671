"""Parameter samples for sensitivity analysis: which parameters are uncertain, and draws of them.

Every uncertain parameter declares its distribution in ``parameters/`` (distributions.py).
A draw maps uniform numbers through each distribution's quantile function, so plain
random draws, Latin hypercubes, scrambled Sobol' sequences, Saltelli designs (SALib) and
Gaussian-copula correlated draws all share one code path:

    uniforms u[sample, dim] --(copula, optional)--> u' --(ppf per parameter)--> values

A Dirichlet parameter (a row of shares) takes one uniform per component, turned into
independent gammas and normalised. Plain random designs draw those gammas directly with numpy's
generator instead (the quantile function of the gamma, ``gammaincinv``, was most of a reference-model
PSA's sampling): one stream per parameter, keyed by the seed and the parameter's name
(``direct_rng``), so a row is the same whatever the number of rows drawn, and equal on every worker
and chunk. This changed the random stream of Dirichlet rows in random designs (issue 17); their
univariate columns are drawn as before, and designs that need quantiles (LHS, Sobol', Saltelli)
keep the inverse-CDF path. Correlations (``correlations:`` in a parameter file) act on
the normal scores of univariate parameters (Gaussian copula); for lognormal marginals rho is
the correlation of the logs.

Sample ``i`` is the same whatever subset of rows is later evaluated (``Samples.values(rows=)``),
so chunked and distributed runs give the same numbers as one big run.
"""

from __future__ import annotations

import fnmatch
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import xarray as xr

from ipsecon.errors import InputError
from ipsecon.model.scenario import LoadedScenario

METHODS = ("random", "lhs", "sobol")
# parameter families the ledger and economics read directly (not through model formulas)
ECONOMIC_PREFIXES = ("ledger.", "wages.", "health_care.", "economics.", "rules.")
_EPS = 1e-10  # keep uniforms off 0 and 1, where unbounded quantiles are infinite


@dataclass
class Samples:
    """Parameter draws: ``table[sample, column]`` with one column per scalar name
    (``name`` or ``name.component`` for a Dirichlet component)."""

    columns: list[str]
    table: np.ndarray
    parameters: list[str]  # the parameter each column belongs to (Dirichlet rows span several)
    seed: int | None = None
    method: str = "random"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.table.shape[0]

    def groups(self) -> dict[str, list[str]]:
        """Parameter -> its columns (one column unless a Dirichlet row)."""
        out: dict[str, list[str]] = {}
        for c, p in zip(self.columns, self.parameters):
            out.setdefault(p, []).append(c)
        return out

    def values(self, base: dict[str, Any], rows: slice | np.ndarray | None = None) -> dict[str, Any]:
        """Base values with each sampled name replaced by its vector over the chosen rows."""
        sel = self.table if rows is None else self.table[rows]
        out = dict(base)
        for j, c in enumerate(self.columns):
            out[c] = np.ascontiguousarray(sel[:, j])
        return out

    def subset(self, rows: slice | np.ndarray) -> "Samples":
        return Samples(self.columns, self.table[rows], self.parameters, self.seed, self.method, dict(self.meta))

    def to_xarray(self) -> xr.DataArray:
        return xr.DataArray(self.table, dims=("sample", "parameter"),
                            coords={"sample": np.arange(self.n), "parameter": self.columns,
                                    "parameter_group": ("parameter", self.parameters)},
                            name="parameters", attrs={"method": self.method, "seed": -1 if self.seed is None else self.seed})


def referenced_names(scenario: LoadedScenario) -> set[str]:
    """Every name the scenario's model formulas read (:meth:`CompiledModel.formula_names`) and, in an open
    population, its entrants' and programme's formulas (entrant counts, uptake, capacity)."""
    from ipsecon.model.entrants import formula_names

    return scenario.model.formula_names() | formula_names(scenario.spec)


def uncertain_parameters(scenario: LoadedScenario, include: Iterable[str] | None = None,
                         exclude: Iterable[str] | None = None) -> list[str]:
    """Parameters with a declared distribution that this scenario uses: read by a model formula
    or by the ledger/economics (``ECONOMIC_PREFIXES``). ``include``/``exclude``: glob patterns."""
    params = scenario.parameters
    used = referenced_names(scenario)
    # a formula names a component as name.component; map it back to the parameter
    used |= {n.rsplit(".", 1)[0] for n in used if "." in n}
    names = []
    for name in params.names():
        p = params[name]
        if p.distribution is None:
            continue
        if name in used or name.startswith(ECONOMIC_PREFIXES):
            names.append(name)
    if include:
        pats = list(include)
        for pat in pats:
            if not any(fnmatch.fnmatchcase(n, pat) for n in params.names()):
                raise InputError(scenario.file, "parameters", f"no parameter matches {pat!r}", "see `ipsecon params`")
        named = [p for p in pats if not any(c in p for c in "*?[")]  # a name asks for that parameter
        missing = [n for n in named if params[n].distribution is None] if all(n in params for n in named) else []
        if missing:
            raise InputError(params.files.get(missing[0], scenario.file), missing[0], "has no distribution to sample from",
                             "parameters with a `distribution:` (see `ipsecon params`)")
        # a glob selects the uncertain parameters among those it matches
        names = [n for n in params.names() if params[n].distribution is not None
                 and any(fnmatch.fnmatchcase(n, p) for p in pats)]
    if exclude:
        names = [n for n in names if not any(fnmatch.fnmatchcase(n, p) for p in exclude)]
    if not names:
        raise InputError(scenario.file, "parameters", "no uncertain parameter to sample",
                         "declare `distribution:` on parameters the scenario uses")
    return names


def layout(scenario: LoadedScenario, names: list[str]) -> tuple[list[str], list[str]]:
    """Sampled columns (a Dirichlet row spans one per component) and the parameter each belongs to."""
    columns, owners = [], []
    for name in names:
        d = scenario.parameters[name].distribution
        if d.type == "dirichlet":
            for comp in d.alpha:
                columns.append(f"{name}.{comp}")
                owners.append(name)
        else:
            columns.append(name)
            owners.append(name)
    return columns, owners


def correlation_matrix(scenario: LoadedScenario, names: list[str]) -> np.ndarray | None:
    """Correlation of the normal scores among ``names`` from declared correlations (None if none)."""
    params = scenario.parameters
    index = {n: i for i, n in enumerate(names)}
    C = np.eye(len(names))
    any_pair = False
    for c in params.correlations:
        a, b = c.between
        for x in (a, b):
            if x not in params:
                raise InputError(None, f"correlations: {a} ~ {b}", f"unknown parameter {x!r}", "see `ipsecon params`")
            d = params[x].distribution
            if d is not None and d.type == "dirichlet":
                raise InputError(params.files.get(x), f"correlations: {a} ~ {b}", "Dirichlet rows cannot be correlated",
                                 "univariate distributions")
        if a in index and b in index:
            C[index[a], index[b]] = C[index[b], index[a]] = c.rho
            any_pair = True
    if not any_pair:
        return None
    if np.linalg.eigvalsh(C).min() <= 0:
        raise InputError(None, "correlations", "the declared correlations do not form a positive-definite matrix",
                         "a valid correlation matrix (check signs and sizes of rho)")
    return C


def unit_draws(n: int, dims: int, seed: int, method: str = "random") -> np.ndarray:
    """Uniforms in (0, 1), [n, dims]: independent, Latin hypercube or scrambled Sobol'."""
    if method == "random":
        return np.clip(np.random.default_rng(seed).random((n, dims)), _EPS, 1 - _EPS)
    from scipy.stats import qmc  # ~0.4 s to import: only the quasi-random designs need it

    if method == "lhs":
        u = qmc.LatinHypercube(d=dims, seed=seed).random(n)
    elif method == "sobol":
        # balanced in blocks of powers of two; other sizes take the first n points of the next block
        u = qmc.Sobol(d=dims, scramble=True, seed=seed).random_base2(int(np.ceil(np.log2(max(n, 2)))))[:n]
    else:
        raise InputError(None, "method", f"unknown sampling method {method!r}", ", ".join(METHODS))
    return np.clip(u, _EPS, 1 - _EPS)


STREAM_DIRECT = 17  # the SeedSequence word that sets the direct draws' streams apart from the uniforms'


def direct_rng(seed: int | None, name: str) -> np.random.Generator:
    """The generator a random design draws parameter ``name``'s multivariate values from: its own
    stream for (seed, name), so no other parameter's draws and no number of rows shift it."""
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng([int(seed), STREAM_DIRECT, zlib.crc32(name.encode())])


def from_uniforms(scenario: LoadedScenario, names: list[str], u: np.ndarray, correlated: bool = True,
                  seed: int | None = None, method: str = "given", direct: bool = False) -> Samples:
    """Map uniforms (one column per sampled column, see ``layout``) to parameter values.
    ``direct``: draw Dirichlet rows with numpy's generator (``direct_rng``), not from their uniform
    columns (plain random designs only: a design's uniforms then do not fix those rows)."""
    columns, owners = layout(scenario, names)
    u = np.clip(np.asarray(u, dtype=float), _EPS, 1 - _EPS)
    if u.ndim != 2 or u.shape[1] != len(columns):
        raise ValueError(f"need uniforms of shape (n, {len(columns)}), got {u.shape}")
    univariate = [n for n in names if scenario.parameters[n].distribution.type != "dirichlet"]
    C = correlation_matrix(scenario, univariate) if correlated else None
    if C is not None:
        from scipy import stats

        cols = [columns.index(n) for n in univariate]
        z = stats.norm.ppf(u[:, cols]) @ np.linalg.cholesky(C).T
        u = u.copy()
        u[:, cols] = np.clip(stats.norm.cdf(z), _EPS, 1 - _EPS)
    table = np.empty_like(u)
    for name in names:
        p = scenario.parameters[name]
        d = p.distribution
        cols = [j for j, o in enumerate(owners) if o == name]
        if d.type == "dirichlet" and direct:
            alpha = np.array([d.alpha[c] for c in d.alpha], dtype=float)
            gammas = direct_rng(seed, name).standard_gamma(alpha, size=(u.shape[0], alpha.size))
            shares = dict(zip(d.alpha, (gammas / gammas.sum(axis=1, keepdims=True)).T))
            for j, comp in zip(cols, d.alpha):
                table[:, j] = shares[comp]
        elif d.type == "dirichlet":
            shares = d.ppf(u[:, cols])
            for j, comp in zip(cols, d.alpha):
                table[:, j] = shares[comp]
        else:
            table[:, cols[0]] = d.ppf(u[:, cols[0]])
    bad = ~np.isfinite(table)
    if bad.any():
        j = int(np.nonzero(bad.any(axis=0))[0][0])
        raise InputError(scenario.parameters.files.get(owners[j]), f"{owners[j]}.distribution",
                         "sampling gave a non-finite value", "a distribution with finite quantiles")
    return Samples(columns, table, owners, seed, method, {"correlated": C is not None})


def draw_samples(scenario: LoadedScenario, n: int, seed: int, method: str = "random",
                 names: list[str] | None = None, correlated: bool = True) -> Samples:
    """``n`` parameter sets drawn from the declared distributions (reproducible from ``seed``)."""
    if n < 1:
        raise InputError(None, "samples", f"need at least one sample, got {n}", "an integer >= 1")
    names = uncertain_parameters(scenario) if names is None else names
    columns, _ = layout(scenario, names)
    u = unit_draws(n, len(columns), seed, method)
    return from_uniforms(scenario, names, u, correlated, seed, method, direct=method == "random")
