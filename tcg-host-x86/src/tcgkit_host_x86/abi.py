"""The x86-64 side of the calling convention generated code shares with Python.

Owns the System V frame of generated code and the x86 constants of the
native block; the block itself and the exit words are the core's
(``tcgkit.native.layout``, re-exported here for the lowering). Generated code
is entered through the prologue (``entry(state, code) -> exit word``: rdi,
rsi in, rax out), which pushes the callee-saved registers, reserves a fixed
frame, loads rbp with the CPU-state pointer and jumps to the code; every exit
runs the epilogue and returns the exit word.
"""

from __future__ import annotations

from typing import Final

from tcgkit.native.layout import (
    CONTROL_SIZE,
    EXIT_AT_ENTRY,
    EXIT_HELPER_RAISED,
    EXIT_SHIFT,
    INVALID_TAG,
    JC_BITS,
    JC_CODE,
    JC_ENTRY,
    JC_KEY,
    JC_PC,
    JC_SIZE,
    L2_SIZE,
    NATIVE_SIZE,
    NL_FN,
    OFF_EXIT,
    OFF_FP_SAVE,
    OFF_FP_SCRATCH,
    OFF_HOST,
    OFF_ICOUNT,
    OFF_JC,
    OFF_L2,
    OFF_NL,
    OFF_REFILLS,
    OFF_RET,
    OFF_TLB,
    OFF_UNTIL,
    OFF_WHERE,
    STORE_FLAG,
    TLB_ADDEND,
    TLB_ENTRY,
    TLB_SIZE,
    TLB_TAG_READ,
    TLB_TAG_WRITE,
)

# -- the frame -------------------------------------------------------------------------
SAVED: Final = ("rbp", "rbx", "r12", "r13", "r14", "r15")  # pushed by the prologue, in order
SLOTS_SIZE: Final = 16384  # spill slots and TB-scoped temps, at [rsp + slot]
FRAME: Final = SLOTS_SIZE + 8  # keeps rsp 16-byte aligned at calls (6 pushes + return address)

# -- the native block's host words: the MXCSR image of each rounding mode ---------------
OFF_MXCSR: Final = OFF_HOST  # 4 x u32: MXCSR for NEAREST_EVEN, UP, DOWN, ZERO
MXCSR_DEFAULT: Final = 0x1F80  # all exceptions masked, round to nearest even
MXCSR_BY_RM: Final = (0x1F80, 0x5F80, 0x3F80, 0x7F80)  # RoundingMode 0..3 -> RC bits

__all__ = [
    "CONTROL_SIZE", "EXIT_AT_ENTRY", "EXIT_HELPER_RAISED", "EXIT_SHIFT", "FRAME",
    "INVALID_TAG", "JC_BITS", "JC_CODE", "JC_ENTRY", "JC_KEY", "JC_PC", "JC_SIZE", "L2_SIZE",
    "MXCSR_BY_RM", "MXCSR_DEFAULT", "NATIVE_SIZE", "NL_FN", "OFF_EXIT", "OFF_FP_SAVE",
    "OFF_FP_SCRATCH", "OFF_HOST", "OFF_ICOUNT",
    "OFF_JC", "OFF_L2", "OFF_MXCSR", "OFF_NL", "OFF_REFILLS", "OFF_RET", "OFF_TLB", "OFF_UNTIL",
    "OFF_WHERE", "SAVED",
    "SLOTS_SIZE", "STORE_FLAG", "TLB_ADDEND", "TLB_ENTRY", "TLB_SIZE", "TLB_TAG_READ",
    "TLB_TAG_WRITE",
]  # fmt: skip
