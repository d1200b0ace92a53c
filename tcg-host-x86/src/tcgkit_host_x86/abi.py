"""The calling convention and memory layout generated code shares with Python.

Owns the numbers both sides must agree on; no code. Generated code is
entered through the prologue (``entry(state, code) -> exit word``, System V:
rdi, rsi in, rax out), which saves the callee-saved registers, reserves a
fixed frame, loads rbp with the CPU-state pointer and jumps to the code.
Every exit from generated code runs the epilogue inline and returns the
*exit word* ``tb_id << EXIT_SHIFT | code``.

The per-vCPU native block (allocated by the runtime) holds, at negative
offsets from the CPU state that rbp points to:

* control words: the exit request, the instruction counter, the run's
  ``until`` pc, the location of the running helper call, a helper's result,
  the MXCSR images of the four rounding modes;
* the software TLB: ``TLB_SIZE`` entries of (read tag, write tag, addend, -);
* the jump cache: ``JC_SIZE`` entries of (pc, flags key, host code, -).
"""

from __future__ import annotations

from tcgkit.exec.cpu import JMP_CACHE_BITS
from tcgkit.exec.softmmu import TLB_BITS

# -- exit codes (the low bits of the exit word) ------------------------------------
EXIT_SHIFT = 4
EXIT_HELPER_RAISED = 4  # a helper or the memory slow path raised: see the pending exception
EXIT_AT_ENTRY = 5  # the exit request was seen before the TB ran: the pc is the TB's
# (0, 1: goto_tb slots; 2: EXIT_LOOKUP; 3: EXIT_REQUESTED, as in tcgkit.tcg.ops)

# -- the frame -------------------------------------------------------------------------
SAVED = ("rbp", "rbx", "r12", "r13", "r14", "r15")  # pushed by the prologue, in order
SLOTS_SIZE = 16384  # spill slots and TB-scoped temps, at [rsp + slot]
FRAME = SLOTS_SIZE + 8  # keeps rsp 16-byte aligned at calls (6 pushes + return address)

# -- the native block, at negative offsets from the CPU state --------------------------
OFF_EXIT = -8
OFF_ICOUNT = -16
OFF_UNTIL = -24
OFF_WHERE = -32  # tb_id << 16 | guest instruction index of the running call
OFF_RET = -40  # a helper's result
OFF_MXCSR = -64  # 4 x u32: MXCSR for NEAREST_EVEN, UP, DOWN, ZERO
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

MXCSR_DEFAULT = 0x1F80  # all exceptions masked, round to nearest even
MXCSR_BY_RM = (0x1F80, 0x5F80, 0x3F80, 0x7F80)  # RoundingMode 0..3 -> RC bits
INVALID_TAG = (1 << 64) - 1
