import errno
import json
import socket

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from framing.app.review import ReviewSession
from framing.app.session import LabellingSession
from framing.app.team import Team
from framing.app.webapp import MAX_BODY_BYTES, access_token, bind, create_app
from framing.cli import app as cli
from framing.codebook import DEFINITIONS, LABELS
from framing.corpus.units import Unit
from framing.errors import FramingError
from framing.labels import store
from framing.labels.store import LabelRecord, append_records

SCRIPT = "<script>window.pwned = true</script><b>not bold</b>"
UNITS = [
    Unit("u0", "doc", "sentence", 0, "Caseloads were far too high.", next=SCRIPT),
    Unit("u1", "doc", "sentence", 1, SCRIPT, prev="Caseloads were far too high."),
    Unit("u2", "doc", "sentence", 2, "The council failed him."),
]


@pytest.fixture
def labels_file(tmp_path):
    return tmp_path / "ann.jsonl"


@pytest.fixture
def client(tmp_path):
    return TestClient(create_app(LabellingSession(UNITS, tmp_path, "ann", seed=1)))


def written(path):
    """The decisions in a labels file (an open session holds it, empty, until its first decision)."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def decide(client, label, **extra):
    """Label the current unit as the page would: naming the unit and the revision it showed."""
    unit = client.get("/api/state").json()["unit"]
    body = {"unit_id": unit["unit_id"], "revision": unit["revision"], "label": label} | extra
    return client.post("/api/decide", json=body)


def test_page_is_served_with_a_strict_content_security_policy(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'src="/static/app.js"' in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("asset", ["app.js", "app.css", "index.html"])
def test_static_assets(client, asset):
    assert client.get(f"/static/{asset}").status_code == 200


def test_page_script_never_renders_data_as_html(client):
    script = client.get("/static/app.js").text
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "document.write" not in script


def test_codebook_follows_the_codebook_module(client):
    codebook = client.get("/api/codebook").json()
    assert [entry["label"] for entry in codebook["labels"]] == list(LABELS)
    assert all(entry["definition"] == DEFINITIONS[entry["label"]] for entry in codebook["labels"])
    assert codebook["procedure"][0].startswith("1.")


def test_state_returns_text_verbatim(client):
    state = client.get("/api/state").json()
    assert state["mode"] == "label" and state["annotator"] == "ann"
    assert state["progress"] == {"done": 0, "total": 3, "skipped": 0, "counts": dict.fromkeys(LABELS, 0)}
    texts = {u.unit_id: u for u in UNITS}
    unit = state["unit"]
    assert unit["text"] == texts[unit["unit_id"]].text


def test_decide_is_on_disk_before_the_response(client, labels_file):
    unit_id = client.get("/api/state").json()["unit"]["unit_id"]
    response = decide(client, "resource")
    assert response.status_code == 200
    [record] = written(labels_file)
    assert (record["unit_id"], record["label"], record["annotator"]) == (unit_id, "resource", "ann")
    state = response.json()
    assert state["saved"] == unit_id and state["unit"]["unit_id"] != unit_id
    assert state["progress"]["counts"]["resource"] == 1


def test_skip_and_undo(client, labels_file):
    first = client.get("/api/state").json()["unit"]["unit_id"]
    skipped = client.post("/api/skip", json={"unit_id": first, "revision": 0}).json()
    second = skipped["unit"]["unit_id"]
    assert second != first and skipped["progress"]["skipped"] == 1
    state = decide(client, "none").json()
    state = client.post("/api/undo", json=state["undo"]).json()
    assert state["unit"]["unit_id"] == second and state["progress"]["done"] == 0
    assert [(r["decision"], r["label"]) for r in written(labels_file)] == [
        ("skip", None),
        ("label", "none"),
        ("retract", None),
    ]


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/api/decide", {"unit_id": "u0", "revision": 0, "label": "blame"}, 422, "Unknown label 'blame'"),
        ("/api/decide", {"unit_id": "nope", "revision": 0, "label": "none"}, 404, "Unknown unit id 'nope'"),
        ("/api/decide", {"label": "none", "revision": 0}, 422, "'unit_id'"),
        ("/api/decide", {"unit_id": "u0", "revision": 0}, 422, "'label'"),
        ("/api/decide", {"unit_id": ["u0"], "revision": 0, "label": "none"}, 422, "'unit_id'"),
        ("/api/decide", {"unit_id": "u0", "label": "none"}, 422, "'revision'"),
        ("/api/decide", {"unit_id": "u0", "revision": "0", "label": "none"}, 422, "'revision'"),
        ("/api/decide", {"unit_id": "u0", "revision": 0, "label": "none", "note": 3}, 422, "note"),
        ("/api/decide", {"unit_id": "u0", "revision": 0, "label": "none", "note": "x" * 1001}, 422, "note"),
        (
            "/api/decide",
            {"unit_id": "u0", "revision": 0, "label": "none", "seconds": -1},
            422,
            "Time on task",
        ),
        (
            "/api/decide",
            {"unit_id": "u0", "revision": 0, "label": "none", "seconds": "2"},
            422,
            "Time on task",
        ),
        ("/api/decide", [1, 2], 400, "Expected a JSON object"),
        ("/api/skip", {"unit_id": "nope", "revision": 0}, 404, "Unknown unit id"),
        ("/api/undo", {"unit_id": "u0", "revision": 0}, 409, "Nothing to undo"),
        ("/api/show", {"unit_id": "nope"}, 404, "Unknown unit id"),
    ],
)
def test_rejections_write_nothing(client, labels_file, path, body, status, message):
    response = client.post(path, json=body)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert written(labels_file) == []


def test_a_lone_surrogate_in_a_note_is_a_422_not_a_500(client, labels_file):
    body = '{"unit_id": "u0", "revision": 0, "label": "none", "note": "caseloads \\ud800"}'
    response = client.post("/api/decide", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and "surrogate" in response.json()["error"]
    assert written(labels_file) == []
    assert decide(client, "none", note="caseloads \u00e9").status_code == 200  # real text is fine


def test_malformed_json_is_400(client, labels_file):
    response = client.post(
        "/api/decide", content=b'{"unit_id": "u0", "label": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "Malformed JSON" in response.json()["error"]
    assert written(labels_file) == []


def test_not_json_content_type_is_415(client, labels_file):
    response = client.post("/api/decide", content="unit_id=u0&label=none")
    assert response.status_code == 415 and "application/json" in response.json()["error"]
    assert written(labels_file) == []


def test_oversized_body_is_413(client, labels_file):
    body = json.dumps({"unit_id": "u0", "revision": 0, "label": "none", "note": "x" * MAX_BODY_BYTES})
    response = client.post("/api/decide", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.text
    assert written(labels_file) == []


def test_unknown_route_and_wrong_method(client):
    assert client.get("/api/nothing").status_code == 404
    assert client.get("/api/decide").status_code == 405


def test_a_save_failure_is_500_and_not_acknowledged(tmp_path, monkeypatch):
    session = LabellingSession(UNITS, tmp_path, "ann")

    def disk_full(path, lines):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "append_lines", disk_full)
    client = TestClient(create_app(session))
    response = client.post("/api/decide", json={"unit_id": "u0", "revision": 0, "label": "none"})
    assert response.status_code == 500 and "not recorded" in response.json()["error"]
    assert client.get("/api/state").json()["progress"]["done"] == 0


class TestToken:
    @pytest.fixture
    def guarded(self, tmp_path):
        return TestClient(create_app(LabellingSession(UNITS, tmp_path, "ann"), token="s3cret"))

    @pytest.mark.parametrize("path", ["/", "/api/state", "/api/codebook"])
    def test_required_everywhere_but_static_assets(self, guarded, path):
        response = guarded.get(path)
        assert response.status_code == 401 and "token" in response.json()["error"]
        assert guarded.get(f"{path}?token=wrong").status_code == 401
        assert guarded.get(f"{path}?token=s3cret").status_code == 200
        assert guarded.get(path, headers={"authorization": "Bearer s3cret"}).status_code == 200
        assert guarded.get("/static/app.js").status_code == 200

    def test_required_to_write(self, guarded, tmp_path):
        body = {"unit_id": "u0", "revision": 0, "label": "none"}
        response = guarded.post("/api/decide", json=body)
        assert response.status_code == 401
        assert written(tmp_path / "ann.jsonl") == []
        ok = guarded.post("/api/decide", json=body, headers={"authorization": "Bearer s3cret"})
        assert ok.status_code == 200

    def test_needed_off_loopback_only(self):
        assert access_token("127.0.0.1") is None and access_token("localhost") is None
        assert access_token("0.0.0.0") != access_token("0.0.0.0")
        assert access_token("0.0.0.0", "mine") == "mine"
        assert access_token("127.0.0.1", "mine") == "mine"


def test_foreign_host_headers_are_refused(tmp_path):
    client = TestClient(
        create_app(LabellingSession(UNITS, tmp_path, "ann"), allowed_hosts=["127.0.0.1", "localhost"]),
        base_url="http://127.0.0.1",
    )
    assert client.get("/api/state").status_code == 200
    assert client.get("/api/state", headers={"host": "attacker.example"}).status_code == 400


class TestReviewApp:
    @pytest.fixture
    def review(self, tmp_path):
        for name, labels in {"a": ["none", "resource", "none"], "b": ["none", "none", "resource"]}.items():
            records = [
                LabelRecord(u.unit_id, u.text, label, name, doc_id=u.doc_id, kind=u.kind, note=f"{name} says")
                for u, label in zip(UNITS, labels, strict=True)
            ]
            append_records(tmp_path / f"{name}.jsonl", records)
        return TestClient(create_app(ReviewSession(tmp_path, UNITS, "judge")))

    def test_state_shows_each_annotators_label(self, review):
        state = review.get("/api/state").json()
        assert state["mode"] == "review" and state["progress"]["total"] == 2
        unit = state["unit"]
        assert unit["unit_id"] == "u1" and unit["text"] == SCRIPT
        assert unit["votes"] == [
            {"annotator": "a", "label": "resource", "note": "a says"},
            {"annotator": "b", "label": "none", "note": "b says"},
        ]
        assert unit["gold"] is None

    def test_decide_writes_gold_with_note(self, review, tmp_path):
        response = review.post(
            "/api/decide", json={"unit_id": "u1", "revision": 0, "label": "none", "note": "no cause given"}
        )
        assert response.status_code == 200 and response.json()["unit"]["unit_id"] == "u2"
        carried, gold = written(tmp_path / "gold.jsonl")
        assert (carried["unit_id"], carried["label"], carried["note"]) == ("u0", "none", "agreed by a and b")
        assert (gold["unit_id"], gold["label"], gold["annotator"], gold["note"]) == (
            "u1",
            "none",
            "judge",
            "adjudicated (a: resource, b: none): no cause given",
        )

    def test_only_disagreements_can_be_adjudicated(self, review, tmp_path):
        before = written(tmp_path / "gold.jsonl")
        response = review.post("/api/decide", json={"unit_id": "u0", "revision": 1, "label": "resource"})
        assert response.status_code == 404
        assert written(tmp_path / "gold.jsonl") == before


@pytest.mark.parametrize("command", ["label", "review", "export", "import"])
def test_commands_have_help(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_label_command_reports_a_bad_source_cleanly(tmp_path):
    result = CliRunner().invoke(
        cli, ["label", "--annotator", "ann", "--source", str(tmp_path / "none.jsonl")]
    )
    assert (
        result.exit_code == 1 and "no such units file" in result.output and "Traceback" not in result.output
    )


def test_label_command_rejects_a_bad_annotator_name(tmp_path):
    units = tmp_path / "units.jsonl"
    units.write_text("".join(u.to_json() + "\n" for u in UNITS))
    result = CliRunner().invoke(cli, ["label", "--annotator", "../x", "--source", str(units)])
    assert result.exit_code == 1 and "Invalid annotator name" in result.output


def test_review_command_with_nothing_to_review(tmp_path):
    append_records(tmp_path / "a.jsonl", [LabelRecord("u0", "t", "none", "a")])
    append_records(tmp_path / "b.jsonl", [LabelRecord("u0", "t", "none", "b")])
    result = CliRunner().invoke(
        cli, ["review", "--labels-dir", str(tmp_path), "--units", str(tmp_path / "x")]
    )
    assert result.exit_code == 0 and "No disagreements" in result.output


# --------------------------------------------------------------------------- issue 9


def test_a_busy_port_is_a_clear_error_and_leaves_no_labels_file(tmp_path):
    units = tmp_path / "units.jsonl"
    units.write_text("".join(u.to_json() + "\n" for u in UNITS))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(FramingError, match=f"Port {port} on 127.0.0.1 is in use"):
            bind("127.0.0.1", port)
        options = ["--source", str(units), "--labels-dir", str(tmp_path / "labels"), "--port", str(port)]
        result = CliRunner().invoke(cli, ["label", "--annotator", "ann", *options])
    assert result.exit_code == 1 and "is in use" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "labels" / "ann.jsonl").exists()


def test_a_stale_page_gets_a_409_and_nothing_is_written(client, labels_file):
    shown = client.get("/api/state").json()["unit"]  # tabs A and B show the same unit
    body = {"unit_id": shown["unit_id"], "revision": shown["revision"]}
    assert client.post("/api/decide", json=body | {"label": "none"}).status_code == 200  # tab A
    stale = client.post("/api/decide", json=body | {"label": "resource"})  # tab B
    assert stale.status_code == 409 and "another tab or window" in stale.json()["error"]
    assert client.post("/api/skip", json=body).status_code == 409
    assert [(r["unit_id"], r["label"]) for r in written(labels_file)] == [(shown["unit_id"], "none")]


def test_history_search_show_and_summary(client, labels_file):
    decide(client, "none", note="just a figure", seconds=4)
    first = written(labels_file)[0]["unit_id"]
    [item] = client.get("/api/history").json()["items"]
    assert (item["unit_id"], item["label"], item["note"]) == (first, "none", "just a figure")
    found = client.get("/api/search", params={"q": "council FAILED"}).json()["items"]
    assert [f["unit_id"] for f in found] == ["u2"]
    state = client.post("/api/show", json={"unit_id": first}).json()
    assert state["unit"]["unit_id"] == first and state["unit"]["current"]["label"] == "none"
    decide(client, "resource", seconds=5)
    [pace] = client.get("/api/summary").json()["annotators"]
    assert (pace["annotator"], pace["labelled"], pace["timed"], pace["units_per_hour"]) == (
        "ann",
        1,
        2,
        800.0,
    )


def test_a_server_for_a_team_routes_each_annotator_to_their_own_session(tmp_path):
    with Team(UNITS, tmp_path, overlap=1) as team:
        client = TestClient(create_app(team))
        assert client.get("/api/annotators").json() == {
            "mode": "label",
            "names": [],
            "only": None,
            "overlap": 1,
        }
        assert client.get("/api/state").status_code == 422  # no name yet
        alice = client.get("/api/state", params={"annotator": "alice"}).json()
        bob = client.get("/api/state", params={"annotator": "bob"}).json()
        assert (alice["annotator"], bob["annotator"]) == ("alice", "bob")
        assert alice["unit"]["unit_id"] != bob["unit"]["unit_id"]
        body = {"annotator": "bob", "unit_id": bob["unit"]["unit_id"], "revision": 0, "label": "none"}
        assert client.post("/api/decide", json=body).status_code == 200
        assert client.get("/api/annotators").json()["names"] == ["alice", "bob"]
        bad = client.get("/api/state", params={"annotator": "../x"})
        assert bad.status_code == 422 and "Invalid annotator name" in bad.json()["error"]
        held = LabellingSession(UNITS, tmp_path / "elsewhere", "carol")
        assert client.get("/api/state", params={"annotator": "carol"}).status_code == 200  # another folder
        held.close()
    assert [r["label"] for r in written(tmp_path / "bob.jsonl")] == ["none"]
    assert not (tmp_path / "alice.jsonl").exists()  # opened, never written to, removed on close


def test_a_single_session_server_refuses_other_names(client):
    assert client.get("/api/annotators").json()["only"] == "ann"
    assert client.get("/api/state", params={"annotator": "ann"}).status_code == 200
    response = client.get("/api/state", params={"annotator": "bob"})
    assert response.status_code == 422 and "ann only" in response.json()["error"]


def test_label_with_suggestions_needs_a_model_and_says_so(tmp_path):
    units = tmp_path / "units.jsonl"
    units.write_text("".join(u.to_json() + "\n" for u in UNITS))
    options = ["--source", str(units), "--labels-dir", str(tmp_path / "labels"), "--port", "0"]
    result = CliRunner().invoke(
        cli, ["label", *options, "--suggest", "--model", str(tmp_path / "none.joblib")]
    )
    assert result.exit_code == 1 and "No trained model" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "labels").exists()
