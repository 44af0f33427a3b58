"""Gait cycles: event detection, cutting, time normalisation to 0-100 % and stacking.

A cycle runs from one foot strike to the next foot strike of the same foot. Normalised cycles
have 101 points at 0, 1, ..., 100 % by default and are stacked into an :class:`xarray.DataArray`
with dims ``("cycle", "cycle_pct", ...)``.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import xarray as xr
from scipy.interpolate import CubicSpline

from biomech.errors import BiomechError
from biomech.gait.motion import Motion

__all__ = [
    "GaitEvents",
    "cut_cycles",
    "cycle_pct",
    "detect_strikes",
    "mean_sd",
    "stack_cycles",
    "time_normalise",
]

logger = logging.getLogger(__name__)

Interpolation = Literal["linear", "cubic"]
_MOTION_QUANTITIES = {
    "q": ("rad", "m"),
    "qd": ("rad/s", "m/s"),
    "qdd": ("rad/s^2", "m/s^2"),
}
_LOAD_QUANTITIES = {"force_n": "N", "cop_m": "m", "free_moment_nm": "N m"}


class GaitEvents(NamedTuple):
    """Foot-strike and toe-off times (s) of one foot, each sorted."""

    foot_strike_s: np.ndarray
    toe_off_s: np.ndarray


def cycle_pct(n_points: int = 101) -> np.ndarray:
    """Percent of the cycle at each normalised point: ``linspace(0, 100, n_points)``."""
    if n_points < 2:
        raise ValueError(f"n_points must be at least 2, got {n_points}")
    return np.linspace(0.0, 100.0, n_points)


def cut_cycles(
    time_s: np.ndarray,
    strikes_s: Sequence[float] | np.ndarray,
    *,
    min_duration_s: float = 0.0,
    max_duration_s: float = np.inf,
) -> list[tuple[float, float]]:
    """Cycles between consecutive foot strikes that lie within the recording.

    Parameters
    ----------
    time_s : numpy.ndarray, shape (n,)
        Time of the recording (s), increasing.
    strikes_s : array-like
        Foot-strike times (s) of one foot. Non-finite values and strikes outside the recording
        are dropped; the rest are sorted.
    min_duration_s, max_duration_s : float
        Keep only cycles of this duration (s); a too-long cycle usually means a missed strike.

    Returns
    -------
    list of (float, float)
        ``(start_s, end_s)`` per cycle, in time order.

    Examples
    --------
    >>> cut_cycles(np.linspace(0.0, 3.0, 301), [0.5, 1.5, 2.5, 3.5])
    [(0.5, 1.5), (1.5, 2.5)]
    """
    time_s = np.asarray(time_s, dtype=float)
    if time_s.ndim != 1 or time_s.size < 2:
        raise ValueError("time_s must be 1-D with at least 2 samples")
    strikes = np.asarray(strikes_s, dtype=float).ravel()
    tol = 1e-9 * max(1.0, abs(float(time_s[-1])))
    inside = np.isfinite(strikes) & (strikes >= time_s[0] - tol) & (strikes <= time_s[-1] + tol)
    strikes = np.unique(strikes[inside])
    cycles = []
    for start, end in zip(strikes[:-1], strikes[1:], strict=True):
        duration = end - start
        if min_duration_s <= duration <= max_duration_s:
            cycles.append((float(start), float(end)))
        else:
            logger.debug("dropped cycle %.4f-%.4f s (%.4f s)", start, end, duration)
    return cycles


def time_normalise(
    time_s: np.ndarray,
    values: np.ndarray,
    start_s: float,
    end_s: float,
    *,
    n_points: int = 101,
    kind: Interpolation = "linear",
) -> np.ndarray:
    """Resample one cycle to ``n_points`` points from 0 to 100 % of ``[start_s, end_s]``.

    Parameters
    ----------
    time_s : numpy.ndarray, shape (n,)
        Time (s), strictly increasing.
    values : numpy.ndarray, shape (n, ...)
        Samples, time along axis 0, any unit (kept).
    start_s, end_s : float
        The cycle (s), within ``time_s``.
    n_points : int
        Points in the output; 101 gives 0, 1, ..., 100 %.
    kind : {"linear", "cubic"}
        ``"linear"``: piecewise-linear interpolation between samples (never overshoots, NaN stays
        local). ``"cubic"``: a not-a-knot cubic spline through the whole recording (smoother;
        exact for cubics; NaN is not allowed).

    Returns
    -------
    numpy.ndarray, shape (n_points, ...)
        Values at ``start_s + pct / 100 * (end_s - start_s)``.

    Examples
    --------
    >>> t = np.linspace(0.0, 2.0, 201)
    >>> time_normalise(t, 2.0 * t, 0.5, 1.5, n_points=3)
    array([1., 2., 3.])
    """
    time_s = np.asarray(time_s, dtype=float)
    values = np.asarray(values, dtype=float)
    if time_s.ndim != 1 or values.shape[:1] != time_s.shape:
        raise ValueError(
            f"values must have time along axis 0: time_s has shape {time_s.shape}, "
            f"values {values.shape}"
        )
    if time_s.size < 2 or np.any(np.diff(time_s) <= 0.0):
        raise ValueError("time_s must have at least 2 strictly increasing samples")
    if not end_s > start_s:
        raise ValueError(f"end_s ({end_s} s) must be after start_s ({start_s} s)")
    tol = 1e-9 * max(1.0, abs(float(time_s[-1])))
    if start_s < time_s[0] - tol or end_s > time_s[-1] + tol:
        raise ValueError(
            f"cycle {start_s}-{end_s} s is outside the data ({time_s[0]}-{time_s[-1]} s)"
        )
    query = start_s + cycle_pct(n_points) / 100.0 * (end_s - start_s)
    query = np.clip(query, time_s[0], time_s[-1])
    if kind == "cubic":
        if not np.all(np.isfinite(values)):
            raise ValueError("cubic interpolation needs values without NaN; use kind='linear'")
        return CubicSpline(time_s, values, axis=0)(query)
    if kind != "linear":
        raise ValueError(f"kind must be 'linear' or 'cubic', got {kind!r}")
    right = np.clip(np.searchsorted(time_s, query, side="right"), 1, time_s.size - 1)
    left = right - 1
    weight = (query - time_s[left]) / (time_s[right] - time_s[left])
    weight = weight.reshape((-1,) + (1,) * (values.ndim - 1))
    blended = (1.0 - weight) * values[left] + weight * values[right]
    # Where a query hits a sample, return it as is (a NaN neighbour must not leak in).
    return np.where(weight == 0.0, values[left], np.where(weight == 1.0, values[right], blended))


def stack_cycles(
    data: Motion | np.ndarray,
    strikes: Sequence[float] | np.ndarray | str,
    *,
    time_s: np.ndarray | None = None,
    quantity: str = "q",
    side: str | None = None,
    dims: Sequence[str] | None = None,
    coords: Mapping[str, Any] | None = None,
    units: str = "",
    n_points: int = 101,
    kind: Interpolation = "linear",
    min_duration_s: float = 0.0,
    max_duration_s: float = np.inf,
) -> xr.DataArray:
    """Cut, time-normalise and stack the cycles of a motion or an array.

    Parameters
    ----------
    data : Motion or numpy.ndarray
        A :class:`~biomech.gait.motion.Motion`, or samples with time along axis 0.
    strikes : array-like or str
        Foot-strike times (s), or for a Motion a side (``"r"``) to use its
        ``events["foot_strike_<side>"]``.
    time_s : numpy.ndarray, optional
        Time (s) of an array ``data``; not used with a Motion.
    quantity : str
        For a Motion: ``"q"``, ``"qd"``, ``"qdd"`` (extra dim ``coordinate``) or ``"force_n"``,
        ``"cop_m"``, ``"free_moment_nm"`` of ``loads[side]`` (extra dim ``axis``).
    side : str, optional
        Foot of a load quantity; defaults to ``strikes`` when that is a side.
    dims, coords : optional
        For an array: names of the dims after time (default ``("channel",)`` for 2-D data, none
        for 1-D) and their coordinates.
    units : str
        Units of an array ``data`` (stored in ``attrs["units"]``).
    n_points, kind
        As in :func:`time_normalise`.
    min_duration_s, max_duration_s
        As in :func:`cut_cycles`.

    Returns
    -------
    xarray.DataArray
        Dims ``("cycle", "cycle_pct", ...)``; coordinates ``cycle_pct`` (%), ``cycle_start_s``
        and ``cycle_end_s`` on ``cycle``; ``attrs["units"]``. For Motion coordinates of mixed
        kinds, the per-coordinate unit is in the ``unit`` coordinate and ``attrs["units"]`` says
        ``"rad or m (see coordinate 'unit')"``.

    Raises
    ------
    BiomechError
        No complete cycle between the strikes, or a missing event or load.
    """
    attrs: dict[str, Any] = {}
    extra_coords: dict[Hashable, Any] = {}
    if isinstance(data, Motion):
        if time_s is not None:
            raise ValueError("time_s is taken from the Motion; do not pass it")
        time_s = data.time_s
        if isinstance(strikes, str):
            side = side or strikes
            key = f"foot_strike_{strikes}"
            if key not in data.events:
                raise BiomechError(
                    f"Motion {data.name!r} has no events[{key!r}]; events are {list(data.events)}"
                )
            strikes = data.events[key]
        values, extra_dims, extra_coords, units = _motion_quantity(data, quantity, side)
        attrs["motion"] = data.name
        attrs["direction"] = data.direction
        attrs["quantity"] = quantity
    else:
        if time_s is None:
            raise ValueError("time_s is required when data is an array")
        if isinstance(strikes, str):
            raise ValueError("strikes must be times when data is an array")
        values = np.asarray(data, dtype=float)
        if dims is None:
            dims = ("channel",) if values.ndim == 2 else ()
        extra_dims = tuple(dims)
        if len(extra_dims) != values.ndim - 1:
            raise ValueError(f"dims {extra_dims} do not match data of shape {values.shape}")
        extra_coords = dict(coords or {})

    cycles = cut_cycles(
        time_s, strikes, min_duration_s=min_duration_s, max_duration_s=max_duration_s
    )
    if not cycles:
        raise BiomechError(
            f"no complete cycle between the foot strikes {np.round(np.asarray(strikes), 4)} s "
            f"within {float(time_s[0])}-{float(time_s[-1])} s"
        )
    stacked = np.stack(
        [
            time_normalise(time_s, values, start, end, n_points=n_points, kind=kind)
            for start, end in cycles
        ]
    )
    pct = xr.Variable("cycle_pct", cycle_pct(n_points), attrs={"units": "%"})
    all_coords: dict[Hashable, Any] = {
        "cycle": np.arange(len(cycles)),
        "cycle_pct": pct,
        "cycle_start_s": ("cycle", [c[0] for c in cycles], {"units": "s"}),
        "cycle_end_s": ("cycle", [c[1] for c in cycles], {"units": "s"}),
        **extra_coords,
    }
    attrs.update({"units": units, "interpolation": kind, "n_points": n_points})
    return xr.DataArray(
        stacked, dims=("cycle", "cycle_pct", *extra_dims), coords=all_coords, attrs=attrs
    )


def mean_sd(stacked: xr.DataArray, *, dim: str = "cycle") -> xr.Dataset:
    """Mean and standard deviation across cycles.

    Parameters
    ----------
    stacked : xarray.DataArray
        Output of :func:`stack_cycles` (or any array with ``dim``).
    dim : str
        Dimension to reduce.

    Returns
    -------
    xarray.Dataset
        ``mean`` and ``sd`` (sample SD, ``ddof=1``; NaN with a single cycle), in the units of
        ``stacked``; ``attrs`` of ``stacked`` plus ``n_cycles``. NaN samples are skipped.
    """
    if dim not in stacked.dims:
        raise ValueError(f"{dim!r} is not a dim of the array; dims are {stacked.dims}")
    n = stacked.sizes[dim]
    mean = stacked.mean(dim, keep_attrs=True)
    if n > 1:
        sd = stacked.std(dim, ddof=1, keep_attrs=True)
    else:
        sd = xr.full_like(mean, np.nan)
    attrs = {**stacked.attrs, "n_cycles": n}
    return xr.Dataset({"mean": mean, "sd": sd}, attrs=attrs)


def detect_strikes(
    time_s: np.ndarray,
    vertical_force_n: np.ndarray,
    threshold_n: float = 20.0,
    *,
    hysteresis_n: float | None = None,
    min_stance_s: float = 0.05,
    min_swing_s: float = 0.05,
) -> GaitEvents:
    """Foot strikes and toe offs of one foot from its vertical ground reaction force.

    Contact starts when the force rises above ``threshold_n + hysteresis_n / 2`` and ends when it
    falls below ``threshold_n - hysteresis_n / 2`` (a Schmitt trigger, so noise around the
    threshold does not toggle contact). Each event is then timed at the crossing of
    ``threshold_n`` itself, linearly interpolated between samples. Swings shorter than
    ``min_swing_s`` are bridged (the two stances merge) and then stances shorter than
    ``min_stance_s`` are dropped.

    Parameters
    ----------
    time_s : numpy.ndarray, shape (n,)
        Time (s), strictly increasing.
    vertical_force_n : numpy.ndarray, shape (n,)
        Vertical GRF (N), positive upwards, without NaN.
    threshold_n : float
        Contact threshold (N); 20 N is common for force plates.
    hysteresis_n : float, optional
        Width of the band around the threshold (N); default half the threshold.
    min_stance_s, min_swing_s : float
        Shortest accepted stance and swing (s).

    Returns
    -------
    GaitEvents
        ``foot_strike_s`` and ``toe_off_s``. A recording that starts in contact has no strike for
        that first stance, one that ends in contact no toe off for the last; stances cut by the
        ends of the recording are kept whatever their length.

    Examples
    --------
    >>> t = np.linspace(0.0, 1.0, 1001)
    >>> f = np.where((t > 0.2) & (t < 0.6), 800.0, 0.0)
    >>> detect_strikes(t, f, threshold_n=400.0)
    GaitEvents(foot_strike_s=array([0.2005]), toe_off_s=array([0.5995]))
    """
    time_s = np.asarray(time_s, dtype=float)
    force = np.asarray(vertical_force_n, dtype=float)
    if time_s.ndim != 1 or force.shape != time_s.shape or time_s.size < 2:
        raise ValueError("time_s and vertical_force_n must be 1-D arrays of the same length >= 2")
    if not np.all(np.isfinite(force)):
        raise ValueError("vertical_force_n has NaN or infinite values")
    if np.any(np.diff(time_s) <= 0.0):
        raise ValueError("time_s must increase strictly")
    band = 0.5 * threshold_n if hysteresis_n is None else float(hysteresis_n)
    if band < 0.0:
        raise ValueError(f"hysteresis_n must be >= 0, got {band}")
    high, low = threshold_n + band / 2.0, threshold_n - band / 2.0

    # Schmitt trigger: 1 above `high`, 0 below `low`, else the previous state.
    mark = np.full(force.size, -1, dtype=int)
    mark[force > high] = 1
    mark[force < low] = 0
    if mark[0] < 0:
        mark[0] = int(force[0] >= threshold_n)
    last = np.maximum.accumulate(np.where(mark >= 0, np.arange(force.size), 0))
    contact = mark[last]

    rises = np.flatnonzero(np.diff(contact) == 1) + 1
    falls = np.flatnonzero(np.diff(contact) == -1) + 1
    strikes = [_crossing(time_s, force, threshold_n, i, rising=True) for i in rises]
    offs = [_crossing(time_s, force, threshold_n, i, rising=False) for i in falls]

    # Contact intervals; None marks an end cut by the recording.
    starts: list[float | None] = ([None] if contact[0] == 1 else []) + strikes
    ends: list[float | None] = offs + ([None] if contact[-1] == 1 else [])
    intervals = list(zip(starts, ends, strict=True))
    merged: list[tuple[float | None, float | None]] = []
    for start, end in intervals:
        if merged and start is not None and merged[-1][1] is not None:
            if start - merged[-1][1] < min_swing_s:
                merged[-1] = (merged[-1][0], end)
                continue
        merged.append((start, end))
    kept = [
        (start, end)
        for start, end in merged
        if start is None or end is None or end - start >= min_stance_s
    ]
    return GaitEvents(
        foot_strike_s=np.array([s for s, _ in kept if s is not None], dtype=float),
        toe_off_s=np.array([e for _, e in kept if e is not None], dtype=float),
    )


def _crossing(
    time_s: np.ndarray, force: np.ndarray, level: float, index: int, *, rising: bool
) -> float:
    """Time at which ``force`` last crossed ``level`` at or before sample ``index``."""
    j = index - 1
    if rising:
        while j > 0 and not (force[j] < level <= force[j + 1]):
            j -= 1
    else:
        while j > 0 and not (force[j] >= level > force[j + 1]):
            j -= 1
    f0, f1 = force[j], force[j + 1]
    if f1 == f0:
        return float(time_s[j + 1])
    fraction = float(np.clip((level - f0) / (f1 - f0), 0.0, 1.0))
    return float(time_s[j] + fraction * (time_s[j + 1] - time_s[j]))


def _motion_quantity(
    motion: Motion, quantity: str, side: str | None
) -> tuple[np.ndarray, tuple[str, ...], dict[Hashable, Any], str]:
    if quantity in _MOTION_QUANTITIES:
        rot_unit, trans_unit = _MOTION_QUANTITIES[quantity]
        unit = [rot_unit if r else trans_unit for r in motion.rotational]
        if len(set(unit)) == 1:
            units = unit[0]
        else:
            units = f"{rot_unit} or {trans_unit} (see coordinate 'unit')"
        coords: dict[Hashable, Any] = {
            "coordinate": list(motion.coordinate_names),
            "unit": ("coordinate", unit),
            "rotational": ("coordinate", list(motion.rotational)),
        }
        return getattr(motion, quantity), ("coordinate",), coords, units
    if quantity in _LOAD_QUANTITIES:
        if side is None or side not in motion.loads:
            raise BiomechError(
                f"Motion {motion.name!r}: no load for side {side!r}; sides are {list(motion.loads)}"
            )
        values = getattr(motion.loads[side], quantity)
        return values, ("axis",), {"axis": ["x", "y", "z"]}, _LOAD_QUANTITIES[quantity]
    raise ValueError(
        f"quantity must be one of {[*_MOTION_QUANTITIES, *_LOAD_QUANTITIES]}, got {quantity!r}"
    )
