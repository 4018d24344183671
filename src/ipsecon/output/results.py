"""A run as one labelled xarray Dataset (trace, ledger, economics, break-even wages, targets), its files and a summary."""

from __future__ import annotations

import datetime as dt

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ipsecon.economics import evaluation as economics_eval
from ipsecon.engines import counting as accounting
from ipsecon.engines import measures
from ipsecon.engines.simulate import Simulation
from ipsecon.output import calendar, mc_error, tables
from ipsecon.output.provenance import RUN_IDENTITY
from ipsecon.output.run_folder import RunFolder
from ipsecon.output.units import netcdf_bytes

SUMMARY_MONTHS = (6, 12, 18, 24, 60)


def _months(sim: Simulation) -> np.ndarray:
    # rounded so that e.g. 7 × (1/12) × 12 is 7.0 and matches the ledger's month coordinate
    return np.round(np.arange(sim.n_cycles + 1) * sim.scenario.model.cycle_years * 12, 9)


def person_months(sim: Simulation) -> np.ndarray:
    """Undiscounted person-months per state [sample, strategy, state], by the model's counting convention."""
    tr = sim.trace
    v = np.ones(sim.n_cycles + 1)
    occ = accounting.cycle_occupancy(tr.occupancy, sim.scenario.model.spec.counting, v)
    return tr.over_strata(occ).sum(axis=2) * sim.scenario.model.cycle_years * 12


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
            inc = sim.incremental_standard_errors()
            if inc:
                ds["reward_mc_se_incremental"] = (
                    sample_dims + ("strategy", "reward"), take(np.stack([inc[r] for r in rewards], axis=-1)),
                    {"units": "per person", "long_name": "Monte Carlo standard error of the discounted totals minus the "
                     "comparator's (paired: the same people and random numbers in every strategy; 0 for the comparator)"})
    # a microsim run's Monte Carlo error of every curve, from its person batches (mc_error)
    ds = ds.merge(mc_error.mc_error_dataset(sim, months), combine_attrs="no_conflicts")
    # not "months since …": xarray would try to decode that as calendar dates
    ds["month"].attrs.update(units="month", long_name="months since the strategy started")
    return ds


def summary_frame(sim: Simulation) -> pd.DataFrame:
    """Employment at key months, ever employed, person-months per state, reward totals; one row per strategy."""
    tr = sim.trace
    sc = sim.scenario
    months = _months(sim)
    occ = tr.population_occupancy()[0]
    rows = []
    emp = sc.model.employment_states or None  # one state, or a group's states (summed)
    pm = person_months(sim)[0]
    totals = sim.reward_totals(True)
    se = sim.reward_standard_errors()
    inc_se = sim.incremental_standard_errors()
    n = sim.individuals
    batches = mc_error.batch_occupancy(sim)  # a microsim run's person batches: the shares' SEs (else binomial)
    for k, strategy in enumerate(tr.strategies):
        row: dict[str, object] = {"strategy": strategy}
        for m in SUMMARY_MONTHS:
            idx = np.flatnonzero(np.isclose(months, m))
            if emp is not None and idx.size:
                p = float(occ[k, idx[0], emp].sum())
                row[f"employed_m{m}"] = p
                if batches is not None:
                    row[f"employed_m{m}_se"] = float(mc_error.batch_standard_error(batches[:, k, idx[0], emp].sum(axis=-1)))
                elif n:
                    row[f"employed_m{m}_se"] = float(np.sqrt(p * (1 - p) / n))
        if emp is not None and sc.model.employment_name in tr.ever_states:
            e = tr.ever_states.index(sc.model.employment_name)
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
            if inc_se and k != sc.model.comparator_index:
                row[f"{r}_discounted_incremental_se"] = float(inc_se[r][0, k])
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("strategy")
    _net_cost_per_participant(sim, frame)
    return frame


PUBLISHED_NET_COST = "ips.cost.published_net_cost_per_participant"


