"""Planar skeleton geometry and inertia from a model spec: pure data, no OpenSim.

The same :class:`Skeleton` feeds the OpenSim builder (:mod:`biomech.osim.build`) and the
symbolic oracle (:mod:`biomech.models.symbolic`), so both describe one mechanical system.

Conventions: body frames x anterior, y superior, z to the right (OpenSim). Lengths in m, masses
in kg, inertias in kg m^2 about the body's centre of mass, angles in rad.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from biomech.errors import SpecError
from biomech.models.spec import ModelSpec

SIDES = ("r", "l")


@dataclass(frozen=True)
class Body:
    """A rigid body: mass (kg), centre of mass in its frame (m), principal inertias (kg m^2)."""

    name: str
    mass_kg: float
    com_m: tuple[float, float, float]
    inertia_kg_m2: tuple[float, float, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "mass_kg", float(self.mass_kg))
        object.__setattr__(self, "com_m", tuple(float(v) for v in self.com_m))
        object.__setattr__(self, "inertia_kg_m2", tuple(float(v) for v in self.inertia_kg_m2))


@dataclass(frozen=True)
class Joint:
    """A joint of the tree.

    ``kind`` 'planar' has coordinates (rz, tx, ty) with the translation in the parent frame;
    'pin' rotates the child about ``axis_sign`` * z of the parent. ``location_m`` is the joint
    centre in the parent frame (the child frame's origin is at the joint centre).
    'custom' is a pin whose child origin also translates by (tx(q), ty(q)) in the parent frame,
    polynomials with ascending coefficients (m per rad^k).
    """

    name: str
    kind: Literal["planar", "pin", "custom"]
    parent: str
    child: str
    coordinates: tuple[str, ...]
    location_m: tuple[float, float, float] = (0.0, 0.0, 0.0)
    axis_sign: int = 1
    tx_poly: tuple[float, ...] = ()
    ty_poly: tuple[float, ...] = ()


@dataclass(frozen=True)
class PatellaCoupling:
    """A patella whose pose in the femur frame is a polynomial function of knee flexion.

    Pose of the patella frame in the femur frame: origin at ``location_m`` + (tx(q), ty(q), 0),
    rotated about z by rot(q), with q the knee flexion angle (rad). Polynomial coefficients are
    in ascending powers of q. In OpenSim the patella has its own coordinate, held equal to the
    knee angle by a CoordinateCouplerConstraint (as in Rajagopal et al. 2016).
    """

    body: str
    parent: str
    joint: str
    coordinate: str
    driver: str
    location_m: tuple[float, float, float]
    rotation_poly: tuple[float, ...]
    tx_poly: tuple[float, ...]
    ty_poly: tuple[float, ...]


@dataclass(frozen=True)
class CoordinateRange:
    """Range and default of a coordinate, SI units (rad or m)."""

    name: str
    min: float
    max: float
    default: float
    rotational: bool


@dataclass(frozen=True)
class Skeleton:
    """A planar multibody tree with its patellae, scaled to one subject."""

    bodies: tuple[Body, ...]
    joints: tuple[Joint, ...]
    patellae: tuple[PatellaCoupling, ...]
    coordinates: tuple[CoordinateRange, ...]
    segment_lengths_m: dict[str, float] = field(default_factory=dict)
    landmarks_m: dict[str, tuple[str, tuple[float, float]]] = field(default_factory=dict)
    mass_kg: float = 0.0
    height_m: float = 0.0
    gravity_m_s2: float = -9.80665

    def body(self, name: str) -> Body:
        for b in self.bodies:
            if b.name == name:
                return b
        raise KeyError(name)

    @property
    def independent_coordinates(self) -> tuple[str, ...]:
        """Coordinates in joint order, excluding the coupled patella coordinates."""
        return tuple(c for j in self.joints for c in j.coordinates)

    @property
    def total_mass_kg(self) -> float:
        return float(sum(b.mass_kg for b in self.bodies))


def _inertia(mass: float, length: float, gyration: tuple[float, float, float]) -> np.ndarray:
    """Principal inertias (Ixx, Iyy, Izz) from de Leva radii (sagittal, transverse, longitudinal).

    de Leva's sagittal axis is antero-posterior (x), transverse is medio-lateral (z),
    longitudinal is the segment's long axis (y for upright segments).
    """
    r_sag, r_trans, r_long = gyration
    return mass * length**2 * np.array([r_sag**2, r_long**2, r_trans**2], dtype=float)


def _composite(parts: list[tuple[float, float, np.ndarray]]) -> tuple[float, float, np.ndarray]:
    """Combine point-stacked parts (mass, com height y, inertia xyz) on one vertical line."""
    m = sum(p[0] for p in parts)
    y = sum(p[0] * p[1] for p in parts) / m
    inertia = np.zeros(3)
    for mi, yi, ii in parts:
        d2 = (yi - y) ** 2
        inertia += ii + mi * np.array([d2, 0.0, d2])
    return m, y, inertia


def _fit_poly(x: list[float], y: list[float], degree: int, scale: float,
              zero_at_origin: bool = False) -> tuple[float, ...]:
    """Least-squares polynomial (ascending coefficients) of y*scale versus x.

    With ``zero_at_origin`` the fitted value at x = 0 is subtracted (offsets relative to q = 0).
    """
    coef = np.polynomial.polynomial.polyfit(np.asarray(x), np.asarray(y) * scale, degree)
    if zero_at_origin:
        coef[0] = 0.0
    return tuple(float(c) for c in coef)


def check_subject(mass_kg: float, height_m: float, source: str = "build") -> None:
    """Reject non-physiological subjects with a one-line :class:`SpecError`."""
    if not np.isfinite(mass_kg) or mass_kg <= 0:
        raise SpecError(source, "mass_kg", f"got {mass_kg!r}; expected a body mass > 0 kg")
    if not 10.0 <= mass_kg <= 250.0:
        raise SpecError(source, "mass_kg", f"got {mass_kg!r} kg; expected 10-250 kg")
    if not np.isfinite(height_m) or height_m <= 0:
        raise SpecError(source, "height_m", f"got {height_m!r}; expected a stature > 0 m")
    if not 0.8 <= height_m <= 2.3:
        raise SpecError(source, "height_m", f"got {height_m!r} m; expected 0.8-2.3 m")


def segment_lengths(spec: ModelSpec, height_m: float) -> dict[str, float]:
    """Segment lengths (m) scaled from de Leva's reference stature to ``height_m``."""
    k = height_m / spec.anthropometry.reference_stature_m
    seg = spec.anthropometry.segments
    return {name: s.length_m * k for name, s in seg.items()}


def build_skeleton(spec: ModelSpec, *, mass_kg: float, height_m: float) -> Skeleton:
    """Scale the spec's anthropometry to a subject and assemble the planar skeleton.

    Parameters
    ----------
    spec : validated model spec
    mass_kg : body mass (kg)
    height_m : stature (m)
    """
    check_subject(mass_kg, height_m)
    a = spec.anthropometry
    seg = a.segments
    L = segment_lengths(spec, height_m)
    M = mass_kg
    sk = spec.skeleton
    foot = sk.foot
    s_foot = height_m / foot.reference_stature_m

    # --- pelvis: de Leva lower trunk (OMPH-MIDH); frame origin at the mid-hip point -------------
    lt = seg["lower_trunk"]
    m_pelvis = lt.mass_fraction * M
    pelvis = Body("pelvis", m_pelvis, (0.0, L["lower_trunk"] * (1 - lt.com_fraction), 0.0),
                  tuple(_inertia(m_pelvis, L["lower_trunk"], lt.gyration)))

    # --- torso: head + upper and middle trunk + both arms hanging; origin at the lumbar joint ---
    parts = []
    mt, ut, hd = seg["middle_trunk"], seg["upper_trunk"], seg["head"]
    y_xyph = L["middle_trunk"]
    y_cerv = y_xyph + L["upper_trunk"]
    for s, y0, length in ((mt, y_xyph, L["middle_trunk"]), (ut, y_cerv, L["upper_trunk"])):
        m = s.mass_fraction * M  # CoM measured from the cranial endpoint, downward
        parts.append((m, y0 - s.com_fraction * length, _inertia(m, length, s.gyration)))
    m = hd.mass_fraction * M  # head CoM from the vertex, downward
    parts.append((m, y_cerv + L["head"] * (1 - hd.com_fraction), _inertia(m, L["head"], hd.gyration)))
    y_sjc = a.shoulder_above_hip_fraction * height_m - L["lower_trunk"]
    y = y_sjc
    for name in ("upper_arm", "forearm", "hand"):
        s = seg[name]
        m = 2 * s.mass_fraction * M  # both arms
        parts.append((m, y - s.com_fraction * L[name], _inertia(m, L[name], s.gyration)))
        y -= L[name]
    m_torso, y_torso, i_torso = _composite(parts)
    torso = Body("torso", m_torso, (0.0, y_torso, 0.0), tuple(i_torso))

    bodies = [pelvis, torso]
    joints = [
        Joint("ground_pelvis", "planar", "ground", "pelvis", ("pelvis_tilt", "pelvis_tx", "pelvis_ty")),
    ]
    patellae = []
    hip_w = sk.hip_half_width_m * height_m / sk.hip_half_width_reference_stature_m
    pat = sk.patella
    s_pat = L["thigh"] / pat.reference_thigh_length_m
    m_patella = pat.mass_fraction * M
    th, sh, ft = seg["thigh"], seg["shank"], seg["foot"]
    kn = sk.knee
    s_knee = L["thigh"] / kn.reference_thigh_length_m
    knee_tx = _fit_poly(kn.knee_flexion_rad_x, kn.translation_x_m, kn.polynomial_degree_x,
                        s_knee, zero_at_origin=True)
    knee_ty = _fit_poly(kn.knee_flexion_rad_y, kn.translation_y_m, kn.polynomial_degree_y,
                        s_knee, zero_at_origin=True)
    for side in SIDES:
        zs = 1.0 if side == "r" else -1.0
        m_thigh = th.mass_fraction * M - m_patella  # de Leva's thigh includes the patella
        bodies.append(Body(f"femur_{side}", m_thigh, (0.0, -th.com_fraction * L["thigh"], 0.0),
                           tuple(_inertia(m_thigh, L["thigh"], th.gyration))))
        m_shank = sh.mass_fraction * M
        bodies.append(Body(f"tibia_{side}", m_shank, (0.0, -sh.com_fraction * L["shank"], 0.0),
                           tuple(_inertia(m_shank, L["shank"], sh.gyration))))
        m_foot = ft.mass_fraction * M
        m_toes = foot.toes_mass_fraction_of_foot * m_foot if foot.mtp_enabled else 0.0
        heel_x = foot.calcn_origin_m[0] * s_foot
        # Foot CoM: de Leva fraction of heel-toe length along the sole direction; its height is
        # taken half-way between the ankle centre and the sole (not given by de Leva).
        com_foot = (heel_x + ft.com_fraction * L["foot"], 0.5 * foot.sole_y_m * s_foot, 0.0)
        # foot: long axis is x -> Ixx from r_long, Izz (sagittal-plane rotation) from r_trans
        r_sag, r_trans, r_long = ft.gyration
        mf = m_foot - m_toes
        i_foot = mf * L["foot"] ** 2 * np.array([r_long**2, r_sag**2, r_trans**2])
        bodies.append(Body(f"calcn_{side}", mf, com_foot, tuple(i_foot)))
        bodies.append(Body(f"patella_{side}", m_patella,
                           (0.0018 * s_pat, 0.0264 * s_pat, 0.0),   # Rajagopal 2016 patella CoM
                           tuple(np.array([2.87e-06, 1.311e-05, 1.311e-05])  # Rajagopal 2016
                                 * (m_patella / 0.0862) * s_pat**2)))
        joints += [
            Joint(f"hip_{side}", "pin", "pelvis", f"femur_{side}", (f"hip_flexion_{side}",),
                  (0.0, 0.0, zs * hip_w), 1),
            Joint(f"knee_{side}", "custom", f"femur_{side}", f"tibia_{side}",
                  (f"knee_angle_{side}",), (0.0, -L["thigh"], 0.0), -1, knee_tx, knee_ty),
            Joint(f"ankle_{side}", "pin", f"tibia_{side}", f"calcn_{side}", (f"ankle_angle_{side}",),
                  (0.0, -L["shank"], 0.0), 1),
        ]
        if foot.mtp_enabled:
            # gait2392 toes: CoM (0.0346, 0.006) m, inertia (1, 2, 1)e-4 kg m^2 for 0.2166 kg
            bodies.append(Body(f"toes_{side}", m_toes, (0.0346 * s_foot, 0.006 * s_foot, 0.0),
                               tuple(np.array([1e-4, 2e-4, 1e-4]) * (m_toes / 0.2166) * s_foot**2)))
            joints.append(Joint(f"mtp_{side}", "pin", f"calcn_{side}", f"toes_{side}",
                                (f"mtp_angle_{side}",),
                                (foot.mtp_m[0] * s_foot, foot.mtp_m[1] * s_foot, 0.0), 1))
        patellae.append(PatellaCoupling(
            body=f"patella_{side}", parent=f"femur_{side}", joint=f"patellofemoral_{side}",
            coordinate=f"knee_angle_pat_{side}", driver=f"knee_angle_{side}",
            location_m=(0.0, -L["thigh"], 0.0),
            rotation_poly=_fit_poly(pat.knee_flexion_rad, pat.rotation_rad, pat.polynomial_degree, 1.0),
            tx_poly=_fit_poly(pat.knee_flexion_rad, pat.translation_x_m, pat.polynomial_degree, s_pat),
            ty_poly=_fit_poly(pat.knee_flexion_rad, pat.translation_y_m, pat.polynomial_degree, s_pat),
        ))
    joints.append(Joint("back", "pin", "pelvis", "torso", ("lumbar_extension",),
                        (0.0, L["lower_trunk"], 0.0), 1))

    coords = []
    for j in joints:
        for c in j.coordinates:
            base = c[:-2] if c.endswith(("_r", "_l")) and c[:-2] in sk.coordinates else c
            cs = sk.coordinates[base]
            rot = base not in ("pelvis_tx", "pelvis_ty")
            f = np.pi / 180 if rot else 1.0
            coords.append(CoordinateRange(c, cs.range[0] * f, cs.range[1] * f, cs.default * f, rot))

    lengths = dict(L)
    lengths["hip_half_width"] = hip_w
    # Foot landmarks on the sole (foot frame, m): heel (under the heel contact sphere centre),
    # first metatarsal-phalangeal joint, toe tip (heel end + de Leva foot length).
    sole = foot.sole_y_m * s_foot
    heel_x = spec.contact.spheres["heel"].location_m[0] * s_foot if "heel" in spec.contact.spheres \
        else foot.calcn_origin_m[0] * s_foot
    landmarks: dict[str, tuple[str, tuple[float, float]]] = {}
    for side in SIDES:
        landmarks[f"heel_{side}"] = (f"calcn_{side}", (heel_x, sole))
        landmarks[f"heel_edge_{side}"] = (f"calcn_{side}", (foot.calcn_origin_m[0] * s_foot, sole))
        landmarks[f"mtp_{side}"] = (f"calcn_{side}", (foot.mtp_m[0] * s_foot, sole))
        landmarks[f"toe_{side}"] = (f"calcn_{side}", (foot.calcn_origin_m[0] * s_foot + L["foot"], sole))
    return Skeleton(tuple(bodies), tuple(joints), tuple(patellae), tuple(coords), lengths,
                    landmarks, float(mass_kg), float(height_m))
