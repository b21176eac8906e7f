"""Saving and loading trained models: ``<name>.skops`` plus a ``<name>.json`` sidecar.

The trust model. A model folder is data, not code: loading a model never runs
code from it, so a model from a colleague or from ``./models/`` of whatever
folder you stand in can at worst be refused or predict badly.

- The pipeline is stored with ``skops.io``, which rebuilds objects from a
  declarative description instead of unpickling them; it builds only
  scikit-learn and NumPy types and the few types named in
  :data:`TRUSTED_TYPES`, and refuses a file naming any other type or function.
- A pipeline may only name the default spaCy pipeline or one installed as a
  Python package (installed code is trusted as any installed library is); a
  pipeline given as a folder path is refused. Likewise sentence embeddings
  may only name all-MiniLM-L6-v2 from its package: a sentence-transformers
  folder names the classes to import. A static (model2vec) embedding folder
  holds only arrays and JSON, so its path is allowed.
- Pickle (``joblib``) model files are refused, never opened.
- The sidecar is JSON: labels, codebook version, training-data hash, scores,
  library versions, and the sha256 of the model file, checked against the
  very bytes that are then loaded. ``framing info`` reads only the sidecar
  and hashes the model file; it never loads the model.

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
import json
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

LIBRARIES = ("framing", "scikit-learn", "spacy", "spacy-lookups-data", "skops", "numpy", "datasets")

TRUSTED_TYPES = (
    "framing.model.calibration.GroupedTemperatureScaling",
    "framing.model.embeddings.SentenceEmbedding",
    "framing.model.embeddings.StaticEmbedding",
    "framing.model.features.LemmaTfidfVectorizer",
    "framing.model.lexicon.LexiconCues",
    "framing.model.nlp.SpacyLemmatizer",
)
"""The types, beyond those skops trusts by default (scikit-learn estimators,
NumPy and SciPy data), that a model file may contain. A new pipeline step of
framing's own must be added here, or its models will be refused."""

REQUIRED_METADATA: dict[str, type] = {
    "model_id": str,
    "sha256": str,
    "labels": list,
    "libraries": dict,
    "spacy_model": str,
    "units_per_label": dict,
    "cv": dict,
}
"""Sidecar fields every command relies on, with their JSON types."""

ZIP_MAGIC = b"PK\x03\x04"
"""How a skops file (a zip archive) starts."""

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
    """``models/framing.skops`` -> ``models/framing.json``."""
    return Path(model_path).with_suffix(".json")


@contextmanager
def model_output(path: str | Path) -> Iterator[Path]:
    """Check that a model can be written to ``path`` and hold it for this writer until the block ends.

    Enter it before training: an unwritable folder, or another process
    writing the same model, stops the run before any work.
    """
    path = check_output(path)
    check_output(sidecar_path(path))
    with output_lock(
        path,
        f"{path} is being written by another `framing train`; wait for it to finish, "
        "or write this model elsewhere with --output.",
        ModelError,
    ):
        yield path


def save_model(pipeline: Pipeline, metadata: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """Write the pipeline and its sidecar, model first; return the full metadata.

    A pipeline that cannot predict every label is refused and ``path`` left as it was.
    """
    path = Path(path)
    classes = [str(label) for label in getattr(pipeline, "classes_", [])]
    missing = [label for label in LABELS if label not in classes]
    if missing:
        raise ModelError(
            f"The trained model cannot predict {', '.join(missing)} (no training units with "
            f"{'that label' if len(missing) == 1 else 'those labels'}); {path} was left unchanged."
        )
    import skops.io  # imports every scikit-learn estimator: only where a model is saved or loaded

    data = skops.io.dumps(pipeline)
    digest = hashlib.sha256(data).hexdigest()
    metadata = {**metadata, "sha256": digest, "libraries": library_versions()}
    metadata.setdefault("model_id", f"framing-{metadata.get('created', 'model')[:19]}-{digest[:8]}")
    metadata["model_id"] = metadata["model_id"].replace(":", "")
    with atomic_write(sidecar_path(path)) as sidecar, atomic_write(path, "wb") as model:
        sidecar.write(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
        model.write(data)
    return metadata


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


def verify_model_file(path: str | Path) -> dict[str, Any]:
    """Check a model without loading it: sidecar fields, labels, versions, and the file's sha256.

    What ``framing info`` shows; nothing in the model file is deserialised.
    """
    path = Path(path)
    metadata, _ = _read_pair(path)
    return metadata


def load_model_file(path: str | Path) -> FramingModel:
    """Load and verify a model; refuse a modified, truncated, incompatible or unsafe one."""
    import skops.io  # imports every scikit-learn estimator: only where a model is saved or loaded

    path = Path(path)
    metadata, data = _read_pair(path)
    try:
        pipeline = skops.io.loads(data, trusted=list(TRUSTED_TYPES))
    except skops.io.exceptions.UntrustedTypesFoundException as exc:
        raise ModelError(
            f"{path}: holds types framing does not trust ({exc}); refusing to load it. "
            "Retrain with `make train`."
        ) from None
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


def _read_pair(path: Path) -> tuple[dict[str, Any], bytes]:
    """The sidecar and the model bytes it describes, read as a matching pair."""
    if not path.is_file():
        raise ModelError(no_model_message(str(path)))
    for _ in range(READ_ATTEMPTS):
        metadata = read_metadata(path)
        data = path.read_bytes()
        matches = hashlib.sha256(data).hexdigest() == metadata["sha256"]
        if matches or not being_written(path):
            break
        time.sleep(0.05)  # a writer between renaming the model and its sidecar
    if not matches:
        raise ModelError(
            f"{path}: sha256 does not match {sidecar_path(path).name}; the file was modified or "
            "truncated. Refusing to load it. Retrain with `make train`."
        )
    if not data.startswith(ZIP_MAGIC):
        raise ModelError(
            f"{path}: not a skops model file. Pickle (joblib) models of earlier versions are no longer "
            "loaded, because loading a pickle can run any code. Retrain with `make train`."
        )
    check_metadata(metadata, path)
    return metadata, data


def _minor(version_text: str) -> str:
    return ".".join(version_text.split(".")[:2])
