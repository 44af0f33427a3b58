"""Moment arms of the default model's units taken from gait2392 against gait2392.

Their paths are gait2392's (Delp et al. 1990), in gait10dof18musc's frames, rescaled to de Leva
segment lengths, so the two models should agree to within the 1.5 cm of
``test_moment_arms_vs_gait10.py``: the adductors (add_long, add_brev) at the hip over the running
range and beyond its extension (-30..+60 deg, the other joints at 0; they are in the model for
their hip flexion with the hip extended), the other ankle muscles (tib_post, flex_dig, flex_hal,
per_brev, per_long, ext_dig, ext_hal) at the ankle over -30..+30 deg (models/running2d.yaml).
Reference model: ../shared/reference (skipped when absent).
"""

from __future__ import annotations

import numpy as np
import pytest

from biomech.models import load
from biomech.models.compare import compare_moment_arms
from biomech.osim.geometry import moment_arms

GAIT2392 = "opensim-models/Models/Gait2392_Simbody/gait2392_millard2012muscle.osim"
TOLERANCE_M = 0.015   # as test_moment_arms_vs_gait10.py
HIP_DEG = np.arange(-30.0, 60.0 + 1e-9, 5.0)
MUSCLES = ("add_long_r", "add_brev_r")
ANKLE_DEG = np.arange(-30.0, 30.0 + 1e-9, 5.0)
ANKLE_MUSCLES = {"tib_post_r": -1, "flex_dig_r": -1, "flex_hal_r": -1, "per_brev_r": -1,
                 "per_long_r": -1, "ext_dig_r": 1, "ext_hal_r": 1}   # -1 plantarflexes, +1 dorsiflexes


@pytest.fixture(scope="module")
def models(reference_dir, default_model):
    return default_model, load(reference_dir / GAIT2392).model


def _matches_gait2392(models, muscle: str, coordinate: str, degrees: np.ndarray):
    """Our moment arm of ``muscle`` about ``coordinate`` against gait2392's over ``degrees``
    (the other joints at 0); returns the comparison record."""
    ours, theirs = models
    (rec,) = compare_moment_arms(ours, theirs, [(muscle, coordinate)],
                                 angles_rad={coordinate: np.radians(degrees)}, signs_b={coordinate: 1})
    assert rec.max_abs_difference_m < TOLERANCE_M, (
        f"{muscle}: |ours - gait2392| {rec.max_abs_difference_m * 100:.2f} cm at "
        f"{np.degrees(rec.angle_at_max_rad):.0f} deg")
    return rec


@pytest.mark.parametrize("muscle", MUSCLES)
def test_adductor_hip_moment_arm_matches_gait2392(models, muscle: str) -> None:
    rec = _matches_gait2392(models, muscle, "hip_flexion_r", HIP_DEG)
    # gait2392 (measured 2026-11-26): add_long 3.8 cm, add_brev 1.9 cm of hip flexion at -30 deg;
    # the reason they are in the model, so ours must flex the hip there too
    assert rec.moment_arm_a_m[0] > 0.01


@pytest.mark.parametrize("muscle", ANKLE_MUSCLES)
def test_ankle_moment_arm_matches_gait2392(models, muscle: str) -> None:
    rec = _matches_gait2392(models, muscle, "ankle_angle_r", ANKLE_DEG)
    # measured 2026-11-26, largest |ours - gait2392| over -30..30 deg: tib_post 0.33, flex_dig
    # 0.36, flex_hal 0.23, per_brev 0.57, per_long 0.53, ext_dig 0.22, ext_hal 0.68 cm; ours
    # plantarflex with 0.4-1.7 cm, the two extensors dorsiflex with 3.3-4.2 cm.
    # each acts in its own direction over the whole range (OpenSim's sign: positive dorsiflexes)
    assert np.all(ANKLE_MUSCLES[muscle] * rec.moment_arm_a_m > 0.002), muscle


def test_added_units_cross_only_their_joint(models) -> None:
    ours, _ = models
    zero = {"hip_flexion_r": 0.0, "knee_angle_r": 0.0, "ankle_angle_r": 0.0}
    sweeps = {"hip_flexion_r": HIP_DEG, "knee_angle_r": np.arange(0.0, 110.0 + 1e-9, 10.0),
              "ankle_angle_r": np.arange(-30.0, 30.0 + 1e-9, 10.0)}
    for muscles, joint in ((MUSCLES, "hip_flexion_r"), (ANKLE_MUSCLES, "ankle_angle_r")):
        for muscle in muscles:
            crossed = {c for c, deg in sweeps.items()
                       if np.max(np.abs(moment_arms(ours, muscle, c, np.radians(deg), zero))) > 0.001}
            assert crossed == {joint}, (muscle, crossed)
