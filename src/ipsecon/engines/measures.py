"""A target's measure read off a trace: the one place that says what each published figure means in the model.

Shares at a month (``in_state``, ``ever_in``), the destination mix of moves out of a state over a window
(``exit_share``: e.g. NAV's exits from AAP, by where they go), the mean share of time in a state over a
window (``time_share``) and the share of the months after first entering a state spent in it
(``time_share_after_ever``: weeks worked per year after the first job). All are population averages over strata (their weights), for sample 0.
A state name may be a group's (``model.groups``): its states summed.
``state_after_exit``: of the people who move out of ``from_state`` (a state or group: from one of its states to
one outside it) during months ``from_month``..``month``, the share in ``state`` ``after_months`` months after
that move, whatever they did in between (back to ``from_state`` and into a new job counts as in work if they are
in work then); with ``within_months`` the share in ``state`` (one of ``model.ever_in``) at one or more of the
month ends ``after_months − within_months + 1`` … ``after_months`` after the move: SSB's "AAP recipients who
worked a year after leaving" counts anyone with paid hours during the year. Each month's leavers weigh by their
number.
Moves too late for their reading to fall within the run's horizon are left out of the window (an error if none
remain; calibration and ``validate --targets`` run to ``Target.last_month``, which keeps them all). The trace cannot
tell where leavers are later: the cohort engine follows each month's leavers with the run's transitions
(``exit_cohorts``), only when a target asks; the caller passes that as ``after_exit``. It is the model's exact
expected value in a microsim run too (the microsim keeps no per-person exit times), without Monte Carlo error.
``stock_share``: of a steady-state stock in ``state`` fed by a constant inflow of entrants like the cohort, the
share whose ``tracker`` is at least ``at_least`` — Σ_t P(state, tracker ≥ k) / Σ_t P(state) over the cohort's points
0 … ``month`` (``tracker_stock``: the trace keeps no tracker bins, so the cohort kernel is run again when a target
asks; the caller passes it as ``tracker_stock``; exact in a microsim run too, as ``state_after_exit``).
Reward measures (``reward_total``: a reward's undiscounted total per person over months ``from_month``..``month``;
``reward_difference``: that total in ``strategy`` minus ``versus``'s) read the run's undiscounted reward series,
which the trace alone cannot give (the counting convention is the model's): the caller passes them as ``rewards``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from ipsecon.engines.trace import Trace
from ipsecon.engines.tracker_stock import TrackerError
from ipsecon.errors import InputError
from ipsecon.inputs.schema import Target


def measure(trace: Trace, target: Target, cycle_years: float, file: str, path: str = "targets",
            rewards: Mapping[str, Callable[[], np.ndarray]] | None = None,
            after_exit: Callable[..., tuple[np.ndarray, ...]] | None = None,
            tracker_stock: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None) -> float:
    """The model's value of ``target`` (see :class:`ipsecon.inputs.schema.Target`). ``rewards``: reward name ->
    its undiscounted population series per cycle [sample, strategy, cycle] (``Simulation.reward_series``), needed
    only by the reward measures (callers without it keep working for the others); ``after_exit``:
    ``Simulation.after_exit``, needed only by ``state_after_exit``; ``tracker_stock``: ``Simulation.tracker_stock``,
    needed only by ``stock_share``."""
    points_per_month = 1 / (cycle_years * 12)
    point = int(round(target.month * points_per_month))
    start = int(round(target.from_month * points_per_month))
    if target.strategy not in trace.strategies:
        raise InputError(file, f"{path}.strategy", f"unknown strategy {target.strategy!r}", ", ".join(trace.strategies))
    if point > trace.n_cycles:
        raise InputError(file, f"{path}.month", f"month {target.month} is beyond the horizon", "a month within the run")
    k = trace.strategies.index(target.strategy)
    if target.measure in ("reward_total", "reward_difference"):
        return _reward_measure(trace, target, k, start, point, file, path, rewards)
    # a group (model.groups) stands for the sum over its states
    states = _states(trace, target.state, file, f"{path}.state")
    if target.measure == "in_state":
        return float(trace.population_occupancy()[0, k, point, states].sum())
    if target.measure == "time_share":
        return float(trace.population_occupancy()[0, k, start + 1:point + 1][:, states].sum(axis=-1).mean())
    if target.measure == "exit_share":
        return _exit_share(trace, target, k, start, point, file, path)
    if target.measure == "state_after_exit":
        lag = round(target.after_months * points_per_month)
        window = round((target.within_months or 0) * points_per_month)
        return _state_after_exit(trace, target, states, start, point, lag, window, file, path, after_exit)
    if target.measure == "stock_share":
        return _stock_share(target, states, point, file, path, tracker_stock)
    if target.state not in trace.ever_states:
        raise InputError(file, f"{path}.state", f"{target.state!r} is not listed in model.ever_in",
                         ", ".join(trace.ever_states) or "add it to model.ever_in")
    ever = trace.population_ever()[0, k, :, trace.ever_states.index(target.state)]
    if target.measure == "time_share_after_ever":
        # months in the state over months since first entering it: sum of occupancy over sum of P(ever in)
        months_since_first = float(ever[start + 1:point + 1].sum())
        in_state = float(trace.population_occupancy()[0, k, start + 1:point + 1, states].sum())
        return in_state / months_since_first if months_since_first > 0 else float("nan")
    return float(ever[point])


def _reward_measure(trace: Trace, target: Target, k: int, start: int, point: int, file: str, path: str,
                    rewards: Mapping[str, Callable[[], np.ndarray]] | None) -> float:
    """Undiscounted reward per person over cycles start+1 … point (months ``from_month``..``month``), sample 0;
    for ``reward_difference`` minus the same in ``versus``."""
    if rewards is None:
        raise ValueError("reward measures need the run's reward series: call Simulation.measure, or pass rewards=")
    if target.reward not in rewards:
        raise InputError(file, f"{path}.reward", f"unknown reward {target.reward!r}", ", ".join(rewards) or "none")
    series = rewards[target.reward]()[0, :, start:point]  # cycle index c-1 holds cycle c
    total = float(series[k].sum())
    if target.measure == "reward_total":
        return total
    if target.versus not in trace.strategies:
        raise InputError(file, f"{path}.versus", f"unknown strategy {target.versus!r}", ", ".join(trace.strategies))
    return total - float(series[trace.strategies.index(target.versus)].sum())


def _states(trace: Trace, name: str, file: str, path: str) -> list[int]:
    members = trace.state_members(name)
    if not members:
        raise InputError(file, path, f"unknown state or group {name!r}", ", ".join(trace.states + list(trace.groups)))
    return members


def _exit_share(trace: Trace, target: Target, k: int, start: int, point: int, file: str, path: str) -> float:
    """Moves from ``from_state`` to ``state`` over all counted moves out of ``from_state``, cycles start+1 … point.
    Out of a group means from one of its states to a state outside it; into a group, to any of its states."""
    source = set(_states(trace, target.from_state, file, f"{path}.from_state"))
    into = set(_states(trace, target.state, file, f"{path}.state"))
    among = None
    if target.among:
        among = set()
        for i, name in enumerate(target.among):
            among |= set(_states(trace, name, file, f"{path}.among[{i}]"))
    flows = trace.population_flows()[0, k, start:point]  # cycles start+1 … point
    moved, counted, reachable = 0.0, 0.0, False
    for r, label in enumerate(trace.transitions):
        a, b = (trace.states.index(x) for x in label.split("->"))
        if a not in source or b in source:
            continue
        reachable |= b in into
        if among is not None and b not in among:
            continue
        total = float(flows[:, r].sum())
        counted += total
        if b in into:
            moved += total
    if not reachable:
        raise InputError(file, f"{path}.state", f"the model has no move {target.from_state}->{target.state}",
                         "a state the model moves people to from " + target.from_state)
    return moved / counted if counted > 0 else float("nan")


def _state_after_exit(trace: Trace, target: Target, states: list[int], start: int, point: int, lag: int, window: int,
                      file: str, path: str, after_exit: Callable[..., tuple[np.ndarray, ...]] | None) -> float:
    """Share in ``states`` ``lag`` cycles after a move out of ``from_state`` during cycles start+1 … point (with a
    ``window``: ever in ``target.state`` over its last ``window`` points), the moves whose reading falls after the
    horizon left out."""
    if after_exit is None:
        raise ValueError("state_after_exit follows the leavers with the model: call Simulation.measure, "
                         "or pass after_exit=")
    source = _states(trace, target.from_state, file, f"{path}.from_state")
    last = min(point, trace.n_cycles - lag)
    if last < start + 1:
        months = round(trace.n_cycles * trace.cycle_years * 12)
        raise InputError(file, f"{path}.after_months", f"no move in months {target.from_month}-{target.month} is "
                         f"followed by {target.after_months} months within the run's horizon ({months} months)",
                         f"after_months at most {months - target.from_month - 1}, or a horizon of at least "
                         f"{target.from_month + 1 + target.after_months} months")
    if window and target.state not in trace.ever_states:
        raise InputError(file, f"{path}.state", f"within_months needs {target.state!r} listed in model.ever_in",
                         ", ".join(trace.ever_states) or "add it to model.ever_in")
    arrived, later, ever = after_exit(target.strategy, source, start + 1, last, lag, window)
    total = float(arrived.sum())
    found = ever[:, trace.ever_states.index(target.state)] if window else later[:, states]
    return float(found.sum()) / total if total > 0 else float("nan")


def _stock_share(target: Target, states: list[int], point: int, file: str, path: str,
                 tracker_stock: Callable[..., tuple[np.ndarray, np.ndarray]] | None) -> float:
    """Σ_t P(states, tracker ≥ at_least) / Σ_t P(states) over points 0 … point of the entry cohort."""
    if tracker_stock is None:
        raise ValueError("stock_share reads tracker bins with the model: call Simulation.measure, or pass tracker_stock=")
    try:
        held, beyond = tracker_stock(target.strategy, states, target.tracker, target.at_least, point)
    except TrackerError as e:
        raise InputError(file, f"{path}.{e.field}", str(e), e.allowed) from None
    total = float(held.sum())
    return float(beyond.sum()) / total if total > 0 else float("nan")


def verdict(target: Target, value: float) -> str:
    """PASS when the model's value lies in the target's interval (published 95 % CI, ± 1.96 SE, else ± tolerance)."""
    low, high = target.interval()
    return "PASS" if np.isfinite(value) and low - 1e-12 <= value <= high + 1e-12 else "MISS"
