"""One motion through every analysis: inverse dynamics, static optimization, joint reaction
loads, patellofemoral (PF) force and stress by both methods, tendon energy and joint power ->
one ``xarray.Dataset``.

Only the planar models built by :func:`biomech.models.build` are supported here for now (the
muscle method of the PF joint reads the quadriceps path over the model's patella). Every stage is
a function over plain arrays; OpenSim is used through :mod:`biomech.osim` only.

Units: SI in the Dataset (N, N m, m, s, J, Pa); variable names carry them.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

import numpy as np
import xarray as xr

import biomech
from biomech.energetics.tendon import DEFAULT_HYSTERESIS, tendon_energy_timeseries
from biomech.energetics.work import joint_power_w
from biomech.gait.motion import Motion
from biomech.knee.patellofemoral import PatellaPath, lever_arm_method, muscle_method
from biomech.models.kinematics import PlanarKinematics
from biomech.models.muscles import muscle_definitions
from biomech.models.skeleton import Skeleton
from biomech.models.spec import ModelSpec
from biomech.muscles.static_optimization import solve_static_optimization

log = logging.getLogger(__name__)

QUADRICEPS = ("rect_fem", "vasti")
#: Knee flexion range (deg) over which the published PF curves are used; frames outside are
#: clipped into it and flagged (``pf_angle_clipped``).
PF_RANGE_DEG = (0.0, 150.0)


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=Path(__file__).resolve().parent, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _quadriceps_paths(spec: ModelSpec, sk: Skeleton, kin: PlanarKinematics, q: np.ndarray,
                      side: str) -> tuple[list[str], PatellaPath]:
    """Ground positions (m) of each quadriceps' points around the patella, (n, m, 2) each."""
    names, before, first, last, after = [], [], [], [], []
    for m in muscle_definitions(spec, sk):
        if m.side != side or m.name[:-2] not in QUADRICEPS:
            continue
        on_patella = [i for i, p in enumerate(m.path) if p.body.startswith("patella")]
        i0, i1 = on_patella[0], on_patella[-1]
        pts = [m.path[i0 - 1], m.path[i0], m.path[i1], m.path[i1 + 1]]
        xy = [kin.point(q, p.body, p.location_m[:2]) for p in pts]
        names.append(m.name)
        for store, value in zip((before, first, last, after), xy, strict=True):
            store.append(value)
    stack = [np.stack(v, axis=1) for v in (before, first, last, after)]
    return names, PatellaPath(*stack)


