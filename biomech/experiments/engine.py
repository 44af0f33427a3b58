"""Run an experiment: expand it, skip finished runs, execute the rest, keep ``runs.csv`` current.

Finished runs (``status.json`` ``done``) are never recomputed; failed runs are retried; an
interrupt (Ctrl-C, SIGTERM through the CLI) cancels what has not finished, keeps what has, and
raises :class:`ExperimentInterrupted` (a ``KeyboardInterrupt``) carrying the report.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from biomech.experiments.executors import make_executor
from biomech.experiments.schema import PARAMETERS, ExecutorSettings, Experiment
from biomech.experiments.store import (
    DONE,
    FAILED,
    PENDING,
    ExperimentStore,
    execute_run,
    one_line_error,
    record_failure,
)
from biomech.experiments.sweep import DEFAULT_RUN_FUNCTION, Run, expand

__all__ = ["ExperimentInterrupted", "ExperimentReport", "run_experiment", "table_rows"]

log = logging.getLogger(__name__)

#: Condition columns of runs.csv that are always present (resolved inputs of each run).
ALWAYS = ("direction", "speed_m_s", "step_rate_hz")


@dataclass
class ExperimentReport:
    """What a session did: the runs, their records (``status``, ``error``, ``elapsed_s``,
    ``outcomes``) and where they are."""

    experiment: Experiment
    path: Path
    runs: list[Run]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: int = 0
    executed: int = 0
    executor: str = ""
    interrupted: bool = False

    def count(self, status: str) -> int:
        """Number of runs with ``status`` (``done``, ``failed``, ``pending``)."""
        return sum(1 for r in self.runs if self.records.get(r.run_id, {}).get("status", PENDING) == status)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows of ``runs.csv``."""
        return table_rows(self.runs, self.records)


class ExperimentInterrupted(KeyboardInterrupt):
    """The session was interrupted; ``report`` holds what finished."""

    def __init__(self, report: ExperimentReport) -> None:
        super().__init__("interrupted")
        self.report = report


def _condition_columns(runs: list[Run]) -> list[str]:
    """``direction``, ``speed_m_s``, ``step_rate_hz``, then what the
    experiment file varies (conditions, sweep and extra-run keys) in parameter order, then other
    labels (``motion``), then ``step_rate_rel``."""
    columns = list(ALWAYS)  # motion files: filled from the outcomes
    set_keys = {k for r in runs for k in r.labels}
    columns += [p for p in PARAMETERS if p in set_keys and p not in columns and p != "step_rate_rel"]
    columns += [k for k in dict.fromkeys(k for r in runs for k in r.labels)
                if k not in columns and k not in PARAMETERS]
    if "step_rate_rel" in set_keys:
        columns.append("step_rate_rel")
    return columns


