"""Read and write OpenSim ``ExternalLoads`` ``.xml`` files.

An ``ExternalLoads`` file lists ``ExternalForce`` objects: the body each force acts on, the frames
the force and its point are expressed in, and the column prefixes (identifiers) that locate the
force (``<id>x``, ``<id>y``, ``<id>z``), point and torque in the data file named by ``datafile``.
Files written by OpenSim 3 (``Version="30000"``) and 4 are read; files are written with
``Version="40000"``.
"""

from __future__ import annotations

import logging
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from xml.parsers import expat

import numpy as np

from biomech.errors import MotionFileError
from biomech.io.storage import Table, atomic_write_text

logger = logging.getLogger(__name__)

__all__ = [
    "ExternalForceSpec",
    "ExternalLoadsSpec",
    "LoadArrays",
    "grf_identifiers",
    "loads_from_table",
    "read_external_loads",
    "write_external_loads",
]

_DOCUMENT_VERSION = "40000"
_AXES = ("x", "y", "z")
#: Tolerance (s) on the GRF time covering the requested times.
_TIME_TOL_S = 1e-6


@dataclass(frozen=True)
class ExternalForceSpec:
    """One ``ExternalForce`` entry.

    Parameters
    ----------
    name : str
        Object name, e.g. ``"right"``.
    applied_to_body : str
        Body the force acts on, e.g. ``"calcn_r"``.
    force_identifier, point_identifier, torque_identifier : str
        Column prefixes in the data file; ``"ground_force_r_v"`` locates the columns
        ``ground_force_r_vx``, ``..._vy`` and ``..._vz`` (N, m and N·m).
    force_expressed_in_body, point_expressed_in_body : str
        Frames of the force vector and of its point; ``"ground"`` for force-plate data.
    data_source_name : str
        Name of the data source; OpenSim uses the ``datafile`` of the enclosing
        ``ExternalLoads`` when one is given.
    is_disabled : bool
        The ``isDisabled`` flag.
    """

    name: str
    applied_to_body: str
    force_identifier: str
    point_identifier: str
    torque_identifier: str
    force_expressed_in_body: str = "ground"
    point_expressed_in_body: str = "ground"
    data_source_name: str = "Unassigned"
    is_disabled: bool = False

    @property
    def side(self) -> str:
        """The foot this force belongs to.

        Taken from a ``ground_force_<side>_v`` force identifier (as written by this package), else
        ``'r'``/``'l'`` from the body suffix (``calcn_r``) or from ``right``/``left`` in the name,
        else the name itself.
        """
        match = re.fullmatch(r"ground_force_(\w+?)_v", self.force_identifier)
        if match:
            return match.group(1)
        body = self.applied_to_body.lower()
        if body.endswith("_r"):
            return "r"
        if body.endswith("_l"):
            return "l"
        lowered = self.name.lower()
        if "right" in lowered:
            return "r"
        if "left" in lowered:
            return "l"
        return self.name


@dataclass(frozen=True)
class ExternalLoadsSpec:
    """An ``ExternalLoads`` document.

    Parameters
    ----------
    name : str
        Object name.
    forces : tuple of ExternalForceSpec
        The forces, in file order.
    datafile : str
        The data file as written in the xml, usually relative to the xml's folder; ``""`` when
        absent.
    """

    name: str
    forces: tuple[ExternalForceSpec, ...]
    datafile: str = ""

    def datafile_path(self, xml_path: str | os.PathLike[str]) -> Path | None:
        """The data file resolved against the folder of ``xml_path`` (``None`` when unset)."""
        if not self.datafile:
            return None
        datafile = Path(self.datafile)
        return datafile if datafile.is_absolute() else Path(xml_path).parent / datafile


def grf_identifiers(side: str) -> tuple[str, str, str]:
    """Column prefixes (force, point, torque) this package writes for one foot.

    Examples
    --------
    >>> grf_identifiers("r")
    ('ground_force_r_v', 'ground_force_r_p', 'ground_torque_r_')
    """
    return (f"ground_force_{side}_v", f"ground_force_{side}_p", f"ground_torque_{side}_")


class LoadArrays(NamedTuple):
    """One foot's load read from a GRF table (ground frame).

    Attributes
    ----------
    body : str
        Body the load is applied to.
    force_n, cop_m, free_moment_nm : numpy.ndarray, shape (n, 3)
        Force (N), centre of pressure (m) and free moment (N·m).
    """

    body: str
    force_n: np.ndarray
    cop_m: np.ndarray
    free_moment_nm: np.ndarray


