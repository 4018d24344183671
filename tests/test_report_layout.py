"""What a reader sees: every figure a report makes renders with no two tick labels on top of each other
and no text outside the figure, in English and in Norwegian, and together the reports draw every figure
function there is; the answer is the first block of the page and fits a 1280 × 800 screen (estimated
from the style sheet's font sizes: there is no browser here); a Norwegian report is a translation — no
English fixed text in its pages or figures, nb_NO numbers (1 234,5).

Real small results of the norway_rct scenario, as the README's commands make them: simulate, psa with
few samples, dsa with a two-way grid, sobol with a tiny design, breakeven, and a small microsimulation
(Monte Carlo bands); each report's own figure list is rendered.
"""

import json
import math
import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import pytest
from click.testing import CliRunner
from matplotlib.text import Text as MplText

from ipsecon.cli import main
from ipsecon.output import figures as figs
from ipsecon.output import report
from ipsecon.output.report.blocks import Figure
from ipsecon.output.report.i18n import language

COMMANDS = {
    "sim": ["simulate", "--horizon", "5"],
    "micro": ["simulate", "--engine", "microsim", "--individuals", "2000", "--seed", "3", "--horizon", "5"],
    "psa": ["psa", "--samples", "16", "--horizons", "1.5,3,5"],
    "dsa": ["dsa", "--horizons", "1.5,5", "--pair", "calibrated.norway_rct.hr_entry,ips.persistence.half_life",
            "--grid", "3"],
    "sobol": ["sobol", "--base-samples", "4", "--resamples", "10", "--horizons", "1.5,5"],
    "be": ["breakeven", "--horizons", "1.5,3,5"],
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
    """Tick labels of one axis that overlap or repeat, text written in a plot (values, notes) that runs
    into other such text or into the plot's tick labels, and text that leaves the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    defects = []
    drawn, every_tick_label = [], set()
    for k, ax in enumerate(fig.axes):
        ticks = []
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            every_tick_label |= {id(t) for t in axis.get_majorticklabels() + axis.get_minorticklabels()}
            if not ax.axison:
                continue
            labels = _tick_labels(axis)
            drawn += labels
            ticks += labels
            boxes = [t.get_window_extent(renderer) for t in labels]
            defects += [f"axes {k} {name}: tick labels {labels[i].get_text()!r} and {labels[j].get_text()!r} overlap"
                        for i, j in _overlapping(boxes)]
            texts = [t.get_text() for t in labels]
            defects += [f"axes {k} {name}: tick label {a!r} repeats" for a, b in zip(texts, texts[1:]) if a == b]
        written = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
        both = written + ticks
        boxes = [t.get_window_extent(renderer) for t in both]
        defects += [f"axes {k}: text {both[i].get_text()[:40]!r} runs into {both[j].get_text()[:40]!r}"
                    for i, j in _overlapping(boxes) if i < len(written)]
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


# fixed English texts of the sections and figures (not data quoted from scenario or parameter files) that
# a Norwegian report must not show
ENGLISH = ["The answer", "In short", "pays off for", "Key parameters", "Assumptions", "Norwegian rules",
           "Conventions:", "Transitions as declared", "Strategy effects", "parameter sets drawn",
           "Incremental NPV per person", "willingness to pay", "Cost-effectiveness plane", "Acceptability curves",
           "Expected value of perfect information", "Value of learning", "Tornado: incremental", "widest swing",
           "Sobol indices", "share of output variance", "Who gains", "Net present value of", "Payer waterfall",
           "Employment by strategy", "Where people are over time", "months since the strategy started",
           "years since the strategy started", "share of the starting group", "Norwegian terms",
           "Labour and Welfare Administration", "not recorded in this file", "Files and how to reproduce", "Model card",
           "Report written by", "Contents", "horizon (years", "gain to the budget", "probability cost-effective",
           "PSA samples", "Break-even wage of", "break-even wage against horizon", "the wage assumed for the group",
           "Cost per QALY", "cost per extra employment-year", "Monte Carlo interval", "first order", "low value",
           "States and allowed moves", "percentage points", "thousand NOK", "Distribution of the break-even wage",
           "How likely", "discounted gain", "Read the answer", "warning below"]


@pytest.mark.parametrize("lang", ["en", "nb"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_figure_has_readable_ticks_and_keeps_its_text_inside(folders, name, lang):
    """In both languages (Norwegian labels are longer), and a Norwegian figure says nothing in English."""
    defects, english = [], []
    with language(lang):
        figures = report_figures(folders[name])
        assert figures
        for block in figures:
            fig = block.make()
            try:
                defects += [f"{block.name}: {d}" for d in layout_defects(fig)]
                if lang == "nb":
                    texts = " ".join(t.get_text() for t in fig.findobj(MplText))
                    english += [f"{block.name}: {e!r}" for e in ENGLISH if e.lower() in texts.lower()]
            finally:
                plt.close(fig)
    assert not defects, "\n".join(defects)
    assert not english, "\n".join(english)


def _figure_function(block: Figure) -> set[str]:
    """The figure functions a report's figure block calls (names its lambda looks up on the figures module)."""
    return {n for n in block.make.__code__.co_names if n in FIGURE_FUNCTIONS}


FIGURE_FUNCTIONS = {n for n in figs.__all__ if n.endswith("_figure") and n != "breakeven_figure"} | {"breakeven_plot"}


def test_the_reports_draw_every_figure_function(folders):
    """So the overlap check above covers every figure there is (breakeven_figure only saves breakeven_plot)."""
    drawn = set()
    for folder in folders.values():
        for block in report_figures(folder):
            drawn |= _figure_function(block)
    assert drawn == FIGURE_FUNCTIONS, FIGURE_FUNCTIONS - drawn


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_a_published_result_sits_at_its_month_in_either_language(lang):
    """A 10-year axis is in years: the trial's 12-month result is drawn at 1 (year), whatever the labels say."""
    import numpy as np

    months = np.arange(0, 121.0)
    with language(lang):
        fig = figs.employment_figure(months, {"tau": np.full(121, 0.3), "ips": np.full(121, 0.4)},
                                     [{"strategy": "ips", "month": 12, "value": 0.37}], comparator="tau")
    x = [line.get_xdata()[0] for line in fig.axes[0].get_lines() if line.get_marker() == "D"]
    plt.close(fig)
    assert x == [1.0]


def test_the_check_finds_overlapping_ticks_and_text_outside():
    """The check itself can fail: crowded full-length money ticks, a label placed off the figure, a value
    written over a tick label and over another note, and percentages rounded to the same tick label."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(6, 2))
    ax.set_xlim(0, 2_000_000)
    ax.set_xticks(range(0, 2_000_001, 250_000), [f"{v:,}" for v in range(0, 2_000_001, 250_000)])
    ax.text(1.5, 0.5, "far to the right", transform=ax.transAxes)
    bx.set_yticks([0, 1], ["low", "high"])
    bx.text(0, 1, "a label written over the tick label", ha="right", va="center")
    bx.text(0.5, 0.5, "one note", transform=bx.transAxes)
    bx.text(0.5, 0.5, "another note", transform=bx.transAxes)
    bx.set_xticks([0.0, 0.004, 0.008], ["0%", "0%", "1%"])
    defects = layout_defects(fig)
    plt.close(fig)
    assert any("tick labels" in d and "overlap" in d for d in defects)
    assert any("leaves the figure" in d for d in defects)
    assert any("'a label written over the tick label' runs into 'high'" in d for d in defects), defects
    assert any("'one note' runs into 'another note'" in d for d in defects), defects
    assert any("tick label '0%' repeats" in d for d in defects), defects


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


# the style sheet's sizes (report/render.py CSS): 16 px body text, line-height 1.45, page 1020 px wide
LINE, WIDTH, CHAR = 16 * 1.45, 1020 - 32 - 36, 8.0  # px per line, text width in the answer's box, px per character


class _Top(HTMLParser):
    """The blocks of <body> up to the end of the first section: (tag, text, table rows as cell texts)."""

    def __init__(self):
        super().__init__()
        self.blocks, self.stack, self.text, self.rows, self.row, self.cell = [], [], [], [], None, None
        self.in_body = self.done = False
        self.sections = 0

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "body":
            self.in_body = True
        elif tag == "section":
            self.sections += 1
        elif tag in ("h1", "h2", "p", "li") and self.cell is None:
            self.text = []
            self.stack.append(tag)
        elif tag == "table":
            self.rows = []
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in ("img", "figure", "details"):
            self.blocks.append((tag, "", None))

    def handle_endtag(self, tag):
        if self.done:
            return
        if tag in ("h1", "h2", "p", "li") and self.stack and self.cell is None:
            self.stack.pop()
            self.blocks.append((tag, "".join(self.text), None))
        elif tag in ("td", "th"):
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr":
            self.rows.append(self.row)
        elif tag == "table":
            self.blocks.append(("table", "", self.rows))
        elif tag == "section":
            self.done = True

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        elif self.stack:
            self.text.append(data)


def _height(blocks, until_table=False):
    px = 0.0
    for tag, text, rows in blocks:
        if tag == "h1":
            px += 24 * 1.45 + 8
        elif tag == "h2":
            px += 24 * 1.45 + 20
        elif tag in ("p", "li"):
            px += math.ceil(len(text) * CHAR / WIDTH) * LINE + (16 if tag == "p" else 0)
        elif tag == "table":
            cols = max(len(r) for r in rows)
            cell_chars = WIDTH / cols / (13.76 * 0.5) - 2
            px += 17 + sum(max(math.ceil(len(c) / cell_chars) for c in r) * 13.76 * 1.45 + 8 for r in rows)
            if until_table:
                return px
    return px



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


@pytest.mark.parametrize("lang", ["en", "nb"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_answer_comes_first_and_fits_a_screen(reports, name, lang):
    """No browser here: structurally, the answer is the first block of <body> after the title, holds no figure,
    and ends within 700 px of the top of a 1280 × 800 screen (its verdict, the 'In short' sentence and the
    table, well before), estimated from the style sheet's font sizes and line breaks at the page's width."""
    html = reports[lang, name]
    parsed = _Sections()
    parsed.feed(html)
    assert parsed.ids[0] == "decision", parsed.ids
    body = html[html.index("<body>") + 6:]
    first = re.findall(r"<(h1|p|section|div|nav|table|figure)\b[^>]*>", body)[:3]
    assert first == ["h1", "p", "section"], first  # title, subtitle, then the answer: no warning or figure before it
    top = _Top()
    top.feed(html)
    tags = [tag for tag, _, _ in top.blocks]
    assert not {"img", "figure", "details"} & set(tags), tags
    if "table" in tags:  # the verdict per perspective: a short table
        table = top.blocks[tags.index("table")][2]
        assert len(table) <= 1 + 8, len(table)
    assert _height(top.blocks, until_table=True) <= 650, _height(top.blocks, until_table=True)
    assert _height(top.blocks) <= 700, _height(top.blocks)
    text = " ".join("".join(parsed.first_text).split())
    assert 80 < len(text) < 3000, len(text)
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
    assert re.search(r"the wage assumed for the group is \d{1,3}(,\d{3})+ NOK", answer)
    assert "Cost per QALY gained, society perspective" in answer
    assert "cost per extra employment-year" in answer
    psa = reports["en", "psa"]
    assert "the probability that it pays off at 5 years" in psa[:psa.index("</section>")]


def test_norwegian_report_is_a_translation(reports):
    en, nb = reports["en", "sim"], reports["nb", "sim"]
    assert "<html lang='nb'>" in nb.replace('"', "'")
    assert "<h2>Svaret</h2>" in nb and "<h2>Sysselsetting etter tiltak</h2>" in nb and "Kort sagt" in nb
    assert "<h2>The answer</h2>" in en and "Svaret" not in en
    answer = nb[nb.index("<section id='decision'>"):nb.index("</section>")]
    en_answer = en[en.index("<section id='decision'>"):en.index("</section>")]
    thousands = set(re.findall(r"\d{1,3}(?:,\d{3})+(?![\d.])", en_answer))  # 244,583 in English ...
    assert thousands
    for n in thousands:  # ... is 244 583 (nb_NO's no-break space) in Norwegian, never 244,583
        assert n.replace(",", "\u00a0") in answer and n not in answer, n
    with language("nb"):
        from ipsecon.output.report.i18n import number
        assert number(1234567) == "1\u00a0234\u00a0567"
        assert number(1234.5, 1) == "1\u00a0234,5"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_norwegian_report_has_no_english_fixed_text(reports, name):
    """Every fixed text goes through the catalogue: none of the English phrases is left in the Norwegian page
    (what is quoted from scenario and parameter files — descriptions, sources — stays as written there)."""
    nb = reports["nb", name]
    assert [e for e in ENGLISH if e.lower() in nb.lower()] == []
    assert [e for e in ENGLISH[:8] if e.lower() in reports["en", name].lower()]  # the list does catch English


def test_norwegian_numbers_read_1_234_5(reports):
    """Grouping by a no-break space and a decimal comma, in the answer and in the uncertainty tables."""
    psa = reports["nb", "psa"]
    table = psa[psa.index("<section id='psa'>"):]
    assert "<td>1,5</td>" in table and "<td>1.5</td>" not in table  # the horizon 1.5 years


def test_a_microsimulation_draws_its_monte_carlo_bands(reports, folders):
    """Each strategy's share carries its 95 % band from 32 person batches, about the binomial 1.96 √(p(1−p)/N)
    either side (the batch SE estimates it with ~13 % error); the difference carries its paired band
    (tests/test_microsim_mc_error.py checks the batch errors themselves); the files also hold the paired error
    of totals over the horizon, shown in a table next to the unpaired error: far smaller for employment."""
    import numpy as np
    from matplotlib.collections import PolyCollection

    html = reports["en", "micro"]
    assert "from 32 independent batches of the 2,000 simulated people" in html
    assert "the difference&#x27;s band is paired" in html or "the difference's band is paired" in html
    assert "Monte Carlo" not in reports["en", "sim"]  # the cohort's shares are exact expected values
    block = next(b for b in report_figures(folders["micro"]) if b.name == "employment")
    fig = block.make()
    try:
        top, diff = fig.axes[0], fig.axes[1]
        bands = [c for c in top.collections if isinstance(c, PolyCollection)]
        assert len(bands) == 2 and len([c for c in diff.collections if isinstance(c, PolyCollection)]) == 1
        for line, band in zip([ln for ln in top.get_lines() if ln.get_linewidth() == 2], bands):
            p = np.asarray(line.get_ydata())
            upper = band.get_paths()[0].vertices[1:len(p) + 1, 1]  # the band's outline runs along its upper edge first
            ratio = np.abs(upper - p)[p > 0] / (1.96 * np.sqrt(p * (1 - p) / 2000))[p > 0]
            assert 0.6 < ratio.mean() < 1.4, ratio
    finally:
        plt.close(fig)
    table = html[html.index("Monte Carlo error of each total"):]
    row = re.search(r"<code>employment_years</code>[^<]*</td><td>([\d.,-]+)</td><td>([\d.,]+)</td><td>([\d.,]+)</td>",
                    table)
    assert row, table[:2000]
    difference, paired, unpaired = (float(v.replace(",", "")) for v in row.groups())
    assert 0 < paired < unpaired / 3 and difference > 0


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


# --- the same pages in a real browser ---------------------------------------------------------------------
# Headless Chromium lays every report out at 1280 × 800 and measures, through the DOM, where the answer ends,
# whether any two pieces of text (or a text and a figure) share pixels, and whether text runs off the page.
# Chromium is not installed by `pip install`; without it these checks are skipped (apt-get install chromium).
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
                 if shutil.which(n)), None)

# runs in each page once its figures are loaded and writes what it measured into the document holding the pages
# (before that document's own load ends, which is when Chromium dumps it; a message to it could come too late)
PROBE = """
window.addEventListener('load', function () {
  var out = {width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth};
  var dec = document.getElementById('decision');
  out.decision = dec ? dec.getBoundingClientRect().bottom + window.scrollY : null;
  var boxes = [], k = 0, n;
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while ((n = walker.nextNode())) {
    if (!n.data.trim() || n.parentElement.closest('script,style')) continue;
    var range = document.createRange(); range.selectNodeContents(n);
    Array.prototype.forEach.call(range.getClientRects(), function (b) {  /* one box per line of the text */
      if (b.width > 0.5 && b.height > 0.5) boxes.push({id: k, text: n.data.trim().slice(0, 40), x0: b.left,
        y0: b.top + window.scrollY, x1: b.right, y1: b.bottom + window.scrollY});
    });
    k++;
  }
  document.querySelectorAll('img').forEach(function (img) {
    var b = img.getBoundingClientRect();
    boxes.push({id: 'img' + (k++), text: '[figure] ' + (img.alt || '').slice(0, 30), x0: b.left,
                y0: b.top + window.scrollY, x1: b.right, y1: b.bottom + window.scrollY});
  });
  boxes.sort(function (a, b) { return a.y0 - b.y0; });
  out.overlaps = []; out.outside = [];
  for (var i = 0; i < boxes.length; i++) {
    var a = boxes[i];
    if (a.x0 < -1 || a.x1 > window.innerWidth + 1) out.outside.push(a.text);
    for (var j = i + 1; j < boxes.length && boxes[j].y0 < a.y1; j++) {
      var c = boxes[j];
      if (a.id !== c.id && Math.min(a.x1, c.x1) - Math.max(a.x0, c.x0) > 1
          && Math.min(a.y1, c.y1) - Math.max(a.y0, c.y0) > 1) out.overlaps.push(a.text + ' | ' + c.text);
    }
  }
  var pre = parent.document.createElement('pre');
  pre.className = 'layout'; pre.id = 'page' + window.name; pre.textContent = JSON.stringify(out);
  parent.document.body.appendChild(pre);
});
"""

# a page with every defect the browser check looks for: the answer below the first screen, two texts on top of
# each other, a text over a figure, a line running off the page
BROKEN = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0;font-size:16px">
<div style="height:900px">title</div><section id="decision"><h2>The answer</h2></section>
<div style="position:relative;height:60px"><span style="position:absolute;left:0">first text</span>
<span style="position:absolute;left:20px">second text</span></div>
<div style="position:relative"><img alt="a figure" width="200" height="100" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<span style="position:absolute;left:10px;top:10px">text over the figure</span></div>
<p style="white-space:nowrap;margin-left:1200px">a line running off the page</p></body></html>"""


def browser_layouts(pages: dict[str, str], folder) -> dict[str, dict]:
    """Each page (name -> HTML) laid out by headless Chromium at 1280 × 800: what :data:`PROBE` measures.
    All pages load as frames of one document, so Chromium starts once."""
    names = {}
    for k, (name, text) in enumerate(pages.items()):
        (folder / f"page{k}.html").write_text(text.replace("</body>", f"<script>{PROBE}</script></body>"),
                                              encoding="utf-8")
        names[str(k)] = name
    frames = "".join(f"<iframe name='{k}' src='page{k}.html' width='1280' height='800' style='display:block;border:0'>"
                     "</iframe>" for k in names)
    (folder / "all.html").write_text(f"<!DOCTYPE html><html><body style='margin:0'>{frames}</body></html>",
                                     encoding="utf-8")
    # file pages may reach each other's documents only with --allow-file-access-from-files
    run = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          "--allow-file-access-from-files", "--window-size=1300,800", "--dump-dom",
                          (folder / "all.html").as_uri()], capture_output=True, text=True, timeout=300)
    got = {m.group(1): json.loads(unescape(m.group(2)))
           for m in re.finditer(r'<pre class="layout" id="page(\d+)">(.*?)</pre>', run.stdout, re.S)}
    assert set(got) == set(names), (sorted(set(names) - set(got)), run.stderr[-2000:])
    return {names[k]: v for k, v in got.items()}


