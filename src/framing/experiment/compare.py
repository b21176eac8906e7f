"""Two evaluations of the same units compared unit by unit: paired differences with bootstrap intervals.

``framing evaluate`` keeps every scored unit's prediction in ``metrics.json``
(``protocols.<name>.predictions``). Two evaluations of the same labelled units
(two feature sets, with and without a labelled set, two seeds) are compared on
the same document resamples, so the interval of the difference says whether
the data tell the two models apart, which two overlapping intervals cannot.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from framing.errors import FramingError
from framing.experiment.metrics import (
    N_RESAMPLES,
    classification_report,
    paired_differences,
    paired_label_differences,
)
from framing.model.pipeline import SEED


def read_metrics(path: str | Path) -> dict[str, Any]:
    """An evaluation's ``metrics.json``, given the file or its report folder."""
    path = Path(path)
    if path.is_dir():
        path = path / "metrics.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FramingError(f"{path}: no such file; give a report folder or its metrics.json.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FramingError(f"{path}: not a readable metrics.json ({exc}).") from None


def _predictions(metrics: dict[str, Any], protocol: str, which: str) -> list[dict[str, Any]]:
    """The per-unit predictions of one protocol, or a clear error naming what is missing."""
    protocols = metrics.get("protocols", {})
    if protocol not in protocols:
        raise FramingError(
            f"The {which} evaluation has no {protocol!r} protocol (it has: {', '.join(protocols) or 'none'})."
        )
    rows = protocols[protocol].get("predictions")
    if rows is None:
        raise FramingError(
            f"The {which} evaluation ({metrics.get('model_id')}) keeps no per-unit predictions: it was "
            "written by an older framing. Run `framing evaluate` again."
        )
    return rows


def compare(
    first: dict[str, Any],
    second: dict[str, Any],
    protocol: str = "cv",
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> dict[str, Any]:
    """Scores of two evaluations' models on the same units, and first minus second with paired intervals.

    Both must have scored the same units against the same gold labels; the
    bootstrap resamples their documents. Raises :class:`FramingError` otherwise.
    """
    rows_first = _predictions(first, protocol, "first")
    rows_second = {row["unit_id"]: row for row in _predictions(second, protocol, "second")}
    ids_first = [row["unit_id"] for row in rows_first]
    only_first, only_second = set(ids_first) - set(rows_second), set(rows_second) - set(ids_first)
    if only_first or only_second:
        raise FramingError(
            f"The two evaluations scored different units ({len(only_first)} only in the first, "
            f"{len(only_second)} only in the second): compare evaluations of the same labels."
        )
    changed = [row["unit_id"] for row in rows_first if row["gold"] != rows_second[row["unit_id"]]["gold"]]
    if changed:
        raise FramingError(
            f"{len(changed)} units have different gold labels in the two evaluations (e.g. {changed[0]}): "
            "they were scored against different labels."
        )
    paired = [rows_second[unit_id] for unit_id in ids_first]
    gold = [row["gold"] for row in rows_first]
    groups = [row["doc_id"] for row in rows_first]
    predicted_first = [row["predicted"] for row in rows_first]
    predicted_second = [row["predicted"] for row in paired]
    notes = []
    if any(a["fold"] != b["fold"] for a, b in zip(rows_first, paired, strict=True)):
        notes.append(
            "The two evaluations split the units into folds differently (another seed or other sources); "
            "the comparison is still paired by unit."
        )
    return {
        "protocol": first["protocols"][protocol].get("name", protocol),
        "units": len(gold),
        "documents": len(set(groups)),
        "bootstrap": {"resamples": n_resamples, "resampling": "documents", "confidence": 0.95, "seed": seed},
        "systems": [_system(first), _system(second)],
        "scores": [
            classification_report(gold, predicted, groups, n_resamples, seed)
            for predicted in (predicted_first, predicted_second)
        ],
        "first_minus_second": paired_differences(
            gold, predicted_first, predicted_second, groups, n_resamples, seed
        ),
        "first_minus_second_f1_per_label": paired_label_differences(
            gold, predicted_first, predicted_second, groups, n_resamples, seed
        ),
        "notes": notes,
    }


def _system(metrics: dict[str, Any]) -> dict[str, Any]:
    """What identifies an evaluation's model: id, features, hyper-parameters, training data."""
    model = metrics.get("model", {})
    return {
        "model_id": metrics.get("model_id"),
        "features": model.get("features"),
        "hyper_parameters": model.get("hyper_parameters"),
        "training_units": model.get("training", {}).get("units"),
    }
