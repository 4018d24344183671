"""The report's fixed texts, one catalogue per language (``en``, ``nb``). A key missing in a
language falls back to English; ``{name}`` fields are filled by :func:`.i18n.t`.

Translated: the section titles, the navigation, the decision section (the answer a decision maker
reads first) and the labels around it. The long explanations inside the detailed sections are
still written in English in the section modules.
"""

EN = {
    "html.lang": "en",
    "contents": "Contents",
    "subtitle": "ipsecon report of {folder} — scenario {scenario}",
    "subtitle.prices": "prices of {year}",
    "model.summary": "Model card: states, transitions, parameters with sources, assumptions (click to open)",
    "section.decision": "The answer",
    "section.question": "The question and the scenario",
    "section.employment": "Employment by strategy",
    "section.occupancy": "Where people are over time",
    "section.payers": "Who pays, who gains, and when",
    "section.npv": "Costs and returns per perspective",
    "section.breakeven": "Break-even wage",
    "section.psa": "Probabilistic sensitivity analysis",
    "section.dsa": "One-way and two-way sensitivity",
    "section.sobol": "Which inputs drive the answer (Sobol indices)",
    "section.model": "Model card",
    "section.reproduce": "Files and how to reproduce",
    # the decision section
    "decision.in_short": "In short",
    "decision.verdict.pays": "{name} pays off for {who} {over}",
    "decision.verdict.pays_not": "{name} does not pay off for {who} {over}",
    "decision.verdict.but_not": "not for {who}",
    "decision.verdict.none": "{name} pays off for none of the perspectives shown {over}",
    "decision.verdict.all": "{name} pays off for every perspective shown {over}",
    "decision.and": " and ",
    "decision.over": "over {years} years",
    "decision.within": "within {years} years",
    "decision.wage.above": "The people who get jobs must earn at least {wage} NOK a year (gross) for {who} to break even "
                           "at {years} years; the wage assumed for the group is {assumed} NOK — {gap} NOK below it, so "
                           "at the assumed wage it does not break even.",
    "decision.wage.below": "The people who get jobs must earn at least {wage} NOK a year (gross) for {who} to break even "
                           "at {years} years; the wage assumed for the group is {assumed} NOK — {gap} NOK above it, so "
                           "at the assumed wage it pays off.",
    "decision.wage.only": "Break-even gross wage for {who} at {years} years: {wage} NOK a year (the wage assumed for the "
                          "group is not recorded).",
    "decision.wage.any": "{who}: pays off at any wage (break-even wage 0) at {years} years.",
    "decision.wage.none": "{who}: no wage up to the bracket's top breaks even at {years} years.",
    "decision.wage.not_computed": "The break-even wage was not computed for this run (`--no-report` skips it).",
    "decision.psa": "Across {n} parameter samples, the probability that it pays off at {years} years: {probs}.",
    "decision.table.caption": "Per person in the starting group, discounted, NOK of {year}; {name} against {comparator}.",
    "decision.col.perspective": "perspective",
    "decision.col.pays": "pays off?",
    "decision.col.npv": "net present value",
    "decision.col.npv_psa": "net present value (PSA mean, 95 % interval)",
    "decision.col.payback": "payback",
    "decision.col.breakeven": "break-even wage (assumed {assumed})",
    "decision.col.breakeven_median": "break-even wage, median (assumed {assumed})",
    "decision.col.per_job_year": "cost per extra employment-year",
    "decision.col.prob": "P(pays off)",
    "decision.yes": "yes",
    "decision.no": "no",
    "decision.month": "month {m}",
    "decision.by_years": "by {years} years",
    "decision.never": "not within {years} years",
    "decision.any_wage": "any wage",
    "decision.no_wage": "none in the bracket",
    "decision.not_wage_linked": "not wage-linked",
    "decision.saves": "saves money",
    "decision.icer": "Cost per QALY gained, {who} perspective: {value} NOK (incremental net cost {cost} NOK ÷ {qalys} "
                     "QALYs gained).",
    "decision.icer.dominant": "Cost per QALY gained, {who} perspective: {name} gains {qalys} QALYs and saves "
                              "{cost} NOK (dominant).",
    "decision.icer.none": "Cost per QALY gained: not defined ({name} gains no QALYs in this run).",
    "decision.icer.which": "Here the cost per QALY is the {who} perspective's: its money net of the value of health, "
                           "divided by the QALYs gained; the other perspectives are budgets, for which a cost per QALY "
                           "is not a decision rule.",
    "decision.per_job_year": "Cost per extra employment-year: what each perspective pays, net, for one more year in work "
                             "(negative: it gains money as well as employment).",
    "decision.evidence": "Evidence and details follow: employment against the trial's results, money over time, "
                         "uncertainty; the model card is last.",
    "decision.base_case": "Deterministic base case (one-way sensitivity file): incremental NPV at {years} years — {values}.",
    "decision.sobol": "Variance-based sensitivity run ({n} model runs); the answer's base case is in the simulate report.",
    "decision.breakeven_only": "Break-even gross wage at {years} years, against the wage assumed for the group:",
    "decision.sweep": "A sweep of scenarios and override sets; the summary table below gives the answer per case.",
    "perspective.society": "society",
    "perspective.public": "public purse",
    "perspective.nav": "NAV",
    "perspective.health": "health trust",
    "perspective.municipality": "municipality",
    "perspective.state": "state (tax)",
    "perspective.individual": "individual",
    "perspective.employer": "employer",
    # the same in a sentence ('pays off for the public purse')
    "who.public": "the public purse",
    "who.health": "the health trust",
    "who.municipality": "the municipality",
    "who.state": "the state (tax)",
    "who.individual": "the individual",
    "who.employer": "the employer",
}

