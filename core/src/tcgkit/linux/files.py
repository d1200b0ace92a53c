"""The descriptor system calls of a Linux process, served by the host's.

Owns ``FileTable`` (guest file descriptors -> host files or the embedding's
streams, the guest's working directory and umask, the sysroot view of absolute
paths) and the system calls on descriptors: openat, close, read/write and their
vector and positional forms, lseek, dup/dup3, fcntl, pipe2, ioctl (terminal
requests), fstat, getdents64, fchmod, fchown, umask, ftruncate, fsync/fdatasync,
fallocate, flock, sync/syncfs, memfd_create, close_range, sendfile, ppoll. The
calls on paths are ``paths``'.

Invariants:

* a guest descriptor names either a host descriptor this table owns (opened,
  duplicated or piped for the guest, never one the embedding process uses) or one
  of the streams the embedding gave for standard input, output and error; closing
  it never closes anything else of the host process;
* the guest's working directory is a host directory descriptor of this table:
  relative paths resolve against it (``dir_fd``), the host process's own working
  directory never changes;
* an absolute path is looked up in the sysroot first (``-L``, as qemu-user's
  prefix): when ``sysroot + path`` exists it is used, otherwise the host's ``path``;
* a guest pointer that is not mapped makes the call fail with EFAULT; the host
  process is never harmed by what a guest passes;
* host errors come back as the same negative errno (Linux numbers its errors
  alike on every architecture); the open flags and ``struct stat`` are translated
  where the guest's generic layout and the host's differ.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import stat as st
import struct
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from . import hostcalls
from .mm import read_cstring, read_guest, read_timespec, write_guest

if TYPE_CHECKING:
    from ..api import Emulator

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EMPTY_PATH = 0x100, 0x200, 0x1000
EFAULT, EBADF, EINVAL, ENOTTY, ENOENT, ESPIPE, ERANGE, EPIPE = 14, 9, 22, 25, 2, 29, 34, 32
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL = 0, 1, 2, 3, 4
F_GETLK, F_SETLK, F_SETLKW, F_DUPFD_CLOEXEC = 5, 6, 7, 1030
FD_CLOEXEC = 1
#: open flags whose bits differ between the generic (AArch64) ABI and x86-64: guest
#: bit -> host flag (os.O_* is the host's own value)
_GUEST_ONLY_FLAGS = {0o40000: "O_DIRECTORY", 0o100000: "O_NOFOLLOW", 0o200000: "O_DIRECT",
                     0o400000: "O_LARGEFILE"}  # fmt: skip
_COMMON_FLAGS = 0o3 | 0o100 | 0o200 | 0o400 | 0o1000 | 0o2000 | 0o4000 | 0o10000 | 0o20000 \
    | 0o1000000 | 0o2000000 | 0o4000000 | 0o10000000  # fmt: skip
#: terminal ioctls whose argument is the same on every Linux architecture (the
#: request numbers are the asm-generic ones x86-64 uses too): request -> bytes copied
#: (in, out)
_TTY_IOCTLS = {0x5401: (0, 36), 0x5402: (36, 0), 0x5403: (36, 0), 0x5404: (36, 0),
               0x5413: (0, 8), 0x5414: (8, 0), 0x540F: (0, 4), 0x5410: (4, 0)}  # fmt: skip
_DT = {st.S_IFDIR: 4, st.S_IFREG: 8, st.S_IFLNK: 10, st.S_IFCHR: 2, st.S_IFBLK: 6,
       st.S_IFIFO: 1, st.S_IFSOCK: 12}  # fmt: skip
MAX_IO = 1 << 24  # the most one read or write moves at a time
MFD_CLOEXEC, MFD_ALLOW_SEALING, CLOSE_RANGE_CLOEXEC, EOPNOTSUPP = 1, 2, 4, 95


def _host_flags(guest: int) -> int:
    flags = guest & _COMMON_FLAGS
    for bit, name in _GUEST_ONLY_FLAGS.items():
        if guest & bit:
            flags |= getattr(os, name, 0)
    return flags


def _guest_flags(host: int) -> int:
    flags = host & _COMMON_FLAGS
    for bit, name in _GUEST_ONLY_FLAGS.items():
        value = getattr(os, name, 0)
        if value and host & value:
            flags = (flags & ~value) | bit
    return flags


def pack_stat(s: Any) -> bytes:
    """The generic (AArch64) ``struct stat`` of a host stat result (128 bytes)."""
    return struct.pack(
        "<QQIIIIQQqiiqqQqQqQII", s.st_dev, s.st_ino, s.st_mode, s.st_nlink, s.st_uid,
        s.st_gid, s.st_rdev, 0, s.st_size, s.st_blksize, 0, s.st_blocks,
        int(s.st_atime), s.st_atime_ns % 10**9, int(s.st_mtime), s.st_mtime_ns % 10**9,
        int(s.st_ctime), s.st_ctime_ns % 10**9, 0, 0,
    )  # fmt: skip


def pack_statx(s: Any) -> bytes:
    """``struct statx`` (the same on every architecture, 256 bytes) of a host stat."""

    def ts(ns: int) -> bytes:
        return struct.pack("<qIi", ns // 10**9, ns % 10**9, 0)

    head = struct.pack("<IIQIIIHHQQQQ", 0x7FF, s.st_blksize, 0, s.st_nlink, s.st_uid,
                       s.st_gid, s.st_mode, 0, s.st_ino, s.st_size, s.st_blocks, 0)  # fmt: skip
    times = ts(s.st_atime_ns) + ts(getattr(s, "st_birthtime_ns", 0) or 0) \
        + ts(s.st_ctime_ns) + ts(s.st_mtime_ns)  # fmt: skip
    devs = struct.pack("<IIII", os.major(s.st_rdev), os.minor(s.st_rdev), os.major(s.st_dev),
                       os.minor(s.st_dev))  # fmt: skip
    return (head + times + devs).ljust(256, b"\0")


class GuestFile:
    """An open guest descriptor: a host descriptor (``fd``) or a stream (``stream``)."""

    __slots__ = ("cloexec", "dir_entries", "fd", "stream")

    def __init__(self, fd: int = -1, stream: Any = None, cloexec: bool = False) -> None:
        self.fd = fd
        self.stream = stream  # a binary file object: the embedding's stdin/stdout/stderr
        self.cloexec = cloexec
        self.dir_entries: list[tuple[bytes, int, int]] | None = None  # getdents64's listing


class FileTable:
    """Guest descriptors and paths (see the module docstring)."""

    def __init__(self, emu: Emulator, sysroot: str | None = None,
                 stdio: tuple[Any, Any, Any] | None = None,
                 exe_path: str = "") -> None:  # fmt: skip
        """``stdio``: the streams for descriptors 0, 1, 2 (None in a slot: a duplicate
        of the host's own descriptor); ``exe_path``: what /proc/self/exe reads as."""
        self.emu = emu
        self.sysroot = os.fsencode(os.path.abspath(sysroot)) if sysroot else None
        self.exe_path = exe_path
        self.fds: dict[int, GuestFile] = {}
        self.cwd = os.fsencode(os.getcwd())
        self.cwd_fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.umask = 0o022
        #: called when a write meets a pipe or socket with no reader (EPIPE): the
        #: process raises SIGPIPE on itself, as the kernel does (``LinuxProcess``)
        self.on_epipe: Callable[[], object] = lambda: None
        #: with the host's signals passed on (``host_signals``): whether a signal that
        #: interrupted a blocking read must end it with EINTR (``hostcalls``)
        self.interrupted: Callable[[], bool] | None = None
        for n, stream in enumerate(stdio or (None, None, None)):
            if stream is None:
                self.fds[n] = GuestFile(os.dup(n))
            else:
                self.fds[n] = GuestFile(stream=stream)

    def streams(self) -> list[Any]:
        """The embedding's streams the guest writes to (flushed before a fork)."""
        return [f.stream for f in self.fds.values() if f.stream is not None]

    def adopt(self, fds: list[int]) -> None:
        """Take host descriptors a previous ``tcgkit run`` left at the guest's numbers
        (``--inherit-fds``, after an execve)."""
        for n in fds:
            old = self.fds.pop(n, None)
            if old is not None and old.fd >= 0 and old.fd not in fds:
                with contextlib.suppress(OSError):
                    os.close(old.fd)
            os.set_inheritable(n, False)
            self.fds[n] = GuestFile(n)

    def prepare_exec(self) -> tuple[list[int], Callable[[], None]]:
        """Before an execve: put each host descriptor behind a guest descriptor that is
        not close-on-exec at the guest's number, inheritable, and make the guest's
        working directory the host process's. Returns the guest numbers >= 3 of those
        (0, 1 and 2 are the new process's standard ones anyway) and what undoes it all
        if the execve fails: the host descriptors that stood at those numbers (the
        table's own, the working directory's, Python's) and the host's working
        directory come back. Every descriptor held meanwhile is numbered above the
        guest's, so that none is overwritten."""
        fcntl = _fcntl()
        keep = {n: f for n, f in self.fds.items() if not f.cloexec and f.fd >= 0}
        floor = max(keep, default=2) + 1

        def high(fd: int) -> int:
            return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor)

        home = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        home, low = high(home), home
        os.close(low)
        os.fchdir(self.cwd_fd)
        moved = {n: high(f.fd) for n, f in keep.items()}  # out of the way of each other
        saved: dict[int, int] = {}
        for n in moved:
            with contextlib.suppress(OSError):  # what stood there, if anything
                saved[n] = high(n)
        for n, tmp in moved.items():
            os.dup2(tmp, n, inheritable=True)
            os.close(tmp)

        def undo() -> None:
            for n in moved:
                if n in saved:
                    os.dup2(saved[n], n, inheritable=False)
                    os.close(saved[n])
                else:
                    with contextlib.suppress(OSError):
                        os.close(n)
            os.fchdir(home)
            os.close(home)

        return sorted(n for n in keep if n > 2), undo

    def close_all(self) -> None:
        """Close every host descriptor the table owns."""
        for f in self.fds.values():
            if f.fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(f.fd)
        self.fds.clear()
        if self.cwd_fd >= 0:
            os.close(self.cwd_fd)
            self.cwd_fd = -1

    # -- paths ------------------------------------------------------------------------------

    def host_path(self, path: bytes) -> bytes:
        """``path`` as the host sees it: an absolute one in the sysroot if there."""
        if self.sysroot and path.startswith(b"/"):
            candidate = self.sysroot + path
            if os.path.lexists(candidate):
                return candidate
        return path

    def _dir_fd(self, dirfd: int) -> int | None:
        if dirfd & 0xFFFFFFFF == AT_FDCWD & 0xFFFFFFFF:
            return self.cwd_fd
        f = self.fds.get(dirfd & 0xFFFFFFFF)
        return f.fd if f is not None and f.fd >= 0 else None

    def path_arg(self, dirfd: int, ptr: int) -> tuple[bytes, int] | int:
        """(host path, host dir fd) for a path argument, or a negative errno."""
        raw = read_cstring(self.emu, ptr)
        if raw is None:
            return -EFAULT
        d = self._dir_fd(dirfd)
        if d is None and not raw.startswith(b"/"):
            return -EBADF
        return self.host_path(raw), (d if d is not None else self.cwd_fd)

    # -- descriptors ------------------------------------------------------------------------

    def _new_fd(self, f: GuestFile, lowest: int = 0) -> int:
        n = lowest
        while n in self.fds:
            n += 1
        self.fds[n] = f
        return n

    def get(self, fd: int) -> GuestFile | None:
        return self.fds.get(fd & 0xFFFFFFFF)

    def read_for_mmap(self, fd: int, off: int, length: int) -> bytes | int:
        """The bytes a file mapping of ``fd`` copies, or a negative errno."""
        f = self.get(fd)
        if f is None or f.fd < 0:
            return -EBADF
        try:
            return os.pread(f.fd, length, off)
        except OSError as e:
            return -(e.errno or EBADF)

    # -- system calls: open, close, read, write ------------------------------------------

    def sys_openat(self, dirfd: int, ptr: int, flags: int, mode: int, *_: int) -> int:
        got = self.path_arg(dirfd, ptr)
        if isinstance(got, int):
            return got
        path, d = got
        raw = read_cstring(self.emu, ptr) or b""
        if raw in (b"/proc/self/exe",) and self.exe_path:
            path = os.fsencode(self.exe_path)
        try:
            fd = os.open(path, _host_flags(flags) | os.O_CLOEXEC, mode & ~self.umask & 0o7777,
                         dir_fd=d)  # fmt: skip
        except OSError as e:
            return -(e.errno or ENOENT)
        return self._new_fd(GuestFile(fd, cloexec=bool(flags & 0o2000000)))

    def sys_close(self, fd: int, *_: int) -> int:
        f = self.fds.pop(fd & 0xFFFFFFFF, None)
        if f is None:
            return -EBADF
        if f.fd >= 0:
            try:
                os.close(f.fd)
            except OSError as e:
                return -(e.errno or EBADF)
        return 0

    def _read_into(self, f: GuestFile, n: int, pos: int | None = None) -> bytes | int:
        n = min(n, MAX_IO)
        try:
            if f.stream is not None:
                if pos is not None:
                    return -ESPIPE
                reader = getattr(f.stream, "read1", None) or f.stream.read
                return reader(n) if n else b""
            if pos is not None:
                return os.pread(f.fd, n, pos)
            if self.interrupted is not None:  # a signal may end it with EINTR
                return hostcalls.read(f.fd, min(n, 1 << 20), self.interrupted)
            return os.read(f.fd, n)
        except OSError as e:
            return -(e.errno or EBADF)
        except (ValueError, AttributeError):  # a closed or write-only stream
            return -EBADF

    def _write_from(self, f: GuestFile, data: bytes, pos: int | None = None) -> int:
        try:
            if f.stream is not None:
                if pos is not None:
                    return -ESPIPE
                f.stream.write(data)
                f.stream.flush()
                return len(data)
            return os.pwrite(f.fd, data, pos) if pos is not None else os.write(f.fd, data)
        except BrokenPipeError:
            self.on_epipe()
            return -EPIPE
        except OSError as e:
            return -(e.errno or EBADF)
        except (ValueError, AttributeError):
            return -EBADF

    def sys_read(self, fd: int, buf: int, n: int, *_: int) -> int:
        return self._pread(fd, buf, n, None)

    def sys_pread64(self, fd: int, buf: int, n: int, pos: int, *_: int) -> int:
        return self._pread(fd, buf, n, pos)

    def _pread(self, fd: int, buf: int, n: int, pos: int | None) -> int:
        f = self.get(fd)
        if f is None:
            return -EBADF
        if n and not _mapped(self.emu, buf, min(n, MAX_IO)):
            return -EFAULT  # checked before reading, as qemu-user does: nothing is consumed
        data = self._read_into(f, n, pos)
        if isinstance(data, int):
            return data
        if data and not write_guest(self.emu, buf, data):
            return -EFAULT
        return len(data)

    def sys_write(self, fd: int, buf: int, n: int, *_: int) -> int:
        return self._pwrite(fd, buf, n, None)

    def sys_pwrite64(self, fd: int, buf: int, n: int, pos: int, *_: int) -> int:
        return self._pwrite(fd, buf, n, pos)

    def _pwrite(self, fd: int, buf: int, n: int, pos: int | None) -> int:
        f = self.get(fd)
        if f is None:
            return -EBADF
        data = read_guest(self.emu, buf, min(n, MAX_IO)) if n else b""
        if data is None:
            return -EFAULT
        return self._write_from(f, data, pos)

    def _iov(self, iov: int, cnt: int) -> list[tuple[int, int]] | int:
        if cnt > 1024:
            return -EINVAL
        raw = read_guest(self.emu, iov, 16 * cnt) if cnt else b""
        if raw is None:
            return -EFAULT
        return [struct.unpack_from("<QQ", raw, 16 * i) for i in range(cnt)]

    def sys_readv(self, fd: int, iov: int, cnt: int, *_: int) -> int:
        return self._readv(fd, iov, cnt, None)

    def sys_preadv(self, fd: int, iov: int, cnt: int, pos: int, *_: int) -> int:
        return self._readv(fd, iov, cnt, pos)

    def _readv(self, fd: int, iov: int, cnt: int, pos: int | None) -> int:
        vec = self._iov(iov, cnt)
        if isinstance(vec, int):
            return vec
        total = 0
        for base, length in vec:
            if not length:
                continue
            r = self._pread(fd, base, length, None if pos is None else pos + total)
            if r < 0:
                return r if total == 0 else total
            total += r
            if r < length:
                break
        return total

    def sys_writev(self, fd: int, iov: int, cnt: int, *_: int) -> int:
        return self._writev(fd, iov, cnt, None)

    def sys_pwritev(self, fd: int, iov: int, cnt: int, pos: int, *_: int) -> int:
        return self._writev(fd, iov, cnt, pos)

    def _writev(self, fd: int, iov: int, cnt: int, pos: int | None) -> int:
        vec = self._iov(iov, cnt)
        if isinstance(vec, int):
            return vec
        f = self.get(fd)
        if f is None:
            return -EBADF
        data = bytearray()
        for base, length in vec:
            chunk = read_guest(self.emu, base, length) if length else b""
            if chunk is None:
                return -EFAULT
            data += chunk
        return self._write_from(f, bytes(data), pos)  # one write: as atomic as the kernel's

    def sys_lseek(self, fd: int, off: int, whence: int, *_: int) -> int:
        f = self.get(fd)
        if f is None:
            return -EBADF
        if f.fd < 0:
            return -ESPIPE
        try:
            pos = os.lseek(f.fd, off - (1 << 64) if off >> 63 else off, whence)
        except OSError as e:
            return -(e.errno or EINVAL)
        if pos == 0 and whence == os.SEEK_SET:
            f.dir_entries = None  # rewinddir
        return pos

    # -- descriptors: dup, fcntl, pipe, ioctl ----------------------------------------------

    def _dup(self, f: GuestFile) -> GuestFile | int:
        if f.stream is not None:
            return GuestFile(stream=f.stream)
        try:
            return GuestFile(os.dup(f.fd))
        except OSError as e:
            return -(e.errno or EBADF)

    def sys_dup(self, fd: int, *_: int) -> int:
        f = self.get(fd)
        if f is None:
            return -EBADF
        new = self._dup(f)
        return new if isinstance(new, int) else self._new_fd(new)

    def sys_dup3(self, old: int, new: int, flags: int, *_: int) -> int:
        old &= 0xFFFFFFFF
        new &= 0xFFFFFFFF
        f = self.get(old)
        if f is None or new >= 1 << 20:
            return -EBADF
        if old == new or flags & ~0o2000000:
            return -EINVAL
        copy = self._dup(f)
        if isinstance(copy, int):
            return copy
        copy.cloexec = bool(flags)
        self.sys_close(new)
        self.fds[new] = copy
        return new

    def sys_fcntl(self, fd: int, cmd: int, arg: int, *_: int) -> int:
        f = self.get(fd)
        if f is None:
            return -EBADF
        if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
            new = self._dup(f)
            if isinstance(new, int):
                return new
            new.cloexec = cmd == F_DUPFD_CLOEXEC
            return self._new_fd(new, arg & 0xFFFFFFFF)
        if cmd == F_GETFD:
            return FD_CLOEXEC if f.cloexec else 0
        if cmd == F_SETFD:
            f.cloexec = bool(arg & FD_CLOEXEC)
            return 0
        if f.fd < 0:
            return 0o2 if cmd == F_GETFL else 0  # a stream: read-write, no flags to set
        try:
            if cmd == F_GETFL:
                return _guest_flags(_fcntl().fcntl(f.fd, cmd))
            if cmd == F_SETFL:
                return _fcntl().fcntl(f.fd, cmd, _host_flags(arg))
        except OSError as e:
            return -(e.errno or EINVAL)
        if cmd in (F_GETLK, F_SETLK, F_SETLKW):
            return 0  # one process: its locks never conflict
        return -EINVAL

    def sys_pipe2(self, ptr: int, flags: int, *_: int) -> int:
        try:
            r, w = os.pipe2(_host_flags(flags & 0o4000) | os.O_CLOEXEC)
        except OSError as e:
            return -(e.errno or EINVAL)
        cloexec = bool(flags & 0o2000000)
        a = self._new_fd(GuestFile(r, cloexec=cloexec))
        b = self._new_fd(GuestFile(w, cloexec=cloexec))
        if not write_guest(self.emu, ptr, struct.pack("<ii", a, b)):
            self.sys_close(a)
            self.sys_close(b)
            return -EFAULT
        return 0

    def sys_ioctl(self, fd: int, request: int, arg: int, *_: int) -> int:
        f = self.get(fd)
        if f is None:
            return -EBADF
        request &= 0xFFFFFFFF
        sizes = _TTY_IOCTLS.get(request)
        if f.fd < 0 or sizes is None:
            return -ENOTTY
        n_in, n_out = sizes
        buf = bytearray(max(n_in, n_out))
        if n_in:
            data = read_guest(self.emu, arg, n_in)
            if data is None:
                return -EFAULT
            buf[:n_in] = data
        try:
            _fcntl().ioctl(f.fd, request, buf, True)
        except OSError as e:
            return -(e.errno or ENOTTY)
        if n_out and not write_guest(self.emu, arg, bytes(buf[:n_out])):
            return -EFAULT
        return 0

    # -- metadata ----------------------------------------------------------------------------

    def fstat_file(self, f: GuestFile) -> Any:
        if f.fd >= 0:
            return os.fstat(f.fd)
        fileno = getattr(f.stream, "fileno", None)
        try:
            if fileno is not None:
                return os.fstat(fileno())
        except (OSError, ValueError, AttributeError):
            pass
        # a stream without a descriptor (io.BytesIO): a pipe, as far as the guest can tell
        return _pipe_stat()

    def sys_fstat(self, fd: int, buf: int, *_: int) -> int:
        f = self.get(fd)
        if f is None:
            return -EBADF
        try:
            s = self.fstat_file(f)
        except OSError as e:
            return -(e.errno or EBADF)
        return 0 if write_guest(self.emu, buf, pack_stat(s)) else -EFAULT

    def sys_getdents64(self, fd: int, buf: int, size: int, *_: int) -> int:
        f = self.get(fd)
        if f is None or f.fd < 0:
            return -EBADF
        if f.dir_entries is None:
            try:
                with os.scandir(f.fd) as it:
                    listing = [(e.name.encode() if isinstance(e.name, str) else e.name,
                                e.inode(), _DT.get(st.S_IFMT(e.stat(follow_symlinks=False)
                                                             .st_mode), 0))
                               for e in it]  # fmt: skip
            except OSError as e:
                return -(e.errno or EBADF)
            here = os.fstat(f.fd)
            f.dir_entries = [(b".", here.st_ino, 4), (b"..", here.st_ino, 4), *listing]
            f.dir_entries.reverse()  # handed out from the end
        out = bytearray()
        while f.dir_entries:
            name, ino, dtype = f.dir_entries[-1]
            reclen = (19 + len(name) + 1 + 7) & ~7
            if len(out) + reclen > size:
                break
            rec = struct.pack("<QqHB", ino, len(out) + reclen, reclen, dtype) + name + b"\0"
            out += rec.ljust(reclen, b"\0")
            f.dir_entries.pop()
        if not out and f.dir_entries:
            return -EINVAL  # the buffer cannot hold the next entry
        return len(out) if write_guest(self.emu, buf, bytes(out)) else -EFAULT

    def sys_fchmod(self, fd: int, mode: int, *_: int) -> int:
        return self.on_fd(fd, lambda h: os.fchmod(h, mode & 0o7777))

    def sys_fchown(self, fd: int, uid: int, gid: int, *_: int) -> int:
        return self.on_fd(fd, lambda h: os.fchown(h, _id(uid), _id(gid)))

    def on_fd(self, fd: int, op: Callable[[int], Any]) -> int:
        f = self.get(fd)
        if f is None or f.fd < 0:
            return -EBADF
        try:
            op(f.fd)
        except OSError as e:
            return -(e.errno or EBADF)
        return 0

    # -- the working directory, umask, sizes -----------------------------------------------

    def sys_umask(self, mask: int, *_: int) -> int:
        old, self.umask = self.umask, mask & 0o777
        return old

    def sys_ftruncate(self, fd: int, length: int, *_: int) -> int:
        return self.on_fd(fd, lambda h: os.ftruncate(h, length))

    def sys_fadvise64(self, fd: int, *_: int) -> int:
        return 0 if self.get(fd) is not None else -EBADF  # advice: nothing to do

    def sys_fsync(self, fd: int, *_: int) -> int:
        f = self.get(fd)
        if f is None:
            return -EBADF
        return 0 if f.fd < 0 else self.on_fd(fd, os.fsync)

    def sys_fdatasync(self, fd: int, *_: int) -> int:
        return self.sys_fsync(fd)

    def sys_fallocate(self, fd: int, mode: int, off: int, length: int, *_: int) -> int:
        if mode:
            return -EOPNOTSUPP  # only plain allocation; holes and collapses are the host's
        return self.on_fd(fd, lambda h: os.posix_fallocate(h, off, length))

    def sys_flock(self, fd: int, op: int, *_: int) -> int:
        return self.on_fd(fd, lambda h: _fcntl().flock(h, op))

    def sys_sync(self, *_: int) -> int:
        os.sync()
        return 0

    def sys_syncfs(self, fd: int, *_: int) -> int:
        if self.get(fd) is None:
            return -EBADF
        os.sync()
        return 0

    def sys_memfd_create(self, name_ptr: int, flags: int, *_: int) -> int:
        name = read_cstring(self.emu, name_ptr, 250)
        if name is None:
            return -EFAULT
        if flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING):
            return -EINVAL
        try:
            fd = os.memfd_create(os.fsdecode(name), os.MFD_CLOEXEC | (flags & MFD_ALLOW_SEALING))
        except OSError as e:
            return -(e.errno or EINVAL)
        return self._new_fd(GuestFile(fd, cloexec=bool(flags & MFD_CLOEXEC)))

    def sys_close_range(self, first: int, last: int, flags: int, *_: int) -> int:
        first, last = first & 0xFFFFFFFF, last & 0xFFFFFFFF
        if first > last or flags & ~CLOSE_RANGE_CLOEXEC:
            return -EINVAL
        for n in [n for n in self.fds if first <= n <= last]:
            if flags & CLOSE_RANGE_CLOEXEC:
                self.fds[n].cloexec = True
            else:
                self.sys_close(n)
        return 0

    def sys_sendfile(self, out_fd: int, in_fd: int, off_ptr: int, count: int, *_: int) -> int:
        src = self.get(in_fd)
        dst = self.get(out_fd)
        if src is None or dst is None:
            return -EBADF
        pos = None
        if off_ptr:
            raw = read_guest(self.emu, off_ptr, 8)
            if raw is None:
                return -EFAULT
            pos = struct.unpack("<q", raw)[0]
        data = self._read_into(src, count, pos)
        if isinstance(data, int):
            return data
        n = self._write_from(dst, data)
        if n < 0:
            return n
        if pos is not None:
            write_guest(self.emu, off_ptr, struct.pack("<q", pos + n))
        elif n < len(data) and src.fd >= 0:
            os.lseek(src.fd, n - len(data), os.SEEK_CUR)
        return n

    # -- waiting for descriptors --------------------------------------------------------------

    def sys_ppoll(self, fds: int, nfds: int, tmo: int, *_: int) -> int:
        if nfds > 4096:
            return -EINVAL
        raw = read_guest(self.emu, fds, 8 * nfds) if nfds else b""
        if raw is None:
            return -EFAULT
        entries = [struct.unpack_from("<ihh", raw, 8 * i) for i in range(nfds)]
        timeout = None
        if tmo:
            t = read_timespec(self.emu, tmo)
            if isinstance(t, int):
                return t
            timeout = math.ceil(t * 1000)  # whole milliseconds, never shorter
        poller = select.poll()
        ready: dict[int, int] = {}
        host_of: dict[int, int] = {}
        host_events: dict[int, tuple[int, int]] = {}  # host fd -> (guest fd, events)
        for gfd, events, _r in entries:
            if gfd < 0:
                continue
            f = self.get(gfd)
            if f is None:
                ready[gfd] = select.POLLNVAL
            elif f.fd < 0:
                ready[gfd] = events & (select.POLLIN | select.POLLOUT)  # a stream: ready
            else:
                poller.register(f.fd, events & 0xFFFF)
                host_of[f.fd] = gfd
                previous = host_events.get(f.fd, (gfd, 0))[1]
                host_events[f.fd] = (gfd, previous | events)
        if not ready and self.interrupted is not None:  # a signal may end it with EINTR
            pairs = [(hfd, events & 0xFFFF) for hfd, (_g, events) in host_events.items()]
            revents = hostcalls.poll(pairs, timeout, self.interrupted)
            if isinstance(revents, int):
                return revents
            for (hfd, _e), rev in zip(pairs, revents, strict=True):
                if rev:
                    ready[host_of[hfd]] = rev
        elif not ready:
            try:
                for hfd, rev in poller.poll(timeout):
                    ready[host_of[hfd]] = rev
            except OSError as e:
                return -(e.errno or EINVAL)
        out = bytearray()
        for gfd, events, _r in entries:
            out += struct.pack("<ihh", gfd, events, ready.get(gfd, 0) if gfd >= 0 else 0)
        if nfds and not write_guest(self.emu, fds, bytes(out)):
            return -EFAULT
        return sum(1 for gfd, _e, _r in entries if gfd >= 0 and ready.get(gfd, 0))


