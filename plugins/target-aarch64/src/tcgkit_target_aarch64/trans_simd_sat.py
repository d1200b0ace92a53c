"""Translators: AdvSIMD saturating and rounding integer arithmetic.

Owns, vector and scalar: the rounding, inserting and saturating shifts by
immediate (SRSHR/URSHR, SRSRA/URSRA, SRI, SLI, SQSHL/UQSHL/SQSHLU, RSHRN,
SQSHRN/UQSHRN/SQRSHRN/UQRSHRN/SQSHRUN/SQRSHRUN), the shifts by register
(SSHL/USHL scalar, SRSHL/URSHL, SQSHL/UQSHL, SQRSHL/UQRSHL), the scalar
SQADD/UQADD/SQSUB/UQSUB and SQXTN/UQXTN/SQXTUN, SQABS/SQNEG, SUQADD/USQADD,
and the doubling multiplies SQDMULH/SQRDMULH, SQDMULL/SQDMLAL/SQDMLSL,
SQRDMLAH/SQRDMLSH (also by element and scalar). ``trans_simd``'s class
translators hand these opcodes over.

Saturation sets the sticky FPSR.QC (``lanes.set_qc``). Every operation is lanes
of i64 IR ops (``lanes``); no Python helper is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tcgkit.target import DisasContext
from tcgkit.tcg.builders import F_ADD, F_SAR, F_SHR, F_SUB
from tcgkit.tcg.ir import Temp

from .aliases import COND_EQ, COND_GT, COND_GTU, COND_LT, COND_LTU, COND_NE
from .bits import field
from .lanes import clamp, get_lanes, saturating_add, set_lanes, set_qc

if TYPE_CHECKING:
    from .target import AArch64Target

M64: Final = (1 << 64) - 1


def _range(esize: int, signed: bool) -> tuple[int, int]:
    if signed:
        return -(1 << (esize - 1)), (1 << (esize - 1)) - 1
    return 0, (1 << esize) - 1


def _sat_flag(dc: DisasContext) -> Temp:
    sat = dc.ctx.temp()
    dc.ctx.movi(sat, 0)
    return sat


# -- shifts ----------------------------------------------------------------------------------


def rshift(dc: DisasContext, v: Temp, sh: int, signed: bool, rounding: bool) -> Temp:
    """``v`` (a lane extended to i64) shifted right by the constant ``sh`` (1..64), rounded
    to nearest with ties up when ``rounding``: (v >> sh) plus bit sh-1 of v."""
    ctx = dc.ctx
    r = ctx.temp()
    if sh >= 64:
        if signed:
            ctx.sar(r, v, 63)
        else:
            ctx.movi(r, 0)
    else:
        ctx.binary(F_SAR if signed else F_SHR, r, v, sh)
    if rounding:
        b = ctx.temp()
        ctx.extract(b, v, sh - 1, 1)
        ctx.add(r, r, b)
    return r


def _rshift_dyn(dc: DisasContext, v: Temp, n: Temp, signed: bool, rounding: bool) -> Temp:
    """``v`` shifted right by the Temp ``n`` (1..128), rounded when ``rounding``."""
    ctx = dc.ctx
    n63, r = ctx.temp(), ctx.temp()
    ctx.movcond(n63, n, 63, 63, n, COND_GT)
    ctx.binary(F_SAR if signed else F_SHR, r, v, n63)
    if not signed:
        ctx.movcond(r, n, 63, 0, r, COND_GT)
    if rounding:
        p, b = ctx.temp(), ctx.temp()
        ctx.sub(p, n, 1)
        ctx.movcond(p, p, 63, 63, p, COND_GT)
        ctx.binary(F_SAR if signed else F_SHR, b, v, p)
        ctx.and_(b, b, 1)
        if not signed:  # bit 64 and up of an unsigned lane: zero
            ctx.movcond(b, n, 64, 0, b, COND_GT)
        ctx.add(r, r, b)
    return r


def sat_shl(dc: DisasContext, v: Temp, s: Temp | int, big: Temp | None, esize: int,
            src_signed: bool, dst_signed: bool, sat: Temp) -> Temp:  # fmt: skip
    """``v`` (a lane extended to i64) shifted left by ``s`` (0..63), saturated to the
    destination's ``esize``-bit range; ``big`` (when given) is nonzero where the real
    shift is 64 or more. The result is the lane's bits, zero-extended."""
    ctx = dc.ctx
    shifted, back, over = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.shl(shifted, v, s)
    ctx.binary(F_SAR if src_signed else F_SHR, back, shifted, s)
    ctx.setcond(over, back, v, COND_NE)
    if big is not None:
        nz = ctx.temp()
        ctx.setcond(nz, v, 0, COND_NE)
        ctx.and_(nz, nz, big)
        ctx.or_(over, over, nz)
    r = shifted
    if esize < 64:
        lo, hi = _range(esize, dst_signed)
        r = clamp(dc, shifted, lo, hi, src_signed, sat)
    limit = ctx.temp()
    if dst_signed:
        ctx.sar(limit, v, 63)
        ctx.xor(limit, limit, (1 << (esize - 1)) - 1)  # v < 0: the minimum, else the maximum
    else:
        ctx.movi(limit, (1 << esize) - 1)
    out = ctx.temp()
    ctx.movcond(out, over, 0, limit, r, COND_NE)
    ctx.or_(sat, sat, over)
    if src_signed and not dst_signed:  # SQSHLU: a negative lane saturates to zero
        neg = ctx.temp()
        ctx.setcond(neg, v, 0, COND_LT)
        ctx.movcond(out, neg, 0, 0, out, COND_NE)
        ctx.or_(sat, sat, neg)
    if esize < 64:
        ctx.extract(out, out, 0, esize)
    return out


