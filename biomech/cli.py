"""Command-line interface: ``biomech model build|summary``, ``biomech gait``, ``biomech run``
(alias ``sweep``), ``biomech validate``, ``biomech analyse`` (:mod:`biomech.analyse_cli`),
``biomech figures``.

User errors (bad spec, bad parameter, missing file) print one line to stderr and exit with
status 2; no traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

from biomech.errors import BiomechError

log = logging.getLogger("biomech")


def _add_subject_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", nargs="?", default=None,
                   help="model spec YAML (default: models/running2d.yaml) or a name in models/")
    p.add_argument("--mass", type=float, default=None, metavar="KG",
                   help="body mass in kg (default: from the spec, 75 kg)")
    p.add_argument("--height", type=float, default=None, metavar="M",
                   help="stature in m (default: from the spec, 1.78 m)")
    p.add_argument("--no-contact", action="store_true",
                   help="switch the foot-ground contact forces off (inverse analyses)")


def _cmd_model_build(args: argparse.Namespace) -> int:
    from biomech.models import build, resolve_spec
    from biomech.models.summary import format_summary, summarise

    spec = resolve_spec(args.spec)
    out = args.output
    if out is None:
        src = Path(args.spec) if args.spec and Path(args.spec).suffix else None
        folder = src.parent if src else Path(__file__).resolve().parents[1] / "models"
        out = folder / f"{spec.name}.osim"
    model = build(spec, mass_kg=args.mass, height_m=args.height,
                  contact=False if args.no_contact else None, output=out)
    print(format_summary(summarise(model)))
    print(f"wrote {out}")
    return 0


def _cmd_model_summary(args: argparse.Namespace) -> int:
    from biomech.models import build
    from biomech.models.summary import format_summary, summarise

    if args.spec and str(args.spec).endswith(".osim"):
        from biomech.models.load import load

        loaded = load(args.spec)
        model, g = loaded.model, loaded.groups
        if g is not None:
            print(format_summary(summarise(
                model, knee=g.coordinate("knee_flexion", "r"), extensors=g.muscles("quadriceps", "r"),
                knee_flexion_sign=g.knee_flexion_sign)))
            return 0
    else:
        model = build(args.spec, mass_kg=args.mass, height_m=args.height,
                      contact=False if args.no_contact else None)
    print(format_summary(summarise(model)))
    return 0


def _parse_settings(items: list[str] | None) -> dict[str, float | str]:
    """``NAME=VALUE`` pairs of ``--set`` as gait overrides (numbers, or a word for
    ``foot_strike``); a malformed pair is a one-line error naming it."""
    out: dict[str, float | str] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise BiomechError(f"--set {item!r}: expected NAME=VALUE, e.g. peak_swing_hip_flexion_deg=40")
        if name == "foot_strike":
            out[name] = text
            continue
        try:
            out[name] = float(text)
        except ValueError:
            raise BiomechError(f"--set {name}: {text!r} is not a number") from None
    return out


def _cmd_gait(args: argparse.Namespace) -> int:
    from biomech.gait.params import gait_inputs
    from biomech.gait.synthesis import synthesise_running
    from biomech.models import skeleton
    from biomech.models.kinematics import PlanarKinematics
    from biomech.plots.filmstrip import filmstrip

    overrides = {k: v for k, v in (("speed_m_s", args.speed), ("step_rate_hz", args.step_rate),
                                   ("stride_length_m", args.stride_length),
                                   ("duty_factor", args.duty_factor),
                                   ("contact_time_s", args.contact_time),
                                   ("foot_strike", args.foot_strike),
                                   ("knee_flexion_at_contact_deg", args.knee_at_contact),
                                   ("trunk_lean_deg", args.trunk_lean),
                                   ("n_strides", args.strides)) if v is not None}
    overrides.update(_parse_settings(args.set))
    inputs = gait_inputs(args.mode, args.direction, **overrides)
    sk = skeleton(args.spec, mass_kg=args.mass, height_m=args.height)
    kin = PlanarKinematics.from_skeleton(sk)
    motion, report = synthesise_running(sk, inputs, kinematics=kin)
    stem = f"{args.mode}_{args.direction}_{inputs.speed_m_s:g}ms"
    paths = motion.to_files(args.output, stem)
    png = filmstrip(motion, sk, Path(args.output) / f"{stem}_filmstrip.png", kinematics=kin)
    print(f"{motion.name}: {motion.n_frames} frames, {inputs.step_rate_hz:g} Hz, duty factor "
          f"{inputs.duty_factor:g}")
    print(f"  pelvis residual moment: max {report.max_residual_moment_nm:.1f} N m, RMS "
          f"{report.rms_residual_moment_nm:.1f} N m; CoP clamped on "
          f"{100 * report.cop_clamped_fraction:.0f}% of stance; foot slip "
          f"{1000 * report.max_foot_slip_m:.3f} mm; swing clearance "
          f"{1000 * report.min_swing_clearance_m:.0f} mm")
    for note in report.notes:
        print(f"  note: {note}")
    for kind, path in {**paths, "filmstrip": png}.items():
        print(f"  wrote {kind}: {path}")
    return 0


# ------------------------------------------------------------------------- experiments ----
def _executor_settings(args: argparse.Namespace, exp):
    """The experiment's executor with the command-line flags applied."""
    settings = exp.executor
    update: dict = {}
    if args.executor == "local":
        update.update(kind="local", scheduler=None, jobqueue=None)
    elif args.executor == "dask":
        update["kind"] = "dask"
    if args.scheduler:
        update.update(kind="dask", scheduler=args.scheduler, jobqueue=None)
    if args.jobs is not None:
        if args.jobs < 1:
            raise BiomechError(f"--jobs: {args.jobs} is below 1")
        update["jobs"] = args.jobs
    return settings.model_copy(update=update)


