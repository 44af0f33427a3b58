"""Static optimization: muscle activations that produce given joint moments, frame by frame.

Pure numpy/scipy; the OpenSim side (moment arms and force capacities of a model along a motion)
is :func:`biomech.osim.muscle_export.export_muscle_capacity`, which fills a :class:`MuscleCapacity`.

Problem solved in every frame (rigid tendons, no activation dynamics)::

    minimise    sum_i a_i^p  +  sum_j r_j^2
    subject to  sum_i R_ij (a_i F_act_i + F_pas_i) + r_j opt_j = tau_j   for each coordinate j
                0 <= a_i <= 1

with R_ij the moment arm (m) of muscle i about coordinate j, F_act_i = F0 f_L f_V cos(alpha) the
force muscle i produces along its tendon at full activation, F_pas_i = F0 f_P cos(alpha) its passive
force (left out with ``include_passive=False``, as OpenSim's StaticOptimization does), tau_j the
joint moment (N m, e.g. from inverse dynamics), and r_j the scaled activation of a reserve
actuator of optimal force opt_j (reserve moment r_j opt_j, N m). A coordinate given no reserve
(``None`` or 0) gets a hard equality that the muscles alone must meet; the frame is flagged
infeasible when they cannot.

The coordinates of the joint between ground and the model (the pelvis) are *residuals*: muscles
are internal forces and cannot act on them, so they are left out of the muscle problem and their
moments are passed through unchanged (``MuscleSolution.residual_nm``).

Solvers:

* p = 2 with a reserve on every coordinate (the default): eliminating r gives a box-constrained
  least-squares problem, min ||a||^2 + ||W (b - A a)||^2, 0 <= a <= 1 (W = diag(1/opt)), solved for
  all frames at once by a vectorised primal active-set method (exact, finite); frames where it
  does not finish fall back to ``scipy.optimize.lsq_linear`` (BVLS). Every frame's KKT
  conditions are checked afterwards.
* any other exponent: projected Newton, each step a box QP solved as above, with a backtracking
  line search; all frames at once, started from the p = 2 solution.
* coordinates without reserves (hard equalities): feasibility checked exactly per frame with
  BVLS, then an augmented Lagrangian around the two solvers above.

The reserve terms enter squared for every exponent (OpenSim's StaticOptimization raises reserves
to the same power p as the muscles; for p = 2 the two agree).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import lsq_linear

__all__ = ["DEFAULT_RESERVE_OPTIMAL_FORCE_NM", "MuscleCapacity", "MuscleSolution", "STATUS",
           "moment_capacity_nm", "solve_static_optimization"]

log = logging.getLogger(__name__)

#: N m (N for translations): default optimal force of the reserve actuators of this package's
#: muscle solvers (static optimization, MocoInverse, the OpenSim StaticOptimization export).
#: Low, so that a reserve is expensive and only carries what the muscles cannot: OpenSim's CMC
#: best practices ("Optimal forces for reserves should be low to prevent the optimizer from
#: 'wanting' to use reserve actuators"; OpenSim documentation, "Reserves and Residuals") and
#: Moco's MocoInverse examples (``ModOpAddReserves(1.0)``). With 10 N m a reserve of 10 N m cost
#: as much as one fully active muscle and took over part of the joint moment wherever muscles
#: were merely expensive: on the Hamner 2010 running trial (tests/test_pipeline_hamner.py) the
#: right hip, knee and ankle reserves peak at 7.5, 8.1 and 9.0 % of the joint moment with 10 N m
#: and 4.9, 3.3 and 5.3 % with 1 N m (measured 2026-11-26).
DEFAULT_RESERVE_OPTIMAL_FORCE_NM = 1.0

#: Per-frame solver status codes of :attr:`MuscleSolution.status`.
STATUS = {0: "optimal", 1: "not_converged", 2: "infeasible"}
OPTIMAL, NOT_CONVERGED, INFEASIBLE = 0, 1, 2

#: Relative tolerance on the KKT conditions (scaled by the size of the problem's terms).
_KKT_TOL = 1e-8
#: Absolute tolerance (N m) on equality constraints that have no reserve.
_EQ_TOL_NM = 1e-6
#: Activation counted as saturated.
_SATURATED = 1.0 - 1e-6


def _array(x: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    a = np.array(x, dtype=float)  # a copy
    if a.shape != shape:
        raise ValueError(f"{what}: expected shape {shape}, got {a.shape}")
    bad = ~np.isfinite(a)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{what}: non-finite value {a[first]} at index {first}")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class MuscleCapacity:
    """What the muscles of a model can do along a motion: moment arms and force capacities.

    Rigid tendons: the fibre length along the tendon is the muscle-tendon length minus the
    tendon slack length, the fibre velocity follows from the muscle-tendon lengthening speed.

    Parameters
    ----------
    muscle_names : tuple of str, length n_muscles
    coordinate_names : tuple of str, length n_coords (independent coordinates)
    moment_arm_m : shape (n_frames, n_muscles, n_coords), m; OpenSim's sign (positive when tension
        produces a positive generalized force, = -dL/dq), through any coordinate coupling
    active_force_n : shape (n_frames, n_muscles), N; F0 f_L(l~) f_V(v~) cos(alpha), the force
        along the tendon at full activation
    passive_force_n : shape (n_frames, n_muscles), N; F0 f_P(l~) cos(alpha) along the tendon
    max_isometric_force_n : shape (n_muscles,), N
    residual_coordinates : coordinates of the ground joint (the pelvis); excluded from the muscle
        problem by :func:`solve_static_optimization`
    time_s : shape (n_frames,), s, optional
    diagnostics : optional per-frame arrays of shape (n_frames, n_muscles), e.g.
        ``mtu_length_m``, ``mtu_speed_m_s``, ``norm_fiber_length``, ``norm_fiber_velocity``,
        ``pennation_rad``

    Raises
    ------
    ValueError
        shapes that disagree, non-finite values, negative capacities, repeated names.
    """

    muscle_names: tuple[str, ...]
    coordinate_names: tuple[str, ...]
    moment_arm_m: np.ndarray
    active_force_n: np.ndarray
    passive_force_n: np.ndarray
    max_isometric_force_n: np.ndarray
    residual_coordinates: tuple[str, ...] = ()
    time_s: np.ndarray | None = None
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        muscles, coords = tuple(self.muscle_names), tuple(self.coordinate_names)
        for what, names in (("muscle_names", muscles), ("coordinate_names", coords)):
            if len(set(names)) != len(names):
                raise ValueError(f"MuscleCapacity.{what}: repeated names in {list(names)}")
        object.__setattr__(self, "muscle_names", muscles)
        object.__setattr__(self, "coordinate_names", coords)
        arms = np.asarray(self.moment_arm_m)
        if arms.ndim != 3:
            raise ValueError(f"MuscleCapacity.moment_arm_m: expected (n_frames, n_muscles, n_coords), "
                             f"got shape {arms.shape}")
        n, m, k = arms.shape[0], len(muscles), len(coords)
        object.__setattr__(self, "moment_arm_m", _array(arms, (n, m, k), "MuscleCapacity.moment_arm_m"))
        for name in ("active_force_n", "passive_force_n"):
            a = _array(getattr(self, name), (n, m), f"MuscleCapacity.{name}")
            if (a < 0).any():
                raise ValueError(f"MuscleCapacity.{name}: negative force {a.min()} N")
            object.__setattr__(self, name, a)
        object.__setattr__(self, "max_isometric_force_n",
                           _array(self.max_isometric_force_n, (m,), "MuscleCapacity.max_isometric_force_n"))
        residual = tuple(self.residual_coordinates)
        if unknown := sorted(set(residual) - set(coords)):
            raise ValueError(f"MuscleCapacity.residual_coordinates: unknown {unknown}")
        object.__setattr__(self, "residual_coordinates", residual)
        if self.time_s is not None:
            object.__setattr__(self, "time_s", _array(self.time_s, (n,), "MuscleCapacity.time_s"))
        diag = {str(key): _array(v, (n, m), f"MuscleCapacity.diagnostics[{key!r}]")
                for key, v in dict(self.diagnostics).items()}
        object.__setattr__(self, "diagnostics", diag)

    @property
    def n_frames(self) -> int:
        return int(self.moment_arm_m.shape[0])


@dataclass(frozen=True, eq=False)
class MuscleSolution:
    """Static-optimization result, per frame. SI units; see the field names.

    Attributes
    ----------
    muscle_names, coordinate_names : the muscles and the coordinates solved for (residual
        coordinates left out)
    residual_coordinates : coordinates of the ground joint, not solved: muscles cannot act on them
    activation : (n_frames, n_muscles), 0..1
    muscle_force_n : (n_frames, n_muscles), tendon force a F_act + F_pas (F_pas only with
        ``include_passive``)
    passive_force_n : (n_frames, n_muscles), the passive part (zeros without ``include_passive``)
    joint_moment_nm : (n_frames, n_coords), the moments asked for
    muscle_moment_nm : (n_frames, n_coords), sum_i R_ij F_i
    reserve_moment_nm : (n_frames, n_coords), r_j opt_j (0 where a coordinate has no reserve)
    reserve_share : (n_frames, n_coords), |reserve| / (|muscle moment| + |reserve|), 0..1
        (0 where both are 0)
    residual_nm : (n_frames, n_residual), the joint moments of the residual coordinates, passed
        through (N m or N)
    status : (n_frames,) int, :data:`STATUS` codes: 0 optimal (optimality conditions checked),
        1 not converged (numbers kept, do not trust them), 2 infeasible (a coordinate without
        reserve cannot be balanced: every number of the frame is NaN)
    kkt_error : (n_frames,), relative violation of the optimality conditions (NaN when not
        computed: hard equalities)
    equality_error_nm : (n_frames,), max_j |muscle + reserve - joint moment|
    saturated : (n_frames, n_muscles) bool, activation at its upper bound
    reserve_optimal_force : (n_coords,), N m or N; 0 for no reserve
    exponent, include_passive : as passed
    method : which solver ran (``"active-set"``, ``"newton/active-set"``, ``"augmented-lagrangian"``;
        ``+bvls`` when the BVLS fallback was needed)
    time_s : (n_frames,) or None
    """

    muscle_names: tuple[str, ...]
    coordinate_names: tuple[str, ...]
    residual_coordinates: tuple[str, ...]
    activation: np.ndarray
    muscle_force_n: np.ndarray
    passive_force_n: np.ndarray
    joint_moment_nm: np.ndarray
    muscle_moment_nm: np.ndarray
    reserve_moment_nm: np.ndarray
    reserve_share: np.ndarray
    residual_nm: np.ndarray
    status: np.ndarray
    kkt_error: np.ndarray
    equality_error_nm: np.ndarray
    saturated: np.ndarray
    reserve_optimal_force: np.ndarray
    exponent: float
    include_passive: bool
    method: str
    time_s: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        """True when every frame is optimal."""
        return bool(np.all(self.status == OPTIMAL))

    @property
    def failed_frames(self) -> np.ndarray:
        """Indices of the frames that are not optimal."""
        return np.flatnonzero(self.status != OPTIMAL)

    def to_dataset(self):
        """The solution as an ``xarray.Dataset`` (dims ``frame``, ``muscle``, ``coordinate``,
        ``residual_coordinate``; units in each variable's ``attrs``)."""
        import xarray as xr

        f, mu, co, rc = "frame", "muscle", "coordinate", "residual_coordinate"
        coords: dict[str, Any] = {mu: list(self.muscle_names), co: list(self.coordinate_names),
                                  rc: list(self.residual_coordinates)}
        if self.time_s is not None:
            coords["time_s"] = (f, self.time_s, {"units": "s"})
        spec = {
            "activation": ((f, mu), self.activation, "1"),
            "muscle_force_n": ((f, mu), self.muscle_force_n, "N"),
            "passive_force_n": ((f, mu), self.passive_force_n, "N"),
            "saturated": ((f, mu), self.saturated, "1"),
            "joint_moment_nm": ((f, co), self.joint_moment_nm, "N m"),
            "muscle_moment_nm": ((f, co), self.muscle_moment_nm, "N m"),
            "reserve_moment_nm": ((f, co), self.reserve_moment_nm, "N m"),
            "reserve_share": ((f, co), self.reserve_share, "1"),
            "reserve_optimal_force": ((co,), self.reserve_optimal_force, "N m"),
            "residual_nm": ((f, rc), self.residual_nm, "N m or N"),
            "status": ((f,), self.status, "; ".join(f"{k} {v}" for k, v in STATUS.items())),
            "kkt_error": ((f,), self.kkt_error, "1"),
            "equality_error_nm": ((f,), self.equality_error_nm, "N m"),
        }
        data = {k: (dims, v, {"units": u}) for k, (dims, v, u) in spec.items()}
        return xr.Dataset(data, coords=coords, attrs={
            "exponent": self.exponent, "include_passive": int(self.include_passive),
            "method": self.method,
            "residual_coordinates_note": "ground-joint coordinates: residuals, not solved with muscles"})


def passive_moments_nm(capacity: MuscleCapacity) -> np.ndarray:
    """Generalized force (N m or N) of the muscles' passive fibre forces about each coordinate.

    Shape (n_frames, n_coords) in ``capacity.coordinate_names`` order, OpenSim's sign (positive
    drives the coordinate positive).
    """
    return np.einsum("fmk,fm->fk", capacity.moment_arm_m, capacity.passive_force_n)


def moment_capacity_nm(capacity: MuscleCapacity, joint_moments: np.ndarray, *,
                       include_passive: bool = True) -> np.ndarray:
    """Largest muscle moment (N m) about each coordinate in the direction of its joint moment.

    Each coordinate on its own: every muscle whose moment arm points the way of the joint moment
    ``joint_moments[f, j]`` fully active, the others inactive, plus the passive moment of all
    muscles (with the force capacities ``capacity`` holds: rigid tendons from the export,
    compliant ones from :func:`biomech.muscles.compliant.compliant_capacity`)::

        capacity[f, j] = sum_i max(0, s R_ij F_act_i) + s sum_i R_ij F_pas_i,   s = sign(tau_fj)

    A joint moment larger than this needs a reserve whatever the cost function (the muscles
    cannot produce it even acting on that coordinate alone); below it, a reserve is a trade-off
    of the optimisation (or forced by a two-joint muscle needed elsewhere). Shape (n_frames,
    n_coords) in ``capacity.coordinate_names`` order; where the joint moment is 0, s = +1.
    """
    tau = _array(joint_moments, (capacity.moment_arm_m.shape[0], len(capacity.coordinate_names)),
                 "joint_moments")
    sign = np.where(tau < 0, -1.0, 1.0)
    active = np.einsum("fmk,fm->fmk", capacity.moment_arm_m, capacity.active_force_n) * sign[:, None, :]
    out = np.clip(active, 0.0, None).sum(axis=1)
    if include_passive:
        out += sign * passive_moments_nm(capacity)
    return out


def _reserves(reserve: float | Mapping[str, float | None] | None, coords: Sequence[str]) -> np.ndarray:
    """Optimal force per coordinate (0 = no reserve)."""
    default = DEFAULT_RESERVE_OPTIMAL_FORCE_NM
    if reserve is None or isinstance(reserve, (int, float)):
        default = 0.0 if reserve is None else float(reserve)
        values: dict[str, float | None] = {}
    elif isinstance(reserve, Mapping):
        values = dict(reserve)
        if unknown := sorted(set(values) - set(coords)):
            raise ValueError(f"reserve_optimal_force_nm: unknown or residual coordinates {unknown}; "
                             f"expected some of {list(coords)}")
    else:
        raise ValueError(f"reserve_optimal_force_nm: expected a number or a mapping, got {reserve!r}")
    out = np.array([default if c not in values else (0.0 if values[c] is None else values[c])
                    for c in coords], dtype=float)
    if not np.all(np.isfinite(out)) or (out < 0).any():
        raise ValueError(f"reserve_optimal_force_nm: expected finite values >= 0, got "
                         f"{dict(zip(coords, out.tolist(), strict=True))}")
    return out


def _batched_solve(mat: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    return np.linalg.solve(mat, rhs[..., None])[..., 0]


def _box_qp_active_set(q: np.ndarray, c: np.ndarray, max_iter: int = 200
                       ) -> tuple[np.ndarray, np.ndarray]:
    """min 1/2 a'Qa - c'a, 0 <= a <= 1, for a batch of SPD Q (n, m, m): primal active set.

    All frames advance together, each by one step per iteration (Nocedal & Wright 2006,
    Numerical Optimization, Algorithm 16.3, with the box as the constraints): from a feasible
    point, minimise over the variables not fixed at a bound; if that point is outside the box,
    step to the first bound hit and fix that variable; if the step is zero, release the fixed
    variable whose multiplier has the wrong sign, or stop when none has. The start is the
    unconstrained minimiser clipped to the box. (A primal-dual active-set method is simpler but
    cycles on these problems: Q is not an M-matrix.)

    Returns the solutions (n, m) and a per-frame flag: the method finished.
    """
    n, m = c.shape
    eye = np.eye(m)
    scale = 1.0 + np.abs(c).max(axis=1) + np.abs(np.diagonal(q, axis1=1, axis2=2)).max(axis=1)
    a = np.clip(_batched_solve(q, c), 0.0, 1.0)
    lower, upper = a <= 0.0, a >= 1.0
    done = np.zeros(n, dtype=bool)
    todo = np.arange(n)
    for _ in range(max_iter):
        if todo.size == 0:
            break
        qq, cc, x, lo, up = q[todo], c[todo], a[todo], lower[todo], upper[todo]
        fixed = lo | up
        free = ~fixed
        # rows/columns of fixed variables replaced by identity: the free block solves
        # Q_FF x_F = c_F - Q_FB x_B, fixed variables keep their bound
        mat = qq * (free[:, :, None] & free[:, None, :]) + eye * fixed[:, None, :]
        rhs = np.where(free, cc - np.einsum("fij,fj->fi", qq, np.where(fixed, x, 0.0)), x)
        step = _batched_solve(mat, rhs) - x
        step[fixed] = 0.0
        moving = np.abs(step).max(axis=1) > 1e-13
        # zero step: multipliers (gradient) of the fixed variables decide
        grad = np.einsum("fij,fj->fi", qq, x) - cc
        tol = 1e-13 * scale[todo, None]
        wrong = np.where(lo, -grad, 0.0) + np.where(up, grad, 0.0)  # > 0: wants to leave its bound
        wrong[~(fixed & (wrong > tol))] = 0.0
        release = ~moving & (wrong > 0.0).any(axis=1)
        optimal = ~moving & ~release
        rows = np.flatnonzero(release)
        cols = np.argmax(wrong[rows], axis=1)
        lo[rows, cols], up[rows, cols] = False, False
        # nonzero step: ratio test against the bounds of the free variables
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(free & (step > 0.0), (1.0 - x) / step,
                         np.where(free & (step < 0.0), -x / step, np.inf))
        t_min = t.min(axis=1)
        alpha = np.where(moving, np.minimum(1.0, t_min), 0.0)
        x = x + alpha[:, None] * step
        rows = np.flatnonzero(moving & (t_min < 1.0))
        cols = np.argmin(t[rows], axis=1)
        hit_up = step[rows, cols] > 0.0
        x[rows, cols] = hit_up.astype(float)
        up[rows[hit_up], cols[hit_up]] = True
        lo[rows[~hit_up], cols[~hit_up]] = True
        a[todo], lower[todo], upper[todo] = np.clip(x, 0.0, 1.0), lo, up
        done[todo[optimal]] = True
        todo = todo[~optimal]
    return a, done


def _kkt_box(grad: np.ndarray, a: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Relative violation of the KKT conditions of min f(a), 0 <= a <= 1, given grad f."""
    at_lo, at_up = a <= 1e-12, a >= 1.0 - 1e-12
    viol = np.where(at_lo, np.maximum(0.0, -grad), np.where(at_up, np.maximum(0.0, grad), np.abs(grad)))
    return viol.max(axis=-1) / scale


def _solve_quadratic(a_mat: np.ndarray, b: np.ndarray, w2: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, str]:
    """p = 2, reserves on every coordinate: min ||a||^2 + ||W(b - A a)||^2, 0 <= a <= 1.

    Equivalent to min 1/2 a'Qa - c'a with Q = I + A'W^2A, c = A'W^2 b. Returns activations,
    relative KKT error and the method used.
    """
    n, k, m = a_mat.shape
    q = np.eye(m) + np.einsum("fki,k,fkj->fij", a_mat, w2, a_mat)
    c = np.einsum("fki,k,fk->fi", a_mat, w2, b)
    act, done = _box_qp_active_set(q, c)
    method = "active-set"
    if not done.all():
        method = "active-set+bvls"
        w = np.sqrt(w2)
        for f in np.flatnonzero(~done):
            lsq = lsq_linear(np.vstack([np.eye(m), w[:, None] * a_mat[f]]),
                             np.concatenate([np.zeros(m), w * b[f]]), bounds=(0.0, 1.0),
                             method="bvls", tol=1e-14)
            act[f] = np.clip(lsq.x, 0.0, 1.0)
    grad = np.einsum("fij,fj->fi", q, act) - c
    scale = 1.0 + np.abs(c).max(axis=1) + np.abs(np.diagonal(q, axis1=1, axis2=2)).max(axis=1)
    return act, _kkt_box(grad, act, scale), method


def _solve_newton(p: float, a_mat: np.ndarray, b: np.ndarray, w2: np.ndarray, a0: np.ndarray,
                  max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Any p >= 1, reserves on every coordinate: min sum a^p + ||W(b - A a)||^2, 0 <= a <= 1.

    Projected Newton (sequential box QP) for all frames at once: each iteration solves the box
    QP of the local quadratic model with :func:`_box_qp_active_set` and backtracks (Armijo) on the
    true objective. The curvature of a^p is floored near a = 0 (p < 2) and a small multiple of
    the identity keeps the model positive definite (p > 2); neither changes the fixed point,
    where the step vanishes exactly when the KKT conditions hold. Returns activations and the
    relative KKT error (frames that do not converge keep a larger error).
    """
    n, k, m = a_mat.shape
    big_g = 2.0 * np.einsum("fki,k,fkj->fij", a_mat, w2, a_mat)
    c2 = 2.0 * np.einsum("fki,k,fk->fi", a_mat, w2, b)
    scale = 1.0 + np.abs(c2).max(axis=1) + np.abs(np.diagonal(big_g, axis1=1, axis2=2)).max(axis=1) + p
    eye = np.eye(m)

    def objective(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
        res = b[rows] - np.einsum("fki,fi->fk", a_mat[rows], a)
        return np.sum(np.maximum(a, 0.0) ** p, axis=1) + np.sum(w2 * res**2, axis=1)

    def gradient(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return p * np.maximum(a, 0.0) ** (p - 1.0) + np.einsum("fij,fj->fi", big_g[rows], a) - c2[rows]

    a = np.clip(a0, 0.0, 1.0)
    all_rows = np.arange(n)
    kkt = _kkt_box(gradient(a, all_rows), a, scale)
    todo = np.flatnonzero(kkt > 1e-12)
    for _ in range(max_iter):
        if todo.size == 0:
            break
        x = a[todo]
        g = gradient(x, todo)
        curvature = p * (p - 1.0) * np.maximum(x, 1e-6) ** (p - 2.0) if p != 1.0 else np.zeros_like(x)
        h = big_g[todo] + eye * (curvature + 1e-10 * scale[todo, None])[:, None, :]
        y, _ = _box_qp_active_set(h, np.einsum("fij,fj->fi", h, x) - g)
        d = y - x
        f0, slope = objective(x, todo), np.einsum("fi,fi->f", g, d)
        t = np.ones(todo.size)
        accepted = np.zeros(todo.size, dtype=bool)
        for _ in range(40):
            trial = np.clip(x + t[:, None] * d, 0.0, 1.0)
            ok = objective(trial, todo) <= f0 + 1e-4 * t * slope + 1e-15 * np.abs(f0)
            newly = ok & ~accepted
            x[newly] = trial[newly]
            accepted |= ok
            if accepted.all():
                break
            t = np.where(accepted, t, 0.5 * t)
        a[todo] = x
        kkt[todo] = _kkt_box(gradient(x, todo), x, scale[todo])
        stalled = ~accepted
        todo = todo[(kkt[todo] > 1e-12) & ~stalled]
    return a, kkt


def _solve_hard(p: float, a_mat: np.ndarray, b: np.ndarray, w2: np.ndarray, hard: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Some coordinates without reserve: their rows are equalities A_h a = b_h.

    Infeasible frames (no activations in the box meet the equalities to ``_EQ_TOL_NM``, checked
    exactly with BVLS per frame) are NaN. The others are solved by an augmented Lagrangian:
    the equalities become soft rows of weight rho/2 with targets shifted by -lambda/rho, so each
    subproblem is the all-reserves problem (:func:`_solve_quadratic`, then :func:`_solve_newton`
    for p != 2); lambda += rho (A_h a - b_h) after each, rho x 10 when the violation does not
    fall by 4. Returns activations, relative KKT error of the Lagrangian, and status.
    """
    n, k, m = a_mat.shape
    status = np.full(n, OPTIMAL, dtype=np.int8)
    act, kkt = np.full((n, m), np.nan), np.full(n, np.nan)
    for f in range(n):
        feas = lsq_linear(a_mat[f][hard], b[f][hard], bounds=(0.0, 1.0), method="bvls", tol=1e-14)
        if np.abs(a_mat[f][hard] @ feas.x - b[f][hard]).max() > _EQ_TOL_NM:
            status[f] = INFEASIBLE
    rows = np.flatnonzero(status != INFEASIBLE)
    if rows.size == 0:
        return act, kkt, status
    a_r, b_r = a_mat[rows], b[rows]
    a_h, b_h = a_r[:, hard], b_r[:, hard]
    lam = np.zeros(b_h.shape)
    rho, previous = 1.0, np.inf
    x = None
    for _ in range(60):
        weights = np.where(hard, 0.5 * rho, w2)
        shifted = b_r.copy()
        shifted[:, hard] = b_h - lam / rho
        x, sub_kkt, _ = _solve_quadratic(a_r, shifted, weights)
        if p != 2.0:
            x, sub_kkt = _solve_newton(p, a_r, shifted, weights, x)
        violation = np.einsum("fki,fi->fk", a_h, x) - b_h
        lam += rho * violation
        worst = np.abs(violation).max()
        if worst <= 0.1 * _EQ_TOL_NM and sub_kkt.max() <= 1e-10:
            break
        if worst > 0.25 * previous:
            rho = min(10.0 * rho, 1e8)
        previous = worst
    soft = ~hard
    res = b_r[:, soft] - np.einsum("fki,fi->fk", a_r[:, soft], x)
    grad = (p * x ** (p - 1.0) - 2.0 * np.einsum("fki,k,fk->fi", a_r[:, soft], w2[soft], res)
            + np.einsum("fki,fk->fi", a_h, lam))
    scale = 1.0 + p + np.abs(np.einsum("fki,fk->fi", a_r, b_r)).max(axis=1) * max(w2.max(), 1e-12)
    act[rows], kkt[rows] = x, _kkt_box(grad, x, scale)
    return act, kkt, status


def solve_static_optimization(capacity: MuscleCapacity, joint_moments: np.ndarray, *,
                              exponent: float = 2, reserve_optimal_force_nm: float | Mapping[
                                  str, float | None] | None = DEFAULT_RESERVE_OPTIMAL_FORCE_NM,
                              include_passive: bool = True,
                              residual_coordinates: Sequence[str] | None = None) -> MuscleSolution:
    """Muscle activations and forces that produce ``joint_moments``; see the module docstring.

    Parameters
    ----------
    capacity : moment arms and force capacities along the motion
        (:func:`biomech.osim.muscle_export.export_muscle_capacity`)
    joint_moments : shape (n_frames, n_coords), columns in ``capacity.coordinate_names`` order:
        the generalized forces the joints must provide (N m; N for translations), e.g. from
        :func:`biomech.osim.inverse.inverse_dynamics`
    exponent : p >= 1 of the activation cost sum a_i^p
    reserve_optimal_force_nm : optimal force (N m) of a reserve actuator on each solved coordinate:
        one number for all, or a mapping coordinate -> value (unlisted coordinates get
        :data:`DEFAULT_RESERVE_OPTIMAL_FORCE_NM`, 1 N m);
        None or 0 for no reserve (a hard equality)
    include_passive : add the passive fibre forces (OpenSim's StaticOptimization leaves them out)
    residual_coordinates : coordinates left out of the muscle problem (default:
        ``capacity.residual_coordinates``, the ground joint's)

    Returns
    -------
    MuscleSolution
        check ``status`` (or ``ok``): frames that are not optimal are flagged, infeasible ones
        are NaN.

    Raises
    ------
    ValueError
        wrong shapes, non-finite moments, unknown coordinates, exponent < 1.
    """
    n = capacity.n_frames
    all_coords = capacity.coordinate_names
    tau_all = _array(joint_moments, (n, len(all_coords)), "joint_moments")
    p = float(exponent)
    if not np.isfinite(p) or p < 1.0:
        raise ValueError(f"exponent: expected a finite number >= 1, got {exponent!r}")
    residual = tuple(capacity.residual_coordinates if residual_coordinates is None
                     else residual_coordinates)
    if unknown := sorted(set(residual) - set(all_coords)):
        raise ValueError(f"residual_coordinates: unknown {unknown}")
    solved = [j for j, c in enumerate(all_coords) if c not in residual]
    res_idx = [all_coords.index(c) for c in residual]
    coords = tuple(all_coords[j] for j in solved)
    opt = _reserves(reserve_optimal_force_nm, coords)

    arms = capacity.moment_arm_m
    if res_idx and np.abs(arms[:, :, res_idx]).max(initial=0.0) > 1e-9:
        log.warning("muscles have non-zero moment arms about the residual coordinates %s; "
                    "they are ignored", list(residual))
    r = arms[:, :, solved]                                    # (n, m, k)
    f_act = capacity.active_force_n                           # (n, m)
    f_pas = capacity.passive_force_n if include_passive else np.zeros_like(f_act)
    tau = tau_all[:, solved]                                  # (n, k)
    a_mat = np.swapaxes(r * f_act[:, :, None], 1, 2)          # (n, k, m): moment per unit activation
    b = tau - np.einsum("fmk,fm->fk", r, f_pas)               # what activations and reserves owe
    soft = opt > 0.0
    w2 = np.where(soft, 1.0 / np.where(soft, opt, 1.0) ** 2, 0.0)

    status = np.full(n, OPTIMAL, dtype=np.int8)
    kkt = np.full(n, np.nan)
    if soft.all():
        act, kkt, method = _solve_quadratic(a_mat, b, w2)
        if p != 2.0:
            act, kkt = _solve_newton(p, a_mat, b, w2, act)
            method = f"newton/{method}"
    else:
        act, kkt, status = _solve_hard(p, a_mat, b, w2, ~soft)
        method = "augmented-lagrangian"

    converged = np.isfinite(kkt)
    bad_kkt = converged & (kkt > _KKT_TOL)
    status[bad_kkt & (status == OPTIMAL)] = NOT_CONVERGED

    force = act * f_act + f_pas
    muscle_moment = np.einsum("fmk,fm->fk", r, force)
    gap = tau - muscle_moment
    reserve = np.where(soft, gap, 0.0)
    eq_err = np.abs(gap - reserve).max(axis=1, initial=0.0)
    hard_fail = (eq_err > _EQ_TOL_NM) & (status == OPTIMAL)
    status[hard_fail] = NOT_CONVERGED
    infeasible = status == INFEASIBLE
    force[infeasible], muscle_moment[infeasible], reserve[infeasible] = np.nan, np.nan, np.nan
    total = np.abs(muscle_moment) + np.abs(reserve)
    share = np.divide(np.abs(reserve), total, out=np.zeros_like(total), where=total > 0)
    share[infeasible] = np.nan
    passive = np.broadcast_to(f_pas, force.shape).copy()
    passive[infeasible] = np.nan
    if (status != OPTIMAL).any():
        counts = {STATUS[s]: int((status == s).sum()) for s in (NOT_CONVERGED, INFEASIBLE)}
        log.warning("static optimization: %s of %d frames not optimal (%s)",
                    int((status != OPTIMAL).sum()), n, counts)
    return MuscleSolution(
        muscle_names=capacity.muscle_names, coordinate_names=coords, residual_coordinates=residual,
        activation=act, muscle_force_n=force, passive_force_n=passive, joint_moment_nm=tau.copy(),
        muscle_moment_nm=muscle_moment, reserve_moment_nm=reserve, reserve_share=share,
        residual_nm=tau_all[:, res_idx].copy(), status=status, kkt_error=kkt,
        equality_error_nm=np.where(infeasible, np.nan, eq_err), saturated=act >= _SATURATED,
        reserve_optimal_force=opt, exponent=p, include_passive=bool(include_passive), method=method,
        time_s=capacity.time_s)
