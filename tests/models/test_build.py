"""The model library: spec -> OpenSim model, scaled to a subject."""

from __future__ import annotations

import numpy as np
import pytest

from biomech.models import build, skeleton
from biomech.osim.build import coordinate_names, load_model, muscle_names, total_mass
from biomech.osim.geometry import body_origin, com_position, moment_arms, mtu_lengths


@pytest.mark.parametrize(("mass", "height"), [(75.0, 1.78), (52.0, 1.60), (98.5, 1.95)])
def test_total_mass_equals_requested(mass, height):
    model = build(mass_kg=mass, height_m=height)
    assert total_mass(model) == pytest.approx(mass, rel=1e-12)
    assert skeleton(mass_kg=mass, height_m=height).total_mass_kg == pytest.approx(mass, rel=1e-12)


def test_default_model_structure(default_model):
    coords = coordinate_names(default_model)
    for c in ("pelvis_tilt", "pelvis_tx", "pelvis_ty", "lumbar_extension", "hip_flexion_r",
              "knee_angle_r", "ankle_angle_r", "hip_flexion_l", "knee_angle_l", "ankle_angle_l"):
        assert c in coords
    muscles = set(muscle_names(default_model))
    for base in ("glut_max", "iliopsoas", "hamstrings", "bifemsh", "rect_fem", "vasti",
                 "gastroc", "soleus", "tib_ant"):
        assert {f"{base}_r", f"{base}_l"} <= muscles
    ms = default_model.getMuscles()
    assert {ms.get(i).getConcreteClassName() for i in range(ms.getSize())} == {
        "DeGrooteFregly2016Muscle"}
    assert default_model.getBodySet().get("patella_r").getMass() > 0


def _segment_lengths(model):
    """Hip-knee and knee-ankle distances (m) in the default pose, from OpenSim's kinematics."""
    hip = body_origin(model, "femur_r")
    knee = body_origin(model, "tibia_r")
    ankle = body_origin(model, "calcn_r")
    return np.linalg.norm(knee - hip), np.linalg.norm(ankle - knee)


def test_segment_lengths_and_com_height_scale_with_height():
    short, tall = build(height_m=1.60), build(height_m=1.90)
    ratio = 1.90 / 1.60
    # de Leva 1996: thigh 0.4222 m and shank 0.4340 m at the reference stature 1.741 m
    thigh, shank = _segment_lengths(tall)
    assert thigh == pytest.approx(0.4222 * 1.90 / 1.741, rel=1e-9)
    assert shank == pytest.approx(0.4340 * 1.90 / 1.741, rel=1e-9)
    for a, b in zip(_segment_lengths(tall), _segment_lengths(short), strict=True):
        assert a / b == pytest.approx(ratio, rel=1e-9)
    # whole-body COM height above the ankle joint centre scales with stature
    h = [com_position(m)[1] - body_origin(m, "calcn_r")[1] for m in (tall, short)]
    assert h[0] / h[1] == pytest.approx(ratio, rel=1e-9)


def test_com_height_fraction_of_stature(default_model):
    # Standing COM height is about 0.55-0.57 of stature (Winter 2009, Fig. 4.1: 0.5-0.6 H);
    # measured here above the sole of the foot in the default (upright) pose.
    sk = skeleton()
    sole_below_ankle = 0.06695 * 1.78 / 1.80  # models/running2d.yaml foot.sole_y_m, scaled
    com_above_sole = (com_position(default_model)[1] - body_origin(default_model, "calcn_r")[1]
                      + sole_below_ankle)
    assert 0.52 * sk.height_m < com_above_sole < 0.60 * sk.height_m


def lever_arm_fit_m(theta_deg):
    """Effective quadriceps lever arm (m), fit used with van Eijden 1986 data in the running PF
    literature (Willson et al. 2014 Clin Biomech 29:243; Brechter & Powers 2002)."""
    t = np.asarray(theta_deg, dtype=float)
    return 8e-8 * t**3 - 1.3e-5 * t**2 + 2.8e-4 * t + 0.046


