"""Low-pass filtering of measured kinematics before inverse dynamics.

OpenSim's inverse dynamics tool low-pass filters the coordinates (e.g. 6 Hz in the
gait10dof18musc pipeline) before differentiating them; :func:`lowpass_motion` does the same
with a zero-lag (forward-backward) Butterworth filter, then recomputes speeds and accelerations
from a quintic spline.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.signal import butter, filtfilt

from biomech.errors import BiomechError
from biomech.gait.motion import Motion, spline_derivatives


def lowpass(time_s: np.ndarray, values: np.ndarray, cutoff_hz: float, *, order: int = 2) -> np.ndarray:
    """Zero-lag Butterworth low-pass (``order`` per pass, applied forward and backward).

    ``time_s`` must be uniformly sampled; ``values`` has time along axis 0 (any unit).
    """
    time_s = np.asarray(time_s, dtype=float)
    dt = np.diff(time_s)
    if dt.size < 1 or np.ptp(dt) > 1e-6 * dt.mean():
        raise BiomechError("lowpass: time_s must be uniformly sampled")
    nyquist = 0.5 / dt.mean()
    if not 0 < cutoff_hz < nyquist:
        raise BiomechError(f"cutoff_hz: {cutoff_hz:g} Hz must be between 0 and the Nyquist "
                           f"frequency {nyquist:g} Hz")
    b, a = butter(order, cutoff_hz / nyquist)
    pad = min(3 * max(len(a), len(b)), len(time_s) - 1)
    return filtfilt(b, a, np.asarray(values, dtype=float), axis=0, padtype="odd", padlen=pad)


def lowpass_motion(motion: Motion, cutoff_hz: float, *, order: int = 2) -> Motion:
    """``motion`` with low-pass filtered coordinates and spline-consistent derivatives.

    External loads and events are kept as they are.
    """
    q = lowpass(motion.time_s, motion.q, cutoff_hz, order=order)
    qd, qdd = spline_derivatives(motion.time_s, q)
    params = {**motion.params, "lowpass_cutoff_hz": cutoff_hz, "lowpass_order": order}
    return dataclasses.replace(motion, q=q, qd=qd, qdd=qdd, params=params)
