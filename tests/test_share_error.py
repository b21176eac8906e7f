"""Share error under evaluation: each share method scored against the gold shares of held-out parts."""

import numpy as np
import pytest

from framing.codebook import LABELS
from framing.experiment.shares import share_errors, true_shares
from framing.profile.shares import Reference

IB, SF, R, NONE = (
    LABELS.index(label) for label in ("individual-blame", "systemic-failure", "resource", "none")
)


def _row(top: int) -> list[float]:
    row = [0.1] * 4
    row[top] = 0.7
    return row


# Part A: one none unit predicted systemic-failure; part B: two resource units, right.
PROBABILITIES = np.array([_row(IB), _row(SF), _row(SF), _row(NONE), _row(R), _row(R)])
GOLD = ["individual-blame", "systemic-failure", "none", "none", "resource", "resource"]
PARTS = [np.array([0, 1, 2, 3]), np.array([4, 5])]


def test_errors_of_counting_by_hand():
    result = share_errors(PROBABILITIES, GOLD, PARTS, [None, None])
    assert result["methods"] == ["cc", "pcc"]  # no reference: no correction
    first, second = result["folds"]
    assert first["true"] == dict(zip(LABELS, [0.25, 0.25, 0.0, 0.5], strict=True))
    assert first["estimates"]["cc"] == dict(zip(LABELS, [0.25, 0.5, 0.0, 0.25], strict=True))
    assert list(first["errors"]["cc"]["per_label"].values()) == pytest.approx([0, 0.25, 0, 0.25])
    assert first["errors"]["cc"]["total_variation"] == pytest.approx(0.25)
    assert list(first["errors"]["pcc"]["per_label"].values()) == pytest.approx([0, 0.15, 0.1, 0.25])
    assert second["errors"]["cc"]["total_variation"] == pytest.approx(0.0)
    assert second["errors"]["pcc"]["total_variation"] == pytest.approx(0.3)
    cc = result["summary"]["cc"]
    assert (
        cc["mean_total_variation"],
        cc["min_total_variation"],
        cc["max_total_variation"],
    ) == pytest.approx((0.125, 0.0, 0.25))
    assert cc["mean_abs_error"]["none"] == pytest.approx(0.125)
    assert result["summary"]["pcc"]["mean_total_variation"] == pytest.approx(0.275)
    assert result["best_method"] == "cc"
    # Pooled: the size-weighted mean of the part estimates against the shares of all six units.
    pooled = result["pooled"]
    assert list(pooled["estimates"]["cc"].values()) == pytest.approx([1 / 6, 2 / 6, 2 / 6, 1 / 6])
    assert list(pooled["true"].values()) == pytest.approx([1 / 6, 1 / 6, 2 / 6, 2 / 6])
    assert pooled["errors"]["cc"]["total_variation"] == pytest.approx(1 / 6)


def test_adjusted_count_corrects_a_known_confusion():
    # The reference: half of the none units are predicted systemic-failure; every other label is right.
    predicted = np.eye(4)[[SF, NONE, IB, SF, R]]
    reference = Reference(
        np.array([NONE, NONE, IB, SF, R]), predicted, np.array(["d1", "d1", "d2", "d2", "d3"])
    )
    result = share_errors(PROBABILITIES, GOLD, PARTS, [reference, reference])
    assert result["methods"] == ["cc", "pcc", "acc", "pacc"]
    assert result["folds"][0]["errors"]["acc"]["total_variation"] == pytest.approx(0.0)  # q = M^T p solved
    assert result["summary"]["acc"]["mean_total_variation"] == pytest.approx(0.0)
    assert result["best_method"] == "acc"


def test_ties_go_to_the_simpler_method():
    # A perfect reference makes acc the same as cc: cc, the simpler, is chosen.
    reference = Reference(np.arange(4), np.eye(4), np.array(["a", "b", "c", "d"]))
    result = share_errors(PROBABILITIES, GOLD, PARTS, [reference, reference])
    assert result["summary"]["acc"]["mean_total_variation"] == pytest.approx(
        result["summary"]["cc"]["mean_total_variation"]
    )
    assert result["best_method"] == "cc"


def test_true_shares():
    assert true_shares(["none", "none", "resource", "none"]).tolist() == [0, 0, 0.25, 0.75]


def test_evaluation_reports_share_error_per_fold_and_for_the_test_set(evaluation):
    protocols = evaluation.metrics["protocols"]
    cv = protocols["cv"]["share_error"]
    assert cv["best_method"] in cv["methods"] == ["cc", "pcc", "acc", "pacc"]
    assert cv["parts"] == len(cv["folds"]) == len(protocols["cv"]["folds"])
    assert [f["units"] for f in cv["folds"]] == [f["test_units"] for f in protocols["cv"]["folds"]]
    for fold in cv["folds"]:
        for method, error in fold["errors"].items():
            differences = [abs(fold["estimates"][method][label] - fold["true"][label]) for label in LABELS]
            assert list(error["per_label"].values()) == pytest.approx(differences)
            assert error["total_variation"] == pytest.approx(sum(differences) / 2)
    best = cv["summary"][cv["best_method"]]["mean_total_variation"]
    assert all(best <= s["mean_total_variation"] + cv["tie"] for s in cv["summary"].values())
    test = protocols["test"]["share_error"]
    assert test["parts"] == 1 and test["folds"][0]["units"] == protocols["test"]["units"]
    assert set(test["methods"]) == {"cc", "pcc", "acc", "pacc"}  # the model stores its reference
    markdown = evaluation.files["markdown"].read_text(encoding="utf-8")
    assert "## Cross-validation: how wrong are frame shares?" in markdown
    assert f"Trust {cv['best_method']}, " in markdown
