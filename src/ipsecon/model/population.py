"""Who is simulated: subgroups (strata) with weights, from distributions or a file of records.

Both engines work on strata — people who share every attribute that a formula can
read (start age, categorical attributes, bands of continuous attributes). The
cohort engine runs one trace per stratum; the microsim draws individuals and
keeps, per person, the stratum index, start state and their own memory.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from pathlib import Path

import numpy as np

from ipsecon.errors import InputError
from ipsecon.inputs.schema import AgeSpec, ContinuousSpec, Population

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Strata:
    """Subgroups: ``columns`` maps attribute name -> array over strata; ``weight`` sums to 1.

    ``share_formulas``: attributes whose shares are formulas of parameters (attribute -> level ->
    formula), e.g. a latent class whose share is uncertain. Their levels enter ``weight`` with
    equal nominal shares (``nominal``: the product of those per stratum); the scenario evaluates
    the formulas per sample (``LoadedScenario.stratum_weights``)."""

    columns: dict[str, np.ndarray]
    weight: np.ndarray
    share_formulas: dict[str, dict[str, str]] = field(default_factory=dict)
    nominal: np.ndarray | None = None
    start_mix: np.ndarray | None = None  # (G, S) when the start state comes from a file
    individuals: pd.DataFrame | None = field(default=None, repr=False)  # file records with a stratum column

    @property
    def size(self) -> int:
        return len(self.weight)

    def subset(self, rows: np.ndarray) -> Strata:
        """The subgroups ``rows`` (their weights as they are: a part of the population, for an engine that
        runs some subgroups for others; no file records)."""
        return Strata({k: v[rows] for k, v in self.columns.items()}, self.weight[rows], self.share_formulas,
                      None if self.nominal is None else self.nominal[rows],
                      None if self.start_mix is None else self.start_mix[rows])

    def classes(self, columns: Iterable[str], extra: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, copies): the subgroups that agree in ``columns`` (and in the rows of ``extra``, [G, m]) form a
        class; ``rows`` holds each class's first subgroup, in subgroup order, and subgroup g is in class
        ``copies[g]``, so that ``x[rows][copies]`` spreads one value per class back over the subgroups."""
        key = [np.unique(self.columns[c], return_inverse=True)[1].reshape(-1, 1).astype(float) for c in sorted(columns)]
        if extra is not None:
            key.append(np.asarray(extra, dtype=float).reshape(self.size, -1))
        if not key:
            return np.zeros(1, dtype=np.int64), np.zeros(self.size, dtype=np.int64)
        _, first, copies = np.unique(np.hstack(key), axis=0, return_index=True, return_inverse=True)
        order = np.argsort(first)
        return first[order], np.argsort(order)[copies.reshape(-1)]

    def describe(self, g: int) -> str:
        return ", ".join(f"{k}={v[g]}" for k, v in self.columns.items())

    def frame(self) -> pd.DataFrame:
        import pandas as pd  # ~0.25 s to import: a run that reads no population file needs it only here

        df = pd.DataFrame(self.columns)
        df["weight"] = self.weight
        return df


