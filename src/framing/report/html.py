"""Render report sections as one self-contained HTML page (styles inline, figures as base64 PNG).

Every piece of data text is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import html
import re
from importlib import resources

from framing.report.blocks import Block, Image, Items, Note, Section, Table

CSS = resources.files("framing.report").joinpath("report.css").read_text(encoding="utf-8")


def html_prose(text: str) -> str:
    """Escaped prose with `code` spans as ``<code>``."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _html_table(table: Table) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        klass = ' class="num"' if i in table.numeric else ""
        return f"<{tag}{klass}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(table.header)) if any(table.header) else ""
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in table.rows
    )
    head = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f'<div class="table-scroll"><table>{head}<tbody>{body}</tbody></table></div>'


def _html_blocks(blocks: list[Block], out: list[str], images: dict[str, str]) -> None:
    for block in blocks:
        if isinstance(block, Section):
            out.append(f'<section id="{html.escape(block.anchor)}">')
            out.append(f"<h{block.level}>{html.escape(block.title)}</h{block.level}>")
            _html_blocks(block.blocks, out, images)
            out.append("</section>")
        elif isinstance(block, str):
            out.append(f"<p>{html_prose(block)}</p>")
        elif isinstance(block, Note):
            out.append(f'<p class="note">{html_prose(block.text)}</p>')
        elif isinstance(block, Items):
            out.append("<ul>" + "".join(f"<li>{html_prose(item)}</li>" for item in block.items) + "</ul>")
        elif isinstance(block, Table):
            out.append(_html_table(block))
        elif isinstance(block, Image) and block.key in images:
            caption = html.escape(block.caption)
            out.append(
                f'<figure><img src="data:image/png;base64,{images[block.key]}" alt="{caption}">'
                f"<figcaption>{caption}</figcaption></figure>"
            )


def render_html(title: str, sections: list[Section], images: dict[str, str]) -> str:
    """The report as one HTML page; ``images`` maps figure keys to base64 PNG data."""
    toc = "".join(f'<li><a href="#{html.escape(s.anchor)}">{html.escape(s.title)}</a></li>' for s in sections)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "style-src 'unsafe-inline'\">",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{html.escape(title)}</h1>",
        f'<nav aria-label="Contents"><ol>{toc}</ol></nav>',
    ]
    _html_blocks(sections, out, images)
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
