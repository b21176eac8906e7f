import json

import numpy as np
import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.codebook import LABELS
from framing.errors import FramingError
from framing.experiment.analysis import document_subset, external_set_checks, t_interval
from framing.experiment.protocols import lexicon_labels, outer_splits
from framing.labels.dataset import LabelledData, load_labelled, read_test_set
from framing.report.card import read_learning_curve


def _many_documents(n_documents: int = 26, seed: int = 0) -> LabelledData:
    """Documents of 1 to 20 units with skewed labels, like the real corpus."""
    rng = np.random.default_rng(seed)
    texts, labels, groups = [], [], []
    for d in range(n_documents):
        for u in range(int(rng.integers(1, 21))):
            texts.append(f"unit {u} of document {d}")
            labels.append(str(rng.choice(LABELS, p=[0.05, 0.4, 0.2, 0.35])))
            groups.append(f"doc{d}")
    return LabelledData(texts, labels, groups, ["sentence"] * len(texts), list(range(len(texts))))


@pytest.mark.parametrize("seed", [0, 13, 99])
def test_grouped_outer_splits_never_put_a_document_on_both_sides(labels_dir, seed):
    for data in (load_labelled(labels_dir), _many_documents(seed=seed)):
        groups = np.asarray(data.groups)
        folds = outer_splits(data, seed)
        for train, test in folds:
            assert not set(groups[train]) & set(groups[test])
        tested = np.sort(np.concatenate([test for _, test in folds]))
        assert tested.tolist() == list(range(len(data)))  # every unit held out exactly once


def test_cross_validation_holds_out_each_document_once(evaluation):
    folds = evaluation.metrics["protocols"]["cv"]["folds"]
    assert sum(f["test_units"] for f in folds) == 48
    assert sum(f["test_documents"] for f in folds) == 6


def test_document_subset_draws_whole_documents():
    groups = np.array(["d1"] * 4 + ["d2"] * 3 + ["d3"] * 2 + ["d4"] * 5)
    labels = np.array(["none"] * 9 + ["resource"] * 5)
    indices = np.arange(14)
    for seed in range(5):
        subset = document_subset(indices, groups, labels, 0.5, np.random.default_rng(seed))
        drawn = set(groups[subset])
        assert all(set(np.flatnonzero(groups == g)) <= set(subset) for g in drawn)  # whole documents
        assert len(drawn) >= 2 and len(set(labels[subset])) == 2  # more drawn until two labels
    assert list(document_subset(indices, groups, labels, 1.0, np.random.default_rng(0))) == list(indices)


def test_t_interval_matches_the_textbook_formula():
    low, high = t_interval([0.4, 0.5, 0.6])
    assert (low + high) / 2 == pytest.approx(0.5)
    assert high - 0.5 == pytest.approx(4.302653 * 0.1 / np.sqrt(3), rel=1e-5)  # t(0.975, 2) * sd / sqrt(n)
    assert t_interval([0.7]) == (0.7, 0.7)


def test_keyword_lexicon_baseline():
    texts = ["Budgets were cut.", "The system failed them.", "The sky was blue.", "He was incompetent."]
    assert lexicon_labels(texts) == ["resource", "systemic-failure", "none", "individual-blame"]


def test_read_test_set_from_csv_and_jsonl(tmp_path):
    csv_file = tmp_path / "test.csv"
    csv_file.write_text('text,label\n"Cuts, again.",resource\nNothing here.,none\n', encoding="utf-8")
    data = read_test_set(csv_file)
    assert (data.texts, data.labels) == (["Cuts, again.", "Nothing here."], ["resource", "none"])
    assert data.groups == data.unit_ids == ["row2", "row3"]  # no doc_id: each unit its own document
    jsonl = tmp_path / "test.jsonl"
    jsonl.write_text('{"text": "x", "label": "none", "doc_id": "d"}\n\n{"text": "y", "label": "blame"}\n')
    with pytest.raises(FramingError, match=r"test.jsonl:3: .*'blame'"):
        read_test_set(jsonl)


def test_report_files_and_protocols(evaluation):
    files = evaluation.files
    for key in (
        "metrics",
        "markdown",
        "html",
        "cv-confusion",
        "cv-f1",
        "cv-reliability",
        "cv-learning-curve",
    ):
        assert files[key].exists() and files[key].stat().st_size > 0
    assert files["cv-f1"].read_bytes().startswith(b"\x89PNG")
    assert files["metrics"].parent.name == evaluation.metrics["model_id"]
    assert json.loads(files["metrics"].read_text()) == evaluation.metrics
    assert set(evaluation.metrics["protocols"]) == {"cv", "test"}
    assert evaluation.metrics["warnings"] == []


