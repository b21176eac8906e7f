"""Temperature scaling fitted on out-of-fold scores grouped by document, so calibration never leaks.

scikit-learn's ``CalibratedClassifierCV`` draws its calibration folds without
groups, so sentences of one document sit on both sides and the temperature is
fitted on over-confident scores. :class:`GroupedTemperatureScaling` gets the
out-of-fold probabilities from ``cross_val_predict`` with
``StratifiedGroupKFold`` over the ``groups`` passed to ``fit`` (in a pipeline:
``pipeline.fit(X, y, classifier__groups=groups)``), fits one temperature to
them by maximum likelihood, then fits the classifier on all the data. Like any
temperature, it never changes which label is most probable. The calibrated
out-of-fold probabilities stay in ``out_of_fold_`` (``None`` without
calibration): share corrections learn the classifier's errors from them.
``main_set`` (a boolean mask passed to ``fit``) marks the units of the main,
real-text set when other labelled sets (text written for training) join it:
the temperature is fitted on those units only (how many:
``calibration_units_``; the folds still hold every unit), and every other unit
weighs ``extra_weight`` in the fits.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

LOG_FLOOR = 1e-12
MIN_CALIBRATION_UNITS = 30
"""Fewer units than this in ``main_set``: the temperature is fitted on every unit instead."""


def fit_temperature(probabilities: np.ndarray, targets: np.ndarray) -> float:
    """The temperature ``T`` minimising the log loss of ``softmax(log p / T)`` for class indices ``targets``.

    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]])
    >>> 0.05 <= fit_temperature(p, np.array([0, 1, 1])) <= 20
    True
    """
    logits = np.log(np.clip(probabilities, LOG_FLOOR, None))
    rows = np.arange(len(targets))

    def loss(log_t: float) -> float:
        return float(-log_softmax(logits / np.exp(log_t), axis=1)[rows, targets].mean())

    return float(np.exp(minimize_scalar(loss, bounds=(np.log(0.05), np.log(20.0)), method="bounded").x))


class GroupedTemperatureScaling(ClassifierMixin, BaseEstimator):
    """A probabilistic classifier whose probabilities are temperature-scaled on grouped out-of-fold scores.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``; default a logistic regression.
    n_splits : calibration folds (fewer when there are fewer groups; 1 fits no temperature).
    random_state : seed of the fold assignment.
    extra_weight : sample weight of each unit outside ``main_set`` (those inside weigh 1).

    """

    def __init__(
        self,
        estimator: BaseEstimator | None = None,
        n_splits: int = 3,
        random_state: int = 0,
        extra_weight: float = 1.0,
    ):
        self.estimator = estimator
        self.n_splits = n_splits
        self.random_state = random_state
        self.extra_weight = extra_weight

    def __setstate__(self, state: dict) -> None:
        """Models saved before ``extra_weight`` existed weighed every unit alike."""
        super().__setstate__({"extra_weight": 1.0, **state})

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit(self, X, y, groups=None, main_set=None) -> GroupedTemperatureScaling:  # noqa: N803
        """Fit the temperature on out-of-fold probabilities grouped by ``groups``, then the classifier.

        ``main_set``: a boolean mask of the real-text units. Their out-of-fold probabilities fit
        the temperature (all units' when ``None`` or when it selects fewer than
        :data:`MIN_CALIBRATION_UNITS`); the other units weigh ``extra_weight`` in the fits.
        """
        X, y = validate_data(self, X, y, accept_sparse=True)  # noqa: N806
        check_classification_targets(y)
        base = self.estimator if self.estimator is not None else LogisticRegression()
        self.classes_, targets = np.unique(y, return_inverse=True)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        n_splits = min(self.n_splits, len(np.unique(groups)))
        main = np.ones(len(y), dtype=bool) if main_set is None else np.asarray(main_set, dtype=bool)
        weights = None if self.extra_weight == 1.0 else np.where(main, 1.0, float(self.extra_weight))
        self.temperature_ = 1.0
        self.out_of_fold_ = None
        self.calibration_units_ = 0
        # One thread per fit: these problems are small, and scikit-learn's OpenMP loss threads
        # oversubscribe the cores (20x slower here) when folds are fitted in parallel.
        with threadpool_limits(limits=1):
            if n_splits >= 2 and len(self.classes_) >= 2:
                folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
                held_out = cross_val_predict(
                    clone(base),
                    X,
                    y,
                    groups=groups,
                    cv=folds,
                    method="predict_proba",
                    params={"sample_weight": weights},
                )
                rows = main
                if rows.sum() < MIN_CALIBRATION_UNITS:
                    rows = np.ones(len(y), dtype=bool)
                self.temperature_ = fit_temperature(held_out[rows], targets[rows])
                self.calibration_units_ = int(rows.sum())
                self.out_of_fold_ = self._scale(held_out)
            self.estimator_ = clone(base).fit(X, y, sample_weight=weights)
        return self

    def predict_proba(self, X) -> np.ndarray:  # noqa: N803
        """Temperature-scaled probabilities, columns in ``classes_`` order."""
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, accept_sparse=True, reset=False)  # noqa: N806
        return self._scale(self.estimator_.predict_proba(X))

    def _scale(self, probabilities: np.ndarray) -> np.ndarray:
        return softmax(np.log(np.clip(probabilities, LOG_FLOOR, None)) / self.temperature_, axis=1)

    def predict(self, X) -> np.ndarray:  # noqa: N803
        """The most probable class (the same as the uncalibrated classifier's)."""
        check_is_fitted(self, "estimator_")
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
