"""Figures of an experiment's results folder: FR vs BR gait-cycle curves, peak bars, sweeps, quality.

Plotting reads saved results and never simulates. :func:`make_figures` reads a results folder
(layout in :mod:`biomech.plots.results`) and writes, into ``<results_dir>/figures/``:

* ``curves_<condition>.png`` -- one per condition run in both directions (e.g. each speed): knee
  flexion, knee extension moment, vertical GRF, patellofemoral (PF) force and stress (lever-arm
  method solid, muscle method dashed) and tendon elastic energy over 0-100 % of the gait cycle,
  mean line and ±1 SD band over all cycles, dotted line at the mean toe-off;
* ``peaks.png`` -- bar charts of the peak outcomes per direction and condition;
* ``sweep_<parameter>.png`` -- outcomes against the swept parameter, one line per direction;
* ``quality.png`` -- pelvis residuals, reserve share and failed static-optimization frames per run;
* ``summary.md`` -- the outcome and quality tables in markdown.

The lower-level ``plot_*`` functions take DataFrames / Datasets and return a matplotlib
``Figure`` (or ``None`` when there is nothing to draw) without touching files.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from biomech.errors import BiomechError  # noqa: E402
from biomech.plots.results import (  # noqa: E402
    OUTCOMES,
    QUALITY,
    RESERVE_AT_PEAK,
    RESERVE_GUIDE_PCT,
    Design,
    condition_label,
    condition_table,
    cycle_mean_sd,
    design,
    direction_order,
    direction_values,
    format_parameter,
    load_curves,
    load_experiment,
    load_runs,
    ordered_runs,
    quality_columns,
    quantity,
    summary_markdown,
    sweep_keys,
    toe_off_pct,
    varying_columns,
)
from biomech.plots.style import direction_colour, direction_label, gait_mode, use_style  # noqa: E402

__all__ = [
    "BAR_PANELS",
    "CURVE_PANELS",
    "FORMATS",
    "JOINT_PANELS",
    "PANEL_SETS",
    "make_figures",
    "plot_cycle_curves",
    "plot_peak_bars",
    "plot_quality",
    "plot_sweep",
    "save_figure",
]

logger = logging.getLogger(__name__)

FORMATS = ("png", "pdf")
#: Line style and hatch of the two patellofemoral methods.
_METHOD_STYLE = {"lever": ("-", None, "lever-arm method"), "muscle": ("--", "////", "muscle method")}


@dataclass(frozen=True)
class Panel:
    """One panel: title, y label and the (variable or column, method) pairs drawn in it."""

    title: str
    ylabel: str
    items: tuple[tuple[str, str | None], ...]
    optional: bool = False  # skipped quietly (info, not warning) when absent
    guide: tuple[float, str] | None = None  # horizontal reference line: (value, legend label)


#: Panels of the gait-cycle figure (variables of ``curves.nc``).
CURVE_PANELS: tuple[Panel, ...] = (
    Panel("Hip flexion angle", "Hip flexion (deg)", (("hip_flexion_deg", None),)),
    Panel("Knee flexion angle", "Knee flexion (deg)", (("knee_flexion_deg", None),)),
    Panel("Ankle angle", "Dorsiflexion (deg)", (("ankle_angle_deg", None),)),
    Panel("Vertical ground reaction force", "Force (BW)", (("vertical_grf_bw", None),)),
    Panel("Knee extension moment", "Moment (N m/kg)", (("knee_extension_moment_nm_kg", None),)),
    Panel("Patellofemoral force", "Force (BW)",
          (("pf_force_lever_bw", "lever"), ("pf_force_muscle_bw", "muscle"))),
    Panel("Patellofemoral stress", "Stress (MPa)",
          (("pf_stress_lever_mpa", "lever"), ("pf_stress_muscle_mpa", "muscle"))),
    Panel("Tendon elastic energy", "Energy (J)", (("tendon_energy_j", None),)),
    # where the muscles do not carry the joint moments (muscle-method PF force, knee contact
    # force and tendon energy there are not what the muscles would produce)
    Panel("Largest reserve of the leg", "% of peak joint moment", (("reserve_max_pct", None),),
          optional=True,
          guide=(RESERVE_GUIDE_PCT, "reserve guide: 5 % of the peak joint moment (issue 4)")),
)

#: Panels of the joint-mechanics figure (variables of ``curves.nc``): one row per joint (angle,
#: net internal moment, power), then the fore-aft GRF and the hip and ankle contact forces.
#: Optional: results saved before the hip and ankle moments existed skip them quietly.
JOINT_PANELS: tuple[Panel, ...] = (
    Panel("Hip angle", "Flexion (deg)", (("hip_flexion_deg", None),), optional=True),
    Panel("Hip moment", "Extension (N m/kg)", (("hip_extension_moment_nm_kg", None),), optional=True),
    Panel("Hip power", "Power (W/kg)", (("hip_power_w_kg", None),), optional=True),
    Panel("Knee angle", "Flexion (deg)", (("knee_flexion_deg", None),), optional=True),
    Panel("Knee moment", "Extension (N m/kg)", (("knee_extension_moment_nm_kg", None),), optional=True),
    Panel("Knee power", "Power (W/kg)", (("knee_power_w_kg", None),), optional=True),
    Panel("Ankle angle", "Dorsiflexion (deg)", (("ankle_angle_deg", None),), optional=True),
    Panel("Ankle moment", "Plantarflexion (N m/kg)", (("ankle_plantarflexion_moment_nm_kg", None),),
          optional=True),
    Panel("Ankle power", "Power (W/kg)", (("ankle_power_w_kg", None),), optional=True),
    Panel("Fore-aft ground reaction force", "Propulsive (BW)", (("fore_aft_grf_bw", None),),
          optional=True),
    Panel("Hip contact force", "Force (BW)", (("hip_contact_force_bw", None),), optional=True),
    Panel("Ankle contact force", "Force (BW)", (("ankle_contact_force_bw", None),), optional=True),
)

#: The panel sets of the gait-cycle figures, by name (``biomech compare --panels``).
PANEL_SETS: dict[str, tuple[Panel, ...]] = {"curves": CURVE_PANELS, "joints": JOINT_PANELS}

#: Panels of the peak bar chart (columns of ``runs.csv``).
BAR_PANELS: tuple[Panel, ...] = (
    Panel("Peak vertical GRF", "Force (BW)", (("peak_vertical_grf_bw", None),)),
    Panel("Peak knee extension moment", "Moment (N m/kg)", (("peak_knee_extension_moment_nm_kg", None),)),
    Panel("Peak patellofemoral force", "Force (BW)",
          (("peak_pf_force_lever_bw", "lever"), ("peak_pf_force_muscle_bw", "muscle"))),
    Panel("Peak patellofemoral stress", "Stress (MPa)",
          (("peak_pf_stress_lever_mpa", "lever"), ("peak_pf_stress_muscle_mpa", "muscle"))),
    Panel("PF impulse per km (both legs)", "Impulse (BW s/km)",
          (("pf_impulse_lever_bw_s_per_km", "lever"), ("pf_impulse_muscle_bw_s_per_km", "muscle")),
          optional=True),
    Panel("Peak knee contact force", "Force (BW)", (("peak_knee_contact_force_bw", None),)),
    Panel("Knee contact impulse per metre (both legs)", "Impulse (BW s/m)",
          (("knee_contact_impulse_bw_s_per_m", None),), optional=True),
    Panel("Tendon energy returned", "Energy (J)", (("tendon_energy_returned_j", None),)),
    Panel("Tendon share of positive work", "Share (%)", (("tendon_share_of_positive_work", None),)),
    Panel("Metabolic cost", "Cost (J/(kg m))", (("metabolic_cost_j_kg_m", None),), optional=True),
)

#: Outcomes drawn against a swept parameter, in order (``step_rate_hz`` when it is not the axis).
SWEEP_COLUMNS: tuple[str, ...] = ("step_rate_hz", *OUTCOMES)

#: Quality columns whose ideal is exactly 0: an all-zero panel says so instead of showing no bars.
_ZERO_IS_GOOD = ("so_failed_frames", "swing_foot_below_ground_mm")

#: Reference lines of the quality figure: (value in shown units, label). Residual force is per run.
_AT_PEAKS = (RESERVE_GUIDE_PCT, "reserve guide at the peaks: 5 % (issue 4 criterion)")
_GUIDES = {
    "max_pelvis_residual_moment_nm": (75.0, "residual moment guide: 75 N m (OpenSim best practices)"),
    "max_reserve_share": (RESERVE_GUIDE_PCT,
                          "reserve guide: 5 % of the peak joint moment (issue 4 criterion)"),
    "tendon_equilibrium_change_n": (1.0, "compliant tendons: convergence tolerance, 1 N"),
    "reserve_at_peak_knee_contact_share": _AT_PEAKS,
    "reserve_at_peak_pf_muscle_share": _AT_PEAKS,
}


def _grid(n: int, ncols: int, panel_size: tuple[float, float], *, sharex: bool = False
          ) -> tuple[Figure, list[plt.Axes]]:
    """``n`` panels on a grid of ``ncols`` columns; unused slots removed; tick labels on every panel."""
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                             squeeze=False, sharex=sharex)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        fig.delaxes(ax)
    for ax in flat[:n]:
        ax.tick_params(labelbottom=True)
    return fig, flat[:n]


def _present(panels: Sequence[Panel], has: Mapping[str, bool], what: str) -> list[Panel]:
    """Panels with at least one item available; a missing item is logged (warning unless optional)."""
    out: list[Panel] = []
    for panel in panels:
        items = tuple(item for item in panel.items if has.get(item[0], False))
        missing = [name for name, _ in panel.items if not has.get(name, False)]
        if missing:
            log = logger.info if panel.optional else logger.warning
            log("%s: no %s: %s", what, ", ".join(missing),
                "panel skipped" if not items else "drawn without it")
        if items:
            out.append(dataclasses.replace(panel, items=items))
    return out


# ---------------------------------------------------------------------------------- cycle curves


@use_style()
def plot_cycle_curves(curves: Mapping[str, Sequence[xr.Dataset]], *, title: str,
                      panels: Sequence[Panel] = CURVE_PANELS) -> Figure | None:
    """Gait-cycle curves of several directions: mean ± 1 SD (ddof=1) over all cycles.

    Parameters
    ----------
    curves : mapping of direction to datasets
        ``curves.nc`` Datasets (dims ``cycle``, ``cycle_pct``) of the runs of one condition.
    title : str
        Figure title (say the condition, e.g. the speed).
    panels : sequence of Panel
        What to draw; a panel whose variables no dataset holds is skipped with a warning.

    Returns
    -------
    Figure or None
        ``None`` when no dataset holds any panel's variable.
    """
    curves = {d: list(v) for d, v in curves.items() if len(v)}
    if not curves:
        return None
    has = {name: all(name in ds.data_vars for dss in curves.values() for ds in dss)
           for p in panels for name, _ in p.items}
    drawn = _present(panels, has, title)
    if not drawn:
        return None
    fig, axes = _grid(len(drawn), 3, (3.4, 2.6))
    n_cycles: dict[str, int] = {}
    methods_used: set[str] = set()
    guides: dict[str, Line2D] = {}
    for ax, panel in zip(axes, drawn, strict=True):
        if panel.guide is not None:
            value, label = panel.guide
            ax.axhline(value, color="k", ls="--", lw=1)
            guides[label] = Line2D([], [], color="k", ls="--", lw=1, label=label)
        for direction in direction_order(curves):
            colour = direction_colour(direction)
            for name, method in panel.items:
                pct, mean, sd, n = cycle_mean_sd(curves[direction], name)
                n_cycles[direction] = n
                ls = _METHOD_STYLE[method][0] if method else "-"
                if method:
                    methods_used.add(method)
                ax.fill_between(pct, mean - sd, mean + sd, color=colour, lw=0,
                                alpha=0.22 if ls == "-" else 0.12)
                ax.plot(pct, mean, color=colour, ls=ls)
            toe_off = toe_off_pct(curves[direction])
            if np.isfinite(toe_off):
                ax.axvline(toe_off, color=colour, ls=":", lw=1.1)
        ax.set_title(panel.title)
        ax.set_ylabel(panel.ylabel)
        ax.set_xlabel("Gait cycle (%)")
        ax.set_xlim(0, 100)
        ax.set_xticks(range(0, 101, 20))
    handles = [Line2D([], [], color=direction_colour(d), lw=6, alpha=0.5,
                      label=f"{direction_label(d)}: mean ± SD, {n_cycles.get(d, 0)} cycles")
               for d in direction_order(curves)]
    handles += [Line2D([], [], color="0.25", ls=_METHOD_STYLE[m][0], label=f"PF {_METHOD_STYLE[m][2]}")
                for m in ("lever", "muscle") if m in methods_used]
    handles.append(Line2D([], [], color="0.25", ls=":", lw=1.1, label="mean toe-off"))
    handles += list(guides.values())
    longest = max(len(h.get_label()) for h in handles)   # long labels (compare): fewer columns
    fig.legend(handles=handles, loc="outside lower center",
               ncol=min(len(handles), 4 if longest <= 40 else 2))
    fig.suptitle(title)
    return fig


# ------------------------------------------------------------------------------------ peak bars


def _finite(runs: pd.DataFrame, column: str) -> bool:
    return column in runs.columns and bool(pd.to_numeric(runs[column], errors="coerce").notna().any())


@use_style()
def plot_peak_bars(runs: pd.DataFrame, conditions: Sequence[str], *, title: str,
                   panels: Sequence[Panel] = BAR_PANELS,
                   direction_notes: Mapping[str, str] | None = None) -> Figure | None:
    """Bar charts of peak outcomes, one bar per direction (and PF method) in each condition.

    Parameters
    ----------
    runs : DataFrame
        ``runs.csv`` rows; only ``status == "done"`` rows are drawn. Several runs of one direction
        in one condition give their mean with a ±1 SD error bar.
    conditions : sequence of str
        Columns that define a condition on the x axis (e.g. ``["speed_m_s"]``).
    direction_notes : mapping, optional
        Text added to a direction's legend entry (its own speed when FR and BR ran at different
        speeds, see :attr:`biomech.plots.results.Design.per_direction`).
    """
    done = runs[runs["status"] == "done"]
    if done.empty:
        return None
    drawn = _present(panels, {n: _finite(done, n) for p in panels for n, _ in p.items}, "peak bars")
    if not drawn:
        return None
    table = condition_table(runs, conditions)
    shown = varying_columns(runs, conditions)
    if len(shown) == 1:  # the values on the ticks, the quantity on the axis label
        pos = list(conditions).index(shown[0]) if shown[0] in conditions else None
        labels = [f"{float(values[pos]) * quantity(shown[0]).scale:g}" if pos is not None else "all runs"
                  for values, _ in table]
        xlabel = quantity(shown[0]).axis_label() if pos is not None else ""
    else:
        labels = [condition_label(conditions, values, sep="\n", only=shown) for values, _ in table]
        xlabel = ""
    directions = direction_order(runs["direction"])
    width_panel = max(2.6, 0.9 + 0.22 * len(table) * len(directions) * 2)
    fig, axes = _grid(len(drawn), 4 if width_panel < 4 else 2, (width_panel, 2.8))
    methods_used: set[str] = set()
    reserve_marked = False
    for ax, panel in zip(axes, drawn, strict=True):
        n_bars = len(directions) * len(panel.items)
        width = 0.8 / n_bars
        empty: list[tuple[float, str]] = []
        marked_here = False
        for i, (_, by_dir) in enumerate(table):
            k = 0
            for direction in directions:
                group = runs[runs["run_id"].astype(str).isin(by_dir.get(direction, []))]
                ok = group[group["status"] == "done"]
                for name, method in panel.items:
                    x = i - 0.4 + (k + 0.5) * width
                    k += 1
                    v = pd.to_numeric(ok[name], errors="coerce").to_numpy(dtype=float)
                    v = v[np.isfinite(v)] * quantity(name).scale
                    if v.size == 0:
                        if len(group):
                            empty.append((x, "failed" if ok.empty else "n/a"))
                        continue
                    if method:
                        methods_used.add(method)
                    hatch = _METHOD_STYLE[method][1] if method else None
                    sd = float(np.std(v, ddof=1)) if v.size > 1 else 0.0
                    ax.bar(x, float(np.mean(v)), width, color=direction_colour(direction),
                           hatch=hatch, edgecolor="white" if hatch else direction_colour(direction),
                           yerr=sd if v.size > 1 else None, capsize=2)
                    reserve = RESERVE_AT_PEAK.get(name)
                    if reserve in ok.columns:
                        r = 100.0 * pd.to_numeric(ok[reserve], errors="coerce").to_numpy(dtype=float)
                        if np.isfinite(r).any() and np.nanmax(r) > RESERVE_GUIDE_PCT:
                            ax.annotate("▼", (x, float(np.mean(v)) + sd), xytext=(0, 1),
                                        textcoords="offset points", ha="center", va="bottom", fontsize=7)
                            reserve_marked = marked_here = True
        for x, text in empty:
            ax.text(x, 0.02, text, transform=ax.get_xaxis_transform(), rotation=90, ha="center",
                    va="bottom", fontsize=7, color="0.4", style="italic")
        if marked_here:   # room above the bars for the reserve marks
            low, high = ax.get_ylim()
            ax.set_ylim(low, high + 0.07 * (high - low))
        ax.set_xticks(range(len(table)))
        crowded = len(table) > 8
        ax.set_xticklabels([s.replace("\n", ", ") for s in labels] if crowded else labels,
                           rotation=45 if crowded else 0, ha="right" if crowded else "center")
        ax.set_title(panel.title)
        ax.set_ylabel(panel.ylabel)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", visible=False)
        ax.set_xlim(-0.6, len(table) - 0.4)
    notes = direction_notes or {}
    handles = [Patch(color=direction_colour(d),
                     label=direction_label(d) + (f", {notes[d]}" if notes.get(d) else ""))
               for d in directions]
    handles += [Patch(facecolor="0.55", edgecolor="white", hatch=_METHOD_STYLE[m][1],
                      label=f"PF {_METHOD_STYLE[m][2]}") for m in ("lever", "muscle") if m in methods_used]
    if reserve_marked:
        handles.append(Line2D([], [], ls="none", marker="v", color="k", ms=5,
                              label=f"reserve above {RESERVE_GUIDE_PCT:g} % of a peak joint moment at "
                              "this peak: not what the muscles would produce"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3))
    fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------------------------- sweeps


@use_style()
def plot_sweep(runs: pd.DataFrame, layout: Design, *, title: str,
               columns: Sequence[str] = SWEEP_COLUMNS,
               direction_notes: Mapping[str, str] | None = None) -> Figure | None:
    """Outcomes against the swept parameter, one line per direction (and series), markers at runs.

    The line joins the finished runs; a run not done is a cross on the x axis. Returns ``None``
    when ``layout.axis`` is ``None`` (see :func:`biomech.plots.results.design`).
    ``direction_notes`` adds text to a direction's legend entry (e.g. its own speed).
    """
    if layout.axis is None:
        return None
    axis = layout.axis
    done = runs[runs["status"] == "done"]
    shown = [c for c in dict.fromkeys(columns) if c != axis and c not in layout.series and _finite(done, c)]
    for c in OUTCOMES:
        if c not in runs.columns and c != "metabolic_cost_j_kg_m":
            logger.warning("sweep: no %s column: panel skipped", c)
    if not shown or done.empty:
        return None
    fig, axes = _grid(len(shown), 4, (3.0, 2.4), sharex=True)
    xq = quantity(axis)
    keys = ["direction", *layout.series]
    rank = {d: i for i, d in enumerate(direction_order(runs["direction"]))}
    groups = sorted(runs.groupby(keys, dropna=False, sort=False),
                    key=lambda kv: (rank[(kv[0] if isinstance(kv[0], tuple) else (kv[0],))[0]],
                                    *(kv[0] if isinstance(kv[0], tuple) else (kv[0],))[1:]))
    markers = ("o", "s", "^", "D", "v", "P", "X")
    dashes = ("-", "--", "-.", ":")
    handles: list[Line2D] = []
    for j, (key, group) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        direction, rest = key[0], key[1:]
        n_in_dir = sum(1 for k, _ in groups[:j] if (k if isinstance(k, tuple) else (k,))[0] == direction)
        style = {"color": direction_colour(direction), "marker": markers[n_in_dir % len(markers)],
                 "ls": dashes[n_in_dir % len(dashes)]}
        group = group.sort_values(axis)
        ok = (group["status"] == "done").to_numpy()
        x = group[axis].to_numpy(dtype=float) * xq.scale
        note = (direction_notes or {}).get(direction)
        label = ", ".join([direction_label(direction), *([note] if note else []),
                           *[format_parameter(c, v) for c, v in zip(layout.series, rest, strict=True)]])
        for ax, column in zip(axes, shown, strict=True):
            y = pd.to_numeric(group[column], errors="coerce").to_numpy(dtype=float) * quantity(column).scale
            keep = ok & np.isfinite(y)
            ax.plot(x[keep], y[keep], **style)
            if (~ok).any():  # runs not done: a cross on the x axis
                ax.plot(x[~ok], np.zeros((~ok).sum()), ls="none", marker="x", ms=6, mew=1.5,
                        color=style["color"], transform=ax.get_xaxis_transform(), clip_on=False)
        handles.append(Line2D([], [], label=label, **style))
    for ax, column in zip(axes, shown, strict=True):
        q = quantity(column)
        ax.set_title(q.label)
        ax.set_ylabel(q.unit)
        ax.set_xlabel(xq.axis_label())
    n_failed = int((runs["status"] != "done").sum())
    note = f" ({n_failed} run{'s' if n_failed != 1 else ''} not done)" if n_failed else ""
    if n_failed:
        handles.append(Line2D([], [], ls="none", marker="x", ms=6, mew=1.5, color="0.3",
                              label="run not done (on the x axis)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 4))
    fig.suptitle(f"{title}{note}")
    return fig


# --------------------------------------------------------------------------------------- quality


def _run_labels(runs: pd.DataFrame, conditions: Sequence[str]) -> list[str]:
    out = []
    for r in runs.to_dict("records"):
        what = [format_parameter(c, r[c]) for c in conditions if pd.notna(r[c])]
        out.append(" · ".join([direction_label(r["direction"], short=True), *what, str(r["run_id"])[:8]]))
    return out


@use_style()
def plot_quality(runs: pd.DataFrame, conditions: Sequence[str] = ("speed_m_s",), *,
                 title: str) -> Figure | None:
    """Per-run quality: max pelvis residual force and moment, max reserve share, failed SO frames,
    and for synthesised gait how far the swing foot passes below the ground and the planted-foot slip.

    Horizontal bars per run (colour = direction); runs not done are marked. Reference lines:
    peak residual force 5 % of the run's peak vertical GRF (Hicks et al. 2015, J Biomech Eng
    137:020905), residual moment 75 N m and reserve 10 % of the joint moment (OpenSim "Simulation
    with OpenSim - Best Practices"). A guide far above every run is
    named in the legend as off scale instead of squashing the bars.
    """
    columns = quality_columns(runs)
    missing = [c for c in QUALITY if c not in runs.columns]
    if missing:
        logger.warning("quality: no %s column(s): panel(s) skipped", ", ".join(missing))
    if not columns:
        return None
    conditions = [c for c in conditions if c in runs.columns]
    ordered = ordered_runs(runs, conditions).iloc[::-1]  # first run at the top
    labels = _run_labels(ordered, varying_columns(runs, conditions) if conditions else [])
    n = len(ordered)
    y = np.arange(n)
    fig, axes = _grid(len(columns), 2 if len(columns) > 1 else 1,
                      (3.9, max(1.8, 0.6 + 0.24 * n)))
    done = (ordered["status"] == "done").to_numpy()
    colours = [direction_colour(d) for d in ordered["direction"]]
    guides: list[Line2D] = []
    for i, (ax, column) in enumerate(zip(axes, columns, strict=True)):
        q = quantity(column)
        v = pd.to_numeric(ordered[column], errors="coerce").to_numpy(dtype=float) * q.scale
        v = np.where(done, v, np.nan)
        ax.barh(y, np.nan_to_num(v), color=colours, height=0.7)
        top = float(np.nanmax(v)) if np.isfinite(v).any() else 0.0
        top = top if top > 0 else 1.0
        for k in np.flatnonzero(~done):
            ax.text(0.0, y[k], f" {ordered['status'].iloc[k] or 'not done'}", va="center", fontsize=7,
                    color="0.35", style="italic")
        if column == "max_pelvis_residual_force_bw" and "peak_vertical_grf_bw" in ordered.columns:
            g = 0.05 * pd.to_numeric(ordered["peak_vertical_grf_bw"], errors="coerce").to_numpy(dtype=float)
            g = np.where(done, g, np.nan)
            text = "residual force guide: 5 % of the run's peak vertical GRF (Hicks et al. 2015)"
            if np.isfinite(g).any() and np.nanmax(g) <= 3 * top:
                ax.plot(g, y, ls="none", marker="|", ms=10, mew=1.6, color="k")
                guides.append(Line2D([], [], ls="none", marker="|", ms=10, mew=1.6, color="k", label=text))
            elif np.isfinite(g).any():
                guides.append(Line2D([], [], ls="none", label=f"{text}, ≥ {_num(np.nanmin(g))} BW: "
                                     "off scale, all runs far below"))
        elif column in _GUIDES:
            value, text = _GUIDES[column]
            if value <= 3 * top:
                ax.axvline(value, color="k", ls="--", lw=1)
                guides.append(Line2D([], [], color="k", ls="--", lw=1, label=text))
            else:
                guides.append(Line2D([], [], ls="none", label=f"{text}: off scale, all runs far below"))
        if column in _ZERO_IS_GOOD and np.isfinite(v).any() and np.nanmax(np.abs(v)) == 0:
            ax.set_xlim(0, 1)
            ax.set_xticks([0, 1])
            ax.text(0.5, 0.5, "0 in every finished run", transform=ax.transAxes, ha="center",
                    va="center", fontsize=8, color="0.3")
        if column == "so_failed_frames":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(q.label)
        ax.set_xlabel(q.unit)
        ax.set_yticks(y)
        ax.set_yticklabels(labels if (i % 2 == 0 and n <= 60) else [])
        if n > 60:
            ax.set_ylabel(f"{n} runs")
        ax.set_ylim(-0.6, n - 0.4)
        ax.grid(axis="y", visible=False)
    if guides:
        unique = list({g.get_label(): g for g in guides}.values())   # one entry per guide text
        fig.legend(handles=unique, loc="outside lower center", ncol=1, handlelength=1.2)
    fig.suptitle(title)
    return fig


def _num(v: float) -> str:
    return f"{v:.3g}"


# ------------------------------------------------------------------------------------ the driver


def _slug(columns: Sequence[str], values: Sequence[float]) -> str:
    parts = []
    for c, v in zip(columns, values, strict=True):
        if pd.isna(v):
            continue
        parts.append(f"{float(v):g}ms" if c == "speed_m_s" else f"{c}_{float(v):g}")
    return "_".join(parts) or "all"


def save_figure(fig: Figure, path: Path, fmt: str = "png") -> Path:
    """Save a figure with the package style (180 dpi PNG or PDF), close it and return ``path``."""
    with use_style():
        fig.savefig(path, format=fmt)
    plt.close(fig)
    logger.info("wrote %s", path)
    return path


def make_figures(results_dir: Path, out_dir: Path | None = None, fmt: str = "png") -> list[Path]:
    """Draw every figure of the experiment in ``results_dir``; see :func:`_make_figures`. Walking
    experiments (``gait.mode: walking``) label the directions FW/BW."""
    gait = load_experiment(results_dir).get("gait")
    mode = str(gait.get("mode", "running")) if isinstance(gait, dict) else "running"
    with gait_mode(mode):
        return _make_figures(results_dir, out_dir, fmt)


def _make_figures(results_dir: Path, out_dir: Path | None = None, fmt: str = "png") -> list[Path]:
    """Write every figure of a results folder and ``summary.md``; return the written paths.

    Parameters
    ----------
    results_dir : Path
        ``results/<experiment_name>`` as written by ``biomech run``.
    out_dir : Path, optional
        Output folder (default ``<results_dir>/figures``); created if needed.
    fmt : {"png", "pdf"}
        Figure file format (PNG at 180 dpi from ``biomech.mplstyle``).

    Raises
    ------
    BiomechError
        If ``results_dir`` is not a results folder (no ``runs.csv``) or ``fmt`` is unknown.
    """
    if fmt not in FORMATS:
        raise BiomechError(f"figure format {fmt!r} is not one of {', '.join(FORMATS)}")
    results_dir = Path(results_dir)
    runs = load_runs(results_dir)
    experiment = load_experiment(results_dir)
    name = str(experiment.get("name") or results_dir.resolve().name)
    out = Path(out_dir) if out_dir is not None else results_dir / "figures"
    out.mkdir(parents=True, exist_ok=True)
    layout = design(runs, sweep_keys(experiment))
    logger.info("%s: %d runs; sweep axis %s; conditions %s", name, len(runs), layout.axis,
                ", ".join(layout.condition) or "none")
    curves = load_curves(results_dir, runs)
    written: list[Path] = []
    own = direction_values(runs, layout.per_direction)  # e.g. each direction's own speed

    for values, by_dir in condition_table(runs, layout.condition):
        sets = {d: [curves[r] for r in ids if r in curves] for d, ids in by_dir.items()}
        sets = {d: v for d, v in sets.items() if v}
        if len(sets) < 2:
            continue
        label = condition_label(layout.condition, values)
        n_runs = {d: len(v) for d, v in sets.items()}
        pooled = "" if max(n_runs.values()) == 1 else " (cycles pooled over runs)"
        if layout.per_direction:
            title = (f"{name}: " + " vs ".join(f"{direction_label(d)} at {own[d]}" for d in sets)
                     + ("" if label == "all runs" else f", {label}") + pooled)
        else:
            title = (f"{name}: " + " vs ".join(direction_label(d) for d in sets)
                     + f" running at {label}{pooled}")
        fig = plot_cycle_curves(sets, title=title)
        if fig is not None:
            written.append(save_figure(fig, out / f"curves_{_slug(layout.condition, values)}.{fmt}", fmt))
        fig = plot_cycle_curves(sets, title=f"{title}: joint mechanics", panels=JOINT_PANELS)
        if fig is not None:
            written.append(save_figure(fig, out / f"joints_{_slug(layout.condition, values)}.{fmt}", fmt))
    if not any(p.name.startswith("curves_") for p in written):
        logger.warning("%s: no condition has curves in two directions: no curve figure", name)

    per = ["direction", *(quantity(c).label.lower() for c in varying_columns(runs, layout.condition))]
    fig = plot_peak_bars(runs, layout.condition, title=f"{name}: peak outcomes per "
                         + (", ".join(per[:-1]) + " and " + per[-1] if len(per) > 1 else per[0]),
                         direction_notes=own)
    if fig is not None:
        written.append(save_figure(fig, out / f"peaks.{fmt}", fmt))

    if layout.axis is not None:
        fig = plot_sweep(runs, layout, title=f"{name}: outcomes against "
                         f"{quantity(layout.axis).label.lower()}", direction_notes=own)
        if fig is not None:
            written.append(save_figure(fig, out / f"sweep_{layout.axis}.{fmt}", fmt))

    fig = plot_quality(runs, layout.condition, title=f"{name}: does the physics close? "
                       "Residuals and reserves per run")
    if fig is not None:
        written.append(save_figure(fig, out / f"quality.{fmt}", fmt))

    summary = out / "summary.md"
    summary.write_text(summary_markdown(runs, layout, title=f"Results: {name}",
                                        figures=[p.name for p in written]))
    written.append(summary)
    return written