def _net_cost_per_participant(sim: Simulation, frame: pd.DataFrame) -> None:
    """IPS's undiscounted net programme cost per participant (incremental programme_cost over the horizon
    / the share of IPS users), beside the trial's published figure uprated with G to the price date (V3)."""
    sc = sim.scenario
    if "programme_cost" not in sc.model.rewards or PUBLISHED_NET_COST not in sc.parameters:
        return
    cost = sim.reward_totals(False)["programme_cost"][0]
    users = np.asarray(sc.strata.columns.get("ips_user", np.full(sc.strata.size, "yes"))) == "yes"
    share = float(sim.trace.sample_weights(1)[0][users].sum())
    k0 = sc.model.comparator_index
    values = sc.point_values()
    g = sc.parameters["rules.grunnbelop"]
    year = int(values["ips.cost.published_net_cost_g_date"])
    uprated = values[PUBLISHED_NET_COST] * g.at(sc.price_date) / g.at(dt.date(year, 5, 1))
    frame["net_programme_cost_per_participant"] = [np.nan if k == k0 or share <= 0 else float((cost[k] - cost[k0]) / share)
                                                   for k in range(len(frame))]
    frame["published_net_cost_per_participant"] = float(uprated)


def atomic_write(path: Path, write) -> None:
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


def with_economics(ds: xr.Dataset, ledger, summary: pd.DataFrame) -> xr.Dataset:
    """The ledger's flows, QALYs per month, the discount factor of each month's money and the
    outcomes per perspective and strategy, merged into a run's Dataset."""
    extra = xr.Dataset({"ledger": ledger.to_xarray()})
    coords = {k: extra["ledger"][k] for k in ("sample", "strategy", "month")}
    # QALYs per month (undiscounted, per person) so a report can draw society's net over time
    extra["qalys_per_month"] = xr.DataArray(ledger.qalys, dims=("sample", "strategy", "month"), coords=coords,
                                            attrs={"units": "QALYs per person per cycle, undiscounted",
                                                   "value_per_qaly": float(np.mean(ledger.qaly_value)),
                                                   "value_units": f"NOK ({ledger.price_year}) per QALY"})
    for kind in ("cost", "effect"):
        factors = economics_eval.cycle_discount_factors(ledger.n_cycles, ledger.cycle_years, ledger.discount[kind],
                                                        ledger.counting)
        extra[f"discount_factor_{kind}"] = xr.DataArray(factors, dims=("month",), coords={"month": coords["month"]},
                                                        attrs={"units": "1", "long_name": f"discount factor of each "
                                                               f"month's {'money' if kind == 'cost' else 'QALYs'}"})
    tidy = summary.set_index(["sample", "perspective", "strategy"]).to_xarray().isel(sample=0, drop=True)
    for name in tidy.data_vars:
        extra[f"outcome_{name}"] = tidy[name]
        extra[f"outcome_{name}"].attrs["units"] = OUTCOME_UNITS.get(name, f"NOK ({ledger.price_year}) per person, discounted")
    extra.attrs["willingness_to_pay_per_qaly"] = float(np.mean(ledger.qaly_value))
    # R-109/21 tax-financing cost in the society perspective (0: turned off, e.g. --set economics.mcpf=0)
    extra.attrs["tax_financing_cost_rate"] = float(np.mean(ledger.mcpf))
    # the discount every discounted figure used, in words (R-109/21's declining schedule unless turned off)
    extra.attrs["discounting"] = economics_eval.discounting_text(ledger.discount)
    # outer join: the ledger has months 1..T, occupancy 0..T; keep attrs of both
    return xr.merge([ds, extra], join="outer", combine_attrs="drop_conflicts")


OUTCOME_UNITS = {"bcr": "1", "roi": "1", "ratio_note": "text", "payback_month": "month", "qalys": "QALYs per person, discounted",
                 "employment_years": "years per person, discounted", "extra_employment_years": "years per person, discounted"}


