"""The memory system calls of a Linux process: brk, mmap, munmap, mprotect, mremap,
madvise, msync.

Owns ``ProcessMemory``: where the heap and the mappings of one guest process go,
and the system calls that change them, on the emulator's memory map.

Invariants:

* every guest mapping is page-granular (``PAGE``); a region of the emulator's map
  is never left half-covered by a call that fails (ranges are checked first);
* mappings without a fixed address are placed top-down below ``MMAP_TOP``, in the
  highest gap that fits (as the kernel's top-down allocator does), so addresses
  freed by munmap are reused;
* a file mapping is a private copy of the file's bytes made at mmap time (what a
  MAP_PRIVATE mapping is; MAP_SHARED file mappings are copies too: writes do not
  reach the file, reads do not see later writes to it); bytes past the end of the
  file read as zero, as the kernel's do;
* MADV_DONTNEED zeroes private anonymous pages and gives private file pages the
  file's bytes of mmap time again, as the kernel does (glibc's malloc relies on it
  when it trims and reuses memory);
* protection bits of the target's own (arm64's PROT_BTI) go to its ``ProcessHooks``
  (``set_prot``) with every mapping, protection change and unmapping;
* the host refusing memory (a huge mapping past its overcommit limit) is ENOMEM
  to the guest, never an error of the emulator.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..errors import MemoryAccessError
from ..memory import PROT_EXEC, PROT_READ, PROT_WRITE
from .abi import ProcessHooks

if TYPE_CHECKING:
    from ..api import Emulator
    from .files import FileTable

PAGE = 0x1000
MMAP_TOP = 0x7FF0_0000_0000
MMAP_BOTTOM = 0x10_0000_0000  # the lowest address a placed mapping takes
BRK_MAX = 1 << 30  # the heap may grow this far

MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x1, 0x2, 0x10, 0x20
MAP_FIXED_NOREPLACE = 0x100000
MREMAP_MAYMOVE, MREMAP_FIXED = 1, 2
MADV_DONTNEED = 4
ENOMEM, EFAULT, EEXIST, EINVAL = 12, 14, 17, 22
PROT_MASK = PROT_READ | PROT_WRITE | PROT_EXEC


def page_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


class ProcessMemory:
    """The heap and the mappings of one guest process (see the module docstring)."""

    def __init__(self, emu: Emulator, files: FileTable, hooks: ProcessHooks | None = None,
                 ) -> None:  # fmt: skip
        self.emu = emu
        self.files = files
        self.brk_start = 0
        self.brk = 0
        #: start -> the file's bytes of each private file mapping (what MADV_DONTNEED
        #: brings back), trimmed as parts of it are unmapped
        self.file_maps: dict[int, bytes] = {}
        self.hooks = ProcessHooks() if hooks is None else hooks  # the target's

    # -- placing ---------------------------------------------------------------------------

    def _overlaps(self, start: int, size: int) -> list[tuple[int, int, int]]:
        """(begin, end exclusive, perms) of the mapped parts of [start, start + size)."""
        out = []
        for b, e, p in self.emu.mem_regions():
            lo, hi = max(b, start), min(e + 1, start + size)
            if lo < hi:
                out.append((lo, hi, p))
        return out

    def find_free(self, size: int, top: int = MMAP_TOP) -> int | None:
        """The highest page-aligned address below ``top`` where ``size`` bytes are free."""
        end = top
        for b, e, _p in sorted(self.emu.mem_regions(), key=lambda r: -r[0]):
            if b >= end:
                continue  # wholly above the candidate
            if e + 1 <= end - size:
                break  # the gap between this region and ``end`` fits
            end = b
        start = end - size
        return start if start >= MMAP_BOTTOM else None

    def _wholly_mapped(self, start: int, size: int) -> list[tuple[int, int, int]] | None:
        """``_overlaps`` of a range every byte of which is mapped, else None."""
        parts = self._overlaps(start, size)
        return parts if sum(hi - lo for lo, hi, _p in parts) == size else None

    def map_ram(self, start: int, size: int, perms: int) -> bool:
        """Map zeroed RAM; False where the host cannot give that much (the caller
        answers ENOMEM, as the kernel does past its overcommit limit)."""
        try:
            self.emu.mem_map(start, size, perms)
        except (OSError, MemoryError):
            return False
        return True

    def unmap_range(self, start: int, size: int) -> None:
        runs: list[list[int]] = []  # the mapped parts, adjacent ones joined: one change each
        for lo, hi, _p in self._overlaps(start, size):
            if runs and runs[-1][1] == lo:
                runs[-1][1] = hi
            else:
                runs.append([lo, hi])
        for lo, hi in runs:
            self.emu.mem_unmap(lo, hi - lo)
            self.hooks.set_prot(self.emu, lo, hi - lo, 0)
        self._forget_file(start, start + size)

    def _forget_file(self, lo: int, hi: int) -> None:
        """Drop [lo, hi) from ``file_maps``, keeping the parts of a mapping around it."""
        for begin, data in list(self.file_maps.items()):
            end = begin + len(data)
            if begin < hi and lo < end:
                del self.file_maps[begin]
                if begin < lo:
                    self.file_maps[begin] = data[: lo - begin]
                if hi < end:
                    self.file_maps[hi] = data[hi - begin :]

    def _file_bytes(self, lo: int, hi: int) -> bytes:
        """What [lo, hi) held when mapped: the file's bytes where a private file
        mapping covers it, zeros elsewhere."""
        out = bytearray(hi - lo)
        for begin, data in self.file_maps.items():
            a, b = max(lo, begin), min(hi, begin + len(data))
            if a < b:
                out[a - lo : b - lo] = data[a - begin : b - begin]
        return bytes(out)

    # -- system calls ----------------------------------------------------------------------

    def sys_brk(self, addr: int, *_: int) -> int:
        """The break moves to ``addr`` within [brk_start, brk_start + BRK_MAX] unless
        something else is mapped where the heap would grow; the break is returned."""
        if addr < self.brk_start or addr > self.brk_start + BRK_MAX:
            return self.brk
        new_top, old_top = page_up(addr), page_up(self.brk)
        if new_top > old_top:
            if self._overlaps(old_top, new_top - old_top):
                return self.brk
            if not self.map_ram(old_top, new_top - old_top, PROT_READ | PROT_WRITE):
                return self.brk
        elif new_top < old_top:
            self.unmap_range(new_top, old_top - new_top)
        self.brk = addr
        return addr

    def sys_mmap(self, addr: int, length: int, prot: int, flags: int, fd: int,
                 off: int) -> int:  # fmt: skip
        if length == 0 or off % PAGE or not flags & (MAP_SHARED | MAP_PRIVATE):
            return -EINVAL
        size = page_up(length)
        if size > MMAP_TOP:
            return -ENOMEM
        data = b""
        if not flags & MAP_ANONYMOUS:
            got = self.files.read_for_mmap(fd & 0xFFFFFFFF, off, length)
            if isinstance(got, int):
                return got
            data = got
        if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
            if addr % PAGE:
                return -EINVAL
            if addr + size > 1 << 48:
                return -ENOMEM
            if flags & MAP_FIXED_NOREPLACE and not flags & MAP_FIXED and self._overlaps(addr, size):
                return -EEXIST
            start = addr
            self.unmap_range(start, size)
        else:
            hint = page_up(addr) if addr else 0
            if hint and hint + size <= MMAP_TOP and not self._overlaps(hint, size):
                start = hint
            else:
                found = self.find_free(size)
                if found is None:
                    return -ENOMEM
                start = found
        # mapped with its protection at once (one change of the memory map, not two):
        # the file's bytes go in through mem_write, which no protection stops
        if not self.map_ram(start, size, prot & PROT_MASK):
            return -ENOMEM
        if prot & ~PROT_MASK:
            self.hooks.set_prot(self.emu, start, size, prot)
        if data:
            self.emu.mem_write(start, data)
            if flags & MAP_PRIVATE:
                self.file_maps[start] = data + bytes(size - len(data))
        return start

    def sys_munmap(self, addr: int, length: int, *_: int) -> int:
        if addr % PAGE or length == 0:
            return -EINVAL
        self.unmap_range(addr, page_up(length))
        return 0

    def sys_mprotect(self, addr: int, length: int, prot: int, *_: int) -> int:
        if addr % PAGE:
            return -EINVAL
        size = page_up(length)
        if size == 0:
            return 0
        if self._wholly_mapped(addr, size) is None:
            return -ENOMEM
        # one change of the whole range (one exclusive section, one new view), and the
        # pieces that end up alike merged again, as the kernel merges VMAs
        self.emu.mem_protect(addr, size, prot & PROT_MASK, merge=True)
        self.hooks.set_prot(self.emu, addr, size, prot)
        return 0

    def sys_mremap(self, old: int, old_len: int, new_len: int, flags: int,
                   new_addr: int, *_: int) -> int:  # fmt: skip
        if old % PAGE or new_len == 0 or flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED):
            return -EINVAL
        old_size, new_size = page_up(old_len), page_up(new_len)
        parts = self._wholly_mapped(old, old_size)
        if parts is None:
            return -EFAULT
        perms = parts[0][2]
        if new_size <= old_size and not flags & MREMAP_FIXED:
            if new_size < old_size:
                self.unmap_range(old + new_size, old_size - new_size)
            return old
        if not flags & MREMAP_FIXED and not self._overlaps(old + old_size, new_size - old_size):
            if not self.map_ram(old + old_size, new_size - old_size, perms):
                return -ENOMEM
            return old
        if not flags & MREMAP_MAYMOVE:
            return -ENOMEM
        if flags & MREMAP_FIXED:
            if new_addr % PAGE or (new_addr < old + old_size and old < new_addr + new_size):
                return -EINVAL
            start = new_addr
            self.unmap_range(start, new_size)
        else:
            found = self.find_free(new_size)
            if found is None:
                return -ENOMEM
            start = found
        keep = min(old_size, new_size)
        data = bytes(self.emu.mem_read(old, keep))
        if not self.map_ram(start, new_size, PROT_READ | PROT_WRITE):
            return -ENOMEM
        self.unmap_range(old, old_size)
        self.emu.mem_write(start, data)
        if perms != PROT_READ | PROT_WRITE:
            self.emu.mem_protect(start, new_size, perms)
        return start

    def sys_madvise(self, addr: int, length: int, advice: int, *_: int) -> int:
        if addr % PAGE:
            return -EINVAL
        if advice == MADV_DONTNEED:
            for lo, hi, p in self._overlaps(addr, page_up(length)):
                fresh = self._file_bytes(lo, hi)
                if p & PROT_WRITE:
                    self.emu.mem_write(lo, fresh)
                else:  # read-only pages: reset them through a writable moment
                    self.emu.mem_protect(lo, hi - lo, p | PROT_WRITE)
                    self.emu.mem_write(lo, fresh)
                    self.emu.mem_protect(lo, hi - lo, p)
        return 0

    def sys_mincore(self, addr: int, length: int, vec: int, *_: int) -> int:
        if addr % PAGE:
            return -EINVAL
        size = page_up(length)
        if size == 0:
            return 0
        if self._wholly_mapped(addr, size) is None:
            return -ENOMEM
        return 0 if write_guest(self.emu, vec, b"\1" * (size // PAGE)) else -EFAULT

    def sys_mlock(self, *_: int) -> int:
        return 0  # guest memory is the host process's: nothing to pin here

    def sys_munlock(self, *_: int) -> int:
        return 0

    def sys_mlock2(self, *_: int) -> int:
        return 0

    def sys_mlockall(self, *_: int) -> int:
        return 0

    def sys_munlockall(self, *_: int) -> int:
        return 0

    def sys_msync(self, addr: int, *_: int) -> int:
        return -EINVAL if addr % PAGE else 0


def read_guest(emu: Emulator, addr: int, size: int) -> bytes | None:
    """Guest memory, or None where it is not mapped (the caller answers EFAULT)."""
    try:
        return bytes(emu.mem_read(addr, size))
    except (MemoryAccessError, ValueError, OverflowError):
        return None


def write_guest(emu: Emulator, addr: int, data: bytes) -> bool:
    """Write guest memory; False where it is not mapped (the caller answers EFAULT)."""
    try:
        emu.mem_write(addr, data)
    except (MemoryAccessError, ValueError, OverflowError):
        return False
    return True


def read_timespec(emu: Emulator, addr: int) -> float | int:
    """The ``struct timespec`` at ``addr`` in seconds, or -EFAULT (unmapped) or -EINVAL
    (negative, or nanoseconds out of range), as the kernel checks it."""
    raw = read_guest(emu, addr, 16)
    if raw is None:
        return -EFAULT
    sec, nsec = struct.unpack("<qq", raw)
    if sec < 0 or not 0 <= nsec < 10**9:
        return -EINVAL
    return sec + nsec / 1e9


def read_cstring(emu: Emulator, addr: int, limit: int = 4096) -> bytes | None:
    """The NUL-terminated string at ``addr`` (None: unmapped or longer than ``limit``)."""
    out = bytearray()
    while len(out) < limit:
        chunk = read_guest(emu, addr + len(out), min(256, PAGE - (addr + len(out)) % PAGE))
        if chunk is None:
            return None
        nul = chunk.find(b"\0")
        if nul >= 0:
            return bytes(out + chunk[:nul])
        out += chunk
    return None
