"""Exceptions raised for user errors: each carries a one-line message naming what was wrong."""

from __future__ import annotations


class BiomechError(Exception):
    """Base class for errors caused by user input (files, specs, parameters)."""


class SpecError(BiomechError):
    """A model or experiment specification is invalid.

    The message names the file, the field path and what was expected, on one line.
    """

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(f"{source}: {field}: {problem}")


class MotionFileError(BiomechError):
    """A motion, force or external-loads file cannot be read.

    The message is one line: ``<path>:<line>: <what was expected>`` (the line number is left out
    when the problem is not tied to one line).
    """

    def __init__(self, path: object, line: int | None, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = " ".join(str(problem).split())
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {self.problem}")

    def __reduce__(self) -> tuple[type[MotionFileError], tuple[str, int | None, str]]:
        # Rebuild from the parts so the error survives pickling (process pools).
        return (type(self), (self.path, self.line, self.problem))


def field_path(loc: tuple) -> str:
    """Dotted field path from a pydantic error location: ``("muscles", "vasti", "path", 2)`` ->
    ``muscles.vasti.path[2]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "<root>"


class SolverError(BiomechError):
    """An optimization (e.g. OpenSim Moco's MocoInverse) failed or did not converge.

    The message is one line: what was solved, the solver's status and how far it got.
    """
