#!/usr/bin/env python
"""Issue 5 benchmarks: every figure, its target, pass/fail, and its ratio against a naive NumPy
implementation of the same model measured in the same run.

    python benchmarks/run.py            # the full figures (several minutes; the naive runs dominate)
    python benchmarks/run.py --quick    # reduced sizes, a smoke test (targets are not judged)
    python benchmarks/run.py --only cohort_psa,sobol
    python benchmarks/run.py --only whole_process --baseline-src /tmp/before/src   # start-up and the main command
    python benchmarks/run.py --only sweep_scaling   # strong scaling of a Dask sweep, 1 worker up to the cores

The whole-process section times each command as a user runs it (a fresh interpreter per run, best of
3 after one warm-up run, so numba's cache and the OS file cache are warm) and judges ``--version`` and
``simulate bodo`` with its report against their targets. Its baseline is the same commands run from
another ipsecon source tree in the same run (``--baseline-src``: e.g. a ``git worktree`` of an earlier
commit, its own scenarios and parameters), else the bare interpreter's start (the floor of any command).

Each figure runs twice in fresh subprocesses, once with ipsecon and once with the naive
baseline (benchmarks/naive.py), so that timings do not share a warm cache and the peak RSS
(``resource.getrusage(...).ru_maxrss``) of each is its own. Times are wall-clock seconds of the
measured section (after imports and a small warm-up that loads the numba kernels), the best of
``repeat`` runs where a figure says so. Results are printed and written to
benchmarks/results/latest.json (not committed: they depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE = HERE / "reference_5state.yaml"
IPS = ROOT / "scenarios" / "bodo.yaml"
# the sweep's scenario: closed (one run per sample); Bodø's open population runs its stock and each entry year
# per sample (7 microsim runs), so a sweep of it big enough to scale took an hour on one worker
SWEEP_SCENARIO = ROOT / "scenarios" / "norway_rct.yaml"
HORIZON_MONTHS = (60, 120, 240, 480)  # Sobol: incremental NPV at 5, 10, 20, 40 years
ONE_THREAD = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# full size, quick size
SIZES = {
    "throughput_people": (100_000, 10_000),
    "cohort_psa_samples": (1000, 200),
    "microsim_people": (10_000, 10_000),
    "microsim_psa_samples": (100, 5),
    "sobol_base": (1024, 32),
    "memory_people": (1_000_000, 100_000),
    "sweep_samples": (64, 16),  # × 2 overrides, 4 samples per unit: 32 units, 16 per worker at 2 (quick: 8 units)
    "sweep_people": (5_000, 2_000),
    "open_people": (50_000, 5_000),  # microsim people per entry-year run of the open Bodø population
    "psa_cohort_samples": (1000, 18),  # Bodø cohort PSA (issue 17: <= 500 MB); 9 samples per batch at 10 y
    "psa_microsim_samples": (100, 9),
    "psa_microsim_people": (10_000, 2_000),
    "sampling_samples": (10_000, 1_000),
}


def size(name: str, quick: bool) -> int:
    return SIZES[name][1 if quick else 0]


# --- measuring --------------------------------------------------------------------------------

def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def timed(fn, repeat: int = 1):
    """(best seconds, all seconds, result of the last call)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), times, out


def measured(info: dict, fn, repeat: int = 1):
    """Run ``fn`` (``timed``), record its best and all times and the peak RSS before and after in
    ``info``; return its result."""
    rss0 = peak_rss_mb()
    sec, times, out = timed(fn, repeat)
    info.update(seconds=sec, times=times, rss_before_mb=rss0, peak_rss_mb=peak_rss_mb())
    return out


def _mean_se(x):
    import numpy as np

    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0


def _naive():
    sys.path.insert(0, str(HERE))
    import naive

    return naive


def _values(scenario, n: int, seed: int):
    """Parameter draws as engine values: ipsecon.uncertainty.sampling when present, else each declared
    distribution's ppf on independent uniforms (the same mapping, done here)."""
    import numpy as np

    base = scenario.base_values()
    try:
        from ipsecon.uncertainty.sampling import draw_samples
    except ImportError:
        rng = np.random.default_rng(seed)
        values = dict(base)
        for name in scenario.parameters.names():
            d = scenario.parameters[name].distribution
            if d is None:
                continue
            v = d.ppf(rng.random((n, d.n_dims)) if d.type == "dirichlet" else rng.random(n))
            if isinstance(v, dict):
                values.update({f"{name}.{c}": a for c, a in v.items()})
            else:
                values[name] = v
        return values, "distributions.ppf (ipsecon.uncertainty.sampling not available)"
    return draw_samples(scenario, n, seed).values(base), "ipsecon.uncertainty.sampling.draw_samples"


def _load(path):
    from ipsecon.model.scenario import load_scenario

    return load_scenario(path)


def _warm_microsim(sc):
    from ipsecon.engines.simulate import simulate

    simulate(sc, engine="microsim", individuals=500, horizon_years=0.25)


# --- workers: one figure, one implementation, in this process ---------------------------------

def w_throughput(impl: str, quick: bool, model: str, kernel: str = "months") -> dict:
    """Microsim person-months per second on one core (the worker runs with one numba thread);
    ``kernel``: ipsecon's microsim kernel (``run_microsim(kernel=...)``)."""

    n = size("throughput_people", quick)
    path = IPS if model == "ips" else REFERENCE
    sc = _load(path)
    years = 10.0 if model == "ips" else 40.0
    months = int(round(years * 12))
    out: dict = {"people": n, "months": months, "strategies": 2}
    if impl == "ipsecon":
        from ipsecon.engines.simulate import simulate

        simulate(sc, engine="microsim", individuals=500, horizon_years=0.25, kernel=kernel)  # load the kernels
        sim = measured(out, lambda: simulate(sc, engine="microsim", individuals=n, horizon_years=years, kernel=kernel))
        tot, se = sim.reward_totals(), sim.reward_standard_errors()
        check = {f"{r} {s}": (float(tot[r][0, k]), float(se[r][0, k]))
                 for r in ("qalys" if model == "ips" else "cost",) for k, s in enumerate(sim.trace.strategies)}
    elif model == "ref":
        nv = _naive()
        nv.microsim(nv.point_parameters(), 0, 100, 1, months=2)
        res = measured(out, lambda: nv.microsim_totals(nv.point_parameters(), 0, n, 1, months=months))
        check = {f"cost {s}": _mean_se(res["cost"][:, k]) for k, s in enumerate(("usual", "intervention"))}
    else:
        res = measured(out, lambda: _naive_ips(sc, n, years, seed=1))
        check = {f"qalys {s}": _mean_se(res[s][:, list(sc.model.rewards).index("qalys")]) for s in sc.model.strategies}
    pm = n * months * 2
    out.update(person_months=pm, value=pm / out["seconds"], check=check)
    return out


