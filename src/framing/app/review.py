"""Review: walk the units annotators disagree on and write the adjudicated label to ``gold.jsonl``.

A disagreement is a unit that two or more annotators labelled differently
(their current decisions). The adjudicator picks the gold label with a short
note giving the reason; each choice is one fsynced line of ``gold.jsonl``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    read_many,
)

ADJUDICATOR = "adjudicator"


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
    files = annotator_files(labels_dir)
    if not files:
        raise LabelFileError(
            f"No annotator files in {labels_dir}: label with `framing label --annotator NAME` first."
        )
    loaded = read_many(files)
    return find_disagreements(annotations_by_annotator(loaded.records)), loaded.problems


class ReviewSession(Session):
    """An adjudicator choosing gold labels for disagreements, written to ``<labels_dir>/gold.jsonl``.

    By default only disagreements without a gold label are shown; with
    ``revisit`` every disagreement is, its current gold label beside it.
    """

    mode = "review"

    def __init__(
        self,
        labels_dir: str | Path,
        units: Sequence[Unit] = (),
        adjudicator: str = ADJUDICATOR,
        revisit: bool = False,
    ) -> None:
        found, problems = load_disagreements(labels_dir)
        context = {unit.unit_id: unit for unit in units}
        position = {unit_id: i for i, unit_id in enumerate(context)}
        found.sort(key=lambda d: position.get(d.unit_id, len(position)))
        self.disagreements = {d.unit_id: d for d in found}
        as_units = [context.get(d.unit_id) or Unit(d.unit_id, d.doc_id, d.kind, 0, d.text) for d in found]
        log = DecisionLog(Path(labels_dir) / GOLD_FILE, undo_from_file=False)
        log.problems = problems + log.problems
        super().__init__(log, check_annotator(adjudicator), as_units)
        self.revisit = revisit
        self.current = self._pick()

    @property
    def pending(self) -> int:
        """How many disagreements are still to be adjudicated in this review."""
        return sum(not self._is_done(unit_id) for unit_id in self.units)

    def _is_done(self, unit_id: str) -> bool:
        return unit_id in (self.log.decided_here if self.revisit else self.log.live)

    def _pick(self) -> str | None:
        pending = [u for u in self.units if not self._is_done(u)]
        return next((u for u in pending if u not in self.skipped), pending[0] if pending else None)

    def _extra(self, unit_id: str) -> dict[str, Any]:
        gold = self.log.live.get(unit_id)
        decisions = self.disagreements[unit_id].decisions
        return {
            "votes": [{"annotator": n, "label": r.label, "note": r.note} for n, r in decisions.items()],
            "gold": None if gold is None else {"label": gold.label, "note": gold.note, "by": gold.annotator},
        }

    def _status(self) -> str:
        return f"{len(self.units)} disagreements; gold labels go to {self.log.path}"
