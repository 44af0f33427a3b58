"""Inverse dynamics in memory with ``opensim.InverseDynamicsSolver``: a thin layer, no science.

:func:`inverse_dynamics` returns the generalized forces of a model's independent coordinates,
in the order asked for. OpenSim returns them in *mobility* order (the order of the multibody
tree, e.g. hip_r, hip_l, knee_r, ...), not in CoordinateSet order; the mapping is found once per
call by giving every coordinate a distinct speed and reading where it lands in the state's U.
Coordinates driven by a ``CoordinateCouplerConstraint`` (e.g. the patella following the knee)
are filled in from their coupling function, and their generalized force is projected onto the
coordinates that drive them. External loads (:class:`ExternalLoad`, e.g. a ground reaction force
at the centre of pressure) are applied per frame.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from biomech.osim import drain_log, osim

__all__ = ["ExternalLoad", "inverse_dynamics", "independent_coordinates"]


def _xyz(x: np.ndarray | Sequence[float], what: str) -> np.ndarray:
    a = np.array(x, dtype=float)  # a copy: the load does not change with the caller's array
    if a.ndim not in (1, 2) or a.shape[-1] != 3:
        raise ValueError(f"ExternalLoad.{what}: expected shape (3,) or (n_frames, 3), got {a.shape}")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ExternalLoad:
    """A load applied to one body, frame by frame, everything in ground components.

    Parameters
    ----------
    body : name of the body the load acts on (e.g. ``"calcn_r"``)
    force_n : force (N), shape (n_frames, 3), or (3,) for the same force in every frame
    point_m : point of application of the force in ground (m), e.g. the centre of pressure;
        shape (n_frames, 3) or (3,). The body need not contain the point: the force acts on
        the body as if rigidly attached to it there.
    torque_nm : free moment (N m), a pure couple, shape (n_frames, 3) or (3,); default zero

    Notes
    -----
    Arrays are copied and made read-only. In a planar model only the force's x and y
    components, the torque's z component and the point's x and y coordinates do work.
    """

    body: str
    force_n: np.ndarray
    point_m: np.ndarray
    torque_nm: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def __post_init__(self) -> None:
        if not isinstance(self.body, str) or not self.body:
            raise ValueError(f"ExternalLoad.body: expected a body name, got {self.body!r}")
        for name in ("force_n", "point_m", "torque_nm"):
            object.__setattr__(self, name, _xyz(getattr(self, name), name))

    def per_frame(self, n_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Force (N), point (m) and torque (N m), each of shape (n_frames, 3)."""
        out = []
        for name in ("force_n", "point_m", "torque_nm"):
            a = getattr(self, name)
            if a.ndim == 2 and a.shape[0] != n_frames:
                raise ValueError(f"external load on {self.body}: {name} has {a.shape[0]} frames, "
                                 f"the motion {n_frames}")
            out.append(np.broadcast_to(a, (n_frames, 3)))
        return out[0], out[1], out[2]


