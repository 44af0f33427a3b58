"""biomech: joint loads, patellofemoral stress and elastic energy in forward and backward gait.

Built on OpenSim 4.6. Only :mod:`biomech.osim` imports ``opensim``; everything else works on
plain numpy/xarray data.
"""

__version__ = "0.1.0"
