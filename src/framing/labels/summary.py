"""Per-annotator summary: labels, skips, time on task and labelled units per hour."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from framing.labels.store import LabelRecord


@dataclass
class AnnotatorSummary:
    """One annotator's work, from their labels file.

    ``labelled`` and ``skipped`` count units by their current decision.
    ``hours`` is the time on task of every timed label or skip decision (edits
    included); ``units_per_hour`` is timed labels per hour of it, so time spent
    on skips slows the rate, as it does in practice.
    """

    annotator: str
    labelled: int
    skipped: int
    timed: int
    hours: float
    median_seconds: float | None
    units_per_hour: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def summarise(records: Iterable[LabelRecord]) -> list[AnnotatorSummary]:
    """A summary per annotator found in ``records`` (in file order), sorted by name.

    >>> from framing.labels.store import LabelRecord as R
    >>> label = R("u1", "t", "none", "a", seconds=6.0)
    >>> skip = R("u2", "t", None, "a", decision="skip", seconds=6.0)
    >>> [s] = summarise([label, skip])
    >>> (s.labelled, s.skipped, s.units_per_hour)
    (1, 1, 300.0)
    """
    by_annotator: dict[str, list[LabelRecord]] = {}
    for record in records:
        by_annotator.setdefault(record.annotator, []).append(record)
    summaries = []
    for name in sorted(by_annotator):
        current: dict[str, LabelRecord] = {}
        for record in by_annotator[name]:
            current[record.unit_id] = record
        timed = [r for r in by_annotator[name] if r.seconds is not None and r.decision != "retract"]
        seconds = sum(r.seconds or 0.0 for r in timed)
        timed_labels = sum(r.decision == "label" for r in timed)
        summaries.append(
            AnnotatorSummary(
                annotator=name,
                labelled=sum(r.decision == "label" for r in current.values()),
                skipped=sum(r.decision == "skip" for r in current.values()),
                timed=len(timed),
                hours=round(seconds / 3600, 3),
                median_seconds=round(statistics.median(r.seconds or 0.0 for r in timed), 1)
                if timed
                else None,
                units_per_hour=round(3600 * timed_labels / seconds, 1) if seconds > 0 else None,
            )
        )
    return summaries
