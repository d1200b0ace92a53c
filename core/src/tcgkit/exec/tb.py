"""Translation blocks.

Owns ``TB`` (what one translated block is: key, guest extent, instruction
start addresses, host code handle, chaining state) and the ``cflags`` bits.

A TB is in tier 0 (``program`` set: interpreted, ``tier0``) or compiled
(``host`` set, by the host backend); only compiled TBs are chained.

Chaining state, made when the TB is compiled (``chainable``; None in tier 0,
where a TB is never chained): ``jmp_dest[slot]`` is the TB that goto_tb
``slot`` jumps to (None: it exits to the loop); ``jmp_incoming`` is the set
of (TB, slot) pairs that jump here, so invalidating this TB can unlink them
all. A host backend reads and writes ``jmp_dest`` in ``link``/``unlink``,
which the core calls for compiled TBs only.
"""

from __future__ import annotations

from typing import Any, Final

from .tb_hash import TBKey, make_key

CF_COUNT_MASK: Final = 0x1FF  # nonzero: at most this many instructions in the TB
CF_NOCACHE: Final = 1 << 9  # a one-off TB: executed once, never entered in the cache
CF_NO_GOTO_TB: Final = 1 << 10  # do not chain out of this TB
CF_SINGLE_STEP: Final = CF_NOCACHE | 1
#: other vCPUs may run at the same time: guest atomics must be atomic for them too
#: (QEMU's CF_PARALLEL; set in every TB once an emulator has a second vCPU)
CF_PARALLEL: Final = 1 << 11


class TB:
    """One translation block (see the module docstring). A plain slotted class,
    compiled with the translator (``hatch_build``): the loop, the jump cache and
    the interpreter read its fields for every TB they run."""

    __slots__ = ("_key", "cflags", "cs_base", "flags", "helper_calls", "host", "host_size",
                 "icount", "insn_pcs", "jmp_dest", "jmp_incoming", "page_bits", "pc",
                 "phys_delta", "program", "region", "runs", "size", "valid")  # fmt: skip

    def __init__(self, pc: int, cs_base: int, flags: int, cflags: int, page_bits: int) -> None:
        self.pc = pc
        self.cs_base = cs_base
        self.flags = flags
        self.cflags = cflags
        self.page_bits = page_bits
        self.size = 0  # guest bytes covered
        self.icount = 0  # guest instructions
        self.insn_pcs: tuple[int, ...] = ()
        self.host: Any = None  # backend's handle on the code (a function, an address)
        self.host_size = 0
        self.region = -1
        self.helper_calls = 0  # helper calls left after optimization (visible in stats)
        self.valid = True
        #: tier 0: the interpreter's program (``tier0``), None once compiled by the host
        self.program: Any = None
        self.runs = 0  # tier 0: executions so far (the engine compiles it at ``tier_up``)
        # chaining state (``chainable``): most TBs of cold code stay in tier 0, and two
        # containers each would be much of what the cyclic collector traverses after a run
        self.jmp_dest: list[TB | None] | None = None
        self.jmp_incoming: set[tuple[TB, int]] | None = None
        self._key: TBKey | None = None  # made on first use (insert, replace, remove)
        #: physical address - virtual address of the code (``exec.vtlb``: translation
        #: on; 0 otherwise): the key has the virtual pc, the page lists the physical page
        self.phys_delta = 0

    def chainable(self) -> None:
        """Give the TB its chaining state, before the host backend compiles it."""
        self.jmp_dest = [None, None]
        self.jmp_incoming = set()

    @property
    def key(self) -> TBKey:
        key = self._key
        if key is None:
            key = self._key = make_key(TBKey, (self.pc, self.cs_base, self.flags,
                                               self.cflags, self.pc >> self.page_bits))  # fmt: skip
        return key

    @property
    def first_page(self) -> int:
        """The first guest page number holding this TB's code (two ints rather than a
        ``range``: the compiled TB cache loops over them natively)."""
        return (self.pc + self.phys_delta) >> self.page_bits

    @property
    def last_page(self) -> int:
        """The last guest page number holding this TB's code."""
        return (self.pc + self.phys_delta + max(self.size, 1) - 1) >> self.page_bits

    def __repr__(self) -> str:
        return (
            f"TB(pc={self.pc:#x}, size={self.size}, icount={self.icount}, cflags={self.cflags:#x})"
        )
