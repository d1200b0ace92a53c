"""Linux user mode: running Linux ELF programs on an emulator, as qemu-user does.

``abi``: what a target declares; ``elf``: reading executables; ``loader``: the
program, its interpreter and the initial stack in guest memory; ``process``:
the process and its system-call dispatch; the system calls by family:
``files`` (descriptors), ``paths``, ``mm`` (memory), ``threads``; ``run``: the
``tcgkit run`` command's work."""

from .abi import LinuxABI
from .elf import ElfError, read_elf
from .process import LinuxProcess, UnsupportedSyscall

__all__ = ["ElfError", "LinuxABI", "LinuxProcess", "UnsupportedSyscall", "read_elf"]
