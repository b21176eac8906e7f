import csv
import io
import json

import pytest
from typer.testing import CliRunner

from framing.app.session import LabellingSession
from framing.cli import app as cli
from framing.corpus.units import Unit, write_units
from framing.errors import FileInUseError, InterchangeError
from framing.labels.interchange import FORMATS, detect_format, export_labels, import_labels
from framing.labels.store import LabelRecord, append_records, latest, read_records

UNITS = [
    Unit(
        "u0",
        "doc",
        "sentence",
        0,
        "Caseloads were 50% above the level recommended.",
        next="The council failed.",
    ),
    Unit(
        "u1",
        "doc",
        "sentence",
        1,
        "The council failed.",
        prev="Caseloads were 50% above the level recommended.",
    ),
    Unit("u2", "d2", "comment", 0, 'A comment, with "quotes",\nand a second line.'),
    Unit("u3", "d2", "comment", 1, "Nobody was labelled here."),
]
SUFFIX = {"csv": ".csv", "label-studio": ".json", "prodigy": ".jsonl", "doccano": ".jsonl"}


@pytest.fixture
def labelled(tmp_path):
    source = tmp_path / "source"
    records = [
        LabelRecord("u0", UNITS[0].text, "resource", "a", doc_id="doc", kind="sentence"),
        LabelRecord("u1", UNITS[1].text, "systemic-failure", "a", note="an organisation as a whole"),
        LabelRecord("u2", UNITS[2].text, "individual-blame", "a"),
        LabelRecord("u2", UNITS[2].text, "none", "a", note="changed"),
    ]
    append_records(source / "a.jsonl", records)
    return source / "a.jsonl"


def current(path):
    return {u: (r.label, r.note) for u, r in latest(read_records(path).records).items()}


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_without_loss(tmp_path, labelled, fmt):
    text, count = export_labels(UNITS, fmt, labelled)
    assert count == 4
    exported = tmp_path / f"export{SUFFIX[fmt]}"
    exported.write_text(text)
    assert detect_format(exported) == fmt
    result = import_labels(exported, UNITS, tmp_path / "out", "b")
    [report] = result.files
    assert (report.imported, report.unchanged, result.unlabelled) == (3, 0, 1)
    assert current(tmp_path / "out" / "b.jsonl") == current(labelled)
    imported = read_records(tmp_path / "out" / "b.jsonl").records
    assert all(r.text == {u.unit_id: u.text for u in UNITS}[r.unit_id] for r in imported)
    assert export_labels(UNITS, fmt, tmp_path / "out" / "b.jsonl")[0] == text
    [again] = import_labels(exported, UNITS, tmp_path / "out", "b").files
    assert (again.imported, again.unchanged) == (0, 3)


def test_csv_has_the_spreadsheet_columns_and_context(labelled):
    rows = list(csv.DictReader(io.StringIO(export_labels(UNITS, "csv", labelled)[0])))
    assert list(rows[0]) == ["id", "text", "context", "label", "note"]
    assert rows[1] == {
        "id": "u1",
        "text": "The council failed.",
        "context": "Caseloads were 50% above the level recommended. [...]",
        "label": "systemic-failure",
        "note": "an organisation as a whole",
    }
    assert rows[2]["text"] == UNITS[2].text and rows[3]["label"] == ""


def test_formats_follow_each_tool(labelled):
    [task, *_] = json.loads(export_labels(UNITS, "label-studio", labelled)[0])
    assert task["data"]["text"] == UNITS[0].text
    assert task["annotations"][0]["result"][0]["value"] == {"choices": ["resource"]}
    prodigy = json.loads(export_labels(UNITS, "prodigy", labelled)[0].splitlines()[0])
    assert prodigy["accept"] == ["resource"] and prodigy["answer"] == "accept"
    assert [o["id"] for o in prodigy["options"]][:2] == ["individual-blame", "systemic-failure"]
    doccano = json.loads(export_labels(UNITS, "doccano", labelled)[0].splitlines()[0])
    assert doccano["label"] == ["resource"] and doccano["unit_id"] == "u0"


