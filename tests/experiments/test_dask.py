"""The Dask executor against a real ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1: a small sweep gives the same results as the local executor."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from experiments_fakes import FAKE, executed, subprocess_env, table_without_timing

from biomech.cli import main
from biomech.errors import BiomechError
from biomech.experiments import parse_experiment, run_experiment
from biomech.experiments.executors import make_executor
from biomech.experiments.schema import ExecutorSettings

pytest.importorskip("distributed")
DASK = Path(sys.executable).with_name("dask")

DOC = {
    "name": "tiny",
    "run_function": FAKE,
    "conditions": {"direction": ["forward", "backward"]},
    "sweep": {"speed_m_s": [2.5, 3.0, 3.5]},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``tcp://127.0.0.1:PORT`` of a scheduler with two single-thread workers, and the file the
    workers' fake runs count into."""
    if not DASK.exists():
        pytest.skip("the dask command is not installed")
    tmp = tmp_path_factory.mktemp("dask")
    counter = tmp / "counter.txt"
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = subprocess_env(BIOMECH_FAKE_COUNTER=str(counter), BIOMECH_FAKE_SLEEP_S="0.2")
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, cwd=tmp,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen(
                [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard", "--no-nanny",
                 "--host", "127.0.0.1"], env=env, cwd=tmp,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address, counter
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_dask_results_equal_the_local_ones(cluster, tmp_path, monkeypatch):
    address, counter = cluster
    exp = parse_experiment(DOC, "tiny.yaml")
    dask = run_experiment(exp, output=tmp_path / "dask", progress=False,
                          executor=ExecutorSettings(kind="dask", scheduler=address))
    assert dask.count("done") == 6
    assert dask.executor == f"Dask scheduler {address}"
    ran_on = {line.split()[1] for line in counter.read_text().splitlines()}
    assert str(os.getpid()) not in ran_on  # executed by the workers
    assert sorted(executed(counter)) == sorted(r.run_id for r in dask.runs)
    monkeypatch.delenv("BIOMECH_FAKE_COUNTER", raising=False)
    local = run_experiment(exp, output=tmp_path / "local", progress=False)
    assert table_without_timing(dask.path / "runs.csv") == table_without_timing(local.path / "runs.csv")
    for run in dask.runs:
        for name in ("config.json", "fake.json"):
            assert (dask.path / "runs" / run.run_id / name).read_text() == \
                (local.path / "runs" / run.run_id / name).read_text()


def test_cli_scheduler_flag(cluster, tmp_path, capsys):
    address, counter = cluster
    path = tmp_path / "tiny.yaml"
    import yaml

    path.write_text(yaml.safe_dump({**DOC, "sweep": {"speed_m_s": [2.0]}}))
    before = len(executed(counter))
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--scheduler", address,
                 "--no-progress"]) == 0
    assert "tiny: 2 of 2 runs done" in capsys.readouterr().out
    assert len(executed(counter)) == before + 2


def test_missing_dask_jobqueue_is_a_clear_error():
    try:
        import dask_jobqueue  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("dask_jobqueue is installed")
    settings = ExecutorSettings(kind="dask", jobqueue={"cluster": "SLURMCluster", "kwargs": {"cores": 1}})
    with pytest.raises(BiomechError, match=r"^executor.jobqueue: SLURMCluster needs dask_jobqueue, which is "
                                           r"not installed \(pip install dask-jobqueue\)$"):
        make_executor(settings)


def test_unreachable_scheduler_is_a_one_line_error():
    from biomech.experiments.executors import DaskExecutor

    start = time.monotonic()
    with pytest.raises(BiomechError, match=r"^executor: cannot start or reach Dask \(tcp://127.0.0.1:"):
        DaskExecutor(scheduler=f"tcp://127.0.0.1:{_free_port()}", connect_timeout_s=1.0)
    assert time.monotonic() - start < 30
