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
    # Fractions of stance at which the foot becomes flat and the heel (or, backward, the toes)
    # starts to rise; no published running value was found, so mid-range values are assumed.
    "foot_flat_start": 0.2,
    "foot_flat_end": 0.6,
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


def running_inputs(direction: str = "forward", **overrides: float) -> RunningInputs:
    """Inputs for :func:`biomech.gait.synthesis.synthesise_running`.

    Defaults are the published means for ``direction`` at its reference speed; pass any
    :class:`~biomech.gait.synthesis.RunningInputs` field to override it (SI, angles in deg).
    Step rate and duty factor are NOT rescaled when only the speed is changed: give them too.
    """
    if direction not in ("forward", "backward"):
        raise BiomechError(f"direction: {direction!r} is not 'forward' or 'backward'")
    fields = set(RunningInputs.__dataclass_fields__) - {"direction"}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise BiomechError(f"{unknown[0]}: unknown gait parameter; expected one of {sorted(fields)}")
    values: dict = {}
    for name in ("speed_m_s", "step_rate_hz", "duty_factor", "foot_angle_at_contact_deg",
                 "foot_angle_at_toe_off_deg", "trunk_lean_deg", "knee_flexion_at_contact_deg",
                 "peak_swing_knee_flexion_deg", "peak_swing_hip_flexion_deg",
                 "swing_ankle_angle_deg"):
        values[name] = default_value("running", direction, name)
    # defaults.yaml also lists the minimum swing hip flexion; used as an extra swing via point it
    # made the swing foot dip further below the ground, so it is off unless asked for.
    values.update(ASSUMED)
    if direction == "backward":
        # Timing of the swing key angles in backward running: no published value; taken from
        # forward running under the time-reversal hypothesis (segment elevation angles of
        # backward gait are close to time-reversed forward gait: Grasso, Bianchi & Lacquaniti
        # 1998; Winter, Pluck & Yang 1989), so the hip's peak flexion moves to early swing.
        fr = RunningInputs.__dataclass_fields__
        values["peak_hip_swing_fraction"] = 1.0 - fr["peak_hip_swing_fraction"].default
        values["peak_knee_swing_fraction"] = 1.0 - fr["peak_knee_swing_fraction"].default
    values.update(overrides)
    for name, value in list(values.items()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values[name] = _check(name, value)
    if values["duty_factor"] >= 0.5:
        raise BiomechError(f"duty_factor: {values['duty_factor']:g} is not below 0.5 "
                           "(running needs a flight phase)")
    return RunningInputs(direction=direction, **values)
