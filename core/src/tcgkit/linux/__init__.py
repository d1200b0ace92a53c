"""Linux user mode, first step: static ELF programs with the system calls
freestanding code uses (``abi``: what a target declares; ``elf``: reading
executables; ``process``: loading, stack, system calls; ``run``: the
``tcgkit run`` command's work)."""

from .abi import LinuxABI
from .elf import ElfError, read_elf
from .process import LinuxProcess, UnsupportedSyscall

__all__ = ["ElfError", "LinuxABI", "LinuxProcess", "UnsupportedSyscall", "read_elf"]
