"""The parameter tree: YAML files of documented numbers, OpenFisca style.

A parameter is a mapping with ``description``, ``unit``, ``source``, ``evidence``
and exactly one of ``value`` (a number, or named components), ``values`` (numbers
keyed by the date from which each applies) or ``table`` (rows keyed by e.g. age).
Anything else is a group of parameters. Dotted names (``ips.effect.rr_pooled``)
address parameters in formulas and in ``--set`` overrides.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from ipsecon.errors import InputError
from ipsecon.inputs import ranges
from ipsecon.inputs.distributions import Distribution
from ipsecon.inputs.overrides import parse_override_value
from ipsecon.inputs.yaml_files import load_yaml, validate

EVIDENCE_TAGS = ("C", "C2", "D", "M", "assumption", "calibrated")
_PARAM_KEYS = {"value", "values", "table"}


class Table(BaseModel):
    """A lookup table: the first entry of each row is the key (e.g. age in years)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    key: str
    columns: list[str]
    rows: list[list[float]]

    @model_validator(mode="after")
    def _check(self):
        if not self.rows:
            raise ValueError("table needs at least one row")
        width = len(self.columns) + 1
        for i, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(f"row {i} has {len(row)} entries, expected {width} (key + {len(self.columns)} columns)")
        keys = [r[0] for r in self.rows]
        if any(b - a != 1 for a, b in zip(keys, keys[1:])):
            raise ValueError("table keys must be consecutive integers")
        return self

    def lookup(self, key: Any, column: Any = None) -> np.ndarray:
        """Values at ``key`` (floored and clipped to the table's range), by column name."""
        data = np.asarray([r[1:] for r in self.rows], dtype=float)
        first = self.rows[0][0]
        idx = np.clip(np.floor(np.asarray(key, dtype=float)) - first, 0, len(self.rows) - 1).astype(int)
        if column is None:
            return data[idx, 0]
        col = np.asarray(column)
        col_idx = np.full(col.shape, -1, dtype=int)
        for j, name in enumerate(self.columns):
            col_idx[col == name] = j
        if (col_idx < 0).any():
            bad = sorted(set(np.asarray(col)[col_idx < 0].ravel().tolist()))
            raise InputError(None, self.key, f"table has no column {bad}", ", ".join(self.columns))
        idx, col_idx = np.broadcast_arrays(idx, col_idx)
        return data[idx, col_idx]


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    description: str
    unit: str
    source: str
    evidence: Literal["C", "C2", "D", "M", "assumption", "calibrated"]
    value: float | dict[str, float] | None = None
    values: dict[dt.date, float] | None = None
    table: Table | None = None
    distribution: Distribution | None = None
    bounds: tuple[float, float] | None = None  # the one-way sensitivity range (DSA)
    range: tuple[float | None, float | None] | str | None = None  # values allowed (see inputs/ranges.py)
    note: str | None = None

    @field_validator("range")
    @classmethod
    def _range_form(cls, v):
        if v is not None:
            ranges.parse_range(v)
        return v

    @field_validator("values")
    @classmethod
    def _some_values(cls, v):
        if v is not None and not v:
            raise ValueError("values needs at least one date: value")
        return v

    def allowed(self) -> tuple[ranges.Range, str]:
        """The range every value of this parameter must lie in, and why (see inputs/ranges.py)."""
        return ranges.allowed_range(self.unit, None if self.range is None else ranges.parse_range(self.range))

    @field_validator("value", mode="before")
    @classmethod
    def _no_bool(cls, v):
        if isinstance(v, bool):
            raise ValueError("value must be a number")
        return v

    @model_validator(mode="after")
    def _check(self):
        given = [k for k in _PARAM_KEYS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a parameter needs exactly one of value, values, table")
        if self.distribution is not None:
            is_vector = isinstance(self.value, dict)
            if (self.distribution.type == "dirichlet") != is_vector:
                raise ValueError("a dirichlet distribution goes with named components in value, and only there")
            if is_vector and set(self.distribution.alpha) != set(self.value):
                raise ValueError("dirichlet components must match the value's components")
        if self.bounds is not None and not self.bounds[0] <= self.bounds[1]:
            raise ValueError("bounds must be [low, high] with low <= high")
        return self

    def at(self, when: dt.date) -> float:
        """The dated value in force on ``when`` (the earliest if ``when`` precedes all)."""
        dates = sorted(self.values)
        chosen = dates[0]
        for d in dates:
            if d <= when:
                chosen = d
        return self.values[chosen]


class Correlation(BaseModel):
    """A correlation between two parameters' uncertainty (the normal scores of a Gaussian
    copula: for lognormal marginals it is the correlation of the logs)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    between: tuple[str, str]
    rho: float
    source: str

    @model_validator(mode="after")
    def _check(self):
        if not -1 < self.rho < 1:
            raise ValueError("rho must be strictly between -1 and 1")
        if self.between[0] == self.between[1]:
            raise ValueError("a parameter cannot be correlated with itself")
        return self


class MultivariateNormal(BaseModel):
    """Parameters drawn jointly from a multivariate normal (e.g. regression coefficients with their
    covariance matrix): each gets a normal marginal (mean, √Σ_ii) and each pair the correlation
    Σ_ij / √(Σ_ii Σ_jj) through the Gaussian copula, which with normal marginals is exactly the
    multivariate normal. ``mean`` defaults to the parameters' values."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    parameters: list[str]
    covariance: list[list[float]]
    mean: list[float] | None = None
    source: str

    @model_validator(mode="after")
    def _check(self):
        k = len(self.parameters)
        if k < 2 or len(set(self.parameters)) < k:
            raise ValueError("parameters must name two or more distinct parameters")
        c = np.asarray(self.covariance, dtype=float)
        if c.shape != (k, k):
            raise ValueError(f"covariance must be {k} × {k} (one row and column per parameter), got {list(c.shape)}")
        if not np.allclose(c, c.T, rtol=1e-9, atol=0):
            raise ValueError("covariance must be symmetric")
        if np.linalg.eigvalsh(c).min() <= 0:
            raise ValueError("covariance must be positive definite (every variance > 0, no exact linear dependence)")
        if self.mean is not None and len(self.mean) != k:
            raise ValueError(f"mean needs {k} values, one per parameter")
        return self

    def apply(self, params: dict[str, "Parameter"], file: str, path: str) -> list[Correlation]:
        """Give each parameter its normal marginal (in ``params``, in place); the pairs' correlations."""
        c = np.asarray(self.covariance, dtype=float)
        sd = np.sqrt(np.diag(c))
        for i, name in enumerate(self.parameters):
            p = params.get(name)
            if p is None or p.value is None or isinstance(p.value, dict):
                raise InputError(file, f"{path}.parameters[{i}]", f"{name!r} is not a one-number parameter of this file",
                                 "parameters with a single value: declared in the same file")
            if p.distribution is not None:
                raise InputError(file, f"{path}.parameters[{i}]", f"{name} already has a distribution",
                                 "either its own distribution or the multivariate normal")
            mean = float(p.value) if self.mean is None else float(self.mean[i])
            params[name] = p.model_copy(update={"distribution": Distribution(type="normal", mean=mean, sd=float(sd[i]))})
            check_ranges(name, params[name], file)
        k = len(self.parameters)
        return [Correlation(between=(self.parameters[i], self.parameters[j]), rho=float(c[i, j] / (sd[i] * sd[j])),
                            source=self.source) for i in range(k) for j in range(i + 1, k) if c[i, j] != 0]


class ParameterSet:
    """All parameters, by dotted name, with the file each came from, and declared correlations."""

    def __init__(self, params: dict[str, Parameter], files: dict[str, str],
                 correlations: list[Correlation] | None = None):
        self.params = params
        self.files = files
        self.correlations = list(correlations or [])

    def __contains__(self, name: str) -> bool:
        return name in self.params

    def __getitem__(self, name: str) -> Parameter:
        return self.params[name]

    def names(self) -> list[str]:
        return sorted(self.params)

    def merged(self, other: "ParameterSet") -> "ParameterSet":
        return ParameterSet({**self.params, **other.params}, {**self.files, **other.files},
                            self.correlations + other.correlations)

    def scalar_names(self) -> list[str]:
        """Names that formulas can read as numbers (components expanded as name.component)."""
        out = []
        for name, p in self.params.items():
            if isinstance(p.value, dict):
                out += [f"{name}.{c}" for c in p.value]
            elif p.table is None:
                out.append(name)
        return sorted(out)

    def base_values(self, when: dt.date) -> dict[str, Any]:
        """Point values for formulas: numbers, components as name.component, tables as Table."""
        ns: dict[str, Any] = {}
        for name, p in self.params.items():
            if p.table is not None:
                ns[name] = p.table
            elif p.values is not None:
                ns[name] = float(p.at(when))
            elif isinstance(p.value, dict):
                for comp, v in p.value.items():
                    ns[f"{name}.{comp}"] = float(v)
            else:
                ns[name] = float(p.value)
        return ns

    def with_overrides(self, overrides: dict[str, float], source: str = "--set") -> "ParameterSet":
        """A copy with some values replaced (``name`` or ``name.component``).

        An overridden parameter is fixed: its distribution is dropped, so sensitivity analyses
        (and structural alternatives such as 'no decay') keep the value that was set."""
        params = dict(self.params)
        for key, given in overrides.items():
            value = parse_override_value(key, given, source)
            name, comp = key, None
            if key not in params and "." in key and key.rsplit(".", 1)[0] in params:
                name, comp = key.rsplit(".", 1)
            if name not in params:
                raise InputError(source, key, "unknown parameter", "see `ipsecon params` for names")
            p = params[name]
            rng, why = p.allowed()
            ranges.check_value(value, rng, f"{name}: {why}", source, key)
            if comp is not None:
                if not isinstance(p.value, dict) or comp not in p.value:
                    raise InputError(source, key, f"{name} has no component {comp!r}")
                new_value: Any = {**p.value, comp: float(value)}
                params[name] = p.model_copy(update={"value": new_value, "distribution": None})
            elif p.table is not None or isinstance(p.value, dict):
                raise InputError(source, key, "tables and component parameters are overridden per entry",
                                 f"{name}.<component>" if isinstance(p.value, dict) else "edit the table in its file")
            elif p.values is not None:
                params[name] = p.model_copy(update={"values": {dt.date(1900, 1, 1): float(value)}, "distribution": None})
            else:
                params[name] = p.model_copy(update={"value": float(value), "distribution": None})
        return ParameterSet(params, self.files, self.correlations)


def csv_table(spec: dict, file: str, path: str) -> dict:
    """A table given as ``{file: x.csv, key: age, columns: [female, male]}``: its rows read from the CSV
    (relative to the YAML file; a header row naming the key and the columns; ``columns`` defaults to
    every other column), as ``{key, columns, rows}`` for :class:`Table`."""
    import csv

    extra = set(spec) - {"file", "key", "columns"}
    if extra or "key" not in spec or not isinstance(spec.get("file"), str):
        raise InputError(file, f"{path}.table", f"a table from a file takes file, key and columns (got {sorted(spec)})",
                         "{file: life_table.csv, key: age, columns: [female, male]}")
    csv_path = Path(file).parent / spec["file"] if not Path(spec["file"]).is_absolute() else Path(spec["file"])
    where = f"{path}.table.file"
    try:
        with open(csv_path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            body = [r for r in reader if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(file, where, f"cannot read {csv_path}: {getattr(exc, 'strerror', None) or exc}",
                         "a CSV file (UTF-8, header row) next to the parameter file") from None
    key = spec["key"]
    columns = list(spec.get("columns") or [h for h in header if h != key])
    missing = [c for c in [key] + columns if c not in header]
    if missing:
        raise InputError(csv_path, "header", f"no column {', '.join(map(repr, missing))}", ", ".join(header) or "a header row")
    idx = [header.index(c) for c in [key] + columns]
    rows = []
    for line, r in enumerate(body, start=2):
        try:
            rows.append([float(r[i]) for i in idx])
        except (ValueError, IndexError):
            raise InputError(csv_path, f"line {line}", f"not a number in columns {key}, {', '.join(columns)}: {r[:8]}",
                             "numbers (a dot for decimals)") from None
    return {"key": key, "columns": columns, "rows": rows}


def _walk(node: Any, prefix: str, file: str, out: dict[str, Parameter], files: dict[str, str]) -> None:
    if not isinstance(node, dict):
        raise InputError(file, prefix or None, "expected a mapping of parameters or groups")
    if _PARAM_KEYS & set(node):
        if isinstance(node.get("table"), dict) and "file" in node["table"]:  # rows from a CSV file
            node = {**node, "table": csv_table(node["table"], file, prefix)}
        out[prefix] = validate(Parameter, node, file, prefix)
        check_ranges(prefix, out[prefix], file)
        files[prefix] = file
        return
    for key, child in node.items():
        if key == "about":
            continue
        if not isinstance(key, str) or not key.replace("_", "a").isalnum():
            raise InputError(file, f"{prefix}.{key}" if prefix else str(key), "parameter names are letters, digits and _")
        path = f"{prefix}.{key}" if prefix else key
        if path in out:
            raise InputError(file, path, f"parameter defined twice (also in {files[path]})")
        _walk(child, path, file, out, files)


@functools.lru_cache(maxsize=1024)
def _tails(frozen) -> np.ndarray:
    """Quantiles 1e-9 and 1 - 1e-9 of a (shared, see Distribution.frozen) scipy distribution."""
    with np.errstate(all="ignore"):
        return np.asarray(frozen.ppf([1e-9, 1 - 1e-9]), dtype=float)


def check_ranges(name: str, p: Parameter, file: str) -> None:
    """Every value of a parameter, its DSA bounds and its distribution's support lie in its range."""
    rng, why = p.allowed()
    why = f"{name}: {why}"
    if p.table is not None:
        ranges.check_value([r[1:] for r in p.table.rows], rng, why, file, f"{name}.table.rows", "table entry")
    elif p.values is not None:
        for when, v in p.values.items():
            ranges.check_value(v, rng, why, file, f"{name}.values.{when}")
    elif isinstance(p.value, dict):
        for comp, v in p.value.items():
            ranges.check_value(v, rng, why, file, f"{name}.value.{comp}")
    else:
        ranges.check_value(p.value, rng, why, file, f"{name}.value")
    if p.bounds is not None:
        ranges.check_value(p.bounds, rng, why, file, f"{name}.bounds", "bound")
    d = p.distribution
    if d is not None and d.type != "dirichlet":  # dirichlet shares lie in [0, 1] by construction
        low, high = (float(x) for x in d.support())
        if not rng.covers(low, high):
            raise InputError(file, f"{name}.distribution", f"a {d.type} distribution gives values in [{low:g}, {high:g}], "
                             f"outside {rng}", f"{rng} ({why}); e.g. gamma, lognormal or beta for bounded quantities")
        # what sampling would draw; a moment bound settles most without scipy.stats (~0.4 s to import)
        if d.tail_bound() > ranges.MAX_MAGNITUDE and not np.all(np.abs(_tails(d.frozen())) <= ranges.MAX_MAGNITUDE):
            raise InputError(file, f"{name}.distribution", f"a {d.type} distribution that draws values beyond "
                             f"{ranges.MAX_MAGNITUDE:g} in size", f"numbers of at most {ranges.MAX_MAGNITUDE:g} in size")


def load_parameter_tree(data: Any, file: str) -> ParameterSet:
    """Parameters from one YAML tree; a top-level ``correlations:`` list declares correlated
    uncertainty (``{between: [a, b], rho: r, source: ...}``)."""
    params: dict[str, Parameter] = {}
    files: dict[str, str] = {}
    if data is None:
        return ParameterSet(params, files)
    correlations = []
    if isinstance(data, dict) and "correlations" in data:
        data = dict(data)
        raw = data.pop("correlations")
        if not isinstance(raw, list):
            raise InputError(file, "correlations", "expected a list", "[{between: [a, b], rho: r, source: ...}]")
        correlations = [validate(Correlation, c, file, f"correlations[{i}]") for i, c in enumerate(raw)]
    joint = []
    if isinstance(data, dict) and "multivariate_normal" in data:
        data = dict(data)
        raw = data.pop("multivariate_normal")
        if not isinstance(raw, list):
            raise InputError(file, "multivariate_normal", "expected a list",
                             "[{parameters: [a, b], covariance: [[..], [..]], source: ...}]")
        joint = [validate(MultivariateNormal, m, file, f"multivariate_normal[{i}]") for i, m in enumerate(raw)]
    _walk(data, "", file, params, files)
    for i, m in enumerate(joint):
        correlations += m.apply(params, file, f"multivariate_normal[{i}]")
    return ParameterSet(params, files, correlations)


def load_parameters(directory: str | Path) -> ParameterSet:
    """Load every ``*.yaml`` under ``directory`` (recursively) into one set."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(directory, None, "parameter directory not found")
    result = ParameterSet({}, {})
    for path in sorted(directory.rglob("*.yaml")):
        part = load_parameter_tree(load_yaml(path), str(path))
        clash = set(part.params) & set(result.params)
        if clash:
            name = sorted(clash)[0]
            raise InputError(path, name, f"parameter defined twice (also in {result.files[name]})")
        result = result.merged(part)
    return result
