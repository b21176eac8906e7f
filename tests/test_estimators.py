"""The scikit-learn contract, checked on every estimator the package defines (found automatically).

Estimators of numbers get scikit-learn's full ``parametrize_with_checks``. It
skips estimators whose input is text, so those get its input-free API checks
plus the fit/transform contract run on a few sentences.
"""

import importlib
import inspect
import pickle
import pkgutil

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    parametrize_with_checks,
)

import framing

TEXTS = ["The council failed the child.", "Budgets were cut again.", "She should be sacked.", "Rain."]


def custom_estimators() -> list[type[BaseEstimator]]:
    """Every concrete BaseEstimator subclass defined in a framing module."""
    found = {}
    for module_info in pkgutil.walk_packages(framing.__path__, "framing."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseEstimator) and cls.__module__ == module.__name__:
                found[cls.__qualname__] = cls
    return [found[name] for name in sorted(found)]


ESTIMATORS = custom_estimators()
TEXT_ESTIMATORS = [cls for cls in ESTIMATORS if cls().__sklearn_tags__().input_tags.string]
NUMERIC_ESTIMATORS = [cls for cls in ESTIMATORS if cls not in TEXT_ESTIMATORS]


def test_the_search_finds_the_known_estimators():
    assert {cls.__name__ for cls in TEXT_ESTIMATORS} >= {
        "LemmaTfidfVectorizer",
        "LexiconCues",
        "SpacyLemmatizer",
        *MODEL_FIXTURES,
    }
    assert {cls.__name__ for cls in NUMERIC_ESTIMATORS} >= {"GroupedTemperatureScaling"}


@parametrize_with_checks([cls() for cls in NUMERIC_ESTIMATORS])
def test_numeric_estimators_pass_all_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [check_no_attributes_set_in_init, check_get_params_invariance, check_set_params],
    ids=lambda check: check.__name__,
)
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_sklearn_api_checks(cls, check):
    check(cls.__name__, cls())


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_default_constructible(cls):
    check_parameters_default_constructible(cls.__name__, cls())


def _dense(matrix) -> np.ndarray:
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


# Estimators that load a model get a tiny one built by a fixture (skipped without their extra).
MODEL_FIXTURES = {"StaticEmbedding": "tiny_static_model", "SentenceEmbedding": "tiny_sentence_model"}


@pytest.mark.parametrize("cls", TEXT_ESTIMATORS, ids=lambda cls: cls.__name__)
def test_fit_transform_contract_on_text(cls, request):
    fixture = MODEL_FIXTURES.get(cls.__name__)
    estimator = cls(model=str(request.getfixturevalue(fixture))) if fixture else cls()
    if estimator.__sklearn_tags__().requires_fit:
        with pytest.raises(NotFittedError):
            estimator.transform(TEXTS)
    assert estimator.fit(TEXTS) is estimator
    out = estimator.transform(TEXTS)
    assert (out.shape[0] if sp.issparse(out) else len(out)) == len(TEXTS)
    again = pickle.loads(pickle.dumps(estimator)).transform(TEXTS)
    refit = clone(estimator).fit(TEXTS).transform(TEXTS)
    if isinstance(out, list):
        assert again == out and refit == out
    else:
        np.testing.assert_array_equal(_dense(again), _dense(out))
        np.testing.assert_array_equal(_dense(refit), _dense(out))
