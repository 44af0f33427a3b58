"""``build(spec, mass_kg=..., height_m=...)``: a model spec (YAML) to an initialised OpenSim model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from biomech.models.muscles import muscle_definitions
from biomech.models.skeleton import Skeleton, build_skeleton
from biomech.models.spec import ModelSpec, load_spec

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_SPEC = MODELS_DIR / "running2d.yaml"


@dataclass(frozen=True)
class Subject:
    """Body mass (kg) and stature (m)."""

    mass_kg: float
    height_m: float


def resolve_spec(spec: ModelSpec | str | Path | None) -> ModelSpec:
    """A validated spec from a spec object, a path, a name in ``models/``, or None (default)."""
    if spec is None:
        return load_spec(DEFAULT_SPEC)
    if isinstance(spec, ModelSpec):
        return spec
    path = Path(spec)
    if not path.suffix and not path.exists():
        path = MODELS_DIR / f"{spec}.yaml"
    return load_spec(path)


def skeleton(spec: ModelSpec | str | Path | None = None, *, mass_kg: float | None = None,
             height_m: float | None = None) -> Skeleton:
    """The scaled planar skeleton (pure data) that :func:`build` turns into OpenSim."""
    s = resolve_spec(spec)
    return build_skeleton(s, mass_kg=s.defaults.mass_kg if mass_kg is None else mass_kg,
                          height_m=s.defaults.height_m if height_m is None else height_m)


def build(spec: ModelSpec | str | Path | None = None, *, mass_kg: float | None = None,
          height_m: float | None = None, contact: bool | None = None,
          output: str | Path | None = None):
    """Build an initialised ``opensim.Model`` from a model spec, scaled to a subject.

    Parameters
    ----------
    spec : spec object, path to a YAML spec, a name in ``models/``, or None for ``running2d``
    mass_kg : body mass (kg); default from the spec
    height_m : stature (m); default from the spec
    contact : switch the foot-ground contact forces on/off; default from the spec
    output : if given, write the model there as ``.osim`` (atomically)
    """
    from biomech.osim.build import build_model, set_contact, write_model

    s = resolve_spec(spec)
    sk = skeleton(s, mass_kg=mass_kg, height_m=height_m)
    model = build_model(name=s.name, skeleton=sk, muscles=muscle_definitions(s, sk),
                        muscle_defaults=s.muscle_defaults, contact=s.contact,
                        foot_scale=sk.height_m / s.skeleton.foot.reference_stature_m)
    if contact is not None and contact != s.contact.enabled:
        set_contact(model, contact)
        model.initSystem()
    if output is not None:
        write_model(model, output)
    return model
