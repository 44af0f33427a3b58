"""Synthesised walking (double support): the physics closes (GRF = m(a_com - g) with no flight,
pelvis residual forces of OpenSim inverse dynamics vanish), the two feet share the vertical load
in double support by the Ren et al. 2008 transition rule and each foot's force points at the
COM, each foot's vertical force has the double hump of walking, and outcomes fall in published
ranges."""

from __future__ import annotations

import numpy as np
import pytest

from biomech.errors import BiomechError
from biomech.gait.params import walking_inputs
from biomech.gait.synthesis import synthesise_running
from biomech.models import build, skeleton
from biomech.models.kinematics import PlanarKinematics


@pytest.fixture(scope="module")
def walk():
    sk = skeleton()
    kin = PlanarKinematics.from_skeleton(sk)
    # scenario: forward walking with the published defaults (1.3 m/s)
    motion, report = synthesise_running(sk, walking_inputs("forward"), kinematics=kin)
    return sk, kin, motion, report


@pytest.fixture(scope="module")
def walk_back():
    sk = skeleton()
    kin = PlanarKinematics.from_skeleton(sk)
    motion, report = synthesise_running(sk, walking_inputs("backward", samples_per_step=100),
                                        kinematics=kin)
    return sk, kin, motion, report


def _total(motion):
    return motion.loads["r"].force_n[:, :2] + motion.loads["l"].force_n[:, :2]


@pytest.mark.parametrize("which", ["walk", "walk_back"])
def test_grf_is_mass_times_com_acceleration_at_every_frame(which, request):
    sk, kin, motion, _ = request.getfixturevalue(which)
    m, g = sk.total_mass_kg, np.array([0.0, sk.gravity_m_s2])
    a = kin.com_acceleration(motion.q, motion.qd, motion.qdd)
    weight = m * -sk.gravity_m_s2
    total = _total(motion)
    np.testing.assert_allclose(total, m * (a - g), atol=1e-6 * weight)
    assert total[:, 1].min() > 0.3 * weight          # no flight: always on the ground


def test_opensim_inverse_dynamics_pelvis_residual_forces_vanish(walk):
    from biomech.osim.inverse import ExternalLoad, inverse_dynamics

    sk, _, motion, report = walk
    model = build(contact=False)
    loads = [ExternalLoad(body=f.body, force_n=f.force_n, point_m=f.cop_m, torque_nm=f.free_moment_nm)
             for f in motion.loads.values()]
    tau = inverse_dynamics(model, list(motion.coordinate_names), motion.q, motion.qd, motion.qdd,
                           external_loads=loads)
    weight = sk.total_mass_kg * -sk.gravity_m_s2
    for name in ("pelvis_tx", "pelvis_ty"):
        assert np.max(np.abs(tau[:, motion.coordinate_names.index(name)])) < 1e-6 * weight, name
    # the residual moment is the one reported
    tilt = tau[:, motion.coordinate_names.index("pelvis_tilt")]
    assert np.max(np.abs(tilt)) == pytest.approx(report.max_residual_moment_nm, rel=1e-6, abs=1e-6)


def test_double_support_timing_and_load_sharing(walk):
    sk, _, motion, _ = walk
    weight = sk.total_mass_kg * -sk.gravity_m_s2
    p = motion.params
    stride = 2.0 / p["step_rate_hz"]
    t_ds = (p["duty_factor"] - 0.5) * stride
    fr, fl = motion.loads["r"].force_n, motion.loads["l"].force_n
    on_r, on_l = fr[:, 1] > 1e-9 * weight, fl[:, 1] > 1e-9 * weight
    t = motion.time_s
    both = on_r & on_l
    # two double supports per stride, each t_ds long (within a sample)
    dt = t[1] - t[0]
    assert both.sum() * dt == pytest.approx(2 * t_ds, abs=4 * dt)
    # the leading foot brakes while the trailing foot still pushes, through the double support
    inside = (t > 0.05 * t_ds) & (t < 0.95 * t_ds)
    assert np.all(fr[inside, 0] < 0.0) and np.all(fl[inside, 0] > 0.0)
    # the vertical load passes from the trailing (left) to the leading (right) foot
    ds = np.flatnonzero(both & (t < 0.5 * stride))
    share_r = fr[ds, 1] / (fr[ds, 1] + fl[ds, 1])
    assert share_r[0] < 0.05 and share_r[-1] > 0.95
    assert np.all(np.diff(share_r) > -1e-9)


