"""Running a Linux program on an Emulator: user mode, as qemu-aarch64 does it.

Owns ``LinuxProcess``: loading a program (``loader``), the system-call
dispatch (the ``sys_*`` methods of each family: ``files`` for descriptors and
paths, ``mm`` for memory, ``threads`` for threads and futexes, ``timers`` for
clocks, sleeps and timers, and this module's own for the process: identity,
limits, exit; ``signals`` for
dispositions, masks and delivery; ``children`` for fork, execve and wait; ``shm``
for System V shared memory),
``-strace`` output, and the end of the process (its exit code,
or the signal that killed it).

Rules:

* a system call tcgkit does not serve returns -ENOSYS to the guest and is
  reported once on stderr, as qemu-user does (``strict``: it stops the program with
  ``UnsupportedSyscall`` naming its number and pc instead);
* system calls of several threads run at once; those that change the process's
  state run one at a time (``_lock``), those that may block (reads, polls, futex
  waits, sleeps) without it;
* what a guest passes never harms the host process: a bad pointer is EFAULT.

Memory layout: segments where the ELF says (a PIE at ``loader.PIE_BASE``); the
heap (brk) starts at the page after the program's highest segment; mmaps and the
interpreter are placed top-down below ``mm.MMAP_TOP``; the stack is
``loader.STACK_SIZE`` bytes below ``loader.STACK_TOP``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import (
    EmulationError,
    InvalidInstructionError,
    MemoryFaultError,
    ProtectionFaultError,
    UnalignedAccessError,
)
from ..hooks import HOOK_INTR
from . import hostcalls
from .abi import LinuxABI
from .children import Children
from .elf import ElfError
from .events import EventCalls
from .files import FileTable, stdio_streams
from .loader import STACK_SIZE, STACK_TOP, load_program
from .mm import MMAP_TOP, ProcessMemory, read_cstring, read_guest, write_guest
from .net import SocketCalls
from .paths import PathCalls, XattrCalls
from .shm import ShmCalls
from .signals import Interrupted, Signals, Suspended
from .threads import Threads
from .timers import Timers

if TYPE_CHECKING:
    from ..api import Emulator

__all__ = ["MMAP_TOP", "STACK_SIZE", "STACK_TOP", "ElfError", "LinuxProcess",
           "UnsupportedSyscall"]  # fmt: skip

EFAULT, EINVAL, ENOSYS, EPERM, ESRCH = 14, 22, 38, 1, 3
SIGILL, SIGTRAP, SIGBUS, SIGPIPE, SIGSEGV = 4, 5, 7, 13, 11
ILL_ILLOPN, TRAP_BRKPT, BUS_ADRALN, SEGV_MAPERR, SEGV_ACCERR = 2, 1, 1, 1, 2
EINTR = 4
RLIMIT_STACK, RLIM_INFINITY = 3, (1 << 64) - 1
#: the system calls that may block: they run without the process lock
_BLOCKING = ("futex", "sched_yield", "nanosleep", "clock_nanosleep", "read", "readv",
             "pread64", "preadv", "ppoll", "write", "writev", "wait4", "waitid",
             "rt_sigsuspend", "rt_sigtimedwait", "pselect6", "epoll_pwait", "epoll_pwait2",
             "accept", "accept4", "connect", "recvfrom", "recvmsg", "recvmmsg", "sendto",
             "sendmsg", "sendmmsg", "copy_file_range", "sendfile", "splice", "tee")  # fmt: skip


class UnsupportedSyscall(EmulationError):
    """The guest made a system call tcgkit's user mode does not implement (``strict``)."""

    def __init__(self, nr: int, pc: int) -> None:
        super().__init__(f"unsupported system call {nr}", pc=pc)
        self.nr = nr


