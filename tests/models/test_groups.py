"""Functional muscle-group maps (``models/groups/*.yaml``) and ``biomech.models.load``.

Unit tests on the maps and their error messages; integration tests load gait10dof18musc and
Rajagopal2016 from /work/shared/reference (skipped when absent) and our running2d model, and check
the groups physically: each member's sagittal moment arm has the sign of the group's function.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from biomech.errors import SpecError
from biomech.models import build, load, load_group_map
from biomech.models.groups import GROUP_NAMES, GROUPS_DIR, GroupMap, group_map_for
from biomech.osim.geometry import moment_arms

REF = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
OSIM_MODELS = REF / "opensim-models" / "Models"
GAIT10 = OSIM_MODELS / "Gait10dof18musc" / "gait10dof18musc.osim"
RAJAGOPAL = OSIM_MODELS / "Rajagopal" / "Rajagopal2016.osim"

SHIPPED = {"gait10dof18musc": -1, "rajagopal2016": 1, "running2d": 1,  # knee-flexion sign
           "fullbodymodel_hamner2010_v2_0": -1}


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"reference model not available: {path}")
    return path


# ------------------------------------------------------------------------------ shipped maps
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_map_loads(name: str) -> None:
    g = load_group_map(name)
    assert isinstance(g, GroupMap)
    assert g.model == name
    assert g.path == GROUPS_DIR / f"{name}.yaml"
    assert g.source
    assert g.knee_flexion_sign == SHIPPED[name]
    assert g.sign("knee_flexion") == SHIPPED[name]
    assert g.hip_flexion_sign == 1 and g.ankle_dorsiflexion_sign == 1
    assert g.coordinate("knee_flexion", "l") == "knee_angle_l"
    assert set(g.groups) == set(GROUP_NAMES)
    for group, sides in g.groups.items():
        assert set(sides) == {"r", "l"}, group
        assert sides["r"] and sides["l"], group
        assert [m[:-2] for m in sides["r"]] == [m[:-2] for m in sides["l"]], group
    # a muscle may serve several groups
    quads, hip_flexors = set(g.muscles("quadriceps")), set(g.muscles("hip_flexors"))
    assert quads & hip_flexors, "rectus femoris is both a knee extensor and a hip flexor"
    assert set(g.muscles("hamstrings")) <= set(g.muscles("knee_flexors"))
    assert set(g.muscles("hamstrings")) <= set(g.muscles("hip_extensors"))


def test_shipped_map_accessors() -> None:
    g = load_group_map("gait10dof18musc")
    assert g.muscles("quadriceps", "l") == ("rect_fem_l", "vasti_l")
    assert len(g.all_muscles()) == 18
    with pytest.raises(KeyError, match="no muscle group 'quads'"):
        g.muscles("quads")
    assert load_group_map("Rajagopal2016").model == "rajagopal2016"  # names case-insensitive
    assert load_group_map(GROUPS_DIR / "running2d.yaml").model == "running2d"


@pytest.mark.parametrize(("model_name", "expected"), [
    ("gait10dof18musc.osim", "gait10dof18musc"),   # gait10dof18musc's own <Model name=...>
    ("Rajagopal2016", "rajagopal2016"),
    ("/some/dir/running2d.osim", "running2d"),
    ("subject01", None),
])
def test_group_map_for(model_name: str, expected: str | None) -> None:
    g = group_map_for(model_name)
    assert (g.model if g is not None else None) == expected


# ------------------------------------------------------------------------------ bad maps
def _good() -> dict:
    return yaml.safe_load((GROUPS_DIR / "gait10dof18musc.yaml").read_text())


def _write(tmp_path: Path, data: object, name: str = "map.yaml") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return p


def _edit(**changes):
    def apply(d: dict) -> dict:
        for dotted, value in changes.items():
            *head, last = dotted.split("__")
            node = d
            for k in head:
                node = node[k]
            if value is _DELETE:
                del node[last]
            else:
                node[last] = value
        return d
    return apply


_DELETE = object()

BAD_MAPS = [
    (_edit(colour="red"), "colour", "unknown field (not part of the group map schema)"),
    (_edit(source=_DELETE), "source", "required field is missing"),
    (_edit(groups__knee_flexors=_DELETE), "groups.knee_flexors",
     "required group is missing; a map defines " + ", ".join(GROUP_NAMES)),
    (_edit(groups__quadricep={"r": ["vasti_r"], "l": ["vasti_l"]}), "groups.quadricep",
     "unknown group 'quadricep'; expected one of " + ", ".join(GROUP_NAMES)),
    (_edit(groups__dorsiflexors__r=[]), "groups.dorsiflexors.r", "must list at least one muscle"),
    (_edit(groups__dorsiflexors__m=["tib_ant_r"]), "groups.dorsiflexors.m",
     "unknown field (not part of the group map schema)"),
    (_edit(groups__quadriceps__r=["rect_fem_r", 3]), "groups.quadriceps.r[1]",
     "Input should be a valid string"),
    (_edit(groups__quadriceps__r=["rect_fem_r", "vasti_l"]), "groups.quadriceps.r[1]",
     "right-side muscle 'vasti_l' must end in '_r'"),
    (_edit(groups__quadriceps__r=["rect_fem_r", "vasti_r", "rect_fem_r"]),
     "groups.quadriceps.r[2]", "'rect_fem_r' is listed twice (also at [0])"),
    (_edit(groups__quadriceps__l=["rect_fem_l"]), "groups.quadriceps.l",
     "left side must mirror the right side: lacks vasti_l"),
    (_edit(groups__quadriceps__l=["rect_fem_l", "vasti_l", "soleus_l"]), "groups.quadriceps.l",
     "left side must mirror the right side: has soleus_l with no right-side match"),
    (_edit(coordinate_signs__knee_flexion__sign=0), "coordinate_signs.knee_flexion.sign",
     "got 0; expected 1 or -1"),
    (_edit(coordinate_signs__knee_flexion__axis="z"), "coordinate_signs.knee_flexion.axis",
     "unknown field (not part of the group map schema)"),
    (_edit(coordinate_signs__ankle_dorsiflexion=_DELETE), "coordinate_signs.ankle_dorsiflexion",
     "required field is missing"),
]


@pytest.mark.parametrize(("edit", "field", "problem"), BAD_MAPS,
                         ids=[b[1] + ":" + b[2][:24] for b in BAD_MAPS])
def test_bad_map_one_line_message(tmp_path: Path, edit, field: str, problem: str) -> None:
    path = _write(tmp_path, edit(_good()))
    with pytest.raises(SpecError) as info:
        load_group_map(path)
    err = info.value
    assert (err.source, err.field) == (str(path), field)
    assert err.problem.startswith(problem), err.problem
    assert "\n" not in str(err)
    assert str(err).startswith(f"{path}: {field}: ")


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("- just\n- a list\n", "<root>", "expected a mapping (YAML dictionary) at the top level"),
    ("model: [unclosed\n", "line 2", "not valid YAML"),
])
def test_bad_map_file(tmp_path: Path, text: str, field: str, problem: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_group_map(path)
    assert info.value.field == field
    assert info.value.problem.startswith(problem)
    assert "\n" not in str(info.value)


def test_missing_map_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"map\.yaml: <file>: no such group map file$"):
        load_group_map(tmp_path / "map.yaml")
    with pytest.raises(SpecError) as info:
        load_group_map("gait2392")
    assert str(info.value) == ("gait2392: <name>: no shipped group map of that name; shipped: "
                               "fullbodymodel_hamner2010_v2_0, gait10dof18musc, rajagopal2016, running2d")


def test_load_missing_model_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "model.osim"
    with pytest.raises(SpecError) as info:
        load(path)
    assert str(info.value) == f"{path}: <file>: no such model file"


def test_load_unreadable_model_names_the_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "<OpenSimDocument><Model name='x'>", "broken.osim")
    with pytest.raises(SpecError) as info:
        load(path)
    assert info.value.source == str(path)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------ real models
@pytest.fixture(scope="module")
def gait10():
    return load(_need(GAIT10))


@pytest.fixture(scope="module")
def rajagopal():
    return load(_need(RAJAGOPAL))


@pytest.fixture(scope="module")
def running2d(tmp_path_factory):
    path = tmp_path_factory.mktemp("running2d") / "running2d.osim"
    build(output=path)
    return load(path)


@pytest.fixture(params=["gait10", "rajagopal", "running2d"])
def loaded(request):
    return request.getfixturevalue(request.param)


def test_load_infers_the_shipped_map(loaded) -> None:
    expected = {"gait10dof18musc.osim": "gait10dof18musc", "Rajagopal2016.osim": "rajagopal2016",
                "running2d.osim": "running2d"}[loaded.path.name]
    assert loaded.groups is not None and loaded.groups.model == expected
    for group in GROUP_NAMES:
        for side in ("r", "l"):
            assert loaded.muscles(group, side), (group, side)


def test_load_with_explicit_map(rajagopal) -> None:
    again = load(rajagopal.path, groups="rajagopal2016")
    assert again.groups == rajagopal.groups
    assert load(rajagopal.path, groups=rajagopal.groups).groups is rajagopal.groups


def test_load_rejects_a_map_of_another_model(rajagopal) -> None:
    with pytest.raises(SpecError) as info:
        load(rajagopal.path, groups="gait10dof18musc")
    err = info.value
    assert err.source == str(GROUPS_DIR / "gait10dof18musc.yaml")
    assert err.field == "groups.quadriceps.r[0]"
    assert err.problem == ("muscle 'rect_fem_r' is not in Rajagopal2016.osim (80 muscles); "
                           "did you mean 'recfem_r'?")


def test_load_names_the_missing_muscle_and_its_field(rajagopal, tmp_path: Path) -> None:
    data = yaml.safe_load((GROUPS_DIR / "rajagopal2016.yaml").read_text())
    data["groups"]["quadriceps"]["r"][2] = "vaslatt_r"
    data["groups"]["quadriceps"]["l"][2] = "vaslatt_l"  # keep the sides mirrored
    path = _write(tmp_path, data, "typo.yaml")
    with pytest.raises(SpecError) as info:
        load(rajagopal.path, groups=path)
    assert str(info.value).startswith(f"{path}: groups.quadriceps.r[2]: muscle 'vaslatt_r' is "
                                      "not in Rajagopal2016.osim")
    assert "\n" not in str(info.value)


def test_load_checks_the_coordinates(gait10, tmp_path: Path) -> None:
    data = _good()
    data["coordinate_signs"]["knee_flexion"]["coordinate"] = "knee_flexion"
    path = _write(tmp_path, data)
    with pytest.raises(SpecError) as info:
        load(gait10.path, groups=path)
    assert info.value.field == "coordinate_signs.knee_flexion.coordinate"
    assert info.value.problem == "coordinate 'knee_flexion_r' is not in gait10dof18musc.osim"


# ------------------------------------------------------------------------------ physics
def _flexion_moment_arm(loaded, muscle: str, motion: str, side: str, pose_deg: dict) -> float:
    """Moment arm (m) about ``motion``'s coordinate, flexion/dorsiflexion positive, at a pose
    given flexion-positive in degrees per motion."""
    g = loaded.groups
    pose = {g.coordinate(m, side): g.sign(m) * np.radians(v) for m, v in pose_deg.items()}
    coord = g.coordinate(motion, side)
    ma = moment_arms(loaded.model, muscle, coord, [pose[coord]], pose)[0]
    return float(g.sign(motion) * ma)


POSE_DEG = {"hip_flexion": 0.0, "knee_flexion": 30.0, "ankle_dorsiflexion": 0.0}


@pytest.mark.parametrize("side", ["r", "l"])
def test_quadriceps_extend_the_knee_at_30_deg(loaded, side: str) -> None:
    # Expected: knee-extensor moment arm of 2-7 cm at 30 deg flexion. The patellar-tendon moment
    # arm is ~4-5 cm there (e.g. Buford et al. 1997, IEEE TRE 5:367; Herzog & Read 1993,
    # J Anat 182:213); the bounds leave room for model differences but reject a wrong sign
    # (flexor) and a path that misses the knee (~0).
    for muscle in loaded.muscles("quadriceps", side):
        ma = _flexion_moment_arm(loaded, muscle, "knee_flexion", side, POSE_DEG)
        assert -0.07 < ma < -0.02, f"{loaded.path.name} {muscle}: knee flexion moment arm {ma:.4f} m"


# group -> (motion, sign of the moment arm that the group's function requires)
FUNCTION = {
    "quadriceps": [("knee_flexion", -1)],
    "hamstrings": [("knee_flexion", 1), ("hip_flexion", -1)],
    "knee_flexors": [("knee_flexion", 1)],
    "plantarflexors": [("ankle_dorsiflexion", -1)],
    "dorsiflexors": [("ankle_dorsiflexion", 1)],
    "hip_extensors": [("hip_flexion", -1)],
    "hip_flexors": [("hip_flexion", 1)],
}


def test_every_group_member_acts_as_its_group(loaded) -> None:
    # At hip 0, knee 30 deg flexion, ankle 0, each member's moment arm must have the sign of the
    # group's function and be at least 3 mm (the smallest member, Rajagopal's peroneus brevis,
    # has 6 mm of plantarflexor moment arm there).
    wrong = []
    for group, checks in FUNCTION.items():
        for side in ("r", "l"):
            for muscle in loaded.muscles(group, side):
                for motion, sign in checks:
                    ma = _flexion_moment_arm(loaded, muscle, motion, side, POSE_DEG)
                    if sign * ma < 0.003:
                        wrong.append(f"{group}: {muscle} about {motion}: {ma * 100:.2f} cm")
    assert not wrong, f"{loaded.path.name}: " + "; ".join(wrong)
