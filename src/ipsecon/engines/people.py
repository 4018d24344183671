"""Per-person output of a microsimulation: one row per person and strategy (hesim-style tidy output).

Columns: ``person`` (the person's id: their draw number, the same in every strategy — common random
numbers), ``stratum`` (the subgroup's number) and ``subgroup`` (its attributes in words), ``strategy``,
and each reward's discounted total per person (``<reward>_discounted``, in the reward's unit).
Written as Parquet, or as gzip-compressed CSV for a name ending in ``.csv.gz``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ipsecon.engines.simulate import Simulation
from ipsecon.errors import InputError

SUFFIXES = (".parquet", ".csv.gz")


def per_person_frame(sim: Simulation) -> pd.DataFrame:
    """The run's people × strategies with their discounted totals (a microsim run of one sample)."""
    trace = sim.trace
    if trace is None or trace.engine != "microsim" or trace.people is None:
        raise InputError(sim.scenario.file, "--per-person", "per-person output needs a microsimulation of one sample",
                         "--engine microsim")
    people = trace.people
    K, N = len(trace.strategies), len(people["person"])
    strata = sim.scenario.strata
    names = np.array([strata.describe(g) for g in range(strata.size)], dtype=object)
    frame = pd.DataFrame({
        "person": np.tile(people["person"], K),
        "stratum": np.tile(people["stratum"], K),
        "subgroup": np.tile(names[people["stratum"]], K),
        "strategy": np.repeat(np.array(trace.strategies, dtype=object), N),
    })
    for r, totals in people["totals"].items():
        frame[f"{r}_discounted"] = totals.reshape(-1)
    return frame


def write_per_person(sim: Simulation, path: str | Path) -> Path:
    """Write :func:`per_person_frame` to ``path`` (.parquet, or .csv.gz)."""
    path = Path(path)
    if not path.name.endswith(SUFFIXES):
        raise InputError(sim.scenario.file, "--per-person", f"file name {path.name!r}", "a name ending in .parquet or .csv.gz")
    frame = per_person_frame(sim)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if path.name.endswith(".parquet"):
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False, compression="gzip")
        tmp.replace(path)  # whole or not at all
    finally:
        tmp.unlink(missing_ok=True)
    return path
