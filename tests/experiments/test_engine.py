"""The engine with a cheap run function: results layout, skipping finished runs, failures,
the local process pool."""

from __future__ import annotations

import csv
import json
import os

import pytest
from experiments_fakes import FAKE, executed, table_without_timing

from biomech.errors import BiomechError
from biomech.experiments import parse_experiment, run_experiment, run_id
from biomech.experiments.schema import ExecutorSettings
from biomech.experiments.store import ExperimentStore

DOC = {
    "name": "tiny",
    "run_function": FAKE,
    "conditions": {"direction": ["forward", "backward"]},
    "sweep": {"trunk_lean_deg": [5.0, 40.0]},
}


def _exp(**changes):
    return parse_experiment({**DOC, **changes}, "tiny.yaml", text="name: tiny\n")


def _csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_results_layout(tmp_path, counter):
    report = run_experiment(_exp(), output=tmp_path, progress=False)
    root = tmp_path / "tiny"
    assert report.path == root
    assert (root / "experiment.yaml").read_text() == "name: tiny\n"
    assert "4 runs, 0 already done, 4 to run" in (root / "experiment.log").read_text()
    rows = _csv(root / "runs.csv")
    assert [r["run_id"] for r in rows] == [r.run_id for r in report.runs]
    assert list(rows[0])[:6] == ["run_id", "status", "direction", "speed_m_s", "step_rate_hz",
                                 "trunk_lean_deg"]
    assert list(rows[0])[-1] == "error"
    assert {r["status"] for r in rows} == {"done"}
    assert rows[1]["direction"] == "forward" and float(rows[1]["trunk_lean_deg"]) == 40.0
    assert rows[0]["metabolic_cost_j_kg_m"] == "nan"
    for run in report.runs:
        folder = root / "runs" / run.run_id
        config = json.loads((folder / "config.json").read_text())
        assert run_id(config) == run.run_id
        status = json.loads((folder / "status.json").read_text())
        assert status["status"] == "done" and status["error"] is None and status["elapsed_s"] >= 0
        assert set(status["versions"]) == {"biomech", "opensim", "numpy", "python"}
        assert status["git_commit"]
        assert (folder / "fake.json").exists() and (folder / "run.log").exists()
    assert not (root / ".tmp").exists()
    assert sorted(executed(counter)) == sorted(r.run_id for r in report.runs)


def test_rerun_skips_finished_runs(tmp_path, counter):
    first = run_experiment(_exp(), output=tmp_path, progress=False)
    stamps = {r.run_id: (tmp_path / "tiny" / "runs" / r.run_id / "status.json").stat().st_mtime_ns
              for r in first.runs}
    second = run_experiment(_exp(), output=tmp_path, progress=False)
    assert second.skipped == 4 and second.executed == 0
    assert len(executed(counter)) == 4
    assert stamps == {r.run_id: (tmp_path / "tiny" / "runs" / r.run_id / "status.json").stat().st_mtime_ns
                      for r in second.runs}
    assert [r["status"] for r in _csv(tmp_path / "tiny" / "runs.csv")] == ["done"] * 4
    # a longer sweep runs only the new points
    third = run_experiment(_exp(sweep={"trunk_lean_deg": [5.0, 40.0, 10.0]}), output=tmp_path, progress=False)
    assert third.skipped == 4 and third.executed == 2 and len(executed(counter)) == 6


def test_failed_run_is_recorded_and_retried(tmp_path, counter, monkeypatch):
    flag = tmp_path / "fail"
    flag.write_text("")
    monkeypatch.setenv("BIOMECH_FAKE_FAIL_FILE", str(flag))
    report = run_experiment(_exp(), output=tmp_path, progress=False)
    assert report.count("failed") == 2 and report.count("done") == 2  # trunk lean 40 deg fails
    rows = _csv(tmp_path / "tiny" / "runs.csv")
    failed = [r for r in rows if r["status"] == "failed"]
    assert [float(r["trunk_lean_deg"]) for r in failed] == [40.0, 40.0]
    assert failed[0]["error"] == "fake failure at trunk_lean_deg 40"
    status = json.loads((tmp_path / "tiny" / "runs" / failed[0]["run_id"] / "status.json").read_text())
    assert status["status"] == "failed" and status["error"] == "fake failure at trunk_lean_deg 40"
    assert "Traceback" in (tmp_path / "tiny" / "runs" / failed[0]["run_id"] / "run.log").read_text()
    flag.unlink()
    again = run_experiment(_exp(), output=tmp_path, progress=False)
    assert again.skipped == 2 and again.executed == 2 and again.count("done") == 4
    assert executed(counter)[4:] == [r["run_id"] for r in failed]
    assert [r["error"] for r in _csv(tmp_path / "tiny" / "runs.csv")] == [""] * 4


def test_process_pool_gives_the_in_process_results(tmp_path, counter):
    local = run_experiment(_exp(), output=tmp_path / "a", progress=False)
    pool = run_experiment(_exp(), output=tmp_path / "b", progress=False,
                          executor=ExecutorSettings(kind="local", jobs=2))
    assert local.count("done") == pool.count("done") == 4
    assert table_without_timing(local.path / "runs.csv") == table_without_timing(pool.path / "runs.csv")
    pids = {line.split()[1] for line in counter.read_text().splitlines()[4:]}
    assert str(os.getpid()) not in pids  # ran in the worker processes


def test_one_session_at_a_time(tmp_path):
    store = ExperimentStore(tmp_path, "tiny")
    store.open("name: tiny\n")
    try:
        with pytest.raises(BiomechError, match="another biomech session is writing this experiment"):
            run_experiment(_exp(), output=tmp_path, progress=False)
    finally:
        store.close()
