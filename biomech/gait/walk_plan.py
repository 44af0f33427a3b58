"""Whole-body centre-of-mass (COM) path of walking from a periodic vertical GRF and a combined
centre of pressure.

The walking counterpart of :mod:`biomech.gait.grf_plan` (running); synthesis uses it in
``mode="walking"``.

* **Vertical force** (both feet together): the first Fourier harmonic of the periodic walking
  force at the step frequency ``f``, ``F_y = m g (1 + a1 cos(2 pi f (t - T_ds / 2)))``, with ``t``
  from the leading foot's strike and ``T_ds`` the double-support time: the force is largest in
  the middle of double support, where the COM is lowest, and smallest in the middle of single
  support, where the COM vaults over the stance leg (inverted-pendulum walking; Cavagna,
  Heglund & Taylor 1977). The vertical impulse over a step is the weight times the step time by
  construction, and the COM height follows in closed form. ``a1`` is the first-harmonic dynamic
  load factor of walking, by default ``0.41 (f - 0.95)`` (Young 2001, as used for footbridge
  design; see :func:`first_harmonic_dlf`).
* **Direction of the force**: from the combined centre of pressure (CoP) of the two feet to the
  COM, as in running (the ground force makes no moment about the COM). Each foot's CoP rolls
  along it (heel -> metatarsal heads -> toe tip for a forward walk, caller's roll-over timing);
  in double support the combined CoP is the vertical-force-weighted mean of the two, with the
  trailing foot's share of the vertical force from the smooth transition assumption of Ren,
  Jones & Howard 2008 (:mod:`biomech.gait.double_support`).
* **Periodicity**: ``x'' = (F_y / m) (x - c(t)) / y(t)`` is linear in ``x``; the start position
  and speed that make the step periodic (same speed after a step, ``speed / step_rate`` covered)
  come from a 2 x 2 linear solve over three integrations.

The only geometric input is the COM height at the leading foot's strike, which synthesis
chooses so that the model's knee flexion at contact is the published value.

Units: SI (s, m, m/s, m/s², N, kg).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from biomech.gait.com_path import (
    GRAVITY_RANGE_M_S2,
    MASS_RANGE_KG,
    ComPath,
    StrideParams,
    _number,
    path_from_step,
)
from biomech.gait.double_support import transition_shares

__all__ = ["WalkingParams", "first_harmonic_dlf", "plan_walking_com_grf", "walking_cop"]

#: Accepted ranges of walking parameters (the checks of :class:`WalkingParams`).
WALK_SPEED_RANGE_M_S = (0.1, 3.0)
WALK_STEP_RATE_RANGE_HZ = (0.8, 3.0)
WALK_DUTY_FACTOR_RANGE = (0.5, 0.85)


@dataclass(frozen=True)
class WalkingParams(StrideParams):
    """Stride parameters of steady walking (same fields as :class:`StrideParams`).

    ``duty_factor`` = stance time of one foot / stride time, above 0.5 (double support); the
    double-support time of each step is ``contact_time_s - step_time_s``.
    """

    #: the checks of StrideParams with walking ranges: duty factor above 0.5 (double support)
    _CHECKS = (
        ("speed_m_s", "m/s", WALK_SPEED_RANGE_M_S, None),
        ("step_rate_hz", "Hz", WALK_STEP_RATE_RANGE_HZ, None),
        ("duty_factor", "", WALK_DUTY_FACTOR_RANGE, "low"),
        ("mass_kg", "kg", MASS_RANGE_KG, None),
        ("gravity_m_s2", "m/s^2", GRAVITY_RANGE_M_S2, None),
    )

    @property
    def flight_time_s(self) -> float:
        """Walking has no aerial phase (s)."""
        return 0.0

    @property
    def double_support_time_s(self) -> float:
        """Duration of one double support (s): ``contact_time_s - step_time_s``."""
        return self.contact_time_s - self.step_time_s


def first_harmonic_dlf(step_rate_hz: float) -> float:
    """First-harmonic dynamic load factor of the vertical walking force (dimensionless).

    ``0.41 (f - 0.95)`` for step frequency ``f`` in Hz, capped at 0.56 (Young 2001, "Improved
    floor vibration prediction methodologies", Arup Vibration Seminar; as quoted in footbridge
    design guidance and in the review of Zivanovic, Pavic & Reynolds 2005, J Sound Vib 279:1).
    Read from secondary sources, not from the original: a ``confirmed: false`` default.
    """
    return float(min(max(0.41 * (step_rate_hz - 0.95), 0.0), 0.56))


def walking_cop(s_lead: np.ndarray, t_s: np.ndarray, params: WalkingParams,
                cop: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Combined CoP (m, along the travel, from the leading foot's landing pivot) and the trailing
    foot's vertical share over one step.

    ``cop(s)`` is one foot's CoP at stance fraction ``s`` relative to its landing pivot;
    ``t_s`` is the time from the leading foot's strike, ``s_lead = t_s / contact_time_s``.
    """
    t_ds, t_c = params.double_support_time_s, params.contact_time_s
    trailing, _ = transition_shares(t_s, 0.0, t_ds, component="vertical", exact_end=True)
    c_lead = cop(s_lead)
    c_trail = -params.step_length_m + cop(np.clip((t_s + params.step_time_s) / t_c, 0.0, 1.0))
    return trailing * c_trail + (1.0 - trailing) * c_lead, trailing


