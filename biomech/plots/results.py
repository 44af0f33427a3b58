"""Read an experiment's results folder and shape it for figures and tables (no plotting here).

The folder layout is the contract with the experiment engine::

    <results_dir>/
      experiment.yaml           # the experiment file (optional here: name and ``sweep:`` keys)
      runs.csv                  # one row per run: run_id, status, direction, parameters, outcomes
      runs/<run_id>/curves.nc   # xarray Dataset, dims (cycle, cycle_pct 0..100)
      figures/                  # default output of :func:`biomech.plots.experiment.make_figures`

``runs.csv`` lists ``run_id, status ("done" | "failed"), direction``, then the run parameters
(``speed_m_s, step_rate_hz`` and any swept column such as ``step_rate_rel``), then the scalar
outcomes (:data:`OUTCOMES`). Values are SI (or BW, MPa, deg as the column names say); conversion
for display (fractions to %) happens only when a figure or table is drawn.

Everything here is a pure function of DataFrames / Datasets except the ``load_*`` readers.
"""

from __future__ import annotations

import csv
import logging
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd  # a hard dependency of xarray
import xarray as xr
import yaml

from biomech.errors import BiomechError

__all__ = [
    "ordered_runs",
    "summary_markdown",
    "OTHER_OUTCOMES",
    "OUTCOMES",
    "QUALITY",
    "RESERVE_AT_PEAK",
    "RESERVE_GUIDE_PCT",
    "Design",
    "condition_table",
    "cycle_mean_sd",
    "design",
    "detect_sweep_axis",
    "direction_values",
    "load_curves",
    "load_experiment",
    "load_runs",
    "parameter_columns",
    "sweep_keys",
    "varying_columns",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quantity:
    """How a column or variable is shown: label, unit, and the factor from stored to shown units."""

    label: str
    unit: str = ""
    scale: float = 1.0
    short: str = ""  # compact label for table headers (defaults to ``label``)

    def axis_label(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def header(self) -> str:
        name = self.short or self.label
        return f"{name} ({self.unit})" if self.unit else name


#: Scalar outcomes of a run (``runs.csv``), in display order.
OUTCOMES: dict[str, Quantity] = {
    "contact_time_s": Quantity("Contact time", "s", short="Contact"),
    "aerial_time_s": Quantity("Aerial time", "s", short="Aerial"),
    "duty_factor": Quantity("Duty factor"),
    "knee_flexion_at_strike_deg": Quantity("Knee flexion at foot strike", "deg", short="Knee at strike"),
    "peak_vertical_grf_bw": Quantity("Peak vertical GRF", "BW", short="vGRF"),
    "peak_knee_extension_moment_nm_kg": Quantity("Peak knee extension moment", "N m/kg",
                                                 short="Knee ext. moment"),
    "peak_pf_force_lever_bw": Quantity("Peak PF force, lever-arm method", "BW", short="PF force lever"),
    "peak_pf_force_muscle_bw": Quantity("Peak PF force, muscle method", "BW", short="PF force muscle"),
    "peak_pf_stress_lever_mpa": Quantity("Peak PF stress, lever-arm method", "MPa",
                                         short="PF stress lever"),
    "peak_pf_stress_muscle_mpa": Quantity("Peak PF stress, muscle method", "MPa",
                                          short="PF stress muscle"),
    "time_of_peak_pf_stress_lever_pct_stance": Quantity("Time of PF stress peak, lever",
                                                        "% stance", short="PF stress peak lever"),
    "time_of_peak_pf_stress_muscle_pct_stance": Quantity("Time of PF stress peak, muscle",
                                                         "% stance", short="PF stress peak muscle"),
    "pf_impulse_lever_bw_s_per_km": Quantity("PF impulse per km, lever-arm method", "BW s/km",
                                             short="PF impulse/km lever"),
    "pf_impulse_muscle_bw_s_per_km": Quantity("PF impulse per km, muscle method", "BW s/km",
                                              short="PF impulse/km muscle"),
    "peak_knee_contact_force_bw": Quantity("Peak knee contact force", "BW", short="Knee contact"),
    "knee_contact_impulse_bw_s_per_m": Quantity("Knee contact impulse per metre", "BW s/m",
                                                short="Knee contact/m"),
    "tendon_energy_returned_j": Quantity("Tendon energy returned", "J", short="Tendon return"),
    "tendon_energy_returned_plantarflexors_j": Quantity("Tendon energy returned, plantarflexors", "J",
                                                        short="Tendon return plantarflexors"),
    "tendon_energy_returned_quadriceps_j": Quantity("Tendon energy returned, quadriceps", "J",
                                                    short="Tendon return quadriceps"),
    "tendon_share_of_positive_work": Quantity("Tendon share of positive work", "%", 100.0,
                                              short="Tendon share of +work"),
    "metabolic_cost_j_kg_m": Quantity("Metabolic cost", "J/(kg m)", short="Metabolic"),
}

#: Muscle groups with tendon outcomes: ``biomech.experiments.outcomes.TENDON_GROUPS`` (not
#: imported, to keep plotting light; a test keeps the two equal).
TENDON_GROUPS = ("plantarflexors", "quadriceps", "hip_extensors", "hip_flexors", "hamstrings",
                 "knee_flexors", "dorsiflexors")

#: Outcomes in ``runs.csv`` that the summary table and the sweep figure leave out (labels only).
OTHER_OUTCOMES: dict[str, Quantity] = {
    "pf_impulse_lever_bw_s": Quantity("PF impulse per step, lever-arm method", "BW s"),
    "pf_impulse_muscle_bw_s": Quantity("PF impulse per step, muscle method", "BW s"),
    "pf_stress_integral_lever_mpa_s_per_km": Quantity("PF stress integral per km, lever-arm method",
                                                      "MPa s/km"),
    "pf_stress_integral_muscle_mpa_s_per_km": Quantity("PF stress integral per km, muscle method",
                                                       "MPa s/km"),
    **{f"{joint}_{kind}_work_j_kg": Quantity(f"{joint.capitalize()} {kind} work per stride", "J/kg")
       for joint in ("hip", "knee", "ankle") for kind in ("positive", "negative")},
    "external_work_positive_j_kg_m": Quantity("Positive external work", "J/(kg m)"),
    "external_work_negative_j_kg_m": Quantity("Negative external work", "J/(kg m)"),
    "braking_time_s": Quantity("Braking time per step", "s"),
    "pushing_time_s": Quantity("Pushing time per step", "s"),
    "braking_fraction": Quantity("Braking share of contact time", "%", 100.0),
    "vertical_stiffness_kn_m": Quantity("Vertical stiffness", "kN/m"),
    "peak_hip_contact_force_bw": Quantity("Peak hip contact force", "BW"),
    "peak_ankle_contact_force_bw": Quantity("Peak ankle contact force", "BW"),
    **{f"tendon_energy_returned_{g}_j": Quantity(f"Tendon energy returned, {g.replace('_', ' ')}", "J")
       for g in TENDON_GROUPS[2:]},   # the plantarflexors' and quadriceps' are in OUTCOMES
    **{f"tendon_share_of_positive_work_{g}": Quantity(
        f"Tendon share of positive work, {g.replace('_', ' ')}", "%", 100.0) for g in TENDON_GROUPS},
    **{f"{joint}_contact_impulse_bw_s": Quantity(f"{joint.capitalize()} contact impulse per step", "BW s")
       for joint in ("hip", "knee", "ankle")},
    **{f"{joint}_contact_impulse_bw_s_per_m": Quantity(f"{joint.capitalize()} contact impulse per metre",
                                                       "BW s/m") for joint in ("hip", "ankle")},
}

#: Quality columns of a run: does the physics close?
QUALITY: dict[str, Quantity] = {
    "max_pelvis_residual_force_bw": Quantity("Max pelvis residual force", "BW", short="Residual force"),
    "max_pelvis_residual_moment_nm": Quantity("Max pelvis residual moment", "N m",
                                              short="Residual moment"),
    "max_reserve_share": Quantity("Max reserve, share of peak joint moment", "%", 100.0,
                                  short="Reserve share"),
    "reserve_at_peak_knee_contact_share": Quantity("Reserve at peak knee contact force", "%", 100.0,
                                                   short="Reserve at knee-contact peak"),
    "reserve_at_peak_pf_muscle_share": Quantity("Reserve at peak PF force (muscle)", "%", 100.0,
                                                short="Reserve at PF-muscle peak"),
    "so_failed_frames": Quantity("Static-optimization failed frames", "frames", short="SO failed"),
    "tendon_equilibrium_change_n": Quantity("Compliant tendons: last tendon-force change", "N",
                                            short="Tendon equilibrium"),
    "swing_foot_below_ground_mm": Quantity("Swing foot below the ground", "mm",
                                           short="Swing foot below ground"),
    "swing_clearance_correction_deg": Quantity("Swing joint correction for ground clearance", "deg",
                                               short="Swing clearance correction"),
    "max_foot_slip_mm": Quantity("Max planted-foot slip", "mm", short="Foot slip"),
}

#: Known run parameters (the others are labelled from their unit suffix).
PARAMETERS: dict[str, Quantity] = {
    "speed_m_s": Quantity("Speed", "m/s"),
    "step_rate_hz": Quantity("Step rate", "Hz"),
    "step_rate_rel": Quantity("Step rate", "% of preferred", 100.0),
    "duty_factor_set": Quantity("Duty factor (set)"),
    "trunk_lean_deg": Quantity("Trunk lean", "deg"),
    "stride_length_m": Quantity("Stride length", "m"),
    "knee_flexion_at_contact_deg": Quantity("Knee flexion at contact", "deg"),
}

#: Columns that describe a run but are neither parameters nor outcomes.
_META = frozenset({"run_id", "status", "direction", "error", "message", "hash", "config_hash", "seed",
                   "elapsed_s", "wall_time_s", "runtime_s", "duration_s", "attempt", "worker"})
_UNIT_SUFFIXES = (("_j_kg_m", "J/(kg m)"), ("_nm_kg", "N m/kg"), ("_m_s", "m/s"), ("_mpa", "MPa"),
                  ("_deg", "deg"), ("_hz", "Hz"), ("_bw", "BW"), ("_nm", "N m"), ("_j", "J"),
                  ("_s", "s"), ("_m", "m"), ("_kg", "kg"), ("_n", "N"))
_DIRECTION_ORDER = ("forward", "backward")
_ROUND = 9  # decimals used to compare parameter values (float noise from YAML/CSV round trips)


def quality_columns(runs: pd.DataFrame) -> list[str]:
    """The :data:`QUALITY` columns of ``runs``. A column that is NaN in every finished run does
    not apply to these runs (e.g. the synthesis checks for motions read from files, the tendon
    equilibrium with rigid tendons) and is left out; with no finished run all are kept (the
    figure then shows each run's status)."""
    columns = [c for c in QUALITY if c in runs.columns]
    done = runs["status"] == "done" if "status" in runs.columns else pd.Series(True, index=runs.index)
    if not done.any():
        return columns
    return [c for c in columns if pd.to_numeric(runs.loc[done, c], errors="coerce").notna().any()]


def quantity(column: str) -> Quantity:
    """Display label, unit and scale of any ``runs.csv`` column (from its unit suffix if unknown)."""
    for table in (OUTCOMES, OTHER_OUTCOMES, QUALITY, PARAMETERS):
        if column in table:
            return table[column]
    for suffix, unit in _UNIT_SUFFIXES:
        if column.endswith(suffix) and len(column) > len(suffix):
            return Quantity(column[: -len(suffix)].replace("_", " ").capitalize(), unit)
    return Quantity(column.replace("_", " ").capitalize())


def format_parameter(column: str, value: float) -> str:
    """Short text for one parameter value: ``3 m/s``, ``90 % of preferred step rate``."""
    q = quantity(column)
    shown = f"{float(value) * q.scale:g}"
    if column == "speed_m_s":
        return f"{shown} m/s"
    if column == "step_rate_rel":
        return f"step rate {shown} %"
    unit = f" {q.unit}" if q.unit else ""
    return f"{q.label.lower()} {shown}{unit}"


# ---------------------------------------------------------------------------------------- reading


def load_runs(results_dir: str | Path) -> pd.DataFrame:
    """Read ``runs.csv`` of a results folder.

    ``run_id``, ``status`` and ``direction`` are read as text (a hash made of digits stays text);
    a missing ``status`` column means every run is done. A column name repeated in the header
    (a swept ``duty_factor`` and the measured one) keeps its first occurrence as
    ``<name>_set`` (the parameter) and the last under its own name (the outcome).

    Raises
    ------
    BiomechError
        If the folder does not exist, holds no ``runs.csv``, or ``runs.csv`` has no ``run_id`` or
        ``direction`` column or no rows.
    """
    folder = Path(results_dir)
    path = folder / "runs.csv"
    if not folder.is_dir():
        raise BiomechError(f"{folder}: no such results folder")
    if not path.is_file():
        raise BiomechError(f"{folder}: not a results folder (no runs.csv); "
                           "pass results/<experiment_name> as written by `biomech run`")
    with path.open(newline="") as fh:
        header = next(csv.reader(fh), [])
    if not header:
        raise BiomechError(f"{path}: empty file (no header line)")
    names = list(header)
    for i, name in enumerate(header):
        if name in header[i + 1:]:
            names[i] = f"{name}_set"
    runs = pd.read_csv(path, header=0, names=names,
                       dtype={"run_id": str, "status": str, "direction": str})
    missing = [c for c in ("run_id", "direction") if c not in runs.columns]
    if missing:
        raise BiomechError(f"{path}: missing column(s) {', '.join(missing)}")
    if runs.empty:
        raise BiomechError(f"{path}: no runs listed")
    if "status" not in runs.columns:
        runs.insert(1, "status", "done")
    runs["status"] = runs["status"].fillna("").str.strip().str.lower()
    runs["direction"] = runs["direction"].str.strip().str.lower()
    return runs


def load_experiment(results_dir: str | Path) -> dict:
    """The ``experiment.yaml`` of a results folder as a dict (``{}`` if absent or unreadable)."""
    path = Path(results_dir) / "experiment.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        logger.warning("%s: not read (%s); figures use runs.csv only", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def load_curves(results_dir: str | Path, runs: pd.DataFrame) -> dict[str, xr.Dataset]:
    """Gait-cycle curves of the finished runs, keyed by ``run_id``.

    Runs whose status is not ``done`` and runs without a readable ``runs/<run_id>/curves.nc`` are
    skipped with a logged warning.
    """
    out: dict[str, xr.Dataset] = {}
    for row in runs.to_dict("records"):
        run_id = str(row["run_id"])
        if row["status"] != "done":
            logger.warning("run %s (%s) has status %r: skipped", run_id, row["direction"], row["status"])
            continue
        path = Path(results_dir) / "runs" / run_id / "curves.nc"
        if not path.is_file():
            logger.warning("run %s: %s is missing: curves skipped", run_id, path)
            continue
        try:
            out[run_id] = xr.load_dataset(path)
        except (OSError, ValueError) as exc:
            logger.warning("run %s: %s cannot be read (%s): curves skipped", run_id, path, exc)
    return out


# ---------------------------------------------------------------------------------- the design


def sweep_keys(experiment: Mapping) -> list[str]:
    """Parameter names listed in the ``sweep:`` block of an experiment file, in file order.

    Nested blocks (``zip:``, ``product:``, ``gait:``) are searched too; a dotted key
    (``gait.step_rate_rel``) gives its last part.
    """
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if isinstance(value, (list, tuple)) and value and not isinstance(value[0], Mapping):
                    name = str(key).rsplit(".", 1)[-1]
                    if name not in found:
                        found.append(name)
                else:
                    walk(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    walk(experiment.get("sweep", {}) if isinstance(experiment, Mapping) else {})
    return found


def parameter_columns(runs: pd.DataFrame) -> list[str]:
    """Numeric run-parameter columns of ``runs.csv``, most likely sweep axis first.

    Parameters are the numeric columns before the first outcome column (the contract's order), so
    timing or bookkeeping columns after the outcomes are never taken for parameters. Order: extra
    swept columns (``step_rate_rel``, ``trunk_lean_deg``...) in file order, then ``speed_m_s``, then
    ``step_rate_hz`` (which follows from speed when only the speed is set).
    """
    cols = list(runs.columns)
    bounds = [cols.index(c) for c in cols if c in OUTCOMES and c != "duty_factor"]
    bounds += [cols.index(c) for c in cols if c in QUALITY]
    head = cols[: min(bounds)] if bounds else cols
    params = [c for c in head if c not in _META and pd.api.types.is_numeric_dtype(runs[c])]
    late = [c for c in ("speed_m_s", "step_rate_hz") if c in params]
    return [c for c in params if c not in late] + late


def _rounded(runs: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    out = runs.copy()
    for c in columns:
        if c in out.columns and pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].round(_ROUND)
    return out


def _varies_within_direction(runs: pd.DataFrame, column: str) -> bool:
    r = _rounded(runs, [column])
    return bool((r.groupby("direction")[column].nunique(dropna=True) > 1).any())


def detect_sweep_axis(runs: pd.DataFrame, keys: Sequence[str] = ()) -> str | None:
    """The swept parameter: the column that varies within a direction, or ``None``.

    Parameters
    ----------
    runs : DataFrame
        ``runs.csv`` as read by :func:`load_runs` (failed runs included: their parameters count).
    keys : sequence of str
        Names from the experiment's ``sweep:`` block (:func:`sweep_keys`); they are tried first,
        then :func:`parameter_columns` in its order. ``direction`` is never the axis.
    """
    candidates = [k for k in keys if k in runs.columns or f"{k}_set" in runs.columns]
    candidates = [k if k in runs.columns and k not in OUTCOMES else f"{k}_set" for k in candidates]
    candidates = [k for k in candidates if k in runs.columns and k != "direction"
                  and pd.api.types.is_numeric_dtype(runs[k])]
    for column in [*candidates, *parameter_columns(runs)]:
        if _varies_within_direction(runs, column):
            return column
    return None


def _determined_by(runs: pd.DataFrame, column: str, by: Sequence[str]) -> bool:
    r = _rounded(runs, [column, *by])
    return bool((r.groupby(list(by), dropna=False)[column].nunique(dropna=True) <= 1).all())


@dataclass(frozen=True)
class Design:
    """How the runs of an experiment are laid out.

    Attributes
    ----------
    axis : str or None
        The swept parameter (:func:`detect_sweep_axis`).
    series : tuple of str
        Columns besides ``direction`` that split runs into separate lines of a sweep plot (a second
        swept parameter); columns that follow from direction and axis (``step_rate_hz`` in a
        ``step_rate_rel`` sweep) are left out.
    condition : tuple of str
        Columns that identify one condition (``speed_m_s``, the axis and the series columns): FR and
        BR runs with equal values are compared in one curve figure and one bar group.
    per_direction : tuple of str
        Columns left out of ``condition`` because each direction has its own value and keeping
        them would leave no FR/BR pair (a step-rate sweep with FR at 3.5 m/s and BR at 3.0 m/s
        compares FR and BR at equal ``step_rate_rel``); figures name each direction's value.
    """

    axis: str | None
    series: tuple[str, ...]
    condition: tuple[str, ...]
    per_direction: tuple[str, ...] = ()


def design(runs: pd.DataFrame, keys: Sequence[str] = ()) -> Design:
    """Find the sweep axis, the line series and the condition columns of ``runs`` (pure)."""
    axis = detect_sweep_axis(runs, keys)
    series: list[str] = []
    if axis is not None:
        for column in parameter_columns(runs):
            if column == axis or _rounded(runs, [column])[column].nunique(dropna=True) <= 1:
                continue
            if not _determined_by(runs, column, ["direction", axis, *series]):
                series.append(column)
    condition = [c for c in ("speed_m_s",) if c in runs.columns]
    condition += [c for c in (axis, *series) if c is not None and c not in condition]
    per_direction: list[str] = []
    if runs["direction"].nunique() > 1 and not _has_pairs(runs, condition):
        for column in [c for c in condition if c != axis and c not in series]:
            reduced = [c for c in condition if c != column]
            if _determined_by(runs, column, ["direction"]) and _has_pairs(runs, reduced):
                condition = reduced
                per_direction.append(column)
    return Design(axis=axis, series=tuple(series), condition=tuple(condition),
                  per_direction=tuple(per_direction))


def _has_pairs(runs: pd.DataFrame, columns: Sequence[str]) -> bool:
    """Whether some condition holds runs of two or more directions."""
    return any(len(by_dir) > 1 for _, by_dir in condition_table(runs, columns))


def direction_values(runs: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    """Per direction, the text of its value of each column (``{"forward": "3.5 m/s"}``)."""
    out: dict[str, str] = {}
    for direction in direction_order(runs["direction"]):
        group = runs[runs["direction"] == direction]
        parts = [format_parameter(c, group[c].dropna().iloc[0]) for c in columns
                 if c in group.columns and group[c].notna().any()]
        out[direction] = ", ".join(parts)
    return out


def direction_order(directions: Iterable[str]) -> list[str]:
    """Directions present, forward first, then backward, then any other in alphabetical order."""
    present = list(dict.fromkeys(str(d) for d in directions))
    return [d for d in _DIRECTION_ORDER if d in present] + sorted(d for d in present
                                                                  if d not in _DIRECTION_ORDER)


def condition_table(runs: pd.DataFrame, columns: Sequence[str]) -> list[tuple[tuple, dict[str, list[str]]]]:
    """Runs grouped by condition, then by direction.

    Returns
    -------
    list of (values, {direction: [run_id, ...]})
        One entry per distinct combination of ``columns`` (rounded), sorted by value; ``values``
        is a tuple aligned with ``columns`` (empty when ``columns`` is empty).
    """
    r = _rounded(runs, columns)
    cols = list(columns)
    out: list[tuple[tuple, dict[str, list[str]]]] = []
    groups = r.groupby(cols, dropna=False, sort=True) if cols else [((), r)]
    for values, group in groups:
        values = values if isinstance(values, tuple) else (values,)
        by_dir = {d: group.loc[group["direction"] == d, "run_id"].astype(str).tolist()
                  for d in direction_order(group["direction"])}
        out.append((tuple(values), by_dir))
    return out


def varying_columns(runs: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The ``columns`` that take more than one value in ``runs`` (all of them if none does)."""
    r = _rounded(runs, columns)
    out = [c for c in columns if r[c].nunique(dropna=True) > 1]
    return out or list(columns)


def condition_label(columns: Sequence[str], values: Sequence[float], *, sep: str = ", ",
                    only: Sequence[str] | None = None) -> str:
    """``"3 m/s, step rate 90 %"`` for one condition (``"all runs"`` when there is no column).

    ``only`` restricts the label to some of the columns (e.g. those that vary).
    """
    parts = [format_parameter(c, v) for c, v in zip(columns, values, strict=True)
             if pd.notna(v) and (only is None or c in only)]
    return sep.join(parts) if parts else "all runs"


# ------------------------------------------------------------------------------- cycle statistics


def cycle_mean_sd(datasets: Sequence[xr.Dataset], variable: str
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Mean and sample SD (``ddof=1``) of one variable over all cycles of several runs.

    The cycles of every dataset are pooled (left and right side alike). Curves on another
    ``cycle_pct`` grid are interpolated onto the first dataset's grid.

    Returns
    -------
    cycle_pct, mean, sd, n_cycles
        ``sd`` is zero where fewer than two cycles hold a value.
    """
    rows: list[np.ndarray] = []
    grid: np.ndarray | None = None
    for ds in datasets:
        da = ds[variable]
        if "cycle" not in da.dims:
            da = da.expand_dims("cycle")
        da = da.transpose("cycle", "cycle_pct")
        pct = np.asarray(da["cycle_pct"].values, dtype=float)
        values = np.asarray(da.values, dtype=float)
        if grid is None:
            grid = pct
        elif pct.shape != grid.shape or not np.allclose(pct, grid):
            values = np.stack([np.interp(grid, pct, v) for v in values])
        rows.append(values)
    if grid is None:
        raise ValueError("cycle_mean_sd needs at least one dataset")
    stack = np.concatenate(rows, axis=0)
    n = np.sum(np.isfinite(stack), axis=0)
    with warnings.catch_warnings():  # all-NaN columns: NaN mean, no warning
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(stack, axis=0)
        sd = np.nanstd(stack, axis=0, ddof=1)
    sd = np.where(n > 1, sd, 0.0)
    return grid, mean, sd, int(stack.shape[0])


def toe_off_pct(datasets: Sequence[xr.Dataset]) -> float:
    """Mean toe-off (% of the cycle) over runs: attr or variable ``stance_pct``, else the per-cycle
    coordinate ``foot_off_pct``; NaN if none is recorded."""
    values: list[float] = []
    for ds in datasets:
        if "stance_pct" in ds.data_vars:
            values.extend(np.asarray(ds["stance_pct"].values, dtype=float).ravel().tolist())
        elif "stance_pct" in ds.attrs:
            values.extend(np.asarray(ds.attrs["stance_pct"], dtype=float).ravel().tolist())
        elif "foot_off_pct" in ds.coords:  # toe off of each cycle
            values.extend(np.asarray(ds["foot_off_pct"].values, dtype=float).ravel().tolist())
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


# ------------------------------------------------------------------------------------ summary table


def _fmt(value: float, *, integer: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if integer:
        return f"{value:.0f}"
    a = abs(value)
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    if a >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _param(column: str, value: float) -> str:
    return "–" if pd.isna(value) else f"{float(value) * quantity(column).scale:g}"


def _cell(values: pd.Series, scale: float) -> str:
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float) * scale
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "–"
    if v.size == 1:
        return _fmt(float(v[0]))
    return f"{_fmt(float(np.mean(v)))} ± {_fmt(float(np.std(v, ddof=1)))}"


def _md_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


#: Outcomes compared between the directions in the summary (loads, energy and cost).
RELATIVE_OUTCOMES = (
    "peak_vertical_grf_bw", "peak_knee_extension_moment_nm_kg",
    "peak_pf_force_lever_bw", "peak_pf_force_muscle_bw", "peak_pf_stress_lever_mpa",
    "peak_pf_stress_muscle_mpa", "pf_impulse_lever_bw_s_per_km", "pf_impulse_muscle_bw_s_per_km",
    "peak_knee_contact_force_bw", "knee_contact_impulse_bw_s_per_m", "tendon_energy_returned_j",
    "tendon_energy_returned_plantarflexors_j", "tendon_energy_returned_quadriceps_j",
    "metabolic_cost_j_kg_m",
)
#: Reserve guide, % of a coordinate's peak joint moment: ``biomech.pipeline.RESERVE_LIMIT``
#: (issue 4's criterion; not imported, to keep plotting light; a test keeps the two equal).
RESERVE_GUIDE_PCT = 5.0
#: Outcomes that depend on the muscle forces -> the ``runs.csv`` column with the largest reserve
#: in the frame of that peak (see ``QUALITY``).
RESERVE_AT_PEAK = {"peak_pf_force_muscle_bw": "reserve_at_peak_pf_muscle_share",
                   "peak_pf_stress_muscle_mpa": "reserve_at_peak_pf_muscle_share",
                   "peak_knee_contact_force_bw": "reserve_at_peak_knee_contact_share"}


def _relative_table(runs: pd.DataFrame, cond: Sequence[str], per_direction: Sequence[str] = ()
                    ) -> list[str]:
    """Markdown lines: BR relative to FR, ``100 (BR / FR - 1)`` %, in each condition where both
    directions have finished runs (means over the group's runs); ``†`` where a run of either
    direction needs a reserve above 5 % at that peak; a note naming the ``per_direction``
    parameters (set per direction, e.g. each direction's own speed), which the comparison then
    includes. Empty when no condition has both."""
    if not {"forward", "backward"} <= set(runs["direction"].astype(str)):
        return []
    columns = [c for c in RELATIVE_OUTCOMES if c in runs.columns
               and pd.to_numeric(runs[c], errors="coerce").notna().any()]
    rows = []
    for values, by_dir in condition_table(runs, cond):
        groups = {d: runs[runs["run_id"].astype(str).isin(by_dir.get(d, []))
                          & (runs["status"] == "done")] for d in ("forward", "backward")}
        if any(g.empty for g in groups.values()):
            continue
        cells = [*[_param(c, v) for c, v in zip(cond, values, strict=True)]]
        for c in columns:
            fr, br = (pd.to_numeric(groups[d][c], errors="coerce").mean() for d in ("forward", "backward"))
            ok = np.isfinite(fr) and np.isfinite(br) and fr != 0
            cell = f"{100 * (br / fr - 1):+.1f}" if ok else "–"
            flag = RESERVE_AT_PEAK.get(c)
            if flag in runs.columns and cell != "–":
                worst = pd.concat([pd.to_numeric(g[flag], errors="coerce") for g in groups.values()]).max()
                cell += " †" if 100 * worst > RESERVE_GUIDE_PCT else ""
            cells.append(cell)
        rows.append(_md_row(cells))
    if not rows:
        return []
    header = [*[quantity(c).header() for c in cond],
              *[quantity(c).short or quantity(c).label for c in columns]]
    unmatched = ""
    if per_direction:
        values = [f"{quantity(c).label.lower()} (" + ", ".join(
            f"{short} {_param(c, runs.loc[runs['direction'] == d, c].iloc[0])} {quantity(c).unit}".rstrip()
            for d, short in (("forward", "FR"), ("backward", "BR"))) + ")" for c in per_direction]
        unmatched = (" Not a matched comparison: each direction ran at its own " + "; ".join(values)
                     + ", and the differences include that.")
    return ["## BR relative to FR (%)", "", _md_row(header), _md_row(["---"] * len(header)), *rows, "",
            "100 (BR / FR − 1) in each condition where both directions ran (means over a group's "
            "runs); negative: lower in backward running. † a run of either direction needs a "
            "reserve above 5 % of a peak joint moment in the frame of that peak (the quality table's "
            "reserve-at-peak columns): that comparison rests on a load the muscles do not carry."
            + unmatched, ""]


def summary_markdown(runs: pd.DataFrame, layout: Design, *, title: str,
                     figures: Sequence[str] = ()) -> str:
    """Markdown summary of ``runs.csv``: outcomes per direction and condition, quality per run.

    Outcome cells are the value of the finished run, or mean ± SD (``ddof=1``) over the finished
    runs of a group; fractions are shown in %.
    """
    done = runs[runs["status"] == "done"]
    cond = list(layout.condition)
    shown_cond = [*layout.per_direction, *cond]
    lines = [f"# {title}", "",
             f"{len(runs)} runs: {len(done)} done, {len(runs) - len(done)} not done."
             + (f" Swept parameter: {quantity(layout.axis).axis_label()}." if layout.axis else ""),
             "", "## Outcomes per direction and condition", ""]
    extra = [c for c in ("step_rate_hz",) if c in runs.columns and c not in cond]
    outcomes = [c for c in OUTCOMES if c in runs.columns
                and pd.to_numeric(runs[c], errors="coerce").notna().any()]
    header = ["Direction", *[quantity(c).header() for c in shown_cond], "Runs done",
              *[quantity(c).header() for c in [*extra, *outcomes]]]
    lines += [_md_row(header), _md_row(["---"] * len(header))]
    for values, by_dir in condition_table(runs, cond):
        for direction, ids in by_dir.items():
            group = runs[runs["run_id"].astype(str).isin(ids)]
            ok = group[group["status"] == "done"]
            cells = [direction, *[_param(c, group[c].iloc[0]) for c in layout.per_direction],
                     *[_param(c, v) for c, v in zip(cond, values, strict=True)], f"{len(ok)}/{len(group)}"]
            cells += [_cell(ok[c], quantity(c).scale) for c in [*extra, *outcomes]]
            lines.append(_md_row(cells))
    lines += ["", "Values are per run, or mean ± SD over the runs of a group. Forces, moments, PF "
              "stress and knee contact are peaks over the recorded cycles (BW = body weight, PF = "
              "patellofemoral, lever = lever-arm method, muscle = muscle-force method); tendon return "
              "is the elastic energy the tendons of one leg return per cycle (all of them, the "
              "plantarflexors', the quadriceps'); metabolic cost is per kg and metre. PF stress peak: "
              "its time in % of stance; PF impulse/km: the PF force impulse of one stance times the "
              "steps of a kilometre (both legs, a step being speed / step rate long; one knee sees "
              "half), the cumulative load that shorter, more frequent steps change; knee contact/m: "
              "the knee contact force impulse of one stance over the step length (BW s per metre "
              "travelled, both legs).", ""]
    lines += _relative_table(runs, cond, layout.per_direction)

    quality = quality_columns(runs)
    if quality:
        lines += ["## Quality per run (does the physics close?)", ""]
        header = ["Run", "Direction", *[quantity(c).header() for c in shown_cond], "Status",
                  *[quantity(c).header() for c in quality]]
        lines += [_md_row(header), _md_row(["---"] * len(header))]
        for r in ordered_runs(runs, shown_cond).to_dict("records"):
            cells = [f"`{r['run_id']}`", r["direction"],
                     *[_param(c, r[c]) for c in shown_cond], r["status"]]
            cells += [_fmt(float(pd.to_numeric(r[c], errors="coerce")) * quantity(c).scale,
                           integer=c == "so_failed_frames") for c in quality]
            lines.append(_md_row(cells))
        lines += ["", "Guides: peak pelvis residual force below 5 % of the peak external force "
                  "(Hicks et al. 2015, J Biomech Eng 137:020905); peak residual moments below 75 N m and "
                  "peak reserve torques below 10 % of the joint moment (OpenSim documentation, "
                  "'Simulation with OpenSim - Best Practices'); this project asks for reserves below 5 % "
                  "of the peak joint moment (issue 4). Reserve at a peak: the largest reserve of that "
                  "leg, as a share of its coordinate's peak joint moment, in the frame of the peak knee "
                  "contact force or peak PF force (muscle method), worse side; above 5 % the muscles do "
                  "not carry the joint moments there, so that peak is not what the muscles would "
                  "produce. Synthesised gait: the swing foot should "
                  "clear the ground (0 mm below it; where it would not, the synthesis corrects the "
                  "swing angles and the correction column says by how much) and a planted foot should "
                  "not slide (the 15 Hz kinematic low-pass smooths the touchdown impact, so at the "
                  "strike the foot is short of its ground point by up to about 2 cm).", ""]

    failed = runs[runs["status"] != "done"]
    if len(failed):
        lines += ["## Runs not done", ""]
        for r in failed.to_dict("records"):
            what = ", ".join(format_parameter(c, r[c]) for c in shown_cond if pd.notna(r[c]))
            err = f": {r['error']}" if "error" in r and isinstance(r["error"], str) and r["error"] else ""
            lines.append(f"- `{r['run_id']}` ({r['direction']}, {what}) {r['status']}{err}")
        lines.append("")
    if figures:
        lines += ["## Figures", ""] + [f"- [{name}]({name})" for name in figures] + [""]
    return "\n".join(lines)


def ordered_runs(runs: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Runs sorted forward first, then backward, then by the given columns."""
    rank = {d: i for i, d in enumerate(direction_order(runs["direction"]))}
    key = runs["direction"].map(rank)
    return runs.assign(_rank=key).sort_values(["_rank", *columns], kind="stable").drop(columns="_rank")
