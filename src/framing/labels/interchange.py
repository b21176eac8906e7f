"""Import and export of labelled units: CSV, Label Studio JSON, Prodigy JSONL and doccano JSONL.

Every format carries the unit id, text, context (neighbouring sentences),
label and note, so an export imported again gives back the same labels, and
exporting those gives the same file. An import checks every row first: unknown
unit ids or labels are reported with their row numbers and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framing.codebook import LABELS, check_label
from framing.corpus.units import Unit
from framing.errors import FramingError, InterchangeError, UnknownLabelError
from framing.files import iter_jsonl
from framing.labels.store import LabelRecord, annotator_file, append_records, latest, now, read_records

FORMATS = ("csv", "label-studio", "prodigy", "doccano")
CSV_COLUMNS = ("id", "text", "context", "label", "note")
MAX_REPORTED_ROWS = 20

LABEL_STUDIO_CONFIG = (
    "<View>\n"
    '  <Text name="context" value="$context"/>\n'
    '  <Text name="text" value="$text"/>\n'
    '  <Choices name="label" toName="text" choice="single" showInline="true">\n'
    + "".join(f'    <Choice value="{label}" hotkey="{i}"/>\n' for i, label in enumerate(LABELS, start=1))
    + "  </Choices>\n"
    '  <TextArea name="note" toName="text" maxSubmissions="1" placeholder="note"/>\n'
    "</View>\n"
)
"""A Label Studio labelling configuration matching the exported tasks."""


@dataclass(frozen=True)
class Row:
    """One unit as exchanged: the label is ``None`` when the unit is unlabelled."""

    unit_id: str
    text: str
    context: str
    label: str | None = None
    note: str = ""


@dataclass(frozen=True)
class ParsedRow:
    """A row read from a file, with where it came from (e.g. ``line 3``) for error messages."""

    where: str
    unit_id: object
    label: object
    note: object = ""


@dataclass
class ImportReport:
    """What an import wrote."""

    path: Path
    imported: int = 0
    unchanged: int = 0
    unlabelled: int = 0
    problems: list[str] = field(default_factory=list)


def context_of(unit: Unit) -> str:
    """The unit's neighbours around a marker: ``previous [...] next``.

    >>> context_of(Unit("u", "d", "sentence", 1, "B.", prev="A.", next="C."))
    'A. [...] C.'
    """
    return " ".join(part for part in (unit.prev, "[...]", unit.next) if part)


def rows_for(
    units: Iterable[Unit], decisions: Mapping[str, LabelRecord], labelled_only: bool = False
) -> list[Row]:
    """The rows to export: each unit with its current decision, if any."""
    rows = []
    for unit in units:
        record = decisions.get(unit.unit_id)
        if labelled_only and record is None:
            continue
        rows.append(
            Row(
                unit.unit_id,
                unit.text,
                context_of(unit),
                record.label if record else None,
                record.note if record else "",
            )
        )
    return rows


# --------------------------------------------------------------------------- writing


def dumps(rows: Sequence[Row], fmt: str) -> str:
    """``rows`` as the text of a file in format ``fmt``."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows((r.unit_id, r.text, r.context, r.label or "", r.note) for r in rows)
        return out.getvalue()
    if fmt == "label-studio":
        return (
            json.dumps(
                [_label_studio_task(i, r) for i, r in enumerate(rows, start=1)], indent=2, ensure_ascii=False
            )
            + "\n"
        )
    if fmt == "prodigy":
        return "".join(json.dumps(_prodigy_task(r), ensure_ascii=False) + "\n" for r in rows)
    if fmt == "doccano":
        return "".join(json.dumps(_doccano_task(r), ensure_ascii=False) + "\n" for r in rows)
    raise InterchangeError(f"Unknown format {fmt!r}; expected one of {', '.join(FORMATS)}.")


