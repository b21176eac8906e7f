"""What a protocol's predictions say: scores, calibration, errors, breakdowns, learning curve."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from scipy import stats
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline

from framing.codebook import LABELS
from framing.experiment.explain import contrast
from framing.experiment.metrics import (
    N_RESAMPLES,
    SYSTEMS,
    calibration_report,
    classification_report,
    paired_differences,
    precision_recall_curves,
    probability_report,
)
from framing.experiment.protocols import Predictions, Split
from framing.labels.dataset import LabelledData
from framing.model.pipeline import SEED, fit_params, hyper_parameters

CURVE_FRACTIONS = (0.2, 0.4, 0.6, 0.8, 1.0)
CURVE_SEEDS = 3
N_EXAMPLES = 10


def document_subset(
    indices: np.ndarray, groups: np.ndarray, labels: np.ndarray, fraction: float, rng: np.random.Generator
) -> np.ndarray:
    """The units of a random ``fraction`` of the documents of ``indices`` (at least one document).

    Whole documents are drawn, as a new labelled document would add all its
    units at once. Should the drawn documents hold fewer than two labels (a
    classifier needs two), more are drawn in the same random order until they do.
    """
    documents = rng.permutation(np.unique(groups[indices]))
    take = max(1, round(fraction * len(documents)))
    while take < len(documents) and len(set(labels[np.isin(groups, documents[:take])])) < 2:
        take += 1
    chosen = indices[np.isin(groups[indices], documents[:take])]
    return np.sort(chosen)


def _curve_point(pipeline: Pipeline, training: LabelledData, test: LabelledData, main_units: int) -> float:
    # Macro-F1 depends only on the predicted label, which calibration never changes: fit without it.
    # The first ``main_units`` units are real text: the others weigh as the fold's model chose.
    main_set = np.arange(len(training)) < main_units
    fitted = clone(pipeline).set_params(classifier__n_splits=1)
    fitted.fit(training.texts, training.labels, **fit_params(training.groups, main_set))
    return fold_macro_f1(test.labels, fitted.predict(test.texts))


def fold_macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 of one fold over the labels present in ``gold`` or ``predicted``, as in model selection."""
    return float(f1_score(gold, predicted, average="macro", zero_division=0))


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Mean ± Student's t quantile × standard error of ``values`` (the mean twice if there is one value)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, mean
    half = stats.t.ppf((1 + confidence) / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean - float(half), mean + float(half)


def learning_curve(
    pipelines: Sequence[Pipeline],
    data: LabelledData,
    folds: list[Split],
    baselines: dict[str, list[str]],
    extra: LabelledData | None = None,
    fractions: Sequence[float] = CURVE_FRACTIONS,
    n_seeds: int = CURVE_SEEDS,
    seed: int = SEED,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Mean of per-fold macro-F1 on the held-out outer folds after training on growing shares of documents.

    ``pipelines[k]`` is the model outer fold ``k``'s selection chose: the
    curve refits its configuration on random subsets of the fold's training
    documents (:func:`document_subset`, once per seed; the full training fold
    is the same for every seed, so it is fitted once). ``extra`` (text
    written for training) is added whole to every training subset, so the
    curve asks whether more labelled documents of the main set would help.
    Each point has the mean over seeds × folds with a t-based 95% interval;
    ``baselines`` (labels per unit) are scored on the same folds for reference.
    """
    labels, groups = np.asarray(data.labels), np.asarray(data.groups, dtype=object)
    tasks = []  # (fraction, seed index, fold index, training subset, test units)
    for fraction in fractions:
        for s in range(1 if fraction >= 1 else n_seeds):
            rng = np.random.default_rng([seed, s, round(fraction * 1000)])
            for k, (train, test) in enumerate(folds):
                tasks.append((fraction, s, k, document_subset(train, groups, labels, fraction, rng), test))

    def training(subset: np.ndarray) -> LabelledData:
        main = data.subset(subset)
        return main if extra is None else LabelledData.concat([main, extra])

    scores = Parallel(n_jobs=n_jobs)(
        delayed(_curve_point)(pipelines[k], training(subset), data.subset(test), len(subset))
        for _, _, k, subset, test in tasks
    )
    # One row per fit: fraction, seed index, fold index, training units, training documents, macro-F1.
    rows = np.array(
        [
            (f, s, k, len(subset), len(set(groups[subset])), f1)
            for (f, s, k, subset, _), f1 in zip(tasks, scores, strict=True)
        ]
    )
    points = []
    for fraction in fractions:
        fraction_rows = rows[rows[:, 0] == fraction]
        seeds, folds_of, f1s = fraction_rows[:, 1], fraction_rows[:, 2], fraction_rows[:, 5]
        low, high = t_interval(f1s)
        points.append(
            {
                "fraction": fraction,
                "training_labels": float(fraction_rows[:, 3].mean()),
                "training_documents": float(fraction_rows[:, 4].mean()),
                "macro_f1": float(f1s.mean()),
                "low": max(low, 0.0),  # macro-F1 lies in [0, 1]
                "high": min(high, 1.0),
                "n": len(f1s),
                "per_fold": [float(f1s[folds_of == k].mean()) for k in range(len(folds))],
                "per_seed": [float(f1s[seeds == s].mean()) for s in np.unique(seeds)],
            }
        )
    reference = {
        name: float(np.mean([fold_macro_f1(labels[test], np.asarray(predicted)[test]) for _, test in folds]))
        for name, predicted in baselines.items()
    }
    return {
        "hyper_parameters": [hyper_parameters(pipeline) for pipeline in pipelines],
        "seeds": n_seeds,
        "folds": len(folds),
        "subsampling": "documents",
        "interval": "t-based 95% interval of the mean over seeds x folds",
        "points": points,
        "baselines": reference,
    }


def analyse(predictions: Predictions, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> dict[str, Any]:
    """Scores of the model and baselines, calibration, errors and breakdowns for one protocol."""
    data = predictions.data
    gold, groups = data.labels, data.groups
    labels_of = {"model": predictions.predicted, **predictions.baselines}
    confidence = predictions.probabilities.max(axis=1)
    correct = [g == p for g, p in zip(gold, labels_of["model"], strict=True)]
    return {
        "units": len(data),
        "documents": len(set(groups)),
        "systems": {
            name: classification_report(gold, labels_of[name], groups, n_resamples, seed)
            for name in SYSTEMS
            if name in labels_of
        },
        "model_minus": {
            name: paired_differences(gold, labels_of["model"], labels_of[name], groups, n_resamples, seed)
            for name in predictions.baselines
        },
        "calibration": calibration_report(confidence, correct, groups, n_resamples=n_resamples, seed=seed),
        "probabilities": probability_report(
            predictions.probabilities, predictions.prior, gold, groups, n_resamples, seed
        ),
        "precision_recall": precision_recall_curves(predictions.probabilities, gold),
        "errors": error_examples(predictions),
        "by_kind": by_kind(data, labels_of, n_resamples, seed),
        "by_document": by_document(data, labels_of["model"]),
        "predictions": unit_predictions(predictions),
    }


def unit_predictions(predictions: Predictions) -> list[dict[str, Any]]:
    """One row per scored unit: ids, gold and predicted labels, probabilities, the fold that predicted it.

    Two evaluations of the same units can be compared unit by unit (``framing compare``).
    """
    data, predicted = predictions.data, predictions.predicted
    return [
        {
            "unit_id": data.unit_ids[i],
            "doc_id": data.groups[i],
            "kind": data.kinds[i],
            "gold": data.labels[i],
            "predicted": predicted[i],
            "probabilities": {label: round(float(p), 6) for label, p in zip(LABELS, row, strict=True)},
            "fold": int(predictions.fold_of[i]) + 1,
        }
        for i, row in enumerate(predictions.probabilities)
    ]


def error_examples(predictions: Predictions, n: int = N_EXAMPLES) -> dict[str, list[dict[str, Any]]]:
    """The ``n`` most confident mistakes and least confident correct predictions, each explained.

    The explanation contrasts the predicted label with the gold label (a
    mistake) or with the runner-up, the second most probable label (a correct
    prediction): see :func:`framing.experiment.explain.contrast`.
    """
    data, probabilities, predicted = predictions.data, predictions.probabilities, predictions.predicted
    confidence = probabilities.max(axis=1)
    runner_up = [LABELS[k] for k in np.argsort(-probabilities, axis=1, kind="stable")[:, 1]]
    wrong = [i for i in range(len(data)) if predicted[i] != data.labels[i]]
    right = [i for i in range(len(data)) if predicted[i] == data.labels[i]]
    chosen = {
        "confident_mistakes": sorted(wrong, key=lambda i: -confidence[i])[:n],
        "unsure_correct": sorted(right, key=lambda i: confidence[i])[:n],
    }
    versus = {i: data.labels[i] for i in chosen["confident_mistakes"]}
    versus.update({i: runner_up[i] for i in chosen["unsure_correct"]})
    explained: dict[int, dict[str, Any]] = {}
    for fold, pipeline in enumerate(predictions.explainers):
        units = [i for group in chosen.values() for i in group if predictions.fold_of[i] == fold]
        explained.update(
            zip(
                units,
                contrast(
                    pipeline,
                    [data.texts[i] for i in units],
                    [predicted[i] for i in units],
                    [versus[i] for i in units],
                ),
                strict=True,
            )
        )
    return {
        name: [
            {
                "unit_id": data.unit_ids[i],
                "doc_id": data.groups[i],
                "kind": data.kinds[i],
                "text": data.texts[i],
                "gold": data.labels[i],
                "predicted": predicted[i],
                "confidence": float(confidence[i]),
                "probability_of_gold": float(probabilities[i, LABELS.index(data.labels[i])]),
                "explanation": explained[i],
            }
            for i in indices
        ]
        for name, indices in chosen.items()
    }


def by_kind(
    data: LabelledData, labels_of: dict[str, list[str]], n_resamples: int, seed: int
) -> list[dict[str, Any]]:
    """Headline scores of every system for each kind of unit (sentence, comment)."""
    rows = []
    for kind in sorted(set(data.kinds)):
        keep = [i for i, k in enumerate(data.kinds) if k == kind]
        gold, groups = [data.labels[i] for i in keep], [data.groups[i] for i in keep]
        reports = {
            name: classification_report(gold, [labels_of[name][i] for i in keep], groups, n_resamples, seed)
            for name in SYSTEMS
            if name in labels_of
        }
        rows.append(
            {
                "kind": kind,
                "units": len(keep),
                "documents": len(set(groups)),
                "scores": {name: report["scores"] for name, report in reports.items()},
            }
        )
    return rows


def by_document(data: LabelledData, predicted: list[str]) -> list[dict[str, Any]]:
    """Per document: units, the model's accuracy, gold labels and confusions; most mistakes first."""
    rows = []
    for doc in sorted(set(data.groups)):
        keep = [i for i, g in enumerate(data.groups) if g == doc]
        confusions = Counter(
            f"{data.labels[i]} → {predicted[i]}" for i in keep if data.labels[i] != predicted[i]
        )
        correct = sum(data.labels[i] == predicted[i] for i in keep)
        rows.append(
            {
                "doc_id": doc,
                "kinds": sorted({data.kinds[i] for i in keep}),
                "units": len(keep),
                "correct": correct,
                "accuracy": correct / len(keep),
                "gold": dict(Counter(data.labels[i] for i in keep).most_common()),
                "confusions": dict(confusions.most_common()),
            }
        )
    return sorted(rows, key=lambda row: (row["correct"] - row["units"], row["accuracy"], row["doc_id"]))


def label_shares(labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per label, its count and share of ``labels``."""
    counts = Counter(labels)
    return {label: {"n": counts[label], "share": counts[label] / max(len(labels), 1)} for label in LABELS}


def external_set_checks(test: LabelledData, main: LabelledData, training: LabelledData) -> dict[str, Any]:
    """How the external test set relates to the training data: shared texts and label distributions.

    ``main`` is the real-text part of ``training`` (all the model's training
    labels). A text counts as shared when it equals a training text once
    runs of white space are made single spaces.
    """
    seen = {" ".join(text.split()) for text in training.texts}
    shared = [i for i, text in enumerate(test.texts) if " ".join(text.split()) in seen]
    return {
        "overlap": {
            "units": len(shared),
            "share": len(shared) / len(test),
            "unit_ids": [test.unit_ids[i] for i in shared],
        },
        "label_shares": {
            "training": label_shares(training.labels),
            "main": label_shares(main.labels),
            "test": label_shares(test.labels),
        },
    }
