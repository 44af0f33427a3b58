"""Typed schema of a model spec (``models/*.yaml``) and its loader.

Every user error (missing or unknown field, non-physical value, unknown body) is raised as a
:class:`~biomech.errors.SpecError` whose one-line message names the file, the field path and
what was expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from biomech.errors import SpecError, field_path
from biomech.io.config import read_yaml

Positive = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(gt=0, lt=1)]
Vec2 = tuple[float, float]
Vec3 = tuple[float, float, float]

SEGMENT_NAMES = ("pelvis", "femur", "tibia", "calcn", "toes", "patella", "torso")
SOURCE_BODIES = ("pelvis", "femur", "tibia", "calcn", "patella")
SIDED_COORDINATES = ("hip_flexion", "knee_angle", "ankle_angle", "mtp_angle")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(_Strict):
    mass_kg: Positive
    height_m: Positive


class AnthroSegment(_Strict):
    endpoints: str
    length_m: Positive
    mass_fraction: Fraction
    com_fraction: Fraction
    gyration: tuple[Fraction, Fraction, Fraction]


class Anthropometry(_Strict):
    source: str
    reference_stature_m: Positive
    segments: dict[str, AnthroSegment]
    shoulder_above_hip_fraction: Fraction

    @field_validator("segments")
    @classmethod
    def _all_segments(cls, v: dict[str, AnthroSegment]) -> dict[str, AnthroSegment]:
        need = {"head", "upper_trunk", "middle_trunk", "lower_trunk", "upper_arm", "forearm",
                "hand", "thigh", "shank", "foot"}
        missing = sorted(need - set(v))
        if missing:
            raise ValueError(f"missing segment(s) {', '.join(missing)}")
        unknown = sorted(set(v) - need)
        if unknown:
            raise ValueError(f"unknown segment(s) {', '.join(unknown)}; expected {sorted(need)}")
        total = v["head"].mass_fraction + v["upper_trunk"].mass_fraction + \
            v["middle_trunk"].mass_fraction + v["lower_trunk"].mass_fraction + 2 * sum(
                v[k].mass_fraction for k in ("upper_arm", "forearm", "hand", "thigh", "shank", "foot"))
        if abs(total - 1.0) > 0.005:
            raise ValueError(f"mass fractions sum to {total:.4f}, expected 1 (head, trunk, 2 arms, 2 legs)")
        return v


class FootGeometry(_Strict):
    reference_stature_m: Positive
    calcn_origin_m: Vec2
    sole_y_m: float = Field(lt=0)
    mtp_m: Vec2
    mtp_enabled: bool
    toes_mass_fraction_of_foot: Fraction


class PatellaSpec(_Strict):
    source: str
    mass_fraction: Fraction
    reference_thigh_length_m: Positive
    knee_flexion_rad: list[float]
    rotation_rad: list[float]
    translation_x_m: list[float]
    translation_y_m: list[float]
    polynomial_degree: Annotated[int, Field(ge=1, le=8)]

    @model_validator(mode="after")
    def _same_lengths(self) -> PatellaSpec:
        n = len(self.knee_flexion_rad)
        for name in ("rotation_rad", "translation_x_m", "translation_y_m"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} samples, "
                                 f"expected {n} (one per knee_flexion_rad)")
        if n <= self.polynomial_degree:
            raise ValueError(f"{n} samples cannot fit a degree-{self.polynomial_degree} polynomial")
        return self


class KneeSpec(_Strict):
    source: str
    reference_thigh_length_m: Positive
    knee_flexion_rad_x: list[float]
    translation_x_m: list[float]
    knee_flexion_rad_y: list[float]
    translation_y_m: list[float]
    polynomial_degree_x: Annotated[int, Field(ge=0, le=8)]
    polynomial_degree_y: Annotated[int, Field(ge=0, le=8)]

    @model_validator(mode="after")
    def _same_lengths(self) -> KneeSpec:
        for ang, val, deg in (("knee_flexion_rad_x", "translation_x_m", self.polynomial_degree_x),
                              ("knee_flexion_rad_y", "translation_y_m", self.polynomial_degree_y)):
            n = len(getattr(self, ang))
            if len(getattr(self, val)) != n:
                raise ValueError(f"{val} has {len(getattr(self, val))} samples, expected {n}")
            if n <= deg:
                raise ValueError(f"{n} samples in {ang} cannot fit a degree-{deg} polynomial")
        return self


class CoordinateSpec(_Strict):
    range: Vec2
    default: float

    @model_validator(mode="after")
    def _ordered(self) -> CoordinateSpec:
        lo, hi = self.range
        if not lo < hi:
            raise ValueError(f"range [{lo}, {hi}] must have min < max")
        if not lo <= self.default <= hi:
            raise ValueError(f"default {self.default} outside range [{lo}, {hi}]")
        return self


class SkeletonSpec(_Strict):
    hip_half_width_m: Positive
    hip_half_width_reference_stature_m: Positive
    foot: FootGeometry
    knee: KneeSpec
    patella: PatellaSpec
    coordinates: dict[str, CoordinateSpec]

    @field_validator("coordinates")
    @classmethod
    def _known(cls, v: dict[str, CoordinateSpec]) -> dict[str, CoordinateSpec]:
        need = {"pelvis_tilt", "pelvis_tx", "pelvis_ty", "lumbar_extension", *SIDED_COORDINATES}
        missing, unknown = sorted(need - set(v)), sorted(set(v) - need)
        if missing:
            raise ValueError(f"missing coordinate(s) {', '.join(missing)}")
        if unknown:
            raise ValueError(f"unknown coordinate(s) {', '.join(unknown)}; expected {sorted(need)}")
        return v


class SourceFrame(_Strict):
    origin: Vec3
    reference_length_m: Positive


class ActiveWhen(_Strict):
    coordinate: Literal["hip_flexion", "knee_angle", "ankle_angle"]
    range_rad: Vec2


class PathPointSpec(_Strict):
    frame: str
    body: Literal["pelvis", "femur", "tibia", "calcn", "patella"]
    location_m: Vec3
    active_when: ActiveWhen | None = None


class MuscleDefaults(_Strict):
    model: Literal["DeGrooteFregly2016Muscle"]
    tendon_strain_at_one_norm_force: Annotated[float, Field(gt=0, le=0.2)]
    passive_fiber_strain_at_one_norm_force: Annotated[float, Field(gt=0, le=2.0)]
    max_contraction_velocity: Annotated[float, Field(gt=0, le=30)]
    activation_time_constant: Annotated[float, Field(gt=0, le=0.2)]
    deactivation_time_constant: Annotated[float, Field(gt=0, le=0.5)]
    force_reference_mass_kg: Positive


class SegmentRef(_Strict):
    frame: str
    body: Literal["pelvis", "femur", "tibia", "calcn", "patella"]


class MuscleSpec(_Strict):
    max_isometric_force_n: Annotated[float, Field(gt=0, le=50000)]
    optimal_fiber_length_m: Annotated[float, Field(gt=0.005, le=0.6)]
    tendon_slack_length_m: Annotated[float, Field(ge=0.0, le=0.8)]
    pennation_angle_rad: Annotated[float, Field(ge=0.0, lt=1.0)]
    reference_mtu_length_m: Annotated[float, Field(gt=0.01, le=1.5)]
    path: list[PathPointSpec] = Field(min_length=2)
    #: for a path longer than its source's (e.g. over a patella the source model does not have):
    #: the optimal fibre length and the source's belly length (reference MTU length minus tendon
    #: slack length) scale with this source segment, and the rest of this model's path is tendon
    fibre_scales_with: SegmentRef | None = None
    #: this unit's passive fibre strain at one normalised force (DeGroote passive curve), when it
    #: differs from ``muscle_defaults``; None: the default
    passive_fiber_strain_at_one_norm_force: Annotated[float, Field(gt=0, le=2.0)] | None = None


class SphereSpec(_Strict):
    location_m: Vec2
    radius_m: Annotated[float, Field(gt=0, le=0.2)]


class ContactSpec(_Strict):
    enabled: bool
    stiffness: Positive
    dissipation: Annotated[float, Field(ge=0)]
    static_friction: Annotated[float, Field(ge=0)]
    dynamic_friction: Annotated[float, Field(ge=0)]
    viscous_friction: Annotated[float, Field(ge=0)]
    transition_velocity: Positive
    hertz_smoothing: Positive
    hunt_crossley_smoothing: Positive
    spheres: dict[str, SphereSpec]


class ModelSpec(_Strict):
    """A planar biped model specification (see ``models/running2d.yaml``)."""

    name: str
    description: str
    defaults: Defaults
    anthropometry: Anthropometry
    skeleton: SkeletonSpec
    source_frames: dict[str, dict[str, SourceFrame]]
    muscle_defaults: MuscleDefaults
    muscles: dict[str, MuscleSpec] = Field(min_length=1)
    contact: ContactSpec

    @model_validator(mode="after")
    def _frames_exist(self) -> ModelSpec:
        for frame, bodies in self.source_frames.items():
            for body in bodies:
                if body not in SOURCE_BODIES:
                    raise ValueError(f"source_frames.{frame}.{body}: unknown body '{body}', "
                                     f"expected one of {list(SOURCE_BODIES)}")
        for mname, m in self.muscles.items():
            for i, p in enumerate(m.path):
                where = f"muscles.{mname}.path[{i}]"
                if p.frame not in self.source_frames:
                    raise ValueError(f"{where}.frame: unknown source frame '{p.frame}', "
                                     f"expected one of {sorted(self.source_frames)}")
                if p.body not in self.source_frames[p.frame]:
                    raise ValueError(f"{where}.body: body '{p.body}' has no entry in "
                                     f"source_frames.{p.frame}")
            ref = m.fibre_scales_with
            if ref is not None and (ref.frame not in self.source_frames
                                    or ref.body not in self.source_frames[ref.frame]):
                raise ValueError(f"muscles.{mname}.fibre_scales_with: no source frame "
                                 f"{ref.frame}.{ref.body}; expected one listed in source_frames")
            if m.tendon_slack_length_m + m.optimal_fiber_length_m > 2.5 * m.reference_mtu_length_m:
                raise ValueError(f"muscles.{mname}: optimal fibre + tendon slack length "
                                 f"{m.tendon_slack_length_m + m.optimal_fiber_length_m:.3f} m is not "
                                 f"physical for an MTU of {m.reference_mtu_length_m:.3f} m")
        return self


_FIELD_PREFIX = re.compile(r"^([A-Za-z_][\w.\[\]]*): ")


def _describe(err: dict) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (not part of the model spec schema)"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    got = err.get("input")
    if isinstance(got, (int, float, str, bool)) and not kind.startswith("value_error"):
        return f"got {got!r}; expected: {msg[0].lower() + msg[1:]}"
    return msg


def parse_spec(data: object, source: str = "<spec>") -> ModelSpec:
    """Validate a spec given as plain data; raise :class:`SpecError` on the first problem."""
    if not isinstance(data, dict):
        raise SpecError(source, "<root>", "expected a mapping (YAML dictionary) at the top level")
    try:
        return ModelSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"])
        msg = _describe(err)
        # validators on the whole model put the field path at the start of their message
        m = _FIELD_PREFIX.match(msg)
        if not loc and m:
            raise SpecError(source, m.group(1), msg[m.end():]) from None
        raise SpecError(source, field_path(loc), msg) from None


def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate a model spec YAML file.

    Raises
    ------
    SpecError
        One line naming the file, the field path and what was expected.
    """
    return parse_spec(read_yaml(path, "model spec"), str(path))
