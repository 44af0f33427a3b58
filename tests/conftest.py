"""Shared fixtures: the default model (built once per session) and the reference data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``../shared/reference`` (public models and data); skip when absent."""
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference is not available")
    return REFERENCE


@pytest.fixture(scope="session")
def default_model():
    """The default running2d model, 75 kg, 1.78 m (built once)."""
    from biomech.models import build

    return build()
