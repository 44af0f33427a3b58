"""Tendon elasticity: the DeGrooteFregly2016 force-length curve, its inverse, stored energy and
energy return with hysteresis.

Curve
-----
The tendon force-length curve of De Groote et al. 2016 (Ann Biomed Eng 44:2922), as implemented
in OpenSim's ``DeGrooteFregly2016Muscle``, gives the normalised tendon force ``f = F / F0``
(``F0`` the maximum isometric force) from the normalised tendon length ``l = l_T / l_s``
(``l_s`` the tendon slack length)::

    f(l) = c1 * exp(kT * (l - c2)) - c3

OpenSim uses ``c1 = 0.2``, ``c2 = 1.0``, ``c3 = 0.2`` (``DeGrooteFregly2016Muscle.h``). The paper
prints ``c2 = 0.995`` and ``c3 = 0.25``; OpenSim changed them so that the force is exactly zero
at the slack length (``c1 * exp(0) - c3 = 0`` when ``c2 = 1`` and ``c1 = c3``). Both sets can be
used through :class:`TendonCurve`; the OpenSim set is the default.

OpenSim parameterises the curve by the tendon strain ``eps0`` at one normalised force
(property ``tendon_strain_at_one_norm_force``, default 0.049). Setting ``f(1 + eps0) = 1``::

    c1 * exp(kT * (1 + eps0 - c2)) = 1 + c3
    kT = ln((1 + c3) / c1) / (eps0 + 1 - c2)

which is the expression in OpenSim's ``extendFinalizeFromProperties``; with the defaults
``kT = ln(6) / 0.049 = 36.57``. (The paper's ``kT = 35`` with its own ``c2, c3`` puts one
normalised force at strain 0.0474, the value OpenSim's documentation quotes.)

Inverse and slack
-----------------
Solving the curve for the length: ``l(f) = c2 + ln((f + c3) / c1) / kT``. The zero-force
length is ``l0 = c2 + ln(c3 / c1) / kT`` (exactly 1 with the OpenSim constants). A force
``f <= 0`` means a slack tendon; its length is then not defined by the curve and the functions
here return the zero-force length (strain ``l0 - 1``, i.e. 0 with the OpenSim constants).

Stored energy
-------------
The elastic energy stored from the zero-force length to the length that carries ``f`` is::

    U = F0 * l_s * integral_{l0}^{l(f)} f(x) dx
      = F0 * l_s * [ (c1 / kT) * (exp(kT (l - c2)) - exp(kT (l0 - c2))) - c3 (l - l0) ]
      = (F0 * l_s / kT) * [ f - c3 * ln(1 + f / c3) ]

using ``c1 exp(kT (l - c2)) = f + c3`` and ``l - l0 = ln(1 + f / c3) / kT``. For small ``f``
this tends to ``F0 l_s f^2 / (2 c3 kT)``, the energy of a linear spring with the curve's slope
at slack; it is evaluated with a series there to avoid cancellation. This is the same integral
as OpenSim's ``calcTendonForceMultiplierIntegral`` (lower bound at zero force) scaled by
``F0 * l_s`` (``getTendonPotentialEnergy``).

Hysteresis: the model of loss
-----------------------------
The curve is elastic: length and stored energy ``U(t)`` follow the force on the same curve in
loading and unloading. Hysteresis is applied to the energy released: while the tendon unloads
(``dU < 0``), it returns ``(1 - h) |dU|`` to the muscle-tendon unit's ends and dissipates
``h |dU|`` as heat; loading (``dU > 0``) is work done on the tendon, counted as *stored*. The
loss is therefore proportional to the unloading work, and over a closed load-unload cycle it is
``h`` times the energy stored, which is how percentage hysteresis is measured: the area of the
loop divided by the area under the loading curve (Ker 1981 J Exp Biol 93:283; Maganaris & Paul
2002 J Biomech 35:1639). Between samples the force is taken as linear in time, so each sample
interval is monotone and the energy increments are exact.

Published hysteresis of tendon:

* about 7 % for sheep plantaris tendon in vitro at loads and frequencies of locomotion
  (0.22–11 Hz; Ker 1981) -- the default, :data:`DEFAULT_HYSTERESIS`;
* 6–11 % across tendons of ten mammal species in vitro, the lower values judged the more
  reliable (Bennett, Ker, Dimery & Alexander 1986 J Zool 209:537) --
  :data:`HYSTERESIS_IN_VITRO_RANGE`;
* 18 +/- 3 % for the human gastrocnemius tendon in vivo (isometric contraction-relaxation,
  ultrasound; Maganaris & Paul 2002) -- :data:`HYSTERESIS_IN_VIVO_GASTROCNEMIUS`, a natural
  upper value for a sensitivity analysis.

Everything is SI: N, m, J, s, W.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "DEFAULT_HYSTERESIS",
    "DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE",
    "HYSTERESIS_IN_VITRO_RANGE",
    "HYSTERESIS_IN_VIVO_GASTROCNEMIUS",
    "OPENSIM_C1",
    "OPENSIM_C2",
    "OPENSIM_C3",
    "PAPER_C2",
    "PAPER_C3",
    "TendonCurve",
    "TendonEnergy",
    "normalized_tendon_force",
    "tendon_energy_j",
    "tendon_energy_timeseries",
    "tendon_kt",
    "tendon_strain",
]

#: Tendon curve constants used by OpenSim's DeGrooteFregly2016Muscle (DeGrooteFregly2016Muscle.h).
OPENSIM_C1 = 0.2
OPENSIM_C2 = 1.0
OPENSIM_C3 = 0.2
#: The values printed in De Groote et al. 2016 (supplement), replaced in OpenSim (see module doc).
PAPER_C2 = 0.995
PAPER_C3 = 0.25
#: Tendon strain at one normalised force: OpenSim's default ``tendon_strain_at_one_norm_force``.
DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE = 0.049

#: Default hysteresis (fraction of stored energy lost per cycle): ~7 %, Ker 1981 (sheep plantaris
#: tendon in vitro, 0.22-11 Hz, loads up to ~1 kN).
DEFAULT_HYSTERESIS = 0.07
#: In vitro range across mammalian tendons, Bennett et al. 1986 J Zool 209:537.
HYSTERESIS_IN_VITRO_RANGE = (0.06, 0.11)
#: Human gastrocnemius tendon in vivo, mean and SD: Maganaris & Paul 2002 J Biomech 35:1639.
HYSTERESIS_IN_VIVO_GASTROCNEMIUS = (0.18, 0.03)

#: Below this ``f / c3`` the stored energy uses the series of ``x - log1p(x)``.
_SERIES_LIMIT = 1e-2


def _positive(name: str, value: float, unit: str = "") -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        suffix = f" {unit}" if unit else ""
        raise ValueError(f"{name}: {value!r}{suffix} must be a positive finite number")
    return number


def _check_hysteresis(hysteresis: float) -> float:
    h = float(hysteresis)
    if not (math.isfinite(h) and 0.0 <= h < 1.0):
        raise ValueError(f"hysteresis: {hysteresis!r} must satisfy 0 <= hysteresis < 1 (a fraction)")
    return h


@dataclass(frozen=True, kw_only=True)
class TendonCurve:
    """The DeGrooteFregly2016 tendon force-length curve ``f = c1 exp(kT (l - c2)) - c3``.

    Parameters
    ----------
    strain_at_one_norm_force : float
        Tendon strain ``(l_T - l_s) / l_s`` at ``F = F0`` (dimensionless), default 0.049
        (OpenSim). Must be in (0, 1) and above ``c2 - 1``.
    c1, c2, c3 : float
        Curve constants, default OpenSim's 0.2, 1.0, 0.2; ``c1`` and ``c3`` positive.

    Raises
    ------
    ValueError
        A constant out of range, named in the message.
    """

    strain_at_one_norm_force: float = DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE
    c1: float = OPENSIM_C1
    c2: float = OPENSIM_C2
    c3: float = OPENSIM_C3

    def __post_init__(self) -> None:
        eps0 = float(self.strain_at_one_norm_force)
        if not (math.isfinite(eps0) and 0.0 < eps0 < 1.0):
            raise ValueError(f"strain_at_one_norm_force: {self.strain_at_one_norm_force!r} must be in (0, 1)")
        object.__setattr__(self, "strain_at_one_norm_force", eps0)
        object.__setattr__(self, "c1", _positive("c1", self.c1))
        object.__setattr__(self, "c3", _positive("c3", self.c3))
        c2 = float(self.c2)
        if not math.isfinite(c2) or eps0 + 1.0 - c2 <= 0.0:
            raise ValueError(f"c2: {self.c2!r} must be finite and below 1 + strain_at_one_norm_force")
        object.__setattr__(self, "c2", c2)

    @property
    def kt(self) -> float:
        """Exponential stiffness ``kT = ln((1 + c3) / c1) / (eps0 + 1 - c2)`` (dimensionless)."""
        return math.log((1.0 + self.c3) / self.c1) / (self.strain_at_one_norm_force + 1.0 - self.c2)

    @property
    def slack_normalized_length(self) -> float:
        """Normalised length at zero force, ``c2 + ln(c3 / c1) / kT`` (1 with OpenSim's constants)."""
        return self.c2 + math.log(self.c3 / self.c1) / self.kt

    def force(self, normalized_length: ArrayLike) -> np.ndarray:
        """Normalised force ``f(l)`` at normalised length ``l = l_T / l_s``.

        The raw curve, as in OpenSim: below the zero-force length it is negative (down to
        ``-c3``); a real tendon is slack there.
        """
        length = np.asarray(normalized_length, dtype=float)
        return self.c1 * np.exp(self.kt * (length - self.c2)) - self.c3

    def length(self, normalized_force: ArrayLike) -> np.ndarray:
        """Normalised length ``l(f)``; forces ``<= 0`` give the zero-force length (slack)."""
        f = np.maximum(np.asarray(normalized_force, dtype=float), 0.0)
        return self.c2 + np.log((f + self.c3) / self.c1) / self.kt

    def strain(self, normalized_force: ArrayLike) -> np.ndarray:
        """Tendon strain ``l(f) - 1``; forces ``<= 0`` give the strain at zero force (slack)."""
        return self.length(normalized_force) - 1.0

    def normalized_energy(self, normalized_force: ArrayLike) -> np.ndarray:
        """``integral f dl`` from the zero-force length to ``l(f)`` (dimensionless; 0 when slack).

        ``(f - c3 ln(1 + f / c3)) / kT``; multiply by ``F0 * l_s`` for joules.
        """
        f = np.maximum(np.asarray(normalized_force, dtype=float), 0.0)
        x = f / self.c3
        small = x < _SERIES_LIMIT
        xs = np.where(small, x, 0.0)
        # x - log1p(x) = x^2/2 - x^3/3 + x^4/4 - ...; truncation < x^10/10 relative to x^2/2.
        series = np.zeros_like(xs)
        for k in range(9, 1, -1):
            series = xs * (series + (-1.0) ** k / k)
        series = series * xs
        direct = x - np.log1p(np.where(small, 0.0, x))
        return self.c3 * np.where(small, series, direct) / self.kt

    def normalized_energy_at_length(self, normalized_length: ArrayLike) -> np.ndarray:
        """``integral f dl`` from the zero-force length to ``l`` (0 below the zero-force length)."""
        length = np.asarray(normalized_length, dtype=float)
        return self.normalized_energy(self.force(np.maximum(length, self.slack_normalized_length)))


def tendon_kt(
    strain_at_one_norm_force: float = DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE,
    *,
    c1: float = OPENSIM_C1,
    c2: float = OPENSIM_C2,
    c3: float = OPENSIM_C3,
) -> float:
    """``kT = ln((1 + c3) / c1) / (eps0 + 1 - c2)``: 36.57 for the OpenSim defaults."""
    return TendonCurve(strain_at_one_norm_force=strain_at_one_norm_force, c1=c1, c2=c2, c3=c3).kt


def normalized_tendon_force(
    normalized_tendon_length: ArrayLike,
    *,
    strain_at_one_norm_force: float = DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE,
) -> np.ndarray:
    """Normalised tendon force ``F / F0`` from normalised length ``l_T / l_s`` (OpenSim curve).

    Examples
    --------
    >>> round(float(normalized_tendon_force(1.049)), 12)
    1.0
    """
    return TendonCurve(strain_at_one_norm_force=strain_at_one_norm_force).force(normalized_tendon_length)


def tendon_strain(
    normalized_tendon_force: ArrayLike,
    *,
    strain_at_one_norm_force: float = DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE,
) -> np.ndarray:
    """Tendon strain ``(l_T - l_s) / l_s`` from normalised force ``F / F0``; ``F <= 0`` gives 0 (slack)."""
    return TendonCurve(strain_at_one_norm_force=strain_at_one_norm_force).strain(normalized_tendon_force)


def tendon_energy_j(
    tendon_force_n: ArrayLike,
    *,
    max_isometric_force_n: ArrayLike,
    tendon_slack_length_m: ArrayLike,
    strain_at_one_norm_force: float = DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE,
) -> np.ndarray:
    """Elastic energy (J) stored in a tendon carrying ``tendon_force_n`` (N); 0 when ``F <= 0``.

    ``U = (F0 l_s / kT) (f - c3 ln(1 + f / c3))`` with ``f = F / F0``; ``F0`` (N) and ``l_s`` (m)
    broadcast against the force (e.g. one value per muscle on the last axis).
    """
    f0, ls = _muscle_parameters(max_isometric_force_n, tendon_slack_length_m)
    curve = TendonCurve(strain_at_one_norm_force=strain_at_one_norm_force)
    force = np.asarray(tendon_force_n, dtype=float)
    return f0 * ls * curve.normalized_energy(force / f0)


def _muscle_parameters(max_isometric_force_n: ArrayLike, tendon_slack_length_m: ArrayLike):
    f0 = np.asarray(max_isometric_force_n, dtype=float)
    ls = np.asarray(tendon_slack_length_m, dtype=float)
    if not (np.all(np.isfinite(f0)) and np.all(f0 > 0.0)):
        raise ValueError(f"max_isometric_force_n: {max_isometric_force_n!r} N must be positive and finite")
    if not (np.all(np.isfinite(ls)) and np.all(ls > 0.0)):
        raise ValueError(f"tendon_slack_length_m: {tendon_slack_length_m!r} m must be positive and finite")
    return f0, ls


@dataclass(frozen=True, eq=False, kw_only=True)
class TendonEnergy:
    """Tendon energy over time and its totals (see the module doc for the model of loss).

    Shapes: ``n`` samples, ``...`` the trailing shape of the force (e.g. muscles), ``n_cycles``
    the number of cycles.

    Attributes
    ----------
    time_s : ndarray, (n,)
        Sample times (s).
    normalized_force, strain : ndarray, (n, ...)
        ``F / F0`` and tendon strain (0 when slack).
    energy_j : ndarray, (n, ...)
        Stored elastic energy ``U(t)`` (J).
    power_w : ndarray, (n, ...)
        Elastic tendon power ``-dU/dt`` (W), OpenSim's sign convention (``tendonPower = -F v_T``):
        positive while the tendon recoils (does work on the muscle-tendon ends), negative while
        it is stretched. Estimated with :func:`numpy.gradient`; the totals below use the exact
        energy increments instead.
    stored_j : ndarray, (...)
        Work done on the tendon while loading, the sum of the increases of ``U`` (J).
    unloading_j : ndarray, (...)
        Elastic energy released while unloading, the sum of the decreases of ``U`` (J).
    returned_j, loss_j : ndarray, (...)
        ``(1 - h) * unloading_j`` and ``h * unloading_j`` (J).
    initial_energy_j, final_energy_j : ndarray, (...)
        ``U`` at the first and last sample (J). Balance:
        ``initial + stored = returned + loss + final``.
    cycle_bounds_s : ndarray, (n_cycles + 1,)
        Cycle boundaries (s).
    cycle_stored_j, cycle_unloading_j, cycle_returned_j, cycle_loss_j : ndarray, (n_cycles, ...)
        The same totals per cycle (J).
    hysteresis : float
        Fraction ``h`` of the unloading work lost.
    max_isometric_force_n, tendon_slack_length_m : ndarray
        ``F0`` (N) and ``l_s`` (m) as given.
    curve : TendonCurve
        The force-length curve used.
    """

    time_s: np.ndarray
    normalized_force: np.ndarray
    strain: np.ndarray
    energy_j: np.ndarray
    power_w: np.ndarray
    stored_j: np.ndarray
    unloading_j: np.ndarray
    returned_j: np.ndarray
    loss_j: np.ndarray
    initial_energy_j: np.ndarray
    final_energy_j: np.ndarray
    cycle_bounds_s: np.ndarray
    cycle_stored_j: np.ndarray
    cycle_unloading_j: np.ndarray
    cycle_returned_j: np.ndarray
    cycle_loss_j: np.ndarray
    hysteresis: float
    max_isometric_force_n: np.ndarray
    tendon_slack_length_m: np.ndarray
    curve: TendonCurve

    @property
    def return_fraction(self) -> np.ndarray:
        """``returned_j / stored_j`` (NaN where nothing was stored)."""
        stored = np.asarray(self.stored_j, dtype=float)
        safe = np.where(stored > 0.0, stored, 1.0)
        return np.where(stored > 0.0, self.returned_j / safe, np.nan)


def _increments(energy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-interval increase and decrease (both >= 0) of ``energy`` along axis 0."""
    delta = np.diff(energy, axis=0)
    return np.maximum(delta, 0.0), np.maximum(-delta, 0.0)


def tendon_energy_timeseries(
    time_s: ArrayLike,
    tendon_force_n: ArrayLike,
    *,
    max_isometric_force_n: ArrayLike,
    tendon_slack_length_m: ArrayLike,
    strain_at_one_norm_force: float = DEFAULT_TENDON_STRAIN_AT_ONE_NORM_FORCE,
    hysteresis: float = DEFAULT_HYSTERESIS,
    cycle_bounds_s: Sequence[float] | np.ndarray | None = None,
) -> TendonEnergy:
    """Stored, returned and lost tendon energy from a tendon-force time series.

    Parameters
    ----------
    time_s : array, (n,)
        Strictly increasing sample times (s), ``n >= 2``.
    tendon_force_n : array, (n, ...)
        Tendon force (N); ``<= 0`` is a slack tendon. Trailing axes (e.g. muscles) are kept.
    max_isometric_force_n, tendon_slack_length_m : float or array broadcastable to ``(...)``
        ``F0`` (N) and tendon slack length ``l_s`` (m), positive.
    strain_at_one_norm_force : float
        Tendon strain at ``F0``; default 0.049 (OpenSim's DeGrooteFregly2016Muscle default).
    hysteresis : float
        Fraction of the unloading work lost, ``0 <= h < 1``; default 0.07 (Ker 1981). Published
        values: 0.06–0.11 in vitro (Bennett et al. 1986), 0.18 +/- 0.03 in vivo gastrocnemius
        tendon (Maganaris & Paul 2002).
    cycle_bounds_s : sequence of float, optional
        Increasing cycle boundaries within ``[time_s[0], time_s[-1]]`` (e.g. foot strikes); the
        force is interpolated linearly at boundaries between samples. Default: one cycle over
        the whole record.

    Returns
    -------
    TendonEnergy

    Raises
    ------
    ValueError
        Bad shapes, non-increasing times, out-of-range parameters or boundaries.
    """
    h = _check_hysteresis(hysteresis)
    t = np.asarray(time_s, dtype=float)
    force = np.asarray(tendon_force_n, dtype=float)
    if t.ndim != 1 or t.size < 2:
        raise ValueError("time_s: expected a 1-D array with at least 2 samples")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0.0):
        raise ValueError("time_s: must be finite and strictly increasing")
    if force.ndim < 1 or force.shape[0] != t.size:
        raise ValueError(f"tendon_force_n: first axis has {force.shape[:1]} samples, time_s has {t.size}")
    if not np.all(np.isfinite(force)):
        raise ValueError("tendon_force_n: contains non-finite values")
    f0, ls = _muscle_parameters(max_isometric_force_n, tendon_slack_length_m)
    curve = TendonCurve(strain_at_one_norm_force=strain_at_one_norm_force)

    bounds = _cycle_bounds(t, cycle_bounds_s)
    # Insert the cycle boundaries as samples (force linear in time between samples).
    t_all = np.union1d(t, bounds)
    flat = force.reshape(t.size, -1)
    force_all = np.stack([np.interp(t_all, t, flat[:, j]) for j in range(flat.shape[1])], axis=1)
    force_all = force_all.reshape((t_all.size,) + force.shape[1:])

    def energy_of(values: np.ndarray) -> np.ndarray:
        return f0 * ls * curve.normalized_energy(values / f0)

    energy = energy_of(force)
    energy_all = energy_of(force_all)
    up, down = _increments(energy_all)
    interval_cycle = np.searchsorted(bounds, t_all[:-1], side="right") - 1
    n_cycles = bounds.size - 1
    trailing = energy.shape[1:]
    cycle_up = np.zeros((n_cycles,) + trailing)
    cycle_down = np.zeros((n_cycles,) + trailing)
    for k in range(n_cycles):
        inside = interval_cycle == k
        cycle_up[k] = up[inside].sum(axis=0)
        cycle_down[k] = down[inside].sum(axis=0)

    stored = up.sum(axis=0)
    unloading = down.sum(axis=0)
    edge = 2 if t.size >= 3 else 1
    power = -np.gradient(energy, t, axis=0, edge_order=edge)
    normalized = force / f0
    return TendonEnergy(
        time_s=t,
        normalized_force=normalized,
        strain=curve.strain(normalized),
        energy_j=energy,
        power_w=power,
        stored_j=stored,
        unloading_j=unloading,
        returned_j=(1.0 - h) * unloading,
        loss_j=h * unloading,
        initial_energy_j=energy[0],
        final_energy_j=energy[-1],
        cycle_bounds_s=bounds,
        cycle_stored_j=cycle_up,
        cycle_unloading_j=cycle_down,
        cycle_returned_j=(1.0 - h) * cycle_down,
        cycle_loss_j=h * cycle_down,
        hysteresis=h,
        max_isometric_force_n=f0,
        tendon_slack_length_m=ls,
        curve=curve,
    )


def _cycle_bounds(t: np.ndarray, cycle_bounds_s: Sequence[float] | np.ndarray | None) -> np.ndarray:
    if cycle_bounds_s is None:
        return np.array([t[0], t[-1]])
    bounds = np.asarray(cycle_bounds_s, dtype=float)
    if bounds.ndim != 1 or bounds.size < 2:
        raise ValueError("cycle_bounds_s: expected at least 2 boundaries")
    if not np.all(np.isfinite(bounds)) or np.any(np.diff(bounds) <= 0.0):
        raise ValueError("cycle_bounds_s: must be finite and strictly increasing")
    if bounds[0] < t[0] or bounds[-1] > t[-1]:
        raise ValueError(
            f"cycle_bounds_s: [{bounds[0]:g}, {bounds[-1]:g}] s lies outside the record "
            f"[{t[0]:g}, {t[-1]:g}] s"
        )
    return bounds
