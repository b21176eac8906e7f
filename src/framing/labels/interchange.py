"""Import and export of labelled units: CSV, Label Studio JSON, Prodigy JSONL and doccano JSONL.

Every format carries the unit id, text, context (neighbouring sentences),
label and note, so an export imported again gives back the same labels, and
exporting those gives the same file. An import checks every row first: unknown
unit ids or labels are reported with their row numbers and nothing is written.

Imports take the shapes these tools really write: Label Studio JSON with
several annotations per task and its JSON-MIN export, Prodigy choice and
binary (``"label"`` + ``"answer"``) records, and files where several
annotators' labels are mixed. Each annotator named in a file (Label Studio's
``completed_by``, Prodigy's ``_annotator_id``, a CSV ``annotator`` column)
goes to a labels file of their own. A row without a unit id is matched to a
unit by its exact text. CSV cells that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) are
written with a leading ``'`` and read back without it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from framing.codebook import LABELS, check_label
from framing.corpus.units import Unit
from framing.errors import FramingError, InterchangeError, UnknownLabelError
from framing.files import iter_jsonl
from framing.labels.store import (
    LabelRecord,
    annotator_file,
    append_records,
    latest,
    locked,
    now,
    read_records,
)

FORMATS = ("csv", "label-studio", "prodigy", "doccano")
CSV_COLUMNS = ("id", "text", "context", "label", "note")
MAX_REPORTED_ROWS = 20
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""How a CSV cell that a spreadsheet would run as a formula starts (OWASP's list)."""

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
    """A row read from a file, with where it came from (e.g. ``line 3``) for error messages.

    ``annotator`` is who labelled it, when the file says; ``text`` is used to
    find the unit when the row has no unit id; ``seconds`` is the time on task.
    """

    where: str
    unit_id: object
    label: object
    note: object = ""
    annotator: str | None = None
    text: object = None
    seconds: float | None = None


@dataclass
class ImportReport:
    """What an import wrote to one annotator's file."""

    annotator: str
    path: Path
    imported: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """What an import wrote: one report per annotator file, and the rows without a label."""

    files: list[ImportReport]
    unlabelled: int = 0


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
        writer.writerows(
            [escape_cell(cell) for cell in (r.unit_id, r.text, r.context, r.label or "", r.note)]
            for r in rows
        )
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


def escape_cell(value: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula; :func:`unescape_cell` restores it.

    >>> escape_cell("=SUM(A1:A9)"), escape_cell("-5% in real terms"), escape_cell("plain")
    ("'=SUM(A1:A9)", "'-5% in real terms", 'plain')
    >>> unescape_cell(escape_cell("'quoted")) == "'quoted"
    True
    """
    return f"'{value}" if value.startswith((*FORMULA_STARTS, "'")) else value


def unescape_cell(value: str) -> str:
    """The value before :func:`escape_cell`: a leading ``'`` dropped before a formula start or ``'``."""
    if value.startswith("'") and value[1:].startswith((*FORMULA_STARTS, "'")):
        return value[1:]
    return value


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
        if isinstance(record, dict) and ({"options", "answer", "accept", "_annotator_id"} & record.keys()):
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
        return [
            row for i, task in enumerate(tasks, start=1) for row in _parse_label_studio(f"task {i}", task)
        ]
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


def annotator_name(raw: object, tool: str) -> str | None:
    """An annotator name (a safe file name) from a tool's annotator field; ``None`` when absent.

    >>> annotator_name(3, "label-studio"), annotator_name("alice@example.org", "label-studio")
    ('label-studio-3', 'alice-example.org')
    """
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return f"{tool}-{raw}"
    if isinstance(raw, dict):
        return annotator_name(raw.get("email") or raw.get("id"), tool)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(raw)).strip("-._")[:64]
    return name or None


def _seconds(value: object) -> float | None:
    """A tool's time on task (Label Studio's ``lead_time``), if it is a usable number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 24 * 3600:
        return round(float(value), 1)
    return None


