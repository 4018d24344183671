"""The report's first and last words: a warning when the files come from different runs, the
question and the scenario with the run's assumptions (structure and overrides among them), the
headline numbers, and the files and commands to reproduce it."""

from __future__ import annotations

import datetime as dt

import shlex

import pandas as pd
import xarray as xr

from ipsecon import __version__
from ipsecon.output.report.blocks import NOT_RECORDED, Alert, Section, Table, Text, bullets, years_text
from ipsecon.output.report.breakeven_section import breakeven_headline
from ipsecon.output.report.citations import citation
from ipsecon.output.report.commands import reproduce_command, shown_path
from ipsecon.output.report.folder import Inputs
from ipsecon.output.report.runs import RunInfo
from ipsecon.output.report.i18n import number, percent, signed
from ipsecon.output.report.i18n import t
from ipsecon.output.report.decision import label as perspective_name

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
IDENTITY_WORDS = {"scenario_hash": "scenario or its parameters (hash)", "structure": "model structure",
                  "overrides": "overrides (--set)", "engine": "engine", "seed": "seed", "individuals": "individuals"}


def runs_table(runs: list[RunInfo]) -> pd.DataFrame:
    return pd.DataFrame([r.assumptions() | {"title": r.title or NOT_RECORDED} for r in runs])


def mixed_runs_banner(inp: Inputs) -> list:
    """A warning for the top of the report when its files come from different runs, naming each run's assumptions."""
    pairs = inp.mixed()
    if not pairs:
        return []
    which = "; ".join(f"`{a.file}` and `{b.file}` differ in {', '.join(IDENTITY_WORDS[k] for k in c)}"
                      for a, b, c in pairs)
    runs = [r for _, rs in inp.file_runs() for r in rs]
    return [Alert(f"**Warning: the files in this folder come from different runs.** {which}. Each section below is "
                  "drawn from its own file and describes that file's run; numbers from different sections do not "
                  "describe the same inputs."),
            Table(runs_table(runs), "The run behind each file, as the file records it.")]


def validation_banner(inp: Inputs) -> list:
    """A warning for the top of the report when the run contradicts published figures it was not fitted to
    (or misses one it was fitted to): each MISS named, with the published interval and the model's value."""
    ds = inp.results
    if ds is None or "target_verdict" not in ds:
        return []
    verdicts = [str(v) for v in ds["target_verdict"].values]
    misses = [i for i, v in enumerate(verdicts) if v == "MISS"]
    if not misses:
        return []
    rows = pd.DataFrame([{"figure": str(ds["target"].values[i]),
                          "use": str(ds["target_role"].values[i]) if "target_role" in ds else "",
                          "published": f"{percent(float(ds['target_published'].values[i]), 1)} "
                                       f"[{percent(float(ds['target_low'].values[i]), 1)}, "
                                       f"{percent(float(ds['target_high'].values[i]), 1)}]",
                          "model": percent(float(ds["target_model"].values[i]), 1),
                          "source": citation(str(ds["target_source"].values[i]))} for i in misses])
    return [Alert(f"**Warning: the model misses {len(misses)} of the {len(verdicts)} published figures this scenario "
                  "is compared with** (MISS: the model's value lies outside the published 95 % interval, or the "
                  "stated tolerance). Read its results with that in mind: the model contradicts the evidence there."),
            Table(rows, "Published figures the model misses (the full list, with those it meets, is in the "
                        "employment section).")]


def _run_line(run: RunInfo) -> str:
    parts = [f"engine {run.engine_text()}"]
    if run.horizon_years is not None:
        parts.append(f"horizon {run.horizon_years:g} years")
    pop = run.card.get("population") or {}
    if pop.get("size") is not None:
        parts.append(f"population {number(int(pop['size']))} people from {pop.get('start_year')}")
    parts.append(f"prices of {run.price_year}" if run.price_year else f"price year {NOT_RECORDED}")
    rates = run.discount_rates
    parts.append("discounting " + (", ".join(f"{k} {percent(v)}" for k, v in rates.items()) + " per year" if rates
                                   else NOT_RECORDED))
    parts.append(f"model structure {run.structure_text()}")
    parts.append(f"overrides (--set) {run.overrides_text()}")
    file, digest = run.get("scenario_file"), run.get("scenario_hash")
    parts.append(f"scenario file `{shown_path(file)}`" if file else f"scenario file {NOT_RECORDED}")
    if digest:
        parts[-1] += f" (hash `{digest}`)"
    return f"Run (`{run.file}`): " + "; ".join(parts) + "."


def _comparison(run: RunInfo) -> Text | None:
    comparator, interventions = run.roles()
    if comparator is None or not interventions:
        if run.model.get("strategies") and len(run.model["strategies"]) < 2:
            return None
        return Text(f"Which strategy is the comparator is {NOT_RECORDED}; no strategy is compared with another.")
    labels = run.strategy_labels()
    them = t("decision.and").join(f"**{labels.get(i, i)}** (`{i}`)" for i in interventions)
    py = run.price_year or NOT_RECORDED
    return Text(t("summary.comparison", them=them, comparator=f"**{labels.get(comparator, comparator)}** (`{comparator}`)",
                  year=py))


