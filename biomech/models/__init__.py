"""Musculoskeletal models: specs (``models/*.yaml``) built into OpenSim models, standard models
loaded with functional muscle-group maps, and a symbolic (sympy) oracle of the planar skeleton."""

from biomech.models.build import DEFAULT_SPEC, MODELS_DIR, build, resolve_spec, skeleton
from biomech.models.groups import load_group_map
from biomech.models.load import load
from biomech.models.spec import ModelSpec, load_spec

__all__ = ["build", "skeleton", "load", "load_group_map", "load_spec", "resolve_spec", "ModelSpec",
           "DEFAULT_SPEC", "MODELS_DIR"]
