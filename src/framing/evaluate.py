"""Evaluation: grouped, nested cross-validated predictions and the metrics computed from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import GridSearchCV, cross_val_predict

from framing.codebook import LABELS
from framing.model import SEED, build_pipeline, grouped_folds, param_grid
from framing.nlp import DEFAULT_PIPELINE
from framing.train import LabelledData, check_trainable, load_labelled


def grouped_cv_predictions(
    data: LabelledData, seed: int = SEED, spacy_model: str = DEFAULT_PIPELINE, n_jobs: int = 1
) -> np.ndarray:
    """Out-of-fold predictions for every unit, the model selection nested inside each fold.

    Outer and inner folds are grouped by document, so no document is ever on
    both sides of a split, and no hyper-parameter is chosen on the units scored.
    """
    check_trainable(data)
    n_groups = len(set(data.groups))
    inner = GridSearchCV(
        build_pipeline(spacy_model=spacy_model, seed=seed),
        param_grid(),
        scoring="f1_macro",
        cv=grouped_folds(n_groups - n_groups // 5, seed, max_splits=4),
    )
    return cross_val_predict(
        inner,
        data.texts,
        data.labels,
        groups=data.groups,
        cv=grouped_folds(n_groups, seed),
        n_jobs=n_jobs,
        params={"groups": data.groups},
    )


def classification_metrics(gold: list[str], predicted: list[str] | np.ndarray) -> dict[str, Any]:
    """Accuracy, macro-F1, per-label precision/recall/F1/support and the confusion matrix.

    >>> m = classification_metrics(["none", "resource"], ["none", "none"])
    >>> m["accuracy"], m["per_label"]["none"]["precision"]
    (0.5, 0.5)
    """
    predicted = list(predicted)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=list(LABELS), zero_division=0
    )
    return {
        "n": len(gold),
        "accuracy": float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)])),
        "macro_f1": float(f1_score(gold, predicted, labels=list(LABELS), average="macro", zero_division=0)),
        "per_label": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(LABELS)
        },
        "confusion_matrix": {
            "labels": list(LABELS),
            "rows_gold_columns_predicted": confusion_matrix(gold, predicted, labels=list(LABELS)).tolist(),
        },
    }


def evaluate(
    labels_dir: str | Path = "data/labels",
    units_path: str | Path | None = "data/units.jsonl",
    output_dir: str | Path = "reports",
    seed: int = SEED,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Score the training procedure by grouped nested CV; write ``metrics.json`` and ``report.md``."""
    data = load_labelled(labels_dir, units_path)
    predicted = grouped_cv_predictions(data, seed, n_jobs=n_jobs)
    metrics = {
        "protocol": "grouped nested cross-validation: outer StratifiedGroupKFold by document, "
        "hyper-parameters chosen inside each training fold",
        "training_source": data.source,
        "documents": len(set(data.groups)),
        "seed": seed,
        **classification_metrics(data.labels, predicted),
    }
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (output_dir / "report.md").write_text(render_markdown(metrics), encoding="utf-8")
    return metrics


def render_markdown(metrics: dict[str, Any]) -> str:
    """A readable Markdown report rendered from the metrics dictionary."""
    lines = [
        "# framing evaluation report",
        "",
        f"Protocol: {metrics['protocol']}.",
        f"Data: {metrics['n']} units from {metrics['documents']} documents ({metrics['training_source']}).",
        "",
        f"**Macro-F1 {metrics['macro_f1']:.3f}**, accuracy {metrics['accuracy']:.3f}.",
        "",
        "| label | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, row in metrics["per_label"].items():
        lines.append(
            f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |"
        )
    matrix = metrics["confusion_matrix"]["rows_gold_columns_predicted"]
    lines += ["", "Confusion matrix (rows: gold, columns: predicted)", ""]
    lines.append("| gold \\ predicted | " + " | ".join(LABELS) + " |")
    lines.append("|---" * (len(LABELS) + 1) + "|")
    for label, row in zip(LABELS, matrix, strict=True):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"
