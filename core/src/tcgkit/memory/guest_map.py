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

``snapshot`` records the mappings (each window, its backing and, for RAM, its
bytes) and ``restore_layout`` makes the mappings those of a snapshot again: a
window that is still there stays, one unmapped since comes back onto its old
backing while that lives (another window of it kept it), else onto a new one
(zeroed RAM, or an MMIO device with the same callbacks). Putting the bytes back
is the emulator's (``Emulator.mem_restore``: it owns the TB invalidation that
writing to code needs).

Invariants:

* windows never overlap and are page-aligned;
* every operation validates completely before changing anything (alignment,
  the 64-bit limit, overlap for map, full coverage for unmap and protect) and
  raises ``ValueError`` naming the offending address otherwise; the change
  itself is one transaction, so listeners and vCPUs see it whole.
"""

from __future__ import annotations

from bisect import bisect_right

from .region import PROT_ALL, MemoryRegion, ReadCallback, RegionKind, WriteCallback
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

    def protect(self, address: int, size: int, perms: int, merge: bool = False) -> None:
        """``perms`` on [address, address + size); with ``merge``, the windows of the
        range and its two neighbours that continue one another (the same backing, at
        consecutive offsets, with the same permissions) become one window, as the
        Linux kernel merges adjacent VMAs (Unicorn keeps them split, as the default
        does): a process that changes permissions of parts of a mapping again and
        again keeps as many windows as it has runs of permissions, not one per
        change."""
        self._check_range(address, size)
        self._check_perms(perms)
        end = address + size
        windows = self._check_covered(address, end)
        with self.system.transaction():
            for w in windows:
                if w.perms != perms:
                    self._split(w, address, end, perms)
            if merge:
                self._merge(address, end)

    def _merge(self, start: int, end: int) -> None:
        """Merge the runs of windows that continue one another among those overlapping
        [start - 1, end + 1) (the range and the windows touching it)."""
        windows = self._overlapping(max(start - 1, 0), end + 1)
        run: list[_Window] = []
        for w in [*windows, None]:
            if (w is not None and run and run[-1].end == w.start
                    and run[-1].backing is w.backing and run[-1].perms == w.perms
                    and run[-1].backing_offset + (run[-1].end - run[-1].start)
                    == w.backing_offset):  # fmt: skip
                run.append(w)
                continue
            if len(run) > 1:
                first, last = run[0], run[-1]
                # the merged window first, so that the backing stays in use
                self._add(_window(first.start, last.end, first.perms, first.backing,
                                  first.backing_offset))  # fmt: skip
                for old in run:
                    self._remove(old)
            run = [] if w is None else [w]

    def snapshot(self) -> MemorySnapshot:
        """The mappings now, with the bytes of every RAM window (``MemorySnapshot``)."""
        saved: list[SavedWindow] = []
        for w in self._windows:
            b = w.backing
            if b.kind is RegionKind.MMIO or b.view is None:
                saved.append((w.start, w.end, w.perms, b, w.backing_offset, None, DEVICE))
                continue
            data = bytes(b.view[w.backing_offset : w.backing_offset + w.end - w.start])
            kind = CALLERS if b.is_callers_memory else RAM
            saved.append((w.start, w.end, w.perms, b, w.backing_offset, data, kind))
        return MemorySnapshot(saved, self.page_size)

    def restore_layout(self, snap: MemorySnapshot) -> list[tuple[int, bytes]]:
        """Make the mappings ``snap``'s; returns (address, bytes) of its RAM windows,
        for the caller to write. Validates first: a window whose backing is gone and
        was the caller's host memory (``map_ram(host_addr=...)``) cannot come back, a
        ``ValueError`` naming it."""
        if snap.page_size != self.page_size:
            raise ValueError("the snapshot is of a map with another page size")
        for start, _, _, backing, _, _, kind in snap.windows:
            if kind == CALLERS and id(backing) not in self._users:
                raise ValueError(
                    f"the mapping at {start:#x} was the caller's host memory (mem_map_ptr) "
                    "and has been unmapped since the snapshot: it cannot be restored"
                )
        want = {(s, e, p, id(b), o) for s, e, p, b, o, _, _ in snap.windows}
        with self.system.transaction():
            held = [w.backing for w in self._windows]  # alive while the windows change
            for b in held:
                self._users[id(b)] += 1
            for w in list(self._windows):
                if (w.start, w.end, w.perms, id(w.backing), w.backing_offset) not in want:
                    self._remove(w)
            have = {(w.start, w.end, w.perms, id(w.backing), w.backing_offset)
                    for w in self._windows}  # fmt: skip
            made: dict[int, MemoryRegion] = {}  # a gone backing -> its new one
            for s, e, p, b, o, _, kind in snap.windows:
                if (s, e, p, id(b), o) in have:
                    continue
                backing = b if id(b) in self._users else made.get(id(b))
                if backing is None:
                    backing = made[id(b)] = _renew(b, kind)
                self._add(_window(s, e, p, backing, o))
            for b in held:
                key = id(b)
                self._users[key] -= 1
                if not self._users[key]:
                    del self._users[key]
                    b.free()
                    self.system.forget(b)
        return [(s, data) for s, _, _, _, _, data, _ in snap.windows if data is not None]

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


#: what a snapshot's window was: owned RAM, the caller's host memory, a device
RAM, CALLERS, DEVICE = 0, 1, 2
#: a window in a snapshot: start, end, perms, backing, offset in it, bytes (None for a
#: device), RAM/CALLERS/DEVICE
SavedWindow = tuple[int, int, int, MemoryRegion, int, bytes | None, int]


class MemorySnapshot:
    """The mappings of a ``GuestMemoryMap`` at one moment: (start, end, perms, backing,
    offset in the backing, bytes or None for a device, RAM/CALLERS/DEVICE) per window.
    It refers to the backings of that moment (freed ones included, to know them
    again) and owns copies of the RAM bytes; nothing else."""

    __slots__ = ("page_size", "windows")

    def __init__(self, windows: list[SavedWindow], page_size: int) -> None:
        self.windows = windows
        self.page_size = page_size

    @property
    def ram_bytes(self) -> int:
        """Bytes of RAM the snapshot holds a copy of."""
        return sum(len(w[5]) for w in self.windows if w[5] is not None)


def _renew(old: MemoryRegion, kind: int) -> MemoryRegion:
    """A new backing like ``old`` (freed since): zeroed RAM of its size, or a device
    with its callbacks."""
    if kind == DEVICE:
        return MemoryRegion.mmio(old.name, old.size, old.read_cb, old.write_cb)
    return MemoryRegion.ram(old.name, old.size)


def _window(start: int, end: int, perms: int, backing: MemoryRegion, offset: int) -> _Window:
    region = MemoryRegion.alias(f"{backing.name}+{offset:#x}", backing, offset, end - start, perms)
    return _Window(start, end, perms, backing, offset, region)
