"""How much memory a run will need, worked out before anything is allocated.

A run that does not fit should end with a clear message, not be killed by the operating
system half-way (a population of 10^12 people or 10^5 subgroups over 100 years asked for
tens of GB). :func:`estimate_bytes` adds up the arrays the engines, the ledger and the results
allocate, from their shapes; :func:`check_memory` compares that with the memory available.
PSA and sweeps call them with ``samples``.

Measured against the growth of peak RSS (IPS model, 10-20 years): the estimate is 1.4-1.9
times the growth for runs of 100 MB to 1 GB, so it errs on the side of refusing early.
"""

from __future__ import annotations

import os
from pathlib import Path

from ipsecon.errors import InputError
from ipsecon.model.scenario import LoadedScenario

FLOAT = 8  # bytes of a float64 / int64
# the estimate counts the arrays that scale with the run; temporaries, copies made while
# results are written and the allocator's slack come on top of it
SAFETY = 0.7  # share of the available memory a run may plan to use
OVERHEAD = 64 * 2 ** 20  # tables, the results dataset's index and netCDF buffers (measured: 25-30 MB)
LEDGER_FLOWS = 40  # money flows booked per strategy and month (money.ledger.FLOWS, with room)


def estimate_bytes(scenario: LoadedScenario, engine: str | None = None, individuals: int | None = None,
                   horizon_years: float | None = None, samples: int = 1, trace: bool = True) -> int:
    """Bytes the arrays of one run of ``scenario`` take at their peak (engine, ledger, results).

    ``samples``: parameter samples run together (PSA, DSA, Sobol); ``trace=False``: the cohort
    engine keeps only reward totals (``simulate(trace=False)``)."""
    run = scenario.spec.run
    model = scenario.model
    engine = engine or run.engine
    horizon_years = horizon_years or run.horizon_years
    n = max(1, int(samples))
    T = max(1, round(horizon_years / model.cycle_years))
    K, G = len(model.strategies), scenario.strata.size
    S, Q, E = model.n_states, len(model.transitions), len(model.ever_in)
    R = max(1, len(model.rewards))
    cells = int(model.slots.sum())  # the engines' cells: time in state × tracker bins, where they can matter
    # per strategy and block: the occupancy carried between blocks (cohort) and the values of
    # the formulas for each sample, subgroup, cycle and cell (blocks are at most a year here)
    block = min(T, max(1, round(1 / model.cycle_years)))
    working = n * G * (cells * (2 + E) + block * (cells + 2 * Q)) * FLOAT
    if engine == "cohort" and not trace:
        return int(OVERHEAD + working + 2 * R * K * G * n * FLOAT)
    # the trace: occupancy, flows and ever-in for every sample, strategy, subgroup and point
    trace_bytes = n * K * G * ((T + 1) * (S + E) + T * Q) * FLOAT
    # rewards per state: per strategy, subgroup and cycle (per sample when sampled); rewards
    # per transition rarely vary and are broadcast
    reward_bytes = R * K * G * T * S * FLOAT * n
    if model.cell_rewards:  # rewards per tunnel cell: the occupancy of every cell, and two masses per reward
        reward_bytes += n * K * G * (T + 1) * cells * FLOAT + 2 * len(model.cell_rewards) * n * K * G * T * S * FLOAT
    people = 0
    if engine == "microsim":
        N = int(individuals or run.individuals)
        # per person: ids, keys, stratum, start state and cell, ever bits, per-reward totals;
        # per work slot: counts of moves, flows and firsts
        people = N * 6 * FLOAT + n * N * (R + 4) * FLOAT
        if n == 1:  # each strategy's per-person totals are kept (per-person output)
            people += K * N * R * FLOAT
        slots = max(1, os.cpu_count() or 1)
        people += min(n * slots, n * max(1, N // 4096)) * G * ((T + 1) * (S + E) + T * Q) * FLOAT
        if n == 1:  # person batches: moves per batch, their counts (≤ 4 bytes), and the ledgers made from a
            # group of them at a time for their Monte Carlo errors (output.mc_error)
            from ipsecon.engines.microsim import BATCH_GROUP, MC_BATCHES

            people += MC_BATCHES * G * (T + 1) * S * (FLOAT + 4 * K) + BATCH_GROUP * 2 * K * G * T * S * FLOAT
    ledger = 0
    if model.employment_state is not None:
        # the ledger: a copy of occupancy per cycle, occupancy x weights per state, per-flow
        # amounts, and money rules per class of (age, income) cell
        ledger = 2 * n * K * G * T * S * FLOAT + n * K * T * LEDGER_FLOWS * FLOAT
    # the results dataset and the netCDF writer copy parts of the trace (measured: about half)
    return int(OVERHEAD + working + 1.5 * trace_bytes + reward_bytes + people + ledger)


def available_cores() -> int:
    """The cores this process may run on (a taskset's or container's CPU set, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def available_bytes() -> int:
    """Memory this process can still get: the least of the system's MemAvailable (else its
    free physical memory), what a cgroup limit leaves, and what an address-space limit
    (``ulimit -v``, RLIMIT_AS) leaves."""
    limits = [_meminfo_available(), _cgroup_left(), _rlimit_left()]
    known = [x for x in limits if x is not None]
    return min(known) if known else 2 ** 62  # unknown: do not refuse


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_left() -> int | None:
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit == "max":
            return None
        return int(limit) - int(Path("/sys/fs/cgroup/memory.current").read_text())
    except (OSError, ValueError):
        return None


def _rlimit_left() -> int | None:
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        return soft - used
    except (ImportError, OSError, ValueError, IndexError):
        return None


def check_memory(scenario: LoadedScenario, engine: str | None = None, individuals: int | None = None,
                 horizon_years: float | None = None, samples: int = 1, trace: bool = True, seed: int | None = None) -> int:
    """Raise InputError if the run's settings are out of range (the file's limits, also for
    arguments given to the Python API) or if it would need more than :data:`SAFETY` of the
    available memory; returns the estimate in bytes."""
    scenario.spec.run.given(scenario.file, engine, individuals if engine == "microsim" else None, seed, horizon_years)
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise InputError(scenario.file, "samples", f"{samples!r} samples", "an integer >= 1")
    need = estimate_bytes(scenario, engine, individuals, horizon_years, samples, trace)
    limit = int(available_bytes() * SAFETY)
    if need > limit:
        engine = engine or scenario.spec.run.engine
        size = f"{scenario.strata.size:,} subgroups"
        if engine == "microsim":
            size += f", {int(individuals or scenario.spec.run.individuals):,} individuals"
        raise InputError(scenario.file, "run", f"needs about {_gb(need)} of memory ({size}, "
                         f"{horizon_years or scenario.spec.run.horizon_years:g} years, {samples} sample(s)), "
                         f"more than the {_gb(limit)} this machine can give it",
                         "fewer individuals, subgroups, samples or years")
    return need


def _gb(x: float) -> str:
    return f"{x / 2 ** 30:.2f} GB" if x >= 2 ** 28 else f"{x / 2 ** 20:.0f} MB"
