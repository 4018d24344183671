"""The report's figures drawn by forked children: the same PNG bytes as drawn one after another, each figure
once, progress for each, and a child's failure answered by the serial path's own error."""

import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

import ipsecon
from ipsecon.output.report import (
    build_sections,
    document,
    read_inputs,
    render,
    write_report,
)
from ipsecon.output.report.blocks import Figure, Section
from ipsecon.output.report.i18n import language

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="figures are drawn in forked children on Linux only")


@pytest.fixture(scope="module")
def rct(tmp_path_factory, root):
    """A two-year trial run saved as a results folder (its report's seven figures)."""
    out = tmp_path_factory.mktemp("parallel") / "rct"
    ipsecon.run(ipsecon.load_scenario(root / "scenarios" / "norway_rct.yaml"), engine="cohort", horizon=2,
                structures=False).save(out)
    return out


def figures_of(folder: Path) -> list[Figure]:
    return [b for s in build_sections(read_inputs(folder)) for b in s.blocks if isinstance(b, Figure)]


class Drawn:
    """Counts the figures drawn in this process (a forked child's draws count in its own copy, not here)."""

    def __init__(self, monkeypatch):
        self.names: list[str] = []
        draw = render.render_png
        monkeypatch.setattr(render, "render_png", lambda b: (self.names.append(b.name), draw(b))[1])


def tiny(name: str, fail=None) -> Figure:
    """A small figure; ``fail(pid)`` may raise or end the process that draws it."""
    def make():
        if fail is not None:
            fail(os.getpid())
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([0, 1, 2], [1, 0, len(name)])
        ax.set_title(name)
        return fig
    return Figure(name, make)


def test_forked_children_draw_the_serial_bytes_in_the_reports_language(rct, monkeypatch):
    with language("nb"):  # the children draw in the language of the report, not the default
        blocks = figures_of(rct)
        assert len(blocks) == 7
        serial = render.render_pngs(blocks, workers=1)
        drawn = Drawn(monkeypatch)
        ticks = []
        forked = render.render_pngs(blocks, lambda: ticks.append(1), workers=2)
    assert drawn.names == []  # none drawn here: the children drew them all
    assert len(ticks) == len(blocks)
    assert [p[:8] for p in forked] == [b"\x89PNG\r\n\x1a\n"] * len(blocks)
    assert forked == serial
    with language("en"):
        english = render.render_pngs(figures_of(rct)[:3], workers=2)
    assert english != serial[:3]  # the language reached the children: their English figures differ


def test_one_or_two_figures_or_one_worker_are_drawn_here(monkeypatch):
    drawn = Drawn(monkeypatch)
    render.render_pngs([tiny("a"), tiny("b")], workers=4)
    render.render_pngs([tiny("c"), tiny("d"), tiny("e")], workers=1)
    monkeypatch.setattr(render, "cores", lambda: 1)
    render.render_pngs([tiny("f"), tiny("g"), tiny("h")])
    assert drawn.names == list("abcdefgh")


def test_a_figure_that_fails_in_a_child_raises_the_serial_error_here(monkeypatch):
    def fail(pid):
        raise ValueError(f"no data for this figure (drawn in {'the parent' if pid == parent else 'a child'})")

    parent = os.getpid()
    blocks = [tiny("a"), tiny("b"), tiny("bad", fail), tiny("c")]
    with pytest.raises(ValueError) as serial:
        render.render_pngs(blocks, workers=1)
    drawn = Drawn(monkeypatch)
    with pytest.raises(ValueError) as forked:
        render.render_pngs(blocks, workers=2)
    assert str(forked.value) == str(serial.value) == "no data for this figure (drawn in the parent)"
    assert drawn.names == ["bad"]  # the children drew the others


def test_a_child_that_dies_leaves_its_figures_to_the_parent(monkeypatch):
    parent = os.getpid()

    def die(pid):
        if pid != parent:
            os._exit(3)  # as if killed: no answer, and the pool is broken for every figure not yet delivered

    blocks = [tiny("a"), tiny("dies", die), tiny("b"), tiny("c"), tiny("d")]
    serial = render.render_pngs(blocks, workers=1)
    drawn = Drawn(monkeypatch)
    ticks = []
    assert render.render_pngs(blocks, lambda: ticks.append(1), workers=2) == serial
    assert "dies" in drawn.names and len(ticks) == len(blocks)  # each figure counted once, wherever drawn


def test_a_report_draws_each_figure_once(rct, tmp_path, monkeypatch):
    """Once for the HTML and the Markdown together, and once when a section shows a figure twice."""
    made: dict[str, int] = {}
    build = document.build_sections

    def counted(inp):
        sections = build(inp)
        for b in (b for s in sections for b in s.blocks if isinstance(b, Figure)):
            make = b.make
            b.make = lambda make=make, name=b.name: (made.__setitem__(name, made.get(name, 0) + 1), make())[1]
        first = next(b for s in sections for b in s.blocks if isinstance(b, Figure))
        sections.append(Section("again", "The first figure again", [first]))
        return sections

    monkeypatch.setattr(document, "build_sections", counted)
    monkeypatch.setattr(render, "cores", lambda: 1)  # drawn here, where the calls can be counted
    paths = write_report(rct, tmp_path, quiet=True)
    assert len(made) == 7 and set(made.values()) == {1}, made
    assert sorted(p.stem for p in paths["figures"].iterdir()) == sorted(made)
    html, md = paths["html"].read_text(encoding="utf-8"), paths["markdown"].read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 8 and md.count("](rct_figures/") == 8  # 7 + the repeat
