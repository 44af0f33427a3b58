"""The sympy Kane's-method oracle (biomech.models.symbolic) against itself and against OpenSim."""

from __future__ import annotations

import numpy as np
import pytest

from biomech.models import skeleton
from biomech.models.symbolic import SymbolicModel
from biomech.osim import osim
from biomech.osim.inverse import inverse_dynamics

G = 9.80665

# (centre, amplitude) of each coordinate's motion, rad or m: a running-like range of motion
# inside the model's coordinate ranges (knee 0.2-1.5 rad, pelvis height about 0.95 m).
_MOTION = {
    "pelvis_tilt": (0.05, 0.10),
    "pelvis_ty": (0.95, 0.04),
    "hip_flexion": (0.30, 0.60),
    "knee_angle": (0.85, 0.65),
    "ankle_angle": (0.00, 0.35),
    "lumbar_extension": (0.05, 0.15),
}
_SPEED_M_S = 3.0


def smooth_motion(names: tuple[str, ...], n_frames: int = 50, duration_s: float = 0.7,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums of two sines per coordinate, with exact first and second time derivatives.

    Returns q, qd, qdd of shape (n_frames, len(names)); pelvis_tx also advances at 3 m/s.
    """
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, duration_s, n_frames)
    q, qd, qdd = (np.zeros((n_frames, len(names))) for _ in range(3))
    for k, name in enumerate(names):
        base = name[:-2] if name.endswith(("_r", "_l")) else name
        centre, amp = _MOTION.get(base, (0.0, 0.02))
        phase = rng.uniform(0, 2 * np.pi) + (np.pi if name.endswith("_l") else 0.0)
        for a, f_hz in ((0.7 * amp, 1.4), (0.3 * amp, 2.8)):  # |sum| <= amp
            w = 2 * np.pi * f_hz
            q[:, k] += a * np.sin(w * t + phase)
            qd[:, k] += a * w * np.cos(w * t + phase)
            qdd[:, k] -= a * w**2 * np.sin(w * t + phase)
        q[:, k] += centre
        if name == "pelvis_tx":
            q[:, k] += _SPEED_M_S * t
            qd[:, k] += _SPEED_M_S
    return q, qd, qdd


@pytest.fixture(scope="module")
def sk():
    return skeleton()


@pytest.fixture(scope="module")
def sym(sk):
    return SymbolicModel.from_skeleton(sk)


def _set_pose(model, state, names, q_row) -> None:
    """Set every coordinate, the patella ones equal to their knee (the coupler is the identity)."""
    cs = model.getCoordinateSet()
    for n, v in zip(names, q_row, strict=True):
        cs.get(n).setValue(state, float(v), False)
    for side in ("r", "l"):
        cs.get(f"knee_angle_pat_{side}").setValue(state, float(q_row[names.index(f"knee_angle_{side}")]),
                                                  False)
    model.realizePosition(state)


def test_oracle_matches_opensim_inverse_dynamics(sk, sym, default_model):
    names = sk.independent_coordinates
    q, qd, qdd = smooth_motion(names)
    tau_osim = inverse_dynamics(default_model, names, q, qd, qdd)
    tau_sym = sym.inverse_dynamics(q, qd, qdd)
    # metric: per coordinate, max over frames |tau_sym - tau_osim| / max(1, max |tau_osim|)
    # (N m or N); both sides are exact (no finite differences), so only round-off remains.
    scale = np.maximum(1.0, np.abs(tau_osim).max(axis=0))
    rel = np.abs(tau_sym - tau_osim).max(axis=0) / scale
    assert rel.max() < 1e-6, dict(zip(names, rel, strict=True))
    # the motion is dynamic enough to matter: hip and knee torques well above round-off
    assert scale[names.index("knee_angle_r")] > 10.0


def test_static_pose_pelvis_ty_carries_the_weight(sk, sym):
    # Static (qd = qdd = 0): nothing but the pelvis_ty generalized force supports the body, so it
    # equals the total weight m g; pelvis_tx carries no horizontal force.
    names = sk.independent_coordinates
    q, _, _ = smooth_motion(names, n_frames=7, seed=3)
    tau = sym.inverse_dynamics(q, np.zeros_like(q), np.zeros_like(q))
    weight = sk.total_mass_kg * G
    assert np.allclose(tau[:, names.index("pelvis_ty")], weight, rtol=1e-9, atol=0)
    assert np.abs(tau[:, names.index("pelvis_tx")]).max() < 1e-9 * weight


def test_patella_weight_loads_the_knee(sk, sym):
    # Static pose: the knee torque includes the moment of the shank, foot and patella weights;
    # with the patella mass removed (oracle rebuilt) the knee torque changes, the hip torque too.
    import dataclasses

    names = sk.independent_coordinates
    light = dataclasses.replace(
        sk, bodies=tuple(dataclasses.replace(b, mass_kg=1e-12) if b.name.startswith("patella")
                         else b for b in sk.bodies))
    q, _, _ = smooth_motion(names, n_frames=3, seed=5)
    z = np.zeros_like(q)
    k = names.index("knee_angle_r")
    diff = sym.inverse_dynamics(q, z, z)[:, k] - SymbolicModel.from_skeleton(light).inverse_dynamics(
        q, z, z)[:, k]
    # patella weight (about 0.84 N) times a lever arm of a few cm
    assert np.all(np.abs(diff) > 1e-3)
    assert np.all(np.abs(diff) < 0.84 * 0.1)


def test_body_positions_match_opensim(sk, sym, default_model):
    # Checks OpenSim's CustomJoint convention (knee and patella translations in the parent frame,
    # rotation about the joint axis) against the skeleton's definition, at a few poses.
    names = list(sk.independent_coordinates)
    q, _, _ = smooth_motion(tuple(names), n_frames=5, seed=7)
    poses = sym.body_poses(q)
    state = osim.State(default_model.getWorkingState())
    bodies = default_model.getBodySet()
    for f in range(q.shape[0]):
        _set_pose(default_model, state, names, q[f])
        for b in sk.bodies:
            body = bodies.get(b.name)
            p = body.getPositionInGround(state)
            got = np.array([p.get(0), p.get(1)])
            assert np.abs(got - poses[b.name][f, :2]).max() < 1e-9, (b.name, f)
            rot = body.getTransformInGround(state).R()
            angle = np.arctan2(rot.get(1, 0), rot.get(0, 0))
            assert abs(np.angle(np.exp(1j * (angle - poses[b.name][f, 2])))) < 1e-9, (b.name, f)


def test_inverse_dynamics_shape_checks(sym):
    n = len(sym.coordinates)
    out = sym.inverse_dynamics(np.zeros(n), np.zeros(n), np.zeros(n))
    assert out.shape == (1, n)
    with pytest.raises(ValueError, match="expected shape"):
        sym.inverse_dynamics(np.zeros((2, n + 1)), np.zeros((2, n)), np.zeros((2, n)))
    with pytest.raises(ValueError, match="numbers of frames"):
        sym.inverse_dynamics(np.zeros((2, n)), np.zeros((3, n)), np.zeros((2, n)))


@pytest.mark.slow
def test_explicit_kane_equals_sympy_kanes_method(sk, sym):
    # The explicit planar formulation against sympy.physics.mechanics.KanesMethod (~6 s).
    names = sk.independent_coordinates
    q, qd, qdd = smooth_motion(names, n_frames=10, seed=11)
    ref = SymbolicModel.from_skeleton(sk, engine="kanes_method").inverse_dynamics(q, qd, qdd)
    got = sym.inverse_dynamics(q, qd, qdd)
    assert np.abs(got - ref).max() < 1e-9 * max(1.0, np.abs(ref).max())
