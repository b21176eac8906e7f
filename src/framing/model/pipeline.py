"""The scikit-learn pipeline from raw text to label, its feature sets and its model-selection grid.

Feature sets (:data:`FEATURE_SETS`) name the branches of the features:
``ngrams`` (spaCy lemmas -> word and character n-grams + lexicon cues),
``static`` (model2vec static embeddings) and ``minilm`` (all-MiniLM-L6-v2
sentence embeddings). ``ngrams`` alone is the pipeline ``lemmas -> features
-> classifier``; the others, including the default ``ngrams+static``, join
their branches in a ``FeatureUnion`` that gives the raw text to each branch,
so the embeddings see the text and the n-grams its lemmas. The default was
chosen on docs/results.md: measurably more accurate than ``ngrams`` on real
text, and above 10,000 sentences/s on one core.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from framing.errors import FeatureError
from framing.model import embeddings
from framing.model.calibration import GroupedTemperatureScaling
from framing.model.features import LemmaTfidfVectorizer
from framing.model.lexicon import LexiconCues
from framing.model.nlp import DEFAULT_PIPELINE, SpacyLemmatizer

SEED = 13

DEFAULT_FEATURES = "ngrams+static"
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "ngrams": ("ngrams",),
    "ngrams+static": ("ngrams", "static"),
    "static": ("static",),
    "ngrams+minilm": ("ngrams", "minilm"),
    "minilm": ("minilm",),
}
"""Feature set name -> its branches; ``framing train --features NAME``."""

EXTRA_WEIGHTS: list[float] = [1.0, 0.3, 0.1]
"""Sample weights searched for the units of sets written for training, when they join the main set."""


def make_char_vectorizer() -> LemmaTfidfVectorizer:
    """Character 2-4-grams within word boundaries, over the lemma text."""
    return LemmaTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True)


def check_features(features: str) -> tuple[str, ...]:
    """The branches of feature set ``features``; a :class:`FeatureError` if it is unknown or unavailable.

    Embedding branches need their optional packages and model files, checked
    here so that training stops before any fitting.
    """
    if features not in FEATURE_SETS:
        raise FeatureError(f"Unknown feature set {features!r}; choose one of {', '.join(FEATURE_SETS)}.")
    branches = FEATURE_SETS[features]
    if "static" in branches:
        embeddings.static_model_path()
    if "minilm" in branches:
        embeddings.sentence_model_path()
    return branches


def param_grid(features: str = DEFAULT_FEATURES) -> dict[str, list[object]]:
    """Hyper-parameters searched by grouped cross-validation in ``framing train``.

    The character n-gram switch exists only in feature sets with n-grams.
    """
    grid: dict[str, list[object]] = {"classifier__estimator__C": [0.3, 1.0, 3.0, 10.0]}
    if features == "ngrams":
        grid["features__chars"] = ["drop", make_char_vectorizer()]
    elif "ngrams" in FEATURE_SETS[features]:
        grid["features__ngrams__features__chars"] = ["drop", make_char_vectorizer()]
    return grid


def ngram_steps(spacy_model: str = DEFAULT_PIPELINE) -> list[tuple[str, object]]:
    """The n-gram steps: spaCy lemmas -> word 1-2-grams + character 2-4-grams + lexicon cues."""
    features = FeatureUnion(
        [
            (
                "words",
                LemmaTfidfVectorizer(
                    token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2), sublinear_tf=True
                ),
            ),
            ("chars", make_char_vectorizer()),
            ("lexicon", LexiconCues()),
        ]
    )
    return [("lemmas", SpacyLemmatizer(spacy_model=spacy_model)), ("features", features)]


def _branch(name: str, spacy_model: str, sparse: bool) -> object:
    """One branch of a feature union; embeddings joined to sparse n-grams come as CSR (stacks fast)."""
    if name == "ngrams":
        return Pipeline(ngram_steps(spacy_model))
    if name == "static":
        return embeddings.StaticEmbedding(sparse_output=sparse)
    return embeddings.SentenceEmbedding(sparse_output=sparse)


def build_pipeline(
    spacy_model: str = DEFAULT_PIPELINE,
    C: float = 1.0,  # noqa: N803
    calibration_folds: int = 3,
    seed: int = SEED,
    features: str = DEFAULT_FEATURES,
) -> Pipeline:
    """The full model: raw text in, calibrated label probabilities out.

    Features (see :data:`FEATURE_SETS`) -> class-balanced logistic
    regression, temperature-scaled on out-of-fold scores grouped by document
    (pass them with :func:`fit_params`). With ``ngrams``: spaCy lemmas -> word
    1-2-grams + character 2-4-grams + lexicon cues; the default adds the static
    embeddings of the raw text.
    """
    branches = check_features(features)
    classifier = GroupedTemperatureScaling(
        LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=seed),
        n_splits=calibration_folds,
        random_state=seed,
    )
    if features == "ngrams":
        return Pipeline([*ngram_steps(spacy_model), ("classifier", classifier)])
    union = FeatureUnion(
        [(name, _branch(name, spacy_model, "ngrams" in branches)) for name in branches],
        verbose_feature_names_out=False,
    )
    return Pipeline([("features", union), ("classifier", classifier)])


def feature_set(pipeline: Pipeline) -> str:
    """The name of a built pipeline's feature set (models saved before feature sets: ``ngrams``)."""
    if "lemmas" in pipeline.named_steps:
        return "ngrams"
    return "+".join(name for name, _ in pipeline.named_steps["features"].transformer_list)


