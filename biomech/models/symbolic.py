"""Symbolic equations of motion of the planar skeleton (sympy, Kane's method): an oracle.

:class:`SymbolicModel` derives the inverse dynamics of a :class:`~biomech.models.skeleton.Skeleton`
with Kane's method, from the skeleton data alone (never from OpenSim), so that it can check the
OpenSim model built from the same skeleton.

The mechanical system is the planar tree of the skeleton's joints plus its patellae. A patella
adds no degree of freedom: its pose in the femur frame is a polynomial function of the knee
angle that drives it, so its mass and inertia load the knee (and every coordinate above it)
through the kinematics.

Kane's method with generalized speeds u = dq/dt (Kane & Levinson 1985, *Dynamics: Theory and
Applications*, ch. 6): for each body b with mass m_b, centre of mass r_b(q) and rotation
theta_b(q) about z, the partial velocities are v_b,r = d r_b / d q_r and the partial angular
velocities w_b,r = d theta_b / d q_r (times z). With gravity g the only applied force, the
generalized active and inertia forces are

    F_r  = sum_b m_b g . v_b,r
    F*_r = -sum_b (m_b a_b . v_b,r + Izz_b alpha_b w_b,r)

(the gyroscopic term w x (I w) vanishes: w is along z, a principal axis of every body), and the
generalized forces that produce the motion are tau_r = -(F_r + F*_r) = M(q) qdd + C(q, qd) - G(q).
Two engines give these equations: ``"explicit"`` (default) forms F_r and F*_r directly with
planar kinematics in ground components (2-3 s), ``"kanes_method"`` uses
:class:`sympy.physics.mechanics.KanesMethod` on the same kinematics (about 6 s; a
cross-check of the explicit formulation).

Conventions (as in :mod:`biomech.models.skeleton`): all rotations about z, motion in the x-y
plane (z offsets do not enter the in-plane dynamics), gravity ``skeleton.gravity_m_s2`` along
the ground y axis. Lengths in m, masses in kg, inertias in kg m^2, angles in rad, generalized
forces in N m (rotational coordinates) or N (translational coordinates).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import sympy as sp
from sympy.physics import mechanics as me

from biomech.models.skeleton import Joint, Skeleton

__all__ = ["frames_array", "SymbolicModel", "frame_kinematics"]

Engine = Literal["explicit", "kanes_method"]


def frames_array(x: np.ndarray, n_coords: int, what: str) -> np.ndarray:
    """``x`` as a float array of shape (n_frames, n_coords); one frame may be given as 1-D."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != n_coords:
        raise ValueError(f"{what}: expected shape (n_frames, {n_coords}), got {x.shape}")
    return x


def _poly(coefs_ascending: Sequence[float], x: sp.Expr) -> sp.Expr:
    """Polynomial with ascending coefficients, evaluated symbolically at ``x``."""
    return sp.Add(*(sp.Float(c) * x**k for k, c in enumerate(coefs_ascending)))


def _rot(theta: sp.Expr) -> sp.Matrix:
    """2-D rotation matrix (ground components of a frame turned by ``theta`` about z)."""
    c, s = sp.cos(theta), sp.sin(theta)
    return sp.Matrix([[c, -s], [s, c]])


def _ordered_joints(skeleton: Skeleton) -> list[Joint]:
    """Joints sorted so that every parent body is placed before its children."""
    placed = {"ground"}
    pending = list(skeleton.joints)
    ordered: list[Joint] = []
    while pending:
        ready = [j for j in pending if j.parent in placed]
        if not ready:
            names = ", ".join(j.name for j in pending)
            raise ValueError(f"joints not connected to ground: {names}")
        for j in ready:
            ordered.append(j)
            placed.add(j.child)
            pending.remove(j)
    return ordered


