"""Why a prediction: contrastive contributions of the linear model inside a fitted pipeline.

The pipeline is ``lemmas -> features (words, chars, lexicon) -> classifier``,
the classifier a temperature-scaled logistic regression fitted with
``ensemble=False``, so one linear model holds all the weights. A prediction
is explained against one other label (the gold label of a mistake, the
runner-up of a correct prediction): the logit difference between the two,
``x · (w[predicted] − w[other]) + (b[predicted] − b[other])``, splits exactly
into one contribution per feature plus the intercept difference.
Temperature scaling divides every logit by the same number and changes no
sign or ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from framing.codebook import LABELS


def linear_model(pipeline: Pipeline) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature names, coefficients and intercepts, one row per label in ``LABELS`` order (zeros if unseen).

    A binary logistic regression keeps one row ``w`` for its second class; it
    becomes the rows ``-w/2`` and ``w/2`` (likewise the intercept), whose
    softmax gives the same probabilities, so that differences are log-odds.
    """
    linear = pipeline.named_steps["classifier"].estimator_
    names = pipeline.named_steps["features"].get_feature_names_out()
    coefficients, intercepts = linear.coef_, np.atleast_1d(linear.intercept_)
    if coefficients.shape[0] == 1:
        coefficients = np.vstack([-coefficients, coefficients]) / 2
        intercepts = np.array([-intercepts[0], intercepts[0]]) / 2
    by_label = np.zeros((len(LABELS), coefficients.shape[1]))
    intercept = np.zeros(len(LABELS))
    for row, bias, label in zip(coefficients, intercepts, linear.classes_, strict=True):
        by_label[LABELS.index(label)] = row
        intercept[LABELS.index(label)] = bias
    return names, by_label, intercept


def linear_weights(pipeline: Pipeline) -> tuple[np.ndarray, np.ndarray]:
    """Feature names and the coefficient matrix of :func:`linear_model`."""
    names, weights, _ = linear_model(pipeline)
    return names, weights


_UNITS = {"chars": "n-grams", "static": "dimensions", "sentence": "dimensions"}
SUMMED = ("chars", "static", "sentence")
"""Feature parts whose single features say little (a character n-gram, an embedding dimension): each
part enters an explanation as one entry, its total contribution."""


def describe(name: str, weight: float) -> dict[str, object]:
    """``"words__social worker"`` -> ``{"part": "words", "feature": "social worker", "weight": ...}``."""
    part, _, feature = name.partition("__")
    return {"part": part, "feature": feature, "weight": round(float(weight), 4)}


def contrast(
    pipeline: Pipeline,
    texts: Sequence[str],
    predicted: Sequence[str],
    others: Sequence[str],
    top: int = 5,
    summed: tuple[str, ...] = SUMMED,
    smallest: float = 0.005,
) -> list[dict[str, Any]]:
    """For each text, what separates its ``predicted`` label from its label in ``others``.

    Each feature contributes its value times ``w[predicted] − w[other]``; the
    parts in ``summed`` count as one entry each. Returns per text
    ``{"versus", "logit_difference", "intercept", "for", "against", "rest"}``:
    ``for`` holds the ``top`` largest positive contributions (towards the
    predicted label), ``against`` the ``top`` most negative ones, ``rest`` the
    sum of the contributions not listed. Contributions smaller than
    ``smallest`` in absolute value (nothing, at two decimals) are never
    listed, and ``sum(for) + sum(against) + rest + intercept`` is the
    logit difference (before temperature scaling).
    """
    if not len(texts):
        return []
    names, weights, intercepts = linear_model(pipeline)
    parts = np.array([name.partition("__")[0] for name in names])
    single = ~np.isin(parts, summed)
    values = pipeline[:-1].transform(list(texts))
    values = values.toarray() if hasattr(values, "toarray") else np.asarray(values)
    first = [LABELS.index(label) for label in predicted]
    second = [LABELS.index(label) for label in others]
    pushed = values * (weights[first] - weights[second])
    result = []
    for row, a, b, other in zip(pushed, first, second, others, strict=True):
        entries = [
            (float(row[j]), *names[j].partition("__")[::2]) for j in np.flatnonzero(single & (row != 0))
        ]
        entries += [
            (float(total), part, f"{part} (all {_UNITS.get(part, 'features')})")
            for part in summed
            if (total := row[parts == part].sum()) != 0
        ]
        positive = sorted((e for e in entries if e[0] >= smallest), key=lambda e: -e[0])[:top]
        negative = sorted((e for e in entries if e[0] <= -smallest), key=lambda e: e[0])[:top]
        listed = sum(e[0] for e in positive + negative)
        result.append(
            {
                "versus": other,
                "logit_difference": float(row.sum() + intercepts[a] - intercepts[b]),
                "intercept": float(intercepts[a] - intercepts[b]),
                "for": [_entry(*e) for e in positive],
                "against": [_entry(*e) for e in negative],
                "rest": float(row.sum() - listed),
            }
        )
    return result


def _entry(contribution: float, part: str, feature: str) -> dict[str, object]:
    return {"part": part, "feature": feature, "contribution": contribution}


def top_features(
    pipeline: Pipeline, top: int = 8, parts: tuple[str, ...] = ("words", "lexicon")
) -> dict[str, list[dict[str, object]]]:
    """The largest positive coefficients per label among the features of ``parts``."""
    names, weights = linear_weights(pipeline)
    keep = np.array([name.partition("__")[0] in parts for name in names])
    result = {}
    for k, label in enumerate(LABELS):
        row = np.where(keep, weights[k], -np.inf)
        order = np.argsort(-row, kind="stable")[:top]
        result[label] = [describe(names[j], row[j]) for j in order if np.isfinite(row[j]) and row[j] > 0]
    return result
