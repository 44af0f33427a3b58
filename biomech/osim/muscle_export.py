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
  against each other and against finite differences of the muscle-tendon length.

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
from biomech.muscles.static_optimization import MuscleCapacity
from biomech.osim import _SINK, drain_log, log, osim
from biomech.osim.inverse import _couplers, _frames, _mobility_index, check_coordinate_names

__all__ = ["export_muscle_capacity", "residual_coordinates", "opensim_static_optimization",
           "OpenSimStaticOptimization", "gcv_derivatives"]


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


def rigid_tendon_copy(model: osim.Model, *, actuated: Sequence[str] = (), actuator_prefix: str = "",
                      init: bool = True) -> osim.Model:
    """A copy of ``model`` with rigid tendons and, for each coordinate in ``actuated``, an
    unbounded CoordinateActuator of optimal force 1 named ``actuator_prefix + coordinate``."""
    work = osim.Model(model)
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
    col = np.array([index[c] for c in names])
    column_of = {c: j for j, c in enumerate(names)}
    nu = state.getNU()

    length, speed = np.empty((n, m)), np.empty((n, m))
    dl_dq = np.empty((n, m, k))
    fl, fv, fp, cos_a = (np.empty((n, m)) for _ in range(4))
    norm_l, norm_v = np.empty((n, m)), np.empty((n, m))
    big_q = np.zeros(nu)
    for f in range(n):
        big_q[col] = q[f]
        coupling = np.zeros((nu, k))  # d(all mobilities)/d(independent coordinates)
        coupling[col, np.arange(k)] = 1.0
        for c in couplers:
            kk = [column_of[x] for x in c.independent]
            value, _, _, grad = c.evaluate(q[f, kk], np.zeros(len(kk)), np.zeros(len(kk)))
            big_q[index[c.dependent]] = value
            coupling[index[c.dependent], kk] = grad
        state.setQ(osim.Vector.createFromMat(big_q))
        work.realizePosition(state)
        for j in range(k):
            state.setU(osim.Vector.createFromMat(np.ascontiguousarray(coupling[:, j])))
            work.realizeVelocity(state)
            dl_dq[f, :, j] = [mu.getLengtheningSpeed(state) for mu in muscles]
        state.setU(osim.Vector.createFromMat(coupling @ qd[f]))
        work.realizeVelocity(state)
        for i, mu in enumerate(muscles):
            length[f, i] = mu.getLength(state)
            speed[f, i] = mu.getLengtheningSpeed(state)
            fl[f, i] = mu.getActiveForceLengthMultiplier(state)
            fv[f, i] = mu.getForceVelocityMultiplier(state)
            fp[f, i] = mu.getPassiveForceMultiplier(state)
            cos_a[f, i] = mu.getCosPennationAngle(state)
            norm_l[f, i] = mu.getNormalizedFiberLength(state)
            norm_v[f, i] = mu.getNormalizedFiberVelocity(state)
    drain_log()
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
    extra = []
    for c in couplers:
        kk = [column_of[x] for x in c.independent]
        zeros = np.zeros(len(kk))
        extra.append([c.evaluate(row[kk], zeros, zeros)[0] for row in q])
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
                                reserve_optimal_force_nm: float | Mapping[str, float] = 10.0,
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
    reserve_optimal_force_nm : one value or a mapping coordinate -> value (others 10 N m)
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
    default = 10.0 if isinstance(reserve_optimal_force_nm, Mapping) else float(reserve_optimal_force_nm)
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
