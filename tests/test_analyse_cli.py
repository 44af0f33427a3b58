"""``biomech analyse``: the pipeline on a trial's OpenSim files, from the command line."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from biomech.cli import main
from biomech.io.storage import MotionFileWarning


@pytest.fixture(scope="module")
def planar_files(fr_stride_analysis, tmp_path_factory):
    """The default model written as ``running2d.osim`` (generated, not in the repository), the
    synthesised FR stride written as OpenSim files (coordinates with speed and acceleration
    sidecars, GRF, ExternalLoads) and the pipeline's Dataset of the same motion."""
    from biomech.models import build

    spec, *_, motion, ds = fr_stride_analysis
    folder = tmp_path_factory.mktemp("trial")
    build(spec, contact=False, output=folder / "running2d.osim")
    files = motion.to_files(folder, "fr")
    files["model"] = folder / "running2d.osim"
    return files, motion, ds


def test_planar_files_give_the_pipeline_inverse_dynamics(planar_files, tmp_path, capsys):
    # The default model's .osim, the stride written to files and read back, no filter, the whole
    # record as the window, the model's own mass: the joint moments are the pipeline's.
    files, motion, ds = planar_files
    code = main(["analyse", str(files["model"]), str(files["coordinates"]), "--external-loads",
                 str(files["external_loads"]), "--lowpass", "0", "--start", repr(float(motion.time_s[0])),
                 "--end", repr(float(motion.time_s[-1])), "--mass", repr(float(ds.attrs["mass_kg"])), "-o",
                 str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "knee extension moment (N m/kg)" in printed and "largest reserve" in printed
    out = xr.open_dataset(tmp_path / "result.nc")
    assert out.time.size == ds.time.size
    for c in ("hip_flexion_r", "knee_angle_r", "ankle_angle_l"):
        mine = out.joint_moment_nm.sel(coordinate=c).values
        theirs = ds.joint_moment_nm.sel(coordinate=c).values
        np.testing.assert_allclose(mine, theirs, atol=1e-6 * np.abs(theirs).max(), err_msg=c)
    assert (tmp_path / "result_inverse_dynamics.sto").is_file()
    assert "window" in (tmp_path / "trial.txt").read_text()


@pytest.mark.parametrize(("extra", "message"), [
    (["--start", "0.1"], "start_s and end_s: give both"),
    (["--side", "l", "--stride-index", "5"], "select_stride"),
])
def test_bad_options_give_one_line(planar_files, tmp_path, capsys, extra, message):
    files, _, _ = planar_files
    code = main(["analyse", str(files["model"]), str(files["coordinates"]), "--external-loads",
                 str(files["external_loads"]), "-o", str(tmp_path), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err and len(err.splitlines()) == 1, err


def test_missing_file_and_model_without_a_group_map(planar_files, tmp_path, capsys):
    files, _, _ = planar_files
    assert main(["analyse", str(tmp_path / "none.osim"), str(files["coordinates"])]) == 2
    assert "none.osim: no such file" in capsys.readouterr().err
    renamed = tmp_path / "unknown_model.osim"
    renamed.write_text(files["model"].read_text().replace('<Model name="running2d"', '<Model name="unknown"'))
    assert main(["analyse", str(renamed), str(files["coordinates"]), "--external-loads",
                 str(files["external_loads"])]) == 2
    err = capsys.readouterr().err
    assert "no muscle-group map matches this model" in err and len(err.strip().splitlines()) == 1


def test_hamner_trial_from_the_command_line(reference_dir, tmp_path, capsys):
    # The Hamner 2010 running trial as a user would analyse it (shipped group map found from the
    # model's file name; 10 Hz filter, mass from the GRF, first right stride after 1 s): the same
    # peaks as tests/test_pipeline_hamner.py (knee extension moment 2.42 N m/kg, PF force 5.69 BW
    # by the lever-arm method, knee contact force 7.43 BW).
    models = reference_dir / "opensim-models"
    pipe = models / "Pipelines/Hamner"
    with pytest.warns(MotionFileWarning, match="datarows=901 but the file has 601"):
        code = main(["analyse", str(models / "Models/Hamner/FullBodyModel_Hamner2010_v2_0.osim"),
                     str(pipe / "outputReference/ResultsIK/subject02_running_ik.mot"),
                     "--grf", str(pipe / "subject02_running_grf.mot"),
                     "--external-loads", str(pipe / "External_Loads.xml"), "--start-after", "1.0",
                     "-o", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    table = dict(line.split(",") for line in (tmp_path / "result_summary.csv").read_text().splitlines()[1:])
    assert float(table["peak_knee_extension_moment_nm_per_kg_r"]) == pytest.approx(2.42, abs=0.01)
    assert float(table["peak_pf_force_lever_bw_r"]) == pytest.approx(5.69, abs=0.01)
    assert float(table["peak_knee_compressive_force_bw_r"]) == pytest.approx(7.43, abs=0.01)
    notes = (tmp_path / "trial.txt").read_text()
    assert "mass 66.0 kg" in notes and "stride 0 of side r: 1.100-1.783 s" in notes


def test_hamner_trial_all_strides_curves_and_outcomes(reference_dir, tmp_path, capsys):
    # Every complete right stride after 1 s (11), both feet's cycles in the curves. The model's
    # knee flexion is negative: the curves and outcomes take the sign out (group map). Treadmill:
    # the pelvis stays put, so without --speed there are no per-metre outcomes; with the belt
    # speed (3.7 m/s, estimated from the stance foot, see tests/test_pipeline_hamner.py) there are.
    models = reference_dir / "opensim-models"
    pipe = models / "Pipelines/Hamner"
    args = ["analyse", str(models / "Models/Hamner/FullBodyModel_Hamner2010_v2_0.osim"),
            str(pipe / "outputReference/ResultsIK/subject02_running_ik.mot"),
            "--grf", str(pipe / "subject02_running_grf.mot"),
            "--external-loads", str(pipe / "External_Loads.xml"), "--start-after", "1.0",
            "--strides", "0"]
    with pytest.warns(MotionFileWarning):
        assert main([*args, "-o", str(tmp_path / "a")]) == 0
    assert "a treadmill?" in capsys.readouterr().out
    table = dict(line.split(",") for line in (tmp_path / "a/outcomes.csv").read_text().splitlines()[1:])
    assert table["knee_contact_impulse_bw_s_per_m"] == "nan" and table["speed_m_s"] == "nan"
    curves = xr.open_dataset(tmp_path / "a/curves.nc")
    assert curves.sizes["cycle"] >= 20 and set(curves.side.values) == {"r", "l"}
    mean = curves.mean("cycle")
    assert 90.0 < float(mean.knee_flexion_deg.max()) < 120.0        # swing, flexion positive
    assert 0.0 < float(mean.knee_flexion_deg.min()) < 25.0
    assert 20.0 < float(mean.ankle_angle_deg.max()) < 28.0          # 24.2 +/- 1.2 deg (14 stances)
    assert 2.0 < float(mean.knee_extension_moment_nm_kg.max()) < 3.7
    assert (tmp_path / "a/curves.png").stat().st_size > 10_000
    # joint mechanics with the Hamner model's signs taken out (its knee flexion is negative):
    # in stance (toe off at 38 % of the cycle) the knee absorbs and then generates, the ankle
    # generates at push-off, and the GRF brakes and then propels. Measured (mean of 23 cycles):
    # knee -11.7 / +9.6 W/kg, ankle +11.1 W/kg, fore-aft GRF -0.31 / +0.31 BW, ankle moment 2.3 N m/kg.
    first, second = mean.sel(cycle_pct=slice(0, 18)), mean.sel(cycle_pct=slice(18, 38))
    assert float(first.knee_power_w_kg.min()) < -5.0 and float(second.knee_power_w_kg.max()) > 5.0
    assert float(second.ankle_power_w_kg.max()) > 5.0
    assert float(first.fore_aft_grf_bw.min()) < -0.15 and float(second.fore_aft_grf_bw.max()) > 0.15
    assert 1.5 < float(mean.ankle_plantarflexion_moment_nm_kg.max()) < 3.5
    assert (tmp_path / "a/joints.png").stat().st_size > 10_000
    curves.close()

    with pytest.warns(MotionFileWarning):
        assert main([*args, "--speed", "3.7", "-o", str(tmp_path / "b")]) == 0
    table = {k: float(v) for k, v in (line.split(",") for line in
                                      (tmp_path / "b/outcomes.csv").read_text().splitlines()[1:])
             if k != "direction"}
    step_m = 3.7 / table["step_rate_hz"]
    assert table["knee_contact_impulse_bw_s_per_m"] == pytest.approx(
        table["knee_contact_impulse_bw_s"] / step_m, rel=1e-9)
    assert table["pf_impulse_lever_bw_s_per_km"] == pytest.approx(
        table["pf_impulse_lever_bw_s"] * 1000.0 / step_m, rel=1e-9)
    # Umberger 2010 on the gait2392 muscles (fibre types: Uchida et al. 2016, per muscle): the
    # gross cost of running is about 1 kcal/kg/km = 4.2 J/kg/m, nearly independent of speed
    # (Margaria et al. 1963, J Appl Physiol 18:367); +-30 % for subject, model and the estimated
    # belt speed. Measured 2026-11-26: 4.43 J/kg/m. Tendon share of positive work 0.26.
    assert 0.7 * 4.2 < table["metabolic_cost_j_kg_m"] < 1.3 * 4.2
    assert 0.0 < table["tendon_share_of_positive_work"] < 1.0
    # per group of the shipped Hamner map (gait2392 muscles): gastrocnemii + soleus and the four
    # quadriceps are disjoint, so their returned energies add up to at most the leg's
    groups = table["tendon_energy_returned_plantarflexors_j"] + table["tendon_energy_returned_quadriceps_j"]
    assert 0.0 < groups <= table["tendon_energy_returned_j"] + 1e-9
    assert 0.0 < table["tendon_share_of_positive_work_plantarflexors"] < 5.0
    assert main([*args, "--speed", "-1", "-o", str(tmp_path / "c")]) == 2


def test_gait10dof18musc_walking_trial(reference_dir, tmp_path):
    # The OpenSim gait10dof18musc walking trial (treadmill, subject01; IK from the reference
    # output, filtered at 6 Hz as in that pipeline): another model and group map (knee flexion
    # negative in the model) through the command line. Measured 2026-11-26: peak swing knee
    # flexion 69 deg, toe-off at 64 % of the cycle (normal walking: about 60-70 deg and 60-62 %,
    # Perry 1992), no reserve above 5 %.
    models = reference_dir / "opensim-models"
    pipe = models / "Pipelines/Gait10dof18musc"
    code = main(["analyse", str(models / "Models/Gait10dof18musc/gait10dof18musc.osim"),
                 str(pipe / "OutputReference/IK/subject01_walk_IK.mot"),
                 "--grf", str(pipe / "ExperimentalData/subject01_walk_grf.mot"),
                 "--external-loads", str(pipe / "ExperimentalData/subject01_walk_grf.xml"),
                 "--lowpass", "6", "-o", str(tmp_path)])
    assert code == 0
    curves = xr.open_dataset(tmp_path / "curves.nc")
    mean = curves.mean("cycle")
    assert 55.0 < float(mean.knee_flexion_deg.max()) < 80.0
    assert 55.0 < float(curves.foot_off_pct.mean()) < 70.0
    curves.close()
    result = xr.open_dataset(tmp_path / "result.nc")
    assert float(result.attrs["max_reserve_fraction_of_peak_moment"]) < 0.05
    result.close()
    # the same trial on the default planar model (biomech.trial.on_planar_model)
    assert main(["analyse", str(models / "Models/Gait10dof18musc/gait10dof18musc.osim"),
                 str(pipe / "OutputReference/IK/subject01_walk_IK.mot"),
                 "--grf", str(pipe / "ExperimentalData/subject01_walk_grf.mot"),
                 "--external-loads", str(pipe / "ExperimentalData/subject01_walk_grf.xml"),
                 "--lowpass", "6", "--planar", "-o", str(tmp_path / "planar")]) == 0
    assert "on the planar model running2d" in (tmp_path / "planar/trial.txt").read_text()
    planar = xr.open_dataset(tmp_path / "planar/result.nc")
    assert planar.attrs["model_kind"] == "planar" and planar.sizes["coordinate"] == 10
    planar.close()
    # the planar model and motion as files OpenSim opens
    import opensim as osim

    model = osim.Model(str(tmp_path / "planar/planar_model.osim"))
    assert model.getCoordinateSet().getSize() >= 10
    table = osim.TimeSeriesTable(str(tmp_path / "planar/motion/motion_coordinates.mot"))
    assert "knee_angle_r" in list(table.getColumnLabels())
