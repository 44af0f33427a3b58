"""Mechanical work and timing of running: joint work, whole-body (COM) work, braking and pushing,
vertical stiffness, aerial time, tendon share of muscle-tendon work and cost of transport.

Conventions
-----------
* Signals are sampled at increasing times ``time_s`` (s) on axis 0 and taken as *linear between
  samples*. Work splits into positive and negative parts by integrating that piecewise-linear
  power exactly, cutting each interval where the power changes sign; so ``positive + negative``
  equals the trapezoidal integral of the power. Durations of a sign (braking, pushing) use the
  same zero crossings.
* Negative work is reported as a negative number (J).
* The horizontal axis is the lab ``x`` axis. The direction of travel along it is an input
  (``travel_direction_x = +1`` or ``-1``), so backward running, whose COM moves towards ``-x`` in
  the runner's facing frame (see :mod:`biomech.gait.com_path`), is handled without flipping
  data. "Braking" is a horizontal ground reaction force (GRF) opposing the direction of travel,
  "pushing" one aiding it.
* Muscle and tendon powers follow OpenSim's sign (``Muscle::getTendonPower`` ``= -F v_T``,
  ``getMusclePower`` ``= -F v_MTU``): positive while shortening, i.e. doing positive work on the
  skeleton.

Everything is SI: s, m, m/s, N, N m, rad/s, W, J, kg.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import cumulative_trapezoid

__all__ = [
    "AerialTime",
    "BrakingPushing",
    "ExternalWork",
    "JointWork",
    "TendonWorkShare",
    "VerticalStiffness",
    "aerial_time",
    "braking_pushing",
    "com_motion_from_grf",
    "cost_of_transport_j_kg_m",
    "external_work",
    "joint_power_w",
    "joint_work",
    "mean_power",
    "split_work_j",
    "tendon_work_share",
    "travel_direction_from_velocity",
    "vertical_stiffness",
]


# --------------------------------------------------------------------------------------------
# Checks and piecewise-linear integration
# --------------------------------------------------------------------------------------------


def _time(time_s: ArrayLike) -> np.ndarray:
    t = np.asarray(time_s, dtype=float)
    if t.ndim != 1 or t.size < 2:
        raise ValueError("time_s: expected a 1-D array with at least 2 samples")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0.0):
        raise ValueError("time_s: must be finite and strictly increasing")
    return t


def _series(name: str, values: ArrayLike, n: int) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim < 1 or array.shape[0] != n:
        raise ValueError(f"{name}: first axis has {array.shape[:1]} samples, expected {n}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: contains non-finite values")
    return array


def _positive(name: str, value: float, unit: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        raise ValueError(f"{name}: {value!r} {unit} must be a positive finite number")
    return number


def _dt(t: np.ndarray, ndim: int) -> np.ndarray:
    return np.diff(t).reshape((-1,) + (1,) * (ndim - 1))


def _split_intervals(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-interval integrals of the positive and negative parts of the piecewise-linear ``p``."""
    a, b = p[:-1], p[1:]
    dt = _dt(t, p.ndim)
    ap, bp = np.maximum(a, 0.0), np.maximum(b, 0.0)
    an, bn = np.minimum(a, 0.0), np.minimum(b, 0.0)
    crossing = a * b < 0.0
    span = np.where(crossing, np.abs(a) + np.abs(b), 1.0)
    pos = np.where(crossing, dt * (ap**2 + bp**2) / (2.0 * span), 0.5 * dt * (ap + bp))
    neg = np.where(crossing, -dt * (an**2 + bn**2) / (2.0 * span), 0.5 * dt * (an + bn))
    return pos, neg


