"""Executors: one interface over where runs execute.

``executor.map_unordered(fn, items)`` calls ``fn(item)`` for every item and yields
:class:`Completed` results as they finish (not in order). ``fn`` and the items must be picklable
(top-level functions, plain data): workers never receive OpenSim objects, they build their own.

* :class:`InProcessExecutor`: one after the other in this process (``jobs: 1``, the default).
* :class:`ProcessExecutor`: a local pool of ``jobs`` processes (``spawn``, so workers start
  clean; they ignore SIGINT and are terminated on interrupt, the parent decides).
* :class:`DaskExecutor`: Dask distributed: an existing scheduler (``tcp://host:port``), a
  ``dask_jobqueue`` cluster (SLURM, PBS, ...) or a local Dask cluster. Workers must see the
  results folder at the same path (a shared file system on clusters).
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import logging
import multiprocessing
import signal
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from biomech.errors import BiomechError
from biomech.experiments.schema import ExecutorSettings

__all__ = ["Completed", "DaskExecutor", "Executor", "InProcessExecutor", "ProcessExecutor",
           "make_executor"]

log = logging.getLogger(__name__)


@dataclass
class Completed:
    """A finished item: its index in the input, the function's value or the exception."""

    index: int
    value: Any = None
    error: BaseException | None = None


class Executor(ABC):
    """Runs a function over items; see the module docstring."""

    #: short description for logs and progress bars
    description: str = ""

    @abstractmethod
    def map_unordered(self, fn: Callable[[Any], Any], items: Sequence[Any],
                      names: Sequence[str] | None = None) -> Iterator[Completed]:
        """Call ``fn`` on every item; yield :class:`Completed` as each finishes.

        ``names`` (one per item) label the tasks where the backend shows them (Dask).
        """

    @abstractmethod
    def close(self, *, cancel: bool = False) -> None:
        """Release the workers; ``cancel=True`` drops pending items and stops running ones where
        the backend can (local processes are terminated; Dask tasks already running finish)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: type | None, *_: object) -> None:
        self.close(cancel=exc_type is not None)


class InProcessExecutor(Executor):
    """Items one after the other in this process (an interrupt stops the current item)."""

    description = "in this process"

    def map_unordered(self, fn: Callable[[Any], Any], items: Sequence[Any],
                      names: Sequence[str] | None = None) -> Iterator[Completed]:
        for i, item in enumerate(items):
            try:
                yield Completed(i, fn(item))
            except Exception as exc:
                yield Completed(i, error=exc)

    def close(self, *, cancel: bool = False) -> None:
        """Nothing to release."""


def _worker_init() -> None:
    """Pool worker set-up: the parent handles Ctrl-C; library logs stay out of the terminal."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logger = logging.getLogger("biomech")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False


class ProcessExecutor(Executor):
    """A local pool of ``jobs`` worker processes."""

    def __init__(self, jobs: int) -> None:
        self.jobs = int(jobs)
        self.description = f"{self.jobs} local processes"
        self._pool = cf.ProcessPoolExecutor(max_workers=self.jobs,
                                            mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_worker_init)
        self._futures: list[cf.Future] = []

    def map_unordered(self, fn: Callable[[Any], Any], items: Sequence[Any],
                      names: Sequence[str] | None = None) -> Iterator[Completed]:
        index = {}
        for i, item in enumerate(items):
            future = self._pool.submit(fn, item)
            index[future] = i
            self._futures.append(future)
        for future in cf.as_completed(index):
            try:
                yield Completed(index[future], future.result())
            except Exception as exc:  # includes BrokenProcessPool when a worker died
                yield Completed(index[future], error=exc)

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            for future in self._futures:
                future.cancel()
            # Python < 3.14 has no public way to stop running workers: terminate them (their
            # unfinished run folders are temporary and removed by the store).
            terminate = getattr(self._pool, "terminate_workers", None)
            if terminate is not None:  # pragma: no cover (Python >= 3.14)
                terminate()
            else:
                for process in list(getattr(self._pool, "_processes", {}).values()):
                    process.terminate()
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


class DaskExecutor(Executor):
    """Dask distributed: ``scheduler`` address, a ``jobqueue`` cluster, or a local cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, e.g. ``tcp://127.0.0.1:8786``.
    jobqueue : dict, optional
        ``{"cluster": "SLURMCluster", "kwargs": {...}}``: a ``dask_jobqueue`` cluster class and
        its keyword arguments; ``jobs`` batch jobs are requested.
    jobs : int
        Batch jobs of a jobqueue cluster, or workers of a local Dask cluster.
    """

    def __init__(self, *, scheduler: str | None = None, jobqueue: dict[str, Any] | None = None,
                 jobs: int = 1, connect_timeout_s: float = 10.0) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise BiomechError("executor dask: the 'distributed' package is not installed "
                               "(pip install dask distributed)") from None
        self._cluster: Any = None
        self._futures: list[Any] = []
        try:
            if jobqueue is not None:
                try:
                    module = importlib.import_module("dask_jobqueue")
                except ImportError:
                    raise BiomechError(f"executor.jobqueue: {jobqueue['cluster']} needs dask_jobqueue, "
                                       "which is not installed (pip install dask-jobqueue)") from None
                self._cluster = getattr(module, jobqueue["cluster"])(**dict(jobqueue.get("kwargs") or {}))
                self._cluster.scale(jobs=int(jobs))
                self.description = f"dask_jobqueue {jobqueue['cluster']} ({jobs} jobs)"
                self.client = Client(self._cluster)
            elif scheduler:
                self.description = f"Dask scheduler {scheduler}"
                self.client = Client(scheduler, timeout=f"{connect_timeout_s}s")
            else:
                self._cluster = LocalCluster(n_workers=int(jobs), threads_per_worker=1,
                                             processes=True, dashboard_address=None)
                self.description = f"local Dask cluster ({jobs} workers)"
                self.client = Client(self._cluster)
        except BiomechError:
            raise
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            where = scheduler or (jobqueue or {}).get("cluster", "local cluster")
            if self._cluster is not None:
                self._cluster.close()
            raise BiomechError(f"executor: cannot start or reach Dask ({where}): "
                               f"{' '.join(str(exc).split())}") from None

    def map_unordered(self, fn: Callable[[Any], Any], items: Sequence[Any],
                      names: Sequence[str] | None = None) -> Iterator[Completed]:
        from distributed import as_completed

        token = uuid.uuid4().hex[:8]
        keys = [f"biomech-{name}-{token}" for name in (names or [str(i) for i in range(len(items))])]
        futures = self.client.map(fn, list(items), key=keys, pure=False)
        self._futures.extend(futures)
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            try:
                yield Completed(index[future.key], future.result())
            except Exception as exc:  # e.g. KilledWorker, or an error in fn itself
                yield Completed(index[future.key], error=exc)

    def close(self, *, cancel: bool = False) -> None:
        try:
            if cancel and self._futures:
                self.client.cancel(self._futures)
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()


def make_executor(settings: ExecutorSettings) -> Executor:
    """The executor described by ``settings`` (``executor:`` of an experiment)."""
    if settings.kind == "dask":
        jobqueue = settings.jobqueue.model_dump() if settings.jobqueue is not None else None
        return DaskExecutor(scheduler=settings.scheduler, jobqueue=jobqueue, jobs=settings.jobs)
    if settings.jobs <= 1:
        return InProcessExecutor()
    return ProcessExecutor(settings.jobs)
