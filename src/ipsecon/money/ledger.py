"""The payer ledger: simulated person-months turned into money flows, booked once each.

Every flow goes *from* a payer *to* a receiver with a category (design.md section 4), so
any perspective is a view (:func:`perspective_items`) and conservation holds by
construction. Amounts are NOK per person per month (price-year NOK), undiscounted,
averaged over strata with the trace's weights: ``amounts[sample, strategy, cycle, flow]``.

How a month in each state becomes money (per stratum, at the stratum's current age):

* **work** — the wage enters only here. Earnings in a work state are the gross annual wage ``W``
  (``wages.ips_annual_gross_wage``: earnings per person-year at the mean hours of all work,
  ``wages.fte_share``) scaled by that state's hours, i.e. the same hourly wage:
  ``W x wages.hours_share.<state> / wages.fte_share`` (employer -> individual), plus the
  employer's contribution at the scenario's zone (``ledger: {employer_zone: IVa}`` in the
  scenario; default zone I; employer -> state). The work states, when the model has them:

  - ``employed`` — work without benefit;
  - ``employed_aap`` — work with graded AAP: AAP reduced by the share of a full-time week worked,
    nothing above 60 % (ftrl § 11-23);
  - ``employed_ufore`` — work with uføretrygd reduced for earnings above 0.4 G by the
    compensation degree (ftrl § 12-14); only people holding a uføretrygd decision reach it.

  A model with a single work state books all work as wage without benefit at the mean hours of
  all work: nobody in work receives uføretrygd without a decision.
* **aap** — AAP from the income basis with the floors (2.041 G from 1 July 2024; 2/3 of it under
  25 for grants from February 2020), taxed as wage.
* **ufore** — uføretrygd (single/couple minimum mix), taxed with the low trygdeavgift rate.
* **other** — social assistance (municipality -> individual) for a share of months; untaxed.
* **retired** (age 67+, when the model has it) — no AAP, uføretrygd, wage, tax or social assistance:
  alderspensjon is not modelled (README); health care only.
* every alive state — health care (health trust -> resources); the model's
  ``programme_cost`` reward split into IPS programme (NAV / health trust) and usual
  vocational rehabilitation (NAV).

Income tax is annual: the monthly income in a state is annualised (x 12) and the annual tax
divided by 12, i.e. as if the person stayed a whole year in that state. Mixed years (e.g.
half a year employed, half on AAP) are taxed as the average of the two annual taxes, which
overstates tax where the schedule is convex — a documented approximation.

Real wage growth (``wages.real_wage_growth``) scales wages, G-linked benefits, social
assistance and tax thresholds alike (all indexed to wage growth), so each month's amounts
are the price-year amounts times (1 + g)^years. Health-care and programme costs are kept
constant in real terms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import numpy as np
import xarray as xr

from ipsecon.engines import counting as accounting
from ipsecon.errors import InputError
from ipsecon.money.rules import RuleParameters, TaxComponents, income_tax
from ipsecon.engines.simulate import Simulation

PARTIES = ("nav", "health_trust", "municipality", "state", "employer", "individual", "resources")
REGIMES = ("employed", "employed_aap", "employed_ufore", "aap", "ufore", "other", "retired", "dead")
REQUIRED_REGIMES = ("employed", "aap", "ufore", "other")
WORK_REGIMES = ("employed", "employed_aap", "employed_ufore")  # the wage enters only these
ALIVE_REGIMES = WORK_REGIMES + ("aap", "ufore", "other", "retired")
# health care per month in a state without its own parameter: retired as on uføretrygd (an assumption: most
# people reach 67 on it, and the cost is the same in every state today; parameters/health_care.yaml)
HEALTH_CARE_AS = {"retired": "ufore"}
DEFAULT_EMPLOYER_ZONE = "I"

# name, payer, receiver, category
FLOWS: tuple[tuple[str, str, str, str], ...] = (
    ("ips_programme_nav", "nav", "resources", "ips_programme"),
    ("ips_programme_health_trust", "health_trust", "resources", "ips_programme"),
    ("usual_vocational_rehabilitation", "nav", "resources", "usual_vocational_rehabilitation"),
    ("aap", "nav", "individual", "aap"),
    ("uforetrygd", "nav", "individual", "uforetrygd"),
    ("social_assistance", "municipality", "individual", "social_assistance"),
    ("gross_wage", "employer", "individual", "gross_wage"),
    ("income_tax", "individual", "state", "income_tax"),
    ("trygdeavgift", "individual", "state", "trygdeavgift"),
    ("employer_contribution", "employer", "state", "employer_contribution"),
    ("health_care", "health_trust", "resources", "health_care"),
)

# parameters the ledger reads directly (not through model formulas), as glob patterns
LEDGER_PARAMETERS = ("ledger.*", "wages.ips_annual_gross_wage", "wages.real_wage_growth", "wages.fte_share",
                     "wages.hours_share.*", "health_care.monthly_cost.*", "health_care.effect_on_use",
                     "economics.qaly_value", "economics.discount_rate", "economics.mcpf")
# Perspectives that are a set of parties; "society" is defined separately (see perspective_items).
PARTY_PERSPECTIVES: dict[str, tuple[str, ...]] = {
    "nav": ("nav",),
    "health": ("health_trust",),
    "municipality": ("municipality",),
    "state": ("state",),
    "public": ("nav", "health_trust", "municipality", "state"),
    "individual": ("individual",),
    "employer": ("employer",),
}
PERSPECTIVES = tuple(PARTY_PERSPECTIVES) + ("society",)
PROGRAMME_REWARD = "programme_cost"
USUAL_CARE_REWARD = "usual_care_cost"  # optional: the part of programme_cost that is usual vocational rehabilitation
QALY_REWARD = "qalys"


def qaly_value(values: dict[str, Any]) -> Any:
    """The money value of a QALY in the price year, NOK (per sample where sampled): the
    society perspective's value of health and the default willingness to pay."""
    return np.asarray(values["economics.qaly_value"], dtype=float) * np.asarray(values.get("ledger.qaly_value_uprating", 1.0), dtype=float)


