"""System V shared memory of a Linux process: shmget, shmat, shmdt, shmctl.

Owns ``ShmCalls``: the segments a process created or found (id, key, size, mode,
contents) and where each is attached.

Invariants:

* a segment's bytes live in the segment (``Segment.data``, zero at creation, as
  the kernel's); an attachment is a private mapping of them (``mm`` maps files the
  same way): shmat copies the segment in, shmdt copies the attachment back, and
  shmat of a segment already attached first takes the bytes of the attachments
  there are, so one thread's or one call's writes are seen by the next attach;
  two attachments live at once are not kept coherent, and a forked child gets a
  copy of the segments (its writes do not reach its parent);
* an attachment is page-granular at a page-aligned address (SHMLBA is one page on
  arm64); IPC_RMID removes the key at once and the segment when its last
  attachment goes;
* what a guest passes never harms the host: bad pointers are EFAULT, unknown ids
  EINVAL, unknown commands EINVAL.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..memory import PROT_EXEC, PROT_READ, PROT_WRITE
from .mm import PAGE, page_up, read_guest, write_guest

if TYPE_CHECKING:
    from .process import LinuxProcess

IPC_PRIVATE = 0
IPC_CREAT, IPC_EXCL = 0o1000, 0o2000
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
SHM_INFO, SHM_STAT, SHM_STAT_ANY = 14, 13, 15
IPC_64 = 0x100
SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC = 0o10000, 0o20000, 0o40000, 0o100000
SHM_DEST = 0o1000  # shm_perm.mode: marked for removal
SHMLBA = PAGE
SHMMAX = (1 << 63) - (1 << 24)  # the kernel's default limit
EPERM, ENOENT, ENOMEM, EACCES, EFAULT, EEXIST, EINVAL = 1, 2, 12, 13, 14, 17, 22

#: struct ipc64_perm (48 bytes) then the rest of struct shmid64_ds (112 bytes)
_SHMID_DS = struct.Struct("<iIIIIIHH4x8x8xQqqqiiQ8x8x")


@dataclass
class Segment:
    """One shared memory segment."""

    ident: int
    key: int
    size: int
    mode: int
    data: bytearray
    cpid: int
    uid: int
    gid: int
    ctime: int
    atime: int = 0
    dtime: int = 0
    lpid: int = 0
    removed: bool = False
    #: guest address -> mapped size of each live attachment
    attached: dict[int, int] = field(default_factory=dict)


class ShmCalls:
    """The System V shared memory system calls (see the module docstring)."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        self.segments: dict[int, Segment] = {}
        self._next_id = 0
        #: guest address of an attachment -> its segment's id
        self._at: dict[int, int] = {}

    # -- helpers ---------------------------------------------------------------------------

    def _take_back(self, seg: Segment) -> None:
        """Copy what the live attachments of ``seg`` hold into the segment."""
        for addr, _size in list(seg.attached.items()):
            got = read_guest(self.proc.emu, addr, seg.size)
            if got is not None:
                seg.data[:] = got

    def _drop(self, seg: Segment) -> None:
        if seg.removed and not seg.attached:
            self.segments.pop(seg.ident, None)

    # -- system calls ----------------------------------------------------------------------

    def sys_shmget(self, key: int, size: int, flags: int, *_: int) -> int:
        key = key & 0xFFFFFFFF
        key = key - (1 << 32) if key >= 1 << 31 else key
        if key != IPC_PRIVATE:
            for seg in self.segments.values():
                if seg.key == key and not seg.removed:
                    if flags & IPC_CREAT and flags & IPC_EXCL:
                        return -EEXIST
                    return -EINVAL if size > seg.size else seg.ident
            if not flags & IPC_CREAT:
                return -ENOENT
        if size < 1 or size > SHMMAX:
            return -EINVAL
        try:
            data = bytearray(size)
        except MemoryError:
            return -ENOMEM
        ident = self._next_id
        self._next_id += 1
        self.segments[ident] = Segment(
            ident, key, size, flags & 0o777, data, self.proc.pid, os.getuid(), os.getgid(),
            int(time.time()))  # fmt: skip
        return ident

    def sys_shmat(self, ident: int, addr: int, flags: int, *_: int) -> int:
        seg = self.segments.get(ident & 0xFFFFFFFF)
        if seg is None:
            return -EINVAL
        mem = self.proc.mem
        size = page_up(seg.size)
        if addr:
            if addr % SHMLBA:
                if not flags & SHM_RND:
                    return -EINVAL
                addr &= ~(SHMLBA - 1)
            if addr + size > 1 << 48:
                return -EINVAL
            if not flags & SHM_REMAP and mem._overlaps(addr, size):
                return -EINVAL
            mem.unmap_range(addr, size)
            start = addr
        else:
            if flags & SHM_REMAP:
                return -EINVAL
            found = mem.find_free(size)
            if found is None:
                return -ENOMEM
            start = found
        self._take_back(seg)
        emu = self.proc.emu
        if not mem.map_ram(start, size, PROT_READ | PROT_WRITE):
            return -ENOMEM
        emu.mem_write(start, bytes(seg.data))
        prot = PROT_READ if flags & SHM_RDONLY else PROT_READ | PROT_WRITE
        if flags & SHM_EXEC:
            prot |= PROT_EXEC
        if prot != PROT_READ | PROT_WRITE:
            emu.mem_protect(start, size, prot)
        seg.attached[start] = size
        seg.atime, seg.lpid = int(time.time()), self.proc.pid
        self._at[start] = seg.ident
        return start

    def sys_shmdt(self, addr: int, *_: int) -> int:
        ident = self._at.pop(addr, None)
        seg = self.segments.get(ident) if ident is not None else None
        if seg is None:
            return -EINVAL
        size = seg.attached.pop(addr)
        got = read_guest(self.proc.emu, addr, seg.size)
        if got is not None:
            seg.data[:] = got
        self.proc.mem.unmap_range(addr, size)
        seg.dtime, seg.lpid = int(time.time()), self.proc.pid
        self._drop(seg)
        return 0

    def sys_shmctl(self, ident: int, cmd: int, buf: int, *_: int) -> int:
        cmd &= ~IPC_64
        if cmd in (IPC_INFO, SHM_INFO):
            return -EINVAL
        seg = self.segments.get(ident & 0xFFFFFFFF)
        if seg is None:
            return -EINVAL
        if cmd == IPC_RMID:
            seg.removed = True
            self._drop(seg)
            return 0
        if cmd in (IPC_STAT, SHM_STAT, SHM_STAT_ANY):
            mode = seg.mode | (SHM_DEST if seg.removed else 0)
            raw = _SHMID_DS.pack(
                seg.key, seg.uid, seg.gid, seg.uid, seg.gid, mode, 0, 0, seg.size,
                seg.atime, seg.dtime, seg.ctime, seg.cpid, seg.lpid,
                len(seg.attached))  # fmt: skip
            if not write_guest(self.proc.emu, buf, raw):
                return -EFAULT
            return seg.ident if cmd != IPC_STAT else 0
        if cmd == IPC_SET:
            raw = read_guest(self.proc.emu, buf, _SHMID_DS.size)
            if raw is None:
                return -EFAULT
            fields = _SHMID_DS.unpack(raw)
            seg.uid, seg.gid = fields[1], fields[2]
            seg.mode = (seg.mode & ~0o777) | (fields[5] & 0o777)
            seg.ctime = int(time.time())
            return 0
        return -EINVAL
