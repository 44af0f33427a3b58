"""The analysis result as OpenSim tables: OpenSim itself reads them back, values and labels."""

from __future__ import annotations

import numpy as np
import opensim as osim
import pytest

from biomech.io.result_tables import result_tables
from biomech.pipeline import save_result


@pytest.fixture(scope="module")
def written(fr_stride_analysis, tmp_path_factory):
    ds = fr_stride_analysis[5]
    folder = tmp_path_factory.mktemp("result")
    return ds, save_result(ds, folder, "fr")


def _opensim_table(path) -> tuple[list[str], np.ndarray, np.ndarray]:
    table = osim.TimeSeriesTable(str(path))
    labels = list(table.getColumnLabels())
    data = np.array([[table.getDependentColumnAtIndex(j)[i] for j in range(len(labels))]
                     for i in range(table.getNumRows())])
    return labels, np.array(table.getIndependentColumn()), data


def test_opensim_reads_every_table_back_exactly(written):
    ds, paths = written
    tables = result_tables(ds)
    assert {f"sto_{k}" for k in tables} <= set(paths)
    for name, table in tables.items():
        labels, time_s, data = _opensim_table(paths[f"sto_{name}"])
        assert labels == list(table.columns), name
        np.testing.assert_array_equal(time_s, ds.time.values)
        np.testing.assert_array_equal(data, table.data, err_msg=name)   # NaN where NaN
        storage = osim.Storage(str(paths[f"sto_{name}"]))   # the GUI's reader
        assert storage.getSize() == ds.time.size
        assert not storage.isInDegrees()


def test_inverse_dynamics_labels_follow_opensim(written):
    ds, paths = written
    labels, _, data = _opensim_table(paths["sto_inverse_dynamics"])
    # the InverseDynamicsTool's labels: <coordinate>_force for translations, _moment otherwise
    assert "pelvis_tx_force" in labels and "pelvis_ty_force" in labels
    assert "knee_angle_r_moment" in labels and "pelvis_tilt_moment" in labels
    j = list(ds.coordinate.values).index("knee_angle_r")
    np.testing.assert_array_equal(data[:, labels.index("knee_angle_r_moment")],
                                  ds.joint_moment_nm.values[:, j])


def test_static_optimization_tables_hold_muscles_then_reserves(written):
    ds, paths = written
    f_labels, _, force = _opensim_table(paths["sto_static_optimization_force"])
    a_labels, _, activation = _opensim_table(paths["sto_static_optimization_activation"])
    assert f_labels == a_labels
    muscles = list(ds.muscle.values)
    assert f_labels[:len(muscles)] == muscles
    np.testing.assert_array_equal(force[:, :len(muscles)], ds.muscle_force_n.values)
    # reserves: no residual (pelvis) coordinate gets one; moment in the force table, moment over
    # the reserve's optimal force in the activation table
    assert "pelvis_tx_reserve" not in f_labels and "hip_flexion_r_reserve" in f_labels
    col = f_labels.index("hip_flexion_r_reserve")
    j = list(ds.coordinate.values).index("hip_flexion_r")
    np.testing.assert_array_equal(force[:, col], ds.reserve_moment_nm.values[:, j])
    np.testing.assert_allclose(activation[:, col] * ds.attrs["reserve_optimal_force_nm"], force[:, col])


def test_joint_reaction_and_patellofemoral_columns(written):
    ds, paths = written
    labels, _, data = _opensim_table(paths["sto_joint_reaction"])
    k = list(ds.joint.values).index("knee_r")
    np.testing.assert_array_equal(data[:, labels.index("knee_r_on_child_in_child_fy")],
                                  ds.joint_reaction_force_n.values[:, k, 1])
    labels, _, data = _opensim_table(paths["sto_patellofemoral"])
    np.testing.assert_array_equal(data[:, labels.index("pf_stress_lever_pa_l")],
                                  ds.pf_stress_lever_pa.sel(side="l").values)


def test_results_written_before_the_translational_attribute(fr_stride_analysis):
    ds = fr_stride_analysis[5].copy()
    del ds.attrs["translational_coordinates"]
    labels = result_tables(ds)["inverse_dynamics"].columns
    assert "pelvis_ty_force" in labels and "hip_flexion_l_moment" in labels
