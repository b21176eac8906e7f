"""Malformed, hostile and concurrent inputs through the CLI.

Each case asserts a clean message (no traceback), a non-zero exit where the
command failed, and that every file that existed before is byte-identical
afterwards (and that no temporary or lock file is left behind).
"""

import json
import os
import pickle
import shutil
import threading
from pathlib import Path

import pytest
from tests.conftest import FIXTURES
from typer.testing import CliRunner

from framing.cli import app
from framing.files import output_lock

runner = CliRunner()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def invoke(*args: object, input: str | bytes | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def assert_clean(result, exit_code: int = 1, *fragments: str) -> None:
    """No traceback (the CLI exited on purpose), the expected exit code, and the message fragments."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.exit_code == exit_code, result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def unchanged(folder: Path, before: dict[str, bytes]) -> bool:
    return snapshot(folder) == before


@pytest.fixture
def one_configuration(monkeypatch):
    """A one-point grid, so that tests that really train stay quick."""
    from framing.model import pipeline

    monkeypatch.setattr(pipeline, "param_grid", lambda features="ngrams": {"classifier__estimator__C": [1.0]})


@pytest.fixture
def workspace(tmp_path, model_copy):
    """A folder with a model, a good results file and a good units file."""
    (tmp_path / "results.jsonl").write_text('{"text": "old", "label": "none"}\n')
    (tmp_path / "units.jsonl").write_text('{"unit_id": "u"}\n')
    (tmp_path / "texts.txt").write_text("The council failed him.\nBudgets were cut.\n")
    return tmp_path


# --------------------------------------------------------------------------- 1. no code from a model folder


def _sidecar_for(model: Path, template: Path) -> None:
    """A sidecar that describes ``model`` by its sha256 (keeping the template's signature, now stale)."""
    from framing.model.persist import sha256_of

    metadata = json.loads(template.with_suffix(".json").read_text())
    metadata["sha256"] = sha256_of(model)
    model.with_suffix(".json").write_text(json.dumps(metadata))


class _RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


@pytest.mark.parametrize("signature", ["stale", "none"])
def test_a_pickle_in_the_model_folder_is_never_unpickled(workspace, model_copy, signature):
    evil = workspace / "models" / "framing.joblib"
    evil.parent.mkdir()
    marker = workspace / "pwned"
    evil.write_bytes(pickle.dumps(_RunsCode(marker)))
    _sidecar_for(evil, model_copy)
    if signature == "none":
        metadata = json.loads(evil.with_suffix(".json").read_text())
        del metadata["hmac"]
        evil.with_suffix(".json").write_text(json.dumps(metadata))
    before = snapshot(workspace)
    result = invoke("predict", workspace / "texts.txt", "--model", evil)
    assert_clean(result, 1, "not signed with this machine's model key", f"framing trust {evil}")
    info = invoke("info", evil)
    assert_clean(info, 0, "grouped CV, mean of per-fold macro-F1", "warning: ", "framing trust")
    assert not marker.exists()
    assert unchanged(workspace, before)


def test_a_model_modified_after_signing_is_refused_before_unpickling(workspace, model_copy, monkeypatch):
    """Whoever can write the model folder can fix up the sha256, but not the HMAC."""
    import joblib

    from framing.errors import ModelError
    from framing.model.persist import load_model_file

    marker = workspace / "pwned"
    model_copy.write_bytes(pickle.dumps(_RunsCode(marker)))
    _sidecar_for(model_copy, model_copy)  # sha256 updated, signature left as it was
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("unpickled before the signature check"))
    with pytest.raises(ModelError, match=r"signed with another key .* or modified since"):
        load_model_file(model_copy)
    assert not marker.exists()


def test_a_model_signed_with_another_key_loads_only_once_trusted(workspace, model_copy, monkeypatch):
    from framing.errors import ModelError
    from framing.model.persist import KEY_ENV, load_model_file, sha256_of

    other_key = workspace / "elsewhere" / "model.key"
    monkeypatch.setenv(KEY_ENV, str(other_key))  # another machine: its own key, made on first use
    with pytest.raises(ModelError, match="no model key yet"):
        load_model_file(model_copy)
    assert not other_key.exists()  # loading never makes a key
    result = invoke("trust", model_copy)
    assert_clean(
        result, 0, sha256_of(model_copy), "grouped CV, mean of per-fold macro-F1", "runs code from the file"
    )
    assert other_key.stat().st_mode & 0o777 == 0o600 and len(other_key.read_bytes()) == 32
    assert load_model_file(model_copy).metadata["sha256"] == sha256_of(model_copy)
    third_key = other_key.with_name("third.key")
    third_key.write_bytes(os.urandom(32))
    monkeypatch.setenv(KEY_ENV, str(third_key))
    with pytest.raises(ModelError, match="signed with another key"):
        load_model_file(model_copy)


def test_trust_refuses_a_file_its_sidecar_does_not_describe(workspace, model_copy):
    with model_copy.open("ab") as stream:
        stream.write(b"\0")
    before = snapshot(workspace)
    assert_clean(invoke("trust", model_copy), 1, "sha256 does not match")
    assert unchanged(workspace, before)


def test_a_model_key_in_the_model_folder_is_refused(workspace, model_copy, monkeypatch):
    from framing.model.persist import KEY_ENV

    monkeypatch.setenv(KEY_ENV, str(model_copy.with_name("model.key")))
    before = snapshot(workspace)
    for args in (["trust", model_copy], ["predict", workspace / "texts.txt", "--model", model_copy]):
        assert_clean(invoke(*args), 1, "lies in the model's own folder")
    assert unchanged(workspace, before)


def test_a_model_naming_a_spacy_pipeline_by_path_is_refused(workspace, model_copy):
    """Even a signed model may not name a spaCy pipeline folder, which could hold code."""
    import joblib

    from framing.model.persist import load_model_file, trust_model_file

    pipeline = load_model_file(model_copy).pipeline
    name = next(name for name in pipeline.get_params() if name.endswith("spacy_model"))
    pipeline.set_params(**{name: str(workspace / "pipeline-with-code")})
    evil = workspace / "path.joblib"
    joblib.dump(pipeline, evil)
    _sidecar_for(evil, model_copy)
    trust_model_file(evil)
    result = invoke("predict", workspace / "texts.txt", "--model", evil)
    assert_clean(result, 1, "neither 'blank:en' nor an installed package")


@pytest.mark.parametrize("sidecar", ["[]", "{}", '{"sha256": 5}', "not json", ""])
def test_a_damaged_sidecar_is_a_clean_error(workspace, model_copy, sidecar):
    model_copy.with_suffix(".json").write_text(sidecar)
    before = snapshot(workspace)
    for args in (
        ["info", model_copy],
        ["trust", model_copy],
        ["predict", workspace / "texts.txt", "--model", model_copy],
    ):
        assert_clean(invoke(*args), 1, "damaged metadata")
    assert unchanged(workspace, before)


def test_info_reads_only_the_sidecar(model_copy, monkeypatch):
    import joblib

    from framing.model import persist, predict

    def refuse(*args, **kwargs):
        pytest.fail("info loaded the model")

    for module, name in (
        (joblib, "load"),
        (pickle, "load"),
        (pickle, "loads"),
        (persist, "load_model_file"),
        (predict, "load_model_file"),
    ):
        monkeypatch.setattr(module, name, refuse)
    result = invoke("info", model_copy)
    assert_clean(result, 0, "grouped CV, mean of per-fold macro-F1")
    assert "warning" not in result.output


# --------------------------------------------------------------------------- 2. outputs never destroy inputs


def test_predict_refuses_to_write_over_its_input(workspace, model_copy):
    before = snapshot(workspace)
    result = invoke("predict", workspace / "texts.txt", "-o", workspace / "texts.txt", "--model", model_copy)
    assert_clean(result, 1, "the output is also an input")
    assert unchanged(workspace, before)


def test_predict_with_a_missing_input_keeps_old_results(workspace, model_copy):
    before = snapshot(workspace)
    result = invoke(
        "predict", workspace / "missing.txt", "-o", workspace / "results.jsonl", "--model", model_copy
    )
    assert_clean(result, 1, "missing.txt: no such file")
    assert unchanged(workspace, before)


def test_interrupted_predict_keeps_old_results(workspace, model_copy, monkeypatch):
    from framing.model import predict as module

    def interrupted(texts, model, batch_size):
        yield from module.iter_predict(list(texts)[:1], model)
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "iter_predict", interrupted)
    before = snapshot(workspace)
    result = invoke(
        "predict", workspace / "texts.txt", "-o", workspace / "results.jsonl", "--model", model_copy
    )
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert unchanged(workspace, before)


