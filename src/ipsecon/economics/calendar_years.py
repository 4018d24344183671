"""Calendar-year results of an open population, as register studies and budgets report them (issue 15).

Per calendar year and strategy, per person in that year's population (everyone who has entered and
is alive, counted in person-years): share of months in work, working days, months on AAP and on
uføretrygd; and each payer's net (inflows − outflows, + = the budget gains) in NOK of the price
year, undiscounted, as budgets are made. Budget impact is a strategy's net minus the comparator's.

Conventions: working days = person-months in each work state × its hours (``wages.hours_share``,
the ledger's) × 230 full-time working days a year / 12 (:data:`WORKING_DAYS_PER_YEAR`); months on
AAP count full and graded AAP, months on uføretrygd full and graded uføretrygd (the ledger's
regimes). Amounts are the ledger's (money/ledger.py): per person per month, shifted to calendar
months by :mod:`ipsecon.engines.open_population`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import xarray as xr

from ipsecon.economics.evaluation import has_ledger
from ipsecon.engines import counting as accounting
from ipsecon.engines.open_population import OpenPopulation, run_open_population
from ipsecon.engines.simulate import Simulation, horizon_cycles
from ipsecon.money.ledger import PARTY_PERSPECTIVES, WORK_REGIMES, build_ledger, perspective_net, regime_states, work_hours

WORKING_DAYS_PER_YEAR = 230  # full-time working days in a year (issue 15's convention: 52 weeks × 5 days less holidays)
BUDGETS = ("nav", "health", "municipality", "state", "public")  # party perspectives whose yearly net is a budget
AAP_REGIMES = ("aap", "employed_aap")
UFORE_REGIMES = ("ufore", "employed_ufore")


def _state_months(sim: Simulation) -> np.ndarray:
    """Person-months in each state per cycle, per person of the run: [sample, strategy, cycle, state]."""
    tr = sim.trace
    occ = accounting.cycle_occupancy(tr.occupancy, sim.scenario.model.spec.counting, np.ones(tr.n_cycles + 1))
    return tr.over_strata(occ)


def _calendar_money(pop: OpenPopulation, values: dict[str, Any]):
    """The ledger's flows of the whole open population per calendar month, [sample, strategy, month, flow] NOK,
    and the first run's ledger: the template of sums over months (flows, payers, price year)."""
    ledgers: list = []

    def money(sim: Simulation) -> np.ndarray:
        ledger = build_ledger(sim, values=values)
        if not ledgers:
            ledgers.append(ledger)
        return ledger.amounts

    amounts = pop.calendar(money)
    return amounts, ledgers[0]


