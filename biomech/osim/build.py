"""Assemble an ``opensim.Model`` from a :class:`~biomech.models.skeleton.Skeleton`, muscle
definitions and contact parameters. No science here: every number comes from the caller."""

from __future__ import annotations

import math
import os
from pathlib import Path

from biomech.errors import SpecError
from biomech.models.muscles import MuscleDef
from biomech.models.skeleton import Joint, Skeleton
from biomech.models.spec import ContactSpec, MuscleDefaults
from biomech.osim import drain_log, osim

FLOOR = "floor"


def _vec3(v) -> osim.Vec3:
    return osim.Vec3(float(v[0]), float(v[1]), float(v[2]))


def _poly(coefs_ascending: tuple[float, ...]) -> osim.PolynomialFunction:
    # OpenSim's PolynomialFunction takes coefficients in descending powers
    return osim.PolynomialFunction(osim.Vector(list(coefs_ascending[::-1])))


def _add_joint(model: osim.Model, j: Joint, frames: dict[str, osim.PhysicalFrame]) -> osim.Joint:
    parent, child = frames[j.parent], frames[j.child]
    if j.kind == "planar":
        joint = osim.PlanarJoint(j.name, parent, _vec3(j.location_m), osim.Vec3(0),
                                 child, osim.Vec3(0), osim.Vec3(0))
    elif j.kind == "custom":
        st = _spatial_transform(j.coordinates[0], (0, 0, j.axis_sign), (0.0, 1.0),
                                j.tx_poly, j.ty_poly)
        joint = osim.CustomJoint(j.name, parent, _vec3(j.location_m), osim.Vec3(0),
                                 child, osim.Vec3(0), osim.Vec3(0), st)
    else:
        # axis_sign -1: both joint frames turned half a turn about x, so that the joint's z axis
        # is the body's -z and the bodies stay aligned at q = 0.
        rot = osim.Vec3(math.pi, 0, 0) if j.axis_sign < 0 else osim.Vec3(0)
        joint = osim.PinJoint(j.name, parent, _vec3(j.location_m), rot, child, osim.Vec3(0), rot)
    if j.kind != "custom":  # a CustomJoint names its coordinate from its transform
        for i, cname in enumerate(j.coordinates):
            joint.upd_coordinates(i).setName(cname)
    model.addJoint(joint)
    return joint


def _spatial_transform(coordinate: str, rot_axis, rot_poly, tx_poly, ty_poly) -> osim.SpatialTransform:
    """Planar CustomJoint transform: rotation about ``rot_axis`` and x/y translations in the
    parent frame, each a polynomial (ascending coefficients) of ``coordinate``."""
    st = osim.SpatialTransform()
    axes = [(rot_axis, rot_poly), ((0, 1, 0), None), ((1, 0, 0), None),
            ((1, 0, 0), tx_poly or None), ((0, 1, 0), ty_poly or None), ((0, 0, 1), None)]
    for i, (axis, coefs) in enumerate(axes):
        ta = st.updTransformAxis(i)
        ta.setAxis(_vec3(axis))
        if coefs is None:
            ta.set_function(osim.Constant(0.0))
        else:
            names = osim.ArrayStr()
            names.append(coordinate)
            ta.setCoordinateNames(names)
            # an identity is a LinearFunction, so OpenSim classes the coordinate as rotational
            # (tools then read it in degrees from .mot files); a PolynomialFunction would make it
            # "coupled" and be read in radians
            if tuple(coefs) == (0.0, 1.0):
                ta.set_function(osim.LinearFunction(1.0, 0.0))
            else:
                ta.set_function(_poly(coefs))
    return st


def _add_patella(model: osim.Model, p, frames) -> None:
    st = _spatial_transform(p.coordinate, (0, 0, 1), p.rotation_poly, p.tx_poly, p.ty_poly)
    joint = osim.CustomJoint(p.joint, frames[p.parent], _vec3(p.location_m), osim.Vec3(0),
                             frames[p.body], osim.Vec3(0), osim.Vec3(0), st)
    model.addJoint(joint)
    coupler = osim.CoordinateCouplerConstraint()
    coupler.setName(f"{p.joint}_coupler")
    ind = osim.ArrayStr()
    ind.append(p.driver)
    coupler.setIndependentCoordinateNames(ind)
    coupler.setDependentCoordinateName(p.coordinate)
    coupler.setFunction(osim.LinearFunction(1.0, 0.0))
    model.addConstraint(coupler)


