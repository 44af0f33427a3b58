"""Running and walking synthesised from mechanics on a model's skeleton.

The stance kinematics are not prescribed joint-angle curves. For each step:

1. the whole-body centre of mass (COM) follows a plan (:func:`biomech.gait.grf_plan.
   plan_running_com_grf`): a half-sine vertical ground reaction force (GRF) over the contact time,
   directed at the COM from a centre of pressure (CoP) that rolls along the foot, ballistic in
   flight, periodic at the given speed, step rate and duty factor;
2. the stance foot rolls over fixed ground points: it lands at the sole angle given by the foot
   strike pattern, rotates about the heel (toes up) or about the metatarsal heads (heel up), lies
   flat between (roll-over timing from :mod:`biomech.gait.params`);
3. the pelvis translation is solved (Newton-Krylov) so that the **model's** COM is the planned
   COM, and the stance leg's hip and knee angles follow from the geometry (inverse kinematics:
   the ankle must be where the rolling foot puts it); the ankle angle follows from the sole angle;
4. in swing each joint (hip, knee, ankle) follows the smoothest path (least squared angular
   acceleration; two quintics) from the stance leg's angle and velocity at toe-off, through its
   key point (peak swing flexion of hip and knee at published swing fractions, the swing ankle
   angle at mid-swing), to its angle at the next touchdown; touchdown is an impact (the swing
   arrives with its own joint velocities); where the swing heel or metatarsal heads would pass
   through the ground, the swing angles get the smoothest correction that keeps them above it
   (:mod:`biomech.gait.clearance`);
5. the only free number of the plan, the COM height, is chosen so the knee flexion at contact of
   the output (after the low-pass) is the published value; joint angles keep their harmonics up
   to ``kinematics_cutoff_hz``.

Pelvis translation accelerations are then set so that the model's COM acceleration equals the
plan's exactly, so the GRF is ``m (a_com - g)``: zero in flight, and the pelvis residual forces
of inverse dynamics vanish. By default the CoP is the planned rolling CoP (the GRF passes through
the COM as planned) and the whole rate of change of the body's angular momentum is left as the
pelvis residual moment, which is reported, never hidden.

Raising the step rate at constant speed shortens the contact, so the COM dips less and the stance
knee flexes less: a physical consequence, not a rule in this code. Backward running differs from
forward running only through its parameters (direction of travel, forefoot contact, published
step rate and aerial time) and the resulting geometry.

Walking (``inputs.mode == "walking"``) uses :func:`biomech.gait.walk_plan.plan_walking_com_grf`
(no flight; both feet loaded in double support, the whole-body load handed from the trailing to
the leading foot by the Ren et al. 2008 vertical transition function); each foot keeps its
rolling CoP and its force points at the COM from there, so the two add up to the plan's force.

Known gap: the stance knee is still crouched (FR peak ~62.4 deg against 53.2 deg in Hamner 2010,
inside the 10 deg the tests allow but not by much), and the pelvis residual moments are hundreds
of N m; see README "Known gap: stance knee flexion".

Units: SI (s, m, rad, N, N m, kg). Angles in parameters are in degrees where the name says so.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, root

from biomech.errors import BiomechError
from biomech.gait.clearance import clearance_correction
from biomech.gait.com_path import ComPath, StrideParams
from biomech.gait.double_support import transition_shares
from biomech.gait.grf_plan import cop_position, plan_running_com_grf
from biomech.gait.motion import FootLoad, Motion
from biomech.gait.walk_plan import WalkingParams, plan_walking_com_grf
from biomech.models.kinematics import PlanarKinematics
from biomech.models.skeleton import Joint, Skeleton

log = logging.getLogger(__name__)

LEG_JOINTS = ("hip_flexion", "knee_angle", "ankle_angle")


@dataclass(frozen=True)
class RunningInputs:
    """Fully resolved inputs of a synthesised run (SI except where ``_deg`` says degrees).

    See :mod:`biomech.gait.params` for defaults and their published sources.
    """

    direction: str
    speed_m_s: float
    step_rate_hz: float
    duty_factor: float
    foot_angle_at_contact_deg: float
    foot_angle_at_toe_off_deg: float
    foot_flat_start: float
    foot_flat_end: float
    trunk_lean_deg: float
    pelvis_anterior_tilt_deg: float
    knee_flexion_at_contact_deg: float
    peak_swing_knee_flexion_deg: float
    peak_swing_hip_flexion_deg: float
    swing_ankle_angle_deg: float
    #: swing fractions (0 = toe-off, 1 = next foot strike) of the knee's and hip's peak flexion
    peak_knee_swing_fraction: float
    peak_hip_swing_fraction: float
    samples_per_step: int = 200
    kinematics_cutoff_hz: float = 15.0
    n_strides: int = 1
    #: "running" (flight, one foot at a time) or "walking" (double support, no flight).
    mode: str = "running"
    #: walking only: first-harmonic dynamic load factor of the vertical force; None = the
    #: default of :func:`biomech.gait.walk_plan.first_harmonic_dlf` (step-rate regression).
    first_harmonic_dlf: float | None = None
    #: running only: how far (m) the soft tissue under the stance foot (heel or forefoot pad, and
    #: a shoe's midsole if one is meant) is compressed at the peak vertical GRF; the stance foot
    #: sinks by ``sole_compression_m * (F / F_peak) ** (2 / 3)`` (F: the planned vertical GRF; the
    #: Hertz law of the model's foot-contact spheres). 0 (default): a rigid sole. For scale: 11.3 mm of
    #: heel-pad deformation in a 0.93 m/s, 5 kg drop test (Kinoshita et al. 1993, Int J Sports Med
    #: 14:312, abstract); unloaded heel-pad thickness about 16 mm (BMC Musculoskelet Disord 2022,
    #: doi 10.1186/s12891-022-05197-w, abstract).
    sole_compression_m: float = 0.0


#: The same inputs describe walking (``mode="walking"``).
GaitInputs = RunningInputs


@dataclass(frozen=True)
class SynthesisReport:
    """Quality of a synthesised motion: what closes and what does not."""

    iterations: int
    com_error_m: float
    max_ik_error_m: float
    #: largest distance (m) the low-pass moves a heel or metatarsal-head point from the ground
    #: point the unfiltered stance keeps it on (mostly at the strike: the smoothed impact)
    max_foot_slip_m: float
    #: lowest height (m) of the swing heel or metatarsal heads (negative: below the ground)
    min_swing_clearance_m: float
    max_residual_moment_nm: float
    rms_residual_moment_nm: float
    cop_clamped_fraction: float
    leg_stiffness_n_m: float
    vertical_stiffness_n_m: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: largest change (deg) of a swing joint angle made to keep the swing foot above the ground
    #: (0 when the swing as built clears it); see :mod:`biomech.gait.clearance`
    max_clearance_correction_deg: float = 0.0


# --------------------------------------------------------------------------- leg geometry ----
@dataclass(frozen=True)
class _Leg:
    thigh_m: float
    shank_m: float
    knee_tx: tuple[float, ...]
    knee_ty: tuple[float, ...]

    @classmethod
    def from_skeleton(cls, sk: Skeleton, side: str = "r") -> _Leg:
        knee: Joint = next(j for j in sk.joints if j.name == f"knee_{side}")
        ankle: Joint = next(j for j in sk.joints if j.name == f"ankle_{side}")
        if knee.kind not in ("pin", "custom") or knee.axis_sign != -1:
            raise BiomechError(f"knee_{side}: synthesis expects a flexion-positive planar knee")
        return cls(-knee.location_m[1], -ankle.location_m[1], knee.tx_poly or (0.0,),
                   knee.ty_poly or (0.0,))

    def ankle(self, hip_xy: np.ndarray, thigh_abs: np.ndarray, knee: np.ndarray) -> np.ndarray:
        """Ankle centre (ground, m) from the hip centre, absolute thigh angle and knee flexion."""
        c, s = np.cos(thigh_abs), np.sin(thigh_abs)
        tx = np.polynomial.polynomial.polyval(knee, self.knee_tx)
        ty = np.polynomial.polynomial.polyval(knee, self.knee_ty) - self.thigh_m
        kx = hip_xy[:, 0] + c * tx - s * ty
        ky = hip_xy[:, 1] + s * tx + c * ty
        shank_abs = thigh_abs - knee
        return np.column_stack([kx + np.sin(shank_abs) * self.shank_m,
                                ky - np.cos(shank_abs) * self.shank_m])

    def reach(self, knee: float) -> float:
        """Hip-to-ankle distance (m) with knee flexion ``knee`` (rad)."""
        a = self.ankle(np.zeros((1, 2)), np.zeros(1), np.array([knee]))
        return float(np.hypot(*a[0]))

    def solve(self, hip_xy: np.ndarray, ankle_xy: np.ndarray, guess: np.ndarray | None = None,
              ) -> tuple[np.ndarray, np.ndarray, float]:
        """Absolute thigh angle and knee flexion (rad) putting the ankle at ``ankle_xy``.

        Vectorised Newton iterations from a two-link (law of cosines) start; the knee-flexed
        branch. Returns (thigh_abs, knee, max position error in m).
        """
        d = ankle_xy - hip_xy
        dist = np.hypot(d[:, 0], d[:, 1])
        reach = self.thigh_m + self.shank_m
        # targets out of reach get the straight leg pointing at them (error reported)
        far = dist >= reach * (1 - 1e-9)
        cosk = np.clip((self.thigh_m**2 + self.shank_m**2 - dist**2)
                       / (2 * self.thigh_m * self.shank_m), -1.0, 1.0)
        knee = np.pi - np.arccos(cosk)
        line = np.arctan2(d[:, 0], -d[:, 1])   # hip->ankle line from straight down, + anterior
        cosa = np.clip((self.thigh_m**2 + dist**2 - self.shank_m**2)
                       / (2 * self.thigh_m * np.maximum(dist, 1e-9)), -1.0, 1.0)
        thigh = line + np.arccos(cosa)
        if guess is not None:
            thigh, knee = guess[:, 0].copy(), guess[:, 1].copy()
        h = 1e-7
        act = ~far
        for _ in range(100):
            r = self.ankle(hip_xy, thigh, knee) - ankle_xy
            if np.max(np.abs(r[act]), initial=0.0) < 1e-13:
                break
            j_t = (self.ankle(hip_xy, thigh + h, knee) - self.ankle(hip_xy, thigh - h, knee)) / (2 * h)
            j_k = (self.ankle(hip_xy, thigh, knee + h) - self.ankle(hip_xy, thigh, knee - h)) / (2 * h)
            # damped Newton (Levenberg-Marquardt on the 2x2 system), steps limited to 0.1 rad:
            # robust near the straight knee, where the Jacobian is singular
            a11 = j_t[:, 0] ** 2 + j_t[:, 1] ** 2 + 1e-12
            a22 = j_k[:, 0] ** 2 + j_k[:, 1] ** 2 + 1e-12
            a12 = j_t[:, 0] * j_k[:, 0] + j_t[:, 1] * j_k[:, 1]
            b1 = j_t[:, 0] * r[:, 0] + j_t[:, 1] * r[:, 1]
            b2 = j_k[:, 0] * r[:, 0] + j_k[:, 1] * r[:, 1]
            det = a11 * a22 - a12**2
            d_t = np.clip((a22 * b1 - a12 * b2) / det, -0.1, 0.1)
            d_k = np.clip((a11 * b2 - a12 * b1) / det, -0.1, 0.1)
            thigh = np.where(act, thigh - d_t, thigh)
            knee = np.clip(np.where(act, knee - d_k, knee), 0.0, np.pi)
        err = float(np.max(np.hypot(*(self.ankle(hip_xy, thigh, knee) - ankle_xy).T)))
        return thigh, knee, err


# ------------------------------------------------------------------------ foot rolling ----
def smoothstep5(x: np.ndarray) -> np.ndarray:
    """Quintic smoothstep 0->1 on [0, 1] with zero first and second derivatives at both ends."""
    x = np.clip(x, 0.0, 1.0)
    return x**3 * (10 - 15 * x + 6 * x**2)


def sole_angle(s: np.ndarray, inp: RunningInputs) -> np.ndarray:
    """Sole angle to the ground (rad, + toes up) over stance fraction ``s`` in [0, 1]."""
    a0 = math.radians(inp.foot_angle_at_contact_deg)
    a1 = math.radians(inp.foot_angle_at_toe_off_deg)
    s1, s2 = inp.foot_flat_start, inp.foot_flat_end
    early = a0 * (1 - smoothstep5(s / s1)) if s1 > 0 else 0.0 * s
    late = a1 * push_off(np.clip((s - s2) / (1 - s2), 0.0, 1.0)) if s2 < 1 else 0.0 * s
    return np.where(s <= s1, early, 0.0) + np.where(s >= s2, late, 0.0)


#: Push-off shape: the foot leaves flat smoothly (zero velocity and acceleration) and is still
#: rotating at toe-off, at 1.5 times the mean rate of the push-off phase. Modelling choice: a
#: measured foot still rotates quickly when it leaves the ground; no published value of that
#: rate was read, so the factor is an assumption (it only shapes the last part of stance).
#: Cross-check, not a source: on the Hamner 2010 subject02 running trial (14 right stances, heel
#: to metatarsal-head line of the IK foot, toe-off at the 50 N force threshold) the rate at
#: toe-off is 1.4-1.7 times the mean push-off rate (1.4 when heel-off is marked by the foot
#: leaving its flat angle by 5 deg, 1.7 by 1 deg). The synthesised reserves are sensitive to it
#: (FR 3.5 m/s largest reserve: 70 % with 1.0, 38 % with 1.5, 28 % with 2.5), which is why it is
#: not moved off 1.5.
PUSH_OFF_END_RATE = 1.5


def push_off(x: np.ndarray) -> np.ndarray:
    """Quartic 0 -> 1 on [0, 1]: f(0) = f'(0) = f''(0) = 0, f(1) = 1, f'(1) = PUSH_OFF_END_RATE."""
    b = PUSH_OFF_END_RATE - 3.0
    return x**3 * ((1.0 - b) + b * x)


def quintic_hermite(tau: np.ndarray, duration_s: float, start: np.ndarray, end: np.ndarray
                    ) -> np.ndarray:
    """Quintic on ``tau`` in [0, 1] (time ``tau * duration_s``) matching value, velocity and
    acceleration (rows of ``start`` and ``end``, per unit time, columns = channels)."""
    h = duration_s
    p0, v0, a0 = (np.asarray(r, dtype=float) * h**k for k, r in enumerate(start))
    p1, v1, a1 = (np.asarray(r, dtype=float) * h**k for k, r in enumerate(end))
    t = np.asarray(tau, dtype=float)[:, None]
    h00 = 1 - 10 * t**3 + 15 * t**4 - 6 * t**5
    h10 = t - 6 * t**3 + 8 * t**4 - 3 * t**5
    h20 = 0.5 * t**2 - 1.5 * t**3 + 1.5 * t**4 - 0.5 * t**5
    h01 = 10 * t**3 - 15 * t**4 + 6 * t**5
    h11 = -4 * t**3 + 7 * t**4 - 3 * t**5
    h21 = 0.5 * t**3 - t**4 + 0.5 * t**5
    return h00 * p0 + h10 * v0 + h20 * a0 + h01 * p1 + h11 * v1 + h21 * a1


@dataclass(frozen=True)
class _Foot:
    heel: np.ndarray     # (x, y) in the foot frame, m: pivot when toes are up
    mtp: np.ndarray      # pivot when the heel is up
    toe: np.ndarray      # toe tip

    @classmethod
    def from_skeleton(cls, sk: Skeleton, side: str = "r") -> _Foot:
        lm = sk.landmarks_m
        return cls(np.array(lm[f"heel_{side}"][1]), np.array(lm[f"mtp_{side}"][1]),
                   np.array(lm[f"toe_{side}"][1]))

    def pose(self, phi: np.ndarray, support_mid_x: float) -> tuple[np.ndarray, np.ndarray]:
        """Ankle centre (ground, m) and ground heel x for sole angle ``phi`` (rad).

        With the foot flat the heel and metatarsal pivots lie on y = 0 with their midpoint at
        ``support_mid_x``; the foot rotates about the heel pivot for phi > 0 and about the
        metatarsal pivot for phi < 0.
        """
        half = 0.5 * (self.mtp[0] - self.heel[0])
        g_heel = support_mid_x - half
        g_mtp = support_mid_x + half
        pivot_local = np.where(phi[:, None] >= 0, self.heel[None, :], self.mtp[None, :])
        pivot_ground = np.column_stack([np.where(phi >= 0, g_heel, g_mtp), np.zeros_like(phi)])
        c, s = np.cos(phi), np.sin(phi)
        rot = np.stack([c * pivot_local[:, 0] - s * pivot_local[:, 1],
                        s * pivot_local[:, 0] + c * pivot_local[:, 1]], axis=1)
        return pivot_ground - rot, np.array([g_heel, g_mtp])


def fourier_lowpass(series: np.ndarray, period_s: float, t: np.ndarray, cutoff_hz: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, first and second time derivative at ``t`` (s) of the periodic ``series`` (uniform
    samples over one period) keeping only its harmonics up to ``cutoff_hz``: a zero-lag low-pass
    filter with analytic derivatives."""
    n = series.size
    coef = np.fft.rfft(series) / n
    k = np.arange(coef.size)
    keep = k / period_s <= cutoff_hz
    if n % 2 == 0:
        keep[-1] = False          # the Nyquist term has no well-defined derivative
    w = 2.0 * np.pi * k[keep] / period_s
    amp = np.where(k[keep] == 0, 1.0, 2.0) * coef[keep]
    phase = np.exp(1j * np.outer(t, w))
    value = np.real(phase @ amp)
    d1 = np.real(phase @ (1j * w * amp))
    d2 = np.real(phase @ (-(w**2) * amp))
    return value, d1, d2


