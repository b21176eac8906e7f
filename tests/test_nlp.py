import pickle

import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from framing.model.nlp import DEFAULT_PIPELINE, SpacyLemmatizer, load_nlp


def test_default_pipeline_splits_sentences_and_lemmatises(nlp):
    doc = nlp("Budgets were cut. Social workers left.")
    assert [s.text for s in doc.sents] == ["Budgets were cut.", "Social workers left."]
    assert nlp.pipe_names == ["sentencizer", "lemmatizer"]


def test_load_nlp_is_cached():
    assert load_nlp() is load_nlp(DEFAULT_PIPELINE)


def test_unknown_pipeline_is_a_clear_error():
    from framing.errors import FramingError

    with pytest.raises(FramingError, match="Cannot load spaCy pipeline 'no_such_pipeline'"):
        load_nlp("no_such_pipeline")


def test_transform_gives_lower_case_lemmas():
    out = SpacyLemmatizer().fit(["x"]).transform(["Social Workers WERE blamed", ""])
    assert out == ["social worker be blame", ""]


def test_estimator_contract():
    transformer = SpacyLemmatizer(batch_size=7)
    assert transformer.get_params() == {"spacy_model": DEFAULT_PIPELINE, "batch_size": 7}
    assert transformer.set_params(batch_size=3) is transformer and transformer.batch_size == 3
    cloned = clone(transformer)
    assert cloned is not transformer and cloned.get_params() == transformer.get_params()
    with pytest.raises(NotFittedError):
        transformer.transform(["text"])
    assert transformer.fit(["text"]) is transformer


def test_pickles_without_language_and_rebuilds_lazily():
    fitted = SpacyLemmatizer().fit(["x"])
    blob = pickle.dumps(fitted)
    assert len(blob) < 1000  # the Language (megabytes) is not carried
    assert b"spacy.lang" not in blob
    restored = pickle.loads(blob)
    assert restored.transform(["Budgets were cut"]) == ["budget be cut"]


@pytest.mark.parametrize(
    "check",
    [
        "check_no_attributes_set_in_init",
        "check_parameters_default_constructible",
        "check_get_params_invariance",
        "check_set_params",
        "check_estimator_cloneable",
        "check_estimators_overwrite_params",
        "check_dont_overwrite_parameters",
    ],
)
@pytest.mark.parametrize("estimator", ["SpacyLemmatizer", "LexiconCues"])
def test_scikit_learn_api_checks(check, estimator):
    """scikit-learn's own checks of the estimator API that apply to text transformers."""
    from sklearn.utils import estimator_checks

    from framing.model.lexicon import LexiconCues

    instance = {"SpacyLemmatizer": SpacyLemmatizer, "LexiconCues": LexiconCues}[estimator]()
    getattr(estimator_checks, check)(estimator, instance)


def test_a_pipeline_whose_vocabulary_grew_is_replaced_with_the_same_results(monkeypatch):
    from framing.model import nlp as module

    texts = [f"Officers blamed {word}qx and {word}zv for the failures." for word in ("ab", "cd", "ef", "gh")]
    expected = SpacyLemmatizer().fit([]).transform(texts)
    first = load_nlp()
    monkeypatch.setattr(module, "MAX_NEW_STRINGS", 3)
    first.tokenizer("brandnewwordone brandnewwordtwo brandnewwordthree brandnewwordfour")
    assert SpacyLemmatizer().fit([]).transform(texts) == expected
    assert load_nlp() is not first
