"""Inter-annotator agreement: Cohen's kappa per pair, Krippendorff's alpha, confusion, disagreements.

With three or more annotators who each labelled part of the units (an
overlap setting), no unit need have been labelled by all of them. So each
pair's kappa uses the units both labelled, and Krippendorff's alpha uses
every unit labelled by two or more annotators, the others' labels missing.
Each figure reports the number of units behind it, a 95% bootstrap interval
(resampling units), and a warning when it rests on few units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from framing.codebook import LABELS
from framing.errors import LabelFileError
from framing.labels.store import LabelRecord, annotations_by_annotator, annotator_files, read_many

SMALL_N = 50
"""Below this many units a figure gets a warning: its 95% interval is typically wider than ±0.2."""
N_RESAMPLES = 1000
SEED = 13


@dataclass
class Agreement:
    """Agreement figures, each with the number of units behind it.

    ``units``: units labelled by two or more annotators (alpha's units;
    ``raw_agreement`` is the share of them where every label is the same);
    ``units_by_all``: units every annotator labelled. Per pair ``"a vs b"``:
    ``pair_units`` shared units, ``cohen_kappa`` (``None`` without shared
    units), ``kappa_interval`` and ``confusion`` (rows a, columns b).
    """

    annotators: list[str]
    units: int
    units_by_all: int
    raw_agreement: float
    cohen_kappa: dict[str, float | None]
    kappa_interval: dict[str, list[float] | None]
    pair_units: dict[str, int]
    krippendorff_alpha: float
    alpha_interval: list[float] | None
    alpha_values: int
    confusion: dict[str, list[list[int]]]
    disagreements: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return dict(self.__dict__)


def agreement_of(
    decisions: dict[str, dict[str, LabelRecord]],
    problems: list[str] | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> Agreement:
    """Agreement between annotators: pairwise over shared units, alpha over units labelled twice or more.

    >>> from framing.labels.store import LabelRecord as R
    >>> same = {n: {u: R(u, "t", "none", n) for u in "abc"} for n in ("x", "y")}
    >>> agreement_of(same).raw_agreement
    1.0
    """
    warnings = [f"{name} has no labels; left out." for name in sorted(decisions) if not decisions[name]]
    annotators = sorted(name for name in decisions if decisions[name])
    if len(annotators) < 2:
        raise LabelFileError(f"Agreement needs at least two annotators; found {annotators or 'none'}.")
    rng = np.random.default_rng(seed)
    units = sorted({u for name in annotators for u in decisions[name]})
    shared = [u for u in units if sum(u in decisions[name] for name in annotators) >= 2]
    if not shared:
        raise LabelFileError(f"Annotators {', '.join(annotators)} have no labelled unit in common.")
    codes = np.full((len(annotators), len(shared)), np.nan)
    for i, name in enumerate(annotators):
        for j, unit in enumerate(shared):
            if unit in decisions[name]:
                codes[i, j] = LABELS.index(decisions[name][unit].label)

    kappas: dict[str, float | None] = {}
    intervals: dict[str, list[float] | None] = {}
    pair_units: dict[str, int] = {}
    confusion: dict[str, list[list[int]]] = {}
    for (i, first), (j, second) in combinations(enumerate(annotators), 2):
        pair = f"{first} vs {second}"
        both = ~np.isnan(codes[i]) & ~np.isnan(codes[j])
        a, b = codes[i, both].astype(int), codes[j, both].astype(int)
        pair_units[pair] = len(a)
        if not len(a):
            kappas[pair], intervals[pair] = None, None
            confusion[pair] = [[0] * len(LABELS) for _ in LABELS]
            warnings.append(f"{first} and {second} labelled no unit in common: no kappa for them.")
            continue
        first_labels, second_labels = [LABELS[k] for k in a], [LABELS[k] for k in b]
        kappas[pair] = _kappa(first_labels, second_labels)
        intervals[pair] = _interval(bootstrap_kappa(a, b, n_resamples, rng))
        confusion[pair] = confusion_matrix(first_labels, second_labels, labels=list(LABELS)).tolist()
        if len(a) < SMALL_N:
            warnings.append(
                f"Cohen's kappa {pair} rests on {len(a)} shared units (fewer than {SMALL_N}): "
                "read it with its interval."
            )
    if len(shared) < SMALL_N:
        warnings.append(
            f"Krippendorff's alpha rests on {len(shared)} units labelled twice or more "
            f"(fewer than {SMALL_N}): read it with its interval."
        )
    disagreements = [
        {
            "unit_id": unit,
            "text": next(decisions[name][unit].text for name in annotators if unit in decisions[name]),
            "labels": {name: decisions[name][unit].label for name in annotators if unit in decisions[name]},
        }
        for j, unit in enumerate(shared)
        if len(set(codes[~np.isnan(codes[:, j]), j])) > 1
    ]
    return Agreement(
        annotators=annotators,
        units=len(shared),
        units_by_all=int((~np.isnan(codes)).all(axis=0).sum()) if len(shared) else 0,
        raw_agreement=1 - len(disagreements) / len(shared),
        cohen_kappa=kappas,
        kappa_interval=intervals,
        pair_units=pair_units,
        krippendorff_alpha=_alpha(codes),
        alpha_interval=_interval(bootstrap_alpha(codes, n_resamples, rng)),
        alpha_values=int((~np.isnan(codes)).sum()),
        confusion=confusion,
        disagreements=disagreements,
        warnings=warnings,
        problems=problems or [],
    )


def _kappa(first: list[str], second: list[str]) -> float:
    """Cohen's kappa; 1.0 when both annotators used one and the same label throughout."""
    if first == second:
        return 1.0
    return float(cohen_kappa_score(first, second, labels=list(LABELS)))


