"""Patellofemoral (PF) joint force and stress: the lever-arm method and the muscle method.

Conventions (whole module)
--------------------------
* ``theta``: knee flexion angle in **rad**, positive = flexion, accepted within 0-150 deg
  (anything else raises :class:`ValueError`). The published fits below take theta in degrees;
  the conversion happens inside.
* ``knee_extension_moment_nm``: the net *internal* knee moment in N m, **positive when it
  extends the knee** (the quadriceps-dominated moment of mid-stance). OpenSim coordinates whose
  positive direction is flexion give the opposite sign: negate their generalized force first.
* Forces in N, areas in m^2, stress in Pa (``PFResult.stress_mpa`` and :func:`pa_to_mpa` for MPa).

Lever-arm method (running PF-stress literature, e.g. Willson et al. 2014 Clin Biomech 29:243)
--------------------------------------------------------------------------------------------
* Effective quadriceps lever arm (m), theta in deg::

      LA = 8e-8 theta**3 - 1.3e-5 theta**2 + 2.8e-4 theta + 0.046

  (46.0, 44.9, 33.3 and 24.2 mm at 0, 30, 60 and 90 deg).
* PF/quadriceps force ratio of van Eijden et al. 1986 (J Biomech 19:219), as a rational fit::

      k = (0.462 + 0.00147 theta - 3.84e-5 theta**2)
          / (1 - 0.0162 theta + 1.55e-4 theta**2 - 6.98e-7 theta**3)

  Some papers print a variant with theta**2 and theta**3 in the *numerator*; it becomes negative
  near 45 deg and is a typesetting error, so the rational form above is used.
* ``F_q = max(M_ext, 0) / LA``; ``F_pf = max(k F_q, 0)``: a knee *flexion* moment gives no
  quadriceps force in this method (the net moment is attributed to the quadriceps alone, so
  co-contraction is ignored), hence zero PF force.

Both fits are used only on **0-120 deg**, the range of the van Eijden data (their patellar
ligament angles are tabulated at 0, 10, ..., 120 deg). Beyond it the rational ``k`` is unusable:
its denominator vanishes at 128.19 deg (pole) and its numerator at 130.49 deg; the cubic ``LA``
passes its minimum at 96.3 deg and then grows to 65 mm at 150 deg. For 120 < theta <= 150 deg
both are **held at their 120 deg values** and the frames are flagged in ``PFResult.beyond_data``
(running stance stays far below 120 deg; only swing frames can reach it).

Muscle method
-------------
``F_q`` is the quadriceps tension from a muscle solution. The quadriceps path runs origin ->
patella via points -> tibial tuberosity, and the patella acts as a frictionless pulley, so the
force of one muscle on the patella is ``F (u_in + u_out)``, with ``u_in`` the unit vector from the
first patella point towards the path point before it (origin side) and ``u_out`` the unit vector
from the last patella point towards the first point after it (tuberosity side). The PF
compression is the magnitude of the sum over muscles: a straight path gives zero, a 90 deg wrap
gives ``F sqrt(2)``. :func:`pf_from_quadriceps_and_angle` instead applies the same ``k(theta)`` as
the lever-arm method to a given ``F_q``, so the two quadriceps-force estimates can be compared
with the PF geometry held equal.

Stress is ``F_pf / A(theta)`` with ``A`` from :func:`biomech.knee.contact_area.contact_area_m2`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from biomech.knee.contact_area import (
    AreaMethod,
    Sex,
    contact_area_beyond_data,
    contact_area_m2,
    flexion_deg,
)

__all__ = [
    "FIT_MAX_DEG",
    "K_DENOMINATOR",
    "K_NUMERATOR",
    "LEVER_ARM_COEFFS_M",
    "PFResult",
    "PFSummary",
    "PatellaPath",
    "fits_beyond_data",
    "lever_arm_method",
    "muscle_method",
    "pa_to_mpa",
    "pf_force_ratio",
    "pf_from_quadriceps_and_angle",
    "pf_summary",
    "stance_summary",
    "quadriceps_lever_arm_m",
    "quadriceps_patella_resultant_n",
]

logger = logging.getLogger(__name__)

#: Effective quadriceps lever arm fit (m, theta in deg), highest power first.
LEVER_ARM_COEFFS_M = (8e-8, -1.3e-5, 2.8e-4, 0.046)
#: van Eijden et al. 1986 k(theta) rational fit (theta in deg), highest power first.
K_NUMERATOR = (-3.84e-5, 0.00147, 0.462)
K_DENOMINATOR = (-6.98e-7, 1.55e-4, -0.0162, 1.0)
#: Upper end of the van Eijden data (deg); LA and k are held at their values here beyond it.
FIT_MAX_DEG = 120.0

_MIN_SEGMENT_M = 1e-9


def pa_to_mpa(stress_pa: object) -> np.ndarray:
    """Convert stress from Pa to MPa."""
    return np.asarray(stress_pa, dtype=float) * 1e-6


def _scalar_or_array(values: np.ndarray) -> np.ndarray:
    return values[()] if values.ndim == 0 else values


def quadriceps_lever_arm_m(theta_rad: object) -> np.ndarray:
    """Effective quadriceps lever arm (m) at knee flexion ``theta_rad`` (rad).

    ``LA = 8e-8 theta**3 - 1.3e-5 theta**2 + 2.8e-4 theta + 0.046`` with theta in deg, the fit used
    with van Eijden et al. 1986 in running PF-stress papers (e.g. Willson et al. 2014 Clin Biomech
    29:243). Held at its 120 deg value (30.6 mm) for theta > 120 deg (see module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(quadriceps_lever_arm_m(np.radians(60.0))), 5)
    0.03328
    """
    deg = np.minimum(flexion_deg(theta_rad), FIT_MAX_DEG)
    return _scalar_or_array(np.polyval(LEVER_ARM_COEFFS_M, deg))


def pf_force_ratio(theta_rad: object) -> np.ndarray:
    """PF compression / quadriceps force ratio ``k`` at knee flexion ``theta_rad`` (rad).

    van Eijden et al. 1986 (J Biomech 19:219) fit,
    ``k = (0.462 + 0.00147 theta - 3.84e-5 theta**2) / (1 - 0.0162 theta + 1.55e-4 theta**2
    - 6.98e-7 theta**3)`` with theta in deg (not the numerator-only variant some papers print,
    which is a typesetting error). Held at its 120 deg value (1.044) for theta > 120 deg, because
    the fit has a pole at 128.19 deg.

    Examples
    --------
    >>> round(float(pf_force_ratio(0.0)), 3)
    0.462
    """
    deg = np.minimum(flexion_deg(theta_rad), FIT_MAX_DEG)
    return _scalar_or_array(np.polyval(K_NUMERATOR, deg) / np.polyval(K_DENOMINATOR, deg))


def fits_beyond_data(theta_rad: object) -> np.ndarray:
    """Boolean mask: True where theta > 120 deg, i.e. where LA and k are held, not fitted."""
    return _scalar_or_array(flexion_deg(theta_rad) > FIT_MAX_DEG)


@dataclass(frozen=True, eq=False)
class PFResult:
    """Per-frame patellofemoral results (all arrays of shape ``(n_frames,)``, read-only).

    Attributes
    ----------
    theta_rad
        Knee flexion (rad, positive = flexion).
    quadriceps_force_n
        Quadriceps force (N): ``max(M_ext, 0) / LA`` (lever-arm method) or the summed muscle
        tension (muscle method).
    pf_force_n
        PF compression force (N), >= 0.
    contact_area_m2
        PF contact area (m^2).
    stress_pa
        ``pf_force_n / contact_area_m2`` (Pa).
    beyond_data
        True on frames where a published curve was held beyond its data (LA/k beyond 120 deg
        where used, contact area beyond 60 deg).
    method
        ``"lever_arm"``, ``"muscle"`` or ``"quadriceps_k"``.
    """

    theta_rad: np.ndarray
    quadriceps_force_n: np.ndarray
    pf_force_n: np.ndarray
    contact_area_m2: np.ndarray
    stress_pa: np.ndarray
    beyond_data: np.ndarray
    method: str

    def __post_init__(self) -> None:
        n = None
        names = (
            "theta_rad",
            "quadriceps_force_n",
            "pf_force_n",
            "contact_area_m2",
            "stress_pa",
            "beyond_data",
        )
        for name in names:
            arr = np.array(getattr(self, name), dtype=bool if name == "beyond_data" else float)
            if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
                raise ValueError(f"PFResult.{name}: expected shape ({n or 'n'},), got {arr.shape}")
            n = arr.shape[0]
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def stress_mpa(self) -> np.ndarray:
        """Stress in MPa."""
        return pa_to_mpa(self.stress_pa)

    @property
    def n_frames(self) -> int:
        return int(self.theta_rad.shape[0])


def _frames(theta_rad: object) -> tuple[np.ndarray, np.ndarray]:
    """Theta as a 1-D array in rad and deg (validated)."""
    deg = np.atleast_1d(flexion_deg(theta_rad))
    return np.radians(deg), deg


def _per_frame(values: object, n: int, name: str) -> np.ndarray:
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers, got {type(values).__name__}") from None
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},), one value per frame, got {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name}: non-finite value at index {int(np.flatnonzero(bad)[0])}")
    return arr


def _result(
    theta: np.ndarray,
    quad_n: np.ndarray,
    pf_n: np.ndarray,
    fits_held: np.ndarray,
    method: str,
    *,
    sex: Sex,
    weight_bearing: bool,
    area_method: AreaMethod,
) -> PFResult:
    area = np.atleast_1d(contact_area_m2(theta, sex=sex, weight_bearing=weight_bearing, method=area_method))
    beyond = np.atleast_1d(contact_area_beyond_data(theta)) | fits_held
    if beyond.any():
        logger.debug("%d of %d frames use PF curves held beyond their data", int(beyond.sum()), beyond.size)
    return PFResult(
        theta_rad=theta,
        quadriceps_force_n=quad_n,
        pf_force_n=pf_n,
        contact_area_m2=area,
        stress_pa=pf_n / area,
        beyond_data=beyond,
        method=method,
    )


def lever_arm_method(
    theta: object,
    knee_extension_moment_nm: object,
    *,
    sex: Sex = "male",
    weight_bearing: bool = True,
    area_method: AreaMethod = "besier2005",
) -> PFResult:
    """PF force and stress from the knee extension moment (lever-arm method).

    ``F_q = max(M_ext, 0) / LA(theta)``, ``F_pf = max(k(theta) F_q, 0)``,
    ``stress = F_pf / A(theta)``; see the module docstring for the fits and their sources.

    Parameters
    ----------
    theta
        Knee flexion (rad, positive = flexion), scalar or ``(n,)``, within 0-150 deg.
    knee_extension_moment_nm
        Net internal knee moment (N m), **positive = extension**, same shape as ``theta``. A
        flexion (negative) moment gives zero quadriceps and PF force.
    sex, weight_bearing, area_method
        Passed to :func:`~biomech.knee.contact_area.contact_area_m2`.

    Returns
    -------
    PFResult
        With ``method="lever_arm"``.
    """
    theta_rad, deg = _frames(theta)
    moment = _per_frame(knee_extension_moment_nm, deg.size, "knee_extension_moment_nm")
    quad = np.maximum(moment, 0.0) / quadriceps_lever_arm_m(theta_rad)
    pf = np.maximum(pf_force_ratio(theta_rad) * quad, 0.0)
    return _result(
        theta_rad,
        quad,
        pf,
        deg > FIT_MAX_DEG,
        "lever_arm",
        sex=sex,
        weight_bearing=weight_bearing,
        area_method=area_method,
    )


def pf_from_quadriceps_and_angle(
    theta: object,
    quadriceps_force_n: object,
    *,
    sex: Sex = "male",
    weight_bearing: bool = True,
    area_method: AreaMethod = "besier2005",
) -> PFResult:
    """PF force and stress from a given quadriceps force with the van Eijden ``k(theta)``.

    ``F_pf = k(theta) F_q``: the same PF geometry as :func:`lever_arm_method`, so feeding it the
    quadriceps force of a muscle solution isolates the difference in quadriceps force between the
    two methods.

    Parameters
    ----------
    theta
        Knee flexion (rad, positive = flexion), scalar or ``(n,)``, within 0-150 deg.
    quadriceps_force_n
        Total quadriceps tension (N), >= 0, same shape as ``theta``.

    Returns
    -------
    PFResult
        With ``method="quadriceps_k"``.
    """
    theta_rad, deg = _frames(theta)
    quad = _per_frame(quadriceps_force_n, deg.size, "quadriceps_force_n")
    _check_nonnegative(quad, "quadriceps_force_n")
    pf = np.maximum(pf_force_ratio(theta_rad) * quad, 0.0)
    return _result(
        theta_rad,
        quad,
        pf,
        deg > FIT_MAX_DEG,
        "quadriceps_k",
        sex=sex,
        weight_bearing=weight_bearing,
        area_method=area_method,
    )


def _check_nonnegative(values: np.ndarray, name: str) -> None:
    neg = values < 0.0
    if neg.any():
        i = np.unravel_index(int(np.flatnonzero(neg.ravel())[0]), values.shape)
        where = i[0] if len(i) == 1 else i
        raise ValueError(f"{name}: muscle tension must be >= 0 N, got {values[i]:.6g} N at index {where}")


class PatellaPath(NamedTuple):
    """Quadriceps path points around the patella, per frame, in one common frame (m).

    Each field is ``(n, d)`` for one muscle or ``(n, m, d)`` for ``m`` muscles, ``d`` = 2 or 3.

    before
        Last path point before the patella (origin side).
    patella_first
        First path point on the patella.
    patella_last
        Last path point on the patella (may equal ``patella_first``).
    after
        First path point after the patella (tibial tuberosity side).
    """

    before: np.ndarray
    patella_first: np.ndarray
    patella_last: np.ndarray
    after: np.ndarray


def _as_path(path_points: object) -> PatellaPath:
    if isinstance(path_points, PatellaPath):
        fields = path_points
    elif isinstance(path_points, Mapping):
        missing = [f for f in PatellaPath._fields if f not in path_points]
        if missing:
            expected = ", ".join(PatellaPath._fields)
            raise ValueError(f"path_points: missing {', '.join(missing)} (expected {expected})")
        fields = PatellaPath(**{f: path_points[f] for f in PatellaPath._fields})
    elif isinstance(path_points, Sequence) and len(path_points) == 4:
        fields = PatellaPath(*path_points)
    else:
        raise ValueError(
            "path_points: expected a PatellaPath, a mapping or 4 arrays "
            "(before, patella_first, patella_last, after)"
        )
    out = []
    for name, value in zip(PatellaPath._fields, fields, strict=True):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"path_points.{name}: expected an array of positions (m)") from None
        if not np.isfinite(arr).all():
            raise ValueError(f"path_points.{name}: contains non-finite values")
        out.append(arr)
    return PatellaPath(*out)


def _unit(vectors: np.ndarray, name: str) -> np.ndarray:
    length = np.linalg.norm(vectors, axis=-1, keepdims=True)
    short = length[..., 0] < _MIN_SEGMENT_M
    if short.any():
        i = np.unravel_index(int(np.flatnonzero(short.ravel())[0]), short.shape)
        raise ValueError(f"path_points: {name} has zero length at frame {i[0]} (coincident path points)")
    return vectors / length


def quadriceps_patella_resultant_n(quadriceps_force_n: object, path_points: object) -> np.ndarray:
    """Force vectors (N) that the quadriceps tension puts on the patella, summed over muscles.

    ``sum_j F_j (u_in_j + u_out_j)``, frictionless pulley (see module docstring).

    Parameters
    ----------
    quadriceps_force_n
        Tension (N, >= 0): ``(n,)`` for one muscle or ``(n, m)`` for ``m`` muscles.
    path_points
        :class:`PatellaPath` (or a mapping/4-sequence of its fields), each ``(n, d)`` or
        ``(n, m, d)`` matching the tension, ``d`` = 2 or 3, positions in m.

    Returns
    -------
    numpy.ndarray
        ``(n, d)`` resultant force on the patella (N), in the frame of the path points.
    """
    path = _as_path(path_points)
    try:
        force = np.asarray(quadriceps_force_n, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("quadriceps_force_n: expected an array of tensions (N)") from None
    if force.ndim not in (1, 2):
        raise ValueError(f"quadriceps_force_n: expected shape (n,) or (n, m), got {force.shape}")
    if not np.isfinite(force).all():
        raise ValueError("quadriceps_force_n: contains non-finite values")
    _check_nonnegative(force, "quadriceps_force_n")
    for name, arr in zip(PatellaPath._fields, path, strict=True):
        if arr.ndim != force.ndim + 1 or arr.shape[:-1] != force.shape or arr.shape[-1] not in (2, 3):
            want = ", ".join(str(s) for s in force.shape)
            raise ValueError(
                f"path_points.{name}: expected shape ({want}, 2 or 3) to match the tension, got {arr.shape}"
            )
    if len({arr.shape for arr in path}) != 1:
        raise ValueError("path_points: all four arrays must have the same shape")
    u_in = _unit(path.before - path.patella_first, "patella_first -> before")
    u_out = _unit(path.after - path.patella_last, "patella_last -> after")
    per_muscle = force[..., None] * (u_in + u_out)
    return per_muscle if force.ndim == 1 else per_muscle.sum(axis=1)


def muscle_method(
    theta: object,
    quadriceps_force_n: object,
    *,
    path_points: object,
    sex: Sex = "male",
    weight_bearing: bool = True,
    area_method: AreaMethod = "besier2005",
) -> PFResult:
    """PF force and stress from quadriceps tension and its path over the patella (muscle method).

    ``F_pf = |sum_j F_j (u_in_j + u_out_j)|`` (frictionless pulley), ``stress = F_pf / A(theta)``.

    Parameters
    ----------
    theta
        Knee flexion (rad, positive = flexion), ``(n,)`` (or scalar for one frame), within 0-150
        deg; used for the contact area only.
    quadriceps_force_n
        Tension (N, >= 0): ``(n,)`` for one muscle (or the lumped quadriceps) or ``(n, m)`` for
        ``m`` muscles with their own paths.
    path_points
        :class:`PatellaPath` of ``(n, d)`` or ``(n, m, d)`` positions (m), ``d`` = 2 or 3.
    sex, weight_bearing, area_method
        Passed to :func:`~biomech.knee.contact_area.contact_area_m2`.

    Returns
    -------
    PFResult
        With ``method="muscle"`` and ``quadriceps_force_n`` the summed tension.
    """
    theta_rad, deg = _frames(theta)
    resultant = quadriceps_patella_resultant_n(quadriceps_force_n, path_points)
    if resultant.shape[0] != deg.size:
        raise ValueError(f"quadriceps_force_n: {resultant.shape[0]} frames but theta has {deg.size}")
    force = np.asarray(quadriceps_force_n, dtype=float)
    quad = force if force.ndim == 1 else force.sum(axis=1)
    pf = np.linalg.norm(resultant, axis=-1)
    return _result(
        theta_rad,
        quad,
        pf,
        np.zeros(deg.size, dtype=bool),
        "muscle",
        sex=sex,
        weight_bearing=weight_bearing,
        area_method=area_method,
    )


@dataclass(frozen=True)
class PFSummary:
    """Stance summary of one step (see :func:`pf_summary`). Units are in the field names."""

    peak_pf_force_n: float
    peak_pf_force_bw: float
    time_of_peak_pf_force_pct_stance: float
    peak_stress_mpa: float
    time_of_peak_stress_pct_stance: float
    impulse_n_s: float
    impulse_bw_s: float
    stress_integral_mpa_s: float
    stance_duration_s: float
    steps_per_km: float
    impulse_bw_s_per_step: float
    impulse_bw_s_per_km: float
    stress_integral_mpa_s_per_km: float
    stance_beyond_data: bool


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def pf_summary(
    time_s: object,
    result: PFResult,
    stance_mask: object,
    body_weight_n: float,
    step_length_m: float,
) -> PFSummary:
    """Peak, timing and impulse of PF force and stress over one stance phase.

    Parameters
    ----------
    time_s
        ``(n,)`` strictly increasing sample times (s) of ``result``.
    result
        Per-frame PF results.
    stance_mask
        ``(n,)`` booleans, True on the samples of **one** contiguous stance phase (at least two
        samples); % stance runs from 0 at its first to 100 at its last sample.
    body_weight_n
        Body weight (N) for the BW-normalised values.
    step_length_m
        Step length (m): ``steps_per_km = 1000 / step_length_m``.

    Returns
    -------
    PFSummary
        Impulses are trapezoidal integrals over the stance samples. ``impulse_bw_s_per_step`` is
        the stance impulse of this step; ``impulse_bw_s_per_km`` multiplies it by every step of a
        kilometre, i.e. it assumes a symmetric gait and counts the steps of both legs (one knee
        alone sees half of it). The stress integral is treated the same way.
    """
    if not isinstance(result, PFResult):
        raise ValueError(f"result: expected a PFResult, got {type(result).__name__}")
    return stance_summary(time_s, result.pf_force_n, result.stress_pa, stance_mask, body_weight_n,
                          step_length_m, beyond_data=result.beyond_data)


def stance_summary(
    time_s: object,
    pf_force_n: object,
    stress_pa: object,
    stance_mask: object,
    body_weight_n: float,
    step_length_m: float,
    *,
    beyond_data: object | None = None,
) -> PFSummary:
    """:func:`pf_summary` on plain arrays: PF force (N) and stress (Pa) per frame, ``(n,)`` each,
    at ``time_s``; ``beyond_data`` (booleans, default all False) marks frames where a published
    curve was held beyond its data."""
    force_all = np.asarray(pf_force_n, dtype=float).reshape(-1)
    n = force_all.size
    stress_all = _per_frame(stress_pa, n, "stress_pa")
    beyond = np.zeros(n, dtype=bool) if beyond_data is None else np.asarray(beyond_data, dtype=bool)
    if beyond.shape != (n,):
        raise ValueError(f"beyond_data: expected shape ({n},), got {beyond.shape}")
    t = _per_frame(time_s, n, "time_s")
    if n > 1 and not (np.diff(t) > 0).all():
        raise ValueError("time_s: must be strictly increasing")
    mask = np.atleast_1d(np.asarray(stance_mask))
    if mask.shape != (n,) or mask.dtype != bool:
        raise ValueError(f"stance_mask: expected booleans of shape ({n},), got {mask.dtype} {mask.shape}")
    idx = np.flatnonzero(mask)
    if idx.size < 2:
        raise ValueError(f"stance_mask: need at least 2 stance samples, got {idx.size}")
    if idx[-1] - idx[0] + 1 != idx.size:
        raise ValueError("stance_mask: must mark one contiguous stance phase (cut the cycles first)")
    for name, value in (("body_weight_n", body_weight_n), ("step_length_m", step_length_m)):
        try:
            ok = bool(np.isfinite(float(value)) and float(value) > 0)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"{name}: must be a positive number, got {value!r}")

    ts = t[idx]
    force = force_all[idx]
    stress_mpa = pa_to_mpa(stress_all[idx])
    duration = float(ts[-1] - ts[0])

    def pct(i: int) -> float:
        return float((ts[i] - ts[0]) / duration * 100.0)

    i_force = int(np.argmax(force))
    i_stress = int(np.argmax(stress_mpa))
    impulse = _trapezoid(force, ts)
    impulse_bw = impulse / body_weight_n
    stress_integral = _trapezoid(stress_mpa, ts)
    steps_per_km = 1000.0 / step_length_m
    return PFSummary(
        peak_pf_force_n=float(force[i_force]),
        peak_pf_force_bw=float(force[i_force] / body_weight_n),
        time_of_peak_pf_force_pct_stance=pct(i_force),
        peak_stress_mpa=float(stress_mpa[i_stress]),
        time_of_peak_stress_pct_stance=pct(i_stress),
        impulse_n_s=impulse,
        impulse_bw_s=impulse_bw,
        stress_integral_mpa_s=stress_integral,
        stance_duration_s=duration,
        steps_per_km=steps_per_km,
        impulse_bw_s_per_step=impulse_bw,
        impulse_bw_s_per_km=impulse_bw * steps_per_km,
        stress_integral_mpa_s_per_km=stress_integral * steps_per_km,
        stance_beyond_data=bool(beyond[idx].any()),
    )
