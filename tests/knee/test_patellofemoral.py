"""Tests for biomech.knee: published PF curves at hand-computed angles, both PF methods on
hand-made geometry, contact-area interpolation, the stance summary and input validation.

Expected values are computed by hand from the published fits (arithmetic in the comments); the
fits themselves are documented in ``biomech/knee/patellofemoral.py`` and ``contact_area.py``.
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import biomech.knee.contact_area as contact_area_module
import biomech.knee.patellofemoral as pf_module
from biomech.knee import (
    PatellaPath,
    PFResult,
    contact_area_beyond_data,
    contact_area_m2,
    fits_beyond_data,
    lever_arm_method,
    muscle_method,
    pa_to_mpa,
    pf_force_ratio,
    pf_from_quadriceps_and_angle,
    pf_summary,
    quadriceps_lever_arm_m,
    quadriceps_patella_resultant_n,
)

DEG = np.pi / 180.0

# LA = 8e-8 t^3 - 1.3e-5 t^2 + 2.8e-4 t + 0.046 (m, t in deg), term by term:
LA_HAND = {
    0.0: 0.046,
    30.0: 0.00216 - 0.0117 + 0.0084 + 0.046,  # 8e-8*27000, 1.3e-5*900, 2.8e-4*30 -> 0.04486
    45.0: 0.00729 - 0.026325 + 0.0126 + 0.046,  # 8e-8*91125, 1.3e-5*2025, 2.8e-4*45 -> 0.039565
    60.0: 0.01728 - 0.0468 + 0.0168 + 0.046,  # 8e-8*216000, 1.3e-5*3600 -> 0.03328
    90.0: 0.05832 - 0.1053 + 0.0252 + 0.046,  # 8e-8*729000, 1.3e-5*8100 -> 0.02422
    120.0: 0.13824 - 0.1872 + 0.0336 + 0.046,  # 8e-8*1728000, 1.3e-5*14400 -> 0.03064
}
# k = (0.462 + 0.00147 t - 3.84e-5 t^2) / (1 - 0.0162 t + 1.55e-4 t^2 - 6.98e-7 t^3):
K_HAND = {
    0.0: 0.462 / 1.0,
    # num 0.462 + 0.0441 - 0.03456; den 1 - 0.486 + 0.1395 - 0.018846 -> 0.74299
    30.0: (0.462 + 0.0441 - 0.03456) / (1 - 0.486 + 0.1395 - 0.018846),
    # num 0.462 + 0.06615 - 0.07776; den 1 - 0.729 + 0.313875 - 0.06360525 -> 0.86403
    45.0: (0.462 + 0.06615 - 0.07776) / (1 - 0.729 + 0.313875 - 0.06360525),
    # num 0.462 + 0.0882 - 0.13824; den 1 - 0.972 + 0.558 - 0.150768 -> 0.94653
    60.0: (0.462 + 0.0882 - 0.13824) / (1 - 0.972 + 0.558 - 0.150768),
    # num 0.462 + 0.1323 - 0.31104; den 1 - 1.458 + 1.2555 - 0.508842 -> 0.98130
    90.0: (0.462 + 0.1323 - 0.31104) / (1 - 1.458 + 1.2555 - 0.508842),
}


def one_line_error(excinfo: pytest.ExceptionInfo[ValueError]) -> str:
    message = str(excinfo.value)
    assert message and "\n" not in message
    return message


# ---------------------------------------------------------------- published fits
@pytest.mark.parametrize("theta_deg", sorted(LA_HAND))
def test_lever_arm_matches_hand_values(theta_deg: float) -> None:
    assert quadriceps_lever_arm_m(theta_deg * DEG) == pytest.approx(LA_HAND[theta_deg], rel=1e-12)


@pytest.mark.parametrize("theta_deg", sorted(K_HAND))
def test_force_ratio_matches_hand_values(theta_deg: float) -> None:
    assert pf_force_ratio(theta_deg * DEG) == pytest.approx(K_HAND[theta_deg], rel=1e-12)


def test_fit_values_quoted_in_literature_inputs() -> None:
    # LITERATURE_INPUTS: "about 46 mm at 0, 45 mm at 30, 33 mm at 60, 24 mm at 90 deg".
    la_mm = quadriceps_lever_arm_m(np.array([0.0, 30.0, 60.0, 90.0]) * DEG) * 1e3
    np.testing.assert_allclose(la_mm, [46.0, 45.0, 33.0, 24.0], atol=0.5)


def test_fits_are_monotonic_where_expected_and_k_positive() -> None:
    # LA rises slightly to ~12 deg, then falls to its minimum near 96 deg (dLA/dt = 0 at
    # t = (2.6e-5 +- sqrt(2.6e-5^2 - 4*2.4e-7*2.8e-4)) / 4.8e-7 = 12.1 and 96.3 deg).
    la = quadriceps_lever_arm_m(np.arange(15.0, 95.01, 0.5) * DEG)
    assert (np.diff(la) < 0).all()
    # k rises monotonically over the running stance range.
    k = pf_force_ratio(np.arange(0.0, 80.01, 0.5) * DEG)
    assert (np.diff(k) > 0).all()
    # The rational fit stays positive on its data range; the typeset variant with t^2 and t^3 in
    # the numerator, 0.462 + 0.00147 t^2 - 3.84e-5 t^3, is already negative at 45 deg
    # (0.462 + 2.976750 - 3.499200 = -0.06045).
    assert (pf_force_ratio(np.arange(0.0, 120.01, 1.0) * DEG) > 0).all()
    assert 0.462 + 0.00147 * 45.0**2 - 3.84e-5 * 45.0**3 < 0


def test_fits_are_held_beyond_120_deg_and_flagged() -> None:
    # The k denominator has a real root at 128.19 deg, so both fits hold their 120 deg values.
    theta = np.array([100.0, 120.0, 125.0, 150.0]) * DEG
    la, k = quadriceps_lever_arm_m(theta), pf_force_ratio(theta)
    assert la[2] == la[3] == pytest.approx(LA_HAND[120.0], rel=1e-12)
    assert k[2] == k[3] == pytest.approx(k[1], rel=1e-12)
    np.testing.assert_array_equal(fits_beyond_data(theta), [False, False, True, True])
    assert np.polyval(pf_module.K_DENOMINATOR, 128.19) == pytest.approx(0.0, abs=1e-4)


# ---------------------------------------------------------------- lever-arm method
def test_lever_arm_method_hand_example() -> None:
    # 30 deg, 100 N m extension: F_q = 100 / 0.04486 = 2229.16 N;
    # F_pf = 0.742987 * 2229.16 = 1656.24 N; area (male, weight bearing) = 414 * 1.24 = 513.36 mm^2;
    # stress = 1656.24 N / 513.36e-6 m^2 = 3.2263 MPa.
    res = lever_arm_method(np.array([30.0 * DEG]), np.array([100.0]))
    f_q = 100.0 / LA_HAND[30.0]
    assert res.quadriceps_force_n[0] == pytest.approx(f_q, rel=1e-12)
    assert res.pf_force_n[0] == pytest.approx(K_HAND[30.0] * f_q, rel=1e-12)
    assert res.contact_area_m2[0] == pytest.approx(414.0 * 1.24e-6, rel=1e-12)
    assert res.stress_pa[0] == pytest.approx(K_HAND[30.0] * f_q / 513.36e-6, rel=1e-12)
    assert res.stress_mpa[0] == pytest.approx(3.2263, abs=1e-4)
    assert res.method == "lever_arm" and not res.beyond_data.any()


@pytest.mark.parametrize("theta_deg", [0.0, 45.0, 60.0, 90.0])
def test_lever_arm_method_scales_with_k_over_la(theta_deg: float) -> None:
    res = lever_arm_method(theta_deg * DEG, 50.0)
    assert res.pf_force_n[0] == pytest.approx(50.0 * K_HAND[theta_deg] / LA_HAND[theta_deg], rel=1e-12)


def test_flexion_moment_gives_zero_quadriceps_and_pf_force() -> None:
    theta = np.array([10.0, 30.0, 60.0]) * DEG
    res = lever_arm_method(theta, np.array([-80.0, 0.0, 40.0]))
    assert res.quadriceps_force_n[0] == 0.0 and res.pf_force_n[0] == 0.0 and res.stress_pa[0] == 0.0
    assert res.pf_force_n[1] == 0.0
    assert res.pf_force_n[2] > 0.0
    assert (res.pf_force_n >= 0).all()


def test_result_arrays_are_read_only_and_frozen() -> None:
    res = lever_arm_method(np.array([0.2, 0.4]), np.array([10.0, 20.0]))
    assert isinstance(res, PFResult) and res.n_frames == 2
    with pytest.raises(ValueError):
        res.pf_force_n[0] = 1.0
    with pytest.raises(AttributeError):
        res.method = "muscle"  # type: ignore[misc]


def test_quadriceps_k_path_reproduces_lever_arm_method() -> None:
    theta = np.linspace(5.0, 70.0, 14) * DEG
    moment = np.linspace(20.0, 200.0, 14)
    lever = lever_arm_method(theta, moment)
    same = pf_from_quadriceps_and_angle(theta, lever.quadriceps_force_n)
    np.testing.assert_allclose(same.pf_force_n, lever.pf_force_n, rtol=1e-14)
    np.testing.assert_allclose(same.stress_pa, lever.stress_pa, rtol=1e-14)
    assert same.method == "quadriceps_k"


# ---------------------------------------------------------------- muscle method
def test_straight_path_gives_zero_pf_force() -> None:
    n = 3
    path = PatellaPath(
        before=np.tile([0.0, 0.30, 0.0], (n, 1)),
        patella_first=np.tile([0.0, 0.0, 0.0], (n, 1)),
        patella_last=np.tile([0.0, -0.01, 0.0], (n, 1)),
        after=np.tile([0.0, -0.08, 0.0], (n, 1)),
    )
    res = muscle_method(np.full(n, 20.0 * DEG), np.array([0.0, 500.0, 3000.0]), path_points=path)
    np.testing.assert_allclose(res.pf_force_n, 0.0, atol=1e-9)
    np.testing.assert_allclose(res.quadriceps_force_n, [0.0, 500.0, 3000.0])


def test_right_angle_wrap_gives_sqrt2_times_tension_2d_and_3d() -> None:
    # u_in = (0, 1), u_out = (1, 0): |u_in + u_out| = sqrt(2). The outgoing direction is taken
    # from the *last* patella point, which is offset from the first one.
    tension = np.array([1000.0, 2500.0])
    path_2d = {
        "before": [[0.0, 0.2], [0.0, 0.5]],
        "patella_first": [[0.0, 0.0], [0.0, 0.0]],
        "patella_last": [[0.01, -0.01], [0.01, -0.01]],
        "after": [[0.06, -0.01], [1.01, -0.01]],
    }
    res = muscle_method(np.array([40.0, 40.0]) * DEG, tension, path_points=path_2d)
    np.testing.assert_allclose(res.pf_force_n, tension * math.sqrt(2.0), rtol=1e-12)
    path_3d = [np.column_stack([np.asarray(p), np.full(2, 0.3)]) for p in path_2d.values()]
    vec = quadriceps_patella_resultant_n(tension, path_3d)
    np.testing.assert_allclose(vec, np.column_stack([tension, tension, np.zeros(2)]), rtol=1e-12)


def test_several_muscles_add_as_vectors() -> None:
    # Muscle 1: u_in = (0,1,0), u_out = (1,0,0) -> 300 (1,1,0); muscle 2: u_in = (0,0,1),
    # u_out = (1,0,0) -> 400 (1,0,1). Sum (700, 300, 400): |.| = sqrt(490000 + 90000 + 160000)
    # = sqrt(740000) = 860.233 N; summed tension 700 N.
    origin = np.zeros((1, 2, 3))
    before = np.array([[[0.0, 0.1, 0.0], [0.0, 0.0, 0.1]]])
    after = np.array([[[0.05, 0.0, 0.0], [0.05, 0.0, 0.0]]])
    res = muscle_method(30.0 * DEG, np.array([[300.0, 400.0]]), path_points=(before, origin, origin, after))
    assert res.pf_force_n[0] == pytest.approx(math.sqrt(740000.0), rel=1e-12)
    assert res.quadriceps_force_n[0] == pytest.approx(700.0)
    assert res.method == "muscle"


def test_muscle_method_equals_k_method_when_wrap_matches_k() -> None:
    # u_in = (sin b, cos b), u_out = (sin b, -cos b): |u_in + u_out| = 2 sin(b). With
    # sin(b) = k(45)/2 both methods give the same PF force for the same tension.
    k45 = K_HAND[45.0]
    b = math.asin(k45 / 2.0)
    path = PatellaPath(
        before=np.array([[math.sin(b), math.cos(b)]]),
        patella_first=np.zeros((1, 2)),
        patella_last=np.zeros((1, 2)),
        after=np.array([[math.sin(b), -math.cos(b)]]),
    )
    muscle = muscle_method(45.0 * DEG, np.array([1500.0]), path_points=path)
    via_k = pf_from_quadriceps_and_angle(45.0 * DEG, 1500.0)
    assert muscle.pf_force_n[0] == pytest.approx(via_k.pf_force_n[0], rel=1e-12)


# ---------------------------------------------------------------- contact area
@pytest.mark.parametrize(
    ("sex", "table_mm2"),
    [("male", (210.0, 414.0, 520.0)), ("female", (210.0, 269.0, 396.0))],
)
def test_area_at_table_points_and_weight_bearing(sex: str, table_mm2: tuple[float, ...]) -> None:
    theta = np.array([0.0, 30.0, 60.0]) * DEG
    unloaded = contact_area_m2(theta, sex=sex, weight_bearing=False) * 1e6
    loaded = contact_area_m2(theta, sex=sex, weight_bearing=True) * 1e6
    np.testing.assert_allclose(unloaded, table_mm2, rtol=1e-12)
    np.testing.assert_allclose(loaded, np.array(table_mm2) * 1.24, rtol=1e-12)  # +24 % (Besier 2005)


def test_area_interpolates_linearly_and_holds_beyond_60_deg() -> None:
    # Midpoints: male 15 deg (210 + 414) / 2 = 312; female 45 deg (269 + 396) / 2 = 332.5 mm^2.
    assert contact_area_m2(15.0 * DEG, weight_bearing=False) * 1e6 == pytest.approx(312.0)
    assert contact_area_m2(45.0 * DEG, sex="female", weight_bearing=False) * 1e6 == pytest.approx(332.5)
    theta = np.array([50.0, 60.0, 75.0, 120.0]) * DEG
    area = contact_area_m2(theta)
    assert area[2] == area[3] == area[1] == pytest.approx(520.0 * 1.24e-6)
    np.testing.assert_array_equal(contact_area_beyond_data(theta), [False, False, True, True])
    res = lever_arm_method(theta, np.full(4, 10.0))
    np.testing.assert_array_equal(res.beyond_data, [False, False, True, True])


def test_quadratic_area_fit() -> None:
    # A = 0.0781 t^2 + 0.6763 t + 151.75 mm^2: 0 -> 151.75; 30 -> 70.29 + 20.289 + 151.75 = 242.329;
    # 60 -> 281.16 + 40.578 + 151.75 = 473.488; held at 90 deg.
    theta = np.array([0.0, 30.0, 60.0, 90.0]) * DEG
    area_mm2 = contact_area_m2(theta, method="quadratic") * 1e6
    np.testing.assert_allclose(area_mm2, [151.75, 242.329, 473.488, 473.488], rtol=1e-12)


# ---------------------------------------------------------------- summary
def test_summary_of_half_sine_moment() -> None:
    # Stance 0.25 s: M = 200 sin(pi t / 0.25) N m at a constant 30 deg, then a swing with a flexion
    # moment (PF force 0). With c = k(30)/LA(30) = 0.742987 / 0.04486 = 16.5624 1/m:
    # peak F_pf = 200 c = 3312.5 N at 50 % stance; impulse = 200 c * 2 * 0.25 / pi = 527.2 N s.
    t_stance, n_stance = 0.25, 2001
    time_s = np.concatenate([np.linspace(0.0, t_stance, n_stance), np.linspace(0.26, 0.7, 45)])
    stance = time_s <= t_stance
    moment = np.where(stance, 200.0 * np.sin(np.pi * time_s / t_stance), -30.0)
    res = lever_arm_method(np.full(time_s.size, 30.0 * DEG), moment)
    bw, step = 700.0, 1.2
    out = pf_summary(time_s, res, stance, bw, step)
    c = K_HAND[30.0] / LA_HAND[30.0]
    peak = 200.0 * c
    impulse = peak * 2.0 * t_stance / np.pi
    area = 414.0 * 1.24e-6
    assert out.peak_pf_force_n == pytest.approx(peak, rel=1e-12)
    assert out.peak_pf_force_bw == pytest.approx(peak / bw, rel=1e-12)
    assert out.time_of_peak_pf_force_pct_stance == pytest.approx(50.0)
    assert out.time_of_peak_stress_pct_stance == pytest.approx(50.0)
    assert out.peak_stress_mpa == pytest.approx(peak / area * 1e-6, rel=1e-12)
    # Trapezoid error for a half sine with 2000 intervals: (pi/2000)^2 / 12 ~ 2e-7 relative.
    assert out.impulse_n_s == pytest.approx(impulse, rel=1e-6)
    assert out.impulse_bw_s == pytest.approx(impulse / bw, rel=1e-6)
    assert out.stress_integral_mpa_s == pytest.approx(impulse / area * 1e-6, rel=1e-6)
    assert out.stance_duration_s == pytest.approx(t_stance)
    # 1000 / 1.2 = 833.33 steps per km.
    assert out.steps_per_km == pytest.approx(1000.0 / 1.2)
    assert out.impulse_bw_s_per_step == out.impulse_bw_s
    assert out.impulse_bw_s_per_km == pytest.approx(impulse / bw * 1000.0 / 1.2, rel=1e-6)
    assert not out.stance_beyond_data


def test_peak_timing_on_skewed_stance() -> None:
    # Linear ramp peaking on the last-but-one sample of a 5-sample stance at t = 0.1..0.5 s:
    # peak at t = 0.4 s -> (0.4 - 0.1) / (0.5 - 0.1) = 75 % stance.
    time_s = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    stance = np.array([False, True, True, True, True, True, False])
    moment = np.array([0.0, 10.0, 20.0, 30.0, 40.0, 5.0, 0.0])
    out = pf_summary(time_s, lever_arm_method(np.full(7, 0.5), moment), stance, 600.0, 1.0)
    assert out.time_of_peak_pf_force_pct_stance == pytest.approx(75.0)


def test_pa_to_mpa() -> None:
    assert pa_to_mpa(3.5e6) == pytest.approx(3.5)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("theta", "match"),
    [
        (np.array([0.1, np.nan]), "non-finite"),
        (np.array([0.1, 151.0 * DEG]), "outside 0-150 deg"),
        (np.array([-1.0 * DEG, 0.2]), "outside 0-150 deg"),
        (np.zeros((2, 2)), "1-D"),
        ("knee", "expected knee flexion"),
    ],
)
def test_bad_theta_raises_one_line_value_error(theta: object, match: str) -> None:
    for call in (
        lambda: quadriceps_lever_arm_m(theta),
        lambda: pf_force_ratio(theta),
        lambda: contact_area_m2(theta),
        lambda: lever_arm_method(theta, np.zeros(2)),
    ):
        with pytest.raises(ValueError, match=match) as excinfo:
            call()
        one_line_error(excinfo)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"knee_extension_moment_nm": np.zeros(3)}, r"expected shape \(2,\)"),
        ({"knee_extension_moment_nm": np.array([1.0, np.inf])}, "non-finite value at index 1"),
        ({"knee_extension_moment_nm": np.zeros(2), "sex": "other"}, "sex"),
        ({"knee_extension_moment_nm": np.zeros(2), "area_method": "cubic"}, "method"),
    ],
)
def test_bad_lever_arm_inputs(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match) as excinfo:
        lever_arm_method(np.array([0.1, 0.2]), **kwargs)
    one_line_error(excinfo)


def _path(n: int = 2, d: int = 2) -> dict[str, np.ndarray]:
    base = {
        "before": [0.0, 0.2],
        "patella_first": [0.0, 0.0],
        "patella_last": [0.0, 0.0],
        "after": [0.1, 0.0],
    }
    return {k: np.tile(np.pad(v, (0, d - 2)), (n, 1)) for k, v in base.items()}


@pytest.mark.parametrize(
    ("tension", "path", "match"),
    [
        (np.array([100.0, -1.0]), _path(), "must be >= 0"),
        (np.array([100.0, np.nan]), _path(), "non-finite"),
        (np.array([100.0, 100.0, 100.0]), _path(), "expected shape"),
        (np.array([100.0, 100.0]), {**_path(), "after": np.zeros((2, 4))}, "2 or 3"),
        (np.array([100.0, 100.0]), {**_path(), "before": np.zeros((2, 2))}, "zero length"),
        (np.array([100.0, 100.0]), {"before": np.zeros((2, 2))}, "missing"),
        (np.array([100.0, 100.0]), {**_path(), "after": np.full((2, 2), np.nan)}, "non-finite"),
    ],
)
def test_bad_muscle_inputs(tension: np.ndarray, path: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match) as excinfo:
        muscle_method(np.array([0.3, 0.4]), tension, path_points=path)
    one_line_error(excinfo)


def test_muscle_frames_must_match_theta() -> None:
    with pytest.raises(ValueError, match="frames") as excinfo:
        muscle_method(np.array([0.3, 0.4, 0.5]), np.array([1.0, 2.0]), path_points=_path())
    one_line_error(excinfo)


@pytest.mark.parametrize(
    ("time_s", "stance", "bw", "step", "match"),
    [
        (np.arange(6.0), np.array([1, 1, 0, 1, 1, 0], bool), 700.0, 1.0, "contiguous"),
        (np.arange(6.0), np.array([0, 1, 0, 0, 0, 0], bool), 700.0, 1.0, "at least 2"),
        (np.arange(6.0), np.ones(6), 700.0, 1.0, "booleans"),
        (np.arange(6.0), np.ones(6, bool), 0.0, 1.0, "body_weight_n"),
        (np.arange(6.0), np.ones(6, bool), 700.0, -1.0, "step_length_m"),
        (np.arange(6.0), np.ones(6, bool), 700.0, "long", "step_length_m"),
        (np.array([0.0, 1.0, 1.0, 2.0, 3.0, 4.0]), np.ones(6, bool), 700.0, 1.0, "strictly increasing"),
        (np.arange(5.0), np.ones(5, bool), 700.0, 1.0, "time_s"),
    ],
)
def test_bad_summary_inputs(
    time_s: np.ndarray, stance: np.ndarray, bw: float, step: object, match: str
) -> None:
    res = lever_arm_method(np.full(6, 0.4), np.linspace(0.0, 50.0, 6))
    with pytest.raises(ValueError, match=match) as excinfo:
        pf_summary(time_s, res, stance, bw, step)  # type: ignore[arg-type]
    one_line_error(excinfo)


def test_docstring_examples_run() -> None:
    for module in (pf_module, contact_area_module):
        failures, _ = doctest.testmod(module)
        assert failures == 0