def test_every_score_comes_with_an_interval_around_it(evaluation):
    for protocol in evaluation.metrics["protocols"].values():
        assert set(protocol["systems"]) == {"model", "lexicon", "majority"}
        for report in protocol["systems"].values():
            estimates = list(report["scores"].values()) + [
                row[m] for row in report["per_label"].values() for m in ("precision", "recall", "f1")
            ]
            for e in estimates:
                if e["value"] is not None:
                    assert e["low"] - 1e-9 <= e["value"] <= e["high"] + 1e-9
            assert sum(map(sum, report["confusion_matrix"])) == protocol["units"]
    cv = evaluation.metrics["protocols"]["cv"]
    assert [cv["systems"]["model"]["per_label"][label]["support"] for label in LABELS] == [12] * 4
    assert cv["bootstrap"]["resampling"] == "documents"


def test_external_protocol_scores_the_test_file(evaluation):
    test = evaluation.metrics["protocols"]["test"]
    assert (test["units"], test["documents"]) == (6, 3)
    assert "scored by the trained model" in test["description"]
    assert {row["doc_id"] for row in test["by_document"]} == {"t1", "t2", "t3"}
    # The lexicon needs no training: "Budgets ... cut ... caseloads" is resource.
    assert test["systems"]["lexicon"]["per_label"]["resource"]["recall"]["value"] == 1.0


def test_error_analysis_orders_and_explains(evaluation):
    errors = evaluation.metrics["protocols"]["cv"]["errors"]
    mistakes, unsure = errors["confident_mistakes"], errors["unsure_correct"]
    assert mistakes and all(e["gold"] != e["predicted"] for e in mistakes)
    assert all(e["gold"] == e["predicted"] for e in unsure)
    assert [e["confidence"] for e in mistakes] == sorted((e["confidence"] for e in mistakes), reverse=True)
    assert [e["confidence"] for e in unsure] == sorted(e["confidence"] for e in unsure)
    for e in mistakes + unsure:
        assert e["probability_of_gold"] <= e["confidence"]
        explanation = e["explanation"]
        assert explanation["versus"] != e["predicted"]
        assert all(f["contribution"] > 0 for f in explanation["for"])
        assert all(f["contribution"] < 0 for f in explanation["against"])
        listed = sum(f["contribution"] for f in explanation["for"] + explanation["against"])
        total = listed + explanation["rest"] + explanation["intercept"]
        assert total == pytest.approx(explanation["logit_difference"])
    assert all(e["explanation"]["versus"] == e["gold"] for e in mistakes)
    assert all(e["explanation"]["logit_difference"] >= 0 for e in unsure)  # the runner-up scores lower
    assert any(f["part"] == "words" for e in mistakes for f in e["explanation"]["for"])


def test_learning_curve(evaluation):
    curve = evaluation.metrics["protocols"]["cv"]["learning_curve"]
    sizes = [p["training_labels"] for p in curve["points"]]
    assert sizes == sorted(sizes)
    assert sizes[-1] == pytest.approx(48 * 4 / 5)  # the full training folds of 5-fold CV
    assert all(0 <= p["low"] <= p["macro_f1"] <= p["high"] <= 1 for p in curve["points"][:-1])
    assert all(len(p["per_fold"]) == 5 for p in curve["points"])
    assert curve["subsampling"] == "documents"
    assert curve["hyper_parameters"] == [f["chosen"] for f in evaluation.metrics["protocols"]["cv"]["folds"]]
    assert set(curve["baselines"]) == {"lexicon", "majority"}


def _points(*per_fold: list[float]) -> list[dict]:
    return [
        {"macro_f1": float(np.mean(f)), "training_labels": 50.0 * (i + 1), "per_fold": f}
        for i, f in enumerate(per_fold)
    ]


def test_learning_curve_reading():
    rising = _points([0.3, 0.4, 0.35], [0.4, 0.5, 0.45], [0.5, 0.6, 0.55])
    assert "still rising" in read_learning_curve(rising, "individual-blame")
    flattening = _points([0.3, 0.4, 0.35], [0.5, 0.6, 0.55], [0.5, 0.61, 0.55])
    assert "flattens" in read_learning_curve(flattening, "individual-blame")
    noisy = _points([0.3, 0.6, 0.45], [0.5, 0.4, 0.45], [0.2, 0.7, 0.47])
    reading = read_learning_curve(noisy, "individual-blame")
    assert "No clear gain" in reading and "individual-blame" in reading
    # Gains are paired by fold: +0.10 on each of three folds, no spread.
    assert "a gain of +0.20 (± 0.00" in read_learning_curve(rising, "x")


def test_breakdowns(evaluation):
    cv = evaluation.metrics["protocols"]["cv"]
    assert [row["kind"] for row in cv["by_kind"]] == ["sentence"]
    documents = cv["by_document"]
    assert sorted(row["doc_id"] for row in documents) == [f"doc{i}" for i in range(6)]
    mistakes = [row["units"] - row["correct"] for row in documents]
    assert mistakes == sorted(mistakes, reverse=True)
    errors = sum(row["units"] - row["correct"] for row in documents)
    matrix = np.array(cv["systems"]["model"]["confusion_matrix"])
    assert errors == matrix.sum() - np.trace(matrix)


