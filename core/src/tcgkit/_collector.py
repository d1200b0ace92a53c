"""Pausing Python's cyclic garbage collector while tcgkit loads its modules.

Owns ``paused``: importing the engine and discovering its plugins allocate tens
of thousands of objects (classes, functions, tables) that live as long as the
process, and at the default threshold the collector runs dozens of times meanwhile,
traversing every one of them (callgrind, `tcgkit run hello_glibc.elf`: 11 million
host instructions). Nothing loaded there is garbage, so the collector is paused
for the duration and resumes as it was; it changes no setting a program made.
Imports nothing but ``gc``: the package imports it first.
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