def loads_from_table(
    table: Table,
    *,
    spec: ExternalLoadsSpec | None = None,
    time_s: np.ndarray | None = None,
    source: str | os.PathLike[str] = "",
) -> dict[str, LoadArrays]:
    """Per-foot force, centre of pressure and free moment from a GRF table.

    Parameters
    ----------
    table : Table
        GRF data (N, m, N·m), e.g. from :func:`~biomech.io.read_table`.
    spec : ExternalLoadsSpec, optional
        Maps columns to bodies (disabled forces are skipped; forces and points must be expressed
        in ground). Without it, columns ``ground_force_<s>_v*``, ``ground_force_<s>_p*`` and
        ``ground_torque_<s>_*`` are used for every side ``<s>`` found, applied to ``calcn_<s>``.
    time_s : numpy.ndarray, optional
        Times (s) to return the loads at: the table's own when omitted or equal (within 1e-9 s),
        else linear interpolation, which must not extrapolate (1e-6 s tolerance).
    source : path-like
        File named in error messages.

    Returns
    -------
    dict of str to LoadArrays
        Keyed by side (:attr:`ExternalForceSpec.side`, e.g. ``'r'``, ``'l'``). Missing torque
        columns give a zero free moment (logged as a warning).

    Raises
    ------
    MotionFileError
        Missing force or point columns, forces not in ground, two forces on one side, or GRF time
        not covering ``time_s``.
    """
    source = str(source or table.name)
    time_s = table.time_s if time_s is None else np.asarray(time_s, dtype=float)
    if spec is None:
        sides = [m.group(1) for c in table.columns if (m := _SIDE_COLUMN.fullmatch(c))]
        if not sides:
            raise MotionFileError(
                source,
                None,
                "no ground_force_<side>_vx columns; pass an ExternalLoads spec to map the columns",
            )
        forces = [
            ExternalForceSpec(f"side {side!r}", f"calcn_{side}", *grf_identifiers(side))
            for side in sides
        ]
    else:
        forces = [force for force in spec.forces if not force.is_disabled]
    loads: dict[str, LoadArrays] = {}
    for force in forces:
        if force.force_expressed_in_body != "ground" or force.point_expressed_in_body != "ground":
            raise MotionFileError(
                source, None, f"ExternalForce {force.name!r} is not expressed in ground"
            )
        if force.side in loads:
            raise MotionFileError(source, None, f"two ExternalForces for side {force.side!r}")
        arrays = []
        identifiers = (force.force_identifier, force.point_identifier, force.torque_identifier)
        for role, prefix in zip(("force", "point", "torque"), identifiers, strict=True):
            columns = [f"{prefix}{axis}" for axis in _AXES]
            missing = [c for c in columns if c not in table.columns]
            if not missing:
                arrays.append(_on_time_grid(table, source, columns, time_s))
            elif role == "torque":
                logger.warning(
                    "%s: no torque columns %s for %s; free moment set to 0",
                    source,
                    columns,
                    force.name,
                )
                arrays.append(np.zeros((time_s.size, 3)))
            else:
                raise MotionFileError(
                    source, None, f"no {role} columns {missing} for ExternalForce {force.name!r}"
                )
        loads[force.side] = LoadArrays(force.applied_to_body, *arrays)
    return loads


