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
    with pytest.raises(FramingError, match=r"expected a \.jsonl or \.csv file"):
        list(read_rows(tmp_path / "a.txt"))
    with pytest.raises(FramingError, match=r"t.csv:2: no column 'text' \(columns: body\)"):
        column(tmp_path / "t.csv", 2, {"body": "x"}, "text")
