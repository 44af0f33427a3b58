"""One run: build (or reuse) the model, get the motion, analyse it, write its files.

:func:`run_one` is the default run function of the experiment engine. It receives only plain data
(the resolved run config) and builds its own OpenSim model, cached per process by model spec,
mass and height, so workers never receive OpenSim objects.

Files written into the run directory::

    result.nc, result_summary.csv   biomech.pipeline.save_result of the analysis Dataset, plus
                                    tendon_power_w and mtu_power_w (time, muscle; W)
    result_*.sto                    the same as OpenSim tables (biomech.io.result_tables)
    curves.nc                       cycle-normalised curves (biomech.experiments.curves)
    motion/motion_*                 Motion.to_files(run_dir / "motion", "motion")
    synthesis_report.json           quality of a synthesised motion
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from biomech.errors import BiomechError
from biomech.experiments.sweep import resolve_path, run_id
from biomech.gait.motion import Motion

__all__ = ["ModelContext", "model_context", "muscle_powers", "run_one"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ModelContext:
    """A model spec, its scaled skeleton and kinematics, and the OpenSim model (contact off)."""

    spec: Any
    skeleton: Any
    kinematics: Any
    model: Any


@lru_cache(maxsize=4)
def model_context(spec_path: str, spec_sha256: str, mass_kg: float, height_m: float) -> ModelContext:
    """Build the model once per process for a spec file (checked against its SHA-256), a mass
    (kg) and a height (m)."""
    import hashlib

    from biomech.models import build, skeleton
    from biomech.models.kinematics import PlanarKinematics
    from biomech.models.spec import load_spec

    path = resolve_path(spec_path)
    if not path.is_file():
        raise BiomechError(f"model.spec: {path} does not exist on this machine")
    if hashlib.sha256(path.read_bytes()).hexdigest() != spec_sha256:
        raise BiomechError(f"model.spec: {path} changed since the experiment was expanded "
                           "(SHA-256 differs); rerun to pick up the new spec")
    spec = load_spec(path)
    sk = skeleton(spec, mass_kg=mass_kg, height_m=height_m)
    kin = PlanarKinematics.from_skeleton(sk)
    t0 = time.perf_counter()
    model = build(spec, mass_kg=mass_kg, height_m=height_m, contact=False)
    log.info("built model %s (%.0f kg, %.2f m) in %.1f s", spec.name, mass_kg, height_m,
             time.perf_counter() - t0)
    return ModelContext(spec, sk, kin, model)


def muscle_powers(ds: xr.Dataset, model: Any, motion: Motion) -> xr.Dataset:
    """Add ``tendon_power_w`` and ``mtu_power_w`` (time, muscle; W, OpenSim's sign: positive
    while doing positive work on the skeleton) to the analysis Dataset.

    MTU power ``= F * (-v_MTU)`` with the static-optimization force (clipped at 0) and the
    muscle-tendon lengthening speed of the model along the motion. Tendon power ``= -dU/dt`` of
    the stored tendon energy, with the hysteresis loss taken out while the tendon recoils, so
    its positive work equals ``tendon_energy_returned_j``.
    """
    from biomech.osim.muscle_export import export_muscle_capacity

    capacity = export_muscle_capacity(model, list(motion.coordinate_names), motion.q, motion.qd,
                                      time_s=motion.time_s)
    names = list(capacity.muscle_names)
    order = [names.index(str(m)) for m in ds.muscle.values]
    speed = capacity.diagnostics["mtu_speed_m_s"][:, order]
    force = np.clip(np.nan_to_num(ds.muscle_force_n.values), 0.0, None)
    mtu = -force * speed
    t = ds.time.values
    du_dt = np.gradient(ds.tendon_energy_j.values, t, axis=0)
    h = float(ds.attrs.get("tendon_hysteresis", 0.0))
    tendon = np.where(du_dt < 0.0, -(1.0 - h) * du_dt, -du_dt)
    out = ds.copy()
    out["mtu_power_w"] = (("time", "muscle"), mtu,
                          {"units": "W", "description": "muscle-tendon unit power -F v_MTU"})
    out["tendon_power_w"] = (("time", "muscle"), tendon,
                             {"units": "W", "description": "tendon power -dU/dt, recoil net of hysteresis"})
    return out


def _motion(config: dict[str, Any], ctx: ModelContext, run_dir: Path) -> tuple[Motion, dict[str, Any]]:
    """The run's motion and, for a synthesised one, its synthesis checks as Dataset attrs."""
    gait = config["gait"]
    if gait["source"] == "files":
        coords = resolve_path(gait["coordinates"])
        stem = coords.name[: -len("_coordinates.mot")]
        xml, grf = coords.with_name(f"{stem}_external_loads.xml"), coords.with_name(f"{stem}_grf.mot")
        if xml.exists():
            return Motion.from_files(coords, external_loads_xml=xml), {}
        return Motion.from_files(coords, grf_path=grf if grf.exists() else None), {}
    from biomech.gait.synthesis import RunningInputs, synthesise_running

    inputs = RunningInputs(**gait["inputs"])
    t0 = time.perf_counter()
    motion, report = synthesise_running(ctx.skeleton, inputs, kinematics=ctx.kinematics)
    log.info("synthesised %s in %.1f s", motion.name, time.perf_counter() - t0)
    if gait.get("time_reversed"):   # gait.backward: time_reversed (the forward synthesis reversed)
        from biomech.gait.motion import reverse

        motion = dataclasses.replace(reverse(motion), name=f"{motion.name}_time_reversed")
    (run_dir / "synthesis_report.json").write_text(
        json.dumps(dataclasses.asdict(report), indent=2, default=float) + "\n", encoding="utf-8")
    checks = {"synthesis_swing_foot_below_ground_m": max(0.0, -report.min_swing_clearance_m),
              "synthesis_swing_clearance_correction_deg": report.max_clearance_correction_deg,
              "synthesis_max_foot_slip_m": report.max_foot_slip_m,
              "synthesis_notes": "; ".join(report.notes)}
    return motion, checks


