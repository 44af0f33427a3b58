"""Whole-body centre-of-mass (COM) path of running from a prescribed vertical GRF and a rolling
centre of pressure.

This is the planner used by gait synthesis (:mod:`biomech.gait.synthesis`). It differs from the
spring-mass planner (:mod:`biomech.gait.com_path`) in how stance is modelled:

* **Vertical force**: a half sine over the contact time, ``F_y = m g A sin(pi t / t_c)`` with
  ``A = (pi / 2) T_step / t_c`` from the vertical impulse over a step (the sine-wave model of
  Alexander, Bennett & Ker 1986 and Morin et al. 2005, J Appl Biomech 21:167). The COM height
  then follows in closed form; flight is ballistic.
* **Direction of the force**: along the line from the centre of pressure (CoP) to the COM, the
  assumption of the spring-mass model (Blickhan 1989, J Biomech 22:1217; McMahon & Cheng 1990):
  the ground force makes no moment about the COM. So ``F_x = F_y (x - c(t)) / y``.
* **Centre of pressure**: it rolls along the foot with the foot's rockers instead of staying at
  one point: at the landing pivot (heel for a rearfoot strike) while the sole rotates to flat,
  from the landing pivot to the leaving pivot (metatarsal heads) while the foot is flat, and on
  to the toe tip while the heel rises (push-off ends over the hallux). The phase fractions come
  from the caller (published roll-over timing, e.g. De Cock et al. 2005, Gait Posture 21:432).

The horizontal equation ``x'' = (F_y / m) (x - c(t)) / y(t)`` is linear in ``x``, so the touchdown
position and velocity that make the step periodic (zero net horizontal impulse: the takeoff
velocity equals the touchdown velocity; the step covers ``speed / step_rate``) come from a 2 x 2
linear solve over three integrations. Because the CoP rolls, the COM is not symmetric about the
foot: with a heel strike the COM lands closer to the heel than it leaves from the metatarsal
heads, as in measured running.

The only geometric input is the COM height at touchdown. Synthesis chooses it so that the
model's knee flexion at contact equals the published value.

Units: SI (s, m, m/s, m/s², N, kg).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

from biomech.gait.com_path import ComPath, StrideParams, _number, path_from_step

__all__ = ["plan_running_com_grf", "cop_position", "vertical_sine"]

#: Accepted COM height at touchdown (m).
TOUCHDOWN_HEIGHT_RANGE_M = (0.4, 1.5)
_RTOL = 1e-11


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x**3 * (10 - 15 * x + 6 * x**2)


def cop_position(s: np.ndarray, *, flat_start: float, flat_end: float, early_m: float,
                 flat_m: float, late_m: float) -> np.ndarray:
    """CoP position (m, along the direction of travel, from the landing pivot) at stance fraction
    ``s``.

    While the sole turns to flat (``s < flat_start``) the CoP moves ``early_m`` onto the landing
    pivot (0 for a heel strike, which loads the heel first; toe tip to metatarsal heads for a
    forefoot landing); while the foot is flat it moves ``flat_m`` from the landing pivot to the
    leaving pivot; while the foot turns off the ground it moves ``late_m`` beyond it (metatarsal
    heads to toe tip in a forward push-off, which ends over the hallux: De Cock et al. 2005). Each
    move is a quintic smoothstep, so the CoP path is C2.
    """
    s = np.asarray(s, dtype=float)
    if not 0.0 <= flat_start < flat_end <= 1.0:
        raise ValueError(f"foot flat phase: need 0 <= start < end <= 1, got {flat_start}, {flat_end}")
    early = -early_m * (1.0 - _smoothstep(s / flat_start)) if flat_start > 0 else 0.0 * s
    flat = flat_m * _smoothstep((s - flat_start) / (flat_end - flat_start))
    late = late_m * _smoothstep((s - flat_end) / (1.0 - flat_end)) if flat_end < 1 else 0.0 * s
    return early + flat + late


def vertical_sine(params: StrideParams, touchdown_height_m: float, t: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """COM height (m), vertical velocity (m/s) and acceleration (m/s²) in stance, ``t`` in s from
    touchdown, for the half-sine vertical force (see the module docstring)."""
    g, t_c = params.gravity_m_s2, params.contact_time_s
    amp = math.pi / 2.0 * params.step_time_s / t_c
    v0 = g * params.flight_time_s / 2.0
    w = math.pi / t_c
    acc = g * (amp * np.sin(w * t) - 1.0)
    vel = -v0 + g * (amp / w * (1.0 - np.cos(w * t)) - t)
    pos = touchdown_height_m - v0 * t + g * (amp / w * (t - np.sin(w * t) / w) - t**2 / 2.0)
    return pos, vel, acc


def periodic_horizontal(stiffness: Callable[[float], float], cop: Callable[[float], float],
                        t_eval: np.ndarray, step_length_m: float, flight_time_s: float,
                        ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Horizontal COM motion in contact under a GRF directed at the COM from the CoP:
    ``x'' = p(t) (x - c(t))`` with ``p = F_y / (m y)`` (1/s²) given by ``stiffness(t)`` and the
    CoP ``c = cop(t)`` (m, along the travel), ``t`` from the start of contact.

    The equation is linear in ``x``: the particular solution (with the CoP) and the two
    homogeneous ones are integrated to ``t_eval[-1]`` (end of contact), and the start position
    and speed (x0, u0) that make the step periodic (same speed at the end; the contact plus a
    ballistic flight of ``flight_time_s`` covers ``step_length_m``) follow from a 2 x 2 solve.
    Returns x and u at ``t_eval`` (m, m/s) and (x0, u0)."""
    def rhs(t: float, z: np.ndarray) -> np.ndarray:
        k, c = stiffness(t), cop(t)
        # z = (xp, up, x1, u1, x2, u2): particular (with the CoP), then the homogeneous pair
        return np.array([z[1], k * (z[0] - c), z[3], k * z[2], z[5], k * z[4]])

    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), np.array([0.0, 0.0, 1.0, 0.0, 0.0, 1.0]),
                    method="DOP853", t_eval=t_eval, rtol=_RTOL, atol=1e-13)
    if not sol.success:  # pragma: no cover - smooth bounded linear problem
        raise ValueError(f"COM plan: contact integration failed: {sol.message}")
    xp, up, x1, u1, x2, u2 = sol.y
    a = np.array([[u1[-1], u2[-1] - 1.0], [x1[-1] - 1.0, x2[-1] + flight_time_s]])
    b = np.array([-up[-1], step_length_m - xp[-1]])
    x0, u0 = np.linalg.solve(a, b)
    return xp + x0 * x1 + u0 * x2, up + x0 * u1 + u0 * u2, float(x0), float(u0)