def _naive_ips(sc, n: int, years: float, seed: int) -> dict:
    """The naive per-month loop on the IPS model's own probability tables (built by ipsecon; timed)."""
    import numpy as np

    from ipsecon.engines.microsim import point_weights
    from ipsecon.engines.simulate import horizon_cycles

    nv = _naive()
    model, strata, values = sc.model, sc.strata, sc.base_values()
    T, S, G = horizon_cycles(sc, years), model.n_states, strata.size
    assert not any(r["transitions"] for r in model.rewards.values()), "naive baseline ignores transition rewards"
    rng = np.random.default_rng(seed)
    stratum = rng.choice(G, size=n, p=strata.weight)
    mix = sc.start_mix(values)[0]
    state0 = np.minimum((rng.random(n)[:, None] >= np.cumsum(mix[stratum], axis=1)).sum(axis=1), S - 1)
    tr_index = np.full((S, S), -1, dtype=np.int64)
    for tr in model.transitions:
        tr_index[tr.source, tr.target] = tr.index
    year = sc.spec.population.start_year
    totals = {}
    for strategy in model.strategies:
        cycles = np.arange(T)
        ns = model.namespace(values, strata, year, strategy, cycles, 1)
        P = model.probabilities(ns, strategy, (1, G, T), strata, cycles)[0]
        rewards = model.reward_values(ns, (1, G, T))
        w_point = point_weights(model, {r: rewards[r]["states"][0] for r in model.rewards}, T)
        _, _, tot = nv.microsim_tables(P, model.next_duration, w_point, stratum, state0, seed + 1, tr_index,
                                       model.entry_index)
        del P
        totals[strategy] = tot
    return totals


def w_cohort_psa(impl: str, quick: bool) -> dict:
    """Cohort PSA, whole pipeline: draw samples, run both strategies over 480 months, discount, incremental."""
    import numpy as np

    n = size("cohort_psa_samples", quick)
    sc = _load(REFERENCE)
    info: dict = {"samples": n, "months": 480, "strategies": 2}
    if impl == "ipsecon":
        from ipsecon.engines.simulate import simulate

        simulate(sc, n_samples=1, trace=False)  # warm-up: imports and caches
        _values(sc, 2, seed=0)

        def run():
            values, sampler = _values(sc, n, seed=11)
            info["sampler"] = sampler
            # totals are all a PSA needs: the kernel adds them up and keeps no trace
            tot = simulate(sc, engine="cohort", values=values, n_samples=n, trace=False).reward_totals()
            return tot["cost"][:, 1] - tot["cost"][:, 0], tot["qalys"][:, 1] - tot["qalys"][:, 0]
    else:
        nv = _naive()

        def run():
            p = nv.sample_parameters(n, np.random.default_rng(11))
            cost, qaly = nv.cohort(p)
            return cost[:, 1] - cost[:, 0], qaly[:, 1] - qaly[:, 0]
    dc, dq = measured(info, run, repeat=3)
    info.update(check={"incremental cost": _mean_se(dc), "incremental QALYs": _mean_se(dq)})
    return info


def w_microsim(impl: str, quick: bool) -> dict:
    """Reference model microsim, 10,000 people × 480 months × 2 strategies, all cores."""
    n = size("microsim_people", quick)
    sc = _load(REFERENCE)
    info: dict = {"people": n, "months": 480, "strategies": 2}
    if impl == "ipsecon":
        from ipsecon.engines.simulate import simulate

        _warm_microsim(sc)

        def run():
            sim = simulate(sc, engine="microsim", individuals=n, seed=5)
            return sim.reward_totals()["cost"][0], sim.reward_standard_errors()["cost"][0]
    else:
        nv = _naive()
        nv.microsim(nv.point_parameters(), 0, 100, 1, months=2)

        def run():
            res = nv.microsim_totals(nv.point_parameters(), 0, n, 5)
            ms = [_mean_se(res["cost"][:, k]) for k in range(2)]
            return [m for m, _ in ms], [s for _, s in ms]
    cost, se = measured(info, run, repeat=3)
    info.update(check={f"cost {s}": (float(cost[k]), float(se[k])) for k, s in enumerate(("usual", "intervention"))})
    return info


def w_microsim_psa(impl: str, quick: bool) -> dict:
    """100 PSA samples of the 10,000-person microsim: time and peak RSS."""
    import numpy as np

    n_samples, n = size("microsim_psa_samples", quick), size("microsim_people", quick)
    sc = _load(REFERENCE)
    info: dict = {"samples": n_samples, "people": n, "months": 480, "strategies": 2}
    if impl == "ipsecon":
        from ipsecon.engines.simulate import simulate

        _warm_microsim(sc)

        def run():
            values, sampler = _values(sc, n_samples, seed=13)
            info["sampler"] = sampler
            tot = simulate(sc, engine="microsim", values=values, n_samples=n_samples, individuals=n, seed=5).reward_totals()
            return tot["cost"][:, 1] - tot["cost"][:, 0]
    else:
        nv = _naive()
        nv.microsim(nv.point_parameters(), 0, 100, 1, months=2)

        def run():
            p = nv.sample_parameters(n_samples, np.random.default_rng(13))
            return np.array([np.subtract(*nv.microsim(p, i, n, 5)[0][::-1]) for i in range(n_samples)])
    dc = measured(info, run)
    info.update(check={"incremental cost (mean over samples)": _mean_se(dc)})
    return info


def sobol_factors(sc):
    """20 factors: the 16 off-diagonal monthly probabilities (Beta marginals of their Dirichlet rows;
    staying takes the complement), the A->E ratio, the intervention's cost, and the cost and
    utility of A. The other 6 uncertain values (costs and utilities of E, D, U) stay at their means."""
    from scipy import stats

    out = []
    for row in "EADU":
        alpha = sc.parameters[f"ref.p.{row}"].distribution.alpha
        total = sum(alpha.values())
        for to, a in alpha.items():
            if to != row:
                out.append((f"ref.p.{row}.{to}", stats.beta(a, total - a)))
    for name in ("ref.rr_AE", "ref.cost.intervention", "ref.cost.A", "ref.utility.A"):
        out.append((name, sc.parameters[name].distribution.frozen()))
    assert len(out) == 20
    return out


