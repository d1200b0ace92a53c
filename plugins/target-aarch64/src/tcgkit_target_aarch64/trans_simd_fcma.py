"""Translators: complex-number arithmetic on FP lanes (FEAT_FCMA).

Owns FCADD (vector) and FCMLA (vector and by element) on half-, single- and
double-precision lanes. A vector holds complex numbers as (real, imaginary)
pairs of lanes; FCADD adds the second operand rotated by 90 or 270 degrees,
FCMLA multiplies and accumulates one half of a complex product per instruction
(the rotation says which half and which signs), so two FCMLAs (rotations 0 and
90) make a full complex multiply-accumulate. Each lane is an IR float op with
Arm's NaN rules (``trans_fp._propagate``, ``propagate_fma``); the rotations'
negations are sign flips before the operation, as FPNeg is, so a NaN operand
propagates with its sign flipped. Half-precision lanes are computed on doubles
and rounded once to a half, as ``trans_fp16`` explains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tcgkit.target import DisasContext
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.types import I32, I64

from .bits import field
from .lanes import fp_lanes, get_lanes, set_fp_lanes, set_lanes
from .trans_fp import _propagate, _rm, propagate_fma
from .trans_fp16 import from_half, narrow

if TYPE_CHECKING:
    from .target import AArch64Target


def _bits_of(dc: DisasContext, insn: int, size: int, q: int) -> int:
    if size == 0 or (size == 3 and not q):
        raise dc.invalid(insn, "reserved complex FP lane size")
    return 8 << size


def _width(bits: int) -> int:
    """The width lanes of ``bits`` bits are computed at (halves: as doubles)."""
    return 64 if bits == 16 else bits


def _lanes(t: AArch64Target, dc: DisasContext, reg: int, bits: int, count: int) -> list[Temp]:
    """``count`` lanes of v<reg> as temps of the width they are computed at."""
    if bits == 16:  # exactly, a signalling NaN kept signalling
        return [from_half(dc, v, 64, quiet=False) for v in get_lanes(t, dc, reg, 16, count)]
    return fp_lanes(t, dc, reg, bits, count)


def _store(t: AArch64Target, dc: DisasContext, rd: int, lanes: list[Temp], bits: int) -> None:
    if bits == 16:
        set_lanes(t, dc, rd, [narrow(dc, v) for v in lanes], 16)
    else:
        set_fp_lanes(t, dc, rd, lanes, bits)


def _neg(dc: DisasContext, v: Temp, bits: int) -> Temp:  # bits: the computing width
    r = dc.ctx.temp(I32 if bits == 32 else I64)
    dc.ctx.emit(f"fneg_f{bits}", r, v)
    return r


def fcadd(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FCADD Vd, Vn, Vm, #rot: (re, im) of n plus m rotated by 90 (rot 0) or 270."""
    q, size, rot = field(insn, 30, 30), field(insn, 23, 22), field(insn, 12, 12)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    bits = _bits_of(dc, insn, size, q)
    count = (128 if q else 64) // bits
    n, m = _lanes(t, dc, rn, bits, count), _lanes(t, dc, rm, bits, count)
    ctx = dc.ctx
    out = []
    for e in range(0, count, 2):
        w = _width(bits)
        if rot == 0:  # 90 degrees: (re - m.im, im + m.re)
            addends = (_neg(dc, m[e + 1], w), m[e])
        else:  # 270 degrees: (re + m.im, im - m.re)
            addends = (m[e + 1], _neg(dc, m[e], w))
        for i, b in zip((e, e + 1), addends):
            r = ctx.temp(I32 if w == 32 else I64)
            ctx.emit(f"fadd_f{w}", r, n[i], b, _rm(dc))
            out.append(_propagate(dc, r, [n[i], b], w))
    _store(t, dc, rd, out, bits)


def _fcmla(t: AArch64Target, dc: DisasContext, rd: int, rot: int, bits: int,
           n: list[Temp], pair: Callable[[int], tuple[Temp, Temp]]) -> None:  # fmt: skip
    """d += the half of n * m that ``rot`` selects, for every complex pair of n
    (``pair(e)``: the (re, im) of m that pairs with lanes e, e + 1)."""
    ctx = dc.ctx
    count = len(n)
    d = _lanes(t, dc, rd, bits, count)
    w = _width(bits)
    out = []
    for e in range(0, count, 2):
        m_re, m_im = pair(e)
        if rot == 0:  # (re += n.re * m.re, im += n.re * m.im)
            terms = ((n[e], m_re), (n[e], m_im))
        elif rot == 1:  # 90: (re += n.im * -m.im, im += n.im * m.re)
            terms = ((n[e + 1], _neg(dc, m_im, w)), (n[e + 1], m_re))
        elif rot == 2:  # 180: (re += n.re * -m.re, im += n.re * -m.im)
            terms = ((n[e], _neg(dc, m_re, w)), (n[e], _neg(dc, m_im, w)))
        else:  # 270: (re += n.im * m.im, im += n.im * -m.re)
            terms = ((n[e + 1], m_im), (n[e + 1], _neg(dc, m_re, w)))
        for i, (x, y) in zip((e, e + 1), terms):
            r = ctx.temp(I32 if w == 32 else I64)
            ctx.emit(f"fma_f{w}", r, x, y, d[i], _rm(dc))
            out.append(propagate_fma(dc, r, d[i], x, y, w))
    _store(t, dc, rd, out, bits)


def fcmla(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FCMLA Vd, Vn, Vm, #rot (vector): each pair of n times the same pair of m."""
    q, size, rot = field(insn, 30, 30), field(insn, 23, 22), field(insn, 12, 11)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    bits = _bits_of(dc, insn, size, q)
    count = (128 if q else 64) // bits
    n, m = _lanes(t, dc, rn, bits, count), _lanes(t, dc, rm, bits, count)
    _fcmla(t, dc, rd, rot, bits, n, lambda e: (m[e], m[e + 1]))


def fcmla_element(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FCMLA Vd, Vn, Vm.<T>[index], #rot: every pair of n times one pair of m."""
    q, size, rot = field(insn, 30, 30), field(insn, 23, 22), field(insn, 14, 13)
    h, lo, rm = field(insn, 11, 11), field(insn, 21, 21), field(insn, 20, 16)
    rn, rd = field(insn, 9, 5), insn & 31
    # the index of a complex pair: H for singles (4S only), H:L for halves (H: 8H only)
    if (size == 2 and (lo or not q)) or (size == 1 and h and not q):
        raise dc.invalid(insn, "unallocated FCMLA (by element) index or arrangement")
    if size not in (1, 2):
        raise dc.invalid(insn, "unallocated FCMLA (by element) size")
    index = h << 1 | lo if size == 1 else h
    bits = _bits_of(dc, insn, size, q)
    count = (128 if q else 64) // bits
    n = _lanes(t, dc, rn, bits, count)
    m = _lanes(t, dc, rm, bits, 128 // bits)
    _fcmla(t, dc, rd, rot, bits, n, lambda e: (m[2 * index], m[2 * index + 1]))


PATTERNS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("0x101110xx0xxxxx110xx1xxxxxxxxxx", fcmla),
    ("0x101110xx0xxxxx111x01xxxxxxxxxx", fcadd),
    ("0x101111xxxxxxxx0xx1x0xxxxxxxxxx", fcmla_element),
)
