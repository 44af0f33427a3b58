"""Synthesised running: the physics closes (GRF = m(a_com - g), ID pelvis residual forces vanish),
spatio-temporal outcomes in published ranges, knee angles against Hamner 2010.

Peak stance knee flexion is still ~9 deg above the Hamner 2010 reference (about 62.4 vs 53.2
deg, inside the issue's 10 deg); see README "Known gap: stance knee flexion".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biomech.errors import BiomechError
from biomech.gait import reverse
from biomech.gait.params import running_inputs
from biomech.gait.synthesis import boundary_state, swing_path, synthesise_running
from biomech.models import build, skeleton
from biomech.models.kinematics import PlanarKinematics


@pytest.fixture(scope="module")
def run():
    sk = skeleton()
    kin = PlanarKinematics.from_skeleton(sk)
    # scenario: forward running with the published defaults (3.5 m/s)
    inputs = running_inputs("forward")
    motion, report = synthesise_running(sk, inputs, kinematics=kin)
    return sk, kin, motion, report


def test_grf_is_mass_times_com_acceleration_and_zero_in_flight(run):
    sk, kin, motion, _ = run
    m, g = sk.total_mass_kg, np.array([0.0, sk.gravity_m_s2])
    a = kin.com_acceleration(motion.q, motion.qd, motion.qdd)
    total = motion.loads["r"].force_n[:, :2] + motion.loads["l"].force_n[:, :2]
    contact = np.abs(total[:, 1]) > 0
    weight = m * -sk.gravity_m_s2
    np.testing.assert_allclose(total[contact], m * (a[contact] - g), atol=1e-6 * weight)
    # flight: no force, and the COM falls freely
    assert (~contact).sum() > 10
    np.testing.assert_allclose(a[~contact], np.tile(g, ((~contact).sum(), 1)), atol=1e-6)


def test_vertical_impulse_equals_weight_times_stride_time(run):
    sk, _, motion, _ = run
    fy = motion.loads["r"].force_n[:, 1] + motion.loads["l"].force_n[:, 1]
    t = motion.time_s
    impulse = np.trapezoid(fy, t)
    weight = sk.total_mass_kg * -sk.gravity_m_s2
    assert impulse == pytest.approx(weight * (t[-1] - t[0]), rel=2e-3)  # trapezoid on 400 samples


def test_opensim_inverse_dynamics_pelvis_residual_forces_vanish(run):
    from biomech.osim.inverse import ExternalLoad, inverse_dynamics

    sk, _, motion, report = run
    model = build(contact=False)
    loads = [ExternalLoad(body=f.body, force_n=f.force_n, point_m=f.cop_m, torque_nm=f.free_moment_nm)
             for f in motion.loads.values()]
    tau = inverse_dynamics(model, list(motion.coordinate_names), motion.q, motion.qd, motion.qdd,
                           external_loads=loads)
    weight = sk.total_mass_kg * -sk.gravity_m_s2
    for name in ("pelvis_tx", "pelvis_ty"):
        residual = tau[:, motion.coordinate_names.index(name)]
        assert np.max(np.abs(residual)) < 1e-6 * weight, name
    # the residual moment is what the report says it is (CoP clamped to the foot, flight spin)
    tilt = tau[:, motion.coordinate_names.index("pelvis_tilt")]
    assert np.max(np.abs(tilt)) == pytest.approx(report.max_residual_moment_nm, rel=1e-6, abs=1e-6)


def test_foot_slip_reports_how_far_the_low_pass_moves_the_planted_heel(run):
    # the joint angles keep their harmonics up to 15 Hz (as measured kinematics are filtered
    # before inverse dynamics), which smears the touchdown impact into early stance: at foot
    # strike the heel is still short of the ground point it is planted on. The report must not
    # understate that: its slip is at least the heel's distance, at the strike, from where it
    # lies in mid foot-flat (25-40 % of stance, where the low-pass barely moves it; 2 mm slack).
    sk, kin, motion, report = run
    heel = kin.point(motion.q, "calcn_r", np.array(sk.landmarks_m["heel_r"][1]))
    t = motion.time_s
    strike, off = motion.events["foot_strike_r"][0], motion.events["toe_off_r"][0]
    flat = (t >= strike + 0.25 * (off - strike)) & (t <= strike + 0.40 * (off - strike))
    ground = np.array([heel[flat, 0].mean(), 0.0])
    at_strike = float(np.hypot(*(heel[np.argmin(np.abs(t - strike))] - ground)))
    assert report.max_foot_slip_m >= at_strike - 2e-3
    # measured 16.8 mm on the default FR stride; bounded so a worse touchdown is caught
    assert report.max_foot_slip_m < 0.025


def _lowest_swing_point_m(sk, kin, motion):
    """Lowest height (m) of either swing foot's heel or metatarsal heads, from the motion alone
    (swing: after the foot's toe-off event and before its next foot strike)."""
    lm = sk.landmarks_m
    t, period = motion.time_s, motion.time_s[-1] - motion.time_s[0]
    low = np.inf
    for side in ("r", "l"):
        strike = motion.events[f"foot_strike_{side}"][0]
        contact = motion.events[f"toe_off_{side}"][0] - strike
        contact += period if contact < 0 else 0.0
        swing = np.mod(t - strike, period) > contact + 1e-9
        for point in ("heel", "mtp"):
            y = kin.point(motion.q, f"calcn_{side}", np.array(lm[f"{point}_{side}"][1]))[:, 1]
            low = min(low, float(y[swing].min()))
    return low


def test_swing_clearance_is_what_the_motion_has_and_a_default_foot_clears_the_ground(run):
    sk, kin, motion, report = run
    # the report's clearance is the lowest swing heel / metatarsal-head height of the motion
    # (swing: from its toe-off event to its next foot strike); the default forward stride clears
    # the ground
    assert report.min_swing_clearance_m == pytest.approx(_lowest_swing_point_m(sk, kin, motion), abs=1e-9)
    assert report.min_swing_clearance_m > -1e-3
    assert not any("below the ground" in note for note in report.notes)


@pytest.fixture(scope="module")
def br_fast():
    # scenario: backward running at 3.5 m/s with the BR defaults: the time-reversed swing key
    # points let the swing forefoot pass through the ground in early swing unless corrected
    sk = skeleton()
    kin = PlanarKinematics.from_skeleton(sk)
    inputs = running_inputs("backward", speed_m_s=3.5)
    return (sk, kin, synthesise_running(sk, inputs, kinematics=kin, swing_clearance=False),
            synthesise_running(sk, inputs, kinematics=kin))


def test_a_swing_foot_through_the_ground_is_noted_with_its_depth(br_fast):
    sk, kin, (motion, report), _ = br_fast
    depth_mm = -1000 * _lowest_swing_point_m(sk, kin, motion)
    assert depth_mm > 10.0
    assert report.min_swing_clearance_m == pytest.approx(-depth_mm / 1000, abs=1e-9)
    assert report.max_clearance_correction_deg == 0.0
    notes = [n for n in report.notes if "below the ground" in n]
    assert len(notes) == 1 and f"{depth_mm:.0f} mm below the ground" in notes[0]


def test_the_clearance_correction_lifts_the_swing_foot_and_keeps_the_plan(br_fast):
    sk, kin, (raw, _), (motion, report) = br_fast
    # the swing heel and metatarsal heads stay above the ground (1 mm: the low-pass), said so
    assert _lowest_swing_point_m(sk, kin, motion) >= -1e-3
    assert report.min_swing_clearance_m == pytest.approx(_lowest_swing_point_m(sk, kin, motion), abs=1e-9)
    assert not any("below the ground" in n for n in report.notes)
    assert 1.0 < report.max_clearance_correction_deg < 30.0
    assert any("corrected so the swing foot clears the ground" in n for n in report.notes)
    # the COM plan, hence GRF and CoP, is untouched; the pelvis follows the swing leg's mass
    np.testing.assert_allclose(kin.com(motion.q), kin.com(raw.q), atol=1e-9)
    for side in ("r", "l"):
        np.testing.assert_array_equal(motion.loads[side].force_n, raw.loads[side].force_n)
    # no joint leaves the range it spans in the uncorrected stride (0.6 deg: the low-pass and the
    # stance's response to the new pelvis path), and the touchdown angles barely move
    names = list(motion.coordinate_names)
    t = motion.time_s
    strike = int(np.argmin(np.abs(t - motion.events["foot_strike_r"][1])))
    for joint in ("hip_flexion_r", "knee_angle_r", "ankle_angle_r"):
        a, b = np.degrees(raw.q[:, names.index(joint)]), np.degrees(motion.q[:, names.index(joint)])
        assert a.min() - 0.6 <= b.min() and b.max() <= a.max() + 0.6, joint
        assert abs(b[strike] - a[strike]) < 0.6, joint


def _knee(motion, side="r"):
    k = np.degrees(motion.q[:, motion.coordinate_names.index(f"knee_angle_{side}")])
    i_off = int(np.searchsorted(motion.time_s, motion.events[f"toe_off_{side}"][0]))
    return k, i_off


def test_without_the_low_pass_the_stance_foot_is_planted():
    sk = skeleton()
    motion, report = synthesise_running(
        sk, running_inputs("forward", samples_per_step=100, kinematics_cutoff_hz=1e4))
    # trigonometric interpolation of the samples without the Nyquist term (dropped so the
    # derivatives are defined): exact up to that term, which the toe-off kink makes ~1e-5 m
    assert report.max_foot_slip_m < 1e-4


def test_a_compressible_sole_sinks_the_planted_foot_by_the_hertz_law():
    # without the low-pass: the stance foot's lowest pivot (heel, metatarsal heads) is at
    # -c (F / F_peak)^(2/3) below the ground, planted there (no slip), and the mechanics still
    # close: GRF = m (a_com - g)
    sk = skeleton()
    kin = PlanarKinematics.from_skeleton(sk)
    c = 0.0113   # Kinoshita et al. 1993 heel-pad deformation
    motion, report = synthesise_running(
        sk, running_inputs("forward", samples_per_step=100, kinematics_cutoff_hz=1e4, sole_compression_m=c),
        kinematics=kin)
    assert report.max_foot_slip_m < 1e-4
    fy = motion.loads["r"].force_n[:, 1]
    stance = fy > 0
    lm = sk.landmarks_m
    heel, mtp = (kin.point(motion.q, "calcn_r", np.asarray(lm[f"{p}_r"][1]))[:, 1] for p in ("heel", "mtp"))
    expected = -c * (fy / fy.max()) ** (2.0 / 3.0)
    assert np.abs(np.minimum(heel, mtp)[stance] - expected[stance]).max() < 2e-4
    assert np.minimum(heel, mtp)[stance].min() == pytest.approx(-c, abs=2e-4)
    m, g = sk.total_mass_kg, np.array([0.0, sk.gravity_m_s2])
    a = kin.com_acceleration(motion.q, motion.qd, motion.qdd)
    total = motion.loads["r"].force_n[:, :2] + motion.loads["l"].force_n[:, :2]
    np.testing.assert_allclose(total, m * (a - g) * (np.abs(total[:, 1:]) > 0), atol=1e-6 * m * 9.81)


@pytest.mark.parametrize(("mode", "value", "expected"), [
    ("running", -0.001, "sole_compression_m: -0.001 m is below 0 m"),
    ("running", 0.05, "sole_compression_m: 0.05 m is above 0.03 m"),
    ("walking", 0.01, "sole_compression_m: running only"),
])
def test_sole_compression_bad_input(mode, value, expected):
    from biomech.gait.params import gait_inputs

    with pytest.raises(BiomechError, match=expected):
        synthesise_running(skeleton(), gait_inputs(mode, "forward", sole_compression_m=value))


def test_raising_step_rate_by_ten_percent_lowers_peak_stance_knee_flexion():
    sk = skeleton()
    kin = PlanarKinematics.from_skeleton(sk)
    base = running_inputs("forward", samples_per_step=100)
    peaks = []
    for rate in (base.step_rate_hz, 1.1 * base.step_rate_hz):
        motion, _ = synthesise_running(sk, running_inputs("forward", samples_per_step=100,
                                                          step_rate_hz=rate), kinematics=kin)
        k, i_off = _knee(motion)
        peaks.append(k[: i_off + 1].max())
    # Heiderscheit et al. 2011 (MSSE 43:296): peak knee flexion falls when step rate rises
    assert peaks[1] < peaks[0] - 1.0


def test_spatiotemporal_outcomes_in_published_ranges(run):
    sk, kin, motion, _ = run
    weight = sk.total_mass_kg * -sk.gravity_m_s2
    fy = motion.loads["r"].force_n[:, 1]
    contact = motion.time_s[fy > 0]
    t_c = contact[-1] - contact[0]
    # contact time at 3.5 m/s: 0.20-0.30 s (Hamner 2010 subject02 at a similar speed: 0.245 s;
    # Cavagna et al. 2012 give shorter FR aerial times than BR over 3-17 km/h)
    assert 0.20 <= t_c <= 0.30
    # peak vertical GRF of rearfoot running at 3-5 m/s: about 2-3 BW (Munro, Miller & Fuglevand
    # 1987, J Biomech 20:147; Cavanagh & Lafortune 1980, J Biomech 13:397)
    assert 2.0 <= fy.max() / weight <= 3.0
    # COM vertical excursion in running at 3-4 m/s: about 5-10 cm (Heiderscheit et al. 2011
    # report a few cm decrease with +10 % step rate from a preferred value in this range)
    y = kin.com(motion.q)[:, 1]
    assert 0.05 <= np.ptp(y) <= 0.10


HAMNER = (Path(__file__).resolve().parents[3] / "shared" / "reference" / "opensim-models" / "Pipelines"
          / "Hamner")


def _hamner_knee() -> tuple[float, float]:
    """Mean knee flexion at right foot strike and mean peak stance knee flexion (deg) of the
    Hamner 2010 subject02 treadmill trial (reference IK; strikes from the GRF, 50 N threshold)."""
    import warnings

    from biomech.io.storage import read_table

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ik = read_table(HAMNER / "outputReference" / "ResultsIK" / "subject02_running_ik.mot")
        grf = read_table(HAMNER / "subject02_running_grf.mot")
    knee = -ik.data[:, ik.columns.index("knee_angle_r")]       # Hamner: flexion negative
    fy = grf.data[:, grf.columns.index("ground_force_vy")]
    on = fy > 50.0
    strikes = grf.time_s[1:][on[1:] & ~on[:-1]]
    offs = grf.time_s[1:][~on[1:] & on[:-1]]
    at_contact, peaks = [], []
    for ts in strikes:
        later = offs[offs > ts]
        if not later.size or ts < ik.time_s[0] or later[0] > ik.time_s[-1]:
            continue
        sel = (ik.time_s >= ts) & (ik.time_s <= later[0])
        at_contact.append(np.interp(ts, ik.time_s, knee))
        peaks.append(knee[sel].max())
    return float(np.mean(at_contact)), float(np.mean(peaks))


hamner = pytest.mark.skipif(not HAMNER.exists(), reason="../shared/reference (Hamner 2010) absent")


@hamner
def test_knee_flexion_at_contact_within_10_deg_of_hamner(run):
    at_contact, _ = _hamner_knee()
    k, _ = _knee(run[2])
    assert abs(k[0] - at_contact) < 10.0


@hamner
def test_peak_stance_knee_flexion_within_10_deg_of_hamner(run):
    _, peak = _hamner_knee()
    k, i_off = _knee(run[2])
    assert abs(k[: i_off + 1].max() - peak) < 10.0


def test_reverse_twice_is_identity(run):
    motion = run[2]
    back = reverse(reverse(motion))
    np.testing.assert_allclose(back.q, motion.q, atol=1e-12)
    np.testing.assert_allclose(back.qd, motion.qd, atol=1e-12)


def test_files_round_trip(run, tmp_path):
    from biomech.gait import Motion

    motion = run[2]
    paths = motion.to_files(tmp_path, "fr")
    again = Motion.from_files(paths["coordinates"], paths["grf"], paths["external_loads"])
    np.testing.assert_allclose(again.q, motion.q, atol=1e-9)
    np.testing.assert_allclose(again.loads["r"].force_n, motion.loads["r"].force_n, atol=1e-6)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"duty_factor": 0.55}, "duty_factor"),
    ({"step_rate_hz": 9.0}, "step_rate_hz"),
    ({"colour": 1.0}, "colour"),
])
def test_bad_parameters_one_line(overrides, field):
    with pytest.raises(BiomechError, match=field):
        running_inputs("forward", **overrides)