def question_section(inp: Inputs, facts: dict) -> Section:
    sec = Section("question", "The question and the scenario")
    several = len(inp.breakeven_runs) > 1 and not any(f in inp.runs for f in ("results.nc", "psa.nc", "dsa.nc", "sobol.nc"))
    run = inp.main
    card = inp.card_run.card
    if several:
        sec.add(Text(f"Break-even wages of {len(inp.breakeven_runs)} scenarios, each from its own run:"))
        sec.add(Table(runs_table(list(inp.breakeven_runs.values()))))
    else:
        sec.add(Text(card["description"] if card.get("description") else
                     f"The scenario's description is {NOT_RECORDED} (`{run.file or 'no result file'}`)."))
        comparison = _comparison(run)
        if comparison is not None:
            sec.add(comparison)
    if facts.get("headline"):
        sec.add(Text(f"**{t('summary.key_numbers')}**\n\n" + bullets(facts["headline"])))
    if not several and run.recorded:
        others = [r for _, rs in inp.file_runs() for r in rs if r is not run] if inp.mixed() else []
        sec.add(Text("\n\n".join(_run_line(r) for r in [run] + others)))
    if card.get("sources") and not several:
        sec.add(Text(t("summary.sources") + "\n\n" + bullets(citation(c) for c in card["sources"])))
    sec.add(Text(t("summary.terms")))
    sec.add(Table(pd.DataFrame(GLOSSARY, columns=["term", "meaning"])))
    sec.add(Text(t("summary.read_only")))
    missing = inp.unverifiable()
    if missing:
        sec.add(Text(bullets(f"`{r.file}` does not record its run's {', '.join(IDENTITY_WORDS[k] for k in r.unrecorded())}; "
                             "the report cannot check that it comes from the same run as the other files."
                             for r in missing)))
    return sec


def headline(inp: Inputs, facts: dict) -> list[str]:
    lines = []
    run = inp.run("results.nc")
    comparator, interventions = run.roles()
    summary = inp.summary
    if inp.results is not None and "occupancy" in inp.results and summary is not None and comparator in summary.index:
        cols = [c for c in summary.columns if c.startswith("employed_m") and not c.endswith("_se")]
        short = run.short_labels(list(summary.index))
        for i in [i for i in interventions if i in summary.index] if cols else []:
            c = cols[-1]
            a, b = summary.loc[i, c], summary.loc[comparator, c]
            lines.append(t("headline.employment", when=years_text(float(c.replace("employed_m", ""))),
                           a=percent(a, 1), name=short[i], b=percent(b, 1), comparator=short[comparator].lower(),
                           diff=signed((a - b) * 100, 1)))
    horizon = run.horizon_years
    over = t("decision.over", years=f"{horizon:g}") if horizon else t("npv.over_horizon")
    npv = facts.get("npv", {})
    for i, table in npv.items():
        by = table.set_index("perspective")
        who = f" ({run.short_labels([i])[i]})" if len(npv) > 1 else ""
        for p in ("society", "public", "nav"):
            if p in by.index:
                r = by.loc[p]
                pb = t("headline.never") if r.payback_month != r.payback_month else \
                    t("headline.pays_back", m=int(r.payback_month))
                name = perspective_name(p)
                lines.append(t("headline.npv", who=name[0].upper() + name[1:] + who, npv=signed(r.incremental_npv),
                               over=over, payback=pb))
    if "breakeven" in facts:
        lines += breakeven_headline(inp, facts["breakeven"])
    return lines


def _dataset(inp: Inputs, file: str):
    if file == "breakeven.nc" and inp.breakeven is not None:  # the table's coordinates are all a command needs
        be = inp.breakeven
        return xr.Dataset(coords={"horizon_years": sorted(be["horizon_years"].unique()),
                                  "perspective": list(dict.fromkeys(be["perspective"]))})
    return {"results.nc": inp.results, "psa.nc": inp.psa, "dsa.nc": inp.dsa, "sobol.nc": inp.sobol}.get(file)


def reproduce_section(inp: Inputs) -> Section:
    sec = Section("reproduce", "Files and how to reproduce")
    files = sorted(p.name for p in inp.folder.iterdir() if p.is_file() and not p.name.startswith("."))
    folder = shown_path(inp.folder)
    commands = [c for f, run in inp.runs.items() if (c := reproduce_command(f, run, _dataset(inp, f), inp.folder))]
    commands = list(dict.fromkeys(commands)) + [f"ipsecon report {shlex.quote(folder)}"]
    sec.add(Text(t("reproduce.files", folder=folder) + "\n\n" + bullets(f"`{f}`" for f in files)))
    sec.add(Text(t("reproduce.commands") + "\n\n" + bullets(f"`{c}`" for c in commands)))
    sec.add(Text(t("reproduce.written", version=__version__, date=f"{dt.date.today():%Y-%m-%d}")))
    return sec
