"""Muscle forces from joint moments: static optimization (pure numpy/scipy).

The OpenSim side (moment arms and force capacities of a model along a motion) is
:func:`biomech.osim.muscle_export.export_muscle_capacity`.
"""

from biomech.muscles.passive import (
    fit_passive_strain,
    grid_passive_moments_nm,
    passive_moments_nm,
    riener_edrich_1999_nm,
)
from biomech.muscles.static_optimization import (
    STATUS,
    MuscleCapacity,
    MuscleSolution,
    moment_capacity_nm,
    solve_static_optimization,
)

__all__ = ["STATUS", "MuscleCapacity", "MuscleSolution", "fit_passive_strain", "grid_passive_moments_nm",
           "moment_capacity_nm", "passive_moments_nm", "riener_edrich_1999_nm", "solve_static_optimization"]
