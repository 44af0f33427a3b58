"""Tests for biomech.gait.motion: the Motion type, its files and time reversal."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from biomech.errors import BiomechError, MotionFileError
from biomech.gait import FootLoad, Motion, reverse, spline_derivatives
from biomech.io import read_external_loads, read_table

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
NAMES = ("pelvis_tilt", "pelvis_tx", "knee_angle_r")
ROTATIONAL = (True, False, True)


def reference(relative: str) -> Path:
    path = REFERENCE / relative
    if not path.exists():
        pytest.skip(f"reference data not available: {path}")
    return path


def synthetic_motion(n: int = 201, *, direction: str = "forward") -> Motion:
    """Analytic motion over 0-1 s: period 0.5 s, with loads and events."""
    time_s = np.linspace(0.0, 1.0, n)
    w = 2.0 * np.pi / 0.5
    q = np.column_stack([0.1 * np.sin(w * time_s), 1.2 * time_s, 0.5 - 0.4 * np.cos(w * time_s)])
    rng = np.random.default_rng(1)
    loads = {
        side: FootLoad(
            body=f"calcn_{side}",
            force_n=rng.normal(size=(n, 3)) * 300.0,
            cop_m=rng.normal(size=(n, 3)) * 0.1,
            free_moment_nm=rng.normal(size=(n, 3)),
        )
        for side in ("r", "l")
    }
    events = {
        "foot_strike_r": np.array([0.0, 0.5, 1.0]),
        "toe_off_r": np.array([0.3, 0.8]),
        "foot_strike_l": np.array([0.25, 0.75]),
        "toe_off_l": np.array([0.05, 0.55]),
    }
    return Motion.from_coordinates(
        time_s,
        NAMES,
        q,
        ROTATIONAL,
        loads=loads,
        events=events,
        direction=direction,
        params={"speed_m_s": 1.2, "cadence": np.float64(3.1), "tags": ["a", "b"]},
        name="synthetic",
    )


def assert_same_motion(a: Motion, b: Motion, *, atol: float = 0.0) -> None:
    np.testing.assert_allclose(a.time_s, b.time_s, rtol=0.0, atol=atol)
    assert a.coordinate_names == b.coordinate_names
    assert a.rotational == b.rotational
    for key in ("q", "qd", "qdd"):
        np.testing.assert_allclose(getattr(a, key), getattr(b, key), rtol=0.0, atol=atol)
    assert a.loads.keys() == b.loads.keys()
    for side in a.loads:
        assert a.loads[side].body == b.loads[side].body
        for key in ("force_n", "cop_m", "free_moment_nm"):
            np.testing.assert_allclose(
                getattr(a.loads[side], key), getattr(b.loads[side], key), rtol=0.0, atol=atol
            )
    assert a.events.keys() == b.events.keys()
    for key in a.events:
        np.testing.assert_allclose(a.events[key], b.events[key], rtol=0.0, atol=atol)
    assert (a.direction, a.name, a.params) == (b.direction, b.name, b.params)


# ---------------------------------------------------------------- derivatives
def test_spline_derivatives_exact_for_quintic() -> None:
    # A quintic spline reproduces any polynomial of degree <= 5 exactly.
    t = np.sort(np.random.default_rng(2).uniform(0.0, 2.0, 30))
    q = 1.0 - 2.0 * t + 0.5 * t**3 - 0.1 * t**5
    qd, qdd = spline_derivatives(t, q)
    np.testing.assert_allclose(qd, -2.0 + 1.5 * t**2 - 0.5 * t**4, atol=1e-9)
    np.testing.assert_allclose(qdd, 3.0 * t - 2.0 * t**3, atol=1e-8)


def test_from_coordinates_derivatives_match_analytic() -> None:
    motion = synthetic_motion(n=401)
    w = 2.0 * np.pi / 0.5
    t = motion.time_s
    # d/dt of 0.1 sin(wt) and of 0.5 - 0.4 cos(wt); tolerance from the 2.5 ms sample spacing.
    np.testing.assert_allclose(motion.qd[:, 0], 0.1 * w * np.cos(w * t), atol=1e-6 * w)
    np.testing.assert_allclose(motion.qd[:, 1], 1.2, atol=1e-9)
    np.testing.assert_allclose(motion.qdd[:, 2], 0.4 * w**2 * np.cos(w * t), atol=1e-3 * w**2)


# ---------------------------------------------------------------- validation
def test_motion_is_immutable_and_copies_inputs() -> None:
    q = np.zeros((10, 1))
    motion = Motion.from_coordinates(np.arange(10.0), ["a"], q, [True])
    q[0, 0] = 5.0
    assert motion.q[0, 0] == 0.0
    with pytest.raises(ValueError):
        motion.q[0, 0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        motion.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"q": np.zeros((201, 2))}, r"q has shape \(201, 2\), expected \(n_time, n_coord"),
        ({"time_s": np.r_[0.0, 0.0, np.linspace(0.01, 1.0, 199)]}, "time must increase strictly"),
        ({"rotational": (True,)}, "rotational has 1 flags for 3 coordinates"),
        ({"coordinate_names": ("a", "a", "b")}, "duplicate coordinate names"),
        ({"direction": "sideways"}, "direction is 'sideways'"),
        ({"events": {"foot_strike_r": np.array([2.0])}}, "outside the motion"),
        ({"events": {"foot_strike_r": np.array([0.5, 0.2])}}, "not sorted"),
        ({"loads": {"r": FootLoad.zeros("calcn_r", 5)}}, r"loads\['r'\] has 5 samples"),
    ],
)
def test_validation_errors_are_one_line(change: dict, expected: str) -> None:
    motion = synthetic_motion()
    with pytest.raises(BiomechError, match=expected) as info:
        dataclasses.replace(motion, **change)
    assert "\n" not in str(info.value)


def test_nan_rejected_unless_allowed() -> None:
    motion = synthetic_motion()
    q = np.array(motion.q)
    q[3, 1] = np.nan
    with pytest.raises(BiomechError, match=r"q has NaN \(first at row 3\)"):
        dataclasses.replace(motion, q=q)
    assert np.isnan(dataclasses.replace(motion, q=q, allow_nan=True).q[3, 1])


def test_foot_load_shapes() -> None:
    with pytest.raises(BiomechError, match=r"cop_m has shape \(4, 2\), expected \(n, 3\)"):
        FootLoad("calcn_r", np.zeros((4, 3)), np.zeros((4, 2)), np.zeros((4, 3)))


# ---------------------------------------------------------------- files
def test_to_files_from_files_round_trip(tmp_path: Path) -> None:
    motion = synthetic_motion()
    paths = motion.to_files(tmp_path / "out", "run1")
    assert {k: p.name for k, p in paths.items()} == {
        "coordinates": "run1_coordinates.mot",
        "speeds": "run1_speeds.sto",
        "accelerations": "run1_accelerations.sto",
        "grf": "run1_grf.mot",
        "external_loads": "run1_external_loads.xml",
        "events": "run1_events.json",
        "params": "run1_params.json",
    }
    again = Motion.from_files(paths["coordinates"], external_loads_xml=paths["external_loads"])
    # q within 1e-9 rad after the degree conversion; loads exact (shortest-repr floats).
    assert_same_motion(
        dataclasses.replace(motion, params={**motion.params, "cadence": 3.1}), again, atol=1e-9
    )
    for side in motion.loads:
        assert np.array_equal(motion.loads[side].force_n, again.loads[side].force_n)
        assert np.array_equal(motion.loads[side].cop_m, again.loads[side].cop_m)


def test_written_files_follow_opensim_conventions(tmp_path: Path) -> None:
    motion = synthetic_motion()
    paths = motion.to_files(tmp_path, "run1")
    coordinates = read_table(paths["coordinates"])
    assert coordinates.in_degrees is True
    np.testing.assert_allclose(coordinates.column("knee_angle_r"), np.rad2deg(motion.q[:, 2]))
    np.testing.assert_array_equal(coordinates.column("pelvis_tx"), motion.q[:, 1])  # metres
    grf = read_table(paths["grf"])
    assert grf.columns[:9] == (
        "ground_force_r_vx",
        "ground_force_r_vy",
        "ground_force_r_vz",
        "ground_force_r_px",
        "ground_force_r_py",
        "ground_force_r_pz",
        "ground_torque_r_x",
        "ground_torque_r_y",
        "ground_torque_r_z",
    )
    assert grf.columns[9] == "ground_force_l_vx" and len(grf.columns) == 18
    spec = read_external_loads(paths["external_loads"])
    assert spec.datafile == "run1_grf.mot"
    assert [(f.name, f.applied_to_body, f.force_identifier) for f in spec.forces] == [
        ("right", "calcn_r", "ground_force_r_v"),
        ("left", "calcn_l", "ground_force_l_v"),
    ]
    events = json.loads(paths["events"].read_text())
    assert events["toe_off_r"] == [0.3, 0.8]
    assert json.loads(paths["params"].read_text())["params"]["speed_m_s"] == 1.2


def test_from_files_without_sidecars(tmp_path: Path) -> None:
    motion = synthetic_motion()
    paths = motion.to_files(tmp_path, "run1")
    plain = Motion.from_files(paths["coordinates"], paths["grf"], sidecars=False)
    # Rotational flags guessed from names (pelvis_tx is a translation); derivatives recomputed
    # with the same spline, so they match to rounding; no events, default name and direction.
    assert plain.rotational == ROTATIONAL
    np.testing.assert_allclose(plain.qd, motion.qd, atol=1e-9)
    assert plain.events == {} and plain.direction == "forward"
    assert plain.loads["l"].body == "calcn_l"


def test_from_files_rejects_mismatched_sidecar(tmp_path: Path) -> None:
    paths = synthetic_motion().to_files(tmp_path, "run1")
    synthetic_motion(n=101).to_files(tmp_path / "other", "run1")
    (tmp_path / "other" / "run1_speeds.sto").replace(paths["speeds"])
    with pytest.raises(MotionFileError, match="run1_speeds.sto: time does not match"):
        Motion.from_files(paths["coordinates"])


def test_from_files_grf_must_cover_coordinates(tmp_path: Path) -> None:
    motion = synthetic_motion()
    paths = motion.to_files(tmp_path, "run1")
    short = dataclasses.replace(
        motion.loads["r"],
        force_n=motion.loads["r"].force_n[:50],
        cop_m=motion.loads["r"].cop_m[:50],
        free_moment_nm=motion.loads["r"].free_moment_nm[:50],
    )
    cut = Motion.from_coordinates(
        motion.time_s[:50], NAMES, motion.q[:50], ROTATIONAL, loads={"r": short}
    )
    grf = cut.to_files(tmp_path / "cut", "cut")["grf"]
    with pytest.raises(MotionFileError, match="does not cover"):
        Motion.from_files(paths["coordinates"], grf)


def test_from_files_reference_walking_pipeline() -> None:
    ik = reference(
        "opensim-models/Pipelines/Gait10dof18musc/OutputReference/IK/subject01_walk_IK.mot"
    )
    xml = reference(
        "opensim-models/Pipelines/Gait10dof18musc/ExperimentalData/subject01_walk_grf.xml"
    )
    motion = Motion.from_files(ik, external_loads_xml=xml)
    assert motion.n_frames == 151
    assert motion.rotational[:3] == (True, False, False)  # pelvis_tilt, pelvis_tx, pelvis_ty
    # IK file, first row: pelvis_tilt 10.32995988 deg, pelvis_tx 0.61213494 m.
    assert motion.q[0, 0] == pytest.approx(np.deg2rad(10.32995988), abs=1e-12)
    assert motion.q[0, 1] == pytest.approx(0.61213494, abs=0.0)
    # GRF (1501 rows, ~600 Hz) on the 60 Hz IK times: at t = 0 it is the file's first row.
    np.testing.assert_allclose(
        motion.loads["r"].force_n[0], [101.5119767, 745.4661142, -47.44870554]
    )
    assert motion.loads["l"].body == "calcn_l"
    grf = read_table(xml.parent / "subject01_walk_grf.mot")
    expected = np.interp(motion.time_s, grf.time_s, grf.column("1_ground_force_vy"))
    np.testing.assert_allclose(motion.loads["l"].force_n[:, 1], expected)


def test_from_files_reference_state_paths() -> None:
    folder = "opensim-core/Moco/example2DWalking/"
    motion = Motion.from_files(
        reference(folder + "referenceCoordinates.sto"), reference(folder + "referenceGRF.sto")
    )
    assert "hip_flexion_r" in motion.coordinate_names
    assert motion.n_frames == 50 and set(motion.loads) == {"r", "l"}


# ---------------------------------------------------------------- reverse
def test_reverse_twice_is_identity() -> None:
    motion = synthetic_motion()
    assert_same_motion(reverse(reverse(motion)), motion, atol=1e-12)


def test_reverse_maps_time_signs_and_events() -> None:
    motion = synthetic_motion()
    back = reverse(motion)
    assert back.direction == "backward"
    np.testing.assert_allclose(back.time_s, motion.time_s, atol=1e-15)  # uniform grid on 0-1 s
    np.testing.assert_array_equal(back.q, motion.q[::-1])
    np.testing.assert_array_equal(back.qd, -motion.qd[::-1])
    np.testing.assert_array_equal(back.qdd, motion.qdd[::-1])
    np.testing.assert_array_equal(back.loads["r"].force_n, motion.loads["r"].force_n[::-1])
    # Strikes become toe offs at T - t (T = 1 s) and vice versa.
    np.testing.assert_allclose(back.events["toe_off_r"], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(back.events["foot_strike_r"], [0.2, 0.7])
    np.testing.assert_allclose(back.events["foot_strike_l"], [0.45, 0.95])
    # The reversed speeds are the derivatives of the reversed coordinates.
    rebuilt = Motion.from_coordinates(back.time_s, NAMES, back.q, ROTATIONAL)
    np.testing.assert_allclose(back.qd, rebuilt.qd, atol=1e-9)
    np.testing.assert_allclose(back.qdd, rebuilt.qdd, atol=1e-6)
