"""What each variable name in a result file measures: the one place that gives every variable its unit.

The module that makes a variable may set ``units`` itself (the payer ledger knows its price year);
:func:`with_units` fills in the rest before a file is written, and refuses a variable it has no
unit for, so no NetCDF file leaves the program with a variable a reader must guess about.
"""

from __future__ import annotations

import contextlib
import os
import sys

import xarray as xr

TEXT = "text"  # labels, names, reasons: no physical unit
CODE = "1 (status code, see flag_meanings)"
PARAMETER_UNIT = "each parameter's own unit (see the scenario card or `ipsecon params`)"
NOK_PERSON = "NOK per person, discounted"
WAGE = "NOK per year (gross)"
SHARE_OF_VARIANCE = "1 (share of the output's variance)"

UNITS = {
    # coordinates
    "sample": "1 (sample number)", "strategy": TEXT, "intervention": TEXT, "perspective": TEXT, "state": TEXT,
    "ever_state": TEXT, "transition": TEXT, "reward": TEXT, "target": TEXT, "parameter": TEXT,
    "parameter_group": TEXT, "group": TEXT, "bound": TEXT, "output": TEXT, "scenario": TEXT, "payer": TEXT,
    "flow": TEXT, "item": TEXT, "horizon": "years", "horizon_years": "years", "breakeven_horizon": "years",
    "month": "month", "cycle_month": "month", "wtp": "NOK per QALY", "quantile": "1 (probability level)",
    "override": TEXT, "structure": TEXT,
    # results.nc
    "target_published": "share, or a reward total in target_unit", "target_model": "share, or a reward total in target_unit",
    "target_unit": TEXT, "target_measure": TEXT, "target_within_tolerance": "1 (true/false)",
    "target_low": "share, or target_unit", "target_high": "share, or target_unit", "target_verdict": TEXT, "target_role": TEXT,
    "target_source": TEXT, "reward_unit": TEXT, "breakeven_reason": TEXT,
    # psa.nc
    "employment_years": "years per person, discounted", "breakeven_status": CODE, "parameters": PARAMETER_UNIT,
    "prob_pays_off": "probability", "breakeven_wage_quantile": WAGE,
    "breakeven_wage_quantile_censored": "1 (-1: the quantile is at the bracket's low end, 0: inside it, +1: at its top)", "ceac": "probability", "ceaf_probability": "probability",
    "ceaf_strategy": TEXT, "group_members": TEXT, "evppi": "NOK per person", "evppi_population": "NOK",
    "evpi": "NOK per person", "evpi_population": "NOK",
    # dsa.nc
    "parameter_base": PARAMETER_UNIT, "parameter_point": PARAMETER_UNIT, "parameter_mean": PARAMETER_UNIT,
    "base_value": PARAMETER_UNIT, "low_value": PARAMETER_UNIT, "high_value": PARAMETER_UNIT, "range_source": TEXT,
    "base_inc_npv": NOK_PERSON, "inc_npv": NOK_PERSON, "base_inmb": NOK_PERSON + " (QALYs valued at the WTP)",
    "inmb": NOK_PERSON + " (QALYs valued at the WTP)", "base_breakeven_wage": WAGE, "breakeven_wage": WAGE,
    "base_breakeven_status": CODE, "swing": NOK_PERSON,
    "twoway_inc_npv": NOK_PERSON, "twoway_x": "the unit of the pair's first parameter (twoway_x_name)",
    "twoway_y": "the unit of the pair's second parameter (twoway_y_name)", "pair": "1 (pair number)",
    "x_index": "1 (grid point)", "y_index": "1 (grid point)",
    # sobol.nc
    "S1": SHARE_OF_VARIANCE, "S1_conf": SHARE_OF_VARIANCE + ", half-width of the 95 % CI",
    "ST": SHARE_OF_VARIANCE, "ST_conf": SHARE_OF_VARIANCE + ", half-width of the 95 % CI",
    "S2": SHARE_OF_VARIANCE, "S2_conf": SHARE_OF_VARIANCE + ", half-width of the 95 % CI",
    "output_variance": "the output's unit squared (see output_units)", "output_units": TEXT,
}


# tests set IPSECON_STRICT_UNITS=1: a variable without a unit is then an error; a user's long run is not
# lost over a missing label (it gets MISSING_UNIT, which the tests look for)
STRICT = os.environ.get("IPSECON_STRICT_UNITS") == "1"
MISSING_UNIT = "not recorded"


def with_units(ds: xr.Dataset, file: str) -> xr.Dataset:
    """``ds`` with a ``units`` attribute on every variable and coordinate (a shallow copy)."""
    ds = ds.copy()
    for name in list(ds.variables):
        var = ds[name] if name in ds.data_vars else ds.coords[name]
        if var.attrs.get("units") not in (None, ""):
            continue
        unit = UNITS.get(str(name))
        if unit is None and var.dtype.kind in "OSU":
            unit = TEXT
        if unit is None and not STRICT:
            unit = MISSING_UNIT
        if unit is None:
            raise ValueError(f"{file}: variable {name!r} has no unit; give it one in ipsecon.output.units.UNITS")
        var.attrs["units"] = unit
    return ds


def netcdf_bytes(ds: xr.Dataset, file: str) -> bytes:
    """The Dataset as a NetCDF-4 file in memory (every variable with its unit)."""
    with _no_dask_client_lookup():
        return bytes(with_units(ds, file).to_netcdf(engine="h5netcdf"))


@contextlib.contextmanager
def _no_dask_client_lookup():
    """xarray asks dask for an active distributed Client before it writes, importing
    ``distributed`` (~0.2 s) to do so; where that was never imported no Client can exist, so the
    import is made to fail (xarray then takes the local scheduler) and undone afterwards."""
    if "distributed" in sys.modules:
        yield
        return
    sys.modules["distributed"] = None  # type: ignore[assignment]  # "import distributed" raises ImportError
    try:
        yield
    finally:
        if sys.modules.get("distributed", 1) is None:
            del sys.modules["distributed"]
