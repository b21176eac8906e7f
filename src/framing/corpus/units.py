"""The unit: what gets labelled (one sentence, or one whole reader comment), and its JSON Lines file.

``Unit`` is the data contract between ingest, labelling, training and
prediction: ``{unit_id, doc_id, kind, position, text, prev, next, meta}``.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from framing.errors import FramingError, IngestError
from framing.files import atomic_write, iter_jsonl

UnitKind = Literal["sentence", "comment"]


@dataclass(frozen=True)
class Unit:
    """One labellable unit; the data contract between ingest, labelling and training."""

    unit_id: str
    doc_id: str
    kind: UnitKind
    position: int
    text: str
    prev: str = ""
    next: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """One JSON Lines record."""
        return json.dumps(asdict(self), ensure_ascii=False)


def normalise(text: str) -> str:
    """Unicode-normalised text with runs of white space folded to one space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def make_unit_id(doc_id: str, text: str, occurrence: int = 0) -> str:
    """A stable id from the document id and the normalised text.

    ``occurrence`` tells apart repeats of the same text within one document.

    >>> make_unit_id("doc", "Budgets  were cut.") == make_unit_id("doc", "Budgets were cut.")
    True
    """
    key = f"{doc_id}\x1f{normalise(text)}" + (f"\x1f{occurrence}" if occurrence else "")
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def write_units(units: Iterable[Unit], output: str | Path) -> int:
    """Stream ``units`` to ``output`` (JSON Lines) atomically; return how many."""
    count = 0
    with atomic_write(output) as stream:
        for unit in units:
            stream.write(unit.to_json() + "\n")
            count += 1
    return count


def read_units(path: str | Path) -> list[Unit]:
    """Load units written by :func:`write_units`."""
    path = Path(path)
    if not path.exists():
        raise IngestError(f"{path}: no units file. Run `framing ingest data/raw` (or `make units`) first.")
    units = []
    try:
        for number, record in iter_jsonl(path):
            try:
                units.append(Unit(**record))
            except TypeError as exc:
                raise IngestError(f"{path}:{number}: not a unit record ({exc}).") from None
    except FramingError as exc:
        raise IngestError(str(exc)) from None
    return units
