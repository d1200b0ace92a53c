"""The signals of a Linux process: dispositions, masks, and delivery to guest handlers.

Owns ``Signals``: rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigsuspend,
rt_sigtimedwait, sigaltstack, rt_sigreturn, the signals a process sends itself
(kill, tgkill, tkill, rt_sigqueueinfo) or others (kill: the host's), signals that
arrive from elsewhere (``post``: the host's, forwarded by ``host_signals``; timers'; any thread may
post), guest faults (``fault``: SIGSEGV, SIGBUS, SIGILL, SIGTRAP with the
fault's address), and ``deliver``, which runs at the end of every system call
and, for a posted signal, at the next TB boundary of a vCPU (``VCPU.queue_work``):
a pending signal that is not blocked is taken by its disposition (ignored, the
default action, or the guest handler: the target's signal frame
(``LinuxABI.signal_frames``) is pushed on the guest stack, or on the alternate
stack with SA_ONSTACK, and the handler returns through SA_RESTORER's code or the
sigreturn trampoline this module maps).

Invariants: SIGKILL and SIGSTOP cannot be caught, ignored or blocked; while a
handler runs, its signal (unless SA_NODEFER) and its sa_mask are blocked, and
rt_sigreturn restores the mask the frame saved (the one before rt_sigsuspend's
temporary mask); SA_RESETHAND resets the disposition to the default before the
handler runs; a system call a signal interrupts returns EINTR, or is restarted
(SA_RESTART, for the calls the kernel restarts) by pointing the pc back at the
system call instruction with its first argument restored; a default action
that ends the process records the signal (``LinuxProcess.term_signal``), one
that stops it stops the host process; a fault whose signal is blocked or
ignored kills the process, as the kernel's forced signals do; the state is
changed under the process lock (``LinuxProcess._lock``); each thread has its own
mask (``threads.Thread.blocked``, inherited by a new thread) and a signal sent to
the process is taken by a thread that does not block it, the main thread first
(``kill`` from a thread that blocks it too): that thread is woken from the system
call it blocks in (``LinuxProcess.wake``), which returns EINTR or is made again
(SA_RESTART; no handler: the kernel's -ERESTART* codes, ``NEVER_RESTARTED`` aside);
pending signals are the process's.
"""

from __future__ import annotations

import os
import struct
import threading
import time
from typing import TYPE_CHECKING, Any

from ..memory import PROT_EXEC, PROT_READ
from .mm import read_guest, read_timespec, write_guest

if TYPE_CHECKING:
    from .process import LinuxProcess

SIG_DFL, SIG_IGN = 0, 1
SIGKILL, SIGSTOP = 9, 19
SA_SIGINFO, SA_ONSTACK, SA_RESTORER, SA_NODEFER, SA_RESETHAND = (
    0x4, 0x08000000, 0x04000000, 0x40000000, 0x80000000)  # fmt: skip
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SS_ONSTACK, SS_DISABLE = 1, 2
SI_TKILL, SI_USER, SI_QUEUE, SI_KERNEL = -6, 0, -1, 0x80
SA_RESTART = 0x10000000
SIGILL, SIGTRAP, SIGBUS, SIGSEGV = 4, 5, 7, 11
#: signals whose default action is to ignore them (SIGCHLD, SIGURG, SIGWINCH, SIGCONT)
IGNORED_BY_DEFAULT = frozenset((17, 23, 28, 18))
#: signals whose default action stops the process (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU)
STOP_BY_DEFAULT = frozenset((19, 20, 21, 22))
#: system calls the kernel restarts after a SA_RESTART handler (the others: EINTR)
RESTARTABLE = frozenset(("read", "readv", "pread64", "preadv", "write", "writev", "wait4",
                         "waitid", "futex", "accept", "accept4", "connect", "recvfrom",
                         "recvmsg", "sendto", "sendmsg", "ioctl", "fcntl", "openat", "flock",
                         "sendfile", "copy_file_range"))  # fmt: skip
#: system calls a signal ends with EINTR whatever becomes of it (the kernel's -EINTR):
#: the others are made again when no handler runs (-ERESTART*: the signal was ignored,
#: stopped the process, or a debugger suppressed it)
NEVER_RESTARTED = frozenset(("epoll_pwait", "epoll_pwait2", "rt_sigtimedwait"))
EINVAL, EFAULT, ENOSYS, EPERM, EINTR, EAGAIN = 22, 14, 38, 1, 4, 11
MASK64 = (1 << 64) - 1


