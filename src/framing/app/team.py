"""Several annotators on one labelling server: a session per annotator, and how many see each unit.

An annotator picks or enters a name on the page; :meth:`Team.session` opens
(and locks) that annotator's own append-only file on first use. The overlap
says how many annotators should label each unit, like Prodigy's
``feed_overlap`` or Argilla's ``min_submitted``: a unit is offered to an
annotator only while fewer than ``overlap`` other annotators have labelled
it or are looking at it, so every unit ends up with that many labels for
agreement and review. ``overlap`` 0 offers every unit to every annotator.

Labels of annotators without a session here (another server, an import) are
read from their files, again whenever a file changes.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from framing.app.session import LabellingSession, Suggester
from framing.app.stream import RANDOM_FRACTION, RETRAIN_EVERY, Ranker
from framing.corpus.units import Unit
from framing.errors import IngestError, LabelFileError
from framing.labels.store import annotator_files, check_annotator, latest, read_records
from framing.model.pipeline import SEED


class Team:
    """The annotators of one server: each one's :class:`LabellingSession`, opened on first use.

    ``only``: the one annotator this server labels for (``framing label
    --annotator NAME``); ``None`` lets anyone pick or enter a name. The other
    arguments are passed to each session.
    """

    mode = "label"

    def __init__(
        self,
        units: Sequence[Unit],
        labels_dir: str | Path,
        overlap: int = 0,
        only: str | None = None,
        strategy: str = "random",
        seed: int = SEED,
        random_fraction: float = RANDOM_FRACTION,
        retrain_every: int = RETRAIN_EVERY,
        suggest: Suggester | None = None,
    ) -> None:
        if overlap < 0:
            raise ValueError(f"Overlap {overlap}? Use 0 (every annotator sees every unit) or more.")
        if not units:
            raise IngestError("No units to label: the source holds none.")
        self.units = list(units)
        self.labels_dir = Path(labels_dir)
        self.overlap = overlap
        self.only = check_annotator(only) if only else None
        self.options: dict[str, Any] = {
            "strategy": strategy,
            "seed": seed,
            "random_fraction": random_fraction,
            "suggest": suggest,
        }
        self.retrain_every = retrain_every
        self.sessions: dict[str, LabellingSession] = {}
        self._labelled: dict[str, set[str]] = {}
        self._count: Counter[str] = Counter()
        self._stamps: dict[str, tuple[int, int]] = {}
        self._lock = threading.RLock()
        self._refresh()

    def __enter__(self) -> Team:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def names(self) -> list[str]:
        """The annotators this server knows: those with a labels file, and those labelling here."""
        if self.only:
            return [self.only]
        with self._lock:
            return sorted({path.stem for path in annotator_files(self.labels_dir)} | set(self.sessions))

    def session(self, name: object) -> LabellingSession:
        """The session of annotator ``name``, opened (its file locked) on first use."""
        if name is None and self.only:
            name = self.only
        if not isinstance(name, str) or not name:
            raise LabelFileError("Say who is labelling: pick or enter an annotator name.")
        if self.only and name != self.only:
            raise LabelFileError(f"This server labels as {self.only} only; start another for {name}.")
        with self._lock:
            if name not in self.sessions:
                check_annotator(name)
                self._forget(name)
                ranker = None
                if self.options["strategy"] == "uncertainty":
                    ranker = Ranker(every=self.retrain_every, seed=self.options["seed"])
                session = LabellingSession(
                    self.units, self.labels_dir, name, ranker=ranker, team=self, **self.options
                )
                self.sessions[name] = session
                self._set(name, set(session.log.live))
            return self.sessions[name]

    def close(self) -> None:
        """Close every session, releasing their files."""
        with self._lock:
            for session in self.sessions.values():
                session.close()
            self.sessions.clear()

    def is_open(self, annotator: str, unit_id: str) -> bool:
        """Whether ``unit_id`` may still be offered to ``annotator`` under the overlap."""
        if not self.overlap:
            return True
        with self._lock:
            others = self._count[unit_id] - (unit_id in self._labelled.get(annotator, ()))
            others += sum(
                session.current == unit_id for name, session in self.sessions.items() if name != annotator
            )
            return others < self.overlap

    def changed(self, annotator: str, unit_id: str, labelled: bool) -> None:
        """A session's decision on ``unit_id`` changed: it is now labelled, or not."""
        with self._lock:
            mine = self._labelled.setdefault(annotator, set())
            if labelled and unit_id not in mine:
                mine.add(unit_id)
                self._count[unit_id] += 1
            elif not labelled and unit_id in mine:
                mine.discard(unit_id)
                self._count[unit_id] -= 1

    def _set(self, annotator: str, unit_ids: set[str]) -> None:
        self._forget(annotator)
        self._labelled[annotator] = unit_ids
        self._count.update(unit_ids)

    def _forget(self, annotator: str) -> None:
        self._count.subtract(self._labelled.pop(annotator, set()))
        self._stamps.pop(annotator, None)

    def refresh(self) -> None:
        """Re-read the files of annotators without a session here that changed since last read."""
        with self._lock:
            self._refresh()

    def _refresh(self) -> None:
        for path in annotator_files(self.labels_dir):
            name = path.stem
            if name in self.sessions:
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            stamp = (stat.st_mtime_ns, stat.st_size)
            if self._stamps.get(name) != stamp:
                self._set(name, set(latest(read_records(path).records)))
                self._stamps[name] = stamp