# ------------------------------------------------------------------------------ swing ----
#: Largest accepted miss (m) of the leg inverse kinematics, reached only where the stance leg is
#: at full stretch (e.g. near toe-off): well below the planted-foot slip the 15 Hz low-pass
#: causes anyway (``max_foot_slip_m``); reported as ``max_ik_error_m``.
_IK_TOLERANCE_M = 5e-4

#: Depth (m) below the ground the swing foot (heel or metatarsal heads) may pass before the
#: swing is corrected (or, where that fails, the report notes it): the low-pass leaves the foot
#: that leaves or reaches the ground within about this depth on the default strides.
_CLEARANCE_TOLERANCE_M = 1e-3

#: Most correction passes of the swing clearance (each: correction, pelvis solve, re-check).
_CLEARANCE_PASSES = 4

#: Sole-angle width (rad) over which the ground-contact region of the foot changes, and the
#: softness (m) of the CoP clamp to it (numerical smoothing choices, not physiology).
_SOLE_SMOOTH_RAD = math.radians(2.0)
_COP_SOFTNESS_M = 0.005

#: Swing fraction at which the ankle takes its swing key angle: mid-swing, the midpoint of toe-off
#: and the next foot strike (the definition used for ``swing_ankle_angle_deg`` in defaults.yaml).
SWING_ANKLE_FRACTION = 0.5


