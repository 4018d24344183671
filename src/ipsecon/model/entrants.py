"""Who joins an open population and when, and who starts the programme: the entry plan (issue 15).

An open population is a sum of closed cohorts: the stock at ``population.start_year`` and, for
each calendar month, the people entering then (``population.entrants``: persons per year, spread
evenly over its 12 months; or ``population.entrants.table``, counts by year × age band × attributes × start
state, :func:`entrant_table`, each year's run with its joint mix, :func:`table_strata`). Of every month's entrants a share starts the programme at entry
(``programme.uptake``, by year for a ramp-up, from ``programme.start_year`` to ``last_year``); the
stock's share is its population share of the user level (``population.attributes``). Capacity caps
starts each month at the free places, ``specialists × caseload × (1 − turnover × refill_months / 12)``
(the expected share of posts filled when each vacancy stays empty ``refill_months``), a client
holding a place for ``support_months`` from the month they start. Who waits: when wanted starts
exceed the free places every wanted start is equally likely to be served, and those not served get
usual care (an assumption, stated in the scenario); or, with ``capacity.queue``, they join a waiting
list served first come first served (:func:`wait_in_queue`) and start the programme after their wait.

Everything here is counts per calendar month, per sample where entrant counts or uptake are
uncertain parameters: no engine is run. :mod:`ipsecon.engines.open_population` runs the cohorts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ipsecon.errors import InputError
from ipsecon.inputs import expressions


@dataclass
class EntryPlan:
    """Counts per calendar month 0 … M−1 (month 0 = January of ``first_year``), [sample, month].

    ``stock``: persons at month 0 (the closed population); ``entrants``: persons entering at the
    start of each month; ``stock_users`` / ``entrant_users``: of these, who start the programme at
    entry after capacity; ``wanted``: starts before capacity; ``places``: programme places (inf
    without a capacity)."""

    first_year: int
    stock: np.ndarray  # [sample]
    entrants: np.ndarray
    stock_users: np.ndarray  # [sample]
    entrant_users: np.ndarray
    wanted: np.ndarray
    places: np.ndarray
    entry_years: list[int]  # calendar years with entrants
    queue: Queue | None = None  # the waiting list (programme.capacity.queue); users then start after a wait

    @property
    def n_months(self) -> int:
        return self.entrants.shape[1]

    @property
    def starts(self) -> np.ndarray:
        """Programme starts per month [sample, month] (stock and entrants)."""
        if self.queue is not None:
            return self.queue.starts
        out = self.entrant_users.copy()
        out[:, 0] += self.stock_users
        return out

    def entrant_user_share(self) -> np.ndarray:
        """Share of each month's entrants who start the programme [sample, month] (0 where nobody enters)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.entrants > 0, self.entrant_users / self.entrants, 0.0)

    def stock_user_share(self) -> np.ndarray:
        return np.where(self.stock > 0, self.stock_users / np.maximum(self.stock, 1e-300), 0.0)

    def wait_split(self) -> np.ndarray:
        """How each month's users split by the whole months they wait [sample, month, wait] (all at 0 without a queue)."""
        n, M = self.entrants.shape
        if self.queue is None:
            out = np.zeros((n, M, M))
            out[:, :, 0] = 1.0
            return out
        b = self.queue.by_wait()
        total = b.sum(axis=2, keepdims=True)
        return np.where(total > 0, b / np.where(total > 0, total, 1.0), 0.0)


def _number(text: Any, values: dict[str, Any], n: int, file: str, path: str) -> np.ndarray:
    """A number or a formula of parameters, one value per sample [n]."""
    value = np.asarray(expressions.parse(text, file, path)(values), dtype=float)
    if value.size not in (1, n):
        raise InputError(file, path, f"has {value.size} values", f"a number or one value per sample ({n})")
    value = np.broadcast_to(value.ravel(), (n,)).astype(float)
    if not np.isfinite(value).all():
        raise InputError(file, path, f"is {value[~np.isfinite(value)][0]}", "a finite number")
    return value


