"""What a profile's intervals resample: the labelled reference, the corpus documents, held-out errors.

- :class:`Replicates`: ``B`` bootstrap replicates of the labelled reference
  (documents drawn with replacement, :meth:`Reference.resample`). Each gives
  the misclassification matrices ``acc`` and ``pacc`` correct with, and the
  temperature ratio ``pcc`` re-scales the corpus probabilities by. Replicate 0
  is the reference itself (ratio 1), so the point estimate is computed with the
  same code as the replicates.
- :func:`poisson_weights`: the corpus side, a Poisson bootstrap of documents.
  Each document gets ``B`` weights drawn from Poisson(1) by a counter-based
  generator (SplitMix64) keyed by a stable hash of (seed, document id). A
  document's weights are the same wherever and whenever it is read, so the
  result depends neither on the order of the input nor on how it is split
  into partitions, and no list of documents is ever held in memory.
- :class:`HeldOutErrors`: each method's share errors on the held-out sources
  of ``framing evaluate``; each replicate adds one source's errors, drawn at
  random, so the intervals also cover how wrong the method was on text its
  model never saw.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from framing.codebook import LABELS
from framing.errors import FramingError
from framing.profile.shares import Reference, renormalised

DEFAULT_RESAMPLES = 200
_POISSON_CDF = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(24)])
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def document_key(seed: int, document: str) -> int:
    """A stable 64-bit hash of (seed, document id): the key of the document's weights."""
    digest = hashlib.blake2b(f"{seed}\x1f{document}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _splitmix64(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def poisson_weights(keys: np.ndarray, resamples: int) -> np.ndarray:
    """``(len(keys), resamples)`` Poisson(1) weights, each row a function of its document key alone."""
    states = _splitmix64(np.asarray(keys, dtype=np.uint64))  # documents with close keys get far-apart streams
    steps = np.arange(1, resamples + 1, dtype=np.uint64) * _GOLDEN
    with np.errstate(over="ignore"):
        counters = states[:, None] + steps[None, :]
    uniform = (_splitmix64(counters) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.searchsorted(_POISSON_CDF, uniform, side="right").astype(np.float64)


@dataclass(frozen=True)
class Replicates:
    """Per replicate (0: the reference itself): the temperature ratio and the misclassification matrices.

    ``hard`` and ``soft`` are ``None`` without a reference (then every ratio is 1).
    """

    ratios: np.ndarray
    hard: np.ndarray | None = None
    soft: np.ndarray | None = None

    @property
    def resamples(self) -> int:
        """``B``: the replicates besides replicate 0."""
        return len(self.ratios) - 1

    @classmethod
    def draw(cls, reference: Reference | None, resamples: int, seed: int) -> Replicates:
        """Replicate 0 from ``reference``, then ``resamples`` bootstrap replicates of it (by document)."""
        if reference is None:
            return cls(np.ones(resamples + 1))
        rng = np.random.default_rng([seed, 1])
        base = reference.temperature()
        drawn = [reference, *(reference.resample(rng) for _ in range(resamples))]
        ratios = np.array([1.0, *(r.temperature() / base for r in drawn[1:])])
        hard = np.stack([r.misclassification() for r in drawn])
        soft = np.stack([r.misclassification(soft=True) for r in drawn])
        return cls(ratios, hard, soft)


@dataclass(frozen=True)
class HeldOutErrors:
    """Each share method's signed errors (estimate minus truth) on the held-out folds of an evaluation.

    ``framing evaluate`` measures them where the truth is known
    (``protocols.cv.share_error`` of its ``metrics.json``): each fold is a
    source the fold's model never saw. A profile adds one fold's errors, drawn
    at random, to each bootstrap replicate, so its intervals also cover how
    wrong the method was on unseen sources.
    """

    errors: dict[str, np.ndarray]
    best_method: str
    model_id: str | None
    path: str

    @property
    def folds(self) -> int:
        """How many held-out folds the errors come from."""
        return len(next(iter(self.errors.values())))

    @classmethod
    def from_metrics(cls, metrics: Mapping[str, Any], path: str | Path) -> HeldOutErrors:
        """The errors in an evaluation's metrics; :class:`FramingError` if it has none."""
        measured = metrics.get("protocols", {}).get("cv", {}).get("share_error")
        if not measured or not measured.get("folds"):
            raise FramingError(
                f"{path}: this evaluation has no share errors (it predates their measurement): "
                "run `make evaluate` again."
            )
        errors = {
            method: np.array(
                [
                    [fold["estimates"][method][label] - fold["true"][label] for label in LABELS]
                    for fold in measured["folds"]
                ]
            )
            for method in measured["methods"]
        }
        return cls(errors, measured["best_method"], metrics.get("model_id"), str(path))

    def draw(self, method: str, resamples: int, seed: int) -> np.ndarray | None:
        """``(resamples + 1, labels)`` errors, one fold's per replicate (row 0, the point estimate: none).

        The folds are drawn with the same generator for every method and group, so a replicate stands
        for one unseen source throughout. ``None`` when ``method`` was not measured.
        """
        if method not in self.errors:
            return None
        drawn = np.random.default_rng([seed, 2]).integers(self.folds, size=resamples)
        return np.vstack([np.zeros(len(LABELS)), self.errors[method][drawn]])


def read_held_out_errors(path: str | Path) -> HeldOutErrors:
    """The share errors of the evaluation in ``path`` (its ``metrics.json``)."""
    try:
        metrics = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FramingError(f"{path}: cannot read the evaluation metrics ({exc}).") from exc
    return HeldOutErrors.from_metrics(metrics, path)


def shifted(shares: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """``(groups, replicates, labels)`` shares minus each replicate's errors, clipped at 0, renormalised."""
    return renormalised(shares - errors[None, :, :], shares)