def w_sobol(impl: str, quick: bool) -> dict:
    """Sobol indices (first, total, second order) of the incremental NPV at 5/10/20/40 years:
    SALib Saltelli design, the model on every row, SALib analysis for each horizon."""
    import numpy as np
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    N = size("sobol_base", quick)
    sc = _load(REFERENCE)
    factors = sobol_factors(sc)
    names = [f for f, _ in factors]
    problem = {"num_vars": len(factors), "names": names, "bounds": [[0.0, 1.0]] * len(factors)}
    wtp = sc.base_values()["ref.wtp"]
    info: dict = {"factors": len(factors), "base_samples": N, "horizons_years": [h / 12 for h in HORIZON_MONTHS]}
    parts: dict = {}
    if impl == "ipsecon":
        from ipsecon.engines.simulate import simulate

        simulate(sc, n_samples=1)
        batch = 1024
        info["batch"] = batch

        def model(X):
            base = sc.base_values()
            Y = np.empty((len(X), len(HORIZON_MONTHS)))
            idx = np.array(HORIZON_MONTHS) - 1
            for a in range(0, len(X), batch):
                rows = X[a:a + batch]
                values = dict(base)
                values.update({name: rows[:, j] for j, name in enumerate(names)})
                sim = simulate(sc, engine="cohort", values=values, n_samples=len(rows))
                npv = wtp * sim.reward_series("qalys") - sim.reward_series("cost")  # [sample, strategy, month]
                Y[a:a + batch] = np.cumsum(npv[:, 1] - npv[:, 0], axis=-1)[:, idx]
            return Y
    else:
        nv = _naive()

        def model(X):
            p = nv.point_parameters()
            n = len(X)
            P = np.repeat(p["P"], n, axis=0)
            for j, name in enumerate(names[:16]):
                _, _, row, to = name.split(".")
                P[:, nv.STATES.index(row), nv.STATES.index(to)] = X[:, j]
            for s in range(4):
                P[:, s, s] = 0.0
                P[:, s, s] = 1.0 - P[:, s].sum(axis=1)
            cost = np.repeat(p["cost"], n, axis=0)
            cost[:, nv.A] = X[:, names.index("ref.cost.A")]
            utility = np.repeat(p["utility"], n, axis=0)
            utility[:, nv.A] = X[:, names.index("ref.utility.A")]
            params = {"P": P, "rr": X[:, names.index("ref.rr_AE")], "cost": cost,
                      "cost_int": X[:, names.index("ref.cost.intervention")], "utility": utility}
            c, q = nv.cohort(params, horizons=HORIZON_MONTHS)  # [sample, strategy, horizon]
            npv = wtp * q - c
            return npv[:, 1] - npv[:, 0]

    def run():
        t0 = time.perf_counter()
        U = np.clip(sobol_sample.sample(problem, N, calc_second_order=True, seed=17), 1e-10, 1 - 1e-10)
        X = np.column_stack([dist.ppf(U[:, j]) for j, (_, dist) in enumerate(factors)])
        t1 = time.perf_counter()
        Y = model(X)
        t2 = time.perf_counter()
        res = [sobol_analyze.analyze(problem, Y[:, h], calc_second_order=True, seed=19) for h in range(Y.shape[1])]
        t3 = time.perf_counter()
        parts.update(sample_s=t1 - t0, model_s=t2 - t1, analyze_s=t3 - t2, evaluations=len(X))
        return Y, res
    Y, res = measured(info, run)
    top = {f"{h // 12}y": names[int(np.argmax(r["ST"]))] for h, r in zip(HORIZON_MONTHS, res)}
    info.update(parts, top_total_index=top,
                check={f"incremental NPV {h // 12}y (mean)": (float(Y[:, i].mean()), 0.0) for i, h in enumerate(HORIZON_MONTHS)})
    return info


def w_memory(impl: str, quick: bool) -> dict:
    """1,000,000 individuals × 480 months microsim on the IPS model (bodo, 40 years): peak RSS."""
    n = size("memory_people", quick)
    sc = _load(IPS)
    info: dict = {"people": n, "months": 480, "strategies": 2, "model": "IPS (scenarios/bodo.yaml)"}
    if impl == "ipsecon":
        from ipsecon.engines.simulate import simulate

        _warm_microsim(sc)
        sim = measured(info, lambda: simulate(sc, engine="microsim", individuals=n, horizon_years=40.0))
        tot, se = sim.reward_totals(), sim.reward_standard_errors()
        check = {f"qalys {s}": (float(tot["qalys"][0, k]), float(se["qalys"][0, k])) for k, s in enumerate(sim.trace.strategies)}
    else:
        res = measured(info, lambda: _naive_ips(sc, n, 40.0, seed=1))
        q = list(sc.model.rewards).index("qalys")
        check = {f"qalys {s}": _mean_se(res[s][:, q]) for s in sc.model.strategies}
    info.update(check=check)
    return info


# A batch sweep big enough that the work (about 55 s on one core at full size) dominates the fixed
# cost of `ipsecon sweep` (imports, reading the scenarios, starting the cluster, loading the
# compiled kernels in each worker, closing: about 6 s), with an even number of equal units (under
# 2 s each), 16 per worker at 2 workers. Resize when the engine gets faster.
SWEEP_YAML = """\
title: benchmark sweep (benchmarks/run.py)
scenarios: [{scenario}]
overrides:
  base: {{}}
  no_decay: {{structure: no_decay}}
samples: {{n: {n}, seed: 7}}
horizons: [5, 10, 20, 40]
engine: microsim
individuals: {people}
chunk_size: 4
"""


def _busy_cpu_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat; NaN elsewhere)."""
    try:
        f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return float("nan")
    return (sum(f) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def _children_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)  # the sweep and its reaped workers
    return r.ru_utime + r.ru_stime


def sweep_worker_counts() -> tuple[str, ...]:
    """1, 2, 4, 8, … local workers up to the usable cores, and the cores themselves (strong scaling)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    counts = {1, min(2, cores), cores} | {w for w in (4, 8, 16, 32, 64) if w <= cores}
    return tuple(str(w) for w in sorted(counts))


