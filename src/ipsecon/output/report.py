"""A report per run: one self-contained HTML file and a Markdown twin, from a results folder.

    write_report(Path("results/bodo"))  ->  reports/bodo/bodo.html, reports/bodo/bodo.md

The report reads whatever the folder holds and renders a section for each:

* ``results.nc`` (``ipsecon simulate``): the question and scenario in plain words, a model card
  (states and moves as a diagram, transitions, strategy effects, key parameters with sources,
  assumptions), employment against the trial's targets, occupancy over time, who pays and who gains
  (a payer waterfall and cumulative net per perspective over time), NPV/ROI/payback per
  perspective; the scenario file named in its provenance is re-read for the model card;
* ``breakeven.csv`` (``simulate`` or ``ipsecon breakeven``): break-even wage against horizon;
* ``psa.nc``, ``dsa.nc``, ``sobol.nc`` (the uncertainty commands): CE plane, CEAC/CEAF, EVPI,
  EVPPI, break-even wage distribution, probability of paying off, tornados, two-way grids, Sobol
  indices per horizon and against horizon.

The HTML embeds every figure as a base64 PNG and its CSS inline: no scripts, fonts, images or
styles are fetched from anywhere, so it can be mailed or archived as one file. The Markdown twin
links PNG files in a folder next to it.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import inspect
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import xarray as xr

from ipsecon import __version__
from ipsecon.output import figures as figs
from ipsecon.progress import Progress

PREFERRED_PERSPECTIVES = ("society", "public", "nav", "health", "municipality", "state", "individual", "employer")
GLOSSARY = [
    ("NAV", "Arbeids- og velferdsetaten, the Norwegian Labour and Welfare Administration: pays benefits and, "
            "usually, the IPS employment specialists"),
    ("AAP", "arbeidsavklaringspenger, work assessment allowance: a time-limited benefit (normally at most 3 years) "
            "for people whose capacity for work is reduced by illness"),
    ("uføretrygd", "disability benefit: a long-term benefit when earning capacity is permanently reduced"),
    ("G", "grunnbeløpet, the basic amount of the national insurance scheme; benefit floors and caps are set in G"),
    ("health trust", "helseforetak: the public hospital trusts that run specialist mental-health services"),
    ("social assistance", "økonomisk sosialhjelp, paid by the municipality to people with no other income"),
    ("trygdeavgift", "the national insurance contribution deducted from the person's income"),
    ("employer's contribution", "arbeidsgiveravgift, payroll tax paid by the employer on gross wages"),
    ("IPS", "Individual Placement and Support (individuell jobbstøtte): employment specialists in the treatment team "
            "help people into ordinary paid work quickly and keep supporting them"),
]
PERSPECTIVE_MEANING = {
    "nav": "NAV's budget: IPS cost it pays, benefits it pays",
    "health": "the health trusts: their share of the IPS cost and health-care use",
    "municipality": "the municipality: social assistance",
    "state": "the state as tax collector: income tax, trygdeavgift, employer's contribution",
    "public": "all public budgets together (NAV + health trusts + municipality + state); transfers between them cancel",
    "individual": "the person's net income: wages and benefits minus taxes",
    "employer": "the employer: wages and employer's contribution paid (production value not counted here)",
    "society": "production value of work minus real resource use, plus health (QALYs) valued in NOK; transfers cancel",
}
FLOW_LABELS = {
    "ips_programme_nav": "IPS programme", "ips_programme_health_trust": "IPS programme",
    "usual_vocational_rehabilitation": "usual vocational rehabilitation", "aap": "AAP", "uforetrygd": "uføretrygd",
    "social_assistance": "social assistance", "gross_wage": "gross wage", "income_tax": "income tax",
    "trygdeavgift": "trygdeavgift", "employer_contribution": "employer's contribution", "health_care": "health care",
}
# parameters the payer ledger and economics read directly (not through model formulas)
LEDGER_PARAMETERS = ("ledger.*", "wages.ips_annual_gross_wage", "wages.real_wage_growth", "wages.fte_share",
                     "health_care.monthly_cost.*", "health_care.effect_on_use", "economics.qaly_value",
                     "economics.discount_rate", "economics.mcpf")


# --- what a report is made of ---------------------------------------------------------------------

@dataclass
class Text:
    text: str  # paragraphs separated by blank lines; **bold**, `code`; lines starting "- " are a list


@dataclass
class Table:
    frame: pd.DataFrame
    caption: str = ""


@dataclass
class Figure:
    name: str
    make: Callable[[], Any]  # returns a matplotlib Figure (made lazily, rendered once)
    caption: str = ""
    png: bytes | None = None


@dataclass
class Section:
    key: str
    title: str
    blocks: list = field(default_factory=list)

    def add(self, block) -> "Section":
        self.blocks.append(block)
        return self


@dataclass
class Inputs:
    """Everything found in a results folder."""

    folder: Path
    results: xr.Dataset | None = None
    summary: pd.DataFrame | None = None
    breakeven: pd.DataFrame | None = None
    breakeven_attrs: dict = field(default_factory=dict)
    psa: xr.Dataset | None = None
    dsa: xr.Dataset | None = None
    sobol: xr.Dataset | None = None
    scenario: Any = None  # LoadedScenario, re-read from the provenance's scenario file
    scenario_note: str = ""

    @property
    def attrs(self) -> dict:
        for ds in (self.results, self.psa, self.dsa, self.sobol):
            if ds is not None:
                return dict(ds.attrs)
        return dict(self.breakeven_attrs)

    @property
    def name(self) -> str:
        for ds in (self.results, self.psa, self.dsa, self.sobol):
            if ds is not None and ds.attrs.get("scenario"):
                return str(ds.attrs["scenario"])
        if self.breakeven is not None and "scenario" in self.breakeven:
            return "+".join(dict.fromkeys(str(s) for s in self.breakeven["scenario"]))
        return self.folder.name

    @property
    def price_year(self) -> int | None:
        for ds in (self.results, self.psa, self.dsa):
            if ds is not None and "price_year" in ds.attrs:
                return int(ds.attrs["price_year"])
        if self.scenario is not None:
            return int(self.scenario.spec.price_year)
        return self.breakeven_attrs.get("price_year")


# --- reading --------------------------------------------------------------------------------------

def _open(path: Path) -> xr.Dataset | None:
    if not path.exists():
        return None
    # decode_times=False: 'months since the strategy started' is not a calendar unit
    with xr.open_dataset(path, engine="h5netcdf", decode_times=False) as ds:
        return ds.load()


def _clean_months(da: xr.DataArray) -> xr.DataArray:
    """Drop months where every value is missing and round month labels (results written before the
    occupancy and ledger month grids were aligned can hold both 7.000000000001 and 7.0)."""
    if "month" not in da.dims:
        return da
    other = [d for d in da.dims if d != "month"]
    keep = da.notnull().any(other) if other else da.notnull()
    da = da.isel(month=np.flatnonzero(keep.values))
    return da.assign_coords(month=np.round(da["month"].values.astype(float), 6))


def read_inputs(folder: Path) -> Inputs:
    folder = Path(folder)
    inp = Inputs(folder)
    inp.results = _open(folder / "results.nc")
    if (folder / "summary.csv").exists():
        inp.summary = pd.read_csv(folder / "summary.csv", index_col=0)
    if (folder / "breakeven.csv").exists():
        inp.breakeven = pd.read_csv(folder / "breakeven.csv")
        be = _open(folder / "breakeven.nc")
        if be is not None:
            inp.breakeven_attrs = dict(be.attrs)
    inp.psa = _open(folder / "psa.nc")
    inp.dsa = _open(folder / "dsa.nc")
    inp.sobol = _open(folder / "sobol.nc")
    _load_scenario(inp)
    return inp


def _load_scenario(inp: Inputs) -> None:
    """Re-read the scenario named in the provenance (for the model card), and say if it changed."""
    from ipsecon.errors import InputError
    from ipsecon.model.scenario import load_scenario

    attrs = inp.attrs
    candidates = []
    if attrs.get("scenario_file"):
        candidates.append(Path(str(attrs["scenario_file"])))
    files = attrs.get("scenario_files")
    if files:
        candidates += [Path(p) for p in json.loads(files).values()]
    candidates.append(Path("scenarios") / f"{inp.name}.yaml")
    overrides = {}
    try:
        overrides = json.loads(attrs.get("overrides", "{}") or "{}")
    except (TypeError, ValueError):
        pass
    structure = attrs.get("structure")
    extra = {}
    if structure and structure != "default" and "structure" in inspect.signature(load_scenario).parameters:
        extra["structure"] = structure  # a structural alternative of the model (psa/dsa/sobol --structure)
    for path in candidates:
        if path.is_file():
            try:
                inp.scenario = load_scenario(path, overrides or None, **extra)
            except InputError as exc:
                inp.scenario_note = f"The scenario file {path} could not be read now ({exc.message()})."
                return
            h = attrs.get("scenario_hash")
            if h and h != inp.scenario.digest:
                inp.scenario_note = (f"Note: {path} or its parameters have changed since this run (hash {h} then, "
                                     f"{inp.scenario.digest} now); the model card shows the current files.")
            return
    inp.scenario_note = "The scenario file was not found; the model card is limited to what the result files record."


# --- helpers --------------------------------------------------------------------------------------

def _strategy_labels(inp: Inputs) -> dict[str, str]:
    if inp.scenario is None:
        return {}
    return {k: (v.label or k) for k, v in inp.scenario.model.spec.strategies.items()}


def _short_labels(inp: Inputs, strategies) -> dict[str, str]:
    """Names for titles and sentences: the label before any bracket, or an acronym of a long one
    ('Individual Placement and Support' -> 'IPS' via its key)."""
    long = _strategy_labels(inp)
    out = {}
    for s in strategies:
        short = long.get(s, s).split(" (")[0].strip()
        if len(short) > 22:
            short = s.upper() if len(s) <= 4 else s
        out[s] = short
    return out


def _state_labels(inp: Inputs) -> dict[str, str]:
    if inp.scenario is None:
        return {}
    return {k: (v.label or k) for k, v in inp.scenario.model.spec.states.items()}


def _pair(strategies: list[str]) -> tuple[str, str]:
    """(intervention, comparator): the first strategy is the comparator, as in the engines."""
    return (strategies[1] if len(strategies) > 1 else strategies[0]), strategies[0]


def _money(v: float) -> str:
    if v is None or v != v:
        return "–"
    return "0" if abs(v) < 0.5 else f"{v:,.0f}"  # no "-0"


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        if v != v:
            return "–"
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.4g}"
    return str(v)


def _perspectives(available) -> list[str]:
    available = [str(p) for p in available]
    return [p for p in PREFERRED_PERSPECTIVES if p in available] + [p for p in available if p not in PREFERRED_PERSPECTIVES]


def _years(months: float) -> str:
    return f"{months:g} months" if months < 36 else f"{months / 12:g} years"


# --- sections -------------------------------------------------------------------------------------

def _question(inp: Inputs, facts: dict) -> Section:
    sec = Section("question", "The question and the scenario")
    sc = inp.scenario
    attrs = inp.attrs
    labels = _strategy_labels(inp)
    strategies = [str(s) for s in inp.results["strategy"].values] if inp.results is not None else list(labels)
    if sc is not None:
        sec.add(Text(" ".join(sc.spec.description.split())))
    if len(strategies) >= 2:
        intervention, comparator = _pair(strategies)
        sec.add(Text(f"The report compares **{labels.get(intervention, intervention)}** (`{intervention}`) with "
                     f"**{labels.get(comparator, comparator)}** (`{comparator}`) and asks: does it pay, and for whom — "
                     "NAV, the health trusts, the municipality, the state, the person, or society as a whole? When do "
                     "the gains arrive? What gross wage must the people who get jobs earn for the programme to break "
                     "even? All money is per person in the starting group, discounted, in NOK of "
                     f"{inp.price_year} prices."))
    if facts.get("headline"):
        sec.add(Text("**In short**\n\n" + "\n".join(f"- {line}" for line in facts["headline"])))
    run = []
    if attrs.get("engine"):
        run.append(f"engine {attrs['engine']}" + (f" ({int(attrs['individuals']):,} simulated individuals, seed "
                                                   f"{attrs.get('seed')})" if int(attrs.get("individuals", 0) or 0) else
                                                   " (exact expected values)"))
    if attrs.get("horizon_years"):
        run.append(f"horizon {float(attrs['horizon_years']):g} years")
    if sc is not None:
        run.append(f"population {sc.spec.population.size:,} people from {sc.spec.population.start_year}")
    if inp.price_year:
        run.append(f"prices of {inp.price_year}")
    if attrs.get("discount_rates"):
        d = json.loads(attrs["discount_rates"])
        run.append("discounting " + ", ".join(f"{k} {v:.0%}" for k, v in d.items()) + " per year")
    if run:
        sec.add(Text("Run: " + "; ".join(run) + "."))
    if sc is not None and sc.spec.sources:
        sec.add(Text("Sources:\n\n" + "\n".join(f"- {s}" for s in sc.spec.sources)))
    sec.add(Text("Norwegian terms used in this report:"))
    sec.add(Table(pd.DataFrame(GLOSSARY, columns=["term", "meaning"])))
    if inp.scenario_note:
        sec.add(Text(inp.scenario_note))
    return sec


def _referenced_names(sc) -> set[str]:
    from ipsecon.inputs import expressions

    spec = sc.model.spec
    texts = list(spec.variables.values()) + list(sc.spec.variables.values())
    for tr in spec.transitions:
        texts += [tr.probability, tr.rate]
    for st in spec.strategies.values():
        texts += list(st.set.values())
        for e in st.effects:
            texts += [e.hr, e.rr, e.odds_ratio, e.start, e.end, e.decay_start, e.half_life]
    for r in spec.rewards.values():
        texts += list(r.states.values()) + list(r.transitions.values())
    texts += list((sc.spec.population.start_state or {}).values())
    names: set[str] = set()
    for t in texts:
        if isinstance(t, str):
            try:
                names |= set(expressions.parse(t).names)
            except Exception:  # a formula the engine accepts but this reader cannot: skip it
                pass
    return names | {n.rsplit(".", 1)[0] for n in names if "." in n}


def _parameter_rows(inp: Inputs, names: list[str]) -> pd.DataFrame:
    sc = inp.scenario
    values = sc.base_values()
    rows = []
    for name in names:
        p = sc.parameters[name]
        if p.table is not None:
            value = f"table by {p.table.key}"
        else:
            v = values.get(name, p.value)
            value = ", ".join(f"{k}={_fmt(float(x))}" for k, x in v.items()) if isinstance(v, dict) else _fmt(float(v))
            if p.values is not None:
                value += f" (in force {sc.price_date:%Y})"
        if name in sc.overrides:
            value += " (overridden)"
        dist = ""
        if p.distribution is not None:
            fields = {k: v for k, v in p.distribution.model_dump().items() if v is not None and k != "type"}
            dist = f"{p.distribution.type}(" + ", ".join(f"{k}={_fmt(v) if isinstance(v, float) else v}"
                                                           for k, v in fields.items()) + ")"
        source = " ".join(p.source.split())
        if len(source) > 240:  # calibration provenance runs to paragraphs; `ipsecon params NAME` prints it whole
            source = source[:230].rsplit(" ", 1)[0] + f" … (in full: `ipsecon params {name}`)"
        rows.append({"parameter": name, "value": value, "unit": p.unit, "uncertainty": dist, "evidence": p.evidence,
                     "source": source})
    return pd.DataFrame(rows)


def _model_card(inp: Inputs) -> Section | None:
    import fnmatch

    sc = inp.scenario
    if sc is None:
        return None
    sec = Section("model", "Model card")
    spec = sc.model.spec
    labels = _state_labels(inp)
    pairs, changed = [], set()
    for tr in spec.transitions:
        sources = tr.from_ if isinstance(tr.from_, list) else [tr.from_]
        if sources == ["any"]:
            sources = [s for s in spec.states if s != tr.to]
        pairs += [(s, tr.to) for s in sources]
    strategies = list(spec.strategies)
    intervention = _pair(strategies)[0] if len(strategies) > 1 else None
    for name, st in spec.strategies.items():
        for e in st.effects:
            a, b = (x.strip() for x in e.transition.split("->", 1))
            changed.add((a, b))
    colour = figs.strategy_colours(strategies).get(intervention) if intervention else None
    sec.add(Text(f"**{spec.name or 'Model'}** — {len(spec.states)} states, moves between them each "
                 f"{'month' if abs(spec.cycle_years - 1 / 12) < 1e-9 else f'{spec.cycle_years:g} years'}. A box is "
                 "where a person is at the end of a month; an arrow is a move the model allows. The model is "
                 f"declared in YAML ({sc.model.file}) and can be read and changed without Python."))
    sec.add(Figure("model_diagram", lambda: figs.model_diagram_figure(labels or {s: s for s in spec.states}, pairs,
                                                                      changed, intervention, colour),
                   "States and allowed moves. Thick coloured arrows: moves whose rate the intervention changes."))
    rows = []
    for tr in spec.transitions:
        sources = tr.from_ if isinstance(tr.from_, list) else [tr.from_]
        kind = "probability" if tr.probability is not None else "rate"
        text = tr.probability if kind == "probability" else tr.rate
        rows.append({"from": ", ".join(sources), "to": tr.to, "kind": f"{kind} per {tr.per}",
                     "formula": " ".join(str(text).split())})
    sec.add(Table(pd.DataFrame(rows), "Transitions as declared (staying is the complement). Rates out of one state "
                                      "are combined as competing risks."))
    eff = []
    for name, st in spec.strategies.items():
        for e in st.effects:
            kind = "hazard ratio" if e.hr is not None else "risk ratio" if e.rr is not None else "odds ratio"
            value = e.hr if e.hr is not None else e.rr if e.rr is not None else e.odds_ratio
            timing = []
            if e.decay_start is not None:
                timing.append(f"full until {e.decay_start}")
            if e.half_life is not None:
                timing.append(f"then halves every {e.half_life} years")
            if e.end is not None:
                timing.append(f"none after {e.end} years")
            eff.append({"strategy": name, "move": e.transition, "effect": f"{kind} {value}", "over time": "; ".join(timing)})
    if eff:
        sec.add(Table(pd.DataFrame(eff), "Strategy effects (formulas and parameter names; values below)."))
    used = _referenced_names(sc)
    params = sc.parameters
    key = [n for n in params.names() if n in used and not n.startswith("rules.")]
    if spec.employment_state is not None:
        key += [n for n in params.names() if n not in key and any(fnmatch.fnmatchcase(n, p) for p in LEDGER_PARAMETERS)]
    if key:
        sec.add(Text("**Key parameters** — those the model's formulas and the payer ledger read, with the value used "
                     "in this run. Evidence: C confirmed in the source, C2 via a secondary source, D derived, "
                     "M widely cited but unverified, calibrated (fitted to trial results), assumption (our choice)."))
        sec.add(Table(_parameter_rows(inp, key)))
        assumptions = [n for n in key if params[n].evidence == "assumption"]
        if assumptions:
            sec.add(Text("**Assumptions** — parameters not taken from a source but chosen by the modellers; they are "
                         "the first candidates for sensitivity analysis:\n\n"
                         + "\n".join(f"- `{n}` = {_parameter_rows(inp, [n])['value'][0]} "
                                     f"{params[n].unit}: {' '.join(params[n].description.split())}"
                                     for n in assumptions)))
    rules = [n for n in params.names() if n.startswith("rules.") and params[n].table is None]
    if rules and spec.employment_state is not None:
        sec.add(Text("**Norwegian rules** (benefits, tax, G) in force in the price year, from `parameters/rules/`:"))
        sec.add(Table(_parameter_rows(inp, rules)[["parameter", "value", "unit", "source"]]))
    attrs = inp.attrs
    conv = [f"cycle {spec.cycle_years * 12:.3g} months", f"counting at the {spec.counting} of each cycle"
            if spec.counting in ("start", "end") else f"{spec.counting} counting"]
    prov = {k: attrs.get(k) for k in ("scenario_file", "scenario_hash", "ipsecon_version", "engine", "seed",
                                      "individuals", "horizon_years", "overrides", "created") if attrs.get(k) is not None}
    sec.add(Text("Conventions: " + "; ".join(conv) + ". Provenance of this run: "
                 + "; ".join(f"{k} `{v}`" for k, v in prov.items()) + "."))
    return sec


def _targets(inp: Inputs) -> list:
    sc = inp.scenario
    if sc is None:
        return []
    out = list(sc.spec.targets)
    if sc.spec.calibration is not None:
        seen = {(t.measure, t.state, t.strategy, t.month) for t in out}
        out += [t for t in sc.spec.calibration.targets if (t.measure, t.state, t.strategy, t.month) not in seen]
    return out


def _employment(inp: Inputs) -> Section | None:
    ds = inp.results
    if ds is None or "occupancy" not in ds:
        return None
    sc = inp.scenario
    emp = sc.model.spec.employment_state if sc is not None else ("employed" if "employed" in ds["state"].values else None)
    if emp is None:
        return None
    occ = _clean_months(ds["occupancy"])
    if "sample" in occ.dims:
        occ = occ.mean("sample")
    months = occ["month"].values
    strategies = [str(s) for s in occ["strategy"].values]
    curves = {s: occ.sel(strategy=s, state=emp).values for s in strategies}
    ever = None
    if "ever_in" in ds and emp in ds["ever_state"].values:
        ev = _clean_months(ds["ever_in"])
        ev = ev.mean("sample") if "sample" in ev.dims else ev
        ever = {s: ev.sel(strategy=s, ever_state=emp).values for s in strategies}
    targets, rows = [], []
    for t in _targets(inp):
        if t.state != emp or t.strategy not in strategies or t.month > months.max() + 1e-9:
            continue
        se = getattr(t, "standard_error", None)
        half = 1.96 * se if se else None
        d = {"strategy": t.strategy, "month": t.month, "value": t.value, "measure": t.measure, "source": t.source}
        if half:
            d.update(low=max(0.0, t.value - half), high=min(1.0, t.value + half))
        targets.append(d)
        src = curves if t.measure == "in_state" else (ever or {})
        model = float(np.interp(t.month, months, src[t.strategy])) if t.strategy in src else float("nan")
        rows.append({"strategy": t.strategy, "measure": "in work" if t.measure == "in_state" else "ever in work",
                     "month": t.month, "published": f"{t.value:.1%}" + (f" ± {half:.1%}" if half else ""),
                     "model": f"{model:.1%}", "source": t.source})
    sec = Section("employment", "Employment by strategy")
    labels = _strategy_labels(inp)
    state_label = _state_labels(inp).get(emp, emp).lower()
    sec.add(Text("The share of the starting group in work each month. Diamonds are the trial's published shares "
                 "(bars: 95 % interval from the trial's numbers where known)." if targets else
                 "The share of the starting group in work each month. This scenario has no published trial targets "
                 "to compare with."))
    sec.add(Figure("employment", lambda: figs.employment_figure(months, curves, targets, labels, ever, state_label,
                                                                    _short_labels(inp, strategies)),
                   "Employment by strategy" + (" with the trial's results" if targets else "")))
    if rows:
        sec.add(Table(pd.DataFrame(rows), "Published results against the model (targets used for calibration are "
                                          "fitted, others are checks)."))
    if inp.summary is not None:
        cols = [c for c in inp.summary.columns if c.startswith("employed_m") and not c.endswith("_se")]
        if cols:
            tab = pd.DataFrame({"strategy": inp.summary.index})
            for c in cols:
                m = c.replace("employed_m", "")
                vals = inp.summary[c].map(lambda v: f"{v:.1%}")
                if f"{c}_se" in inp.summary:
                    vals = vals + inp.summary[f"{c}_se"].map(lambda v: f" ± {v:.1%}")
                tab[f"month {m}"] = vals.values
            sec.add(Table(tab, "Share in work at selected months" + (" (± Monte Carlo standard error)"
                                                                    if any(c.endswith("_se") for c in inp.summary) else "")))
    return sec


def _occupancy(inp: Inputs) -> Section | None:
    ds = inp.results
    if ds is None or "occupancy" not in ds:
        return None
    occ = _clean_months(ds["occupancy"])
    occ = occ.mean("sample") if "sample" in occ.dims else occ
    states = [str(s) for s in occ["state"].values]
    strategies = [str(s) for s in occ["strategy"].values]
    data = {s: occ.sel(strategy=s).transpose("month", "state").values for s in strategies}
    months = occ["month"].values
    labels = _state_labels(inp)
    sec = Section("occupancy", "Where people are over time")
    note = ""
    if "aap" in states and inp.scenario is not None and inp.scenario.model.spec.states["aap"].track_duration > 1:
        note = (" AAP lasts at most 3 years (`rules.aap.max_duration_months`): whoever is still on AAP then moves to "
                "uføretrygd or to other/no income, which is the step in the curves at 3 years.")
    sec.add(Text("Each panel stacks the share of the starting group in each state month by month; the last panel "
                 "shows how the intervention shifts people between states (percentage points)." + note))
    sec.add(Figure("occupancy", lambda: figs.occupancy_figure(months, data, states, labels, _strategy_labels(inp),
                                                                  _short_labels(inp, strategies)),
                   "State occupancy by strategy, and the difference between strategies"))
    if "person_months" in ds:
        pm = ds["person_months"]
        pm = pm.mean("sample") if "sample" in pm.dims else pm
        tab = pm.to_pandas().reindex(columns=states)
        tab.columns = [labels.get(c, c) for c in tab.columns]
        tab = tab.map(lambda v: f"{v:.2f}").reset_index()
        sec.add(Table(tab, "Person-months per person in each state over the horizon (undiscounted)."))
    return sec


def _ledger(inp: Inputs):
    """A Ledger rebuilt from results.nc (amounts per flow and month; QALYs per month if stored)."""
    from ipsecon.money.ledger import Ledger

    ds = inp.results
    led = _clean_months(ds["ledger"]).transpose("sample", "strategy", "month", "flow")
    n, K, T, _ = led.shape
    qalys = np.zeros((n, K, T))
    if "qalys_per_month" in ds:
        q = _clean_months(ds["qalys_per_month"]).transpose("sample", "strategy", "month").values
        if q.shape == qalys.shape:
            qalys = q
    value = 0.0
    if "qalys_per_month" in ds:
        value = float(ds["qalys_per_month"].attrs.get("value_per_qaly", np.nan))
        if value != value and inp.scenario is not None:  # older files: the scenario's value, as the ledger takes it
            v = inp.scenario.base_values()
            value = float(v.get("economics.qaly_value", 0.0)) * float(v.get("ledger.qaly_value_uprating", 1.0))
    return Ledger(led.values, [str(f) for f in led["flow"].values], [str(p) for p in led["payer"].values],
                  [str(r) for r in led["receiver"].values], [str(c) for c in led["category"].values],
                  [str(s) for s in led["strategy"].values], float(ds.attrs.get("cycle_years", 1 / 12)),
                  str(ds.attrs.get("counting", "end")), int(ds.attrs.get("price_year", 0)), qalys, np.zeros((n, K, T)),
                  value, 0.0)


def _discount(inp: Inputs, ledger) -> np.ndarray:
    from ipsecon.economics import evaluation as economics

    if inp.scenario is not None:
        rate = economics.discount_schedule(inp.scenario.base_values())
    else:
        rate = json.loads(inp.results.attrs.get("discount_rates", '{"cost": 0.04}')).get("cost", 0.04)
    return economics.cycle_discount_factors(ledger.n_cycles, ledger.cycle_years, rate, ledger.counting)


def _money_sections(inp: Inputs, facts: dict) -> list[Section]:
    ds = inp.results
    if ds is None or "ledger" not in ds:
        return []
    ledger = _ledger(inp)
    d = _discount(inp, ledger)
    strategies = list(ledger.strategies)
    if len(strategies) < 2:
        return []
    intervention, comparator = _pair(strategies)
    k1, k0 = strategies.index(intervention), strategies.index(comparator)
    short = _short_labels(inp, strategies)
    iname, cname = short[intervention], short[comparator]
    months = ledger.to_xarray()["month"].values * ledger.cycle_years * 12
    py = inp.price_year
    out = []

    # who pays, who gains: the public purse's waterfall by flow, coloured by payer
    items = ledger.perspective_items("public").transpose("sample", "strategy", "month", "component")
    inc = (items.values[:, k1] - items.values[:, k0]).mean(axis=0)  # (month, component)
    totals = (inc * d[:, None]).sum(axis=0)
    comps = [str(c) for c in items["component"].values]
    payer = dict(zip(ledger.flows, ledger.payer))
    receiver = dict(zip(ledger.flows, ledger.receiver))
    public = {"nav", "health_trust", "municipality", "state"}
    steps = []
    for c, v in zip(comps, totals):
        party = payer[c] if payer[c] in public else receiver[c]
        what = FLOW_LABELS.get(c, c)
        if v < 0:
            verb = "more spent on" if party == payer[c] else "less received in"
        else:
            verb = "less spent on" if party == payer[c] else "more received in"
        steps.append({"label": f"{figs.PARTY_LABELS.get(party, party)}: {verb} {what}", "party": party, "value": v})
    steps_df = pd.DataFrame(steps)
    steps_df = steps_df[steps_df["value"].abs() >= 0.5]  # flows the intervention does not change (rounds to 0 NOK)
    steps_df = pd.concat([steps_df[steps_df.value < 0].sort_values("value"),
                          steps_df[steps_df.value >= 0].sort_values("value", ascending=False)])
    horizon = float(ds.attrs.get("horizon_years", ledger.n_cycles * ledger.cycle_years))
    sec = Section("payers", "Who pays, who gains, and when")
    sec.add(Text(f"Every krone is booked once, from a payer to a receiver. The waterfall adds up, flow by flow, what "
                 f"{iname} instead of {cname.lower()} does to the public purse over {horizon:g} years: bars to the "
                 "left are extra costs, bars to the right savings or extra tax; the bottom bar is the net. Colours "
                 "show which budget each flow belongs to."))
    sec.add(Figure("payer_waterfall", lambda: figs.payer_waterfall_figure(
        steps_df, py, f"Public purse: {iname} minus {cname.lower()}, discounted, per person", "public purse, net"),
        "Payer waterfall for the public purse"))
    cum = {}
    for p in ("nav", "health", "municipality", "state", "public", "individual", "society"):
        if p == "society" and "qalys_per_month" not in ds:
            continue
        net = ledger.perspective_net(p).transpose("sample", "strategy", "month").values
        cum[p] = np.cumsum((net[:, k1] - net[:, k0]).mean(axis=0) * d)
    sec.add(Text("The same flows over time for each perspective: a line below zero is a budget still out of pocket, "
                 "the month it crosses zero for good is its payback month. "
                 + ("" if "society" in cum else "(Society is not drawn: these results predate the monthly QALY series; "
                                                "its total is in the table below.) ")
                 + "Meaning of each perspective: " + "; ".join(f"**{figs.PERSPECTIVE_LABELS.get(p, p)}** — "
                                                               f"{PERSPECTIVE_MEANING[p]}" for p in cum) + "."))
    sec.add(Figure("cumulative_net", lambda: figs.cumulative_net_figure(months, cum, py, iname, cname.lower()),
                   "Cumulative discounted net per perspective"))
    out.append(sec)

    # NPV, ROI and payback per perspective
    if "outcome_incremental_npv" in ds:
        rows = []
        names = ("incremental_costs", "incremental_gains", "incremental_npv", "bcr", "roi", "payback_month")
        for p in _perspectives(ds["perspective"].values):
            rows.append({"perspective": p} | {n: float(ds[f"outcome_{n}"].sel(perspective=p, strategy=intervention))
                                              for n in names})
        table = pd.DataFrame(rows)
        shown = pd.DataFrame({
            "perspective": [figs.PERSPECTIVE_LABELS.get(p, p) for p in table.perspective],
            f"extra costs (NOK {py})": table.incremental_costs.map(_money),
            f"extra gains (NOK {py})": table.incremental_gains.map(_money),
            f"net present value (NOK {py})": table.incremental_npv.map(lambda v: f"{v:+,.0f}"),
            "benefit–cost ratio": table.bcr.map(lambda v: "–" if v != v else f"{v:.2f}"),
            "ROI": table.roi.map(lambda v: "–" if v != v else f"{v:.0%}"),
            "payback": table.payback_month.map(lambda v: "not within the horizon" if v != v else f"month {int(v)}"),
        })
        sec2 = Section("npv", "Costs and returns per perspective")
        sec2.add(Text(f"{iname} against {cname.lower()}, per person, discounted over {horizon:g} years. "
                      "Net present value = extra gains − extra costs for that perspective; benefit–cost ratio = "
                      "gains ÷ costs; ROI = net ÷ costs; payback = the month from which the cumulative net stays "
                      "positive."))
        sec2.add(Table(shown))
        sec2.add(Figure("npv", lambda: figs.npv_figure(table, py, iname),
                        "Incremental net present value by perspective"))
        out.append(sec2)
        facts["npv"] = table
    return out


def _breakeven(inp: Inputs, facts: dict) -> Section | None:
    be = inp.breakeven
    if be is None or be.empty:
        if inp.results is not None and "ledger" in inp.results:
            sec = Section("breakeven", "Break-even wage")
            sec.add(Text("Not computed for this run (`--no-report` skips it); `ipsecon breakeven "
                         f"{inp.attrs.get('scenario_file', 'SCENARIO')}` computes it."))
            return sec
        return None
    py = inp.price_year
    typical = None
    if inp.scenario is not None:
        typical = inp.scenario.base_values().get("wages.ips_annual_gross_wage")
    typical = inp.breakeven_attrs.get("typical_wage", typical)
    sec = Section("breakeven", "Break-even wage")
    sec.add(Text("The gross annual wage that the people who get jobs must earn for the intervention's incremental "
                 "net present value to be zero, for each perspective and horizon. Below the dashed line (the wage "
                 "assumed for this group) the programme pays off. Longer horizons need lower wages because the "
                 "employment gain keeps paying while the programme cost is spent early. Where no wage breaks even "
                 "the table says why."))
    sec.add(Figure("breakeven", lambda: figs.breakeven_plot(be, py, typical), "Break-even wage against horizon"))

    def label(r):
        if r["breakeven_wage"] == r["breakeven_wage"]:
            return f"{r['breakeven_wage']:,.0f}"
        return "any wage" if r.get("npv_at_low", 0) > 0 else "none"

    tab = be.assign(label=be.apply(label, axis=1))
    index = ["scenario", "perspective"] if be["scenario"].nunique() > 1 else ["perspective"]
    pivot = tab.pivot_table(index=index, columns="horizon_years", values="label", aggfunc="first")
    pivot.columns = [f"{h:g} years" for h in pivot.columns]
    sec.add(Table(pivot.reset_index(), f"Break-even gross wage, NOK per year ({py} prices). 'any wage': pays off "
                                       "even at a wage of 0; 'none': no wage up to the bracket's top breaks even."))
    reasons = be[be["breakeven_wage"].isna()].drop_duplicates(["scenario", "perspective", "reason"])
    if not reasons.empty:
        sec.add(Text("\n".join(f"- {r['perspective']} at {r['horizon_years']:g} years: {r['reason']}"
                               for _, r in reasons.iterrows())))
    facts["breakeven"] = be
    return sec


# --- uncertainty sections --------------------------------------------------------------------------

def _default_horizon(ds: xr.Dataset) -> float:
    h = ds["horizon"].values
    if "horizon_default" in ds.attrs:
        return float(h[np.argmin(np.abs(h - float(ds.attrs["horizon_default"])))])
    return float(h.max())


def _psa(inp: Inputs) -> Section | None:
    psa = inp.psa
    if psa is None:
        return None
    h = _default_horizon(psa)
    persp = _perspectives(psa["perspective"].values)
    main = persp[0]
    py = psa.attrs.get("price_year", inp.price_year)
    wtp = float(psa.attrs.get("wtp_default", np.median(psa["wtp"].values)))
    short = _short_labels(inp, [str(s) for s in psa["strategy"].values])
    sec = Section("psa", "Probabilistic sensitivity analysis")
    sec.add(Text(f"{int(psa.attrs.get('n_samples', psa.sizes.get('sample', 0))):,} parameter sets drawn from their "
                 f"distributions (seed {psa.attrs.get('seed', '–')}, engine {psa.attrs.get('engine', '–')}); each "
                 f"dot or count below is one set. Figures at {h:g} years and a willingness to pay of {wtp:,.0f} NOK "
                 "per QALY unless stated."))
    if "inc_npv" in psa:
        rows = []
        for p in persp:
            for hh in psa["horizon"].values:
                x = psa["inc_npv"].sel(perspective=p, horizon=hh).values
                row = {"perspective": figs.PERSPECTIVE_LABELS.get(p, p), "horizon (years)": f"{float(hh):g}",
                       f"mean incremental NPV (NOK {py})": f"{np.nanmean(x):+,.0f}",
                       "95 % interval": f"{np.nanpercentile(x, 2.5):+,.0f} to {np.nanpercentile(x, 97.5):+,.0f}"}
                if "prob_pays_off" in psa:
                    row["P(pays off)"] = f"{float(psa['prob_pays_off'].sel(perspective=p, horizon=hh)):.0%}"
                if "breakeven_wage" in psa:
                    w = psa["breakeven_wage"].sel(perspective=p, horizon=hh).values
                    row["median break-even wage"] = _money(np.nanmedian(w)) if np.isfinite(w).any() else "–"
                rows.append(row)
        sec.add(Table(pd.DataFrame(rows), "Incremental NPV per person across samples."))
    if "cost" in psa and "qalys" in psa:
        for p in [q for q in persp if q in ("society", "public")][:2] or [main]:
            sec.add(Figure(f"ce_plane_{p}", lambda p=p: figs.ce_plane_figure(psa, p, h, wtp, short),
                           f"Cost-effectiveness plane, {figs.PERSPECTIVE_LABELS.get(p, p)} perspective. Below the "
                           "dashed line the intervention is cost-effective at that willingness to pay."))
    if "ceac" in psa:
        sec.add(Figure("ceac", lambda: figs.ceac_figure(psa, main, h, short),
                       "Cost-effectiveness acceptability curves and frontier"))
    if "evpi" in psa:
        sec.add(Figure("evpi", lambda: figs.evpi_figure(psa, main, h),
                       "Expected value of perfect information: what removing all uncertainty would be worth"))
    if "evppi" in psa:
        sec.add(Figure("evppi", lambda: figs.evppi_figure(psa, main, h, wtp),
                       "Partial EVPI per parameter group: where more research is worth most"))
    if "breakeven_wage" in psa:
        typical = inp.scenario.base_values().get("wages.ips_annual_gross_wage") if inp.scenario is not None else None
        sec.add(Figure("breakeven_distribution", lambda: figs.breakeven_distribution_figure(psa, h, persp, typical),
                       "Distribution of the break-even wage (dashed: the wage assumed for the group)"))
    if "prob_pays_off" in psa:
        sec.add(Figure("prob_pays_off", lambda: figs.prob_pays_off_figure(psa),
                       "Probability that the intervention pays off, by perspective and horizon"))
    return sec


def _dsa(inp: Inputs) -> Section | None:
    dsa = inp.dsa
    if dsa is None:
        return None
    h = _default_horizon(dsa)
    persp = _perspectives(dsa["perspective"].values)
    main = persp[0]
    sec = Section("dsa", "One-way and two-way sensitivity")
    sec.add(Text(f"Each parameter set to its low and then its high value, all others at base, at {h:g} years. Bars "
                 "show how far the result moves; the widest swing is on top. Labels give the low – high values."))
    if "inc_npv" in dsa:
        for p in persp[:4]:
            sec.add(Figure(f"tornado_inc_npv_{p}", lambda p=p: figs.tornado_figure(dsa, p, h, "inc_npv"),
                           f"Tornado: incremental NPV, {figs.PERSPECTIVE_LABELS.get(p, p)} perspective"))
    if "inmb" in dsa:
        w = dsa["inmb"].attrs.get("wtp", dsa.attrs.get("wtp"))
        sec.add(Figure("tornado_inmb", lambda: figs.tornado_figure(dsa, main, h, "inmb"),
                       "Tornado: incremental net monetary benefit" + (f" at {float(w):,.0f} NOK per QALY" if w else "")))
    if "breakeven_wage" in dsa:
        sec.add(Figure("tornado_breakeven_wage", lambda: figs.tornado_figure(dsa, main, h, "breakeven_wage"),
                       "Tornado: break-even wage"))
    if "twoway_inc_npv" in dsa:
        for i, pair in enumerate(dsa["pair"].values):
            sec.add(Figure(f"twoway_{i}", lambda pair=pair: figs.twoway_figure(dsa, pair, main, h),
                           f"Two-way sensitivity: {pair}. The black line is where the programme breaks even."))
    return sec


def _sobol(inp: Inputs) -> Section | None:
    sob = inp.sobol
    if sob is None:
        return None
    sec = Section("sobol", "Which inputs drive the answer (Sobol indices)")
    sec.add(Text(f"Variance-based sensitivity (Saltelli design, {int(sob.attrs.get('n_evaluations', 0)):,} model runs, "
                 f"seed {sob.attrs.get('seed', '–')}). First order (S1): the share of the output's variance due to "
                 "that input alone; total (ST): including its interactions with others. Bars: 95 % intervals."))
    for i, out in enumerate(sob["output"].values):
        out = str(out)
        sec.add(Figure(f"sobol_bars_{i}", lambda out=out: figs.sobol_bars_figure(sob, out),
                       f"Sobol indices for {figs.output_label(out)} at each horizon"))
        if sob.sizes.get("horizon", 1) > 1:
            sec.add(Figure(f"sobol_horizon_{i}", lambda out=out: figs.sobol_horizon_figure(sob, out),
                           f"Sobol indices for {figs.output_label(out)} against horizon"))
    return sec


def _headline(inp: Inputs, facts: dict) -> list[str]:
    lines = []
    ds = inp.results
    if ds is not None and "occupancy" in ds and inp.summary is not None:
        cols = [c for c in inp.summary.columns if c.startswith("employed_m") and not c.endswith("_se")]
        strategies = list(inp.summary.index)
        if cols and len(strategies) > 1:
            intervention, comparator = _pair(strategies)
            short = _short_labels(inp, strategies)
            c = cols[-1]
            a, b = inp.summary.loc[intervention, c], inp.summary.loc[comparator, c]
            lines.append(f"At {_years(float(c.replace('employed_m', '')))}, {a:.1%} are in work with {short[intervention]} "
                         f"against {b:.1%} with {short[comparator].lower()} ({(a - b) * 100:+.1f} percentage points).")
    if "npv" in facts:
        t = facts["npv"].set_index("perspective")
        horizon = float(inp.attrs.get("horizon_years", 0))
        for p in ("society", "public", "nav"):
            if p in t.index:
                r = t.loc[p]
                pb = "never pays back within the horizon" if r.payback_month != r.payback_month else \
                    f"pays back in month {int(r.payback_month)}"
                name = figs.PERSPECTIVE_LABELS[p]
                lines.append(f"{name[0].upper() + name[1:]}: net present value {r.incremental_npv:+,.0f} "
                             f"NOK per person over {horizon:g} years; {pb}.")
    if "breakeven" in facts:
        be = facts["breakeven"]
        be = be[be["perspective"] == "society"] if (be["perspective"] == "society").any() else be
        if not be.empty:
            r = be.sort_values("horizon_years").iloc[-1]
            w = r["breakeven_wage"]
            what = f"{w:,.0f} NOK a year" if w == w else ("any wage" if r["npv_at_low"] > 0 else "no wage in the bracket")
            lines.append(f"Break-even gross wage for {r['perspective']} at {r['horizon_years']:g} years: {what}.")
    return lines


def build_sections(inp: Inputs) -> list[Section]:
    facts: dict = {}
    body: list[Section | None] = [_model_card(inp), _employment(inp), _occupancy(inp)]
    body += _money_sections(inp, facts)
    body += [_breakeven(inp, facts), _psa(inp), _dsa(inp), _sobol(inp)]
    facts["headline"] = _headline(inp, facts)
    sections = [_question(inp, facts)] + [s for s in body if s is not None]
    sections.append(_reproduce(inp))
    return sections


def _reproduce(inp: Inputs) -> Section:
    attrs = inp.attrs
    sec = Section("reproduce", "Files and how to reproduce")
    files = sorted(p.name for p in inp.folder.iterdir() if p.is_file() and not p.name.startswith("."))
    lines = [f"- `{inp.folder / f}`" for f in files]
    cmd = []
    if attrs.get("scenario_file"):
        o = json.loads(attrs.get("overrides", "{}") or "{}")
        sets = "".join(f" --set {k}={v:g}" for k, v in o.items()
                       if inp.scenario is None or k not in inp.scenario.spec.set)
        ind = int(attrs.get("individuals", 0) or 0)
        extra = f" --individuals {ind} --seed {attrs.get('seed')}" if ind else ""
        cmd.append(f"ipsecon simulate {attrs['scenario_file']} --engine {attrs.get('engine', 'cohort')} --horizon "
                   f"{float(attrs.get('horizon_years', 0)):g}{extra}{sets} --out {inp.folder}")
    cmd.append(f"ipsecon report {inp.folder}")
    sec.add(Text("Result files read for this report:\n\n" + "\n".join(lines)))
    sec.add(Text("Commands:\n\n" + "\n".join(f"- `{c}`" for c in cmd)))
    sec.add(Text(f"Report written by ipsecon {__version__} on {dt.date.today():%Y-%m-%d}."))
    return sec


# --- rendering ------------------------------------------------------------------------------------

CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1020px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
nav{background:#f5f5f5;padding:.6em 1em;border-radius:4px;font-size:.92em}nav a{margin-right:1em;color:#2166ac}
table{border-collapse:collapse;margin:.8em 0;font-size:.86em}th,td{border:1px solid #ccc;padding:.25em .5em;
vertical-align:top;text-align:left}th{background:#f0f0f0}tr:nth-child(even) td{background:#fafafa}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.88em;color:#555}
code{background:#f3f3f3;padding:0 .2em;border-radius:3px;font-size:.92em}.caption{font-size:.88em;color:#555}
.meta{color:#666;font-size:.9em}
"""


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)


