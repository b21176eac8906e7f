"""Training on the main (real-text) set plus sets written for training: selection scores real text only."""

from __future__ import annotations

import json

import numpy as np

from framing.labels.dataset import load_labelled
from framing.model.pipeline import EXTRA_WEIGHTS, main_set_folds
from framing.model.train import train


def test_main_set_folds_test_on_main_units_only_and_train_on_every_other_unit():
    labels = ["a", "b"] * 12 + ["a", "b"] * 20
    groups = [f"real{k % 4}" for k in range(24)] + [f"written{k % 5}" for k in range(40)]
    main = np.arange(64) < 24
    folds = main_set_folds(labels, groups, main)
    assert len(folds) == 4  # one per real source: leave-one-source-out
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested) == list(range(24))  # every real unit tested once, no written unit ever
    for training, test in folds:
        assert set(range(24, 64)) <= set(training)
        assert not {groups[k] for k in training} & {groups[k] for k in test}


def test_with_one_main_source_the_folds_fall_back_to_every_unit():
    labels = ["a", "b"] * 16
    groups = ["real"] * 8 + [f"written{k % 4}" for k in range(24)]
    folds = main_set_folds(labels, groups, np.arange(32) < 8)
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested) == list(range(32))


def test_training_with_a_written_set_selects_on_real_text_and_weighs_the_written_units(
    labels_dir, tmp_path, monkeypatch
):
    from framing.model import pipeline

    monkeypatch.setattr(pipeline, "param_grid", lambda features="ngrams": {"classifier__estimator__C": [1.0]})
    written = tmp_path / "written"
    written.mkdir()
    records = [json.loads(line) for line in (labels_dir / "gold.jsonl").read_text().splitlines()]
    for record in records:
        record["unit_id"] = f"w-{record['unit_id']}"
        record["doc_id"] = f"written-{record['doc_id']}"
        record["annotator"] = "adjudicator"
    (written / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    metadata = train(labels_dir, tmp_path / "m.joblib", units_path=None, extra_dirs=[written])

    main = load_labelled(labels_dir)
    cv = metadata["cv"]
    assert len(cv["macro_f1_folds"]) == min(5, len(set(main.sources)))
    assert "only" in cv["scoring"] and "no test fold" in cv["protocol"]
    assert cv["best_params"]["extra_weight"] in EXTRA_WEIGHTS
    assert [s["role"] for s in metadata["training_sets"]] == ["main (evaluated)", "extra (training only)"]
    assert f"the {len(main)} units" in metadata["calibration"]["fitted_on"]
