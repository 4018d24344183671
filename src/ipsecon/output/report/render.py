"""Rendering sections as one self-contained HTML file (figures inline as base64 PNG, CSS inline,
nothing fetched) and a Markdown twin that links PNG files in a folder next to it."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Any

from ipsecon.output import figures as figs
from ipsecon.output.report.blocks import Alert, Figure, Section, Table, Text, fmt

CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1020px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
nav{background:#f5f5f5;padding:.6em 1em;border-radius:4px;font-size:.92em}nav a{margin-right:1em;color:#2166ac}
table{border-collapse:collapse;margin:.8em 0;font-size:.86em}th,td{border:1px solid #ccc;padding:.25em .5em;
vertical-align:top;text-align:left}th{background:#f0f0f0}tr:nth-child(even) td{background:#fafafa}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.88em;color:#555}
code{background:#f3f3f3;padding:0 .2em;border-radius:3px;font-size:.92em}.caption{font-size:.88em;color:#555}
.meta{color:#666;font-size:.9em}
.warning{border:2px solid #d73027;background:#fdecea;padding:.2em 1em;border-radius:4px;margin:1em 0}
"""


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)


def _text_html(text: str) -> str:
    parts = []
    for para in text.split("\n\n"):
        lines = [ln for ln in para.split("\n") if ln.strip()]
        if lines and all(ln.startswith("- ") for ln in lines):
            parts.append("<ul>" + "".join(f"<li>{_inline(ln[2:])}</li>" for ln in lines) + "</ul>")
        elif lines:
            parts.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "\n".join(parts)


def _table_html(t: Table) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_inline(fmt(v))}</td>" for v in row) + "</tr>"
                   for row in t.frame.itertuples(index=False))
    cap = f"<p class='caption'>{_inline(t.caption)}</p>" if t.caption else ""
    return f"{cap}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _md_cell(v: Any) -> str:
    return fmt(v).replace("|", "\\|").replace("\n", " ")


def _table_md(t: Table) -> str:
    cols = [str(c) for c in t.frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in t.frame.itertuples(index=False)]
    return (f"*{t.caption}*\n\n" if t.caption else "") + "\n".join(lines)


def render_png(block: Figure) -> bytes:
    import matplotlib.pyplot as plt

    fig = block.make()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=figs.DPI)
    plt.close(fig)
    return buf.getvalue()


def _block(b, fig_dir: Path, fig_rel: str) -> tuple[str, list[str]]:
    """One block as (HTML, Markdown lines); a figure's PNG is written to ``fig_dir``."""
    if isinstance(b, Alert):
        quoted = "\n".join(f"> {ln}" if ln else ">" for ln in f"⚠ {b.text}".split("\n"))
        return f"<div class='warning' role='alert'>{_text_html('⚠ ' + b.text)}</div>", [quoted, ""]
    if isinstance(b, Text):
        return _text_html(b.text), [b.text, ""]
    if isinstance(b, Table):
        return _table_html(b), [_table_md(b), ""]
    data = base64.b64encode(b.png).decode("ascii")
    alt = html.escape(b.caption or b.name, quote=True)
    (fig_dir / f"{b.name}.png").write_bytes(b.png)
    return (f"<figure id='fig-{b.name}'><img alt='{alt}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{_inline(b.caption)}</figcaption></figure>",
            [f"![{b.caption or b.name}]({fig_rel}/{b.name}.png)", "", f"*{b.caption}*" if b.caption else "", ""])


def render(sections: list[Section], title: str, subtitle: str, fig_dir: Path, fig_rel: str,
           banner: list = ()) -> tuple[str, str]:
    """HTML (figures inline) and Markdown (figures as files in ``fig_dir``, linked as ``fig_rel/…``);
    ``banner`` blocks stand above the table of contents."""
    toc = "".join(f"<a href='#{s.key}'>{html.escape(s.title)}</a>" for s in sections)
    h = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
         f"<style>{CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
         f"<p class='meta'>{html.escape(subtitle)}</p>"]
    md = [f"# {title}", "", f"*{subtitle}*", ""]
    for b in banner:
        bh, bm = _block(b, fig_dir, fig_rel)
        h.append(bh)
        md += bm
    h.append(f"<nav>{toc}</nav>")
    md += [f"- [{s.title}](#{s.key})" for s in sections] + [""]
    for s in sections:
        h.append(f"<section id='{s.key}'><h2>{html.escape(s.title)}</h2>")
        md += [f"<a id='{s.key}'></a>", "", f"## {s.title}", ""]
        for b in s.blocks:
            bh, bm = _block(b, fig_dir, fig_rel)
            h.append(bh)
            md += bm
        h.append("</section>")
    h.append("</body></html>")
    return "\n".join(h), "\n".join(md)