@dataclass
class Ledger:
    """Money flows per person per month, undiscounted, NOK of ``price_year``.

    amounts[sample, strategy, cycle, flow]; ``qalys`` and ``employment_years`` are
    [sample, strategy, cycle] per person (undiscounted), for the society view and for
    outcomes per employment-year. ``counting`` and ``cycle_years`` say how cycles map to
    time, so that economics can discount them consistently with the trace.
    """

    amounts: np.ndarray
    flows: list[str]
    payer: list[str]
    receiver: list[str]
    category: list[str]
    strategies: list[str]
    cycle_years: float
    counting: str
    price_year: int
    qalys: np.ndarray
    employment_years: np.ndarray
    qaly_value: np.ndarray | float
    mcpf: np.ndarray | float
    discount: dict[str, float | list] = field(default_factory=dict)  # per kind: a rate or a declining schedule
    values: dict[str, Any] = field(default_factory=dict, repr=False)
    wage: Any = None  # the gross annual wage the employed amounts were booked at (number or per sample)
    cells: CellClasses | None = field(default=None, repr=False)  # the rules' classes of (stratum, cycle) cells

    @property
    def n_cycles(self) -> int:
        return self.amounts.shape[2]

    def flow(self, name: str) -> np.ndarray:
        """One flow's amounts [sample, strategy, cycle]."""
        return self.amounts[..., self.flows.index(name)]

    def truncated(self, n_cycles: int) -> "Ledger":
        """The first ``n_cycles`` cycles: exact for a shorter horizon, since cycle k depends only
        on trace points 0..k."""
        if not 1 <= n_cycles <= self.n_cycles:
            raise InputError(None, "horizon", f"{n_cycles} cycles requested, the simulation has {self.n_cycles}",
                             "simulate at the longest horizon first")
        return replace(self, amounts=self.amounts[:, :, :n_cycles], qalys=self.qalys[:, :, :n_cycles],
                       employment_years=self.employment_years[:, :, :n_cycles])

    def perspective_items(self, name: str, mcpf: float | bool | None = None) -> xr.DataArray:
        return perspective_items(self, name, mcpf)

    def perspective_net(self, name: str, mcpf: float | bool | None = None) -> xr.DataArray:
        return perspective_net(self, name, mcpf)

    def to_xarray(self) -> xr.DataArray:
        n, K, T, F = self.amounts.shape
        return xr.DataArray(
            self.amounts, dims=("sample", "strategy", "month", "flow"),
            coords={"sample": np.arange(n), "strategy": self.strategies,
                    "month": np.round(np.arange(1, T + 1) * self.cycle_years * 12, 9),  # end of each cycle
                    "flow": self.flows, "payer": ("flow", self.payer), "receiver": ("flow", self.receiver),
                    "category": ("flow", self.category)},
            name="ledger",
            attrs={"units": f"NOK ({self.price_year}) per person per cycle, undiscounted",
                   "cycle_years": self.cycle_years, "counting": self.counting},
        )


