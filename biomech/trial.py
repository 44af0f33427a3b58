"""A measured trial (any OpenSim model, its IK and GRF files) made ready for the pipeline.

:func:`read_trial` does what the analysis of a measured trial needs before
:func:`biomech.pipeline.analyse_motion`, in this order: load the model and check its
muscle-group map; read the coordinates and GRF (``Motion.from_files``); low-pass filter the
coordinates (zero-lag Butterworth, speeds and accelerations from a spline, as OpenSim's inverse
dynamics tool filters); scale the model's masses to the subject's (given, or from the mean
vertical GRF over whole strides); cut one stride (foot strike to foot strike of one side) or a time
window; optionally reverse it in time (a first approximation of backward gait, Grasso et al.
1998). ``biomech analyse`` is its command line.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from biomech.errors import BiomechError
from biomech.gait.cycles import detect_strikes
from biomech.gait.filters import lowpass_motion
from biomech.gait.motion import Motion, reverse
from biomech.models.groups import GroupMap
from biomech.models.load import load
from biomech.pipeline import mass_from_grf_kg, select_stride, slice_motion

__all__ = ["Trial", "read_trial"]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Trial:
    """A model (masses scaled to the subject's) and the part of a measured motion to analyse."""

    model: object
    groups: GroupMap
    motion: Motion
    mass_kg: float
    #: how the trial was prepared, one line each (filter, mass, stride, reversal)
    notes: tuple[str, ...] = field(default_factory=tuple)


def read_trial(model_path: PathLike, coordinates: PathLike, *, grf: PathLike | None = None,
               external_loads: PathLike | None = None, groups: GroupMap | str | PathLike | None = None,
               lowpass_hz: float | None = 10.0, side: str | None = "r", stride_index: int = 0,
               n_strides: int = 1, start_after_s: float | None = None, start_s: float | None = None,
               end_s: float | None = None, mass_kg: float | None = None,
               threshold_n: float = 20.0, time_reversed: bool = False) -> Trial:
    """Read and prepare a measured trial; see the module docstring.

    ``lowpass_hz``: cut-off of the coordinate filter in Hz (None or 0: no filter; 10 Hz default,
    within the 10-15 Hz used for running). ``side`` and ``stride_index``: analyse that side's
    ``stride_index``-th complete stride starting at or after ``start_after_s`` (strikes where its
    vertical GRF rises through ``threshold_n`` N), and the ``n_strides - 1`` after it (0: all
    the complete strides from there on); ``start_s``/``end_s`` instead: that window
    (``side`` is then ignored). ``mass_kg``: the subject's mass; None: from the mean vertical GRF
    between the first and last strike of ``side`` (steady gait over whole strides), or over the
    whole record when there are fewer than two. ``groups``: as :func:`biomech.models.load.load`
    (None: the shipped map matching the model). Raises :class:`BiomechError` (one line naming the
    file or the option) on bad input.
    """
    loaded = load(model_path, groups=groups)
    if loaded.groups is None:
        raise BiomechError(f"{model_path}: no muscle-group map matches this model; give one "
                           "(a shipped name or a YAML file, see models/groups/)")
    motion = _without_coupled(Motion.from_files(coordinates, grf, external_loads), loaded.model)
    if not motion.loads:
        raise BiomechError(f"{coordinates}: no ground reaction forces found (give the GRF file and "
                           "its ExternalLoads .xml)")
    notes = []
    if lowpass_hz:
        motion = lowpass_motion(motion, float(lowpass_hz))
        notes.append(f"coordinates low-pass filtered at {float(lowpass_hz):g} Hz (zero-lag, 2nd order)")
    window = start_s is not None or end_s is not None
    if window and (start_s is None or end_s is None):
        raise BiomechError("start_s and end_s: give both, or neither (then one stride is analysed)")
    if not window and side not in motion.loads:
        raise BiomechError(f"side: {side!r} has no GRF in {coordinates} (sides: "
                           f"{', '.join(sorted(motion.loads))})")
    from biomech.osim.build import scale_mass

    if mass_kg is None:
        strikes = detect_strikes(motion.time_s, motion.loads[side or sorted(motion.loads)[0]].force_n[:, 1],
                                 threshold_n).foot_strike_s
        whole = strikes.size >= 2
        mass_kg = mass_from_grf_kg(motion, start_s=strikes[0] if whole else None,
                                   end_s=strikes[-1] if whole else None)
        notes.append(f"mass {mass_kg:.1f} kg from the mean vertical GRF "
                     + (f"over {strikes[0]:.2f}-{strikes[-1]:.2f} s (whole strides)" if whole
                        else "over the whole record (fewer than two strikes)"))
    else:
        notes.append(f"mass {float(mass_kg):.1f} kg (given)")
    model = scale_mass(loaded.model, float(mass_kg))
    if window:
        motion = slice_motion(motion, float(start_s), float(end_s), threshold_n=threshold_n)
        notes.append(f"window {motion.time_s[0]:.3f}-{motion.time_s[-1]:.3f} s")
    else:
        motion = select_stride(motion, side=side, threshold_n=threshold_n, index=stride_index,
                               start_after_s=start_after_s, count=n_strides)
        which = (f"stride {stride_index}" if n_strides == 1 else
                 f"strides {stride_index}-{stride_index + n_strides - 1}" if n_strides else
                 f"all strides from {stride_index}")
        notes.append(f"{which} of side {side}: {motion.time_s[0]:.3f}-{motion.time_s[-1]:.3f} s")
    if time_reversed:
        motion = reverse(motion)
        notes.append("reversed in time (a first approximation of the opposite walking or running "
                     "direction; joint moments unchanged, muscle states not)")
    return Trial(model=model, groups=loaded.groups, motion=motion, mass_kg=float(mass_kg),
                 notes=tuple(notes))


def _without_coupled(motion: Motion, model: object) -> Motion:
    """``motion`` without the model's coordinates that a CoordinateCouplerConstraint drives (an
    IK file lists them, e.g. the Rajagopal 2016 ``knee_angle_r_beta`` of the patella): the
    analysis sets them from their drivers."""
    from biomech.osim.build import coordinate_names
    from biomech.osim.inverse import independent_coordinates

    coupled = set(coordinate_names(model)) - set(independent_coordinates(model))
    keep = [i for i, name in enumerate(motion.coordinate_names) if name not in coupled]
    if len(keep) == len(motion.coordinate_names):
        return motion
    return dataclasses.replace(
        motion, coordinate_names=tuple(motion.coordinate_names[i] for i in keep),
        q=motion.q[:, keep], qd=motion.qd[:, keep], qdd=motion.qdd[:, keep],
        rotational=tuple(motion.rotational[i] for i in keep))
