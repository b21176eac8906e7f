import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from framing.app.review import ReviewSession, find_disagreements, load_disagreements
from framing.cli import app as cli
from framing.codebook import LABELS
from framing.corpus.units import Unit, write_units
from framing.errors import LabelFileError, NoTrainingDataError, UnknownUnitError
from framing.labels.store import LabelRecord, append_records, latest, read_records, training_labels

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
    _, record = gold(labels_dir)
    assert record["label"] == "individual-blame"
    assert record["note"] == "adjudicated (a: resource, c: individual-blame): names the mother"
    assert record["annotator"] == "judge" and record["doc_id"] == "doc"


def test_review_skips_units_already_in_gold_unless_revisiting(labels_dir):
    append_records(labels_dir / "gold.jsonl", [LabelRecord("u1", "Text 1.", "resource", "adjudicator")])
    with ReviewSession(labels_dir, UNITS) as session:
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


# --------------------------------------------------------------------------- gold = agreed + adjudicated


def double_annotated(folder, n=24, disputed=5):
    """``n`` units in 6 documents labelled by a and b, who disagree on the first ``disputed``."""
    units = [Unit(f"v{i:02d}", f"doc{i % 6}", "sentence", i, f"Sentence {i}.") for i in range(n)]
    for name in ("a", "b"):
        records = []
        for i, unit in enumerate(units):
            label = LABELS[i % len(LABELS)]
            if name == "b" and i < disputed:
                label = LABELS[(i + 1) % len(LABELS)]
            records.append(
                LabelRecord(unit.unit_id, unit.text, label, name, doc_id=unit.doc_id, kind=unit.kind)
            )
        append_records(folder / f"{name}.jsonl", records)
    return units


def test_gold_holds_the_agreed_units_and_the_adjudicated_ones(tmp_path):
    units = double_annotated(tmp_path)
    with ReviewSession(tmp_path, units) as review:
        assert review.gold_update.added == 19 and review.pending == 5
        while (unit := review.state()["unit"]) is not None:
            review.decide(unit["unit_id"], "none", "no cause given", revision=unit["revision"])
    records = latest(read_records(tmp_path / "gold.jsonl").records)
    assert len(records) == 24
    assert records["v10"].note == "agreed by a and b" and records["v10"].label == LABELS[10 % 4]
    assert records["v00"].note == f"adjudicated (a: {LABELS[0]}, b: {LABELS[1]}): no cause given"
    assert {r.annotator for r in records.values()} == {"adjudicator"}
    assert len(training_labels(tmp_path).records) == 24  # training uses all of them, not the 5


def test_gold_follows_later_labels_but_never_overrides_an_adjudication(tmp_path):
    units = double_annotated(tmp_path, n=8, disputed=1)
    with ReviewSession(tmp_path, units) as review:
        review.decide("v00", "resource", "costs")
    append_records(  # b changes their mind on an agreed unit, a on the adjudicated one
        tmp_path / "b.jsonl",
        [LabelRecord("v05", "Sentence 5.", "none", "b"), LabelRecord("v06", "Sentence 6.", None, "b")],
    )
    append_records(tmp_path / "a.jsonl", [LabelRecord("v00", "Sentence 0.", LABELS[1], "a")])
    with ReviewSession(tmp_path, units) as review:
        assert (review.gold_update.added, review.gold_update.changed, review.gold_update.withdrawn) == (
            0,
            1,
            1,
        )
        assert list(review.units) == ["v05"]  # now disputed, so it waits for adjudication
    gold = latest(read_records(tmp_path / "gold.jsonl").records)
    assert "v05" not in gold
    assert gold["v06"].note == "labelled by a only"  # b retracted, a's label stands
    assert gold["v00"].label == "resource" and gold["v00"].note.startswith("adjudicated")


def test_review_of_the_seed_labels_leaves_their_gold_file_as_it_is(tmp_path):
    seed = Path(__file__).parents[1] / "data" / "labels"
    for name in ("annotator-a.jsonl", "annotator-b.jsonl", "gold.jsonl"):
        shutil.copy(seed / name, tmp_path / name)
    with ReviewSession(tmp_path) as review:
        assert (review.gold_update.added, review.gold_update.changed, review.gold_update.withdrawn) == (
            0,
            0,
            0,
        )
        assert review.pending == 0 and review.gold_units == 266
    assert (tmp_path / "gold.jsonl").read_bytes() == (seed / "gold.jsonl").read_bytes()


def test_cli_review_without_disagreements_still_writes_gold_and_export_has_every_unit(tmp_path):
    units = double_annotated(tmp_path, n=12, disputed=0)
    write_units(units, tmp_path / "units.jsonl")
    common = ["--labels-dir", str(tmp_path), "--units", str(tmp_path / "units.jsonl")]
    result = CliRunner().invoke(cli, ["review", *common, "--port", "0"])
    assert result.exit_code == 0, result.output
    assert "12 units with a gold label" in result.output and "No disagreements" in result.output
    exported = CliRunner().invoke(cli, ["export", "-f", "csv", "--gold", *common])
    assert exported.exit_code == 0 and len(exported.stdout.splitlines()) == 13


def test_training_on_too_few_labels_says_so(tmp_path):
    from framing.model.train import train

    units = double_annotated(tmp_path, n=10, disputed=0)
    write_units(units, tmp_path / "units.jsonl")
    with pytest.raises(NoTrainingDataError, match="Too few labels to train with cross-validation grouped"):
        train(tmp_path, tmp_path / "model.joblib", tmp_path / "units.jsonl")