def _sign_durations(t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-interval time during which the piecewise-linear ``s`` is > 0 and < 0."""
    a, b = s[:-1], s[1:]
    dt = _dt(t, s.ndim)
    crossing = a * b < 0.0
    span = np.where(crossing, np.abs(a) + np.abs(b), 1.0)
    # Without a crossing the interpolant keeps one sign (or is zero at an end only).
    pos_whole = (a >= 0.0) & (b >= 0.0) & ((a > 0.0) | (b > 0.0))
    neg_whole = (a <= 0.0) & (b <= 0.0) & ((a < 0.0) | (b < 0.0))
    pos = np.where(crossing, dt * np.maximum(a, b) / span, np.where(pos_whole, dt, 0.0))
    neg = np.where(crossing, dt * -np.minimum(a, b) / span, np.where(neg_whole, dt, 0.0))
    return pos, neg


def split_work_j(time_s: ArrayLike, power_w: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative work (J) of a power signal (W), sample axis 0.

    The power is linear between samples; intervals where it changes sign are cut at the zero
    crossing, so both parts are exact for that interpolant and their sum is the trapezoidal
    integral. Negative work is returned as a negative number.

    Examples
    --------
    >>> pos, neg = split_work_j([0.0, 1.0, 2.0], [1.0, -1.0, -1.0])
    >>> float(pos), float(neg)
    (0.25, -1.25)
    """
    t = _time(time_s)
    p = _series("power_w", power_w, t.size)
    pos, neg = _split_intervals(t, p)
    return pos.sum(axis=0), neg.sum(axis=0)


def mean_power(time_s: ArrayLike, power: ArrayLike) -> np.ndarray:
    """Time average of a signal over the record (trapezoidal integral / duration), axis 0."""
    t = _time(time_s)
    p = _series("power", power, t.size)
    return np.trapezoid(p, t, axis=0) / (t[-1] - t[0])


# --------------------------------------------------------------------------------------------
# Joint power and work
# --------------------------------------------------------------------------------------------


def joint_power_w(*, joint_moment_nm: ArrayLike, joint_angular_velocity_rad_s: ArrayLike) -> np.ndarray:
    """Joint power ``P = tau * omega`` (W), element-wise (same shapes, e.g. ``(n, n_joints)``)."""
    tau = np.asarray(joint_moment_nm, dtype=float)
    omega = np.asarray(joint_angular_velocity_rad_s, dtype=float)
    if tau.shape != omega.shape:
        raise ValueError(
            f"joint_moment_nm {tau.shape} and joint_angular_velocity_rad_s {omega.shape} differ in shape"
        )
    return tau * omega


@dataclass(frozen=True, eq=False, kw_only=True)
class JointWork:
    """Joint power and work over the record (one cycle, when the caller cuts it so).

    Attributes
    ----------
    joint_names : tuple of str
        One name per column.
    time_s : ndarray, (n,)
    power_w : ndarray, (n, n_joints)
        ``tau * omega`` (W).
    positive_work_j, negative_work_j, net_work_j : ndarray, (n_joints,)
        Work (J); negative work is negative.
    positive_work_j_kg, negative_work_j_kg, net_work_j_kg : ndarray, (n_joints,)
        The same divided by body mass (J/kg).
    body_mass_kg : float
    """

    joint_names: tuple[str, ...]
    time_s: np.ndarray
    power_w: np.ndarray
    positive_work_j: np.ndarray
    negative_work_j: np.ndarray
    net_work_j: np.ndarray
    positive_work_j_kg: np.ndarray
    negative_work_j_kg: np.ndarray
    net_work_j_kg: np.ndarray
    body_mass_kg: float


def joint_work(
    *,
    time_s: ArrayLike,
    joint_moment_nm: ArrayLike,
    joint_angular_velocity_rad_s: ArrayLike,
    body_mass_kg: float,
    joint_names: Sequence[str] | None = None,
) -> JointWork:
    """Positive and negative work per joint from moments (N m) and angular velocities (rad/s).

    Parameters
    ----------
    time_s : array, (n,)
    joint_moment_nm, joint_angular_velocity_rad_s : array, (n,) or (n, n_joints)
        Net joint moment and the matching angular velocity, with the same sign convention
        (moment positive in the direction of positive rotation).
    body_mass_kg : float
    joint_names : sequence of str, optional
        Default ``joint0, joint1, ...``.
    """
    t = _time(time_s)
    mass = _positive("body_mass_kg", body_mass_kg, "kg")
    tau = _series("joint_moment_nm", joint_moment_nm, t.size)
    omega = _series("joint_angular_velocity_rad_s", joint_angular_velocity_rad_s, t.size)
    power = joint_power_w(joint_moment_nm=tau, joint_angular_velocity_rad_s=omega)
    if power.ndim == 1:
        power = power[:, None]
    if power.ndim != 2:
        raise ValueError(f"joint_moment_nm: expected shape (n,) or (n, n_joints), got {tau.shape}")
    n_joints = power.shape[1]
    names = tuple(f"joint{i}" for i in range(n_joints)) if joint_names is None else tuple(joint_names)
    if len(names) != n_joints:
        raise ValueError(f"joint_names: {len(names)} names for {n_joints} joints")
    pos, neg = _split_intervals(t, power)
    pos, neg = pos.sum(axis=0), neg.sum(axis=0)
    return JointWork(
        joint_names=names,
        time_s=t,
        power_w=power,
        positive_work_j=pos,
        negative_work_j=neg,
        net_work_j=pos + neg,
        positive_work_j_kg=pos / mass,
        negative_work_j_kg=neg / mass,
        net_work_j_kg=(pos + neg) / mass,
        body_mass_kg=mass,
    )


# --------------------------------------------------------------------------------------------
# Whole-body external (COM) work
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, kw_only=True)
class ExternalWork:
    """Work done by the ground reaction force on the centre of mass (COM).

    ``P = F_grf . v_com`` equals the rate of change of the COM's kinetic plus gravitational
    potential energy (``F_grf = m (a + g)``), so its positive and negative integrals are the
    positive and negative external work in Cavagna's sense (Cavagna 1975 J Appl Physiol 39:174;
    combined-limbs method: one resultant force for all feet).

    Attributes
    ----------
    time_s : ndarray, (n,)
    power_w : ndarray, (n,)
        ``F_grf . v_com`` (W).
    positive_work_j, negative_work_j, net_work_j : float
        (J); negative work is negative.
    positive_work_j_kg, negative_work_j_kg : float
        Per kg of body mass (J/kg), NaN when no mass was given.
    """

    time_s: np.ndarray
    power_w: np.ndarray
    positive_work_j: float
    negative_work_j: float
    net_work_j: float
    positive_work_j_kg: float
    negative_work_j_kg: float


