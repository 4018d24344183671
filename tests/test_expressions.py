"""The formula language of model files (``ipsecon.inputs.expressions``).

Every allowed construct is checked against a value worked out here in plain numpy;
every refused one must end in one InputError that names the file, the field, the
(shortened) formula, what is wrong and what is allowed, never in a Python error.
"""

import ast
import copy
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from ipsecon.errors import InputError
from ipsecon.inputs import expressions
from ipsecon.inputs.expressions import (
    ALLOWED_SYNTAX,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    SIGNATURES,
    parse,
)
from ipsecon.inputs.parameters import Table
from ipsecon.model.scenario import load_scenario

FILE, FIELD = "models/ips.yaml", "model.variables.v"

X = np.array([0.5, 1.0, 2.0])
Y = np.array([[1.0], [3.0]])  # broadcasts with X to (2, 3)
P = 0.25
SEX = np.array(["female", "male", "female"])
AGE = np.array([29.0, 30.7, 99.0])
TABLE = Table(key="age", columns=["female", "male"], rows=[[30, 0.01, 0.02], [31, 0.03, 0.04], [32, 0.05, 0.06]])


def namespace():
    return {"x": X.copy(), "y": Y.copy(), "p": P, "zero": 0.0, "minus_one": -1.0, "big": 1e10, "ten": 10.0,
            "ips.cost.caseload": 12.0, "hr_entry": 1.5, "half_life": 2.0, "t": np.arange(4.0),
            "sex": SEX.copy(), "age": AGE.copy(), "mortality.table": TABLE}


def evaluate(text):
    return parse(text, FILE, FIELD)(namespace())


def shown_formula(message: str) -> str:
    """The formula as the message quotes it (a Python repr after 'formula ')."""
    m = re.search(r"formula ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")", message)
    assert m, message
    return ast.literal_eval(m.group(1))


def check_message(message: str, text: str) -> None:
    """Names the file and field, quotes the formula shortened to at most 80 characters."""
    assert message.startswith(f"{FILE}: {FIELD}: formula "), message
    shown, full = shown_formula(message), " ".join(text.split())
    assert len(shown) <= 80
    assert shown == full or (shown.endswith("...") and full.startswith(shown[:-3])), (shown, full)


def refused_at_parse(text) -> str:
    with pytest.raises(InputError) as info:
        parse(text, FILE, FIELD)
    message = str(info.value)
    check_message(message, text)
    # a part that is not a finite number says so; anything else lists the language
    allowed = "parts that give finite numbers" if "(an overflow, a division by zero" in message else ALLOWED_SYNTAX
    assert message.endswith(f"(allowed: {allowed})"), message
    return message


def refused_at_evaluation(text, ns) -> str:
    formula = parse(text, FILE, FIELD)
    with pytest.raises(InputError) as info:
        formula(ns)
    message = str(info.value)
    check_message(message, text)
    return message


# -- what is allowed ----------------------------------------------------------

