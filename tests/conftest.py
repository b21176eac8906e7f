"""Shared fixtures: tiny labelled data, a model trained on it once per session."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from framing.report.write import write_reports

FIXTURES = Path(__file__).parent / "fixtures"
RAW = Path(__file__).parents[1] / "data" / "raw"
THREAD_PAGE = RAW / "002_ffb2ef72088eacfb.txt"


@pytest.fixture(scope="session", autouse=True)
def model_key(tmp_path_factory) -> Path:
    """A model key for the whole session, so that no test reads or makes the real one in the home folder."""
    from framing.model.persist import KEY_ENV

    path = tmp_path_factory.mktemp("key") / "model.key"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, str(path))
        yield path


@pytest.fixture(scope="session")
def nlp():
    from framing.model.nlp import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def labels_dir(tmp_path_factory) -> Path:
    """A labels folder whose gold.jsonl holds 48 short labelled sentences in 6 documents."""
    folder = tmp_path_factory.mktemp("labels")
    shutil.copy(FIXTURES / "labels.jsonl", folder / "gold.jsonl")
    return folder


@pytest.fixture(scope="session")
def model_path(labels_dir, tmp_path_factory) -> Path:
    from framing.model.train import train

    path = tmp_path_factory.mktemp("models") / "framing.joblib"
    train(labels_dir, path, units_path=None)
    return path


@pytest.fixture
def model_copy(model_path, tmp_path) -> Path:
    """A private copy of the trained model and its sidecar, safe to damage."""
    for suffix in (".joblib", ".json"):
        shutil.copy(model_path.with_suffix(suffix), tmp_path / f"framing{suffix}")
    return tmp_path / "framing.joblib"


TINY_VOCABULARY = [
    *("[UNK]", "the", "a", "council", "failed", "child", "budgets", "budget", "were", "was", "cut"),
    *("cuts", "she", "he", "should", "be", "sacked", "rain", "social", "worker", "staff", "system"),
    *("caseloads", ".", ",", "'"),
]


def _tiny_tokenizer():
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.normalizers import Lowercase
    from tokenizers.pre_tokenizers import Whitespace

    tokenizer = Tokenizer(WordLevel({w: i for i, w in enumerate(TINY_VOCABULARY)}, unk_token="[UNK]"))
    tokenizer.normalizer = Lowercase()
    tokenizer.pre_tokenizer = Whitespace()
    return tokenizer


def _tiny_vectors(dimensions: int = 8):
    import numpy as np

    return np.random.default_rng(0).normal(size=(len(TINY_VOCABULARY), dimensions)).astype(np.float32)


@pytest.fixture(scope="session")
def tiny_static_model(tmp_path_factory) -> Path:
    """A model2vec static model with 8 dimensions over a few words, built here (no download)."""
    model2vec = pytest.importorskip(
        "model2vec", reason="static embeddings need model2vec, a base dependency: pip install -e ."
    )
    folder = tmp_path_factory.mktemp("static") / "static-minilm"
    model2vec.StaticModel(
        vectors=_tiny_vectors(), tokenizer=_tiny_tokenizer(), normalize=True
    ).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_sentence_model(tmp_path_factory) -> Path:
    """A sentence-transformers model (a static embedding bag over a few words), built here (no download)."""
    pytest.importorskip(
        "sentence_transformers", reason="sentence embeddings need the extra: pip install -e '.[embeddings]'"
    )
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    folder = tmp_path_factory.mktemp("sentence") / "tiny"
    module = StaticEmbedding(_tiny_tokenizer(), embedding_weights=_tiny_vectors())
    SentenceTransformer(modules=[module], device="cpu").save(str(folder))
    return folder


@pytest.fixture(scope="session")
def evaluation(labels_dir, model_path, tmp_path_factory):
    """`evaluate` on the fixture labels plus a small external test file, with light settings.

    The test file holds a unit whose text is markup, to check that reports escape it.
    """
    from framing.experiment import evaluate as module
    from framing.model import pipeline as model

    test_file = tmp_path_factory.mktemp("external") / "test.jsonl"
    rows = [
        ("Budgets were cut again and caseloads soared.", "resource", "t1"),
        ("The council's procedures failed the child.", "systemic-failure", "t1"),
        ("<script>alert('x')</script> | **The manager** was to blame.", "individual-blame", "t2"),
        ("The hearing resumes on Monday.", "none", "t2"),
        ("Staffing shortages left the team overstretched.", "resource", "t3"),
        ("The weather was mild.", "none", "t3"),
    ]
    test_file.write_text(
        "".join(json.dumps({"text": t, "label": y, "doc_id": d}) + "\n" for t, y, d in rows), encoding="utf-8"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model, "param_grid", lambda features="ngrams": {"classifier__estimator__C": [1.0]})
        metrics = module.evaluate(
            labels_dir, None, model_path=model_path, test_path=test_file, n_resamples=200, curve_seeds=1
        )
    return SimpleNamespace(
        metrics=metrics,
        files=write_reports(metrics, tmp_path_factory.mktemp("reports") / metrics["model_id"]),
    )


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright; skipped where it is missing, except in CI."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium (.ci/run does).")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
