"""Static optimization (biomech.muscles) and the muscle capacity export (biomech.osim.muscle_export).

Synthetic problems with known solutions, the synthesised running motion on the default model
(equalities, moment arms, force capacities) and a cross-check against OpenSim's
StaticOptimization (slow).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
from scipy.optimize import lsq_linear, minimize

from biomech.errors import BiomechError
from biomech.muscles import STATUS, MuscleCapacity, moment_capacity_nm, solve_static_optimization
from biomech.muscles.static_optimization import DEFAULT_RESERVE_OPTIMAL_FORCE_NM

# ---------------------------------------------------------------------------- synthetic problems


def _capacity(arms: np.ndarray, active: np.ndarray, passive: np.ndarray | None = None,
              coords: tuple[str, ...] | None = None, residual: tuple[str, ...] = ()) -> MuscleCapacity:
    """A capacity from arrays: arms (n, m, k), active (n, m)."""
    n, m, k = arms.shape
    return MuscleCapacity(
        muscle_names=tuple(f"m{i}" for i in range(m)),
        coordinate_names=coords or tuple(f"q{j}" for j in range(k)),
        moment_arm_m=arms, active_force_n=active,
        passive_force_n=np.zeros((n, m)) if passive is None else passive,
        max_isometric_force_n=np.full(m, 1000.0), residual_coordinates=residual)


def _random_problem(n: int = 200, m: int = 12, k: int = 5, seed: int = 0):
    """Random moment arms (+/- 5 cm, sparse), capacities 200-3000 N, moments up to 300 N m: many
    frames have activations at both bounds."""
    rng = np.random.default_rng(seed)
    arms = rng.uniform(-0.05, 0.05, (n, m, k)) * (rng.random((1, m, k)) < 0.5)
    active = rng.uniform(200.0, 3000.0, (n, m))
    tau = rng.uniform(-300.0, 300.0, (n, k))
    return _capacity(arms, active), tau


@pytest.mark.parametrize("opt", [None, 10.0])
def test_two_identical_muscles_share_equally(opt):
    # One joint, two identical muscles (r = 5 cm, F_act = 1000 N, so 50 N m per unit activation):
    # by symmetry a1 = a2 = a. Without reserve (hard equality) the least-norm solution is
    # a = tau / 100 = 0.4. With a reserve of optimal force o, min 2a^2 + ((40 - 100a)/o)^2 gives
    # 4a - (200/o^2)(40 - 100a) = 0, a = 8000/(4 o^2 + 20000) (o = 10 N m: 80/204; the default
    # o = 1 N m: 8000/20004), and the reserve takes 40 - 100a N m.
    arms = np.full((1, 2, 1), 0.05)
    cap = _capacity(arms, np.full((1, 2), 1000.0))
    tau = np.array([[40.0]])
    hard = solve_static_optimization(cap, tau, reserve_optimal_force_nm=None)
    assert hard.ok
    assert hard.activation == pytest.approx(np.full((1, 2), 0.4), abs=1e-9)
    assert hard.reserve_moment_nm[0, 0] == 0.0
    if opt is None:
        soft, o = solve_static_optimization(cap, tau), DEFAULT_RESERVE_OPTIMAL_FORCE_NM
    else:
        soft, o = solve_static_optimization(cap, tau, reserve_optimal_force_nm=opt), opt
    a = 8000.0 / (4.0 * o**2 + 20000.0)
    assert soft.activation == pytest.approx(np.full((1, 2), a), abs=1e-12)
    assert soft.muscle_force_n == pytest.approx(np.full((1, 2), 1000.0 * a), abs=1e-9)
    assert soft.reserve_moment_nm[0, 0] == pytest.approx(40.0 - 100.0 * a, abs=1e-10)
    assert soft.reserve_share[0, 0] == pytest.approx((40.0 - 100.0 * a) / 40.0, abs=1e-12)


def test_analytic_least_norm_inside_the_box():
    # p = 2, no bound active: the solution is the analytic one, a = A^T (A A^T)^-1 tau without
    # reserves, a = (I + A^T A / opt^2)^-1 A^T tau / opt^2 with reserves. The moments are made as
    # tau = A A^T y with y > 0 (all moment arms positive), so the least-norm activations A^T y
    # are positive; y is scaled so that they stay below 0.8.
    rng = np.random.default_rng(1)
    n, m, k = 20, 8, 3
    arms = rng.uniform(0.01, 0.06, (n, m, k))
    active = rng.uniform(500.0, 2000.0, (n, m))
    a_mat = np.swapaxes(arms * active[:, :, None], 1, 2)  # (n, k, m)
    y = rng.uniform(0.5, 1.5, (n, k))
    a_true = np.einsum("fki,fk->fi", a_mat, y)
    y *= 0.8 / a_true.max(axis=1, keepdims=True)
    a_true = np.einsum("fki,fk->fi", a_mat, y)
    tau = np.einsum("fki,fi->fk", a_mat, a_true)
    cap = _capacity(arms, active)
    hard = solve_static_optimization(cap, tau, reserve_optimal_force_nm=0.0)
    assert hard.ok and hard.method == "augmented-lagrangian"
    assert np.abs(hard.activation - a_true).max() < 1e-8
    opt = 7.0
    soft = solve_static_optimization(cap, tau, reserve_optimal_force_nm=opt)
    q = np.eye(m) + np.swapaxes(a_mat, 1, 2) @ a_mat / opt**2
    expected = np.linalg.solve(q, np.einsum("fki,fk->fi", a_mat, tau)[..., None])[..., 0] / opt**2
    assert (expected > 0).all() and (expected < 1).all()
    assert soft.ok and soft.method == "active-set"
    assert np.abs(soft.activation - expected).max() < 1e-12


def test_bounds_saturate_and_reserves_take_the_rest():
    # One muscle, 50 N m per unit activation, reserve 10 N m. tau = 100: the unconstrained
    # optimum a = 100/52 > 1, so a = 1 and the reserve gives 50 N m. tau = -30: the muscle cannot
    # pull that way, a = 0 and the reserve gives all of it.
    cap = _capacity(np.full((2, 1, 1), 0.05), np.full((2, 1), 1000.0))
    sol = solve_static_optimization(cap, np.array([[100.0], [-30.0]]))
    assert sol.ok
    assert sol.activation[:, 0] == pytest.approx([1.0, 0.0], abs=1e-15)
    assert sol.reserve_moment_nm[:, 0] == pytest.approx([50.0, -30.0], abs=1e-12)
    assert sol.saturated[:, 0].tolist() == [True, False]
    assert sol.reserve_share[:, 0] == pytest.approx([0.5, 1.0])


def test_active_set_matches_bvls_on_random_problems():
    # Reference: scipy.optimize.lsq_linear (BVLS) per frame on min ||a||^2 + ||(tau - A a)/opt||^2,
    # 0 <= a <= 1, an exact active-set method.
    cap, tau = _random_problem()
    sol = solve_static_optimization(cap, tau, reserve_optimal_force_nm=10.0)
    assert sol.ok and sol.method == "active-set"
    a_mat = np.swapaxes(cap.moment_arm_m * cap.active_force_n[:, :, None], 1, 2)
    m = a_mat.shape[2]
    ref = np.array([lsq_linear(np.vstack([np.eye(m), a_mat[f] / 10.0]),
                               np.concatenate([np.zeros(m), tau[f] / 10.0]), bounds=(0.0, 1.0),
                               method="bvls", tol=1e-14).x for f in range(tau.shape[0])])
    at_bounds = ((ref < 1e-9) | (ref > 1 - 1e-9)).mean()
    assert 0.2 < at_bounds < 0.9  # the bounds matter in these problems
    assert np.abs(sol.activation - ref).max() < 1e-9
    assert sol.kkt_error.max() < 1e-12


def test_moment_capacity_by_hand():
    # One coordinate, three muscles: m0 r = +5 cm, F_act 1000 N; m1 r = -4 cm, F_act 500 N,
    # passive 100 N; m2 r = +2 cm, F_act 0 (beyond its force-velocity range), passive 50 N.
    # Passive moment 100 (-0.04) + 50 (0.02) = -3 N m. Positive moment: 50 - 3 = 47 N m;
    # negative moment: 20 + 3 = 23 N m.
    arms = np.array([[[0.05], [-0.04], [0.02]]] * 2)
    cap = _capacity(arms, np.array([[1000.0, 500.0, 0.0]] * 2), np.array([[0.0, 100.0, 50.0]] * 2))
    tau = np.array([[10.0], [-10.0]])
    assert moment_capacity_nm(cap, tau)[:, 0] == pytest.approx([47.0, 23.0], abs=1e-12)
    assert moment_capacity_nm(cap, tau, include_passive=False)[:, 0] == pytest.approx([50.0, 20.0], abs=1e-12)
    with pytest.raises(ValueError, match="joint_moments"):
        moment_capacity_nm(cap, np.zeros((3, 1)))


@pytest.mark.parametrize("opt", [1.0, 10.0])
def test_reserve_covers_at_least_the_moment_beyond_capacity(opt):
    # Whatever the cost, muscles cannot exceed what they produce acting on one coordinate alone,
    # so every frame's reserve is at least |tau| - capacity, on every coordinate. The random
    # problems have moments beyond capacity in many frames (activations at the bounds).
    cap, tau = _random_problem(n=200, seed=3)
    sol = solve_static_optimization(cap, tau, reserve_optimal_force_nm=opt)
    limit = moment_capacity_nm(cap, tau)
    beyond = np.abs(tau) - limit
    assert (beyond > 1.0).mean() > 0.1        # the check has cases
    assert np.all(np.abs(sol.reserve_moment_nm) >= beyond - 1e-6)
    # and the reserve has the joint moment's sign where the moment is beyond capacity
    big = beyond > 1.0
    assert np.all(np.sign(sol.reserve_moment_nm[big]) == np.sign(tau[big]))


@pytest.mark.parametrize("p", [1.5, 3.0])
def test_other_exponents_reach_the_optimum(p):
    # Reference: L-BFGS-B per frame, tight tolerances, best of two starts; the solver's objective
    # must not exceed it (both are minimisers of a convex problem). Reserves of 10 N m: the
    # residual term below has weight 1/10^2.
    cap, tau = _random_problem(n=10, seed=2)
    sol = solve_static_optimization(cap, tau, exponent=p, reserve_optimal_force_nm=10.0)
    assert sol.ok and sol.method.startswith("newton")
    a_mat = np.swapaxes(cap.moment_arm_m * cap.active_force_n[:, :, None], 1, 2)
    for f in range(tau.shape[0]):
        def fun(a, f=f):
            res = tau[f] - a_mat[f] @ a
            return np.sum(a**p) + 0.01 * res @ res, p * a ** (p - 1) - 0.02 * a_mat[f].T @ res
        best = min((minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * a_mat.shape[2],
                             options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20000})
                    for x0 in (np.full(a_mat.shape[2], 0.3), sol.activation[f])), key=lambda r: r.fun)
        assert fun(sol.activation[f])[0] <= best.fun * (1 + 1e-10) + 1e-12


@pytest.mark.filterwarnings("ignore:delta_grad == 0.0")
def test_hard_equalities_and_infeasible_frames():
    # q1 has no reserve and only muscle m0 (50 N m per unit) acts on it: moments up to 50 N m
    # are met exactly, larger ones are infeasible (status 2, NaN, never a silent number).
    # q0 keeps a reserve (10 N m). Feasible frames are checked against trust-constr.
    rng = np.random.default_rng(3)
    n = 6
    arms = np.zeros((n, 3, 2))
    arms[:, :, 0] = [0.04, 0.03, -0.02]
    arms[:, 0, 1] = 0.05
    cap = _capacity(arms, np.full((n, 3), 1000.0))
    tau = np.column_stack([rng.uniform(-30, 30, n), [10.0, 30.0, 49.0, 60.0, -5.0, 20.0]])
    sol = solve_static_optimization(cap, tau, reserve_optimal_force_nm={"q0": 10.0, "q1": None})
    assert sol.status.tolist() == [0, 0, 0, 2, 2, 0]
    assert STATUS[2] == "infeasible"
    assert np.isnan(sol.activation[[3, 4]]).all() and np.isnan(sol.muscle_force_n[[3, 4]]).all()
    assert sol.failed_frames.tolist() == [3, 4]
    ok = sol.status == 0
    assert sol.equality_error_nm[ok].max() < 1e-6
    assert (sol.reserve_moment_nm[ok, 1] == 0.0).all()
    a_mat = np.swapaxes(arms * 1000.0, 1, 2)
    for f in np.flatnonzero(ok):
        def fun(a, f=f):
            return np.sum(a**2) + ((tau[f, 0] - a_mat[f, 0] @ a) / 10.0) ** 2
        ref = minimize(fun, np.full(3, 0.5), method="trust-constr", bounds=[(0.0, 1.0)] * 3,
                       constraints=[{"type": "eq", "fun": lambda a, f=f: a_mat[f, 1] @ a - tau[f, 1]}],
                       options={"xtol": 1e-12, "gtol": 1e-12, "maxiter": 5000})
        assert fun(sol.activation[f]) <= ref.fun + 1e-8


def test_passive_force_is_part_of_the_muscle_force():
    # Passive force 200 N on a 5 cm moment arm = 10 N m that activations need not produce.
    arms = np.full((1, 2, 1), 0.05)
    cap = _capacity(arms, np.full((1, 2), 1000.0), passive=np.array([[200.0, 0.0]]))
    tau = np.array([[40.0]])
    with_p = solve_static_optimization(cap, tau, reserve_optimal_force_nm=None)
    without = solve_static_optimization(cap, tau, reserve_optimal_force_nm=None, include_passive=False)
    assert with_p.activation[0] == pytest.approx([0.3, 0.3], abs=1e-9)      # (40 - 10) / 100
    assert with_p.muscle_force_n[0] == pytest.approx([500.0, 300.0], abs=1e-6)
    assert with_p.passive_force_n[0].tolist() == [200.0, 0.0]
    assert without.activation[0] == pytest.approx([0.4, 0.4], abs=1e-9)
    assert without.passive_force_n[0].tolist() == [0.0, 0.0]


def test_residual_coordinates_are_passed_through():
    arms = np.zeros((3, 1, 2))
    arms[:, 0, 1] = 0.05
    cap = _capacity(arms, np.full((3, 1), 1000.0), coords=("pelvis_tx", "knee"), residual=("pelvis_tx",))
    tau = np.array([[5.0, 10.0], [6.0, 20.0], [7.0, 30.0]])
    sol = solve_static_optimization(cap, tau)
    assert sol.coordinate_names == ("knee",) and sol.residual_coordinates == ("pelvis_tx",)
    assert sol.residual_nm[:, 0].tolist() == [5.0, 6.0, 7.0]
    assert sol.joint_moment_nm[:, 0].tolist() == [10.0, 20.0, 30.0]
    ds = sol.to_dataset()
    assert ds["muscle_force_n"].dims == ("frame", "muscle")
    assert ds["reserve_moment_nm"].attrs["units"] == "N m"
    assert list(ds["residual_coordinate"].values) == ["pelvis_tx"]


@pytest.mark.parametrize("make, match", [
    (lambda cap: (cap, np.array([[np.nan, 1.0]] * 2)),
     r"joint_moments: non-finite value nan at index \(0, 0\)"),
    (lambda cap: (cap, np.zeros((2, 3))), r"joint_moments: expected shape \(2, 2\), got \(2, 3\)"),
    (lambda cap: (cap, np.zeros((3, 2))), r"joint_moments: expected shape \(2, 2\)"),
])
def test_bad_moments_raise_one_line(make, match):
    cap = _capacity(np.full((2, 1, 2), 0.05), np.full((2, 1), 1000.0))
    capacity, tau = make(cap)
    with pytest.raises(ValueError, match=match) as err:
        solve_static_optimization(capacity, tau)
    assert "\n" not in str(err.value)


def test_bad_options_and_capacities_raise_one_line():
    cap = _capacity(np.full((2, 1, 2), 0.05), np.full((2, 1), 1000.0))
    tau = np.zeros((2, 2))
    cases = [
        (lambda: solve_static_optimization(cap, tau, exponent=0.5), "exponent"),
        (lambda: solve_static_optimization(cap, tau, reserve_optimal_force_nm={"nope": 1.0}), "unknown"),
        (lambda: solve_static_optimization(cap, tau, reserve_optimal_force_nm=-1.0), ">= 0"),
        (lambda: solve_static_optimization(cap, tau, residual_coordinates=["nope"]), "unknown"),
        (lambda: _capacity(np.full((2, 1, 2), 0.05), np.full((3, 1), 1000.0)), r"active_force_n: expected"),
        (lambda: _capacity(np.full((2, 1, 2), 0.05), np.full((2, 1), -1.0)), "negative"),
        (lambda: _capacity(np.full((2, 1, 2), np.inf), np.full((2, 1), 1.0)), "non-finite"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match) as err:
            call()
        assert "\n" not in str(err.value)


# ---------------------------------------------------------------------------- the running motion


@pytest.fixture(scope="module")
def running():
    """Default model without contact, the synthesised forward run (experimental kinematics,
    dynamically consistent with its GRF), its joint moments and the exported capacities."""
    from biomech.gait.params import running_inputs
    from biomech.gait.synthesis import synthesise_running
    from biomech.models import build, skeleton
    from biomech.osim.inverse import ExternalLoad, inverse_dynamics
    from biomech.osim.muscle_export import export_muscle_capacity

    # Synthesis is experimental and changes: the first knee flexion at contact that synthesises
    # is used (these tests check static optimization on a consistent motion, not the gait).
    for knee_deg in (35.0, 45.0, 25.0):
        try:
            motion, _ = synthesise_running(
                skeleton(), running_inputs("forward", knee_flexion_at_contact_deg=knee_deg))
            break
        except BiomechError as exc:
            error = exc
    else:
        pytest.skip(f"running synthesis failed: {error}")
    model = build(contact=False)
    loads = [ExternalLoad(ld.body, ld.force_n, ld.cop_m, ld.free_moment_nm) for ld in motion.loads.values()]
    tau = inverse_dynamics(model, motion.coordinate_names, motion.q, motion.qd, motion.qdd,
                           external_loads=loads)
    cap = export_muscle_capacity(model, motion.coordinate_names, motion.q, motion.qd, time_s=motion.time_s)
    return model, motion, loads, tau, cap


def test_equalities_hold_on_the_running_motion(running):
    _, motion, _, tau, cap = running
    assert cap.residual_coordinates == ("pelvis_tilt", "pelvis_tx", "pelvis_ty")
    for passive in (True, False):
        sol = solve_static_optimization(cap, tau, include_passive=passive)
        assert sol.ok, np.bincount(sol.status)
        solved = [cap.coordinate_names.index(c) for c in sol.coordinate_names]
        # recomputed from the outputs: sum_i R_ij F_i + reserve_j = tau_j
        moment = np.einsum("fmk,fm->fk", cap.moment_arm_m[:, :, solved], sol.muscle_force_n)
        assert np.abs(moment + sol.reserve_moment_nm - tau[:, solved]).max() < 1e-6
        assert ((sol.activation >= 0) & (sol.activation <= 1)).all()
        assert sol.kkt_error.max() < 1e-8
        assert sol.residual_nm == pytest.approx(tau[:, :3], abs=0)
        assert "lumbar_extension" in sol.coordinate_names  # no muscle: the reserve takes it all
        lumbar = sol.coordinate_names.index("lumbar_extension")
        assert sol.reserve_share[:, lumbar].min() == pytest.approx(1.0)


def test_moment_arms_match_opensim_and_finite_differences(running):
    # Exported moment arms (unit-speed virtual work through the patella coupler) against
    # OpenSim's MomentArmSolver (computeMomentArm) and against -dL/dq by central differences of
    # the muscle-tendon length with the patella following the knee. Frames in stance and early
    # swing (late swing has the knee hyperextended beyond the patella fit).
    from biomech.osim import osim

    model, motion, _, _, cap = running
    work = osim.Model(model)
    state = work.initSystem()
    cs = work.getCoordinateSet()
    muscles = [work.getMuscles().get(i) for i in range(work.getMuscles().getSize())]
    names = motion.coordinate_names

    def pose(q):
        for j, name in enumerate(names):
            cs.get(name).setValue(state, float(q[j]), False)
        for side in ("r", "l"):  # identity coupler: the patella angle equals the knee angle
            knee = float(q[names.index(f"knee_angle_{side}")])
            cs.get(f"knee_angle_pat_{side}").setValue(state, knee, False)
        work.realizePosition(state)

    h = 1e-6
    worst_solver, worst_fd = 0.0, 0.0
    for f in (0, 40, 80, 120, 250):
        pose(motion.q[f])
        solver = np.array([[mu.getGeometryPath().computeMomentArm(state, cs.get(c)) for c in names]
                           for mu in muscles])
        worst_solver = max(worst_solver, np.abs(solver - cap.moment_arm_m[f]).max())
        fd = np.empty_like(solver)
        for j in range(len(names)):
            lengths = []
            for sign in (1, -1):
                q = motion.q[f].copy()
                q[j] += sign * h
                pose(q)
                lengths.append([mu.getLength(state) for mu in muscles])
            fd[:, j] = -(np.array(lengths[0]) - np.array(lengths[1])) / (2 * h)
        worst_fd = max(worst_fd, np.abs(fd - cap.moment_arm_m[f]).max())
    assert np.abs(cap.moment_arm_m).max() > 0.03
    assert worst_solver < 1e-10       # same quantity, both exact
    assert worst_fd < 1e-7            # O(h^2) truncation + round-off of lengths (~1e-16 / h)
    # pelvis coordinates: internal forces have no moment arm about them
    assert np.abs(cap.moment_arm_m[:, :, :3]).max() < 1e-12
    # MTU speed = -R qd (the same virtual work)
    speed = -np.einsum("fmk,fk->fm", cap.moment_arm_m, motion.qd)
    assert np.abs(speed - cap.diagnostics["mtu_speed_m_s"]).max() < 1e-9


def test_force_capacities_follow_the_muscle_curves(running):
    # Active capacity = F0 f_L(l~) f_V(v~) cos(alpha) with the DeGrooteFregly2016 curve methods at
    # the exported normalised fibre length and velocity (where f_V >= 0), passive = F0 f_P cos;
    # and OpenSim's calcInextensibleTendonActiveFiberForce(state, 1), the capacity its
    # StaticOptimization uses, equals F0 f_L f_V *without* cos(alpha) in OpenSim 4.6.
    from biomech.osim import osim

    model, motion, _, _, cap = running
    muscles = [osim.DeGrooteFregly2016Muscle.safeDownCast(model.getMuscles().get(i))
               for i in range(model.getMuscles().getSize())]
    d = cap.diagnostics
    cos_a = np.cos(d["pennation_rad"])
    for i, mu in enumerate(muscles):
        f0 = mu.get_max_isometric_force()
        for f in range(0, cap.n_frames, 20):
            fl = mu.calcActiveForceLengthMultiplier(float(d["norm_fiber_length"][f, i]))
            fv = mu.calcForceVelocityMultiplier(float(d["norm_fiber_velocity"][f, i]))
            fp = mu.calcPassiveForceMultiplier(float(d["norm_fiber_length"][f, i]))
            assert cap.active_force_n[f, i] == pytest.approx(max(f0 * fl * fv * cos_a[f, i], 0.0), rel=1e-12,
                                                             abs=1e-9)
            assert cap.passive_force_n[f, i] == pytest.approx(max(f0 * fp * cos_a[f, i], 0.0), rel=1e-12,
                                                              abs=1e-9)
        # rigid tendon: fibre length along the tendon = MTU length - tendon slack length
        along = d["norm_fiber_length"][:, i] * mu.get_optimal_fiber_length() * cos_a[:, i]
        assert np.abs(along - (d["mtu_length_m"][:, i] - mu.get_tendon_slack_length())).max() < 1e-12
    work = osim.Model(model)
    ms = work.updMuscles()
    for i in range(ms.getSize()):
        ms.get(i).set_ignore_tendon_compliance(True)
    state = work.initSystem()
    cs = work.getCoordinateSet()
    for f in (0, 60, 250):
        for j, name in enumerate(motion.coordinate_names):
            cs.get(name).setValue(state, float(motion.q[f, j]), False)
            cs.get(name).setSpeedValue(state, float(motion.qd[f, j]))
        for side in ("r", "l"):
            k = motion.coordinate_names.index(f"knee_angle_{side}")
            cs.get(f"knee_angle_pat_{side}").setValue(state, float(motion.q[f, k]), False)
            cs.get(f"knee_angle_pat_{side}").setSpeedValue(state, float(motion.qd[f, k]))
        work.realizeVelocity(state)
        so_capacity = np.array([ms.get(i).calcInextensibleTendonActiveFiberForce(state, 1.0)
                                for i in range(ms.getSize())])
        ok = d["force_velocity_multiplier"][f] >= 0
        assert np.abs(so_capacity * cos_a[f] - cap.active_force_n[f])[ok].max() < 1e-8
        # the exported fibre state (computed in numpy for De Groote muscles) is OpenSim's
        for key, getter in (("norm_fiber_length", "getNormalizedFiberLength"),
                            ("norm_fiber_velocity", "getNormalizedFiberVelocity"),
                            ("passive_force_multiplier", "getPassiveForceMultiplier")):
            opensim = np.array([getattr(ms.get(i), getter)(state) for i in range(ms.getSize())])
            np.testing.assert_allclose(d[key][f], opensim, rtol=1e-10, atol=1e-12, err_msg=key)


def test_export_errors(running):
    from biomech.osim.muscle_export import export_muscle_capacity

    model, motion, _, _, _ = running
    q = np.array(motion.q[:3])
    with pytest.raises(ValueError, match="missing"):
        export_muscle_capacity(model, motion.coordinate_names[:-1], q[:, :-1], q[:, :-1])
    with pytest.raises(ValueError, match="coupled"):
        export_muscle_capacity(model, (*motion.coordinate_names[:-1], "knee_angle_pat_r"), q, q)
    q[1, 4] = np.nan
    with pytest.raises(ValueError, match="q: non-finite value at frame 1, coordinate knee_angle_r"):
        export_muscle_capacity(model, motion.coordinate_names, q, q * 0)


@pytest.mark.slow
def test_agrees_with_opensim_static_optimization(running, tmp_path, monkeypatch):
    # OpenSim's StaticOptimization (AnalyzeTool, files) on the same model and motion, with a
    # 10 N m CoordinateActuator on every joint coordinate and 100 N m / N residual actuators on
    # the pelvis; ours with include_passive=False (OpenSim ignores passive fibre force), p = 2,
    # the same reserves. To compare like with like:
    # * kinematic derivatives: OpenSim differentiates the coordinates with GCV splines
    #   (gcv_derivatives), so the joint moments and fibre velocities here use those;
    # * capacity: OpenSim 4.6 DeGrooteFregly2016Muscle.calcInextensibleTendonActiveFiberForce
    #   omits cos(alpha) (checked above), so ours is divided by cos(alpha) for this comparison;
    # * frames: OpenSim's failed frames (it says so in its log) and frames where a fibre shortens
    #   faster than its force-velocity curve allows (OpenSim keeps a negative capacity, ours is
    #   0) are left out; at least 70 % of the frames remain.
    from biomech.osim.inverse import inverse_dynamics
    from biomech.osim.muscle_export import (
        export_muscle_capacity,
        gcv_derivatives,
        opensim_static_optimization,
    )

    model, motion, loads, _, _ = running
    monkeypatch.chdir(tmp_path)
    before = set(os.listdir(tmp_path))
    ref = opensim_static_optimization(model, motion, reserve_optimal_force_nm=10.0,
                                      residual_optimal_force=100.0)
    assert set(os.listdir(tmp_path)) == before  # nothing written in the working directory
    qd, qdd = gcv_derivatives(motion.time_s, motion.q)
    tau = inverse_dynamics(model, motion.coordinate_names, motion.q, qd, qdd, external_loads=loads)
    cap = export_muscle_capacity(model, motion.coordinate_names, motion.q, qd)
    cos_a = np.cos(cap.diagnostics["pennation_rad"])
    cap = dataclasses.replace(cap, active_force_n=cap.active_force_n / cos_a)
    sol = solve_static_optimization(cap, tau, include_passive=False, reserve_optimal_force_nm=10.0)
    assert sol.ok
    assert ref.muscle_names == sol.muscle_names
    assert np.abs(ref.time_s - motion.time_s).max() < 1e-6  # .sto files keep ~8 digits

    failed = np.isin(np.arange(motion.n_frames), np.searchsorted(motion.time_s, ref.failed_times_s - 1e-9))
    clipped = (cap.diagnostics["force_velocity_multiplier"] < 0).any(axis=1)
    keep = ~failed & ~clipped
    assert keep.mean() > 0.7
    peak = np.abs(ref.muscle_force_n[keep]).max(axis=0)
    rms = np.sqrt(np.mean((sol.muscle_force_n[keep] - ref.muscle_force_n[keep]) ** 2, axis=0))
    share = rms / peak
    assert share.max() < 0.02, dict(zip(sol.muscle_names, np.round(100 * share, 3), strict=True))
    # reserves on the joints and residuals on the pelvis agree too (N m, N)
    order = [ref.reserve_names.index(c) for c in sol.coordinate_names]
    assert np.abs(sol.reserve_moment_nm[keep] - ref.reserve_nm[keep][:, order]).max() < 5.0
    pelvis = [ref.reserve_names.index(c) for c in sol.residual_coordinates]
    assert np.abs(sol.residual_nm[keep] - ref.reserve_nm[keep][:, pelvis]).max() < 20.0
