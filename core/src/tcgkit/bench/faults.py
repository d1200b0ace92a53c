"""Tasks of ``tcgkit.bench.runner`` that misbehave on purpose: losing their worker.

Owns ``lose_worker``, a task that kills the very process it runs in (as the
kernel's OOM killer or a preempted cloud machine would) a chosen number of
times, recording each death in a file; the runner's tests and anyone checking a
cluster use it to see that a lost worker costs only its tasks, which run again
elsewhere. Tasks are named by import path, so this lives in the package (a
worker cannot import a test module). Nothing here is used by a real sweep.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any


def deaths(marker: str | Path) -> list[int]:
    """The pids of the workers ``lose_worker`` killed, as recorded in ``marker``."""
    try:
        text = Path(marker).read_text()
    except FileNotFoundError:
        return []
    return [int(line) for line in text.split()]


def lose_worker(seed: int, *, marker: str = "", times: int = 1, pause: float = 0.0,
                **_: Any) -> dict[str, Any]:  # fmt: skip
    """Sleep ``pause`` seconds; then, while ``marker`` (a file path) records fewer than
    ``times`` deaths, append this process's pid to it and kill this process (SIGKILL,
    where there is one). Otherwise (or without a marker) return the row's results:
    ``seed`` and the ``pid`` of the worker that ran it."""
    if pause:
        time.sleep(pause)
    if marker and len(deaths(marker)) < times:
        # one write of a short line in append mode: whole even if two workers race
        fd = os.open(marker, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{os.getpid()}\n".encode())
        finally:
            os.close(fd)
        kill = getattr(signal, "SIGKILL", None)
        if kill is not None:
            os.kill(os.getpid(), kill)
        os._exit(70)  # where there is no SIGKILL: as abrupt, no cleanup runs
    return {"seed": seed, "pid": os.getpid()}
