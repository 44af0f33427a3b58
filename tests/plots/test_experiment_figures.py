"""Figures of an experiment's results folder, on synthetic results written in the engine's layout."""

from __future__ import annotations

import argparse
import logging

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from synthetic_results import PCT, curves_dataset, matched_runs, write_results

from biomech.errors import BiomechError
from biomech.plots.cli import add_figures_command
from biomech.plots.experiment import make_figures, plot_cycle_curves, plot_sweep
from biomech.plots.results import (
    cycle_mean_sd,
    design,
    detect_sweep_axis,
    load_curves,
    load_runs,
    sweep_keys,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """make_figures on FR/BR x 2.5/3.5 m/s with one failed BR run at 3.0 m/s (drawn once)."""
    folder = write_results(tmp_path_factory.mktemp("exp") / "retro_vs_forward", matched_runs(),
                           name="retro_vs_forward")
    return folder, make_figures(folder)


def test_make_figures_writes_valid_pngs_and_summary(figures):
    folder, paths = figures
    assert all(p.parent == folder / "figures" for p in paths)
    assert [p.name for p in paths] == ["curves_2.5ms.png", "joints_2.5ms.png", "curves_3.5ms.png",
                                       "joints_3.5ms.png", "peaks.png", "sweep_speed_m_s.png",
                                       "quality.png", "summary.md"]
    for path in paths[:-1]:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        image = mpimg.imread(path)
        # 180 dpi from biomech.mplstyle: every figure is wider than 1000 px and not blank
        assert image.shape[1] > 1000 and image.shape[2] in (3, 4)
        assert float(image[..., :3].std()) > 0.05
    summary = paths[-1].read_text()
    assert "| forward | 2.5 | 1/1 |" in summary and "| backward | 3.5 | 1/1 |" in summary
    assert "curves_2.5ms.png" in summary
    # the quality table has the synthesis checks: swing foot below the ground (synthetic BR:
    # 4 mm per m/s), the swing's clearance correction (BR: 3 deg per m/s) and planted-foot slip
    assert "Swing foot below ground (mm) | Swing clearance correction (deg) | Foot slip (mm) |" in summary
    assert "| backward | 3.5 | done |" in summary
    row = next(line for line in summary.splitlines() if "| backward | 3.5 | done |" in line)
    assert row.rstrip().endswith("| 14.0 | 10.5 | 1.20 |")
    # a quality column that is NaN in every run (here the compliant-tendon equilibrium: rigid
    # tendons) does not apply and is left out
    assert "Tendon equilibrium" not in summary


def test_summary_compares_br_with_fr_in_each_condition(figures):
    # synthetic BR loads are 0.7 x FR's at both speeds (gain), the GRF is the same, BR has no
    # metabolic cost; the 3 m/s condition has no finished FR run, so no row
    folder, _ = figures
    summary = (folder / "figures" / "summary.md").read_text()
    table = summary.split("## BR relative to FR (%)")[1].split("## ")[0]
    header = next(line for line in table.splitlines() if line.startswith("| Speed"))
    cols = [c.strip() for c in header.strip("|").split("|")]
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip().strip("|").split("|")]
            for line in table.splitlines() if line.startswith("| 2.5") or line.startswith("| 3")}
    assert set(rows) == {"2.5", "3.5"}
    for row in rows.values():
        cell = dict(zip(cols, row, strict=True))
        assert cell["vGRF"] == "+0.0" and cell["Metabolic"] == "–"
        for name in ("Knee ext. moment", "PF force lever", "PF stress muscle", "Knee contact",
                     "Tendon return"):
            assert cell[name] == "-30.0", name


def test_relative_table_flags_comparisons_that_rest_on_reserves():
    from biomech.plots.results import _relative_table

    runs = pd.DataFrame({"run_id": ["f", "b"], "status": ["done", "done"],
                         "direction": ["forward", "backward"], "speed_m_s": [3.0, 3.0],
                         "peak_pf_force_lever_bw": [8.0, 6.0], "peak_pf_force_muscle_bw": [10.0, 11.0],
                         "peak_knee_contact_force_bw": [18.0, 18.0],
                         "reserve_at_peak_pf_muscle_share": [0.001, 0.18],
                         "reserve_at_peak_knee_contact_share": [0.001, 0.04]})
    lines = _relative_table(runs, ["speed_m_s"])
    row = next(line for line in lines if line.startswith("| 3 |"))
    assert row == "| 3 | -25.0 | +10.0 † | +0.0 |"   # lever: no muscles, no flag; contact: 4 %
    assert _relative_table(runs[runs["direction"] == "forward"], ["speed_m_s"]) == []
    assert not any("Not a matched" in line for line in lines)
    # each direction at its own speed, compared per step rate: the note says so
    own = runs.assign(speed_m_s=[3.5, 3.0], step_rate_rel=[1.0, 1.0])
    lines = _relative_table(own, ["step_rate_rel"], ["speed_m_s"])
    assert any("each direction ran at its own speed (FR 3.5 m/s, BR 3 m/s)" in line for line in lines)


