"""What tcgkit asks of Python's cyclic garbage collector.

Owns ``paused`` and ``relaxed``, two context managers that change the collector
for the duration of a block and put back what they changed, and nothing else:

* ``paused()`` while tcgkit loads its modules and plugins: tens of thousands of
  objects (classes, functions, tables) that live as long as the process, none of
  them garbage; at the default threshold the collector would run dozens of times
  meanwhile, traversing each (callgrind, `tcgkit run hello_glibc.elf`: 11 million
  host instructions).
* ``relaxed(n)`` while guest code runs (``cpu_exec``), and held by an engine from
  its first run until it is released (``Engine.relax_collector``, so that what the
  runs keep is freed before a young collection traverses it): translation allocates many
  objects that die by reference count within a TB, and keeps the IR of recent
  tier-0 TBs; at the default first threshold (700) a young collection runs every
  few dozen translated guest instructions, the kept IR is promoted, and every full
  collection traverses it (coldcode.elf in an embedding process: 395 of 2,329
  million host instructions in the collector). With ``n`` (``Emulator(gc_young=)``,
  500,000 unless told) young collections wait for ``n`` net allocations.

Neither keeps state outside the block: the collector's own settings are the
state. A block that finds the threshold already at least ``n`` (the program's
choice, or another vCPU's block) changes nothing; a block puts back the old
threshold only if the threshold is still its own when it ends (a program that
set another one meanwhile keeps it). So nested and concurrent blocks, on any
threads, leave the collector as they found it.
"""

from __future__ import annotations

import gc


class paused:
    """No automatic cyclic collection inside the block (reference counting goes on)."""

    __slots__ = ("_was",)

    def __enter__(self) -> None:
        self._was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._was:
            gc.enable()


class relaxed:
    """Young collections wait for ``young`` net allocations inside the block (0: as
    they are)."""

    __slots__ = ("_restore", "_young")

    def __init__(self, young: int) -> None:
        self._young = young
        self._restore: tuple[int, int, int] | None = None

    def __enter__(self) -> None:
        first, second, third = gc.get_threshold()
        if 0 < first < self._young:  # 0: the program turned automatic collection off
            self._restore = (first, second, third)
            gc.set_threshold(self._young, second, third)

    def __exit__(self, *exc: object) -> None:
        restore, self._restore = self._restore, None
        if restore is not None and gc.get_threshold()[0] == self._young:
            gc.set_threshold(*restore)
