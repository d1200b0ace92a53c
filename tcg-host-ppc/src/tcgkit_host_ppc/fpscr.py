"""FPSCR as generated code's float-flag accumulator (the ppc64le host).

Owns the instruction sequences that keep the IR's flag duty (every float op ORs
its IEEE flags into ``GuestTarget.fp_flags_offset``'s word, ``tcgkit.tcg.fpflags``)
on Power at no cost per op, and ``to_fpflags``, which maps FPSCR's sticky exception
bits to the ``fpflags`` bits. ``lower_float`` gives each float op Power instructions
whose FPSCR exceptions are exactly the op's ``fpflags`` (Power, like Arm, detects
tininess before rounding and, with UE = 0, sets UX only when the result is also
inexact; its fmadd raises VXIMZ for an infinity times a zero plus a quiet NaN: both
checked under qemu-ppc64le by ``tests/native_fp_flags.py``); the op or the operands
where they would not be go through ``py_op``.

FPSCR bits (the low word of the image, bit 0 the least significant; Power ISA
numbers them 32-63 from the most significant end):

    FX 31, FEX 30, VX 29, OX 28, UX 27, ZX 26, XX 25, VXSNAN 24, VXISI 23,
    VXIDI 22, VXZDZ 21, VXIMZ 20, VXVC 19, FR 18, FI 17, FPRF 16-12,
    VXSOFT 10, VXSQRT 9, VXCVI 8, VE 7, OE 6, UE 5, ZE 4, XE 3, NI 2, RN 1-0

``to_fpflags``: IOC <- any VX* bit; DZC <- ZX; OFC <- OX; UFC <- UX; IXC <- XX.
FX and VX are summaries (FEX stays 0: no exception is enabled), and FR, FI, FPRF
are the last op's status: none is a flag of the IR.

Protocol (``tcgkit.native.layout``: ``OFF_FP_SAVE``), as x86-64's MXCSR and
AArch64's FPSR:

* the prologue saves the caller's FPSCR in its frame and sets FPSCR to 0: no
  exception bit, no exception enabled (no trap), NI = 0, RN = 0 (round to nearest
  even: ``lower_float`` sets RN around an op in another mode and puts 0 back);
  the epilogue stores the image at ``OFF_FP_SAVE`` and restores the caller's FPSCR;
* before any call into Python (helpers, the memory slow path, ``py_op``),
  generated code stores FPSCR at ``OFF_FP_SAVE`` (``save``); after the call it
  loads it back (``reload``), so that the float arithmetic of Python itself leaves
  no flag, and what Python folded (``NativeHost.fold_fp_flags``: it clears the
  folded bits, ``FLAG_MASK``, in the image) is not counted twice.

Invariants: between ops, FPSCR's RN is 0 and no exception is enabled; ``save`` and
``reload`` use f0 (no float value lives in an FPR across ops or calls) and the
GPR they are given (the lowering's TMP0 or TMP1), nothing else.
"""

from __future__ import annotations

from typing import Final

from tcgkit.native import layout as L

from .encoder import Asm

FX: Final = 1 << 31
VX: Final = 1 << 29
OX: Final = 1 << 28
UX: Final = 1 << 27
ZX: Final = 1 << 26
XX: Final = 1 << 25
VXSNAN: Final = 1 << 24
VXISI: Final = 1 << 23
VXIDI: Final = 1 << 22
VXZDZ: Final = 1 << 21
VXIMZ: Final = 1 << 20
VXVC: Final = 1 << 19
VXSOFT: Final = 1 << 10
VXSQRT: Final = 1 << 9
VXCVI: Final = 1 << 8
#: the invalid-operation exception bits (each sticky): IOC
VX_ALL: Final = VXSNAN | VXISI | VXIDI | VXZDZ | VXIMZ | VXVC | VXSOFT | VXSQRT | VXCVI
#: the image's flag bits: the sticky exception bits and their summaries FX and VX
FLAG_MASK: Final = FX | VX | OX | UX | ZX | XX | VX_ALL
_F0 = 0
#: OFF_FP_SAVE as addis's high half and a signed 16-bit displacement
_LOW: Final = (L.OFF_FP_SAVE & 0xFFFF) - (0x10000 if L.OFF_FP_SAVE & 0x8000 else 0)
_HIGH: Final = (L.OFF_FP_SAVE - _LOW) >> 16


def to_fpflags(image: int) -> int:
    """``fpflags`` bits (IOC DZC OFC UFC IXC) of an FPSCR image."""
    from tcgkit.tcg.fpflags import DZC, IOC, IXC, OFC, UFC

    return ((IOC if image & VX_ALL else 0) | (DZC if image & ZX else 0)
            | (OFC if image & OX else 0) | (UFC if image & UX else 0)
            | (IXC if image & XX else 0))  # fmt: skip


def clear(a: Asm, gpr: int) -> None:
    """FPSCR <- 0 (the prologue: no flag, no enable, NI = 0, RN = 0); ``gpr`` and f0
    are clobbered."""
    a.li(gpr, 0)
    a.mtvsrd(_F0, gpr)
    a.mtfsf(0xFF, _F0)


def save(a: Asm, env: int, gpr: int) -> None:
    """FPSCR -> the image at ``OFF_FP_SAVE`` (before a call into Python, at an exit)."""
    a.mffs(_F0)
    a.addis(gpr, env, _HIGH)
    a.load("stfd", _F0, gpr, _LOW)


def reload(a: Asm, env: int, gpr: int) -> None:
    """FPSCR <- the image at ``OFF_FP_SAVE`` (after a call into Python)."""
    a.addis(gpr, env, _HIGH)
    a.load("lfd", _F0, gpr, _LOW)
    a.mtfsf(0xFF, _F0)
