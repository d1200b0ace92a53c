"""Translation blocks.

Owns ``TB`` (what one translated block is: key, guest extent, instruction
start addresses, host code handle, chaining state) and the ``cflags`` bits.

A TB is in tier 0 (``program`` set: interpreted, ``tier0``) or compiled
(``host`` set, by the host backend); only compiled TBs are chained.

Chaining state: ``jmp_dest[slot]`` is the TB that goto_tb ``slot`` jumps to
(None: it exits to the loop); ``jmp_incoming`` is the set of (TB, slot)
pairs that jump here, so invalidating this TB can unlink them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .tb_hash import TBKey

CF_COUNT_MASK = 0x1FF  # nonzero: at most this many instructions in the TB
CF_NOCACHE = 1 << 9  # a one-off TB: executed once, never entered in the cache
CF_NO_GOTO_TB = 1 << 10  # do not chain out of this TB
CF_SINGLE_STEP = CF_NOCACHE | 1
#: other vCPUs may run at the same time: guest atomics must be atomic for them too
#: (QEMU's CF_PARALLEL; set in every TB once an emulator has a second vCPU)
CF_PARALLEL = 1 << 11


@dataclass(eq=False, slots=True)
class TB:
    pc: int
    cs_base: int
    flags: int
    cflags: int
    page_bits: int
    size: int = 0  # guest bytes covered
    icount: int = 0  # guest instructions
    insn_pcs: tuple[int, ...] = ()
    host: Any = None  # backend's handle on the code (a function, an address)
    host_size: int = 0
    region: int = -1
    helper_calls: int = 0  # helper calls left after optimization (visible in stats)
    valid: bool = True
    #: tier 0: the interpreter's program (``tier0``), None once compiled by the host
    program: Any = None
    runs: int = 0  # tier 0: executions so far (the engine compiles it at ``tier_up``)
    ir: Any = None  # tier 0: its IR while kept (``TBCache.keep_ir``), compiled from there
    jmp_dest: list[TB | None] = field(default_factory=lambda: [None, None])
    jmp_incoming: set[tuple[TB, int]] = field(default_factory=set)

    @property
    def key(self) -> TBKey:
        return TBKey(self.pc, self.cs_base, self.flags, self.cflags, self.pc >> self.page_bits)

    @property
    def pages(self) -> range:
        """Guest page numbers holding this TB's code."""
        last = (self.pc + max(self.size, 1) - 1) >> self.page_bits
        return range(self.pc >> self.page_bits, last + 1)

    def __repr__(self) -> str:
        return (
            f"TB(pc={self.pc:#x}, size={self.size}, icount={self.icount}, cflags={self.cflags:#x})"
        )