VALUES = [
    # numbers and names
    ("3", 3.0),
    ("2.5e-3", 0.0025),
    ("1_000", 1000.0),
    ("x", X),
    ("ips.cost.caseload", 12.0),
    ("ips.cost.caseload / 12 * x", X),
    ("x +\n    p", X + P),  # a folded YAML scalar spans lines
    # unary and binary arithmetic
    ("-x", -X),
    ("+x", X),
    ("--x", X),
    ("x + p", X + P),
    ("x - p", X - P),
    ("x * p", X * P),
    ("x / p", X / P),
    ("x ** 2", X**2),
    ("x % 0.75", np.mod(X, 0.75)),
    ("2 ** -1", 0.5),
    ("1 + 2 * 3 ** 2", 19.0),
    ("-2 ** 2", -4.0),  # Python precedence: -(2 ** 2)
    ("(1 + 2) * 3", 9.0),
    ("7 % 4", 3.0),
    ("-ten % 3", 2.0),  # numpy's (and Python's) sign of the divisor
    # comparisons, chains and boolean operators
    ("x < 1", X < 1),
    ("x <= 1", X <= 1),
    ("x > 1", X > 1),
    ("x >= 1", X >= 1),
    ("x == 1", X == 1),
    ("x != 1", X != 1),
    ("0.5 < x <= 2", (0.5 < X) & (X <= 2)),
    ("1 < x < 0", np.zeros(3, dtype=bool)),
    ("x > 0.5 and x < 2", (X > 0.5) & (X < 2)),
    ("x < 1 or x > 1", X != 1),
    ("x < 1 or x > 1 and x > 5", X < 1),  # and binds tighter than or
    ("not x > 1", ~(X > 1)),
    ("sex == 'female'", SEX == "female"),
    ("'male' != sex", SEX != "male"),
    # conditionals
    ("x if x > 1 else -x", np.where(X > 1, X, -X)),
    ("where(x > 1, x, 0)", np.where(X > 1, X, 0.0)),
    ("where(sex == 'female', 1.0, 0.0)", (SEX == "female").astype(float)),
    # functions
    ("exp(x)", np.exp(X)),
    ("log(x)", np.log(X)),
    ("log1p(x)", np.log1p(X)),
    ("sqrt(x)", np.sqrt(X)),
    ("abs(-x)", X),
    ("floor(x * 1.5)", np.array([0.0, 1.0, 3.0])),
    ("min(x, 1)", np.array([0.5, 1.0, 1.0])),
    ("max(x, 1)", np.array([1.0, 1.0, 2.0])),
    ("min(x, 1, p)", np.full(3, P)),
    ("max(x, 1, 1.5)", np.array([1.5, 1.5, 2.0])),
    ("clip(x, 0.75, 1.5)", np.array([0.75, 1.0, 1.5])),
    ("prob_to_rate(p)", -np.log(1 - P)),
    ("prob_to_rate(p, 12)", -np.log(1 - P) / 12),
    ("rate_to_prob(x)", 1 - np.exp(-X)),
    ("rate_to_prob(x, 2)", 1 - np.exp(-2 * X)),
    ("rate_to_prob(prob_to_rate(p))", P),
    ("weibull_hazard(x, 2, 3)", (2 / 3) * (X / 3)),
    ("weibull_hazard(x, 1, 4)", np.full(3, 0.25)),  # shape 1: constant hazard 1/scale
    ("half_life_decay(x, 2)", 0.5 ** (X / 2)),
    ("half_life_decay(x, 0)", np.ones(3)),  # 0 = no decay
    ("lookup(mortality.table, age, sex)", np.array([0.01, 0.02, 0.05])),  # key floored, clipped to the rows
    ("lookup(mortality.table, age)", np.array([0.01, 0.01, 0.05])),
    ("lookup(mortality.table, 31, 'male')", 0.04),
    # the closed form in the module's own example, and broadcasting over arrays
    ("hr_entry * exp(-log(2) * t / half_life)", 1.5 * 0.5 ** (np.arange(4.0) / 2)),
    ("x * y", np.outer([1.0, 3.0], X)),
    ("where(y > 1, x, -x)", np.array([-X, X])),
    ("min(x, y)", np.minimum(X, Y)),
    # numbers alone are worked out when parsed, to the same value
    ("-log(2) / 12", -np.log(2) / 12),
    ("exp(1) ** 2", np.e**2),
]