# --- building -------------------------------------------------------------------------------

def regime_states(sim: Simulation, regimes: dict[str, str] | None) -> dict[str, int]:
    model = sim.scenario.model
    names = {r: r for r in REGIMES}
    # the work states: one state, or the members of a group (model.groups)
    work_states = getattr(model, "employment_states", None) or (
        [] if model.employment_state is None else [model.employment_state])
    if len(work_states) == 1:
        names["employed"] = model.states[work_states[0]]
    names.update(regimes or {})
    out = {}
    for regime, state in names.items():
        if state in model.states:
            out[regime] = model.states.index(state)
        elif regime in REQUIRED_REGIMES:
            raise InputError(model.file, "model.states", f"the ledger needs a state for {regime!r} (looked for state {state!r})",
                             ", ".join(model.states) + "; pass regimes={'%s': <state>}" % regime)
    # a group of work states: each books its own money, so each must be one of the work regimes
    booked = {out[r] for r in WORK_REGIMES if r in out}
    for s in work_states:
        if s not in booked:
            raise InputError(model.file, "model.employment_state", f"work state {model.states[s]!r} of group "
                             f"{model.employment_name!r} is not a state the ledger books wages in",
                             ", ".join(WORK_REGIMES))
    return out


def param(values: dict[str, Any], name: str, n: int, ndim: int = 3) -> np.ndarray:
    """A parameter as a scalar array or, for a sample vector, shaped (n, 1, …) with ``ndim`` axes."""
    if name not in values:
        raise InputError("parameters/", name, "parameter missing", "see parameters/ledger.yaml, wages.yaml, health_care.yaml")
    v = np.asarray(values[name], dtype=float)
    if v.ndim == 0:
        return v
    if v.size == n and v.shape in ((n,), (n, 1, 1), (n,) + (1,) * (ndim - 1)):
        return v.reshape((n,) + (1,) * (ndim - 1))
    raise InputError(None, name, f"has shape {v.shape}", f"a number or one value per sample ({n})")


def employer_zone_rate(scenario: Any, rules: RuleParameters) -> float:
    """Arbeidsgiveravgift rate of the scenario's zone (``ledger: {employer_zone: IVa}``), or the
    share-weighted rate of a zone mix (``{employer_zone: {I: 0.5, IV: 0.5}}``); default zone I."""
    spec = getattr(getattr(scenario, "spec", None), "ledger", None)
    zone = getattr(spec, "employer_zone", DEFAULT_EMPLOYER_ZONE) if spec is not None else DEFAULT_EMPLOYER_ZONE
    shares = {zone: 1.0} if isinstance(zone, str) else dict(zone)
    file = getattr(scenario, "file", None)
    unknown = [z for z in shares if z not in rules.employer_rates]
    if unknown:
        raise InputError(file, "ledger.employer_zone", f"unknown zone {unknown[0]!r}", ", ".join(rules.employer_rates))
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6 or min(shares.values()) < 0:
        raise InputError(file, "ledger.employer_zone", f"zone shares must be >= 0 and sum to 1, they sum to {total:.6g}",
                         "a zone name, or shares per zone summing to 1")
    return float(sum(sh * rules.employer_rate(z) for z, sh in shares.items()))


def ledger_rules(scenario: Any, values: dict[str, Any]) -> RuleParameters:
    """The rules in force at the price date, with the AAP under-25 minimum of the grant year
    (the population's ``start_year``: 2/3 only for grants from February 2020)."""
    rules = RuleParameters.from_values(values, scenario.price_date)
    params = getattr(scenario, "parameters", None)
    population = getattr(getattr(scenario, "spec", None), "population", None)
    if params is None or population is None:
        return rules
    return rules.for_grant_date(params, dt.date(int(population.start_year), 7, 1))


def _split_tax(tax: TaxComponents) -> tuple[np.ndarray, np.ndarray]:
    return tax.ordinary + tax.bracket, tax.trygdeavgift


def uforetrygd_full(values: dict[str, Any], rules: RuleParameters, basis: np.ndarray, n: int, ndim: int = 3) -> np.ndarray:
    """Full uføretrygd at income ``basis``: the single / couple minimum mix of ``ledger.single_share``."""
    single = param(values, "ledger.single_share", n, ndim)
    return single * rules.uforetrygd(basis, True) + (1 - single) * rules.uforetrygd(basis, False)