def test_export_without_labels_is_for_labelling(tmp_path):
    text, count = export_labels(UNITS, "csv")
    assert count == 4 and all(row["label"] == "" for row in csv.DictReader(io.StringIO(text)))
    assert export_labels(UNITS, "csv", labelled_only=True) == ("id,text,context,label,note\n", 0)


def test_a_spreadsheet_filled_in_by_hand_imports(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,text,context,label\nu0,ignored,,resource\nu1,,, \nu3,,,none\n", encoding="utf-8-sig")
    result = import_labels(sheet, UNITS, tmp_path, "sheet")
    assert (result.files[0].imported, result.unlabelled) == (2, 1)
    assert current(tmp_path / "sheet.jsonl") == {"u0": ("resource", ""), "u3": ("none", "")}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_labels_and_ids_name_the_rows_and_write_nothing(tmp_path, labelled, fmt):
    text = export_labels(UNITS, fmt, labelled)[0]
    text = text.replace("systemic-failure", "blame").replace('"u2"', '"zz"').replace("\nu2,", "\nzz,")
    bad = tmp_path / f"bad{SUFFIX[fmt]}"
    bad.write_text(text)
    with pytest.raises(InterchangeError) as error:
        import_labels(bad, UNITS, tmp_path, "b", fmt)
    message = str(error.value)
    where = {"csv": ("row 3", "row 4"), "label-studio": ("task 2", "task 3")}.get(fmt, ("line 2", "line 3"))
    assert f"{where[0]}: unknown label 'blame'" in message
    assert f"{where[1]}: unknown unit id 'zz'" in message
    assert "nothing was imported" in message
    assert not (tmp_path / "b.jsonl").exists()


def test_unreadable_files_are_clear_errors(tmp_path):
    (tmp_path / "x.jsonl").write_text("{not json\n")
    with pytest.raises(InterchangeError, match="cannot tell the format"):
        import_labels(tmp_path / "x.jsonl", UNITS, tmp_path, "b")
    with pytest.raises(InterchangeError, match=r"x.jsonl:1: not JSON"):
        import_labels(tmp_path / "x.jsonl", UNITS, tmp_path, "b", "doccano")
    (tmp_path / "x.csv").write_text("text,category\n")
    with pytest.raises(InterchangeError, match="no id or label column"):
        import_labels(tmp_path / "x.csv", UNITS, tmp_path, "b")
    with pytest.raises(InterchangeError, match="no such file"):
        import_labels(tmp_path / "missing.csv", UNITS, tmp_path, "b")
    assert not (tmp_path / "b.jsonl").exists()


def test_cli_export_and_import(tmp_path, labelled):
    units = tmp_path / "units.jsonl"
    write_units(UNITS, units)
    runner = CliRunner()
    out = tmp_path / "a.json"
    common = ["--units", str(units), "--labels-dir", str(labelled.parent)]
    result = runner.invoke(
        cli, ["export", "--format", "label-studio", "--annotator", "a", "-o", str(out), *common]
    )
    assert result.exit_code == 0, result.output
    assert "4 units written" in result.output and "<Choices" in result.output
    result = runner.invoke(cli, ["import", str(out), "--annotator", "c", *common])
    assert result.exit_code == 0, result.output
    assert "3 labels imported" in result.output
    assert current(labelled.parent / "c.jsonl") == current(labelled)
    stdout = runner.invoke(cli, ["export", "-f", "csv", "--gold", *common])
    assert stdout.exit_code == 1 and "no such labels file" in stdout.output
    both = runner.invoke(cli, ["export", "-f", "csv", "--gold", "--annotator", "a", *common])
    assert both.exit_code == 1 and "not both" in both.output


def test_cli_import_error_exits_1_and_writes_nothing(tmp_path):
    units = tmp_path / "units.jsonl"
    write_units(UNITS, units)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,label\nu0,blame\n")
    result = CliRunner().invoke(
        cli, ["import", str(sheet), "--annotator", "x", "--units", str(units), "--labels-dir", str(tmp_path)]
    )
    assert result.exit_code == 1 and "row 2: unknown label 'blame'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.jsonl").exists()


