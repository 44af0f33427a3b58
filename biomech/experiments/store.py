"""Results of an experiment on disk (a contract read by the figure code; keep it stable)::

    <results_root>/<experiment_name>/
      experiment.yaml      the experiment file as given
      experiment.log       log of the experiment (every session appends)
      runs.csv             one row per run: run_id, status, condition columns, outcomes, error
      runs/<run_id>/
        config.json        resolved run config (its SHA-256 gives run_id)
        status.json        {"status": "done"|"failed", "error", "elapsed_s", "versions",
                            "git_commit", "finished_utc", "outcomes"}
        run.log            log of the run (on the process that ran it)
        ...                what the run function wrote (result.nc, curves.nc, motion/, ...)

A run directory is built in ``<experiment>/.tmp/`` and renamed into ``runs/`` when complete, so
``runs/<run_id>`` exists only whole; ``status.json`` ``"done"`` marks a finished run. Failed runs
are kept (with their error) until a later session retries them. One session at a time writes an
experiment folder (a lock file, ``.lock``, enforces it).
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import io
import json
import logging
import math
import os
import platform
import shutil
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from biomech.errors import BiomechError
from biomech.io.storage import atomic_write_text

__all__ = ["DONE", "FAILED", "PENDING", "ExperimentStore", "execute_run", "one_line_error",
           "read_status", "record_failure"]

log = logging.getLogger(__name__)

DONE, FAILED, PENDING = "done", "failed", "pending"
_TMP = ".tmp"


def one_line_error(exc: BaseException, limit: int = 500) -> str:
    """One line describing ``exc``: the message of a :class:`BiomechError`, else ``Type: message``."""
    text = " ".join(str(exc).split())
    if not isinstance(exc, BiomechError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """Versions of biomech, OpenSim, numpy and Python (from package metadata: no imports)."""
    return {"biomech": _version("biomech"), "opensim": _version("opensim"),
            "numpy": _version("numpy"), "python": platform.python_version()}


def git_commit() -> str:
    """Short commit of the biomech checkout, or ``unknown``."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _json(data: Any) -> str:
    def default(value: Any) -> Any:
        if hasattr(value, "item"):  # numpy scalars
            return value.item()
        if hasattr(value, "tolist"):
            return value.tolist()
        return str(value)

    return json.dumps(_finite(data), indent=2, sort_keys=False, default=default) + "\n"


def _finite(data: Any) -> Any:
    """JSON has no NaN: non-finite floats become None."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def read_status(run_dir: Path) -> dict[str, Any] | None:
    """``status.json`` of a run directory, or None when absent or unreadable."""
    try:
        data = json.loads((run_dir / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def resolve_function(path: str) -> Callable[[dict, Path], dict]:
    """Import ``module:function``."""
    module, _, name = path.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise BiomechError(f"run_function: cannot import {path!r} ({one_line_error(exc)})") from None


@contextlib.contextmanager
def _run_log(path: Path, level: int = logging.INFO) -> Iterator[None]:
    """Send the ``biomech`` logger (``level`` and above) to ``path`` while the block runs."""
    logger = logging.getLogger("biomech")
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    old_level = logger.level
    if logger.getEffectiveLevel() > level:
        logger.setLevel(level)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()


def _publish(tmp: Path, final: Path) -> None:
    """Move the finished run directory ``tmp`` to ``final``, replacing an earlier attempt."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        old = tmp.parent / f"{final.name}.old-{os.getpid()}-{time.monotonic_ns()}"
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)


def execute_run(task: dict[str, Any]) -> dict[str, Any]:
    """Execute one run and publish its directory atomically (runs on a worker).

    Parameters
    ----------
    task : dict
        ``run_id``, ``config`` (resolved run config), ``experiment_dir`` (absolute path; must be
        reachable from the worker) and ``run_function`` (``module:function``).

    Returns
    -------
    dict
        ``run_id``, ``status`` (``done`` or ``failed``), ``error`` (one line or None),
        ``elapsed_s`` (s), ``outcomes`` (dict of scalars).

    Notes
    -----
    An exception of the run function fails the run (recorded, not raised); an interrupt
    (``KeyboardInterrupt``) removes the temporary directory and propagates.
    """
    rid, config = task["run_id"], task["config"]
    exp_dir = Path(task["experiment_dir"])
    tmp_root = exp_dir / _TMP
    tmp_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{rid}-", dir=tmp_root))
    start = time.perf_counter()
    try:
        atomic_write_text(tmp / "config.json", _json(config))
        outcomes: dict[str, Any] = {}
        error = None
        with _run_log(tmp / "run.log"):
            log.info("run %s on %s (pid %d)", rid, platform.node(), os.getpid())
            try:
                fn = resolve_function(task.get("run_function") or config.get(
                    "run_function", "biomech.experiments.runner:run_one"))
                outcomes = dict(fn(config, tmp) or {})
            except Exception as exc:  # a failed run is recorded, the others go on
                error = one_line_error(exc)
                # the traceback goes to run.log (INFO), not to the terminal: the engine reports
                # the failure in one line
                log.info("run %s failed: %s\n%s", rid, error, traceback.format_exc().rstrip())
        elapsed = time.perf_counter() - start
        status = {
            "status": FAILED if error else DONE, "error": error, "elapsed_s": round(elapsed, 3),
            "versions": versions(), "git_commit": git_commit(), "host": platform.node(),
            "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "outcomes": outcomes,
        }
        atomic_write_text(tmp / "status.json", _json(status))
        _publish(tmp, exp_dir / "runs" / rid)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"run_id": rid, "status": status["status"], "error": error,
            "elapsed_s": status["elapsed_s"], "outcomes": outcomes}