def _alpha(codes: np.ndarray) -> float:
    """Krippendorff's alpha (nominal), missing values as NaN; 1.0 for identical, single-valued ratings."""
    values = codes[~np.isnan(codes)]
    if len(np.unique(values)) == 1:
        return 1.0
    return float(krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal"))


def _interval(samples: np.ndarray) -> list[float] | None:
    """The 95% percentile interval of bootstrap ``samples``, rounded; ``None`` when none is defined."""
    samples = samples[~np.isnan(samples)]
    if not len(samples):
        return None
    low, high = np.percentile(samples, [2.5, 97.5])
    return [round(float(low), 3), round(float(high), 3)]


def _resample_weights(n: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``n`` units is drawn in each bootstrap resample: shape (resamples, n)."""
    draws = rng.integers(0, n, size=(n_resamples, n))
    offsets = n * np.arange(n_resamples)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=n_resamples * n).reshape(n_resamples, n)


def bootstrap_kappa(
    first: np.ndarray, second: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Cohen's kappa of ``n_resamples`` resamples of the unit pairs (label codes ``first``, ``second``)."""
    k = len(LABELS)
    cells = np.eye(k * k)[first * k + second]  # one-hot confusion cell of each unit
    tables = (_resample_weights(len(first), n_resamples, rng) @ cells).reshape(n_resamples, k, k)
    total = tables.sum(axis=(1, 2))
    observed = np.trace(tables, axis1=1, axis2=2) / total
    expected = (tables.sum(axis=2) * tables.sum(axis=1)).sum(axis=1) / total**2
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (observed - expected) / (1 - expected)
    return np.where(expected == 1, np.where(observed == 1, 1.0, np.nan), kappa)


def coincidences(codes: np.ndarray) -> np.ndarray:
    """Each unit's contribution to Krippendorff's coincidence matrix: shape (units, labels * labels)."""
    k = len(LABELS)
    counts = np.stack([(codes == c).sum(axis=0) for c in range(k)], axis=1).astype(float)  # units x labels
    pairable = counts.sum(axis=1)
    outer = counts[:, :, None] * counts[:, None, :] - np.einsum("uc,cd->ucd", counts, np.eye(k))
    with np.errstate(divide="ignore", invalid="ignore"):
        per_unit = outer / (pairable - 1)[:, None, None]
    per_unit[pairable < 2] = 0.0
    return per_unit.reshape(len(codes[0]), k * k)


def alpha_from_coincidences(tables: np.ndarray) -> np.ndarray:
    """Nominal alpha of each coincidence matrix in ``tables`` (shape (n, labels * labels))."""
    k = len(LABELS)
    tables = tables.reshape(-1, k, k)
    totals = tables.sum(axis=(1, 2))
    per_label = tables.sum(axis=2)
    disagreeing = totals - np.trace(tables, axis1=1, axis2=2)
    expected = totals**2 - (per_label**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1 - (totals - 1) * disagreeing / expected
    return np.where(expected == 0, np.where(disagreeing == 0, 1.0, np.nan), alpha)


def bootstrap_alpha(codes: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Krippendorff's alpha of ``n_resamples`` resamples of the units (columns of ``codes``)."""
    weights = _resample_weights(codes.shape[1], n_resamples, rng)
    return alpha_from_coincidences(weights @ coincidences(codes))


def label_files(paths: list[str | Path]) -> list[Path]:
    """``paths`` with each folder replaced by the annotator files in it (not ``gold.jsonl``)."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(annotator_files(path) if path.is_dir() else [path])
    return files


def agreement_of_files(paths: list[str | Path]) -> Agreement:
    """Agreement between the annotators found in ``paths`` (labels files, or folders of them)."""
    loaded = read_many(label_files(paths))
    return agreement_of(annotations_by_annotator(loaded.records), loaded.problems)
