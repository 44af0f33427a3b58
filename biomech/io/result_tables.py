"""The analysis result as OpenSim tables (``.sto``), for OpenSim's GUI and tools.

:func:`result_tables` turns the Dataset of :func:`biomech.pipeline.analyse_motion` into
:class:`~biomech.io.storage.Table` objects laid out as OpenSim's own tools write them, so a user
can plot them in the GUI, load activations onto the motion, or compare them column by column
with an OpenSim run; :func:`write_result_tables` writes them (atomically).

Tables (``<stem>_<name>.sto``; SI units, angles in rad, ``inDegrees=no``):

``inverse_dynamics``
    the joint moments as OpenSim's InverseDynamicsTool labels them: ``<coordinate>_moment`` (N m)
    and ``<coordinate>_force`` (N) for translations; ground-joint entries are the residuals.
``static_optimization_activation``, ``static_optimization_force``
    as OpenSim's StaticOptimization: one column per muscle (activation; force in N along the
    tendon), then one per reserve actuator, ``<coordinate>_reserve`` (its control, the moment over
    the reserve's optimal force; its moment in N m).
``joint_reaction``
    per joint, the load of the parent on the child expressed in the child body frame, as
    OpenSim's JointReaction with ``apply_on_bodies=child`` and ``express_in_frame=child``:
    ``<joint>_on_child_in_child_fx|fy|fz`` (N), ``_mx|my|mz`` (N m, about the joint centre).
``patellofemoral``
    per side: knee flexion (rad), knee extension moment (N m), quadriceps force, PF force (N) and
    PF stress (Pa) by the lever-arm and the muscle method, and the contact area (m^2).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import xarray as xr

from biomech.io.storage import Table, write_table

__all__ = ["list_attribute", "result_tables", "write_result_tables"]

_PF_VARIABLES = ("knee_flexion_rad", "knee_extension_moment_nm", "quadriceps_force_lever_n",
                 "quadriceps_force_muscle_n", "pf_force_lever_n", "pf_force_muscle_n",
                 "pf_stress_lever_pa", "pf_stress_muscle_pa", "pf_contact_area_m2")


def list_attribute(value: object) -> list[str]:
    """A list attribute of an analysis Dataset as stored in memory (a list) or read back from
    its netCDF file (:func:`biomech.pipeline.save_result` joins lists with commas)."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if value is None:
        return []
    return [str(v) for v in np.atleast_1d(value)]   # a list, tuple or array of names


def _translational(ds: xr.Dataset) -> set[str]:
    if "translational_coordinates" in ds.attrs:
        return set(list_attribute(ds.attrs["translational_coordinates"]))
    # results written before the attribute existed: OpenSim's naming of translations
    return {c for c in map(str, ds.coordinate.values) if re.search(r"(?:^|_)t[xyz](?:_|$)", c)}


def result_tables(ds: xr.Dataset) -> dict[str, Table]:
    """OpenSim tables of an analysis Dataset (see the module docstring), keyed by table name."""
    t = ds.time.values
    motion = str(ds.attrs.get("motion", ""))
    coords = list(map(str, ds.coordinate.values))
    trans = _translational(ds)
    tables: dict[str, Table] = {}

    def add(name: str, title: str, columns: list[str], data: np.ndarray, units: str) -> None:
        tables[name] = Table(time_s=t, columns=tuple(columns), data=data, in_degrees=False,
                             name=title, header={"units": units, "motion": motion,
                                                 "source": "biomech.pipeline.analyse_motion"})

    add("inverse_dynamics", "Inverse Dynamics Generalized Forces",
        [f"{c}_{'force' if c in trans else 'moment'}" for c in coords],
        ds.joint_moment_nm.values, "N m; N for translations")

    unsolved = set(list_attribute(ds.attrs.get("residual_coordinates"))) | set(
        list_attribute(ds.attrs.get("locked_coordinates")))
    reserved = [j for j, c in enumerate(coords) if c not in unsolved]
    muscles = list(map(str, ds.muscle.values))
    reserve_cols = [f"{coords[j]}_reserve" for j in reserved]
    reserve = ds.reserve_moment_nm.values[:, reserved]
    optimal = float(ds.attrs.get("reserve_optimal_force_nm", 1.0))
    add("static_optimization_activation", "Static Optimization activations", muscles + reserve_cols,
        np.hstack([ds.activation.values, reserve / optimal]),
        f"1; reserves: control, the moment over {optimal:g} N m")
    add("static_optimization_force", "Static Optimization forces", muscles + reserve_cols,
        np.hstack([ds.muscle_force_n.values, reserve]), "N for muscles, N m for reserves")

    joints = list(map(str, ds.joint.values))
    cols, blocks = [], []
    for j, joint in enumerate(joints):
        cols += [f"{joint}_on_child_in_child_f{a}" for a in "xyz"]
        cols += [f"{joint}_on_child_in_child_m{a}" for a in "xyz"]
        blocks += [ds.joint_reaction_force_n.values[:, j, :], ds.joint_reaction_moment_nm.values[:, j, :]]
    add("joint_reaction", "Joint reaction loads", cols, np.hstack(blocks),
        "N (f), N m (m, about the joint centre); parent on child, child body frame")

    sides = list(map(str, ds.side.values))
    cols = [f"{v}_{s}" for v in _PF_VARIABLES for s in sides]
    add("patellofemoral", "Patellofemoral joint", cols,
        np.hstack([ds[v].values for v in _PF_VARIABLES]),
        "as the column name says: rad, N m, N, Pa, m^2")
    return tables


def write_result_tables(ds: xr.Dataset, folder: str | os.PathLike[str], stem: str = "result"
                        ) -> dict[str, Path]:
    """Write :func:`result_tables` as ``<folder>/<stem>_<name>.sto`` (atomic writes)."""
    folder = Path(folder)
    return {name: write_table(folder / f"{stem}_{name}.sto", table)
            for name, table in result_tables(ds).items()}
