"""Muscle moment arms and force capacities along a motion, and OpenSim's StaticOptimization.

A thin OpenSim layer: :func:`export_muscle_capacity` fills the plain-array
:class:`~biomech.muscles.static_optimization.MuscleCapacity` that
:func:`~biomech.muscles.static_optimization.solve_static_optimization` works on;
:func:`opensim_static_optimization` runs OpenSim's own StaticOptimization (AnalyzeTool) on the same
model and motion, as a cross-check and a timing reference.

How the capacities are obtained (OpenSim 4.6 Python bindings)
-------------------------------------------------------------
* The model is copied and every muscle is set to ``ignore_tendon_compliance`` (rigid tendon: fibre
  length along the tendon = muscle-tendon length - tendon slack length; fibre velocity from the
  muscle-tendon lengthening speed). ``getActiveForceLengthMultiplier``,
  ``getForceVelocityMultiplier``, ``getPassiveForceMultiplier`` and ``getCosPennationAngle`` are
  then read from the copy's state realised to the Velocity stage: this works for any muscle class
  (the DeGrooteFregly2016Muscle curve methods ``calcActiveForceLengthMultiplier(l)`` etc. exist as
  instance methods too; the tests check both routes agree, and that
  active force = ``calcInextensibleTendonActiveFiberForce(state, 1)``, which is what OpenSim's
  StaticOptimization uses).
* Moment arms are virtual-work moment arms, r_ij = -dL_i/dq_j along the constraint manifold: for
  each independent coordinate j the state's speeds are set to the coupling vector (q_j speed 1,
  each coupled coordinate, e.g. the patella, s f'(q) from its CoordinateCouplerConstraint), and
  the muscles' lengthening speeds are read. This is what ``GeometryPath.computeMomentArm`` (the
  MomentArmSolver) computes, but over ten times faster (one velocity realisation per coordinate
  instead of one solver call per muscle and coordinate, which takes 12 ms per frame for 18
  muscles x 10 coordinates; the whole export takes about 1 ms per frame); the tests check both
  against each other and against finite differences of the muscle-tendon length. Only the
  muscle-coordinate pairs the model's structure allows are computed
  (:func:`muscle_coordinate_dependence`: the joints between the bodies a path touches); the
  others are exactly zero, and coordinates no muscle crosses (pelvis, arms) cost nothing. (On
  Rajagopal 2016, OpenSim's lengthening speed of the doubly wrapped gastrocnemii is not exactly
  zero for a rigid rotation of the whole leg, up to 1 mm about the hip and pelvis at random poses;
  the structural zero is the exact value.)
* Thelen2003 muscles have no rigid-tendon mode in OpenSim 4.6: they are replaced by
  DeGrooteFregly2016 muscles with the same parameters (:func:`with_rigid_tendon_muscles`).

Pitfall found on the way (OpenSim files)
----------------------------------------
OpenSim 4 calls a CustomJoint coordinate *Coupled* unless its rotation function is a
``LinearFunction`` of slope +/-1 (translations may depend on it: checked). The knee of the
running2d model turns through ``PolynomialFunction([1, 0])``, so it is Coupled (motion type 3),
and OpenSim tools do **not** convert Coupled columns of an ``inDegrees=yes`` file: the knee is
read as radians (every StaticOptimization frame failed). :func:`opensim_static_optimization`
therefore writes its coordinates file in radians.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from biomech.io.storage import read_table, write_table
from biomech.muscles.static_optimization import DEFAULT_RESERVE_OPTIMAL_FORCE_NM, MuscleCapacity
from biomech.osim import _SINK, drain_log, log, osim
from biomech.osim.inverse import (
    _couplers,
    _frames,
    _mobility_index,
    check_coordinate_names,
    coupled_trajectories,
)

__all__ = ["export_muscle_capacity", "residual_coordinates", "opensim_static_optimization",
           "OpenSimStaticOptimization", "gcv_derivatives", "with_rigid_tendon_muscles",
           "tendon_strain_at_one_norm_force", "locked_coordinates", "NO_RIGID_TENDON",
           "muscle_coordinate_dependence"]


def residual_coordinates(model: osim.Model) -> list[str]:
    """Coordinates of the joints whose parent is ground (e.g. the pelvis): residual coordinates."""
    ground = model.getGround().getName()
    out = []
    joints = model.getJointSet()
    for i in range(joints.getSize()):
        j = joints.get(i)
        if j.getParentFrame().findBaseFrame().getName() == ground:
            out += [j.get_coordinates(k).getName() for k in range(j.numCoordinates())]
    return out


def run_analyze_tool(tool: osim.AnalyzeTool, setup_path: Path) -> tuple[float, str]:
    """Write ``tool``'s setup to ``setup_path``, run it from that file (as the GUI does) and
    return the run time (s) and what OpenSim logged during the run."""
    tool.printToXML(str(setup_path))
    drain_log()
    runner = osim.AnalyzeTool(str(setup_path), True)
    t_run = time.perf_counter()
    runner.run()
    run_s = time.perf_counter() - t_run
    text = _SINK.getString()
    drain_log()
    return run_s, text


#: Muscle classes whose ``ignore_tendon_compliance`` OpenSim 4.6 does not implement (initSystem
#: throws "Thelen2003Muscle::ignore_tendon_compliance flag is not currently implemented").
NO_RIGID_TENDON = ("Thelen2003Muscle",)


def _needs_replacement(model: osim.Model, every: bool = False) -> list[str]:
    ms = model.getMuscles()
    return [ms.get(i).getName() for i in range(ms.getSize())
            if (ms.get(i).getConcreteClassName() != "DeGrooteFregly2016Muscle" if every
                else ms.get(i).getConcreteClassName() in NO_RIGID_TENDON)]


def with_rigid_tendon_muscles(model: osim.Model, *, de_groote: bool = False) -> osim.Model:
    """``model`` itself if every muscle supports rigid tendons, else a copy (initialised) whose
    Thelen2003 muscles are replaced by ``DeGrooteFregly2016Muscle`` s; ``de_groote``: every muscle
    that is not one already (e.g. Millard2012, for the compliant-tendon solve on the De Groote
    curves).

    OpenSim 4.6 cannot set ``ignore_tendon_compliance`` on a ``Thelen2003Muscle`` (the Hamner 2010
    and gait2392 models). ``DeGrooteFregly2016Muscle.replaceMuscles`` keeps each muscle's path,
    maximum isometric force, optimal fibre length, tendon slack length, pennation at optimal
    length, maximum contraction velocity and tendon strain at F0 (Thelen's ``FmaxTendonStrain``);
    the active force-length, force-velocity and passive curves become De Groote et al. 2016's
    (Ann Biomed Eng 44:2922), which approximate but are not Thelen 2003's. Replacing the 92
    muscles of the Hamner model takes about 0.9 s; do it once and pass the copy around.
    """
    names = _needs_replacement(model, every=de_groote)
    if not names:
        return model
    work = osim.Model(model)
    osim.DeGrooteFregly2016Muscle.replaceMuscles(work)
    work.initSystem()
    drain_log()
    log.info("%d muscles (%s, ...) replaced by DeGrooteFregly2016Muscle for rigid tendons",
             len(names), names[0])
    return work


def tendon_strain_at_one_norm_force(model: osim.Model) -> np.ndarray:
    """Tendon strain at maximum isometric force of each muscle (model order); NaN if unknown.

    Read from ``tendon_strain_at_one_norm_force`` (DeGrooteFregly2016), ``FmaxTendonStrain``
    (Thelen2003) or the ``TendonForceLengthCurve`` 's ``strain_at_one_norm_force`` (Millard2012).
    """
    ms = model.getMuscles()
    out = np.full(ms.getSize(), np.nan)
    for i in range(ms.getSize()):
        mu = ms.get(i)
        for prop in ("tendon_strain_at_one_norm_force", "FmaxTendonStrain"):
            if mu.hasProperty(prop):
                out[i] = float(mu.getPropertyByName(prop).toString())
                break
        else:
            millard = osim.Millard2012EquilibriumMuscle.safeDownCast(mu)
            if millard is not None:
                out[i] = millard.getTendonForceLengthCurve().getStrainAtOneNormForce()
    return out


def _de_groote_rigid_state(params, length: np.ndarray, speed: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rigid-tendon fibre state of De Groote muscles from muscle-tendon length and lengthening
    speed (n_frames, n_muscles): active force-length, force-velocity and passive multipliers,
    cos(pennation), normalised fibre length and velocity, as OpenSim's DeGrooteFregly2016Muscle
    computes them (the fibre takes the length beyond the tendon slack length; constant-thickness
    pennation; fibre velocity = MTU speed x cos(pennation))."""
    from biomech.muscles.compliant import curve_multipliers, fibre_geometry

    fibre, cos_a = fibre_geometry(length - params.tendon_slack_length_m, params)
    norm_l = fibre / params.optimal_fiber_length_m
    norm_v = speed * cos_a / (params.max_contraction_velocity_lopt_s * params.optimal_fiber_length_m)
    return (*curve_multipliers(norm_l, norm_v, params), cos_a, norm_l, norm_v)


def muscle_parameters(model: osim.Model):
    """Hill-model parameters of every muscle (model order) as
    :class:`biomech.muscles.compliant.MuscleParameters`, for the compliant-tendon static
    optimization, which uses the De Groote curves: every muscle must be a
    ``DeGrooteFregly2016Muscle`` (pass the model through :func:`with_rigid_tendon_muscles`
    first; a ValueError names the first that is not)."""
    from biomech.muscles.compliant import MuscleParameters

    ms = model.getMuscles()
    rows = []
    for i in range(ms.getSize()):
        mu = osim.DeGrooteFregly2016Muscle.safeDownCast(ms.get(i))
        if mu is None:
            raise ValueError(f"muscle {ms.get(i).getName()!r} is a {ms.get(i).getConcreteClassName()}, "
                             "not a DeGrooteFregly2016Muscle: compliant tendons need the De Groote curves")
        rows.append((mu.getName(), mu.getMaxIsometricForce(), mu.getOptimalFiberLength(),
                     mu.getTendonSlackLength(), mu.getPennationAngleAtOptimalFiberLength(),
                     mu.getMaxContractionVelocity(), mu.get_tendon_strain_at_one_norm_force(),
                     mu.get_passive_fiber_strain_at_one_norm_force(), mu.get_active_force_width_scale()))
    cols = list(zip(*rows, strict=True)) if rows else [()] * 9
    return MuscleParameters(tuple(cols[0]), *(np.array(c, dtype=float) for c in cols[1:]))


def locked_coordinates(model: osim.Model) -> list[str]:
    """Names of the coordinates locked by default (``locked`` property true), CoordinateSet order."""
    cs = model.getCoordinateSet()
    return [cs.get(i).getName() for i in range(cs.getSize()) if cs.get(i).get_locked()]


def rigid_tendon_copy(model: osim.Model, *, actuated: Sequence[str] = (), actuator_prefix: str = "",
                      init: bool = True) -> osim.Model:
    """A copy of ``model`` with rigid tendons and, for each coordinate in ``actuated``, an
    unbounded CoordinateActuator of optimal force 1 named ``actuator_prefix + coordinate``.

    Muscles without a rigid-tendon mode (:data:`NO_RIGID_TENDON`) are first replaced as in
    :func:`with_rigid_tendon_muscles` (slow: pass a model that is already converted)."""
    work = osim.Model(model)
    if _needs_replacement(work):
        osim.DeGrooteFregly2016Muscle.replaceMuscles(work)
    muscles = work.updMuscles()
    for i in range(muscles.getSize()):
        muscles.get(i).set_ignore_tendon_compliance(True)
    for c in actuated:
        act = osim.CoordinateActuator(c)
        act.setName(f"{actuator_prefix}{c}")
        act.setOptimalForce(1.0)
        act.setMinControl(-np.inf)
        act.setMaxControl(np.inf)
        work.addForce(act)
    if init:
        work.initSystem()
    return work


def _root_joints(model: osim.Model) -> dict[str, list[str]]:
    """Body name -> the joints from that body down to ground (tree order)."""
    ground = model.getGround().getName()
    parent_joint = {}
    js = model.getJointSet()
    for i in range(js.getSize()):
        j = js.get(i)
        parent_joint[j.getChildFrame().findBaseFrame().getName()] = (
            j.getName(), j.getParentFrame().findBaseFrame().getName())
    out: dict[str, list[str]] = {ground: []}
    for body in parent_joint:
        chain, b = [], body
        while b in parent_joint and len(chain) <= len(parent_joint):
            joint, b = parent_joint[b]
            chain.append(joint)
        out[body] = chain
    return out


def muscle_coordinate_dependence(model: osim.Model, coordinate_names: Sequence[str]) -> np.ndarray:
    """Which independent coordinates each muscle's length can depend on, from the model's
    structure: shape (n_muscles, n_coords), bool.

    A muscle's length depends only on the relative pose of the bodies its path touches (path
    points, wrap objects): the coordinates of the joints that lie on the tree paths between those
    bodies, plus the coordinates that move or switch its ``MovingPathPoint`` s and
    ``ConditionalPathPoint`` s; a coupled coordinate stands for the coordinates driving it. Muscles
    whose path is not a ``GeometryPath`` are taken to depend on every coordinate. Moment arms
    outside this pattern are exactly zero, so :func:`export_muscle_capacity` does not compute them.
    """
    names = list(coordinate_names)
    couplers = _couplers(model)
    drivers = {c.dependent: set(c.independent) for c in couplers}
    roots = _root_joints(model)
    js = model.getJointSet()
    joint_coords = {js.get(i).getName(): [js.get(i).get_coordinates(k).getName()
                                          for k in range(js.get(i).numCoordinates())]
                    for i in range(js.getSize())}
    ms = model.getMuscles()
    out = np.zeros((ms.getSize(), len(names)), dtype=bool)
    for i in range(ms.getSize()):
        path = osim.GeometryPath.safeDownCast(ms.get(i).getPath())
        if path is None:
            out[i] = True
            continue
        bodies, coords = set(), set()
        pps = path.getPathPointSet()
        for p in range(pps.getSize()):
            pp = pps.get(p)
            bodies.add(pp.getParentFrame().findBaseFrame().getName())
            moving = osim.MovingPathPoint.safeDownCast(pp)
            if moving is not None:
                for getter in ("getXCoordinate", "getYCoordinate", "getZCoordinate"):
                    try:
                        coords.add(getattr(moving, getter)().getName())
                    except RuntimeError:   # no function of a coordinate along this axis
                        pass
            conditional = osim.ConditionalPathPoint.safeDownCast(pp)
            if conditional is not None:
                coords.add(conditional.getCoordinate().getName())
        wraps = path.getWrapSet()
        for w in range(wraps.getSize()):
            bodies.add(wraps.get(w).getWrapObject().getFrame().findBaseFrame().getName())
        chains = [set(roots.get(b, [])) for b in bodies]
        if chains:
            for joint in set.union(*chains) - set.intersection(*chains):
                coords.update(joint_coords[joint])
        for c in list(coords):
            coords.update(drivers.get(c, ()))
        out[i] = [c in coords for c in names]
    return out


def export_muscle_capacity(model: osim.Model, coordinate_names: Sequence[str], q: np.ndarray,
                           qd: np.ndarray, *, time_s: np.ndarray | None = None) -> MuscleCapacity:
    """Moment arms and rigid-tendon force capacities of every muscle, frame by frame.

    Parameters
    ----------
    model : OpenSim model (not modified: a rigid-tendon copy is used)
    coordinate_names : every independent coordinate of the model, in the column order of ``q``
        and ``qd`` (coupled coordinates such as the patella follow from their couplers)
    q : shape (n_frames, n_coords), rad or m
    qd : same shape, rad/s or m/s
    time_s : optional, shape (n_frames,), s; stored in the result

    Returns
    -------
    MuscleCapacity
        moment arms (n_frames, n_muscles, n_coords) in m, about ``coordinate_names``; active force
        capacity F0 f_L f_V cos(alpha) and passive force F0 f_P cos(alpha) (N, along the tendon);
        ``residual_coordinates`` = the ground joint's coordinates; diagnostics ``mtu_length_m``,
        ``mtu_speed_m_s``, ``norm_fiber_length``, ``norm_fiber_velocity``, ``pennation_rad`` and
        the raw curve values ``active_force_length_multiplier``, ``force_velocity_multiplier``,
        ``passive_force_multiplier``. Where a fibre shortens faster than the force-velocity
        curve allows (f_V < 0), the active capacity is set to 0 and a warning is logged
        (OpenSim's StaticOptimization keeps the negative force); likewise a negative passive
        force (DeGrooteFregly2016 below 0.2 optimal fibre lengths).

    Raises
    ------
    ValueError
        unknown, repeated, missing or coupled names; shapes that disagree; non-finite values.
    """
    names = list(coordinate_names)
    q, qd = _frames(q, len(names), "q"), _frames(qd, len(names), "qd")
    if q.shape[0] != qd.shape[0]:
        raise ValueError(f"q and qd have different numbers of frames: {q.shape[0]}, {qd.shape[0]}")
    for what, x in (("q", q), ("qd", qd)):
        if not np.all(np.isfinite(x)):
            row, col = np.argwhere(~np.isfinite(x))[0]
            raise ValueError(f"{what}: non-finite value at frame {row}, coordinate {names[col]}")
    couplers = _couplers(model)
    all_names = check_coordinate_names(model, names, {c.dependent for c in couplers})

    work = rigid_tendon_copy(model)
    state = osim.State(work.getWorkingState())
    index = _mobility_index(work, state, all_names)
    muscles = [work.getMuscles().get(i) for i in range(work.getMuscles().getSize())]
    n, m, k = q.shape[0], len(muscles), len(names)
    spans = muscle_coordinate_dependence(work, names)   # (m, k): r_ij can be non-zero
    crossed = [j for j in range(k) if spans[:, j].any()]
    spanning = {j: [i for i in range(m) if spans[i, j]] for j in crossed}
    # coordinates no muscle spans together (e.g. the right and the left hip) share one velocity
    # realisation: each muscle's lengthening speed then still comes from one coordinate only
    colours: list[list[int]] = []
    for j in crossed:
        for colour in colours:
            if not any((spans[:, j] & spans[:, other]).any() for other in colour):
                colour.append(j)
                break
        else:
            colours.append([j])
    # De Groote muscles: fibre state and curve values from length and speed in numpy (the same
    # formulas as OpenSim's, tested), instead of six more OpenSim calls per muscle and frame
    de_groote = all(osim.DeGrooteFregly2016Muscle.safeDownCast(mu) is not None for mu in muscles)
    col = np.array([index[c] for c in names])
    column_of = {c: j for j, c in enumerate(names)}
    nu = state.getNU()

    length, speed = np.empty((n, m)), np.empty((n, m))
    dl_dq = np.zeros((n, m, k))   # structurally zero where a muscle cannot depend on a coordinate
    fl, fv, fp, cos_a = (np.empty((n, m)) for _ in range(4))
    norm_l, norm_v = np.empty((n, m)), np.empty((n, m))
    big_q = np.zeros(nu)
    # bound methods looked up once (SWIG attribute lookup costs as much as the call)
    # with De Groote muscles only the lengths are read (position stage); the lengthening speeds
    # are dl/dq . qd, the chain rule on the derivatives taken below (a muscle-tendon length
    # depends on q only), which saves a velocity realisation per frame
    readers = [(out, [getattr(mu, name) for mu in muscles]) for out, name in (
        (speed, "getLengtheningSpeed"), (fl, "getActiveForceLengthMultiplier"),
        (fv, "getForceVelocityMultiplier"), (fp, "getPassiveForceMultiplier"),
        (cos_a, "getCosPennationAngle"), (norm_l, "getNormalizedFiberLength"),
        (norm_v, "getNormalizedFiberVelocity"))]
    lengthening = [mu.getLengtheningSpeed for mu in muscles]
    lengths = [mu.getLength for mu in muscles]
    zeros = np.zeros_like(q)
    coupled = [(index[dep], kk, value, grad) for kk, dep, (value, _, _, grad)
               in coupled_trajectories(couplers, column_of, q, zeros, zeros)]
    for f in range(n):
        big_q[col] = q[f]
        coupling = np.zeros((nu, k))  # d(all mobilities)/d(independent coordinates)
        coupling[col, np.arange(k)] = 1.0
        for d, kk, value, grad in coupled:
            big_q[d] = value[f]
            coupling[d, kk] = grad[f]
        state.setQ(osim.Vector.createFromMat(big_q))
        work.realizePosition(state)
        length[f] = [get(state) for get in lengths]
        for colour in colours:
            state.setU(osim.Vector.createFromMat(np.ascontiguousarray(coupling[:, colour].sum(axis=1))))
            work.realizeVelocity(state)
            for j in colour:
                rows = spanning[j]
                dl_dq[f, rows, j] = [lengthening[i](state) for i in rows]
        if de_groote:
            speed[f] = dl_dq[f] @ qd[f]
            continue
        state.setU(osim.Vector.createFromMat(coupling @ qd[f]))
        work.realizeVelocity(state)
        for out, getters in readers:
            out[f] = [get(state) for get in getters]
    drain_log()
    if de_groote:
        fl, fv, fp, cos_a, norm_l, norm_v = _de_groote_rigid_state(muscle_parameters(work), length, speed)
    f0 = np.array([mu.getMaxIsometricForce() for mu in muscles])
    active = f0 * fl * fv * cos_a
    if (negative := active < 0.0).any():
        worst = np.unravel_index(np.argmin(norm_v), norm_v.shape)
        log.warning("active force capacity < 0 (shortening faster than the force-velocity curve "
                    "allows) in %d frame-muscle pairs, set to 0; fastest: %s at frame %d, normalised "
                    "fibre velocity %.2f", int(negative.sum()), muscles[worst[1]].getName(),
                    worst[0], norm_v[worst])
    passive = f0 * fp * cos_a
    if (negative := passive < 0.0).any():
        worst = np.unravel_index(np.argmin(norm_l), norm_l.shape)
        log.warning("passive force < 0 (fibre shorter than the passive curve's minimum) in %d "
                    "frame-muscle pairs, set to 0; shortest: %s at frame %d, normalised fibre length "
                    "%.2f", int(negative.sum()), muscles[worst[1]].getName(), worst[0], norm_l[worst])
    return MuscleCapacity(
        muscle_names=tuple(mu.getName() for mu in muscles), coordinate_names=tuple(names),
        moment_arm_m=-dl_dq, active_force_n=np.maximum(active, 0.0),
        passive_force_n=np.maximum(passive, 0.0),
        max_isometric_force_n=f0, residual_coordinates=tuple(residual_coordinates(model)),
        time_s=time_s,
        diagnostics={"mtu_length_m": length, "mtu_speed_m_s": speed, "norm_fiber_length": norm_l,
                     "norm_fiber_velocity": norm_v, "pennation_rad": np.arccos(np.clip(cos_a, -1, 1)),
                     "active_force_length_multiplier": fl, "force_velocity_multiplier": fv,
                     "passive_force_multiplier": fp})


# ------------------------------------------------------------------ OpenSim's StaticOptimization


def _with_coupled(couplers, names: list[str], q: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Coordinates plus the coupled ones (from their couplers), for a coordinates file.

    Without them OpenSim fills the patella with its default value and differentiates that (speed
    0), so the velocity constraint is violated and the patella's inertial forces are wrong.
    """
    column_of = {c: j for j, c in enumerate(names)}
    zeros = np.zeros_like(q)
    extra = [value for _, _, (value, *_) in coupled_trajectories(couplers, column_of, q, zeros, zeros)]
    if not extra:
        return list(names), q
    return list(names) + [c.dependent for c in couplers], np.column_stack([q, *extra])


def gcv_derivatives(time_s: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Speeds and accelerations as OpenSim's AnalyzeTool and StaticOptimization make them.

    The tool differentiates a coordinates file with a quintic GCV spline
    (``GCVSplineSet(5, q)``, first derivative) and StaticOptimization takes its target
    accelerations from a second quintic GCV spline of those speeds. GCV smooths: where a motion
    has frame-to-frame roughness, these derivatives differ from an interpolating spline's.

    Parameters
    ----------
    time_s : shape (n_frames,), s
    q : shape (n_frames, n_coords)

    Returns
    -------
    (qd, qdd), each of shape (n_frames, n_coords)
    """
    t = np.asarray(time_s, dtype=float)
    q = _frames(q, np.shape(q)[-1] if np.ndim(q) == 2 else 1, "q")

    def derivative(x: np.ndarray) -> np.ndarray:
        sto = osim.Storage()
        labels = osim.ArrayStr()
        labels.append("time")
        for j in range(x.shape[1]):
            labels.append(f"c{j}")
        sto.setColumnLabels(labels)
        for i in range(t.size):
            sto.append(float(t[i]), osim.Vector(x[i].tolist()))
        spline = osim.GCVSplineSet(5, sto)
        return np.array([[spline.evaluate(j, 1, float(ti)) for j in range(x.shape[1])] for ti in t])

    qd = derivative(q)
    return qd, derivative(qd)


@dataclass(frozen=True, eq=False)
class OpenSimStaticOptimization:
    """Result of OpenSim's StaticOptimization (AnalyzeTool) as plain arrays.

    Attributes
    ----------
    time_s : (n_frames,)
    muscle_names : muscles, in model order
    activation : (n_frames, n_muscles)
    muscle_force_n : (n_frames, n_muscles), a x calcInextensibleTendonActiveFiberForce(a = 1)
    reserve_names : the coordinate of each added CoordinateActuator (reserves and residuals)
    reserve_nm : (n_frames, n_reserves), their generalized forces (N m or N)
    failed_times_s : times at which OpenSim reported "could not find a solution" (its numbers
        for those frames are still in the arrays)
    run_s : wall time of ``AnalyzeTool.run`` (s); total_s includes writing files and the setup
    """

    time_s: np.ndarray
    muscle_names: tuple[str, ...]
    activation: np.ndarray
    muscle_force_n: np.ndarray
    reserve_names: tuple[str, ...]
    reserve_nm: np.ndarray
    failed_times_s: np.ndarray
    run_s: float
    total_s: float


def opensim_static_optimization(model: osim.Model, motion, *, exponent: float = 2.0,
                                reserve_optimal_force_nm: float | Mapping[str, float] = (
                                    DEFAULT_RESERVE_OPTIMAL_FORCE_NM),
                                residual_optimal_force: float = 100.0, rigid_tendon: bool = True,
                                convergence_criterion: float = 1e-4, max_iterations: int = 100,
                                workdir: str | Path | None = None) -> OpenSimStaticOptimization:
    """Run OpenSim's StaticOptimization on ``motion`` (AnalyzeTool, files in a temporary folder).

    A copy of the model gets a ``CoordinateActuator`` (bounds -inf..inf) on every independent
    coordinate: reserves of ``reserve_optimal_force_nm`` on the joints, residuals of
    ``residual_optimal_force`` on the ground joint's coordinates. With ``rigid_tendon`` every muscle
    is set to ``ignore_tendon_compliance``, as :func:`export_muscle_capacity` assumes (OpenSim's
    StaticOptimization otherwise evaluates compliant-tendon muscles at the default tendon state).
    The motion's foot loads are applied as ExternalLoads; the coordinates, with the coupled ones
    (the patella) computed from their couplers, are written in radians (see the module
    docstring); speeds and accelerations are the tool's own (:func:`gcv_derivatives`), not the
    motion's ``qd`` and ``qdd``.

    OpenSim leaves passive fibre forces out and does not raise on failure: failed frames are
    found in its log and returned in ``failed_times_s``.

    Parameters
    ----------
    model : OpenSim model (not modified)
    motion : :class:`biomech.gait.motion.Motion` with the model's independent coordinates
    exponent : activation exponent
    reserve_optimal_force_nm : one value or a mapping coordinate -> value (others
        :data:`~biomech.muscles.static_optimization.DEFAULT_RESERVE_OPTIMAL_FORCE_NM`)
    residual_optimal_force : optimal force of the ground-joint actuators (N m or N)
    rigid_tendon : set ``ignore_tendon_compliance`` on every muscle of the copy
    convergence_criterion, max_iterations : passed to StaticOptimization
    workdir : folder for the files (kept); default a temporary folder (removed)
    """
    t_start = time.perf_counter()
    couplers = _couplers(model)
    names = list(motion.coordinate_names)
    check_coordinate_names(model, names, {c.dependent for c in couplers})
    residual = set(residual_coordinates(model))
    work = osim.Model(model)
    if rigid_tendon:
        muscles = work.updMuscles()
        for i in range(muscles.getSize()):
            muscles.get(i).set_ignore_tendon_compliance(True)
    reserve = dict(reserve_optimal_force_nm) if isinstance(reserve_optimal_force_nm, Mapping) else {}
    default = (DEFAULT_RESERVE_OPTIMAL_FORCE_NM if isinstance(reserve_optimal_force_nm, Mapping)
               else float(reserve_optimal_force_nm))
    actuators = []
    for c in names:
        act = osim.CoordinateActuator(c)
        act.setName(f"reserve_{c}")
        act.setOptimalForce(residual_optimal_force if c in residual else float(reserve.get(c, default)))
        act.setMinControl(-math.inf)
        act.setMaxControl(math.inf)
        work.addForce(act)
        actuators.append(act)
    work.finalizeConnections()

    with tempfile.TemporaryDirectory(prefix="biomech_so_") as tmp:
        folder = Path(workdir) if workdir is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = motion.to_files(folder, "motion")
        columns, data = _with_coupled(couplers, names, np.asarray(motion.q, dtype=float))
        write_table(paths["coordinates"], time_s=motion.time_s, columns=columns, data=data,
                    in_degrees=False, name="coordinates (rad, m)")
        model_path = folder / "model.osim"
        work.printToXML(str(model_path))
        tool = osim.AnalyzeTool()
        tool.setName("so")
        tool.setModelFilename(str(model_path))
        tool.setCoordinatesFileName(str(paths["coordinates"]))
        if "external_loads" in paths:
            tool.setExternalLoadsFileName(str(paths["external_loads"]))
        tool.setLowpassCutoffFrequency(-1.0)
        tool.setInitialTime(float(motion.time_s[0]))
        tool.setFinalTime(float(motion.time_s[-1]))
        tool.setResultsDir(str(folder))
        so = osim.StaticOptimization()
        so.setName("StaticOptimization")
        so.setUseModelForceSet(True)
        so.setActivationExponent(float(exponent))
        so.setUseMusclePhysiology(True)
        so.setConvergenceCriterion(float(convergence_criterion))
        so.setMaxIterations(int(max_iterations))
        tool.getAnalysisSet().cloneAndAppend(so)
        run_s, text = run_analyze_tool(tool, folder / "so_setup.xml")
        forces = read_table(folder / "so_StaticOptimization_force.sto")
        activations = read_table(folder / "so_StaticOptimization_activation.sto")

    muscle_names = tuple(work.getMuscles().get(i).getName() for i in range(work.getMuscles().getSize()))
    fcol = {c: i for i, c in enumerate(forces.columns)}
    acol = {c: i for i, c in enumerate(activations.columns)}
    number = r"([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
    failed = [float(x) for x in re.findall(r"could not find a solution at time = " + number, text)]
    return OpenSimStaticOptimization(
        time_s=np.array(forces.time_s),
        muscle_names=muscle_names,
        activation=np.array(activations.data[:, [acol[c] for c in muscle_names]]),
        muscle_force_n=np.array(forces.data[:, [fcol[c] for c in muscle_names]]),
        reserve_names=tuple(names),
        reserve_nm=np.array(forces.data[:, [fcol[f"reserve_{c}"] for c in names]]),
        failed_times_s=np.unique(failed),
        run_s=run_s, total_s=time.perf_counter() - t_start)
