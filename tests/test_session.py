import json
import threading

import pytest

from framing.app.session import LabellingSession, load_source, model_suggester
from framing.app.stream import Ranker, pick_next, seeded_order
from framing.codebook import LABELS
from framing.corpus.units import Unit, write_units
from framing.errors import (
    ConflictError,
    InvalidDecisionError,
    LabelFileError,
    NothingToUndoError,
    UnknownLabelError,
    UnknownUnitError,
)
from framing.files import repair_tail
from framing.labels.agreement import agreement_of_files
from framing.labels.store import DecisionLog, locked, read_records, training_labels


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
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


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
    session.close()
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
    session.close()
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
    log = DecisionLog(tmp_path / "ann.jsonl", undo_from_file=False, lock=False)
    assert set(log.live) == {UNITS[0].unit_id}
    assert not log.can_undo and log.decided_here == set()


def test_skip_moves_on_and_the_skipped_unit_comes_back_last(tmp_path):
    session = LabellingSession(make_units(2), tmp_path, "ann")
    first = session.state()["unit"]["unit_id"]
    second = session.skip(first)["unit"]["unit_id"]
    assert second != first
    assert session.decide(second, "none")["unit"]["unit_id"] == first
    assert session.decide(first, "none")["unit"] is None
    decisions = [(r["unit_id"], r["decision"], r["label"]) for r in lines(tmp_path / "ann.jsonl")]
    assert decisions == [(first, "skip", None), (second, "label", "none"), (first, "label", "none")]


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
    assert lines(tmp_path / "ann.jsonl") == []


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
    session.close()
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


# --------------------------------------------------------------------------- issue 9


def test_a_stale_page_cannot_overwrite_a_decision(tmp_path):
    """Two tabs show the same unit: the second decision names a revision that is gone, and is refused."""
    session = LabellingSession(UNITS, tmp_path, "ann", seed=1)
    shown = session.state()["unit"]  # both tabs show this unit, revision 0
    assert shown["revision"] == 0 and shown["current"] is None
    session.decide(shown["unit_id"], "none", revision=shown["revision"])  # tab A
    with pytest.raises(ConflictError, match=r"another tab or window.*labelled 'none'"):
        session.decide(shown["unit_id"], "resource", revision=shown["revision"])  # tab B, stale
    with pytest.raises(ConflictError):
        session.skip(shown["unit_id"], revision=shown["revision"])
    assert [(r["unit_id"], r["label"]) for r in lines(tmp_path / "ann.jsonl")] == [(shown["unit_id"], "none")]
    session.decide(shown["unit_id"], "resource", revision=1)  # a page that saw the change may change it
    assert session.log.live[shown["unit_id"]].label == "resource"


def test_a_stale_undo_is_refused(tmp_path):
    session = LabellingSession(UNITS, tmp_path, "ann", seed=1)
    first = session.state()["unit"]["unit_id"]
    offered = session.decide(first, "none")["undo"]  # what a page offers to undo
    assert offered == {"unit_id": first, "revision": 1}
    second = session.state()["unit"]["unit_id"]
    session.decide(second, "resource")  # in another tab
    with pytest.raises(ConflictError, match="Not undone"):
        session.undo(**offered)
    assert session.log.live.keys() == {first, second}


def test_skips_are_recorded_and_come_back_last_after_a_restart(tmp_path):
    units = make_units(3)
    session = LabellingSession(units, tmp_path, "ann", seed=3)
    first = session.state()["unit"]["unit_id"]
    state = session.skip(first, revision=0, seconds=2.5)
    assert state["progress"]["skipped"] == 1 and state["progress"]["done"] == 0
    [record] = lines(tmp_path / "ann.jsonl")
    assert (record["decision"], record["label"], record["seconds"]) == ("skip", None, 2.5)
    session.close()

    restarted = LabellingSession(units, tmp_path, "ann", seed=3)
    assert restarted.skipped == {first}
    assert restarted.state()["unit"]["unit_id"] != first
    for _ in range(2):
        unit_id = restarted.state()["unit"]["unit_id"]
        assert unit_id != first
        restarted.decide(unit_id, "none")
    state = restarted.state()
    assert state["unit"]["unit_id"] == first and "skipped" in state["status"]  # revisited at the end
    assert state["unit"]["current"]["decision"] == "skip"
    restarted.decide(first, "resource")
    assert restarted.skipped == set() and restarted.state()["unit"] is None
    restarted.close()


