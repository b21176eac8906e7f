"""Evaluation protocols: how each labelled unit gets a prediction from a model that never saw it.

- ``cv``: nested cross-validation grouped by document. Each outer fold's model
  is chosen by a grouped grid search on the outer training documents only, so
  every unit is predicted by a model that never saw its document, and no
  hyper-parameter was chosen on it. The two baselines (majority class, keyword
  lexicon) are scored on the same outer splits.
- ``test``: an external labelled file scored by the trained model (fitted on
  all training labels), against the same baselines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import cross_val_predict, cross_validate
from sklearn.pipeline import Pipeline

from framing.codebook import LABELS
from framing.labels.dataset import LabelledData, check_trainable
from framing.model.lexicon import keyword_label
from framing.model.nlp import DEFAULT_PIPELINE, SpacyLemmatizer
from framing.model.persist import FramingModel
from framing.model.pipeline import DEFAULT_FEATURES, SEED, grouped_folds, hyper_parameters, model_search

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
    features: str = DEFAULT_FEATURES,
) -> tuple[Predictions, list[dict[str, Any]]]:
    """Out-of-fold probabilities from a grid search nested in each grouped outer fold.

    ``features`` names the feature set of the searched pipeline. Returns the
    predictions and, per fold, its size and the hyper-parameters chosen.
    """
    check_trainable(data)
    n_groups = len(set(data.groups))
    inner = model_search(n_groups - n_groups // 5, seed, spacy_model, max_splits=4, features=features)
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
