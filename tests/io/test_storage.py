"""Tests for biomech.io: OpenSim .mot/.sto tables and ExternalLoads xml."""

from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

from biomech.errors import BiomechError, MotionFileError
from biomech.io import (
    ExternalForceSpec,
    ExternalLoadsSpec,
    MotionFileWarning,
    Table,
    loads_from_table,
    read_external_loads,
    read_table,
    write_external_loads,
    write_table,
)

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def reference(relative: str) -> Path:
    path = REFERENCE / relative
    if not path.exists():
        pytest.skip(f"reference data not available: {path}")
    return path


def write(tmp_path: Path, text: str, name: str = "t.mot") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


MODERN = """Coordinates
version=1
nRows=3
nColumns=3
inDegrees=yes

Units are S.I. units (second, meters, Newtons, ...)

endheader
time\tknee_angle_r\tpelvis_tx
      0.00000000\t     10.5\t      0.61
      0.01000000\t     11.5\t      0.62
      0.02000000\t     12.5\t      0.63
"""


# ---------------------------------------------------------------- reading
def test_read_modern_header(tmp_path: Path) -> None:
    # Layout as in OpenSim IK output (subject01_walk_IK.mot): name line, key=value, free text.
    table = read_table(write(tmp_path, MODERN))
    assert table.name == "Coordinates"
    assert table.columns == ("knee_angle_r", "pelvis_tx")
    assert table.in_degrees is True
    np.testing.assert_array_equal(table.time_s, [0.0, 0.01, 0.02])
    np.testing.assert_array_equal(table.column("knee_angle_r"), [10.5, 11.5, 12.5])
    assert table.header["nRows"] == "3"
    assert "Units are S.I. units" in table.header["description"]


def test_read_old_style_header_space_separated(tmp_path: Path) -> None:
    text = (
        "name old.mot\t\t\ndatacolumns 3\t\t\ndatarows 2\t\t\nrange 0 1\t\t\ninDegrees=no\n"
        "endheader\t\t\n        time\t   a_vx\t  a_vy\n0 1 2\n1 3 4\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = read_table(write(tmp_path, text))
    assert table.name == "old.mot"
    assert table.columns == ("a_vx", "a_vy")
    np.testing.assert_array_equal(table.data, [[1, 2], [3, 4]])
    assert table.in_degrees is False


def test_nan_spellings_are_nan(tmp_path: Path) -> None:
    text = "version=1\ninDegrees=no\nendheader\ntime\ta\tb\n0\tnan\t-nan(ind)\n1\tNaN\t2\n"
    table = read_table(write(tmp_path, text))
    assert np.isnan(table.data[0]).all() and np.isnan(table.data[1, 0])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("nRows=5\nnColumns=3\ninDegrees=no\n", "nRows=5 but the file has 3 data rows"),
        ("nRows=3\nnColumns=9\ninDegrees=no\n", "nColumns=9 but the file has 3 columns"),
        ("nRows=3\nnColumns=3\n", "no inDegrees entry"),
    ],
)
def test_recoverable_quirks_warn(tmp_path: Path, header: str, expected: str) -> None:
    text = f"version=1\n{header}endheader\ntime\ta\tb\n0\t1\t2\n1\t1\t2\n2\t1\t2\n"
    with pytest.warns(MotionFileWarning, match=expected):
        table = read_table(write(tmp_path, text))
    assert table.n_rows == 3
    assert table.in_degrees is False


@pytest.mark.parametrize(
    ("body", "line", "expected"),
    [
        ("time\ta\tb\n0\t1\t2\n1\t1\n", 7, "row has 2 values, fewer than the 3 column labels"),
        ("time\ta\tb\n0\t1\t2\t3\n", 6, "row has 4 values, more than"),
        ("time\ta\tb\n0\t1\tabc\n", 6, "value 'abc' in column 'b' is not a number"),
        ("frame\ta\tb\n0\t1\t2\n", 5, "expected the first column label to be 'time'"),
        ("time\ta\tb\n\n", 5, "no data rows"),
        ("time\ta\tb\n0\t1\t2\n0.5\t1\t2\n0.5\t1\t2\n", 8, "time 0.5 s is not after"),
        ("time\ta\tb\n0\t1\t2\n1\t1\t2\n0.5\t1\t2\n", 8, "expected strictly increasing time"),
        ("time\ta\ta\n0\t1\t2\n", 5, "duplicate column labels"),
        ("", 4, "expected a line of column labels"),
    ],
)
def test_broken_files_raise_with_file_and_line(
    tmp_path: Path, body: str, line: int, expected: str
) -> None:
    path = write(tmp_path, "version=1\nnColumns=3\ninDegrees=no\nendheader\n" + body)
    with pytest.raises(MotionFileError, match=expected) as info:
        read_table(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ")
    assert "\n" not in message
    assert info.value.line == line
    assert isinstance(info.value, BiomechError)


def test_missing_endheader_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MotionFileError, match="no 'endheader'"):
        read_table(write(tmp_path, "version=1\ntime\ta\n0\t1\n"))
    with pytest.raises(MotionFileError, match="cannot read"):
        read_table(tmp_path / "absent.mot")