def _age_distribution(spec: AgeSpec | None, file: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer ages and probabilities (grouped into bands of ``band`` years, labelled by the band's first age)."""
    if spec is None:
        return np.array([40.0]), np.array([1.0])
    if spec.values:
        ages = np.array(sorted(spec.values), dtype=float)
        probs = np.array([spec.values[int(a)] for a in ages], dtype=float)
    elif spec.distribution == "fixed" or spec.value is not None:
        if spec.value is None:
            raise InputError(file, "population.age.value", "fixed age needs a value")
        return np.array([float(spec.value)]), np.array([1.0])
    elif spec.distribution in ("uniform", "normal"):
        if spec.low is None or spec.high is None or spec.low > spec.high:
            raise InputError(file, "population.age", f"{spec.distribution} age needs low <= high", "e.g. {distribution: uniform, low: 18, high: 40}")
        ages = np.arange(int(spec.low), int(spec.high) + 1, dtype=float)
        if spec.distribution == "uniform":
            probs = np.ones_like(ages)
        else:
            if spec.mean is None or spec.sd is None or spec.sd <= 0:
                raise InputError(file, "population.age", "normal age needs mean and sd > 0")
            from scipy.special import ndtr  # what stats.norm(mean, sd).cdf computes, without scipy.stats (~0.4 s)

            probs = ndtr((ages + 1 - spec.mean) / spec.sd) - ndtr((ages - spec.mean) / spec.sd)
    else:
        raise InputError(file, "population.age", "age needs a distribution or values",
                         "{distribution: uniform|normal|fixed, ...} or {values: {age: weight}}")
    if (probs < 0).any() or probs.sum() <= 0:
        raise InputError(file, "population.age", "age weights must be >= 0 and not all zero")
    probs = probs / probs.sum()
    if spec.band > 1:
        # bands start at the lowest age; each is represented by its probability-weighted mean age
        bands = ages[0] + ((ages - ages[0]) // spec.band) * spec.band
        uniq = np.unique(bands)
        mean_age = np.array([np.average(ages[bands == b], weights=probs[bands == b] + 1e-300) for b in uniq])
        probs = np.array([probs[bands == b].sum() for b in uniq])
        ages = mean_age
    return ages, probs


def _continuous_bands(name: str, spec: ContinuousSpec, file: str) -> tuple[np.ndarray, np.ndarray]:
    """Equal-probability bands of a continuous attribute, each represented by its conditional mean."""
    if spec.distribution == "fixed":
        if spec.value is None:
            raise InputError(file, f"population.continuous.{name}.value", "fixed needs a value")
        return np.array([spec.value]), np.array([1.0])
    if spec.mean is None or spec.sd is None or spec.sd <= 0 or (spec.distribution == "lognormal" and spec.mean <= 0):
        raise InputError(file, f"population.continuous.{name}", "needs mean and sd > 0 (mean > 0 for lognormal)")
    from scipy import stats  # ~0.4 s to import: only for continuous attributes

    if spec.distribution == "lognormal":
        s2 = np.log1p((spec.sd / spec.mean) ** 2)
        dist = stats.lognorm(s=np.sqrt(s2), scale=spec.mean / np.sqrt(1 + (spec.sd / spec.mean) ** 2))
    else:
        dist = stats.norm(spec.mean, spec.sd)
    edges = np.linspace(0, 1, spec.bands + 1)
    means = np.array([dist.expect(lambda x: x, lb=dist.ppf(a), ub=dist.ppf(b), conditional=True)
                      for a, b in zip(edges[:-1], edges[1:])])
    return means, np.full(spec.bands, 1 / spec.bands)


MAX_STRATA = 200_000  # subgroups: every engine array has one row per subgroup


def synthetic_strata(pop: Population, file: str) -> Strata:
    """The product of independent marginals: age × categorical attributes × continuous bands."""
    axes: list[tuple[str, np.ndarray, np.ndarray]] = []
    ages, p_age = _age_distribution(pop.age, file)
    axes.append(("start_age", ages, p_age))
    formulas: dict[str, dict[str, str]] = {}
    for name, shares in pop.attributes.items():
        values = np.array(list(shares), dtype=object)
        if any(isinstance(v, str) for v in shares.values()):
            # shares from parameters: equal nominal shares here, the real ones per sample later
            formulas[name] = {level: str(v) for level, v in shares.items()}
            axes.append((name, values.astype(str), np.full(len(shares), 1 / len(shares))))
            continue
        probs = np.array(list(shares.values()), dtype=float)
        if (probs < 0).any() or abs(probs.sum() - 1) > 1e-6:
            raise InputError(file, f"population.attributes.{name}", f"shares must be >= 0 and sum to 1, they sum to {probs.sum():.6g}")
        axes.append((name, values.astype(str), probs))
    for name, spec in pop.continuous.items():
        means, probs = _continuous_bands(name, spec, file)
        axes.append((name, means, probs))
    count = math.prod(len(a[1]) for a in axes)
    if count > MAX_STRATA:
        sizes = " x ".join(f"{len(a[1])} {a[0]}" for a in axes)
        raise InputError(file, "population", f"{count:.3g} subgroups ({sizes})",
                         f"at most {MAX_STRATA:,}: fewer attribute levels, wider age bands or fewer continuous bands")
    columns: dict[str, list] = {a[0]: [] for a in axes}
    weights = []
    for combo in itertools.product(*[range(len(a[1])) for a in axes]):
        w = float(np.prod([axes[k][2][i] for k, i in enumerate(combo)]))
        if w <= 0:
            continue
        for k, i in enumerate(combo):
            columns[axes[k][0]].append(axes[k][1][i])
        weights.append(w)
    out = {k: np.asarray(v) for k, v in columns.items()}
    nominal = np.prod([np.full(len(weights), 1 / len(formulas[a])) for a in formulas], axis=0) if formulas else None
    return Strata(out, np.asarray(weights) / np.sum(weights), share_formulas=formulas, nominal=nominal)


REQUIRED_FILE_COLUMNS = ("age",)
MAX_FILE_BYTES = 500_000_000  # a population file: about ten million records


def file_strata(path: Path, pop: Population, state_names: list[str], file: str) -> Strata:
    """Strata from a CSV/Parquet of individuals: one row each, column ``age`` (years) required.

    Other columns named under ``population.attributes`` (categorical) or
    ``population.continuous`` (numbers) are used; ``state`` (optional) gives the start state.
    """
    if not path.is_file():
        raise InputError(file, "population.file", f"population file {path} not found")
    for name, shares in pop.attributes.items():
        if any(isinstance(v, str) for v in shares.values()):
            raise InputError(file, f"population.attributes.{name}", "shares from formulas need a population made from "
                             "distributions", "numbers (a population file gives each person's value)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:  # pandas holds several copies of what it reads
        raise InputError(file, "population.file", f"{path} is {size:,} bytes", f"files up to {MAX_FILE_BYTES:,} bytes")
    import pandas as pd

    try:
        df = pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for malformed files
        raise InputError(path, None, f"cannot read population file ({exc.__class__.__name__}: {exc})", "CSV or Parquet") from None
    missing = [c for c in REQUIRED_FILE_COLUMNS if c not in df.columns]
    wanted = list(pop.attributes) + list(pop.continuous)
    missing += [c for c in wanted if c not in df.columns]
    if missing:
        raise InputError(path, f"column {missing[0]}", "required column is missing", "columns: " + ", ".join(df.columns.astype(str)))
    if df.empty:
        raise InputError(path, None, "population file has no rows")
    age = pd.to_numeric(df["age"], errors="coerce")
    bad = age.isna() | (age < 0) | (age > 120)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(path, f"row {row + 2}, column age", f"age {df['age'].iloc[row]!r} is not a number in 0..120")
    keys = pd.DataFrame({"start_age": np.floor(age).astype(float)})
    band = pop.age.band if pop.age else 1
    if band > 1:
        keys["start_age"] = (keys["start_age"] // band) * band
    for name, shares in pop.attributes.items():
        col = df[name].astype(str)
        unknown = sorted(set(col) - set(shares))
        if unknown:
            row = int(np.flatnonzero(~col.isin(list(shares)).to_numpy())[0])
            raise InputError(path, f"row {row + 2}, column {name}", f"value {unknown[0]!r} is not allowed", ", ".join(shares))
        keys[name] = col
    for name, spec in pop.continuous.items():
        values = pd.to_numeric(df[name], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise InputError(path, f"row {row + 2}, column {name}", f"{df[name].iloc[row]!r} is not a number")
        # equal-count bands, each represented by the mean of its members
        ranks = values.rank(method="first") - 1
        band_idx = np.floor(ranks / len(values) * spec.bands).astype(int).clip(0, spec.bands - 1)
        keys[name] = values.groupby(band_idx).transform("mean").to_numpy()
    start = None
    if "state" in df.columns:
        col = df["state"].astype(str)
        unknown = sorted(set(col) - set(state_names))
        if unknown:
            row = int(np.flatnonzero(~col.isin(state_names).to_numpy())[0])
            raise InputError(path, f"row {row + 2}, column state", f"unknown state {unknown[0]!r}", ", ".join(state_names))
        start = col.map({s: i for i, s in enumerate(state_names)}).to_numpy()
    names = list(keys.columns)
    grouped = keys.groupby(names, sort=True)
    stratum = grouped.ngroup().to_numpy()
    first = keys.drop_duplicates().sort_values(names).reset_index(drop=True)
    counts = np.bincount(stratum, minlength=len(first)).astype(float)
    columns = {n: (first[n].to_numpy(dtype=float) if n == "start_age" or n in pop.continuous else first[n].to_numpy(dtype=str))
               for n in names}
    mix = None
    if start is not None:
        mix = np.zeros((len(first), len(state_names)))
        np.add.at(mix, (stratum, start), 1.0)
        mix /= mix.sum(axis=1, keepdims=True)
    individuals = pd.DataFrame({"stratum": stratum})
    if start is not None:
        individuals["state"] = start
    return Strata(columns, counts / counts.sum(), start_mix=mix, individuals=individuals)


def build_strata(pop: Population, state_names: list[str], file: str, base_dir: Path) -> Strata:
    if pop.file:
        path = Path(pop.file)
        if not path.is_absolute():
            path = base_dir / path
        return file_strata(path, pop, state_names, file)
    return synthetic_strata(pop, file)