def _by_year(spec: Any, years: range, values: dict[str, Any], n: int, file: str, path: str,
             carry_forward: bool) -> np.ndarray:
    """A yearly quantity [n, year]: one number/formula for every year, or {year: number}; years missing
    from a table are 0, or (``carry_forward``) the value of the last listed year before them."""
    out = np.zeros((n, len(years)))
    if not isinstance(spec, dict):
        out[:] = _number(spec, values, n, file, path)[:, None]
        return out
    listed = sorted(spec)
    for i, year in enumerate(years):
        before = [y for y in listed if y <= year]
        if year in spec:
            out[:, i] = _number(spec[year], values, n, file, f"{path}.{year}")
        elif carry_forward and before:
            out[:, i] = _number(spec[before[-1]], values, n, file, f"{path}.{before[-1]}")
    return out


def user_share(scenario: Any, weights: np.ndarray, file: str) -> tuple[np.ndarray, np.ndarray]:
    """The population share of the programme's user level [sample] from the strata weights [sample, stratum],
    and which of (users, non-users) have subgroups to stand for them."""
    prog = scenario.spec.programme
    column = scenario.strata.columns.get(prog.user_attribute)
    if column is None:
        raise InputError(file, "programme.user_attribute", f"{prog.user_attribute!r} is not a population attribute",
                         ", ".join(scenario.spec.population.attributes) or "declare it under population.attributes")
    is_user = column == prog.user_level
    return (weights * is_user).sum(axis=-1), np.array([is_user.any(), (~is_user).any()])


def _check_groups(scenario: Any, present: np.ndarray, wanted: bool, unserved: bool) -> None:
    """Users need subgroups of the user level, non-users (not wanting it or left without a place) of another."""
    prog = scenario.spec.programme
    levels = ", ".join(sorted(scenario.spec.population.attributes.get(prog.user_attribute, {})))
    for need, have, who in ((wanted, present[0], f"users (level {prog.user_level!r})"),
                            (unserved, present[1], "non-users (another level)")):
        if need and not have:
            raise InputError(scenario.file, f"population.attributes.{prog.user_attribute}",
                             f"the programme has {who} but the population has no subgroup for them",
                             f"levels {levels} with a share above 0, or a formula (e.g. '0.0') so that the subgroup exists")


