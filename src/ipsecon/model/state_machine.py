"""From a declared model to per-cycle transition probabilities.

The engine is generic: states, transitions, strategy effects and rewards all come
from the model file. This module turns them, for a block of cycles, into

* ``compact``: each transition's per-cycle value (hazard or probability, effects applied)
  in the small shape its formula broadcasts to, packed in one buffer that the compiled
  engines read and turn into probabilities cell by cell; or
* ``probabilities``: the dense P[sample, stratum, cycle, state, duration, next_state]
  (the reference path the kernels are tested against).

Conventions (documented in README):

* ``probability`` over ``per`` = period P is turned into a per-cycle value through the
  constant hazard it implies; ``rate`` per P is scaled to the cycle length.
* If every transition out of a state is a per-cycle probability, they are used as
  given (their sum must not exceed 1). Otherwise all are turned into hazards and
  combined as competing risks: p_j = r_j / R × (1 − exp(−R)), R = Σ r_j.
* Strategy effects act on one transition: ``hr`` multiplies its hazard, ``rr`` its
  per-cycle probability, ``or`` its per-cycle odds. The effect's log is weighted by
  w(t) = 1 from ``start`` to ``decay_start``, then 0.5^((t − decay_start)/half_life),
  and 0 from ``end`` on (times in years since the strategy started).
* ``duration`` counts completed cycles in the current state, capped at the state's
  ``track_duration − 1`` (internal tunnel states).
* A tracker (``model.trackers``) counts the cycles a person has *started* in its states,
  over all spells, capped at its ``max`` (the last value means "max or more"); a cycle started
  in one of its ``reset`` states sets it back to 0 (else it never resets). Time in a state
  and the trackers make one within-state index
  i = duration·B + bin, B the number of tracker bins (1 without trackers); formulas read
  ``duration`` = i // B and each tracker from the bin, over that one axis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ipsecon.inputs import expressions
from ipsecon.errors import InputError, excerpt
from ipsecon.inputs.ranges import MAX_MAGNITUDE
from ipsecon.model.population import Strata
from ipsecon.inputs.schema import Effect, Model

PERIOD_YEARS = {"day": 1 / 365.25, "week": 7 / 365.25, "month": 1 / 12, "year": 1.0}
MAX_EVER = 62  # model.ever_in entries: one bit each of a person's int64 flags
RESERVED = {"t", "years", "age", "year", "start_year", "duration", "duration_years", "strategy"}


@dataclass
class CompiledTransition:
    index: int
    source: int
    target: int
    kind: str  # "probability" | "rate"
    per_cycle_factor: float  # cycles of the model per ``per`` period: value over P -> per cycle
    formula: expressions.Formula
    path: str

    @property
    def per_cycle_native(self) -> bool:
        return self.kind == "probability" and self.per_cycle_factor == 1.0


@dataclass
class CompactValues:
    """Per-cycle values of every transition on a block of cycles, in one flat buffer.

    value(q, n, g, j, d) = buf[offset[q] + n*strides[q, 0] + at[q, g] + j*strides[q, 2] + d*strides[q, 3]]
    for transition q, sample n, stratum g, cycle j of the block and duration d; a stride is 0
    on an axis the transition's formula does not vary over, so nothing is stored for it. A
    formula that tells only a few classes of subgroups apart keeps a row per class: ``copies[q]``
    gives each subgroup's row (None: a row each, or one for all), ``at[q, g]`` its element offset.
    """

    buf: np.ndarray
    offset: np.ndarray
    strides: np.ndarray
    shapes: list[tuple[int, ...]]
    at: np.ndarray  # [q, g]
    copies: list[np.ndarray | None]

    def stored(self, q: int) -> np.ndarray:
        """Transition q's values as stored: (sample|1, row|1, cycle|1, duration|1)."""
        return self.buf[self.offset[q]:self.offset[q] + int(np.prod(self.shapes[q]))].reshape(self.shapes[q])

    def by_stratum(self, q: int) -> np.ndarray:
        """Transition q's values with the stratum axis over every subgroup (or 1 where all share them)."""
        return _by_stratum([self.stored(q)], [self.copies[q]])[0]

    def row_of(self, q: int) -> np.ndarray:
        """[g]: the stored row of transition q that subgroup g reads."""
        if self.copies[q] is not None:
            return self.copies[q]
        G = self.at.shape[1]
        return np.arange(G) if self.shapes[q][1] > 1 else np.zeros(G, dtype=np.int64)


@dataclass
class CompiledTracker:
    """A per-person counter: +1 per cycle started in ``states``, kept through all others, capped at bins − 1."""

    name: str
    states: np.ndarray  # [s]: 1 where a cycle there counts, else 0
    bins: int  # max + 1 values: 0 … max
    radix: int  # place value of this tracker in the combined bin b = Σ value·radix
    start: expressions.Formula | None  # value at cycle 0 (a formula of attributes and parameters), else 0
    path: str
    resets: np.ndarray | None = None  # [s]: 1 where a cycle started there sets the count back to 0

    def value(self, combined: np.ndarray) -> np.ndarray:
        """This tracker's value in combined bins."""
        return combined // self.radix % self.bins


@dataclass
class CompiledEffect:
    transition: int
    kind: str  # hr | rr | or
    value: expressions.Formula
    start: expressions.Formula
    end: expressions.Formula | None
    decay_start: expressions.Formula | None
    half_life: expressions.Formula | None
    path: str


class Namespace(dict):
    """The names a formula reads (``CompiledModel.namespace``), and how it was made: so that a formula that
    tells only a few subgroups apart can be read over those alone (``for_strata``)."""

    def __init__(self, model: CompiledModel, args: tuple):
        super().__init__()
        self.model, self.args = model, args  # (values, strata, start_year, strategy, cycles, n_samples, with_duration)
        self.pending: dict[str, Any] = {}  # variables made when first read (``for_strata``)

    def __missing__(self, name: str) -> Any:
        if name not in self.pending:
            raise KeyError(name)
        value = self[name] = self.pending.pop(name)(self)
        return value

    def for_strata(self, rows: np.ndarray) -> Namespace:
        """The namespace of subgroups ``rows``, its variables made when a formula first reads them (one transition's
        formulas read a few of a model's variables)."""
        values, strata, *rest = self.args
        return self.model.namespace(values, strata.subset(rows), *rest, lazy=True)