def boundary_state(samples: np.ndarray, dt_s: float, at_end: bool) -> np.ndarray:
    """Value and first time derivative (rows) at the first (``at_end`` False) or last sample of
    uniformly spaced ``samples`` (n >= 3, columns = channels; step ``dt_s`` in s), from the
    second-order one-sided difference."""
    f = samples[::-1] if at_end else samples
    h = -dt_s if at_end else dt_s
    return np.array([f[0], (-3 * f[0] + 4 * f[1] - f[2]) / (2 * h)])


def swing_path(tau: np.ndarray, duration_s: float, start: np.ndarray, end: np.ndarray,
               key_fraction: float, key_value: float, extremum: bool,
               match_end_velocity: bool = True) -> np.ndarray:
    """One joint's swing angle at swing fractions ``tau`` (in [0, 1]; swing lasts ``duration_s``).

    Two quintic segments start from the toe-off state ``start`` and end at the touchdown state
    ``end`` (angle and angular velocity per second; the end velocity only if
    ``match_end_velocity``) and meet at ``key_fraction`` with the angle
    ``key_value``; there the velocity is zero if ``extremum`` (a peak). The remaining freedoms
    (accelerations at toe-off, at the key point and at touchdown, the key point's velocity unless
    it is a peak, the touchdown velocity unless matched) minimise the integral of the squared
    angular acceleration over the swing: the smoothest path through the key point that joins the
    stance angles and velocities."""
    if not 0.0 < key_fraction < 1.0:
        raise BiomechError(f"swing key fraction {key_fraction:g} is not inside (0, 1)")
    d1, d2 = key_fraction * duration_s, (1.0 - key_fraction) * duration_s
    # unknowns x: [start angle, velocity, acceleration, key ..., end ...]; the integral of the
    # squared acceleration is |M x|^2 exactly (Gauss-Legendre, 8 nodes per segment: the squared
    # acceleration of a quintic has degree 6)
    nodes, weights = np.polynomial.legendre.leggauss(8)
    u, w = 0.5 * (nodes + 1.0), 0.5 * weights
    rows = []
    for seg, h in enumerate((d1, d2)):
        basis = _quintic_hermite_accel(u, h) * np.sqrt(h * w)[:, None]
        block = np.zeros((u.size, 9))
        block[:, 3 * seg: 3 * seg + 6] = basis
        rows.append(block)
    m = np.vstack(rows)
    x = np.array([start[0], start[1], 0.0, key_value, 0.0, 0.0, end[0], end[1], 0.0])
    free = ([2, 5, 8] if extremum else [2, 4, 5, 8]) + ([] if match_end_velocity else [7])
    fixed = [i for i in range(9) if i not in free]
    x[free] = np.linalg.lstsq(m[:, free], -m[:, fixed] @ x[fixed], rcond=None)[0]
    first = tau <= key_fraction
    out = np.empty(tau.shape, dtype=float)
    x1 = np.clip(tau[first] / key_fraction, 0.0, 1.0)
    x2 = np.clip((tau[~first] - key_fraction) / (1.0 - key_fraction), 0.0, 1.0)
    out[first] = quintic_hermite(x1, d1, x[0:3, None], x[3:6, None])[:, 0]
    out[~first] = quintic_hermite(x2, d2, x[3:6, None], x[6:9, None])[:, 0]
    return out


