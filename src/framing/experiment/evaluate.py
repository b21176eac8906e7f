"""Evaluation protocols and the analysis behind ``framing evaluate`` (``make evaluate``).

Two protocols produce predictions for labelled units:

- ``cv``: nested cross-validation grouped by document. Each outer fold's model
  is chosen by a grouped grid search on the outer training documents only, so
  every unit is predicted by a model that never saw its document, and no
  hyper-parameter was chosen on it. The two baselines (majority class, keyword
  lexicon) are scored on the same outer splits.
- ``test``: an external labelled file scored by the trained model (fitted on
  all training labels), against the same baselines.

:func:`evaluate` analyses each protocol's predictions (scores with
document-bootstrap intervals, calibration, errors, breakdowns, and for ``cv``
a learning curve), writes ``reports/<model id>/metrics.json`` and renders the
reports from it (:mod:`framing.report.content`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import cross_val_predict, cross_validate
from sklearn.pipeline import Pipeline

from framing import __version__
from framing.codebook import CODEBOOK_VERSION, DEFINITIONS, LABELS
from framing.corpus.tables import read_rows
from framing.errors import FramingError
from framing.experiment.explain import contributions, top_features
from framing.experiment.metrics import (
    N_RESAMPLES,
    SYSTEMS,
    calibration_report,
    classification_report,
    paired_differences,
)
from framing.model.lexicon import keyword_label
from framing.model.nlp import DEFAULT_PIPELINE, SpacyLemmatizer
from framing.model.persist import FramingModel
from framing.model.pipeline import SEED, grouped_folds, hyper_parameters, model_search
from framing.model.predict import load_model
from framing.model.train import LabelledData, check_trainable, load_labelled
from framing.report.content import estimate_text, write_reports

CURVE_FRACTIONS = (0.2, 0.4, 0.6, 0.8, 1.0)
CURVE_SEEDS = 5
N_EXAMPLES = 10
Split = tuple[np.ndarray, np.ndarray]


@dataclass
class Predictions:
    """One protocol's predictions for ``data``: model probabilities and baseline labels.

    ``explainers[fold_of[i]]`` is the fitted pipeline that predicted unit ``i``.
    """

    data: LabelledData
    probabilities: np.ndarray
    baselines: dict[str, list[str]]
    explainers: list[Pipeline]
    fold_of: np.ndarray

    @property
    def predicted(self) -> list[str]:
        """The model's label for each unit: the most probable one."""
        return [LABELS[k] for k in self.probabilities.argmax(axis=1)]


@dataclass
class Evaluation:
    """What :func:`evaluate` returns: the metrics (as in ``metrics.json``) and the files written."""

    metrics: dict[str, Any]
    files: dict[str, Path]