def w_sweep(impl: str, quick: bool) -> dict:
    """`ipsecon sweep` wall time with ``impl`` local Dask workers, the whole command (start-up
    included), and the seconds from the workers being up to the last unit written (``compute_seconds``,
    from the command's JSON). An untimed in-process sweep first brings numba's on-disk cache up to
    date, so that no timed run compiles the kernels (their workers load them)."""
    try:
        import ipsecon.sweep.run  # noqa: F401
    except ImportError:
        return {"unavailable": "not available: sweep not built yet"}
    n = size("sweep_samples", quick)
    people = size("sweep_people", quick)
    workers = int(impl)
    tmp = Path(tempfile.mkdtemp(prefix="ipsecon-bench-sweep-"))
    try:
        exe = Path(sys.executable).with_name("ipsecon")
        warm = tmp / "warm.yaml"
        warm.write_text(SWEEP_YAML.format(scenario=SWEEP_SCENARIO, n=1, people=100))
        proc = subprocess.run([str(exe), "sweep", str(warm), "--workers", "0", "--out", str(tmp / "warm"), "--quiet"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            return {"unavailable": f"ipsecon sweep failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[-400:]}"}
        spec = tmp / "bench_sweep.yaml"
        spec.write_text(SWEEP_YAML.format(scenario=SWEEP_SCENARIO, n=n, people=people))
        cmd = [str(exe), "sweep", str(spec), "--workers", str(workers), "--out", str(tmp / "out"), "--quiet",
               "--format", "json"]
        load0 = os.getloadavg()[0]
        busy0, ours0 = _busy_cpu_seconds(), _children_cpu_seconds()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=user_env())
        sec = time.perf_counter() - t0
        ours = _children_cpu_seconds() - ours0
        # cores that other processes kept busy meanwhile: the 2-worker run needs both cores
        others = max(0.0, _busy_cpu_seconds() - busy0 - ours) / sec
        if proc.returncode != 0:
            return {"unavailable": f"ipsecon sweep failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[-400:]}"}
        try:
            compute = float(json.loads(proc.stdout)["compute_seconds"])
        except (ValueError, KeyError, TypeError):  # an ipsecon from before the JSON carried it
            compute = float("nan")
        return {"workers": workers, "samples": n, "overrides": 2, "people": people, "units": 2 * -(-n // 8),
                "seconds": sec, "compute_seconds": compute, "times": [sec], "cpu_seconds": ours, "other_cores": others,
                "load_average_1min": [load0, os.getloadavg()[0]],
                "command": " ".join(cmd), "output": proc.stdout.strip()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


OLD_MODEL_COMMIT = "010231b"  # the IPS model with constant hazards: no AAP clock, no tenure, one class


def _tree(impl: str) -> str | None:
    """Import ipsecon from this tree, or for the baseline column ('naive') from the tree given by --baseline-src
    (IPSECON_BASELINE_SRC, its src folder; its own scenarios beside it). Returns why not, or None."""
    if impl != "naive":
        return None
    src = os.environ.get("IPSECON_BASELINE_SRC")
    if not src:
        return "no --baseline-src: no baseline run"
    sys.path.insert(0, src)
    return None


def w_psa_memory(impl: str, quick: bool, engine: str) -> dict:
    """Bodø PSA as `ipsecon psa` runs it (draws, runs in batches, ledger, break-even wages, occupancy bands, value of
    information) at horizons 1.5, 5 and 10 years: the process's peak RSS, imports included (issue 17: <= 500 MB)."""
    why = _tree(impl)
    if why:
        return {"unavailable": why}
    import ipsecon
    from ipsecon.model.scenario import load_scenario
    from ipsecon.uncertainty.psa import run_psa

    micro = engine == "microsim"
    n = size("psa_microsim_samples" if micro else "psa_cohort_samples", quick)
    people = size("psa_microsim_people", quick) if micro else None
    tree = Path(ipsecon.__file__).resolve().parents[2]  # the tree's own scenarios and parameters
    sc = load_scenario(tree / "scenarios" / "bodo.yaml")
    info: dict = {"samples": n, "people": people, "engine": engine, "horizons": [1.5, 5, 10], "source": str(tree)}
    ds = measured(info, lambda: run_psa(sc, n, seed=1, engine=engine, individuals=people, quiet=True,
                                        horizons=(1.5, 5, 10)))
    inc = ds["inc_npv"].sel(perspective="society", horizon=10).values.ravel()
    info.update(check={"incremental NPV, society, 10 y (mean over samples)": _mean_se(inc)})
    return info


def w_sampling(impl: str, quick: bool) -> dict:
    """Drawing the reference model's PSA parameters (4 Dirichlet rows of 5 shares, 10 univariate): the random
    design as ipsecon draws it; 'naive' column: every column through its quantile function (gammaincinv per
    Dirichlet component), the path random designs took before issue 17 and LHS/Sobol' still take."""
    from ipsecon.uncertainty.sampling import draw_samples, from_uniforms, layout, uncertain_parameters, unit_draws

    n = size("sampling_samples", quick)
    sc = _load(REFERENCE)
    names = uncertain_parameters(sc)
    dims = len(layout(sc, names)[0])
    if impl == "ipsecon":
        def draw():
            return draw_samples(sc, n, seed=3)
    else:
        def draw():
            return from_uniforms(sc, names, unit_draws(n, dims, 3), seed=3, method="random")
    draw()  # warm-up: scipy's imports
    info: dict = {"samples": n, "columns": dims}
    s = measured(info, draw, repeat=5)
    x = s.table[:, s.columns.index("ref.p.A.E")]
    info.update(check={"p(A->E) (mean over samples)": _mean_se(x)})
    return info


def w_richer_model(impl: str, quick: bool) -> dict:
    """What the richer IPS model costs: Bodø microsim person-months per second on one core (10 years) and one
    cohort run (40 years), today's model (impl "ipsecon") against the model of OLD_MODEL_COMMIT ("naive"),
    the latter's scenario and parameter files taken from git and run by today's code."""
    from ipsecon.engines.simulate import simulate

    tmp = None
    try:
        if impl == "ipsecon":
            sc = _load(IPS)
        else:
            tmp = Path(tempfile.mkdtemp(prefix="ipsecon_old_model_"))
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", OLD_MODEL_COMMIT, "scenarios", "parameters"],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
            sc = _load(tmp / "scenarios" / "bodo.yaml")
        n = size("throughput_people", quick)
        years = 10.0
        out: dict = {"people": n, "months": int(years * 12), "strategies": 2, "strata": sc.strata.size,
                     "cells": int(sc.model.slots.sum()) if hasattr(sc.model, "slots") else None}
        _warm_microsim(sc)
        sim = measured(out, lambda: simulate(sc, engine="microsim", individuals=n, horizon_years=years))
        out["value"] = n * years * 12 * 2 / out["seconds"]
        simulate(sc, engine="cohort", horizon_years=1)
        t0 = time.perf_counter()
        simulate(sc, engine="cohort", horizon_years=40)
        out["cohort_seconds"] = time.perf_counter() - t0
        emp = sim.trace.population_occupancy()[0, :, -1, sc.model.states.index("employed")]
        out["check"] = {}  # different models: nothing to agree on; the employment share is shown for context
        out["employed_10y"] = [float(x) for x in emp]
        return out
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def w_open_population(impl: str, quick: bool) -> dict:
    """The open Bodø population (stock and five entry years, issue 15), 10 years: the calendar-year results on
    top of the stock's run (impl "ipsecon") against the stock's closed run alone ("naive" column), with the
    cohort engine and with the microsim (people per run; peak memory stays that of one run: O(people))."""
    from ipsecon.economics.calendar_years import calendar_years
    from ipsecon.engines.simulate import simulate

    sc = _load(IPS)
    n = size("open_people", quick)
    out: dict = {"people_per_run": n, "months": 120}
    simulate(sc, horizon_years=1)
    _warm_microsim(sc)
    if impl == "ipsecon":
        cal = measured(out, lambda: calendar_years(simulate(sc, horizon_years=10)))
        out["micro_seconds"], _, micro = timed(lambda: calendar_years(simulate(sc, engine="microsim", individuals=n,
                                                                            horizon_years=10)))
        out["peak_rss_mb"] = peak_rss_mb()
        out["entry_years"] = int((cal.calendar_entrants.values[0] > 0).sum())  # 2015's entrants share the stock's run
        pub = lambda d: d.calendar_budget_impact.sel(strategy="ips", budget="public").values[0]  # noqa: E731
        out["public_impact_all_years"] = [float(pub(cal).sum()), float(pub(micro).sum())]
    else:
        measured(out, lambda: simulate(sc, horizon_years=10))
        out["micro_seconds"], _, _ = timed(lambda: simulate(sc, engine="microsim", individuals=n, horizon_years=10))
        out["peak_rss_mb"] = peak_rss_mb()
    out["check"] = {}  # different outputs: nothing to agree on (tests/test_open_population.py checks the numbers)
    return out


WORKERS = {
    "open_population": w_open_population,
    "richer_model": w_richer_model,
    "throughput_ips": lambda impl, quick: w_throughput(impl, quick, "ips"),
    "throughput_ref": lambda impl, quick: w_throughput(impl, quick, "ref"),
    # the events kernel ('ipsecon' column) against the months kernel ('naive' column), same run
    "events_ips": lambda impl, quick: w_throughput("ipsecon", quick, "ips", "events" if impl == "ipsecon" else "months"),
    "events_ref": lambda impl, quick: w_throughput("ipsecon", quick, "ref", "events" if impl == "ipsecon" else "months"),
    "cohort_psa": w_cohort_psa,
    "microsim_10k": w_microsim,
    "microsim_psa": w_microsim_psa,
    "sobol": w_sobol,
    "memory_1m": w_memory,
    "sweep": w_sweep,
    "psa_memory_cohort": lambda impl, quick: w_psa_memory(impl, quick, "cohort"),
    "psa_memory_microsim": lambda impl, quick: w_psa_memory(impl, quick, "microsim"),
    "sampling": w_sampling,
}


# --- the figures: what is printed -------------------------------------------------------------

def fmt_rate(x):
    return f"{x:.3g} pm/s"


FIGURES = [
    # name, title, implementations, env, rows: (label, metric, unit formatter, target text, pass test, ratio kind)
    ("throughput_ips", "microsim throughput, IPS model (bodo: 48 strata, AAP months tracker, 49 bins), 1 core",
     ("ipsecon", "naive"), ONE_THREAD,
     [("person-months/s/core", "value", fmt_rate, ">= 1e8", lambda v: v >= 1e8, "higher")]),
    ("throughput_ref", "microsim throughput, reference model, 1 core",
     ("ipsecon", "naive"), ONE_THREAD,
     [("person-months/s/core", "value", fmt_rate, ">= 1e8", lambda v: v >= 1e8, "higher")]),
    ("events_ips", "microsim events kernel (one draw per stay) vs the months kernel ('naive' column), IPS model, 1 core",
     ("ipsecon", "naive"), ONE_THREAD,
     [("person-months/s/core", "value", fmt_rate, "ratio >= 4 (issue 17)", None, "higher")]),
    ("events_ref", "microsim events kernel (one draw per stay) vs the months kernel ('naive' column), reference model, 1 core",
     ("ipsecon", "naive"), ONE_THREAD,
     [("person-months/s/core", "value", fmt_rate, "ratio >= 4 (issue 17)", None, "higher")]),
    ("cohort_psa", "cohort PSA 1000 samples x 480 months x 2 strategies (sampling+run+discounting)",
     ("ipsecon", "naive"), {},
     [("time", "seconds", lambda v: f"{v:.3g} s", "< 0.1 s", lambda v: v < 0.1, "lower")]),
    ("microsim_10k", "microsim 10,000 people x 480 months x 2 strategies (reference model)",
     ("ipsecon", "naive"), {},
     [("time", "seconds", lambda v: f"{v:.3g} s", "< 0.1 s", lambda v: v < 0.1, "lower")]),
    ("microsim_psa", "microsim PSA: 100 samples x 10,000 people x 480 months x 2 strategies",
     ("ipsecon", "naive"), {},
     [("time", "seconds", lambda v: f"{v:.3g} s", "< 5 s", lambda v: v < 5, "lower"),
      ("peak RSS", "peak_rss_mb", lambda v: f"{v:.0f} MB", "< 500 MB", lambda v: v < 500, "lower")]),
    ("sobol", "Sobol 20 factors, 1024 base samples (43,008 runs), cohort, NPV at 5/10/20/40 y",
     ("ipsecon", "naive"), {},
     [("time", "seconds", lambda v: f"{v:.3g} s", "< 60 s", lambda v: v < 60, "lower")]),
    ("memory_1m", "microsim 1,000,000 people x 480 months x 2 strategies (IPS model)",
     ("ipsecon", "naive"), {},
     [("peak RSS", "peak_rss_mb", lambda v: f"{v:.0f} MB", "< 1500 MB", lambda v: v < 1500, "lower"),
      ("time", "seconds", lambda v: f"{v:.3g} s", "", None, "lower")]),
    ("richer_model", f"the IPS model today (latent class, tenure, AAP clock) vs the constant-hazard model of "
     f"{OLD_MODEL_COMMIT} ('naive' column), Bodø, 1 core",
     ("ipsecon", "naive"), ONE_THREAD,
     [("microsim person-months/s/core, 10 y", "value", fmt_rate, "", None, "higher"),
      ("cohort run, 40 y", "cohort_seconds", lambda v: f"{v:.3g} s", "", None, "lower")]),
    ("open_population", "open population (issue 15): Bodø's stock and 5 entry years, 10 y, calendar-year results "
     "and budgets vs the stock's closed run alone ('naive' column)", ("ipsecon", "naive"), {},
     [("cohort: run + calendar years", "seconds", lambda v: f"{v:.3g} s", "", None, "lower"),
      ("microsim: run + calendar years", "micro_seconds", lambda v: f"{v:.3g} s", "", None, "lower"),
      ("microsim peak RSS", "peak_rss_mb", lambda v: f"{v:.0f} MB", "", None, "lower")]),
    ("psa_memory_cohort", "Bodø cohort PSA, 1000 samples, horizons 1.5/5/10 y, the whole `ipsecon psa` pipeline: peak RSS "
     "of the process ('naive' column: the same run from --baseline-src, when given)", ("ipsecon", "naive"), {},
     [("peak RSS", "peak_rss_mb", lambda v: f"{v:.0f} MB", "<= 500 MB", lambda v: v <= 500, "lower"),
      ("time", "seconds", lambda v: f"{v:.3g} s", "", None, "lower")]),
    ("psa_memory_microsim", "Bodø microsim PSA, 100 samples x 10,000 people, horizons 1.5/5/10 y, the whole `ipsecon "
     "psa` pipeline: peak RSS of the process ('naive' column: the same run from --baseline-src, when given)",
     ("ipsecon", "naive"), {},
     [("peak RSS", "peak_rss_mb", lambda v: f"{v:.0f} MB", "<= 500 MB", lambda v: v <= 500, "lower"),
      ("time", "seconds", lambda v: f"{v:.3g} s", "", None, "lower")]),
    ("sampling", "drawing 10,000 PSA samples of the reference model, random design ('naive' column: the quantile "
     "path, gammaincinv per Dirichlet component)", ("ipsecon", "naive"), {},
     [("time", "seconds", lambda v: f"{v:.3g} s", "", None, "lower")]),
    ("sweep", "ipsecon sweep strong scaling, 1 -> " + sweep_worker_counts()[-1] + " local Dask workers (IPS microsim, "
     f"norway_rct to 40 years: 2 overrides x {SIZES['sweep_samples'][0]} samples x {SIZES['sweep_people'][0]:,} people, "
     "4 samples a unit)", sweep_worker_counts(), {}, []),
]


def run_worker(name: str, impl: str, quick: bool, env: dict) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--impl", impl] + (["--quick"] if quick else [])
    load0 = os.getloadavg()[0]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env, "IPSECON_QUIET": "1"})
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-800:]}"}
    out = json.loads(lines[-1][len("RESULT "):])
    out["load_average_1min_before"] = load0
    out["load_average_1min_after"] = os.getloadavg()[0]
    return out


