"""Grouped temperature scaling: the temperature is fitted on the main set, other units can weigh less."""

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
    on_clean = GroupedTemperatureScaling(n_splits=3).fit(X, y, groups=groups, main_set=clean)
    on_noisy = GroupedTemperatureScaling(n_splits=3).fit(X, y, groups=groups, main_set=~clean)
    assert on_clean.temperature_ < everything.temperature_ < on_noisy.temperature_
    # the folds and the classifier do not change: the same out-of-fold ranking, the same labels
    assert (on_clean.predict(X) == everything.predict(X)).all()
    assert on_clean.out_of_fold_.shape == everything.out_of_fold_.shape == (200, 2)


def test_too_few_chosen_units_fall_back_to_all():
    X, y, groups, _ = _data()  # noqa: N806
    few = np.zeros(200, dtype=bool)
    few[: MIN_CALIBRATION_UNITS - 1] = True
    everything = GroupedTemperatureScaling(n_splits=3).fit(X, y, groups=groups)
    fallback = GroupedTemperatureScaling(n_splits=3).fit(X, y, groups=groups, main_set=few)
    assert fallback.temperature_ == pytest.approx(everything.temperature_)


def test_extra_weight_lets_the_main_set_outweigh_the_other_units():
    # One feature; the main set says positive values are label 1, the (larger) other set says label 0.
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    main = np.arange(300) < 100
    y = np.where(main, x > 0, x < 0).astype(int)
    X = x[:, None]  # noqa: N806
    groups = np.arange(300) // 10
    alike = GroupedTemperatureScaling(n_splits=3).fit(X, y, groups=groups, main_set=main)
    weighed = GroupedTemperatureScaling(n_splits=3, extra_weight=0.1).fit(X, y, groups=groups, main_set=main)
    positive = np.array([[2.0]])
    assert alike.predict(positive)[0] == 0
    assert weighed.predict(positive)[0] == 1
    # without a main set every unit weighs the same, whatever extra_weight says
    unmarked = GroupedTemperatureScaling(n_splits=3, extra_weight=0.1).fit(X, y, groups=groups)
    assert unmarked.predict(positive)[0] == alike.predict(positive)[0]