def table_rows(runs: list[Run], records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per run: ``run_id``, ``status``, condition columns (``direction``,
    ``speed_m_s``, ``step_rate_hz`` and every parameter the file varies, as resolved for the run),
    the outcomes, ``elapsed_s`` and ``error``."""
    columns = _condition_columns(runs)
    rows = []
    for run in runs:
        record = records.get(run.run_id, {})
        row: dict[str, Any] = {"run_id": run.run_id, "status": record.get("status", PENDING)}
        for c in columns:
            row[c] = run.inputs[c] if c in run.inputs else run.labels.get(c)
        for key, value in (record.get("outcomes") or {}).items():
            if row.get(key) is None:  # an outcome JSON could not hold (NaN) is NaN
                row[key] = math.nan if value is None else value
        row["elapsed_s"] = record.get("elapsed_s")
        row["error"] = record.get("error")
        rows.append(row)
    return rows


def _settings(exp: Experiment, override: ExecutorSettings | None) -> ExecutorSettings:
    return override if override is not None else exp.executor


class _TqdmHandler(logging.Handler):
    """Console log records written above the progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # pragma: no cover (as logging.Handler does)
            self.handleError(record)


@contextlib.contextmanager
def _progress(total: int, initial: int, name: str, enabled: bool) -> Iterator[Any]:
    """A progress bar over runs (only on a terminal); console log lines go above it."""
    from tqdm import tqdm

    bar = tqdm(total=total, initial=initial, desc=name, unit="run", disable=None if enabled else True,
               dynamic_ncols=True, file=sys.stderr)
    root = logging.getLogger()
    swapped: list[tuple[logging.Handler, logging.Handler]] = []
    if not bar.disable:
        for handler in root.handlers:
            if type(handler) is logging.StreamHandler and handler.stream in (sys.stderr, sys.stdout):
                replacement = _TqdmHandler(handler.level)
                replacement.setFormatter(handler.formatter)
                swapped.append((handler, replacement))
    for old, new in swapped:
        root.removeHandler(old)
        root.addHandler(new)
    try:
        yield bar
    finally:
        for old, new in swapped:
            root.removeHandler(new)
            root.addHandler(old)
        bar.close()


def run_experiment(exp: Experiment, *, output: str | Path = "results",
                   executor: ExecutorSettings | None = None, progress: bool = True) -> ExperimentReport:
    """Run every run of ``exp`` that has not finished yet.

    Parameters
    ----------
    exp : Experiment
        A validated experiment (:func:`~biomech.experiments.schema.load_experiment`).
    output : path
        Results root; the experiment's folder is ``output / exp.name`` (see
        :mod:`biomech.experiments.store` for the layout).
    executor : ExecutorSettings, optional
        Overrides ``exp.executor``.
    progress : bool
        Show a progress bar (on a terminal).

    Returns
    -------
    ExperimentReport

    Raises
    ------
    ExperimentInterrupted
        On Ctrl-C; finished runs are kept and ``runs.csv`` is current.
    BiomechError
        Another session holds the experiment folder, or the executor cannot start.
    """
    runs = expand(exp)
    store = ExperimentStore(output, exp.name)
    settings = _settings(exp, executor)
    report = ExperimentReport(exp, store.path, runs)
    text = exp.text if exp.text is not None else _dump(exp)
    store.open(text)
    try:
        with store.log_to_file():
            _session(exp, store, settings, report, progress)
    finally:
        store.close()
    return report


def _dump(exp: Experiment) -> str:
    import yaml

    return yaml.safe_dump(exp.model_dump(exclude_defaults=True), sort_keys=False)


def _refresh(store: ExperimentStore, report: ExperimentReport) -> None:
    """Take the status of unfinished runs from disk (a worker may have published a run whose
    result the session did not receive)."""
    for run in report.runs:
        if report.records.get(run.run_id, {}).get("status") != DONE:
            status = store.status(run.run_id)
            if status is not None:
                report.records[run.run_id] = status


def _session(exp: Experiment, store: ExperimentStore, settings: ExecutorSettings,
             report: ExperimentReport, progress: bool) -> None:
    runs = report.runs
    _refresh(store, report)
    for run in runs:
        for note in run.notes:
            log.info("run %s: %s", run.run_id, note)
    todo = [r for r in runs if report.records.get(r.run_id, {}).get("status") != DONE]
    report.skipped = len(runs) - len(todo)
    log.info("experiment %s (%s): %d runs, %d already done, %d to run", exp.name, exp.source,
             len(runs), report.skipped, len(todo))
    store.write_table(report.rows)
    if not todo:
        return
    tasks = [{"run_id": r.run_id, "config": r.config, "experiment_dir": str(store.path),
              "run_function": exp.run_function or DEFAULT_RUN_FUNCTION} for r in todo]
    start = time.perf_counter()
    executor = make_executor(settings)
    report.executor = executor.description
    log.info("executing %d runs on %s", len(todo), executor.description)
    cancelled = True
    try:
        with _progress(len(runs), report.skipped, exp.name, progress) as bar:
            for done in executor.map_unordered(execute_run, tasks, [r.run_id for r in todo]):
                run = todo[done.index]
                if done.error is not None:  # the worker itself failed (died, lost, unpicklable)
                    error = one_line_error(done.error)
                    record = {"status": FAILED, "error": error, "elapsed_s": None, "outcomes": {}}
                    log.error("run %s: worker failed: %s", run.run_id, error)
                    record_failure(store.path, run.run_id, run.config, error)
                else:
                    record = done.value
                report.records[run.run_id] = record
                report.executed += 1
                labels = ", ".join(f"{k}={v}" for k, v in run.labels.items())
                if record["status"] == DONE:
                    log.info("run %s (%s) done in %.1f s", run.run_id, labels, record["elapsed_s"] or 0)
                else:
                    log.warning("run %s (%s) failed: %s", run.run_id, labels, record["error"])
                store.write_table(report.rows)
                bar.update(1)
                if report.count(FAILED):
                    bar.set_postfix(failed=report.count(FAILED))
        cancelled = False
    except KeyboardInterrupt:
        report.interrupted = True
        log.info("interrupted: %d of %d runs done; rerun to resume", report.count(DONE), len(runs))
        executor.close(cancel=True)
        _refresh(store, report)  # runs published while the interrupt arrived
        store.write_table(report.rows)
        raise ExperimentInterrupted(report) from None
    finally:
        if not report.interrupted:
            executor.close(cancel=cancelled)
    log.info("session finished in %.1f s: %d done, %d failed, %d pending", time.perf_counter() - start,
             report.count(DONE), report.count(FAILED), report.count(PENDING))
