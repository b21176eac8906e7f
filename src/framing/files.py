"""Safe file handling shared by every step: reading lines and JSON Lines, atomic writes, locks.

- :func:`read_lines` decodes a UTF-8 file line by line, so a bad byte is
  reported with its line; :func:`iter_jsonl` is the one JSON Lines reader on
  top of it: each object with its line number, a damaged line either reported
  or collected, never silently dropped.
- :class:`Span` is a run of whole lines of a file (:func:`split_lines`), read
  with :func:`read_lines`, so a large file can be read in parts.
- :func:`check_output` refuses, before any work, an output that is an input,
  lies inside an input folder, or cannot be written.
- :func:`atomic_write` writes to a unique temporary file beside the target and
  renames it into place only on success, so a crash, Ctrl-C or a concurrent
  writer never leaves a half-written or emptied file behind.
- :func:`append_lines` appends and fsyncs before returning (labels files).
- :func:`exclusive` holds an advisory lock so one process at a time writes a
  file; :func:`output_lock` does so for a file that is replaced by renaming.
"""

from __future__ import annotations

import codecs
import fcntl
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from framing.errors import FramingError


@dataclass(frozen=True)
class Span:
    """Part of a file: bytes ``[start, stop)`` from the start of line ``line``, holding ``rows`` rows.

    For Parquet, ``start`` and ``stop`` count row groups and ``line`` is the first row's number.
    """

    start: int
    stop: int
    line: int = 1
    rows: int = 0


class _Window(io.RawIOBase):
    """Bytes of an open binary file up to ``stop``."""

    def __init__(self, raw: IO[bytes], stop: int) -> None:
        self.raw, self.left = raw, stop - raw.tell()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self.raw.readinto(memoryview(buffer)[: max(0, min(len(buffer), self.left))]) or 0
        self.left -= count
        return count

    def close(self) -> None:
        self.raw.close()
        super().close()


def split_lines(path: str | Path, lines: int) -> list[Span]:
    """Cut ``path`` into spans of ``lines`` lines each (the last may be shorter), in one pass."""
    spans: list[Span] = []
    start = offset = count = 0
    line = 1
    with Path(path).open("rb") as stream:
        for raw in stream:
            offset += len(raw)
            count += 1
            if count == lines:
                spans.append(Span(start, offset, line, count))
                start, line, count = offset, line + count, 0
    if count or not spans:
        spans.append(Span(start, offset, line, count))
    return spans


def read_lines(
    path: str | Path, encoding_errors: str = "strict", span: Span | None = None
) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` for each line of the UTF-8 file ``path`` (or its ``span``), streamed.

    Line endings are kept. See :func:`decode_lines`.
    """
    raw = Path(path).open("rb")  # noqa: SIM115 (closed below, with the window over it)
    stream: IO[bytes] = raw
    if span is not None:
        raw.seek(span.start)
        stream = io.BufferedReader(_Window(raw, span.stop))
    with stream:
        yield from decode_lines(stream, str(path), encoding_errors, span.line if span else 1)


def decode_lines(
    stream: IO[bytes], name: str, encoding_errors: str = "strict", first_line: int = 1
) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` for each line of a binary stream of UTF-8 text.

    Each line is decoded on its own, so a byte that is not UTF-8 raises
    :class:`FramingError` naming ``name``, the line and the column (with
    ``encoding_errors`` ``"strict"``; ``"replace"`` substitutes U+FFFD). A
    byte-order mark at the start is ignored.
    """
    for number, raw in enumerate(stream, start=first_line):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield number, raw.decode("utf-8", encoding_errors)
        except UnicodeDecodeError as exc:
            raise FramingError(
                f"{name}:{number}: not UTF-8 (byte {raw[exc.start]:#04x} at column {exc.start + 1}). "
                "Re-save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
            ) from None


def iter_jsonl(
    path: str | Path,
    problems: list[str] | None = None,
    encoding_errors: str = "strict",
    span: Span | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each JSON object line of ``path``, streamed; blank lines skipped.

    A line that is not a JSON object raises :class:`FramingError` naming the
    file and line, or, when ``problems`` is a list, is appended to it as
    ``file:line: why`` and skipped. A byte-order mark at the start is ignored.
    With ``span``, only the lines of that part of the file are read.
    """
    for number, line in read_lines(path, encoding_errors, span):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            why = f"not JSON ({exc.msg})" if isinstance(exc, json.JSONDecodeError) else str(exc)
            message = f"{path}:{number}: {why}"
            if problems is None:
                raise FramingError(message) from None
            problems.append(message)
            continue
        yield number, record


