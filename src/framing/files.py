"""Safe file handling shared by every step: JSON Lines reading, atomic writes, durable appends, locks.

- :func:`iter_jsonl` is the one JSON Lines reader: each object with its line
  number, a damaged line either reported or collected, never silently dropped.
- :func:`atomic_write` writes to a unique temporary file beside the target and
  renames it into place only on success, so a crash, Ctrl-C or a concurrent
  writer never leaves a half-written or emptied file behind.
- :func:`append_lines` appends and fsyncs before returning (labels files).
- :func:`exclusive` holds an advisory lock so one process at a time writes a file.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from framing.errors import FramingError


def iter_jsonl(
    path: str | Path, problems: list[str] | None = None, encoding_errors: str = "strict"
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each JSON object line of ``path``, streamed; blank lines skipped.

    A line that is not a JSON object raises :class:`FramingError` naming the
    file and line, or, when ``problems`` is a list, is appended to it as
    ``file:line: why`` and skipped. A byte-order mark at the start is ignored.
    """
    path = Path(path)
    with path.open(encoding="utf-8-sig", errors=encoding_errors) as stream:
        number = 0
        while True:
            try:
                line = stream.readline()
            except UnicodeDecodeError as exc:
                raise FramingError(
                    f"{path}:{number + 1}: not UTF-8 (byte {exc.object[exc.start]:#04x}). "
                    "Re-save the file as UTF-8."
                ) from None
            if not line:
                return
            number += 1
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

    On any exception (Ctrl-C included) the temporary file is removed and ``path``
    is left exactly as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        fsync_directory(path.parent)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
