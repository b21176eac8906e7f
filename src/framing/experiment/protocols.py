"""Evaluation protocols: how each labelled unit gets a prediction from a model that never saw it.

- ``cv``: nested cross-validation grouped by source (a file or page: an
  article with its reader comments, an archive page with its posts). Each
  outer fold's model is chosen by a grouped grid search on the outer training
  data only, so every unit is predicted by a model that never saw its source,
  and no hyper-parameter was chosen on it. Labelled sets written for training
  join every training fold and are never predicted. The baselines (the model
  trained on the main set alone, the majority class, the keyword lexicon) are
  scored on the same outer splits.
- ``test``: an external labelled file scored by the trained model (fitted on
  all training labels), against the same baselines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.dummy import DummyClassifier
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline

from framing.codebook import LABELS
from framing.labels.dataset import LabelledData, check_trainable
from framing.model.lexicon import keyword_label
from framing.model.nlp import DEFAULT_PIPELINE, SpacyLemmatizer
from framing.model.persist import FramingModel
from framing.model.pipeline import DEFAULT_FEATURES, SEED, grouped_folds, hyper_parameters, select_model

Split = tuple[np.ndarray, np.ndarray]


@dataclass
class Predictions:
    """One protocol's predictions for ``data``: model probabilities and baseline labels.

    ``explainers[fold_of[i]]`` is the fitted pipeline that predicted unit ``i``;
    ``prior[i]`` the label shares of the real-text labels it was trained on
    (see :func:`prior_shares`), a reference for the probabilities.
    """

    data: LabelledData
    probabilities: np.ndarray
    baselines: dict[str, list[str]]
    explainers: list[Pipeline]
    fold_of: np.ndarray
    prior: np.ndarray

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


def prior_shares(labels: Sequence[str]) -> np.ndarray:
    """Label shares of ``labels`` in ``LABELS`` order, add-one smoothed so that no label gets 0.

    >>> prior_shares(["none", "none"]).round(3).tolist()
    [0.167, 0.167, 0.167, 0.5]
    """
    counts = Counter(labels)
    return np.array([(counts[label] + 1) / (len(labels) + len(LABELS)) for label in LABELS])


def lexicon_labels(texts: Sequence[str], spacy_model: str = DEFAULT_PIPELINE) -> list[str]:
    """The keyword baseline: :func:`framing.model.lexicon.keyword_label` of each text's lemmas."""
    lemmas = SpacyLemmatizer(spacy_model=spacy_model).fit([]).transform(texts)
    return [keyword_label(text) for text in lemmas]


def outer_splits(data: LabelledData, seed: int = SEED) -> list[Split]:
    """The outer folds, grouped by source (file or page), shared by the models, baselines and learning curve.

    With five sources or fewer this is leave-one-source-out.
    """
    sources = data.sources
    splitter = grouped_folds(len(set(sources)), seed)
    return list(splitter.split(data.texts, data.labels, sources))


def fit_selected(
    training: LabelledData,
    seed: int,
    spacy_model: str,
    features: str = DEFAULT_FEATURES,
    main_units: int | None = None,
) -> Pipeline:
    """The model ``framing train`` would choose and fit on ``training`` (one outer fold).

    As in ``framing train``, the temperature is fitted on the first ``main_units`` units (the real
    text) when other labelled sets follow them.
    """
    main_set = None if main_units is None else np.arange(len(training)) < main_units
    pipeline, _ = select_model(
        training.texts,
        training.labels,
        training.sources,
        seed,
        spacy_model,
        max_splits=4,
        features=features,
        main_set=main_set,
    )
    return pipeline


