"""How wrong each frame-share method is on held-out labelled units.

``framing profile`` reports frame shares per group of units, estimated by one
of :data:`framing.profile.shares.METHODS`. Here each method is scored where
the truth is known: on each held-out outer fold, the fold's gold label shares
against the method's estimate from the fold's held-out probabilities, with
the reference (out-of-fold predictions on the fold's training units) that
``framing profile`` would use with that fold's model. The errors are the
absolute error per label and the total variation distance (half the summed
absolute errors: the share of units that would have to change label).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from framing.codebook import LABELS
from framing.profile.shares import METHOD_NAMES, METHODS, Reference, absolute_errors, estimate_all

TIE = 0.001
"""Mean total variations closer than this count as a tie, won by the simpler method (earlier in METHODS)."""


def true_shares(gold: Sequence[str]) -> np.ndarray:
    """The share of each label among ``gold``, in ``LABELS`` order."""
    counts = np.array([sum(label == g for g in gold) for label in LABELS], dtype=float)
    return counts / max(len(gold), 1)


def _by_label(shares: np.ndarray) -> dict[str, float]:
    return {label: float(value) for label, value in zip(LABELS, shares, strict=True)}


def _scored(estimates: dict[str, np.ndarray], truth: np.ndarray) -> dict[str, Any]:
    return {
        "true": _by_label(truth),
        "estimates": {method: _by_label(shares) for method, shares in estimates.items()},
        "errors": {method: absolute_errors(shares, truth) for method, shares in estimates.items()},
    }


def share_errors(
    probabilities: np.ndarray,
    gold: Sequence[str],
    parts: Sequence[np.ndarray],
    references: Sequence[Reference | None],
) -> dict[str, Any]:
    """Each method's share error on each of ``parts`` (unit indices), corrected by ``references``.

    Returns per part (``folds``) the true shares, every method's estimate and
    its errors; per method (``summary``) the mean, smallest and largest total
    variation and the mean absolute error per label over the parts; the same
    errors for all parts ``pooled`` (each method's estimate of the whole is
    the units-weighted mean of its part estimates, as a corpus made of such
    parts would be estimated); and ``best_method``, the lowest mean total
    variation (ties within :data:`TIE` go to the simpler method). Methods
    that need a reference are left out when a part has none.
    """
    gold = list(gold)
    methods = [m for m in METHODS if all(r is not None for r in references) or m in ("cc", "pcc")]
    folds, weighted = [], {m: np.zeros(len(LABELS)) for m in methods}
    for k, (units, reference) in enumerate(zip(parts, references, strict=True)):
        estimates = estimate_all(probabilities[units], reference)
        for method in methods:
            weighted[method] += len(units) * estimates[method]
        folds.append(
            {
                "fold": k + 1,
                "units": len(units),
                **_scored({m: estimates[m] for m in methods}, true_shares([gold[i] for i in units])),
            }
        )
    total = sum(len(units) for units in parts)
    summary = {}
    for method in methods:
        variation = [fold["errors"][method]["total_variation"] for fold in folds]
        summary[method] = {
            "name": METHOD_NAMES[method],
            "mean_total_variation": float(np.mean(variation)),
            "min_total_variation": float(np.min(variation)),
            "max_total_variation": float(np.max(variation)),
            "mean_abs_error": {
                label: float(np.mean([fold["errors"][method]["per_label"][label] for fold in folds]))
                for label in LABELS
            },
        }
    lowest = min(summary[m]["mean_total_variation"] for m in methods)
    best = next(m for m in methods if summary[m]["mean_total_variation"] <= lowest + TIE)
    everything = np.concatenate([np.asarray(units, dtype=int) for units in parts])
    return {
        "methods": methods,
        "parts": len(parts),
        "folds": folds,
        "summary": summary,
        "pooled": {
            "units": total,
            **_scored({m: weighted[m] / total for m in methods}, true_shares([gold[i] for i in everything])),
        },
        "best_method": best,
        "tie": TIE,
    }
