"""Static optimization with compliant tendons: tendon and fibre in equilibrium, iterated to a
fixed point.

Rigid-tendon static optimization (:mod:`biomech.muscles.static_optimization`) puts the whole
muscle-tendon (MTU) length change into the fibre. In running the Achilles tendon and the other
long tendons stretch and recoil by centimetres, so the rigid-tendon fibres shorten faster than
real ones (the plantarflexors at push-off even faster than their maximum velocity) and the
force-velocity curve takes force away that the muscles have. Here each iteration

1. takes the tendon force of every muscle from the previous solution (the rigid-tendon solution
   to start), and reads the tendon length from the De Groote et al. 2016 tendon curve
   (:class:`biomech.energetics.tendon.TendonCurve`);
2. puts the rest of the MTU length into the fibre, with OpenSim's constant-thickness pennation
   (``l_M sin(alpha) = l_opt sin(alpha_opt)``): ``l_M = sqrt((l_MT - l_T)^2 + (l_opt sin
   alpha_opt)^2)``;
3. differentiates the fibre length in time (after a zero-lag low-pass at ``cutoff_hz``, as
   kinematics are filtered before they are differentiated; a periodic record wraps around) for
   the fibre velocity;
4. evaluates the De Groote et al. 2016 active force-length, force-velocity and passive curves
   there (the curves of OpenSim's ``DeGrooteFregly2016Muscle``, checked against it in the tests)
   and solves static optimization again with these force capacities (moment arms depend on the
   MTU path only and do not change);
5. takes the next tendon forces by Anderson acceleration (Walker & Ni 2011, SIAM J Numer Anal
   49:1715; Type II over the current and up to ``history`` earlier iterates, mixing ``w``): the
   combination of these iterates whose change ``F_new - F_old`` is smallest in least squares,
   moved by ``w`` of its change; with one iterate, and with ``history=0``, the plain
   under-relaxed step ``(1 - w) F_old + w F_new``.

It stops when no tendon force changes by more than ``tolerance_n`` from one iteration to the
next: the solution is the fixed point (tendon on its curve carrying the muscle force) whatever
the steps that led there. The mixing ``w`` (default 0.3) is numerical: the fibre velocity depends
on the time derivative of the force the step before produced, so a full step can oscillate.
Measured 2026-11-26 on the default FR stride at 3 m/s (18 units per leg): the plain relaxed step
had not converged after 300 iterations (largest change 1.46 N; a slow oscillation of tibialis
posterior at push-off, whose 3.1 cm fibres sit on a 31 cm tendon), Aitken's dynamic relaxation
needed 92 iterations, Anderson acceleration 23-25 (history 5 or 10, mixing 0.3 or 0.5). Without
activation dynamics the solution cannot pre-stretch a tendon ahead of time the way MocoInverse
(:mod:`biomech.osim.moco_inverse`) does, so it is an equilibrium estimate, not an
optimal-control one.

Units: N, m, s; normalised lengths in optimal fibre lengths, velocities in ``v_max l_opt``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np

from biomech.energetics.tendon import TendonCurve
from biomech.gait.filters import lowpass
from biomech.muscles.static_optimization import MuscleCapacity, MuscleSolution, solve_static_optimization

log = logging.getLogger(__name__)

__all__ = ["CompliantSolution", "MuscleParameters", "active_force_length", "anderson_step",
           "compliant_capacity", "curve_multipliers", "fibre_geometry", "force_velocity",
           "passive_force_length", "solve_compliant_static_optimization"]

# De Groote et al. 2016 (Ann Biomed Eng 44:2922), as in OpenSim's DeGrooteFregly2016Muscle.h
_FL = ((0.8150671134243542, 1.055033428970575, 0.162384573599574, 0.063303448465465),
       (0.433004984392647, 0.716775413397760, -0.029947116970696, 0.200356847296188),
       (0.1, 1.0, 0.5 * np.sqrt(0.5), 0.0))
_FV = (-0.3211346127989808, -8.149, -0.374, 0.8825327733249912)
_PASSIVE_KPE = 4.0
_PASSIVE_MIN_LENGTH = 0.2     # OpenSim's m_minNormFiberLength: the passive curve is 0 there


@dataclass(frozen=True)
class MuscleParameters:
    """Per-muscle Hill-model parameters (arrays in the muscle order of a :class:`MuscleCapacity`).

    ``max_isometric_force_n`` (N), ``optimal_fiber_length_m`` and ``tendon_slack_length_m`` (m),
    ``pennation_at_optimal_rad``, ``max_contraction_velocity_lopt_s`` (optimal fibre lengths per
    s), ``tendon_strain_at_one_norm_force``, ``passive_fiber_strain_at_one_norm_force`` and
    ``active_force_width_scale`` (De Groote curve parameters, OpenSim's property names).
    """

    muscle_names: tuple[str, ...]
    max_isometric_force_n: np.ndarray
    optimal_fiber_length_m: np.ndarray
    tendon_slack_length_m: np.ndarray
    pennation_at_optimal_rad: np.ndarray
    max_contraction_velocity_lopt_s: np.ndarray
    tendon_strain_at_one_norm_force: np.ndarray
    passive_fiber_strain_at_one_norm_force: np.ndarray
    active_force_width_scale: np.ndarray

    def __post_init__(self) -> None:
        m = len(self.muscle_names)
        for f in dataclasses.fields(self):
            if f.name == "muscle_names":
                continue
            a = np.asarray(getattr(self, f.name), dtype=float)
            if a.shape != (m,) or not np.all(np.isfinite(a)):
                raise ValueError(f"MuscleParameters.{f.name}: expected {m} finite values, got {a}")
            if f.name != "pennation_at_optimal_rad" and np.any(a <= 0):
                raise ValueError(f"MuscleParameters.{f.name}: expected positive values, got {a}")
            object.__setattr__(self, f.name, a)


def active_force_length(norm_fiber_length: np.ndarray, width_scale: np.ndarray | float = 1.0
                        ) -> np.ndarray:
    """De Groote active force-length multiplier (sum of three Gaussian-like terms) at normalised
    fibre length; ``width_scale`` widens the curve about its peak at 1 (OpenSim's
    ``active_force_width_scale``)."""
    x = (np.asarray(norm_fiber_length, dtype=float) - 1.0) / width_scale + 1.0
    return sum(b1 * np.exp(-0.5 * (x - b2) ** 2 / (b3 + b4 * x) ** 2) for b1, b2, b3, b4 in _FL)


def force_velocity(norm_fiber_velocity: np.ndarray) -> np.ndarray:
    """De Groote force-velocity multiplier at fibre velocity / (v_max l_opt) (shortening < 0);
    negative beyond the maximum shortening velocity."""
    d1, d2, d3, d4 = _FV
    x = d2 * np.asarray(norm_fiber_velocity, dtype=float) + d3
    return d1 * np.log(x + np.sqrt(x * x + 1.0)) + d4


def passive_force_length(norm_fiber_length: np.ndarray, strain_at_one_norm_force: np.ndarray | float = 0.6
                         ) -> np.ndarray:
    """De Groote passive fibre force multiplier (exponential; 0 at 0.2 optimal lengths, 1 at
    ``1 + strain_at_one_norm_force``)."""
    e0 = strain_at_one_norm_force
    offset = np.exp(_PASSIVE_KPE * (_PASSIVE_MIN_LENGTH - 1.0) / e0)
    return ((np.exp(_PASSIVE_KPE * (np.asarray(norm_fiber_length, dtype=float) - 1.0) / e0) - offset)
            / (np.exp(_PASSIVE_KPE) - offset))


def fibre_geometry(fibre_along_tendon_m: np.ndarray, params: MuscleParameters
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Fibre length (m) and cos(pennation) from the fibre's projection on the tendon line (m),
    with OpenSim's constant-thickness pennation ``l_M sin(alpha) = l_opt sin(alpha_opt)``."""
    height = params.optimal_fiber_length_m * np.sin(params.pennation_at_optimal_rad)
    fibre = np.hypot(fibre_along_tendon_m, height)
    return fibre, fibre_along_tendon_m / fibre


def curve_multipliers(norm_fiber_length: np.ndarray, norm_fiber_velocity: np.ndarray,
                      params: MuscleParameters) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Active force-length, force-velocity and passive multipliers of each muscle's De Groote
    curves at normalised fibre length and velocity."""
    return (active_force_length(norm_fiber_length, params.active_force_width_scale),
            force_velocity(norm_fiber_velocity),
            passive_force_length(norm_fiber_length, params.passive_fiber_strain_at_one_norm_force))


def compliant_capacity(capacity: MuscleCapacity, params: MuscleParameters, tendon_force_n: np.ndarray,
                       *, cutoff_hz: float = 15.0) -> MuscleCapacity:
    """Force capacities of the muscles when each tendon carries ``tendon_force_n`` (n_frames,
    n_muscles; N): fibre length and velocity from the MTU length minus the tendon length on its
    curve (see the module docstring). ``capacity`` must carry ``time_s`` and the diagnostic
    ``mtu_length_m`` (as :func:`biomech.osim.muscle_export.export_muscle_capacity` gives).
    Returns a copy with new active and passive forces and diagnostics (``norm_fiber_length``,
    ``norm_fiber_velocity``, ``pennation_rad``, the three curve multipliers, ``tendon_length_m``)."""
    if capacity.time_s is None or "mtu_length_m" not in capacity.diagnostics:
        raise ValueError("compliant_capacity: capacity needs time_s and diagnostics['mtu_length_m']")
    if tuple(params.muscle_names) != tuple(capacity.muscle_names):
        raise ValueError("compliant_capacity: params and capacity name different muscles")
    t = capacity.time_s
    lmt = capacity.diagnostics["mtu_length_m"]
    force = np.clip(np.nan_to_num(np.asarray(tendon_force_n, dtype=float)), 0.0, None)
    f0, lopt, lts = params.max_isometric_force_n, params.optimal_fiber_length_m, params.tendon_slack_length_m
    strain = np.column_stack([
        TendonCurve(strain_at_one_norm_force=float(e)).strain(force[:, i] / f0[i])
        for i, e in enumerate(params.tendon_strain_at_one_norm_force)])
    lt = lts * (1.0 + strain)
    # a tendon cannot take more than the MTU length
    lm, cos_a = fibre_geometry(np.maximum(lmt - lt, 1e-6), params)
    vm = _fibre_velocity(t, lm, lmt, cutoff_hz)
    norm_l, norm_v = lm / lopt, vm / (params.max_contraction_velocity_lopt_s * lopt)
    fl, fv, fp = curve_multipliers(norm_l, norm_v, params)
    diagnostics = {**capacity.diagnostics, "norm_fiber_length": norm_l, "norm_fiber_velocity": norm_v,
                   "pennation_rad": np.arccos(np.clip(cos_a, -1.0, 1.0)),
                   "active_force_length_multiplier": fl, "force_velocity_multiplier": fv,
                   "passive_force_multiplier": fp, "tendon_length_m": lt}
    return dataclasses.replace(capacity, active_force_n=np.maximum(f0 * fl * fv * cos_a, 0.0),
                               passive_force_n=np.maximum(f0 * fp * cos_a, 0.0),
                               diagnostics=diagnostics)


def _fibre_velocity(t: np.ndarray, fibre_m: np.ndarray, mtu_m: np.ndarray, cutoff_hz: float
                    ) -> np.ndarray:
    """Time derivative (m/s) of the low-passed fibre lengths. A periodic record (the MTU lengths
    of its first and last frames equal, as in a synthesised stride) is filtered and
    differentiated with a period's worth of wrap-around on each side, so its ends are not
    treated as ends."""
    if np.allclose(mtu_m[0], mtu_m[-1], rtol=0.0, atol=1e-9) and t.size > 3:
        n = t.size - 1                                   # the last frame repeats the first
        dt = float(t[1] - t[0])
        ext = np.concatenate([fibre_m[:-1], fibre_m[:-1], fibre_m[:-1], fibre_m[:1]])
        te = t[0] - n * dt + np.arange(ext.shape[0]) * dt
        v = np.gradient(lowpass(te, ext, cutoff_hz), te, axis=0)
        return v[n:2 * n + 1]
    return np.gradient(lowpass(t, fibre_m, cutoff_hz), t, axis=0)


@dataclass(frozen=True)
class CompliantSolution:
    """Result of :func:`solve_compliant_static_optimization`: the last static-optimization
    solution, the capacities it was solved with, and how the iteration ended (``max_change_n``:
    the largest tendon-force change of the last iteration, N)."""

    solution: MuscleSolution
    capacity: MuscleCapacity
    iterations: int
    converged: bool
    max_change_n: float


def anderson_step(forces: list[np.ndarray], updates: list[np.ndarray], mixing: float) -> np.ndarray:
    """The next iterate of a fixed point ``x = g(x)`` by Anderson acceleration (Type II).

    ``forces`` are the last iterates ``x_k`` and ``updates`` their images ``g(x_k)`` (equal
    shapes, oldest first). The combination of the iterates whose residuals ``g(x) - x`` cancel
    best in least squares is moved by ``mixing`` (in (0, 1]) of its residual; with a single
    iterate this is the under-relaxed step ``x + mixing (g(x) - x)``.
    """
    x, g = forces[-1], updates[-1]
    if len(forces) < 2:
        return x + mixing * (g - x)
    xs, gs = np.array(forces), np.array(updates)
    r = (gs - xs).reshape(len(forces), -1)
    d_r = np.diff(r, axis=0).T
    gamma = np.linalg.lstsq(d_r, r[-1], rcond=None)[0]
    x_bar = x - np.tensordot(gamma, np.diff(xs, axis=0), axes=1)
    g_bar = g - np.tensordot(gamma, np.diff(gs, axis=0), axes=1)
    return (1.0 - mixing) * x_bar + mixing * g_bar


def solve_compliant_static_optimization(capacity: MuscleCapacity, joint_moments: np.ndarray,
                                        params: MuscleParameters, *, relaxation: float = 0.3,
                                        history: int = 5, tolerance_n: float = 1.0,
                                        max_iterations: int = 300, cutoff_hz: float = 15.0,
                                        **options) -> CompliantSolution:
    """Static optimization with compliant tendons in equilibrium (module docstring).

    ``capacity`` is the rigid-tendon export (moment arms, MTU lengths, time);
    ``joint_moments``, ``options`` (exponent, reserves, ...) as for
    :func:`~biomech.muscles.static_optimization.solve_static_optimization`. ``relaxation``: the
    mixing weight of each step, in (0, 1]; ``history``: how many earlier iterates Anderson
    acceleration combines with the current one (0: plain under-relaxation); the iteration stops
    when no tendon force changes by more than ``tolerance_n`` (N) or after ``max_iterations``
    (then ``converged`` is False and a warning is logged).
    """
    if not 0.0 < relaxation <= 1.0:
        raise ValueError(f"relaxation: expected a number in (0, 1], got {relaxation!r}")
    if tolerance_n <= 0 or max_iterations < 1 or history < 0:
        raise ValueError("tolerance_n must be > 0, max_iterations >= 1 and history >= 0")
    sol = solve_static_optimization(capacity, joint_moments, **options)
    force = np.nan_to_num(sol.muscle_force_n)
    change, cap = np.inf, capacity
    forces: list[np.ndarray] = []
    updates: list[np.ndarray] = []
    for it in range(1, max_iterations + 1):
        cap = compliant_capacity(capacity, params, force, cutoff_hz=cutoff_hz)
        sol = solve_static_optimization(cap, joint_moments, **options)
        new = np.nan_to_num(sol.muscle_force_n)
        change = float(np.max(np.abs(new - force), initial=0.0))
        if change <= tolerance_n:
            return CompliantSolution(sol, cap, it, True, change)
        keep = max(len(forces) - history, 0)    # the last `history` iterates stay
        forces, updates = forces[keep:] + [force], updates[keep:] + [new]
        step = anderson_step(forces, updates, relaxation)
        if not np.all(np.isfinite(step)):      # a degenerate combination: fall back and restart
            step, forces, updates = force + relaxation * (new - force), [], []
        force = np.maximum(step, 0.0)           # tendons only pull
    log.warning("compliant-tendon static optimization did not converge in %d iterations "
                "(largest tendon-force change %.1f N > %.1f N)", max_iterations, change, tolerance_n)
    return CompliantSolution(sol, cap, max_iterations, False, change)
