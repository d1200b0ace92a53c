"""FPSR as generated code's float-flag accumulator (the AArch64 host).

Owns the instruction sequences that keep the IR's flag duty (every float op ORs
its IEEE flags into ``GuestTarget.fp_flags_offset``'s word, ``tcgkit.tcg.fpflags``)
on A64 at no cost per op. The IR's float semantics are Arm's, and ``lower_float``
gives each float op one A64 instruction of the same operation (FCMP for ``fcmp``,
never FCMPE; FRINTN/P/M/Z/A, not FRINTX, for ``frint``; the conversions with the
op's saturation width): the cumulative bits the host sets in FPSR are then the
guest's, at the same positions (IOC DZC OFC UFC IXC, bits 0-4; Arm detects
tininess before rounding on both sides). IDC (bit 7) is never set here: the host's
FPCR.FZ stays 0, flushing to zero is the IR's (``flush_zero``). Other FPSR bits
(QC of a saturating vector instruction) are not flags of the IR and are masked.

Protocol (``tcgkit.native.layout``: ``OFF_FP_SAVE``), as x86-64's MXCSR:

* the prologue saves the caller's FPSR and clears it; the epilogue restores it;
* before any call into Python (helpers, the memory slow path, ``py_op``) and at
  every exit, generated code stores FPSR at ``OFF_FP_SAVE`` (``save``); after a
  call it loads it back (``reload``), so that the float arithmetic of Python itself
  leaves no flag, and what Python folded (``NativeHost.fold_fp_flags``: it clears
  the folded bits in the image) is not counted twice.

``save`` and ``reload`` use x16 and x17 only (the lowering's TMP0 and TMP1).
"""

from __future__ import annotations

from typing import Final

from tcgkit.native import layout as L

from .encoder import Asm

#: FPSR's cumulative exception bits: IDC, IXC, UFC, OFC, DZC, IOC (the ``fpflags`` bits)
FLAG_MASK: Final = 0x9F
_X16, _X17 = 16, 17
#: OFF_FP_SAVE as a 4 KiB-multiple below the state (one sub) and the rest (an unscaled
#: offset)
_HIGH: Final = -L.OFF_FP_SAVE + 0xFFF & ~0xFFF
_LOW: Final = L.OFF_FP_SAVE + _HIGH


def mrs_fpsr(a: Asm, rt: int) -> None:
    a.emit(0xD53B4420 | rt)


def msr_fpsr(a: Asm, rt: int) -> None:
    a.emit(0xD51B4420 | rt)


def save(a: Asm, env: int) -> None:
    """FPSR -> the image Python folds (before a call into Python, at an exit)."""
    mrs_fpsr(a, _X16)
    a.add_imm(_X17, env, _HIGH, sub=True)
    a.ldst(3, 0, _X16, _X17, _LOW)


def reload(a: Asm, env: int) -> None:
    """FPSR <- the image, after a call into Python."""
    a.add_imm(_X17, env, _HIGH, sub=True)
    a.ldst(3, 1, _X16, _X17, _LOW)
    msr_fpsr(a, _X16)
