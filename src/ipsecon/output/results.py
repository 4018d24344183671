"""Results as a labelled xarray Dataset with provenance, a tidy CSV, and a summary."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ipsecon import __version__
from ipsecon.engines import counting as accounting
from ipsecon.errors import InputError
from ipsecon.inputs.schema import Target
from ipsecon.engines.simulate import Simulation

SUMMARY_MONTHS = (6, 12, 18, 24, 60)


def _months(sim: Simulation) -> np.ndarray:
    # rounded so that e.g. 7 × (1/12) × 12 is 7.0 and matches the ledger's month coordinate
    return np.round(np.arange(sim.n_cycles + 1) * sim.scenario.model.cycle_years * 12, 9)


def measure(sim: Simulation, target: Target, file: str = "") -> float:
    """The model's value for a target: share in a state at month m, or ever in it by month m."""
    trace = sim.trace
    months_per_cycle = sim.scenario.model.cycle_years * 12
    point = int(round(target.month / months_per_cycle))
    if target.strategy not in trace.strategies:
        raise InputError(file, "targets", f"unknown strategy {target.strategy!r}", ", ".join(trace.strategies))
    if point > trace.n_cycles:
        raise InputError(file, "targets", f"target month {target.month} is beyond the horizon")
    k = trace.strategies.index(target.strategy)
    if target.measure == "in_state":
        if target.state not in trace.states:
            raise InputError(file, "targets", f"unknown state {target.state!r}", ", ".join(trace.states))
        return float(trace.population_occupancy()[0, k, point, trace.states.index(target.state)])
    if target.state not in trace.ever_states:
        raise InputError(file, "targets", f"state {target.state!r} is not listed in model.ever_in", ", ".join(trace.ever_states))
    return float(trace.population_ever()[0, k, point, trace.ever_states.index(target.state)])


