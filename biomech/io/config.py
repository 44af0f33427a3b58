"""YAML configuration files (model specs, group maps, experiments): read with clear errors."""

from __future__ import annotations

from pathlib import Path

import yaml

from biomech.errors import SpecError


def read_yaml(path: str | Path, kind: str) -> object:
    """Parse a YAML file; a missing file or bad YAML raises a one-line :class:`SpecError`.

    ``kind`` names the file's role in the message (e.g. ``"model spec"``).
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(str(path), "<file>", f"no such {kind} file")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "<file>"
        raise SpecError(str(path), where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None
