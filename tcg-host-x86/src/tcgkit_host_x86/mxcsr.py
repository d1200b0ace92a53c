"""MXCSR as generated code's float-flag accumulator.

Owns the instruction sequences that keep the IR's flag duty (every float op ORs
its IEEE flags into ``GuestTarget.fp_flags_offset``'s word, ``tcgkit.tcg.fpflags``)
on x86-64 at no cost per op: SSE's sticky exception flags (IE ZE OE UE PE; DE is
ignored) *are* the accumulator while generated code runs.

Protocol (``tcgkit.native.layout``: ``OFF_FP_SAVE``):

* the prologue loads the default image (flags clear, ``abi.OFF_MXCSR``);
* before any call into Python (helpers, the memory slow path, out-of-line float
  ops) and at every exit, generated code stores MXCSR at ``OFF_FP_SAVE``
  (``save``); after a call it loads it back (``reload``), so that whatever Python
  computed meanwhile leaves no flag, and whatever Python folded (``fold`` below,
  ``NativeHost.fold_fp_flags``) is not counted twice;
* a rounding mode other than nearest-even is set by changing the RC field of the
  current MXCSR, not by loading a fixed image (``set_rm``/``reset_rm``), which would
  drop flags.

What the lowering must do besides (``lower_float``): no SSE instruction it uses
beyond the guest's operation may leave a flag the operation does not raise, and
x86 detects tininess after rounding where Arm detects it before: a result that is
the smallest normal number in magnitude goes out of line, where ``fpflags`` gives
the exact flags.
"""

from __future__ import annotations

from typing import Final

from tcgkit.native.layout import OFF_FP_SAVE, OFF_FP_SCRATCH

from .abi import MXCSR_BY_RM, OFF_MXCSR
from .encoder import AND, OR, RBP, Asm, Mem

#: MXCSR's exception flags: IE DE ZE OE UE PE
FLAG_MASK: Final = 0x3F
RC_MASK: Final = 0x6000
#: a word of the native block's float area the rounding-mode switch uses
OFF_RM_SCRATCH: Final = OFF_FP_SCRATCH
#: the image before an op whose attempt may raise flags it must drop (``lower_float``)
OFF_BEFORE: Final = OFF_FP_SCRATCH + 8


def to_fpflags(image: int) -> int:
    """``fpflags`` bits (IOC DZC OFC UFC IXC) of an MXCSR image: IE, then ZE OE UE PE
    one bit down (DE, input denormal, is not Arm's IDC: dropped)."""
    return (image & 1) | ((image >> 1) & 0x1E)


def stmxcsr(a: Asm, m: Mem) -> None:
    a.rm(b"\x0f\xae", 3, m, False)


def save(a: Asm) -> None:
    """MXCSR -> the image Python folds (before a call into Python, at an exit)."""
    stmxcsr(a, Mem(RBP, OFF_FP_SAVE))


def reload(a: Asm) -> None:
    """MXCSR <- the image, after a call into Python."""
    a.ldmxcsr(Mem(RBP, OFF_FP_SAVE))


def clear(a: Asm) -> None:
    """MXCSR <- the default image, flags clear (the prologue)."""
    a.ldmxcsr(Mem(RBP, OFF_MXCSR))


def save_before(a: Asm) -> None:
    """Keep MXCSR as it is before an attempt whose flags may have to be dropped."""
    stmxcsr(a, Mem(RBP, OFF_BEFORE))


def drop_since_before(a: Asm) -> None:
    """MXCSR <- what ``save_before`` kept: the attempt's flags are dropped."""
    a.ldmxcsr(Mem(RBP, OFF_BEFORE))


def set_rm(a: Asm, rm: int) -> None:
    """MXCSR's rounding control <- ``rm`` (``RoundingMode`` 0-3; nothing for 0, the
    default), the flags kept: RC is or-ed into the current image. The operation
    follows, then ``reset_rm`` with the same ``rm``."""
    if rm:
        m = Mem(RBP, OFF_RM_SCRATCH)
        stmxcsr(a, m)
        a.alu_mi(OR, m, MXCSR_BY_RM[rm] & RC_MASK, False)
        a.ldmxcsr(m)


def reset_rm(a: Asm, rm: int) -> None:
    """MXCSR's rounding control back to nearest-even after ``set_rm(a, rm)``, the
    flags the operation raised kept."""
    if rm:
        m = Mem(RBP, OFF_RM_SCRATCH)
        stmxcsr(a, m)
        a.alu_mi(AND, m, ~RC_MASK, False)
        a.ldmxcsr(m)
