"""Compare the muscle moment arms of two models over coordinate ranges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MomentArmComparison:
    """Moment arms of one muscle about one coordinate in two models, in model A's convention.

    Attributes
    ----------
    muscle, coordinate : names (the same in both models)
    angles_rad : coordinate values (rad, model A's sign convention)
    moment_arm_a_m, moment_arm_b_m : moment arms (m) at each angle; B's are converted to A's sign
        convention
    """

    muscle: str
    coordinate: str
    angles_rad: np.ndarray
    moment_arm_a_m: np.ndarray
    moment_arm_b_m: np.ndarray

    @property
    def difference_m(self) -> np.ndarray:
        """A minus B (m) at each angle."""
        return self.moment_arm_a_m - self.moment_arm_b_m

    @property
    def max_abs_difference_m(self) -> float:
        """Largest |A - B| over the angles (m)."""
        return float(np.max(np.abs(self.difference_m)))

    @property
    def angle_at_max_rad(self) -> float:
        """Angle (rad, A's convention) where |A - B| is largest."""
        return float(self.angles_rad[int(np.argmax(np.abs(self.difference_m)))])

    def describe(self) -> str:
        """One line: muscle, coordinate, worst angle (deg) and both moment arms there (cm)."""
        i = int(np.argmax(np.abs(self.difference_m)))
        return (f"{self.muscle} about {self.coordinate}: |diff| {self.max_abs_difference_m * 100:.2f}"
                f" cm at {np.degrees(self.angles_rad[i]):.0f} deg (A {self.moment_arm_a_m[i] * 100:.2f}"
                f" cm, B {self.moment_arm_b_m[i] * 100:.2f} cm)")


def compare_moment_arms(model_a: object, model_b: object, pairs: Iterable[tuple[str, str]], *,
                        angles_rad: Mapping[str, Sequence[float]],
                        signs_b: Mapping[str, int] | None = None,
                        pose: Mapping[str, float] | None = None) -> list[MomentArmComparison]:
    """Moment arms of the same muscles about the same coordinates in two models.

    Each pair is swept over ``angles_rad[coordinate]`` with every other coordinate in ``pose``
    held (so a biarticular muscle is sampled one joint at a time).

    Parameters
    ----------
    model_a, model_b : initialised ``opensim.Model`` objects with the muscle and coordinate names
    pairs : (muscle, coordinate) names present in both models
    angles_rad : coordinate -> values to sample (rad, model A's sign convention)
    signs_b : coordinate -> -1 where model B measures the coordinate with the opposite sign
        (e.g. knee flexion negative); B's angle and moment arm are then negated. Default +1.
    pose : coordinate values (rad or m, model A's convention) held during every sweep; default
        0 for every coordinate in ``angles_rad``; other coordinates keep their default values

    Returns
    -------
    list of MomentArmComparison
        One per pair, in the order given; moment arms in m, positive when tension drives the
        coordinate (A's convention) positively.
    """
    from biomech.osim.geometry import moment_arms

    signs = dict(signs_b or {})
    base = {c: 0.0 for c in angles_rad} if pose is None else dict(pose)
    base_b = {c: signs.get(c, 1) * v for c, v in base.items()}
    out = []
    for muscle, coordinate in pairs:
        s = signs.get(coordinate, 1)
        ang = np.asarray(angles_rad[coordinate], dtype=float)
        ma_a = moment_arms(model_a, muscle, coordinate, ang, base)
        ma_b = s * moment_arms(model_b, muscle, coordinate, s * ang, base_b)
        out.append(MomentArmComparison(muscle, coordinate, ang, ma_a, ma_b))
    return out


__all__ = ["MomentArmComparison", "compare_moment_arms"]
