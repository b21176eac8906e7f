import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from framing.codebook import LABELS
from framing.experiment.metrics import (
    calibration_report,
    classification_report,
    group_confusions,
    paired_differences,
    resample_weights,
    scores_from_confusion,
)

# Six units, three labels used, individual-blame absent from gold and predictions.
GOLD = ["resource"] * 3 + ["none"] * 2 + ["systemic-failure"]
PRED = ["resource", "resource", "none", "none", "systemic-failure", "systemic-failure"]


def test_scores_match_hand_computed_values():
    report = classification_report(GOLD, PRED, [f"d{i}" for i in range(6)], n_resamples=100)
    per_label = report["per_label"]
    # resource: 2 of 3 found, both predictions right; none: 1 of 2, 1 of 2; systemic: 1 of 1, 1 of 2.
    assert per_label["resource"]["precision"]["value"] == 1.0
    assert per_label["resource"]["recall"]["value"] == pytest.approx(2 / 3)
    assert per_label["resource"]["f1"]["value"] == pytest.approx(0.8)
    assert per_label["none"]["f1"]["value"] == pytest.approx(0.5)
    assert per_label["systemic-failure"]["f1"]["value"] == pytest.approx(2 / 3)
    assert [per_label[label]["support"] for label in LABELS] == [0, 1, 3, 2]
    scores = report["scores"]
    assert scores["accuracy"]["value"] == pytest.approx(4 / 6)
    # The absent label is left out of the macro average.
    assert scores["macro_f1"]["value"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    # Observed agreement 2/3, chance (3*2 + 2*2 + 1*2) / 36 = 1/3: kappa (2/3 - 1/3) / (2/3) = 0.5.
    assert scores["kappa"]["value"] == pytest.approx(0.5)
    assert per_label["individual-blame"]["precision"]["value"] is None
    assert report["confusion_matrix"][2] == [0, 0, 2, 1]


def test_scores_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    gold, pred = rng.choice(LABELS, 300).tolist(), rng.choice(LABELS, 300).tolist()
    matrix = group_confusions(gold, pred, ["one"] * 300)[0]
    scores = scores_from_confusion(matrix)
    assert scores["macro_f1"] == pytest.approx(f1_score(gold, pred, labels=list(LABELS), average="macro"))
    assert scores["kappa"] == pytest.approx(cohen_kappa_score(gold, pred))


def _documents(n_documents: int) -> tuple[list[str], list[str], list[str]]:
    """Documents of 5 units, alternately all right and 3 of 5 right: accuracy 0.8 overall."""
    gold, pred, groups = [], [], []
    for d in range(n_documents):
        wrong = 0 if d % 2 else 2
        gold += ["resource"] * 5
        pred += ["none"] * wrong + ["resource"] * (5 - wrong)
        groups += [f"doc{d}"] * 5
    return gold, pred, groups


def test_bootstrap_interval_contains_the_estimate_and_shrinks_with_more_documents():
    small = classification_report(*_documents(10), n_resamples=1000, seed=1)["scores"]["accuracy"]
    large = classification_report(*_documents(100), n_resamples=1000, seed=1)["scores"]["accuracy"]
    for estimate in (small, large):
        assert estimate["value"] == pytest.approx(0.8)
        assert estimate["low"] <= estimate["value"] <= estimate["high"]
    assert large["high"] - large["low"] < (small["high"] - small["low"]) / 2


def test_bootstrap_resamples_whole_documents():
    # One document all right, one all wrong: a resample holds 0, 1 or 2 copies of each.
    gold = ["resource"] * 20
    pred = ["resource"] * 10 + ["none"] * 10
    matrices = group_confusions(gold, pred, ["a"] * 10 + ["b"] * 10)
    accuracies = scores_from_confusion(np.tensordot(resample_weights(2, 500, 3), matrices, axes=1))[
        "accuracy"
    ]
    assert set(np.round(accuracies, 6)) == {0.0, 0.5, 1.0}
    estimate = classification_report(gold, pred, ["a"] * 10 + ["b"] * 10, 2000)["scores"]["accuracy"]
    assert (estimate["low"], estimate["value"], estimate["high"]) == (0.0, 0.5, 1.0)


def test_bootstrap_is_repeatable_with_a_seed():
    data = _documents(12)
    assert classification_report(*data, 300, seed=5) == classification_report(*data, 300, seed=5)
    assert classification_report(*data, 300, seed=5) != classification_report(*data, 300, seed=6)


def test_paired_difference_of_a_system_with_itself_is_exactly_zero():
    gold, pred, groups = _documents(10)
    difference = paired_differences(gold, pred, pred, groups, 300)
    assert all((d["value"], d["low"], d["high"]) == (0.0, 0.0, 0.0) for d in difference.values())
    better = paired_differences(gold, gold, pred, groups, 300)["accuracy"]
    assert better["value"] == pytest.approx(0.2)
    assert 0 < better["low"] <= better["value"] <= better["high"]


def test_expected_calibration_error():
    perfect = calibration_report([0.75] * 4, [True, True, True, False], list("abcd"), n_resamples=50)
    assert perfect["ece"]["value"] == 0.0
    assert perfect["bins"][7]["count"] == 4  # 0.75 lies in (0.7, 0.8]
    # Bin (0.5, 0.6]: 2 units, confidence 0.6, accuracy 1 (0.4 off);
    # bin (0.9, 1.0]: 4 units, mean confidence 0.975, accuracy 0.75 (0.225 off).
    report = calibration_report([0.95, 0.95, 0.6, 0.6, 1.0, 1.0], [1, 0, 1, 1, 1, 1], list("abcdef"), 10, 50)
    assert report["ece"]["value"] == pytest.approx((2 * 0.4 + 4 * 0.225) / 6)
    top = report["bins"][9]
    assert (top["count"], top["accuracy"]) == (4, 0.75)
    assert top["confidence"] == pytest.approx(0.975)
    assert report["bins"][5]["count"] == 2
    assert report["ece"]["low"] <= report["ece"]["value"] <= report["ece"]["high"]


def test_log_loss_and_brier_of_model_and_prior_by_hand():
    from framing.experiment.metrics import probability_report, unit_losses

    gold = ["none", "resource"]
    model = np.array([[0.0, 0.0, 0.2, 0.8], [0.0, 0.0, 0.5, 0.5]])
    prior = np.full((2, 4), 0.25)
    losses = unit_losses(model, gold)
    assert losses["log_loss"] == pytest.approx([-np.log(0.8), -np.log(0.5)])
    assert losses["brier"] == pytest.approx([0.04 + 0.04, 0.25 + 0.25])
    report = probability_report(model, prior, gold, ["d1", "d2"], n_resamples=200)
    assert report["log_loss"]["model"]["value"] == pytest.approx((-np.log(0.8) - np.log(0.5)) / 2)
    assert report["log_loss"]["prior"]["value"] == pytest.approx(np.log(4))
    assert report["brier"]["prior"]["value"] == pytest.approx(0.75)  # 0.75^2 + 3 * 0.25^2
    difference = report["brier"]["model_minus_prior"]
    assert difference["value"] == pytest.approx((0.08 + 0.5) / 2 - 0.75)
    assert difference["low"] <= difference["value"] <= difference["high"] < 0


def test_precision_recall_curves_per_label_present():
    from framing.experiment.metrics import precision_recall_curves

    probabilities = np.array([[0.7, 0.1, 0.1, 0.1], [0.6, 0.2, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]])
    curves = precision_recall_curves(probabilities, ["individual-blame", "none", "none"])
    assert set(curves) == {"individual-blame", "none"}  # a label without gold units has no curve
    assert curves["individual-blame"]["average_precision"] == pytest.approx(1.0)
    assert curves["none"]["average_precision"] == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert curves["none"]["prevalence"] == pytest.approx(2 / 3)
