"""Tests for biomech.gait.cycles on synthetic signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from biomech.errors import BiomechError
from biomech.gait import (
    FootLoad,
    Motion,
    cut_cycles,
    cycle_pct,
    detect_strikes,
    mean_sd,
    stack_cycles,
    time_normalise,
)

PERIOD_S = 0.8


def sine(t: np.ndarray) -> np.ndarray:
    return np.sin(2.0 * np.pi * t / PERIOD_S)


# ---------------------------------------------------------------- cut_cycles
def test_cut_cycles_pairs_consecutive_strikes_inside_the_data() -> None:
    time_s = np.linspace(0.0, 3.0, 301)
    strikes = [2.5, np.nan, -0.2, 0.5, 1.5, 3.5]
    assert cut_cycles(time_s, strikes) == [(0.5, 1.5), (1.5, 2.5)]
    assert cut_cycles(time_s, [0.1, 0.5, 1.7], max_duration_s=1.0) == [(0.1, 0.5)]
    assert cut_cycles(time_s, [0.1, 0.5, 1.7], min_duration_s=1.0) == [(0.5, 1.7)]
    assert cut_cycles(time_s, [1.0]) == []


# ---------------------------------------------------------------- time_normalise
def test_time_normalise_linear_hits_samples_exactly() -> None:
    # 100 samples per period and strikes on samples: each normalised point is a sample, so linear
    # interpolation returns the sine itself (to rounding).
    time_s = np.arange(0, 401) * PERIOD_S / 100.0
    values = sine(time_s)
    out = time_normalise(time_s, values, PERIOD_S, 2 * PERIOD_S)
    assert out.shape == (101,)
    np.testing.assert_allclose(out, np.sin(2.0 * np.pi * cycle_pct() / 100.0), atol=1e-12)


@pytest.mark.parametrize(("kind", "atol"), [("linear", 2e-4), ("cubic", 1e-7)])
def test_time_normalise_off_grid_matches_analytic(kind: str, atol: float) -> None:
    # 1 kHz samples, cycle boundaries between samples. Linear error <= h^2 w^2 / 8 ~ 8e-6 * 62;
    # the cubic spline error is far smaller.
    time_s = np.arange(0.0, 3.0, 1e-3)
    start = 0.12345
    out = time_normalise(time_s, sine(time_s), start, start + PERIOD_S, kind=kind)
    expected = sine(start + cycle_pct() / 100.0 * PERIOD_S)
    np.testing.assert_allclose(out, expected, atol=atol)


def test_time_normalise_keeps_trailing_dims_and_validates() -> None:
    time_s = np.linspace(0.0, 1.0, 11)
    values = np.stack([time_s, 2 * time_s], axis=1)[:, :, None] * np.ones(3)
    out = time_normalise(time_s, values, 0.0, 1.0, n_points=5)
    assert out.shape == (5, 2, 3)
    np.testing.assert_allclose(out[:, 1, 2], [0.0, 0.5, 1.0, 1.5, 2.0])
    with pytest.raises(ValueError, match="outside the data"):
        time_normalise(time_s, values, 0.5, 1.5)
    with pytest.raises(ValueError, match="must be after"):
        time_normalise(time_s, values, 0.5, 0.5)


def test_time_normalise_linear_keeps_nan_local() -> None:
    time_s = np.arange(0.0, 1.01, 0.01)
    values = time_s.copy()
    values[50] = np.nan
    out = time_normalise(time_s, values, 0.0, 1.0)
    assert np.isnan(out[50]) and np.isnan(out).sum() == 1


# ---------------------------------------------------------------- stack_cycles, mean_sd
def test_stack_cycles_array() -> None:
    time_s = np.arange(0.0, 4.0, 1e-3)
    values = np.stack([sine(time_s), 3.0 * sine(time_s)], axis=1)
    strikes = np.arange(4) * PERIOD_S + 0.1
    stacked = stack_cycles(
        values, strikes, time_s=time_s, coords={"channel": ["a", "b"]}, units="N", kind="cubic"
    )
    assert stacked.dims == ("cycle", "cycle_pct", "channel")
    assert stacked.shape == (3, 101, 2)
    assert stacked.attrs["units"] == "N"
    assert stacked["cycle_pct"].attrs["units"] == "%"
    np.testing.assert_allclose(stacked["cycle_start_s"], strikes[:3])
    expected = sine(0.1 + cycle_pct() / 100.0 * PERIOD_S)
    np.testing.assert_allclose(stacked.sel(channel="b").isel(cycle=2), 3.0 * expected, atol=1e-7)

    summary = mean_sd(stacked)
    assert isinstance(summary, xr.Dataset) and summary.attrs["n_cycles"] == 3
    np.testing.assert_allclose(summary["mean"].sel(channel="a"), expected, atol=1e-7)
    np.testing.assert_allclose(summary["sd"], 0.0, atol=1e-7)
    assert summary["mean"].attrs["units"] == "N"


def test_mean_sd_known_values() -> None:
    # Cycles scaled by 1, 2 and 3: mean 2x, sample SD 1x the base curve (ddof=1).
    base = np.sin(np.linspace(0.0, np.pi, 101))
    stacked = xr.DataArray(
        np.stack([base, 2 * base, 3 * base]), dims=("cycle", "cycle_pct"), attrs={"units": "rad"}
    )
    summary = mean_sd(stacked)
    np.testing.assert_allclose(summary["mean"], 2 * base, atol=1e-12)
    np.testing.assert_allclose(summary["sd"], base, atol=1e-12)
    single = mean_sd(stacked.isel(cycle=[0]))
    assert np.isnan(single["sd"]).all() and single.attrs["n_cycles"] == 1


def test_stack_cycles_motion_uses_events_and_units() -> None:
    time_s = np.arange(0.0, 2.5, 0.005)
    q = np.column_stack([0.2 * sine(time_s), 1.5 * time_s])
    force = np.zeros((time_s.size, 3))
    force[:, 1] = 700.0 + 100.0 * sine(time_s)
    load = FootLoad("calcn_r", force, np.zeros_like(force), np.zeros_like(force))
    motion = Motion.from_coordinates(
        time_s,
        ["hip_flexion_r", "pelvis_tx"],
        q,
        [True, False],
        loads={"r": load},
        events={"foot_strike_r": np.array([0.2, 1.0, 1.8])},
    )
    stacked = stack_cycles(motion, "r")
    assert stacked.dims == ("cycle", "cycle_pct", "coordinate")
    assert stacked.shape == (2, 101, 2)
    assert list(stacked["unit"].values) == ["rad", "m"]
    assert "see coordinate 'unit'" in stacked.attrs["units"]
    np.testing.assert_allclose(
        stacked.sel(coordinate="hip_flexion_r").mean("cycle"),
        0.2 * sine(0.2 + cycle_pct() / 100.0 * PERIOD_S),
        atol=1e-3,  # linear interpolation at 5 ms spacing
    )
    grf = stack_cycles(motion, "r", quantity="force_n")
    assert grf.dims == ("cycle", "cycle_pct", "axis") and grf.attrs["units"] == "N"
    speeds = stack_cycles(motion, [0.2, 1.0], quantity="qd")
    assert speeds.sizes["cycle"] == 1
    with pytest.raises(BiomechError, match="no events"):
        stack_cycles(motion, "l")
    with pytest.raises(BiomechError, match="no complete cycle"):
        stack_cycles(motion, [0.2, 3.0])


# ---------------------------------------------------------------- detect_strikes
def half_sine_grf(
    time_s: np.ndarray, strikes: np.ndarray, stance_s: float, peak_n: float
) -> np.ndarray:
    force = np.zeros_like(time_s)
    for start in strikes:
        inside = (time_s >= start) & (time_s <= start + stance_s)
        force[inside] = peak_n * np.sin(np.pi * (time_s[inside] - start) / stance_s)
    return force


def expected_events(
    strikes: np.ndarray, stance_s: float, peak_n: float, threshold_n: float
) -> tuple[np.ndarray, np.ndarray]:
    # Analytic crossings of peak * sin(pi t / stance) = threshold.
    delay = stance_s / np.pi * np.arcsin(threshold_n / peak_n)
    return strikes + delay, strikes + stance_s - delay


def test_detect_strikes_half_sine_known_times() -> None:
    time_s = np.arange(0.0, 3.0, 1e-3)
    strikes = np.array([0.1234, 0.9234, 1.7234])
    force = half_sine_grf(time_s, strikes, stance_s=0.25, peak_n=2000.0)
    events = detect_strikes(time_s, force, threshold_n=20.0)
    on, off = expected_events(strikes, 0.25, 2000.0, 20.0)
    # Linear interpolation near the crossings of a sine sampled at 1 kHz: error << 1e-5 s.
    np.testing.assert_allclose(events.foot_strike_s, on, atol=1e-5)
    np.testing.assert_allclose(events.toe_off_s, off, atol=1e-5)


def test_detect_strikes_ignores_noise() -> None:
    rng = np.random.default_rng(3)
    time_s = np.arange(0.0, 2.0, 1e-3)
    strikes = np.array([0.2, 1.0])
    force = half_sine_grf(time_s, strikes, stance_s=0.3, peak_n=1500.0)
    force += rng.normal(scale=2.0, size=time_s.size)  # plate noise below the band
    force[(time_s > 0.7) & (time_s < 0.71)] = 300.0  # 10 ms spike in swing
    force[(time_s > 1.15) & (time_s < 1.16)] = 0.0  # 10 ms drop-out in stance
    events = detect_strikes(time_s, force, threshold_n=20.0)
    on, off = expected_events(strikes, 0.3, 1500.0, 20.0)
    np.testing.assert_allclose(events.foot_strike_s, on, atol=2e-3)  # noise shifts crossings
    np.testing.assert_allclose(events.toe_off_s, off, atol=2e-3)


def test_detect_strikes_edges_and_hysteresis() -> None:
    time_s = np.arange(0.0, 1.0, 1e-3)
    # Starts in contact (no strike for it), ends in contact (no toe off for the last stance).
    force = np.where((time_s < 0.3) | (time_s >= 0.6), 800.0, 0.0)
    events = detect_strikes(time_s, force)
    # Steps between samples: the 20 N crossing lies 20/800 of a sample after 0.599 s (rise) and
    # 780/800 of a sample after 0.299 s (fall).
    np.testing.assert_allclose(events.foot_strike_s, [0.599 + 1e-3 * 20.0 / 800.0])
    np.testing.assert_allclose(events.toe_off_s, [0.299 + 1e-3 * 780.0 / 800.0])
    # Chatter around the threshold inside the hysteresis band never toggles contact.
    chatter = np.where(time_s < 0.1, 0.0, 20.0 + 4.0 * np.sign(np.sin(2 * np.pi * 50 * time_s)))
    empty = detect_strikes(time_s, chatter, hysteresis_n=10.0)
    assert empty.foot_strike_s.size == 0 and empty.toe_off_s.size == 0
    # Without the band (and without minimum durations) the same chatter toggles 90 times.
    raw = detect_strikes(time_s, chatter, hysteresis_n=0.0, min_stance_s=0.0, min_swing_s=0.0)
    assert raw.foot_strike_s.size == 45
    with pytest.raises(ValueError, match="NaN"):
        detect_strikes(time_s, np.full(time_s.size, np.nan))
