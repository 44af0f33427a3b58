"""Fixtures of the experiment-engine tests: a cheap run function and its environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the fake run function, also for spawned workers
    sys.path.insert(0, str(HERE))


@pytest.fixture
def counter(tmp_path, monkeypatch) -> Path:
    """A file the fake run function appends one line to per executed run."""
    path = tmp_path / "counter.txt"
    monkeypatch.setenv("BIOMECH_FAKE_COUNTER", str(path))
    return path
