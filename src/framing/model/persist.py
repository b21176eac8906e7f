"""Saving and loading trained models: ``<name>.joblib`` plus a ``<name>.json`` sidecar.

The trust model. A model file is a pickle (written with ``joblib``), and
unpickling runs code, so a model is unpickled only when its bytes carry a
signature made with this machine's key: nobody who can merely write a model
folder (a colleague's share, a download, ``./models/`` of whatever folder you
stand in) can make framing run their code.

- The key is 32 random bytes in ``$FRAMING_KEY_FILE``, else
  ``~/.config/framing/model.key``: outside the model folder, owner-only
  (0600), created on the first save. A key in the model's own folder is refused.
- The sidecar is JSON: labels, codebook version, training-data hash, scores,
  library versions, the sha256 of the model file and ``hmac``, the
  HMAC-SHA256 of those bytes under the key. Loading reads the bytes once and
  checks both against them before unpickling those very bytes.
- A model signed elsewhere (or not at all) is refused until it is accepted
  explicitly with ``framing trust MODEL`` (:func:`trust_model_file`), which
  signs it with the local key without loading it.
- A pipeline may only name the default spaCy pipeline or one installed as a
  Python package; a pipeline given as a folder path is refused. Likewise
  sentence embeddings may only name all-MiniLM-L6-v2 from its package: a
  sentence-transformers folder names the classes to import. A static
  (model2vec) embedding model holds only arrays and tokenizer JSON: a fitted
  one carries them in the model file; one saved before it did names its
  folder, which is allowed.
- ``framing info`` reads only the sidecar and hashes the model file; it never
  unpickles the model.

Publishing. A writer holds :func:`framing.files.output_lock` for the whole
training run (a second writer of the same model stops at once with a clear
message), writes both files to unique temporary names and renames the model
and then the sidecar into place. A reader checks the model bytes it read
against the sidecar it read; if they differ while a writer holds the lock,
it reads both again, so the instant between the two renames never yields a
mismatched pair, nor a false alarm.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import sklearn
from sklearn.pipeline import Pipeline

from framing.codebook import LABELS
from framing.errors import ModelError, no_model_message
from framing.files import atomic_write, being_written, check_output, output_lock

LIBRARIES = (
    "framing",
    "scikit-learn",
    "spacy",
    "spacy-lookups-data",
    "joblib",
    "numpy",
    "datasets",
    "tokenizers",
)

KEY_ENV = "FRAMING_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/framing/model.key")
KEY_BYTES = 32

REQUIRED_METADATA: dict[str, type] = {
    "model_id": str,
    "sha256": str,
    "labels": list,
    "libraries": dict,
    "spacy_model": str,
    "units_per_label": dict,
    "cv": dict,
}
"""Sidecar fields every command relies on, with their JSON types (loading also needs ``hmac``)."""

READ_ATTEMPTS = 100
"""How often a reader reads again a model and sidecar that differ while a writer is at work (50 ms apart)."""


@dataclass
class FramingModel:
    """A fitted pipeline with its metadata and the file it came from."""

    pipeline: Pipeline
    metadata: dict[str, Any]
    path: Path | None = None


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a model depends on."""
    return {name: version(name) for name in LIBRARIES}


def sidecar_path(model_path: str | Path) -> Path:
    """``models/framing.joblib`` -> ``models/framing.json``."""
    return Path(model_path).with_suffix(".json")


def key_path() -> Path:
    """The signing key: ``$FRAMING_KEY_FILE``, else ``~/.config/framing/model.key``."""
    return Path(os.environ.get(KEY_ENV) or DEFAULT_KEY_FILE).expanduser()


def signing_key(model_path: str | Path, create: bool = False) -> bytes | None:
    """The key of this machine (made on first use when ``create``), or None when there is none yet.

    A key in the model's own folder is refused: whoever can write the model
    could then replace the key too.
    """
    path = key_path()
    if path.resolve().parent == Path(model_path).resolve().parent:
        raise ModelError(
            f"{path}: the model key lies in the model's own folder, so whoever can write the model can "
            f"replace the key. Keep it elsewhere (unset {KEY_ENV}, or point it outside that folder)."
        )
    try:
        if create and not path.exists():
            _create_key(path)
        key = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ModelError(
            f"{path}: cannot use the model key ({exc}). Set {KEY_ENV} to a usable file."
        ) from exc
    if len(key) < KEY_BYTES:
        raise ModelError(
            f"{path}: the model key is damaged (fewer than {KEY_BYTES} bytes). Delete it and retrain with "
            "`make train` (a new key is made on save); models signed with it must be trusted again."
        )
    return key


