"""The report's fixed texts, one catalogue per language (``en``, ``nb``). A key missing in a
language falls back to English; ``{name}`` fields are filled by :func:`.i18n.t`.

Every fixed text of a report is here: section titles, the answer, every section's explanations and
table headings, the model card, the glossary, warnings, and the figures' titles, axis labels and legends
(``fig.*``, read by :mod:`ipsecon.output.figures` through ``style.tr``). What a report quotes from the
scenario and parameter files (descriptions, units, sources, formulas) stays as written there; the IPS
model's states and strategies have Norwegian names here (``state.*``, ``strategy.*``).
"""

EN = {
    "html.lang": "en",
    "contents": "Contents",
    "subtitle": "ipsecon report of {folder} — scenario {scenario}",
    "subtitle.prices": "prices of {year}",
    "model.summary": "Model card: states, transitions, parameters with sources, assumptions (click to open)",
    "section.decision": "The answer",
    "section.structures": "Does the effect last? The model's structural alternatives",
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
    "decision.stock_only": ("An open population: these are the {stock} people of January {year} as a closed group, all "
                            "starting at once; entrants, uptake and capacity count only in the budget impact by calendar "
                            "year."),
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
    "decision.icer.which": "(Its money net of the value of health ÷ QALYs gained; the other perspectives are budgets, "
                           "with no cost-per-QALY rule.)",
    "decision.per_job_year": "Cost per extra employment-year: the net cost of one more year in work (negative: money "
                             "is gained too).",
    "decision.warnings.mixed": "The files of this folder come from different runs (warning below).",
    "decision.warnings.miss": "The model misses published figures it is compared with (warning below): read the answer "
                              "with that in mind.",
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
    "occupancy.mc_band": "A microsimulation of {n} people per strategy: the differences carry no Monte Carlo band, "
                         "for the reason the employment section gives.",
    "employment.mc_paired": "The difference below carries no band: the run simulates the same people with the same "
                            "random numbers under each strategy, so the difference's Monte Carlo error is far smaller "
                            "than the two bands suggest, and the result files store it (paired) only for totals over "
                            "the horizon — the last table of this section. Nor do the money curves below carry a band.",
    "employment.mc_unpaired": "The difference below carries no band: the result files store no paired Monte Carlo "
                              "error of it (the run simulates the same people under each strategy), nor of the money "
                              "curves below.",
    "employment.mc_batches": "Bands: 95 % Monte Carlo interval (± 1.96 standard errors) of each month's share and of "
                             "the difference, from {b} independent batches of the {n} simulated people (batch means). "
                             "The batches hold the same people under every strategy, so the difference's band is "
                             "paired: far narrower than the two shares' bands together. The money curves and the "
                             "break-even wages below carry bands made the same way.",
    "occupancy.mc_batches": "A microsimulation of {n} people per strategy: each difference carries its paired 95 % "
                            "Monte Carlo band, from {b} batches of the simulated people (see the employment section).",
    "mc.band_caption": "Bands: 95 % Monte Carlo interval, ± 1.96 standard errors from {b} batches of the simulated "
                       "people (a difference's band is paired: the same people under each strategy)",
    "mc.band_breakeven": "Bands: 95 % Monte Carlo interval, ± 1.96 standard errors (delta method: the wage solved "
                         "again with each of {b} batches of the simulated people moving the run by one standard "
                         "error); none where one of them has no break-even wage",
    "mc.col.reward": "total (unit)",
    "mc.col.difference": "difference per person",
    "mc.col.paired": "Monte Carlo SE (paired)",
    "mc.col.unpaired": "SE with other people per strategy",
    "mc.caption": "Monte Carlo error of each total's difference from {comparator} over the horizon, per person, "
                  "discounted: the paired standard error (each person's totals under both strategies) and, for "
                  "comparison, the error were each strategy simulated with other people (the two totals' errors in "
                  "quadrature). A difference many times its paired SE is not Monte Carlo noise.",
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
                         "'none in the bracket': no wage up to the bracket's top breaks even; 'not wage-linked': no "
                         "flow of the perspective depends on the wage.",
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
    "section.structures": "Varer effekten? Modellens strukturelle alternativer",
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
    "decision.stock_only": ("En åpen befolkning: dette er de {stock} personene i januar {year} som en lukket gruppe som "
                            "alle starter samtidig; de som kommer til, oppslutning og kapasitet teller bare i "
                            "budsjettvirkningen per kalenderår."),
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
    "decision.icer.which": "(Pengene fratrukket verdien av helse ÷ vunne QALY; de andre perspektivene er budsjetter, "
                           "uten noen regel for kostnad per QALY.)",
    "decision.per_job_year": "Kostnad per ekstra arbeidsår: nettokostnaden for ett år mer i arbeid (negativ: det "
                             "tjenes penger også).",
    "decision.warnings.mixed": "Filene i denne mappen kommer fra forskjellige kjøringer (advarsel nedenfor).",
    "decision.warnings.miss": "Modellen bommer på publiserte tall den sammenlignes med (advarsel nedenfor): les svaret "
                              "med det i tankene.",
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
    "occupancy.mc_band": "En mikrosimulering med {n} personer per tiltak: differansene har ikke noe Monte Carlo-bånd, "
                         "av grunnen avsnittet om sysselsetting gir.",
    "employment.mc_paired": "Differansen nedenfor har ikke noe bånd: kjøringen simulerer de samme personene med de "
                            "samme tilfeldige tallene under hvert tiltak, så differansens Monte Carlo-feil er langt "
                            "mindre enn de to båndene tilsier, og resultatfilene lagrer den (parvis) bare for summer "
                            "over horisonten — den siste tabellen i dette avsnittet. Heller ikke pengekurvene "
                            "nedenfor har bånd.",
    "employment.mc_unpaired": "Differansen nedenfor har ikke noe bånd: resultatfilene lagrer ingen parvis Monte "
                              "Carlo-feil for den (kjøringen simulerer de samme personene under hvert tiltak), og heller "
                              "ikke for pengekurvene nedenfor.",
    "employment.mc_batches": "Bånd: 95 % Monte Carlo-intervall (± 1,96 standardfeil) for hver måneds andel og for "
                             "differansen, fra {b} uavhengige grupper av de {n} simulerte personene "
                             "(gruppegjennomsnitt). Gruppene har de samme personene under hvert tiltak, så differansens "
                             "bånd er parvist: langt smalere enn de to andelenes bånd til sammen. Pengekurvene og "
                             "break-even-lønningene nedenfor har bånd laget på samme måte.",
    "occupancy.mc_batches": "En mikrosimulering med {n} personer per tiltak: hver differanse har sitt parvise 95 % "
                            "Monte Carlo-bånd, fra {b} grupper av de simulerte personene (se avsnittet om "
                            "sysselsetting).",
    "mc.band_caption": "Bånd: 95 % Monte Carlo-intervall, ± 1,96 standardfeil fra {b} grupper av de simulerte "
                       "personene (en differanses bånd er parvist: de samme personene under hvert tiltak)",
    "mc.band_breakeven": "Bånd: 95 % Monte Carlo-intervall, ± 1,96 standardfeil (deltametoden: lønnen løst på nytt "
                         "med hver av {b} grupper av de simulerte personene som flytter kjøringen med én "
                         "standardfeil); ingen der en av dem ikke har noen break-even-lønn",
    "mc.col.reward": "sum (enhet)",
    "mc.col.difference": "differanse per person",
    "mc.col.paired": "Monte Carlo-standardfeil (parvis)",
    "mc.col.unpaired": "standardfeil med andre personer per tiltak",
    "mc.caption": "Monte Carlo-feilen i hver sums differanse fra {comparator} over horisonten, per person, "
                  "diskontert: den parvise standardfeilen (hver persons summer under begge tiltak) og, til "
                  "sammenligning, feilen om hvert tiltak var simulert med andre personer (de to summenes feil "
                  "kvadratisk addert). En differanse som er mange ganger sin parvise standardfeil, er ikke "
                  "Monte Carlo-støy.",
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
    "breakeven.caption": "Break-even-lønn (brutto), kr per år ({prices}). 'enhver lønn': lønner seg også ved lønn 0; "
                         "'ingen i intervallet': ingen lønn opp til intervallets øvre grense gir balanse; 'ikke "
                         "lønnsavhengig': ingen av perspektivets strømmer avhenger av lønnen.",
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
    "summary.terms": "Norske begreper brukt i rapporten:",
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

# a sweep folder (sweep_section.py) and the title of a break-even folder
EN.update({
    "title.breakeven": "Break-even wage of {names}",
    "sweep.title": "Sweep: {title}",
    "sweep.untitled": "untitled",
    "sweep.incomplete": "Only {done} of {total} work units are done (an interrupted sweep: `ipsecon sweep … --resume` "
                        "completes it); the table counts the samples computed.",
    "sweep.what": "What was swept.",
    "sweep.provenance": "Provenance.",
    "sweep.caption": "Incremental NPV per person (intervention − comparator; NOK of the price year, discounted) over the "
                     "samples: mean and 95 % interval; P(pays off) = share of samples above 0; median break-even wage "
                     "(NOK per year), samples without a root counted at the bracket's bounds (≤ / ≥).",
    "sweep.scenarios": "Scenarios:",
    "sweep.sets": "sets",
    "sweep.structure": "structure {name}",
    "sweep.variables": "variables",
    "sweep.as_they_are": "the scenarios as they are",
    "sweep.override": "Override set **{name}**:",
    "sweep.samples": "Samples: {n} ({method}, seed {seed}), the same draws under every override set",
    "sweep.no_samples": "Samples: none (the deterministic base case)",
    "sweep.horizons": "Horizons: {horizons} years; perspectives: {perspectives}",
    "sweep.individuals": "{n} individuals",
    "sweep.their_individuals": "the scenarios' individuals",
    "sweep.their_seeds": "the scenarios' seeds",
    "sweep.engine": "Engine: {engine}",
    "sweep.file": "Sweep file `{file}` (sha256 {hash}), created {created}",
    "sweep.version": "ipsecon {version} (code {code}); work units of at most {chunk} samples",
    "sweep.digests": "Scenario × override digests:",
    "sweep.col.scenario": "scenario",
    "sweep.col.override": "override set",
    "sweep.col.structure": "structure",
    "sweep.col.intervention": "intervention",
    "sweep.col.perspective": "perspective",
    "sweep.col.horizon (y)": "horizon (years)",
    "sweep.col.samples": "samples",
    "sweep.col.mean inc. NPV": "mean incremental NPV",
    "sweep.col.95 % interval": "95 % interval",
    "sweep.col.P(pays off)": "P(pays off)",
    "sweep.col.median break-even wage": "median break-even wage",
    "sweep.col.mean budget impact": "mean budget impact (NOK, the whole open population, undiscounted)",
})
NB.update({
    "title.breakeven": "Break-even-lønn for {names}",
    "sweep.title": "Sweep: {title}",
    "sweep.untitled": "uten tittel",
    "sweep.incomplete": "Bare {done} av {total} arbeidsenheter er ferdige (en avbrutt sweep: `ipsecon sweep … --resume` "
                        "fullfører den); tabellen teller trekkene som er beregnet.",
    "sweep.what": "Hva som ble variert.",
    "sweep.provenance": "Opphav.",
    "sweep.caption": "Inkrementell netto nåverdi per person (tiltak − sammenligningsgrunnlag; kroner i prisåret, "
                     "diskontert) over trekkene: gjennomsnitt og 95 %-intervall; P(lønner seg) = andelen trekk over 0; "
                     "median break-even-lønn (kr per år), trekk uten nullpunkt telt ved intervallets grenser (≤ / ≥).",
    "sweep.scenarios": "Scenarioer:",
    "sweep.sets": "setter",
    "sweep.structure": "struktur {name}",
    "sweep.variables": "variabler",
    "sweep.as_they_are": "scenarioene slik de er",
    "sweep.override": "Overstyringssett **{name}**:",
    "sweep.samples": "Trekk: {n} ({method}, frø {seed}), de samme trekkene under hvert overstyringssett",
    "sweep.no_samples": "Trekk: ingen (den deterministiske basisberegningen)",
    "sweep.horizons": "Horisonter: {horizons} år; perspektiver: {perspectives}",
    "sweep.individuals": "{n} individer",
    "sweep.their_individuals": "scenarioenes individer",
    "sweep.their_seeds": "scenarioenes frø",
    "sweep.engine": "Motor: {engine}",
    "sweep.file": "Sweep-fil `{file}` (sha256 {hash}), laget {created}",
    "sweep.version": "ipsecon {version} (kode {code}); arbeidsenheter på høyst {chunk} trekk",
    "sweep.digests": "Scenario × overstyring, sjekksummer:",
    "sweep.col.scenario": "scenario",
    "sweep.col.override": "overstyringssett",
    "sweep.col.structure": "struktur",
    "sweep.col.intervention": "tiltak",
    "sweep.col.perspective": "perspektiv",
    "sweep.col.horizon (y)": "horisont (år)",
    "sweep.col.samples": "trekk",
    "sweep.col.mean inc. NPV": "gj.snitt inkrementell netto nåverdi",
    "sweep.col.95 % interval": "95 %-intervall",
    "sweep.col.P(pays off)": "P(lønner seg)",
    "sweep.col.median break-even wage": "median break-even-lønn",
    "sweep.col.mean budget impact": "gj.snitt budsjettvirkning (kr, hele den åpne befolkningen, udiskontert)",
})

# the break-even section (breakeven_section.py)
EN.update({
    "breakeven.not_computed": "Not computed for this run (`--no-report` skips it); `ipsecon breakeven {file}` computes it.",
    "breakeven.no_wage": "The wage assumed for the group is {what}.",
    "breakeven.csv": "The table is read from `breakeven.csv`, which records no run of its own; it is taken to belong to "
                     "the run of `results.nc`.",
    "breakeven.fig": "Break-even wage against horizon",
    "breakeven.reason": "- {who} at {years} years: {reason}",
    "breakeven.per_year": "{wage} NOK a year",
    "breakeven.headline": "Break-even gross wage{extra} for {who} at {years} years: {what}.",
})
NB.update({
    "breakeven.not_computed": "Ikke beregnet for denne kjøringen (`--no-report` hopper over den); `ipsecon breakeven "
                              "{file}` beregner den.",
    "breakeven.no_wage": "Lønnen som er antatt for gruppen, er {what}.",
    "breakeven.csv": "Tabellen er lest fra `breakeven.csv`, som ikke registrerer noen egen kjøring; den antas å høre "
                     "til kjøringen i `results.nc`.",
    "breakeven.fig": "Break-even-lønn mot tidshorisont",
    "breakeven.reason": "- {who} etter {years} år: {reason}",
    "breakeven.per_year": "{wage} kr i året",
    "breakeven.headline": "Break-even-lønn (brutto){extra} for {who} etter {years} år: {what}.",
})

# money over time (money_sections.py)
EN.update({
    "flow.ips_programme_nav": "IPS programme",
    "flow.ips_programme_health_trust": "IPS programme",
    "flow.usual_vocational_rehabilitation": "usual vocational rehabilitation",
    "flow.aap": "AAP",
    "flow.uforetrygd": "uføretrygd",
    "flow.social_assistance": "social assistance",
    "flow.gross_wage": "gross wage",
    "flow.income_tax": "income tax",
    "flow.trygdeavgift": "trygdeavgift",
    "flow.employer_contribution": "employer's contribution",
    "flow.health_care": "health care",
    "meaning.nav": "NAV's budget: IPS cost it pays, benefits it pays",
    "meaning.health": "the health trusts: their share of the IPS cost and health-care use",
    "meaning.municipality": "the municipality: social assistance",
    "meaning.state": "the state as tax collector: income tax, trygdeavgift, employer's contribution",
    "meaning.public": "all public budgets together (NAV + health trusts + municipality + state); transfers between them "
                      "cancel",
    "meaning.individual": "the person's net income: wages and benefits minus taxes",
    "meaning.employer": "the employer: wages and employer's contribution paid (production value not counted here)",
    "meaning.society": "production value of work minus real resource use, plus health (QALYs) valued in NOK; transfers "
                       "cancel",
    "waterfall.more_spent": "{party}: more spent on {flow}",
    "waterfall.less_spent": "{party}: less spent on {flow}",
    "waterfall.more_received": "{party}: more received in {flow}",
    "waterfall.less_received": "{party}: less received in {flow}",
    "payers.no_discounting": "How this run discounted money is {what}, so the flows over time are not drawn; the totals "
                             "per perspective follow.",
    "payers.waterfall_caption": "Payer waterfall for the public purse",
    "payers.cumulative_caption": "Cumulative discounted net per perspective",
    "npv.ratio_notes": "Benefit–cost ratio and ROI shown as '–' (n/a: no or tiny costs):",
    "npv.caption": "Incremental net present value by perspective",
})
NB.update({
    "flow.ips_programme_nav": "IPS-programmet",
    "flow.ips_programme_health_trust": "IPS-programmet",
    "flow.usual_vocational_rehabilitation": "vanlig arbeidsrettet rehabilitering",
    "flow.aap": "AAP",
    "flow.uforetrygd": "uføretrygd",
    "flow.social_assistance": "sosialhjelp",
    "flow.gross_wage": "bruttolønn",
    "flow.income_tax": "inntektsskatt",
    "flow.trygdeavgift": "trygdeavgift",
    "flow.employer_contribution": "arbeidsgiveravgift",
    "flow.health_care": "helsetjenester",
    "meaning.nav": "NAVs budsjett: IPS-kostnaden og ytelsene NAV betaler",
    "meaning.health": "helseforetakene: deres andel av IPS-kostnaden og bruk av helsetjenester",
    "meaning.municipality": "kommunen: sosialhjelp",
    "meaning.state": "staten som skatteinnkrever: inntektsskatt, trygdeavgift, arbeidsgiveravgift",
    "meaning.public": "alle offentlige budsjetter samlet (NAV + helseforetak + kommune + stat); overføringer mellom dem "
                      "går ut mot hverandre",
    "meaning.individual": "personens nettoinntekt: lønn og ytelser minus skatt",
    "meaning.employer": "arbeidsgiveren: lønn og arbeidsgiveravgift betalt (produksjonsverdien telles ikke her)",
    "meaning.society": "produksjonsverdien av arbeid minus reell ressursbruk, pluss helse (QALY) verdsatt i kroner; "
                       "overføringer går ut mot hverandre",
    "waterfall.more_spent": "{party}: mer brukt på {flow}",
    "waterfall.less_spent": "{party}: mindre brukt på {flow}",
    "waterfall.more_received": "{party}: mer inn i {flow}",
    "waterfall.less_received": "{party}: mindre inn i {flow}",
    "payers.no_discounting": "Hvordan denne kjøringen diskonterte penger, er {what}, så strømmene over tid er ikke "
                             "tegnet; totalene per perspektiv følger.",
    "payers.waterfall_caption": "Fossediagram for det offentlige",
    "payers.cumulative_caption": "Kumulativ diskontert netto per perspektiv",
    "npv.ratio_notes": "Nytte–kostnadsbrøk og ROI vist som '–' (ikke definert: ingen eller svært små kostnader):",
    "npv.caption": "Inkrementell netto nåverdi per perspektiv",
})

# the question, the run, the glossary, warnings (summary.py, runs.py, trace_sections.py)
EN.update({
    "identity.scenario_hash": "scenario or its parameters (hash)",
    "identity.structure": "model structure",
    "identity.overrides": "overrides (--set)",
    "identity.engine": "engine",
    "identity.seed": "seed",
    "identity.individuals": "individuals",
    "mixed.differ": "`{a}` and `{b}` differ in {what}",
    "mixed.warning": "**Warning: the files in this folder come from different runs.** {which}. Each section below is "
                     "drawn from its own file and describes that file's run; numbers from different sections do not "
                     "describe the same inputs.",
    "mixed.caption": "The run behind each file, as the file records it.",
    "validation.col.figure": "figure",
    "validation.warning": "**Warning: the model misses {n} of the {of} published figures this scenario is compared "
                          "with** (MISS: the model's value lies outside the published 95 % interval, or the stated "
                          "tolerance). Read its results with that in mind: the model contradicts the evidence there.",
    "validation.caption": "Published figures the model misses (the full list, with those it meets, is in the "
                          "employment section).",
    "runline": "Run (`{file}`):",
    "runline.engine": "engine {engine}",
    "runline.horizon": "horizon {years} years",
    "runline.population": "population {n} people from {year}",
    "runline.price_year": "price year {what}",
    "runline.discounting": "discounting {rates} per year",
    "runline.discounting_unrecorded": "discounting {what}",
    "runline.discount_step": "{rate} from year {year}",
    "runline.cost": "cost",
    "runline.effect": "effect",
    "runline.structure": "model structure {structure}",
    "runline.overrides": "overrides (--set) {overrides}",
    "runline.scenario_file": "scenario file `{file}`",
    "runline.scenario_file_unrecorded": "scenario file {what}",
    "run.microsim": "microsim ({n} simulated individuals, seed {seed})",
    "run.microsim_seed": "microsim (seed {seed})",
    "run.cohort": "cohort (exact expected values)",
    "run.default_structure": "default (the model as declared)",
    "run.none": "none",
    "run.col.file": "file",
    "run.col.scenario": "scenario",
    "run.col.hash": "scenario hash",
    "run.col.structure": "structure",
    "run.col.overrides": "overrides (--set)",
    "run.col.engine": "engine",
    "run.col.horizon": "horizon",
    "run.col.created": "created",
    "run.col.title": "title",
    "summary.no_comparator": "Which strategy is the comparator is {what}; no strategy is compared with another.",
    "summary.several": "Break-even wages of {n} scenarios, each from its own run:",
    "summary.description": "{text}",
    "summary.no_description": "The scenario's description is {what} (`{file}`).",
    "summary.unverifiable": "`{file}` does not record its run's {what}; the report cannot check that it comes from the "
                            "same run as the other files.",
    "glossary.col.term": "term",
    "glossary.col.meaning": "meaning",
    "glossary.NAV.term": "NAV",
    "glossary.NAV.meaning": "Arbeids- og velferdsetaten, the Norwegian Labour and Welfare Administration: pays benefits "
                            "and, usually, the IPS employment specialists",
    "glossary.AAP.term": "AAP",
    "glossary.AAP.meaning": "arbeidsavklaringspenger, work assessment allowance: a time-limited benefit (normally at "
                            "most 3 years) for people whose capacity for work is reduced by illness",
    "glossary.uføretrygd.term": "uføretrygd",
    "glossary.uføretrygd.meaning": "disability benefit: a long-term benefit when earning capacity is permanently reduced",
    "glossary.G.term": "G",
    "glossary.G.meaning": "grunnbeløpet, the basic amount of the national insurance scheme; benefit floors and caps are "
                          "set in G",
    "glossary.health_trust.term": "health trust",
    "glossary.health_trust.meaning": "helseforetak: the public hospital trusts that run specialist mental-health "
                                     "services",
    "glossary.social_assistance.term": "social assistance",
    "glossary.social_assistance.meaning": "økonomisk sosialhjelp, paid by the municipality to people with no other "
                                          "income",
    "glossary.trygdeavgift.term": "trygdeavgift",
    "glossary.trygdeavgift.meaning": "the national insurance contribution deducted from the person's income",
    "glossary.employer_contribution.term": "employer's contribution",
    "glossary.employer_contribution.meaning": "arbeidsgiveravgift, payroll tax paid by the employer on gross wages",
    "glossary.IPS.term": "IPS",
    "glossary.IPS.meaning": "Individual Placement and Support (individuell jobbstøtte): employment specialists in the "
                            "treatment team help people into ordinary paid work quickly and keep supporting them",
    "trace.col.measure": "measure",
    "trace.col.month": "month",
    "trace.col.published": "published",
    "trace.col.model": "model",
    "trace.col.use": "use",
    "trace.in_work": "in work",
    "trace.ever_in_work": "ever in work",
    "trace.use.calibration": "fitted",
    "trace.use.validation": "check",
    "trace.summary_caption": "Share in work at selected months",
    "trace.summary_se": "(± Monte Carlo standard error)",
    "trace.occupancy_caption": "State occupancy by strategy, and the difference between strategies",
    "trace.person_months": "Person-months per person in each state over the horizon (undiscounted).",
})
NB.update({
    "identity.scenario_hash": "scenarioet eller parameterne (hash)",
    "identity.structure": "modellstruktur",
    "identity.overrides": "overstyringer (--set)",
    "identity.engine": "motor",
    "identity.seed": "frø",
    "identity.individuals": "antall individer",
    "mixed.differ": "`{a}` og `{b}` er forskjellige i {what}",
    "mixed.warning": "**Advarsel: filene i denne mappen kommer fra forskjellige kjøringer.** {which}. Hver seksjon "
                     "nedenfor er laget fra sin egen fil og beskriver den filens kjøring; tall fra forskjellige "
                     "seksjoner beskriver ikke de samme inndataene.",
    "mixed.caption": "Kjøringen bak hver fil, slik filen registrerer den.",
    "validation.col.figure": "tall",
    "validation.warning": "**Advarsel: modellen bommer på {n} av de {of} publiserte tallene dette scenarioet "
                          "sammenlignes med** (MISS: modellens verdi ligger utenfor det publiserte 95 %-intervallet "
                          "eller den oppgitte toleransen). Les resultatene med det i tankene: der motsier modellen "
                          "evidensen.",
    "validation.caption": "Publiserte tall modellen bommer på (hele listen, med dem den treffer, står i seksjonen om "
                          "sysselsetting).",
    "runline": "Kjøring (`{file}`):",
    "runline.engine": "motor {engine}",
    "runline.horizon": "horisont {years} år",
    "runline.population": "befolkning {n} personer fra {year}",
    "runline.price_year": "prisår {what}",
    "runline.discounting": "diskontering {rates} per år",
    "runline.discounting_unrecorded": "diskontering {what}",
    "runline.discount_step": "{rate} fra år {year}",
    "runline.cost": "kostnader",
    "runline.effect": "effekter",
    "runline.structure": "modellstruktur {structure}",
    "runline.overrides": "overstyringer (--set) {overrides}",
    "runline.scenario_file": "scenariofil `{file}`",
    "runline.scenario_file_unrecorded": "scenariofil {what}",
    "run.microsim": "mikrosimulering ({n} simulerte individer, frø {seed})",
    "run.microsim_seed": "mikrosimulering (frø {seed})",
    "run.cohort": "kohort (eksakte forventningsverdier)",
    "run.default_structure": "standard (modellen slik den er deklarert)",
    "run.none": "ingen",
    "run.col.file": "fil",
    "run.col.scenario": "scenario",
    "run.col.hash": "scenario-hash",
    "run.col.structure": "struktur",
    "run.col.overrides": "overstyringer (--set)",
    "run.col.engine": "motor",
    "run.col.horizon": "horisont",
    "run.col.created": "laget",
    "run.col.title": "tittel",
    "summary.no_comparator": "Hvilket tiltak som er sammenligningsgrunnlaget, er {what}; ingen tiltak sammenlignes.",
    "summary.several": "Break-even-lønn for {n} scenarioer, hvert fra sin egen kjøring:",
    "summary.description": "Scenarioet, slik scenariofilen beskriver det (på engelsk): {text}",
    "summary.no_description": "Scenarioets beskrivelse er {what} (`{file}`).",
    "summary.unverifiable": "`{file}` registrerer ikke kjøringens {what}; rapporten kan ikke sjekke at den kommer fra "
                            "samme kjøring som de andre filene.",
    "glossary.col.term": "begrep",
    "glossary.col.meaning": "betydning",
    "glossary.NAV.term": "NAV",
    "glossary.NAV.meaning": "Arbeids- og velferdsetaten: betaler ytelser og som regel IPS-jobbspesialistene",
    "glossary.AAP.term": "AAP",
    "glossary.AAP.meaning": "arbeidsavklaringspenger: en tidsbegrenset ytelse (normalt høyst 3 år) til personer med "
                            "arbeidsevnen nedsatt av sykdom",
    "glossary.uføretrygd.term": "uføretrygd",
    "glossary.uføretrygd.meaning": "en langvarig ytelse når inntektsevnen er varig nedsatt",
    "glossary.G.term": "G",
    "glossary.G.meaning": "grunnbeløpet i folketrygden; minstenivåer og tak for ytelser settes i G",
    "glossary.health_trust.term": "helseforetak",
    "glossary.health_trust.meaning": "de offentlige sykehusforetakene som driver psykisk helsevern i "
                                     "spesialisthelsetjenesten",
    "glossary.social_assistance.term": "sosialhjelp",
    "glossary.social_assistance.meaning": "økonomisk sosialhjelp, betalt av kommunen til personer uten annen inntekt",
    "glossary.trygdeavgift.term": "trygdeavgift",
    "glossary.trygdeavgift.meaning": "medlemsavgiften til folketrygden, trukket fra personens inntekt",
    "glossary.employer_contribution.term": "arbeidsgiveravgift",
    "glossary.employer_contribution.meaning": "avgift arbeidsgiveren betaler på bruttolønn",
    "glossary.IPS.term": "IPS",
    "glossary.IPS.meaning": "individuell jobbstøtte (Individual Placement and Support): jobbspesialister i "
                            "behandlingsteamet hjelper folk raskt ut i ordinært lønnet arbeid og fortsetter å støtte dem",
    "trace.col.measure": "mål",
    "trace.col.month": "måned",
    "trace.col.published": "publisert",
    "trace.col.model": "modell",
    "trace.col.use": "bruk",
    "trace.in_work": "i arbeid",
    "trace.ever_in_work": "noen gang i arbeid",
    "trace.use.calibration": "tilpasset",
    "trace.use.validation": "kontroll",
    "trace.summary_caption": "Andel i arbeid ved utvalgte måneder",
    "trace.summary_se": "(± Monte Carlo-standardfeil)",
    "trace.occupancy_caption": "Andel i hver tilstand per tiltak, og differansen mellom tiltakene",
    "trace.person_months": "Personmåneder per person i hver tilstand over horisonten (udiskontert).",
    "state.employed": "Ordinært arbeid",
    "state.employed_aap": "Ordinært arbeid med gradert AAP",
    "state.employed_ufore": "Ordinært arbeid med gradert uføretrygd",
    "state.aap": "AAP (arbeidsavklaringspenger)",
    "state.ufore": "Uføretrygd",
    "state.other": "Annet / ingen inntekt (arbeidssøker, sosialhjelp)",
    "state.retired": "Alderspensjon, 67 år og eldre",
    "state.dead": "Død",
    "strategy.ips": "IPS (individuell jobbstøtte)",
    "strategy.tau": "Vanlig oppfølging (tradisjonell arbeidsrettet rehabilitering)",
})

# the model card (model_card.py) and what every section says of a missing record
EN.update({
    "not_recorded": "not recorded in this file",
    "card.month": "month",
    "card.intro": "**{name}** — {n} states, moves between them each {every}. A box is where a person is at the end of "
                  "a month; an arrow is a move the model allows. The model is declared in YAML ({where}) and can be "
                  "read and changed without Python. This card shows the model and parameters as run, as `{file}` "
                  "records them.",
    "card.diagram": "States and allowed moves. Thick coloured arrows: moves whose rate the intervention changes.",
    "card.col.from": "from",
    "card.col.to": "to",
    "card.col.kind": "kind",
    "card.col.formula": "formula",
    "card.probability": "probability per {per}",
    "card.rate": "rate per {per}",
    "card.per.month": "month",
    "card.per.year": "year",
    "card.per.cycle": "cycle",
    "card.transitions": "Transitions as declared (staying is the complement). Rates out of one state are combined as "
                        "competing risks.",
    "card.col.strategy": "strategy",
    "card.col.move": "move",
    "card.col.effect": "effect",
    "card.col.over_time": "over time",
    "card.effect.hr": "hazard ratio",
    "card.effect.rr": "risk ratio",
    "card.effect.or": "odds ratio",
    "card.effect.effect": "effect",
    "card.effect.full": "full until {until}",
    "card.effect.halves": "then halves every {years} years",
    "card.effect.end": "none after {years} years",
    "card.effects": "Strategy effects (formulas and parameter names; values below).",
    "card.key.unrecorded": "**Key parameters** — which parameters the model reads is {what}.",
    "card.key": "**Key parameters** — those the model's formulas and the payer ledger read, with the value used in "
                "this run{base}.",
    "card.base.mean": "(the base case: each parameter with an uncertainty distribution at its mean, calibrated ones at "
                      "their fitted value; `run.base_case: mean`)",
    "card.base.point": "(the base case: the published point values; `run.base_case: point`)",
    "card.evidence": "Evidence: C confirmed in the source, C2 via a secondary source, D derived, M widely cited but "
                     "unverified, calibrated (fitted to trial results), assumption (our choice). Descriptions, units "
                     "and sources are quoted from the parameter files.",
    "card.col.parameter": "parameter",
    "card.col.value": "value",
    "card.col.unit": "unit",
    "card.col.uncertainty": "uncertainty",
    "card.col.evidence": "evidence",
    "card.col.source": "source",
    "card.abridged": "(abridged; in full in the result file's scenario card)",
    "card.in_force": "(in force {date})",
    "card.overridden": "(overridden)",
    "card.n_values": "{n} values",
    "card.assumptions": "**Assumptions** — parameters not taken from a source but chosen by the modellers; they are the "
                        "first candidates for sensitivity analysis:",
    "card.rules": "**Norwegian rules** (benefits, tax, G) in force in the price year, from `parameters/rules/`:",
    "card.cycle": "cycle {months} months",
    "card.counting.start": "counting at the start of each cycle",
    "card.counting.end": "counting at the end of each cycle",
    "card.counting": "{how} counting",
    "card.conventions": "Conventions: {conventions}. Provenance of this run: {provenance}.",
})
NB.update({
    "not_recorded": "ikke registrert i denne filen",
    "card.month": "måned",
    "card.intro": "**{name}** — {n} tilstander, overganger mellom dem hver {every}. En boks er der en person er ved "
                  "slutten av en måned; en pil er en overgang modellen tillater. Modellen er deklarert i YAML "
                  "({where}) og kan leses og endres uten Python. Kortet viser modellen og parameterne slik de ble "
                  "kjørt, slik `{file}` registrerer dem.",
    "card.diagram": "Tilstander og tillatte overganger. Tykke fargede piler: overganger der tiltaket endrer raten.",
    "card.col.from": "fra",
    "card.col.to": "til",
    "card.col.kind": "type",
    "card.col.formula": "formel",
    "card.probability": "sannsynlighet per {per}",
    "card.rate": "rate per {per}",
    "card.per.month": "måned",
    "card.per.year": "år",
    "card.per.cycle": "syklus",
    "card.transitions": "Overganger slik de er deklarert (å bli værende er komplementet). Rater ut av én tilstand "
                        "kombineres som konkurrerende risikoer.",
    "card.col.strategy": "tiltak",
    "card.col.move": "overgang",
    "card.col.effect": "effekt",
    "card.col.over_time": "over tid",
    "card.effect.hr": "hasardratio",
    "card.effect.rr": "relativ risiko",
    "card.effect.or": "oddsratio",
    "card.effect.effect": "effekt",
    "card.effect.full": "full til {until}",
    "card.effect.halves": "deretter halvert hvert {years}. år",
    "card.effect.end": "ingen etter {years} år",
    "card.effects": "Tiltakenes effekter (formler og parameternavn; verdiene nedenfor).",
    "card.key.unrecorded": "**Sentrale parametere** — hvilke parametere modellen leser, er {what}.",
    "card.key": "**Sentrale parametere** — de som modellens formler og betalerregnskapet leser, med verdien brukt i "
                "denne kjøringen{base}.",
    "card.base.mean": "(basisberegningen: hver parameter med en usikkerhetsfordeling ved forventningen, kalibrerte ved "
                      "den tilpassede verdien; `run.base_case: mean`)",
    "card.base.point": "(basisberegningen: de publiserte punktverdiene; `run.base_case: point`)",
    "card.evidence": "Evidens: C bekreftet i kilden, C2 via en sekundærkilde, D avledet, M mye sitert men ikke "
                     "verifisert, calibrated (tilpasset forsøksresultater), assumption (vårt valg). Beskrivelser, "
                     "enheter og kilder er sitert fra parameterfilene (på engelsk).",
    "card.col.parameter": "parameter",
    "card.col.value": "verdi",
    "card.col.unit": "enhet",
    "card.col.uncertainty": "usikkerhet",
    "card.col.evidence": "evidens",
    "card.col.source": "kilde",
    "card.abridged": "(forkortet; i sin helhet i resultatfilens scenariokort)",
    "card.in_force": "(gjelder fra {date})",
    "card.overridden": "(overstyrt)",
    "card.n_values": "{n} verdier",
    "card.assumptions": "**Antakelser** — parametere som ikke er hentet fra en kilde, men valgt av modellørene; de er "
                        "de første kandidatene for sensitivitetsanalyse:",
    "card.rules": "**Norske regler** (ytelser, skatt, G) som gjelder i prisåret, fra `parameters/rules/`:",
    "card.cycle": "syklus {months} måneder",
    "card.counting.start": "telling ved starten av hver syklus",
    "card.counting.end": "telling ved slutten av hver syklus",
    "card.counting": "{how}-telling",
    "card.conventions": "Konvensjoner: {conventions}. Opphav for denne kjøringen: {provenance}.",
})

# the uncertainty sections (uncertainty_sections.py)
EN.update({
    "unc.no_comparator": "Which strategy is the comparator is not recorded in this file.",
    "unc.against": "Incremental results are against {name} (`{code}`).",
    "unc.the_intervention": "the intervention",
    "unc.col.horizon": "horizon (years)",
    "unc.col.mean": "PSA mean incremental NPV (NOK {year})",
    "unc.col.base": "base case (NOK {year})",
    "unc.col.interval": "95 % interval",
    "unc.col.median_wage": "median break-even wage",
    "unc.range": "{low} to {high}",
    "unc.base.mean": "The base case puts every uncertain parameter at its distribution's mean (calibrated ones at their "
                     "fit); it still differs from the PSA mean because the model is not linear in its parameters (the "
                     "mean of the results is not the result at the mean inputs).",
    "unc.base.point": "The base case uses the published point values (`run.base_case: point`); for skewed distributions "
                      "these are not the means the PSA averages over, and the model is not linear in its parameters.",
    "unc.base.furthest": "Means furthest from the published point values:",
    "unc.fig.employment": "Employment over time across the PSA samples: line the mean, band 95 % of the samples.",
    "unc.no_employment": "This PSA file stores no employment per month (written before `employment_share` was added), "
                         "so the employment curve has no band here.",
    "unc.fig.occupancy": "The share in each state over time across the PSA samples, per strategy: line the mean, band "
                         "95 % of the samples.",
    "unc.no_occupancy": "This PSA file stores no share per state and month (written before `occupancy_quantile` was "
                        "added), so the occupancy curves have no band here.",
    "unc.fig.net": "Cumulative discounted net at each horizon across the samples{who} (line: mean, band: 95 %), for the "
                   "first four perspectives; the others are in the table above.",
    "unc.fig.breakeven": "Break-even wage against horizon across the samples{who} (line: median, band: 95 %), for the "
                         "first three perspectives.",
    "unc.psa.intro": "{n} parameter sets drawn from their distributions (seed {seed}, engine {engine}); each dot or count "
                     "below is one set. Figures at {years} years and a willingness to pay of {wtp} NOK per QALY unless "
                     "stated.",
    "unc.psa.table": "Incremental NPV per person across samples, next to the deterministic base case. Every sample "
                     "counts in each statistic; a sample that pays off at any wage counts at the bracket's low end, one "
                     "that pays off at no wage in it at the top ('≤' / '≥': the median lies there).",
    "unc.fig.ce": "Cost-effectiveness plane, {who} perspective{name}. Below the dashed line the intervention is "
                  "cost-effective at that willingness to pay.",
    "unc.fig.ceac": "Cost-effectiveness acceptability curves and frontier",
    "unc.fig.evpi": "Expected value of perfect information: what removing all uncertainty would be worth",
    "unc.fig.evppi": "Partial EVPI per parameter group: where more research is worth most",
    "unc.fig.bedist": "Distribution of the break-even wage{who}",
    "unc.fig.bedist.dashed": "(dashed: the wage assumed for the group)",
    "unc.fig.prob": "Probability that the intervention pays off, by perspective and horizon{who}",
    "unc.dsa.intro": "Each parameter set to its low and then its high value, all others at base, at {years} years. Bars "
                     "show how far the result moves; the widest swing is on top. Labels give the low – high values. "
                     "Where a bound has no break-even wage, the bar is hatched down to the bracket's low end (pays off "
                     "at any wage) or the row says why at its right end.",
    "unc.fig.tornado_npv": "Tornado: incremental NPV, {who} perspective{name}",
    "unc.fig.tornado_inmb": "Tornado: incremental net monetary benefit",
    "unc.at_wtp": "at {wtp} NOK per QALY",
    "unc.fig.tornado_wage": "Tornado: break-even wage{who}",
    "unc.fig.tornado_budget": ("Tornado: budget impact for {who}{name}, the whole open population (the start's people and "
                               "every entrant) summed over the calendar years to the horizon, NOK undiscounted"),
    "unc.fig.twoway": "Two-way sensitivity: {pair}{who}. The black line is where the programme breaks even.",
    "unc.sobol.intro": "Variance-based sensitivity (Saltelli design, {n} model runs, seed {seed}). First order (S1): the "
                       "share of the output's variance due to that input alone; total (ST): including its interactions "
                       "with others. Bars: 95 % intervals. A share of variance lies between 0 and 1: an estimate above "
                       "1 (or below 0) is Monte Carlo error of a small design, and the figure says so.",
    "unc.fig.sobol_bars": "Sobol indices for {output}{who} at each horizon",
    "unc.fig.sobol_horizon": "Sobol indices for {output}{who} against horizon",
})
NB.update({
    "unc.no_comparator": "Hvilket tiltak som er sammenligningsgrunnlaget, er ikke registrert i denne filen.",
    "unc.against": "Inkrementelle resultater er mot {name} (`{code}`).",
    "unc.the_intervention": "tiltaket",
    "unc.col.horizon": "horisont (år)",
    "unc.col.mean": "PSA-snitt, inkrementell netto nåverdi (kr {year})",
    "unc.col.base": "basisberegning (kr {year})",
    "unc.col.interval": "95 %-intervall",
    "unc.col.median_wage": "median break-even-lønn",
    "unc.range": "{low} til {high}",
    "unc.base.mean": "Basisberegningen setter hver usikre parameter til forventningen i fordelingen (kalibrerte til "
                     "den tilpassede verdien); den avviker likevel fra PSA-snittet fordi modellen ikke er lineær i "
                     "parameterne (snittet av resultatene er ikke resultatet ved snittet av inndataene).",
    "unc.base.point": "Basisberegningen bruker de publiserte punktverdiene (`run.base_case: point`); for skjeve "
                      "fordelinger er de ikke forventningene PSA-en tar snitt over, og modellen er ikke lineær i "
                      "parameterne.",
    "unc.base.furthest": "Forventninger lengst fra de publiserte punktverdiene:",
    "unc.fig.employment": "Sysselsetting over tid over PSA-trekkene: linjen er gjennomsnittet, båndet 95 % av trekkene.",
    "unc.no_employment": "Denne PSA-filen lagrer ikke sysselsetting per måned (skrevet før `employment_share` kom til), "
                         "så sysselsettingskurven har ikke bånd her.",
    "unc.fig.occupancy": "Andelen i hver tilstand over tid over PSA-trekkene, per tiltak: linjen er gjennomsnittet, "
                         "båndet 95 % av trekkene.",
    "unc.no_occupancy": "Denne PSA-filen lagrer ikke andel per tilstand og måned (skrevet før `occupancy_quantile` kom "
                        "til), så tilstandskurvene har ikke bånd her.",
    "unc.fig.net": "Kumulativ diskontert netto ved hver horisont over trekkene{who} (linje: gjennomsnitt, bånd: 95 %), "
                   "for de fire første perspektivene; de andre står i tabellen ovenfor.",
    "unc.fig.breakeven": "Break-even-lønn mot horisont over trekkene{who} (linje: median, bånd: 95 %), for de tre "
                         "første perspektivene.",
    "unc.psa.intro": "{n} parametersett trukket fra fordelingene sine (frø {seed}, motor {engine}); hvert punkt eller "
                     "hver telling nedenfor er ett sett. Figurene gjelder {years} år og en betalingsvilje på {wtp} kr "
                     "per QALY der ikke annet er sagt.",
    "unc.psa.table": "Inkrementell netto nåverdi per person over trekkene, ved siden av den deterministiske "
                     "basisberegningen. Hvert trekk teller i hver størrelse; et trekk som lønner seg ved enhver lønn, "
                     "teller ved intervallets nedre grense, et som ikke lønner seg ved noen lønn i det, ved den øvre "
                     "('≤' / '≥': medianen ligger der).",
    "unc.fig.ce": "Kostnadseffektivitetsplan, perspektiv {who}{name}. Under den stiplede linjen er tiltaket "
                  "kostnadseffektivt ved den betalingsviljen.",
    "unc.fig.ceac": "Akseptkurver for kostnadseffektivitet og fronten",
    "unc.fig.evpi": "Forventet verdi av perfekt informasjon: hva det ville være verdt å fjerne all usikkerhet",
    "unc.fig.evppi": "Delvis EVPI per parametergruppe: der mer forskning er mest verdt",
    "unc.fig.bedist": "Fordelingen av break-even-lønnen{who}",
    "unc.fig.bedist.dashed": "(stiplet: lønnen antatt for gruppen)",
    "unc.fig.prob": "Sannsynligheten for at tiltaket lønner seg, per perspektiv og horisont{who}",
    "unc.dsa.intro": "Hver parameter satt til lav og så høy verdi, alle andre i basisberegningen, etter {years} år. "
                     "Stolpene viser hvor langt resultatet flytter seg; største utslag øverst. Etikettene gir lav – høy "
                     "verdi. Der en grense ikke har noen break-even-lønn, er stolpen skravert ned til intervallets "
                     "nedre grense (lønner seg ved enhver lønn), eller raden sier hvorfor ytterst til høyre.",
    "unc.fig.tornado_npv": "Tornado: inkrementell netto nåverdi, perspektiv {who}{name}",
    "unc.fig.tornado_inmb": "Tornado: inkrementell netto monetær nytte",
    "unc.at_wtp": "ved {wtp} kr per QALY",
    "unc.fig.tornado_wage": "Tornado: break-even-lønn{who}",
    "unc.fig.tornado_budget": ("Tornado: budsjettvirkning for {who}{name}, hele den åpne befolkningen (de som er med "
                               "ved start og alle som kommer til) summert over kalenderårene fram til horisonten, "
                               "kroner udiskontert"),
    "unc.fig.twoway": "Toveis sensitivitet: {pair}{who}. Den svarte linjen er der programmet går i balanse.",
    "unc.sobol.intro": "Variansbasert sensitivitet (Saltelli-design, {n} modellkjøringer, frø {seed}). Første orden "
                       "(S1): andelen av variansen i resultatet som skyldes den inndataen alene; total (ST): medregnet "
                       "samspillet med andre. Streker: 95 %-intervall. En andel av variansen ligger mellom 0 og 1: et "
                       "estimat over 1 (eller under 0) er Monte Carlo-feil i et lite design, og figuren sier det.",
    "unc.fig.sobol_bars": "Sobol-indekser for {output}{who} ved hver horisont",
    "unc.fig.sobol_horizon": "Sobol-indekser for {output}{who} mot horisont",
})

# the figures' own texts (ipsecon.output.figures reads them through style.tr)
EN.update({
    "fig.nok": "NOK",
    "fig.nok_prices": "{unit} ({year} prices)",
    "fig.years_since": "years since the strategy started",
    "fig.months_since": "months since the strategy started",
    "fig.horizon": "horizon (years)",
    "fig.horizon_log": "horizon (years, log scale)",
    "fig.mean": "mean",
    "fig.million": "million {unit}",
    "fig.per_person": "{unit} per person",
    "fig.percentage_points": "percentage points",
    "fig.pp": "{value} pp",
    "fig.minus_pp": "{name} minus\n{comparator}\n(percentage points)",
    "fig.share_of_group": "share of the starting group",
    "fig.share_in_work": "share of the starting group in work",
    "fig.comparator": "the comparator",
    "fig.band.mean": "line: mean; band: 95 %",
    "fig.band.mean_samples": "line: mean; band: 95 % of samples",
    "fig.band.median": "line: median; band: 95 %",
    "fig.assumed_wage": "wage assumed for the group ({wage}): above it, pays off",
    "fig.diagram.title": "States and allowed moves between them",
    "fig.diagram.move": "allowed move (each cycle)",
    "fig.diagram.changed": "move whose rate {name} changes",
    "fig.diagram.absorbing": "move to an absorbing state",
    "fig.employment.title": "Employment by strategy",
    "fig.employment.title_targets": "Employment by strategy against the trial's results",
    "fig.employment.in_work": "{name}: in work",
    "fig.employment.ever": "{name}: ever in work since start",
    "fig.employment.mc_band": "bands: 95 % Monte Carlo interval",
    "fig.employment.published": "published trial result (bar: 95 % interval)",
    "fig.employment.state": "competitive employment",
    "fig.employment.ylabel": "share of the starting group\nin {state}",
    "fig.occupancy.difference": "difference: {name} minus {comparator}",
    "fig.waterfall.xlabel": "discounted gain (+) or cost (−) per person, {unit}",
    "fig.waterfall.gain": "gain to the budget",
    "fig.waterfall.cost": "cost to the budget",
    "fig.waterfall.net": "net (bottom bar)",
    "fig.waterfall.title": "Public purse: {name} minus {comparator}, discounted, per person",
    "fig.waterfall.total": "public purse, net",
    "fig.cumulative.ylabel": "cumulative discounted net per person\n{unit}",
    "fig.cumulative.legend": "perspective (value at the end)",
    "fig.cumulative.title": "Who gains and when: {name} minus {comparator}, above 0 = gain",
    "fig.npv.xlabel": "incremental net present value per person, {unit}",
    "fig.npv.title": "Net present value of {name} by perspective (> 0: gains exceed costs)",
    "fig.breakeven.assumed": "assumed wage of the group ({wage})",
    "fig.breakeven.ylabel": "thousand NOK per year, gross\n({year} prices)",
    "fig.breakeven.title": "Gross annual wage at which {name} breaks even — at wages above it, it pays off\n"
                           "(▼ on the bottom edge: pays off at any wage; ▲ on the top edge: no wage up to the "
                           "bracket's top)",
    "fig.output.inc_npv": "incremental NPV",
    "fig.output.inmb": "incremental net monetary benefit",
    "fig.output.breakeven_wage": "break-even wage",
    "fig.output_unit.inc_npv": "NOK per person",
    "fig.output_unit.inmb": "NOK per person",
    "fig.output_unit.breakeven_wage": "NOK per year, gross",
    "fig.output.budget_impact": "budget impact",
    "fig.output_unit.budget_impact": "NOK, the whole population to the horizon, undiscounted",
    "fig.tornado.low": "low",
    "fig.tornado.high": "high",
    "fig.tornado.missing.0": "no value",
    "fig.tornado.missing.1": "pays off at any wage",
    "fig.tornado.missing.2": "no wage in the bracket",
    "fig.tornado.missing.3": "not wage-linked",
    "fig.tornado.xlabel": "{name}, {unit} ({year} prices)\nbase case {base}",
    "fig.tornado.hatched": "hatched: pays off at any wage (break-even ≤ the bracket's low end)",
    "fig.tornado.text_right": "text at the right: no break-even wage at that bound",
    "fig.tornado.low_value": "parameter at its low value",
    "fig.tornado.high_value": "at its high value",
    "fig.tornado.more": "; the {n} widest of {of} parameters",
    "fig.tornado.title": "Tornado: {name} — {who}, {years} years\n(widest swing on top{more})",
    "fig.twoway.colour": "incremental NPV per person, NOK ({year} prices)",
    "fig.twoway.title": "Two-way sensitivity — {who}, {years} years\n(blue: pays off, red: does not; black line: "
                        "breaks even)",
    "fig.twoway.breaks_even": "breaks even",
    "fig.sobol.share": "share of output variance",
    "fig.sobol.S1": "first order (S1)",
    "fig.sobol.ST": "total (ST)",
    "fig.sobol.title": "Sobol indices: {output} (bars: 95 % intervals)",
    "fig.sobol.over_one": "S1 up to {value} > 1: Monte Carlo error of a small design (N = {n}); read the intervals, "
                          "not the bars",
    "fig.sobol.cut": "intervals cut at the panel's edge",
    "fig.sobol.legend": "solid: total (ST), band: its 95 % interval;\ndashed: first order (S1)",
    "fig.sobol.legend_no_band": "solid: total (ST), dashed: first order (S1)",
    "fig.sobol.horizon_title": "Which inputs matter at which horizon — {output}",
    "fig.psa.samples": "{n} PSA samples",
    "fig.wtp_line": "willingness to pay {wtp} NOK per QALY",
    "fig.wtp_axis": "willingness to pay, {unit} per QALY",
    "fig.ce.xlabel": "incremental QALYs per person ({name} − {comparator}, discounted)",
    "fig.ce.ylabel": "incremental net cost per person, {unit}",
    "fig.ce.below": "{share} of samples below the line (cost-effective)",
    "fig.ce.title": "Cost-effectiveness plane — {who}, {years} years",
    "fig.ceac.curve": "{name} (CEAC)",
    "fig.ceac.frontier": "frontier (CEAF):\nhighest expected\nnet benefit",
    "fig.ceac.default": "default willingness to pay",
    "fig.ceac.ylabel": "probability cost-effective",
    "fig.ceac.title": "Acceptability curves — {who}, {years} years",
    "fig.evpi.per_person": "per person",
    "fig.evpi.population": "population of {n}",
    "fig.evpi.title": "Expected value of perfect information — {who}, {years} years",
    "fig.evppi.evpi": "EVPI (all parameters): {value}",
    "fig.evppi.zero": "{n} of {of} groups have no value of information here\n(under 1 % of the axis; not drawn)",
    "fig.evppi.more": "; the {n} largest of {of} groups with value",
    "fig.evppi.title": "Value of learning more about each parameter group (EVPPI)\n{who}, {years} years, WTP {wtp} "
                       "NOK per QALY{more}",
    "fig.bedist.any": "any wage\n(≤ {wage})",
    "fig.bedist.none": "none\n(≥ {wage})",
    "fig.bedist.xlabel": "break-even gross wage, thousand NOK per year ({year} prices)\nhatched bars at the ends: "
                         "censored samples; wages above the 99th percentile in the last bin",
    "fig.bedist.left_out": "not shown (no wage-linked flow):",
    "fig.bedist.title": "Break-even wage across {n} PSA samples at {years} years (number of samples)",
    "fig.prob.ylabel": "probability incremental NPV > 0",
    "fig.prob.band": "band: 95 % interval\n(sampling error of {n} samples)",
    "fig.prob.title": "How likely {name} pays off (incremental NPV > 0), by perspective and horizon",
    "fig.psa_employment.title": "Employment across {n} PSA samples (95 % band)",
    "fig.psa_occupancy.title": "Where people are over time across {n} PSA samples (95 % band)",
    "fig.psa_net.title": "Who gains by when: {name} minus the comparator across PSA samples, above 0 = gain",
    "fig.psa_breakeven.title": "Break-even wage of {name} against horizon across PSA samples\n(samples paying off at "
                               "any wage count at 0, at none at the bracket's top)",
    "party.nav": "NAV",
    "party.health_trust": "health trust",
    "party.municipality": "municipality",
    "party.state": "state",
    "party.individual": "individual",
    "party.employer": "employer",
    "party.resources": "resources",
})
NB.update({
    "fig.nok": "kr",
    "fig.nok_prices": "{unit} ({year}-priser)",
    "fig.years_since": "år siden tiltaket startet",
    "fig.months_since": "måneder siden tiltaket startet",
    "fig.horizon": "tidshorisont (år)",
    "fig.horizon_log": "tidshorisont (år, logaritmisk skala)",
    "fig.mean": "gjennomsnitt",
    "fig.million": "millioner {unit}",
    "fig.per_person": "{unit} per person",
    "fig.percentage_points": "prosentpoeng",
    "fig.pp": "{value} p.p.",
    "fig.minus_pp": "{name} minus\n{comparator}\n(prosentpoeng)",
    "fig.share_of_group": "andel av startgruppen",
    "fig.share_in_work": "andel av startgruppen i arbeid",
    "fig.comparator": "sammenligningsgrunnlaget",
    "fig.band.mean": "linje: gjennomsnitt; bånd: 95 %",
    "fig.band.mean_samples": "linje: gjennomsnitt; bånd: 95 % av trekkene",
    "fig.band.median": "linje: median; bånd: 95 %",
    "fig.assumed_wage": "lønn antatt for gruppen ({wage}): over den lønner det seg",
    "fig.diagram.title": "Tilstander og tillatte overganger mellom dem",
    "fig.diagram.move": "tillatt overgang (hver syklus)",
    "fig.diagram.changed": "overgang der {name} endrer raten",
    "fig.diagram.absorbing": "overgang til en absorberende tilstand",
    "fig.employment.title": "Sysselsetting etter tiltak",
    "fig.employment.title_targets": "Sysselsetting etter tiltak mot forsøkets resultater",
    "fig.employment.in_work": "{name}: i arbeid",
    "fig.employment.ever": "{name}: noen gang i arbeid siden start",
    "fig.employment.mc_band": "bånd: 95 % Monte Carlo-intervall",
    "fig.employment.published": "publisert forsøksresultat (strek: 95 %-intervall)",
    "fig.employment.state": "ordinært arbeid",
    "fig.employment.ylabel": "andel av startgruppen\ni {state}",
    "fig.occupancy.difference": "differanse: {name} minus {comparator}",
    "fig.waterfall.xlabel": "diskontert gevinst (+) eller kostnad (−)\nper person, {unit}",
    "fig.waterfall.gain": "gevinst for budsjettet",
    "fig.waterfall.cost": "kostnad for budsjettet",
    "fig.waterfall.net": "netto (nederste stolpe)",
    "fig.waterfall.title": "Det offentlige: {name} minus {comparator}, diskontert, per person",
    "fig.waterfall.total": "det offentlige, netto",
    "fig.cumulative.ylabel": "kumulativ diskontert netto per person\n{unit}",
    "fig.cumulative.legend": "perspektiv (verdi ved slutten)",
    "fig.cumulative.title": "Hvem tjener, og når: {name} minus {comparator}, over 0 = gevinst",
    "fig.npv.xlabel": "inkrementell netto nåverdi per person, {unit}",
    "fig.npv.title": "Netto nåverdi av {name} per perspektiv (> 0: gevinstene er større enn kostnadene)",
    "fig.breakeven.assumed": "lønn antatt for gruppen ({wage})",
    "fig.breakeven.ylabel": "tusen kr per år, brutto\n({year}-priser)",
    "fig.breakeven.title": "Bruttoårslønn der {name} går i balanse — ved høyere lønn lønner det seg\n"
                           "(▼ nederst: lønner seg ved enhver lønn; ▲ øverst: ingen lønn opp til intervallets topp)",
    "fig.output.inc_npv": "inkrementell netto nåverdi",
    "fig.output.inmb": "inkrementell netto monetær nytte",
    "fig.output.breakeven_wage": "break-even-lønn",
    "fig.output_unit.inc_npv": "kr per person",
    "fig.output_unit.inmb": "kr per person",
    "fig.output_unit.breakeven_wage": "kr per år, brutto",
    "fig.output.budget_impact": "budsjettvirkning",
    "fig.output_unit.budget_impact": "kr, hele befolkningen fram til horisonten, udiskontert",
    "fig.tornado.low": "lav",
    "fig.tornado.high": "høy",
    "fig.tornado.missing.0": "ingen verdi",
    "fig.tornado.missing.1": "lønner seg ved enhver lønn",
    "fig.tornado.missing.2": "ingen lønn i intervallet",
    "fig.tornado.missing.3": "ikke lønnsavhengig",
    "fig.tornado.xlabel": "{name}, {unit} ({year}-priser)\nbasisberegning {base}",
    "fig.tornado.hatched": "skravert: lønner seg ved enhver lønn\n(break-even ≤ intervallets nedre grense)",
    "fig.tornado.text_right": "tekst til høyre: ingen break-even-lønn ved den grensen",
    "fig.tornado.low_value": "parameter ved lav verdi",
    "fig.tornado.high_value": "ved høy verdi",
    "fig.tornado.more": "; de {n} største av {of} parametere",
    "fig.tornado.title": "Tornado: {name} — {who}, {years} år\n(største utslag øverst{more})",
    "fig.twoway.colour": "inkrementell netto nåverdi per person, kr ({year}-priser)",
    "fig.twoway.title": "Toveis sensitivitet — {who}, {years} år\n(blått: lønner seg, rødt: lønner seg ikke; svart "
                        "linje: balanse)",
    "fig.twoway.breaks_even": "balanse",
    "fig.sobol.share": "andel av variansen i resultatet",
    "fig.sobol.S1": "første orden (S1)",
    "fig.sobol.ST": "total (ST)",
    "fig.sobol.title": "Sobol-indekser: {output} (streker: 95 %-intervall)",
    "fig.sobol.over_one": "S1 opp til {value} > 1: Monte Carlo-feil i et lite design (N = {n}); les intervallene, "
                          "ikke stolpene",
    "fig.sobol.cut": "intervallene er kuttet ved panelets kant",
    "fig.sobol.legend": "heltrukken: total (ST), bånd: 95 %-intervallet;\nstiplet: første orden (S1)",
    "fig.sobol.legend_no_band": "heltrukken: total (ST), stiplet: første orden (S1)",
    "fig.sobol.horizon_title": "Hvilke inndata betyr noe ved hvilken horisont — {output}",
    "fig.psa.samples": "{n} PSA-trekk",
    "fig.wtp_line": "betalingsvilje {wtp} kr per QALY",
    "fig.wtp_axis": "betalingsvilje, {unit} per QALY",
    "fig.ce.xlabel": "inkrementelle QALY per person ({name} − {comparator}, diskontert)",
    "fig.ce.ylabel": "inkrementell nettokostnad per person, {unit}",
    "fig.ce.below": "{share} av trekkene under linjen (kostnadseffektivt)",
    "fig.ce.title": "Kostnadseffektivitetsplan — {who}, {years} år",
    "fig.ceac.curve": "{name} (CEAC)",
    "fig.ceac.frontier": "fronten (CEAF):\nhøyest forventet\nnettonytte",
    "fig.ceac.default": "standard betalingsvilje",
    "fig.ceac.ylabel": "sannsynlighet for kostnadseffektivitet",
    "fig.ceac.title": "Akseptkurver — {who}, {years} år",
    "fig.evpi.per_person": "per person",
    "fig.evpi.population": "befolkning på {n}",
    "fig.evpi.title": "Forventet verdi av perfekt informasjon — {who}, {years} år",
    "fig.evppi.evpi": "EVPI (alle parametere): {value}",
    "fig.evppi.zero": "{n} av {of} grupper har ingen informasjonsverdi her\n(under 1 % av aksen; ikke tegnet)",
    "fig.evppi.more": "; de {n} største av {of} grupper med verdi",
    "fig.evppi.title": "Verdien av å vite mer om hver parametergruppe (EVPPI)\n{who}, {years} år, betalingsvilje {wtp} "
                       "kr per QALY{more}",
    "fig.bedist.any": "enhver lønn\n(≤ {wage})",
    "fig.bedist.none": "ingen\n(≥ {wage})",
    "fig.bedist.xlabel": "break-even-lønn (brutto), tusen kr per år ({year}-priser)\nskraverte stolper i endene: "
                         "sensurerte trekk; lønn over 99. persentil i siste stolpe",
    "fig.bedist.left_out": "ikke vist (ingen lønnsavhengig strøm):",
    "fig.bedist.title": "Break-even-lønn over {n} PSA-trekk etter {years} år (antall trekk)",
    "fig.prob.ylabel": "sannsynlighet for inkrementell netto nåverdi > 0",
    "fig.prob.band": "bånd: 95 %-intervall\n(utvalgsfeil med {n} trekk)",
    "fig.prob.title": "Hvor sannsynlig det er at {name} lønner seg (netto nåverdi > 0), per perspektiv og horisont",
    "fig.psa_employment.title": "Sysselsetting over {n} PSA-trekk (95 %-bånd)",
    "fig.psa_occupancy.title": "Hvor folk er over tid, over {n} PSA-trekk (95 %-bånd)",
    "fig.psa_net.title": "Hvem tjener innen når: {name} minus sammenligningsgrunnlaget over PSA-trekkene, over 0 = "
                         "gevinst",
    "fig.psa_breakeven.title": "Break-even-lønn for {name} mot tidshorisont over PSA-trekkene\n(trekk som lønner seg "
                               "ved enhver lønn teller som 0, de som ikke lønner seg som intervallets øvre grense)",
    "party.nav": "NAV",
    "party.health_trust": "helseforetaket",
    "party.municipality": "kommunen",
    "party.state": "staten",
    "party.individual": "den enkelte",
    "party.employer": "arbeidsgiver",
    "party.resources": "ressurser",
})
EN.update({  # the calendar-year section of an open population (calendar_section.py)
    "calendar.title": "By calendar year: the whole target group and each budget",
    "calendar.intro": ("The population is open: the {stock} people of the start and those who join each year, each followed "
                       "from the month they enter. Per person-year of that year's population: working days ({days} full-time"
                       " days a year times the hours worked), share of months in work, months on AAP. Budgets are each "
                       "payer's net in the year, NOK of {price_year}, undiscounted, as budgets are made; the impact is "
                       "{intervention} minus {comparator} (+ = the budget gains)."),
    "calendar.year": "year",
    "calendar.persons": "person-years",
    "calendar.entrants": "joined",
    "calendar.starts": "started {intervention}",
    "calendar.unserved": "without a place",
    "calendar.part": "{year} ({months} months)",
    "calendar.days": "working days, {s}",
    "calendar.work": "in work, {s}",
    "calendar.aap": "AAP months, {s}",
    "calendar.fig_title": "Budget impact of {intervention} vs {comparator} per calendar year",
    "calendar.fig_y": "million NOK a year ({price_year} prices)",
    "calendar.caption": ("Each public budget's yearly net impact (+ = gain), undiscounted; the public purse is "
                         "their sum."),
})
NB.update({  # the calendar-year section of an open population (calendar_section.py)
    "calendar.title": "År for år: hele målgruppen og hvert budsjett",
    "calendar.intro": ("Befolkningen er åpen: de {stock} personene ved start og de som kommer til hvert år, hver fulgt fra "
                       "måneden de kommer inn. Per personår i årets befolkning: arbeidsdager ({days} heltidsdager i året "
                       "ganger arbeidstiden), andel måneder i arbeid, måneder med AAP. Budsjettene er hver betalers netto i "
                       "året, kroner i {price_year}-priser, udiskontert, slik budsjetter lages; virkningen er {intervention}"
                       " minus {comparator} (+ = budsjettet tjener)."),
    "calendar.year": "år",
    "calendar.persons": "personår",
    "calendar.entrants": "kom til",
    "calendar.starts": "startet {intervention}",
    "calendar.unserved": "uten plass",
    "calendar.part": "{year} ({months} mnd.)",
    "calendar.days": "arbeidsdager, {s}",
    "calendar.work": "i arbeid, {s}",
    "calendar.aap": "AAP-måneder, {s}",
    "calendar.fig_title": "Budsjettvirkning av {intervention} mot {comparator} per kalenderår",
    "calendar.fig_y": "millioner kroner i året ({price_year}-priser)",
    "calendar.caption": ("Hvert offentlige budsjetts netto virkning per år (+ = gevinst), udiskontert; det offentlige er "
                         "summen."),
})

CATALOGUES = {"en": EN, "nb": NB}
