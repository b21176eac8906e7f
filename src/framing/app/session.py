"""A labelling session: one current unit, durable decisions, skip, undo, resume and progress.

Nothing here knows about HTTP; :mod:`framing.app.webapp` renders a session and
passes its requests on. Each decision is appended to the annotator's file and
fsynced (:func:`framing.labels.store.append_records`) before a method returns, so
whatever a caller acknowledges is on disk. A restarted session resumes at the
next unit without a decision.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from framing.app.stream import (
    POOL_SIZE,
    RANDOM_FRACTION,
    STRATEGIES,
    Ranker,
    is_random_pick,
    pick_next,
    seeded_order,
)
from framing.codebook import LABELS, check_label
from framing.corpus.ingest import IngestReport, find_sources, iter_units
from framing.corpus.units import Unit, read_units
from framing.errors import (
    IngestError,
    UnknownUnitError,
)
from framing.labels.store import (
    DecisionLog,
    LabelRecord,
    annotator_file,
    check_annotator,
    now,
)
from framing.model.pipeline import SEED

MAX_NOTE_LENGTH = 1000


def load_source(source: str | Path) -> tuple[list[Unit], list[str]]:
    """Units to label from a units file, or from a folder of documents ingested in memory.

    Returns the units and the files of the folder that could not be read.
    """
    source = Path(source)
    if source.is_dir():
        report = IngestReport()
        units = list(iter_units(find_sources([source], report), report))
        return units, report.warnings + report.errors
    if not source.exists():
        raise IngestError(
            f"{source}: no such units file or folder. Run `framing ingest data/raw` (or `make units`), "
            "or pass a folder of documents with --source."
        )
    return read_units(source), []


def check_decision(label: object, note: object) -> tuple[str, str]:
    """The label and note of a decision, or :class:`UnknownLabelError` / ``ValueError``."""
    label = check_label(label)
    if not isinstance(note, str) or len(note) > MAX_NOTE_LENGTH:
        raise ValueError(f"A note must be text of at most {MAX_NOTE_LENGTH} characters.")
    return label, note.strip()


def unit_view(unit: Unit) -> dict[str, Any]:
    """What the page shows of a unit: its text, neighbours and where it comes from."""
    meta = unit.meta or {}
    return {
        "unit_id": unit.unit_id,
        "text": unit.text,
        "prev": unit.prev,
        "next": unit.next,
        "kind": unit.kind,
        "doc_id": unit.doc_id,
        "title": str(meta.get("title") or ""),
        "author": str(meta.get("author") or ""),
    }


class Session:
    """One annotator's pass over a set of units; subclasses say what is done and what comes next.

    Every method takes one lock, so concurrent requests see and change the
    state one at a time.
    """

    mode = ""

    def __init__(self, log: DecisionLog, annotator: str, units: Sequence[Unit]) -> None:
        self.log = log
        self.annotator = annotator
        self.units = {unit.unit_id: unit for unit in units}
        self.skipped: set[str] = set()
        self.current: str | None = None
        self._lock = threading.Lock()

    def state(self) -> dict[str, Any]:
        """The current unit, progress, and what the page needs to show."""
        with self._lock:
            return self._state()

    def decide(self, unit_id: object, label: object, note: object = "") -> dict[str, Any]:
        """Record ``label`` for ``unit_id`` durably, move on, and return the new state."""
        with self._lock:
            unit = self._unit(unit_id)
            label, note = check_decision(label, note)
            self.log.append(
                LabelRecord(
                    unit_id=unit.unit_id,
                    text=unit.text,
                    label=label,
                    annotator=self.annotator,
                    timestamp=now(),
                    doc_id=unit.doc_id,
                    kind=unit.kind,
                    note=note,
                )
            )
            self.skipped.discard(unit.unit_id)
            self._decided()
            if self.current is None or self.current == unit.unit_id or self._is_done(self.current):
                self.current = self._pick()
            return self._state(saved=unit.unit_id)

    def skip(self, unit_id: object) -> dict[str, Any]:
        """Put ``unit_id`` aside until every other unit is done; return the new state."""
        with self._lock:
            unit = self._unit(unit_id)
            self.skipped.add(unit.unit_id)
            if self.current == unit.unit_id:
                self.current = self._pick()
            return self._state()

    def undo(self) -> dict[str, Any]:
        """Undo the last decision durably and show its unit again; return the new state."""
        with self._lock:
            record = self.log.undo()
            if record.unit_id in self.units:
                self.skipped.discard(record.unit_id)
                self.current = record.unit_id
            self._decided()
            return self._state()

    # ------------------------------------------------------------------ for subclasses

    def _is_done(self, unit_id: str) -> bool:
        return unit_id in self.log.live

    def _pick(self) -> str | None:
        raise NotImplementedError

    def _decided(self) -> None:
        """Called after every change to the decisions."""

    def _extra(self, unit_id: str) -> dict[str, Any]:
        return {}

    def _status(self) -> str:
        return ""

    # ------------------------------------------------------------------ shared

    def _unit(self, unit_id: object) -> Unit:
        if not isinstance(unit_id, str) or unit_id not in self.units:
            raise UnknownUnitError(f"Unknown unit id {unit_id!r}: it is not among the units of this session.")
        return self.units[unit_id]

    def _state(self, saved: str | None = None) -> dict[str, Any]:
        counts = Counter(self.log.live[u].label for u in self.units if u in self.log.live)
        unit = None
        if self.current is not None:
            unit = unit_view(self.units[self.current]) | self._extra(self.current)
        return {
            "mode": self.mode,
            "annotator": self.annotator,
            "unit": unit,
            "saved": saved,
            "progress": {
                "done": sum(self._is_done(unit_id) for unit_id in self.units),
                "total": len(self.units),
                "counts": {label: counts[label] for label in LABELS},
            },
            "can_undo": self.log.can_undo,
            "status": self._status(),
            "problems": self.log.problems,
        }


class LabellingSession(Session):
    """An annotator labelling units, in a seeded random order or by uncertainty.

    Decisions go to ``<labels_dir>/<annotator>.jsonl``. Under the uncertainty
    strategy a :class:`~framing.app.stream.Ranker` retrains in the background; a
    share ``random_fraction`` of the picks stays random.
    """

    mode = "label"

    def __init__(
        self,
        units: Sequence[Unit],
        labels_dir: str | Path,
        annotator: str,
        strategy: str = "random",
        seed: int = SEED,
        random_fraction: float = RANDOM_FRACTION,
        ranker: Ranker | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"Unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}.")
        if not units:
            raise IngestError("No units to label: the source holds none.")
        annotator = check_annotator(annotator)
        super().__init__(DecisionLog(annotator_file(labels_dir, annotator)), annotator, units)
        self.strategy = strategy
        self.seed = seed
        self.random_fraction = random_fraction
        self.order = seeded_order(self.units, seed)
        self.ranker = (ranker or Ranker(seed=seed)) if strategy == "uncertainty" else None
        self._decided()
        self.current = self._pick()

    def _pick(self) -> str | None:
        scores = self.ranker.scores if self.ranker else None
        explore = is_random_pick(self.seed, len(self.log.live), self.random_fraction)
        return pick_next(self.order, self.log.live, self.skipped, scores, explore)

    def _decided(self) -> None:
        if self.ranker is None:
            return
        labelled = [(self.units[u].text, r.label or "") for u, r in self.log.live.items() if u in self.units]
        pending = (u for u in self.order if u not in self.log.live)
        pool = [(u, self.units[u].text) for _, u in zip(range(POOL_SIZE), pending, strict=False)]
        self.ranker.update(labelled, pool)

    def _status(self) -> str:
        return self.ranker.status if self.ranker else "random order (seeded)"
