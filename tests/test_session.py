import json
import threading

import pytest

from framing.app.session import LabellingSession, load_source
from framing.app.stream import Ranker, pick_next, seeded_order
from framing.corpus.units import Unit, write_units
from framing.errors import LabelFileError, NothingToUndoError, UnknownLabelError, UnknownUnitError
from framing.files import repair_tail
from framing.labels.store import DecisionLog, locked, read_records


def make_units(n: int) -> list[Unit]:
    texts = [f"Sentence number {i} about caseloads and budgets." for i in range(n)]
    return [
        Unit(
            f"u{i:02d}", "doc", "sentence", i, text, prev=texts[i - 1] if i else "", meta={"title": "A title"}
        )
        for i, text in enumerate(texts)
    ]


UNITS = make_units(6)


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_decisions_are_on_disk_when_decide_returns(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann", seed=1)
    first = session.state()["unit"]["unit_id"]
    state = session.decide(first, "resource", "caseloads")
    [record] = lines(tmp_path / "ann.jsonl")
    assert record["unit_id"] == first and record["label"] == "resource" and record["note"] == "caseloads"
    assert record["annotator"] == "ann" and record["doc_id"] == "doc" and record["kind"] == "sentence"
    assert state["saved"] == first
    assert state["unit"]["unit_id"] != first
    assert state["progress"]["done"] == 1 and state["progress"]["counts"]["resource"] == 1


def test_state_shows_the_unit_with_context_and_title(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann")
    unit = session.state()["unit"]
    source = {u.unit_id: u for u in UNITS}[unit["unit_id"]]
    assert unit["text"] == source.text and unit["prev"] == source.prev and unit["title"] == "A title"


def test_order_is_the_seeded_order_and_a_restart_resumes_at_the_next_unlabelled_unit(tmp_path):
    order = seeded_order([u.unit_id for u in UNITS], 5)
    session = LabellingSession(UNITS, tmp_path, "ann", seed=5)
    for expected in order[:3]:
        assert session.state()["unit"]["unit_id"] == expected
        session.decide(expected, "none")
    restarted = LabellingSession(UNITS, tmp_path, "ann", seed=5)
    assert restarted.state()["unit"]["unit_id"] == order[3]
    assert restarted.state()["progress"]["done"] == 3


def test_undo_retracts_the_last_decision_and_shows_its_unit_again(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann", seed=2)
    first = session.state()["unit"]["unit_id"]
    second = session.decide(first, "none")["unit"]["unit_id"]
    session.decide(second, "resource")
    state = session.undo()
    assert state["unit"]["unit_id"] == second
    assert state["progress"]["done"] == 1
    assert [(r["unit_id"], r["label"]) for r in lines(tmp_path / "ann.jsonl")] == [
        (first, "none"),
        (second, "resource"),
        (second, None),
    ]
    assert session.undo()["unit"]["unit_id"] == first
    with pytest.raises(NothingToUndoError):
        session.undo()


def test_undo_works_after_a_restart(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann", seed=2)
    first = session.state()["unit"]["unit_id"]
    session.decide(first, "none")
    restarted = LabellingSession(UNITS, tmp_path, "ann", seed=2)
    assert restarted.state()["can_undo"]
    assert restarted.undo()["unit"]["unit_id"] == first
    assert lines(tmp_path / "ann.jsonl")[-1]["label"] is None


def test_undo_of_a_relabel_restores_the_earlier_label(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann")
    unit = UNITS[0].unit_id
    session.decide(unit, "none")
    session.decide(unit, "resource")
    session.undo()
    assert session.log.live[unit].label == "none"
    assert [r["label"] for r in lines(tmp_path / "ann.jsonl")] == ["none", "resource", "none"]


def test_a_log_without_undo_from_file_only_undoes_its_own_decisions(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann")
    session.decide(UNITS[0].unit_id, "none")
    log = DecisionLog(tmp_path / "ann.jsonl", undo_from_file=False)
    assert set(log.live) == {UNITS[0].unit_id}
    assert not log.can_undo and log.decided_here == set()


def test_skip_moves_on_and_the_skipped_unit_comes_back_last(tmp_path):
    session = LabellingSession(make_units(2), tmp_path, "ann")
    first = session.state()["unit"]["unit_id"]
    second = session.skip(first)["unit"]["unit_id"]
    assert second != first
    assert session.decide(second, "none")["unit"]["unit_id"] == first
    assert session.decide(first, "none")["unit"] is None
    assert [r["unit_id"] for r in lines(tmp_path / "ann.jsonl")] == [second, first]


def test_rejections_write_nothing(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann")
    unit = session.state()["unit"]["unit_id"]
    with pytest.raises(UnknownLabelError, match="blame"):
        session.decide(unit, "blame")
    with pytest.raises(UnknownUnitError, match="nope"):
        session.decide("nope", "none")
    with pytest.raises(UnknownUnitError):
        session.skip("nope")
    with pytest.raises(NothingToUndoError):
        session.undo()
    assert not (tmp_path / "ann.jsonl").exists()


def test_two_annotators_write_separate_files(tmp_path):
    a = LabellingSession(UNITS, tmp_path, "alice")
    b = LabellingSession(UNITS, tmp_path, "bob")
    a.decide(UNITS[0].unit_id, "none")
    b.decide(UNITS[0].unit_id, "resource")
    assert [r["label"] for r in lines(tmp_path / "alice.jsonl")] == ["none"]
    assert [r["label"] for r in lines(tmp_path / "bob.jsonl")] == ["resource"]


def test_one_session_per_labels_file(tmp_path):
    path = tmp_path / "ann.jsonl"
    with locked(path), pytest.raises(LabelFileError, match="in use"), locked(path):
        pass
    with locked(path):  # released
        pass


def test_a_damaged_line_is_reported_and_the_rest_loads(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann", seed=1)
    first = session.state()["unit"]["unit_id"]
    session.decide(first, "none")
    path = tmp_path / "ann.jsonl"
    with path.open("a") as stream:
        stream.write('{"unit_id": "u0", "text": "cut short by a cr')  # a crash mid-line
    restarted = LabellingSession(UNITS, tmp_path, "ann", seed=1)
    [problem] = restarted.state()["problems"]
    assert problem.startswith(f"{path}:2: ")
    assert restarted.state()["progress"]["done"] == 1
    second = restarted.state()["unit"]["unit_id"]
    restarted.decide(second, "resource")
    loaded = read_records(path)
    assert [r.unit_id for r in loaded.records] == [
        first,
        second,
    ]  # the new line was not glued to the damaged one
    assert len(loaded.problems) == 1


def test_repair_tail_only_adds_a_missing_newline(tmp_path):
    path = tmp_path / "x.jsonl"
    repair_tail(path)
    assert not path.exists()
    path.write_text("{}\n")
    repair_tail(path)
    assert path.read_text() == "{}\n"
    path.write_text("{")
    repair_tail(path)
    assert path.read_text() == "{\n"


def test_uncertainty_strategy_uses_the_ranker_scores(tmp_path):
    units = make_units(8)

    trained = threading.Event()

    def scorer(texts, labels, pool, seed, spacy_model):
        trained.wait(5)
        return {unit_id: (1.0 if unit_id == "u07" else 0.1) for unit_id, _ in pool}

    ranker = Ranker(every=1, scorer=scorer)
    session = LabellingSession(
        units, tmp_path, "ann", "uncertainty", seed=1, random_fraction=0.0, ranker=ranker
    )
    first = session.state()["unit"]["unit_id"]
    assert first == seeded_order([u.unit_id for u in units], 1)[0] != "u07"  # no model yet: the seeded order
    trained.set()
    ranker.wait(5)
    state = session.decide(first, "none")
    assert state["unit"]["unit_id"] == "u07"
    ranker.wait(5)
    assert "retrained on 1 labels" in session.state()["status"]


def test_random_strategy_has_no_model(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann")
    assert session.ranker is None
    assert "random order" in session.state()["status"]


def test_invalid_strategy_annotator_and_empty_source(tmp_path):
    with pytest.raises(ValueError, match="strategy"):
        LabellingSession(UNITS, tmp_path, "ann", strategy="newest")
    with pytest.raises(LabelFileError, match="Invalid annotator"):
        LabellingSession(UNITS, tmp_path, "../evil")
    with pytest.raises(LabelFileError):
        LabellingSession(UNITS, tmp_path, "gold")
    with pytest.raises(Exception, match="No units"):
        LabellingSession([], tmp_path, "ann")


def test_load_source_reads_a_units_file_or_ingests_a_folder(tmp_path):
    write_units(UNITS, tmp_path / "units.jsonl")
    units, errors = load_source(tmp_path / "units.jsonl")
    assert units == UNITS and errors == []
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("The council failed him. Budgets were cut.\n")
    units, errors = load_source(folder)
    assert [u.text for u in units] == ["The council failed him.", "Budgets were cut."]
    with pytest.raises(Exception, match="no such units file"):
        load_source(tmp_path / "missing.jsonl")


def test_pick_next_agrees_with_the_session(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann", seed=9)
    expected = pick_next(seeded_order([u.unit_id for u in UNITS], 9), done=set())
    assert session.state()["unit"]["unit_id"] == expected


def test_uncertainty_session_with_the_real_model(tmp_path):
    texts = {
        "resource": ["Budgets were cut.", "Caseloads are too high.", "There is not enough staff."],
        "systemic-failure": ["The system failed.", "Procedures broke down.", "The agency failed him."],
        "none": ["It rained on Monday.", "The report came out.", "She lives in London."],
    }
    units = [
        Unit(f"{label}-{i}", "doc", "sentence", i, text)
        for label, group in texts.items()
        for i, text in enumerate(group)
    ]
    ranker = Ranker(every=8)
    session = LabellingSession(units, tmp_path, "ann", "uncertainty", seed=4, ranker=ranker)
    ranker.wait(30)
    for _ in range(8):  # 8 of 9: at least two labels have 3 examples
        unit_id = session.state()["unit"]["unit_id"]
        session.decide(unit_id, unit_id.rsplit("-", 1)[0])
    ranker.wait(30)
    state = session.state()
    assert "retrained on 8 labels" in state["status"], state["status"]
    assert set(ranker.scores) == {u.unit_id for u in units} - set(session.log.live)
    assert state["progress"]["done"] == 8
