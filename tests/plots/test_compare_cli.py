"""``biomech compare``: curves of several runs or trials in one figure."""

from __future__ import annotations

import pytest

from biomech.cli import main
from biomech.experiments.curves import cycle_curves, write_curves


@pytest.fixture(scope="module")
def curves_file(fr_stride_analysis, tmp_path_factory):
    *_, motion, ds = fr_stride_analysis
    return write_curves(cycle_curves(ds, motion), tmp_path_factory.mktemp("curves") / "curves.nc")


def test_compare_draws_each_set(curves_file, tmp_path, capsys):
    out = tmp_path / "fig" / "compare.png"
    code = main(["compare", f"synthesised FR={curves_file}", f"same stride, again={curves_file}",
                 "-o", str(out), "--title", "two sets"])
    assert code == 0 and f"wrote {out}" in capsys.readouterr().out
    assert out.stat().st_size > 20_000


def test_compare_joint_mechanics(curves_file, tmp_path, capsys):
    out = tmp_path / "joints.png"
    assert main(["compare", f"FR={curves_file}", "-o", str(out), "--panels", "joints"]) == 0
    assert out.stat().st_size > 20_000


@pytest.mark.parametrize(("make_set", "message"), [
    (lambda path: str(path), "expected LABEL=PATH"),
    (lambda path: f"label={path.with_name('none.nc')}", "none.nc: no such file"),
    (lambda path: f"label={path.parent}", "no such file"),
])
def test_bad_sets_give_one_line(curves_file, tmp_path, capsys, make_set, message):
    assert main(["compare", make_set(curves_file), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_a_file_that_is_not_curves(fr_stride_analysis, tmp_path, capsys):
    from biomech.pipeline import save_result

    paths = save_result(fr_stride_analysis[5], tmp_path, opensim_tables=False)
    assert main(["compare", f"result={paths['netcdf']}", "-o", str(tmp_path / "x.png")]) == 2
    assert "not a curves.nc" in capsys.readouterr().err
