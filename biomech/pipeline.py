"""One motion through every analysis: inverse dynamics, static optimization, joint reaction
loads, patellofemoral (PF) force and stress by both methods, tendon energy and joint power ->
one ``xarray.Dataset``.

Two kinds of model are supported by :func:`analyse_motion`:

* **planar models built by** :func:`biomech.models.build` (give ``spec`` and ``skeleton``): the
  muscle method of the PF joint follows the quadriceps path over the model's patella;
* **any OpenSim model** read from ``.osim`` (``spec=None, skeleton=None``), e.g. the Hamner 2010
  full-body running model, with a functional muscle-group map
  (:class:`~biomech.models.groups.GroupMap`: which muscles are the quadriceps, which coordinate
  is knee flexion and its sign). Such models have no patella (gait2392, Hamner 2010), so the PF
  "muscle method" is the summed static-optimization quadriceps force times the same van Eijden
  ``k(theta)`` as the lever-arm method (``method="quadriceps_k"`` in
  :mod:`biomech.knee.patellofemoral`; stated in ``attrs["pf_muscle_method"]``): the two methods
  then differ only in the quadriceps force (net moment / published lever arm vs. the muscle
  solution with co-contraction).

How a standard 3-D model is treated (all recorded in the Dataset's ``attrs``):

* muscles without a rigid-tendon mode in OpenSim 4.6 (Thelen2003) are replaced by
  DeGrooteFregly2016 muscles with the same parameters
  (:func:`biomech.osim.muscle_export.with_rigid_tendon_muscles`);
* the ground joint's coordinates (pelvis, 6 dof) are residuals: muscles cannot act on them and
  their inverse-dynamics forces and moments are reported as residuals;
* locked coordinates (Hamner: subtalar, mtp, wrists) are left out of the muscle problem, as
  OpenSim's StaticOptimization leaves out constrained coordinates: their moments are carried by
  the lock; the muscles' moment arms about them are ignored;
* every other coordinate gets a reserve actuator. Coordinates no muscle crosses (the arms of the
  Hamner model, which has no arm actuators) are driven by their reserves alone; they are listed
  in ``attrs["reserve_only_coordinates"]`` and left out of ``max_reserve_share``.

Every stage is a function over plain arrays; OpenSim is used through :mod:`biomech.osim` only.

Units: SI in the Dataset (N, N m, m, s, J, Pa); variable names carry them.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

import biomech
from biomech.energetics.tendon import (
    DEFAULT_HYSTERESIS,
    DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE,
    tendon_energy_timeseries,
)
from biomech.energetics.work import joint_power_w
from biomech.errors import BiomechError
from biomech.gait.cycles import cut_cycles, detect_strikes
from biomech.gait.motion import FootLoad, Motion
from biomech.knee.patellofemoral import (
    PatellaPath,
    lever_arm_method,
    muscle_method,
    pf_from_quadriceps_and_angle,
)
from biomech.models.groups import GroupMap, group_map_for
from biomech.models.kinematics import PlanarKinematics
from biomech.models.muscles import muscle_definitions
from biomech.models.skeleton import Skeleton
from biomech.models.spec import ModelSpec
from biomech.muscles.static_optimization import (
    DEFAULT_RESERVE_OPTIMAL_FORCE_NM,
    moment_capacity_nm,
    solve_static_optimization,
)

__all__ = ["analyse_motion", "summary_table", "save_result", "slice_motion", "select_stride",
           "mass_from_grf_kg", "QUADRICEPS", "PF_RANGE_DEG", "RESERVE_LIMIT"]

log = logging.getLogger(__name__)

#: Quadriceps of the planar models (``models/running2d.yaml`` names, side suffix left out).
QUADRICEPS = ("rect_fem", "vasti")
#: Knee flexion range (deg) over which the published PF curves are used; frames outside are
#: clipped into it and flagged (``pf_angle_clipped``).
PF_RANGE_DEG = (0.0, 150.0)
#: Reserve limit, as a fraction of a coordinate's peak joint moment (issue 4's criterion: reserves
#: below 5 % of the peak joint moment): frames where a reserve exceeds it are flagged
#: (``reserve_above_limit``); there the muscles do not carry the joint moments.
RESERVE_LIMIT = 0.05
#: A muscle "crosses" a coordinate when its moment arm about it exceeds this (m) in some frame.
_CROSSES_M = 1e-6
#: Largest acceleration error (rad/s^2 or m/s^2) accepted from the joint-reaction pass without
#: re-solving for the missing generalized forces.
_ACCELERATION_TOL = 1e-6


@functools.lru_cache(maxsize=1)
def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=Path(__file__).resolve().parent, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _quadriceps_paths(spec: ModelSpec, sk: Skeleton, kin: PlanarKinematics, q: np.ndarray,
                      side: str) -> tuple[list[str], PatellaPath]:
    """Ground positions (m) of each quadriceps' points around the patella, (n, m, 2) each."""
    names, before, first, last, after = [], [], [], [], []
    for m in muscle_definitions(spec, sk):
        if m.side != side or m.name[:-2] not in QUADRICEPS:
            continue
        on_patella = [i for i, p in enumerate(m.path) if p.body.startswith("patella")]
        i0, i1 = on_patella[0], on_patella[-1]
        pts = [m.path[i0 - 1], m.path[i0], m.path[i1], m.path[i1 + 1]]
        xy = [kin.point(q, p.body, p.location_m[:2]) for p in pts]
        names.append(m.name)
        for store, value in zip((before, first, last, after), xy, strict=True):
            store.append(value)
    stack = [np.stack(v, axis=1) for v in (before, first, last, after)]
    return names, PatellaPath(*stack)


# ------------------------------------------------------------------ model set-up


