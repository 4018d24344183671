"""Batch sweeps: scenarios × overrides × parameter samples, run with dask.distributed into one Zarr store.

    ipsecon sweep sweeps/persistence.yaml --workers 2

A sweep file (:class:`~ipsecon.sweep.spec.SweepSpec`) lists scenarios, named override sets
(parameter values as with ``--set``, one of the model's structural alternatives such as
``structure: no_decay``, and/or model-variable formulas), parameter samples (``n: 0`` = the
deterministic base case), horizons, perspectives and the engine.

The work is cut into **units** = (scenario, override, chunk of samples); their outcomes go into the
store ``DIR/sweep.zarr``, dims (scenario, override, sample, …the outcome dims: strategy, perspective,
horizon).

Modules: ``spec`` (the sweep file, the plan and its units), ``compute`` (one unit, on a worker),
``store`` (the Zarr store, completion markers, code hash), ``run`` (running a sweep on Dask, reading
and timing it). The entry points below are imported on first use, so that ``import ipsecon.sweep``
(and a Dask worker importing ``ipsecon.sweep.compute``) stays cheap.
"""

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (about 8 ms)

__all__ = ["SweepResult", "load_sweep", "measure_speedup", "open_sweep", "run_sweep"]

_MODULE_OF = {"SweepResult": "run", "load_sweep": "spec", "measure_speedup": "run", "open_sweep": "run",
              "run_sweep": "run"}

if TYPE_CHECKING:  # pragma: no cover
    from ipsecon.sweep.run import SweepResult, measure_speedup, open_sweep, run_sweep
    from ipsecon.sweep.spec import load_sweep


def __getattr__(name: str) -> object:
    if name in _MODULE_OF:
        from importlib import import_module

        value = globals()[name] = getattr(import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
