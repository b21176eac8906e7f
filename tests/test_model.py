"""Training, persistence and prediction, end to end on the tiny labelled fixture."""

import json
import os

import pytest

import framing
from framing.errors import ModelError, NoTrainingDataError
from framing.labels.dataset import load_labelled
from framing.model.persist import load_model_file, save_model, sha256_of
from framing.model.train import train


def test_trained_model_metadata(model_path):
    metadata = json.loads(model_path.with_suffix(".json").read_text())
    assert metadata["labels"] == list(framing.LABELS)
    assert metadata["codebook_version"] == framing.CODEBOOK_VERSION
    assert metadata["units_per_label"] == dict.fromkeys(framing.LABELS, 12)
    assert metadata["sha256"] == sha256_of(model_path)
    assert len(metadata["cv"]["macro_f1_folds"]) == 5
    assert 0.0 <= metadata["cv"]["macro_f1_mean"] <= 1.0
    assert metadata["cv"]["scoring"] == "mean of per-fold macro-F1"
    assert "pooled out-of-fold macro-F1" in metadata["cv"]["note"]
    assert {"scikit-learn", "spacy", "joblib"} <= metadata["libraries"].keys()
    assert len(metadata["hmac"]) == 64
    assert metadata["calibration"]["temperature"] > 0
    assert "every training unit" in metadata["calibration"]["fitted_on"]  # no written set here


def test_the_model_key_is_the_session_one_made_owner_only(model_path, model_key):
    from framing.model.persist import key_path

    assert key_path() == model_key  # tests never read or make the real key in the home folder
    assert model_key.stat().st_mode & 0o777 == 0o600
    assert len(model_key.read_bytes()) == 32


def test_training_is_deterministic(labels_dir, model_path, tmp_path):
    again = train(labels_dir, tmp_path / "again.joblib", units_path=None)
    first = json.loads(model_path.with_suffix(".json").read_text())
    assert again["cv"] == first["cv"]
    assert again["training_data_sha256"] == first["training_data_sha256"]


def test_model_learns_the_fixture(model_path):
    predictions = framing.predict(
        ["Budget cuts left the team without enough staff.", "The system failed this child."], model=model_path
    )
    assert [p.label for p in predictions] == ["resource", "systemic-failure"]


def test_save_load_round_trip_gives_identical_predictions(model_path, model_copy):
    texts = ["Caseloads were far too high.", "The council failed him.", "He was born in 2006."]
    original = framing.predict(texts, model=model_path)
    assert framing.predict(texts, model=load_model_file(model_copy)) == original


def test_a_model_file_is_a_joblib_pickle(model_copy):
    import joblib

    assert type(joblib.load(model_copy)).__name__ == "Pipeline"


def test_modified_model_is_refused(model_copy):
    with model_copy.open("ab") as stream:
        stream.write(b"\0")
    with pytest.raises(ModelError, match="sha256 does not match"):
        load_model_file(model_copy)


def test_truncated_model_is_refused(model_copy):
    data = model_copy.read_bytes()
    model_copy.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="modified or truncated"):
        load_model_file(model_copy)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("labels", ["blame", "none"], "trained for labels"),
        ("libraries", {"scikit-learn": "0.24.2"}, "saved with scikit-learn 0.24.2"),
    ],
)
def test_incompatible_model_is_refused(model_copy, field, value, message):
    sidecar = model_copy.with_suffix(".json")
    metadata = json.loads(sidecar.read_text())
    metadata[field] = value
    sidecar.write_text(json.dumps(metadata))
    with pytest.raises(ModelError, match=message):
        load_model_file(model_copy)


def test_a_model_that_cannot_predict_every_label_is_never_saved(model_copy):
    pipeline = load_model_file(model_copy).pipeline
    pipeline[-1].classes_ = pipeline.classes_[:3]  # stands for a fit on three labels
    before = model_copy.read_bytes()
    with pytest.raises(ModelError, match="cannot predict systemic-failure"):
        save_model(pipeline, {}, model_copy)
    assert model_copy.read_bytes() == before
    assert sorted(p.name for p in model_copy.parent.iterdir()) == ["framing.joblib", "framing.json"]


def test_saved_files_get_the_usual_permissions(tmp_path, model_copy):
    umask = os.umask(0o022)
    try:
        save_model(load_model_file(model_copy).pipeline, {}, tmp_path / "new.joblib")
    finally:
        os.umask(umask)
    for name in ("new.joblib", "new.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644


def test_missing_model_says_run_make_train(tmp_path):
    with pytest.raises(ModelError, match="Run `make train` first"):
        framing.load_model(tmp_path / "none.joblib")


def test_too_little_data_is_a_clear_error(tmp_path):
    (tmp_path / "gold.jsonl").write_text(
        json.dumps({"unit_id": "u", "text": "t", "label": "none", "annotator": "a", "doc_id": "d"}) + "\n"
    )
    with pytest.raises(NoTrainingDataError, match="Too little to train on"):
        train(tmp_path, tmp_path / "m.joblib", units_path=None)


def test_groups_come_from_records(labels_dir):
    data = load_labelled(labels_dir)
    assert len(data) == 48 and len(set(data.groups)) == 6