def test_cli_gait_writes_motion_files_and_filmstrip(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "biomech.cli", "gait", "--direction", "forward",
                           "--set", "peak_swing_hip_flexion_deg=42", "-o", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in tmp_path.iterdir()}
    stem = "running_forward_3.5ms"
    for suffix in ("_coordinates.mot", "_grf.mot", "_external_loads.xml", "_filmstrip.png"):
        assert stem + suffix in names
    png = tmp_path / f"{stem}_filmstrip.png"
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
    assert "pelvis residual moment" in proc.stdout
    import json

    params = json.loads((tmp_path / f"{stem}_params.json").read_text())["params"]
    assert params["peak_swing_hip_flexion_deg"] == 42.0


@pytest.mark.parametrize(("args", "expected"), [
    (["--duty-factor", "0.7"], "duty_factor"),
    (["--set", "peak_swing_hip_flexion_deg"], "expected NAME=VALUE"),
    (["--set", "peak_swing_hip_flexion_deg=high"], "is not a number"),
    (["--set", "hip_peak=40"], "hip_peak: unknown gait parameter"),
    (["--set", "peak_knee_swing_fraction=1.2"], "peak_knee_swing_fraction: 1.2 1 is above 0.95"),
])
def test_cli_gait_bad_input_is_one_line(tmp_path, args, expected):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "biomech.cli", "gait", *args, "-o", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert expected in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------- swing ----
def _swing_derivatives(y: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    return np.gradient(y, dt), np.gradient(np.gradient(y, dt), dt)


@pytest.mark.parametrize("match_end", [True, False])
def test_swing_path_joins_the_stance_states_through_its_peak(match_end):
    # Knee-like swing: leaves toe-off at 0.5 rad extending at -3 rad/s, peaks at 1.6 rad at 40 %
    # of a 0.45 s swing, lands at 0.3 rad; touchdown velocity 2 rad/s (matched or left free).
    dur, n = 0.45, 4501
    tau = np.linspace(0.0, 1.0, n)
    start, end = np.array([0.5, -3.0]), np.array([0.3, 2.0])
    y = swing_path(tau, dur, start, end, 0.4, 1.6, True, match_end_velocity=match_end)
    v, _ = _swing_derivatives(y, dur / (n - 1))
    assert y[0] == pytest.approx(0.5, abs=1e-12) and y[-1] == pytest.approx(0.3, abs=1e-12)
    assert v[0] == pytest.approx(-3.0, abs=2e-2)
    k = int(round(0.4 * (n - 1)))
    assert y[k] == pytest.approx(1.6, abs=1e-12) and abs(v[k]) < 2e-2
    assert y.max() == pytest.approx(1.6, abs=1e-9)       # the key point is the peak
    if match_end:
        assert v[-1] == pytest.approx(2.0, abs=2e-2)
    else:  # one more freedom: never a larger integral of squared acceleration than when matched
        matched = swing_path(tau, dur, start, end, 0.4, 1.6, True, match_end_velocity=True)
        dt = dur / (n - 1)
        assert np.sum(_swing_derivatives(y, dt)[1] ** 2) <= np.sum(_swing_derivatives(matched, dt)[1] ** 2)


def test_swing_path_is_the_least_acceleration_path_through_the_key_point():
    # Perturbing the free knot velocity/accelerations can only raise the integral of a^2.
    dur, n = 0.4, 2001
    tau = np.linspace(0.0, 1.0, n)
    start, end = np.array([0.0, 1.0]), np.array([0.2, 0.0])
    y = swing_path(tau, dur, start, end, 0.5, 0.6, False)
    dt = dur / (n - 1)
    cost = np.sum(_swing_derivatives(y, dt)[1][2:-2] ** 2)
    bump = np.sin(np.pi * tau) ** 3 * np.sin(2 * np.pi * tau) * 0.01   # keeps ends and key value
    assert np.sum(_swing_derivatives(y + bump, dt)[1][2:-2] ** 2) > cost


def test_boundary_state_of_a_quadratic_is_exact():
    dt = 1e-3
    t = np.arange(6) * dt
    y = (2.0 + 3.0 * t - 4.0 * t**2)[:, None]
    np.testing.assert_allclose(boundary_state(y[:3], dt, False)[:, 0], [2.0, 3.0], atol=1e-9)
    last = t[-1]
    np.testing.assert_allclose(boundary_state(y[-3:], dt, True)[:, 0],
                               [2.0 + 3.0 * last - 4.0 * last**2, 3.0 - 8.0 * last], atol=1e-9)


def test_swing_reaches_its_key_angles_and_the_knee_at_contact_is_the_input(run):
    _, _, motion, _ = run
    p = motion.params
    names = motion.coordinate_names
    t, n = motion.time_s, motion.time_s.size
    t_to = float(motion.events["toe_off_r"][0])
    swing = t > t_to
    deg = np.degrees(motion.q)
    knee, hip = deg[:, names.index("knee_angle_r")], deg[:, names.index("hip_flexion_r")]
    tau = (t - t_to) / (t[-1] - t_to)
    # after the 15 Hz low-pass the peaks stay within a degree and ~3 % of swing of the key points
    for angle, peak, frac in ((knee, "peak_swing_knee_flexion_deg", "peak_knee_swing_fraction"),
                              (hip, "peak_swing_hip_flexion_deg", "peak_hip_swing_fraction")):
        i = np.flatnonzero(swing)[np.argmax(angle[swing])]
        assert angle[i] == pytest.approx(p[peak], abs=1.0), peak
        assert tau[i] == pytest.approx(p[frac], abs=0.03), frac
    mid = np.argmin(np.abs(tau - 0.5))
    assert deg[mid, names.index("ankle_angle_r")] == pytest.approx(p["swing_ankle_angle_deg"], abs=1.5)
    assert knee[0] == pytest.approx(p["knee_flexion_at_contact_deg"], abs=1e-4)
    assert n > 100
