"""``biomech figures RESULTS_DIR``: the figures and summary table of an experiment's results;
``biomech compare LABEL=CURVES.nc ...``: gait-cycle curves of several runs or trials in one figure.

Wired into :mod:`biomech.cli` with :func:`add_figures_command`. Plotting reads saved results and
never simulates.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_figures_command"]

_COMPARE_EPILOG = """\
each SET is LABEL=PATH: PATH a curves.nc (an experiment run's runs/<run_id>/curves.nc, or the
curves.nc of `biomech analyse` on a measured trial); LABEL names it in the legend.

example (the synthesised FR stride against the measured Hamner 2010 trial):
  biomech compare "synthesised FR 3.5 m/s=results/retro_vs_forward/runs/56c488bddbba/curves.nc" \\
      "Hamner 2010 subject02=out/subject02_running_ik/curves.nc" -o fr_vs_measured.png
"""


def _cmd_compare(args: argparse.Namespace) -> int:
    import xarray as xr

    from biomech.errors import BiomechError
    from biomech.plots.experiment import PANEL_SETS, plot_cycle_curves, save_figure

    sets: dict[str, list] = {}
    for item in args.sets:
        label, sep, path = item.rpartition("=")
        if not sep or not label or not path:
            raise BiomechError(f"{item!r}: expected LABEL=PATH to a curves.nc")
        if not Path(path).is_file():
            raise BiomechError(f"{path}: no such file")
        try:
            with xr.open_dataset(path) as ds:
                curves = ds.load()
        except (OSError, ValueError) as exc:
            raise BiomechError(f"{path}: not a curves.nc ({exc})") from None
        if "cycle_pct" not in curves.dims:
            raise BiomechError(f"{path}: not a curves.nc (no cycle_pct dimension)")
        sets.setdefault(label, []).append(curves)
    fig = plot_cycle_curves(sets, title=args.title, panels=PANEL_SETS[args.panels])
    if fig is None:
        raise BiomechError("no curve in common to draw")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, out, out.suffix.lstrip(".") or "png")
    print(f"wrote {out}")
    return 0


def _cmd_figures(args: argparse.Namespace) -> int:
    from biomech.plots.experiment import make_figures

    paths = make_figures(args.results_dir, args.output, fmt=args.format)
    for path in paths:
        print(f"wrote {path}")
    return 0


def add_figures_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``biomech figures RESULTS_DIR [-o OUT] [--format png|pdf]`` on ``subparsers``.

    The handler is stored as ``func`` (the convention of :func:`biomech.cli.main`): it writes the
    figures, prints one ``wrote <path>`` line per file and returns 0; a folder without ``runs.csv``
    raises :class:`~biomech.errors.BiomechError` (one line, exit status 2 in ``main``).
    """
    p = subparsers.add_parser(
        "figures",
        help="draw the figures of an experiment's results (FR vs BR gait-cycle curves, peak bars, "
             "sweep lines, residual/reserve quality) and a summary.md table",
        description="Read results/<experiment> (runs.csv and runs/<run_id>/curves.nc) and write "
                    "curves_<condition>, peaks, sweep_<parameter> and quality figures plus "
                    "summary.md. Failed runs are skipped with a warning. Never simulates.")
    p.add_argument("results_dir", type=Path, metavar="RESULTS_DIR",
                   help="results folder of one experiment, e.g. results/retro_vs_forward")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="OUT",
                   help="output folder (default: RESULTS_DIR/figures)")
    p.add_argument("--format", choices=("png", "pdf"), default="png",
                   help="figure file format (default: png, 180 dpi)")
    p.set_defaults(func=_cmd_figures)
    c = subparsers.add_parser(
        "compare", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="draw the gait-cycle curves (mean ± SD over the cycles) of several runs or measured "
             "trials in one figure", epilog=_COMPARE_EPILOG,
        description="Overlay curves.nc files: joint angles, GRF, knee moment, PF force and stress, "
                    "tendon energy and reserves over 0-100 % of the gait cycle, one colour per set.")
    c.add_argument("sets", nargs="+", metavar="SET", help="LABEL=PATH to a curves.nc")
    c.add_argument("-o", "--output", type=Path, default=Path("compare.png"),
                   help="figure file (default: compare.png)")
    c.add_argument("--title", default="gait-cycle curves", help="figure title")
    c.add_argument("--panels", choices=("curves", "joints"), default="curves",
                   help="curves: angles, GRF, knee moment, PF force and stress, tendon energy, "
                        "reserves (default); joints: angle, moment and power of the hip, knee and "
                        "ankle, the fore-aft GRF and the hip and ankle contact forces")
    c.set_defaults(func=_cmd_compare)
    return p
