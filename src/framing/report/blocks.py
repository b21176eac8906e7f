"""The block types a report is made of.

The renderers in :mod:`framing.report.markdown` and :mod:`framing.report.html` turn them into text.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Note:
    """A highlighted remark (a warning, or how to read a table)."""

    text: str


@dataclass
class Items:
    """A bulleted list."""

    items: list[str]


@dataclass
class Table:
    """A table of plain-text cells; ``numeric`` columns are right-aligned."""

    header: list[str]
    rows: list[list[str]]
    numeric: tuple[int, ...] = ()


@dataclass
class Image:
    """A figure by its key in the figure paths, with a caption."""

    key: str
    caption: str


@dataclass
class Section:
    """A titled part of the report (``level`` 2, or 3 when nested in another section)."""

    anchor: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2


Block = str | Note | Items | Table | Image | Section
