"""Joint and whole-body work, braking/pushing, stiffness, aerial time, tendon share and cost of
transport on synthetic signals with analytic answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from biomech.energetics.work import (
    aerial_time,
    braking_pushing,
    cost_of_transport_j_kg_m,
    external_work,
    joint_power_w,
    joint_work,
    mean_power,
    split_work_j,
    tendon_work_share,
    travel_direction_from_velocity,
    vertical_stiffness,
)

G = 9.81
MASS_KG = 70.0


def test_split_work_is_exact_for_piecewise_linear_power():
    t = np.array([0.0, 0.5, 1.0, 2.0, 2.5])
    p = np.array([2.0, -2.0, -1.0, 3.0, 0.0])
    pos, neg = split_work_j(t, p)
    # Interval areas: [0, .5]: +0.25 / -0.25; [.5, 1]: -0.75; [1, 2]: crossing at 1.25: -0.125 / +1.125;
    # [2, 2.5]: +0.75.
    assert float(pos) == pytest.approx(0.25 + 1.125 + 0.75, rel=1e-15)
    assert float(neg) == pytest.approx(-(0.25 + 0.75 + 0.125), rel=1e-15)
    assert float(pos + neg) == pytest.approx(float(np.trapezoid(p, t)), rel=1e-14)


@pytest.mark.parametrize("phase", [0.0, 0.4, math.pi / 2, 2.5, math.pi])
def test_joint_work_sinusoids(phase):
    # tau = T0 sin(w t), omega = W0 sin(w t + phi) over one period T:
    # P = T0 W0 / 2 (cos phi - cos(2 w t + phi)); net = T0 W0 T cos(phi) / 2 and
    # positive = T0 W0 T / (2 pi) ((pi - phi) cos phi + sin phi) (integrating where P > 0).
    t0, w0, period = 120.0, 8.0, 0.7
    t = np.linspace(0.0, period, 40001)
    tau = t0 * np.sin(2 * np.pi * t / period)
    omega = w0 * np.sin(2 * np.pi * t / period + phase)
    second = np.stack([0.5 * tau, omega], axis=1)
    result = joint_work(
        time_s=t,
        joint_moment_nm=np.stack([tau, second[:, 0]], axis=1),
        joint_angular_velocity_rad_s=np.stack([omega, second[:, 1]], axis=1),
        body_mass_kg=MASS_KG,
        joint_names=["knee", "half"],
    )
    positive = t0 * w0 * period / (2 * np.pi) * ((np.pi - phase) * np.cos(phase) + np.sin(phase))
    net = t0 * w0 * period * np.cos(phase) / 2
    scale = t0 * w0 * period
    assert result.joint_names == ("knee", "half")
    assert result.positive_work_j[0] == pytest.approx(positive, abs=1e-7 * scale)
    assert result.negative_work_j[0] == pytest.approx(net - positive, abs=1e-7 * scale)
    assert result.net_work_j[0] == pytest.approx(net, abs=1e-7 * scale)
    assert result.positive_work_j[1] == pytest.approx(0.5 * positive, abs=1e-7 * scale)
    assert result.positive_work_j_kg[0] == pytest.approx(result.positive_work_j[0] / MASS_KG, rel=1e-15)
    assert result.negative_work_j_kg[0] == pytest.approx(result.negative_work_j[0] / MASS_KG, rel=1e-15)
    assert result.positive_work_j[0] >= 0.0 >= result.negative_work_j[0]


def test_joint_power_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        joint_power_w(joint_moment_nm=np.zeros(3), joint_angular_velocity_rad_s=np.zeros(4))
    np.testing.assert_array_equal(
        joint_power_w(joint_moment_nm=[2.0, -3.0], joint_angular_velocity_rad_s=[4.0, 5.0]), [8.0, -15.0]
    )


def _half_sine_contact(a_n: float, b_n: float, tc: float, n: int):
    """GRF F_y = A sin(pi t / Tc), F_x = -B sin(2 pi t / Tc) on [0, Tc], with the COM motion it drives.

    The touchdown vertical velocity makes the stance vertically symmetric: v_y(Tc) = -v_y(0).
    """
    t = np.linspace(0.0, tc, n)
    v0 = 0.5 * (G * tc - 2 * a_n * tc / (np.pi * MASS_KG))
    u0 = 3.0

    def fy(s):
        return a_n * np.sin(np.pi * s / tc)

    def fx(s):
        return -b_n * np.sin(2 * np.pi * s / tc)

    def vy(s):
        return v0 + a_n * tc / (np.pi * MASS_KG) * (1 - np.cos(np.pi * s / tc)) - G * s

    def vx(s):
        return u0 - b_n * tc / (2 * np.pi * MASS_KG) * (1 - np.cos(2 * np.pi * s / tc))

    def y(s):
        return (
            v0 * s + a_n * tc / (np.pi * MASS_KG) * (s - tc / np.pi * np.sin(np.pi * s / tc)) - G * s**2 / 2
        )

    def energy(s):
        return 0.5 * MASS_KG * (vx(s) ** 2 + vy(s) ** 2) + MASS_KG * G * y(s)

    return t, fx, fy, vx, vy, y, energy, v0


def test_external_work_vertical_half_sine():
    # Vertical only, symmetric stance: negative work = E(Tc/2) - E(0), positive = E(Tc) - E(Tc/2).
    tc = 0.25
    a_n = 2.5 * MASS_KG * G
    t, _, fy, _, vy, _, energy, v0 = _half_sine_contact(a_n, 0.0, tc, 20001)
    assert v0 < 0.0  # landing downwards
    grf = np.stack([np.zeros_like(t), fy(t)], axis=1)
    vel = np.stack([np.full_like(t, 3.0), vy(t)], axis=1)
    result = external_work(time_s=t, grf_n=grf, com_velocity_m_s=vel, body_mass_kg=MASS_KG)
    negative = energy(tc / 2) - energy(0.0)
    positive = energy(tc) - energy(tc / 2)
    assert negative < 0.0 and positive == pytest.approx(-negative, rel=1e-12)
    assert result.negative_work_j == pytest.approx(negative, rel=1e-7)
    assert result.positive_work_j == pytest.approx(positive, rel=1e-7)
    assert result.net_work_j == pytest.approx(0.0, abs=1e-7 * positive)
    assert result.positive_work_j_kg == pytest.approx(result.positive_work_j / MASS_KG, rel=1e-15)


def test_external_work_with_braking_and_pushing_matches_energy_changes():
    # With a horizontal force the power F.v changes sign at roots found on the analytic power; the work
    # between roots is the analytic change of E = m v^2 / 2 + m g y.
    tc = 0.25
    t, fx, fy, vx, vy, _, energy, _ = _half_sine_contact(2.5 * MASS_KG * G, 0.4 * MASS_KG * G, tc, 20001)

    def power(s):
        return fx(s) * vx(s) + fy(s) * vy(s)

    grid = np.linspace(0.0, tc, 2001)[1:-1]
    values = power(grid)
    roots = [
        brentq(power, grid[i], grid[i + 1], xtol=1e-15) for i in np.flatnonzero(values[:-1] * values[1:] < 0)
    ]
    edges = [0.0, *roots, tc]
    pieces = [energy(b) - energy(a) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    positive = sum(p for p in pieces if p > 0)
    negative = sum(p for p in pieces if p < 0)
    # The GRF as (n, n_feet, d): one foot loaded, the other zero; summed to the resultant.
    grf = np.zeros((t.size, 2, 2))
    grf[:, 0, 0], grf[:, 0, 1] = fx(t), fy(t)
    vel = np.stack([vx(t), vy(t)], axis=1)
    result = external_work(time_s=t, grf_n=grf, com_velocity_m_s=vel)
    assert result.positive_work_j == pytest.approx(positive, rel=1e-7)
    assert result.negative_work_j == pytest.approx(negative, rel=1e-7)
    assert result.net_work_j == pytest.approx(energy(tc) - energy(0.0), abs=1e-7 * positive)
    assert math.isnan(result.positive_work_j_kg)


@pytest.mark.parametrize(("travel", "sign_of_grf"), [(1, 1.0), (-1, -1.0)])
def test_braking_pushing_symmetric(travel, sign_of_grf):
    # F along the travel direction = -B sin(2 pi t / Tc): braking first half, pushing second half, impulses
    # -/+ B Tc / pi. Backward running (travel -x) has the lab-frame force mirrored.
    tc, b = 0.2, 300.0
    t = np.linspace(0.0, tc, 4001)
    fx = sign_of_grf * -b * np.sin(2 * np.pi * t / tc)
    # Flight samples after the contact (zero force plus noise) are left out by the contact flags.
    rng = np.random.default_rng(7)
    t_all = np.concatenate([t, tc + np.linspace(0.001, 0.1, 100)])
    fx_all = np.concatenate([fx, rng.normal(0.0, 2.0, 100)])
    contact = np.arange(t_all.size) < t.size
    result = braking_pushing(
        time_s=t_all, horizontal_grf_n=fx_all, travel_direction_x=travel, contact=contact
    )
    assert result.braking_duration_s == pytest.approx(tc / 2, rel=1e-12)
    assert result.pushing_duration_s == pytest.approx(tc / 2, rel=1e-12)
    assert result.braking_impulse_ns == pytest.approx(-b * tc / np.pi, rel=1e-6)
    assert result.pushing_impulse_ns == pytest.approx(b * tc / np.pi, rel=1e-6)
    assert result.braking_fraction == pytest.approx(0.5, rel=1e-12)
    # The wrong travel direction swaps the two phases' impulses.
    swapped = braking_pushing(
        time_s=t_all, horizontal_grf_n=fx_all, travel_direction_x=-travel, contact=contact
    )
    assert swapped.braking_impulse_ns == pytest.approx(-result.pushing_impulse_ns, rel=1e-12)


@pytest.mark.parametrize("travel", [1, -1])
def test_braking_pushing_asymmetric(travel):
    # Braking for 0.07 s then pushing for 0.12 s (half-sines), sampled on a grid containing the switch.
    brake, push = 0.07, 0.12
    t = np.linspace(0.0, brake + push, 19001)
    along = np.where(t < brake, -np.sin(np.pi * t / brake), np.sin(np.pi * (t - brake) / push)) * 250.0
    contact = np.ones_like(t, dtype=bool)
    result = braking_pushing(
        time_s=t, horizontal_grf_n=travel * along, travel_direction_x=travel, contact=contact
    )
    assert result.braking_duration_s == pytest.approx(brake, rel=1e-9)
    assert result.pushing_duration_s == pytest.approx(push, rel=1e-9)
    assert result.braking_impulse_ns == pytest.approx(-250.0 * 2 * brake / np.pi, rel=1e-6)
    assert result.pushing_impulse_ns == pytest.approx(250.0 * 2 * push / np.pi, rel=1e-6)


def test_travel_direction():
    assert travel_direction_from_velocity([3.0, 3.2, 2.9]) == 1
    assert travel_direction_from_velocity([-2.5, -2.4]) == -1
    with pytest.raises(ValueError, match="direction"):
        travel_direction_from_velocity([0.0, 0.0])
    with pytest.raises(ValueError, match="travel_direction_x"):
        braking_pushing(time_s=[0.0, 1.0], horizontal_grf_n=[0.0, 1.0], travel_direction_x=0)


def test_vertical_stiffness_sinusoidal_compression():
    # Contact on [0.1, 0.1 + Tc]: y = y0 - D sin(pi s / Tc), so F = m (g + D (pi / Tc)^2 sin(pi s / Tc)):
    # F_peak = m (g + D pi^2 / Tc^2) at the lowest point (drop D); k = F_peak / D.
    tc, d, y0 = 0.24, 0.04, 0.95
    dt = 1e-4
    t = np.arange(0, 4801) * dt  # 0 .. 0.48 s, one contact at 0.1 .. 0.34 s
    s = t - 0.1
    contact = (s >= -1e-12) & (s <= tc + 1e-12)
    y = np.where(contact, y0 - d * np.sin(np.pi * s / tc), y0 + 0.01 * np.sin(np.pi * np.abs(s)))
    fy = np.where(contact, MASS_KG * (G + d * (np.pi / tc) ** 2 * np.sin(np.pi * s / tc)), 0.0)
    result = vertical_stiffness(
        time_s=t, vertical_grf_n=fy, com_height_m=y, body_mass_kg=MASS_KG, contact=contact
    )
    assert result.complete.tolist() == [True]
    peak = MASS_KG * (G + d * (np.pi / tc) ** 2)
    assert result.peak_force_n[0] == pytest.approx(peak, rel=1e-12)
    assert result.com_drop_m[0] == pytest.approx(d, rel=1e-12)
    assert result.k_vert_n_m[0] == pytest.approx(peak / d, rel=1e-12)
    assert result.k_vert_per_mass_s2[0] == pytest.approx(peak / d / MASS_KG, rel=1e-12)
    assert result.natural_frequency_hz[0] == pytest.approx(
        math.sqrt(peak / d / MASS_KG) / (2 * math.pi), rel=1e-12
    )
    assert result.mean_k_vert_n_m == pytest.approx(peak / d, rel=1e-12)
    # Default contact is F > 0: here the same samples (the force is m g at touchdown).
    default = vertical_stiffness(time_s=t, vertical_grf_n=fy, com_height_m=y, body_mass_kg=MASS_KG)
    np.testing.assert_array_equal(default.k_vert_n_m, result.k_vert_n_m)


def test_vertical_stiffness_flags_cut_contacts():
    t = np.linspace(0.0, 1.0, 11)
    fy = np.array([800.0, 900.0, 0, 0, 0, 1000.0, 1200.0, 1000.0, 0, 0, 700.0])
    y = np.array([0.9, 0.88, 0.9, 0.92, 0.9, 0.9, 0.87, 0.9, 0.92, 0.9, 0.9])
    result = vertical_stiffness(time_s=t, vertical_grf_n=fy, com_height_m=y, body_mass_kg=MASS_KG)
    assert result.complete.tolist() == [False, True, False]
    assert result.k_vert_n_m[1] == pytest.approx(1200.0 / 0.03, rel=1e-12)
    assert math.isnan(result.k_vert_n_m[2])  # no drop in a one-sample contact
    assert result.mean_k_vert_n_m == pytest.approx(1200.0 / 0.03, rel=1e-12)


def test_aerial_time_two_feet():
    # Step of 350 samples at 1 ms: 250 ms on one foot, 100 ms aerial; feet alternate.
    dt = 1e-3
    i = np.arange(1401)
    t = i * dt
    phase = i % 700
    right = phase < 250
    left = (phase >= 350) & (phase < 600)
    result = aerial_time(time_s=t, contact=np.stack([right, left], axis=1))
    np.testing.assert_allclose(result.flight_durations_s, [0.1, 0.1, 0.1, 0.1], rtol=1e-9)
    np.testing.assert_allclose(result.ground_durations_s, [0.25, 0.25, 0.25], rtol=1e-9)
    # Aerial samples 4 x 100, the cells of interior samples are dt each.
    assert result.aerial_time_s == pytest.approx(0.4, rel=1e-9)
    assert result.aerial_fraction == pytest.approx(0.4 / 1.4, rel=1e-9)


def test_aerial_time_rejects_bad_shape():
    with pytest.raises(ValueError, match="contact"):
        aerial_time(time_s=[0.0, 1.0, 2.0], contact=[True, False])


def test_tendon_work_share_groups():
    t = np.linspace(0.0, 1.0, 10001)
    wave = np.sin(2 * np.pi * t)
    # Muscle a: tendon does half of the MTU work; muscle b: all of it; muscle c: none.
    mtu = np.stack([2.0 * wave, wave, wave], axis=1)
    tendon = np.stack([wave, wave, np.zeros_like(wave)], axis=1)
    result = tendon_work_share(
        time_s=t,
        tendon_power_w=tendon,
        mtu_power_w=mtu,
        muscle_names=["a", "b", "c"],
        groups={"plantarflexors": ["a", "b"], "knee_extensors": ["c"]},
    )
    unit = 1.0 / np.pi  # positive work of sin(2 pi t) over one period
    assert result.group_names == ("plantarflexors", "knee_extensors")
    np.testing.assert_allclose(result.tendon_positive_work_j, [2 * unit, 0.0], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(result.mtu_positive_work_j, [3 * unit, unit], rtol=1e-7)
    np.testing.assert_allclose(result.fiber_positive_work_j, [unit, unit], rtol=1e-7)
    np.testing.assert_allclose(result.tendon_share, [2 / 3, 0.0], rtol=1e-7, atol=1e-12)
    with pytest.raises(ValueError, match="groups.quads"):
        tendon_work_share(
            time_s=t,
            tendon_power_w=tendon,
            mtu_power_w=mtu,
            muscle_names=["a", "b", "c"],
            groups={"quads": ["x"]},
        )


def test_cost_of_transport():
    # 10 W/kg at 2.5 m/s: 4 J/kg/m gross; with 1.5 W/kg standing subtracted: 3.4 J/kg/m net.
    assert float(cost_of_transport_j_kg_m(metabolic_power_w_kg=10.0, speed_m_s=2.5)) == pytest.approx(4.0)
    assert float(
        cost_of_transport_j_kg_m(metabolic_power_w_kg=10.0, speed_m_s=2.5, resting_power_w_kg=1.5)
    ) == pytest.approx(3.4)
    np.testing.assert_allclose(
        cost_of_transport_j_kg_m(metabolic_power_w_kg=[8.0, 12.0], speed_m_s=[2.0, 3.0]), [4.0, 4.0]
    )
    with pytest.raises(ValueError, match="speed_m_s"):
        cost_of_transport_j_kg_m(metabolic_power_w_kg=10.0, speed_m_s=0.0)


def test_mean_power():
    t = np.linspace(0.0, 2.0, 2001)
    assert float(mean_power(t, 5.0 + np.sin(np.pi * t))) == pytest.approx(5.0, abs=1e-12)


def test_com_motion_from_grf_is_the_model_com_of_a_synthesised_stride(fr_stride_analysis):
    # The synthesis makes the GRF m (a_com - g) of the model's own COM, so integrating the GRF
    # (with the speed of travel as the mean horizontal velocity) must give back the COM velocity
    # and displacement of the model (PlanarKinematics), up to the trapezoid's error.
    from biomech.energetics.work import com_motion_from_grf

    _, sk, kin, _, motion, _ = fr_stride_analysis
    grf = sum(load.force_n[:, :2] for load in motion.loads.values())
    com = kin.com(motion.q)
    com_velocity = kin.com_velocity(motion.q, motion.qd)
    speed = (com[-1, 0] - com[0, 0]) / (motion.time_s[-1] - motion.time_s[0])
    velocity, displacement = com_motion_from_grf(
        time_s=motion.time_s, grf_n=grf, body_mass_kg=sk.total_mass_kg,
        gravity_m_s2=-sk.gravity_m_s2, mean_velocity_m_s=[speed, 0.0])
    np.testing.assert_allclose(velocity, com_velocity, atol=2e-3)
    np.testing.assert_allclose(displacement[:, 1], com[:, 1] - com[0, 1], atol=2e-4)


def test_com_motion_from_grf_rejects_bad_shapes():
    from biomech.energetics.work import com_motion_from_grf

    with pytest.raises(ValueError, match="mean_velocity_m_s"):
        com_motion_from_grf(time_s=[0.0, 1.0], grf_n=np.zeros((2, 2)), body_mass_kg=70.0,
                            gravity_m_s2=9.81, mean_velocity_m_s=[1.0, 0.0, 0.0])
