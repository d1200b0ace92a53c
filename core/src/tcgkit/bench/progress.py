"""The progress display of ``tcgkit.bench.runner``: one call per finished task.

Owns how a sweep reports its progress. On a terminal it draws a bar with
``rich`` (the extra ``tcgkit[bench]``): the bar, done of total, elapsed time,
the ETA and the last finished point. When the stream is not a terminal (a log, a
pipe, CI), or on a terminal without rich, it writes one plain line per finished
task instead, with the same counts and the ETA, so that logs stay readable. It
never touches the CSV and never decides anything about the tasks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

#: the bar's columns; the rest of a line (less the counts and times) is the label's
BAR_WIDTH = 20
FIXED_WIDTH = BAR_WIDTH + 40


def eta_seconds(done: int, total: int, elapsed: float) -> float | None:
    """The seconds left at the mean pace so far (``None`` before the first task)."""
    if done <= 0:
        return None
    return elapsed / done * max(total - done, 0)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02}:{s % 60:02}"


class Progress:
    """The progress of ``total`` tasks on ``stream`` (nothing if it is ``None``).

    ``terminal``: draw a bar (``None``: when ``stream.isatty()``); without rich
    installed, plain lines all the same. ``bar`` tells which one is in use."""

    def __init__(self, total: int, stream: TextIO | None, *, terminal: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.t0 = time.perf_counter()
        self.bar = False
        self._update: Callable[[str], None] | None = None
        self._close: Callable[[], None] = lambda: None
        if terminal is None:
            terminal = stream is not None and stream.isatty()
        if stream is not None and terminal and total:
            self._rich_bar(stream)

    def _rich_bar(self, stream: TextIO) -> None:
        try:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress
            from rich.table import Column
        except ImportError:  # plain lines: the bar needs the extra
            return
        # the counts and times first, whole; then the last point's label, cut to the
        # rest of the line (a grid point's label can be longer than a terminal)
        console = Console(file=stream, force_terminal=True)
        whole = {"table_column": Column(no_wrap=True)}
        progress = RichProgress(
            BarColumn(bar_width=BAR_WIDTH),
            MofNCompleteColumn(**whole),
            TimeElapsedColumn(**whole),
            TextColumn("ETA", **whole),
            TimeRemainingColumn(**whole),
            TextColumn("{task.description}", style="dim", **whole),
            console=console,
        )
        progress.start()
        tid = progress.add_task("", total=self.total)

        def update(label: str) -> None:
            room = max(console.width - FIXED_WIDTH, 8)
            if len(label) > room:
                label = label[: room - 1] + "\u2026"
            progress.update(tid, advance=1, description=label)

        self._update = update
        self._close = progress.stop
        self.bar = True

    def advance(self, label: str) -> None:
        """One more task finished; ``label`` names its point."""
        self.done += 1
        if self._update is not None:
            self._update(label)
        elif self.stream is not None:
            elapsed = time.perf_counter() - self.t0
            eta = _clock(eta_seconds(self.done, self.total, elapsed))
            self.stream.write(f"[{self.done}/{self.total}] {label} ({elapsed:.1f} s, ETA {eta})\n")
            self.stream.flush()

    def close(self) -> None:
        """The bar's last state stays on the terminal; nothing more is drawn."""
        self._close()
        self._close = lambda: None
