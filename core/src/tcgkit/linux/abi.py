"""What Linux user mode needs to know about a guest target.

Owns ``LinuxABI``: the ELF machine number a target runs, how its system
calls arrive (the interrupt number HOOK_INTR reports) and where their number,
arguments and result live, the stack pointer's name, and the target's system
call numbers by name. A target that supports ``tcgkit run`` sets the class
attribute ``linux_abi`` to one of these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LinuxABI:
    elf_machine: int  # e_machine of the ELF files this target runs
    syscall_intno: int  # intno HOOK_INTR reports for a system call
    nr_reg: str  # register holding the system call number
    arg_regs: tuple[str, ...]  # registers holding arguments 1..6
    ret_reg: str  # register receiving the result (negative errno on failure)
    sp_reg: str
    syscalls: Mapping[str, int] = field(default_factory=dict)  # name -> number
    stack_align: int = 16
    hwcap: int = 0
    uname_machine: str = "unknown"  # the machine field of uname(2)
    tls_reg: str = ""  # the thread pointer clone's CLONE_SETTLS sets
