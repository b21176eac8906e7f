"""Classification metrics with document-level bootstrap intervals, and calibration error.

Every score is computed from a confusion matrix (rows gold, columns predicted,
in :data:`framing.codebook.LABELS` order), so one vectorised function serves
both the point estimate and thousands of bootstrap resamples. A resample draws
documents with replacement and keeps all the units of each drawn document, so
the intervals account for units of one document being alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, confusion_matrix, precision_recall_curve

from framing.codebook import LABELS

CONFIDENCE = 0.95
N_RESAMPLES = 2000
N_BINS = 10
HEADLINE = ("accuracy", "macro_f1", "kappa")
"""The scores shown in headline tables, in order."""
SYSTEMS = {
    "model": "framing model",
    "seed_only": "model on the main labels alone",
    "lexicon": "keyword lexicon",
    "majority": "majority class",
}
"""The systems compared in every table, by key: the model and its baselines (``seed_only`` only when
extra labelled sets were used for training)."""


def scores_from_confusion(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, macro-F1, Cohen's kappa and per-label precision/recall/F1 of confusion matrices.

    ``matrix`` has shape ``(..., K, K)``; every score keeps the leading shape
    (per-label scores gain a last axis of length K). Undefined values (a label
    never predicted has no precision) are NaN; macro-F1 averages the labels
    present in the gold or the predicted labels, like scikit-learn's
    ``f1_score(average="macro", zero_division=np.nan)``.

    >>> s = scores_from_confusion(np.array([[2, 1], [0, 1]]))
    >>> float(s["accuracy"]), s["precision"].tolist(), round(float(s["kappa"]), 3)
    (0.75, [1.0, 0.5], 0.5)
    """
    matrix = np.asarray(matrix, dtype=float)
    true_positive = np.diagonal(matrix, axis1=-2, axis2=-1)
    gold = matrix.sum(axis=-1)
    predicted = matrix.sum(axis=-2)
    n = gold.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = 2 * true_positive / (gold + predicted)
        accuracy = true_positive.sum(axis=-1) / n
        chance = (gold * predicted).sum(axis=-1) / n**2
        present = ~np.isnan(f1)
        macro_f1 = np.where(present, f1, 0).sum(axis=-1) / present.sum(axis=-1)
        return {
            "accuracy": accuracy,
            "macro_f1": macro_f1,
            "kappa": (accuracy - chance) / (1 - chance),
            "precision": true_positive / predicted,
            "recall": true_positive / gold,
            "f1": f1,
        }


def group_confusions(gold: Sequence[str], predicted: Sequence[str], groups: Sequence[str]) -> np.ndarray:
    """One confusion matrix per document, shape (G, K, K)."""
    names, codes = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    position = {label: k for k, label in enumerate(LABELS)}
    matrices = np.zeros((len(names), len(LABELS), len(LABELS)), dtype=np.int64)
    np.add.at(matrices, (codes, [position[y] for y in gold], [position[p] for p in predicted]), 1)
    return matrices


def resample_weights(n_groups: int, n_resamples: int, seed: int) -> np.ndarray:
    """How often each of ``n_groups`` documents is drawn in each resample, shape (B, G).

    Drawing ``n_groups`` documents with replacement is a multinomial draw with
    equal probabilities; a seeded :class:`numpy.random.Generator` makes it repeatable.
    """
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_groups, np.full(n_groups, 1 / n_groups), size=n_resamples)


def interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float | None, float | None]:
    """Percentile interval of bootstrap ``values`` (axis 0), ignoring undefined resamples."""
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None, None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def estimate(value: float, resampled: np.ndarray, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """``{"value", "low", "high"}``; an undefined value (NaN) becomes ``None``."""
    low, high = interval(resampled, confidence)
    return {"value": None if np.isnan(value) else float(value), "low": low, "high": high}


def classification_report(
    gold: Sequence[str],
    predicted: Sequence[str],
    groups: Sequence[str],
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> dict[str, Any]:
    """Every score with a bootstrap interval that resamples ``groups`` (documents).

    Returns ``{"n", "documents", "scores": {accuracy, macro_f1, kappa},
    "per_label": {label: {precision, recall, f1, support}}, "confusion_matrix"}``,
    each score as ``{"value", "low", "high"}``.

    >>> r = classification_report(["none", "resource"], ["none", "none"], ["d1", "d2"], 200)
    >>> r["scores"]["accuracy"]["value"], r["per_label"]["none"]["precision"]["value"]
    (0.5, 0.5)
    """
    matrix = confusion_matrix(gold, predicted, labels=list(LABELS))
    point = scores_from_confusion(matrix)
    per_group = group_confusions(gold, predicted, groups)
    weights = resample_weights(len(per_group), n_resamples, seed)
    resampled = scores_from_confusion(np.tensordot(weights, per_group, axes=1))
    return {
        "n": len(gold),
        "documents": len(per_group),
        "scores": {name: estimate(point[name], resampled[name], confidence) for name in HEADLINE},
        "per_label": {
            label: {
                **{
                    name: estimate(point[name][k], resampled[name][:, k], confidence)
                    for name in ("precision", "recall", "f1")
                },
                "support": int(matrix[k].sum()),
            }
            for k, label in enumerate(LABELS)
        },
        "confusion_matrix": matrix.tolist(),
    }


def paired_differences(
    gold: Sequence[str],
    first: Sequence[str],
    second: Sequence[str],
    groups: Sequence[str],
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> dict[str, dict[str, Any]]:
    """Headline scores of ``first`` minus those of ``second``, both scored on the same document resamples.

    An interval that excludes 0 says the data tell the two systems apart.

    >>> gold = ["none", "resource"]
    >>> d = paired_differences(gold, gold, ["none", "none"], ["d1", "d2"], 200)
    >>> d["accuracy"]["value"]
    0.5
    """
    point, resampled = _paired_scores(gold, first, second, groups, n_resamples, seed)
    return {name: estimate(point[name], resampled[name], confidence) for name in HEADLINE}


def paired_label_differences(
    gold: Sequence[str],
    first: Sequence[str],
    second: Sequence[str],
    groups: Sequence[str],
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> dict[str, dict[str, Any]]:
    """Per-label F1 of ``first`` minus ``second``, on the same resamples as :func:`paired_differences`.

    >>> gold = ["none", "resource"]
    >>> d = paired_label_differences(gold, gold, ["none", "none"], ["d1", "d2"], 200)
    >>> round(d["none"]["value"], 3), d["resource"]["value"]
    (0.333, 1.0)
    """
    point, resampled = _paired_scores(gold, first, second, groups, n_resamples, seed)
    return {
        label: estimate(point["f1"][k], resampled["f1"][:, k], confidence) for k, label in enumerate(LABELS)
    }


def _paired_scores(
    gold: Sequence[str],
    first: Sequence[str],
    second: Sequence[str],
    groups: Sequence[str],
    n_resamples: int,
    seed: int,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every score of ``first`` minus ``second``: point values and values on each document resample."""
    a, b = group_confusions(gold, first, groups), group_confusions(gold, second, groups)
    weights = resample_weights(len(a), n_resamples, seed)
    point_a, point_b = scores_from_confusion(a.sum(axis=0)), scores_from_confusion(b.sum(axis=0))
    resampled_a = scores_from_confusion(np.tensordot(weights, a, axes=1))
    resampled_b = scores_from_confusion(np.tensordot(weights, b, axes=1))
    return (
        {name: point_a[name] - point_b[name] for name in point_a},
        {name: resampled_a[name] - resampled_b[name] for name in resampled_a},
    )


def calibration_report(
    confidence_of_prediction: Sequence[float],
    correct: Sequence[bool],
    groups: Sequence[str],
    n_bins: int = N_BINS,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> dict[str, Any]:
    """Reliability bins and the expected calibration error (ECE) with a document-bootstrap interval.

    Each prediction falls in one of ``n_bins`` equal-width bins ``(lower, upper]``
    of its confidence (the probability of the predicted label). ECE is the
    mean over bins of ``|accuracy - mean confidence|``, weighted by the share
    of predictions in the bin.

    >>> r = calibration_report([0.9, 0.9, 0.6, 0.6], [True, False, True, True], ["a", "b", "c", "d"], 10, 50)
    >>> round(r["ece"]["value"], 3), [b["count"] for b in r["bins"] if b["count"]]
    (0.4, [2, 2])
    """
    scores = np.asarray(confidence_of_prediction, dtype=float)
    hits = np.asarray(correct, dtype=float)
    edges = np.linspace(0, 1, n_bins + 1)
    bin_of = np.digitize(scores, edges[1:-1], right=True)
    names, group_of = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    # Per document and bin: number of predictions, summed confidence, summed hits.
    sums = np.zeros((len(names), n_bins, 3))
    np.add.at(sums, (group_of, bin_of), np.column_stack([np.ones_like(scores), scores, hits]))
    weights = resample_weights(len(names), n_resamples, seed)
    point = sums.sum(axis=0)
    return {
        "n_bins": n_bins,
        "ece": estimate(_ece(point), _ece(np.tensordot(weights, sums, axes=1)), confidence),
        "bins": [
            {
                "lower": float(edges[b]),
                "upper": float(edges[b + 1]),
                "count": int(point[b, 0]),
                "confidence": float(point[b, 1] / point[b, 0]) if point[b, 0] else None,
                "accuracy": float(point[b, 2] / point[b, 0]) if point[b, 0] else None,
            }
            for b in range(n_bins)
        ],
    }


def _ece(sums: np.ndarray) -> np.ndarray:
    """ECE of per-bin (count, summed confidence, summed hits), shape (..., bins, 3)."""
    count, confidence, hits = sums[..., 0], sums[..., 1], sums[..., 2]
    return np.abs(hits - confidence).sum(axis=-1) / count.sum(axis=-1)


PROBABILITY_FLOOR = 1e-15
"""Probabilities are clipped here before the log, as scikit-learn's ``log_loss`` used to."""


def unit_losses(probabilities: np.ndarray, gold: Sequence[str]) -> dict[str, np.ndarray]:
    """Per unit: log loss (``-log p[gold]``) and Brier score (``sum_k (p_k - [k = gold])^2``, 0 to 2).

    >>> losses = unit_losses(np.array([[0.5, 0.5, 0, 0]]), [LABELS[0]])
    >>> round(float(losses["log_loss"][0]), 3), float(losses["brier"][0])
    (0.693, 0.5)
    """
    probabilities = np.asarray(probabilities, dtype=float)
    truth = np.eye(len(LABELS))[[LABELS.index(label) for label in gold]]
    chosen = np.clip((probabilities * truth).sum(axis=1), PROBABILITY_FLOOR, None)
    return {"log_loss": -np.log(chosen), "brier": ((probabilities - truth) ** 2).sum(axis=1)}


def probability_report(
    probabilities: np.ndarray,
    prior: np.ndarray,
    gold: Sequence[str],
    groups: Sequence[str],
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> dict[str, dict[str, Any]]:
    """Mean log loss and Brier score of the model's probabilities and of ``prior``, and their difference.

    ``prior`` holds per unit the probabilities a model knowing only the
    training label shares would give. Intervals resample documents, paired
    for the difference (negative: the model is better).
    """
    names, group_of = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    weights = resample_weights(len(names), n_resamples, seed)
    counts = np.bincount(group_of, minlength=len(names)).astype(float)
    model, reference = unit_losses(probabilities, gold), unit_losses(prior, gold)
    report = {}
    for score in ("log_loss", "brier"):
        values = {"model": model[score], "prior": reference[score]}
        values["model_minus_prior"] = values["model"] - values["prior"]
        report[score] = {}
        for name, per_unit in values.items():
            sums = np.bincount(group_of, weights=per_unit, minlength=len(names))
            report[score][name] = estimate(
                float(per_unit.mean()), (weights @ sums) / (weights @ counts), confidence
            )
    return report


def precision_recall_curves(probabilities: np.ndarray, gold: Sequence[str]) -> dict[str, dict[str, Any]]:
    """One-vs-rest precision-recall curve and average precision of each label present in ``gold``.

    The chance level of a label's curve is its share of the units (``prevalence``).
    """
    gold = np.asarray(gold)
    curves = {}
    for k, label in enumerate(LABELS):
        positive = gold == label
        if not positive.any():
            continue
        precision, recall, _ = precision_recall_curve(positive, probabilities[:, k])
        curves[label] = {
            "average_precision": float(average_precision_score(positive, probabilities[:, k])),
            "prevalence": float(positive.mean()),
            "precision": np.round(precision, 4).tolist(),
            "recall": np.round(recall, 4).tolist(),
        }
    return curves
