"""Open populations by superposition: closed entry cohorts shifted in calendar time (issue 15).

Both engines are linear in the starting population, so a population with entrants is the sum
of closed runs: the stock (the scenario's own run) and, for each entry year, one run that starts
in January of that year (its calendar year, AAP grant year and rules follow), shifted by 0 … 11
months for the entrants of each month of the year. A person entering at calendar month m has
the run's cycle k at calendar month m + k; nobody is simulated before entry, so the microsim
holds only the people of one run at a time (O(people)). Users and non-users of the programme are
the run's strata with and without the programme's user level, reweighted to each month's share
of users (:mod:`ipsecon.model.entrants`). A closed population is the stock alone, and its run is
the scenario's run untouched.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ipsecon.engines.simulate import Simulation, horizon_cycles, simulate
from ipsecon.inputs import expressions
from ipsecon.model.entrants import EntryPlan, entrant_table, entry_plan, table_strata
from ipsecon.model.population import build_strata
from ipsecon.model.scenario import LoadedScenario, replace_variables
from ipsecon.model.state_machine import CompiledModel


@dataclass
class EntryCohort:
    """A closed run standing for everyone entering at calendar months ``offset + j`` (j = 0, 1, …):
    ``persons`` [sample, j] of them, of whom a share ``user_share`` [sample, j] start the programme; of these,
    a share ``waited`` [sample, j] start it after a wait, in the run of that wait (the rest at entry)."""

    simulation: Simulation
    offset: int
    persons: np.ndarray
    user_share: np.ndarray
    label: str
    waited: list[tuple[Simulation, np.ndarray]] = field(default_factory=list)


@dataclass
class OpenPopulation:
    plan: EntryPlan
    cohorts: list[EntryCohort]
    n_months: int

    def calendar(self, per_person: Callable[[Simulation], np.ndarray]) -> np.ndarray:
        """Σ over cohorts and entry months of persons × a per-person series, each shifted to calendar
        months: ``per_person(sim)`` gives [sample|1, strategy, cycle, ...] per person of a run (its
        cycle k = the k+1-th month after entry); the result is [sample, strategy, month, ...]."""
        parts = []
        for c in self.cohorts:
            programme = c.simulation.scenario.spec.programme
            if programme is None:  # everyone as the run's population is mixed
                groups = [(per_person(c.simulation), np.ones_like(c.persons))]
            else:
                at_entry = 1 - sum((share for _, share in c.waited), np.zeros_like(c.user_share))
                groups = [(per_person(split_users(c.simulation, programme, True)), c.user_share * at_entry),
                          (per_person(split_users(c.simulation, programme, False)), 1 - c.user_share)]
                groups += [(per_person(split_users(sim, programme, True)), c.user_share * share) for sim, share in c.waited]
            for j in range(c.persons.shape[1]):
                start = c.offset + j
                for x, share in groups:
                    n_here = min(self.n_months - start, x.shape[2])
                    if n_here > 0:
                        parts.append((start, n_here, _scaled(c.persons[:, j] * share[:, j], x[:, :, :n_here])))
        n = max(p.shape[0] for _, _, p in parts)
        first = parts[0][2]
        out = np.zeros((n, first.shape[1], self.n_months) + first.shape[3:])
        for start, n_here, p in parts:
            out[:, :, start:start + n_here] += p
        return out


def _scaled(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Persons [sample] times a per-person series [sample|1, ...]."""
    return w.reshape((-1,) + (1,) * (x.ndim - 1)) * x


def split_users(sim: Simulation, programme: Any, users: bool) -> Simulation:
    """The run seen as its programme users only (``users``) or its non-users only. Who uses the
    programme is independent of the other attributes (as in the population's product of shares), so
    each stratum of the group is weighted by the population share of its other attributes (summed
    over the user levels): well defined even where the group's own share is 0 in the run."""
    tr = sim.trace
    cols = sim.scenario.strata.columns
    keep = (cols[programme.user_attribute] == programme.user_level) == users
    others = [np.asarray(v).astype(str) for k, v in cols.items() if k != programme.user_attribute]
    key = (np.unique(np.stack(others), axis=1, return_inverse=True)[1].ravel() if others
           else np.zeros(len(keep), dtype=int))
    W = np.atleast_2d(tr.weights)
    marginal = np.zeros((W.shape[0], key.max() + 1))
    np.add.at(marginal, (slice(None), key), W)
    w = np.where(keep, marginal[:, key], 0.0)
    if tr.counts is not None:  # microsim: a subgroup nobody was drawn into has no people to stand for it
        w = w * (np.asarray(tr.counts) > 0)
    total = w.sum(axis=-1, keepdims=True)
    w = w / np.where(total > 0, total, 1.0)
    return replace(sim, trace=replace(tr, weights=w), totals=None)


