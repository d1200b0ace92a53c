"""How the stub runs the guest: the one thing that differs between a bare Emulator and a
Linux process.

Owns ``Outcome`` (how a run ended), the ``Runner`` protocol the session drives
(``run(pc, count, tid, signal)``: from ``pc``, ``count`` instructions, 0 for no limit,
``signal`` delivered first; ``interrupt``; the threads; user-mode extras) and its two
implementations: ``EmulatorRunner`` (``emu_start`` on vCPU 0) and ``LinuxRunner``
(``LinuxProcess.run`` from a pc: system calls, signals and exit as ``tcgkit run`` has
them; the files gdb may read through the stub: ``guest_files``).

A Linux process under the stub (``LinuxRunner``), as under qemu-user's: each signal
stops the guest before it is taken (the process's ``Signals.debugger`` is the
runner), gdb's resume says whether it is delivered (``C``/``vCont;C`` with its
number) or suppressed (``c``, ``signal 0``); a system call blocked when the guest
stops (Ctrl-C, a breakpoint in another thread, a signal) is made again from its
start when the guest runs on (``Threads.restart_on_stop``), so that the stop is
invisible to the program.
"""

from __future__ import annotations

import os
import struct
import threading
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ..errors import EmulationError, InvalidInstructionError, MemoryFaultError
from ..linux.signals import SI_USER, Suspended, fault_siginfo, siginfo

if TYPE_CHECKING:
    from ..api import Emulator
    from ..linux.process import LinuxProcess

SIGINT, SIGILL, SIGTRAP, SIGABRT, SIGKILL, SIGSEGV = 2, 4, 5, 6, 9, 11


class Outcome(NamedTuple):
    """``kind``: "stopped" (a limit, a hook's or the stub's emu_stop; ``signal`` 0),
    "fault" (``signal`` says which, the guest stays inspectable), "signal" (the guest
    stopped before taking ``signal``, in thread ``tid``), "exited" (``code``) or
    "killed" (by ``signal``). Signals are the guest's (Linux) numbers."""

    kind: str
    signal: int = 0
    code: int = 0
    message: str = ""
    tid: int | None = None


class Runner(Protocol):
    emu: Emulator
    pid: int

    def run(self, pc: int, count: int, tid: int | None = None, signal: int = 0) -> Outcome: ...

    def interrupt(self) -> None: ...

    def threads(self) -> list[int]: ...

    def cpu(self, tid: int) -> Any: ...

    def tid_of(self, vcpu_index: int) -> int: ...

    def auxv(self) -> bytes | None: ...

    def exec_file(self) -> str | None: ...

    def guest_files(self) -> list[str]: ...


def _fault_outcome(exc: EmulationError) -> Outcome:
    sig = SIGILL if isinstance(exc, InvalidInstructionError) else SIGSEGV
    if not isinstance(exc, (InvalidInstructionError, MemoryFaultError)):
        sig = SIGSEGV
    return Outcome("fault", signal=sig, message=str(exc))


class EmulatorRunner:
    """A bare ``Emulator``: vCPU 0 runs in the caller's thread; one thread (id 1)."""

    def __init__(self, emu: Emulator, pid: int = 1) -> None:
        self.emu = emu
        self.pid = pid

    def run(self, pc: int, count: int, tid: int | None = None, signal: int = 0) -> Outcome:
        """``signal``: a bare emulator has no signals to deliver (ignored, as qemu's
        system-mode stub ignores it)."""
        try:
            self.emu.emu_start(pc, 0, count=count)
        except EmulationError as exc:
            if exc.pc is not None:
                self.emu.reg_write("pc", exc.pc)
            return _fault_outcome(exc)
        return Outcome("stopped")

    def interrupt(self) -> None:
        """Ctrl-C (from another thread): the guest stops at its next TB boundary."""
        self.emu.emu_stop()

    def threads(self) -> list[int]:
        return [1]

    def cpu(self, tid: int) -> Any:
        """What reads and writes thread ``tid``'s registers (``reg_read``/``reg_write``)."""
        return self.emu if tid == 1 else None

    def tid_of(self, vcpu_index: int) -> int:
        return 1

    def auxv(self) -> bytes | None:
        return None

    def exec_file(self) -> str | None:
        return None

    def guest_files(self) -> list[str]:
        """The host files gdb may read through the stub (vFile): none."""
        return []