def test_cli_prints_the_headline_table_and_the_report_path(evaluation, monkeypatch, tmp_path):
    monkeypatch.setattr("framing.experiment.evaluate.evaluate", lambda *args, **kwargs: evaluation.metrics)
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["evaluate", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for text in (
        "framing model",
        "keyword lexicon",
        "majority class",
        "macro-F1",
        f"frame shares: trust {evaluation.metrics['protocols']['cv']['share_error']['best_method']} (",
        str(tmp_path / evaluation.metrics["model_id"] / "report.html"),
    ):
        assert text in result.output.replace("\n", "")
    assert (tmp_path / evaluation.metrics["model_id"] / "metrics.json").exists()


def test_cli_without_a_model_says_make_train(tmp_path):
    result = CliRunner().invoke(app, ["evaluate", "--model", str(tmp_path / "none.joblib")])
    assert result.exit_code == 1
    assert "Run `make train` first" in result.output


def test_external_test_set_is_compared_with_the_training_data(evaluation):
    test = evaluation.metrics["protocols"]["test"]
    assert test["overlap"] == {"units": 0, "share": 0.0, "unit_ids": []}
    shares = test["label_shares"]
    assert {label: shares["test"][label]["n"] for label in LABELS} == {
        "individual-blame": 1,
        "systemic-failure": 1,
        "resource": 2,
        "none": 2,
    }
    assert shares["training"]["none"] == {"n": 12, "share": 0.25}
    markdown = evaluation.files["markdown"].read_text(encoding="utf-8")
    assert "| resource | 12 (25%) | 12 (25%) | 2 (33%) |" in markdown
    assert "No test unit has the same text as a training unit" in markdown


def test_texts_shared_with_training_are_counted():
    training = LabelledData(
        ["Cuts again.", "The  council failed."],
        ["resource"] * 2,
        ["d1", "d2"],
        ["sentence"] * 2,
        ["u1", "u2"],
    )
    test = LabelledData(
        ["The council failed.", "New text."], ["resource", "none"], ["t1", "t2"], ["sentence"] * 2, ["a", "b"]
    )
    checks = external_set_checks(test, training, training)
    assert checks["overlap"] == {"units": 1, "share": 0.5, "unit_ids": ["a"]}
    assert checks["label_shares"]["test"]["none"] == {"n": 1, "share": 0.5}


def test_a_test_file_without_a_label_column_fails_before_any_fitting(
    labels_dir, model_copy, tmp_path, monkeypatch
):
    from framing.experiment import evaluate as module

    monkeypatch.setattr(module, "cross_validated", lambda *a, **k: pytest.fail("cross-validation started"))
    monkeypatch.setattr(module, "load_training_sets", lambda *a, **k: pytest.fail("training data read"))
    table = tmp_path / "test.csv"
    table.write_bytes("\ufefftext,frame\nCuts again.,resource\n".encode())
    with pytest.raises(FramingError, match=r"no column 'label' \(columns: text, frame\)"):
        module.evaluate(labels_dir, None, model_path=model_copy, test_path=table)
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--labels-dir",
            str(labels_dir),
            "--model",
            str(model_copy),
            "--test",
            str(table),
            "--output-dir",
            str(tmp_path / "reports"),
        ],
    )
    assert result.exit_code == 1 and "columns: text, frame" in result.output
    assert not (tmp_path / "reports").exists()


def test_a_csv_test_file_with_a_byte_order_mark_reads(tmp_path):
    table = tmp_path / "test.csv"
    table.write_bytes("\ufefftext,label,doc_id\nCuts again.,resource,d1\n".encode())
    data = read_test_set(table)
    assert (data.texts, data.labels, data.groups) == (["Cuts again."], ["resource"], ["d1"])


def test_prior_is_the_smoothed_real_training_shares_of_each_fold(evaluation, labels_dir):
    from framing.experiment.protocols import prior_shares

    assert prior_shares(["none", "none", "resource"]).tolist() == [1 / 7, 1 / 7, 2 / 7, 3 / 7]
    probabilities = evaluation.metrics["protocols"]["cv"]["probabilities"]
    assert set(probabilities) == {"log_loss", "brier"}
    for score in probabilities.values():
        assert set(score) == {"model", "prior", "model_minus_prior"}
        assert score["model_minus_prior"]["value"] == pytest.approx(
            score["model"]["value"] - score["prior"]["value"]
        )


def test_annotators_agreement_is_the_ceiling(labels_dir):
    from pathlib import Path

    from framing.experiment.evaluate import annotator_ceiling

    assert annotator_ceiling(labels_dir) == {
        "available": False,
        "reason": f"no annotator files in {labels_dir}",
    }
    seed_labels = Path(__file__).parents[1] / "data" / "labels"
    ceiling = annotator_ceiling(seed_labels)
    assert ceiling["available"] and ceiling["annotators"] == ["annotator-a", "annotator-b"]
    kappa = ceiling["kappa"]["annotator-a vs annotator-b"]
    assert kappa["interval"][0] <= kappa["value"] <= kappa["interval"][1] and kappa["n"] == ceiling["units"]
