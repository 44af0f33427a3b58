"""Passive joint moments: the model's (muscles at zero activation) and a published reference.

The model's passive moment about a coordinate is the sum over muscles of passive fibre force
along the tendon times moment arm, from a :class:`~biomech.muscles.MuscleCapacity` (rigid
tendons; :func:`biomech.osim.muscle_export.export_muscle_capacity`). The reference is the
double-exponential fit of Riener & Edrich (1999, J Biomech 32:539; ten healthy subjects, passive
hip, knee and ankle moments measured over combinations of the adjacent joint angles), which
includes every passive structure (muscles, ligaments, capsule), so a model's muscles alone should
not exceed it by much where the fit is valid.

:func:`fit_passive_strain` calibrates each muscle's passive curve (De Groote's passive fibre strain
at one normalised force) so that the muscles' passive moments match such a reference in least
squares, the approach of models whose passive curves were fitted to measured passive joint
moments (e.g. Uhlrich et al. 2022, Sci Rep 12:9842, with Silder et al. 2007's data).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

from biomech.muscles.compliant import passive_force_length
from biomech.muscles.static_optimization import passive_moments_nm


def riener_edrich_1999_nm(hip_flexion_deg, knee_flexion_deg, ankle_dorsiflexion_deg
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Passive hip flexion, knee flexion and ankle dorsiflexion moments (N m) of Riener & Edrich
    (1999), for joint angles in degrees (hip flexion, knee flexion and ankle dorsiflexion
    positive); a positive moment flexes the hip or knee or dorsiflexes the ankle.

    Coefficients as transcribed with these sign conventions by Miller et al. (2012, sprinting
    simulations). The knee fit's last term, exp(2.220 - 0.150 K), stiffens full extension and is
    below 0.1 N m from 30 deg of flexion on; the secondary source prints its factor as 1.50, so
    compare knee moments at 30 deg of flexion or more only. The fits hold inside the ranges
    measured (roughly hip -20..+90, knee 0..110, ankle -30..+30 deg).
    """
    h, k, a = (np.asarray(x, dtype=float)
               for x in (hip_flexion_deg, knee_flexion_deg, ankle_dorsiflexion_deg))
    hip = np.exp(1.4655 - 0.0034 * k - 0.0750 * h) - np.exp(1.3403 - 0.0226 * k + 0.0305 * h) + 8.072
    knee = (np.exp(1.800 + 0.0460 * a - 0.0352 * k + 0.0217 * h)
            - np.exp(-3.971 + 0.0004 * a + 0.0495 * k - 0.0128 * h) - 4.820 + np.exp(2.220 - 0.150 * k))
    ankle = np.exp(-7.9763 - 0.1949 * a + 0.0008 * k) - np.exp(2.1016 + 0.0843 * a - 0.0176 * k) + 1.792
    return hip, knee, ankle


def grid_passive_moments_nm(moment_arm_m: np.ndarray, norm_fiber_length: np.ndarray,
                            cos_pennation: np.ndarray, max_isometric_force_n: np.ndarray,
                            strain_at_one_norm_force: np.ndarray) -> np.ndarray:
    """Passive moments (N m), shape (n_poses, n_joints), of muscles with De Groote passive curves
    and rigid tendons: sum over muscles of moment arm (m) x F0 (N) x cos(pennation) x f_P(fibre
    length / optimal, strain at one normalised force per muscle)."""
    strain = np.asarray(strain_at_one_norm_force, dtype=float)[None, :]
    force = (np.asarray(max_isometric_force_n, dtype=float) * np.asarray(cos_pennation, dtype=float)
             * passive_force_length(norm_fiber_length, strain))
    return np.einsum("fmk,fm->fk", np.asarray(moment_arm_m, dtype=float), force)


def fit_passive_strain(moment_arm_m: np.ndarray, norm_fiber_length: np.ndarray, cos_pennation: np.ndarray,
                       max_isometric_force_n: np.ndarray, target_nm: np.ndarray, valid: np.ndarray, *,
                       default: float = 0.6, bounds: tuple[float, float] = (0.2, 2.0)
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Per-muscle passive fibre strain at one normalised force (De Groote curve, rigid tendons)
    whose passive moments best match ``target_nm`` in least squares.

    ``moment_arm_m`` (n_poses, n_muscles, n_joints) in m, ``norm_fiber_length`` and
    ``cos_pennation`` (n_poses, n_muscles), ``max_isometric_force_n`` (n_muscles,) in N,
    ``target_nm`` (n_poses, n_joints) in N m and ``valid`` (n_poses, n_joints), which residuals
    count. A muscle whose fibres stay at or below optimal length at every pose has no passive
    force to fit and keeps ``default``; the others are fitted (in log strain) within ``bounds``.
    Returns the strains (n_muscles,) and which muscles were fitted.
    """
    r = np.asarray(moment_arm_m, dtype=float)
    lengths, cos_a = np.asarray(norm_fiber_length, dtype=float), np.asarray(cos_pennation, dtype=float)
    f0, target = np.asarray(max_isometric_force_n, dtype=float), np.asarray(target_nm, dtype=float)
    mask = np.asarray(valid, dtype=bool)
    shapes_ok = (r.ndim == 3 and lengths.shape == r.shape[:2] and cos_a.shape == lengths.shape
                 and f0.shape == r.shape[1:2] and target.shape == (r.shape[0], r.shape[2])
                 and mask.shape == target.shape)
    if not shapes_ok:
        raise ValueError(f"fit_passive_strain: inconsistent shapes: moment arms {r.shape}, fibre lengths "
                         f"{lengths.shape}, cos pennation {cos_a.shape}, forces {f0.shape}, target "
                         f"{target.shape}, valid {mask.shape}")
    if not mask.any():
        raise ValueError("fit_passive_strain: no valid residual; expected at least one pose and joint")
    fitted = lengths.max(axis=0) > 1.0
    strain = np.full(lengths.shape[1], float(default))

    def residuals(log_strain: np.ndarray) -> np.ndarray:
        strain[fitted] = np.exp(log_strain)
        return (grid_passive_moments_nm(r, lengths, cos_a, f0, strain) - target)[mask]

    if fitted.any():
        lo, hi = np.log(bounds[0]), np.log(bounds[1])
        start = np.full(fitted.sum(), np.clip(np.log(default), lo, hi))
        strain[fitted] = np.exp(least_squares(residuals, start, bounds=(lo, hi)).x)
    return strain, fitted


__all__ = ["fit_passive_strain", "grid_passive_moments_nm", "passive_moments_nm", "riener_edrich_1999_nm"]
