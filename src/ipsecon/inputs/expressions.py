"""A small, safe formula language for model files.

Formulas such as ``job_entry * exp(-duration / 12)`` or
``where(duration >= 36, 1.0, aap.exit_monthly)`` are parsed with :mod:`ast` and
compiled into a tree of numpy closures. Only the node types and functions listed
here are accepted: nothing from a YAML file ever reaches ``eval`` or ``exec``.
Every value is an array that broadcasts, so one formula is evaluated at once over
samples × subgroups × months × durations.
"""

from __future__ import annotations

import ast
import difflib
import operator
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ipsecon.errors import InputError


def _weibull_hazard(t, shape, scale):
    """Hazard of a Weibull(shape, scale) at time t (same time unit as scale)."""
    t = np.maximum(np.asarray(t, dtype=float), 1e-12)
    return (shape / scale) * (t / scale) ** (shape - 1.0)


def _half_life_decay(t, half_life):
    """Weight 1 at t = 0 falling by half every ``half_life`` (0 or inf = no decay)."""
    half_life = np.asarray(half_life, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(np.isfinite(half_life) & (half_life > 0), 0.5 ** (np.maximum(t, 0) / half_life), 1.0)
    return w


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "min": np.minimum,
    "max": np.maximum,
    "clip": np.clip,
    "where": np.where,
    "floor": np.floor,
    "prob_to_rate": lambda p, period=1.0: -np.log1p(-np.asarray(p, dtype=float)) / period,
    "rate_to_prob": lambda r, period=1.0: -np.expm1(-np.asarray(r, dtype=float) * period),
    "weibull_hazard": _weibull_hazard,
    "half_life_decay": _half_life_decay,
}

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
_CMPOPS = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}

ALLOWED_SYNTAX = (
    "numbers, 'strings', names (a.b.c for parameters), + - * / ** %, comparisons, and/or/not, "
    "'a if cond else b', and the functions " + ", ".join(sorted(FUNCTIONS)) + ", lookup(table, key[, column])"
)


def _dotted_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


@dataclass
class Formula:
    """A parsed formula: ``names`` are the variables and parameters it reads."""

    text: str
    names: frozenset[str]
    _fn: Callable[[dict[str, Any]], Any]

    def __call__(self, namespace: dict[str, Any]) -> Any:
        return self._fn(namespace)


def parse(text: Any, file: str | None = None, path: str | None = None) -> Formula:
    """Parse a formula (or a plain number) into a :class:`Formula`."""
    if isinstance(text, bool):
        raise InputError(file, path, f"expected a number or a formula, got {text!r}", ALLOWED_SYNTAX)
    if isinstance(text, (int, float)):
        value = float(text)
        return Formula(repr(text), frozenset(), lambda ns: value)
    if not isinstance(text, str) or not text.strip():
        raise InputError(file, path, f"expected a number or a formula, got {text!r}", ALLOWED_SYNTAX)
    try:
        tree = ast.parse(" ".join(line.strip() for line in text.strip().splitlines()), mode="eval")
    except SyntaxError as exc:
        raise InputError(file, path, f"formula {text!r} is not valid syntax ({exc.msg})", ALLOWED_SYNTAX) from None
    names: set[str] = set()

    def fail(what: str) -> InputError:
        return InputError(file, path, f"formula {text!r}: {what}", ALLOWED_SYNTAX)

    def build(node: ast.AST) -> Callable[[dict[str, Any]], Any]:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float, str)):
                raise fail(f"constant {node.value!r} is not allowed")
            value = float(node.value) if isinstance(node.value, (int, float)) else node.value
            return lambda ns: value
        name = _dotted_name(node)
        if name is not None:
            names.add(name)

            def get(ns, name=name):
                try:
                    return ns[name]
                except KeyError:
                    close = difflib.get_close_matches(name, list(ns), n=3)
                    hint = ("did you mean " + ", ".join(close) + "? " if close else "") + "see `ipsecon params` for parameter names"
                    raise InputError(file, path, f"formula {text!r} uses unknown name {name!r}", hint) from None
            return get
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            op, left, right = _BINOPS[type(node.op)], build(node.left), build(node.right)
            return lambda ns: op(left(ns), right(ns))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            inner = build(node.operand)
            if isinstance(node.op, ast.USub):
                return lambda ns: -inner(ns)
            if isinstance(node.op, ast.Not):
                return lambda ns: np.logical_not(inner(ns))
            return inner
        if isinstance(node, ast.Compare):
            parts = [build(node.left)] + [build(c) for c in node.comparators]
            ops = []
            for op in node.ops:
                if type(op) not in _CMPOPS:
                    raise fail(f"comparison {type(op).__name__} is not allowed")
                ops.append(_CMPOPS[type(op)])

            def compare(ns):
                values = [p(ns) for p in parts]
                result = True
                for op, a, b in zip(ops, values, values[1:]):
                    result = np.logical_and(result, op(np.asarray(a), np.asarray(b)))
                return result
            return compare
        if isinstance(node, ast.BoolOp):
            parts = [build(v) for v in node.values]
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

            def boolean(ns):
                result = parts[0](ns)
                for p in parts[1:]:
                    result = combine(result, p(ns))
                return result
            return boolean
        if isinstance(node, ast.IfExp):
            cond, yes, no = build(node.test), build(node.body), build(node.orelse)
            return lambda ns: np.where(cond(ns), yes(ns), no(ns))
        if isinstance(node, ast.Call):
            fname = _dotted_name(node.func)
            if node.keywords:
                raise fail("keyword arguments are not allowed")
            if fname == "lookup":
                return build_lookup(node)
            if fname not in FUNCTIONS:
                raise fail(f"function {fname!r} is not allowed")
            fn = FUNCTIONS[fname]
            args = [build(a) for a in node.args]
            return lambda ns: fn(*[a(ns) for a in args])
        raise fail(f"{type(node).__name__} is not allowed")

    def build_lookup(node: ast.Call):
        if len(node.args) not in (2, 3):
            raise fail("lookup takes (table, key) or (table, key, column)")
        table_name = _dotted_name(node.args[0])
        if table_name is None:
            raise fail("lookup's first argument must be a table parameter name")
        names.add(table_name)
        key = build(node.args[1])
        column = build(node.args[2]) if len(node.args) == 3 else None

        def do_lookup(ns):
            table = ns.get(table_name)
            if table is None or not hasattr(table, "lookup"):
                raise InputError(file, path, f"formula {text!r}: {table_name!r} is not a table parameter")
            return table.lookup(key(ns), column(ns) if column is not None else None)
        return do_lookup

    fn = build(tree.body)
    return Formula(text.strip(), frozenset(names), fn)
