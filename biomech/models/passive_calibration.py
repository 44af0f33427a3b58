"""Calibrate a model's passive muscle curves to published passive joint moments.

The right leg's muscles are posed over a grid of hip, knee and ankle angles (rigid tendons, zero
activation) and each muscle's passive fibre strain at one normalised force is fitted so that the
muscles' passive hip, knee and ankle moments match Riener & Edrich (1999) in least squares
(:func:`biomech.muscles.passive.fit_passive_strain`). The fitted values go into the model spec
(``passive_fiber_strain_at_one_norm_force`` per muscle); ``python -m
biomech.models.passive_calibration`` prints them for the default model.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from biomech.muscles.passive import fit_passive_strain, grid_passive_moments_nm, riener_edrich_1999_nm
from biomech.osim import osim
from biomech.osim.inverse import independent_coordinates
from biomech.osim.muscle_export import export_muscle_capacity, muscle_parameters

__all__ = ["PassiveCalibration", "calibrate_passive_strain", "riener_pose_grid"]

#: the right leg's coordinates, in the order of the grid's columns
JOINTS = ("hip_flexion_r", "knee_angle_r", "ankle_angle_r")
#: the knee moment of Riener & Edrich's fit is compared from this flexion on (deg; see
#: :func:`biomech.muscles.passive.riener_edrich_1999_nm`)
KNEE_FROM_DEG = 30.0


def riener_pose_grid(step_deg: float = 10.0) -> np.ndarray:
    """Hip flexion, knee flexion and ankle dorsiflexion (deg), every combination in steps of
    ``step_deg`` over the ranges Riener & Edrich (1999) measured (hip -20..90, knee 0..110,
    ankle -30..30 deg); shape (n_poses, 3)."""
    if not 0.0 < step_deg <= 30.0:
        raise ValueError(f"riener_pose_grid: step_deg {step_deg} out of range; expected 0 < step <= 30")
    ranges = [np.arange(lo, hi + 1e-9, step_deg) for lo, hi in ((-20.0, 90.0), (0.0, 110.0), (-30.0, 30.0))]
    return np.array(list(itertools.product(*ranges)))


@dataclass(frozen=True)
class PassiveCalibration:
    """Fitted passive strains and the passive moments before and after, on the pose grid."""

    muscles: tuple[str, ...]           #: muscle names without the side suffix
    strain: np.ndarray                 #: fitted passive fibre strain at one normalised force
    fitted: np.ndarray                 #: which muscles were fitted (the others never stretch)
    poses_deg: np.ndarray              #: (n_poses, 3) hip, knee, ankle angles, deg
    reference_nm: np.ndarray           #: (n_poses, 3) Riener & Edrich 1999, N m
    valid: np.ndarray                  #: (n_poses, 3) residuals fitted and compared
    model_nm: np.ndarray               #: (n_poses, 3) the model's muscles with its current strains
    calibrated_nm: np.ndarray          #: (n_poses, 3) the same with the fitted strains

    def rms_nm(self, moments: np.ndarray) -> np.ndarray:
        """RMS difference (N m) of ``moments`` from the reference over the valid poses, per joint."""
        diff = np.where(self.valid, moments - self.reference_nm, 0.0)
        return np.sqrt((diff ** 2).sum(axis=0) / self.valid.sum(axis=0))


def calibrate_passive_strain(model: osim.Model, *, step_deg: float = 10.0,
                             bounds: tuple[float, float] = (0.2, 2.0)) -> PassiveCalibration:
    """Fit the right leg's passive strains of ``model`` (DeGrooteFregly2016 muscles, planar
    coordinates ``hip_flexion_r``, ``knee_angle_r``, ``ankle_angle_r`` with flexion and
    dorsiflexion positive) to Riener & Edrich's passive moments on :func:`riener_pose_grid`."""
    names = independent_coordinates(model)
    missing = [c for c in JOINTS if c not in names]
    if missing:
        raise ValueError(f"calibrate_passive_strain: model has no coordinate(s) {missing}; "
                         f"expected {list(JOINTS)}")
    poses = riener_pose_grid(step_deg)
    q = np.zeros((len(poses), len(names)))
    if "pelvis_ty" in names:
        q[:, names.index("pelvis_ty")] = 1.0
    cols = [names.index(c) for c in JOINTS]
    q[:, cols] = np.radians(poses)
    capacity = export_muscle_capacity(model, names, q, np.zeros_like(q))
    right = [i for i, n in enumerate(capacity.muscle_names) if n.endswith("_r")]
    lengths = capacity.diagnostics["norm_fiber_length"][:, right]
    cos_a = np.cos(capacity.diagnostics["pennation_rad"][:, right])
    arms = capacity.moment_arm_m[:, right][:, :, cols]
    params = muscle_parameters(model)
    f0 = params.max_isometric_force_n[right]
    current = params.passive_fiber_strain_at_one_norm_force[right]
    reference = np.column_stack(riener_edrich_1999_nm(*poses.T))
    valid = np.ones_like(reference, dtype=bool)
    valid[:, 1] = poses[:, 1] >= KNEE_FROM_DEG
    strain, fitted = fit_passive_strain(arms, lengths, cos_a, f0, reference, valid, bounds=bounds)
    strain = np.where(fitted, strain, current)
    return PassiveCalibration(
        muscles=tuple(capacity.muscle_names[i][:-2] for i in right), strain=strain, fitted=fitted,
        poses_deg=poses, reference_nm=reference, valid=valid,
        model_nm=grid_passive_moments_nm(arms, lengths, cos_a, f0, current),
        calibrated_nm=grid_passive_moments_nm(arms, lengths, cos_a, f0, strain))


def main() -> None:
    """Print the default model's fitted strains (spec YAML lines) and the fit's RMS per joint."""
    from biomech.models import build
    cal = calibrate_passive_strain(build(contact=False))
    for name, e, fit in zip(cal.muscles, cal.strain, cal.fitted, strict=True):
        print(f"{name}: passive_fiber_strain_at_one_norm_force: {e:.3f}" if fit
              else f"{name}: not fitted (fibres never beyond optimal length on the grid)")
    for label, m in (("model now", cal.model_nm), ("calibrated", cal.calibrated_nm)):
        rms = cal.rms_nm(m)
        print(f"RMS vs Riener & Edrich 1999, {label}: hip {rms[0]:.1f}, knee {rms[1]:.1f}, "
              f"ankle {rms[2]:.1f} N m")


if __name__ == "__main__":
    main()
