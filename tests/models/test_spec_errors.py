"""Bad model specs and subjects fail with one line naming the file, the field and the problem."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml

from biomech.errors import SpecError
from biomech.models import DEFAULT_SPEC, build, load_spec

BASE = yaml.safe_load(DEFAULT_SPEC.read_text())


def _write(tmp_path, data, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def _error(tmp_path, data) -> str:
    path = _write(tmp_path, data)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(str(path) + ": ")
    return msg


def _mutate(fn):
    data = copy.deepcopy(BASE)
    fn(data)
    return data


def test_missing_field(tmp_path):
    msg = _error(tmp_path, _mutate(lambda d: d["muscles"]["vasti"].pop("optimal_fiber_length_m")))
    assert "muscles.vasti.optimal_fiber_length_m: required field is missing" in msg


def test_unknown_field(tmp_path):
    msg = _error(tmp_path, _mutate(lambda d: d["muscles"]["soleus"].update(colour="red")))
    assert "muscles.soleus.colour: unknown field" in msg


def test_negative_mass_fraction(tmp_path):
    msg = _error(tmp_path, _mutate(
        lambda d: d["anthropometry"]["segments"]["thigh"].update(mass_fraction=-0.14)))
    assert "anthropometry.segments.thigh.mass_fraction" in msg and "-0.14" in msg


def test_zero_default_mass(tmp_path):
    msg = _error(tmp_path, _mutate(lambda d: d["defaults"].update(mass_kg=0)))
    assert "defaults.mass_kg" in msg and "greater than 0" in msg


def test_path_point_on_unknown_body(tmp_path):
    msg = _error(tmp_path, _mutate(
        lambda d: d["muscles"]["tib_ant"]["path"][1].update(body="humerus")))
    assert "muscles.tib_ant.path[1].body" in msg and "humerus" in msg


def test_path_point_frame_without_that_body(tmp_path):
    msg = _error(tmp_path, _mutate(
        lambda d: d["muscles"]["soleus"]["path"][0].update(frame="rajagopal2016", body="calcn")))
    assert "muscles.soleus.path[0].body" in msg and "source_frames.rajagopal2016" in msg


@pytest.mark.parametrize(("field", "value", "expect"), [
    ("max_isometric_force_n", -100.0, "greater than 0"),
    ("optimal_fiber_length_m", 0.0, "greater than 0.005"),
    ("pennation_angle_rad", 1.4, "less than 1"),
])
def test_non_physical_muscle_parameter(tmp_path, field, value, expect):
    msg = _error(tmp_path, _mutate(lambda d: d["muscles"]["gastroc"].update({field: value})))
    assert f"muscles.gastroc.{field}" in msg and expect in msg


def test_fibre_plus_tendon_longer_than_possible(tmp_path):
    msg = _error(tmp_path, _mutate(
        lambda d: d["muscles"]["vasti"].update(tendon_slack_length_m=0.75)))
    assert "muscles.vasti" in msg and "not physical" in msg


def test_malformed_yaml(tmp_path):
    msg = _error(tmp_path, "name: x\nmuscles: [unclosed\n")
    assert "not valid YAML" in msg and "line" in msg


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match="no such model spec file"):
        load_spec(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"mass_kg": -70.0}, "mass_kg"), ({"mass_kg": 0.0}, "mass_kg"),
    ({"height_m": 0.0}, "height_m"), ({"height_m": 4.0}, "height_m"),
])
def test_non_physiological_subject(kwargs, field):
    with pytest.raises(SpecError, match=field):
        build(**kwargs)


def test_cli_reports_one_line_without_traceback(tmp_path):
    path = _write(tmp_path, _mutate(lambda d: d["muscles"]["vasti"].update(
        max_isometric_force_n=-5)))
    proc = subprocess.run([sys.executable, "-m", "biomech.cli", "model", "build", str(path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in proc.stderr
    assert str(path) in err[0] and "muscles.vasti.max_isometric_force_n" in err[0]


def test_cli_bad_mass(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "biomech.cli", "model", "summary",
                           "--mass", "-1"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and "mass_kg" in proc.stderr and "Traceback" not in proc.stderr


def test_fibre_scales_with_an_unknown_source_segment(tmp_path):
    msg = _error(tmp_path, _mutate(lambda d: d["muscles"]["vasti"].update(
        fibre_scales_with={"frame": "gait10dof18musc", "body": "patella"})))
    assert "muscles.vasti.fibre_scales_with" in msg and "gait10dof18musc.patella" in msg


def test_fibre_scales_with_a_belly_longer_than_the_path(tmp_path):
    # the scaled belly (reference MTU length minus tendon slack) must fit in our path
    path = _write(tmp_path, _mutate(lambda d: d["muscles"]["vasti"].update(
        reference_mtu_length_m=0.9, tendon_slack_length_m=0.05)))
    with pytest.raises(SpecError, match=r"vasti_r\)\.fibre_scales_with: the path .* is shorter than"):
        build(load_spec(path), contact=False)


def test_passive_strain_per_muscle_out_of_range(tmp_path):
    msg = _error(tmp_path, _mutate(lambda d: d["muscles"]["vasti"].update(
        passive_fiber_strain_at_one_norm_force=3.5)))
    assert "muscles.vasti.passive_fiber_strain_at_one_norm_force" in msg and "2" in msg


def test_passive_strain_per_muscle_reaches_opensim(tmp_path):
    # a unit's own value overrides muscle_defaults in the built model; the others keep the default
    path = _write(tmp_path, _mutate(lambda d: d["muscles"]["tib_ant"].update(
        passive_fiber_strain_at_one_norm_force=0.9)))
    model = build(load_spec(path), contact=False)
    muscles = {model.getMuscles().get(i).getName(): model.getMuscles().get(i)
               for i in range(model.getMuscles().getSize())}
    for side in "rl":
        assert muscles[f"tib_ant_{side}"].getPropertyByName(
            "passive_fiber_strain_at_one_norm_force").toString() == "0.9"
    default = BASE["muscle_defaults"]["passive_fiber_strain_at_one_norm_force"]
    assert float(muscles["glut_max_r"].getPropertyByName(
        "passive_fiber_strain_at_one_norm_force").toString()) == pytest.approx(default)
