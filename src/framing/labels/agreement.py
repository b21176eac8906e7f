"""Inter-annotator agreement: Cohen's kappa, Krippendorff's alpha, confusion, disagreements."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from framing.codebook import LABELS
from framing.errors import LabelFileError
from framing.labels.store import LabelRecord, annotations_by_annotator, annotator_files, read_many


@dataclass
class Agreement:
    """Agreement figures over the units that every annotator labelled."""

    annotators: list[str]
    units: int
    raw_agreement: float
    cohen_kappa: dict[str, float]
    krippendorff_alpha: float
    confusion: dict[str, list[list[int]]]
    disagreements: list[dict[str, Any]]
    problems: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return dict(self.__dict__)


def agreement_of(
    decisions: dict[str, dict[str, LabelRecord]], problems: list[str] | None = None
) -> Agreement:
    """Agreement between annotators, over the units all of them labelled.

    >>> from framing.labels.store import LabelRecord as R
    >>> same = {n: {u: R(u, "t", "none", n) for u in "abc"} for n in ("x", "y")}
    >>> agreement_of(same).raw_agreement
    1.0
    """
    annotators = sorted(decisions)
    if len(annotators) < 2:
        raise LabelFileError(f"Agreement needs at least two annotators; found {annotators or 'none'}.")
    shared = sorted(set.intersection(*(set(d) for d in decisions.values())))
    if not shared:
        raise LabelFileError(f"Annotators {', '.join(annotators)} have no labelled unit in common.")
    table = [[decisions[name][unit].label for unit in shared] for name in annotators]
    codes = np.array([[LABELS.index(label) for label in row] for row in table], dtype=float)
    kappas, confusion = {}, {}
    for (i, first), (j, second) in combinations(enumerate(annotators), 2):
        pair = f"{first} vs {second}"
        kappas[pair] = _kappa(table[i], table[j])
        confusion[pair] = confusion_matrix(table[i], table[j], labels=list(LABELS)).tolist()
    disagreements = [
        {
            "unit_id": unit,
            "text": decisions[annotators[0]][unit].text,
            "labels": {name: table[k][n] for k, name in enumerate(annotators)},
        }
        for n, unit in enumerate(shared)
        if len({row[n] for row in table}) > 1
    ]
    return Agreement(
        annotators=annotators,
        units=len(shared),
        raw_agreement=1 - len(disagreements) / len(shared),
        cohen_kappa=kappas,
        krippendorff_alpha=_alpha(codes),
        confusion=confusion,
        disagreements=disagreements,
        problems=problems or [],
    )


def _kappa(first: list[str], second: list[str]) -> float:
    """Cohen's kappa; 1.0 when both annotators used one and the same label throughout."""
    if first == second:
        return 1.0
    return float(cohen_kappa_score(first, second, labels=list(LABELS)))


def _alpha(codes: np.ndarray) -> float:
    """Krippendorff's alpha (nominal); 1.0 for identical, single-valued ratings."""
    if len(np.unique(codes)) == 1:
        return 1.0
    return float(krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal"))


def agreement_of_files(paths: list[str | Path]) -> Agreement:
    """Agreement between the annotators found in ``paths`` (labels files, or folders of them).

    A folder stands for its annotator files (``gold.jsonl`` is not an annotator).
    """
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(annotator_files(path) if path.is_dir() else [path])
    loaded = read_many(files)
    return agreement_of(annotations_by_annotator(loaded.records), loaded.problems)
