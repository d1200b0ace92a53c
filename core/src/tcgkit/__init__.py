"""tcgkit: a CPU emulator framework in the manner of QEMU's TCG.

The core package. It owns the plugin contract (``hookspecs``), discovery and
selection (``plugins``) and the command line (``cli``); host backends, guest
targets and TB hash-table policies are separate distributions found through
the ``tcgkit`` entry-point group.
"""

import os as _os

from ._bundle import activate as _activate_bundle

# before any compiled module is imported: the one-group build of the translator, when
# installed and built from these sources (``_bundle``)
_activate_bundle(__name__, _os.path.dirname(__file__))

from ._collector import paused  # noqa: E402

with paused():  # the engine's modules: no garbage among them (see _collector)
    from typing import Any

    from .api import CPUContext, Emulator
    from .errors import (
        EmulationError,
        EmulatorClosedError,
        InvalidArgumentError,
        InvalidInstructionError,
        MemoryFaultError,
        ProgramFileError,
        ProtectionFaultError,
        TcgkitError,
        UnhandledInterruptError,
        UnmappedMemoryError,
    )
    from .hooks import (
        HOOK_BLOCK,
        HOOK_CODE,
        HOOK_EDGE_GENERATED,
        HOOK_INSN,
        HOOK_INTR,
        HOOK_MEM_FETCH,
        HOOK_MEM_FETCH_PROT,
        HOOK_MEM_FETCH_UNMAPPED,
        HOOK_MEM_INVALID,
        HOOK_MEM_PROT,
        HOOK_MEM_READ,
        HOOK_MEM_READ_PROT,
        HOOK_MEM_READ_UNMAPPED,
        HOOK_MEM_UNMAPPED,
        HOOK_MEM_VALID,
        HOOK_MEM_WRITE,
        HOOK_MEM_WRITE_PROT,
        HOOK_MEM_WRITE_UNMAPPED,
        HOOK_TCG_OPCODE,
        MEM_FETCH,
        MEM_FETCH_PROT,
        MEM_FETCH_UNMAPPED,
        MEM_READ,
        MEM_READ_PROT,
        MEM_READ_UNMAPPED,
        MEM_WRITE,
        MEM_WRITE_PROT,
        MEM_WRITE_UNMAPPED,
        TCG_OP_FLAG_CMP,
        TCG_OP_FLAG_DIRECT,
        TCG_OP_SUB,
        BlockInfo,
    )
    from .hookspecs import hookimpl
    from .memory import PROT_ALL, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE
    from .plugins import HostUnavailableError, PluginClashError, PluginError, UnknownPluginError
    from .vcpu import VCPU


def __getattr__(name: str) -> Any:
    # __version__ is read from the installed metadata on first use: importlib.metadata
    # costs about 30 ms, a quarter of importing tcgkit; discovery does without it
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("tcgkit")
        except PackageNotFoundError:  # running from a source tree that is not installed
            value = "0.0.0"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "HOOK_BLOCK",
    "HOOK_CODE",
    "HOOK_EDGE_GENERATED",
    "HOOK_INSN",
    "HOOK_INTR",
    "HOOK_MEM_FETCH",
    "HOOK_MEM_FETCH_PROT",
    "HOOK_MEM_FETCH_UNMAPPED",
    "HOOK_MEM_INVALID",
    "HOOK_MEM_PROT",
    "HOOK_MEM_READ",
    "HOOK_MEM_READ_PROT",
    "HOOK_MEM_READ_UNMAPPED",
    "HOOK_MEM_UNMAPPED",
    "HOOK_MEM_VALID",
    "HOOK_MEM_WRITE",
    "HOOK_MEM_WRITE_PROT",
    "HOOK_MEM_WRITE_UNMAPPED",
    "HOOK_TCG_OPCODE",
    "MEM_FETCH",
    "MEM_FETCH_PROT",
    "MEM_FETCH_UNMAPPED",
    "MEM_READ",
    "MEM_READ_PROT",
    "MEM_READ_UNMAPPED",
    "MEM_WRITE",
    "MEM_WRITE_PROT",
    "MEM_WRITE_UNMAPPED",
    "PROT_ALL",
    "PROT_EXEC",
    "PROT_NONE",
    "PROT_READ",
    "PROT_WRITE",
    "TCG_OP_FLAG_CMP",
    "TCG_OP_FLAG_DIRECT",
    "TCG_OP_SUB",
    "VCPU",
    "BlockInfo",
    "CPUContext",
    "EmulationError",
    "Emulator",
    "EmulatorClosedError",
    "HostUnavailableError",
    "InvalidArgumentError",
    "InvalidInstructionError",
    "MemoryFaultError",
    "PluginClashError",
    "PluginError",
    "ProgramFileError",
    "ProtectionFaultError",
    "TcgkitError",
    "UnhandledInterruptError",
    "UnknownPluginError",
    "UnmappedMemoryError",
    "__version__",
    "hookimpl",
]
