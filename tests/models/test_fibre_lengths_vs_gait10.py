"""Fibre operating lengths of the default model against its source, gait10dof18musc.

The default model takes each unit's optimal fibre and tendon slack lengths from gait10dof18musc
and rescales them to its own paths (``models/running2d.yaml``): by the muscle-tendon length at
the default pose (the ScaleTool rule), or, for the quadriceps, whose path here runs on over a
patella to the tibial tuberosity, by the thigh length with the added path as tendon
(``fibre_scales_with``). Either way the fibres should work where the source's do: the same
normalised fibre length at the default pose, and for the quadriceps the same change of
normalised length over the stance range of knee flexion. Rigid tendons, fibre length along the
fibre (pennation included). Reference model: /work/shared/reference (skipped when absent).
"""

from __future__ import annotations

import math

import pytest

from biomech.models import build
from biomech.osim import osim

MUSCLES = ("hamstrings", "bifemsh", "glut_max", "iliopsoas", "rect_fem", "vasti", "gastroc",
           "soleus", "tib_ant")


def _normalised_fibre_lengths(model: osim.Model, knee_flexion_deg: float, knee_sign: float
                              ) -> dict[str, float]:
    """Rigid-tendon normalised fibre length of every right-side muscle, all other coordinates at
    their defaults."""
    for i in range(model.getMuscles().getSize()):
        model.getMuscles().get(i).set_ignore_tendon_compliance(True)
    state = model.initSystem()
    model.getCoordinateSet().get("knee_angle_r").setValue(state, knee_sign * math.radians(knee_flexion_deg))
    model.assemble(state)
    model.equilibrateMuscles(state)
    model.realizePosition(state)
    return {name: model.getMuscles().get(f"{name}_r").getNormalizedFiberLength(state) for name in MUSCLES}


@pytest.fixture(scope="module")
def pairs(reference_dir):
    path = reference_dir / "opensim-models/Models/Gait10dof18musc/gait10dof18musc.osim"
    if not path.is_file():
        pytest.skip(f"reference model not available: {path}")
    ours = {k: _normalised_fibre_lengths(build(contact=False), k, 1.0) for k in (0.0, 60.0)}
    # gait10dof18musc measures knee flexion negative
    theirs = {k: _normalised_fibre_lengths(osim.Model(str(path)), k, -1.0) for k in (0.0, 60.0)}
    return ours, theirs


@pytest.mark.parametrize("muscle", MUSCLES)
def test_normalised_fibre_length_at_the_default_pose_is_the_sources(pairs, muscle):
    # the rescaling rules keep the source's fibre fraction of the path at the default pose;
    # 0.02: pennation (its cosine changes with the rescaled fibre) and the source's
    # conditional via points, which sit where our paths have theirs
    ours, theirs = pairs
    assert ours[0.0][muscle] == pytest.approx(theirs[0.0][muscle], abs=0.02)


@pytest.mark.parametrize("muscle", ("vasti", "rect_fem"))
def test_quadriceps_fibres_stretch_over_stance_as_in_the_source(pairs, muscle):
    # knee 0 -> 60 deg (the stance range of running): the normalised fibre length changes by
    # path excursion / optimal fibre length; our quadriceps moment arms are within 1.5 cm of the
    # source's (test_moment_arms_vs_gait10) but follow Rajagopal's patella, so 10 %. Measured
    # 2026-11-26: vasti 0.50 against 0.52, rectus femoris 0.42 against 0.43. Rescaling these two
    # by the MTU length instead (the patellar ligament counted as fibre) gave 0.34 and 0.36.
    ours, theirs = pairs
    change = ours[60.0][muscle] - ours[0.0][muscle]
    source = theirs[60.0][muscle] - theirs[0.0][muscle]
    assert change == pytest.approx(source, rel=0.10)