def check_output(path: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """Return ``path`` if it can be written without harming ``inputs``; else raise :class:`FramingError`.

    Called before any work, so a bad output path fails in a second, not after
    an hour of work. Refused: a folder; one of ``inputs`` (writing would
    destroy it); a file inside an input folder (the next run would read it as
    input); a path whose folder cannot be created or written.
    """
    path = Path(path)
    if path.is_dir():
        raise FramingError(f"{path}: is a folder; give the output a file name.")
    target = path.resolve()
    for source in map(Path, inputs):
        if target == source.resolve() or (path.exists() and source.exists() and path.samefile(source)):
            raise FramingError(
                f"{path}: the output is also an input, and writing it would destroy the input. "
                "Choose another output file."
            )
        if source.is_dir() and target.is_relative_to(source.resolve()):
            raise FramingError(
                f"{path}: the output is inside the input folder {source}, so the next run would read it "
                "as input. Write it outside that folder."
            )
    folder = target.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise FramingError(f"{path}: cannot create its folder, because {folder} is a file.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FramingError(f"{path}: cannot write in {folder} (permission denied).")
    return path


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a unique temporary file beside ``path``; on success fsync it and rename it to ``path``.

    The file keeps the permissions ``path`` had (a new one gets the usual ones).
    On any exception (Ctrl-C included) the temporary file is removed and ``path``
    is left exactly as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(descriptor, _mode_for(path))
        with os.fdopen(descriptor, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        fsync_directory(path.parent)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The permissions ``path`` has, or a new file would get (mkstemp's own are owner-only)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def append_lines(path: str | Path, lines: str) -> None:
    """Append ``lines`` to ``path`` and fsync (the folder too when the file is new) before returning."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    with path.open("a", encoding="utf-8") as stream:
        stream.write(lines)
        stream.flush()
        os.fsync(stream.fileno())
    if created:
        fsync_directory(path.parent)


def repair_tail(path: Path) -> None:
    """End ``path`` with a newline, so a line cut short by a crash stays one damaged line.

    Without it, the next appended line would be glued to the damaged one and lost with it.
    """
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as stream:
        stream.seek(-1, os.SEEK_END)
        if stream.read(1) != b"\n":
            stream.write(b"\n")
            stream.flush()
            os.fsync(stream.fileno())


def is_locked(path: Path) -> bool:
    """Whether another process holds :func:`exclusive` on ``path``."""
    if not path.exists():
        return False
    with path.open("a", encoding="utf-8") as stream:
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
        return False


def hold_exclusive(path: Path, busy_message: str, error: type[FramingError] = FramingError) -> IO[str]:
    """Lock ``path`` exclusively and return the open file that holds the lock until it is closed.

    Raises ``error(busy_message)`` if another process (or another open file) holds it.
    Closing the file, or its garbage collection, releases the lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("a", encoding="utf-8")
    try:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        stream.close()
        raise error(busy_message) from None
    return stream


@contextmanager
def exclusive(path: Path, busy_message: str, error: type[FramingError] = FramingError) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; raise ``error(busy_message)`` if another process holds it."""
    with hold_exclusive(path, busy_message, error):
        yield


@contextmanager
def output_lock(
    path: str | Path, busy_message: str, error: type[FramingError] = FramingError
) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``path`` for one writer; raise ``error(busy_message)`` for a second.

    For outputs replaced by renaming (:func:`atomic_write`), whose own inode
    cannot carry the lock. The lock file is removed on release; a process that
    locked a lock file just removed by its holder notices and tries again.
    """
    lock = _lock_file(path)
    while True:
        stream = hold_exclusive(lock, busy_message, error)
        try:
            current = os.stat(lock).st_ino == os.fstat(stream.fileno()).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        stream.close()
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
        stream.close()


def being_written(path: str | Path) -> bool:
    """Whether another process holds :func:`output_lock` on ``path`` (read-only access suffices)."""
    try:
        descriptor = os.open(_lock_file(path), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def _lock_file(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.lock")