def _text_html(text: str) -> str:
    parts = []
    for para in text.split("\n\n"):
        lines = [ln for ln in para.split("\n") if ln.strip()]
        if lines and all(ln.startswith("- ") for ln in lines):
            parts.append("<ul>" + "".join(f"<li>{_inline(ln[2:])}</li>" for ln in lines) + "</ul>")
        elif lines:
            parts.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "\n".join(parts)


def _table_html(t: Table) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_inline(_fmt(v))}</td>" for v in row) + "</tr>"
                   for row in t.frame.itertuples(index=False))
    cap = f"<p class='caption'>{_inline(t.caption)}</p>" if t.caption else ""
    return f"{cap}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _md_cell(v: Any) -> str:
    return _fmt(v).replace("|", "\\|").replace("\n", " ")


def _table_md(t: Table) -> str:
    cols = [str(c) for c in t.frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in t.frame.itertuples(index=False)]
    return (f"*{t.caption}*\n\n" if t.caption else "") + "\n".join(lines)


def _render_png(fig_block: Figure) -> bytes:
    import matplotlib.pyplot as plt

    fig = fig_block.make()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=figs.DPI)
    plt.close(fig)
    return buf.getvalue()


def render(sections: list[Section], title: str, subtitle: str, fig_dir: Path, fig_rel: str) -> tuple[str, str]:
    """HTML (figures inline) and Markdown (figures as files in ``fig_dir``, linked as ``fig_rel/…``)."""
    toc = "".join(f"<a href='#{s.key}'>{html.escape(s.title)}</a>" for s in sections)
    h = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
         f"<style>{CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
         f"<p class='meta'>{html.escape(subtitle)}</p>", f"<nav>{toc}</nav>"]
    md = [f"# {title}", "", f"*{subtitle}*", ""]
    md += [f"- [{s.title}](#{s.key})" for s in sections] + [""]
    for s in sections:
        h.append(f"<section id='{s.key}'><h2>{html.escape(s.title)}</h2>")
        md += [f"<a id='{s.key}'></a>", "", f"## {s.title}", ""]
        for b in s.blocks:
            if isinstance(b, Text):
                h.append(_text_html(b.text))
                md += [b.text, ""]
            elif isinstance(b, Table):
                h.append(_table_html(b))
                md += [_table_md(b), ""]
            elif isinstance(b, Figure):
                data = base64.b64encode(b.png).decode("ascii")
                alt = html.escape(b.caption or b.name, quote=True)
                h.append(f"<figure id='fig-{b.name}'><img alt='{alt}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{_inline(b.caption)}</figcaption></figure>")
                (fig_dir / f"{b.name}.png").write_bytes(b.png)
                md += [f"![{b.caption or b.name}]({fig_rel}/{b.name}.png)", "", f"*{b.caption}*" if b.caption else "", ""]
        h.append("</section>")
    h.append("</body></html>")
    return "\n".join(h), "\n".join(md)