def test_ingest_refuses_to_write_over_its_input(workspace):
    table = workspace / "comments.csv"
    table.write_text("id,text\n1,The council failed him.\n")
    before = snapshot(workspace)
    assert_clean(invoke("ingest", table, "-o", table), 1, "the output is also an input")
    assert unchanged(workspace, before)


def test_ingest_refuses_an_output_inside_its_input_folder(workspace):
    corpus = workspace / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The system failed.\n")
    before = snapshot(workspace)
    result = invoke("ingest", corpus, "-o", corpus / "units.jsonl")
    assert_clean(result, 1, "inside the input folder")
    assert unchanged(workspace, before)


def test_ingest_in_which_every_file_fails_keeps_the_old_units(workspace):
    corpus = workspace / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_bytes(b"caf\xe9")
    (corpus / "b.csv").write_text("id,body\n1,hello\n")
    before = snapshot(workspace)
    result = invoke("ingest", corpus, "-o", workspace / "units.jsonl")
    assert_clean(result, 1, "No units to write", "units.jsonl was left unchanged", "a.txt", "b.csv")
    assert unchanged(workspace, before)


def test_interrupted_ingest_leaves_no_temporary_files(workspace, monkeypatch):
    from framing.corpus import ingest as module

    corpus = workspace / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The system failed.\n")
    (corpus / "b.txt").write_text("Nobody acted.\n")
    real = module.read_documents

    def interrupted(path, *args):
        if path.name == "b.txt":
            raise KeyboardInterrupt
        return real(path, *args)

    monkeypatch.setattr(module, "read_documents", interrupted)
    before = snapshot(workspace)
    result = invoke("ingest", corpus, "-o", workspace / "units.jsonl")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert unchanged(workspace, before)