def _label_studio_task(number: int, row: Row) -> dict[str, Any]:
    task: dict[str, Any] = {
        "id": number,
        "data": {"unit_id": row.unit_id, "text": row.text, "context": row.context},
    }
    if row.label is not None:
        result: list[dict[str, Any]] = [
            {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [row.label]}}
        ]
        if row.note:
            result.append(
                {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": [row.note]}}
            )
        task["annotations"] = [{"result": result}]
    return task


def _prodigy_task(row: Row) -> dict[str, Any]:
    task: dict[str, Any] = {
        "text": row.text,
        "meta": {"unit_id": row.unit_id, "context": row.context},
        "options": [{"id": label, "text": label} for label in LABELS],
    }
    if row.label is not None:
        task |= {"accept": [row.label], "answer": "accept"}
    if row.note:
        task["note"] = row.note
    return task


def _doccano_task(row: Row) -> dict[str, Any]:
    task: dict[str, Any] = {"text": row.text, "label": [] if row.label is None else [row.label]}
    task |= {"unit_id": row.unit_id, "context": row.context}
    if row.note:
        task["note"] = row.note
    return task


# --------------------------------------------------------------------------- reading


def detect_format(path: Path) -> str:
    """The format of ``path`` from its suffix, and for JSON Lines from its first record."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "label-studio"
    if suffix == ".jsonl":
        first = next((line for line in _read_text(path).splitlines() if line.strip()), "")
        try:
            record = json.loads(first)
        except json.JSONDecodeError:
            record = None
        if isinstance(record, dict) and ("options" in record or "answer" in record or "accept" in record):
            return "prodigy"
        if isinstance(record, dict) and ("label" in record or "labels" in record):
            return "doccano"
    raise InterchangeError(
        f"{path}: cannot tell the format from its name and content; name it with --format "
        f"({', '.join(FORMATS)})."
    )


def parse(path: Path, fmt: str) -> list[ParsedRow]:
    """The rows of ``path`` in format ``fmt``; a file that cannot be parsed is an error naming the line."""
    text = _read_text(path)
    if fmt == "csv":
        return _parse_csv(path, text)
    if fmt == "label-studio":
        try:
            tasks = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InterchangeError(f"{path}: not JSON (line {exc.lineno}: {exc.msg}).") from None
        if not isinstance(tasks, list):
            raise InterchangeError(f"{path}: expected a JSON list of Label Studio tasks.")
        return [_parse_label_studio(f"task {i}", task) for i, task in enumerate(tasks, start=1)]
    if fmt in ("prodigy", "doccano"):
        parse_record = _parse_prodigy if fmt == "prodigy" else _parse_doccano
        try:
            return [parse_record(f"line {number}", record) for number, record in iter_jsonl(path)]
        except FramingError as exc:
            raise InterchangeError(str(exc)) from None
    raise InterchangeError(f"Unknown format {fmt!r}; expected one of {', '.join(FORMATS)}.")


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise InterchangeError(f"{path}: no such file.")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InterchangeError(
            f"{path}: not UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8."
        ) from None


def _parse_csv(path: Path, text: str) -> list[ParsedRow]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"id", "label"} - set(reader.fieldnames or [])
    if missing:
        raise InterchangeError(
            f"{path}: no {' or '.join(sorted(missing))} column (columns: "
            f"{', '.join(reader.fieldnames or [])}). Expected the columns {', '.join(CSV_COLUMNS)}."
        )
    return [  # numbered as a spreadsheet numbers rows: the header is row 1
        ParsedRow(f"row {number}", row["id"], (row["label"] or "").strip() or None, row.get("note") or "")
        for number, row in enumerate(reader, start=2)
    ]


def _parse_label_studio(where: str, task: Any) -> ParsedRow:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        return ParsedRow(where, None, None)
    label, note = None, ""
    annotations = [
        a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")
    ]
    if annotations:
        for result in annotations[-1].get("result") or []:
            if not isinstance(result, dict):
                continue
            value = result.get("value") or {}
            if result.get("type") == "choices" and value.get("choices"):
                label = value["choices"][0] if len(value["choices"]) == 1 else value["choices"]
            elif result.get("type") == "textarea" and value.get("text"):
                note = "\n".join(value["text"])
    return ParsedRow(where, task["data"].get("unit_id"), label, note)


def _parse_prodigy(where: str, task: Any) -> ParsedRow:
    if not isinstance(task, dict):
        return ParsedRow(where, None, None)
    meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
    label: object = None
    if task.get("answer") == "accept":
        accepted = task.get("accept") or []
        label = accepted[0] if isinstance(accepted, list) and len(accepted) == 1 else accepted
    return ParsedRow(where, meta.get("unit_id", task.get("unit_id")), label, task.get("note", ""))


def _parse_doccano(where: str, task: Any) -> ParsedRow:
    if not isinstance(task, dict):
        return ParsedRow(where, None, None)
    given = task.get("label", task.get("labels")) or []
    label: object = (given[0] if len(given) == 1 else given) if isinstance(given, list) else given
    return ParsedRow(where, task.get("unit_id"), label or None, task.get("note", ""))


def check_rows(rows: Sequence[ParsedRow], units: Mapping[str, Unit], source: Path) -> None:
    """Raise one :class:`InterchangeError` naming every row with an unknown unit id or label."""
    problems = []
    for row in rows:
        if not isinstance(row.unit_id, str) or row.unit_id not in units:
            problems.append(f"{row.where}: unknown unit id {row.unit_id!r}")
        if row.label is not None:
            try:
                check_label(row.label)
            except UnknownLabelError:
                problems.append(f"{row.where}: unknown label {row.label!r}")
        if not isinstance(row.note, str):
            problems.append(f"{row.where}: the note must be text, not {row.note!r}")
    if problems:
        shown = problems[:MAX_REPORTED_ROWS]
        more = len(problems) - len(shown)
        raise InterchangeError(
            f"{source}: {len(problems)} problem(s); nothing was imported.\n  "
            + "\n  ".join(shown)
            + (f"\n  ... and {more} more" if more else "")
            + f"\nLabels must be one of {', '.join(LABELS)}; unit ids must be in the units file."
        )


# --------------------------------------------------------------------------- the two operations


def export_labels(
    units: Sequence[Unit],
    fmt: str,
    labels_file: Path | None = None,
    labelled_only: bool = False,
) -> tuple[str, int]:
    """The export of ``units`` with the current decisions of ``labels_file`` (if any): text and row count."""
    decisions: dict[str, LabelRecord] = {}
    if labels_file is not None:
        decisions = latest(read_records(labels_file).records)
    rows = rows_for(units, decisions, labelled_only)
    return dumps(rows, fmt), len(rows)


def import_labels(
    source: Path,
    units: Sequence[Unit],
    labels_dir: Path,
    annotator: str,
    fmt: str | None = None,
) -> ImportReport:
    """Append the labelled rows of ``source`` to ``annotator``'s file, all or nothing.

    Rows without a label are counted and skipped; rows equal to the
    annotator's current decision are not written again.
    """
    path = annotator_file(labels_dir, annotator)
    rows = parse(source, fmt or detect_format(source))
    by_id = {unit.unit_id: unit for unit in units}
    check_rows(rows, by_id, source)
    report = ImportReport(path)
    current: dict[str, LabelRecord] = {}
    if path.exists():
        loaded = read_records(path)
        current, report.problems = latest(loaded.records), loaded.problems
    records = []
    for row in rows:
        if row.label is None:
            report.unlabelled += 1
            continue
        assert isinstance(row.unit_id, str) and isinstance(row.label, str) and isinstance(row.note, str)
        known = current.get(row.unit_id)
        if known is not None and (known.label, known.note) == (row.label, row.note):
            report.unchanged += 1
            continue
        unit = by_id[row.unit_id]
        record = LabelRecord(
            unit.unit_id,
            unit.text,
            row.label,
            annotator,
            timestamp=now(),
            doc_id=unit.doc_id,
            kind=unit.kind,
            note=row.note,
        )
        current[row.unit_id] = record
        records.append(record)
    if records:
        append_records(path, records)
    report.imported = len(records)
    return report
