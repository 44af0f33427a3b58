"""Kinematic queries on a built model: moment arms, muscle-tendon lengths, centre of mass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from biomech.osim import drain_log, osim


def _coupled_follow(model: osim.Model, state: osim.State) -> None:
    """Satisfy CoordinateCouplerConstraints (e.g. the patella follows the knee)."""
    model.assemble(state)


def set_pose(model: osim.Model, state: osim.State, pose: Mapping[str, float]) -> None:
    """Set coordinate values (rad or m) and enforce the model's constraints."""
    cs = model.getCoordinateSet()
    for name, value in pose.items():
        cs.get(name).setValue(state, float(value), False)
    _coupled_follow(model, state)
    model.realizePosition(state)


def moment_arms(model: osim.Model, muscle: str, coordinate: str, values: Sequence[float],
                pose: Mapping[str, float] | None = None) -> np.ndarray:
    """Moment arm (m) of ``muscle`` about ``coordinate`` at each value (rad) of that coordinate.

    Sign follows OpenSim: positive when muscle tension accelerates the coordinate positively.
    Coupled coordinates (the patella) follow through the model's constraints.
    """
    state = model.initSystem()
    mus = model.getMuscles().get(muscle)
    coord = model.getCoordinateSet().get(coordinate)
    out = np.empty(len(values))
    for i, v in enumerate(values):
        set_pose(model, state, {**(pose or {}), coordinate: v})
        out[i] = mus.getGeometryPath().computeMomentArm(state, coord)
    drain_log()
    return out


def mtu_lengths(model: osim.Model, muscle: str, coordinate: str, values: Sequence[float],
                pose: Mapping[str, float] | None = None) -> np.ndarray:
    """Muscle-tendon length (m) of ``muscle`` at each value of ``coordinate``."""
    state = model.initSystem()
    mus = model.getMuscles().get(muscle)
    out = np.empty(len(values))
    for i, v in enumerate(values):
        set_pose(model, state, {**(pose or {}), coordinate: v})
        out[i] = mus.getLength(state)
    return out


def com_position(model: osim.Model, pose: Mapping[str, float] | None = None) -> np.ndarray:
    """Whole-body centre of mass (m, ground frame) at ``pose`` (defaults elsewhere)."""
    state = model.initSystem()
    set_pose(model, state, pose or {})
    p = model.calcMassCenterPosition(state)
    return np.array([p.get(0), p.get(1), p.get(2)])


def body_origin(model: osim.Model, body: str, pose: Mapping[str, float] | None = None) -> np.ndarray:
    """Origin of ``body``'s frame in ground (m) at ``pose``."""
    state = model.initSystem()
    set_pose(model, state, pose or {})
    p = model.getBodySet().get(body).getPositionInGround(state)
    return np.array([p.get(0), p.get(1), p.get(2)])


def body_origins(model: osim.Model, coordinate_names: Sequence[str], q: np.ndarray,
                 bodies: Sequence[str]) -> np.ndarray:
    """Origins of ``bodies`` in ground (m) at every frame of ``q`` (rad or m; columns in
    ``coordinate_names``; coupled coordinates follow their constraints): shape (n_frames,
    n_bodies, 3)."""
    state = model.initSystem()
    body_set = model.getBodySet()
    q = np.atleast_2d(np.asarray(q, dtype=float))
    out = np.empty((q.shape[0], len(bodies), 3))
    for k, row in enumerate(q):
        set_pose(model, state, dict(zip(coordinate_names, row, strict=True)))
        for j, body in enumerate(bodies):
            out[k, j] = body_set.get(body).getPositionInGround(state).to_numpy()
    drain_log()
    return out