# --------------------------------------------------------------------------- 3. concurrent writers


def test_a_second_train_to_the_same_model_stops_before_any_work(workspace, model_copy, labels_dir):
    before = snapshot(workspace)
    with output_lock(model_copy, "busy"):
        result = invoke("train", "--labels-dir", labels_dir, "-o", model_copy)
        assert_clean(result, 1, "being written by another `framing train`")
    assert unchanged(workspace, before)


def test_a_second_ingest_to_the_same_output_is_refused(workspace):
    corpus = workspace / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The system failed.\n")
    before = snapshot(workspace)
    with output_lock(workspace / "units.jsonl", "busy"):
        result = invoke("ingest", corpus, "-o", workspace / "units.jsonl")
        assert_clean(result, 1, "being written by another `framing ingest`")
    assert unchanged(workspace, before)


def test_a_reader_never_sees_a_model_and_sidecar_that_do_not_match(model_copy, model_path):
    """A writer has renamed the new model into place but not yet its sidecar: the reader waits for it."""
    from framing.model.persist import load_model_file, sidecar_path

    new_model = model_copy.with_name("new.joblib")
    shutil.copy(model_copy, new_model)
    new_model.write_bytes(new_model.read_bytes())  # same content, so the test needs no second training
    metadata = json.loads(sidecar_path(model_copy).read_text())
    metadata["model_id"] = "the-new-one"
    with output_lock(model_copy, "busy"):
        sidecar_path(model_copy).write_text(json.dumps({**metadata, "sha256": "0" * 64}))  # the old pair
        done = threading.Event()

        def finish_publishing() -> None:
            done.wait(0.3)
            sidecar_path(model_copy).write_text(json.dumps(metadata))

        writer = threading.Thread(target=finish_publishing)
        writer.start()
        loaded = load_model_file(model_copy)
        writer.join()
    assert loaded.metadata["model_id"] == "the-new-one"


# --------------------------------------------------------------------------- 4. train


