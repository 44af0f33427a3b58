"""Running gait synthesised from mechanics on a model's skeleton.

The stance kinematics are not prescribed joint-angle curves. For each step:

1. the whole-body centre of mass (COM) follows a spring-mass plan
   (:func:`biomech.gait.com_path.plan_running_com`): ballistic in flight, a leg spring in stance,
   matched to speed, step rate and duty factor;
2. the stance foot rolls over fixed ground points: it lands at the sole angle given by the foot
   strike pattern, rotates about the heel (toes up) or about the metatarsal heads (heel up), lies
   flat between, and leaves at the toe-off sole angle; the middle of its support (between the
   heel and the metatarsal heads) is placed at the spring's contact point, so the COM is over the
   midfoot at mid-stance;
3. the pelvis translation is solved so that the **model's** COM is the planned COM, and the stance
   leg's hip and knee angles follow from the geometry (inverse kinematics: the ankle must be where
   the rolling foot puts it); the ankle angle follows from the foot's sole angle;
4. each joint of the leg moves in swing along a polynomial that matches angle, velocity and
   acceleration at toe-off and at the next touchdown and passes through the peak swing knee
   flexion at mid-swing (the only swing key angle needed);
5. the fixed point of 3-4 (the swing leg's mass moves the COM) is iterated to convergence.

Pelvis translation accelerations are then set so that the model's COM acceleration equals the
plan's exactly, so the ground reaction force (GRF) is ``m (a_com - g)``: zero in flight, and the
pelvis residual forces of inverse dynamics vanish. The centre of pressure (CoP) is placed on the
ground where the GRF's moment about the COM equals the rate of change of whole-body angular
momentum; where that point is off the part of the foot touching the ground it is clamped there
and the remaining moment is reported as the pelvis residual moment (never hidden).

Raising the step rate at constant speed shortens the steps, so the spring-mass COM dips less and
the stance knee flexes less: a physical consequence, not a rule in this code. Backward running
differs from forward running only through its parameters (direction of travel, forefoot contact,
published step rate and duty factor) and the resulting geometry.

Status (experimental): the mechanics close (GRF = m(a_com - g), flight GRF zero, inverse-dynamics
pelvis residual forces ~1e-9 BW, stance foot fixed), but the stance leg is too crouched compared
with measured running (e.g. peak stance knee flexion ~80 deg against ~50 deg measured), the swing
foot dips below the ground, and the published knee flexion at contact is often not reachable.
The mechanism identified so far: the spring-mass stance is symmetric about a fixed contact point
and keeps the COM too low at touchdown and toe-off for this model's rolling foot; the swing
polynomials overshoot. Do not use the kinematics for conclusions yet.

Units: SI (s, m, rad, N, N m, kg). Angles in parameters are in degrees where the name says so.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import make_interp_spline
from scipy.optimize import brentq, root

from biomech.errors import BiomechError
from biomech.gait.com_path import ComPath, StrideParams, plan_running_com
from biomech.gait.motion import FootLoad, Motion
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
    peak_swing_hip_flexion_deg: float | None
    swing_ankle_angle_deg: float | None
    min_swing_hip_flexion_deg: float | None = None
    peak_knee_swing_fraction: float = 0.5
    peak_hip_swing_fraction: float = 0.8
    min_hip_swing_fraction: float = 0.15
    samples_per_step: int = 200
    n_strides: int = 1


@dataclass(frozen=True)
class SynthesisReport:
    """Quality of a synthesised motion: what closes and what does not."""

    iterations: int
    com_error_m: float
    max_ik_error_m: float
    max_foot_slip_m: float
    min_swing_clearance_m: float
    max_residual_moment_nm: float
    rms_residual_moment_nm: float
    cop_clamped_fraction: float
    leg_stiffness_n_m: float
    vertical_stiffness_n_m: float
    notes: tuple[str, ...] = field(default_factory=tuple)


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
    late = a1 * smoothstep5((s - s2) / (1 - s2)) if s2 < 1 else 0.0 * s
    return np.where(s <= s1, early, 0.0) + np.where(s >= s2, late, 0.0)


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


# ------------------------------------------------------------------------------ swing ----
def _poly_through(t0: float, t1: float, start: tuple[float, float, float],
                  end: tuple[float, float, float],
                  vias: tuple[tuple[float, float], ...] = ()) -> np.ndarray:
    """Polynomial (ascending coefficients in tau = t - t0) matching value, velocity and
    acceleration at both ends and passing through each via point (time, value) with zero
    velocity there."""
    rows, rhs = [], []
    n = 6 + 2 * len(vias)

    def row(tau: float, deriv: int) -> list[float]:
        out = []
        for k in range(n):
            if k < deriv:
                out.append(0.0)
            else:
                out.append(math.factorial(k) / math.factorial(k - deriv) * tau ** (k - deriv))
        return out

    for d in range(3):
        rows.append(row(0.0, d))
        rhs.append(start[d])
        rows.append(row(t1 - t0, d))
        rhs.append(end[d])
    for tv, val in vias:
        rows.append(row(tv - t0, 0))
        rhs.append(val)
        rows.append(row(tv - t0, 1))
        rhs.append(0.0)
    return np.linalg.solve(np.array(rows), np.array(rhs))


def _swing_path(t: np.ndarray, t0: float, t1: float, start: tuple[float, float, float],
                end: tuple[float, float, float], vias: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Piecewise quintic from ``start`` to ``end`` (value, velocity, acceleration) through the via
    points (time, value), each reached with zero velocity and acceleration.

    C2 continuous; one quintic per segment avoids the oscillation of a single high-degree
    polynomial through all the conditions.
    """
    knots = [(t0, start)] + [(tv, (v, 0.0, 0.0)) for tv, v in sorted(vias)] + [(t1, end)]
    out = np.empty_like(t, dtype=float)
    for (ta, sa), (tb, sb) in zip(knots[:-1], knots[1:], strict=True):
        sel = (t >= ta) & (t <= tb)
        coef = _poly_through(ta, tb, sa, sb)
        out[sel] = np.polynomial.polynomial.polyval(t[sel] - ta, coef)
    return out


