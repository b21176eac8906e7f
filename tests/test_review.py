import json

import pytest

from framing.app.review import ReviewSession, find_disagreements, load_disagreements
from framing.corpus.units import Unit
from framing.errors import LabelFileError, UnknownUnitError
from framing.labels.store import LabelRecord, append_records, latest, read_records

UNITS = [Unit(f"u{i}", "doc", "sentence", i, f"Text {i}.", prev=f"Text {i - 1}.") for i in range(4)]


def write(folder, name, labels):
    records = [
        LabelRecord(u.unit_id, u.text, label, name, doc_id=u.doc_id, kind=u.kind)
        for u, label in zip(UNITS, labels, strict=False)
        if label is not None
    ]
    append_records(folder / f"{name}.jsonl", records)


@pytest.fixture
def labels_dir(tmp_path):
    write(tmp_path, "a", ["none", "resource", "none", "resource"])
    write(tmp_path, "b", ["none", "none", "systemic-failure", None])
    write(tmp_path, "c", [None, None, None, "individual-blame"])
    return tmp_path


def gold(folder):
    return [json.loads(line) for line in (folder / "gold.jsonl").read_text().splitlines()]


def test_disagreements_are_units_two_annotators_labelled_differently(labels_dir):
    found, problems = load_disagreements(labels_dir)
    assert [d.unit_id for d in found] == ["u1", "u2", "u3"]
    assert found[2].labels == {"a": "resource", "c": "individual-blame"}
    assert problems == []


def test_a_retraction_is_not_a_label():
    a = {"u0": LabelRecord("u0", "t", "none", "a")}
    b_records = [LabelRecord("u0", "t", "resource", "b"), LabelRecord("u0", "t", None, "b")]
    assert find_disagreements({"a": a, "b": latest(b_records)}) == []


def test_review_walks_disagreements_in_unit_order_and_writes_gold(labels_dir):
    session = ReviewSession(labels_dir, UNITS[::-1], adjudicator="judge")
    assert session.state()["unit"]["unit_id"] == "u3"
    state = session.decide("u3", "individual-blame", "  names the mother  ")
    assert state["unit"]["unit_id"] == "u2"
    assert state["progress"]["done"] == 1 and state["progress"]["total"] == 3
    [record] = gold(labels_dir)
    assert record["label"] == "individual-blame" and record["note"] == "names the mother"
    assert record["annotator"] == "judge" and record["doc_id"] == "doc"


def test_review_skips_units_already_in_gold_unless_revisiting(labels_dir):
    append_records(labels_dir / "gold.jsonl", [LabelRecord("u1", "Text 1.", "resource", "adjudicator")])
    session = ReviewSession(labels_dir, UNITS)
    assert session.pending == 2 and session.state()["unit"]["unit_id"] == "u2"
    revisit = ReviewSession(labels_dir, UNITS, revisit=True)
    assert revisit.pending == 3
    state = revisit.state()
    assert state["unit"]["unit_id"] == "u1" and state["unit"]["gold"]["label"] == "resource"
    assert state["progress"]["done"] == 0 and state["progress"]["counts"]["resource"] == 1
    assert revisit.decide("u1", "none")["progress"]["done"] == 1


def test_undo_in_review_restores_the_earlier_gold_label(labels_dir):
    append_records(labels_dir / "gold.jsonl", [LabelRecord("u1", "Text 1.", "resource", "adjudicator")])
    session = ReviewSession(labels_dir, UNITS, revisit=True)
    session.decide("u1", "none", "changed my mind")
    state = session.undo()
    assert state["unit"]["unit_id"] == "u1"
    assert latest(read_records(labels_dir / "gold.jsonl").records)["u1"].label == "resource"
    assert not session.state()["can_undo"]  # earlier gold decisions are not this session's to undo


def test_review_of_unknown_unit_is_an_error(labels_dir):
    session = ReviewSession(labels_dir, UNITS)
    with pytest.raises(UnknownUnitError):
        session.decide("u0", "none")  # everyone agreed on u0


def test_review_without_units_file_still_shows_text(labels_dir):
    session = ReviewSession(labels_dir)
    unit = session.state()["unit"]
    assert unit["text"] == "Text 1." and unit["prev"] == ""


def test_review_needs_annotator_files(tmp_path):
    with pytest.raises(LabelFileError, match="No annotator files"):
        ReviewSession(tmp_path)


def test_damaged_lines_are_reported(labels_dir):
    with (labels_dir / "a.jsonl").open("a") as stream:
        stream.write("not json\n")
    session = ReviewSession(labels_dir, UNITS)
    assert session.state()["problems"] == [f"{labels_dir / 'a.jsonl'}:5: not JSON (Expecting value)"]
    assert len(session.units) == 3