def _labels_folder(tmp_path: Path, keep) -> Path:
    folder = tmp_path / "labels"
    folder.mkdir()
    lines = [line for line in (FIXTURES / "labels.jsonl").read_text().splitlines() if keep(json.loads(line))]
    (folder / "gold.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_train_reports_damaged_lines_and_unknown_labels_by_line(workspace, labels_dir, one_configuration):
    folder = workspace / "labels"
    folder.mkdir()
    gold = (labels_dir / "gold.jsonl").read_text()
    bad = json.dumps({"unit_id": "x", "text": "t", "label": "blame", "annotator": "a"})
    (folder / "gold.jsonl").write_text(gold + "{not json\n" + bad + "\n")
    n = len(gold.splitlines())
    result = invoke("train", "--labels-dir", folder, "-o", workspace / "new.joblib", "-q")
    assert_clean(result, 0, f"gold.jsonl:{n + 1}: not JSON", f"gold.jsonl:{n + 2}: Unknown label 'blame'")


def test_train_without_a_label_stops_before_work_and_keeps_the_model(workspace, model_copy):
    folder = _labels_folder(workspace, lambda r: r["label"] != "resource")
    before = snapshot(workspace)
    result = invoke("train", "--labels-dir", folder, "-o", model_copy)
    assert_clean(result, 1, "No training units labelled resource")
    assert unchanged(workspace, before)


def test_train_with_a_rare_label_trains_a_model_of_every_label(workspace, model_copy, one_configuration):
    folder = _labels_folder(
        workspace, lambda r: r["label"] != "individual-blame" or r["doc_id"] in ("doc0", "doc1")
    )
    result = invoke("train", "--labels-dir", folder, "-o", workspace / "rare.joblib")
    assert_clean(result, 0)
    metadata = json.loads((workspace / "rare.json").read_text())
    assert metadata["units_per_label"]["individual-blame"] == 4


def test_train_into_an_unwritable_folder_fails_before_work(workspace, labels_dir, monkeypatch):
    from framing.model import train as module

    monkeypatch.setattr(module, "select_model", lambda *a: pytest.fail("training started"))
    before = snapshot(workspace)
    result = invoke("train", "--labels-dir", labels_dir, "-o", workspace / "texts.txt" / "model.joblib")
    assert_clean(result, 1, "texts.txt is a file")
    assert unchanged(workspace, before)


def test_an_empty_gold_file_falls_back_to_the_annotators_with_a_warning(
    workspace, labels_dir, one_configuration
):
    folder = workspace / "labels"
    folder.mkdir()
    (folder / "gold.jsonl").write_text("")
    for name in ("alice", "bob"):
        records = [json.loads(line) for line in (labels_dir / "gold.jsonl").read_text().splitlines()]
        (folder / f"{name}.jsonl").write_text(
            "".join(json.dumps({**r, "annotator": name}) + "\n" for r in records)
        )
    result = invoke("train", "--labels-dir", folder, "-o", workspace / "new.joblib")
    assert_clean(result, 0, "gold.jsonl: holds no labels", "units where all annotators agree")


# --------------------------------------------------------------------------- 5. ingest


def test_a_paragraph_over_spacys_limit_is_split_and_other_files_kept(workspace):
    corpus = workspace / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The system failed.\n")
    (corpus / "huge.txt").write_text(
        "Caseloads rose again this year " * 40_000 + "\n"
    )  # 1.2 million characters
    result = invoke("ingest", corpus, "-o", workspace / "out.jsonl")
    assert_clean(result, 0, "from 2 file(s)")
    units = [json.loads(line) for line in (workspace / "out.jsonl").read_text().splitlines()]
    assert units[0]["text"] == "The system failed."
    assert sum(len(u["text"]) for u in units[1:]) > 1_100_000


def test_html_with_many_and_deeply_nested_blocks(workspace):
    corpus = workspace / "corpus"
    corpus.mkdir()
    (corpus / "many.html").write_text("<body>" + "".join(f"<p>Point {i} was made.</p>" for i in range(2000)))
    (corpus / "deep.html").write_text("<body>" + "<div>Level one.<div>" * 2000 + "</div>" * 4000)
    result = invoke("ingest", corpus, "-o", workspace / "out.jsonl")
    assert_clean(result, 0)
    texts = [json.loads(line)["text"] for line in (workspace / "out.jsonl").read_text().splitlines()]
    assert texts.count("Level one.") == 2000 and texts.count("Point 1999 was made.") == 1


def test_unreadable_and_linked_sub_folders_are_reported(workspace, monkeypatch):
    corpus = workspace / "corpus"
    for name in ("locked", "open", "elsewhere"):
        (corpus / name).mkdir(parents=True)
        (corpus / name / f"{name}.txt").write_text(f"The {name} file.\n")
    (corpus / "link").symlink_to(corpus / "elsewhere")
    real = os.scandir

    def scandir(path="."):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = invoke("ingest", corpus, "-o", workspace / "out.jsonl")
    assert_clean(result, 1, "locked: cannot read this folder", "link: a link to a folder, not followed")
    texts = [json.loads(line)["text"] for line in (workspace / "out.jsonl").read_text().splitlines()]
    assert texts == ["The elsewhere file.", "The open file."]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"text": "Good."}\n{"text": 5}\n', "t.jsonl:2: the 'text' value is 5 (int), not text"),
        (b'{"text": "Good."}\n{"text": "fine"}\n{"text": "caf\xe9"}\n', "t.jsonl:3: not UTF-8 (byte 0xe9"),
        (b'{"text": "Good."}\n[1, 2]\n', "t.jsonl:2: not a JSON object"),
    ],
)
def test_a_bad_jsonl_line_is_named(workspace, content, message):
    (workspace / "t.jsonl").write_bytes(content)
    before = snapshot(workspace)
    result = invoke("ingest", workspace / "t.jsonl", "-o", workspace / "units.jsonl")
    assert_clean(result, 1, message)
    assert snapshot(workspace).keys() == before.keys()