class LinuxProcess:
    """One program in one emulator: load, then ``run``.

    ``stdin``/``stdout``/``stderr``: the streams of descriptors 0, 1 and 2 (Python's
    own ``sys.std*.buffer`` when not given); ``host_stdio``: the guest gets duplicates
    of the host process's descriptors 0, 1 and 2 instead (terminals, pipes and
    redirections as they are: what ``tcgkit run`` does). ``sysroot``: where absolute
    paths and the program interpreter are looked up first (qemu's ``-L``).
    ``strace``: a stream every system call is written to. ``strict``: an unsupported
    system call stops the program instead of returning ENOSYS."""

    def __init__(
        self,
        emu: Emulator,
        abi: LinuxABI,
        stdout: BinaryIO | None = None,
        stderr: BinaryIO | None = None,
        stdin: BinaryIO | None = None,
        *,
        sysroot: str | None = None,
        host_stdio: bool = False,
        strace: Any = None,
        strict: bool = False,
    ) -> None:
        self.emu = emu
        self.abi = abi
        self.stderr = stderr
        self.sysroot = sysroot
        self.pid = os.getpid()  # a guest process is a host process (``children``)
        self.exit_code: int | None = None
        self.term_signal: int | None = None  # the signal that ended the process
        self.syscall_counts: dict[str, int] = {}
        self.entry = 0
        self.strace = strace
        self.strict = strict
        self.exe_path = ""
        self._reported: set[int] = set()
        self._lock = threading.RLock()
        #: ``host_signals.HostSignals`` when the host's signals reach the guest (``tcgkit
        #: run``), else None; while the main thread blocks in a system call,
        #: ``in_blocking_call`` lets its handler interrupt the call
        self.host_signals: Any = None
        self.in_blocking_call = False
        #: a host signal with a handler installed that does nothing (``host_signals.WAKE``),
        #: or None: sent to a host thread blocked in a system call for a guest thread, its
        #: arrival ends the call (EINTR) so that a stop or a signal reaches that thread
        self.wake_signal: int | None = None
        self._main_ident = threading.get_ident()
        self._run_ident = self._main_ident  # the thread that runs the main vCPU (``run``)
        stdio = None if host_stdio else stdio_streams(stdin, stdout, stderr)
        self.files = FileTable(emu, sysroot, stdio)
        self.paths = PathCalls(self.files)
        self.xattrs = XattrCalls(self.files)
        self.mem = ProcessMemory(emu, self.files, self.abi.process)
        self.threads = Threads(self.emu, self.abi, self.pid)
        self.children = Children(self)
        self.signals = Signals(self)
        self.files.on_epipe = lambda: self.signals.raise_self(SIGPIPE, 0)
        self.threads.signal_waiting = self.signals.interrupting_here
        self.net = SocketCalls(self)
        self.timers = Timers(self)
        self.events = EventCalls(self)
        self.shm = ShmCalls(self)
        self._prctl_name = b"tcgkit"
        self._random_state = 0x9E3779B97F4A7C15
        th = self.threads
        handlers: dict[str, Callable[..., int]] = {
            "set_tid_address": th.set_tid_address, "gettid": th.gettid, "clone": self._clone,
            "futex": th.futex, "sched_yield": th.sched_yield,
            "sched_getaffinity": th.sched_getaffinity,
            "clone3": lambda *a: -ENOSYS,  # glibc falls back to clone
        }  # fmt: skip
        families = (self, self.files, self.paths, self.xattrs, self.mem, self.children,
                    self.signals, self.net, self.events, self.timers, self.threads,
                    self.shm)  # fmt: skip
        for family in families:
            for attr in dir(type(family)):
                if attr.startswith("sys_"):
                    handlers.setdefault(attr[4:], getattr(family, attr))
        self._handlers: dict[int, Callable[..., int]] = {}
        for name, fn in handlers.items():
            nr = self.abi.syscalls.get(name)
            if nr is not None:
                self._handlers[nr] = fn
        self._by_nr = {nr: name for name, nr in self.abi.syscalls.items()}
        self._blocking = {self.abi.syscalls[n] for n in _BLOCKING if n in self.abi.syscalls}

    # -- the process's state, as earlier versions exposed it ------------------------------------

    @property
    def brk(self) -> int:
        return self.mem.brk

    @property
    def brk_start(self) -> int:
        return self.mem.brk_start

    # -- loading ----------------------------------------------------------------------

    def load(self, image_bytes: bytes, argv: Sequence[str], envp: Sequence[str] = (),
             name: str = "<program>") -> None:  # fmt: skip
        """Load the program (a static or dynamic ELF executable) with its arguments and
        environment; ``name`` is the file it came from (messages, /proc/self/exe)."""
        self.exe_path = name if os.path.exists(name) else ""
        self.files.exe_path = self.exe_path
        self.abi.process.start(self.emu)
        loaded = load_program(self.emu, self.abi, self.mem, self.files, image_bytes, argv,
                              envp, name)  # fmt: skip
        self.entry = loaded.entry
        self.mem.brk_start = self.mem.brk = loaded.brk_start
        self.emu.reg_write(self.abi.sp_reg, loaded.sp)
        self.emu.hook_add(HOOK_INTR, self._on_intr)

    # -- running ------------------------------------------------------------------------

    def run(self, timeout: int = 0, count: int = 0, begin: int | None = None) -> int | None:
        """Run from the entry point (``begin``: from there instead, to resume, as the gdb
        stub does) until the program exits; its exit code. The main
        thread runs in the calling thread (``timeout`` and ``count`` apply to it), the
        others in threads of their own; an error in one of them stops them all."""
        self._run_ident = threading.get_ident()
        try:
            begin = self.entry if begin is None else begin
            while True:
                try:
                    self.emu.emu_start(begin, 0, timeout=timeout, count=count)
                except (MemoryFaultError, InvalidInstructionError) as exc:
                    if not self._guest_fault(exc):
                        raise
                    if self.exit_code is not None or self.signals.held_by_debugger:
                        break
                    begin = self.emu.reg_read("pc")  # the handler's first instruction
                    continue
                break
        except BaseException as exc:
            if self.children.forked:
                self._stderr().write(f"tcgkit: error: {type(exc).__name__}: {exc}\n".encode())
                self.exit_code = None
                self._end_forked_child()
            self.emu.emu_stop()
            with contextlib.suppress(BaseException):  # the main thread's error is the one
                self._wait_threads()
            raise
        if self.threads.live() and self.exit_code is None and (timeout or count):
            self.emu.emu_stop()  # the main thread's limit ends the process
        self._wait_threads()
        if self.children.forked:  # a forked child ends with its guest, never returns
            self._end_forked_child()
        return self.exit_code

    def _wait_threads(self) -> None:
        """Wait for the other threads' vCPUs; those asked to stop while blocked in a
        system call are woken (again every 50 ms: a wake-up may come just before the
        thread enters its call), so that a stop (exit_group, a debugger's) ends it."""
        while True:
            self.wake_stopped()
            if self.emu.wait(0.05):
                return

    def wake(self, thread: Any) -> None:
        """End the system call guest thread ``thread`` blocks in, if it blocks in one
        (``wake_signal``: without it, the call ends when its data comes)."""
        ident, sig = thread.host_ident, self.wake_signal
        if ident is None or sig is None or ident == threading.get_ident():
            return
        with contextlib.suppress(OSError, ValueError):
            signal.pthread_kill(ident, sig)

    def wake_stopped(self) -> None:
        """Wake each thread blocked in a system call whose vCPU was asked to stop."""
        for thread in self.threads.blocked_in_calls():
            if thread.vcpu.stop_requested:
                self.wake(thread)

    def became_main_thread(self) -> None:
        """A forked child's only thread (maybe not the one that ran ``run``) is its main
        thread: signals come to it, and when its guest ends the process ends."""
        self._main_ident = threading.get_ident()

    def _ended(self) -> None:
        """The guest process ended (exit_group, the last thread's exit, a signal): a
        forked child whose thread is not the one that called ``run`` ends here."""
        if self.children.forked and threading.get_ident() != self._run_ident:
            self._end_forked_child()

    def interrupted_here(self) -> bool:
        """Whether the calling thread's blocking call must end now: its vCPU was asked to
        stop (the process ends, an embedding's emu_stop), or a signal pending now is
        one this thread takes (``Signals.interrupting_here``)."""
        return self.threads.current_stopped() or self.signals.interrupting_here()

    def _guest_fault(self, exc: EmulationError) -> bool:
        """A fault of the main thread's guest code as the kernel takes it: the signal's
        handler runs, or the process dies of the signal (stderr says why, as qemu-user
        does). False: not a fault a signal reports."""
        pc = exc.pc
        if pc is None:
            return False
        if isinstance(exc, InvalidInstructionError):
            sig, code, addr = SIGILL, ILL_ILLOPN, pc
        elif isinstance(exc, MemoryFaultError):
            if isinstance(exc, UnalignedAccessError):
                sig, code = SIGBUS, BUS_ADRALN
            else:
                mapped = isinstance(exc, ProtectionFaultError)
                sig, code = SIGSEGV, (SEGV_ACCERR if mapped else SEGV_MAPERR)
            addr = exc.address if exc.address is not None else pc
        else:
            return False
        self.signals.fault(sig, code, addr, pc)
        if self.exit_code is not None:
            self._report_fault(str(exc), sig)
        return True

    def _report_fault(self, what: str, sig: int) -> None:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
        self._stderr().write(f"tcgkit: {what}: the guest dies of {name}\n".encode())

    def _end_forked_child(self) -> None:
        for stream in (sys.stdout, sys.stderr, *self.files.streams()):
            with contextlib.suppress(Exception):
                stream.flush()
        if self.term_signal is not None:
            with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
                signal.signal(self.term_signal, signal.SIG_DFL)
            os.kill(os.getpid(), self.term_signal)
        os._exit(self.exit_code if self.exit_code is not None else 1)

    def close(self) -> None:
        """Cancel its timers, close the host descriptors the process opened (the emulator
        is the caller's)."""
        self.timers.close()
        self.files.close_all()

    def set_pid(self, pid: int) -> None:
        """The process is now host process ``pid`` (a forked child): its main thread too."""
        self.pid = pid
        self.threads.renumber(pid)

    def exec_options(self) -> list[str]:
        """The ``tcgkit run`` options an execve'd program runs with: this one's."""
        opts = ["--host", self.emu.engine.host.name]
        if self.emu.cpu_name is not None:  # the CPU model, as qemu-user keeps its -cpu
            opts += ["--cpu", self.emu.cpu_name]
        if self.sysroot:
            opts += ["-L", self.sysroot]
        if self.strace is not None:
            opts.append("--strace")
        return opts

    def _clone(self, flags: int, stack: int, ptid: int, tls: int, ctid: int, *_: int) -> int:
        if flags & 0x10000:  # CLONE_THREAD: a thread
            return self.threads.clone(flags, stack, ptid, tls, ctid)
        return self.children.fork(flags, stack, ptid, tls, ctid)

    def _on_intr(self, emu: Emulator, intno: int) -> None:
        if intno != self.abi.syscall_intno:
            pc = emu.reg_read("pc")
            if intno != self.abi.trap_intno:
                raise EmulationError(f"unexpected interrupt {intno}", pc=pc)
            self.signals.fault(SIGTRAP, TRAP_BRKPT, pc, pc)  # a breakpoint instruction
            if self.exit_code is not None:
                self._report_fault(f"breakpoint instruction at pc={pc:#x}", SIGTRAP)
            return
        nr = emu.reg_read(self.abi.nr_reg)
        handler = self._handlers.get(nr)
        name = self._by_nr.get(nr, str(nr))
        if handler is None and self.strict:
            raise UnsupportedSyscall(nr, emu.reg_read("pc"))
        args = [emu.reg_read(r) for r in self.abi.arg_regs]
        with self._lock:
            self.syscall_counts[name] = self.syscall_counts.get(name, 0) + 1
            if handler is None:
                result = self._unsupported(nr, name)
            elif nr not in self._blocking:
                result = handler(*args)
        interrupted = None
        if handler is not None and nr in self._blocking:
            ident = threading.get_ident()
            main = self.host_signals is not None and ident == self._main_ident
            me = self.threads.current()
            me.host_ident = ident
            try:
                if main:
                    self.in_blocking_call = True
                result = handler(*args)
            except Interrupted:
                result = -EINTR
            except Suspended:  # made again from the start when the vCPU runs on
                emu.reg_write(self.abi.arg_regs[0], args[0])
                emu.reg_write("pc", emu.reg_read("pc") - self.abi.syscall_size)
                return
            finally:
                me.host_ident = None
                if main:
                    self.in_blocking_call = False
            if result == -EINTR:
                interrupted = (name, args[0])
        if self.strace is not None:
            self._trace(name, args, result)
        if self.exit_code is None:
            emu.reg_write(self.abi.ret_reg, result & 0xFFFFFFFFFFFFFFFF)
            if self.signals.pending:
                with self._lock:
                    self.signals.deliver(interrupted)

    def _unsupported(self, nr: int, name: str) -> int:
        if nr not in self._reported:
            self._reported.add(nr)
            pc = self.emu.reg_read("pc")
            label = f"{nr} ({name})" if name != str(nr) else str(nr)
            self._stderr().write(f"tcgkit: unsupported system call {label} at pc={pc:#x}: "
                                 "it returns ENOSYS\n".encode())  # fmt: skip
        return -ENOSYS

    def _stderr(self) -> Any:
        if self.stderr is not None:
            return self.stderr
        return sys.stderr.buffer

    def _trace(self, name: str, args: list[int], result: int) -> None:
        kinds = _ARGS.get(name, "xxxxxx")
        shown = ", ".join(self._show(kind, a) for kind, a in zip(kinds, args, strict=False))
        if -4096 < result < 0:
            err = -result
            text = f"-1 errno={err} ({os.strerror(err)})"
        else:
            text = f"{result:#x}" if result > 9 else str(result)
        self.strace.write(f"{self.pid} {name}({shown}) = {text}\n")
        with contextlib.suppress(Exception):
            self.strace.flush()

    def _show(self, kind: str, value: int) -> str:
        """One argument as -strace shows it: ``d`` a signed int, ``u`` a count, ``o``
        octal, ``s`` the string it points to, ``x`` hex."""
        if kind == "d":
            v = _s32(value)
            return "AT_FDCWD" if v == -100 else str(v)
        if kind == "u":
            return str(value)
        if kind == "o":
            return f"{value:#o}"
        if kind == "s":
            raw = read_cstring(self.emu, value, 256) if value else None
            return repr(raw.decode("utf-8", "backslashreplace"))[1:-1].join('""') \
                if raw is not None else f"{value:#x}"  # fmt: skip
        return f"{value:#x}"

    # -- exit ---------------------------------------------------------------------------

    def terminate_by(self, sig: int) -> None:
        """The default action of ``sig``: the process ends, killed by it."""
        self.term_signal = sig
        self.exit_code = 128 + sig
        self.emu.emu_stop()
        self._ended()

    def sys_exit_group(self, code: int, *_: int) -> int:
        """Every thread ends."""
        self.exit_code = code & 0xFF
        self.emu.emu_stop()
        self._ended()
        return 0

    def sys_exit(self, code: int, *_: int) -> int:
        """The calling thread ends; the process with its last thread."""
        if self.threads.exit_thread(code):
            self.exit_code = code & 0xFF
            self._ended()
        return 0

    # -- identity and limits ------------------------------------------------------------

    def sys_getpid(self, *_: int) -> int:
        return self.pid

    def sys_getppid(self, *_: int) -> int:
        return os.getppid()

    def sys_getuid(self, *_: int) -> int:
        return os.getuid()

    def sys_geteuid(self, *_: int) -> int:
        return os.geteuid()

    def sys_getgid(self, *_: int) -> int:
        return os.getgid()

    def sys_getegid(self, *_: int) -> int:
        return os.getegid()

    def sys_getresuid(self, r: int, e: int, s: int, *_: int) -> int:
        ids = os.getresuid()
        ok = all(
            write_guest(self.emu, p, struct.pack("<I", v))
            for p, v in zip((r, e, s), ids, strict=True)
        )
        return 0 if ok else -EFAULT

    def sys_getresgid(self, r: int, e: int, s: int, *_: int) -> int:
        ids = os.getresgid()
        ok = all(
            write_guest(self.emu, p, struct.pack("<I", v))
            for p, v in zip((r, e, s), ids, strict=True)
        )
        return 0 if ok else -EFAULT

    def sys_getgroups(self, size: int, ptr: int, *_: int) -> int:
        groups = os.getgroups()
        if size == 0:
            return len(groups)
        if size < len(groups):
            return -EINVAL
        data = struct.pack(f"<{len(groups)}I", *groups)
        return len(groups) if write_guest(self.emu, ptr, data) else -EFAULT

    def sys_getpgid(self, pid: int, *_: int) -> int:
        try:
            return os.getpgid(os.getpid() if _s32(pid) in (0, self.pid) else _s32(pid))
        except OSError as e:
            return -(e.errno or ESRCH)

    def sys_getsid(self, pid: int, *_: int) -> int:
        try:
            return os.getsid(os.getpid() if _s32(pid) in (0, self.pid) else _s32(pid))
        except OSError as e:
            return -(e.errno or ESRCH)

    def sys_setpgid(self, pid: int, pgid: int, *_: int) -> int:
        try:
            os.setpgid(_s32(pid), _s32(pgid))
        except OSError as e:
            return -(e.errno or EPERM)
        return 0

    def sys_setsid(self, *_: int) -> int:
        try:
            os.setsid()
            return os.getsid(0)  # the new session's id (os.setsid returns None)
        except OSError as e:
            return -(e.errno or EPERM)

    def sys_prctl(self, option: int, arg2: int, *rest: int) -> int:
        if option == 15:  # PR_SET_NAME
            raw = read_guest(self.emu, arg2, 16)
            if raw is None:
                return -EFAULT
            self._prctl_name = raw.split(b"\0", 1)[0][:15]
            return 0
        if option == 16:  # PR_GET_NAME
            return 0 if write_guest(self.emu, arg2, self._prctl_name.ljust(16, b"\0")) else \
                -EFAULT  # fmt: skip
        got = self.abi.process.prctl(self.emu, option, (arg2, *rest))
        return -EINVAL if got is None else got

    def sys_prlimit64(self, pid: int, resource: int, new: int, old: int, *_: int) -> int:
        import resource as res

        if _s32(pid) not in (0, self.pid):
            return -ESRCH
        if old:
            if resource == RLIMIT_STACK:
                cur = mx = STACK_SIZE
            else:
                try:
                    cur, mx = res.getrlimit(resource)
                except (ValueError, OSError):
                    return -EINVAL
            data = struct.pack("<QQ", cur & RLIM_INFINITY, mx & RLIM_INFINITY)
            if not write_guest(self.emu, old, data):
                return -EFAULT
        return 0  # a new limit is accepted and not enforced

    def sys_getrlimit(self, resource: int, old: int, *_: int) -> int:
        return self.sys_prlimit64(0, resource, 0, old)

    def sys_setrlimit(self, resource: int, new: int, *_: int) -> int:
        return 0

    def sys_getrusage(self, who: int, ptr: int, *_: int) -> int:
        import resource as res

        r = res.getrusage(res.RUSAGE_SELF if _s32(who) != -1 else res.RUSAGE_CHILDREN)
        fields = (r.ru_maxrss, r.ru_ixrss, r.ru_idrss, r.ru_isrss, r.ru_minflt, r.ru_majflt,
                  r.ru_nswap, r.ru_inblock, r.ru_oublock, r.ru_msgsnd, r.ru_msgrcv,
                  r.ru_nsignals, r.ru_nvcsw, r.ru_nivcsw)  # fmt: skip
        data = _timeval(r.ru_utime) + _timeval(r.ru_stime) + struct.pack("<14q", *fields)
        return 0 if write_guest(self.emu, ptr, data) else -EFAULT

    def sys_times(self, ptr: int, *_: int) -> int:
        t = os.times()
        if ptr:
            data = struct.pack("<4q", *(int(x * 100) for x in (t.user, t.system,
                                                                t.children_user,
                                                                t.children_system)))  # fmt: skip
            if not write_guest(self.emu, ptr, data):
                return -EFAULT
        return int(t.elapsed * 100) & 0x7FFFFFFFFFFFFFFF

    def sys_sysinfo(self, ptr: int, *_: int) -> int:
        import ctypes

        buf = ctypes.create_string_buffer(112)  # struct sysinfo: the same on 64-bit Linux
        if hostcalls.libc().sysinfo(buf) != 0:
            return -EINVAL
        return 0 if write_guest(self.emu, ptr, buf.raw) else -EFAULT

    def sys_uname(self, buf: int, *_: int) -> int:
        fields = ["Linux", "tcgkit", "6.1.0", "#1 tcgkit user mode", self.abi.uname_machine, ""]
        data = b"".join(f.encode().ljust(65, b"\0") for f in fields)
        return 0 if write_guest(self.emu, buf, data) else -EFAULT

    def sys_getrandom(self, buf: int, n: int, *_: int) -> int:
        """Deterministic bytes: runs are reproducible (as AT_RANDOM is)."""
        out = bytearray()
        n = min(n, 1 << 25)
        while len(out) < n:
            self._random_state = (self._random_state * 6364136223846793005 + 1) % (1 << 64)
            out += self._random_state.to_bytes(8, "little")
        return n if write_guest(self.emu, buf, bytes(out[:n])) else -EFAULT

    def sys_getpriority(self, which: int, who: int, *_: int) -> int:
        try:  # the system call's value is 20 - nice (the C library turns it back)
            return 20 - os.getpriority(which, _s32(who))
        except OSError as e:
            return -(e.errno or ESRCH)

    def sys_setpriority(self, which: int, who: int, prio: int, *_: int) -> int:
        try:
            os.setpriority(which, _s32(who), _s32(prio))
        except OSError as e:
            return -(e.errno or EPERM)
        return 0

    def sys_personality(self, persona: int, *_: int) -> int:
        return 0  # PER_LINUX, whatever is asked: no other personality here

    def sys_getcpu(self, cpu: int, node: int, *_: int) -> int:
        for ptr in (cpu, node):
            if ptr and not write_guest(self.emu, ptr, bytes(4)):
                return -EFAULT
        return 0

    def sys_membarrier(self, cmd: int, *_: int) -> int:
        return 0 if cmd == 0 else -EINVAL  # MEMBARRIER_CMD_QUERY: no command is offered

    def sys_set_robust_list(self, *_: int) -> int:
        return 0

    def sys_rseq(self, *_: int) -> int:
        return -ENOSYS  # glibc runs without restartable sequences


