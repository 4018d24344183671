"""Break-even wage: the gross annual wage at which IPS pays for itself, per perspective and horizon.

The incremental NPV (intervention minus comparator, discounted, per person) is a function of
the wage ``W`` earned in the employment state; the break-even wage solves NPV(W) = 0 with
:func:`scipy.optimize.brentq` over a stated bracket. Where no wage in the bracket breaks
even, the result says why instead of returning a number.

Shorter horizons reuse one simulation at the longest horizon: the ledger is truncated to the
first ``round(h / cycle_years)`` cycles, which is exact because cycle k depends only on
trace points 0..k (discounting is from time 0 either way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from . import economics
from .errors import InputError
from .ledger import build_ledger
from .simulate import Simulation

DEFAULT_BRACKET = (0.0, 2_000_000.0)


@dataclass
class BreakevenResult:
    perspective: str
    horizon_years: float
    wage: float | None
    reason: str
    npv_low: float
    npv_high: float
    bracket: tuple[float, float]
    intervention: str
    comparator: str


def _pair(sim: Simulation, strategies: tuple[str, str] | None) -> tuple[int, int]:
    names = list(sim.scenario.model.strategies)
    if strategies is None:
        if len(names) < 2:
            raise InputError(sim.scenario.file, "model.strategies", "break-even needs two strategies")
        return 1, 0
    for s in strategies:
        if s not in names:
            raise InputError(sim.scenario.file, "strategies", f"unknown strategy {s!r}", ", ".join(names))
    return names.index(strategies[0]), names.index(strategies[1])


def _cycles(sim: Simulation, horizon_years: float | None) -> int:
    if horizon_years is None:
        return sim.n_cycles
    n = max(1, int(round(horizon_years / sim.scenario.model.cycle_years)))
    if n > sim.n_cycles:
        raise InputError(None, "horizon", f"{horizon_years} years is beyond the simulated {sim.horizon_years} years",
                         "simulate at the longest horizon")
    return n


def npv_of_wage(sim: Simulation, perspective: str, horizon_years: float | None = None,
                strategies: tuple[str, str] | None = None, values: dict[str, Any] | None = None,
                declining: bool = False, mcpf: float | bool | None = None) -> Callable[[float], float]:
    """NPV(W): discounted incremental net per person (intervention - comparator) at gross wage W.
    With several parameter samples, the mean over samples."""
    k1, k0 = _pair(sim, strategies)
    T = _cycles(sim, horizon_years)
    values = sim.scenario.base_values() if values is None else values

    def f(wage: float) -> float:
        ledger = build_ledger(sim, wage=wage, values=values).truncated(T)
        rate = economics.discount_schedule(ledger.values, declining)
        d = economics.cycle_discount_factors(T, ledger.cycle_years, rate, ledger.counting)
        net = ledger.perspective_net(perspective, mcpf).transpose("sample", "strategy", "month").values
        inc = (net[:, k1] - net[:, k0]) @ d
        return float(np.mean(inc))

    return f


def breakeven_wage(sim: Simulation, perspective: str = "society", horizon_years: float | None = None,
                   bracket: tuple[float, float] = DEFAULT_BRACKET, strategies: tuple[str, str] | None = None,
                   values: dict[str, Any] | None = None, declining: bool = False,
                   mcpf: float | bool | None = None, xtol: float = 0.01) -> BreakevenResult:
    """Gross annual wage (price-year NOK, in employment) at which the incremental NPV is 0.

    ``strategies`` = (intervention, comparator); default the second and first strategy of the
    model. Returns ``wage=None`` with a reason when the bracket holds no root.
    """
    k1, k0 = _pair(sim, strategies)
    names = list(sim.scenario.model.strategies)
    horizon = sim.horizon_years if horizon_years is None else horizon_years
    f = npv_of_wage(sim, perspective, horizon_years, strategies, values, declining, mcpf)
    lo, hi = (float(x) for x in bracket)
    f_lo, f_hi = f(lo), f(hi)

    def result(wage: float | None, reason: str) -> BreakevenResult:
        return BreakevenResult(perspective, horizon, wage, reason, f_lo, f_hi, (lo, hi), names[k1], names[k0])

    scale = max(abs(f_lo), abs(f_hi), 1.0)
    if abs(f_hi - f_lo) <= 1e-9 * scale:
        return result(None, f"the {perspective} perspective's incremental NPV does not depend on the wage "
                            f"(no wage-linked flow reaches it): {f_lo:,.0f} NOK at any wage")
    if f_lo == 0:
        return result(lo, "breaks even at the lower end of the bracket")
    if f_hi == 0:
        return result(hi, "breaks even at the upper end of the bracket")
    if np.sign(f_lo) == np.sign(f_hi):
        if f_lo > 0 and f_hi > 0:
            why = f"incremental NPV is positive over the whole bracket ({f_lo:,.0f} NOK at {lo:,.0f}): pays off at any wage in it"
        elif f_hi < f_lo:
            why = f"incremental NPV falls as the wage rises and is negative at {lo:,.0f} ({f_lo:,.0f} NOK)"
        else:
            why = (f"incremental NPV is still negative at a wage of {hi:,.0f} ({f_hi:,.0f} NOK): "
                   "no wage in the bracket breaks even")
        return result(None, why)
    wage = brentq(f, lo, hi, xtol=xtol)
    return result(float(wage), "root of incremental NPV (scipy brentq)")


def breakeven_table(sims_by_scenario: Mapping[str, Simulation], perspectives: Iterable[str],
                    horizons: Iterable[float], **kwargs: Any) -> pd.DataFrame:
    """Break-even wage per scenario x perspective x horizon, as a tidy table.

    Each simulation must reach the longest horizon; shorter ones truncate its ledger.
    """
    rows = []
    horizons = list(horizons)
    for scenario, sim in sims_by_scenario.items():
        for p in perspectives:
            for h in horizons:
                r = breakeven_wage(sim, p, h, **kwargs)
                rows.append({"scenario": scenario, "perspective": p, "horizon_years": h, "breakeven_wage": r.wage,
                             "npv_at_low": r.npv_low, "npv_at_high": r.npv_high, "bracket_low": r.bracket[0],
                             "bracket_high": r.bracket[1], "intervention": r.intervention,
                             "comparator": r.comparator, "reason": r.reason})
    return pd.DataFrame(rows)