def external_work(
    *,
    time_s: ArrayLike,
    grf_n: ArrayLike,
    com_velocity_m_s: ArrayLike,
    body_mass_kg: float | None = None,
) -> ExternalWork:
    """Positive and negative external work from the GRF and the COM velocity.

    Parameters
    ----------
    time_s : array, (n,)
    grf_n : array, (n, d) or (n, n_feet, d)
        Ground reaction force on the body (N), ``d`` = 2 or 3 components in the lab frame; with
        a feet axis the forces are summed (whole-body resultant).
    com_velocity_m_s : array, (n, d)
        COM velocity (m/s) in the same frame.
    body_mass_kg : float, optional
        For the per-kg values.
    """
    t = _time(time_s)
    force = _series("grf_n", grf_n, t.size)
    velocity = _series("com_velocity_m_s", com_velocity_m_s, t.size)
    if force.ndim == 3:
        force = force.sum(axis=1)
    if force.ndim != 2 or velocity.shape != force.shape or force.shape[1] not in (2, 3):
        raise ValueError(
            f"grf_n {np.shape(grf_n)} and com_velocity_m_s {velocity.shape}: expected (n, d) with d = 2 or 3 "
            "(grf_n may have a feet axis: (n, n_feet, d))"
        )
    power = np.einsum("ij,ij->i", force, velocity)
    pos, neg = _split_intervals(t, power)
    pos_j, neg_j = float(pos.sum()), float(neg.sum())
    if body_mass_kg is None:
        per_kg_pos = per_kg_neg = math.nan
    else:
        mass = _positive("body_mass_kg", body_mass_kg, "kg")
        per_kg_pos, per_kg_neg = pos_j / mass, neg_j / mass
    return ExternalWork(
        time_s=t,
        power_w=power,
        positive_work_j=pos_j,
        negative_work_j=neg_j,
        net_work_j=pos_j + neg_j,
        positive_work_j_kg=per_kg_pos,
        negative_work_j_kg=per_kg_neg,
    )


# --------------------------------------------------------------------------------------------
# Braking and pushing
# --------------------------------------------------------------------------------------------


def travel_direction_from_velocity(com_velocity_x_m_s: ArrayLike) -> int:
    """``+1`` or ``-1``: the sign of the mean horizontal COM velocity (m/s) along lab ``x``."""
    mean = float(np.mean(np.asarray(com_velocity_x_m_s, dtype=float)))
    if not math.isfinite(mean) or mean == 0.0:
        raise ValueError(f"com_velocity_x_m_s: mean {mean!r} m/s gives no direction of travel")
    return 1 if mean > 0.0 else -1