# --------------------------------------------------------------------------- issue 9


def labels_of(path):
    return {u: r.label for u, r in latest(read_records(path).records).items()}


def test_csv_export_cannot_run_formulas_and_import_restores_the_text(tmp_path):
    risky = ['=HYPERLINK("http://x")', "+44 1234", "-5% in real terms", "@council", "'quoted", "\tindented"]
    units = [Unit(f"r{i}", "doc", "sentence", i, text) for i, text in enumerate(risky)]
    source = tmp_path / "a.jsonl"
    append_records(source, [LabelRecord(u.unit_id, u.text, "none", "a", note=u.text) for u in units])
    text, _ = export_labels(units, "csv", source)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells)
    assert '\'=HYPERLINK("http://x")' in cells and "''quoted" in cells
    (tmp_path / "a.csv").write_text(text)
    import_labels(tmp_path / "a.csv", units, tmp_path / "out", "b")
    notes = {r.unit_id: r.note for r in read_records(tmp_path / "out" / "b.jsonl").records}
    assert notes == {u.unit_id: u.text for u in units}
    assert export_labels(units, "csv", tmp_path / "out" / "b.jsonl")[0] == text


def test_label_studio_tasks_with_several_annotations_import_as_several_annotators(tmp_path):
    def choice(label, who, lead_time=None):
        result = [{"type": "choices", "from_name": "label", "to_name": "text", "value": {"choices": [label]}}]
        return {"result": result, "completed_by": who, "lead_time": lead_time, "was_cancelled": False}

    tasks = [
        {
            "id": 1,
            "data": {"unit_id": "u0", "text": UNITS[0].text},
            "annotations": [choice("resource", 1, 4.2), choice("none", 2)],
        },
        {
            "id": 2,
            "data": {"text": UNITS[1].text},
            "annotations": [choice("systemic-failure", {"id": 2, "email": "bob@example.org"})],
        },
        {"id": 3, "data": {"unit_id": "u3"}, "annotations": []},
    ]
    source = tmp_path / "project.json"
    source.write_text(json.dumps(tasks))
    result = import_labels(source, UNITS, tmp_path)
    assert {r.annotator: r.imported for r in result.files} == {
        "label-studio-1": 1,
        "label-studio-2": 1,
        "bob-example.org": 1,
    }
    assert result.unlabelled == 1
    assert labels_of(tmp_path / "label-studio-1.jsonl") == {"u0": "resource"}
    assert labels_of(tmp_path / "label-studio-2.jsonl") == {"u0": "none"}
    assert labels_of(tmp_path / "bob-example.org.jsonl") == {"u1": "systemic-failure"}  # matched by its text
    assert read_records(tmp_path / "label-studio-1.jsonl").records[0].seconds == 4.2
    with pytest.raises(InterchangeError, match=r"3 annotators .*Leave out --annotator"):
        import_labels(source, UNITS, tmp_path / "other", "b")
    assert not (tmp_path / "other").exists()


