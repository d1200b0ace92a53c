"""The ``aarch64`` host backend: what is AArch64 about a native backend.

Owns ``AArch64Host``, a ``tcgkit.native.NativeHost``: the AAPCS64 prologue
(x19-x30 and FPCR saved, FPCR.DN set, x19 = the CPU state), the lowering
(``lower``), the goto_tb patch word (a ``b`` to the destination, a ``nop``
when unlinked; beyond the branch's +-128 MiB, a ``b`` to the site's far
stub ``ldr x16, literal; br x16`` whose literal is written first),
instruction-cache maintenance after writing or patching code
(``__clear_cache`` of libgcc, which real AArch64 hardware requires), the
frozen host features (HWCAP) and capstone disassembly.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable, Mapping
from typing import Any

from tcgkit.native.backend import Lowered, NativeHost, Runtime
from tcgkit.tcg.ir import Op
from tcgkit.tcg.regalloc import Allocation, OpConstraint

from . import constraints
from .features import HostFeatures, detect, is_aarch64
from .lower import lower, prologue

NOP = 0xD503201F
B_RANGE = 1 << 27  # +-128 MiB


class _Allocator:
    regs = constraints.REGS

    def constraint(self, op: Op) -> OpConstraint:
        return constraints.constraint(op)

    def imm_ok(self, op: Op, index: int, value: int) -> bool:
        return constraints.imm_ok(op, index, value)


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
        self.allocator = _Allocator()
        name = ctypes.util.find_library("gcc_s") or "libgcc_s.so.1"
        # getattr: a literal __clear_cache attribute would be name-mangled in a class
        self._clear_cache = getattr(ctypes.CDLL(name), "__clear_cache")
        self._clear_cache.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
        self._clear_cache.restype = None
        super().__init__()

    def prologue(self) -> bytes:
        return prologue()

    def lower_tb(self, allocation: Allocation, tb_id: int, icount: int, rt: Runtime,
                 helper_addr: Callable[[Op], int]) -> Lowered:  # fmt: skip
        return lower(allocation, tb_id, icount, rt, helper_addr)

    def goto_tb_word(self, site: int, target: int | None) -> int:
        return branch_word(site, target)

    def link(self, tb: Any, slot: int, dest: Any) -> None:
        """A direct ``b`` when the destination is in range; otherwise the literal of
        the site's far stub is written first (one aligned 8-byte store) and the site
        branches to the stub."""
        site = tb.host.sites[slot]
        if site is None:
            return
        target = dest.host.entry
        if not -B_RANGE <= target - site < B_RANGE:
            far = tb.host.far[slot]
            self.write_code(far + 8, target.to_bytes(8, "little"))
            target = far
        self._patch(site, target)
        tb.jmp_dest[slot] = dest

    def flush_icache(self, addr: int, size: int) -> None:
        self._clear_cache(addr, addr + size)

    def disassemble_code(self, code: bytes, addr: int) -> str:
        try:
            import capstone
        except ImportError:
            return code.hex()
        md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
        return "\n".join(f"0x{i.address:016x}:  {i.mnemonic} {i.op_str}".rstrip()
                         for i in md.disasm(code, addr))  # fmt: skip

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "features": self.feat.as_dict()}
