"""gdb's host I/O (``vFile:`` packets) in user mode: what gdb needs to read the program
file through the stub (its default sysroot, ``target:``), and nothing else.

Owns ``HostIO``: ``vFile:setfs``, ``open``, ``pread``, ``close``, ``fstat`` and
``readlink`` (the replies as the protocol's File-I/O extension writes them: ``F``
and a hex result, ``F-1,errno`` with gdb's errno numbers, binary data after a ``;``).
Confined to the guest's files: only the files the runner names (``Runner.guest_files``:
the loaded executable) are opened, read-only; ``readlink`` answers only the process's
``/proc/PID/exe`` (the executable's path). Anything else fails with EACCES, unknown
``vFile`` operations (pwrite, unlink) are answered empty: unsupported.
"""

from __future__ import annotations

import os
import stat
import struct
from typing import TYPE_CHECKING

from .packets import decode_hex, parse_hex

if TYPE_CHECKING:
    from .runner import Runner

#: gdb's File-I/O errno values (the protocol's own, not the host's)
EPERM, ENOENT, EBADF, EACCES, EINVAL, EMFILE, ENAMETOOLONG = 1, 2, 9, 13, 22, 24, 91
EUNKNOWN = 9999
_ERRNO = {os_errno: gdb for os_errno, gdb in (
    (1, EPERM), (2, ENOENT), (4, 4), (9, EBADF), (13, EACCES), (14, 14), (16, 16),
    (17, 17), (19, 19), (20, 20), (21, 21), (22, EINVAL), (23, 23), (24, EMFILE),
    (27, 27), (28, 28), (29, 29), (30, 30), (36, ENAMETOOLONG))}  # fmt: skip
#: open flags on the wire (gdb's): anything but reading is refused
O_RDONLY, O_ACCMODE = 0, 3
#: gdb's struct stat on the wire (big-endian): dev, ino, mode, nlink, uid, gid, rdev,
#: size, blksize, blocks, atime, mtime, ctime
FIO_STAT = struct.Struct(">IIIIIIIQQQIII")
MAX_OPEN = 16


class HostIO:
    """One session's vFile state: the files gdb opened (``runner``: which it may)."""

    def __init__(self, runner: Runner, max_data: int) -> None:
        self.runner = runner
        self.max_data = max_data  # the most bytes a pread reply carries (before escapes)
        self._files: dict[int, int] = {}  # gdb's descriptor -> host descriptor
        self._next = 1

    def handle(self, text: str) -> str:
        """The reply to ``vFile:OP:ARGS`` (``text`` as received)."""
        op, _, args = text[len("vFile:") :].partition(":")
        handler = {"setfs": self._setfs, "open": self._open, "pread": self._pread,
                   "close": self._close, "fstat": self._fstat,
                   "readlink": self._readlink}.get(op)  # fmt: skip
        if handler is None:
            return ""
        try:
            return handler(args.split(","))
        except (ValueError, IndexError, UnicodeError):
            return _error(EINVAL)

    def close_all(self) -> None:
        """Close what gdb left open (the session ends)."""
        for fd in self._files.values():
            os.close(fd)
        self._files.clear()

    # -- the operations ---------------------------------------------------------------

    def _setfs(self, args: list[str]) -> str:
        """``setfs:PID``: 0 (the stub's view) or the guest process: both are the guest's."""
        pid = parse_hex(args[0])
        return "F0" if pid in (0, self.runner.pid) else _error(EINVAL)

    def _allowed(self) -> set[str]:
        return {os.path.realpath(p) for p in self.runner.guest_files()}

    def _open(self, args: list[str]) -> str:
        """``open:PATH,FLAGS,MODE`` (path in hex): a guest file, for reading."""
        path = decode_hex(args[0]).decode("utf-8", "surrogateescape")
        flags = parse_hex(args[1])
        if flags & O_ACCMODE != O_RDONLY or flags & ~O_ACCMODE:
            return _error(EACCES)
        if not os.path.exists(path):
            return _error(ENOENT)
        if os.path.realpath(path) not in self._allowed():
            return _error(EACCES)
        if len(self._files) >= MAX_OPEN:
            return _error(EMFILE)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            return _os_error(e)
        ours = self._next
        self._next += 1
        self._files[ours] = fd
        return f"F{ours:x}"

    def _fd(self, text: str) -> int | None:
        return self._files.get(parse_hex(text))

    def _pread(self, args: list[str]) -> str:
        """``pread:FD,COUNT,OFFSET``: ``F<n>;<the bytes>`` (at most ``max_data``)."""
        fd = self._fd(args[0])
        if fd is None:
            return _error(EBADF)
        count, offset = min(parse_hex(args[1]), self.max_data), parse_hex(args[2])
        try:
            data = os.pread(fd, count, offset)
        except OSError as e:
            return _os_error(e)
        return f"F{len(data):x};" + data.decode("latin-1")

    def _close(self, args: list[str]) -> str:
        fd = self._files.pop(parse_hex(args[0]), None)
        if fd is None:
            return _error(EBADF)
        os.close(fd)
        return "F0"

    def _fstat(self, args: list[str]) -> str:
        """``fstat:FD``: ``F<size>;<gdb's struct stat>``."""
        fd = self._fd(args[0])
        if fd is None:
            return _error(EBADF)
        try:
            st = os.fstat(fd)
        except OSError as e:
            return _os_error(e)
        m32, m64 = 0xFFFFFFFF, (1 << 64) - 1
        raw = FIO_STAT.pack(st.st_dev & m32, st.st_ino & m32, stat.S_IMODE(st.st_mode) |
                            stat.S_IFMT(st.st_mode), st.st_nlink & m32, st.st_uid & m32,
                            st.st_gid & m32, st.st_rdev & m32, st.st_size & m64,
                            st.st_blksize & m64, st.st_blocks & m64, int(st.st_atime) & m32,
                            int(st.st_mtime) & m32, int(st.st_ctime) & m32)  # fmt: skip
        return f"F{len(raw):x};" + raw.decode("latin-1")

    def _readlink(self, args: list[str]) -> str:
        """``readlink:PATH``: the process's ``/proc/PID/exe`` (or ``/proc/self/exe``)
        names the executable; nothing else is answered."""
        path = decode_hex(args[0]).decode("utf-8", "surrogateescape")
        exe = self.runner.exec_file()
        if exe is None or path not in (f"/proc/{self.runner.pid}/exe", "/proc/self/exe"):
            return _error(EACCES)
        data = os.fsencode(exe)[: self.max_data]
        return f"F{len(data):x};" + data.decode("latin-1")


def _error(errno: int) -> str:
    return f"F-1,{errno:x}"


def _os_error(e: OSError) -> str:
    return _error(_ERRNO.get(e.errno or 0, EUNKNOWN))