def _parse_csv(path: Path, text: str) -> list[ParsedRow]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"id", "label"} - set(reader.fieldnames or [])
    if missing:
        raise InterchangeError(
            f"{path}: no {' or '.join(sorted(missing))} column (columns: "
            f"{', '.join(reader.fieldnames or [])}). Expected the columns {', '.join(CSV_COLUMNS)}."
        )
    rows = []
    for number, row in enumerate(
        reader, start=2
    ):  # numbered as a spreadsheet numbers rows: the header is row 1
        cell = {name: unescape_cell(value or "") for name, value in row.items() if isinstance(name, str)}
        rows.append(
            ParsedRow(
                f"row {number}",
                cell["id"] or None,
                cell["label"].strip() or None,
                cell.get("note", ""),
                annotator_name(cell.get("annotator"), "csv"),
                cell.get("text") or None,
            )
        )
    return rows


def _choice(value: object) -> object:
    """One chosen label from a tool's value: a string, or a one-item list; ``None`` for none chosen."""
    if isinstance(value, dict):
        value = value.get("choices")
    if isinstance(value, list):
        return None if not value else value[0] if len(value) == 1 else value
    return value or None


def _parse_label_studio(where: str, task: Any) -> list[ParsedRow]:
    """The rows of one task: one per annotation (several annotators), or one unlabelled row."""
    if not isinstance(task, dict):
        return [ParsedRow(where, None, None)]
    if not isinstance(task.get("data"), dict):  # JSON-MIN: one flat record per annotation
        return [
            ParsedRow(
                where,
                task.get("unit_id"),
                _choice(task.get("label")),
                _text_of(task.get("note")),
                annotator_name(task.get("annotator"), "label-studio"),
                task.get("text"),
                _seconds(task.get("lead_time")),
            )
        ]
    data = task["data"]
    annotations = [
        a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")
    ]
    if not annotations:
        return [ParsedRow(where, data.get("unit_id"), None, text=data.get("text"))]
    rows = []
    for number, annotation in enumerate(annotations, start=1):
        label: object = None
        note = ""
        for result in annotation.get("result") or []:
            if not isinstance(result, dict):
                continue
            value = result.get("value") or {}
            if result.get("type") == "choices" and value.get("choices"):
                label = _choice(value["choices"])
            elif result.get("type") == "textarea" and value.get("text"):
                note = _text_of(value["text"])
        rows.append(
            ParsedRow(
                where if len(annotations) == 1 else f"{where} annotation {number}",
                data.get("unit_id"),
                label,
                note,
                annotator_name(annotation.get("completed_by"), "label-studio"),
                data.get("text"),
                _seconds(annotation.get("lead_time")),
            )
        )
    return rows


def _text_of(value: object) -> object:
    """A note from a text area's value: a string, or lines joined."""
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "\n".join(value)
    return value


def _parse_prodigy(where: str, task: Any) -> ParsedRow:
    """A Prodigy record: a choice task (``accept``) or a binary one (``label`` with ``answer``).

    Only an accepted answer gives a label: a rejected binary answer says only
    what the label is not, and an ignored one nothing.
    """
    if not isinstance(task, dict):
        return ParsedRow(where, None, None)
    meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
    label: object = None
    if task.get("answer") == "accept":
        label = _choice(task["accept"]) if "accept" in task else task.get("label")
    annotator = annotator_name(task.get("_annotator_id") or task.get("_session_id"), "prodigy")
    unit_id = meta.get("unit_id", task.get("unit_id"))
    return ParsedRow(where, unit_id, label, task.get("note", ""), annotator, task.get("text"))


def _parse_doccano(where: str, task: Any) -> ParsedRow:
    if not isinstance(task, dict):
        return ParsedRow(where, None, None)
    given = task.get("label", task.get("labels")) or []
    label: object = (given[0] if len(given) == 1 else given) if isinstance(given, list) else given
    return ParsedRow(where, task.get("unit_id"), label or None, task.get("note", ""), text=task.get("text"))


def match_by_text(rows: Sequence[ParsedRow], units: Sequence[Unit]) -> list[ParsedRow]:
    """``rows``, those without a unit id given the id of the one unit with exactly their text."""
    by_text: dict[str, list[str]] = {}
    for unit in units:
        by_text.setdefault(unit.text, []).append(unit.unit_id)
    matched = []
    for row in rows:
        if row.unit_id is None and isinstance(row.text, str) and len(by_text.get(row.text, [])) == 1:
            row = replace(row, unit_id=by_text[row.text][0])
        matched.append(row)
    return matched


