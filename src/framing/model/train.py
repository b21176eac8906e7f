"""Training: choose hyper-parameters by grouped cross-validation, fit, and save."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sklearn.model_selection import GridSearchCV

from framing import __version__
from framing.codebook import CODEBOOK_VERSION, LABELS
from framing.labels.dataset import LabelledData, check_trainable, load_labelled
from framing.model.nlp import DEFAULT_PIPELINE
from framing.model.persist import save_model
from framing.model.pipeline import SEED, hyper_parameters, model_search


def select_and_fit(
    data: LabelledData, seed: int = SEED, spacy_model: str = DEFAULT_PIPELINE, n_jobs: int = 1
) -> GridSearchCV:
    """Grid-search the pipeline with folds grouped by document, scored by macro-F1, then refit."""
    search = model_search(len(set(data.groups)), seed, spacy_model, n_jobs)
    check_trainable(data, search.cv)
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
