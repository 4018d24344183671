"""Cohort engine: exact expected state occupancy (a Markov trace) for every stratum.

Time in state is handled by internal tunnel states: staying moves mass one duration
step on (capped at the state's ``track_duration − 1``); entering a state puts it at
duration 0. With trackers each duration is split into tracker bins (``structure``): a cycle
in a tracked state moves the mass one bin up, in any state the bin is carried on.

This module drives the compiled kernel (``cohort_kernel``): per strategy and block of
cycles (``blocks``) it asks the model for its compact transition values
(:meth:`CompiledModel.compact`), says where they change, and hands both to worker threads;
the kernel remakes probabilities only where the values change, so memory is the formulas'
own arrays plus the trace. With a trace, subgroups that move alike run once: those a strategy's
transitions do not tell apart (``_alike_strata``), and those that read, to the bit, the values
of an earlier strategy (``_twin_strategy``: IPS's non-users) take its trace.
``cohort_reward_totals`` runs the same kernel but keeps no trace: it adds up reward totals as it
goes (a PSA that needs only those spends most of a traced run writing and re-reading the trace).
``run_cohort_reference`` (``cohort_reference``) is the original dense array program; tests check
the two agree to rounding.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from ipsecon.engines.assembly import make_trace, stack_rewards
from ipsecon.engines.cell_rewards import cell_masses
from ipsecon.engines.blocks import (
    BLOCK_ELEMENTS,
    COMPACT_ELEMENTS,
    block_length,
    compact_block_length,
    duration_runs,
    same_by_subgroup,
    sample_free,
    value_changes,
)
from ipsecon.engines.cohort_kernel import LANES, OUT_CYCLES, CarriedMass, CohortBlock, RewardSums, TraceArrays, run_block
from ipsecon.engines.cohort_reference import advance, run_cohort_reference
from ipsecon.engines.kernels import (
    ROW_ABSORBING,
    ROW_HAZARDS,
    ROW_PROBABILITIES,
    compact_value,
    packed,
    transition_probabilities,
)
from ipsecon.engines.structure import model_layout, tunnel_cells
from ipsecon.engines.trace import Trace
from ipsecon.model.population import Strata
from ipsecon.model.state_machine import CompiledModel, pack_values

# the engine, and the names this module offered before the split (now made elsewhere)
__all__ = ["run_cohort", "cohort_reward_totals", "load_kernels", "run_cohort_reference", "advance", "block_length",
           "compact_block_length", "duration_runs", "value_changes", "sample_free", "tunnel_cells",
           "transition_probabilities", "compact_value", "BLOCK_ELEMENTS", "COMPACT_ELEMENTS", "LANES", "OUT_CYCLES",
           "ROW_ABSORBING", "ROW_PROBABILITIES", "ROW_HAZARDS"]


def run_cohort(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
               start_year: int, n_cycles: int, n_samples: int = 1) -> Trace:
    """Expected occupancy for every sample, strategy and stratum (compiled kernel).

    ``values``: parameter values for formulas (floats, or arrays of length n_samples);
    ``start_mix``: [n_samples or 1, stratum, state] shares at cycle 0. Same trace as
    :func:`run_cohort_reference` (to rounding), except that reward arrays are read-only
    broadcast views.
    """
    return _run(model, values, strata, start_mix, start_year, n_cycles, n_samples, None)


def cohort_reward_totals(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
                         start_year: int, n_cycles: int, n_samples: int,
                         weights: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
                         stratum_weights: np.ndarray | None = None) -> np.ndarray:
    """Population reward totals [m, sample, strategy] added up by the kernel, with no trace.

    ``weights[m]`` = (reward name, wa, wb, wf), per-cycle factors of length ``n_cycles``
    (``accounting.cycle_weights``): cycle t adds R(t)·(wa[t]·x_t + wb[t]·x_{t+1}) plus, where
    the reward declares transition values, TR(t)·flow_t·wf[t] — what
    ``accounting.reward_per_cycle`` makes from a trace, so the totals equal the trace's to
    rounding. Occupancy, flows and ever are never stored: for a PSA that needs only totals,
    writing them (and reading them back) is most of the run. ``stratum_weights``: [sample|1,
    stratum] (``LoadedScenario.stratum_weights``), ``strata.weight`` when None.
    """
    totals = _run(model, values, strata, start_mix, start_year, n_cycles, n_samples, weights)  # per stratum
    w = strata.weight[None] if stratum_weights is None else stratum_weights
    return np.einsum("mkgn,ng->mnk", totals, np.broadcast_to(w, (n_samples, strata.size)))


def load_kernels(model: CompiledModel, values: dict[str, Any], strata: Strata, start_mix: np.ndarray,
                 start_year: int, trace: bool = True) -> None:
    """Load the compiled kernels that a run of ``model`` calls (after an install, compile them: about
    20 s), by running its first cycle for one sample (``values`` and ``start_mix`` of one sample):
    the kernels are specialised to the model's numbers of states and ever states and to whether the
    run keeps a trace, not to its size. A process's first call of any kernel also sets up numba
    (about 0.5 s), so a warm load takes that long, and the run after it is no longer counted as loading."""
    _run(model, values, strata, start_mix, start_year, 1, 1, None if trace else [])


def _copy_first_sample(trace: TraceArrays, k: int, cycles: int) -> None:
    """Strategy k's trace of sample 0 through ``cycles`` cycles, copied to the other samples."""
    for points in (trace.occupancy, trace.ever, trace.cells):
        points[1:, k, :, 1:cycles + 1] = points[0, k, :, 1:cycles + 1]
    trace.flows[1:, k, :, :cycles] = trace.flows[0, k, :, :cycles]


