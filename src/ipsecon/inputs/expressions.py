"""A small, safe formula language for model files.

Formulas such as ``job_entry * exp(-duration / 12)`` or
``where(duration >= 36, 1.0, aap.exit_monthly)`` are parsed with :mod:`ast` and
compiled into a tree of numpy closures. Only the node types and functions listed
here are accepted: nothing from a YAML file ever reaches ``eval`` or ``exec``.
Every value is an array that broadcasts, so one formula is evaluated at once over
samples × subgroups × months × durations.

Arithmetic follows numpy everywhere, also on plain numbers: division by zero or
overflow gives inf or nan, never an exception, and the engines check the values
they use. Parts of a formula made of numbers only are worked out when it is
parsed, so ``10 ** 10 ** 10`` or ``1 / 0`` is refused there.
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

from ipsecon.errors import InputError

MAX_LENGTH = 2000  # characters in one formula
MAX_DEPTH = 100  # nesting of its syntax tree (deeper would strain Python's recursion limit)


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
    "min": lambda *a: reduce(np.minimum, a),
    "max": lambda *a: reduce(np.maximum, a),
    "clip": np.clip,
    "where": np.where,
    "floor": np.floor,
    "prob_to_rate": lambda p, period=1.0: -np.log1p(-np.asarray(p, dtype=float)) / period,
    "rate_to_prob": lambda r, period=1.0: -np.expm1(-np.asarray(r, dtype=float) * period),
    "weibull_hazard": _weibull_hazard,
    "half_life_decay": _half_life_decay,
}
# name: (arguments as shown to users, fewest, most or None for any number). numpy's functions
# take an ``out`` array as their next positional argument, so extra arguments must never reach them.
SIGNATURES: dict[str, tuple[str, int, int | None]] = {
    "exp": ("x", 1, 1), "log": ("x", 1, 1), "log1p": ("x", 1, 1), "sqrt": ("x", 1, 1),
    "abs": ("x", 1, 1), "floor": ("x", 1, 1),
    "min": ("a, b, ...", 2, None), "max": ("a, b, ...", 2, None),
    "clip": ("x, low, high", 3, 3), "where": ("cond, a, b", 3, 3),
    "prob_to_rate": ("p[, period]", 1, 2), "rate_to_prob": ("r[, period]", 1, 2),
    "weibull_hazard": ("t, shape, scale", 3, 3), "half_life_decay": ("t, half_life", 2, 2),
    "lookup": ("table, key[, column]", 2, 3),
}


def _divide(a, b):
    try:
        return a / b
    except ZeroDivisionError:  # plain Python numbers: give inf or nan, as numpy does for arrays
        return np.true_divide(a, b)


def _mod(a, b):
    try:
        return a % b
    except ZeroDivisionError:
        return np.mod(a, b)


def _power(a, b):
    try:
        result = a ** b
    except (ZeroDivisionError, OverflowError):
        return np.power(a, b)
    return np.power(a, b) if isinstance(result, complex) else result  # (-1.0) ** 0.5 is nan, as in numpy


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: _divide,
           ast.Pow: _power, ast.Mod: _mod}
_CMPOPS = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
           ast.Eq: operator.eq, ast.NotEq: operator.ne}
# what users are told when they write something else
_REFUSED = {
    ast.FloorDiv: "operator //", ast.MatMult: "operator @", ast.LShift: "operator <<", ast.RShift: "operator >>",
    ast.BitOr: "operator |", ast.BitXor: "operator ^", ast.BitAnd: "operator &", ast.Invert: "operator ~",
    ast.Is: "comparison 'is'", ast.IsNot: "comparison 'is not'", ast.In: "comparison 'in'", ast.NotIn: "comparison 'not in'",
    ast.Attribute: "attribute access (other than in dotted parameter names such as a.b.c)",
    ast.Subscript: "a subscript x[...]", ast.Slice: "a slice", ast.Lambda: "a lambda",
    ast.NamedExpr: "assignment (:=)", ast.Starred: "a starred argument (*x)",
    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension", ast.JoinedStr: "an f-string", ast.FormattedValue: "an f-string",
    ast.List: "a list", ast.Tuple: "a tuple", ast.Set: "a set", ast.Dict: "a dict", ast.Await: "await",
}

ALLOWED_SYNTAX = (
    "numbers, names (a.b.c for parameters), + - * / ** %, comparisons, and/or/not, 'a if cond else b', "
    "'text' only in comparisons and as lookup's column, and the functions "
    + ", ".join(f"{name}({args})" for name, (args, _, _) in sorted(SIGNATURES.items()))
)


def _dotted_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _constant(value: Any) -> Callable[[dict[str, Any]], Any]:
    """A closure returning ``value``; ``.value`` marks it as known when the formula is parsed."""
    fn = lambda ns: value
    fn.value = value
    return fn


@dataclass
class Formula:
    """A parsed formula: ``names`` are the variables and parameters it reads."""

    text: str
    names: frozenset[str]
    _fn: Callable[[dict[str, Any]], Any]
    file: str | None = None
    path: str | None = None

    def __call__(self, namespace: dict[str, Any]) -> Any:
        try:
            with np.errstate(all="ignore"):  # inf or nan, as documented: no warnings on stderr
                return self._fn(namespace)
        except (TypeError, ValueError, ArithmeticError, IndexError) as exc:
            # e.g. shapes that do not broadcast, text in arithmetic, a negative integer power
            raise InputError(self.file, self.path, f"formula {_short(self.text)!r} cannot be evaluated: {exc}",
                             ALLOWED_SYNTAX) from None


def parse(text: Any, file: str | None = None, path: str | None = None) -> Formula:
    """Parse a formula (or a plain number) into a :class:`Formula`."""
    if isinstance(text, bool):
        raise InputError(file, path, f"expected a number or a formula, got {text!r}", ALLOWED_SYNTAX)
    if isinstance(text, (int, float)):
        value = float(text)
        return Formula(repr(text), frozenset(), lambda ns: value, file, path)
    if not isinstance(text, str) or not text.strip():
        raise InputError(file, path, f"expected a number or a formula, got {text!r}", ALLOWED_SYNTAX)
    source = " ".join(line.strip() for line in text.strip().splitlines())

    def fail(what: str, allowed: str = ALLOWED_SYNTAX) -> InputError:
        return InputError(file, path, f"formula {_short(source)!r}: {what}", allowed)

    if len(source) > MAX_LENGTH:
        raise fail(f"{len(source)} characters is too long (at most {MAX_LENGTH}; split it into variables)")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError) as exc:  # ValueError: a null byte, on older Pythons
        raise fail(f"not valid syntax ({exc.msg if isinstance(exc, SyntaxError) else exc})") from None
    except (RecursionError, MemoryError):  # what CPython's parser raises for very deep nesting
        raise fail(f"too deeply nested (at most {MAX_DEPTH} levels; split it into variables)") from None
    stack = [(tree.body, 1)]  # depth checked without recursion, before anything recurses
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise fail(f"too deeply nested (at most {MAX_DEPTH} levels; split it into variables)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    names: set[str] = set()

    def refused(thing: ast.AST) -> InputError:
        return fail(f"{_REFUSED.get(type(thing), type(thing).__name__)} is not allowed")

    def fold(node: ast.AST, compute: Callable[[], Any]):
        """A part made of numbers only, worked out now: it must be a finite number."""
        with np.errstate(all="ignore"):
            value = compute()
        if not np.all(np.isfinite(value)):
            part = ast.get_source_segment(source, node) or ast.unparse(node)
            raise fail(f"{_short(part, 40)!r} is {value} "
                       "(an overflow, a division by zero or no real result)", "parts that give finite numbers")
        return _constant(value)

    def build(node: ast.AST, text_ok: bool = False) -> Callable[[dict[str, Any]], Any]:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, str) and text_ok:
                return _constant(value)
            if isinstance(value, str):
                raise fail(f"text {_short(repr(value), 30)} can only be compared (sex == 'female') or name a lookup column")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise fail(f"constant {_short(repr(value), 30)} is not allowed")
            try:
                number = np.float64(value)
            except OverflowError:  # an integer literal beyond the float range
                number = np.float64(np.inf)
            return fold(node, lambda: number)
        name = _dotted_name(node)
        if name is not None:
            if any(part.startswith("__") for part in name.split(".")):
                raise fail(f"name {name!r}: names starting with '__' are not allowed")
            names.add(name)

            def get(ns, name=name):
                try:
                    return ns[name]
                except KeyError:
                    close = difflib.get_close_matches(name, list(ns), n=3)
                    hint = ("did you mean " + ", ".join(close) + "? " if close else "") + "see `ipsecon params` for parameter names"
                    raise InputError(file, path, f"formula {_short(source)!r} uses unknown name {name!r}", hint) from None
            return get
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise refused(node.op)
            op, left, right = _BINOPS[type(node.op)], build(node.left), build(node.right)
            if hasattr(left, "value") and hasattr(right, "value"):
                return fold(node, lambda: op(left.value, right.value))
            return lambda ns: op(left(ns), right(ns))
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
                raise refused(node.op)
            inner = build(node.operand)
            if isinstance(node.op, ast.Not):
                return lambda ns: np.logical_not(inner(ns))
            if isinstance(node.op, ast.UAdd):
                return inner
            if hasattr(inner, "value"):
                return fold(node, lambda: -inner.value)
            return lambda ns: -inner(ns)
        if isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _CMPOPS:
                    raise refused(op)
            parts = [build(node.left, text_ok=True)] + [build(c, text_ok=True) for c in node.comparators]
            ops = [_CMPOPS[type(op)] for op in node.ops]

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
            return build_call(node)
        raise refused(node)

    def build_call(node: ast.Call):
        fname = _dotted_name(node.func)
        if fname not in SIGNATURES:
            what = f"function {fname!r}" if fname else "calling anything but the functions listed"
            raise fail(f"{what} is not allowed")
        if node.keywords:
            raise fail(f"keyword arguments are not allowed (write {fname}({SIGNATURES[fname][0]}))")
        args_text, fewest, most = SIGNATURES[fname]
        if len(node.args) < fewest or (most is not None and len(node.args) > most):
            count = str(fewest) if most == fewest else f"{fewest} or {most}" if most else f"at least {fewest}"
            raise fail(f"{fname}({args_text}) takes {count} argument(s), got {len(node.args)}")
        if fname == "lookup":
            return build_lookup(node)
        fn, args = FUNCTIONS[fname], [build(a) for a in node.args]
        if all(hasattr(a, "value") for a in args):
            return fold(node, lambda: fn(*[a.value for a in args]))
        return lambda ns: fn(*[a(ns) for a in args])

    def build_lookup(node: ast.Call):
        table_name = _dotted_name(node.args[0])
        if table_name is None:
            raise fail("lookup's first argument must be a table parameter name")
        build(node.args[0])  # the same checks as any name
        key = build(node.args[1])
        column = build(node.args[2], text_ok=True) if len(node.args) == 3 else None

        def do_lookup(ns):
            table = ns.get(table_name)
            if table is None or not hasattr(table, "lookup"):
                raise InputError(file, path, f"formula {_short(source)!r}: {table_name!r} is not a table parameter")
            k = key(ns)
            if not np.all(np.isfinite(k)):  # nan would become a meaningless row index
                raise InputError(file, path, f"formula {_short(source)!r}: lookup key for {table_name!r} is not a finite number",
                                 "finite keys (e.g. age in years)")
            try:
                return table.lookup(k, column(ns) if column is not None else None)
            except InputError as exc:
                raise InputError(file, path, f"formula {_short(source)!r}: lookup in {table_name!r}: {exc.problem}",
                                 exc.allowed) from None
        return do_lookup

    fn = build(tree.body)
    return Formula(text.strip(), frozenset(names), fn, file, path)