class CompiledModel:
    """A checked model: indices for states and transitions, parsed formulas."""

    def __init__(self, model: Model, file: str):
        self.spec = model
        self.file = file
        self.states = list(model.states)
        self.n_states = len(self.states)
        self.index = {s: i for i, s in enumerate(self.states)}
        self.cycle_years = model.cycle_years
        self.caps = np.array([model.states[s].track_duration for s in self.states], dtype=np.int64)
        self.max_duration = int(self.caps.max())
        self.trackers = self._compile_trackers(model)
        self.n_bins = int(np.prod([tk.bins for tk in self.trackers], dtype=np.int64))  # B (1 without trackers)
        # formulas broadcast over the within-state index i = duration·B + bin, of length ``width``
        # (= max_duration without trackers); the engines' cells per state (``slots``) keep only what
        # can matter (``_cell_layout``)
        self.width = self.max_duration * self.n_bins
        self.transitions = self._compile_transitions(model)
        self.pair_index = {(tr.source, tr.target): tr.index for tr in self.transitions}
        self.absorbing = [s for s in range(self.n_states) if not any(tr.source == s for tr in self.transitions)]
        self.variables = [(name, expressions.parse(text, file, f"model.variables.{name}")) for name, text in model.variables.items()]
        for name, _ in self.variables:
            if name in RESERVED:
                raise InputError(file, f"model.variables.{name}", "name is reserved", "not one of " + ", ".join(sorted(RESERVED)))
        self.strategies = list(model.strategies)
        # strategy roles, decided here once: every command compares each intervention with the comparator
        self.comparator = model.comparator or self.strategies[0]
        if self.comparator not in model.strategies:
            raise InputError(file, "model.comparator", f"unknown strategy {self.comparator!r}", ", ".join(self.strategies))
        self.comparator_index = self.strategies.index(self.comparator)
        self.interventions = [s for s in self.strategies if s != self.comparator]
        d = model.discount
        self.discount = {kind: expressions.parse(getattr(d, kind), file, f"model.discount.{kind}") for kind in ("cost", "effect")}
        self.discount_steps = [tuple(expressions.parse(x, file, f"model.discount.steps[{i}]") for x in step)
                               for i, step in enumerate(d.steps)]
        self.discount_declining = expressions.parse(d.declining, file, "model.discount.declining")
        # the rates of this run (a number, or a declining schedule [(from_year, rate), ...] per kind), bound once
        # from the scenario's parameter values (LoadedScenario); engines, ledger and economics all read this one dict
        self.discount_rate: dict[str, float | list[tuple[float, float]]] | None = (
            self.discount_rates({}) if not any(f.names for f in self._discount_formulas()) else None)
        self.effects = {name: [self._compile_effect(e, f"model.strategies.{name}.effects[{i}]")
                               for i, e in enumerate(s.effects)]
                        for name, s in model.strategies.items()}
        self.strategy_set = {name: [(k, expressions.parse(v, file, f"model.strategies.{name}.set.{k}")) for k, v in s.set.items()]
                             for name, s in model.strategies.items()}
        self.rewards = self._compile_rewards(model)
        # named sets of states (model.groups): read wherever "ever in" and the measures read a state
        self.groups = self._compile_groups(model)
        # ever_in keeps the names as listed (states or groups); ever_members[e] the states of entry e
        self.ever_in = list(model.ever_in)
        self.ever_members = [self._ever_entry(name, i) for i, name in enumerate(model.ever_in)]
        # the work states: one state, or a group's members (the ledger books each of them);
        # employment_state is the first of them, None where the model has no employment
        self.employment_name = model.employment_state
        self.employment_states = (self.members(model.employment_state, "model.employment_state")
                                  if model.employment_state else [])
        self.employment_state = self.employment_states[0] if self.employment_states else None
        # within-state index after a cycle in state s from index i: staying moves one duration on
        # (capped), moving enters the next state at duration 0; both carry the bin on (trackers count)
        i = np.arange(self.width)
        self.entry_index = self._bins_after()[:, i % self.n_bins]  # [s, i]
        self.next_index = np.minimum(i[None, :] // self.n_bins + 1, self.caps[:, None] - 1) * self.n_bins + self.entry_index
        self.next_duration = self.next_index  # the name benchmarks/naive.py reads (equal without trackers)
        # the engines' cells: a state keeps only the time in state and tracker values that can still
        # matter (``_cell_layout``); the dense reference paths keep every index i above
        self._cell_layout()
        # static structure for the compiled kernels: how each state's row of probabilities is made
        # (0 absorbing, 1 per-cycle probabilities as given, 2 competing hazards), its outgoing
        # transitions in declaration order (out_tr[out_ptr[s]:out_ptr[s + 1]]), their targets
        outgoing = [[tr for tr in self.transitions if tr.source == s] for s in range(self.n_states)]
        self.row_kind = np.array([0 if not o else 1 if all(tr.per_cycle_native for tr in o) else 2 for o in outgoing], dtype=np.int64)
        self.out_ptr = np.cumsum([0] + [len(o) for o in outgoing]).astype(np.int64)
        self.out_tr = np.array([tr.index for o in outgoing for tr in o], dtype=np.int64)
        self.tr_target = np.array([tr.target for tr in self.transitions], dtype=np.int64)
        self._transition_reads: dict[tuple, list[frozenset[str]]] = {}

    def discount_rates(self, values: dict[str, Any]) -> dict[str, float | list[tuple[float, float]]]:
        """Annual discount rate of costs and of effects for these parameter values: a number, or with
        ``discount.steps`` and ``discount.declining`` = 1 the schedule [(0, rate), (from_year, min(rate, step)), ...]."""
        def one(formula, path: str, allowed: str, ok) -> float:
            x = np.unique(np.asarray(formula(values), dtype=float))
            if x.size != 1 or not np.isfinite(x[0]) or not ok(x[0]):
                shown = f"{x[0]:g}" if x.size == 1 else f"{x.tolist()} (it may not vary by sample)"
                raise InputError(self.file, path, f"{formula.text} is {shown}" if formula.names else f"value {shown}", allowed)
            return float(x[0])

        rate_ok, rates = "one finite rate in (-0.5, 1) per run", lambda r: -0.5 < r < 1
        out = {k: one(f, f"model.discount.{k}", rate_ok, rates) for k, f in self.discount.items()}
        if not self.discount_steps or not one(self.discount_declining, "model.discount.declining",
                                              "1 (the declining schedule) or 0 (the constant rates), one per run", lambda x: x in (0, 1)):
            return out
        steps = [(one(a, f"model.discount.steps[{i}]", "a year >= 0", lambda y: y >= 0),
                  one(r, f"model.discount.steps[{i}]", rate_ok, rates)) for i, (a, r) in enumerate(self.discount_steps)]
        return {k: [(0.0, r)] + [(y, min(r, s)) for y, s in sorted(steps)] for k, r in out.items()}

    def _discount_formulas(self) -> list:
        return list(self.discount.values()) + [f for step in self.discount_steps for f in step] + [self.discount_declining]

    def formula_names(self) -> set[str]:
        """Every name the model's formulas read: variables, parameters, attributes."""
        formulas = [f for _, f in self.variables] + [tr.formula for tr in self.transitions] + self._discount_formulas()
        formulas += [tk.start for tk in self.trackers if tk.start is not None]
        for effects in self.effects.values():
            for e in effects:
                formulas += [f for f in (e.value, e.start, e.end, e.decay_start, e.half_life) if f is not None]
        for sets in self.strategy_set.values():
            formulas += [f for _, f in sets]
        for r in self.rewards.values():
            formulas += list(r["states"].values()) + list(r["transitions"].values())
        return set().union(*(f.names for f in formulas))

    # -- compilation -------------------------------------------------------
    def _compile_trackers(self, model: Model) -> list[CompiledTracker]:
        out: list[CompiledTracker] = []
        radix = 1
        taken = {name: "a reserved name" for name in RESERVED}
        taken.update({s: "a state" for s in self.states})
        taken.update({v: "a variable" for v in model.variables})
        for name, spec in model.trackers.items():
            path = f"model.trackers.{name}"
            for n in (name, f"{name}_years"):
                if n in taken:
                    raise InputError(self.file, path, f"{n!r} is {taken[n]}", "a name no state, variable or built-in name uses")
                taken[n] = "a tracker name"
            states = np.zeros(self.n_states, dtype=np.int64)
            for s in spec.states:
                states[self.state_index(s, f"{path}.states")] = 1
            start = expressions.parse(spec.start, self.file, f"{path}.start") if spec.start is not None else None
            resets = np.zeros(self.n_states, dtype=np.int64)
            for s in spec.reset:
                i = self.state_index(s, f"{path}.reset")
                if states[i]:
                    raise InputError(self.file, f"{path}.reset", f"state {s!r} both counts and resets the tracker",
                                     "states not listed in states")
                resets[i] = 1
            out.append(CompiledTracker(name, states, spec.max + 1, radix, start, path, resets))
            radix *= spec.max + 1
        return out

    def _bins_after(self) -> np.ndarray:
        """[s, b]: the combined tracker bin after one cycle started in state s with bin b."""
        b = np.arange(self.n_bins)
        after = np.tile(b, (self.n_states, 1))
        for tk in self.trackers:
            v = tk.value(b)
            counted = np.minimum(v[None, :] + tk.states[:, None], tk.bins - 1)
            if tk.resets is not None:  # a cycle started in a reset state leaves the count at 0
                counted = np.where(tk.resets[:, None] == 1, 0, counted)
            after += (counted - v[None, :]) * tk.radix
        return after

    def in_state_reads(self) -> list[set[str]]:
        """Per state s: the names of time in state and trackers (``duration``, ``duration_years``, a
        tracker's name or ``<name>_years``) that what happens in s reads — the formulas of its
        transitions and of the strategy effects on them, and its state rewards — directly or through
        variables and a strategy's ``set``, under any strategy."""
        base = {"duration", "duration_years"} | {n for tk in self.trackers for n in (tk.name, f"{tk.name}_years")}
        reads: list[set[str]] = [set() for _ in range(self.n_states)]
        for strategy in self.strategies:
            of = self._reads_of(strategy, base)
            for tr, formulas in zip(self.transitions, self._transition_formulas(strategy)):
                for f in formulas:
                    reads[tr.source] |= of(f)
            for r in self.rewards.values():
                for s, f in r["states"].items():
                    reads[s] |= of(f)
        return reads

    def _reads_of(self, strategy: str, base: set[str]):
        """A function: formula -> the names in ``base`` its value reads under ``strategy``, directly or
        through variables, the strategy's ``set`` and ``age`` (``start_age`` + years, made by ``namespace``)."""
        variable_names = {name for name, _ in self.variables}
        deps: dict[str, set[str]] = {"age": {"start_age"} & base}  # a name -> the base names its value reads

        def of(f) -> set[str]:
            return set().union(*({n} & base | deps.get(n, set()) for n in f.names)) if f.names else set()

        replaced = dict(self.strategy_set[strategy])
        for name, f in replaced.items():  # parameter overrides, made before the variables (namespace)
            if name not in variable_names:
                deps[name] = of(f)
        for name, f in self.variables:
            deps[name] = of(replaced.get(name, f))
        return of

    def transition_reads(self, strategy: str, names: Iterable[str]) -> list[frozenset[str]]:
        """Per transition: which of ``names`` (e.g. the population's attributes) its values under ``strategy``
        read — its formula and the strategy's effects on it, directly or through variables (kept per strategy
        and names: the engines ask once a block)."""
        key = (strategy, tuple(names))
        if key not in self._transition_reads:
            of = self._reads_of(strategy, set(key[1]))
            self._transition_reads[key] = [frozenset().union(*(of(f) for f in formulas))
                                           for formulas in self._transition_formulas(strategy)]
        return self._transition_reads[key]

    def _transition_formulas(self, strategy: str) -> list[list]:
        """Per transition: the formulas its values under ``strategy`` are made of (its own, its effects')."""
        out = [[tr.formula] for tr in self.transitions]
        for e in self.effects[strategy]:
            out[e.transition] += [f for f in (e.value, e.start, e.end, e.decay_start, e.half_life) if f is not None]
        return out

    def dynamics_reads(self, strategy: str, names: Iterable[str]) -> set[str]:
        """Which of ``names`` the transition values of ``strategy`` read (``transition_reads``), with the trackers'
        start values. Subgroups that differ only in other names move alike under the strategy (the cohort engine
        runs one of them)."""
        names = tuple(names)
        of = self._reads_of(strategy, set(names))
        starts = [of(tk.start) for tk in self.trackers if tk.start is not None]
        return set().union(*self.transition_reads(strategy, names), *starts)

    def reachable(self) -> np.ndarray:
        """[s, t]: whether state t can be reached from s (s itself included) through the declared transitions."""
        reach = np.eye(self.n_states, dtype=bool)
        for tr in self.transitions:
            reach[tr.source, tr.target] = True
        for m in range(self.n_states):  # transitive closure (Warshall)
            reach |= reach[:, m:m + 1] & reach[m:m + 1, :]
        return reach

    def _cell_layout(self) -> None:
        """The engines' cells, an exact reduction of the within-state index i = d·B + b.

        A tracker's value can matter only while some formula can still read it: in state s it is kept
        where a state reachable from s (s included) reads it (``in_state_reads``), else every bin of s
        is one (from uføretrygd or death the AAP clock never matters again). Time in state restarts on
        every entry, so it is kept only where s itself reads it. What is dropped is read nowhere the
        mass can go, so occupancy, flows and rewards are those of the full index (the reference paths
        keep it: tests/test_kernels.py compares them to 1e-12).

        Sets, per state s: ``kept_durations[s]``, ``state_bins[s]`` (product of the kept trackers'
        bins), ``slots[s]`` = their product (its cells), and over local indices i = d·state_bins[s] + b:
        ``cell_index[s, i]`` (the full index its formulas are read at), ``cell_next[s, i]`` (the local
        index after staying) and ``cell_carry[s, i]`` (the combined bin carried out on leaving);
        ``bin_in[s, b]``: the local index entered in s (duration 0) with combined bin b.
        """
        S, B = self.n_states, self.n_bins
        reads = self.in_state_reads()
        reach = self.reachable()
        self.kept_durations = np.array([self.caps[s] if reads[s] & {"duration", "duration_years"} else 1
                                        for s in range(S)], dtype=np.int64)
        keep = np.array([[any({tk.name, f"{tk.name}_years"} & reads[t] for t in np.nonzero(reach[s])[0])
                          for tk in self.trackers] for s in range(S)], dtype=bool).reshape(S, len(self.trackers))
        b = np.arange(B)
        local_of = np.zeros((S, B), dtype=np.int64)  # combined bin -> the state's own bin
        combined_of = np.zeros((S, B), dtype=np.int64)  # the state's own bin -> combined (dropped trackers at 0)
        self.state_bins = np.ones(S, dtype=np.int64)
        for s in range(S):
            radix = 1
            for k, tk in enumerate(self.trackers):
                if keep[s, k]:
                    local_of[s] += tk.value(b) * radix
                    combined_of[s] += (b // radix % tk.bins) * tk.radix
                    radix *= tk.bins
            self.state_bins[s] = radix
        self.slots = self.kept_durations * self.state_bins
        after = self._bins_after()
        W = self.width
        self.cell_index = np.zeros((S, W), dtype=np.int64)
        self.cell_next = np.zeros((S, W), dtype=np.int64)
        self.cell_carry = np.zeros((S, W), dtype=np.int64)
        for s in range(S):
            i = np.arange(self.slots[s])
            d, own = i // self.state_bins[s], i % self.state_bins[s]
            full_bin = combined_of[s, own]
            self.cell_index[s, i] = d * B + full_bin
            self.cell_carry[s, i] = after[s, full_bin]
            self.cell_next[s, i] = (np.minimum(d + 1, self.kept_durations[s] - 1) * self.state_bins[s]
                                    + local_of[s, after[s, full_bin]])
        self.bin_in = local_of

    def describe_index(self, i: int) -> str:
        """'duration d' (and each tracker's value) at within-state index i, for messages."""
        text = f"duration {i // self.n_bins}"
        return text + "".join(f", {tk.name} {int(tk.value(i % self.n_bins))}" for tk in self.trackers)

    def start_bins(self, values: dict[str, Any], strata: Strata, start_year: int, n_samples: int) -> np.ndarray:
        """[sample or 1, stratum]: each person's combined tracker bin at cycle 0 (0 unless a
        tracker declares ``start``: rounded to whole cycles, the last bin for ``max`` or more)."""
        out = np.zeros((1, strata.size), dtype=np.int64)
        starts = [tk for tk in self.trackers if tk.start is not None]
        if not starts:
            return out
        ns = self.namespace(values, strata, start_year, self.strategies[0], np.array([0]), n_samples, with_duration=False)
        for tk in starts:
            v = np.asarray(tk.start(ns), dtype=float)
            v = v.reshape((1,) * (4 - v.ndim) + v.shape)[:, :, 0, 0]  # (sample|1, stratum|1)
            if not np.all(np.isfinite(v)) or np.any(v < 0):
                raise InputError(self.file, f"{tk.path}.start", f"start value {tk.start.text} is {np.ravel(v)[0]!r}",
                                 "a finite number of cycles >= 0")
            out = out + np.minimum(np.rint(v).astype(np.int64), tk.bins - 1) * tk.radix
        return np.broadcast_to(out, (out.shape[0], strata.size)).copy()

    def state_index(self, name: str, path: str) -> int:
        if name not in self.index:
            raise InputError(self.file, path, f"unknown state {excerpt(name)}", ", ".join(self.states))
        return self.index[name]

    def members(self, name: str, path: str) -> list[int]:
        """The states a state or group name stands for: [its index], or the group's members."""
        if name in self.groups:
            return list(self.groups[name])
        if name not in self.index:
            raise InputError(self.file, path, f"unknown state or group {excerpt(name)}",
                             ", ".join(self.states + list(self.groups)))
        return [self.index[name]]

    def _compile_groups(self, model: Model) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        taken = {name: "a reserved name" for name in RESERVED}
        taken.update({s: "a state" for s in self.states})
        taken.update({v: "a variable" for v in model.variables})
        taken.update({tk.name: "a tracker" for tk in self.trackers})
        for name, states in model.groups.items():
            path = f"model.groups.{name}"
            if name in taken:
                raise InputError(self.file, path, f"{excerpt(name)} is {taken[name]}",
                                 "a name no state, variable, tracker or built-in name uses")
            if not states:
                raise InputError(self.file, path, "a group needs at least one state", ", ".join(self.states))
            idx = [self.state_index(s, f"{path}[{i}]") for i, s in enumerate(states)]
            if len(set(idx)) < len(idx):
                twice = next(s for s in states if states.count(s) > 1)
                raise InputError(self.file, path, f"state {excerpt(twice)} is listed twice", "each state once")
            out[name] = idx
        return out

    def _ever_entry(self, name: str, i: int) -> list[int]:
        path = f"model.ever_in[{i}]"
        if i >= MAX_EVER:  # each entry is a bit of a person's ever flags (int64)
            raise InputError(self.file, "model.ever_in", f"{len(self.spec.ever_in)} entries", f"at most {MAX_EVER}")
        if name in self.spec.ever_in[:i]:
            raise InputError(self.file, path, f"{excerpt(name)} is listed twice", "each state or group once")
        return self.members(name, path)

    def _compile_transitions(self, model: Model) -> list[CompiledTransition]:
        out: list[CompiledTransition] = []
        seen: dict[tuple[int, int], str] = {}
        cycles_per_year = 1 / model.cycle_years
        for i, tr in enumerate(model.transitions):
            path = f"model.transitions[{i}]"
            sources = tr.from_ if isinstance(tr.from_, list) else [tr.from_]
            if sources == ["any"]:
                sources = [s for s in self.states if s != tr.to]
            target = self.state_index(tr.to, f"{path}.to")
            if (tr.probability is None) == (tr.rate is None):
                raise InputError(self.file, path, "give exactly one of probability or rate")
            kind = "probability" if tr.probability is not None else "rate"
            text = tr.probability if kind == "probability" else tr.rate
            formula = expressions.parse(text, self.file, f"{path}.{kind}")
            factor = 1.0 if tr.per == "cycle" else cycles_per_year * PERIOD_YEARS[tr.per]
            for s in sources:
                source = self.state_index(s, f"{path}.from")
                if source == target:
                    raise InputError(self.file, path, f"transition {s}->{tr.to} goes to itself; staying is the complement")
                if (source, target) in seen:
                    raise InputError(self.file, path, f"transition {s}->{tr.to} is declared twice (also at {seen[(source, target)]})")
                seen[(source, target)] = path
                out.append(CompiledTransition(len(out), source, target, kind, factor, formula, path))
        return out

    def transition_index(self, name: str, path: str) -> int:
        if "->" not in name:
            raise InputError(self.file, path, f"transition {excerpt(name)} must be written 'from->to'")
        a, b = (x.strip() for x in name.split("->", 1))
        key = (self.state_index(a, path), self.state_index(b, path))
        if key not in self.pair_index:
            declared = ", ".join(f"{self.states[t.source]}->{self.states[t.target]}" for t in self.transitions)
            raise InputError(self.file, path, f"no transition {excerpt(name)} is declared", declared)
        return self.pair_index[key]

    def _compile_effect(self, e: Effect, path: str) -> CompiledEffect:
        given = [(k, v) for k, v in (("hr", e.hr), ("rr", e.rr), ("or", e.odds_ratio)) if v is not None]
        if len(given) != 1:
            raise InputError(self.file, path, "an effect needs exactly one of hr, rr, or")
        kind, value = given[0]
        p = lambda x, f: expressions.parse(x, self.file, f"{path}.{f}") if x is not None else None  # noqa: E731
        return CompiledEffect(self.transition_index(e.transition, f"{path}.transition"), kind,
                              p(value, kind), p(e.start, "start"), p(e.end, "end"),
                              p(e.decay_start, "decay_start"), p(e.half_life, "half_life"), path)

    def _compile_rewards(self, model: Model) -> dict[str, dict]:
        out = {}
        for name, r in model.rewards.items():
            states = {self.state_index(s, f"model.rewards.{name}.states"): expressions.parse(v, self.file, f"model.rewards.{name}.states.{s}")
                      for s, v in r.states.items()}
            trans = {self.transition_index(k, f"model.rewards.{name}.transitions"): expressions.parse(v, self.file, f"model.rewards.{name}.transitions.{k}")
                     for k, v in r.transitions.items()}
            in_state = {"duration", "duration_years"} | {n for tk in self.trackers for n in (tk.name, f"{tk.name}_years")}
            # a variable that reads time in state or a tracker makes a reward that reads it one too
            for v, f in self.variables:  # in order: a variable may read earlier ones
                if f.names & in_state:
                    in_state.add(v)
            for k, f in trans.items():
                if in_state & f.names:
                    raise InputError(self.file, f"model.rewards.{name}.transitions", "a transition reward may not depend "
                                     "on duration or trackers", "t, years, age, year, attributes, parameters")
            # state rewards may: then each tunnel cell (time in state × tracker bins) has its own value
            cells = any(in_state & f.names for f in states.values())
            out[name] = {"kind": r.kind, "unit": r.unit, "states": states, "transitions": trans, "cells": cells}
        return out

    @property
    def cell_rewards(self) -> list[str]:
        """Rewards whose state values depend on time in state or a tracker (a value per tunnel cell)."""
        return [name for name, r in self.rewards.items() if r["cells"]]

    def reward_cell_values(self, ns: dict[str, Any], name: str) -> np.ndarray:
        """R[n|1, g|1, t|1, cell] of a cell reward: state s's formula at each of its within-state
        indices i (cell ``structure.tunnel_cells[s] + i``), from a namespace with durations."""
        r = self.rewards[name]
        parts = []
        for s in range(self.n_states):
            f = r["states"].get(s)
            v = _four_axes(f(ns)) if f is not None else np.zeros((1, 1, 1, 1))
            parts.append(np.broadcast_to(v, v.shape[:3] + (self.width,))[..., self.cell_index[s, :self.slots[s]]])
        common = np.broadcast_shapes(*(p.shape[:3] for p in parts))
        out = np.concatenate([np.broadcast_to(p, common + p.shape[3:]) for p in parts], axis=-1)
        if not np.all(np.abs(out) <= MAX_MAGNITUDE):  # nan fails too; larger ones overflow the totals
            raise InputError(self.file, f"model.rewards.{name}.states", "reward is not a finite number",
                             f"finite numbers of at most {MAX_MAGNITUDE:g} in size")
        return out

    # -- evaluation --------------------------------------------------------
    def namespace(self, values: dict[str, Any], strata: Strata, start_year: int, strategy: str,
                  cycles: np.ndarray, n_samples: int, with_duration: bool = True, lazy: bool = False) -> Namespace:
        """Names a formula can read, shaped to broadcast over (sample, stratum, cycle, duration); with ``lazy``
        each variable is made when first read (where no variable shadows a name made before the variables, whose
        readers would otherwise see one or the other depending on the order)."""
        ns = Namespace(self, (values, strata, start_year, strategy, cycles, n_samples, with_duration))
        for k, v in values.items():
            if isinstance(v, np.ndarray) and v.ndim == 1:
                ns[k] = v.reshape(-1, 1, 1, 1)
            else:
                ns[k] = v
        t = np.asarray(cycles, dtype=float).reshape(1, 1, -1, 1)
        ns["t"] = t
        ns["years"] = t * self.cycle_years
        for col, arr in strata.columns.items():
            ns[col] = arr.reshape(1, -1, 1, 1)
        ns["age"] = ns["start_age"] + ns["years"]
        ns["year"] = start_year + ns["years"]
        ns["start_year"] = float(start_year)  # the calendar year of cycle 0 (a constant: e.g. a benefit's grant year)
        # the within-state index i = duration·B + bin (its first element only, 0, without duration)
        i = np.arange(self.width if with_duration else 1).reshape(1, 1, 1, -1)
        d = (i // self.n_bins).astype(float)
        ns["duration"] = d
        ns["duration_years"] = d * self.cycle_years
        for tk in self.trackers:
            ns[tk.name] = tk.value(i % self.n_bins).astype(float)
            ns[f"{tk.name}_years"] = ns[tk.name] * self.cycle_years
        # a strategy's ``set`` replaces a variable's formula in place, or overrides a parameter
        replaced = dict(self.strategy_set[strategy])
        variable_names = {name for name, _ in self.variables}
        for name, f in replaced.items():
            if name not in variable_names:
                ns[name] = f(ns)
        if lazy and not variable_names & ns.keys():
            ns.pending = {name: replaced.get(name, f) for name, f in self.variables}
            return ns
        for name, f in self.variables:
            ns[name] = replaced.get(name, f)(ns)
        return ns

    def _effect_weight(self, e: CompiledEffect, ns: dict[str, Any]) -> np.ndarray:
        yrs = ns["years"]
        start = e.start(ns)
        w = (yrs >= start).astype(float)
        if e.half_life is not None:
            ds = e.decay_start(ns) if e.decay_start is not None else start
            hl = np.asarray(e.half_life(ns), dtype=float)
            if np.any(hl <= 0):
                raise InputError(self.file, f"{e.path}.half_life", "half-life must be > 0 (use a very large number for no decay)")
            w = w * np.where(yrs > ds, 0.5 ** ((yrs - ds) / hl), 1.0)
        if e.end is not None:
            w = w * (yrs < e.end(ns))
        if w.ndim == 4 and w.shape[2] > 1 and np.all(w == w[:, :, :1]):
            w = w[:, :, :1]  # the same in every cycle of the block: keep the effect's values that small
        return w

    def _value(self, tr: CompiledTransition, ns: dict[str, Any], ctx) -> np.ndarray:
        v = np.asarray(tr.formula(ns), dtype=float)
        if not np.all(np.isfinite(v)):
            raise ctx(tr, v, ~np.isfinite(v), "is not a finite number", "finite numbers")
        if tr.kind == "probability":
            bad = (v < 0) | (v > 1)
            if bad.any():
                raise ctx(tr, v, bad, "probability is outside [0, 1]", "0 <= p <= 1")
        elif (v < 0).any():
            raise ctx(tr, v, v < 0, "rate is negative", "rates >= 0")
        return v

    def _outgoing_values(self, ns: dict[str, Any], strategy: str, shape: tuple[int, int, int], strata: Strata,
                         cycles: np.ndarray, same_cycles: bool = False):
        """For each state with outgoing transitions: (state, transitions, native, per-cycle values, copies).

        Values are hazards per cycle (competing risks) or per-cycle probabilities (``native``),
        with strategy effects applied, each in the broadcast-reduced shape its formula gives
        (every axis of (sample, stratum, cycle, duration) full or 1; with ``same_cycles`` the cycle
        axis 1 also where every cycle of the block holds the same values). All input checks happen
        here, on those small arrays, in the order the dense path always used. A value read over one
        subgroup per class (below) keeps a row per class; its ``copies`` entry gives each subgroup's row
        (else None).
        """
        n, g, tb = shape
        full = (n, g, tb, self.width)

        def context(groups: Strata):
            """An input error's maker, naming the subgroup of ``groups`` where the values are wrong."""
            def ctx(tr, values, mask, problem, allowed):
                shape = (n, groups.size, tb, self.width)
                values = np.broadcast_to(values, shape)
                mask = np.broadcast_to(mask, shape)
                i, gi, ti, di = (int(x[0]) for x in np.nonzero(mask))
                where = (f"transition {self.states[tr.source]}->{self.states[tr.target]} ({tr.path}), strategy {strategy}, "
                         f"cycle {int(cycles[ti])}, {self.describe_index(di)}, subgroup [{groups.describe(gi)}], sample {i}")
                return InputError(self.file, where, f"{problem}: {values[i, gi, ti, di]!r}", allowed)
            return ctx

        # A transition whose formula tells only a few subgroups apart (Bodø's job exits read the latent class alone:
        # 2 of 96) is read over one subgroup of each class and kept so, with the class of each subgroup: the same
        # numbers, with the formulas' arithmetic (and the kernels' reading) on a fraction of the rows. Each class's
        # first subgroup stands for it, so an input error names the subgroup a reading over all of them would.
        reads = self.transition_reads(strategy, strata.columns)
        classes: dict[frozenset[str], tuple] = {}

        def reading(tr):
            """(namespace, error maker, copies: None, or the class of each subgroup) to read transition ``tr`` with."""
            key = reads[tr.index]
            if not isinstance(ns, Namespace) or not key or len(key) == len(strata.columns):
                return ns, context(strata), None
            if key not in classes:
                rows, copies = strata.classes(key)
                classes[key] = ((ns, context(strata), None) if len(rows) == strata.size
                                else (ns.for_strata(rows), context(strata.subset(rows)), copies))
            return classes[key]

        effects_by_tr: dict[int, list[CompiledEffect]] = {}
        for e in self.effects[strategy]:
            effects_by_tr.setdefault(e.transition, []).append(e)
        for s in range(self.n_states):
            outgoing = [tr for tr in self.transitions if tr.source == s]
            if not outgoing:
                continue
            native = all(tr.per_cycle_native for tr in outgoing)
            values, spread = [], []
            for tr in outgoing:
                tns, ctx, copies = reading(tr)
                v = self._value(tr, tns, ctx)
                effects = effects_by_tr.get(tr.index, [])
                if native:
                    p = v
                    for e in effects:
                        p = self._apply_to_probability(e, p, tns)
                    out = _four_axes(p)
                else:
                    # hazard per cycle
                    if tr.kind == "probability":
                        if (v >= 1).any():
                            raise ctx(tr, v, v >= 1, "a probability of 1 has no finite hazard to combine as a competing risk",
                                      "p < 1, or give every transition out of this state as a per-cycle probability")
                        r = -np.log1p(-v) / tr.per_cycle_factor
                    else:
                        r = v / tr.per_cycle_factor
                    for e in effects:
                        r = self._apply_to_rate(e, r, tns)
                    out = _four_axes(r)
                if same_cycles and out.shape[2] > 1 and (out == out[:, :, :1]).all():
                    out = out[:, :, :1]
                values.append(out)
                spread.append(copies if copies is not None and out.shape[1] > 1 else None)
            if native:
                # summed the way numpy sums the dense stack, so the reported total is the same
                total = np.stack(np.broadcast_arrays(*_by_stratum(values, spread)), axis=-1).sum(axis=-1)
                bad = total > 1 + 1e-9
                if bad.any():
                    i, gi, ti, di = (int(x[0]) for x in np.nonzero(np.broadcast_to(bad, full)))
                    total = np.broadcast_to(total, full)
                    raise InputError(self.file, f"state {self.states[s]}, strategy {strategy}, cycle {int(cycles[ti])}, {self.describe_index(di)}, subgroup [{strata.describe(gi)}], sample {i}",
                                     f"outgoing probabilities sum to {total[i, gi, ti, di]:.6g}", "a sum <= 1 (staying is the complement)")
            yield s, outgoing, native, values, spread

    def probabilities(self, ns: dict[str, Any], strategy: str, shape: tuple[int, int, int], strata: Strata,
                      cycles: np.ndarray) -> np.ndarray:
        """P[sample, stratum, cycle, state, i, next] for one strategy over a block of cycles, i the
        within-state index (duration·B + tracker bin).

        Dense and large (the reference path); the engines read :meth:`compact` instead.
        """
        n, g, tb = shape
        D, S = self.width, self.n_states
        full = (n, g, tb, D)
        P = np.zeros((n, g, tb, S, D, S))
        for s in self.absorbing:
            P[:, :, :, s, :, s] = 1.0
        for s, outgoing, native, values, spread in self._outgoing_values(ns, strategy, shape, strata, cycles):
            stacked = np.stack([np.broadcast_to(v, full) for v in _by_stratum(values, spread)], axis=-1)  # (n, g, tb, D, k)
            if native:
                probs = stacked
            else:
                total = stacked.sum(axis=-1, keepdims=True)
                with np.errstate(invalid="ignore", divide="ignore"):
                    probs = np.where(total > 0, stacked / total * -np.expm1(-total), 0.0)
            for k, tr in enumerate(outgoing):
                P[:, :, :, s, :, tr.target] = probs[..., k]
            P[:, :, :, s, :, s] = 1.0 - probs.sum(axis=-1)
        np.clip(P, 0.0, 1.0, out=P)
        return P

    def compact(self, ns: dict[str, Any], strategy: str, shape: tuple[int, int, int], strata: Strata,
                cycles: np.ndarray, same_cycles: bool = True) -> CompactValues:
        """Per-cycle transition values for one strategy over a block of cycles, packed for the kernels.

        Same checks as :meth:`probabilities`, but nothing larger than the formulas' own
        broadcast shapes is allocated; the kernels turn values into probabilities
        (``kernels.transition_probabilities``) exactly as :meth:`probabilities` does. With
        ``same_cycles``, values that are the same in every cycle of the block keep one cycle: a
        calendar rule changes a transition a few times in a horizon (Bodø's AAP rules, twice in 40
        years), and its values over stratum × time in state are the largest a block makes.
        """
        arrays: list[np.ndarray | None] = [None] * len(self.transitions)
        copies: list[np.ndarray | None] = [None] * len(self.transitions)
        for _, outgoing, _, values, spread in self._outgoing_values(ns, strategy, shape, strata, cycles, same_cycles):
            for tr, v, c in zip(outgoing, values, spread):
                arrays[tr.index], copies[tr.index] = v, c
        return pack_values(arrays, strata.size, copies)

    def _apply_to_rate(self, e: CompiledEffect, r, ns):
        w = self._effect_weight(e, ns)
        m = np.asarray(e.value(ns), dtype=float)
        self._check_ratio(e, m)
        if e.kind == "hr":
            return r * m ** w
        p = -np.expm1(-r)
        return -np.log1p(-np.minimum(self._shift_probability(e.kind, p, m ** w), 1 - 1e-12))

    def _apply_to_probability(self, e: CompiledEffect, p, ns):
        w = self._effect_weight(e, ns)
        m = np.asarray(e.value(ns), dtype=float)
        self._check_ratio(e, m)
        if e.kind == "hr":
            return -np.expm1(np.log1p(-np.minimum(p, 1 - 1e-12)) * m ** w)
        return self._shift_probability(e.kind, p, m ** w)

    @staticmethod
    def _shift_probability(kind: str, p, m):
        if kind == "rr":
            return p * m
        odds = p / np.maximum(1 - p, 1e-300) * m
        return odds / (1 + odds)

    def _check_ratio(self, e: CompiledEffect, m):
        if not np.all(np.isfinite(m)) or np.any(m <= 0):
            raise InputError(self.file, f"{e.path}.{e.kind}", f"effect ratio must be a positive finite number, got {np.ravel(m)[0]!r}")

    def reward_values(self, ns: dict[str, Any], shape: tuple[int, int, int]) -> dict[str, dict]:
        """Per-cycle reward values R[sample, stratum, cycle, state] and per transition."""
        n, g, tb = shape
        out = {}
        for name, r in self.rewards.items():
            states = np.zeros((n, g, tb, self.n_states))
            for s, f in r["states"].items():
                states[..., s] = _over_cycles(f(ns), (n, g, tb))
            trans = np.zeros((n, g, tb, len(self.transitions)))
            for k, f in r["transitions"].items():
                trans[..., k] = _over_cycles(f(ns), (n, g, tb))
            for arr, what in ((states, "states"), (trans, "transitions")):
                if not np.all(np.abs(arr) <= MAX_MAGNITUDE):  # nan fails too; larger ones overflow the totals
                    raise InputError(self.file, f"model.rewards.{name}.{what}", "reward is not a finite number",
                                     f"finite numbers of at most {MAX_MAGNITUDE:g} in size")
            out[name] = {"states": states, "transitions": trans}
        return out

    def reward_values_reduced(self, ns: dict[str, Any]) -> dict[str, dict]:
        """Like :meth:`reward_values`, in the broadcast-reduced shape the formulas give:
        states (n|1, g|1, t|1, S) and transitions (n|1, g|1, t|1, n_transitions)."""
        out = {}
        for name, r in self.rewards.items():
            parts = {}
            for what, formulas, width in (("states", r["states"], self.n_states), ("transitions", r["transitions"], len(self.transitions))):
                cols = {k: _four_axes(f(ns))[..., 0] for k, f in formulas.items()}
                common = np.broadcast_shapes((1, 1, 1), *(c.shape for c in cols.values()))
                arr = np.zeros(common + (width,))
                for k, c in cols.items():
                    arr[..., k] = c
                if not np.all(np.abs(arr) <= MAX_MAGNITUDE):  # nan fails too; larger ones overflow the totals
                    raise InputError(self.file, f"model.rewards.{name}.{what}", "reward is not a finite number",
                                     f"finite numbers of at most {MAX_MAGNITUDE:g} in size")
                parts[what] = arr
            out[name] = parts
        return out


def pack_values(arrays: list[np.ndarray], n_strata: int = 1,
                copies: list[np.ndarray | None] | None = None) -> CompactValues:
    """4-axis arrays (broadcast axes kept at 1) packed into one buffer with element offsets
    and strides, for the kernels; ``copies[q]``: the row of array q each of the ``n_strata``
    subgroups reads (None: row g, or row 0 where its stratum axis is 1). Empties ``arrays``
    as it copies them."""
    copies = list(copies) if copies is not None else [None] * len(arrays)
    shapes = [np.shape(v) for v in arrays]
    sizes = [int(np.prod(sh)) for sh in shapes]
    offset = np.cumsum([0] + sizes[:-1]).astype(np.int64) if arrays else np.zeros(0, dtype=np.int64)
    strides = np.zeros((len(arrays), 4), dtype=np.int64)
    at = np.zeros((len(arrays), n_strata), dtype=np.int64)
    buf = np.empty(sum(sizes))
    for q, sh in enumerate(shapes):
        # element strides of the C-ordered copy, 0 on broadcast axes so the kernel reads every index the same way
        step = np.cumprod((1,) + tuple(sh[:0:-1]))[::-1]
        strides[q] = [st if size > 1 else 0 for st, size in zip(step, sh)]
        if sh[1] > 1:
            at[q] = (copies[q] if copies[q] is not None else np.arange(n_strata)) * strides[q, 1]
        else:
            copies[q] = None
        buf[offset[q]:offset[q] + sizes[q]].reshape(sh)[...] = arrays[q]
        arrays[q] = None  # the caller's list: each array is freed once copied (a block's values held once)
    return CompactValues(buf, offset, strides, shapes, at, copies)


def _by_stratum(values: list[np.ndarray], copies: list[np.ndarray | None]) -> list[np.ndarray]:
    """Values kept a row per class of subgroups, spread to a row per subgroup (``_outgoing_values``)."""
    return [v if c is None else v[:, c] for v, c in zip(values, copies)]


def _four_axes(value) -> np.ndarray:
    """A formula's value as a 4-axis (sample, stratum, cycle, duration) array, broadcast axes kept at 1."""
    v = np.asarray(value, dtype=float)
    return v.reshape((1,) * (4 - v.ndim) + v.shape)


def _over_cycles(value, shape: tuple[int, int, int]) -> np.ndarray:
    """A formula's value on the (sample, stratum, cycle) grid, at duration 0."""
    v = np.asarray(value, dtype=float)
    v = v.reshape((1,) * (4 - v.ndim) + v.shape)
    return np.broadcast_to(v[..., 0], shape)
