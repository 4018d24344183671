"""Break-even wage: the gross annual wage at which IPS pays for itself, per perspective and horizon.

The incremental NPV (intervention minus comparator, discounted, per person) is a function of
the wage ``W`` earned in the employment state; the break-even wage solves NPV(W) = 0 over a
stated bracket: :func:`breakeven_wage` with :func:`scipy.optimize.brentq` on full ledgers, and
:func:`breakeven_table` / :func:`breakeven_wages` for every perspective, horizon (and sample) at
once by one vectorised bisection on the exact decomposition NPV(W) = NPV(W0) + Σ Z·ΔF(W) (the
wage enters only the employed state's amounts). Where no wage in the bracket breaks even, the
result says why instead of returning a number.

Shorter horizons reuse one simulation at the longest horizon: the ledger is truncated to the
first ``round(h / cycle_years)`` cycles, which is exact because cycle k depends only on
trace points 0..k (discounting is from time 0 either way).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import numpy as np

from ipsecon.engines import counting as accounting
from ipsecon.economics import evaluation as economics
from ipsecon.money import ledger as L
from ipsecon.errors import InputError
from ipsecon.money.ledger import build_ledger
from ipsecon.money.rules import RuleParameters
from ipsecon.engines.simulate import Simulation

if TYPE_CHECKING:
    import pandas as pd

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
                mcpf: float | bool | None = None) -> Callable[[float], float]:
    """NPV(W): discounted incremental net per person (intervention - comparator) at gross wage W.
    With several parameter samples, the mean over samples."""
    k1, k0 = _pair(sim, strategies)
    T = _cycles(sim, horizon_years)
    values = sim.scenario.base_values() if values is None else values

    def f(wage: float) -> float:
        ledger = build_ledger(sim, wage=wage, values=values).truncated(T)
        d = economics.cycle_discount_factors(T, ledger.cycle_years, ledger.discount["cost"], ledger.counting)
        net = ledger.perspective_net(perspective, mcpf).transpose("sample", "strategy", "month").values
        inc = (net[:, k1] - net[:, k0]) @ d
        return float(np.mean(inc))

    return f


def breakeven_wage(sim: Simulation, perspective: str = "society", horizon_years: float | None = None,
                   bracket: tuple[float, float] = DEFAULT_BRACKET, strategies: tuple[str, str] | None = None,
                   values: dict[str, Any] | None = None,
                   mcpf: float | bool | None = None, xtol: float = 0.01) -> BreakevenResult:
    """Gross annual wage (price-year NOK, in employment) at which the incremental NPV is 0.

    ``strategies`` = (intervention, comparator); default the model's intervention and comparator. Returns ``wage=None`` with a reason when the bracket holds no root.
    """
    k1, k0 = _pair(sim, strategies)
    names = list(sim.scenario.model.strategies)
    horizon = sim.horizon_years if horizon_years is None else horizon_years
    f = npv_of_wage(sim, perspective, horizon_years, strategies, values, mcpf)
    lo, hi = (float(x) for x in bracket)
    f_lo, f_hi = f(lo), f(hi)

    def result(wage: float | None, reason: str, status: int = 0) -> BreakevenResult:
        return BreakevenResult(perspective, horizon, wage, reason, f_lo, f_hi, (lo, hi), names[k1], names[k0], status)

    scale = max(abs(f_lo), abs(f_hi), 1.0)
    if abs(f_hi - f_lo) <= 1e-9 * scale:
        return result(None, _reason(perspective, 3, f_lo, f_hi, lo, hi), 3)
    if f_lo == 0:
        return result(lo, _reason(perspective, 0, f_lo, f_hi, lo, hi))
    if f_hi == 0:
        return result(hi, _reason(perspective, 0, f_lo, f_hi, lo, hi))
    if np.sign(f_lo) == np.sign(f_hi):
        status = 1 if f_lo > 0 and f_hi > 0 else 2
        return result(None, _reason(perspective, status, f_lo, f_hi, lo, hi), status)
    # scipy.optimize costs ~0.1 s to import: only this search needs it
    from scipy.optimize import brentq

    wage = brentq(f, lo, hi, xtol=xtol)
    return result(float(wage), "root of incremental NPV (scipy brentq)")


def breakeven_table(sims_by_scenario: Mapping[str, Simulation], perspectives: Iterable[str],
                    horizons: Iterable[float], **kwargs: Any) -> pd.DataFrame:
    """The two break-even wages per scenario x perspective x horizon, as a tidy table:

    * ``breakeven_wage`` — the **NPV break-even wage**: the perspective's incremental NPV is zero
      (``reason``, ``status``);
    * ``programme_breakeven_wage`` — the **programme break-even wage** (seed 004's question): the
      perspective's gain from the employment effect (every money flow but the programme's, no
      health value, no tax-financing cost) carries IPS's whole incremental running cost, whoever
      pays it (``programme_reason``, ``programme_status``); see :func:`programme_breakeven`.

    Both are gross annual wages per person-year in work (``wages.ips_annual_gross_wage``'s unit).
    Each simulation must reach the longest horizon; shorter ones truncate its ledger. Every
    perspective and horizon of a pair comes from one ledger and one vectorised root search
    (:func:`_wage_roots`, any discount schedule: each horizon's cycle discount factors are exact);
    per-sample rules fall back to one :func:`breakeven_wage` per cell.
    """
    import pandas as pd

    rows = []
    horizons, perspectives = list(horizons), list(perspectives)
    for scenario, sim in sims_by_scenario.items():
        model = sim.scenario.model
        for intervention in model.interventions:  # each intervention against the model's comparator
            pair = (intervention, model.comparator)
            if _vectorisable(sim, kwargs):
                found = _wage_roots(sim, perspectives, horizons, pair, **kwargs)
            else:
                found = [breakeven_wage(sim, p, h, strategies=pair, **kwargs) for p in perspectives for h in horizons]
            options = {k: v for k, v in kwargs.items() if k in ("bracket", "xtol", "values")}
            programme = programme_breakeven(sim, perspectives, horizons, pair, **options)
            for r, g in zip(found, programme):
                rows.append({"scenario": scenario, "perspective": r.perspective, "horizon_years": r.horizon_years,
                             "breakeven_wage": r.wage, "npv_at_low": r.npv_low, "npv_at_high": r.npv_high,
                             "bracket_low": r.bracket[0], "bracket_high": r.bracket[1],
                             "intervention": r.intervention, "comparator": r.comparator, "reason": r.reason,
                             "status": r.status, "programme_breakeven_wage": g.wage, "programme_reason": g.reason,
                             "programme_status": g.status})
    table = pd.DataFrame(rows)
    if not table.empty:  # None (no solution) as NaN: with no solution anywhere the column would hold objects
        table["breakeven_wage"] = table["breakeven_wage"].astype(float)
        table["programme_breakeven_wage"] = table["programme_breakeven_wage"].astype(float)
    return table


PROGRAMME_FLOWS = ("ips_programme_nav", "ips_programme_health_trust", "usual_vocational_rehabilitation")


def programme_signs(perspective: str) -> dict[str, float]:
    """Signs of the flows in the programme break-even wage: the perspective's own signs for every
    flow the employment effect moves (no tax-financing cost), and the programme's whole cost (all
    payers, usual vocational rehabilitation included) as a loss."""
    signs = dict(L.flow_signs(perspective))
    signs.update({f: -1.0 for f in PROGRAMME_FLOWS})
    return signs


def programme_breakeven(sim: Simulation, perspectives: Iterable[str], horizons: Iterable[float],
                        strategies: tuple[str, str] | None = None, bracket: tuple[float, float] = DEFAULT_BRACKET,
                        xtol: float = 0.01, values: dict[str, Any] | None = None) -> list[BreakevenResult]:
    """The programme break-even wage (seed 004: "the gross wage those who got jobs must earn for the
    effect to carry the programme's running cost") per perspective x horizon: the W at which the
    discounted incremental flows the employment effect moves for the perspective (society:
    production, i.e. wage + employer's contribution; public: taxes, employer's contribution and
    benefits saved; NAV: benefits saved; individual: net income) equal the discounted incremental
    programme cost, whoever pays it. No health value and no tax-financing cost. One vectorised
    bisection, like :func:`_wage_roots`."""
    values = sim.scenario.base_values() if values is None else values
    ledger = with_mcpf(build_ledger(sim, values=values), False)

    def net(p: str) -> np.ndarray:  # (n, K, T): the programme's whole cost against what the effect moves
        signs = programme_signs(p)
        return ledger.amounts @ np.array([signs[f] for f in ledger.flows])

    return _search(sim, ledger, net, list(perspectives), list(horizons), strategies, bracket, xtol,
                   "employment gain minus programme cost")


def _search(sim: Simulation, ledger, net, perspectives: list[str], horizons: list[float],
            strategies: tuple[str, str] | None, bracket: tuple[float, float], xtol: float,
            what: str = "incremental NPV") -> list[BreakevenResult]:
    """The vectorised bisection shared by both break-even wages: ``net(p)`` gives the perspective's
    net per sample, strategy and month at the ledger's wage; ``what`` names the quantity in reasons."""
    k1, k0 = _pair(sim, strategies)
    names = list(sim.scenario.model.strategies)
    cycles = [_cycles(sim, h) for h in horizons]
    d = [economics.cycle_discount_factors(T, ledger.cycle_years, ledger.discount["cost"], ledger.counting) for T in cycles]
    base = np.empty((ledger.amounts.shape[0], len(perspectives), len(cycles)))
    for j, p in enumerate(perspectives):
        x = net(p)
        inc = x[:, k1] - x[:, k0]
        base[:, j] = np.stack([inc[:, :T] @ dt for T, dt in zip(cycles, d)], axis=1)
    npv = _wage_npv(sim, ledger, perspectives, cycles, base, k1, k0, d)
    lo, hi = (float(x) for x in bracket)
    wage, status, f_lo, f_hi = _bisect(npv, base.shape, (lo, hi), xtol / 100)
    out = []
    for j, p in enumerate(perspectives):
        for b, h in enumerate(horizons):
            w, st, a, z = wage[0, j, b], int(status[0, j, b]), float(f_lo[0, j, b]), float(f_hi[0, j, b])
            reason = _reason(p, st, a, z, lo, hi).replace("incremental NPV", what)
            out.append(BreakevenResult(p, h, None if st else float(w), reason, a, z, (lo, hi), names[k1], names[k0], st))
    return out


def _vectorisable(sim: Simulation, options: Mapping[str, Any]) -> bool:
    """The one-pass search covers every option (tax-financing cost; the discount schedule is the ledger's)
    for one set of parameter values; per-sample rules need a search per sample."""
    plain = set(options) <= {"bracket", "xtol", "values", "mcpf"}
    values = options.get("values") or sim.scenario.base_values()
    return plain and sim.trace.occupancy.shape[0] == 1 and not L.rules_vary(values)


def _wage_roots(sim: Simulation, perspectives: list[str], horizons: list[float], strategies: tuple[str, str],
                bracket: tuple[float, float] = DEFAULT_BRACKET, xtol: float = 0.01,
                values: dict[str, Any] | None = None, mcpf: float | bool | None = None) -> list[BreakevenResult]:
    """:func:`breakeven_wage` for every perspective x horizon of one pair, from one ledger.

    NPV(W) = NPV(W0) + Σ_cells Z · (F_p(W) − F_p(W0)) exactly (see :func:`breakeven_wages`), so
    each bisection step is one small array evaluation for all cells at once. The bisection runs
    to ``xtol / 100``, so the wage is the root to well within the ``xtol`` that brentq promises.
    """
    values = sim.scenario.base_values() if values is None else values
    ledger = with_mcpf(build_ledger(sim, values=values), mcpf)

    def net(p: str) -> np.ndarray:  # as npv_of_wage at the ledger's wage
        return ledger.perspective_net(p).transpose("sample", "strategy", "month").values

    return _search(sim, ledger, net, list(perspectives), list(horizons), strategies, bracket, xtol)


def with_mcpf(ledger, mcpf: float | bool | None):
    """The ledger with the tax-financing cost rate a caller asks for (None or True: its own
    ``economics.mcpf``; False: none; a number: that rate)."""
    if mcpf is None or mcpf is True:
        return ledger
    return replace(ledger, mcpf=0.0 if mcpf is False else float(mcpf))


def _reason(perspective: str, status: int, f_lo: float, f_hi: float, lo: float, hi: float) -> str:
    """The words :func:`breakeven_wage` gives each outcome."""
    if status == 3:
        return (f"the {perspective} perspective's incremental NPV does not depend on the wage "
                f"(no wage-linked flow reaches it): {f_lo:,.0f} NOK whatever the wage")
    if status == 0:
        if f_lo == 0:
            return "breaks even at the lower end of the bracket"
        if f_hi == 0:
            return "breaks even at the upper end of the bracket"
        return "root of incremental NPV (vectorised bisection)"
    if f_lo > 0 and f_hi > 0:
        return f"incremental NPV is positive over the whole bracket ({f_lo:,.0f} NOK at {lo:,.0f}): pays off at any wage in it"
    if f_hi < f_lo:
        return f"incremental NPV falls as the wage rises and is negative at {lo:,.0f} ({f_lo:,.0f} NOK)"
    return f"incremental NPV is still negative at a wage of {hi:,.0f} ({f_hi:,.0f} NOK): no wage in the bracket breaks even"


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
    if L.rules_vary(ledger.values):  # rules per sample: fall back to one root search per sample
        return _breakeven_per_sample(sim, ledger.values, perspectives, horizon_cycles, k1, k0, bracket, xtol)
    npv = _wage_npv(sim, ledger, perspectives, horizon_cycles, base_npv, k1, k0)
    wage, status, _, _ = _bisect(npv, np.shape(base_npv), bracket, xtol)
    return wage, status


def _wage_npv(sim: Simulation, ledger, perspectives: list[str], horizon_cycles: list[int], base_npv: np.ndarray,
              k1: int, k0: int, discount: list[np.ndarray] | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """NPV(W) for wages W [n, P, H] from the ledger at its own wage (see :func:`breakeven_wages`).
    ``discount``: each horizon's cycle discount factors (as :func:`npv_of_wage`); by default the
    longest horizon's, cumulated."""
    values = ledger.values
    scenario, trace = sim.scenario, sim.trace
    model = scenario.model
    n, _, _, T1, _ = trace.occupancy.shape
    T = T1 - 1
    rules = L.ledger_rules(scenario, values)
    zone = L.employer_zone_rate(scenario, rules)
    years = np.arange(T) * model.cycle_years
    classes = ledger.cells  # the ledger's classes of cells that share their amounts
    aap_c, basis_c, C = classes.aap, classes.basis, classes.size

    state_of = L.regime_states(sim, None)
    work = [r for r in L.WORK_REGIMES if r in state_of]  # the wage enters only these states' amounts
    growth = (1 + np.reshape(L.param(values, "wages.real_wage_growth", n), (-1, 1))) ** years  # (n|1, T)
    if discount is None:
        dc = economics.cycle_discount_factors(T, model.cycle_years, model.discount_rate["cost"], model.spec.counting)
    Z = {}
    for r in work:
        s = state_of[r]
        occ = accounting.cycle_occupancy(trace.occupancy[..., s:s + 1], model.spec.counting, np.ones(T1))[..., 0]
        d_occ = occ[:, k1] - occ[:, k0]  # (n, G, T)
        if discount is None:
            m = d_occ * (dc * growth / 12)[:, None, :] * trace.weights[:, :, None]
            z = np.cumsum(classes.sums(m[:, None])[:, 0], axis=2)  # (n, C, T)
            Z[r] = np.stack([z[:, :, h - 1] for h in horizon_cycles], axis=1)  # (n, H, C)
        else:
            m = d_occ * (growth / 12)[:, None, :] * trace.weights[:, :, None]
            per_cycle = classes.sums(m[:, None])[:, 0]  # (n, C, T) undiscounted
            Z[r] = np.stack([per_cycle[:, :, :h] @ d for h, d in zip(horizon_cycles, discount)], axis=1)

    # each perspective's sign of every flow; society's includes the tax-financing cost (per sample)
    mcpf = np.reshape(np.asarray(ledger.mcpf, dtype=float), (-1, 1, 1, 1))
    public = L.flow_signs("public")
    signs = [L.flow_signs(p) for p in perspectives]
    is_society = np.array([p == "society" for p in perspectives], dtype=float).reshape(1, -1, 1, 1)
    sh = (n, 1, 1, C)
    aap_b, basis_b = aap_c.reshape(sh), basis_c.reshape(sh)

    def net(W):  # W (n, P, H, 1) -> each work regime's net per perspective (n, P, H, C)
        by_regime = L.work_annual(values, rules, W, aap_b, basis_b, n, 4, zone, work)
        out = {}
        for r, amounts in by_regime.items():
            out[r] = sum((np.array([sg[f] for sg in signs]).reshape(1, -1, 1, 1) + is_society * mcpf * public[f]) * a
                         for f, a in amounts.items())
        return out

    H, P = len(horizon_cycles), len(perspectives)
    W0 = np.broadcast_to(np.reshape(np.asarray(ledger.wage, dtype=float), (-1, 1, 1, 1)), (n, P, H, 1))
    F0 = net(W0)

    def npv(W):
        F = net(W[..., None])
        return base_npv + sum(L.add_classes((F[r] - F0[r]) * Z[r][:, None], -1) for r in work)  # in class order, as the ledger

    return npv


def _bisect(npv: Callable[[np.ndarray], np.ndarray], shape: tuple[int, ...], bracket: tuple[float, float],
            xtol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Root of every cell of ``npv`` in ``bracket`` by one shared bisection: (wage with NaN where
    none, status codes of ``BREAKEVEN_STATUS``, NPV at the low end, NPV at the high end)."""
    lo = np.full(shape, float(bracket[0]))
    hi = np.full(shape, float(bracket[1]))
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
    return wage, status, f_lo, f_hi


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
    w = trace.weights
    return replace(trace, occupancy=pick(trace.occupancy), flows=pick(trace.flows), ever=pick(trace.ever),
                   weights=w[i:i + 1] if w.shape[0] > 1 else w,
                   reward_states={k: pick(v) for k, v in trace.reward_states.items()},
                   reward_transitions={k: pick(v) for k, v in trace.reward_transitions.items()},
                   totals_sd={k: pick(v) for k, v in trace.totals_sd.items()},
                   totals_diff_sd={k: pick(v) for k, v in trace.totals_diff_sd.items()},
                   reward_masses={k: (pick(a), pick(b)) for k, (a, b) in trace.reward_masses.items()})
