"""The model card: states and moves, transitions, strategy effects, key parameters with their
values and sources, assumptions, Norwegian rules and conventions — all from the scenario card a
result file records (the model and parameters as run), never from the scenario files."""

from __future__ import annotations

import pandas as pd

from ipsecon.output import figures as figs
from ipsecon.output.report.blocks import not_recorded, Figure, Section, Table, Text, fmt
from ipsecon.output.report.citations import citation
from ipsecon.output.report.commands import shown_path
from ipsecon.output.report.i18n import t
from ipsecon.output.report.messages import CATALOGUES
from ipsecon.output.report.runs import RunInfo

SOURCE_LIMIT = 240  # calibration provenance runs to paragraphs; the card holds it whole


def _sources(tr: dict) -> list[str]:
    src = tr.get("from", tr.get("from_"))
    return src if isinstance(src, list) else [src]


def value_text(p: dict) -> str:
    """A parameter's value as run: a number, components, or 'table by KEY'; with when it is in force."""
    v = p.get("value")
    if isinstance(v, str):
        text = v
    elif isinstance(v, dict):
        text = ", ".join(f"{k}={fmt(float(x))}" for k, x in v.items())
    elif isinstance(v, (int, float)):
        text = fmt(float(v))
    elif isinstance(v, list):
        text = t("card.n_values", n=len(v))
    else:
        text = not_recorded()
    if p.get("in_force") is not None:
        text += " " + t("card.in_force", date=p["in_force"])
    if p.get("overridden"):
        text += " " + t("card.overridden")
    return text


def distribution_text(d: dict | None) -> str:
    if not d:
        return ""
    fields = {k: v for k, v in d.items() if v is not None and k != "type"}
    return f"{d.get('type', '')}(" + ", ".join(f"{k}={fmt(v) if isinstance(v, float) else v}"
                                               for k, v in fields.items()) + ")"


def parameter_rows(params: dict[str, dict], names: list[str]) -> pd.DataFrame:
    rows = []
    for name in names:
        p = params[name]
        source = citation(p.get("source", ""))
        if len(source) > SOURCE_LIMIT:
            source = source[:230].rsplit(" ", 1)[0] + " … " + t("card.abridged")
        rows.append({"parameter": name, "value": value_text(p), "unit": p.get("unit", ""),
                     "uncertainty": distribution_text(p.get("distribution")), "evidence": p.get("evidence", ""),
                     "source": source})
    columns = ["parameter", "value", "unit", "uncertainty", "evidence", "source"]
    return pd.DataFrame(rows, columns=columns).rename(columns={c: t(f"card.col.{c}") for c in columns})


def moves(spec: dict) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    """(every allowed move, the moves a strategy effect changes)."""
    states = list(spec.get("states") or {})
    pairs = []
    for tr in spec.get("transitions") or []:
        sources = _sources(tr)
        if sources == ["any"]:
            sources = [s for s in states if s != tr["to"]]
        pairs += [(s, tr["to"]) for s in sources]
    changed = set()
    for st in (spec.get("strategies") or {}).values():
        for e in st.get("effects") or []:
            a, b = (x.strip() for x in str(e["transition"]).split("->", 1))
            changed.add((a, b))
    return pairs, changed


def _effect_rows(spec: dict) -> list[dict]:
    eff = []
    for name, st in (spec.get("strategies") or {}).items():
        for e in st.get("effects") or []:
            kind, value = next(((k, e[key]) for k, key in (("hr", "hr"), ("rr", "rr"), ("or", "or"), ("or", "odds_ratio"))
                                 if e.get(key) is not None), ("effect", ""))
            timing = []
            if e.get("decay_start") is not None:
                timing.append(t("card.effect.full", until=e["decay_start"]))
            if e.get("half_life") is not None:
                timing.append(t("card.effect.halves", years=e["half_life"]))
            if e.get("end") is not None:
                timing.append(t("card.effect.end", years=e["end"]))
            eff.append({t("card.col.strategy"): name, t("card.col.move"): e["transition"],
                        t("card.col.effect"): f"{t(f'card.effect.{kind}')} {value}",
                        t("card.col.over_time"): "; ".join(timing)})
    return eff