@dataclass(frozen=True)
class _Setup:
    """What the analysis needs to know about the model, whichever kind it is."""

    kind: str                                   # "planar" or "opensim"
    model: object                               # the (rigid-tendon compatible) OpenSim model
    mass_kg: float
    weight_n: float
    knee: dict[str, tuple[str, int]]            # side -> (coordinate, +1 if it grows with flexion)
    #: "hip_flexion" / "ankle_dorsiflexion" -> side -> (coordinate, +1 if it grows with that motion)
    angles: dict[str, dict[str, tuple[str, int]]]
    quadriceps: dict[str, tuple[str, ...]]      # side -> muscle names
    joints: dict[str, str]                      # "<hip|knee|ankle>_<side>" -> model joint name
    tendon_strain: np.ndarray                   # per muscle of the model, strain at F0
    notes: dict[str, str]
    #: functional group (biomech.models.groups.GROUP_NAMES) -> side -> muscle names; empty when
    #: no group map matches the model
    groups: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)


def _check_motion(motion: Motion, expected: Sequence[str], what: str) -> None:
    names = list(motion.coordinate_names)
    if set(names) != set(expected):
        missing = sorted(set(expected) - set(names))
        extra = sorted(set(names) - set(expected))
        raise ValueError(f"motion {motion.name!r} does not match {what}'s coordinates: "
                         f"missing {missing}, unknown {extra}")
    for key, arr in (("q", motion.q), ("qd", motion.qd), ("qdd", motion.qdd)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"motion {motion.name!r}: {key} has NaN or inf values")


def _planar_setup(model, motion: Motion, spec: ModelSpec, skeleton: Skeleton,
                  sides: Sequence[str]) -> _Setup:
    from biomech.osim.joint_reaction import DEFAULT_JOINTS

    _check_motion(motion, skeleton.independent_coordinates, "the skeleton")
    n_muscles = model.getMuscles().getSize()
    joints = {j: j for j in DEFAULT_JOINTS}
    return _Setup(
        kind="planar", model=model, mass_kg=skeleton.total_mass_kg,
        weight_n=skeleton.total_mass_kg * -skeleton.gravity_m_s2,
        knee={s: (f"knee_angle_{s}", 1) for s in sides},
        angles={"hip_flexion": {s: (f"hip_flexion_{s}", 1) for s in sides},
                "ankle_dorsiflexion": {s: (f"ankle_angle_{s}", 1) for s in sides}},
        quadriceps={s: tuple(f"{m}_{s}" for m in QUADRICEPS) for s in sides}, joints=joints,
        tendon_strain=np.full(n_muscles, float(spec.muscle_defaults.tendon_strain_at_one_norm_force)),
        notes={"pf_muscle_method": "muscle: quadriceps tensions through the model's patella "
                                   "(frictionless pulley), biomech.knee.patellofemoral.muscle_method"},
        groups=_muscle_groups(model, group_map_for(model.getName()), sides))


def _muscle_groups(model, gmap: GroupMap | None, sides: Sequence[str]
                   ) -> dict[str, dict[str, tuple[str, ...]]]:
    """Every functional group of ``gmap`` per side, as the model's muscle names (empty without a
    map; a map muscle the model lacks is left out)."""
    from biomech.models.groups import GROUP_NAMES

    if gmap is None:
        return {}
    present = {model.getMuscles().get(i).getName() for i in range(model.getMuscles().getSize())}
    return {g: {s: tuple(m for m in gmap.muscles(g, s) if m in present) for s in sides}
            for g in GROUP_NAMES}


def _resolve_groups(model, groups: GroupMap | str | Path | None) -> GroupMap:
    from biomech.models.groups import load_group_map

    if isinstance(groups, GroupMap):
        return groups
    if groups is not None:
        return load_group_map(groups)
    found = group_map_for(model.getName())
    if found is None:
        raise ValueError(f"model {model.getName()!r}: no muscle-group map is shipped for it; pass "
                         "groups= (a GroupMap, a shipped map's name or a YAML file) naming its "
                         "quadriceps and knee coordinate")
    return found


def _opensim_setup(model, motion: Motion, groups: GroupMap | str | Path | None,
                   sides: Sequence[str], tendon: str = "rigid") -> _Setup:
    from biomech.osim.build import coordinate_joint, gravity_m_s2, total_mass
    from biomech.osim.inverse import independent_coordinates
    from biomech.osim.muscle_export import tendon_strain_at_one_norm_force, with_rigid_tendon_muscles

    gmap = _resolve_groups(model, groups)
    _check_motion(motion, independent_coordinates(model), f"model {model.getName()!r}")
    muscles = {model.getMuscles().get(i).getName() for i in range(model.getMuscles().getSize())}
    quads = {s: gmap.muscles("quadriceps", s) for s in sides}
    if unknown := sorted({m for q in quads.values() for m in q} - muscles):
        raise ValueError(f"group map {gmap.source_label}: quadriceps {unknown} are not muscles of "
                         f"model {model.getName()!r}")
    knee = {s: (gmap.coordinate("knee_flexion", s), gmap.sign("knee_flexion")) for s in sides}
    angles = {m: {s: (gmap.coordinate(m, s), gmap.sign(m)) for s in sides}
              for m in ("hip_flexion", "ankle_dorsiflexion")}
    joints = {}
    for s in sides:
        for role, motion_name in (("hip", "hip_flexion"), ("knee", "knee_flexion"),
                                  ("ankle", "ankle_dorsiflexion")):
            joints[f"{role}_{s}"] = coordinate_joint(model, gmap.coordinate(motion_name, s))
    # the compliant solve needs the De Groote curves for every muscle, the rigid one only where
    # OpenSim cannot make the tendon rigid (Thelen2003)
    work = with_rigid_tendon_muscles(model, de_groote=tendon == "compliant")
    strain = tendon_strain_at_one_norm_force(work)
    notes = {
        "pf_muscle_method": "quadriceps_k: sum of the static-optimization forces of the group map's "
                            "quadriceps x van Eijden 1986 k(theta) (the model has no patella; "
                            "biomech.knee.patellofemoral.pf_from_quadriceps_and_angle)",
        "group_map": gmap.source_label,
        "muscle_model": (("every muscle" if tendon == "compliant" else "Thelen2003 muscles")
                         + " replaced by DeGrooteFregly2016 (same F0, l0, slack length, pennation, "
                         f"vmax, tendon strain) for {tendon} tendons"
                         if work is not model else f"as in the model, {tendon} tendons"),
    }
    if np.isnan(strain).any():
        notes["tendon_strain"] = (f"{int(np.isnan(strain).sum())} muscles without a tendon strain "
                                  f"property: {DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE} used")
        strain = np.where(np.isnan(strain), DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE, strain)
    mass = total_mass(model)
    return _Setup(kind="opensim", model=work, mass_kg=mass, weight_n=mass * gravity_m_s2(model),
                  knee=knee, angles=angles, quadriceps=quads, joints=joints, tendon_strain=strain,
                  notes=notes, groups=_muscle_groups(model, gmap, sides))