def frame_kinematics(skeleton: Skeleton, q: dict[str, sp.Symbol]
                     ) -> tuple[dict[str, sp.Matrix], dict[str, sp.Expr]]:
    """Exact planar pose of every body frame of a skeleton, as sympy expressions.

    Parameters
    ----------
    skeleton : the planar skeleton (SI units)
    q : coordinate name -> sympy symbol (or expression), for every independent coordinate
        (rad or m); patellae follow the coordinate that drives them

    Returns
    -------
    origin : dict
        body name (and ``"ground"``) -> origin of the body frame in ground, 2x1 Matrix (x, y), m
    theta : dict
        body name (and ``"ground"``) -> rotation of the body frame about ground z, rad

    Raises
    ------
    ValueError
        joints or patellae not connected to ground, an unknown joint kind, or a body that no
        joint or patella places.
    """
    origin: dict[str, sp.Matrix] = {"ground": sp.zeros(2, 1)}
    theta: dict[str, sp.Expr] = {"ground": sp.S.Zero}

    def place(child: str, parent: str, angle: sp.Expr, offset: sp.Matrix) -> None:
        # offset: child origin in the parent frame (x, y components)
        origin[child] = origin[parent] + _rot(theta[parent]) * offset
        theta[child] = theta[parent] + angle

    for j in _ordered_joints(skeleton):
        loc = sp.Matrix([sp.Float(j.location_m[0]), sp.Float(j.location_m[1])])
        if j.kind == "planar":
            rz, tx, ty = (q[c] for c in j.coordinates)
            # translation in the parent frame, then rotation about z
            place(j.child, j.parent, rz, loc + sp.Matrix([tx, ty]))
        elif j.kind == "pin":
            place(j.child, j.parent, j.axis_sign * q[j.coordinates[0]], loc)
        elif j.kind == "custom":
            qj = q[j.coordinates[0]]
            shift = sp.Matrix([_poly(j.tx_poly, qj), _poly(j.ty_poly, qj)])
            place(j.child, j.parent, j.axis_sign * qj, loc + shift)
        else:
            raise ValueError(f"joint {j.name}: unknown kind {j.kind!r}")
    for p in skeleton.patellae:
        if p.parent not in theta:
            raise ValueError(f"patella {p.body}: parent {p.parent} is not in the tree")
        qk = q[p.driver]
        loc = sp.Matrix([sp.Float(p.location_m[0]), sp.Float(p.location_m[1])])
        shift = sp.Matrix([_poly(p.tx_poly, qk), _poly(p.ty_poly, qk)])
        place(p.body, p.parent, _poly(p.rotation_poly, qk), loc + shift)
    for b in skeleton.bodies:
        if b.name not in theta:
            raise ValueError(f"body {b.name} is not attached by any joint or patella")
    return origin, theta


def _explicit_kane(skeleton: Skeleton, q: Sequence[sp.Symbol], qd: Sequence[sp.Symbol],
                   qdd: Sequence[sp.Symbol], com: dict[str, sp.Matrix],
                   theta: dict[str, sp.Expr]) -> tuple[sp.Matrix, sp.Matrix]:
    """tau = -(F_r + F*_r) and the mass matrix, from planar partial velocities."""
    n = len(q)
    qv, qdv, qddv = sp.Matrix(q), sp.Matrix(qd), sp.Matrix(qdd)
    gravity = sp.Matrix([0, sp.Float(skeleton.gravity_m_s2)])
    tau = sp.zeros(n, 1)
    mass = sp.zeros(n, n)
    for b in skeleton.bodies:
        m, izz = sp.Float(b.mass_kg), sp.Float(b.inertia_kg_m2[2])
        jv = com[b.name].jacobian(qv)                           # partial velocities (2 x n)
        jw = sp.Matrix([[theta[b.name].diff(s) for s in q]])    # partial angular velocities
        v = jv * qdv
        w = jw * qdv
        acc = jv * qddv + v.jacobian(qv) * qdv                  # d/dt (J qd)
        alpha = jw * qddv + w.jacobian(qv) * qdv
        tau += jv.T * (m * (acc - gravity)) + jw.T * (izz * alpha)
        mass += m * jv.T * jv + izz * jw.T * jw
    return tau, mass