@dataclass(frozen=True)
class _Coupler:
    """q_dep = scale * f(q_ind[0], q_ind[1], ...), as in OpenSim's CoordinateCouplerConstraint."""

    dependent: str
    independent: tuple[str, ...]
    function: osim.Function
    scale: float

    @functools.cached_property
    def _components(self) -> dict[tuple[int, ...], osim.StdVectorInt]:
        """The derivative-component lists OpenSim's Function takes, built once (SWIG objects)."""
        n = len(self.independent)
        out = {}
        for key in [(i,) for i in range(n)] + [(i, j) for i in range(n) for j in range(n)]:
            idx = osim.StdVectorInt()
            for c in key:
                idx.append(c)
            out[key] = idx
        return out

    def _derivative(self, components: tuple[int, ...], x: osim.Vector) -> float:
        return self.scale * self.function.calcDerivative(self._components[components], x)

    def evaluate(self, x: np.ndarray, xd: np.ndarray, xdd: np.ndarray
                 ) -> tuple[float, float, float, np.ndarray]:
        """Value, speed and acceleration of the dependent coordinate, and its gradient."""
        xv = osim.Vector.createFromMat(np.ascontiguousarray(x, dtype=float))
        n = len(self.independent)
        value = self.scale * self.function.calcValue(xv)
        grad = np.array([self._derivative((i,), xv) for i in range(n)])
        hess = np.array([[self._derivative((i, j), xv) for j in range(n)] for i in range(n)])
        return value, float(grad @ xd), float(grad @ xdd + xd @ hess @ xd), grad

    @functools.cached_property
    def _polynomial(self) -> np.ndarray | None:
        """Ascending coefficients of the function if it is a LinearFunction or PolynomialFunction
        of one coordinate (the patella couplers), else None."""
        if len(self.independent) != 1:
            return None
        linear = osim.LinearFunction.safeDownCast(self.function)
        if linear is not None:
            return np.array([linear.getIntercept(), linear.getSlope()])
        poly = osim.PolynomialFunction.safeDownCast(self.function)
        if poly is not None:
            return poly.getCoefficients().to_numpy()[::-1].copy()   # OpenSim: descending powers
        return None

    def trajectory(self, x: np.ndarray, xd: np.ndarray, xdd: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`evaluate` for every frame: ``x``, ``xd``, ``xdd`` of shape (n_frames,
        n_independent); returns value, speed and acceleration (n_frames,) and the gradient
        (n_frames, n_independent). Polynomials of one coordinate are evaluated in numpy, other
        functions through OpenSim frame by frame."""
        coefs = self._polynomial
        if coefs is None:
            rows = [self.evaluate(a, b, c) for a, b, c in zip(x, xd, xdd, strict=True)]
            value, speed, acc = (np.array([r[i] for r in rows]) for i in range(3))
            return value, speed, acc, np.array([r[3] for r in rows]).reshape(x.shape)
        p = np.polynomial.Polynomial(self.scale * coefs)
        s, sd, sdd = x[:, 0], xd[:, 0], xdd[:, 0]
        d1, d2 = p.deriv(1)(s), p.deriv(2)(s)
        return p(s), d1 * sd, d1 * sdd + d2 * sd * sd, d1[:, None]


def _couplers(model: osim.Model) -> list[_Coupler]:
    """The enforced coordinate couplers; any other enforced constraint is not supported."""
    out = []
    cs = model.getConstraintSet()
    for i in range(cs.getSize()):
        c = cs.get(i)
        if not c.get_isEnforced():
            continue
        cc = osim.CoordinateCouplerConstraint.safeDownCast(c)
        if cc is None:
            raise NotImplementedError(
                f"constraint {c.getName()} ({c.getConcreteClassName()}): only "
                "CoordinateCouplerConstraint is supported by inverse_dynamics")
        names = cc.getIndependentCoordinateNames()
        scale = float(cc.getPropertyByName("scale_factor").toString())
        out.append(_Coupler(cc.getDependentCoordinateName(),
                            tuple(names.get(k) for k in range(names.getSize())),
                            cc.getFunction(), scale))
    dependents = {c.dependent for c in out}
    for c in out:
        chained = dependents.intersection(c.independent)
        if chained:
            raise NotImplementedError(
                f"coupler of {c.dependent} is driven by coupled coordinate(s) {sorted(chained)}")
    return out


def independent_coordinates(model: osim.Model) -> list[str]:
    """Names of the model's coordinates that no enforced coordinate coupler drives.

    Parameters
    ----------
    model : an OpenSim model

    Returns
    -------
    list of str
        CoordinateSet order.
    """
    dependents = {c.dependent for c in _couplers(model)}
    cs = model.getCoordinateSet()
    return [cs.get(i).getName() for i in range(cs.getSize())
            if cs.get(i).getName() not in dependents]


def _mobility_index(model: osim.Model, state: osim.State, names: list[str]) -> dict[str, int]:
    """Index in the state's U (= Q here) of each coordinate, found by probing with its speed."""
    cs = model.getCoordinateSet()
    for n in names:
        cs.get(n).setSpeedValue(state, 0.0)
    for k, n in enumerate(names):
        cs.get(n).setSpeedValue(state, float(k + 1))
    u = state.getU().to_numpy()
    index = {}
    for k, n in enumerate(names):
        hits = np.flatnonzero(u == k + 1)
        if hits.size != 1:
            raise RuntimeError(f"coordinate {n}: cannot locate its mobility in the state")
        index[n] = int(hits[0])
    if state.getNQ() != state.getNU():
        raise NotImplementedError("models with nq != nu (quaternions, ball joints)")
    return index


def _frames(x: np.ndarray, n_coords: int, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != n_coords:
        raise ValueError(f"{what}: expected shape (n_frames, {n_coords}), got {x.shape}")
    return x


@dataclass(frozen=True)
class _BodyLoad:
    """An external load resolved on the model: body, mobilized-body index, per-frame arrays."""

    body: osim.Body
    mobod: int
    force: np.ndarray
    point: np.ndarray
    torque: np.ndarray


def _loads(model: osim.Model, external_loads: Mapping[str, ExternalLoad] | Sequence[ExternalLoad]
           | None, n_frames: int) -> list[_BodyLoad]:
    """Check the loads against the model and the number of frames."""
    if external_loads is None:
        return []
    items = list(external_loads.values() if isinstance(external_loads, Mapping) else external_loads)
    bodies = model.getBodySet()
    out = []
    for k, load in enumerate(items):
        if not isinstance(load, ExternalLoad):
            raise TypeError(f"external_loads[{k}]: expected an ExternalLoad, got {type(load).__name__}")
        if not bodies.contains(load.body):
            known = [bodies.get(i).getName() for i in range(bodies.getSize())]
            raise ValueError(f"external load on {load.body!r}: no such body; expected one of {known}")
        body = bodies.get(load.body)
        out.append(_BodyLoad(body, int(body.getMobilizedBodyIndex()), *load.per_frame(n_frames)))
    return out


def _load_generalized_forces(model: osim.Model, state: osim.State, loads: list[_BodyLoad],
                             frame: int) -> np.ndarray:
    """J^T of the loads' spatial forces at their body origins (mobility order, N m or N).

    ``state`` must be realised to the Position stage.
    """
    matter = model.getMatterSubsystem()
    jac = osim.Matrix()
    matter.calcSystemJacobian(state, jac)  # (6 n_mobilized_bodies) x nu
    spatial = np.zeros((jac.nrow() // 6, 2, 3))  # per mobilized body: (moment, force), ground
    for ld in loads:
        origin = ld.body.getPositionInGround(state).to_numpy()
        force = ld.force[frame]
        r = ld.point[frame] - origin
        spatial[ld.mobod, 0] += (r[1] * force[2] - r[2] * force[1], r[2] * force[0] - r[0] * force[2],
                                 r[0] * force[1] - r[1] * force[0])   # r x F (np.cross is slow here)
        spatial[ld.mobod, 0] += ld.torque[frame]
        spatial[ld.mobod, 1] += force
    return jac.to_numpy().T @ spatial.reshape(-1)


def coupled_trajectories(couplers, column_of: dict[str, int], q: np.ndarray, qd: np.ndarray,
                         qdd: np.ndarray) -> list[tuple[list[int], str, tuple[np.ndarray, ...]]]:
    """Value, speed, acceleration and gradient of every coupled coordinate over all frames
    (``q``, ``qd``, ``qdd``: (n_frames, n_independent) in ``column_of`` order); per coupler
    (independent columns, dependent name, (value, speed, acc, grad))."""
    out = []
    for c in couplers:
        k = [column_of[n] for n in c.independent]
        out.append((k, c.dependent, c.trajectory(q[:, k], qd[:, k], qdd[:, k])))
    return out


def fill_coupled(trajectories, index: dict[str, int], frame: int, big_q: np.ndarray,
                 big_u: np.ndarray, big_udot: np.ndarray) -> list[tuple[list[int], int, np.ndarray]]:
    """Set the dependent (coupled) coordinates' value, speed and acceleration of one frame in the
    mobility vectors from :func:`coupled_trajectories`; returns (independent columns, dependent
    index, gradient) per coupler, to project generalized forces back onto the independent
    coordinates."""
    grads = []
    for k, dependent, (value, speed, acc, grad) in trajectories:
        d = index[dependent]
        big_q[d], big_u[d], big_udot[d] = value[frame], speed[frame], acc[frame]
        grads.append((k, d, grad[frame]))
    return grads


def check_coordinate_names(model: osim.Model, names: list[str], dependents: set[str]) -> list[str]:
    """Check that ``names`` lists every independent coordinate of ``model`` once (no unknown or
    coupled ones); returns all the model's coordinate names. Raises a one-line ValueError."""
    cs = model.getCoordinateSet()
    all_names = [cs.get(i).getName() for i in range(cs.getSize())]
    independent = [n for n in all_names if n not in dependents]
    if len(set(names)) != len(names):
        raise ValueError(f"coordinate_names: repeated names in {names}")
    problems = []
    if unknown := sorted(set(names) - set(all_names)):
        problems.append(f"unknown {unknown}")
    if coupled := sorted(set(names) & dependents):
        problems.append(f"coupled (dependent) {coupled}")
    if missing := sorted(set(independent) - set(names)):
        problems.append(f"missing {missing}")
    if problems:
        raise ValueError("coordinate_names: " + "; ".join(problems))
    return all_names


def inverse_dynamics(model: osim.Model, coordinate_names: Sequence[str], q: np.ndarray,
                     qd: np.ndarray, qdd: np.ndarray, *,
                     external_loads: Mapping[str, ExternalLoad] | Sequence[ExternalLoad] | None = None
                     ) -> np.ndarray:
    """Generalized forces of the independent coordinates that produce a motion.

    Solved frame by frame with ``opensim.InverseDynamicsSolver.solve(state, udot)``. Gravity
    (the model's) acts; every force of the model's ForceSet (muscles, contact, ...) is switched
    off in the working copy of the state, so the result is the net generalized force of the
    joints, as from the InverseDynamicsTool with all model forces excluded. The model itself is
    not modified (its system is initialised if it has none).

    Coupled coordinates (``CoordinateCouplerConstraint``: q_dep = s f(q_ind)) are set from their
    drivers: value s f, speed s f' qd_ind, acceleration s (f' qdd_ind + f'' qd_ind^2). Their
    generalized force is projected onto the drivers, tau_ind += tau_dep s df/dq_ind, which is
    how a coupled body (the patella) loads the coordinate driving it.

    Parameters
    ----------
    model : OpenSim model
    coordinate_names : every independent coordinate of the model (no coupled coordinate), in
        the column order of ``q``, ``qd``, ``qdd`` and of the result
    q : coordinate values, shape (n_frames, n_coords): rad or m
    qd : coordinate speeds, same shape: rad/s or m/s
    qdd : coordinate accelerations, same shape: rad/s^2 or m/s^2
    external_loads : loads applied to the bodies in every frame, as a sequence of
        :class:`ExternalLoad` or a mapping of names (e.g. ``"grf_r"``; only for the caller) to
        them; None or empty for none. Each load is a force F at a point p and a free moment T
        (ground components); it is applied to its body as the spatial force
        (T + (p - o) x F, F) at the body origin o, and its generalized force J^T (T + ..., F)
        (J: the system Jacobian of the body origins) is subtracted from the solver's result,
        which keeps every force the two-argument solve applies (gravity) exactly as without
        loads. Several loads may act on one body.

    Returns
    -------
    numpy.ndarray
        shape (n_frames, n_coords), generalized forces in ``coordinate_names`` order: N m for
        rotational, N for translational coordinates. They are the forces the joints (and the
        residuals on the ground-pelvis joint) must add to gravity and the external loads.

    Raises
    ------
    ValueError
        unknown, repeated, missing or coupled coordinate names; array shapes that disagree;
        an external load on a body the model does not have (or on ground).
    TypeError
        ``external_loads`` holding something other than :class:`ExternalLoad`.
    NotImplementedError
        enforced constraints other than coordinate couplers.
    """
    names = list(coordinate_names)
    q, qd, qdd = (_frames(x, len(names), w) for x, w in ((q, "q"), (qd, "qd"), (qdd, "qdd")))
    if not q.shape[0] == qd.shape[0] == qdd.shape[0]:
        raise ValueError(f"q, qd, qdd have different numbers of frames: "
                         f"{q.shape[0]}, {qd.shape[0]}, {qdd.shape[0]}")

    couplers = _couplers(model)
    dependents = {c.dependent for c in couplers}
    all_names = check_coordinate_names(model, names, dependents)

    if not model.hasSystem():
        model.initSystem()
    loads = _loads(model, external_loads, q.shape[0])
    state = osim.State(model.getWorkingState())  # a copy: the model's state is left alone
    forces = model.getForceSet()
    for i in range(forces.getSize()):
        forces.get(i).setAppliesForce(state, False)
    index = _mobility_index(model, state, all_names)
    solver = osim.InverseDynamicsSolver(model)

    col = np.array([index[n] for n in names])
    column_of = {n: k for k, n in enumerate(names)}
    coupled = coupled_trajectories(couplers, column_of, q, qd, qdd)
    nu = state.getNU()
    out = np.empty_like(q)
    big_q, big_u, big_udot = np.zeros(nu), np.zeros(nu), np.zeros(nu)
    for f in range(q.shape[0]):
        big_q[col], big_u[col], big_udot[col] = q[f], qd[f], qdd[f]
        grads = fill_coupled(coupled, index, f, big_q, big_u, big_udot)
        state.setQ(osim.Vector.createFromMat(big_q))
        state.setU(osim.Vector.createFromMat(big_u))
        tau = solver.solve(state, osim.Vector.createFromMat(big_udot)).to_numpy()
        if loads:
            tau = tau - _load_generalized_forces(model, state, loads, f)
        out[f] = tau[col]
        for k, d, grad in grads:
            out[f, k] += tau[d] * grad
    drain_log()
    return out
