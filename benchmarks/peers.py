#!/usr/bin/env python
"""Peers in the benchmark (issue 17, item 7): the reference model (benchmarks/reference_5state.yaml)
run through every peer that is installed — pyheor and heormodel (Python), hesim and heemod (R) —
and through ipsecon in the same run; the answers checked against each other and against an exact
closed form; in-process and whole-process times side by side.

    python benchmarks/peers.py                    # every installed peer; prints "skipped: not installed" for the rest
    python benchmarks/run.py --peers              # the same, from the benchmark runner
    python benchmarks/peers.py --psa-samples 200 --people 2000    # smaller (a smoke test)

What runs, per tool (each tool in its own subprocess, one core: NUMBA_NUM_THREADS=1, heormodel sequential):
- deterministic cohort at the point values; PASS when costs and QALYs per strategy equal the closed form
  (occupancy by matrix powers, summed as a geometric matrix series) to 1e-9 relative. Where a peer's
  convention cannot be set equal to ipsecon's (pyheor and heemod's default leave the first cycle
  undiscounted), the peer's totals are converted by hand and the line says so;
- cohort PSA (1,000 draws by default: Dirichlet rows, lognormal ratio, gamma costs, beta utilities, as the
  YAML declares), each tool drawing with its own generator; PASS when the mean of each strategy's costs and
  QALYs and of the increments is within 4 combined standard errors of ipsecon's;
- microsimulation of 10,000 people where the tool has one (not heemod); PASS when each strategy's mean is
  within 4 standard errors of the exact value and within 4 combined standard errors of ipsecon's.
Times: in-process = the engine call only (sampling included for PSA), best of 3 (one run when a run takes
longer than --max-repeat-seconds); whole-process = a fresh process per tool running a tiny script
(interpreter start, imports, reading the model, the run, exit), best of 3 after one warm-up run. Ratios are
peer / ipsecon (> 1: the peer is slower). The machine's load (`uptime`) is printed before and after.

The R scripts (benchmarks/peers_r/*.R) run only where `Rscript` is on PATH and the packages load; they
have not been run on the machine these were written on (no R there). How to install the peers:
benchmarks/README.md. CI does not need any of them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE = HERE / "reference_5state.yaml"
R_DIR = HERE / "peers_r"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

PY_PEERS = ("pyheor", "heormodel")
R_PEERS = ("hesim", "heemod")
TOOLS = ("ipsecon",) + PY_PEERS + R_PEERS
HAS_MICROSIM = {"ipsecon", "pyheor", "heormodel", "hesim"}
STRATEGIES = ("usual", "intervention")
REL_TOL = 1e-9  # deterministic agreement: exact up to rounding
Z_TOL = 4.0  # Monte Carlo agreement: |diff| < 4 x combined SE
MICROSIM_SEED = 5
PSA_SEED = 11

# how each peer's totals relate to ipsecon's convention (occupancy at the end of month t discounted by
# 1.04^(-t/12)); the factor multiplies the peer's totals. None: conventions set equal in the peer's own API.
CONVENTIONS = {
    "pyheor": ("method='end' counts the end of each month as ipsecon does, but pyheor leaves the first cycle "
               "undiscounted (cycle k at (1+r)^-(k-1), r = 1.04^(1/12) - 1): its totals x 1.04^(-1/12)"),
    "heormodel": ("set equal in its API: cycle_length 1/12, cycle_correction='none', rewards 0 at point 0 "
                  "(heormodel counts points 0..480, ipsecon 1..480)"),
    "hesim": ("cohort: set equal (integrate_method='riemann_right', continuous rate log(1.04), annual reward "
              "rates); microsim: hesim's individual model is continuous-time (generator = matrix log of the "
              "monthly matrix, same occupancy at whole months) with rewards integrated continuously: compared "
              "with the continuous-time closed form"),
    "heemod": ("set equal: method='end', discount(x, 0.04, first = TRUE, period = 12, linear = TRUE) (heemod's "
               "default discounts by whole years, trunc(), from the second cycle)"),
}


# --- the reference model, read from its YAML (the one owner of its numbers) -------------------------

def reference_inputs(path: Path = REFERENCE) -> dict:
    """Point values, distributions and conventions of the reference model as plain arrays.

    The structure (the ratio acts on A->E with staying in A the complement; the intervention's extra cost
    is in A) is the model's own (its `strategies:` block) and is written out in naive.strategy_matrices.
    """
    import numpy as np
    import yaml

    spec = yaml.safe_load(Path(path).read_text())
    par, model, run = spec["parameters"]["ref"], spec["model"], spec["run"]
    states = list(model["states"])
    assert states == ["E", "A", "D", "U", "X"], states
    alive = states[:4]
    P = np.zeros((5, 5))
    alpha = np.zeros((4, 5))
    for i, s in enumerate(alive):
        P[i] = [par["p"][s]["value"][t] for t in states]
        alpha[i] = [par["p"][s]["distribution"]["alpha"][t] for t in states]
    P[4, 4] = 1.0
    cycle_years = float(model["cycle_years"])
    disc = model["discount"]
    assert disc["cost"] == disc["effect"], "one discount rate for costs and effects in this benchmark"
    rr = par["rr_AE"]["distribution"]
    return {
        "states": states, "P": P, "rr": float(par["rr_AE"]["value"]),
        "cost": np.array([float(par["cost"][s]["value"]) for s in alive] + [0.0]),
        "cost_int": float(par["cost"]["intervention"]["value"]),
        "utility": np.array([float(par["utility"][s]["value"]) for s in alive] + [0.0]),
        "discount": float(disc["cost"]), "cycle_years": cycle_years,
        "months": round(float(run["horizon_years"]) / cycle_years),
        "people": int(run["individuals"]),
        "dist": {
            "alpha": alpha, "rr_meanlog": float(rr["meanlog"]), "rr_sdlog": float(rr["sdlog"]),
            "cost_mean": np.array([par["cost"][s]["distribution"]["mean"] for s in alive], float),
            "cost_sd": np.array([par["cost"][s]["distribution"]["sd"] for s in alive], float),
            "cost_int_mean": float(par["cost"]["intervention"]["distribution"]["mean"]),
            "cost_int_sd": float(par["cost"]["intervention"]["distribution"]["sd"]),
            "utility_mean": np.array([par["utility"][s]["distribution"]["mean"] for s in alive], float),
            "utility_sd": np.array([par["utility"][s]["distribution"]["sd"] for s in alive], float),
        },
    }


def strategy_arrays(ref: dict, P=None, rr=None, cost=None, cost_int=None):
    """[(matrix, cost per month)] for usual care and the intervention (naive.py's helpers)."""
    import naive

    P = ref["P"] if P is None else P
    Ms = naive.strategy_matrices(P, ref["rr"] if rr is None else rr)
    cs = naive.strategy_costs(ref["cost"] if cost is None else cost, ref["cost_int"] if cost_int is None else cost_int)
    return list(zip(Ms, cs))


def discounted_sum(x0, M, reward, v: float, months: int) -> float:
    """sum_{t=1..T} v^t x0 M^t reward, in closed form: x0 A (I - A^T) (I - A)^-1 reward with A = v M
    (a geometric matrix series; I - A is invertible because v < 1 and M is stochastic)."""
    import numpy as np

    A = v * np.asarray(M, float)
    eye = np.eye(len(A))
    S = A @ (eye - np.linalg.matrix_power(A, months)) @ np.linalg.inv(eye - A)
    return float(np.asarray(x0, float) @ S @ np.asarray(reward, float))


def exact(ref: dict) -> dict[str, float]:
    """The ground truth: each strategy's discounted cost and QALYs per person at the point values, counted
    at the end of each month and discounted there (ipsecon's convention, `counting: end`)."""
    import numpy as np

    v = (1 + ref["discount"]) ** -ref["cycle_years"]
    x0 = np.eye(5)[0]  # everyone starts in E
    out = {}
    for s, (M, c) in zip(STRATEGIES, strategy_arrays(ref)):
        out[f"cost {s}"] = discounted_sum(x0, M, c, v, ref["months"])
        out[f"qalys {s}"] = discounted_sum(x0, M, ref["utility"] * ref["cycle_years"], v, ref["months"])
    return out


def generators(ref: dict) -> list:
    """Per strategy, the continuous-time generator per year whose monthly transition matrix is the model's:
    G = logm(M) / (1/12) (valid here: every off-diagonal rate is non-negative)."""
    import numpy as np
    from scipy.linalg import logm

    out = []
    for M, _ in strategy_arrays(ref):
        G = np.real(logm(M)) / ref["cycle_years"]
        assert (G - np.diag(np.diag(G)) >= -1e-12).all(), "no valid generator for this matrix"
        out.append(G)
    return out


def exact_continuous(ref: dict) -> dict[str, float]:
    """The same model in continuous time (generator G = 12 logm(M) per year, the same occupancy at whole
    months), rewards integrated continuously and discounted by exp(-rho t), rho = ln 1.04:
    x0 (rho I - G)^-1 (I - e^{(G - rho I) T}) r. What hesim's individual-level (continuous-time) model gives."""
    import numpy as np
    from scipy.linalg import expm

    rho, T, x0 = math.log1p(ref["discount"]), ref["months"] * ref["cycle_years"], np.eye(5)[0]
    out = {}
    for s, (_, c), G in zip(STRATEGIES, strategy_arrays(ref), generators(ref)):
        K = rho * np.eye(5) - G
        F = np.linalg.solve(K, np.eye(5) - expm(-K * T))
        out[f"cost {s}"] = float(x0 @ F @ (c / ref["cycle_years"]))
        out[f"qalys {s}"] = float(x0 @ F @ ref["utility"])
    return out


# --- each tool, in its own API ---------------------------------------------------------------------

def _summary(cost, qalys) -> dict[str, tuple[float, float]]:
    """Mean and standard error of each strategy's totals and of the increments; cost/qalys [draw, strategy]."""
    import numpy as np

    out = {}
    for name, x in (("cost", np.asarray(cost, float)), ("qalys", np.asarray(qalys, float))):
        cols = {s: x[:, k] for k, s in enumerate(STRATEGIES)} | {"incremental": x[:, 1] - x[:, 0]}
        for s, col in cols.items():
            se = float(col.std(ddof=1) / math.sqrt(len(col))) if len(col) > 1 else 0.0
            out[f"{name} {s}"] = (float(col.mean()), se)
    return out


def _point(cost, qalys) -> dict[str, tuple[float, float]]:
    return {f"{n} {s}": (float(x[k]), 0.0) for n, x in (("cost", cost), ("qalys", qalys)) for k, s in enumerate(STRATEGIES)}


class IpseconTool:
    """ipsecon's engines, called as benchmarks/run.py calls them."""

    name = "ipsecon"

    def __init__(self, ref: dict):
        import run as bench

        self.bench = bench
        self.sc = bench._load(REFERENCE)

    def deterministic(self):
        from ipsecon.engines.simulate import simulate

        def call():
            tot = simulate(self.sc, engine="cohort", trace=False).reward_totals()
            return _point(tot["cost"][0], tot["qalys"][0])
        return call

    def psa(self, n: int, seed: int):
        from ipsecon.engines.simulate import simulate

        def call():
            values, _ = self.bench._values(self.sc, n, seed)
            tot = simulate(self.sc, engine="cohort", values=values, n_samples=n, trace=False).reward_totals()
            return _summary(tot["cost"], tot["qalys"])
        return call

    def microsim(self, n: int, seed: int):
        from ipsecon.engines.simulate import simulate

        self.bench._warm_microsim(self.sc)

        def call():
            sim = simulate(self.sc, engine="microsim", individuals=n, seed=seed)
            tot, se = sim.reward_totals(), sim.reward_standard_errors()
            return {f"{r} {s}": (float(tot[r][0, k]), float(se[r][0, k]))
                    for r in ("cost", "qalys") for k, s in enumerate(STRATEGIES)}
        return call


class PyheorTool:
    """pyheor 0.4: MarkovModel and MicroSimModel with per-cycle rewards. Dirichlet rows cannot be scalar
    parameters in pyheor, so each row is drawn as independent Gamma(alpha_j, 1) parameters normalised in
    the transition function (the standard construction of a Dirichlet)."""

    name = "pyheor"

    def __init__(self, ref: dict):
        import pyheor as ph

        self.ph, self.ref = ph, ref
        self.month = ph.Cycle(1, "month")
        self.rate = (1 + ref["discount"]) ** ref["cycle_years"] - 1  # effective rate per cycle
        self.factor = (1 + ref["discount"]) ** -ref["cycle_years"]  # pyheor's first cycle is undiscounted

    def _build(self, cls, probabilistic: bool, **kw):
        import numpy as np

        ph, ref, d = self.ph, self.ref, self.ref["dist"]
        states = ref["states"]
        m = cls(states=states, strategies=list(STRATEGIES), n_cycles=ref["months"], cycle=self.month,
                dr_cost=self.rate, dr_qaly=self.rate, method="end", initial_state="E", **kw)
        for i, s in enumerate(states[:4]):
            for j, t in enumerate(states):
                a = d["alpha"][i, j]
                # point value: the YAML's probability (gamma weights proportional to it)
                m.add_param(f"g_{s}{t}", base=ref["P"][i, j], dist=ph.Gamma(shape=a, rate=1.0) if probabilistic else None)
            m.add_param(f"c_{s}", base=ref["cost"][i], dist=ph.Gamma(mean=d["cost_mean"][i], sd=d["cost_sd"][i])
                        if probabilistic else None)
            m.add_param(f"u_{s}", base=ref["utility"][i], dist=ph.Beta(mean=d["utility_mean"][i], sd=d["utility_sd"][i])
                        if probabilistic else None)
        m.add_param("rr", base=ref["rr"], dist=ph.LogNormal(meanlog=d["rr_meanlog"], sdlog=d["rr_sdlog"])
                    if probabilistic else None)
        m.add_param("c_int", base=ref["cost_int"], dist=ph.Gamma(mean=d["cost_int_mean"], sd=d["cost_int_sd"])
                    if probabilistic else None)

        def matrix(p, strategy):
            P = np.zeros((5, 5))
            for i, s in enumerate(states[:4]):
                row = np.array([p[f"g_{s}{t}"] for t in states])
                P[i] = row / row.sum()
            P[4, 4] = 1.0
            if strategy == "intervention":  # A->E x rr, staying in A the complement
                P[1, 0] *= p["rr"]
                P[1, 1] = 1.0 - (P[1].sum() - P[1, 1])
            return P

        # pyheor counts a callback's arguments to decide what to pass: closures, not default arguments
        def transitions(strategy):
            return lambda p, t: matrix(p, strategy)

        def param(name, scale=None):
            return (lambda p: p[name]) if scale is None else (lambda p: ph.qaly(p[name], scale))

        for strategy in STRATEGIES:
            m.set_transitions(strategy, transitions(strategy))
        # the intervention's extra cost in A is a second cost category, as a peer user would write it
        m.set_state_cost("state", {s: param(f"c_{s}") for s in states[:4]})
        m.set_state_cost("programme", {"usual": {}, "intervention": {"A": param("c_int")}})
        m.set_state_qaly("health", {s: param(f"u_{s}", self.month) for s in states[:4]})
        return m

    def deterministic(self):
        m = self._build(self.ph.MarkovModel, False)

        def call():
            base = m.run_base_case()
            tot = [base._totals(s) for s in STRATEGIES]
            return _point([t[0] * self.factor for t in tot], [t[1] * self.factor for t in tot])
        return call

    def psa(self, n: int, seed: int):
        import numpy as np

        m = self._build(self.ph.MarkovModel, True)

        def call():
            res = m.run_psa(n_sim=n, seed=seed, progress=False)
            cost = np.array([[sum(r[s]["total_costs"].values()) for s in STRATEGIES] for r in res.psa_results])
            qalys = np.array([[r[s]["total_qalys"] for s in STRATEGIES] for r in res.psa_results])
            return _summary(cost * self.factor, qalys * self.factor)
        return call

    def microsim(self, n: int, seed: int):
        m = self._build(self.ph.MicroSimModel, False, n_patients=n)

        def call():
            res = m.run_base_case(seed=seed, verbose=False)
            out = {}
            for k, s in enumerate(STRATEGIES):
                for name, key in (("cost", "total_cost"), ("qalys", "total_qalys")):
                    x = res.results[s][key] * self.factor
                    out[f"{name} {s}"] = (float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x))))
            return out
        return call