# ------------------------------------------------------------------ the analysis


def analyse_motion(model, motion: Motion, *, spec: ModelSpec | None = None,
                   skeleton: Skeleton | None = None, groups: GroupMap | str | Path | None = None,
                   kinematics: PlanarKinematics | None = None, exponent: float = 2.0,
                   reserve_optimal_force_nm: float = DEFAULT_RESERVE_OPTIMAL_FORCE_NM,
                   hysteresis: float = DEFAULT_HYSTERESIS,
                   sides: tuple[str, ...] = ("r", "l"), tendon: str = "rigid") -> xr.Dataset:
    """Analyse ``motion`` on ``model``.

    Parameters
    ----------
    model : an ``opensim.Model`` (contact forces, if any, are switched off by every stage) or a
        :class:`biomech.models.load.LoadedModel` (its group map is used unless ``groups`` is given)
    motion : every independent coordinate of the model, with its foot loads (GRF at the CoP)
    spec, skeleton : for a planar model built by :func:`biomech.models.build`: give both. For any
        other OpenSim model give neither (and a group map).
    groups : the model's functional muscle-group map (only without ``spec``/``skeleton``): a
        :class:`~biomech.models.groups.GroupMap`, a shipped map's name or a YAML file; default the
        shipped map matching the model's name
    kinematics : planar kinematics of ``skeleton`` (built from it when None; planar only)
    exponent : static-optimization activation exponent
    reserve_optimal_force_nm : optimal force of the reserve actuator on every solved coordinate
    hysteresis : tendon hysteresis (fraction of the unloading energy lost)
    sides : legs to analyse
    tendon : ``"rigid"`` (default): static optimization with rigid tendons, as OpenSim's
        StaticOptimization; ``"compliant"``: tendons on their De Groote curve in equilibrium with
        the fibres, iterated to a fixed point (:mod:`biomech.muscles.compliant`; attrs
        ``compliant_iterations``, ``compliant_converged``, ``compliant_max_change_n``); the
        fibre lengths and velocities of the metabolic model follow the chosen tendons

    Returns
    -------
    xarray.Dataset
        dims ``time``, ``coordinate``, ``muscle``, ``side``, ``joint``, ``axis``: joint moments
        (inverse dynamics with the motion's GRF; ground-joint entries are residuals), knee flexion
        and knee extension moment per side, activations and muscle forces (static optimization with
        reserves, reported), joint reaction loads, PF force and stress by the lever-arm and the
        muscle method, tendon energy, joint power. Per frame, each reserve as a fraction of its
        coordinate's peak joint moment (``reserve_fraction_of_peak_moment``) and the frames where
        one exceeds :data:`RESERVE_LIMIT` (``reserve_above_limit``: there the muscles do not carry
        the joint moments). Quality in ``attrs``: pelvis residuals (max, RMS, mean; N, BW and % of
        the peak GRF), reserve share, the share of frames above the reserve limit, solver status,
        acceleration error of the joint-reaction pass; how the model was treated (see the module
        docstring).

    Raises
    ------
    ValueError
        motion and model coordinates that do not match, NaN or inf in the motion, spec without
        skeleton (or the reverse), a model without a group map.
    """
    from biomech.models.load import LoadedModel
    from biomech.osim import opensim_version
    from biomech.osim.inverse import ExternalLoad, inverse_dynamics
    from biomech.osim.joint_reaction import joint_reactions
    from biomech.osim.muscle_export import export_muscle_capacity, locked_coordinates

    if tendon not in ("rigid", "compliant"):
        raise ValueError(f"tendon: expected 'rigid' or 'compliant', got {tendon!r}")
    if isinstance(model, LoadedModel):
        groups = model.groups if groups is None else groups
        model = model.model
    if (spec is None) != (skeleton is None):
        raise ValueError("spec and skeleton: give both (a planar model built by biomech.models.build) "
                         "or neither (any OpenSim model, with a muscle-group map)")
    if spec is not None:
        setup = _planar_setup(model, motion, spec, skeleton, sides)
    else:
        setup = _opensim_setup(model, motion, groups, sides, tendon)
    if missing := [s for s in sides if s not in motion.loads]:
        raise ValueError(f"motion {motion.name!r} has no foot load for side(s) {missing}")
    work = setup.model
    names = list(motion.coordinate_names)
    t = motion.time_s
    weight = setup.weight_n

    # --- inverse dynamics, muscle capacities, static optimization ------------------------------
    loads = [ExternalLoad(body=f.body, force_n=f.force_n, point_m=f.cop_m, torque_nm=f.free_moment_nm)
             for f in motion.loads.values()]
    tau = inverse_dynamics(work, names, motion.q, motion.qd, motion.qdd, external_loads=loads)
    capacity = export_muscle_capacity(work, names, motion.q, motion.qd, time_s=t)
    ground = list(capacity.residual_coordinates)
    locked = [c for c in locked_coordinates(work) if c not in ground]
    if locked:  # carried by the lock (a constraint), as OpenSim's StaticOptimization does
        arms = np.array(capacity.moment_arm_m)
        arms[:, :, [names.index(c) for c in locked]] = 0.0
        capacity = dataclasses.replace(capacity, moment_arm_m=arms)
    so_options = dict(exponent=exponent, reserve_optimal_force_nm=reserve_optimal_force_nm,
                      residual_coordinates=ground + locked)
    compliant_attrs: dict[str, float | int] = {}
    if tendon == "compliant":
        from biomech.muscles.compliant import solve_compliant_static_optimization
        from biomech.osim.muscle_export import muscle_parameters

        comp = solve_compliant_static_optimization(capacity, tau, muscle_parameters(work), **so_options)
        sol, capacity = comp.solution, comp.capacity
        compliant_attrs = {"compliant_iterations": comp.iterations,
                           "compliant_converged": int(comp.converged),
                           "compliant_max_change_n": comp.max_change_n}
    else:
        sol = solve_static_optimization(capacity, tau, **so_options)
    muscles = list(sol.muscle_names)
    solved = list(sol.coordinate_names)
    idx = [names.index(c) for c in solved]
    crossed = np.abs(capacity.moment_arm_m[:, :, idx]).max(axis=(0, 1)) > _CROSSES_M
    reserve_only = [c for c, x in zip(solved, crossed, strict=True) if not x]
    actuated = [j for j, x in enumerate(crossed) if x]       # indices into ``solved``

    # variables are collected in ``data`` and the Dataset is built once at the end (adding them
    # one by one re-aligns the Dataset each time: 0.08 s of a 0.8 s pipeline)
    data: dict[str, tuple] = {}
    data["q"] = (("time", "coordinate"), motion.q, {"units": "rad or m"})
    data["qd"] = (("time", "coordinate"), motion.qd, {"units": "rad/s or m/s"})
    data["joint_moment_nm"] = (("time", "coordinate"), tau,
                               {"units": "N m (N for translations)",
                                "description": "inverse dynamics; ground-joint entries are residuals"})
    power = joint_power_w(joint_moment_nm=tau, joint_angular_velocity_rad_s=motion.qd)
    data["joint_power_w"] = (("time", "coordinate"), power, {"units": "W (N m/s for translations)"})
    grf = np.stack([motion.loads[s].force_n for s in sides], axis=1)
    data["grf_n"] = (("time", "side", "axis"), grf, {"units": "N"})
    data["activation"] = (("time", "muscle"), sol.activation, {"units": "1"})
    data["muscle_force_n"] = (("time", "muscle"), sol.muscle_force_n, {"units": "N"})
    reserve = np.zeros_like(tau)
    reserve[:, idx] = sol.reserve_moment_nm
    data["reserve_moment_nm"] = (("time", "coordinate"), reserve, {"units": "N m"})
    # the most the muscles can do about each coordinate (each alone, in the direction of the
    # joint moment): a joint moment above it needs a reserve whatever the cost function
    cap_nm = np.full_like(tau, np.nan)
    acting = [idx[j] for j in actuated]
    cap_nm[:, acting] = moment_capacity_nm(capacity, tau)[:, acting]
    data["muscle_capacity_nm"] = (("time", "coordinate"), cap_nm, {
        "units": "N m", "description": "largest muscle moment in the direction of the joint moment, "
        "each coordinate alone (muscles pulling that way fully active, passive forces included; "
        f"{tendon} tendons); NaN where no muscle acts"})
    data["so_status"] = (("time",), sol.status,
                         {"description": "0 optimal, 1 not converged, 2 infeasible"})

    # --- joint reaction loads (parent on child, child frame) from the muscle solution --------
    # Muscles + reserves balance every solved coordinate (soft reserves: exactly); the ground
    # joint's residuals and the locked coordinates' moments are inverse dynamics': applied as
    # given, no second inverse-dynamics solve; the acceleration error checks it (attrs).
    joint_names = list(dict.fromkeys(setup.joints.values()))
    applied = reserve.copy()
    unsolved = [names.index(c) for c in ground + locked]
    applied[:, unsolved] = tau[:, unsolved]
    balanced = bool(np.all(sol.status == 0))
    jr_args = dict(muscle_forces_n=np.nan_to_num(sol.muscle_force_n), muscle_names=muscles,
                   external_loads=loads, joints=joint_names)
    reactions = joint_reactions(work, names, motion.q, motion.qd, motion.qdd, **jr_args,
                                reserve_moments_nm=applied if balanced else reserve, balance=not balanced)
    if reactions.max_acceleration_error > _ACCELERATION_TOL:   # not balanced after all: solve
        log.warning("joint reactions: the muscle solution leaves an acceleration error of %.3g; "
                    "recomputed with the missing generalized forces added", reactions.max_acceleration_error)
        reactions = joint_reactions(work, names, motion.q, motion.qd, motion.qdd, **jr_args,
                                    reserve_moments_nm=reserve, balance=True)
    frame = "parent on child, child body frame"
    jr = [reactions[j] for j in joint_names]
    for name, dims, values, attrs in (
            ("reaction_force_n", ("time", "joint", "axis"), [r.force_n for r in jr],
             {"units": "N", "description": frame}),
            ("reaction_moment_nm", ("time", "joint", "axis"), [r.moment_nm for r in jr],
             {"units": "N m", "description": frame + ", about the joint centre"}),
            ("compressive_force_n", ("time", "joint"), [r.compressive_n for r in jr],
             {"units": "N", "description": "along -y of the child, + compression"}),
            ("shear_force_n", ("time", "joint"), [r.shear_n for r in jr], {"units": "N"})):
        data[f"joint_{name}"] = (dims, np.stack(values, axis=1), attrs)

    # --- patellofemoral joint, both methods, per side --------------------------------------
    pf = {k: np.full((t.size, len(sides)), np.nan) for k in
          ("pf_force_lever_n", "pf_force_muscle_n", "pf_stress_lever_pa", "pf_stress_muscle_pa",
           "quadriceps_force_lever_n", "quadriceps_force_muscle_n", "pf_contact_area_m2",
           "knee_flexion_rad", "knee_extension_moment_nm")}
    clipped = np.zeros((t.size, len(sides)), dtype=bool)
    kin = None
    if setup.kind == "planar":
        kin = kinematics or PlanarKinematics.from_skeleton(skeleton)
        q_kin = motion.q[:, [names.index(c) for c in kin.coordinates]]
    for k, side in enumerate(sides):
        coordinate, sign = setup.knee[side]
        knee = sign * motion.q[:, names.index(coordinate)]     # flexion positive
        lo, hi = np.radians(PF_RANGE_DEG)
        theta = np.clip(knee, lo, hi)
        clipped[:, k] = theta != knee
        m_ext = -sign * tau[:, names.index(coordinate)]       # extension positive
        lever = lever_arm_method(theta, m_ext)
        if kin is not None:
            quad_names, path = _quadriceps_paths(spec, skeleton, kin, q_kin, side)
            forces = np.column_stack([sol.muscle_force_n[:, muscles.index(n)] for n in quad_names])
            musc = muscle_method(theta, np.clip(forces, 0.0, None), path_points=path)
        else:
            cols = [muscles.index(n) for n in setup.quadriceps[side]]
            quad = np.nan_to_num(np.clip(sol.muscle_force_n[:, cols], 0.0, None)).sum(axis=1)
            musc = pf_from_quadriceps_and_angle(theta, quad)
        pf["knee_flexion_rad"][:, k] = knee
        pf["knee_extension_moment_nm"][:, k] = m_ext
        pf["pf_force_lever_n"][:, k] = lever.pf_force_n
        pf["pf_stress_lever_pa"][:, k] = lever.stress_pa
        pf["quadriceps_force_lever_n"][:, k] = lever.quadriceps_force_n
        pf["pf_force_muscle_n"][:, k] = musc.pf_force_n
        pf["pf_stress_muscle_pa"][:, k] = musc.stress_pa
        pf["quadriceps_force_muscle_n"][:, k] = musc.quadriceps_force_n
        pf["pf_contact_area_m2"][:, k] = lever.contact_area_m2
    units = {"_n": "N", "_pa": "Pa", "_m2": "m^2", "_rad": "rad", "_nm": "N m"}
    described = {"knee_flexion_rad": "knee flexion, positive = flexion",
                 "knee_extension_moment_nm": "net internal knee moment, positive = extension"}
    for key, value in pf.items():
        unit = next(u for suffix, u in units.items() if key.endswith(suffix))
        attrs = {"units": unit, **({"description": described[key]} if key in described else {})}
        data[key] = (("time", "side"), value, attrs)
    data["pf_angle_clipped"] = (("time", "side"), clipped,
                                {"description": f"knee angle outside {PF_RANGE_DEG} deg, clipped"})
    for motion_name, per_side in setup.angles.items():   # the model's sign convention taken out
        data[f"{motion_name}_rad"] = (("time", "side"), np.column_stack(
            [sign * motion.q[:, names.index(c)] for c, sign in (per_side[s] for s in sides)]),
            {"units": "rad", "description": f"{motion_name.replace('_', ' ')}, positive = "
                                            f"{motion_name.split('_')[1]}"})
    # net internal hip and ankle moments, extensor / plantarflexor positive like the knee's
    for motion_name, moment_name, positive in (("hip_flexion", "hip_extension_moment_nm", "extension"),
                                               ("ankle_dorsiflexion", "ankle_plantarflexion_moment_nm",
                                                "plantarflexion")):
        per_side = setup.angles[motion_name]
        data[moment_name] = (("time", "side"), np.column_stack(
            [-sign * tau[:, names.index(c)] for c, sign in (per_side[s] for s in sides)]),
            {"units": "N m", "description": f"net internal {motion_name.split('_')[0]} moment, "
                                            f"positive = {positive}"})

    # --- tendon energy (the solved tendon forces on the De Groote tendon curve) -------------
    ms = work.getMuscles()
    f0 = np.array([ms.get(n).getMaxIsometricForce() for n in muscles])
    ls = np.array([ms.get(n).getTendonSlackLength() for n in muscles])
    all_muscles = [ms.get(i).getName() for i in range(ms.getSize())]
    strain = setup.tendon_strain[[all_muscles.index(n) for n in muscles]]
    tension = np.clip(np.nan_to_num(sol.muscle_force_n), 0.0, None)
    energy = np.empty_like(tension)
    stored, returned = np.empty(len(muscles)), np.empty(len(muscles))
    for eps0 in np.unique(strain):
        cols = np.flatnonzero(strain == eps0)
        e = tendon_energy_timeseries(t, tension[:, cols], max_isometric_force_n=f0[cols],
                                     tendon_slack_length_m=ls[cols], strain_at_one_norm_force=float(eps0),
                                     hysteresis=hysteresis)
        energy[:, cols], stored[cols], returned[cols] = e.energy_j, e.stored_j, e.returned_j
    data["tendon_energy_j"] = (("time", "muscle"), energy, {"units": "J"})
    data["tendon_energy_stored_j"] = (("muscle",), stored, {"units": "J"})
    data["tendon_energy_returned_j"] = (("muscle",), returned, {"units": "J"})
    data["tendon_strain_at_one_norm_force"] = (("muscle",), strain, {"units": "1"})

    # --- metabolic rate (Umberger 2010 muscle energetics on the static-optimization solution) --
    from biomech.energetics.metabolic import fast_twitch_fraction

    try:
        fast_twitch_fraction(muscles)
    except ValueError as exc:   # a muscle without published fibre-type data: say so, skip
        metabolic_attrs = {"metabolic_model": f"not computed: {exc}"}
    else:
        metabolic = _metabolic(work, capacity, sol, muscles, t, setup.mass_kg, motion)
        for name, var in metabolic.data_vars.items():
            data[name] = (var.dims, var.values, var.attrs)
        metabolic_attrs = dict(metabolic.attrs)

    # --- quality and provenance ------------------------------------------------------------
    residual_stats = _residual_stats(tau, names, ground, motion.rotational, grf.sum(axis=1), weight)
    data["pelvis_residual_force_n"] = (("time",), residual_stats.pop("force_n"),
                                       {"units": "N", "description": "|ground-joint translational forces|"})
    data["pelvis_residual_moment_nm"] = (("time",), residual_stats.pop("moment_nm"),
                                         {"units": "N m", "description": "|ground-joint rotational "
                                          "generalized forces| (Euler-angle components)"})
    share = np.abs(sol.reserve_share[:, actuated]) if actuated else np.zeros((t.size, 0))
    # reserve relative to the coordinate's peak joint moment (the criterion: reserves
    # below 5 % of peak joint moment); the per-frame share above is ill-conditioned where the
    # joint moment crosses zero
    solved_tau = tau[:, [names.index(c) for c in solved]]
    peak_tau = np.max(np.abs(solved_tau[:, actuated]), axis=0) if actuated else np.zeros(0)
    peak_reserve = (np.nanmax(np.abs(sol.reserve_moment_nm[:, actuated]), axis=0) if actuated
                    else np.zeros(0))
    of_peak = peak_reserve / np.maximum(peak_tau, 1e-9)
    # per frame: each reserve as a fraction of its coordinate's peak moment (NaN where muscles do
    # not act), and the frames where any of them is above the limit
    fraction = np.full_like(tau, np.nan)
    fraction[:, acting] = np.abs(reserve[:, acting]) / np.maximum(peak_tau, 1e-9)
    above = (np.max(fraction[:, acting], axis=1) > RESERVE_LIMIT if acting
             else np.zeros(t.size, dtype=bool))
    data["reserve_fraction_of_peak_moment"] = (("time", "coordinate"), fraction, {
        "units": "1", "description": "|reserve moment| / the coordinate's peak |joint moment| over the "
        "record; NaN where no muscle acts"})
    data["reserve_above_limit"] = (("time",), above, {
        "description": f"a reserve above {RESERVE_LIMIT:g} of its coordinate's peak joint moment: the "
        "muscles do not carry the joint moments in this frame"})
    worst, worst_time_s, worst_ratio = "", math.nan, math.nan
    if of_peak.size:
        worst = solved[actuated[int(np.argmax(of_peak))]]
        j = names.index(worst)
        i = int(np.nanargmax(np.abs(reserve[:, j])))
        worst_time_s = float(t[i])
        worst_ratio = float(abs(tau[i, j]) / cap_nm[i, j]) if cap_nm[i, j] > 0 else math.inf
    ds = xr.Dataset(data, coords={"time": ("time", t, {"units": "s"}), "coordinate": names,
                                  "muscle": muscles, "side": list(sides), "joint": joint_names,
                                  "axis": ["x", "y", "z"]})
    ds.attrs.update({
        "biomech_version": biomech.__version__, "opensim_version": opensim_version(),
        "numpy_version": np.__version__, "git_commit": _git_commit(),
        "motion": motion.name, "direction": motion.direction, "model_kind": setup.kind,
        "model_name": str(model.getName()),
        "body_weight_n": weight, "mass_kg": setup.mass_kg,
        "static_optimization_exponent": exponent,
        "reserve_optimal_force_nm": reserve_optimal_force_nm, "tendon_hysteresis": hysteresis,
        "tendon_model": tendon, **compliant_attrs,
        "residual_coordinates": ground, "locked_coordinates": locked,
        "reserve_only_coordinates": reserve_only,
        "translational_coordinates": [c for c, rot in zip(names, motion.rotational, strict=True)
                                      if not rot],
        **residual_stats,
        "so_failed_frames": int(np.sum(sol.status != 0)),
        "max_reserve_share": float(np.nanmax(share)) if share.size else 0.0,
        "max_reserve_fraction_of_peak_moment": float(np.max(of_peak)) if of_peak.size else 0.0,
        "max_reserve_fraction_coordinate": worst,
        # where that coordinate's reserve peaks, and its joint moment over what its muscles can
        # produce there (> 1: beyond the muscles' capacity, not a cost trade-off)
        "max_reserve_fraction_time_s": worst_time_s,
        "max_reserve_fraction_demand_over_capacity": worst_ratio,
        "reserve_limit_fraction_of_peak_moment": RESERVE_LIMIT,
        "reserve_above_limit_fraction_of_time": float(np.mean(above)),
        "max_reserve_moment_nm": float(np.nanmax(peak_reserve)) if actuated else 0.0,
        "max_reserve_moment_coordinate": (solved[actuated[int(np.nanargmax(peak_reserve))]]
                                          if actuated else ""),
        "joint_reaction_max_acceleration_error": reactions.max_acceleration_error,
        **{f"{role}_joint": name for role, name in setup.joints.items()},
        **{f"knee_coordinate_{s}": c for s, (c, _) in setup.knee.items()},
        **{f"{m}_coordinate_{s}": c
           for m, per_side in setup.angles.items() for s, (c, _) in per_side.items()},
        **{f"quadriceps_{s}": list(v) for s, v in setup.quadriceps.items()},
        **{f"muscle_group_{g}_{s}": list(members)
           for g, per_side in setup.groups.items() for s, members in per_side.items()},
        **setup.notes,
        **metabolic_attrs,
    })
    return ds