def test_a_skip_is_never_a_label(tmp_path):
    for name in ("a", "b"):
        with LabellingSession(UNITS, tmp_path, name, seed=1) as session:
            session.decide("u00", "none")
            session.decide("u01", "resource")
            session.skip("u02")
    assert [(r.unit_id, r.label) for r in training_labels(tmp_path).records] == [
        ("u00", "none"),
        ("u01", "resource"),
    ]
    assert agreement_of_files([tmp_path / "a.jsonl", tmp_path / "b.jsonl"]).units == 2


def test_skipping_a_labelled_unit_keeps_its_label(tmp_path):
    with LabellingSession(UNITS, tmp_path, "ann", seed=1) as session:
        session.decide("u03", "none")
        session.show("u03")
        state = session.skip("u03", revision=1)
        assert state["unit"]["unit_id"] != "u03" and session.log.live["u03"].label == "none"
    assert len(lines(tmp_path / "ann.jsonl")) == 1


def test_undo_of_a_skip_puts_the_unit_back(tmp_path):
    with LabellingSession(UNITS, tmp_path, "ann", seed=1) as session:
        first = session.state()["unit"]["unit_id"]
        session.skip(first)
        state = session.undo()
        assert state["unit"]["unit_id"] == first and session.skipped == set()
    assert [r["decision"] for r in lines(tmp_path / "ann.jsonl")] == ["skip", "retract"]


def test_history_revisit_and_change(tmp_path):
    with LabellingSession(UNITS, tmp_path, "ann", seed=1) as session:
        done = []
        for label in ("none", "resource", "systemic-failure"):
            unit_id = session.state()["unit"]["unit_id"]
            session.decide(unit_id, label, "a note" if label == "none" else "")
            done.append(unit_id)
        history = session.history()
        assert [item["unit_id"] for item in history] == done[::-1]  # newest first
        assert history[-1]["label"] == "none" and history[-1]["note"] == "a note"
        next_unit = session.state()["unit"]["unit_id"]

        state = session.show(done[0])  # revisit the first
        assert state["unit"]["unit_id"] == done[0]
        assert state["unit"]["current"]["label"] == "none" and state["unit"]["revision"] == 1
        state = session.decide(done[0], "individual-blame", "changed my mind", revision=1)
        assert state["unit"]["unit_id"] == next_unit  # back to where the annotator was
        assert session.history()[0] | {"at": ""} == {
            "unit_id": done[0],
            "text": session.units[done[0]].text,
            "decision": "label",
            "label": "individual-blame",
            "note": "changed my mind",
            "at": "",
        }
    records = lines(tmp_path / "ann.jsonl")
    assert len(records) == 4 and records[0]["label"] == "none"  # appended, never rewritten


def test_search_finds_units_by_id_or_text(tmp_path):
    with LabellingSession(UNITS, tmp_path, "ann") as session:
        session.decide("u04", "resource")
        assert [item["unit_id"] for item in session.search("u0")] == [u.unit_id for u in UNITS]
        [found] = session.search("NUMBER 4 about")
        assert found["unit_id"] == "u04" and found["current"]["label"] == "resource"
        assert session.search("  ") == [] and session.search("nothing like it") == []
        with pytest.raises(UnknownUnitError):
            session.show("nope")


def test_notes_and_time_on_task_are_recorded(tmp_path):
    with LabellingSession(UNITS, tmp_path, "ann") as session:
        session.decide("u00", "none", "  the figure alone  ", seconds=12.345)
        with pytest.raises(InvalidDecisionError, match="surrogate"):
            session.decide("u01", "none", "broken \ud800 text")
        with pytest.raises(InvalidDecisionError, match="Time on task"):
            session.decide("u01", "none", seconds=float("nan"))
    [record] = lines(tmp_path / "ann.jsonl")
    assert (record["note"], record["seconds"], record["suggestion"]) == ("the figure alone", 12.3, None)


def test_model_suggestions_are_shown_and_recorded_only_when_asked_for(tmp_path):
    asked = []

    def suggest(text):
        asked.append(text)
        return "resource", 0.8123

    with LabellingSession(UNITS, tmp_path, "plain") as plain:
        assert "suggestion" not in plain.state()["unit"]
    with LabellingSession(UNITS, tmp_path, "ann", suggest=suggest) as session:
        unit = session.state()["unit"]
        assert unit["suggestion"] == {"label": "resource", "confidence": 0.812}
        session.decide(unit["unit_id"], "none")
    assert lines(tmp_path / "ann.jsonl")[0]["suggestion"] == "resource"
    assert len(asked) == 2  # the unit shown, then the next one; each once


def test_model_suggester_uses_a_trained_model(model_path):
    label, confidence = model_suggester(model_path)("Budgets were cut and caseloads soared.")
    assert label in LABELS and 0.25 <= confidence <= 1.0