def _travel_sign(travel_direction_x: float) -> float:
    if travel_direction_x not in (1, -1):
        raise ValueError(f"travel_direction_x: {travel_direction_x!r} must be +1 or -1 (sign along lab x)")
    return float(travel_direction_x)


@dataclass(frozen=True, eq=False, kw_only=True)
class BrakingPushing:
    """Durations and impulses of the braking and pushing phases.

    Attributes
    ----------
    braking_duration_s, pushing_duration_s : float
        Time with the horizontal GRF opposing / aiding the travel (s).
    braking_impulse_ns, pushing_impulse_ns : float
        Horizontal impulse along the direction of travel (N s): braking negative, pushing
        positive.
    braking_fraction : float
        ``braking / (braking + pushing)`` duration (NaN when both are zero).
    travel_direction_x : int
        +1 or -1, as given.
    """

    braking_duration_s: float
    pushing_duration_s: float
    braking_impulse_ns: float
    pushing_impulse_ns: float
    braking_fraction: float
    travel_direction_x: int


def com_motion_from_grf(*, time_s: ArrayLike, grf_n: ArrayLike, body_mass_kg: float,
                        gravity_m_s2: float, mean_velocity_m_s: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """COM velocity and displacement from the GRF (Cavagna's force-platform method; Cavagna 1975
    J Appl Physiol 39:174): ``a = F / m - g`` integrated once and twice (trapezoid).

    The integration constants come from steady gait: over a record of whole strides the COM
    velocity averages ``mean_velocity_m_s`` (the speed of travel along ``x``, signed; 0 for the
    vertical); the displacement starts at 0.

    Parameters
    ----------
    time_s : array, (n,)
    grf_n : array, (n, d) or (n, n_feet, d)
        GRF on the body (N), ``d`` = 2 (x, y) or 3; feet summed. ``y`` is up.
    body_mass_kg : float
    gravity_m_s2 : float
        Magnitude of gravity (m/s^2), acting along ``-y``.
    mean_velocity_m_s : array, (d,)
        Mean COM velocity over the record (m/s).

    Returns
    -------
    velocity_m_s, displacement_m : ndarray, (n, d) each
    """
    t = _time(time_s)
    mass = _positive("body_mass_kg", body_mass_kg, "kg")
    g = _positive("gravity_m_s2", gravity_m_s2, "m/s^2")
    force = _series("grf_n", grf_n, t.size)
    if force.ndim == 3:
        force = force.sum(axis=1)
    mean = np.asarray(mean_velocity_m_s, dtype=float)
    if force.ndim != 2 or force.shape[1] not in (2, 3) or mean.shape != (force.shape[1],):
        raise ValueError(f"grf_n {np.shape(grf_n)} and mean_velocity_m_s {mean.shape}: expected (n, d) "
                         "and (d,) with d = 2 or 3")
    acc = force / mass
    acc[:, 1] -= g
    velocity = cumulative_trapezoid(acc, t, axis=0, initial=0.0)
    velocity += mean - mean_power(t, velocity)     # the record's time average, set to the mean
    displacement = cumulative_trapezoid(velocity, t, axis=0, initial=0.0)
    return velocity, displacement


def braking_pushing(
    *,
    time_s: ArrayLike,
    horizontal_grf_n: ArrayLike,
    travel_direction_x: int,
    contact: ArrayLike | None = None,
) -> BrakingPushing:
    """Braking and pushing phases from the horizontal GRF along lab ``x``.

    Parameters
    ----------
    time_s : array, (n,)
    horizontal_grf_n : array, (n,)
        Horizontal (``x``) GRF on the body (N).
    travel_direction_x : {+1, -1}
        Sign of the direction of travel along ``x`` (e.g. from
        :func:`travel_direction_from_velocity`).
    contact : array of bool, (n,), optional
        Samples in contact; only intervals between two contact samples count, so force noise
        in flight and the interval from the last contact sample to the first flight sample are
        left out. Default: all intervals, which suits forces that are exactly zero in flight.
        A sign change counts from its linearly interpolated zero crossing, so tiny values at
        the ends of contact (e.g. round-off) matter only through that crossing.
    """
    t = _time(time_s)
    sign = _travel_sign(travel_direction_x)
    fx = _series("horizontal_grf_n", horizontal_grf_n, t.size)
    if fx.ndim != 1:
        raise ValueError(f"horizontal_grf_n: expected shape (n,), got {fx.shape}")
    along = sign * fx
    if contact is None:
        keep = np.ones(t.size - 1, dtype=bool)
    else:
        mask = np.asarray(contact, dtype=bool)
        if mask.shape != fx.shape:
            raise ValueError(f"contact: shape {mask.shape} differs from horizontal_grf_n {fx.shape}")
        keep = mask[:-1] & mask[1:]
    push, brake = _sign_durations(t, along)
    pos, neg = _split_intervals(t, along)
    push_s, brake_s = float(push[keep].sum()), float(brake[keep].sum())
    total = push_s + brake_s
    return BrakingPushing(
        braking_duration_s=brake_s,
        pushing_duration_s=push_s,
        braking_impulse_ns=float(neg[keep].sum()),
        pushing_impulse_ns=float(pos[keep].sum()),
        braking_fraction=brake_s / total if total > 0.0 else math.nan,
        travel_direction_x=int(sign),
    )


# --------------------------------------------------------------------------------------------
# Contact phases: vertical stiffness and aerial time
# --------------------------------------------------------------------------------------------


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive ``(first, last)`` sample indices of each run of True in a 1-D bool array."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _cell_edges(t: np.ndarray) -> np.ndarray:
    """Edges of the interval each sample stands for: midpoints, clipped to the record."""
    return np.concatenate(([t[0]], 0.5 * (t[1:] + t[:-1]), [t[-1]]))


@dataclass(frozen=True, eq=False, kw_only=True)
class VerticalStiffness:
    """Vertical stiffness per contact phase, ``k = F_peak / dy`` (McMahon & Cheng 1990 J Biomech
    23 Suppl 1:65): peak vertical GRF over the downward COM displacement from touchdown to its
    lowest point in that contact.

    Attributes
    ----------
    start_s, end_s : ndarray, (n_contacts,)
        First and last contact sample times (s).
    complete : ndarray of bool, (n_contacts,)
        False for contacts cut by the start or end of the record (their ``dy`` is unreliable).
    peak_force_n : ndarray
        Peak vertical GRF (N).
    com_drop_m : ndarray
        COM height at the first contact sample minus its minimum within the contact (m).
    k_vert_n_m : ndarray
        ``peak_force_n / com_drop_m`` (N/m); NaN when the COM does not drop.
    k_vert_per_mass_s2 : ndarray
        ``k_vert / m`` (s^-2), the mass-specific stiffness used by Cavagna and colleagues
        (e.g. Cavagna, Legramandi & La Torre 2012 J Exp Biol 215:75);
        ``sqrt(k/m) / (2 pi)`` is the natural frequency of the spring-mass system.
    natural_frequency_hz : ndarray
        ``sqrt(k/m) / (2 pi)`` (Hz).
    body_mass_kg : float
    """

    start_s: np.ndarray
    end_s: np.ndarray
    complete: np.ndarray
    peak_force_n: np.ndarray
    com_drop_m: np.ndarray
    k_vert_n_m: np.ndarray
    k_vert_per_mass_s2: np.ndarray
    natural_frequency_hz: np.ndarray
    body_mass_kg: float

    @property
    def mean_k_vert_n_m(self) -> float:
        """Mean over the complete contacts (NaN if none)."""
        values = self.k_vert_n_m[self.complete]
        return float(np.mean(values)) if values.size else math.nan


def vertical_stiffness(
    *,
    time_s: ArrayLike,
    vertical_grf_n: ArrayLike,
    com_height_m: ArrayLike,
    body_mass_kg: float,
    contact: ArrayLike | None = None,
) -> VerticalStiffness:
    """Vertical stiffness of each contact phase.

    Parameters
    ----------
    time_s : array, (n,)
    vertical_grf_n : array, (n,)
        Total vertical GRF (N).
    com_height_m : array, (n,)
        COM height (m).
    body_mass_kg : float
    contact : array of bool, (n,), optional
        Contact samples; default ``vertical_grf_n > 0``.
    """
    t = _time(time_s)
    mass = _positive("body_mass_kg", body_mass_kg, "kg")
    fy = _series("vertical_grf_n", vertical_grf_n, t.size)
    y = _series("com_height_m", com_height_m, t.size)
    if fy.ndim != 1 or y.ndim != 1:
        raise ValueError("vertical_grf_n and com_height_m: expected 1-D arrays")
    mask = fy > 0.0 if contact is None else np.asarray(contact, dtype=bool)
    if mask.shape != fy.shape:
        raise ValueError(f"contact: shape {mask.shape} differs from vertical_grf_n {fy.shape}")
    runs = _runs(mask)
    start = np.array([t[i] for i, _ in runs])
    end = np.array([t[j] for _, j in runs])
    complete = np.array([i > 0 and j < t.size - 1 for i, j in runs], dtype=bool)
    peak = np.array([fy[i : j + 1].max() for i, j in runs])
    drop = np.array([y[i] - y[i : j + 1].min() for i, j in runs])
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(drop > 0.0, peak / np.where(drop > 0.0, drop, 1.0), np.nan)
    k_m = k / mass
    return VerticalStiffness(
        start_s=start,
        end_s=end,
        complete=complete,
        peak_force_n=peak,
        com_drop_m=drop,
        k_vert_n_m=k,
        k_vert_per_mass_s2=k_m,
        natural_frequency_hz=np.sqrt(k_m) / (2.0 * math.pi),
        body_mass_kg=mass,
    )


@dataclass(frozen=True, eq=False, kw_only=True)
class AerialTime:
    """Aerial (no foot on the ground) and ground phases from contact flags.

    Each sample stands for the interval between the midpoints to its neighbours (clipped at the
    ends of the record), so a phase of ``k`` samples at uniform step ``dt`` lasts ``k dt``: the
    unbiased estimate when the true events fall between samples.

    Attributes
    ----------
    aerial_time_s : float
        Total time with no contact (s).
    aerial_fraction : float
        ``aerial_time_s`` over the record duration.
    flight_durations_s : ndarray
        Durations of complete aerial phases, bounded by contact on both sides (s).
    ground_durations_s : ndarray
        Durations of complete phases with at least one foot on the ground (s).
    """

    aerial_time_s: float
    aerial_fraction: float
    flight_durations_s: np.ndarray
    ground_durations_s: np.ndarray


def aerial_time(*, time_s: ArrayLike, contact: ArrayLike) -> AerialTime:
    """Aerial time from contact flags ``(n,)`` or ``(n, n_feet)`` (any foot down = ground)."""
    t = _time(time_s)
    flags = np.asarray(contact, dtype=bool)
    if flags.ndim not in (1, 2) or flags.shape[0] != t.size:
        raise ValueError(f"contact: expected shape (n,) or (n, n_feet) with n = {t.size}, got {flags.shape}")
    ground = flags if flags.ndim == 1 else flags.any(axis=1)
    edges = _cell_edges(t)
    cell = np.diff(edges)
    n = t.size

    def durations(mask: np.ndarray) -> np.ndarray:
        return np.array([edges[j + 1] - edges[i] for i, j in _runs(mask) if i > 0 and j < n - 1])

    aerial = float(cell[~ground].sum())
    return AerialTime(
        aerial_time_s=aerial,
        aerial_fraction=aerial / float(t[-1] - t[0]),
        flight_durations_s=durations(~ground),
        ground_durations_s=durations(ground),
    )


# --------------------------------------------------------------------------------------------
# Tendon share of muscle-tendon work
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, kw_only=True)
class TendonWorkShare:
    """Positive work of tendons, fibres (along the tendon) and whole muscle-tendon units (MTU).

    Positive work is computed per muscle and then summed within each group. Fibre power is
    ``MTU power - tendon power``. The share can exceed 1 when the tendon recoils while the fibres
    absorb energy.

    Attributes
    ----------
    group_names : tuple of str
    muscle_names : tuple of str
    tendon_positive_work_j, fiber_positive_work_j, mtu_positive_work_j : ndarray, (n_groups,)
        (J).
    tendon_share : ndarray, (n_groups,)
        ``tendon / MTU`` positive work (NaN when the MTU does no positive work).
    muscle_tendon_positive_work_j, muscle_mtu_positive_work_j : ndarray, (n_muscles,)
        Per muscle (J).
    """

    group_names: tuple[str, ...]
    muscle_names: tuple[str, ...]
    tendon_positive_work_j: np.ndarray
    fiber_positive_work_j: np.ndarray
    mtu_positive_work_j: np.ndarray
    tendon_share: np.ndarray
    muscle_tendon_positive_work_j: np.ndarray
    muscle_mtu_positive_work_j: np.ndarray


