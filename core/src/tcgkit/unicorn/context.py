"""``UcContext``: a saved CPU state, as ``Uc.context_save`` returns it.

Owns the context object: the target's CPU state slots and the ``Uc``'s shadow
registers at the time of the save, readable and writable by Unicorn register id
(``reg_read``, ``reg_write`` and their batches, as Unicorn's contexts), picklable,
and ``bytes(context)`` the state as little-endian words. As in Unicorn, a context
holds registers only, never memory, and a context restored into a ``Uc`` of another
architecture or mode is refused (``UC_ERR_ARG``).
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import MutableSequence
from typing import Any

from ..memory import MemorySnapshot
from .access import RegisterAccess, RegisterTable, table_for
from .targets import find_target


class UcContext(RegisterAccess):
    """A saved CPU state (registers only)."""

    def __init__(self, arch: int, mode: int, cpu_model: int, table: RegisterTable,
                 words: list[int], shadow: dict[str, int]) -> None:  # fmt: skip
        self._arch = arch
        self._mode = mode
        self._cpu_model = cpu_model
        self._table = table
        self._words: MutableSequence[int] | None = words
        self._shadow = shadow
        #: guest memory at the save, when the ``Uc``'s context mode covered it
        self._memory: MemorySnapshot | None = None

    def _attach(self) -> MutableSequence[int]:
        assert self._words is not None
        return self._words

    @property
    def arch(self) -> int:
        return self._arch

    @property
    def mode(self) -> int:
        return self._mode

    @property
    def size(self) -> int:
        """Bytes of saved state (``len(bytes(context))``)."""
        return 8 * len(self._words or ())

    @property
    def context(self) -> UcContext:
        """The underlying context (Unicorn's is a C pointer; here the object itself)."""
        return self

    def __bytes__(self) -> bytes:
        words = self._words or []
        return struct.pack(f"<{len(words)}Q", *words)

    def __getstate__(self) -> dict[str, Any]:
        return {"arch": self._arch, "mode": self._mode, "cpu_model": self._cpu_model,
                "words": list(self._words or ()), "shadow": dict(self._shadow)}  # fmt: skip

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._arch = state["arch"]
        self._mode = state["mode"]
        self._cpu_model = state["cpu_model"]
        self._words = array("Q", state["words"])  # as context_save makes them
        self._shadow = state["shadow"]
        self._memory = None  # a snapshot refers to the live memory of its Uc: not pickled
        # the register table is the installed target's (its accessors are code)
        self._table = table_for(find_target(self._arch)[2], self._cpu_model)

    def __repr__(self) -> str:
        return f"<UcContext arch={self._arch} mode={self._mode} size={self.size}>"


__all__ = ["UcContext"]