def _add_muscle(model: osim.Model, m: MuscleDef, d: MuscleDefaults, frames) -> osim.Muscle:
    mus = osim.DeGrooteFregly2016Muscle()
    mus.setName(m.name)
    mus.set_max_isometric_force(m.max_isometric_force_n)
    mus.set_optimal_fiber_length(m.optimal_fiber_length_m)
    mus.set_tendon_slack_length(m.tendon_slack_length_m)
    mus.set_pennation_angle_at_optimal(m.pennation_angle_rad)
    mus.set_max_contraction_velocity(d.max_contraction_velocity)
    mus.set_tendon_strain_at_one_norm_force(d.tendon_strain_at_one_norm_force)
    mus.set_passive_fiber_strain_at_one_norm_force(m.passive_fiber_strain_at_one_norm_force)
    mus.set_activation_time_constant(d.activation_time_constant)
    mus.set_deactivation_time_constant(d.deactivation_time_constant)
    pps = mus.updGeometryPath().updPathPointSet()
    for i, p in enumerate(m.path):
        pname = f"{m.name}-P{i + 1}"
        if p.active_when is None:
            pt = osim.PathPoint()
        else:
            pt = osim.ConditionalPathPoint()
            pt.setCoordinate(model.getCoordinateSet().get(p.active_when[0]))
            pt.setRangeMin(p.active_when[1])
            pt.setRangeMax(p.active_when[2])
        pt.setName(pname)
        pt.setParentFrame(frames[p.body])
        pt.set_location(_vec3(p.location_m))
        pps.adoptAndAppend(pt)
    model.addForce(mus)
    return mus


def _add_contact(model: osim.Model, c: ContactSpec, skeleton: Skeleton, foot_scale: float,
                 frames) -> None:
    floor = osim.ContactHalfSpace(osim.Vec3(0), osim.Vec3(0, 0, -math.pi / 2), model.getGround(),
                                  FLOOR)
    model.addContactGeometry(floor)
    for side in ("r", "l"):
        for sname, s in c.spheres.items():
            loc = (s.location_m[0] * foot_scale, s.location_m[1] * foot_scale, 0.0)
            sphere = osim.ContactSphere(s.radius_m * foot_scale, _vec3(loc),
                                        frames[f"calcn_{side}"], f"{sname}_{side}")
            model.addContactGeometry(sphere)
            f = osim.SmoothSphereHalfSpaceForce(f"contact_{sname}_{side}", sphere, floor)
            f.set_stiffness(c.stiffness)
            f.set_dissipation(c.dissipation)
            f.set_static_friction(c.static_friction)
            f.set_dynamic_friction(c.dynamic_friction)
            f.set_viscous_friction(c.viscous_friction)
            f.set_transition_velocity(c.transition_velocity)
            f.set_hertz_smoothing(c.hertz_smoothing)
            f.set_hunt_crossley_smoothing(c.hunt_crossley_smoothing)
            f.set_appliesForce(c.enabled)
            model.addForce(f)


def set_contact(model: osim.Model, enabled: bool) -> int:
    """Switch every foot-ground ``SmoothSphereHalfSpaceForce`` on or off; returns how many."""
    n = 0
    fs = model.updForceSet()
    for i in range(fs.getSize()):
        f = fs.get(i)
        if f.getConcreteClassName() == "SmoothSphereHalfSpaceForce":
            f.set_appliesForce(bool(enabled))
            n += 1
    model.finalizeConnections()
    return n


def default_pose_lengths(model: osim.Model) -> dict[str, float]:
    """Muscle-tendon lengths (m) with every coordinate at its default value."""
    state = model.initSystem()
    model.realizePosition(state)
    ms = model.getMuscles()
    return {ms.get(i).getName(): ms.get(i).getLength(state) for i in range(ms.getSize())}