def _metabolic(work, capacity, sol, muscles: list[str], t: np.ndarray, mass_kg: float,
               motion: Motion) -> xr.Dataset:
    """Umberger (2010) metabolic rate of the solved muscles (excitation = activation, as static
    optimization has no activation dynamics); muscle mass from F0 and l_opt at a specific tension
    of 0.6 MPa, the value behind the model's F0 (Rajagopal 2016 volumes at 60 N/cm^2). Averaged
    over the whole motion; cost of transport at the motion's mean horizontal speed."""
    from biomech.energetics.metabolic import (
        SPECIFIC_TENSION_HIGH_PA,
        fiber_velocity_m_s,
        muscle_mass_kg,
        umberger2010_metabolic_rate,
    )

    ms = work.getMuscles()
    cols = [list(capacity.muscle_names).index(n) for n in muscles]
    d = {k: np.asarray(v)[:, cols] for k, v in capacity.diagnostics.items()
         if k in ("norm_fiber_length", "norm_fiber_velocity", "active_force_length_multiplier",
                  "force_velocity_multiplier")}
    f0 = np.array([ms.get(n).getMaxIsometricForce() for n in muscles])
    lopt = np.array([ms.get(n).getOptimalFiberLength() for n in muscles])
    vmax = np.array([ms.get(n).getMaxContractionVelocity() for n in muscles])
    a = np.clip(np.nan_to_num(sol.activation), 0.0, 1.0)
    fv = np.clip(d["force_velocity_multiplier"], 0.0, None)
    names = list(motion.coordinate_names)
    speed = None
    if "pelvis_tx" in names:
        x = motion.q[:, names.index("pelvis_tx")]
        speed = abs(float(x[-1] - x[0]) / float(t[-1] - t[0])) or None
    met = umberger2010_metabolic_rate(
        activation=a, norm_fiber_length=d["norm_fiber_length"],
        fiber_velocity_m_s=fiber_velocity_m_s(norm_fiber_velocity=d["norm_fiber_velocity"],
                                              optimal_fiber_length_m=lopt,
                                              max_contraction_velocity_lopt_s=vmax),
        active_fiber_force_n=a * f0 * d["active_force_length_multiplier"] * fv,
        active_force_length_multiplier=d["active_force_length_multiplier"],
        optimal_fiber_length_m=lopt, max_contraction_velocity_lopt_s=vmax,
        muscle_mass_kg=muscle_mass_kg(max_isometric_force_n=f0, optimal_fiber_length_m=lopt,
                                      specific_tension_pa=SPECIFIC_TENSION_HIGH_PA),
        muscle_names=muscles, body_mass_kg=mass_kg, time_s=t, speed_m_s=speed)
    return met.to_dataset()


