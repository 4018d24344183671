"""The shape of model and scenario files (pydantic), checked before anything runs.

A scenario file holds a ``model`` (states, transitions, strategies, rewards), a
``population``, run settings, and optional inline ``parameters`` and ``set``
overrides. Semantics live in :mod:`ipsecon.model.state_machine`; this module only says what
keys exist and what types they take.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

Number = Union[float, str]  # a number or a formula


def _no_nul(v: str) -> str:
    if "\x00" in v:
        raise ValueError("a path must not contain a NUL byte")
    return v


# a file or folder named in a scenario (relative to it, or absolute)
PathText = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_no_nul)]
PERIODS = {"cycle", "day", "week", "month", "year"}


# every number in an input file must be finite: nan, inf and 1e400 are refused where they are read
STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)
# a scenario name becomes a folder name: no separators, no '..', no leading dot
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"
MAX_SEED = 2**63 - 1  # seeds are hashed as signed 64-bit integers
from ipsecon.inputs.limits import MAX_CYCLE_YEARS, MAX_HORIZON_YEARS  # noqa: E402


class Strict(BaseModel):
    model_config = STRICT


class State(Strict):
    label: str | None = None
    track_duration: int = Field(1, ge=1, le=600, description="cycles of time-in-state tracked (tunnel length)")


class Transition(Strict):
    from_: str | list[str] = Field(alias="from")
    to: str
    probability: Number | None = None
    rate: Number | None = None
    per: Literal["cycle", "day", "week", "month", "year"] = "cycle"
    label: str | None = None

    model_config = ConfigDict(**STRICT, populate_by_name=True)


class Effect(Strict):
    transition: str = Field(description="'from->to'")
    hr: Number | None = None
    rr: Number | None = None
    odds_ratio: Number | None = Field(None, alias="or")
    start: Number = 0.0
    end: Number | None = None
    decay_start: Number | None = None
    half_life: Number | None = None

    model_config = ConfigDict(**STRICT, populate_by_name=True)


class Strategy(Strict):
    label: str | None = None
    effects: list[Effect] = []
    set: dict[str, Number] = {}


# how a reward counts a cycle's rows and discounts them (engines/counting.py says what each equals)
Counting = Literal["start", "end", "trapezoid", "simpson", "life_table", "darth_simpson", "every_row"]


class Reward(Strict):
    kind: Literal["cost", "effect"]
    unit: str
    states: dict[str, Number] = {}
    transitions: dict[str, Number] = {}
    counting: Counting | None = None  # this reward's own convention (default: the model's)


class Structure(Strict):
    """A structural alternative of the model: named replacements of variable formulas."""

    description: str
    variables: dict[str, Number] = {}


class Tracker(Strict):
    """A per-person counter: +1 per cycle started in one of ``states``, kept through all other states
    (never reset), capped at ``max`` (its last value means "max or more"). Formulas read it by name,
    and ``<name>_years``. Each tracker multiplies the cells of every state by max + 1."""

    states: list[str] = Field(min_length=1)
    max: int = Field(ge=1, le=600)
    label: str | None = None
    start: Number | None = None  # value at cycle 0: a formula of attributes and parameters (default 0)
    reset: list[str] = []  # states where a cycle started sets it back to 0 (e.g. time sick, reset when healthy)


class Discount(Strict):
    # annual rates: a number or a formula of parameters (e.g. economics.discount_rate), so that
    # --set moves the trace's totals and the economics together
    cost: Number
    effect: Number
    # a declining long-term schedule (R-109/21): [from_year, rate] steps for costs and effects (a step never
    # raises a kind's rate), applied while `declining` (a formula, 1 or 0) is 1
    steps: list[tuple[Number, Number]] = []
    declining: Number = 1.0


class Model(Strict):
    name: str | None = None
    cycle_years: float = Field(1 / 12, gt=0, le=MAX_CYCLE_YEARS)
    states: dict[str, State]
    transitions: list[Transition]
    variables: dict[str, Number] = {}
    strategies: dict[str, Strategy]
    rewards: dict[str, Reward] = {}
    counting: Counting = "end"
    discount: Discount = Discount(cost=0.04, effect=0.04)
    # the strategy every other one is compared with (default: the first declared)
    comparator: str | None = None
    # named sets of states, e.g. working: [employed, employed_aap]: a group name may stand for a state in
    # ever_in, employment_state and targets (ever in a group = ever in any of its states)
    groups: dict[str, list[str]] = {}
    ever_in: list[str] = []  # states or groups
    employment_state: str | None = None  # a state or a group
    # cost-effectiveness of a model without the payer ledger: the effect reward decisions are made on
    # (default: the first of kind effect) and the willingness to pay per unit of it (a number or a
    # parameter name; default economics.evaluation.DEFAULT_WTP)
    effect: str | None = None
    wtp: Number | None = None
    trackers: dict[str, Tracker] = {}
    structures: dict[str, Structure] = {}

    @field_validator("states")
    @classmethod
    def _some_states(cls, v):
        if len(v) < 2:
            raise ValueError("a model needs at least two states")
        return v

    @field_validator("strategies")
    @classmethod
    def _some_strategies(cls, v):
        if not v:
            raise ValueError("a model needs at least one strategy")
        return v


MAX_AGE = 150  # years: one stratum per year of age between low and high


class AgeSpec(Strict):
    distribution: Literal["uniform", "normal", "fixed"] | None = None
    low: float | None = Field(None, ge=0, le=MAX_AGE)
    high: float | None = Field(None, ge=0, le=MAX_AGE)
    mean: float | None = None
    sd: float | None = None
    value: float | None = Field(None, ge=0, le=MAX_AGE)
    values: dict[int, float] | None = None

    @field_validator("values")
    @classmethod
    def _ages(cls, v):
        if v is not None and any(not 0 <= age <= MAX_AGE for age in v):
            raise ValueError(f"ages must be in 0..{MAX_AGE}")
        return v
    band: int = Field(1, ge=1, le=50)


class ContinuousSpec(Strict):
    """An individual attribute with a continuous distribution (e.g. prior income, NOK/year)."""

    distribution: Literal["lognormal", "normal", "fixed"]
    mean: float | None = None
    sd: float | None = None
    value: float | None = None
    bands: int = Field(5, ge=1, le=50)


class Entrants(Strict):
    """New members of an open population (issue 15), spread evenly over the months of each entry year; the
    ``population`` they join is the stock at ``start_year``. They share its attributes and age unless given here
    (``age``, ``attributes``) or by ``table`` (each entry year's joint counts by age band, attributes and state)."""
    # persons per calendar year: a number or formula of parameters for every entry year, or {year: count}
    per_year: Number | dict[int, Number] | None = None
    # or a table by year × age band × attributes (× start state): a CSV path or inline rows (model/entrants.py)
    table: PathText | list[dict[str, Any]] | None = None
    first_year: int | None = Field(None, ge=1900, le=2200)  # default: population.start_year
    last_year: int | None = Field(None, ge=1900, le=2200)  # default: the last year of the horizon
    start_state: dict[str, Number] | None = None  # default: population.start_state
    age: AgeSpec | None = None  # the entrants' ages (default: population.age)
    attributes: dict[str, dict[str, Number]] = {}  # shares replacing the stock's for these attributes (e.g. sex)


class Population(Strict):
    size: int = Field(1000, ge=1)
    start_year: int = Field(2024, ge=1900, le=2200)
    age: AgeSpec | None = None
    attributes: dict[str, dict[str, Number]] = {}  # shares: numbers, or formulas of parameters (e.g. a latent class)
    continuous: dict[str, ContinuousSpec] = {}
    start_state: dict[str, Number] | None = None
    file: PathText | None = None
    entrants: Entrants | None = None  # an open population: people joining after start_year (model/entrants.py)


class Target(Strict):
    """A published figure the model is compared with (``role: validation``) or fitted to (``calibration``).

    Measures (all shares in [0, 1]): ``in_state`` — share in ``state`` at ``month``; ``ever_in`` — share
    ever in ``state`` by ``month``; ``exit_share`` — of the moves out of ``from_state`` during months
    (``from_month``, ``month``], the share going to ``state`` (only moves into ``among`` counted, when given);
    ``time_share`` — mean share in ``state`` over months (``from_month``, ``month``]; ``time_share_after_ever`` —
    of the months after people first entered ``state`` (one of ``model.ever_in``), the share spent in it, over
    months (``from_month``, ``month``] (e.g. weeks worked per year after the first job); ``state_after_exit`` —
    of the people who move out of ``from_state`` during months (``from_month``, ``month``], the share in
    ``state`` ``after_months`` months after that move, whatever they did in between, or with ``within_months``
    the share in it at one or more month ends of the ``within_months`` months up to then (one of
    ``model.ever_in``: e.g. SSB's AAP leavers with any paid work in the year after leaving).
    ``stock_share`` — of a steady-state stock in ``state`` (a constant inflow of entrants like the cohort: the
    cohort's points 0 … ``month`` summed), the share whose ``tracker`` is at least ``at_least`` (e.g. AAP recipients
    with more than 3 years of AAP).
    Totals, in a reward's unit: ``reward_total`` — ``reward``'s undiscounted total per person over months
    (``from_month``, ``month``]; ``reward_difference`` — that total in ``strategy`` minus in ``versus``.
    """

    measure: Literal["in_state", "ever_in", "exit_share", "time_share", "time_share_after_ever",
                     "state_after_exit", "stock_share", "reward_total", "reward_difference"]
    state: str | None = None  # the share measures' state or group
    strategy: str
    month: int = Field(ge=1, le=1200)
    value: float  # a share in [0, 1], or a reward total in the reward's unit
    reward: str | None = None  # reward measures: a reward of the model
    versus: str | None = None  # reward_difference: the strategy subtracted
    tolerance: float = Field(0.01, gt=0)
    source: str
    evidence: str | None = None  # the evidence tag of evidence.md ([C], [C2], [D], [M])
    role: Literal["calibration", "validation"] | None = None  # default: where it is declared
    # sampling uncertainty of the observed value: the number of people behind the share (binomial SE),
    # the standard error itself, or a published 95 % interval
    n: int | None = Field(None, ge=1)
    se: float | None = Field(None, gt=0)
    ci: tuple[float, float] | None = None
    from_state: str | None = None
    from_month: int = Field(0, ge=0)
    among: list[str] | None = None
    after_months: int = Field(12, ge=0, le=1200)  # state_after_exit: months from the move to the reading
    within_months: int | None = Field(None, ge=1, le=1200)  # state_after_exit: ever in state over these months
    tracker: str | None = None  # stock_share: a tracker of the model (model.trackers)
    at_least: int | None = Field(None, ge=1, le=1200)  # stock_share: the tracker's threshold, in its counts (cycles)

    @model_validator(mode="after")
    def _check_measure(self):
        if self.is_total:
            if self.reward is None or self.state is not None:
                raise ValueError(f"{self.measure} needs reward (a reward of the model) and no state")
            if (self.measure == "reward_difference") != (self.versus is not None):
                raise ValueError("versus (the strategy subtracted) belongs to reward_difference, which needs it")
            if self.n is not None or (self.ci is None and self.se is None and "tolerance" not in self.model_fields_set):
                raise ValueError(f"{self.measure} needs ci or se (or a tolerance) in the reward's unit: n gives a "
                                 "binomial SE, for shares only")
        elif self.state is None or self.reward is not None or self.versus is not None:
            raise ValueError(f"{self.measure} needs state, and no reward or versus (those belong to reward_total, "
                             "reward_difference)")
        elif not 0 <= self.value <= 1:
            raise ValueError(f"value of {self.measure} is a share: it must be in [0, 1]")
        if self.measure in ("exit_share", "state_after_exit") and self.from_state is None:
            raise ValueError(f"{self.measure} needs from_state (the state people leave)")
        if self.measure not in ("exit_share", "state_after_exit") and self.from_state is not None:
            raise ValueError("from_state belongs to exit_share and state_after_exit")
        if self.measure != "exit_share" and self.among is not None:
            raise ValueError("among belongs to exit_share")
        if self.measure != "state_after_exit" and self.model_fields_set & {"after_months", "within_months"}:
            raise ValueError("after_months and within_months belong to state_after_exit")
        if self.measure == "stock_share" and (self.tracker is None or self.at_least is None):
            raise ValueError("stock_share needs tracker (a tracker of the model) and at_least (its threshold)")
        if self.measure != "stock_share" and (self.tracker is not None or self.at_least is not None):
            raise ValueError("tracker and at_least belong to stock_share")
        if self.measure == "stock_share" and self.from_month:
            raise ValueError("stock_share sums an entry cohort from month 0: from_month does not apply")
        if self.within_months is not None and self.within_months > self.after_months:
            raise ValueError("within_months must be at most after_months (the window ends at after_months)")
        if self.measure in ("in_state", "ever_in") and self.from_month:
            raise ValueError(f"{self.measure} is a share at one month: from_month belongs to exit_share and time_share")
        if self.from_month >= self.month:
            raise ValueError("from_month must be before month")
        if self.ci is not None and not self.ci[0] <= self.value <= self.ci[1]:
            raise ValueError("ci must be [low, high] with low <= value <= high")
        if self.ci is not None and not self.is_total and not 0 <= self.ci[0] <= self.ci[1] <= 1:
            raise ValueError("ci must be [low, high] with 0 <= low <= value <= high <= 1")
        return self

    @property
    def is_total(self) -> bool:
        """A reward total in the reward's unit (else a share)."""
        return self.measure in ("reward_total", "reward_difference")

    @property
    def standard_error(self) -> float | None:
        if self.se is not None:
            return self.se
        if self.ci is not None:
            return (self.ci[1] - self.ci[0]) / (2 * 1.959964)
        if self.n is not None:
            return float(np.sqrt(max(self.value * (1 - self.value), 1e-12) / self.n))
        return None

    def interval(self) -> tuple[float, float]:
        """The range a model value must fall in to PASS: the published 95 % interval (given, or ± 1.96 SE
        from n or se), else ± tolerance."""
        if self.ci is not None:
            return self.ci
        se = self.standard_error
        half = 1.959964 * se if se is not None else self.tolerance
        if self.is_total:  # a total of a reward is not bounded by 1 (nor a difference by 0)
            return self.value - half, self.value + half
        return max(0.0, self.value - half), min(1.0, self.value + half)

    def label(self) -> str:
        if self.is_total:
            arms = f"{self.strategy} - {self.versus}" if self.versus else self.strategy
            return f"{self.measure} {self.reward} [{arms}] months {self.from_month}-{self.month}"
        where = f"{self.from_state}->{self.state}" if self.from_state else self.state
        window = f"month {self.month}" if self.measure in ("in_state", "ever_in") else f"months {self.from_month}-{self.month}"
        after = f" +{self.after_months}" if self.measure == "state_after_exit" else ""
        if self.measure == "stock_share":
            return f"stock_share {where} {self.tracker}>={self.at_least} [{self.strategy}] months 0-{self.month} summed"
        if self.within_months:
            after = f" ever in +{self.after_months - self.within_months + 1}..+{self.after_months}"
        return f"{self.measure} {where} [{self.strategy}] {window}{after}"

    @property
    def last_month(self) -> int:
        """The last month the measure reads: ``month``, or ``month + after_months`` for ``state_after_exit``."""
        return self.month + (self.after_months if self.measure == "state_after_exit" else 0)


class CalibrationPrior(Strict):
    """A fitted parameter's search bounds and, optionally, a lognormal prior (median, sdlog) with its
    source: the fit then maximises the posterior (targets' likelihood × prior), not the likelihood alone."""

    bounds: tuple[float, float]
    median: float | None = Field(None, gt=0)
    sdlog: float | None = Field(None, gt=0)
    source: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if (self.median is None) != (self.sdlog is None):
            raise ValueError("a prior needs both median and sdlog")
        if self.median is not None and not self.source:
            raise ValueError("a prior needs a source (a study, or 'assumption' and why)")
        return self


class Calibration(Strict):
    parameters: dict[str, tuple[float, float] | CalibrationPrior]  # [low, high] or {bounds, median, sdlog, source}
    targets: list[Target]
    output: PathText
    # sd of an independent normal prior on each log parameter, centred on the fit (Laplace
    # approximation); keeps directions the targets do not identify from getting unbounded spread
    prior_sdlog: float | None = Field(None, gt=0)


class Run(Strict):
    engine: Literal["cohort", "microsim"] = "cohort"
    horizon_years: float = Field(5, gt=0, le=MAX_HORIZON_YEARS)
    individuals: int = Field(10000, ge=1)
    seed: int = Field(20240601, ge=0, le=MAX_SEED)

    def given(self, file: str, engine: str | None = None, individuals: int | None = None, seed: int | None = None,
              horizon_years: float | None = None) -> "Run":
        """These settings with those a caller gives (options, API arguments; None: the file's),
        checked against the same limits as the file's, so the Python API refuses what the file would."""
        from ipsecon.inputs.yaml_files import validate

        given = {"engine": engine, "individuals": individuals, "seed": seed, "horizon_years": horizon_years}
        data = {**self.model_dump(), **{k: v for k, v in given.items() if v is not None}}
        return validate(Run, data, file, "run")
    # the deterministic base case: each uncertain parameter at the mean of its distribution (what a
    # PSA averages over), or at its published point value
    base_case: Literal["mean", "point"] = "mean"


class LedgerSpec(Strict):
    # arbeidsgiveravgift zone of the scenario's municipality (rules.employer_contribution.rate), or shares per zone
    employer_zone: str | dict[str, float] = "I"


class Capacity(Strict):
    """Places in a programme: ``specialists`` x ``caseload`` clients, each holding a place ``support_months``;
    a share ``turnover`` of posts falls vacant each year and stays empty ``refill_months`` (numbers or formulas)."""
    specialists: Number
    caseload: Number
    support_months: Number
    turnover: Number = 0.0
    refill_months: Number = 0.0
    # without a place: usual care (False), or wait first come first served and start later (True), giving up
    # after max_wait_months (None: nobody gives up)
    queue: bool = False
    max_wait_months: float | None = Field(None, ge=0)


class Programme(Strict):
    """Who starts the intervention in an open population (model/entrants.py): users are the people whose
    ``user_attribute`` is ``user_level``; of each entry year's entrants a share ``uptake`` (a number or formula,
    or {year: share} for a ramp-up) starts at entry, from ``start_year`` to ``last_year``; ``capacity`` caps starts."""
    user_attribute: str
    user_level: str = "yes"
    start_year: int = Field(ge=1900, le=2200)
    last_year: int | None = Field(None, ge=1900, le=2200)
    uptake: Number | dict[int, Number]
    capacity: Capacity | None = None
    # a model variable set per entry cohort to the years the programme had run at entry (e.g. for maturity)
    years_variable: str | None = None
    # a model variable set per group of users to the years they waited for a place (capacity.queue)
    delay_variable: str | None = None


class Scenario(Strict):
    name: str = Field(pattern=NAME_PATTERN, description="also the name of the results folder")
    title: str
    description: str
    sources: list[str] = []
    model: PathText | dict  # a model file path (relative to the scenario) or an inline model
    population: Population
    run: Run = Run()
    parameters: dict | None = None
    parameter_dirs: list[PathText] = []
    price_year: int = Field(2024, ge=1990, le=2100)
    set: dict[str, float] = {}
    variables: dict[str, Number] = {}
    targets: list[Target] = []
    calibration: Calibration | None = None
    ledger: LedgerSpec = LedgerSpec()
    programme: Programme | None = None  # uptake and capacity over calendar years (needs population.entrants)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v):
        if ".." in v:
            raise ValueError("a scenario name must not contain '..' (it names a folder)")
        return v
