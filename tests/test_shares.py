"""Share estimators: classify and count, its probabilistic and adjusted forms, and their reference."""

import numpy as np
import pytest

from framing.codebook import LABELS
from framing.model.persist import load_model_file
from framing.profile.shares import (
    Reference,
    Totals,
    absolute_errors,
    adjust,
    estimate,
    estimate_all,
    retemper,
)

K = len(LABELS)


def _simulated(shares, confusion, n, rng):
    """Gold labels drawn from ``shares``, hard predictions drawn from each gold row of ``confusion``."""
    gold = rng.choice(K, size=n, p=shares)
    predicted = np.array([rng.choice(K, p=confusion[g]) for g in gold])
    return gold, np.eye(K)[predicted]


CONFUSION = np.array(
    [
        [0.6, 0.3, 0.0, 0.1],
        [0.05, 0.8, 0.05, 0.1],
        [0.0, 0.1, 0.8, 0.1],
        [0.05, 0.35, 0.05, 0.55],
    ]
)


def test_adjusted_count_recovers_the_true_shares_that_counting_misses():
    rng = np.random.default_rng(0)
    gold, predicted = _simulated([0.25] * 4, CONFUSION, 4000, rng)
    reference = Reference(gold, predicted, np.arange(len(gold)))
    true = np.array([0.1, 0.2, 0.3, 0.4])
    _, corpus = _simulated(true, CONFUSION, 20000, rng)
    counted = estimate(Totals.of(corpus), "cc")
    adjusted = estimate(Totals.of(corpus), "acc", reference)
    assert absolute_errors(counted, true)["total_variation"] > 0.1
    assert absolute_errors(adjusted, true)["total_variation"] < 0.03
    assert adjusted.sum() == pytest.approx(1.0)


def test_probabilistic_count_is_the_mean_probability():
    probabilities = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.2, 0.6]])
    assert estimate(Totals.of(probabilities), "pcc") == pytest.approx([0.4, 0.1, 0.15, 0.35])
    assert estimate(Totals.of(probabilities), "cc") == pytest.approx([0.5, 0, 0, 0.5])


def test_adjustment_is_clipped_and_renormalised():
    observed = np.array([0.0, 0.1, 0.0, 0.9])
    adjusted = adjust(observed, CONFUSION)
    assert (adjusted >= 0).all() and adjusted.sum() == pytest.approx(1.0)


def test_totals_add_up_across_parts():
    rng = np.random.default_rng(1)
    probabilities = rng.dirichlet(np.ones(K), size=50)
    whole = Totals.of(probabilities)
    parts = Totals.of(probabilities[:20]) + Totals.of(probabilities[20:])
    assert parts.n == whole.n
    assert parts.counts == pytest.approx(whole.counts)
    assert parts.probability_sums == pytest.approx(whole.probability_sums)


def test_corrected_methods_need_a_reference_and_unknown_methods_are_refused():
    probabilities = np.full((3, K), 0.25)
    assert set(estimate_all(probabilities)) == {"cc", "pcc"}
    with pytest.raises(ValueError, match="Reference"):
        estimate(Totals.of(probabilities), "acc")
    with pytest.raises(ValueError, match="choose one of"):
        estimate(Totals.of(probabilities), "median")


def test_a_label_without_reference_units_is_left_uncorrected():
    reference = Reference(np.array([0, 1]), np.eye(K)[[1, 1]], np.array(["a", "b"]))
    matrix = reference.misclassification()
    assert matrix[0] == pytest.approx([0, 1, 0, 0])
    assert matrix[2] == pytest.approx(np.eye(K)[2])


def test_resampling_draws_whole_documents():
    reference = Reference(np.array([0, 0, 1, 2]), np.eye(K)[[0, 0, 1, 2]], np.array(["d1", "d1", "d2", "d3"]))
    for seed in range(20):
        replicate = reference.resample(np.random.default_rng(seed))
        assert list(replicate.groups).count("d1") % 2 == 0


def test_retempering_by_one_changes_nothing_and_a_hotter_temperature_flattens():
    probabilities = np.array([[0.7, 0.1, 0.1, 0.1]])
    assert retemper(probabilities, 1.0) == pytest.approx(probabilities)
    assert retemper(probabilities, 2.0)[0, 0] < 0.7


def test_the_trained_model_keeps_its_out_of_fold_reference(model_path, labels_dir):
    metadata = load_model_file(model_path).metadata
    reference = Reference.from_metadata(metadata)
    assert reference is not None
    assert len(reference) == metadata["training_units"]
    assert reference.probabilities.sum(axis=1) == pytest.approx(np.ones(len(reference)), abs=1e-5)
    round_trip = Reference.from_metadata({"out_of_fold": reference.to_metadata()})
    assert round_trip.gold.tolist() == reference.gold.tolist()