def _alike_strata(model: CompiledModel, strategy: str, strata: Strata, start: np.ndarray,
                  bins0: np.ndarray) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """(rows, copies): subgroups ``rows`` stand for all, subgroup g moving as ``rows[copies[g]]`` does —
    those that agree in every attribute ``strategy``'s transition values read (``dynamics_reads``) and in
    their start (state shares and tracker bins, every sample). (None, None) where each differs."""
    read = model.dynamics_reads(strategy, strata.columns)
    if len(read) == len(strata.columns):
        return None, None
    rows, copies = strata.classes(read, np.hstack([start.transpose(1, 0, 2).reshape(strata.size, -1), bins0]))
    return (None, None) if len(rows) == strata.size else (rows, copies)


def _twin_strategy(model: CompiledModel, values: dict[str, Any], strata: Strata, start_year: int, n_samples: int,
                   n_cycles: int, k: int) -> tuple[int, np.ndarray] | tuple[None, None]:
    """(k0, twins): the first strategy k0 before strategy k under which some subgroups read the very transition
    values they read under k, in every cycle and sample (``twins[g]``, ``blocks.same_by_subgroup``): starting alike,
    they move alike, so their trace under k is theirs under k0 (Bodø: the 48 subgroups who would not use IPS).
    (None, None) where there are none. One cycle is compared first: most strategies differ from the start."""
    names = list(model.strategies)
    n, G, T = n_samples, strata.size, n_cycles
    tb = compact_block_length(model, values, strata, start_year, names[k], n, T)
    for k0 in range(k):
        same = np.ones(G, dtype=bool)
        for cycles in [np.arange(1)] + [np.arange(t0, min(T, t0 + tb)) for t0 in range(0, T, tb)]:
            a, b = (model.compact(model.namespace(values, strata, start_year, names[i], cycles, n), names[i],
                                  (n, G, len(cycles)), strata, cycles) for i in (k0, k))
            same &= same_by_subgroup(a, b)
            del a, b
            if not same.any():
                break
        if same.any():
            return k0, same
    return None, None


