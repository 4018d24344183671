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

def cycle_discount_factors(n_cycles: int, cycle_years: float, rate: float | list[tuple[float, float]],
                           counting: str = "end") -> np.ndarray:
    """Discount factor of each cycle's amount, (T,): a_k v_{k-1} + b_k v_k for the conventions that
    discount at the points (weights summing to 1), v_{k-1} for ``life_table`` (counting.py). ``rate``: a
    constant rate or a declining schedule, as the model binds it (:attr:`CompiledModel.discount_rate`)."""
    v = accounting.discount_factors(np.arange(n_cycles + 1) * cycle_years, rate)
    return accounting.cycle_discount_factors(counting, v)


def discount_text(rate: float | list) -> str:
    """A rate or declining schedule in words, for the terminal and files: '4 % a year', or
    '4 % a year, 3 % from year 40, 2 % from year 75' (years since the start)."""
    if np.ndim(rate) == 0:
        return f"{100 * float(rate):g} % a year"
    steps = sorted((float(a), float(r)) for a, r in rate)
    return ", ".join([f"{100 * steps[0][1]:g} % a year"] + [f"{100 * r:g} % from year {a:g}" for a, r in steps[1:]])


def discounting_text(discount: dict) -> str:
    """The model's discount of costs and effects in words ('costs and effects 4 % a year, ...')."""
    words = {kind: discount_text(rate) for kind, rate in discount.items()}
    if len(set(words.values())) == 1:
        return "costs and effects " + next(iter(words.values()))
    return "; ".join(f"{kind}s {w}" for kind, w in words.items())


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
             wtp: float | None = None, mcpf: float | bool | None = None,
             cost_rate: float | list | None = None, effect_rate: float | list | None = None) -> dict[str, pd.DataFrame]:
    """Per sample, perspective and strategy: discounted costs, gains and NPV; against the
    comparator: incremental costs, gains, NPV, benefit-cost ratio, ROI, payback month, extra
    employment-years and earnings, cost per extra employment-year; QALYs, ICER frontier and
    NMB at ``wtp`` (money perspectives: cost = -NPV).

    Returns {"summary": DataFrame, "cea": DataFrame}. Money is discounted at ``cost_rate``,
    QALYs and employment-years at ``effect_rate``; both default to the model's rates or schedules
    (``ledger.discount``: R-109/21's declining schedule in the IPS model unless turned off).
    """
    cost_rate = ledger.discount["cost"] if cost_rate is None else cost_rate
    effect_rate = ledger.discount["effect"] if effect_rate is None else effect_rate
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


# --- cost-effectiveness of any model (no payer ledger) -----------------------------------------
#
# A model with cost and effect rewards and no employment state gets the textbook analysis: the
# model's cost rewards (summed) against one effect reward, increments against the comparator,
# the efficiency frontier (strong and extended dominance) and net monetary benefit at a
# willingness to pay. Sensitivity analysis sees it as one perspective, CE_PERSPECTIVE, whose
# "net gain" is NMB (wtp · effect − cost) and "incremental NPV" incremental NMB.

# willingness to pay per unit of effect where a model declares no `wtp:`: 20,000 in the model's
# currency — NICE's lower threshold, £20,000 per QALY (NICE PMG36, 2022, §4.10). An assumption.
DEFAULT_WTP = 20_000.0
CE_PERSPECTIVE = "model"  # the one perspective of a model without the ledger: its own cost rewards
LAYER_ATTR = "economic_layer"  # attrs[LAYER_ATTR] == CE_LAYER marks a result of the cost-effectiveness layer
CE_LAYER = "cost-effectiveness"


def whole_cycle_horizons(scenario) -> list[float]:
    """The standard horizons up to the run's (defaults.report_horizons) that are whole numbers of
    cycles (a 1.5-year horizon of an annual model would be run as 2 cycles)."""
    from ipsecon.economics.defaults import report_horizons

    c = scenario.model.cycle_years
    return [h for h in report_horizons(scenario.spec.run.horizon_years) if abs(h / c - round(h / c)) < 1e-6]


def has_ledger(model) -> bool:
    """Whether the payer ledger applies (a labour-market model with an employment state)."""
    return model.employment_state is not None


def ce_measures(model) -> tuple[list[str], str, str, str]:
    """(cost rewards, effect reward, cost unit, effect unit) of a compiled model's cost-effectiveness
    analysis; bad or missing rewards are an InputError naming the model field."""
    from ipsecon.errors import InputError

    costs = [r for r, v in model.rewards.items() if v["kind"] == "cost"]
    effects = [r for r, v in model.rewards.items() if v["kind"] == "effect"]
    if not costs or not effects:
        raise InputError(model.file, "model.rewards", "cost-effectiveness needs a reward of kind cost and one of kind effect",
                         f"rewards: {', '.join(model.rewards) or 'none'}")
    effect = model.spec.effect or effects[0]
    if effect not in effects:
        raise InputError(model.file, "model.effect", f"{effect!r} is not a reward of kind effect", ", ".join(effects))
    units = sorted({model.rewards[r]["unit"] for r in costs})
    if len(units) > 1:
        raise InputError(model.file, "model.rewards", f"cost rewards in different units ({', '.join(units)}) cannot be added",
                         "one unit for every reward of kind cost")
    return costs, effect, units[0], model.rewards[effect]["unit"]


