"""Patellofemoral (PF) contact area as a function of knee flexion.

Two curves are available through :func:`contact_area_m2`:

``method="besier2005"`` (default)
    Linear interpolation of the upright, open-MRI means of Besier et al. 2005 (J Orthop Res
    23:345, n = 16, 8 men and 8 women), "unloaded" condition (0.15 body weight per leg):

    =======  ======  ======  ======
    sex       0 deg  30 deg  60 deg
    =======  ======  ======  ======
    male       210     414     520   mm^2
    female    ~210     269     396   mm^2
    =======  ======  ======  ======

    The abstract gives the women's 30 and 60 deg values and says the women's area at 0 deg was
    *similar* to the men's; the 210 mm^2 used for women at 0 deg is therefore approximate.
    ``weight_bearing=True`` multiplies by 1.24: in the same study the areas under weight bearing
    (0.45 body weight per leg) were on average 24 % larger. Applying that mean factor uniformly
    over angle and sex is a simplification (the paper reports an average).

``method="quadratic"``
    ``A = 0.0781 theta**2 + 0.6763 theta + 151.75`` mm^2 with theta in degrees, a fit often quoted
    in running PF-stress papers and attributed to Powers et al. 1998 MRI data. **Unconfirmed**: we
    could not find the equation or its source data with the search tool (see ``LITERATURE_INPUTS``).
    ``sex`` and ``weight_bearing`` do not apply to it; it is used as printed.

Beyond the data
    Neither curve has confirmed data beyond 60 deg of flexion, and a straight-line or quadratic
    extrapolation grows without bound (the quadratic gives ~845 mm^2 at 90 deg), whereas
    in-vivo areas level off and fall again in deeper flexion. We therefore **hold the area
    constant at its 60 deg value** for theta > 60 deg, and :func:`contact_area_beyond_data` returns
    the mask of such frames so results can carry a flag. In running the stance knee flexion
    stays well below 60 deg, so stance values are interpolated, not held.

Angles enter in radians (positive = knee flexion) and areas leave in m^2.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = [
    "AREA_DATA_MAX_DEG",
    "BESIER2005_ANGLES_DEG",
    "BESIER2005_UNLOADED_MM2",
    "BESIER2005_WEIGHT_BEARING_FACTOR",
    "QUADRATIC_COEFFS_MM2",
    "THETA_MAX_DEG",
    "THETA_MIN_DEG",
    "AreaMethod",
    "Sex",
    "contact_area_beyond_data",
    "contact_area_m2",
    "flexion_deg",
]

Sex = Literal["male", "female"]
AreaMethod = Literal["besier2005", "quadratic"]

#: Accepted knee flexion range of the whole ``biomech.knee`` API (deg).
THETA_MIN_DEG = 0.0
THETA_MAX_DEG = 150.0

#: Besier et al. 2005 (J Orthop Res 23:345), abstract: flexion angles of the scans (deg).
BESIER2005_ANGLES_DEG = (0.0, 30.0, 60.0)
#: Mean unloaded (0.15 BW per leg) PF contact area (mm^2) at those angles; women at 0 deg are
#: "similar" to men in the abstract, so 210 mm^2 is approximate for them.
BESIER2005_UNLOADED_MM2: dict[str, tuple[float, float, float]] = {
    "male": (210.0, 414.0, 520.0),
    "female": (210.0, 269.0, 396.0),
}
#: Weight bearing (0.45 BW per leg) increased contact area by 24 % on average (Besier 2005).
BESIER2005_WEIGHT_BEARING_FACTOR = 1.24
#: Quadratic fit (mm^2, theta in deg), highest power first; attributed to Powers et al. 1998 data,
#: unconfirmed.
QUADRATIC_COEFFS_MM2 = (0.0781, 0.6763, 151.75)
#: Largest flexion angle with (confirmed) contact-area data; the area is held beyond it.
AREA_DATA_MAX_DEG = 60.0

_MM2_TO_M2 = 1e-6


def flexion_deg(theta_rad: object, *, name: str = "theta") -> np.ndarray:
    """Validate knee flexion angles (rad) and return them in degrees as a float array.

    Parameters
    ----------
    theta_rad
        Knee flexion angle(s) in rad, positive = flexion; scalar or 1-D.
    name
        Name used in error messages.

    Raises
    ------
    ValueError
        If the input is not numeric, has more than one dimension, contains NaN/inf, or lies
        outside 0-150 deg.
    """
    try:
        theta = np.asarray(theta_rad, dtype=float)
    except (TypeError, ValueError):
        got = type(theta_rad).__name__
        raise ValueError(f"{name}: expected knee flexion angles in rad, got {got}") from None
    if theta.ndim > 1:
        raise ValueError(f"{name}: expected a scalar or 1-D array of angles (rad), got shape {theta.shape}")
    bad = ~np.isfinite(theta)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise ValueError(f"{name}: non-finite value at index {i} (knee flexion in rad expected)")
    deg = np.degrees(theta)
    out = (deg < THETA_MIN_DEG) | (deg > THETA_MAX_DEG)
    if out.any():
        i = int(np.flatnonzero(out.ravel())[0])
        raise ValueError(
            f"{name}: {deg.ravel()[i]:.3g} deg at index {i} is outside "
            f"{THETA_MIN_DEG:g}-{THETA_MAX_DEG:g} deg (knee flexion in rad, positive = flexion)"
        )
    return deg


def _scalar_or_array(values: np.ndarray) -> np.ndarray:
    # 0-d input gives a numpy scalar back; arrays keep their shape.
    return values[()] if values.ndim == 0 else values


def contact_area_m2(
    theta_rad: object,
    *,
    sex: Sex = "male",
    weight_bearing: bool = True,
    method: AreaMethod = "besier2005",
) -> np.ndarray:
    """PF contact area (m^2) at knee flexion ``theta_rad``.

    Parameters
    ----------
    theta_rad
        Knee flexion (rad, positive = flexion), scalar or 1-D, within 0-150 deg.
    sex
        ``"male"`` or ``"female"`` table of Besier et al. 2005 (``method="besier2005"`` only).
    weight_bearing
        Multiply by 1.24, the mean weight-bearing increase of Besier et al. 2005
        (``method="besier2005"`` only).
    method
        ``"besier2005"``: linear interpolation of the table in the module docstring.
        ``"quadratic"``: ``0.0781 theta**2 + 0.6763 theta + 151.75`` mm^2 (theta in deg;
        unconfirmed source, see module docstring).

    Returns
    -------
    numpy.ndarray
        Contact area in m^2, same shape as ``theta_rad`` (a numpy scalar for scalar input). For
        theta > 60 deg the 60 deg value is returned (see :func:`contact_area_beyond_data`).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(contact_area_m2(np.radians(30.0), weight_bearing=False)) * 1e6, 6)
    414.0
    """
    deg = flexion_deg(theta_rad)
    held = np.minimum(deg, AREA_DATA_MAX_DEG)
    if method == "besier2005":
        if sex not in BESIER2005_UNLOADED_MM2:
            raise ValueError(f"sex: expected 'male' or 'female', got {sex!r}")
        if not isinstance(weight_bearing, (bool, np.bool_)):
            raise ValueError(f"weight_bearing: expected True or False, got {weight_bearing!r}")
        area_mm2 = np.interp(held, BESIER2005_ANGLES_DEG, BESIER2005_UNLOADED_MM2[sex])
        if weight_bearing:
            area_mm2 = area_mm2 * BESIER2005_WEIGHT_BEARING_FACTOR
    elif method == "quadratic":
        area_mm2 = np.polyval(QUADRATIC_COEFFS_MM2, held)
    else:
        raise ValueError(f"method: expected 'besier2005' or 'quadratic', got {method!r}")
    return _scalar_or_array(np.asarray(area_mm2, dtype=float) * _MM2_TO_M2)


def contact_area_beyond_data(theta_rad: object) -> np.ndarray:
    """Boolean mask: True where theta > 60 deg, i.e. where :func:`contact_area_m2` holds its
    60 deg value instead of using data."""
    return _scalar_or_array(flexion_deg(theta_rad) > AREA_DATA_MAX_DEG)
