"""Row-by-row reading of small user tables (JSON Lines or CSV), with line numbers for errors."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from framing.errors import FramingError

TABLE_SUFFIXES = (".jsonl", ".csv")


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, row)`` for each row of a ``.jsonl`` or ``.csv`` file, streamed.

    Blank JSON Lines are skipped; a line that is not a JSON object is an error
    that names the file and line.
    """
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise FramingError(f"{path}: expected a {' or '.join(TABLE_SUFFIXES)} file.")
    if not path.exists():
        raise FramingError(f"{path}: no such file.")
    with path.open(encoding="utf-8", newline="") as stream:
        if suffix == ".csv":
            yield from enumerate(csv.DictReader(stream), start=2)
            return
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FramingError(f"{path}:{number}: not JSON ({exc.msg}).") from None
            if not isinstance(record, dict):
                raise FramingError(f"{path}:{number}: not a JSON object.")
            yield number, record


def column(path: Path, number: int, row: dict[str, Any], name: str) -> Any:
    """``row[name]``, or an error naming the file, line and the columns there are."""
    if name not in row:
        raise FramingError(
            f"{path}:{number}: no column {name!r} (columns: {', '.join(row) or 'none'}); use --text-column."
        )
    return row[name]
