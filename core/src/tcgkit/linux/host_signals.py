"""The host's signals, passed on to the guest: what ``tcgkit run`` does so that a
guest's SIGINT handler runs on Ctrl-C, ``kill -TERM`` reaches the guest's
handler, a shell's traps fire and its SIGCHLD handler sees its children end.

Owns ``HostSignals``. Installed only when the guest process owns the host
process (``tcgkit run``, ``run_program(host_signals=True)``): it changes
process-wide state (signal dispositions, the wakeup descriptor), which an
embedding program keeps for itself. How a signal travels:

1. the host's C-level handler (Python's) writes a byte to the wakeup pipe and
   marks the signal for Python; a blocking system call of the main thread
   returns EINTR;
2. Python runs ``_on_host_signal`` in the main thread at the next point it
   executes Python code: it posts the signal to the guest (``Signals.post``);
   a blocking read or wait4 made through libc (``hostcalls``) has returned
   EINTR and sees the signal pending: the guest's call returns EINTR, or
   restarts (SA_RESTART); when the signal kills the process, any blocking call
   of the main thread is ended at once (``Interrupted``);
3. the watcher thread, woken by the pipe, queues a no-op on the main thread's
   vCPU (``VCPU.queue_work``): generated code returns to the loop at the next
   TB boundary, where Python code runs (step 2) and the delivery ``post``
   queued follows.

A signal posted for a guest thread that blocks in a system call (the host's, a
timer's, another guest thread's kill) is followed by ``WAKE`` (SIGRTMAX) sent to the
host thread that runs it (``LinuxProcess.wake``): its arrival ends a ``hostcalls``
call or a socket call, which returns EINTR or is made again as the kernel's would.

Invariants: only the main thread installs and removes it (Python's rule); the
synchronous signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS) stay the
host's: a guest's faults are the emulator's exceptions (``LinuxProcess``), and a
fault of the host process itself must not be swallowed; SIGKILL and SIGSTOP
cannot be caught; glibc's internal signals (32, 33) are left alone; a signal
ignored when the process started (``nohup``, a shell's background job) stays
ignored for the guest, as the kernel keeps ignored signals across execve.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
from typing import TYPE_CHECKING, Any

from .signals import SIG_IGN, Interrupted

if TYPE_CHECKING:
    from .process import LinuxProcess

#: the host signal that wakes a guest thread's host thread from a blocking system call
#: (a signal for it was posted, or its vCPU was asked to stop)
WAKE = signal.SIGRTMAX
#: signals passed on: every one but the synchronous ones, SIGKILL, SIGSTOP, 32, 33, WAKE
FORWARDED = tuple(s for s in range(1, signal.NSIG)
                  if s not in (4, 5, 7, 8, 9, 11, 19, 31, 32, 33, WAKE))  # fmt: skip
#: signals Python itself ignores at start-up: their inherited disposition is unknown
PYTHON_IGNORES = (signal.SIGPIPE, signal.SIGXFSZ)


class HostSignals:
    """The host's signals passed on to one guest process (see the module docstring)."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        self._previous: dict[int, Any] = {}
        self._wakeup: tuple[int, int] | None = None
        self._old_wakeup = -1
        self._watcher: threading.Thread | None = None
        self._stopping = False

    def install(self) -> None:
        """Catch the forwarded signals; those the host ignores start ignored in the guest."""
        actions = self.proc.signals.actions
        for sig in FORWARDED:
            try:
                old = signal.getsignal(sig)
                if old == signal.SIG_IGN and sig not in PYTHON_IGNORES:
                    actions[sig] = (SIG_IGN, 0, 0, 0)
                    continue
                self._previous[sig] = signal.signal(sig, self._on_host_signal)
            except (OSError, ValueError):  # not a signal this host lets Python catch
                continue
        self._previous[WAKE] = signal.signal(WAKE, self._on_wake)
        self.proc.wake_signal = WAKE
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        for sig in blocked:  # the guest's mask starts as the host's; the host's is cleared
            if sig in FORWARDED:
                self.proc.signals.blocked |= 1 << (sig - 1)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [s for s in blocked if s in FORWARDED])
        r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._wakeup = (r, w)
        self._old_wakeup = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        self._start_watcher()

    def _start_watcher(self) -> None:
        self._stopping = False
        self._watcher = threading.Thread(target=self._watch, name="tcgkit-signals",
                                         daemon=True)  # fmt: skip
        self._watcher.start()

    def after_fork(self) -> None:
        """In a forked child: the watcher thread did not come along; start another."""
        if self._wakeup is not None:
            self._start_watcher()

    def uninstall(self) -> None:
        """Give the host its own dispositions back (the main thread, at the end)."""
        if self._wakeup is None:
            return
        self.proc.wake_signal = None
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(self._old_wakeup)
        for sig, old in self._previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(sig, old if old is not None else signal.SIG_DFL)
        self._previous.clear()
        self._stopping = True
        r, w = self._wakeup
        self._wakeup = None
        with contextlib.suppress(OSError):
            os.write(w, b"\0")  # wake the watcher: it sees _stopping and ends
        if self._watcher is not None:
            self._watcher.join(5)
            self._watcher = None
        for fd in (r, w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def prepare_exec(self) -> None:
        """Before an execve: the guest's ignored signals ignored by the new process, the
        others at their default (a handler cannot survive an execve), its mask the
        guest's (any thread may call this; dispositions change only from the main one)."""
        signals = self.proc.signals
        if threading.current_thread() is threading.main_thread():
            for sig in FORWARDED:
                handler = signals.actions.get(sig, (0, 0, 0, 0))[0]
                with contextlib.suppress(OSError, ValueError):
                    signal.signal(sig, signal.SIG_IGN if handler == SIG_IGN else signal.SIG_DFL)
        mask = [s for s in FORWARDED if signals.blocked & (1 << (s - 1))]
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def exec_failed(self) -> None:
        """The execve ``prepare_exec`` prepared for failed: catch the signals again."""
        if threading.current_thread() is threading.main_thread():
            for sig in self._previous:
                with contextlib.suppress(OSError, ValueError):
                    signal.signal(sig, self._on_host_signal)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])

    # -- arrival ------------------------------------------------------------------------

    def _on_host_signal(self, sig: int, _frame: object) -> None:
        proc = self.proc
        if proc.exit_code is not None:
            return
        proc.signals.post(sig)
        if proc.in_blocking_call and proc.signals.kills(sig):
            # the process dies of it: whatever the blocking call was doing is moot (one
            # that a handled signal must end with EINTR is made through ``hostcalls``)
            proc.in_blocking_call = False
            raise Interrupted(sig)

    def _on_wake(self, _sig: int, _frame: object) -> None:
        """Nothing: its arrival made a thread's blocking call return EINTR."""

    def _watch(self) -> None:
        wakeup = self._wakeup
        if wakeup is None:
            return
        r = wakeup[0]
        while not self._stopping:
            with contextlib.suppress(InterruptedError):
                select.select([r], [], [])
            if self._stopping:
                return
            with contextlib.suppress(BlockingIOError, OSError):
                os.read(r, 512)
            vcpu = self.proc.emu.cpus[0] if not self.proc.emu.closed else None
            if vcpu is not None:
                vcpu.queue_work(_python_runs_here)


def _python_runs_here(_vcpu: object) -> None:
    """Queued on the main thread's vCPU: being interpreted Python, it lets Python run the
    signal handlers waiting for the main thread (before this body runs)."""
