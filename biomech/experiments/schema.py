"""Typed schema of an experiment file (``experiments/*.yaml``) and its loader.

An experiment names a subject, a model spec, a gait source, analysis options, ``conditions``
(crossed with each other) and a ``sweep:`` block (``mode: product`` or ``zip``) over gait
parameters, optional extra ``runs:`` (single points) and an ``executor:``. Gait parameters are the
fields of :class:`biomech.gait.synthesis.RunningInputs` (SI, angles in deg) plus ``step_rate_rel``
(a multiple of the direction's preferred step rate at the run's speed).

Every user error raises :class:`~biomech.errors.SpecError` with one line
``FILE: FIELD.PATH: what was expected``, e.g.
``experiments/x.yaml: sweep.step_rate_hz[2]: 6.0 Hz is above 5.5 Hz``. Ranges of gait parameters
are the ``physiological_ranges`` of ``biomech/gait/defaults.yaml``; the few ranges defined here
(subject, analyses, modelling fractions) say why next to them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    create_model,
)

from biomech.errors import SpecError, field_path
from biomech.io.config import read_yaml
from biomech.muscles.static_optimization import DEFAULT_RESERVE_OPTIMAL_FORCE_NM

__all__ = ["Experiment", "PARAMETERS", "ParamInfo", "load_experiment", "parse_experiment",
           "value_range"]

SCHEMA_NAME = "experiment"

# --------------------------------------------------------------------------- parameters ----


@dataclasses.dataclass(frozen=True)
class ParamInfo:
    """A gait parameter that experiments may set: its kind and accepted range (SI / deg)."""

    name: str
    kind: Literal["float", "optional_float", "int"]
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""


#: Ranges of inputs that are modelling choices of the planar synthesis, not published gait
#: parameters, so ``physiological_ranges`` in defaults.yaml does not list them.
_LOCAL_RANGES: dict[str, tuple[float, float, str]] = {
    # fractions of stance or swing: any value strictly inside the phase is meaningful
    "foot_flat_start": (0.0, 1.0, "1"),
    "foot_flat_end": (0.0, 1.0, "1"),
    # pelvis held at a fixed anterior tilt: standing tilt is about 10-15 deg and running adds a few
    # degrees; +/- 30 deg brackets anything a runner does (a value outside is a unit error)
    "pelvis_anterior_tilt_deg": (-30.0, 30.0, "deg"),
    # samples per step of the synthesis: fewer than 20 cannot resolve the contact phase (a 0.25 s
    # stance at 3 Hz step rate would get 5 samples); above 2000 only costs time
    "samples_per_step": (20, 2000, ""),
    "n_strides": (1, 20, ""),
    # multiple of the preferred step rate; step-rate manipulation studies use +/- 5-20 %
    # (Heiderscheit et al. 2011 MSSE 43:296 used +/- 5 and 10 %); 0.5-1.5 is a typo guard
    "step_rate_rel": (0.5, 1.5, "1"),
}


@cache
def _physiological_ranges() -> dict[str, dict]:
    from biomech.gait.params import DEFAULTS_FILE

    data = read_yaml(DEFAULTS_FILE, "gait defaults")
    assert isinstance(data, dict)
    return dict(data.get("physiological_ranges", {}))


def value_range(name: str) -> tuple[float | None, float | None, str]:
    """``(min, max, unit)`` accepted for gait parameter ``name`` (None: unbounded)."""
    if name in _LOCAL_RANGES:
        return _LOCAL_RANGES[name]
    rng = _physiological_ranges().get(name)
    if rng is None:
        return None, None, ""
    return float(rng["min"]), float(rng["max"]), str(rng.get("unit", ""))


@cache
def _parameters() -> dict[str, ParamInfo]:
    from biomech.gait.synthesis import RunningInputs

    kinds = {"float": "float", "float | None": "optional_float", "int": "int"}
    out: dict[str, ParamInfo] = {}
    for f in dataclasses.fields(RunningInputs):
        if f.name == "direction":
            continue
        kind = kinds.get(str(f.type).replace("Optional[float]", "float | None"))
        if kind is None:  # a new field of a type experiments do not know: not settable here
            continue
        lo, hi, unit = value_range(f.name)
        out[f.name] = ParamInfo(f.name, kind, lo, hi, unit)  # type: ignore[arg-type]
    lo, hi, unit = value_range("step_rate_rel")
    out["step_rate_rel"] = ParamInfo("step_rate_rel", "float", lo, hi, unit)
    # given instead of step_rate_hz / duty_factor (biomech.gait.params.ALIASES)
    for name in ("stride_length_m", "contact_time_s"):
        lo, hi, unit = value_range(name)
        out[name] = ParamInfo(name, "float", lo, hi, unit)
    return out


PARAMETERS = _parameters()


def _fmt(value: float) -> str:
    text = f"{value:g}"
    return text if any(c in text for c in ".enia") or isinstance(value, int) else text + ".0"


def _range_check(minimum: float | None, maximum: float | None, unit: str) -> Callable[[Any], Any]:
    suffix = "" if unit in ("", "1") else f" {unit}"

    def check(value: Any) -> Any:
        if value is None:
            return value
        if minimum is not None and value < minimum:
            raise ValueError(f"{_fmt(value)}{suffix} is below {_fmt(minimum)}{suffix}")
        if maximum is not None and value > maximum:
            raise ValueError(f"{_fmt(value)}{suffix} is above {_fmt(maximum)}{suffix}")
        return value

    return check


def _scalar_type(info: ParamInfo) -> Any:
    base: Any = int if info.kind == "int" else float
    checked = Annotated[base, AfterValidator(_range_check(info.minimum, info.maximum, info.unit))]
    return checked | None if info.kind == "optional_float" else checked


# --------------------------------------------------------------------------- sections ----


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Direction = Literal["forward", "backward"]
# Adult subjects: the segment scaling (de Leva 1996, adults) is not meant for children; a mass
# outside 30-200 kg or a stature outside 1.2-2.3 m is a unit error (e.g. pounds, cm).
Mass = Annotated[float, AfterValidator(_range_check(30.0, 200.0, "kg"))]
Height = Annotated[float, AfterValidator(_range_check(1.2, 2.3, "m"))]


class Subject(_Strict):
    """Body mass (kg) and stature (m); default: the model spec's defaults."""

    mass_kg: Mass | None = None
    height_m: Height | None = None