def probabilities_in_label_order(probabilities: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Reorder columns from ``classes`` order to ``LABELS`` order; unseen labels get 0."""
    result = np.zeros((len(probabilities), len(LABELS)))
    for column, label in enumerate(classes):
        result[:, LABELS.index(label)] = probabilities[:, column]
    return result


def lexicon_labels(texts: Sequence[str], spacy_model: str = DEFAULT_PIPELINE) -> list[str]:
    """The keyword baseline: :func:`framing.model.lexicon.keyword_label` of each text's lemmas."""
    lemmas = SpacyLemmatizer(spacy_model=spacy_model).fit([]).transform(texts)
    return [keyword_label(text) for text in lemmas]


def outer_splits(data: LabelledData, seed: int = SEED) -> list[Split]:
    """The outer folds, grouped by document, shared by the model, the baselines and the learning curve."""
    splitter = grouped_folds(len(set(data.groups)), seed)
    return list(splitter.split(data.texts, data.labels, data.groups))


def nested_cv(
    data: LabelledData,
    folds: list[Split],
    seed: int = SEED,
    spacy_model: str = DEFAULT_PIPELINE,
    n_jobs: int = 1,
) -> tuple[Predictions, list[dict[str, Any]]]:
    """Out-of-fold probabilities from a grid search nested in each grouped outer fold.

    Returns the predictions and, per fold, its size and the hyper-parameters chosen.
    """
    check_trainable(data)
    n_groups = len(set(data.groups))
    inner = model_search(n_groups - n_groups // 5, seed, spacy_model, max_splits=4)
    texts, labels, groups = (
        np.asarray(data.texts, dtype=object),
        np.asarray(data.labels),
        np.asarray(data.groups),
    )
    fitted = cross_validate(
        inner,
        texts,
        labels,
        cv=folds,
        scoring="f1_macro",
        n_jobs=n_jobs,
        params={"groups": groups},
        return_estimator=True,
        error_score="raise",
    )
    probabilities = np.zeros((len(data), len(LABELS)))
    fold_of = np.zeros(len(data), dtype=int)
    info = []
    for i, ((_, test), search) in enumerate(zip(folds, fitted["estimator"], strict=True)):
        probabilities[test] = probabilities_in_label_order(search.predict_proba(texts[test]), search.classes_)
        fold_of[test] = i
        info.append(
            {
                "fold": i + 1,
                "test_units": len(test),
                "test_documents": len(set(groups[test])),
                "macro_f1": float(fitted["test_score"][i]),
                "chosen": hyper_parameters(search.best_estimator_),
            }
        )
    majority = cross_val_predict(DummyClassifier(strategy="most_frequent"), texts, labels, cv=folds)
    baselines = {"lexicon": lexicon_labels(data.texts, spacy_model), "majority": list(majority)}
    explainers = [search.best_estimator_ for search in fitted["estimator"]]
    return Predictions(data, probabilities, baselines, explainers, fold_of), info


def external_test(model: FramingModel, test: LabelledData, training: LabelledData) -> Predictions:
    """Score ``test`` with the trained model; the majority baseline is fitted on ``training``."""
    pipeline = model.pipeline
    probabilities = probabilities_in_label_order(pipeline.predict_proba(test.texts), pipeline.classes_)
    majority = DummyClassifier(strategy="most_frequent").fit(training.texts, training.labels)
    baselines = {
        "lexicon": lexicon_labels(test.texts, model.metadata.get("spacy_model", DEFAULT_PIPELINE)),
        "majority": list(majority.predict(test.texts)),
    }
    return Predictions(test, probabilities, baselines, [pipeline], np.zeros(len(test), dtype=int))


def stratified_subset(
    indices: np.ndarray, labels: np.ndarray, fraction: float, rng: np.random.Generator, minimum: int
) -> np.ndarray:
    """A random ``fraction`` of ``indices`` per label, at least ``minimum`` of each label (if it has them)."""
    chosen = []
    for label in np.unique(labels[indices]):
        members = indices[labels[indices] == label]
        take = min(len(members), max(minimum, round(fraction * len(members))))
        chosen.append(rng.choice(members, take, replace=False))
    return np.sort(np.concatenate(chosen))


def _curve_point(
    pipeline: Pipeline, texts: np.ndarray, labels: np.ndarray, train: np.ndarray, test: np.ndarray
):
    fitted = clone(pipeline).fit(texts[train], labels[train])
    return fold_macro_f1(labels[test], fitted.predict(texts[test]))


def fold_macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the labels present in ``gold`` or ``predicted``, as in model selection."""
    return float(f1_score(gold, predicted, average="macro", zero_division=0))


def learning_curve(
    pipeline: Pipeline,
    data: LabelledData,
    folds: list[Split],
    baselines: dict[str, list[str]],
    fractions: Sequence[float] = CURVE_FRACTIONS,
    n_seeds: int = CURVE_SEEDS,
    seed: int = SEED,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Mean macro-F1 over the held-out outer folds after training on growing subsets of their training units.

    The hyper-parameters stay those of ``pipeline``. Each subset is drawn per
    label (at least as many units per label as the calibration has folds), once
    per seed; the full training fold is the same for every seed, so it is fitted
    once. ``baselines`` (labels per unit) are scored on the same folds for reference.
    """
    texts, labels = np.asarray(data.texts, dtype=object), np.asarray(data.labels)
    calibration_folds = pipeline.get_params().get("classifier__cv")
    minimum = calibration_folds if isinstance(calibration_folds, int) else 3
    tasks = []  # (fraction, seed index, fold index, training subset, test units)
    for fraction in fractions:
        for s in range(1 if fraction >= 1 else n_seeds):
            rng = np.random.default_rng([seed, s, round(fraction * 1000)])
            for k, (train, test) in enumerate(folds):
                tasks.append((fraction, s, k, stratified_subset(train, labels, fraction, rng, minimum), test))
    scores = Parallel(n_jobs=n_jobs)(
        delayed(_curve_point)(pipeline, texts, labels, subset, test) for *_, subset, test in tasks
    )
    # One row per fit: fraction, seed index, fold index, training size, macro-F1.
    rows = np.array(
        [(f, s, k, len(subset), f1) for (f, s, k, subset, _), f1 in zip(tasks, scores, strict=True)]
    )
    points = []
    for fraction in fractions:
        fraction_rows = rows[rows[:, 0] == fraction]
        seeds, folds_of, f1s = fraction_rows[:, 1], fraction_rows[:, 2], fraction_rows[:, 4]
        per_fold = [float(f1s[folds_of == k].mean()) for k in range(len(folds))]
        points.append(
            {
                "fraction": fraction,
                "training_labels": float(fraction_rows[:, 3].mean()),
                "macro_f1": float(f1s.mean()),
                "sd_between_folds": float(np.std(per_fold)),
                "per_fold": per_fold,
                "per_seed": [float(f1s[seeds == s].mean()) for s in np.unique(seeds)],
            }
        )
    reference = {
        name: float(np.mean([fold_macro_f1(labels[test], np.asarray(predicted)[test]) for _, test in folds]))
        for name, predicted in baselines.items()
    }
    return {
        "hyper_parameters": hyper_parameters(pipeline),
        "seeds": n_seeds,
        "folds": len(folds),
        "min_per_label": minimum,
        "points": points,
        "baselines": reference,
    }


def read_learning_curve(points: list[dict[str, Any]], weakest: str) -> str:
    """A plain statement of what the learning curve suggests about more labels.

    Gains are paired by outer fold (the same held-out documents) and called
    clear when they exceed twice their standard error. ``weakest`` names the
    label with the lowest F1, where new labels are most needed.
    """
    first, before, last = (np.array(p["per_fold"]) for p in (points[0], points[-2], points[-1]))

    def gain(start: np.ndarray) -> tuple[float, float]:
        differences = last - start
        return float(differences.mean()), float(2 * differences.std(ddof=1) / np.sqrt(len(differences)))

    (total, total_margin), (recent, recent_margin) = gain(first), gain(before)
    trend = (
        f"Mean macro-F1 on held-out documents went from {points[0]['macro_f1']:.2f} with about "
        f"{points[0]['training_labels']:.0f} training labels to {points[-1]['macro_f1']:.2f} with "
        f"{points[-1]['training_labels']:.0f}: a gain of {total:+.2f} (± {total_margin:.2f}, two standard "
        f"errors over the folds), of which the last step brought {recent:+.2f} (± {recent_margin:.2f})."
    )
    if recent > max(0.01, recent_margin):
        verdict = "The curve is still rising at the full training set: more labels are likely to help."
    elif total > total_margin:
        verdict = (
            "The curve rose but flattens at the end: more labels of the same kind should help a little; "
            f"more examples of the weakest label, {weakest}, are likely to help more."
        )
    else:
        verdict = (
            "No clear gain: the differences are within the fold-to-fold noise, so more labels of the same "
            f"kind are unlikely to help much on their own; more examples of the weakest label, {weakest}, "
            "clearer guidelines or better features are more promising."
        )
    return f"{trend} {verdict}"


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
            name: classification_report(gold, labels_of[name], groups, n_resamples, seed) for name in SYSTEMS
        },
        "model_minus": {
            name: paired_differences(gold, labels_of["model"], labels_of[name], groups, n_resamples, seed)
            for name in predictions.baselines
        },
        "calibration": calibration_report(confidence, correct, groups, n_resamples=n_resamples, seed=seed),
        "errors": error_examples(predictions),
        "by_kind": by_kind(data, labels_of, n_resamples, seed),
        "by_document": by_document(data, labels_of["model"]),
    }


