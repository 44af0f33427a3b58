"""Scalar outcomes of one run (one row of ``runs.csv``) from its motion and analysis Dataset.

Peaks are taken over the whole record per side and then averaged over the two sides; forces in
body weights (BW = m g), moments per kg, stresses in MPa, energies in J. Timing comes from the
motion's gait events (``foot_strike_<side>``, ``toe_off_<side>``); a synthesised motion is
periodic, so a stance that the record cuts is completed from the start of the record.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import xarray as xr

from biomech.gait.motion import Motion

__all__ = ["JOINT_ROLES", "OUTCOMES", "TENDON_GROUPS", "GaitTiming", "compute_outcomes", "gait_timing",
           "is_periodic", "joint_name", "side_coordinates", "sides", "travel_speed_m_s"]

#: Functional muscle groups with their own tendon outcomes (the group maps' names; the
#: Dataset's ``muscle_group_<group>_<side>`` attrs list their muscles).
TENDON_GROUPS = ("plantarflexors", "quadriceps", "hip_extensors", "hip_flexors", "hamstrings",
                 "knee_flexors", "dorsiflexors")

#: Outcome columns, in table order.
OUTCOMES = (
    "step_rate_hz", "contact_time_s", "duty_factor", "aerial_time_s", "knee_flexion_at_strike_deg",
    "peak_vertical_grf_bw", "peak_knee_extension_moment_nm_kg",
    "peak_pf_force_lever_bw", "peak_pf_force_muscle_bw",
    "peak_pf_stress_lever_mpa", "peak_pf_stress_muscle_mpa",
    "time_of_peak_pf_stress_lever_pct_stance", "time_of_peak_pf_stress_muscle_pct_stance",
    "pf_impulse_lever_bw_s", "pf_impulse_muscle_bw_s",
    "pf_impulse_lever_bw_s_per_km", "pf_impulse_muscle_bw_s_per_km",
    "pf_stress_integral_lever_mpa_s_per_km", "pf_stress_integral_muscle_mpa_s_per_km",
    "peak_knee_contact_force_bw", "peak_hip_contact_force_bw", "peak_ankle_contact_force_bw",
    "hip_contact_impulse_bw_s", "knee_contact_impulse_bw_s", "ankle_contact_impulse_bw_s",
    "hip_contact_impulse_bw_s_per_m", "knee_contact_impulse_bw_s_per_m", "ankle_contact_impulse_bw_s_per_m",
    "hip_positive_work_j_kg", "hip_negative_work_j_kg", "knee_positive_work_j_kg",
    "knee_negative_work_j_kg", "ankle_positive_work_j_kg", "ankle_negative_work_j_kg",
    "external_work_positive_j_kg_m", "external_work_negative_j_kg_m",
    "braking_time_s", "pushing_time_s", "braking_fraction", "vertical_stiffness_kn_m",
    "tendon_energy_returned_j", "tendon_share_of_positive_work",
    *(f"tendon_energy_returned_{g}_j" for g in TENDON_GROUPS),
    *(f"tendon_share_of_positive_work_{g}" for g in TENDON_GROUPS),
    "metabolic_cost_j_kg_m",
    "max_pelvis_residual_force_bw", "max_pelvis_residual_moment_nm", "max_reserve_share",
    "reserve_at_peak_knee_contact_share", "reserve_at_peak_pf_muscle_share",
    "so_failed_frames", "tendon_equilibrium_change_n", "swing_foot_below_ground_mm",
    "swing_clearance_correction_deg", "max_foot_slip_mm",
)
#: Joints whose reaction loads are outcomes (the Dataset's ``<role>_<side>_joint`` attributes).
JOINT_ROLES = ("hip", "knee", "ankle")
#: Tolerance (rad or m) on the first and last frame of a periodic record.
_PERIODIC_TOL = 1e-6


def sides(ds: xr.Dataset) -> list[str]:
    """The sides analysed (``["r", "l"]``)."""
    return [str(s) for s in ds.side.values]


def is_periodic(motion: Motion) -> bool:
    """True when the last frame repeats the first (all coordinates but forward translations),
    as in a synthesised stride: the record can then be wrapped around."""
    keep = [i for i, name in enumerate(motion.coordinate_names) if not name.endswith("_tx")]
    return bool(np.all(np.abs(motion.q[-1, keep] - motion.q[0, keep]) < _PERIODIC_TOL))


@dataclass(frozen=True)
class GaitTiming:
    """Stride timing from gait events (s, Hz); ``stances[side]`` = ``[(strike_s, toe_off_s)]``
    (toe offs past the record's end on a periodic record)."""

    stride_time_s: float
    step_rate_hz: float
    contact_time_s: float
    duty_factor: float
    aerial_time_s: float
    stances: dict[str, list[tuple[float, float]]]


def gait_timing(motion: Motion, side_names: list[str] | tuple[str, ...] = ("r", "l")) -> GaitTiming:
    """Stride time, step rate (both feet), contact time, duty factor and aerial time per step.

    Stride time: mean interval between strikes of the same foot (or ``2 / step_rate_hz`` of the
    motion's params when no foot strikes twice). Aerial time per step = stride time / 2 - contact
    time.
    """
    t = motion.time_s
    duration = float(t[-1] - t[0])
    periodic = is_periodic(motion)
    diffs = np.concatenate([np.diff(motion.events.get(f"foot_strike_{s}", np.empty(0)))
                            for s in side_names])
    if diffs.size:
        stride = float(np.mean(diffs))
    elif motion.params.get("step_rate_hz"):
        stride = 2.0 / float(motion.params["step_rate_hz"])
    else:
        stride = math.nan
    stances: dict[str, list[tuple[float, float]]] = {}
    for s in side_names:
        strikes = motion.events.get(f"foot_strike_{s}", np.empty(0))
        offs = motion.events.get(f"toe_off_{s}", np.empty(0))
        if periodic:
            offs = np.concatenate([offs, offs + duration])
        out = []
        for strike in strikes:
            later = offs[offs > strike]
            if later.size and (not math.isfinite(stride) or later[0] - strike < stride):
                out.append((float(strike), float(later[0])))
        stances[s] = out
    contacts = [off - on for v in stances.values() for on, off in v]
    contact = float(np.mean(contacts)) if contacts else math.nan
    return GaitTiming(stride_time_s=stride, step_rate_hz=2.0 / stride, contact_time_s=contact,
                      duty_factor=contact / stride, aerial_time_s=stride / 2.0 - contact,
                      stances=stances)


def _side_mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def _muscles_of(ds: xr.Dataset, side: str) -> list[str]:
    return [str(m) for m in ds.muscle.values if str(m).endswith(f"_{side}")]


def side_coordinates(ds: xr.Dataset, side: str) -> list[str]:
    """The coordinates of one leg (names ending in ``_<side>``)."""
    return [str(c) for c in ds.coordinate.values if str(c).endswith(f"_{side}")]


def _reserve_at_peak(ds: xr.Dataset, side: str, values: xr.DataArray) -> float:
    """Largest reserve of the ``side`` leg's coordinates, as a fraction of each one's peak joint
    moment, at the frame where ``values`` (over time) peaks; NaN without the per-frame reserve
    fractions (a Dataset from an older pipeline) or without a muscle-driven coordinate."""
    if "reserve_fraction_of_peak_moment" not in ds:
        return math.nan
    at = ds.reserve_fraction_of_peak_moment.sel(coordinate=side_coordinates(ds, side)).values[
        int(np.argmax(values.values))]
    return float(np.nanmax(at)) if np.isfinite(at).any() else math.nan


class _StanceWindows(NamedTuple):
    """Time (s) of a record, the masks of its stances on it, and ``extend`` that lengthens a
    per-frame array the same way (a periodic record is extended by one period for a stance that
    runs past its end)."""

    time_s: np.ndarray
    masks: list[np.ndarray]
    extend: Callable[[np.ndarray], np.ndarray]


def _stance_windows(ds: xr.Dataset, stances: list[tuple[float, float]], periodic: bool) -> _StanceWindows:
    """The stances of one foot as masks (stances with fewer than two frames are left out)."""
    t = ds.time.values
    duration = float(t[-1] - t[0])
    t_ext = np.concatenate([t, t[1:] + duration]) if periodic else t

    def extended(values: np.ndarray) -> np.ndarray:
        return np.concatenate([values, values[1:]]) if periodic else values

    masks = [m for on, off in stances if (m := (t_ext >= on - 1e-9) & (t_ext <= off + 1e-9)).sum() >= 2]
    return _StanceWindows(t_ext, masks, extended)


def _known(length_or_speed: float) -> bool:
    """Whether a step length (m) or speed of travel (m/s) is known: finite and positive (NaN, or
    0 on a treadmill, is not; the per-distance outcomes are then NaN)."""
    return math.isfinite(length_or_speed) and length_or_speed > 0


def _stance_pf(ds: xr.Dataset, side: str, windows: _StanceWindows, step_length_m: float
               ) -> dict[str, list[float]]:
    """PF stance summaries (:func:`biomech.knee.stance_summary`) of every stance of ``side``,
    both methods: time of peak stress (% stance), impulse per step (BW s) and per km, stress
    integral per km (MPa s)."""
    from biomech.knee import stance_summary

    t_ext, masks, extended = windows
    bw = float(ds.attrs["body_weight_n"])
    out: dict[str, list[float]] = {f"{kind}_{method}_{unit}": [] for method in ("lever", "muscle")
                                   for kind, unit in (("time_of_peak_pf_stress", "pct_stance"),
                                                      ("pf_impulse", "bw_s"), ("pf_impulse", "bw_s_per_km"),
                                                      ("pf_stress_integral", "mpa_s_per_km"))}
    known = _known(step_length_m)   # else no per-km values
    for method in ("lever", "muscle"):
        force = extended(ds[f"pf_force_{method}_n"].sel(side=side).values)
        stress = extended(ds[f"pf_stress_{method}_pa"].sel(side=side).values)
        for mask in masks:
            summary = stance_summary(t_ext, force, stress, mask, bw, step_length_m if known else 1.0)
            for name, value in ((f"time_of_peak_pf_stress_{method}_pct_stance",
                                 summary.time_of_peak_stress_pct_stance),
                                (f"pf_impulse_{method}_bw_s", summary.impulse_bw_s_per_step),
                                (f"pf_impulse_{method}_bw_s_per_km",
                                 summary.impulse_bw_s_per_km if known else math.nan),
                                (f"pf_stress_integral_{method}_mpa_s_per_km",
                                 summary.stress_integral_mpa_s_per_km if known else math.nan)):
                out[name].append(value)
    return out


def joint_name(ds: xr.Dataset, role: str, side: str) -> str:
    """The Dataset's joint of ``role`` (hip, knee, ankle) on ``side``."""
    return str(ds.attrs.get(f"{role}_{side}_joint", f"{role}_{side}"))


def _stance_joint_loads(ds: xr.Dataset, side: str, windows: _StanceWindows, step_length_m: float
                        ) -> dict[str, list[float]]:
    """Compressive-force impulse of the hip, knee and ankle of ``side`` over each of its stances
    (BW s per step) and per metre travelled (BW s/m: per step over the step length, both legs)."""
    t_ext, masks, extended = windows
    bw = float(ds.attrs["body_weight_n"])
    out: dict[str, list[float]] = {f"{role}_contact_impulse_{unit}": [] for role in JOINT_ROLES
                                   for unit in ("bw_s", "bw_s_per_m")}
    for role in JOINT_ROLES:
        force = extended(ds.joint_compressive_force_n.sel(joint=joint_name(ds, role, side)).values)
        for mask in masks:
            impulse_bw_s = float(np.trapezoid(force[mask], t_ext[mask])) / bw
            out[f"{role}_contact_impulse_bw_s"].append(impulse_bw_s)
            out[f"{role}_contact_impulse_bw_s_per_m"].append(
                impulse_bw_s / step_length_m if _known(step_length_m) else math.nan)
    return out


def travel_speed_m_s(ds: xr.Dataset) -> float:
    """Mean speed of travel (m/s) from the pelvis translation over the record (NaN without a
    ``pelvis_tx`` coordinate)."""
    if "pelvis_tx" not in ds.coordinate:
        return math.nan
    tx = ds.q.sel(coordinate="pelvis_tx").values
    t = ds.time.values
    return float(abs(tx[-1] - tx[0]) / (t[-1] - t[0]))


#: Vertical GRF (N) above which the whole body is in contact, for the whole-body outcomes of
#: measured records (force-plate noise in flight); synthesised GRFs are exactly 0 in flight.
_CONTACT_THRESHOLD_N = 20.0


def _whole_body(ds: xr.Dataset, motion: Motion, speed_m_s: float, step_rate_hz: float,
                periodic: bool) -> dict[str, float]:
    """Whole-body mechanics from the total GRF (:mod:`biomech.energetics.work`): external work
    per kg and metre (J/kg/m, Cavagna's force-platform method: the COM velocity from the GRF
    with the speed of travel as its mean; NaN when the speed is unknown), braking and pushing
    time per step (s) and the braking share of the contact time, and the mean vertical
    stiffness of the complete contacts (kN/m). A periodic record is taken twice, so every
    contact is whole once."""
    from biomech.energetics.work import (
        braking_pushing,
        com_motion_from_grf,
        external_work,
        vertical_stiffness,
    )

    record = _stance_windows(ds, [], periodic)
    t = record.time_s
    grf = record.extend(ds.grf_n.sum("side").values[:, :2])            # x, y
    mass = float(ds.attrs["mass_kg"])
    gravity = float(ds.attrs["body_weight_n"]) / mass
    sign = -1 if str(motion.direction) == "backward" else 1
    known = _known(speed_m_s)
    velocity, displacement = com_motion_from_grf(
        time_s=t, grf_n=grf, body_mass_kg=mass, gravity_m_s2=gravity,
        mean_velocity_m_s=[sign * speed_m_s if known else 0.0, 0.0])
    contact = grf[:, 1] > _CONTACT_THRESHOLD_N
    out = {"external_work_positive_j_kg_m": math.nan, "external_work_negative_j_kg_m": math.nan}
    if known:
        work = external_work(time_s=t, grf_n=grf, com_velocity_m_s=velocity, body_mass_kg=mass)
        metres = speed_m_s * float(t[-1] - t[0])
        out = {"external_work_positive_j_kg_m": work.positive_work_j_kg / metres,
               "external_work_negative_j_kg_m": work.negative_work_j_kg / metres}
    phases = braking_pushing(time_s=t, horizontal_grf_n=grf[:, 0], travel_direction_x=sign,
                             contact=contact)
    steps = float(t[-1] - t[0]) * step_rate_hz
    stiffness = vertical_stiffness(time_s=t, vertical_grf_n=grf[:, 1], com_height_m=displacement[:, 1],
                                   body_mass_kg=mass, contact=contact)
    return {**out, "braking_time_s": phases.braking_duration_s / steps,
            "pushing_time_s": phases.pushing_duration_s / steps,
            "braking_fraction": phases.braking_fraction,
            "vertical_stiffness_kn_m": stiffness.mean_k_vert_n_m / 1000.0}


#: The coordinate of each joint role in the Dataset's attrs (``<motion>_coordinate_<side>``), with
#: the planar model's names for results saved before those attrs existed.
_JOINT_COORDINATE = {"hip": ("hip_flexion_coordinate", "hip_flexion"),
                     "knee": ("knee_coordinate", "knee_angle"),
                     "ankle": ("ankle_dorsiflexion_coordinate", "ankle_angle")}


def joint_coordinate(ds: xr.Dataset, role: str, side: str) -> str:
    """The coordinate of the joint of ``role`` (hip, knee, ankle) on ``side``: its flexion
    (dorsiflexion) coordinate in the model."""
    key, default = _JOINT_COORDINATE[role]
    return str(ds.attrs.get(f"{key}_{side}", f"{default}_{side}"))


def _joint_work_per_stride(ds: xr.Dataset, side: str, n_strides: float) -> dict[str, float]:
    """Positive and negative work of the hip, knee and ankle of ``side`` (J/kg per stride) from
    the Dataset's joint power ``tau * omega`` (sign-convention free); NaN without it."""
    from biomech.energetics.work import split_work_j

    out = {}
    mass = float(ds.attrs["mass_kg"])
    for role in _JOINT_COORDINATE:
        positive = negative = math.nan
        if "joint_power_w" in ds:
            power = ds.joint_power_w.sel(coordinate=joint_coordinate(ds, role, side))
            pos, neg = split_work_j(ds.time.values, power.values)
            positive, negative = float(np.sum(pos)) / mass / n_strides, float(np.sum(neg)) / mass / n_strides
        out[f"{role}_positive_work_j_kg"], out[f"{role}_negative_work_j_kg"] = positive, negative
    return out


def _group_muscles(ds: xr.Dataset, side: str) -> dict[str, list[str]]:
    """Column suffix -> muscles: ``""`` for the whole leg of ``side``, ``"_<group>"`` for each of
    :data:`TENDON_GROUPS` the Dataset lists."""
    from biomech.io.result_tables import list_attribute

    groups = {"": _muscles_of(ds, side)}
    for g in TENDON_GROUPS:
        members = ds.attrs.get(f"muscle_group_{g}_{side}")
        if members is not None:   # a list, or read back from netCDF: "a, b"
            groups[f"_{g}"] = list_attribute(members)
    return groups


def _tendon_outcomes(ds: xr.Dataset, side: str, n_strides: float) -> dict[str, float]:
    """Tendon energy returned (J per stride) and tendon share of muscle-tendon positive work of
    the leg of ``side`` and of each of its :data:`TENDON_GROUPS`; NaN for a group the Dataset
    does not list (no group map) or, for the share, without the tendon and MTU powers."""
    from biomech.energetics.work import tendon_work_share

    groups = _group_muscles(ds, side)
    shares = dict.fromkeys(groups, math.nan)
    if "tendon_power_w" in ds and "mtu_power_w" in ds:
        muscles = groups[""]
        result = tendon_work_share(
            time_s=ds.time.values, tendon_power_w=ds.tendon_power_w.sel(muscle=muscles).values,
            mtu_power_w=ds.mtu_power_w.sel(muscle=muscles).values, muscle_names=muscles,
            groups={suffix: m for suffix, m in groups.items() if m})
        shares.update(zip(result.group_names, (float(v) for v in result.tendon_share), strict=True))
    def returned(suffix: str) -> float:
        m = groups.get(suffix)   # a group the Dataset does not list: NaN
        return float(ds.tendon_energy_returned_j.sel(muscle=m).sum()) / n_strides if m else math.nan

    suffixes = [f"_{g}" for g in TENDON_GROUPS]   # in the order of OUTCOMES
    return {"tendon_energy_returned_j": returned(""), "tendon_share_of_positive_work": shares[""],
            **{f"tendon_energy_returned{x}_j": returned(x) for x in suffixes},
            **{f"tendon_share_of_positive_work{x}": shares.get(x, math.nan) for x in suffixes}}


def _metabolic_cost(ds: xr.Dataset, mass_kg: float, speed_m_s: float) -> float:
    """Gross metabolic cost of transport (J/kg/m) from the whole-body metabolic rate
    (``metabolic_total_rate_w``, Umberger 2010 in :func:`biomech.pipeline.analyse_motion`,
    including the basal rate) averaged over the motion, at the run's speed."""
    from biomech.energetics.work import cost_of_transport_j_kg_m, mean_power

    if "metabolic_total_rate_w" not in ds or not _known(speed_m_s):
        return math.nan
    power = ds.metabolic_total_rate_w
    other = [d for d in power.dims if d != "time"]
    total = power.sum(other).values if other else power.values
    if not np.all(np.isfinite(total)):
        return math.nan
    mean_w = float(mean_power(ds.time.values, total))
    return float(cost_of_transport_j_kg_m(metabolic_power_w_kg=mean_w / mass_kg, speed_m_s=speed_m_s))


def compute_outcomes(ds: xr.Dataset, motion: Motion, *, speed_m_s: float | None = None
                     ) -> dict[str, float | int | str]:
    """The scalar outcomes of :data:`OUTCOMES` plus ``direction`` and the measured
    ``speed_m_s`` (m/s) of one analysed motion: the pelvis's mean speed over the record, or
    ``speed_m_s`` when given (a treadmill's belt speed; NaN: unknown, so the per-distance
    outcomes and the metabolic cost per metre are NaN).

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`biomech.pipeline.analyse_motion`, optionally with ``tendon_power_w`` and
        ``mtu_power_w`` (time, muscle; W, OpenSim's sign) for the tendon share of positive work
        and ``metabolic_total_rate_w`` (W) for the metabolic cost.
    motion : Motion
        The analysed motion (for its gait events).

    Returns
    -------
    dict
        ``step_rate_hz`` (Hz), ``contact_time_s``, ``aerial_time_s`` (s, per step),
        ``duty_factor``; ``knee_flexion_at_strike_deg`` (deg, mean over the foot strikes of both
        sides: what the motion has, which can differ from a synthesis input the model could not
        reach); peaks (mean of both sides): ``peak_vertical_grf_bw``,
        ``peak_knee_extension_moment_nm_kg`` (N m/kg), ``peak_pf_force_{lever,muscle}_bw``,
        ``peak_pf_stress_{lever,muscle}_mpa`` (MPa); per stance of each foot, then averaged
        (:func:`biomech.knee.stance_summary`): ``time_of_peak_pf_stress_{lever,muscle}_pct_stance``
        (% of stance), ``pf_impulse_{lever,muscle}_bw_s`` (PF force impulse of one step, BW s),
        ``pf_impulse_{lever,muscle}_bw_s_per_km`` and
        ``pf_stress_integral_{lever,muscle}_mpa_s_per_km`` (times the steps of a kilometre, both
        legs, a step being speed / step rate long: one knee sees half);
        ``peak_knee_contact_force_bw``, ``peak_hip_contact_force_bw``, ``peak_ankle_contact_force_bw``
        (joint compressive force, parent on child along the child's long axis); per stance, then
        averaged: ``{hip,knee,ankle}_contact_impulse_bw_s`` (compressive-force impulse of one
        stance, BW s) and ``{hip,knee,ankle}_contact_impulse_bw_s_per_m`` (that over the step
        length: the cumulative load per metre travelled, both legs; one joint sees half);
        ``{hip,knee,ankle}_{positive,negative}_work_j_kg`` (joint work per stride and kg, per
        leg, mean of both legs; negative work negative);
        whole body, from the total GRF: ``external_work_positive_j_kg_m`` and
        ``external_work_negative_j_kg_m`` (J/kg/m; Cavagna's force-platform method, NaN without a
        speed of travel), ``braking_time_s`` and ``pushing_time_s`` (per step, s),
        ``braking_fraction`` (of the contact time), ``vertical_stiffness_kn_m`` (mean over the
        complete contacts, kN/m);
        ``tendon_energy_returned_j`` (J per stride, per leg: the leg's
        tendons summed, mean of both legs); ``tendon_share_of_positive_work`` (tendon / muscle-
        tendon positive work, per leg, mean of both); the same per functional group of
        :data:`TENDON_GROUPS`, ``tendon_energy_returned_<group>_j`` and
        ``tendon_share_of_positive_work_<group>`` (NaN when the Dataset lists no groups: a model
        without a group map); ``metabolic_cost_j_kg_m`` (NaN without
        ``metabolic_total_rate_w``); quality: ``max_pelvis_residual_force_bw``,
        ``max_pelvis_residual_moment_nm`` (N m), ``max_reserve_share`` (largest reserve / that
        coordinate's peak joint moment), ``reserve_at_peak_knee_contact_share`` and
        ``reserve_at_peak_pf_muscle_share`` (the largest reserve of the leg, as that fraction, in
        the frame of the leg's peak knee contact force, and in the frames of its peak PF force
        and peak PF stress by the muscle method, the larger; the larger of the two sides: above
        5 % the muscles do not carry the joint moments at that peak, so the peak is not what the
        muscles would produce), ``so_failed_frames`` (from
        the Dataset's attrs; NaN, or -1 frames, when the pipeline does not report them),
        ``tendon_equilibrium_change_n`` (compliant tendons: the largest tendon-force change of the
        last fixed-point iteration, N, at most 1 N when it converged; NaN with rigid tendons);
        synthesis checks from the attrs the experiment runner sets (NaN for measured motions):
        ``swing_foot_below_ground_mm`` (how far the swing heel or metatarsal heads pass below the
        ground, 0 when the foot clears it), ``swing_clearance_correction_deg`` (largest change of a
        swing joint angle the synthesis made so the swing foot clears the ground, 0 when none was
        needed), ``max_foot_slip_mm`` (planted-foot slip).
    """
    bw = float(ds.attrs["body_weight_n"])
    mass = float(ds.attrs["mass_kg"])
    side_names = sides(ds)
    timing = gait_timing(motion, side_names)
    duration = float(ds.time.values[-1] - ds.time.values[0])
    n_strides = duration / timing.stride_time_s if math.isfinite(timing.stride_time_s) else math.nan
    speed = travel_speed_m_s(ds) if speed_m_s is None else float(speed_m_s)

    per_side: dict[str, list[float]] = {}
    at_peaks: dict[str, list[float]] = {}
    # one step (= one stance) covers speed / step rate metres
    step_length = speed / timing.step_rate_hz if timing.step_rate_hz > 0 else math.nan
    periodic = is_periodic(motion)

    def add(name: str, value: float) -> None:
        per_side.setdefault(name, []).append(float(value))

    for s in side_names:
        knee = f"knee_angle_{s}"
        strikes = [on for on, _ in timing.stances[s]]
        at_strike = math.nan
        if strikes and "knee_flexion_rad" in ds:
            flexion = np.interp(strikes, ds.time.values, ds.knee_flexion_rad.sel(side=s).values)
            at_strike = float(np.degrees(np.mean(flexion)))
        add("knee_flexion_at_strike_deg", at_strike)
        add("peak_vertical_grf_bw", ds.grf_n.sel(side=s, axis="y").max() / bw)
        extension = (ds.knee_extension_moment_nm.sel(side=s) if "knee_extension_moment_nm" in ds
                     else -ds.joint_moment_nm.sel(coordinate=knee))   # results saved before it existed
        add("peak_knee_extension_moment_nm_kg", extension.max() / mass)
        for method in ("lever", "muscle"):
            add(f"peak_pf_force_{method}_bw", ds[f"pf_force_{method}_n"].sel(side=s).max() / bw)
            add(f"peak_pf_stress_{method}_mpa", ds[f"pf_stress_{method}_pa"].sel(side=s).max() / 1e6)
        contact = ds.joint_compressive_force_n.sel(joint=joint_name(ds, "knee", s))
        add("peak_knee_contact_force_bw", contact.max() / bw)
        for role in ("hip", "ankle"):
            add(f"peak_{role}_contact_force_bw",
                ds.joint_compressive_force_n.sel(joint=joint_name(ds, role, s)).max() / bw)
        at_peaks.setdefault("reserve_at_peak_knee_contact_share", []).append(
            _reserve_at_peak(ds, s, contact))
        # the muscle-method PF force and stress peaks (the stress peak can fall a frame or two
        # away, where the contact area changes): the larger reserve of the two frames
        at_peaks.setdefault("reserve_at_peak_pf_muscle_share", []).extend(
            _reserve_at_peak(ds, s, ds[var].sel(side=s))
            for var in ("pf_force_muscle_n", "pf_stress_muscle_pa"))
        windows = _stance_windows(ds, timing.stances[s], periodic)
        for name, values in {**_stance_pf(ds, s, windows, step_length),
                             **_stance_joint_loads(ds, s, windows, step_length)}.items():
            add(name, float(np.mean(values)) if values else math.nan)   # NaN: no stance with a toe off
        for name, value in _tendon_outcomes(ds, s, n_strides).items():
            add(name, value)
        for name, value in _joint_work_per_stride(ds, s, n_strides).items():
            add(name, value)

    out: dict[str, float | int | str] = {
        "direction": str(motion.direction),
        "speed_m_s": speed,
        "step_rate_hz": timing.step_rate_hz,
        "contact_time_s": timing.contact_time_s,
        "duty_factor": timing.duty_factor,
        "aerial_time_s": timing.aerial_time_s,
    }
    out.update({name: _side_mean(values) for name, values in per_side.items()})
    out.update(_whole_body(ds, motion, speed, timing.step_rate_hz, periodic))
    out["metabolic_cost_j_kg_m"] = _metabolic_cost(ds, mass, speed)
    for name in ("max_pelvis_residual_force_bw", "max_pelvis_residual_moment_nm"):
        out[name] = float(ds.attrs.get(name, math.nan))
    # reserves against the criterion: largest reserve moment as a fraction of that
    # coordinate's peak joint moment (the per-frame share is ill-conditioned at zero crossings)
    out["max_reserve_share"] = float(ds.attrs.get("max_reserve_fraction_of_peak_moment",
                                                  ds.attrs.get("max_reserve_share", math.nan)))
    # at the peaks (the worse side, the worse frame): do the muscles carry the joint moments there?
    for name, values in at_peaks.items():
        finite = [v for v in values if math.isfinite(v)]
        out[name] = max(finite) if finite else math.nan
    out["so_failed_frames"] = int(ds.attrs.get("so_failed_frames", -1))
    out["tendon_equilibrium_change_n"] = float(ds.attrs.get("compliant_max_change_n", math.nan))
    # synthesis checks (NaN for a motion read from files): how far the swing foot passes below
    # the ground, how much the swing was corrected to clear it, how far a planted foot slides
    out["swing_foot_below_ground_mm"] = 1000.0 * float(
        ds.attrs.get("synthesis_swing_foot_below_ground_m", math.nan))
    out["swing_clearance_correction_deg"] = float(
        ds.attrs.get("synthesis_swing_clearance_correction_deg", math.nan))
    out["max_foot_slip_mm"] = 1000.0 * float(ds.attrs.get("synthesis_max_foot_slip_m", math.nan))
    return out
