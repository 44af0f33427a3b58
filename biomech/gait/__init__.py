"""Gait data: the :class:`Motion` type, time reversal, and cycle tools (pure numpy/xarray)."""

from biomech.gait.cycles import (
    GaitEvents,
    cut_cycles,
    cycle_pct,
    detect_strikes,
    mean_sd,
    stack_cycles,
    time_normalise,
)
from biomech.gait.motion import Direction, FootLoad, Motion, reverse, spline_derivatives

__all__ = [
    "Direction",
    "FootLoad",
    "GaitEvents",
    "Motion",
    "cut_cycles",
    "cycle_pct",
    "detect_strikes",
    "mean_sd",
    "reverse",
    "spline_derivatives",
    "stack_cycles",
    "time_normalise",
]
