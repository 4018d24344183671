"""A block's transition values that are the same in every cycle keep one cycle (CompiledModel.compact): the kernels
read them through a zero stride, so the run is the same to the bit and the block's buffer much smaller."""

import numpy as np
import pytest

from ipsecon.model.scenario import load_scenario


def _values(cv, q):
    return cv.by_stratum(q)


@pytest.fixture(scope="module")
def bodo():
    return load_scenario("scenarios/bodo.yaml")


def test_values_keep_one_cycle_until_a_calendar_rule_changes_them(bodo):
    m, strata, values = bodo.model, bodo.strata, bodo.base_values()
    # employed -> aap reads the AAP rules of the calendar year (rules.aap.*), which change in 2018: cycle 36 of a 2015 start
    q = next(tr.index for tr in m.transitions if m.states[tr.source] == "employed" and m.states[tr.target] == "aap")

    def compact(cycles, same):
        ns = m.namespace(values, strata, 2015, "tau", cycles, 1)
        return m.compact(ns, "tau", (1, strata.size, len(cycles)), strata, cycles, same_cycles=same)

    calm, across = np.arange(0, 12), np.arange(30, 42)
    assert compact(calm, True).shapes[q][2] == 1
    assert compact(calm, False).shapes[q][2] == 12
    full = _values(compact(calm, False), q)
    assert np.array_equal(np.broadcast_to(_values(compact(calm, True), q), full.shape), full)
    cut = _values(compact(across, True), q)
    assert cut.shape[2] == 12  # the rule changes inside this block: every cycle kept
    assert np.array_equal(cut[:, :, :6], np.broadcast_to(cut[:, :, :1], cut[:, :, :6].shape))
    assert not np.array_equal(cut[:, :, 5], cut[:, :, 6])  # 2017-12 vs 2018-01


def test_duration_runs_end_at_the_next_change(bodo):
    """blocks.duration_runs: from each within-state index, the run of cells whose values do not change ends at the next
    index where some value out of the state differs (or at the state's last cell): checked cell by cell on Bodø's values."""
    from ipsecon.engines.blocks import duration_runs

    m, strata, values = bodo.model, bodo.strata, bodo.base_values()
    cycles = np.arange(30, 42)
    ns = m.namespace(values, strata, 2015, "ips", cycles, 1)
    cv = m.compact(ns, "ips", (1, strata.size, len(cycles)), strata, cycles)
    ends = duration_runs(m, cv)
    for s in range(m.n_states):
        L = int(m.slots[s])
        rows = [np.broadcast_to(_values(cv, q), (1, strata.size, len(cycles), m.width))[..., m.cell_index[s, :L]]
                for q, tr in enumerate(m.transitions) if tr.source == s]
        for i in range(L):
            j = i + 1
            while j < L and all(np.array_equal(r[..., j], r[..., i]) for r in rows):
                j += 1
            assert ends[s, i] == j, (m.states[s], i)


def test_a_transition_is_read_over_the_subgroups_its_formula_tells_apart(bodo, monkeypatch):
    """CompiledModel.compact reads a transition over one subgroup per class of the attributes it reads (job exits:
    the latent class, 2 of Bodø's 96 subgroups) and keeps a row per class: each subgroup's values are the numbers a
    reading over all 96 gives (a plain dict namespace reads every formula over all subgroups), and the kernels'
    offsets point every subgroup at its class's row."""
    from ipsecon.model.state_machine import Namespace

    m, strata, values = bodo.model, bodo.strata, bodo.base_values()
    sizes = []
    real = Namespace.for_strata
    monkeypatch.setattr(Namespace, "for_strata", lambda self, rows: sizes.append(len(rows)) or real(self, rows))
    cycles = np.arange(30, 42)
    for strategy in m.strategies:
        ns = m.namespace(values, strata, 2015, strategy, cycles, 1)
        by_class = m.compact(ns, strategy, (1, strata.size, len(cycles)), strata, cycles)
        every = m.compact(dict(ns), strategy, (1, strata.size, len(cycles)), strata, cycles)
        for q in range(len(m.transitions)):
            assert np.array_equal(by_class.by_stratum(q), every.by_stratum(q)), q
            v = by_class.stored(q)
            for g in range(strata.size) if v.shape[1] > 1 else ():
                row = (by_class.at[q, g] // by_class.strides[q, 1])
                assert np.array_equal(v[:, row], every.stored(q)[:, g])
        assert by_class.buf.size < every.buf.size / 4
    assert 2 in sizes  # the latent class alone
    assert max(sizes) < strata.size