def _run(model, values, strata, start_mix, start_year, n_cycles, n_samples, weights):
    """The trace (``weights`` None), or the reward totals of ``cohort_reward_totals``."""
    keep = weights is None
    S, G, T = model.n_states, strata.size, n_cycles
    K, n = len(model.strategies), n_samples
    Q = len(model.transitions)
    ever_members = model.ever_members if keep else []  # ever feeds only the trace
    J = len(ever_members)
    layout = model_layout(model)
    C = int(model.slots.sum())
    sizes = ((0,) * S, (0,) * J)  # the kernel reads the first J bits of layout.ever_bit
    if keep:
        # every element is written (point 0 here, the rest by the kernel); np.empty spares the
        # page zeroing that np.zeros costs on these, the largest arrays of a PSA run
        # rewards that read time in state or a tracker need the occupancy of every tunnel cell
        cell_names = model.cell_rewards
        trace = TraceArrays(True, np.empty((n, K, G, T + 1, S)), np.empty((n, K, G, T, Q)),
                            np.empty((n, K, G, T + 1, J)), np.empty((n, K, G, T + 1, C if cell_names else 0)))
    else:
        if model.cell_rewards:
            raise ValueError("rewards per tunnel cell are added up from a trace (simulate keeps one for them)")
        trace = TraceArrays(False, *(np.empty((0,) * 5),) * 4)
    rewards = {r: {"states": [], "transitions": []} for r in model.rewards}
    names = list(model.rewards)
    weights = weights or []
    M = len(weights)
    rsel = np.array([names.index(w[0]) for w in weights], dtype=np.int64)
    wa, wb, wf = (np.array([w[i] for w in weights], dtype=np.float64).reshape(M, T) for i in (1, 2, 3))
    has_tr = np.array([bool(model.rewards[r]["transitions"]) for r in names], dtype=np.bool_)
    no_rewards = packed(pack_values([]))
    sums = RewardSums(no_rewards, no_rewards, has_tr, rsel, wa, wb, wf, np.zeros((M, K, G, n)))
    start = np.broadcast_to(start_mix, (n, G, S))
    # everybody starts at duration 0, in the tracker bin they start with (0 without trackers)
    bins0 = np.broadcast_to(model.start_bins(values, strata, start_year, n), (n, G)).T  # [g, n]
    # every sample starts alike: a strategy may then run one lane while its values do not differ between
    # samples (the comparator beside a batch of structures), its trace copied to the others (the same arithmetic)
    alike = keep and n > 1 and bool(np.all(start == start[:1])) and bool(np.all(bins0 == bins0[:, :1]))
    run = {"model": model, "values": values, "start_year": start_year, "n_cycles": T, "n_samples": n, "sums": sums,
           "names": names, "sizes": sizes, "layout": layout, "alike": alike}
    for k, strategy in enumerate(model.strategies):
        # subgroups that move as under an earlier strategy (IPS's non-users as under the comparator): copied
        k0, twins = _twin_strategy(model, values, strata, start_year, n, T, k) if keep and k else (None, None)
        todo = np.arange(G) if twins is None else np.nonzero(~twins)[0]
        some = strata if twins is None else strata.subset(todo)
        rows, copies = (_alike_strata(model, strategy, some, start[:, todo], bins0[todo]) if keep and len(todo)
                        else (None, None))
        if rows is None and twins is None:
            _run_strategy(k, strategy, strata, start, bins0, trace, **run)
        else:  # subgroups that move alike (the comparator ignores who would use the programme): one runs for all
            rows = np.arange(len(todo)) if rows is None else rows
            g = len(rows)
            part = TraceArrays(True, np.empty((n, 1, g, T + 1, S)), np.empty((n, 1, g, T, Q)),
                               np.empty((n, 1, g, T + 1, J)), np.empty((n, 1, g, T + 1, trace.cells.shape[4])))
            if g:
                run_rows = todo[rows]
                _run_strategy(0, strategy, strata.subset(run_rows), start[:, run_rows], bins0[run_rows], part, **run)
            for whole, one in zip(trace[1:], part[1:]):
                if len(todo):
                    whole[:, k, todo] = one[:, 0] if copies is None else one[:, 0][:, copies]
                if twins is not None:
                    whole[:, k, twins] = whole[:, k0, twins]
        if keep:
            ns = model.namespace(values, strata, start_year, strategy, np.arange(T), n, with_duration=False)
            for name, parts in model.reward_values_reduced(ns).items():
                rewards[name]["states"].append(parts["states"])
                rewards[name]["transitions"].append(parts["transitions"])
    if not keep:
        return sums.totals
    reward_states = {r: stack_rewards(p["states"], (n, K, G, T, S)) for r, p in rewards.items()}
    reward_transitions = {r: stack_rewards(p["transitions"], (n, K, G, T, Q)) for r, p in rewards.items()}
    masses = {r: cell_masses(model, values, strata, start_year, trace.cells, r, n) for r in cell_names}
    return make_trace("cohort", model, strata.weight, trace.occupancy, trace.flows, trace.ever, reward_states,
                      reward_transitions, reward_masses=masses)