@pytest.mark.parametrize("text, expected", VALUES, ids=[v[0] for v in VALUES])
def test_value(text, expected):
    result = evaluate(text)
    expected = np.asarray(expected)
    assert np.shape(result) == expected.shape
    if expected.dtype == bool:
        assert np.array_equal(result, expected)
    else:
        np.testing.assert_allclose(np.asarray(result, dtype=float), expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("value", [3, 0.5, -2, 1e9])
def test_plain_numbers(value):
    formula = parse(value, FILE, FIELD)
    assert formula({}) == float(value) and formula.names == frozenset()


NAMES = [
    ("3", set()),
    ("hr_entry * exp(-log(2) * t / half_life)", {"hr_entry", "t", "half_life"}),
    ("ips.cost.caseload / 12", {"ips.cost.caseload"}),
    ("lookup(mortality.life_table, age, sex) * mortality.smr_smi", {"mortality.life_table", "age", "sex", "mortality.smr_smi"}),
    ("where(ips_user == 'yes', 1.0, 0.0)", {"ips_user"}),
    ("a if b > c else d and not e", {"a", "b", "c", "d", "e"}),
    ("x + x * x", {"x"}),
]


@pytest.mark.parametrize("text, expected", NAMES, ids=[n[0] for n in NAMES])
def test_names(text, expected):
    assert parse(text, FILE, FIELD).names == frozenset(expected)


def test_min_and_max_leave_their_arguments_alone():
    """numpy's third positional argument is ``out``: min(a, b, c) once wrote the result into c."""
    ns = namespace()
    result = parse("min(x, 1, y)", FILE, FIELD)(ns)
    np.testing.assert_array_equal(result, np.minimum(np.minimum(X, 1), Y))
    np.testing.assert_array_equal(ns["y"], Y)
    np.testing.assert_array_equal(ns["x"], X)


def test_every_function_is_described_to_users():
    assert set(SIGNATURES) == set(FUNCTIONS) | {"lookup"}
    for name, (args, _, _) in SIGNATURES.items():
        assert f"{name}({args})" in ALLOWED_SYNTAX


def test_nesting_that_real_formulas_use_is_fine():
    assert evaluate("-" * 40 + "x") == pytest.approx(X)
    assert evaluate("(" * 150 + "x" + ")" * 150) == pytest.approx(X)  # brackets add no depth
    assert evaluate(" + ".join(["x"] * 50)) == pytest.approx(50 * X)
    assert evaluate("sqrt(" * 20 + "x" + ")" * 20) == pytest.approx(X ** 0.5**20)
    long_sum = " + ".join(["ips.cost.caseload"] * 40)  # 759 characters
    assert evaluate(long_sum) == pytest.approx(40 * 12.0)


# -- what is refused when the file is read -------------------------------------

REFUSED = [
    # attribute access and dunder names
    ("x.__class__", "name 'x.__class__': names starting with '__' are not allowed"),
    ("__builtins__", "names starting with '__' are not allowed"),
    ("ips.__dict__.cost", "names starting with '__' are not allowed"),
    ("().__class__.__bases__", "attribute access (other than in dotted parameter names such as a.b.c) is not allowed"),
    ("exp(x).real", "attribute access"),
    ("'abc'.upper()", "calling anything but the functions listed is not allowed"),
    # imports and code
    ("__import__('os').system('echo hi')", "is not allowed"),
    ("__import__('os')", "function '__import__' is not allowed"),
    ("import os", "not valid syntax"),
    ("x; y", "not valid syntax"),
    ("lambda: 1", "a lambda is not allowed"),
    ("(lambda: 1)()", "calling anything but the functions listed is not allowed"),
    ("eval('1')", "function 'eval' is not allowed"),
    ("exec('1')", "function 'exec' is not allowed"),
    ("open('/etc/passwd')", "function 'open' is not allowed"),
    ("getattr(x, 'a')", "function 'getattr' is not allowed"),
    ("np.exp(x)", "function 'np.exp' is not allowed"),
    ("x()", "function 'x' is not allowed"),
    ("await x", "await is not allowed"),
    ("yield x", "not valid syntax"),
    # comprehensions and containers
    ("[i for i in x]", "a comprehension is not allowed"),
    ("{i for i in x}", "a comprehension is not allowed"),
    ("{i: 1 for i in x}", "a comprehension is not allowed"),
    ("(i for i in x)", "a comprehension is not allowed"),
    ("[1, 2]", "a list is not allowed"),
    ("(1, 2)", "a tuple is not allowed"),
    ("{1, 2}", "a set is not allowed"),
    ("{1: 2}", "a dict is not allowed"),
    ("x[0]", "a subscript x[...] is not allowed"),
    ("x[1:]", "a subscript x[...] is not allowed"),
    # arguments
    ("exp(x=1)", "keyword arguments are not allowed (write exp(x))"),
    ("clip(x, low=0, high=1)", "keyword arguments are not allowed (write clip(x, low, high))"),
    ("exp(*x)", "a starred argument (*x) is not allowed"),
    ("min(*x, 1)", "a starred argument (*x) is not allowed"),
    # text, f-strings and other constants
    ("f'{x}'", "an f-string is not allowed"),
    ("'abc'", "text 'abc' can only be compared"),
    ("x + 'a'", "text 'a' can only be compared"),
    ("where(x > 1, 'a', 'b')", "text 'a' can only be compared"),
    ("exp('1')", "text '1' can only be compared"),
    ("b'x'", "constant b'x' is not allowed"),
    ("True", "constant True is not allowed"),
    ("x * None", "constant None is not allowed"),
    ("...", "constant Ellipsis is not allowed"),
    ("2j", "constant 2j is not allowed"),
    # operators outside the language
    ("(y := 1)", "assignment (:=) is not allowed"),
    ("x // 2", "operator // is not allowed"),
    ("x @ y", "operator @ is not allowed"),
    ("x << 1", "operator << is not allowed"),
    ("x | y", "operator | is not allowed"),
    ("x & y", "operator & is not allowed"),
    ("x ^ y", "operator ^ is not allowed"),
    ("~x", "operator ~ is not allowed"),
    ("x is y", "comparison 'is' is not allowed"),
    ("x is not y", "comparison 'is not' is not allowed"),
    ("x in y", "comparison 'in' is not allowed"),
    ("x not in y", "comparison 'not in' is not allowed"),
    # functions: only the listed ones, with the right number of arguments
    ("exp()", "exp(x) takes 1 argument(s), got 0"),
    ("exp(x, y)", "exp(x) takes 1 argument(s), got 2"),  # y would have been numpy's ``out``
    ("log(1, 2, 3, 4)", "log(x) takes 1 argument(s), got 4"),
    ("min(x)", "min(a, b, ...) takes at least 2 argument(s), got 1"),
    ("clip(x, 1)", "clip(x, low, high) takes 3 argument(s), got 2"),
    ("where(x > 1, x)", "where(cond, a, b) takes 3 argument(s), got 2"),
    ("where(x > 1)", "where(cond, a, b) takes 3 argument(s), got 1"),
    ("prob_to_rate(p, 1, 2)", "prob_to_rate(p[, period]) takes 1 or 2 argument(s), got 3"),
    ("weibull_hazard(x, 2)", "weibull_hazard(t, shape, scale) takes 3 argument(s), got 2"),
    ("lookup(mortality.table)", "lookup(table, key[, column]) takes 2 or 3 argument(s), got 1"),
    ("lookup(1, age)", "lookup's first argument must be a table parameter name"),
    ("lookup(mortality.__class__, age)", "names starting with '__' are not allowed"),
    # parts made of numbers only that are not finite numbers
    ("10 ** 10 ** 10", "'10 ** 10 ** 10' is inf (an overflow, a division by zero or no real result)"),
    ("2 ** 1e6", "'2 ** 1e6' is inf"),
    ("x * 2 ** 10000", "'2 ** 10000' is inf"),
    ("1e999", "'1e999' is inf"),
    ("9" * 400, "is inf"),
    ("exp(1000)", "'exp(1000)' is inf"),
    ("1 / 0", "'1 / 0' is inf"),
    ("x + 0 / 0", "'0 / 0' is nan"),
    ("1 % 0", "'1 % 0' is nan"),
    ("(-1) ** 0.5", "'(-1) ** 0.5' is nan"),
    ("log(-1)", "'log(-1)' is nan"),
    ("log(0)", "'log(0)' is -inf"),
    ("-exp(1000)", "'exp(1000)' is inf"),
    ("prob_to_rate(1)", "'prob_to_rate(1)' is inf"),
    ("weibull_hazard(1, 2, 0)", "is inf"),
    # nesting and length that could exhaust Python's stack or memory
    ("(" * 1000 + "x" + ")" * 1000, f"2001 characters is too long (at most {MAX_LENGTH}"),
    ("(" * 250 + "x" + ")" * 250, "not valid syntax (too many nested parentheses)"),
    ("-" * 1000 + "x", f"too deeply nested (at most {MAX_DEPTH} levels"),
    ("not " * 300 + "x", "too deeply nested"),
    ("exp(" * 150 + "x" + ")" * 150, "too deeply nested"),
    ("2 ** " * 300 + "1", "too deeply nested"),
    (" + ".join(["x"] * 300), "too deeply nested"),
    ("x if x else " * 120 + "x", "too deeply nested"),
    ("a." * 200 + "a", "too deeply nested"),
    ("-" * 100_000 + "x", "100001 characters is too long"),
    ("1+" * 100_000 + "1", "200001 characters is too long"),
    ("x * " * 1000 + "x", "too long"),
    # not formulas at all
    ("1 +", "not valid syntax"),
    ("x y", "not valid syntax"),
    ("x = 1", "not valid syntax"),
    ("x\0", "not valid syntax"),
]


@pytest.mark.parametrize("text, problem", REFUSED, ids=[r[0][:40] for r in REFUSED])
def test_refused_when_parsed(text, problem):
    assert problem in refused_at_parse(text)


@pytest.mark.parametrize("value", [True, False, None, "", "   ", [1], {"a": 1}])
def test_not_a_number_or_formula(value):
    with pytest.raises(InputError) as info:
        parse(value, FILE, FIELD)
    message = str(info.value)
    assert message.startswith(f"{FILE}: {FIELD}: expected a number or a formula, got {value!r}")
    assert "(allowed: " in message


def test_without_a_file_the_message_says_input():
    with pytest.raises(InputError, match=r"^<input>: formula 'eval\(1\)': function 'eval' is not allowed"):
        parse("eval(1)")


# -- what is refused when the formula is evaluated ---------------------------------

EVALUATION_ERRORS = [
    ("hr_entyr * 2", "uses unknown name 'hr_entyr' (allowed: did you mean hr_entry?"),
    ("ips.cost.casload", "uses unknown name 'ips.cost.casload' (allowed: did you mean ips.cost.caseload?"),
    ("nothing_like_it + 1", "uses unknown name 'nothing_like_it' (allowed: see `ipsecon params`"),
    ("sex + 1", "cannot be evaluated: ufunc 'add' did not contain a loop"),
    ("sex < 1", "cannot be evaluated:"),
    ("-(x > 1)", "cannot be evaluated: The numpy boolean negative"),
    ("x + t", "cannot be evaluated: operands could not be broadcast together with shapes (3,) (4,)"),
    ("where(x > 1, t, 0)", "cannot be evaluated: operands could not be broadcast"),
    ("lookup(x, age)", "'x' is not a table parameter"),
    ("lookup(no.such.table, age)", "'no.such.table' is not a table parameter"),
    ("lookup(mortality.table, age, 'other')", "lookup in 'mortality.table': table has no column ['other'] (allowed: female, male)"),
    ("lookup(mortality.table, zero / zero)", "lookup key for 'mortality.table' is not a finite number (allowed: finite keys"),
    ("lookup(mortality.table, sex)", "cannot be evaluated: ufunc 'isfinite' not supported"),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("text, problem", EVALUATION_ERRORS, ids=[e[0] for e in EVALUATION_ERRORS])
def test_refused_when_evaluated(text, problem):
    assert problem in refused_at_evaluation(text, namespace())


def test_long_formula_is_shortened_in_messages():
    text = " + ".join(f"term_{i}" for i in range(60))
    message = refused_at_evaluation(text, {})
    assert "uses unknown name" in message and text not in message
    assert shown_formula(message) == text[:77] + "..."


def test_integer_powers_of_integer_arrays():
    """A negative power of an integer array is a numpy error: reported, not raised as ValueError."""
    message = refused_at_evaluation("n ** m", {"n": np.array([2, 3]), "m": np.array([-1, 1])})
    assert "cannot be evaluated: Integers to negative integer powers are not allowed" in message


# -- inf and nan from values known only at evaluation ---------------------------------

NON_FINITE = [
    ("ten / zero", np.inf),
    ("-ten / zero", -np.inf),
    ("zero / zero", np.nan),
    ("ten % zero", np.nan),
    ("ten ** big", np.inf),
    ("zero ** minus_one", np.inf),
    ("minus_one ** 0.5", np.nan),  # nan, not the complex number Python gives
    ("minus_one ** p", np.nan),
    ("log(zero)", -np.inf),
    ("log(minus_one)", np.nan),
    ("sqrt(minus_one)", np.nan),
    ("exp(big)", np.inf),
    ("x / (x - x)", np.full(3, np.inf)),
    ("x ** big", np.array([0.0, 1.0, np.inf])),
    ("where(x > 1, log(x - 1), -1)", np.array([-1.0, -1.0, 0.0])),  # masked log(-0.5), log(0)
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("text, expected", NON_FINITE, ids=[n[0] for n in NON_FINITE])
def test_non_finite_values_follow_numpy(text, expected):
    """Plain numbers behave as arrays do (inf or nan, never ZeroDivisionError, OverflowError or a
    complex number): a masked branch may be non-finite, so the engines check what they use."""
    result = evaluate(text)
    assert not np.iscomplexobj(result)
    np.testing.assert_array_equal(np.asarray(result, dtype=float), expected)


@pytest.fixture(scope="module")
def hiv(root):
    return yaml.safe_load((root / "tests/data/chancellor_hiv.yaml").read_text())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_engine_reports_a_formula_that_is_not_finite(tmp_path, hiv):
    """The engine, not the formula, refuses inf: it names the transition, the cycle and the value."""
    from ipsecon.engines.simulate import simulate

    data = copy.deepcopy(hiv)
    data["model"]["transitions"][0]["probability"] = "hiv.count.AB / (nA - nA)"
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as info:
        simulate(load_scenario(path), engine="cohort", horizon_years=2)
    message = str(info.value)
    assert str(path) in message and "A->B" in message and "is not a finite number: np.float64(inf)" in message


def test_module_never_calls_eval():
    tree = ast.parse(Path(expressions.__file__).read_text())
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}
