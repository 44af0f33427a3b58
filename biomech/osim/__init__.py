"""Thin layer around OpenSim: the only package that imports ``opensim``.

Importing it configures OpenSim's logger: no ``opensim.log`` file is written in the working
directory, the level is set to warnings, and messages are forwarded to the ``biomech.osim``
Python logger by :func:`drain_log`.
"""

from __future__ import annotations

import logging

import opensim as osim

log = logging.getLogger("biomech.osim")

osim.Logger.removeFileSink()
osim.Logger.setLevelString("Warn")
_SINK = osim.StringLogSink()
osim.Logger.addSink(_SINK)


def drain_log() -> None:
    """Forward what OpenSim logged since the last call to the ``biomech.osim`` logger."""
    text = _SINK.getString()
    if text:
        _SINK.clear()
        for line in text.splitlines():
            if line.strip():
                log.warning("opensim: %s", line.strip())


def opensim_version() -> str:
    """Version string of the OpenSim Python package."""
    return str(getattr(osim, "__version__", "unknown"))


__all__ = ["osim", "drain_log", "opensim_version", "log"]