def _run_strategy(k, strategy, strata, start, bins0, trace, *, model, values, start_year, n_cycles, n_samples,
                  sums, names, sizes, layout, alike):
    """Strategy ``strategy`` through every block of cycles for the subgroups ``strata``, their trace written
    at strategy index ``k`` of ``trace`` (where it keeps one), their reward totals added to ``sums``."""
    S, G, T, n = model.n_states, strata.size, n_cycles, n_samples
    cell, ever_members = layout.cell, (model.ever_members if trace.keep else [])
    J = len(ever_members)
    n_slots = max(1, min(nb.get_num_threads(), G * -(-n // LANES)))
    gi, ni = np.meshgrid(np.arange(G), np.arange(n), indexing="ij")
    # carried between blocks, samples last: occ[g, c, n], never[g, e, c, n]
    occ = np.zeros((G, int(model.slots.sum()), n))
    for s in range(S):
        occ[gi, cell[s] + model.bin_in[s, bins0], ni] = start[:, :, s].T
    never = np.repeat(occ[:, None], J, axis=1)
    for j, members in enumerate(ever_members):
        for e in members:
            never[:, j, cell[e]:cell[e] + model.slots[e]] = 0.0
    if trace.keep:
        trace.occupancy[:, k, :, 0] = start
        if trace.cells.shape[4]:
            trace.cells[:, k, :, 0] = occ.transpose(2, 0, 1)
        trace.ever[:, k, :, 0] = 1.0 - never.sum(axis=2).transpose(2, 0, 1)
    tb = compact_block_length(model, values, strata, start_year, strategy, n, T)
    if sums.wa.shape[0]:  # the kernel reads the reward values as it goes
        ns = model.namespace(values, strata, start_year, strategy, np.arange(T), n, with_duration=False)
        reduced = model.reward_values_reduced(ns)
        sums = sums._replace(**{what: packed(pack_values([reduced[r][what] for r in names], G))
                                for what in ("states", "transitions")})
    shared = alike
    carried = CarriedMass(occ[..., :1].copy(), never[..., :1].copy()) if shared else CarriedMass(occ, never)
    for t0 in range(0, T, tb):
        cycles = np.arange(t0, min(T, t0 + tb))
        ns = model.namespace(values, strata, start_year, strategy, cycles, n)
        cv = model.compact(ns, strategy, (n, G, len(cycles)), strata, cycles)
        if shared and any(sh[0] > 1 for sh in cv.shapes):  # the samples part from here: a lane each
            shared = False
            carried = CarriedMass(np.repeat(carried.occ, n, axis=2), np.repeat(carried.never, n, axis=3))
            _copy_first_sample(trace, k, t0)
        block = CohortBlock(k, t0, len(cycles), duration_runs(model, cv), sample_free(model, cv),
                            value_changes(model, cv, G, len(cycles)).reshape(len(cycles), -1))
        slots = n_slots if not shared else max(1, min(nb.get_num_threads(), G))
        run_block(slots, sizes, layout, packed(cv), block, carried, trace, sums)
        del cv, ns, block  # freed before the next block's values are made (two blocks' values would double the peak)
    if shared:
        _copy_first_sample(trace, k, T)
