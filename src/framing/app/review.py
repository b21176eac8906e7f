"""Review: walk the units annotators disagree on and write the adjudicated label to ``gold.jsonl``.

A disagreement is a unit that two or more annotators labelled differently
(their current decisions). The adjudicator picks the gold label with a short
note giving the reason; each choice is one fsynced line of ``gold.jsonl``,
noted "adjudicated (a: X, b: Y): reason". Gold also holds every unit nobody
disagrees on, carried over when a review opens and noted "agreed by a and b"
(or "labelled by a only"), so training on gold uses all the labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from framing.app.session import Session
from framing.corpus.units import Unit
from framing.errors import LabelFileError
from framing.labels.store import (
    GOLD_FILE,
    DecisionLog,
    LabelRecord,
    annotations_by_annotator,
    annotator_files,
    check_annotator,
    now,
    read_many,
)

ADJUDICATOR = "adjudicator"
CARRIED_PREFIXES = ("agreed by ", "labelled by ")
"""How the note of a gold label carried over from agreeing annotators starts."""


@dataclass(frozen=True)
class Disagreement:
    """A unit and each annotator's current decision on it."""

    unit_id: str
    text: str
    doc_id: str
    kind: str
    decisions: dict[str, LabelRecord]

    @property
    def labels(self) -> dict[str, str]:
        """``{annotator: label}``."""
        return {name: record.label or "" for name, record in self.decisions.items()}


def find_disagreements(by_annotator: Mapping[str, Mapping[str, LabelRecord]]) -> list[Disagreement]:
    """Units labelled differently by two or more annotators, in the order first seen.

    >>> from framing.labels.store import LabelRecord as R
    >>> a = {"u1": R("u1", "t", "none", "a"), "u2": R("u2", "t", "resource", "a")}
    >>> b = {"u1": R("u1", "t", "none", "b"), "u2": R("u2", "t", "none", "b")}
    >>> [d.unit_id for d in find_disagreements({"a": a, "b": b})]
    ['u2']
    """
    by_unit: dict[str, dict[str, LabelRecord]] = {}
    for name in sorted(by_annotator):
        for unit_id, record in by_annotator[name].items():
            by_unit.setdefault(unit_id, {})[name] = record
    found = []
    for unit_id, decisions in by_unit.items():
        if len({record.label for record in decisions.values()}) > 1:
            first = next(iter(decisions.values()))
            found.append(Disagreement(unit_id, first.text, first.doc_id, first.kind, decisions))
    return found


def load_disagreements(labels_dir: str | Path) -> tuple[list[Disagreement], list[str]]:
    """The disagreements between the annotator files of ``labels_dir``, and any damaged lines."""
    found, _, problems = load_annotations(labels_dir)
    return found, problems


def load_annotations(
    labels_dir: str | Path,
) -> tuple[list[Disagreement], dict[str, dict[str, LabelRecord]], list[str]]:
    """The disagreements, every annotator's current labels, and any damaged lines of ``labels_dir``."""
    files = annotator_files(labels_dir)
    if not files:
        raise LabelFileError(
            f"No annotator files in {labels_dir}: label with `framing label --annotator NAME` first."
        )
    loaded = read_many(files)
    by_annotator = annotations_by_annotator(loaded.records)
    return find_disagreements(by_annotator), by_annotator, loaded.problems


