"""A labelling session: one current unit, durable decisions, skip, undo, revisit, resume and progress.

Nothing here knows about HTTP; :mod:`framing.app.webapp` renders a session and
passes its requests on. Each decision (a label or a skip) is appended to the
annotator's file and fsynced (:func:`framing.labels.store.append_records`)
before a method returns, so whatever a caller acknowledges is on disk. A
restarted session resumes at the next unit without a decision; skipped units
come back once no other unit is pending.

Each write may name the ``revision`` of the unit the page showed (how many
decisions on it the file held); a write made on a page that no longer shows
the current state, such as a second tab, is refused with
:class:`~framing.errors.ConflictError` instead of silently overwriting.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from framing.errors import ConflictError, IngestError, InvalidDecisionError, UnknownUnitError
from framing.labels.store import (
    DecisionLog,
    LabelRecord,
    annotator_file,
    check_annotator,
    now,
)
from framing.model.pipeline import SEED

if TYPE_CHECKING:
    from framing.app.team import Team

MAX_NOTE_LENGTH = 1000
MAX_SECONDS = 24 * 3600.0
"""The longest time on task accepted for one decision."""
HISTORY_SIZE = 20
SEARCH_LIMIT = 20

Suggester = Callable[[str], tuple[str, float]]
"""A model's suggestion for a text: its label and the probability of that label."""


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


def check_note(note: object) -> str:
    """The note, stripped, or :class:`InvalidDecisionError` when it is not storable text.

    >>> check_note("  why  ")
    'why'
    """
    if not isinstance(note, str) or len(note) > MAX_NOTE_LENGTH:
        raise InvalidDecisionError(f"A note must be text of at most {MAX_NOTE_LENGTH} characters.")
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidDecisionError(
            "The note holds an unpaired surrogate (broken Unicode text); retype it."
        ) from None
    return note.strip()


def check_seconds(seconds: object) -> float | None:
    """Time on task in seconds rounded to 0.1, or ``None``; anything else is :class:`InvalidDecisionError`.

    >>> check_seconds(3.14159), check_seconds(None)
    (3.1, None)
    """
    if seconds is None:
        return None
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not math.isfinite(seconds)
        or not 0 <= seconds <= MAX_SECONDS
    ):
        raise InvalidDecisionError(
            f"Time on task must be a number of seconds between 0 and {MAX_SECONDS:.0f}, not {seconds!r}."
        )
    return round(float(seconds), 1)


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


def decision_view(record: LabelRecord | None) -> dict[str, Any] | None:
    """A current decision as the page shows it, or ``None`` for a unit without one."""
    if record is None:
        return None
    return {"decision": record.decision, "label": record.label, "note": record.note, "at": record.timestamp}


