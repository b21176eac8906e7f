"""``framing evaluate`` (``make evaluate``): run the protocols, analyse them, return the metrics.

This module computes; it writes nothing. The CLI passes the metrics to
:func:`framing.report.write.write_reports`, which writes ``metrics.json`` (the
source of truth) and renders ``report.md`` and ``report.html`` from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from framing import __version__
from framing.codebook import CODEBOOK_VERSION
from framing.errors import FramingError
from framing.experiment.analysis import CURVE_SEEDS, analyse, external_set_checks, learning_curve
from framing.experiment.explain import top_features
from framing.experiment.metrics import N_RESAMPLES
from framing.experiment.protocols import cross_validated, external_test, outer_splits
from framing.experiment.shares import share_errors
from framing.labels.agreement import agreement_of_files
from framing.labels.dataset import LabelledData, load_training_sets, read_test_set
from framing.labels.store import annotator_files
from framing.model.nlp import DEFAULT_PIPELINE
from framing.model.pipeline import SEED, feature_set, hyper_parameters
from framing.model.predict import load_model
from framing.profile.shares import Reference


def annotator_ceiling(labels_dir: str | Path) -> dict[str, Any]:
    """The annotators' agreement in ``labels_dir``: how well a model trained on their labels could do.

    Cohen's kappa per pair and Krippendorff's alpha with their 95% intervals
    (:func:`framing.labels.agreement.agreement_of_files`); ``{"available":
    False, "reason"}`` without two annotator files sharing units.
    """
    files = annotator_files(labels_dir)
    if not files:
        return {"available": False, "reason": f"no annotator files in {labels_dir}"}
    try:
        found = agreement_of_files(files)
    except FramingError as exc:
        return {"available": False, "reason": str(exc)}
    return {
        "available": True,
        "files": [str(path) for path in files],
        "annotators": found.annotators,
        "units": found.units,
        "raw_agreement": found.raw_agreement,
        "kappa": {
            pair: {"value": kappa, "interval": found.kappa_interval[pair], "n": found.pair_units[pair]}
            for pair, kappa in found.cohen_kappa.items()
        },
        "alpha": {"value": found.krippendorff_alpha, "interval": found.alpha_interval, "n": found.units},
    }


def evaluate(
    labels_dir: str | Path = "data/labels",
    units_path: str | Path | None = "data/units.jsonl",
    seed: int = SEED,
    n_jobs: int = 1,
    model_path: str | Path | None = None,
    test_path: str | Path | None = None,
    n_resamples: int = N_RESAMPLES,
    curve_seeds: int = CURVE_SEEDS,
    extra_dirs: Sequence[str | Path] = (),
) -> dict[str, Any]:
    """Evaluate the trained model and return the metrics (the content of ``metrics.json``).

    :func:`framing.report.write.write_reports` renders them into files.

    The cross-validation protocol re-runs the training procedure of ``framing
    train`` inside outer folds grouped by source, scoring units of
    ``labels_dir`` only: the labelled sets of ``extra_dirs`` (text written for
    training) join every training fold and are never scored. ``test_path`` adds the external
    protocol with the trained model itself (``model_path``, default: the model
    :func:`framing.model.predict.load_model` finds).
    """
    model = load_model(model_path)
    metadata = model.metadata
    test = read_test_set(test_path) if test_path is not None else None
    data, extras = load_training_sets(labels_dir, units_path, extra_dirs)
    extra = LabelledData.concat(extras) if extras else None
    spacy_model = metadata.get("spacy_model", DEFAULT_PIPELINE)
    features = feature_set(model.pipeline)
    folds = outer_splits(data, seed)
    predictions, fold_info = cross_validated(data, folds, extra, seed, spacy_model, n_jobs, features)
    references = [
        Reference.from_pipeline(pipeline, data.subset(train).labels, data.subset(train).groups)
        for pipeline, (train, _) in zip(predictions.explainers, folds, strict=True)
    ]
    n_sources = len(set(data.sources))
    split = (
        f"leave-one-source-out ({n_sources} sources)"
        if len(folds) == n_sources
        else f"{len(folds)}-fold StratifiedGroupKFold by source ({n_sources} sources, seed {seed})"
    )
    written = (
        f" Every training fold also holds all {len(extra)} units of {extra.source}, text written for "
        "training, which is never scored; the same model trained on the real training folds alone is "
        "reported as a baseline, so the gain from the written text is measured on the same units."
        if extra is not None
        else ""
    )
    cv = {
        "name": "nested cross-validation by source",
        "description": (
            f"{split}: a source is one file or page (an article with its reader comments, an archive "
            "page with its posts), so no held-out unit shares a source with a training unit. In each "
            "outer training fold the hyper-parameters are chosen by the grouped grid search of "
            f"`framing train`, and the held-out sources are predicted once.{written} The baselines "
            "use the same folds; the keyword lexicon learns nothing."
        ),
        "bootstrap": {"resamples": n_resamples, "resampling": "documents", "confidence": 0.95, "seed": seed},
        **analyse(predictions, n_resamples, seed),
        "folds": fold_info,
        "learning_curve": learning_curve(
            predictions.explainers,
            data,
            folds,
            predictions.baselines,
            extra,
            n_seeds=curve_seeds,
            seed=seed,
            n_jobs=n_jobs,
        ),
        "explanations": "Each explanation comes from the outer-fold model that made the prediction.",
        "share_error": {
            "description": (
                "For each outer fold, the gold label shares of its held-out units against each share "
                "method's estimate from their held-out probabilities; the corrections use the out-of-fold "
                "predictions that the fold's model kept for its real training units, as `framing profile` "
                "would with that model."
            ),
            **share_errors(predictions.probabilities, data.labels, [test for _, test in folds], references),
        },
    }
    protocols = {"cv": cv}
    warnings = [f"Damaged label line skipped: {problem}" for problem in data.problems]
    if test is not None:
        training = LabelledData.concat([data, *extras])
        checks = external_set_checks(test, data, training)
        test_predictions = external_test(model, test, training, data)
        test_reference = Reference.from_metadata(metadata)
        if checks["overlap"]["units"]:
            warnings.append(
                f"{checks['overlap']['units']} of the {len(test)} units of the test set {test.source} have "
                "the same text as a training unit: the model saw them, so its test scores are optimistic."
            )
        has_documents = any(g != u for g, u in zip(test.groups, test.unit_ids, strict=True))
        protocols["test"] = {
            "name": "external test set",
            "description": (
                f"{test.source}, scored by the trained model {metadata['model_id']} (fitted on all "
                f"{metadata.get('training_units')} training labels); the majority baseline is fitted on the "
                "same training labels."
            ),
            "bootstrap": {
                "resamples": n_resamples,
                "resampling": "documents" if has_documents else "units (the file has no doc_id)",
                "confidence": 0.95,
                "seed": seed,
            },
            **analyse(test_predictions, n_resamples, seed),
            **checks,
            "explanations": "Each explanation comes from the trained model.",
            "share_error": {
                "description": (
                    "The gold label shares of the test set against each share method's estimate from the "
                    "trained model's probabilities, corrected with the out-of-fold predictions stored in "
                    "the model's metadata"
                    + ("" if test_reference is not None else " (none stored: retrain to score acc and pacc)")
                    + "."
                ),
                **share_errors(
                    test_predictions.probabilities, test.labels, [np.arange(len(test))], [test_reference]
                ),
            },
        }
    if metadata.get("training_data_sha256") != LabelledData.concat([data, *extras]).sha256():
        warnings.append(
            f"The model {metadata['model_id']} was trained on other labels than the ones evaluated here "
            "(training-data hashes differ): retrain with `make train`."
        )
    metrics = {
        "schema_version": 1,
        "model_id": metadata["model_id"],
        "evaluated": datetime.now(UTC).isoformat(timespec="seconds"),
        "framing_version": __version__,
        "seed": seed,
        "warnings": warnings,
        "model": {
            "model_id": metadata["model_id"],
            "path": str(model.path),
            "created": metadata.get("created"),
            "spacy_model": spacy_model,
            "features": features,
            "hyper_parameters": hyper_parameters(model.pipeline),
            "libraries": metadata.get("libraries", {}),
            "codebook_version": metadata.get("codebook_version", CODEBOOK_VERSION),
            "training": {
                "source": metadata.get("training_source"),
                "units": metadata.get("training_units"),
                "documents": metadata.get("training_documents"),
                "per_label": metadata.get("units_per_label"),
                "sha256": metadata.get("training_data_sha256"),
            },
        },
        "data": data.describe(),
        "extra_data": [part.describe() for part in extras],
        "ceiling": annotator_ceiling(labels_dir),
        "top_features": top_features(model.pipeline),
        "protocols": protocols,
    }
    return metrics
