"""The running COM planner of gait synthesis: half-sine vertical GRF directed at the COM from a
rolling centre of pressure. Checks: Newton's law, periodicity, impulses, the sine-wave peak,
zero moment about the COM, and the asymmetry the rolling CoP creates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from biomech.gait.com_path import StrideParams
from biomech.gait.grf_plan import cop_position, plan_running_com_grf


def _plan(**kw):
    p = StrideParams(speed_m_s=3.5, step_rate_hz=2.8, duty_factor=0.35,
                     direction=kw.pop("direction", "forward"), mass_kg=70.0)
    args = dict(touchdown_height_m=0.95, contact_travel_m=0.146, flat_start=0.195, flat_end=0.448,
                late_travel_m=0.087)
    args.update(kw)
    return p, plan_running_com_grf(p, n_per_step=400, **args)


def test_stride_is_periodic_and_covers_the_step_length():
    p, c = _plan()
    np.testing.assert_allclose(c.velocity_m_s[-1], c.velocity_m_s[0], atol=1e-9)
    assert c.position_m[-1, 1] == pytest.approx(c.position_m[0, 1], abs=1e-9)
    assert c.position_m[-1, 0] - c.position_m[0, 0] == pytest.approx(2 * p.step_length_m, abs=1e-9)


def test_grf_impulses_weight_and_zero_horizontal():
    p, c = _plan()
    grf = c.grf_n()
    t = c.time_s
    # vertical impulse = weight x time; net horizontal impulse zero (steady speed)
    assert np.trapezoid(grf[:, 1], t) == pytest.approx(p.body_weight_n * t[-1], rel=1e-4)
    assert abs(np.trapezoid(grf[:, 0], t)) < 1e-3 * p.body_weight_n * t[-1]
    # sine-wave peak (Morin et al. 2005): m g (pi / 2) (T_step / t_c)
    peak = p.body_weight_n * math.pi / 2 * p.step_time_s / p.contact_time_s
    assert grf[:, 1].max() == pytest.approx(peak, rel=1e-4)
    # braking then propulsion
    stance = c.in_contact & (c.stance_foot == "r")
    fx = grf[stance, 0]
    assert fx[: fx.size // 4].min() < 0 < fx[-fx.size // 4:].max()


def test_grf_points_at_the_com_from_the_rolling_cop():
    p, c = _plan()
    grf = c.grf_n()
    stance = np.flatnonzero(c.in_contact[:-1] & (c.stance_foot[:-1] == "r"))[1:-1]
    s = c.time_s[stance] / p.contact_time_s
    cop = c.foot_position_m[0, 0] + cop_position(s, flat_start=0.195, flat_end=0.448, early_m=0.0,
                                                 flat_m=0.146, late_m=0.087)
    rel = c.position_m[stance] - np.column_stack([cop, np.zeros_like(cop)])
    moment = rel[:, 0] * grf[stance, 1] - rel[:, 1] * grf[stance, 0]
    assert np.max(np.abs(moment)) < 1e-6 * p.body_weight_n


def test_rolling_cop_lands_the_com_closer_to_the_foot_than_it_leaves():
    # measured rearfoot running lands with the heel ~0.2-0.3 m ahead of the COM and leaves with
    # the toes further behind; with a CoP that rolls to the toe tip the plan is asymmetric
    p, c = _plan()
    x_td = c.foot_position_m[0, 0] - c.position_m[0, 0]
    i_to = np.flatnonzero(c.in_contact[:400])[-1]
    x_to = c.position_m[i_to, 0] - (c.foot_position_m[0, 0] + 0.146 + 0.087)
    assert 0.0 < x_td < x_to


def test_backward_running_mirrors_the_x_axis():
    _, fr = _plan()
    _, br = _plan(direction="backward")
    np.testing.assert_allclose(br.position_m[:, 0], -fr.position_m[:, 0], atol=1e-12)
    np.testing.assert_allclose(br.position_m[:, 1], fr.position_m[:, 1], atol=1e-12)


def test_higher_step_rate_lowers_the_com_excursion():
    excursions = []
    for rate in (2.8, 3.08):
        p = StrideParams(speed_m_s=3.5, step_rate_hz=rate, duty_factor=0.35, direction="forward",
                         mass_kg=70.0)
        c = plan_running_com_grf(p, touchdown_height_m=0.95, contact_travel_m=0.146,
                                 flat_start=0.195, flat_end=0.448)
        excursions.append(c.vertical_excursion_m)
    assert excursions[1] < excursions[0]


@pytest.mark.parametrize(("kw", "field"), [
    ({"touchdown_height_m": 3.0}, "touchdown_height_m"),
    ({"contact_travel_m": -0.1}, "contact_travel_m"),
    ({"flat_start": 0.6, "flat_end": 0.4}, "foot flat"),
])
def test_bad_input_one_line(kw, field):
    with pytest.raises(ValueError, match=field):
        _plan(**kw)