def _diagram(sec: Section, run: RunInfo, spec: dict) -> None:
    comparator, interventions = run.roles()
    pairs, changed = moves(spec)
    labels = run.state_labels()
    strategies = list(spec.get("strategies") or {})
    colour = figs.strategy_colours(strategies, comparator).get(interventions[0]) if interventions else None
    name = ", ".join(interventions) or None
    sec.add(Figure("model_diagram", lambda: figs.model_diagram_figure(labels, pairs, changed, name, colour),
                   t("card.diagram")))




def _parameters(sec: Section, card: dict, spec: dict, base_case: str | None = None) -> None:
    params = card.get("parameters") or {}
    used = card.get("referenced_parameters")
    if used is None:
        sec.add(Text(t("card.key.unrecorded", what=not_recorded())))
        return
    key = [n for n in params if n in set(used) and not n.startswith("rules.")]
    ledger = set(card.get("ledger_parameters") or [])  # read by the payer ledger, not through formulas
    key += [n for n in params if n in ledger and n not in key]
    if key:
        sec.add(Text(t("card.key", base=(" " + t(f"card.base.{base_case}")) if base_case in ("mean", "point") else "")
                     + " " + t("card.evidence")))
        sec.add(Table(parameter_rows(params, key)))
        assumptions = [n for n in key if params[n].get("evidence") == "assumption"]
        if assumptions:
            sec.add(Text(t("card.assumptions") + "\n\n"
                         + "\n".join(f"- `{n}` = {value_text(params[n])} {params[n].get('unit', '')}: "
                                     f"{' '.join(str(params[n].get('description', '')).split())}" for n in assumptions)))
    rules = [n for n in params if n.startswith("rules.") and not str(params[n].get("value", "")).startswith("table by")]
    if rules and spec.get("employment_state") is not None:
        sec.add(Text(t("card.rules")))
        sec.add(Table(parameter_rows(params, rules).iloc[:, [0, 1, 2, 5]]))


def model_card_section(run: RunInfo) -> Section | None:
    spec, card = run.model, run.card
    if not spec:
        return None
    sec = Section("model", t("section.model"))
    states = spec.get("states") or {}
    cycle = float(spec.get("cycle_years", 1 / 12))
    every = t("card.month") if abs(cycle - 1 / 12) < 1e-9 else t("time.years", n=f"{cycle:g}")
    where = f"`{shown_path(card['model_file'])}`" if card.get("model_file") else not_recorded()
    sec.add(Text(t("card.intro", name=spec.get("name") or t("section.model"), n=len(states), every=every, where=where,
                   file=run.file)))
    _diagram(sec, run, spec)
    rows = []
    for tr in spec.get("transitions") or []:
        kind = "probability" if tr.get("probability") is not None else "rate"
        per = tr.get("per", "cycle")
        rows.append({t("card.col.from"): ", ".join(_sources(tr)), t("card.col.to"): tr["to"],
                     t("card.col.kind"): t(f"card.{kind}", per=t(f"card.per.{per}") if f"card.per.{per}" in CATALOGUES["en"]
                                           else per),
                     t("card.col.formula"): " ".join(str(tr.get(kind)).split())})
    sec.add(Table(pd.DataFrame(rows), t("card.transitions")))
    eff = _effect_rows(spec)
    if eff:
        sec.add(Table(pd.DataFrame(eff), t("card.effects")))
    _parameters(sec, card, spec, run.get("base_case"))
    counting = run.counting or spec.get("counting", "end")
    conv = [t("card.cycle", months=f"{cycle * 12:.3g}"),
            t(f"card.counting.{counting}") if counting in ("start", "end") else t("card.counting", how=counting)]
    keys = ("scenario_file", "scenario_hash", "structure", "overrides", "ipsecon_version", "engine")
    keys += ("seed", "individuals") if run.microsim else ()  # a cohort run has neither
    prov = {k: run.get(k) for k in keys + ("horizon_years", "created") if run.get(k) is not None}
    if "scenario_file" in prov:
        prov["scenario_file"] = shown_path(prov["scenario_file"])
    sec.add(Text(t("card.conventions", conventions="; ".join(conv),
                   provenance="; ".join(f"{k} `{v}`" for k, v in prov.items()))))
    return sec
