"""In-memory inverse dynamics (biomech.osim.inverse): coordinate mapping, coupling, external loads,
errors."""

from __future__ import annotations

import numpy as np
import pytest

from biomech.models import build, skeleton
from biomech.models.kinematics import PlanarKinematics
from biomech.models.symbolic import SymbolicModel
from biomech.osim import osim
from biomech.osim.inverse import ExternalLoad, independent_coordinates, inverse_dynamics

G = 9.80665
NAMES = ("pelvis_tilt", "pelvis_tx", "pelvis_ty", "hip_flexion_r", "knee_angle_r",
         "ankle_angle_r", "hip_flexion_l", "knee_angle_l", "ankle_angle_l", "lumbar_extension")


def _pose(n_frames: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random poses and speeds around a running posture (rad, m; rad/s, m/s)."""
    rng = np.random.default_rng(seed)
    centre = np.array([0.05, 0.0, 0.95, 0.3, 0.8, 0.0, -0.2, 0.4, 0.1, 0.05])
    q = centre + rng.uniform(-0.2, 0.2, (n_frames, len(NAMES)))
    qd = rng.uniform(-3.0, 3.0, (n_frames, len(NAMES)))
    return q, qd


@pytest.fixture(scope="module")
def actuated():
    """The default model with one CoordinateActuator (1 N m or 1 N per unit) per coordinate."""
    model = build()
    acts = {}
    for name in NAMES:
        act = osim.CoordinateActuator(name)
        act.setName(f"tau_{name}")
        act.setOptimalForce(1.0)
        model.addForce(act)
        acts[name] = act
    model.initSystem()
    return model, acts


def test_independent_coordinates(default_model):
    assert independent_coordinates(default_model) == list(NAMES)


def test_known_generalized_forces_are_recovered(actuated):
    # Forward dynamics with known generalized forces (CoordinateActuators with overridden
    # actuation; muscles and contact off), then inverse dynamics of the resulting accelerations
    # must return those forces: checks the mobility-order mapping (OpenSim orders hip_r, hip_l,
    # knee_r, ...) and the projection of the patella coordinate onto the knee (the forward
    # solution enforces the coupler, whose reaction has no component on the independent
    # coordinates).
    model, acts = actuated
    q, qd = _pose()
    applied = np.arange(1, len(NAMES) + 1) * 10.0  # N m or N, distinct per coordinate
    cs = model.getCoordinateSet()
    forces = model.getForceSet()
    qdd = np.zeros_like(q)
    for f in range(q.shape[0]):
        state = osim.State(model.getWorkingState())
        for i in range(forces.getSize()):
            force = forces.get(i)
            force.setAppliesForce(state, force.getConcreteClassName() == "CoordinateActuator")
        for k, name in enumerate(NAMES):
            cs.get(name).setValue(state, float(q[f, k]), False)
            cs.get(name).setSpeedValue(state, float(qd[f, k]))
            acts[name].overrideActuation(state, True)
            acts[name].setOverrideActuation(state, float(applied[k]))
        for side in ("r", "l"):  # patella follows the knee (identity coupler)
            k = NAMES.index(f"knee_angle_{side}")
            cs.get(f"knee_angle_pat_{side}").setValue(state, float(q[f, k]), False)
            cs.get(f"knee_angle_pat_{side}").setSpeedValue(state, float(qd[f, k]))
        model.realizeAcceleration(state)
        qdd[f] = [cs.get(name).getAccelerationValue(state) for name in NAMES]
    tau = inverse_dynamics(model, NAMES, q, qd, qdd)  # every model force off, actuators too
    # tolerance: forward dynamics is solved to round-off (constrained, direct factorisation)
    assert np.abs(tau - applied).max() < 1e-8 * applied.max()


def test_column_order_follows_coordinate_names(default_model):
    q, qd = _pose(seed=1)
    qdd = np.random.default_rng(2).uniform(-20, 20, q.shape)
    perm = np.random.default_rng(3).permutation(len(NAMES))
    ref = inverse_dynamics(default_model, NAMES, q, qd, qdd)
    got = inverse_dynamics(default_model, [NAMES[i] for i in perm], q[:, perm], qd[:, perm],
                           qdd[:, perm])
    assert np.array_equal(got, ref[:, perm])


def test_model_forces_are_excluded():
    # Contact on and the feet 10 cm into the floor: the static weight is still carried by
    # pelvis_ty alone (contact forces and muscles are switched off in the solver's state).
    model = build(contact=True)
    q = np.zeros((1, len(NAMES)))
    q[0, NAMES.index("pelvis_ty")] = 0.80
    tau = inverse_dynamics(model, NAMES, q, np.zeros_like(q), np.zeros_like(q))
    weight = skeleton().total_mass_kg * G
    assert tau[0, NAMES.index("pelvis_ty")] == pytest.approx(weight, rel=1e-12)
    assert abs(tau[0, NAMES.index("pelvis_tx")]) < 1e-9 * weight


def test_model_working_state_is_left_alone(default_model):
    before = default_model.getWorkingState().getQ().to_numpy().copy()
    q, qd = _pose(n_frames=1, seed=4)
    inverse_dynamics(default_model, NAMES, q, qd, np.zeros_like(q))
    assert np.array_equal(default_model.getWorkingState().getQ().to_numpy(), before)


def test_errors(default_model):
    z = np.zeros((2, len(NAMES)))
    with pytest.raises(TypeError, match="ExternalLoad"):
        inverse_dynamics(default_model, NAMES, z, z, z, external_loads=[[], []])
    with pytest.raises(ValueError, match="no such body"):
        inverse_dynamics(default_model, NAMES, z, z, z,
                         external_loads=[ExternalLoad("ground", np.zeros(3), np.zeros(3))])
    with pytest.raises(ValueError, match="3 frames"):
        inverse_dynamics(default_model, NAMES, z, z, z,
                         external_loads=[ExternalLoad("calcn_r", np.zeros((3, 3)), np.zeros(3))])
    with pytest.raises(ValueError, match="force_n"):
        ExternalLoad("calcn_r", np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="missing"):
        inverse_dynamics(default_model, NAMES[:-1], z[:, :-1], z[:, :-1], z[:, :-1])
    bad = (*NAMES[:-1], "knee_angle_pat_r")
    with pytest.raises(ValueError, match="coupled"):
        inverse_dynamics(default_model, bad, z, z, z)
    with pytest.raises(ValueError, match="unknown"):
        inverse_dynamics(default_model, (*NAMES[:-1], "nope"), z, z, z)
    with pytest.raises(ValueError, match="expected shape"):
        inverse_dynamics(default_model, NAMES, z[:, :-1], z, z)


# ---------------------------------------------------------------------------- external loads


@pytest.fixture(scope="module")
def kin():
    return PlanarKinematics.from_skeleton(skeleton())


def _motion(n_frames: int = 5, seed: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q, qd = _pose(n_frames, seed)
    return q, qd, np.random.default_rng(seed + 1).uniform(-20.0, 20.0, q.shape)


def test_no_or_zero_loads_keep_the_old_result(default_model):
    q, qd, qdd = _motion()
    ref = inverse_dynamics(default_model, NAMES, q, qd, qdd)
    zero = ExternalLoad("calcn_r", np.zeros(3), np.ones(3), np.zeros(3))
    assert np.array_equal(inverse_dynamics(default_model, NAMES, q, qd, qdd, external_loads=[]), ref)
    got = inverse_dynamics(default_model, NAMES, q, qd, qdd, external_loads={"grf_r": zero})
    assert np.abs(got - ref).max() < 1e-12 * np.abs(ref).max()


def test_body_weight_under_the_com_removes_the_pelvis_residuals(default_model, kin):
    # Static poses; a vertical force equal to the body weight on calcn_r at the floor point
    # below the whole-body COM (COM from PlanarKinematics, checked against OpenSim in
    # tests/models/test_kinematics.py): external forces balance, so the ground-pelvis joint needs
    # no force and no moment (gravity and the load are collinear); the joints still carry load.
    q, _ = _pose(n_frames=4, seed=8)
    z = np.zeros_like(q)
    weight = skeleton().total_mass_kg * G
    com = kin.com(q)
    force = np.tile([0.0, weight, 0.0], (q.shape[0], 1))
    point = np.column_stack([com[:, 0], np.zeros(q.shape[0]), np.full(q.shape[0], 0.08)])
    tau = inverse_dynamics(default_model, NAMES, q, z, z,
                           external_loads=[ExternalLoad("calcn_r", force, point)])
    pelvis = [NAMES.index(n) for n in ("pelvis_tilt", "pelvis_tx", "pelvis_ty")]
    assert np.abs(tau[:, pelvis]).max() < 1e-9 * weight  # N and N m (moment arms ~ 1 m)
    assert np.abs(tau[:, NAMES.index("ankle_angle_r")]).min() > 1.0


def test_loads_match_the_oracle_with_virtual_work(default_model, kin):
    # Expected: the sympy oracle's tau (gravity only) minus the generalized forces of the loads by
    # virtual work, J_p^T F for a force F at a body point p and J_theta^T T_z for a free moment,
    # with the Jacobians of PlanarKinematics (exact). Loads at points off the body origins, out-of-
    # plane components that must do nothing, and two loads on one body. Both sides are exact.
    sk = skeleton()
    sym = SymbolicModel.from_skeleton(sk)
    q, qd, qdd = _motion()
    n = q.shape[0]
    rng = np.random.default_rng(9)
    specs = [("calcn_r", [0.17, -0.05]), ("calcn_r", [-0.02, -0.06]), ("torso", [0.10, 0.45]),
             ("patella_l", [0.01, 0.03])]
    loads, expected = {}, sym.inverse_dynamics(q, qd, qdd)
    for k, (body, local) in enumerate(specs):
        force = rng.uniform(-300.0, 300.0, (n, 3)) + [0.0, 600.0 if k < 2 else 0.0, 0.0]
        torque = rng.uniform(-20.0, 20.0, (n, 3))
        point = np.column_stack([kin.point(q, body, local), rng.uniform(-0.2, 0.2, n)])
        loads[f"load{k}"] = ExternalLoad(body, force, point, torque)
        expected -= np.einsum("nic,ni->nc", kin.point_jacobian(q, body, local), force[:, :2])
        expected -= kin.body_angle_jacobian(q, body) * torque[:, 2:3]
    got = inverse_dynamics(default_model, NAMES, q, qd, qdd, external_loads=loads)
    scale = np.maximum(1.0, np.abs(expected).max(axis=0))
    rel = np.abs(got - expected).max(axis=0) / scale
    assert rel.max() < 1e-8, dict(zip(NAMES, rel, strict=True))


def test_free_moment_loads_the_coordinates_that_turn_the_body(default_model):
    # A free moment T_z on calcn_r turns with pelvis_tilt, hip_r, ankle_r (axis +z) and knee_r
    # (axis -z, knee flexion negative about z), so the required generalized forces change by -T_z
    # on those and +T_z on the knee; the translations and the left leg are unaffected. A couple on
    # the pelvis changes pelvis_tilt only. Out-of-plane torque components do nothing.
    q, qd, qdd = _motion(n_frames=3, seed=10)
    ref = inverse_dynamics(default_model, NAMES, q, qd, qdd)
    t_z = 7.0  # N m
    change = np.zeros(len(NAMES))
    for name, sign in (("pelvis_tilt", -1), ("hip_flexion_r", -1), ("knee_angle_r", 1),
                       ("ankle_angle_r", -1)):
        change[NAMES.index(name)] = sign * t_z
    foot = ExternalLoad("calcn_r", np.zeros(3), np.zeros(3), np.array([30.0, -40.0, t_z]))
    got = inverse_dynamics(default_model, NAMES, q, qd, qdd, external_loads=[foot])
    assert np.abs(got - ref - change).max() < 1e-10
    pelvis = ExternalLoad("pelvis", np.zeros(3), np.zeros(3), np.array([0.0, 0.0, t_z]))
    got = inverse_dynamics(default_model, NAMES, q, qd, qdd, external_loads=[pelvis])
    change = np.zeros(len(NAMES))
    change[NAMES.index("pelvis_tilt")] = -t_z
    assert np.abs(got - ref - change).max() < 1e-10


def _coupler(function, n_independent: int = 1, scale: float = 1.0):
    from biomech.osim.inverse import _Coupler
    return _Coupler("dep", tuple(f"x{i}" for i in range(n_independent)), function, scale)


def _spline() -> osim.Function:
    spline = osim.SimmSpline()
    for x, y in ((-1.0, 0.1), (-0.3, -0.2), (0.2, 0.35), (0.9, 0.3), (1.6, -0.4)):
        spline.addPoint(x, y)
    return spline


@pytest.mark.parametrize("function, scale", [
    (osim.LinearFunction(1.0, 0.0), 1.0),                          # the patella couplers
    (osim.LinearFunction(-0.7, 0.25), 2.0),
    (osim.PolynomialFunction(osim.Vector([0.3, -0.5, 1.2, 0.1])), -1.5),  # 0.3 x^3 - 0.5 x^2 + ...
    (_spline(), 0.8),                                                # not a polynomial: OpenSim path
])
def test_coupler_trajectory_equals_opensim_frame_by_frame(function, scale):
    # value, speed (chain rule), acceleration (second chain rule) and gradient over all frames at
    # once must equal OpenSim's calcValue / calcDerivative taken frame by frame
    rng = np.random.default_rng(3)
    x, xd, xdd = rng.uniform(-1, 1.5, (7, 1)), rng.uniform(-8, 8, (7, 1)), rng.uniform(-300, 300, (7, 1))
    c = _coupler(function, scale=scale)
    value, speed, acc, grad = c.trajectory(x, xd, xdd)
    for f in range(7):
        v, s, a, g = c.evaluate(x[f], xd[f], xdd[f])
        np.testing.assert_allclose([value[f], speed[f], acc[f]], [v, s, a], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grad[f], g, rtol=1e-12, atol=1e-12)
    # and against finite differences of OpenSim's value, so a wrong coefficient order shows
    h = 1e-6
    up = scale * function.calcValue(osim.Vector([float(x[0, 0] + h)]))
    down = scale * function.calcValue(osim.Vector([float(x[0, 0] - h)]))
    assert grad[0, 0] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8)