def _vertical(params: WalkingParams, y0: float, dlf: float, t: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """COM height (m), vertical velocity (m/s) and acceleration (m/s²), ``t`` from the leading
    foot's strike; ``y0`` is the height at the strike."""
    g = params.gravity_m_s2
    w = 2.0 * math.pi * params.step_rate_hz
    phase = w * (t - params.double_support_time_s / 2.0)
    amp = dlf * g / w**2
    y_mean = y0 + amp * math.cos(w * params.double_support_time_s / 2.0)
    return y_mean - amp * np.cos(phase), amp * w * np.sin(phase), dlf * g * np.cos(phase)


def plan_walking_com_grf(
    params: WalkingParams,
    *,
    touchdown_height_m: float,
    contact_travel_m: float,
    flat_start: float,
    flat_end: float,
    early_travel_m: float = 0.0,
    late_travel_m: float = 0.0,
    first_harmonic: float | None = None,
    n_per_step: int = 200,
    n_steps: int = 2,
) -> ComPath:
    """Plan a periodic walking COM path (see the module docstring).

    Parameters are those of :func:`biomech.gait.grf_plan.plan_running_com_grf` (the CoP roll of
    one foot), plus ``first_harmonic``: the dynamic load factor ``a1`` (default
    :func:`first_harmonic_dlf` of the step rate). ``touchdown_height_m`` is the COM height at the
    leading foot's strike (m).

    Returns a :class:`~biomech.gait.com_path.ComPath` whose samples are all in contact;
    ``foot_position_m`` holds each step's landing pivot.
    """
    from biomech.gait.grf_plan import TOUCHDOWN_HEIGHT_RANGE_M, cop_position, periodic_horizontal

    if not isinstance(params, WalkingParams):
        raise TypeError("plan_walking_com_grf: params must be WalkingParams")
    y0 = _number("touchdown_height_m", touchdown_height_m, "m", *TOUCHDOWN_HEIGHT_RANGE_M)
    dlf = first_harmonic_dlf(params.step_rate_hz) if first_harmonic is None else float(first_harmonic)
    if not 0.0 <= dlf < 1.0:
        raise ValueError(f"first_harmonic: {dlf:g} must be in [0, 1) (the force must stay positive)")
    for name, value in (("n_per_step", n_per_step), ("n_steps", n_steps)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    g, t_c, step_time = params.gravity_m_s2, params.contact_time_s, params.step_time_s

    def cop(s: np.ndarray) -> np.ndarray:
        return cop_position(s, flat_start=flat_start, flat_end=flat_end, early_m=early_travel_m,
                            flat_m=contact_travel_m, late_m=late_travel_m)

    def combined(t: np.ndarray) -> np.ndarray:
        return walking_cop(np.clip(t / t_c, 0.0, 1.0), t, params, cop)[0]

    def stiffness(t: float) -> float:
        y, _, ay = _vertical(params, y0, dlf, np.array([t]))
        return float((ay[0] + g) / y[0])

    local_t = np.arange(n_per_step) * (step_time / n_per_step)
    t_eval = np.concatenate([local_t, [step_time]])
    x, u, x0, u0 = periodic_horizontal(stiffness, lambda t: float(combined(np.array([t]))[0]),
                                       t_eval, params.step_length_m, 0.0)
    y, v, ay = _vertical(params, y0, dlf, t_eval)
    if np.min(y) <= 0.0:
        raise ValueError("plan_walking_com_grf: the COM would reach the ground")
    fy = params.mass_kg * (ay + g)
    c = combined(t_eval)
    ax = fy / params.mass_kg * (x - c) / y
    rel = np.column_stack([x, y])[:-1]
    vel = np.column_stack([u, v])[:-1]
    acc = np.column_stack([ax, ay])[:-1]
    leg = np.hypot(x - c, y)
    peak = float(np.max(fy))
    low, high = float(np.min(y)), float(np.max(y))
    return path_from_step(
        params, rel, vel, acc, np.array([x[-1], y[-1]]), np.array([u[-1], v[-1]]),
        np.ones(n_per_step, dtype=bool), n_steps=n_steps,
        end_acc=acc[0],                          # the closing sample starts the next step
        leg_length_m=float(leg[0]),
        touchdown_height_m=y0,
        takeoff_height_m=float(np.interp(params.double_support_time_s, t_eval, y)),
        midstance_height_m=high,
        apex_height_m=high,
        touchdown_angle_rad=float(math.atan2(-x0, y0)),
        touchdown_velocity_m_s=np.array([params.direction_sign * u0, float(v[0])]),
        leg_stiffness_n_m=math.nan,
        vertical_stiffness_n_m=peak / (high - low) if high > low else math.nan,
        peak_vertical_grf_n=peak,
    )