def calendar_years(base: Simulation, values: dict[str, Any] | None = None, n_samples: int = 1,
                   population: OpenPopulation | None = None) -> xr.Dataset:
    """The calendar-year Dataset of ``base.scenario``'s open population (runs its entry cohorts unless
    ``population`` is given): variables ``calendar_*`` over (sample, strategy, year[, budget])."""
    scenario = base.scenario
    values = scenario.base_values() if values is None else values
    pop = population or run_open_population(base, values, n_samples)
    months = pop.calendar(_state_months)  # [n, K, M, S] persons
    amounts, template = _calendar_money(pop, values)  # [n, K, M, F] NOK per month, all persons
    n, K, M = amounts.shape[:3]

    regimes = regime_states(base, None)
    alive = [s for r, s in regimes.items() if r != "dead"]
    work = [r for r in WORK_REGIMES if r in regimes]
    hours = np.stack([np.broadcast_to(work_hours(values, r, work, n, 1), (n,)) for r in work], axis=-1)  # [n, work]
    work_months = months[..., [regimes[r] for r in work]]
    person_months = months[..., alive].sum(-1)
    day_months = (work_months * hours[:, None, None, :]).sum(-1) * WORKING_DAYS_PER_YEAR / 12

    n_years = -(-M // 12)
    y0 = scenario.spec.population.start_year

    def by_year(x: np.ndarray, axis: int = 2) -> np.ndarray:
        pad = [(0, 0)] * x.ndim
        pad[axis] = (0, n_years * 12 - x.shape[axis])
        x = np.pad(x, pad)
        shape = x.shape[:axis] + (n_years, 12) + x.shape[axis + 1:]
        return x.reshape(shape).sum(axis=axis + 1)

    py = by_year(person_months) / 12  # person-years
    with np.errstate(invalid="ignore", divide="ignore"):
        per = lambda x: by_year(x) / py  # noqa: E731  per person-year
        share_work = by_year(work_months.sum(-1)) / by_year(person_months)
        aap = per(months[..., [regimes[r] for r in AAP_REGIMES if r in regimes]].sum(-1))
        ufore = per(months[..., [regimes[r] for r in UFORE_REGIMES if r in regimes]].sum(-1))
        days = per(day_months)
    # each budget's net from the yearly sums of the flows (the sign of a flow for a payer is linear)
    yearly = by_year(amounts)
    whole = replace(template, amounts=yearly, qalys=np.zeros(yearly.shape[:3]), employment_years=np.zeros(yearly.shape[:3]))
    budget = np.stack([perspective_net(whole, b).values for b in BUDGETS], axis=-1)  # [n, K, year, budget]
    strategies = list(scenario.model.strategies)
    comparator = strategies.index(scenario.model.comparator)
    plan = pop.plan
    years = np.arange(y0, y0 + n_years)
    # the waiting list (0 without capacity.queue): persons at each year's last month, starts' months waited
    ends = np.minimum(np.arange(1, n_years + 1) * 12, M) - 1
    if plan.queue is not None:
        waiting = plan.queue.waiting()[:, ends]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_wait = by_year(np.nan_to_num(plan.queue.mean_wait()) * plan.starts, 1) / by_year(plan.starts, 1)
    else:
        waiting = np.zeros((plan.entrants.shape[0], n_years))
        mean_wait = np.where(by_year(plan.starts, 1) > 0, 0.0, np.nan)
    dims, dims_b = ("sample", "strategy", "year"), ("sample", "strategy", "year", "budget")
    ds = xr.Dataset(
        {
            "calendar_persons": (dims, py, {"units": "person-years (persons alive in the population, averaged over the year)"}),
            "calendar_share_in_work": (dims, share_work, {"units": "share of person-months in work"}),
            "calendar_working_days": (dims, days, {"units": f"working days per person-year ({WORKING_DAYS_PER_YEAR} full-time days a year × hours share)"}),
            "calendar_aap_months": (dims, aap, {"units": "months on AAP (full or graded) per person-year"}),
            "calendar_ufore_months": (dims, ufore, {"units": "months on uføretrygd (full or graded) per person-year"}),
            "calendar_budget_net": (dims_b, budget, {"units": f"NOK ({template.price_year}) per calendar year, undiscounted, + = gain to the budget"}),
            "calendar_budget_impact": (dims_b, budget - budget[:, comparator:comparator + 1],
                                       {"units": f"NOK ({template.price_year}) per calendar year, undiscounted: strategy minus {strategies[comparator]}"}),
            "calendar_months": (("year",), by_year(np.ones((1, M)), 1)[0], {"units": "months of the year within the horizon"}),
            "calendar_entrants": (("sample", "year"), by_year(plan.entrants, 1), {"units": "persons entering (the stock not included)"}),
            "calendar_programme_starts": (("sample", "year"), by_year(plan.starts, 1), {"units": "persons starting the programme"}),
            "calendar_programme_wanted": (("sample", "year"), by_year(plan.wanted, 1), {"units": "persons who would start without the capacity limit"}),
            "calendar_waiting": (("sample", "year"), waiting, {"units": "persons on the waiting list at the end of the year (or of the horizon)"}),
            "calendar_mean_wait": (("sample", "year"), mean_wait, {"units": "months waited, mean over those starting the programme in the year"}),
        },
        coords={"sample": np.arange(budget.shape[0]), "strategy": strategies, "year": years, "budget": list(BUDGETS)},
    )
    ds["year"].attrs["units"] = "calendar year"
    ds.attrs["calendar_stock"] = float(plan.stock[0])
    ds.attrs["calendar_working_days_per_year"] = WORKING_DAYS_PER_YEAR
    ds.attrs["calendar_budgets"] = ", ".join(f"{b}: {'+'.join(PARTY_PERSPECTIVES[b])}" for b in BUDGETS)
    return ds


def calendar_years_samples(scenario, values: dict[str, Any], n_samples: int, horizon_years: float,
                           engine: str | None = None, individuals: int | None = None, seed: int | None = None,
                           progress=None) -> xr.Dataset:
    """:func:`calendar_years` for ``n_samples`` parameter sets (a PSA's draws: entrant counts, uptake and
    capacity may be among them), run in batches of samples whose traces fit in memory."""
    from ipsecon.economics.outcomes import batch_size, slice_values
    from ipsecon.engines.simulate import simulate

    step = batch_size(scenario, horizon_cycles(scenario, horizon_years), n_samples, engine, individuals)
    parts = []
    for lo in range(0, n_samples, step):
        hi = min(n_samples, lo + step)
        part = slice_values(values, slice(lo, hi), n_samples)
        sim = simulate(scenario, engine=engine, individuals=individuals, seed=seed, horizon_years=horizon_years,
                       values=part, n_samples=hi - lo)
        ds = calendar_years(sim, part, hi - lo)
        parts.append(ds.assign_coords(sample=np.arange(lo, hi)))
        if progress is not None:
            progress(hi)
    out = xr.concat(parts, dim="sample", data_vars="minimal", coords="minimal", compat="override",
                    combine_attrs="override")
    out["year"].attrs["units"] = "calendar year"
    return out


def budget_impact_totals(base: Simulation, values: dict[str, Any], n_samples: int, horizons: list[float],
                         budgets: list[str]) -> np.ndarray:
    """Each budget's impact (each intervention − the comparator) summed over the calendar months from January of
    ``start_year`` up to each horizon, for the whole open population (the stock and every entrant), NOK of the
    price year, undiscounted: [sample, intervention, budget, horizon]. ``base`` is the stock's run (to the
    longest horizon)."""
    scenario = base.scenario
    amounts, template = _calendar_money(run_open_population(base, values, n_samples), values)
    sums = np.stack([amounts[:, :, :horizon_cycles(scenario, h)].sum(axis=2) for h in horizons], axis=2)  # [n, K, H, F]
    whole = replace(template, amounts=sums, qalys=np.zeros(sums.shape[:3]), employment_years=np.zeros(sums.shape[:3]))
    net = np.stack([perspective_net(whole, b).values for b in budgets], axis=-1)  # [n, K, H, B]
    model = scenario.model
    inc = net[:, [model.strategies.index(s) for s in model.interventions]] - net[:, model.comparator_index, None]
    return inc.transpose(0, 1, 3, 2)


def budget_impact(scenario, values: dict[str, Any], n_samples: int, horizons, perspectives,
                  engine: str | None = None, individuals: int | None = None, seed: int | None = None, progress=None,
                  one_by_one: bool = False) -> xr.DataArray | None:
    """An open population's budget impact as an outcome of sensitivity analysis (DSA, Sobol', sweeps):
    ``budget_impact`` [sample, intervention, perspective, horizon] per parameter set (``values`` as for
    :func:`ipsecon.economics.outcomes.evaluate`), for the perspectives that are budgets (NaN for society,
    individual and employer, which are not). None for a closed population, a model without the payer ledger (no
    budgets: a textbook model's costs and QALYs) or where no perspective is a budget.
    Runs the stock again and every entry cohort per sample (in batches that fit memory; ``one_by_one``: each
    sample alone, so that a sweep's numbers do not depend on its chunk size, to the bit); ``progress``: a
    :class:`ipsecon.progress.Progress`."""
    perspectives = list(perspectives)
    budgets = [p for p in perspectives if p in BUDGETS]
    if scenario.spec.population.entrants is None or not budgets or not has_ledger(scenario.model):
        return None
    from ipsecon.economics.outcomes import batch_size, slice_values
    from ipsecon.engines.simulate import simulate

    horizons = sorted(float(h) for h in horizons)
    model = scenario.model
    T = horizon_cycles(scenario, max(horizons))
    step = 1 if one_by_one else batch_size(scenario, T, n_samples, engine, individuals)
    out = np.full((n_samples, len(model.interventions), len(perspectives), len(horizons)), np.nan)
    where = [perspectives.index(b) for b in budgets]
    for lo in range(0, n_samples, step):
        hi = min(n_samples, lo + step)
        part = slice_values(values, slice(lo, hi), n_samples)
        sim = simulate(scenario, engine=engine, individuals=individuals, seed=seed, horizon_years=T * model.cycle_years,
                       values=part, n_samples=hi - lo)
        out[lo:hi, :, where] = budget_impact_totals(sim, part, hi - lo, horizons, budgets)
        if progress is not None:
            progress.advance(hi - lo)
    y0 = scenario.spec.population.start_year
    return xr.DataArray(out, dims=("sample", "intervention", "perspective", "horizon"),
                        coords={"sample": np.arange(n_samples), "intervention": list(model.interventions),
                                "perspective": perspectives, "horizon": horizons}, name="budget_impact",
                        attrs={"units": f"NOK ({scenario.spec.price_year}), the whole open population, undiscounted, "
                                        f"summed over the calendar months from January {y0} to the horizon: intervention "
                                        f"minus {model.comparator} (+ = the budget gains; NaN: not a budget)"})
