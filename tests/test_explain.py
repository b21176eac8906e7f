import numpy as np
import pytest

from framing.codebook import LABELS
from framing.experiment.explain import contrast, linear_model, linear_weights, top_features
from framing.model.persist import load_model_file

TEXTS = ["Budgets were cut and caseloads soared.", "The manager should be sacked."]


def test_weights_rebuild_the_linear_scores_of_each_label(model_path):
    pipeline = load_model_file(model_path).pipeline
    names, weights = linear_weights(pipeline)
    values = pipeline[:-1].transform(TEXTS)
    linear = pipeline.named_steps["classifier"].estimator_
    scores = linear.decision_function(values)
    order = [list(pipeline.classes_).index(label) for label in LABELS]
    assert values.shape[1] == len(names) == weights.shape[1]
    assert np.asarray(values @ weights.T) + linear.intercept_[order] == pytest.approx(scores[:, order])


def logits(pipeline, texts):
    """The linear model's scores in LABELS order."""
    order = [list(pipeline.classes_).index(label) for label in LABELS]
    return pipeline.named_steps["classifier"].estimator_.decision_function(pipeline[:-1].transform(texts))[
        :, order
    ]


def test_contributions_and_intercept_sum_to_the_logit_difference(model_path):
    pipeline = load_model_file(model_path).pipeline
    scores = logits(pipeline, TEXTS)
    predicted, others = ["resource", "individual-blame"], ["none", "resource"]
    for top in (3, 100_000):
        # With every feature allowed, even negligible ones, nothing is left for "other features".
        explained = contrast(pipeline, TEXTS, predicted, others, top=top, smallest=0.005 if top == 3 else 0.0)
        for row, label, other, e in zip(scores, predicted, others, explained, strict=True):
            difference = row[LABELS.index(label)] - row[LABELS.index(other)]
            listed = sum(f["contribution"] for f in e["for"] + e["against"])
            assert e["versus"] == other
            assert e["logit_difference"] == pytest.approx(difference)
            assert listed + e["rest"] + e["intercept"] == pytest.approx(difference)
            assert len(e["for"]) <= top and len(e["against"]) <= top
            if top > 3:
                assert e["rest"] == pytest.approx(0.0)
    _, _, intercepts = linear_model(pipeline)
    assert explained[0]["intercept"] == pytest.approx(
        intercepts[LABELS.index("resource")] - intercepts[LABELS.index("none")]
    )


def test_contrast_lists_both_signs_in_order_and_no_zero(model_path):
    pipeline = load_model_file(model_path).pipeline
    (resource,) = contrast(pipeline, TEXTS[:1], ["resource"], ["individual-blame"], top=3)
    pushes_for = [f["contribution"] for f in resource["for"]]
    pushes_against = [f["contribution"] for f in resource["against"]]
    assert pushes_for and pushes_against  # both signs shown
    assert pushes_for == sorted(pushes_for, reverse=True) and all(c > 0 for c in pushes_for)
    assert pushes_against == sorted(pushes_against) and all(c < 0 for c in pushes_against)
    assert any(f["part"] == "lexicon" and "resource" in f["feature"] for f in resource["for"])
    everything = contrast(pipeline, TEXTS[:1], ["resource"], ["individual-blame"], top=100_000)[0]
    assert all(abs(f["contribution"]) >= 0.005 for f in everything["for"] + everything["against"])
    assert sum(f["part"] == "chars" for f in everything["for"] + everything["against"]) <= 1
    # A word absent from the text contributes nothing and is never listed.
    assert "rain" not in {f["feature"] for f in everything["for"] + everything["against"]}
    assert contrast(pipeline, [], [], []) == []


def test_top_features_are_words_and_lexicon_cues(model_path):
    found = top_features(load_model_file(model_path).pipeline, top=4)
    assert set(found) == set(LABELS)
    assert all(f["part"] in {"words", "lexicon"} for features in found.values() for f in features)
    assert any(f["part"] == "lexicon" and "resource" in f["feature"] for f in found["resource"])