def test_a_quality_column_with_a_number_in_some_run_is_shown():
    import pandas as pd

    from biomech.plots.results import quality_columns

    nan = float("nan")
    runs = pd.DataFrame({"status": ["done", "done", "failed"], "so_failed_frames": [0, 0, nan],
                         "tendon_equilibrium_change_n": [nan, 0.9, nan],
                         "swing_foot_below_ground_mm": [nan, nan, nan]})
    assert quality_columns(runs) == ["so_failed_frames", "tendon_equilibrium_change_n"]
    # no finished run: every column stays (the figure shows each run's status)
    failed = runs.assign(status="failed")
    assert quality_columns(failed) == ["so_failed_frames", "tendon_equilibrium_change_n",
                                       "swing_foot_below_ground_mm"]


def test_quality_figure_names_a_shared_guide_once():
    # the two reserve-at-peak panels share the 5 % guide: drawn on both, listed once in the legend
    from biomech.plots.experiment import plot_quality

    runs = pd.DataFrame({"run_id": ["a1", "b2"], "status": ["done", "done"],
                         "direction": ["forward", "backward"], "speed_m_s": [3.0, 3.0],
                         "max_reserve_share": [0.3, 0.7],
                         "reserve_at_peak_knee_contact_share": [0.0001, 0.18],
                         "reserve_at_peak_pf_muscle_share": [0.0002, 0.18]})
    fig = plot_quality(runs, title="t")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(labels) == len(set(labels)) == 2
    assert [ax.get_title() for ax in fig.axes[:3]] == [
        "Max reserve, share of peak joint moment", "Reserve at peak knee contact force",
        "Reserve at peak PF force (muscle)"]
    dashed = [ax for ax in fig.axes[:3] if any(line.get_linestyle() == "--" and line.get_xdata()[0] == 5.0
                                               for line in ax.get_lines())]
    assert len(dashed) == 3


def test_peak_bars_mark_peaks_that_need_reserves():
    # a muscle-dependent peak whose frame needs a reserve above the guide gets a mark on its bar
    from biomech.pipeline import RESERVE_LIMIT
    from biomech.plots.experiment import plot_peak_bars
    from biomech.plots.results import RESERVE_GUIDE_PCT

    assert RESERVE_GUIDE_PCT == pytest.approx(100 * RESERVE_LIMIT)
    runs = pd.DataFrame({"run_id": ["a", "b"], "status": ["done", "done"],
                         "direction": ["forward", "backward"], "speed_m_s": [3.0, 3.0],
                         "peak_knee_contact_force_bw": [18.7, 18.3], "peak_pf_force_muscle_bw": [11.4, 11.5],
                         "reserve_at_peak_knee_contact_share": [0.0001, 0.177],
                         "reserve_at_peak_pf_muscle_share": [0.0001, 0.04]})
    fig = plot_peak_bars(runs, ["speed_m_s"], title="t")
    marks = {ax.get_title(): [t for t in ax.texts if t.get_text() == "▼"] for ax in fig.axes}
    assert len(marks["Peak knee contact force"]) == 1       # BR: 17.7 % at its peak
    assert marks["Peak patellofemoral force"] == []         # 4 %: below the guide
    assert any("reserve above 5 %" in t.get_text() for t in fig.legends[0].get_texts())
    # no mark anywhere: no legend entry
    fig = plot_peak_bars(runs.assign(reserve_at_peak_knee_contact_share=0.01), ["speed_m_s"], title="t")
    assert not any("reserve above" in t.get_text() for t in fig.legends[0].get_texts())


def test_failed_runs_are_skipped_with_a_warning(figures, caplog):
    folder, paths = figures
    runs = load_runs(folder)
    assert runs.loc[runs["status"] == "failed", "run_id"].tolist() == ["12345678"]  # a hash stays text
    with caplog.at_level(logging.WARNING, logger="biomech.plots"):
        curves = load_curves(folder, runs)
    assert "12345678" not in curves and len(curves) == 4
    assert any("12345678" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)
    # no curve figure for 3 m/s (only the failed BR run), but the summary lists the failure
    assert not any(p.name.startswith("curves_3ms") for p in paths)
    assert "`12345678` (backward, 3 m/s) failed" in (folder / "figures" / "summary.md").read_text()


