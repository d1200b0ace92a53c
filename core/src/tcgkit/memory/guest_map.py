"""Unicorn-style guest mappings on top of the region tree.

Owns ``GuestMemoryMap``: the page-granular map / unmap / protect operations
the Emulator exposes, and the bookkeeping that turns them into regions.

Each mapping made by ``map_ram`` / ``map_mmio`` gets one backing region (RAM
or MMIO) and is placed in the root container as an *alias* window onto it,
carrying the mapping's permissions. ``unmap`` and ``protect`` of part of a
mapping replace its window by up to three windows onto the same backing
(left part, middle part, right part), so the guest's bytes never move and an
MMIO device keeps seeing offsets relative to its own start. A backing region
is freed when its last window goes.

Invariants:

* windows never overlap and are page-aligned;
* every operation validates completely before changing anything (alignment,
  the 64-bit limit, overlap for map, full coverage for unmap and protect) and
  raises ``ValueError`` naming the offending address otherwise; the change
  itself is one transaction, so listeners and vCPUs see it whole.
"""

from __future__ import annotations

from bisect import bisect_right

from .region import PROT_ALL, MemoryRegion, ReadCallback, WriteCallback
from .system import MemorySystem

PAGE_SIZE = 0x1000
ADDRESS_LIMIT = 1 << 64


class _Window:
    """One mapping: [start, end) of ``backing`` from ``backing_offset``, through
    ``region`` (the alias placed in the root)."""

    __slots__ = ("backing", "backing_offset", "end", "perms", "region", "start")

    def __init__(self, start: int, end: int, perms: int, backing: MemoryRegion,
                 backing_offset: int, region: MemoryRegion) -> None:  # fmt: skip
        self.start = start
        self.end = end
        self.perms = perms
        self.backing = backing
        self.backing_offset = backing_offset
        self.region = region


class GuestMemoryMap:
    """Page-granular mappings of RAM and MMIO in ``root`` (a container)."""

    def __init__(self, system: MemorySystem, root: MemoryRegion, page_size: int = PAGE_SIZE):
        self.system = system
        self.root = root
        self.page_size = page_size
        self._windows: list[_Window] = []  # sorted by start
        self._users: dict[int, int] = {}  # id(backing) -> windows using it

    # -- queries -------------------------------------------------------------------------

    def regions(self) -> list[tuple[int, int, int]]:
        """(begin, end inclusive, perms) of every mapping, sorted."""
        return [(w.start, w.end - 1, w.perms) for w in self._windows]

    def _overlapping(self, start: int, end: int) -> list[_Window]:
        starts = [w.start for w in self._windows]
        i = max(bisect_right(starts, start) - 1, 0)
        out = []
        for w in self._windows[i:]:
            if w.start >= end:
                break
            if w.end > start:
                out.append(w)
        return out

    # -- validation ----------------------------------------------------------------------

    def _check_range(self, address: int, size: int) -> None:
        if address < 0 or address % self.page_size:
            raise ValueError(f"address {address:#x} is not aligned to {self.page_size:#x}")
        if size <= 0 or size % self.page_size:
            raise ValueError(
                f"size {size:#x} at {address:#x} is not a positive multiple of {self.page_size:#x}"
            )
        if address + size > ADDRESS_LIMIT:
            raise ValueError(f"range {address:#x}+{size:#x} passes the end of the 64-bit space")

    @staticmethod
    def _check_perms(perms: int) -> None:
        if not isinstance(perms, int) or not 0 <= perms <= PROT_ALL:
            raise ValueError(f"invalid permissions {perms!r}")

    def _check_free(self, start: int, end: int) -> None:
        for w in self._overlapping(start, end):
            raise ValueError(
                f"range {start:#x}-{end - 1:#x} overlaps the mapping at {w.start:#x}-{w.end - 1:#x}"
            )

    def _check_covered(self, start: int, end: int) -> list[_Window]:
        windows = self._overlapping(start, end)
        at = start
        for w in windows:
            if w.start > at:
                break
            at = w.end
        if at < end:
            raise ValueError(f"address {at:#x} in {start:#x}-{end - 1:#x} is not mapped")
        return windows

    # -- operations ------------------------------------------------------------------------

    def map_ram(self, address: int, size: int, perms: int = PROT_ALL,
                host_addr: int | None = None) -> MemoryRegion:  # fmt: skip
        """Map zeroed RAM (``host_addr``: over the caller's host memory there instead,
        as ``MemoryRegion.ram_at``); returns the backing region."""
        self._check_range(address, size)
        self._check_perms(perms)
        self._check_free(address, address + size)
        name = f"ram@{address:#x}"
        backing = (MemoryRegion.ram(name, size) if host_addr is None
                   else MemoryRegion.ram_at(name, host_addr, size))  # fmt: skip
        self._add(_window(address, address + size, perms, backing, 0))
        return backing

    def map_mmio(
        self,
        address: int,
        size: int,
        read: ReadCallback | None,
        write: WriteCallback | None,
        perms: int = PROT_ALL,
    ) -> MemoryRegion:
        self._check_range(address, size)
        self._check_perms(perms)
        self._check_free(address, address + size)
        backing = MemoryRegion.mmio(f"mmio@{address:#x}", size, read, write)
        self._add(_window(address, address + size, perms, backing, 0))
        return backing

    def unmap(self, address: int, size: int) -> None:
        self._check_range(address, size)
        end = address + size
        windows = self._check_covered(address, end)
        with self.system.transaction():
            for w in windows:
                self._split(w, address, end, None)

    def protect(self, address: int, size: int, perms: int) -> None:
        self._check_range(address, size)
        self._check_perms(perms)
        end = address + size
        windows = self._check_covered(address, end)
        with self.system.transaction():
            for w in windows:
                if w.perms != perms:
                    self._split(w, address, end, perms)

    def clear(self) -> None:
        """Unmap everything."""
        with self.system.transaction():
            for w in list(self._windows):
                self._remove(w)

    # -- mechanics ------------------------------------------------------------------------

    def _split(self, w: _Window, start: int, end: int, perms: int | None) -> None:
        """Replace ``w`` by its parts outside [start, end) and, unless ``perms`` is
        None (unmap), its part inside with ``perms``."""
        parts = []
        if w.start < start:
            parts.append((w.start, start, w.perms))
        s, e = max(w.start, start), min(w.end, end)
        if perms is not None:
            parts.append((s, e, perms))
        if end < w.end:
            parts.append((end, w.end, w.perms))
        # add the new windows before removing the old, so the backing stays in use
        for ps, pe, pp in parts:
            self._add(_window(ps, pe, pp, w.backing, w.backing_offset + ps - w.start))
        self._remove(w)

    def _add(self, w: _Window) -> None:
        with self.system.transaction():
            self.root.add_subregion(w.start, w.region)
        starts = [x.start for x in self._windows]
        self._windows.insert(bisect_right(starts, w.start), w)
        key = id(w.backing)
        self._users[key] = self._users.get(key, 0) + 1

    def _remove(self, w: _Window) -> None:
        with self.system.transaction():
            self.root.del_subregion(w.region)
        self._windows.remove(w)
        w.region.free()
        key = id(w.backing)
        self._users[key] -= 1
        if not self._users[key]:
            del self._users[key]
            w.backing.free()
            self.system.forget(w.backing)


def _window(start: int, end: int, perms: int, backing: MemoryRegion, offset: int) -> _Window:
    region = MemoryRegion.alias(f"{backing.name}+{offset:#x}", backing, offset, end - start, perms)
    return _Window(start, end, perms, backing, offset, region)
