"""``biomech figures RESULTS_DIR``: the figures and summary table of an experiment's results.

Wired into :mod:`biomech.cli` with :func:`add_figures_command`. Plotting reads saved results and
never simulates.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_figures_command"]


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
    return p
