"""A small, documented keyword lexicon per frame.

Used twice: as cue features inside the classifier (:class:`LexiconCues`) and as
the keyword baseline in evaluation reports. Entries are lower-case lemmas as
produced by :class:`framing.model.nlp.SpacyLemmatizer`; a two-word entry matches a
lemma bigram. The lists were written from the codebook's definitions, not
tuned on labelled data.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from framing.codebook import LABELS, NONE_LABEL
from framing.model.features import count_matrix, ngram_columns
from framing.model.nlp import TextTransformerMixin

LEXICON: dict[str, frozenset[str]] = {
    "individual-blame": frozenset(
        (
            "blame", "fault", "culpable", "incompetent", "incompetence", "negligent", "negligence",
            "sack", "resign", "resignation", "disgrace", "disgraceful", "excuse", "punish",
            "prosecute", "accountable", "shame", "ability", "competent", "careless", "lazy",
            "misconduct", "murder", "perpetrator", "do job", "their fault",
        )
    ),
    "systemic-failure": frozenset(
        (
            "system", "systemic", "procedure", "process", "policy", "law", "legislation", "target",
            "bureaucracy", "paperwork", "box-ticking", "ics", "computer", "inspection", "ofsted",
            "culture", "reform", "structure", "framework", "agency", "inter-agency", "council",
            "government", "department", "scapegoat", "scapegoating", "witch-hunt", "vilification",
            "vilify", "demonise", "demonising", "media", "headline", "review",
        )
    ),
    "resource": frozenset(
        (
            "budget", "cut", "cuts", "funding", "fund", "underfunded", "money", "cost", "costs",
            "resource", "resources", "staff", "staffing", "understaffed", "vacancy", "vacancies",
            "caseload", "caseloads", "workload", "overworked", "overstretched", "pay", "recruit",
            "recruitment", "retention", "retain", "turnover", "afford", "spend", "saving", "savings",
            "expenditure", "shortage", "investment",
        )
    ),
}  # fmt: skip
"""Frame -> keywords. ``none`` has no keywords: it is what remains."""

FRAMES = tuple(label for label in LABELS if label != NONE_LABEL)


_ENTRIES = sorted({(entry, frame) for frame in FRAMES for entry in LEXICON[frame]})
_ENTRY_COLUMNS = {entry: column for column, entry in enumerate(sorted({e for e, _ in _ENTRIES}))}
_ENTRY_FRAMES = sp.csr_matrix(
    (
        np.ones(len(_ENTRIES)),
        ([_ENTRY_COLUMNS[e] for e, _ in _ENTRIES], [FRAMES.index(f) for _, f in _ENTRIES]),
    ),
    shape=(len(_ENTRY_COLUMNS), len(FRAMES)),
)
"""Lexicon entry x frame indicator matrix, for counting hits of many texts at once."""


def lexicon_counts(lemma_text: str) -> list[int]:
    """Keyword hits per frame (in :data:`FRAMES` order) in one lemma string."""
    tokens = lemma_text.split()
    grams = set(tokens) | {f"{a} {b}" for a, b in pairwise(tokens)}
    return [len(grams & LEXICON[frame]) for frame in FRAMES]


def keyword_label(lemma_text: str) -> str:
    """The keyword baseline: the frame with most keyword hits.

    Ties follow the codebook's order of questions: resource, then
    systemic-failure, then individual-blame.
    """
    counts = dict(zip(FRAMES, lexicon_counts(lemma_text), strict=True))
    best = max(counts.values())
    if best == 0:
        return NONE_LABEL
    for frame in ("resource", "systemic-failure", "individual-blame"):
        if counts[frame] == best:
            return frame
    return NONE_LABEL  # pragma: no cover - every frame is checked above


class LexiconCues(TextTransformerMixin, BaseEstimator):
    """Lemma strings -> ``log1p`` keyword counts per frame, as a dense feature block."""

    requires_fit = False

    def fit(self, X: Iterable[str], y: object = None) -> LexiconCues:  # noqa: N803
        """Nothing to learn."""
        self.n_features_in_ = 1
        return self

    def transform(self, X: Iterable[str]) -> np.ndarray:  # noqa: N803
        """One row of per-frame cue strengths per text (same values as :func:`lexicon_counts`)."""
        found = count_matrix(ngram_columns(X, _ENTRY_COLUMNS), len(_ENTRY_COLUMNS))
        found.data[:] = 1  # each entry counts once per text
        return np.log1p((found @ _ENTRY_FRAMES).toarray())

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``lexicon=<frame>`` per column."""
        return np.array([f"lexicon={frame}" for frame in FRAMES], dtype=object)
