"""Training: choose hyper-parameters by grouped cross-validation, fit, and save."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from framing import __version__
from framing.codebook import CODEBOOK_VERSION, LABELS
from framing.labels.dataset import LabelledData, check_trainable, load_training_sets
from framing.model.nlp import DEFAULT_PIPELINE
from framing.model.persist import model_output, save_model
from framing.model.pipeline import DEFAULT_FEATURES, SEED, grouped_folds, hyper_parameters, select_model
from framing.profile.shares import Reference


def train(
    labels_dir: str | Path = "data/labels",
    output: str | Path = "models/framing.joblib",
    units_path: str | Path | None = "data/units.jsonl",
    seed: int = SEED,
    spacy_model: str = DEFAULT_PIPELINE,
    n_jobs: int = 1,
    extra_dirs: Sequence[str | Path] = (),
    features: str = DEFAULT_FEATURES,
) -> dict[str, Any]:
    """Train on the labels in ``labels_dir`` plus any ``extra_dirs``; save to ``output``; return the metadata.

    ``extra_dirs`` are further labelled sets (such as ``data/written``, text
    written for training) used for training alongside the main set.
    ``features`` names the feature set (:data:`framing.model.pipeline.FEATURE_SETS`). ``output``
    is checked and held for this run first
    (:func:`framing.model.persist.model_output`), so an unwritable folder or a
    second writer stops the run before any work.
    """
    with model_output(output):
        main, extras = load_training_sets(labels_dir, units_path, extra_dirs)
        data = LabelledData.concat([main, *extras])
        check_trainable(data, grouped_folds(len(set(data.sources)), seed))
        main_set = [True] * len(main) + [False] * (len(data) - len(main)) if extras else None
        pipeline, search = select_model(
            data.texts,
            data.labels,
            data.sources,
            seed,
            spacy_model,
            n_jobs,
            features=features,
            main_set=main_set,
        )
        metadata = _metadata(data, main, extras, pipeline, search, spacy_model, seed)
        calibrator = pipeline.named_steps["classifier"]
        metadata["calibration"] = {
            "temperature": float(calibrator.temperature_),
            "fitted_on": (
                "nothing: too few sources for calibration folds"
                if calibrator.out_of_fold_ is None
                else "grouped out-of-fold probabilities of every training unit"
                if calibrator.calibration_units_ == len(data)
                else f"grouped out-of-fold probabilities of the {len(main)} units of {main.source}"
            ),
        }
        reference = Reference.from_pipeline(pipeline, main.labels, main.groups)
        if reference is not None:
            metadata["out_of_fold"] = {
                "description": (
                    f"Calibrated out-of-fold probabilities of the {len(main)} units of {main.source} "
                    "(folds grouped by source, every other labelled set in each training fold): the "
                    "classifier's errors that `framing profile` corrects shares for."
                ),
                **reference.to_metadata(),
            }
        return save_model(pipeline, {**metadata, "features": features}, output)


def _metadata(
    data: LabelledData,
    main: LabelledData,
    extras: list[LabelledData],
    pipeline: Pipeline,
    search: GridSearchCV,
    spacy_model: str,
    seed: int,
) -> dict[str, Any]:
    """What the model file's sidecar records: data, sets, labels, versions and selection scores."""
    best = search.best_index_
    results = search.cv_results_
    fold_scores = [float(results[f"split{i}_test_score"][best]) for i in range(search.n_splits_)]
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "framing_version": __version__,
        "labels": list(LABELS),
        "codebook_version": CODEBOOK_VERSION,
        "spacy_model": spacy_model,
        "seed": seed,
        "training_source": data.source,
        "training_units": len(data),
        "training_documents": len(set(data.groups)),
        "units_per_label": {label: Counter(data.labels)[label] for label in LABELS},
        "training_data_sha256": data.sha256(),
        "training_sets": [
            {"role": "main (evaluated)" if part is main else "extra (training only)", **part.describe()}
            for part in (main, *extras)
        ],
        "label_problems": data.problems,
        "cv": {
            "protocol": (
                f"{search.n_splits_}-fold StratifiedGroupKFold by source over the {len(main)} units of "
                f"{main.source}; the other sets' units in every training fold and no test fold; seed {seed}"
                if extras
                else f"{search.n_splits_}-fold StratifiedGroupKFold by source, seed {seed}"
            ),
            "scoring": f"mean of per-fold macro-F1{f' on the units of {main.source} only' if extras else ''}",
            "best_params": hyper_parameters(pipeline),
            "macro_f1_mean": float(results["mean_test_score"][best]),
            "macro_f1_std": float(results["std_test_score"][best]),
            "macro_f1_folds": fold_scores,
            "note": "Mean of per-fold macro-F1 of the configuration selected on these same folds: "
            "optimistic because the configuration was chosen on these folds, and for model selection "
            "only. `make evaluate` reports nested estimates on real units only; its headline is the "
            "pooled out-of-fold macro-F1 (one macro-F1 over all held-out units), which can differ "
            "from a mean of per-fold macro-F1 either way.",
        },
    }