# --- whole processes: what a user waits for -----------------------------------------------------

WHOLE_PROCESS = [
    # label, arguments after `ipsecon` ({tmp}: a scratch folder), target in seconds (None: reported only)
    ("ipsecon --version", ["--version"], 0.3),
    ("ipsecon params caseload", ["params", "caseload"], None),
    ("ipsecon validate bodo", ["validate", "scenarios/bodo.yaml"], None),
    # the IPS model's own small run (1,178 tunnel cells, 8 states): reported; issue 17's small deterministic run
    # against the peers is the 5-state reference model they were timed on (reference_run_row)
    ("simulate norway_rct --no-report", ["simulate", "scenarios/norway_rct.yaml", "--no-report", "--quiet",
                                         "--out", "{tmp}/rct"], None),
    ("simulate bodo with its report", ["simulate", "scenarios/bodo.yaml", "--quiet", "--out", "{tmp}/bodo",
                                       "--reports", "{tmp}/reports"], 2.0),
]
CLI = "import sys; from ipsecon.cli import main; sys.exit(main())"  # what the `ipsecon` script runs
# the section names issue 17 uses: start-up and the main command are rows of whole_process
ALIASES = {"startup": "whole_process", "main_command": "whole_process", "sweep_scaling": "sweep"}


def user_env(env: dict | None = None) -> dict:
    """``env`` (default: this process's) as a user's shell has it: Python may write its bytecode cache (a shell or CI
    with PYTHONDONTWRITEBYTECODE set recompiles every module of every run; the warm-up run writes the cache)."""
    out = dict(os.environ if env is None else env)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def time_process(argv: list[str], cwd: Path, env: dict, repeat: int = 3, warm: int = 1) -> dict:
    """Wall-clock seconds of a whole process (start to exit), best of ``repeat`` after ``warm`` untimed runs,
    with its CPU seconds (user + system, all its threads: on a loaded machine the steadier figure) and the
    1-minute load average before and after."""
    load0 = os.getloadavg()[0]
    times, cpu = [], []
    for i in range(warm + repeat):
        before = _children_cpu_seconds()
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
        if i >= warm:
            times.append(time.perf_counter() - t0)
            cpu.append(_children_cpu_seconds() - before)
    return {"seconds": min(times), "times": times, "cpu_seconds": min(cpu), "cpu_times": cpu,
            "load_average_1min": [load0, os.getloadavg()[0]]}


