"""Outcomes from a ledger: discounting, NPV per perspective, payback, ICER frontier, NMB.

Discounting follows the trace's counting convention (accounting.py): the amount of cycle k
combines trace points k-1 and k with weights (a_k, b_k), so it is discounted with
a_k v_{k-1} + b_k v_k. This is exact for ``start`` and ``end`` counting (the IPS model
counts at the end of each month) and a close approximation for ``trapezoid``/``simpson``.

Works on any object shaped like :class:`ipsecon.money.ledger.Ledger` (duck-typed, so this module
imports only accounting, keeping imports one-directional).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ipsecon.economics.defaults import EVALUATION_PERSPECTIVES
from ipsecon.engines import counting as accounting

if TYPE_CHECKING:  # pragma: no cover
    from ipsecon.money.ledger import Ledger



# --- discounting ------------------------------------------------------------------------------

def discount_schedule(rate: float, values: dict[str, Any] | None = None,
                      declining: bool = False) -> float | list[tuple[float, float]]:
    """``rate`` (the model's cost or effect rate, :attr:`CompiledModel.discount_rate`), or with
    ``declining`` the R-109 schedule from ``economics.discount.*`` in ``values`` (4 % to year 40,
    3 % to 75, then 2 %)."""
    if not declining:
        return float(rate)
    d = "economics.discount."
    return [(0.0, float(values[d + "rate_years_0_40"])),
            (float(values[d + "first_break_year"]), float(values[d + "rate_years_40_75"])),
            (float(values[d + "second_break_year"]), float(values[d + "rate_years_75_plus"]))]


def cycle_discount_factors(n_cycles: int, cycle_years: float, rate: float | list[tuple[float, float]],
                           counting: str = "end") -> np.ndarray:
    """Discount factor of each cycle's amount, (T,): a_k v_{k-1} + b_k v_k."""
    v = accounting.discount_factors(np.arange(n_cycles + 1) * cycle_years, rate)
    a, b = accounting.counting_weights(counting, n_cycles)
    return a * v[:-1] + b * v[1:]


# --- payback ----------------------------------------------------------------------------------

def payback_month(cumulative: Sequence[float], tol: float = 1e-9) -> int | None:
    """First month (1-based) from which the cumulative discounted incremental net stays > 0
    to the end of the horizon; None if it never does ("not within horizon")."""
    c = np.asarray(cumulative, dtype=float)
    if c.size == 0 or c[-1] <= tol:
        return None
    bad = np.flatnonzero(c <= tol)
    return int(bad[-1] + 2) if bad.size else 1


# --- cost-effectiveness frontier --------------------------------------------------------------

def efficiency_frontier(names: Sequence[str], costs: Sequence[float], effects: Sequence[float]) -> pd.DataFrame:
    """Strong and extended dominance, ICERs along the frontier (the standard algorithm).

    1. Sort by effect (ties: cheaper first). 2. Drop strategies that are strongly dominated:
    another costs no more and is at least as effective (one strictly). 3. Repeatedly drop a
    strategy whose ICER against the previous frontier strategy exceeds the next one's
    (extended dominance) until ICERs increase along the frontier.
    Returns one row per strategy: cost, effect, status (``frontier``, ``dominated``,
    ``extendedly dominated``), ``compared_with`` and ``icer`` (frontier rows only; the
    cheapest frontier strategy has none).
    """
    df = pd.DataFrame({"strategy": list(names), "cost": np.asarray(costs, float), "effect": np.asarray(effects, float)})
    df["status"], df["compared_with"], df["icer"] = "frontier", None, np.nan
    for i, r in df.iterrows():
        others = df.drop(index=i)
        dominated = ((others.cost <= r.cost) & (others.effect >= r.effect)
                     & ((others.cost < r.cost) | (others.effect > r.effect))).any()
        if dominated:
            df.loc[i, "status"] = "dominated"
    front = df[df.status == "frontier"].sort_values(["effect", "cost"]).index.tolist()
    # identical cost and effect: keep the first, the copies are dominated (no ICER between them)
    for j in range(len(front) - 1, 0, -1):
        if df.loc[front[j], "effect"] == df.loc[front[j - 1], "effect"]:
            df.loc[front[j], "status"] = "dominated"
            front.pop(j)
    changed = True
    while changed:
        changed = False
        for j in range(1, len(front) - 1):
            a, b, c = df.loc[front[j - 1]], df.loc[front[j]], df.loc[front[j + 1]]
            icer_b = (b.cost - a.cost) / (b.effect - a.effect)
            icer_c = (c.cost - b.cost) / (c.effect - b.effect)
            if icer_b > icer_c:
                df.loc[front[j], "status"] = "extendedly dominated"
                front.pop(j)
                changed = True
                break
    for prev, cur in zip(front, front[1:]):
        df.loc[cur, "compared_with"] = df.loc[prev, "strategy"]
        df.loc[cur, "icer"] = (df.loc[cur, "cost"] - df.loc[prev, "cost"]) / (df.loc[cur, "effect"] - df.loc[prev, "effect"])
    return df


# --- ratios ---------------------------------------------------------------------------------------

# BCR and ROI divide by the incremental costs; where those are tiny the ratio is noise (46.6 from 20 NOK
# of extra costs against 930 NOK of gains says nothing), so it is not given. Tiny: below 100 NOK per person
# over the horizon (below the model's resolution: rounding in tax and benefit rules moves tens of NOK), or
# below 1 % of the incremental flows involved (costs + gains), whichever is larger.
TINY_COSTS_NOK = 100.0
TINY_COSTS_SHARE = 0.01


def tiny_costs(costs: float, gains: float) -> bool:
    """Whether incremental ``costs`` are too small to divide by (see TINY_COSTS_NOK, TINY_COSTS_SHARE)."""
    return not costs >= max(TINY_COSTS_NOK, TINY_COSTS_SHARE * (abs(costs) + abs(gains)))


def ratio_note(costs: float, gains: float) -> str:
    """Why BCR and ROI are not given ('' where they are)."""
    if not tiny_costs(costs, gains):
        return ""
    if not abs(costs) >= 0.5:
        return "n/a: no incremental costs to divide by"
    return (f"n/a (tiny costs): incremental costs of {costs:,.0f} NOK per person are below "
            f"max({TINY_COSTS_NOK:,.0f} NOK, {TINY_COSTS_SHARE:.0%} of costs + gains)")


# --- evaluation -------------------------------------------------------------------------------

def _incremental_split(items: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """Incremental (costs, gains) from per-item discounted totals: items that worsen the
    balance are costs, items that improve it gains."""
    d = items - ref
    return float(-d[d < 0].sum()), float(d[d > 0].sum())


def evaluate(ledger: "Ledger", perspectives: Iterable[str] = EVALUATION_PERSPECTIVES, comparator: int | str = 0,
             wtp: float | None = None, declining: bool = False, mcpf: float | bool | None = None,
             cost_rate: float | list | None = None, effect_rate: float | list | None = None) -> dict[str, pd.DataFrame]:
    """Per sample, perspective and strategy: discounted costs, gains and NPV; against the
    comparator: incremental costs, gains, NPV, benefit-cost ratio, ROI, payback month, extra
    employment-years and earnings, cost per extra employment-year; QALYs, ICER frontier and
    NMB at ``wtp`` (money perspectives: cost = -NPV).

    Returns {"summary": DataFrame, "cea": DataFrame}. Money is discounted at ``cost_rate``,
    QALYs and employment-years at ``effect_rate``; both default to the model's rates
    (``ledger.discount``), or the declining schedule (:func:`discount_schedule`).
    """
    if cost_rate is None:
        cost_rate = discount_schedule(ledger.discount["cost"], ledger.values, declining)
    if effect_rate is None:
        effect_rate = discount_schedule(ledger.discount["effect"], ledger.values, declining)
    T = ledger.n_cycles
    dc = cycle_discount_factors(T, ledger.cycle_years, cost_rate, ledger.counting)
    de = cycle_discount_factors(T, ledger.cycle_years, effect_rate, ledger.counting)
    strategies = list(ledger.strategies)
    ref = strategies.index(comparator) if isinstance(comparator, str) else int(comparator)
    qalys = np.einsum("nkt,t->nk", ledger.qalys, de)
    emp = np.einsum("nkt,t->nk", ledger.employment_years, de)
    earnings = np.einsum("nkt,t->nk", ledger.flow("gross_wage"), dc)
    rows, cea_rows = [], []
    for p in perspectives:
        items = ledger.perspective_items(p, mcpf).transpose("sample", "strategy", "month", "component").values
        disc = items * dc[None, None, :, None]
        totals = disc.sum(axis=2)  # (n, K, item)
        cum = disc.sum(axis=3).cumsum(axis=2)  # (n, K, T)
        for i in range(items.shape[0]):
            npv = totals[i].sum(axis=-1)
            for k, s in enumerate(strategies):
                costs = float(-totals[i, k][totals[i, k] < 0].sum())
                gains = float(totals[i, k][totals[i, k] > 0].sum())
                inc_c, inc_g = _incremental_split(totals[i, k], totals[i, ref])
                inc = float(npv[k] - npv[ref])
                d_emp = float(emp[i, k] - emp[i, ref])
                rows.append({
                    "sample": i, "perspective": p, "strategy": s, "costs": costs, "gains": gains, "npv": float(npv[k]),
                    "incremental_costs": inc_c, "incremental_gains": inc_g, "incremental_npv": inc,
                    "bcr": inc_g / inc_c if k != ref and not tiny_costs(inc_c, inc_g) else np.nan,
                    "roi": inc / inc_c if k != ref and not tiny_costs(inc_c, inc_g) else np.nan,
                    "ratio_note": "" if k == ref else ratio_note(inc_c, inc_g),
                    "payback_month": None if k == ref else payback_month(cum[i, k] - cum[i, ref]),
                    "qalys": float(qalys[i, k]), "employment_years": float(emp[i, k]),
                    "earnings": float(earnings[i, k]),
                    "extra_employment_years": d_emp, "extra_earnings": float(earnings[i, k] - earnings[i, ref]),
                    "cost_per_extra_employment_year": -inc / d_emp if k != ref and d_emp != 0 else np.nan,
                })
            if p != "society":  # society already values health in money
                front = efficiency_frontier(strategies, -npv, qalys[i])
                front.insert(0, "perspective", p)
                front.insert(0, "sample", i)
                if wtp is not None:
                    front["nmb"] = wtp * front["effect"] - front["cost"]
                    front["incremental_nmb"] = front["nmb"] - front["nmb"].iloc[ref]
                cea_rows.append(front)
    summary = pd.DataFrame(rows)
    # None (never pays back) as NaN: with no payback anywhere the column would otherwise hold objects
    summary["payback_month"] = summary["payback_month"].astype(float)
    summary.attrs.update(units="NOK per person, discounted", comparator=strategies[ref], horizon_cycles=T)
    cea = pd.concat(cea_rows, ignore_index=True) if cea_rows else pd.DataFrame()
    return {"summary": summary, "cea": cea}
