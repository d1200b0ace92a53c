"""``unicorn.unicorn``: the bindings' module, as scripts import it.

Owns the functions around ``Uc`` that Unicorn's bindings define at module level
(``uc_version``, ``version_bind``, ``uc_arch_supported``, ``debug``) and gathers
what ``from unicorn.unicorn import ...`` finds there (``Uc``, ``UcContext``,
``UcError``, ``ucsubclass``).
"""

from __future__ import annotations

from . import unicorn_const as C
from .context import UcContext
from .errors import UcError
from .targets import arch_supported
from .uc import Uc, ucsubclass

__version__ = f"{C.UC_VERSION_MAJOR}.{C.UC_VERSION_MINOR}.{C.UC_VERSION_PATCH}"

_ARCH_NAMES = (
    ("arm", C.UC_ARCH_ARM), ("arm64", C.UC_ARCH_ARM64), ("mips", C.UC_ARCH_MIPS),
    ("x86", C.UC_ARCH_X86), ("ppc", C.UC_ARCH_PPC), ("sparc", C.UC_ARCH_SPARC),
    ("m68k", C.UC_ARCH_M68K), ("riscv", C.UC_ARCH_RISCV), ("s390x", C.UC_ARCH_S390X),
    ("tricore", C.UC_ARCH_TRICORE),
)  # fmt: skip


def uc_version() -> tuple[int, int, int]:
    """(major, minor, combined) of the Unicorn API emulated (combined: 0xMMmmppee)."""
    combined = (C.UC_VERSION_MAJOR << 24 | C.UC_VERSION_MINOR << 16
                | C.UC_VERSION_PATCH << 8 | C.UC_VERSION_EXTRA)  # fmt: skip
    return C.UC_VERSION_MAJOR, C.UC_VERSION_MINOR, combined


def version_bind() -> tuple[int, int, int]:
    """(major, minor, combined) of the bindings' API (combined: major << 8 | minor)."""
    return C.UC_API_MAJOR, C.UC_API_MINOR, (C.UC_API_MAJOR << 8) + C.UC_API_MINOR


def uc_arch_supported(atype: int) -> bool:
    """Whether an installed guest target emulates that UC_ARCH_* architecture."""
    return arch_supported(atype)


def debug() -> str:
    """The bindings' description string, naming tcgkit where Unicorn names its library."""
    archs = "-".join(name for name, arch in _ARCH_NAMES if uc_arch_supported(arch))
    major, minor, _ = uc_version()
    bmajor, bminor, _ = version_bind()
    return f"python-{archs}-c{major}.{minor}-b{bmajor}.{bminor}-tcgkit"


__all__ = ["Uc", "UcContext", "UcError", "debug", "uc_arch_supported", "uc_version",
           "ucsubclass", "version_bind"]  # fmt: skip
