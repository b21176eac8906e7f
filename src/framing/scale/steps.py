"""``framing predict`` and ``framing ingest`` over partitions: one function per partition, one runner.

Each ``*_part`` function is plain Python (no Dask): it reads one partition,
writes ``part-NNNNN.jsonl`` atomically and returns a summary. The
``*_partitioned`` functions plan the partitions and hand the part function to
:func:`framing.scale.runner.map_partitions`. Concatenated in name order, the
parts are identical to the single-process output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from framing.corpus.ingest import IngestReport, find_sources, iter_units
from framing.corpus.tables import input_records
from framing.corpus.units import write_units
from framing.files import atomic_write
from framing.model.nlp import DEFAULT_PIPELINE
from framing.model.persist import FramingModel
from framing.model.predict import BATCH_SIZE, ActorFinder, load_model, prediction_lines
from framing.profile.build import Accumulator, Plan, accumulate, file_records
from framing.scale.partitions import (
    FILES_PER_PART,
    ROWS_PER_PART,
    FilePart,
    RowPart,
    file_parts,
    part_file,
    prediction_inputs,
    prepare_output,
    row_parts,
)
from framing.scale.runner import map_partitions

if TYPE_CHECKING:
    from distributed import Client

Progress = Callable[[int, int], None]
"""``progress(done, total)``: rows (predict) or files (ingest) finished so far, of how many."""


def _no_progress(done: int, total: int) -> None:
    pass


# --------------------------------------------------------------------------- predict


def predict_part(
    part: RowPart,
    model: FramingModel,
    output: Path,
    text_column: str = "text",
    batch_size: int = BATCH_SIZE,
    keep: Sequence[str] = (),
    actors: ActorFinder | None = None,
) -> int:
    """Predict one partition into ``output/part-NNNNN.jsonl``; return how many lines were written.

    ``keep`` names input columns to copy; ``actors`` (e.g. ``partial(find_actors, patterns=...)``) adds
    each text's actors to its line.
    """
    count = 0
    with atomic_write(part_file(output, part.index)) as stream:
        records = input_records(part.path, text_column, part.span, keep)
        for line in prediction_lines(records, model, batch_size, actors):
            stream.write(line)
            count += 1
    return count


def predict_partitioned(
    client: Client,
    source: Path,
    output: Path,
    model: FramingModel | str | Path | None = None,
    text_column: str = "text",
    batch_size: int = BATCH_SIZE,
    rows_per_part: int = ROWS_PER_PART,
    progress: Progress = _no_progress,
    keep: Sequence[str] = (),
    actors: ActorFinder | None = None,
) -> int:
    """Label every text of ``source`` (a file or a folder of them) on the cluster; return how many.

    Large files are cut into spans of ``rows_per_part`` rows. The model is
    loaded here, checked, and sent once to each worker. ``actors`` adds each
    text's actors to its line (workers need the patterns file at the same path).
    """
    if not isinstance(model, FramingModel):
        model = load_model(model)
    files = prediction_inputs(source)
    parts = row_parts(files, rows_per_part)
    prepare_output(output, [source], files)
    total, done = sum(part.rows for part in parts), 0
    progress(0, total)

    def finished(index: int, count: int) -> None:
        nonlocal done
        done += parts[index].rows
        progress(done, total)

    task = partial(
        predict_part, output=output, text_column=text_column, batch_size=batch_size, keep=keep, actors=actors
    )
    return sum(map_partitions(client, task, parts, shared={"model": model}, on_result=finished))


# --------------------------------------------------------------------------- profile


def profile_part(part: RowPart, plan: Plan, model: FramingModel | None = None) -> Accumulator:
    """The per-group replicate totals of one partition (see :mod:`framing.profile.build`)."""
    return accumulate(file_records(part.path, part.span), plan, model)


def profile_partitioned(
    client: Client,
    files: list[Path],
    plan: Plan,
    model: FramingModel | None = None,
    rows_per_part: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> Accumulator:
    """The per-group replicate totals of ``files``, partition by partition on the cluster, summed here.

    The totals are exact sums, so they equal a single-process run's whatever the partitioning.
    """
    parts = row_parts(files, rows_per_part or ROWS_PER_PART)
    total, done = sum(part.rows for part in parts), 0
    if progress is not None:
        progress(0, total)

    def finished(index: int, result: Accumulator) -> None:
        nonlocal done
        done += parts[index].rows
        if progress is not None:
            progress(done, total)

    task = partial(profile_part, plan=plan)
    accumulator = Accumulator(plan.resamples + 1)
    shared = {"model": model} if model is not None else {}
    for result in map_partitions(client, task, parts, shared=shared, on_result=finished):
        accumulator.merge(result)
    return accumulator


# --------------------------------------------------------------------------- ingest


def ingest_part(
    part: FilePart,
    output: Path,
    text_column: str = "text",
    id_column: str | None = "id",
    comments: bool = False,
    spacy_model: str = DEFAULT_PIPELINE,
) -> IngestReport:
    """Ingest one run of files into ``output/part-NNNNN.jsonl``; files that fail are listed in the report."""
    report = IngestReport()
    units = iter_units(part.files, report, text_column, id_column, comments, spacy_model)
    write_units(units, part_file(output, part.index))
    return report


def ingest_partitioned(
    client: Client,
    paths: Iterable[str | Path],
    output: Path,
    text_column: str = "text",
    id_column: str | None = "id",
    comments: bool = False,
    spacy_model: str = DEFAULT_PIPELINE,
    files_per_part: int = FILES_PER_PART,
    progress: Progress = _no_progress,
) -> IngestReport:
    """Ingest ``paths`` (files or folders) on the cluster, ``files_per_part`` files per partition."""
    paths = list(paths)
    files = find_sources(paths)
    parts = file_parts(files, files_per_part)
    prepare_output(output, paths, files)
    done = 0
    progress(0, len(files))

    def finished(index: int, report: IngestReport) -> None:
        nonlocal done
        done += len(parts[index].files)
        progress(done, len(files))

    task = partial(
        ingest_part,
        output=output,
        text_column=text_column,
        id_column=id_column,
        comments=comments,
        spacy_model=spacy_model,
    )
    total = IngestReport()
    for report in map_partitions(client, task, parts, on_result=finished):
        total.files += report.files
        total.units += report.units
        total.errors.extend(report.errors)
    return total