def _kanes_method(skeleton: Skeleton, q: Sequence[sp.Symbol], qd: Sequence[sp.Symbol],
                  qdd: Sequence[sp.Symbol], com: dict[str, sp.Matrix],
                  theta: dict[str, sp.Expr]) -> tuple[sp.Matrix, sp.Matrix]:
    """tau = -(F_r + F*_r) and the mass matrix from :class:`sympy.physics.mechanics.KanesMethod`."""
    t = me.dynamicsymbols._t
    qt = me.dynamicsymbols([f"q{i}" for i in range(len(q))])
    ut = me.dynamicsymbols([f"u{i}" for i in range(len(q))])
    to_t = dict(zip(q, qt, strict=True))
    qdot_to_u = {a.diff(t): b for a, b in zip(qt, ut, strict=True)}
    ground = me.ReferenceFrame("ground")
    origin = me.Point("ground_origin")
    origin.set_vel(ground, 0)
    bodies, loads = [], []
    for b in skeleton.bodies:
        th = theta[b.name].xreplace(to_t)
        frame = ground.orientnew(b.name, "Axis", (th, ground.z))
        frame.set_ang_vel(ground, th.diff(t).subs(qdot_to_u) * ground.z)
        x, y = (e.xreplace(to_t) for e in com[b.name])
        point = origin.locatenew(f"{b.name}_com", x * ground.x + y * ground.y)
        point.set_vel(ground, (x.diff(t) * ground.x + y.diff(t) * ground.y).subs(qdot_to_u))
        inertia = me.inertia(frame, *b.inertia_kg_m2)
        bodies.append(me.RigidBody(b.name, point, frame, b.mass_kg, (inertia, point)))
        loads.append((point, b.mass_kg * skeleton.gravity_m_s2 * ground.y))
    kane = me.KanesMethod(ground, q_ind=qt, u_ind=ut,
                          kd_eqs=[a.diff(t) - b for a, b in zip(qt, ut, strict=True)])
    fr, frstar = kane.kanes_equations(bodies, loads)
    to_plain = {}
    for qi_t, ui_t, qi, qdi, qddi in zip(qt, ut, q, qd, qdd, strict=True):
        to_plain[ui_t.diff(t)] = qddi
        to_plain[ui_t] = qdi
        to_plain[qi_t] = qi
    # Kane: F_r + F*_r + tau_r = 0 with tau the generalized forces applied at the coordinates
    return me.msubs(-(fr + frstar), to_plain), me.msubs(kane.mass_matrix, to_plain)


