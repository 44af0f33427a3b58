"""Joint reaction loads (biomech.osim.joint_reaction): a static hand check, Newton-Euler on the
shank and foot, agreement with OpenSim's JointReaction analysis, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from biomech.models import skeleton
from biomech.models.kinematics import PlanarKinematics
from biomech.osim import osim
from biomech.osim.build import muscle_names
from biomech.osim.inverse import ExternalLoad
from biomech.osim.joint_reaction import JointReaction, joint_reactions, opensim_joint_reaction_tool

G = 9.80665
NAMES = ("pelvis_tilt", "pelvis_tx", "pelvis_ty", "hip_flexion_r", "knee_angle_r",
         "ankle_angle_r", "hip_flexion_l", "knee_angle_l", "ankle_angle_l", "lumbar_extension")
PELVIS = [0, 1, 2]


@pytest.fixture(scope="module")
def sk():
    return skeleton()


@pytest.fixture(scope="module")
def kin(sk):
    return PlanarKinematics.from_skeleton(sk)


def _random_case(model, n_frames: int = 6, seed: int = 0):
    """Poses around a running posture, random speeds, accelerations, muscle tensions, reserves and
    a ground reaction force under each foot (at a point near the foot, with a free moment)."""
    rng = np.random.default_rng(seed)
    centre = np.array([0.05, 0.0, 0.95, 0.3, 0.8, 0.0, -0.2, 0.4, 0.1, 0.05])
    q = centre + rng.uniform(-0.2, 0.2, (n_frames, len(NAMES)))
    qd = rng.uniform(-3.0, 3.0, q.shape)
    qdd = rng.uniform(-30.0, 30.0, q.shape)
    muscles = muscle_names(model)
    forces = rng.uniform(0.0, 1500.0, (n_frames, len(muscles)))
    reserves = rng.uniform(-20.0, 20.0, q.shape)
    reserves[:, PELVIS] = 0.0
    loads = []
    for side, z in (("r", 0.08), ("l", -0.08)):
        force = np.column_stack([rng.uniform(-300, 300, n_frames), rng.uniform(0, 1500, n_frames),
                                 np.zeros(n_frames)])
        point = np.column_stack([rng.uniform(-0.2, 0.4, n_frames), rng.uniform(0.0, 0.05, n_frames),
                                 np.full(n_frames, z)])
        torque = np.column_stack([np.zeros((n_frames, 2)), rng.uniform(-5, 5, n_frames)])
        loads.append(ExternalLoad(f"calcn_{side}", force, point, torque))
    return q, qd, qdd, muscles, forces, reserves, loads


def _rot(theta: float) -> np.ndarray:
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s], [s, c]])


# ------------------------------------------------------------------ (a) static hand check


def test_static_knee_reaction_is_weight_below_minus_grf(default_model, sk):
    # Standing still (qd = qdd = 0), muscles off, half the body weight pushing up at each ankle
    # centre. Statics of the shank + foot (the patella hangs on the femur): the femur's force on
    # the tibia is F = -(GRF + (m_tibia + m_calcn) g), and its moment about the knee centre (the
    # tibia origin) balances the moments of the GRF and of both weights. Expected values from the
    # skeleton's masses, centres of mass and segment lengths, with hand-written planar rotations.
    q = np.array([[0.05, 0.3, 0.95, 0.3, 0.5, 0.1, -0.2, 0.2, -0.1, 0.05]])
    z = np.zeros_like(q)
    bw = sk.total_mass_kg * G
    angles = {}
    loads = []
    for side in ("r", "l"):
        tilt, hip, knee, ankle = (q[0, NAMES.index(c)] for c in
                                  ("pelvis_tilt", f"hip_flexion_{side}", f"knee_angle_{side}",
                                   f"ankle_angle_{side}"))
        theta = tilt + hip - knee            # tibia angle: the knee turns about -z
        angles[side] = (theta, ankle)
        # ankle centre in ground, from the model (only where the GRF acts: it is hand-checked below
        # relative to the knee)
        state = default_model.initSystem()
        for k, c in enumerate(NAMES):
            default_model.getCoordinateSet().get(c).setValue(state, float(q[0, k]), False)
        default_model.getCoordinateSet().get(f"knee_angle_pat_{side}").setValue(
            state, float(q[0, NAMES.index(f"knee_angle_{side}")]), False)
        default_model.realizePosition(state)
        ankle_g = default_model.getBodySet().get(f"calcn_{side}").getPositionInGround(state).to_numpy()
        loads.append(ExternalLoad(f"calcn_{side}", [0.0, bw / 2, 0.0], ankle_g))
    muscles = muscle_names(default_model)
    r = joint_reactions(default_model, NAMES, q, z, z, muscle_forces_n=np.zeros((1, len(muscles))),
                        muscle_names=muscles, external_loads=loads, joints=("knee_r", "knee_l"))
    tibia, calcn = sk.body("tibia_r"), sk.body("calcn_r")
    m_below = tibia.mass_kg + calcn.mass_kg
    shank = next(j for j in sk.joints if j.name == "ankle_r").location_m[1]   # ankle in tibia (m)
    for side in ("r", "l"):
        theta, ankle = angles[side]
        f_ground_y = m_below * G - bw / 2   # x = 0: every load is vertical
        expected_f = np.array([math.sin(theta) * f_ground_y, math.cos(theta) * f_ground_y, 0.0])
        got = r[f"knee_{side}"]
        assert got.parent == f"femur_{side}" and got.child == f"tibia_{side}"
        assert np.abs(got.force_n[0] - expected_f).max() <= 1e-6 * np.linalg.norm(expected_f)
        assert got.compressive_n[0] == pytest.approx(-expected_f[1], rel=1e-6)
        assert got.compressive_n[0] > 0.0  # the femur presses the tibia down
        # moments about the knee centre (the tibia origin), z components r_x F_y
        r_tcom = _rot(theta) @ np.array(tibia.com_m[:2])
        r_ankle = _rot(theta) @ np.array([0.0, shank])
        r_ccom = r_ankle + _rot(theta + ankle) @ np.array(calcn.com_m[:2])
        expected_mz = -(r_tcom[0] * -tibia.mass_kg * G + r_ccom[0] * -calcn.mass_kg * G
                        + r_ankle[0] * bw / 2)
        assert got.moment_nm[0, 2] == pytest.approx(expected_mz, rel=1e-6)
        assert np.abs(got.moment_nm[0, :2]).max() < 1e-9 * bw
    # the two half-weights carry the body: no residual force on the pelvis
    assert np.abs(r.residual_generalized_force[0, 1:3]).max() < 1e-9 * bw
    assert r.max_acceleration_error < 1e-9


# ------------------------------------------------------------------ (c) Newton-Euler


def _point_forces(model, state, muscles, tensions, bodies):
    """Sum of muscle forces (N) on ``bodies`` and their moment (N m) about the origin, ground."""
    force, moment = np.zeros(3), np.zeros(3)
    ms = model.getMuscles()
    for name, tension in zip(muscles, tensions, strict=True):
        arr = osim.ArrayPointForceDirection()
        ms.get(name).getGeometryPath().getPointForceDirections(state, arr)
        for i in range(arr.getSize()):
            pfd = arr.get(i)
            body = pfd.frame().getName()
            if body in bodies:
                f = tension * pfd.scale() * pfd.direction().to_numpy()
                p = model.getBodySet().get(body).findStationLocationInGround(state, pfd.point()).to_numpy()
                force += f
                moment += np.cross(p, f)
    return force, moment


def test_newton_euler_on_shank_and_foot(default_model, sk, kin):
    # For the tibia + calcn subsystem, the knee reaction plus the muscle forces acting on those
    # bodies (OpenSim's path point force directions), the GRF and gravity must equal the rate of
    # change of linear and angular momentum. Accelerations of the centres of mass and angular
    # accelerations come from the independent symbolic kinematics (PlanarKinematics).
    model = default_model
    q, qd, qdd, muscles, forces, reserves, loads = _random_case(model, seed=1)
    r = joint_reactions(model, NAMES, q, qd, qdd, muscle_forces_n=forces, muscle_names=muscles,
                        reserve_moments_nm=reserves, external_loads=loads)
    order = [NAMES.index(c) for c in kin.coordinates]
    qk, qdk, qddk = q[:, order], qd[:, order], qdd[:, order]
    cs = model.getCoordinateSet()
    for side, load in zip(("r", "l"), loads, strict=True):
        sub = (f"tibia_{side}", f"calcn_{side}")
        for f in range(q.shape[0]):
            state = model.initSystem()
            for k, c in enumerate(NAMES):
                cs.get(c).setValue(state, float(q[f, k]), False)
            cs.get(f"knee_angle_pat_{side}").setValue(state, float(q[f, NAMES.index(f"knee_angle_{side}")]),
                                                      False)
            model.realizePosition(state)
            tibia = model.getBodySet().get(sub[0])
            knee = tibia.getPositionInGround(state).to_numpy()          # the tibia origin
            react = r[f"knee_{side}"]
            f_react = tibia.expressVectorInGround(state, osim.Vec3(*react.force_n[f])).to_numpy()
            m_react = tibia.expressVectorInGround(state, osim.Vec3(*react.moment_nm[f])).to_numpy()
            f_mus, m_mus = _point_forces(model, state, muscles, forces[f], sub)
            grf, cop, torque = (x[f] for x in load.per_frame(q.shape[0]))
            total_f = f_react + f_mus + grf
            total_m = m_react + np.cross(knee, f_react) + m_mus + np.cross(cop, grf) + torque
            rate_p, rate_h = np.zeros(3), np.zeros(3)
            for name in sub:
                body = sk.body(name)
                com = model.getBodySet().get(name).findStationLocationInGround(
                    state, osim.Vec3(*body.com_m)).to_numpy()
                weight = np.array([0.0, -body.mass_kg * G, 0.0])
                total_f += weight
                total_m += np.cross(com, weight)
                acc = np.append(kin.point_acceleration(qk[f], qdk[f], qddk[f], name, body.com_m[:2])[0], 0.0)
                alpha = float(kin.body_angle_jacobian(qk[f], name)[0] @ qddk[f])  # angles linear in q
                rate_p += body.mass_kg * acc
                rate_h += np.cross(com, body.mass_kg * acc) + np.array([0, 0, body.inertia_kg_m2[2] * alpha])
            # tolerance: both sides are exact to round-off (forces of order 1e3 N)
            assert np.abs(total_f - rate_p).max() < 1e-8 * 1e3, (side, f)
            assert np.abs((total_m - np.cross(knee, total_f)) - (rate_h - np.cross(knee, rate_p))).max() \
                < 1e-8 * 1e3, (side, f)


# ------------------------------------------------------------------ (b) OpenSim's JointReaction


def test_agrees_with_opensim_joint_reaction_tool(default_model):
    model = default_model
    q, qd, qdd, muscles, forces, reserves, loads = _random_case(model, n_frames=8, seed=2)
    r = joint_reactions(model, NAMES, q, qd, qdd, muscle_forces_n=forces, muscle_names=muscles,
                        reserve_moments_nm=reserves, external_loads=loads)
    # the tool gets the reserves plus the generalized forces joint_reactions added, so that its
    # forward dynamics reproduces qdd (the motion here is random, nothing balances it)
    tool = opensim_joint_reaction_tool(model, NAMES, q, qd, time_s=0.01 * np.arange(q.shape[0]),
                                       muscle_forces_n=forces, muscle_names=muscles,
                                       generalized_forces=reserves + r.residual_generalized_force,
                                       external_loads=loads)
    assert set(tool) == set(r)
    for joint in r:
        # tolerance: the tool writes 8 decimals and reads q through a spline of the file
        assert np.abs(tool[joint].force_n - r[joint].force_n).max() < 1e-3, joint
        assert np.abs(tool[joint].moment_nm - r[joint].moment_nm).max() < 1e-3, joint


def test_reactions_depend_on_reserve_plus_balancing_force(default_model):
    # The motion is prescribed: a reserve added on the knee is taken off the generalized force
    # joint_reactions adds there, and no reaction changes (the knee's own generalized force is
    # part of its reaction moment: test_static_knee_reaction_is_weight_below_minus_grf checks it
    # against statics, where only that force holds the knee).
    q, qd, qdd, muscles, forces, _, loads = _random_case(default_model, n_frames=2, seed=3)
    extra = np.zeros_like(q)
    extra[:, NAMES.index("knee_angle_r")] = 50.0
    base = joint_reactions(default_model, NAMES, q, qd, qdd, muscle_forces_n=forces,
                           muscle_names=muscles, external_loads=loads)
    more = joint_reactions(default_model, NAMES, q, qd, qdd, muscle_forces_n=forces,
                           muscle_names=muscles, external_loads=loads, reserve_moments_nm=extra)
    np.testing.assert_allclose(more.residual_generalized_force + extra, base.residual_generalized_force,
                               atol=1e-9)
    for joint in base:
        np.testing.assert_allclose(more[joint].force_n, base[joint].force_n, atol=1e-8)
        np.testing.assert_allclose(more[joint].moment_nm, base[joint].moment_nm, atol=1e-8)


def test_properties_and_dataset(default_model):
    q, qd, qdd, muscles, forces, reserves, loads = _random_case(default_model, n_frames=3, seed=4)
    r = joint_reactions(default_model, NAMES, q, qd, qdd, muscle_forces_n=forces, muscle_names=muscles,
                        reserve_moments_nm=reserves, external_loads=loads, joints=["knee_r"])
    knee = r["knee_r"]
    assert isinstance(knee, JointReaction) and list(r) == ["knee_r"]
    np.testing.assert_allclose(knee.resultant_n**2, knee.compressive_n**2 + knee.shear_n**2, rtol=1e-12)
    np.testing.assert_array_equal(knee.anterior_shear_n, knee.force_n[:, 0])
    np.testing.assert_allclose(knee.point_m, 0.0, atol=1e-15)  # the tibia origin is the knee centre
    with pytest.raises(ValueError):
        knee.force_n[0, 0] = 1.0  # read-only
    ds = r.to_dataset(time_s=np.arange(3) * 0.01, body_weight_n=700.0)
    np.testing.assert_allclose(ds.compressive_force_bw.sel(joint="knee_r"), knee.compressive_n / 700.0)
    assert ds.reaction_force_n.dims == ("time", "joint", "axis")
    assert ds.reaction_force_n.attrs["units"] == "N"


# ------------------------------------------------------------------ (d) errors


def test_errors(default_model):
    z = np.zeros((2, len(NAMES)))
    muscles = muscle_names(default_model)
    ok = np.zeros((2, len(muscles)))
    cases = [
        (dict(muscle_forces_n=np.zeros((2, 3)), muscle_names=muscles), r"muscle_forces_n: expected shape"),
        (dict(muscle_forces_n=ok[:1], muscle_names=muscles), "muscle_forces_n has 1 frames, q 2"),
        (dict(muscle_forces_n=ok, muscle_names=["vasti_r"] * len(muscles)), "repeated names"),
        (dict(muscle_forces_n=ok[:, :1], muscle_names=["quads"]), r"unknown muscle\(s\) \['quads'\]"),
        (dict(muscle_forces_n=ok * np.nan, muscle_names=muscles), "non-finite value at frame 0"),
        (dict(reserve_moments_nm=np.zeros((2, 3))), "reserve_moments_nm: expected shape"),
        (dict(joints=("knee_r", "elbow")), r"unknown joint\(s\) \['elbow'\]"),
        (dict(joints=()), "no joint given"),
        (dict(muscle_forces_n=ok), "muscle_forces_n given without muscle_names"),
        (dict(external_loads=[ExternalLoad("shoe", np.zeros(3), np.zeros(3))]), "no such body"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message) as info:
            joint_reactions(default_model, NAMES, z, z, z, **kwargs)
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="missing"):
        joint_reactions(default_model, NAMES[:-1], z[:, :-1], z[:, :-1], z[:, :-1])
    with pytest.raises(ValueError, match="non-finite"):
        joint_reactions(default_model, NAMES, z + np.nan, z, z)
    with pytest.raises(TypeError, match="ExternalLoad"):
        joint_reactions(default_model, NAMES, z, z, z, external_loads=[("calcn_r", 1.0)])
    with pytest.raises(ValueError, match="generalized_forces: expected shape"):
        opensim_joint_reaction_tool(default_model, NAMES, z, z, time_s=np.arange(2.0),
                                    generalized_forces=np.zeros((2, 1)))
    with pytest.raises(ValueError, match="strictly increasing"):
        opensim_joint_reaction_tool(default_model, NAMES, z, z, time_s=np.zeros(2))


def test_model_is_left_alone(default_model):
    n_forces = default_model.getForceSet().getSize()
    before = default_model.getWorkingState().getQ().to_numpy().copy()
    q, qd, qdd, muscles, forces, reserves, loads = _random_case(default_model, n_frames=1, seed=5)
    joint_reactions(default_model, NAMES, q, qd, qdd, muscle_forces_n=forces, muscle_names=muscles,
                    external_loads=loads)
    assert default_model.getForceSet().getSize() == n_forces
    assert np.array_equal(default_model.getWorkingState().getQ().to_numpy(), before)


# ------------------------------------------------------------------ (b) on a synthesised stride


@pytest.fixture(scope="module")
def stride(fr_stride_analysis):
    _, _, _, model, motion, ds = fr_stride_analysis
    return model, motion, ds


@pytest.mark.slow
def test_stride_agrees_with_opensim_joint_reaction_tool(stride):
    model, motion, ds = stride
    names = list(motion.coordinate_names)
    loads = [ExternalLoad(f.body, f.force_n, f.cop_m, f.free_moment_nm) for f in motion.loads.values()]
    muscles = [str(m) for m in ds.muscle.values]
    forces = ds.muscle_force_n.values
    reserves = ds.reserve_moment_nm.values
    r = joint_reactions(model, names, motion.q, motion.qd, motion.qdd, muscle_forces_n=forces,
                        muscle_names=muscles, reserve_moments_nm=reserves, external_loads=loads)
    assert r.max_acceleration_error < 1e-8
    # the static optimization balanced the joints, so joint_reactions added only the pelvis
    # residuals, which are inverse dynamics' pelvis entries
    tau = ds.joint_moment_nm.values
    pelvis = [names.index(c) for c in ("pelvis_tilt", "pelvis_tx", "pelvis_ty")]
    joints_ = [k for k in range(len(names)) if k not in pelvis]
    np.testing.assert_allclose(r.residual_generalized_force[:, pelvis], tau[:, pelvis], atol=1e-6)
    assert np.abs(r.residual_generalized_force[:, joints_]).max() < 1e-6
    # the tool's forward dynamics gets the reserves plus the pelvis residuals from inverse dynamics
    # (independent of joint_reactions)
    generalized = reserves.copy()
    generalized[:, pelvis] = tau[:, pelvis]
    tool = opensim_joint_reaction_tool(model, names, motion.q, motion.qd, time_s=motion.time_s,
                                       muscle_forces_n=forces, muscle_names=muscles,
                                       generalized_forces=generalized, external_loads=loads)
    for joint in r:
        # measured 1e-4 N and 4e-5 N m at up to 1.5e4 N (the tool writes 8 decimals and rebuilds q
        # from a spline of its file); 1e-2 is far inside the 1 N asked for
        assert np.abs(tool[joint].force_n - r[joint].force_n).max() < 1e-2, joint
        assert np.abs(tool[joint].moment_nm - r[joint].moment_nm).max() < 1e-2, joint
    # the synthesised stride is crouched with large reserves: the knee load is not physiological,
    # only positive in stance
    bw = ds.attrs["body_weight_n"]
    assert r["knee_r"].compressive_n.max() / bw > 1.0