def work_hours(values: dict[str, Any], regime: str, work_regimes: Iterable[str], n: int, ndim: int = 3) -> np.ndarray:
    """Hours (share of full time) booked in a work regime: ``wages.hours_share.<regime>`` where the
    model splits work by benefit, the mean hours of all work (``wages.fte_share``) where
    ``employed`` is its only work state."""
    if set(work_regimes) == {"employed"}:
        return param(values, "wages.fte_share", n, ndim)
    return param(values, f"wages.hours_share.{regime}", n, ndim)


def work_annual(values: dict[str, Any], rules: RuleParameters, W: np.ndarray, aap_full: np.ndarray,
                basis: np.ndarray, n: int, ndim: int = 3, zone_rate: float = 0.0,
                work_regimes: Iterable[str] = ("employed",)) -> dict[str, dict[str, np.ndarray]]:
    """Annual amounts per person in each work regime at gross wage ``W`` (earnings per person-year
    at the mean hours of all work): {regime: {flow: array}}. The only place the wage enters the
    ledger, so break-even solvers can re-evaluate it alone. Per-sample parameters take ``ndim`` axes."""
    p = lambda name: param(values, name, n, ndim)  # noqa: E731
    work_regimes = list(work_regimes)
    ones = np.ones_like(aap_full)
    hourly_year = W / p("wages.fte_share")  # earnings of a full-time year at the same hourly wage
    out = {}
    for regime in work_regimes:
        hours = work_hours(values, regime, work_regimes, n, ndim)
        earned = hourly_year * hours * ones
        amounts = {"gross_wage": earned, "employer_contribution": earned * zone_rate}
        if regime == "employed_aap":  # ftrl § 11-23: reduced by the share of hours, none above 60 %
            aap = rules.aap_after_work(aap_full, hours * rules.aap_full_time_hours)
            tax, tyg = _split_tax(income_tax(earned + aap, 0.0, rules))
            amounts["aap"] = aap * ones
        elif regime == "employed_ufore":  # ftrl § 12-14: reduced for earnings above 0.4 G
            ifu = np.maximum(basis, p("ledger.ut_income_before_disability_min_g") * rules.g)
            ut = rules.uforetrygd_paid(uforetrygd_full(values, rules, basis, n, ndim), earned, ifu)
            tax, tyg = _split_tax(income_tax(earned, ut, rules))
            amounts["uforetrygd"] = ut * ones
        else:
            tax, tyg = _split_tax(income_tax(earned, 0.0, rules))
        amounts["income_tax"], amounts["trygdeavgift"] = tax * ones, tyg * ones
        out[regime] = amounts
    return out


def _annual_by_state(values: dict[str, Any], rules: RuleParameters, wage: Any, aap_full: np.ndarray,
                     basis: np.ndarray, n: int, zone_rate: float = 0.0,
                     work_regimes: Iterable[str] = ("employed",)) -> dict[str, dict[str, np.ndarray]]:
    """Annual price-year amounts per person in each regime, {regime: {flow: array (n|1, C)}}, for
    cell classes of full AAP ``aap_full`` and income ``basis`` (each (n|1, C))."""
    p = lambda name: param(values, name, n, 2)  # noqa: E731
    W = np.asarray(wage, dtype=float)
    W = W.reshape(n, 1) if W.ndim == 1 else W
    ut_full = uforetrygd_full(values, rules, basis, n, 2)
    out = work_annual(values, rules, W, aap_full, basis, n, 2, zone_rate, work_regimes)
    tax_a, tyg_a = _split_tax(income_tax(aap_full, 0.0, rules))
    tax_u, tyg_u = _split_tax(income_tax(0.0, ut_full, rules))
    ones = np.ones_like(aap_full)
    out.update({
        "aap": {"aap": aap_full, "income_tax": tax_a, "trygdeavgift": tyg_a},
        "ufore": {"uforetrygd": ut_full * ones, "income_tax": tax_u * ones, "trygdeavgift": tyg_u * ones},
        "other": {"social_assistance": 12 * p("ledger.social_assistance_monthly") * p("ledger.social_assistance_share") * ones},
    })
    return out


