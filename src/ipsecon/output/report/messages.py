"""The report's fixed texts, one catalogue per language (``en``, ``nb``). A key missing in a
language falls back to English; ``{name}`` fields are filled by :func:`.i18n.t`.

Translated: the section titles, the navigation, the decision section (the answer a decision maker
reads first), the key numbers, the introductions and table headings of the sections of a simulate
run, and the files section. Still English in the section modules: the model card, the uncertainty
sections' explanations, the glossary and the figures' own labels.
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
    "decision.evidence.no_card": "The evidence and details follow.",
    "decision.base_case": "Deterministic base case (one-way sensitivity file): incremental NPV at {years} years — {values}.",
    "decision.sobol": "Variance-based sensitivity run ({n} model runs); the answer's base case is in the simulate report.",
    "decision.breakeven_only": "Break-even gross wage at {years} years, against the wage assumed for the group:",
    "decision.sweep": "A sweep of scenarios and override sets; the summary table below gives the answer per case.",
    "decision.structures.intro": "How long the IPS effect lasts is the largest unknown; the same run under the "
                                 "model's structural alternatives ({alternatives}):",
    "decision.structures.base": "base case",
    "decision.structures.npv": "NPV, {name}",
    "decision.structures.wage": "break-even wage, {name}",
    "decision.structures.caption": "Per person, discounted; break-even gross wage at {years} years. Each alternative "
                                   "is stored by `simulate` and equals a run with `--structure NAME`.",
    # the sections' fixed texts
    "employment.intro": "The share of the starting group in work each month.",
    "employment.targets": "Diamonds are the trial's published shares (bars: 95 % interval from the trial's numbers "
                          "where known).",
    "employment.no_targets": "This scenario has no published trial targets to compare with.",
    "employment.targets_unrecorded": "The scenario's published targets are not recorded in this file.",
    "employment.mc_band": "Bands: 95 % Monte Carlo interval of each month's share ({n} simulated people per strategy; "
                          "binomial standard error √(p(1−p)/N)).",
    "employment.targets_caption": "Published results against the model (targets used for calibration are fitted, "
                                  "others are checks).",
    "occupancy.intro": "Each panel stacks the share of the starting group in each state month by month;",
    "occupancy.shift": "the last panel shows how the intervention shifts people between states (percentage points).",
    "occupancy.no_comparator": "which strategy is the comparator is not recorded in this file.",
    "occupancy.mc_band": "The differences carry a 95 % Monte Carlo band ({n} simulated people per strategy).",
    "occupancy.aap_note": "AAP lasts at most 3 years (`rules.aap.max_duration_months`): whoever is still on AAP then "
                          "moves to uføretrygd or to other/no income, which is the step in the curves at 3 years.",
    "payers.waterfall": "Every krone is booked once, from a payer to a receiver. The waterfall adds up, flow by flow, "
                        "what {name} instead of {comparator} does to the public purse over {years} years: bars to the "
                        "left (red) are extra costs, bars to the right (green) savings or extra tax; the bottom bar is "
                        "the net. Each label names the budget the flow belongs to.",
    "payers.over_time": "The same flows over time for each perspective: a line below zero is a budget still out of "
                        "pocket, the month it crosses zero for good is its payback month.",
    "payers.no_society": "(Society is not drawn: this file does not record QALYs per month or their value; its total "
                         "is in the table below.)",
    "payers.meaning": "Meaning of each perspective:",
    "npv.intro": "{name} against {comparator}, per person, discounted {over}. Net present value = extra gains − extra "
                 "costs for that perspective; benefit–cost ratio = gains ÷ costs; ROI = net ÷ costs; payback = the "
                 "month from which the cumulative net stays positive.",
    "npv.over_horizon": "over the horizon",
    "npv.col.perspective": "perspective",
    "npv.col.costs": "extra costs (NOK {year})",
    "npv.col.gains": "extra gains (NOK {year})",
    "npv.col.npv": "net present value (NOK {year})",
    "npv.col.bcr": "benefit–cost ratio",
    "npv.col.payback": "payback",
    "npv.never": "not within the horizon",
    "breakeven.intro": "The gross annual wage that the people who get jobs must earn for the intervention's "
                       "incremental net present value to be zero, for each perspective and horizon. Below the dashed "
                       "line (the wage assumed for this group) the programme pays off. Longer horizons need lower "
                       "wages because the employment gain keeps paying while the programme cost is spent early. Where "
                       "no wage breaks even the table says why.",
    "breakeven.each_prices": "each scenario's prices",
    "breakeven.caption": "Break-even gross wage, NOK per year ({prices}). 'any wage': pays off even at a wage of 0; "
                         "'none': no wage up to the bracket's top breaks even.",
    "headline.employment": "At {when}, {a} are in work with {name} against {b} with {comparator} ({diff} percentage "
                           "points).",
    "headline.npv": "{who}: net present value {npv} NOK per person {over}; {payback}.",
    "headline.never": "never pays back within the horizon",
    "headline.pays_back": "pays back in month {m}",
    "summary.key_numbers": "Key numbers",
    "summary.comparison": "The report compares {them} with {comparator} and asks: does it pay, and for whom — NAV, the "
                          "health trusts, the municipality, the state, the person, or society as a whole? When do the "
                          "gains arrive? What gross wage must the people who get jobs earn for the programme to break "
                          "even? All money is per person in the starting group, discounted, in NOK of {year} prices.",
    "time.months": "{n} months",
    "time.years": "{n} years",
    "summary.sources": "Sources:",
    "summary.terms": "Norwegian terms used in this report:",
    "summary.read_only": "Everything in this report is read from the result files; the scenario and parameter files "
                         "are not read again (they may have changed since the run).",
    "reproduce.files": "Result files read for this report (in `{folder}`):",
    "reproduce.commands": "Commands that recreate them, from what each file records about its run (run them from the "
                          "working directory the report was written in):",
    "reproduce.written": "Report written by ipsecon {version} on {date}.",
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
    "decision.evidence.no_card": "Dokumentasjonen og detaljene følger.",
    "decision.base_case": "Deterministisk basisberegning (enveis sensitivitet): inkrementell netto nåverdi etter {years} "
                          "år — {values}.",
    "decision.sobol": "Variansbasert sensitivitetsanalyse ({n} modellkjøringer); svaret i basisberegningen står i "
                      "simulate-rapporten.",
    "decision.breakeven_only": "Break-even-lønn (brutto) etter {years} år, mot lønnen som er antatt for gruppen:",
    "decision.sweep": "En sweep over scenarioer og overstyringer; oppsummeringstabellen nedenfor gir svaret per tilfelle.",
    "decision.structures.intro": "Hvor lenge IPS-effekten varer, er den største ukjente; samme kjøring under "
                                 "modellens strukturelle alternativer ({alternatives}):",
    "decision.structures.base": "basisalternativ",
    "decision.structures.npv": "nåverdi, {name}",
    "decision.structures.wage": "break-even-lønn, {name}",
    "decision.structures.caption": "Per person, diskontert; break-even-lønn (brutto) etter {years} år. Hvert alternativ "
                                   "lagres av `simulate` og er lik en kjøring med `--structure NAVN`.",
    "employment.intro": "Andelen av startgruppen i arbeid hver måned.",
    "employment.targets": "Rutene er forsøkets publiserte andeler (strek: 95 %-intervall fra forsøkets tall der de er "
                          "kjent).",
    "employment.no_targets": "Dette scenarioet har ingen publiserte forsøksresultater å sammenligne med.",
    "employment.targets_unrecorded": "Scenarioets publiserte mål er ikke registrert i denne filen.",
    "employment.mc_band": "Bånd: 95 % Monte Carlo-intervall for hver måneds andel ({n} simulerte personer per tiltak; "
                          "binomisk standardfeil √(p(1−p)/N)).",
    "employment.targets_caption": "Publiserte resultater mot modellen (mål brukt i kalibreringen er tilpasset, de "
                                  "andre er kontroller).",
    "occupancy.intro": "Hvert panel stabler andelen av startgruppen i hver tilstand måned for måned;",
    "occupancy.shift": "det siste panelet viser hvordan tiltaket flytter folk mellom tilstander (prosentpoeng).",
    "occupancy.no_comparator": "hvilket tiltak som er sammenligningsgrunnlaget, er ikke registrert i denne filen.",
    "occupancy.mc_band": "Differansene har et 95 % Monte Carlo-bånd ({n} simulerte personer per tiltak).",
    "occupancy.aap_note": "AAP varer i høyst 3 år (`rules.aap.max_duration_months`): den som fortsatt har AAP da, går "
                          "over til uføretrygd eller annen/ingen inntekt, som gir trinnet i kurvene ved 3 år.",
    "payers.waterfall": "Hver krone føres én gang, fra en betaler til en mottaker. Fossediagrammet summerer, strøm for "
                        "strøm, hva {name} i stedet for {comparator} gjør med offentlige budsjetter over {years} år: "
                        "stolper mot venstre (røde) er ekstra kostnader, mot høyre (grønne) innsparinger eller ekstra "
                        "skatt; nederste stolpe er netto. Hver etikett navngir budsjettet strømmen hører til.",
    "payers.over_time": "De samme strømmene over tid for hvert perspektiv: en linje under null er et budsjett som "
                        "fortsatt har utlegg; måneden den krysser null for godt, er tilbakebetalingsmåneden.",
    "payers.no_society": "(Samfunnet er ikke tegnet: filen registrerer ikke QALY per måned eller verdien av dem; "
                         "totalen står i tabellen nedenfor.)",
    "payers.meaning": "Hva hvert perspektiv betyr:",
    "npv.intro": "{name} mot {comparator}, per person, diskontert {over}. Netto nåverdi = ekstra gevinster − ekstra "
                 "kostnader for perspektivet; nytte–kostnadsbrøk = gevinster ÷ kostnader; ROI = netto ÷ kostnader; "
                 "tilbakebetalt = måneden fra da av den kumulative nettoen holder seg positiv.",
    "npv.over_horizon": "over tidshorisonten",
    "npv.col.perspective": "perspektiv",
    "npv.col.costs": "ekstra kostnader (kr, {year})",
    "npv.col.gains": "ekstra gevinster (kr, {year})",
    "npv.col.npv": "netto nåverdi (kr, {year})",
    "npv.col.bcr": "nytte–kostnadsbrøk",
    "npv.col.payback": "tilbakebetalt",
    "npv.never": "ikke innen horisonten",
    "breakeven.intro": "Bruttoårslønnen de som får jobb, må tjene for at tiltakets inkrementelle netto nåverdi skal "
                       "bli null, for hvert perspektiv og hver horisont. Under den stiplede linjen (lønnen antatt for "
                       "gruppen) lønner programmet seg. Lengre horisonter krever lavere lønn fordi "
                       "sysselsettingsgevinsten fortsetter å gi avkastning mens programkostnaden kommer tidlig. Der "
                       "ingen lønn gir balanse, sier tabellen hvorfor.",
    "breakeven.each_prices": "hvert scenarios priser",
    "breakeven.caption": "Break-even-lønn (brutto), kr per år ({prices}). 'any wage': lønner seg også ved lønn 0; "
                         "'none': ingen lønn opp til intervallets øvre grense gir balanse.",
    "headline.employment": "Etter {when} er {a} i arbeid med {name} mot {b} med {comparator} ({diff} prosentpoeng).",
    "headline.npv": "{who}: netto nåverdi {npv} kr per person {over}; {payback}.",
    "headline.never": "tilbakebetales aldri innen horisonten",
    "headline.pays_back": "tilbakebetalt i måned {m}",
    "summary.key_numbers": "Nøkkeltall",
    "summary.comparison": "Rapporten sammenligner {them} med {comparator} og spør: lønner det seg, og for hvem — NAV, "
                          "helseforetakene, kommunen, staten, den enkelte eller samfunnet som helhet? Når kommer "
                          "gevinstene? Hvilken bruttolønn må de som får jobb, tjene for at programmet skal gå i "
                          "balanse? Alle beløp er per person i startgruppen, diskontert, i kroner i {year}-priser.",
    "time.months": "{n} måneder",
    "time.years": "{n} år",
    "summary.sources": "Kilder:",
    "summary.terms": "Norske begreper brukt i rapporten (forklart på engelsk):",
    "summary.read_only": "Alt i rapporten er lest fra resultatfilene; scenario- og parameterfilene leses ikke på nytt "
                         "(de kan ha endret seg siden kjøringen).",
    "reproduce.files": "Resultatfiler lest for denne rapporten (i `{folder}`):",
    "reproduce.commands": "Kommandoer som gjenskaper dem, ut fra det hver fil registrerer om kjøringen sin (kjør dem "
                          "fra arbeidskatalogen rapporten ble skrevet i):",
    "reproduce.written": "Rapport skrevet av ipsecon {version} den {date}.",
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
