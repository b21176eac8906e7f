r"""TF-IDF n-gram features of lemma text, with a fast ``transform`` for prediction.

:class:`LemmaTfidfVectorizer` is scikit-learn's ``TfidfVectorizer`` (same
parameters, same ``fit``, same vocabulary and weights). Its ``transform``
computes the identical matrix faster for the two analyzers the model uses on
white-space-joined lemmas: word n-grams (``token_pattern=r"\S+"``) and
``char_wb`` n-grams. Each distinct word's columns are looked up once and
cached, so per-text work is a few dictionary look-ups instead of a Python loop
over every n-gram. Other settings fall back to scikit-learn's own code.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, pairwise

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

WORD_TOKENS = r"\S+"
MAX_CACHED_WORDS = 500_000


class _ColumnCache(dict):
    """word -> its feature columns, computed on first use."""

    def __init__(self, analyzer, vocabulary: dict[str, int]) -> None:
        super().__init__()
        self.analyzer = analyzer
        self.vocabulary = vocabulary

    def __missing__(self, word: str) -> list[int]:
        if len(self) >= MAX_CACHED_WORDS:
            self.clear()
        get = self.vocabulary.get
        columns = [c for c in map(get, self.analyzer(word)) if c is not None]
        self[word] = columns
        return columns


class LemmaTfidfVectorizer(TfidfVectorizer):
    """``TfidfVectorizer`` whose ``transform`` is fast on white-space tokenised lemma text."""

    def _fast_path(self) -> str | None:
        plain = self.preprocessor is None and self.stop_words is None and self.strip_accents is None
        if not plain or self.tokenizer is not None or callable(self.analyzer):
            return None
        if self.analyzer == "char_wb":
            return "chars"
        if self.analyzer == "word" and self.token_pattern == WORD_TOKENS and not self.lowercase:
            return "words" if tuple(self.ngram_range) in {(1, 1), (1, 2)} else None
        return None

    def transform(self, raw_documents: Iterable[str]) -> sp.csr_matrix:
        """TF-IDF matrix of ``raw_documents``, identical to ``TfidfVectorizer.transform``."""
        check_is_fitted(self, msg="The TF-IDF vectorizer is not fitted")
        path = self._fast_path()
        if path is None:
            return super().transform(raw_documents)
        if path == "chars":
            counts = self._char_counts(raw_documents)
        else:
            counts = count_matrix(self._word_rows(raw_documents), len(self.vocabulary_))
        return self._tfidf.transform(counts, copy=False)

    def _char_counts(self, documents: Iterable[str]) -> sp.csr_matrix:
        """Character n-gram counts as (documents x words) @ (words x n-grams).

        The n-grams of each distinct word are computed once; the product runs
        in compiled code.
        """
        cache = self.__dict__.get("_column_cache")
        if cache is None or cache.vocabulary is not self.vocabulary_:
            cache = self.__dict__["_column_cache"] = _ColumnCache(self.build_analyzer(), self.vocabulary_)
        words: dict[str, int] = {}
        index = words.setdefault
        rows = [
            [index(word, len(words)) for word in (d.lower() if self.lowercase else d).split()]
            for d in documents
        ]
        by_word = count_matrix(rows, len(words))
        word_columns = count_matrix(map(cache.__getitem__, words), len(self.vocabulary_))
        return (by_word @ word_columns).tocsr()

    def _word_rows(self, documents: Iterable[str]) -> Iterable[list[int]]:
        return ngram_columns(documents, self.vocabulary_, bigrams=self.ngram_range[1] == 2)

    def __getstate__(self) -> dict:
        """Pickle without the per-process word cache."""
        state = super().__getstate__()
        state.pop("_column_cache", None)
        return state


def ngram_columns(
    documents: Iterable[str], vocabulary: dict[str, int], bigrams: bool = True
) -> Iterable[list[int]]:
    """Per document, the columns of its white-space tokens (and bigrams) found in ``vocabulary``."""
    get = vocabulary.get
    for document in documents:
        tokens = document.split()
        grams = chain(tokens, map(" ".join, pairwise(tokens))) if bigrams else tokens
        yield [c for c in map(get, grams) if c is not None]


def count_matrix(rows: Iterable[list[int]], n_features: int) -> sp.csr_matrix:
    """CSR count matrix from per-document column lists (repeats are summed)."""
    indptr = [0]
    indices: list[int] = []
    for columns in rows:
        indices.extend(columns)
        indptr.append(len(indices))
    matrix = sp.csr_matrix(
        (np.ones(len(indices), dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr)),
        shape=(len(indptr) - 1, n_features),
    )
    matrix.sum_duplicates()
    return matrix
