"""Synthetic results folders in the layout written by the experiment engine (see biomech.plots.results).

Known curves and outcomes, so tests can check what the figures draw."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

PCT = np.linspace(0.0, 100.0, 101)

OUTCOME_COLUMNS = (
    "contact_time_s", "duty_factor", "aerial_time_s", "peak_vertical_grf_bw",
    "peak_knee_extension_moment_nm_kg", "peak_pf_force_lever_bw", "peak_pf_force_muscle_bw",
    "peak_pf_stress_lever_mpa", "peak_pf_stress_muscle_mpa", "peak_knee_contact_force_bw",
    "tendon_energy_returned_j", "tendon_share_of_positive_work", "metabolic_cost_j_kg_m",
    "max_pelvis_residual_force_bw", "max_pelvis_residual_moment_nm", "max_reserve_share", "so_failed_frames",
    "tendon_equilibrium_change_n", "swing_foot_below_ground_mm", "swing_clearance_correction_deg",
    "max_foot_slip_mm",
)


def stance_bump(stance_pct: float) -> np.ndarray:
    """Half-sine over stance (0..stance_pct %), zero in flight: shape of a GRF or a joint load."""
    x = np.clip(PCT / stance_pct, 0.0, 1.0)
    return np.where(PCT <= stance_pct, np.sin(np.pi * x), 0.0)


def curves_dataset(run_id: str, direction: str, speed: float, step_rate: float, stance_pct: float,
                   n_cycles: int = 2, gain: float = 1.0) -> xr.Dataset:
    """Known curves: cycle k is the base curve plus k * offset (so the SD is known exactly)."""
    bump = stance_bump(stance_pct)
    swing = np.sin(np.pi * np.clip((PCT - stance_pct) / (100 - stance_pct), 0, 1)) * (PCT > stance_pct)
    base = {
        "knee_flexion_deg": 15 + 30 * bump + 80 * swing * (0.6 if direction == "backward" else 1.0),
        "hip_flexion_deg": 30 * np.cos(2 * np.pi * PCT / 100),
        "ankle_angle_deg": 10 * np.sin(2 * np.pi * PCT / 100),
        "knee_extension_moment_nm_kg": 2.8 * gain * bump,
        "pf_force_lever_bw": 6.0 * gain * bump,
        "pf_force_muscle_bw": 5.2 * gain * bump,
        "pf_stress_lever_mpa": 9.0 * gain * bump,
        "pf_stress_muscle_mpa": 7.8 * gain * bump,
        "knee_contact_force_bw": 9.5 * gain * bump,
        "vertical_grf_bw": 2.5 * (1 + 0.1 * speed) * bump,
        "tendon_energy_j": 35.0 * (1.2 if direction == "backward" else 1.0) * bump ** 2,
        # the joint-mechanics curves (optional in curves.nc): BR swaps the knee and ankle roles
        "hip_extension_moment_nm_kg": 1.5 * bump,
        "ankle_plantarflexion_moment_nm_kg": 2.5 * gain * bump,
        "hip_power_w_kg": 3.0 * np.sin(2 * np.pi * PCT / 100),
        "knee_power_w_kg": (-1.0 if direction == "forward" else 1.0) * 8.0 * np.sin(
            2 * np.pi * np.clip(PCT / stance_pct, 0, 1)) * (PCT <= stance_pct),
        "ankle_power_w_kg": (1.0 if direction == "forward" else -1.0) * 10.0 * np.sin(
            2 * np.pi * np.clip(PCT / stance_pct, 0, 1)) * (PCT <= stance_pct),
        "hip_contact_force_bw": 5.0 * gain * bump,
        "ankle_contact_force_bw": 10.0 * gain * bump,
        "fore_aft_grf_bw": -0.3 * np.sin(2 * np.pi * np.clip(PCT / stance_pct, 0, 1)) * (PCT <= stance_pct),
    }
    data = {}
    for name, curve in base.items():
        rows = [curve + k * 0.1 * (1 + np.abs(curve).max()) * bump for k in range(n_cycles)]
        data[name] = (("cycle", "cycle_pct"), np.stack(rows))
    return xr.Dataset(
        data,
        coords={"cycle": np.arange(n_cycles), "cycle_pct": PCT,
                "side": ("cycle", ["r" if k % 2 == 0 else "l" for k in range(n_cycles)])},
        attrs={"run_id": run_id, "direction": direction, "speed_m_s": speed, "step_rate_hz": step_rate,
               "stance_pct": stance_pct},
    )


def outcomes(direction: str, speed: float, step_rate: float, stance_pct: float, gain: float) -> list:
    contact = stance_pct / 100 * 2 / step_rate
    bw = 2.5 * (1 + 0.1 * speed)
    return [contact, stance_pct / 100, 1 / step_rate - contact, bw, 2.8 * gain, 6.0 * gain, 5.2 * gain,
            9.0 * gain, 7.8 * gain, 9.5 * gain, 30.0 * gain, 0.35 if direction == "forward" else 0.42,
            4.0 + 0.3 * speed if direction == "forward" else float("nan"),
            0.01 * speed, 3.0 * speed, 0.04 if direction == "forward" else 0.07, 0, float("nan"),
            0.0 if direction == "forward" else 4.0 * speed, 0.0 if direction == "forward" else 3.0 * speed,
            1.2]


def write_results(folder: Path, runs: Sequence[dict], *, extra: Sequence[str] = (),
                  sweep: dict | None = None, name: str = "synthetic") -> Path:
    """Write experiment.yaml, runs.csv and runs/<id>/curves.nc for the given runs.

    Each run dict holds run_id, status, direction, speed_m_s, step_rate_hz, the ``extra`` parameter
    columns, and optionally ``gain`` (scales the loads) and ``stance_pct``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sweep_text = "" if not sweep else "sweep:\n" + "".join(f"  {k}: {list(v)}\n" for k, v in sweep.items())
    (folder / "experiment.yaml").write_text(f"name: {name}\nsubject: {{mass_kg: 75}}\n{sweep_text}")
    header = ["run_id", "status", "direction", "speed_m_s", "step_rate_hz", *extra, *OUTCOME_COLUMNS]
    with (folder / "runs.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in runs:
            stance = r.get("stance_pct", 38.0 if r["direction"] == "forward" else 44.0)
            head = [r["run_id"], r["status"], r["direction"], r["speed_m_s"], r["step_rate_hz"],
                    *[r[c] for c in extra]]
            if r["status"] == "done":
                w.writerow(head + outcomes(r["direction"], r["speed_m_s"], r["step_rate_hz"], stance,
                                           r.get("gain", 1.0)))
                ds = curves_dataset(r["run_id"], r["direction"], r["speed_m_s"], r["step_rate_hz"], stance,
                                    gain=r.get("gain", 1.0))
                (folder / "runs" / r["run_id"]).mkdir(parents=True, exist_ok=True)
                ds.to_netcdf(folder / "runs" / r["run_id"] / "curves.nc")
            else:
                w.writerow(head + [""] * len(OUTCOME_COLUMNS))
    return folder


def matched_runs() -> list[dict]:
    """FR and BR at 2.5 and 3.5 m/s, plus one failed BR run at 3.0 m/s (no curves)."""
    runs = []
    for direction, rate, gain in (("forward", 2.9, 1.0), ("backward", 3.3, 0.7)):
        for speed in (2.5, 3.5):
            runs.append({"run_id": f"{direction[:2]}{speed:g}".replace(".", "p") + "00c0ffee",
                         "status": "done", "direction": direction, "speed_m_s": speed,
                         "step_rate_hz": rate + 0.1 * (speed - 2.5),
                         "gain": gain * (1 + 0.1 * (speed - 2.5))})
    runs.append({"run_id": "12345678", "status": "failed", "direction": "backward", "speed_m_s": 3.0,
                  "step_rate_hz": 3.35})
    return runs
