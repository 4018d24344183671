"""One report per results folder: the sections in order, their figures drawn, HTML and Markdown written."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from ipsecon.output.report.blocks import Alert, Figure, Section
from ipsecon.output.report.commands import shown_path
from ipsecon.output.report.i18n import language, t
from ipsecon.output.report.messages import CATALOGUES
from ipsecon.output.report.folder import Inputs, read_inputs
from ipsecon.output.results import atomic_write
from ipsecon.progress import Progress


def build_sections(inp: Inputs) -> list[Section]:
    """The answer first, then the question, the evidence (employment against the trial), money over
    time, uncertainty, the files; the model card last, folded. Titles in the report's language."""
    # the sections (and matplotlib, through their figures) load here: remove_report and report_paths,
    # which a run without its report calls, need none of them
    from ipsecon.output.report.breakeven_section import breakeven_section
    from ipsecon.output.report.ce_section import ce_section
    from ipsecon.output.report.calendar_section import calendar_section
    from ipsecon.output.report.decision import decision_section, structures_section
    from ipsecon.output.report.model_card import model_card_section
    from ipsecon.output.report.money_sections import money_sections
    from ipsecon.output.report.summary import headline, question_section, reproduce_section
    from ipsecon.output.report.trace_sections import employment_section, occupancy_section
    from ipsecon.output.report.sweep_section import sweep_section
    from ipsecon.output.report.uncertainty_sections import dsa_section, psa_section, sobol_section

    facts: dict = {}
    body: list[Section | None] = [employment_section(inp), occupancy_section(inp)]
    body += money_sections(inp, facts) + [calendar_section(inp), ce_section(inp)]  # calendar: open populations
    body += [breakeven_section(inp, facts), psa_section(inp.psa, inp.run("psa.nc")),
             dsa_section(inp.dsa, inp.run("dsa.nc")), sobol_section(inp.sobol, inp.run("sobol.nc")),
             sweep_section(inp.sweep)]
    facts["headline"] = headline(inp, facts)
    card = model_card_section(inp.card_run)
    if card is not None:
        card.collapsed = True
    answer = decision_section(inp, facts)
    sections = [answer, structures_section(facts), question_section(inp, facts)] + body
    sections += [reproduce_section(inp), card]
    sections = [s for s in sections if s is not None]
    for s in sections:
        if f"section.{s.key}" in CATALOGUES["en"]:
            s.title = t(f"section.{s.key}")
    return sections


def title_of(inp: Inputs) -> str:
    if len(inp.breakeven_runs) > 1 and inp.main.file.startswith("breakeven"):
        return t("title.breakeven", names=t("decision.and").join(f"{r.title or s}" for s, r in inp.breakeven_runs.items()))
    return inp.main.title or inp.name


def folder_name(name: str) -> str:
    """A scenario name recorded in a file, safe as one folder name (no separators, no '..', no dotfile)."""
    safe = re.sub(r"[^A-Za-z0-9._+-]", "_", name).lstrip(".")
    return safe.replace("..", "_") or "report"


def swap_folder(new: Path, target: Path) -> None:
    """Put the folder ``new`` in place of ``target``. Whatever was there goes, but a symbolic link is
    removed as a link: the files it points to are never touched."""
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
        os.replace(target, old / target.name)
        os.replace(new, target)
        shutil.rmtree(old)  # rmtree never follows links inside the folder
        return
    os.replace(new, target)


def report_paths(results_dir: Path, reports_root: Path = Path("reports"), name: str | None = None) -> dict[str, Path]:
    """Where the report of ``results_dir`` goes: ``<reports_root>/<scenario>/<folder name>.html``, ``.md`` and
    ``<folder name>_figures/`` (``name``: the scenario, else read from the folder's files)."""
    name = read_inputs(Path(results_dir)).name if name is None else name
    out_dir = Path(reports_root) / folder_name(name)
    stem = Path(results_dir).resolve().name
    return {"html": out_dir / f"{stem}.html", "markdown": out_dir / f"{stem}.md", "figures": out_dir / f"{stem}_figures"}


def remove_report(results_dir: Path, reports_root: Path = Path("reports")) -> None:
    """Remove the report of ``results_dir`` (an earlier run's; it would describe other inputs). A symbolic
    link is removed as a link, never what it points to. The scenario's name comes from the run's manifest
    (reading the result files for it would cost a quick run more than the run itself)."""
    from ipsecon.output.run_folder import read_manifest

    name = (read_manifest(results_dir) or {}).get("scenario")
    for path in report_paths(results_dir, reports_root, str(name) if name else None).values():
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)


def write_report(results_dir: Path, reports_root: Path = Path("reports"), quiet: bool = False,
                 lang: str = "en") -> dict[str, Path]:
    """Write ``reports/<scenario>/<results_dir name>.html`` and ``.md`` (figures in ``<name>_figures/``),
    from the result files in ``results_dir`` only, in language ``lang`` (``en`` or ``nb``: fixed texts
    and number formats). The figures are written to a temporary folder next to
    their place and swapped in, the HTML and Markdown atomically: a report that fails leaves the
    earlier one as it was, and nothing outside the report's own files is deleted."""
    with language(lang):
        return _write_report(Path(results_dir), Path(reports_root), quiet)


def render(*args, **kwargs) -> tuple[str, str]:
    """:func:`ipsecon.output.report.render.render`, loaded (with jinja2 and matplotlib) on first use."""
    from ipsecon.output.report import render as rendering

    return rendering.render(*args, **kwargs)


def _write_report(results_dir: Path, reports_root: Path, quiet: bool) -> dict[str, Path]:
    from ipsecon.output.report.render import render_pngs
    from ipsecon.output.report.summary import mixed_runs_banner, validation_banner

    inp = read_inputs(results_dir)
    sections = build_sections(inp)
    mixed, misses = mixed_runs_banner(inp), validation_banner(inp)
    banner = mixed + misses
    if banner and sections and sections[0].key == "decision":  # the warnings stand below the answer: point to them
        sections[0].add(Alert(" ".join(t(f"decision.warnings.{k}") for k, b in (("mixed", mixed), ("miss", misses)) if b)))
    # each figure drawn once (a block shown twice is one figure), for the HTML and the Markdown alike
    figures = list({id(b): b for s in sections for b in s.blocks if isinstance(b, Figure)}.values())
    with Progress("report figures", total=len(figures), quiet=quiet) as bar:
        for b, png in zip(figures, render_pngs(figures, bar.advance)):
            b.png = png
    paths = report_paths(results_dir, reports_root, inp.name)
    fig_dir, out_dir = paths["figures"], paths["figures"].parent
    out_dir.mkdir(parents=True, exist_ok=True)
    prices = ", ".join(sorted({t("subtitle.prices", year=r.price_year) for _, rs in inp.file_runs() for r in rs
                               if r.price_year}))
    subtitle = t("subtitle", folder=shown_path(results_dir), scenario=inp.name) + (f", {prices}" if prices else "")
    staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".{fig_dir.name}.new-"))
    try:
        html_text, md_text = render(sections, title_of(inp), subtitle, staging, fig_dir.name, banner)
        staging.chmod(0o755)
        swap_folder(staging, fig_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    atomic_write(paths["html"], lambda p: Path(p).write_text(html_text, encoding="utf-8"))
    atomic_write(paths["markdown"], lambda p: Path(p).write_text(md_text, encoding="utf-8"))
    umask = os.umask(0)
    os.umask(umask)
    for key in ("html", "markdown"):  # a temporary file is private (0600); a report is meant to be shared
        paths[key].chmod(0o666 & ~umask)
    return paths
