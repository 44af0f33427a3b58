"""Functional muscle groups of a musculoskeletal model (``models/groups/*.yaml``).

A group map names, per side, the muscles of each functional group (quadriceps, hamstrings,
knee_flexors, plantarflexors, dorsiflexors, hip_extensors, hip_flexors) and records the model's
sign conventions: which coordinate measures hip flexion, knee flexion and ankle dorsiflexion, and
whether it grows (+1) or shrinks (-1) with that motion. gait10dof18musc has knee flexion negative;
Rajagopal 2016 and running2d have it positive.

Every user error is raised as a :class:`~biomech.errors.SpecError` whose one-line message names
the file, the field path and what was expected. This module does not import OpenSim; checking the
names against a model is done by :func:`biomech.models.load.load`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from biomech.errors import SpecError, field_path
from biomech.io.config import read_yaml
from biomech.models.build import MODELS_DIR

GROUPS_DIR = MODELS_DIR / "groups"
"""Folder of the shipped group maps, one ``<model>.yaml`` per model."""

GROUP_NAMES = ("quadriceps", "hamstrings", "knee_flexors", "plantarflexors", "dorsiflexors",
               "hip_extensors", "hip_flexors")
"""Groups every map must define, and the only ones it may define."""

SIDES = ("r", "l")
MOTIONS = ("hip_flexion", "knee_flexion", "ankle_dorsiflexion")

Side = Literal["r", "l"]
Motion = Literal["hip_flexion", "knee_flexion", "ankle_dorsiflexion"]


@dataclass(frozen=True)
class GroupMap:
    """Functional muscle groups of one model and its sagittal sign conventions.

    Attributes
    ----------
    model : name of the model the map belongs to (e.g. ``"gait10dof18musc"``)
    groups : group name -> side (``"r"``/``"l"``) -> muscle names, in the map's order
    knee_flexion_sign : +1 if the knee coordinate increases with flexion, -1 if it decreases
    hip_flexion_sign, ankle_dorsiflexion_sign : the same for hip flexion and ankle dorsiflexion
    coordinates : motion -> coordinate name without its side suffix (``"knee_angle"``)
    source : where the model comes from (free text from the map file)
    path : the YAML file the map was read from, None when built in code
    """

    model: str
    groups: dict[str, dict[str, tuple[str, ...]]]
    knee_flexion_sign: int
    hip_flexion_sign: int = 1
    ankle_dorsiflexion_sign: int = 1
    coordinates: dict[str, str] = field(default_factory=lambda: {
        "hip_flexion": "hip_flexion", "knee_flexion": "knee_angle",
        "ankle_dorsiflexion": "ankle_angle"})
    source: str = ""
    path: Path | None = None

    def muscles(self, group: str, side: Side = "r") -> tuple[str, ...]:
        """Muscle names of ``group`` on ``side``."""
        if group not in self.groups:
            raise KeyError(f"{self.model}: no muscle group '{group}'; groups: {sorted(self.groups)}")
        return self.groups[group][side]

    def all_muscles(self) -> tuple[str, ...]:
        """Every muscle named in the map (both sides), once each, in order of first mention."""
        return tuple(dict.fromkeys(m for sides in self.groups.values()
                                   for side in SIDES for m in sides.get(side, ())))

    def coordinate(self, motion: Motion, side: Side = "r") -> str:
        """Name of the model coordinate measuring ``motion`` on ``side`` (e.g. ``knee_angle_r``)."""
        return f"{self.coordinates[motion]}_{side}"

    def sign(self, motion: Motion) -> int:
        """+1 if the coordinate of ``motion`` increases with it (flexion, dorsiflexion), else -1.

        Multiply a coordinate value (rad) or a moment arm (m) about it by this sign to express it
        flexion-positive.
        """
        return {"hip_flexion": self.hip_flexion_sign, "knee_flexion": self.knee_flexion_sign,
                "ankle_dorsiflexion": self.ankle_dorsiflexion_sign}[motion]

    @property
    def source_label(self) -> str:
        """The map's file path, or its model name when it was not read from a file."""
        return str(self.path) if self.path is not None else self.model


# ----------------------------------------------------------------------------- file schema
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Convention(_Strict):
    coordinate: str = Field(min_length=1)
    sign: Literal[1, -1]


class _Signs(_Strict):
    hip_flexion: _Convention
    knee_flexion: _Convention
    ankle_dorsiflexion: _Convention


class _Sides(_Strict):
    r: list[str] = Field(min_length=1)
    l: list[str] = Field(min_length=1)  # noqa: E741 (the side's name in the file)


class _Groups(_Strict):
    quadriceps: _Sides
    hamstrings: _Sides
    knee_flexors: _Sides
    plantarflexors: _Sides
    dorsiflexors: _Sides
    hip_extensors: _Sides
    hip_flexors: _Sides


class _GroupMapFile(_Strict):
    model: str = Field(min_length=1)
    source: str = Field(min_length=1)
    coordinate_signs: _Signs
    groups: _Groups


def _describe(err: dict) -> str:
    kind, loc = err["type"], err["loc"]
    in_groups = len(loc) == 2 and loc[0] == "groups"
    if kind == "missing":
        if in_groups:
            return f"required group is missing; a map defines {', '.join(GROUP_NAMES)}"
        return "required field is missing"
    if kind == "extra_forbidden":
        if in_groups:
            return f"unknown group '{loc[1]}'; expected one of {', '.join(GROUP_NAMES)}"
        return "unknown field (not part of the group map schema)"
    if kind == "too_short":
        return "must list at least one muscle"
    if kind == "literal_error" and loc[-1] == "sign":
        return f"got {err.get('input')!r}; expected 1 or -1"
    return " ".join(str(err["msg"]).split())


