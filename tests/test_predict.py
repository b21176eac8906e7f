import pytest

import framing
from framing.model.predict import EMPTY_PREDICTION, Prediction, iter_predict


def test_one_string_gives_one_prediction(model_path):
    prediction = framing.predict("The system failed.", model=model_path)
    assert isinstance(prediction, Prediction)
    assert prediction.label in framing.LABELS
    assert list(prediction.probabilities) == list(framing.LABELS)
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
    assert prediction.label == max(prediction.probabilities, key=prediction.probabilities.get)


def test_many_strings_keep_order_and_empty_ones_are_none(model_path):
    texts = ["", "Budget cuts left the team without enough staff.", "   \n", "The system failed this child."]
    predictions = framing.predict(iter(texts), model=model_path)
    assert len(predictions) == 4
    assert predictions[0] == predictions[2] == EMPTY_PREDICTION
    assert EMPTY_PREDICTION.probabilities["none"] == 1.0
    assert predictions[1].label == "resource"
    assert framing.predict([], model=model_path) == []


@pytest.mark.parametrize(("texts", "message"), [(["ok", None], "Text 1 is NoneType"), ([3], "Text 0 is int")])
def test_non_strings_raise_type_error_naming_the_item(model_path, texts, message):
    with pytest.raises(TypeError, match=message):
        framing.predict(texts, model=model_path)


def test_bytes_are_refused(model_path):
    with pytest.raises(TypeError, match="not bytes"):
        framing.predict(b"text", model=model_path)


def test_streaming_in_small_batches_matches_one_batch(model_path):
    texts = [f"Caseloads rose by {i} percent." for i in range(10)] + ["The council failed."]
    assert list(iter_predict(texts, model_path, batch_size=3)) == framing.predict(texts, model=model_path)


def test_default_model_from_environment(model_path, monkeypatch):
    monkeypatch.setenv("FRAMING_MODEL", str(model_path))
    assert framing.predict("The system failed.").label in framing.LABELS
