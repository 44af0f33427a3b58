"""Exact planar kinematics of the skeleton for gait synthesis: sympy derived, numpy evaluated.

:class:`PlanarKinematics` gives, for frames of coordinates q, speeds qd and accelerations qdd,
the whole-body centre of mass (COM) and its derivatives, the whole-body angular momentum about
the COM and its rate, and the position, velocity and acceleration of points fixed in a body.
Everything is exact (no finite differences): the pose of every body frame comes from
:func:`biomech.models.symbolic.frame_kinematics` (the same kinematics as the Kane's-method
oracle), and only three functions are lambdified,

* the pose p_b(q) = (x_b, y_b, theta_b) of every body frame (origin in ground, m; rotation, rad),
* its Jacobian J_b(q) = dp_b/dq,
* the velocity-product (bias) term d(J_b)/dt qd = sum_ij d^2 p_b/dq_i dq_j qd_i qd_j,

so that dp_b/dt = J_b qd and d^2p_b/dt^2 = J_b qdd + dJ_b/dt qd. A point with coordinates l in
body b (m, body frame) is at r = o_b + R(theta_b) l; with omega = dtheta_b/dt, alpha its rate and
perp(x, y) = (-y, x) (z cross, in the plane)::

    v = v_o + omega perp(R l)
    a = a_o + alpha perp(R l) - omega^2 R l

Whole-body quantities sum over every body of the skeleton, the patellae included (their pose is a
polynomial of the knee angle), so they are those of the whole OpenSim model built from the same
skeleton: COM r_c = sum m_b r_b / M, and the angular momentum about the COM (z component)::

    H   = sum_b [ Izz_b omega_b + m_b (r_b - r_c) x (v_b - v_c) ]
    H'  = sum_b [ Izz_b alpha_b + m_b (r_b - r_c) x (a_b - a_c) ]

(the term (v_b - v_c) x (v_b - v_c) of the derivative vanishes), with x the planar cross product
a_x b_y - a_y b_x.

Conventions (as in :mod:`biomech.models.skeleton`): motion in the ground x-y plane, rotations about
z; coordinates in ``skeleton.independent_coordinates`` order; arrays of shape (n_frames, n_coords)
(a 1-D array is one frame). SI units: m, rad, kg, s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from biomech.models.skeleton import Skeleton
from biomech.models.symbolic import frame_kinematics, frames_array

__all__ = ["PlanarKinematics"]

#: Coordinates of the ground-pelvis planar joint whose accelerations
#: :meth:`PlanarKinematics.com_offset_acceleration` leaves out.
PELVIS_TRANSLATIONS = ("pelvis_tx", "pelvis_ty")


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Planar cross product (z component) over the last axis: a_x b_y - a_y b_x."""
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _perp(a: np.ndarray) -> np.ndarray:
    """z x a for planar vectors over the last axis: (-a_y, a_x)."""
    return np.stack([-a[..., 1], a[..., 0]], axis=-1)


def _stack(values: list, n: int) -> np.ndarray:
    """(n, len(values)) from a lambdified list whose constant entries come back as scalars."""
    return np.stack([np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in values], axis=1)