class ModelRef(_Strict):
    """Model spec: a YAML path (relative to the experiment file, the working folder or the
    repository) or a name in ``models/``."""

    spec: str = "models/running2d.yaml"


GaitParams = create_model(  # type: ignore[call-overload]
    "GaitParams", __base__=_Strict,
    **{name: (_scalar_type(info), None) for name, info in PARAMETERS.items()},
)


class Gait(_Strict):
    """Where each run's motion comes from.

    ``source: synthesis`` synthesises ``mode`` (running or walking;
    :func:`biomech.gait.synthesis.synthesise_running`) from the published defaults of the run's
    mode and direction plus ``params`` (fixed for every run),
    the conditions and the sweep. ``step_rate_rule`` says how the step rate follows a speed
    other than the direction's default when neither ``step_rate_hz`` nor ``step_rate_rel``
    fixes it: ``vs_speed`` uses ``step_rate_vs_speed`` of defaults.yaml where the direction has
    one, ``default`` keeps the published default. ``backward`` says how a backward run is made:
    ``synthesis`` (default) from the backward defaults and parameters; ``time_reversed`` as the
    forward synthesis at the backward run's speed, step rate and duty factor (forward defaults and
    the experiment's parameters otherwise), reversed in time (backward gait is close to reversed
    forward gait: Grasso, Bianchi & Lacquaniti 1998; Lee et al. 2013): a null model with the
    forward joint moments, in which only the muscles see the direction. ``source: files``
    analyses motions written by :meth:`biomech.gait.motion.Motion.to_files` (``motions``: their
    ``*_coordinates.mot``).
    """

    source: Literal["synthesis", "files"] = "synthesis"
    mode: Literal["running", "walking"] = "running"
    params: GaitParams = Field(default_factory=GaitParams)  # type: ignore[valid-type]
    step_rate_rule: Literal["vs_speed", "default"] = "vs_speed"
    backward: Literal["synthesis", "time_reversed"] = "synthesis"
    motions: list[str] | None = Field(default=None, min_length=1)