def test_bad_in_degrees_value(tmp_path: Path) -> None:
    path = write(tmp_path, "version=1\ninDegrees=maybe\nendheader\ntime\ta\n0\t1\n")
    with pytest.raises(MotionFileError, match=r":2: inDegrees='maybe'"):
        read_table(path)


def test_motion_file_error_pickles() -> None:
    error = MotionFileError("a.mot", 3, "bad value")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == "a.mot:3: bad value" and again.line == 3


# ---------------------------------------------------------------- Table helpers
def test_column_select_and_drop_constant_zero() -> None:
    table = Table(
        time_s=np.arange(3.0),
        columns=("zero", "a", "b"),
        data=np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 5.0], [0.0, 3.0, 0.0]]),
    )
    assert table.drop_constant_zero().columns == ("a", "b")
    assert table.select(["b", "a"]).columns == ("b", "a")
    with pytest.raises(KeyError, match="column 'c' not in table"):
        table.column("c")
    with pytest.raises(ValueError):
        table.data[0, 0] = 1.0  # read-only


def test_table_rejects_inconsistent_shapes() -> None:
    with pytest.raises(BiomechError, match=r"data has shape \(2, 2\), expected"):
        Table(time_s=np.arange(3.0), columns=("a", "b"), data=np.zeros((2, 2)))


# ---------------------------------------------------------------- writing
def test_write_read_round_trip_is_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    time_s = np.cumsum(rng.uniform(1e-4, 1e-2, 50))
    data = rng.normal(scale=1e3, size=(50, 4)) * 10.0 ** rng.integers(-12, 12, size=(50, 4))
    path = write_table(
        tmp_path / "sub" / "x.sto",
        time_s=time_s,
        columns=["a", "b", "/jointset/hip_r/hip_flexion_r/value", "d"],
        data=data,
        in_degrees=True,
        name="My table",
        header={"DataType": "double", "nRows": "999"},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = read_table(path)
    np.testing.assert_array_equal(table.time_s, time_s)
    np.testing.assert_array_equal(table.data, data)
    assert table.columns == ("a", "b", "/jointset/hip_r/hip_flexion_r/value", "d")
    assert table.in_degrees is True
    assert table.name == "My table"
    assert table.header["DataType"] == "double"
    assert table.header["nRows"] == "50"  # layout keys are written by write_table, not copied


def test_written_format(tmp_path: Path) -> None:
    table = Table(time_s=[0.0, 0.5], columns=("a",), data=[[1.0], [2.0]], name="T")
    path = write_table(tmp_path / "t.mot", table)
    lines = path.read_text().splitlines()
    assert lines[:7] == [
        "T",
        "version=1",
        "nRows=2",
        "nColumns=2",
        "inDegrees=no",
        "endheader",
        "time\ta",
    ]
    assert lines[7:] == ["0.0\t1.0", "0.5\t2.0"]


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.mot"
    write_table(path, time_s=[0.0, 1.0], columns=["a"], data=[[1.0], [2.0]])
    before = path.read_text()

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_table(path, time_s=[0.0, 1.0], columns=["a"], data=[[5.0], [6.0]])
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.mot"]  # no temp file left


def test_write_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BiomechError, match="cannot write column label"):
        write_table(tmp_path / "t.mot", time_s=[0.0], columns=["a\tb"], data=[[1.0]])
    with pytest.raises(BiomechError, match="strictly increasing"):
        write_table(tmp_path / "t.mot", time_s=[1.0, 0.0], columns=["a"], data=[[1.0], [2.0]])
    with pytest.raises(TypeError):
        write_table(tmp_path / "t.mot")


# ---------------------------------------------------------------- reference files
def test_reference_walking_ik_in_degrees() -> None:
    path = reference(
        "opensim-models/Pipelines/Gait10dof18musc/OutputReference/IK/subject01_walk_IK.mot"
    )
    table = read_table(path)
    assert table.in_degrees is True
    assert table.data.shape == (151, 10)
    assert table.columns[0] == "pelvis_tilt" and table.columns[-1] == "lumbar_extension"
    # First data row of the file: 0.00000000  10.32995988 ...; last time 2.50000000.
    assert table.column("pelvis_tilt")[0] == pytest.approx(10.32995988, abs=0.0)
    assert table.time_s[-1] == pytest.approx(2.5, abs=0.0)