# run as `python -c LISTED_CLI FILE args…`: the command, then the third-party modules it loaded (in import order) to FILE
LISTED_CLI = ("import sys, json, atexit; out = sys.argv.pop(1); atexit.register(lambda: open(out, 'w').write(json.dumps("
              "[m for m in list(sys.modules) if m.split('.')[0] not in sys.stdlib_module_names and not m.startswith("
              "('ipsecon', '_', '__main__'))]))); from ipsecon.cli import main; sys.exit(main())")
IMPORT_ALL = ("import importlib, json, sys\nfor m in json.load(open(sys.argv[1])):\n    try:\n"
              "        importlib.import_module(m)\n    except Exception:\n        pass")


def library_floor(argv: list[str], cwd: Path, env: dict, tmp: Path) -> dict:
    """The time a fresh interpreter takes to import the third-party modules the command loads (numpy, numba,
    pandas, xarray, matplotlib, …; listed by running it once), and nothing else: a floor under the command's
    whole-process time that no change inside ipsecon lowers, short of not loading a library."""
    listing = tmp / f"modules-{abs(hash(tuple(argv)))}.json"
    proc = subprocess.run([argv[0], "-c", LISTED_CLI, str(listing)] + argv[3:], cwd=cwd, env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0 or not listing.exists():
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    r = time_process([argv[0], "-c", IMPORT_ALL, str(listing)], cwd, env)
    r["modules"] = len(json.loads(listing.read_text()))
    return r


def cli_runs(src: Path, tmp: Path) -> dict[str, dict]:
    """Each WHOLE_PROCESS command run from the ipsecon sources in ``src`` (cwd: the tree holding them)."""
    env = {**user_env(), "PYTHONPATH": str(src), "IPSECON_QUIET": "1"}
    out = {}
    for label, args, _ in WHOLE_PROCESS:
        argv = [sys.executable, "-c", CLI] + [a.format(tmp=tmp / src.parent.name) for a in args]
        out[label] = time_process(argv, src.parent, env)
        r = out[label]
        shown = r.get("error") or (f"{r['seconds']:.3f} s (runs " + ", ".join(f"{t:.2f}" for t in r["times"])
                                   + f"; CPU {r['cpu_seconds']:.2f} s)")
        print(f"  {label:34s} {shown}  [{src}]", flush=True)
        if "error" not in r:
            tmp.mkdir(parents=True, exist_ok=True)
            r["library_floor"] = f = library_floor(argv, src.parent, env, tmp)
            shown = f.get("error") or f"{f['seconds']:.3f} s (CPU {f['cpu_seconds']:.2f} s) to import its {f['modules']} third-party modules"
            print(f"  {'':34s} floor: {shown}", flush=True)
    return out


ISSUE_PEER_SECONDS = 0.94  # issue 17: the fastest peer's whole deterministic run on a quiet machine of this kind (hesim)


def reference_run_row(quick: bool, tmp: Path) -> tuple[dict, dict]:
    """Issue 17, item 1: the small deterministic run the peers were compared on — the 5-state reference model,
    cohort at the point values (``peers.py --tiny TOOL deterministic``) — as a whole process, for ipsecon and every
    peer installed here, in the same run, one core each. Judged against the fastest peer measured; where none is
    installed, against the issue's figure (0.94 s, hesim on a quiet machine), which is then not re-measured."""
    import peers

    env = user_env(peers.one_thread_env())
    r_inputs = tmp / "reference_inputs.csv"
    peers.write_r_inputs(peers.reference_inputs(), r_inputs)
    times: dict[str, dict] = {}
    for tool in peers.TOOLS:
        why = None if tool == "ipsecon" else (peers.python_available(tool) if tool in peers.PY_TOOLS
                                               else peers.r_available(tool))
        if why:
            print(f"  {'reference model, ' + tool:34s} skipped: {why}")
            continue
        argv = ([sys.executable, str(HERE / "peers.py"), "--tiny", tool, "deterministic", "--people", "1000"]
                if tool in peers.PY_TOOLS else
                ["Rscript", str(peers.r_script(tool)), str(r_inputs), "deterministic", "0", "1000", "1"])
        times[tool] = r = time_process(argv, ROOT, env)
        shown = r.get("error") or f"{r['seconds']:.3f} s (runs " + ", ".join(f"{t:.2f}" for t in r["times"]) + \
            f"; CPU {r['cpu_seconds']:.2f} s)"
        print(f"  {'reference model, ' + tool:34s} {shown}", flush=True)
    mine = times["ipsecon"]
    ran = {t: r for t, r in times.items() if t != "ipsecon" and "seconds" in r}
    row = {"figure": "whole_process", "metric": "small deterministic run (reference model)"}
    if "error" in mine:
        row.update(value=None, shown=f"error: {mine['error'][-120:]}", status="ERROR", target="")
        return row, times
    v = mine["seconds"]
    if ran:
        fastest = min(ran, key=lambda t: ran[t]["seconds"])
        best = ran[fastest]["seconds"]
        row.update(target=f"<= {fastest} (fastest peer here)", naive=best,
                   naive_shown=f"{best:.3f} s (CPU {ran[fastest]['cpu_seconds']:.2f} s) ({fastest}, same run)")
    else:
        fastest, best = None, ISSUE_PEER_SECONDS
        row.update(target=f"<= {best:g} s (no peer installed: the issue's hesim figure)",
                   naive_shown="no peer installed (see benchmarks/README.md)")
    row.update(value=v, shown=f"{v:.3f} s (CPU {mine['cpu_seconds']:.2f} s)",
               status="n/a (quick)" if quick else ("PASS" if v <= best else "FAIL"))
    if fastest:
        row["ratio_vs_naive"] = best / v
        row["ratio_shown"] = f"{best / v:.3g}x faster" if best >= v else f"{v / best:.3g}x slower"
    return row, times


def whole_process_rows(quick: bool, baseline_src: str | None) -> tuple[list[dict], dict]:
    """Rows for the table (each command against its target and the baseline) and the raw timings."""
    with tempfile.TemporaryDirectory(prefix="ipsecon-bench-") as tmp:
        floor = time_process([sys.executable, "-c", "pass"], ROOT, user_env())
        print(f"  {'bare interpreter (python -c pass)':34s} {floor['seconds']:.3f} s")
        runs = cli_runs(ROOT / "src", Path(tmp))
        base = cli_runs(Path(baseline_src).resolve(), Path(tmp)) if baseline_src else None
        reference_row, reference_times = reference_run_row(quick, Path(tmp))
    rows = [reference_row]
    for label, _, target in WHOLE_PROCESS:
        r = runs[label]
        row = {"figure": "whole_process", "metric": label, "target": f"<= {target:g} s" if target else ""}
        if "error" in r:
            row.update(value=None, shown=f"error: {r['error'][-120:]}", status="ERROR")
            rows.append(row)
            continue
        v = r["seconds"]
        f = r.get("library_floor", {})
        floor_shown = f"; its libraries' imports alone {f['seconds']:.2f} s" if "seconds" in f else ""
        row.update(value=v, shown=f"{v:.3f} s (CPU {r['cpu_seconds']:.2f} s{floor_shown})", cpu_seconds=r["cpu_seconds"],
                   library_floor_seconds=f.get("seconds"),
                   status="-" if target is None else "n/a (quick)" if quick
                   else ("PASS" if v <= target else "FAIL"))
        b = base[label] if base else floor
        if "error" in b:
            row["naive_shown"] = f"error: {b['error'][-120:]}"
        else:
            row["naive"] = b["seconds"]
            row["naive_shown"] = f"{b['seconds']:.3f} s (CPU {b['cpu_seconds']:.2f} s)" + ("" if base else " (bare python)")
            ratio = b["seconds"] / v
            row["ratio_vs_naive"] = ratio
            row["ratio_shown"] = (f"{ratio:.3g}x faster" if ratio >= 1 else f"{1 / ratio:.3g}x slower") if base \
                else f"{v / b['seconds']:.3g}x the bare start"
        rows.append(row)
    load = [r.get("load_average_1min", [float("nan")] * 2) for r in runs.values()]
    print(f"  load average (1 min) during these runs: {min(x[0] for x in load):.2f}-{max(x[1] for x in load):.2f} "
          f"on {os.cpu_count()} cores")
    return rows, {"ipsecon": runs, "baseline": base, "baseline_src": baseline_src, "bare_interpreter": floor,
                  "reference_model": reference_times}


def agreement(a: dict, b: dict) -> str:
    """How far apart the two implementations' results are (z for Monte Carlo, relative if exact)."""
    parts = []
    for key in a.get("check", {}):
        if key not in b.get("check", {}):
            continue
        (x, sx), (y, sy) = a["check"][key], b["check"][key]
        se = math.hypot(sx, sy)
        if se > 0:
            parts.append(f"{key}: {x:.6g} vs {y:.6g} (z={(x - y) / se:+.1f})")
        else:
            parts.append(f"{key}: {x:.6g} vs {y:.6g} (rel {abs(x - y) / max(abs(y), 1e-300):.1e})")
    return "; ".join(parts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="reduced sizes (smoke test; targets not judged)")
    ap.add_argument("--only", default="", help="comma-separated figure names: " + ", ".join(f[0] for f in FIGURES)
                    + ", whole_process (also: " + ", ".join(f"{k} = {v}" for k, v in ALIASES.items()) + ")")
    ap.add_argument("--json", default=str(HERE / "results" / "latest.json"), help="where to write the results")
    ap.add_argument("--baseline-src", default=None,
                    help="whole_process: another ipsecon source tree (its src folder) timed in the same run as the baseline")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--impl", help=argparse.SUPPRESS)
    ap.add_argument("--peers", action="store_true",
                    help="only the peers: the reference model through each installed peer (pyheor, heormodel, hesim, "
                         "heemod) and ipsecon, answers checked, time ratios (benchmarks/peers.py; with --quick 200 "
                         "draws, 2,000 people)")
    args = ap.parse_args(argv)
    if args.peers:  # issue 17, item 7: a module of its own (benchmarks/peers.py), its own table
        sys.path.insert(0, str(HERE))
        import peers

        return peers.main(["--psa-samples", "200", "--people", "2000"] if args.quick else [])

    if args.baseline_src:  # the PSA memory figures' baseline column runs that tree (_tree)
        os.environ["IPSECON_BASELINE_SRC"] = str(Path(args.baseline_src).resolve())
    if args.worker:
        out = WORKERS[args.worker](args.impl, args.quick)
        print("RESULT " + json.dumps(out, default=float))
        return 0

    only = {ALIASES.get(s.strip(), s.strip()) for s in args.only.split(",") if s.strip()}
    names = [f[0] for f in FIGURES] + ["whole_process"]
    unknown = only - set(names)
    if unknown:
        ap.error(f"unknown figure(s) {sorted(unknown)}; choose from {names}")
    meta = machine_info(args.quick)
    print(f"ipsecon benchmarks ({'QUICK: reduced sizes, targets not judged' if args.quick else 'full'}) — "
          f"{meta['cpu_count']} cores, load average {meta['load_average'][0]:.2f} at start, {meta['commit']}, "
          f"sources {meta['source_sha256']}")
    results = []
    rows = []
    for name, title, impls, env, specs in FIGURES:
        if only and name not in only:
            continue
        print(f"\n[{name}] {title}", flush=True)
        runs = {}
        for impl in impls:
            t0 = time.perf_counter()
            runs[impl] = run_worker(name, impl, args.quick, env)
            r = runs[impl]
            state = r.get("error") or r.get("unavailable") or f"{r.get('seconds', float('nan')):.3g} s measured"
            rss = f"peak RSS {r['peak_rss_mb']:.0f} MB, " if "peak_rss_mb" in r else ""
            print(f"  {impl:8s} {state}  ({rss}wall incl. start-up {time.perf_counter() - t0:.1f} s)", flush=True)
        entry = {"name": name, "title": title, "runs": runs, "rows": []}
        if name == "sweep":
            entry["rows"] = sweep_rows(runs, args.quick)
        else:
            a, b = runs["ipsecon"], runs["naive"]
            agree = agreement(a, b)
            if agree:
                print(f"  results ipsecon vs naive: {agree}")
            for label, metric, show, target, test, better in specs:
                row = {"figure": name, "metric": label, "target": target}
                if "error" in a or metric not in a:
                    row.update(value=None, shown=f"error: {a.get('error', '?')[-200:]}", status="ERROR")
                else:
                    v = a[metric]
                    row.update(value=v, shown=show(v))
                    row["status"] = ("-" if test is None else "n/a (quick)" if args.quick else ("PASS" if test(v) else "FAIL"))
                    nb = b.get(metric) if "error" not in b else None
                    row["naive"] = nb
                    row["naive_shown"] = (show(nb) if nb is not None else b.get("unavailable")
                                          or f"error: {b.get('error', '?')[-200:]}")
                    if nb:
                        # > 1 means ipsecon is better: faster, or less memory
                        ratio = v / nb if better == "higher" else nb / v
                        row["ratio_vs_naive"] = ratio
                        good, bad = ("faster", "slower") if metric in ("value", "seconds", "cohort_seconds", "micro_seconds") else ("smaller", "larger")
                        row["ratio_shown"] = f"{ratio:.3g}x {good}" if ratio >= 1 else f"{1 / ratio:.3g}x {bad}"
                entry["rows"].append(row)
            entry["agreement"] = agree
        rows += entry["rows"]
        results.append(entry)

    if not only or "whole_process" in only:
        print("\n[whole_process] whole processes as a user runs them: start-up, the command, exit (best of 3, warm)",
              flush=True)
        wp_rows, wp = whole_process_rows(args.quick, args.baseline_src)
        rows += wp_rows
        results.append({"name": "whole_process", "title": "whole-process commands", "runs": wp, "rows": wp_rows})

    print()
    print_table(rows)
    meta["load_average_end"] = list(os.getloadavg())
    end = machine_info(args.quick)["source_sha256"]
    if end != meta["source_sha256"]:
        meta["source_sha256_end"] = end
        print(f"\nWARNING: ipsecon's sources changed during the run ({meta['source_sha256']} -> {end}); "
              "figures may mix code versions")
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "figures": results}, indent=2, default=float))
    print(f"\nwritten {path}")
    return 0