class Analyses(_Strict):
    """Options of :func:`biomech.pipeline.analyse_motion`."""

    # sum of activations^p: p = 2 is the usual choice (Crowninshield & Brand 1981 used p = 3);
    # outside 1-10 the problem is degenerate or numerically meaningless
    static_optimization_exponent: Annotated[float, AfterValidator(_range_check(1.0, 10.0, ""))] = 2.0
    # optimal force of the reserve actuators (N m): small so they only fill gaps; 0 is infeasible
    reserve_optimal_force_nm: Annotated[float, Field(gt=0.0, le=1000.0)] = DEFAULT_RESERVE_OPTIMAL_FORCE_NM
    # fraction of tendon unloading work lost: 0.07 Ker 1981 (default of biomech.energetics.tendon);
    # published 0.06-0.18 (Bennett et al. 1986; Maganaris & Paul 2002); above 0.5 is not tendon
    tendon_hysteresis: Annotated[float, AfterValidator(_range_check(0.0, 0.5, ""))] = 0.07
    # static optimization with rigid tendons (OpenSim's StaticOptimization) or with compliant
    # tendons in equilibrium with the fibres (biomech.muscles.compliant)
    tendon: Literal["rigid", "compliant"] = "rigid"


def _list_of(info: ParamInfo) -> Any:
    return list[_scalar_type(info)] | None  # type: ignore[misc]


_LIST_FIELDS = {name: (_list_of(info), Field(default=None, min_length=1))
                for name, info in PARAMETERS.items()}

Conditions = create_model(  # type: ignore[call-overload]
    "Conditions", __base__=_Strict,
    direction=(list[Direction] | None, Field(default=None, min_length=1)), **_LIST_FIELDS,
)
Sweep = create_model(  # type: ignore[call-overload]
    "Sweep", __base__=_Strict, mode=(Literal["product", "zip"], "product"), **_LIST_FIELDS,
)
RunPoint = create_model(  # type: ignore[call-overload]
    "RunPoint", __base__=_Strict, direction=(Direction | None, None),
    **{name: (_scalar_type(info), None) for name, info in PARAMETERS.items()},
)

JobQueueCluster = Literal["SLURMCluster", "PBSCluster", "SGECluster", "LSFCluster", "OARCluster",
                          "HTCondorCluster", "MoabCluster"]


class JobQueue(_Strict):
    """A ``dask_jobqueue`` cluster: the class name and its keyword arguments (``cores``,
    ``memory``, ``queue``, ``walltime``, ...); ``executor.jobs`` batch jobs are started."""

    cluster: JobQueueCluster
    kwargs: dict[str, Any] = Field(default_factory=dict)


