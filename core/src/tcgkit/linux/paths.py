"""The path system calls of a Linux process, served by the host's.

Owns ``PathCalls``: newfstatat, statx, readlinkat, faccessat(2), mkdirat,
unlinkat, renameat(2), symlinkat, linkat, fchmodat, fchownat, utimensat,
chdir/fchdir/getcwd, truncate, statfs/fstatfs, and reading extended attributes
([lf]getxattr, [lf]listxattr; setting them is refused with ENOTSUP). Paths resolve through the
process's ``FileTable`` (``files``: the sysroot view of absolute paths, the
guest's working directory as a host directory descriptor); its invariants hold
here too: a bad guest pointer is EFAULT, host errors come back as the same errno.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat as st
import struct
import time
from collections.abc import Callable
from typing import Any

from . import hostcalls
from .files import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_REMOVEDIR,
    AT_SYMLINK_NOFOLLOW,
    EBADF,
    EFAULT,
    EINVAL,
    ENOENT,
    ERANGE,
    FileTable,
    _id,
    pack_stat,
    pack_statx,
)
from .mm import read_cstring, read_guest, write_guest

UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2


class PathCalls:
    """The system calls on paths of one process (see the module docstring)."""

    def __init__(self, table: FileTable) -> None:
        self.t = table

    def _stat(self, dirfd: int, ptr: int, flags: int) -> Any:
        raw = read_cstring(self.t.emu, ptr) if ptr else b""
        if raw is None:
            return -EFAULT
        follow = not flags & AT_SYMLINK_NOFOLLOW
        try:
            if not raw and flags & AT_EMPTY_PATH:
                f = self.t.get(dirfd)
                if dirfd & 0xFFFFFFFF == AT_FDCWD & 0xFFFFFFFF:
                    return os.stat(self.t.cwd_fd)
                if f is None:
                    return -EBADF
                return self.t.fstat_file(f)
            got = self.t.path_arg(dirfd, ptr)
            if isinstance(got, int):
                return got
            path, d = got
            if raw == b"/proc/self/exe" and self.t.exe_path:
                path = os.fsencode(self.t.exe_path)
            return os.stat(path, dir_fd=d, follow_symlinks=follow)
        except OSError as e:
            return -(e.errno or ENOENT)

    def sys_newfstatat(self, dirfd: int, ptr: int, buf: int, flags: int, *_: int) -> int:
        s = self._stat(dirfd, ptr, flags)
        if isinstance(s, int):
            return s
        return 0 if write_guest(self.t.emu, buf, pack_stat(s)) else -EFAULT

    def sys_statx(self, dirfd: int, ptr: int, flags: int, _mask: int, buf: int, *_: int) -> int:
        s = self._stat(dirfd, ptr, flags)
        if isinstance(s, int):
            return s
        return 0 if write_guest(self.t.emu, buf, pack_statx(s)) else -EFAULT

    def sys_readlinkat(self, dirfd: int, ptr: int, buf: int, size: int, *_: int) -> int:
        raw = read_cstring(self.t.emu, ptr)
        if raw is None:
            return -EFAULT
        if size <= 0 or size >= 1 << 31:
            return -EINVAL
        if raw == b"/proc/self/exe" and self.t.exe_path:
            target = os.fsencode(os.path.abspath(self.t.exe_path))
        else:
            got = self.t.path_arg(dirfd, ptr)
            if isinstance(got, int):
                return got
            try:
                target = os.readlink(got[0], dir_fd=got[1])
            except OSError as e:
                return -(e.errno or ENOENT)
        out = target[:size]
        return len(out) if write_guest(self.t.emu, buf, out) else -EFAULT

    def sys_faccessat(self, dirfd: int, ptr: int, mode: int, *rest: int) -> int:
        got = self.t.path_arg(dirfd, ptr)
        if isinstance(got, int):
            return got
        try:
            ok = os.access(got[0], mode & 7, dir_fd=got[1])
        except OSError as e:
            return -(e.errno or ENOENT)
        if ok:
            return 0
        return -errno.EACCES if os.path.lexists(self._abs(got)) else -ENOENT

    def sys_faccessat2(self, dirfd: int, ptr: int, mode: int, flags: int, *_: int) -> int:
        return self.sys_faccessat(dirfd, ptr, mode)

    def _abs(self, got: tuple[bytes, int]) -> bytes:
        path, d = got
        if path.startswith(b"/"):
            return path
        base = os.fsencode(os.readlink(f"/proc/self/fd/{d}")) if d != self.t.cwd_fd else self.t.cwd
        return os.path.join(base, path)

    def _at(self, dirfd: int, ptr: int, op: Callable[[bytes, int], Any]) -> int:
        got = self.t.path_arg(dirfd, ptr)
        if isinstance(got, int):
            return got
        try:
            op(*got)
        except OSError as e:
            return -(e.errno or ENOENT)
        return 0

    def sys_mkdirat(self, dirfd: int, ptr: int, mode: int, *_: int) -> int:
        return self._at(dirfd, ptr, lambda p, d: os.mkdir(p, mode & ~self.t.umask & 0o7777,
                                                          dir_fd=d))  # fmt: skip

    def sys_unlinkat(self, dirfd: int, ptr: int, flags: int, *_: int) -> int:
        if flags & AT_REMOVEDIR:
            return self._at(dirfd, ptr, lambda p, d: os.rmdir(p, dir_fd=d))
        return self._at(dirfd, ptr, lambda p, d: os.unlink(p, dir_fd=d))

    def sys_renameat2(self, olddir: int, old: int, newdir: int, new: int, flags: int = 0,
                      *_: int) -> int:  # fmt: skip
        if flags:
            return -EINVAL
        a, b = self.t.path_arg(olddir, old), self.t.path_arg(newdir, new)
        if isinstance(a, int):
            return a
        if isinstance(b, int):
            return b
        try:
            os.rename(a[0], b[0], src_dir_fd=a[1], dst_dir_fd=b[1])
        except OSError as e:
            return -(e.errno or ENOENT)
        return 0

    def sys_renameat(self, olddir: int, old: int, newdir: int, new: int, *_: int) -> int:
        return self.sys_renameat2(olddir, old, newdir, new, 0)

    def sys_symlinkat(self, target: int, dirfd: int, ptr: int, *_: int) -> int:
        raw = read_cstring(self.t.emu, target)
        if raw is None:
            return -EFAULT
        return self._at(dirfd, ptr, lambda p, d: os.symlink(raw, p, dir_fd=d))

    def sys_linkat(self, olddir: int, old: int, newdir: int, new: int, flags: int,
                   *_: int) -> int:  # fmt: skip
        a, b = self.t.path_arg(olddir, old), self.t.path_arg(newdir, new)
        if isinstance(a, int):
            return a
        if isinstance(b, int):
            return b
        try:
            os.link(a[0], b[0], src_dir_fd=a[1], dst_dir_fd=b[1],
                    follow_symlinks=bool(flags & 0x400))  # fmt: skip
        except OSError as e:
            return -(e.errno or ENOENT)
        return 0

    def sys_fchmodat(self, dirfd: int, ptr: int, mode: int, *_: int) -> int:
        return self._at(dirfd, ptr, lambda p, d: os.chmod(p, mode & 0o7777, dir_fd=d))

    def sys_fchownat(self, dirfd: int, ptr: int, uid: int, gid: int, flags: int,
                     *_: int) -> int:  # fmt: skip
        u, g = _id(uid), _id(gid)
        follow = not flags & AT_SYMLINK_NOFOLLOW
        return self._at(dirfd, ptr, lambda p, d: os.chown(p, u, g, dir_fd=d,
                                                          follow_symlinks=follow))  # fmt: skip

    def sys_utimensat(self, dirfd: int, ptr: int, times: int, flags: int, *_: int) -> int:
        ns: tuple[int, int] | None = None
        if times:
            raw = read_guest(self.t.emu, times, 32)
            if raw is None:
                return -EFAULT
            a_s, a_ns, m_s, m_ns = struct.unpack("<qqqq", raw)
            old: os.stat_result | None = None
            if UTIME_OMIT in (a_ns, m_ns):
                got = self._stat(dirfd, ptr, flags | (0 if ptr else AT_EMPTY_PATH))
                if isinstance(got, int):
                    return got
                old = got
            now = time.time_ns()
            ns = (_utime(a_s, a_ns, now, old.st_atime_ns if old else 0),
                  _utime(m_s, m_ns, now, old.st_mtime_ns if old else 0))  # fmt: skip
        if not ptr:
            return self.t.on_fd(dirfd, lambda h: os.utime(h, ns=ns) if ns else os.utime(h))
        follow = not flags & AT_SYMLINK_NOFOLLOW

        def touch(p: bytes, d: int) -> None:
            if ns:
                os.utime(p, ns=ns, dir_fd=d, follow_symlinks=follow)
            else:
                os.utime(p, dir_fd=d, follow_symlinks=follow)

        return self._at(dirfd, ptr, touch)

    def sys_chdir(self, ptr: int, *_: int) -> int:
        got = self.t.path_arg(AT_FDCWD, ptr)
        if isinstance(got, int):
            return got
        try:
            fd = os.open(got[0], os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=got[1])
        except OSError as e:
            return -(e.errno or ENOENT)
        return self._set_cwd(fd)

    def sys_fchdir(self, fd: int, *_: int) -> int:
        f = self.t.get(fd)
        if f is None or f.fd < 0:
            return -EBADF
        try:
            if not st.S_ISDIR(os.fstat(f.fd).st_mode):
                return -errno.ENOTDIR
            return self._set_cwd(os.dup(f.fd))
        except OSError as e:
            return -(e.errno or EBADF)

    def _set_cwd(self, fd: int) -> int:
        os.close(self.t.cwd_fd)
        self.t.cwd_fd = fd
        self.t.cwd = os.fsencode(os.readlink(f"/proc/self/fd/{fd}"))
        return 0

    def sys_getcwd(self, buf: int, size: int, *_: int) -> int:
        path = self.t.cwd
        if self.t.sysroot and path.startswith(self.t.sysroot + b"/"):
            path = path[len(self.t.sysroot) :]
        out = path + b"\0"
        if size < len(out):
            return -ERANGE
        return len(out) if write_guest(self.t.emu, buf, out) else -EFAULT

    def sys_truncate(self, ptr: int, length: int, *_: int) -> int:
        return self._at(AT_FDCWD, ptr, lambda p, d: _truncate_at(p, d, length))

    def sys_statfs(self, ptr: int, buf: int, *_: int) -> int:
        got = self.t.path_arg(AT_FDCWD, ptr)
        if isinstance(got, int):
            return got
        return self._statfs(buf, path=self._abs(got))

    def sys_fstatfs(self, fd: int, buf: int, *_: int) -> int:
        f = self.t.get(fd)
        if f is None or f.fd < 0:
            return -EBADF
        return self._statfs(buf, fd=f.fd)

    def _statfs(self, buf: int, path: bytes | None = None, fd: int = -1) -> int:
        out = ctypes.create_string_buffer(120)  # struct statfs: the same on 64-bit Linux
        libc = _libc()
        r = libc.statfs(path, out) if path is not None else libc.fstatfs(fd, out)
        if r != 0:
            return -ctypes.get_errno()
        return 0 if write_guest(self.t.emu, buf, out.raw) else -EFAULT


def _utime(sec: int, nsec: int, now: int, old: int) -> int:
    if nsec == UTIME_NOW:
        return now
    if nsec == UTIME_OMIT:
        return old
    return sec * 10**9 + nsec


def _truncate_at(path: bytes, dir_fd: int, length: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.ftruncate(fd, length)
    finally:
        os.close(fd)


def _libc() -> Any:
    lib = hostcalls.libc()
    lib.statfs.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.fstatfs.argtypes = [ctypes.c_int, ctypes.c_char_p]
    return lib


class XattrCalls:
    """Extended attributes, read from the host's (``PathCalls``' companion)."""

    def __init__(self, table: FileTable) -> None:
        self.t = table

    def _xattr(self, target: bytes | int, name: int, buf: int, size: int,
               follow: bool = True) -> int:  # fmt: skip
        raw = read_cstring(self.t.emu, name)
        if raw is None:
            return -EFAULT
        try:
            value = os.getxattr(target, raw, follow_symlinks=follow)
        except OSError as e:
            return -(e.errno or ENOENT)
        return self._answer(value, buf, size)

    def _answer(self, value: bytes, buf: int, size: int) -> int:
        if size == 0:
            return len(value)
        if size < len(value):
            return -ERANGE
        return len(value) if write_guest(self.t.emu, buf, value) else -EFAULT

    def _list(self, target: bytes | int, buf: int, size: int, follow: bool = True) -> int:
        try:
            names = os.listxattr(target, follow_symlinks=follow)
        except OSError as e:
            return -(e.errno or ENOENT)
        return self._answer(b"".join(os.fsencode(n) + b"\0" for n in names), buf, size)

    def _path(self, ptr: int) -> bytes | int:
        got = self.t.path_arg(AT_FDCWD, ptr)
        return got if isinstance(got, int) else _absolute(self.t, got)

    def sys_getxattr(self, path: int, name: int, buf: int, size: int, *_: int) -> int:
        p = self._path(path)
        return p if isinstance(p, int) else self._xattr(p, name, buf, size)

    def sys_lgetxattr(self, path: int, name: int, buf: int, size: int, *_: int) -> int:
        p = self._path(path)
        return p if isinstance(p, int) else self._xattr(p, name, buf, size, follow=False)

    def sys_fgetxattr(self, fd: int, name: int, buf: int, size: int, *_: int) -> int:
        f = self.t.get(fd)
        if f is None or f.fd < 0:
            return -EBADF
        return self._xattr(f.fd, name, buf, size)

    def sys_listxattr(self, path: int, buf: int, size: int, *_: int) -> int:
        p = self._path(path)
        return p if isinstance(p, int) else self._list(p, buf, size)

    def sys_llistxattr(self, path: int, buf: int, size: int, *_: int) -> int:
        p = self._path(path)
        return p if isinstance(p, int) else self._list(p, buf, size, follow=False)

    def sys_flistxattr(self, fd: int, buf: int, size: int, *_: int) -> int:
        f = self.t.get(fd)
        if f is None or f.fd < 0:
            return -EBADF
        return self._list(f.fd, buf, size)

    def sys_setxattr(self, *_: int) -> int:
        return -ENOTSUP

    sys_lsetxattr = sys_fsetxattr = sys_removexattr = sys_lremovexattr = sys_setxattr
    sys_fremovexattr = sys_setxattr


ENOTSUP = 95


def _absolute(table: FileTable, got: tuple[bytes, int]) -> bytes:
    path, d = got
    if path.startswith(b"/"):
        return path
    base = os.fsencode(os.readlink(f"/proc/self/fd/{d}")) if d != table.cwd_fd else table.cwd
    return os.path.join(base, path)