def with_structure_outcomes(ds: xr.Dataset, outcomes: pd.DataFrame, wages: pd.DataFrame | None) -> xr.Dataset:
    """The structural alternatives' key outcomes beside the base case's: ``structure_incremental_npv``
    [structure, perspective, strategy] and ``structure_breakeven_wage`` [structure, perspective, strategy]
    at the run's horizon (with ``structure_npv_at_low``/``_high``, the NPV at the wage bracket's ends)."""
    extra = xr.Dataset()
    npv = outcomes.set_index(["structure", "perspective", "strategy"])["incremental_npv"].to_xarray()
    extra["structure_incremental_npv"] = npv.assign_attrs(
        units=OUTCOME_UNITS.get("incremental_npv", "NOK per person, discounted"),
        long_name="incremental NPV under each structural alternative (model.structures), same engine, seed and horizon")
    if wages is not None and not wages.empty:
        keyed = wages.rename(columns={"intervention": "strategy"}).set_index(["structure", "perspective", "strategy"])
        horizon = float(wages["horizon_years"].max())
        extra["structure_breakeven_wage"] = keyed["breakeven_wage"].to_xarray().assign_attrs(
            units="NOK per year (gross)", horizon_years=horizon)
        for end in ("low", "high"):  # NPV at the bracket's ends: why there is no wage (any wage, none, not wage-linked)
            extra[f"structure_npv_at_{end}"] = keyed[f"npv_at_{end}"].to_xarray().assign_attrs(
                units="NOK per person, discounted", horizon_years=horizon)
    return xr.merge([ds, extra], join="outer", combine_attrs="drop_conflicts")


def with_breakeven(ds: xr.Dataset, table: pd.DataFrame) -> xr.Dataset:
    """Break-even wages [intervention, perspective, horizon] with the reason where none breaks even."""
    one = breakeven_dataset(table).isel(scenario=0, drop=True)
    return ds.merge(one.rename(horizon_years="breakeven_horizon"), join="outer")


def breakeven_dataset(table: pd.DataFrame) -> xr.Dataset:
    """The break-even table as a Dataset [scenario, intervention, perspective, horizon_years]."""
    keys = ["scenario", "intervention", "perspective", "horizon_years"]
    cols = ["breakeven_wage", "npv_at_low", "npv_at_high", "reason"]
    cols += [c for c in ("programme_breakeven_wage", "programme_reason") if c in table]
    ds = xr.Dataset.from_dataframe(table.set_index(keys)[cols])
    ds["breakeven_wage"].attrs["units"] = "NOK per year (gross), price year of each scenario"
    ds["breakeven_wage"].attrs["long_name"] = "NPV break-even wage: the perspective's incremental NPV is zero"
    if "programme_breakeven_wage" in ds:  # seed 004: the employment effect carries IPS's running cost
        ds["programme_breakeven_wage"].attrs.update(
            units="NOK per year (gross), price year of each scenario",
            long_name="programme break-even wage: the perspective's gain from the employment effect equals "
                      "IPS's whole incremental running cost (no health value, no tax-financing cost)")
        ds["programme_reason"] = ds["programme_reason"].astype(str)
        ds["programme_reason"].attrs["units"] = "text"
    ds["npv_at_low"].attrs["units"] = ds["npv_at_high"].attrs["units"] = "NOK per person, discounted"
    ds["reason"] = ds["reason"].astype(str)
    ds["horizon_years"].attrs["units"] = "years"
    return ds.rename(reason="breakeven_reason", npv_at_low="breakeven_npv_at_low", npv_at_high="breakeven_npv_at_high",
                     **({"programme_reason": "programme_breakeven_reason"} if "programme_reason" in ds else {}))


def with_targets(ds: xr.Dataset, rows: list[dict]) -> xr.Dataset:
    """The scenario's published targets next to the model's values, with PASS/MISS (dim ``target``)."""
    if not rows:
        return ds
    frame = pd.DataFrame(rows)
    out = ds.assign_coords(target=frame["label"].astype(str).to_numpy())
    units = frame["unit"].astype(str)
    # one unit for the four value variables where all targets share it, else each target's in target_unit
    unit = units.iloc[0] if units.nunique() == 1 else "per target: see target_unit"
    out["target_published"] = ("target", frame["target"].to_numpy(float), {"units": unit})
    out["target_low"] = ("target", frame["low"].to_numpy(float), {"units": unit, "long_name": "low end of the "
                         "interval the model must fall in (published 95 % CI, ± 1.96 SE, or ± tolerance)"})
    out["target_high"] = ("target", frame["high"].to_numpy(float), {"units": unit})
    out["target_model"] = ("target", frame["model"].to_numpy(float), {"units": unit})
    out["target_unit"] = ("target", units.to_numpy(), {"units": "text"})
    out["target_verdict"] = ("target", frame["verdict"].astype(str).to_numpy(), {"units": "text"})
    out["target_measure"] = ("target", frame["measure"].astype(str).to_numpy(), {"units": "text"})
    out["target_role"] = ("target", frame["role"].astype(str).to_numpy(), {"units": "text"})
    out["target_within_tolerance"] = ("target", frame["within_tolerance"].to_numpy(bool))
    out["target_source"] = ("target", frame["source"].astype(str).to_numpy())
    return out


