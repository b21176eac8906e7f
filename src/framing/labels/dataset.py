"""Labelled data for training and evaluation: texts, gold labels and document groups, aligned by index.

:func:`load_labelled` joins a labels folder's training labels (gold, or the
units all annotators agree on) with each unit's document; :func:`read_test_set`
reads an external labelled table. Both return :class:`LabelledData`, which
training, cross-validation and every report use.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framing.codebook import LABELS, check_label
from framing.corpus.tables import column, read_rows
from framing.corpus.units import read_units
from framing.errors import FramingError, NoTrainingDataError, UnknownLabelError
from framing.labels.store import LabelRecord, training_labels

MIN_GROUPS = 2
"""Examples of a label a model needs to learn it: the classifier's calibration uses 3 folds."""


def source_of(doc_id: str) -> str:
    """The source a document comes from: the file or page, i.e. the part of its id before any ``/``.

    A page's reader comments (``page/comment-3``) and an archive page's posts
    (``page/post-title``) share their page's source.

    >>> source_of("004_c661742950fc0f3b/comment-3")
    '004_c661742950fc0f3b'
    """
    return doc_id.split("/", 1)[0]


@dataclass
class LabelledData:
    """Texts, gold labels and document groups, aligned by index.

    ``sets`` names the labelled set each unit comes from (its labels folder),
    so that sets written for training can be kept out of every test fold.
    """

    texts: list[str]
    labels: list[str]
    groups: list[str]
    kinds: list[str]
    unit_ids: list[str]
    source: str = ""
    problems: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.sets:
            self.sets = [self.source] * len(self.texts)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def sources(self) -> list[str]:
        """Each unit's source (file or page), the unit of grouping for evaluation folds."""
        return [source_of(group) for group in self.groups]

    def sha256(self) -> str:
        """A hash of the training data (unit ids, texts and labels, order-independent)."""
        lines = sorted(
            f"{u}\t{t}\t{y}" for u, t, y in zip(self.unit_ids, self.texts, self.labels, strict=True)
        )
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()

    def subset(self, indices: Sequence[int]) -> LabelledData:
        """The units at ``indices``, in that order."""
        pick = [int(i) for i in indices]
        return LabelledData(
            *(
                [values[i] for i in pick]
                for values in (self.texts, self.labels, self.groups, self.kinds, self.unit_ids)
            ),
            source=self.source,
            problems=self.problems,
            sets=[self.sets[i] for i in pick],
        )

    @classmethod
    def concat(cls, parts: Sequence[LabelledData]) -> LabelledData:
        """Several labelled sets as one; each unit keeps its set name."""
        return cls(
            *([value for part in parts for value in getattr(part, name)] for name in _COLUMNS),
            source=" + ".join(part.source for part in parts),
            problems=[problem for part in parts for problem in part.problems],
            sets=[name for part in parts for name in part.sets],
        )

    def describe(self) -> dict[str, Any]:
        """Counts of the set: units, documents, sources, labels, kinds, and its hash."""
        return {
            "source": self.source,
            "units": len(self),
            "documents": len(set(self.groups)),
            "sources": len(set(self.sources)),
            "per_label": {label: self.labels.count(label) for label in LABELS},
            "per_kind": dict(Counter(self.kinds).most_common()),
            "sha256": self.sha256(),
        }


_COLUMNS = ("texts", "labels", "groups", "kinds", "unit_ids")


