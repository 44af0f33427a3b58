"""Expansion of an experiment into fully resolved runs, and run ids.

Order of the runs: ``conditions`` vary slowest (crossed, in the order of the file), then the
``sweep`` points (``product``: the first key varies slowest, as :func:`itertools.product`;
``zip``: element by element), then the extra ``runs:``. Runs that resolve to the same config
(e.g. an extra run at the preferred speed that a matched-speed run already covers) are kept once.

A run config is plain JSON data with every default filled in: subject (kg, m), model spec (path
and SHA-256 of its file), the gait (all :class:`~biomech.gait.synthesis.RunningInputs` fields, or
the motion files and their SHA-256) and the analysis options. Its id is the first 12 hex digits of
the SHA-256 of its canonical JSON (sorted keys, no spaces); where results are written and how
runs are executed are not part of it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import math
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from biomech.errors import BiomechError, SpecError
from biomech.experiments.schema import PARAMETERS, Experiment, value_range

__all__ = ["CONFIG_SCHEMA", "DEFAULT_RUN_FUNCTION", "Run", "canonical_json", "expand",
           "preferred_step_rate_hz", "repo_root", "resolve_path", "run_id"]

log = logging.getLogger(__name__)

CONFIG_SCHEMA = "biomech.experiments.run/1"
DEFAULT_RUN_FUNCTION = "biomech.experiments.runner:run_one"
#: Resolved step rates are rounded to this many decimals (1e-9 Hz) so that float noise such as
#: 0.9 * 2.8 = 2.5199999999999996 does not show in tables (it would not change the hash).
_STEP_RATE_DECIMALS = 9


@dataclasses.dataclass(frozen=True)
class Run:
    """One resolved run.

    Attributes
    ----------
    run_id : str
        12 hex digits, :func:`run_id` of ``config``.
    config : dict
        The resolved run config (JSON data; hashed).
    labels : dict
        What the experiment file set for this run (conditions, sweep values, extra-run fields),
        e.g. ``{"direction": "backward", "speed_m_s": 3.0, "step_rate_rel": 0.9}``; not hashed.
    notes : tuple of str
        How defaults were resolved where it is worth saying (e.g. an extrapolated step rate).
    """

    run_id: str
    config: dict[str, Any]
    labels: dict[str, Any]
    notes: tuple[str, ...] = ()

    @property
    def inputs(self) -> dict[str, Any]:
        """The gait inputs of a synthesised run (empty for motion files), with the direction the
        run travels (``backward`` for a time-reversed forward synthesis)."""
        inputs = dict(self.config["gait"].get("inputs", {}))
        if self.config["gait"].get("time_reversed"):
            inputs["direction"] = "backward"
        return inputs


def canonical_json(config: dict[str, Any]) -> str:
    """Canonical JSON of a run config: sorted keys, no spaces, finite numbers only."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)


def run_id(config: dict[str, Any]) -> str:
    """Run id: the first 12 hex digits of the SHA-256 of :func:`canonical_json` of ``config``."""
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()[:12]


def repo_root() -> Path:
    """The repository (folder holding ``models/``), against which relative paths in run configs
    are resolved on workers."""
    from biomech.models.build import MODELS_DIR

    return MODELS_DIR.parent