def _quiet_console(verbose: bool) -> None:
    """Keep the terminal at WARNING (INFO with -v) while the experiment log takes INFO."""
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.INFO if verbose else logging.WARNING)


def _cmd_run(args: argparse.Namespace) -> int:
    import signal

    from biomech.experiments import load_experiment
    from biomech.experiments.engine import ExperimentInterrupted, run_experiment
    from biomech.experiments.table import format_summary

    exp = load_experiment(args.experiment)
    if args.dry_run:
        return _dry_run(exp, args.output)
    settings = _executor_settings(args, exp)
    _quiet_console(args.verbose)

    def _terminate(signum, frame):  # a batch system's SIGTERM stops like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    varied = [k for k in exp.key_order("conditions") + exp.key_order("sweep")
              if k not in ("direction", "speed_m_s", "step_rate_hz")]
    try:
        report = run_experiment(exp, output=args.output, executor=settings,
                                progress=not args.no_progress)
    except ExperimentInterrupted as exc:
        print(format_summary(exc.report.rows, varied))
        print(f"biomech: interrupted: {exc.report.count('done')} of {len(exc.report.runs)} runs done "
              f"in {exc.report.path}; run the same command again to resume", file=sys.stderr)
        return 130
    print(format_summary(report.rows, varied))
    failed = report.count("failed")
    print(f"{exp.name}: {report.count('done')} of {len(report.runs)} runs done ({report.skipped} from "
          f"earlier sessions), {failed} failed; results in {report.path}")
    return 1 if failed else 0


def _dry_run(exp, output: Path) -> int:
    from biomech.experiments import expand
    from biomech.experiments.engine import table_rows
    from biomech.experiments.store import ExperimentStore
    from biomech.experiments.table import format_summary

    runs = expand(exp)
    store = ExperimentStore(output, exp.name)
    records = {r.run_id: s for r in runs if (s := store.status(r.run_id)) is not None}
    varied = [k for k in exp.key_order("conditions") + exp.key_order("sweep")
              if k not in ("direction", "speed_m_s", "step_rate_hz")]
    print(format_summary(table_rows(runs, records), varied))
    done = sum(1 for s in records.values() if s.get("status") == "done")
    print(f"{exp.name}: {len(runs)} runs, {done} already done in {store.path} (dry run: nothing executed)")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from biomech.experiments import expand, load_experiment

    exp = load_experiment(args.experiment)
    runs = expand(exp)
    notes = sorted({note for run in runs for note in run.notes})
    print(f"{args.experiment}: ok, experiment {exp.name!r}: {len(runs)} runs")
    for note in notes:
        print(f"  note: {note}")
    return 0


_RUN_EPILOG = """\
results go to OUTPUT/<experiment name>/: runs.csv (one row per run), experiment.log and
runs/<run id>/ (config.json, status.json, result.nc, curves.nc, motion/). A run id is the hash of
the run's resolved config: finished runs are skipped, failed runs retried, and an interrupted
session resumes when the same command is run again.

exit status: 0 all runs done, 1 some run failed, 2 bad experiment file or option, 130 interrupted.

examples:
  biomech run experiments/retro_vs_forward.yaml
  biomech run experiments/speed_sweep.yaml --jobs 2
  biomech run experiments/step_rate_sweep.yaml --scheduler tcp://10.0.0.5:8786
  biomech validate experiments/speed_sweep.yaml
"""


