"""Which features pushed a prediction: weights of the linear model inside a fitted pipeline.

The pipeline is ``lemmas -> features (words, chars, lexicon) -> classifier``,
the classifier a temperature-scaled logistic regression fitted with
``ensemble=False``, so one linear model holds all the weights. A feature's
contribution to a unit's predicted label is its value for the unit times the
label's coefficient; temperature scaling divides every score by the same
number and leaves the ranking unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.pipeline import Pipeline

from framing.codebook import LABELS


def linear_weights(pipeline: Pipeline) -> tuple[np.ndarray, np.ndarray]:
    """Feature names and the coefficient matrix, one row per label in ``LABELS`` order (zeros if unseen)."""
    linear = pipeline.named_steps["classifier"].estimator_
    names = pipeline.named_steps["features"].get_feature_names_out()
    coefficients = linear.coef_
    if coefficients.shape[0] == 1:  # binary: one row, for the second class
        coefficients = np.vstack([-coefficients, coefficients])
    by_label = np.zeros((len(LABELS), coefficients.shape[1]))
    for row, label in zip(coefficients, linear.classes_, strict=True):
        by_label[LABELS.index(label)] = row
    return names, by_label


_UNITS = {"chars": "n-grams", "static": "dimensions", "sentence": "dimensions"}


def describe(name: str, weight: float) -> dict[str, object]:
    """``"words__social worker"`` -> ``{"part": "words", "feature": "social worker", "weight": ...}``."""
    part, _, feature = name.partition("__")
    return {"part": part, "feature": feature, "weight": round(float(weight), 4)}


def contributions(
    pipeline: Pipeline,
    texts: Sequence[str],
    labels: Sequence[str],
    top: int = 5,
    summed: tuple[str, ...] = ("chars", "static", "sentence"),
) -> list[list[dict[str, object]]]:
    """For each text, the ``top`` features that pushed it most towards its label in ``labels``.

    A single character n-gram or embedding dimension says little, so the
    features of each part in ``summed`` enter the ranking as one entry: their
    total contribution.
    """
    if not texts:
        return []
    names, weights = linear_weights(pipeline)
    parts = np.array([name.partition("__")[0] for name in names])
    single = ~np.isin(parts, summed)
    values = pipeline[:-1].transform(list(texts))
    values = values.toarray() if hasattr(values, "toarray") else np.asarray(values)
    pushed = values * weights[[LABELS.index(label) for label in labels]]
    result = []
    for row in pushed:
        entries = [describe(names[j], row[j]) for j in np.flatnonzero(single & (row > 0))]
        entries += [
            {
                "part": part,
                "feature": f"{part} (all {_UNITS.get(part, 'features')})",
                "weight": round(float(total), 4),
            }
            for part in summed
            if (total := row[parts == part].sum()) > 0
        ]
        result.append(sorted(entries, key=lambda entry: -entry["weight"])[:top])
    return result


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
