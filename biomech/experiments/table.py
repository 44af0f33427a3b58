"""Plain-text summary table of an experiment's runs (for the terminal)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["SUMMARY_COLUMNS", "format_summary"]

#: (column of runs.csv, header, unit, format)
SUMMARY_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("run_id", "run", "", "s"),
    ("direction", "direction", "", "s"),
    ("speed_m_s", "speed", "m/s", ".2f"),
    ("step_rate_hz", "step", "Hz", ".2f"),
    ("contact_time_s", "contact", "s", ".3f"),
    ("knee_flexion_at_strike_deg", "knee@FS", "deg", ".1f"),
    ("peak_vertical_grf_bw", "vGRF", "BW", ".2f"),
    ("peak_knee_extension_moment_nm_kg", "knee mom", "N m/kg", ".2f"),
    ("peak_pf_force_lever_bw", "PF F lever", "BW", ".2f"),
    ("peak_pf_force_muscle_bw", "PF F muscle", "BW", ".2f"),
    ("peak_pf_stress_lever_mpa", "PF s lever", "MPa", ".1f"),
    ("peak_pf_stress_muscle_mpa", "PF s muscle", "MPa", ".1f"),
    ("peak_knee_contact_force_bw", "knee JCF", "BW", ".2f"),
    ("tendon_energy_returned_j", "tendon E", "J/stride", ".1f"),
    ("tendon_share_of_positive_work", "tendon", "share", ".2f"),
    ("metabolic_cost_j_kg_m", "met cost", "J/kg/m", ".2f"),
    ("status", "status", "", "s"),
)
_FIXED = {c for c, *_ in SUMMARY_COLUMNS}


def _cell(value: Any, fmt: str) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return "nan" if not math.isfinite(value) else format(value, fmt if fmt != "s" else "g")
    return str(value)


def format_summary(rows: Sequence[dict[str, Any]], extra: Sequence[str] = ()) -> str:
    """The runs as an aligned text table with a unit line under the headers, followed by the
    errors of failed runs.

    Parameters
    ----------
    rows : sequence of dict
        Rows of ``runs.csv`` (:func:`biomech.experiments.engine.table_rows`).
    extra : sequence of str
        Further columns to show after the step rate (e.g. swept parameters).
    """
    columns = list(SUMMARY_COLUMNS[:4])
    columns += [(c, c, "", "g") for c in extra if c not in _FIXED]
    columns += list(SUMMARY_COLUMNS[4:])
    table = [[h for _, h, _, _ in columns], [u for _, _, u, _ in columns]]
    table += [[_cell(row.get(c), f) for c, _, _, f in columns] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(w) if i < 2 or i == len(columns) - 1 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip()
             for line in table]
    failed = [row for row in rows if row.get("status") == "failed"]
    if failed:
        lines.append("")
        lines.append("failed runs:")
        lines += [f"  {row['run_id']}: {row.get('error') or 'unknown error'}" for row in failed]
    return "\n".join(lines)