class Interrupted(BaseException):
    """Raised in a blocking system call of the guest's main thread when a signal that
    must interrupt it arrives (``host_signals``): the call returns EINTR (or is
    restarted). A BaseException, so that no ``except Exception`` swallows it."""


class Suspended(BaseException):
    """Raised in a blocking system call when its vCPU was stopped and the process's
    calls are restarted after a stop (``Threads.restart_on_stop``: a debugger stopped
    the guest): the call is made again, from its start, when the vCPU runs on."""


def siginfo(sig: int, code: int, pid: int = 0, uid: int = 0) -> bytes:
    """A siginfo of the kill family: signo, errno, code, then the sender's pid and uid."""
    return struct.pack("<iiiiII", sig, 0, code, 0, pid & 0xFFFFFFFF, uid & 0xFFFFFFFF)


def fault_siginfo(sig: int, code: int, addr: int) -> bytes:
    """A siginfo of a fault: signo, errno, code, then the address (si_addr)."""
    return struct.pack("<iiiiQ", sig, 0, code, 0, addr & 0xFFFFFFFFFFFFFFFF)


UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))


class Signals:
    """The signal state of one process (see the module docstring)."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        self.actions: dict[
            int, tuple[int, int, int, int]
        ] = {}  # sig -> handler, flags, restorer, mask
        self.pending: dict[int, bytes] = {}  # sig -> its siginfo
        #: sig -> the tid of the thread a pending signal was sent to (tgkill, tkill):
        #: only that thread takes it; the others are the process's
        self.targets: dict[int, int] = {}
        self.altstack = (0, SS_DISABLE, 0)  # ss_sp, ss_flags, ss_size
        self._trampoline = 0
        #: notified whenever a signal is posted (waits that a signal ends: sigsuspend,
        #: sigtimedwait, sleeps)
        self.arrived = threading.Condition(threading.RLock())
        #: a debugger's view of the signals (the gdb stub), or None: its ``take(sig,
        #: info, interrupted)`` and ``take_fault(sig, code, addr, pc)`` see each signal
        #: before it is taken; True: the debugger holds it (the guest stops; it decides
        #: whether the signal is delivered), and ``holding`` says so until it resumes
        self.debugger: Any = None

    @property
    def blocked(self) -> int:
        """The calling thread's signal mask (the main thread's outside guest threads)."""
        return self.proc.threads.here().blocked

    @blocked.setter
    def blocked(self, mask: int) -> None:
        self.proc.threads.here().blocked = mask & ~UNBLOCKABLE

    @property
    def suspended_mask(self) -> int | None:
        """The calling thread's mask before rt_sigsuspend's temporary one (None: none)."""
        return self.proc.threads.here().suspended_mask

    @suspended_mask.setter
    def suspended_mask(self, mask: int | None) -> None:
        self.proc.threads.here().suspended_mask = mask

    # -- system calls ---------------------------------------------------------------------

    def sys_rt_sigaction(self, sig: int, act: int, old: int, size: int, *_: int) -> int:
        emu = self.proc.emu
        if not 1 <= sig <= 64 or (sig in (SIGKILL, SIGSTOP) and act):
            return -EINVAL
        if old:
            h, f, r, m = self.actions.get(sig, (SIG_DFL, 0, 0, 0))
            if not write_guest(emu, old, struct.pack("<QQQQ", h, f, r, m)):
                return -EFAULT
        if act:
            raw = read_guest(emu, act, 32)
            if raw is None:
                return -EFAULT
            h, f, r, m = struct.unpack("<QQQQ", raw)
            self.actions[sig] = (h, f, r, m & ~UNBLOCKABLE)
            if h == SIG_IGN or (h == SIG_DFL and sig in IGNORED_BY_DEFAULT):
                self.pending.pop(sig, None)
                self.targets.pop(sig, None)
        return 0

    def sys_rt_sigprocmask(self, how: int, new: int, old: int, size: int, *_: int) -> int:
        emu = self.proc.emu
        if old and not write_guest(emu, old, struct.pack("<Q", self.blocked)):
            return -EFAULT
        if new:
            raw = read_guest(emu, new, 8)
            if raw is None:
                return -EFAULT
            value = struct.unpack("<Q", raw)[0]
            if how == SIG_BLOCK:
                self.blocked |= value
            elif how == SIG_UNBLOCK:
                self.blocked &= ~value
            elif how == SIG_SETMASK:
                self.blocked = value
            else:
                return -EINVAL
            self.blocked &= ~UNBLOCKABLE
        return 0

    def sys_rt_sigpending(self, ptr: int, size: int, *_: int) -> int:
        bits = 0
        for sig in self.pending:
            bits |= 1 << (sig - 1)
        ok = write_guest(self.proc.emu, ptr, struct.pack("<Q", bits & self.blocked))
        return 0 if ok else -EFAULT

    def sys_sigaltstack(self, new: int, old: int, *_: int) -> int:
        emu = self.proc.emu
        if old:
            sp, flags, size = self.altstack
            if self._on_altstack():
                flags |= SS_ONSTACK
            if not write_guest(emu, old, struct.pack("<QiiQ", sp, flags, 0, size)):
                return -EFAULT
        if new:
            raw = read_guest(emu, new, 24)
            if raw is None:
                return -EFAULT
            sp, flags, _pad, size = struct.unpack("<QiiQ", raw)
            if self._on_altstack():
                return -EPERM
            if flags & ~SS_DISABLE:
                return -EINVAL
            self.altstack = (sp, flags, size) if not flags & SS_DISABLE else (0, SS_DISABLE, 0)
        return 0

    def sys_rt_sigreturn(self, *_: int) -> int:
        frames = self.proc.abi.signal_frames
        self.blocked = frames.pop(self.proc.emu) & ~UNBLOCKABLE
        return self.proc.emu.reg_read(self.proc.abi.ret_reg)  # the restored result register

    def sys_kill(self, pid: int, sig: int, *_: int) -> int:
        """To itself: pending at once; to other processes (guest processes are host
        processes): the host's kill. A process group or every process (0, -1, -pgid)
        includes this one only through the host's signals (``host_signals``); without
        them the embedding process is spared and only this process gets it."""
        pid, sig = _s32(pid), sig & 0xFFFFFFFF
        if pid == self.proc.pid or (pid in (0, -1) and self.proc.host_signals is None):
            r = self.raise_self(sig, SI_USER)
            if r == 0 and sig and self.blocked & (1 << (sig - 1)):
                self._route(sig)  # not for the caller: for a thread that takes it
            return r
        if not 0 <= sig <= 64:
            return -EINVAL
        try:
            os.kill(pid, sig)
        except OSError as e:
            return -(e.errno or 3)
        return 0

    def sys_tgkill(self, tgid: int, tid: int, sig: int, *_: int) -> int:
        if _s32(tgid) != self.proc.pid:
            return -3
        return self.sys_tkill(tid, sig)

    def sys_tkill(self, tid: int, sig: int, *_: int) -> int:
        """A signal for one thread of this process: pending for it alone."""
        sig &= 0xFFFFFFFF
        target = self.proc.threads.by_tid(_s32(tid))
        if target is None:
            return -3  # ESRCH
        r = self.raise_self(sig, SI_TKILL)
        if r == 0 and sig:
            self.targets[sig] = target.tid
            if target is not self.proc.threads.here():
                self._route(sig)
        return r

    def sys_rt_sigsuspend(self, new: int, size: int, *_: int) -> int:
        """Wait with the mask at ``new`` until a signal is taken; always EINTR."""
        raw = read_guest(self.proc.emu, new, 8)
        if raw is None:
            return -EFAULT
        with self.proc._lock:
            self.suspended_mask = self.blocked
            self.blocked = struct.unpack("<Q", raw)[0] & ~UNBLOCKABLE
        try:
            self.wait_for(self.interrupting)
        except Suspended:  # made again later: with the caller's mask, as it began
            with self.proc._lock:
                self.blocked = self.suspended_mask or 0
                self.suspended_mask = None
            raise
        return -EINTR  # delivered after the call: the frame saves the caller's mask

    def sys_rt_sigtimedwait(self, setp: int, info: int, tmo: int, size: int, *_: int) -> int:
        """Take a pending signal of the set (sigwait, sigwaitinfo, sigtimedwait)."""
        emu = self.proc.emu
        raw = read_guest(emu, setp, 8)
        if raw is None:
            return -EFAULT
        wanted = struct.unpack("<Q", raw)[0] & ~UNBLOCKABLE
        timeout = read_timespec(emu, tmo) if tmo else None
        if isinstance(timeout, int):
            return timeout

        def ready() -> int | None:
            return next((s for s in sorted(self.pending)
                         if wanted & (1 << (s - 1)) and self._for_me(s)), None)  # fmt: skip

        if not self.wait_for(lambda: ready() is not None, timeout):
            return -EAGAIN
        with self.proc._lock:
            sig = ready()
            if sig is None:  # another thread took it
                return -EAGAIN
            data = self.pending.pop(sig)
            self.targets.pop(sig, None)
        if info and not write_guest(emu, info, data.ljust(128, b"\0")):
            return -EFAULT
        return sig

    def sys_rt_sigqueueinfo(self, pid: int, sig: int, info: int, *_: int) -> int:
        if _s32(pid) != self.proc.pid:
            return -3
        raw = read_guest(self.proc.emu, info, 128)
        if raw is None:
            return -EFAULT
        if not 1 <= sig <= 64:
            return -EINVAL
        self.pending[sig] = struct.pack("<i", sig) + raw[4:]
        return 0

    # -- raising and delivering -------------------------------------------------------------

    def raise_self(self, sig: int, code: int) -> int:
        """A signal the process sends itself in a system call: taken at its end."""
        if sig == 0:
            return 0
        if not 1 <= sig <= 64:
            return -EINVAL
        self.pending[sig] = siginfo(sig, code, self.proc.pid, os.getuid())
        return 0

    def post(self, sig: int, info: bytes | None = None) -> None:
        """A signal from outside the guest's own system calls (the host, a timer, another
        thread): pending now, taken at the next TB boundary of a running guest thread
        (or at the end of the system call one is in). Any thread may call it."""
        proc = self.proc
        with proc._lock:
            if not self.interrupts(sig) and not self.blocked & (1 << (sig - 1)):
                return  # ignored: discarded at once, as the kernel does
            self.pending.setdefault(sig, info or siginfo(sig, SI_USER))
        self._route(sig)

    def _route(self, sig: int) -> None:
        """A signal now pending for the process: the waits it may end are told, the
        thread that takes it (``Threads.signal_vcpu``) leaves the system call it blocks
        in, and takes it at its next TB boundary."""
        proc = self.proc
        with self.arrived:
            self.arrived.notify_all()
        vcpu = self._taker(sig)
        if vcpu is None:
            return
        thread = proc.threads.by_vcpu().get(vcpu.index)
        if thread is not None:
            proc.wake(thread)
        vcpu.queue_work(lambda _cpu: self.deliver_posted())

    def deliver_posted(self) -> None:
        """On a vCPU's thread at a TB boundary: take what ``post`` left pending."""
        self.run_posted(self.deliver)

    def run_posted(self, deliver: Any) -> None:
        """On a vCPU's thread at a TB boundary: ``deliver()`` (a form of ``deliver``), if
        something is pending and the process still runs."""
        with self.proc._lock:
            if self.pending and self.proc.exit_code is None:
                deliver()

    def wait_for(self, done: Any, timeout: float | None = None) -> bool:
        """Block until ``done()`` (checked whenever a signal is posted, and every 50 ms
        for a stop); False if ``timeout`` seconds passed first or the process ended."""
        end = None if timeout is None else time.monotonic() + timeout
        with self.arrived:
            while not done():
                if self.proc.exit_code is not None:
                    return False
                if self.proc.threads.current_stopped():
                    if self.proc.threads.restart_on_stop:
                        raise Suspended
                    return False
                left = 0.05 if end is None else min(0.05, end - time.monotonic())
                if left <= 0:
                    return False
                self.arrived.wait(left)
        return True

    @property
    def held_by_debugger(self) -> bool:
        """Whether a debugger holds a signal: the guest stays stopped until it resumes."""
        return self.debugger is not None and self.debugger.holding

    def interrupting(self) -> bool:
        """Whether a pending signal must end a blocking system call now."""
        return any(self.interrupts(s) for s in list(self.pending))

    def interrupting_here(self) -> bool:
        """Whether a pending signal must end the calling thread's blocking system call:
        one it takes (not blocked by it, not ignored), that is, one the process's
        signals go to this thread for (``Threads.signal_vcpu``), as the kernel picks
        one thread to wake for a signal sent to the process."""
        me = self.proc.threads.here().vcpu
        return any(self.interrupts(s) and self._taker(s) is me for s in list(self.pending))

    def _taker(self, sig: int) -> Any:
        """The vCPU that takes pending ``sig``: its target thread's (tgkill, tkill), else
        the process's choice (``Threads.signal_vcpu``)."""
        threads = self.proc.threads
        tid = self.targets.get(sig)
        if tid is not None:
            target = threads.by_tid(tid)
            if target is not None:
                return target.vcpu
            self.targets.pop(sig, None)  # its thread is gone: the process's now
        return threads.signal_vcpu(sig)

    def _for_me(self, sig: int) -> bool:
        """Whether the calling thread may take pending ``sig`` (one sent to another
        thread is left for it)."""
        tid = self.targets.get(sig)
        return tid is None or tid == self.proc.threads.here().tid or \
            self.proc.threads.by_tid(tid) is None  # fmt: skip

    def kills(self, sig: int) -> bool:
        """Whether ``sig`` arriving now ends the process (its default action)."""
        if self.blocked & (1 << (sig - 1)) and sig not in (SIGKILL, SIGSTOP):
            return False
        handler = self.actions.get(sig, (SIG_DFL, 0, 0, 0))[0]
        return handler == SIG_DFL and sig not in IGNORED_BY_DEFAULT | STOP_BY_DEFAULT

    def deliverable(self) -> int | None:
        """The pending signal ``deliver`` would take first (None: none)."""
        return next((s for s in sorted(self.pending) if (not self.blocked & (1 << (s - 1))
                     or s in (SIGKILL, SIGSTOP)) and self._for_me(s)), None)  # fmt: skip

    def interrupts(self, sig: int) -> bool:
        """Whether ``sig`` arriving now ends a blocking system call (it is not blocked
        and not ignored: a handler runs, or the process ends or stops)."""
        if self.blocked & (1 << (sig - 1)) and sig not in (SIGKILL, SIGSTOP):
            return False
        handler = self.actions.get(sig, (SIG_DFL, 0, 0, 0))[0]
        return not (handler == SIG_IGN or (handler == SIG_DFL and sig in IGNORED_BY_DEFAULT))

    def deliver(self, interrupted: tuple[str, int] | None = None) -> None:
        """Take every pending signal that is not blocked (after a system call, or at a TB
        boundary). ``interrupted``: the system call a signal ended (its name and first
        argument), restarted if the handler has SA_RESTART and the call allows it."""
        saved = self.suspended_mask
        self.suspended_mask = None
        try:
            while self.pending and self.proc.exit_code is None:
                sig = self.deliverable()
                if sig is None:
                    break
                info = self.pending.pop(sig)
                self.targets.pop(sig, None)
                if self.debugger is not None and self.debugger.take(sig, info, interrupted):
                    return  # it set the call up to be made again, if it is
                handler, flags, restorer, mask = self.actions.get(sig, (SIG_DFL, 0, 0, 0))
                if sig in (SIGKILL, SIGSTOP):
                    handler = SIG_DFL
                if handler == SIG_IGN or (handler == SIG_DFL and sig in IGNORED_BY_DEFAULT):
                    continue
                if handler == SIG_DFL and sig in STOP_BY_DEFAULT:
                    os.kill(os.getpid(), SIGSTOP)  # the host process stops, as the guest's
                    continue
                if handler == SIG_DFL:
                    self.proc.terminate_by(sig)
                    return
                if interrupted is not None and flags & SA_RESTART and \
                        interrupted[0] in RESTARTABLE:  # fmt: skip
                    self._restart(interrupted[1])
                interrupted = None
                self._run_handler(sig, info, handler, flags, restorer, mask,
                                  self.blocked if saved is None else saved)  # fmt: skip
                saved = None
                return  # the handler runs now; what else is pending waits for the next call
            if interrupted is not None and self.proc.exit_code is None and \
                    self.restarts_without_handler(interrupted[0]):  # fmt: skip
                self._restart(interrupted[1])  # no handler ran: made again, as the kernel
        finally:
            if saved is not None:  # no handler ran: rt_sigsuspend's caller's mask is back
                self.blocked = saved

    def restarts(self, sig: int, name: str) -> bool:
        """Whether system call ``name``, ended by ``sig``, is made again once ``sig`` is
        taken as its disposition is now: its handler has SA_RESTART and the call is one
        it restarts, or no handler runs and the call is one the kernel then restarts."""
        handler, flags, _r, _m = self.actions.get(sig, (SIG_DFL, 0, 0, 0))
        if handler in (SIG_DFL, SIG_IGN) or sig in (SIGKILL, SIGSTOP):
            return self.restarts_without_handler(name)
        return bool(flags & SA_RESTART) and name in RESTARTABLE

    @staticmethod
    def restarts_without_handler(name: str) -> bool:
        """Whether system call ``name``, ended by a signal for which no handler runs, is
        made again (the kernel's -ERESTART* codes) rather than failing with EINTR."""
        return name not in NEVER_RESTARTED

    def _restart(self, arg0: int) -> None:
        """Point the guest back at the system call instruction, its argument restored."""
        emu, abi = self.proc.emu, self.proc.abi
        emu.reg_write(abi.arg_regs[0], arg0)
        emu.reg_write("pc", emu.reg_read("pc") - abi.syscall_size)

    def rewind(self, interrupted: tuple[str, int]) -> None:
        """The calling thread's system call a signal ended (its name, first argument)
        set up to be made again, as Linux does before a debugger sees the signal: the
        thread stops at the system call instruction (``deliver_rewound`` goes on)."""
        self._restart(interrupted[1])

    def deliver_rewound(self, interrupted: tuple[str, int]) -> None:
        """``deliver`` for a thread that ``rewind`` left at the system call instruction of
        the call a signal ended: it fails with EINTR when a handler without SA_RESTART
        runs, and is made again otherwise (SA_RESTART, no handler)."""
        emu, abi = self.proc.emu, self.proc.abi
        emu.reg_write("pc", emu.reg_read("pc") + abi.syscall_size)
        emu.reg_write(abi.ret_reg, -EINTR & MASK64)
        self.deliver(interrupted)

    def fault(self, sig: int, code: int, addr: int, pc: int) -> None:
        """A guest fault at ``pc`` (registers as before the faulting instruction): its
        handler runs next, or, if the signal is blocked, ignored or has no handler,
        the process dies of it (the kernel forces fault signals)."""
        proc = self.proc
        proc.emu.reg_write("pc", pc)
        if self.debugger is not None and self.debugger.take_fault(sig, code, addr, pc):
            return
        with proc._lock:
            handler, flags, restorer, mask = self.actions.get(sig, (SIG_DFL, 0, 0, 0))
            if handler in (SIG_DFL, SIG_IGN) or self.blocked & (1 << (sig - 1)):
                proc.terminate_by(sig)
                return
            memory = sig in (SIGSEGV, SIGBUS)  # the sigcontext's fault_address: theirs only
            self._run_handler(sig, fault_siginfo(sig, code, addr), handler, flags, restorer,
                              mask, self.blocked, addr if memory else 0)  # fmt: skip

    def _run_handler(self, sig: int, info: bytes, handler: int, flags: int, restorer: int,
                     mask: int, saved: int, fault_address: int = 0) -> None:  # fmt: skip
        proc = self.proc
        emu, abi = proc.emu, proc.abi
        frames: Any = abi.signal_frames
        sp = emu.reg_read(abi.sp_reg)
        ss_sp, ss_flags, ss_size = self.altstack
        if flags & SA_ONSTACK and not ss_flags & SS_DISABLE and not self._on_altstack():
            sp = ss_sp + ss_size
        if not flags & SA_RESTORER or not restorer:
            restorer = self._sigreturn_trampoline(frames.sigreturn_code)
        frames.push(emu, sp, sig, info, saved, handler, restorer, self.altstack,
                    fault_address=fault_address)  # fmt: skip
        self.blocked |= mask & ~UNBLOCKABLE
        if not flags & SA_NODEFER:
            self.blocked |= 1 << (sig - 1)
        if flags & SA_RESETHAND:
            self.actions[sig] = (SIG_DFL, 0, 0, 0)

    def _on_altstack(self) -> bool:
        ss_sp, ss_flags, ss_size = self.altstack
        if ss_flags & SS_DISABLE:
            return False
        sp = self.proc.emu.reg_read(self.proc.abi.sp_reg)
        return ss_sp < sp <= ss_sp + ss_size

    def _sigreturn_trampoline(self, code: bytes) -> int:
        """A page of the target's ``rt_sigreturn`` code (the kernel's vDSO has it)."""
        if not self._trampoline:
            mem = self.proc.mem
            at = mem.find_free(0x1000)
            if at is None:
                raise MemoryError("no room for the signal return trampoline")
            self.proc.emu.mem_map(at, 0x1000, PROT_READ | PROT_EXEC)
            self.proc.emu.mem_write(at, code)
            self._trampoline = at
        return self._trampoline


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v
