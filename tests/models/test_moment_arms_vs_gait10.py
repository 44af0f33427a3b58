"""Moment arms of our default model (``build()``, running2d) against gait10dof18musc.

Our muscle paths come from gait10dof18musc (Delp et al. 1990 as lumped by A. Seth), with the
quadriceps re-routed over a Rajagopal 2016 patella and all points rescaled to de Leva segment
lengths, so the two models should agree to within 1.5 cm over the running range: hip flexion
-20..+60 deg, knee flexion 0..110 deg, ankle -30..+30 deg (each joint swept with the others at 0).
Reference model: /work/shared/reference (skipped when absent). gait10dof18musc measures knee
flexion negative; the sign is taken from the group maps (models/groups/*.yaml).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biomech.models import build, load, load_group_map
from biomech.models.compare import compare_moment_arms
from biomech.osim.geometry import moment_arms

REF = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
GAIT10 = REF / "opensim-models" / "Models" / "Gait10dof18musc" / "gait10dof18musc.osim"

TOLERANCE_M = 0.015  # issue brief: max |ours - gait10dof18musc| per muscle and coordinate

MUSCLES = ("hamstrings", "bifemsh", "glut_max", "iliopsoas", "rect_fem", "vasti", "gastroc",
           "soleus", "tib_ant")
ANGLES_DEG = {  # flexion-positive, the running range sampled every 5 deg
    "hip_flexion_r": np.arange(-20.0, 60.0 + 1e-9, 5.0),
    "knee_angle_r": np.arange(0.0, 110.0 + 1e-9, 5.0),
    "ankle_angle_r": np.arange(-30.0, 30.0 + 1e-9, 5.0),
}
# Every muscle-coordinate pair both models cross (checked by test_pairs_cover_every_crossing).
CROSSED = (
    ("hamstrings_r", "hip_flexion_r"), ("hamstrings_r", "knee_angle_r"),
    ("bifemsh_r", "knee_angle_r"),
    ("glut_max_r", "hip_flexion_r"),
    ("iliopsoas_r", "hip_flexion_r"),
    ("rect_fem_r", "hip_flexion_r"), ("rect_fem_r", "knee_angle_r"),
    ("vasti_r", "knee_angle_r"),
    ("gastroc_r", "knee_angle_r"), ("gastroc_r", "ankle_angle_r"),
    ("soleus_r", "ankle_angle_r"),
    ("tib_ant_r", "ankle_angle_r"),
)
# Not compared: gastroc at the knee. gait10dof18musc's gastrocnemius path does not cross the knee
# properly: its origin sits on the femur at the level of the knee centre (y = -0.3929 m vs the
# tibia at about -0.396 m) and its only via point is a ConditionalPathPoint active for 0-45 deg
# of flexion, so beyond that the knee moment arm is just the origin's offset, not a modelled
# property (the Moco 2D_gait authors warn about the same path). It is no reference to test against.
SKIPPED = {("gastroc_r", "knee_angle_r")}
PAIRS = tuple(p for p in CROSSED if p not in SKIPPED)


@pytest.fixture(scope="module")
def models():
    if not GAIT10.is_file():
        pytest.skip(f"reference model not available: {GAIT10}")
    theirs = load(GAIT10, groups="gait10dof18musc")
    ours = load_group_map("running2d")
    signs_b = {theirs.groups.coordinate(m): ours.sign(m) * theirs.groups.sign(m)
               for m in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion")}
    assert signs_b == {"hip_flexion_r": 1, "knee_angle_r": -1, "ankle_angle_r": 1}
    return build(), theirs.model, signs_b


@pytest.mark.parametrize(("muscle", "coordinate"), PAIRS, ids=[f"{m}-{c}" for m, c in PAIRS])
def test_moment_arm_matches_gait10(models, muscle: str, coordinate: str) -> None:
    ours, theirs, signs_b = models
    (rec,) = compare_moment_arms(ours, theirs, [(muscle, coordinate)],
                                 angles_rad={c: np.radians(a) for c, a in ANGLES_DEG.items()},
                                 signs_b=signs_b)
    bad = np.abs(rec.difference_m) > TOLERANCE_M
    detail = "; ".join(
        f"{np.degrees(a):.0f} deg: ours {ma * 100:.2f} cm, gait10dof18musc {mb * 100:.2f} cm"
        for a, ma, mb in zip(rec.angles_rad[bad], rec.moment_arm_a_m[bad], rec.moment_arm_b_m[bad],
                             strict=True))
    assert not bad.any(), (f"{muscle} about {coordinate} (flexion positive): |difference| "
                           f"{rec.max_abs_difference_m * 100:.2f} cm > {TOLERANCE_M * 100:.1f} cm "
                           f"at {detail}")


def test_pairs_cover_every_crossing(models) -> None:
    # A pair is "crossed" when the moment arm exceeds 1 mm somewhere in the range; both models
    # must cross exactly the listed pairs, so no shared muscle-joint pair escapes the comparison.
    ours, theirs, signs_b = models
    crossed: dict[str, set] = {"ours": set(), "gait10dof18musc": set()}
    for base in MUSCLES:
        muscle = f"{base}_r"
        for coordinate, deg in ANGLES_DEG.items():
            s = signs_b[coordinate]
            zero = {c: 0.0 for c in ANGLES_DEG}
            for label, model, sign in (("ours", ours, 1), ("gait10dof18musc", theirs, s)):
                ma = moment_arms(model, muscle, coordinate, sign * np.radians(deg), zero)
                if np.max(np.abs(ma)) > 0.001:
                    crossed[label].add((muscle, coordinate))
    assert crossed["ours"] == set(CROSSED)
    assert crossed["gait10dof18musc"] == set(CROSSED)
