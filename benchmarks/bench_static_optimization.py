"""Benchmark: OpenSim's StaticOptimization (AnalyzeTool) against biomech's (export + solve).

One process, one model (the default running2d model without contact), one synthesised running
stride (401 frames). Prints wall times, the speed ratio and the agreement of the muscle forces
(RMS difference over the compared frames, % of each muscle's peak force; see
tests/muscles/test_static_optimization.py for why some frames are left out of the comparison).

Run: ``.venv/bin/python benchmarks/bench_static_optimization.py``. Not a test.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np

from biomech.errors import BiomechError
from biomech.gait.params import running_inputs
from biomech.gait.synthesis import synthesise_running
from biomech.models import build, skeleton
from biomech.muscles import solve_static_optimization
from biomech.osim import opensim_version
from biomech.osim.inverse import ExternalLoad, inverse_dynamics
from biomech.osim.muscle_export import export_muscle_capacity, gcv_derivatives, opensim_static_optimization

#: N m: reserve optimal force of both solvers; see RESERVE_NM in bench_pipeline.py (OpenSim's
#: StaticOptimization fails frames with the 1 N m package default).
RESERVE_NM = 10.0


def _motion():
    for knee_deg in (35.0, 45.0, 25.0):  # synthesis is experimental; see the test fixture
        try:
            motion, _ = synthesise_running(skeleton(),
                                           running_inputs("forward", knee_flexion_at_contact_deg=knee_deg))
            return motion, knee_deg
        except BiomechError as exc:
            error = exc
    raise SystemExit(f"running synthesis failed: {error}")


def _best_of(n: int, fn):
    times, out = [], None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    motion, knee_deg = _motion()
    model = build(contact=False)
    names = motion.coordinate_names
    loads = [ExternalLoad(ld.body, ld.force_n, ld.cop_m, ld.free_moment_nm) for ld in motion.loads.values()]
    print(f"OpenSim {opensim_version()}; motion: {motion.name}, knee flexion at contact {knee_deg:g} deg, "
          f"{motion.n_frames} frames, {model.getMuscles().getSize()} muscles")

    ref = opensim_static_optimization(model, motion, reserve_optimal_force_nm=RESERVE_NM)
    print(f"OpenSim StaticOptimization (AnalyzeTool): run {ref.run_s:.2f} s, with files and setup "
          f"{ref.total_s:.2f} s; {ref.failed_times_s.size} frames reported failed")

    t_id, tau = _best_of(3, lambda: inverse_dynamics(model, names, motion.q, motion.qd, motion.qdd,
                                                     external_loads=loads))
    t_export, cap = _best_of(3, lambda: export_muscle_capacity(model, names, motion.q, motion.qd))
    t_solve, sol = _best_of(5, lambda: solve_static_optimization(cap, tau,
                                                                 reserve_optimal_force_nm=RESERVE_NM))
    t_solve_np, _ = _best_of(5, lambda: solve_static_optimization(cap, tau, include_passive=False,
                                                                  reserve_optimal_force_nm=RESERVE_NM))
    t_p3, sol3 = _best_of(1, lambda: solve_static_optimization(cap, tau, exponent=3,
                                                               reserve_optimal_force_nm=RESERVE_NM))
    ours = t_export + t_solve
    quality = "all frames optimal" if sol.ok else f"{sol.failed_frames.size} frames not optimal"
    print(f"biomech: inverse dynamics {t_id:.3f} s, export {t_export:.3f} s, solve {t_solve:.3f} s "
          f"({sol.method}, {quality}), "
          f"solve without passive {t_solve_np:.3f} s, "
          f"solve p = 3 {t_p3:.3f} s ({sol3.method})")
    print(f"speed ratio OpenSim / biomech: {ref.total_s / ours:.1f}x (export + solve {ours:.3f} s), "
          f"{ref.total_s / (ours + t_id):.1f}x including inverse dynamics; solve alone "
          f"{ref.run_s / t_solve:.0f}x")

    # agreement, as in the test: OpenSim's kinematic derivatives and capacity convention
    qd, qdd = gcv_derivatives(motion.time_s, motion.q)
    tau_g = inverse_dynamics(model, names, motion.q, qd, qdd, external_loads=loads)
    cap_g = export_muscle_capacity(model, names, motion.q, qd)
    cap_g = dataclasses.replace(cap_g, active_force_n=cap_g.active_force_n
                                / np.cos(cap_g.diagnostics["pennation_rad"]))
    sol_g = solve_static_optimization(cap_g, tau_g, include_passive=False,
                                      reserve_optimal_force_nm=RESERVE_NM)
    failed = np.isin(np.arange(motion.n_frames), np.searchsorted(motion.time_s, ref.failed_times_s - 1e-9))
    clipped = (cap_g.diagnostics["force_velocity_multiplier"] < 0).any(axis=1)
    for label, keep in (("all frames", np.ones(motion.n_frames, dtype=bool)),
                        ("compared frames", ~failed & ~clipped)):
        peak = np.abs(ref.muscle_force_n[keep]).max(axis=0)
        rms = np.sqrt(np.mean((sol_g.muscle_force_n[keep] - ref.muscle_force_n[keep]) ** 2, axis=0))
        print(f"muscle-force RMS difference, % of peak, {label} ({keep.sum()}):")
        for name, pk, share in zip(sol_g.muscle_names, peak, 100 * rms / peak, strict=True):
            print(f"  {name:14s} peak {pk:8.1f} N   {share:6.3f} %")


if __name__ == "__main__":
    main()
