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


@pytest.fixture(scope="session")
def fr_stride_analysis():
    """The synthesised forward-running stride (published defaults) on the default model and its
    pipeline Dataset: ``(spec, skeleton, kinematics, model, motion, dataset)``, built once."""
    from biomech.gait.params import running_inputs
    from biomech.gait.synthesis import synthesise_running
    from biomech.models import build, resolve_spec, skeleton
    from biomech.models.kinematics import PlanarKinematics
    from biomech.pipeline import analyse_motion

    spec = resolve_spec(None)
    sk = skeleton(spec)
    kin = PlanarKinematics.from_skeleton(sk)
    motion, _ = synthesise_running(sk, running_inputs("forward"), kinematics=kin)
    model = build(spec, contact=False)
    ds = analyse_motion(model, motion, spec=spec, skeleton=sk, kinematics=kin)
    return spec, sk, kin, model, motion, ds
