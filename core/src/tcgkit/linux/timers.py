"""Time in a Linux process: its clocks, sleeps, and timers raising their signals.

Owns ``Timers``: clock_gettime, clock_getres, gettimeofday, nanosleep and
clock_nanosleep (a signal the guest takes ends a sleep: EINTR and what was
left; a sleep a debugger's stop suspended waits, made again, only for what was
left), setitimer/getitimer (ITIMER_REAL raises SIGALRM; ITIMER_VIRTUAL
and ITIMER_PROF, which count the process's CPU time, are approximated by
elapsed time and raise SIGVTALRM and SIGPROF) and timer_create,
timer_settime, timer_gettime, timer_getoverrun, timer_delete (SIGEV_SIGNAL,
SIGEV_THREAD_ID and SIGEV_NONE notification on every clock; glibc builds
SIGEV_THREAD on SIGEV_THREAD_ID).

Invariants: a timer is a deadline and an interval kept here, armed as one
``threading.Timer`` at a time; it fires by ``Signals.post`` (the signal is
taken at the next TB boundary or ends a blocking call), never on the vCPU's
thread itself; a timer's state changes under ``_lock``, and a firing that lost
a race with a re-arm or a delete does nothing (its generation is stale);
``close`` cancels every timer (the process has ended).
"""

from __future__ import annotations

import struct
import threading
import time
from typing import TYPE_CHECKING

from .mm import read_guest, read_timespec, write_guest
from .signals import Interrupted, Suspended

if TYPE_CHECKING:
    from .process import LinuxProcess

EFAULT, EINVAL, EAGAIN, EINTR = 14, 22, 11, 4
SIGALRM, SIGVTALRM, SIGPROF = 14, 26, 27
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
SI_TIMER = -2
TIMER_ABSTIME = 1
MAX_TIMERS = 4096


class _Timer:
    """One timer: when it fires next (monotonic seconds, None: disarmed), its interval,
    its signal, the value its siginfo carries, and the overruns of its last firing."""

    __slots__ = ("clock", "deadline", "generation", "id", "interval", "overrun", "pending",
                 "signo", "thread", "value")  # fmt: skip

    def __init__(self, ident: int, signo: int, value: int, clock: int) -> None:
        self.id = ident
        self.signo = signo  # 0: SIGEV_NONE
        self.value = value
        self.clock = clock
        self.deadline: float | None = None
        self.interval = 0.0
        self.overrun = 0
        self.pending = 0  # firings since its signal was last posted
        self.generation = 0
        self.thread: threading.Timer | None = None