def capacity_places(scenario: Any, values: dict[str, Any], n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(places [n], support months [n] or None): inf places without ``programme.capacity``."""
    cap = scenario.spec.programme.capacity
    file = scenario.file
    if cap is None:
        return np.full(n, np.inf), None
    got = {k: _number(getattr(cap, k), values, n, file, f"programme.capacity.{k}")
           for k in ("specialists", "caseload", "support_months", "turnover", "refill_months")}
    for k, v in got.items():
        if (v < 0).any():
            raise InputError(file, f"programme.capacity.{k}", f"is {v.min():g}", "a number >= 0")
    if (got["support_months"] < 1).any():
        raise InputError(file, "programme.capacity.support_months", f"is {got['support_months'].min():g}", "at least 1 month")
    vacant = got["turnover"] * got["refill_months"] / 12  # expected share of posts empty
    if (vacant > 1).any():
        raise InputError(file, "programme.capacity", f"turnover × refill_months / 12 = {vacant.max():.3g} of posts vacant",
                         "at most 1 (a turnover per year times the months a post stays empty, over 12)")
    return got["specialists"] * got["caseload"] * (1 - vacant), got["support_months"]


def serve(wanted: np.ndarray, places: np.ndarray, support: np.ndarray | None) -> np.ndarray:
    """Starts per month [n, M] when each start holds a place for ``support`` months (rounded to whole
    months) and at most ``places`` are held at once; those not served in their month are not served later."""
    if support is None:
        return wanted.copy()
    n, M = wanted.shape
    starts = np.zeros_like(wanted)
    L = np.maximum(np.rint(support).astype(int), 1)
    for i in range(n):
        for m in range(M):
            held = starts[i, max(0, m - L[i] + 1):m].sum()  # started in the previous L−1 months
            starts[i, m] = min(wanted[i, m], max(places[i] - held, 0.0))
    return starts


@dataclass
class Queue:
    """A first-come first-served waiting list, per sample [n]: ``served`` [n, j, m] persons who joined in
    month j and started in month m (m >= j; the wait is m − j months), ``left`` [n, m] those who gave up in
    month m (waited longer than the maximum), ``wanted`` [n, m] who joined."""

    wanted: np.ndarray
    served: np.ndarray
    left: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        return self.served.sum(axis=1)

    def waiting(self) -> np.ndarray:
        """Persons on the list at the end of each month [n, m] (joined, neither started nor gone)."""
        return np.cumsum(self.wanted - self.starts - self.left, axis=1)

    def mean_wait(self) -> np.ndarray:
        """Mean wait in months of those starting in each month [n, m] (nan where nobody starts)."""
        M = self.wanted.shape[1]
        wait = np.arange(M)[None, :] - np.arange(M)[:, None]  # [j, m]: m − j
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.served * np.maximum(wait, 0)).sum(axis=1) / self.starts

    def by_wait(self) -> np.ndarray:
        """Starts by joining month and whole months waited [n, j, w] (w = 0 … M−1)."""
        n, M, _ = self.served.shape
        out = np.zeros_like(self.served)
        for w in range(M):
            j = np.arange(M - w)
            out[:, j, w] = self.served[:, j, j + w]
        return out


def wait_in_queue(wanted: np.ndarray, places: np.ndarray, support: np.ndarray | None,
                  max_wait: float | None = None) -> Queue:
    """Each month's joiners ``wanted`` [n, M] join the list; the places free that month (``places`` minus
    the clients who started in the previous ``support`` − 1 months, rounded to whole months) go to the
    longest waiting first; who has waited more than ``max_wait`` months without a place gives up before
    the month's places are filled (``max_wait`` 0: no queue, as :func:`serve`; None: nobody gives up)."""
    n, M = wanted.shape
    served = np.zeros((n, M, M))
    left = np.zeros((n, M))
    if support is None:  # no capacity: everyone starts in the month they want to
        served[:, np.arange(M), np.arange(M)] = wanted
        return Queue(wanted.copy(), served, left)
    L = np.maximum(np.rint(support).astype(int), 1)
    rows = np.arange(n)
    remaining = np.zeros((n, M))  # [n, j]: joined in month j, still waiting
    started = np.zeros((n, M + 1))  # cumulative starts before month m
    for m in range(M):
        remaining[:, m] = wanted[:, m]
        if max_wait is not None and m - max_wait > 0:
            gone = slice(0, int(np.ceil(m - max_wait)))  # joined before m − max_wait
            left[:, m] = remaining[:, gone].sum(axis=1)
            remaining[:, gone] = 0.0
        held = started[:, m] - started[rows, np.maximum(0, m - L + 1)]
        free = np.maximum(places - held, 0.0)
        ahead = np.cumsum(remaining[:, :m + 1], axis=1) - remaining[:, :m + 1]  # waiting longer than j's joiners
        take = np.clip(free[:, None] - ahead, 0.0, remaining[:, :m + 1])
        served[:, :m + 1, m] = take
        remaining[:, :m + 1] -= take
        started[:, m + 1] = started[:, m] + take.sum(axis=1)
    return Queue(wanted.copy(), served, left)


