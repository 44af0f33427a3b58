"""In-memory inverse dynamics (biomech.osim.inverse): coordinate mapping, coupling, errors."""

from __future__ import annotations

import numpy as np
import pytest

from biomech.models import build, skeleton
from biomech.osim import osim
from biomech.osim.inverse import independent_coordinates, inverse_dynamics

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
    with pytest.raises(NotImplementedError, match="external_loads"):
        inverse_dynamics(default_model, NAMES, z, z, z, external_loads=[[], []])
    with pytest.raises(ValueError, match="missing"):
        inverse_dynamics(default_model, NAMES[:-1], z[:, :-1], z[:, :-1], z[:, :-1])
    bad = (*NAMES[:-1], "knee_angle_pat_r")
    with pytest.raises(ValueError, match="coupled"):
        inverse_dynamics(default_model, bad, z, z, z)
    with pytest.raises(ValueError, match="unknown"):
        inverse_dynamics(default_model, (*NAMES[:-1], "nope"), z, z, z)
    with pytest.raises(ValueError, match="expected shape"):
        inverse_dynamics(default_model, NAMES, z[:, :-1], z, z)
