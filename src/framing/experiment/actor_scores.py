"""Precision and recall of actor mentions against a labelled sample, with bootstrap intervals over units.

A mention is ``(start, end, role)`` with character offsets. **Strict**: a
found mention is right when a labelled one has exactly its span and role.
**Lenient**: when a labelled one of its role overlaps it; each labelled
mention is matched to at most one found mention (a maximum matching). Counts
are kept per unit and role, so one product with the resample counts gives
every bootstrap resample of units (as :mod:`framing.experiment.metrics` does
for documents).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from framing.experiment.metrics import N_RESAMPLES, estimate, resample_weights
from framing.model.actors import ROLES

Mention = tuple[int, int, str]
"""``(start, end, role)``."""

MODES = ("strict", "lenient")


def as_mention(mention: Any) -> Mention:
    """``(start, end, role)`` of an :class:`~framing.model.actors.Actor` or of a dict with those keys."""
    if isinstance(mention, Mapping):
        return int(mention["start"]), int(mention["end"]), str(mention["role"])
    return int(mention.start), int(mention.end), str(mention.role)


def unit_counts(gold: Iterable[Any], found: Iterable[Any], lenient: bool = False) -> np.ndarray:
    """True positives, false positives and false negatives per role for one unit, shape (roles, 3).

    >>> gold = [{"start": 0, "end": 11, "role": "council_agency"}]
    >>> found = [{"start": 4, "end": 11, "role": "council_agency"}]
    >>> unit_counts(gold, found)[3].tolist(), unit_counts(gold, found, lenient=True)[3].tolist()
    ([0, 1, 1], [1, 0, 0])
    """
    gold, found = [as_mention(m) for m in gold], [as_mention(m) for m in found]
    counts = np.zeros((len(ROLES), 3), dtype=np.int64)
    for index, role in enumerate(ROLES):
        wanted = [m for m in gold if m[2] == role]
        got = [m for m in found if m[2] == role]
        if lenient:
            overlaps = np.array([[g[0] < f[1] and f[0] < g[1] for f in got] for g in wanted], dtype=float)
            rows, columns = linear_sum_assignment(overlaps, maximize=True) if overlaps.size else ([], [])
            hits = int(overlaps[rows, columns].sum()) if overlaps.size else 0
        else:
            hits = sum((Counter(wanted) & Counter(got)).values())
        counts[index] = hits, len(got) - hits, len(wanted) - hits
    return counts


def _scores(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall and F1 of ``(..., 3)`` counts (NaN where undefined)."""
    tp, fp, fn = (counts[..., k].astype(float) for k in range(3))
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"precision": tp / (tp + fp), "recall": tp / (tp + fn), "f1": 2 * tp / (2 * tp + fp + fn)}


def actor_scores(
    gold: Sequence[Iterable[Any]],
    found: Sequence[Iterable[Any]],
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """Strict and lenient precision, recall and F1 per role and micro-averaged, with counts and intervals.

    ``gold`` and ``found`` hold one list of mentions per unit. Intervals are
    95% percentile intervals of ``n_resamples`` bootstrap resamples of units.
    Returns ``{"units", "mentions", "strict": {...}, "lenient": {...}}``, each mode
    with ``"micro"`` and ``"roles"`` entries of ``tp, fp, fn, precision, recall, f1``.
    """
    if len(gold) != len(found):
        raise ValueError(f"{len(gold)} labelled units but {len(found)} found ones.")
    gold, found = [list(g) for g in gold], [list(f) for f in found]
    weights = resample_weights(len(gold), n_resamples, seed) if gold else np.zeros((0, 0))
    result: dict[str, Any] = {"units": len(gold), "mentions": sum(len(g) for g in gold)}
    for mode in MODES:
        counts = np.array(
            [unit_counts(g, f, lenient=mode == "lenient") for g, f in zip(gold, found, strict=True)],
            dtype=np.int64,
        ).reshape(len(gold), len(ROLES), 3)
        resampled = np.einsum("bu,urk->brk", weights, counts)
        rows = {role: (counts[:, r].sum(axis=0), resampled[:, r]) for r, role in enumerate(ROLES)}
        rows["micro"] = (counts.sum(axis=(0, 1)), resampled.sum(axis=1))
        result[mode] = {"micro": None, "roles": {}}
        for name, (total, samples) in rows.items():
            point, spread = _scores(total), _scores(samples)
            entry = {"tp": int(total[0]), "fp": int(total[1]), "fn": int(total[2])}
            entry |= {score: estimate(float(point[score]), spread[score]) for score in point}
            if name == "micro":
                result[mode]["micro"] = entry
            else:
                result[mode]["roles"][name] = entry
    return result


def score_table(scores: dict[str, Any]) -> str:
    """A plain-text table of :func:`actor_scores`: one row per role and the micro average, per mode."""

    def cell(value: dict[str, Any]) -> str:
        if value["value"] is None:
            return "    -              "
        low, high = value["low"], value["high"]
        return f"{value['value']:.2f} [{low:.2f}, {high:.2f}]" if low is not None else f"{value['value']:.2f}"

    lines = [f"{scores['units']} units, {scores['mentions']} labelled mentions; 95% intervals over units"]
    for mode in MODES:
        lines += ["", f"{mode:<20}{'tp':>5}{'fp':>5}{'fn':>5}  {'precision':<19}  {'recall':<19}  f1"]
        rows = {**scores[mode]["roles"], "micro-average": scores[mode]["micro"]}
        for name, entry in rows.items():
            lines.append(
                f"{name:<20}{entry['tp']:>5}{entry['fp']:>5}{entry['fn']:>5}  "
                f"{cell(entry['precision']):<19}  {cell(entry['recall']):<19}  {cell(entry['f1'])}"
            )
    return "\n".join(lines)