def analyse_motion(model, motion: Motion, *, spec: ModelSpec, skeleton: Skeleton,
                   kinematics: PlanarKinematics | None = None, exponent: float = 2.0,
                   reserve_optimal_force_nm: float = 10.0, hysteresis: float = DEFAULT_HYSTERESIS,
                   sides: tuple[str, ...] = ("r", "l")) -> xr.Dataset:
    """Analyse ``motion`` on ``model`` (built from ``spec`` and ``skeleton``; contact off).

    Returns a Dataset with dims ``time``, ``coordinate``, ``muscle``, ``side``: joint moments
    (inverse dynamics with the motion's GRF), activations and muscle forces (static optimization
    with reserves, shares reported), PF force and stress by the lever-arm and the muscle method,
    tendon energy, joint power. Quality: pelvis residuals, reserve share, solver status.
    """
    from biomech.osim import opensim_version
    from biomech.osim.inverse import ExternalLoad, inverse_dynamics
    from biomech.osim.muscle_export import export_muscle_capacity

    kin = kinematics or PlanarKinematics.from_skeleton(skeleton)
    names = list(motion.coordinate_names)
    if set(names) != set(skeleton.independent_coordinates):
        missing = sorted(set(skeleton.independent_coordinates) - set(names))
        extra = sorted(set(names) - set(skeleton.independent_coordinates))
        raise ValueError(f"motion {motion.name!r} does not match the model's coordinates: "
                         f"missing {missing}, unknown {extra}")
    for what, arr in (("q", motion.q), ("qd", motion.qd), ("qdd", motion.qdd)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"motion {motion.name!r}: {what} has NaN or inf values")
    t = motion.time_s
    order = [names.index(c) for c in kin.coordinates]
    q_kin = motion.q[:, order]
    loads = [ExternalLoad(body=f.body, force_n=f.force_n, point_m=f.cop_m, torque_nm=f.free_moment_nm)
             for f in motion.loads.values()]
    tau = inverse_dynamics(model, names, motion.q, motion.qd, motion.qdd, external_loads=loads)
    capacity = export_muscle_capacity(model, names, motion.q, motion.qd, time_s=t)
    sol = solve_static_optimization(capacity, tau, exponent=exponent,
                                    reserve_optimal_force_nm=reserve_optimal_force_nm)
    muscles = list(sol.muscle_names)
    weight = skeleton.total_mass_kg * -skeleton.gravity_m_s2

    ds = xr.Dataset(coords={"time": ("time", t, {"units": "s"}),
                            "coordinate": names, "muscle": muscles, "side": list(sides)})
    ds["q"] = (("time", "coordinate"), motion.q, {"units": "rad or m"})
    ds["qd"] = (("time", "coordinate"), motion.qd, {"units": "rad/s or m/s"})
    ds["joint_moment_nm"] = (("time", "coordinate"), tau,
                             {"units": "N m (N for translations)",
                              "description": "inverse dynamics; pelvis entries are residuals"})
    power = joint_power_w(joint_moment_nm=tau, joint_angular_velocity_rad_s=motion.qd)
    ds["joint_power_w"] = (("time", "coordinate"), power, {"units": "W (N m/s for translations)"})
    grf = np.stack([motion.loads[s].force_n for s in sides], axis=1)
    ds["grf_n"] = (("time", "side", "axis"), grf, {"units": "N"})
    ds = ds.assign_coords(axis=["x", "y", "z"])
    ds["activation"] = (("time", "muscle"), sol.activation, {"units": "1"})
    ds["muscle_force_n"] = (("time", "muscle"), sol.muscle_force_n, {"units": "N"})
    solved = list(sol.coordinate_names)
    idx = [names.index(c) for c in solved]
    reserve = np.zeros_like(tau)
    reserve[:, idx] = sol.reserve_moment_nm
    ds["reserve_moment_nm"] = (("time", "coordinate"), reserve, {"units": "N m"})
    ds["so_status"] = (("time",), sol.status,
                       {"description": "0 optimal, 1 not converged, 2 infeasible"})

    # --- joint reaction loads (parent on child, child frame) from the muscle solution --------
    from biomech.osim.joint_reaction import joint_reactions

    reserve_full = np.zeros_like(tau)
    reserve_full[:, idx] = sol.reserve_moment_nm
    reactions = joint_reactions(model, names, motion.q, motion.qd, motion.qdd,
                                muscle_forces_n=np.nan_to_num(sol.muscle_force_n),
                                muscle_names=muscles, reserve_moments_nm=reserve_full,
                                external_loads=loads)
    jr = reactions.to_dataset(time_s=t, body_weight_n=weight)
    ds = ds.assign_coords(joint=jr.joint.values)
    for name in ("reaction_force_n", "reaction_moment_nm", "compressive_force_n", "shear_force_n"):
        ds[f"joint_{name}"] = (jr[name].dims, jr[name].values, jr[name].attrs)

    # --- patellofemoral joint, both methods, per side --------------------------------------
    pf = {k: np.full((t.size, len(sides)), np.nan) for k in
          ("pf_force_lever_n", "pf_force_muscle_n", "pf_stress_lever_pa", "pf_stress_muscle_pa",
           "quadriceps_force_lever_n", "quadriceps_force_muscle_n", "pf_contact_area_m2")}
    clipped = np.zeros((t.size, len(sides)), dtype=bool)
    for k, side in enumerate(sides):
        knee = motion.q[:, names.index(f"knee_angle_{side}")]
        lo, hi = np.radians(PF_RANGE_DEG)
        theta = np.clip(knee, lo, hi)
        clipped[:, k] = theta != knee
        m_ext = -tau[:, names.index(f"knee_angle_{side}")]   # knee flexion is positive
        lever = lever_arm_method(theta, m_ext)
        quad_names, path = _quadriceps_paths(spec, skeleton, kin, q_kin, side)
        forces = np.column_stack([sol.muscle_force_n[:, muscles.index(n)] for n in quad_names])
        musc = muscle_method(theta, np.clip(forces, 0.0, None), path_points=path)
        pf["pf_force_lever_n"][:, k] = lever.pf_force_n
        pf["pf_stress_lever_pa"][:, k] = lever.stress_pa
        pf["quadriceps_force_lever_n"][:, k] = lever.quadriceps_force_n
        pf["pf_force_muscle_n"][:, k] = musc.pf_force_n
        pf["pf_stress_muscle_pa"][:, k] = musc.stress_pa
        pf["quadriceps_force_muscle_n"][:, k] = musc.quadriceps_force_n
        pf["pf_contact_area_m2"][:, k] = lever.contact_area_m2
    units = {"_n": "N", "_pa": "Pa", "_m2": "m^2"}
    for key, value in pf.items():
        unit = next(u for suffix, u in units.items() if key.endswith(suffix))
        ds[key] = (("time", "side"), value, {"units": unit})
    ds["pf_angle_clipped"] = (("time", "side"), clipped,
                              {"description": f"knee angle outside {PF_RANGE_DEG} deg, clipped"})

    # --- tendon energy (rigid-tendon forces on the model's tendon curves) ------------------
    ms = model.getMuscles()
    f0 = np.array([ms.get(n).getMaxIsometricForce() for n in muscles])
    ls = np.array([ms.get(n).getTendonSlackLength() for n in muscles])
    eps0 = float(spec.muscle_defaults.tendon_strain_at_one_norm_force)
    energy = tendon_energy_timeseries(t, np.clip(sol.muscle_force_n, 0.0, None),
                                      max_isometric_force_n=f0, tendon_slack_length_m=ls,
                                      strain_at_one_norm_force=eps0, hysteresis=hysteresis)
    ds["tendon_energy_j"] = (("time", "muscle"), energy.energy_j, {"units": "J"})
    ds["tendon_energy_stored_j"] = (("muscle",), np.asarray(energy.stored_j), {"units": "J"})
    ds["tendon_energy_returned_j"] = (("muscle",), np.asarray(energy.returned_j), {"units": "J"})

    # --- quality and provenance ------------------------------------------------------------
    res = [names.index(c) for c in ("pelvis_tx", "pelvis_ty")]
    ds.attrs.update({
        "biomech_version": biomech.__version__, "opensim_version": opensim_version(),
        "numpy_version": np.__version__, "git_commit": _git_commit(),
        "motion": motion.name, "direction": motion.direction,
        "body_weight_n": weight, "mass_kg": skeleton.total_mass_kg,
        "static_optimization_exponent": exponent,
        "reserve_optimal_force_nm": reserve_optimal_force_nm, "tendon_hysteresis": hysteresis,
        "max_pelvis_residual_force_bw": float(np.max(np.abs(tau[:, res])) / weight),
        "max_pelvis_residual_moment_nm": float(np.max(np.abs(tau[:, names.index("pelvis_tilt")]))),
        "so_failed_frames": int(np.sum(sol.status != 0)),
        "max_reserve_share": float(np.nanmax(np.abs(sol.reserve_share))) if sol.reserve_share.size else 0.0,
    })
    return ds