def _create_key(path: Path) -> None:
    """Write 32 random bytes to ``path``, owner-only; a key another process made first is kept."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:  # mkstemp makes it owner-only (0600)
            stream.write(secrets.token_bytes(KEY_BYTES))
            stream.flush()
            os.fsync(stream.fileno())
        os.link(temporary, path)  # whole or not at all, and never over another process's new key
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def signature(key: bytes, data: bytes) -> str:
    """Hex HMAC-SHA256 of ``data`` under ``key``."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


@contextmanager
def model_output(path: str | Path) -> Iterator[Path]:
    """Check that a model can be written to ``path`` and hold it for this writer until the block ends.

    Enter it before training: an unwritable folder, an unusable key, or
    another process writing the same model stops the run before any work.
    """
    path = check_output(path)
    check_output(sidecar_path(path))
    signing_key(path, create=True)
    with output_lock(
        path,
        f"{path} is being written by another `framing train`; wait for it to finish, "
        "or write this model elsewhere with --output.",
        ModelError,
    ):
        yield path


def save_model(pipeline: Pipeline, metadata: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """Write the pipeline (joblib) and its signed sidecar, model first; return the full metadata.

    A pipeline that cannot predict every label is refused and ``path`` left as it was.
    """
    import joblib

    path = Path(path)
    classes = [str(label) for label in getattr(pipeline, "classes_", [])]
    missing = [label for label in LABELS if label not in classes]
    if missing:
        raise ModelError(
            f"The trained model cannot predict {', '.join(missing)} (no training units with "
            f"{'that label' if len(missing) == 1 else 'those labels'}); {path} was left unchanged."
        )
    key = signing_key(path, create=True)
    if key is None:
        raise ModelError(f"{key_path()}: the model key vanished while saving; train again.")
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    metadata = {**metadata, "sha256": digest, "hmac": signature(key, data), "libraries": library_versions()}
    metadata.setdefault("model_id", f"framing-{metadata.get('created', 'model')[:19]}-{digest[:8]}")
    metadata["model_id"] = metadata["model_id"].replace(":", "")
    with atomic_write(sidecar_path(path)) as sidecar, atomic_write(path, "wb") as model:
        sidecar.write(_dump(metadata))
        model.write(data)
    return metadata


def _dump(metadata: dict[str, Any]) -> str:
    return json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The sidecar of the model at ``path``, checked to hold the fields every command uses."""
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        raise ModelError(f"{sidecar}: metadata file missing. Retrain with `make train`.")
    try:
        metadata = json.loads(sidecar.read_bytes().decode("utf-8"))
    except (ValueError, OSError) as exc:
        raise ModelError(f"{sidecar}: damaged metadata ({exc}). Retrain with `make train`.") from None
    if not isinstance(metadata, dict):
        raise ModelError(f"{sidecar}: damaged metadata (not a JSON object). Retrain with `make train`.")
    wrong = [name for name, kind in REQUIRED_METADATA.items() if not isinstance(metadata.get(name), kind)]
    if wrong:
        raise ModelError(
            f"{sidecar}: damaged metadata (missing or invalid: {', '.join(wrong)}). "
            "Retrain with `make train`."
        )
    return metadata


def check_metadata(metadata: dict[str, Any], path: Path) -> None:
    """Refuse a model for other labels, from another scikit-learn, or naming an unsafe spaCy pipeline."""
    if tuple(metadata["labels"]) != LABELS:
        raise ModelError(
            f"{path}: trained for labels {metadata['labels']}, but this version of framing "
            f"uses {list(LABELS)}. Retrain with `make train`."
        )
    saved = str(metadata["libraries"].get("scikit-learn", ""))
    if _minor(saved) != _minor(sklearn.__version__):
        raise ModelError(
            f"{path}: saved with scikit-learn {saved}, but {sklearn.__version__} is installed. "
            "Retrain with `make train`, or install the version it was saved with."
        )
    check_spacy_name(metadata["spacy_model"], path)


def check_spacy_name(name: object, path: Path) -> None:
    """Allow only the default spaCy pipeline or an installed package: a folder could hold anything."""
    import spacy.util

    from framing.model.nlp import DEFAULT_PIPELINE

    if name != DEFAULT_PIPELINE and not (isinstance(name, str) and spacy.util.is_package(name)):
        raise ModelError(
            f"{path}: names the spaCy pipeline {name!r}, which is neither {DEFAULT_PIPELINE!r} nor an "
            "installed package. Install that pipeline as a package, or retrain with `make train`."
        )


def verify_model_file(path: str | Path) -> tuple[dict[str, Any], str | None]:
    """Check a model without loading it: sidecar fields, labels, versions, sha256 and signature.

    Returns the metadata and why loading would refuse the file (None when it
    would not). What ``framing info`` shows; nothing in the model file is unpickled.
    """
    path = Path(path)
    metadata, data = _read_pair(path)
    return metadata, _signature_problem(path, metadata, data)


def trust_model_file(path: str | Path, sha256: str | None = None) -> dict[str, Any]:
    """Sign a model with this machine's key, so that it loads; return its metadata.

    Nothing is unpickled here, but the next load runs whatever code the file
    holds: accept only files you made, or got from someone you trust. The
    sidecar must describe the file, and when ``sha256`` is given (the hash a
    user was shown) the file must still be that one.
    """
    path = Path(path)
    with output_lock(
        path, f"{path} is being written by `framing train`; wait for it to finish, then trust it.", ModelError
    ):
        metadata, data = _read_pair(path, wait_for_writer=False)  # this process is the writer now
        if sha256 is not None and metadata["sha256"] != sha256:
            raise ModelError(f"{path}: changed while it was being trusted; run `framing trust` again.")
        key = signing_key(path, create=True)
        if key is None:
            raise ModelError(f"{key_path()}: the model key vanished; run `framing trust` again.")
        metadata = {**metadata, "hmac": signature(key, data)}
        with atomic_write(sidecar_path(path)) as sidecar:
            sidecar.write(_dump(metadata))
    return metadata


def load_model_file(path: str | Path) -> FramingModel:
    """Load and verify a model; refuse a modified, unsigned, incompatible or unsafe one before unpickling."""
    import joblib

    path = Path(path)
    metadata, data = _read_pair(path)
    problem = _signature_problem(path, metadata, data)
    if problem:
        raise ModelError(problem)
    try:
        pipeline = joblib.load(io.BytesIO(data))  # the very bytes whose signature was checked
    except Exception as exc:  # a damaged file raises many different types
        raise ModelError(f"{path}: cannot be loaded ({exc}). Retrain with `make train`.") from None
    if not isinstance(pipeline, Pipeline):
        raise ModelError(f"{path}: not a framing model (it holds a {type(pipeline).__name__}).")
    from framing.model.embeddings import MINILM, SentenceEmbedding

    for name, value in pipeline.get_params().items():
        if name.endswith("spacy_model"):
            check_spacy_name(value, path)
        if isinstance(value, SentenceEmbedding) and value.model != MINILM:
            raise ModelError(
                f"{path}: names the sentence-transformers model {value.model!r}; only {MINILM!r} from its "
                "package is loaded. Retrain with `framing train --features`."
            )
    return FramingModel(pipeline, metadata, path)


def _signature_problem(path: Path, metadata: dict[str, Any], data: bytes) -> str | None:
    """Why ``data`` may not be unpickled (no key, no signature, another key's), or None when it may."""
    key = signing_key(path)
    signed = metadata.get("hmac")
    if key is not None and isinstance(signed, str) and hmac.compare_digest(signature(key, data), signed):
        return None
    if key is None:
        why = f"this machine has no model key yet ({key_path()}), so no model is signed"
    elif not isinstance(signed, str):
        why = f"{sidecar_path(path).name} holds no signature"
    else:
        why = "it was signed with another key (trained on another machine or user), or modified since"
    return (
        f"{path}: not signed with this machine's model key: {why}. Refusing to load it, because loading "
        "a model file (a pickle) runs code from it. If you trained it yourself or got it from someone "
        f"you trust, accept it with `framing trust {path}`; otherwise retrain with `make train`."
    )


def _read_pair(path: Path, wait_for_writer: bool = True) -> tuple[dict[str, Any], bytes]:
    """The sidecar and the model bytes it describes, read as a matching pair."""
    if not path.is_file():
        raise ModelError(no_model_message(str(path)))
    for _ in range(READ_ATTEMPTS):
        metadata = read_metadata(path)
        data = path.read_bytes()
        matches = hashlib.sha256(data).hexdigest() == metadata["sha256"]
        if matches or not wait_for_writer or not being_written(path):
            break
        time.sleep(0.05)  # a writer between renaming the model and its sidecar
    if not matches:
        raise ModelError(
            f"{path}: sha256 does not match {sidecar_path(path).name}; the file was modified or "
            "truncated. Refusing to load it. Retrain with `make train`."
        )
    check_metadata(metadata, path)
    return metadata, data


def _minor(version_text: str) -> str:
    return ".".join(version_text.split(".")[:2])
