"""The contract between generated code and Python: exit words and the native block.

Owns numbers only. Generated code is entered through a host prologue
(``entry(state, code) -> exit word``) that keeps the CPU-state pointer in a
fixed register; every exit returns the *exit word* ``tb_id << EXIT_SHIFT |
code``.

The per-vCPU native block holds, at negative offsets from the CPU state:

* control words: the exit request (checked at every TB entry), the guest
  instruction counter, the run's ``until`` pc, the location of the running
  helper call (``tb_id << 16 | guest instruction index``), a helper's result,
  and four 32-bit words of host-specific constants (x86: the MXCSR images of
  the rounding modes; AArch64: the FPCR images);
* the software TLB: ``TLB_SIZE`` entries of (read tag, write tag, addend, -);
* the jump cache: ``JC_SIZE`` entries of (pc, TB-flags key, host code, -);
* the second-level TLB: ``L2_SIZE`` entries like the TLB's, direct-mapped by
  guest page number over a reach of ``L2_SIZE`` pages. Python fills it a whole
  RAM range at a time when it resolves a miss there (``TLBMirror.fill_range``);
  a host whose slow path probes it (``NativeHost.l2_refill``) refills a first-level
  miss from it without leaving generated code, counting each refill in
  ``OFF_REFILLS``. Whatever flushes or invalidates a first-level entry does the
  same to the second level, so an entry there is always one that ``SoftTLB.fill``
  would make now.
"""

from __future__ import annotations

from typing import Final

from ..exec.jmp_cache import JMP_CACHE_BITS
from ..exec.softmmu import L2_BITS, TLB_BITS

# -- exit codes (the low bits of the exit word) ------------------------------------------
EXIT_SHIFT: Final = 4
EXIT_HELPER_RAISED: Final = 4  # a helper or the memory slow path raised: see the pending exception
EXIT_AT_ENTRY: Final = 5  # the exit request was seen before the TB ran: the pc is the TB's
# (0, 1: goto_tb slots; 2: EXIT_LOOKUP; 3: EXIT_REQUESTED, as in tcgkit.tcg.ops)

#: the memop argument of the memory slow path: this bit set means a store
STORE_FLAG: Final = 1 << 8

# -- the native block, at negative offsets from the CPU state ------------------------------
OFF_EXIT: Final = -8
OFF_ICOUNT: Final = -16
OFF_UNTIL: Final = -24
OFF_WHERE: Final = -32
OFF_RET: Final = -40
OFF_REFILLS: Final = -48  # first-level misses refilled from the second level by generated code
OFF_HOST: Final = -64  # 4 x u32 of host-specific constants
CONTROL_SIZE: Final = 64

TLB_SIZE: Final = 1 << TLB_BITS
TLB_ENTRY: Final = 32
TLB_TAG_READ: Final = 0
TLB_TAG_WRITE: Final = 8
TLB_ADDEND: Final = 16
OFF_TLB: Final = -(CONTROL_SIZE + TLB_SIZE * TLB_ENTRY)

JC_BITS: Final = JMP_CACHE_BITS
JC_SIZE: Final = 1 << JC_BITS
JC_ENTRY: Final = 32
JC_PC: Final = 0
JC_KEY: Final = 8
JC_CODE: Final = 16
OFF_JC: Final = OFF_TLB - JC_SIZE * JC_ENTRY

L2_SIZE: Final = 1 << L2_BITS  # 128 MiB of 4 KiB pages
L2_ENTRY: Final = TLB_ENTRY  # the same (read tag, write tag, addend, -) as the first level
OFF_L2: Final = OFF_JC - L2_SIZE * L2_ENTRY

NATIVE_SIZE: Final = -OFF_L2  # bytes before the CPU state
INVALID_TAG: Final = (1 << 64) - 1