def test_band_is_numpy_mean_and_sample_sd_over_pooled_cycles():
    a = curves_dataset("a", "forward", 3.0, 2.9, 38.0, n_cycles=2)
    b = curves_dataset("b", "forward", 3.0, 2.9, 38.0, n_cycles=3, gain=1.3)
    stack = np.concatenate([a["pf_stress_lever_mpa"].values, b["pf_stress_lever_mpa"].values])
    pct, mean, sd, n = cycle_mean_sd([a, b], "pf_stress_lever_mpa")
    assert n == 5
    np.testing.assert_array_equal(pct, PCT)
    np.testing.assert_allclose(mean, np.mean(stack, axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(sd, np.std(stack, axis=0, ddof=1), rtol=0, atol=1e-12)

    # ... and that is what the figure draws: the mean line and the edges of the shaded band
    fig = plot_cycle_curves({"forward": [a, b]}, title="t")
    ax = next(ax for ax in fig.axes if ax.get_title() == "Patellofemoral stress")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), mean, atol=1e-12)
    vertices = ax.collections[0].get_paths()[0].vertices
    for edge in (mean + sd, mean - sd):
        dist = np.min(np.hypot(vertices[:, None, 0] - pct[None], vertices[:, None, 1] - edge[None]), axis=0)
        assert dist.max() < 1e-9
    # toe-off line at the mean stance_pct
    assert any(np.allclose(line.get_xdata(), 38.0) for line in ax.lines[1:])


def test_missing_variable_skips_its_panel_with_a_warning(caplog):
    ds = curves_dataset("a", "forward", 3.0, 2.9, 38.0).drop_vars("tendon_energy_j")
    br = curves_dataset("b", "backward", 3.0, 3.3, 44.0).drop_vars("tendon_energy_j")
    with caplog.at_level(logging.WARNING, logger="biomech.plots"):
        fig = plot_cycle_curves({"forward": [ds], "backward": [br]}, title="t")
    # 9 panels: no tendon energy (warned), no reserve curve (optional: older results lack it)
    assert len(fig.axes) == 7
    titles = [ax.get_title() for ax in fig.axes]
    assert "Tendon elastic energy" not in titles and "Largest reserve of the leg" not in titles
    assert any("tendon_energy_j" in r.getMessage() for r in caplog.records)
    assert not any("reserve_max_pct" in r.getMessage() for r in caplog.records)


def test_reserve_curve_panel_has_its_guide():
    pct = np.arange(101.0)
    curves = {}
    for d, rate in (("forward", 2.9), ("backward", 3.3)):
        ds = curves_dataset(d[:2], d, 3.0, rate, 40.0)
        ds["reserve_max_pct"] = (("cycle", "cycle_pct"), np.tile(np.where(pct < 10, 30.0, 1.0), (2, 1)))
        curves[d] = [ds]
    fig = plot_cycle_curves(curves, title="t")
    ax = next(a for a in fig.axes if a.get_title() == "Largest reserve of the leg")
    assert any(line.get_linestyle() == "--" and line.get_ydata()[0] == 5.0 for line in ax.get_lines())
    assert "reserve guide: 5 % of the peak joint moment (issue 4)" in [
        t.get_text() for t in fig.legends[0].get_texts()]


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"run_id": str(i), "status": "done", **r} for i, r in enumerate(rows)])


def test_sweep_axis_detection():
    # step-rate sweep at one speed: step_rate_hz follows from step_rate_rel and is not a second axis
    rel = _frame([{"direction": d, "speed_m_s": 3.0, "step_rate_hz": f * r, "step_rate_rel": r,
                   "contact_time_s": 0.25} for d, f in (("forward", 2.9), ("backward", 3.3))
                  for r in (0.9, 1.0, 1.1)])
    assert detect_sweep_axis(rel) == "step_rate_rel"
    assert design(rel).series == () and design(rel).condition == ("speed_m_s", "step_rate_rel")
    # speed sweep, preferred step rate per speed: the speed is the axis
    speed = _frame([{"direction": d, "speed_m_s": v, "step_rate_hz": 2.6 + 0.1 * v, "contact_time_s": 0.2}
                    for d in ("forward", "backward") for v in (2.0, 3.0, 4.0)])
    assert detect_sweep_axis(speed) == "speed_m_s"
    # FR vs BR at one speed, a different step rate per direction: no sweep
    one = _frame([{"direction": "forward", "speed_m_s": 3.0, "step_rate_hz": 2.9},
                  {"direction": "backward", "speed_m_s": 3.0, "step_rate_hz": 3.3}])
    assert detect_sweep_axis(one) is None
    # two swept parameters: the experiment file's order decides, the other one splits the lines
    two = _frame([{"direction": d, "speed_m_s": v, "step_rate_hz": 3.0, "trunk_lean_deg": t}
                  for d in ("forward", "backward") for v in (2.5, 3.5) for t in (0.0, 10.0)])
    keys = sweep_keys({"sweep": {"zip": {"gait.speed_m_s": [2.5, 3.5]}, "trunk_lean_deg": [0, 10]}})
    assert keys == ["speed_m_s", "trunk_lean_deg"]
    assert design(two, keys).axis == "speed_m_s" and design(two, keys).series == ("trunk_lean_deg",)
    assert design(two).axis == "trunk_lean_deg"  # without the file: extra columns before speed
    # step-rate sweep with each direction at its own speed: FR and BR paired by step_rate_rel
    own = _frame([{"direction": d, "speed_m_s": v, "step_rate_hz": f * r, "step_rate_rel": r}
                  for d, v, f in (("forward", 3.5, 2.8), ("backward", 3.0, 3.05)) for r in (0.9, 1.0, 1.1)])
    layout = design(own, ["step_rate_rel"])
    assert (layout.axis, layout.series, layout.condition, layout.per_direction) == (
        "step_rate_rel", (), ("step_rate_rel",), ("speed_m_s",))