def _residual_stats(tau: np.ndarray, names: list[str], ground: list[str], rotational: Sequence[bool],
                    grf_n: np.ndarray, weight_n: float) -> dict:
    """Residual force (translations) and moment (rotations) of the ground joint, per frame and as
    max / RMS / mean (attrs), also as % of the peak net GRF (Hicks et al. 2015, J Biomech Eng
    137:020905, suggest peak residual forces below 5 % of the peak external force)."""
    trans = [names.index(c) for c in ground if not rotational[names.index(c)]]
    rot = [names.index(c) for c in ground if rotational[names.index(c)]]
    n = tau.shape[0]
    force = np.linalg.norm(tau[:, trans], axis=1) if trans else np.zeros(n)
    moment = np.linalg.norm(tau[:, rot], axis=1) if rot else np.zeros(n)
    mean_force = float(np.linalg.norm(tau[:, trans].mean(axis=0))) if trans else 0.0
    peak_grf = float(np.linalg.norm(grf_n, axis=1).max())
    pct = 100.0 / peak_grf if peak_grf > 0 else float("nan")
    rms_f = float(np.sqrt(np.mean(force ** 2)))
    return {
        "force_n": force, "moment_nm": moment,
        "max_pelvis_residual_force_bw": float(force.max()) / weight_n,
        "rms_pelvis_residual_force_bw": rms_f / weight_n,
        "mean_pelvis_residual_force_bw": mean_force / weight_n,
        "max_pelvis_residual_force_pct_peak_grf": float(force.max()) * pct,
        "rms_pelvis_residual_force_pct_peak_grf": rms_f * pct,
        "max_pelvis_residual_moment_nm": float(moment.max()),
        "rms_pelvis_residual_moment_nm": float(np.sqrt(np.mean(moment ** 2))),
        "peak_grf_n": peak_grf,
    }


