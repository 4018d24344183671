"""Compact values keep a row per class of the subgroups a transition's formula tells apart (CompactValues.copies,
CompactValues.at): the engines read each subgroup's values through its class's row. Checked against runs where every
transition is read over every subgroup (no class reduction): the same trace and reward totals to the bit, cohort (with
and without a trace) and microsim (both kernels), over PSA samples whose parameters vary per sample."""

import numpy as np
import pytest

from ipsecon.engines.simulate import simulate
from ipsecon.model.scenario import load_scenario
from ipsecon.model.state_machine import CompiledModel
from ipsecon.uncertainty.sampling import draw_samples


@pytest.fixture(scope="module")
def bodo():
    return load_scenario("scenarios/bodo.yaml")


def _every_subgroup(monkeypatch):
    """Transitions read as if each read every attribute: one row per subgroup, as before class rows."""
    monkeypatch.setattr(CompiledModel, "transition_reads",
                        lambda self, strategy, names: [frozenset(names)] * len(self.transitions))


def _outputs(sim, with_trace=True):
    out = {f"total {r}": v for r, v in sim.reward_totals().items()}
    if with_trace:
        out |= {"occupancy": sim.trace.occupancy, "flows": sim.trace.flows, "ever": sim.trace.ever}
    return out


@pytest.mark.parametrize("engine,kernel,with_trace", [("cohort", "months", True), ("cohort", "months", False),
                                                        ("microsim", "months", True), ("microsim", "events", True)])
def test_class_rows_give_the_runs_of_every_subgroup(bodo, monkeypatch, engine, kernel, with_trace):
    values = draw_samples(bodo, 3, seed=5).values(bodo.base_values())
    args = dict(engine=engine, values=values, n_samples=3, horizon_years=4, individuals=600, seed=2, trace=with_trace)
    if engine == "microsim":
        args["kernel"] = kernel
    by_class = _outputs(simulate(bodo, **args), with_trace)
    with monkeypatch.context() as m:
        _every_subgroup(m)
        every = _outputs(simulate(bodo, **args), with_trace)
    assert by_class.keys() == every.keys()
    for name in by_class:
        assert np.array_equal(by_class[name], every[name]), name


def test_class_rows_are_fewer_than_the_subgroups(bodo):
    """The point of it: Bodø's transitions keep far fewer rows than subgroups × transitions."""
    m, strata, values = bodo.model, bodo.strata, bodo.base_values()
    cycles = np.arange(12)
    ns = m.namespace(values, strata, 2015, "ips", cycles, 1)
    cv = m.compact(ns, "ips", (1, strata.size, len(cycles)), strata, cycles)
    stored = sum(sh[1] for sh in cv.shapes)
    assert stored < len(m.transitions) * strata.size / 4
    for q, sh in enumerate(cv.shapes):  # every subgroup's offset lands on a stored row
        rows = cv.at[q] // cv.strides[q, 1] if cv.strides[q, 1] else cv.at[q]
        assert rows.min() >= 0 and rows.max() < sh[1]
