import json

import pytest
from typer.testing import CliRunner

from framing.cli import app

runner = CliRunner()


def test_ingest_writes_units_and_reports_bad_files(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The system failed. Nobody acted.\n")
    (corpus / "b.txt").write_bytes(b"\xff\xfe bad")
    out = tmp_path / "units.jsonl"
    result = runner.invoke(app, ["ingest", str(corpus), "-o", str(out)])
    assert result.exit_code == 1
    assert "b.txt: not valid UTF-8" in result.output
    assert "Traceback" not in result.output
    assert len(out.read_text().splitlines()) == 2


def test_ingest_empty_folder_is_a_clean_error(tmp_path):
    result = runner.invoke(app, ["ingest", str(tmp_path)])
    assert result.exit_code == 1
    assert "no .txt" in result.output and "Traceback" not in result.output


def test_predict_reads_stdin_and_writes_json_lines(model_path):
    result = runner.invoke(app, ["predict", "--model", str(model_path)], input="The system failed.\n\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["The system failed.", ""]
    assert rows[1]["label"] == "none"
    assert all(abs(sum(r["probabilities"].values()) - 1) < 1e-9 for r in rows)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("in.jsonl", '{"text": "Caseloads were too high."}\n'),
        ("in.csv", "id,text\n1,Caseloads were too high.\n"),
    ],
)
def test_predict_reads_tables(model_path, tmp_path, name, content):
    source = tmp_path / name
    source.write_text(content)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["predict", str(source), "--model", str(model_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["text"] == "Caseloads were too high."


def test_predict_keeps_the_identifying_fields_and_asked_for_columns(model_path, tmp_path):
    source = tmp_path / "units.jsonl"
    unit = {"unit_id": "u1", "doc_id": "d1", "kind": "comment", "meta": {"outlet": "Mail"}, "position": 3}
    source.write_text(json.dumps({**unit, "text": "Caseloads were too high.", "lang": "en"}) + "\n")
    out = tmp_path / "out.jsonl"
    command = ["predict", str(source), "--model", str(model_path), "-o", str(out), "--keep", "lang"]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text())
    assert list(row) == ["unit_id", "doc_id", "kind", "meta", "lang", "text", "label", "probabilities"]
    assert row["meta"] == {"outlet": "Mail"} and row["lang"] == "en"
    missing = runner.invoke(app, [*command[:-1], "outlet"])
    assert missing.exit_code == 1
    assert "no column 'outlet'" in missing.output and "--keep" in missing.output
    clash = runner.invoke(app, [*command[:-1], "label"])
    assert clash.exit_code != 0 and "every output line has it" in clash.output
    lines = tmp_path / "texts.txt"
    lines.write_text("Caseloads were too high.\n")
    plain = runner.invoke(app, ["predict", str(lines), "--model", str(model_path), "--keep", "lang"])
    assert plain.exit_code == 1 and "a text file has none" in plain.output


def test_predict_without_a_model_says_make_train(tmp_path):
    result = runner.invoke(app, ["predict", "--model", str(tmp_path / "missing.joblib")], input="x\n")
    assert result.exit_code == 1
    assert "Run `make train` first" in result.output


def test_predict_csv_without_text_column_is_a_clean_error(model_path, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,body\n1,hello\n")
    result = runner.invoke(app, ["predict", str(source), "--model", str(model_path)])
    assert result.exit_code == 1
    assert "no column 'text'" in result.output


def test_train_with_no_labels_says_so(tmp_path):
    result = runner.invoke(app, ["train", "--labels-dir", str(tmp_path), "-o", str(tmp_path / "m.joblib")])
    assert result.exit_code == 1
    assert "Nothing to train on" in result.output


def test_info_shows_scores(model_path):
    result = runner.invoke(app, ["info", str(model_path)])
    assert result.exit_code == 0
    assert "grouped CV, mean of per-fold macro-F1" in result.output
