"""Rendering sections through Jinja2 templates (``templates/``): one self-contained HTML file
(figures inline as base64 PNG, CSS inline, nothing fetched) and a Markdown twin that links PNG
files in a folder next to it. The decision section comes first, the table of contents after it,
and a section marked ``collapsed`` (the model card) is folded in a ``<details>`` element."""

from __future__ import annotations

import base64
import gc
import html
import re
import sys
import threading
import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from ipsecon.output import figures as figs
from ipsecon.output.report.blocks import Alert, Figure, Section, Table, Text, fmt
from ipsecon.output.report.i18n import current, language, t

CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1020px;margin:1.2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.5em;margin:.2em 0}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
#decision h2{margin-top:.6em}#decision{background:#f4f8fb;border-left:4px solid #2166ac;padding:.1em 1em .4em}
nav{background:#f5f5f5;padding:.6em 1em;border-radius:4px;font-size:.92em;margin-top:1em}nav a{margin-right:1em;color:#2166ac}
table{border-collapse:collapse;margin:.6em 0;font-size:.86em}th,td{border:1px solid #ccc;padding:.25em .5em;
vertical-align:top;text-align:left}th{background:#f0f0f0}tr:nth-child(even) td{background:#fafafa}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.88em;color:#555}
code{background:#f3f3f3;padding:0 .2em;border-radius:3px;font-size:.92em}.caption{font-size:.88em;color:#555}
.meta{color:#666;font-size:.9em}details summary{cursor:pointer}details summary h2{display:inline-block;margin:.6em .8em .2em 0}
.warning{border:2px solid #d73027;background:#fdecea;padding:.2em 1em;border-radius:4px;margin:1em 0}
"""
LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def inline(text) -> Markup:
    """Inline markup of a text block as HTML: `code`, **bold**, [text](https://…) links; the rest escaped."""
    out = html.escape(str(text), quote=False)  # text, not an attribute: quotes may stay
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return Markup(LINK.sub(r"<a href='\2'>\1</a>", out))


def paragraphs(text: str) -> list[tuple[str, object]]:
    """Paragraphs separated by blank lines; a paragraph of lines starting '- ' is a list."""
    out: list[tuple[str, object]] = []
    for para in text.split("\n\n"):
        lines = [ln for ln in para.split("\n") if ln.strip()]
        if lines and all(ln.startswith("- ") for ln in lines):
            out.append(("ul", [ln[2:] for ln in lines]))
        elif lines:
            out.append(("p", " ".join(lines)))
    return out


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("ipsecon.output.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["inline"] = inline
    return env


def _md_cell(v) -> str:
    return fmt(v).replace("|", "\\|").replace("\n", " ")


def _markdown(b) -> str:
    if isinstance(b, Alert):
        return "\n".join(f"> {ln}" if ln else ">" for ln in f"⚠ {b.text}".split("\n"))
    if isinstance(b, Text):
        return b.text
    if isinstance(b, Table):
        cols = [str(c) for c in b.frame.columns]
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in b.frame.itertuples(index=False)]
        return (f"*{b.caption}*\n\n" if b.caption else "") + "\n".join(lines)
    raise TypeError(type(b))


def _view(b, fig_dir: Path, fig_rel: str) -> dict:
    """What the templates need of one block; a figure's PNG is written to ``fig_dir``."""
    if isinstance(b, Figure):
        (fig_dir / f"{b.name}.png").write_bytes(b.png)
        md = f"![{b.caption or b.name}]({fig_rel}/{b.name}.png)" + (f"\n\n*{b.caption}*" if b.caption else "")
        return {"kind": "figure", "name": b.name, "caption": b.caption, "alt": b.caption or b.name,
                "data": base64.b64encode(b.png).decode("ascii"), "markdown": md}
    view = {"markdown": _markdown(b)}
    if isinstance(b, Alert):
        return view | {"kind": "alert", "paragraphs": paragraphs("⚠ " + b.text)}
    if isinstance(b, Text):
        return view | {"kind": "text", "paragraphs": paragraphs(b.text)}
    return view | {"kind": "table", "caption": b.caption, "columns": [str(c) for c in b.frame.columns],
                   "rows": [[fmt(v) for v in row] for row in b.frame.itertuples(index=False)]}


def render_png(block: Figure) -> bytes:
    return figs.png_bytes(block.make())


def cores() -> int:
    """The cores this process may run on (``engines.memory.available_cores``; a name of its own here, for tests)."""
    from ipsecon.engines.memory import available_cores

    return available_cores()


def render_pngs(blocks: list[Figure], advance: Callable[[], None] = lambda: None,
                workers: int | None = None) -> list[bytes]:
    """Each figure's PNG, in order, each drawn once; ``advance()`` after each one. Drawn by forked children,
    one per core (``workers``: how many, default the cores), where fork exists (Linux) and there are more
    than two figures; else here, one after another. The bytes are the same either way. A figure a child did
    not deliver (it raised, or died) is drawn again here, so an error is the one the serial path raises."""
    pngs: list[bytes | None] = [None] * len(blocks)
    n = min(len(blocks), cores() if workers is None else workers)
    if n > 1 and len(blocks) > 2 and sys.platform == "linux":
        _draw_forked(blocks, pngs, n, advance)
    for i, block in enumerate(blocks):
        if pngs[i] is None:
            pngs[i] = render_png(block)
            advance()
    return pngs  # type: ignore[return-value]


_FORKED: list[Figure] = []  # the figures children draw: inherited at the fork (closures over the data), never pickled
_FORKING = threading.Lock()  # two reports at once in one process: each forks its own figures


def _draw_child(i: int, lang: str) -> bytes:
    with language(lang):  # set here: the child need not have been forked from the thread that set it
        return render_png(_FORKED[i])


def _draw_forked(blocks: list[Figure], pngs: list, n: int, advance: Callable[[], None]) -> None:
    """Fill ``pngs`` with what ``n`` forked children deliver. The children draw and exit: they never
    touch the parent's thread pools (the cohort kernel's threads do not exist in them) and inherit the
    figures' data instead of receiving a copy. Whatever fails here leaves its figures to the serial path."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    global _FORKED
    pool = None
    try:
        with _FORKING, warnings.catch_warnings():
            # Python >= 3.12 warns of forking a process with threads; the children use none of them
            warnings.simplefilter("ignore", DeprecationWarning)
            frozen = gc.get_freeze_count() > 0
            gc.freeze()  # the children's collections skip the parent's objects: their memory stays shared
            _FORKED = blocks
            try:
                pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"))
                futures = {pool.submit(_draw_child, i, current()): i for i in range(len(blocks))}  # forks here
            finally:
                _FORKED = []
                if not frozen:
                    gc.unfreeze()
        for future in as_completed(futures):
            if future.exception() is None:
                pngs[futures[future]] = future.result()
                advance()
    except Exception:  # noqa: BLE001, S110 - no fork (resources, a daemonic process), a broken pool: drawn here
        pass
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def render(sections: list[Section], title: str, subtitle: str, fig_dir: Path, fig_rel: str,
           banner: list = ()) -> tuple[str, str]:
    """HTML (figures inline) and Markdown (figures as files in ``fig_dir``, linked as ``fig_rel/…``);
    ``banner`` blocks (warnings) stand above everything but the title."""
    views = [{"key": s.key, "title": s.title, "collapsed": s.collapsed,
              "blocks": [_view(b, fig_dir, fig_rel) for b in s.blocks]} for s in sections]
    context = {"title": title, "subtitle": subtitle, "lang": current(), "css": CSS, "contents": t("contents"),
               "model_summary": t("model.summary"), "banner": [_view(b, fig_dir, fig_rel) for b in banner],
               "sections": views, "nav_after": 1 if sections and sections[0].key == "decision" else 0}
    env = environment()
    return env.get_template("report.html.j2").render(context), env.get_template("report.md.j2").render(context)