def _check_sides(source: str, group: str, sides: _Sides) -> None:
    for side in SIDES:
        seen: dict[str, int] = {}
        for i, name in enumerate(getattr(sides, side)):
            where = f"groups.{group}.{side}[{i}]"
            if not name.endswith(f"_{side}"):
                word = "right" if side == "r" else "left"
                raise SpecError(source, where, f"{word}-side muscle '{name}' must end in '_{side}'")
            if name in seen:
                raise SpecError(source, where, f"'{name}' is listed twice (also at [{seen[name]}])")
            seen[name] = i
    right = [n[:-2] for n in sides.r]
    left = {n[:-2] for n in sides.l}
    lacking = [f"{n}_l" for n in right if n not in left]
    extra = [f"{n}_l" for n in sorted(left - set(right))]
    if lacking or extra:
        what = (f"lacks {', '.join(lacking)}" if lacking else "") + \
            ("; " if lacking and extra else "") + \
            (f"has {', '.join(extra)} with no right-side match" if extra else "")
        raise SpecError(source, f"groups.{group}.l", f"left side must mirror the right side: {what}")


def parse_group_map(data: object, source: str = "<group map>", path: Path | None = None) -> GroupMap:
    """Validate a group map given as plain data (a parsed YAML mapping).

    Raises
    ------
    SpecError
        On the first problem: unknown or missing field or group, empty side, a muscle without its
        side suffix, a duplicate, or a left side that does not mirror the right.
    """
    if not isinstance(data, dict):
        raise SpecError(source, "<root>", "expected a mapping (YAML dictionary) at the top level")
    try:
        spec = _GroupMapFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise SpecError(source, field_path(tuple(err["loc"])), _describe(err)) from None
    groups: dict[str, dict[str, tuple[str, ...]]] = {}
    for name in GROUP_NAMES:
        sides: _Sides = getattr(spec.groups, name)
        _check_sides(source, name, sides)
        groups[name] = {"r": tuple(sides.r), "l": tuple(sides.l)}
    cs = spec.coordinate_signs
    return GroupMap(
        model=spec.model, groups=groups, knee_flexion_sign=cs.knee_flexion.sign,
        hip_flexion_sign=cs.hip_flexion.sign, ankle_dorsiflexion_sign=cs.ankle_dorsiflexion.sign,
        coordinates={m: getattr(cs, m).coordinate for m in MOTIONS},
        source=" ".join(spec.source.split()), path=path)


def shipped_group_maps() -> tuple[str, ...]:
    """Names of the group maps shipped in ``models/groups/`` (file stems)."""
    return tuple(sorted(p.stem for p in GROUPS_DIR.glob("*.yaml")))


def _as_path(name_or_path: str | Path) -> Path:
    if isinstance(name_or_path, Path):
        return name_or_path
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or len(p.parts) > 1 or p.exists():
        return p
    shipped = shipped_group_maps()
    key = name_or_path.lower()
    if key not in shipped:
        raise SpecError(str(name_or_path), "<name>",
                        f"no shipped group map of that name; shipped: {', '.join(shipped)}")
    return GROUPS_DIR / f"{key}.yaml"


def load_group_map(name_or_path: str | Path) -> GroupMap:
    """Read and validate a functional muscle-group map.

    Parameters
    ----------
    name_or_path : a shipped map's name (``"gait10dof18musc"``, ``"rajagopal2016"``,
        ``"running2d"``; case-insensitive) or the path of a YAML map file

    Returns
    -------
    GroupMap
        Muscle names per group and side, and the model's sign conventions. Names are not checked
        against a model here (see :func:`biomech.models.load.load`).

    Raises
    ------
    SpecError
        One line naming the file, the field path and what was expected.
    """
    path = _as_path(name_or_path)
    return parse_group_map(read_yaml(path, "group map"), str(path), path)


def _model_key(model_name: str) -> str:
    name = Path(str(model_name)).name
    if name.lower().endswith(".osim"):
        name = name[: -len(".osim")]
    return name.lower()


def group_map_for(model_name: str) -> GroupMap | None:
    """The shipped group map for a model, or None if none matches.

    Parameters
    ----------
    model_name : a model's name or its ``.osim`` file name or path; compared case-insensitively
        with the shipped map names after removing the directory and ``.osim``
        (``"gait10dof18musc.osim"`` -> ``gait10dof18musc``, ``"Rajagopal2016"`` -> ``rajagopal2016``)
    """
    key = _model_key(model_name)
    if key not in shipped_group_maps():
        return None
    path = _as_path(key)
    return _load_shipped(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _load_shipped(path: str, mtime_ns: int) -> GroupMap:
    """A shipped map, parsed once per file version (every analysis asks for its model's map; the
    YAML parse costs about 20 ms). Keyed by modification time so an edited file is read again."""
    return load_group_map(path)


__all__ = ["GroupMap", "GROUP_NAMES", "GROUPS_DIR", "load_group_map", "parse_group_map",
           "group_map_for", "shipped_group_maps"]
