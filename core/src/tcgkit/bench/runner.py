"""The experiment runner of ``tcgkit bench``: a grid of independent tasks on an executor.

Owns the task description (``Task``: a function named by its import path, the
grid point it measures, its other arguments, a seed derived from the point and
the plugins it needs), running one task on a worker (``run_task``: checks the
worker's plugins first), the executors and the CSV the rows stream into.

* ``serial``: every task in this process, one after the other.
* ``processes``: a local ``concurrent.futures.ProcessPoolExecutor`` (default one
  worker per core) with fresh interpreters (``forkserver`` where the system has
  it, else ``spawn``): nothing of this process's emulators is inherited.
* ``dask``: a ``dask.distributed.Client`` of the scheduler at ``scheduler``
  (``tcp://HOST:PORT``) or of a ``LocalCluster`` of ``dask_local`` single-threaded
  worker processes. Needs the extra: ``pip install tcgkit[dask]``. The workers of a
  remote cluster need tcgkit, the task's plugins and the task's files (the same
  paths): a worker missing a plugin fails the task with ``WorkerPluginError`` naming it.

Rows: each task returns a dict of result columns; its row is its point's columns
then those. A row is appended to the CSV (and flushed) as soon as its task has
finished, in the order tasks finish; with ``resume`` the points already in the CSV
are not run again (a row cut short by a crash is dropped and its point rerun).
When every task has finished the CSV is rewritten in the grid's order, so that the
same grid gives the same file (timings aside) whatever the executor. The first
task that raises stops the run (the tasks not started are cancelled) and its
exception is raised here; the rows written so far stay, for ``resume``.
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
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..errors import InvalidArgumentError, TcgkitError
from ..plugins import AUTO_HOST, HOST, KINDS_BY_KEY, PluginError, get_plugin_manager

EXECUTORS = ("serial", "processes", "dask")
DASK_EXTRA = "pip install 'tcgkit[dask]'"


class WorkerPluginError(PluginError):
    """A worker lacks a plugin a task needs (or cannot use it): the task did not run."""


class TaskError(TcgkitError):
    """A task raised an exception that cannot travel back from its worker: its text."""


def point_seed(point: Mapping[str, object]) -> int:
    """A 63-bit seed derived from a grid point (its columns and values, in order):
    the same point gets the same seed on every worker and in every run."""
    text = repr([(k, str(v)) for k, v in point.items()]).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 1


@dataclass(frozen=True)
class Task:
    """One point of a grid: ``func`` (``"module:function"``) is called on a worker as
    ``func(**point, **args, seed=seed)`` and returns the row's result columns (a point
    with a column ``seed`` is its own seed: give the same ``seed`` here)."""

    func: str
    point: dict[str, Any]
    args: dict[str, Any] = field(default_factory=dict)
    needs: tuple[tuple[str, str], ...] = ()  # (plugin kind key, name): checked first
    seed: int = -1  # -1: point_seed(point)

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
    Returns the row: the point's columns, then the function's."""
    check_plugins(task.needs)
    try:
        kwargs = {**task.point, **task.args}
        kwargs.setdefault("seed", task.seed)
        result = _resolve(task.func)(**kwargs)
    except Exception as exc:
        try:  # what the executors send back must unpickle on the other side
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise TaskError(f"{task.label}: {type(exc).__name__}: {exc}") from None
        raise
    return {**task.point, **result}


def empty_task(seed: int, **_: Any) -> dict[str, Any]:
    """A task that does nothing: the per-task overhead of an executor."""
    return {"seed": seed}


# -- the CSV -----------------------------------------------------------------------------


def read_rows(path: Path, fields: Sequence[str]) -> list[dict[str, str]]:
    """The complete rows of the CSV at ``path`` (none if it does not exist); a CSV with
    other columns is an ``InvalidArgumentError``."""
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
    if names is not None and list(names) != list(fields):
        raise InvalidArgumentError(
            f"{path} has the columns {','.join(names)}, not this experiment's "
            f"({','.join(fields)}): choose another output or drop --resume"
        )
    # a row cut short (a run killed while writing) has missing cells: dropped
    return [r for r in rows if None not in r.values() and None not in r]