def shift_imm(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """The shifts by immediate ``trans_simd`` does not do itself, vector or scalar."""
    q, u, immh, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 22, 19), field(
        insn, 15, 11)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    if scalar:
        q = 1
    esize = 8 << (immh.bit_length() - 1)
    amount = immh << 3 | field(insn, 18, 16)
    ctx = dc.ctx
    narrow = opcode in (0x10, 0x11, 0x12, 0x13)
    if esize == 64 and (narrow or not q):
        raise dc.invalid(insn, "reserved 64-bit lane form")
    if narrow:
        if (opcode == 0x10 and not u) or (opcode == 0x11 and not u and scalar):
            raise dc.invalid(insn, "unallocated narrowing shift")
        sh = 2 * esize - amount
        src_signed = not u or opcode in (0x10, 0x11)
        dst_signed = not u and opcode != 0x11
        wide = 2 * esize
        count = 1 if scalar else 64 // esize
        src = get_lanes(t, dc, rn, wide, count, signed=src_signed)
        rounding = bool(opcode & 1)
        sat = _sat_flag(dc)
        out = []
        for v in src:
            r = rshift(dc, v, sh, src_signed, rounding)
            if opcode == 0x11 and not u:  # RSHRN: no saturation
                out.append(r)
                continue
            lo, hi = _range(esize, dst_signed)
            r = clamp(dc, r, lo, hi, src_signed, sat)
            ctx.extract(r, r, 0, esize)
            out.append(r)
        set_lanes(t, dc, rd, out, esize, upper=bool(q) and not scalar)
        if not (opcode == 0x11 and not u):
            set_qc(t, dc, sat)
        return
    count = 1 if scalar else (128 if q else 64) // esize
    if scalar and esize != 64 and opcode not in (0x0C, 0x0E):
        raise dc.invalid(insn, "reserved scalar shift form")
    if opcode in (0x04, 0x06):  # [SU]RSHR, [SU]RSRA
        sh = 2 * esize - amount
        src = get_lanes(t, dc, rn, esize, count, signed=not u)
        acc = get_lanes(t, dc, rd, esize, count) if opcode == 0x06 else None
        out = []
        for i, v in enumerate(src):
            r = rshift(dc, v, sh, not u, True)
            if acc is not None:
                ctx.add(r, r, acc[i])
            out.append(r)
        set_lanes(t, dc, rd, out, esize)
    elif (opcode, u) in ((0x08, 1), (0x0A, 1)):  # SRI, SLI
        src = get_lanes(t, dc, rn, esize, count)
        old = get_lanes(t, dc, rd, esize, count)
        out = []
        for v, d in zip(src, old):
            r, keep = ctx.temp(), ctx.temp()
            if opcode == 0x08:
                sh = 2 * esize - amount
                if sh == esize:
                    out.append(d)
                    continue
                ctx.shr(r, v, sh)
                ctx.andc(keep, d, ((1 << esize) - 1) >> sh)
            else:
                sh = amount - esize
                ctx.shl(r, v, sh)
                ctx.and_(keep, d, (1 << sh) - 1)
            ctx.or_(r, r, keep)
            out.append(r)
        set_lanes(t, dc, rd, out, esize)
    elif opcode == 0x0E or (opcode == 0x0C and u):  # SQSHL, UQSHL, SQSHLU (immediate)
        sh = amount - esize
        src_signed = not u or opcode == 0x0C
        dst_signed = not u
        src = get_lanes(t, dc, rn, esize, count, signed=src_signed)
        sat = _sat_flag(dc)
        out = [sat_shl(dc, v, sh, None, esize, src_signed, dst_signed, sat) for v in src]
        set_lanes(t, dc, rd, out, esize)
        set_qc(t, dc, sat)
    else:
        raise dc.invalid(insn, "unsupported AdvSIMD shift by immediate")