def _derivs_at(t: np.ndarray, y: np.ndarray, at: float) -> tuple[float, float, float]:
    spl = make_interp_spline(t, y, k=5)
    return float(spl(at)), float(spl(at, 1)), float(spl(at, 2))


# ----------------------------------------------------------------------- the synthesis ----
def synthesise_running(skeleton: Skeleton, inputs: RunningInputs, *,
                       kinematics: PlanarKinematics | None = None,
                       max_iterations: int = 40, tolerance_m: float = 1e-11,
                       ) -> tuple[Motion, SynthesisReport]:
    """Synthesise steady running on ``skeleton`` from mechanics; see the module docstring.

    Returns the :class:`~biomech.gait.motion.Motion` (``n_strides`` strides starting at a right
    foot strike) and a :class:`SynthesisReport`.
    """
    kin = kinematics or PlanarKinematics.from_skeleton(skeleton)
    names = list(skeleton.independent_coordinates)
    idx = {n: i for i, n in enumerate(names)}
    leg, foot = _Leg.from_skeleton(skeleton), _Foot.from_skeleton(skeleton)
    m = skeleton.total_mass_kg
    g = -skeleton.gravity_m_s2                 # magnitude, m/s^2
    gravity = np.array([0.0, skeleton.gravity_m_s2])

    n_step = inputs.samples_per_step
    stride = StrideParams(speed_m_s=inputs.speed_m_s, step_rate_hz=inputs.step_rate_hz,
                          duty_factor=inputs.duty_factor, direction=inputs.direction,
                          mass_kg=m, gravity_m_s2=g)
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

    x_land = contact_x(inputs.foot_angle_at_contact_deg)
    x_leave = contact_x(inputs.foot_angle_at_toe_off_deg)
    travel = max(0.0, stride.direction_sign * (x_leave - x_land))

    def support_mid(spring_mid_x: float) -> float:
        """Ground x of the heel-metatarsal midpoint given the spring's mid-stance contact x."""
        landing_ground = spring_mid_x - stride.direction_sign * travel / 2.0
        return landing_ground + (mid_local - x_land)

    def solve(leg_length_m: float, init: np.ndarray | None = None) -> dict:
        """Plan the COM with spring rest length ``leg_length_m`` and solve the stride.

        Unknown: the pelvis (mid-hip) path over one stride. Given it, the stance leg follows from
        inverse kinematics, the swing leg from its polynomials, and the residual is the model's
        COM minus the planned COM. Solved with Newton-Krylov (the swing leg's mass couples every
        frame to the stance boundary states). ``init`` is a previous pelvis path (warm start).
        """
        plan: ComPath = plan_running_com(stride, leg_length_m=leg_length_m,
                                         n_per_step=inputs.samples_per_step, n_steps=2,
                                         contact_travel_m=travel)
        t = np.asarray(plan.time_s)[:-1]          # one stride, periodic (endpoint dropped)
        n = t.size
        com = np.asarray(plan.position_m)[:-1]
        stance = t <= t_c + 1e-12                 # right stance at the start of the stride
        swing = ~stance
        ts = t[stance]
        phi = sole_angle(np.clip(t / t_c, 0.0, 1.0), inputs)
        ankle_target, _ = foot.pose(phi[stance], support_mid(float(plan.foot_position_m[0][0])))
        keys = {0: (inputs.peak_hip_swing_fraction, inputs.peak_swing_hip_flexion_deg),
                1: (inputs.peak_knee_swing_fraction, inputs.peak_swing_knee_flexion_deg),
                2: (0.5, inputs.swing_ankle_angle_deg)}

        def legs(pelvis: np.ndarray) -> tuple[np.ndarray, float]:
            th, kn, err = leg.solve(pelvis[stance], ankle_target)
            right = np.zeros((n, 3))
            right[stance] = np.column_stack([th - tilt, kn, phi[stance] - (th - kn)])
            for j in range(3):   # swing polynomials from the stance boundary states
                start = _derivs_at(ts, right[stance, j], ts[-1])
                end = _derivs_at(ts + T, right[stance, j], T)  # next touchdown = this one + T
                frac, value = keys[j]
                vias = () if value is None else ((ts[-1] + frac * (T - ts[-1]), math.radians(value)),)
                if j == 0 and inputs.min_swing_hip_flexion_deg is not None:
                    vias = ((ts[-1] + inputs.min_hip_swing_fraction * (T - ts[-1]),
                             math.radians(inputs.min_swing_hip_flexion_deg)),) + vias
                right[swing, j] = _swing_path(t[swing], ts[-1], T, start, end, vias)
            return right, err

        def pose(right: np.ndarray) -> np.ndarray:
            q = np.zeros((n, len(names)))
            q[:, idx["pelvis_tilt"]] = tilt
            q[:, idx["lumbar_extension"]] = lumbar
            for j, base in enumerate(LEG_JOINTS):
                q[:, idx[f"{base}_r"]] = right[:, j]
                q[:, idx[f"{base}_l"]] = np.roll(right[:, j], n_step, axis=0)
            return q

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
        ok = bool(np.isfinite(err) and err < 1e-8 and ik_err < 1e-9)
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
        return float(sol["right"][0, 1]) - target if sol["ok"] else math.nan

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
    if leg_length is None:
        span = f"{min(reached):.0f}-{max(reached):.0f} deg" if reached else "none"
        raise BiomechError(
            f"knee_flexion_at_contact_deg: {inputs.knee_flexion_at_contact_deg} deg is not "
            f"reachable for this model and stride (knee flexion at contact reachable: {span})")
    sol = solved.get(leg_length) or solve(leg_length)
    if not sol["ok"]:
        raise BiomechError("stance inverse kinematics did not converge for the planned COM path")
    plan, right, t = sol["plan"], sol["right"], sol["t"]
    iterations, com_error, ik_err = sol["iterations"], sol["com_error"], sol["ik_err"]
    report_notes: list[str] = []
    n = t.size
    com = np.asarray(plan.position_m)[:-1]
    com_v = np.asarray(plan.velocity_m_s)[:-1]
    com_a = np.asarray(plan.acceleration_m_s2)[:-1]

    def shifted(y: np.ndarray) -> np.ndarray:  # the left leg is half a stride behind
        return np.roll(y, n_step, axis=0)

    # smooth periodic angles with analytic derivatives
    n_strides = inputs.n_strides
    t_all = np.arange(n * n_strides + 1) * (T / n)
    q = np.zeros((t_all.size, len(names)))
    qd, qdd = np.zeros_like(q), np.zeros_like(q)
    t_per = np.append(t, T)
    for j, base in enumerate(LEG_JOINTS):
        for side, series in (("r", right[:, j]), ("l", shifted(right[:, j]))):
            spl = make_interp_spline(t_per, np.append(series, series[0]), k=5, bc_type="periodic")
            tt = np.mod(t_all, T)
            c = idx[f"{base}_{side}"]
            q[:, c], qd[:, c], qdd[:, c] = spl(tt), spl(tt, 1), spl(tt, 2)
    q[:, idx["pelvis_tilt"]] = tilt
    q[:, idx["lumbar_extension"]] = lumbar
    # planned COM over all strides (periodic with a forward shift per stride)
    k = np.arange(t_all.size) % n
    stride_len = stride.direction_sign * stride.stride_length_m   # signed, m per stride
    shift = (np.arange(t_all.size) // n) * stride_len
    P = com[k] + np.column_stack([shift, np.zeros_like(shift)])
    V, A = com_v[k], com_a[k]
    px, py = idx["pelvis_tx"], idx["pelvis_ty"]
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
    loads, resid, clamped = {}, np.zeros(t_all.size), np.zeros(t_all.size, dtype=bool)
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
            lo = np.where(ph > 1e-9, mid - half, np.where(ph < -1e-9, mid + half, mid - half))
            hi = np.where(ph > 1e-9, mid - half, mid + half + (foot.toe[0] - foot.mtp[0]))
            f = grf[sel]
            fy = np.where(np.abs(f[:, 1]) > 1e-9, f[:, 1], np.nan)
            x_ideal = com_now[sel, 0] + (hdot[sel] - com_now[sel, 1] * f[:, 0]) / fy
            x_cop = np.clip(np.nan_to_num(x_ideal, nan=0.5 * (lo + hi)), lo, hi)
            clamped[sel] |= np.abs(x_cop - np.nan_to_num(x_ideal, nan=x_cop)) > 1e-9
            force[sel, :2] = f
            cop[sel, 0], cop[sel, 1], cop[sel, 2] = x_cop, 0.0, 0.0
            moment = (x_cop - com_now[sel, 0]) * f[:, 1] + com_now[sel, 1] * f[:, 0]
            resid[sel] = hdot[sel] - moment
        cop = _fill_cop(cop)
        loads[side] = FootLoad(body=f"calcn_{side}", force_n=force, cop_m=cop,
                               free_moment_nm=np.zeros((t_all.size, 3)))
    resid[in_flight] = hdot[in_flight]

    # checks on the result: foot slip in stance, swing clearance
    slip, clearance = 0.0, np.inf
    for side, t0 in (("r", 0.0), ("l", T_step)):
        heel = kin.point(q, f"calcn_{side}", tuple(foot.heel))
        toe = kin.point(q, f"calcn_{side}", tuple(foot.toe))
        mtp = kin.point(q, f"calcn_{side}", tuple(foot.mtp))
        phase = np.mod(t_all - t0, T)
        st_sel = phase <= t_c + 1e-12
        for pt in (heel, mtp):
            if st_sel.any():
                on_ground = st_sel & (np.abs(pt[:, 1]) < 1e-4)
                if on_ground.sum() > 2:
                    xs = pt[on_ground, 0] - stride_len * np.floor((t_all[on_ground] - t0) / T + 1e-9)
                    slip = max(slip, float(np.ptp(np.round(xs, 12))) if xs.size else 0.0)
        sw = ~st_sel
        if sw.any():
            clearance = min(clearance, float(np.min([heel[sw, 1], toe[sw, 1], mtp[sw, 1]])))

    motion = Motion(
        time_s=t_all, coordinate_names=tuple(names), q=q, qd=qd, qdd=qdd,
        rotational=tuple(nm not in ("pelvis_tx", "pelvis_ty") for nm in names), loads=loads,
        events={k_: np.array(v) for k_, v in events.items()}, direction=inputs.direction,
        params={"mode": "running", **{f: getattr(inputs, f) for f in inputs.__dataclass_fields__}},
        name=f"running_{inputs.direction}_{inputs.speed_m_s:g}ms")
    report = SynthesisReport(
        iterations=iterations, com_error_m=com_error, max_ik_error_m=ik_err,
        max_foot_slip_m=slip, min_swing_clearance_m=clearance,
        max_residual_moment_nm=float(np.max(np.abs(resid))),
        rms_residual_moment_nm=float(np.sqrt(np.mean(resid**2))),
        cop_clamped_fraction=float(np.mean(clamped[~in_flight])) if (~in_flight).any() else 0.0,
        leg_stiffness_n_m=plan.leg_stiffness_n_m, vertical_stiffness_n_m=plan.vertical_stiffness_n_m,
        notes=tuple(report_notes))
    if clearance < -0.005:
        log.warning("swing foot goes %.1f mm below the ground", -clearance * 1000)
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
