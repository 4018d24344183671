"""What a reader sees: every figure a report makes renders with no two tick labels on top of each other
and no text outside the figure; the answer is the first section and short enough for one screen; a
Norwegian report is a translation (headings and nb_NO number grouping).

Real small results of the norway_rct scenario, as the README's commands make them: simulate, psa with
few samples, dsa, sobol with a tiny design, breakeven, and a small microsimulation (Monte Carlo bands); each report's own figure list is rendered.
"""

import re
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import pytest
from click.testing import CliRunner
from matplotlib.text import Text as MplText

from ipsecon.cli import main
from ipsecon.output import report
from ipsecon.output.report.blocks import Figure
from ipsecon.output.report.i18n import language

COMMANDS = {
    "sim": ["simulate", "--horizon", "10"],
    "micro": ["simulate", "--engine", "microsim", "--individuals", "2000", "--seed", "3", "--horizon", "5"],
    "psa": ["psa", "--samples", "16", "--horizons", "1.5,5,10"],
    "dsa": ["dsa", "--horizons", "1.5,10"],
    "sobol": ["sobol", "--base-samples", "4", "--resamples", "10", "--horizons", "1.5,10"],
    "be": ["breakeven", "--horizons", "1.5,5,10"],
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory, root):
    tmp = tmp_path_factory.mktemp("layout")
    out = {}
    for name, (command, *options) in COMMANDS.items():
        folder = tmp / name
        # simulate computes its break-even wages only when it writes a report
        report_options = ["--reports", str(tmp / "first")] if command == "simulate" else ["--no-report"]
        r = CliRunner().invoke(main, [command, str(root / "scenarios" / "norway_rct.yaml"), *options, "--out",
                                      str(folder), *report_options, "--quiet"])
        assert r.exit_code == 0, r.output
        out[name] = folder
    return out


def _tick_labels(axis):
    """The tick labels matplotlib draws: visible, non-empty, at a tick inside the view (ticks beyond the
    limits exist as objects but are not drawn)."""
    lo, hi = sorted(axis.get_view_interval())
    span = (hi - lo) * 1e-9
    return [t for loc, t in zip(axis.get_majorticklocs(), axis.get_majorticklabels())
            if lo - span <= loc <= hi + span and t.get_visible() and t.get_text().strip()]


def _overlapping(boxes) -> list[tuple[int, int]]:
    """Pairs of boxes that share more than a pixel in both directions."""
    out = []
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > 1 and dy > 1:
                out.append((i, j))
    return out