def test_sweep_figure_has_one_line_per_direction_and_marks_failed_runs(results_factory):
    runs = [{"run_id": f"{d[0]}{r:g}", "status": "failed" if (d, r) == ("backward", 1.1) else "done",
             "direction": d, "speed_m_s": 3.0, "step_rate_hz": 3.0 * r, "step_rate_rel": r}
            for d in ("forward", "backward") for r in (0.9, 1.0, 1.1)]
    folder = results_factory(runs, extra=["step_rate_rel"], sweep={"step_rate_rel": [0.9, 1.0, 1.1]})
    table = load_runs(folder)
    fig = plot_sweep(table, design(table, ["step_rate_rel"]), title="t")
    ax = next(ax for ax in fig.axes if ax.get_title() == "Peak PF stress, lever-arm method")
    assert ax.get_xlabel() == "Step rate (% of preferred)"
    fr, br, failed = ax.lines  # FR line, BR line, the failed BR run as a cross on the x axis
    np.testing.assert_allclose(fr.get_xdata(), [90, 100, 110])
    np.testing.assert_allclose(br.get_xdata(), [90, 100])
    np.testing.assert_allclose(failed.get_xdata(), [110])


def test_not_a_results_folder_is_a_one_line_error(tmp_path):
    for folder in (tmp_path, tmp_path / "missing"):
        with pytest.raises(BiomechError) as err:
            make_figures(folder)
        assert "runs.csv" in str(err.value) or "no such results folder" in str(err.value)
        assert "\n" not in str(err.value)
    with pytest.raises(BiomechError, match="format"):
        make_figures(tmp_path, fmt="svg")


def test_duplicate_duty_factor_column_is_parameter_then_outcome(tmp_path):
    (tmp_path / "runs.csv").write_text("run_id,status,direction,speed_m_s,step_rate_hz,duty_factor,"
                                       "contact_time_s,duty_factor\n"
                                       "a,done,forward,3,2.9,0.35,0.24,0.36\n"
                                       "b,done,forward,3,2.9,0.40,0.27,0.41\n")
    runs = load_runs(tmp_path)
    assert runs["duty_factor_set"].tolist() == [0.35, 0.40]
    assert runs["duty_factor"].tolist() == [0.36, 0.41]
    assert detect_sweep_axis(runs) == "duty_factor_set"


def test_cli_figures_command_writes_pdf(results_factory, capsys):
    runs = [{"run_id": "f1", "status": "failed", "direction": "forward", "speed_m_s": 3.0,
             "step_rate_hz": 2.9}]
    folder = results_factory(runs)
    parser = argparse.ArgumentParser(prog="biomech")
    add_figures_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["figures", str(folder), "-o", str(folder / "out"), "--format", "pdf"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert f"wrote {folder / 'out' / 'quality.pdf'}" in out
    assert (folder / "out" / "quality.pdf").read_bytes()[:5] == b"%PDF-"
    assert (folder / "out" / "summary.md").is_file()


def test_walking_experiments_label_directions_fw_bw():
    from biomech.plots.style import direction_label, gait_mode

    assert direction_label("forward") == "FR (forward)"
    with gait_mode("walking"):
        assert direction_label("backward") == "BW (backward)"
        assert direction_label("forward", short=True) == "FW"
    assert direction_label("backward", short=True) == "BR"


def test_tendon_groups_match_the_outcomes():
    from biomech.experiments.outcomes import TENDON_GROUPS as COMPUTED
    from biomech.plots.results import TENDON_GROUPS, quantity

    assert TENDON_GROUPS == COMPUTED
    for g in COMPUTED:   # every group column has its own label and unit
        assert quantity(f"tendon_energy_returned_{g}_j").unit == "J"
        assert quantity(f"tendon_share_of_positive_work_{g}").unit == "%"
