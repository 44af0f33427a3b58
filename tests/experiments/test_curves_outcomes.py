"""Cycle curves and scalar outcomes on a small synthetic stride whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from biomech.experiments.curves import CURVES, cycle_curves, write_curves
from biomech.experiments.outcomes import OUTCOMES, compute_outcomes, gait_timing
from biomech.gait.motion import Motion

STRIDE_S = 0.7       # stride time (s): step rate 2 / 0.7 = 2.857 Hz
CONTACT_S = 0.245    # contact time (s): duty factor 0.35
SPEED = 3.5          # m/s
MASS, G = 70.0, 9.81
BW = MASS * G
N = 141              # samples over one stride (0.005 s), first = last (periodic)
COORDS = ["pelvis_tilt", "pelvis_tx", "pelvis_ty", "hip_flexion_r", "knee_angle_r", "ankle_angle_r",
          "hip_flexion_l", "knee_angle_l", "ankle_angle_l", "lumbar_extension"]
MUSCLES = ["vasti_r", "soleus_r", "vasti_l", "soleus_l"]
JOINT_PEAKS_BW = {"hip": 4.5, "knee": 6.0, "ankle": 8.0}   # peak compressive forces


def _phase(t, side):
    """Stride phase (rad) of a side: the left foot is half a stride behind."""
    return 2 * np.pi * (t / STRIDE_S - (0.5 if side == "l" else 0.0))


def _stance(t, side):
    """A half-sine during stance, 0 in swing (periodic)."""
    local = np.mod(t - (0.5 * STRIDE_S if side == "l" else 0.0), STRIDE_S)
    return np.where(local < CONTACT_S, np.sin(np.pi * local / CONTACT_S), 0.0)


@pytest.fixture(scope="module")
def stride():
    t = np.linspace(0.0, STRIDE_S, N)
    q = np.zeros((N, len(COORDS)))
    q[:, 1] = SPEED * t
    q[:, 2] = 0.95
    for side in ("r", "l"):
        ph = _phase(t, side)
        q[:, COORDS.index(f"hip_flexion_{side}")] = 0.3 * np.sin(ph)
        q[:, COORDS.index(f"knee_angle_{side}")] = 0.8 + 0.6 * np.sin(ph)
        q[:, COORDS.index(f"ankle_angle_{side}")] = 0.2 * np.cos(ph)
    events = {"foot_strike_r": np.array([0.0, STRIDE_S]), "toe_off_r": np.array([CONTACT_S]),
              "foot_strike_l": np.array([0.5 * STRIDE_S]),
              "toe_off_l": np.array([0.5 * STRIDE_S + CONTACT_S])}
    motion = Motion.from_coordinates(t, COORDS, q, [c not in ("pelvis_tx", "pelvis_ty") for c in COORDS],
                                     events=events, direction="forward", name="synthetic")
    moment = np.zeros((N, len(COORDS)))
    grf = np.zeros((N, 2, 3))
    pf = {k: np.zeros((N, 2)) for k in ("pf_force_lever_n", "pf_force_muscle_n",
                                        "pf_stress_lever_pa", "pf_stress_muscle_pa")}
    joints = [f"{role}_{side}" for side in ("r", "l") for role in ("hip", "knee", "ankle")]
    jcf = np.zeros((N, len(joints)))
    energy = np.zeros((N, len(MUSCLES)))
    for k, side in enumerate(("r", "l")):
        s = _stance(t, side)
        moment[:, COORDS.index(f"knee_angle_{side}")] = -3.0 * MASS * s   # 3 N m/kg extension
        grf[:, k, 1] = 2.5 * BW * s
        pf["pf_force_lever_n"][:, k] = 4.0 * BW * s
        pf["pf_force_muscle_n"][:, k] = 5.0 * BW * s
        pf["pf_stress_lever_pa"][:, k] = 8e6 * s
        pf["pf_stress_muscle_pa"][:, k] = 10e6 * s
        for role, peak_bw in JOINT_PEAKS_BW.items():   # compressive force, half-sine in stance
            jcf[:, joints.index(f"{role}_{side}")] = peak_bw * BW * s
        energy[:, MUSCLES.index(f"vasti_{side}")] = 10.0 * s
        energy[:, MUSCLES.index(f"soleus_{side}")] = 30.0 * s
    ds = xr.Dataset(coords={"time": t, "coordinate": COORDS, "muscle": MUSCLES, "side": ["r", "l"],
                            "axis": ["x", "y", "z"], "joint": joints})
    ds["q"] = (("time", "coordinate"), q)
    ds["joint_moment_nm"] = (("time", "coordinate"), moment)
    ds["grf_n"] = (("time", "side", "axis"), grf)
    for key, value in pf.items():
        ds[key] = (("time", "side"), value)
    ds["joint_compressive_force_n"] = (("time", "joint"), jcf)
    knees = [COORDS.index("knee_angle_r"), COORDS.index("knee_angle_l")]
    ds["knee_flexion_rad"] = (("time", "side"), q[:, knees])
    ds["tendon_energy_j"] = (("time", "muscle"), energy)
    ds["tendon_energy_returned_j"] = (("muscle",), np.array([9.3, 27.9, 9.3, 27.9]))
    ds.attrs.update({"body_weight_n": BW, "mass_kg": MASS, "max_pelvis_residual_force_bw": 1e-9,
                     "max_pelvis_residual_moment_nm": 12.5, "max_reserve_share": 0.25,
                     "so_failed_frames": 3, "tendon_hysteresis": 0.07})
    return ds, motion


def test_timing_from_events(stride):
    _, motion = stride
    timing = gait_timing(motion)
    assert timing.stride_time_s == pytest.approx(STRIDE_S, abs=1e-12)
    assert timing.step_rate_hz == pytest.approx(2 / STRIDE_S, abs=1e-12)
    assert timing.contact_time_s == pytest.approx(CONTACT_S, abs=1e-12)
    assert timing.duty_factor == pytest.approx(0.35, abs=1e-12)
    assert timing.aerial_time_s == pytest.approx(STRIDE_S / 2 - CONTACT_S, abs=1e-12)


def test_curves_one_cycle_per_foot_with_the_left_one_wrapped(stride, tmp_path):
    ds, motion = stride
    curves = cycle_curves(ds, motion, run_id="abc123def456")
    assert dict(curves.sizes) == {"cycle": 2, "cycle_pct": 101}
    np.testing.assert_array_equal(curves.cycle_pct, np.arange(101.0))
    assert list(curves.side.values) == ["r", "l"]
    np.testing.assert_allclose(curves.cycle_start_s, [0.0, 0.35], atol=1e-12)
    np.testing.assert_allclose(curves.cycle_end_s, [0.7, 1.05], atol=1e-12)
    np.testing.assert_allclose(curves.foot_off_pct, [35.0, 35.0], atol=1e-9)
    assert set(CURVES) <= set(curves.data_vars)
    # the left foot does what the right does half a stride later, so their cycles coincide
    for name in CURVES:
        np.testing.assert_allclose(curves[name].sel(cycle=1), curves[name].sel(cycle=0), atol=1e-9,
                                   err_msg=name)
    right = curves.sel(cycle=0)
    pct = np.arange(101.0)
    np.testing.assert_allclose(right.knee_flexion_deg, np.degrees(0.8 + 0.6 * np.sin(2 * np.pi * pct / 100)),
                               atol=0.05)  # linear interpolation between 0.005 s samples
    assert float(right.vertical_grf_bw.max()) == pytest.approx(2.5, abs=0.01)
    assert float(right.knee_extension_moment_nm_kg.max()) == pytest.approx(3.0, abs=0.01)
    assert float(right.tendon_energy_j.max()) == pytest.approx(40.0, abs=0.2)  # vasti + soleus
    assert float(right.vertical_grf_bw[50]) == 0.0  # swing
    assert curves.attrs["run_id"] == "abc123def456" and curves.attrs["direction"] == "forward"
    assert curves.attrs["speed_m_s"] == pytest.approx(SPEED)
    assert curves.attrs["step_rate_hz"] == pytest.approx(2 / STRIDE_S)
    assert curves.attrs["stance_pct"] == pytest.approx(35.0)
    path = write_curves(curves, tmp_path / "curves.nc")
    again = xr.open_dataset(path)
    assert all(again[name].dtype == np.float64 for name in CURVES)
    assert list(again.side.values) == ["r", "l"] and again.attrs["stance_pct"] == pytest.approx(35.0)
    again.close()


def test_outcomes(stride):
    ds, motion = stride
    out = compute_outcomes(ds, motion)
    assert set(OUTCOMES) <= set(out)
    assert out["direction"] == "forward" and out["speed_m_s"] == pytest.approx(SPEED)
    assert out["step_rate_hz"] == pytest.approx(2 / STRIDE_S)
    assert out["contact_time_s"] == pytest.approx(CONTACT_S)
    expected = {"peak_vertical_grf_bw": 2.5, "peak_knee_extension_moment_nm_kg": 3.0,
                "peak_pf_force_lever_bw": 4.0, "peak_pf_force_muscle_bw": 5.0,
                "peak_pf_stress_lever_mpa": 8.0, "peak_pf_stress_muscle_mpa": 10.0,
                "peak_knee_contact_force_bw": 6.0}
    for name, value in expected.items():  # the half-sine peaks fall between samples: 0.1 %
        assert out[name] == pytest.approx(value, rel=1e-3), name
    assert out["tendon_energy_returned_j"] == pytest.approx(9.3 + 27.9)  # one leg, one stride
    # both feet strike at stride phase 0, where the knee is flexed 0.8 rad
    assert out["knee_flexion_at_strike_deg"] == pytest.approx(np.degrees(0.8), abs=1e-9)
    assert math.isnan(out["tendon_share_of_positive_work"])  # no muscle powers in the Dataset
    assert math.isnan(out["metabolic_cost_j_kg_m"])  # no metabolic power in the Dataset
    assert out["max_pelvis_residual_moment_nm"] == 12.5 and out["so_failed_frames"] == 3
    # no synthesis checks in these attrs (as for a motion read from files): NaN, not 0
    assert math.isnan(out["swing_foot_below_ground_mm"]) and math.isnan(out["max_foot_slip_mm"])
    assert math.isnan(out["swing_clearance_correction_deg"])
    assert math.isnan(out["tendon_equilibrium_change_n"])      # rigid tendons: no fixed point
    # no per-frame reserve fractions in this Dataset: unknown, not 0
    assert math.isnan(out["reserve_at_peak_knee_contact_share"])
    assert math.isnan(out["reserve_at_peak_pf_muscle_share"])


def test_outcomes_reserve_at_the_peaks_is_the_legs_largest_in_that_frame(stride):
    """The reserve at a peak is read in the frame of that side's peak (not the record's largest
    reserve), over that leg's coordinates only, and the worse side is reported."""
    ds, motion = stride
    t = ds.time.values
    fraction = np.full((N, len(COORDS)), np.nan)
    for c in ("hip_flexion", "knee_angle", "ankle_angle"):
        for side in ("r", "l"):
            fraction[:, COORDS.index(f"{c}_{side}")] = 0.001
    fraction[:, COORDS.index("lumbar_extension")] = 0.9   # no side: never counted
    peak_r = int(np.argmax(ds.joint_compressive_force_n.sel(joint="knee_r").values))
    peak_l = int(np.argmax(ds.joint_compressive_force_n.sel(joint="knee_l").values))
    fraction[peak_r, COORDS.index("ankle_angle_r")] = 0.12
    fraction[peak_l, COORDS.index("hip_flexion_l")] = 0.07
    fraction[peak_r, COORDS.index("hip_flexion_l")] = 0.5     # the other leg, at the right peak
    fraction[(peak_r + 40) % N, COORDS.index("knee_angle_r")] = 0.8   # away from every peak
    def left_moved(name: str, shift: int) -> tuple[np.ndarray, int]:
        """``name`` with its left-side curve shifted by ``shift`` frames, and the left peak's frame."""
        values = ds[name].values.copy()
        values[:, 1] = np.roll(values[:, 1], shift)
        return values, int(np.argmax(values[:, 1]))

    # the PF (muscle) peak of the left side moved half a stride away from its contact peak
    pf, peak_pf_l = left_moved("pf_force_muscle_n", N // 2)
    fraction[peak_pf_l, COORDS.index("knee_angle_l")] = 0.2
    ds = ds.assign(reserve_fraction_of_peak_moment=(("time", "coordinate"), fraction),
                   pf_force_muscle_n=(("time", "side"), pf))
    assert t[peak_pf_l] != t[peak_l]
    out = compute_outcomes(ds, motion)
    assert out["reserve_at_peak_knee_contact_share"] == pytest.approx(0.12)   # right (0.07 left)
    assert out["reserve_at_peak_pf_muscle_share"] == pytest.approx(0.2)       # left
    # the PF stress peak (muscle method) is read too: moved a quarter stride, with a larger reserve
    stress, peak_stress_l = left_moved("pf_stress_muscle_pa", N // 4)
    fraction[peak_stress_l, COORDS.index("knee_angle_l")] = 0.3
    ds = ds.assign(reserve_fraction_of_peak_moment=(("time", "coordinate"), fraction),
                   pf_stress_muscle_pa=(("time", "side"), stress))
    out = compute_outcomes(ds, motion)
    assert out["reserve_at_peak_pf_muscle_share"] == pytest.approx(0.3)
    assert out["reserve_at_peak_knee_contact_share"] == pytest.approx(0.12)


def test_pf_stance_summaries_integrate_each_stance(stride):
    # half-sine PF force (4 BW lever, 5 BW muscle) and stress (8, 10 MPa) over each stance:
    # peak at 50 % of stance, impulse 2 x peak x contact / pi per step; a step is speed / step
    # rate = 1.225 m long, so a km has 1000 / 1.225 steps (both legs)
    ds, motion = stride
    out = compute_outcomes(ds, motion)
    steps_per_km = 1000.0 / (SPEED * STRIDE_S / 2)
    for method, force_bw, stress_mpa in (("lever", 4.0, 8.0), ("muscle", 5.0, 10.0)):
        assert out[f"time_of_peak_pf_stress_{method}_pct_stance"] == pytest.approx(50.0, abs=1.1)
        impulse = 2 * force_bw * CONTACT_S / np.pi
        assert out[f"pf_impulse_{method}_bw_s"] == pytest.approx(impulse, rel=1e-3)
        assert out[f"pf_impulse_{method}_bw_s_per_km"] == pytest.approx(impulse * steps_per_km, rel=1e-3)
        assert out[f"pf_stress_integral_{method}_mpa_s_per_km"] == pytest.approx(
            2 * stress_mpa * CONTACT_S / np.pi * steps_per_km, rel=1e-3)


def test_joint_contact_peaks_and_impulses_per_stance_and_per_metre(stride):
    # half-sine compressive forces over each stance (hip 4.5, knee 6, ankle 8 BW peaks): impulse
    # 2 x peak x contact / pi per step, over the step length (speed / step rate = 1.225 m) per metre
    ds, motion = stride
    out = compute_outcomes(ds, motion)
    step_m = SPEED * STRIDE_S / 2
    for role, peak_bw in JOINT_PEAKS_BW.items():
        assert out[f"peak_{role}_contact_force_bw"] == pytest.approx(peak_bw, rel=1e-3)
        impulse = 2 * peak_bw * CONTACT_S / np.pi
        assert out[f"{role}_contact_impulse_bw_s"] == pytest.approx(impulse, rel=1e-3)
        assert out[f"{role}_contact_impulse_bw_s_per_m"] == pytest.approx(impulse / step_m, rel=1e-3)
    # a joint named otherwise in the model: found through the Dataset's <role>_<side>_joint attrs
    renamed = ds.assign_coords(joint=[str(j).replace("ankle", "talocrural") for j in ds.joint.values])
    renamed.attrs.update({"ankle_r_joint": "talocrural_r", "ankle_l_joint": "talocrural_l"})
    assert compute_outcomes(renamed, motion)["peak_ankle_contact_force_bw"] == pytest.approx(8.0, rel=1e-3)


def test_outcomes_report_the_synthesis_checks_in_mm(stride):
    ds, motion = stride
    ds = ds.copy()
    ds.attrs.update({"synthesis_swing_foot_below_ground_m": 0.0314, "synthesis_max_foot_slip_m": 0.0014,
                     "synthesis_swing_clearance_correction_deg": 16.8, "compliant_max_change_n": 0.9})
    out = compute_outcomes(ds, motion)
    assert out["tendon_equilibrium_change_n"] == pytest.approx(0.9)
    assert out["swing_clearance_correction_deg"] == pytest.approx(16.8)
    assert out["swing_foot_below_ground_mm"] == pytest.approx(31.4)
    assert out["max_foot_slip_mm"] == pytest.approx(1.4)


def test_outcomes_with_muscle_and_metabolic_power(stride):
    ds, motion = stride
    t = ds.time.values
    mtu = np.outer(np.sin(2 * np.pi * t / STRIDE_S), np.ones(len(MUSCLES))) * 100.0
    ds = ds.assign(mtu_power_w=(("time", "muscle"), mtu), tendon_power_w=(("time", "muscle"), 0.4 * mtu),
                   metabolic_total_rate_w=(("time",), np.full(t.size, 700.0)))
    out = compute_outcomes(ds, motion)
    assert out["tendon_share_of_positive_work"] == pytest.approx(0.4)
    # gross cost of transport: 700 W / 70 kg / 3.5 m/s = 2.857 J/kg/m
    assert out["metabolic_cost_j_kg_m"] == pytest.approx(700.0 / MASS / SPEED)
    # no group map: the per-group tendon outcomes are NaN
    assert math.isnan(out["tendon_share_of_positive_work_plantarflexors"])
    assert math.isnan(out["tendon_energy_returned_quadriceps_j"])


def test_tendon_outcomes_per_muscle_group(stride):
    # two groups per leg (the vasti as quadriceps, the soleus as plantarflexors): the soleus's
    # tendon does 70 % of its MTU's positive work, the vasti's 10 %; the returned energy is the
    # group's (vasti 9.3 J, soleus 27.9 J per stride and leg)
    ds, motion = stride
    t = ds.time.values
    wave = np.sin(2 * np.pi * t / STRIDE_S) * 100.0
    mtu = np.outer(wave, np.ones(len(MUSCLES)))
    fraction = np.array([0.1 if m.startswith("vasti") else 0.7 for m in MUSCLES])
    ds = ds.assign(mtu_power_w=(("time", "muscle"), mtu), tendon_power_w=(("time", "muscle"), mtu * fraction))
    ds.attrs = dict(ds.attrs)   # the fixture is shared: its attrs stay as they are
    for side in ("r", "l"):
        ds.attrs[f"muscle_group_quadriceps_{side}"] = [f"vasti_{side}"]
        ds.attrs[f"muscle_group_plantarflexors_{side}"] = [f"soleus_{side}"]
        ds.attrs[f"muscle_group_hamstrings_{side}"] = []      # a group with no muscle in the model
    out = compute_outcomes(ds, motion)
    assert out["tendon_share_of_positive_work_quadriceps"] == pytest.approx(0.1)
    assert out["tendon_share_of_positive_work_plantarflexors"] == pytest.approx(0.7)
    assert out["tendon_share_of_positive_work"] == pytest.approx(0.4)          # the leg: (0.1 + 0.7) / 2
    assert out["tendon_energy_returned_quadriceps_j"] == pytest.approx(9.3)
    assert out["tendon_energy_returned_plantarflexors_j"] == pytest.approx(27.9)
    assert math.isnan(out["tendon_energy_returned_hamstrings_j"])
    assert math.isnan(out["tendon_share_of_positive_work_hip_flexors"])        # not listed


def test_reserve_curve_is_the_legs_largest_reserve_over_the_cycle(stride):
    # the curve of each foot's cycle: 100 x the largest reserve fraction of that leg's coordinates
    ds, motion = stride
    t = ds.time.values
    fraction = np.full((N, len(COORDS)), np.nan)
    for side, scale in (("r", 1.0), ("l", 2.0)):
        hip = 0.01 * scale * (1 + np.sin(2 * np.pi * t / STRIDE_S))
        fraction[:, COORDS.index(f"hip_flexion_{side}")] = hip
        fraction[:, COORDS.index(f"ankle_angle_{side}")] = 0.015 * scale
    fraction[:, COORDS.index("lumbar_extension")] = 0.9   # no side: not a leg's
    with_reserves = ds.assign(reserve_fraction_of_peak_moment=(("time", "coordinate"), fraction))
    curves = cycle_curves(with_reserves, motion)
    right, left = curves.reserve_max_pct.sel(cycle=0).values, curves.reserve_max_pct.sel(cycle=1).values
    pct = np.arange(101.0)
    expected_r = 100 * np.maximum(0.01 * (1 + np.sin(2 * np.pi * pct / 100)), 0.015)
    np.testing.assert_allclose(right, expected_r, atol=0.02)   # linear interpolation between samples
    # the left cycle starts half a stride later
    expected_l = 200 * np.maximum(0.01 * (1 + np.sin(2 * np.pi * (pct / 100 + 0.5))), 0.015)
    np.testing.assert_allclose(left, expected_l, atol=0.04)
    assert curves.reserve_max_pct.attrs["units"] == "%"
    # without the per-frame fractions (older results) the curve is left out, the others stay
    assert "reserve_max_pct" not in cycle_curves(ds, motion)


def test_curves_of_the_hip_and_ankle_moments_powers_and_contact_forces(stride):
    ds, motion = stride
    ds = ds.copy()
    t = ds.time.values
    s = {side: _stance(t, side) for side in ("r", "l")}
    # extensor / plantarflexor moments of 1 and 2 N m/kg in stance; joint power of a known
    # shape (+ generation, - absorption); a braking-then-propulsive horizontal GRF of 0.3 BW
    ds["hip_extension_moment_nm"] = (("time", "side"), np.column_stack([1.0 * MASS * s["r"],
                                                                       1.0 * MASS * s["l"]]))
    ds["ankle_plantarflexion_moment_nm"] = (("time", "side"), np.column_stack([2.0 * MASS * s["r"],
                                                                              2.0 * MASS * s["l"]]))
    power = np.zeros((t.size, len(COORDS)))
    for side in ("r", "l"):
        local = np.mod(t - (0.5 * STRIDE_S if side == "l" else 0.0), STRIDE_S)
        wave = np.where(local < CONTACT_S, -np.sin(2 * np.pi * local / CONTACT_S), 0.0)  # absorb, generate
        power[:, COORDS.index(f"knee_angle_{side}")] = 10.0 * MASS * wave
        power[:, COORDS.index(f"ankle_angle_{side}")] = -5.0 * MASS * wave
    ds["joint_power_w"] = (("time", "coordinate"), power)
    grf = ds.grf_n.values.copy()
    for k, side in enumerate(("r", "l")):
        local = np.mod(t - (0.5 * STRIDE_S if side == "l" else 0.0), STRIDE_S)
        grf[:, k, 0] = np.where(local < CONTACT_S, -0.3 * BW * np.sin(2 * np.pi * local / CONTACT_S), 0.0)
    ds["grf_n"] = (("time", "side", "axis"), grf)

    curves = cycle_curves(ds, motion).sel(cycle=0)
    assert float(curves.hip_extension_moment_nm_kg.max()) == pytest.approx(1.0, abs=0.01)
    assert float(curves.ankle_plantarflexion_moment_nm_kg.max()) == pytest.approx(2.0, abs=0.01)
    assert curves.knee_power_w_kg.attrs["units"] == "W/kg"
    # first half of stance (0-17.5 % of the cycle): the knee absorbs, the ankle generates
    wave8 = math.sin(2 * math.pi * 0.08 * STRIDE_S / CONTACT_S)   # at 8 % of the cycle
    assert float(curves.knee_power_w_kg[8]) == pytest.approx(-10.0 * wave8, abs=0.02)
    assert float(curves.ankle_power_w_kg[8]) == pytest.approx(5.0 * wave8, abs=0.01)
    assert float(np.abs(curves.hip_power_w_kg).max()) == 0.0
    # peaks of half-sines sampled at 101 points per cycle
    assert float(curves.hip_contact_force_bw.max()) == pytest.approx(JOINT_PEAKS_BW["hip"], abs=0.02)
    assert float(curves.ankle_contact_force_bw.max()) == pytest.approx(JOINT_PEAKS_BW["ankle"], abs=0.02)
    # forward: the GRF brakes (against +x travel) in the first half of stance
    assert float(curves.fore_aft_grf_bw[8]) == pytest.approx(-0.3 * wave8, abs=0.001)

    # the same record travelling towards -x (backward gait): braking is then a +x force
    q = motion.q.copy()
    q[:, COORDS.index("pelvis_tx")] *= -1.0
    backward = Motion.from_coordinates(motion.time_s, COORDS, q, motion.rotational, events=motion.events,
                                       direction="backward", name="synthetic backward")
    mirrored = ds.copy()
    mirrored["grf_n"] = (("time", "side", "axis"), grf * np.array([-1.0, 1.0, 1.0]))
    back = cycle_curves(mirrored, backward).sel(cycle=0)
    np.testing.assert_allclose(back.fore_aft_grf_bw, curves.fore_aft_grf_bw, atol=1e-12)


def test_tendon_groups_read_back_from_a_saved_result(stride, tmp_path):
    # save_result joins list attributes with commas for netCDF: the group outcomes of the
    # reloaded Dataset are those of the one in memory
    ds, motion = stride
    ds = ds.copy()   # the fixture is shared: its attrs stay as they are
    for side in ("r", "l"):
        ds.attrs[f"muscle_group_quadriceps_{side}"] = [f"vasti_{side}"]
        ds.attrs[f"muscle_group_plantarflexors_{side}"] = [f"vasti_{side}", f"soleus_{side}"]
        ds.attrs[f"muscle_group_hamstrings_{side}"] = []
    in_memory = compute_outcomes(ds, motion)
    saved = ds.copy()
    for key, value in list(saved.attrs.items()):   # as biomech.pipeline.save_result writes them
        if isinstance(value, list):
            saved.attrs[key] = ", ".join(value)
    saved.to_netcdf(tmp_path / "result.nc")
    with xr.open_dataset(tmp_path / "result.nc") as again:
        reloaded = compute_outcomes(again.load(), motion)
    for g in ("quadriceps", "plantarflexors", "hamstrings"):
        key = f"tendon_energy_returned_{g}_j"
        assert reloaded[key] == pytest.approx(in_memory[key], nan_ok=True), key
    assert in_memory["tendon_energy_returned_plantarflexors_j"] == pytest.approx(9.3 + 27.9)
    assert math.isnan(reloaded["tendon_energy_returned_hamstrings_j"])
