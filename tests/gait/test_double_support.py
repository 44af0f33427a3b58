"""Tests for biomech.gait.double_support (smooth transition assumption, Ren et al. 2008)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from biomech.errors import BiomechError
from biomech.gait.double_support import (
    COMPONENTS,
    DoubleSupport,
    cop_and_free_moment,
    ren_anteroposterior,
    ren_exponential,
    split_grf,
    transition_shares,
)

T_STRIKE = 0.50
T_TOE_OFF = 0.62
EPS = np.finfo(float).eps


def _walking_like_total(t: np.ndarray) -> np.ndarray:
    """A smooth whole-body load with all three components non-zero (N)."""
    fx = 60.0 * np.sin(2.0 * np.pi * t / 1.1)
    fy = 700.0 + 150.0 * np.cos(4.0 * np.pi * t / 1.1)
    fz = 20.0 * np.sin(2.0 * np.pi * t / 1.1 + 0.3)
    return np.column_stack([fx, fy, fz])


# ---------------------------------------------------------------- transition functions
@pytest.mark.parametrize("component", COMPONENTS)
@pytest.mark.parametrize("exact_end", [False, True])
def test_shares_sum_to_one(component: str, exact_end: bool) -> None:
    t = np.linspace(0.3, 0.8, 1001)
    trailing, leading = transition_shares(t, T_STRIKE, T_TOE_OFF, component=component, exact_end=exact_end)
    assert trailing.shape == leading.shape == t.shape
    np.testing.assert_allclose(trailing + leading, 1.0, rtol=0, atol=2 * EPS)


@pytest.mark.parametrize("component", COMPONENTS)
def test_trailing_share_is_one_at_strike_and_zero_at_toe_off(component: str) -> None:
    trailing, _ = transition_shares(
        np.array([T_STRIKE - 0.01, T_STRIKE, T_TOE_OFF, T_TOE_OFF + 0.01]),
        T_STRIKE,
        T_TOE_OFF,
        component=component,
        exact_end=True,
    )
    np.testing.assert_allclose(trailing, [1.0, 1.0, 0.0, 0.0], rtol=0, atol=2 * EPS)


def test_published_functions_end_values() -> None:
    # Exponential STA: exp(-8) left at toe-off as published; anteroposterior: 0 to rounding.
    assert float(ren_exponential(1.0)) == pytest.approx(math.exp(-8.0), rel=1e-15)
    assert abs(float(ren_anteroposterior(1.0))) < 4 * EPS
    assert float(ren_exponential(0.0)) == 1.0
    assert float(ren_anteroposterior(0.0)) == pytest.approx(1.0, abs=2 * EPS)
    trailing, _ = transition_shares(T_TOE_OFF, T_STRIKE, T_TOE_OFF, component="vertical")
    assert float(trailing) == pytest.approx(math.exp(-8.0), rel=1e-15)


@pytest.mark.parametrize("component", ["vertical", "mediolateral", "moment"])
def test_exponential_share_leaves_the_strike_with_zero_slope(component: str) -> None:
    t_ds = T_TOE_OFF - T_STRIKE
    h = 1e-4 * t_ds
    trailing, _ = transition_shares(
        np.array([T_STRIKE, T_STRIKE + h]), T_STRIKE, T_TOE_OFF, component=component
    )
    slope = (trailing[1] - trailing[0]) / h  # 1/s; exact value -24 h^2 / T^3 ~ -1e-6
    assert abs(slope) < 1e-5
    # And it is continuous with the single-support value (1) before the strike.
    assert trailing[0] == 1.0


def test_anteroposterior_share_first_rises_above_one() -> None:
    tau = np.linspace(0.0, 1.0, 20001)
    f = ren_anteroposterior(tau)
    k = int(np.argmax(f))
    assert f[k] == pytest.approx(1.4745, abs=1e-3)
    assert 0.30 < tau[k] < 0.33
    assert f[1] > f[0]  # positive slope at the strike
    assert np.all(np.diff(f[k:]) < 0)  # then falls monotonically to zero


def test_exponential_share_decreases_monotonically() -> None:
    f = ren_exponential(np.linspace(0.0, 1.0, 1001))
    assert np.all(np.diff(f) <= 0)


def test_transition_shares_rejects_toe_off_before_strike() -> None:
    with pytest.raises(BiomechError, match="must come after"):
        transition_shares(0.5, 0.6, 0.6)
    with pytest.raises(BiomechError, match="component"):
        transition_shares(0.5, 0.4, 0.6, component="sideways")  # type: ignore[arg-type]


# ---------------------------------------------------------------- split_grf
INTERVALS = [
    DoubleSupport(0.10, 0.22, "l"),
    DoubleSupport(0.65, 0.77, "r"),
    DoubleSupport(1.20, 1.32, "l"),
]


@pytest.mark.parametrize("scaling", ["current_total", "value_at_strike"])
@pytest.mark.parametrize("exact_end", [False, True])
def test_split_preserves_the_total(scaling: str, exact_end: bool) -> None:
    t = np.linspace(0.0, 1.5, 1501)
    total = _walking_like_total(t)
    moment = np.column_stack([-0.1 * total[:, 1], 3.0 + 0.01 * total[:, 0], 0.4 * total[:, 1]])
    split = split_grf(
        total,
        t,
        INTERVALS,
        total_moment_nm=moment,
        scaling=scaling,
        exact_end=exact_end,  # type: ignore[arg-type]
    )
    scale = np.abs(total).max()
    assert np.abs(split.force_n["r"] + split.force_n["l"] - total).max() <= 4 * EPS * scale
    assert split.moment_nm is not None
    mscale = np.abs(moment).max()
    assert np.abs(split.moment_nm["r"] + split.moment_nm["l"] - moment).max() <= 4 * EPS * mscale


def test_single_support_gives_all_to_the_stance_foot() -> None:
    t = np.linspace(0.0, 1.5, 1501)
    total = _walking_like_total(t)
    split = split_grf(total, t, INTERVALS)
    # Before the first interval the trailing foot of that interval ("r") is in stance; after each
    # interval its leading foot is.
    stance_r = (t < 0.10) | ((t > 0.77) & (t < 1.20))
    stance_l = ((t > 0.22) & (t < 0.65)) | (t > 1.32)
    np.testing.assert_array_equal(split.force_n["r"][stance_r], total[stance_r])
    np.testing.assert_array_equal(split.force_n["l"][stance_r], 0.0)
    np.testing.assert_array_equal(split.force_n["l"][stance_l], total[stance_l])
    np.testing.assert_array_equal(split.force_n["r"][stance_l], 0.0)
    assert not np.any(split.in_double_support[stance_r | stance_l])
    assert np.all(np.isnan(split.trailing_share["vertical"][stance_r | stance_l]))


def test_double_support_follows_the_published_shares() -> None:
    t = np.linspace(0.0, 1.5, 1501)
    total = _walking_like_total(t)
    split = split_grf(total, t, INTERVALS)
    ds = (t >= 0.65) & (t <= 0.77)  # leading "r", trailing "l"
    tau = (t[ds] - 0.65) / 0.12
    np.testing.assert_allclose(split.force_n["l"][ds, 1], ren_exponential(tau) * total[ds, 1], rtol=1e-14)
    np.testing.assert_allclose(split.force_n["l"][ds, 0], ren_anteroposterior(tau) * total[ds, 0], rtol=1e-14)
    np.testing.assert_allclose(split.force_n["l"][ds, 2], ren_exponential(tau) * total[ds, 2], rtol=1e-14)
    # At the strike the trailing foot still carries everything.
    k = int(np.flatnonzero(ds)[0])
    np.testing.assert_allclose(split.force_n["l"][k], total[k], rtol=1e-14)
    np.testing.assert_allclose(split.force_n["r"][k], 0.0, atol=1e-12)


def test_value_at_strike_scaling_decays_the_strike_load() -> None:
    t = np.linspace(0.0, 1.5, 1501)
    total = _walking_like_total(t)
    split = split_grf(total, t, INTERVALS, scaling="value_at_strike")
    ds = (t >= 0.65) & (t <= 0.77)
    tau = (t[ds] - 0.65) / 0.12
    fy_strike = np.interp(0.65, t, total[:, 1])
    np.testing.assert_allclose(split.force_n["l"][ds, 1], ren_exponential(tau) * fy_strike, rtol=1e-13)


def test_first_stance_and_no_interval() -> None:
    t = np.linspace(0.0, 1.0, 11)
    total = _walking_like_total(t)
    split = split_grf(total, t, [], first_stance="l")
    np.testing.assert_array_equal(split.force_n["l"], total)
    np.testing.assert_array_equal(split.force_n["r"], 0.0)
    with pytest.raises(BiomechError, match="first_stance"):
        split_grf(total, t, [])


@pytest.mark.parametrize(
    ("intervals", "message"),
    [
        ([(0.2, 0.1, "r")], "must come after"),
        ([(0.1, 0.3, "r"), (0.25, 0.4, "l")], "overlap"),
        ([(0.1, 0.2, "r"), (0.5, 0.6, "r")], "alternate"),
        ([(0.1, 0.2, "x")], "'r' or 'l'"),
        ([(0.1, 0.2)], "strike_s, toe_off_s, leading"),
    ],
)
def test_split_grf_rejects_bad_intervals(intervals: list, message: str) -> None:
    t = np.linspace(0.0, 1.0, 11)
    with pytest.raises(BiomechError, match=message):
        split_grf(_walking_like_total(t), t, intervals)


def test_split_grf_rejects_bad_shapes() -> None:
    t = np.linspace(0.0, 1.0, 11)
    with pytest.raises(BiomechError, match="shape"):
        split_grf(np.zeros((10, 3)), t, INTERVALS)
    with pytest.raises(BiomechError, match="increasing"):
        split_grf(np.zeros((11, 3)), t[::-1], INTERVALS)


# ---------------------------------------------------------------- centre of pressure
def test_cop_and_free_moment_recovers_a_known_load() -> None:
    rng = np.random.default_rng(3)
    n = 50
    force = np.column_stack([rng.normal(0, 80, n), rng.uniform(200, 900, n), rng.normal(0, 30, n)])
    h = 0.012
    cop = np.column_stack([rng.uniform(-0.2, 0.4, n), np.full(n, h), rng.uniform(-0.1, 0.1, n)])
    free = np.column_stack([np.zeros(n), rng.normal(0, 5, n), np.zeros(n)])
    moment = np.cross(cop, force) + free
    cop_back, free_back = cop_and_free_moment(force, moment, floor_height_m=h)
    np.testing.assert_allclose(cop_back, cop, atol=1e-12)
    np.testing.assert_allclose(free_back, free, atol=1e-10)


def test_cop_is_nan_without_vertical_load() -> None:
    force = np.array([[0.0, 0.0, 0.0], [10.0, 500.0, 0.0]])
    moment = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 50.0]])
    cop, free = cop_and_free_moment(force, moment)
    assert np.all(np.isnan(cop[0])) and np.all(np.isnan(free[0]))
    np.testing.assert_allclose(cop[1], [0.1, 0.0, 0.0])


def test_single_support_cop_from_split_moment_is_the_true_cop() -> None:
    t = np.linspace(0.0, 1.5, 301)
    total = _walking_like_total(t)
    true_cop = np.column_stack([0.05 + 0.2 * t, np.zeros_like(t), np.full_like(t, 0.08)])
    moment = np.cross(true_cop, total)
    split = split_grf(total, t, INTERVALS, total_moment_nm=moment)
    assert split.moment_nm is not None
    single_r = (t > 0.77) & (t < 1.20)
    cop_r, free_r = cop_and_free_moment(split.force_n["r"][single_r], split.moment_nm["r"][single_r])
    np.testing.assert_allclose(cop_r, true_cop[single_r], atol=1e-12)
    np.testing.assert_allclose(free_r[:, 1], 0.0, atol=1e-10)
