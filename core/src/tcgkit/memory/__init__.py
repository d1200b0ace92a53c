"""The memory API (QEMU's memory.c, in miniature).

* ``region``: ``MemoryRegion`` (RAM, ROM, MMIO, alias, container) and PROT_*;
* ``flatview``: rendering the tree to ``FlatView``\\s of ``FlatRange``\\s;
* ``dispatch``: address -> range structures, one per FlatView;
* ``system``: ``MemorySystem`` (transactions, sharing, listeners, stats);
* ``address_space``: ``AddressSpace`` (current view, accesses, readers);
* ``guest_map``: ``GuestMemoryMap`` (Unicorn-style map/unmap/protect) and its
  ``MemorySnapshot``.
"""

from ..errors import MemoryAccessError, ProtectionError, UnmappedAccessError
from .address_space import AddressSpace
from .flatview import FlatRange, FlatView, render
from .guest_map import GuestMemoryMap, MemorySnapshot
from .region import (
    PROT_ALL,
    PROT_EXEC,
    PROT_NONE,
    PROT_READ,
    PROT_WRITE,
    MemoryRegion,
    RegionKind,
)
from .system import MemorySystem

__all__ = [
    "PROT_ALL",
    "PROT_EXEC",
    "PROT_NONE",
    "PROT_READ",
    "PROT_WRITE",
    "AddressSpace",
    "FlatRange",
    "FlatView",
    "GuestMemoryMap",
    "MemoryAccessError",
    "MemoryRegion",
    "MemorySnapshot",
    "MemorySystem",
    "ProtectionError",
    "RegionKind",
    "UnmappedAccessError",
    "render",
]
