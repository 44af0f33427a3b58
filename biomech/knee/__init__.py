"""Patellofemoral (PF) joint: force, contact area and stress by two methods (pure numpy).

* :func:`lever_arm_method`: knee extension moment / effective quadriceps lever arm, times the
  van Eijden et al. 1986 PF/quadriceps force ratio (the running PF-stress literature).
* :func:`muscle_method`: quadriceps tension from a muscle solution and its path over the patella
  (frictionless pulley); :func:`pf_from_quadriceps_and_angle` applies the van Eijden ratio to the
  same tension instead.
* :func:`contact_area_m2`: Besier et al. 2005 upright-MRI areas (or an unconfirmed quadratic fit).
* :func:`pf_summary` (:func:`stance_summary` on plain arrays): peak, time of peak (% stance),
  impulse per step and per km.

Angles in rad (positive = knee flexion), moments in N m (positive = knee extension), forces N,
areas m^2, stress Pa.
"""

from biomech.knee.contact_area import (
    contact_area_beyond_data,
    contact_area_m2,
    flexion_deg,
)
from biomech.knee.patellofemoral import (
    PatellaPath,
    PFResult,
    PFSummary,
    fits_beyond_data,
    lever_arm_method,
    muscle_method,
    pa_to_mpa,
    pf_force_ratio,
    pf_from_quadriceps_and_angle,
    pf_summary,
    quadriceps_lever_arm_m,
    quadriceps_patella_resultant_n,
    stance_summary,
)

__all__ = [
    "PFResult",
    "PFSummary",
    "PatellaPath",
    "contact_area_beyond_data",
    "contact_area_m2",
    "fits_beyond_data",
    "flexion_deg",
    "lever_arm_method",
    "muscle_method",
    "pa_to_mpa",
    "pf_force_ratio",
    "pf_from_quadriceps_and_angle",
    "pf_summary",
    "stance_summary",
    "quadriceps_lever_arm_m",
    "quadriceps_patella_resultant_n",
]