def tendon_work_share(
    *,
    time_s: ArrayLike,
    tendon_power_w: ArrayLike,
    mtu_power_w: ArrayLike,
    muscle_names: Sequence[str],
    groups: Mapping[str, Sequence[str]] | None = None,
) -> TendonWorkShare:
    """Tendon share of MTU positive work per muscle group.

    Parameters
    ----------
    time_s : array, (n,)
    tendon_power_w, mtu_power_w : array, (n, n_muscles)
        Tendon and MTU power (W), OpenSim's sign: positive when doing positive work on the
        skeleton (``-F v_T`` and ``-F v_MTU``).
    muscle_names : sequence of str, (n_muscles,)
    groups : mapping of group name to muscle names, optional
        E.g. ``{"plantarflexors": ["soleus_r", "gasmed_r"]}``; default one group per muscle.
        Every named muscle must be in ``muscle_names``.
    """
    t = _time(time_s)
    tendon = _series("tendon_power_w", tendon_power_w, t.size)
    mtu = _series("mtu_power_w", mtu_power_w, t.size)
    if tendon.ndim == 1:
        tendon = tendon[:, None]
    if mtu.ndim == 1:
        mtu = mtu[:, None]
    if tendon.shape != mtu.shape or tendon.ndim != 2:
        raise ValueError(
            f"tendon_power_w {tendon.shape} and mtu_power_w {mtu.shape}: expected equal shapes (n, n_muscles)"
        )
    names = tuple(muscle_names)
    if len(names) != tendon.shape[1] or len(set(names)) != len(names):
        raise ValueError(f"muscle_names: expected {tendon.shape[1]} distinct names, got {len(names)}")
    if groups is None:
        group_map = {name: [name] for name in names}
    else:
        group_map = {group: list(members) for group, members in groups.items()}
    index = {name: i for i, name in enumerate(names)}
    for group, members in group_map.items():
        unknown = [m for m in members if m not in index]
        if unknown:
            raise ValueError(f"groups.{group}: unknown muscles {unknown}")

    tendon_pos = _split_intervals(t, tendon)[0].sum(axis=0)
    fiber_pos = _split_intervals(t, mtu - tendon)[0].sum(axis=0)
    mtu_pos = _split_intervals(t, mtu)[0].sum(axis=0)

    def per_group(values: np.ndarray) -> np.ndarray:
        sums = [sum(values[index[m]] for m in members) for members in group_map.values()]
        return np.array(sums, dtype=float)

    g_tendon, g_fiber, g_mtu = per_group(tendon_pos), per_group(fiber_pos), per_group(mtu_pos)
    share = np.where(g_mtu > 0.0, g_tendon / np.where(g_mtu > 0.0, g_mtu, 1.0), np.nan)
    return TendonWorkShare(
        group_names=tuple(group_map),
        muscle_names=names,
        tendon_positive_work_j=g_tendon,
        fiber_positive_work_j=g_fiber,
        mtu_positive_work_j=g_mtu,
        tendon_share=share,
        muscle_tendon_positive_work_j=tendon_pos,
        muscle_mtu_positive_work_j=mtu_pos,
    )