@dataclass(frozen=True)
class CellClasses:
    """Classes of the (stratum, cycle) cells that share what the money rules read besides the
    state (see :func:`cell_classes`): the rules run once per class, and occupancies are summed
    per class. Each sample has its own classes, so its sums do not depend on which other samples
    share its batch: a class split by another sample's values would add the same terms in another
    order and change the last bits."""

    joint: np.ndarray  # [G, T] class of each cell in the partition of all the batch's samples
    own: np.ndarray  # [n, J] each sample's class of each joint class (numbered by their first cell)
    aap: np.ndarray  # [n, C] full AAP of each sample's classes (a sample with fewer repeats its last)
    basis: np.ndarray  # [n, C] income basis, likewise

    @property
    def size(self) -> int:
        return self.aap.shape[1]

    def sums(self, x: np.ndarray) -> np.ndarray:
        """Σ over strata of ``x`` [n, K, G, T] within each of a sample's classes -> [n, K, C, T].
        Samples that share their classes share one pass; each sum runs over the strata in order
        (cycles innermost), the same whatever else the batch holds."""
        n, K, _, T = x.shape
        C = self.size
        maps, group = np.unique(self.own, axis=0, return_inverse=True)
        if len(maps) == 1:
            return np.einsum("nkgt,cgt->nkct", x, self._onehot(maps[0]))
        out = np.empty((n, K, C, T))
        for m, own in enumerate(maps):
            rows = np.flatnonzero(np.ravel(group) == m)
            out[rows] = np.einsum("nkgt,cgt->nkct", x[rows], self._onehot(own))
        return out

    def _onehot(self, own: np.ndarray) -> np.ndarray:
        return (own[self.joint][None] == np.arange(self.size)[:, None, None]).astype(float)  # (C, G, T)


def cell_classes(aap_full: np.ndarray, basis: np.ndarray, shape: tuple[int, int, int]) -> CellClasses:
    """Group the (stratum, cycle) cells by what the money rules read besides the state: full AAP
    (which carries the age) and the income basis, each possibly per sample."""
    n, G, T = shape
    a = np.broadcast_to(aap_full, (n, G, T)).reshape(n, G * T)
    b = np.broadcast_to(basis, (n, G, T)).reshape(n, G * T)
    rows = np.concatenate([a, b])
    # joint classes of all samples: label columns by their values row after row (faster than
    # np.unique(axis=1) on wide arrays)
    code = np.zeros(G * T, dtype=np.int64)
    first = np.zeros(1, dtype=np.int64)  # the first cell of each class
    for row in rows:
        if np.array_equal(row, row[first][code]):  # constant within every class: no refinement
            continue
        _, ids = np.unique(row, return_inverse=True)
        _, first, code = np.unique(code * (ids.max() + 1) + ids, return_index=True, return_inverse=True)
    # each sample's classes: the joint classes merged where that sample's values are equal
    a_j, b_j = a[:, first], b[:, first]
    own = np.empty((n, first.size), dtype=np.int64)
    reps = []  # per sample: a joint class of each of its classes
    for i, (ai, bi) in enumerate(zip(a_j.tolist(), b_j.tolist())):
        seen: dict[tuple[float, float], int] = {}
        firsts = []
        for j in np.argsort(first).tolist():
            k = seen.setdefault((ai[j], bi[j]), len(seen))
            if k == len(firsts):
                firsts.append(j)
            own[i, j] = k
        reps.append(firsts)
    C = max(len(r) for r in reps)
    rep = np.array([r + r[-1:] * (C - len(r)) for r in reps])  # (n, C)
    return CellClasses(np.reshape(code, (G, T)), own, np.take_along_axis(a_j, rep, 1), np.take_along_axis(b_j, rep, 1))


def add_classes(terms: np.ndarray, axis: int) -> np.ndarray:
    """Σ of ``terms`` over its class axis, adding the classes one by one in their order (np.sum or
    an einsum over a short inner axis adds in SIMD partial sums whose grouping depends on the
    number of classes, which depends on the batch)."""
    terms = np.moveaxis(terms, axis, 0)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def rules_vary(values: dict[str, Any]) -> bool:
    """Whether the money rules (``RuleParameters``) read a sampled ``rules.*`` parameter. The model's
    formulas read others (rules.aap.extension_share): sampling those leaves one rule set, and the
    break-even wages their vectorised search instead of a root search per sample."""
    sampled = [k for k, v in values.items() if k.startswith("rules.") and np.ndim(v) > 0]
    if not sampled:
        return False
    one = sample(values, 0)
    marked = {**one, **{k: np.float64("nan") for k in sampled}}  # a rule that reads one becomes NaN
    try:
        return RuleParameters.from_values(marked, dt.date(2000, 1, 1)) != RuleParameters.from_values(one, dt.date(2000, 1, 1))
    except InputError:
        return True


def sample(values: dict[str, Any], i: int) -> dict[str, Any]:
    return {k: (np.asarray(v).ravel()[i] if isinstance(v, np.ndarray) and v.ndim > 0 else v) for k, v in values.items()}


