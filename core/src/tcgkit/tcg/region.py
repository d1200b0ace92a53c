"""The code buffer and its regions.

Owns the memory generated code lives in. One buffer is mapped once
(page-aligned, anonymous) and cut into equal regions, each followed by a
guard page mapped PROT_NONE, so that a code generator running past its
region faults instead of corrupting its neighbour.

Protocol (QEMU's tcg_region_*):
* a translation context claims a whole region under ``CodeBuffer._lock`` and
  then allocates inside it without locking (only its owner touches it);
* when its region is full it claims the next free one;
* when none is left, ``claim`` returns None and the caller flushes the TB
  cache: ``reset()`` returns every region to the free pool. A reset happens
  only while no vCPU executes generated code.
* ``release()`` unmaps the buffer; it is idempotent and the buffer is unusable
  afterwards.

The buffer is mapped through libc so that its host address is known and
stable and nothing in Python holds an export on it: release is a plain
munmap. ``executable=False`` maps it read-write only (the portable host keeps
its code objects' bytecode there, for accounting and inspection);
W^X dual mapping is a native backend's concern.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import threading
from dataclasses import dataclass

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long)  # fmt: skip
_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)

PAGE = mmap.PAGESIZE
MAP_FAILED = ctypes.c_void_p(-1).value


def _map(size: int, prot: int) -> int:
    addr = _libc.mmap(None, size, prot, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    if addr in (None, MAP_FAILED):
        err = ctypes.get_errno()
        raise MemoryError(f"mmap of {size} bytes for the code buffer failed: errno {err}")
    return addr


@dataclass
class Region:
    """A slice of the code buffer owned by one context at a time."""

    index: int
    start: int  # host address
    size: int
    used: int = 0

    def alloc(self, nbytes: int, align: int = 16) -> int | None:
        """Host address of ``nbytes`` reserved here, or None if the region is full."""
        off = (self.used + align - 1) & -align
        if off + nbytes > self.size:
            return None
        self.used = off + nbytes
        return self.start + off

    def write(self, addr: int, data: bytes) -> None:
        if not (self.start <= addr and addr + len(data) <= self.start + self.size):
            raise ValueError(f"write at {addr:#x} is outside region {self.index}")
        ctypes.memmove(addr, data, len(data))


class CodeBuffer:
    """One mapping, cut into regions with guard pages."""

    def __init__(self, total_size: int, region_size: int, *, executable: bool = False) -> None:
        region_size = (region_size + PAGE - 1) // PAGE * PAGE
        stride = region_size + PAGE
        count = total_size // stride
        if count < 1:
            raise ValueError(
                f"a code buffer of {total_size} bytes holds no region of {region_size}"
            )
        prot = mmap.PROT_READ | mmap.PROT_WRITE | (mmap.PROT_EXEC if executable else 0)
        self.size = count * stride
        self.base = _map(self.size, prot)
        self.executable = executable
        self.regions = [Region(i, self.base + i * stride, region_size) for i in range(count)]
        for r in self.regions:
            if _libc.mprotect(r.start + region_size, PAGE, 0) != 0:  # PROT_NONE
                self.release()
                raise OSError(ctypes.get_errno(), "mprotect of a guard page failed")
        self._free = list(range(count))
        self._lock = threading.Lock()  # protects _free: claiming a region
        self.flushes = 0
        self._released = False

    def claim(self) -> Region | None:
        """Take a free region for one context; None when all are in use."""
        with self._lock:
            if self._released:
                raise RuntimeError("the code buffer was released")
            if not self._free:
                return None
            r = self.regions[self._free.pop(0)]
            r.used = 0
            return r

    def reset(self) -> None:
        """Return every region to the free pool (tb_flush)."""
        with self._lock:
            self._free = list(range(len(self.regions)))
            for r in self.regions:
                r.used = 0
            self.flushes += 1

    @property
    def regions_in_use(self) -> int:
        return len(self.regions) - len(self._free)

    @property
    def bytes_used(self) -> int:
        return sum(r.used for r in self.regions)

    def contains(self, addr: int) -> bool:
        return self.base <= addr < self.base + self.size

    def release(self) -> None:
        """Unmap the buffer (idempotent)."""
        if getattr(self, "_released", False) or not getattr(self, "base", 0):
            return
        _libc.munmap(self.base, self.size)
        self._released = True
        self.regions = []
        self._free = []

    @property
    def released(self) -> bool:
        return self._released