def provenance(sim: Simulation) -> dict[str, str | int | float]:
    sc = sim.scenario
    used = {name: {"source": p.source, "evidence": p.evidence, "unit": p.unit, "file": sc.parameters.files.get(name, "")}
            for name, p in sc.parameters.params.items()}
    return {
        "scenario": sc.name,
        "scenario_title": sc.spec.title,
        "scenario_file": sc.file,
        "scenario_hash": sc.digest,
        "ipsecon_version": __version__,
        "engine": sim.trace.engine,
        "seed": int(sim.seed),
        "individuals": int(sim.individuals or 0),
        "horizon_years": float(sim.horizon_years),
        "cycle_years": float(sc.model.cycle_years),
        "counting": sc.model.spec.counting,
        "discount_rates": json.dumps(sc.model.spec.discount),
        "price_year": int(sc.spec.price_year),
        "overrides": json.dumps(sc.overrides),
        "parameter_sources": json.dumps(used, ensure_ascii=False),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def person_months(sim: Simulation) -> np.ndarray:
    """Undiscounted person-months per state [sample, strategy, state], by the model's counting convention."""
    tr = sim.trace
    v = np.ones(sim.n_cycles + 1)
    occ = accounting.cycle_occupancy(tr.occupancy, sim.scenario.model.spec.counting, v)
    return np.einsum("nkgts,g->nks", occ, tr.weights) * sim.scenario.model.cycle_years * 12


def to_dataset(sim: Simulation) -> xr.Dataset:
    tr = sim.trace
    sc = sim.scenario
    months = _months(sim)
    occ = tr.population_occupancy()
    coords = {"strategy": tr.strategies, "month": months, "state": tr.states}
    ds = xr.Dataset(coords=coords)
    sample_dims = ("sample",) if occ.shape[0] > 1 else ()
    take = (lambda a: a) if sample_dims else (lambda a: a[0])
    ds["occupancy"] = (sample_dims + ("strategy", "month", "state"), take(occ),
                       {"units": "share of the starting population", "long_name": "state occupancy at the end of each month"})
    if tr.ever_states:
        ds = ds.assign_coords(ever_state=tr.ever_states)
        ds["ever_in"] = (sample_dims + ("strategy", "month", "ever_state"), take(tr.population_ever()),
                         {"units": "share of the starting population", "long_name": "ever in the state by the end of each month"})
    ds = ds.assign_coords(transition=tr.transitions, cycle_month=months[1:])
    ds["flows"] = (sample_dims + ("strategy", "cycle_month", "transition"), take(tr.population_flows()),
                   {"units": "share of the starting population per cycle", "long_name": "transitions made during each cycle (by its end month)"})
    ds["person_months"] = (sample_dims + ("strategy", "state"), take(person_months(sim)),
                           {"units": "person-months per person", "long_name": "undiscounted time in each state"})
    rewards = list(sc.model.rewards)
    if rewards:
        ds = ds.assign_coords(reward=rewards)
        disc = sim.reward_totals(discounted=True)
        undisc = sim.reward_totals(discounted=False)
        ds["reward_discounted"] = (sample_dims + ("strategy", "reward"), take(np.stack([disc[r] for r in rewards], axis=-1)),
                                   {"units": "per person, in each reward's unit", "long_name": "discounted reward totals"})
        ds["reward_undiscounted"] = (sample_dims + ("strategy", "reward"), take(np.stack([undisc[r] for r in rewards], axis=-1)),
                                     {"units": "per person, in each reward's unit"})
        ds["reward_unit"] = ("reward", [sc.model.rewards[r]["unit"] for r in rewards])
        se = sim.reward_standard_errors()
        if se:
            ds["reward_mc_se"] = (sample_dims + ("strategy", "reward"), take(np.stack([se[r] for r in rewards], axis=-1)),
                                  {"units": "per person", "long_name": "Monte Carlo standard error of the discounted totals"})
    # not "months since …": xarray would try to decode that as calendar dates
    ds["month"].attrs.update(units="month", long_name="months since the strategy started")
    ds.attrs.update(provenance(sim))
    return ds


def summary_frame(sim: Simulation) -> pd.DataFrame:
    """Employment at key months, ever employed, person-months per state, reward totals; one row per strategy."""
    tr = sim.trace
    sc = sim.scenario
    months = _months(sim)
    occ = tr.population_occupancy()[0]
    rows = []
    emp = sc.model.employment_state
    pm = person_months(sim)[0]
    totals = sim.reward_totals(True)
    se = sim.reward_standard_errors()
    n = sim.individuals
    for k, strategy in enumerate(tr.strategies):
        row: dict[str, object] = {"strategy": strategy}
        for m in SUMMARY_MONTHS:
            idx = np.flatnonzero(np.isclose(months, m))
            if emp is not None and idx.size:
                p = float(occ[k, idx[0], emp])
                row[f"employed_m{m}"] = p
                if n:
                    row[f"employed_m{m}_se"] = float(np.sqrt(p * (1 - p) / n))
        if emp is not None and tr.states[emp] in tr.ever_states:
            e = tr.ever_states.index(tr.states[emp])
            for m in (12, 18):
                idx = np.flatnonzero(np.isclose(months, m))
                if idx.size:
                    row[f"ever_employed_m{m}"] = float(tr.population_ever()[0, k, idx[0], e])
        for s, name in enumerate(tr.states):
            row[f"person_months_{name}"] = float(pm[k, s])
        for r, v in totals.items():
            row[f"{r}_discounted"] = float(v[0, k])
            if se:
                row[f"{r}_discounted_se"] = float(se[r][0, k])
        rows.append(row)
    return pd.DataFrame(rows).set_index("strategy")


def tidy_frame(sim: Simulation) -> pd.DataFrame:
    """Long table for spreadsheets: one row per strategy × month × state."""
    ds = to_dataset(sim)
    df = ds["occupancy"].to_dataframe().reset_index()
    return df.rename(columns={"occupancy": "share"})


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o644)  # results are for sharing; mkstemp makes them private
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_results(sim: Simulation, out_dir: Path, extra: xr.Dataset | None = None) -> dict[str, Path]:
    """results.nc (NetCDF), occupancy.csv (tidy) and summary.csv; each written atomically."""
    ds = to_dataset(sim)
    if extra is not None:
        # outer join: the ledger has months 1..T, occupancy 0..T; keep attrs of both
        ds = xr.merge([ds, extra], join="outer", combine_attrs="drop_conflicts")
    paths = {"netcdf": out_dir / "results.nc", "csv": out_dir / "occupancy.csv", "summary": out_dir / "summary.csv"}
    _atomic_write(paths["netcdf"], lambda p: ds.to_netcdf(p, engine="h5netcdf"))
    _atomic_write(paths["csv"], lambda p: tidy_frame(sim).to_csv(p, index=False))
    _atomic_write(paths["summary"], lambda p: summary_frame(sim).to_csv(p))
    return paths


def target_rows(sim: Simulation) -> list[dict]:
    """The scenario's validation targets next to the model's values."""
    rows = []
    for t in sim.scenario.spec.targets:
        value = measure(sim, t, sim.scenario.file)
        rows.append({"measure": t.measure, "state": t.state, "strategy": t.strategy, "month": t.month,
                     "target": t.value, "model": value, "within_tolerance": abs(value - t.value) <= t.tolerance,
                     "source": t.source})
    return rows