def test_reference_hamner_grf_row_count_quirk() -> None:
    path = reference("opensim-models/Pipelines/Hamner/subject02_running_grf.mot")
    with pytest.warns(MotionFileWarning) as record:
        table = read_table(path)
    messages = [str(w.message) for w in record]
    assert any("datarows=901 but the file has 601 data rows" in m for m in messages)
    assert any("no inDegrees entry" in m for m in messages)
    assert table.n_rows == 601
    assert table.time_s[0] == 0.0 and table.time_s[-1] == 10.0
    assert len(table.columns) == 41
    # The placeholder coordinate columns (pelvis_tx ... lumbar_rotation) are all zero; the force
    # columns are not.
    dropped = [c for c in table.columns if c not in table.drop_constant_zero().columns]
    assert dropped == list(table.columns[: table.columns.index("ground_force_vx")])
    assert dropped[0] == "pelvis_tx" and dropped[-1] == "lumbar_rotation"


def test_reference_state_path_columns() -> None:
    path = reference("opensim-core/Moco/example2DWalking/referenceCoordinates.sto")
    table = read_table(path)
    assert table.in_degrees is False
    assert table.data.shape == (50, 10)
    assert "/jointset/hip_r/hip_flexion_r/value" in table.columns
    assert table.time_s[-1] == pytest.approx(0.47008941, abs=0.0)


def test_reference_rajagopal_grf() -> None:
    path = reference("opensim-models/Pipelines/Rajagopal/ExpData/grf_run.mot")
    with pytest.warns(MotionFileWarning, match="no inDegrees"):
        table = read_table(path)
    assert table.data.shape == (5091, 18)  # header: datarows 5091, datacolumns 19
    assert table.time_s[0] == 0.23 and table.time_s[-1] == 5.32
    assert table.column("R_ground_force_vy")[0] == 1194.667969


# ---------------------------------------------------------------- ExternalLoads xml
def _spec() -> ExternalLoadsSpec:
    return ExternalLoadsSpec(
        name="loads",
        forces=(
            ExternalForceSpec(
                "right", "calcn_r", "ground_force_r_v", "ground_force_r_p", "ground_torque_r_"
            ),
            ExternalForceSpec(
                "left",
                "calcn_l",
                "ground_force_l_v",
                "ground_force_l_p",
                "ground_torque_l_",
                data_source_name="grf.mot",
                is_disabled=True,
            ),
        ),
        datafile="grf.mot",
    )


def test_external_loads_round_trip(tmp_path: Path) -> None:
    path = write_external_loads(tmp_path / "loads.xml", _spec())
    assert read_external_loads(path) == _spec()
    text = path.read_text()
    assert '<OpenSimDocument Version="40000">' in text
    assert "<applied_to_body>calcn_r</applied_to_body>" in text
    assert "<groups />" in text and "<datafile>grf.mot</datafile>" in text
    assert [f.side for f in _spec().forces] == ["r", "l"]


def test_reference_external_loads() -> None:
    path = reference(
        "opensim-models/Pipelines/Gait10dof18musc/ExperimentalData/subject01_walk_grf.xml"
    )
    spec = read_external_loads(path)
    assert spec.datafile == "subject01_walk_grf.mot"
    assert spec.datafile_path(path) == path.parent / "subject01_walk_grf.mot"
    assert [(f.name, f.applied_to_body, f.side) for f in spec.forces] == [
        ("right", "calcn_r", "r"),
        ("left", "calcn_l", "l"),
    ]
    assert spec.forces[1].force_identifier == "1_ground_force_v"


def test_external_loads_errors_name_line(tmp_path: Path) -> None:
    broken = write(tmp_path, "<OpenSimDocument>\n<ExternalLoads>\n</Oops>\n", "b.xml")
    with pytest.raises(MotionFileError, match=r"b\.xml:3: not well-formed xml"):
        read_external_loads(broken)
    missing = write(
        tmp_path,
        '<OpenSimDocument>\n<ExternalLoads name="x"><objects>\n'
        '<ExternalForce name="right">\n<force_identifier>f</force_identifier>\n'
        "</ExternalForce></objects></ExternalLoads></OpenSimDocument>\n",
        "m.xml",
    )
    with pytest.raises(MotionFileError, match=r"m\.xml:3: ExternalForce 'right' has no <applied"):
        read_external_loads(missing)


def test_loads_from_table_with_and_without_spec(tmp_path: Path) -> None:
    columns = [f"ground_force_r_{k}{a}" for k in "vp" for a in "xyz"]
    columns += [f"ground_torque_r_{a}" for a in "xyz"]
    data = np.arange(4 * 9, dtype=float).reshape(4, 9)
    table = Table(time_s=np.arange(4.0), columns=tuple(columns), data=data)
    loads = loads_from_table(table)
    assert list(loads) == ["r"] and loads["r"].body == "calcn_r"
    np.testing.assert_array_equal(loads["r"].cop_m, data[:, 3:6])
    # Interpolated onto other times; the disabled left force of the spec is skipped.
    half = loads_from_table(table, spec=_spec(), time_s=np.array([0.5, 2.5]))
    np.testing.assert_allclose(half["r"].force_n, (data[[0, 2], :3] + data[[1, 3], :3]) / 2)
    with pytest.raises(MotionFileError, match="does not cover"):
        loads_from_table(table, time_s=np.array([0.0, 3.5]), source="grf.mot")
