"""Virtual-address translation in front of the software TLB: an MMU the embedder
supplies as a fill function.

Owns ``VirtualTLB``. With one set on the engine (``Engine.set_translation``) every
guest load, store and instruction fetch is of a virtual address: its page (of
``2^page_bits`` bytes, which may be smaller than the engine's page) is translated
by ``fill(address, access)`` (``access``: MEM_READ, MEM_WRITE or MEM_FETCH), which
answers ``(physical address of the page, PROT_* permissions)`` or None (no
translation). The answer is kept per virtual page until ``flush``; an access the
kept permissions do not allow asks ``fill`` again (the new answer replaces the
old). No answer, or one whose permissions do not allow the access, is a
``TranslationFaultError``. Memory is then accessed at the physical address, through
the memory API (mapping permissions, unmapped and protection faults, MMIO).

While translation is on, the TLB's first level holds only pages whose kept
translations cover them whole (``softmmu``), its second level nothing, and TBs are
keyed by their virtual pc and listed on their physical page (``TB.phys_delta``);
a changed translation drops its page's TLB entries, and flushes the TBs when the
physical page changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import hooks as H
from ..errors import TranslationFaultError
from ..memory import PROT_EXEC, PROT_READ, PROT_WRITE

if TYPE_CHECKING:
    from .cpu import CPU
    from .engine import Engine

#: ``fill(address, access) -> (physical page address, PROT_* perms) | None``
FillFunction = Callable[[int, int], "tuple[int, int] | None"]

_NEEDS = {H.MEM_READ: PROT_READ, H.MEM_WRITE: PROT_WRITE, H.MEM_FETCH: PROT_EXEC}
_WHAT = {H.MEM_READ: "read", H.MEM_WRITE: "write", H.MEM_FETCH: "fetch"}
_M64 = (1 << 64) - 1


class VirtualTLB:
    """The translations ``fill`` gave, by virtual page (see the module docstring)."""

    def __init__(self, engine: Engine, fill: FillFunction, page_bits: int) -> None:
        self.engine = engine
        self.fill = fill
        self.page_bits = page_bits
        self.offset_mask = (1 << page_bits) - 1
        #: virtual page number -> (physical address of the page, PROT_* perms)
        self.pages: dict[int, tuple[int, int]] = {}
        self.fills = 0

    def flush(self) -> None:
        """Forget every translation (the next access of each page asks ``fill``)."""
        self.pages.clear()

    def peek(self, addr: int, access: int = H.MEM_FETCH) -> int | None:
        """The physical address of ``addr`` if a kept translation allows ``access``
        there (never calls ``fill``), else None."""
        entry = self.pages.get(addr >> self.page_bits)
        if entry is None or not entry[1] & _NEEDS[access]:
            return None
        return entry[0] | (addr & self.offset_mask)

    def translate(self, cpu: CPU | None, addr: int, size: int, access: int) -> int:
        """The physical address of virtual ``addr`` for ``access`` (``size``: the
        access's, for the fault), filling the page's translation if need be. ``cpu``:
        the vCPU of a data access (its pc is synced first, for ``fill`` and for the
        fault); None for a fetch (the pc is ``addr``)."""
        page = addr >> self.page_bits
        need = _NEEDS[access]
        entry = self.pages.get(page)
        if entry is None or not entry[1] & need:
            if cpu is not None:
                cpu.sync_pc()
            got = self.fill(addr, access)
            self.fills += 1
            if got is None or not got[1] & need:
                pc = addr if cpu is None else cpu.pc
                raise TranslationFaultError(
                    f"{_WHAT[access]} of {size} bytes at virtual {addr:#x}: no translation "
                    f"allows it", access=access, address=addr, size=size, pc=pc)  # fmt: skip
            new = ((got[0] & _M64) & ~self.offset_mask, got[1])
            self.pages[page] = new
            if entry is not None:
                # the TLB's entries of the page held the old translation
                self.engine.translation_replaced(addr)
                if entry[0] != new[0]:
                    # code translated from the old physical page must not run for this one
                    self.engine.tb_flush()
            entry = new
        return entry[0] | (addr & self.offset_mask)

    def pieces(self, cpu: CPU | None, addr: int, size: int, access: int) -> list[tuple[int, int]]:
        """``[(physical address, bytes)]`` of an access of ``size`` bytes at virtual
        ``addr``: one piece, or two when it crosses a virtual page (translated in
        address order)."""
        end = addr + size
        split = ((addr >> self.page_bits) + 1) << self.page_bits
        first = self.translate(cpu, addr, size, access)
        if end <= split:
            return [(first, size)]
        second = self.translate(cpu, split, size, access)
        return [(first, split - addr), (second, end - split)]


__all__ = ["FillFunction", "VirtualTLB"]
