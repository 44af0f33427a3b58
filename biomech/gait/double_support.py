"""Split the whole-body ground reaction force between the two feet during double support.

During double support the whole-body load ``m (a_com - g)`` (and its moment) is shared by two feet
and the mechanics alone cannot say how. This module implements the *smooth transition assumption*
(STA) of Ren, Jones & Howard 2008 (J Biomech 41:2750-2759, doi 10.1016/j.jbiomech.2008.06.001):
over a double support that starts when the leading foot strikes (``t_strike``) and ends when the
trailing foot leaves (``t_toe_off``), the trailing foot's share of each load component decays from
1 to 0 along a fixed, smooth function of the normalised time ``tau = (t - t_strike) / T_ds``,
``T_ds = t_toe_off - t_strike``; the leading foot carries the rest, so the two feet always add up
to the whole-body load.

The transition functions
------------------------
* Vertical force, mediolateral force and the moment components (the exponential STA function)::

      f(tau) = exp(-(2 tau)**3)

  ``f(0) = 1`` with zero first and second derivative (the trailing foot lets go smoothly);
  ``f(1) = exp(-8) = 3.4e-4``, so as published it does not reach zero exactly at toe-off.
* Anteroposterior force::

      f_ap(tau) = k1 exp(-(2 (tau - 1/3))**2) - 2 k2 tau,   k1 = exp(4/9),  k2 = k1 exp(-16/9) / 2

  ``f_ap(0) = 1`` and ``f_ap(1) = 0`` (to rounding). It first *rises* above 1 (maximum about 1.47
  near ``tau = 0.31``): the trailing foot is still pushing while the leading foot brakes, so the
  leading foot's anteroposterior share is negative early in double support.

Source and confidence. Ren et al. 2008 is cited by doi for this rule in the OpenSimRT code base
(Stanev, Filip et al. 2021, Sensors 21:1804; github.com/mitkof6/OpenSimRT,
``OpenSimRT/RealTime/src/GRFMPrediction.cpp`` and its Python comparison script, where both
functions appear with the constants above). The equations in the paper itself could not be read
here, so their equation numbers are **not** given and the functions are carried over from that
secondary implementation. Two points that could not be checked against the paper are left as
options:

* ``scaling="current_total"`` (default, the OpenSimRT form): trailing component
  ``= f(tau) * F_total(t)``. ``scaling="value_at_strike"``: trailing component
  ``= f(tau) * F_total(t_strike)`` (the load the trailing foot carried when double support began
  decays along ``f``) and the leading foot takes ``F_total(t) - trailing``. Both keep the total.
* ``exact_end=True`` rescales a function to ``(f - f(1)) / (f(0) - f(1))`` so that the share is
  exactly 0 at toe-off (a change of at most 3.4e-4 for the exponential function, none for the
  anteroposterior one). The default keeps the published form, whose trailing vertical share
  falls from 3.4e-4 to 0 when the trailing foot leaves.

Moments and centre of pressure. The moment of the whole-body load about the ground origin is
split with the exponential function, component by component (as OpenSimRT does for moments);
each foot's centre of pressure and vertical free moment then follow from its own force and
moment (:func:`cop_and_free_moment`).

Frame. OpenSim ground frame: ``x`` anteroposterior (the lab's horizontal axis of travel), ``y``
vertical (up), ``z`` mediolateral. Sides are ``"r"`` and ``"l"``. The rule is meant for gaits with
double support (walking, forward or backward); in running there is no double support and every
sample outside an interval is given to the stance foot, so use per-foot contact events there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np

from biomech.errors import BiomechError

__all__ = [
    "COMPONENTS",
    "DoubleSupport",
    "GrfSplit",
    "cop_and_free_moment",
    "ren_anteroposterior",
    "ren_exponential",
    "split_grf",
    "transition_shares",
]

Component = Literal["anteroposterior", "vertical", "mediolateral", "moment"]
Scaling = Literal["current_total", "value_at_strike"]
Side = Literal["r", "l"]

#: Load components with their own transition function (force axes x, y, z and the moments).
COMPONENTS: tuple[Component, ...] = ("anteroposterior", "vertical", "mediolateral", "moment")
_FORCE_AXIS_COMPONENT: tuple[Component, Component, Component] = (
    "anteroposterior",
    "vertical",
    "mediolateral",
)
_K1 = math.exp(4.0 / 9.0)
_K2 = _K1 * math.exp(-16.0 / 9.0) / 2.0
_OTHER_SIDE = {"r": "l", "l": "r"}


class DoubleSupport(NamedTuple):
    """One double-support interval.

    ``strike_s``: foot strike of the leading foot (start); ``toe_off_s``: toe-off of the trailing
    foot (end); ``leading``: side of the leading foot, ``"r"`` or ``"l"``.
    """

    strike_s: float
    toe_off_s: float
    leading: Side


@dataclass(frozen=True)
class GrfSplit:
    """Per-foot loads from :func:`split_grf`, all on the input time samples (ground frame).

    Attributes
    ----------
    force_n : dict
        ``{"r": (n, 3), "l": (n, 3)}`` ground reaction force on each foot (N).
    moment_nm : dict or None
        Moment of each foot's load about the ground origin (N·m), when a total moment was given.
    trailing_share : dict
        Per component, the trailing foot's share ``f(tau)`` during double support, NaN elsewhere.
    in_double_support : numpy.ndarray of bool, shape (n,)
        Samples inside a double-support interval (ends included).
    """

    force_n: dict[str, np.ndarray]
    moment_nm: dict[str, np.ndarray] | None
    trailing_share: dict[str, np.ndarray]
    in_double_support: np.ndarray


def ren_exponential(tau: np.ndarray | float) -> np.ndarray:
    """STA function for the vertical and mediolateral force and the moments: ``exp(-(2 tau)^3)``.

    Defined for ``0 <= tau <= 1``; other values are clipped to that range.
    """
    x = np.clip(np.asarray(tau, dtype=float), 0.0, 1.0)
    return np.exp(-((2.0 * x) ** 3))


def ren_anteroposterior(tau: np.ndarray | float) -> np.ndarray:
    """STA function for the anteroposterior force.

    ``k1 exp(-(2 (tau - 1/3))^2) - 2 k2 tau`` with ``k1 = exp(4/9)``, ``k2 = k1 exp(-16/9) / 2``;
    equals 1 at ``tau = 0`` and 0 at ``tau = 1``. Defined for ``0 <= tau <= 1`` (clipped).
    """
    x = np.clip(np.asarray(tau, dtype=float), 0.0, 1.0)
    return _K1 * np.exp(-((2.0 * (x - 1.0 / 3.0)) ** 2)) - 2.0 * _K2 * x


def _function(component: str):
    if component == "anteroposterior":
        return ren_anteroposterior
    if component in ("vertical", "mediolateral", "moment"):
        return ren_exponential
    raise BiomechError(f"transition_shares: component must be one of {COMPONENTS}, got {component!r}")


def _trailing_function(component: str, tau: np.ndarray, exact_end: bool) -> np.ndarray:
    f = _function(component)
    value = f(tau)
    if exact_end:
        f0 = float(f(0.0))
        f1 = float(f(1.0))
        value = (value - f1) / (f0 - f1)
    return value


def _check_interval(t_strike_s: float, t_toe_off_s: float, label: str) -> tuple[float, float]:
    a, b = float(t_strike_s), float(t_toe_off_s)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise BiomechError(f"{label}: strike and toe-off times must be finite, got {a!r}, {b!r}")
    if not b > a:
        raise BiomechError(f"{label}: toe-off ({b} s) must come after the leading-foot strike ({a} s)")
    return a, b


def transition_shares(
    t_s: np.ndarray | float,
    t_strike_s: float,
    t_toe_off_s: float,
    *,
    component: Component = "vertical",
    exact_end: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Shares of the trailing and the leading foot for one load component.

    Parameters
    ----------
    t_s : array_like
        Times (s).
    t_strike_s, t_toe_off_s : float
        Start (leading-foot strike) and end (trailing-foot toe-off) of the double support.
    component : {"anteroposterior", "vertical", "mediolateral", "moment"}
        Load component; selects :func:`ren_anteroposterior` or :func:`ren_exponential`.
    exact_end : bool
        Rescale the function so that the trailing share is exactly 0 at toe-off (see module).

    Returns
    -------
    (trailing_share, leading_share) : tuple of numpy.ndarray
        Same shape as ``t_s``; they sum to 1. Before the strike the trailing foot has everything
        (share 1), after the toe-off the leading foot has everything (trailing share 0).
    """
    a, b = _check_interval(t_strike_s, t_toe_off_s, "transition_shares")
    t = np.asarray(t_s, dtype=float)
    tau = (t - a) / (b - a)
    trailing = _trailing_function(component, tau, exact_end)
    trailing = np.where(t < a, 1.0, np.where(t > b, 0.0, trailing))
    return trailing, 1.0 - trailing


