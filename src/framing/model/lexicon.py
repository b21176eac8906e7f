"""A small, documented keyword lexicon per frame.

Used twice: as cue features inside the classifier (:class:`LexiconCues`) and as
the keyword baseline in evaluation reports. Entries are lower-case lemmas as
produced by :class:`framing.model.nlp.SpacyLemmatizer`; a two-word entry matches a
lemma bigram, so every entry is written in its lemma form ("fund" matches
"funding", "medium" matches "media", "witch" matches "witch-hunt").

How the words were chosen: each frame's list holds the words of its one-line
definition and decision question in the codebook (lemmatised), then a few
common English words for the same idea (marked in the source). Words that only
the seed corpus uses (a named IT system, a named inspectorate, its jargon) are
left out, and the lists were not tuned on any labelled data, so the baseline
says what plain keywords achieve on any corpus.
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
            # codebook: conduct, competence, judgement, choices; calls to sack, punish, name
            "blame", "fault", "their fault", "culpable", "competent", "incompetent", "incompetence",
            "negligent", "negligence", "judgement", "sack", "resign", "resignation",
            "punish", "prosecute", "accountable", "do job",
            # general English words for personal failings
            "disgrace", "disgraceful", "shame", "careless", "lazy", "misconduct", "perpetrator",
        )
    ),
    "systemic-failure": frozenset(
        (
            # codebook: system, procedures, policy, law, targets, IT, inspection, inter-agency
            # arrangements, culture, an organisation as a whole; rejecting blame
            "system", "systemic", "procedure", "process", "policy", "law", "legislation", "target",
            "it system", "inspection", "inspector", "culture", "organisation",
            "scapegoat", "witch", "vilification", "vilify",
            # general English words for structures and their failings
            "bureaucracy", "structure", "framework", "reform", "council", "government", "department",
            "agency", "medium",
        )
    ),
    "resource": frozenset(
        (
            # codebook: money, budgets, cuts, funding, staffing, vacancies, caseloads, workload, time,
            # pay, recruitment and retention, costs
            "money", "budget", "cut", "fund", "underfund", "staff", "vacancy", "caseload", "workload",
            "pay", "recruit", "recruitment", "retention", "cost",
            # general English words for the level of resources
            "resource", "understaffed", "overwork", "overstretch", "shortage", "afford", "spend",
            "investment", "turnover",
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
