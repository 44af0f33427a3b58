"""A cheap stand-in for the real run function, importable by subprocesses and Dask workers
(tests put this folder on PYTHONPATH).

Environment: ``BIOMECH_FAKE_COUNTER`` (a file: one line per executed run), ``BIOMECH_FAKE_SLEEP_S``
(seconds per run), ``BIOMECH_FAKE_FAIL_FILE`` (while that file exists, runs with a trunk lean
above 30 deg fail).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from biomech.errors import BiomechError

FAKE = "experiments_fakes:fake_run"


def run_id(config: dict) -> str:
    """:func:`biomech.experiments.sweep.run_id` (restated: workers then import nothing heavy)."""
    import hashlib

    text = json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def fake_run(config: dict, run_dir: Path) -> dict:
    """Outcomes as simple functions of the gait inputs; writes ``fake.json``."""
    inputs = config["gait"]["inputs"]
    counter = os.environ.get("BIOMECH_FAKE_COUNTER")
    if counter:
        with open(counter, "a", encoding="utf-8") as handle:
            handle.write(f"{run_id(config)} {os.getpid()}\n")
    time.sleep(float(os.environ.get("BIOMECH_FAKE_SLEEP_S", "0")))
    fail_file = os.environ.get("BIOMECH_FAKE_FAIL_FILE")
    if fail_file and Path(fail_file).exists() and inputs["trunk_lean_deg"] > 30.0:
        raise BiomechError(f"fake failure at trunk_lean_deg {inputs['trunk_lean_deg']:g}")
    (Path(run_dir) / "fake.json").write_text(json.dumps(inputs), encoding="utf-8")
    stride = 2.0 / inputs["step_rate_hz"]
    return {
        "direction": inputs["direction"],
        "speed_m_s": inputs["speed_m_s"],
        "step_rate_hz": inputs["step_rate_hz"],
        "contact_time_s": inputs["duty_factor"] * stride,
        "peak_vertical_grf_bw": 1.5 + 0.3 * inputs["speed_m_s"],
        "metabolic_cost_j_kg_m": float("nan"),
    }


HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for subprocesses: this folder importable (the fake run function)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def executed(counter: Path) -> list[str]:
    """Run ids the fake run function executed, in order."""
    if not counter.exists():
        return []
    return [line.split()[0] for line in counter.read_text().splitlines() if line.strip()]


def table_without_timing(path: Path) -> list[dict[str, str]]:
    """Rows of a runs.csv without ``elapsed_s`` (the only column that differs between sessions)."""
    import csv

    with open(path, newline="") as handle:
        return [{k: v for k, v in row.items() if k != "elapsed_s"} for row in csv.DictReader(handle)]
