"""Defaults of the economic analysis, each defined once here and read by every command and API call."""

from __future__ import annotations

import numpy as np

# every perspective the payer ledger can show (money.ledger.PERSPECTIVES), in the order reports list them
ALL_PERSPECTIVES = ("society", "public", "nav", "health", "municipality", "state", "individual", "employer")
# the economics table and the PSA: every budget holder and society
EVALUATION_PERSPECTIVES = ("nav", "health", "municipality", "state", "public", "individual", "society")
# the break-even wage, DSA, Sobol' and sweeps: society, the public purse and NAV
HEADLINE_PERSPECTIVES = ("society", "public", "nav")

# years at which results are reported (one run at the longest gives every shorter one)
HORIZONS = (1.5, 3.0, 5.0, 10.0, 20.0, 40.0)
# DSA and Sobol': the longer horizons, where persistence and costs matter
SENSITIVITY_HORIZONS = (5.0, 10.0, 20.0, 40.0)

# willingness-to-pay grid for CEAC/CEAF/EVPI: 0 to 2 M NOK per QALY in 41 points
WTP_MAX = 2_000_000.0
WTP_POINTS = 41


def wtp_grid(wtp_max: float = WTP_MAX) -> np.ndarray:
    return np.linspace(0.0, wtp_max, WTP_POINTS)


def report_horizons(horizon_years: float) -> list[float]:
    """The standard horizons shorter than a run's, and the run's own."""
    return sorted({h for h in HORIZONS if h < horizon_years - 1e-9} | {float(horizon_years)})