def balanced_users(scenario: LoadedScenario) -> LoadedScenario:
    """The scenario with the programme's user attribute at equal shares (the other attributes as they are)."""
    strata, attr = scenario.strata, scenario.spec.programme.user_attribute
    column = strata.columns[attr]
    levels = sorted(set(column.tolist()))
    if attr in strata.share_formulas:
        formulas = {**strata.share_formulas, attr: {lvl: repr(1 / len(levels)) for lvl in strata.share_formulas[attr]}}
        return replace(scenario, strata=replace(strata, share_formulas=formulas))
    share = {lvl: strata.weight[column == lvl].sum() for lvl in levels}
    w = strata.weight / np.array([share[c] for c in column.tolist()])
    return replace(scenario, strata=replace(strata, weight=w / w.sum()))


def cohort_scenario(scenario: LoadedScenario, year: int) -> LoadedScenario:
    """The scenario as the closed run of entrants of ``year``: starting in January of that year, in
    the entrants' start states (``population.entrants.start_state``, default the stock's)."""
    pop = scenario.spec.population
    ent = pop.entrants
    update: dict[str, Any] = {"start_year": year}
    if ent is not None and ent.start_state is not None:
        update["start_state"] = ent.start_state
    if ent is not None and ent.table is not None:  # this year's rows of the table: its ages, shares (and states)
        out = replace(scenario, spec=scenario.spec.model_copy(update={"population": pop.model_copy(update=update)}),
                      strata=table_strata(scenario, entrant_table(scenario), year))
        return _programme_year(scenario, out, year)
    if ent is not None and (ent.age is not None or ent.attributes):  # the entrants' own ages and shares
        update.update(age=ent.age or pop.age, attributes={**pop.attributes, **ent.attributes})
    new_pop = pop.model_copy(update=update)
    out = replace(scenario, spec=scenario.spec.model_copy(update={"population": new_pop}))
    if "age" in update:
        out = replace(out, strata=build_strata(new_pop, scenario.model.states, scenario.file, Path(scenario.file).parent))
    return _programme_year(scenario, out, year)


def _programme_year(scenario: LoadedScenario, out: LoadedScenario, year: int) -> LoadedScenario:
    """``out`` with the model variable of the programme's years (``programme.years_variable``) set for ``year``."""
    prog = scenario.spec.programme
    if prog is not None and prog.years_variable is not None:  # e.g. the effect's maturity by programme year
        out = replace(out, model=_model_with(scenario, {prog.years_variable: float(year - prog.start_year)},
                                             "programme.years_variable"))
    return out


def _model_with(scenario: LoadedScenario, replacements: dict[str, Any], path: str) -> CompiledModel:
    """The scenario's model with some variables set (its discount rates kept)."""
    model = CompiledModel(replace_variables(scenario.model.spec, replacements, scenario.file, path), scenario.model.file)
    model.discount_rate = scenario.model.discount_rate
    return model


