"""The ``ppc64le`` host backend: what is Power about a native backend.

Owns ``PPC64Host``, a ``tcgkit.native.NativeHost``: the ELFv2 prologue (LR,
TOC, r14-r31 and FPSCR saved, FPSCR cleared, r27 = the CPU state), the float flags
kept in FPSCR while generated code runs (``fpscr``: its image folded into the
guest's word, no call per float op), the lowering (``lower``; the
optional ops ``atomic_cmpxchg_i64``, ``atomic_fetch_i64`` and
``atomic_cmpxchg2_i64`` (an lqarx / stqcx. loop) inline, and with the vector
crypto facility the crypto ops: ``lower_crypto``), the goto_tb patch word (a
``b`` within +-32 MiB, a nop when unlinked; beyond, a ``b`` to the site's far stub
whose literal is written first), cache maintenance after writing or patching
code (``__clear_cache`` of libgcc: dcbst / sync / icbi / isync), the ISA levels
the kernel reports, and capstone disassembly.

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

from .features import HostFeatures, _detected, detect, is_ppc64le

if TYPE_CHECKING:
    from tcgkit.tcg.ir import Op
    from tcgkit.tcg.regalloc import Allocation

NOP = 0x60000000
B_RANGE = 1 << 25  # +-32 MiB


@functools.cache
def allocator() -> ConstraintView:
    """The allocator's view of this host, built on first use (discovery imports this
    module, and must not import the code generator)."""
    from . import constraints

    return ConstraintView(constraints.REGS, constraints.constraint, constraints.imm_ok)


def branch_word(site: int, target: int | None) -> int:
    if target is None:
        return NOP
    delta = target - site
    if not -B_RANGE <= delta < B_RANGE:
        raise ValueError(f"goto_tb target {target:#x} is out of branch range of {site:#x}")
    return 18 << 26 | (delta & 0x3FFFFFC)


class PPC64Host(NativeHost):
    """Native ppc64le code generation (ELFv2)."""

    name = "ppc64le"
    optional_ops = frozenset({"atomic_cmpxchg_i64", "atomic_fetch_i64", "atomic_cmpxchg2_i64"})
    l2_refill = True  # the slow path refills a first-level TLB miss from the second level
    branch_range = B_RANGE  # beyond: the far stub bl .+4; mflr; ld; mtctr; bctr; literal
    far_literal = 24
    computes_fp_flags = True  # FPSCR is the float flags' accumulator (``fpscr``)
    #: FPSCR's sticky exception bits and their summaries FX, VX (``fpscr.FLAG_MASK``:
    #: not imported, discovery must not load the code generator)
    fp_flag_mask = 0xBFF80700

    @classmethod
    def native_here(cls) -> bool:
        # POWER8 (ISA 2.07) at least: the lowering moves values between GPRs and FPRs
        return is_ppc64le() and _detected().isa207

    @classmethod
    def features(cls) -> Mapping[str, bool]:
        return detect().as_dict()

    def __init__(self, features: HostFeatures | None = None) -> None:
        if not is_ppc64le():
            raise RuntimeError("the ppc64le host backend runs only on ppc64le machines")
        self.feat = features if features is not None else detect()
        if not self.feat.isa207:
            raise RuntimeError("the ppc64le host backend needs ISA 2.07 (POWER8) or later")
        from .lower import lower
        from .lower_crypto import crypto_ops

        self.allocator = allocator()
        self._lower = lower
        #: with the vector crypto facility, the crypto ops too
        self.optional_ops = PPC64Host.optional_ops | crypto_ops(self.feat)
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
        from .fpscr import to_fpflags

        return to_fpflags(image)

    def disassemble_code(self, code: bytes, addr: int) -> str:
        return capstone_text(code, addr, "CS_ARCH_PPC", "CS_MODE_64|CS_MODE_LITTLE_ENDIAN")

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "features": self.feat.as_dict()}
