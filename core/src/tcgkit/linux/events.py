"""Event and readiness system calls of a Linux process: epoll, eventfd, pselect6,
timerfd, and the in-kernel copies copy_file_range, splice and tee.

Owns ``EventCalls``: epoll_create1, epoll_ctl, epoll_pwait, epoll_pwait2 (AArch64 has
no epoll_wait), eventfd2, pselect6, timerfd_create, timerfd_settime,
timerfd_gettime, copy_file_range, splice and tee (see each method).

Invariants:

* an epoll instance, an eventfd and a timerfd of the guest are the host's own, each
  a host descriptor the ``FileTable`` owns (close-on-exec on the host; the guest's
  flag is the GuestFile's): read, write, close, dup, fcntl, ppoll and fstat on them
  are ``files``';
* an epoll registration is the host's, of the guest descriptor's host descriptor,
  and the guest's 64-bit ``data`` is kept as the host registration's own data: what
  epoll_pwait hands back is exactly what the guest registered, and a registration
  lives as the kernel's does (it survives a dup, it goes with the last descriptor of
  its file); struct epoll_event is translated: 16 bytes (4 of padding) on AArch64,
  12 packed ones on an x86-64 host;
* a guest descriptor without a host one (an embedding's stream) cannot be
  registered (EPERM, as a regular file); pselect6 takes it as ready for reading and
  writing, as ppoll does;
* bounded: at most 1024 events per epoll wait, fd_sets no longer than the guest's
  highest descriptor needs; a guest pointer that is not mapped is EFAULT, before
  the call waits;
* a wait is ended by a signal as ``hostcalls`` ends one: with EINTR when the guest
  sees the signal (``files.interrupted``; one pending already ends a wait that
  finds nothing ready, never a zero timeout's poll), resumed for what is left of
  its timeout when it does not; the signal masks epoll_pwait, epoll_pwait2 and
  pselect6 take are ignored for now: the guest's mask stays as it is while they
  wait;
* struct timespec and struct itimerspec are 64-bit numbers on AArch64 and on every
  64-bit host alike: they pass as they are.
"""

from __future__ import annotations

import functools
import math
import os
import select
import struct
import time
from typing import TYPE_CHECKING, Any

from . import hostcalls
from .files import GuestFile
from .mm import read_guest, read_timespec, write_guest

if TYPE_CHECKING:
    from ..api import Emulator
    from .process import LinuxProcess

EBADF, EFAULT, EINVAL, EINTR, EPERM = 9, 14, 22, 4, 1
O_NONBLOCK, O_CLOEXEC = 0o4000, 0o2000000  # the guest's (and x86-64's)
EFD_SEMAPHORE = 1
EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
#: the guest's struct epoll_event: events, 4 bytes of padding, data
GUEST_EVENT = struct.Struct("<I4xQ")
EP_MAX_EVENTS = 0x7FFFFFFF // GUEST_EVENT.size
MAX_EVENTS = 1024  # the most one wait asks the host for
MAX_COPY = 1 << 30  # the most one copy_file_range / splice / tee moves
#: select()'s readiness, as the kernel's POLLIN_SET, POLLOUT_SET and POLLEX_SET
_IN = select.POLLIN | select.POLLRDNORM | select.POLLRDBAND | select.POLLHUP | select.POLLERR
_OUT = select.POLLOUT | select.POLLWRNORM | select.POLLWRBAND | select.POLLERR
_EX = select.POLLPRI


class _Host:
    """libc's epoll and timerfd functions and tee (ctypes, errno kept)."""

    def __init__(self) -> None:
        import ctypes

        self.ctypes = ctypes
        lib = hostcalls.libc()
        i, p, z = ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t

        def fn(name: str, res: Any, *args: Any) -> Any:
            f = getattr(lib, name)
            f.restype, f.argtypes = res, args
            return f

        self.epoll_create1 = fn("epoll_create1", i, i)
        self.epoll_ctl = fn("epoll_ctl", i, i, i, i, p)
        self.epoll_wait = fn("epoll_wait", i, i, p, i, i)
        self.timerfd_create = fn("timerfd_create", i, i, i)
        self.timerfd_settime = fn("timerfd_settime", i, i, i, p, p)
        self.timerfd_gettime = fn("timerfd_gettime", i, i, p)
        self.tee = fn("tee", ctypes.c_ssize_t, i, i, z, ctypes.c_uint)
        # glibc packs struct epoll_event on x86-64 only
        packed = os.uname().machine in ("x86_64", "i386", "i686")
        self.event = struct.Struct("=IQ" if packed else "=I4xQ")


