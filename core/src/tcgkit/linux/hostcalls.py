"""Blocking host system calls that a signal interrupts, as the guest's would.

Owns ``read``, ``wait4`` and ``poll`` made through libc (ctypes): Python's own ``os.read``
and ``os.wait4`` retry a call that a signal interrupted (PEP 475), so a guest
blocked in one would never see EINTR, and raising from a signal handler to stop
the retry could lose what the call had already done (a child reaped, bytes
read). Through libc the call returns EINTR with nothing done; Python runs the
signal handlers (``host_signals``: they post the signal) before the caller
goes on, so ``interrupted()`` knows whether the guest must see EINTR (a
signal it handles or dies of) or the call is made again (one it ignores).

A signal already pending when the call starts ends it only if it would block
(as the kernel's check before sleeping): the call is first tried without
waiting (a poll with no timeout, WNOHANG).
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

EINTR, EINVAL = 4, 22


@functools.cache
def libc() -> ctypes.CDLL:
    """The C library, errno kept (one handle per process: a cache of what was found;
    callers set the prototypes of the functions they call)."""
    return ctypes.CDLL(None, use_errno=True)


def retry(f: Callable[..., int], *args: object) -> int:
    """``f(*args)``, a libc call that does not block, made again after EINTR; its
    result, or a negative errno."""
    while True:
        got = f(*args)
        if got >= 0:
            return got
        err = ctypes.get_errno()
        if err != EINTR:
            return -(err or EINVAL)


def read(fd: int, n: int, interrupted: Callable[[], bool]) -> bytes | int:
    """Up to ``n`` bytes of host descriptor ``fd``, or a negative errno (-EINTR when a
    signal interrupted it and ``interrupted()`` says the guest must know)."""
    buf = ctypes.create_string_buffer(max(n, 1))
    lib = libc()
    while True:
        if interrupted() and _would_block(fd, 1):  # POLLIN
            return -EINTR
        got = lib.read(fd, buf, ctypes.c_size_t(n))
        if got >= 0:
            return buf.raw[:got]
        err = ctypes.get_errno()
        if err != EINTR or interrupted():
            return -err


def wait4(pid: int, options: int, interrupted: Callable[[], bool]) -> tuple[int, int, bytes] | int:
    """The host's wait4: (pid, status, struct rusage's bytes), or a negative errno."""
    status = ctypes.c_int(0)
    usage = ctypes.create_string_buffer(144)  # struct rusage: the same on 64-bit Linux
    lib = libc()
    while True:
        wait = options
        if interrupted():  # a child that has changed already, else EINTR
            wait |= 1  # WNOHANG
        got = lib.wait4(ctypes.c_int(pid), ctypes.byref(status), ctypes.c_int(wait), usage)
        if got == 0 and not options & 1:
            return -EINTR
        if got >= 0:
            return got, status.value, usage.raw
        err = ctypes.get_errno()
        if err != EINTR or interrupted():
            return -err


class _PollFd(ctypes.Structure):
    _fields_ = (("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short))


def poll(fds: list[tuple[int, int]], timeout_ms: int | None,
         interrupted: Callable[[], bool]) -> list[int] | int:  # fmt: skip
    """The host's poll of (host descriptor, events) pairs: each one's revents, or a
    negative errno. ``timeout_ms`` None waits for ever; a signal the guest does not see
    makes it wait again for what is left."""
    import time

    array = (_PollFd * max(len(fds), 1))()
    for i, (fd, events) in enumerate(fds):
        array[i].fd, array[i].events = fd, events
    end = None if timeout_ms is None else time.monotonic() + timeout_ms / 1000
    lib = libc()
    while True:
        left = -1 if end is None else max(0, int((end - time.monotonic()) * 1000))
        if interrupted():  # what is ready already, else EINTR
            left = 0
        got = lib.poll(array, ctypes.c_ulong(len(fds)), ctypes.c_int(left))
        if got == 0 and left == 0 and interrupted():
            return -EINTR
        if got >= 0:
            return [array[i].revents & 0xFFFF for i in range(len(fds))]
        err = ctypes.get_errno()
        if err != EINTR or interrupted():
            return -err


def _would_block(fd: int, events: int) -> bool:
    """Whether nothing of ``events`` is ready on ``fd`` now."""
    one = _PollFd(fd, events, 0)
    return libc().poll(ctypes.byref(one), ctypes.c_ulong(1), ctypes.c_int(0)) == 0