def entry_plan(scenario: Any, values: dict[str, Any], n_months: int, n_samples: int = 1) -> EntryPlan:
    """Entrants and programme starts per calendar month for ``n_months`` months from January of
    ``population.start_year`` (see the module docstring)."""
    spec, file = scenario.spec, scenario.file
    pop, prog = spec.population, spec.programme
    ent = pop.entrants
    if ent is None:
        raise InputError(file, "population.entrants", "an open population needs entrants",
                         "population.entrants: {per_year: COUNT}")
    y0 = pop.start_year
    n = n_samples
    years = range(y0, y0 + -(-n_months // 12))
    per_year_spec = table_per_year(entrant_table(scenario)) if ent.table is not None else ent.per_year
    if isinstance(ent.per_year, dict):
        bad = [y for y in ent.per_year if y < y0]
        if bad:
            raise InputError(file, f"population.entrants.per_year.{bad[0]}", f"year {bad[0]} is before population.start_year {y0}",
                             f"years from {y0} (the population before is its stock, population.size)")
    first = ent.first_year if ent.first_year is not None else y0
    last = ent.last_year if ent.last_year is not None else years[-1]
    if first < y0 or last < first:
        raise InputError(file, "population.entrants", f"entry years {first}–{last}",
                         f"first_year >= population.start_year ({y0}) and last_year >= first_year")
    per_year = _by_year(per_year_spec, years, values, n, file, "population.entrants.per_year", carry_forward=False)
    if (per_year < 0).any():
        raise InputError(file, "population.entrants.per_year", f"{per_year.min():g} persons", "counts >= 0")
    # a table's entry years are its rows' years (a year without rows has nobody entering and no run)
    in_window = np.array([first <= y <= last and (ent.table is None or y in per_year_spec) for y in years])
    per_year = per_year * in_window
    entrants = np.repeat(per_year / 12, 12, axis=1)[:, :n_months]
    stock = np.full(n, float(pop.size))
    weights = np.broadcast_to(scenario.stratum_weights(values, n), (n, scenario.strata.size))
    if prog is None:  # entrants without a programme: users keep the population's share
        zeros = np.zeros_like(entrants)
        return EntryPlan(y0, stock, entrants, np.zeros(n), zeros, zeros, np.full((n, n_months), np.inf),
                         [y for y, w in zip(years, in_window) if w])
    share_stock, present = user_share(scenario, weights, file)
    if prog.start_year < y0:
        raise InputError(file, "programme.start_year", f"{prog.start_year} is before population.start_year {y0}",
                         f"a year from {y0}: the stock's users start at {y0}")
    if prog.start_year > y0 and (share_stock > 0).any():
        raise InputError(file, f"population.attributes.{prog.user_attribute}",
                         f"the stock has users at {y0} but the programme starts in {prog.start_year}",
                         "programme.start_year = population.start_year, or no users in the stock")
    uptake = _by_year(prog.uptake, years, values, n, file, "programme.uptake", carry_forward=True)
    if ((uptake < 0) | (uptake > 1)).any():
        raise InputError(file, "programme.uptake", f"share {uptake[(uptake < 0) | (uptake > 1)][0]:g}", "shares in [0, 1]")
    prog_last = prog.last_year if prog.last_year is not None else years[-1]
    running = np.array([prog.start_year <= y <= prog_last for y in years])
    share = np.repeat(uptake * running, 12, axis=1)[:, :n_months]
    wanted = entrants * share
    wanted[:, 0] += stock * share_stock
    places, support = capacity_places(scenario, values, n)
    queue = None
    if prog.capacity is not None and prog.capacity.queue:  # those who ever start, by the month they joined
        queue = wait_in_queue(wanted, places, support, prog.capacity.max_wait_months)
        starts = queue.served.sum(axis=2)
    else:
        starts = serve(wanted, places, support)
    # at a capped month the stock and the entrants are served alike (equal chances)
    with np.errstate(invalid="ignore", divide="ignore"):
        served = np.where(wanted > 0, starts / wanted, 1.0)
    users = entrants * share * served
    stock_users = stock * share_stock * served[:, 0]
    _check_groups(scenario, present, bool((wanted > 0).any()),
                  bool((stock_users < stock).any() or (users < entrants).any()))
    return EntryPlan(y0, stock, entrants, stock_users, users, wanted,
                     np.broadcast_to(places[:, None], (n, n_months)).copy(), [y for y, w in zip(years, in_window) if w],
                     queue)


def check_open_population(scenario: Any) -> None:
    """Refuse a bad ``population.entrants`` / ``programme`` when the scenario is loaded (one line, exit 2)."""
    spec = scenario.spec
    if spec.programme is not None and spec.population.entrants is None:
        raise InputError(scenario.file, "programme", "a programme needs an open population",
                         "population.entrants: {per_year: COUNT} (0 for the stock alone)")
    ent, pop = spec.population.entrants, spec.population
    if (ent.per_year is None) == (ent.table is None):
        raise InputError(scenario.file, "population.entrants", "needs per_year or table" if ent.table is None else
                         "has both per_year and table", "one of per_year: COUNT and table: entrants.csv (or rows)")
    if ent.table is not None:
        if ent.age is not None or ent.attributes or pop.file:
            raise InputError(scenario.file, "population.entrants.table", "the table gives the entrants' ages and shares",
                             "leave entrants.age and entrants.attributes out, and a population made from distributions")
        if ent.start_state is not None and entrant_table(scenario)[0].state is not None:
            raise InputError(scenario.file, "population.entrants.start_state", "the table has a state column",
                             "one of the two: the table's state column or entrants.start_state")
    if abs(scenario.model.cycle_years - 1 / 12) > 1e-9:
        raise InputError(scenario.file, "population.entrants", "entrants are counted per calendar month",
                         "a model with monthly cycles (cycle_years: 1/12)")
    unknown = sorted(set(ent.attributes) - set(pop.attributes))
    if unknown:
        raise InputError(scenario.file, f"population.entrants.attributes.{unknown[0]}", "not an attribute of the population",
                         ", ".join(pop.attributes) or "declare it under population.attributes")
    if spec.programme is not None and spec.programme.user_attribute in ent.attributes:
        raise InputError(scenario.file, f"population.entrants.attributes.{spec.programme.user_attribute}",
                         "the entrants' users are set by programme.uptake", "leave the user attribute out here")
    if pop.file and (ent.age is not None or ent.attributes):
        raise InputError(scenario.file, "population.entrants", "entrants' own ages or shares need a population made from "
                         "distributions", "population.age and population.attributes instead of population.file")
    if ent.age is not None or ent.attributes:  # the entrants' subgroups, checked now
        from pathlib import Path

        from ipsecon.model.population import build_strata

        build_strata(pop.model_copy(update={"age": ent.age or pop.age, "attributes": {**pop.attributes, **ent.attributes}}),
                     scenario.model.states, scenario.file, Path(scenario.file).parent)
    if spec.population.entrants.start_state is not None:
        pop = spec.population.model_copy(update={"start_state": spec.population.entrants.start_state})
        probe = replace(scenario, spec=spec.model_copy(update={"population": pop}))
        try:
            probe.start_mix(scenario.base_values())
        except InputError as exc:
            raise InputError(scenario.file, "population.entrants.start_state", exc.problem, exc.allowed) from None
    prog = spec.programme
    if prog is not None and prog.years_variable is not None and prog.years_variable not in scenario.model.spec.variables:
        raise InputError(scenario.file, "programme.years_variable", f"{prog.years_variable!r} is not a variable of the model",
                         "a variable the runner may set to the programme's years at entry, e.g. programme_years")
    if prog is not None and prog.capacity is not None and prog.capacity.queue and (
            prog.delay_variable is None or prog.delay_variable not in scenario.model.spec.variables):
        raise InputError(scenario.file, "programme.delay_variable",
                         "is missing" if prog.delay_variable is None else f"{prog.delay_variable!r} is not a variable of the model",
                         "with capacity.queue, a variable the runner sets to the years a user waited, e.g. ips_start_delay_years")
    entry_plan(scenario, scenario.base_values(), max(1, round(spec.run.horizon_years * 12)))


def formula_names(spec: Any) -> set[str]:
    """Every name the formulas of ``population.entrants`` and ``programme`` read (entrant counts, uptake and
    capacity may be uncertain parameters: the sampling machinery draws what is read here too)."""
    texts: list[Any] = []
    ent, prog = spec.population.entrants, spec.programme
    if ent is not None:
        texts += (list(ent.per_year.values()) if isinstance(ent.per_year, dict)
                  else [ent.per_year] if ent.per_year is not None else [])
    if prog is not None:
        texts += list(prog.uptake.values()) if isinstance(prog.uptake, dict) else [prog.uptake]
        if prog.capacity is not None:
            texts += [getattr(prog.capacity, k) for k in ("specialists", "caseload", "support_months", "turnover",
                                                           "refill_months")]
    return set().union(*(expressions.parse(t).names for t in texts)) if texts else set()


# --- entrants as a table by year × age band × attributes (× start state) --------------------------------
TABLE_COLUMNS = ("year", "age", "count")  # required; optional: ``state`` and population attributes (e.g. sex)


@dataclass
class EntrantRow:
    year: int
    ages: tuple[int, int]  # the band's first and last age (years)
    levels: dict[str, str]  # attribute -> level
    state: str | None
    count: float


def _table_rows(scenario: Any) -> tuple[list[dict[str, Any]], str, str, list[int]]:
    """The raw rows of ``population.entrants.table``, the file to name in errors, the field path prefix and each
    row's name in errors (its line of a CSV file, blank lines skipped; its index in the scenario)."""
    import csv
    from pathlib import Path

    table = scenario.spec.population.entrants.table
    if not isinstance(table, str):
        return [dict(r) for r in table], scenario.file, "population.entrants.table", list(range(len(table)))
    path = Path(table) if Path(table).is_absolute() else Path(scenario.file).parent / table
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader, rows, lines = csv.DictReader(fh), [], []
            for r in reader:
                extra = [v for v in r.pop(None, []) if v.strip()]  # cells beyond the header's columns
                if extra:
                    raise InputError(str(path), f"line {reader.line_num}", f"{len(extra)} cell(s) more than the header "
                                     f"has columns ({extra[0]!r})", "one cell per header column (year,age,count[,…])")
                row = {(k or "").strip(): (v or "").strip() for k, v in r.items()
                       if (k or "").strip() or (v or "").strip()}  # not an unnamed empty cell (a trailing comma)
                if row and any(row.values()):
                    rows.append(row)
                    lines.append(reader.line_num)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(scenario.file, "population.entrants.table", f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}",
                         "a CSV file (UTF-8, header row year,age,sex,count[,state]) next to the scenario") from None
    return rows, str(path), "line", lines


def entrant_table(scenario: Any) -> list[EntrantRow]:
    """``population.entrants.table`` checked: each row a calendar year (ascending, from population.start_year), an
    age band ('18-24' or one age, within 0 … MAX_AGE), levels of population attributes, optionally a model state,
    and a count of persons entering that year (>= 0, finite)."""
    from ipsecon.inputs.schema import MAX_AGE

    rows, file, prefix, names = _table_rows(scenario)
    pop, prog = scenario.spec.population, scenario.spec.programme
    states = scenario.model.states
    if not rows:
        raise InputError(file, prefix, "no rows", "rows with year, age, count (and attributes, state)")
    out: list[EntrantRow] = []
    for i, r in enumerate(rows):
        where = f"{prefix} {names[i]}" if prefix == "line" else f"{prefix}.{names[i]}"
        missing = [c for c in TABLE_COLUMNS if c not in r or r[c] in ("", None)]
        if missing:
            raise InputError(file, where, f"no {', '.join(missing)}", "year, age and count in every row")
        for k in set(r) - set(TABLE_COLUMNS) - {"state"}:
            if k not in pop.attributes:
                raise InputError(file, f"{where}.{k}", "not an attribute of the population",
                                 ", ".join(["year", "age", "count", "state", *pop.attributes]))
            if prog is not None and k == prog.user_attribute:
                raise InputError(file, f"{where}.{k}", "the entrants' users are set by programme.uptake", "leave the user attribute out")
            if str(r[k]) not in pop.attributes[k]:
                raise InputError(file, f"{where}.{k}", f"level {r[k]!r} is unknown", ", ".join(pop.attributes[k]))
        try:
            year = int(str(r["year"]))
        except ValueError:
            raise InputError(file, f"{where}.year", f"{r['year']!r} is not a year", "a calendar year, e.g. 2016") from None
        if year < pop.start_year:
            raise InputError(file, f"{where}.year", f"{year} is before population.start_year {pop.start_year}",
                             f"years from {pop.start_year} (the population before is its stock)")
        if out and year < out[-1].year:
            raise InputError(file, f"{where}.year", f"{year} after {out[-1].year}", "rows in calendar order (years ascending)")
        try:
            lo, _, hi = str(r["age"]).partition("-")
            ages = (int(lo), int(hi or lo))
        except ValueError:
            raise InputError(file, f"{where}.age", f"{r['age']!r} is not an age band", "a band like 18-24 or one age like 30") from None
        if not 0 <= ages[0] <= ages[1] <= MAX_AGE:
            raise InputError(file, f"{where}.age", f"band {ages[0]}-{ages[1]}", f"ages from 0 to {MAX_AGE}, low <= high")
        try:
            count = float(r["count"])
        except (TypeError, ValueError):
            raise InputError(file, f"{where}.count", f"{r['count']!r} is not a number", "persons entering, a number >= 0") from None
        if not np.isfinite(count) or count < 0:
            raise InputError(file, f"{where}.count", f"{count:g} persons", "a finite number >= 0")
        state = r.get("state") or None
        if state is not None and state not in states:
            raise InputError(file, f"{where}.state", f"{state!r} is not a state of the model", ", ".join(states))
        out.append(EntrantRow(year, ages, {k: str(r[k]) for k in r if k in pop.attributes}, state, count))
    with_state = {row.state is not None for row in out}
    if len(with_state) > 1:
        raise InputError(file, f"{prefix}.state" if prefix != "line" else "header", "some rows have a start state and some not",
                         "a state in every row, or in none (then population.entrants.start_state)")
    keys = {frozenset(row.levels) for row in out}
    if len(keys) > 1:
        raise InputError(file, prefix, "rows name different attributes", "the same attribute columns in every row")
    return out


def table_per_year(rows: list[EntrantRow]) -> dict[int, float]:
    """Persons entering per calendar year."""
    out: dict[int, float] = {}
    for row in rows:
        out[row.year] = out.get(row.year, 0.0) + row.count
    return out


def table_strata(scenario: Any, rows: list[EntrantRow], year: int):
    """The subgroups of ``year``'s entrants: each year of age of a band, the table's attribute levels and the
    stock's other attributes, weighted by the table's joint counts (ages spread evenly within a band; the other
    attributes independent, at the stock's shares); with a ``state`` column, each subgroup's start-state mix."""
    from ipsecon.model.population import build_strata

    pop, file = scenario.spec.population, scenario.file
    mine = [r for r in rows if r.year == year]
    if sum(r.count for r in mine) <= 0:  # nobody enters: any profile will do (rows counted alike)
        mine = [replace(r, count=1.0) for r in mine]
    total = sum(r.count for r in mine)
    # the joint share of each (age, levels, state): a band's count spread over its ages
    joint: dict[tuple, float] = {}
    for r in mine:
        n_ages = r.ages[1] - r.ages[0] + 1
        for a in range(r.ages[0], r.ages[1] + 1):
            key = (a, tuple(sorted(r.levels.items())), r.state)
            joint[key] = joint.get(key, 0.0) + r.count / n_ages / total
    p_age: dict[int, float] = {}
    p_level: dict[str, dict[str, float]] = {k: {} for k in mine[0].levels}
    for (a, levels, _), p in joint.items():
        p_age[a] = p_age.get(a, 0.0) + p
        for k, v in levels:
            p_level[k][v] = p_level[k].get(v, 0.0) + p
    # the product of the marginals first (every combination a subgroup), then reweighted to the joint shares
    marg = pop.model_copy(update={"age": pop.age.model_copy(update={"values": p_age, "band": 1, "distribution": None})
                                  if pop.age is not None else None, "attributes": {**pop.attributes, **p_level}})
    if pop.age is None:
        from ipsecon.inputs.schema import AgeSpec

        marg = marg.model_copy(update={"age": AgeSpec(values=p_age)})
    strata = build_strata(marg, scenario.model.states, file, None)
    cols = strata.columns
    names = list(p_level)
    S = len(scenario.model.states)
    G = strata.size
    w = np.zeros(G)
    mix = np.zeros((G, S))
    for g in range(G):
        a = int(cols["start_age"][g])
        levels = tuple(sorted((k, str(cols[k][g])) for k in names))
        product = p_age[a] * np.prod([p_level[k][v] for k, v in levels])
        for (ja, jl, st), p in joint.items():
            if ja == a and jl == levels:
                w[g] += p
                if st is not None:
                    mix[g, scenario.model.state_index(st, "population.entrants.table")] += p
        if w[g] > 0 and mix[g].sum() > 0:
            mix[g] /= mix[g].sum()
        w[g] = strata.weight[g] * w[g] / product
    keep = w > 0
    has_state = mine[0].state is not None
    return replace(strata, columns={k: v[keep] for k, v in cols.items()}, weight=w[keep] / w[keep].sum(),
                   nominal=strata.nominal[keep] if strata.nominal is not None else None,
                   start_mix=mix[keep] if has_state else None)
