"""Muscle-tendon paths mapped from published source models into this model's frames (pure data).

A path point given in a source model's body frame (``frame``) maps to ours by
``(p - origin) * (our segment length / reference_length)``; left-side points mirror z.
"""

from __future__ import annotations

from dataclasses import dataclass

from biomech.models.skeleton import SIDES, Skeleton
from biomech.models.spec import ModelSpec

# which of our segment lengths scales each source body
_SEGMENT_OF = {"pelvis": "lower_trunk", "femur": "thigh", "tibia": "shank", "patella": "thigh"}


@dataclass(frozen=True)
class PathPoint:
    """A path point on ``body`` at ``location_m`` (m, body frame).

    ``active_when`` = (coordinate, min_rad, max_rad) makes it a conditional via point.
    """

    body: str
    location_m: tuple[float, float, float]
    active_when: tuple[str, float, float] | None = None


@dataclass(frozen=True)
class MuscleDef:
    """One DeGrooteFregly2016 muscle-tendon unit, SI units, before MTU-length rescaling."""

    name: str
    side: str
    max_isometric_force_n: float
    optimal_fiber_length_m: float
    tendon_slack_length_m: float
    pennation_angle_rad: float
    reference_mtu_length_m: float
    path: tuple[PathPoint, ...]
    #: passive fibre strain at one normalised force (the unit's own, else ``muscle_defaults``')
    passive_fiber_strain_at_one_norm_force: float
    #: our segment length over the source's for a muscle whose fibres scale with a segment
    #: (``fibre_scales_with`` in the spec); None: the MTU-length rule
    fibre_scale: float | None = None


def _segment_scale(spec: ModelSpec, skeleton: Skeleton, frame: str, body: str) -> float:
    """Our length of the segment that carries ``body`` over the source frame's reference length
    (the foot scales with stature)."""
    ours = skeleton.height_m if body == "calcn" else skeleton.segment_lengths_m[_SEGMENT_OF[body]]
    return ours / spec.source_frames[frame][body].reference_length_m


def muscle_definitions(spec: ModelSpec, skeleton: Skeleton) -> list[MuscleDef]:
    """All muscles for both sides, with path points in this model's frames.

    Max isometric force is scaled by (mass / reference mass)^(2/3) (geometric similarity).
    """
    d = spec.muscle_defaults
    force_scale = (skeleton.mass_kg / d.force_reference_mass_kg) ** (2.0 / 3.0)
    out = []
    for side in SIDES:
        zs = 1.0 if side == "r" else -1.0
        for name, m in spec.muscles.items():
            pts = []
            for p in m.path:
                frame = spec.source_frames[p.frame][p.body]
                s = _segment_scale(spec, skeleton, p.frame, p.body)
                x, y, z = ((p.location_m[i] - frame.origin[i]) * s for i in range(3))
                body = p.body if p.body == "pelvis" else f"{p.body}_{side}"
                cond = None
                if p.active_when is not None:
                    coord = p.active_when.coordinate
                    cond = (f"{coord}_{side}", *p.active_when.range_rad)
                pts.append(PathPoint(body, (x, y, zs * z), cond))
            ref = m.fibre_scales_with
            fibre_scale = None if ref is None else _segment_scale(spec, skeleton, ref.frame, ref.body)
            passive = m.passive_fiber_strain_at_one_norm_force
            out.append(MuscleDef(
                name=f"{name}_{side}", side=side,
                max_isometric_force_n=m.max_isometric_force_n * force_scale,
                optimal_fiber_length_m=m.optimal_fiber_length_m,
                tendon_slack_length_m=m.tendon_slack_length_m,
                pennation_angle_rad=m.pennation_angle_rad,
                reference_mtu_length_m=m.reference_mtu_length_m,
                path=tuple(pts), fibre_scale=fibre_scale,
                passive_fiber_strain_at_one_norm_force=(
                    d.passive_fiber_strain_at_one_norm_force if passive is None else passive)))
    return out