def _add_experiment_parsers(sub) -> None:
    r = sub.add_parser(
        "run", aliases=["sweep"], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="run an experiment file (conditions x sweep) and print a summary table",
        description="Run every run of an experiment that has not finished yet, locally or on Dask, "
                    "and print a table of the main outcomes.", epilog=_RUN_EPILOG)
    r.add_argument("experiment", type=Path, help="experiment YAML file (see experiments/)")
    r.add_argument("-o", "--output", type=Path, default=Path("results"),
                   help="results root (default: results/)")
    r.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="parallel runs: local processes (1 = in this process), local Dask workers, or "
                        "jobqueue batch jobs (default: executor.jobs of the file, else 1)")
    r.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="run on the Dask scheduler at ADDR (e.g. tcp://127.0.0.1:8786); workers must "
                        "see the results folder at the same path")
    r.add_argument("--executor", choices=("local", "dask"), default=None,
                   help="override executor.kind of the file (dask without --scheduler starts a "
                        "local Dask cluster)")
    r.add_argument("--dry-run", action="store_true",
                   help="list the runs and which are already done; execute nothing")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.set_defaults(func=_cmd_run)

    v = sub.add_parser("validate", help="check an experiment file without running it",
                       description="Validate an experiment file and expand its runs; print the "
                                   "number of runs, or one line naming the bad field (exit 2).")
    v.add_argument("experiment", type=Path, help="experiment YAML file")
    v.set_defaults(func=_cmd_validate)


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="biomech",
        description="Musculoskeletal simulation of forward and backward running and walking "
                    "(OpenSim 4.6).")
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = p.add_subparsers(dest="command", required=True)

    model = sub.add_parser("model", help="build, inspect and write musculoskeletal models")
    msub = model.add_subparsers(dest="model_command", required=True)
    b = msub.add_parser("build", help="build a model from a spec, write its .osim and print "
                                      "a summary (bodies, mass, dofs, muscles, moment arms)")
    _add_subject_args(b)
    b.add_argument("-o", "--output", type=Path, default=None,
                   help="where to write the .osim (default: next to the spec)")
    b.set_defaults(func=_cmd_model_build)
    s = msub.add_parser("summary", help="print the summary of a spec or an .osim file")
    _add_subject_args(s)
    s.set_defaults(func=_cmd_model_summary)

    g = sub.add_parser("gait", help="synthesise running or walking from mechanics and write "
                                    "OpenSim motion files plus a stick-figure filmstrip PNG")
    g.add_argument("--mode", choices=("running", "walking"), default="running",
                   help="running (flight phases) or walking (double support); default running")
    g.add_argument("--direction", choices=("forward", "backward"), default="forward")
    g.add_argument("--speed", type=float, default=None, metavar="M_S", help="speed in m/s")
    g.add_argument("--step-rate", type=float, default=None, metavar="HZ",
                   help="steps per second (both feet)")
    g.add_argument("--stride-length", type=float, default=None, metavar="M",
                   help="stride length in m (two steps), instead of --step-rate")
    g.add_argument("--duty-factor", type=float, default=None, help="contact time / stride time")
    g.add_argument("--contact-time", type=float, default=None, metavar="S",
                   help="contact time of one foot in s, instead of --duty-factor")
    g.add_argument("--foot-strike", choices=("rearfoot", "midfoot", "forefoot"), default=None,
                   help="foot-strike pattern (sets the sole angle at contact)")
    g.add_argument("--knee-at-contact", type=float, default=None, metavar="DEG",
                   help="knee flexion at foot strike (deg); sets the COM height")
    g.add_argument("--trunk-lean", type=float, default=None, metavar="DEG")
    g.add_argument("--strides", type=int, default=None, help="number of strides (default 1)")
    g.add_argument("--set", action="append", default=None, metavar="NAME=VALUE",
                   help="any other gait parameter (repeatable), e.g. --set peak_swing_hip_flexion_deg=40 "
                        "--set peak_knee_swing_fraction=0.5 (names and sources: biomech/gait/defaults.yaml)")
    g.add_argument("--mass", type=float, default=None, metavar="KG")
    g.add_argument("--height", type=float, default=None, metavar="M")
    g.add_argument("--spec", default=None, help="model spec (default running2d)")
    g.add_argument("-o", "--output", type=Path, default=Path("out"), help="output folder")
    g.set_defaults(func=_cmd_gait)

    _add_experiment_parsers(sub)
    from biomech.analyse_cli import add_analyse_command
    from biomech.plots.cli import add_figures_command

    add_analyse_command(sub)

    add_figures_command(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``biomech`` console script."""
    args = make_parser().parse_args(argv)
    # file warnings (a header quirk the reader handled, ...) as one line each, without source lines
    warnings.formatwarning = lambda message, category, *_, **__: (
        f"biomech: warning: {message}\n")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except BiomechError as exc:
        print(f"biomech: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("biomech: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
