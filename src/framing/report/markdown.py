"""Render report sections as Markdown.

Data text is escaped with backslashes, so it is never read as markup.
"""

from __future__ import annotations

import re

from framing.report.blocks import Block, Image, Items, Note, Section, Table

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
_PROSE_SPECIAL = re.compile(r"([\\*_\[\]<>|])")


def markdown_cell(text: str) -> str:
    """Data text as one literal Markdown table cell."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def markdown_prose(text: str) -> str:
    """Report prose: literal except for `code` spans."""
    return _PROSE_SPECIAL.sub(r"\\\1", text)


def _markdown_blocks(blocks: list[Block], lines: list[str], figures: dict[str, str]) -> None:
    for block in blocks:
        if isinstance(block, Section):
            lines += [f"{'#' * block.level} {markdown_prose(block.title)}", ""]
            _markdown_blocks(block.blocks, lines, figures)
        elif isinstance(block, str):
            lines += [markdown_prose(block), ""]
        elif isinstance(block, Note):
            lines += [f"> {markdown_prose(block.text)}", ""]
        elif isinstance(block, Items):
            lines += [*(f"- {markdown_prose(item)}" for item in block.items), ""]
        elif isinstance(block, Table):
            align = ["---:" if i in block.numeric else "---" for i in range(len(block.header))]
            lines.append("| " + " | ".join(markdown_cell(h) for h in block.header) + " |")
            lines.append("|" + "|".join(align) + "|")
            lines += ["| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
        elif isinstance(block, Image) and block.key in figures:
            lines += [
                f"![{markdown_cell(block.caption)}]({figures[block.key]})",
                "",
                f"*{markdown_prose(block.caption)}*",
                "",
            ]


def render_markdown(title: str, sections: list[Section], figures: dict[str, str]) -> str:
    """The report as Markdown; ``figures`` maps figure keys to paths relative to the report."""
    lines = [f"# {markdown_prose(title)}", ""]
    _markdown_blocks(sections, lines, figures)
    return "\n".join(lines).rstrip() + "\n"
