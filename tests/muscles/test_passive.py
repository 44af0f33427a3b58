"""Passive joint moments (biomech.muscles.passive): the model's against OpenSim's muscles, and the
published Riener & Edrich (1999) reference's two-joint behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest

from biomech.muscles.passive import passive_moments_nm, riener_edrich_1999_nm
from biomech.osim import osim
from biomech.osim.inverse import independent_coordinates
from biomech.osim.muscle_export import export_muscle_capacity

POSES_DEG = (   # hip flexion, knee flexion, ankle dorsiflexion (right leg; left leg at 0)
    (0.0, 0.0, 0.0), (0.0, 60.0, 0.0), (-15.0, 100.0, -10.0), (40.0, 20.0, 15.0), (70.0, 5.0, 20.0))


def test_passive_moments_equal_opensims_muscle_forces_times_moment_arms(default_model):
    # OpenSim: zero activation, rigid tendons, equilibrated; tendon force x computeMomentArm,
    # summed over the right leg's muscles, about hip, knee and ankle
    names = independent_coordinates(default_model)
    q = np.zeros((len(POSES_DEG), len(names)))
    q[:, names.index("pelvis_ty")] = 0.95
    for f, pose in enumerate(POSES_DEG):
        for c, deg in zip(("hip_flexion_r", "knee_angle_r", "ankle_angle_r"), pose, strict=True):
            q[f, names.index(c)] = math.radians(deg)
    ours = passive_moments_nm(export_muscle_capacity(default_model, names, q, np.zeros_like(q)))

    model = osim.Model(default_model)
    for i in range(model.getMuscles().getSize()):
        model.getMuscles().get(i).set_ignore_tendon_compliance(True)
        model.getMuscles().get(i).set_ignore_activation_dynamics(True)
    state = model.initSystem()
    cs = model.getCoordinateSet()
    for f in range(len(POSES_DEG)):
        for j, c in enumerate(names):
            cs.get(c).setValue(state, float(q[f, j]), False)
        model.assemble(state)
        for i in range(model.getMuscles().getSize()):
            model.getMuscles().get(i).setActivation(state, 0.0)
        model.equilibrateMuscles(state)
        model.realizeDynamics(state)
        for c in ("hip_flexion_r", "knee_angle_r", "ankle_angle_r"):
            coordinate = cs.get(c)
            theirs = sum(model.getMuscles().get(i).getTendonForce(state)
                         * model.getMuscles().get(i).computeMomentArm(state, coordinate)
                         for i in range(model.getMuscles().getSize()))
            assert ours[f, names.index(c)] == pytest.approx(theirs, rel=1e-6, abs=1e-6), (POSES_DEG[f], c)


def test_riener_edrich_two_joint_coupling():
    # The published fit's main finding: passive moments depend on the adjacent joints through
    # the two-joint muscles. These directions catch a sign or coefficient slip in transcription.
    _, knee_hip_extended, _ = riener_edrich_1999_nm(-10.0, 100.0, 0.0)
    _, knee_hip_flexed, _ = riener_edrich_1999_nm(30.0, 100.0, 0.0)
    assert knee_hip_extended < knee_hip_flexed < 0.0             # rectus femoris resists knee flexion
    hip_knee_straight, _, _ = riener_edrich_1999_nm(60.0, 0.0, 0.0)
    hip_knee_bent, _, _ = riener_edrich_1999_nm(60.0, 60.0, 0.0)
    assert hip_knee_straight < hip_knee_bent                     # hamstrings resist hip flexion
    _, _, ankle_knee_straight = riener_edrich_1999_nm(0.0, 0.0, 20.0)
    _, _, ankle_knee_bent = riener_edrich_1999_nm(0.0, 60.0, 20.0)
    assert ankle_knee_straight < ankle_knee_bent < 0.0           # gastrocnemius resists dorsiflexion
    hip_extended, _, _ = riener_edrich_1999_nm(-20.0, 0.0, 0.0)
    _, _, ankle_plantarflexed = riener_edrich_1999_nm(0.0, 0.0, -30.0)
    assert hip_extended > 0.0 and ankle_plantarflexed > 0.0      # and the one-joint ends of range
    # vectorised: arrays in, arrays out
    hip, knee, ankle = riener_edrich_1999_nm(np.zeros(3), np.array([30.0, 60.0, 90.0]), np.zeros(3))
    assert hip.shape == knee.shape == ankle.shape == (3,) and np.all(np.diff(knee) < 0)