def ce_wtp(model, values: dict[str, Any], wtp: float | None = None) -> float:
    """Willingness to pay per unit of effect: ``wtp`` when given (the --wtp option), else the model's
    ``wtp:`` (a number or a formula of parameters, one value per run), else DEFAULT_WTP."""
    from ipsecon.errors import InputError
    from ipsecon.inputs import expressions

    if wtp is None:
        if model.spec.wtp is None:
            return DEFAULT_WTP
        found = np.unique(np.asarray(expressions.parse(model.spec.wtp, model.file, "model.wtp")(values), dtype=float))
        if found.size != 1:
            raise InputError(model.file, "model.wtp", f"{model.spec.wtp} takes {found.size} values", "one value per run (not sampled)")
        wtp, where = float(found[0]), "model.wtp"
    else:
        where = "--wtp"
    if not (np.isfinite(wtp) and wtp >= 0):
        raise InputError(model.file, where, f"willingness to pay {wtp!r}", "a finite number ≥ 0 per unit of effect")
    return float(wtp)


def _sample_wtp(model, values: dict[str, Any], wtp: float, n: int) -> np.ndarray | float:
    """The willingness to pay of each sample, (n, 1, 1), where the model's ``wtp:`` reads a parameter that
    varies across samples (a threshold search over it); else ``wtp``."""
    if model.spec.wtp is None or not isinstance(model.spec.wtp, str):
        return wtp
    from ipsecon.inputs import expressions

    w = np.asarray(expressions.parse(model.spec.wtp, model.file, "model.wtp")(values), dtype=float)
    return w.reshape(-1, 1, 1) if w.size in (1, n) else wtp


def ce_table(names: Sequence[str], costs: Sequence[float], effects: Sequence[float], comparator: int | str,
             wtp: float) -> pd.DataFrame:
    """One row per strategy: cost, effect, the frontier (status, compared_with, icer: see
    :func:`efficiency_frontier`), increments against the comparator with their ICER and what it
    means (``vs_comparator``: comparator, dominant, dominated, ICER), NMB and incremental NMB at ``wtp``."""
    df = efficiency_frontier(names, costs, effects)
    ref = list(names).index(comparator) if isinstance(comparator, str) else int(comparator)
    d_c = df["cost"] - df["cost"].iloc[ref]
    d_e = df["effect"] - df["effect"].iloc[ref]
    df["incremental_cost"], df["incremental_effect"] = d_c, d_e
    with np.errstate(divide="ignore", invalid="ignore"):
        df["icer_vs_comparator"] = np.where(d_e != 0, d_c / d_e.where(d_e != 0, 1.0), np.nan)
    verdict = np.where((d_c == 0) & (d_e == 0), "equal", np.where((d_c <= 0) & (d_e >= 0), "dominant",
                       np.where((d_c >= 0) & (d_e <= 0), "dominated", "ICER")))
    df["vs_comparator"] = verdict
    df.loc[ref, "vs_comparator"] = "comparator"
    df.loc[ref, "icer_vs_comparator"] = np.nan
    df.loc[df["vs_comparator"] != "ICER", "icer_vs_comparator"] = np.nan  # a ratio of mixed signs says nothing
    df["nmb"] = wtp * df["effect"] - df["cost"]
    df["incremental_nmb"] = df["nmb"] - df["nmb"].iloc[ref]
    df["wtp"] = float(wtp)
    df.attrs.update(comparator=list(names)[ref], wtp=float(wtp))
    return df


def cost_effectiveness(sim, wtp: float | None = None) -> pd.DataFrame:
    """The cost-effectiveness table (:func:`ce_table`) of a run's discounted reward totals (sample 0),
    with the effect reward's name and the units in ``attrs``."""
    model = sim.scenario.model
    cost_names, effect, cost_unit, effect_unit = ce_measures(model)
    wtp = ce_wtp(model, sim.scenario.base_values(), wtp)
    totals = sim.reward_totals(discounted=True)
    costs = np.sum([np.asarray(totals[r])[0] for r in cost_names], axis=0)
    table = ce_table(model.strategies, costs, np.asarray(totals[effect])[0], model.comparator, wtp)
    table.attrs.update(effect=effect, costs=list(cost_names), cost_unit=cost_unit, effect_unit=effect_unit)
    return table


