"""Training: choose hyper-parameters by grouped cross-validation, fit, and save."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sklearn.model_selection import GridSearchCV

from framing import __version__
from framing.codebook import CODEBOOK_VERSION, LABELS
from framing.corpus.units import read_units
from framing.errors import NoTrainingDataError
from framing.labels.store import LabelRecord, training_labels
from framing.model.nlp import DEFAULT_PIPELINE
from framing.model.persist import save_model
from framing.model.pipeline import SEED, hyper_parameters, model_search

MIN_GROUPS = 2


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


def check_trainable(data: LabelledData) -> None:
    """Raise a clear error when the data cannot support grouped cross-validation."""
    n_groups = len(set(data.groups))
    present = sorted(set(data.labels))
    if n_groups < MIN_GROUPS or len(present) < 2:
        raise NoTrainingDataError(
            f"Too little to train on: {len(data)} labelled units from {n_groups} document(s) "
            f"with label(s) {present}. Need at least {MIN_GROUPS} documents and 2 labels."
        )


def select_and_fit(
    data: LabelledData, seed: int = SEED, spacy_model: str = DEFAULT_PIPELINE, n_jobs: int = 1
) -> GridSearchCV:
    """Grid-search the pipeline with folds grouped by document, scored by macro-F1, then refit."""
    check_trainable(data)
    search = model_search(len(set(data.groups)), seed, spacy_model, n_jobs)
    search.fit(data.texts, data.labels, groups=data.groups)
    return search


def train(
    labels_dir: str | Path = "data/labels",
    output: str | Path = "models/framing.joblib",
    units_path: str | Path | None = "data/units.jsonl",
    seed: int = SEED,
    spacy_model: str = DEFAULT_PIPELINE,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Train on the labels in ``labels_dir``, save to ``output``, return the saved metadata."""
    data = load_labelled(labels_dir, units_path)
    search = select_and_fit(data, seed, spacy_model, n_jobs)
    best = search.best_index_
    results = search.cv_results_
    fold_scores = [float(results[f"split{i}_test_score"][best]) for i in range(search.n_splits_)]
    metadata = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "framing_version": __version__,
        "labels": list(LABELS),
        "codebook_version": CODEBOOK_VERSION,
        "spacy_model": spacy_model,
        "seed": seed,
        "training_source": data.source,
        "training_units": len(data),
        "training_documents": len(set(data.groups)),
        "units_per_label": {label: Counter(data.labels)[label] for label in LABELS},
        "training_data_sha256": data.sha256(),
        "cv": {
            "protocol": f"{search.n_splits_}-fold StratifiedGroupKFold by document, seed {seed}",
            "scoring": "macro-F1",
            "best_params": hyper_parameters(search.best_estimator_),
            "macro_f1_mean": float(results["mean_test_score"][best]),
            "macro_f1_std": float(results["std_test_score"][best]),
            "macro_f1_folds": fold_scores,
            "note": "Score of the configuration selected on these same folds (optimistic); "
            "`make evaluate` reports nested, unbiased estimates.",
        },
    }
    return save_model(search.best_estimator_, metadata, output)
