"""Tendon force-length curve, stored energy and energy return with hysteresis (synthetic data)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from biomech.energetics.tendon import (
    DEFAULT_HYSTERESIS,
    HYSTERESIS_IN_VITRO_RANGE,
    HYSTERESIS_IN_VIVO_GASTROCNEMIUS,
    OPENSIM_C1,
    OPENSIM_C2,
    OPENSIM_C3,
    PAPER_C2,
    PAPER_C3,
    TendonCurve,
    normalized_tendon_force,
    tendon_energy_j,
    tendon_energy_timeseries,
    tendon_kt,
    tendon_strain,
)

F0_N = 3000.0
LS_M = 0.25


def test_opensim_constants_and_kt():
    # DeGrooteFregly2016Muscle.h: c1 = 0.2, c2 = 1.0, c3 = 0.2; kT = ln((1 + c3) / c1) / (eps0 + 1 - c2).
    assert (OPENSIM_C1, OPENSIM_C2, OPENSIM_C3) == (0.2, 1.0, 0.2)
    assert tendon_kt() == pytest.approx(math.log(6.0) / 0.049, rel=1e-15)
    assert tendon_kt() == pytest.approx(36.5665, abs=1e-4)
    # Zero force exactly at the slack length with the OpenSim constants.
    assert TendonCurve().slack_normalized_length == pytest.approx(1.0, abs=1e-15)
    assert float(normalized_tendon_force(1.0)) == pytest.approx(0.0, abs=1e-15)


def test_paper_constants_give_strain_0474_at_kt_35():
    # De Groote et al. 2016 use kT = 35 with c2 = 0.995, c3 = 0.25; OpenSim's documentation says
    # this puts one normalised force at strain 0.0474. Inverting our parameterisation must agree.
    curve = TendonCurve(strain_at_one_norm_force=0.0474, c2=PAPER_C2, c3=PAPER_C3)
    assert curve.kt == pytest.approx(35.0, abs=0.05)
    # The paper's curve is negative at l = 1: its zero-force length is above 1.
    assert curve.slack_normalized_length > 1.0
    assert float(curve.force(curve.slack_normalized_length)) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("eps0", [0.033, 0.049, 0.1])
def test_strain_at_f0_equals_eps0(eps0):
    # (c) by construction of kT: f(1 + eps0) = 1, so the strain at F = F0 is eps0.
    assert float(tendon_strain(1.0, strain_at_one_norm_force=eps0)) == pytest.approx(eps0, rel=1e-12)
    assert float(normalized_tendon_force(1.0 + eps0, strain_at_one_norm_force=eps0)) == pytest.approx(
        1.0, rel=1e-12
    )


def test_inverse_round_trip():
    curve = TendonCurve()
    forces = np.linspace(0.0, 5.0, 101)
    np.testing.assert_allclose(curve.force(curve.length(forces)), forces, rtol=1e-12, atol=1e-14)


def test_slack_tendon_stores_nothing():
    # (d) F <= 0: slack, strain 0 (zero-force length), no energy.
    forces = np.array([-500.0, -1e-9, 0.0])
    np.testing.assert_array_equal(tendon_strain(forces / F0_N), 0.0)
    energy = tendon_energy_j(forces, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M)
    np.testing.assert_array_equal(energy, 0.0)
    t = np.linspace(0.0, 1.0, 11)
    result = tendon_energy_timeseries(
        t, -100.0 * np.ones_like(t), max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M
    )
    np.testing.assert_array_equal(result.energy_j, 0.0)
    assert result.stored_j == 0.0 and result.returned_j == 0.0 and result.loss_j == 0.0


@pytest.mark.parametrize(
    ("eps0", "c2", "c3"),
    [
        (0.049, OPENSIM_C2, OPENSIM_C3),
        (0.033, OPENSIM_C2, OPENSIM_C3),
        (0.1, OPENSIM_C2, OPENSIM_C3),
        (0.0474, PAPER_C2, PAPER_C3),
    ],
)
def test_analytic_energy_matches_quadrature(eps0, c2, c3):
    # (b) U = F0 l_s * integral of f over normalised length (strain) from the zero-force length.
    curve = TendonCurve(strain_at_one_norm_force=eps0, c2=c2, c3=c3)
    l0 = curve.slack_normalized_length

    def integral(upper: float) -> float:
        value, _ = quad(lambda x: float(curve.force(x)), l0, upper, epsabs=0.0, epsrel=1e-12, limit=200)
        return value

    # By strain above the zero-force length.
    for strain in [1e-5, 1e-3, 0.01, 0.03, eps0, 0.08, 0.15]:
        upper = l0 + strain
        assert float(curve.normalized_energy_at_length(upper)) == pytest.approx(integral(upper), rel=1e-9)
    # By force (the bound l(f) loses relative precision below f ~ 1e-5, so start at 1e-4).
    for f in [1e-4, 5e-3, 0.05, 0.3, 1.0, 2.5]:
        assert float(curve.normalized_energy(f)) == pytest.approx(integral(float(curve.length(f))), rel=1e-9)


def test_energy_in_joules_scales_with_f0_and_slack_length():
    f0 = np.array([1000.0, 3000.0])
    ls = np.array([0.1, 0.4])
    force = np.array([[500.0, 1500.0], [1000.0, 3000.0]])
    energy = tendon_energy_j(force, max_isometric_force_n=f0, tendon_slack_length_m=ls)
    expected = f0 * ls * TendonCurve().normalized_energy(force / f0)
    np.testing.assert_allclose(energy, expected, rtol=1e-15)
    # Small-force limit: a linear spring with the slack stiffness k = kT * c3 * F0 / l_s.
    k = tendon_kt() * OPENSIM_C3 * 3000.0 / 0.25
    f = 1e-3
    small = float(tendon_energy_j(f, max_isometric_force_n=3000.0, tendon_slack_length_m=0.25))
    assert small == pytest.approx(f**2 / (2.0 * k), rel=1e-9)


def test_series_and_direct_branches_agree_at_switch():
    curve = TendonCurve()
    x = np.array([1e-2 * (1 - 1e-12), 1e-2 * (1 + 1e-12)]) * OPENSIM_C3
    u = curve.normalized_energy(x)
    assert u[1] == pytest.approx(u[0], rel=1e-9)


def _load_unload(peak_n: float, n: int = 2001) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0.0, 0.25, n)
    return t, peak_n * np.sin(np.pi * t / t[-1]) ** 2


@pytest.mark.parametrize("h", [0.0, DEFAULT_HYSTERESIS, 0.18, 0.5])
def test_load_unload_returns_stored_minus_loss(h):
    # (a) Loaded and unloaded along its own curve: stored = U(F_peak), returned = (1 - h) stored.
    peak = 2400.0
    t, force = _load_unload(peak)
    result = tendon_energy_timeseries(
        t, force, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M, hysteresis=h
    )
    stored = float(tendon_energy_j(peak, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M))
    assert float(result.stored_j) == pytest.approx(stored, rel=1e-9)
    assert float(result.returned_j) == pytest.approx((1.0 - h) * stored, rel=1e-9)
    assert float(result.loss_j) == pytest.approx(h * stored, rel=1e-9, abs=1e-15)
    # OpenSim's sign: tendon power negative while stretched, positive while recoiling.
    assert np.all(result.power_w[1:1000] < 0.0) and np.all(result.power_w[1001:-1] > 0.0)


def test_cycles_each_return_their_share():
    t1, f1 = _load_unload(2400.0)
    t2, f2 = _load_unload(1200.0)
    t = np.concatenate([t1, t1[-1] + t2[1:]])
    force = np.concatenate([f1, f2[1:]])
    result = tendon_energy_timeseries(
        t, force, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M, cycle_bounds_s=[0.0, t1[-1], t[-1]]
    )
    per_cycle = [
        float(tendon_energy_j(p, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M))
        for p in (2400.0, 1200.0)
    ]
    np.testing.assert_allclose(result.cycle_stored_j, per_cycle, rtol=1e-9)
    np.testing.assert_allclose(
        result.cycle_returned_j, (1.0 - DEFAULT_HYSTERESIS) * np.array(per_cycle), rtol=1e-9
    )
    np.testing.assert_allclose(result.cycle_stored_j.sum(axis=0), result.stored_j, rtol=1e-12)


def test_cycle_bound_between_samples_is_exact():
    # Force linear in time between samples: a boundary inside an interval splits it exactly.
    t = np.array([0.0, 1.0, 2.0])
    force = np.array([0.0, 2000.0, 0.0])
    result = tendon_energy_timeseries(
        t, force, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M, cycle_bounds_s=[0.0, 0.5, 2.0]
    )
    u_half = float(tendon_energy_j(1000.0, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M))
    u_peak = float(tendon_energy_j(2000.0, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M))
    np.testing.assert_allclose(result.cycle_stored_j, [u_half, u_peak - u_half], rtol=1e-12)


def test_random_histories_never_create_energy():
    # Property test over random force histories, parameters and hysteresis values.
    rng = np.random.default_rng(20240611)
    for _ in range(300):
        n = int(rng.integers(2, 400))
        t = np.cumsum(rng.uniform(1e-4, 1e-2, n))
        f0 = rng.uniform(200.0, 8000.0)
        ls = rng.uniform(0.02, 0.45)
        eps0 = rng.uniform(0.02, 0.12)
        h = rng.uniform(0.0, 0.999)
        force = rng.uniform(-0.3, 2.0, n) * f0 * rng.choice([0.01, 1.0])
        starts_slack = rng.random() < 0.5
        if starts_slack:
            force[0] = 0.0
        res = tendon_energy_timeseries(
            t,
            force,
            max_isometric_force_n=f0,
            tendon_slack_length_m=ls,
            strain_at_one_norm_force=eps0,
            hysteresis=h,
        )
        scale = max(float(res.stored_j + res.initial_energy_j), 1e-300)
        # Energy balance: initial + stored = returned + loss + final.
        balance = res.initial_energy_j + res.stored_j - (res.returned_j + res.loss_j + res.final_energy_j)
        assert abs(float(balance)) <= 1e-9 * scale
        # Never more out than went in (plus what was there at the start).
        assert res.returned_j <= res.stored_j + res.initial_energy_j + 1e-12 * scale
        if starts_slack:
            assert res.returned_j <= res.stored_j * (1.0 + 1e-12)
        assert res.loss_j >= 0.0 and res.returned_j >= 0.0
        assert np.all(res.energy_j >= 0.0)


def test_published_hysteresis_values_and_default():
    # Ker 1981: ~7 % (default); Bennett et al. 1986: 6-11 %; Maganaris & Paul 2002: 18 +/- 3 %.
    assert DEFAULT_HYSTERESIS == 0.07
    low, high = HYSTERESIS_IN_VITRO_RANGE
    assert low <= DEFAULT_HYSTERESIS <= high
    assert HYSTERESIS_IN_VIVO_GASTROCNEMIUS == (0.18, 0.03)


@pytest.mark.parametrize("h", [-0.01, 1.0, 1.5, float("nan")])
def test_hysteresis_out_of_range_is_rejected(h):
    t, force = _load_unload(1000.0, n=11)
    with pytest.raises(ValueError, match="hysteresis"):
        tendon_energy_timeseries(
            t, force, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M, hysteresis=h
        )


def test_bad_inputs_are_rejected():
    t, force = _load_unload(1000.0, n=11)
    with pytest.raises(ValueError, match="max_isometric_force_n"):
        tendon_energy_timeseries(t, force, max_isometric_force_n=0.0, tendon_slack_length_m=LS_M)
    with pytest.raises(ValueError, match="tendon_slack_length_m"):
        tendon_energy_timeseries(t, force, max_isometric_force_n=F0_N, tendon_slack_length_m=-1.0)
    with pytest.raises(ValueError, match="time_s"):
        tendon_energy_timeseries(t[::-1], force, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M)
    with pytest.raises(ValueError, match="cycle_bounds_s"):
        tendon_energy_timeseries(
            t, force, max_isometric_force_n=F0_N, tendon_slack_length_m=LS_M, cycle_bounds_s=[0.0, 9.0]
        )
    with pytest.raises(ValueError, match="strain_at_one_norm_force"):
        TendonCurve(strain_at_one_norm_force=0.0)


def test_muscle_axis_is_kept():
    t, force = _load_unload(1000.0, n=201)
    forces = np.stack([force, 2.0 * force], axis=1)
    res = tendon_energy_timeseries(
        t,
        forces,
        max_isometric_force_n=np.array([F0_N, 2 * F0_N]),
        tendon_slack_length_m=np.array([LS_M, LS_M]),
    )
    assert (
        res.energy_j.shape == (201, 2) and res.stored_j.shape == (2,) and res.cycle_stored_j.shape == (1, 2)
    )
    # Same normalised force, same slack length, twice F0: twice the energy.
    assert float(res.stored_j[1]) == pytest.approx(2.0 * float(res.stored_j[0]), rel=1e-12)
    np.testing.assert_allclose(res.return_fraction, 1.0 - DEFAULT_HYSTERESIS, rtol=1e-12)