def test_each_foot_has_the_double_hump_of_walking(walk):
    sk, _, motion, _ = walk
    weight = sk.total_mass_kg * -sk.gravity_m_s2
    fy = motion.loads["r"].force_n[:, 1] / weight
    stance = np.flatnonzero(fy > 0)
    f = fy[stance]
    peaks = [i for i in range(1, f.size - 1) if f[i] >= f[i - 1] and f[i] > f[i + 1]]
    assert len(peaks) == 2
    valley = f[peaks[0]:peaks[1]].min()
    assert valley < min(f[peaks[0]], f[peaks[1]]) - 0.2
    # walking vertical GRF peaks about 1.0-1.3 BW at preferred speed, above 1.5 BW only when
    # jogging (Keller et al. 1996, Clin Biomech 11:253; bounds widened for the one-harmonic force)
    assert 1.0 < max(f[peaks[0]], f[peaks[1]]) < 1.5
    assert valley < 1.0


def test_com_vertical_excursion_in_published_range(walk):
    _, kin, motion, _ = walk
    y = kin.com(motion.q)[:, 1]
    # vertical COM excursion of walking at about 1.2-1.4 m/s: a few centimetres, about 3-5 cm
    # (Gard, Miff & Kuo 2004, Hum Mov Sci 22:597; Orendurff et al. 2004, J Rehabil Res Dev
    # 41:829); bounds widened to 2.5-6 cm
    assert 0.025 <= np.ptp(y) <= 0.06
    # highest in single support, lowest in double support (inverted-pendulum walking)
    fr, fl = motion.loads["r"].force_n[:, 1], motion.loads["l"].force_n[:, 1]
    both = (fr > 0) & (fl > 0)
    assert y[both].max() < y[~both].max()
    assert y[both].min() == pytest.approx(y.min(), abs=2e-3)


def test_backward_walking_travels_backwards_with_toe_first_contact(walk_back):
    sk, kin, motion, _ = walk_back
    com = kin.com(motion.q)
    assert com[-1, 0] - com[0, 0] == pytest.approx(-motion.params["speed_m_s"] * motion.time_s[-1],
                                                   rel=1e-3)
    # at right foot strike the forefoot is lower than the heel (toes-down landing)
    heel = kin.point(motion.q, "calcn_r", tuple(sk.landmarks_m["heel_r"][1]))
    mtp = kin.point(motion.q, "calcn_r", tuple(sk.landmarks_m["mtp_r"][1]))
    assert mtp[0, 1] < heel[0, 1] - 0.02
    # the braking force opposes the backward travel (+x) at the start of stance
    fr = motion.loads["r"].force_n
    p = motion.params
    t_early = (p["duty_factor"] - 0.5) * 2.0 / p["step_rate_hz"]
    sel = (motion.time_s > t_early) & (motion.time_s < 2 * t_early)
    assert np.all(fr[sel, 0] > 0.0)


def test_walking_files_round_trip(walk, tmp_path):
    from biomech.gait import Motion

    motion = walk[2]
    paths = motion.to_files(tmp_path, "walk")
    again = Motion.from_files(paths["coordinates"], paths["grf"], paths["external_loads"])
    np.testing.assert_allclose(again.q, motion.q, atol=1e-9)
    np.testing.assert_allclose(again.loads["l"].force_n, motion.loads["l"].force_n, atol=1e-6)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"duty_factor": 0.45}, "duty_factor"),
    ({"first_harmonic_dlf": 1.2}, "first_harmonic_dlf"),
    ({"speed_m_s": 20.0}, "speed_m_s"),
])
def test_bad_walking_parameters_one_line(overrides, field):
    with pytest.raises(BiomechError, match=field) as info:
        walking_inputs("forward", **overrides)
    assert "\n" not in str(info.value)


