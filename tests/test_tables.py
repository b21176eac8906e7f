import json

import pytest

from framing.corpus.tables import column, read_rows, split_table
from framing.errors import FramingError
from framing.files import Span


def test_jsonl_and_csv_rows_carry_line_numbers(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "one"}\n\n{"text": "two"}\n')
    (tmp_path / "a.csv").write_text("text,label\none,none\ntwo,resource\n")
    assert list(read_rows(tmp_path / "a.jsonl")) == [(1, {"text": "one"}), (3, {"text": "two"})]
    assert list(read_rows(tmp_path / "a.csv")) == [
        (2, {"text": "one", "label": "none"}),
        (3, {"text": "two", "label": "resource"}),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"text": "ok"}\n{broken\n', r"a.jsonl:2: not JSON"), ("[1, 2]\n", r"a.jsonl:1: not a JSON object")],
)
def test_bad_lines_are_named(tmp_path, content, message):
    (tmp_path / "a.jsonl").write_text(content)
    with pytest.raises(FramingError, match=message):
        list(read_rows(tmp_path / "a.jsonl"))


def test_missing_file_wrong_type_and_missing_column(tmp_path):
    with pytest.raises(FramingError, match="no such file"):
        list(read_rows(tmp_path / "none.csv"))
    with pytest.raises(FramingError, match=r"expected a table file \(\.jsonl, \.json, \.csv, \.parquet\)"):
        list(read_rows(tmp_path / "a.txt"))
    with pytest.raises(FramingError, match=r"t.csv:2: no column 'text' \(columns: body\)"):
        column(tmp_path / "t.csv", 2, {"body": "x"}, "text")


def test_csv_with_byte_order_mark_and_parquet_read_like_the_rest(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "bom.csv").write_bytes("\ufefftext,label\none,none\n".encode())
    assert list(read_rows(tmp_path / "bom.csv")) == [(2, {"text": "one", "label": "none"})]
    pq.write_table(pa.table({"text": ["one", "two"], "id": [7, 8]}), tmp_path / "t.parquet")
    assert list(read_rows(tmp_path / "t.parquet")) == [
        (1, {"text": "one", "id": 7}),
        (2, {"text": "two", "id": 8}),
    ]


def test_an_edited_parquet_file_is_read_afresh(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"text": ["first"]}), path)
    assert [row["text"] for _, row in read_rows(path)] == ["first"]
    pq.write_table(pa.table({"text": ["later"]}), path)
    assert [row["text"] for _, row in read_rows(path)] == ["later"]


def _write_tables(folder):
    """The same 10 rows as JSON Lines (with blank lines), CSV (quoted newlines, CRLF, BOM) and Parquet."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [f"Row {i}: caseloads rose, ünïcode" for i in range(10)]
    texts[3] = 'A quoted\nnewline, a comma and "quotes"'
    texts[6] = ""
    (folder / "t.jsonl").write_text(
        "".join(
            json.dumps({"text": t, "id": i}) + ("\n\n" if i % 4 == 0 else "\n") for i, t in enumerate(texts)
        ),
        encoding="utf-8",
    )
    with (folder / "t.csv").open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(["text", "id"])
        writer.writerows([t, i] for i, t in enumerate(texts))
    pq.write_table(pa.table({"text": texts, "id": list(range(10))}), folder / "t.parquet", row_group_size=3)
    return ["t.jsonl", "t.csv", "t.parquet"]


@pytest.mark.parametrize("rows", [1, 3, 4, 100])
def test_the_spans_of_a_table_read_as_the_whole_file(tmp_path, rows):
    for name in _write_tables(tmp_path):
        path = tmp_path / name
        spans = split_table(path, rows)
        assert [row for span in spans for row in read_rows(path, span)] == list(read_rows(path)), name
        assert sum(span.rows for span in spans) >= 10
        if rows < 10:
            assert len(spans) > 1, name


def test_a_bad_line_in_a_span_is_named_by_its_line_in_the_file(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n{broken\n', encoding="utf-8")
    last = split_table(path, 2)[-1]
    with pytest.raises(FramingError, match=r"a.jsonl:4: not JSON"):
        list(read_rows(path, last))
    bad_csv = tmp_path / "a.csv"
    bad_csv.write_bytes(b"text\none\ntwo\nth\xffree\n")
    assert split_table(bad_csv, 1) == [Span(0, bad_csv.stat().st_size)]


def test_csv_encoding_errors_name_their_line_and_quoted_line_breaks_survive(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(
        b'text,label\r\n"two\r\nlines",none\r\nok,none\r\n' + b"x,none\r\n" * 5000 + b"caf\xe9,none\r\n"
    )
    rows = read_rows(path)
    assert next(rows) == (3, {"text": "two\r\nlines", "label": "none"})
    assert next(rows) == (4, {"text": "ok", "label": "none"})
    with pytest.raises(FramingError, match=r"a.csv:5005: not UTF-8 \(byte 0xe9 at column 4\)"):
        list(rows)
