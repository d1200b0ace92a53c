"""The ``aarch64`` host backend: what is AArch64 about a native backend.

Owns ``AArch64Host``, a ``tcgkit.native.NativeHost``: the AAPCS64 prologue (x19-x30,
FPCR and FPSR saved, FPCR.DN set, FPSR's flags cleared, x19 = the CPU state), the
lowering (``lower``), the float flags kept in FPSR while generated code runs (``fpsr``:
its image folded into the guest's word, no call per float op), the goto_tb patch word (a
``b`` to the destination, a ``nop`` when unlinked; beyond the branch's +-128 MiB, a
``b`` to the site's far stub ``ldr x16, literal; br x16`` whose literal is written
first), instruction-cache maintenance after writing or patching code (``__clear_cache``
of libgcc, which real AArch64 hardware requires), the frozen host features (HWCAP; the
lowering gets them: LSE atomics when the host has them) and capstone disassembly. The
optional IR ops it lowers: ``atomic_cmpxchg_i64``, ``atomic_fetch_i64`` and
``atomic_cmpxchg2_i64``, and per instance the crypto ops its features allow
(``lower_crypto.crypto_ops``: AES, PMULL, SHA-1, SHA-256, SHA-512).

Discovery imports this module for the class alone; the code generator
(``constraints``, ``encoder``, ``lower*``) is imported when a backend is
made (or ``allocator()`` is first called).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tcgkit.native.backend import (
    AtomicRoutines,
    ConstraintView,
    Lowered,
    NativeHost,
    Runtime,
    capstone_text,
)
from tcgkit.native.memory import libgcc_clear_cache

from .features import HostFeatures, detect, is_aarch64

if TYPE_CHECKING:
    from tcgkit.tcg.ir import Op
    from tcgkit.tcg.regalloc import Allocation

NOP = 0xD503201F
B_RANGE = 1 << 27  # +-128 MiB


@functools.cache
def allocator() -> ConstraintView:
    """The allocator's view of this host, built on first use (discovery imports this
    module, and must not import the code generator)."""
    from . import constraints

    return ConstraintView(constraints.REGS, constraints.constraint, constraints.imm_ok)


def branch_word(site: int, target: int | None) -> int:
    """The word at a goto_tb site: ``b target``, or a nop that falls through."""
    if target is None:
        return NOP
    delta = target - site
    if not -B_RANGE <= delta < B_RANGE:
        raise ValueError(f"goto_tb target {target:#x} is out of branch range of {site:#x}")
    return 0x14000000 | (delta >> 2) & 0x3FFFFFF


class AArch64Host(NativeHost):
    """Native AArch64 code generation (AAPCS64)."""

    name = "aarch64"
    l2_refill = True  # the slow path refills a first-level TLB miss from the second level
    optional_ops = frozenset({"atomic_cmpxchg_i64", "atomic_fetch_i64", "atomic_cmpxchg2_i64"})
    branch_range = B_RANGE  # beyond: the far stub ldr x16, literal; br x16; literal
    far_literal = 8
    computes_fp_flags = True  # FPSR is the float flags' accumulator (``fpsr``)
    fp_flag_mask = 0x9F  # FPSR's cumulative bits (``fpsr.FLAG_MASK``), in the image

    @classmethod
    def native_here(cls) -> bool:
        return is_aarch64()

    @classmethod
    def features(cls) -> Mapping[str, Any]:
        return detect().as_dict()

    def __init__(self, features: HostFeatures | None = None) -> None:
        if not is_aarch64():
            raise RuntimeError("the aarch64 host backend runs only on AArch64 machines")
        self.feat = features if features is not None else detect()
        from .lower import lower
        from .lower_crypto import crypto_ops

        self.allocator = allocator()
        self._lower = lower
        #: with this machine's Cryptographic Extension, the crypto ops too
        self.optional_ops = AArch64Host.optional_ops | crypto_ops(self.feat)
        self.flush_icache = libgcc_clear_cache()  # type: ignore[method-assign]
        super().__init__()

    def atomic_routines(self) -> AtomicRoutines:
        from .atomics import routines

        return routines()

    def prologue(self) -> bytes:
        from .lower import prologue

        return prologue()

    def lower_tb(self, allocation: Allocation, tb_id: int, icount: int, rt: Runtime,
                 helper_addr: Callable[[Op], int]) -> Lowered:  # fmt: skip
        return self._lower(allocation, tb_id, icount, rt, helper_addr, self.feat)

    def goto_tb_word(self, site: int, target: int | None) -> int:
        return branch_word(site, target)

    def host_fp_flags(self, image: int) -> int:
        return image & self.fp_flag_mask  # Arm's own bits are the ``fpflags`` ones

    def disassemble_code(self, code: bytes, addr: int) -> str:
        return capstone_text(code, addr, "CS_ARCH_ARM64", "CS_MODE_ARM")

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "features": self.feat.as_dict()}