def check_rows(rows: Sequence[ParsedRow], units: Mapping[str, Unit], source: Path) -> None:
    """Raise one :class:`InterchangeError` naming every row with an unknown unit id or label."""
    problems = []
    for row in rows:
        if row.unit_id is None and row.label is None:
            continue  # an unlabelled row of another tool's task list: nothing to import
        if row.unit_id is None:
            problems.append(f"{row.where}: no unit id, and its text matches no single unit")
        elif not isinstance(row.unit_id, str) or row.unit_id not in units:
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


def assign_annotators(
    rows: Sequence[ParsedRow], source: Path, annotator: str | None
) -> dict[str, list[ParsedRow]]:
    """The labelled rows of ``source`` by the annotator whose file they go to.

    With ``annotator`` every labelled row is theirs, unless the file names
    several annotators (then the import stops and says so). Without it, each
    annotator the file names gets their own file, and a file that names none
    is an error asking for one.
    """
    labelled = [row for row in rows if row.label is not None]
    named = sorted({row.annotator for row in labelled if row.annotator})
    if annotator is not None:
        if len(named) > 1:
            raise InterchangeError(
                f"{source} holds labels by {len(named)} annotators ({', '.join(named)}); nothing was "
                "imported. Leave out --annotator to import each into a labels file of their own."
            )
        return {annotator: labelled} if labelled else {}
    unnamed = [row.where for row in labelled if not row.annotator]
    if unnamed:
        raise InterchangeError(
            f"{source} does not say who labelled {len(unnamed)} row(s) (first: {unnamed[0]}); nothing was "
            "imported. Name the annotator with --annotator NAME."
        )
    grouped: dict[str, list[ParsedRow]] = {}
    for row in labelled:
        assert row.annotator is not None
        grouped.setdefault(row.annotator, []).append(row)
    return grouped


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
    annotator: str | None = None,
    fmt: str | None = None,
) -> ImportResult:
    """Append the labelled rows of ``source`` to the annotators' files, all or nothing.

    With ``annotator`` every label goes to that annotator's file; without it,
    to the file of each annotator the source names (see
    :func:`assign_annotators`). Each file is held (:func:`~framing.labels.store.locked`)
    while it is written, so an import refuses while a labelling server holds it.
    Rows without a label are counted and skipped; rows equal to the
    annotator's current decision are not written again.
    """
    rows = match_by_text(parse(source, fmt or detect_format(source)), units)
    by_id = {unit.unit_id: unit for unit in units}
    check_rows(rows, by_id, source)
    grouped = assign_annotators(rows, source, annotator)
    paths = {name: annotator_file(labels_dir, name) for name in grouped}
    result = ImportResult([], unlabelled=sum(row.label is None for row in rows))
    with ExitStack() as hold:
        for path in paths.values():
            hold.enter_context(locked(path))
        for name, named_rows in grouped.items():
            result.files.append(_append_rows(paths[name], name, named_rows, by_id))
    return result


def _append_rows(
    path: Path, annotator: str, rows: Sequence[ParsedRow], units: Mapping[str, Unit]
) -> ImportReport:
    """Append ``rows`` as ``annotator``'s decisions, skipping those equal to their current decision."""
    report = ImportReport(annotator, path)
    current: dict[str, LabelRecord] = {}
    if path.exists():
        loaded = read_records(path)
        current, report.problems = latest(loaded.records), loaded.problems
    records = []
    for row in rows:
        assert isinstance(row.unit_id, str) and isinstance(row.label, str) and isinstance(row.note, str)
        known = current.get(row.unit_id)
        if known is not None and (known.label, known.note) == (row.label, row.note):
            report.unchanged += 1
            continue
        unit = units[row.unit_id]
        record = LabelRecord(
            unit.unit_id,
            unit.text,
            row.label,
            annotator,
            timestamp=now(),
            doc_id=unit.doc_id,
            kind=unit.kind,
            note=row.note,
            seconds=row.seconds,
        )
        current[row.unit_id] = record
        records.append(record)
    if records:
        append_records(path, records)
    report.imported = len(records)
    return report