def summary_table(ds: xr.Dataset) -> dict[str, float]:
    """Scalar outcomes (one row): peaks over the record, in N, BW, MPa, J."""
    bw = float(ds.attrs["body_weight_n"])
    mass = float(ds.attrs.get("mass_kg", bw / 9.80665))
    out: dict[str, float] = {}
    for side in ds.side.values:
        if "knee_extension_moment_nm" in ds:
            m_ext = ds.knee_extension_moment_nm.sel(side=side)
        else:  # results saved before the variable existed: knee flexion positive
            m_ext = -ds.joint_moment_nm.sel(coordinate=f"knee_angle_{side}")
        out[f"peak_knee_extension_moment_nm_{side}"] = float(m_ext.max())
        out[f"peak_knee_extension_moment_nm_per_kg_{side}"] = float(m_ext.max()) / mass
        for method in ("lever", "muscle"):
            f = ds[f"pf_force_{method}_n"].sel(side=side)
            s = ds[f"pf_stress_{method}_pa"].sel(side=side)
            out[f"peak_pf_force_{method}_bw_{side}"] = float(f.max()) / bw
            out[f"peak_pf_stress_{method}_mpa_{side}"] = float(s.max()) / 1e6
        for role in ("hip", "knee", "ankle"):
            joint = ds.attrs.get(f"{role}_{side}_joint", f"{role}_{side}")
            out[f"peak_{role}_compressive_force_bw_{side}"] = float(
                ds.joint_compressive_force_n.sel(joint=joint).max()) / bw
    out["tendon_energy_returned_j"] = float(ds.tendon_energy_returned_j.sum())
    out["max_pelvis_residual_force_bw"] = float(ds.attrs["max_pelvis_residual_force_bw"])
    out["max_reserve_share"] = float(ds.attrs["max_reserve_share"])
    # saved before these existed: NaN
    for key in ("max_reserve_fraction_of_peak_moment", "max_reserve_fraction_demand_over_capacity",
                "reserve_above_limit_fraction_of_time"):
        out[key] = float(ds.attrs.get(key, math.nan))
    return out