def fit_params(groups: Sequence[str], main_set: Sequence[bool] | None = None) -> dict[str, Any]:
    """Fit parameters for the classifier: ``pipeline.fit(X, y, **fit_params(g))``.

    ``groups`` keep each source on one side of the calibration folds; ``main_set`` marks the
    real-text units (see :class:`GroupedTemperatureScaling`).
    """
    params: dict[str, Any] = {"classifier__groups": np.asarray(groups)}
    if main_set is not None:
        params["classifier__main_set"] = np.asarray(main_set, dtype=bool)
    return params


def grouped_folds(n_groups: int, seed: int = SEED, max_splits: int = 5) -> StratifiedGroupKFold:
    """Stratified folds that keep each document on one side of every split."""
    return StratifiedGroupKFold(n_splits=max(2, min(max_splits, n_groups)), shuffle=True, random_state=seed)


def main_set_folds(
    labels: Sequence[str],
    groups: Sequence[str],
    main_set: Sequence[bool],
    seed: int = SEED,
    max_splits: int = 5,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds over the main set's sources, with every other unit in every training split and no test split.

    The folds that choose a model then score it on real text only, as ``make evaluate`` does.
    With fewer than two sources in the main set, :func:`grouped_folds` over every unit instead.
    """
    labels, groups, main = np.asarray(labels), np.asarray(groups), np.asarray(main_set, dtype=bool)
    inside, outside = np.flatnonzero(main), np.flatnonzero(~main)
    n_sources = len(set(groups[inside]))
    if n_sources < 2:
        return list(grouped_folds(len(set(groups)), seed, max_splits).split(labels, labels, groups))
    splitter = grouped_folds(n_sources, seed, max_splits)
    return [
        (np.concatenate([inside[train], outside]), inside[test])
        for train, test in splitter.split(inside, labels[inside], groups[inside])
    ]


def model_search(
    folds: list[tuple[np.ndarray, np.ndarray]],
    seed: int = SEED,
    spacy_model: str = DEFAULT_PIPELINE,
    n_jobs: int = 1,
    features: str = DEFAULT_FEATURES,
    weigh_extra: bool = False,
) -> GridSearchCV:
    """The grid search that chooses the model, in training and inside each evaluation fold.

    :func:`param_grid` over :func:`build_pipeline` with feature set
    ``features`` (and, with ``weigh_extra``, the weight of the units written for
    training, :data:`EXTRA_WEIGHTS`), scored by mean macro-F1 on ``folds``. The
    search fits without calibration, which never changes the predicted label
    and so cannot change the choice; :func:`select_model` calibrates the chosen
    configuration.
    """
    grid = param_grid(features)
    if weigh_extra:
        grid["classifier__extra_weight"] = EXTRA_WEIGHTS
    return GridSearchCV(
        build_pipeline(spacy_model=spacy_model, seed=seed, calibration_folds=1, features=features),
        grid,
        scoring="f1_macro",
        cv=folds,
        n_jobs=n_jobs,
        refit=False,
        error_score="raise",
    )


def select_model(
    texts: Sequence[str],
    labels: Sequence[str],
    groups: Sequence[str],
    seed: int = SEED,
    spacy_model: str = DEFAULT_PIPELINE,
    n_jobs: int = 1,
    max_splits: int = 5,
    features: str = DEFAULT_FEATURES,
    main_set: Sequence[bool] | None = None,
) -> tuple[Pipeline, GridSearchCV]:
    """Choose hyper-parameters by :func:`model_search` on folds grouped by ``groups``, then fit.

    Without ``main_set``, the folds are :func:`grouped_folds` over every unit.
    With it (a mask of the real-text units, when sets written for training join
    them), :func:`main_set_folds`: every configuration is scored on real text
    only, and the weight of the other units is searched too. The chosen
    configuration is fitted on everything, with its calibration grouped the
    same way and its temperature fitted on the ``main_set`` units. Returns the
    fitted pipeline and the search (its ``cv_results_``).
    """
    if main_set is None:
        folds = list(grouped_folds(len(set(groups)), seed, max_splits).split(texts, labels, groups))
    else:
        folds = main_set_folds(labels, groups, main_set, seed, max_splits)
    search = model_search(folds, seed, spacy_model, n_jobs, features, weigh_extra=main_set is not None)
    params = fit_params(groups, main_set)
    with warnings.catch_warnings():
        # A rare label with fewer units than folds is expected with few labels; folds stay grouped.
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        warnings.filterwarnings("ignore", "Number of classes in training fold", RuntimeWarning)
        search.fit(texts, labels, **params)
        chosen = build_pipeline(spacy_model=spacy_model, seed=seed, features=features)
        chosen.set_params(**search.best_params_)
        return chosen.fit(texts, labels, **params), search


def hyper_parameters(pipeline: Pipeline) -> dict[str, Any]:
    """The searched hyper-parameters of a fitted pipeline, readable: ``{"C": 1.0, "chars": "off", ...}``."""
    params = pipeline.get_params()
    names = [*param_grid(feature_set(pipeline)), "classifier__extra_weight"]
    return {name.rpartition("__")[2]: _describe(params[name]) for name in names}


def _describe(value: object) -> object:
    """A parameter value as JSON: a dropped step is ``"off"``, an estimator ``"on"``."""
    if value == "drop":
        return "off"
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return "on"