def summary_table(ds: xr.Dataset) -> dict[str, float]:
    """Scalar outcomes (one row): peaks over the record, in N, BW, MPa, J."""
    bw = float(ds.attrs["body_weight_n"])
    out: dict[str, float] = {}
    for side in ds.side.values:
        knee = f"knee_angle_{side}"
        out[f"peak_knee_extension_moment_nm_{side}"] = float((-ds.joint_moment_nm.sel(coordinate=knee)).max())
        for method in ("lever", "muscle"):
            f = ds[f"pf_force_{method}_n"].sel(side=side)
            s = ds[f"pf_stress_{method}_pa"].sel(side=side)
            out[f"peak_pf_force_{method}_bw_{side}"] = float(f.max()) / bw
            out[f"peak_pf_stress_{method}_mpa_{side}"] = float(s.max()) / 1e6
        out[f"peak_knee_compressive_force_bw_{side}"] = float(
            ds.joint_compressive_force_n.sel(joint=f"knee_{side}").max()) / bw
    out["tendon_energy_returned_j"] = float(ds.tendon_energy_returned_j.sum())
    out["max_pelvis_residual_force_bw"] = float(ds.attrs["max_pelvis_residual_force_bw"])
    out["max_reserve_share"] = float(ds.attrs["max_reserve_share"])
    return out


def save_result(ds: xr.Dataset, folder: str | Path, stem: str = "result") -> dict[str, Path]:
    """Write the Dataset (netCDF) and its summary table (CSV) atomically."""
    from biomech.io.storage import atomic_write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nc = folder / f"{stem}.nc"
    tmp = folder / f".{stem}.nc.tmp{os.getpid()}"
    clean = ds.copy()
    for name in clean.data_vars:
        if clean[name].dtype == bool:
            clean[name] = clean[name].astype("int8")
    clean.to_netcdf(tmp)
    os.replace(tmp, nc)
    table = summary_table(ds)
    csv = atomic_write_text(folder / f"{stem}_summary.csv",
                            "quantity,value\n" + "".join(f"{k},{v:.10g}\n" for k, v in table.items()))
    return {"netcdf": nc, "summary": Path(csv)}
