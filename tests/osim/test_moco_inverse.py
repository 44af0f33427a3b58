"""MocoInverse (biomech.osim.moco_inverse): solves on a slice of synthesised stance, checked against
this package's inverse dynamics and rigid-tendon static optimization; input errors; failures.

The solves (marked slow) use 0.05-0.15 s of the right stance of the default forward-running
stride (peak knee extension moment about 230 N m) with a 0.01 s mesh (10 Hermite-Simpson
intervals, 21 time points), one thread. Measured on the 2-core development machine with the
36-muscle default model (2026-11-26): compliant tendons 68 s (92 Ipopt iterations; 28 s and 104
with the 22 muscles before the other ankle muscles, 36-47 s and 92-94 with De Groote's passive
curve, 11-13 s and 33 with 18 muscles), the rigid static cross-check 23 s (62 iterations); with
the stride synthesis these tests take about 4 min. One more solve, on the push-off (0.14-0.24 s,
47 s, 69 iterations), checks the compliant-tendon static optimization against it.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
from scipy.interpolate import make_interp_spline

from biomech.errors import SolverError
from biomech.gait.motion import Motion
from biomech.muscles import solve_static_optimization
from biomech.osim.inverse import ExternalLoad, inverse_dynamics
from biomech.osim.moco_inverse import MocoInverseResult, _ipopt_summary, moco_inverse
from biomech.osim.muscle_export import export_muscle_capacity

WINDOW_S = (0.05, 0.15)      # mid-stance of the right leg: knee extension moment 160-230 N m
MESH_S = 0.01                # 10 mesh intervals
QUADRICEPS = ("vasti_r", "rect_fem_r")


# ------------------------------------------------------------------ fast: bad input, no solve


def _motion(names, n: int = 8) -> Motion:
    t = np.linspace(0.0, 0.07, n)
    q = np.zeros((n, len(names)))
    return Motion.from_coordinates(t, names, q, [not c.endswith(("_tx", "_ty")) for c in names],
                                   name="bad")


COORDS = ("pelvis_tilt", "pelvis_tx", "pelvis_ty", "hip_flexion_r", "knee_angle_r",
          "ankle_angle_r", "hip_flexion_l", "knee_angle_l", "ankle_angle_l", "lumbar_extension")


@pytest.mark.parametrize("names, expected", [
    (COORDS[:-1] + ("lumbar_flexion",), r"unknown \['lumbar_flexion'\]; missing \['lumbar_extension'\]"),
    (COORDS[:-1], r"missing \['lumbar_extension'\]"),
    (COORDS + ("knee_angle_pat_r",), r"coupled \(dependent\) \['knee_angle_pat_r'\]"),
])
def test_coordinates_that_do_not_match_the_model_fail_before_solving(default_model, names, expected):
    with pytest.raises(ValueError, match=expected) as info:
        moco_inverse(default_model, _motion(names))
    message = str(info.value)
    assert "\n" not in message and message.startswith("moco_inverse: motion 'bad' does not match")


@pytest.mark.parametrize("kwargs, expected", [
    ({"time_range_s": (0.0, 0.5)}, "not inside motion"),
    ({"mesh_interval_s": 0.1}, "longer than the time range"),
    ({"mesh_interval_s": -0.01}, "mesh_interval_s: expected a positive number"),
    ({"reserve_optimal_force_nm": {"knee_angle_x": 5.0}}, r"unknown coordinates \['knee_angle_x'\]"),
    ({"reserve_optimal_force_nm": 0.0}, "expected a positive number"),
    ({"tendon_compliance": ["soleus_x"]}, r"unknown muscles \['soleus_x'\]"),
    ({"max_iterations": 0}, "max_iterations"),
])
def test_bad_settings_fail_before_solving(default_model, kwargs, expected):
    with pytest.raises(ValueError, match=expected) as info:
        moco_inverse(default_model, _motion(COORDS), **kwargs)
    assert "\n" not in str(info.value)


def test_a_load_on_a_body_the_model_lacks_fails_before_solving(default_model):
    from biomech.gait.motion import FootLoad

    motion = _motion(COORDS)
    motion = dataclasses.replace(motion, loads={"r": FootLoad.zeros("calcn_x", motion.n_frames)})
    with pytest.raises(ValueError, match="'calcn_x', which model"):
        moco_inverse(default_model, motion)


def test_ipopt_log_is_parsed():
    text = ("Number of Iterations....: 34\n\n                                   (scaled)"
            "                 (unscaled)\n"
            "Constraint violation....:   4.3186387346090440e-05    8.6e-05\n"
            "EXIT: Optimal Solution Found.\n")
    assert _ipopt_summary(text) == (8.6e-05, "Optimal Solution Found.")
    violation, exit_line = _ipopt_summary("nothing")
    assert np.isnan(violation) and exit_line == ""


# ------------------------------------------------------------------ slow: solves


@pytest.fixture(scope="module")
def stance(tmp_path_factory):
    """The default model, the synthesised forward stride, and a working directory to check that
    Moco leaves no files behind."""
    from biomech.gait.params import running_inputs
    from biomech.gait.synthesis import synthesise_running
    from biomech.models import build, resolve_spec, skeleton
    from biomech.models.kinematics import PlanarKinematics

    spec = resolve_spec(None)
    sk = skeleton(spec)
    motion, _ = synthesise_running(sk, running_inputs("forward"),
                                   kinematics=PlanarKinematics.from_skeleton(sk))
    model = build(spec, contact=False)
    return model, motion, tmp_path_factory.mktemp("cwd")


def _solve(stance, **kwargs) -> MocoInverseResult:
    model, motion, cwd = stance
    before = os.getcwd()
    os.chdir(cwd)
    try:
        res = moco_inverse(model, motion, time_range_s=WINDOW_S, mesh_interval_s=MESH_S, threads=1,
                           **kwargs)
    finally:
        os.chdir(before)
    assert os.listdir(cwd) == []            # no opensim.log, no delete_this_to_stop_* file
    assert os.getcwd() == before
    return res


def _reference(stance, res: MocoInverseResult):
    """This package's inverse dynamics and rigid-tendon static optimization (the pipeline's
    settings; default reserves, as the MocoInverse solves) at the solution's time points:
    coordinates from the same interpolating quintic spline as Motion's derivatives, GRF
    interpolated linearly."""
    model, motion, _ = stance
    names = list(motion.coordinate_names)
    spline = make_interp_spline(motion.time_s, motion.q, k=5)
    t = res.time_s
    q, qd, qdd = spline(t), spline(t, 1), spline(t, 2)
    loads = [ExternalLoad(body=f.body,
                          force_n=np.column_stack([np.interp(t, motion.time_s, f.force_n[:, i])
                                                   for i in range(3)]),
                          point_m=np.column_stack([np.interp(t, motion.time_s, f.cop_m[:, i])
                                                   for i in range(3)]),
                          torque_nm=np.column_stack([np.interp(t, motion.time_s, f.free_moment_nm[:, i])
                                                     for i in range(3)]))
             for f in motion.loads.values()]
    tau = inverse_dynamics(model, names, q, qd, qdd, external_loads=loads)
    capacity = export_muscle_capacity(model, names, q, qd, time_s=t)
    so = solve_static_optimization(capacity, tau)
    assert so.ok
    return q, tau, so


@pytest.fixture(scope="module")
def compliant(stance):
    res = _solve(stance)
    return res, *_reference(stance, res)


@pytest.mark.slow
def test_compliant_solve_succeeds_and_reports(compliant):
    res, q, tau, so = compliant
    print(f"\ncompliant MocoInverse: {res.status}, {res.iterations} iterations, "
          f"{res.solve_time_s:.1f} s wall ({res.solver_duration_s:.1f} s in the solver), "
          f"constraint violation {res.max_constraint_violation:.2g}")
    assert res.success and res.status == "Solve_Succeeded"
    assert res.solver_exit == "Optimal Solution Found."
    assert 0 < res.iterations < 200
    assert res.max_constraint_violation <= res.constraint_tolerance
    assert res.compliant_muscles == res.muscle_names        # every tendon compliant
    n, m, k = res.n_times, len(res.muscle_names), len(res.coordinate_names)
    assert n == 2 * 10 + 1                                   # Hermite-Simpson: mesh + midpoints
    np.testing.assert_allclose(res.time_s[[0, -1]], WINDOW_S, atol=1e-12)
    for name, shape in (("activation", (n, m)), ("excitation", (n, m)), ("muscle_force_n", (n, m)),
                        ("normalized_fiber_length", (n, m)), ("reserve_moment_nm", (n, k)),
                        ("muscle_moment_nm", (n, k))):
        value = getattr(res, name)
        assert value.shape == shape and np.all(np.isfinite(value)), name
    # Ipopt relaxes variable bounds by bound_relax_factor (1e-8) before solving, so the bounds
    # hold to that order (measured with the 22-muscle model: min activation -9e-9)
    assert res.activation.min() >= -1e-6 and res.activation.max() <= 1.0 + 1e-6
    assert res.muscle_force_n.min() >= -1e-6                 # tendons only pull
    # De Groote fibre length bounds 0.2-1.8 optimal lengths, never reached in this motion
    assert 0.3 < res.normalized_fiber_length.min() and res.normalized_fiber_length.max() < 1.7
    # the solution's coordinates are the motion's: the kinematics are prescribed
    np.testing.assert_allclose(res.q, q, atol=1e-6)
    ds = res.to_dataset()
    assert ds.attrs["status"] == "Solve_Succeeded" and ds.muscle_force_n.attrs["units"] == "N"


@pytest.mark.slow
def test_muscles_plus_reserves_balance_the_inverse_dynamics_moments(compliant):
    # Moco's equations of motion hold at every collocation point, so tendon forces times this
    # package's moment arms plus the reserves must equal this package's inverse dynamics (same
    # gravity, GRF at the CoP, inertia): a check of the whole set-up (kinematics table, coupled
    # patella, external loads, reserve naming and scaling). What is left: the two quintic splines
    # (Moco's GCV spline, scipy's not-a-knot spline) differ slightly, the GRF is interpolated
    # differently between samples, and Ipopt's constraint tolerance (1e-3, scaled). Measured:
    # at most 0.1 N m (0.06 % of the peak knee moment); bound 1 N m.
    res, _, tau, _ = compliant
    gap = res.muscle_moment_nm + res.reserve_moment_nm - tau
    worst = {c: round(float(g), 3)
             for c, g in zip(res.coordinate_names, np.abs(gap).max(axis=0), strict=True)}
    print(f"\nmax |muscle + reserve - ID| per coordinate: {worst}")
    assert np.abs(gap).max() < 1.0
    # reserves are reported for every coordinate; the knee's stays small next to its moment
    knee = res.coordinate_names.index("knee_angle_r")
    peak_knee = np.abs(tau[:, knee]).max()
    assert np.abs(res.reserve_moment_nm[:, knee]).max() < 0.15 * peak_knee


@pytest.mark.slow
def test_compliant_knee_extensors_agree_with_rigid_static_optimization(compliant):
    # The compliant MocoInverse and the rigid-tendon static optimization solve different
    # problems: Moco has activation dynamics (De Groote time constants 15/60 ms, so activation
    # cannot follow a frame-by-frame optimum), minimises squared excitations over the whole
    # window, and lets tendons stretch (vasti, the stiffest quadriceps tendon here, stretch
    # 0.049 x 1.56 = 7.6 % of their optimal fibre length at F0, which moves fibres on their
    # force-length curve). Both must produce the same net knee moment less their reserves, so:
    # (a) the knee muscle moments agree to within the reserves' difference: measured 0.3 N m
    #     (0.1 % of the 227 N m peak knee moment; with De Groote's passive curve 2.0 N m; 13 N m,
    #     5.7 %, with 10 N m reserves); bound 10 % of the peak;
    # (b) the quadriceps force (vasti + rectus femoris) shares the moment differently with the
    #     hamstrings (co-contraction): measured 12 % of the 9.5 kN SO peak at worst, 6.0 % RMS
    #     (with De Groote's passive curve 13 % and 8.5 %; 17 % and 10 % with 10 N m reserves);
    #     bounds 25 % (max) and 15 % (RMS) of the peak.
    res, _, tau, so = compliant
    knee = res.coordinate_names.index("knee_angle_r")
    so_knee = list(so.coordinate_names).index("knee_angle_r")
    peak_knee = np.abs(tau[:, knee]).max()
    moment_gap = np.abs(res.muscle_moment_nm[:, knee] - so.muscle_moment_nm[:, so_knee]).max()
    cols = [res.muscle_names.index(m) for m in QUADRICEPS]
    quad_moco = res.muscle_force_n[:, cols].sum(axis=1)
    quad_so = so.muscle_force_n[:, cols].sum(axis=1)
    peak_quad = quad_so.max()
    quad_max = np.abs(quad_moco - quad_so).max() / peak_quad
    quad_rms = np.sqrt(np.mean((quad_moco - quad_so) ** 2)) / peak_quad
    print(f"\nknee muscle moment: max gap {moment_gap:.1f} N m ({moment_gap / peak_knee:.1%} of "
          f"{peak_knee:.0f} N m); quadriceps: max gap {quad_max:.1%}, RMS {quad_rms:.1%} of "
          f"{peak_quad:.0f} N")
    assert moment_gap < 0.10 * peak_knee
    assert quad_max < 0.25 and quad_rms < 0.15
    # the knee extensors carry the moment in both (extension: negative knee_angle_r moment)
    assert np.all(res.muscle_moment_nm[:, knee] < -0.5 * peak_knee)


@pytest.mark.slow
def test_rigid_static_problem_reproduces_static_optimization(stance):
    # With rigid tendons, no activation dynamics (activation = control) and no fibre damping
    # MocoInverse solves static optimization at each collocation point (squared activations and
    # squared reserve controls, the same default reserves, passive forces included): the forces must
    # match this package's static optimization. The criterion for two static
    # optimizations is muscle forces within 2 % of peak force (RMS). Ipopt's default tolerance of
    # 1e-3 leaves differences where the optimum is flat that depend on the motion (per-muscle RMS
    # up to 2.3 % of the 9.1 kN peak, soleus, on the joint-space-swing stride; 0.9 % before), so
    # this comparison solves to 1e-4 (measured 2026-11-25 with 10 N m reserves: 0.69 %; 1e-5 gives
    # 0.03 %): the gap is the solver's tolerance, not the formulation. With the 1 N m default
    # reserves: 0.25 % (2026-11-26). Knee muscle moment bound 1 N m.
    res = _solve(stance, tendon_compliance=False, activation_dynamics=False, fiber_damping=None,
                 convergence_tolerance=1e-4)
    print(f"\nrigid static MocoInverse: {res.status}, {res.iterations} iterations, "
          f"{res.solve_time_s:.1f} s")
    assert res.success and res.compliant_muscles == ()
    np.testing.assert_array_equal(res.activation, res.excitation)
    _, tau, so = _reference(stance, res)
    peak = so.muscle_force_n.max()
    rms = np.sqrt(np.mean((res.muscle_force_n - so.muscle_force_n) ** 2, axis=0)) / peak
    print(f"per-muscle RMS gap, % of the {peak:.0f} N peak: "
          f"{ {m: round(100 * float(r), 2) for m, r in zip(res.muscle_names, rms, strict=True)} }")
    assert rms.max() < 0.02
    knee = res.coordinate_names.index("knee_angle_r")
    so_knee = list(so.coordinate_names).index("knee_angle_r")
    np.testing.assert_allclose(res.muscle_moment_nm[:, knee], so.muscle_moment_nm[:, so_knee], atol=1.0)


@pytest.mark.slow
def test_a_solve_that_does_not_converge_is_reported(stance, caplog):
    res = _solve(stance, max_iterations=3)
    assert not res.success and res.status == "Maximum_Iterations_Exceeded"
    assert res.iterations == 3
    assert "did not converge" in caplog.text
    with pytest.raises(SolverError, match="Ipopt did not converge: Maximum_Iterations_Exceeded after 3 "
                                          "iterations") as info:
        _solve(stance, max_iterations=3, strict=True)
    assert "\n" not in str(info.value)


PUSH_OFF_S = (0.14, 0.24)     # right push-off of the default FR stride: the ankle reserve's window


@pytest.mark.slow
def test_compliant_static_optimization_agrees_with_compliant_moco_inverse_at_push_off(stance):
    # Two compliant-tendon estimates of the same push-off: this package's static optimization
    # with tendons in equilibrium (biomech.muscles.compliant, no activation dynamics) and
    # OpenSim's MocoInverse (activation dynamics, implicit tendon dynamics, effort over the
    # window). They split the plantarflexion moment differently between the triceps surae (about
    # 4-5 cm of moment arm) and the five deep and lateral plantarflexors (0.4-1.7 cm), a
    # redundancy, so what must agree is the plantarflexors' moment about the ankle (sum of force
    # x moment arm over the group map's plantarflexors), where rigid tendons fall short.
    # Measured 2026-11-26 (18 units per leg): plantarflexor moment compliant vs Moco max
    # 5.6 %, RMS 2.4 % of its 226 N m peak (rigid: 25 %, 16 %); ankle reserve in the
    # window Moco 1.3 N m, compliant 12.5 N m, rigid 57.7 N m; the triceps' summed force differs
    # by 13 % at most, 6.7 % RMS of its 7.0 kN peak (rigid 23 %, 15 %). With soleus,
    # gastrocnemius and tibialis anterior as the only ankle muscles the triceps force agreed
    # within 5.9 % (2.2 % RMS; rigid 24 %, 15 %) and the reserves were 14 / 23 / 76 N m.
    from biomech.models import resolve_spec, skeleton
    from biomech.models.groups import load_group_map
    from biomech.models.kinematics import PlanarKinematics
    from biomech.pipeline import analyse_motion

    model, motion, cwd = stance
    before = os.getcwd()
    os.chdir(cwd)
    try:
        res = moco_inverse(model, motion, time_range_s=PUSH_OFF_S, mesh_interval_s=MESH_S, threads=1)
    finally:
        os.chdir(before)
    assert res.success
    spec = resolve_spec(None)
    sk = skeleton(spec)
    kin = PlanarKinematics.from_skeleton(sk)
    runs = {tendon: analyse_motion(model, motion, spec=spec, skeleton=sk, kinematics=kin, tendon=tendon)
            for tendon in ("rigid", "compliant")}
    t = res.time_s
    names = list(motion.coordinate_names)
    cap = export_muscle_capacity(model, names, motion.q, motion.qd)
    ankle = names.index("ankle_angle_r")
    plantarflexors = load_group_map("running2d").groups["plantarflexors"]["r"]
    arms = {m: np.interp(t, motion.time_s, -cap.moment_arm_m[:, list(cap.muscle_names).index(m), ankle])
            for m in plantarflexors}
    assert all(np.all(a > 0.0) for a in arms.values())   # each plantarflexes in the window

    def moment(force_of) -> np.ndarray:
        return sum(force_of(m) * arms[m] for m in plantarflexors)

    moco = moment(lambda m: res.muscle_force_n[:, res.muscle_names.index(m)])
    peak = moco.max()
    gaps, reserves = {}, {}
    for tendon, ds in runs.items():
        summed = moment(lambda m, ds=ds: np.interp(t, ds.time.values, ds.muscle_force_n.sel(muscle=m).values))
        gaps[tendon] = (np.abs(summed - moco).max() / peak, np.sqrt(np.mean((summed - moco) ** 2)) / peak)
        reserves[tendon] = np.abs(np.interp(t, ds.time.values, ds.reserve_moment_nm.sel(
            coordinate="ankle_angle_r").values)).max()
    moco_reserve = np.abs(res.reserve_moment_nm[:, res.coordinate_names.index("ankle_angle_r")]).max()
    print(f"\nplantarflexor moment vs MocoInverse (max, RMS of {peak:.0f} N m): {gaps}; ankle reserve "
          f"{reserves} N m (Moco {moco_reserve:.1f})")
    assert gaps["compliant"][0] < 0.12 and gaps["compliant"][1] < 0.05
    assert gaps["rigid"][1] > 2 * gaps["compliant"][1]
    assert reserves["compliant"] < 0.5 * reserves["rigid"]