def save_result(ds: xr.Dataset, folder: str | Path, stem: str = "result", *,
                opensim_tables: bool = True) -> dict[str, Path]:
    """Write the Dataset (netCDF) and its summary table (CSV) atomically, and (``opensim_tables``)
    the OpenSim ``.sto`` tables of :mod:`biomech.io.result_tables` (keys ``sto_<name>``)."""
    from biomech.io.result_tables import write_result_tables
    from biomech.io.storage import atomic_write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nc = folder / f"{stem}.nc"
    tmp = folder / f".{stem}.nc.tmp{os.getpid()}"
    clean = ds.copy()
    for name in clean.data_vars:
        if clean[name].dtype == bool:
            clean[name] = clean[name].astype("int8")
    for key, value in list(clean.attrs.items()):  # netCDF attributes: no empty lists
        if isinstance(value, (list, tuple)):
            clean.attrs[key] = ", ".join(map(str, value))
    clean.to_netcdf(tmp)
    os.replace(tmp, nc)
    table = summary_table(ds)
    csv = atomic_write_text(folder / f"{stem}_summary.csv",
                            "quantity,value\n" + "".join(f"{k},{v:.10g}\n" for k, v in table.items()))
    files = {"netcdf": nc, "summary": Path(csv)}
    if opensim_tables:
        files.update({f"sto_{k}": v for k, v in write_result_tables(ds, folder, stem).items()})
    return files