def run_one(config: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """Synthesise (or read) the motion of ``config``, analyse it and write the run's files.

    Parameters
    ----------
    config : dict
        A resolved run config (:func:`biomech.experiments.sweep.expand`).
    run_dir : Path
        The (temporary) run directory to write into.

    Returns
    -------
    dict
        The run's outcomes (:func:`biomech.experiments.outcomes.compute_outcomes`).
    """
    from biomech.experiments.curves import cycle_curves, write_curves
    from biomech.experiments.outcomes import compute_outcomes
    from biomech.pipeline import analyse_motion, save_result

    run_dir = Path(run_dir)
    subject, analyses = config["subject"], config["analyses"]
    ctx = model_context(config["model"]["spec"], config["model"]["spec_sha256"],
                        float(subject["mass_kg"]), float(subject["height_m"]))
    motion, checks = _motion(config, ctx, run_dir)
    motion.to_files(run_dir / "motion", "motion")
    t0 = time.perf_counter()
    ds = analyse_motion(ctx.model, motion, spec=ctx.spec, skeleton=ctx.skeleton,
                        kinematics=ctx.kinematics,
                        exponent=float(analyses["static_optimization_exponent"]),
                        reserve_optimal_force_nm=float(analyses["reserve_optimal_force_nm"]),
                        hysteresis=float(analyses["tendon_hysteresis"]),
                        tendon=str(analyses.get("tendon", "rigid")))
    ds = muscle_powers(ds, ctx.model, motion)
    rid = run_id(config)
    ds.attrs["run_id"] = rid
    ds.attrs.update(checks)
    log.info("analysed %s in %.1f s", motion.name, time.perf_counter() - t0)
    save_result(ds, run_dir)
    curves = cycle_curves(ds, motion, run_id=rid)
    inputs = config["gait"].get("inputs")
    if inputs:  # the nominal condition, as in runs.csv
        curves.attrs["speed_m_s"] = float(inputs["speed_m_s"])
        curves.attrs["step_rate_hz"] = float(inputs["step_rate_hz"])
    write_curves(curves, run_dir / "curves.nc")
    return compute_outcomes(ds, motion)