def record_failure(experiment_dir: str | os.PathLike[str], rid: str, config: dict[str, Any],
                   error: str) -> None:
    """Write a failed run directory for a run whose worker could not report (it died or was
    lost); a finished run of the same id is left alone."""
    exp_dir = Path(experiment_dir)
    if (read_status(exp_dir / "runs" / rid) or {}).get("status") == DONE:
        return
    tmp_root = exp_dir / _TMP
    tmp_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{rid}-", dir=tmp_root))
    try:
        atomic_write_text(tmp / "config.json", _json(config))
        status = {"status": FAILED, "error": error, "elapsed_s": None, "versions": versions(),
                  "git_commit": git_commit(), "host": None,
                  "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "outcomes": {}}
        atomic_write_text(tmp / "status.json", _json(status))
        _publish(tmp, exp_dir / "runs" / rid)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class ExperimentStore:
    """The folder of one experiment: run directories, ``runs.csv``, the log, the lock.

    Parameters
    ----------
    root : path
        Results root (``results/``); the experiment lives in ``root / name``.
    name : str
        Experiment name.
    """

    def __init__(self, root: str | os.PathLike[str], name: str) -> None:
        self.path = Path(root).resolve() / name
        self._lock_handle: io.TextIOWrapper | None = None

    @property
    def runs_dir(self) -> Path:
        """``runs/``: one directory per run id."""
        return self.path / "runs"

    def run_dir(self, rid: str) -> Path:
        """Directory of run ``rid``."""
        return self.runs_dir / rid

    def status(self, rid: str) -> dict[str, Any] | None:
        """``status.json`` of run ``rid`` (None when it never finished)."""
        return read_status(self.run_dir(rid))

    def is_done(self, rid: str) -> bool:
        """True when run ``rid`` finished successfully."""
        return (self.status(rid) or {}).get("status") == DONE

    # -- session ------------------------------------------------------------------------
    def open(self, experiment_text: str) -> None:
        """Create the folder, take the lock, clean debris of killed sessions and write
        ``experiment.yaml``.

        Raises
        ------
        BiomechError
            Another session holds the lock.
        """
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.path / ".lock", "a+", encoding="utf-8")  # noqa: SIM115 (held open)
        try:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover (Windows: no lock)
            pass
        except OSError:
            handle.close()
            raise BiomechError(f"{self.path}: another biomech session is writing this experiment "
                               "(lock .lock is held); wait for it or stop it") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {platform.node()}\n")
        handle.flush()
        self._lock_handle = handle
        tmp = self.path / _TMP
        if tmp.exists():
            debris = list(tmp.iterdir())
            if debris:
                log.info("removing %d unfinished run folder(s) of an interrupted session", len(debris))
            shutil.rmtree(tmp, ignore_errors=True)
        old = self.path / "experiment.yaml"
        if old.exists() and old.read_text(encoding="utf-8") != experiment_text:
            log.warning("%s: the experiment file changed since the last session; runs that are no "
                        "longer in it stay in runs/ but leave runs.csv", old)
        atomic_write_text(old, experiment_text)

    def close(self) -> None:
        """Release the lock and remove the temporary folder."""
        shutil.rmtree(self.path / _TMP, ignore_errors=True)
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def log_to_file(self, level: int = logging.INFO) -> contextlib.AbstractContextManager[None]:
        """Append the ``biomech`` logger's records to ``experiment.log`` while the block runs."""
        return _run_log(self.path / "experiment.log", level)

    # -- runs.csv -------------------------------------------------------------------------
    def write_table(self, rows: Sequence[dict[str, Any]]) -> Path:
        """Write ``runs.csv`` atomically from ``rows`` (dicts; columns in first-seen order)."""
        columns: list[str] = []
        for row in rows:
            columns += [k for k in row if k not in columns]
        if "error" in columns:  # keep the free text last
            columns.remove("error")
            columns.append("error")
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in columns})
        return Path(atomic_write_text(self.path / "runs.csv", buffer.getvalue()))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "nan"
    if isinstance(value, bool):
        return str(value).lower()
    return value
