"""Fixtures for the figure tests: synthetic results folders (see synthetic_results.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from synthetic_results import write_results


@pytest.fixture
def results_factory(tmp_path) -> Callable[..., Path]:
    """``results_factory(runs, **kw)`` writes a results folder under tmp_path (see write_results)."""
    return lambda runs, **kw: write_results(tmp_path / kw.pop("folder", "results"), runs, **kw)