def error_examples(predictions: Predictions, n: int = N_EXAMPLES) -> dict[str, list[dict[str, Any]]]:
    """The ``n`` most confident mistakes and least confident correct predictions, with their top features."""
    data, probabilities, predicted = predictions.data, predictions.probabilities, predictions.predicted
    confidence = probabilities.max(axis=1)
    wrong = [i for i in range(len(data)) if predicted[i] != data.labels[i]]
    right = [i for i in range(len(data)) if predicted[i] == data.labels[i]]
    chosen = {
        "confident_mistakes": sorted(wrong, key=lambda i: -confidence[i])[:n],
        "unsure_correct": sorted(right, key=lambda i: confidence[i])[:n],
    }
    pushed: dict[int, list[dict[str, object]]] = {}
    for fold, pipeline in enumerate(predictions.explainers):
        units = [i for group in chosen.values() for i in group if predictions.fold_of[i] == fold]
        pushed.update(
            zip(
                units,
                contributions(pipeline, [data.texts[i] for i in units], [predicted[i] for i in units]),
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
                "features": pushed[i],
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


def read_test_set(path: str | Path) -> LabelledData:
    """An external labelled set: JSON Lines or CSV with ``text`` and ``label``.

    Optional fields: ``doc_id`` (without it each unit is its own document for
    the bootstrap), ``kind`` (default ``sentence``) and ``unit_id``.
    """
    path = Path(path)
    texts, labels, groups, kinds, ids = [], [], [], [], []
    for number, row in read_rows(path):
        text, label = row.get("text"), row.get("label")
        if not isinstance(text, str) or label not in LABELS:
            raise FramingError(
                f"{path}:{number}: needs a 'text' and a 'label' in {', '.join(LABELS)}; got label {label!r}."
            )
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


def model_card(metadata: dict[str, Any], data: LabelledData, cv: dict[str, Any]) -> dict[str, Any]:
    """Intended use, training data, label set, codebook version and limits, with numbers from ``cv``."""
    per_label = cv["systems"]["model"]["per_label"]
    support = {label: per_label[label]["support"] for label in LABELS}
    rare = [label for label in LABELS if support[label] < 30]
    limits = [
        f"Small training set: {len(data)} units from {len(set(data.groups))} documents, so every number "
        "in this report has a wide interval; compare systems by their paired differences, not by whether "
        "their intervals overlap.",
        *(
            f"'{label}' has only {support[label]} labelled units: its F1, "
            f"{estimate_text(per_label[label]['f1'])}, rests on few examples, and its predictions "
            "should be checked by hand."
            for label in rare
        ),
        "The documents come from one corpus and topic; performance on other topics, outlets, periods or "
        "registers is unknown until measured with `framing evaluate --test FILE`.",
        "Units are labelled one at a time with one primary frame; the model does not see neighbouring "
        "sentences, mixed frames, irony or who holds the frame.",
        f"English only; text is lemmatised with the spaCy pipeline '{metadata.get('spacy_model')}'.",
        f"Probabilities are temperature-scaled; the expected calibration error under cross-validation is "
        f"{estimate_text(cv['calibration']['ece'])}.",
    ]
    return {
        "intended_use": (
            "Estimating how often responsibility is framed as individual blame, systemic failure or "
            "resources in a corpus of the same kind of public discourse, and finding units to read: "
            "aggregate shares, comparisons between sources or periods, with the error rates below in mind."
        ),
        "not_intended_for": (
            "Decisions about individual people, texts or authors; corpora unlike the training documents "
            "without first checking it on a labelled sample of them (framing evaluate --test FILE)."
        ),
        "label_set": dict(DEFINITIONS),
        "codebook_version": metadata.get("codebook_version", CODEBOOK_VERSION),
        "training_data": {
            "source": metadata.get("training_source"),
            "units": metadata.get("training_units"),
            "documents": metadata.get("training_documents"),
            "per_label": metadata.get("units_per_label"),
            "sha256": metadata.get("training_data_sha256"),
        },
        "limits": limits,
    }


def evaluate(
    labels_dir: str | Path = "data/labels",
    units_path: str | Path | None = "data/units.jsonl",
    output_dir: str | Path = "reports",
    seed: int = SEED,
    n_jobs: int = 1,
    model_path: str | Path | None = None,
    test_path: str | Path | None = None,
    n_resamples: int = N_RESAMPLES,
    curve_seeds: int = CURVE_SEEDS,
) -> Evaluation:
    """Evaluate the trained model; write ``<output_dir>/<model id>/`` metrics.json, report.md, report.html.

    The cross-validation protocol re-runs the training procedure of ``framing
    train`` inside grouped outer folds; ``test_path`` adds the external
    protocol with the trained model itself (``model_path``, default: the model
    :func:`framing.model.predict.load_model` finds).
    """
    model = load_model(model_path)
    metadata = model.metadata
    data = load_labelled(labels_dir, units_path)
    spacy_model = metadata.get("spacy_model", DEFAULT_PIPELINE)
    folds = outer_splits(data, seed)
    predictions, fold_info = nested_cv(data, folds, seed, spacy_model, n_jobs)
    cv = {
        "name": "nested grouped cross-validation",
        "description": (
            f"{len(folds)}-fold StratifiedGroupKFold by document (seed {seed}); in each outer training "
            "fold the hyper-parameters are chosen by the grouped grid search of `framing train`, and the "
            "held-out documents are predicted once. The baselines use the same folds; the keyword "
            "lexicon learns nothing."
        ),
        "bootstrap": {"resamples": n_resamples, "resampling": "documents", "confidence": 0.95, "seed": seed},
        **analyse(predictions, n_resamples, seed),
        "folds": fold_info,
        "learning_curve": learning_curve(
            model.pipeline, data, folds, predictions.baselines, n_seeds=curve_seeds, seed=seed, n_jobs=n_jobs
        ),
        "explanations": "Features that pushed each prediction come from the outer-fold model that made it.",
    }
    per_label = cv["systems"]["model"]["per_label"]
    weakest = min(LABELS, key=lambda label: per_label[label]["f1"]["value"] or 0.0)
    cv["learning_curve"]["reading"] = read_learning_curve(cv["learning_curve"]["points"], weakest)
    protocols = {"cv": cv}
    if test_path is not None:
        test = read_test_set(test_path)
        has_documents = any(g != u for g, u in zip(test.groups, test.unit_ids, strict=True))
        protocols["test"] = {
            "name": "external test set",
            "description": (
                f"{test.source}, scored by the trained model {metadata['model_id']} (fitted on all "
                f"{metadata.get('training_units')} training labels); the majority baseline is fitted on the "
                "same training labels."
            ),
            "bootstrap": {
                "resamples": n_resamples,
                "resampling": "documents" if has_documents else "units (the file has no doc_id)",
                "confidence": 0.95,
                "seed": seed,
            },
            **analyse(external_test(model, test, data), n_resamples, seed),
            "explanations": "Features that pushed each prediction come from the trained model.",
        }
    warnings = [f"Damaged label line skipped: {problem}" for problem in data.problems]
    if metadata.get("training_data_sha256") != data.sha256():
        warnings.append(
            f"The model {metadata['model_id']} was trained on other labels than the ones evaluated here "
            "(training-data hashes differ): retrain with `make train`."
        )
    metrics = {
        "schema_version": 1,
        "model_id": metadata["model_id"],
        "evaluated": datetime.now(UTC).isoformat(timespec="seconds"),
        "framing_version": __version__,
        "seed": seed,
        "warnings": warnings,
        "model": {
            "model_id": metadata["model_id"],
            "path": str(model.path),
            "created": metadata.get("created"),
            "spacy_model": spacy_model,
            "hyper_parameters": hyper_parameters(model.pipeline),
            "libraries": metadata.get("libraries", {}),
        },
        "data": describe_data(data),
        "model_card": model_card(metadata, data, cv),
        "top_features": top_features(model.pipeline),
        "protocols": protocols,
    }
    directory = Path(output_dir) / metadata["model_id"]
    return Evaluation(metrics, write_reports(metrics, directory))
