"""Exact planar kinematics (biomech.models.kinematics) against OpenSim, finite differences and the
sympy oracle's dynamics (Newton and Euler for the whole body)."""

from __future__ import annotations

import numpy as np
import pytest

from biomech.models import skeleton
from biomech.models.kinematics import PlanarKinematics
from biomech.models.symbolic import SymbolicModel
from biomech.osim import osim

# (centre, amplitude) of each coordinate's motion, rad or m: a running-like range of motion
_MOTION = {
    "pelvis_tilt": (0.05, 0.10),
    "pelvis_ty": (0.95, 0.04),
    "hip_flexion": (0.30, 0.60),
    "knee_angle": (0.85, 0.65),
    "ankle_angle": (0.00, 0.35),
    "lumbar_extension": (0.05, 0.15),
}


def trajectory(names: tuple[str, ...], t: np.ndarray, seed: int = 0
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """q(t), qd(t), qdd(t) (exact derivatives) of sums of two sines; pelvis_tx advances 3 m/s."""
    rng = np.random.default_rng(seed)
    t = np.asarray(t, dtype=float)
    q, qd, qdd = (np.zeros((t.size, len(names))) for _ in range(3))
    for k, name in enumerate(names):
        base = name[:-2] if name.endswith(("_r", "_l")) else name
        centre, amp = _MOTION.get(base, (0.0, 0.02))
        phase = rng.uniform(0, 2 * np.pi, 2)
        for a, f_hz, ph in ((0.7 * amp, 1.4, phase[0]), (0.3 * amp, 2.8, phase[1])):
            w = 2 * np.pi * f_hz
            q[:, k] += a * np.sin(w * t + ph)
            qd[:, k] += a * w * np.cos(w * t + ph)
            qdd[:, k] -= a * w**2 * np.sin(w * t + ph)
        q[:, k] += centre
        if name == "pelvis_tx":
            q[:, k] += 3.0 * t
            qd[:, k] += 3.0
    return q, qd, qdd


def random_states(names: tuple[str, ...], n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random poses (rad, m) around a running posture and random speeds (rad/s, m/s)."""
    rng = np.random.default_rng(seed)
    q, _, _ = trajectory(names, rng.uniform(0, 1, n), seed=seed)
    q += rng.uniform(-0.3, 0.3, q.shape)
    return q, rng.uniform(-4.0, 4.0, q.shape)


def central_difference(fn, names, t: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """Fourth-order central difference d/dt fn(q(t), qd(t)) (truncation error ~ h^4 f^(5) / 30)."""
    def at(dt):
        q, qd, _ = trajectory(names, t + dt)
        return fn(q, qd)
    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)


@pytest.fixture(scope="module")
def sk():
    return skeleton()


@pytest.fixture(scope="module")
def kin(sk):
    return PlanarKinematics.from_skeleton(sk)


@pytest.fixture(scope="module")
def sym(sk):
    return SymbolicModel.from_skeleton(sk)


def _osim_state(model, names, q_row, qd_row):
    """OpenSim state at (q, qd), patella coordinates equal to their knee (identity coupler)."""
    state = osim.State(model.getWorkingState())
    cs = model.getCoordinateSet()
    for n, v, vd in zip(names, q_row, qd_row, strict=True):
        cs.get(n).setValue(state, float(v), False)
        cs.get(n).setSpeedValue(state, float(vd))
    for side in ("r", "l"):
        k = names.index(f"knee_angle_{side}")
        cs.get(f"knee_angle_pat_{side}").setValue(state, float(q_row[k]), False)
        cs.get(f"knee_angle_pat_{side}").setSpeedValue(state, float(qd_row[k]))
    model.realizeVelocity(state)
    return state


def test_whole_body_mass_includes_patellae(sk, kin, default_model):
    assert "patella_r" in kin.bodies and "patella_l" in kin.bodies
    assert kin.total_mass_kg == pytest.approx(default_model.getTotalMass(
        default_model.getWorkingState()), rel=1e-14)


def test_com_points_and_angular_momentum_match_opensim(sk, kin, default_model):
    # Expected values: OpenSim's own calcMassCenterPosition/Velocity, findStationLocationInGround
    # and calcAngularMomentum (the system central momentum: about the whole-body COM, ground
    # axes; checked against calcSystemMomentumAboutGroundOrigin - r_c x m v_c while writing
    # this test). Both sides are exact, so 1e-10 (m, m/s, kg m^2/s) leaves only round-off.
    names = sk.independent_coordinates
    q, qd = random_states(names, 6, seed=1)
    com, vcom = kin.com(q), kin.com_velocity(q, qd)
    h = kin.angular_momentum(q, qd)
    foot = {"calcn_r": np.array([0.19, -0.04]), "calcn_l": np.array([-0.03, -0.05]),
            "patella_r": np.array([0.01, 0.02]), "torso": np.array([0.05, 0.60])}
    points = {b: kin.point(q, b, p) for b, p in foot.items()}
    bodies = default_model.getBodySet()
    for f in range(q.shape[0]):
        state = _osim_state(default_model, names, q[f], qd[f])
        assert np.abs(default_model.calcMassCenterPosition(state).to_numpy()[:2] - com[f]).max() < 1e-10
        assert np.abs(default_model.calcMassCenterVelocity(state).to_numpy()[:2] - vcom[f]).max() < 1e-10
        assert abs(default_model.calcAngularMomentum(state).to_numpy()[2] - h[f]) < 1e-10
        for b, p in foot.items():
            got = bodies.get(b).findStationLocationInGround(state, osim.Vec3(*p, 0.0)).to_numpy()
            assert np.abs(got[:2] - points[b][f]).max() < 1e-10, (b, f)
            rot = bodies.get(b).getTransformInGround(state).R()
            angle = np.arctan2(rot.get(1, 0), rot.get(0, 0)) - kin.body_angle(q[f], b)[0]
            assert abs(np.angle(np.exp(1j * angle))) < 1e-12, (b, f)
    # the motion is not trivial: angular momentum of several kg m^2/s
    assert np.abs(h).max() > 1.0


def test_velocities_and_accelerations_are_exact_derivatives(sk, kin):
    # Reference: 4th-order central differences (h = 1 ms) of the exact lower-order quantity along
    # an analytic trajectory; truncation error ~ 1e-12 (h^4 w^5 / 30 with w ~ 18 rad/s) relative.
    names = sk.independent_coordinates
    t = np.linspace(0.0, 0.7, 15)
    q, qd, qdd = trajectory(names, t)

    def rel(got, ref):
        return np.abs(got - ref).max() / np.abs(ref).max()

    cases = {
        "com_velocity": (kin.com_velocity(q, qd), lambda a, b: kin.com(a)),
        "com_acceleration": (kin.com_acceleration(q, qd, qdd), kin.com_velocity),
        "angular_momentum_rate": (kin.angular_momentum_rate(q, qd, qdd), kin.angular_momentum),
        "point_velocity": (kin.point_velocity(q, qd, "calcn_r", [0.19, -0.04]),
                           lambda a, b: kin.point(a, "calcn_r", [0.19, -0.04])),
        "point_acceleration": (kin.point_acceleration(q, qd, qdd, "patella_l", [0.01, 0.02]),
                               lambda a, b: kin.point_velocity(a, b, "patella_l", [0.01, 0.02])),
    }
    errors = {k: rel(got, central_difference(fn, names, t)) for k, (got, fn) in cases.items()}
    assert max(errors.values()) < 1e-6, errors
    # Jacobians against the velocities they define
    assert np.allclose(np.einsum("nic,nc->ni", kin.com_jacobian(q), qd), kin.com_velocity(q, qd),
                       rtol=0, atol=1e-13)
    jp = kin.point_jacobian(q, "calcn_r", [0.19, -0.04])
    assert np.allclose(np.einsum("nic,nc->ni", jp, qd),
                       kin.point_velocity(q, qd, "calcn_r", [0.19, -0.04]), rtol=0, atol=1e-13)


def test_com_offset_acceleration_leaves_out_pelvis_translations(sk, kin):
    names = sk.independent_coordinates
    q, qd, qdd = trajectory(names, np.linspace(0, 0.5, 9), seed=4)
    tx, ty = names.index("pelvis_tx"), names.index("pelvis_ty")
    offset = kin.com_offset_acceleration(q, qd, qdd)
    assert np.allclose(offset + qdd[:, [tx, ty]], kin.com_acceleration(q, qd, qdd), rtol=0, atol=1e-12)
    # the offset does not depend on the pelvis translation accelerations given
    qdd2 = qdd.copy()
    qdd2[:, [tx, ty]] = 123.0
    assert np.array_equal(kin.com_offset_acceleration(q, qd, qdd2), offset)


def test_newton_and_euler_for_the_whole_body(sk, kin, sym):
    # The oracle's generalized forces on the ground-pelvis joint are the external wrench on the
    # body other than gravity: force F = (tau_tx, tau_ty) at the pelvis origin and moment
    # tau_tilt. Newton: F = m (a_com - g). Euler about the COM: dH/dt = tau_tilt + (r_p - r_c) x F.
    # Kinematics (this module) and dynamics (Kane's method) are derived separately.
    names = sk.independent_coordinates
    tx, ty, rz = (names.index(n) for n in ("pelvis_tx", "pelvis_ty", "pelvis_tilt"))
    q, qd, qdd = trajectory(names, np.linspace(0, 0.7, 12), seed=2)
    g = np.array([0.0, sk.gravity_m_s2])
    weight = sk.total_mass_kg * abs(sk.gravity_m_s2)
    tau = sym.inverse_dynamics(q, qd, qdd)
    force = tau[:, [tx, ty]]
    assert np.abs(force - sk.total_mass_kg * (kin.com_acceleration(q, qd, qdd) - g)).max() < 1e-10 * weight
    lever = q[:, [tx, ty]] - kin.com(q)  # pelvis origin is at (pelvis_tx, pelvis_ty)
    euler = tau[:, rz] + lever[:, 0] * force[:, 1] - lever[:, 1] * force[:, 0]
    assert np.abs(kin.angular_momentum_rate(q, qd, qdd) - euler).max() < 1e-10 * weight

    # Ballistic flight: pelvis translation accelerations chosen so that the COM falls freely ->
    # the oracle needs no force on the pelvis translations.
    qdd[:, [tx, ty]] = g - kin.com_offset_acceleration(q, qd, qdd)
    tau = sym.inverse_dynamics(q, qd, qdd)
    assert np.abs(tau[:, [tx, ty]]).max() < 1e-10 * weight
    assert np.allclose(kin.com_acceleration(q, qd, qdd), g, rtol=0, atol=1e-12)


def test_input_checks(kin):
    n = len(kin.coordinates)
    assert kin.com(np.zeros(n)).shape == (1, 2)
    assert kin.point(np.zeros((3, n)), "calcn_r", np.zeros((3, 2))).shape == (3, 2)
    with pytest.raises(ValueError, match="expected shape"):
        kin.com(np.zeros((2, n + 1)))
    with pytest.raises(ValueError, match="numbers of frames"):
        kin.com_velocity(np.zeros((2, n)), np.zeros((3, n)))
    with pytest.raises(ValueError, match="body"):
        kin.point(np.zeros(n), "nope", [0.0, 0.0])
    with pytest.raises(ValueError, match="local_xy"):
        kin.point(np.zeros((2, n)), "calcn_r", np.zeros((3, 2)))
