"""tcgkit: a CPU emulator framework in the manner of QEMU's TCG.

The core package. It owns the plugin contract (``hookspecs``), discovery and
selection (``plugins``) and the command line (``cli``); host backends, guest
targets and TB hash-table policies are separate distributions found through
the ``tcgkit`` entry-point group.
"""

from importlib.metadata import PackageNotFoundError, version

from .api import CPUContext, Emulator
from .errors import (
    EmulationError,
    EmulatorClosedError,
    InvalidInstructionError,
    MemoryFaultError,
    ProtectionFaultError,
    TcgkitError,
    UnhandledInterruptError,
    UnmappedMemoryError,
)
from .hooks import (
    HOOK_BLOCK,
    HOOK_CODE,
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
    MEM_FETCH,
    MEM_FETCH_PROT,
    MEM_FETCH_UNMAPPED,
    MEM_READ,
    MEM_READ_PROT,
    MEM_READ_UNMAPPED,
    MEM_WRITE,
    MEM_WRITE_PROT,
    MEM_WRITE_UNMAPPED,
)
from .hookspecs import hookimpl
from .memory import PROT_ALL, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE
from .plugins import PluginClashError, PluginError, UnknownPluginError

try:
    __version__ = version("tcgkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "HOOK_BLOCK",
    "HOOK_CODE",
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
    "CPUContext",
    "EmulationError",
    "Emulator",
    "EmulatorClosedError",
    "InvalidInstructionError",
    "MemoryFaultError",
    "PluginClashError",
    "PluginError",
    "ProtectionFaultError",
    "TcgkitError",
    "UnhandledInterruptError",
    "UnknownPluginError",
    "UnmappedMemoryError",
    "__version__",
    "hookimpl",
]
