import json

import pytest

from framing.errors import LabelFileError, NoTrainingDataError, UnknownLabelError
from framing.labels.store import (
    LabelRecord,
    annotations_by_annotator,
    annotator_file,
    append_records,
    read_records,
    training_labels,
)


def record(unit_id, label, annotator="ann", text="t"):
    return LabelRecord(unit_id, text, label, annotator, timestamp="2026-01-01T00:00:00+00:00")


def test_append_then_read_round_trip(tmp_path):
    path = tmp_path / "ann.jsonl"
    append_records(path, [record("u1", "resource"), record("u2", "none")])
    append_records(path, [record("u1", "systemic-failure")])
    loaded = read_records(path)
    assert not loaded.problems
    latest = annotations_by_annotator(loaded.records)["ann"]
    assert {k: v.label for k, v in latest.items()} == {"u1": "systemic-failure", "u2": "none"}


def test_undo_retracts_a_unit(tmp_path):
    path = tmp_path / "ann.jsonl"
    append_records(path, [record("u1", "resource"), record("u1", None)])
    assert annotations_by_annotator(read_records(path).records)["ann"] == {}


def test_damaged_lines_are_reported_and_the_rest_loads(tmp_path):
    path = tmp_path / "ann.jsonl"
    append_records(path, [record("u1", "resource")])
    with path.open("a") as stream:
        stream.write('{"unit_id": "u2", "text": "t", "label": "resou\n')
        stream.write(json.dumps({"unit_id": "u3", "text": "t", "label": "blame", "annotator": "ann"}) + "\n")
    append_records(path, [record("u4", "none")])
    loaded = read_records(path)
    assert [r.unit_id for r in loaded.records] == ["u1", "u4"]
    assert loaded.problems[0].startswith(f"{path}:2:")
    assert loaded.problems[1].startswith(f"{path}:3: Unknown label 'blame'; expected one of")


def test_unknown_label_is_refused_before_writing(tmp_path):
    path = tmp_path / "ann.jsonl"
    with pytest.raises(UnknownLabelError, match="Unknown label 'blame'"):
        append_records(path, [record("u1", "none"), record("u2", "blame")])
    assert not path.exists()


@pytest.mark.parametrize("name", ["../etc", "a/b", "", "gold", "x" * 65])
def test_annotator_names_are_checked(tmp_path, name):
    with pytest.raises(LabelFileError):
        annotator_file(tmp_path, name)


def test_training_labels_prefer_gold_else_agreement(tmp_path):
    with pytest.raises(NoTrainingDataError, match="Nothing to train on"):
        training_labels(tmp_path)
    append_records(tmp_path / "a.jsonl", [record("u1", "resource", "a"), record("u2", "none", "a")])
    append_records(tmp_path / "b.jsonl", [record("u1", "resource", "b"), record("u2", "resource", "b")])
    found = training_labels(tmp_path)
    assert [(r.unit_id, r.label) for r in found.records] == [("u1", "resource")]
    assert "agree" in found.source
    append_records(tmp_path / "gold.jsonl", [record("u2", "none", "adjudicator")])
    found = training_labels(tmp_path)
    assert [(r.unit_id, r.label) for r in found.records] == [("u2", "none")]
    assert "gold" in found.source