class HeormodelTool:
    """heormodel 0.7: MarkovModel and MicrosimModel.discrete over a ParameterSet (Dirichlet rows expand to
    columns p_E[E], p_E[A], ...); run sequentially on one core."""

    name = "heormodel"

    def __init__(self, ref: dict):
        import numpy as np

        self.ref = ref
        self.t_cost = np.zeros((ref["months"] + 1, 5))  # per point; point 0 (the start) counts nothing
        self.t_qaly = np.zeros((ref["months"] + 1, 5))

    def _columns(self):
        return [f"p_{s}[{t}]" for s in self.ref["states"][:4] for t in self.ref["states"]] + \
               [f"c_{s}" for s in self.ref["states"][:4]] + [f"u_{s}" for s in self.ref["states"][:4]] + ["rr", "c_int"]

    def _arrays(self, p, intervention):
        import numpy as np

        st = self.ref["states"]
        P = np.zeros((5, 5))
        for i, s in enumerate(st[:4]):
            P[i] = [p[f"p_{s}[{t}]"] for t in st]
        P[4, 4] = 1.0
        cost = np.array([p[f"c_{s}"] for s in st[:4]] + [0.0])
        if intervention == "intervention":
            P[1, 0] *= p["rr"]
            P[1, 1] = 1.0 - (P[1].sum() - P[1, 1])
            cost[1] += p["c_int"]
        util = np.array([p[f"u_{s}"] for s in st[:4]] + [0.0]) * self.ref["cycle_years"]
        return P, cost, util

    def _point_draws(self):
        import numpy as np
        import pandas as pd

        st, ref = self.ref["states"], self.ref
        row = {f"p_{s}[{t}]": ref["P"][i, j] for i, s in enumerate(st[:4]) for j, t in enumerate(st)}
        row |= {f"c_{s}": ref["cost"][i] for i, s in enumerate(st[:4])}
        row |= {f"u_{s}": ref["utility"][i] for i, s in enumerate(st[:4])}
        row |= {"rr": ref["rr"], "c_int": ref["cost_int"]}
        return pd.DataFrame({k: [float(v)] for k, v in row.items()}, index=pd.RangeIndex(1, name="iteration")) \
            .astype(np.float64)

    def _cohort(self):
        from heormodel.models import CohortSpec, MarkovModel

        def tr(p, intervention):
            P, cost, util = self._arrays(p, intervention)
            c, q = self.t_cost.copy(), self.t_qaly.copy()
            c[1:], q[1:] = cost, util
            return CohortSpec(P, c, q)

        return MarkovModel(states=tuple(self.ref["states"]), interventions=STRATEGIES, transitions_and_rewards=tr,
                           n_cycles=self.ref["months"], initial_state="E", cycle_length=self.ref["cycle_years"],
                           discount_rate=self.ref["discount"], cycle_correction="none")

    def _outcomes(self, outcomes):
        import numpy as np

        data = outcomes.data
        cost = np.column_stack([data.loc[s, "cost"].to_numpy() for s in STRATEGIES])
        qalys = np.column_stack([data.loc[s, "qaly"].to_numpy() for s in STRATEGIES])
        return cost, qalys

    def deterministic(self):
        engine, draws = self._cohort(), self._point_draws()

        def call():
            cost, qalys = self._outcomes(engine.evaluate(draws))
            return _point(cost[0], qalys[0])
        return call

    def psa(self, n: int, seed: int):
        from heormodel.params import Beta, Dirichlet, Gamma, LogNormal, ParameterSet
        from heormodel.run import SeedManager, run_psa

        d, st = self.ref["dist"], self.ref["states"]
        dists = {f"p_{s}": Dirichlet(tuple(float(a) for a in d["alpha"][i]), names=tuple(st)) for i, s in enumerate(st[:4])}
        for i, s in enumerate(st[:4]):
            mean, sd = d["cost_mean"][i], d["cost_sd"][i]
            dists[f"c_{s}"] = Gamma(shape=(mean / sd) ** 2, scale=sd ** 2 / mean)
            dists[f"u_{s}"] = Beta.from_mean_se(float(d["utility_mean"][i]), float(d["utility_sd"][i]))
        dists["rr"] = LogNormal(mu=d["rr_meanlog"], sigma=d["rr_sdlog"])
        dists["c_int"] = Gamma(shape=(d["cost_int_mean"] / d["cost_int_sd"]) ** 2,
                               scale=d["cost_int_sd"] ** 2 / d["cost_int_mean"])
        params, engine = ParameterSet(dists), self._cohort()

        def call():
            draws = params.sample(n, seed=SeedManager(seed).generator())
            cost, qalys = self._outcomes(run_psa(engine, draws, sequential=True, progress=False).outcomes)
            return _summary(cost, qalys)
        return call

    def microsim(self, n: int, seed: int):
        import numpy as np
        from heormodel.models import MicrosimModel
        from heormodel.run import run_psa

        cache: dict = {}

        def arrays(p, intervention):  # built once per arm, not in every cycle
            key = (intervention, tuple(p.to_numpy()))
            if key not in cache:
                cache.clear()
                cache[key] = self._arrays(p, intervention)
            return cache[key]

        def transition_probabilities(p, intervention, state, attrs, rng):
            return arrays(p, intervention)[0][state]

        def state_rewards(p, intervention, state, attrs):
            _, cost, util = arrays(p, intervention)
            counted = float(attrs["cycle"].iloc[0] > 0)  # point 0 (the start) counts nothing, as in ipsecon
            return cost[state] * counted, util[state] * counted

        engine = MicrosimModel.discrete(
            states=tuple(self.ref["states"]), transition_probabilities=transition_probabilities,
            state_rewards=state_rewards, interventions=STRATEGIES, n_cycles=self.ref["months"],
            cycle_length=self.ref["cycle_years"], discount_rate=self.ref["discount"], cycle_correction="none",
            n_individuals=n, initial_state="E")
        draws = self._point_draws()

        def call():
            ind = run_psa(engine, draws, seed=seed, collect="individuals", sequential=True, progress=False).individuals
            out = {}
            for s in STRATEGIES:
                rows = ind[ind["intervention"] == s]
                for name, col in (("cost", "cost"), ("qalys", "qaly")):
                    x = rows[col].to_numpy(dtype=np.float64)
                    out[f"{name} {s}"] = (float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x))))
            return out
        return call