def ce_dataset(table: pd.DataFrame) -> "xr.Dataset":
    """The cost-effectiveness table as ``ce_*`` variables over ``strategy`` (for results.nc)."""
    import xarray as xr

    a = table.attrs
    per_cost, per_effect = f"{a['cost_unit']} per person, discounted", f"{a['effect_unit']} per person, discounted"
    ratio = f"{a['cost_unit']} per {a['effect_unit']}"
    units = {"cost": per_cost, "effect": per_effect, "incremental_cost": per_cost, "incremental_effect": per_effect,
             "icer": ratio, "icer_vs_comparator": ratio, "nmb": per_cost, "incremental_nmb": per_cost,
             "status": "1 (text)", "compared_with": "1 (text)", "vs_comparator": "1 (text)"}
    ds = xr.Dataset(coords={"strategy": list(table["strategy"])})
    for column, unit in units.items():
        values = table[column].to_numpy()
        if unit == "1 (text)":
            values = np.array(["" if v is None else str(v) for v in values])
        ds[f"ce_{column}"] = ("strategy", values, {"units": unit})
    ds["ce_icer"].attrs["long_name"] = "ICER against the previous strategy on the efficiency frontier"
    ds.attrs.update(ce_wtp=float(a["wtp"]), ce_wtp_units=f"{ratio}", ce_effect=a["effect"], ce_costs=", ".join(a["costs"]),
                    ce_comparator=a["comparator"], **{LAYER_ATTR: CE_LAYER})
    return ds


def ce_outcomes(scenario, values: dict[str, Any], n_samples: int, horizons: Iterable[float], engine: str | None = None,
                individuals: int | None = None, seed: int | None = None, progress=None, wtp: float | None = None,
                batch: int = 256) -> "xr.Dataset":
    """Per-sample outcomes of a model without the ledger, shaped as :func:`ipsecon.economics.outcomes.evaluate`
    shapes the ledger's (one perspective, CE_PERSPECTIVE): ``cost`` (the cost rewards), ``qalys`` (the
    effect reward, whatever its unit), ``net_gain`` = NMB at ``wtp`` and ``inc_npv`` = incremental NMB,
    discounted, at each horizon; ``mc_se_<reward>`` with the microsim."""
    import json

    import xarray as xr

    from ipsecon.engines.simulate import horizon_cycles, simulate
    from ipsecon.errors import InputError

    model = scenario.model
    if not model.interventions:
        raise InputError(scenario.file, "model.strategies", "a comparison needs two strategies or more")
    cost_names, effect, cost_unit, effect_unit = ce_measures(model)
    per_sample = wtp is None  # the model's wtp:, which may read a parameter that the samples vary
    wtp = ce_wtp(model, scenario.base_values(), wtp)
    horizons = sorted(float(h) for h in horizons)
    at = [horizon_cycles(scenario, h) - 1 for h in horizons]
    T = max(at) + 1
    k1, k0 = [model.strategies.index(s) for s in model.interventions], model.comparator_index
    from ipsecon.economics.outcomes import batch_size  # the ledger's memory bound per batch of traces

    batch = min(batch, batch_size(scenario, T, n_samples, engine, individuals))
    parts = []
    for a in range(0, n_samples, batch):
        m = min(a + batch, n_samples) - a
        part = {k: (v[a:a + m] if isinstance(v, np.ndarray) and v.ndim == 1 and v.shape[0] == n_samples else v)
                for k, v in values.items()}
        sim = simulate(scenario, engine=engine, individuals=individuals, seed=seed, horizon_years=T * model.cycle_years,
                       values=part, n_samples=m)
        cost = np.cumsum(np.sum([sim.reward_series(r) for r in cost_names], axis=0), axis=-1)[..., at]  # (m, K, H)
        eff = np.cumsum(sim.reward_series(effect), axis=-1)[..., at]
        nmb = (_sample_wtp(model, part, wtp, m) if per_sample else wtp) * eff - cost
        data = {"net_gain": (("sample", "strategy", "perspective", "horizon"), nmb[:, :, None]),
                "cost": (("sample", "strategy", "perspective", "horizon"), cost[:, :, None]),
                "qalys": (("sample", "strategy", "horizon"), eff),
                "inc_npv": (("sample", "intervention", "perspective", "horizon"), (nmb[:, k1] - nmb[:, k0, None])[:, :, None])}
        for r, se in sim.reward_standard_errors().items():
            data[f"mc_se_{r}"] = (("sample", "strategy"), np.asarray(se))
        parts.append(xr.Dataset(data))
        if progress is not None:
            progress.advance(m)
    ds = xr.concat(parts, dim="sample") if len(parts) > 1 else parts[0]
    ds = ds.assign_coords(sample=np.arange(n_samples), strategy=list(model.strategies), intervention=model.interventions,
                          perspective=[CE_PERSPECTIVE], horizon=horizons)
    ds["qalys"].attrs.update(units=f"{effect_unit} per person", long_name=f"discounted {effect} (the effect reward)")
    for v in ("net_gain", "inc_npv"):
        ds[v].attrs.update(units=f"{cost_unit} per person", long_name=f"{'incremental ' if v == 'inc_npv' else ''}"
                           f"net monetary benefit at {wtp:g} {cost_unit} per {effect_unit}")
    ds.attrs.update(scenario=scenario.name, title=scenario.spec.title, price_year=scenario.spec.price_year,
                    comparator=model.comparator, interventions=json.dumps(model.interventions),
                    units=f"{cost_unit} per person (price year), discounted", ce_wtp=wtp, ce_effect=effect,
                    ce_costs=", ".join(cost_names), ce_cost_unit=cost_unit, ce_effect_unit=effect_unit,
                    **{LAYER_ATTR: CE_LAYER})
    return ds
