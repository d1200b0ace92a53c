"""The experiment runner of ``tcgkit bench``: a grid of independent tasks on an executor.

Owns the task description (``Task``: a function named by its import path, the
grid point it measures, the sweep's fixed options, its other arguments, a seed
derived from the point and the plugins it needs), running one task on a worker
(``run_task``: checks the worker's plugins first), the executors and the CSV the
rows stream into. The progress display is ``progress.py``'s.

* ``serial``: every task in this process, one after the other.
* ``processes``: a local ``concurrent.futures.ProcessPoolExecutor`` (default one
  worker per core) with fresh interpreters (``forkserver`` where the system has
  it, else ``spawn``): nothing of this process's emulators is inherited. At most
  one task per worker is in the pool at a time, so that a worker process that dies
  (killed, or crashed in native code) is known to have cost only the tasks then
  running: the pool is then broken (``BrokenProcessPool``, the executor ends its
  other workers too), and those tasks run again on a fresh pool, each alone until
  it has finished once, so that a task that kills every worker it runs on is
  found; a task lost more than ``ALLOWED_LOSSES`` times stops the sweep
  (``WorkerLostError``, naming it).
* ``dask``: a ``dask.distributed.Client`` of the scheduler at ``scheduler``
  (``tcp://HOST:PORT``) or of a ``LocalCluster`` of ``dask_local`` single-threaded
  worker processes. Needs the extra: ``pip install tcgkit[dask]``. The workers of a
  remote cluster need tcgkit, the task's plugins and the task's files (the same
  paths): a worker missing a plugin fails the task with ``WorkerPluginError`` naming it.
  The scheduler runs the tasks of a lost worker again elsewhere; one that lost
  more workers than ``distributed.scheduler.allowed-failures`` (3 by default) stops
  the sweep with ``WorkerLostError``. A LocalCluster's scheduler gives each worker
  one task at a time (``worker-saturation`` 1.0), so that only the task a lost
  worker was running counts as lost with it (a remote one: as configured there).

Rows: each task returns a dict of result columns; its row is its point's columns,
those, then the sweep's options (every task of a grid has the same ``options``:
the settings that change the results but are not a grid axis, such as the host).
A row is appended to the CSV (and flushed) as soon as its task has finished, in the
order tasks finish; with ``resume`` the points already in the CSV are not run again
(a row cut short by a crash is dropped and its point rerun), and a CSV whose rows
were made with other options is refused before anything runs. When every task has
finished the CSV is rewritten in the grid's order, so that the same grid gives the
same file (timings aside) whatever the executor. The first task that raises stops
the run (the tasks not started are cancelled) and its exception is raised here;
the rows written so far stay, for ``resume``.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import importlib
import io
import os
import pickle
import socket
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..errors import InvalidArgumentError, TcgkitError
from ..plugins import AUTO_HOST, HOST, KINDS_BY_KEY, PluginError, get_plugin_manager
from .progress import Progress

EXECUTORS = ("serial", "processes", "dask")
DASK_EXTRA = "pip install 'tcgkit[dask]'"
#: how many times the processes executor runs a task again after losing its worker
#: (as dask's ``distributed.scheduler.allowed-failures``, 3 by default)
ALLOWED_LOSSES = 3

Rows = Generator[tuple[int, dict[str, Any]], None, None]


class WorkerPluginError(PluginError):
    """A worker lacks a plugin a task needs (or cannot use it): the task did not run."""


class TaskError(TcgkitError):
    """A task raised an exception that cannot travel back from its worker: its text."""


class WorkerLostError(TcgkitError):
    """The workers running a task died under it too many times: the sweep stopped."""


def point_seed(point: Mapping[str, object]) -> int:
    """A 63-bit seed derived from a grid point (its columns and values, in order):
    the same point gets the same seed on every worker and in every run."""
    text = repr([(k, str(v)) for k, v in point.items()]).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 1


@dataclass(frozen=True)
class Task:
    """One point of a grid: ``func`` (``"module:function"``) is called on a worker as
    ``func(**point, **options, **args, seed=seed)`` and returns the row's result columns
    (a point with a column ``seed`` is its own seed: give the same ``seed`` here).
    ``options`` are the sweep's fixed settings, the same for every task of a grid, that
    change the results (a host, a mode): they are written into each row, so that a
    resume can tell rows made with other ones; ``args`` are the rest (a file's path)."""

    func: str
    point: dict[str, Any]
    args: dict[str, Any] = field(default_factory=dict)
    needs: tuple[tuple[str, str], ...] = ()  # (plugin kind key, name): checked first
    seed: int = -1  # -1: point_seed(point)
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.seed < 0:
            object.__setattr__(self, "seed", point_seed(self.point))

    @property
    def key(self) -> tuple[str, ...]:
        """The point as its CSV cells (strings), to find it in a CSV."""
        return tuple(str(v) for v in self.point.values())

    @property
    def label(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.point.items())


def _worker_name() -> str:
    return f"{socket.gethostname()} (pid {os.getpid()})"


def check_plugins(needs: Sequence[tuple[str, str]]) -> None:
    """That this process has every plugin in ``needs`` (and can run a named host):
    ``WorkerPluginError`` naming the first it lacks, the worker and what to install."""
    pm = get_plugin_manager()
    for kind_key, name in needs:
        kind = KINDS_BY_KEY[kind_key]
        try:
            if kind is HOST:
                if name != AUTO_HOST and name not in pm.names(HOST):
                    raise PluginError(f"no {kind.title} named {name!r} is installed")
                pm.resolve_host(name)
            else:
                pm.get_info(kind, name)
        except PluginError as exc:
            installed = ", ".join(pm.names(kind)) or "none"
            dist = kind.first_party.get(name)
            fix = f"; install {dist} there" if dist else ""
            raise WorkerPluginError(
                f"worker {_worker_name()} cannot run the task: it lacks the {kind.title} "
                f"{name!r} ({exc}; installed there: {installed}){fix}"
            ) from None


def _resolve(func: str) -> Callable[..., Mapping[str, Any]]:
    module, _, name = func.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def run_task(task: Task) -> dict[str, Any]:
    """Run ``task`` here (on a worker): its plugins checked, then its function called.
    Returns the row: the point's columns, the function's, then the options."""
    check_plugins(task.needs)
    try:
        kwargs = {**task.point, **task.options, **task.args}
        kwargs.setdefault("seed", task.seed)
        result = _resolve(task.func)(**kwargs)
    except Exception as exc:
        try:  # what the executors send back must unpickle on the other side
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise TaskError(f"{task.label}: {type(exc).__name__}: {exc}") from None
        raise
    return {**task.point, **result, **task.options}


def empty_task(seed: int, **_: Any) -> dict[str, Any]:
    """A task that does nothing: the per-task overhead of an executor."""
    return {"seed": seed}


# -- the CSV -----------------------------------------------------------------------------


def sweep_options(tasks: Sequence[Task]) -> dict[str, Any]:
    """The options every task of ``tasks`` shares (a ``ValueError`` if they differ)."""
    if not tasks:
        return {}
    options = tasks[0].options
    for t in tasks:
        if t.options != options:
            raise ValueError(
                f"the tasks of one grid must share their options: {t.label} has "
                f"{t.options!r}, {tasks[0].label} {options!r}"
            )
    return dict(options)


def read_rows(path: Path, fields: Sequence[str],
              options: Mapping[str, Any] | None = None) -> list[dict[str, str]]:  # fmt: skip
    """The complete rows of the CSV at ``path`` (none if it does not exist). A CSV with
    other columns, or (given ``options``) a row made with other options, is an
    ``InvalidArgumentError`` saying which."""
    if not path.exists():
        return []
    try:
        with path.open(newline="") as f:
            text = f.read()
        if text and not text.endswith("\n"):  # the last row was cut short: dropped
            text = text[: text.rfind("\n") + 1]
        reader = csv.DictReader(io.StringIO(text, newline=""))
        names = reader.fieldnames
        rows = list(reader) if names is not None else []
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InvalidArgumentError(f"{path} is not a CSV file: {exc}") from None
    options = options or {}
    if names is not None and list(names) != list(fields):
        if options and list(names) == [f for f in fields if f not in options]:
            raise InvalidArgumentError(
                f"{path} does not record the options its rows were made with "
                f"({', '.join(options)}; an older tcgkit wrote it): choose another output "
                "or drop --resume"
            )
        raise InvalidArgumentError(
            f"{path} has the columns {','.join(names)}, not this experiment's "
            f"({','.join(fields)}): choose another output or drop --resume"
        )
    # a row cut short (a run killed while writing) has missing cells: dropped
    rows = [r for r in rows if None not in r.values() and None not in r]
    for r in rows:
        for k, v in options.items():
            if r[k] != str(v):
                raise InvalidArgumentError(
                    f"{path} holds rows made with {k}={r[k]}, not this sweep's {k}={v}: "
                    "resume with the same options, choose another output or drop --resume"
                )
    return rows


def _write_all(path: Path, fields: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


# -- the executors -----------------------------------------------------------------------


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _serial(tasks: Sequence[Task]) -> Rows:
    for i, task in enumerate(tasks):
        yield i, run_task(task)


def _processes(tasks: Sequence[Task], workers: int | None) -> Rows:
    """The tasks on a process pool; a broken pool's tasks again on a fresh one."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    n = workers or default_workers()
    fresh = deque(range(len(tasks)))
    suspects: deque[int] = deque()  # lost with a worker before: each runs alone
    losses: dict[int, int] = {}
    while fresh or suspects:
        pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx)
        try:
            lost = yield from _pool_rows(pool, tasks, n, fresh, suspects)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for i in lost:
            losses[i] = losses.get(i, 0) + 1
            if losses[i] > ALLOWED_LOSSES:
                raise WorkerLostError(
                    f"{tasks[i].label}: the worker process running it died "
                    f"{losses[i]} times (killed, or crashed: out of memory?); the other "
                    "tasks' rows are in the CSV, run again with --resume"
                )
        suspects.extendleft(reversed(lost))


PoolRows = Generator[tuple[int, dict[str, Any]], None, list[int]]


def _pool_rows(pool: Any, tasks: Sequence[Task], n: int, fresh: deque[int],
               suspects: deque[int]) -> PoolRows:  # fmt: skip
    """Run tasks from ``suspects`` (each alone) and then from ``fresh`` (up to ``n`` at
    a time) on ``pool`` until both are empty or a worker dies; returns the tasks lost
    with the pool then (those that finished first gave their rows)."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    running: dict[Any, tuple[int, bool]] = {}  # future: (task, run alone)
    lost: list[int] = []
    broken = False
    while True:
        while not broken and not any(alone for _, alone in running.values()):
            if suspects and not running:
                source = suspects
            elif fresh and not suspects and len(running) < n:
                source = fresh
            else:
                break
            i = source.popleft()
            try:
                running[pool.submit(run_task, tasks[i])] = (i, source is suspects)
            except BrokenProcessPool:  # a worker died before its futures said so
                source.appendleft(i)
                broken = True
        if not running:
            return lost
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for fut in done:
            i, _alone = running.pop(fut)
            if isinstance(fut.exception(), BrokenProcessPool):
                lost.append(i)
                broken = True
            else:
                yield i, fut.result()


def import_dask() -> Any:
    """``dask.distributed``, or an ``InvalidArgumentError`` saying which extra to install."""
    try:
        import dask.distributed
    except ImportError:
        raise InvalidArgumentError(
            f"the dask executor needs dask.distributed, which is not installed: {DASK_EXTRA}"
        ) from None
    return dask.distributed


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, dask_local: int | None = None) -> Iterator[Any]:
    """A ``dask.distributed.Client`` of ``scheduler`` or of a new LocalCluster."""
    distributed = import_dask()
    if scheduler:
        with distributed.Client(scheduler) as client:
            yield client
        return
    import dask

    n = dask_local or default_workers()
    # single-threaded workers: one emulator at a time per process, as the other executors;
    # and one task per worker at a time (dask's default sends a second one ahead), so that
    # a worker lost costs only the task it ran, and only that one is counted against
    # allowed-failures
    with (
        dask.config.set({"distributed.scheduler.worker-saturation": 1.0}),
        distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        yield client


def _dask(tasks: Sequence[Task], client: Any) -> Rows:
    from dask.distributed import KilledWorker, as_completed

    futures = {}
    for i, t in enumerate(tasks):
        # pure=False: a point's runs are separate measurements, never one cached result
        fut = client.submit(run_task, t, pure=False)
        futures[fut.key] = (i, fut)
    try:
        for fut in as_completed([f for _, f in futures.values()]):
            i = futures[fut.key][0]
            try:
                row = fut.result()
            except KilledWorker as exc:
                raise WorkerLostError(
                    f"{tasks[i].label}: the workers running it died too many times "
                    f"({exc}); the other tasks' rows are in the CSV, run again with --resume"
                ) from None
            yield i, row
    finally:
        client.cancel([f for _, f in futures.values()])


def run(tasks: Sequence[Task], csv_path: Path, fields: Sequence[str], *,
        executor: str = "serial", workers: int | None = None, scheduler: str | None = None,
        dask_local: int | None = None, resume: bool = False,
        progress: TextIO | None = sys.stderr) -> list[dict[str, str]]:  # fmt: skip
    """Run every task of the grid ``tasks`` (the points not in the CSV, with ``resume``)
    on ``executor``; the CSV at ``csv_path`` (columns ``fields``: the points', the
    results', then the options') ends with one row per task, in the grid's order.
    Returns those rows, as read back from the CSV (strings). A CSV that ``resume``
    cannot continue (other columns, rows made with other options) is an
    ``InvalidArgumentError`` raised before anything is written."""
    if executor not in EXECUTORS:
        raise InvalidArgumentError(f"no executor {executor!r}; executors: {', '.join(EXECUTORS)}")
    if executor == "dask":
        import_dask()  # before anything is written
    fields = list(fields)
    options = sweep_options(tasks)
    if unknown := [k for k in options if k not in fields]:
        raise ValueError(f"the options {', '.join(unknown)} are not columns of {fields}")
    key_fields = list(tasks[0].point) if tasks else []
    old = read_rows(csv_path, fields, options) if resume else []
    done = {tuple(r[k] for k in key_fields) for r in old}
    pending = [t for t in tasks if t.key not in done]
    _write_all(csv_path, fields, old)  # the header, and what resume keeps, whole rows only
    if resume and progress is not None and old:
        progress.write(f"resuming: {len(tasks) - len(pending)} of {len(tasks)} points in "
                       f"{csv_path}, {len(pending)} to run\n")  # fmt: skip
    bar = Progress(len(pending), progress)
    try:
        with csv_path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, extrasaction="raise")
            with contextlib.ExitStack() as stack:
                results: Rows
                if executor == "serial" or not pending:
                    results = _serial(pending)
                elif executor == "processes":
                    results = _processes(pending, workers)
                else:
                    client = stack.enter_context(dask_client(scheduler, dask_local))
                    results = _dask(pending, client)
                with contextlib.closing(results):
                    for i, row in results:
                        writer.writerow(row)
                        f.flush()
                        bar.advance(pending[i].label)
    finally:
        bar.close()
    # the grid's order; rows of points outside the grid (an earlier, larger grid) last
    rows = read_rows(csv_path, fields)
    order = {t.key: n for n, t in enumerate(tasks)}
    rows.sort(key=lambda r: order.get(tuple(r[k] for k in key_fields), len(order)))
    _write_all(csv_path, fields, rows)
    return rows