def _check_intervals(intervals: Sequence[DoubleSupport]) -> list[DoubleSupport]:
    checked: list[DoubleSupport] = []
    for k, item in enumerate(intervals):
        try:
            strike, toe_off, leading = item
        except (TypeError, ValueError) as exc:
            raise BiomechError(
                f"split_grf: double_support[{k}] must be (strike_s, toe_off_s, leading), got {item!r}"
            ) from exc
        a, b = _check_interval(strike, toe_off, f"split_grf: double_support[{k}]")
        if leading not in _OTHER_SIDE:
            raise BiomechError(f"split_grf: double_support[{k}].leading must be 'r' or 'l', got {leading!r}")
        if checked:
            previous = checked[-1]
            if a < previous.toe_off_s:
                raise BiomechError(
                    f"split_grf: double_support[{k}] starts at {a} s, before the previous one ends "
                    f"({previous.toe_off_s} s); intervals must be sorted and must not overlap"
                )
            if leading == previous.leading:
                raise BiomechError(
                    f"split_grf: double_support[{k}] and [{k - 1}] both lead with {leading!r}; "
                    "the leading foot must alternate"
                )
        checked.append(DoubleSupport(a, b, leading))
    return checked


def _as_n3(array: np.ndarray, n: int, name: str) -> np.ndarray:
    value = np.asarray(array, dtype=float)
    if value.shape != (n, 3):
        raise BiomechError(f"split_grf: {name} has shape {value.shape}, expected ({n}, 3)")
    if not np.all(np.isfinite(value)):
        raise BiomechError(f"split_grf: {name} has non-finite values")
    return value


