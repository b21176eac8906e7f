"""Partitions of the input, and the part files the output is written to.

A prediction partition is a span of rows of one input file (a file small
enough is one partition); an ingest partition is a run of whole files. Parts
are numbered in input order, so ``part-00000.jsonl``, ``part-00001.jsonl``, ...
read in name order hold the output of a single-process run, line for line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from framing.corpus.tables import TABLE_SUFFIXES, split_table
from framing.errors import ScaleError
from framing.files import Span, split_lines

PREDICT_SUFFIXES = (*TABLE_SUFFIXES, ".txt")
ROWS_PER_PART = 50_000
FILES_PER_PART = 100
PART_GLOB = "part-*.jsonl"


@dataclass(frozen=True)
class RowPart:
    """Rows of one input file: all of it (``span`` None) or one span."""

    index: int
    path: Path
    span: Span | None
    rows: int


@dataclass(frozen=True)
class FilePart:
    """A run of whole input files."""

    index: int
    files: tuple[Path, ...]


def part_file(folder: Path, index: int) -> Path:
    """``folder/part-00042.jsonl``: names sort in input order."""
    return Path(folder) / f"part-{index:05d}.jsonl"


def _is_input_file(path: Path) -> bool:
    name = path.name
    return (
        path.suffix.lower() in PREDICT_SUFFIXES
        and not name.startswith(".")
        and not name.upper().startswith("README")
    )


def prediction_inputs(source: Path) -> list[Path]:
    """``source`` itself, or the text and table files in the folder ``source`` (sorted, recursively).

    Hidden files (such as a part file being written) and README files are skipped.
    """
    source = Path(source)
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise ScaleError(f"{source}: no such file or folder.")
    files = sorted(path for path in source.rglob("*") if path.is_file() and _is_input_file(path))
    if not files:
        raise ScaleError(f"{source}: no {', '.join(PREDICT_SUFFIXES)} files in this folder.")
    return files


def row_parts(files: list[Path], rows: int) -> list[RowPart]:
    """Cut each file into spans of about ``rows`` rows (text files: lines), numbered in input order."""
    if rows < 1:
        raise ScaleError(f"Rows per partition must be at least 1, not {rows}.")
    parts: list[RowPart] = []
    for path in files:
        is_table = path.suffix.lower() in TABLE_SUFFIXES
        spans = split_table(path, rows) if is_table else split_lines(path, rows)
        if len(spans) == 1:
            parts.append(RowPart(len(parts), path, None, spans[0].rows))
        else:
            first = len(parts)
            parts.extend(RowPart(first + i, path, span, span.rows) for i, span in enumerate(spans))
    return parts


def file_parts(files: list[Path], per_part: int) -> list[FilePart]:
    """Runs of ``per_part`` consecutive files."""
    if per_part < 1:
        raise ScaleError(f"Files per partition must be at least 1, not {per_part}.")
    return [
        FilePart(index, tuple(files[start : start + per_part]))
        for index, start in enumerate(range(0, len(files), per_part))
    ]


def prepare_output(folder: Path, sources: Iterable[str | Path], inputs: Iterable[Path]) -> Path:
    """Create the output folder and remove the part files of an earlier run from it.

    The folder must not be a file name such as ``units.jsonl``, lie in an input
    folder (a later run would read its parts as input) or hold input files.
    """
    folder = Path(folder)
    if folder.suffix.lower() in (".jsonl", ".json") or folder.is_file():
        raise ScaleError(
            f"{folder}: with --workers or --scheduler the output is a folder of part files "
            f"(e.g. -o {folder.with_suffix('')}/), not a file."
        )
    resolved = folder.resolve()
    inside = [
        Path(s) for s in sources if Path(s).is_dir() and Path(s).resolve() in (resolved, *resolved.parents)
    ]
    holding = [path for path in inputs if resolved in Path(path).resolve().parents]
    if inside or holding:
        what = f"is in the input folder {inside[0]}" if inside else f"holds the input file {holding[0]}"
        raise ScaleError(f"{folder}: the output folder {what}; write the output to another folder.")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(PART_GLOB):
        stale.unlink()
    return folder
