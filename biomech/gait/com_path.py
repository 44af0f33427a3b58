"""Whole-body centre-of-mass (COM) path of running from a spring-mass (SLIP) model.

Gait synthesis plans the COM path first and then solves the joint angles so that the model's COM
follows it; the ground reaction force (GRF) is then exactly ``m (a_com - g)``. This module gives
that plan for steady running, forward or backward.

Model
-----
The body is a point mass ``m`` on a massless linear leg spring of rest length ``L0`` and
stiffness ``k`` whose foot is pinned to the ground during stance (the spring-mass model of
Blickhan 1989, J Biomech 22:1217, and McMahon & Cheng 1990, J Biomech 23 Suppl 1:65). With the
COM at ``(x, y)`` relative to the foot and ``r = sqrt(x**2 + y**2)``, stance obeys::

    m x'' = k (L0 - r) x / r
    m y'' = k (L0 - r) y / r - m g

integrated with :func:`scipy.integrate.solve_ivp` (DOP853, ``rtol = atol/scale = 1e-12``) from
touchdown, where the leg is at its rest length and at ``theta`` from the vertical (foot ahead of
the COM in the direction of travel). Flight is ballistic. The stance is required to be
*symmetric* (at half the contact time the COM is above the foot with zero vertical velocity) so
that the takeoff mirrors the touchdown. The flight then closes the step when:

* the touchdown vertical velocity is ``-g t_f / 2`` (closed form, vertical periodicity of the
  ballistic flight of duration ``t_f``);
* the stance lasts the contact time ``t_c`` (symmetry at ``t_c / 2``);
* the step covers ``speed / step_rate``: ``u t_f + 2 L0 sin(theta) = speed T_step``, with ``u``
  the horizontal touchdown (= takeoff) velocity.

The two remaining unknowns, ``k`` and ``theta``, are found with :func:`scipy.optimize.root` from a
start given by the sine-wave method of Morin et al. 2005 (J Appl Biomech 21:167), which is also
available on its own as :func:`sine_wave_estimate`. The stance horizontal force follows from the
mechanics (braking, then propulsion) and has zero impulse over a step.

The leg length ``L0`` is an input: the distance from the contact point to the COM at touchdown,
taken as the standing hip (greater trochanter) height. The default 0.95 m is a typical adult
value, about 0.53 times the height of a 1.78 m runner (Winter's anthropometric ratio); Morin et
al. 2005 found such a height-based estimate adequate for spring-mass stiffness.

The direction of travel only sets the sign of the horizontal axis: ``x`` is measured along the
ground in the lab frame and grows in the direction of travel for forward running, so backward
running has a negative x-velocity while its spring-mass mechanics are the same.

Everything is SI: s, m, m/s, m/s², N, N/m, kg.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import root

__all__ = [
    "ComPath",
    "SineWaveEstimate",
    "StrideParams",
    "plan_running_com",
    "sine_wave_estimate",
]

logger = logging.getLogger(__name__)

Direction = Literal["forward", "backward"]

#: Standard gravity (m/s²), the default of :attr:`StrideParams.gravity_m_s2`.
STANDARD_GRAVITY_M_S2 = 9.80665
#: Default leg length ``L0`` (m): hip height, ~0.53 x body height (Morin et al. 2005).
DEFAULT_LEG_LENGTH_M = 0.95

#: Accepted ranges; physiological bounds for running, wide enough for slow jogs and sprints.
SPEED_RANGE_M_S = (0.5, 8.0)
STEP_RATE_RANGE_HZ = (1.0, 4.0)
#: Duty factor range; the upper bound is exclusive (running needs a flight phase).
DUTY_FACTOR_RANGE = (0.15, 0.5)
MASS_RANGE_KG = (20.0, 250.0)
GRAVITY_RANGE_M_S2 = (1.0, 30.0)
LEG_LENGTH_RANGE_M = (0.5, 1.3)

_DIRECTIONS: tuple[Direction, ...] = ("forward", "backward")
_SIDES = ("r", "l")
#: Relative tolerance of the stance integration.
_RTOL = 1e-12
#: Accepted residual of the symmetry conditions (dimensionless, see ``_solve_slip``).
_SOLVE_TOL = 1e-10
#: Largest sin(touchdown angle): the leg meets the ground at most ~72 deg from the vertical.
_MAX_SIN_THETA = 0.95
#: A trial stance whose leg shortens below this fraction of ``L0`` is rejected as collapsed.
_MIN_LEG_FRACTION = 0.2


def _fmt(value: float) -> str:
    text = f"{value:.6g}"
    return text + ".0" if text.lstrip("-").isdigit() else text


def _number(
    name: str, value: object, unit: str, low: float, high: float, *, open_high: bool = False,
    open_low: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    number = float(value)
    suffix = f" {unit}" if unit else ""
    if not math.isfinite(number):
        raise ValueError(f"{name}: {number}{suffix} is not a finite number")
    if open_low and number <= low:
        raise ValueError(
            f"{name}: {_fmt(number)}{suffix} is not above {_fmt(low)}{suffix} (walking needs double support)"
        )
    if number < low:
        raise ValueError(f"{name}: {_fmt(number)}{suffix} is below {_fmt(low)}{suffix}")
    if open_high and number >= high:
        raise ValueError(
            f"{name}: {_fmt(number)}{suffix} is not below {_fmt(high)}{suffix} (running needs a flight phase)"
        )
    if number > high:
        raise ValueError(f"{name}: {_fmt(number)}{suffix} is above {_fmt(high)}{suffix}")
    return number


@dataclass(frozen=True, kw_only=True)
class StrideParams:
    """Stride parameters of steady running.

    Parameters
    ----------
    speed_m_s : float
        Mean speed of travel (m/s), positive; the direction is given by ``direction``.
        Accepted range 0.5–8 m/s.
    step_rate_hz : float
        Steps per second counting both feet (Hz), i.e. cadence / 60. Accepted range 1–4 Hz.
    duty_factor : float
        Contact time of one foot divided by the stride time (two steps):
        ``duty_factor = t_c / T_stride = t_c * step_rate_hz / 2``. Running has a flight phase,
        so ``duty_factor < 0.5``; accepted range 0.15 <= duty_factor < 0.5.
    direction : {"forward", "backward"}
        Direction of travel relative to where the runner faces.
    mass_kg : float
        Body mass (kg). Accepted range 20–250 kg.
    gravity_m_s2 : float, optional
        Gravitational acceleration (m/s²), default standard gravity 9.80665 m/s².
        Accepted range 1–30 m/s².

    Raises
    ------
    ValueError
        One line naming the field, the value and the violated bound, e.g.
        ``step_rate_hz: 6.0 Hz is above 4.0 Hz``.
    """

    speed_m_s: float
    step_rate_hz: float
    duty_factor: float
    direction: Direction
    mass_kg: float
    gravity_m_s2: float = STANDARD_GRAVITY_M_S2

    #: (field, unit, (low, high), open bound): duty factor below 0.5 (a flight phase)
    _CHECKS = (
        ("speed_m_s", "m/s", SPEED_RANGE_M_S, None),
        ("step_rate_hz", "Hz", STEP_RATE_RANGE_HZ, None),
        ("duty_factor", "", DUTY_FACTOR_RANGE, "high"),
        ("mass_kg", "kg", MASS_RANGE_KG, None),
        ("gravity_m_s2", "m/s^2", GRAVITY_RANGE_M_S2, None),
    )

    def __post_init__(self) -> None:
        for name, unit, (low, high), open_bound in self._CHECKS:
            value = _number(name, getattr(self, name), unit, low, high,
                            open_high=open_bound == "high", open_low=open_bound == "low")
            object.__setattr__(self, name, value)
        if self.direction not in _DIRECTIONS:
            raise ValueError(f"direction: {self.direction!r} is not 'forward' or 'backward'")

    @classmethod
    def from_stride_length(
        cls,
        *,
        speed_m_s: float,
        stride_length_m: float,
        duty_factor: float,
        direction: Direction,
        mass_kg: float,
        gravity_m_s2: float = STANDARD_GRAVITY_M_S2,
    ) -> StrideParams:
        """Build from the stride length (two steps, m) instead of the step rate.

        ``step_rate_hz = 2 * speed_m_s / stride_length_m``; the stride length must give a step
        rate in 1–4 Hz, and the error message names ``stride_length_m`` when it does not.
        """
        speed = _number("speed_m_s", speed_m_s, "m/s", *SPEED_RANGE_M_S)
        low = 2.0 * speed / STEP_RATE_RANGE_HZ[1]
        high = 2.0 * speed / STEP_RATE_RANGE_HZ[0]
        stride = _number("stride_length_m", stride_length_m, "m", 0.0, math.inf)
        if not low <= stride <= high:
            bound, rate = (low, STEP_RATE_RANGE_HZ[1]) if stride < low else (high, STEP_RATE_RANGE_HZ[0])
            side = "below" if stride < low else "above"
            raise ValueError(
                f"stride_length_m: {_fmt(stride)} m is {side} {_fmt(bound)} m "
                f"(step rate {_fmt(rate)} Hz at {_fmt(speed)} m/s)"
            )
        return cls(
            speed_m_s=speed,
            step_rate_hz=2.0 * speed / stride,
            duty_factor=duty_factor,
            direction=direction,
            mass_kg=mass_kg,
            gravity_m_s2=gravity_m_s2,
        )

    @property
    def direction_sign(self) -> float:
        """+1 for forward, -1 for backward running: the sign of the lab x-velocity."""
        return 1.0 if self.direction == "forward" else -1.0

    @property
    def step_time_s(self) -> float:
        """Duration of one step (s): ``1 / step_rate_hz``."""
        return 1.0 / self.step_rate_hz

    @property
    def stride_time_s(self) -> float:
        """Duration of one stride, two steps (s)."""
        return 2.0 / self.step_rate_hz

    @property
    def contact_time_s(self) -> float:
        """Contact time of one foot (s): ``duty_factor * stride_time_s``."""
        return self.duty_factor * self.stride_time_s

    @property
    def flight_time_s(self) -> float:
        """Aerial time of one step (s): ``step_time_s - contact_time_s`` (> 0)."""
        return (1.0 - 2.0 * self.duty_factor) / self.step_rate_hz

    @property
    def step_length_m(self) -> float:
        """Distance travelled by the COM in one step (m): ``speed_m_s / step_rate_hz``."""
        return self.speed_m_s / self.step_rate_hz

    @property
    def stride_length_m(self) -> float:
        """Distance travelled in one stride, two steps (m)."""
        return 2.0 * self.step_length_m

    @property
    def body_weight_n(self) -> float:
        """Body weight ``m g`` (N)."""
        return self.mass_kg * self.gravity_m_s2


class SineWaveEstimate(NamedTuple):
    """Spring-mass quantities from the sine-wave method (Morin et al. 2005), SI units.

    ``peak_vertical_grf_n`` (N), ``stance_compression_m`` (COM drop from touchdown to its lowest
    point, m), ``vertical_stiffness_n_m`` (N/m), ``leg_compression_m`` (m) and
    ``leg_stiffness_n_m`` (N/m).
    """

    peak_vertical_grf_n: float
    stance_compression_m: float
    vertical_stiffness_n_m: float
    leg_compression_m: float
    leg_stiffness_n_m: float


def sine_wave_estimate(
    params: StrideParams, *, leg_length_m: float = DEFAULT_LEG_LENGTH_M
) -> SineWaveEstimate:
    """Leg and vertical stiffness from contact and flight times by the sine-wave method.

    The vertical GRF is modelled as a half sine over the contact time (Morin et al. 2005,
    J Appl Biomech 21:167): the peak force follows from the vertical impulse over a step, the
    COM drop from integrating that force twice, and the leg compression adds the geometric
    shortening of a leg of length ``L0`` sweeping half the contact length ``speed * t_c / 2``.
    :func:`plan_running_com` uses it as the starting point of the spring-mass solve; it is a
    closed-form approximation, not the planned path.

    Parameters
    ----------
    params : StrideParams
        Speed, step rate, duty factor, mass and gravity.
    leg_length_m : float, optional
        Leg length ``L0`` (m), default 0.95 m.

    Returns
    -------
    SineWaveEstimate
    """
    leg = _number("leg_length_m", leg_length_m, "m", *LEG_LENGTH_RANGE_M)
    m, g = params.mass_kg, params.gravity_m_s2
    t_c, t_f = params.contact_time_s, params.flight_time_s
    peak = m * g * math.pi / 2.0 * (t_f / t_c + 1.0)
    drop = peak * t_c**2 / (m * math.pi**2) - g * t_c**2 / 8.0
    half_contact = params.speed_m_s * t_c / 2.0
    sweep = leg - math.sqrt(max(leg**2 - half_contact**2, 0.0))
    leg_compression = sweep + drop
    return SineWaveEstimate(
        peak_vertical_grf_n=peak,
        stance_compression_m=drop,
        vertical_stiffness_n_m=peak / drop,
        leg_compression_m=leg_compression,
        leg_stiffness_n_m=peak / leg_compression,
    )


def _frozen(values: object, dtype: type | str = float) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False, kw_only=True)
class ComPath:
    """A periodic COM trajectory of running, sampled uniformly in time.

    Samples are ``n_steps * n_per_step + 1`` points at ``t = i * T_step / n_per_step``: each step
    starts at a touchdown (step 0 on the right foot, then alternating) and the last sample is
    the touchdown that starts the next step. Positions are in the lab frame: ``x`` along the
    ground, positive in the runner's facing direction, so backward running moves towards
    negative ``x``; ``y`` is the height above the ground. The first sample has ``x = 0``.

    Attributes
    ----------
    params : StrideParams
        The stride parameters the path was planned for.
    leg_length_m : float
        Leg (spring) rest length ``L0`` (m).
    time_s : numpy.ndarray, shape (n,)
        Time (s), from 0.
    position_m, velocity_m_s, acceleration_m_s2 : numpy.ndarray, shape (n, 2)
        COM position (m), velocity (m/s) and acceleration (m/s²), columns ``(x, y)``.
    in_contact : numpy.ndarray of bool, shape (n,)
        True from touchdown to takeoff (both included) of the stance foot.
    stance_foot : numpy.ndarray of str, shape (n,)
        ``"r"`` or ``"l"`` for the foot in contact, ``""`` in flight.
    contact_intervals_s : numpy.ndarray, shape (n_steps, 2)
        Touchdown and takeoff time (s) of each step.
    contact_side : tuple of str
        Stance foot of each step, ``"r"``, ``"l"``, ``"r"``, ...
    foot_position_m : numpy.ndarray, shape (n_steps, 2)
        Contact point (the spring's foot) of each step (m); ``y = 0``.
    touchdown_height_m, takeoff_height_m : float
        COM height at touchdown and at takeoff (m); equal for the symmetric stance.
    midstance_height_m : float
        Lowest COM height, at mid-stance (m).
    apex_height_m : float
        Highest COM height, at mid-flight (m).
    touchdown_angle_rad : float
        Leg angle from the vertical at touchdown (rad), positive with the foot ahead of the COM
        in the direction of travel.
    touchdown_velocity_m_s : numpy.ndarray, shape (2,)
        COM velocity at touchdown (m/s) in the lab frame; the takeoff velocity has the same
        ``x`` and the opposite ``y`` component.
    leg_stiffness_n_m : float
        Spring constant ``k`` of the leg (N/m). For a linear spring it equals the
        McMahon & Cheng leg stiffness ``F_peak / dL_max``.
    vertical_stiffness_n_m : float
        ``F_peak / dy`` (N/m), with ``dy`` the COM drop from touchdown to mid-stance
        (McMahon & Cheng 1990).
    peak_vertical_grf_n : float
        Largest vertical GRF (N), at mid-stance.
    """

    params: StrideParams
    leg_length_m: float
    time_s: np.ndarray
    position_m: np.ndarray
    velocity_m_s: np.ndarray
    acceleration_m_s2: np.ndarray
    in_contact: np.ndarray
    stance_foot: np.ndarray
    contact_intervals_s: np.ndarray
    contact_side: tuple[str, ...]
    foot_position_m: np.ndarray
    touchdown_height_m: float
    takeoff_height_m: float
    midstance_height_m: float
    apex_height_m: float
    touchdown_angle_rad: float
    touchdown_velocity_m_s: np.ndarray
    leg_stiffness_n_m: float
    vertical_stiffness_n_m: float
    peak_vertical_grf_n: float
    _gravity: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("time_s", "position_m", "velocity_m_s", "acceleration_m_s2"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        for name in ("contact_intervals_s", "foot_position_m", "touchdown_velocity_m_s"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "in_contact", _frozen(self.in_contact, bool))
        object.__setattr__(self, "stance_foot", _frozen(self.stance_foot, "<U1"))
        object.__setattr__(self, "_gravity", _frozen([0.0, -self.params.gravity_m_s2]))

    def __repr__(self) -> str:
        p = self.params
        return (
            f"ComPath({p.direction}, {_fmt(p.speed_m_s)} m/s, {_fmt(p.step_rate_hz)} Hz, duty factor "
            f"{_fmt(p.duty_factor)}, {self.n_steps} steps x {len(self.time_s) // self.n_steps} samples, "
            f"k_leg {self.leg_stiffness_n_m:.4g} N/m, k_vert {self.vertical_stiffness_n_m:.4g} N/m, "
            f"peak {self.peak_vertical_grf_bw:.3g} BW, excursion {self.vertical_excursion_m:.4g} m)"
        )

    @property
    def n_steps(self) -> int:
        """Number of steps planned."""
        return len(self.contact_side)

    @property
    def step_time_s(self) -> float:
        """Duration of one step (s)."""
        return self.params.step_time_s

    @property
    def vertical_excursion_m(self) -> float:
        """Peak-to-peak COM vertical excursion over a step (m): apex minus mid-stance height."""
        return self.apex_height_m - self.midstance_height_m

    @property
    def stance_compression_m(self) -> float:
        """COM drop from touchdown to mid-stance (m), the ``dy`` of the vertical stiffness."""
        return self.touchdown_height_m - self.midstance_height_m

    @property
    def leg_compression_m(self) -> float:
        """Largest leg-spring compression (m), at mid-stance: ``L0 - midstance_height_m``."""
        return self.leg_length_m - self.midstance_height_m

    @property
    def peak_vertical_grf_bw(self) -> float:
        """Peak vertical GRF in body weights."""
        return self.peak_vertical_grf_n / self.params.body_weight_n

    def grf_n(self) -> np.ndarray:
        """Ground reaction force ``m (a - g)`` at every sample (N), shape (n, 2), columns (x, y).

        ``g = (0, -gravity)``; the force is exactly zero in flight, where ``a = g``.
        """
        grf = self.params.mass_kg * (self.acceleration_m_s2 - self._gravity)
        grf[~self.in_contact] = 0.0
        return grf


def _stance_rhs(k_over_m: float, leg: float, g: float, travel: float = 0.0, t_c: float = 1.0
                ) -> Callable[[float, np.ndarray], list[float]]:
    """Spring-mass stance; the spring's foot moves from -travel/2 to +travel/2 (linear in time)."""

    def rhs(t: float, state: np.ndarray) -> list[float]:
        x, y, vx, vy = state
        dx = x - travel * (t / t_c - 0.5)
        r = math.hypot(dx, y)
        scale = k_over_m * (leg - r) / r
        return [vx, vy, scale * dx, scale * y - g]

    return rhs


def _leg_collapse(leg: float) -> Callable[[float, np.ndarray], float]:
    """Terminal event of a trial integration whose spring is too soft to hold the mass up."""

    def event(_t: float, state: np.ndarray) -> float:
        return min(math.hypot(state[0], state[1]) - _MIN_LEG_FRACTION * leg, state[1])

    event.terminal = True  # type: ignore[attr-defined]
    return event


def _integrate_stance(
    k_over_m: float, theta: float, u: float, v0: float, leg: float, g: float, t_eval: np.ndarray,
    travel: float = 0.0, t_c: float = 1.0,
) -> np.ndarray | None:
    """States ``(x, y, vx, vy)`` relative to the foot at ``t_eval`` (s from touchdown), (4, n).

    ``None`` when the leg collapses below ``_MIN_LEG_FRACTION * L0`` (or the COM reaches the
    ground) before the last time.
    """
    start = [-travel / 2.0 - leg * math.sin(theta), leg * math.cos(theta), u, -v0]
    speed_scale = max(abs(u), abs(v0), 1.0)
    sol = solve_ivp(
        _stance_rhs(k_over_m, leg, g, travel, t_c),
        (0.0, float(t_eval[-1])),
        start,
        method="DOP853",
        t_eval=t_eval,
        events=_leg_collapse(leg) if travel == 0.0 else None,
        rtol=_RTOL,
        atol=[_RTOL * leg, _RTOL * leg, _RTOL * speed_scale, _RTOL * speed_scale],
    )
    if sol.status == 1:
        return None
    if not sol.success:  # pragma: no cover - DOP853 on a smooth, bounded problem
        raise ValueError(f"plan_running_com: stance integration failed: {sol.message}")
    return sol.y


def _infeasible(params: StrideParams, leg: float, why: str) -> ValueError:
    return ValueError(
        f"plan_running_com: no periodic spring-mass stance for speed {_fmt(params.speed_m_s)} m/s, "
        f"step rate {_fmt(params.step_rate_hz)} Hz, duty factor {_fmt(params.duty_factor)} and "
        f"leg length {_fmt(leg)} m: {why}"
    )


def _solve_slip(params: StrideParams, leg: float, travel: float = 0.0
                ) -> tuple[float, float, float, float]:
    """Leg stiffness over mass (1/s²), touchdown angle (rad), horizontal and vertical speeds.

    Unknowns are ``z = (log(k t_c² / m), logit(sin(theta) / s_max))``: the map keeps the
    stiffness positive and ``0 < sin(theta) < s_max``, where ``s_max`` keeps the touchdown angle
    below ``asin(_MAX_SIN_THETA)`` and the horizontal flight speed positive.
    """
    g, t_c, t_f = params.gravity_m_s2, params.contact_time_s, params.flight_time_s
    distance = params.speed_m_s * params.step_time_s
    half_contact = (params.speed_m_s * t_c - travel) / 2.0
    if half_contact > _MAX_SIN_THETA * leg:
        raise _infeasible(
            params,
            leg,
            f"the contact length speed * t_c = {half_contact * 2.0:.3g} m is more than the leg "
            f"can sweep ({2.0 * _MAX_SIN_THETA * leg:.3g} m)",
        )
    v0 = g * t_f / 2.0
    s_max = min(_MAX_SIN_THETA, (distance - travel) / (2.0 * leg))
    t_half = np.array([t_c / 2.0])

    def unpack(z: np.ndarray) -> tuple[float, float, float]:
        k_over_m = math.exp(z[0]) / t_c**2
        sin_theta = s_max / (1.0 + math.exp(-z[1]))
        return k_over_m, math.asin(sin_theta), (distance - travel - 2.0 * leg * sin_theta) / t_f

    def residual(z: np.ndarray) -> np.ndarray:
        k_over_m, theta, u = unpack(z)
        states = _integrate_stance(k_over_m, theta, u, v0, leg, g, t_half, travel, t_c)
        if states is None:
            return np.array([1.0, 1.0])
        x, _, _, vy = states[:, 0]
        return np.array([x / leg, vy / (g * t_c)])

    guess = sine_wave_estimate(params, leg_length_m=leg)
    share = min(max(half_contact / leg / s_max, 0.02), 0.98)
    z0 = np.array(
        [math.log(guess.leg_stiffness_n_m / params.mass_kg * t_c**2), math.log(share / (1 - share))]
    )
    sol = root(residual, z0, method="hybr", options={"xtol": 1e-13, "maxfev": 400})
    error = float(np.max(np.abs(residual(sol.x))))
    k_over_m, theta, u = unpack(sol.x)
    if error > _SOLVE_TOL:
        raise _infeasible(params, leg, f"the solve did not converge (residual {error:.1e})")
    logger.debug(
        "spring-mass solve: k=%.6g N/m, theta=%.4f deg, u=%.6g m/s, v0=%.6g m/s, residual %.1e",
        k_over_m * params.mass_kg,
        math.degrees(theta),
        u,
        v0,
        error,
    )
    return k_over_m, theta, u, v0


def assemble_steps(params: StrideParams, rel: np.ndarray, vel: np.ndarray, acc: np.ndarray,
                   end_pos: np.ndarray, end_vel: np.ndarray, foot_x: np.ndarray,
                   stance: np.ndarray) -> tuple[np.ndarray, ...]:
    """Repeat one step's COM samples (relative to its contact point, x along the travel) at the
    contact points ``foot_x`` of each step, append the closing sample, and flip x for backward
    running. Returns position, velocity, acceleration (n, 2), the side of each step, and per
    sample whether a foot is in contact and which."""
    n_per_step, n_steps = rel.shape[0], foot_x.size
    n = n_steps * n_per_step + 1
    pos, velocity, accel = np.empty((n, 2)), np.empty((n, 2)), np.empty((n, 2))
    for j in range(n_steps):
        block = slice(j * n_per_step, (j + 1) * n_per_step)
        pos[block] = rel + (foot_x[j], 0.0)
        velocity[block], accel[block] = vel, acc
    pos[-1] = end_pos + (foot_x[-1], 0.0)
    velocity[-1], accel[-1] = end_vel, (0.0, -params.gravity_m_s2)
    for array in (pos, velocity, accel):
        array[:, 0] *= params.direction_sign
    sides = tuple(_SIDES[j % 2] for j in range(n_steps))
    in_contact = np.concatenate([np.tile(stance, n_steps), [True]])
    stance_foot = np.concatenate([np.repeat(sides, n_per_step), [_SIDES[n_steps % 2]]])
    stance_foot[~in_contact] = ""
    return pos, velocity, accel, sides, in_contact, stance_foot


def path_from_step(params: StrideParams, rel: np.ndarray, vel: np.ndarray, acc: np.ndarray,
                   end_pos: np.ndarray, end_vel: np.ndarray, stance: np.ndarray, *, n_steps: int,
                   end_acc: np.ndarray | None = None, first_pivot_m: float = 0.0,
                   start_at_zero: bool = True, **outcomes: Any) -> ComPath:
    """A :class:`ComPath` from one step's samples relative to its landing pivot (x along the
    travel): the step repeated at pivots one step length apart from ``first_pivot_m``
    (:func:`assemble_steps`), shifted so that the first sample has x = 0 when
    ``start_at_zero``. ``end_acc`` is the acceleration of the closing sample (default: free fall,
    the start of a flight); ``outcomes`` are the scalar fields of the path (``leg_length_m``,
    ``touchdown_height_m``, ...)."""
    n_per_step = rel.shape[0]
    step_time = params.step_time_s
    foot_x = first_pivot_m + params.step_length_m * np.arange(n_steps)   # landing pivots
    pos, velocity, accel, sides, in_contact, stance_foot = assemble_steps(
        params, rel, vel, acc, end_pos, end_vel, foot_x, stance)
    if end_acc is not None:
        accel[-1] = (params.direction_sign * end_acc[0], end_acc[1])
    shift = pos[0, 0] if start_at_zero else 0.0
    pos[:, 0] -= shift
    starts = step_time * np.arange(n_steps)
    return ComPath(
        params=params,
        time_s=np.arange(pos.shape[0]) * (step_time / n_per_step),
        position_m=pos,
        velocity_m_s=velocity,
        acceleration_m_s2=accel,
        in_contact=in_contact,
        stance_foot=stance_foot,
        contact_intervals_s=np.column_stack([starts, starts + params.contact_time_s]),
        contact_side=sides,
        foot_position_m=np.column_stack([params.direction_sign * foot_x - shift, np.zeros(n_steps)]),
        **outcomes,
    )


def plan_running_com(
    params: StrideParams,
    *,
    leg_length_m: float = DEFAULT_LEG_LENGTH_M,
    n_per_step: int = 200,
    n_steps: int = 2,
    contact_travel_m: float = 0.0,
) -> ComPath:
    """Plan a periodic COM path of running with a spring-mass stance and a ballistic flight.

    Solves the leg stiffness and touchdown angle of a linear spring-mass model so that the
    stance is symmetric and lasts ``params.contact_time_s``, and the flight closes the step
    (vertical periodicity, mean speed ``params.speed_m_s``, step time ``1 / step_rate_hz``);
    see the module docstring for the equations and sources.

    Parameters
    ----------
    params : StrideParams
        Speed, step rate, duty factor, direction, mass and gravity.
    leg_length_m : float, optional
        Rest length ``L0`` of the leg spring (m): contact point to COM at touchdown, taken as the
        standing hip height. Default 0.95 m; accepted range 0.5–1.3 m.
    n_per_step : int, optional
        Samples per step (default 200); the path has ``n_steps * n_per_step + 1`` samples.
    n_steps : int, optional
        Number of steps (default 2, one stride: right then left foot).
    contact_travel_m : float, optional
        Distance (m) the spring's contact point travels forward (in the direction of travel),
        at constant speed, during stance: the progression of the centre of pressure along the
        foot as it rolls (heel to metatarsal heads for a rearfoot strike). Default 0 (a fixed
        point, the classic spring-mass model). ``foot_position_m`` is the point's mid-stance
        position.

    Returns
    -------
    ComPath

    Raises
    ------
    ValueError
        Bad ``leg_length_m``, ``n_per_step`` or ``n_steps``, or no periodic spring-mass solution
        for these inputs (for instance a contact length ``speed * t_c`` far beyond the leg).
    """
    leg = _number("leg_length_m", leg_length_m, "m", *LEG_LENGTH_RANGE_M)
    for name, value, low in (("n_per_step", n_per_step, 20), ("n_steps", n_steps, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name}: expected an integer, got {value!r}")
        if value < low:
            raise ValueError(f"{name}: {value} is below {low}")
    n_per_step, n_steps = int(n_per_step), int(n_steps)

    g, m = params.gravity_m_s2, params.mass_kg
    t_c, t_f, step_time = params.contact_time_s, params.flight_time_s, params.step_time_s
    travel = float(contact_travel_m)
    if not 0.0 <= travel < params.speed_m_s * t_c:
        raise ValueError(f"contact_travel_m: {travel:g} m must be in [0, speed * contact time)")
    k_over_m, theta, u, v0 = _solve_slip(params, leg, travel)

    # One step on the local clock (0 = touchdown); every step is the same, shifted in x.
    local_t = np.arange(n_per_step) * (step_time / n_per_step)
    stance = local_t <= t_c
    stance_t = local_t[stance]
    t_eval = np.unique(np.concatenate([stance_t, [t_c / 2.0, t_c]]))
    states = _integrate_stance(k_over_m, theta, u, v0, leg, g, t_eval, travel, t_c)
    if states is None:  # pragma: no cover - the solved stance reached mid-stance already
        raise _infeasible(params, leg, "the leg spring collapses in stance")
    foot_t = travel * (t_eval / t_c - 0.5)
    compression = leg - np.hypot(states[0] - foot_t, states[1])
    if np.min(compression) < -1e-9 * leg or np.min(states[1]) <= 0.0:
        raise _infeasible(params, leg, "the leg spring would pull on the ground in stance")
    at = {float(t): states[:, i] for i, t in enumerate(t_eval)}
    mid, takeoff = at[t_c / 2.0], at[t_c]
    stance_states = np.column_stack([at[float(t)] for t in stance_t])

    rel = np.empty((n_per_step, 2))
    vel = np.empty((n_per_step, 2))
    acc = np.empty((n_per_step, 2))
    rel[stance], vel[stance] = stance_states[:2].T, stance_states[2:].T
    dx = rel[stance, 0] - travel * (stance_t / t_c - 0.5)
    r = np.hypot(dx, rel[stance, 1])
    spring = k_over_m * (leg - r) / r
    acc[stance] = np.column_stack([spring * dx, spring * rel[stance, 1] - g])

    def ballistic(dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = np.column_stack([takeoff[0] + takeoff[2] * dt, takeoff[1] + takeoff[3] * dt - 0.5 * g * dt**2])
        return pos, np.column_stack([np.full_like(dt, takeoff[2]), takeoff[3] - g * dt])

    flight_dt = local_t[~stance] - t_c
    rel[~stance], vel[~stance] = ballistic(flight_dt)
    acc[~stance] = (0.0, -g)
    end_pos, end_vel = ballistic(np.array([t_f]))

    sign = params.direction_sign
    touchdown_height = leg * math.cos(theta)
    midstance_height = float(mid[1])
    peak = m * k_over_m * (leg - midstance_height)
    return path_from_step(
        params, rel, vel, acc, end_pos[0], end_vel[0], stance, n_steps=n_steps,
        first_pivot_m=travel / 2.0 + leg * math.sin(theta), start_at_zero=False,
        leg_length_m=leg,
        touchdown_height_m=touchdown_height,
        takeoff_height_m=float(takeoff[1]),
        midstance_height_m=midstance_height,
        apex_height_m=float(takeoff[1] + takeoff[3] ** 2 / (2.0 * g)),
        touchdown_angle_rad=theta,
        touchdown_velocity_m_s=np.array([sign * u, -v0]),
        leg_stiffness_n_m=m * k_over_m,
        vertical_stiffness_n_m=peak / (touchdown_height - midstance_height),
        peak_vertical_grf_n=peak,
    )