@dataclass(frozen=True, eq=False)
class SymbolicModel:
    """Planar equations of motion of a skeleton, derived with Kane's method.

    Build with :meth:`from_skeleton`. Arrays passed to and returned by the numeric methods have
    shape (n_frames, n_coordinates), columns in :attr:`coordinates` order
    (``skeleton.independent_coordinates``).

    Attributes
    ----------
    coordinates : names of the independent coordinates (rad or m)
    q, qd, qdd : sympy symbols of coordinates, speeds and accelerations, :attr:`coordinates` order
    tau : generalized forces M(q) qdd + C(q, qd) - G(q) (N m or N), column Matrix
    mass_matrix : M(q) (kg m^2 for rotation-rotation entries, kg m mixed, kg translation)
    origins : origin of each body frame in ground, (x, y) expressions in m
    angles : rotation of each body frame about ground z, expressions in rad
    """

    coordinates: tuple[str, ...]
    q: tuple[sp.Symbol, ...]
    qd: tuple[sp.Symbol, ...]
    qdd: tuple[sp.Symbol, ...]
    tau: sp.Matrix
    mass_matrix: sp.Matrix
    origins: dict[str, tuple[sp.Expr, sp.Expr]]
    angles: dict[str, sp.Expr]
    _tau_fn: Callable[..., list]
    _pose_fn: Callable[..., list]

    @classmethod
    def from_skeleton(cls, skeleton: Skeleton, *, engine: Engine = "explicit") -> SymbolicModel:
        """Derive the equations of motion of ``skeleton`` (bodies, joints and patellae).

        Parameters
        ----------
        skeleton : the planar skeleton (SI units), e.g. from :func:`biomech.models.skeleton`
        engine : ``"explicit"`` forms Kane's generalized active and inertia forces directly
            (fast); ``"kanes_method"`` uses :class:`sympy.physics.mechanics.KanesMethod`

        Returns
        -------
        SymbolicModel
            with the generalized forces lambdified (numpy backend, common subexpressions
            eliminated). Nothing is cached on disk.
        """
        names = skeleton.independent_coordinates
        q = tuple(sp.Symbol(f"q_{n}") for n in names)
        qd = tuple(sp.Symbol(f"qd_{n}") for n in names)
        qdd = tuple(sp.Symbol(f"qdd_{n}") for n in names)
        origin, theta = frame_kinematics(skeleton, dict(zip(names, q, strict=True)))
        com = {b.name: origin[b.name] + _rot(theta[b.name]) * sp.Matrix(b.com_m[:2])
               for b in skeleton.bodies}
        if engine == "explicit":
            tau, mass = _explicit_kane(skeleton, q, qd, qdd, com, theta)
        elif engine == "kanes_method":
            tau, mass = _kanes_method(skeleton, q, qd, qdd, com, theta)
        else:
            raise ValueError(f"engine: got {engine!r}; expected 'explicit' or 'kanes_method'")

        bodies = [b.name for b in skeleton.bodies]
        origins = {n: (origin[n][0], origin[n][1]) for n in bodies}
        angles = {n: theta[n] for n in bodies}
        tau_fn = sp.lambdify([*q, *qd, *qdd], list(tau), modules="numpy", cse=True)
        pose = [e for n in bodies for e in (*origins[n], angles[n])]
        pose_fn = sp.lambdify(list(q), pose, modules="numpy", cse=True)
        return cls(tuple(names), q, qd, qdd, tau, mass, origins, angles, tau_fn, pose_fn)

    def _frames(self, x: np.ndarray, what: str) -> np.ndarray:
        return frames_array(x, len(self.coordinates), what)

    @staticmethod
    def _stack(values: list, n: int) -> np.ndarray:
        # a constant entry comes back from the lambdified function as a scalar
        return np.stack([np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in values],
                        axis=1)

    def inverse_dynamics(self, q: np.ndarray, qd: np.ndarray, qdd: np.ndarray) -> np.ndarray:
        """Generalized forces that produce the given motion under gravity alone.

        Parameters
        ----------
        q, qd, qdd : coordinates (rad or m), speeds (rad/s or m/s) and accelerations
            (rad/s^2 or m/s^2), shape (n_frames, n_coordinates) in :attr:`coordinates` order

        Returns
        -------
        numpy.ndarray
            tau = M(q) qdd + C(q, qd) - G(q), shape (n_frames, n_coordinates): N m for
            rotational and N for translational coordinates.
        """
        q, qd, qdd = (self._frames(x, w) for x, w in ((q, "q"), (qd, "qd"), (qdd, "qdd")))
        if not q.shape[0] == qd.shape[0] == qdd.shape[0]:
            raise ValueError(f"q, qd, qdd have different numbers of frames: "
                             f"{q.shape[0]}, {qd.shape[0]}, {qdd.shape[0]}")
        return self._stack(self._tau_fn(*q.T, *qd.T, *qdd.T), q.shape[0])

    def body_poses(self, q: np.ndarray) -> dict[str, np.ndarray]:
        """Pose of every body frame in ground.

        Parameters
        ----------
        q : coordinates (rad or m), shape (n_frames, n_coordinates)

        Returns
        -------
        dict
            body name -> array (n_frames, 3): origin x (m), origin y (m), rotation about z (rad).
        """
        q = self._frames(q, "q")
        flat = self._stack(self._pose_fn(*q.T), q.shape[0])
        return {name: flat[:, 3 * i:3 * i + 3] for i, name in enumerate(self.angles)}