class EventCalls:
    """The event system calls of one process (see the module docstring)."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        self.files = proc.files
        self.emu = proc.emu

    @functools.cached_property
    def _host(self) -> _Host:
        """libc's functions, set up at the first call that needs them."""
        return _Host()

    def _install(self, hfd: int, cloexec: bool) -> int:
        with self.proc._lock:
            return self.files._new_fd(GuestFile(hfd, cloexec=cloexec))

    def _hostfd(self, fd: int, other: int = EINVAL) -> int:
        """The host descriptor behind guest ``fd``: EBADF without one, ``other`` for a
        stream."""
        f = self.files.get(fd)
        if f is None:
            return -EBADF
        return f.fd if f.fd >= 0 else -other

    # -- epoll --------------------------------------------------------------------------

    def sys_epoll_create1(self, flags: int, *_: int) -> int:
        """A host epoll instance."""
        flags &= 0xFFFFFFFF
        if flags & ~O_CLOEXEC:
            return -EINVAL
        host = self._host
        r = hostcalls.retry(host.epoll_create1, os.O_CLOEXEC)
        return r if r < 0 else self._install(r, bool(flags))

    def sys_epoll_ctl(self, epfd: int, op: int, fd: int, event: int, *_: int) -> int:
        """ADD, MOD or DEL the host descriptor of ``fd`` in the host instance, the guest's
        ``data`` as the registration's data."""
        op = _s32(op)
        events = data = 0
        if op in (EPOLL_CTL_ADD, EPOLL_CTL_MOD):
            raw = read_guest(self.emu, event, GUEST_EVENT.size)
            if raw is None:
                return -EFAULT
            events, data = GUEST_EVENT.unpack(raw)
        ep = self._hostfd(epfd)
        target = self._hostfd(fd, EPERM)
        if ep < 0 or target < 0:
            return -EBADF if -EBADF in (ep, target) else min(ep, target)
        host = self._host
        hev = host.event.pack(events, data) if op != EPOLL_CTL_DEL else None
        return hostcalls.retry(host.epoll_ctl, ep, op, target, hev)

    def sys_epoll_pwait(self, epfd: int, events: int, maxevents: int, timeout: int,
                        sigmask: int, *_: int) -> int:  # fmt: skip
        """Up to ``maxevents`` ready registrations (timeout in ms, negative: none)."""
        ms = _s32(timeout)
        return self._epoll_wait(epfd, events, maxevents, None if ms < 0 else ms / 1e3)

    def sys_epoll_pwait2(self, epfd: int, events: int, maxevents: int, tmo: int,
                         sigmask: int, *_: int) -> int:  # fmt: skip
        """epoll_pwait with a struct timespec timeout (NULL: none)."""
        seconds = None
        if tmo:
            got = read_timespec(self.emu, tmo)
            if isinstance(got, int):
                return got
            seconds = got
        return self._epoll_wait(epfd, events, maxevents, seconds)

    def _epoll_wait(self, epfd: int, events: int, maxevents: int,
                    timeout: float | None) -> int:  # fmt: skip
        maxevents = _s32(maxevents)
        if maxevents <= 0 or maxevents > EP_MAX_EVENTS:
            return -EINVAL
        if not _mapped(self.emu, events, maxevents * GUEST_EVENT.size):
            return -EFAULT  # checked before waiting, as qemu-user does
        ep = self._hostfd(epfd)
        if ep < 0:
            return ep
        host = self._host
        n = min(maxevents, MAX_EVENTS)
        buf = host.ctypes.create_string_buffer(n * host.event.size)
        end = None if timeout is None else time.monotonic() + timeout
        check = self.files.interrupted if timeout != 0 else None  # 0: a poll, never EINTR
        while True:
            ms = -1 if end is None else math.ceil(max(0.0, end - time.monotonic()) * 1e3)
            pending = check is not None and check()
            r = host.epoll_wait(ep, buf, n, 0 if pending else ms)
            if r == 0 and pending:
                return -EINTR  # a signal the guest sees, and nothing ready
            if r >= 0:
                break
            err = host.ctypes.get_errno()
            if err != EINTR:
                return -(err or EINVAL)
            if check is not None and check():
                return -EINTR  # else one the guest does not see: wait again
        out = b"".join(GUEST_EVENT.pack(*host.event.unpack_from(buf, i * host.event.size))
                       for i in range(r))  # fmt: skip
        if out and not write_guest(self.emu, events, out):
            return -EFAULT
        return r

    # -- eventfd, timerfd ------------------------------------------------------------------

    def sys_eventfd2(self, initval: int, flags: int, *_: int) -> int:
        """A host eventfd."""
        flags &= 0xFFFFFFFF
        if flags & ~(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC):
            return -EINVAL
        hflags = os.EFD_CLOEXEC | (os.EFD_NONBLOCK if flags & O_NONBLOCK else 0) \
            | (os.EFD_SEMAPHORE if flags & EFD_SEMAPHORE else 0)  # fmt: skip
        try:
            h = os.eventfd(initval & 0xFFFFFFFF, hflags)
        except OSError as e:
            return -(e.errno or EINVAL)
        return self._install(h, bool(flags & O_CLOEXEC))

    def sys_timerfd_create(self, clock: int, flags: int, *_: int) -> int:
        """A host timerfd on the same clock (the guest's clocks are the host's)."""
        flags &= 0xFFFFFFFF
        if flags & ~(O_NONBLOCK | O_CLOEXEC):
            return -EINVAL
        host = self._host
        hflags = os.O_CLOEXEC | (os.O_NONBLOCK if flags & O_NONBLOCK else 0)
        r = hostcalls.retry(host.timerfd_create, _s32(clock), hflags)
        return r if r < 0 else self._install(r, bool(flags & O_CLOEXEC))

    def sys_timerfd_settime(self, fd: int, flags: int, new: int, old: int, *_: int) -> int:
        """Arm or disarm (struct itimerspec at ``new``); the previous setting at ``old``."""
        h = self._hostfd(fd)
        if h < 0:
            return h
        raw = read_guest(self.emu, new, 32)
        if raw is None:
            return -EFAULT
        if old and not _mapped(self.emu, old, 32):
            return -EFAULT
        host = self._host
        prev = host.ctypes.create_string_buffer(32)
        r = hostcalls.retry(host.timerfd_settime, h, _s32(flags), raw, prev)
        if r < 0:
            return r
        return 0 if not old or write_guest(self.emu, old, prev.raw) else -EFAULT

    def sys_timerfd_gettime(self, fd: int, cur: int, *_: int) -> int:
        h = self._hostfd(fd)
        if h < 0:
            return h
        host = self._host
        buf = host.ctypes.create_string_buffer(32)
        r = hostcalls.retry(host.timerfd_gettime, h, buf)
        if r < 0:
            return r
        return 0 if write_guest(self.emu, cur, buf.raw) else -EFAULT

    # -- pselect6 ------------------------------------------------------------------------------

    def sys_pselect6(self, nfds: int, rp: int, wp: int, xp: int, tmo: int,
                     sig: int, *_: int) -> int:  # fmt: skip
        """select over guest fd_sets (bitmaps of 64-bit words, alike on both sides): each
        descriptor's host one polled; the sets rewritten with the ready ones, the timeout
        with what is left of it (as Linux does). ``sig`` (the mask to wait with) is
        ignored for now."""
        n = _s32(nfds)
        if n < 0:
            return -EINVAL
        top = max(list(self.files.fds), default=0) + 1  # a copy: other threads add to it
        n = min(n, max(64, -(-top // 64) * 64))  # the kernel's cut: its table's size
        size = -(-n // 64) * 8
        sets: list[int | None] = []
        for ptr in (rp, wp, xp):
            raw = read_guest(self.emu, ptr, size) if ptr and size else (b"" if ptr else None)
            if raw is None and ptr:
                return -EFAULT
            sets.append(int.from_bytes(raw, "little") if raw is not None else None)
        end = None
        if tmo:
            got = read_timespec(self.emu, tmo)
            if isinstance(got, int):
                return got
            end = time.monotonic() + got
        result = self._select(n, sets, end)
        if isinstance(result, int):
            if result == -EINTR:
                self._time_left(tmo, end)  # Linux updates it when a signal ends the call
            return result
        for ptr, bits in zip((rp, wp, xp), result, strict=True):
            if ptr and size and not write_guest(self.emu, ptr, bits.to_bytes(size, "little")):
                return -EFAULT
        self._time_left(tmo, end)
        return sum(bin(bits).count("1") for bits in result)

    def _select(self, n: int, sets: list[int | None], end: float | None) -> list[int] | int:
        """The ready bits of the three sets, or a negative errno."""
        rin, win, xin = (s or 0 for s in sets)
        poller = select.poll()
        host_of: dict[int, int] = {}
        masks: dict[int, int] = {}
        ready = [0, 0, 0]
        for fd in range(n):
            bit = 1 << fd
            if not (rin | win | xin) & bit:
                continue
            f = self.files.get(fd)
            if f is None:
                return -EBADF
            if f.fd < 0:  # a stream: ready for reading and writing, as ppoll says
                ready[0] |= rin & bit
                ready[1] |= win & bit
                continue
            mask = (select.POLLIN if rin & bit else 0) | (select.POLLOUT if win & bit else 0) \
                | (select.POLLPRI if xin & bit else 0)  # fmt: skip
            poller.register(f.fd, mask)
            host_of[f.fd], masks[f.fd] = fd, mask
        if any(ready):
            ms: int | None = 0
        elif end is None:
            ms = None
        else:
            ms = math.ceil(max(0.0, end - time.monotonic()) * 1e3)
        check = self.files.interrupted
        if check is not None and ms != 0:  # a signal the guest sees ends it with EINTR
            pairs = list(host_of)
            got = hostcalls.poll([(h, masks[h]) for h in pairs], ms, check)
            if isinstance(got, int):
                return got
            events = [(h, rev) for h, rev in zip(pairs, got, strict=True) if rev]
        else:
            try:
                events = poller.poll(ms)  # none polled: a sleep
            except OSError as e:
                return -(e.errno or EINVAL)
        for hfd, rev in events:
            if rev & select.POLLNVAL:
                return -EBADF
            bit = 1 << host_of[hfd]
            ready[0] |= rin & bit if rev & _IN else 0
            ready[1] |= win & bit if rev & _OUT else 0
            ready[2] |= xin & bit if rev & _EX else 0
        return ready

    def _time_left(self, tmo: int, end: float | None) -> None:
        if tmo and end is not None:
            left = max(0, int((end - time.monotonic()) * 1e9))
            write_guest(self.emu, tmo, struct.pack("<qq", left // 10**9, left % 10**9))

    # -- copies in the kernel ----------------------------------------------------------------

    def _offset(self, ptr: int) -> tuple[int | None, int]:
        """(the loff_t at ``ptr`` or None for NULL, 0) or (None, a negative errno)."""
        if not ptr:
            return None, 0
        raw = read_guest(self.emu, ptr, 8)
        return (None, -EFAULT) if raw is None else (struct.unpack("<q", raw)[0], 0)

    def _copy(self, fd_in: int, off_in: int, fd_out: int, off_out: int,
              op: Any) -> int:  # fmt: skip
        """Run ``op(host in, host out, pos in, pos out)`` (a count moved); each offset
        given is read first and advanced after."""
        src, dst = self._hostfd(fd_in, EBADF), self._hostfd(fd_out, EBADF)
        if src < 0 or dst < 0:
            return -EBADF
        pin, err = self._offset(off_in)
        pout, err2 = self._offset(off_out)
        if err or err2:
            return -EFAULT
        try:
            n = op(src, dst, pin, pout)
        except OSError as e:
            return -(e.errno or EINVAL)
        if n < 0:
            return n
        for ptr, pos in ((off_in, pin), (off_out, pout)):
            if ptr and pos is not None:
                write_guest(self.emu, ptr, struct.pack("<q", pos + n))
        return n

    def sys_copy_file_range(self, fd_in: int, off_in: int, fd_out: int, off_out: int,
                            length: int, flags: int, *_: int) -> int:  # fmt: skip
        """The host's copy_file_range (at most ``MAX_COPY`` bytes at a time)."""
        if flags & 0xFFFFFFFF:
            return -EINVAL
        count = min(length, MAX_COPY)
        return self._copy(
            fd_in,
            off_in,
            fd_out,
            off_out,
            lambda s, d, ps, pd: os.copy_file_range(s, d, count, ps, pd),
        )

    def sys_splice(self, fd_in: int, off_in: int, fd_out: int, off_out: int, length: int,
                   flags: int, *_: int) -> int:  # fmt: skip
        """The host's splice (SPLICE_F_* flags as they are: the same everywhere)."""
        count, fl = min(length, MAX_COPY), flags & 0xFFFFFFFF
        return self._copy(
            fd_in, off_in, fd_out, off_out, lambda s, d, ps, pd: os.splice(s, d, count, ps, pd, fl)
        )

    def sys_tee(self, fd_in: int, fd_out: int, length: int, flags: int, *_: int) -> int:
        """The host's tee between two pipes."""
        host = self._host
        count, fl = min(length, MAX_COPY), flags & 0xFFFFFFFF
        return self._copy(
            fd_in, 0, fd_out, 0, lambda s, d, _ps, _pd: hostcalls.retry(host.tee, s, d, count, fl)
        )


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


def _mapped(emu: Emulator, addr: int, n: int) -> bool:
    """Whether the first and the last byte of ``[addr, addr + n)`` are mapped."""
    return read_guest(emu, addr, 1) is not None and read_guest(emu, addr + n - 1, 1) is not None