# ------------------------------------------------------------------ measured trials
# (helpers for measured data such as the Hamner 2010 running trial; they belong with
# biomech.gait.cycles and may move there)


def slice_motion(motion: Motion, start_s: float, end_s: float, *, threshold_n: float = 20.0) -> Motion:
    """The part of ``motion`` from the last sample at or before ``start_s`` to the first sample at
    or after ``end_s`` (so it covers the interval), with gait events re-detected from the vertical
    GRF of each loaded side (``foot_strike_<side>``, ``toe_off_<side>``; threshold in N).
    """
    t = motion.time_s
    tol = 1e-9 * max(1.0, abs(float(t[-1])))
    if not (t[0] - tol <= start_s < end_s <= t[-1] + tol):
        raise BiomechError(f"slice_motion: {start_s:g}-{end_s:g} s is not inside the motion "
                           f"({t[0]:g}-{t[-1]:g} s)")
    i0 = int(np.searchsorted(t, start_s + tol, side="right")) - 1
    i1 = int(np.searchsorted(t, end_s - tol, side="left"))
    cut = slice(max(i0, 0), min(i1, t.size - 1) + 1)
    loads = {s: FootLoad(body=ld.body, force_n=ld.force_n[cut], cop_m=ld.cop_m[cut],
                         free_moment_nm=ld.free_moment_nm[cut]) for s, ld in motion.loads.items()}
    time_s = t[cut]
    events = {}
    for s, ld in loads.items():
        ev = detect_strikes(time_s, ld.force_n[:, 1], threshold_n)
        events[f"foot_strike_{s}"], events[f"toe_off_{s}"] = ev.foot_strike_s, ev.toe_off_s
    params = {**motion.params, "slice_s": [float(time_s[0]), float(time_s[-1])]}
    return dataclasses.replace(motion, time_s=time_s, q=motion.q[cut], qd=motion.qd[cut],
                               qdd=motion.qdd[cut], loads=loads, events=events, params=params)


def select_stride(motion: Motion, *, side: str = "r", threshold_n: float = 20.0, index: int = 0,
                  start_after_s: float | None = None, min_duration_s: float = 0.3,
                  max_duration_s: float = 2.0, count: int = 1) -> Motion:
    """One full stride: from a foot strike of ``side`` to its next foot strike.

    Strikes are where that foot's vertical GRF rises through ``threshold_n`` (N)
    (:func:`biomech.gait.cycles.detect_strikes`); ``index`` counts the complete strides of
    plausible duration that start at or after ``start_after_s`` (s). The stride is cut by
    :func:`slice_motion`, so it covers both strikes. ``count`` > 1: that many strides from
    ``index`` on (the record from the first's strike to the last's); 0: all of them.
    """
    if side not in motion.loads:
        raise BiomechError(f"select_stride: motion {motion.name!r} has no load for side {side!r}")
    ev = detect_strikes(motion.time_s, motion.loads[side].force_n[:, 1], threshold_n)
    strikes = ev.foot_strike_s
    if start_after_s is not None:
        strikes = strikes[strikes >= start_after_s]
    cycles = cut_cycles(motion.time_s, strikes, min_duration_s=min_duration_s,
                        max_duration_s=max_duration_s)
    if not 0 <= index < len(cycles):
        raise BiomechError(f"select_stride: motion {motion.name!r} has {len(cycles)} complete "
                           f"'{side}' strides, index {index} asked for")
    if count < 0 or (count and index + count > len(cycles)):
        raise BiomechError(f"select_stride: motion {motion.name!r} has {len(cycles)} complete "
                           f"'{side}' strides, {count} from index {index} asked for")
    chosen = cycles[index:index + count] if count else cycles[index:]
    return slice_motion(motion, chosen[0][0], chosen[-1][1], threshold_n=threshold_n)


def mass_from_grf_kg(motion: Motion, *, gravity_m_s2: float = 9.80665, start_s: float | None = None,
                     end_s: float | None = None) -> float:
    """Body mass (kg) from the mean total vertical GRF over ``[start_s, end_s]`` (default the whole
    motion): over whole strides of steady gait the mean vertical GRF equals body weight."""
    t = motion.time_s
    keep = (t >= (t[0] if start_s is None else start_s)) & (t <= (t[-1] if end_s is None else end_s))
    if keep.sum() < 2:
        raise BiomechError("mass_from_grf_kg: fewer than two samples in the interval")
    fy = sum(ld.force_n[keep, 1] for ld in motion.loads.values())
    tk = t[keep]
    return float(np.trapezoid(fy, tk) / (tk[-1] - tk[0]) / gravity_m_s2)
