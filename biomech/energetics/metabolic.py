"""Muscle metabolic rate by the Umberger (2010) model: heat and work per muscle, whole-body
metabolic power (W, W/kg) and cost of transport (J/kg/m).

Sources
-------
* Umberger, Gerritsen & Martin 2003, "A model of human muscle energy expenditure", Comput Methods
  Biomech Biomed Engin 6:99-111 (the model; "Umberger 2003" below).
* Umberger 2010, "Stance and swing phase costs in human walking", J R Soc Interface 7:1329-1340
  (the modification used by default here; "Umberger 2010").
* OpenSim's ``Umberger2010MuscleMetabolicsProbe`` (opensim-core,
  ``OpenSim/Simulation/Model/Umberger2010MuscleMetabolicsProbe.h/.cpp``, 4.x): its documentation
  and computation were read for the equations and constants below, and
  ``tests/energetics/test_metabolic.py`` checks this module against the probe in OpenSim 4.6.

Conventions and inputs
----------------------
Arrays are ``(n_frames, n_muscles)``; per-muscle parameters are ``(n_muscles,)``. SI throughout.

* Fibre velocity ``v_CE`` (m/s) along the fibre: **lengthening positive, shortening negative**
  (OpenSim's ``Muscle::getFiberVelocity``). The model uses ``v = v_CE / l_opt`` in optimal fibre
  lengths per second (Umberger 2003 p. 101; *not* OpenSim's normalised velocity
  ``v_CE / (v_max l_opt)``, see :func:`fiber_velocity_m_s`).
* ``l = l_CE / l_opt``: normalised fibre length; ``F_iso``: the active force-length multiplier at
  that length; ``F_CE``: the *active* fibre force along the fibre (N), ``a F0 f_L f_V`` for a
  Hill-type muscle (no passive force, no pennation cosine), as OpenSim's ``getActiveFiberForce``.
* ``u``, ``a``: excitation and activation in [0, 1]. The model's activation term is
  ``A = u`` if ``u > a`` else ``(u + a) / 2`` (Umberger 2003). Static optimization has no
  activation dynamics, so ``u = a`` and ``A = a``: pass ``excitation=None`` for that.
* ``r``: slow-twitch fraction of the muscle, ``f = 1 - r`` the fast-twitch fraction.
* ``S``: the scaling factor, 1.5 for primarily aerobic activity, 1.0 for primarily anaerobic
  activity (Umberger 2003; the probe's ``aerobic_factor`` property states the same). Steady
  running is aerobic: default 1.5.
* ``m``: muscle mass (kg), ``m = F0 / sigma * rho * l_opt`` (:func:`muscle_mass_kg`).

Heat and work rates, per kg of muscle (W/kg)
--------------------------------------------
Activation and maintenance heat::

    h_AM = 128 f + 25                                   (W/kg; 25 all slow, 153 all fast)
    AMdot = h_AM * A^0.6 * S                            l <= 1
    AMdot = (0.4 h_AM + 0.6 h_AM F_iso) * A^0.6 * S     l >  1

Shortening and lengthening heat, with ``v_max`` the muscle's maximum contraction velocity in
``l_opt/s`` (fast-twitch), ``v_max / 2.5`` that of its slow-twitch fibres::

    alpha_S,fast = 153 / v_max
    alpha_S,slow = 100 / (v_max / 2.5)
    alpha_L      = 0.3 alpha_S,slow   (Umberger 2010)   or   4.0 alpha_S,slow   (Umberger 2003)

    shortening (v <= 0): Sdot = [r min(-alpha_S,slow v, 100) - f alpha_S,fast v] * A^2 * S
    lengthening (v > 0): Sdot = alpha_L v * A * S
    and for l > 1 both are multiplied by F_iso.

The slow-twitch term is capped at 100 W/kg, its value at the slow fibres' maximum shortening
velocity (as in the probe). Mechanical work rate of the contractile element::

    Wdot = -F_CE v_CE / m     shortening (positive work);
    lengthening: 0 (Umberger 2010, negative work left out) or -F_CE v_CE / m (Umberger 2003).

Umberger 2010 leaves negative fibre work out of ``Wdot`` and lowers the lengthening heat
coefficient from ``4 alpha_S,slow`` to ``0.3 alpha_S,slow`` to compensate (its supplementary
material; the probe's ``include_negative_mechanical_work = false``). ``include_negative_work=True``
selects the Umberger 2003 form, which is also the probe's default.

Floors
------
* **Minimum heat rate** (Umberger 2003 p. 104; the probe's ``enforce_minimum_heat_rate_per_muscle``,
  on by default): the total heat rate of a muscle, ``AMdot + Sdot``, is not allowed below
  1.0 W/kg of muscle mass. This applies to every muscle at every instant, active or not, so the
  muscles together never cost less than ``1 W/kg x`` their total mass. With the Umberger 2010
  form ``Wdot >= 0``, so every muscle's total rate is at least 1.0 W/kg.
* **Non-negative total** (optional, ``forbid_negative_total``; the probe's
  ``forbid_negative_total_power``, an OpenSim addition not in either paper): with negative work
  included, the heat rate is raised where needed so that ``AMdot + Sdot + Wdot >= 0`` (energy
  absorbed in lengthening ends up as heat: Constable, Barclay & Gibbs 1997 J Physiol 505:205).
  It is applied before the minimum heat rate, as in the probe.

Per muscle: ``Edot_i = m_i (max(heat_i, floors) + Wdot_i)`` (W).

Fibre recruitment (optional)
----------------------------
``bhargava_recruitment=True`` replaces ``r`` by the recruited slow-twitch fraction of Bhargava,
Pandy & Anderson 2004 (J Biomech 37:81), as the probe's ``use_Bhargava_recruitment_model``
(on by default in the probe, off in Umberger 2010 as published)::

    u_slow = r sin(pi u / 2),  u_fast = f (1 - cos(pi u / 2)),  r_eff = u_slow / (u_slow + u_fast)

with ``r_eff = 1`` at ``u = 0``.

Whole body
----------
Basal rate ``Bdot = c m_body^e`` (W) with the probe's defaults ``c = 1.2 W/kg``, ``e = 1``
(:data:`BASAL_COEFFICIENT_W_KG`; Kleiber's 70 kcal/day kg^-0.75 = 3.39 W kg^-0.75 gives
``3.39 m^0.75`` = 82 W = 1.17 W/kg for 70 kg, the same level). Total ``Edot = Bdot + sum_i Edot_i``;
mean power over the record (trapezoid, or over a window such as one stride), per kg of body mass,
and the cost of transport ``mean power / body mass / speed`` (J/kg/m). ``net_*`` leave the basal
rate out (muscles only).

Fibre types
-----------
:data:`SLOW_TWITCH_FRACTION` gives per muscle group of the ``running2d`` / gait10dof18musc model
the slow-twitch fraction compiled by Uchida, Hicks, Dembia & Delp 2016 (PLoS ONE 11:e0150378)
from human fibre-type studies, with 0.5 where they had none (iliopsoas, the adductors), as keyed to these
lumped muscles in Falisse et al.'s predictive-simulation code (``getSlowTwitchRatios_2D.m``; the
full per-muscle list is in ``antoinefalisse/3dpredictsim``, ``MetabolicEnergy/getSlowTwitchRatios.m``).
:data:`FAST_TWITCH_FRACTION` is ``1 -`` those values. Names such as ``soleus_r`` resolve to their
group by dropping a ``_r``/``_l`` suffix (:func:`fast_twitch_fraction`). For models with
individual muscles, :data:`SLOW_TWITCH_FRACTION_BY_MUSCLE` has the same compilation per gait2392
muscle (``getSlowTwitchRatios.m``, 0.5 where no data) and the Rajagopal 2016 muscles under their
own names, mapped to the same gait2392 muscles.

Muscle mass
-----------
``m = F0 l_opt rho / sigma`` with ``rho = 1059.7 kg/m^3`` and ``sigma = 0.25 MPa``, the probe's
defaults, which its documentation gives as values for mammalian muscle
(:data:`MUSCLE_DENSITY_KG_M3`, :data:`DEFAULT_SPECIFIC_TENSION_PA`; the density is the one usually
attributed to Mendez & Keys 1960 Metabolism 9:184). The heat rates are per kg of muscle, so the
muscles' heat scales with ``1 / sigma``. Use the specific tension the model's ``F0`` was derived
with: the running2d forces are Rajagopal et al. 2016 (IEEE Trans Biomed Eng 63:2068) PCSA times
60 N/cm^2 (:data:`SPECIFIC_TENSION_HIGH_PA`); 0.25 MPa gives those muscles 2.4 times their mass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "BASAL_COEFFICIENT_W_KG",
    "BASAL_EXPONENT",
    "DEFAULT_MAX_CONTRACTION_VELOCITY_LOPT_S",
    "DEFAULT_SPECIFIC_TENSION_PA",
    "FAST_TWITCH_FRACTION",
    "FAST_TWITCH_FRACTION_BY_MUSCLE",
    "MINIMUM_HEAT_RATE_W_KG",
    "MUSCLE_DENSITY_KG_M3",
    "SCALING_FACTOR_AEROBIC",
    "SCALING_FACTOR_ANAEROBIC",
    "SLOW_TWITCH_FRACTION",
    "SLOW_TWITCH_FRACTION_BY_MUSCLE",
    "SPECIFIC_TENSION_HIGH_PA",
    "MetabolicRate",
    "fast_twitch_fraction",
    "fiber_velocity_m_s",
    "muscle_mass_kg",
    "umberger2010_metabolic_rate",
]

# --------------------------------------------------------------------------------------------
# Published constants
# --------------------------------------------------------------------------------------------

#: Scaling factor S for primarily aerobic activity (steady walking or running): Umberger 2003;
#: the default of the probe's ``aerobic_factor``.
SCALING_FACTOR_AEROBIC = 1.5
#: Scaling factor S for primarily anaerobic activity: Umberger 2003.
SCALING_FACTOR_ANAEROBIC = 1.0

#: Minimum total heat rate per muscle (W per kg of muscle): Umberger 2003 p. 104.
MINIMUM_HEAT_RATE_W_KG = 1.0

#: Basal rate coefficient (W/kg^e) and exponent: defaults of the probe's ``basal_coefficient``
#: and ``basal_exponent`` (``Bdot = c m^e``).
BASAL_COEFFICIENT_W_KG = 1.2
BASAL_EXPONENT = 1.0

#: Muscle density (kg/m^3): the probe's default ``density`` ("mammalian muscle").
MUSCLE_DENSITY_KG_M3 = 1059.7
#: Specific tension (Pa) for muscle mass: the probe's default ``specific_tension`` ("mammalian muscle").
DEFAULT_SPECIFIC_TENSION_PA = 0.25e6
#: Alternative specific tension (Pa), 60 N/cm^2, used to set F0 from PCSA by Rajagopal et al. 2016.
SPECIFIC_TENSION_HIGH_PA = 0.6e6

#: Maximum contraction velocity (optimal fibre lengths per second): OpenSim's default
#: ``max_contraction_velocity`` of DeGrooteFregly2016Muscle (and of the running2d muscles).
DEFAULT_MAX_CONTRACTION_VELOCITY_LOPT_S = 10.0

# Model constants (Umberger 2003; as in the probe's computeProbeInputs).
_H_AM_FAST_W_KG = 128.0  # h_AM = 128 f + 25
_H_AM_BASE_W_KG = 25.0
_AM_EXPONENT = 0.6  # A^0.6
_AM_LONG_FIXED = 0.4  # l > 1: (0.4 + 0.6 F_iso) h_AM
_ALPHA_FAST_W_KG = 153.0  # alpha_S,fast = 153 / v_max
_ALPHA_SLOW_W_KG = 100.0  # alpha_S,slow = 100 / (v_max / 2.5)
_SLOW_VMAX_RATIO = 2.5  # v_max,slow = v_max / 2.5
_SLOW_SHORTENING_CAP_W_KG = 100.0  # cap of the slow-twitch shortening term
_ALPHA_L_2010 = 0.3  # alpha_L / alpha_S,slow, Umberger 2010
_ALPHA_L_2003 = 4.0  # alpha_L / alpha_S,slow, Umberger 2003

#: Slow-twitch fraction per muscle group of running2d (gait10dof18musc names, gait2392's two
#: adductors and its other ankle muscles), from Uchida et al. 2016 as keyed to these lumped
#: muscles in Falisse et al.'s ``getSlowTwitchRatios_2D.m`` (the gait2392 muscles:
#: ``getSlowTwitchRatios.m``).
#: The component each lumped value was taken from (3dpredictsim ``getSlowTwitchRatios.m``) is named.
SLOW_TWITCH_FRACTION: dict[str, float] = {
    "hamstrings": 0.5425,  # biceps femoris long head (bifemlh); semimem 0.4925, semiten 0.425
    "bifemsh": 0.529,  # biceps femoris short head
    "glut_max": 0.55,  # gluteus maximus (glut_max1-3)
    "iliopsoas": 0.50,  # no data: 0.5 (iliacus, psoas)
    "rect_fem": 0.3865,  # rectus femoris
    "vasti": 0.543,  # vastus intermedius; vas_med 0.503, vas_lat 0.455
    "gastroc": 0.566,  # medial gastrocnemius; lat_gas 0.507
    "soleus": 0.803,  # soleus
    "tib_ant": 0.70,  # tibialis anterior
    "add_long": 0.50,  # no data: 0.5 (gait2392 add_long in getSlowTwitchRatios.m)
    "add_brev": 0.50,  # no data: 0.5 (gait2392 add_brev)
    # the other ankle muscles, as gait2392's (getSlowTwitchRatios.m)
    **dict.fromkeys(("tib_post", "flex_dig", "flex_hal", "per_brev", "per_long"), 0.60),
    **dict.fromkeys(("ext_dig", "ext_hal"), 0.75),
}

#: Fast-twitch fraction ``1 - slow`` per muscle group (see :data:`SLOW_TWITCH_FRACTION`).
FAST_TWITCH_FRACTION: dict[str, float] = {k: round(1.0 - v, 6) for k, v in SLOW_TWITCH_FRACTION.items()}

#: Slow-twitch fraction per muscle of the gait2392 lower limb (the muscles of the Hamner 2010 and
#: gait2392 models, side suffix left out): Uchida et al. 2016 as compiled per muscle in Falisse
#: et al.'s ``3dpredictsim`` (``MetabolicEnergy/getSlowTwitchRatios.m``), 0.5 where no data.
_SLOW_GAIT2392: dict[str, float] = {
    **dict.fromkeys(("glut_med1", "glut_med2", "glut_med3", "glut_min1", "glut_min2", "glut_min3",
                     "glut_max1", "glut_max2", "glut_max3"), 0.55),
    "semimem": 0.4925, "semiten": 0.425, "bifemlh": 0.5425, "bifemsh": 0.529,
    **dict.fromkeys(("add_mag1", "add_mag2", "add_mag3"), 0.552),
    **dict.fromkeys(("sar", "tfl", "pect", "grac", "iliacus", "psoas", "quad_fem", "gem", "peri",
                     "add_long", "add_brev"), 0.50),
    "rect_fem": 0.3865, "vas_med": 0.503, "vas_int": 0.543, "vas_lat": 0.455,
    "med_gas": 0.566, "lat_gas": 0.507, "soleus": 0.803,
    **dict.fromkeys(("tib_post", "flex_dig", "flex_hal", "per_brev", "per_long"), 0.60),
    "tib_ant": 0.70,
    **dict.fromkeys(("per_tert", "ext_dig", "ext_hal"), 0.75),
    "ercspn": 0.60, "intobl": 0.56, "extobl": 0.58,
}
#: The same muscles under their Rajagopal et al. 2016 names (same anatomy, same values).
_RAJAGOPAL_AS_GAIT2392 = {
    "addbrev": "add_brev", "addlong": "add_long", "addmagDist": "add_mag1", "addmagIsch": "add_mag1",
    "addmagMid": "add_mag1", "addmagProx": "add_mag1", "bflh": "bifemlh", "bfsh": "bifemsh",
    "edl": "ext_dig", "ehl": "ext_hal", "fdl": "flex_dig", "fhl": "flex_hal", "gaslat": "lat_gas",
    "gasmed": "med_gas", "glmax1": "glut_max1", "glmax2": "glut_max2", "glmax3": "glut_max3",
    "glmed1": "glut_med1", "glmed2": "glut_med2", "glmed3": "glut_med3", "glmin1": "glut_min1",
    "glmin2": "glut_min2", "glmin3": "glut_min3", "perbrev": "per_brev", "perlong": "per_long",
    "piri": "peri", "recfem": "rect_fem", "sart": "sar", "tibant": "tib_ant", "tibpost": "tib_post",
    "vasint": "vas_int", "vaslat": "vas_lat", "vasmed": "vas_med",
}
#: Slow-twitch fraction per individual muscle (gait2392 and Rajagopal 2016 names, no side suffix),
#: for models whose muscles are not the lumped ones of :data:`SLOW_TWITCH_FRACTION`.
SLOW_TWITCH_FRACTION_BY_MUSCLE: dict[str, float] = {
    **_SLOW_GAIT2392, **{k: _SLOW_GAIT2392[v] for k, v in _RAJAGOPAL_AS_GAIT2392.items()}}
#: Fast-twitch fraction ``1 - slow`` per individual muscle.
FAST_TWITCH_FRACTION_BY_MUSCLE: dict[str, float] = {
    k: round(1.0 - v, 6) for k, v in SLOW_TWITCH_FRACTION_BY_MUSCLE.items()}
_DEFAULT_FAST = {**FAST_TWITCH_FRACTION_BY_MUSCLE, **FAST_TWITCH_FRACTION}

_SIDE_SUFFIXES = ("_r", "_l")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _positive_array(name: str, values: ArrayLike, unit: str, shape: tuple[int, ...] | None = None):
    array = np.asarray(values, dtype=float)
    if shape is not None:
        try:
            array = np.broadcast_to(array, shape).astype(float)
        except ValueError:
            raise ValueError(f"{name}: shape {array.shape} does not fit {shape}") from None
    if not (np.all(np.isfinite(array)) and np.all(array > 0.0)):
        bad = array[~(np.isfinite(array) & (array > 0.0))].ravel()[0]
        raise ValueError(f"{name}: {bad!r} {unit} must be positive and finite")
    return array


def _positive_scalar(name: str, value: float, unit: str, *, allow_zero: bool = False) -> float:
    number = float(value)
    ok = math.isfinite(number) and (number >= 0.0 if allow_zero else number > 0.0)
    if not ok:
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name}: {value!r} {unit} must be a {kind} finite number")
    return number


def muscle_mass_kg(
    *,
    max_isometric_force_n: ArrayLike,
    optimal_fiber_length_m: ArrayLike,
    specific_tension_pa: float = DEFAULT_SPECIFIC_TENSION_PA,
    density_kg_m3: float = MUSCLE_DENSITY_KG_M3,
) -> np.ndarray:
    """Muscle mass ``m = F0 / sigma * rho * l_opt`` (kg): PCSA ``F0 / sigma`` times fibre length.

    Defaults ``sigma = 0.25 MPa`` and ``rho = 1059.7 kg/m^3`` (the probe's; see the module doc).

    Examples
    --------
    >>> round(float(muscle_mass_kg(max_isometric_force_n=1000.0, optimal_fiber_length_m=0.1)), 6)
    0.42388
    """
    sigma = _positive_scalar("specific_tension_pa", specific_tension_pa, "Pa")
    rho = _positive_scalar("density_kg_m3", density_kg_m3, "kg/m^3")
    f0 = _positive_array("max_isometric_force_n", max_isometric_force_n, "N")
    lopt = _positive_array("optimal_fiber_length_m", optimal_fiber_length_m, "m")
    if f0.shape != lopt.shape:
        raise ValueError(f"max_isometric_force_n {f0.shape} and optimal_fiber_length_m {lopt.shape} differ")
    return f0 / sigma * rho * lopt


def fiber_velocity_m_s(
    *,
    norm_fiber_velocity: ArrayLike,
    optimal_fiber_length_m: ArrayLike,
    max_contraction_velocity_lopt_s: ArrayLike = DEFAULT_MAX_CONTRACTION_VELOCITY_LOPT_S,
) -> np.ndarray:
    """Fibre velocity (m/s, lengthening positive) from OpenSim's normalised fibre velocity.

    OpenSim's ``getNormalizedFiberVelocity`` is ``v_CE / (v_max l_opt)`` (checked for
    DeGrooteFregly2016Muscle in the tests), so ``v_CE = v~ v_max l_opt``; per-muscle parameters
    broadcast on the last axis.
    """
    lopt = _positive_array("optimal_fiber_length_m", optimal_fiber_length_m, "m")
    vmax = _positive_array("max_contraction_velocity_lopt_s", max_contraction_velocity_lopt_s, "l_opt/s")
    return np.asarray(norm_fiber_velocity, dtype=float) * vmax * lopt


def _group_of(name: str, table: Mapping[str, float]) -> str:
    if name in table:
        return name
    for suffix in _SIDE_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in table:
            return name[: -len(suffix)]
    raise ValueError(
        f"fast_twitch_fraction: no published value for muscle {name!r}; known: "
        + (', '.join(table) if len(table) <= 12 else
           f"the lumped groups {', '.join(FAST_TWITCH_FRACTION)} and "
           f"{len(table) - len(FAST_TWITCH_FRACTION)} gait2392 / Rajagopal 2016 muscles")
    )


def fast_twitch_fraction(
    muscle_names: Sequence[str], *, table: Mapping[str, float] | None = None
) -> np.ndarray:
    """Fast-twitch fraction per muscle from ``table`` (default: :data:`FAST_TWITCH_FRACTION` for
    the lumped muscles of running2d and gait10dof18musc, then
    :data:`FAST_TWITCH_FRACTION_BY_MUSCLE` for the gait2392 and Rajagopal 2016 muscles).

    A name is looked up as is, then without a ``_r`` / ``_l`` side suffix.

    Examples
    --------
    >>> fast_twitch_fraction(["soleus_r", "tib_ant_l"]).round(3).tolist()
    [0.197, 0.3]
    """
    return _lookup_fast_twitch(muscle_names, _DEFAULT_FAST if table is None else table)


def _lookup_fast_twitch(muscle_names: Sequence[str], table: Mapping[str, float]) -> np.ndarray:
    return np.array([table[_group_of(str(n), table)] for n in muscle_names], dtype=float)


def _frames(name: str, values: ArrayLike, shape: tuple[int, int] | None) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"{name}: expected shape (n_frames, n_muscles), got {array.shape}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name}: shape {array.shape} differs from activation {shape}")
    if np.any(np.isinf(array)):
        raise ValueError(f"{name}: contains infinite values")
    return array


def _unit_interval(name: str, array: np.ndarray) -> None:
    bad = ~np.isnan(array) & ((array < 0.0) | (array > 1.0))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"{name}: {array[i, j]!r} at frame {i}, muscle {j} is outside [0, 1]")


def _window_mean(t: np.ndarray, y: np.ndarray, window: tuple[float, float] | None) -> np.ndarray:
    """Time mean of the piecewise-linear ``y`` (axis 0) over ``window`` (default the record).

    NaN samples make the mean NaN when the window reaches them (``np.interp`` and the trapezoid
    propagate them).
    """
    if window is None:
        return np.trapezoid(y, t, axis=0) / (t[-1] - t[0])
    start, end = (float(w) for w in window)
    if not (t[0] <= start < end <= t[-1]):
        raise ValueError(f"average_window_s: {window!r} s must satisfy {t[0]} <= start < end <= {t[-1]}")
    inner = (t > start) & (t < end)
    grid = np.concatenate(([start], t[inner], [end]))
    flat = y.reshape(t.size, -1)
    values = np.column_stack([np.interp(grid, t, flat[:, k]) for k in range(flat.shape[1])])
    return (np.trapezoid(values, grid, axis=0) / (end - start)).reshape(y.shape[1:])


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, kw_only=True)
class MetabolicRate:
    """Metabolic rate per muscle and for the whole body (see the module doc for the model).

    Shapes: ``n`` frames, ``m`` muscles. Frames with NaN inputs (e.g. failed static-optimization
    frames) give NaN rates, and any mean that includes them is NaN.

    Attributes
    ----------
    muscle_names : tuple of str, (m,)
    time_s : ndarray, (n,), or None
    muscle_mass_kg, fast_twitch_fraction : ndarray, (m,)
        As used (kg; fraction 0-1).
    activation_maintenance_rate_w, shortening_rate_w : ndarray, (n, m)
        ``m AMdot`` and ``m Sdot`` (W), before the floors; ``shortening_rate_w`` includes the
        lengthening heat.
    mechanical_work_rate_w : ndarray, (n, m)
        ``m Wdot`` (W): fibre power, positive when shortening (zero when lengthening with the
        Umberger 2010 form).
    heat_rate_w : ndarray, (n, m)
        Total heat rate after the floors (W).
    rate_w : ndarray, (n, m)
        Metabolic rate per muscle, ``heat_rate_w + mechanical_work_rate_w`` (W).
    heat_floor_applied : ndarray of bool, (n, m)
        Where a floor raised the heat rate.
    basal_rate_w : float
        Whole-body basal rate (W; 0 when off).
    muscle_rate_w : ndarray, (n,)
        Sum of ``rate_w`` over muscles (W).
    total_rate_w, total_rate_w_kg : ndarray, (n,)
        ``basal_rate_w + muscle_rate_w`` (W) and per kg of body mass (W/kg).
    mean_rate_w : ndarray, (m,)
        Mean of ``rate_w`` per muscle over the averaging window (W; NaN without ``time_s``).
    mean_power_w, mean_power_w_kg : float
        Mean of ``total_rate_w`` (W, W/kg of body mass; NaN without ``time_s``).
    net_mean_power_w_kg : float
        The same without the basal rate (W/kg).
    cost_j_kg_m, net_cost_j_kg_m : float
        ``mean_power_w_kg / speed`` and ``net_mean_power_w_kg / speed`` (J/kg/m; NaN without
        ``speed_m_s`` or ``time_s``).
    average_window_s : tuple of float or None
        The window of the means (None: the whole record).
    body_mass_kg : float
    speed_m_s : float or None
    scaling_factor : float
    include_negative_work, forbid_negative_total, bhargava_recruitment : bool
    minimum_heat_rate_w_kg : float or None
    """

    muscle_names: tuple[str, ...]
    time_s: np.ndarray | None
    muscle_mass_kg: np.ndarray
    fast_twitch_fraction: np.ndarray
    activation_maintenance_rate_w: np.ndarray
    shortening_rate_w: np.ndarray
    mechanical_work_rate_w: np.ndarray
    heat_rate_w: np.ndarray
    rate_w: np.ndarray
    heat_floor_applied: np.ndarray
    basal_rate_w: float
    muscle_rate_w: np.ndarray
    total_rate_w: np.ndarray
    total_rate_w_kg: np.ndarray
    mean_rate_w: np.ndarray
    mean_power_w: float
    mean_power_w_kg: float
    net_mean_power_w_kg: float
    cost_j_kg_m: float
    net_cost_j_kg_m: float
    average_window_s: tuple[float, float] | None
    body_mass_kg: float
    speed_m_s: float | None
    scaling_factor: float
    include_negative_work: bool
    forbid_negative_total: bool
    bhargava_recruitment: bool
    minimum_heat_rate_w_kg: float | None

    def to_dataset(self):
        """The result as an ``xarray.Dataset``: dims ``time`` and ``muscle``, units in ``attrs``,
        scalars as 0-d variables, model settings in the Dataset's ``attrs``."""
        import xarray as xr

        n = self.rate_w.shape[0]
        coords: dict[str, object] = {"muscle": list(self.muscle_names)}
        if self.time_s is not None:
            coords["time"] = ("time", self.time_s, {"units": "s"})
        frame = (("time", "muscle"), "W")
        spec = {
            "metabolic_activation_maintenance_rate_w": (frame, self.activation_maintenance_rate_w),
            "metabolic_shortening_rate_w": (frame, self.shortening_rate_w),
            "metabolic_mechanical_work_rate_w": (frame, self.mechanical_work_rate_w),
            "metabolic_heat_rate_w": (frame, self.heat_rate_w),
            "metabolic_rate_w": (frame, self.rate_w),
            "metabolic_total_rate_w": ((("time",), "W"), self.total_rate_w),
            "metabolic_total_rate_w_kg": ((("time",), "W/kg"), self.total_rate_w_kg),
            "muscle_mass_kg": ((("muscle",), "kg"), self.muscle_mass_kg),
            "fast_twitch_fraction": ((("muscle",), "1"), self.fast_twitch_fraction),
            "metabolic_mean_rate_w": ((("muscle",), "W"), self.mean_rate_w),
            "metabolic_power_mean_w": (((), "W"), self.mean_power_w),
            "metabolic_power_mean_w_kg": (((), "W/kg"), self.mean_power_w_kg),
            "metabolic_power_net_mean_w_kg": (((), "W/kg"), self.net_mean_power_w_kg),
            "metabolic_cost_of_transport_j_kg_m": (((), "J/kg/m"), self.cost_j_kg_m),
            "metabolic_net_cost_of_transport_j_kg_m": (((), "J/kg/m"), self.net_cost_j_kg_m),
        }
        data = {
            key: (dims, np.asarray(value), {"units": unit}) for key, ((dims, unit), value) in spec.items()
        }
        data["metabolic_heat_floor_applied"] = (("time", "muscle"), self.heat_floor_applied, {"units": "1"})
        ds = xr.Dataset(data, coords=coords)
        if self.time_s is None:
            ds = ds.assign_coords(time=np.arange(n))
        ds.attrs.update(
            {
                "metabolic_model": "Umberger 2003" if self.include_negative_work else "Umberger 2010",
                "metabolic_scaling_factor": self.scaling_factor,
                "metabolic_minimum_heat_rate_w_kg": (
                    np.nan if self.minimum_heat_rate_w_kg is None else self.minimum_heat_rate_w_kg
                ),
                "metabolic_forbid_negative_total": int(self.forbid_negative_total),
                "metabolic_bhargava_recruitment": int(self.bhargava_recruitment),
                "metabolic_basal_rate_w": self.basal_rate_w,
            }
        )
        return ds


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


