import pytest

from framing.corpus.tables import column, read_rows
from framing.errors import FramingError


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
