"""Saving and loading trained models: ``<name>.joblib`` plus a ``<name>.json`` sidecar.

The sidecar records what a researcher needs to trust a model (labels, codebook
version, training data hash, scores, library versions) and the artefact's
sha256, which is checked before the pickle is loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import joblib
import sklearn
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.pipeline import Pipeline

from framing.codebook import LABELS
from framing.errors import ModelError, no_model_message

LIBRARIES = ("framing", "scikit-learn", "spacy", "spacy-lookups-data", "joblib", "numpy", "datasets")


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


def save_model(pipeline: Pipeline, metadata: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """Write the pipeline and its sidecar (each atomically); return the full metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    joblib.dump(pipeline, temporary, compress=3)
    digest = sha256_of(temporary)
    metadata = {**metadata, "sha256": digest, "libraries": library_versions()}
    metadata.setdefault("model_id", f"framing-{metadata.get('created', 'model')[:19]}-{digest[:8]}")
    metadata["model_id"] = metadata["model_id"].replace(":", "")
    os.replace(temporary, path)
    _write_json_atomically(sidecar_path(path), metadata)
    return metadata


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The sidecar of the model at ``path``."""
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        raise ModelError(f"{sidecar}: metadata file missing. Retrain with `make train`.")
    try:
        return json.loads(sidecar.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{sidecar}: damaged metadata ({exc}). Retrain with `make train`.") from exc


def load_model_file(path: str | Path) -> FramingModel:
    """Load and verify a model; refuse a modified, truncated or incompatible one."""
    path = Path(path)
    if not path.exists():
        raise ModelError(no_model_message(str(path)))
    metadata = read_metadata(path)
    if sha256_of(path) != metadata.get("sha256"):
        raise ModelError(
            f"{path}: sha256 does not match {sidecar_path(path).name}; the file was modified or "
            "truncated. Refusing to load it. Retrain with `make train`."
        )
    if tuple(metadata.get("labels", ())) != LABELS:
        raise ModelError(
            f"{path}: trained for labels {metadata.get('labels')}, but this version of framing "
            f"uses {list(LABELS)}. Retrain with `make train`."
        )
    saved = metadata.get("libraries", {}).get("scikit-learn", "")
    if _minor(saved) != _minor(sklearn.__version__):
        raise ModelError(
            f"{path}: saved with scikit-learn {saved}, but {sklearn.__version__} is installed. "
            "Retrain with `make train`, or install the version it was saved with."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        try:
            pipeline = joblib.load(path)
        except InconsistentVersionWarning as exc:
            raise ModelError(f"{path}: {exc}. Retrain with `make train`.") from exc
        except Exception as exc:  # a damaged pickle raises many different types
            raise ModelError(f"{path}: cannot be loaded ({exc}). Retrain with `make train`.") from exc
    return FramingModel(pipeline, metadata, path)


def _minor(version_text: str) -> str:
    return ".".join(version_text.split(".")[:2])