class ExecutorSettings(_Strict):
    """Where runs execute: ``local`` (``jobs`` processes; 1 = in this process) or ``dask``
    (``scheduler`` address, a ``jobqueue`` cluster, or else a local Dask cluster of ``jobs``
    workers). Command-line flags override these."""

    kind: Literal["local", "dask"] = "local"
    jobs: Annotated[int, Field(ge=1, le=10000)] = 1
    scheduler: str | None = None
    jobqueue: JobQueue | None = None


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FUNCTION = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class Experiment(_Strict):
    """A validated experiment file; see the module docstring and ``experiments/*.yaml``."""

    name: Annotated[str, Field(pattern=_NAME.pattern, max_length=100)]
    description: str = ""
    subject: Subject = Field(default_factory=Subject)
    model: ModelRef = Field(default_factory=ModelRef)
    gait: Gait = Field(default_factory=Gait)
    analyses: Analyses = Field(default_factory=Analyses)
    conditions: Conditions = Field(default_factory=Conditions)  # type: ignore[valid-type]
    sweep: Sweep = Field(default_factory=Sweep)  # type: ignore[valid-type]
    runs: list[RunPoint] = Field(default_factory=list)  # type: ignore[valid-type]
    executor: ExecutorSettings = Field(default_factory=ExecutorSettings)
    #: ``module:function`` called as ``fn(config, run_dir) -> dict`` instead of the real run
    #: (:func:`biomech.experiments.runner.run_one`); for tests and custom pipelines.
    run_function: Annotated[str, Field(pattern=_FUNCTION.pattern)] | None = None

    _source: str = PrivateAttr(default="<experiment>")
    _text: str | None = PrivateAttr(default=None)
    _order: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> str:
        """The file the experiment was read from (``<experiment>`` for plain data)."""
        return self._source

    @property
    def text(self) -> str | None:
        """The file's text as given, or None for plain data."""
        return self._text

    def key_order(self, section: str) -> list[str]:
        """Keys of ``conditions`` or ``sweep`` in the order the file gives them."""
        return list(self._order.get(section, []))


# --------------------------------------------------------------------------- errors ----

_TYPE_WORDS = {
    "float_type": "a number", "int_type": "an integer", "string_type": "a string",
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
    "bool_type": "true or false", "int_from_float": "an integer",
}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic models anywhere in a type annotation (``X | None``, ``list[X]``, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def _allowed_fields(loc: tuple) -> list[str] | None:
    """Field names of the section at ``loc`` (for 'unknown field' messages)."""
    model: type[BaseModel] = Experiment
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        models = _models_in(field.annotation) if field is not None else []
        if not models:
            return None
        model = models[0]
    return list(model.model_fields)


def _describe(err: dict) -> str:
    kind, msg, loc = err["type"], err["msg"], tuple(err["loc"])
    got = err.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1])
        return "unknown field" + (f"; expected one of {', '.join(allowed)}" if allowed else "")
    if msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    if kind in _TYPE_WORDS:
        return f"got {got!r}; expected {_TYPE_WORDS[kind]}"
    if kind == "literal_error":
        return f"got {got!r}; expected {msg.removeprefix('Input should be ')}"
    if kind == "string_pattern_mismatch":
        if loc and loc[-1] == "run_function":
            return f"got {got!r}; expected 'module:function'"
        return f"got {got!r}; expected letters, digits, '_', '.', '-' (a folder name)"
    if kind == "too_short":
        return "expected at least one value"
    text = msg[0].lower() + msg[1:]
    return f"got {got!r}; expected {text.removeprefix('input should be ')}" \
        if isinstance(got, (int, float, str, bool)) else text


def _located(loc: tuple) -> tuple:
    """Drop pydantic's union/validator tags from a location (e.g. ``list[...]``)."""
    return tuple(p for p in loc if isinstance(p, int) or not any(c in str(p) for c in "[]()"))


# --------------------------------------------------------------------------- checks ----


def _set_fields(section: BaseModel) -> dict[str, Any]:
    return {k: getattr(section, k) for k in type(section).model_fields
            if getattr(section, k) is not None and k != "mode"}


