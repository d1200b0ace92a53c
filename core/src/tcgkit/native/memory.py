"""Native memory of a machine-code backend: per-vCPU blocks and the prologue page.

Owns ``NativeCPU`` (one vCPU's native block, laid out as ``layout`` says, in
front of the CPU state), ``TLBMirror`` (the native copy of the core's software
TLB that the inline fast path reads) and ``ExecPage`` (a small mapping holding
a host prologue, written read-write and then made read-execute: never both).
Everything is freed by ``release()``.
"""

from __future__ import annotations

import ctypes
import mmap
from array import array
from collections.abc import Callable, Iterable

from ..tcg.region import _libc, _map
from . import layout as L

ENTRY = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p)


def libgcc_clear_cache() -> Callable[[int, int], None]:
    """``flush(addr, size)`` through libgcc's ``__clear_cache``: the data-cache clean
    and instruction-cache invalidate that hosts with split caches (AArch64, Power)
    need after code is written."""
    from ctypes.util import find_library  # imports subprocess and more: only here

    lib = ctypes.CDLL(find_library("gcc_s") or "libgcc_s.so.1")
    clear = lib["__clear_cache"]
    clear.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
    clear.restype = None
    return lambda addr, size: clear(addr, addr + size)


class NativeCPU:
    """One vCPU's native block; ``state`` is the CPU state generated code addresses."""

    def __init__(self, nslots: int, host_words: tuple[int, int, int, int] = (0, 0, 0, 0)) -> None:
        size = L.NATIVE_SIZE + nslots * 8
        self._buf = ctypes.create_string_buffer(size + 64)
        base = (ctypes.addressof(self._buf) + 63) & ~63
        self.state_addr = base + L.NATIVE_SIZE
        self.state = (ctypes.c_uint64 * nslots).from_address(self.state_addr)
        self.control = (ctypes.c_uint64 * (L.CONTROL_SIZE // 8)).from_address(
            self.state_addr - L.CONTROL_SIZE
        )
        words = (ctypes.c_uint32 * 4).from_address(self.state_addr + L.OFF_HOST)
        for i, v in enumerate(host_words):
            words[i] = v
        self.tlb = (ctypes.c_uint64 * (L.TLB_SIZE * 4)).from_address(self.state_addr + L.OFF_TLB)
        self.jc = (ctypes.c_uint64 * (L.JC_SIZE * 4)).from_address(self.state_addr + L.OFF_JC)
        self.l2_addr = self.state_addr + L.OFF_L2
        #: the native-lookup words (``layout.NL_*``), by word
        self.nl = (ctypes.c_uint64 * (L.NL_SIZE // 8)).from_address(self.state_addr + L.OFF_NL)
        self.nl[L.NL_SEEN // 8] = L.INVALID_TAG
        #: the float-flag words (``layout.OFF_FP_SAVE``, ``OFF_FP_SCRATCH``)
        self.fp = (ctypes.c_uint64 * 2).from_address(self.state_addr + L.OFF_FP)
        ctypes.memset(self.l2_addr, 0xFF, L.L2_SIZE * L.L2_ENTRY)
        self.tlb_clear()
        self.jc_clear()
        self.set_until(None)

    def word(self, off: int) -> int:
        return self.control[(off + L.CONTROL_SIZE) // 8]

    def set_word(self, off: int, value: int) -> None:
        self.control[(off + L.CONTROL_SIZE) // 8] = value & 0xFFFFFFFFFFFFFFFF

    def set_until(self, until: int | None) -> None:
        # no `until`: a pc no guest can reach, so that the probe never matches
        self.until = until
        self.set_word(L.OFF_UNTIL, L.INVALID_TAG if until is None else until)

    def tlb_clear(self) -> None:
        ctypes.memset(ctypes.addressof(self.tlb), 0xFF, ctypes.sizeof(self.tlb))

    def jc_clear(self) -> None:
        ctypes.memset(ctypes.addressof(self.jc), 0xFF, ctypes.sizeof(self.jc))

    def jc_set(self, index: int, pc: int, key: int, code: int) -> None:
        j = self.jc
        i = index * 4
        j[i + 2] = code
        j[i + 1] = key
        j[i] = pc

    def jc_drop(self, index: int, code: int) -> None:
        """Forget entry ``index`` if it enters ``code`` (a TB is only ever cached at
        the index of its pc)."""
        if self.jc[index * 4 + 2] == code:
            self.jc[index * 4] = L.INVALID_TAG

    def release(self) -> None:
        self._buf = None  # type: ignore[assignment]


class TLBMirror:
    """The native TLB the inline fast path reads, kept equal to the core's SoftTLB,
    and the second level behind it (see ``layout``)."""

    def __init__(self, native: NativeCPU) -> None:
        self.native = native
        self._l2_filled: list[tuple[int, int]] = []  # (first slot, count) since the clear
        self._l2_ranges: set[tuple[int, int]] = set()  # (first page, count) filled since

    def set(self, index: int, read_tag: int, write_tag: int, addend: int) -> None:
        t = self.native.tlb
        i = index * 4
        t[i] = read_tag & 0xFFFFFFFFFFFFFFFF
        t[i + 1] = write_tag & 0xFFFFFFFFFFFFFFFF
        t[i + 2] = addend & 0xFFFFFFFFFFFFFFFF

    def invalidate(self, index: int) -> None:
        t = self.native.tlb
        t[index * 4] = t[index * 4 + 1] = L.INVALID_TAG

    def refills(self) -> int:
        """First-level misses generated code refilled from the second level."""
        return self.native.word(L.OFF_REFILLS)

    def invalidate_page(self, page: int) -> None:
        """Forget ``page`` in the second level (the first level by ``invalidate``)."""
        at = self.native.l2_addr + (page & (L.L2_SIZE - 1)) * L.L2_ENTRY
        ctypes.memset(at, 0xFF, 16)  # both tags

    def clear(self) -> None:
        self.native.tlb_clear()
        for slot, n in self._l2_filled:
            ctypes.memset(self.native.l2_addr + slot * L.L2_ENTRY, 0xFF, n * L.L2_ENTRY)
        self._l2_filled.clear()
        self._l2_ranges.clear()

    def fill_range(self, first_page: int, n: int, readable: bool, writable: bool,
                   addend: int, no_write: Iterable[int]) -> None:  # fmt: skip
        """Second-level entries for the ``n`` pages from ``first_page`` of one RAM range
        (at most ``L2_SIZE``): tags where reads / writes may take the fast path, the
        range's ``addend``; the write tag stays invalid on the pages of ``no_write``."""
        n = min(n, L.L2_SIZE)
        if (first_page, n) in self._l2_ranges:
            return  # filled since the last clear (pages invalidated since miss one by one)
        self._l2_ranges.add((first_page, n))
        entries = array("Q", bytes(8 * 4 * n))
        tags = array("Q", range(first_page << 12, (first_page + n) << 12, 1 << 12))
        invalid = array("Q", [L.INVALID_TAG]) * n
        entries[0::4] = tags if readable else invalid
        entries[1::4] = tags if writable else invalid
        entries[2::4] = array("Q", [addend & 0xFFFFFFFFFFFFFFFF]) * n
        if writable:
            # a snapshot: other vCPUs' threads add code pages while this one fills
            for page in list(no_write):
                if first_page <= page < first_page + n:
                    entries[(page - first_page) * 4 + 1] = L.INVALID_TAG
        raw = entries.tobytes()
        slot = first_page & (L.L2_SIZE - 1)
        head = min(n, L.L2_SIZE - slot)  # the slots wrap around at the end of the table
        base = self.native.l2_addr
        ctypes.memmove(base + slot * L.L2_ENTRY, raw, head * L.L2_ENTRY)
        self._l2_filled.append((slot, head))
        if head < n:
            ctypes.memmove(base, raw[head * L.L2_ENTRY :], (n - head) * L.L2_ENTRY)
            self._l2_filled.append((0, n - head))


class ExecPage:
    """One page holding ``code`` (a host prologue), callable as ``entry(state, code)``."""

    def __init__(self, code: bytes, flush_icache: Callable[[int, int], None] | None = None) -> None:
        self.size = mmap.PAGESIZE
        self.addr = _map(self.size, mmap.PROT_READ | mmap.PROT_WRITE)
        ctypes.memmove(self.addr, code, len(code))
        if _libc.mprotect(self.addr, self.size, mmap.PROT_READ | mmap.PROT_EXEC) != 0:
            _libc.munmap(self.addr, self.size)
            raise OSError(ctypes.get_errno(), "mprotect of the prologue page failed")
        if flush_icache is not None:
            flush_icache(self.addr, len(code))
        self.entry = ENTRY(self.addr)
        self.code = code

    def release(self) -> None:
        if self.addr:
            _libc.munmap(self.addr, self.size)
            self.addr = 0