def layout_defects(fig) -> list[str]:
    """Tick labels of one axis that overlap, and text that leaves the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    defects = []
    drawn, every_tick_label = [], set()
    for k, ax in enumerate(fig.axes):
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            every_tick_label |= {id(t) for t in axis.get_majorticklabels() + axis.get_minorticklabels()}
            if not ax.axison:
                continue
            labels = _tick_labels(axis)
            drawn += labels
            boxes = [t.get_window_extent(renderer) for t in labels]
            defects += [f"axes {k} {name}: tick labels {labels[i].get_text()!r} and {labels[j].get_text()!r} overlap"
                        for i, j in _overlapping(boxes)]
    texts = drawn + [t for t in fig.findobj(MplText) if id(t) not in every_tick_label]
    for t in texts:
        if not t.get_visible() or not t.get_text().strip():
            continue
        box = t.get_window_extent(renderer)
        if box.x0 < frame.x0 - 1 or box.y0 < frame.y0 - 1 or box.x1 > frame.x1 + 1 or box.y1 > frame.y1 + 1:
            defects.append(f"text {t.get_text()[:50]!r} leaves the figure")
    return defects


def report_figures(folder) -> list[Figure]:
    sections = report.build_sections(report.read_inputs(folder))
    return [b for s in sections for b in s.blocks if isinstance(b, Figure)]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_figure_has_readable_ticks_and_keeps_its_text_inside(folders, name):
    figures = report_figures(folders[name])
    assert figures
    defects = []
    for block in figures:
        fig = block.make()
        try:
            defects += [f"{block.name}: {d}" for d in layout_defects(fig)]
        finally:
            plt.close(fig)
    assert not defects, "\n".join(defects)


def test_the_check_finds_overlapping_ticks_and_text_outside():
    """The check itself can fail: crowded full-length money ticks and a label placed off the figure."""
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_xlim(0, 2_000_000)
    ax.set_xticks(range(0, 2_000_001, 250_000), [f"{v:,}" for v in range(0, 2_000_001, 250_000)])
    ax.text(1.5, 0.5, "far to the right", transform=ax.transAxes)
    defects = layout_defects(fig)
    plt.close(fig)
    assert any("overlap" in d for d in defects)
    assert any("leaves the figure" in d for d in defects)


class _Sections(HTMLParser):
    """Section ids in document order, and the text inside the first one."""

    def __init__(self):
        super().__init__()
        self.ids, self.depth, self.first_text = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.ids.append(dict(attrs).get("id"))
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and len(self.ids) == 1:
            self.first_text.append(data)


@pytest.fixture(scope="module")
def reports(folders, tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    out = {}
    for lang in ("en", "nb"):
        for name, folder in folders.items():
            r = CliRunner().invoke(main, ["report", str(folder), "--reports", str(root / lang), "--quiet",
                                          "--lang", lang])
            assert r.exit_code == 0, r.output
            out[lang, name] = (root / lang / "norway_rct" / f"{name}.html").read_text(encoding="utf-8")
    return out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_answer_comes_first_and_fits_a_screen(reports, name):
    html = reports["en", name]
    parsed = _Sections()
    parsed.feed(html)
    assert parsed.ids[0] == "decision", parsed.ids
    assert html.index("<section id='decision'>") < min(html.index(f"<section id='{s}'>") for s in parsed.ids[1:])
    text = " ".join("".join(parsed.first_text).split())
    assert 80 < len(text) < 2500, len(text)
    if name != "be":  # a break-even file records no model; every other report ends with the folded model card
        assert parsed.ids[-1] == "model", parsed.ids
        assert "<details>" in html[html.index("<section id='model'>"):]


def test_the_style_sheet_is_not_escaped(reports):
    html = reports["en", "sim"]
    style = html[html.index("<style>"):html.index("</style>")]
    assert '"Segoe UI"' in style and "&#34;" not in style and "&quot;" not in style


def test_the_answer_names_a_verdict_and_compares_the_break_even_wage_with_the_assumed_one(reports):
    html = reports["en", "sim"]
    answer = html[html.index("<section id='decision'>"):html.index("</section>")]
    assert re.search(r"IPS (does not )?pays? off for|IPS pays off for none", answer)
    assert "the wage assumed for the group is 140,000 NOK" in answer
    assert "Cost per QALY gained, society perspective" in answer
    assert "cost per extra employment-year" in answer
    psa = reports["en", "psa"]
    assert "the probability that it pays off at 10 years" in psa[:psa.index("</section>")]


def test_norwegian_report_is_a_translation(reports):
    en, nb = reports["en", "sim"], reports["nb", "sim"]
    assert "<html lang='nb'>" in nb.replace('"', "'")
    assert "<h2>Svaret</h2>" in nb and "<h2>Sysselsetting etter tiltak</h2>" in nb and "Kort sagt" in nb
    assert "<h2>The answer</h2>" in en and "Svaret" not in en
    answer = nb[nb.index("<section id='decision'>"):nb.index("</section>")]
    grouped = re.findall(r"\d{1,3}(?:\u00a0\d{3})+", answer)  # 140 000 with nb_NO's no-break space
    assert "140\u00a0000" in grouped
    assert "140,000" not in answer  # no English thousands separators left in the answer
    with language("nb"):
        from ipsecon.output.report.i18n import number
        assert number(1234567) == "1\u00a0234\u00a0567"


def test_a_microsimulation_draws_its_monte_carlo_bands(reports):
    html = reports["en", "micro"]
    assert "95 % Monte Carlo interval of each month's share (2,000 simulated people per strategy" in html
    assert "The differences carry a 95 % Monte Carlo band" in html
    assert "Monte Carlo" not in reports["en", "sim"]  # the cohort's shares are exact expected values


def test_sources_are_citations_without_working_file_names_or_paths(reports):
    from ipsecon.output.report.citations import citation

    for (lang, name), html in reports.items():
        assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt", html), (lang, name)
        assert "evidence.md" not in html and "/work/" not in html, (lang, name)
    assert "<a href='https://doi.org/10.5271/sjweh.3753'>doi:10.5271/sjweh.3753</a>" in reports["en", "sim"]
    # files written before the sources were rewritten: the seed document becomes the publication it reports
    old = citation("seed 003_dcc15c71a543c0d6.txt (Reme, 2022); see /home/me/notes/evidence.md §1A")
    assert old.startswith("Reme SE 2022, Individuell jobbstøtte for pasienter med langvarige smerter")
    assert "dcc15c71" not in old and "/home/" not in old and "evidence.md" not in old