# Band: the published lever-arm curve +/- 7 mm. 7 mm is the spread of published in vivo means
# (e.g. 31.5-47.1 mm from 50 to 10 deg, dynamic MRI, PMC4662057, against 37-49 mm from the fit).
@pytest.mark.parametrize("theta_deg", [0.0, 30.0, 60.0, 90.0])
def test_knee_extensor_moment_arm_in_published_band(default_model, theta_deg):
    arm = -moment_arms(default_model, "vasti_r", "knee_angle_r", [np.radians(theta_deg)])[0]
    assert abs(arm - lever_arm_fit_m(theta_deg)) <= 0.007, f"{1000 * arm:.1f} mm at {theta_deg}"


def test_knee_extensor_moment_arm_falls_with_flexion(default_model):
    arms = -moment_arms(default_model, "vasti_r", "knee_angle_r", np.radians([30, 60, 90]))
    assert arms[0] > arms[1] > arms[2] > 0


def test_gastrocnemius_crosses_knee_and_ankle(default_model):
    knee = moment_arms(default_model, "gastroc_r", "knee_angle_r", np.radians([0, 20, 40, 60]))
    ankle = moment_arms(default_model, "gastroc_r", "ankle_angle_r", np.radians([-20, 0, 20]))
    assert np.all(knee > 0.005)    # knee flexor (flexion positive)
    assert np.all(ankle < -0.02)   # plantarflexor (dorsiflexion positive)


def test_patella_moment_arm_matches_length_derivative(default_model):
    # OpenSim's moment arm through the patella coupling equals -dL/dq of the path (virtual work)
    q, h = np.radians(45.0), 1e-6
    lengths = mtu_lengths(default_model, "vasti_r", "knee_angle_r", [q - h, q + h])
    arm = moment_arms(default_model, "vasti_r", "knee_angle_r", [q])[0]
    assert arm == pytest.approx(-(lengths[1] - lengths[0]) / (2 * h), abs=1e-7)


def test_osim_round_trip(tmp_path):
    path = tmp_path / "model.osim"
    model = build(mass_kg=70.0, height_m=1.70, output=path)
    again = load_model(path)
    assert total_mass(again) == pytest.approx(total_mass(model), rel=1e-14)
    assert coordinate_names(again) == coordinate_names(model)
    assert muscle_names(again) == muscle_names(model)
    for name in ("vasti_r", "gastroc_l", "iliopsoas_r"):
        a, b = model.getMuscles().get(name), again.getMuscles().get(name)
        for attr in ("getMaxIsometricForce", "getOptimalFiberLength", "getTendonSlackLength",
                     "getPennationAngleAtOptimalFiberLength"):
            assert getattr(a, attr)() == pytest.approx(getattr(b, attr)(), rel=1e-12)
    angles = np.radians([-5, 20, 45, 80, 110])
    for name, coord in (("vasti_r", "knee_angle_r"), ("iliopsoas_r", "hip_flexion_r"),
                        ("gastroc_r", "ankle_angle_r")):
        np.testing.assert_allclose(mtu_lengths(again, name, coord, angles),
                                   mtu_lengths(model, name, coord, angles), rtol=1e-12)
    # writing the reloaded model gives the same file
    path2 = tmp_path / "again.osim"
    from biomech.osim.build import write_model

    write_model(again, path2)
    assert path2.read_text() == path.read_text()


def test_contact_is_switchable():
    on, off = build(), build(contact=False)
    for model, expected in ((on, True), (off, False)):
        fs = model.getForceSet()
        flags = [fs.get(i).get_appliesForce() for i in range(fs.getSize())
                 if fs.get(i).getConcreteClassName() == "SmoothSphereHalfSpaceForce"]
        assert len(flags) == 4 and all(f == expected for f in flags)


def test_no_opensim_log_in_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    build(mass_kg=60.0)
    assert not (tmp_path / "opensim.log").exists()


def test_coordinates_are_rotational_so_tools_read_degrees(default_model):
    # OpenSim tools convert .mot degrees only for Rotational coordinates (motion type 1); a
    # polynomial identity would make the knee "Coupled" and be read in radians.
    cs = default_model.getCoordinateSet()
    for name in ("hip_flexion_r", "knee_angle_r", "ankle_angle_l", "lumbar_extension", "pelvis_tilt"):
        assert cs.get(name).getMotionType() == 1, name
