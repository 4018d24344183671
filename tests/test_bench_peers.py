"""benchmarks/peers.py (issue 17, item 7): the peers mode says what it skips and exits 0 when no peer is
installed, and its ground truth — the reference model's discounted totals as a closed-form geometric
matrix series — is right (a hand-summed scalar series) and equals ipsecon's cohort engine."""

import importlib.util
import math

import numpy as np
import pytest

from ipsecon.engines.simulate import simulate
from ipsecon.model.scenario import load_scenario


@pytest.fixture(scope="module")
def peers(root):
    spec = importlib.util.spec_from_file_location("bench_peers", root / "benchmarks" / "peers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_no_peer_installed_prints_skipped_and_exits_0(peers, monkeypatch, capsys):
    monkeypatch.setattr(peers, "python_available", lambda tool: "not installed")
    monkeypatch.setattr(peers, "r_available", lambda tool: "not installed (no Rscript on PATH)")
    assert peers.main([]) == 0
    out = capsys.readouterr().out
    for tool in ("pyheor", "heormodel", "hesim", "heemod"):
        assert f"{tool:10s} skipped: not installed" in out
    assert "nothing to compare" in out
    assert peers.python_available("no_such_peer_module_xyz") == "not installed"


def test_discounted_sum_equals_a_hand_summed_series(peers):
    # two states, leave state 0 with probability p each month: x0 M^t r = (1 - p)^t, so the total is
    # sum_{t=1..T} (v (1 - p))^t = a (1 - a^T) / (1 - a) with a = v (1 - p)
    p, v, T = 0.03, 1.04 ** (-1 / 12), 480
    M = np.array([[1 - p, p], [0.0, 1.0]])
    a = v * (1 - p)
    assert peers.discounted_sum([1.0, 0.0], M, [1.0, 0.0], v, T) == pytest.approx(a * (1 - a**T) / (1 - a), rel=1e-13)
    # reward in the absorbing state: sum_t v^t (1 - (1 - p)^t)
    expected = v * (1 - v**T) / (1 - v) - a * (1 - a**T) / (1 - a)
    assert peers.discounted_sum([1.0, 0.0], M, [0.0, 1.0], v, T) == pytest.approx(expected, rel=1e-12)


def test_closed_form_equals_ipsecon_cohort(peers, root):
    truth = peers.exact(peers.reference_inputs())
    sc = load_scenario(root / "benchmarks" / "reference_5state.yaml")
    tot = simulate(sc, engine="cohort", trace=False).reward_totals()
    for k, strategy in enumerate(peers.STRATEGIES):
        assert tot["cost"][0, k] == pytest.approx(truth[f"cost {strategy}"], rel=1e-9)
        assert tot["qalys"][0, k] == pytest.approx(truth[f"qalys {strategy}"], rel=1e-9)
    # the peers' Monte Carlo checks use the same truth: a microsim mean 4 SE away fails, 3 SE passes
    x = truth["cost usual"]
    assert peers.check_mc({"cost usual": (x + 3.0, 1.0)}, {"cost usual": (x, 0.0)})[0]
    assert not peers.check_mc({"cost usual": (x + 4.0, 1.0)}, {"cost usual": (x, 0.0)})[0]
    assert not math.isnan(peers.exact_continuous(peers.reference_inputs())["cost usual"])


@pytest.mark.parametrize("tool", ["pyheor", "heormodel"])
def test_installed_python_peer_matches_closed_form(peers, tool):
    pytest.importorskip(tool)  # optional: CI does not install the peers
    ref = peers.reference_inputs()
    got = peers.PY_TOOLS[tool](ref).deterministic()()
    ok, why = peers.check_exact(got, peers.exact(ref))
    assert ok, why
