"""Sources as citations: author, year, journal or agency, with a link where one is public. Every
source a report shows (scenario ``sources:``, a parameter's ``source:``, a target's ``source``)
goes through :func:`citation`, so that names of the project's working documents and local paths
never reach a reader, also in result files written before the sources were rewritten."""

from __future__ import annotations

import re

# the project's seed documents (working copies) and the publication each one reports (no ': ', so that
# the text can stand unquoted in a YAML source field)
SEED_DOCUMENTS = {
    "000": "Research Council of Norway, Prosjektbanken (VAM programme), IPS in Bodø, project description",
    "001": "Brinchmann B et al., IPS in a Norwegian context - a meta-analysis and the IPSNOR project (Norwegian-language "
           "article presenting Brinchmann et al. 2020, Acta Psychiatr Scand, doi:10.1111/acps.13129)",
    "002": "Research Council of Norway, Prosjektbanken (HELSEVEL programme), IPSNOR, project description and results "
           "updates 2022–2023",
    "003": "Reme SE 2022, Individuell jobbstøtte for pasienter med langvarige smerter, Tidsskrift for Norsk "
           "psykologforening 59(10):896-898",
    "004": "Uni Research Rokkan Centre and Uni Research Health (now NORCE), Effect evaluation of IPS, project page",
}
SEED = re.compile(r"\bseeds?\s+((?:\d{3}_[0-9a-f]+\.txt(?:\s*(?:,|and|/)\s*)?)+)")
SEED_FILE = re.compile(r"(\d{3})_[0-9a-f]+\.txt")
BARE_SEED = re.compile(r"\bseeds?\s+(\d{3}(?:\s*(?:,|and|/)\s*\d{3})*)\b(?!_)")  # 'seed 000' in a description
WORKING_NOTE = re.compile(r"\b[\w.-]+\.md(?:\s*§\s*[\w.,() §-]*[\w)])?")
DOI = re.compile(r"(?<![\[/])\bdoi:\s*(10\.\d{4,9}/[^\s,;)\]]+[^\s,;.)\]])")
LOCAL_PATH = re.compile(r"(?<![\w:/])(?:/|~/)[\w.-]+(?:/[\w.-]+)+")


def _seeds(match: re.Match) -> str:
    return "; ".join(SEED_DOCUMENTS.get(n, "project brief (internal)") for n in SEED_FILE.findall(match.group(1)))


def citation(text) -> str:
    """One source as the report cites it: seed documents named by the publication they report,
    working notes as 'project evidence review (internal)', local paths by file name only, DOIs as
    links (Markdown ``[doi:…](https://doi.org/…)``)."""
    out = " ".join(str(text).split())
    out = SEED.sub(_seeds, out)
    out = BARE_SEED.sub(lambda m: "; ".join(SEED_DOCUMENTS.get(n, "project brief (internal)")
                                            for n in re.findall(r"\d{3}", m.group(1))), out)
    out = WORKING_NOTE.sub("project evidence review (internal)", out)
    out = LOCAL_PATH.sub(lambda m: m.group(0).rsplit("/", 1)[-1], out)
    return DOI.sub(lambda m: f"[doi:{m.group(1)}](https://doi.org/{m.group(1)})", out)
