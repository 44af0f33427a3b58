"""``biomech run|sweep|validate``: exit codes, messages, resume after a kill, clean Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from experiments_fakes import FAKE, REPO, executed, subprocess_env

from biomech.cli import main

DOC = {
    "name": "tiny",
    "run_function": FAKE,
    "conditions": {"direction": ["forward", "backward"]},
    "sweep": {"trunk_lean_deg": [5.0, 40.0]},
}


def _write(tmp_path: Path, doc: dict | None = None) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(doc or DOC, sort_keys=False))
    return path


def test_validate_prints_the_number_of_runs(capsys):
    assert main(["validate", str(REPO / "experiments" / "retro_vs_forward.yaml")]) == 0
    assert "retro_vs_forward.yaml: ok, experiment 'retro_vs_forward': 6 runs" in capsys.readouterr().out


def test_validate_bad_file_exits_2_with_one_line(tmp_path, capsys):
    path = _write(tmp_path, {**DOC, "sweep": {"step_rate_hz": [2.8, 3.0, 6.0]}})
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"biomech: error: {path}: sweep.step_rate_hz[2]: 6.0 Hz is above 5.5 Hz\n"
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    assert capsys.readouterr().err.strip().endswith("missing.yaml: <file>: no such experiment file")


def test_run_prints_a_summary_and_exit_1_when_a_run_failed(tmp_path, capsys, counter, monkeypatch):
    flag = tmp_path / "fail"
    flag.write_text("")
    monkeypatch.setenv("BIOMECH_FAKE_FAIL_FILE", str(flag))
    path = _write(tmp_path)
    assert main(["sweep", str(path), "-o", str(tmp_path / "out"), "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "tiny: 2 of 4 runs done (0 from earlier sessions), 2 failed" in out
    assert "failed runs:" in out and "fake failure at trunk_lean_deg 40" in out
    header = out.splitlines()[0].split()
    assert header[:3] == ["run", "direction", "speed"] and "trunk_lean_deg" in header
    flag.unlink()
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--no-progress"]) == 0
    assert "tiny: 4 of 4 runs done (2 from earlier sessions), 0 failed" in capsys.readouterr().out
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--dry-run"]) == 0
    assert "tiny: 4 runs, 4 already done" in capsys.readouterr().out
    assert len(executed(counter)) == 6


def test_bad_option_exits_2(tmp_path, capsys):
    assert main(["run", str(_write(tmp_path)), "--jobs", "0"]) == 2
    assert capsys.readouterr().err == "biomech: error: --jobs: 0 is below 1\n"


def _start(path: Path, out: Path, counter: Path, *extra: str) -> subprocess.Popen:
    # The CLI starts with SIGINT at its default, as from a terminal: a suite launched from a
    # background shell (``make test &``) inherits SIGINT ignored, and Python then never turns
    # Ctrl-C into KeyboardInterrupt, so the interrupt tests would see a run that cannot be stopped.
    env = subprocess_env(BIOMECH_FAKE_COUNTER=str(counter), BIOMECH_FAKE_SLEEP_S="1.0")
    return subprocess.Popen([sys.executable, "-m", "biomech.cli", "run", str(path), "-o", str(out),
                             "--no-progress", *extra], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_first_run(proc: subprocess.Popen, runs: Path, timeout_s: float = 60.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"the experiment ended (exit {proc.returncode}) before a finished run was seen")
        if any((d / "status.json").exists() for d in runs.glob("*")):
            return
        time.sleep(0.05)
    proc.kill()
    pytest.fail("no run finished in time")


def _finished(runs: Path) -> dict[str, int]:
    """Finished run ids and the mtime (ns) of their status.json."""
    out = {}
    for d in runs.glob("*"):
        status = json.loads((d / "status.json").read_text())
        assert status["status"] == "done"
        out[d.name] = (d / "status.json").stat().st_mtime_ns
    return out


def test_killed_sweep_resumes_without_recomputing(tmp_path):
    path, out, counter = _write(tmp_path), tmp_path / "out", tmp_path / "counter.txt"
    proc = _start(path, out, counter)
    runs = out / "tiny" / "runs"
    _wait_for_first_run(proc, runs)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    first = _finished(runs)
    assert 1 <= len(first) < 4
    n_first = len(executed(counter))
    again = subprocess.run([sys.executable, "-m", "biomech.cli", "run", str(path), "-o", str(out),
                            "--no-progress"], env=subprocess_env(BIOMECH_FAKE_COUNTER=str(counter)),
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"tiny: 4 of 4 runs done ({len(first)} from earlier sessions)" in again.stdout
    second = executed(counter)[n_first:]
    assert sorted(second) == sorted(set(_finished(runs)) - set(first))  # nothing recomputed
    assert {k: v for k, v in _finished(runs).items() if k in first} == first  # nothing lost
    assert not (out / "tiny" / ".tmp").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly(tmp_path, jobs):
    path, out, counter = _write(tmp_path), tmp_path / "out", tmp_path / "counter.txt"
    proc = _start(path, out, counter, "--jobs", jobs)
    runs = out / "tiny" / "runs"
    _wait_for_first_run(proc, runs)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted:" in stderr and "run the same command again to resume" in stderr
    finished = _finished(runs)  # every run folder is complete
    assert 1 <= len(finished) < 4
    assert not (out / "tiny" / ".tmp").exists()
    rows = (out / "tiny" / "runs.csv").read_text().splitlines()[1:]
    assert sorted(r.split(",")[0] for r in rows if ",done," in r) == sorted(finished)
    assert "Traceback" not in stderr