def names_text(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    >>> names_text(["a", "b", "c"])
    'a, b and c'
    """
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def carried_note(decisions: Mapping[str, LabelRecord]) -> str:
    """The note of a gold label carried over without adjudication: who agreed on it."""
    names = sorted(decisions)
    if len(names) == 1:
        return f"labelled by {names[0]} only"
    return f"agreed by {names_text(names)}"


def is_carried(record: LabelRecord) -> bool:
    """Whether a gold record was carried over from agreeing annotators rather than adjudicated."""
    return record.note.startswith(CARRIED_PREFIXES)


def adjudicated_note(disagreement: Disagreement, rationale: str) -> str:
    """The note of an adjudicated gold label: the annotators' labels, then the rationale.

    >>> from framing.labels.store import LabelRecord as R
    >>> votes = {"a": R("u", "t", "none", "a"), "b": R("u", "t", "resource", "b")}
    >>> d = Disagreement("u", "t", "d", "sentence", votes)
    >>> adjudicated_note(d, "no cause given")
    'adjudicated (a: none, b: resource): no cause given'
    """
    votes = ", ".join(f"{name}: {label}" for name, label in disagreement.labels.items())
    return f"adjudicated ({votes})" + (f": {rationale}" if rationale else "")


@dataclass
class GoldUpdate:
    """What :func:`carry_over_agreed` appended to ``gold.jsonl``."""

    added: int = 0
    changed: int = 0
    withdrawn: int = 0


def carry_over_agreed(
    log: DecisionLog, by_annotator: Mapping[str, Mapping[str, LabelRecord]], adjudicator: str
) -> GoldUpdate:
    """Bring the gold labels of units nobody disagrees on up to date, durably.

    Every unit labelled by annotators who all gave it the same label gets that
    label in gold, noted "agreed by ..." (or "labelled by ... only"), unless
    an adjudicated gold label exists. A carried-over label whose unit is now
    disputed or unlabelled is withdrawn (a retraction), so the unit waits for
    adjudication. Adjudicated labels are never touched.
    """
    by_unit: dict[str, dict[str, LabelRecord]] = {}
    for name in sorted(by_annotator):
        for unit_id, record in by_annotator[name].items():
            by_unit.setdefault(unit_id, {})[name] = record
    update = GoldUpdate()
    for unit_id, decisions in by_unit.items():
        labels = {record.label for record in decisions.values()}
        gold = log.live.get(unit_id)
        if len(labels) > 1 or (gold is not None and not is_carried(gold)):
            continue
        first = next(iter(decisions.values()))
        note = carried_note(decisions)
        if gold is not None and (gold.label, gold.note) == (first.label, note):
            continue
        log.append(
            LabelRecord(
                unit_id,
                first.text,
                first.label,
                adjudicator,
                timestamp=now(),
                doc_id=first.doc_id,
                kind=first.kind,
                note=note,
            ),
            undoable=False,
        )
        update.added += gold is None
        update.changed += gold is not None
    for unit_id, gold in list(log.live.items()):
        decisions = by_unit.get(unit_id, {})
        if is_carried(gold) and len({record.label for record in decisions.values()}) != 1:
            votes = ", ".join(f"{name}: {record.label}" for name, record in decisions.items())
            log.append(
                replace(
                    gold,
                    label=None,
                    decision="retract",
                    timestamp=now(),
                    note=f"no longer agreed ({votes or 'no labels'})",
                    annotator=adjudicator,
                ),
                undoable=False,
            )
            update.withdrawn += 1
    return update


class ReviewSession(Session):
    """An adjudicator choosing gold labels for disagreements, written to ``<labels_dir>/gold.jsonl``.

    Opening a review holds ``gold.jsonl`` (until :meth:`close`) and first
    carries the agreed units over into it (:func:`carry_over_agreed`), so
    gold holds the agreed units plus the adjudicated ones. By default only
    disagreements without a gold label are shown; with ``revisit`` every
    disagreement is, its current gold label beside it.
    """

    mode = "review"

    def __init__(
        self,
        labels_dir: str | Path,
        units: Sequence[Unit] = (),
        adjudicator: str = ADJUDICATOR,
        revisit: bool = False,
    ) -> None:
        adjudicator = check_annotator(adjudicator)
        found, by_annotator, problems = load_annotations(labels_dir)
        context = {unit.unit_id: unit for unit in units}
        position = {unit_id: i for i, unit_id in enumerate(context)}
        found.sort(key=lambda d: position.get(d.unit_id, len(position)))
        self.disagreements = {d.unit_id: d for d in found}
        as_units = [context.get(d.unit_id) or Unit(d.unit_id, d.doc_id, d.kind, 0, d.text) for d in found]
        log = DecisionLog(Path(labels_dir) / GOLD_FILE, undo_from_file=False)
        try:
            self.gold_update = carry_over_agreed(log, by_annotator, adjudicator)
        except BaseException:
            log.close()
            raise
        log.problems = problems + log.problems
        super().__init__(log, adjudicator, as_units)
        self.revisit = revisit
        self.current = self._pick()

    @property
    def pending(self) -> int:
        """How many disagreements are still to be adjudicated in this review."""
        return sum(not self._is_done(unit_id) for unit_id in self.units)

    @property
    def gold_units(self) -> int:
        """How many units have a gold label."""
        return len(self.log.live)

    def _is_done(self, unit_id: str) -> bool:
        return unit_id in (self.log.decided_here if self.revisit else self.log.live)

    def _pick(self, avoid: str | None = None) -> str | None:
        pending = [u for u in self.units if not self._is_done(u)]
        for candidates in ([u for u in pending if u not in self.skipped and u != avoid], pending):
            if candidates:
                return candidates[0]
        return None

    def _record(self, unit: Unit, **fields: Any) -> LabelRecord:
        if fields.get("decision", "label") == "label":
            fields["note"] = adjudicated_note(self.disagreements[unit.unit_id], fields.get("note", ""))
        return super()._record(unit, **fields)

    def _extra(self, unit_id: str) -> dict[str, Any]:
        gold = self.log.live.get(unit_id)
        decisions = self.disagreements[unit_id].decisions
        return {
            "votes": [{"annotator": n, "label": r.label, "note": r.note} for n, r in decisions.items()],
            "gold": None if gold is None else {"label": gold.label, "note": gold.note, "by": gold.annotator},
        }

    def _status(self) -> str:
        return (
            f"{len(self.units)} disagreements; gold labels ({self.gold_units} units: agreed ones carried "
            f"over, disagreements adjudicated) go to {self.log.path}"
        )
