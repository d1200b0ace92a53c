"""Unicorn 2.1's architecture-independent constants, by name and value.

Owns the ``UC_*`` names scripts import with ``from unicorn.unicorn_const import *``
(or ``from unicorn import *``): API and library versions, architectures, modes,
error codes, memory access kinds, hook kinds, permissions, ``uc_query`` and
``uc_ctl`` selectors, TLB modes and the time scales. The values are Unicorn's
interface (a test checks every name and value against the installed ``unicorn``
package); most families are consecutive numbers or single bits, so they are
declared here as tables and defined in order.
"""


def _define(prefix: str, names: str, first: int = 0, *, bits: bool = False) -> None:
    """Define ``prefix + name`` for each name, numbered from ``first`` (or as the bits
    ``1 << (first + i)`` with ``bits``)."""
    for i, name in enumerate(names.split()):
        globals()[prefix + name] = 1 << (first + i) if bits else first + i


# versions: the Unicorn API these bindings follow (2.1.4, extra 255 = final)
UC_API_MAJOR = UC_VERSION_MAJOR = 2
UC_API_MINOR = UC_VERSION_MINOR = 1
UC_API_PATCH = UC_VERSION_PATCH = 4
UC_API_EXTRA = UC_VERSION_EXTRA = 255

# emu_start's timeout is in microseconds
UC_SECOND_SCALE = 1_000_000
UC_MILISECOND_SCALE = 1_000

_define("UC_ARCH_", "ARM ARM64 MIPS X86 PPC SPARC M68K RISCV S390X TRICORE MAX", 1)

# modes: flags, several of which share a value across architectures
UC_MODE_LITTLE_ENDIAN = 0
UC_MODE_BIG_ENDIAN = 1 << 30
UC_MODE_ARM = 0
UC_MODE_THUMB = 1 << 4
UC_MODE_MCLASS = 1 << 5
UC_MODE_V8 = 1 << 6
UC_MODE_ARM926 = 1 << 7
UC_MODE_ARM946 = 1 << 8
UC_MODE_ARM1176 = 1 << 9
UC_MODE_ARMBE8 = 1 << 10
UC_MODE_MICRO = 1 << 4
UC_MODE_MIPS3 = 1 << 5
UC_MODE_MIPS32R6 = 1 << 6
UC_MODE_MIPS32 = 1 << 2
UC_MODE_MIPS64 = 1 << 3
UC_MODE_16 = 1 << 1
UC_MODE_32 = 1 << 2
UC_MODE_64 = 1 << 3
UC_MODE_PPC32 = 1 << 2
UC_MODE_PPC64 = 1 << 3
UC_MODE_QPX = 1 << 4
UC_MODE_SPARC32 = 1 << 2
UC_MODE_SPARC64 = 1 << 3
UC_MODE_V9 = 1 << 4
UC_MODE_RISCV32 = 1 << 2
UC_MODE_RISCV64 = 1 << 3

_define(
    "UC_ERR_",
    "OK NOMEM ARCH HANDLE MODE VERSION READ_UNMAPPED WRITE_UNMAPPED FETCH_UNMAPPED HOOK "
    "INSN_INVALID MAP WRITE_PROT READ_PROT FETCH_PROT ARG READ_UNALIGNED WRITE_UNALIGNED "
    "FETCH_UNALIGNED HOOK_EXIST RESOURCE EXCEPTION OVERFLOW",
)

UC_PROT_NONE = 0
UC_PROT_READ = 1
UC_PROT_WRITE = 2
UC_PROT_EXEC = 4
UC_PROT_ALL = 7

# the access kinds memory hooks receive (note WRITE_PROT before READ_PROT)
_define(
    "UC_MEM_",
    "READ WRITE FETCH READ_UNMAPPED WRITE_UNMAPPED FETCH_UNMAPPED WRITE_PROT READ_PROT "
    "FETCH_PROT READ_AFTER",
    16,
)

_define("UC_TCG_OP_", "SUB")
_define("UC_TCG_OP_FLAG_", "CMP DIRECT", 1)

# hook kinds: one bit each, then the unions
_define(
    "UC_HOOK_",
    "INTR INSN CODE BLOCK MEM_READ_UNMAPPED MEM_WRITE_UNMAPPED MEM_FETCH_UNMAPPED "
    "MEM_READ_PROT MEM_WRITE_PROT MEM_FETCH_PROT MEM_READ MEM_WRITE MEM_FETCH MEM_READ_AFTER "
    "INSN_INVALID EDGE_GENERATED TCG_OPCODE TLB_FILL",
    bits=True,
)
UC_HOOK_MEM_UNMAPPED = (
    UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED  # noqa: F821
)
UC_HOOK_MEM_PROT = UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_FETCH_PROT  # noqa: F821
UC_HOOK_MEM_READ_INVALID = UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_READ_UNMAPPED  # noqa: F821
UC_HOOK_MEM_WRITE_INVALID = UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_WRITE_UNMAPPED  # noqa: F821
UC_HOOK_MEM_FETCH_INVALID = UC_HOOK_MEM_FETCH_PROT | UC_HOOK_MEM_FETCH_UNMAPPED  # noqa: F821
UC_HOOK_MEM_INVALID = UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT
UC_HOOK_MEM_VALID = UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE | UC_HOOK_MEM_FETCH  # noqa: F821

_define("UC_QUERY_", "MODE PAGE_SIZE ARCH TIMEOUT", 1)

_define("UC_CTL_IO_", "NONE WRITE READ READ_WRITE")

_define("UC_TLB_", "CPU VIRTUAL")

_define(
    "UC_CTL_",
    "UC_MODE UC_PAGE_SIZE UC_ARCH UC_TIMEOUT UC_USE_EXITS UC_EXITS_CNT UC_EXITS CPU_MODEL "
    "TB_REQUEST_CACHE TB_REMOVE_CACHE TB_FLUSH TLB_FLUSH TLB_TYPE TCG_BUFFER_SIZE CONTEXT_MODE",
)
_define("UC_CTL_CONTEXT_", "CPU MEMORY", 1)

del _define
