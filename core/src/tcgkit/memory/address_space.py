"""Address spaces: a named root region, its current FlatView, and accesses.

Owns ``AddressSpace``: reading and writing any number of bytes at any
address (crossing flat-range boundaries), with permission checks, and the
reader protocol of deferred reclamation (``acquire`` / ``reading``).

Accesses are all-or-nothing where the memory allows it: every flat range an
access touches is looked up and checked *before* any byte moves, so an
access that runs into unmapped or forbidden memory raises
``UnmappedAccessError`` / ``ProtectionError`` naming the first bad address
and has no effect (MMIO callbacks of the ranges before it are not called).
Accesses whose end passes 2^64 are unmapped past 2^64.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import ProtectionError, UnmappedAccessError
from .flatview import ADDRESS_LIMIT, FlatRange, FlatView
from .region import PROT_EXEC, PROT_READ, PROT_WRITE, MemoryRegion
from .system import MemorySystem

_NEEDS = {"read": PROT_READ, "write": PROT_WRITE, "fetch": PROT_EXEC}


class AddressSpace:
    """What one bus master (a CPU, a device's DMA) sees: a root region rendered flat."""

    def __init__(self, system: MemorySystem, root: MemoryRegion, name: str) -> None:
        self.system = system
        self.root = root
        self.name = name
        self._view: FlatView | None = None
        system.register(self)

    def __repr__(self) -> str:
        return f"<AddressSpace {self.name!r} root={self.root.name!r}>"

    # -- views ------------------------------------------------------------------------

    @property
    def flatview(self) -> FlatView:
        """The current FlatView (valid while the caller does not yield to a writer;
        hold it across updates with ``acquire`` / ``reading``)."""
        view = self._view
        if view is None:
            raise RuntimeError(f"address space {self.name!r} was destroyed")
        return view

    @property
    def flatview_or_none(self) -> FlatView | None:
        return self._view

    def _swap_view(self, view: FlatView | None) -> FlatView | None:
        old, self._view = self._view, view
        return old

    def acquire(self) -> FlatView:
        """The current view, referenced: it stays valid until ``view.unref()``."""
        with self.system.lock:
            return self.flatview.ref()

    def release(self, view: FlatView) -> None:
        with self.system.lock:
            view.unref()

    @contextmanager
    def reading(self) -> Iterator[FlatView]:
        view = self.acquire()
        try:
            yield view
        finally:
            self.release(view)

    def destroy(self) -> None:
        """Leave the system: listeners are told, the view is unreferenced. Idempotent."""
        self.system.unregister(self)

    # -- accesses ------------------------------------------------------------------------

    def _within_one(self, addr: int, size: int, access: str,
                    check_perms: bool) -> FlatRange | None:  # fmt: skip
        """The flat range holding all of a non-empty access that it allows, else None
        (the access then goes piece by piece, and raises where it must)."""
        if size <= 0 or not 0 <= addr < ADDRESS_LIMIT:
            return None
        fr = self.flatview.lookup(addr)
        if fr is None or addr + size > fr.end or (check_perms and not fr.perms & _NEEDS[access]):
            return None
        return fr

    def _pieces(
        self, addr: int, size: int, access: str, check_perms: bool
    ) -> list[tuple[FlatRange, int, int]]:
        """(range, offset in region, length) for every piece of the access, checked."""
        view = self.flatview
        need = _NEEDS[access]
        out = []
        pos = 0
        while pos < size:
            a = addr + pos
            fr = view.lookup(a) if a < ADDRESS_LIMIT else None
            if fr is None:
                raise UnmappedAccessError(
                    "nothing mapped", address=a % ADDRESS_LIMIT, size=size, access=access
                )
            if check_perms and not fr.perms & need:
                raise ProtectionError(
                    f"{fr.region.name!r} does not allow it", address=a, size=size, access=access
                )
            n = min(size - pos, fr.end - a)
            out.append((fr, fr.offset_in_region + a - fr.start, n))
            pos += n
        return out

    def read(self, addr: int, size: int, access: str = "read", check_perms: bool = True) -> bytes:
        """``size`` bytes at ``addr``; ``access`` is "read" or "fetch"."""
        fr = self._within_one(addr, size, access, check_perms)
        if fr is not None:  # the usual case, without the list of pieces
            return fr.region.read_leaf(fr.offset_in_region + addr - fr.start, size)
        pieces = self._pieces(addr, size, access, check_perms)
        return b"".join(fr.region.read_leaf(off, n) for fr, off, n in pieces)

    def write(self, addr: int, data: bytes, check_perms: bool = True) -> None:
        fr = self._within_one(addr, len(data), "write", check_perms)
        if fr is not None:  # the usual case, without the list of pieces
            fr.region.write_leaf(fr.offset_in_region + addr - fr.start, data)
            return
        pos = 0
        for fr, off, n in self._pieces(addr, len(data), "write", check_perms):
            fr.region.write_leaf(off, data[pos : pos + n])
            pos += n

    def mapped(self, addr: int) -> FlatRange | None:
        """The flat range holding ``addr``, if any."""
        return self.flatview.lookup(addr) if 0 <= addr < ADDRESS_LIMIT else None
