"""Monte Carlo error of a microsimulation's curves, from its person batches (batch means).

A one-sample microsim run also counts its people in B independent batches (person id modulo B,
``engines.microsim.batch_trace``). Each batch gives its own estimate of every curve, from the same
people in every strategy, and the B estimates average to the run's curve exactly. The Monte Carlo
standard error of a curve at each month is sd(batch estimates) / sqrt(B); a 95 % band is ± 1.96 SE.
A difference between strategies is taken within each batch, so its error is paired (far below the
two curves' errors added in quadrature). Where subgroups are reweighted (Bodø's users), a batch's
estimate is the linearised ratio (``batch_trace``). Money per month is linear in the occupancy, so
each batch's payer ledger gives its cumulative net per perspective.

The break-even wage is not linear, and a batch's own root is not a good estimate of its spread: a
batch of 1/B of the people sees the employment effect with sqrt(B) times the noise, and the root, a
ratio, skews (re-solved per batch it overstated Bodø's SE at 3 years by a third against 16 seeds).
It uses the delta method, numerically: each batch's deviation from the run, scaled by 1/sqrt(B) (about
one standard error), is added to the run and the wage re-solved (the vectorised search of
:func:`ipsecon.economics.breakeven.breakeven_wages`); the SD of these wages over the batches is its SE,
to first order. No SE where one of them has no root in the bracket. The money curves use the same
scaled runs (for a linear quantity the SD over them is exactly the batch-means SE).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import xarray as xr

from ipsecon.economics import evaluation as economics
from ipsecon.economics.breakeven import breakeven_wages
from ipsecon.economics.defaults import (
    EVALUATION_PERSPECTIVES,
    HEADLINE_PERSPECTIVES,
    report_horizons,
)
from ipsecon.engines.microsim import BATCH_GROUP, batch_trace
from ipsecon.engines.simulate import Simulation, horizon_cycles
from ipsecon.money.ledger import build_ledger

HEALTH_COMPONENT = "health_value"  # society's QALYs in NOK (money.ledger.perspective_items): discounted as effects


def batch_standard_error(x: np.ndarray) -> np.ndarray:
    """Monte Carlo standard error of the mean of B batch estimates (axis 0): sd / sqrt(B)."""
    return np.std(x, axis=0, ddof=1) / np.sqrt(x.shape[0])


def batch_occupancy(sim: Simulation) -> np.ndarray | None:
    """Each person batch's estimate of the population's occupancy [batch, strategy, point, state]; None
    without batches (a cohort run, a PSA's samples)."""
    if sim.trace is None or sim.trace.engine != "microsim" or sim.trace.batch_occupancy is None:
        return None
    B = sim.trace.batch_occupancy.shape[0]
    return np.concatenate([batch_trace(sim.trace, g).population_occupancy() for g in _groups(B)])


def _groups(B: int) -> list[slice]:
    return [slice(b, b + BATCH_GROUP) for b in range(0, B, BATCH_GROUP)]


def mc_error_dataset(sim: Simulation, months: np.ndarray) -> xr.Dataset:
    """The batch-means standard errors of a one-sample microsim run (an empty Dataset otherwise):
    occupancy and employment per strategy and their differences from the comparator per month, and,
    where the payer ledger applies, the cumulative discounted net per perspective and the break-even
    wage per perspective and horizon (the standard ones up to the run's)."""
    occ = batch_occupancy(sim)  # [batch, strategy, point, state]
    if occ is None:
        return xr.Dataset()
    model = sim.scenario.model
    B = occ.shape[0]
    k0 = model.comparator_index
    share = "share of the starting population"
    paired = "paired: each batch's difference, the same people in every strategy; NaN for the comparator"
    ds = xr.Dataset(coords={"strategy": list(model.strategies), "month": months, "state": list(model.states)})
    ds["occupancy_mc_se"] = (("strategy", "month", "state"), batch_standard_error(occ),
                             {"units": share, "long_name": f"Monte Carlo standard error of each state's share ({B} "
                              "person batches: sd of the batch estimates / sqrt(batches))"})
    ds["occupancy_difference_mc_se"] = (("strategy", "month", "state"), _versus(occ, k0),
                                        {"units": share, "long_name": "Monte Carlo standard error of each state's share "
                                         f"minus the comparator's ({paired})"})
    if model.employment_states:
        work = occ[..., model.employment_states].sum(axis=-1)  # one state, or a group's states (as the summary)
        ds["employment_mc_se"] = (("strategy", "month"), batch_standard_error(work),
                                  {"units": share, "long_name": f"Monte Carlo standard error of the share in "
                                   f"{model.employment_name}"})
        ds["employment_difference_mc_se"] = (("strategy", "month"), _versus(work, k0),
                                             {"units": share, "long_name": f"Monte Carlo standard error of the share in "
                                              f"{model.employment_name} minus the comparator's ({paired})"})
    if economics.has_ledger(model) and model.interventions and _ledger_linear(model):
        ds = ds.merge(_money_errors(sim, _groups(B), months))
    for v in ds.data_vars.values():  # what a report's caption says the band is made from
        v.attrs["batches"] = B
    if "employment_mc_se" in ds:
        ds["employment_mc_se"].attrs["state"] = ds["employment_difference_mc_se"].attrs["state"] = model.employment_name
    return ds


def _spread(x: np.ndarray) -> np.ndarray:
    """SE from the runs scaled by 1/sqrt(B) (``batch_trace(scale=)``): their SD over the batches (axis 0)."""
    return np.std(x, axis=0, ddof=1)


def _versus(x: np.ndarray, k0: int, error=batch_standard_error) -> np.ndarray:
    """SE of each strategy minus the comparator [batch, strategy, ...] -> [strategy, ...]; NaN for it."""
    se = error(x - x[:, k0:k0 + 1])
    se[k0] = np.nan
    return se


def _ledger_linear(model) -> bool:
    """Whether the batch trace carries everything the ledger reads: it keeps no flows and no
    per-cell occupancy per batch, so rewards on transitions or per tunnel cell get no money bands."""
    return not model.cell_rewards and not any(r["transitions"] for r in model.rewards.values())


def _money_errors(sim: Simulation, groups: list[slice], months: np.ndarray) -> xr.Dataset:
    model = sim.scenario.model
    k0 = model.comparator_index
    horizons = report_horizons(sim.horizon_years)
    cycles = [horizon_cycles(sim.scenario, h) for h in horizons]
    at = [j for j, p in enumerate(EVALUATION_PERSPECTIVES) if p in HEADLINE_PERSPECTIVES]
    perspectives = [EVALUATION_PERSPECTIVES[j] for j in at]
    cumulative, wages = [], []  # per group of batches: [perspective, batch, strategy, point], [intervention, batch, p, h]
    scale = 1 / np.sqrt(sim.trace.batch_occupancy.shape[0])  # the run + one SE's worth of each batch's deviation
    for g in groups:
        batches = replace(sim, trace=batch_trace(sim.trace, g, scale), totals=None)
        ledger = build_ledger(batches)
        n, K, T, _ = ledger.amounts.shape
        factors = {kind: economics.cycle_discount_factors(T, ledger.cycle_years, ledger.discount[kind], ledger.counting)
                   for kind in ("cost", "effect")}
        cum = np.zeros((len(EVALUATION_PERSPECTIVES), n, K, T + 1))  # month 0: nothing yet, exactly
        for j, p in enumerate(EVALUATION_PERSPECTIVES):
            items = ledger.perspective_items(p).transpose("sample", "strategy", "month", "component")
            f = np.stack([factors["effect" if str(c) == HEALTH_COMPONENT else "cost"] for c in items["component"].values], -1)
            net = (items.values * f).sum(axis=-1)  # discounted, per batch, strategy and month
            cum[j, :, :, 1:] = np.cumsum(net - net[:, k0:k0 + 1], axis=-1)
        cumulative.append(cum)
        # the NPV at the ledger's wage at each horizon: what breakeven_wages moves from (as economics.outcomes)
        wages.append([breakeven_wages(batches, ledger, perspectives, cycles,
                                      cum[at][:, :, k][:, :, cycles].transpose(1, 0, 2), k, k0)[0]
                      for k in [model.strategies.index(i) for i in model.interventions]])
    B = sum(c.shape[1] for c in cumulative)
    se = np.stack([_versus(c, k0, _spread) for c in np.concatenate(cumulative, axis=1)])
    se[:, :, 0] = np.where(np.isnan(se[:, :, 0]), np.nan, 0.0)
    out = xr.Dataset(coords={"perspective": list(EVALUATION_PERSPECTIVES), "strategy": list(model.strategies),
                             "month": months})
    out["cumulative_net_mc_se"] = (("perspective", "strategy", "month"), se, {
        "units": f"NOK ({sim.scenario.spec.price_year}) per person, discounted",
        "long_name": "Monte Carlo standard error of the cumulative discounted net gain over the comparator's "
                     f"({B} person batches, paired; NaN for the comparator)"})
    wage_se = []
    for i in range(len(model.interventions)):
        wage = np.concatenate([w[i] for w in wages])  # [batch, perspective, horizon]
        wage_se.append(np.where(np.isnan(wage).any(axis=0), np.nan, _spread(wage)))
    wage_se = xr.DataArray(np.stack(wage_se), dims=("intervention", "perspective", "breakeven_horizon"),
                           coords={"intervention": list(model.interventions), "perspective": perspectives,
                                   "breakeven_horizon": np.asarray(horizons, dtype=float)})
    out["breakeven_wage_mc_se"] = wage_se.reindex(perspective=out["perspective"]).assign_attrs({
        "units": "NOK per year (gross)",
        "long_name": f"Monte Carlo standard error of the NPV break-even wage (delta method, numerically: the wage "
                     f"re-solved with the run plus each of {B} person batches' deviation / sqrt(batches); their SD); "
                     "NaN where one of them has no break-even wage in the bracket"})
    return out