def plan_running_com_grf(
    params: StrideParams,
    *,
    touchdown_height_m: float,
    contact_travel_m: float,
    flat_start: float,
    flat_end: float,
    early_travel_m: float = 0.0,
    late_travel_m: float = 0.0,
    n_per_step: int = 200,
    n_steps: int = 2,
) -> ComPath:
    """Plan a periodic running COM path from a half-sine vertical GRF directed at the COM from a
    rolling CoP (see the module docstring).

    Parameters
    ----------
    params : StrideParams
        Speed, step rate, duty factor, direction, mass, gravity.
    touchdown_height_m : float
        COM height above the ground at touchdown (m).
    contact_travel_m : float
        Distance (m, >= 0) from the landing pivot to the leaving pivot along the direction of
        travel (heel to metatarsal heads for a rearfoot strike).
    flat_start, flat_end : float
        Stance fractions at which the foot becomes flat and at which it leaves flat; the CoP
        rolls between the pivots in between.
    early_travel_m, late_travel_m : float
        CoP travel onto the landing pivot before the foot is flat and beyond the leaving pivot
        after (m, >= 0); see :func:`cop_position`.
    n_per_step, n_steps : int
        Samples per step and number of steps (right foot first).

    Returns
    -------
    ComPath
        ``foot_position_m`` holds the landing pivot of each step; ``leg_length_m`` is the
        COM-to-CoP distance at touchdown; ``leg_stiffness_n_m`` is the peak force over the largest
        shortening of that distance (McMahon & Cheng 1990 definition).
    """
    y0 = _number("touchdown_height_m", touchdown_height_m, "m", *TOUCHDOWN_HEIGHT_RANGE_M)
    travel = float(contact_travel_m)
    for name, value in (("contact_travel_m", travel), ("early_travel_m", early_travel_m),
                        ("late_travel_m", late_travel_m)):
        if not 0.0 <= value < params.speed_m_s * params.contact_time_s:
            raise ValueError(f"{name}: {value:g} m must be in [0, speed * contact time)")
    for name, value, low in (("n_per_step", n_per_step, 20), ("n_steps", n_steps, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name}: expected an integer, got {value!r}")
        if value < low:
            raise ValueError(f"{name}: {value} is below {low}")
    g, m = params.gravity_m_s2, params.mass_kg
    t_c, t_f, step_time = params.contact_time_s, params.flight_time_s, params.step_time_s

    def cop(s: np.ndarray) -> np.ndarray:
        return cop_position(s, flat_start=flat_start, flat_end=flat_end, early_m=early_travel_m,
                            flat_m=travel, late_m=late_travel_m)

    local_t = np.arange(n_per_step) * (step_time / n_per_step)
    stance = local_t <= t_c + 1e-12
    t_eval = np.unique(np.concatenate([local_t[stance], [t_c]]))

    def stiffness(t: float) -> float:     # F_y / (m y), 1/s^2
        y_, _, ay_ = vertical_sine(params, y0, np.array([t]))
        return float((ay_[0] + g) / y_[0])

    x, u, x0, u0 = periodic_horizontal(stiffness, lambda t: float(cop(np.array([t / t_c]))[0]),
                                       t_eval, params.step_length_m, t_f)
    y, v, ay = vertical_sine(params, y0, t_eval)
    if np.min(y) <= 0.0:
        raise ValueError("plan_running_com_grf: the COM would reach the ground in stance")
    fy = m * (ay + g)
    c = cop(t_eval / t_c)
    ax = fy / m * (x - c) / y
    n_st = int(np.sum(stance))
    rel = np.empty((n_per_step, 2))
    vel = np.empty((n_per_step, 2))
    acc = np.empty((n_per_step, 2))
    rel[stance] = np.column_stack([x, y])[:n_st]
    vel[stance] = np.column_stack([u, v])[:n_st]
    acc[stance] = np.column_stack([ax, ay])[:n_st]
    xe, ye, ue, ve = x[-1], y[-1], u[-1], v[-1]       # takeoff state

    def ballistic(dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = np.column_stack([xe + ue * dt, ye + ve * dt - 0.5 * g * dt**2])
        return pos, np.column_stack([np.full_like(dt, ue), ve - g * dt])

    rel[~stance], vel[~stance] = ballistic(local_t[~stance] - t_c)
    acc[~stance] = (0.0, -g)
    end_pos, end_vel = ballistic(np.array([t_f]))

    leg = np.hypot(x - c, y)
    peak = float(np.max(fy))
    mid = float(np.min(y))
    return path_from_step(
        params, rel, vel, acc, end_pos[0], end_vel[0], stance, n_steps=n_steps,
        leg_length_m=float(leg[0]),
        touchdown_height_m=y0,
        takeoff_height_m=float(ye),
        midstance_height_m=mid,
        apex_height_m=float(ye + max(ve, 0.0) ** 2 / (2.0 * g)),
        touchdown_angle_rad=float(math.atan2(-x0, y0)),
        touchdown_velocity_m_s=np.array([params.direction_sign * u0, float(v[0])]),
        leg_stiffness_n_m=peak / max(float(leg[0] - np.min(leg)), 1e-9),
        vertical_stiffness_n_m=peak / max(y0 - mid, 1e-9),
        peak_vertical_grf_n=peak,
    )
