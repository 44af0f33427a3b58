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

import numpy as np

from biomech.errors import BiomechError
from biomech.gait.cycles import detect_strikes
from biomech.gait.filters import lowpass_motion
from biomech.gait.motion import Motion, reverse
from biomech.models.groups import GroupMap
from biomech.models.load import load
from biomech.pipeline import mass_from_grf_kg, select_stride, slice_motion

__all__ = ["PlanarTrial", "Trial", "on_planar_model", "read_trial"]

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


@dataclass(frozen=True)
class PlanarTrial:
    """A measured trial's sagittal kinematics on a planar model spec (the default running2d),
    ready for :func:`biomech.pipeline.analyse_motion` with ``spec``, ``skeleton`` and
    ``kinematics``."""

    spec: object
    skeleton: object
    kinematics: object
    model: object
    motion: Motion
    height_m: float
    notes: tuple[str, ...] = field(default_factory=tuple)


#: The planar model's coordinates taken over from a measured trial as they are (gait2392-family
#: names and sign conventions: rotation about the ground's z axis).
_AS_IS = ("pelvis_tilt", "lumbar_extension")


def on_planar_model(trial: Trial, spec: object | None = None) -> PlanarTrial:
    """The sagittal kinematics of ``trial`` on the planar model ``spec`` (default running2d).

    The planar model is built at the trial's mass and at the stature that gives it the trial
    model's thigh + shank length (hip to knee to ankle joint centres, femur, tibia and talus
    origins in the default pose); its hip, knee and ankle angles are the trial's with the group
    map's signs taken out, its pelvis tilt and lumbar extension the trial's; its pelvis, whose
    origin is the mid-hip point, is placed on the trial model's mid-hip (the two hip joint
    centres, sagittal components) in every frame, so the legs meet the measured GRF where the
    measured feet were. Out-of-plane motion (pelvis list and rotation, hip ab/adduction and
    rotation) and the GRF's lateral component are left out. Speeds and accelerations come from
    a quintic spline of the placed coordinates.
    """
    from biomech.gait.motion import spline_derivatives
    from biomech.models import build, resolve_spec, skeleton
    from biomech.models.kinematics import PlanarKinematics
    from biomech.osim.build import coordinate_names
    from biomech.osim.geometry import body_origin, body_origins

    spec = resolve_spec(spec)
    src = trial.model
    bodies = {src.getBodySet().get(i).getName() for i in range(src.getBodySet().getSize())}
    missing = [b for b in ("femur_r", "femur_l", "tibia_r", "talus_r") if b not in bodies]
    if missing:
        raise BiomechError(f"on_planar_model: the trial's model has no bodies {missing} "
                           "(gait2392-family names expected)")
    hip, knee, ankle = (body_origin(src, b) for b in ("femur_r", "tibia_r", "talus_r"))
    leg_m = float(np.linalg.norm(hip - knee) + np.linalg.norm(knee - ankle))
    reference = skeleton(spec)
    leg0 = _thigh_plus_shank(reference)
    height = reference.height_m * leg_m / leg0
    sk = skeleton(spec, mass_kg=trial.mass_kg, height_m=height)
    kin = PlanarKinematics.from_skeleton(sk)
    names = list(sk.independent_coordinates)
    src_names = list(trial.motion.coordinate_names)
    motion_of = {"hip_flexion": "hip_flexion", "knee_angle": "knee_flexion",
                 "ankle_angle": "ankle_dorsiflexion"}
    q = np.zeros((trial.motion.n_frames, len(names)))
    for j, name in enumerate(names):
        base, _, side = name.rpartition("_")
        if base in motion_of:
            column = trial.groups.coordinate(motion_of[base], side)
            q[:, j] = trial.groups.sign(motion_of[base]) * trial.motion.q[:, src_names.index(column)]
        elif name in _AS_IS:
            q[:, j] = trial.motion.q[:, src_names.index(name)]
    all_names = coordinate_names(src)
    full = [n for n in src_names if n in all_names]
    hips = body_origins(src, full, trial.motion.q[:, [src_names.index(n) for n in full]],
                        ("femur_r", "femur_l")).mean(axis=1)
    q[:, names.index("pelvis_tx")], q[:, names.index("pelvis_ty")] = hips[:, 0], hips[:, 1]
    qd, qdd = spline_derivatives(trial.motion.time_s, q)
    motion = dataclasses.replace(
        trial.motion, coordinate_names=tuple(names), q=q, qd=qd, qdd=qdd,
        rotational=tuple(n not in ("pelvis_tx", "pelvis_ty") for n in names),
        name=f"{trial.motion.name}_planar")
    note = (f"on the planar model {spec.name} at {height:.3f} m (thigh + shank {leg_m:.3f} m as the "
            f"trial model's), {trial.mass_kg:.1f} kg; pelvis on the measured mid-hip")
    return PlanarTrial(spec=spec, skeleton=sk, kinematics=kin, model=build(spec, mass_kg=trial.mass_kg,
                       height_m=height, contact=False), motion=motion, height_m=height,
                       notes=(*trial.notes, note))


def _thigh_plus_shank(sk: object) -> float:
    """Hip-to-knee plus knee-to-ankle length (m) of a planar skeleton: its knee and ankle joints
    sit that far below their parents' origins."""
    location = {j.name: j.location_m for j in sk.joints}
    return float(-location["knee_r"][1] - location["ankle_r"][1])
