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
* the jump cache: ``JC_SIZE`` entries of (pc, TB-flags key, host code, -).
"""

from __future__ import annotations

from ..exec.cpu import JMP_CACHE_BITS
from ..exec.softmmu import TLB_BITS

# -- exit codes (the low bits of the exit word) ------------------------------------------
EXIT_SHIFT = 4
EXIT_HELPER_RAISED = 4  # a helper or the memory slow path raised: see the pending exception
EXIT_AT_ENTRY = 5  # the exit request was seen before the TB ran: the pc is the TB's
# (0, 1: goto_tb slots; 2: EXIT_LOOKUP; 3: EXIT_REQUESTED, as in tcgkit.tcg.ops)

#: the memop argument of the memory slow path: this bit set means a store
STORE_FLAG = 1 << 8

# -- the native block, at negative offsets from the CPU state ------------------------------
OFF_EXIT = -8
OFF_ICOUNT = -16
OFF_UNTIL = -24
OFF_WHERE = -32
OFF_RET = -40
OFF_HOST = -64  # 4 x u32 of host-specific constants
CONTROL_SIZE = 64

TLB_SIZE = 1 << TLB_BITS
TLB_ENTRY = 32
TLB_TAG_READ, TLB_TAG_WRITE, TLB_ADDEND = 0, 8, 16
OFF_TLB = -(CONTROL_SIZE + TLB_SIZE * TLB_ENTRY)

JC_BITS = JMP_CACHE_BITS
JC_SIZE = 1 << JC_BITS
JC_ENTRY = 32
JC_PC, JC_KEY, JC_CODE = 0, 8, 16
OFF_JC = OFF_TLB - JC_SIZE * JC_ENTRY

NATIVE_SIZE = -OFF_JC  # bytes before the CPU state
INVALID_TAG = (1 << 64) - 1
