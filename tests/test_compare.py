"""Comparing two evaluations of the same units, paired by unit and by bootstrap resample."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.errors import FramingError
from framing.experiment.compare import compare, read_metrics

runner = CliRunner()


def _with_predictions(metrics: dict, change) -> dict:
    """A copy of ``metrics`` whose cv predictions went through ``change(rows)``."""
    other = copy.deepcopy(metrics)
    change(other["protocols"]["cv"]["predictions"])
    return other


def test_an_evaluation_keeps_one_prediction_per_scored_unit(evaluation):
    cv = evaluation.metrics["protocols"]["cv"]
    rows = cv["predictions"]
    assert len(rows) == cv["units"]
    assert {row["fold"] for row in rows} == set(range(1, len(cv["folds"]) + 1))
    assert all(abs(sum(row["probabilities"].values()) - 1) < 1e-4 for row in rows)
    correct = sum(row["gold"] == row["predicted"] for row in rows)
    assert correct / len(rows) == pytest.approx(cv["systems"]["model"]["scores"]["accuracy"]["value"])


def test_an_evaluation_compared_with_itself_differs_by_nothing(evaluation):
    result = compare(evaluation.metrics, evaluation.metrics, n_resamples=200)
    for difference in result["first_minus_second"].values():
        assert difference["value"] == 0 and difference["low"] == 0 and difference["high"] == 0
    assert result["notes"] == []


def test_the_difference_follows_the_predictions(evaluation):
    def all_correct(rows):
        for row in rows:
            row["predicted"] = row["gold"]

    perfect = _with_predictions(evaluation.metrics, all_correct)
    result = compare(perfect, evaluation.metrics, n_resamples=200)
    model_accuracy = evaluation.metrics["protocols"]["cv"]["systems"]["model"]["scores"]["accuracy"]["value"]
    assert result["scores"][0]["scores"]["accuracy"]["value"] == 1.0
    assert result["first_minus_second"]["accuracy"]["value"] == pytest.approx(1 - model_accuracy)
    model_f1 = evaluation.metrics["protocols"]["cv"]["systems"]["model"]["per_label"]
    for label, difference in result["first_minus_second_f1_per_label"].items():
        if model_f1[label]["f1"]["value"] is not None:
            assert difference["value"] == pytest.approx(1 - model_f1[label]["f1"]["value"])
    reversed_result = compare(evaluation.metrics, perfect, n_resamples=200)
    assert reversed_result["first_minus_second"]["accuracy"]["value"] == pytest.approx(model_accuracy - 1)


def test_other_folds_are_noted(evaluation):
    def shift(rows):
        rows[0]["fold"] += 1

    result = compare(evaluation.metrics, _with_predictions(evaluation.metrics, shift), n_resamples=200)
    assert "folds differently" in result["notes"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows.pop(), "scored different units"),
        (lambda rows: rows[0].update(gold="resource" if rows[0]["gold"] != "resource" else "none"), "gold"),
    ],
)
def test_evaluations_of_other_units_or_labels_are_refused(evaluation, change, message):
    with pytest.raises(FramingError, match=message):
        compare(evaluation.metrics, _with_predictions(evaluation.metrics, change))


def test_an_evaluation_without_predictions_says_to_evaluate_again(evaluation):
    old = copy.deepcopy(evaluation.metrics)
    del old["protocols"]["cv"]["predictions"]
    with pytest.raises(FramingError, match="Run `framing evaluate` again"):
        compare(evaluation.metrics, old)
    with pytest.raises(FramingError, match="no 'nope' protocol"):
        compare(evaluation.metrics, evaluation.metrics, protocol="nope")


def test_compare_on_the_command_line(evaluation, tmp_path):
    folder = evaluation.files["metrics"].parent
    out = tmp_path / "comparison.json"
    arguments = [str(folder), str(evaluation.files["metrics"]), "--resamples", "100", "--output", str(out)]
    result = runner.invoke(app, ["compare", *arguments])
    assert result.exit_code == 0, result.output
    assert "first − second" in result.output and "cannot tell the two models apart" in result.output
    assert "individual-blame" in result.output
    assert json.loads(out.read_text())["units"] == evaluation.metrics["protocols"]["cv"]["units"]
    assert read_metrics(folder)["model_id"] == evaluation.metrics["model_id"]


@pytest.mark.parametrize("content", [None, "{not json"])
def test_a_missing_or_broken_report_is_a_clean_error(evaluation, tmp_path, content):
    path = tmp_path / "metrics.json"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["compare", str(path), str(evaluation.files["metrics"])])
    assert result.exit_code == 1
    assert "metrics.json" in result.output and "Traceback" not in result.output
