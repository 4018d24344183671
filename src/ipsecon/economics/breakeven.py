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

from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ipsecon.engines import counting as accounting
from ipsecon.economics import evaluation as economics
from ipsecon.money import ledger as L
from ipsecon.errors import InputError
from ipsecon.money.ledger import build_ledger
from ipsecon.money.rules import RuleParameters
from ipsecon.engines.simulate import Simulation

DEFAULT_BRACKET = (0.0, 2_000_000.0)
BREAKEVEN_STATUS = {
    0: "root found",
    1: "pays off at any wage in the bracket",
    2: "no wage in the bracket breaks even",
    3: "does not depend on the wage",
}


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
    status: int = 0  # a key of BREAKEVEN_STATUS


def _pair(sim: Simulation, strategies: tuple[str, str] | None) -> tuple[int, int]:
    """(intervention, comparator) indices; by default the model's only intervention and its comparator."""
    model = sim.scenario.model
    names = list(model.strategies)
    if strategies is None:
        if len(model.interventions) != 1:
            raise InputError(sim.scenario.file, "model.strategies", "break-even needs one intervention and a comparator; "
                             f"this model has {len(model.interventions)} interventions", "name the pair (intervention, comparator)")
        strategies = (model.interventions[0], model.comparator)
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
        rate = economics.discount_schedule(ledger.discount["cost"], ledger.values, declining)
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

    ``strategies`` = (intervention, comparator); default the model's intervention and comparator. Returns ``wage=None`` with a reason when the bracket holds no root.
    """
    k1, k0 = _pair(sim, strategies)
    names = list(sim.scenario.model.strategies)
    horizon = sim.horizon_years if horizon_years is None else horizon_years
    f = npv_of_wage(sim, perspective, horizon_years, strategies, values, declining, mcpf)
    lo, hi = (float(x) for x in bracket)
    f_lo, f_hi = f(lo), f(hi)

    def result(wage: float | None, reason: str, status: int = 0) -> BreakevenResult:
        return BreakevenResult(perspective, horizon, wage, reason, f_lo, f_hi, (lo, hi), names[k1], names[k0], status)

    scale = max(abs(f_lo), abs(f_hi), 1.0)
    if abs(f_hi - f_lo) <= 1e-9 * scale:
        return result(None, f"the {perspective} perspective's incremental NPV does not depend on the wage "
                            f"(no wage-linked flow reaches it): {f_lo:,.0f} NOK at any wage", 3)
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
        return result(None, why, 1 if f_lo > 0 and f_hi > 0 else 2)
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
        model = sim.scenario.model
        for intervention in model.interventions:  # each intervention against the model's comparator
            for p in perspectives:
                for h in horizons:
                    r = breakeven_wage(sim, p, h, strategies=(intervention, model.comparator), **kwargs)
                    rows.append({"scenario": scenario, "perspective": p, "horizon_years": h, "breakeven_wage": r.wage,
                                 "npv_at_low": r.npv_low, "npv_at_high": r.npv_high, "bracket_low": r.bracket[0],
                                 "bracket_high": r.bracket[1], "intervention": r.intervention,
                                 "comparator": r.comparator, "reason": r.reason})
    table = pd.DataFrame(rows)
    if not table.empty:  # None (no solution) as NaN: with no solution anywhere the column would hold objects
        table["breakeven_wage"] = table["breakeven_wage"].astype(float)
    return table


# --- many samples at once ----------------------------------------------------------------------



def breakeven_wages(sim: Simulation, ledger, perspectives: Iterable[str], horizon_cycles: Iterable[int],
                    base_npv: np.ndarray, k1: int = 1, k0: int = 0, bracket: tuple[float, float] = DEFAULT_BRACKET,
                    xtol: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Break-even wage for every sample, perspective and horizon in one vectorised bisection.

    The wage enters the ledger only through the employed state's amounts
    (:func:`ledger.employed_annual`), so with ``base_npv[n, p, h]`` the incremental NPV at the
    ledger's own wage W0, NPV(W) = base + Σ_cells Z · (F_p(W) − F_p(W0)), where Z is the
    discounted, growth-adjusted extra employed person-years of each cell and F_p the employed
    amounts' net for the perspective. Exact, like :func:`breakeven_wage` (which it matches), but
    all samples share each step. Returns (wage [n, p, h] with NaN where no root, status codes of
    ``BREAKEVEN_STATUS``). Money is discounted as in the ledger (the model's cost rate).
    """
    perspectives, horizon_cycles = list(perspectives), list(horizon_cycles)
    values = ledger.values
    scenario, trace = sim.scenario, sim.trace
    model = scenario.model
    n, K, G, T1, S = trace.occupancy.shape
    T = T1 - 1
    if L.rules_vary(values):  # rules per sample: fall back to one root search per sample
        return _breakeven_per_sample(sim, values, perspectives, horizon_cycles, k1, k0, bracket, xtol)
    rules = RuleParameters.from_values(values, scenario.price_date)
    years = np.arange(T) * model.cycle_years
    classes = ledger.cells  # the ledger's classes of cells that share their amounts
    aap_c, basis_c, C = classes.aap, classes.basis, classes.size

    e = L.regime_states(sim, None)["employed"]
    occ = accounting.cycle_occupancy(trace.occupancy[..., e:e + 1], model.spec.counting, np.ones(T1))[..., 0]
    d_occ = occ[:, k1] - occ[:, k0]  # (n, G, T)
    dc = economics.cycle_discount_factors(T, model.cycle_years, model.discount_rate["cost"], model.spec.counting)
    growth = (1 + np.reshape(L.param(values, "wages.real_wage_growth", n), (-1, 1))) ** years  # (n|1, T)
    m = d_occ * (dc * growth / 12)[:, None, :] * trace.weights[None, :, None]
    z = np.cumsum(classes.sums(m[:, None])[:, 0], axis=2)  # (n, C, T)
    Z = np.stack([z[:, :, h - 1] for h in horizon_cycles], axis=1)  # (n, H, C)

    signs = [L.flow_signs(p) for p in perspectives]
    sh = (n, 1, 1, C)
    aap_b, basis_b = aap_c.reshape(sh), basis_c.reshape(sh)

    def net(W):  # W (n, P, H, 1) -> employed net per perspective (n, P, H, C)
        amounts = L.employed_annual(values, rules, W, aap_b, basis_b, n, ndim=4)
        sign = {f: np.array([s[f] for s in signs]).reshape(1, -1, 1, 1) for f in amounts}
        return sum(sign[f] * a for f, a in amounts.items())

    H, P = len(horizon_cycles), len(perspectives)
    W0 = np.broadcast_to(np.reshape(np.asarray(ledger.wage, dtype=float), (-1, 1, 1, 1)), (n, P, H, 1))
    F0 = net(W0)

    def npv(W):
        return base_npv + L.add_classes((net(W[..., None]) - F0) * Z[:, None], -1)  # in class order, as the ledger

    lo = np.full((n, P, H), float(bracket[0]))
    hi = np.full((n, P, H), float(bracket[1]))
    f_lo, f_hi = npv(lo), npv(hi)
    scale = np.maximum(np.maximum(np.abs(f_lo), np.abs(f_hi)), 1.0)
    flat = np.abs(f_hi - f_lo) <= 1e-9 * scale
    root = (np.sign(f_lo) != np.sign(f_hi)) & ~flat
    status = np.where(flat, 3, np.where(root, 0, np.where((f_lo > 0) & (f_hi > 0), 1, 2)))
    rising = f_hi > f_lo
    while np.any(root & (hi - lo > xtol)):
        mid = 0.5 * (lo + hi)
        above = (npv(mid) > 0) == rising  # root lies below mid
        hi = np.where(root & above, mid, hi)
        lo = np.where(root & ~above, mid, lo)
    wage = np.where(root, 0.5 * (lo + hi), np.nan)
    exact_lo, exact_hi = (f_lo == 0) & ~flat, (f_hi == 0) & ~flat
    wage = np.where(exact_lo, bracket[0], np.where(exact_hi, bracket[1], wage))
    status = np.where(exact_lo | exact_hi, 0, status)
    return wage, status


