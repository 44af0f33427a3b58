"""The Rajagopal 2016 running trial through the whole pipeline: the model the default model's
muscles come from (Rajagopal et al. 2016, IEEE Trans Biomed Eng 63:2068), on measured running.

Data (``../shared/reference/opensim-models/Pipelines/Rajagopal``, skipped when absent): treadmill
running markers (100 Hz, 0.23-5.32 s), the static trial, the GRF (1000 Hz) and the setup files of
OpenSim's own pipeline. The fixture runs that pipeline as published, in a temporary folder:
OpenSim's ScaleTool (``scale_setup_run.xml``, 72.84 kg, on ``Rajagopal2016.osim`` as
``generic_unscaled.osim``) and InverseKinematicsTool (``ik_setup_run.xml``, 510 frames, about
15 s). Then ``biomech.trial.read_trial`` (10 Hz filter, mass from the GRF; the IK file's patella
coordinates ``knee_angle_*_beta``, driven by couplers, are dropped) and the first complete right
stride after 0.5 s.

Published ranges: as in ``tests/test_pipeline_hamner.py`` (peak knee extension moment 2.5 +/- 0.6
N m/kg, Heiderscheit et al. 2011; PF compression 4.5 +/- 1.5 BW, Roos et al. 2012, to 5.6 +/- 1.3
BW, Flynn & Soutas-Little 1995; mean +/- 2 SD).
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from biomech.pipeline import analyse_motion, summary_table
from biomech.trial import read_trial

KNEE_MOMENT_NM_PER_KG = (2.5 - 2 * 0.6, 2.5 + 2 * 0.6)
PF_FORCE_BW = (4.5 - 2 * 1.5, 5.6 + 2 * 1.3)
SAGITTAL = ("hip_flexion", "knee_angle", "ankle_angle")


@pytest.fixture(scope="module")
def trial(reference_dir, tmp_path_factory):
    import opensim as osim

    models = reference_dir / "opensim-models"
    pipe = models / "Pipelines/Rajagopal"
    work = tmp_path_factory.mktemp("rajagopal")
    shutil.copy(models / "Models/Rajagopal/Rajagopal2016.osim", work / "generic_unscaled.osim")
    for folder in ("ExpData", "Scale", "IK", "ID"):
        shutil.copytree(pipe / folder, work / folder)
    (work / "IK" / "results_run").mkdir()
    here = os.getcwd()
    try:   # the setup files name their inputs relative to their own folder
        os.chdir(work / "Scale")
        assert osim.ScaleTool("scale_setup_run.xml").run()
        os.chdir(work / "IK")
        assert osim.InverseKinematicsTool("ik_setup_run.xml").run()
    finally:
        os.chdir(here)
    return read_trial(work / "Scale/subject_scaled_run.osim", work / "IK/results_run/ik_output_run.mot",
                      grf=work / "ExpData/grf_run.mot", external_loads=work / "ID/grf_run.xml",
                      groups="rajagopal2016", start_after_s=0.5)


@pytest.fixture(scope="module")
def rigid(trial):
    return analyse_motion(trial.model, trial.motion, groups=trial.groups)


def _largest_reserve_pct(ds, coordinate: str) -> float:
    return 100.0 * float(ds.reserve_fraction_of_peak_moment.sel(coordinate=coordinate).max())


def test_trial_preparation(trial):
    # the patella's coupled coordinates are not analysed; mass from the GRF near the setup's 72.84 kg
    assert "knee_angle_r_beta" not in trial.motion.coordinate_names
    assert 68.0 < trial.mass_kg < 78.0
    assert any("stride 0 of side r" in note for note in trial.notes)


def test_right_stride_peaks_in_published_forward_running_ranges(rigid):
    # measured 2026-11-26: knee extension moment 3.11 N m/kg, PF force 7.45 BW (lever-arm method),
    # 7.86 BW (muscle method); knee contact force 12.2 BW (reported: above the 8 BW mean of
    # Miller et al. 2014 that the Hamner model meets, 7.4 BW)
    table = summary_table(rigid)
    lo, hi = KNEE_MOMENT_NM_PER_KG
    assert lo <= table["peak_knee_extension_moment_nm_per_kg_r"] <= hi
    for method in ("lever", "muscle"):
        assert PF_FORCE_BW[0] <= table[f"peak_pf_force_{method}_bw_r"] <= PF_FORCE_BW[1], method
    assert rigid.attrs["so_failed_frames"] == 0


def test_compliant_tendons_keep_the_sagittal_reserves_below_five_percent(trial, rigid):
    # The criterion on measured running with the muscles of the default model's source:
    # with rigid tendons the push-off asks the plantarflexor fibres to shorten as fast as the
    # ankle turns (measured 2026-11-26, hip / knee / ankle, right: 2.5 / 4.2 / 21.8 %, left: 3.4 /
    # 2.7 / 28.5 %); with compliant tendons (every Millard muscle on the De Groote curves) right
    # 0.1 / 0.1 / 0.0 %, left 1.7 / 0.3 / 0.0 %. The 3D coordinates outside the sagittal plane
    # (hip rotation up to 38 %) are not part of this check.
    compliant = analyse_motion(trial.model, trial.motion, groups=trial.groups, tendon="compliant")
    assert compliant.attrs["compliant_converged"] == 1
    assert "every muscle replaced by DeGrooteFregly2016" in compliant.attrs["muscle_model"]
    for side in ("r", "l"):
        for base in SAGITTAL:
            c = f"{base}_{side}"
            assert _largest_reserve_pct(compliant, c) < 5.0, c
    assert _largest_reserve_pct(rigid, "ankle_angle_r") > 10.0   # the rigid-tendon push-off
    assert np.isfinite(float(compliant.metabolic_power_mean_w_kg))


def test_the_stride_reversed_in_time_keeps_the_sagittal_reserves_below_five_percent(trial):
    # The measured stride reversed in time, a first approximation of backward running (see
    # tests/test_pipeline_hamner.py), with compliant tendons. Measured 2026-11-26, hip / knee /
    # ankle: right 0.1 / 0.3 / 0.0 %, left 0.1 / 0.2 / 0.0 % (rigid tendons: right knee 12.4 %,
    # the vasti shortening under the reversed loading response).
    from biomech.gait import reverse

    backward = analyse_motion(trial.model, reverse(trial.motion), groups=trial.groups, tendon="compliant")
    assert backward.attrs["direction"] == "backward"
    for side in ("r", "l"):
        for base in SAGITTAL:
            c = f"{base}_{side}"
            assert _largest_reserve_pct(backward, c) < 5.0, c


def test_the_default_planar_model_on_this_trial(trial, rigid):
    # biomech.trial.on_planar_model: the trial's sagittal joint angles on the default planar model
    # (scaled to the trial model's thigh + shank, pelvis on the measured mid-hip), the measured
    # GRF. Measured 2026-11-26 (18 units per leg, passive curves fitted to Riener & Edrich 1999):
    # knee extension moment 2.93 N m/kg (the 3D model: 3.11); compliant tendons, hip / knee /
    # ankle: right 0.0 / 0.4 / 0.0 %, left 0.1 / 0.3 / 2.4 %; per cycle over the first five
    # strides, stance / swing: right 0.0 / 0.1-1.2 %, left 0-2.4 / 0.3-0.8 %; reversed in time
    # right 0.0 / 0.2 / 0.0 %, left 0.1 / 0.3 / 0.0 %. With the
    # triceps surae and tibialis anterior as the only ankle muscles the left push-off needed
    # 6.0 % (per cycle 2.9-6.0 %): 155 N m of plantarflexion asked while the ankle turned at
    # 8.3 rad/s, 140 N m of compliant-tendon capacity; the full Rajagopal leg's other
    # plantarflexors (now in the model) carry the difference. With De Groote's passive curve
    # for every unit the right knee needed 4.9 % in swing, against the stretched, passive
    # quadriceps (test_pipeline_hamner.test_the_default_planar_model_carries_every_cycle_of_the_trial).
    from biomech.gait import reverse
    from biomech.trial import on_planar_model

    planar = on_planar_model(trial)
    assert planar.motion.coordinate_names == planar.skeleton.independent_coordinates
    kw = dict(spec=planar.spec, skeleton=planar.skeleton, kinematics=planar.kinematics, tendon="compliant")
    ds = analyse_motion(planar.model, planar.motion, **kw)
    three_d = summary_table(rigid)["peak_knee_extension_moment_nm_per_kg_r"]
    assert summary_table(ds)["peak_knee_extension_moment_nm_per_kg_r"] == pytest.approx(three_d, rel=0.10)
    for side in ("r", "l"):
        for base in SAGITTAL:
            assert _largest_reserve_pct(ds, f"{base}_{side}") < 5.0, (base, side)
    backward = analyse_motion(planar.model, reverse(planar.motion), **kw)
    for side in ("r", "l"):
        for base in SAGITTAL:
            assert _largest_reserve_pct(backward, f"{base}_{side}") < 5.0, (base, side)
