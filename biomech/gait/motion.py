"""The :class:`Motion` type: coordinates, their derivatives, foot loads and gait events.

A :class:`Motion` is immutable and validated on construction. Everything inside is SI: time in s,
rotational coordinates in rad (rad/s, rad/s²), translational ones in m (m/s, m/s²), forces in N,
centres of pressure in m and free moments in N·m, all in the ground frame. Degrees appear only in
the files written for OpenSim (:meth:`Motion.to_files`).

:func:`reverse` is the explicit time reversal used to build a backward-gait motion from a forward
one (and back).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy.interpolate import make_interp_spline

from biomech.errors import BiomechError, MotionFileError
from biomech.io.external_loads import (
    ExternalForceSpec,
    ExternalLoadsSpec,
    grf_identifiers,
    loads_from_table,
    read_external_loads,
    write_external_loads,
)
from biomech.io.storage import Table, atomic_write_text, read_table, write_table

__all__ = ["Direction", "FootLoad", "Motion", "reverse", "spline_derivatives"]

logger = logging.getLogger(__name__)

Direction = Literal["forward", "backward"]

#: Degree of the interpolating spline used for speeds and accelerations.
SPLINE_DEGREE = 5
_FORMAT = "biomech.motion/1"
_DERIVATIVES = "interpolating quintic B-spline (scipy.interpolate.make_interp_spline, k=5)"
_SIDE_NAMES = {"r": "right", "l": "left"}
_AXES = ("x", "y", "z")
#: Tolerance (s) when matching the time of two files.
_TIME_TOL_S = 1e-9


@dataclass(frozen=True, eq=False)
class FootLoad:
    """The external load on one foot, in the ground frame.

    Parameters
    ----------
    body : str
        Body the load is applied to, e.g. ``"calcn_r"``.
    force_n : numpy.ndarray, shape (n, 3)
        Ground reaction force (N).
    cop_m : numpy.ndarray, shape (n, 3)
        Centre of pressure, the point of application (m).
    free_moment_nm : numpy.ndarray, shape (n, 3)
        Free moment about the centre of pressure (N·m).
    """

    body: str
    force_n: np.ndarray
    cop_m: np.ndarray
    free_moment_nm: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.body, str) or not self.body.strip():
            raise BiomechError(f"FootLoad: body must be a non-empty string, got {self.body!r}")
        n = None
        for name in ("force_n", "cop_m", "free_moment_nm"):
            array = _frozen_array(getattr(self, name))
            if array.ndim != 2 or array.shape[1] != 3:
                raise BiomechError(
                    f"FootLoad {self.body!r}: {name} has shape {array.shape}, expected (n, 3)"
                )
            if n is not None and array.shape[0] != n:
                raise BiomechError(
                    f"FootLoad {self.body!r}: {name} has {array.shape[0]} rows, force_n has {n}"
                )
            n = array.shape[0]
            object.__setattr__(self, name, array)

    @property
    def n_frames(self) -> int:
        """Number of time samples."""
        return int(self.force_n.shape[0])

    @classmethod
    def zeros(cls, body: str, n_frames: int) -> FootLoad:
        """An unloaded foot (all zeros) over ``n_frames`` samples."""
        zeros = np.zeros((n_frames, 3))
        return cls(body=body, force_n=zeros, cop_m=zeros, free_moment_nm=zeros)


@dataclass(frozen=True, eq=False)
class Motion:
    """Generalised coordinates and foot loads over time.

    Parameters
    ----------
    time_s : numpy.ndarray, shape (n,)
        Time (s), strictly increasing.
    coordinate_names : tuple of str
        Coordinate names, e.g. ``("pelvis_tilt", "pelvis_tx", ...)``.
    q, qd, qdd : numpy.ndarray, shape (n, n_coordinates)
        Coordinates (rad or m), speeds (rad/s or m/s) and accelerations (rad/s² or m/s²).
    rotational : tuple of bool
        Per coordinate: ``True`` for a rotation (rad), ``False`` for a translation (m).
    loads : dict of str to FootLoad
        External load per foot, keyed by side (``"r"``, ``"l"``), on the same time samples.
    events : dict of str to numpy.ndarray
        Event times (s) within the motion, sorted, e.g. ``"foot_strike_r"``, ``"toe_off_l"``.
    direction : {"forward", "backward"}
        Direction of progression.
    params : dict
        The parameters that produced the motion (kept as given; JSON-compatible for
        :meth:`to_files`).
    name : str
        A label.
    allow_nan : bool
        Accept NaN in q, qd, qdd and loads (e.g. gaps in measured data). Time never has NaN.

    Raises
    ------
    BiomechError
        On inconsistent shapes, time that does not increase strictly, NaN (unless allowed), unknown
        direction or events outside the motion, with a one-line message.

    Notes
    -----
    Arrays are stored as read-only copies. Equality is identity; compare arrays explicitly.
    """

    time_s: np.ndarray
    coordinate_names: tuple[str, ...]
    q: np.ndarray
    qd: np.ndarray
    qdd: np.ndarray
    rotational: tuple[bool, ...]
    loads: dict[str, FootLoad] = field(default_factory=dict)
    events: dict[str, np.ndarray] = field(default_factory=dict)
    direction: Direction = "forward"
    params: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    allow_nan: bool = False

    def __post_init__(self) -> None:
        label = f"Motion {self.name!r}"
        time_s = _frozen_array(self.time_s)
        if time_s.ndim != 1 or time_s.size < 2:
            raise BiomechError(f"{label}: time_s must be 1-D with at least 2 samples")
        if not np.all(np.isfinite(time_s)):
            raise BiomechError(f"{label}: time_s has non-finite values")
        steps = np.flatnonzero(np.diff(time_s) <= 0.0)
        if steps.size:
            i = int(steps[0]) + 1
            raise BiomechError(
                f"{label}: time must increase strictly; time_s[{i}] = {float(time_s[i])!r} s "
                f"follows {float(time_s[i - 1])!r} s"
            )
        n = time_s.size

        names = tuple(self.coordinate_names)
        if not all(isinstance(c, str) and c for c in names):
            raise BiomechError(f"{label}: coordinate names must be non-empty strings")
        duplicates = sorted({c for c in names if names.count(c) > 1})
        if duplicates:
            raise BiomechError(f"{label}: duplicate coordinate names {duplicates}")
        rotational = tuple(bool(r) for r in self.rotational)
        if len(rotational) != len(names):
            raise BiomechError(
                f"{label}: rotational has {len(rotational)} flags for {len(names)} coordinates"
            )
        object.__setattr__(self, "time_s", time_s)
        object.__setattr__(self, "coordinate_names", names)
        object.__setattr__(self, "rotational", rotational)

        for key in ("q", "qd", "qdd"):
            array = _frozen_array(getattr(self, key))
            if array.shape != (n, len(names)):
                raise BiomechError(
                    f"{label}: {key} has shape {array.shape}, expected "
                    f"(n_time, n_coordinates) = ({n}, {len(names)})"
                )
            self._check_nan(array, key)
            object.__setattr__(self, key, array)

        loads: dict[str, FootLoad] = {}
        for side, load in dict(self.loads).items():
            if not isinstance(side, str) or not re.fullmatch(r"\w+", side):
                raise BiomechError(f"{label}: load side {side!r} must be a word such as 'r'")
            if not isinstance(load, FootLoad):
                raise BiomechError(f"{label}: loads[{side!r}] is not a FootLoad")
            if load.n_frames != n:
                raise BiomechError(
                    f"{label}: loads[{side!r}] has {load.n_frames} samples, time_s has {n}"
                )
            for key in ("force_n", "cop_m", "free_moment_nm"):
                self._check_nan(getattr(load, key), f"loads[{side!r}].{key}")
            loads[side] = load
        object.__setattr__(self, "loads", loads)

        events: dict[str, np.ndarray] = {}
        tol = 1e-9 * max(1.0, abs(float(time_s[-1])))
        for key, times in dict(self.events).items():
            array = _frozen_array(np.atleast_1d(np.asarray(times, dtype=float)))
            if array.ndim != 1 or not np.all(np.isfinite(array)):
                raise BiomechError(f"{label}: events[{key!r}] must be a 1-D array of finite times")
            if np.any(np.diff(array) < 0.0):
                raise BiomechError(f"{label}: events[{key!r}] times are not sorted")
            if array.size and (array[0] < time_s[0] - tol or array[-1] > time_s[-1] + tol):
                raise BiomechError(
                    f"{label}: events[{key!r}] has times outside the motion "
                    f"({float(time_s[0])!r}-{float(time_s[-1])!r} s)"
                )
            events[str(key)] = array
        object.__setattr__(self, "events", events)

        if self.direction not in ("forward", "backward"):
            raise BiomechError(
                f"{label}: direction is {self.direction!r}; expected 'forward' or 'backward'"
            )
        object.__setattr__(self, "params", copy.deepcopy(dict(self.params)))
        object.__setattr__(self, "name", str(self.name))

    def _check_nan(self, array: np.ndarray, key: str) -> None:
        if np.any(np.isinf(array)):
            raise BiomechError(f"Motion {self.name!r}: {key} has infinite values")
        if not self.allow_nan and np.any(np.isnan(array)):
            row = int(np.argwhere(np.isnan(array))[0][0])
            raise BiomechError(
                f"Motion {self.name!r}: {key} has NaN (first at row {row}); "
                "fill the gap or pass allow_nan=True"
            )

    # ------------------------------------------------------------------ accessors
    @property
    def n_frames(self) -> int:
        """Number of time samples."""
        return int(self.time_s.size)

    @property
    def duration_s(self) -> float:
        """Last minus first time (s)."""
        return float(self.time_s[-1] - self.time_s[0])

    def index(self, coordinate: str) -> int:
        """Column of a coordinate in ``q``/``qd``/``qdd``.

        Raises
        ------
        KeyError
            If the coordinate is not in the motion.
        """
        try:
            return self.coordinate_names.index(coordinate)
        except ValueError:
            raise KeyError(
                f"coordinate {coordinate!r} not in motion {self.name!r}; "
                f"coordinates are {list(self.coordinate_names)}"
            ) from None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_coordinates(
        cls,
        time_s: np.ndarray,
        names: Sequence[str],
        q: np.ndarray,
        rotational: Sequence[bool],
        *,
        loads: Mapping[str, FootLoad] | None = None,
        events: Mapping[str, np.ndarray] | None = None,
        direction: Direction = "forward",
        params: Mapping[str, Any] | None = None,
        name: str = "",
    ) -> Motion:
        """Build a motion from coordinates, with speeds and accelerations from a spline.

        ``qd`` and ``qdd`` are the first and second derivatives of the interpolating quintic
        B-spline through ``q`` (:func:`spline_derivatives`): exact for polynomials up to degree 5,
        and consistent with each other. The spline interpolates, it does not smooth: low-pass
        filter noisy data first.

        Parameters
        ----------
        time_s : numpy.ndarray, shape (n,)
            Time (s), strictly increasing, n >= 6.
        names : sequence of str
            Coordinate names.
        q : numpy.ndarray, shape (n, n_coordinates)
            Coordinates in SI (rad, m), without NaN.
        rotational : sequence of bool
            Per coordinate, whether it is a rotation.
        loads, events, direction, params, name
            As in :class:`Motion`.

        Returns
        -------
        Motion
        """
        time_s = np.asarray(time_s, dtype=float)
        q = np.asarray(q, dtype=float)
        if q.ndim != 2 or time_s.ndim != 1 or q.shape[0] != time_s.size:
            raise BiomechError(
                f"Motion {name!r}: q has shape {q.shape}, expected ({time_s.size}, n_coordinates)"
            )
        if not np.all(np.isfinite(q)):
            raise BiomechError(
                f"Motion {name!r}: q has NaN or infinite values; fill gaps before differentiating"
            )
        if time_s.size <= SPLINE_DEGREE or np.any(np.diff(time_s) <= 0.0):
            raise BiomechError(
                f"Motion {name!r}: derivatives need at least {SPLINE_DEGREE + 1} samples with "
                f"strictly increasing time, got {time_s.size}"
            )
        qd, qdd = spline_derivatives(time_s, q)
        return cls(
            time_s=time_s,
            coordinate_names=tuple(names),
            q=q,
            qd=qd,
            qdd=qdd,
            rotational=tuple(rotational),
            loads=dict(loads or {}),
            events=dict(events or {}),
            direction=direction,
            params=dict(params or {}),
            name=name,
        )

    # ------------------------------------------------------------------ files
    def to_files(self, folder: str | os.PathLike[str], stem: str) -> dict[str, Path]:
        """Write the motion as OpenSim files plus JSON sidecars.

        Files (all written atomically into ``folder``, which is created):

        * ``<stem>_coordinates.mot`` – q, rotations in degrees, ``inDegrees=yes`` (as the OpenSim
          GUI and tools expect);
        * ``<stem>_speeds.sto``, ``<stem>_accelerations.sto`` – qd and qdd (deg/s, deg/s² for
          rotations), like OpenSim's Kinematics analysis, so that reading back is exact;
        * ``<stem>_grf.mot`` – per side ``ground_force_<s>_vx/vy/vz`` (N),
          ``ground_force_<s>_px/py/pz`` (m), ``ground_torque_<s>_x/y/z`` (N·m); only with loads;
        * ``<stem>_external_loads.xml`` – ``ExternalLoads`` pointing at the grf file, one
          ``ExternalForce`` per side applied to ``FootLoad.body``; only with loads;
        * ``<stem>_events.json`` – event times (s);
        * ``<stem>_params.json`` – name, direction, params, rotational flags.

        Returns
        -------
        dict of str to pathlib.Path
            Keys ``coordinates``, ``speeds``, ``accelerations``, ``events``, ``params`` and, with
            loads, ``grf`` and ``external_loads``.
        """
        folder = Path(folder)
        if not stem or any(ch in stem for ch in "/\\"):
            raise BiomechError(f"to_files: stem must be a plain file-name stem, got {stem!r}")
        rot = np.asarray(self.rotational, dtype=bool)
        paths: dict[str, Path] = {}
        for key, suffix, values, title in (
            ("coordinates", "_coordinates.mot", self.q, "Coordinates"),
            ("speeds", "_speeds.sto", self.qd, "Speeds"),
            ("accelerations", "_accelerations.sto", self.qdd, "Accelerations"),
        ):
            in_file = np.array(values, dtype=float)
            in_file[:, rot] = np.rad2deg(in_file[:, rot])
            paths[key] = write_table(
                folder / f"{stem}{suffix}",
                Table(
                    time_s=self.time_s,
                    columns=self.coordinate_names,
                    data=in_file,
                    in_degrees=True,
                    name=title,
                ),
            )
        if self.loads:
            grf_path = folder / f"{stem}_grf.mot"
            paths["grf"] = write_table(grf_path, self._grf_table())
            paths["external_loads"] = write_external_loads(
                folder / f"{stem}_external_loads.xml", self._external_loads_spec(grf_path.name)
            )
        events = {key: times.tolist() for key, times in self.events.items()}
        paths["events"] = atomic_write_text(
            folder / f"{stem}_events.json", json.dumps(events, indent=2) + "\n"
        )
        meta = {
            "format": _FORMAT,
            "name": self.name,
            "direction": self.direction,
            "rotational": dict(zip(self.coordinate_names, self.rotational, strict=True)),
            "allow_nan": self.allow_nan,
            "derivatives": _DERIVATIVES,
            "params": self.params,
        }
        try:
            text = json.dumps(meta, indent=2, default=_json_default)
        except (TypeError, ValueError) as exc:
            raise BiomechError(
                f"Motion {self.name!r}: params are not JSON-compatible ({exc})"
            ) from None
        paths["params"] = atomic_write_text(folder / f"{stem}_params.json", text + "\n")
        logger.debug("wrote motion %r to %s", self.name, folder)
        return paths

    @classmethod
    def from_files(
        cls,
        coords_path: str | os.PathLike[str],
        grf_path: str | os.PathLike[str] | None = None,
        external_loads_xml: str | os.PathLike[str] | None = None,
        *,
        rotational: Sequence[bool] | Mapping[str, bool] | None = None,
        sidecars: bool = True,
    ) -> Motion:
        """Read a motion from OpenSim files (those of :meth:`to_files` or other tools).

        Parameters
        ----------
        coords_path : path-like
            Coordinates ``.mot``/``.sto``. State-path labels
            (``/jointset/hip_r/hip_flexion_r/value``) become coordinate names (``hip_flexion_r``);
            other state columns (``.../speed``) are ignored. With ``inDegrees=yes`` rotational
            columns are converted to rad.
        grf_path : path-like, optional
            Ground reaction forces. Default: the ``datafile`` of ``external_loads_xml``.
        external_loads_xml : path-like, optional
            ``ExternalLoads`` mapping GRF columns to bodies. Without it, columns named
            ``ground_force_<side>_v*``, ``ground_force_<side>_p*``, ``ground_torque_<side>_*``
            are used, applied to ``calcn_<side>``. GRF sampled at other times than the coordinates
            is linearly interpolated onto the coordinate times (it must cover them).
        rotational : sequence of bool or mapping of name to bool, optional
            Which coordinates are rotations. Default: from ``<stem>_params.json`` if present, else
            every coordinate not named like a translation (``*_tx``, ``*_ty``, ``*_tz``).
        sidecars : bool
            Use the companion files of :meth:`to_files` when present next to a
            ``<stem>_coordinates.mot``: speeds and accelerations (else computed with
            :func:`spline_derivatives`), events and params.

        Returns
        -------
        Motion

        Raises
        ------
        MotionFileError
            A file cannot be read, GRF columns are missing, GRF time does not cover the
            coordinates, or a sidecar does not match the coordinates.
        """
        coords_path = Path(coords_path)
        table = read_table(coords_path)
        keep = [i for i, c in enumerate(table.columns) if _coordinate_name(c) is not None]
        names = tuple(_coordinate_name(table.columns[i]) or "" for i in keep)
        if not names:
            raise MotionFileError(coords_path, None, "no coordinate columns besides time")
        stem = _stem(coords_path) if sidecars else None
        meta = _read_json(coords_path.parent / f"{stem}_params.json") if stem else None
        rot = _rotational_flags(coords_path, names, rotational, meta)
        time_s = table.time_s
        q = _to_si(table.data[:, keep], rot, table.in_degrees)

        derivatives = []
        for suffix in ("_speeds.sto", "_accelerations.sto"):
            sidecar = coords_path.parent / f"{stem}{suffix}" if stem else None
            if sidecar is not None and sidecar.exists():
                derivatives.append(_read_derivative(sidecar, names, time_s, rot))
        if len(derivatives) != 2:
            if time_s.size <= SPLINE_DEGREE or not np.all(np.isfinite(q)):
                raise MotionFileError(
                    coords_path,
                    None,
                    f"speeds need at least {SPLINE_DEGREE + 1} rows without NaN "
                    f"(found {time_s.size} rows) or the <stem>_speeds.sto and "
                    "<stem>_accelerations.sto sidecars",
                )
            derivatives = list(spline_derivatives(time_s, q))

        loads: dict[str, FootLoad] = {}
        if external_loads_xml is not None or grf_path is not None:
            spec = read_external_loads(external_loads_xml) if external_loads_xml else None
            grf_file = Path(grf_path) if grf_path is not None else None
            if grf_file is None and spec is not None:
                grf_file = spec.datafile_path(external_loads_xml)
            if grf_file is None:
                raise MotionFileError(
                    external_loads_xml, None, "no <datafile>; pass grf_path explicitly"
                )
            arrays = loads_from_table(
                read_table(grf_file), spec=spec, time_s=time_s, source=grf_file
            )
            loads = {side: FootLoad(*load) for side, load in arrays.items()}

        events_file = coords_path.parent / f"{stem}_events.json" if stem else None
        events = _read_json(events_file) if events_file is not None else None
        meta = meta or {}
        try:
            return cls(
                time_s=time_s,
                coordinate_names=names,
                q=q,
                qd=derivatives[0],
                qdd=derivatives[1],
                rotational=rot,
                loads=loads,
                events={k: np.asarray(v, dtype=float) for k, v in (events or {}).items()},
                direction=meta.get("direction", "forward"),
                params=meta.get("params", {}),
                name=meta.get("name", stem or coords_path.stem),
                allow_nan=bool(meta.get("allow_nan", False)),
            )
        except BiomechError as exc:
            raise MotionFileError(coords_path, None, str(exc)) from None

    def _grf_table(self) -> Table:
        columns: list[str] = []
        blocks: list[np.ndarray] = []
        for side in _ordered_sides(self.loads):
            load = self.loads[side]
            force_id, point_id, torque_id = grf_identifiers(side)
            for prefix, values in (
                (force_id, load.force_n),
                (point_id, load.cop_m),
                (torque_id, load.free_moment_nm),
            ):
                columns.extend(f"{prefix}{axis}" for axis in _AXES)
                blocks.append(values)
        return Table(
            time_s=self.time_s,
            columns=tuple(columns),
            data=np.hstack(blocks),
            in_degrees=False,
            name="GRF",
        )

    def _external_loads_spec(self, datafile: str) -> ExternalLoadsSpec:
        forces = []
        for side in _ordered_sides(self.loads):
            force_id, point_id, torque_id = grf_identifiers(side)
            forces.append(
                ExternalForceSpec(
                    name=_SIDE_NAMES.get(side, side),
                    applied_to_body=self.loads[side].body,
                    force_identifier=force_id,
                    point_identifier=point_id,
                    torque_identifier=torque_id,
                    data_source_name=datafile,
                )
            )
        return ExternalLoadsSpec(
            name=self.name or "ExternalLoads", forces=tuple(forces), datafile=datafile
        )


def reverse(motion: Motion) -> Motion:
    """Reverse a motion in time: a forward gait becomes a backward one, and back.

    With ``T = t_first + t_last``, each sample at time ``t`` moves to ``T - t`` (so the time span
    is kept). Coordinates and loads are reversed in order; speeds change sign, accelerations and
    loads keep theirs (they are even under time reversal). Event times map to ``T - t`` and a foot
    strike becomes a toe off and vice versa (``foot_strike_r`` <-> ``toe_off_r``). The direction
    flips; name and params are kept, so ``reverse(reverse(m))`` equals ``m``.

    This is kinematic time reversal, a first approximation of backward gait: real backward running
    is not the time-reverse of forward running (muscle work changes sign).

    Parameters
    ----------
    motion : Motion

    Returns
    -------
    Motion
    """
    total = motion.time_s[0] + motion.time_s[-1]
    time_s = total - motion.time_s[::-1]
    # The end points are set exactly so that a double reversal returns the original span.
    time_s[0], time_s[-1] = motion.time_s[0], motion.time_s[-1]
    loads = {
        side: FootLoad(
            body=load.body,
            force_n=load.force_n[::-1],
            cop_m=load.cop_m[::-1],
            free_moment_nm=load.free_moment_nm[::-1],
        )
        for side, load in motion.loads.items()
    }
    events = {}
    for key, times in motion.events.items():
        mapped = np.clip(total - times[::-1], motion.time_s[0], motion.time_s[-1])
        events[_reverse_event_name(key)] = mapped
    return Motion(
        time_s=time_s,
        coordinate_names=motion.coordinate_names,
        q=motion.q[::-1],
        qd=-motion.qd[::-1],
        qdd=motion.qdd[::-1],
        rotational=motion.rotational,
        loads=loads,
        events=events,
        direction="backward" if motion.direction == "forward" else "forward",
        params=motion.params,
        name=motion.name,
        allow_nan=motion.allow_nan,
    )


def spline_derivatives(
    time_s: np.ndarray, values: np.ndarray, *, degree: int = SPLINE_DEGREE
) -> tuple[np.ndarray, np.ndarray]:
    """First and second time derivatives from an interpolating B-spline.

    Parameters
    ----------
    time_s : numpy.ndarray, shape (n,)
        Time (s), strictly increasing, ``n > degree``.
    values : numpy.ndarray, shape (n, ...)
        Samples, time along axis 0 (any unit ``u``).
    degree : int
        Spline degree. The default 5 (quintic, four times continuously differentiable) makes the
        second derivative a smooth cubic spline and is exact for polynomials up to degree 5.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Derivatives (u/s and u/s²) at ``time_s``, same shape as ``values``.

    Notes
    -----
    Uses :func:`scipy.interpolate.make_interp_spline` with its default not-a-knot end conditions.
    """
    spline = make_interp_spline(np.asarray(time_s, dtype=float), values, k=degree, axis=0)
    return spline.derivative(1)(time_s), spline.derivative(2)(time_s)


# ---------------------------------------------------------------------- helpers
def _frozen_array(values: Any) -> np.ndarray:
    array = np.array(values, dtype=float)
    array.setflags(write=False)
    return array


def _ordered_sides(loads: Mapping[str, FootLoad]) -> list[str]:
    return [s for s in ("r", "l") if s in loads] + sorted(s for s in loads if s not in ("r", "l"))


def _reverse_event_name(key: str) -> str:
    if key.startswith("foot_strike"):
        return "toe_off" + key[len("foot_strike") :]
    if key.startswith("toe_off"):
        return "foot_strike" + key[len("toe_off") :]
    return key


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _stem(coords_path: Path) -> str | None:
    suffix = "_coordinates.mot"
    return coords_path.name[: -len(suffix)] if coords_path.name.endswith(suffix) else None


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MotionFileError(path, exc.lineno, f"invalid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise MotionFileError(path, 1, "expected a JSON object")
    return value


def _coordinate_name(label: str) -> str | None:
    """Coordinate name from a column label; ``None`` for non-value state columns."""
    if not label.startswith("/"):
        return label
    parts = label.strip("/").split("/")
    if len(parts) >= 2 and parts[-1] == "value":
        return parts[-2]
    return None


def _looks_translational(name: str) -> bool:
    return re.search(r"(?:^|_)t[xyz](?:_|$)", name) is not None


def _rotational_flags(
    path: Path,
    names: tuple[str, ...],
    rotational: Sequence[bool] | Mapping[str, bool] | None,
    meta: Mapping[str, Any] | None,
) -> tuple[bool, ...]:
    if rotational is None and meta is not None and isinstance(meta.get("rotational"), dict):
        rotational = meta["rotational"]
    if rotational is None:
        flags = tuple(not _looks_translational(n) for n in names)
        logger.info(
            "%s: rotational flags guessed from names; translations: %s",
            path,
            [n for n, f in zip(names, flags, strict=True) if not f],
        )
        return flags
    if isinstance(rotational, Mapping):
        missing = [n for n in names if n not in rotational]
        if missing:
            raise MotionFileError(path, None, f"no rotational flag for coordinates {missing}")
        return tuple(bool(rotational[n]) for n in names)
    flags = tuple(bool(r) for r in rotational)
    if len(flags) != len(names):
        raise MotionFileError(
            path, None, f"{len(flags)} rotational flags given for {len(names)} coordinates"
        )
    return flags


def _to_si(values: np.ndarray, rotational: Sequence[bool], in_degrees: bool) -> np.ndarray:
    values = np.array(values, dtype=float)
    if in_degrees:
        rot = np.asarray(rotational, dtype=bool)
        values[:, rot] = np.deg2rad(values[:, rot])
    return values


def _read_derivative(
    path: Path, names: tuple[str, ...], time_s: np.ndarray, rotational: Sequence[bool]
) -> np.ndarray:
    table = read_table(path)
    if table.n_rows != time_s.size or not np.allclose(
        table.time_s, time_s, rtol=0.0, atol=_TIME_TOL_S
    ):
        raise MotionFileError(path, None, "time does not match the coordinates file")
    try:
        selected = table.select(names)
    except KeyError:
        raise MotionFileError(
            path, None, f"expected the coordinate columns {list(names)}"
        ) from None
    return _to_si(selected.data, rotational, table.in_degrees)
