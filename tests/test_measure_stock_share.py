"""stock_share: the share of a steady-state stock whose tracker has reached a value (long AAP spells).

Checked against a closed form (one state left at a constant hazard: the tracker is the time since entry),
hand-summed points of a deterministic path that leaves and comes back (the count carried through another
state), and a plain-Python Markov chain over (state, count) that shares no code with the engines.
"""

from pathlib import Path

import numpy as np
import pytest
import yaml

import ipsecon
from ipsecon.engines.simulate import simulate
from ipsecon.errors import InputError
from ipsecon.inputs.schema import Target

H = 0.05  # toy: A -> B per month


def _scenario(tmp_path, model: dict, months: int, name: str = "toy"):
    spec = {"name": name, "title": "toy", "description": "stock_share test model", "sources": ["test"],
            "price_year": 2024,
            "model": {"name": name, "cycle_years": 1 / 12, "counting": "end", "discount": {"cost": 0.0, "effect": 0.0},
                      "strategies": {"only": {"label": "only"}},
                      "rewards": {"months": {"kind": "effect", "unit": "months", "states": {"A": 1}}}, **model},
            "population": {"size": 100, "age": {"distribution": "fixed", "value": 40}, "start_state": {"A": 1.0}},
            "run": {"engine": "cohort", "horizon_years": months / 12, "individuals": 2000}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return ipsecon.load_scenario(path)


def _hazard(tmp_path, months: int):
    """A left for B at H a month; the tracker counts months started in A (read by A's formula, so kept)."""
    return _scenario(tmp_path, {"states": {"A": {}, "B": {}}, "trackers": {"n": {"states": ["A"], "max": 60}},
                                "transitions": [{"from": "A", "to": "B", "probability": f"where(n >= 60, {H}, {H})"}]},
                     months, "hazard")


def _loop(tmp_path, months: int, p_leave: str):
    """A -> W (p_leave, while n < 5) -> A (always, after one month); A -> X once n >= 5. W and A read n."""
    return _scenario(tmp_path, {
        "states": {"A": {"track_duration": 2}, "W": {}, "X": {}},
        "trackers": {"n": {"states": ["A"], "max": 10}},
        "transitions": [{"from": "A", "to": "W", "probability": f"where(n < 5, {p_leave}, 0)"},
                        {"from": "W", "to": "A", "probability": "where(n >= 0, 1, 1)"},
                        {"from": "A", "to": "X", "probability": "where(n >= 5, 1, 0)"}]}, months, "loop")


def _t(**kw):
    base = {"measure": "stock_share", "strategy": "only", "value": 0.5, "source": "test", "tracker": "n"}
    return Target(**{**base, **kw})


@pytest.mark.parametrize("k", [1, 12, 60])
def test_constant_hazard_gives_the_closed_form(tmp_path, k):
    """In A at t means in A since entry, with n = t (capped at 60): over points 0 … T the share with n >= k is
    Σ_{t=k}^{T} q^t / Σ_{t=0}^{T} q^t = (q^k − q^(T+1)) / (1 − q^(T+1)), q = 1 − H; → q^k as T grows."""
    T, q = 240, 1 - H
    sim = simulate(_hazard(tmp_path, T))
    expected = (q ** k - q ** (T + 1)) / (1 - q ** (T + 1))
    assert sim.measure(_t(state="A", at_least=k, month=T)) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(q ** k, rel=1e-4)  # the horizon's truncation is negligible here


def test_a_microsim_run_reports_the_cohort_value(tmp_path):
    sc = _hazard(tmp_path, 120)
    target = _t(state="A", at_least=12, month=120)
    assert simulate(sc, engine="microsim", individuals=500).measure(target) == simulate(sc).measure(target)


def test_the_count_is_carried_through_another_state(tmp_path):
    """Deterministic path (A -> W after two months in A, W -> A after one): points 0 … 8 are
    A(n0) A(n1) W(n2) A(n2) A(n3) W(n4) A(n4) A(n5) X — a cycle started in A counts, one in W carries the count."""
    sc = _loop(tmp_path, 12, "where(duration >= 1, 1, 0)")
    sim = simulate(sc)
    # A holds n = 0, 1, 2, 3, 4, 5 at six points: n >= 4 at two of them
    assert sim.measure(_t(state="A", at_least=4, month=12)) == pytest.approx(2 / 6, rel=1e-12)
    # W holds n = 2 and n = 4 (carried from A): both >= 2, one >= 3
    assert sim.measure(_t(state="W", at_least=2, month=12)) == pytest.approx(1.0, rel=1e-12)
    assert sim.measure(_t(state="W", at_least=3, month=12)) == pytest.approx(1 / 2, rel=1e-12)


def test_a_random_loop_agrees_with_a_plain_markov_chain(tmp_path):
    """A -> W with probability 0.3 a month while n < 5: the share computed by a dictionary over (state, n)."""
    T, p = 30, 0.3
    dist, held, beyond = {("A", 0): 1.0}, 0.0, 0.0
    for t in range(T + 1):
        held += sum(m for (s, n), m in dist.items() if s in "AW")
        beyond += sum(m for (s, n), m in dist.items() if s in "AW" and n >= 3)
        nxt: dict = {}
        for (s, n), m in dist.items():
            if s == "A":  # a month started in A counts (capped at max 10); the rule reads n before it
                moves = [("X", 1.0)] if n >= 5 else [("W", p), ("A", 1 - p)]
                n = min(n + 1, 10)
            else:
                moves = [("A", 1.0)] if s == "W" else [("X", 1.0)]
            for to, pr in moves:
                nxt[to, n] = nxt.get((to, n), 0.0) + m * pr
        dist = nxt
    sc = _loop(tmp_path, T, str(p))
    data = yaml.safe_load(Path(sc.file).read_text())
    data["model"]["groups"] = {"AW": ["A", "W"]}
    (tmp_path / "loop_g.yaml").write_text(yaml.safe_dump(data))
    sim = simulate(ipsecon.load_scenario(tmp_path / "loop_g.yaml"))
    assert sim.measure(_t(state="AW", at_least=3, month=T)) == pytest.approx(beyond / held, rel=1e-12)


def test_bad_input_is_one_clear_line(tmp_path):
    sim = simulate(_loop(tmp_path, 12, "0.3"))
    cases = [(_t(state="A", at_least=3, month=12, tracker="aap_months"),
              r"targets\.tracker: unknown tracker 'aap_months' \(allowed: n\)"),
             (_t(state="A", at_least=11, month=12), r"targets\.at_least: at_least 11 is beyond what n counts .*1 … 10"),
             (_t(state="X", at_least=3, month=12), r"targets\.state: the engine does not keep n in X"),
             (_t(state="job", at_least=3, month=12), r"targets\.state: unknown state or group 'job'"),
             (_t(state="A", at_least=3, month=13), r"targets\.month: month 13 is beyond the horizon")]
    for target, message in cases:
        with pytest.raises(InputError, match=message) as e:
            sim.measure(target)
        assert "\n" not in str(e.value)
    # in a scenario file: no tracker, a tracker on another measure, a window start, a zero threshold
    spec = yaml.safe_load(Path(sim.scenario.file).read_text())
    cases = [({"tracker": None}, r"targets\[0\]: .*stock_share needs tracker"),
             ({"measure": "in_state"}, r"targets\[0\]: .*tracker and at_least belong to stock_share"),
             ({"from_month": 2}, r"targets\[0\]: .*from_month does not apply"),
             ({"at_least": 0}, r"targets\[0\]\.at_least: Input should be greater than or equal to 1")]
    for change, message in cases:
        target = {"measure": "stock_share", "state": "A", "tracker": "n", "at_least": 3, "strategy": "only",
                  "month": 12, "value": 0.4, "tolerance": 0.1, "source": "test", **change}
        spec["targets"] = [{k: v for k, v in target.items() if v is not None}]
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(spec))
        with pytest.raises(InputError, match=message) as e:
            ipsecon.load_scenario(path)
        assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_the_aap_model_stock_adds_up(scenario):
    """On the IPS model: the stock's denominator is the trace's occupancy of on_aap summed over points."""
    sim = simulate(scenario, horizon_years=3)
    model = scenario.model
    states = [model.index[s] for s in model.spec.groups["on_aap"]]
    held, beyond = sim.tracker_stock("tau", states, "aap_months", 12, 36)
    occ = sim.trace.population_occupancy()[0, model.strategies.index("tau")][:, states].sum(axis=-1)
    assert held == pytest.approx(occ, rel=1e-10, abs=1e-15)
    # everybody starts with an unused clock (aap_months_at_start 0): nobody has 12 months before month 12
    assert np.all(beyond <= held + 1e-15) and not beyond[:12].any() and beyond[12] > 0


def test_validate_names_an_unknown_tracker_and_accepts_the_scenario(tmp_path, root):
    """`ipsecon validate` (no run) checks the tracker against the model; scenarios/aap_stock.yaml passes it."""
    from click.testing import CliRunner

    from ipsecon.cli import main

    sc = _loop(tmp_path, 12, "0.3")
    spec = yaml.safe_load(Path(sc.file).read_text())
    spec["targets"] = [{"measure": "stock_share", "state": "A", "tracker": "m", "at_least": 3, "strategy": "only",
                        "month": 12, "value": 0.4, "tolerance": 0.1, "source": "test"}]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(spec))
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "bad.yaml")])
    assert r.exit_code == 2 and "targets[0].tracker: unknown tracker 'm' (allowed: n)" in r.output
    r = CliRunner().invoke(main, ["validate", str(root / "scenarios" / "aap_stock.yaml")])
    assert r.exit_code == 0, r.output
