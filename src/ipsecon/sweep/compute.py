"""What a worker does for one unit (scenario, override, sample chunk): its outcomes as a small
Dataset, computed on one core. Dask ships :func:`compute_unit` to the workers by reference, so this
module is imported on every worker: keep its imports light.

Results do not depend on the worker count or the chunk size, to the bit: sample i is row i of one
draw per scenario (``Samples.values(rows=)``), the microsim's random numbers are a hash of (seed,
person, month), and each sample's numbers depend only on its own row: the ledger sums each
sample over its own classes of cells (``money.ledger.CellClasses``), BLAS and numba run on one
thread, and the microsim runs one sample per call (below).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from ipsecon import __version__
from ipsecon.sweep.store import code_hash

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from ipsecon.model.scenario import LoadedScenario

DELAY_ENV = "IPSECON_SWEEP_UNIT_DELAY"  # seconds of sleep per unit: a testing aid (kill/resume tests)


def compute_unit(case: LoadedScenario, samples: Any | None, fixed: dict[str, float], settings: dict[str, Any]) -> xr.Dataset:
    """Outcomes of one (scenario, override, sample chunk); ``samples`` holds just the chunk's rows."""
    delay = float(os.environ.get(DELAY_ENV, "0") or 0)
    if delay > 0:
        time.sleep(delay)
    base = case.base_values()
    if samples is None:
        runs = [(base, 1)]
    else:
        # The microsim adds a person's rewards block of cycles by block, and a block's length
        # depends on how many samples share the call (memory): one sample per call keeps each
        # sample's Monte Carlo totals (mc_se_*) the same whatever the chunk size (about 5 %
        # slower than one call per chunk; the cohort engine needs no split).
        one_by_one = settings["engine"] == "microsim" and samples.table.shape[0] > 1
        parts = [samples.subset(slice(i, i + 1)) for i in range(samples.table.shape[0])] if one_by_one else [samples]
        runs = [(_with_fixed(part.values(base), fixed), part.table.shape[0]) for part in parts]
    # Multi-threaded BLAS splits sums differently with its thread count, which changes the last
    # bits; one thread everywhere (this process, local or remote workers) keeps results bitwise
    # identical whatever runs the unit. The engines' numba threads are held to one as well: a
    # unit uses one core, so parallelism comes from the number of workers (each of a remote
    # cluster's worker threads, or the in-process fallback, would otherwise use every core).
    import numba
    from threadpoolctl import threadpool_limits

    threads = numba.get_num_threads()  # per calling thread in numba
    numba.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            parts = [_evaluate(case, values, n, settings) for values, n in runs]
    finally:
        numba.set_num_threads(threads)
    if len(parts) == 1:
        ds = parts[0]
    else:
        import numpy as np
        import xarray as xr

        ds = xr.concat(parts, dim="sample", combine_attrs="override").assign_coords(sample=np.arange(len(parts)))
    ds.attrs["ipsecon_version"] = __version__
    ds.attrs["ipsecon_code_hash"] = code_hash()
    return ds


def _with_fixed(values: dict[str, Any], fixed: dict[str, float]) -> dict[str, Any]:
    values.update({k: float(v) for k, v in fixed.items()})  # an override fixes what it sets
    return values


def _evaluate(case: LoadedScenario, values: dict[str, Any], n: int, s: dict[str, Any]) -> xr.Dataset:
    from ipsecon.economics.outcomes import evaluate

    ds = evaluate(case, values, n, s["horizons"], perspectives=s["perspectives"], engine=s["engine"],
                  individuals=s["individuals"], seed=s["seed"])
    if s.get("budget_impact"):  # a sweep with an open population: every unit stores its budget impact (NaN if closed)
        from ipsecon.economics.calendar_years import budget_impact

        # one sample at a time: the numbers do not depend on the chunk size, to the bit
        impact = budget_impact(case, values, n, s["horizons"], s["perspectives"], s["engine"], s["individuals"],
                               s["seed"], one_by_one=True)
        ds["budget_impact"] = (ds["inc_npv"] * float("nan")).assign_attrs(units=BUDGET_IMPACT_UNITS) if impact is None \
            else impact.transpose(*ds["inc_npv"].dims).assign_attrs(units=BUDGET_IMPACT_UNITS)
    return ds


BUDGET_IMPACT_UNITS = ("NOK (price year), the whole open population, undiscounted, summed over the calendar months from "
                       "January of the scenario's start year to the horizon: intervention minus comparator (+ = the "
                       "budget gains; NaN: a closed population, or not a budget)")
