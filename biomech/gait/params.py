"""Resolved inputs of gait synthesis: published defaults (``defaults.yaml``) plus user overrides.

Every default carries its source in ``biomech/gait/defaults.yaml`` (many are flagged
``confirmed: false`` there). Overrides are range-checked against the same file's
``physiological_ranges``; a bad value raises one line naming the field.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from biomech.errors import BiomechError
from biomech.gait.synthesis import RunningInputs
from biomech.io.config import read_yaml

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")

# Not in the published defaults; modelling choices of the planar synthesis, stated here:
ASSUMED = {
    # The pelvis is held upright; the trunk lean carries the posture.
    "pelvis_anterior_tilt_deg": 0.0,
}

#: Foot roll-over timing (fractions of stance) at which the foot becomes flat and at which the
#: heel (forward) or the forefoot (backward) leaves the ground. Forward: De Cock et al. 2005,
#: Gait Posture 21:432 (abstract, 220 adults, barefoot jogging at 3.3 m/s): initial contact
#: 8.2 %, forefoot contact 11.3 %, foot flat 25.3 %, forefoot push-off 55.1 % of stance. The
#: initial contact phase ends at the first metatarsal contact; the forefoot contact phase is the
#: latero-medial loading of the metatarsal heads. The rigid sole of this planar model is taken as
#: flat at forefoot flat (all metatarsal heads down, 19.5 %) and leaves flat at heel off (44.8 %).
#: Modelling choice: the sagittal sole reaches the ground somewhere between 8.2 % (first
#: metatarsal contact) and 19.5 %; De Cock's joggers were barefoot, whose landings are flatter
#: than the 12 deg (shod-like) default heel strike, which has further to rotate, so the later
#: event is used (an assumption, not a published timing). Moving it to 8.2 % lowers the FR
#: peak stance knee flexion by 1.6 deg and raises BR's by 4.6 deg (measured 2026-11-25).
#: Backward: no published roll-over timing was found; the time-reversal hypothesis (backward
#: gait close to time-reversed forward gait: Grasso, Bianchi & Lacquaniti 1998; Winter, Pluck &
#: Yang 1989) gives 55.2 % to 80.5 % (forefoot landing, slow heel lowering, forefoot-first
#: take-off). Not confirmed for running backwards.
FOOT_ROLL = {
    "forward": {"foot_flat_start": 0.082 + 0.113, "foot_flat_end": 0.082 + 0.113 + 0.253},
    "backward": {"foot_flat_start": 1.0 - (0.082 + 0.113 + 0.253), "foot_flat_end": 1.0 - (0.082 + 0.113)},
}

#: Walking roll-over timing (fractions of stance). Forward: heel rocker until the forefoot is
#: down at about 8 % of the gait cycle, heel rise at about 31 % (Perry 1992, Gait Analysis: the
#: rockers of stance; values from secondary descriptions, not read in the book here), with
#: stance 60 % of the cycle: 0.08 / 0.60 and 0.31 / 0.60. Backward: time-reversed forward
#: walking (Lee et al. 2013, Gait Posture 38:674: BW joint patterns close to time-reversed FW;
#: Grasso et al. 1998). Not confirmed.
FOOT_ROLL_WALKING = {
    "forward": {"foot_flat_start": 0.08 / 0.60, "foot_flat_end": 0.31 / 0.60},
    "backward": {"foot_flat_start": 1.0 - 0.31 / 0.60, "foot_flat_end": 1.0 - 0.08 / 0.60},
}


@cache
def _defaults() -> dict:
    data = read_yaml(DEFAULTS_FILE, "gait defaults")
    assert isinstance(data, dict)
    return data


def default_value(mode: str, direction: str, name: str) -> float:
    """The published default ``name`` for ``mode`` ('running'|'walking') and ``direction``."""
    try:
        return _defaults()[mode][direction][name]["value"]
    except KeyError:
        raise BiomechError(f"{DEFAULTS_FILE.name}: {mode}.{direction}.{name}: no default") from None


def _check(name: str, value: float) -> float:
    rng = _defaults().get("physiological_ranges", {}).get(name)
    if rng is None:
        return float(value)
    unit = rng.get("unit", "")
    if value < rng["min"]:
        raise BiomechError(f"{name}: {value:g} {unit} is below {rng['min']:g} {unit}")
    if value > rng["max"]:
        raise BiomechError(f"{name}: {value:g} {unit} is above {rng['max']:g} {unit}")
    return float(value)


#: Parameters accepted instead of a field: stride length instead of step rate, contact time
#: instead of duty factor, a named foot-strike pattern instead of the sole angle at contact.
ALIASES = {"stride_length_m": "step_rate_hz", "contact_time_s": "duty_factor",
           "foot_strike": "foot_angle_at_contact_deg"}
FOOT_STRIKES = ("rearfoot", "midfoot", "forefoot")


def foot_strike_angle_deg(mode: str, pattern: str) -> float:
    """Sole angle at contact (deg, + toes up) of a named foot-strike pattern (``defaults.yaml``
    ``foot_strike_angles_deg``)."""
    if pattern not in FOOT_STRIKES:
        raise BiomechError(f"foot_strike: {pattern!r} is not one of {', '.join(FOOT_STRIKES)}")
    return float(_defaults()["foot_strike_angles_deg"][pattern][mode])


def gait_inputs(mode: str = "running", direction: str = "forward", **overrides: float | str
                ) -> RunningInputs:
    """Inputs for :func:`biomech.gait.synthesis.synthesise_running` in ``mode`` 'running' or
    'walking'.

    Defaults are the published means for ``mode`` and ``direction`` at its reference speed; pass
    any :class:`~biomech.gait.synthesis.RunningInputs` field to override it (SI, angles in deg),
    or one of :data:`ALIASES`: ``stride_length_m`` (m, two steps; sets the step rate at the
    speed), ``contact_time_s`` (s; sets the duty factor at the step rate), ``foot_strike``
    ('rearfoot' | 'midfoot' | 'forefoot'; sets the sole angle at contact). Step rate and duty
    factor are NOT rescaled when only the speed is changed: give them too.
    """
    if mode not in ("running", "walking"):
        raise BiomechError(f"mode: {mode!r} is not 'running' or 'walking'")
    if direction not in ("forward", "backward"):
        raise BiomechError(f"direction: {direction!r} is not 'forward' or 'backward'")
    fields = set(RunningInputs.__dataclass_fields__) - {"direction", "mode"}
    unknown = sorted(set(overrides) - fields - set(ALIASES))
    if unknown:
        raise BiomechError(f"{unknown[0]}: unknown gait parameter; expected one of "
                           f"{sorted(fields | set(ALIASES))}")
    overrides = dict(overrides)
    aliases = {k: overrides.pop(k) for k in ALIASES if k in overrides}
    for alias, field_name in ALIASES.items():
        if alias in aliases and field_name in overrides:
            raise BiomechError(f"{alias}: give {alias} or {field_name}, not both")
    if "foot_strike" in aliases:
        overrides["foot_angle_at_contact_deg"] = foot_strike_angle_deg(mode, str(aliases["foot_strike"]))
    values: dict = {}
    for name in ("speed_m_s", "step_rate_hz", "duty_factor", "foot_angle_at_contact_deg",
                 "foot_angle_at_toe_off_deg", "trunk_lean_deg", "knee_flexion_at_contact_deg",
                 "peak_swing_knee_flexion_deg", "peak_swing_hip_flexion_deg", "swing_ankle_angle_deg",
                 "peak_knee_swing_fraction", "peak_hip_swing_fraction"):
        values[name] = default_value(mode, direction, name)
    values.update(ASSUMED)
    values.update((FOOT_ROLL if mode == "running" else FOOT_ROLL_WALKING)[direction])
    values.update(overrides)
    for name, value in list(values.items()):
        if name in ("samples_per_step", "n_strides"):
            if isinstance(value, bool) or not float(value).is_integer() or value < 1:
                raise BiomechError(f"{name}: expected a positive integer, got {value!r}")
            values[name] = int(value)
        elif name == "first_harmonic_dlf" and value is not None:
            if isinstance(value, bool) or not 0.0 <= float(value) < 1.0:
                raise BiomechError(f"first_harmonic_dlf: {value!r} is not in [0, 1)")
            values[name] = float(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values[name] = _check(name, value)
    values.update(_resolve_timing(values, aliases))
    given = (f"contact_time_s: {aliases['contact_time_s']:g} s gives " if "contact_time_s" in aliases
             else "")
    if mode == "running" and values["duty_factor"] >= 0.5:
        raise BiomechError(f"{given}duty_factor: {values['duty_factor']:g} is not below 0.5 "
                           "(running needs a flight phase)")
    if mode == "walking" and values["duty_factor"] <= 0.5:
        raise BiomechError(f"{given}duty_factor: {values['duty_factor']:g} is not above 0.5 "
                           "(walking needs double support)")
    return RunningInputs(direction=direction, mode=mode, **values)


def _resolve_timing(values: dict, aliases: dict) -> dict:
    """Step rate from ``stride_length_m`` and duty factor from ``contact_time_s`` (range-checked;
    an error names the parameter the user gave)."""
    out: dict = {}
    for alias, unit in (("stride_length_m", "m"), ("contact_time_s", "s")):
        if alias not in aliases:
            continue
        value = aliases[alias]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise BiomechError(f"{alias}: expected a positive number of {unit}, got {value!r}")
        _check(alias, float(value))
        if alias == "stride_length_m":
            derived, name = 2.0 * values["speed_m_s"] / float(value), "step_rate_hz"
        else:
            rate = out.get("step_rate_hz", values["step_rate_hz"])
            derived, name = float(value) * rate / 2.0, "duty_factor"
        try:
            out[name] = _check(name, derived)
        except BiomechError as exc:
            raise BiomechError(f"{alias}: {value:g} {unit} gives {exc}") from None
    return out


def running_inputs(direction: str = "forward", **overrides: float) -> RunningInputs:
    """Running inputs: :func:`gait_inputs` with ``mode="running"``."""
    return gait_inputs("running", direction, **overrides)


def walking_inputs(direction: str = "forward", **overrides: float) -> RunningInputs:
    """Walking inputs: :func:`gait_inputs` with ``mode="walking"``."""
    return gait_inputs("walking", direction, **overrides)
