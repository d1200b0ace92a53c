"""Every exception tcgkit raises to its users, and the internal signals
generated code uses to leave a TB.

Owns the exception hierarchy. Public errors carry the guest pc and, where
relevant, the guest address, and name them in their message.

Internal (never seen by users): ``CPUExit`` and subclasses are raised by
helpers and by the softmmu slow path inside a TB; the execution loop catches
them, restores the guest pc to the instruction that raised, and acts.
"""

from __future__ import annotations


class TcgkitError(Exception):
    """Base class of tcgkit's errors."""


class EmulatorClosedError(TcgkitError):
    """The emulator was closed; nothing can be done with it any more."""


class InvalidArgumentError(TcgkitError, ValueError):
    """What was asked for cannot be done as given: a program file that is
    missing, unreadable or not an executable tcgkit can run, an option value
    out of range. The message says what is wrong and what to do; the
    command line reports these in one line and exits with status 2."""


class ProgramFileError(InvalidArgumentError, OSError):
    """The program file cannot be read (missing, a directory, no permission).
    An ``OSError`` too, as reading it was before."""


class EmulationError(TcgkitError):
    """Guest execution stopped on an error; ``pc`` is where."""

    def __init__(self, message: str, *, pc: int | None = None, address: int | None = None):
        where = []
        if pc is not None:
            where.append(f"pc={pc:#x}")
        if address is not None:
            where.append(f"address={address:#x}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)
        self.pc = pc
        self.address = address


class InvalidInstructionError(EmulationError):
    """The bytes at ``pc`` are not an instruction the target implements."""

    def __init__(self, pc: int, insn: int | bytes, reason: str = "") -> None:
        word = insn.hex() if isinstance(insn, bytes) else f"{insn:#010x}"
        text = f"invalid or unsupported instruction {word}"
        super().__init__(text + (f": {reason}" if reason else ""), pc=pc)
        self.insn = insn


class MemoryFaultError(EmulationError):
    """A guest access to ``address`` failed; ``access`` is a MEM_* constant."""

    def __init__(self, message: str, *, access: int, address: int, size: int, pc: int | None):
        super().__init__(message, pc=pc, address=address)
        self.access = access
        self.size = size


class UnmappedMemoryError(MemoryFaultError):
    """The guest read, wrote or fetched where nothing is mapped."""


class ProtectionFaultError(MemoryFaultError):
    """The guest access was not allowed by the mapping's permissions."""


class UnalignedAccessError(MemoryFaultError):
    """An access that must be aligned was not."""


class TranslationFaultError(MemoryFaultError):
    """The engine's virtual-address translation (``exec.vtlb``) gave no physical page
    for the access, or one whose permissions do not allow it (``address``: the
    virtual address)."""


class MemoryAccessError(TcgkitError):
    """The memory API could not perform an access at ``address`` (no guest pc here:
    the engine turns these into ``MemoryFaultError`` with the pc)."""

    def __init__(self, message: str, *, address: int, size: int, access: str) -> None:
        super().__init__(f"{message} ({access} of {size} bytes at address={address:#x})")
        self.address = address
        self.size = size
        self.access = access


class UnmappedAccessError(MemoryAccessError):
    """Nothing is mapped at ``address`` in the address space."""


class ProtectionError(MemoryAccessError):
    """The range at ``address`` does not allow this kind of access."""


class UnhandledInterruptError(EmulationError):
    """The guest raised an interrupt and no HOOK_INTR callback handled it."""

    def __init__(self, intno: int, pc: int) -> None:
        super().__init__(f"unhandled interrupt {intno}", pc=pc)
        self.intno = intno


# -- internal signals (caught by the execution loop) ---------------------------


class CPUExit(Exception):
    """Leave the current TB. ``pc_is_set``: the guest pc in the CPU state is
    already where execution continues (otherwise the loop restores it to the
    instruction that raised)."""

    pc_is_set = False


class GuestInterrupt(CPUExit):
    """The guest raised interrupt ``intno``; the pc was set by the target."""

    pc_is_set = True

    def __init__(self, intno: int) -> None:
        super().__init__(intno)
        self.intno = intno


class StopRequest(CPUExit):
    """Stop before the instruction that raised (emu_stop from a code hook)."""


class CodeModified(CPUExit):
    """The running TB's code was overwritten: resume at the next instruction."""

    def __init__(self, resume_after: bool) -> None:
        super().__init__(resume_after)
        self.resume_after = resume_after