def run_open_population(base: Simulation, values: dict[str, Any] | None = None, n_samples: int = 1,
                        progress: Callable[[str], None] | None = None) -> OpenPopulation:
    """Run every entry cohort of ``base.scenario`` (whose ``population.entrants`` is set) with the
    engine, size, seed and horizon of ``base`` — the stock's run, reused as it is. A microsim
    cohort of entry year y draws its people with seed ``base.seed + (y − start_year) + 1``."""
    scenario = base.scenario
    values = scenario.base_values() if values is None else values
    M = horizon_cycles(scenario, base.horizon_years)
    plan = entry_plan(scenario, values, M, n_samples)
    y0 = scenario.spec.population.start_year
    engine = base.trace.engine
    prog = scenario.spec.programme
    if engine == "microsim" and prog is not None and scenario.strata.individuals is None:
        # the microsim draws users and non-users in equal numbers, so that both groups have people whatever
        # the shares (8.5 % users, or a group only capacity creates); the calendar weights them to the shares
        stock = simulate(balanced_users(scenario), engine=engine, individuals=base.individuals, seed=base.seed,
                         horizon_years=base.horizon_years, values=values, n_samples=n_samples)
    else:
        stock = base
    cohorts = [EntryCohort(stock, 0, plan.stock[:, None], plan.stock_user_share()[:, None], "stock")]
    shares = plan.entrant_user_share() if prog is not None else np.zeros_like(plan.entrants)
    ent = scenario.spec.population.entrants
    same_start = (ent.start_state in (None, scenario.spec.population.start_state) and ent.age is None
                  and not ent.attributes and ent.table is None)
    years = [y for y in plan.entry_years if 12 * (y - y0) < M]
    to_run = [y for y in years if not (y == y0 and same_start)]
    sims: dict[int, Simulation] = {y0: stock} if len(to_run) < len(years) else {}
    # a few entry years per batched run (its trace's memory stays bounded); a table gives each year its own
    # subgroups, so each year is a run of its own
    if engine == "cohort" and n_samples == 1 and ent.table is None:
        for i in range(0, len(to_run) - 1, BATCH_YEARS):
            sims.update(batched_entry_years(scenario, to_run[i:i + BATCH_YEARS], M, values) or {})
    for year in years:
        offset = 12 * (year - y0)
        if year not in sims:
            if progress is not None:
                progress(f"entrants of {year}")
            run = cohort_scenario(scenario, year)
            sims[year] = simulate(balanced_users(run) if stock is not base else run, engine=engine, individuals=base.individuals,
                                  seed=base.seed + (year - y0) + 1, horizon_years=(M - offset) / 12, values=values,
                                  n_samples=n_samples)
        window = slice(offset, min(offset + 12, M))
        cohorts.append(EntryCohort(sims[year], offset, plan.entrants[:, window], shares[:, window], str(year)))
    if plan.queue is not None:  # users who waited: one run per cohort and band of waits
        split = plan.wait_split()
        for c in cohorts:
            part = split[:, c.offset:c.offset + c.persons.shape[1]]  # [sample, j, wait]
            for lo in range(1, part.shape[2], WAIT_BAND_MONTHS):
                waits = np.arange(lo, min(lo + WAIT_BAND_MONTHS, part.shape[2]))
                mass = part[:, :, waits]
                if mass.sum() <= 0:
                    continue
                w = int(np.rint((mass * waits).sum() / mass.sum()))  # the band's mean wait, in whole months
                if progress is not None:
                    progress(f"{c.label}: users who waited {waits[0]}-{waits[-1]} months (run at {w})")
                run = delayed_scenario(c.simulation.scenario, w)
                sim = simulate(balanced_users(run) if stock is not base else run, engine=engine,
                               individuals=base.individuals, seed=c.simulation.seed, values=values, n_samples=n_samples,
                               horizon_years=c.simulation.horizon_years)
                c.waited.append((sim, mass.sum(axis=2)))
    return OpenPopulation(plan, cohorts, M)


# Users' waits are run in bands of this many months, each band at its users' mean wait (whole months): a
# cohort costs at most one run per band instead of one per month waited (IPSNOR: waits up to 2 years)
WAIT_BAND_MONTHS = 6


def delayed_scenario(scenario: LoadedScenario, months: int) -> LoadedScenario:
    """The run of users who waited ``months`` whole months for a place: ``programme.delay_variable`` set to
    that wait in years (the model starts the programme's support, cost and effect then)."""
    prog = scenario.spec.programme
    return replace(scenario, model=_model_with(scenario, {prog.delay_variable: months * scenario.model.cycle_years},
                                               "programme.delay_variable"))