class Session:
    """One annotator's pass over a set of units; subclasses say what is done and what comes next.

    Every method takes one lock, so concurrent requests see and change the
    state one at a time. :meth:`close` releases the labels file.
    """

    mode = ""

    def __init__(self, log: DecisionLog, annotator: str, units: Sequence[Unit]) -> None:
        self.log = log
        self.annotator = annotator
        self.units = {unit.unit_id: unit for unit in units}
        self.current: str | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the labels file."""
        self.log.close()

    @property
    def skipped(self) -> set[str]:
        """The units whose current decision is a skip."""
        return self.log.skipped

    def state(self) -> dict[str, Any]:
        """The current unit, progress, and what the page needs to show."""
        with self._lock:
            return self._state()

    def decide(
        self,
        unit_id: object,
        label: object,
        note: object = "",
        revision: int | None = None,
        seconds: object = None,
    ) -> dict[str, Any]:
        """Record ``label`` for ``unit_id`` durably, move on, and return the new state.

        ``revision``, when given, must be the unit's revision the page showed.
        """
        with self._lock:
            unit = self._unit(unit_id)
            label, note, time = check_label(label), check_note(note), check_seconds(seconds)
            self._check_revision(unit.unit_id, revision)
            self.log.append(self._record(unit, label=label, note=note, seconds=time))
            self._changed(unit.unit_id)
            if self.current is None or self.current == unit.unit_id or self._is_done(self.current):
                self.current = self._pick()
            return self._state(saved=unit.unit_id)

    def skip(self, unit_id: object, revision: int | None = None, seconds: object = None) -> dict[str, Any]:
        """Put ``unit_id`` aside until every other unit is done, durably; return the new state.

        The skip is recorded when the unit has no decision yet; on a unit
        that already has one (revisited from the history), skip only moves on.
        """
        with self._lock:
            unit = self._unit(unit_id)
            time = check_seconds(seconds)
            self._check_revision(unit.unit_id, revision)
            if unit.unit_id not in self.log.current:
                self.log.append(self._record(unit, label=None, decision="skip", seconds=time))
                self._changed(unit.unit_id)
            if self.current == unit.unit_id:
                self.current = self._pick(avoid=unit.unit_id)
            return self._state()

    def undo(self, unit_id: object = None, revision: int | None = None) -> dict[str, Any]:
        """Undo the last decision durably and show its unit again; return the new state.

        ``unit_id`` and ``revision``, when given, must name the decision the
        page offered to undo.
        """
        with self._lock:
            last = self.log.last_undoable
            if (
                last is not None
                and unit_id is not None
                and (unit_id, revision) != (last, self.log.revision(last))
            ):
                raise ConflictError(
                    "Not undone: the last decision changed in another tab or window. "
                    "The page now shows the current state; press undo again to undo the latest decision."
                )
            record = self.log.undo()
            self._changed(record.unit_id)
            if record.unit_id in self.units:
                self.current = record.unit_id
            return self._state()

    def show(self, unit_id: object) -> dict[str, Any]:
        """Make ``unit_id`` the current unit (revisit a decision, or jump to a unit); return the state."""
        with self._lock:
            self.current = self._unit(unit_id).unit_id
            return self._state()

    def history(self, limit: int = HISTORY_SIZE) -> list[dict[str, Any]]:
        """The units of the last ``limit`` decisions, newest first, each with its current decision."""
        with self._lock:
            seen: set[str] = set()
            items = []
            for record in reversed(self.log.records):
                unit_id = record.unit_id
                if unit_id in seen or unit_id not in self.units:
                    continue
                seen.add(unit_id)
                current = self.log.current.get(unit_id)
                if current is not None:
                    items.append(
                        {"unit_id": unit_id, "text": self.units[unit_id].text} | decision_view(current)
                    )
                if len(items) == limit:
                    break
            return items

    def search(self, query: object, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
        """Units whose id starts with ``query`` or whose text contains it (any case), in unit order."""
        if not isinstance(query, str) or not query.strip():
            return []
        wanted = query.strip().casefold()
        with self._lock:
            found = []
            for unit_id, unit in self.units.items():
                if unit_id.casefold().startswith(wanted) or wanted in unit.text.casefold():
                    found.append(
                        {
                            "unit_id": unit_id,
                            "text": unit.text,
                            "current": decision_view(self.log.current.get(unit_id)),
                        }
                    )
                    if len(found) == limit:
                        break
            return found

    # ------------------------------------------------------------------ for subclasses

    def _is_done(self, unit_id: str) -> bool:
        return unit_id in self.log.live

    def _pick(self, avoid: str | None = None) -> str | None:
        raise NotImplementedError

    def _changed(self, unit_id: str) -> None:
        """Called after every change to the decisions, with the unit it changed."""

    def _record(self, unit: Unit, **fields: Any) -> LabelRecord:
        """The decision record of ``unit`` by this session's annotator, now."""
        return LabelRecord(
            unit_id=unit.unit_id,
            text=unit.text,
            annotator=self.annotator,
            timestamp=now(),
            doc_id=unit.doc_id,
            kind=unit.kind,
            **fields,
        )

    def _extra(self, unit_id: str) -> dict[str, Any]:
        return {}

    def _status(self) -> str:
        return ""

    def _progress(self) -> dict[str, Any]:
        counts = Counter(self.log.live[u].label for u in self.units if u in self.log.live)
        return {
            "done": sum(self._is_done(unit_id) for unit_id in self.units),
            "total": len(self.units),
            "skipped": sum(unit_id in self.units for unit_id in self.log.skipped),
            "counts": {label: counts[label] for label in LABELS},
        }

    # ------------------------------------------------------------------ shared

    def _unit(self, unit_id: object) -> Unit:
        if not isinstance(unit_id, str) or unit_id not in self.units:
            raise UnknownUnitError(f"Unknown unit id {unit_id!r}: it is not among the units of this session.")
        return self.units[unit_id]

    def _check_revision(self, unit_id: str, revision: int | None) -> None:
        if revision is None or revision == self.log.revision(unit_id):
            return
        current = self.log.current.get(unit_id)
        if current is None:
            now_is = "its decision was undone"
        elif current.decision == "skip":
            now_is = f"it was skipped at {current.timestamp}"
        else:
            now_is = f"it is now labelled {current.label!r} (at {current.timestamp})"
        raise ConflictError(
            "Not saved: this unit was changed in another tab or window since this page showed it "
            f"({now_is}). The page now shows the current state; decide again to change it."
        )

    def _state(self, saved: str | None = None) -> dict[str, Any]:
        unit = None
        if self.current is not None:
            unit = (
                unit_view(self.units[self.current])
                | {
                    "revision": self.log.revision(self.current),
                    "current": decision_view(self.log.current.get(self.current)),
                }
                | self._extra(self.current)
            )
        last = self.log.last_undoable
        return {
            "mode": self.mode,
            "annotator": self.annotator,
            "unit": unit,
            "saved": saved,
            "progress": self._progress(),
            "can_undo": last is not None,
            "undo": None if last is None else {"unit_id": last, "revision": self.log.revision(last)},
            "status": self._status(),
            "problems": self.log.problems,
        }


