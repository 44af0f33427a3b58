"""Swing-foot clearance: the smoothest joint-angle correction that keeps chosen foot points
above the ground.

A synthesised swing joins the stance angles and velocities at toe-off and touchdown through
published key points (:func:`biomech.gait.synthesis.swing_path`). Nothing in that construction
stops the swing foot from passing through the ground (e.g. a backward stride whose stance ends
with the knee still extending fast). Feet cannot do that, so where it happens the swing gets the
correction computed here: per joint a cubic B-spline over the swing that

* is zero, with zero velocity, at toe-off and at touchdown (the stance boundary states stay);
* is zero at each joint's key point, with zero velocity there if the key point is a peak (the
  published peak angle and its timing stay);
* lifts every point to at least its floor (``floor_m``);
* keeps each joint inside a given range (in the synthesis: the range the joint already spans
  over the stride, so the correction makes no new extreme) (linearised: height + Jacobian x correction);
* and among those has the least integral of squared angular acceleration, summed over the
  joints (the same measure the swing itself minimises).

It is a small convex quadratic programme (SLSQP). The heights are linear in the correction only
to first order, so a caller iterates (re-evaluate heights and Jacobian, add the next correction).

Units: rad, m; swing time as the fraction ``tau`` of the swing in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.interpolate import BSpline
from scipy.optimize import minimize

from biomech.errors import BiomechError

#: Height band (m) above the floor within which a sample's clearance enters the
#: programme as a constraint; higher samples cannot reach the ground within one linearised step.
_ACTIVE_BAND_M = 0.10


def _basis(n_segments: int, degree: int = 3) -> tuple[np.ndarray, int]:
    """Clamped knot vector on [0, 1] and the number of its B-spline basis functions."""
    inner = np.linspace(0.0, 1.0, n_segments + 1)
    knots = np.concatenate([np.zeros(degree), inner, np.ones(degree)])
    return knots, knots.size - degree - 1


def _design(x: np.ndarray, knots: np.ndarray, n_basis: int, derivative: int, degree: int = 3
            ) -> np.ndarray:
    """(len(x), n_basis) values (or derivatives) of each basis function at ``x``."""
    out = np.empty((x.size, n_basis))
    for i in range(n_basis):
        c = np.zeros(n_basis)
        c[i] = 1.0
        spline = BSpline(knots, c, degree, extrapolate=False)
        out[:, i] = np.nan_to_num(spline.derivative(derivative)(x) if derivative else spline(x))
    return out


def clearance_correction(tau: np.ndarray, height_m: np.ndarray, jacobian_m_rad: np.ndarray,
                         keys: Sequence[tuple[float, bool]], *,
                         floor_m: float | np.ndarray = 0.0, angle_rad: np.ndarray | None = None,
                         range_rad: np.ndarray | None = None, n_segments: int = 16) -> np.ndarray:
    """Joint-angle correction (rad) of a swing that lifts foot points to ``floor_m``.

    Parameters
    ----------
    tau : (n,) swing fraction of each sample, in (0, 1)
    height_m : (n, p) height above the ground of p foot points at each sample (m)
    jacobian_m_rad : (n, p, j) derivative of each height with respect to each of j joint angles
        (m/rad), the rest of the body following as it does in the caller's motion
    keys : per joint, (swing fraction of its key point, whether the key point is a peak)
    floor_m : lowest height each point may have at each sample (m): scalar or (n, p)
    angle_rad, range_rad : the joint angles at the samples, (n, j), and per joint the range
        (j, 2: lowest, highest; rad) the corrected angles must stay in; both or neither
    n_segments : B-spline segments over the swing

    Returns
    -------
    numpy.ndarray
        (n, j) correction to add to the joint angles (rad); zeros if every point already clears.

    Raises
    ------
    BiomechError
        if no correction of this form satisfies the constraints (the programme fails).
    """
    tau = np.asarray(tau, dtype=float)
    height_m = np.asarray(height_m, dtype=float)
    jac = np.asarray(jacobian_m_rad, dtype=float)
    n, p = height_m.shape
    n_joints = jac.shape[2]
    if tau.shape != (n,) or jac.shape[:2] != (n, p) or len(keys) != n_joints:
        raise BiomechError(f"clearance_correction: shapes tau {tau.shape}, height {height_m.shape}, "
                           f"jacobian {jac.shape} and {len(keys)} keys do not agree")
    floor = np.broadcast_to(np.asarray(floor_m, dtype=float), (n, p))
    if np.all(height_m >= floor):
        return np.zeros((n, n_joints))
    knots, nb = _basis(n_segments)
    keep = np.arange(2, nb - 2)               # zero value and slope at toe-off and touchdown
    m = keep.size
    b_val = _design(np.clip(tau, 0.0, 1.0), knots, nb, 0)[:, keep]
    # objective: integral over the swing of the squared second derivative (Gauss-Legendre, exact
    # for the piecewise-linear second derivative of a cubic)
    nodes, weights = np.polynomial.legendre.leggauss(3)
    edges = np.linspace(0.0, 1.0, n_segments + 1)
    h = np.diff(edges)
    xq = (edges[:-1, None] + 0.5 * h[:, None] * (nodes[None, :] + 1.0)).ravel()
    wq = (0.5 * h[:, None] * weights[None, :]).ravel()
    b_acc = _design(xq, knots, nb, 2)[:, keep]
    h_one = b_acc.T @ (wq[:, None] * b_acc)
    hess = np.kron(np.eye(n_joints), h_one)
    scale = float(np.max(np.diag(hess)))
    hess /= scale
    # equality: zero at each key point (and zero slope at a peak)
    eq_rows = []
    for j, (fraction, peak) in enumerate(keys):
        for d in ((0, 1) if peak else (0,)):
            row = np.zeros(n_joints * m)
            row[j * m:(j + 1) * m] = _design(np.array([fraction]), knots, nb, d)[0, keep]
            eq_rows.append(row)
    a_eq = np.array(eq_rows)
    # inequality: height + J (B c) >= floor at the samples near the ground
    rows, rhs = [], []
    for k in range(p):
        near = height_m[:, k] < floor[:, k] + _ACTIVE_BAND_M
        block = np.concatenate([jac[near, k, j, None] * b_val[near] for j in range(n_joints)], axis=1)
        rows.append(block)
        rhs.append(floor[near, k] - height_m[near, k])
    if (angle_rad is None) != (range_rad is None):
        raise BiomechError("clearance_correction: give both angle_rad and range_rad, or neither")
    if angle_rad is not None:
        angle = np.asarray(angle_rad, dtype=float)
        rng = np.asarray(range_rad, dtype=float)
        for j in range(n_joints):
            sel = np.zeros((n, n_joints * m))
            sel[:, j * m:(j + 1) * m] = b_val
            rows += [sel, -sel]
            rhs += [rng[j, 0] - angle[:, j], angle[:, j] - rng[j, 1]]
    a_in, b_in = np.vstack(rows), np.concatenate(rhs)
    res = minimize(lambda c: 0.5 * c @ hess @ c, np.zeros(n_joints * m), jac=lambda c: hess @ c,
                   method="SLSQP",
                   constraints=[{"type": "eq", "fun": lambda c: a_eq @ c, "jac": lambda c: a_eq},
                                {"type": "ineq", "fun": lambda c: a_in @ c - b_in, "jac": lambda c: a_in}],
                   options={"maxiter": 500, "ftol": 1e-12})
    if not res.success or np.min(a_in @ res.x - b_in) < -1e-6 or np.max(np.abs(a_eq @ res.x)) > 1e-8:
        raise BiomechError(f"swing clearance: no smooth joint correction lifts the foot "
                           f"({res.message})")
    coef = res.x.reshape(n_joints, m)
    return b_val @ coef.T
