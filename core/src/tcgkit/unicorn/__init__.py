"""``tcgkit.unicorn``: Unicorn 2's Python API on tcgkit.

Existing Unicorn scripts run unchanged with ``import tcgkit.unicorn as unicorn``, or
as they are under ``python -m tcgkit.unicorn SCRIPT [ARGS]`` / ``tcgkit unicorn
SCRIPT [ARGS]`` (``runner``: ``import unicorn`` and its submodules then resolve
here, for that script). A ``Uc(arch, mode)`` runs on the installed guest target
whose ``unicorn_arch`` is ``arch`` (today AArch64: UC_ARCH_ARM64), found through
the plugin manager; its Unicorn module maps register ids.

The package, one concern per module:

* ``unicorn_const``, ``arm64_const``: Unicorn 2.1's names and values;
* ``errors``: ``UcError`` and tcgkit's guest errors as UC_ERR_* codes;
* ``regs``: what a target declares (``UnicornTarget``, register accessors);
* ``targets``: the target for an arch, and the options (extras / environment);
* ``access``: registers by id; ``context``: ``UcContext``;
* ``uc``: ``Uc`` (memory, registers, contexts, emulation, queries, controls);
* ``hooks``: ``hook_add``/``hook_del`` with Unicorn's callbacks and rules;
* ``vtlb``: UC_TLB_VIRTUAL's translation by the TLB_FILL hooks;
* ``unicorn``: the bindings' module-level functions; ``runner``: running scripts.

Served: every call of the bindings' ``Uc`` for the hook kinds INTR, CODE, BLOCK,
MEM_READ, MEM_WRITE, INSN (the instructions the target names: AArch64's MRS, MSR,
SYS), the invalid-memory kinds (retry when a hook returns True),
INSN_INVALID (never called on AArch64, as in Unicorn: an undefined instruction
is interrupt 1) and TLB_FILL (called in UC_TLB_VIRTUAL mode: ``vtlb``);
MEM_FETCH is accepted and never called, as in Unicorn 2.1, unless the
``fetch_hooks`` option asks. Not served: UC_HOOK_EDGE_GENERATED and
UC_HOOK_TCG_OPCODE (UC_ERR_HOOK); the raw ``ctl``
call; big-endian modes (UC_ERR_MODE); pages smaller than the target's 4 KiB;
the other architectures' constant modules. README.md's "Unicorn compatibility"
lists what behaves differently.
"""

from . import arm64_const, unicorn_const
from .unicorn import (
    Uc,
    UcContext,
    UcError,
    __version__,
    debug,
    uc_arch_supported,
    uc_version,
    ucsubclass,
    version_bind,
)
from .unicorn_const import *  # noqa: F403