class _Closed:
    """The units a labelling session does not offer next: labelled by its annotator, or closed by the team."""

    def __init__(self, session: LabellingSession, avoid: str | None = None) -> None:
        self.session = session
        self.avoid = avoid
        if session.team is not None:
            session.team.refresh()

    def __contains__(self, unit_id: object) -> bool:
        session = self.session
        return (
            unit_id == self.avoid
            or unit_id in session.log.live
            or (session.team is not None and not session.team.is_open(session.annotator, str(unit_id)))
        )


class LabellingSession(Session):
    """An annotator labelling units, in a seeded random order or by uncertainty.

    Decisions go to ``<labels_dir>/<annotator>.jsonl``, held (locked) until
    :meth:`close`. Under the uncertainty strategy a :class:`~framing.app.stream.Ranker`
    retrains in the background; a share ``random_fraction`` of the picks stays
    random. With a ``team`` (several annotators on one server), units that
    already have their share of annotators are not offered. With ``suggest``
    the page shows a model's label and confidence for each unit, and each
    decision records the label suggested.
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
        team: Team | None = None,
        suggest: Suggester | None = None,
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
        self.team = team
        self.suggest = suggest
        self._suggestions: dict[str, tuple[str, float]] = {}
        self.order = seeded_order(self.units, seed)
        self.ranker = (ranker or Ranker(seed=seed)) if strategy == "uncertainty" else None
        self._retrain()
        self.current = self._pick()

    def _pick(self, avoid: str | None = None) -> str | None:
        scores = self.ranker.scores if self.ranker else None
        explore = is_random_pick(self.seed, len(self.log.live), self.random_fraction)
        picked = pick_next(self.order, _Closed(self, avoid), self.log.skipped, scores, explore)
        if picked is None and avoid is not None:
            picked = pick_next(self.order, _Closed(self), self.log.skipped, scores, explore)
        return picked

    def _changed(self, unit_id: str) -> None:
        if self.team is not None:
            self.team.changed(self.annotator, unit_id, unit_id in self.log.live)
        self._retrain()

    def _retrain(self) -> None:
        if self.ranker is None:
            return
        labelled = [(self.units[u].text, r.label or "") for u, r in self.log.live.items() if u in self.units]
        pending = (u for u in self.order if u not in _Closed(self))
        pool = [(u, self.units[u].text) for _, u in zip(range(POOL_SIZE), pending, strict=False)]
        self.ranker.update(labelled, pool)

    def _suggestion(self, unit_id: str) -> tuple[str, float] | None:
        if self.suggest is None:
            return None
        if unit_id not in self._suggestions:
            self._suggestions[unit_id] = self.suggest(self.units[unit_id].text)
        return self._suggestions[unit_id]

    def _record(self, unit: Unit, **fields: Any) -> LabelRecord:
        suggestion = self._suggestion(unit.unit_id)
        return super()._record(unit, suggestion=suggestion[0] if suggestion else None, **fields)

    def _extra(self, unit_id: str) -> dict[str, Any]:
        suggestion = self._suggestion(unit_id)
        if suggestion is None:
            return {}
        return {"suggestion": {"label": suggestion[0], "confidence": round(suggestion[1], 3)}}

    def _progress(self) -> dict[str, Any]:
        progress = super()._progress()
        if self.team is not None and self.team.overlap:
            closed = _Closed(self)
            progress["total"] = sum(
                unit_id in self.log.live or unit_id not in closed for unit_id in self.units
            )
        return progress

    def _status(self) -> str:
        status = self.ranker.status if self.ranker else "random order (seeded)"
        if self.team is not None and self.team.overlap:
            status += f"; each unit goes to {self.team.overlap} annotator(s)"
        if self.current is not None and self.current in self.log.skipped:
            status += "; now the units you skipped"
        return status


def model_suggester(model: str | Path | None = None) -> Suggester:
    """Suggestions from a trained model (``None``: ``$FRAMING_MODEL`` or ``models/framing.joblib``).

    Loads the model now, so a missing or modified model is reported before labelling starts.
    """
    from framing.model.predict import load_model, predict

    loaded = load_model(model)

    def suggest(text: str) -> tuple[str, float]:
        prediction = predict(text, loaded)
        return prediction.label, prediction.probabilities[prediction.label]

    return suggest
