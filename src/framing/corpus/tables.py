"""The one reader of user tables (JSON Lines, JSON Lines as ``.json``, CSV, Parquet), streamed row by row.

Every caller (ingest, ``framing predict``, ``framing evaluate --test``,
imports) reads tables here, so the suffixes, the line numbers in errors and the
"no such column" message are the same everywhere. JSON Lines and CSV are read
with the standard library (UTF-8, a byte-order mark allowed); Parquet through
Hugging Face ``datasets`` in streaming mode, offline and without a cache, so an
edited file is always read afresh.

A large table can be read in parts: :func:`split_table` cuts it into
:class:`~framing.files.Span` s of whole rows, and ``read_rows(path, span)``
reads one of them with the line or row numbers of the whole file.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from framing.errors import FramingError
from framing.files import Span, iter_jsonl, read_lines, split_lines

TABLE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


def read_rows(path: str | Path, span: Span | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line or row number, row)`` for each row of a table file (or of its ``span``), streamed.

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
        yield from _csv_rows(path, span)
    elif suffix == ".parquet":
        yield from _parquet_rows(path) if span is None else _parquet_span_rows(path, span)
    else:
        yield from iter_jsonl(path, span=span)


def split_table(path: str | Path, rows: int) -> list[Span]:
    """Cut a table file into spans of ``rows`` rows (Parquet: whole row groups of at least ``rows``).

    Read in order, the spans give exactly the rows of the whole file. A file
    that cannot be cut (damaged, or one Parquet row group) is one span, and
    reading it reports the problem as reading the whole file would.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return _csv_spans(path, rows)
        if suffix == ".parquet":
            return _parquet_spans(path, rows)
        return split_lines(path, rows)
    except (csv.Error, ValueError, OSError):  # reading the whole file reports the problem (and its line)
        return [Span(0, path.stat().st_size if path.is_file() else 0)]


def _csv_rows(path: Path, span: Span | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    # Lines are decoded one by one (read_lines), so a byte that is not UTF-8 is reported on its line.
    fieldnames = _csv_header(path) if span else None
    reader = csv.DictReader((line for _, line in read_lines(path, span=span)), fieldnames)
    before = span.line - 1 if span else 0
    try:
        for row in reader:
            yield before + reader.line_num, row
    except csv.Error as exc:
        raise FramingError(f"{path}:{before + reader.line_num}: cannot read as CSV ({exc}).") from None


def _csv_header(path: Path) -> list[str] | None:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return next(csv.reader(stream), None)


def _csv_spans(path: Path, rows: int) -> list[Span]:
    """Spans of ``rows`` CSV rows after the header, cut where the csv module ends a row."""
    spans: list[Span] = []
    read = {"bytes": 0, "lines": 0}
    with path.open("rb") as raw:

        def lines() -> Iterator[str]:
            for line in raw:
                read["bytes"] += len(line)
                read["lines"] += 1
                yield line.decode("utf-8-sig" if read["lines"] == 1 else "utf-8")

        reader = csv.reader(lines())
        next(reader, None)
        start, line, count = read["bytes"], read["lines"] + 1, 0
        for _ in reader:
            count += 1
            if count == rows:
                spans.append(Span(start, read["bytes"], line, count))
                start, line, count = read["bytes"], read["lines"] + 1, 0
    if count or not spans:
        spans.append(Span(start, read["bytes"], line, count))
    return spans


def _parquet_spans(path: Path, rows: int) -> list[Span]:
    """Runs of whole row groups holding at least ``rows`` rows each."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    spans: list[Span] = []
    start, first, count = 0, 1, 0
    for group in range(metadata.num_row_groups):
        count += metadata.row_group(group).num_rows
        if count >= rows:
            spans.append(Span(start, group + 1, first, count))
            start, first, count = group + 1, first + count, 0
    if count or not spans:
        spans.append(Span(start, metadata.num_row_groups, first, count))
    return spans


def _parquet_span_rows(path: Path, span: Span) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of the row groups ``[span.start, span.stop)``, numbered as in the whole file."""
    import pyarrow.parquet as pq

    number = span.line
    try:
        for batch in pq.ParquetFile(path).iter_batches(row_groups=range(span.start, span.stop)):
            for row in batch.to_pylist():
                yield number, row
                number += 1
    except Exception as exc:  # pyarrow raises many types for damaged files
        raise FramingError(f"{path}: cannot read as Parquet ({exc}).") from None


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


KEPT_FIELDS = ("id", "unit_id", "doc_id", "kind", "meta")
"""Identifying fields of an input row that ``framing predict`` copies to its output line when present."""


def input_records(
    path: Path, text_column: str = "text", span: Span | None = None, keep: Sequence[str] = ()
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(text, kept fields)`` for each text to predict in ``path`` (or its ``span``).

    The texts are a table's ``text_column``, else one per line. The kept fields
    are a table row's :data:`KEPT_FIELDS` that it has, then each column in
    ``keep`` (which every row must have); a text file has none. A value that
    is not a string (null, a number, a list) is an error naming its line, as
    ``framing.predict`` raises TypeError naming its position.
    """
    if path.suffix.lower() in TABLE_SUFFIXES:
        for number, row in read_rows(path, span):
            text = text_value(path, number, row, text_column)
            if text is None:
                raise FramingError(f"{path}:{number}: the {text_column!r} value is empty (null), not text.")
            fields = {name: row[name] for name in KEPT_FIELDS if name in row and name != text_column}
            for name in keep:
                fields[name] = column(path, number, row, name, "--keep")
            yield text, fields
    elif keep:
        raise FramingError(f"{path}: --keep copies columns of a table; a text file has none.")
    else:
        yield from ((line.rstrip("\r\n"), {}) for _, line in read_lines(path, span=span))


def input_texts(path: Path, text_column: str = "text", span: Span | None = None) -> Iterator[str]:
    """The texts to predict in ``path`` (or its ``span``): see :func:`input_records`."""
    return (text for text, _ in input_records(path, text_column, span))


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