class Timers:
    """The timers of one process (see the module docstring)."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        self._lock = threading.Lock()
        self._itimers: dict[int, _Timer] = {}  # ITIMER_* -> timer
        self._posix: dict[int, _Timer] = {}  # timer id -> timer
        #: relative sleeps a stop suspended (``Suspended``: a debugger stopped the guest),
        #: by (thread, clock, request address, requested seconds): when they end; made
        #: again, such a sleep waits only for what was left, as Linux's restart block
        #: makes it
        self._restarts: dict[tuple[int, int, int, float], float] = {}

    # -- clocks and sleeps ------------------------------------------------------------------------

    def sys_clock_gettime(self, clock: int, ts: int, *_: int) -> int:
        ns = _clock_ns(clock)
        if ns is None:
            return -EINVAL
        data = struct.pack("<qq", ns // 10**9, ns % 10**9)
        return 0 if write_guest(self.proc.emu, ts, data) else -EFAULT

    def sys_clock_getres(self, clock: int, ts: int, *_: int) -> int:
        if _clock_ns(clock) is None:
            return -EINVAL
        return 0 if not ts or write_guest(self.proc.emu, ts, struct.pack("<qq", 0, 1)) else -EFAULT

    def sys_gettimeofday(self, tv: int, tz: int, *_: int) -> int:
        ns = time.time_ns()
        if tv and not write_guest(self.proc.emu, tv, struct.pack("<qq", ns // 10**9,
                                                            ns % 10**9 // 1000)):  # fmt: skip
            return -EFAULT
        if tz and not write_guest(self.proc.emu, tz, bytes(8)):
            return -EFAULT
        return 0

    def sys_nanosleep(self, req: int, rem: int, *_: int) -> int:
        return self.sys_clock_nanosleep(1, 0, req, rem)

    def sys_clock_nanosleep(self, clock: int, flags: int, req: int, rem: int, *_: int) -> int:
        t = read_timespec(self.proc.emu, req)
        if isinstance(t, int):
            return t
        key = (threading.get_ident(), clock, req, t)
        resumed = self._restarts.pop(key, None)
        if flags & 1:  # TIMER_ABSTIME (made again after a stop, it ends at the same time)
            t -= time.time() if clock == 0 else time.monotonic()
        elif resumed is not None:  # made again after a stop: what was left of it
            t = resumed - time.monotonic()
        if t <= 0:
            return 0
        end = time.monotonic() + t
        signals = self.proc.signals
        try:
            if not signals.wait_for(signals.interrupting, t):
                return 0
        except Interrupted:
            pass
        except Suspended:
            if not flags & 1:
                self._restarts[key] = end
            raise
        if rem and not flags & 1:  # what is left of a relative sleep a signal ended
            left = max(0, int((end - time.monotonic()) * 1e9))
            write_guest(self.proc.emu, rem, struct.pack("<qq", left // 10**9, left % 10**9))
        return -EINTR

    # -- interval timers ---------------------------------------------------------------

    def sys_setitimer(self, which: int, new: int, old: int, *_: int) -> int:
        if which not in (0, 1, 2):
            return -EINVAL
        if old and self.sys_getitimer(which, old) < 0:
            return -EFAULT
        raw = read_guest(self.proc.emu, new, 32) if new else bytes(32)
        if raw is None:
            return -EFAULT
        isec, iusec, vsec, vusec = struct.unpack("<qqqq", raw)
        if min(isec, iusec, vsec, vusec) < 0 or max(iusec, vusec) >= 10**6:
            return -EINVAL
        with self._lock:
            timer = self._itimers.get(which)
            if timer is None:
                signo = (SIGALRM, SIGVTALRM, SIGPROF)[which]
                timer = self._itimers[which] = _Timer(which, signo, 0, 1)
            self._arm(timer, vsec + vusec / 1e6, isec + iusec / 1e6)
        return 0

    def sys_getitimer(self, which: int, old: int, *_: int) -> int:
        if which not in (0, 1, 2):
            return -EINVAL
        with self._lock:
            timer = self._itimers.get(which)
            left, interval = self._left(timer) if timer is not None else (0.0, 0.0)
        data = struct.pack("<qqqq", *_split(interval, 10**6), *_split(left, 10**6))
        return 0 if write_guest(self.proc.emu, old, data) else -EFAULT

    # -- POSIX timers ------------------------------------------------------------------

    def sys_timer_create(self, clock: int, sevp: int, idp: int, *_: int) -> int:
        if clock not in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11):
            return -EINVAL
        ident = next((i for i in range(MAX_TIMERS) if i not in self._posix), None)
        if ident is None:
            return -EAGAIN
        signo, value = SIGALRM, ident
        if sevp:
            raw = read_guest(self.proc.emu, sevp, 20)
            if raw is None:
                return -EFAULT
            value, signo, notify, _tid = struct.unpack("<Qiii", raw)
            if notify & ~SIGEV_THREAD_ID not in (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD):
                return -EINVAL
            if notify == SIGEV_NONE:
                signo = 0
            elif not 1 <= signo <= 64:
                return -EINVAL
        if not write_guest(self.proc.emu, idp, struct.pack("<i", ident)):
            return -EFAULT
        with self._lock:
            self._posix[ident] = _Timer(ident, signo, value, clock)
        return 0

    def sys_timer_settime(self, ident: int, flags: int, new: int, old: int, *_: int) -> int:
        timer = self._posix.get(ident & 0xFFFFFFFF)
        if timer is None:
            return -EINVAL
        raw = read_guest(self.proc.emu, new, 32)
        if raw is None:
            return -EFAULT
        isec, insec, vsec, vnsec = struct.unpack("<qqqq", raw)
        if min(isec, insec, vsec, vnsec) < 0 or max(insec, vnsec) >= 10**9:
            return -EINVAL
        if old and self.sys_timer_gettime(ident, old) < 0:
            return -EFAULT
        value = vsec + vnsec / 1e9
        if flags & TIMER_ABSTIME and value:
            now = time.time() if timer.clock in (0, 8, 11) else time.monotonic()
            value = max(value - now, 1e-9)
        with self._lock:
            self._arm(timer, value, isec + insec / 1e9)
        return 0

    def sys_timer_gettime(self, ident: int, cur: int, *_: int) -> int:
        timer = self._posix.get(ident & 0xFFFFFFFF)
        if timer is None:
            return -EINVAL
        with self._lock:
            left, interval = self._left(timer)
        data = struct.pack("<qqqq", *_split(interval, 10**9), *_split(left, 10**9))
        return 0 if write_guest(self.proc.emu, cur, data) else -EFAULT

    def sys_timer_getoverrun(self, ident: int, *_: int) -> int:
        timer = self._posix.get(ident & 0xFFFFFFFF)
        return -EINVAL if timer is None else timer.overrun

    def sys_timer_delete(self, ident: int, *_: int) -> int:
        with self._lock:
            timer = self._posix.pop(ident & 0xFFFFFFFF, None)
            if timer is None:
                return -EINVAL
            self._arm(timer, 0.0, 0.0)
        return 0

    def close(self) -> None:
        """Cancel every timer (the process has ended)."""
        with self._lock:
            for timer in [*self._itimers.values(), *self._posix.values()]:
                self._arm(timer, 0.0, 0.0)

    # -- arming and firing ---------------------------------------------------------------

    def _arm(self, timer: _Timer, value: float, interval: float) -> None:
        """(Under ``_lock``.) Fire ``value`` seconds from now (0: disarm), then every
        ``interval`` seconds."""
        timer.generation += 1
        if timer.thread is not None:
            timer.thread.cancel()
            timer.thread = None
        timer.interval = interval
        timer.deadline = None
        if value > 0:
            timer.deadline = time.monotonic() + value
            self._schedule(timer)

    def _schedule(self, timer: _Timer) -> None:
        assert timer.deadline is not None
        delay = max(0.0, timer.deadline - time.monotonic())
        thread = threading.Timer(delay, self._fire, (timer, timer.generation))
        thread.daemon = True
        timer.thread = thread
        thread.start()

    def _fire(self, timer: _Timer, generation: int) -> None:
        with self._lock:
            if generation != timer.generation or timer.deadline is None:
                return  # re-armed or deleted meanwhile
            now = time.monotonic()
            overrun = 0
            if timer.interval > 0:
                late = now - timer.deadline
                overrun = int(late // timer.interval) if late > 0 else 0
                timer.deadline += timer.interval * (overrun + 1)
                self._schedule(timer)
            else:
                timer.deadline = None
                timer.thread = None
            timer.overrun = overrun
        if timer.signo and self.proc.exit_code is None:
            info = struct.pack("<iiiiiiQ", timer.signo, 0, SI_TIMER, 0, timer.id, overrun,
                               timer.value)  # fmt: skip
            self.proc.signals.post(timer.signo, info)

    def _left(self, timer: _Timer) -> tuple[float, float]:
        if timer.deadline is None:
            return 0.0, timer.interval
        return max(timer.deadline - time.monotonic(), 1e-9), timer.interval


def _split(seconds: float, per: int) -> tuple[int, int]:
    """Whole seconds and the rest in 1/``per`` of a second."""
    units = round(seconds * per)
    return units // per, units % per


def _clock_ns(clock: int) -> int | None:
    """Now on the guest's clock ``clock`` (None: no such clock)."""
    if clock in (0, 8, 11):  # REALTIME, REALTIME_ALARM, TAI
        return time.time_ns()
    if clock in (1, 4, 7, 9):  # MONOTONIC, MONOTONIC_RAW, BOOTTIME, BOOTTIME_ALARM
        return time.monotonic_ns()
    if clock in (2, 3):  # PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID
        return time.process_time_ns()
    if clock in (5, 6):  # REALTIME_COARSE, MONOTONIC_COARSE
        return time.time_ns() if clock == 5 else time.monotonic_ns()
    return None
