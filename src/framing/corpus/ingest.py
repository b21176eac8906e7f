"""Ingest: read documents, drop boilerplate, keep reader comments whole, split the rest into sentences.

A *unit* is what gets labelled: one sentence, or one whole reader comment. A
*document* is one authored piece: a file, one post of an archive page, one
table row, or one reader comment (whose ``meta["page"]`` names its page).
"""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framing.corpus.boilerplate import MAX_ROLE_WORDS, boilerplate_rule, is_label_like
from framing.corpus.tables import TABLE_SUFFIXES, read_rows, text_value
from framing.corpus.units import Unit, UnitKind, make_unit_id, normalise, write_units
from framing.errors import FramingError, IngestError
from framing.files import check_output, output_lock
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
    """Decode ``path`` as UTF-8, with an error that names the file, the bad byte, its offset and line."""
    data = path.read_bytes()
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        line = data.count(b"\n", 0, offset) + 1
        raise IngestError(
            f"{path}: not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset}, line {line}). "
            "Re-save the file as UTF-8."
        ) from None


HIDDEN_TAGS = ("script", "style", "noscript", "template", "head", "nav", "footer")
BLOCK_TAGS = frozenset(
    {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article"}
    | {"header", "aside", "pre"}
)
_BLOCK_END = object()


def html_to_text(html: str) -> str:
    """The visible text of an HTML page, one block element per paragraph.

    One pass over the tree, in time linear in its size however many or deeply
    nested the blocks are.
    """
    from bs4 import BeautifulSoup, CData, NavigableString, Tag

    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(HIDDEN_TAGS):
        hidden.decompose()
    for hidden in soup.select("[hidden], [aria-hidden=true]"):
        hidden.decompose()
    parts: list[str] = []
    stack: list[object] = [soup]
    while stack:
        node = stack.pop()
        if node is _BLOCK_END:
            parts.append("\n\n")
        elif isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
            elif node.name in BLOCK_TAGS:
                parts.append("\n\n")
                stack.append(_BLOCK_END)
            stack.extend(reversed(node.contents))
        elif type(node) in (NavigableString, CData):  # not comments, doctypes or declarations
            parts.append(str(node))
    return "".join(parts)


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
        text = text_value(path, number, row, text_column)
        if text is None or not text.strip():
            continue
        row_id = row.get(id_column) if id_column else None
        doc_id = f"{path.stem}:{row_id if row_id not in (None, '') else index}"
        meta = {"source": path.name, "row": index}
        meta.update({k: v for k, v in row.items() if k != text_column and _is_json_scalar(v)})
        if comments:
            yield Document(doc_id, [text.strip()], "comment", meta)
        else:
            yield Document(doc_id, paragraphs_from_lines(text.split("\n")), "sentence", meta)


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


def find_sources(paths: Iterable[str | Path], report: IngestReport | None = None) -> list[Path]:
    """Expand folders into their supported files (sorted); check that files exist.

    In a folder, hidden files and folders and README files (which describe the
    corpus) are skipped; a file named explicitly is always read. A sub-folder
    that cannot be read goes to ``report.errors``, and a symbolic link to a
    folder (not followed: it may lead outside the corpus, or in a circle) to
    ``report.warnings``; without a report, either raises :class:`IngestError`.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = _folder_files(path, report)
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


def _folder_files(folder: Path, report: IngestReport | None) -> list[Path]:
    """The corpus files under ``folder``, sorted; unreadable and linked sub-folders reported."""
    found: list[str] = []

    def unreadable(error: OSError) -> None:
        message = (
            f"{error.filename}: cannot read this folder ({error.strerror}); its files were not ingested."
        )
        if report is None:
            raise IngestError(message)
        report.errors.append(message)

    for top, folders, files in os.walk(folder, onerror=unreadable):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in folders:
            link = os.path.join(top, name)
            if os.path.islink(link):
                message = (
                    f"{link}: a link to a folder, not followed; name it as a source to ingest its files."
                )
                if report is None:
                    raise IngestError(message)
                report.warnings.append(message)
        found.extend(os.path.join(top, name) for name in files)
    return sorted(path for path in map(Path, found) if path.is_file() and _is_corpus_file(path))


def units_of_documents(
    documents: Iterable[Document], spacy_model: str = DEFAULT_PIPELINE, batch_size: int = 256
) -> Iterator[Unit]:
    """Split documents into units with spaCy, ``batch_size`` documents per ``nlp.pipe`` call.

    The pipeline is fetched per batch, so :func:`framing.model.nlp.load_nlp` can
    replace one whose vocabulary has grown large.
    """
    batch: list[Document] = []
    for document in documents:
        batch.append(document)
        if len(batch) >= batch_size:
            yield from _units_of_batch(batch, load_nlp(spacy_model))
            batch = []
    yield from _units_of_batch(batch, load_nlp(spacy_model))


def split_long(text: str, limit: int) -> Iterator[str]:
    """``text`` in pieces of at most ``limit`` characters, for spaCy's ``max_length``.

    A piece ends after a sentence end where one lies in the second half of the
    window, else at white space, else at the limit.

    >>> list(split_long("One two. Three four.", 12))
    ['One two.', ' Three four.']
    """
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind(mark) for mark in (". ", "! ", "? ", "\n")) + 1
        if cut <= limit // 2:
            cut = max(window.rfind(" "), window.rfind("\n"))
        if cut <= 0:
            cut = limit
        yield text[:cut]
        text = text[cut:]
    yield text


def _units_of_batch(batch: list[Document], nlp: Any) -> Iterator[Unit]:
    disable = [name for name in ("lemmatizer", "ner", "textcat") if nlp.has_pipe(name)]
    to_split = [
        (piece, i)
        for i, d in enumerate(batch)
        if d.kind == "sentence"
        for p in d.paragraphs
        for piece in split_long(p, nlp.max_length)
    ]
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
    warnings: list[str] = field(default_factory=list)


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

    The output is checked before any work (not an input, not inside an input
    folder, writable), held against a second writer, written to a temporary
    file and renamed into place, so a crash or Ctrl-C never leaves a
    half-written units file. Files and sub-folders that fail are listed in the
    returned report (links to folders in its warnings); the others' units are
    still written. With no units at all (every file failed), ``output`` is
    left as it was and :class:`IngestError` raised.
    """
    paths = [Path(path) for path in paths]
    output = check_output(output, paths)
    report = IngestReport()
    files = find_sources(paths, report)
    if on_file is not None:
        files = _notify(files, on_file)
    with output_lock(output, f"{output} is being written by another `framing ingest`; wait for it."):
        units = iter_units(files, report, text_column, id_column, comments, spacy_model)
        write_units(_at_least_one(units, report, output), output)
    return report


def _at_least_one(units: Iterator[Unit], report: IngestReport, output: Path) -> Iterator[Unit]:
    """``units``, then an error (which leaves ``output`` unchanged) if there were none."""
    yield from units
    if not report.units:
        problems = "".join(f"\n  {error}" for error in report.errors)
        raise IngestError(f"No units to write; {output} was left unchanged.{problems}")


def _notify(files: list[Path], on_file: Callable[[Path], None]) -> Iterator[Path]:
    for path in files:
        on_file(path)
        yield path