def build_ledger(sim: Simulation, wage: Any = None, values: dict[str, Any] | None = None,
                 regimes: dict[str, str] | None = None) -> Ledger:
    """Book every money flow of a simulation, per person per month, from payer to receiver.

    ``wage``: gross annual wage in employment at the price year (default
    ``wages.ips_annual_gross_wage``); a number or one per sample. ``values``: parameter values
    (default the scenario's base values; arrays of one value per sample are accepted).
    ``regimes``: model state for each of employed / aap / ufore / other / dead when the
    model's state names differ.
    """
    scenario, trace = sim.scenario, sim.trace
    model = scenario.model
    values = scenario.base_values() if values is None else values
    n, K, G, T1, S = trace.occupancy.shape
    T = T1 - 1
    state_of = regime_states(sim, regimes)
    occ = accounting.cycle_occupancy(trace.occupancy, model.spec.counting, np.ones(T1))  # (n,K,G,T,S)
    years = np.arange(T) * model.cycle_years  # at the start of each cycle, as rewards are
    cols = scenario.strata.columns
    age = np.asarray(cols["start_age"], dtype=float)[:, None] + years[None, :]  # (G, T)
    if "prior_income" in cols:
        basis = np.asarray(cols["prior_income"], dtype=float)[:, None]
    else:
        basis = param(values, "ledger.prior_income", n) * np.ones((G, 1))  # (G,1) or (n,G,1)
    wage = values.get("wages.ips_annual_gross_wage") if wage is None else wage
    if wage is None:
        raise InputError("parameters/wages.yaml", "wages.ips_annual_gross_wage", "parameter missing", "pass wage=")

    work = [r for r in WORK_REGIMES if r in state_of]
    if rules_vary(values):
        per_rules = [ledger_rules(scenario, sample(values, i)) for i in range(n)]
        aap_cells = np.stack([per_rules[i].aap(basis[i] if basis.ndim == 3 else basis, age) for i in range(n)])
    else:
        rules = ledger_rules(scenario, values)
        aap_cells = rules.aap(basis, age)  # (G, T) or (n, G, T)
    classes = cell_classes(aap_cells, basis, (n, G, T))
    aap_c, basis_c, C = classes.aap, classes.basis, classes.size
    if rules_vary(values):
        per = [_annual_by_state(sample(values, i), per_rules[i], np.ravel(wage)[i] if np.ndim(wage) else wage,
                                aap_c[i:i + 1], basis_c[i:i + 1], 1, employer_zone_rate(scenario, per_rules[i]), work)
               for i in range(n)]
        annual = {r: {f: np.concatenate([np.broadcast_to(per[i][r][f], (1, C)) for i in range(n)]) for f in per[0][r]}
                  for r in per[0]}
    else:
        annual = _annual_by_state(values, rules, wage, aap_c, basis_c, n, employer_zone_rate(scenario, rules), work)
    growth = (1 + param(values, "wages.real_wage_growth", n, 2)) ** years  # (n, T) or (T,)

    names = [f[0] for f in FLOWS]
    amounts = np.zeros((n, K, T, len(FLOWS)))
    w = np.broadcast_to(np.atleast_2d(trace.weights), (n, G))  # [sample, stratum]
    occ_w: dict[int, np.ndarray] = {}  # occupancy of a state times the strata weights (n, K, G, T)

    def weighted(s: int) -> np.ndarray:
        if s not in occ_w:
            occ_w[s] = occ[..., s] * w[:, None, :, None]
        return occ_w[s]

    def book(flow: str, per_month: np.ndarray, s: int) -> None:
        """Add per-person-month amounts (broadcastable to n,K,G,T) times occupancy of state s."""
        rate = np.broadcast_to(per_month, (n, K, G, T))
        amounts[..., names.index(flow)] += np.einsum("nkgt,nkgt->nkt", rate, weighted(s))

    # benefits, wages and taxes: rules evaluated per cell class, occupancy summed per class
    g_nt = growth if growth.ndim == 2 else growth[None, :]
    for regime, by_flow in annual.items():
        s = state_of[regime]
        occ_class = classes.sums(weighted(s))  # (n, K, C, T)
        for flow, a in by_flow.items():
            monthly = np.broadcast_to(a, (n, C)) / 12
            amounts[..., names.index(flow)] += add_classes(monthly[:, None, :, None] * occ_class, 2) * g_nt[:, None, :]

    # health care: state cost, changed for IPS users in the non-comparator strategies
    user = (np.asarray(cols["ips_user"]) == "yes").astype(float) if "ips_user" in cols else np.ones(G)
    treated = (np.arange(K) != model.comparator_index).astype(float)[None, :, None, None]
    effect = param(values, "health_care.effect_on_use", n)
    effect = effect.reshape(n, 1, 1, 1) if effect.ndim == 3 else effect
    factor = 1 + effect * treated * user[None, None, :, None]
    for regime in [r for r in ALIVE_REGIMES if r in state_of]:
        cost = param(values, f"health_care.monthly_cost.{'employed' if regime in WORK_REGIMES else HEALTH_CARE_AS.get(regime, regime)}", n)
        cost = cost.reshape(n, 1, 1, 1) if cost.ndim == 3 else cost
        book("health_care", cost * factor, state_of[regime])

    # programme: the model's programme_cost reward; IPS for users in non-comparator strategies
    for r in (PROGRAMME_REWARD, USUAL_CARE_REWARD):  # booked per state below: a value per cell would be lost
        if r in getattr(trace, "reward_masses", {}):
            raise InputError(model.file, f"model.rewards.{r}", "the ledger books this reward per state",
                             "a formula without duration or trackers")
    if PROGRAMME_REWARD in trace.reward_states:
        prog = trace.reward_states[PROGRAMME_REWARD]  # (n,K,G,T,S)
        ips_part = treated * user[None, None, :, None]
        nav_share = param(values, "ledger.ips_cost_nav_share", n)
        nav_share = nav_share.reshape(n, 1, 1, 1) if nav_share.ndim == 3 else nav_share
        # programme cost per person of the stratum: the reward summed over occupied states
        per_person = np.einsum("nkgts,nkgts->nkgt", prog, occ) * w[:, None, :, None]  # weighted, like occ_w
        if USUAL_CARE_REWARD in trace.reward_states:
            # the model says which part is usual care (it continues beside IPS); the rest is IPS
            usual = np.einsum("nkgts,nkgts->nkgt", trace.reward_states[USUAL_CARE_REWARD], occ) * w[:, None, :, None]
            ips_cost = per_person - usual
        else:
            ips_cost = per_person * ips_part
        for flow, part in (("ips_programme_nav", ips_cost * nav_share),
                           ("ips_programme_health_trust", ips_cost * (1 - nav_share)),
                           ("usual_vocational_rehabilitation", per_person - ips_cost)):
            amounts[..., names.index(flow)] += part.sum(axis=2)

    employment_years = sum(np.einsum("nkgt,ng->nkt", occ[..., state_of[r]], w) for r in work) * model.cycle_years
    if QALY_REWARD in trace.reward_states:
        # one-off rewards on transitions only where the model declares some (saves a pass over flows)
        has_tr = bool(model.rewards[QALY_REWARD]["transitions"])
        flows = trace.flows if has_tr else trace.flows[..., :0]
        tr_values = trace.reward_transitions[QALY_REWARD] if has_tr else flows
        q = accounting.reward_per_cycle(trace.occupancy, flows, trace.reward_states[QALY_REWARD],
                                        tr_values, model.spec.counting, np.ones(T1),
                                        getattr(trace, "reward_masses", {}).get(QALY_REWARD))  # per cell (duration)
        qalys = np.einsum("nkgt,ng->nkt", q, w)
    else:
        qalys = np.zeros((n, K, T))
    qaly_value = np.ravel(param(values, "economics.qaly_value", n) * param(values, "ledger.qaly_value_uprating", n))
    mcpf = np.ravel(param(values, "economics.mcpf", n)) if "economics.mcpf" in values else np.zeros(1)
    return Ledger(amounts, names, [f[1] for f in FLOWS], [f[2] for f in FLOWS], [f[3] for f in FLOWS],
                  list(model.strategies), model.cycle_years, model.spec.counting, scenario.spec.price_year,
                  qalys, employment_years, qaly_value if qaly_value.size > 1 else float(qaly_value[0]),
                  mcpf if mcpf.size > 1 else float(mcpf[0]), dict(model.discount_rate), values, wage,
                  classes)


