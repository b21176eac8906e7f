"""Frame-share estimators, corrected for classifier error.

A profile reports how often each frame occurs in a group of units. Counting
predicted labels (classify and count, ``cc``) is biased whenever the classifier
confuses labels unevenly. The corrections learn the classifier's errors from
the labelled units' *out-of-fold* predictions (each unit predicted by a model
that never saw its source), kept in the model metadata as a :class:`Reference`:

- ``pcc``, probabilistic classify and count: the mean calibrated probability.
- ``acc``, adjusted classify and count: the predicted-label shares ``q`` solved
  for the true shares ``p`` in ``q = M^T p``, where ``M[i, j]`` is the
  out-of-fold probability of predicting label ``j`` for a unit of label ``i``;
  the solution is clipped at 0 and renormalised.
- ``pacc``, probabilistic adjusted classify and count: the same with the
  mean probabilities in place of counts and of ``M``'s hard predictions.

Every function works on aggregates (label counts and probability sums), so a
corpus of any size is reduced to a few numbers per group first. Shares are
arrays in :data:`framing.codebook.LABELS` order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import softmax

from framing.codebook import LABELS
from framing.model.calibration import LOG_FLOOR, fit_temperature

METHODS = ("cc", "pcc", "acc", "pacc")
METHOD_NAMES = {
    "cc": "classify and count (uncorrected)",
    "pcc": "probabilistic classify and count",
    "acc": "adjusted classify and count",
    "pacc": "probabilistic adjusted classify and count",
}
CORRECTED = ("acc", "pacc")
"""Methods that need a :class:`Reference` (the labelled units' out-of-fold predictions)."""


@dataclass(frozen=True)
class Totals:
    """What the estimators need of a set of units: their number, predicted-label counts, probability sums."""

    n: float
    counts: np.ndarray
    probability_sums: np.ndarray

    @classmethod
    def of(cls, probabilities: np.ndarray) -> Totals:
        """The totals of ``probabilities`` (rows: units, columns in ``LABELS`` order)."""
        probabilities = np.asarray(probabilities, dtype=float).reshape(-1, len(LABELS))
        counts = np.bincount(probabilities.argmax(axis=1), minlength=len(LABELS)).astype(float)
        return cls(float(len(probabilities)), counts, probabilities.sum(axis=0))

    def __add__(self, other: Totals) -> Totals:
        sums = self.probability_sums + other.probability_sums
        return Totals(self.n + other.n, self.counts + other.counts, sums)


@dataclass(frozen=True)
class Reference:
    """Out-of-fold predictions of labelled units: where the corrections learn the classifier's errors.

    ``gold`` holds label indices (``LABELS`` order), ``probabilities`` the
    calibrated out-of-fold probabilities, ``groups`` each unit's document (the
    bootstrap resamples documents, not units).
    """

    gold: np.ndarray
    probabilities: np.ndarray
    groups: np.ndarray

    def __post_init__(self) -> None:
        if not (len(self.gold) == len(self.probabilities) == len(self.groups)):
            raise ValueError("gold, probabilities and groups must have one row per unit")

    def __len__(self) -> int:
        return len(self.gold)

    def misclassification(self, soft: bool = False) -> np.ndarray:
        """``M[i, j]``: the share of label-``i`` units predicted ``j`` (``soft``: mean probability of ``j``).

        A label without units gets the identity row (no correction is learnt for it).
        """
        k = len(LABELS)
        predicted = self.probabilities if soft else np.eye(k)[self.probabilities.argmax(axis=1)]
        matrix = np.eye(k)
        for label in range(k):
            rows = self.gold == label
            if rows.any():
                matrix[label] = predicted[rows].mean(axis=0)
        return matrix

    def temperature(self) -> float:
        """The temperature that best calibrates these out-of-fold probabilities (1: already calibrated)."""
        return fit_temperature(self.probabilities, self.gold)

    def resample(self, rng: np.random.Generator) -> Reference:
        """A bootstrap replicate: documents drawn with replacement, each with all its units."""
        documents, index = np.unique(self.groups, return_inverse=True)
        members = [np.flatnonzero(index == d) for d in range(len(documents))]
        drawn = rng.integers(len(documents), size=len(documents))
        rows = np.concatenate([members[d] for d in drawn])
        return Reference(self.gold[rows], self.probabilities[rows], self.groups[rows])

    def to_metadata(self) -> dict[str, Any]:
        """A JSON-ready form for the model sidecar (:meth:`from_metadata` reads it back)."""
        return {
            "labels": list(LABELS),
            "gold": [LABELS[i] for i in self.gold],
            "groups": [str(g) for g in self.groups],
            "probabilities": np.round(self.probabilities, 6).tolist(),
        }

    @classmethod
    def from_pipeline(cls, pipeline: Any, gold: Sequence[str], groups: Sequence[str]) -> Reference | None:
        """The out-of-fold predictions a fitted pipeline's calibration kept for its first ``len(gold)`` units.

        ``gold`` and ``groups`` are those units' labels and documents (the
        training set's main, real-text part, which comes first). ``None`` when
        the pipeline was fitted without calibration folds.
        """
        calibrator = pipeline.named_steps["classifier"]
        held_out = getattr(calibrator, "out_of_fold_", None)
        if held_out is None or not len(gold):
            return None
        columns = [list(calibrator.classes_).index(label) for label in LABELS]
        return cls(
            np.array([LABELS.index(label) for label in gold]),
            held_out[: len(gold)][:, columns],
            np.asarray(groups, dtype=object),
        )

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> Reference | None:
        """The reference stored in a model's metadata (key ``out_of_fold``), or ``None`` if it has none."""
        stored = metadata.get("out_of_fold")
        if not stored or not stored.get("gold"):
            return None
        columns = [stored["labels"].index(label) for label in LABELS]
        return cls(
            np.array([LABELS.index(label) for label in stored["gold"]]),
            np.asarray(stored["probabilities"], dtype=float)[:, columns],
            np.asarray(stored["groups"], dtype=object),
        )


def renormalised(values: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """``values`` clipped at 0, scaled to sum to 1 over the last axis; ``fallback`` where nothing is left."""
    clipped = np.clip(values, 0.0, None)
    total = clipped.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, clipped / np.where(total > 0, total, 1), np.asarray(fallback, dtype=float))


def adjust(observed: np.ndarray, misclassification: np.ndarray) -> np.ndarray:
    """The shares ``p`` that best explain ``observed = M^T p``: least squares, clipped at 0, renormalised.

    ``observed`` is one vector of shares or a ``(groups, labels)`` array of them.

    >>> m = np.array([[0.8, 0.2], [0.1, 0.9]])
    >>> np.round(adjust(np.array([0.8 * 0.5 + 0.1 * 0.5, 0.2 * 0.5 + 0.9 * 0.5]), m), 6).tolist()
    [0.5, 0.5]
    """
    solution = np.linalg.lstsq(misclassification.T, np.asarray(observed).T, rcond=None)[0].T
    return renormalised(solution, observed)


def estimate(totals: Totals, method: str, reference: Reference | None = None) -> np.ndarray:
    """The frame shares of the units summarised by ``totals`` under ``method`` (one of :data:`METHODS`)."""
    if method not in METHODS:
        raise ValueError(f"Unknown share method {method!r}: choose one of {', '.join(METHODS)}.")
    if totals.n <= 0:
        return np.full(len(LABELS), np.nan)
    if method == "cc":
        return totals.counts / totals.n
    if method == "pcc":
        return totals.probability_sums / totals.n
    if reference is None:
        raise ValueError(f"{method} needs the labelled units' out-of-fold predictions (a Reference).")
    if method == "acc":
        return adjust(totals.counts / totals.n, reference.misclassification())
    return adjust(totals.probability_sums / totals.n, reference.misclassification(soft=True))


def estimate_all(probabilities: np.ndarray, reference: Reference | None = None) -> dict[str, np.ndarray]:
    """Every method's shares for ``probabilities`` (methods needing a reference are left out without one)."""
    totals = Totals.of(probabilities)
    return {
        method: estimate(totals, method, reference)
        for method in METHODS
        if reference is not None or method not in CORRECTED
    }


def retemper(probabilities: np.ndarray, ratio: float) -> np.ndarray:
    """Probabilities re-scaled by a further temperature ``ratio`` (1 leaves them as they are)."""
    logits = np.log(np.clip(probabilities, LOG_FLOOR, None))
    return softmax(logits / ratio, axis=1)


def absolute_errors(estimated: np.ndarray, true: np.ndarray) -> dict[str, Any]:
    """Per-label absolute error and total variation distance (half the L1 distance) of ``estimated``."""
    error = np.abs(np.asarray(estimated) - np.asarray(true))
    return {
        "per_label": {label: float(e) for label, e in zip(LABELS, error, strict=True)},
        "total_variation": float(error.sum() / 2),
    }
