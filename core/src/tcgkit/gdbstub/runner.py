"""How the stub runs the guest: the one thing that differs between a bare Emulator and a
Linux process.

Owns ``Outcome`` (how a run ended), the ``Runner`` protocol the session drives
(``run(pc, count)``: from ``pc``, ``count`` instructions, 0 for no limit; the threads;
user-mode extras) and its two implementations: ``EmulatorRunner`` (``emu_start`` on
vCPU 0) and ``LinuxRunner`` (``LinuxProcess.run`` from a pc: system calls, signals and
exit as ``tcgkit run`` has them).
"""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ..errors import EmulationError, InvalidInstructionError, MemoryFaultError

if TYPE_CHECKING:
    from ..api import Emulator
    from ..linux.process import LinuxProcess

SIGINT, SIGILL, SIGTRAP, SIGABRT, SIGSEGV = 2, 4, 5, 6, 11


class Outcome(NamedTuple):
    """``kind``: "stopped" (a limit, a hook's or the stub's emu_stop; ``signal`` 0) or
    "fault" (``signal`` says which, the guest stays inspectable), "exited" (``code``)
    or "killed" (by ``signal``)."""

    kind: str
    signal: int = 0
    code: int = 0
    message: str = ""


class Runner(Protocol):
    emu: Emulator
    pid: int

    def run(self, pc: int, count: int, tid: int | None = None) -> Outcome: ...

    def threads(self) -> list[int]: ...

    def cpu(self, tid: int) -> Any: ...

    def tid_of(self, vcpu_index: int) -> int: ...

    def auxv(self) -> bytes | None: ...

    def exec_file(self) -> str | None: ...


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

    def run(self, pc: int, count: int, tid: int | None = None) -> Outcome:
        try:
            self.emu.emu_start(pc, 0, count=count)
        except EmulationError as exc:
            if exc.pc is not None:
                self.emu.reg_write("pc", exc.pc)
            return _fault_outcome(exc)
        return Outcome("stopped")

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


class LinuxRunner:
    """A ``LinuxProcess``, loaded and not yet run: its main thread is the one gdb sees
    (the process's pid as thread id, as under qemu-user)."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        self.emu = proc.emu
        self.pid = proc.pid
        proc.emu.reg_write("pc", proc.entry)  # ``run`` starts there; gdb sees it first
        self._auxv = self._read_auxv(proc.emu.reg_read(proc.abi.sp_reg))

    def _live(self) -> list[Any]:
        """The process's live threads (``linux.threads.Thread``), the main one first."""
        table = self.proc.threads.by_vcpu()  # vCPU index -> thread
        return [t for _, t in sorted(table.items()) if t.alive]

    def run(self, pc: int, count: int, tid: int | None = None) -> Outcome:
        """From ``pc`` (the main thread's); ``count`` 0: every thread runs; else the main
        thread, or thread ``tid``, runs ``count`` instructions and the others stay."""
        proc = self.proc
        vcpu = self.cpu(tid) if count and tid is not None and tid != self.pid else None
        if vcpu is not None and vcpu.index != 0:
            return self._step_other(vcpu, count)
        if count == 0:  # all-stop: the other threads, stopped with the main one, run on
            for t in self._live():
                if t.vcpu.index != 0 and not t.vcpu.running:
                    t.vcpu.start(t.vcpu.reg_read("pc"), 0)
        try:
            proc.run(count=count, begin=pc)
        except EmulationError as exc:
            if exc.pc is not None:
                self.emu.reg_write("pc", exc.pc)
            return _fault_outcome(exc)
        if proc.exit_code is not None:
            if proc.term_signal is not None:
                return Outcome("killed", signal=proc.term_signal)
            return Outcome("exited", code=proc.exit_code)
        return Outcome("stopped")

    def _step_other(self, vcpu: Any, count: int) -> Outcome:
        """Thread ``vcpu`` (not the main one) runs ``count`` instructions, alone."""
        try:
            vcpu.start(vcpu.reg_read("pc"), 0, count=count)
            vcpu.join()
        except EmulationError as exc:
            return _fault_outcome(exc)
        proc = self.proc
        if proc.exit_code is not None:
            if proc.term_signal is not None:
                return Outcome("killed", signal=proc.term_signal)
            return Outcome("exited", code=proc.exit_code)
        return Outcome("stopped")

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
