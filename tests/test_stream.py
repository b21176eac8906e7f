import threading
import time

import numpy as np
import pytest

from framing.app.stream import (
    Ranker,
    fit_model,
    is_random_pick,
    margin_uncertainty,
    pick_next,
    rank_by_uncertainty,
    seeded_order,
)

IDS = [f"u{i}" for i in range(20)]


def test_seeded_order_is_a_reproducible_permutation():
    order = seeded_order(IDS, seed=3)
    assert sorted(order) == sorted(IDS)
    assert order == seeded_order(IDS, seed=3)
    assert order != seeded_order(IDS, seed=4)
    assert order != IDS


def test_pick_next_skips_done_units_and_ends_with_none():
    order = ["a", "b", "c"]
    assert pick_next(order, done=set()) == "a"
    assert pick_next(order, done={"a", "b"}) == "c"
    assert pick_next(order, done={"a", "b", "c"}) is None


def test_skipped_units_come_back_only_when_nothing_else_is_pending():
    order = ["a", "b", "c"]
    assert pick_next(order, done=set(), skipped={"a", "b"}) == "c"
    assert pick_next(order, done={"c"}, skipped={"a", "b"}) == "a"


def test_uncertainty_prefers_the_most_uncertain_pending_unit_unless_exploring():
    scores = {"a": 0.2, "b": 0.9, "c": 0.5}
    assert pick_next(["a", "b", "c"], done=set(), scores=scores) == "b"
    assert pick_next(["a", "b", "c"], done={"b"}, scores=scores) == "c"
    assert pick_next(["a", "b", "c"], done=set(), skipped={"b"}, scores=scores) == "c"
    assert pick_next(["a", "b", "c"], done=set(), scores=scores, explore=True) == "a"
    assert pick_next(["x", "a"], done={"a", "b", "c"}, scores=scores) == "x"


def test_random_picks_follow_the_fraction_reproducibly():
    draws = [is_random_pick(13, step, 0.2) for step in range(2000)]
    assert draws == [is_random_pick(13, step, 0.2) for step in range(2000)]
    assert 0.16 < sum(draws) / len(draws) < 0.24
    assert not any(is_random_pick(13, step, 0.0) for step in range(100))
    assert all(is_random_pick(13, step, 1.0) for step in range(100))


def test_margin_uncertainty():
    probabilities = np.array([[0.4, 0.4, 0.2], [0.9, 0.05, 0.05], [0.6, 0.3, 0.1]])
    assert margin_uncertainty(probabilities) == pytest.approx([1.0, 0.15, 0.7])


LABELLED = [
    ("Caseloads are far too high.", "resource"),
    ("Budgets were cut again.", "resource"),
    ("There are not enough social workers.", "resource"),
    ("The system failed the child.", "systemic-failure"),
    ("Procedures were not followed by the agency.", "systemic-failure"),
    ("The council failed him.", "systemic-failure"),
    ("The report was published on Tuesday.", "none"),
]


def test_fit_model_waits_for_three_examples_of_two_labels():
    texts, labels = zip(*LABELLED[:4], strict=True)
    assert fit_model(texts, labels) is None
    texts, labels = zip(*LABELLED, strict=True)
    model = fit_model(texts, labels)
    assert set(model.classes_) == {"resource", "systemic-failure"}  # 'none' has one example only


def test_rank_by_uncertainty_scores_every_pool_unit():
    texts, labels = zip(*LABELLED, strict=True)
    pool = [("p1", "Staff shortages and funding cuts."), ("p2", "The system of inspection failed.")]
    scores = rank_by_uncertainty(texts, labels, pool)
    assert set(scores) == {"p1", "p2"}
    assert all(0.0 <= s <= 1.0 for s in scores.values())


def test_ranker_retrains_in_the_background_every_n_labels_and_queues_what_falls_due_meanwhile():
    release = threading.Event()
    calls = []

    def slow_scorer(texts, labels, pool, seed, spacy_model):
        calls.append(len(texts))
        release.wait(5)
        return {unit_id: 0.5 for unit_id, _ in pool}

    ranker = Ranker(every=3, scorer=slow_scorer)
    pool = [("a", "text a"), ("b", "text b")]
    start = time.perf_counter()
    assert ranker.update([("t", "none")], pool)
    assert time.perf_counter() - start < 0.5  # returned while the scorer is still blocked
    assert ranker.running and ranker.scores == {}
    assert not ranker.update([("t", "none")] * 5, pool)  # due while one runs: queued, not started now
    assert ranker.queued and calls == [1]
    release.set()
    ranker.wait(5)
    assert calls == [1, 5]  # the queued retraining ran with no further request
    assert ranker.scores == {"a": 0.5, "b": 0.5} and not ranker.queued
    assert "retrained on 5 labels" in ranker.status
    assert not ranker.update([("t", "none")] * 7, pool)  # 2 new labels: not due yet
    assert ranker.update([("t", "none")] * 8, pool)  # 3 new labels: due
    ranker.wait(5)
    assert calls == [1, 5, 8]


def test_a_queued_retraining_uses_the_latest_labels():
    release = threading.Event()
    calls = []

    def slow_scorer(texts, labels, pool, seed, spacy_model):
        calls.append(len(texts))
        release.wait(5)
        return {}

    ranker = Ranker(every=3, scorer=slow_scorer)
    ranker.update([("t", "none")], [])
    ranker.update([("t", "none")] * 4, [])  # queued
    ranker.update([("t", "none")] * 5, [])  # not due by itself, but brings the queued one up to date
    release.set()
    ranker.wait(5)
    assert calls == [1, 5]


def test_a_failing_retrain_is_reported_not_raised():
    def broken(*args):
        raise RuntimeError("boom")

    ranker = Ranker(scorer=broken)
    ranker.update([("t", "none")], [("a", "x")])
    ranker.wait(5)
    assert "retraining failed" in ranker.status and "boom" in ranker.status
    assert ranker.scores == {}
