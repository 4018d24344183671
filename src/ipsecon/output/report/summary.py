"""The report's first and last words: a warning when the files come from different runs, the
question and the scenario with the run's assumptions (structure and overrides among them), the
headline numbers, and the files and commands to reproduce it."""

from __future__ import annotations

import datetime as dt

import shlex

import pandas as pd
import xarray as xr

from ipsecon import __version__
from ipsecon.output.report.blocks import not_recorded, Alert, Section, Table, Text, bullets, years_text
from ipsecon.output.report.breakeven_section import breakeven_headline
from ipsecon.output.report.citations import citation
from ipsecon.output.report.commands import reproduce_command, shown_path
from ipsecon.output.report.folder import Inputs
from ipsecon.output.report.runs import RunInfo
from ipsecon.output.report.i18n import number, percent, signed
from ipsecon.output.report.i18n import t
from ipsecon.output.report.decision import label as perspective_name

GLOSSARY = ("NAV", "AAP", "uføretrygd", "G", "health_trust", "social_assistance", "trygdeavgift", "employer_contribution",
            "IPS")  # terms of the glossary, in order; term and meaning in each language: glossary.<key>.term / .meaning
def identity_word(key: str) -> str:
    """An identity field of a run ('scenario_hash', 'seed', …) in words."""
    return t(f"identity.{key}")


def runs_table(runs: list[RunInfo]) -> pd.DataFrame:
    return pd.DataFrame([r.assumptions() | {t("run.col.title"): r.title or not_recorded()} for r in runs])


def mixed_runs_banner(inp: Inputs) -> list:
    """A warning for the top of the report when its files come from different runs, naming each run's assumptions."""
    pairs = inp.mixed()
    if not pairs:
        return []
    which = "; ".join(t("mixed.differ", a=a.file, b=b.file, what=", ".join(identity_word(k) for k in c))
                      for a, b, c in pairs)
    runs = [r for _, rs in inp.file_runs() for r in rs]
    return [Alert(t("mixed.warning", which=which)), Table(runs_table(runs), t("mixed.caption"))]


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
    def show(i: int, var: str) -> str:  # shares as percentages, reward totals in their unit
        total = "target_measure" in ds and str(ds["target_measure"].values[i]).startswith("reward_")
        x = float(ds[var].values[i])
        return number(x) if total else percent(x, 1)

    rows = pd.DataFrame([{t("validation.col.figure"): str(ds["target"].values[i]),
                          t("trace.col.use"): str(ds["target_role"].values[i]) if "target_role" in ds else "",
                          t("trace.col.published"): f"{show(i, 'target_published')} "
                                                    f"[{show(i, 'target_low')}, {show(i, 'target_high')}]",
                          t("trace.col.model"): show(i, "target_model"),
                          t("card.col.source"): citation(str(ds["target_source"].values[i]))} for i in misses])
    return [Alert(t("validation.warning", n=len(misses), of=len(verdicts))), Table(rows, t("validation.caption"))]


def _run_line(run: RunInfo) -> str:
    parts = [t("runline.engine", engine=run.engine_text())]
    if run.horizon_years is not None:
        parts.append(t("runline.horizon", years=f"{run.horizon_years:g}"))
    pop = run.card.get("population") or {}
    if pop.get("size") is not None:
        parts.append(t("runline.population", n=number(int(pop["size"])), year=pop.get("start_year")))
    parts.append(t("subtitle.prices", year=run.price_year) if run.price_year else t("runline.price_year",
                                                                                   what=not_recorded()))
    rates = run.discount_rates
    def rate(v) -> str:  # a rate, or a declining schedule: its first rate and the later steps
        if not isinstance(v, list):
            return percent(v)
        steps = sorted(v)
        return percent(steps[0][1]) + " (" + ", ".join(t("runline.discount_step", rate=percent(r), year=number(y))
                                                    for y, r in steps[1:]) + ")"
    parts.append(t("runline.discounting", rates=", ".join(f"{t('runline.' + k)} {rate(v)}" for k, v in rates.items()))
                 if rates else t("runline.discounting_unrecorded", what=not_recorded()))
    parts.append(t("runline.structure", structure=run.structure_text()))
    parts.append(t("runline.overrides", overrides=run.overrides_text()))
    file, digest = run.get("scenario_file"), run.get("scenario_hash")
    parts.append(t("runline.scenario_file", file=shown_path(file)) if file else t("runline.scenario_file_unrecorded",
                                                                                  what=not_recorded()))
    if digest:
        parts[-1] += f" (hash `{digest}`)"
    return t("runline", file=run.file) + " " + "; ".join(parts) + "."


def _comparison(run: RunInfo) -> Text | None:
    comparator, interventions = run.roles()
    if comparator is None or not interventions:
        if run.model.get("strategies") and len(run.model["strategies"]) < 2:
            return None
        return Text(t("summary.no_comparator", what=not_recorded()))
    labels = run.strategy_labels()
    them = t("decision.and").join(f"**{labels.get(i, i)}** (`{i}`)" for i in interventions)
    py = run.price_year or not_recorded()
    return Text(t("summary.comparison", them=them, comparator=f"**{labels.get(comparator, comparator)}** (`{comparator}`)",
                  year=py))


def question_section(inp: Inputs, facts: dict) -> Section:
    sec = Section("question", t("section.question"))
    several = len(inp.breakeven_runs) > 1 and not any(f in inp.runs for f in ("results.nc", "psa.nc", "dsa.nc", "sobol.nc"))
    run = inp.main
    card = inp.card_run.card
    if several:
        sec.add(Text(t("summary.several", n=len(inp.breakeven_runs))))
        sec.add(Table(runs_table(list(inp.breakeven_runs.values()))))
    elif inp.sweep is not None and not inp.runs:
        pass  # a sweep's scenarios and comparisons are listed in its own section, with its summary table
    else:
        sec.add(Text(t("summary.description", text=citation(card["description"])) if card.get("description") else
                     t("summary.no_description", what=not_recorded(), file=run.file or "–")))
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
    sec.add(Table(pd.DataFrame([(t(f"glossary.{k}.term"), t(f"glossary.{k}.meaning")) for k in GLOSSARY],
                               columns=[t("glossary.col.term"), t("glossary.col.meaning")])))
    sec.add(Text(t("summary.read_only")))
    missing = inp.unverifiable()
    if missing:
        sec.add(Text(bullets(t("summary.unverifiable", file=r.file,
                               what=", ".join(identity_word(k) for k in r.unrecorded())) for r in missing)))
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
    sec = Section("reproduce", t("section.reproduce"))
    files = sorted(p.name for p in inp.folder.iterdir() if p.is_file() and not p.name.startswith("."))
    folder = shown_path(inp.folder)
    commands = [c for f, run in inp.runs.items() if (c := reproduce_command(f, run, _dataset(inp, f), inp.folder))]
    commands = list(dict.fromkeys(commands)) + [f"ipsecon report {shlex.quote(folder)}"]
    sec.add(Text(t("reproduce.files", folder=folder) + "\n\n" + bullets(f"`{f}`" for f in files)))
    sec.add(Text(t("reproduce.commands") + "\n\n" + bullets(f"`{c}`" for c in commands)))
    sec.add(Text(t("reproduce.written", version=__version__, date=f"{dt.date.today():%Y-%m-%d}")))
    return sec
