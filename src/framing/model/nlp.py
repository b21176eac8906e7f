"""The spaCy stage: one place builds the ``Language``; a transformer exposes it to scikit-learn."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import ClassVar

import numpy as np
import spacy
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from spacy.attrs import IS_SPACE, LOWER
from spacy.language import Language
from spacy.tokens import Doc

from framing.errors import FramingError

DEFAULT_PIPELINE = "blank:en"
"""Blank English with a rule-based sentencizer and the lookup lemmatizer."""

MAX_NEW_STRINGS = 200_000
"""New strings a cached pipeline may learn before :func:`load_nlp` builds a fresh one.

spaCy's StringStore, lexemes and tokenizer cache gain entries for every word
never seen before and never shrink, so on a large corpus memory would grow
with its vocabulary. A fresh pipeline drops them; results do not change,
because spaCy's string hashes do not depend on the store
(``benchmarks/vocabulary_memory.py`` measures the bound)."""

# Components of trained pipelines that the feature transformer does not need.
_UNNEEDED_FOR_FEATURES = ("parser", "ner", "senter", "sentencizer", "textcat")


def load_nlp(spacy_model: str = DEFAULT_PIPELINE) -> Language:
    """Build (once per process) the spaCy pipeline named ``spacy_model``.

    ``"blank:en"`` gives ``spacy.blank("en")`` plus a sentencizer and the lookup
    lemmatizer from ``spacy-lookups-data``; any other name is loaded with
    ``spacy.load`` (e.g. an installed ``en_core_web_sm``).

    >>> nlp = load_nlp()
    >>> [sent.text for sent in nlp("Budgets were cut. Staff left.").sents]
    ['Budgets were cut.', 'Staff left.']
    """
    nlp = _build_nlp(spacy_model)
    if len(nlp.vocab.strings) > _fresh_sizes.get(spacy_model, 0) + MAX_NEW_STRINGS:
        _build_nlp.cache_clear()  # whoever still uses the old pipeline keeps it until done
        nlp = _build_nlp(spacy_model)
    return nlp


_fresh_sizes: dict[str, int] = {}
"""Number of strings of each pipeline when it was built."""


@lru_cache(maxsize=4)
def _build_nlp(spacy_model: str) -> Language:
    nlp = _new_nlp(spacy_model)
    _fresh_sizes[spacy_model] = len(nlp.vocab.strings)
    return nlp


def _new_nlp(spacy_model: str) -> Language:
    if spacy_model == DEFAULT_PIPELINE:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        return nlp
    try:
        nlp = spacy.load(spacy_model)
    except OSError as exc:
        raise FramingError(
            f"Cannot load spaCy pipeline {spacy_model!r}: {exc}. Install it, or use "
            f"the default {DEFAULT_PIPELINE!r}."
        ) from exc
    if not nlp.has_pipe("parser") and not nlp.has_pipe("senter") and not nlp.has_pipe("sentencizer"):
        nlp.add_pipe("sentencizer")
    return nlp


def _lookup_lemmatizer(nlp: Language) -> Callable[[int], str]:
    """A memoised lower-case-form hash -> lemma function from ``nlp``'s lookup table.

    Made afresh for each batch, so the memo is bounded by the batch's vocabulary.
    """
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    strings = nlp.vocab.strings
    memo: dict[int, str] = {}

    def lemma(lower: int) -> str:
        found = memo.get(lower)
        if found is None:
            word = strings[lower]
            found = memo[lower] = table.get(word, word)
        return found

    return lemma


def _word_forms(doc: Doc) -> list[int]:
    """Hashes of the lower-case forms of a doc's non-space tokens."""
    forms = doc.to_array([LOWER, IS_SPACE])
    return forms[forms[:, 1] == 0, 0].tolist()


class TextTransformerMixin(TransformerMixin):
    """scikit-learn tags of a transformer whose input is a sequence of strings."""

    requires_fit: ClassVar[bool] = True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = self.requires_fit
        return tags


class SpacyLemmatizer(TextTransformerMixin, BaseEstimator):
    """Turn raw texts into lower-cased lemma strings with spaCy, for vectorizers.

    Stores only the pipeline's name, so it pickles small and rebuilds the
    ``Language`` lazily (and once per process) after loading.

    Parameters
    ----------
    spacy_model : str
        Pipeline name, see :func:`load_nlp`.
    batch_size : int
        Texts per ``nlp.pipe`` batch.

    >>> SpacyLemmatizer().fit([]).transform(["Social workers were blamed"])
    ['social worker be blame']
    >>> SpacyLemmatizer().fit([]).transform(["Budgets were cut"])
    ['budget be cut']

    """

    def __init__(self, spacy_model: str = DEFAULT_PIPELINE, batch_size: int = 1000) -> None:
        self.spacy_model = spacy_model
        self.batch_size = batch_size

    def fit(self, X: Iterable[str], y: object = None) -> SpacyLemmatizer:  # noqa: N803
        """Check that the pipeline loads; no parameters are learned."""
        load_nlp(self.spacy_model)
        self.n_features_in_ = 1
        self.is_fitted_ = True
        return self

    def transform(self, X: Iterable[str]) -> list[str]:  # noqa: N803
        """Return one space-joined string of lower-case lemmas per text."""
        check_is_fitted(self)
        nlp = load_nlp(self.spacy_model)
        texts = (str(text) for text in X)
        if self.spacy_model == DEFAULT_PIPELINE:
            # The lookup lemmatizer is a table look-up: memoised here, it costs
            # far less than running the component token by token.
            lemma = _lookup_lemmatizer(nlp)
            docs = nlp.tokenizer.pipe(texts, batch_size=self.batch_size)
            return [" ".join(map(lemma, _word_forms(doc))) for doc in docs]
        disable = [name for name in _UNNEEDED_FOR_FEATURES if nlp.has_pipe(name)]
        docs = nlp.pipe(texts, batch_size=self.batch_size, disable=disable)
        return [" ".join(tok.lemma_.lower() for tok in doc if not tok.is_space) for doc in docs]

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """The one text column it outputs, ``lemmas`` (lets a pipeline that starts here name its features)."""
        return np.array(["lemmas"], dtype=object)
