"""Muscle forces with compliant tendons: OpenSim Moco's MocoInverse on a model and a Motion.

The compliant-tendon companion of static optimization (issue 4, stage 2). MocoInverse prescribes
the motion's coordinates exactly (a ``PositionMotion`` fitted to them) and solves one optimal
control problem over the whole time window by direct collocation (Hermite-Simpson, CasADi +
Ipopt): muscle excitations, activation dynamics, tendon force as a state (implicit
DeGrooteFregly2016 tendon dynamics) and one reserve actuator per coordinate, minimising the
integral of squared excitations and squared reserve controls (Dembia et al. 2020, PLoS Comput
Biol 16:e1008493; the MocoInverse documentation). The result, :class:`MocoInverseResult`, is
plain numpy data; no OpenSim object leaves this module.

How the problem is built (OpenSim 4.6 Python bindings)
------------------------------------------------------
* A copy of the model is changed, never the model itself. Muscles other than
  ``DeGrooteFregly2016Muscle`` are replaced by it (``DeGrooteFregly2016Muscle.replaceMuscles``,
  what ``ModOpReplaceMusclesWithDeGrooteFregly2016`` does). With compliant tendons every muscle
  gets ``ignore_tendon_compliance = false`` and ``tendon_compliance_dynamics_mode = "implicit"``
  (what ``ModOpUseImplicitTendonComplianceDynamicsDGF`` does); with rigid tendons
  ``ignore_tendon_compliance = true`` (``ModOpIgnoreTendonCompliance``). Forces that are not
  actuators (foot-ground contact, springs) are switched off, as in
  :func:`biomech.osim.inverse.inverse_dynamics`: the measured or synthesised GRF is the only
  external load.
* Reserves: a ``CoordinateActuator`` named ``reserve_<coordinate>`` on every independent
  coordinate, ground-joint (residual) coordinates included, unbounded controls; MocoInverse's
  effort goal finds them through its ``.*/reserve_.*`` pattern (weight ``reserves_weight``). The
  reserve moment is control x optimal force.
* Fibre damping: ``fiber_damping`` (default 0.01) is set on every muscle. With the De Groote
  muscle's default of 0 the compliant problems here did not converge (Ipopt stalled at a
  constraint violation of about 0.1 for up to 3000 iterations, on stance, on flight and even on
  a static pose with a single compliant muscle; a warm start from the rigid-tendon solution did
  not help). Probably because without damping an inactive fibre's force no longer depends on its
  velocity, which the implicit tendon formulation solves for. With 0.01 the same problems
  converge in about 35 iterations. 0.01 is the value in Moco's own
  ``example2DWalking/2D_gait.osim``. The damping force is 0.01 x normalized fibre velocity x F0
  (under 1 % of F0 at the speeds of running), so it hardly changes muscle forces.
* External loads: the motion's foot loads are written to a GRF ``.mot`` and an ``ExternalLoads``
  ``.xml`` in a temporary folder and added with ``ModOpAddExternalLoads`` (OpenSim then owns the
  data; an ``ExternalForce`` built in memory segfaults when its ``Storage`` is collected).
* Kinematics: a ``TimeSeriesTable`` built in memory (radians, ``inDegrees=no``) with every
  coordinate's ``/value`` column, the coupled ones (patella) computed from their
  ``CoordinateCouplerConstraint`` so that nothing has to be assembled. The whole motion is given
  (the spline is fitted to all of it) and the solve is restricted to ``time_range_s``. OpenSim
  still tries to assemble each frame and, with every coordinate prescribed, logs "unable to
  assemble ... number of parameters=0" for each; those messages are dropped here (they say only
  that there was nothing to assemble), every other OpenSim message is logged as a warning by
  this module's logger.
* Solving: Moco writes ``delete_this_to_stop_optimization_*.txt`` into the working directory, so
  the solve runs with a temporary working directory (the process's working directory changes
  for the duration of the call: do not call this from several threads). Ipopt prints to the
  process's standard output; that is captured and parsed for the final constraint violation,
  and logged at DEBUG level. ``threads`` sets ``OPENSIM_MOCO_PARALLEL`` for the call.
* Outputs are read back with MocoInverse's ``output_paths`` (``.*\\|tendon_force``,
  ``.*\\|normalized_fiber_length``). Muscle moments about each coordinate use the moment arms of
  :func:`biomech.osim.muscle_export.export_muscle_capacity` at the solution's coordinates.

Measured on the default running2d model (36 muscles), one thread, 2-core machine (2026-11-26):
a 0.1 s slice of stance with 10 mesh intervals and compliant tendons solves in 68 s (92 Ipopt
iterations; with the 22 muscles before the other ankle muscles 28 s and 104 iterations, with De
Groote's passive curve 36-47 s and 92-94, with 18 muscles 11-13 s and 33). The whole synthesised
FR stride (0.71 s, default 0.02 s mesh) took about 10 min with rigid tendons (379 iterations,
the other core busy; 22 muscles: 120 s, 146 iterations; 18 muscles: 52 s, 76) and, with 22
muscles and De Groote's passive curve, had not finished after 47 min with compliant tendons: use
``time_range_s`` or ``max_iterations`` there.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from biomech.errors import SolverError
from biomech.io.external_loads import (
    ExternalForceSpec,
    ExternalLoadsSpec,
    grf_identifiers,
    write_external_loads,
)
from biomech.io.storage import Table, write_table
from biomech.muscles.static_optimization import DEFAULT_RESERVE_OPTIMAL_FORCE_NM
from biomech.osim import _SINK, opensim_version, osim
from biomech.osim.inverse import _couplers, check_coordinate_names
from biomech.osim.muscle_export import _with_coupled, export_muscle_capacity, residual_coordinates

if TYPE_CHECKING:
    from biomech.gait.motion import Motion

__all__ = ["MocoInverseResult", "moco_inverse", "DEFAULT_MESH_INTERVAL_S",
           "DEFAULT_RESERVE_OPTIMAL_FORCE_NM", "DEFAULT_FIBER_DAMPING"]

log = logging.getLogger(__name__)

#: s; MocoInverse's own default ``mesh_interval`` (OpenSim 4.6 property documentation: "default:
#: 0.020 seconds"), as in Moco's exampleMocoInverse.
DEFAULT_MESH_INTERVAL_S = 0.02
# DEFAULT_RESERVE_OPTIMAL_FORCE_NM (N m, N for translations) is static optimization's, where its
# sources are given (Moco's exampleMocoInverse uses ModOpAddReserves(1.0)): the two methods
# penalise reserves alike.
#: MocoInverse's defaults ``convergence_tolerance`` and ``constraint_tolerance`` (OpenSim 4.6
#: property documentation: "default: 1e-3"); passed to Ipopt as ``tol`` and ``constr_viol_tol``.
DEFAULT_CONVERGENCE_TOLERANCE = 1e-3
DEFAULT_CONSTRAINT_TOLERANCE = 1e-3
#: DeGrooteFregly2016Muscle ``fiber_damping`` used by Moco's example2DWalking model (2D_gait.osim);
#: see the module docstring for why it must not be 0 with compliant tendons.
DEFAULT_FIBER_DAMPING = 0.01
#: MocoInverse's default ``reserves_weight`` (OpenSim 4.6 property documentation: "Default
#: weight: 1").
DEFAULT_RESERVES_WEIGHT = 1.0

_RESERVE_PREFIX = "reserve_"
# "number of parameters=0": the assembler had nothing to vary (every coordinate prescribed)
_HARMLESS_ASSEMBLY = ("unable to assemble", "number of parameters=0")


@dataclass(frozen=True, eq=False)
class MocoInverseResult:
    """What MocoInverse found, at the solution's time points. SI units; see the field names.

    Attributes
    ----------
    time_s : (n_times,) s; Hermite-Simpson collocation: the mesh points and the interval midpoints
    coordinate_names : the motion's (independent) coordinates, in its order
    muscle_names : the model's muscles, in its order
    q : (n_times, n_coords) the prescribed coordinates at ``time_s`` (rad or m)
    activation : (n_times, n_muscles) 0..1
    excitation : (n_times, n_muscles) 0..1 (the controls)
    muscle_force_n : (n_times, n_muscles) tendon force, N
    normalized_fiber_length : (n_times, n_muscles) fibre length / optimal fibre length
    muscle_moment_nm : (n_times, n_coords) sum over muscles of moment arm x tendon force (N m;
        N for translations), moment arms of the model's geometry at ``q``
    reserve_moment_nm : (n_times, n_coords) reserve actuator moment, control x optimal force
        (on ground-joint coordinates: the residual force or moment)
    reserve_optimal_force : (n_coords,) N m or N
    residual_coordinates : the ground joint's coordinates (their reserves are residuals)
    compliant_muscles : the muscles solved with compliant tendons (empty: rigid tendons)
    status : Ipopt's return status as Moco reports it, e.g. ``"Solve_Succeeded"``,
        ``"Maximum_Iterations_Exceeded"``
    success : True when Ipopt converged to the tolerances. When False the arrays hold the last
        iterate, which is not a solution: do not use them as results.
    iterations : Ipopt iterations
    objective : the optimal (or last) objective
    objective_terms : the objective's terms by goal name (excitation effort, initial activation)
    solve_time_s : wall time of the MocoInverse solve, s (problem set-up, Ipopt, output analysis)
    solver_duration_s : Moco's own timing of the optimization, s
    max_constraint_violation : Ipopt's final unscaled constraint violation (NaN if not reported)
    convergence_tolerance, constraint_tolerance, mesh_interval_s, fiber_damping,
    reserves_weight : as passed
    solver_exit : Ipopt's ``EXIT:`` line
    """

    time_s: np.ndarray
    coordinate_names: tuple[str, ...]
    muscle_names: tuple[str, ...]
    q: np.ndarray
    activation: np.ndarray
    excitation: np.ndarray
    muscle_force_n: np.ndarray
    normalized_fiber_length: np.ndarray
    muscle_moment_nm: np.ndarray
    reserve_moment_nm: np.ndarray
    reserve_optimal_force: np.ndarray
    residual_coordinates: tuple[str, ...]
    compliant_muscles: tuple[str, ...]
    status: str
    success: bool
    iterations: int
    objective: float
    objective_terms: dict[str, float] = field(default_factory=dict)
    solve_time_s: float = float("nan")
    solver_duration_s: float = float("nan")
    max_constraint_violation: float = float("nan")
    convergence_tolerance: float = DEFAULT_CONVERGENCE_TOLERANCE
    constraint_tolerance: float = DEFAULT_CONSTRAINT_TOLERANCE
    mesh_interval_s: float = DEFAULT_MESH_INTERVAL_S
    fiber_damping: float | None = DEFAULT_FIBER_DAMPING
    reserves_weight: float = DEFAULT_RESERVES_WEIGHT
    solver_exit: str = ""

    def __post_init__(self) -> None:
        for name in ("time_s", "q", "activation", "excitation", "muscle_force_n",
                     "normalized_fiber_length", "muscle_moment_nm", "reserve_moment_nm",
                     "reserve_optimal_force"):
            a = np.array(getattr(self, name), dtype=float)
            a.setflags(write=False)
            object.__setattr__(self, name, a)

    @property
    def n_times(self) -> int:
        return int(self.time_s.size)

    def to_dataset(self):
        """The result as an ``xarray.Dataset`` (dims ``time``, ``muscle``, ``coordinate``; units
        in each variable's ``attrs``; solver status and settings in the Dataset's ``attrs``)."""
        import xarray as xr

        t, mu, co = "time", "muscle", "coordinate"
        spec = {
            "q": ((t, co), self.q, "rad or m"),
            "activation": ((t, mu), self.activation, "1"),
            "excitation": ((t, mu), self.excitation, "1"),
            "muscle_force_n": ((t, mu), self.muscle_force_n, "N"),
            "normalized_fiber_length": ((t, mu), self.normalized_fiber_length, "1"),
            "muscle_moment_nm": ((t, co), self.muscle_moment_nm, "N m (N for translations)"),
            "reserve_moment_nm": ((t, co), self.reserve_moment_nm, "N m (N for translations)"),
            "reserve_optimal_force": ((co,), self.reserve_optimal_force, "N m (N for translations)"),
        }
        data = {k: (dims, v, {"units": u}) for k, (dims, v, u) in spec.items()}
        return xr.Dataset(
            data,
            coords={t: (t, self.time_s, {"units": "s"}), mu: list(self.muscle_names),
                    co: list(self.coordinate_names)},
            attrs={"method": "MocoInverse", "status": self.status, "success": int(self.success),
                   "iterations": self.iterations, "objective": self.objective,
                   "solve_time_s": self.solve_time_s, "solver_duration_s": self.solver_duration_s,
                   "max_constraint_violation": self.max_constraint_violation,
                   "convergence_tolerance": self.convergence_tolerance,
                   "constraint_tolerance": self.constraint_tolerance,
                   "mesh_interval_s": self.mesh_interval_s,
                   "fiber_damping": np.nan if self.fiber_damping is None else self.fiber_damping,
                   "reserves_weight": self.reserves_weight,
                   "compliant_muscles": ", ".join(self.compliant_muscles),
                   "residual_coordinates": ", ".join(self.residual_coordinates),
                   "opensim_version": opensim_version()})


# ------------------------------------------------------------------ input checks


def _positive(value: Any, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"moco_inverse: {what}: expected a positive number, got {value!r}") from None
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"moco_inverse: {what}: expected a positive number, got {value!r}")
    return x


def _reserve_forces(reserve: float | Mapping[str, float], coords: Sequence[str]) -> np.ndarray:
    if isinstance(reserve, Mapping):
        if unknown := sorted(set(reserve) - set(coords)):
            raise ValueError(f"moco_inverse: reserve_optimal_force_nm: unknown coordinates {unknown}; "
                             f"expected some of {list(coords)}")
        values = [reserve.get(c, DEFAULT_RESERVE_OPTIMAL_FORCE_NM) for c in coords]
    else:
        values = [reserve] * len(coords)
    return np.array([_positive(v, f"reserve_optimal_force_nm[{c!r}]") for v, c in
                     zip(values, coords, strict=True)])


def _compliant(tendon_compliance: bool | Sequence[str], muscles: Sequence[str]) -> tuple[str, ...]:
    if isinstance(tendon_compliance, bool):
        return tuple(muscles) if tendon_compliance else ()
    if isinstance(tendon_compliance, str):
        tendon_compliance = [tendon_compliance]
    names = list(tendon_compliance)
    if unknown := sorted(set(names) - set(muscles)):
        raise ValueError(f"moco_inverse: tendon_compliance: unknown muscles {unknown}; "
                         f"expected True, False or some of {list(muscles)}")
    return tuple(m for m in muscles if m in names)


def _time_range(motion: Motion, time_range_s: tuple[float, float] | None, mesh: float
                ) -> tuple[float, float]:
    t = motion.time_s
    if time_range_s is None:
        t0, t1 = float(t[0]), float(t[-1])
    else:
        t0, t1 = (float(x) for x in time_range_s)
    tol = 1e-9 * max(1.0, abs(float(t[-1])))
    if not (math.isfinite(t0) and math.isfinite(t1) and t[0] - tol <= t0 < t1 <= t[-1] + tol):
        raise ValueError(f"moco_inverse: time_range_s ({t0:g}, {t1:g}) s is not inside motion "
                         f"{motion.name!r} ({t[0]:g}-{t[-1]:g} s)")
    t0, t1 = max(t0, float(t[0])), min(t1, float(t[-1]))
    if mesh > (t1 - t0) + tol:
        raise ValueError(f"moco_inverse: mesh_interval_s {mesh:g} s is longer than the time range "
                         f"({t1 - t0:g} s)")
    return t0, t1


def _check_inputs(model: osim.Model, motion: Motion) -> None:
    """Coordinates, non-finite values, load bodies and reserve names; one-line ValueErrors."""
    names = list(motion.coordinate_names)
    dependents = {c.dependent for c in _couplers(model)}
    try:
        check_coordinate_names(model, names, dependents)
    except ValueError as exc:
        raise ValueError(f"moco_inverse: motion {motion.name!r} does not match model "
                         f"{model.getName()!r}: {exc}") from None
    for what in ("q", "qd"):
        x = getattr(motion, what)
        if not np.all(np.isfinite(x)):
            row, col = np.argwhere(~np.isfinite(x))[0]
            raise ValueError(f"moco_inverse: motion {motion.name!r}: {what} is not finite at frame "
                             f"{row} ({motion.time_s[row]:g} s), coordinate {names[col]}")
    bodies = model.getBodySet()
    for side, load in motion.loads.items():
        if not bodies.contains(load.body):
            raise ValueError(f"moco_inverse: motion {motion.name!r}: load {side!r} acts on "
                             f"{load.body!r}, which model {model.getName()!r} does not have")
        for key in ("force_n", "cop_m", "free_moment_nm"):
            if not np.all(np.isfinite(getattr(load, key))):
                raise ValueError(f"moco_inverse: motion {motion.name!r}: loads[{side!r}].{key} is "
                                 "not finite")
    forces = model.getForceSet()
    taken = {forces.get(i).getName() for i in range(forces.getSize())}
    if clash := sorted(taken & {_RESERVE_PREFIX + c for c in names}):
        raise ValueError(f"moco_inverse: model {model.getName()!r} already has forces named {clash}; "
                         "reserves are added under these names")


# ------------------------------------------------------------------ OpenSim set-up


def _working_model(model: osim.Model, coords: Sequence[str], reserve_nm: np.ndarray,
                   compliant: Sequence[str], fiber_damping: float | None,
                   activation_dynamics: bool) -> osim.Model:
    work = osim.Model(model)
    work.finalizeFromProperties()
    if any(work.getMuscles().get(i).getConcreteClassName() != "DeGrooteFregly2016Muscle"
           for i in range(work.getMuscles().getSize())):
        osim.DeGrooteFregly2016Muscle.replaceMuscles(work)
        work.finalizeFromProperties()
    forces = work.updForceSet()
    off = []
    for i in range(forces.getSize()):
        f = forces.get(i)
        if osim.Actuator.safeDownCast(f) is None and f.get_appliesForce():
            f.set_appliesForce(False)
            off.append(f.getName())
    if off:
        log.info("MocoInverse: %d non-actuator forces switched off (%s, ...): the motion's loads are "
                 "the only external forces", len(off), off[0])
    muscles = work.updMuscles()
    for i in range(muscles.getSize()):
        mus = osim.DeGrooteFregly2016Muscle.safeDownCast(muscles.get(i))
        is_compliant = mus.getName() in compliant
        mus.set_ignore_tendon_compliance(not is_compliant)
        if is_compliant:
            mus.set_tendon_compliance_dynamics_mode("implicit")
        if fiber_damping is not None:
            mus.set_fiber_damping(float(fiber_damping))
        mus.set_ignore_activation_dynamics(not activation_dynamics)
    for c, opt in zip(coords, reserve_nm, strict=True):
        act = osim.CoordinateActuator(c)
        act.setName(_RESERVE_PREFIX + c)
        act.setOptimalForce(float(opt))
        act.setMinControl(-math.inf)
        act.setMaxControl(math.inf)
        work.addForce(act)
    work.finalizeConnections()
    work.initSystem()
    return work


def _write_loads(motion: Motion, folder: Path) -> Path | None:
    """The motion's foot loads as a GRF ``.mot`` and an ``ExternalLoads`` ``.xml`` (ground frame)."""
    if not motion.loads:
        return None
    sides = [s for s in ("r", "l") if s in motion.loads] + sorted(
        s for s in motion.loads if s not in ("r", "l"))
    columns, blocks, forces = [], [], []
    for side in sides:
        load = motion.loads[side]
        ids = grf_identifiers(side)
        for prefix, values in zip(ids, (load.force_n, load.cop_m, load.free_moment_nm), strict=True):
            columns += [f"{prefix}{axis}" for axis in "xyz"]
            blocks.append(values)
        forces.append(ExternalForceSpec(name=f"load_{side}", applied_to_body=load.body,
                                        force_identifier=ids[0], point_identifier=ids[1],
                                        torque_identifier=ids[2], data_source_name="grf.mot"))
    write_table(folder / "grf.mot", Table(time_s=motion.time_s, columns=tuple(columns),
                                          data=np.hstack(blocks), in_degrees=False, name="GRF"))
    return write_external_loads(folder / "external_loads.xml",
                                ExternalLoadsSpec(name="external_loads", forces=tuple(forces),
                                                  datafile="grf.mot"))


