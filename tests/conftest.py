"""Shared fixtures: tiny labelled data, a model trained on it once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
RAW = Path(__file__).parents[1] / "data" / "raw"
THREAD_PAGE = RAW / "002_ffb2ef72088eacfb.txt"


@pytest.fixture(scope="session")
def nlp():
    from framing.nlp import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def labels_dir(tmp_path_factory) -> Path:
    """A labels folder whose gold.jsonl holds 48 short labelled sentences in 6 documents."""
    folder = tmp_path_factory.mktemp("labels")
    shutil.copy(FIXTURES / "labels.jsonl", folder / "gold.jsonl")
    return folder


@pytest.fixture(scope="session")
def model_path(labels_dir, tmp_path_factory) -> Path:
    from framing.train import train

    path = tmp_path_factory.mktemp("models") / "framing.joblib"
    train(labels_dir, path, units_path=None)
    return path


@pytest.fixture
def model_copy(model_path, tmp_path) -> Path:
    """A private copy of the trained model and its sidecar, safe to damage."""
    for suffix in (".joblib", ".json"):
        shutil.copy(model_path.with_suffix(suffix), tmp_path / f"framing{suffix}")
    return tmp_path / "framing.joblib"
