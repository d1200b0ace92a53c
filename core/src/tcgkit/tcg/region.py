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
its code objects' bytecode there, for accounting and inspection).

W^X: an executable buffer is one read-write-execute mapping where the OS
allows it. Where it refuses (SELinux execmem, PaX, hardened kernels), or
when ``wx=True`` / the environment variable ``TCGKIT_CODE_WX=1`` forces it,
the buffer is a memfd mapped twice: a read-execute view, whose addresses are
the ones regions hand out and code runs at, and a read-write view at
``Region.rw_delta`` bytes from it, where ``Region.write`` and
``CodeBuffer.writable`` put bytes (code patching included).
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
from typing import Final


def _load_libc() -> ctypes.CDLL:
    """The C library: the process's own symbols (Python links it), else found by name
    (ctypes.util.find_library runs ldconfig in a subprocess: only when needed)."""
    lib = ctypes.CDLL(None, use_errno=True)
    if hasattr(lib, "mmap") and hasattr(lib, "mprotect"):
        return lib
    from ctypes.util import find_library

    return ctypes.CDLL(find_library("c"), use_errno=True)


_libc = _load_libc()
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long)  # fmt: skip
_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)

PAGE: Final = mmap.PAGESIZE
MAP_FAILED: Final = ctypes.c_void_p(-1).value


def _map(size: int, prot: int, flags: int = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
         fd: int = -1) -> int:  # fmt: skip
    addr = _libc.mmap(None, size, prot, flags, fd, 0)
    if addr in (None, MAP_FAILED):
        err = ctypes.get_errno()
        raise MemoryError(f"mmap of {size} bytes for the code buffer failed: errno {err}")
    return addr


def _map_dual(size: int) -> tuple[int, int]:
    """(read-execute view, read-write view) of one new memfd of ``size`` bytes."""
    fd = os.memfd_create("tcgkit-code", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, size)
        rx = _map(size, mmap.PROT_READ | mmap.PROT_EXEC, mmap.MAP_SHARED, fd)
        try:
            rw = _map(size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, fd)
        except MemoryError:
            _libc.munmap(rx, size)
            raise
    finally:
        os.close(fd)
    return rx, rw


class Region:
    """A slice of the code buffer owned by one context at a time (a plain class:
    dataclasses cost start-up time)."""

    __slots__ = ("_view", "index", "rw_delta", "size", "start", "used")

    def __init__(self, index: int, start: int, size: int, used: int = 0,
                 rw_delta: int = 0) -> None:  # fmt: skip
        self.index = index
        self.start = start  # host address (where code runs)
        self.size = size
        self.used = used
        self.rw_delta = rw_delta  # W^X: the writable view of ``start`` is at ``start + rw_delta``
        #: the writable bytes as a memoryview, made on the first write (a slice store
        #: costs a quarter of a ``ctypes.memmove`` call); dropped when the buffer is
        #: unmapped
        self._view: memoryview | None = None

    def __repr__(self) -> str:
        return (f"Region({self.index}, start={self.start:#x}, size={self.size:#x}, "
                f"used={self.used:#x})")  # fmt: skip

    def alloc(self, nbytes: int, align: int = 16) -> int | None:
        """Host address of ``nbytes`` reserved here, or None if the region is full."""
        off = (self.used + align - 1) & -align
        if off + nbytes > self.size:
            return None
        self.used = off + nbytes
        return self.start + off

    def write(self, addr: int, data: bytes | bytearray) -> None:
        if not (self.start <= addr and addr + len(data) <= self.start + self.size):
            raise ValueError(f"write at {addr:#x} is outside region {self.index}")
        view = self._view
        if view is None:
            array = (ctypes.c_char * self.size).from_address(self.start + self.rw_delta)
            view = self._view = memoryview(array).cast("B")
        off = addr - self.start
        view[off : off + len(data)] = data


class CodeBuffer:
    """One mapping, cut into regions with guard pages."""

    def __init__(self, total_size: int, region_size: int, *, executable: bool = False,
                 wx: bool | None = None) -> None:  # fmt: skip
        region_size = (region_size + PAGE - 1) // PAGE * PAGE
        stride = region_size + PAGE
        count = total_size // stride
        if count < 1:
            raise ValueError(
                f"a code buffer of {total_size} bytes holds no region of {region_size}"
            )
        prot = mmap.PROT_READ | mmap.PROT_WRITE | (mmap.PROT_EXEC if executable else 0)
        self.size = count * stride
        if wx is None:
            wx = os.environ.get("TCGKIT_CODE_WX", "") not in ("", "0")
        self.rw_base = 0
        if executable and not wx:
            try:
                self.base = _map(self.size, prot)
            except MemoryError:  # writable + executable refused: W^X it is
                wx = True
        if executable and wx:
            self.base, self.rw_base = _map_dual(self.size)
        elif not executable:
            self.base = _map(self.size, prot)
        self.wx = bool(executable and wx)
        self.executable = executable
        delta = self.rw_base - self.base if self.wx else 0
        self.regions = [Region(i, self.base + i * stride, region_size, 0, delta)
                        for i in range(count)]  # fmt: skip
        for r in self.regions:
            for view in (r.start, r.start + delta) if self.wx else (r.start,):
                if _libc.mprotect(view + region_size, PAGE, 0) != 0:  # PROT_NONE
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

    def writable(self, addr: int) -> int:
        """Where to write the byte that code sees at ``addr`` (W^X: the other view)."""
        return addr + (self.rw_base - self.base if self.wx else 0)

    def write(self, addr: int, data: bytes) -> None:
        """Write ``data`` over code at ``addr`` (inside one region; a jump patched when
        TBs are chained: through the region's view, no ctypes call)."""
        stride = self.regions[0].size + PAGE if self.regions else 0
        index = (addr - self.base) // stride if stride else -1
        if not 0 <= index < len(self.regions):
            raise ValueError(f"write at {addr:#x} is outside the code buffer")
        self.regions[index].write(addr, data)

    def release(self) -> None:
        """Unmap the buffer (idempotent)."""
        if getattr(self, "_released", False) or not getattr(self, "base", 0):
            return
        for region in self.regions:
            region._view = None  # no write may reach the unmapped memory
        _libc.munmap(self.base, self.size)
        if getattr(self, "wx", False):
            _libc.munmap(self.rw_base, self.size)
        self._released = True
        self.regions = []
        self._free = []

    @property
    def released(self) -> bool:
        return self._released