def write_results(result, out_dir: Path, excel: bool = False) -> dict[str, Path]:
    """results.nc (NetCDF), occupancy.csv (tidy), summary.csv, breakeven.csv (with break-even wages) and, with
    ``excel``, results.xlsx: one run folder written as a whole (:mod:`ipsecon.output.run_folder`)."""
    ds = result.dataset
    tidy = ds["occupancy"].to_dataframe().reset_index().rename(columns={"occupancy": "share"})
    tidy = tidy[["strategy", "month", "state", "share"]] if "sample" not in tidy else tidy
    files = {"results.nc": netcdf_bytes(ds, "results.nc"), "occupancy.csv": tidy.to_csv(index=False),
             "summary.csv": result.summary.to_csv()}
    if result.breakeven is not None:
        files["breakeven.csv"] = result.breakeven.to_csv(index=False)
    if calendar.has_calendar(ds):  # an open population: results per calendar year (issue 15)
        files["calendar.csv"] = calendar.calendar_frame(ds).to_csv(index=False)
    if excel:
        files["results.xlsx"] = tables.to_excel(tables.simulate_tables(result), run_identity(ds.attrs))
    return write_run(out_dir, "simulate", files, ds.attrs)


FILE_KEYS = {"results.nc": "netcdf", "occupancy.csv": "csv", "summary.csv": "summary", "breakeven.csv": "breakeven",
             "results.xlsx": "excel", "calendar.csv": "calendar"}


def run_identity(attrs: dict) -> dict:
    """The attributes that say which run made a folder (for its manifest and the workbook's 'about' sheet)."""
    keys = ("scenario", "scenario_title", "command", "ipsecon_version") + RUN_IDENTITY + ("price_year", "horizon_years",
                                                                                            "created")
    return {k: attrs[k] for k in keys if k in attrs}


def write_run(out_dir: Path, command: str, files: dict[str, bytes | str], attrs: dict) -> dict[str, Path]:
    """Write ``files`` (name -> content) as one run folder; returns {key: path} (keys of :data:`FILE_KEYS`,
    else the file name)."""
    paths = {}
    with RunFolder(out_dir, command, run_identity(attrs)) as run:
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            paths[FILE_KEYS.get(name, name)] = run.write_bytes(name, data)
    return paths


def target_rows(sim: Simulation) -> list[dict]:
    """Every published figure the scenario declares — calibration targets (what was fitted) and validation
    targets (what was not) — within the run's horizon, with the model's value and PASS/MISS."""
    spec = sim.scenario.spec
    declared = [(t, "validation", f"targets[{i}]") for i, t in enumerate(spec.targets)]
    if spec.calibration is not None:
        declared += [(t, "calibration", f"calibration.targets[{i}]") for i, t in enumerate(spec.calibration.targets)]
    rows = []
    for t, where, path in declared:
        if t.last_month > sim.horizon_years * 12 + 1e-9:
            continue  # beyond this run's horizon (state_after_exit reads up to after_months past month)
        value = sim.measure(t, path)
        low, high = t.interval()
        rows.append({"label": t.label(), "measure": t.measure, "state": t.state, "strategy": t.strategy,
                     "month": t.month, "role": t.role or where, "target": t.value, "low": low, "high": high,
                     "model": value, "verdict": measures.verdict(t, value),
                     "within_tolerance": bool(abs(value - t.value) <= t.tolerance), "source": t.source,
                     "evidence": t.evidence or "",
                     # a share, or a reward total in its reward's unit (reward_total, reward_difference)
                     "unit": sim.scenario.model.rewards[t.reward].get("unit") or "reward units" if t.reward else "share"})
    return rows