def split_grf(
    total_force_n: np.ndarray,
    time_s: np.ndarray,
    double_support_intervals: Sequence[DoubleSupport | tuple[float, float, str]],
    *,
    total_moment_nm: np.ndarray | None = None,
    first_stance: Side | None = None,
    scaling: Scaling = "current_total",
    exact_end: bool = False,
) -> GrfSplit:
    """Split the whole-body load between the feet with the smooth transition assumption.

    Parameters
    ----------
    total_force_n : numpy.ndarray, shape (n, 3)
        Whole-body ground reaction force (N), ground frame (x anteroposterior, y up, z lateral).
    time_s : numpy.ndarray, shape (n,)
        Sample times (s), increasing.
    double_support_intervals : sequence of :class:`DoubleSupport`
        ``(strike_s, toe_off_s, leading)`` per double support, sorted, not overlapping, with the
        leading foot alternating.
    total_moment_nm : numpy.ndarray, shape (n, 3), optional
        Moment of the whole-body load about the ground origin (N·m); split with the exponential
        function. Use :func:`cop_and_free_moment` on each foot to get its centre of pressure.
    first_stance : {"r", "l"}, optional
        Stance foot before the first interval; by default the trailing foot of the first interval.
    scaling : {"current_total", "value_at_strike"}
        How the trailing foot's load follows the transition function (see module docstring).
    exact_end : bool
        Use the end-corrected functions (trailing share exactly 0 at toe-off).

    Returns
    -------
    GrfSplit
        Per-foot forces (and moments) that add up to the totals. In single support the stance foot
        carries everything and the other foot exactly zero. The stance foot after an interval is
        its leading foot.
    """
    t = np.asarray(time_s, dtype=float)
    if t.ndim != 1 or t.size < 1 or not np.all(np.isfinite(t)):
        raise BiomechError("split_grf: time_s must be a non-empty 1-D array of finite times")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        raise BiomechError("split_grf: time_s must be strictly increasing")
    n = t.size
    force = _as_n3(total_force_n, n, "total_force_n")
    moment = None if total_moment_nm is None else _as_n3(total_moment_nm, n, "total_moment_nm")
    if scaling not in ("current_total", "value_at_strike"):
        raise BiomechError(
            f"split_grf: scaling must be 'current_total' or 'value_at_strike', got {scaling!r}"
        )
    intervals = _check_intervals(double_support_intervals)
    if first_stance is not None and first_stance not in _OTHER_SIDE:
        raise BiomechError(f"split_grf: first_stance must be 'r' or 'l', got {first_stance!r}")

    # Stance foot of every sample outside double support.
    if intervals:
        before = first_stance if first_stance is not None else _OTHER_SIDE[intervals[0].leading]
    elif first_stance is not None:
        before = first_stance
    else:
        raise BiomechError("split_grf: no double-support interval; give first_stance for the stance foot")
    stance = np.full(n, before, dtype="<U1")
    for interval in intervals:
        stance[t > interval.toe_off_s] = interval.leading

    out_force = {side: np.zeros((n, 3)) for side in _OTHER_SIDE}
    out_moment = None if moment is None else {side: np.zeros((n, 3)) for side in _OTHER_SIDE}
    for side in _OTHER_SIDE:
        mask = stance == side
        out_force[side][mask] = force[mask]
        if moment is not None and out_moment is not None:
            out_moment[side][mask] = moment[mask]

    shares = {component: np.full(n, np.nan) for component in COMPONENTS}
    in_ds = np.zeros(n, dtype=bool)
    for interval in intervals:
        mask = (t >= interval.strike_s) & (t <= interval.toe_off_s)
        if not np.any(mask):
            continue
        in_ds |= mask
        leading = interval.leading
        trailing = _OTHER_SIDE[leading]
        tau = (t[mask] - interval.strike_s) / (interval.toe_off_s - interval.strike_s)
        for component in COMPONENTS:
            shares[component][mask] = _trailing_function(component, tau, exact_end)

        def _split(total: np.ndarray, components: Sequence[str], interval=interval, mask=mask):
            if scaling == "current_total":
                base = total[mask]
            else:
                base = np.array([np.interp(interval.strike_s, t, total[:, j]) for j in range(3)])
                base = np.broadcast_to(base, (int(mask.sum()), 3))
            share = np.column_stack([shares[c][mask] for c in components])
            trailing_part = share * base
            return trailing_part, total[mask] - trailing_part

        trail_f, lead_f = _split(force, _FORCE_AXIS_COMPONENT)
        out_force[trailing][mask] = trail_f
        out_force[leading][mask] = lead_f
        if moment is not None and out_moment is not None:
            trail_m, lead_m = _split(moment, ("moment", "moment", "moment"))
            out_moment[trailing][mask] = trail_m
            out_moment[leading][mask] = lead_m

    return GrfSplit(
        force_n=out_force,
        moment_nm=out_moment,
        trailing_share=dict(shares),
        in_double_support=in_ds,
    )