def build_model(*, name: str, skeleton: Skeleton, muscles: list[MuscleDef],
                muscle_defaults: MuscleDefaults, contact: ContactSpec, foot_scale: float,
                rescale_mtu: bool = True) -> osim.Model:
    """Build and initialise the OpenSim model.

    With ``rescale_mtu`` the optimal fibre and tendon slack lengths are multiplied by the ratio of
    each muscle-tendon length at the default pose to its reference length (the ScaleTool rule).
    """
    model = osim.Model()
    model.setName(name)
    model.setGravity(osim.Vec3(0, skeleton.gravity_m_s2, 0))
    frames: dict[str, osim.PhysicalFrame] = {"ground": model.getGround()}
    for b in skeleton.bodies:
        body = osim.Body(b.name, b.mass_kg, _vec3(b.com_m),
                         osim.Inertia(*b.inertia_kg_m2, 0.0, 0.0, 0.0))
        model.addBody(body)
        frames[b.name] = body
    for j in skeleton.joints:
        _add_joint(model, j, frames)
    for p in skeleton.patellae:
        _add_patella(model, p, frames)
    cs = model.updCoordinateSet()
    for c in skeleton.coordinates:
        coord = cs.get(c.name)
        coord.setRangeMin(c.min)
        coord.setRangeMax(c.max)
        coord.setDefaultValue(c.default)
    for p in skeleton.patellae:  # coupled coordinate follows its driver's range
        drv = next(c for c in skeleton.coordinates if c.name == p.driver)
        coord = cs.get(p.coordinate)
        coord.setRangeMin(drv.min)
        coord.setRangeMax(drv.max)
        coord.setDefaultValue(drv.default)
    model.finalizeConnections()
    for m in muscles:
        _add_muscle(model, m, muscle_defaults, frames)
    _add_contact(model, contact, skeleton, foot_scale, frames)
    model.finalizeConnections()
    if rescale_mtu:
        lengths = default_pose_lengths(model)
        ms = model.updMuscles()
        for m in muscles:
            optimal, slack = rescaled_lengths(m, lengths[m.name])
            mus = ms.get(m.name)
            mus.setOptimalFiberLength(optimal)
            mus.setTendonSlackLength(slack)
    model.initSystem()
    drain_log()
    return model


def rescaled_lengths(m: MuscleDef, mtu_length_m: float) -> tuple[float, float]:
    """Optimal fibre and tendon slack length (m) of ``m`` in a model where its muscle-tendon
    length at the default pose is ``mtu_length_m``.

    The ScaleTool rule: both scale with the MTU length over the source's
    (``reference_mtu_length_m``). With ``m.fibre_scale`` (a path longer than the source's, e.g.
    over a patella): the fibre and the source's belly length (reference MTU length minus tendon
    slack) scale with the segment, and the tendon takes the rest of the path, so the normalised
    fibre length at the default pose and its change per unit of path length are the source's.
    """
    if m.fibre_scale is None:
        r = mtu_length_m / m.reference_mtu_length_m
        return m.optimal_fiber_length_m * r, m.tendon_slack_length_m * r
    belly = (m.reference_mtu_length_m - m.tendon_slack_length_m) * m.fibre_scale
    if mtu_length_m <= belly:
        raise SpecError("model spec", f"muscles ({m.name}).fibre_scales_with",
                        f"the path ({mtu_length_m:.4f} m at the default pose) is shorter than the "
                        f"scaled belly ({belly:.4f} m)")
    return m.optimal_fiber_length_m * m.fibre_scale, mtu_length_m - belly


def write_model(model: osim.Model, path) -> None:
    """Write ``model`` as ``.osim`` atomically (temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    model.printToXML(str(tmp))
    os.replace(tmp, path)


def load_model(path) -> osim.Model:
    """Load an ``.osim`` file and initialise it."""
    model = osim.Model(str(path))
    model.initSystem()
    drain_log()
    return model


def total_mass(model: osim.Model) -> float:
    """Total model mass (kg)."""
    return float(sum(model.getBodySet().get(i).getMass() for i in range(model.getBodySet().getSize())))


def coordinate_names(model: osim.Model) -> list[str]:
    cs = model.getCoordinateSet()
    return [cs.get(i).getName() for i in range(cs.getSize())]


def muscle_names(model: osim.Model) -> list[str]:
    ms = model.getMuscles()
    return [ms.get(i).getName() for i in range(ms.getSize())]


def scale_mass(model: osim.Model, mass_kg: float) -> osim.Model:
    """A copy of ``model`` (initialised) whose every body's mass and inertia are scaled by
    ``mass_kg / total_mass(model)`` (``Body.scaleMass``): the mass distribution and the
    geometry are kept, as when a generic model is given a subject's measured mass."""
    mass_kg = float(mass_kg)
    if not math.isfinite(mass_kg) or mass_kg <= 0.0:
        raise ValueError(f"mass_kg: expected a positive mass, got {mass_kg!r}")
    factor = mass_kg / total_mass(model)
    work = osim.Model(model)
    bodies = work.updBodySet()
    for i in range(bodies.getSize()):
        bodies.get(i).scaleMass(factor)
    work.initSystem()
    drain_log()
    return work


def gravity_m_s2(model: osim.Model) -> float:
    """Magnitude of the model's gravity (m/s^2)."""
    g = model.getGravity()
    return float(math.sqrt(sum(g.get(i) ** 2 for i in range(3))))


def coordinate_joint(model: osim.Model, coordinate: str) -> str:
    """Name of the joint that owns ``coordinate``."""
    cs = model.getCoordinateSet()
    if not cs.contains(coordinate):
        raise ValueError(f"coordinate {coordinate!r} is not in model {model.getName()!r}")
    return cs.get(coordinate).getJoint().getName()