NB = {
    "html.lang": "nb",
    "contents": "Innhold",
    "subtitle": "ipsecon-rapport for {folder} — scenario {scenario}",
    "subtitle.prices": "{year}-priser",
    "model.summary": "Modellkort: tilstander, overganger, parametere med kilder, antakelser (klikk for å åpne)",
    "section.decision": "Svaret",
    "section.question": "Spørsmålet og scenarioet",
    "section.employment": "Sysselsetting etter tiltak",
    "section.occupancy": "Hvor folk er over tid",
    "section.payers": "Hvem betaler, hvem tjener, og når",
    "section.npv": "Kostnader og gevinster per perspektiv",
    "section.breakeven": "Break-even-lønn",
    "section.psa": "Probabilistisk sensitivitetsanalyse",
    "section.dsa": "En- og toveis sensitivitetsanalyse",
    "section.sobol": "Hvilke inndata driver svaret (Sobol-indekser)",
    "section.model": "Modellkort",
    "section.reproduce": "Filer og hvordan gjenskape dem",
    "decision.in_short": "Kort sagt",
    "decision.verdict.pays": "{name} lønner seg for {who} {over}",
    "decision.verdict.pays_not": "{name} lønner seg ikke for {who} {over}",
    "decision.verdict.but_not": "ikke for {who}",
    "decision.verdict.none": "{name} lønner seg ikke for noen av perspektivene som vises {over}",
    "decision.verdict.all": "{name} lønner seg for alle perspektivene som vises {over}",
    "decision.and": " og ",
    "decision.over": "over {years} år",
    "decision.within": "innen {years} år",
    "decision.wage.above": "De som får jobb, må tjene minst {wage} kr i året (brutto) for at {who} skal gå i balanse "
                           "etter {years} år; lønnen som er antatt for gruppen, er {assumed} kr — {gap} kr under, så "
                           "med antatt lønn går det ikke i balanse.",
    "decision.wage.below": "De som får jobb, må tjene minst {wage} kr i året (brutto) for at {who} skal gå i balanse "
                           "etter {years} år; lønnen som er antatt for gruppen, er {assumed} kr — {gap} kr over, så "
                           "med antatt lønn lønner det seg.",
    "decision.wage.only": "Break-even-lønn (brutto) for {who} etter {years} år: {wage} kr i året (antatt lønn for "
                          "gruppen er ikke registrert).",
    "decision.wage.any": "{who}: lønner seg ved enhver lønn (break-even-lønn 0) etter {years} år.",
    "decision.wage.none": "{who}: ingen lønn opp til intervallets øvre grense gir balanse etter {years} år.",
    "decision.wage.not_computed": "Break-even-lønnen ble ikke beregnet i denne kjøringen (`--no-report` hopper over den).",
    "decision.psa": "Over {n} parametertrekk er sannsynligheten for at det lønner seg etter {years} år: {probs}.",
    "decision.table.caption": "Per person i startgruppen, diskontert, kroner i {year}-priser; {name} mot {comparator}.",
    "decision.col.perspective": "perspektiv",
    "decision.col.pays": "lønner seg?",
    "decision.col.npv": "netto nåverdi",
    "decision.col.npv_psa": "netto nåverdi (PSA-snitt, 95 %-intervall)",
    "decision.col.payback": "tilbakebetalt",
    "decision.col.breakeven": "break-even-lønn (antatt {assumed})",
    "decision.col.breakeven_median": "break-even-lønn, median (antatt {assumed})",
    "decision.col.per_job_year": "kostnad per ekstra arbeidsår",
    "decision.col.prob": "P(lønner seg)",
    "decision.yes": "ja",
    "decision.no": "nei",
    "decision.month": "måned {m}",
    "decision.by_years": "innen {years} år",
    "decision.never": "ikke innen {years} år",
    "decision.any_wage": "enhver lønn",
    "decision.no_wage": "ingen i intervallet",
    "decision.not_wage_linked": "ikke lønnsavhengig",
    "decision.saves": "sparer penger",
    "decision.icer": "Kostnad per vunnet QALY, perspektiv {who}: {value} kr (inkrementell nettokostnad {cost} kr ÷ "
                     "{qalys} vunne QALY).",
    "decision.icer.dominant": "Kostnad per vunnet QALY, perspektiv {who}: {name} gir {qalys} QALY mer og sparer "
                              "{cost} kr (dominant).",
    "decision.icer.none": "Kostnad per vunnet QALY: ikke definert ({name} gir ingen QALY-gevinst i denne kjøringen).",
    "decision.icer.which": "Kostnad per QALY er her perspektivet {who}: pengene fratrukket verdien av helse, delt på "
                           "vunne QALY; de andre perspektivene er budsjetter, der kostnad per QALY ikke er en "
                           "beslutningsregel.",
    "decision.per_job_year": "Kostnad per ekstra arbeidsår: hva hvert perspektiv betaler netto for ett år mer i arbeid "
                             "(negativt: det tjener penger i tillegg til sysselsetting).",
    "decision.evidence": "Deretter følger dokumentasjonen: sysselsetting mot forsøkets resultater, penger over tid, "
                         "usikkerhet; modellkortet kommer sist.",
    "decision.base_case": "Deterministisk basisberegning (enveis sensitivitet): inkrementell netto nåverdi etter {years} "
                          "år — {values}.",
    "decision.sobol": "Variansbasert sensitivitetsanalyse ({n} modellkjøringer); svaret i basisberegningen står i "
                      "simulate-rapporten.",
    "decision.breakeven_only": "Break-even-lønn (brutto) etter {years} år, mot lønnen som er antatt for gruppen:",
    "decision.sweep": "En sweep over scenarioer og overstyringer; oppsummeringstabellen nedenfor gir svaret per tilfelle.",
    "perspective.society": "samfunnet",
    "perspective.public": "det offentlige",
    "perspective.nav": "NAV",
    "perspective.health": "helseforetaket",
    "perspective.municipality": "kommunen",
    "perspective.state": "staten (skatt)",
    "perspective.individual": "den enkelte",
    "perspective.employer": "arbeidsgiver",
}

CATALOGUES = {"en": EN, "nb": NB}
