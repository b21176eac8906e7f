import pytest

from framing.app.session import LabellingSession
from framing.app.team import Team
from framing.corpus.units import Unit
from framing.errors import FileInUseError, LabelFileError
from framing.labels.store import LabelRecord, append_records, read_records

UNITS = [Unit(f"u{i}", "doc", "sentence", i, f"Sentence {i} about caseloads.") for i in range(6)]


def label_all(session, label="none"):
    labelled = []
    while (unit := session.state()["unit"]) is not None:
        session.decide(unit["unit_id"], label, revision=unit["revision"])
        labelled.append(unit["unit_id"])
    return labelled


def test_each_annotator_gets_a_session_and_a_file_of_their_own(tmp_path):
    with Team(UNITS, tmp_path) as team:
        alice, bob = team.session("alice"), team.session("bob")
        assert team.session("alice") is alice and alice is not bob
        alice.decide("u0", "none")
        bob.decide("u0", "resource")
        assert team.names() == ["alice", "bob"]
    assert [r.label for r in read_records(tmp_path / "alice.jsonl").records] == ["none"]
    assert [r.label for r in read_records(tmp_path / "bob.jsonl").records] == ["resource"]


def test_names_are_checked_and_a_file_is_held_by_one_session(tmp_path):
    with Team(UNITS, tmp_path) as team:
        with pytest.raises(LabelFileError, match="Invalid annotator"):
            team.session("../x")
        with pytest.raises(LabelFileError, match="Say who"):
            team.session("")
        team.session("alice")
        with pytest.raises(FileInUseError, match="in use"):
            LabellingSession(UNITS, tmp_path, "alice")
    LabellingSession(UNITS, tmp_path, "alice").close()  # released when the team closes


def test_a_server_for_one_annotator_refuses_others(tmp_path):
    with Team(UNITS, tmp_path, only="alice") as team:
        assert team.names() == ["alice"] and team.session(None).annotator == "alice"
        with pytest.raises(LabelFileError, match="alice only"):
            team.session("bob")


def test_overlap_one_shares_the_units_out(tmp_path):
    with Team(UNITS, tmp_path, overlap=1) as team:
        alice, bob = team.session("alice"), team.session("bob")
        assert alice.state()["unit"]["unit_id"] != bob.state()["unit"]["unit_id"]  # on screen: claimed
        done = set()
        while True:
            progressed = False
            for session in (alice, bob):
                unit = session.state()["unit"]
                if unit is not None:
                    session.decide(unit["unit_id"], "none")
                    done.add(unit["unit_id"])
                    progressed = True
            if not progressed:
                break
        assert done == {u.unit_id for u in UNITS}
        assert len(alice.log.live) + len(bob.log.live) == len(UNITS)  # no unit labelled twice
        assert alice.state()["progress"]["total"] == len(alice.log.live)


def test_overlap_two_gives_every_unit_two_annotators_out_of_three(tmp_path):
    with Team(UNITS, tmp_path, overlap=2) as team:
        sessions = [team.session(name) for name in ("a", "b", "c")]
        while any(s.state()["unit"] for s in sessions):
            for session in sessions:
                unit = session.state()["unit"]
                if unit is not None:
                    session.decide(unit["unit_id"], "none")
        per_unit = {u.unit_id: sum(u.unit_id in s.log.live for s in sessions) for u in UNITS}
        assert set(per_unit.values()) == {2}


def test_overlap_counts_labels_made_elsewhere_and_follows_their_file(tmp_path):
    append_records(tmp_path / "carol.jsonl", [LabelRecord("u0", "t", "none", "carol")])
    with Team(UNITS, tmp_path, overlap=1) as team:
        alice = team.session("alice")
        assert not team.is_open("alice", "u0")
        on_screen = alice.state()["unit"]["unit_id"]
        later = next(u.unit_id for u in UNITS if u.unit_id not in ("u0", on_screen))
        append_records(tmp_path / "carol.jsonl", [LabelRecord(later, "t", "none", "carol")])  # another server
        labelled = label_all(alice)
        assert set(labelled) == {u.unit_id for u in UNITS} - {"u0", later}


def test_overlap_zero_offers_everything_to_everyone(tmp_path):
    with Team(UNITS, tmp_path) as team:
        assert len(label_all(team.session("a"))) == len(label_all(team.session("b"))) == len(UNITS)


def test_a_retraction_frees_the_unit_again(tmp_path):
    with Team(UNITS, tmp_path, overlap=1) as team:
        alice = team.session("alice")
        first = alice.state()["unit"]["unit_id"]
        alice.decide(first, "none")
        bob = team.session("bob")
        assert not team.is_open("bob", first)
        alice.undo()
        alice.skip(first)  # alice moves off it, without a label
        assert team.is_open("bob", first) and first not in bob.log.live
