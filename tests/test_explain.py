import numpy as np
import pytest

from framing.codebook import LABELS
from framing.experiment.explain import contributions, linear_weights, top_features
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


def test_contributions_push_towards_the_label_asked_for(model_path):
    pipeline = load_model_file(model_path).pipeline
    resource, blame = contributions(pipeline, TEXTS, ["resource", "individual-blame"], top=3)
    assert 0 < len(resource) <= 3
    assert [f["weight"] for f in resource] == sorted((f["weight"] for f in resource), reverse=True)
    assert all(f["weight"] > 0 for f in resource + blame)
    assert resource[0]["part"] == "lexicon" and "resource" in resource[0]["feature"]
    assert sum(f["part"] == "chars" for f in resource) <= 1  # character n-grams count as one entry
    assert contributions(pipeline, [], []) == []


def test_top_features_are_words_and_lexicon_cues(model_path):
    found = top_features(load_model_file(model_path).pipeline, top=4)
    assert set(found) == set(LABELS)
    assert all(f["part"] in {"words", "lexicon"} for features in found.values() for f in features)
    assert any(f["part"] == "lexicon" and "resource" in f["feature"] for f in found["resource"])