@pytest.fixture(scope="module")
def sweep_reports(tmp_path_factory, root):
    """The report of a tiny sweep (`ipsecon sweep`, no Dask), in both languages: tables only, so not among the
    figure checks above."""
    tmp = tmp_path_factory.mktemp("sweep")
    spec = tmp / "tiny.yaml"
    spec.write_text(f"title: a tiny sweep\nscenarios: ['{root / 'scenarios' / 'norway_rct.yaml'}']\n"
                    "overrides: {base: {}}\nsamples: {n: 4, seed: 1, method: lhs}\nhorizons: [1.5, 5]\n"
                    "perspectives: [society, public]\nengine: cohort\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["sweep", str(spec), "--workers", "0", "--out", str(tmp / "out"), "--quiet"])
    assert r.exit_code == 0, r.output
    out = {}
    for lang in ("en", "nb"):
        r = CliRunner().invoke(main, ["report", str(tmp / "out"), "--reports", str(tmp / lang), "--quiet", "--lang", lang])
        assert r.exit_code == 0, r.output
        out[lang, "sweep"] = next((tmp / lang).rglob("*.html")).read_text(encoding="utf-8")
    return out


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium here (apt-get install chromium): the page layout "
                                             "is checked by the estimate above only")
def test_in_a_browser_the_answer_fits_the_screen_and_no_text_overlaps(reports, sweep_reports, tmp_path):
    """Every report of the README's commands (a sweep's too), in English and Norwegian, at 1280 × 800: the answer
    ends within the first screen, no two texts (nor a text and a figure) overlap, nothing runs off the page's
    width. The broken page shows the check can fail."""
    pages = {f"{lang}/{name}": text for (lang, name), text in (reports | sweep_reports).items()} | {"broken": BROKEN}
    got = browser_layouts(pages, tmp_path)
    broken = got.pop("broken")
    assert broken["decision"] > 800
    assert "first text | second text" in broken["overlaps"], broken["overlaps"]
    assert any("text over the figure" in o and "[figure] a figure" in o for o in broken["overlaps"]), broken
    assert broken["outside"] == ["a line running off the page"] and broken["scrollWidth"] > 1280
    for page, r in got.items():
        assert r["width"] == 1280, page
        assert r["decision"] is not None and r["decision"] <= 800, (page, r["decision"])
        assert r["overlaps"] == [], (page, r["overlaps"])
        assert r["outside"] == [] and r["scrollWidth"] <= 1280, (page, r["outside"], r["scrollWidth"])
