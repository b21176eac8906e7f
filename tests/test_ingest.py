import json

import pytest
from tests.conftest import RAW, THREAD_PAGE

from framing.corpus.boilerplate import boilerplate_rule
from framing.corpus.ingest import find_sources, ingest
from framing.corpus.units import make_unit_id, read_units
from framing.errors import IngestError


def run_ingest(tmp_path, *sources, **options):
    output = tmp_path / "units.jsonl"
    report = ingest(list(sources), output, **options)
    return report, read_units(output)


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("  • Click to see all the latest social work and social care jobs", "job advert"),
        ("by Amy Taylor", "byline"),
        ("  by John Hemming, Allan Norman and Sue White", "byline"),
        ("Leave a comment", "comment prompt"),
        ("2 Comments", "comment prompt"),
        ("Filed under children's social work, social care", "filed under"),
        ("Tag Archives: McAllister", "tag archive"),
        ("15 Responses to Baby P case professionals’ lack of confidence", "comment count"),
        ("Share this:", "share prompt"),
        ("Hemming 60.jpg", "image file"),
        (", , , ,", "no words"),
        ("Community Care", "caption"),
        ("About Simeon Brody", "author box"),
    ],
)
def test_boilerplate_rules(line, rule):
    assert boilerplate_rule(line) == rule


@pytest.mark.parametrize(
    "line",
    ["The system has failed", "Social workers are an easy target.", "by the time he died, nobody had acted."],
)
def test_text_is_not_boilerplate(line):
    assert boilerplate_rule(line) is None


def test_seed_thread_gives_fifteen_whole_comments(tmp_path):
    _, units = run_ingest(tmp_path, THREAD_PAGE)
    comments = [u for u in units if u.kind == "comment"]
    assert [u.meta["number"] for u in comments] == list(range(1, 16))
    assert {u.meta["author"] for u in comments} >= {"Jerry Lonsdale", "Moira", "John Hemming MP", "Lou"}
    assert all(u.meta["timestamp"] == "11 April , 2013 11:00 pm" for u in comments)
    moira = next(u for u in comments if u.meta["author"] == "Moira")
    assert moira.text.startswith("I think that John Hemming should be praised")
    assert moira.text.endswith("An organisation like Ofsted is needed to monitor social workers.")
    assert moira.doc_id == "002_ffb2ef72088eacfb/comment-8"
    assert moira.meta["page"] == "002_ffb2ef72088eacfb"


def test_seed_boilerplate_is_dropped_and_sentences_kept(tmp_path):
    report, units = run_ingest(tmp_path, RAW)
    assert report.files == 5 and not report.errors
    texts = {u.text for u in units}
    for furniture in (
        "Leave a comment",
        "Community Care",
        "by Amy Taylor",
        "Hemming 60.jpg",
        "About Simeon Brody",
        "Community Care managing web editor",
        "Tag Archives: McAllister",
    ):
        assert furniture not in texts
    assert not any(t.startswith("Filed under") or "Click to see" in t for t in texts)
    assert "The system has failed" in texts
    assert "Social workers are an easy target upon whom to project systemic failures" in " ".join(texts)


def test_archive_page_splits_into_posts(tmp_path):
    _, units = run_ingest(tmp_path, RAW / "004_c661742950fc0f3b.txt")
    posts = {u.doc_id for u in units}
    assert "004_c661742950fc0f3b/baby-p-effect-sustained" in posts
    assert len(posts) == 7


def test_unit_ids_are_stable_and_unique(tmp_path):
    _, first = run_ingest(tmp_path, RAW)
    _, second = run_ingest(tmp_path, RAW)
    assert [u.unit_id for u in first] == [u.unit_id for u in second]
    assert len({u.unit_id for u in first}) == len(first)
    assert make_unit_id("d", "same text") != make_unit_id("d", "same text", occurrence=1)


def test_units_carry_context(tmp_path):
    _, units = run_ingest(tmp_path, RAW / "000_b29af35f961d9bd1.txt")
    assert units[0].prev == "" and units[0].next == units[1].text
    assert units[1].prev == units[0].text
    assert [u.position for u in units] == list(range(len(units)))


def test_markdown_and_html(tmp_path):
    (tmp_path / "post.md").write_text(
        "# Cuts hurt children\n\nThe **budget** was cut. [Staff](http://x) left.\n"
    )
    (tmp_path / "page.html").write_text(
        "<html><head><title>t</title><style>p{}</style></head><body><nav>Home | News</nav>"
        "<p>The council failed him.</p><script>alert(1)</script><p>Nobody acted.</p></body></html>"
    )
    _, units = run_ingest(tmp_path, tmp_path / "post.md", tmp_path / "page.html")
    assert [u.text for u in units] == [
        "Cuts hurt children",
        "The budget was cut.",
        "Staff left.",
        "The council failed him.",
        "Nobody acted.",
    ]


def test_tables_through_datasets(tmp_path):
    rows = [{"id": "a", "body": "Budgets were cut. Staff left."}, {"id": "b", "body": "The system failed."}]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (tmp_path / "t.csv").write_text("id,body\na,Budgets were cut. Staff left.\nb,The system failed.\n")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "t.parquet")
    for name in ("t.jsonl", "t.csv", "t.parquet"):
        _, units = run_ingest(tmp_path, tmp_path / name, text_column="body")
        assert [u.text for u in units] == ["Budgets were cut.", "Staff left.", "The system failed."], name
        assert units[0].doc_id == "t:a"
    _, units = run_ingest(tmp_path, tmp_path / "t.csv", text_column="body", comments=True)
    assert [u.kind for u in units] == ["comment", "comment"]
    assert units[0].text == "Budgets were cut. Staff left."


def test_bad_files_are_named_and_others_kept(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("The system failed.\n")
    (corpus / "latin1.txt").write_bytes("Caf\xe9 staff were cut.".encode("latin-1"))
    (corpus / "table.csv").write_text("id,body\n1,hello there\n")
    report, units = run_ingest(tmp_path, corpus)
    assert [u.text for u in units] == ["The system failed."]
    assert len(report.errors) == 2
    assert any("latin1.txt" in e and "UTF-8" in e for e in report.errors)
    assert any("table.csv" in e and "'text'" in e and "body" in e for e in report.errors)


def test_empty_folder_and_missing_path(tmp_path):
    with pytest.raises(IngestError, match=r"no .* files in this folder"):
        find_sources([tmp_path])
    with pytest.raises(IngestError, match="no such file"):
        find_sources([tmp_path / "missing.txt"])


def test_folder_readme_and_hidden_files_are_skipped(tmp_path):
    (tmp_path / "README.md").write_text("# About this corpus\n\nThese files were collected in 2009.\n")
    (tmp_path / ".notes.txt").write_text("Private notes.\n")
    (tmp_path / "doc.txt").write_text("The system failed.\n")
    assert find_sources([tmp_path]) == [tmp_path / "doc.txt"]
    assert find_sources([tmp_path / "README.md"]) == [tmp_path / "README.md"]
