import pickle

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from framing.model.features import LemmaTfidfVectorizer
from framing.model.nlp import SpacyLemmatizer

TEXTS = [
    "Social workers had caseloads 50% above the recommended level.",
    "The system has failed, and it is to the system we need to look.",
    "Budgets were cut; budgets were CUT again!",
    "",
    "Ms Shoesmith blamed her staff.",
]
SETTINGS = [
    {"token_pattern": r"\S+", "lowercase": False, "ngram_range": (1, 2), "sublinear_tf": True},
    {"token_pattern": r"\S+", "lowercase": False, "ngram_range": (1, 1)},
    {"analyzer": "char_wb", "ngram_range": (2, 4), "min_df": 2, "sublinear_tf": True},
    {"analyzer": "char_wb", "ngram_range": (3, 5)},
    {"analyzer": "char", "ngram_range": (2, 3)},  # not a fast path: falls back
    {"ngram_range": (1, 3)},  # not a fast path: falls back
]


@pytest.fixture(scope="module")
def lemmas():
    return SpacyLemmatizer().fit(TEXTS).transform(TEXTS)


@pytest.mark.parametrize("settings", SETTINGS)
def test_same_matrix_as_scikit_learn(lemmas, settings):
    unseen = ["the system be cut", "caseload above 50 %", "zzz unknown words"]
    reference = TfidfVectorizer(**settings).fit(lemmas)
    fast = LemmaTfidfVectorizer(**settings).fit(lemmas)
    for documents in (lemmas, unseen):
        expected, got = reference.transform(documents), fast.transform(documents)
        assert got.shape == expected.shape
        assert abs(got - expected).max() == pytest.approx(0.0, abs=1e-12)
    assert list(fast.get_feature_names_out()) == list(reference.get_feature_names_out())


def test_pickles_without_the_word_cache(lemmas):
    fast = LemmaTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(lemmas)
    before = fast.transform(lemmas)
    assert "_column_cache" in fast.__dict__
    restored = pickle.loads(pickle.dumps(fast))
    assert "_column_cache" not in restored.__dict__
    assert abs(restored.transform(lemmas) - before).max() == 0
