"""The Dask path: parts concatenated in order equal the single-process output, byte for byte."""

from __future__ import annotations

import csv
import json
import logging
import shutil
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.errors import FramingError, ScaleError
from framing.scale.partitions import file_parts, part_file, prediction_inputs, row_parts
from framing.scale.runner import connect, map_partitions, require_distributed

distributed = pytest.importorskip("distributed")

RAW = Path(__file__).parents[1] / "data" / "raw"
runner = CliRunner()

TEXTS = [
    "Caseloads were 50% above the recommended level.",
    "The council's procedures failed the child.",
    "Ms Shoesmith must resign.",
    "",
    "   ",
    'A "quoted" text, with a comma',
    "Budgets were cut again; ünïcode — and emoji 🙂.",
    "The hearing resumes on Monday.",
    "Staff shortages left the team overstretched.",
    "Nobody acted.",
    "The social worker should have seen it.",
]


@pytest.fixture(scope="module")
def cluster():
    """Two workers of one thread each, in this process but talking TCP on 127.0.0.1."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    ) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as dask_client:
        yield dask_client


def write_inputs(folder: Path) -> dict[str, Path]:
    """The same texts as JSON Lines (blank lines), CSV (quoted newlines, CRLF, BOM), Parquet, plain text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [*TEXTS, "A text over\ntwo lines in tables."]
    jsonl = folder / "in.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps({"id": i, "text": t}, ensure_ascii=i % 2 == 0) + "\n" * (2 if i % 3 == 0 else 1)
            for i, t in enumerate(texts)
        ),
        encoding="utf-8",
    )
    table = folder / "in.csv"
    with table.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(["id", "text"])
        writer.writerows(enumerate(texts))
    parquet = folder / "in.parquet"
    pq.write_table(pa.table({"id": list(range(len(texts))), "text": texts}), parquet, row_group_size=3)
    lines = folder / "in.txt"
    lines.write_bytes("\r\n".join(TEXTS).encode() + b"\nlast line without a newline")
    return {"jsonl": jsonl, "csv": table, "parquet": parquet, "txt": lines}


def single_process(source: Path, output: Path, model_path: Path, *options: str) -> bytes:
    result = runner.invoke(
        app, ["predict", str(source), "-o", str(output), "--model", str(model_path), *options]
    )
    assert result.exit_code == 0, result.output
    return output.read_bytes()


def parts(folder: Path) -> list[Path]:
    found = sorted(folder.glob("part-*.jsonl"))
    assert [path.name for path in found] == [part_file(folder, i).name for i in range(len(found))]
    return found


def concatenated(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in parts(folder))


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet", "txt"])
def test_predict_parts_concatenate_to_the_single_process_output(kind, cluster, model_path, tmp_path):
    source = write_inputs(tmp_path)[kind]
    expected = single_process(source, tmp_path / "single.jsonl", model_path)
    out = tmp_path / "out"
    on_cluster = ["--scheduler", cluster.scheduler_address, "--partition-rows", "3"]
    result = runner.invoke(
        app, ["predict", str(source), "-o", str(out), "--model", str(model_path), *on_cluster]
    )
    assert result.exit_code == 0, result.output
    assert len(parts(out)) >= 3
    assert concatenated(out) == expected
    assert f"{len(expected.splitlines())} predictions written" in result.output


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_predict_with_actors_on_the_cluster_matches_the_single_process(kind, cluster, model_path, tmp_path):
    source = write_inputs(tmp_path)[kind]
    patterns = tmp_path / "mine.jsonl"
    patterns.write_text('{"label": "frontline", "pattern": "team"}\n')
    actors = ["--actors", "--actor-patterns", str(patterns)]
    expected = single_process(source, tmp_path / "single.jsonl", model_path, *actors)
    out = tmp_path / "out"
    on_cluster = ["--scheduler", cluster.scheduler_address, "--partition-rows", "3"]
    result = runner.invoke(
        app, ["predict", str(source), "-o", str(out), "--model", str(model_path), *on_cluster, *actors]
    )
    assert result.exit_code == 0, result.output
    assert len(parts(out)) >= 3
    assert concatenated(out) == expected
    rows = [json.loads(line) for line in expected.splitlines()]
    mentions = {(a["text"], a["role"]) for row in rows for a in row["actors"]}
    assert {
        ("Ms Shoesmith", "named_person"),
        ("team", "frontline"),
        ("social worker", "frontline"),
    } <= mentions