def test_label_studio_json_min_imports(tmp_path):
    rows = [
        {
            "id": 1,
            "unit_id": "u0",
            "text": UNITS[0].text,
            "label": "resource",
            "note": "caseload",
            "annotator": 7,
            "annotation_id": 1,
            "lead_time": 3.0,
        },
        {
            "id": 1,
            "unit_id": "u0",
            "text": UNITS[0].text,
            "label": "none",
            "annotator": 8,
            "annotation_id": 2,
            "lead_time": 2.0,
        },
        {
            "id": 2,
            "unit_id": "u2",
            "text": UNITS[2].text,
            "label": {"choices": ["none"]},
            "annotator": 7,
            "annotation_id": 3,
        },
    ]
    source = tmp_path / "min.json"
    source.write_text(json.dumps(rows))
    result = import_labels(source, UNITS, tmp_path)
    assert sorted(r.annotator for r in result.files) == ["label-studio-7", "label-studio-8"]
    assert labels_of(tmp_path / "label-studio-7.jsonl") == {"u0": "resource", "u2": "none"}
    assert read_records(tmp_path / "label-studio-7.jsonl").records[0].note == "caseload"


def test_prodigy_annotators_binary_answers_and_empty_accepts(tmp_path):
    lines = [
        {
            "text": UNITS[0].text,
            "meta": {"unit_id": "u0"},
            "options": [],
            "accept": ["resource"],
            "answer": "accept",
            "_annotator_id": "frames-alice",
        },
        {
            "text": UNITS[0].text,
            "meta": {"unit_id": "u0"},
            "options": [],
            "accept": ["none"],
            "answer": "accept",
            "_annotator_id": "frames-bob",
        },
        {
            "text": UNITS[1].text,
            "label": "systemic-failure",
            "answer": "accept",
            "_annotator_id": "frames-alice",
        },
        {"text": UNITS[2].text, "label": "resource", "answer": "reject", "_annotator_id": "frames-alice"},
        {
            "text": UNITS[3].text,
            "meta": {"unit_id": "u3"},
            "options": [],
            "accept": [],
            "answer": "accept",
            "_annotator_id": "frames-bob",
        },
        {"text": UNITS[3].text, "label": "none", "answer": "ignore", "_annotator_id": "frames-bob"},
    ]
    source = tmp_path / "prodigy.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert detect_format(source) == "prodigy"
    result = import_labels(source, UNITS, tmp_path)
    assert result.unlabelled == 3  # a rejected binary answer, an empty accept, an ignored task
    assert labels_of(tmp_path / "frames-alice.jsonl") == {"u0": "resource", "u1": "systemic-failure"}
    assert labels_of(tmp_path / "frames-bob.jsonl") == {"u0": "none"}


def test_a_file_that_names_nobody_needs_an_annotator(tmp_path, labelled):
    text, _ = export_labels(UNITS, "prodigy", labelled)
    (tmp_path / "x.jsonl").write_text(text)
    with pytest.raises(InterchangeError, match=r"does not say who labelled 3 row.*--annotator"):
        import_labels(tmp_path / "x.jsonl", UNITS, tmp_path)


def test_import_refuses_while_a_labelling_server_holds_the_file(tmp_path, labelled):
    text, _ = export_labels(UNITS, "csv", labelled)
    (tmp_path / "a.csv").write_text(text)
    with LabellingSession(UNITS, tmp_path / "labels", "b") as session:  # what `framing label` holds
        with pytest.raises(FileInUseError, match="in use"):
            import_labels(tmp_path / "a.csv", UNITS, tmp_path / "labels", "b")
        assert session.state()["progress"]["done"] == 0
    assert import_labels(tmp_path / "a.csv", UNITS, tmp_path / "labels", "b").files[0].imported == 3


def test_cli_import_of_several_annotators_names_each_file(tmp_path):
    units = tmp_path / "units.jsonl"
    write_units(UNITS, units)
    lines = [
        {"text": UNITS[0].text, "label": "resource", "answer": "accept", "_annotator_id": "alice"},
        {"text": UNITS[0].text, "label": "none", "answer": "accept", "_annotator_id": "bob"},
    ]
    source = tmp_path / "p.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = CliRunner().invoke(
        cli, ["import", str(source), "--units", str(units), "--labels-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "(alice)" in result.output and "(bob)" in result.output