def write_external_loads(path: str | os.PathLike[str], loads: ExternalLoadsSpec) -> Path:
    """Write an ``ExternalLoads`` xml file atomically.

    Parameters
    ----------
    path : path-like
        Destination ``.xml``.
    loads : ExternalLoadsSpec
        What to write.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    document = ET.Element("OpenSimDocument", Version=_DOCUMENT_VERSION)
    root = ET.SubElement(document, "ExternalLoads", name=loads.name)
    objects = ET.SubElement(root, "objects")
    for force in loads.forces:
        element = ET.SubElement(objects, "ExternalForce", name=force.name)
        for tag, value in (
            ("isDisabled", "true" if force.is_disabled else "false"),
            ("applied_to_body", force.applied_to_body),
            ("force_expressed_in_body", force.force_expressed_in_body),
            ("point_expressed_in_body", force.point_expressed_in_body),
            ("force_identifier", force.force_identifier),
            ("point_identifier", force.point_identifier),
            ("torque_identifier", force.torque_identifier),
            ("data_source_name", force.data_source_name),
        ):
            ET.SubElement(element, tag).text = value
    ET.SubElement(root, "groups")
    ET.SubElement(root, "datafile").text = loads.datafile
    ET.indent(document, space="\t")
    text = ET.tostring(document, encoding="unicode")
    return atomic_write_text(path, '<?xml version="1.0" encoding="UTF-8" ?>\n' + text + "\n")


def read_external_loads(path: str | os.PathLike[str]) -> ExternalLoadsSpec:
    """Read an ``ExternalLoads`` xml file.

    Parameters
    ----------
    path : path-like
        The ``.xml`` file.

    Returns
    -------
    ExternalLoadsSpec
        Its forces and data file.

    Raises
    ------
    MotionFileError
        The file is not well-formed xml, has no ``ExternalLoads`` element, or an
        ``ExternalForce`` lacks ``applied_to_body`` or an identifier; the message names the line.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MotionFileError(path, None, f"cannot read the file ({exc.strerror})") from None
    root, lines = _parse_with_lines(path, raw)

    loads = root if root.tag == "ExternalLoads" else root.find("ExternalLoads")
    if loads is None:
        raise MotionFileError(
            path, lines.get(id(root)), f"expected an <ExternalLoads> element, found <{root.tag}>"
        )
    forces = []
    for element in loads.iter("ExternalForce"):

        def text(tag: str, default: str | None = None, *, _el: ET.Element = element) -> str:
            return _child_text(path, lines, _el, tag, default)

        disabled = text("isDisabled", "false").lower()
        if disabled not in {"true", "false"}:
            raise MotionFileError(
                path, lines.get(id(element)), f"isDisabled is {disabled!r}; expected true/false"
            )
        forces.append(
            ExternalForceSpec(
                name=element.get("name", ""),
                applied_to_body=text("applied_to_body"),
                force_identifier=text("force_identifier"),
                point_identifier=text("point_identifier"),
                torque_identifier=text("torque_identifier", ""),
                force_expressed_in_body=text("force_expressed_in_body", "ground"),
                point_expressed_in_body=text("point_expressed_in_body", "ground"),
                data_source_name=text("data_source_name", "Unassigned"),
                is_disabled=disabled == "true",
            )
        )
    datafile = loads.find("datafile")
    return ExternalLoadsSpec(
        name=loads.get("name", ""),
        forces=tuple(forces),
        datafile=(datafile.text or "").strip() if datafile is not None else "",
    )


_SIDE_COLUMN = re.compile(r"ground_force_(\w+?)_vx")


def _on_time_grid(
    table: Table, source: str, columns: Sequence[str], time_s: np.ndarray
) -> np.ndarray:
    """Columns of ``table`` at ``time_s`` (linear interpolation when the times differ)."""
    values = table.select(columns).data
    if table.n_rows == time_s.size and np.allclose(table.time_s, time_s, rtol=0.0, atol=1e-9):
        return np.array(values)
    if table.time_s[0] > time_s[0] + _TIME_TOL_S or table.time_s[-1] < time_s[-1] - _TIME_TOL_S:
        raise MotionFileError(
            source,
            None,
            f"GRF time {float(table.time_s[0])!r}-{float(table.time_s[-1])!r} s does not cover "
            f"{float(time_s[0])!r}-{float(time_s[-1])!r} s",
        )
    return np.column_stack([np.interp(time_s, table.time_s, column) for column in values.T])


def _child_text(
    path: Path, lines: dict[int, int], element: ET.Element, tag: str, default: str | None
) -> str:
    """Text of ``element``'s child ``tag``; ``default`` when absent or empty (error if None)."""
    child = element.find(tag)
    value = (child.text or "").strip() if child is not None else ""
    if value:
        return value
    if default is None:
        where = f"ExternalForce {element.get('name', '')!r}"
        raise MotionFileError(path, lines.get(id(element)), f"{where} has no <{tag}>; expected one")
    return default


def _parse_with_lines(path: Path, raw: bytes) -> tuple[ET.Element, dict[int, int]]:
    """Parse xml into an ElementTree, recording each element's line (keyed by ``id``)."""
    builder = ET.TreeBuilder()
    lines: dict[int, int] = {}
    parser = expat.ParserCreate()

    def start(tag: str, attrs: dict[str, str]) -> None:
        lines[id(builder.start(tag, attrs))] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        raise MotionFileError(
            path, exc.lineno, f"not well-formed xml ({expat.ErrorString(exc.code)})"
        ) from None
    return builder.close(), lines