def cop_and_free_moment(
    force_n: np.ndarray,
    moment_nm: np.ndarray,
    *,
    floor_height_m: float = 0.0,
    min_vertical_force_n: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """Centre of pressure on the floor and free moment of one load given about the ground origin.

    With the point of application ``r = (x, h, z)`` on the floor ``y = h`` and a free moment about
    the vertical only, ``M = r x F + (0, T, 0)`` gives ``x = (M_z + h F_x) / F_y``,
    ``z = (h F_z - M_x) / F_y`` and ``T = M_y - (z F_x - x F_z)``.

    Returns
    -------
    (cop_m, free_moment_nm) : tuple of numpy.ndarray, each (n, 3)
        NaN where ``F_y < min_vertical_force_n`` (no contact: the CoP is undefined).
    """
    force = np.asarray(force_n, dtype=float)
    moment = np.asarray(moment_nm, dtype=float)
    if force.shape != moment.shape or force.ndim != 2 or force.shape[1] != 3:
        raise BiomechError(
            f"cop_and_free_moment: force {force.shape} and moment {moment.shape} must both be (n, 3)"
        )
    h = float(floor_height_m)
    fx, fy, fz = force[:, 0], force[:, 1], force[:, 2]
    loaded = fy >= min_vertical_force_n
    safe_fy = np.where(loaded, fy, 1.0)
    x = (moment[:, 2] + h * fx) / safe_fy
    z = (h * fz - moment[:, 0]) / safe_fy
    torque = moment[:, 1] - (z * fx - x * fz)
    cop = np.column_stack([x, np.full_like(x, h), z])
    free = np.column_stack([np.zeros_like(x), torque, np.zeros_like(x)])
    cop[~loaded] = np.nan
    free[~loaded] = np.nan
    return cop, free
