"""The one reader of user tables (JSON Lines, JSON Lines as ``.json``, CSV, Parquet), streamed row by row.

Every caller (ingest, ``framing predict``, ``framing evaluate --test``,
imports) reads tables here, so the suffixes, the line numbers in errors and the
"no such column" message are the same everywhere. JSON Lines and CSV are read
with the standard library (UTF-8, a byte-order mark allowed); Parquet through
Hugging Face ``datasets`` in streaming mode, offline and without a cache, so an
edited file is always read afresh.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from framing.errors import FramingError
from framing.files import iter_jsonl, read_lines

TABLE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


def read_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line or row number, row)`` for each row of a table file, streamed.

    Blank JSON Lines are skipped; a line that is not a JSON object is an error
    that names the file and line. CSV rows are numbered by their line in the
    file (the header is line 1), Parquet rows from 1.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise FramingError(f"{path}: expected a table file ({', '.join(TABLE_SUFFIXES)}).")
    if not path.is_file():
        raise FramingError(f"{path}: no such file.")
    if suffix == ".csv":
        yield from _csv_rows(path)
    elif suffix == ".parquet":
        yield from _parquet_rows(path)
    else:
        yield from iter_jsonl(path)


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    # Lines are decoded one by one (read_lines), so a byte that is not UTF-8 is reported on its line.
    reader = csv.DictReader(line for _, line in read_lines(path))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise FramingError(f"{path}:{reader.line_num}: cannot read as CSV ({exc}).") from None


def _parquet_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    try:
        table = datasets.load_dataset("parquet", data_files=str(path), split="train", streaming=True)
        yield from enumerate(table, start=1)
    except FramingError:
        raise
    except Exception as exc:  # datasets and pyarrow raise many types for damaged files
        raise FramingError(f"{path}: cannot read as Parquet ({exc}).") from None


def text_value(
    path: Path, number: int, row: dict[str, Any], name: str, option: str = "--text-column"
) -> str | None:
    """``row[name]`` (see :func:`column`) if it is text or null; a number, list or object is an error.

    The error names the file and line, as ``framing.predict`` names the position of a non-string.
    """
    value = column(path, number, row, name, option)
    if value is not None and not isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False, default=str)
        raise FramingError(
            f"{path}:{number}: the {name!r} value is {shown[:60]} ({type(value).__name__}), not text."
        )
    return value


def column(path: Path, number: int, row: dict[str, Any], name: str, option: str = "--text-column") -> Any:
    """``row[name]``, or an error naming the file, line, the columns there are and the option to use."""
    if name not in row:
        raise FramingError(
            f"{path}:{number}: no column {name!r} (columns: {', '.join(row) or 'none'}); use {option}."
        )
    return row[name]
