"""The ``x86_64`` host backend: what is x86-64 about a native backend.

Owns ``X86Host``, a ``tcgkit.native.NativeHost``: the prologue (System V:
callee-saved registers pushed, a fixed frame, rbp = the CPU state, jump to
the code), the lowering of allocated IR (``lower``), the optional ops it
lowers (the atomics, 16-byte ``lock cmpxchg16b`` included; per instance: the AES
ops with AES-NI, ``clmul_i64`` with PCLMULQDQ, the SHA-256 and SHA-1 ops with SHA-NI),
the goto_tb patch word (the rel32 of an aligned ``jmp``; x86 keeps instruction
fetch coherent with stores, so no cache maintenance), the native TB lookup
goto_ptr's misses jump to (``tb_lookup``), the slow path of guest loads and
stores every TB shares (``slow_path``), the MXCSR images of the rounding
modes, the frozen host features and capstone disassembly. Everything else (TB
ids, callbacks, execution, chaining, the jump cache, release) is the core's.

Discovery imports this module for the class alone; the code generator
(``constraints``, ``encoder``, ``lower*``) is imported when a backend is
made, so that listing or selecting hosts does not pay for it.
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
from tcgkit.tcg.softfloat import FZ_OPS

from . import abi
from .features import HostFeatures, detect, is_x86_64

if TYPE_CHECKING:
    from tcgkit.tcg.ir import Op
    from tcgkit.tcg.regalloc import Allocation


def crypto_ops(feat: HostFeatures) -> frozenset[str]:
    """The optional crypto ops (``tcgkit.tcg.crypto``) these features lower."""
    ops = ("aese_i64", "aesd_i64", "aesmc_i64", "aesimc_i64") if feat.aes else ()
    sha = ("sha256h", "sha256h2", "sha256su0", "sha256su1", "sha1c", "sha1p", "sha1m", "sha1su1")
    sha_ops = tuple(f"{k}_i64" for k in sha) if feat.sha_ni else ()
    return frozenset((*ops, *(("clmul_i64",) if feat.pclmulqdq else ()), *sha_ops))


def feature_ops(feat: HostFeatures) -> frozenset[str]:
    """The optional ops these features add to what every instance lowers: the crypto
    ops, and the 16-byte pair compare-and-swap with CMPXCHG16B (``cx16``: the first
    x86-64 processors lack it; without it a guest pair atomic takes the helper, which
    runs it under the exclusive gate)."""
    return crypto_ops(feat) | (frozenset({"atomic_cmpxchg2_i64"}) if feat.cx16 else frozenset())


class X86Host(NativeHost):
    """Native x86-64 code generation (System V)."""

    name = "x86_64"
    l2_refill = True
    icache_coherent = True  # x86 keeps instruction fetch coherent with stores
    goto_tb_rel32 = True  # a goto_tb site is the rel32 of a jmp (goto_tb_word)
    computes_fp_flags = True  # MXCSR is the float flags' accumulator (``mxcsr``)
    fp_flag_mask = 0x3F  # MXCSR's exception flags, in the image at OFF_FP_SAVE
    #: what every instance lowers; an instance's own set adds the ops its features
    #: allow (``feature_ops``)
    #: (the flush-to-zero twins: ``lower_float._arith``)
    optional_ops = frozenset({"atomic_cmpxchg_i64", "atomic_fetch_i64", "fnan2_f32", "fnan2_f64",
                              "fnan3_f32", "fnan3_f64", *FZ_OPS})  # fmt: skip

    @classmethod
    def native_here(cls) -> bool:
        return is_x86_64()

    @classmethod
    def features(cls) -> Mapping[str, bool]:
        return detect().as_dict()

    def __init__(self, features: HostFeatures | None = None) -> None:
        if not is_x86_64():
            raise RuntimeError("the x86_64 host backend runs only on x86-64 machines")
        from . import constraints
        from .lower import lower

        self.feat = features if features is not None else detect()
        feat, table = self.feat, constraints.table(self.feat)
        self.allocator = ConstraintView(constraints.REGS,
                                        functools.partial(constraints.constraint, feat,
                                                          ops=table),
                                        constraints.imm_ok,
                                        fixed=constraints.fixed(feat))  # fmt: skip
        self._lower = lower
        self.optional_ops = X86Host.optional_ops | feature_ops(feat)
        super().__init__()
        self.lower_call = functools.partial(lower, feat)  # compile_tb calls it per TB

    def prologue(self) -> bytes:
        from .encoder import RBP, RDI, RSI, RSP, SUB, Asm, Mem

        saved = {"rbp": RBP, "rbx": 3, "r12": 12, "r13": 13, "r14": 14, "r15": 15}
        a = Asm()
        for r in abi.SAVED:
            a.push(saved[r])
        a.alu_ri(SUB, RSP, abi.FRAME)
        a.mov_rr(RBP, RDI)
        a.ldmxcsr(Mem(RBP, abi.OFF_MXCSR))  # float flags clear (``mxcsr``)
        a.jmp_r(RSI)
        return a.code()

    def host_words(self) -> tuple[int, int, int, int]:
        return abi.MXCSR_BY_RM

    def host_fp_flags(self, image: int) -> int:
        from .mxcsr import to_fpflags

        return to_fpflags(image)

    def atomic_routines(self) -> AtomicRoutines:
        from .atomics import routines

        return routines(pair=self.feat.cx16)

    @staticmethod
    def entry_function(api: Any, message: int) -> bytes | None:
        from .py_entry import entry_function  # Python enters generated code without ctypes

        return entry_function(api, message)

    def python_thunk(self, api: Any, callable_addr: int, nargs: int) -> bytes | None:
        from .py_call import MAX_ARGS, thunk  # generated code calls Python without ctypes

        return thunk(api, callable_addr, nargs) if nargs <= MAX_ARGS else None

    def slow_path_routines(self, slow_mem: int, slow_load: int) -> Any:
        from .slow_path import routines

        return routines(slow_mem, slow_load)

    def lookup_routines(self, page_bits: int, probe: tuple[int, int] | None) -> Any:
        from .tb_lookup import routines

        return routines(page_bits, probe)

    def lower_tb(self, allocation: Allocation, tb_id: int, icount: int, rt: Runtime,
                 helper_addr: Callable[[Op], int]) -> Lowered:  # fmt: skip
        return self._lower(self.feat, allocation, tb_id, icount, rt, helper_addr)

    def goto_tb_word(self, site: int, target: int | None) -> int:
        # the site is the rel32 of a jmp; unlinked, it jumps to the next instruction
        return 0 if target is None else target - (site + 4)

    def disassemble_code(self, code: bytes, addr: int) -> str:
        return capstone_text(code, addr, "CS_ARCH_X86", "CS_MODE_64")

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "features": self.feat.as_dict()}