def sweep_rows(runs: dict, quick: bool) -> list[dict]:
    """Speed-up over one worker and strong-scaling efficiency (speed-up / workers) at each worker count,
    for the whole command and for the part after the workers are up; 2 workers are judged (>= 1.8x)."""
    one = runs.get("1", {})
    why = next((r.get("unavailable") or r.get("error") for r in runs.values() if r.get("unavailable") or r.get("error")),
               None)
    if why:
        print(f"  {why}")
        return [{"figure": "sweep", "metric": "speed-up 1 -> 2 workers", "target": ">= 1.8x", "value": None,
                 "shown": why[:120], "status": "N/A"}]
    rows = []
    # other processes on the machine take cores from the many-worker runs first: show how busy it was
    for w, r in runs.items():
        la = r.get("load_average_1min", [float("nan")] * 2)
        print(f"  {w} worker(s): {r['seconds']:.1f} s ({r.get('compute_seconds', float('nan')):.1f} s after start-up), "
              f"{r.get('cpu_seconds', float('nan')):.1f} CPU-s; other processes kept {r.get('other_cores', float('nan')):.2f} "
              f"cores busy; load average (1 min) {la[0]:.2f} before, {la[1]:.2f} after")
    for w, r in runs.items():
        if w == "1":
            continue
        n = int(w)
        s, c = one["seconds"] / r["seconds"], one.get("compute_seconds", math.nan) / r.get("compute_seconds", math.nan)
        judged = n == 2
        rows.append({"figure": "sweep", "metric": f"speed-up 1 -> {n} workers (whole command)",
                     "target": ">= 1.8x" if judged else "", "value": s,
                     "shown": f"{s:.2f}x ({one['seconds']:.1f} s -> {r['seconds']:.1f} s), efficiency {s / n:.0%}",
                     "status": ("n/a (quick)" if quick else ("PASS" if s >= 1.8 else "FAIL")) if judged else "-",
                     "naive_shown": "(1 worker is the baseline)", "ratio_vs_naive": s, "ratio_shown": f"{s:.3g}x faster"})
        rows.append({"figure": "sweep", "metric": f"speed-up 1 -> {n} workers (after start-up)", "target": "",
                     "value": c, "shown": f"{c:.2f}x, efficiency {c / n:.0%}", "status": "-",
                     "naive_shown": "(1 worker is the baseline)", "ratio_vs_naive": c, "ratio_shown": f"{c:.3g}x faster"})
        # what a busy machine cannot hide: the CPU the same sweep costs with more workers (their start-up, the
        # scheduler); n x this ratio bounds the speed-up a machine with n free cores could show
        cpu = one.get("cpu_seconds", math.nan) / r.get("cpu_seconds", math.nan)
        rows.append({"figure": "sweep", "metric": f"CPU-seconds 1 -> {n} workers", "target": "", "value": cpu,
                     "shown": f"{one.get('cpu_seconds', math.nan):.1f} -> {r.get('cpu_seconds', math.nan):.1f} CPU-s "
                              f"(work efficiency {cpu:.0%}, bound on {n} free cores {n * cpu:.2f}x)", "status": "-"})
    return rows


