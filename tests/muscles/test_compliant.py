"""Static optimization with compliant tendons (fixed point of tendon-fibre equilibrium).

Checked: the De Groote curves against OpenSim's DeGrooteFregly2016Muscle; the rigid-tendon limit
against the rigid-tendon export and solution; tendon-fibre equilibrium at convergence; the
push-off mechanism (the tendon takes the MTU shortening, the plantarflexors need less reserve);
convergence reporting and bad input.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import opensim as osim
import pytest

from biomech.energetics.tendon import normalized_tendon_force
from biomech.muscles.compliant import (
    active_force_length,
    anderson_step,
    compliant_capacity,
    force_velocity,
    passive_force_length,
    solve_compliant_static_optimization,
)
from biomech.muscles.static_optimization import solve_static_optimization


def test_de_groote_curves_match_opensim():
    lengths = np.linspace(0.3, 1.8, 31)
    velocities = np.linspace(-1.0, 1.0, 21)
    for scale in (1.0, 1.5):
        for strain in (0.6, 0.4):
            mu = osim.DeGrooteFregly2016Muscle()
            mu.set_active_force_width_scale(scale)
            mu.set_passive_fiber_strain_at_one_norm_force(strain)
            np.testing.assert_allclose(active_force_length(lengths, scale),
                                       [mu.calcActiveForceLengthMultiplier(x) for x in lengths],
                                       rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(passive_force_length(lengths, strain),
                                       [mu.calcPassiveForceMultiplier(x) for x in lengths],
                                       rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(force_velocity(velocities),
                               [osim.DeGrooteFregly2016Muscle.calcForceVelocityMultiplier(v)
                                for v in velocities], rtol=1e-12, atol=1e-14)


@pytest.fixture(scope="module")
def fr(fr_stride_analysis):
    """Rigid-tendon capacity, joint moments and muscle parameters of the default FR stride."""
    from biomech.osim.inverse import ExternalLoad, inverse_dynamics
    from biomech.osim.muscle_export import export_muscle_capacity, muscle_parameters

    _, _, _, model, motion, _ = fr_stride_analysis
    names = list(motion.coordinate_names)
    loads = [ExternalLoad(body=f.body, force_n=f.force_n, point_m=f.cop_m, torque_nm=f.free_moment_nm)
             for f in motion.loads.values()]
    tau = inverse_dynamics(model, names, motion.q, motion.qd, motion.qdd, external_loads=loads)
    cap = export_muscle_capacity(model, names, motion.q, motion.qd, time_s=motion.time_s)
    return cap, tau, muscle_parameters(model)


@pytest.fixture(scope="module")
def fr_compliant(fr):
    cap, tau, params = fr
    return solve_compliant_static_optimization(cap, tau, params)


def test_stiff_tendons_give_back_the_rigid_tendon_solution(fr):
    # tendon strain 1e-7 at F0: the fibre takes the whole MTU length, as in the rigid export
    cap, tau, params = fr
    rigid = solve_static_optimization(cap, tau)
    stiff = dataclasses.replace(params,
                                tendon_strain_at_one_norm_force=np.full(len(params.muscle_names), 1e-7))
    # 60 Hz: the fibre velocity is differentiated from lengths here, analytic in the export
    c2 = compliant_capacity(cap, stiff, rigid.muscle_force_n, cutoff_hz=60.0)
    np.testing.assert_allclose(c2.diagnostics["norm_fiber_length"], cap.diagnostics["norm_fiber_length"],
                               atol=1e-5)
    sol = solve_static_optimization(c2, tau)
    peak = np.nanmax(np.abs(rigid.muscle_force_n), axis=0)
    rms = np.sqrt(np.nanmean((sol.muscle_force_n - rigid.muscle_force_n) ** 2, axis=0)) / peak
    assert rms.max() < 0.01


def test_anderson_step_finds_a_linear_fixed_point_where_relaxation_crawls():
    # x = A x + b with a mode at -5 (the relaxed step 0.3 turns it into -0.8) and one at 0.9
    # (0.97): Anderson acceleration with five iterates of history solves the 4-d problem in a
    # few steps, as GMRES would; one iterate gives the plain under-relaxed step
    a, b = np.diag([-5.0, 0.9, 0.5, -0.5]), np.ones(4)
    exact = np.linalg.solve(np.eye(4) - a, b)
    np.testing.assert_allclose(anderson_step([np.zeros(4)], [b], 0.3), 0.3 * b)
    for history, steps in ((5, 6), (0, 40)):
        x, xs, gs = np.zeros(4), [], []
        for _ in range(steps):
            g = a @ x + b
            keep = max(len(xs) - history, 0)
            xs, gs = xs[keep:] + [x], gs[keep:] + [g]
            x = anderson_step(xs, gs, 0.3)
        error = np.abs(x - exact).max()
        assert error < 1e-9 if history else error > 0.1, (history, error)


def test_at_convergence_the_tendon_on_its_curve_carries_the_muscle_force(fr, fr_compliant):
    cap, _, params = fr
    out = fr_compliant
    # measured 2026-11-26: 28 iterations (Anderson acceleration; the plain relaxed step needed
    # 31 with the 22-muscle model and did not converge in 300 on the FR 3 m/s stride with 36)
    assert out.converged and out.max_change_n <= 1.0 and out.iterations < 60
    lt = out.capacity.diagnostics["tendon_length_m"]
    f_tendon = np.column_stack([
        params.max_isometric_force_n[i] * normalized_tendon_force(
            lt[:, i] / params.tendon_slack_length_m[i],
            strain_at_one_norm_force=float(params.tendon_strain_at_one_norm_force[i]))
        for i in range(lt.shape[1])])
    force = np.nan_to_num(out.solution.muscle_force_n)
    assert np.max(np.abs(f_tendon - force)) <= 1.0 + 1e-6     # the tolerance, N
    # and the fibre takes the rest of the muscle-tendon length (constant-thickness pennation)
    lm = out.capacity.diagnostics["norm_fiber_length"] * params.optimal_fiber_length_m
    along = lm * np.cos(out.capacity.diagnostics["pennation_rad"])
    np.testing.assert_allclose(lt + along, cap.diagnostics["mtu_length_m"], atol=1e-9)


def test_the_achilles_tendon_takes_the_push_off_so_the_plantarflexors_need_less_reserve(fr, fr_compliant):
    # rigid tendons: the soleus fibre shortens with the whole MTU at push-off, faster than its
    # maximum velocity, and the ankle needs ~26 % of its peak moment as reserve; a recoiling
    # tendon slows the fibre (as ultrasound shows in running: Lai et al. 2015, J Appl Physiol
    # 118:1266) and the reserve falls. Measured 2026-11-26 (18 units per leg): reserve 26 -> 5.7 %
    # of the peak ankle moment; fastest normalised fibre shortening, rigid -> compliant: soleus
    # -1.14 -> -1.00, gastrocnemius -0.67 -> -0.40 (with the triceps and tibialis anterior as the
    # only ankle muscles the compliant soleus stayed just inside v_max, -0.99: the other
    # plantarflexors now share the push-off, so less force recoils through the Achilles tendon)
    cap, tau, _ = fr
    rigid = solve_static_optimization(cap, tau)
    comp = fr_compliant.solution
    j = list(rigid.coordinate_names).index("ankle_angle_r")
    share = [np.nanmax(np.abs(s.reserve_moment_nm[:, j])) / np.nanmax(np.abs(s.joint_moment_nm[:, j]))
             for s in (rigid, comp)]
    assert share[1] < 0.5 * share[0]
    for muscle, slower in (("soleus_r", 0.9), ("gastroc_r", 0.7)):
        m = list(cap.muscle_names).index(muscle)
        v_rigid = cap.diagnostics["norm_fiber_velocity"][:, m].min()
        v_comp = fr_compliant.capacity.diagnostics["norm_fiber_velocity"][:, m].min()
        assert v_rigid < slower * v_rigid < v_comp < 0.0, muscle   # the tendon takes part of it
    assert cap.diagnostics["norm_fiber_velocity"][:, list(cap.muscle_names).index("soleus_r")].min() < -1.0


def test_an_iteration_that_does_not_converge_is_flagged(fr, caplog):
    cap, tau, params = fr
    with caplog.at_level(logging.WARNING, logger="biomech.muscles.compliant"):
        out = solve_compliant_static_optimization(cap, tau, params, max_iterations=2)
    assert not out.converged and out.iterations == 2 and out.max_change_n > 1.0
    assert "did not converge in 2 iterations" in caplog.text


def test_bad_options_are_errors(fr):
    cap, tau, params = fr
    with pytest.raises(ValueError, match="relaxation"):
        solve_compliant_static_optimization(cap, tau, params, relaxation=0.0)
    with pytest.raises(ValueError, match="history >= 0"):
        solve_compliant_static_optimization(cap, tau, params, history=-1)
    with pytest.raises(ValueError, match="different muscles"):
        compliant_capacity(cap, dataclasses.replace(params, muscle_names=params.muscle_names[::-1]),
                           np.zeros((cap.n_frames, len(cap.muscle_names))))


def test_muscle_parameters_need_de_groote_muscles():
    from biomech.osim.muscle_export import muscle_parameters

    model = osim.Model()
    body = osim.Body("b", 1.0, osim.Vec3(0), osim.Inertia(0.1))
    model.addBody(body)
    model.addJoint(osim.PinJoint("pin", model.getGround(), body))
    mu = osim.Thelen2003Muscle("thelen", 100.0, 0.1, 0.2, 0.0)
    mu.addNewPathPoint("o", model.getGround(), osim.Vec3(0.0, 0.1, 0.0))
    mu.addNewPathPoint("i", body, osim.Vec3(0.0, -0.2, 0.0))
    model.addForce(mu)
    model.finalizeConnections()
    with pytest.raises(ValueError, match="'thelen' is a Thelen2003Muscle"):
        muscle_parameters(model)


def test_the_pipeline_offers_compliant_tendons(fr_stride_analysis):
    from biomech.pipeline import analyse_motion

    spec, sk, kin, model, motion, rigid = fr_stride_analysis
    ds = analyse_motion(model, motion, spec=spec, skeleton=sk, kinematics=kin, tendon="compliant")
    assert ds.attrs["tendon_model"] == "compliant" and rigid.attrs["tendon_model"] == "rigid"
    assert ds.attrs["compliant_converged"] == 1 and ds.attrs["compliant_max_change_n"] <= 1.0
    # same joint moments; the muscle forces and the metabolic cost follow the tendons
    np.testing.assert_array_equal(ds.joint_moment_nm.values, rigid.joint_moment_nm.values)
    assert float(ds.metabolic_total_rate_w.mean()) != float(rigid.metabolic_total_rate_w.mean())
    with pytest.raises(ValueError, match="tendon: expected 'rigid' or 'compliant'"):
        analyse_motion(model, motion, spec=spec, skeleton=sk, kinematics=kin, tendon="elastic")
