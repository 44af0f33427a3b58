"""File formats: OpenSim ``.mot``/``.sto`` tables and ``ExternalLoads`` ``.xml`` (no OpenSim)."""

from biomech.io.external_loads import (
    ExternalForceSpec,
    ExternalLoadsSpec,
    LoadArrays,
    grf_identifiers,
    loads_from_table,
    read_external_loads,
    write_external_loads,
)
from biomech.io.storage import (
    MotionFileWarning,
    Table,
    atomic_write_text,
    read_table,
    write_table,
)

__all__ = [
    "ExternalForceSpec",
    "ExternalLoadsSpec",
    "LoadArrays",
    "MotionFileWarning",
    "Table",
    "atomic_write_text",
    "grf_identifiers",
    "loads_from_table",
    "read_external_loads",
    "read_table",
    "write_external_loads",
    "write_table",
]