def write_report(results_dir: Path, reports_root: Path = Path("reports"), quiet: bool = False) -> dict[str, Path]:
    """Write ``reports/<scenario>/<results_dir name>.html`` and ``.md`` (figures in ``<name>_figures/``)."""
    from ipsecon.output.results import _atomic_write

    results_dir = Path(results_dir)
    inp = read_inputs(results_dir)
    sections = build_sections(inp)
    figures = [b for s in sections for b in s.blocks if isinstance(b, Figure)]
    with Progress("report figures", total=len(figures), quiet=quiet) as bar:
        for b in figures:
            b.png = _render_png(b)
            bar.advance()
    out_dir = Path(reports_root) / inp.name
    stem = results_dir.resolve().name
    fig_dir = out_dir / f"{stem}_figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    for old in fig_dir.glob("*.png"):  # figures of an earlier report of this folder that no longer apply
        old.unlink()
    sc = inp.scenario
    title = sc.spec.title if sc is not None else str(inp.attrs.get("title") or inp.attrs.get("scenario_title") or inp.name)
    subtitle = f"ipsecon report of {results_dir} — scenario {inp.name}, prices of {inp.price_year}"
    html_text, md_text = render(sections, title, subtitle, fig_dir, fig_dir.name)
    paths = {"html": out_dir / f"{stem}.html", "markdown": out_dir / f"{stem}.md", "figures": fig_dir}
    _atomic_write(paths["html"], lambda p: Path(p).write_text(html_text, encoding="utf-8"))
    _atomic_write(paths["markdown"], lambda p: Path(p).write_text(md_text, encoding="utf-8"))
    umask = os.umask(0)
    os.umask(umask)
    for key in ("html", "markdown"):  # a temporary file is private (0600); a report is meant to be shared
        paths[key].chmod(0o666 & ~umask)
    return paths
