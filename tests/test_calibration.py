"""Grouped temperature scaling: the temperature can be fitted on a chosen part of the training units."""

import numpy as np
import pytest

from framing.model.calibration import MIN_CALIBRATION_UNITS, GroupedTemperatureScaling


def _data(seed: int = 0):
    """Two parts: the first separable (a confident model is right), the second noisy (labels flipped)."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], 100)
    X = rng.normal(size=(200, 3)) + y[:, None] * 2.0  # noqa: N806
    noisy = rng.random(200) < 0.5
    y_observed = np.where(noisy & (rng.random(200) < 0.6), 1 - y, y)
    groups = np.arange(200) // 4
    return X, y_observed, groups, ~noisy


def test_the_temperature_is_fitted_on_the_chosen_units_only():
    X, y, groups, clean = _data()  # noqa: N806
    everything = GroupedTemperatureScaling(n_splits=3).fit(X, y, groups=groups)
    on_clean = GroupedTemperatureScaling(n_splits=3).fit(X, y, groups=groups, calibrate_on=clean)
    on_noisy = GroupedTemperatureScaling(n_splits=3).fit(X, y, groups=groups, calibrate_on=~clean)
    assert on_clean.temperature_ < everything.temperature_ < on_noisy.temperature_
    # the folds and the classifier do not change: the same out-of-fold ranking, the same labels
    assert (on_clean.predict(X) == everything.predict(X)).all()
    assert on_clean.out_of_fold_.shape == everything.out_of_fold_.shape == (200, 2)


def test_too_few_chosen_units_fall_back_to_all():
    X, y, groups, _ = _data()  # noqa: N806
    few = np.zeros(200, dtype=bool)
    few[: MIN_CALIBRATION_UNITS - 1] = True
    everything = GroupedTemperatureScaling(n_splits=3).fit(X, y, groups=groups)
    fallback = GroupedTemperatureScaling(n_splits=3).fit(X, y, groups=groups, calibrate_on=few)
    assert fallback.temperature_ == pytest.approx(everything.temperature_)