def load_labelled(labels_dir: str | Path, units_path: str | Path | None = None) -> LabelledData:
    """The training labels of ``labels_dir``, with each unit's document for grouping.

    A record without ``doc_id`` takes it from ``units_path`` (the ingest output);
    failing both, the unit is its own group.
    """
    found = training_labels(labels_dir)
    doc_of: dict[str, tuple[str, str]] = {}
    if units_path is not None and Path(units_path).exists():
        doc_of = {u.unit_id: (u.doc_id, u.kind) for u in read_units(units_path)}
    records: list[LabelRecord] = sorted(found.records, key=lambda r: r.unit_id)
    groups, kinds = [], []
    for record in records:
        doc_id, kind = doc_of.get(record.unit_id, (record.doc_id or record.unit_id, record.kind))
        groups.append(record.doc_id or doc_id)
        kinds.append(record.kind or kind or "sentence")
    return LabelledData(
        texts=[r.text for r in records],
        labels=[r.label or "" for r in records],
        groups=groups,
        kinds=kinds,
        unit_ids=[r.unit_id for r in records],
        source=found.source,
        problems=found.problems,
        sets=[str(labels_dir)] * len(records),
    )


def load_training_sets(
    labels_dir: str | Path, units_path: str | Path | None = None, extra_dirs: Sequence[str | Path] = ()
) -> tuple[LabelledData, list[LabelledData]]:
    """The main labelled set (real text, the one evaluated) and the extra sets (training only)."""
    return load_labelled(labels_dir, units_path), [load_labelled(d) for d in extra_dirs]


def check_trainable(data: LabelledData, folds: Any = None) -> None:
    """Raise a clear error, before any fitting, when the data cannot train a model of every label.

    Needs :data:`MIN_GROUPS` documents and units of every label, and, with
    ``folds`` (the grouped splitter of model selection), labels enough to split
    them by source.
    """
    n_groups = len(set(data.groups))
    counts = Counter(data.labels)
    present = sorted(counts)
    if n_groups < MIN_GROUPS or len(present) < 2:
        raise NoTrainingDataError(
            f"Too little to train on: {len(data)} labelled units from {n_groups} document(s) "
            f"with label(s) {present}. Need at least {MIN_GROUPS} documents and 2 labels."
        )
    missing = [label for label in LABELS if not counts[label]]
    if missing:
        raise NoTrainingDataError(
            f"No training units labelled {' or '.join(missing)} (units per label: "
            f"{', '.join(f'{label} {counts[label]}' for label in LABELS)}). The model must learn every "
            "label: label some units as " + " and ".join(missing) + " first."
        )
    if folds is not None:
        try:
            with warnings.catch_warnings():  # the splitter's warning about rare labels says less
                warnings.simplefilter("ignore", UserWarning)
                list(folds.split(data.texts, data.labels, data.sources))
        except ValueError as exc:
            raise NoTrainingDataError(
                f"Too few labels to train with cross-validation grouped by source: {len(data)} units from "
                f"{len(set(data.sources))} source(s) (units per label: "
                f"{', '.join(f'{label} {counts[label]}' for label in LABELS)}); {exc} Label more units, "
                "from more documents."
            ) from None


def read_test_set(path: str | Path) -> LabelledData:
    """An external labelled set: a table (JSON Lines, CSV, Parquet) with ``text`` and ``label``.

    Optional fields: ``doc_id`` (without it each unit is its own document for
    the bootstrap), ``kind`` (default ``sentence``) and ``unit_id``.
    """
    path = Path(path)
    texts, labels, groups, kinds, ids = [], [], [], [], []
    for number, row in read_rows(path):
        text = column(path, number, row, "text", option="a 'text' column")
        label = column(path, number, row, "label", option="a 'label' column")
        if not isinstance(text, str):
            raise FramingError(f"{path}:{number}: the text must be a string, not {text!r}.")
        try:
            check_label(label)
        except UnknownLabelError as exc:
            raise FramingError(f"{path}:{number}: {exc}") from None
        unit_id = str(row.get("unit_id") or f"row{number}")
        texts.append(text)
        labels.append(label)
        groups.append(str(row.get("doc_id") or unit_id))
        kinds.append(str(row.get("kind") or "sentence"))
        ids.append(unit_id)
    if not texts:
        raise FramingError(f"{path}: no labelled rows.")
    return LabelledData(texts, labels, groups, kinds, ids, source=str(path))