def test_encoding_error_after_a_byte_order_mark_names_the_right_byte(workspace):
    (workspace / "bom.txt").write_bytes(b"\xef\xbb\xbfGood.\ncaf\xe9\n")
    result = invoke("ingest", workspace / "bom.txt", "-o", workspace / "out.jsonl")
    assert_clean(result, 1, "byte 0xe9 at offset 12, line 2")


# --------------------------------------------------------------------------- 6. predict


def test_predict_names_the_line_that_is_not_utf8(workspace, model_copy):
    (workspace / "latin1.txt").write_bytes(b"one\ntwo\ncaf\xe9\n")
    before = snapshot(workspace)
    result = invoke(
        "predict", workspace / "latin1.txt", "-o", workspace / "results.jsonl", "--model", model_copy
    )
    assert_clean(result, 1, "latin1.txt:3: not UTF-8 (byte 0xe9", "results.jsonl was left unchanged")
    assert unchanged(workspace, before)


def test_predict_names_the_stdin_line_that_is_not_utf8(model_copy):
    result = invoke("predict", "--model", model_copy, input=b"fine\n\xff\n")
    assert_clean(result, 1, "<stdin>:2: not UTF-8")


@pytest.mark.parametrize(("value", "shown"), [("null", "empty (null)"), ('["a"]', '["a"] (list)')])
def test_predict_rejects_values_that_are_not_text_as_the_api_does(workspace, model_copy, value, shown):
    (workspace / "in.jsonl").write_text(f'{{"text": "fine"}}\n{{"text": {value}}}\n')
    before = snapshot(workspace)
    result = invoke(
        "predict", workspace / "in.jsonl", "-o", workspace / "results.jsonl", "--model", model_copy
    )
    assert_clean(result, 1, f"in.jsonl:2: the 'text' value is {shown}, not text")
    assert unchanged(workspace, before)


# --------------------------------------------------------------------------- 7. arguments checked first


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "--resamples", "0"],
        ["predict", "--batch-size", "0"],
        ["predict", "--batch-size", "-1"],
        ["train", "--jobs", "0"],
        ["train", "--seed", "-1"],
        ["agreement", "x.jsonl", "--limit", "-2"],
    ],
)
def test_invalid_numbers_are_usage_errors(args):
    result = invoke(*args)
    assert_clean(result, 2, "Invalid value")


def test_evaluate_into_an_unwritable_folder_fails_before_work(workspace, model_copy, labels_dir, monkeypatch):
    from framing.experiment import evaluate as module

    monkeypatch.setattr(module, "cross_validated", lambda *a: pytest.fail("evaluation started"))
    before = snapshot(workspace)
    result = invoke(
        "evaluate", "--labels-dir", labels_dir, "--model", model_copy, "--output-dir", workspace / "texts.txt"
    )
    assert_clean(result, 1, "texts.txt is a file")
    assert unchanged(workspace, before)


def test_agreement_on_a_folder_uses_its_annotator_files(workspace, labels_dir):
    folder = workspace / "labels"
    folder.mkdir()
    records = [json.loads(line) for line in (labels_dir / "gold.jsonl").read_text().splitlines()]
    for name in ("alice", "bob"):
        (folder / f"{name}.jsonl").write_text(
            "".join(json.dumps({**r, "annotator": name}) + "\n" for r in records)
        )
    shutil.copy(labels_dir / "gold.jsonl", folder / "gold.jsonl")
    assert_clean(invoke("agreement", folder), 0, "annotators: alice, bob; units labelled by two or more: 48")


@pytest.mark.parametrize("target", ["units.jsonl", "labels/out.jsonl", "a-folder"])
def test_export_never_writes_over_its_inputs(workspace, target):
    units = workspace / "units.jsonl"
    units.write_text(
        json.dumps({"unit_id": "u1", "doc_id": "d", "kind": "sentence", "position": 0, "text": "Hi."}) + "\n"
    )
    (workspace / "labels").mkdir()
    (workspace / "a-folder").mkdir()
    before = snapshot(workspace)
    result = invoke(
        "export",
        "-f",
        "csv",
        "--units",
        units,
        "--labels-dir",
        workspace / "labels",
        "-o",
        workspace / target,
    )
    assert_clean(result, 1)
    assert unchanged(workspace, before)
