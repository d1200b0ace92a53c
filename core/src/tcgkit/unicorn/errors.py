"""``UcError`` and how tcgkit's errors become Unicorn's error codes.

Owns ``UcError`` (``errno`` and ``str()`` as Unicorn's: ``uc_strerror``'s text for
the code), the table of those texts, and ``guest_error_code``: the ``UC_ERR_*`` code
of a guest error that came out of the engine (an unmapped or protected access, an
unaligned one, an unhandled interrupt, an instruction the target does not
implement). ``Uc`` raises ``UcError`` for the same situations Unicorn does; the
argument checks that pick ``UC_ERR_ARG``, ``UC_ERR_MAP`` or ``UC_ERR_NOMEM`` live
with the calls they check (``uc``).
"""

from __future__ import annotations

from .. import hooks as H
from ..errors import (
    EmulationError,
    InvalidInstructionError,
    MemoryFaultError,
    ProtectionFaultError,
    UnalignedAccessError,
    UnhandledInterruptError,
    UnmappedMemoryError,
)
from . import unicorn_const as C

#: uc_strerror's text for each code (a code outside the table: "Unknown error code")
_STRERROR = (
    "OK (UC_ERR_OK)",
    "No memory available or memory not present (UC_ERR_NOMEM)",
    "Invalid/unsupported architecture (UC_ERR_ARCH)",
    "Invalid handle (UC_ERR_HANDLE)",
    "Invalid mode (UC_ERR_MODE)",
    "Different API version between core & binding (UC_ERR_VERSION)",
    "Invalid memory read (UC_ERR_READ_UNMAPPED)",
    "Invalid memory write (UC_ERR_WRITE_UNMAPPED)",
    "Invalid memory fetch (UC_ERR_FETCH_UNMAPPED)",
    "Invalid hook type (UC_ERR_HOOK)",
    "Invalid instruction (UC_ERR_INSN_INVALID)",
    "Invalid memory mapping (UC_ERR_MAP)",
    "Write to write-protected memory (UC_ERR_WRITE_PROT)",
    "Read from non-readable memory (UC_ERR_READ_PROT)",
    "Fetch from non-executable memory (UC_ERR_FETCH_PROT)",
    "Invalid argument (UC_ERR_ARG)",
    "Read from unaligned memory (UC_ERR_READ_UNALIGNED)",
    "Write to unaligned memory (UC_ERR_WRITE_UNALIGNED)",
    "Fetch from unaligned memory (UC_ERR_FETCH_UNALIGNED)",
    "Unknown error code",  # UC_ERR_HOOK_EXIST has no text of its own in Unicorn 2.1
    "Insufficient resource (UC_ERR_RESOURCE)",
    "Unhandled CPU exception (UC_ERR_EXCEPTION)",
    "Provided buffer is too small (UC_ERR_OVERFLOW)",
)


def strerror(code: int) -> str:
    """Unicorn's text for an error code."""
    return _STRERROR[code] if 0 <= code < len(_STRERROR) else "Unknown error code"


class UcError(Exception):
    """Unicorn's exception: ``errno`` is a ``UC_ERR_*`` code, ``str()`` its text.

    Further arguments are kept in ``args`` as Unicorn keeps them (e.g. the address
    and size of a failed ``mem_read``). ``__cause__`` is the tcgkit error behind a
    guest error, for whoever wants the guest pc and address it names."""

    def __init__(self, errno: int, *args: object) -> None:
        super().__init__(*args)
        self.errno = errno

    def __str__(self) -> str:
        return strerror(self.errno)


_UNMAPPED = {
    H.MEM_READ_UNMAPPED: C.UC_ERR_READ_UNMAPPED,
    H.MEM_WRITE_UNMAPPED: C.UC_ERR_WRITE_UNMAPPED,
    H.MEM_FETCH_UNMAPPED: C.UC_ERR_FETCH_UNMAPPED,
}
_PROTECTED = {
    H.MEM_READ_PROT: C.UC_ERR_READ_PROT,
    H.MEM_WRITE_PROT: C.UC_ERR_WRITE_PROT,
    H.MEM_FETCH_PROT: C.UC_ERR_FETCH_PROT,
}
_UNALIGNED = {
    H.MEM_READ: C.UC_ERR_READ_UNALIGNED,
    H.MEM_WRITE: C.UC_ERR_WRITE_UNALIGNED,
    H.MEM_FETCH: C.UC_ERR_FETCH_UNALIGNED,
}


def guest_error_code(exc: EmulationError) -> int:
    """The ``UC_ERR_*`` code ``uc_emu_start`` returns for a guest error (before a
    target's rules turn invalid instructions and alignment faults into interrupts)."""
    if isinstance(exc, UnmappedMemoryError):
        return _UNMAPPED.get(exc.access, C.UC_ERR_READ_UNMAPPED)
    if isinstance(exc, ProtectionFaultError):
        return _PROTECTED.get(exc.access, C.UC_ERR_READ_PROT)
    if isinstance(exc, UnalignedAccessError):
        return _UNALIGNED.get(exc.access, C.UC_ERR_READ_UNALIGNED)
    if isinstance(exc, InvalidInstructionError):
        return C.UC_ERR_INSN_INVALID
    if isinstance(exc, UnhandledInterruptError | MemoryFaultError):
        return C.UC_ERR_EXCEPTION
    return C.UC_ERR_EXCEPTION


__all__ = ["UcError", "guest_error_code", "strerror"]
