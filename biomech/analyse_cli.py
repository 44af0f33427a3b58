"""``biomech analyse``: the whole pipeline on a measured trial (any OpenSim model with a
muscle-group map, its IK coordinates and GRF files), written as netCDF, CSV and OpenSim tables."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from biomech.errors import BiomechError

_EPILOG = """\
writes OUTPUT/result.nc (every per-frame quantity, units in attrs), result_summary.csv (peaks and
quality), result_*.sto (OpenSim tables: inverse dynamics, static optimization activations and
forces, joint reactions, patellofemoral), trial.txt (how the trial was prepared) and, for every
complete gait cycle of either foot in the record, curves.nc (0-100 % of the cycle), outcomes.csv
(per-stance outcomes, as runs.csv of an experiment), curves.png and joints.png (mean ± SD over
the cycles; joints.png: angle, moment and power of the hip, knee and ankle);
with --planar also planar_model.osim and motion/ (the planar model and motion, for OpenSim's GUI);
prints the peaks per side and the quality (pelvis residuals, largest reserve, failed frames).

examples:
  biomech analyse Rajagopal2016.osim run_ik.mot --grf run_grf.mot --external-loads loads.xml
  biomech analyse model.osim ik.mot --external-loads loads.xml --groups my_groups.yaml --side l
  biomech analyse model.osim ik.mot --external-loads loads.xml --start 1.10 --end 1.78 --mass 66
  biomech analyse model.osim ik.mot --external-loads loads.xml --start-after 1.0 --strides 0
"""


def add_analyse_command(sub) -> None:
    """Add ``analyse`` (alias ``analyze``) to the ``biomech`` sub-commands."""
    from biomech.models.groups import shipped_group_maps

    a = sub.add_parser(
        "analyse", aliases=["analyze"], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="run the analyses (inverse dynamics, static optimization, joint reactions, PF "
             "stress, tendon energy, metabolic rate) on a measured trial's OpenSim files",
        description="Analyse one stride (or a time window) of a measured trial on any OpenSim "
                    "model with a muscle-group map.", epilog=_EPILOG)
    a.add_argument("model", type=Path, help="the .osim model (scaled to the subject)")
    a.add_argument("coordinates", type=Path, help="IK coordinates .mot/.sto")
    a.add_argument("--grf", type=Path, default=None,
                   help="GRF .mot (default: the datafile named in --external-loads)")
    a.add_argument("--external-loads", type=Path, default=None, metavar="XML",
                   help="OpenSim ExternalLoads .xml mapping the GRF columns to bodies")
    a.add_argument("--groups", default=None, metavar="NAME_OR_YAML",
                   help="muscle-group map: a shipped name (the files of models/groups/: "
                        f"{', '.join(shipped_group_maps())}) or a YAML file (default: the shipped map "
                        "matching the model)")
    a.add_argument("--lowpass", type=float, default=10.0, metavar="HZ",
                   help="low-pass cut-off of the coordinates in Hz (default 10; 0 = none)")
    a.add_argument("--side", choices=("r", "l"), default="r",
                   help="the stride is foot strike to foot strike of this side (default r)")
    a.add_argument("--stride-index", type=int, default=0, metavar="N",
                   help="which complete stride of that side (default 0: the first)")
    a.add_argument("--strides", type=int, default=1, metavar="N",
                   help="analyse N consecutive strides from there (default 1; 0 = all complete "
                        "strides): the curves are then mean ± SD over the cycles")
    a.add_argument("--start-after", type=float, default=None, metavar="S",
                   help="count strides from this time on (s), e.g. after a filter's start-up")
    a.add_argument("--start", type=float, default=None, metavar="S",
                   help="analyse the window --start to --end (s) instead of one stride")
    a.add_argument("--end", type=float, default=None, metavar="S")
    a.add_argument("--mass", type=float, default=None, metavar="KG",
                   help="subject mass (default: from the mean vertical GRF over whole strides)")
    a.add_argument("--speed", type=float, default=None, metavar="M_S",
                   help="speed of travel in m/s, e.g. a treadmill's belt speed (default: the "
                        "pelvis's mean speed; none when it hardly moves, as on a treadmill: the "
                        "per-metre outcomes are then left out)")
    a.add_argument("--threshold", type=float, default=20.0, metavar="N",
                   help="vertical GRF threshold of foot strike and toe-off (N, default 20)")
    a.add_argument("--tendon", choices=("rigid", "compliant"), default="rigid",
                   help="static optimization with rigid (default) or compliant tendons")
    a.add_argument("--planar", action="store_true",
                   help="analyse the trial's sagittal kinematics on the default planar model "
                        "instead (biomech.trial.on_planar_model: scaled to the leg length, pelvis on "
                        "the measured mid-hip)")
    a.add_argument("--reverse", action="store_true",
                   help="reverse the motion in time first (a first approximation of the opposite "
                        "direction of travel)")
    a.add_argument("-o", "--output", type=Path, default=None,
                   help="output folder (default: out/<coordinates file stem>)")
    a.set_defaults(func=_cmd_analyse)


def _cmd_analyse(args: argparse.Namespace) -> int:
    from biomech.io.storage import atomic_write_text
    from biomech.pipeline import analyse_motion, save_result, summary_table
    from biomech.trial import read_trial

    for path in (args.model, args.coordinates, args.grf, args.external_loads):
        if path is not None and not Path(path).is_file():
            raise BiomechError(f"{path}: no such file")
    if args.speed is not None and not (math.isfinite(args.speed) and args.speed > 0):
        raise BiomechError(f"--speed: expected a positive speed in m/s, got {args.speed:g}")
    trial = read_trial(args.model, args.coordinates, grf=args.grf, external_loads=args.external_loads,
                       groups=args.groups, lowpass_hz=args.lowpass, side=args.side,
                       stride_index=args.stride_index, n_strides=args.strides,
                       start_after_s=args.start_after,
                       start_s=args.start, end_s=args.end, mass_kg=args.mass,
                       threshold_n=args.threshold, time_reversed=args.reverse)
    notes, model, motion = trial.notes, trial.model, trial.motion
    options: dict = {"groups": trial.groups}
    if args.planar:
        from biomech.trial import on_planar_model

        planar = on_planar_model(trial)
        notes, model, motion = planar.notes, planar.model, planar.motion
        options = {"spec": planar.spec, "skeleton": planar.skeleton, "kinematics": planar.kinematics}
    for note in notes:
        print(f"  {note}")
    try:
        ds = analyse_motion(model, motion, tendon=args.tendon, **options)
    except ValueError as exc:   # coordinates of the motion and the model do not match, NaNs, ...
        raise BiomechError(f"{args.coordinates}: {exc}") from None
    out = Path(args.output or Path("out") / Path(args.coordinates).stem)
    files = save_result(ds, out)
    atomic_write_text(out / "trial.txt", "".join(f"{n}\n" for n in notes))
    print(format_report(summary_table(ds), ds.attrs))
    written = [files["netcdf"].name, files["summary"].name,
               f"{sum(k.startswith('sto_') for k in files)} .sto tables"]
    speed = args.speed
    if speed is None:
        from biomech.experiments.outcomes import travel_speed_m_s

        moved = travel_speed_m_s(ds)
        speed = moved if moved >= MIN_OVERGROUND_SPEED_M_S else math.nan
        if not math.isfinite(speed):
            print(f"  the pelvis travels {moved:.2f} m/s (a treadmill?): give --speed for the "
                  "per-metre outcomes and the metabolic cost per metre")
    written += _cycle_files(ds, model, motion, out, title=Path(args.coordinates).stem, speed_m_s=speed)
    if args.planar:   # the planar model and its motion, to open in OpenSim's GUI
        from biomech.osim.build import write_model

        write_model(model, out / "planar_model.osim")
        motion.to_files(out / "motion", "motion")
        written += ["planar_model.osim", "motion/"]
    print(f"wrote {', '.join(written)} in {out}")
    return 0


#: Below this mean pelvis speed (m/s) a record is taken as treadmill or standing: no speed of travel.
MIN_OVERGROUND_SPEED_M_S = 0.2


def _cycle_files(ds, model, motion, out: Path, *, title: str, speed_m_s: float) -> list[str]:
    """Per-cycle results of the analysed record: ``curves.nc`` (0-100 % of each cycle, both
    feet), ``outcomes.csv`` (per-stance outcomes averaged over the cycles and sides, as
    ``runs.csv``, with the muscle-tendon and tendon powers of ``model`` for the tendon share of
    positive work), ``curves.png`` and ``joints.png`` (mean ± SD over the cycles); nothing without
    a complete cycle. Returns the names written."""
    from biomech.experiments.curves import cycle_curves, write_curves
    from biomech.experiments.outcomes import compute_outcomes
    from biomech.experiments.runner import muscle_powers
    from biomech.io.storage import atomic_write_text
    from biomech.plots.experiment import CURVE_PANELS, JOINT_PANELS, plot_cycle_curves, save_figure

    curves = cycle_curves(ds, motion)
    if curves.sizes["cycle"] == 0:
        return []
    write_curves(curves, out / "curves.nc")
    outcomes = compute_outcomes(muscle_powers(ds, model, motion), motion, speed_m_s=speed_m_s)
    atomic_write_text(out / "outcomes.csv", "quantity,value\n" + "".join(
        f"{k},{v}\n" if isinstance(v, str) else f"{k},{float(v):.10g}\n" for k, v in outcomes.items()))
    names = ["curves.nc", "outcomes.csv"]
    for figure, panels, heading in (("curves.png", CURVE_PANELS, ""),
                                    ("joints.png", JOINT_PANELS, ", joint mechanics")):
        fig = plot_cycle_curves({str(motion.direction): [curves]}, panels=panels,
                                title=f"{title}: {curves.sizes['cycle']} cycles (both feet){heading}")
        if fig is not None:
            save_figure(fig, out / figure)
            names.append(figure)
    return names


def format_report(table: dict[str, float], attrs: dict) -> str:
    """Peaks per side and the quality of the solution, as printed by ``biomech analyse``."""
    rows = [("knee extension moment (N m/kg)", "peak_knee_extension_moment_nm_per_kg_{}"),
            ("PF force, lever-arm method (BW)", "peak_pf_force_lever_bw_{}"),
            ("PF force, muscle method (BW)", "peak_pf_force_muscle_bw_{}"),
            ("PF stress, lever-arm method (MPa)", "peak_pf_stress_lever_mpa_{}"),
            ("PF stress, muscle method (MPa)", "peak_pf_stress_muscle_mpa_{}"),
            ("knee contact force (BW)", "peak_knee_compressive_force_bw_{}")]
    lines = [f"{'peak':36s} {'right':>8s} {'left':>8s}"]
    for label, key in rows:
        values = [table.get(key.format(s), math.nan) for s in ("r", "l")]
        lines.append(f"{label:36s} " + " ".join(f"{v:8.2f}" for v in values))
    worst = attrs.get("max_reserve_fraction_coordinate", "")
    lines += [
        f"tendon energy returned over the record: {table['tendon_energy_returned_j']:.1f} J",
        f"pelvis residuals: force up to {float(attrs['max_pelvis_residual_force_bw']):.3f} BW, "
        f"moment up to {float(attrs['max_pelvis_residual_moment_nm']):.1f} N m",
        f"largest reserve: {100 * table['max_reserve_fraction_of_peak_moment']:.1f} % of the peak "
        f"joint moment ({worst}; frames with a reserve above "
        f"{100 * float(attrs['reserve_limit_fraction_of_peak_moment']):g} %: "
        f"{100 * table['reserve_above_limit_fraction_of_time']:.0f} %)",
        f"static optimization: {int(attrs['so_failed_frames'])} failed frames; tendons "
        f"{attrs['tendon_model']}",
    ]
    return "\n".join(lines)