PY_TOOLS = {"ipsecon": IpseconTool, "pyheor": PyheorTool, "heormodel": HeormodelTool}


# --- measuring ---------------------------------------------------------------------------------------

def best_of(call, repeat: int, max_repeat_seconds: float):
    """(best seconds, all seconds, last result): ``repeat`` runs, fewer once one run takes longer than
    ``max_repeat_seconds`` (a 2-minute PSA is timed once)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - t0)
        if times[-1] > max_repeat_seconds:
            break
    return min(times), times, out


def worker(tool: str, tasks: list[str], psa_samples: int, people: int, repeat: int, max_repeat_seconds: float) -> dict:
    """In this process: each task of one Python tool, engine calls timed."""
    ref = reference_inputs()
    t = PY_TOOLS[tool](ref)
    out = {}
    for task in tasks:
        if task == "microsim" and tool not in HAS_MICROSIM:
            continue
        make = {"deterministic": lambda n: t.deterministic(), "psa": lambda n: t.psa(n, PSA_SEED),
                "microsim": lambda n: t.microsim(n, MICROSIM_SEED)}[task]
        make(2 if task == "psa" else 100)()  # untimed warm-up: imports, caches, compiled kernels
        sec, times, res = best_of(make(psa_samples if task == "psa" else people), repeat, max_repeat_seconds)
        out[task] = {"seconds": sec, "times": times, "metrics": res}
    return out


def tiny(tool: str, task: str, people: int) -> int:
    """The whole-process script: read the model, run one task once, print its totals."""
    if tool == "ipsecon":  # ipsecon reads the YAML itself
        from ipsecon.engines.simulate import simulate
        from ipsecon.model.scenario import load_scenario

        sc = load_scenario(REFERENCE)
        sim = simulate(sc, engine="cohort" if task == "deterministic" else "microsim", individuals=people,
                       seed=MICROSIM_SEED, trace=False)
        res = {r: v[0].tolist() for r, v in sim.reward_totals().items()}
    else:
        ref = reference_inputs()
        t = PY_TOOLS[tool](ref)
        res = (t.deterministic() if task == "deterministic" else t.microsim(people, MICROSIM_SEED))()
    print(json.dumps(res, default=float))
    return 0


def r_available(tool: str) -> str | None:
    """Why an R peer cannot run here, or None."""
    rscript = shutil.which("Rscript")
    if not rscript:
        return "not installed (no Rscript on PATH)"
    proc = subprocess.run([rscript, "-e", f"suppressMessages(library({tool}))"], capture_output=True, text=True, check=False)
    return None if proc.returncode == 0 else f"not installed (R package {tool} does not load)"


def python_available(tool: str) -> str | None:
    return None if importlib.util.find_spec(tool) is not None else "not installed"


def write_r_inputs(ref: dict, path: Path) -> None:
    """The reference model's numbers as name,value lines for the R scripts (base R read.csv)."""
    st = ref["states"]
    d = ref["dist"]
    rows = [("months", ref["months"]), ("cycle_years", ref["cycle_years"]), ("discount", ref["discount"]),
            ("people", ref["people"]), ("rr", ref["rr"]), ("cost_int", ref["cost_int"]),
            ("rr_meanlog", d["rr_meanlog"]), ("rr_sdlog", d["rr_sdlog"]),
            ("cost_int_mean", d["cost_int_mean"]), ("cost_int_sd", d["cost_int_sd"])]
    for i, s in enumerate(st[:4]):
        rows += [(f"p_{s}_{t}", ref["P"][i, j]) for j, t in enumerate(st)]
        rows += [(f"alpha_{s}_{t}", d["alpha"][i, j]) for j, t in enumerate(st)]
        rows += [(f"cost_{s}", ref["cost"][i]), (f"cost_mean_{s}", d["cost_mean"][i]), (f"cost_sd_{s}", d["cost_sd"][i]),
                 (f"utility_{s}", ref["utility"][i]), (f"utility_mean_{s}", d["utility_mean"][i]),
                 (f"utility_sd_{s}", d["utility_sd"][i])]
    for strategy, G in zip(STRATEGIES, generators(ref)):  # hesim's individual-level model: rates per year
        rows += [(f"g_{strategy}_{s}_{t}", G[i, j]) for i, s in enumerate(st[:4]) for j, t in enumerate(st) if i != j]
    path.write_text("name,value\n" + "".join(f"{k},{float(v)!r}\n" for k, v in rows))