def _quintic_hermite_accel(u: np.ndarray, duration_s: float) -> np.ndarray:
    """Second time derivative of :func:`quintic_hermite` at ``u`` per unit of each of its six
    inputs (start value, velocity, acceleration, end value, velocity, acceleration): (n, 6)."""
    h = duration_s
    t = np.asarray(u, dtype=float)
    return np.column_stack([
        (-60 * t + 180 * t**2 - 120 * t**3) / h**2,
        (-36 * t + 96 * t**2 - 60 * t**3) / h,
        1 - 9 * t + 18 * t**2 - 10 * t**3,
        (60 * t - 180 * t**2 + 120 * t**3) / h**2,
        (-24 * t + 84 * t**2 - 60 * t**3) / h,
        3 * t - 12 * t**2 + 10 * t**3,
    ])


# ----------------------------------------------------------------------- the synthesis ----
def synthesise_running(skeleton: Skeleton, inputs: RunningInputs, *,
                       kinematics: PlanarKinematics | None = None,
                       max_iterations: int = 40, tolerance_m: float = 1e-11,
                       cop: str = "planned", swing_clearance: bool = True,
                       ) -> tuple[Motion, SynthesisReport]:
    """Synthesise steady running on ``skeleton`` from mechanics; see the module docstring.

    ``cop`` places the centre of pressure: ``"planned"`` (default) on the rolling CoP path of the
    COM plan, so the GRF passes through the COM as planned and the whole rate of change of the
    body's angular momentum is left as the reported pelvis residual moment; ``"balance"`` where
    the GRF's moment about the COM balances that rate, soft-clamped to the part of the sole on
    the ground. The joint-space swing does not conserve angular momentum, so ``"balance"`` drives
    the CoP to the edges of the foot and its jumps give knee-moment spikes of several N m/kg;
    ``"planned"`` keeps the loads consistent with the plan.

    ``swing_clearance`` (default True): where the swing heel or metatarsal heads pass more than
    1 mm below the ground, correct the swing joint angles (:mod:`biomech.gait.clearance`; the
    largest change is ``report.max_clearance_correction_deg``). False keeps the swing as built
    from its key points (the foot may pass through the ground; the report says by how much).

    Returns the :class:`~biomech.gait.motion.Motion` (``n_strides`` strides starting at a right
    foot strike) and a :class:`SynthesisReport`.
    """
    if cop not in ("planned", "balance"):
        raise BiomechError(f"cop: {cop!r} is not 'planned' or 'balance'")
    if inputs.mode not in ("running", "walking"):
        raise BiomechError(f"mode: {inputs.mode!r} is not 'running' or 'walking'")
    walking = inputs.mode == "walking"
    if walking and cop == "balance":
        raise BiomechError("cop: 'balance' is for running only (one foot on the ground)")
    cop_mode = cop
    if inputs.sole_compression_m < 0:
        raise BiomechError(f"sole_compression_m: {inputs.sole_compression_m:g} m is negative")
    if walking and inputs.sole_compression_m > 0:
        raise BiomechError("sole_compression_m: running only (walking's double support shares the "
                           "load between the feet)")

    def sole_sink(acc_y: np.ndarray) -> np.ndarray:
        """Compression (m) of the stance sole from the planned vertical COM acceleration."""
        if inputs.sole_compression_m == 0:
            return np.zeros_like(acc_y)
        load = np.clip(acc_y - skeleton.gravity_m_s2, 0.0, None)   # vertical GRF / mass
        return inputs.sole_compression_m * (load / load.max()) ** (2.0 / 3.0)

    kin = kinematics or PlanarKinematics.from_skeleton(skeleton)
    names = list(skeleton.independent_coordinates)
    idx = {n: i for i, n in enumerate(names)}
    leg, foot = _Leg.from_skeleton(skeleton), _Foot.from_skeleton(skeleton)
    m = skeleton.total_mass_kg
    g = -skeleton.gravity_m_s2                 # magnitude, m/s^2
    gravity = np.array([0.0, skeleton.gravity_m_s2])

    n_step = inputs.samples_per_step
    try:
        stride = (WalkingParams if walking else StrideParams)(
            speed_m_s=inputs.speed_m_s, step_rate_hz=inputs.step_rate_hz,
            duty_factor=inputs.duty_factor, direction=inputs.direction, mass_kg=m, gravity_m_s2=g)
    except ValueError as exc:
        raise BiomechError(str(exc)) from None
    tilt = -math.radians(inputs.pelvis_anterior_tilt_deg)       # anterior tilt: -z rotation
    torso_abs = -math.radians(inputs.trunk_lean_deg)            # lean toward +x (anterior)
    lumbar = torso_abs - tilt
    T_step, T = stride.step_time_s, 2 * stride.step_time_s
    t_c = stride.contact_time_s
    hip_height = leg.thigh_m + leg.shank_m - foot.heel[1]
    q_ref = np.zeros((1, len(names)))
    q_ref[0, idx["pelvis_tilt"]], q_ref[0, idx["lumbar_extension"]] = tilt, lumbar
    com_standing = hip_height + kin.com(q_ref)[0, 1]   # standing COM height above the sole, m

    # The spring's contact point rolls with the foot, from the pivot it lands on to the pivot it
    # leaves from (the rigid foot's rockers): toes up -> heel, toes down -> metatarsal heads,
    # flat -> the middle of the two.
    mid_local = 0.5 * (foot.heel[0] + foot.mtp[0])

    def contact_x(angle_deg: float) -> float:
        if angle_deg > 0:
            return float(foot.heel[0])
        if angle_deg < 0:
            return float(foot.mtp[0])
        return float(mid_local)

    def toe_travel(angle_deg: float) -> float:
        """CoP travel between the metatarsal heads and the toe tip when the foot turns about the
        metatarsal heads (toes on the ground), else 0."""
        return float(foot.toe[0] - foot.mtp[0]) if angle_deg < 0 else 0.0

    x_land = contact_x(inputs.foot_angle_at_contact_deg)
    x_leave = contact_x(inputs.foot_angle_at_toe_off_deg)
    travel = max(0.0, stride.direction_sign * (x_leave - x_land))

    def support_mid(landing_ground_x: float) -> float:
        """Ground x of the heel-metatarsal midpoint given the landing pivot's ground x."""
        return landing_ground_x + (mid_local - x_land)

    # swing key points per joint: (swing fraction, angle in rad, whether it is a peak)
    keys = ((inputs.peak_hip_swing_fraction, math.radians(inputs.peak_swing_hip_flexion_deg), True),
            (inputs.peak_knee_swing_fraction, math.radians(inputs.peak_swing_knee_flexion_deg), True),
            (SWING_ANKLE_FRACTION, math.radians(inputs.swing_ankle_angle_deg), False))

    def pose(right: np.ndarray) -> np.ndarray:
        """Coordinates of one stride from the right leg's joint angles (the left half a stride
        behind), trunk and pelvis tilt set, pelvis translation zero."""
        q = np.zeros((right.shape[0], len(names)))
        q[:, idx["pelvis_tilt"]] = tilt
        q[:, idx["lumbar_extension"]] = lumbar
        for j, base in enumerate(LEG_JOINTS):
            q[:, idx[f"{base}_r"]] = right[:, j]
            q[:, idx[f"{base}_l"]] = np.roll(right[:, j], n_step, axis=0)
        return q

    def solve(leg_length_m: float, init: np.ndarray | None = None, lift: np.ndarray | None = None
              ) -> dict:
        """Plan the COM with touchdown COM height ``leg_length_m`` and solve the stride.

        Unknown: the pelvis (mid-hip) path over one stride. Given it, the stance leg follows from
        inverse kinematics, the swing leg from its polynomials, and the residual is the model's
        COM minus the planned COM. Solved with Newton-Krylov (the swing leg's mass couples every
        frame to the stance boundary states). ``init`` is a previous pelvis path (warm start);
        ``lift`` (swing samples x hip, knee, ankle; rad) is added to the swing's joint angles (the
        ground-clearance correction).
        """
        roll = dict(touchdown_height_m=leg_length_m, contact_travel_m=travel,
                    early_travel_m=toe_travel(inputs.foot_angle_at_contact_deg),
                    late_travel_m=toe_travel(inputs.foot_angle_at_toe_off_deg),
                    flat_start=inputs.foot_flat_start, flat_end=inputs.foot_flat_end,
                    n_per_step=inputs.samples_per_step, n_steps=2)
        plan: ComPath = (plan_walking_com_grf(stride, first_harmonic=inputs.first_harmonic_dlf, **roll)
                         if walking else plan_running_com_grf(stride, **roll))
        t = np.asarray(plan.time_s)[:-1]          # one stride, periodic (endpoint dropped)
        n = t.size
        com = np.asarray(plan.position_m)[:-1]
        stance = t <= t_c + 1e-12                 # right stance at the start of the stride
        swing = ~stance
        ts = t[stance]
        phi = sole_angle(np.clip(t / t_c, 0.0, 1.0), inputs)
        ankle_target, _ = foot.pose(phi[stance], support_mid(float(plan.foot_position_m[0][0])))
        ankle_target[:, 1] -= sole_sink(np.asarray(plan.acceleration_m_s2)[:-1][stance, 1])
        # Swing, in joint space: hip, knee and ankle each follow two quintics from the stance
        # leg's angle and angular velocity at toe-off (the foot leaves with the planted foot's
        # motion) to its angle at the next touchdown, through one key point: the peak swing
        # flexion of the knee and of the hip (zero velocity) at their swing fractions, and the
        # swing ankle angle at mid-swing; the rest is the smoothest such path (least squared
        # angular acceleration). Touchdown is an impact: the joints arrive with the swing's own
        # velocities (the knee still extending) and the planted foot's stance takes over; forcing
        # the stance velocities on the swing (the knee already flexing at 10-15 rad/s) would make
        # the swing knee hyperextend before contact. The jump is smoothed by the low-pass of the
        # joint angles (the planted foot is then short of its ground point at the strike:
        # ``max_foot_slip_m``, ~17 mm on the default FR stride). The swing leg's mass enters the
        # whole-body COM, so the pelvis solve sees it.
        sw_t = t[swing]
        t_to = float(ts[-1])
        tau = (sw_t - t_to) / (T - t_to)
        dt = float(t[1] - t[0])

        def legs(pelvis: np.ndarray) -> tuple[np.ndarray, float]:
            th, kn, err = leg.solve(pelvis[stance], ankle_target)
            right = np.zeros((n, 3))
            right[stance] = np.column_stack([th - tilt, kn, phi[stance] - (th - kn)])
            st_q = right[stance]
            start, end = boundary_state(st_q[-3:], dt, True), boundary_state(st_q[:3], dt, False)
            for j, (frac, value, peak) in enumerate(keys):
                right[swing, j] = swing_path(tau, T - t_to, start[:, j], end[:, j], frac, value, peak,
                                             match_end_velocity=False)
            if lift is not None:
                right[swing] += lift
            return right, err

        def residual(x: np.ndarray) -> np.ndarray:
            pelvis = x.reshape(n, 2)
            right, _ = legs(pelvis)
            return (com - kin.com(pose(right)) - pelvis).ravel()

        x0 = init if init is not None else \
            (com - np.array([0.0, com_standing - hip_height])).ravel()
        try:
            with np.errstate(all="ignore"):
                sol = root(residual, x0, method="krylov",
                           options={"fatol": tolerance_m, "maxiter": max_iterations})
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            log.debug("L0 %.4f m: solver failed (%s)", leg_length_m, exc)
            return {"ok": False, "plan": plan}
        pelvis = sol.x.reshape(n, 2)
        right, ik_err = legs(pelvis)
        err = float(np.max(np.abs(residual(sol.x))))
        ok = bool(np.isfinite(err) and err < 1e-8 and ik_err < _IK_TOLERANCE_M)
        log.debug("L0 %.4f m: %s after %d iterations, COM error %.1e m, IK error %.1e m, "
                  "knee at contact %.1f deg", leg_length_m, "ok" if ok else "failed",
                  sol.get("nit", -1), err, ik_err, math.degrees(right[0, 1]))
        return {"ok": ok, "plan": plan, "right": right, "t": t, "pelvis": sol.x,
                "iterations": int(sol.get("nit", 0)), "com_error": err, "ik_err": ik_err}

    # Spring rest length: chosen so that the stance knee is flexed by the published mean
    # knee flexion at contact when the leg spring touches down (the leg length at touchdown of
    # McMahon & Cheng 1990); the rest of stance follows from the mechanics.
    target = math.radians(inputs.knee_flexion_at_contact_deg)

    solved: dict[float, dict] = {}

    def knee_error(length: float) -> float:
        near = min((x for x in solved if solved[x]["ok"]), key=lambda x: abs(x - length), default=None)
        sol = solve(length, None if near is None else solved[near]["pelvis"])
        solved[length] = sol
        if not sol["ok"]:
            return math.nan
        # the knee at contact after the low-pass the motion gets below (the touchdown impact's
        # velocity jump shifts it by a few degrees)
        knee0 = fourier_lowpass(sol["right"][:, 1], T, np.zeros(1), inputs.kinematics_cutoff_hz)[0]
        sol["knee_contact"] = float(knee0[0])
        return sol["knee_contact"] - target

    # continuation in the rest length: from a short (crouched, robust) spring upwards in small
    # steps, each solve warm-started from the previous one, until the knee at contact passes the
    # target; then Brent's method between the last two lengths
    leg_length, prev, prev_err = None, None, math.nan
    lengths = np.arange(com_standing - 0.15, com_standing + 0.12, 0.01)
    reached: list[float] = []
    for x in lengths:
        err = knee_error(float(x))
        if not np.isfinite(err) and reached and prev is not None and prev_err > 0:
            # the leg's reach ends within this step: bisect towards it for a bracket
            lo_x, hi_x = prev, float(x)
            for _ in range(14):
                mid = 0.5 * (lo_x + hi_x)
                e_mid = knee_error(mid)
                if np.isfinite(e_mid):
                    reached.append(math.degrees(e_mid + target))
                if not np.isfinite(e_mid):
                    hi_x = mid
                elif e_mid > 0:
                    lo_x, prev, prev_err = mid, mid, e_mid
                else:
                    x, err = mid, e_mid
                    break
        if not np.isfinite(err):
            if reached:
                break
            continue
        reached.append(math.degrees(err + target))
        if prev is not None and np.isfinite(prev_err) and prev_err * err <= 0:
            leg_length = brentq(lambda v: np.nan_to_num(knee_error(v), nan=-target),
                                prev, float(x), xtol=1e-7)
            break
        prev, prev_err = float(x), err
    report_notes: list[str] = []
    if leg_length is None:
        span = f"{min(reached):.1f}-{max(reached):.1f} deg" if reached else "none"
        ok_runs = [(abs(v["knee_contact"] - target), x) for x, v in solved.items() if v["ok"]]
        _, nearest = min(ok_runs, default=(math.inf, None))
        # A published knee angle this planar model cannot reach for the stride (no pelvic list
        # or rotation to lengthen the leg; the crouch of README "Known gap"): take the nearest
        # reachable and say so (report note, warning) rather than stop a sweep.
        if nearest is not None:
            leg_length = nearest
            note = (f"knee_flexion_at_contact_deg: {inputs.knee_flexion_at_contact_deg:g} deg is not "
                    f"reachable (reachable {span}); used the nearest, "
                    f"{math.degrees(solved[nearest]['knee_contact']):.1f} deg")
            log.warning(note)
            report_notes.append(note)
    if leg_length is None:
        raise BiomechError(
            f"knee_flexion_at_contact_deg: {inputs.knee_flexion_at_contact_deg} deg is not "
            f"reachable for this model and stride (knee flexion at contact reachable: {span})")
    sol = solved.get(leg_length) or solve(leg_length)
    if not sol["ok"]:
        raise BiomechError("stance inverse kinematics did not converge for the planned COM path")
    t = sol["t"]
    n = t.size
    com = np.asarray(sol["plan"].position_m)[:-1]   # the plan depends on the leg length only
    px, py = idx["pelvis_tx"], idx["pelvis_ty"]

    def shifted(y: np.ndarray) -> np.ndarray:  # the left leg is half a stride behind
        return np.roll(y, n_step, axis=0)

    def low_passed(right: np.ndarray, t_eval: np.ndarray) -> tuple[np.ndarray, ...]:
        """Joint angles, velocities and accelerations at ``t_eval`` of both legs (the left half a
        stride behind) with their harmonics up to the cut-off; trunk and pelvis tilt set, pelvis
        translation zero."""
        q_ = np.zeros((t_eval.size, len(names)))
        qd_, qdd_ = np.zeros_like(q_), np.zeros_like(q_)
        for j, base in enumerate(LEG_JOINTS):
            for side, series in (("r", right[:, j]), ("l", shifted(right[:, j]))):
                c = idx[f"{base}_{side}"]
                q_[:, c], qd_[:, c], qdd_[:, c] = fourier_lowpass(series, T, t_eval,
                                                                  inputs.kinematics_cutoff_hz)
        q_[:, idx["pelvis_tilt"]] = tilt
        q_[:, idx["lumbar_extension"]] = lumbar
        return q_, qd_, qdd_

    # Swing clearance. Where the low-passed swing heel or metatarsal heads pass more than the
    # tolerance below the ground, the swing joint angles get the smoothest correction that lifts
    # them (biomech.gait.clearance: zero at toe-off, touchdown and the key points, each joint
    # inside the range it spans over the uncorrected stride), the pelvis is solved again, and
    # this repeats on the new motion (the lift is linearised). Points at most the tolerance deep
    # (the low-pass at toe-off and touchdown) may not get deeper.
    swing = t > t_c + 1e-12
    t_to = float(t[~swing][-1])
    tau_sw = (t[swing] - t_to) / (T - t_to)
    lift = np.zeros((int(swing.sum()), len(LEG_JOINTS)))
    span = np.column_stack([sol["right"].min(axis=0), sol["right"].max(axis=0)])   # (joint, 2) rad
    points = (foot.heel, foot.mtp)
    clearance_passes, not_corrected = 0, ""

    def placed(q_: np.ndarray) -> np.ndarray:
        """``q_`` (one stride at the samples ``t``) with the pelvis placed so the model's COM is
        the planned one."""
        q_ = q_.copy()
        q_[:, [px, py]] = 0.0
        q_[:, [px, py]] = com - kin.com(q_)
        return q_

    def swing_heights(q_: np.ndarray) -> np.ndarray:
        """(swing samples, 2) heights (m) of the right heel and metatarsal heads."""
        q_ = placed(q_)
        return np.column_stack([kin.point(q_, "calcn_r", np.asarray(pt))[swing, 1] for pt in points])

    for _ in range(_CLEARANCE_PASSES if swing_clearance else 0):
        q1 = low_passed(sol["right"], t)[0]
        heights = swing_heights(q1)
        if heights.min() >= -_CLEARANCE_TOLERANCE_M:
            break
        step = math.radians(0.01)
        jac = np.empty(heights.shape + (len(LEG_JOINTS),))
        for j, base in enumerate(LEG_JOINTS):
            qp = q1.copy()
            qp[:, idx[f"{base}_r"]] += step
            jac[:, :, j] = (swing_heights(qp) - heights) / step
        floor = np.where(heights < -_CLEARANCE_TOLERANCE_M, 0.0, np.minimum(heights, 0.0))
        try:
            lift = lift + clearance_correction(tau_sw, heights, jac, [(f, pk) for f, _, pk in keys],
                                               floor_m=floor, angle_rad=sol["right"][swing],
                                               range_rad=span)
        except BiomechError:
            not_corrected = "no smooth correction keeps the joints inside their ranges over the stride"
            break
        new = solve(leg_length, sol["pelvis"], lift)
        if not new["ok"]:
            not_corrected = "the stance leg cannot reach the pelvis path of the corrected swing"
            break
        sol = new
        clearance_passes += 1
    correction_deg = float(np.degrees(np.max(np.abs(lift)))) if clearance_passes else 0.0
    if clearance_passes:
        j_max = int(np.argmax(np.max(np.abs(lift), axis=0)))
        report_notes.append(
            f"swing joint angles corrected so the swing foot clears the ground (largest change "
            f"{correction_deg:.1f} deg, {LEG_JOINTS[j_max]}; {clearance_passes} pass(es))")
        log.info(report_notes[-1])
    plan, right = sol["plan"], sol["right"]
    iterations, com_error, ik_err = sol["iterations"], sol["com_error"], sol["ik_err"]
    com_v = np.asarray(plan.velocity_m_s)[:-1]
    com_a = np.asarray(plan.acceleration_m_s2)[:-1]

    # smooth periodic angles with analytic derivatives
    n_strides = inputs.n_strides
    t_all = np.arange(n * n_strides + 1) * (T / n)
    q, qd, qdd = low_passed(right, t_all)
    # planned COM over all strides (periodic with a forward shift per stride)
    k = np.arange(t_all.size) % n
    stride_len = stride.direction_sign * stride.stride_length_m   # signed, m per stride
    shift = (np.arange(t_all.size) // n) * stride_len
    P = com[k] + np.column_stack([shift, np.zeros_like(shift)])
    V, A = com_v[k], com_a[k]
    q[:, [px, py]] = P - kin.com(q)
    qd[:, [px, py]] = V - kin.com_velocity(q, qd)
    qdd[:, [px, py]] = 0.0
    qdd[:, [px, py]] = A - kin.com_offset_acceleration(q, qd, qdd)

    # ground reaction force and centre of pressure
    grf = m * (A - gravity)
    in_flight = ~np.asarray(plan.in_contact)[:-1][k]
    grf[in_flight] = 0.0
    hdot = kin.angular_momentum_rate(q, qd, qdd)
    com_now = kin.com(q)
    clamped = np.zeros(t_all.size, dtype=bool)
    feet: dict[str, tuple[np.ndarray, np.ndarray]] = {}   # side -> (force, CoP), N and m
    moment_total = np.zeros(t_all.size)       # moment of both feet's GRF about the COM, N m
    t_ds = t_c - T_step                       # walking: one double support, s

    def share(t_: np.ndarray, td: float) -> np.ndarray:
        """This foot's share of the whole-body vertical load in its stance from ``td``: all of it
        in running; in walking it takes the load over in the double support after its strike and
        hands it on in the one before its toe-off (Ren et al. 2008 vertical transition function;
        the fore-aft force is then aimed at the COM, below)."""
        if not walking:
            return np.ones_like(t_)
        lead = transition_shares(t_, td, td + t_ds, component="vertical", exact_end=True)[1]
        trail = transition_shares(t_, td + T_step, td + t_c, component="vertical", exact_end=True)[0]
        return lead * trail
    events: dict[str, list[float]] = {f"{e}_{s}": [] for e in ("foot_strike", "toe_off") for s in "rl"}
    feet_x = {"r": float(plan.foot_position_m[0][0]), "l": float(plan.foot_position_m[1][0])}
    for side, t0 in (("r", 0.0), ("l", T_step)):
        force = np.zeros((t_all.size, 3))
        cop = np.full((t_all.size, 3), np.nan)
        for st in range(-1, n_strides + 1):
            td = t0 + st * T
            sel = (t_all >= td - 1e-12) & (t_all <= td + t_c + 1e-12)
            if not sel.any():
                continue
            if 0 <= td <= t_all[-1] + 1e-12:
                events[f"foot_strike_{side}"].append(td)
            if 0 <= td + t_c <= t_all[-1] + 1e-12:
                events[f"toe_off_{side}"].append(td + t_c)
            mid = support_mid(feet_x[side]) + st * stride_len
            sf = np.clip((t_all[sel] - td) / t_c, 0.0, 1.0)
            ph = sole_angle(sf, inputs)
            half = 0.5 * (foot.mtp[0] - foot.heel[0])
            # the part of the sole on the ground: the heel while the toes are up, heel to toe
            # tip while flat, metatarsal heads to toe tip while the heel is up; its ends move
            # smoothly (over 2 deg of sole angle) so the CoP has no jumps
            heel_x, mtp_x = mid - half, mid + half
            toe_x = mtp_x + (foot.toe[0] - foot.mtp[0])
            lo = heel_x + (mtp_x - heel_x) * smoothstep5(-ph / _SOLE_SMOOTH_RAD)
            hi = toe_x - (toe_x - heel_x) * smoothstep5(ph / _SOLE_SMOOTH_RAD)
            f = grf[sel] * share(t_all[sel], td)[:, None]   # walking: fore-aft force set below
            fy = np.where(np.abs(f[:, 1]) > 1e-9, f[:, 1], np.nan)
            x_ideal = com_now[sel, 0] + (hdot[sel] - com_now[sel, 1] * f[:, 0]) / fy
            x_ideal = np.nan_to_num(x_ideal, nan=0.5 * (lo + hi))
            if cop_mode == "planned":
                land = support_mid(feet_x[side]) - (mid_local - x_land) + st * stride_len
                x_ideal = land + stride.direction_sign * cop_position(
                    sf, flat_start=inputs.foot_flat_start, flat_end=inputs.foot_flat_end,
                    early_m=toe_travel(inputs.foot_angle_at_contact_deg), flat_m=travel,
                    late_m=toe_travel(inputs.foot_angle_at_toe_off_deg))
            # soft clamp into [lo, hi] (softplus, 5 mm): C-infinity, so the loads stay smooth
            w = _COP_SOFTNESS_M
            x_cop = lo + w * np.logaddexp(0.0, (x_ideal - lo) / w)
            x_cop = hi - w * np.logaddexp(0.0, (hi - x_cop) / w)
            clamped[sel] |= np.abs(x_cop - x_ideal) > 1e-3
            if walking:
                # each foot's force points at the COM from its own CoP, as the plan's whole-body
                # force does from the combined CoP (the vertical-share weighted mean of the two):
                # the per-leg form of the plan (the legs of the bipedal spring-mass walker push
                # along foot-to-COM, Geyer, Seyfarth & Blickhan 2006, Proc R Soc B 273:2861), so
                # the trailing foot pushes and the leading foot brakes through the whole double
                # support; the two add up to the plan's fore-aft force
                f[:, 0] = f[:, 1] * (com_now[sel, 0] - x_cop) / com_now[sel, 1]
            force[sel, :2] = f
            cop[sel, 0], cop[sel, 1], cop[sel, 2] = x_cop, 0.0, 0.0
        feet[side] = (force, cop)
    if walking:
        # what the CoP clamp leaves of the plan's fore-aft force (zero without a clamp), shared in
        # proportion to the vertical force, so that GRF = m (a_com - g) holds exactly
        vertical = feet["r"][0][:, 1] + feet["l"][0][:, 1]
        missing = grf[:, 0] - feet["r"][0][:, 0] - feet["l"][0][:, 0]
        for force, _ in feet.values():
            force[:, 0] += missing * np.divide(force[:, 1], vertical, out=np.zeros_like(vertical),
                                               where=vertical > 0)
    loads = {}
    for side, (force, cop) in feet.items():
        loaded = force[:, 1] != 0.0
        moment_total[loaded] += ((cop[loaded, 0] - com_now[loaded, 0]) * force[loaded, 1]
                                 + com_now[loaded, 1] * force[loaded, 0])
        loads[side] = FootLoad(body=f"calcn_{side}", force_n=force, cop_m=_fill_cop(cop),
                               free_moment_nm=np.zeros((t_all.size, 3)))
    resid = hdot - moment_total

    # checks on the result. Foot slip: how far the low-pass moves a heel or metatarsal-head
    # point that the unfiltered stance keeps on the ground (the stance foot rolls over fixed
    # ground points), over the first stride (the motion is periodic).
    q_raw = placed(pose(right))
    # the planted sole sinks by the compression (0 with a rigid sole)
    sink = np.where(t <= t_c + 1e-12, sole_sink(com_a[:, 1]), 0.0)
    slip = 0.0
    for side, depth in (("r", sink), ("l", shifted(sink))):
        for pt in (foot.heel, foot.mtp):
            at_raw = kin.point(q_raw, f"calcn_{side}", np.asarray(pt))
            planted = np.abs(at_raw[:, 1] + depth) < 1e-4
            if planted.any():
                moved = kin.point(q[:n], f"calcn_{side}", np.asarray(pt))[planted] - at_raw[planted]
                slip = max(slip, float(np.max(np.hypot(moved[:, 0], moved[:, 1]))))
    clearance, lowest = np.inf, ("", 0.0)
    for side, t0 in (("r", 0.0), ("l", T_step)):
        heel = kin.point(q, f"calcn_{side}", tuple(foot.heel))
        mtp = kin.point(q, f"calcn_{side}", tuple(foot.mtp))
        phase = np.mod(t_all - t0, T)
        st_sel = phase <= t_c + 1e-12
        sw = ~st_sel
        if sw.any():
            # heel and metatarsal heads only: the rigid foot has no toe joint, so its toe tip
            # dips below the ground while the foot rotates about the metatarsal heads
            for point, pt in (("heel", heel), ("metatarsal heads", mtp)):
                k = int(np.flatnonzero(sw)[np.argmin(pt[sw, 1])])
                if pt[k, 1] < clearance:
                    clearance = float(pt[k, 1])
                    lowest = (f"{point} ({side})", 100.0 * phase[k] / T)
    if clearance < -_CLEARANCE_TOLERANCE_M:
        # no smooth correction within the joint ranges lifted the swing foot (see above):
        # reported (note, warning, experiment table), not hidden
        note = (f"swing foot passes {-1000 * clearance:.0f} mm below the ground ({lowest[0]} at "
                f"{lowest[1]:.0f} % of that leg's stride from foot strike)"
                + ("" if not not_corrected else
                   f"; not corrected further: {not_corrected}" if clearance_passes else
                   f"; not corrected: {not_corrected}"))
        log.warning(note)
        report_notes.append(note)

    motion = Motion(
        time_s=t_all, coordinate_names=tuple(names), q=q, qd=qd, qdd=qdd,
        rotational=tuple(nm not in ("pelvis_tx", "pelvis_ty") for nm in names), loads=loads,
        events={k_: np.array(v) for k_, v in events.items()}, direction=inputs.direction,
        params={f: getattr(inputs, f) for f in inputs.__dataclass_fields__},
        name=f"{inputs.mode}_{inputs.direction}_{inputs.speed_m_s:g}ms")
    report = SynthesisReport(
        iterations=iterations, com_error_m=com_error, max_ik_error_m=ik_err,
        max_foot_slip_m=slip, min_swing_clearance_m=clearance,
        max_residual_moment_nm=float(np.max(np.abs(resid))),
        rms_residual_moment_nm=float(np.sqrt(np.mean(resid**2))),
        cop_clamped_fraction=float(np.mean(clamped[~in_flight])) if (~in_flight).any() else 0.0,
        leg_stiffness_n_m=plan.leg_stiffness_n_m, vertical_stiffness_n_m=plan.vertical_stiffness_n_m,
        notes=tuple(report_notes), max_clearance_correction_deg=correction_deg)
    return motion, report


def _fill_cop(cop: np.ndarray) -> np.ndarray:
    """Hold the CoP at its last (or next) value where the foot carries no load (files need
    numbers; the force there is zero so the point has no effect)."""
    out = cop.copy()
    x = out[:, 0]
    valid = ~np.isnan(x)
    if not valid.any():
        return np.zeros_like(out)
    idx = np.where(valid, np.arange(x.size), 0)
    np.maximum.accumulate(idx, out=idx)
    first = int(np.argmax(valid))
    idx[:first] = first
    return out[idx]
