"""Ingest: read documents, drop boilerplate, keep reader comments whole, split the rest into sentences.

A *unit* is what gets labelled: one sentence, or one whole reader comment. A
*document* is one authored piece: a file, one post of an archive page, one
table row, or one reader comment (whose ``meta["page"]`` names its page).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framing.corpus.boilerplate import MAX_ROLE_WORDS, boilerplate_rule, is_label_like
from framing.corpus.tables import TABLE_SUFFIXES, column, read_rows
from framing.corpus.units import Unit, UnitKind, make_unit_id, normalise, write_units
from framing.errors import FramingError, IngestError
from framing.model.nlp import DEFAULT_PIPELINE, load_nlp

TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + TABLE_SUFFIXES

COMMENT_HEADER = re.compile(
    r"^\s*(?P<number>\d+)\.\s+(?P<author>.+?)\s+"
    r"(?P<date>\d{1,2}\s+[A-Za-z]+\s*,?\s+\d{4})\s+at\s+(?P<time>\d{1,2}:\d{2}\s*[apAP][mM])\s*#?\s*$"
)
"""A numbered reader-comment header: "3. Layton 11 April , 2013 at 11:00 pm #"."""

MAX_HEADING_WORDS = 12
_SENTENCE_END = re.compile(r"[.!?…:;,\"”’)\]]$")


@dataclass
class Document:
    """One authored piece, as paragraphs (split into sentences) or one whole comment."""

    doc_id: str
    paragraphs: list[str]
    kind: UnitKind = "sentence"
    meta: dict[str, Any] = field(default_factory=dict)


def slugify(text: str, max_length: int = 60) -> str:
    """Lower-case ASCII slug: "Baby P effect sustained" -> "baby-p-effect-sustained"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_length] or "untitled"


# --------------------------------------------------------------------------- reading


def read_text_file(path: Path) -> str:
    """Decode ``path`` as UTF-8, with an error that names the file and the bad byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}). "
            "Re-save the file as UTF-8."
        ) from exc


def html_to_text(html: str) -> str:
    """The visible text of an HTML page, one block element per paragraph."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "noscript", "template", "head", "nav", "footer"]):
        hidden.decompose()
    for hidden in soup.select("[hidden], [aria-hidden=true]"):
        hidden.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    blocks = "p div li h1 h2 h3 h4 h5 h6 blockquote tr section article header aside pre"
    for block in soup.find_all(blocks.split()):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    return soup.get_text()