def umberger2010_metabolic_rate(
    *,
    activation: ArrayLike,
    norm_fiber_length: ArrayLike,
    fiber_velocity_m_s: ArrayLike,
    active_fiber_force_n: ArrayLike,
    active_force_length_multiplier: ArrayLike,
    optimal_fiber_length_m: ArrayLike,
    muscle_mass_kg: ArrayLike,
    muscle_names: Sequence[str],
    body_mass_kg: float,
    excitation: ArrayLike | None = None,
    fast_twitch_fraction: ArrayLike | None = None,
    max_contraction_velocity_lopt_s: ArrayLike = DEFAULT_MAX_CONTRACTION_VELOCITY_LOPT_S,
    time_s: ArrayLike | None = None,
    speed_m_s: float | None = None,
    average_window_s: tuple[float, float] | None = None,
    scaling_factor: float = SCALING_FACTOR_AEROBIC,
    include_negative_work: bool = False,
    minimum_heat_rate_w_kg: float | None = MINIMUM_HEAT_RATE_W_KG,
    forbid_negative_total: bool = False,
    bhargava_recruitment: bool = False,
    basal_coefficient_w_kg: float = BASAL_COEFFICIENT_W_KG,
    basal_exponent: float = BASAL_EXPONENT,
) -> MetabolicRate:
    """Metabolic rate of each muscle and of the body, Umberger 2010 (see the module doc).

    Parameters
    ----------
    activation : array, (n, m)
        Muscle activation ``a`` in [0, 1].
    norm_fiber_length : array, (n, m)
        ``l_CE / l_opt`` (positive).
    fiber_velocity_m_s : array, (n, m)
        Fibre velocity ``v_CE`` (m/s), **lengthening positive, shortening negative**.
    active_fiber_force_n : array, (n, m)
        Active fibre force ``F_CE`` (N) along the fibre, ``>= 0``.
    active_force_length_multiplier : array, (n, m)
        ``F_iso``, the active force-length multiplier (``>= 0``).
    optimal_fiber_length_m : array, (m,)
    muscle_mass_kg : array, (m,)
        Muscle masses (kg), e.g. from :func:`muscle_mass_kg`.
    muscle_names : sequence of str, (m,)
    body_mass_kg : float
        Whole-body mass (kg), for the basal rate and the per-kg outputs.
    excitation : array, (n, m), optional
        Excitation ``u`` in [0, 1]; default ``u = a`` (no activation dynamics, as in static
        optimization), which makes ``A = a``.
    fast_twitch_fraction : array, (m,), optional
        Default: :func:`fast_twitch_fraction` of ``muscle_names`` (published values).
    max_contraction_velocity_lopt_s : float or array (m,)
        ``v_max`` of the fast-twitch fibres (optimal fibre lengths per second); default 10.
    time_s : array, (n,), optional
        Strictly increasing sample times (s); needed for the means.
    speed_m_s : float, optional
        Speed of travel (m/s, positive in either direction); needed for the cost of transport.
    average_window_s : (start, end), optional
        Average over this window (e.g. one stride) instead of the whole record.
    scaling_factor : float
        ``S``: 1.5 primarily aerobic (default, steady running), 1.0 primarily anaerobic.
    include_negative_work : bool
        False: Umberger 2010 (``alpha_L = 0.3 alpha_S,slow``, negative fibre work left out).
        True: Umberger 2003 (``alpha_L = 4 alpha_S,slow``, ``Wdot = -F_CE v_CE`` always), the
        probe's default.
    minimum_heat_rate_w_kg : float or None
        Floor of ``AMdot + Sdot`` per kg of muscle (default 1.0, Umberger 2003); None: no floor.
    forbid_negative_total : bool
        Raise the heat so that each muscle's total is ``>= 0`` (the probe's
        ``forbid_negative_total_power``); matters only with negative work.
    bhargava_recruitment : bool
        Recruited slow-twitch fraction from the excitation (Bhargava et al. 2004).
    basal_coefficient_w_kg, basal_exponent : float
        Basal rate ``c m_body^e`` (W); ``c = 0`` turns it off. Defaults 1.2 and 1.0 (the probe's).

    Returns
    -------
    MetabolicRate

    Raises
    ------
    ValueError
        Shapes that disagree, activation or excitation outside [0, 1], negative or non-finite
        masses, lengths, forces, speeds or factors, an unknown muscle group; the message names
        the input.
    """
    a = _frames("activation", activation, None)
    shape = a.shape
    n, m = shape
    _unit_interval("activation", a)
    if excitation is None:
        u = a
    else:
        u = _frames("excitation", excitation, shape)
        _unit_interval("excitation", u)
    lnorm = _frames("norm_fiber_length", norm_fiber_length, shape)
    if np.any(lnorm <= 0.0):
        raise ValueError(f"norm_fiber_length: {np.nanmin(lnorm)!r} must be positive")
    v = _frames("fiber_velocity_m_s", fiber_velocity_m_s, shape)
    force = _frames("active_fiber_force_n", active_fiber_force_n, shape)
    if np.any(force < 0.0):
        raise ValueError(f"active_fiber_force_n: {np.nanmin(force)!r} N is negative (clip the force first)")
    f_iso = _frames("active_force_length_multiplier", active_force_length_multiplier, shape)
    if np.any(f_iso < 0.0):
        raise ValueError(f"active_force_length_multiplier: {np.nanmin(f_iso)!r} is negative")

    names = tuple(str(x) for x in muscle_names)
    if len(names) != m:
        raise ValueError(f"muscle_names: {len(names)} names for {m} muscles")
    lopt = _positive_array("optimal_fiber_length_m", optimal_fiber_length_m, "m", (m,))
    mass = _positive_array("muscle_mass_kg", muscle_mass_kg, "kg", (m,))
    vmax = _positive_array(
        "max_contraction_velocity_lopt_s", max_contraction_velocity_lopt_s, "l_opt/s", (m,)
    )
    if fast_twitch_fraction is None:
        fast = _lookup_fast_twitch(names, _DEFAULT_FAST)
    else:
        fast = np.asarray(fast_twitch_fraction, dtype=float)
        if fast.shape != (m,):
            raise ValueError(f"fast_twitch_fraction: shape {fast.shape} differs from ({m},)")
        if not np.all((fast >= 0.0) & (fast <= 1.0)):
            raise ValueError(f"fast_twitch_fraction: {fast.tolist()} must be in [0, 1]")
    body = _positive_scalar("body_mass_kg", body_mass_kg, "kg")
    s_factor = _positive_scalar("scaling_factor", scaling_factor, "")
    floor = None
    if minimum_heat_rate_w_kg is not None:
        floor = _positive_scalar("minimum_heat_rate_w_kg", minimum_heat_rate_w_kg, "W/kg", allow_zero=True)
    basal_c = _positive_scalar("basal_coefficient_w_kg", basal_coefficient_w_kg, "W/kg", allow_zero=True)
    basal_e = float(basal_exponent)
    if not math.isfinite(basal_e):
        raise ValueError(f"basal_exponent: {basal_exponent!r} must be finite")
    speed = None if speed_m_s is None else _positive_scalar("speed_m_s", speed_m_s, "m/s")
    t = None
    if time_s is not None:
        t = np.asarray(time_s, dtype=float)
        if t.shape != (n,) or n < 2:
            raise ValueError(f"time_s: expected shape ({n},) with at least 2 samples, got {t.shape}")
        if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0.0):
            raise ValueError("time_s: must be finite and strictly increasing")
    elif average_window_s is not None:
        raise ValueError("average_window_s: needs time_s")

    # Activation term A (Umberger 2003) and slow-twitch fraction (optionally recruited).
    big_a = np.where(u > a, u, 0.5 * (u + a))
    slow = np.broadcast_to(1.0 - fast, shape)
    if bhargava_recruitment:
        u_slow = slow * np.sin(0.5 * np.pi * u)
        u_fast = (1.0 - slow) * (1.0 - np.cos(0.5 * np.pi * u))
        total = u_slow + u_fast
        slow = np.where(u == 0.0, 1.0, u_slow / np.where(total > 0.0, total, 1.0))
    fast_eff = 1.0 - slow

    long = lnorm > 1.0
    # Activation and maintenance heat (W/kg).
    h_am = _H_AM_FAST_W_KG * fast_eff + _H_AM_BASE_W_KG
    h_am = np.where(long, h_am * (_AM_LONG_FIXED + (1.0 - _AM_LONG_FIXED) * f_iso), h_am)
    am = h_am * big_a**_AM_EXPONENT * s_factor

    # Shortening / lengthening heat (W/kg), v in optimal fibre lengths per second.
    vn = v / lopt
    alpha_fast = _ALPHA_FAST_W_KG / vmax
    alpha_slow = _ALPHA_SLOW_W_KG / (vmax / _SLOW_VMAX_RATIO)
    alpha_l = (_ALPHA_L_2003 if include_negative_work else _ALPHA_L_2010) * alpha_slow
    slow_term = np.minimum(-alpha_slow * vn, _SLOW_SHORTENING_CAP_W_KG)
    shortening = (slow * slow_term - fast_eff * alpha_fast * vn) * big_a**2 * s_factor
    lengthening = alpha_l * vn * big_a * s_factor
    sl = np.where(vn <= 0.0, shortening, lengthening)
    sl = np.where(long, sl * f_iso, sl) + 0.0  # + 0.0: no -0.0 at v = 0

    # Mechanical work rate of the contractile element (W/kg).
    power = -force * v + 0.0
    if not include_negative_work:
        power = np.where(v <= 0.0, power, 0.0)
    work = power / mass

    heat = am + sl
    raised = heat.copy()
    if forbid_negative_total:
        raised = np.maximum(raised, -work)
    if floor is not None:
        raised = np.maximum(raised, floor)
    applied = raised > heat
    rate_w_kg = raised + work

    rate = rate_w_kg * mass
    muscle_rate = rate.sum(axis=1)
    basal = basal_c * body**basal_e
    total = muscle_rate + basal
    nan = math.nan
    mean_rate = np.full(m, nan)
    mean_power = net_power = cost = net_cost = nan
    if t is not None:
        mean_rate = _window_mean(t, rate, average_window_s)
        mean_muscles = float(_window_mean(t, muscle_rate, average_window_s))
        mean_power = mean_muscles + basal
        net_power = mean_muscles / body
        if speed is not None:
            cost = mean_power / body / speed
            net_cost = net_power / speed
    return MetabolicRate(
        muscle_names=names,
        time_s=t,
        muscle_mass_kg=mass,
        fast_twitch_fraction=fast,
        activation_maintenance_rate_w=am * mass,
        shortening_rate_w=sl * mass,
        mechanical_work_rate_w=power,
        heat_rate_w=raised * mass,
        rate_w=rate,
        heat_floor_applied=applied,
        basal_rate_w=basal,
        muscle_rate_w=muscle_rate,
        total_rate_w=total,
        total_rate_w_kg=total / body,
        mean_rate_w=mean_rate,
        mean_power_w=mean_power,
        mean_power_w_kg=mean_power / body,
        net_mean_power_w_kg=net_power,
        cost_j_kg_m=cost,
        net_cost_j_kg_m=net_cost,
        average_window_s=None if average_window_s is None else tuple(float(x) for x in average_window_s),
        body_mass_kg=body,
        speed_m_s=speed,
        scaling_factor=s_factor,
        include_negative_work=bool(include_negative_work),
        forbid_negative_total=bool(forbid_negative_total),
        bhargava_recruitment=bool(bhargava_recruitment),
        minimum_heat_rate_w_kg=floor,
    )