# --- views ----------------------------------------------------------------------------------

def flow_signs(name: str, mcpf: float = 0.0) -> dict[str, float]:
    """How each flow counts in a perspective's money balance (+1 gain, −1 loss, 0 not at all);
    society: production (wage + employer's contribution) and real resource use, transfers cancel,
    plus ``mcpf`` times each flow's effect on the public purse (the tax-financing cost, R-109/21).
    The value of health is not a flow (see :func:`perspective_items`)."""
    if name in PARTY_PERSPECTIVES:
        parties = PARTY_PERSPECTIVES[name]
        return {f: float((b in parties) - (a in parties)) for f, a, b, _ in FLOWS}
    if name == "society":
        public = flow_signs("public")
        return {f: (1.0 if c in ("gross_wage", "employer_contribution") else -1.0 if b == "resources" else 0.0)
                + float(mcpf) * public[f] for f, a, b, c in FLOWS}
    raise InputError(None, "perspective", f"unknown perspective {name!r}", ", ".join(PERSPECTIVES))


def party_net(ledger: Ledger) -> xr.DataArray:
    """Inflows minus outflows of every party: (sample, strategy, month, party)."""
    da = ledger.to_xarray()
    sign = np.zeros((len(ledger.flows), len(PARTIES)))
    for f, (a, b) in enumerate(zip(ledger.payer, ledger.receiver)):
        sign[f, PARTIES.index(a)] -= 1
        sign[f, PARTIES.index(b)] += 1
    s = xr.DataArray(sign, dims=("flow", "party"), coords={"flow": ledger.flows, "party": list(PARTIES)})
    return xr.dot(da, s, dim="flow")