def test_parameter_aliases_stride_length_contact_time_and_foot_strike():
    from biomech.gait.params import gait_inputs

    inp = gait_inputs("walking", "forward", stride_length_m=1.4, contact_time_s=0.65)
    assert inp.step_rate_hz == pytest.approx(2 * 1.3 / 1.4)        # default speed 1.3 m/s
    assert inp.duty_factor == pytest.approx(0.65 * inp.step_rate_hz / 2)
    # Mo et al. 2023 cut-offs: rearfoot > 7.4 deg, forefoot < -0.8 deg sole angle at contact
    assert gait_inputs("running", "forward", foot_strike="rearfoot").foot_angle_at_contact_deg > 7.4
    assert gait_inputs("running", "forward", foot_strike="forefoot").foot_angle_at_contact_deg < -0.8
    assert -0.8 < gait_inputs("running", "forward", foot_strike="midfoot").foot_angle_at_contact_deg < 7.4
    for bad, field in (({"stride_length_m": 2.0, "step_rate_hz": 1.8}, "stride_length_m"),
                       ({"contact_time_s": 0.3}, "contact_time_s"),     # duty factor 0.28: no DS
                       ({"foot_strike": "toe"}, "foot_strike")):
        with pytest.raises(BiomechError, match=field):
            gait_inputs("walking", "forward", **bad)


def test_cli_gait_walking_backward_writes_files(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "biomech.cli", "gait", "--mode", "walking",
                           "--direction", "backward", "--foot-strike", "forefoot",
                           "-o", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    stem = "walking_backward_0.8ms"
    names = {p.name for p in tmp_path.iterdir()}
    for suffix in ("_coordinates.mot", "_grf.mot", "_external_loads.xml", "_filmstrip.png"):
        assert stem + suffix in names
    assert "pelvis residual moment" in proc.stdout


def test_an_unreachable_knee_at_contact_takes_the_nearest_reachable_and_says_so(walk):
    # FW walking asks for 5 deg (Perry); this planar leg cannot be that straight at contact for
    # the default stride. The output's knee at contact is the nearest reachable value (straighter
    # legs over-stretch in stance), and the report's notes say which.
    _, _, motion, report = walk
    knee0 = float(np.degrees(motion.q[0, motion.coordinate_names.index("knee_angle_r")]))
    assert knee0 > motion.params["knee_flexion_at_contact_deg"] + 1.0
    assert len(report.notes) == 1
    note = report.notes[0]
    assert note.startswith("knee_flexion_at_contact_deg: 5 deg is not reachable")
    assert f"used the nearest, {knee0:.1f} deg" in note


def test_a_swing_the_correction_cannot_lift_within_the_joint_ranges_is_reported():
    # scenario: backward walking at 1.3 m/s (faster than its 0.8 m/s default): the swing
    # forefoot passes several cm below the ground and no smooth correction keeps the joints in the
    # ranges they span over the stride; the synthesis says so instead of bending further
    sk = skeleton()
    kin = PlanarKinematics.from_skeleton(sk)
    motion, report = synthesise_running(sk, walking_inputs("backward", speed_m_s=1.3), kinematics=kin)
    assert report.max_clearance_correction_deg == 0.0
    assert report.min_swing_clearance_m < -0.02
    notes = [n for n in report.notes if "below the ground" in n]
    assert len(notes) == 1 and f"{-1000 * report.min_swing_clearance_m:.0f} mm below" in notes[0]
    assert "not corrected: no smooth correction keeps the joints inside their ranges" in notes[0]


@pytest.mark.parametrize("which", ["walk", "walk_back"])
def test_each_foot_force_points_at_the_com(which, request):
    # Each foot's GRF is aimed at the COM from its own CoP (the per-leg form of the plan's
    # whole-body force), so the trailing foot never brakes before it leaves (it did with Ren et
    # al.'s anteroposterior share of a whole-body force that changes sign in double support) and
    # the fore-aft / vertical ratio stays a geometric one. Measured: lines of action within 3.4 mm
    # (FW) and 2.7 mm (BW) of the COM (the CoP clamp), ratio within +-0.30 (FW) and +-0.16 (BW).
    sk, kin, motion, _ = request.getfixturevalue(which)
    com = kin.com(motion.q)
    weight = sk.total_mass_kg * -sk.gravity_m_s2
    for side in ("r", "l"):
        f, cop = motion.loads[side].force_n, motion.loads[side].cop_m
        on = f[:, 1] > 0.02 * weight
        through = cop[on, 0] + f[on, 0] / f[on, 1] * com[on, 1]
        assert np.max(np.abs(through - com[on, 0])) < 0.005, side
        assert np.max(np.abs(f[on, 0] / f[on, 1])) < 0.4, side
