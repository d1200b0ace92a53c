"""The ``ppc64le`` host backend: what is Power about a native backend.

Owns ``PPC64Host``, a ``tcgkit.native.NativeHost``: the ELFv2 prologue (LR,
TOC and r14-r31 saved, r27 = the CPU state), the lowering (``lower``), the
goto_tb patch word (a ``b`` within +-32 MiB, a nop when unlinked; beyond, a
``b`` to the site's far stub whose literal is written first), cache
maintenance after writing or patching code (``__clear_cache`` of libgcc:
dcbst / sync / icbi / isync), the ISA levels the kernel reports, and capstone
disassembly.
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
from .features import HostFeatures, detect, is_ppc64le
from .lower import lower, prologue

NOP = 0x60000000
B_RANGE = 1 << 25  # +-32 MiB


class _Allocator:
    regs = constraints.REGS

    def constraint(self, op: Op) -> OpConstraint:
        return constraints.constraint(op)

    def imm_ok(self, op: Op, index: int, value: int) -> bool:
        return constraints.imm_ok(op, index, value)


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

    @classmethod
    def native_here(cls) -> bool:
        return is_ppc64le()

    @classmethod
    def features(cls) -> Mapping[str, bool]:
        return detect().as_dict()

    def __init__(self, features: HostFeatures | None = None) -> None:
        if not is_ppc64le():
            raise RuntimeError("the ppc64le host backend runs only on ppc64le machines")
        self.feat = features if features is not None else detect()
        if not self.feat.isa207:
            raise RuntimeError("the ppc64le host backend needs ISA 2.07 (POWER8) or later")
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
        return lower(allocation, tb_id, icount, rt, helper_addr, self.feat)

    def goto_tb_word(self, site: int, target: int | None) -> int:
        return branch_word(site, target)

    def link(self, tb: Any, slot: int, dest: Any) -> None:
        site = tb.host.sites[slot]
        if site is None:
            return
        target = dest.host.entry
        if not -B_RANGE <= target - site < B_RANGE:
            far = tb.host.far[slot]
            self.write_code(far + 24, target.to_bytes(8, "little"))
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
        md = capstone.Cs(capstone.CS_ARCH_PPC, capstone.CS_MODE_64 | capstone.CS_MODE_LITTLE_ENDIAN)
        return "\n".join(f"0x{i.address:016x}:  {i.mnemonic} {i.op_str}".rstrip()
                         for i in md.disasm(code, addr))  # fmt: skip

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "features": self.feat.as_dict()}