@dataclass(frozen=True)
class _Motion:
    """Kinematics of points: positions (n, k, 2) and optional velocities/accelerations."""

    pos: np.ndarray
    vel: np.ndarray | None = None
    acc: np.ndarray | None = None
    omega: np.ndarray | None = None
    alpha: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class PlanarKinematics:
    """Exact planar kinematics of a skeleton, vectorised over frames.

    Build with :meth:`from_skeleton`. Arrays of coordinates (rad or m), speeds (rad/s or m/s) and
    accelerations (rad/s^2 or m/s^2) have shape (n_frames, n_coords), columns in
    :attr:`coordinates` order; a 1-D array is taken as one frame.

    Attributes
    ----------
    coordinates : independent coordinates (``skeleton.independent_coordinates``)
    bodies : every body of the skeleton, patellae (and toes, if any) included
    mass_kg : mass of each body (kg), :attr:`bodies` order
    com_local_m : centre of mass of each body in its frame, shape (n_bodies, 2), m
    izz_kg_m2 : moment of inertia of each body about its centre of mass and z, kg m^2
    total_mass_kg : whole-body mass (kg)
    gravity_m_s2 : gravitational acceleration along ground y (m/s^2, negative: downward)
    """

    coordinates: tuple[str, ...]
    bodies: tuple[str, ...]
    mass_kg: np.ndarray
    com_local_m: np.ndarray
    izz_kg_m2: np.ndarray
    total_mass_kg: float
    gravity_m_s2: float
    _pose_fn: Callable[..., list]
    _jac_fn: Callable[..., list]
    _bias_fn: Callable[..., list]

    @classmethod
    def from_skeleton(cls, skeleton: Skeleton) -> PlanarKinematics:
        """Derive the kinematics of ``skeleton`` (sympy) and lambdify it (numpy backend).

        Parameters
        ----------
        skeleton : the planar skeleton (SI units), e.g. from :func:`biomech.models.skeleton`

        Returns
        -------
        PlanarKinematics
            about 1 s to build for the default skeleton; nothing is cached on disk.
        """
        names = skeleton.independent_coordinates
        q = [sp.Symbol(f"q_{n}") for n in names]
        qd = [sp.Symbol(f"qd_{n}") for n in names]
        origin, theta = frame_kinematics(skeleton, dict(zip(names, q, strict=True)))
        bodies = tuple(b.name for b in skeleton.bodies)
        qv, qdv = sp.Matrix(q), sp.Matrix(qd)
        pose = sp.Matrix([e for b in bodies for e in (origin[b][0], origin[b][1], theta[b])])
        jac = pose.jacobian(qv)                   # (3 n_bodies) x n_coords
        bias = (jac * qdv).jacobian(qv) * qdv     # d(J)/dt qd
        pose_fn = sp.lambdify(q, list(pose), modules="numpy", cse=True)
        jac_fn = sp.lambdify(q, list(jac), modules="numpy", cse=True)
        bias_fn = sp.lambdify([*q, *qd], list(bias), modules="numpy", cse=True)
        return cls(
            coordinates=tuple(names),
            bodies=bodies,
            mass_kg=np.array([b.mass_kg for b in skeleton.bodies]),
            com_local_m=np.array([b.com_m[:2] for b in skeleton.bodies]),
            izz_kg_m2=np.array([b.inertia_kg_m2[2] for b in skeleton.bodies]),
            total_mass_kg=float(skeleton.total_mass_kg),
            gravity_m_s2=float(skeleton.gravity_m_s2),
            _pose_fn=pose_fn, _jac_fn=jac_fn, _bias_fn=bias_fn,
        )

    # ------------------------------------------------------------------ input checks

    def _frames(self, x: np.ndarray, what: str) -> np.ndarray:
        return frames_array(x, len(self.coordinates), what)

    def _inputs(self, **arrays: np.ndarray) -> list[np.ndarray]:
        out = [self._frames(x, what) for what, x in arrays.items()]
        counts = {what: x.shape[0] for what, x in zip(arrays, out, strict=True)}
        if len(set(counts.values())) > 1:
            raise ValueError(f"different numbers of frames: {counts}")
        return out

    def _body_index(self, body: str) -> int:
        try:
            return self.bodies.index(body)
        except ValueError:
            raise ValueError(f"body: got {body!r}; expected one of {list(self.bodies)}") from None

    @staticmethod
    def _local(local_xy: np.ndarray, n: int) -> np.ndarray:
        """(n, 1, 2) from local coordinates (2,), (3,), (n, 2) or (n, 3); z is dropped."""
        lp = np.asarray(local_xy, dtype=float)
        if lp.ndim not in (1, 2) or lp.shape[-1] not in (2, 3) or (lp.ndim == 2 and
                                                                   lp.shape[0] not in (1, n)):
            raise ValueError(f"local_xy: expected shape (2,) or ({n}, 2), got {lp.shape}")
        return np.broadcast_to(lp[..., :2].reshape(-1, 2), (n, 2))[:, None, :]

    # ------------------------------------------------------------------ body-frame kinematics

    def _pose(self, q: np.ndarray) -> np.ndarray:
        """(n, n_bodies, 3): origin x, y (m) and rotation (rad) of every body frame."""
        return _stack(self._pose_fn(*q.T), q.shape[0]).reshape(q.shape[0], len(self.bodies), 3)

    def _jac(self, q: np.ndarray) -> np.ndarray:
        """(n, n_bodies, 3, n_coords): Jacobian of the body-frame poses."""
        nc = len(self.coordinates)
        return _stack(self._jac_fn(*q.T), q.shape[0]).reshape(q.shape[0], len(self.bodies), 3, nc)

    def _bias(self, q: np.ndarray, qd: np.ndarray) -> np.ndarray:
        """(n, n_bodies, 3): dJ/dt qd of the body-frame poses."""
        return _stack(self._bias_fn(*q.T, *qd.T), q.shape[0]).reshape(q.shape[0], len(self.bodies), 3)

    def _points(self, q: np.ndarray, qd: np.ndarray | None, qdd: np.ndarray | None,
                idx: list[int] | slice, local: np.ndarray) -> _Motion:
        """Motion of points ``local`` (n, k, 2) fixed in bodies ``idx`` (k of them)."""
        pose = self._pose(q)[:, idx]
        c, s = np.cos(pose[..., 2]), np.sin(pose[..., 2])
        rl = np.stack([c * local[..., 0] - s * local[..., 1],
                       s * local[..., 0] + c * local[..., 1]], axis=-1)   # R(theta) l
        pos = pose[..., :2] + rl
        if qd is None:
            return _Motion(pos)
        jac = self._jac(q)[:, idx]
        dpose = np.einsum("nkic,nc->nki", jac, qd)
        omega = dpose[..., 2]
        vel = dpose[..., :2] + omega[..., None] * _perp(rl)
        if qdd is None:
            return _Motion(pos, vel, omega=omega)
        ddpose = np.einsum("nkic,nc->nki", jac, qdd) + self._bias(q, qd)[:, idx]
        alpha = ddpose[..., 2]
        acc = ddpose[..., :2] + alpha[..., None] * _perp(rl) - omega[..., None] ** 2 * rl
        return _Motion(pos, vel, acc, omega, alpha)

    def _body_coms(self, q: np.ndarray, qd: np.ndarray | None = None,
                   qdd: np.ndarray | None = None) -> _Motion:
        local = np.broadcast_to(self.com_local_m, (q.shape[0], *self.com_local_m.shape))
        return self._points(q, qd, qdd, slice(None), local)

    def _whole(self, x: np.ndarray) -> np.ndarray:
        """Mass-weighted mean over bodies: (n, n_bodies, 2) -> (n, 2)."""
        return np.einsum("b,nbi->ni", self.mass_kg, x) / self.total_mass_kg

    # ------------------------------------------------------------------ whole-body COM

    def com(self, q: np.ndarray) -> np.ndarray:
        """Whole-body centre of mass.

        Parameters
        ----------
        q : coordinates (rad or m), shape (n_frames, n_coords)

        Returns
        -------
        numpy.ndarray
            (n_frames, 2): x, y in ground (m).
        """
        (q,) = self._inputs(q=q)
        return self._whole(self._body_coms(q).pos)

    def com_velocity(self, q: np.ndarray, qd: np.ndarray) -> np.ndarray:
        """Whole-body centre-of-mass velocity, (n_frames, 2) in ground (m/s).

        Parameters
        ----------
        q, qd : coordinates (rad or m) and speeds (rad/s or m/s), shape (n_frames, n_coords)
        """
        q, qd = self._inputs(q=q, qd=qd)
        return self._whole(self._body_coms(q, qd).vel)

    def com_acceleration(self, q: np.ndarray, qd: np.ndarray, qdd: np.ndarray) -> np.ndarray:
        """Whole-body centre-of-mass acceleration J qdd + dJ/dt qd, (n_frames, 2) (m/s^2).

        Parameters
        ----------
        q, qd, qdd : coordinates (rad or m), speeds (rad/s or m/s) and accelerations
            (rad/s^2 or m/s^2), shape (n_frames, n_coords)
        """
        q, qd, qdd = self._inputs(q=q, qd=qd, qdd=qdd)
        return self._whole(self._body_coms(q, qd, qdd).acc)

    def com_offset_acceleration(self, q: np.ndarray, qd: np.ndarray, qdd: np.ndarray
                                ) -> np.ndarray:
        """Centre-of-mass acceleration with the pelvis translation accelerations set to zero.

        The COM is (pelvis_tx, pelvis_ty) + f(other coordinates), so
        ``com_acceleration = com_offset_acceleration + (qdd_pelvis_tx, qdd_pelvis_ty)``: to
        make the COM follow a planned acceleration a, set the pelvis translation accelerations
        to a - com_offset_acceleration (the values given for them in ``qdd`` are ignored).

        Parameters
        ----------
        q, qd, qdd : coordinates (rad or m), speeds (rad/s or m/s) and accelerations
            (rad/s^2 or m/s^2), shape (n_frames, n_coords)

        Returns
        -------
        numpy.ndarray
            (n_frames, 2) in ground (m/s^2).
        """
        q, qd, qdd = self._inputs(q=q, qd=qd, qdd=qdd)
        qdd = qdd.copy()
        for name in PELVIS_TRANSLATIONS:
            if name in self.coordinates:
                qdd[:, self.coordinates.index(name)] = 0.0
        return self._whole(self._body_coms(q, qd, qdd).acc)

    def com_jacobian(self, q: np.ndarray) -> np.ndarray:
        """d(COM)/dq, shape (n_frames, 2, n_coords): m/rad or m/m.

        Parameters
        ----------
        q : coordinates (rad or m), shape (n_frames, n_coords)
        """
        (q,) = self._inputs(q=q)
        local = np.broadcast_to(self.com_local_m, (q.shape[0], *self.com_local_m.shape))
        jac = self._point_jacobians(q, slice(None), local)
        return np.einsum("b,nbic->nic", self.mass_kg, jac) / self.total_mass_kg

    # ------------------------------------------------------------------ angular momentum

    def angular_momentum(self, q: np.ndarray, qd: np.ndarray) -> np.ndarray:
        """Whole-body angular momentum about the whole-body COM, z component (kg m^2/s).

        Parameters
        ----------
        q, qd : coordinates (rad or m) and speeds (rad/s or m/s), shape (n_frames, n_coords)

        Returns
        -------
        numpy.ndarray
            (n_frames,): sum_b [Izz_b omega_b + m_b (r_b - r_c) x (v_b - v_c)].
        """
        q, qd = self._inputs(q=q, qd=qd)
        m = self._body_coms(q, qd)
        rc, vc = self._whole(m.pos), self._whole(m.vel)
        orbital = _cross(m.pos - rc[:, None], m.vel - vc[:, None])
        return (orbital + (self.izz_kg_m2 / self.mass_kg) * m.omega) @ self.mass_kg

    def angular_momentum_rate(self, q: np.ndarray, qd: np.ndarray, qdd: np.ndarray) -> np.ndarray:
        """Exact time derivative of :meth:`angular_momentum` (N m), shape (n_frames,).

        Parameters
        ----------
        q, qd, qdd : coordinates (rad or m), speeds (rad/s or m/s) and accelerations
            (rad/s^2 or m/s^2), shape (n_frames, n_coords)

        Returns
        -------
        numpy.ndarray
            sum_b [Izz_b alpha_b + m_b (r_b - r_c) x (a_b - a_c)]: the net external moment
            about the whole-body COM (Euler's second law).
        """
        q, qd, qdd = self._inputs(q=q, qd=qd, qdd=qdd)
        m = self._body_coms(q, qd, qdd)
        rc, ac = self._whole(m.pos), self._whole(m.acc)
        orbital = _cross(m.pos - rc[:, None], m.acc - ac[:, None])
        return (orbital + (self.izz_kg_m2 / self.mass_kg) * m.alpha) @ self.mass_kg

    # ------------------------------------------------------------------ points and bodies

    def _point_jacobians(self, q: np.ndarray, idx: list[int] | slice, local: np.ndarray
                         ) -> np.ndarray:
        """(n, k, 2, n_coords): d r / dq of points ``local`` (n, k, 2) fixed in bodies idx."""
        pose = self._pose(q)[:, idx]
        c, s = np.cos(pose[..., 2]), np.sin(pose[..., 2])
        rl = np.stack([c * local[..., 0] - s * local[..., 1],
                       s * local[..., 0] + c * local[..., 1]], axis=-1)
        jac = self._jac(q)[:, idx]
        return jac[..., :2, :] + _perp(rl)[..., None] * jac[..., 2:3, :]

    def point(self, q: np.ndarray, body: str, local_xy: np.ndarray) -> np.ndarray:
        """Ground position of a point fixed in a body.

        Parameters
        ----------
        q : coordinates (rad or m), shape (n_frames, n_coords)
        body : body name (e.g. ``"calcn_r"``, ``"patella_l"``)
        local_xy : the point in the body frame (m), shape (2,) or (n_frames, 2); a third
            (z) component is accepted and ignored

        Returns
        -------
        numpy.ndarray
            (n_frames, 2): x, y in ground (m).
        """
        (q,) = self._inputs(q=q)
        k = self._body_index(body)
        return self._points(q, None, None, [k], self._local(local_xy, q.shape[0])).pos[:, 0]

    def point_velocity(self, q: np.ndarray, qd: np.ndarray, body: str, local_xy: np.ndarray
                       ) -> np.ndarray:
        """Ground velocity of a point fixed in a body, (n_frames, 2) (m/s).

        Parameters
        ----------
        q, qd : coordinates (rad or m) and speeds (rad/s or m/s), shape (n_frames, n_coords)
        body, local_xy : as in :meth:`point`
        """
        q, qd = self._inputs(q=q, qd=qd)
        k = self._body_index(body)
        return self._points(q, qd, None, [k], self._local(local_xy, q.shape[0])).vel[:, 0]

    def point_acceleration(self, q: np.ndarray, qd: np.ndarray, qdd: np.ndarray, body: str,
                           local_xy: np.ndarray) -> np.ndarray:
        """Ground acceleration of a point fixed in a body, (n_frames, 2) (m/s^2).

        Parameters
        ----------
        q, qd, qdd : coordinates (rad or m), speeds (rad/s or m/s) and accelerations
            (rad/s^2 or m/s^2), shape (n_frames, n_coords)
        body, local_xy : as in :meth:`point`
        """
        q, qd, qdd = self._inputs(q=q, qd=qd, qdd=qdd)
        k = self._body_index(body)
        return self._points(q, qd, qdd, [k], self._local(local_xy, q.shape[0])).acc[:, 0]

    def point_jacobian(self, q: np.ndarray, body: str, local_xy: np.ndarray) -> np.ndarray:
        """d(point)/dq of a point fixed in a body, (n_frames, 2, n_coords) (m/rad or m/m).

        The generalized force of a force F (N, ground x, y) applied at the point is
        ``J^T F`` (virtual work).

        Parameters
        ----------
        q : coordinates (rad or m), shape (n_frames, n_coords)
        body, local_xy : as in :meth:`point`
        """
        (q,) = self._inputs(q=q)
        k = self._body_index(body)
        return self._point_jacobians(q, [k], self._local(local_xy, q.shape[0]))[:, 0]

    def body_angle(self, q: np.ndarray, body: str) -> np.ndarray:
        """Absolute rotation of a body frame about ground z, (n_frames,) (rad, not wrapped).

        Parameters
        ----------
        q : coordinates (rad or m), shape (n_frames, n_coords)
        body : body name
        """
        (q,) = self._inputs(q=q)
        return self._pose(q)[:, self._body_index(body), 2]

    def body_angle_jacobian(self, q: np.ndarray, body: str) -> np.ndarray:
        """d(body angle)/dq, (n_frames, n_coords) (rad/rad or rad/m).

        The generalized force of a torque T (N m, about ground z) on the body is ``J^T T``.

        Parameters
        ----------
        q : coordinates (rad or m), shape (n_frames, n_coords)
        body : body name
        """
        (q,) = self._inputs(q=q)
        return self._jac(q)[:, self._body_index(body), 2]