def print_table(rows: list[dict]) -> None:
    head = ("figure", "metric", "ipsecon", "target", "result", "baseline (naive NumPy; whole_process: --baseline-src)",
            "ipsecon vs baseline")
    table = [head] + [(r["figure"], r["metric"], r.get("shown", ""), r.get("target", ""), r.get("status", ""),
                       r.get("naive_shown", ""), r.get("ratio_shown", "")) for r in rows]
    widths = [max(len(str(t[i])) for t in table) for i in range(len(head))]
    for i, t in enumerate(table):
        print("  ".join(str(c).ljust(w) for c, w in zip(t, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def machine_info(quick: bool) -> dict:
    import numba
    import numpy

    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "unknown"
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # the commit does not say which uncommitted engine code ran: a digest of the package's sources does
    digest = hashlib.sha256()
    for f in sorted((ROOT / "src" / "ipsecon").glob("*.py")):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return {"date": dt.datetime.now().isoformat(timespec="seconds"), "quick": quick, "commit": commit,
            "source_sha256": digest.hexdigest()[:16],
            "cpu": cpu, "cpu_count": os.cpu_count(), "load_average": list(os.getloadavg()),
            "python": platform.python_version(), "numpy": numpy.__version__, "numba": numba.__version__,
            "platform": platform.platform(), "sizes": {k: size(k, quick) for k in SIZES}}


if __name__ == "__main__":
    sys.exit(main())
