"""The swing clearance correction: a convex programme over smooth joint corrections. Checked on
synthetic swings where the answer is known: constraints met, boundary and key-point conditions
kept, the optimum's proportionality to the Jacobian, joint ranges, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from biomech.errors import BiomechError
from biomech.gait.clearance import clearance_correction

TAU = np.linspace(0.0, 1.0, 401)[1:-1]      # swing samples strictly inside the swing


def _dip(depth_m: float = 0.03, at: float = 0.3, width: float = 0.08) -> np.ndarray:
    """(n, 1) height of one point: 5 cm up, dipping ``depth_m`` below the ground at ``at``."""
    return (0.05 - (0.05 + depth_m) * np.exp(-(((TAU - at) / width) ** 2)))[:, None]


def _jac(*m_per_rad: float) -> np.ndarray:
    return np.broadcast_to(np.array(m_per_rad, dtype=float), (TAU.size, 1, len(m_per_rad))).copy()


def test_a_swing_that_clears_the_ground_is_left_alone():
    height = _dip(-0.01)                     # lowest point 1 cm above the ground
    out = clearance_correction(TAU, height, _jac(0.4, 0.1), [(0.7, True), (0.5, False)])
    assert out.shape == (TAU.size, 2) and not out.any()


def test_the_correction_lifts_the_point_and_keeps_the_boundary_and_key_conditions():
    height, jac = _dip(), _jac(0.4, 0.1)
    keys = [(0.7, True), (0.5, False)]
    out = clearance_correction(TAU, height, jac, keys)
    lifted = height[:, 0] + (jac[:, 0, :] * out).sum(axis=1)
    assert lifted.min() >= -1e-7
    # toe-off and touchdown states kept: value and slope vanish at the ends (a cubic B-spline
    # without its two outer functions at each end starts like tau^2)
    dt = TAU[1] - TAU[0]
    assert np.abs(out[0]).max() < 1e-3 * np.abs(out).max()
    assert np.abs(out[-1]).max() < 1e-3 * np.abs(out).max()
    # key points: joint 0's peak keeps its value and zero slope, joint 1's value is kept
    k0, k1 = np.argmin(np.abs(TAU - 0.7)), np.argmin(np.abs(TAU - 0.5))
    assert abs(out[k0, 0]) < 1e-8 and abs(out[k1, 1]) < 1e-8
    assert abs(out[k0 + 1, 0] - out[k0 - 1, 0]) / (2 * dt) < 1e-3 * np.abs(np.gradient(out[:, 0], dt)).max()


def test_the_smoothest_correction_shares_the_lift_in_proportion_to_each_joints_lever():
    # with the same conditions on both joints, the Lagrangian makes each joint's correction the
    # Jacobian times one common function: joint 0 (0.4 m/rad) moves 4 x joint 1 (0.1 m/rad)
    keys = [(0.7, True), (0.7, True)]
    out = clearance_correction(TAU, _dip(), _jac(0.4, 0.1), keys)
    big = np.abs(out[:, 1]) > 1e-3 * np.abs(out[:, 1]).max()
    np.testing.assert_allclose(out[big, 0] / out[big, 1], 4.0, rtol=1e-4)


def test_a_joint_range_moves_the_work_to_the_other_joint():
    height, jac, keys = _dip(), _jac(0.4, 0.1), [(0.7, True), (0.7, True)]
    free = clearance_correction(TAU, height, jac, keys)
    angle = np.zeros((TAU.size, 2))
    limit = 0.5 * free[:, 0].max()          # joint 0 may rise only half as far as it would
    rng = np.array([[-1.0, limit], [-1.0, 1.0]])
    out = clearance_correction(TAU, height, jac, keys, angle_rad=angle, range_rad=rng)
    assert out[:, 0].max() <= limit + 1e-9
    assert out[:, 1].max() > free[:, 1].max()
    assert (height[:, 0] + (jac[:, 0, :] * out).sum(axis=1)).min() >= -1e-7


def test_a_dip_no_smooth_correction_can_lift_is_an_error():
    # the point is below the ground exactly where every joint must keep its key angle
    tau_key = float(TAU[120])
    with pytest.raises(BiomechError, match="no smooth joint correction"):
        clearance_correction(TAU, _dip(at=tau_key, width=0.01), _jac(0.4, 0.1),
                             [(tau_key, True), (tau_key, False)])


def test_shapes_that_do_not_agree_are_an_error():
    with pytest.raises(BiomechError, match="do not agree"):
        clearance_correction(TAU, _dip(), _jac(0.4, 0.1), [(0.7, True)])
    with pytest.raises(BiomechError, match="both"):
        clearance_correction(TAU, _dip(), _jac(0.4, 0.1), [(0.7, True), (0.5, False)],
                             angle_rad=np.zeros((TAU.size, 2)))
