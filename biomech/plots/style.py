"""The one plotting style of biomech: the ``biomech.mplstyle`` file and the direction colours.

Every figure is drawn inside ``with use_style():`` (or decorated with it) so that fonts, grid,
resolution and layout are the same everywhere. Forward (FR) and backward (BR) running keep one
colour each across all figures (Okabe-Ito palette, readable with colour-vision deficiency).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["DIRECTION_COLOURS", "STYLE_PATH", "direction_colour", "direction_label", "gait_mode",
           "use_style"]

#: The style file shipped with the package (``[tool.setuptools.package-data]``).
STYLE_PATH: Path = Path(__file__).with_name("biomech.mplstyle")

#: One colour per direction of travel, identical in every figure.
DIRECTION_COLOURS: dict[str, str] = {"forward": "#0072B2", "backward": "#D55E00"}
_OTHER_COLOURS = ("#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_SHORT = {"forward": "FR", "backward": "BR"}


def use_style() -> AbstractContextManager:
    """Context manager (also usable as a decorator) applying ``biomech.mplstyle``."""
    return plt.style.context(STYLE_PATH)


def direction_colour(direction: str) -> str:
    """Colour of a direction of travel (``"forward"``, ``"backward"``; others get a fixed fallback)."""
    key = str(direction).lower()
    if key in DIRECTION_COLOURS:
        return DIRECTION_COLOURS[key]
    return _OTHER_COLOURS[sum(map(ord, key)) % len(_OTHER_COLOURS)]


#: Gait mode of the labels being drawn ("running": FR/BR, "walking": FW/BW); see :func:`gait_mode`.
_MODE: ContextVar[str] = ContextVar("biomech_gait_mode", default="running")
_SHORT_WALK = {"forward": "FW", "backward": "BW"}


@contextmanager
def gait_mode(mode: str) -> Iterator[None]:
    """Within this block :func:`direction_label` names walking directions FW/BW."""
    token = _MODE.set(mode)
    try:
        yield
    finally:
        _MODE.reset(token)


def direction_label(direction: str, *, short: bool = False) -> str:
    """``"FR (forward)"`` / ``"BR (backward)"`` (``"FW"`` / ``"BW"`` inside ``gait_mode("walking")``),
    or just the abbreviation when ``short``."""
    key = str(direction).lower()
    table = _SHORT_WALK if _MODE.get() == "walking" else _SHORT
    if key not in table:
        return str(direction)
    return table[key] if short else f"{table[key]} ({key})"
