"""Per-sample economic outcomes over several horizons: the quantities sensitivity analysis studies.

One simulation at the longest horizon gives every shorter one (cycle k depends only on trace
points 0..k), so a parameter sample costs one engine run whatever the number of horizons.
Samples are evaluated in batches that bound memory; the result is an ``xarray.Dataset`` with
dims (sample, strategy, perspective, horizon):

* ``net_gain``  — discounted net gain per person for the perspective (society: incl. the money
  value of QALYs), NOK of the price year;
* ``cost``      — discounted net cost per person, the value of health excluded (CE-plane cost);
* ``qalys``, ``employment_years`` — discounted per person;
* ``inc_npv``   — each intervention minus the comparator ``net_gain`` (dim ``intervention``; the
  model declares the comparator);
* ``breakeven_wage`` / ``breakeven_status`` — see :func:`ipsecon.economics.breakeven.breakeven_wages`.

With the microsim, ``mc_se_<reward>[sample, strategy]`` gives the Monte Carlo standard error of
each discounted reward total at the longest horizon, so simulation noise can be told apart
from parameter uncertainty.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

import numpy as np
import xarray as xr

from ipsecon.economics import evaluation as economics
from ipsecon.economics.defaults import EVALUATION_PERSPECTIVES, HORIZONS
from ipsecon.economics.breakeven import BREAKEVEN_STATUS, DEFAULT_BRACKET, breakeven_wages
from ipsecon.errors import InputError
from ipsecon.money.ledger import build_ledger, flow_signs
from ipsecon.model.scenario import LoadedScenario
from ipsecon.engines.simulate import horizon_cycles, simulate

BATCH_BYTES = 256 * 2 ** 20  # memory for one batch's trace arrays


def batch_size(scenario: LoadedScenario, n_cycles: int, n_samples: int, engine: str | None = None,
                individuals: int | None = None) -> int:
    m = scenario.model
    per_value = len(m.strategies) * scenario.strata.size * (n_cycles + 1) * 8
    per_sample = per_value * (m.n_states + len(m.transitions)) * (1 + len(m.rewards))
    if (engine or scenario.spec.run.engine) == "microsim":
        # the microsim kernel keeps each sample's people: cell, flags, start state and totals
        per_sample += (individuals or scenario.spec.run.individuals) * (3 + len(m.rewards)) * 8
    return int(max(1, min(n_samples, BATCH_BYTES // max(per_sample, 1))))


def _roles(scenario: LoadedScenario) -> tuple[list[int], int]:
    """Indices of the interventions and of the comparator, as the model declares them."""
    model = scenario.model
    if not model.interventions:
        raise InputError(scenario.file, "model.strategies", "sensitivity analysis needs two strategies")
    return [model.strategies.index(s) for s in model.interventions], model.comparator_index


def slice_values(values: dict[str, Any], rows: slice, n: int) -> dict[str, Any]:
    return {k: (v[rows] if isinstance(v, np.ndarray) and v.ndim == 1 and v.shape[0] == n else v) for k, v in values.items()}


def evaluate(scenario: LoadedScenario, values: dict[str, Any], n_samples: int,
             horizons: Iterable[float] = HORIZONS, perspectives: Iterable[str] = EVALUATION_PERSPECTIVES,
             engine: str | None = None, individuals: int | None = None, seed: int | None = None, breakeven: bool = True,
             bracket: tuple[float, float] = DEFAULT_BRACKET, progress=None, by_month: bool = False) -> xr.Dataset:
    """Outcomes for ``n_samples`` parameter sets (``values`` holds 1-D arrays for sampled names);
    ``by_month`` adds ``employment_share[sample, strategy, month]`` (float32: the share in work each
    month, for uncertainty bands on the employment curve) and ``occupancy[sample, strategy, month, state]``
    (float32, for the occupancy bands; ``psa.with_occupancy_bands`` summarises and drops it)."""
    if not economics.has_ledger(scenario.model):  # no payer ledger: the model's own costs and effect, NMB
        return economics.ce_outcomes(scenario, values, n_samples, horizons, engine, individuals, seed, progress)
    horizons = sorted(float(h) for h in horizons)
    perspectives = list(perspectives)
    cycles = [horizon_cycles(scenario, h) for h in horizons]
    T = max(cycles)
    k1, k0 = _roles(scenario)
    batch = batch_size(scenario, T, n_samples, engine, individuals)
    parts = [_evaluate_batch(scenario, slice_values(values, slice(a, min(a + batch, n_samples)), n_samples),
                             min(a + batch, n_samples) - a, horizons, cycles, perspectives, engine, individuals,
                             seed, k1, k0, breakeven, bracket, progress, by_month)
             for a in range(0, n_samples, batch)]
    ds = xr.concat(parts, dim="sample") if len(parts) > 1 else parts[0]
    names = list(scenario.model.strategies)
    ds = ds.assign_coords(sample=np.arange(n_samples), strategy=names, intervention=scenario.model.interventions,
                          perspective=perspectives, horizon=horizons)
    if by_month:
        ds = ds.assign_coords(month=np.arange(1, T + 1) * scenario.model.cycle_years * 12, state=list(scenario.model.states))
    ds.attrs.update(scenario=scenario.name, title=scenario.spec.title, price_year=scenario.spec.price_year,
                    comparator=names[k0], interventions=json.dumps(scenario.model.interventions),
                    units="NOK per person (price year), discounted",
                    breakeven_status_codes="; ".join(f"{k}: {v}" for k, v in BREAKEVEN_STATUS.items()),
                    bracket_low=float(bracket[0]), bracket_high=float(bracket[1]))
    return ds


def _evaluate_batch(scenario, values, n, horizons, cycles, perspectives, engine, individuals, seed, k1, k0,
                    breakeven, bracket, progress, by_month=False) -> xr.Dataset:
    T = max(cycles)
    sim = simulate(scenario, engine=engine, individuals=individuals, seed=seed, horizon_years=T * scenario.model.cycle_years,
                   values=values, n_samples=n)
    ledger = build_ledger(sim, values=values)
    # money at the model's cost rate, QALYs and employment at its effect rate
    d_cost, d_effect = (economics.cycle_discount_factors(T, ledger.cycle_years, ledger.discount[kind], ledger.counting)
                        for kind in ("cost", "effect"))
    at = [c - 1 for c in cycles]

    def by_horizon(x, d):  # (n, K, T) per cycle -> discounted cumulative at each horizon (n, K, H)
        return np.cumsum(x * d, axis=-1)[..., at]

    K = len(scenario.model.strategies)
    net = np.zeros((n, K, len(perspectives), len(horizons)))
    cost = np.zeros_like(net)
    # the same views as ledger.perspective_items, in plain arrays (this loop runs per batch)
    qaly_money = ledger.qalys * np.reshape(ledger.qaly_value, (-1, 1, 1))
    public = by_horizon(ledger.amounts @ np.array([flow_signs("public")[f] for f in ledger.flows]), d_cost)
    mcpf = np.reshape(np.asarray(ledger.mcpf, dtype=float), (-1, 1, 1))  # tax-financing cost, per sample
    for j, p in enumerate(perspectives):
        signs = flow_signs(p)
        money = by_horizon(ledger.amounts @ np.array([signs[f] for f in ledger.flows]), d_cost)
        if p == "society":  # R-109/21: society bears the tax-financing cost of net public spending
            money = money + mcpf * public
        health = by_horizon(qaly_money, d_effect) if p == "society" else 0.0
        net[:, :, j] = money + health
        cost[:, :, j] = -money
    qalys = by_horizon(ledger.qalys, d_effect)
    employment = by_horizon(ledger.employment_years, d_effect)
    inc = net[:, k1] - net[:, k0, None]  # (n, I, P, H): each intervention minus the comparator
    data = {
        "net_gain": (("sample", "strategy", "perspective", "horizon"), net),
        "cost": (("sample", "strategy", "perspective", "horizon"), cost),
        "qalys": (("sample", "strategy", "horizon"), qalys),
        "employment_years": (("sample", "strategy", "horizon"), employment),
        "inc_npv": (("sample", "intervention", "perspective", "horizon"), inc),
    }
    if breakeven:
        found = [breakeven_wages(sim, ledger, perspectives, cycles, inc[:, i], k, k0, bracket) for i, k in enumerate(k1)]
        data["breakeven_wage"] = (("sample", "intervention", "perspective", "horizon"), np.stack([w for w, _ in found], 1))
        data["breakeven_status"] = (("sample", "intervention", "perspective", "horizon"),
                                    np.stack([s for _, s in found], 1).astype(np.int8))
    if by_month:
        data["employment_share"] = (("sample", "strategy", "month"),
                                    (ledger.employment_years / ledger.cycle_years).astype(np.float32))
        # each state's share (points 1 … T, as the months): the PSA's occupancy bands, without a second run
        data["occupancy"] = (("sample", "strategy", "month", "state"),
                             sim.trace.population_occupancy()[:, :, 1:].astype(np.float32))
    for r, se in sim.reward_standard_errors().items():
        data[f"mc_se_{r}"] = (("sample", "strategy"), np.asarray(se))
    if progress is not None:
        progress.advance(n)
    return xr.Dataset(data)
