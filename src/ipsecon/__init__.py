"""ipsecon: health-economic microsimulation and cost-benefit model of IPS in Norway.

The Python API (see the README's "Python API"):

    import ipsecon
    scenario = ipsecon.load_scenario("scenarios/bodo.yaml", overrides={...}, structure=None)
    result = ipsecon.run(scenario, engine="cohort", horizon=10, seed=None)   # -> ipsecon.Result
    result.dataset; result.save("results/bodo"); ipsecon.write_report("results/bodo")
    ipsecon.psa(scenario, samples=500); ipsecon.dsa(scenario); ipsecon.sobol(scenario)
    ipsecon.run_breakeven([scenario]); ipsecon.run_sweep("sweeps/psa.yaml"); ipsecon.calibrate("scenarios/norway_rct.yaml")

Names are imported on first use, so that ``import ipsecon`` (and the command line) stays quick.
"""

__version__ = "0.1.0"

# public name -> module that owns it
_API = {
    "load_scenario": "ipsecon.api", "run": "ipsecon.api", "Result": "ipsecon.api", "run_breakeven": "ipsecon.api",
    "psa": "ipsecon.api", "dsa": "ipsecon.api", "sobol": "ipsecon.api",
    "run_sweep": "ipsecon.sweep", "open_sweep": "ipsecon.sweep",
    "calibrate": "ipsecon.uncertainty.calibrate",
    "write_report": "ipsecon.output.report",
    "InputError": "ipsecon.errors",
}
__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str):
    if name in _API:
        import importlib

        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ipsecon' has no attribute {name!r}")


def __dir__():
    return __all__