def _write_all(path: Path, fields: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


# -- progress ----------------------------------------------------------------------------


class _Progress:
    """A bar (rich, else tqdm) on a terminal; else one line per finished task."""

    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.t0 = time.perf_counter()
        self._update: Callable[[str], None] | None = None
        self._close: Callable[[], None] = lambda: None
        if stream is not None and stream.isatty() and total:
            self._bar(stream)

    def _bar(self, stream: TextIO) -> None:
        try:
            from rich.console import Console
            from rich.progress import Progress
        except ImportError:
            pass
        else:
            progress = Progress(console=Console(file=stream))
            progress.start()
            tid = progress.add_task("", total=self.total)
            self._update = lambda label: progress.update(tid, advance=1, description=label)
            self._close = progress.stop
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        bar = tqdm(total=self.total, file=stream)

        def update(label: str) -> None:
            bar.set_postfix_str(label, refresh=False)
            bar.update(1)

        self._update = update
        self._close = bar.close

    def advance(self, label: str) -> None:
        self.done += 1
        if self._update is not None:
            self._update(label)
        elif self.stream is not None:
            elapsed = time.perf_counter() - self.t0
            self.stream.write(f"[{self.done}/{self.total}] {label} ({elapsed:.1f} s)\n")
            self.stream.flush()

    def close(self) -> None:
        self._close()


# -- the executors -----------------------------------------------------------------------


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _serial(tasks: Sequence[Task]) -> Generator[tuple[int, dict[str, Any]], None, None]:
    for i, task in enumerate(tasks):
        yield i, run_task(task)


def _processes(
    tasks: Sequence[Task], workers: int | None
) -> Generator[tuple[int, dict[str, Any]], None, None]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pool = ProcessPoolExecutor(max_workers=workers or default_workers(), mp_context=ctx)
    try:
        futures = {pool.submit(run_task, t): i for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
    n = dask_local or default_workers()
    # single-threaded workers: one emulator at a time per process, as the other executors
    with (
        distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        yield client


def _dask(tasks: Sequence[Task], client: Any) -> Generator[tuple[int, dict[str, Any]], None, None]:
    from dask.distributed import as_completed

    futures = {}
    for i, t in enumerate(tasks):
        # pure=False: a point's runs are separate measurements, never one cached result
        fut = client.submit(run_task, t, pure=False)
        futures[fut.key] = (i, fut)
    try:
        for fut in as_completed([f for _, f in futures.values()]):
            yield futures[fut.key][0], fut.result()
    finally:
        client.cancel([f for _, f in futures.values()])


def run(tasks: Sequence[Task], csv_path: Path, fields: Sequence[str], *,
        executor: str = "serial", workers: int | None = None, scheduler: str | None = None,
        dask_local: int | None = None, resume: bool = False,
        progress: TextIO | None = sys.stderr) -> list[dict[str, str]]:  # fmt: skip
    """Run every task of the grid ``tasks`` (the points not in the CSV, with ``resume``)
    on ``executor``; the CSV at ``csv_path`` (columns ``fields``: the points' then the
    results') ends with one row per task, in the grid's order. Returns those rows, as
    read back from the CSV (strings)."""
    if executor not in EXECUTORS:
        raise InvalidArgumentError(f"no executor {executor!r}; executors: {', '.join(EXECUTORS)}")
    if executor == "dask":
        import_dask()  # before anything is written
    fields = list(fields)
    key_fields = list(tasks[0].point) if tasks else []
    old = read_rows(csv_path, fields) if resume else []
    done = {tuple(r[k] for k in key_fields) for r in old}
    pending = [t for t in tasks if t.key not in done]
    _write_all(csv_path, fields, old)  # the header, and what resume keeps, whole rows only
    bar = _Progress(len(pending), progress)
    if resume and progress is not None and old:
        progress.write(f"resuming: {len(tasks) - len(pending)} of {len(tasks)} points in "
                       f"{csv_path}, {len(pending)} to run\n")  # fmt: skip
    try:
        with csv_path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, extrasaction="raise")
            with contextlib.ExitStack() as stack:
                results: Generator[tuple[int, dict[str, Any]], None, None]
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
