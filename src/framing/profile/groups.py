"""Which groups a unit belongs to: ``--by`` columns (the row, then its ``meta``) and ``--date`` periods.

A unit counts in its own group and in every margin of it: with ``--by outlet
--date published``, a unit of the Mail in March 2009 counts in (Mail, 2009-03),
(Mail, all periods), (all units, 2009-03) and (all units). So one pass gives
the shares by group, over time, and for the whole corpus.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dateutil import parser as dateutil_parser

PERIODS = ("month", "quarter", "year")
MISSING = "(missing)"
"""The group value of a unit without the column (or with a null in it)."""

Key = tuple[tuple[str, ...], str | None]
"""A group: the values of the ``--by`` columns (``()``: all of them) and the period (``None``: all)."""

_ISO_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")
_ISO_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_FAR_APART = (datetime(2000, 1, 1), datetime(2001, 2, 1))


def lookup(row: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """``(found, value)`` of column ``name``: in the row itself, else in its ``meta`` object."""
    if name in row:
        return True, row[name]
    meta = row.get("meta")
    if isinstance(meta, Mapping) and name in meta:
        return True, meta[name]
    return False, None


def columns_of(row: Mapping[str, Any]) -> list[str]:
    """The columns :func:`lookup` can find in ``row`` (``meta`` keys as ``name``)."""
    meta = row.get("meta")
    extra = [key for key in meta if key not in row] if isinstance(meta, Mapping) else []
    return [*row, *extra]


def group_value(value: Any) -> str:
    """A column value as a group name (``(missing)`` for null or an empty string)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return MISSING
    return str(value).strip() if not isinstance(value, bool) else str(value).lower()


def period_of(value: Any, period: str) -> str | None:
    """The period (``2009-03``, ``2009-Q1``, ``2009``) of a date value, or ``None`` if it cannot be read.

    Read: date and datetime values, ISO 8601 text (``2009-03-12``, ``2009-03-12T10:00Z``,
    ``2009-03``, ``2009`` for years), and text with a month name (``12 March 2009``,
    ``11 April , 2013 11:00 pm``). All-numeric text such as ``12/03/2009`` is not read,
    since day and month cannot be told apart; a date without the month is not read for
    months or quarters.
    """
    if period not in PERIODS:
        raise ValueError(f"Unknown period {period!r}: choose one of {', '.join(PERIODS)}.")
    found = _read_date(value, period)
    if found is None:
        return None
    year, month = found
    if period == "year":
        return f"{year:04d}"
    if period == "quarter":
        return f"{year:04d}-Q{(month - 1) // 3 + 1}"
    return f"{year:04d}-{month:02d}"


def _read_date(value: Any, period: str) -> tuple[int, int] | None:
    if isinstance(value, datetime | date):
        return value.year, value.month
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if match := _ISO_MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        return (year, month) if 1 <= month <= 12 else None
    if match := _ISO_YEAR.match(text):
        return (int(match[1]), 1) if period == "year" else None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed.year, parsed.month
    except ValueError:
        pass
    if not re.search(r"[A-Za-z]{3}", text):
        return None
    try:
        first, second = (dateutil_parser.parse(text, default=default) for default in _FAR_APART)
    except (ValueError, OverflowError):
        return None
    if first.year != second.year or (first.month != second.month and period != "year"):
        return None
    return first.year, first.month


@dataclass(frozen=True)
class Grouping:
    """How units are grouped: ``by`` columns, and a ``date`` column cut into ``period`` s."""

    by: Sequence[str] = ()
    date: str | None = None
    period: str = "month"

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"Unknown period {self.period!r}: choose one of {', '.join(PERIODS)}.")
        object.__setattr__(self, "by", tuple(self.by))

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the grouping reads."""
        return (*self.by, *([self.date] if self.date else []))

    def margins(self, key: Key) -> list[Key]:
        """The groups a unit of group ``key`` counts in: its own, and every margin of it."""
        values, period = key
        by_options = [values, ()] if self.by else [()]
        period_options = [period, None] if self.date and period is not None else [None]
        return [(v, p) for v in by_options for p in period_options]


def sort_key(key: Key) -> tuple:
    """Order of groups in outputs: the whole corpus first, then by group, then by period."""
    values, period = key
    return (len(values) > 0, values, period is not None, period or "")


def describe(key: Key, grouping: Grouping) -> str:
    """``outlet=Mail, published 2009-03``; ``all units``."""
    values, period = key
    parts = [f"{name}={value}" for name, value in zip(grouping.by, values, strict=False)]
    if period is not None:
        parts.append(f"{grouping.date} {period}")
    return ", ".join(parts) or "all units"