#: how -strace shows each argument of a call (``LinuxProcess._show``); others: 6 x hex
_ARGS = {
    "read": "dxu", "write": "dxu", "close": "d", "openat": "dsxo", "exit": "d",
    "exit_group": "d", "brk": "x", "munmap": "xu", "mprotect": "xux", "mmap": "xuxxdx",
    "fstat": "dx", "newfstatat": "dsxx", "statx": "dsxxx", "lseek": "ddd", "ioctl": "dxx",
    "getpid": "", "gettid": "", "getuid": "", "geteuid": "", "getgid": "", "getegid": "",
    "getppid": "", "writev": "dxd", "readv": "dxd", "pread64": "dxud", "pwrite64": "dxud",
    "set_tid_address": "x", "uname": "x", "clock_gettime": "dx", "getrandom": "xux",
    "dup": "d", "dup3": "ddx", "pipe2": "xx", "fcntl": "ddx", "getdents64": "dxu",
    "getcwd": "xu", "chdir": "s", "fchdir": "d", "kill": "dd", "tgkill": "ddd",
    "faccessat": "dso", "faccessat2": "dsox", "readlinkat": "dsxu", "mkdirat": "dso",
    "unlinkat": "dsx", "renameat2": "dsdsx", "renameat": "dsds", "symlinkat": "sds",
    "linkat": "dsdsx", "fchmodat": "dso", "fchownat": "dsddx", "utimensat": "dsxx",
    "truncate": "su", "ftruncate": "du", "umask": "o", "statfs": "sx", "fstatfs": "dx",
    "sendfile": "ddxu", "rt_sigaction": "dxxu", "rt_sigprocmask": "dxxu", "prlimit64": "ddxx",
    "socket": "ddd", "socketpair": "dddx", "bind": "dxu", "connect": "dxu", "listen": "dd",
    "accept": "dxx", "accept4": "dxxx", "sendto": "dxuxxu", "recvfrom": "dxuxxx",
    "sendmsg": "dxx", "recvmsg": "dxx", "shutdown": "dd", "setsockopt": "dddxu",
    "getsockopt": "dddxx", "epoll_create1": "x", "epoll_ctl": "dddx", "epoll_pwait": "dxddxu",
    "eventfd2": "ux", "pselect6": "dxxxxx", "wait4": "dxxx", "waitid": "ddxxx",
    "setitimer": "dxx", "timer_create": "dxx", "rt_sigsuspend": "xu",
    "nanosleep": "xx", "clock_nanosleep": "ddxx",
}  # fmt: skip


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


def _timeval(seconds: float) -> bytes:
    us = int(seconds * 1e6)
    return struct.pack("<qq", us // 10**6, us % 10**6)


def load_file(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as f:
        return f.read()
