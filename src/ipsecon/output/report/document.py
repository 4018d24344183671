"""One report per results folder: the sections in order, their figures drawn, HTML and Markdown written."""

from __future__ import annotations

import os
from pathlib import Path

from ipsecon.output.report.blocks import Figure, Section
from ipsecon.output.report.breakeven_section import breakeven_section
from ipsecon.output.report.folder import Inputs, read_inputs
from ipsecon.output.report.model_card import model_card_section
from ipsecon.output.report.money_sections import money_sections
from ipsecon.output.report.render import render, render_png
from ipsecon.output.report.summary import headline, mixed_runs_banner, question_section, reproduce_section
from ipsecon.output.report.trace_sections import employment_section, occupancy_section
from ipsecon.output.report.uncertainty_sections import dsa_section, psa_section, sobol_section
from ipsecon.output.results import atomic_write
from ipsecon.progress import Progress


def build_sections(inp: Inputs) -> list[Section]:
    facts: dict = {}
    body: list[Section | None] = [model_card_section(inp.card_run), employment_section(inp), occupancy_section(inp)]
    body += money_sections(inp, facts)
    body += [breakeven_section(inp, facts), psa_section(inp.psa, inp.run("psa.nc")),
             dsa_section(inp.dsa, inp.run("dsa.nc")), sobol_section(inp.sobol, inp.run("sobol.nc"))]
    facts["headline"] = headline(inp, facts)
    return [question_section(inp, facts)] + [s for s in body if s is not None] + [reproduce_section(inp)]


def title_of(inp: Inputs) -> str:
    if len(inp.breakeven_runs) > 1 and inp.main.file.startswith("breakeven"):
        return "Break-even wage of " + " and ".join(f"{r.title or s}" for s, r in inp.breakeven_runs.items())
    return inp.main.title or inp.name


def write_report(results_dir: Path, reports_root: Path = Path("reports"), quiet: bool = False) -> dict[str, Path]:
    """Write ``reports/<scenario>/<results_dir name>.html`` and ``.md`` (figures in ``<name>_figures/``),
    from the result files in ``results_dir`` only."""
    results_dir = Path(results_dir)
    inp = read_inputs(results_dir)
    sections = build_sections(inp)
    banner = mixed_runs_banner(inp)
    figures = [b for s in sections for b in s.blocks if isinstance(b, Figure)]
    with Progress("report figures", total=len(figures), quiet=quiet) as bar:
        for b in figures:
            b.png = render_png(b)
            bar.advance()
    out_dir = Path(reports_root) / inp.name
    stem = results_dir.resolve().name
    fig_dir = out_dir / f"{stem}_figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    for old in fig_dir.glob("*.png"):  # figures of an earlier report of this folder that no longer apply
        old.unlink()
    prices = ", ".join(sorted({f"prices of {r.price_year}" for _, rs in inp.file_runs() for r in rs if r.price_year}))
    subtitle = f"ipsecon report of {results_dir} — scenario {inp.name}" + (f", {prices}" if prices else "")
    html_text, md_text = render(sections, title_of(inp), subtitle, fig_dir, fig_dir.name, banner)
    paths = {"html": out_dir / f"{stem}.html", "markdown": out_dir / f"{stem}.md", "figures": fig_dir}
    atomic_write(paths["html"], lambda p: Path(p).write_text(html_text, encoding="utf-8"))
    atomic_write(paths["markdown"], lambda p: Path(p).write_text(md_text, encoding="utf-8"))
    umask = os.umask(0)
    os.umask(umask)
    for key in ("html", "markdown"):  # a temporary file is private (0600); a report is meant to be shared
        paths[key].chmod(0o666 & ~umask)
    return paths