def _per_sample(x: np.ndarray | float, n: int) -> xr.DataArray:
    v = np.broadcast_to(np.ravel(np.asarray(x, dtype=float)), (n,)) if np.size(x) in (1, n) else None
    if v is None:
        raise InputError(None, "values", f"expected 1 or {n} values per sample, got {np.size(x)}")
    return xr.DataArray(v, dims="sample", coords={"sample": np.arange(n)})


def perspective_items(ledger: Ledger, name: str, mcpf: float | bool | None = None) -> xr.DataArray:
    """Signed contributions to one perspective: (sample, strategy, month, component), + = gain.

    * a party perspective (nav, health, municipality, state, public, individual, employer):
      each flow counts +amount if it enters the perspective's parties and -amount if it leaves
      them; flows between two of its parties cancel and are dropped;
    * ``society``: production value (gross wage + employer's contribution, i.e. the labour
      cost, taken as the value of what is produced), minus real resource use (every flow to
      ``resources``), plus QALYs x value (``economics.qaly_value`` x
      ``ledger.qaly_value_uprating``). Transfers cancel. The tax-financing cost of R-109/21,
      ``mcpf x net public effect``, is added by default (``mcpf`` None or True: the ledger's
      ``economics.mcpf``, 20 %; a rate; False or 0 turns it off, as ``--set economics.mcpf=0``
      does): a net public cost is a loss, a net public gain saves deadweight loss.
    """
    da = ledger.to_xarray()
    n = da.sizes["sample"]
    if name in PARTY_PERSPECTIVES:
        parties = PARTY_PERSPECTIVES[name]
        sign = np.array([(b in parties) - (a in parties) for a, b in zip(ledger.payer, ledger.receiver)], dtype=float)
        keep = sign != 0
        s = xr.DataArray(sign[keep], dims="flow", coords={"flow": np.array(ledger.flows)[keep]})
        return (da.sel(flow=s.flow) * s).rename(flow="component").reset_coords(drop=True)
    if name != "society":
        raise InputError(None, "perspective", f"unknown perspective {name!r}", ", ".join(PERSPECTIVES))
    items = {
        "production_wage": da.sel(flow=[f for f, c in zip(ledger.flows, ledger.category) if c == "gross_wage"]).sum("flow"),
        "production_employer_contribution": da.sel(flow=[f for f, c in zip(ledger.flows, ledger.category)
                                                         if c == "employer_contribution"]).sum("flow"),
    }
    for f, r in zip(ledger.flows, ledger.receiver):
        if r == "resources":
            items[f"resource_{f}"] = -da.sel(flow=f, drop=True)
    q = xr.DataArray(ledger.qalys, dims=("sample", "strategy", "month"), coords={k: da.coords[k] for k in ("sample", "strategy", "month")})
    items["health_value"] = q * _per_sample(ledger.qaly_value, n)
    rate = ledger.mcpf if mcpf is None or mcpf is True else mcpf
    if rate is not None and rate is not False and np.any(np.asarray(rate) != 0):
        items["tax_financing_cost"] = perspective_net(ledger, "public") * _per_sample(rate, n)
    out = xr.concat([v.reset_coords(drop=True) for v in items.values()], dim="component", coords="minimal", compat="override")
    return out.assign_coords(component=list(items)).transpose("sample", "strategy", "month", "component")


def perspective_net(ledger: Ledger, name: str, mcpf: float | bool | None = None) -> xr.DataArray:
    """Net gain (inflows - outflows, or the society balance) per person: (sample, strategy, month)."""
    return perspective_items(ledger, name, mcpf).sum("component")