def _relative_to_repo(path: Path) -> str:
    try:
        return path.resolve().relative_to(repo_root().resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def resolve_path(ref: str) -> Path:
    """A path stored in a run config: absolute, or relative to :func:`repo_root`."""
    path = Path(ref)
    return path if path.is_absolute() else repo_root() / path


def _find_file(ref: str, base: Path | None, *, kind: str, source: str, field: str) -> Path:
    candidates = [Path(ref)] if Path(ref).is_absolute() else [
        *([base / ref] if base else []), Path.cwd() / ref, repo_root() / ref]
    if kind == "model spec" and not Path(ref).suffix:
        candidates.append(repo_root() / "models" / f"{ref}.yaml")
    for path in candidates:
        if path.is_file():
            return path.resolve()
    raise SpecError(source, field, f"no such {kind} file {ref!r} (looked next to the experiment "
                    "file, in the working folder and in the repository)")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def _gait_defaults() -> dict[str, Any]:
    from biomech.gait.params import DEFAULTS_FILE
    from biomech.io.config import read_yaml

    data = read_yaml(DEFAULTS_FILE, "gait defaults")
    assert isinstance(data, dict)
    return data


def preferred_step_rate_hz(direction: str, speed_m_s: float, rule: str = "vs_speed",
                           mode: str = "running") -> tuple[float, str]:
    """Preferred step rate (Hz, both feet) of ``mode`` ``direction`` at ``speed_m_s`` (m/s).

    ``rule="vs_speed"``: the linear ``step_rate_vs_speed`` relation of
    ``biomech/gait/defaults.yaml`` for that direction (extrapolated outside its valid range, with
    a note), or the published default step rate where the direction has no relation;
    ``rule="default"``: the published default whatever the speed. Returns ``(Hz, note)``.
    """
    from biomech.gait.params import default_value

    default = float(default_value(mode, direction, "step_rate_hz"))
    if rule == "default":
        return default, ""
    relation = _gait_defaults()[mode][direction].get("step_rate_vs_speed")
    if not relation:
        return default, f"no step_rate_vs_speed for {direction}: published default {default:g} Hz"
    value = relation["intercept_hz"] + relation["slope_hz_per_m_s"] * speed_m_s
    lo, hi = relation.get("valid_range_m_s", (-math.inf, math.inf))
    note = ""
    if not lo <= speed_m_s <= hi:
        note = (f"{direction} step rate at {speed_m_s:g} m/s extrapolated from step_rate_vs_speed "
                f"(valid {lo:g}-{hi:g} m/s)")
    return round(value, _STEP_RATE_DECIMALS), note


def _points(exp: Experiment) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, labels) of every run point, in run order."""
    cond_keys = [k for k in exp.key_order("conditions") if getattr(exp.conditions, k) is not None]
    sweep_keys = [k for k in exp.key_order("sweep") if getattr(exp.sweep, k) is not None]
    cond_lists = [[(k, v) for v in getattr(exp.conditions, k)] for k in cond_keys]
    sweep_lists = [getattr(exp.sweep, k) for k in sweep_keys]
    if exp.sweep.mode == "zip":
        sweep_points = [dict(zip(sweep_keys, values, strict=True))
                        for values in zip(*sweep_lists, strict=True)] if sweep_keys else [{}]
    else:
        sweep_points = [dict(zip(sweep_keys, values, strict=True))
                        for values in itertools.product(*sweep_lists)]
    has_grid = bool(cond_keys or sweep_keys)
    if has_grid or not exp.runs:
        for cond in itertools.product(*cond_lists):
            for point in sweep_points:
                yield "sweep" if sweep_keys else "conditions", {**dict(cond), **point}
    for i, extra in enumerate(exp.runs):
        yield f"runs[{i}]", {k: v for k, v in extra.model_dump().items() if v is not None}


def _label_text(labels: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items()) or "defaults"


#: Gait aliases that set the stride timing (replaced by the resolved values when a backward run
#: is made by time reversal of the forward synthesis).
_STRIDE_ALIASES = ("stride_length_m", "contact_time_s")


def _synthesis_inputs(exp: Experiment, labels: dict[str, Any], where: str
                      ) -> tuple[dict, list[str], bool]:
    """The run's resolved gait inputs, notes, and whether the runner reverses the motion in time
    (a backward run with ``gait.backward: time_reversed``: the inputs are then forward ones)."""
    from biomech.gait.params import default_value, gait_inputs

    point = {k: v for k, v in exp.gait.params.model_dump().items() if v is not None}
    point.update(labels)
    direction = point.pop("direction", "forward")
    rel = point.pop("step_rate_rel", None)
    ints = {k: point.pop(k) for k in list(point) if PARAMETERS[k].kind == "int"}
    notes: list[str] = []
    mode = exp.gait.mode
    speed = point.get("speed_m_s", float(default_value(mode, direction, "speed_m_s")))
    if "stride_length_m" in point and rel is not None:
        raise SpecError(exp.source, where, f"({_label_text(labels)}) step_rate_rel: not with "
                        "stride_length_m (the stride length sets the step rate)")
    if "step_rate_hz" not in point and "stride_length_m" not in point:
        base, note = preferred_step_rate_hz(direction, speed, exp.gait.step_rate_rule, mode)
        if note:
            notes.append(note)
        point["step_rate_hz"] = round(base * (1.0 if rel is None else rel), _STEP_RATE_DECIMALS)
        lo, hi, unit = value_range("step_rate_hz")
        value = point["step_rate_hz"]
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bound = f"below {lo:g}" if lo is not None and value < lo else f"above {hi:g}"
            raise SpecError(exp.source, where, f"({_label_text(labels)}) gives step_rate_hz "
                            f"{value:g} {unit}, {bound} {unit}")
    reversed_ = direction == "backward" and exp.gait.backward == "time_reversed"
    try:
        inputs = gait_inputs(mode, direction, **point)
        if reversed_:
            # the forward synthesis at the backward stride (speed, step rate, duty factor),
            # reversed in time by the runner
            stride = {k: getattr(inputs, k) for k in ("speed_m_s", "step_rate_hz", "duty_factor")}
            point = {k: v for k, v in point.items() if k not in _STRIDE_ALIASES}
            inputs = gait_inputs(mode, "forward", **{**point, **stride})
            notes.append("backward runs: the forward synthesis at the backward stride, reversed in "
                         "time (gait.backward: time_reversed)")
    except BiomechError as exc:
        raise SpecError(exp.source, where, f"({_label_text(labels)}) {exc}") from None
    inputs = dataclasses.replace(inputs, **ints)
    return dataclasses.asdict(inputs), notes, reversed_


def _base_config(exp: Experiment) -> dict[str, Any]:
    from biomech.models.spec import load_spec

    base = Path(exp.source).parent if exp.source != "<experiment>" else None
    spec_path = _find_file(exp.model.spec, base, kind="model spec", source=exp.source,
                           field="model.spec")
    spec = load_spec(spec_path)
    mass = exp.subject.mass_kg if exp.subject.mass_kg is not None else spec.defaults.mass_kg
    height = exp.subject.height_m if exp.subject.height_m is not None else spec.defaults.height_m
    config: dict[str, Any] = {
        "schema": CONFIG_SCHEMA,
        "subject": {"mass_kg": float(mass), "height_m": float(height)},
        "model": {"spec": _relative_to_repo(spec_path), "spec_sha256": _sha256(spec_path)},
        "analyses": {k: v if isinstance(v, str) else float(v)
                     for k, v in exp.analyses.model_dump().items()},
    }
    if exp.run_function and exp.run_function != DEFAULT_RUN_FUNCTION:
        config["run_function"] = exp.run_function
    return config


def _motion_gait(ref: str, base: Path | None, source: str, where: str) -> tuple[dict, dict]:
    path = _find_file(ref, base, kind="motion", source=source, field=where)
    if not path.name.endswith("_coordinates.mot"):
        raise SpecError(source, where, f"{ref!r}: expected a <stem>_coordinates.mot file written "
                        "by Motion.to_files")
    stem = path.name[: -len("_coordinates.mot")]
    files = sorted(p for p in path.parent.glob(f"{stem}_*") if p.is_file())
    gait = {"source": "files", "coordinates": _relative_to_repo(path),
            "sha256": {p.name: _sha256(p) for p in files}}
    return gait, {"motion": stem}


def expand(exp: Experiment) -> list[Run]:
    """Resolve every run of ``exp`` (see the module docstring for order and ids).

    Raises
    ------
    SpecError
        A run whose resolved inputs are invalid (e.g. a relative step rate that gives a step
        rate out of range), a missing model spec or motion file; one line with the field.
    """
    base_config = _base_config(exp)
    runs: list[Run] = []
    seen: set[str] = set()
    if exp.gait.source == "files":
        base = Path(exp.source).parent if exp.source != "<experiment>" else None
        items = []
        for i, ref in enumerate(exp.gait.motions or []):
            gait, labels = _motion_gait(ref, base, exp.source, f"gait.motions[{i}]")
            items.append((gait, labels, []))
    else:
        items = []
        for where, labels in _points(exp):
            inputs, notes, reversed_ = _synthesis_inputs(exp, labels, where)
            gait = {"source": "synthesis", "mode": exp.gait.mode, "inputs": inputs}
            if reversed_:
                gait["time_reversed"] = True
            items.append((gait, labels, notes))
    for gait, labels, notes in items:
        config = {**base_config, "gait": gait}
        rid = run_id(config)
        if rid in seen:
            log.info("run %s (%s) duplicates an earlier run; kept once", rid, _label_text(labels))
            continue
        seen.add(rid)
        runs.append(Run(rid, config, labels, tuple(notes)))
    return runs
