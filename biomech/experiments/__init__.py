"""Experiments: YAML experiment files expanded into runs, executed locally or on Dask, results
stored per run (named by the hash of the run's resolved config) and summarised in ``runs.csv``.

Data flow: :mod:`.schema` (validate the file) -> :mod:`.sweep` (conditions x sweep -> resolved
run configs and their ids) -> :mod:`.engine` (skip finished runs, hand the rest to an
:mod:`.executors` executor) -> :mod:`.store` (atomic run directories, ``runs.csv``) with
:func:`.runner.run_one` doing one run (gait synthesis, :func:`biomech.pipeline.analyse_motion`,
:mod:`.outcomes`, :mod:`.curves`).

The names below are imported on first use, so that workers importing
:mod:`biomech.experiments.store` stay light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Experiment": "schema", "load_experiment": "schema", "parse_experiment": "schema",
    "Run": "sweep", "expand": "sweep", "run_id": "sweep",
    "ExperimentReport": "engine", "ExperimentInterrupted": "engine", "run_experiment": "engine",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'biomech.experiments' has no attribute {name!r}")
    return getattr(importlib.import_module(f"biomech.experiments.{_EXPORTS[name]}"), name)