def nested_cv(
    data: LabelledData,
    folds: list[Split],
    extra: LabelledData | None = None,
    seed: int = SEED,
    spacy_model: str = DEFAULT_PIPELINE,
    n_jobs: int = 1,
    features: str = DEFAULT_FEATURES,
) -> tuple[np.ndarray, list[Pipeline], list[dict[str, Any]]]:
    """Out-of-fold probabilities from a grid search nested in each outer fold of ``data``.

    ``extra`` (labelled text written for training) joins every training fold
    and is never predicted; ``features`` names the searched feature set.
    Returns the probabilities in ``LABELS`` order, the pipeline of each fold,
    and per fold its size and the hyper-parameters chosen.
    """
    trainings = [
        data.subset(train) if extra is None else LabelledData.concat([data.subset(train), extra])
        for train, _ in folds
    ]
    for training in trainings:
        check_trainable(training)
    pipelines = Parallel(n_jobs=n_jobs)(
        delayed(fit_selected)(training, seed, spacy_model, features, None if extra is None else len(train))
        for training, (train, _) in zip(trainings, folds, strict=True)
    )
    texts, labels = np.asarray(data.texts, dtype=object), np.asarray(data.labels)
    probabilities = np.zeros((len(data), len(LABELS)))
    info = []
    for i, ((_, test), pipeline) in enumerate(zip(folds, pipelines, strict=True)):
        probabilities[test] = probabilities_in_label_order(
            pipeline.predict_proba(texts[test]), pipeline.classes_
        )
        predicted = [LABELS[k] for k in probabilities[test].argmax(axis=1)]
        info.append(
            {
                "fold": i + 1,
                "test_units": len(test),
                "test_documents": len({data.groups[k] for k in test}),
                "test_sources": sorted({data.sources[k] for k in test}),
                "training_units": len(trainings[i]),
                "macro_f1": float(f1_score(labels[test], predicted, average="macro", zero_division=0)),
                "chosen": hyper_parameters(pipeline),
            }
        )
    return probabilities, pipelines, info


def cross_validated(
    data: LabelledData,
    folds: list[Split],
    extra: LabelledData | None = None,
    seed: int = SEED,
    spacy_model: str = DEFAULT_PIPELINE,
    n_jobs: int = 1,
    features: str = DEFAULT_FEATURES,
) -> tuple[Predictions, list[dict[str, Any]]]:
    """The ``cv`` protocol: the model (trained on ``data`` folds plus ``extra``) and baselines on ``data``.

    With ``extra``, the same model trained on the ``data`` folds alone is a
    further system (``seed_only``), so the gain from the extra labels is
    measured on the same held-out units.
    """
    probabilities, pipelines, info = nested_cv(data, folds, extra, seed, spacy_model, n_jobs, features)
    fold_of = np.zeros(len(data), dtype=int)
    for i, (_, test) in enumerate(folds):
        fold_of[test] = i
    baselines: dict[str, list[str]] = {}
    if extra is not None and len(extra):
        alone, _, _ = nested_cv(data, folds, None, seed, spacy_model, n_jobs, features)
        baselines["seed_only"] = [LABELS[k] for k in alone.argmax(axis=1)]
    baselines["lexicon"] = lexicon_labels(data.texts, spacy_model)
    majority = np.empty(len(data), dtype=object)
    prior = np.zeros_like(probabilities)
    for train, test in folds:
        training_labels = [data.labels[k] for k in train] + (extra.labels if extra is not None else [])
        majority[test] = Counter(training_labels).most_common(1)[0][0]
        prior[test] = prior_shares([data.labels[k] for k in train])
    baselines["majority"] = list(majority)
    return Predictions(data, probabilities, baselines, pipelines, fold_of, prior), info


def external_test(
    model: FramingModel, test: LabelledData, training: LabelledData, main: LabelledData | None = None
) -> Predictions:
    """Score ``test`` with the trained model; the majority baseline is fitted on ``training``.

    The prior is the label shares of ``main``, the real-text part of ``training`` (default: all of it).
    """
    pipeline = model.pipeline
    probabilities = probabilities_in_label_order(pipeline.predict_proba(test.texts), pipeline.classes_)
    majority = DummyClassifier(strategy="most_frequent").fit(training.texts, training.labels)
    baselines = {
        "lexicon": lexicon_labels(test.texts, model.metadata.get("spacy_model", DEFAULT_PIPELINE)),
        "majority": list(majority.predict(test.texts)),
    }
    prior = np.tile(prior_shares((training if main is None else main).labels), (len(test), 1))
    return Predictions(test, probabilities, baselines, [pipeline], np.zeros(len(test), dtype=int), prior)
