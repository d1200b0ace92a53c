"""What Linux user mode needs to know about a guest target.

Owns ``LinuxABI``: the ELF machine number a target runs, how its system
calls arrive (the interrupt number HOOK_INTR reports) and where their number,
arguments and result live, the stack pointer's name, and the target's system
call numbers by name. A target that supports ``tcgkit run`` sets the class
attribute ``linux_abi`` to one of these.

Also owns ``ProcessHooks``: what a target adds to a process beyond that (the CPU
state the kernel sets up per process, its own prctl options, protection bits of its
own such as arm64's PROT_BTI, what an ELF's GNU property note asks for); the
default does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ProcessHooks:
    """A target's part of a Linux process (``LinuxABI.process``); every method's default
    does nothing. ``emu`` is the process's emulator (its calling vCPU's registers)."""

    def start(self, emu: Any) -> None:
        """A new process image (program start, execve): set up the CPU state the kernel
        gives one (e.g. random pointer authentication keys)."""

    def hwcaps(self, emu: Any, hwcap: int, hwcap2: int) -> tuple[int, int]:
        """AT_HWCAP and AT_HWCAP2 for the process ``start`` set up, from the model's."""
        return hwcap, hwcap2

    def prctl(self, emu: Any, option: int, args: tuple[int, ...]) -> int | None:
        """A prctl option of the target's (its result), or None: not one of them."""
        return None

    def set_prot(self, emu: Any, start: int, size: int, prot: int) -> None:
        """[start, start + size) is now mapped with ``prot`` (0: unmapped), the target's
        own bits (beyond PROT_READ, PROT_WRITE, PROT_EXEC) included."""

    def elf_prot(self, properties: Mapping[int, int]) -> int:
        """The protection bits of its own an ELF image's executable segments get, from
        its GNU properties (``ElfImage.properties``: pr_type -> 32-bit value)."""
        return 0


class LinuxABI:
    """What Linux user mode needs to know of a target (a target plugin makes one).

    A plain slotted class, not a dataclass: every class a ``tcgkit`` process
    imports is made at start-up, and a dataclass costs ~0.5 ms to make."""

    __slots__ = (
        "arg_regs",
        "elf_machine",
        "hwcap",
        "hwcap2",
        "nr_reg",
        "process",
        "ret_reg",
        "signal_frames",
        "sp_reg",
        "stack_align",
        "syscall_intno",
        "syscall_size",
        "syscalls",
        "tls_reg",
        "trap_intno",
        "uname_machine",
    )

    def __init__(
        self,
        elf_machine: int,
        syscall_intno: int,
        nr_reg: str,
        arg_regs: tuple[str, ...],
        ret_reg: str,
        sp_reg: str,
        syscalls: Mapping[str, int] | None = None,
        stack_align: int = 16,
        hwcap: int = 0,
        hwcap2: int = 0,
        uname_machine: str = "unknown",
        tls_reg: str = "",
        signal_frames: object = None,
        trap_intno: int = -1,
        syscall_size: int = 4,
        process: ProcessHooks | None = None,
    ) -> None:
        self.elf_machine = elf_machine  # e_machine of the ELF files this target runs
        self.syscall_intno = syscall_intno  # intno HOOK_INTR reports for a system call
        self.nr_reg = nr_reg  # register holding the system call number
        self.arg_regs = arg_regs  # registers holding arguments 1..6
        self.ret_reg = ret_reg  # register receiving the result (negative errno on failure)
        self.sp_reg = sp_reg
        self.syscalls: Mapping[str, int] = {} if syscalls is None else syscalls  # name -> nr
        self.stack_align = stack_align
        self.hwcap = hwcap  # AT_HWCAP: the features the target implements, as Linux names them
        self.hwcap2 = hwcap2  # AT_HWCAP2
        self.uname_machine = uname_machine  # the machine field of uname(2)
        self.tls_reg = tls_reg  # the thread pointer clone's CLONE_SETTLS sets
        #: the target's signal frame: ``push`` (deliver to a handler), ``pop``
        #: (rt_sigreturn) and ``sigreturn_code``; None: no signal reaches a handler
        self.signal_frames = signal_frames
        self.trap_intno = trap_intno  # intno of a breakpoint instruction: SIGTRAP
        self.syscall_size = syscall_size  # bytes of the system call instruction (restart)
        #: the target's part of a process (CPU state, prctl options, protection bits)
        self.process = ProcessHooks() if process is None else process

    def __repr__(self) -> str:
        return f"LinuxABI(elf_machine={self.elf_machine}, syscalls={len(self.syscalls)})"
