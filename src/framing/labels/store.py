"""Label storage: append-only JSON Lines decisions, one file per annotator, plus ``gold.jsonl``.

Each line is one decision (:class:`LabelRecord`) of one of three kinds: a
label, a skip (the unit was put aside; never a label for training or
agreement) or a retraction (an undo back to no decision). Appends are flushed
and fsynced before :func:`append_records` returns, so an acknowledged decision
survives a crash. The latest decision per (annotator, unit) wins. A damaged
line is reported with its file and line number, and the other lines still load.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path

from framing.codebook import CODEBOOK_VERSION, check_label
from framing.errors import FileInUseError, LabelFileError, NothingToUndoError, NoTrainingDataError
from framing.files import append_lines, exclusive, hold_exclusive, iter_jsonl, repair_tail

GOLD_FILE = "gold.jsonl"
ANNOTATOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_append_lock = threading.Lock()


DECISIONS = ("label", "skip", "retract")
"""The kinds of decision: a label; a skip (put aside, no label); a retraction (back to no decision)."""


@dataclass(frozen=True)
class LabelRecord:
    """One labelling decision.

    ``decision`` is ``"label"`` (``label`` set), ``"skip"`` or ``"retract"``
    (``label`` ``None``); left empty it follows from ``label``, as in files
    written before skips were recorded. ``note`` holds the annotator's or
    adjudicator's one-line rationale. ``doc_id`` and ``kind`` are copied from
    the unit so that a labels file alone supports grouped evaluation.
    ``seconds`` is the time on task (the unit on screen until the decision),
    and ``suggestion`` the model's label shown to the annotator, if any.
    """

    unit_id: str
    text: str
    label: str | None
    annotator: str
    codebook_version: str = CODEBOOK_VERSION
    timestamp: str = ""
    doc_id: str = ""
    kind: str = ""
    note: str = ""
    decision: str = ""
    seconds: float | None = None
    suggestion: str | None = None

    def __post_init__(self) -> None:
        """Fill in ``decision`` and check it agrees with ``label``."""
        if not self.decision:
            object.__setattr__(self, "decision", "retract" if self.label is None else "label")
        if self.decision not in DECISIONS:
            raise ValueError(f"unknown decision {self.decision!r}; expected one of {', '.join(DECISIONS)}")
        if (self.decision == "label") != (self.label is not None):
            raise ValueError(
                f"a {self.decision} decision {'needs' if self.label is None else 'has no'} label"
            )

    def to_json(self) -> str:
        """One JSON Lines record."""
        return json.dumps(asdict(self), ensure_ascii=False)


def now() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_annotator(name: str) -> str:
    """Return ``name`` if it is a safe annotator id (it becomes a file name)."""
    if not ANNOTATOR_NAME.match(name) or name == Path(GOLD_FILE).stem:
        raise LabelFileError(
            f"Invalid annotator name {name!r}: use letters, digits, '.', '_' or '-' "
            f"(at most 64), and not {Path(GOLD_FILE).stem!r}."
        )
    return name


def annotator_file(labels_dir: str | Path, annotator: str) -> Path:
    """The append-only labels file of ``annotator`` in ``labels_dir``."""
    return Path(labels_dir) / f"{check_annotator(annotator)}.jsonl"


def append_records(path: str | Path, records: Iterable[LabelRecord]) -> None:
    """Append ``records`` to ``path`` and fsync before returning."""
    records = list(records)
    for record in records:
        if record.label is not None:
            check_label(record.label)
    with _append_lock:
        append_lines(path, "".join(record.to_json() + "\n" for record in records))


@dataclass
class LoadedLabels:
    """Records read from one or more files, and the damaged lines that were skipped."""

    records: list[LabelRecord]
    problems: list[str]


_FIELDS = {f.name for f in fields(LabelRecord)}
_REQUIRED = {"unit_id", "text", "label", "annotator"}


def read_records(path: str | Path) -> LoadedLabels:
    """Read every decision in ``path``; damaged lines go to ``problems`` as ``file:line: why``."""
    path = Path(path)
    if not path.is_file():
        raise LabelFileError(f"{path}: no such labels file.")
    records: list[LabelRecord] = []
    problems: list[str] = []
    for number, data in iter_jsonl(path, problems, encoding_errors="replace"):
        try:
            missing = _REQUIRED - data.keys()
            if missing:
                raise ValueError(f"missing {', '.join(sorted(missing))}")
            if data["label"] is not None:
                check_label(data["label"])
            records.append(LabelRecord(**{k: v for k, v in data.items() if k in _FIELDS}))
        except (ValueError, TypeError) as exc:
            problems.append(f"{path}:{number}: {exc}")
    return LoadedLabels(records, problems)


def read_many(paths: Iterable[str | Path]) -> LoadedLabels:
    """Every decision in ``paths``, and all their damaged lines."""
    merged = LoadedLabels([], [])
    for path in paths:
        loaded = read_records(path)
        merged.records.extend(loaded.records)
        merged.problems.extend(loaded.problems)
    return merged


def latest(records: Iterable[LabelRecord]) -> dict[str, LabelRecord]:
    """The latest decision per unit (for one annotator's records); retracted units dropped."""
    current: dict[str, LabelRecord] = {}
    for record in records:
        current[record.unit_id] = record
    return {unit_id: r for unit_id, r in current.items() if r.label is not None}


def annotations_by_annotator(records: Iterable[LabelRecord]) -> dict[str, dict[str, LabelRecord]]:
    """``{annotator: {unit_id: latest record}}``."""
    grouped: dict[str, list[LabelRecord]] = {}
    for record in records:
        grouped.setdefault(record.annotator, []).append(record)
    return {name: latest(group) for name, group in grouped.items()}


def annotator_files(labels_dir: str | Path) -> list[Path]:
    """Every annotator's labels file in ``labels_dir`` (not the gold file)."""
    return sorted(p for p in Path(labels_dir).glob("*.jsonl") if p.name != GOLD_FILE)


@dataclass
class TrainingLabels:
    """The labels a model is trained on and where they came from."""

    records: list[LabelRecord]
    source: str
    problems: list[str]


def training_labels(labels_dir: str | Path) -> TrainingLabels:
    """Gold labels if ``gold.jsonl`` exists; otherwise the units all annotators agree on.

    Raises :class:`NoTrainingDataError` when there is nothing to train on.
    """
    labels_dir = Path(labels_dir)
    if labels_dir.exists() and not labels_dir.is_dir():
        raise LabelFileError(f"{labels_dir}: not a folder; give the folder of the labels files.")
    gold = labels_dir / GOLD_FILE
    records: list[LabelRecord] = []
    problems: list[str] = []
    if gold.exists():
        loaded = read_records(gold)
        records = list(latest(loaded.records).values())
        problems = loaded.problems
        source = f"{gold} (adjudicated gold labels)"
        if not records:  # an empty gold file must not hide the annotators' labels
            problems.append(f"{gold}: holds no labels, so the units all annotators agree on are used instead")
    if not records:
        files = annotator_files(labels_dir)
        loaded = read_many(files)
        records = agreed(annotations_by_annotator(loaded.records))
        problems += loaded.problems
        source = (
            f"{len(files)} annotator file(s) in {labels_dir}, units where all annotators agree "
            f"({'gold.jsonl holds no labels' if gold.exists() else 'no gold.jsonl yet'})"
        )
    if not records:
        raise NoTrainingDataError(
            f"Nothing to train on: no labelled units in {labels_dir}. Label units with "
            "`framing label --annotator NAME`, or import labels with `framing import`."
        )
    return TrainingLabels(records, source, problems)


def agreed(by_annotator: dict[str, dict[str, LabelRecord]]) -> list[LabelRecord]:
    """Units labelled the same by every annotator who labelled them."""
    by_unit: dict[str, list[LabelRecord]] = {}
    for decisions in by_annotator.values():
        for unit_id, record in decisions.items():
            by_unit.setdefault(unit_id, []).append(record)
    return [rs[0] for rs in by_unit.values() if len({r.label for r in rs}) == 1]


def _busy_message(path: Path) -> str:
    return (
        f"{path} is in use by another labelling, review or import. Stop that one first, "
        "or label under another annotator name."
    )


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the labels file ``path`` for one writer: a labelling or review session, or an import."""
    with exclusive(path, _busy_message(path), FileInUseError):
        yield


class DecisionLog:
    """One append-only labels file: its current decisions, durable appends, and undo.

    ``live`` holds each unit's current label, ``skipped`` the units whose
    current decision is a skip, and ``revision(unit)`` counts the unit's lines
    in the file, so a page can say which state it showed. An undo restores the
    state before the decision it undoes: the earlier decision re-appended, or a
    retraction. With ``undo_from_file`` the undo history starts with the
    file's current decisions, newest last, so an undo works after a restart.
    With ``lock`` the file is held (:func:`locked`) until :meth:`close`, which
    removes the file again when it was created only to hold it.
    """

    def __init__(self, path: str | Path, undo_from_file: bool = True, lock: bool = True) -> None:
        self.path = Path(path)
        self._created = not self.path.exists()
        self._hold = hold_exclusive(self.path, _busy_message(self.path), FileInUseError) if lock else None
        try:
            repair_tail(self.path)
            self.problems: list[str] = []
            self.records: list[LabelRecord] = []
            if self.path.exists():
                loaded = read_records(self.path)
                self.records, self.problems = loaded.records, loaded.problems
        except BaseException:
            self.close()
            raise
        self.current: dict[str, LabelRecord] = {}
        self._live: dict[str, LabelRecord] = {}
        self._skipped: set[str] = set()
        self._revisions: Counter[str] = Counter()
        for record in self.records:
            self._apply(record)
        self._undo: list[tuple[LabelRecord, LabelRecord | None]] = []
        if undo_from_file:
            last_line = {record.unit_id: line for line, record in enumerate(self.records)}
            newest_last = sorted(self.current.values(), key=lambda record: last_line[record.unit_id])
            self._undo = [(record, None) for record in newest_last]

    def close(self) -> None:
        """Release the file; a file this log created and never wrote to is removed."""
        unused = self._created and not getattr(self, "records", None)
        if unused and self.path.is_file() and self.path.stat().st_size == 0:
            self.path.unlink()
        if self._hold is not None:
            self._hold.close()

    @property
    def live(self) -> dict[str, LabelRecord]:
        """``{unit_id: current label decision}``; skipped and retracted units left out."""
        return self._live

    @property
    def skipped(self) -> set[str]:
        """The units whose current decision is a skip."""
        return self._skipped

    def revision(self, unit_id: str) -> int:
        """How many decisions on ``unit_id`` the file holds (0: none yet)."""
        return self._revisions[unit_id]

    @property
    def can_undo(self) -> bool:
        """Whether there is a decision to undo."""
        return bool(self._undo)

    @property
    def last_undoable(self) -> str | None:
        """The unit of the decision an undo would undo."""
        return self._undo[-1][0].unit_id if self._undo else None

    @property
    def decided_here(self) -> set[str]:
        """The units of the decisions that can be undone (made in this session, or resumed)."""
        return {record.unit_id for record, _ in self._undo}

    def append(self, record: LabelRecord, undoable: bool = True) -> None:
        """Append ``record`` durably (fsynced) and make it the unit's current decision."""
        previous = self.current.get(record.unit_id)
        append_records(self.path, [record])
        self.records.append(record)
        self._apply(record)
        if undoable:
            self._undo.append((record, previous))

    def undo(self) -> LabelRecord:
        """Undo the last decision durably; return the decision undone."""
        if not self._undo:
            raise NothingToUndoError("Nothing to undo: no decision left in this session.")
        record, previous = self._undo[-1]
        if previous is None:
            restored = replace(
                record,
                label=None,
                decision="retract",
                note="",
                timestamp=now(),
                seconds=None,
                suggestion=None,
            )
        else:
            restored = replace(previous, timestamp=now(), seconds=None)
        append_records(self.path, [restored])
        self.records.append(restored)
        self._apply(restored)
        self._undo.pop()
        return record

    def _apply(self, record: LabelRecord) -> None:
        self._revisions[record.unit_id] += 1
        if record.decision == "retract":
            self.current.pop(record.unit_id, None)
        else:
            self.current[record.unit_id] = record
        if record.decision == "label":
            self._live[record.unit_id] = record
        else:
            self._live.pop(record.unit_id, None)
        if record.decision == "skip":
            self._skipped.add(record.unit_id)
        else:
            self._skipped.discard(record.unit_id)