# --------------------------------------------------------------------------------------------
# Cost of transport
# --------------------------------------------------------------------------------------------


def cost_of_transport_j_kg_m(
    *,
    metabolic_power_w_kg: ArrayLike,
    speed_m_s: ArrayLike,
    resting_power_w_kg: ArrayLike = 0.0,
) -> np.ndarray:
    """Cost of transport (J/kg/m): ``(P_met - P_rest) / speed``.

    Parameters
    ----------
    metabolic_power_w_kg : float or array
        Mean metabolic power per kg over whole cycles (W/kg), e.g. :func:`mean_power` of an
        OpenSim metabolics probe divided by body mass.
    speed_m_s : float or array
        Speed of travel (m/s), positive for either direction.
    resting_power_w_kg : float or array
        Subtracted for a net cost; default 0 (gross cost).
    """
    power = np.asarray(metabolic_power_w_kg, dtype=float)
    speed = np.asarray(speed_m_s, dtype=float)
    rest = np.asarray(resting_power_w_kg, dtype=float)
    if not (np.all(np.isfinite(speed)) and np.all(speed > 0.0)):
        raise ValueError(f"speed_m_s: {speed_m_s!r} m/s must be positive and finite")
    if not (np.all(np.isfinite(power)) and np.all(np.isfinite(rest))):
        raise ValueError("metabolic_power_w_kg and resting_power_w_kg: must be finite")
    return (power - rest) / speed