def shift_reg(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """SSHL/USHL (scalar), [SU]RSHL, [SU]QSHL, [SU]QRSHL (three-same opcodes 8 to 11): each
    lane shifted by the signed low byte of Vm's lane, right when it is negative."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 15, 11)  # fmt: skip
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    saturating, rounding = bool(opcode & 1), bool(opcode & 2)
    if (size == 3 and not q and not scalar) or (scalar and size != 3 and not saturating):
        raise dc.invalid(insn, "reserved shift by register form")
    esize = 8 << size
    count = 1 if scalar else (128 if q else 64) // esize
    signed = not u
    ctx = dc.ctx
    a = get_lanes(t, dc, rn, esize, count, signed=signed)
    b = get_lanes(t, dc, rm, esize, count)
    sat = _sat_flag(dc)
    out = []
    for x, y in zip(a, b):
        sh, n, big, s63 = ctx.temp(), ctx.temp(), ctx.temp(), ctx.temp()
        ctx.sextract(sh, y, 0, 8)
        ctx.neg(n, sh)
        right = _rshift_dyn(dc, x, n, signed, rounding)
        ctx.movcond(s63, sh, 63, 63, sh, COND_GT)
        ctx.movcond(s63, sh, 0, 0, s63, COND_LT)  # keeps the left shift defined
        if saturating:
            ctx.setcond(big, sh, 63, COND_GT)
            left = sat_shl(dc, x, s63, big, esize, signed, signed, sat)
        else:
            left = ctx.temp()
            ctx.shl(left, x, s63)
            ctx.movcond(left, sh, 63, 0, left, COND_GT)
        r = ctx.temp()
        ctx.movcond(r, sh, 0, right, left, COND_LT)
        out.append(r)
    set_lanes(t, dc, rd, out, esize)
    if saturating:
        set_qc(t, dc, sat)


# -- saturating arithmetic ----------------------------------------------------------------------


def scalar_add_sub(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SQADD/UQADD/SQSUB/UQSUB on a B, H, S or D register."""
    u, size, opcode = field(insn, 29, 29), field(insn, 23, 22), field(insn, 15, 11)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    esize = 8 << size
    [a] = get_lanes(t, dc, rn, esize, 1, signed=not u)
    [b] = get_lanes(t, dc, rm, esize, 1, signed=not u)
    sat = _sat_flag(dc)
    set_lanes(t, dc, rd, [saturating_add(dc, a, b, esize, not u, opcode == 0x05, sat)], esize)
    set_qc(t, dc, sat)


def misc(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """SQABS/SQNEG (two-register opcode 7), SUQADD/USQADD (3), and scalar SQXTN/UQXTN/
    SQXTUN (0x14, 0x12)."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 16, 12)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    ctx = dc.ctx
    esize = 8 << size
    sat = _sat_flag(dc)
    if opcode in (0x12, 0x14):  # scalar SQXTN UQXTN SQXTUN
        if size == 3 or not scalar or (opcode == 0x12 and not u):
            raise dc.invalid(insn, "unallocated saturating narrow")
        src_signed = not (opcode == 0x14 and u)
        [v] = get_lanes(t, dc, rn, 2 * esize, 1, signed=src_signed)
        lo, hi = _range(esize, opcode == 0x14 and not u)
        r = clamp(dc, v, lo, hi, src_signed, sat)
        ctx.extract(r, r, 0, esize)
        set_lanes(t, dc, rd, [r], esize)
        set_qc(t, dc, sat)
        return
    if size == 3 and not q and not scalar:
        raise dc.invalid(insn, "reserved 64-bit lane form")
    count = 1 if scalar else (128 if q else 64) // esize
    out = []
    if opcode == 7:  # SQABS, SQNEG: only the minimum saturates
        for v in get_lanes(t, dc, rn, esize, count, signed=True):
            n, r = ctx.temp(), ctx.temp()
            ctx.neg(n, v)
            if u:
                ctx.mov(r, n)
            else:
                ctx.movcond(r, v, 0, n, v, COND_LT)
            over = ctx.temp()
            ctx.setcond(over, v, -(1 << (esize - 1)) & M64, COND_EQ)
            ctx.movcond(r, over, 0, (1 << (esize - 1)) - 1, r, COND_NE)
            ctx.or_(sat, sat, over)
            if esize < 64:
                ctx.extract(r, r, 0, esize)
            out.append(r)
    elif opcode == 3:  # SUQADD: signed + unsigned to signed; USQADD: unsigned + signed
        acc = get_lanes(t, dc, rd, esize, count, signed=not u)
        src = get_lanes(t, dc, rn, esize, count, signed=bool(u))
        lo, hi = _range(esize, not u)
        for d, v in zip(acc, src):
            r = ctx.temp()
            ctx.add(r, d, v)
            if esize < 64:
                r = clamp(dc, r, lo, hi, True, sat)
                ctx.extract(r, r, 0, esize)
            else:
                over = ctx.temp()
                if not u:  # d signed, v unsigned: past the maximum iff (d + 2**63) + v carries
                    x = ctx.temp()
                    ctx.xor(x, d, 1 << 63)
                    ctx.add(x, x, v)
                    ctx.setcond(over, x, v, COND_LTU)
                    ctx.movcond(r, over, 0, (1 << 63) - 1, r, COND_NE)
                else:  # d unsigned, v signed: below zero or past 2**64 - 1
                    under, above = ctx.temp(), ctx.temp()
                    ctx.setcond(under, r, d, COND_GTU)  # v < 0 and |v| > d
                    ctx.setcond(above, r, d, COND_LTU)  # v >= 0 and a carry out
                    neg = ctx.temp()
                    ctx.setcond(neg, v, 0, COND_LT)
                    ctx.and_(under, under, neg)
                    ctx.andc(above, above, neg)
                    ctx.movcond(r, under, 0, 0, r, COND_NE)
                    ctx.movcond(r, above, 0, M64, r, COND_NE)
                    ctx.or_(over, under, above)
                ctx.or_(sat, sat, over)
            out.append(r)
    else:
        raise dc.invalid(insn, "unsupported AdvSIMD two-register instruction")
    set_lanes(t, dc, rd, out, esize)
    set_qc(t, dc, sat)


# -- doubling multiplies ------------------------------------------------------------------------


def _mulh(dc: DisasContext, a: Temp, b: Temp, esize: int, rounding: bool, sat: Temp) -> Temp:
    """SQ[R]DMULH of one lane (esize 16 or 32, lanes sign-extended)."""
    ctx = dc.ctx
    p = ctx.temp()
    ctx.mul(p, a, b)  # |a * b| <= 2**62
    if rounding:
        ctx.add(p, p, 1 << (esize - 2))
    ctx.sar(p, p, esize - 1)
    r = clamp(dc, p, -(1 << (esize - 1)), (1 << (esize - 1)) - 1, True, sat)
    ctx.extract(r, r, 0, esize)
    return r


def _mull(dc: DisasContext, a: Temp, b: Temp, esize: int, acc: Temp | None, sub: bool,
          sat: Temp) -> Temp:  # fmt: skip
    """SQDMULL (``acc`` None), SQDMLAL, SQDMLSL of one lane into a 2 * esize lane."""
    ctx = dc.ctx
    p = ctx.temp()
    ctx.mul(p, a, b)
    d = saturating_add(dc, p, p, 2 * esize, True, False, sat)
    if acc is None:
        return d
    if esize < 32:
        ctx.sextract(d, d, 0, 2 * esize)
    return saturating_add(dc, acc, d, 2 * esize, True, sub, sat)


def mulh(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """SQDMULH (U=0), SQRDMULH (U=1): three-same opcode 0x16."""
    q, u, size = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    if size not in (1, 2):
        raise dc.invalid(insn, "unallocated doubling multiply size")
    esize = 8 << size
    count = 1 if scalar else (128 if q else 64) // esize
    a = get_lanes(t, dc, rn, esize, count, signed=True)
    b = get_lanes(t, dc, rm, esize, count, signed=True)
    sat = _sat_flag(dc)
    out = [_mulh(dc, x, y, esize, bool(u), sat) for x, y in zip(a, b)]
    set_lanes(t, dc, rd, out, esize)
    set_qc(t, dc, sat)


def mull(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """SQDMLAL (three-different opcode 9), SQDMLSL (11), SQDMULL (13), {2} forms."""
    q, size, opcode = field(insn, 30, 30), field(insn, 23, 22), field(insn, 15, 12)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    if size not in (1, 2) or field(insn, 29, 29):
        raise dc.invalid(insn, "unallocated doubling multiply long")
    esize = 8 << size
    count = 1 if scalar else 64 // esize
    part = 0 if scalar else q
    a = get_lanes(t, dc, rn, esize, count, signed=True, part=part)
    b = get_lanes(t, dc, rm, esize, count, signed=True, part=part)
    _long_out(t, dc, rd, a, b, esize, opcode != 13, opcode == 11)


def _long_out(t: AArch64Target, dc: DisasContext, rd: int, a: list[Temp], b: list[Temp],
              esize: int, accumulate: bool, sub: bool) -> None:  # fmt: skip
    acc = get_lanes(t, dc, rd, 2 * esize, len(a), signed=True) if accumulate else []
    sat = _sat_flag(dc)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        out.append(_mull(dc, x, y, esize, acc[i] if acc else None, sub, sat))
    set_lanes(t, dc, rd, out, 2 * esize)
    set_qc(t, dc, sat)


def by_element(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """By element: SQDMLAL (opcode 3), SQDMLSL (7), SQDMULL (11), SQDMULH (12),
    SQRDMULH (13), vector or scalar."""
    q, size, opcode = field(insn, 30, 30), field(insn, 23, 22), field(insn, 15, 12)
    lo_, m_, h_ = field(insn, 21, 21), field(insn, 20, 20), field(insn, 11, 11)
    rn, rd = field(insn, 9, 5), insn & 31
    if size not in (1, 2) or field(insn, 29, 29):
        raise dc.invalid(insn, "unallocated by-element form")
    esize = 8 << size
    index = (h_ << 2 | lo_ << 1 | m_) if size == 1 else (h_ << 1 | lo_)
    rm = field(insn, 19, 16) if size == 1 else m_ << 4 | field(insn, 19, 16)
    [elem] = get_lanes(t, dc, rm, esize, 1, signed=True, part=index)
    if opcode in (12, 13):
        count = 1 if scalar else (128 if q else 64) // esize
        a = get_lanes(t, dc, rn, esize, count, signed=True)
        sat = _sat_flag(dc)
        out = [_mulh(dc, x, elem, esize, opcode == 13, sat) for x in a]
        set_lanes(t, dc, rd, out, esize)
        set_qc(t, dc, sat)
        return
    count = 1 if scalar else 64 // esize
    a = get_lanes(t, dc, rn, esize, count, signed=True, part=0 if scalar else q)
    _long_out(t, dc, rd, a, [elem] * count, esize, opcode != 11, opcode == 7)


def _mlah(dc: DisasContext, acc: Temp, a: Temp, b: Temp, esize: int, sub: bool,
          sat: Temp) -> Temp:  # fmt: skip
    """SQRDMLAH/SQRDMLSH of one lane: (acc << esize) +- 2ab, rounded, high half,
    saturated; computed halved, so that 32-bit lanes fit an i64."""
    ctx = dc.ctx
    p, r = ctx.temp(), ctx.temp()
    ctx.mul(p, a, b)
    ctx.shl(r, acc, esize - 1)
    ctx.binary(F_SUB if sub else F_ADD, r, r, p)
    ctx.add(r, r, 1 << (esize - 2))
    ctx.sar(r, r, esize - 1)
    out = clamp(dc, r, -(1 << (esize - 1)), (1 << (esize - 1)) - 1, True, sat)
    ctx.extract(out, out, 0, esize)
    return out


def mlah(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """SQRDMLAH (three-same extra opcode 0), SQRDMLSH (1): U=1, halfword or word lanes."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 14, 11)  # fmt: skip
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    if not u or size not in (1, 2) or opcode > 1:
        raise dc.invalid(insn, "unsupported AdvSIMD three-same extra instruction")
    esize = 8 << size
    count = 1 if scalar else (128 if q else 64) // esize
    a = get_lanes(t, dc, rn, esize, count, signed=True)
    b = get_lanes(t, dc, rm, esize, count, signed=True)
    acc = get_lanes(t, dc, rd, esize, count, signed=True)
    sat = _sat_flag(dc)
    out = [_mlah(dc, acc[i], a[i], b[i], esize, bool(opcode), sat) for i in range(count)]
    set_lanes(t, dc, rd, out, esize)
    set_qc(t, dc, sat)


def mlah_by_element(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """SQRDMLAH (by-element opcode 13, U=1), SQRDMLSH (15)."""
    q, size, opcode = field(insn, 30, 30), field(insn, 23, 22), field(insn, 15, 12)
    lo_, m_, h_ = field(insn, 21, 21), field(insn, 20, 20), field(insn, 11, 11)
    rn, rd = field(insn, 9, 5), insn & 31
    if size not in (1, 2):
        raise dc.invalid(insn, "unallocated by-element form")
    esize = 8 << size
    index = (h_ << 2 | lo_ << 1 | m_) if size == 1 else (h_ << 1 | lo_)
    rm = field(insn, 19, 16) if size == 1 else m_ << 4 | field(insn, 19, 16)
    count = 1 if scalar else (128 if q else 64) // esize
    [elem] = get_lanes(t, dc, rm, esize, 1, signed=True, part=index)
    a = get_lanes(t, dc, rn, esize, count, signed=True)
    acc = get_lanes(t, dc, rd, esize, count, signed=True)
    sat = _sat_flag(dc)
    out = [_mlah(dc, acc[i], a[i], elem, esize, opcode == 15, sat) for i in range(count)]
    set_lanes(t, dc, rd, out, esize)
    set_qc(t, dc, sat)
