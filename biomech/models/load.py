"""``load(path, groups=...)``: a standard ``.osim`` model with its functional muscle-group map."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from biomech.errors import SpecError
from biomech.models.groups import SIDES, GroupMap, Side, group_map_for, load_group_map


@dataclass(frozen=True)
class LoadedModel:
    """An initialised OpenSim model and the muscle-group map checked against it.

    Attributes
    ----------
    model : the ``opensim.Model`` (typed ``object`` so that only ``biomech.osim`` imports OpenSim)
    groups : functional muscle groups and sign conventions, None if no map was given or inferred
    path : the ``.osim`` file
    """

    model: object
    groups: GroupMap | None
    path: Path

    def muscles(self, group: str, side: Side = "r") -> tuple[str, ...]:
        """Muscle names of a functional ``group`` on ``side``."""
        if self.groups is None:
            raise SpecError(str(self.path), "groups", "no muscle-group map for this model; "
                            "pass groups= to load()")
        return self.groups.muscles(group, side)


def _resolve_groups(groups: GroupMap | str | Path | None, path: Path) -> GroupMap | None:
    if isinstance(groups, GroupMap):
        return groups
    if groups is None:
        return group_map_for(path.name)
    return load_group_map(groups)


def _check_against_model(gmap: GroupMap, model_path: Path, muscles: list[str],
                         coordinates: list[str]) -> None:
    source = gmap.source_label
    known = set(muscles)
    for group, sides in gmap.groups.items():
        for side in SIDES:
            for i, name in enumerate(sides[side]):
                if name in known:
                    continue
                close = difflib.get_close_matches(name, muscles, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise SpecError(source, f"groups.{group}.{side}[{i}]",
                                f"muscle '{name}' is not in {model_path.name} "
                                f"({len(muscles)} muscles){hint}")
    have = set(coordinates)
    for motion, stem in gmap.coordinates.items():
        for side in SIDES:
            if f"{stem}_{side}" not in have:
                raise SpecError(source, f"coordinate_signs.{motion}.coordinate",
                                f"coordinate '{stem}_{side}' is not in {model_path.name}")


def load(path: str | Path, groups: GroupMap | str | Path | None = None) -> LoadedModel:
    """Load and initialise an ``.osim`` model and check a muscle-group map against it.

    Parameters
    ----------
    path : the ``.osim`` file
    groups : a :class:`~biomech.models.groups.GroupMap`, a shipped map's name
        (``"gait10dof18musc"``, ``"rajagopal2016"``, ``"running2d"``) or the path of a YAML map.
        None: the shipped map whose name matches the file name (``Rajagopal2016.osim`` ->
        ``rajagopal2016``) or, failing that, the model's own name; no map if neither matches.

    Returns
    -------
    LoadedModel
        The model, the checked map (or None) and the file path.

    Raises
    ------
    SpecError
        The file is missing or OpenSim cannot read it (naming the path), the map is invalid, or
        a muscle or coordinate the map names is not in the model (naming the map file, the field,
        e.g. ``groups.quadriceps.r[2]``, and the missing name).
    """
    from biomech.osim.build import coordinate_names, load_model, muscle_names

    path = Path(path)
    if not path.is_file():
        raise SpecError(str(path), "<file>", "no such model file")
    gmap = _resolve_groups(groups, path)
    try:
        model = load_model(path)
    except RuntimeError as exc:  # OpenSim reports unreadable XML as RuntimeError
        first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), "unknown error")
        raise SpecError(str(path), "<file>", f"OpenSim could not load the model: {first}") from None
    if gmap is None:
        gmap = group_map_for(model.getName())
    if gmap is not None:
        _check_against_model(gmap, path, muscle_names(model), coordinate_names(model))
    return LoadedModel(model=model, groups=gmap, path=path)


__all__ = ["LoadedModel", "load"]