_MARKDOWN_RULES = (
    (re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE), ""),
    (re.compile(r"^\s{0,3}>\s?", re.MULTILINE), ""),
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|__|`)"), ""),
)


def markdown_to_text(markdown: str) -> str:
    """Markdown with heading marks, quotes, links and emphasis reduced to plain text."""
    for pattern, replacement in _MARKDOWN_RULES:
        markdown = pattern.sub(replacement, markdown)
    return markdown


def paragraphs_from_lines(lines: list[str]) -> list[str]:
    """Group lines into paragraphs, dropping boilerplate.

    Blank lines end a paragraph; hard-wrapped lines are joined; a short line
    without final punctuation followed by a capitalised line is a heading and
    stands alone. After an author box ("About Jane Smith") the next short line
    (the author's role) is dropped too.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    drop_role_line = False

    def close() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            close()
            continue
        if drop_role_line and is_label_like(line, MAX_ROLE_WORDS):
            drop_role_line = False
            continue
        rule = boilerplate_rule(line)
        drop_role_line = rule == "author box"
        if rule:
            close()
            continue
        current.append(line)
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if _is_heading(line) and following[:1].isupper():
            close()
    close()
    return paragraphs


def _is_heading(line: str) -> bool:
    return len(line.split()) <= MAX_HEADING_WORDS and not _SENTENCE_END.search(line)


def split_page(text: str, page_id: str, source: str) -> list[Document]:
    """Split one page into documents.

    An archive page holds several posts, each a document; each numbered reader
    comment is a document too, with its author and time in ``meta``.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    posts: list[list[str]] = [[]]
    comments: list[tuple[re.Match[str], list[str]]] = []
    for line in lines:
        header = COMMENT_HEADER.match(line)
        if header:
            comments.append((header, []))
        elif comments:
            comments[-1][1].append(line)
        else:
            posts[-1].append(line)
            if boilerplate_rule(line) == "filed under":
                posts.append([])

    documents: list[Document] = []
    post_paragraphs = [p for p in (paragraphs_from_lines(post) for post in posts) if p]
    for paragraphs in post_paragraphs:
        title = paragraphs[0] if _is_heading(paragraphs[0]) else ""
        doc_id = page_id if len(post_paragraphs) == 1 else f"{page_id}/{slugify(title or paragraphs[0])}"
        documents.append(Document(doc_id, paragraphs, meta={"source": source, "title": title}))

    page_title = documents[0].meta["title"] if documents else ""
    for header, body in comments:
        text_lines = [line.strip() for line in body if line.strip()]
        if not text_lines:
            continue
        meta = {
            "source": source,
            "page": page_id,
            "title": page_title,
            "number": int(header["number"]),
            "author": header["author"].strip(),
            "timestamp": f"{header['date']} {header['time']}",
        }
        documents.append(
            Document(f"{page_id}/comment-{header['number']}", ["\n".join(text_lines)], "comment", meta)
        )
    return documents


def read_table(path: Path, text_column: str, id_column: str | None, comments: bool) -> Iterator[Document]:
    """Rows of a table file (:func:`framing.corpus.tables.read_rows`) as documents; empty texts skipped."""
    for index, (number, row) in enumerate(read_rows(path)):
        text = column(path, number, row, text_column)
        if text is None or not str(text).strip():
            continue
        row_id = row.get(id_column) if id_column else None
        doc_id = f"{path.stem}:{row_id if row_id not in (None, '') else index}"
        meta = {"source": path.name, "row": index}
        meta.update({k: v for k, v in row.items() if k != text_column and _is_json_scalar(v)})
        if comments:
            yield Document(doc_id, [str(text).strip()], "comment", meta)
        else:
            yield Document(doc_id, paragraphs_from_lines(str(text).split("\n")), "sentence", meta)


def _is_json_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def read_documents(
    path: Path, text_column: str = "text", id_column: str | None = "id", comments: bool = False
) -> Iterator[Document]:
    """All documents of one source file, by its suffix."""
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        yield from read_table(path, text_column, id_column, comments)
        return
    if suffix not in TEXT_SUFFIXES:
        raise IngestError(f"{path}: unsupported file type; expected one of {', '.join(SUPPORTED_SUFFIXES)}.")
    text = read_text_file(path)
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
    elif suffix == ".md":
        text = markdown_to_text(text)
    yield from split_page(text, path.stem, path.name)


# --------------------------------------------------------------------------- units


def _is_corpus_file(path: Path) -> bool:
    """A supported file that is not hidden and not the folder's README."""
    name = path.name
    return (
        path.suffix.lower() in SUPPORTED_SUFFIXES
        and not name.startswith(".")
        and not name.upper().startswith("README")
    )


def find_sources(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into their supported files (sorted); check that files exist.

    In a folder, hidden files and README files (which describe the corpus) are
    skipped; a file named explicitly is always read.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _is_corpus_file(p))
            if not files:
                raise IngestError(f"{path}: no {', '.join(SUPPORTED_SUFFIXES)} files in this folder.")
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            raise IngestError(f"{path}: no such file or folder.")
    if not found:
        raise IngestError("No input given: name a folder or files to ingest.")
    return found


def units_of_documents(
    documents: Iterable[Document], spacy_model: str = DEFAULT_PIPELINE, batch_size: int = 256
) -> Iterator[Unit]:
    """Split documents into units with spaCy, ``batch_size`` documents per ``nlp.pipe`` call."""
    nlp = load_nlp(spacy_model)
    disable = [name for name in ("lemmatizer", "ner", "textcat") if nlp.has_pipe(name)]
    batch: list[Document] = []
    for document in documents:
        batch.append(document)
        if len(batch) >= batch_size:
            yield from _units_of_batch(batch, nlp, disable)
            batch = []
    yield from _units_of_batch(batch, nlp, disable)


def _units_of_batch(batch: list[Document], nlp: Any, disable: list[str]) -> Iterator[Unit]:
    to_split = [(p, i) for i, d in enumerate(batch) if d.kind == "sentence" for p in d.paragraphs]
    sentences: dict[int, list[str]] = {i: [] for i in range(len(batch))}
    for doc, index in nlp.pipe(to_split, as_tuples=True, disable=disable):
        sentences[index].extend(" ".join(s.text.split()) for s in doc.sents if s.text.strip())
    for index, document in enumerate(batch):
        texts = sentences[index] if document.kind == "sentence" else document.paragraphs
        yield from _units_of_texts(document, texts)


def _units_of_texts(document: Document, texts: list[str]) -> Iterator[Unit]:
    seen: dict[str, int] = {}
    for position, text in enumerate(texts):
        key = normalise(text)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        yield Unit(
            unit_id=make_unit_id(document.doc_id, text, occurrence),
            doc_id=document.doc_id,
            kind=document.kind,
            position=position,
            text=text,
            prev=texts[position - 1] if position > 0 else "",
            next=texts[position + 1] if position + 1 < len(texts) else "",
            meta=document.meta,
        )


@dataclass
class IngestReport:
    """What an ingest run read, wrote and could not read."""

    files: int = 0
    units: int = 0
    errors: list[str] = field(default_factory=list)


def iter_units(
    files: Iterable[Path],
    report: IngestReport,
    text_column: str = "text",
    id_column: str | None = "id",
    comments: bool = False,
    spacy_model: str = DEFAULT_PIPELINE,
) -> Iterator[Unit]:
    """Units of all ``files``; a file that fails is recorded in ``report`` and skipped."""

    def documents() -> Iterator[Document]:
        for path in files:
            try:
                yield from read_documents(path, text_column, id_column, comments)
            except FramingError as exc:
                report.errors.append(str(exc))
                continue
            except (OSError, ValueError) as exc:
                report.errors.append(f"{path}: {exc}")
                continue
            report.files += 1

    for unit in units_of_documents(documents(), spacy_model):
        report.units += 1
        yield unit


def ingest(
    paths: Iterable[str | Path],
    output: str | Path,
    text_column: str = "text",
    id_column: str | None = "id",
    comments: bool = False,
    spacy_model: str = DEFAULT_PIPELINE,
    on_file: Callable[[Path], None] | None = None,
) -> IngestReport:
    """Read ``paths`` (files or folders) and write their units to ``output`` as JSON Lines.

    The output is written to a temporary file and renamed into place, so a
    crash never leaves a half-written units file. Files that fail are listed
    in the returned report; the others' units are still written.
    """
    files = find_sources(paths)
    if on_file is not None:
        files = _notify(files, on_file)
    report = IngestReport()
    units = iter_units(files, report, text_column, id_column, comments, spacy_model)
    write_units(units, output)
    return report


def _notify(files: list[Path], on_file: Callable[[Path], None]) -> Iterator[Path]:
    for path in files:
        on_file(path)
        yield path