BATCH_YEARS = 4  # entry years in one batched cohort run (each a sample with a whole trace)
ENTRY_OFFSET = "ipsecon_entry_offset"  # the name the batched entry years' formulas read: years after the batch's first
CALENDAR_NAMES = ("year", "start_year")


def _shifted(text: Any, file: str, path: str) -> Any:
    """A formula with ``year`` and ``start_year`` read ``ENTRY_OFFSET`` years later (numbers are left alone)."""
    if not isinstance(text, str) or not (expressions.parse(text, file, path).names & set(CALENDAR_NAMES)):
        return text

    class Shift(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in CALENDAR_NAMES:
                return ast.BinOp(left=ast.Name(node.id, ast.Load()), op=ast.Add(), right=ast.Name(ENTRY_OFFSET, ast.Load()))
            return node

    tree = Shift().visit(ast.parse(" ".join(text.split()), mode="eval"))
    return ast.unparse(ast.fix_missing_locations(tree))


def batched_entry_years(scenario: LoadedScenario, years: list[int], n_months: int,
                        values: dict[str, Any]) -> dict[int, Simulation] | None:
    """The cohort runs of several entry years as one run with a sample per year (the kernel advances them
    side by side, as ``api`` batches structural alternatives): the first year's run in which every variable
    and strategy formula reading ``year`` or ``start_year`` reads them ``ENTRY_OFFSET`` (the sample's years
    after the first) later. Each comes back as its own one-sample Simulation of :func:`cohort_scenario`,
    so its ledger books its own year's rules. None (run them one by one) where a formula other than a
    variable's or a strategy's reads the calendar, or the model already uses the name."""
    model = scenario.model
    spec, file = model.spec, model.file
    if ENTRY_OFFSET in spec.variables or ENTRY_OFFSET in values:
        return None
    others = [tr.formula for tr in model.transitions] + [tk.start for tk in model.trackers if tk.start is not None]
    others += [f for effects in model.effects.values() for e in effects
               for f in (e.value, e.start, e.end, e.decay_start, e.half_life) if f is not None]
    others += [f for r in model.rewards.values() for f in list(r["states"].values()) + list(r["transitions"].values())]
    if set().union(*(f.names for f in others)) & set(CALENDAR_NAMES):
        return None
    first = years[0]
    variables = {k: _shifted(v, file, f"model.variables.{k}") for k, v in spec.variables.items()}
    prog = scenario.spec.programme
    if prog is not None and prog.years_variable is not None:
        variables[prog.years_variable] = f"{first - prog.start_year} + {ENTRY_OFFSET}"
    strategies = {k: st.model_copy(update={"set": {n: _shifted(v, file, f"model.strategies.{k}.set.{n}")
                                                   for n, v in st.set.items()}})
                  for k, st in spec.strategies.items()}
    batch_model = CompiledModel(spec.model_copy(update={"variables": variables, "strategies": strategies}), file)
    batch_model.discount_rate = model.discount_rate
    batch = replace(cohort_scenario(scenario, first), model=batch_model)
    Y = len(years)
    runs = {**values, ENTRY_OFFSET: np.array([y - first for y in years], dtype=float)}
    sim = simulate(batch, engine="cohort", horizon_years=(n_months - 12 * (first - scenario.spec.population.start_year)) / 12,
                   values=runs, n_samples=Y)
    return {y: Simulation(cohort_scenario(scenario, y), _sample(sim.trace, i, Y), sim.seed, None, sim.horizon_years)
            for i, y in enumerate(years)}


def _sample(trace, i: int, n: int):
    """Sample ``i`` of a trace of ``n`` samples as a one-sample trace (arrays shared by all samples stay)."""
    def pick(a):
        return a[i:i + 1] if a.shape[0] == n and n > 1 else a

    return replace(trace, occupancy=pick(trace.occupancy), flows=pick(trace.flows), ever=pick(trace.ever),
                   weights=pick(np.atleast_2d(trace.weights)),
                   reward_states={k: pick(v) for k, v in trace.reward_states.items()},
                   reward_transitions={k: pick(v) for k, v in trace.reward_transitions.items()},
                   reward_masses={k: (pick(a), pick(b)) for k, (a, b) in trace.reward_masses.items()})