def _kinematics(work: osim.Model, motion: Motion) -> osim.TimeSeriesTable:
    """Every coordinate's value (rad or m), coupled ones from their couplers, as a table."""
    columns, values = _with_coupled(_couplers(work), list(motion.coordinate_names),
                                    np.asarray(motion.q, dtype=float))
    cs = work.getCoordinateSet()
    labels = osim.StdVectorString()
    for c in columns:
        labels.append(f"{cs.get(c).getAbsolutePathString()}/value")
    matrix = osim.Matrix.createFromMat(np.ascontiguousarray(values, dtype=float))
    table = osim.TimeSeriesTable(motion.time_s.tolist(), matrix, labels)
    table.addTableMetaDataString("inDegrees", "no")
    return table


def _flush_c_stdout() -> None:
    """Flush C's stdio buffers (Ipopt writes through them) before file descriptor 1 moves."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def _solve_environment(folder: Path, stdout_path: Path, threads: int | None) -> Iterator[None]:
    """Working directory ``folder`` (Moco's stop file), file descriptor 1 to ``stdout_path``
    (Ipopt prints there regardless of OpenSim's logger), ``OPENSIM_MOCO_PARALLEL`` from
    ``threads``; all restored afterwards."""
    sys.stdout.flush()
    _flush_c_stdout()
    cwd = os.getcwd()
    saved_fd = os.dup(1)
    saved_env = os.environ.get("OPENSIM_MOCO_PARALLEL")
    with open(stdout_path, "wb") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            os.chdir(folder)
            if threads is not None:   # Moco: 0 serial, 1 all cores, n > 1 n threads
                os.environ["OPENSIM_MOCO_PARALLEL"] = "0" if threads == 1 else str(threads)
            yield
        finally:
            _flush_c_stdout()
            os.dup2(saved_fd, 1)
            os.close(saved_fd)
            os.chdir(cwd)
            if threads is not None:
                if saved_env is None:
                    os.environ.pop("OPENSIM_MOCO_PARALLEL", None)
                else:
                    os.environ["OPENSIM_MOCO_PARALLEL"] = saved_env


def _drain_opensim_log() -> int:
    """Forward OpenSim's messages to the logger, dropping the harmless "nothing to assemble"
    pairs; returns how many were dropped."""
    text = _SINK.getString()
    _SINK.clear()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    dropped, i = 0, 0
    while i < len(lines):
        if (_HARMLESS_ASSEMBLY[0] in lines[i] and i + 1 < len(lines)
                and _HARMLESS_ASSEMBLY[1] in lines[i + 1]):
            dropped += 1
            i += 2
            continue
        log.warning("opensim: %s", lines[i])
        i += 1
    return dropped


def _ipopt_summary(text: str) -> tuple[float, str]:
    """Final unscaled constraint violation and the ``EXIT:`` line of an Ipopt log."""
    violation = float("nan")
    found = re.findall(r"^Constraint violation\.*:\s*(\S+)\s+(\S+)", text, flags=re.M)
    if found:
        with contextlib.suppress(ValueError):
            violation = float(found[-1][1])
    exits = re.findall(r"^EXIT:\s*(.*)$", text, flags=re.M)
    return violation, (exits[-1].strip() if exits else "")


def _columns(table: osim.TimeSeriesTable, suffix: str, paths: Sequence[str], n: int) -> np.ndarray:
    labels = set(table.getColumnLabels())
    out = np.full((n, len(paths)), np.nan)
    for j, p in enumerate(paths):
        label = f"{p}|{suffix}"
        if label in labels:
            out[:, j] = table.getDependentColumn(label).to_numpy()
    return out


# ------------------------------------------------------------------ the solve


def moco_inverse(model: osim.Model, motion: Motion, *,
                 time_range_s: tuple[float, float] | None = None,
                 mesh_interval_s: float = DEFAULT_MESH_INTERVAL_S,
                 reserve_optimal_force_nm: float | Mapping[str, float] = DEFAULT_RESERVE_OPTIMAL_FORCE_NM,
                 tendon_compliance: bool | Sequence[str] = True,
                 fiber_damping: float | None = DEFAULT_FIBER_DAMPING,
                 activation_dynamics: bool = True,
                 minimize_sum_squared_activations: bool = False,
                 reserves_weight: float = DEFAULT_RESERVES_WEIGHT,
                 convergence_tolerance: float = DEFAULT_CONVERGENCE_TOLERANCE,
                 constraint_tolerance: float = DEFAULT_CONSTRAINT_TOLERANCE,
                 max_iterations: int | None = None,
                 threads: int | None = None,
                 strict: bool = False) -> MocoInverseResult:
    """Muscle activations and forces that reproduce ``motion`` exactly, by OpenSim's MocoInverse.

    Parameters
    ----------
    model : OpenSim model (not modified; a working copy is changed as described in the module
        docstring). Any muscle class: non-De Groote muscles are replaced by
        ``DeGrooteFregly2016Muscle`` in the copy.
    motion : :class:`biomech.gait.motion.Motion` with every independent coordinate of the model
        and its foot loads (GRF at the centre of pressure, free moment; ground frame)
    time_range_s : (start, end) in s inside the motion; default the whole motion
    mesh_interval_s : collocation mesh interval, s (default 0.02 s, MocoInverse's)
    reserve_optimal_force_nm : optimal force of the reserve actuator on each coordinate (N m; N
        for translations): one number, or a mapping coordinate -> value (others get
        :data:`DEFAULT_RESERVE_OPTIMAL_FORCE_NM`).
        Every coordinate needs one (the ground joint's are the residual actuators).
    tendon_compliance : True: every muscle's tendon compliant (implicit De Groote tendon
        dynamics); False: rigid tendons; or the names of the muscles to make compliant
    fiber_damping : De Groote ``fiber_damping`` set on every muscle (default 0.01, see the module
        docstring); None keeps the model's values
    activation_dynamics : keep the muscles' first-order activation dynamics (De Groote et al.
        2016 time constants; MocoInverse's default). False makes each activation a control, as in
        static optimization: with rigid tendons the problem then separates into independent time
        points and is static optimization with excitation = activation (used to cross-check).
    minimize_sum_squared_activations : add MocoInverse's squared-activation goal (Moco default off)
    reserves_weight : weight of the reserves' squared controls in the effort goal (Moco default 1)
    convergence_tolerance, constraint_tolerance : Ipopt ``tol`` and ``constr_viol_tol``
        (MocoInverse defaults 1e-3)
    max_iterations : Ipopt iteration limit; None for Ipopt's default (3000)
    threads : worker threads for Moco (1 = serial); None leaves Moco's default (all cores, or
        the ``OPENSIM_MOCO_PARALLEL`` environment variable)
    strict : raise :class:`~biomech.errors.SolverError` when Ipopt does not converge, instead of
        returning a result with ``success=False``

    Returns
    -------
    MocoInverseResult
        at the solution's collocation times; check ``success`` (and ``status``) before using it.

    Raises
    ------
    ValueError
        before any solving: motion and model coordinates that do not match, non-finite
        coordinates or loads, loads on bodies the model does not have, a time range outside the
        motion, non-positive tolerances, mesh interval or reserve forces, unknown muscle names.
    SolverError
        OpenSim failed while setting up or solving (one line), or, with ``strict``, Ipopt did not
        converge.
    """
    mesh = _positive(mesh_interval_s, "mesh_interval_s")
    conv = _positive(convergence_tolerance, "convergence_tolerance")
    cons = _positive(constraint_tolerance, "constraint_tolerance")
    weight = _positive(reserves_weight, "reserves_weight")
    if fiber_damping is not None and not (math.isfinite(float(fiber_damping)) and fiber_damping >= 0):
        raise ValueError(f"moco_inverse: fiber_damping: expected a number >= 0 or None, got "
                         f"{fiber_damping!r}")
    if max_iterations is not None and (isinstance(max_iterations, bool)
                                       or not isinstance(max_iterations, (int, np.integer))
                                       or max_iterations < 1):
        raise ValueError(f"moco_inverse: max_iterations: expected a positive integer or None, got "
                         f"{max_iterations!r}")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, (int, np.integer))
                                or threads < 1):
        raise ValueError(f"moco_inverse: threads: expected a positive integer or None, got {threads!r}")
    if not model.hasSystem():
        model.initSystem()
    _check_inputs(model, motion)
    t0, t1 = _time_range(motion, time_range_s, mesh)
    coords = list(motion.coordinate_names)
    reserve_nm = _reserve_forces(reserve_optimal_force_nm, coords)
    ms = model.getMuscles()
    muscles = [ms.get(i).getName() for i in range(ms.getSize())]
    compliant = _compliant(tendon_compliance, muscles)
    label = f"MocoInverse of {motion.name or 'motion'!r} ({t0:g}-{t1:g} s)"

    _drain_opensim_log()
    work = _working_model(model, coords, reserve_nm, compliant, fiber_damping,
                          bool(activation_dynamics))
    with tempfile.TemporaryDirectory(prefix="biomech_moco_") as tmp:
        folder = Path(tmp)
        loads_xml = _write_loads(motion, folder)
        processor = osim.ModelProcessor(work)
        if loads_xml is not None:
            processor.append(osim.ModOpAddExternalLoads(str(loads_xml.resolve())))
        table = _kinematics(work, motion)
        inverse = osim.MocoInverse()
        inverse.setName("biomech_moco_inverse")
        inverse.setModel(processor)
        inverse.setKinematics(osim.TableProcessor(table))
        inverse.set_initial_time(t0)
        inverse.set_final_time(t1)
        inverse.set_mesh_interval(mesh)
        inverse.set_convergence_tolerance(conv)
        inverse.set_constraint_tolerance(cons)
        inverse.set_reserves_weight(weight)
        inverse.set_minimize_sum_squared_activations(bool(minimize_sum_squared_activations))
        if max_iterations is not None:
            inverse.set_max_iterations(int(max_iterations))
        inverse.append_output_paths(r".*\|tendon_force")
        inverse.append_output_paths(r".*\|normalized_fiber_length")
        log.info("%s: %d muscles (%d compliant), mesh interval %g s; solving", label, len(muscles),
                 len(compliant), mesh)
        ipopt_log = folder / "ipopt.txt"
        started = time.perf_counter()
        try:
            with _solve_environment(folder, ipopt_log, threads):
                solved = inverse.solve()
        except RuntimeError as exc:
            _drain_opensim_log()
            first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), "no message")
            raise SolverError(f"{label}: OpenSim failed: {first}") from None
        wall = time.perf_counter() - started
        text = ipopt_log.read_text(errors="replace")
    dropped = _drain_opensim_log()
    log.debug("%s: Ipopt output:\n%s", label, text)
    if dropped:
        log.debug("%s: %d 'nothing to assemble' messages dropped", label, dropped)
    violation, exit_line = _ipopt_summary(text)

    solution = solved.getMocoSolution()
    if solution.isSealed():
        solution.unseal()
    success = bool(solution.success())
    status = str(solution.getStatus())
    iterations = int(solution.getNumIterations())
    times = np.asarray(solution.getTimeMat(), dtype=float).ravel()
    n = times.size
    paths = [ms.get(i).getAbsolutePathString() for i in range(ms.getSize())]
    state_names = set(solution.getStateNames())
    control_names = set(solution.getControlNames())

    def state(name: str) -> np.ndarray:
        return (np.asarray(solution.getStateMat(name), dtype=float).ravel() if name in state_names
                else np.full(n, np.nan))

    def control(name: str) -> np.ndarray:
        return (np.asarray(solution.getControlMat(name), dtype=float).ravel() if name in control_names
                else np.full(n, np.nan))

    excitation = np.column_stack([control(p) for p in paths]) if paths else np.zeros((n, 0))
    if activation_dynamics:
        activation = (np.column_stack([state(f"{p}/activation") for p in paths]) if paths
                      else np.zeros((n, 0)))
    else:   # no activation state: the control is the activation
        activation = excitation.copy()
    outputs = solved.getOutputs()
    force = _columns(outputs, "tendon_force", paths, n)
    fiber = _columns(outputs, "normalized_fiber_length", paths, n)
    reserve_paths = [f"/forceset/{_RESERVE_PREFIX}{c}" for c in coords]
    reserve = np.column_stack([control(p) for p in reserve_paths]) * reserve_nm
    cs = work.getCoordinateSet()
    q = np.column_stack([state(f"{cs.get(c).getAbsolutePathString()}/value") for c in coords])
    if paths and np.all(np.isfinite(q)):
        # moment arms depend on the pose only; zero speeds keep the rigid-tendon capacity
        # export from warning about force-velocity limits that play no part here
        arms = export_muscle_capacity(model, coords, q, np.zeros_like(q)).moment_arm_m
        muscle_moment = np.einsum("fmk,fm->fk", arms, force)   # NaN where a force is missing
    else:
        muscle_moment = np.full((n, len(coords)), np.nan)
    terms = {str(k): float(solution.getObjectiveTerm(k)) for k in solution.getObjectiveTermNames()}

    result = MocoInverseResult(
        time_s=times, coordinate_names=tuple(coords), muscle_names=tuple(muscles), q=q,
        activation=activation, excitation=excitation, muscle_force_n=force,
        normalized_fiber_length=fiber, muscle_moment_nm=muscle_moment, reserve_moment_nm=reserve,
        reserve_optimal_force=reserve_nm, residual_coordinates=tuple(residual_coordinates(model)),
        compliant_muscles=compliant, status=status, success=success, iterations=iterations,
        objective=float(solution.getObjective()), objective_terms=terms, solve_time_s=wall,
        solver_duration_s=float(solution.getSolverDuration()), max_constraint_violation=violation,
        convergence_tolerance=conv, constraint_tolerance=cons, mesh_interval_s=mesh,
        fiber_damping=None if fiber_damping is None else float(fiber_damping),
        reserves_weight=weight, solver_exit=exit_line)
    summary = (f"{status} after {iterations} iterations in {wall:.1f} s (objective "
               f"{result.objective:.6g}, constraint violation {violation:.2g}, tolerance {cons:g})")
    if success:
        log.info("%s: %s", label, summary)
    else:
        if strict:
            raise SolverError(f"{label}: Ipopt did not converge: {summary}")
        log.warning("%s: did not converge: %s; the numbers are the last iterate, not a solution",
                    label, summary)
    return result