def _mapped(emu: Emulator, addr: int, n: int) -> bool:
    """Whether the first and the last byte of ``[addr, addr + n)`` are mapped."""
    return read_guest(emu, addr, 1) is not None and read_guest(emu, addr + n - 1, 1) is not None


def _pipe_stat() -> Any:
    """What fstat says of a stream without a host descriptor: an empty pipe of ours."""
    import time
    import types

    now = time.time_ns()
    return types.SimpleNamespace(
        st_dev=0, st_ino=0, st_mode=st.S_IFIFO | 0o600, st_nlink=1, st_uid=os.getuid(),
        st_gid=os.getgid(), st_rdev=0, st_size=0, st_blksize=4096, st_blocks=0,
        st_atime=now / 1e9, st_mtime=now / 1e9, st_ctime=now / 1e9, st_atime_ns=now,
        st_mtime_ns=now, st_ctime_ns=now,
    )  # fmt: skip


def _id(v: int) -> int:
    v &= 0xFFFFFFFF
    return -1 if v == 0xFFFFFFFF else v


def _fcntl() -> Any:
    import fcntl

    return fcntl


def stdio_streams(stdin: BinaryIO | None, stdout: BinaryIO | None,
                  stderr: BinaryIO | None) -> tuple[Any, Any, Any]:  # fmt: skip
    """The embedding's streams for descriptors 0, 1, 2; Python's own where not given."""
    return (stdin or sys.stdin.buffer, stdout or sys.stdout.buffer, stderr or sys.stderr.buffer)