def test_a_folder_is_predicted_file_by_file_in_name_order(client, model_path, tmp_path):
    from framing.scale.steps import predict_partitioned

    (tmp_path / "corpus").mkdir()
    inputs = write_inputs(tmp_path / "corpus")
    nested = tmp_path / "corpus" / "more"
    nested.mkdir()
    shutil.move(inputs["txt"], nested / "z.txt")
    (tmp_path / "corpus" / "README.md").write_text("About this corpus.\n")
    (tmp_path / "corpus" / ".hidden.jsonl").write_text("not json\n")
    files = prediction_inputs(tmp_path / "corpus")
    assert [path.name for path in files] == ["in.csv", "in.jsonl", "in.parquet", "z.txt"]
    expected = b"".join(single_process(path, tmp_path / f"{path.name}.out", model_path) for path in files)
    seen = []
    count = predict_partitioned(
        client,
        tmp_path / "corpus",
        tmp_path / "out",
        model_path,
        rows_per_part=5,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert concatenated(tmp_path / "out") == expected
    assert count == len(expected.splitlines())
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 0
    assert len(seen) == len(parts(tmp_path / "out")) + 1


def test_part_numbers_follow_the_input_order_across_split_files(tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("".join(f"{name} line {i}\n" for i in range(5)))
    planned = row_parts([tmp_path / "a.txt", tmp_path / "b.txt"], 2)
    assert [part.index for part in planned] == list(range(6))
    sizes = [(part.path.name, part.rows) for part in planned]
    assert sizes == [(name, rows) for name in ("a.txt", "b.txt") for rows in (2, 2, 1)]
    assert row_parts([tmp_path / "a.txt"], 5)[0].span is None
    groups = file_parts([Path(f"{i}.txt") for i in range(5)], 2)
    assert [group.files for group in groups] == [
        (Path("0.txt"), Path("1.txt")),
        (Path("2.txt"), Path("3.txt")),
        (Path("4.txt"),),
    ]


def test_ingest_parts_concatenate_to_the_single_process_units(cluster, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(RAW, corpus)
    (corpus / "comments.csv").write_text("id,text\n7,The council failed him.\n8,Budgets were cut.\n")
    (corpus / "bad.txt").write_bytes(b"\xff\xfe not UTF-8")
    single = runner.invoke(app, ["ingest", str(corpus), "-o", str(tmp_path / "units.jsonl")])
    out = tmp_path / "units"
    scaled = runner.invoke(
        app,
        [
            "ingest",
            str(corpus),
            "-o",
            str(out),
            "--scheduler",
            cluster.scheduler_address,
            "--partition-files",
            "2",
        ],
    )
    assert single.exit_code == scaled.exit_code == 1
    assert len(parts(out)) == 4
    assert concatenated(out) == (tmp_path / "units.jsonl").read_bytes()
    assert scaled.output.replace(str(out), "OUT") == single.output.replace(
        str(tmp_path / "units.jsonl"), "OUT"
    )
    assert "bad.txt: not valid UTF-8" in scaled.output and "Traceback" not in scaled.output


class CountsUnpickling:
    """A stand-in for the model that counts how often it is unpickled (here, all in this process)."""

    loads = 0
    lock = threading.Lock()

    def __reduce__(self):
        return (CountsUnpickling._rebuild, ())

    @staticmethod
    def _rebuild():
        with CountsUnpickling.lock:
            CountsUnpickling.loads += 1
        return CountsUnpickling()


def thing_id(partition: int, thing: CountsUnpickling) -> tuple[int, int]:
    return partition, id(thing)


def test_shared_objects_reach_each_worker_once_not_each_task(client):
    CountsUnpickling.loads = 0
    results = map_partitions(client, thing_id, range(12), shared={"thing": CountsUnpickling()})
    assert [partition for partition, _ in results] == list(range(12))
    assert 1 <= CountsUnpickling.loads <= 2
    assert len({identity for _, identity in results}) <= 2


def slow_first(partition: int) -> int:
    import time

    time.sleep(0.3 if partition == 0 else 0)
    if partition == 5:
        raise FramingError("partition 5 is damaged")
    return partition * 10


def test_results_come_back_in_input_order_and_the_first_error_is_raised(client):
    finished = []
    assert map_partitions(client, slow_first, range(5), on_result=lambda i, r: finished.append(i)) == [
        0,
        10,
        20,
        30,
        40,
    ]
    assert sorted(finished) == list(range(5)) and finished != list(range(5))
    with pytest.raises(FramingError, match="partition 5 is damaged"):
        map_partitions(client, slow_first, range(8))


def test_a_damaged_line_is_named_by_its_line_in_the_whole_file(cluster, model_path, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n{broken\n{"text": "e"}\n')
    on_cluster = ["--scheduler", cluster.scheduler_address, "--partition-rows", "2"]
    result = runner.invoke(
        app, ["predict", str(source), "-o", str(tmp_path / "out"), "--model", str(model_path), *on_cluster]
    )
    assert result.exit_code == 1
    assert "in.jsonl:4: not JSON" in result.output and "Traceback" not in result.output


def test_output_must_be_a_folder_apart_from_the_input_and_stale_parts_go(cluster, model_path, tmp_path):
    source = write_inputs(tmp_path)["jsonl"]
    common = ["--model", str(model_path), "--scheduler", cluster.scheduler_address]
    as_file = runner.invoke(app, ["predict", str(source), "-o", str(tmp_path / "out.jsonl"), *common])
    assert as_file.exit_code == 1 and "is a folder of part files" in as_file.output
    inside = runner.invoke(app, ["predict", str(tmp_path), "-o", str(tmp_path / "out"), *common])
    assert inside.exit_code == 1 and "is in the input folder" in inside.output
    holding = runner.invoke(app, ["predict", str(source), "-o", str(tmp_path), *common])
    assert holding.exit_code == 1 and "holds the input file" in holding.output
    no_output = runner.invoke(app, ["predict", str(source), *common])
    assert no_output.exit_code == 1 and "-o FOLDER" in no_output.output
    out = tmp_path / "elsewhere" / "out"
    out.mkdir(parents=True)
    stale = part_file(out, 99)
    stale.write_text("from an earlier run\n")
    result = runner.invoke(app, ["predict", str(source), "-o", str(out), *common])
    assert result.exit_code == 0, result.output
    assert not stale.exists() and len(parts(out)) == 1


def test_without_dask_the_error_names_the_extra(monkeypatch, model_path, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ScaleError, match=r"pip install 'framing\[scale\]'"):
        require_distributed()
    source = write_inputs(tmp_path)["txt"]
    result = runner.invoke(
        app,
        ["predict", str(source), "-o", str(tmp_path / "out"), "--workers", "1", "--model", str(model_path)],
    )
    assert result.exit_code == 1
    assert "pip install 'framing[scale]'" in result.output and "Traceback" not in result.output


def test_an_unreachable_scheduler_is_a_clean_error(monkeypatch):
    monkeypatch.setattr(
        distributed, "Client", lambda *args, **kwargs: (_ for _ in ()).throw(OSError("refused"))
    )
    unreachable = r"Cannot reach the Dask scheduler at tcp://127.0.0.1:9 \(refused\)"
    with pytest.raises(ScaleError, match=unreachable), connect("tcp://127.0.0.1:9"):
        pass
    with pytest.raises(ScaleError, match="leave it out"), connect("tcp://127.0.0.1:9", workers=2):
        pass


@pytest.mark.slow
def test_workers_start_a_local_cluster_of_processes(model_path, tmp_path):
    source = write_inputs(tmp_path)["csv"]
    expected = single_process(source, tmp_path / "single.jsonl", model_path)
    out = tmp_path / "out"
    local = ["--workers", "1", "--partition-rows", "5"]
    result = runner.invoke(app, ["predict", str(source), "-o", str(out), "--model", str(model_path), *local])
    assert result.exit_code == 0, result.output
    assert concatenated(out) == expected


@pytest.mark.parametrize("predicted", [False, True])
def test_profile_on_the_cluster_equals_the_single_process_profile(predicted, cluster, model_path, tmp_path):
    source = tmp_path / "units.jsonl"
    with source.open("w", encoding="utf-8") as stream:
        for i in range(120):
            meta = {"outlet": ("Mail", "Sun")[i // 3 % 2], "published": f"2009-0{1 + i // 3 % 4}-01"}
            unit = {"unit_id": f"u{i}", "doc_id": f"d{i // 3}", "text": TEXTS[i % len(TEXTS)], "meta": meta}
            stream.write(json.dumps(unit) + "\n")
    if predicted:  # predictions with actors: their actors are read, not matched again
        single_process(source, tmp_path / "predictions.jsonl", model_path, "--actors")
        source = tmp_path / "predictions.jsonl"
    options = ["--by", "outlet", "--date", "published", "--resamples", "40", "--model", str(model_path)]
    single = runner.invoke(app, ["profile", str(source), "-o", str(tmp_path / "single"), *options])
    assert single.exit_code == 0, single.output
    on_cluster = ["--scheduler", cluster.scheduler_address, "--partition-rows", "25"]
    result = runner.invoke(app, ["profile", str(source), "-o", str(tmp_path / "dask"), *options, *on_cluster])
    assert result.exit_code == 0, result.output
    for name in ("profile.json", "profile.csv", "actors.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "single" / name).read_bytes()
    assert json.loads((tmp_path / "dask" / "profile.json").read_text())["groups"][0]["actors"]