class _Held(NamedTuple):
    """A signal the debugger holds: the guest stopped before taking it."""

    sig: int
    tid: int
    info: bytes
    #: the system call it ended (its name, first argument), when that call is made
    #: again if no handler runs
    interrupted: tuple[str, int] | None = None
    fault: tuple[int, int, int] | None = None  # a fault's (code, address, pc)
    #: the call was set up to be made again already (``Signals.rewind``: the thread
    #: stopped at its system call instruction), as the signal's handler, with
    #: SA_RESTART, or its absence would have it (what qemu-user shows gdb)
    rewound: bool = False


class LinuxRunner:
    """A ``LinuxProcess``, loaded and not yet run: its main thread is the one gdb sees
    (the process's pid as thread id, as under qemu-user). It is the process's signal
    debugger from now until ``detach``. ``wake``: a host signal with a handler installed
    (one that does nothing) that ends a host system call a guest thread blocks in, so
    that a stop reaches a thread blocked in read() or poll(); None: those calls end only
    when their data comes (the waits tcgkit makes itself always end)."""

    def __init__(self, proc: LinuxProcess, wake: int | None = None) -> None:
        self.proc = proc
        self.emu = proc.emu
        self.pid = proc.pid
        proc.emu.reg_write("pc", proc.entry)  # ``run`` starts there; gdb sees it first
        self._auxv = self._read_auxv(proc.emu.reg_read(proc.abi.sp_reg))
        self._held: _Held | None = None
        #: signals other threads stopped before while one was held: each is reported by
        #: a later continue, before anything runs (one stop reply per resume)
        self._queued: list[_Held] = []
        #: a stop was asked for in this run: a vCPU that starts later stops at once
        #: (starting one clears its stop request)
        self._stopping = threading.Event()
        self._passing: set[int] = set()  # signals gdb let through: taken without a stop
        self._passing_fault = False
        self._wake = wake
        proc.signals.debugger = self
        proc.threads.restart_on_stop = True
        if wake is not None:
            proc.wake_signal = wake
            proc.files.interrupted = self._call_interrupted

    # -- the process's signal debugger (``Signals.debugger``) ---------------------------

    @property
    def holding(self) -> bool:
        return self._held is not None

    def take(self, sig: int, info: bytes, interrupted: tuple[str, int] | None) -> bool:
        """A signal about to be taken by the calling thread (the process lock held): hold
        it and stop the guest, unless gdb let it through. A system call it ended is set
        up to be made again first (the thread stops at its system call instruction),
        unless that call fails with EINTR whatever becomes of the signal. While one
        signal is held, another thread's waits in ``_queued`` for a later continue."""
        if sig in self._passing:
            self._passing.discard(sig)
            return False
        if sig == SIGKILL:  # as under ptrace: never reported
            return False
        signals = self.proc.signals
        rewound = False
        if interrupted is not None and signals.restarts_without_handler(interrupted[0]):
            rewound = signals.restarts(sig, interrupted[0])
            if rewound:
                signals.rewind(interrupted)
        else:
            interrupted = None
        held = _Held(sig, self.proc.threads.here().tid, info, interrupted, rewound=rewound)
        if self._held is None:
            self._held = held
        else:
            self._queued.append(held)
        self.interrupt()
        return True

    def take_fault(self, sig: int, code: int, addr: int, pc: int) -> bool:
        """A fault of the main thread (its pc the faulting instruction's): hold it."""
        if self._passing_fault:
            self._passing_fault = False
            return False
        info = fault_siginfo(sig, code, addr)
        self._held = _Held(sig, self.pid, info, fault=(code, addr, pc))
        return True

    def _call_interrupted(self) -> bool:
        """``FileTable.interrupted``: a host call a stop ended is made again later."""
        proc = self.proc
        if proc.threads.restart_on_stop and proc.threads.current_stopped():
            raise Suspended
        return proc.interrupted_here()

    def held_signal(self) -> int:
        """The signal the guest stopped before taking (0: none)."""
        return self._held.sig if self._held is not None else 0

    def detach(self) -> None:
        """gdb is gone: signals are taken as without a debugger from now on (the one
        held is delivered by the next ``run`` with ``signal=held_signal()``)."""
        proc = self.proc
        if proc.signals.debugger is self:
            proc.signals.debugger = None
        proc.threads.restart_on_stop = False
        if self._wake is not None:
            proc.files.interrupted = None

    def _deliver(self, sig: int, tid: int | None) -> None:
        """Before running on: the signal gdb's resume names (the one held, or another)."""
        held, self._held = self._held, None
        proc, signals = self.proc, self.proc.signals
        if held is not None and held.fault is not None and sig == held.sig:
            code, addr, pc = held.fault
            self._passing_fault = True
            try:
                signals.fault(sig, code, addr, pc)  # the handler, or the process dies
            finally:
                self._passing_fault = False
            return
        rewound = False
        if held is not None and sig == held.sig:
            info, interrupted, tid = held.info, held.interrupted, held.tid
            rewound = held.rewound
        else:
            self._suppressed(held)
            info, interrupted = siginfo(sig, SI_USER, proc.pid, os.getuid()), None
            tid = self.pid if tid is None or tid not in self.threads() else tid
        vcpu = self.cpu(tid)

        def deliver() -> None:  # on the thread's own vCPU
            if rewound and interrupted is not None:
                signals.deliver_rewound(interrupted)
            else:
                signals.deliver(interrupted)

        with proc._lock:
            signals.pending[sig] = info
            self._passing.add(sig)
            if vcpu is None or vcpu.index == 0:  # this thread runs the main one: now
                deliver()
                return
        # on its own thread, before anything else it runs
        vcpu.queue_work(lambda _cpu: signals.run_posted(deliver))

    def _suppressed(self, held: _Held | None) -> None:
        """gdb did not deliver the signal held: the system call it ended is made again,
        as the kernel makes it when a debugger suppresses the signal."""
        if held is None or held.interrupted is None or held.rewound:
            return
        vcpu = self.cpu(held.tid)
        if vcpu is not None:
            abi = self.proc.abi
            vcpu.reg_write(abi.arg_regs[0], held.interrupted[1])
            vcpu.reg_write("pc", vcpu.reg_read("pc") - abi.syscall_size)

    def interrupt(self) -> None:
        """Ctrl-C (from another thread), a breakpoint, a signal: every vCPU stops; a
        thread blocked in a system call leaves it, to make it again when it runs on
        (``LinuxProcess.run`` wakes it again while it waits for the threads)."""
        self._stopping.set()
        self.emu.emu_stop()
        self.proc.wake_stopped()

    # -- running ------------------------------------------------------------------------

    def _live(self) -> list[Any]:
        """The process's live threads (``linux.threads.Thread``), the main one first."""
        table = self.proc.threads.by_vcpu()  # vCPU index -> thread
        return [t for _, t in sorted(table.items()) if t.alive]

    def run(self, pc: int, count: int, tid: int | None = None, signal: int = 0) -> Outcome:
        """From ``pc`` (the main thread's); ``count`` 0: every thread runs; else the main
        thread, or thread ``tid``, runs ``count`` instructions and the others stay.
        ``signal``: delivered first (the one held, or one gdb sends); a held signal
        that gdb does not name is suppressed."""
        proc = self.proc
        self._stopping.clear()
        if signal:
            self._deliver(signal, tid)
            if proc.exit_code is not None:
                return self._ended()
            pc = self.emu.reg_read("pc")  # a handler's first instruction
        else:
            self._suppressed(self._held)
            pc = self.emu.reg_read("pc")  # maybe the system call instruction again
        self._held = None
        live = self.threads()
        self._queued = [q for q in self._queued if q.tid in live]
        if count == 0 and self._queued:  # another thread's stop, not yet told: now
            self._held = self._queued.pop(0)
            return self._ended()
        vcpu = self.cpu(tid) if count and tid is not None and tid != self.pid else None
        if vcpu is not None and vcpu.index != 0:
            return self._step_other(vcpu, count)
        if count == 0:  # all-stop: the other threads, stopped with the main one, run on
            for t in self._live():
                if t.vcpu.index != 0 and not t.vcpu.running:
                    t.vcpu.queue_work(self._gate)
                    t.vcpu.start(t.vcpu.reg_read("pc"), 0)
            self.emu.cpus[0].queue_work(self._gate)
        try:
            proc.run(count=count, begin=pc)
        except EmulationError as exc:
            if exc.pc is not None:
                self.emu.reg_write("pc", exc.pc)
            return _fault_outcome(exc)
        return self._ended()

    def _gate(self, vcpu: Any) -> None:
        """The first thing a vCPU does when a run starts it: stop, if a stop was asked
        for since the run began (starting it cleared that request)."""
        if self._stopping.is_set():
            vcpu.stop()

    def _ended(self) -> Outcome:
        """How the run that just returned ended."""
        proc = self.proc
        if proc.exit_code is not None:
            if proc.term_signal is not None:
                return Outcome("killed", signal=proc.term_signal)
            return Outcome("exited", code=proc.exit_code)
        if self._held is not None:
            return Outcome("signal", signal=self._held.sig, tid=self._held.tid)
        return Outcome("stopped")

    def _step_other(self, vcpu: Any, count: int) -> Outcome:
        """Thread ``vcpu`` (not the main one) runs ``count`` instructions, alone."""
        try:
            vcpu.start(vcpu.reg_read("pc"), 0, count=count)
            vcpu.join()
        except EmulationError as exc:
            return _fault_outcome(exc)
        return self._ended()

    def threads(self) -> list[int]:
        return [t.tid for t in self._live()] or [self.pid]

    def cpu(self, tid: int) -> Any:
        for t in self._live():
            if t.tid == tid:
                return t.vcpu
        return None

    def tid_of(self, vcpu_index: int) -> int:
        t = self.proc.threads.by_vcpu().get(vcpu_index)
        return t.tid if t is not None else self.pid

    def auxv(self) -> bytes | None:
        return self._auxv

    def exec_file(self) -> str | None:
        path = self.proc.exe_path
        return os.path.abspath(path) if path else None

    def guest_files(self) -> list[str]:
        """The host files gdb may read through the stub (vFile): the program's."""
        exe = self.exec_file()
        return [exe] if exe is not None else []

    def _read_auxv(self, sp: int) -> bytes | None:
        """The auxiliary vector the loader put on the initial stack (argc, argv, NULL,
        envp, NULL, then (type, value) pairs up to AT_NULL)."""
        try:
            read = self.emu.mem_read
            argc = struct.unpack("<Q", read(sp, 8))[0]
            p = sp + 8 * (argc + 2)
            while struct.unpack("<Q", read(p, 8))[0]:  # envp
                p += 8
            p += 8
            out = bytearray()
            for _ in range(256):
                pair = bytes(read(p, 16))
                out += pair
                p += 16
                if struct.unpack("<Q", pair[:8])[0] == 0:
                    return bytes(out)
        except Exception:  # no auxv is no answer, not an error
            return None
        return None