def r_script(tool: str) -> Path:
    return R_DIR / f"{tool}_reference.R"


def parse_r(stdout: str) -> dict:
    """Lines `RESULT task metric mean se` and `SECONDS task best all...` from an R script."""
    out: dict = {}
    for line in stdout.splitlines():
        f = line.split()
        if f[:1] == ["RESULT"] and len(f) == 6:
            out.setdefault(f[1], {}).setdefault("metrics", {})[f"{f[2]} {f[3]}"] = (float(f[4]), float(f[5]))
        elif f[:1] == ["SECONDS"] and len(f) >= 3:
            out.setdefault(f[1], {}).update(seconds=float(f[2]), times=[float(x) for x in f[3:]] or [float(f[2])])
    return out


def time_process(argv: list[str], env: dict, repeat: int = 3, warm: int = 1) -> dict:
    times = []
    for i in range(warm + repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            return {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}"}
        if i >= warm:
            times.append(time.perf_counter() - t0)
    return {"seconds": min(times), "times": times}


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        la = os.getloadavg()
        return f"load average: {la[0]:.2f}, {la[1]:.2f}, {la[2]:.2f}"


def one_thread_env() -> dict:
    import run as bench

    return {**bench.user_env(), **bench.ONE_THREAD}


# --- checks ------------------------------------------------------------------------------------------

def check_exact(metrics: dict, truth: dict, rel_tol: float = REL_TOL) -> tuple[bool, str]:
    worst = max(abs(metrics[k][0] - v) / abs(v) for k, v in truth.items())
    return worst <= rel_tol, f"largest relative difference from the closed form {worst:.1e} (tolerance {rel_tol:g})"


def check_mc(a: dict, b: dict, keys=None, z_tol: float = Z_TOL) -> tuple[bool, str]:
    """|a - b| < z_tol x combined SE on every key (b may be exact: SE 0)."""
    worst_key, worst = None, -1.0
    for k in keys or a:
        if k not in b:
            continue
        (x, sx), (y, sy) = a[k], b[k] if isinstance(b[k], tuple | list) else (b[k], 0.0)
        se = math.hypot(sx, sy)
        z = abs(x - y) / se if se > 0 else (0.0 if x == y else math.inf)
        if z > worst:
            worst_key, worst = k, z
    return worst < z_tol, f"largest |z| {worst:.2f} ({worst_key}; tolerance {z_tol:g})"


def line(status: bool | None, text: str) -> str:
    tag = "PASS" if status else "FAIL" if status is not None else "    "
    return f"  {tag}  {text}"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.3g}x"


