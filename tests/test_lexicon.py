import numpy as np
import pytest

from framing.model.lexicon import FRAMES, LEXICON, LexiconCues, keyword_label, lexicon_counts


@pytest.mark.parametrize(
    ("lemmas", "label"),
    [
        ("the budget be cut and caseload rise", "resource"),
        ("the system fail", "systemic-failure"),
        ("they should do job properly", "individual-blame"),
        ("he be bear in 2006", "none"),
        ("the system need more fund", "resource"),  # a tie goes to resource, as in the codebook
    ],
)
def test_keyword_baseline(lemmas, label):
    assert keyword_label(lemmas) == label


def test_counts_unigrams_and_bigrams_once_each():
    assert lexicon_counts("budget budget cut do job") == [1, 0, 2]
    assert FRAMES == ("individual-blame", "systemic-failure", "resource")


def test_cue_features_match_the_counts():
    texts = ["budget budget cut do job", "the system fail", "", "nothing here"]
    expected = np.log1p(np.array([lexicon_counts(t) for t in texts], dtype=float))
    assert np.array_equal(LexiconCues().fit(texts).transform(texts), expected)


def test_lexicon_lists_do_not_overlap():
    frames = list(LEXICON.values())
    assert all(not (a & b) for i, a in enumerate(frames) for b in frames[i + 1 :])


def test_every_entry_is_a_lemma_so_it_can_match():
    from framing.model.nlp import SpacyLemmatizer

    entries = sorted(entry for words in LEXICON.values() for entry in words)
    assert SpacyLemmatizer().fit([]).transform(entries) == entries


@pytest.mark.parametrize("word", ["ics", "box-ticking", "ofsted"])
def test_no_words_that_only_the_seed_corpus_uses(word):
    assert all(word not in words for words in LEXICON.values())
