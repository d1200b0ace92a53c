"""Memory regions: the nodes of the memory tree (QEMU's MemoryRegion).

Owns ``MemoryRegion`` and its kinds, the ``PROT_*`` permission bits, and the
access paths of a single leaf region (RAM/ROM byte copies, MMIO callbacks
with access splitting). It does not know about address spaces or FlatViews:
a change to a region only *marks* it and everything that can see it
(containers above it, aliases of it) as dirty, inside a transaction of the
``MemorySystem`` the region was adopted by; rendering happens at commit.

Kinds:

* RAM: zeroed anonymous mmap of ``size`` bytes; ``view`` is a writable
  memoryview of it and ``host_addr`` its host address, for generated code.
* ROM: like RAM but its default permissions exclude PROT_WRITE, so a
  *guest* write faults with a protection error (as Unicorn does for pages
  mapped without write permission). Writes through the debug path
  (``check_perms=False``, i.e. ``Emulator.mem_write``) do change it: that is
  how ROM contents get loaded.
* MMIO: ``read(offset, size) -> int`` / ``write(offset, size, value)``
  callbacks. Accesses are split into the sizes the device accepts
  (``min_access``..``max_access``, powers of two, aligned unless
  ``unaligned=True``), little-endian; an access narrower than
  ``min_access`` reads the wider aligned unit (and, for a write, merges into
  it first when the device can be read). A missing read callback reads 0; a
  missing write callback ignores the write.
* alias: a window of ``size`` bytes at ``offset`` into another region.
* container: subregions at offsets with priorities; where they overlap the
  higher priority wins, and between equal priorities the one added last.

Every region has a name, an ``enabled`` flag (a disabled region and all it
contains render to nothing) and ``perms``. The permissions of a flat range
are the AND of the perms of every region on the path from the root to its
leaf, so an alias can narrow (or, over full-permission RAM, set) what a
window allows. Zero-sized regions are legal and render to nothing.

Invariants:

* a region has at most one parent container, and belongs to at most one
  ``MemorySystem`` (adopted with the first tree it joins);
* the RAM of a region stays mapped until ``free()`` was called *and* no
  FlatView still references the region (deferred reclamation: see
  ``flatview``), so a reader holding an old view never touches unmapped
  host memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .system import MemorySystem

PROT_NONE = 0
PROT_READ = 1
PROT_WRITE = 2
PROT_EXEC = 4
PROT_ALL = 7

ReadCallback = Callable[[int, int], int]
WriteCallback = Callable[[int, int, int], None]


class RegionKind(Enum):
    RAM = "ram"
    ROM = "rom"
    MMIO = "mmio"
    ALIAS = "alias"
    CONTAINER = "container"


class MemoryRegion:
    """A node of the memory tree; build with the ``ram``/``rom``/``mmio``/``alias``/
    ``container`` constructors."""

    __slots__ = (
        "__weakref__",
        "_added",
        "_backing",
        "_dirty",
        "_freed",
        "_fv_refs",
        "_host_addr",
        "alias_offset",
        "alias_target",
        "alias_users",
        "enabled",
        "kind",
        "max_access",
        "min_access",
        "name",
        "offset",
        "parent",
        "perms",
        "priority",
        "read_cb",
        "size",
        "subregions",
        "system",
        "unaligned",
        "view",
        "write_cb",
    )

    def __init__(self, kind: RegionKind, name: str, size: int, perms: int) -> None:
        if size < 0:
            raise ValueError(f"region {name!r}: negative size {size}")
        if not 0 <= perms <= PROT_ALL:
            raise ValueError(f"region {name!r}: bad permissions {perms:#x}")
        self.kind = kind
        self.name = name
        self.size = size
        self.perms = perms
        self.enabled = True
        self.parent: MemoryRegion | None = None
        self.offset = 0  # address within the parent container
        self.priority = 0
        self.subregions: list[MemoryRegion] = []  # render order: winners first
        self.alias_target: MemoryRegion | None = None
        self.alias_offset = 0
        self.alias_users: list[MemoryRegion] = []
        self.read_cb: ReadCallback | None = None
        self.write_cb: WriteCallback | None = None
        self.min_access = 1
        self.max_access = 8
        self.unaligned = False
        self.view: memoryview | None = None
        self.system: MemorySystem | None = None
        self._backing: mmap.mmap | None = None
        self._host_addr = 0
        self._fv_refs = 0
        self._freed = False
        self._dirty = False
        self._added = 0  # insertion stamp among siblings (later wins ties)

    # -- constructors ----------------------------------------------------------

    @classmethod
    def ram(cls, name: str, size: int, perms: int = PROT_ALL) -> MemoryRegion:
        """Zeroed, mmap-backed RAM."""
        return cls._backed(RegionKind.RAM, name, size, perms)

    @classmethod
    def ram_at(cls, name: str, host_addr: int, size: int, perms: int = PROT_ALL) -> MemoryRegion:
        """RAM over ``size`` bytes of host memory at ``host_addr`` that the caller
        allocated and keeps alive until the region is freed (Unicorn's
        ``mem_map_ptr``): nothing is copied, and freeing the region does not free it."""
        if host_addr <= 0:
            raise ValueError(f"RAM {name!r}: host address {host_addr:#x} is not a pointer")
        region = cls(RegionKind.RAM, name, size, perms)
        if size:
            region._host_addr = host_addr
            region.view = memoryview((ctypes.c_char * size).from_address(host_addr)).cast("B")
        return region

    @classmethod
    def rom(cls, name: str, size: int, data: bytes = b"") -> MemoryRegion:
        """Read/execute-only memory, optionally initialized with ``data``."""
        region = cls._backed(RegionKind.ROM, name, size, PROT_READ | PROT_EXEC)
        if len(data) > size:
            raise ValueError(f"ROM {name!r}: {len(data)} bytes of data for {size} bytes")
        if data:
            assert region.view is not None
            region.view[: len(data)] = data
        return region

    @classmethod
    def _backed(cls, kind: RegionKind, name: str, size: int, perms: int) -> MemoryRegion:
        region = cls(kind, name, size, perms)
        if size:
            region._backing = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            anchor = ctypes.c_char.from_buffer(region._backing)
            region._host_addr = ctypes.addressof(anchor)
            del anchor  # drop the buffer export: only ``view`` keeps one
            region.view = memoryview(region._backing)
        return region

    @classmethod
    def mmio(
        cls,
        name: str,
        size: int,
        read: ReadCallback | None,
        write: WriteCallback | None,
        *,
        min_access: int = 1,
        max_access: int = 8,
        unaligned: bool = False,
        perms: int = PROT_READ | PROT_WRITE,
    ) -> MemoryRegion:
        """A device: ``read(offset, size) -> int``, ``write(offset, size, value)``."""
        for n in (min_access, max_access):
            if n not in (1, 2, 4, 8):
                raise ValueError(f"MMIO {name!r}: access size {n} is not 1, 2, 4 or 8")
        if min_access > max_access:
            raise ValueError(f"MMIO {name!r}: min_access {min_access} > max_access {max_access}")
        region = cls(RegionKind.MMIO, name, size, perms)
        region.read_cb, region.write_cb = read, write
        region.min_access, region.max_access = min_access, max_access
        region.unaligned = unaligned
        return region

    @classmethod
    def alias(
        cls, name: str, target: MemoryRegion, offset: int, size: int, perms: int = PROT_ALL
    ) -> MemoryRegion:
        """A window of ``size`` bytes at ``offset`` into ``target``."""
        if offset < 0 or offset + size > target.size:
            raise ValueError(
                f"alias {name!r}: window {offset:#x}+{size:#x} is outside "
                f"{target.name!r} ({target.size:#x} bytes)"
            )
        region = cls(RegionKind.ALIAS, name, size, perms)
        region.alias_target, region.alias_offset = target, offset
        target.alias_users.append(region)
        if target.system is not None:
            target.system.adopt(region)
        return region

    @classmethod
    def container(cls, name: str, size: int, perms: int = PROT_ALL) -> MemoryRegion:
        """An empty container of ``size`` bytes of address space."""
        return cls(RegionKind.CONTAINER, name, size, perms)

    # -- properties ------------------------------------------------------------

    @property
    def is_callers_memory(self) -> bool:
        """RAM over host memory the caller owns (``ram_at``), not memory of its own."""
        return self.kind is RegionKind.RAM and self._host_addr != 0 and self._backing is None

    @property
    def host_addr(self) -> int:
        """Host address of a RAM/ROM region's first byte (0 for other kinds)."""
        return self._host_addr

    @property
    def is_leaf(self) -> bool:
        return self.kind in (RegionKind.RAM, RegionKind.ROM, RegionKind.MMIO)

    @property
    def freed(self) -> bool:
        return self._freed

    def __repr__(self) -> str:
        return f"<MemoryRegion {self.kind.value} {self.name!r} size={self.size:#x}>"

    # -- tree changes (each inside a transaction of the region's system) ------------

    def add_subregion(self, offset: int, child: MemoryRegion, priority: int = 0) -> None:
        """Place ``child`` at ``offset`` in this container."""
        if self.kind is not RegionKind.CONTAINER:
            raise TypeError(f"{self.name!r} is a {self.kind.value}, not a container")
        if child.parent is not None:
            raise ValueError(f"{child.name!r} is already inside {child.parent.name!r}")
        if child.reaches(self):
            raise ValueError(f"adding {child.name!r} under {self.name!r} would make a cycle")
        if offset < 0:
            raise ValueError(f"negative offset {offset:#x} for {child.name!r}")
        system = self.system or child.system
        if self.system and child.system and self.system is not child.system:
            raise ValueError(f"{child.name!r} belongs to another memory system")
        with _transaction(system):
            if system is not None:
                system.adopt(self)
                system.adopt(child)
            child.parent, child.offset, child.priority = self, offset, priority
            self._added += 1  # a container's own stamp counts its insertions
            child._added = self._added
            # render order: higher priority first, then the later-added first; a new
            # child goes before every sibling of its priority (O(n), no re-sort)
            subs = self.subregions
            i = 0
            while i < len(subs) and subs[i].priority > priority:
                i += 1
            subs.insert(i, child)
            self._mark_dirty()

    def del_subregion(self, child: MemoryRegion) -> None:
        if child.parent is not self:
            raise ValueError(f"{child.name!r} is not a subregion of {self.name!r}")
        with _transaction(self.system):
            self.subregions.remove(child)
            child.parent = None
            self._mark_dirty()

    def set_enabled(self, enabled: bool) -> None:
        if enabled != self.enabled:
            with _transaction(self.system):
                self.enabled = enabled
                self._mark_dirty()

    def set_perms(self, perms: int) -> None:
        if not 0 <= perms <= PROT_ALL:
            raise ValueError(f"region {self.name!r}: bad permissions {perms:#x}")
        if perms != self.perms:
            with _transaction(self.system):
                self.perms = perms
                self._mark_dirty()

    def set_offset(self, offset: int) -> None:
        """Move this subregion within its container."""
        with _transaction(self.system):
            self.offset = offset
            self._mark_dirty()

    def reaches(self, region: MemoryRegion) -> bool:
        """Whether rendering this region would visit ``region`` (itself included).

        Rendering descends into subregions and through aliases into their
        targets; a tree is acyclic exactly when no region reaches the
        container it is being added to, which ``add_subregion`` checks.
        """
        seen: set[int] = set()
        stack = [self]
        while stack:
            node = stack.pop()
            if node is region:
                return True
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.extend(node.subregions)
            if node.alias_target is not None:
                stack.append(node.alias_target)
        return False

    def _mark_dirty(self) -> None:
        """Mark this region and every region that can see it (parents, aliases)."""
        system = self.system
        if system is None:
            return  # not part of any tree that is rendered yet
        stack = [self]
        while stack:
            region = stack.pop()
            if region._dirty:
                continue
            region._dirty = True
            system.note_dirty(region)
            if region.parent is not None:
                stack.append(region.parent)
            stack.extend(region.alias_users)

    # -- release ------------------------------------------------------------------

    def free(self) -> None:
        """Release the RAM once no FlatView uses the region any more. Idempotent."""
        if self._freed:
            return
        self._freed = True
        if self.alias_target is not None:
            users = self.alias_target.alias_users
            if self in users:
                users.remove(self)
        if self._fv_refs == 0:
            self._reclaim()

    def _view_ref(self) -> None:
        self._fv_refs += 1

    def _view_unref(self) -> None:
        self._fv_refs -= 1
        if self._fv_refs == 0 and self._freed:
            self._reclaim()

    def _reclaim(self) -> None:
        view, backing = self.view, self._backing
        self.view, self._backing, self._host_addr = None, None, 0
        if view is not None:
            try:
                view.release()
            except BufferError:
                return  # an export is still alive: the mapping goes with the last one
        if backing is not None:
            with contextlib.suppress(BufferError):  # closed when the last export goes
                backing.close()

    # -- leaf access ----------------------------------------------------------------

    def read_leaf(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` of a RAM/ROM/MMIO region."""
        if self.view is not None:
            return bytes(self.view[offset : offset + size])
        if self.kind is RegionKind.MMIO:
            return mmio_read(self, offset, size).to_bytes(size, "little")
        raise RuntimeError(f"region {self.name!r} was freed")

    def write_leaf(self, offset: int, data: bytes) -> None:
        if self.view is not None:
            self.view[offset : offset + len(data)] = data
            return
        if self.kind is RegionKind.MMIO:
            mmio_write(self, offset, len(data), int.from_bytes(data, "little"))
            return
        raise RuntimeError(f"region {self.name!r} was freed")


class _NoTransaction:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _transaction(system: MemorySystem | None) -> object:
    return _NoTransaction() if system is None else system.transaction()


# -- MMIO access splitting -----------------------------------------------------------


def _chunks(region: MemoryRegion, offset: int, size: int) -> list[tuple[int, int]]:
    """(position in the access, unit size) pieces a device accepts, in order."""
    out = []
    pos = 0
    while pos < size:
        o = offset + pos
        n = region.max_access
        while n > 1 and (n > size - pos or (not region.unaligned and o % n)):
            n >>= 1
        # a piece narrower than min_access is widened to its aligned unit, so it
        # must not cross a unit boundary (only possible with unaligned pieces)
        unit = region.min_access
        while n > 1 and n < unit and o % unit + n > unit:
            n >>= 1
        out.append((pos, n))
        pos += n
    return out


def _unit_read(region: MemoryRegion, o: int, n: int) -> int:
    """Read ``n`` bytes at ``o``, widening to min_access when the device needs it."""
    cb = region.read_cb
    if cb is None:
        return 0
    if n >= region.min_access:
        return cb(o, n) & ((1 << (8 * n)) - 1)
    unit = region.min_access
    base = o - o % unit
    wide = cb(base, unit)
    return (wide >> (8 * (o - base))) & ((1 << (8 * n)) - 1)


def mmio_read(region: MemoryRegion, offset: int, size: int) -> int:
    value = 0
    for pos, n in _chunks(region, offset, size):
        value |= _unit_read(region, offset + pos, n) << (8 * pos)
    return value


def mmio_write(region: MemoryRegion, offset: int, size: int, value: int) -> None:
    cb = region.write_cb
    if cb is None:
        return
    for pos, n in _chunks(region, offset, size):
        o = offset + pos
        part = (value >> (8 * pos)) & ((1 << (8 * n)) - 1)
        if n >= region.min_access:
            cb(o, n, part)
            continue
        unit = region.min_access
        base = o - o % unit
        shift = 8 * (o - base)
        old = region.read_cb(base, unit) if region.read_cb is not None else 0
        merged = (old & ~(((1 << (8 * n)) - 1) << shift)) | (part << shift)
        cb(base, unit, merged & ((1 << (8 * unit)) - 1))