# --- the run ---------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--psa-samples", type=int, default=1000, help="cohort PSA draws (default 1000)")
    ap.add_argument("--people", type=int, default=None, help="microsim people (default: the YAML's run.individuals)")
    ap.add_argument("--repeat", type=int, default=3, help="in-process and whole-process runs, best of (default 3)")
    ap.add_argument("--max-repeat-seconds", type=float, default=20.0,
                    help="an in-process run longer than this is not repeated (default 20)")
    ap.add_argument("--tools", default=",".join(TOOLS[1:]), help="peers to try (default: all four)")
    ap.add_argument("--json", default=str(HERE / "results" / "peers.json"), help="where to write the figures")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--tiny", nargs=2, metavar=("TOOL", "TASK"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    people = args.people or reference_inputs()["people"]
    if args.tiny:
        return tiny(*args.tiny, people)
    if args.worker:
        out = worker(args.worker, ["deterministic", "psa", "microsim"], args.psa_samples, people, args.repeat,
                     args.max_repeat_seconds)
        print("RESULT " + json.dumps(out, default=float))
        return 0

    peers = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(peers) - set(TOOLS[1:])
    if unknown:
        ap.error(f"unknown peer(s) {sorted(unknown)}; choose from {list(TOOLS[1:])}")
    print(f"Peers on the reference model ({REFERENCE.name}): deterministic cohort, cohort PSA of {args.psa_samples} "
          f"draws, microsim of {people:,} people; one core per tool")
    why = {t: (python_available(t) if t in PY_PEERS else r_available(t)) for t in peers}
    for t in peers:
        print(f"  {t:10s} " + (f"skipped: {why[t]}" if why[t] else "found"))
    ready = [t for t in peers if not why[t]]
    if not ready:
        print("no peer installed: nothing to compare (see benchmarks/README.md to install them)")
        return 0
    print(f"  load before: {uptime()}", flush=True)

    ref = reference_inputs()
    truth = exact(ref)
    env = one_thread_env()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="ipsecon-peers-") as tmp:
        r_inputs = Path(tmp) / "reference_inputs.csv"
        write_r_inputs(ref, r_inputs)
        for tool in ["ipsecon"] + ready:
            t0 = time.perf_counter()
            if tool in PY_TOOLS:
                argv_ = [sys.executable, str(Path(__file__).resolve()), "--worker", tool, "--psa-samples",
                         str(args.psa_samples), "--people", str(people), "--repeat", str(args.repeat),
                         "--max-repeat-seconds", str(args.max_repeat_seconds)]
                proc = subprocess.run(argv_, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
                got = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
                results[tool] = json.loads(got[-1][7:]) if proc.returncode == 0 and got else \
                    {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-400:]}"}
            else:
                argv_ = ["Rscript", str(r_script(tool)), str(r_inputs), "all", str(args.psa_samples), str(people),
                         str(args.repeat)]
                proc = subprocess.run(argv_, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
                results[tool] = parse_r(proc.stdout) if proc.returncode == 0 else \
                    {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-400:]}"}
            print(f"  {tool:10s} in-process runs done in {time.perf_counter() - t0:.1f} s"
                  + (f": ERROR {results[tool]['error']}" if "error" in results[tool] else ""), flush=True)

        whole: dict = {}
        for tool in ["ipsecon"] + ready:
            whole[tool] = {}
            for task in ("deterministic", "microsim"):
                if task == "microsim" and tool not in HAS_MICROSIM:
                    continue
                argv_ = ([sys.executable, str(Path(__file__).resolve()), "--tiny", tool, task, "--people", str(people)]
                         if tool in PY_TOOLS
                         else ["Rscript", str(r_script(tool)), str(r_inputs), task, "0", str(people), "1"])
                whole[tool][task] = time_process(argv_, env, repeat=args.repeat)
    load_after = uptime()

    # --- agreement ---
    print("\nAgreement (ground truth: closed form by matrix powers, "
          f"cost usual {truth['cost usual']:.6f}, intervention {truth['cost intervention']:.6f}, "
          f"QALYs {truth['qalys usual']:.9f} / {truth['qalys intervention']:.9f})")
    ok_all = True
    base = results.get("ipsecon", {})
    for tool in ["ipsecon"] + ready:
        r = results[tool]
        if "error" in r:
            print(line(False, f"{tool}: {r['error']}"))
            ok_all = False
            continue
        if tool in CONVENTIONS:
            print(f"  {tool}: conventions: {CONVENTIONS[tool]}")
        for task in ("deterministic", "psa", "microsim"):
            if task not in r or "metrics" not in r[task]:
                if task == "microsim" and tool not in HAS_MICROSIM:
                    print(line(None, f"{tool:10s} microsim: none in this tool"))
                else:
                    ok_all = False
                    print(line(False, f"{tool:10s} {task:13s} no result"))
                continue
            m = r[task]["metrics"]
            if task == "deterministic":
                ok, text = check_exact(m, truth)
            elif task == "psa":
                if tool == "ipsecon":
                    continue
                ok, text = check_mc(m, base["psa"]["metrics"])
                text = "means within MC error of ipsecon's: " + text
            else:
                ref_exact = exact_continuous(ref) if tool == "hesim" else truth
                ok, text = check_mc(m, {k: (v, 0.0) for k, v in ref_exact.items()})
                text = "means vs the exact value: " + text
                if tool != "ipsecon" and "microsim" in base and tool != "hesim":
                    ok2, text2 = check_mc(m, base["microsim"]["metrics"])
                    ok, text = ok and ok2, text + "; vs ipsecon's microsim: " + text2
            ok_all &= ok
            print(line(ok, f"{tool:10s} {task:13s} {text}"))

    # --- timings ---
    print("\nTimes (seconds; ratio = peer / ipsecon, > 1: ipsecon faster)")
    head = ("tool", "task", "in-process", "ratio", "whole process", "ratio")
    rows = [head]
    for tool in ["ipsecon"] + ready:
        for task in ("deterministic", "psa", "microsim"):
            r = results.get(tool, {}).get(task)
            w = whole.get(tool, {}).get(task)
            if r is None and w is None:
                continue
            ip = r["seconds"] if r else None
            ip_base = base.get(task, {}).get("seconds")
            wp = w.get("seconds") if w else None
            wp_base = whole.get("ipsecon", {}).get(task, {}).get("seconds")
            ip_s = f"{ip:.4g}" + (f" ({len(r['times'])} run)" if r and len(r["times"]) == 1 else "") if ip else "-"
            wp_s = f"{wp:.3f}" if wp else (w.get("error", "-")[:60] if w else "-")
            rows.append((tool, task, ip_s, ratio(ip, ip_base) if tool != "ipsecon" else "1",
                         wp_s, ratio(wp, wp_base) if tool != "ipsecon" and wp else ("1" if wp else "-")))
    widths = [max(len(str(x[i])) for x in rows) for i in range(len(head))]
    for i, row in enumerate(rows):
        print("  " + "  ".join(str(c).ljust(wd) for c, wd in zip(row, widths)).rstrip())
        if i == 0:
            print("  " + "  ".join("-" * wd for wd in widths))
    print(f"  load after: {load_after}")
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exact": truth, "in_process": results, "whole_process": whole,
                                "skipped": {t: w for t, w in why.items() if w}, "load_after": load_after,
                                "psa_samples": args.psa_samples, "people": people}, indent=2, default=float))
    print(f"\n{'all checks PASS' if ok_all else 'some checks FAIL'}; written {path}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