def _breakeven_per_sample(sim, values, perspectives, horizon_cycles, k1, k0, bracket, xtol):
    n = sim.trace.occupancy.shape[0]
    wage = np.full((n, len(perspectives), len(horizon_cycles)), np.nan)
    status = np.zeros(wage.shape, dtype=int)
    names = list(sim.scenario.model.strategies)
    for i in range(n):
        one = Simulation(sim.scenario, _slice_trace(sim.trace, i), sim.seed, sim.individuals, sim.horizon_years)
        for a, p in enumerate(perspectives):
            for b, h in enumerate(horizon_cycles):
                r = breakeven_wage(one, p, h * sim.scenario.model.cycle_years, bracket, (names[k1], names[k0]),
                                   L.sample(values, i), xtol=xtol)
                wage[i, a, b] = np.nan if r.wage is None else r.wage
                status[i, a, b] = r.status
    return wage, status


def _slice_trace(trace, i):
    pick = lambda a: a[i:i + 1]  # noqa: E731
    return replace(trace, occupancy=pick(trace.occupancy), flows=pick(trace.flows), ever=pick(trace.ever),
                   reward_states={k: pick(v) for k, v in trace.reward_states.items()},
                   reward_transitions={k: pick(v) for k, v in trace.reward_transitions.items()},
                   totals_sd={k: pick(v) for k, v in trace.totals_sd.items()})
