"""Which unit to label next: a seeded random order, or uncertainty ranking mixed with random picks.

The ordering is plain functions, tested without a web server. :class:`Ranker`
retrains a model on the labels so far in a background thread every few
decisions and publishes uncertainty scores that :func:`pick_next` reads; a
request never waits for it.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence

import numpy as np
from sklearn.pipeline import Pipeline

from framing.model.nlp import DEFAULT_PIPELINE
from framing.model.pipeline import SEED, build_pipeline

STRATEGIES = ("random", "uncertainty")
MIN_PER_LABEL = 3
"""Examples a label needs before the ranking model learns it."""
RANDOM_FRACTION = 0.2
"""Share of random picks under the uncertainty strategy, so the labelled sample stays representative."""
RETRAIN_EVERY = 10
POOL_SIZE = 2000
"""How many pending units (the next ones in the seeded order) a retrained model ranks."""

Scorer = Callable[
    [Sequence[str], Sequence[str], Sequence[tuple[str, str]], int, str], dict[str, float] | None
]


def seeded_order(unit_ids: Iterable[str], seed: int = SEED) -> list[str]:
    """The unit ids in a random order fixed by ``seed``, so a restarted session resumes where it was.

    >>> seeded_order(["a", "b", "c", "d"], 7) == seeded_order(["a", "b", "c", "d"], 7)
    True
    """
    order = list(unit_ids)
    random.Random(seed).shuffle(order)
    return order


def is_random_pick(seed: int, step: int, fraction: float = RANDOM_FRACTION) -> bool:
    """Whether pick number ``step`` is a random one, with probability ``fraction``, reproducibly.

    >>> [is_random_pick(1, step, 0.0) for step in range(3)]
    [False, False, False]
    """
    return random.Random(f"{seed}:{step}").random() < fraction


def pick_next(
    order: Sequence[str],
    done: Container[str],
    skipped: Container[str] = frozenset(),
    scores: Mapping[str, float] | None = None,
    explore: bool = False,
) -> str | None:
    """The next unit to label, or ``None`` when every unit in ``order`` is done.

    With ``scores`` (and not ``explore``), the most uncertain pending unit among
    the scored ones; otherwise the first pending unit in ``order``. Skipped units
    come back only once no other unit is pending.

    >>> pick_next(["a", "b", "c"], done={"a"})
    'b'
    >>> pick_next(["a", "b", "c"], done={"a"}, scores={"b": 0.1, "c": 0.9})
    'c'
    >>> pick_next(["a", "b"], done=set(), skipped={"a"})
    'b'
    """
    for excluded in (skipped, frozenset()):
        if scores and not explore:
            candidates = [u for u in scores if u not in done and u not in excluded]
            if candidates:
                return max(candidates, key=scores.__getitem__)
        first = next((u for u in order if u not in done and u not in excluded), None)
        if first is not None:
            return first
    return None


def margin_uncertainty(probabilities: np.ndarray) -> np.ndarray:
    """One minus the margin between the two most probable labels: 1 is a tie, 0 is certainty.

    >>> margin_uncertainty(np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])).tolist()
    [1.0, 0.0]
    """
    top = np.sort(probabilities, axis=1)
    return 1.0 - (top[:, -1] - top[:, -2])


def fit_model(
    texts: Sequence[str], labels: Sequence[str], seed: int = SEED, spacy_model: str = DEFAULT_PIPELINE
) -> Pipeline | None:
    """The project's pipeline fitted on the labels so far, or ``None`` while there are too few.

    Labels with fewer than :data:`MIN_PER_LABEL` examples are left out until
    they have enough; at least two labels are needed.
    """
    counts = Counter(labels)
    kept = {label for label, n in counts.items() if n >= MIN_PER_LABEL}
    if len(kept) < 2:
        return None
    pairs = [(text, label) for text, label in zip(texts, labels, strict=True) if label in kept]
    model = build_pipeline(spacy_model=spacy_model, seed=seed)
    return model.fit([text for text, _ in pairs], [label for _, label in pairs])


def rank_by_uncertainty(
    texts: Sequence[str],
    labels: Sequence[str],
    pool: Sequence[tuple[str, str]],
    seed: int = SEED,
    spacy_model: str = DEFAULT_PIPELINE,
) -> dict[str, float] | None:
    """Uncertainty of each ``(unit_id, text)`` in ``pool`` under a model fitted on the labels so far.

    ``None`` while there are too few labels to fit a model (see :func:`fit_model`).
    """
    model = fit_model(texts, labels, seed, spacy_model)
    if model is None or not pool:
        return None
    uncertainty = margin_uncertainty(model.predict_proba([text for _, text in pool]))
    return {unit_id: float(u) for (unit_id, _), u in zip(pool, uncertainty, strict=True)}


class Ranker:
    """Retrains in a background thread every ``every`` labels and keeps the latest uncertainty scores.

    :meth:`update` returns at once; ``scores`` and ``status`` change when a
    retraining finishes. One retraining runs at a time: a retraining that
    falls due meanwhile is queued (the latest one only) and starts as soon as
    the running one ends, so no request is dropped.
    """

    def __init__(
        self,
        every: int = RETRAIN_EVERY,
        seed: int = SEED,
        spacy_model: str = DEFAULT_PIPELINE,
        scorer: Scorer = rank_by_uncertainty,
    ) -> None:
        if every < 1:
            raise ValueError(f"Retrain every {every} labels? Use 1 or more.")
        self.every = every
        self.seed = seed
        self.spacy_model = spacy_model
        self.scorer = scorer
        self.scores: Mapping[str, float] = {}
        self.status = "no model yet: units come in random order until there are labels to learn from"
        self._trained_at: int | None = None
        self._thread: threading.Thread | None = None
        self._queued: tuple[list[tuple[str, str]], list[tuple[str, str]]] | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether a retraining is in progress."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def queued(self) -> bool:
        """Whether a retraining waits for the running one to end."""
        return self._queued is not None

    def update(self, labelled: Sequence[tuple[str, str]], pool: Sequence[tuple[str, str]]) -> bool:
        """Start retraining on ``labelled`` ``(text, label)`` pairs if due; return whether it started now.

        Due at the first call and then every ``every`` labels. ``pool`` holds the
        ``(unit_id, text)`` pairs to rank. Due while a retraining runs, it is
        queued and starts when that one ends.
        """
        with self._lock:
            busy = self._thread is not None and self._thread.is_alive()
            due = self._trained_at is None or len(labelled) - self._trained_at >= self.every
            if not due and not (busy and self._queued is not None):
                return False
            self._trained_at = len(labelled)
            if busy:  # queue it, or bring the queued one up to date
                self._queued = (list(labelled), list(pool))
                return False
            self._start(list(labelled), list(pool))
            return True

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the running retraining, and any queued behind it, to finish."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            thread = self._thread
            if thread is None:
                return
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if thread.is_alive() or self._thread is thread:
                return

    def _start(self, labelled: list[tuple[str, str]], pool: list[tuple[str, str]]) -> None:
        self._thread = threading.Thread(
            target=self._retrain, args=(labelled, pool), name="framing-ranker", daemon=True
        )
        self._thread.start()

    def _retrain(self, labelled: list[tuple[str, str]], pool: list[tuple[str, str]]) -> None:
        try:
            self._fit(labelled, pool)
        finally:
            with self._lock:
                queued, self._queued = self._queued, None
                if queued is not None:
                    self._start(*queued)

    def _fit(self, labelled: list[tuple[str, str]], pool: list[tuple[str, str]]) -> None:
        start = time.perf_counter()
        texts = [text for text, _ in labelled]
        labels = [label for _, label in labelled]
        try:
            scores = self.scorer(texts, labels, pool, self.seed, self.spacy_model)
        except Exception as exc:  # a failed retraining must never stop the labelling
            self.status = f"retraining failed ({type(exc).__name__}: {exc}); units come in the last order"
            return
        if scores is None:
            self.status = (
                f"no model yet: needs {MIN_PER_LABEL} examples of at least 2 labels "
                f"({len(labelled)} labels so far)"
            )
            return
        self.scores = scores
        self.status = (
            f"model retrained on {len(labelled)} labels, ranked {len(scores)} units "
            f"in {time.perf_counter() - start:.1f} s"
        )
