"""One-screen summary of a built model (data gathering and text formatting kept apart)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KNEE_ANGLES_DEG = (0.0, 30.0, 60.0, 90.0)


@dataclass(frozen=True)
class ModelSummary:
    """What a user checks first: bodies (kg), dofs, muscles, knee-extensor moment arms (m)."""

    name: str
    bodies: tuple[tuple[str, float], ...]
    total_mass_kg: float
    dofs: tuple[str, ...]
    coupled: tuple[str, ...]
    muscles: tuple[str, ...]
    muscle_classes: tuple[str, ...]
    contact_forces: tuple[str, ...]
    com_height_m: float
    knee_angles_deg: tuple[float, ...]
    knee_extensor_moment_arm_m: dict[str, tuple[float, ...]]


def summarise(model, *, knee: str = "knee_angle_r",
              extensors: tuple[str, ...] = ("vasti_r", "rect_fem_r"),
              knee_flexion_sign: int = 1) -> ModelSummary:
    """Collect the summary of an initialised OpenSim model.

    Knee-extensor moment arms are reported positive for extension at knee flexion angles
    0/30/60/90 deg; ``knee_flexion_sign`` is -1 for models whose knee flexion is negative
    (gait10dof18musc, gait2392).
    """
    from biomech.osim.build import coordinate_names, muscle_names, total_mass
    from biomech.osim.geometry import com_position, moment_arms

    bs = model.getBodySet()
    bodies = tuple((bs.get(i).getName(), bs.get(i).getMass()) for i in range(bs.getSize()))
    coords = coordinate_names(model)
    coupled = tuple(c for c in coords if "_pat_" in c)
    fs = model.getForceSet()
    contact = tuple(fs.get(i).getName() for i in range(fs.getSize())
                    if fs.get(i).getConcreteClassName() == "SmoothSphereHalfSpaceForce"
                    and fs.get(i).get_appliesForce())
    angles = knee_flexion_sign * np.radians(KNEE_ANGLES_DEG)
    names = set(muscle_names(model))
    arms = {m: tuple(float(v) for v in -knee_flexion_sign * moment_arms(model, m, knee, angles))
            for m in extensors if m in names}
    return ModelSummary(
        name=model.getName(), bodies=bodies, total_mass_kg=total_mass(model),
        dofs=tuple(c for c in coords if c not in coupled), coupled=coupled,
        muscles=tuple(muscle_names(model)),
        muscle_classes=tuple(sorted({model.getMuscles().get(i).getConcreteClassName()
                                     for i in range(model.getMuscles().getSize())})),
        contact_forces=contact,
        com_height_m=float(com_position(model)[1]), knee_angles_deg=KNEE_ANGLES_DEG,
        knee_extensor_moment_arm_m=arms)


def format_summary(s: ModelSummary) -> str:
    """Plain-text rendering of a :class:`ModelSummary` (fits one screen)."""
    lines = [f"model {s.name}: {len(s.bodies)} bodies, total mass {s.total_mass_kg:.3f} kg, "
             f"COM height {s.com_height_m:.3f} m (default pose)"]
    lines.append("  bodies (kg): " + ", ".join(f"{n} {m:.3f}" for n, m in s.bodies))
    lines.append(f"  degrees of freedom ({len(s.dofs)}): " + ", ".join(s.dofs))
    if s.coupled:
        lines.append("  coupled to the knee (patella): " + ", ".join(s.coupled))
    lines.append(f"  muscles ({len(s.muscles)}, {'/'.join(s.muscle_classes)}): "
                 + ", ".join(s.muscles))
    lines.append(f"  foot-ground contact forces on: {len(s.contact_forces)}"
                 + (f" ({', '.join(s.contact_forces)})" if s.contact_forces else ""))
    head = "  knee-extensor moment arm (mm) at knee flexion " + \
        " / ".join(f"{a:.0f}" for a in s.knee_angles_deg) + " deg:"
    lines.append(head)
    for m, arms in s.knee_extensor_moment_arm_m.items():
        lines.append(f"    {m:<12s} " + "  ".join(f"{1000 * v:6.1f}" for v in arms))
    return "\n".join(lines)
