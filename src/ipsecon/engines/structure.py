"""The model's static structure as the compiled kernels read it: one namedtuple of small arrays.

Both engines keep a state's time in state as tunnel cells: state s at duration d lives in
cell cell[s] + d, for d < caps[s] (staying on at the last duration keeps the mass there).
With trackers (``model.trackers``) each duration holds the tracker bins: state s at duration d
and bin b lives in cell cell[s] + d·B_s + b, so a state has caps[s]·B_s cells (``slots``). Only
what can still matter is kept (``CompiledModel._cell_layout``): B_s is 1 where no tracker can be
read again (from uføretrygd or death the AAP clock never matters), caps[s] is 1 where nothing
reads time in s; a cell's formulas are read at its full index cell_index (d·B + combined bin).
A cycle in s moves to cell_next (staying) or to the target's cell at duration 0 with the
combined bin carried on (cell_bin), entered as the target keeps it: dest + bin_in[target, bin].
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np

from ipsecon.model.state_machine import CompiledModel


class ModelLayout(NamedTuple):
    """What the kernels need to know of the model, made once per run (``model_layout``).

    Transitions out of state s, in declaration order, are out_tr[out_ptr[s]:out_ptr[s + 1]];
    row_kind[s] says how their values become probabilities (``kernels.ROW_*``).
    """

    row_kind: np.ndarray  # [s]
    out_ptr: np.ndarray  # [s + 1]
    out_tr: np.ndarray  # [position]: transition number
    tr_target: np.ndarray  # [transition]: target state
    dest: np.ndarray  # [position]: the first cell of an outgoing transition's target (duration 0, bin 0)
    caps: np.ndarray  # [s]: cells of state s (kept durations × kept tracker bins)
    cell: np.ndarray  # [s]: first cell of state s
    cell_state: np.ndarray  # [cell]: its state
    cell_next: np.ndarray  # [cell]: the cell after staying one more cycle
    cell_bin: np.ndarray  # [cell]: the combined tracker bin carried into the next state on leaving (0 without trackers)
    cell_index: np.ndarray  # [cell]: the within-state index (duration·B + combined bin) its values are read at
    bin_in: np.ndarray  # [s, combined bin]: the cell of s (from cell[s]) entered at duration 0 with that bin
    tr_index: np.ndarray  # [source·S + target]: transition number, −1 where there is none
    ever_bit: np.ndarray  # [s]: bit e set where s is (a member of) the model's ever_in[e]
    next_duration: np.ndarray  # [s, i]: the within-state index after staying (dense paths)
    entry_index: np.ndarray  # [s, i]: the index entered in the next state on leaving (dense paths)


def tunnel_cells(model: CompiledModel) -> np.ndarray:
    """First packed cell of each state: state s at its own index i (kept duration d, kept bin b:
    i = d·B_s + b, ``CompiledModel._cell_layout``) lives in cell[s] + i."""
    return np.concatenate([[0], np.cumsum(model.slots)[:-1]]).astype(np.int64)


def transition_index(model: CompiledModel) -> np.ndarray:
    """[source, target] -> transition number, −1 where there is none."""
    out = np.full((model.n_states, model.n_states), -1, dtype=np.int64)
    for tr in model.transitions:
        out[tr.source, tr.target] = tr.index
    return out


_layouts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def model_layout(model: CompiledModel) -> ModelLayout:
    """The model's layout, made once per model: a compiled model's structure does not change,
    and small runs (calibration, DSA) would otherwise spend a few per cent remaking it."""
    layout = _layouts.get(model)
    if layout is None:
        layout = _layouts[model] = _make_layout(model)
    return layout


def _make_layout(model: CompiledModel) -> ModelLayout:
    S = model.n_states
    cell = tunnel_cells(model)
    cell_state = np.repeat(np.arange(S), model.slots).astype(np.int64)
    index = np.arange(len(cell_state)) - cell[cell_state]  # the state's own index
    cell_next = cell[cell_state] + model.cell_next[cell_state, index]  # capped at the last duration
    cell_bin = model.cell_carry[cell_state, index].astype(np.int64)
    cell_index = model.cell_index[cell_state, index].astype(np.int64)
    ever_bit = np.zeros(S, dtype=np.int64)
    for q, members in enumerate(model.ever_members):  # a state, or every state of a group
        for s in members:
            ever_bit[s] |= 1 << q
    dest = cell[model.tr_target[model.out_tr]]
    return ModelLayout(model.row_kind, model.out_ptr, model.out_tr, model.tr_target, dest,
                       model.slots, cell, cell_state, cell_next, cell_bin, cell_index,
                       np.ascontiguousarray(model.bin_in), transition_index(model).ravel(),
                       ever_bit, model.next_index, model.entry_index)
