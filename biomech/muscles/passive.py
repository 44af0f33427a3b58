"""Passive joint moments: the model's (muscles at zero activation) and a published reference.

The model's passive moment about a coordinate is the sum over muscles of passive fibre force
along the tendon times moment arm, from a :class:`~biomech.muscles.MuscleCapacity` (rigid
tendons; :func:`biomech.osim.muscle_export.export_muscle_capacity`). The reference is the
double-exponential fit of Riener & Edrich (1999, J Biomech 32:539; ten healthy subjects, passive
hip, knee and ankle moments measured over combinations of the adjacent joint angles), which
includes every passive structure (muscles, ligaments, capsule), so a model's muscles alone should
not exceed it by much where the fit is valid.
"""

from __future__ import annotations

import numpy as np

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


__all__ = ["passive_moments_nm", "riener_edrich_1999_nm"]
