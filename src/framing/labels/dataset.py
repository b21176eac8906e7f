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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framing.codebook import LABELS, check_label
from framing.corpus.tables import column, read_rows
from framing.corpus.units import read_units
from framing.errors import FramingError, NoTrainingDataError, UnknownLabelError
from framing.labels.store import LabelRecord, training_labels

MIN_GROUPS = 2
MIN_PER_LABEL = 3
"""Examples of a label a model needs to learn it: the classifier's calibration uses 3 folds."""


@dataclass
class LabelledData:
    """Texts, gold labels and document groups, aligned by index."""

    texts: list[str]
    labels: list[str]
    groups: list[str]
    kinds: list[str]
    unit_ids: list[str]
    source: str = ""
    problems: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def sha256(self) -> str:
        """A hash of the training data (unit ids, texts and labels, order-independent)."""
        lines = sorted(
            f"{u}\t{t}\t{y}" for u, t, y in zip(self.unit_ids, self.texts, self.labels, strict=True)
        )
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


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
    )


def check_trainable(data: LabelledData, folds: Any = None) -> None:
    """Raise a clear :class:`NoTrainingDataError` when the data cannot support grouped cross-validation.

    ``folds`` (a splitter with ``split(X, y, groups)``, such as the training's
    grouped folds): also check that every training fold holds at least
    :data:`MIN_PER_LABEL` examples of each label it holds at all, as the
    classifier's calibration needs.
    """
    n_groups = len(set(data.groups))
    counts = Counter(data.labels)
    present = sorted(counts)
    if n_groups < MIN_GROUPS or len(present) < 2:
        raise NoTrainingDataError(
            f"Too little to train on: {len(data)} labelled units from {n_groups} document(s) "
            f"with label(s) {present}. Need at least {MIN_GROUPS} documents and 2 labels."
        )
    short = {label: n for label, n in counts.items() if n < MIN_PER_LABEL}
    if folds is not None and not short:
        with warnings.catch_warnings():  # the splitter's own warning about small labels says less
            warnings.simplefilter("ignore", UserWarning)
            splits = list(folds.split(data.texts, data.labels, data.groups))
        for train, _ in splits:
            in_fold = Counter(data.labels[i] for i in train)
            short |= {label: n for label, n in in_fold.items() if n < MIN_PER_LABEL}
    if short:
        documents = {
            label: len({g for g, y in zip(data.groups, data.labels, strict=True) if y == label})
            for label in short
        }
        detail = "; ".join(
            f"{label}: {counts[label]} in all from {documents[label]} document(s), "
            f"as few as {n} in a training fold"
            for label, n in sorted(short.items())
        )
        raise NoTrainingDataError(
            f"Too few labels to train with cross-validation grouped by document: {len(data)} units from "
            f"{n_groups} documents ({data.source or 'labelled data'}). Each label needs at least "
            f"{MIN_PER_LABEL} examples in every training fold ({detail}). Label more units of "
            f"{', '.join(sorted(short))}, from more documents."
        )


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


def describe_data(data: LabelledData) -> dict[str, Any]:
    """Counts of a labelled set: units, documents, labels, kinds."""
    return {
        "source": data.source,
        "units": len(data),
        "documents": len(set(data.groups)),
        "per_label": {label: data.labels.count(label) for label in LABELS},
        "per_kind": dict(Counter(data.kinds).most_common()),
        "sha256": data.sha256(),
    }
