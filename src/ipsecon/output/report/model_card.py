"""The model card: states and moves, transitions, strategy effects, key parameters with their
values and sources, assumptions, Norwegian rules and conventions — all from the scenario card a
result file records (the model and parameters as run), never from the scenario files."""

from __future__ import annotations

import pandas as pd

from ipsecon.output import figures as figs
from ipsecon.output.report.blocks import NOT_RECORDED, Figure, Section, Table, Text, fmt
from ipsecon.output.report.citations import citation
from ipsecon.output.report.commands import shown_path
from ipsecon.output.report.runs import RunInfo

SOURCE_LIMIT = 240  # calibration provenance runs to paragraphs; the card holds it whole
EVIDENCE = ("Evidence: C confirmed in the source, C2 via a secondary source, D derived, M widely cited but unverified, "
            "calibrated (fitted to trial results), assumption (our choice).")


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
        text = f"{len(v)} values"
    else:
        text = NOT_RECORDED
    if p.get("in_force") is not None:
        text += f" (in force {p['in_force']})"
    if p.get("overridden"):
        text += " (overridden)"
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
            source = source[:230].rsplit(" ", 1)[0] + " … (abridged; in full in the result file's scenario card)"
        rows.append({"parameter": name, "value": value_text(p), "unit": p.get("unit", ""),
                     "uncertainty": distribution_text(p.get("distribution")), "evidence": p.get("evidence", ""),
                     "source": source})
    return pd.DataFrame(rows, columns=["parameter", "value", "unit", "uncertainty", "evidence", "source"])


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
            kind, value = next(((k, e[key]) for k, key in (("hazard ratio", "hr"), ("risk ratio", "rr"),
                                                             ("odds ratio", "or"), ("odds ratio", "odds_ratio"))
                                 if e.get(key) is not None), ("effect", ""))
            timing = []
            if e.get("decay_start") is not None:
                timing.append(f"full until {e['decay_start']}")
            if e.get("half_life") is not None:
                timing.append(f"then halves every {e['half_life']} years")
            if e.get("end") is not None:
                timing.append(f"none after {e['end']} years")
            eff.append({"strategy": name, "move": e["transition"], "effect": f"{kind} {value}",
                        "over time": "; ".join(timing)})
    return eff


def _diagram(sec: Section, run: RunInfo, spec: dict) -> None:
    comparator, interventions = run.roles()
    pairs, changed = moves(spec)
    labels = run.state_labels()
    strategies = list(spec.get("strategies") or {})
    colour = figs.strategy_colours(strategies, comparator).get(interventions[0]) if interventions else None
    name = ", ".join(interventions) or None
    sec.add(Figure("model_diagram", lambda: figs.model_diagram_figure(labels, pairs, changed, name, colour),
                   "States and allowed moves. Thick coloured arrows: moves whose rate the intervention changes."))


BASE_CASE = {"mean": " (the base case: each parameter with an uncertainty distribution at its mean, calibrated ones "
                     "at their fitted value; `run.base_case: mean`)",
             "point": " (the base case: the published point values; `run.base_case: point`)"}


def _parameters(sec: Section, card: dict, spec: dict, base_case: str | None = None) -> None:
    params = card.get("parameters") or {}
    used = card.get("referenced_parameters")
    if used is None:
        sec.add(Text(f"**Key parameters** — which parameters the model reads is {NOT_RECORDED}."))
        return
    key = [n for n in params if n in set(used) and not n.startswith("rules.")]
    ledger = set(card.get("ledger_parameters") or [])  # read by the payer ledger, not through formulas
    key += [n for n in params if n in ledger and n not in key]
    if key:
        sec.add(Text("**Key parameters** — those the model's formulas and the payer ledger read, with the value used "
                     f"in this run{BASE_CASE.get(base_case, '')}. {EVIDENCE}"))
        sec.add(Table(parameter_rows(params, key)))
        assumptions = [n for n in key if params[n].get("evidence") == "assumption"]
        if assumptions:
            sec.add(Text("**Assumptions** — parameters not taken from a source but chosen by the modellers; they are "
                         "the first candidates for sensitivity analysis:\n\n"
                         + "\n".join(f"- `{n}` = {value_text(params[n])} {params[n].get('unit', '')}: "
                                     f"{' '.join(str(params[n].get('description', '')).split())}" for n in assumptions)))
    rules = [n for n in params if n.startswith("rules.") and not str(params[n].get("value", "")).startswith("table by")]
    if rules and spec.get("employment_state") is not None:
        sec.add(Text("**Norwegian rules** (benefits, tax, G) in force in the price year, from `parameters/rules/`:"))
        sec.add(Table(parameter_rows(params, rules)[["parameter", "value", "unit", "source"]]))


def model_card_section(run: RunInfo) -> Section | None:
    spec, card = run.model, run.card
    if not spec:
        return None
    sec = Section("model", "Model card")
    states = spec.get("states") or {}
    cycle = float(spec.get("cycle_years", 1 / 12))
    every = "month" if abs(cycle - 1 / 12) < 1e-9 else f"{cycle:g} years"
    where = f"`{shown_path(card['model_file'])}`" if card.get("model_file") else NOT_RECORDED
    sec.add(Text(f"**{spec.get('name') or 'Model'}** — {len(states)} states, moves between them each {every}. A box is "
                 "where a person is at the end of a month; an arrow is a move the model allows. The model is "
                 f"declared in YAML ({where}) and can be read and changed without Python. This card shows the model "
                 f"and parameters as run, as `{run.file}` records them."))
    _diagram(sec, run, spec)
    rows = []
    for tr in spec.get("transitions") or []:
        kind = "probability" if tr.get("probability") is not None else "rate"
        rows.append({"from": ", ".join(_sources(tr)), "to": tr["to"], "kind": f"{kind} per {tr.get('per', 'cycle')}",
                     "formula": " ".join(str(tr.get(kind)).split())})
    sec.add(Table(pd.DataFrame(rows), "Transitions as declared (staying is the complement). Rates out of one state "
                                      "are combined as competing risks."))
    eff = _effect_rows(spec)
    if eff:
        sec.add(Table(pd.DataFrame(eff), "Strategy effects (formulas and parameter names; values below)."))
    _parameters(sec, card, spec, run.get("base_case"))
    counting = run.counting or spec.get("counting", "end")
    conv = [f"cycle {cycle * 12:.3g} months", f"counting at the {counting} of each cycle"
            if counting in ("start", "end") else f"{counting} counting"]
    keys = ("scenario_file", "scenario_hash", "structure", "overrides", "ipsecon_version", "engine")
    keys += ("seed", "individuals") if run.microsim else ()  # a cohort run has neither
    prov = {k: run.get(k) for k in keys + ("horizon_years", "created") if run.get(k) is not None}
    if "scenario_file" in prov:
        prov["scenario_file"] = shown_path(prov["scenario_file"])
    sec.add(Text("Conventions: " + "; ".join(conv) + ". Provenance of this run: "
                 + "; ".join(f"{k} `{v}`" for k, v in prov.items()) + "."))
    return sec