def _cross_checks(exp: Experiment) -> None:
    src = exp.source
    params = _set_fields(exp.gait.params)
    cond = _set_fields(exp.conditions)
    sweep = _set_fields(exp.sweep)
    seen: dict[str, str] = {}
    for section, fields in (("gait.params", params), ("conditions", cond), ("sweep", sweep)):
        for name in fields:
            if name in seen:
                raise SpecError(src, f"{section}.{name}", f"also set in {seen[name]}; set it once")
            seen[name] = section
    if "step_rate_rel" in seen and "step_rate_hz" in seen:
        raise SpecError(src, f"{seen['step_rate_rel']}.step_rate_rel",
                        f"cannot be combined with step_rate_hz (in {seen['step_rate_hz']})")
    for i, point in enumerate(exp.runs):
        if point.step_rate_rel is not None and point.step_rate_hz is not None:
            raise SpecError(src, f"runs[{i}].step_rate_rel", "cannot be combined with step_rate_hz")
    if exp.sweep.mode == "zip" and sweep:
        lengths = {name: len(values) for name, values in sweep.items()}
        first = next(iter(lengths))
        for name, n in lengths.items():
            if n != lengths[first]:
                raise SpecError(src, f"sweep.{name}", f"has {n} values but sweep.{first} has "
                                f"{lengths[first]}; mode zip needs lists of equal length")
    # running needs a flight phase (duty factor = contact time / stride time < 0.5)
    places: list[tuple[str, Any]] = [("gait.params.duty_factor", params.get("duty_factor"))]
    for section, fields in (("conditions", cond), ("sweep", sweep)):
        places += [(f"{section}.duty_factor[{i}]", v) for i, v in enumerate(fields.get("duty_factor", []))]
    places += [(f"runs[{i}].duty_factor", p.duty_factor) for i, p in enumerate(exp.runs)]
    for where, value in places:
        if value is not None and value >= 0.5:
            raise SpecError(src, where, f"{_fmt(value)} is not below 0.5 (running needs a flight phase)")
    if exp.gait.source == "files":
        if exp.gait.motions is None:
            raise SpecError(src, "gait.motions", "required with gait.source: files (a list of "
                            "*_coordinates.mot files written by Motion.to_files)")
        for section, fields in (("gait.params", params), ("conditions", cond), ("sweep", sweep)):
            if fields:
                raise SpecError(src, f"{section}.{next(iter(fields))}",
                                "gait parameters only apply to gait.source: synthesis")
        if exp.runs:
            raise SpecError(src, "runs", "extra runs only apply to gait.source: synthesis")
        if exp.gait.backward != "synthesis":
            raise SpecError(src, "gait.backward", "only applies to gait.source: synthesis")
    elif exp.gait.motions is not None:
        raise SpecError(src, "gait.motions", "only used with gait.source: files")
    ex = exp.executor
    if ex.kind == "local" and (ex.scheduler or ex.jobqueue):
        which = "scheduler" if ex.scheduler else "jobqueue"
        raise SpecError(src, f"executor.{which}", "only used with executor.kind: dask")
    if ex.scheduler and ex.jobqueue:
        raise SpecError(src, "executor.jobqueue", "give either executor.scheduler or "
                        "executor.jobqueue, not both")


# --------------------------------------------------------------------------- loading ----


def parse_experiment(data: object, source: str = "<experiment>", text: str | None = None) -> Experiment:
    """Validate an experiment given as plain data (e.g. parsed YAML).

    Raises
    ------
    SpecError
        One line ``SOURCE: FIELD.PATH: what was expected`` for the first problem.
    """
    if not isinstance(data, dict):
        raise SpecError(source, "<root>", "expected a mapping (YAML dictionary) at the top level")
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise SpecError(source, field_path(_located(tuple(err["loc"]))), _describe(err)) from None
    exp._source = source
    exp._text = text
    exp._order = {s: [k for k in data.get(s) or {} if k != "mode"] for s in ("conditions", "sweep")
                  if isinstance(data.get(s), dict)}
    _cross_checks(exp)
    return exp


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment YAML file.

    Raises
    ------
    SpecError
        Missing file, bad YAML or a bad field: one line naming the file, the field path and what
        was expected.
    """
    path = Path(path)
    data = read_yaml(path, SCHEMA_NAME)
    return parse_experiment(data, str(path), text=path.read_text(encoding="utf-8"))
