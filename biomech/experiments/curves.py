"""Cycle-normalised curves of one run (``curves.nc``).

Dims ``(cycle, cycle_pct)``, ``cycle_pct`` = 0, 1, ..., 100 % (101 points). One cycle per foot
and stride: right cycles start at ``foot_strike_r``, left ones at ``foot_strike_l``, and run to
the next strike of the same foot. When a foot has no complete cycle in the record and the record
is periodic (a synthesised stride), the cycle wraps around the end of the record. Coordinates on
``cycle``: ``side`` (``r``/``l``), ``cycle_start_s``, ``cycle_end_s`` (s) and ``foot_off_pct``
(toe off, % of the cycle). Variables (float64):

=============================== =========== =================================================
``knee_flexion_deg``            deg         knee flexion (+)
``hip_flexion_deg``             deg         hip flexion (+)
``ankle_angle_deg``             deg         ankle dorsiflexion (+)
``knee_extension_moment_nm_kg`` N m/kg      ``knee_extension_moment_nm`` / mass
``pf_force_lever_bw``           BW          PF force, lever-arm method
``pf_force_muscle_bw``          BW          PF force, muscle method
``pf_stress_lever_mpa``         MPa         PF stress, lever-arm method
``pf_stress_muscle_mpa``        MPa         PF stress, muscle method
``knee_contact_force_bw``       BW          compressive force of the knee joint
``vertical_grf_bw``             BW          vertical ground reaction force of the foot
``tendon_energy_j``             J           elastic energy stored in that side's tendons
``reserve_max_pct``             %           largest reserve of that leg's coordinates, in % of
                                            each one's peak joint moment (only when the
                                            analysis has ``reserve_fraction_of_peak_moment``)
=============================== =========== =================================================

When the analysis has them (results saved before they existed do not), also: the net internal
hip and ankle moments / mass, ``hip_extension_moment_nm_kg`` and
``ankle_plantarflexion_moment_nm_kg`` (N m/kg, extension and plantarflexion +, as the knee's);
the joint powers / mass ``hip_power_w_kg``, ``knee_power_w_kg``, ``ankle_power_w_kg`` (W/kg,
moment x angular velocity: + generation, - absorption); ``hip_contact_force_bw`` and
``ankle_contact_force_bw`` (BW, compressive); ``fore_aft_grf_bw`` (BW, the foot's horizontal GRF,
+ in the direction of travel (propulsion), - braking).

attrs: ``run_id``, ``direction``, ``speed_m_s`` (m/s), ``step_rate_hz`` (Hz), ``stance_pct``
(mean toe off, % of the cycle).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import xarray as xr

from biomech.experiments.outcomes import (
    gait_timing,
    is_periodic,
    joint_coordinate,
    joint_name,
    side_coordinates,
    sides,
    travel_speed_m_s,
)
from biomech.gait.cycles import cut_cycles, cycle_pct, time_normalise
from biomech.gait.motion import Motion

__all__ = ["CURVES", "OPTIONAL_CURVES", "cycle_curves", "write_curves"]

#: Variable name -> units.
CURVES = {
    "knee_flexion_deg": "deg", "hip_flexion_deg": "deg", "ankle_angle_deg": "deg",
    "knee_extension_moment_nm_kg": "N m/kg",
    "pf_force_lever_bw": "BW", "pf_force_muscle_bw": "BW",
    "pf_stress_lever_mpa": "MPa", "pf_stress_muscle_mpa": "MPa",
    "knee_contact_force_bw": "BW", "vertical_grf_bw": "BW", "tendon_energy_j": "J",
}
#: Curves written when the analysis Dataset has what they need (older results do not).
OPTIONAL_CURVES = {
    "reserve_max_pct": "%",
    "hip_extension_moment_nm_kg": "N m/kg", "ankle_plantarflexion_moment_nm_kg": "N m/kg",
    "hip_power_w_kg": "W/kg", "knee_power_w_kg": "W/kg", "ankle_power_w_kg": "W/kg",
    "hip_contact_force_bw": "BW", "ankle_contact_force_bw": "BW", "fore_aft_grf_bw": "BW",
}


def _side_series(ds: xr.Dataset, side: str, travel_sign: float = 1.0) -> dict[str, np.ndarray]:
    """Each curve variable of ``side`` over time (n,), in its output unit; ``travel_sign`` is
    +1 when the body travels towards +x (forward gait), -1 towards -x (backward gait)."""
    bw = float(ds.attrs["body_weight_n"])
    mass = float(ds.attrs["mass_kg"])

    def angle_deg(variable: str, coordinate: str) -> np.ndarray:
        """The joint angle with the model's sign convention taken out (``<motion>_rad``), or the
        coordinate itself in results saved before those variables existed."""
        if variable in ds:
            return np.degrees(ds[variable].sel(side=side).values)
        return np.degrees(ds.q.sel(coordinate=f"{coordinate}_{side}").values)

    if "knee_extension_moment_nm" in ds:
        knee_moment = ds.knee_extension_moment_nm.sel(side=side).values
    else:
        knee_moment = -ds.joint_moment_nm.sel(coordinate=f"knee_angle_{side}").values

    muscles = [str(m) for m in ds.muscle.values if str(m).endswith(f"_{side}")]
    optional = {}
    if "reserve_fraction_of_peak_moment" in ds:
        fraction = ds.reserve_fraction_of_peak_moment.sel(coordinate=side_coordinates(ds, side)).values
        acting = np.isfinite(fraction).any(axis=0)
        if acting.any():
            optional["reserve_max_pct"] = 100.0 * fraction[:, acting].max(axis=1)
    for moment in ("hip_extension_moment_nm", "ankle_plantarflexion_moment_nm"):
        if moment in ds:
            optional[f"{moment}_kg"] = ds[moment].sel(side=side).values / mass
    if "joint_power_w" in ds:
        for role in ("hip", "knee", "ankle"):
            optional[f"{role}_power_w_kg"] = (
                ds.joint_power_w.sel(coordinate=joint_coordinate(ds, role, side)).values / mass)
    for role in ("hip", "ankle"):
        joint = joint_name(ds, role, side)
        if joint in ds.joint.values:
            optional[f"{role}_contact_force_bw"] = ds.joint_compressive_force_n.sel(joint=joint).values / bw
    optional["fore_aft_grf_bw"] = travel_sign * ds.grf_n.sel(side=side, axis="x").values / bw
    return optional | {
        "knee_flexion_deg": angle_deg("knee_flexion_rad", "knee_angle"),
        "hip_flexion_deg": angle_deg("hip_flexion_rad", "hip_flexion"),
        "ankle_angle_deg": angle_deg("ankle_dorsiflexion_rad", "ankle_angle"),
        "knee_extension_moment_nm_kg": knee_moment / mass,
        "pf_force_lever_bw": ds.pf_force_lever_n.sel(side=side).values / bw,
        "pf_force_muscle_bw": ds.pf_force_muscle_n.sel(side=side).values / bw,
        "pf_stress_lever_mpa": ds.pf_stress_lever_pa.sel(side=side).values / 1e6,
        "pf_stress_muscle_mpa": ds.pf_stress_muscle_pa.sel(side=side).values / 1e6,
        "knee_contact_force_bw":
            ds.joint_compressive_force_n.sel(joint=joint_name(ds, "knee", side)).values / bw,
        "vertical_grf_bw": ds.grf_n.sel(side=side, axis="y").values / bw,
        "tendon_energy_j": ds.tendon_energy_j.sel(muscle=muscles).sum("muscle").values,
    }


def cycle_curves(ds: xr.Dataset, motion: Motion, *, run_id: str = "", n_points: int = 101) -> xr.Dataset:
    """Cut, time-normalise and stack the curves of both feet (see the module docstring).

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`biomech.pipeline.analyse_motion` on ``motion``.
    motion : Motion
        The analysed motion (gait events, periodicity).
    run_id : str
        Stored in ``attrs``.
    n_points : int
        Points per cycle (101: 0, 1, ..., 100 %).
    """
    t = ds.time.values
    duration = float(t[-1] - t[0])
    periodic = is_periodic(motion)
    side_names = sides(ds)
    timing = gait_timing(motion, side_names)
    # a periodic record extended by one period, for cycles that wrap around its end
    t_ext = np.concatenate([t, t[1:] + duration]) if periodic else t

    stacks: dict[str, list[np.ndarray]] = {name: [] for name in CURVES}
    n_cycles = 0
    cycle_side, starts, ends, foot_off = [], [], [], []
    for side in side_names:
        strikes = np.asarray(motion.events.get(f"foot_strike_{side}", []), dtype=float)
        cycles = cut_cycles(t, strikes)
        if not cycles and periodic and strikes.size and math.isfinite(timing.stride_time_s):
            cycles = [(float(strikes[0]), float(strikes[0]) + timing.stride_time_s)]
        if not cycles:
            continue
        series = _side_series(ds, side, -1.0 if str(motion.direction) == "backward" else 1.0)
        offs = np.asarray(motion.events.get(f"toe_off_{side}", []), dtype=float)
        if periodic:
            offs = np.concatenate([offs, offs + duration])
        for start, end in cycles:
            wrap = end > t[-1] + 1e-9
            for name, values in series.items():
                v = np.concatenate([values, values[1:]]) if wrap else values
                stacks.setdefault(name, []).append(
                    time_normalise(t_ext if wrap else t, v, start, end, n_points=n_points))
            n_cycles += 1
            inside = offs[(offs > start) & (offs < end)]
            foot_off.append(100.0 * (inside[0] - start) / (end - start) if inside.size else math.nan)
            cycle_side.append(side)
            starts.append(start)
            ends.append(end)

    out = xr.Dataset(coords={
        "cycle": ("cycle", np.arange(len(cycle_side))),
        "cycle_pct": ("cycle_pct", cycle_pct(n_points), {"units": "%"}),
        "side": ("cycle", np.array(cycle_side, dtype=str)),
        "cycle_start_s": ("cycle", np.array(starts, dtype=float), {"units": "s"}),
        "cycle_end_s": ("cycle", np.array(ends, dtype=float), {"units": "s"}),
        "foot_off_pct": ("cycle", np.array(foot_off, dtype=float), {"units": "%"}),
    })
    for name, unit in CURVES.items():
        data = np.stack(stacks[name]) if stacks[name] else np.empty((0, n_points))
        out[name] = (("cycle", "cycle_pct"), data.astype(np.float64), {"units": unit})
    for name, unit in OPTIONAL_CURVES.items():   # only when every cycle has it
        if stacks.get(name) and len(stacks[name]) == n_cycles:
            out[name] = (("cycle", "cycle_pct"), np.stack(stacks[name]).astype(np.float64), {"units": unit})
    finite = [v for v in foot_off if math.isfinite(v)]
    out.attrs.update({
        "run_id": run_id, "direction": str(motion.direction),
        "speed_m_s": travel_speed_m_s(ds),
        "step_rate_hz": float(timing.step_rate_hz),
        "stance_pct": float(np.mean(finite)) if finite else math.nan,
        "description": "cycle-normalised curves, one cycle per foot and stride (biomech.experiments.curves)",
    })
    return out


def write_curves(curves: xr.Dataset, path: str | Path) -> Path:
    """Write ``curves`` as netCDF (atomically: a temporary file, then a rename)."""
    import os

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    curves.to_netcdf(tmp)
    os.replace(tmp, path)
    return path
