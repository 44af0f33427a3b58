"""Joint reaction loads from muscle forces, in memory, and OpenSim's JointReaction analysis.

A thin OpenSim layer. :func:`joint_reactions` returns, frame by frame, the force and moment that
the parent body of a joint applies on the child body (e.g. the femur on the tibia at the knee),
expressed in the child body's frame, for a motion (q, qd, qdd) loaded by given muscle tensions,
reserve moments and external loads (ground reaction forces). :func:`opensim_joint_reaction_tool`
runs OpenSim's own JointReaction analysis (AnalyzeTool, files in a temporary folder) on the same
inputs, as a cross-check and a timing reference.

How the in-memory reaction is obtained (OpenSim 4.6 Python bindings)
-------------------------------------------------------------------
A working copy of the model gets rigid tendons (``ignore_tendon_compliance``, as in
:mod:`biomech.osim.muscle_export`), one ``CoordinateActuator`` (optimal force 1) per independent
coordinate and one ``PrescribedForce`` per external load (piecewise-linear functions of the frame
index, which is used as the state's time, so each frame gets its own load exactly). Every other
force of the model (foot contact, muscles not listed) is switched off in the state. Per frame:

1. q and u are set, the coupled coordinates (the patella) from their ``CoordinateCouplerConstraint``
   (value, speed and acceleration as in :func:`biomech.osim.inverse.inverse_dynamics`);
2. each muscle's actuation is overridden with its tension (``overrideActuation`` +
   ``setOverrideActuation``: the tension acts along the muscle's path), each coordinate actuator
   with the reserve moment;
3. ``InverseDynamicsSolver.solve(state, udot)`` with these forces applied gives the generalized
   forces still missing to produce the prescribed accelerations (projected from the patella onto
   the knee as in inverse dynamics). They are added to the coordinate actuators: on the ground
   joint (pelvis) they are the residual forces and moment; on the other coordinates they are
   zero (round-off) when the muscle forces and reserves come from a static optimization of the
   same motion. They are returned (``JointReactions.residual_generalized_force``), so the caller
   can check them;
4. the state is realised to Acceleration (forward dynamics with every force applied now returns
   the prescribed accelerations; the largest difference is returned as
   ``max_acceleration_error``) and ``Joint.calcReactionOnChildExpressedInGround`` is read and
   re-expressed in the child body's frame.

This is what OpenSim's JointReaction analysis does with a forces file (override the actuators,
realise to Acceleration, read the same method), except that the analysis takes its accelerations
from forward dynamics with whatever forces the file holds, where step 3 makes them the motion's.

The reaction is the whole load the joint transmits: a generalized force on the joint's own
coordinate (reserve moment, balancing moment) is part of the reaction moment. The moment is taken
about the origin of the joint's child frame (the joint centre, ``JointReaction.point_m``).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from biomech.io.external_loads import ExternalForceSpec, ExternalLoadsSpec, write_external_loads
from biomech.io.storage import read_table, write_table
from biomech.osim import drain_log, osim
from biomech.osim.inverse import (
    ExternalLoad,
    _couplers,
    _frames,
    _mobility_index,
    check_coordinate_names,
    coupled_trajectories,
    fill_coupled,
)
from biomech.osim.muscle_export import rigid_tendon_copy, run_analyze_tool

__all__ = ["DEFAULT_JOINTS", "JointReaction", "JointReactions", "joint_reactions",
           "opensim_joint_reaction_tool"]

#: Joints reported by default (the planar running model's legs).
DEFAULT_JOINTS = ("hip_r", "knee_r", "ankle_r", "hip_l", "knee_l", "ankle_l")
_AXES = ("x", "y", "z")


@dataclass(frozen=True, eq=False)
class JointReaction:
    """The load the parent body applies on the child body at one joint, frame by frame.

    Attributes
    ----------
    joint : joint name, e.g. ``"knee_r"``
    parent, child : names of the parent and child bodies (e.g. ``"femur_r"``, ``"tibia_r"``)
    force_n : (n_frames, 3) force of the parent on the child (N), in the child body's frame
    moment_nm : (n_frames, 3) moment of the parent on the child (N m) about the joint centre
        ``point_m``, in the child body's frame
    point_m : (3,) the joint centre (origin of the joint's child frame) in the child body's frame

    Notes
    -----
    Body frames follow OpenSim: x anterior, y superior (along the segment's long axis), z to the
    right. ``compressive_n`` is the force along -y of the child, so it is positive when the parent
    pushes the child along its long axis away from the joint (the femur pressing the tibia down).
    """

    joint: str
    parent: str
    child: str
    force_n: np.ndarray
    moment_nm: np.ndarray
    point_m: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def __post_init__(self) -> None:
        for name in ("force_n", "moment_nm", "point_m"):
            a = np.array(getattr(self, name), dtype=float)
            a.setflags(write=False)
            object.__setattr__(self, name, a)

    @property
    def resultant_n(self) -> np.ndarray:
        """Magnitude of the reaction force (N), shape (n_frames,)."""
        return np.linalg.norm(self.force_n, axis=1)

    @property
    def compressive_n(self) -> np.ndarray:
        """Force along the child's long axis, -y of its frame (N), positive in compression."""
        return -self.force_n[:, 1]

    @property
    def shear_n(self) -> np.ndarray:
        """Magnitude of the force perpendicular to the child's long axis (x and z) (N)."""
        return np.hypot(self.force_n[:, 0], self.force_n[:, 2])

    @property
    def anterior_shear_n(self) -> np.ndarray:
        """Force along +x of the child (anterior) (N): the sagittal-plane shear with its sign."""
        return self.force_n[:, 0].copy()


class JointReactions(dict):
    """``dict`` joint name -> :class:`JointReaction`, with what the computation found.

    Attributes
    ----------
    coordinate_names : the independent coordinates, column order of
        ``residual_generalized_force``
    residual_generalized_force : (n_frames, n_coords) or None; generalized forces (N m or N)
        that :func:`joint_reactions` had to add so that the applied loads produce the prescribed
        accelerations: the ground joint's residuals, and on the joints the mismatch between
        inverse dynamics and the muscle + reserve moments (round-off when these come from a
        static optimization of the same motion). None for the OpenSim tool.
    max_acceleration_error : largest |udot - prescribed udot| after the forward realisation
        (rad/s^2 or m/s^2), NaN for the tool
    run_s : wall time of the computation (s); for the tool, of ``AnalyzeTool.run``
    """

    def __init__(self, items: Mapping[str, JointReaction], *, coordinate_names: Sequence[str] = (),
                 residual_generalized_force: np.ndarray | None = None,
                 max_acceleration_error: float = float("nan"), run_s: float = float("nan")) -> None:
        super().__init__(items)
        self.coordinate_names = tuple(coordinate_names)
        self.residual_generalized_force = residual_generalized_force
        self.max_acceleration_error = float(max_acceleration_error)
        self.run_s = float(run_s)

    def to_dataset(self, *, time_s: np.ndarray | None = None, body_weight_n: float | None = None):
        """The reactions as an ``xarray.Dataset`` with dims ``time``, ``joint``, ``axis``.

        Variables ``reaction_force_n``, ``reaction_moment_nm`` (child body frame),
        ``compressive_force_n``, ``shear_force_n`` and, with ``body_weight_n``, the same forces
        in body weights (``*_bw``).
        """
        import xarray as xr

        joints = list(self)
        n = next(iter(self.values())).force_n.shape[0] if joints else 0
        t = np.arange(n, dtype=float) if time_s is None else np.asarray(time_s, dtype=float)
        ds = xr.Dataset(coords={"time": ("time", t, {"units": "s" if time_s is not None else "frame"}),
                                "joint": joints, "axis": list(_AXES)})
        frame = "parent on child, child body frame"
        ds["reaction_force_n"] = (("time", "joint", "axis"),
                                  np.stack([r.force_n for r in self.values()], axis=1),
                                  {"units": "N", "description": frame})
        ds["reaction_moment_nm"] = (("time", "joint", "axis"),
                                    np.stack([r.moment_nm for r in self.values()], axis=1),
                                    {"units": "N m", "description": frame + ", about the joint centre"})
        ds["compressive_force_n"] = (("time", "joint"),
                                     np.stack([r.compressive_n for r in self.values()], axis=1),
                                     {"units": "N", "description": "along -y of the child, + compression"})
        ds["shear_force_n"] = (("time", "joint"), np.stack([r.shear_n for r in self.values()], axis=1),
                               {"units": "N"})
        if body_weight_n is not None:
            for name in ("reaction_force", "compressive_force", "shear_force"):
                ds[f"{name}_bw"] = ds[f"{name}_n"] / float(body_weight_n)
                ds[f"{name}_bw"].attrs = {"units": "BW"}
            ds.attrs["body_weight_n"] = float(body_weight_n)
        return ds


# ------------------------------------------------------------------ input checks


def _muscle_inputs(model: osim.Model, muscle_forces_n, muscle_names, n_frames: int
                   ) -> tuple[list[str], np.ndarray]:
    names = [] if muscle_names is None else list(muscle_names)
    if muscle_forces_n is None:
        if names:
            raise ValueError("muscle_names given without muscle_forces_n")
        return [], np.zeros((n_frames, 0))
    if muscle_names is None:
        raise ValueError("muscle_forces_n given without muscle_names")
    if isinstance(muscle_names, str):
        raise ValueError("muscle_names: expected a sequence of names, got a string")
    forces = _frames(muscle_forces_n, len(names), "muscle_forces_n")
    if forces.shape[0] != n_frames:
        raise ValueError(f"muscle_forces_n has {forces.shape[0]} frames, q {n_frames}")
    if len(set(names)) != len(names):
        raise ValueError(f"muscle_names: repeated names in {names}")
    ms = model.getMuscles()
    known = {ms.get(i).getName() for i in range(ms.getSize())}
    if unknown := sorted(set(names) - known):
        raise ValueError(f"muscle_names: unknown muscle(s) {unknown}; the model has {sorted(known)}")
    return names, forces


def _joint_inputs(model: osim.Model, joints: Sequence[str]) -> list[str]:
    if isinstance(joints, str):
        joints = [joints]
    joints = list(joints)
    js = model.getJointSet()
    known = [js.get(i).getName() for i in range(js.getSize())]
    if not joints:
        raise ValueError("joints: no joint given")
    if unknown := [j for j in joints if j not in known]:
        raise ValueError(f"joints: unknown joint(s) {unknown}; the model has {known}")
    if len(set(joints)) != len(joints):
        raise ValueError(f"joints: repeated names in {joints}")
    return joints


def _finite(what: str, x: np.ndarray, columns: Sequence[str]) -> None:
    if not np.all(np.isfinite(x)):
        row, col = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(f"{what}: non-finite value at frame {row}, column {columns[col]}")


def _load_items(model: osim.Model, external_loads) -> list[ExternalLoad]:
    """The loads as a list, checked against the model's bodies."""
    if external_loads is None:
        return []
    items = list(external_loads.values() if isinstance(external_loads, Mapping) else external_loads)
    bodies = model.getBodySet()
    for k, load in enumerate(items):
        if not isinstance(load, ExternalLoad):
            raise TypeError(f"external_loads[{k}]: expected an ExternalLoad, got {type(load).__name__}")
        if not bodies.contains(load.body):
            known = [bodies.get(i).getName() for i in range(bodies.getSize())]
            raise ValueError(f"external load on {load.body!r}: no such body; expected one of {known}")
    return items


def _check_inputs(model, coordinate_names, q, qd, qdd, muscle_forces_n, muscle_names,
                  reserve_moments_nm, joints, reserve_label: str = "reserve_moments_nm"):
    if isinstance(coordinate_names, str):
        raise ValueError("coordinate_names: expected a sequence of names, got a string")
    names = list(coordinate_names)
    arrays = [_frames(x, len(names), w) for x, w in ((q, "q"), (qd, "qd"), (qdd, "qdd"))]
    n = arrays[0].shape[0]
    if any(a.shape[0] != n for a in arrays):
        raise ValueError(f"q, qd, qdd have different numbers of frames: {[a.shape[0] for a in arrays]}")
    couplers = _couplers(model)
    all_names = check_coordinate_names(model, names, {c.dependent for c in couplers})
    mnames, forces = _muscle_inputs(model, muscle_forces_n, muscle_names, n)
    if reserve_moments_nm is None:
        reserves = np.zeros((n, len(names)))
    else:
        reserves = _frames(reserve_moments_nm, len(names), reserve_label)
        if reserves.shape[0] != n:
            raise ValueError(f"{reserve_label} has {reserves.shape[0]} frames, q {n}")
    for what, x, cols in (("q", arrays[0], names), ("qd", arrays[1], names), ("qdd", arrays[2], names),
                          ("muscle_forces_n", forces, mnames), (reserve_label, reserves, names)):
        _finite(what, x, cols)
    return names, arrays, couplers, all_names, mnames, forces, reserves, _joint_inputs(model, joints)


# ------------------------------------------------------------------ in memory


def _plf(values: np.ndarray) -> osim.Function:
    """Piecewise-linear function of the frame index through ``values`` (exact at each frame); a
    Constant when every value is the same (a planar load's z force, a zero free moment)."""
    if np.all(values == values[0]):
        return osim.Constant(float(values[0]))
    f = osim.PiecewiseLinearFunction()
    for k, v in enumerate(values):
        f.addPoint(float(k), float(v))
    if len(values) == 1:  # one knot is not a function: repeat the value one frame later
        f.addPoint(1.0, float(values[0]))
    return f


def _child_info(joint: osim.Joint) -> tuple[str, str, np.ndarray]:
    """Parent and child body names, and the joint centre (child frame origin) in the child body."""
    child = joint.getChildFrame()
    point = child.findTransformInBaseFrame().p().to_numpy()
    return (joint.getParentFrame().findBaseFrame().getName(), child.findBaseFrame().getName(),
            np.array(point, dtype=float))


def joint_reactions(model: osim.Model, coordinate_names: Sequence[str], q: np.ndarray, qd: np.ndarray,
                    qdd: np.ndarray, *, muscle_forces_n: np.ndarray | None = None,
                    muscle_names: Sequence[str] | None = None,
                    reserve_moments_nm: np.ndarray | None = None,
                    external_loads: Mapping[str, ExternalLoad] | Sequence[ExternalLoad] | None = None,
                    joints: Sequence[str] = DEFAULT_JOINTS, balance: bool = True) -> JointReactions:
    """Joint reaction loads of a motion loaded by muscle tensions, reserves, gravity and GRF.

    See the module docstring for the method. The model is not modified (a working copy is used).

    Parameters
    ----------
    model : OpenSim model
    coordinate_names : every independent coordinate of the model (no coupled one), in the
        column order of ``q``, ``qd``, ``qdd`` and ``reserve_moments_nm``
    q, qd, qdd : shape (n_frames, n_coords): rad, rad/s, rad/s^2 (m, m/s, m/s^2 for translations)
    muscle_forces_n : (n_frames, n_muscles) muscle-tendon tensions (N), applied along each
        muscle's path; muscles of the model not in ``muscle_names`` apply no force
    muscle_names : the muscle of each column of ``muscle_forces_n``
    reserve_moments_nm : (n_frames, n_coords), generalized forces (N m or N) applied on the
        coordinates like ``CoordinateActuator`` s (reserves); default none
    external_loads : :class:`~biomech.osim.inverse.ExternalLoad` s (e.g. the ground reaction force
        at the centre of pressure on each foot), as a sequence or a mapping; applied as body forces
    joints : joints to report, default the hips, knees and ankles
    balance : add the generalized forces still missing to produce the motion's accelerations
        (step 3 of the method; one inverse-dynamics solve per frame). With False the caller
        guarantees that muscles, ``reserve_moments_nm`` (which must then include the ground
        joint's residuals) and the loads already produce them (e.g. a static optimization of the
        same motion plus the inverse-dynamics residuals): the solve is skipped (about 30 % faster),
        ``residual_generalized_force`` is None and ``max_acceleration_error`` shows how well the
        guarantee held.

    Returns
    -------
    JointReactions
        ``{joint: JointReaction}``: force (N) and moment (N m, about the joint centre) of the
        parent on the child, in the child body's frame; plus ``residual_generalized_force`` (the
        generalized forces added so that the motion's accelerations are produced: the ground
        joint's residuals) and ``max_acceleration_error``.

    Raises
    ------
    ValueError
        unknown, repeated, missing or coupled coordinate names; unknown muscles or joints; array
        shapes that disagree; non-finite values; an external load on an unknown body.
    TypeError
        ``external_loads`` holding something other than :class:`ExternalLoad`.
    NotImplementedError
        enforced constraints other than coordinate couplers.
    """
    t_start = time.perf_counter()
    (names, (q, qd, qdd), couplers, all_names, mnames, forces, reserves,
     joint_names) = _check_inputs(model, coordinate_names, q, qd, qdd, muscle_forces_n, muscle_names,
                                  reserve_moments_nm, joints)
    n = q.shape[0]
    items = _load_items(model, external_loads)

    # --- working copy: rigid tendons, one actuator per coordinate, one PrescribedForce per load
    work = rigid_tendon_copy(model, actuated=names, actuator_prefix="biomech_jr_", init=False)
    for k, load in enumerate(items):
        force, point, torque = load.per_frame(n)
        pf = osim.PrescribedForce(f"biomech_jr_load{k}", work.getBodySet().get(load.body))
        pf.setForceIsInGlobalFrame(True)
        pf.setPointIsInGlobalFrame(True)
        pf.setForceFunctions(*(_plf(force[:, i]) for i in range(3)))
        pf.setPointFunctions(*(_plf(point[:, i]) for i in range(3)))
        pf.setTorqueFunctions(*(_plf(torque[:, i]) for i in range(3)))
        work.addForce(pf)
    state = work.initSystem()

    fs = work.getForceSet()
    ours = {f"biomech_jr_{c}" for c in names} | {f"biomech_jr_load{k}" for k in range(len(items))}
    for i in range(fs.getSize()):
        f = fs.get(i)
        if f.getName() not in ours and f.getName() not in mnames:
            f.setAppliesForce(state, False)
    actuators = [osim.CoordinateActuator.safeDownCast(fs.get(f"biomech_jr_{c}")) for c in names]
    muscles = [work.getMuscles().get(m) for m in mnames]
    for a in [*actuators, *muscles]:
        a.overrideActuation(state, True)
        a.setOverrideActuation(state, 0.0)
    index = _mobility_index(work, state, all_names)
    solver = osim.InverseDynamicsSolver(work) if balance else None
    ground = work.getGround()
    js = work.getJointSet()
    jobjs = [js.get(j) for j in joint_names]
    info = [_child_info(j) for j in jobjs]
    child_frames = [work.getBodySet().get(c) for _, c, _ in info]

    col = np.array([index[c] for c in names])
    column_of = {c: k for k, c in enumerate(names)}
    coupled = coupled_trajectories(couplers, column_of, q, qd, qdd)
    nu = state.getNU()
    big_q, big_u, big_udot = np.zeros(nu), np.zeros(nu), np.zeros(nu)
    out_f = np.empty((len(joint_names), n, 3))
    out_m = np.empty((len(joint_names), n, 3))
    residual = np.empty((n, len(names)))
    acc_error = 0.0
    for f in range(n):
        state.setTime(float(f))
        big_q[col], big_u[col], big_udot[col] = q[f], qd[f], qdd[f]
        grads = fill_coupled(coupled, index, f, big_q, big_u, big_udot)
        state.setQ(osim.Vector.createFromMat(big_q))
        state.setU(osim.Vector.createFromMat(big_u))
        for mu, value in zip(muscles, forces[f], strict=True):
            mu.setOverrideActuation(state, float(value))
        for a, value in zip(actuators, reserves[f], strict=True):
            a.setOverrideActuation(state, float(value))
        if solver is not None:
            udot = osim.Vector.createFromMat(big_udot)
            tau = solver.solve(state, udot).to_numpy()  # missing generalized forces, mobility order
            missing = tau[col].copy()
            for k, d, grad in grads:
                missing[k] += tau[d] * grad
            residual[f] = missing
            for a, value in zip(actuators, reserves[f] + missing, strict=True):
                a.setOverrideActuation(state, float(value))
        work.realizeAcceleration(state)
        acc_error = max(acc_error, float(np.abs(state.getUDot().to_numpy() - big_udot).max()))
        for j, (joint, body) in enumerate(zip(jobjs, child_frames, strict=True)):
            reaction = joint.calcReactionOnChildExpressedInGround(state)
            out_m[j, f] = ground.expressVectorInAnotherFrame(state, reaction.get(0), body).to_numpy()
            out_f[j, f] = ground.expressVectorInAnotherFrame(state, reaction.get(1), body).to_numpy()
    drain_log()
    result = {name: JointReaction(joint=name, parent=parent, child=child, force_n=out_f[j],
                                  moment_nm=out_m[j], point_m=point)
              for j, (name, (parent, child, point)) in enumerate(zip(joint_names, info, strict=True))}
    return JointReactions(result, coordinate_names=names,
                          residual_generalized_force=residual if balance else None,
                          max_acceleration_error=acc_error, run_s=time.perf_counter() - t_start)


# ------------------------------------------------------------------ OpenSim's JointReaction tool


def opensim_joint_reaction_tool(model: osim.Model, coordinate_names: Sequence[str], q: np.ndarray,
                                qd: np.ndarray, *, time_s: np.ndarray,
                                muscle_forces_n: np.ndarray | None = None,
                                muscle_names: Sequence[str] | None = None,
                                generalized_forces: np.ndarray | None = None,
                                external_loads: Mapping[str, ExternalLoad] | Sequence[ExternalLoad]
                                | None = None,
                                joints: Sequence[str] = DEFAULT_JOINTS,
                                workdir: str | Path | None = None) -> JointReactions:
    """Run OpenSim's JointReaction analysis (AnalyzeTool) with a forces file.

    A copy of the model gets rigid tendons and a ``CoordinateActuator`` (optimal force 1) named
    ``gf_<coordinate>`` on every independent coordinate, and every force that is not an actuator
    (foot contact) is switched off; the forces file holds the muscle tensions (muscles not
    listed: 0) and ``generalized_forces`` for the coordinate actuators. The
    coordinates (coupled ones from their couplers) and speeds are written in radians (see
    :mod:`biomech.osim.muscle_export` on Coupled coordinates), the external loads as an
    ExternalLoads file. The analysis overrides each actuator with the file's value, realises the
    state to Acceleration (forward dynamics: the accelerations are whatever these forces give)
    and reads ``calcReactionOnChildExpressedInGround``, reported on the child and in the child
    body's frame.

    To reproduce :func:`joint_reactions`, pass ``generalized_forces`` = reserves +
    ``residual_generalized_force`` of that call: the forward accelerations are then the motion's.

    Parameters
    ----------
    model : OpenSim model (not modified)
    coordinate_names, q, qd : as for :func:`joint_reactions` (no accelerations: see above)
    time_s : (n_frames,), strictly increasing (s)
    muscle_forces_n, muscle_names : muscle tensions (N) and their muscles
    generalized_forces : (n_frames, n_coords) applied on the coordinates (N m or N); default 0
    external_loads : :class:`~biomech.osim.inverse.ExternalLoad` s
    joints : joints to report
    workdir : folder for the files (kept); default a temporary folder (removed)

    Returns
    -------
    JointReactions
        as :func:`joint_reactions`, with ``run_s`` the wall time of ``AnalyzeTool.run``.
    """
    (names, (q, qd, _), couplers, _, mnames, forces, gen,
     joint_names) = _check_inputs(model, coordinate_names, q, qd, np.zeros(np.shape(q)), muscle_forces_n,
                                  muscle_names, generalized_forces, joints, "generalized_forces")
    t = np.asarray(time_s, dtype=float)
    if t.shape != (q.shape[0],) or not np.all(np.diff(t) > 0):
        raise ValueError(f"time_s: expected {q.shape[0]} strictly increasing times, got shape {t.shape}")
    items = _load_items(model, external_loads)

    work = rigid_tendon_copy(model, actuated=names, actuator_prefix="gf_", init=False)
    work.finalizeConnections()
    acts = work.getActuators()
    actuator_names = [acts.get(i).getName() for i in range(acts.getSize())]
    fs = work.updForceSet()
    for i in range(fs.getSize()):  # foot contact and any other non-actuator force: off
        if fs.get(i).getName() not in actuator_names:
            fs.get(i).set_appliesForce(False)
    values = {m: forces[:, k] for k, m in enumerate(mnames)}
    values.update({f"gf_{c}": gen[:, k] for k, c in enumerate(names)})
    zero = np.zeros(q.shape[0])
    forces_table = np.column_stack([values.get(a, zero) for a in actuator_names])

    column_of = {c: k for k, c in enumerate(names)}
    coupled = coupled_trajectories(couplers, column_of, q, qd, np.zeros_like(q))
    extra_q = [value for _, _, (value, _, _, _) in coupled]
    extra_u = [speed for _, _, (_, speed, _, _) in coupled]
    columns = names + [c.dependent for c in couplers]
    q_all = np.column_stack([q, *extra_q]) if couplers else q
    u_all = np.column_stack([qd, *extra_u]) if couplers else qd

    with tempfile.TemporaryDirectory(prefix="biomech_jr_") as tmp:
        folder = Path(workdir) if workdir is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        coords = write_table(folder / "jr_coordinates.mot", time_s=t, columns=columns, data=q_all,
                             in_degrees=False, name="coordinates (rad, m)")
        # the tool matches speed columns to state names: "<coordinate>" would be taken for a value
        cs = work.getCoordinateSet()
        speed_columns = [f"{cs.get(c).getAbsolutePathString()}/speed" for c in columns]
        speeds = write_table(folder / "jr_speeds.sto", time_s=t, columns=speed_columns, data=u_all,
                             in_degrees=False, name="speeds (rad/s, m/s)")
        forces_file = write_table(folder / "jr_forces.sto", time_s=t, columns=actuator_names,
                                  data=forces_table, in_degrees=False, name="actuator forces")
        loads_xml = None
        if items:
            cols, blocks, specs = [], [], []
            for k, load in enumerate(items):
                force, point, torque = load.per_frame(q.shape[0])
                ids = (f"load{k}_v", f"load{k}_p", f"load{k}_torque_")
                for prefix, arr in zip(ids, (force, point, torque), strict=True):
                    cols += [f"{prefix}{a}" for a in _AXES]
                    blocks.append(arr)
                specs.append(ExternalForceSpec(name=f"load{k}", applied_to_body=load.body,
                                               force_identifier=ids[0], point_identifier=ids[1],
                                               torque_identifier=ids[2], data_source_name="jr_loads.mot"))
            write_table(folder / "jr_loads.mot", time_s=t, columns=cols, data=np.hstack(blocks),
                        in_degrees=False, name="external loads")
            loads_xml = write_external_loads(folder / "jr_external_loads.xml",
                                             ExternalLoadsSpec(name="loads", forces=tuple(specs),
                                                               datafile="jr_loads.mot"))
        model_path = folder / "jr_model.osim"
        work.printToXML(str(model_path))
        tool = osim.AnalyzeTool()
        tool.setName("jr")
        tool.setModelFilename(str(model_path))
        tool.setCoordinatesFileName(str(coords))
        tool.setSpeedsFileName(str(speeds))
        if loads_xml is not None:
            tool.setExternalLoadsFileName(str(loads_xml))
        tool.setLowpassCutoffFrequency(-1.0)
        tool.setInitialTime(float(t[0]))
        tool.setFinalTime(float(t[-1]))
        tool.setResultsDir(str(folder))
        jr = osim.JointReaction()
        jr.setName("JointReaction")
        for setter, entries in ((jr.setJointNames, joint_names), (jr.setOnBody, ["child"]),
                                (jr.setInFrame, ["child"])):
            arr = osim.ArrayStr()
            for e in entries:
                arr.append(e)
            setter(arr)
        jr.setForcesFileName(str(forces_file))
        tool.getAnalysisSet().cloneAndAppend(jr)
        run_s, _ = run_analyze_tool(tool, folder / "jr_setup.xml")
        table = read_table(folder / "jr_JointReaction_ReactionLoads.sto")

    if table.n_rows != q.shape[0] or not np.allclose(table.time_s, t, rtol=0, atol=1e-6):
        raise RuntimeError(f"JointReaction returned {table.n_rows} rows, expected {q.shape[0]} at the "
                           "motion's times")
    result = {}
    for name in joint_names:
        parent, child, point = _child_info(work.getJointSet().get(name))
        root = f"{name}_on_{child}_in_{child}_"
        result[name] = JointReaction(
            joint=name, parent=parent, child=child, point_m=point,
            force_n=np.column_stack([table.column(root + f"f{a}") for a in _AXES]),
            moment_nm=np.column_stack([table.column(root + f"m{a}") for a in _AXES]))
    return JointReactions(result, coordinate_names=names, run_s=run_s)
