"""One real run through the engine: gait synthesis, the analysis pipeline, the results contract
(result.nc, curves.nc, motion files, status.json, runs.csv)."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import xarray as xr

from biomech.experiments import parse_experiment, run_experiment
from biomech.experiments.curves import CURVES
from biomech.experiments.outcomes import OUTCOMES

DOC = {
    "name": "real",
    # published defaults; 60 samples per step keeps the run short
    "gait": {"params": {"samples_per_step": 60}},
    "conditions": {"direction": ["forward"]},
}


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    out = tmp_path_factory.mktemp("real")
    report = run_experiment(parse_experiment(DOC, "real.yaml"), output=out, progress=False)
    run = report.runs[0]
    record = report.records[run.run_id]
    assert record["status"] == "done", record["error"]
    return report, report.path / "runs" / run.run_id


def test_run_folder_contract(real):
    report, folder = real
    names = {p.name for p in folder.iterdir()}
    assert {"config.json", "status.json", "result.nc", "result_summary.csv", "curves.nc", "motion",
            "run.log", "synthesis_report.json"} <= names
    assert (folder / "motion" / "motion_coordinates.mot").exists()
    assert (folder / "motion" / "motion_grf.mot").exists()
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "done" and status["versions"]["opensim"].startswith("4.6")
    ds = xr.open_dataset(folder / "result.nc")
    assert ds.attrs["run_id"] == folder.name
    assert {"tendon_power_w", "mtu_power_w", "joint_moment_nm"} <= set(ds.data_vars)
    ds.close()


def test_curves_contract(real):
    _, folder = real
    curves = xr.open_dataset(folder / "curves.nc")
    assert curves.sizes["cycle_pct"] == 101 and curves.sizes["cycle"] == 2
    assert sorted(curves.side.values) == ["l", "r"]
    for name in CURVES:
        assert curves[name].dims == ("cycle", "cycle_pct") and curves[name].dtype == np.float64
        assert np.all(np.isfinite(curves[name].values)), name
    assert curves.attrs["run_id"] == folder.name and curves.attrs["direction"] == "forward"
    assert curves.attrs["speed_m_s"] == 3.5  # the forward default speed (defaults.yaml)
    assert 20.0 < curves.attrs["stance_pct"] < 50.0  # duty factor 0.35 -> about 35 % of the cycle
    # knee flexion at contact is an input of the synthesis (published default 18 deg), met on the
    # low-passed angle
    assert float(curves.knee_flexion_deg.sel(cycle_pct=0).mean()) == pytest.approx(18.0, abs=0.5)
    curves.close()


def test_outcomes_in_runs_csv(real):
    report, folder = real
    with open(report.path / "runs.csv", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["run_id"] == folder.name and row["status"] == "done" and row["error"] == ""
    for name in OUTCOMES:
        assert name in row, name
    assert float(row["step_rate_hz"]) == pytest.approx(2.8)  # forward default (defaults.yaml)
    assert float(row["contact_time_s"]) == pytest.approx(0.35 * 2 / 2.8, rel=0.05)
    for name in ("peak_vertical_grf_bw", "peak_knee_extension_moment_nm_kg", "peak_pf_force_lever_bw",
                 "peak_knee_contact_force_bw", "tendon_energy_returned_j"):
        value = float(row[name])
        assert math.isfinite(value) and value > 0.0, name
    assert 0.0 < float(row["tendon_share_of_positive_work"]) < 5.0
    # per functional group (the running2d group map): the leg's returned energy is at least the
    # plantarflexors' plus the quadriceps' (disjoint groups)
    groups = sum(float(row[f"tendon_energy_returned_{g}_j"]) for g in ("plantarflexors", "quadriceps"))
    assert 0.0 < groups <= float(row["tendon_energy_returned_j"]) + 1e-9
    assert 0.0 < float(row["tendon_share_of_positive_work_plantarflexors"]) < 5.0
    # what the motion has at the foot strikes: the input, reached for this stride
    assert float(row["knee_flexion_at_strike_deg"]) == pytest.approx(18.0, abs=0.5)


def test_figures_of_a_real_experiment_are_written_and_non_empty(real):
    from biomech.plots.experiment import make_figures

    report, _ = real
    paths = make_figures(report.path)
    pngs = [p for p in paths if p.suffix == ".png"]
    assert any(p.name == "peaks.png" for p in pngs) and any(p.name == "quality.png" for p in pngs)
    for p in pngs:
        assert p.stat().st_size > 10_000 and p.read_bytes()[:4] == b"\x89PNG", p.name
    assert (report.path / "figures" / "summary.md").read_text().count("|") > 10


def test_backward_run_by_time_reversal(tmp_path):
    # gait.backward: time_reversed: the forward synthesis at the backward stride, reversed: the
    # motion travels backward, lands where the forward one took off, and has the forward joint
    # moments at the mirrored time (inverse dynamics is even under time reversal)
    doc = {"name": "reversed", "gait": {"params": {"samples_per_step": 60}, "backward": "time_reversed"},
           "conditions": {"direction": ["backward"]}}
    report = run_experiment(parse_experiment(doc, "reversed.yaml"), output=tmp_path, progress=False)
    run = report.runs[0]
    assert report.records[run.run_id]["status"] == "done", report.records[run.run_id]["error"]
    folder = report.path / "runs" / run.run_id
    ds = xr.open_dataset(folder / "result.nc")
    assert ds.attrs["direction"] == "backward"
    tx = ds.q.sel(coordinate="pelvis_tx").values
    assert tx[-1] < tx[0]
    with (report.path / "runs.csv").open() as fh:
        row = next(csv.DictReader(fh))
    assert row["direction"] == "backward"

    from biomech.gait.synthesis import RunningInputs, synthesise_running
    from biomech.models import build, resolve_spec, skeleton
    from biomech.pipeline import analyse_motion

    spec = resolve_spec(None)
    sk = skeleton(spec)
    forward, _ = synthesise_running(sk, RunningInputs(**run.config["gait"]["inputs"]))
    fwd = analyse_motion(build(spec, contact=False), forward, spec=spec, skeleton=sk)
    np.testing.assert_allclose(ds.joint_moment_nm.values[::-1], fwd.joint_moment_nm.values,
                               atol=1e-6 * float(np.abs(fwd.joint_moment_nm.values).max()))
    ds.close()
