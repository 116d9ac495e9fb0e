"""Saturation fractions: per unit, the share of steps in the bottom or top 10% of the gate's range."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.introspect.saturation import saturation_fractions, thresholds


def test_thresholds_are_ten_percent_from_each_end() -> None:
    assert thresholds((0.0, 1.0)) == pytest.approx((0.1, 0.9))
    assert thresholds((-1.0, 1.0)) == pytest.approx((-0.8, 0.8))


def test_fractions_equal_a_count_per_unit() -> None:
    values = np.array([[0.05, 0.5, 0.95],
                       [0.05, 0.95, 0.5],
                       [0.5, 0.05, 0.95],
                       [0.1, 0.9, 0.99]])  # (N=4, H=3); 0.1 and 0.9 are on the thresholds: not saturated
    low, high = saturation_fractions(values, (0.0, 1.0))
    np.testing.assert_allclose(low, [0.5, 0.25, 0.0])
    np.testing.assert_allclose(high, [0.0, 0.25, 0.75])
    assert np.all(low + high <= 1.0)


def test_random_tanh_values_match_numpy() -> None:
    values = np.random.default_rng(0).uniform(-1, 1, size=(50, 7))
    low, high = saturation_fractions(values, (-1.0, 1.0))
    np.testing.assert_allclose(low, [(values[:, j] < -0.8).sum() / 50 for j in range(7)])
    np.testing.assert_allclose(high, [(values[:, j] > 0.8).sum() / 50 for j in range(7)])


def test_no_steps_give_zeros() -> None:
    low, high = saturation_fractions(np.zeros((0, 4)), (0.0, 1.0))
    assert low.shape == high.shape == (4,) and not low.any() and not high.any()
