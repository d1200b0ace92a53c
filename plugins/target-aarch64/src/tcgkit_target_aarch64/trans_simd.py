"""Translators: AdvSIMD lane operations.

Owns the vector instructions gcc emits for auto-vectorized loops beyond the
immediate/dup/three-same-logic group of ``trans_fp``: shifts by immediate
(SHL, SSHR/USHR, SSRA/USRA, SHRN, SSHLL/USHLL), three-different (widening
multiply and multiply-accumulate, widening add/sub, wide add/sub, absolute
differences and their accumulation, high-half narrowing add/sub with and
without rounding), two-register misc
(XTN, FCVTN, FCVTL, NOT, NEG, ABS, CMxx #0, CNT, REV16/32/64, SCVTF/UCVTF,
FCVTZS/FCVTZU, vector and scalar),
permutes (UZP, ZIP, TRN), EXT, element moves (INS, UMOV, SMOV, DUP element),
across-lanes reductions (ADDV, [SU]MAXV, [SU]MINV) and the integer and FP
three-same arithmetic (MUL, MLA, MLS, CMGT/CMHI/CMGE/CMHS, [SU]MAX/MIN, ADDP,
FADD/FSUB/FMUL/FDIV/FMLA/FMLS/FMAX/FMIN).

Every operation is lanes of i64 IR ops: a vector register is its two 64-bit
halves (``vlo``/``vhi`` globals); lanes are extracted, computed on, and
deposited back (``lanes``). No Python helper is called.

Split off by instruction group (the class translators here hand those opcodes
over): ``trans_simd_sat`` (saturating and rounding arithmetic and shifts, the
doubling multiplies, FPSR.QC), ``trans_simd_int`` (pairwise long adds, SHLL,
CLS/CLZ/RBIT, halving adds, absolute differences, PMUL/PMULL, widening multiplies
by element, TBL/TBX, scalar three-same integer ops), ``trans_simd_fp`` (FP
compares, FABD, FMULX, FRECPS/FRSQRTS, pairwise and across-lanes FP, FCVT* by
rounding mode, FRINT32/64, fixed-point conversions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from tcgkit.target import DisasContext
from tcgkit.tcg.builders import F_ADD, F_SAR, F_SHR, F_SUB
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.types import I32, I64, RoundingMode

from . import trans_fp16 as fp16
from . import trans_simd_fp as simd_fp
from . import trans_simd_int as simd_int
from . import trans_simd_sat as simd_sat
from .aliases import (
    COND_EQ,
    COND_GE,
    COND_GEU,
    COND_GT,
    COND_GTU,
    COND_LE,
    COND_LT,
    COND_LTU,
    RM_DOWN,
    RM_NEAREST_AWAY,
    RM_NEAREST_EVEN,
    RM_UP,
    RM_ZERO,
)
from .bits import field
from .lanes import (
    clamp,
    fp_lanes,
    get_lanes,
    saturating_add,
    set_fp_lanes,
    set_lanes,
    set_qc,
    swar_add,
    swar_compare,
    swar_mul32,
    swar_narrow,
    swar_shift,
)
from .lanes import esize_of as _esize
from .trans_fp import _propagate, _rm, frint_mode, frintx_inexact, propagate_fma
from .trans_fp import nan_narrow as _nan_narrow
from .trans_fp import nan_widen as _nan_widen

if TYPE_CHECKING:
    from .target import AArch64Target

M64: Final = (1 << 64) - 1


# -- shifts by immediate -------------------------------------------------------------------


def shift_imm(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    q, u, immh, immb, opcode = (field(insn, 30, 30), field(insn, 29, 29), field(insn, 22, 19),
                                field(insn, 18, 16), field(insn, 15, 11))  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    if not immh:  # the modified-immediate space: what trans_fp does not take is unallocated
        raise dc.invalid(insn, "unallocated modified immediate")
    esize = 8 << (immh.bit_length() - 1)
    if esize == 64 and not q and opcode not in (0x10, 0x14):
        raise dc.invalid(insn, "reserved 64-bit lane form")
    amount = immh << 3 | immb
    right, left = 2 * esize - amount, amount - esize
    ctx = dc.ctx
    count = (128 if q else 64) // esize
    if esize < 64 and (opcode in (0, 2) or (opcode == 10 and not u)):
        # [SU]SHR, [SU]SRA, SHL on narrow lanes: a whole half at once (SWAR)
        out = []
        for half in (t.vlo, t.vhi)[: 2 if q else 1]:
            if opcode == 10:
                r = swar_shift(dc, half[rn], esize, left, "shl")
            else:
                r = swar_shift(dc, half[rn], esize, right, "shr" if u else "sar")
                if opcode == 2:
                    r = swar_add(dc, r, half[rd], esize)
            out.append(r)
        set_lanes(t, dc, rd, out, 64, clean=True)
    elif opcode in (0, 2):  # [SU]SHR, [SU]SRA
        src = get_lanes(t, dc, rn, esize, count, signed=not u)
        acc = get_lanes(t, dc, rd, esize, count) if opcode == 2 else None
        out = []
        for i, v in enumerate(src):
            r = ctx.temp()
            if right >= esize:  # a shift by the element size: all sign bits, or zero
                if u:
                    ctx.movi(r, 0)
                else:
                    ctx.sar(r, v, esize - 1)
            else:
                ctx.binary(F_SHR if u else F_SAR, r, v, right)
            if acc is not None:
                ctx.add(r, r, acc[i])
            out.append(r)
        set_lanes(t, dc, rd, out, esize)
    elif opcode == 10 and not u:  # SHL
        src = get_lanes(t, dc, rn, esize, count)
        out = []
        for v in src:
            r = ctx.temp()
            ctx.shl(r, v, left)
            out.append(r)
        set_lanes(t, dc, rd, out, esize)
    elif opcode == 0x10 and not u:  # SHRN{2}: narrow to half-width lanes
        if esize == 64:
            raise dc.invalid(insn, "reserved SHRN form")
        narrowed = swar_narrow(dc, t.vlo[rn], t.vhi[rn], esize, 2 * esize - amount)
        set_lanes(t, dc, rd, [narrowed], 64, upper=bool(q), clean=True)
    elif opcode == 0x14:  # [SU]SHLL{2} (SXTL/UXTL when the shift is 0)
        if esize == 64:
            raise dc.invalid(insn, "reserved SHLL form")
        src = get_lanes(t, dc, rn, esize, 64 // esize, signed=not u, part=q)
        out = []
        for v in src:
            r = ctx.temp()
            ctx.shl(r, v, left)
            out.append(r)
        set_lanes(t, dc, rd, out, 2 * esize)
    elif opcode in (0x1C, 0x1F):
        simd_fp.fixed_vector(t, dc, insn)
    else:
        simd_sat.shift_imm(t, dc, insn)


def scalar_shift_imm(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """The scalar shifts by immediate of a D register (the upper half of Vd cleared):
    SSHR/USHR, SSRA/USRA, SHL."""
    u, immh, immb, opcode = (field(insn, 29, 29), field(insn, 22, 19), field(insn, 18, 16),
                             field(insn, 15, 11))  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    if opcode in (0x1C, 0x1F):
        simd_fp.fixed_vector(t, dc, insn, scalar=True)
        return
    if immh < 8 or opcode not in (0, 2, 0x0A) or (opcode == 0x0A and u):
        simd_sat.shift_imm(t, dc, insn, scalar=True)
        return
    amount = immh << 3 | immb
    ctx = dc.ctx
    v = get_lanes(t, dc, rn, 64, 1)[0]
    r = ctx.temp()
    if opcode == 0x0A:  # SHL
        ctx.shl(r, v, amount - 64)
    else:
        right = 128 - amount
        if right == 64:  # all sign bits, or zero
            if u:
                ctx.movi(r, 0)
            else:
                ctx.sar(r, v, 63)
        else:
            ctx.binary(F_SHR if u else F_SAR, r, v, right)
        if opcode == 2:
            ctx.add(r, r, get_lanes(t, dc, rd, 64, 1)[0])
    set_lanes(t, dc, rd, [r], 64)


# -- three different -----------------------------------------------------------------------


def three_diff(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 15, 12)  # fmt: skip
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    if opcode in (9, 11, 13):
        simd_sat.mull(t, dc, insn)
        return
    if opcode == 14 and not u:
        simd_int.pmull(t, dc, insn)
        return
    if size == 3 or opcode not in (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12):
        raise dc.invalid(insn, "unsupported AdvSIMD three-different instruction")
    esize = _esize(size)
    count = 64 // esize
    ctx = dc.ctx
    if opcode in (4, 6):  # [R]ADDHN{2}, [R]SUBHN{2}: the high halves of wide sums
        _high_narrow(t, dc, rd, rn, rm, esize, q, subtract=opcode == 6, rounding=bool(u))
        return
    if opcode in (1, 3):  # [SU]ADDW{2}, [SU]SUBW{2}: wide lanes with widened ones
        a = get_lanes(t, dc, rn, 2 * esize, count)
    else:
        a = get_lanes(t, dc, rn, esize, count, signed=not u, part=q)
    b = get_lanes(t, dc, rm, esize, count, signed=not u, part=q)
    acc = get_lanes(t, dc, rd, 2 * esize, count) if opcode in (5, 8, 10) else None
    out = []
    for i in range(count):
        r = ctx.temp()
        if opcode in (0, 1):
            ctx.add(r, a[i], b[i])
        elif opcode in (2, 3):
            ctx.sub(r, a[i], b[i])
        elif opcode in (5, 7):  # [SU]ABAL{2}, [SU]ABDL{2}: absolute differences
            neg = ctx.temp()
            ctx.sub(r, a[i], b[i])
            ctx.neg(neg, r)
            ctx.movcond(r, r, 0, neg, r, COND_LT)
            if opcode == 5:
                ctx.add(r, acc[i], r)  # type: ignore[index]
        else:
            ctx.mul(r, a[i], b[i])
            if opcode == 8:
                ctx.add(r, acc[i], r)  # type: ignore[index]
            elif opcode == 10:
                ctx.sub(r, acc[i], r)  # type: ignore[index]
        out.append(r)
    set_lanes(t, dc, rd, out, 2 * esize)


def _high_narrow(t: AArch64Target, dc: DisasContext, rd: int, rn: int, rm: int, esize: int,
                 q: int, subtract: bool, rounding: bool) -> None:  # fmt: skip
    """The high ``esize`` bits of each ``2 * esize``-bit sum or difference of v<rn> and
    v<rm> (plus half a unit with ``rounding``), into v<rd> (its upper half with ``q``)."""
    ctx = dc.ctx
    wide = 2 * esize
    a = get_lanes(t, dc, rn, wide, 128 // wide)
    b = get_lanes(t, dc, rm, wide, 128 // wide)
    out = []
    for x, y in zip(a, b):
        r = ctx.temp()
        ctx.binary(F_SUB if subtract else F_ADD, r, x, y)
        if rounding:
            ctx.add(r, r, 1 << (esize - 1))
        ctx.extract(r, r, esize, esize)  # modulo 2**wide, then its high half
        out.append(r)
    set_lanes(t, dc, rd, out, esize, upper=bool(q))


# -- two-register misc ---------------------------------------------------------------------


def two_misc(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 16, 12)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    handover = _MISC_HANDOVER.get((opcode, u, size >> 1))
    if handover is not None:
        handover(t, dc, insn)
        return
    ctx = dc.ctx
    esize = _esize(size)
    count = (128 if q else 64) // esize
    if opcode == 0x12 and not u and size < 3:  # XTN{2}: a whole half at once (SWAR)
        narrowed = swar_narrow(dc, t.vlo[rn], t.vhi[rn], esize)
        set_lanes(t, dc, rd, [narrowed], 64, upper=bool(q), clean=True)
        return
    if (opcode == 0x14 or (opcode == 0x12 and u)) and size < 3:  # SQXTN UQXTN SQXTUN
        src_signed = not (opcode == 0x14 and u)
        dst_signed = opcode == 0x14 and not u
        src = get_lanes(t, dc, rn, 2 * esize, 64 // esize, signed=src_signed)
        lo, hi = ((-(1 << (esize - 1)), (1 << (esize - 1)) - 1) if dst_signed
                  else (0, (1 << esize) - 1))  # fmt: skip
        sat = ctx.temp()
        ctx.movi(sat, 0)
        out = []
        for v in src:
            r = clamp(dc, v, lo, hi, src_signed, sat)
            ctx.extract(r, r, 0, esize)
            out.append(r)
        set_lanes(t, dc, rd, out, esize, upper=bool(q))
        set_qc(t, dc, sat)
        return
    if opcode == 0x16 and u and size == 1:  # FCVTXN{2}: double -> single, rounding to odd
        simd_fp.fcvtxn(t, dc, insn)
        return
    if opcode == 0x16 and not u and size < 2:  # FCVTN{2}: double -> single, or single -> half
        if size == 0:
            fp16.fcvtn(t, dc, insn)
            return
        src = get_lanes(t, dc, rn, 64, 2)
        out = []
        for v in src:
            r32, r = ctx.temp(I32), ctx.temp()
            ctx.fcvt_f64_f32(r32, v, _rm(dc))
            r32 = _nan_narrow(dc, v, r32)
            ctx.extu_i32_i64(r, r32)
            out.append(r)
        set_lanes(t, dc, rd, out, 32, upper=bool(q))
        return
    if opcode == 0x17 and not u and size == 0:  # FCVTL{2}: half -> single
        fp16.fcvtl(t, dc, insn)
        return
    if opcode == 0x17 and not u and size == 1:  # FCVTL{2}: single -> double
        src = get_lanes(t, dc, rn, 32, 2, part=q)
        out = []
        for v in src:
            a32, r = ctx.temp(I32), ctx.temp()
            ctx.extrl_i64_i32(a32, v)
            ctx.fcvt_f32_f64(r, a32, _rm(dc))
            out.append(_nan_widen(dc, a32, r))
        set_lanes(t, dc, rd, out, 64)
        return
    if opcode == 5 and u and size == 1:  # RBIT
        simd_int.misc(t, dc, insn)
        return
    if opcode == 5 and size == 0:  # CNT (u=0), NOT (u=1)
        src = get_lanes(t, dc, rn, 8, count)
        out = []
        for v in src:
            r = ctx.temp()
            if u:
                ctx.xor(r, v, 0xFF)
            else:
                ctx.ctpop(r, v)
            out.append(r)
        set_lanes(t, dc, rd, out, 8)
        return
    if opcode in (0x1D, 0x1B):
        _fp_int_vector(t, dc, insn, q, u, size, opcode, rn, rd)
        return
    if (opcode, u) in ((0, 0), (0, 1), (1, 0)):  # REV64, REV32, REV16
        container = {(0, 0): 64, (0, 1): 32, (1, 0): 16}[(opcode, u)]
        if esize >= container:
            raise dc.invalid(insn, "unallocated REV element size")
        _per_half(t, dc, rd, q, lambda h: _reverse_lanes(dc, h[rn], esize, container))
        return
    fp_op = _FP_MISC.get((opcode, u, size >> 1))
    if fp_op is not None:
        _fp_misc_vector(t, dc, insn, q, size & 1, fp_op, rn, rd)
        return
    if size == 3 and not q:
        raise dc.invalid(insn, "reserved 64-bit lane form")
    zero_cmp = _SWAR_CMP0.get((opcode, u)) if size < 3 else None
    if zero_cmp is not None:  # CMxx #0 on all lanes of a half at once
        cond, swap = zero_cmp
        _per_half(t, dc, rd, q, lambda h: swar_compare(dc, 0, h[rn], esize, cond) if swap
                  else swar_compare(dc, h[rn], 0, esize, cond))  # fmt: skip
        return
    src = get_lanes(t, dc, rn, esize, count, signed=True)
    set_lanes(t, dc, rd, _int_misc(dc, insn, u, opcode, src), esize)


#: compares with zero (opcode, U) -> (SWAR condition, zero first)
_SWAR_CMP0: Final = {(0x08, 0): ("gt", False), (0x08, 1): ("ge", False),
                     (0x09, 0): ("eq", False), (0x09, 1): ("ge", True),
                     (0x0A, 0): ("gt", True)}  # fmt: skip


def _reverse_lanes(dc: DisasContext, v: Temp, esize: int, container: int) -> Temp:
    """The ``esize``-bit lanes of a 64-bit half reversed within each ``container``:
    swaps of ever larger blocks (bytes by ``bswap64``, halves of the half by a rotation,
    others by two masks), the widest first; reversing 64 bits of bytes needs only bswap."""
    ctx = dc.ctx
    r = ctx.temp()
    ctx.mov(r, v)
    block = container // 2
    if esize == 8 and container >= 32:
        ctx.bswap64(r, r)  # every byte reversed: undo the blocks wider than the container
        block = 32
        while block >= container:
            _swap_blocks(dc, r, block)
            block //= 2
        return r
    while block >= esize:
        _swap_blocks(dc, r, block)
        block //= 2
    return r


def _swap_blocks(dc: DisasContext, r: Temp, block: int) -> None:
    """Swap each pair of adjacent ``block``-bit blocks of ``r`` in place."""
    ctx = dc.ctx
    if block == 32:
        ctx.rotr(r, r, 32)
        return
    low = (M64 // ((1 << (2 * block)) - 1)) * ((1 << block) - 1)  # the low block of each pair
    a, b = ctx.temp(), ctx.temp()
    ctx.shr(a, r, block)
    ctx.and_(a, a, low)
    ctx.and_(b, r, low)
    ctx.shl(b, b, block)
    ctx.or_(r, a, b)


def _misc_handover() -> dict[tuple[int, int, int], Callable[..., None]]:
    """Two-register misc (opcode, U, size<1>) -> the translator of another module."""
    table: dict[tuple[int, int, int], Callable[..., None]] = {}
    for u in (0, 1):
        for hi in (0, 1):
            table[(2, u, hi)] = table[(6, u, hi)] = simd_int.pairwise_long
            table[(4, u, hi)] = simd_int.misc
            table[(3, u, hi)] = table[(7, u, hi)] = simd_sat.misc
        table[(0x13, 1, u)] = simd_int.misc
        for op in (0x1A, 0x1B, 0x1C):
            if (op, u) != (0x1B, 1) and (op, u) != (0x1C, 1):
                table[(op, u, 0)] = simd_fp.two_misc
        table[(0x1A, u, 1)] = simd_fp.two_misc
        table[(0x0C, u, 1)] = table[(0x0D, u, 1)] = simd_fp.two_misc
        table[(0x1E, u, 0)] = table[(0x1F, u, 0)] = simd_fp.two_misc
    table[(0x0E, 0, 1)] = simd_fp.two_misc
    for u in (0, 1):  # FRECPE FRSQRTE, URECPE URSQRTE
        table[(0x1D, u, 1)] = table[(0x1C, u, 1)] = simd_fp.two_misc
    table[(0x1B, 1, 0)] = simd_fp.two_misc  # FCVTMU
    table[(0x1C, 1, 0)] = simd_fp.two_misc  # FCVTAU
    return table


_MISC_HANDOVER: Final = _misc_handover()


def scalar_two_misc(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """The scalar forms of two-register misc (the rest of Vd cleared): on a D register
    CMGT/CMGE/CMEQ/CMLE/CMLT #0, ABS, NEG; SCVTF/UCVTF and FCVTZS/FCVTZU on an S or D
    register."""
    u, size, opcode = field(insn, 29, 29), field(insn, 23, 22), field(insn, 16, 12)
    rn, rd = field(insn, 9, 5), insn & 31
    if opcode in (3, 7, 0x14) or (opcode == 0x12 and u):
        simd_sat.misc(t, dc, insn, scalar=True)
        return
    if opcode == 0x16 and u and size == 1:
        simd_fp.fcvtxn(t, dc, insn, scalar=True)
        return
    if size >> 1 and (opcode == 0x1D or (opcode, u) == (0x1F, 0)):  # FRECPE FRSQRTE FRECPX
        simd_fp.two_misc(t, dc, insn, scalar=True)
        return
    handover = _MISC_HANDOVER.get((opcode, u, size >> 1))
    if handover is simd_fp.two_misc and opcode not in (0x1E, 0x1F):
        simd_fp.two_misc(t, dc, insn, scalar=True)
        return
    if opcode in (0x1D, 0x1B):
        _fp_int_vector(t, dc, insn, 1, u, size, opcode, rn, rd, scalar=True)
        return
    if size != 3 or opcode not in (0x08, 0x09, 0x0A, 0x0B):
        raise dc.invalid(insn, "unsupported AdvSIMD scalar two-register instruction")
    src = get_lanes(t, dc, rn, 64, 1, signed=True)
    set_lanes(t, dc, rd, _int_misc(dc, insn, u, opcode, src), 64)


def _int_misc(dc: DisasContext, insn: int, u: int, opcode: int, src: list[Temp]) -> list[Temp]:
    """Integer two-register misc on each lane of ``src`` (sign-extended lanes)."""
    ctx = dc.ctx
    out = []
    for v in src:
        r = ctx.temp()
        if opcode == 0x0B:  # ABS (u=0) / NEG (u=1)
            if u:
                ctx.neg(r, v)
            else:
                n = ctx.temp()
                ctx.neg(n, v)
                ctx.movcond(r, v, 0, n, v, COND_LT)
        elif opcode in (0x08, 0x09, 0x0A):  # CMGT/CMGE #0, CMEQ/CMLE #0, CMLT #0
            cond = {(0x08, 0): COND_GT, (0x08, 1): COND_GE, (0x09, 0): COND_EQ,
                    (0x09, 1): COND_LE, (0x0A, 0): COND_LT}.get((opcode, u))  # fmt: skip
            if cond is None:
                raise dc.invalid(insn, "unallocated compare with zero")
            ctx.negsetcond(r, v, 0, cond)
        else:
            raise dc.invalid(insn, "unsupported AdvSIMD two-register instruction")
        out.append(r)
    return out


#: (opcode, U, size<1>) of FP two-register misc -> (IR op, FRINT rounding mode)
_FP_MISC: Final = {
    (0x18, 0, 0): ("frint", RM_NEAREST_EVEN),  # FRINTN
    (0x18, 0, 1): ("frint", RM_UP),  # FRINTP
    (0x18, 1, 0): ("frint", RM_NEAREST_AWAY),  # FRINTA
    (0x19, 0, 0): ("frint", RM_DOWN),  # FRINTM
    (0x19, 0, 1): ("frint", RM_ZERO),  # FRINTZ
    (0x19, 1, 0): ("frint", None),  # FRINTX
    (0x19, 1, 1): ("frint", None),  # FRINTI
    (0x0F, 0, 1): ("fabs", None),
    (0x0F, 1, 1): ("fneg", None),
    (0x1F, 1, 1): ("fsqrt", None),
}


def _fp_misc_vector(t: AArch64Target, dc: DisasContext, insn: int, q: int, sz: int,
                    fp_op: tuple[str, RoundingMode | None], rn: int, rd: int) -> None:  # fmt: skip
    """FRINT*, FABS, FNEG, FSQRT on each lane (NaN propagation as the scalar forms)."""
    ctx = dc.ctx
    bits = 64 if sz else 32
    if bits == 64 and not q:
        raise dc.invalid(insn, "reserved 64-bit lane form")
    name, rm = fp_op
    sfx = "f32" if bits == 32 else "f64"
    out = []
    for a in fp_lanes(t, dc, rn, bits, (128 if q else 64) // bits):
        r = ctx.temp(I32 if bits == 32 else I64)
        if name == "frint":
            ctx.emit(f"frint_{sfx}", r, a, frint_mode(dc, rm))
            if fp_op == _FP_MISC[(0x19, 1, 0)] and not insn >> 23 & 1:  # FRINTX, not FRINTI
                frintx_inexact(dc, r, a, bits)
            r = _propagate(dc, r, [a], bits)
        elif name == "fsqrt":
            ctx.emit(f"fsqrt_{sfx}", r, a, _rm(dc))
            r = _propagate(dc, r, [a], bits)
        else:
            ctx.emit(f"{name}_{sfx}", r, a)
        out.append(r)
    set_fp_lanes(t, dc, rd, out, bits)


def _fp_int_vector(t: AArch64Target, dc: DisasContext, insn: int, q: int, u: int, size: int,
                   opcode: int, rn: int, rd: int, scalar: bool = False) -> None:  # fmt: skip
    """SCVTF/UCVTF (opcode 0x1D, size 0x) and FCVTZS/FCVTZU (0x1B, size 1x), vector or
    (``scalar``) on the lowest lane alone."""
    ctx = dc.ctx
    bits = 64 if size & 1 else 32
    if bits == 64 and not q:
        raise dc.invalid(insn, "reserved 64-bit lane form")
    to_float = opcode == 0x1D and not size & 2
    to_int = opcode == 0x1B and size & 2
    if not (to_float or to_int):
        raise dc.invalid(insn, "unsupported AdvSIMD conversion")
    count = 1 if scalar else (128 if q else 64) // bits
    src = get_lanes(t, dc, rn, bits, count, signed=bool(to_float and not u))
    out = []
    sfx = "f32" if bits == 32 else "f64"
    for v in src:
        r = ctx.temp()
        if to_float:
            if bits == 32:
                r32 = ctx.temp(I32)
                ctx.emit("itof_f32", r32, v, int(not u), _rm(dc))
                ctx.extu_i32_i64(r, r32)
            else:
                ctx.emit("itof_f64", r, v, int(not u), _rm(dc))
        else:
            a = v
            if bits == 32:
                a = ctx.temp(I32)
                ctx.extrl_i64_i32(a, v)
            ctx.emit(f"ftoi_{sfx}", r, a, int(not u), bits, 3)
        out.append(r)
    set_lanes(t, dc, rd, out, bits)


# -- permutes, EXT, element moves, reductions ----------------------------------------------


def permute(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    q, size, rm, opcode = field(insn, 30, 30), field(insn, 23, 22), field(insn, 20, 16), field(
        insn, 14, 12)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    if opcode in (0, 4) or (size == 3 and not q):
        raise dc.invalid(insn, "unallocated permute")
    esize = _esize(size)
    count = (128 if q else 64) // esize
    part = opcode >> 2  # 0: the "1" forms, 1: the "2" forms
    kind = opcode & 3  # 1 UZP, 2 TRN, 3 ZIP
    if kind == 1 and esize < 64:  # UZP: the even (odd) lanes of each half, packed (SWAR)
        pairs = ((t.vlo[rn], t.vhi[rn]), (t.vlo[rm], t.vhi[rm])) if q else ((t.vlo[rn], t.vlo[rm]),)
        packed = [swar_narrow(dc, x, y, esize, part * esize) for x, y in pairs]
        set_lanes(t, dc, rd, packed, 64, clean=True)
        return
    a = get_lanes(t, dc, rn, esize, count)
    b = get_lanes(t, dc, rm, esize, count)
    both = a + b
    if kind == 1:
        out = [both[2 * i + part] for i in range(count)]
    elif kind == 2:
        out = [(a if i % 2 == 0 else b)[(i & ~1) + part] for i in range(count)]
    else:
        half = count // 2
        out = [(a if i % 2 == 0 else b)[part * half + i // 2] for i in range(count)]
    set_lanes(t, dc, rd, out, esize)


def ext(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    q, rm, imm4, rn, rd = field(insn, 30, 30), field(insn, 20, 16), field(insn, 14, 11), field(
        insn, 9, 5), insn & 31  # fmt: skip
    if not q and imm4 >= 8:
        raise dc.invalid(insn, "reserved EXT index")
    words = [t.vlo[rn], t.vhi[rn], t.vlo[rm], t.vhi[rm]] if q else [t.vlo[rn], t.vlo[rm]]
    set_lanes(t, dc, rd, [_bytes_at(dc, words, imm4 + 8 * h) for h in range(2 if q else 1)], 64)


def _bytes_at(dc: DisasContext, words: list[Temp], start: int) -> Temp:
    """The 8 bytes from byte ``start`` of the little-endian concatenation of ``words``:
    one word, or the top of one and the bottom of the next (a shift and a deposit)."""
    w, s = divmod(start, 8)
    if not s:
        return words[w]
    ctx = dc.ctx
    r = ctx.temp()
    ctx.shr(r, words[w], 8 * s)
    ctx.deposit(r, r, words[w + 1], 64 - 8 * s, 8 * s)
    return r


def copy(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """INS (general and element), UMOV, SMOV, DUP (element)."""
    q, op, imm5, imm4 = field(insn, 30, 30), field(insn, 29, 29), field(insn, 20, 16), field(
        insn, 14, 11)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    size = (imm5 & -imm5).bit_length() - 1
    if size > 3:
        raise dc.invalid(insn, "unallocated element size")
    esize = 8 << size
    index = imm5 >> (size + 1)
    ctx = dc.ctx
    per_half = 64 // esize

    def element(n: int, i: int, signed: bool = False) -> Temp:
        half = t.vlo[n] if i < per_half else t.vhi[n]
        v = ctx.temp()
        if esize == 64:
            ctx.mov(v, half)
        else:
            (ctx.sextract if signed else ctx.extract)(v, half, (i % per_half) * esize, esize)
        return v

    def insert(i: int, v: Temp) -> None:
        half = t.vlo[rd] if i < per_half else t.vhi[rd]
        if esize == 64:
            ctx.mov(half, v)
        else:
            ctx.deposit(half, half, v, (i % per_half) * esize, esize)

    if op:  # INS (element)
        if not q:
            raise dc.invalid(insn, "unallocated INS (element)")
        insert(index, element(rn, imm4 >> size))
    elif imm4 == 0:  # DUP (element)
        if size == 3 and not q:
            raise dc.invalid(insn, "reserved DUP form")
        v = element(rn, index)
        set_lanes(t, dc, rd, [v] * ((128 if q else 64) // esize), esize)
    elif imm4 == 3 and q:  # INS (general)
        insert(index, t.rx(dc, rn))
    elif imm4 == 7:  # UMOV
        if (size == 3) != bool(q):
            raise dc.invalid(insn, "unallocated UMOV")
        t.wx(dc, rd, element(rn, index), q)
    elif imm4 == 5:  # SMOV
        if size >= 2 + q:
            raise dc.invalid(insn, "unallocated SMOV")
        t.wx(dc, rd, element(rn, index, signed=True), q)
    else:
        raise dc.invalid(insn, "unallocated AdvSIMD copy")


def across(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 16, 12)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    if opcode == 3:
        simd_int.add_long_across(t, dc, insn)
        return
    if opcode in (0x0C, 0x0F):
        simd_fp.across(t, dc, insn)
        return
    if size == 3 or (size == 2 and not q) or opcode not in (0x1B, 0x0A, 0x1A):
        raise dc.invalid(insn, "unsupported across-lanes instruction")
    esize = _esize(size)
    count = (128 if q else 64) // esize
    ctx = dc.ctx
    signed = not u and opcode != 0x1B
    lanes = get_lanes(t, dc, rn, esize, count, signed=signed)
    acc = lanes[0]
    for v in lanes[1:]:
        r = ctx.temp()
        if opcode == 0x1B:  # ADDV
            ctx.add(r, acc, v)
        else:
            big = opcode == 0x0A  # [SU]MAXV; 0x1A: [SU]MINV
            cond = (COND_GT if signed else COND_GTU) if big else (COND_LT if signed else COND_LTU)
            ctx.movcond(r, acc, v, acc, v, cond)
        acc = r
    res = ctx.temp()
    ctx.extract(res, acc, 0, esize)
    ctx.mov(t.vlo[rd], res)
    ctx.movi(t.vhi[rd], 0)


# -- three same: integer arithmetic and floating point -------------------------------------


_INT_CMP: Final = {(6, 0): COND_GT, (6, 1): COND_GTU, (7, 0): COND_GE, (7, 1): COND_GEU}
_SWAR_CMP: Final = {(6, 0): "gt", (6, 1): "gtu", (7, 0): "ge", (7, 1): "geu"}


def _per_half(t: AArch64Target, dc: DisasContext, rd: int, q: int,
              fn: Callable[[list[Temp]], Temp]) -> None:  # fmt: skip
    """Vd's halves computed by ``fn`` from the halves of the sources (``fn(t.vlo)``,
    then ``fn(t.vhi)`` when ``q``; the high half zeroed otherwise)."""
    set_lanes(t, dc, rd, [fn(t.vlo), fn(t.vhi)] if q else [fn(t.vlo)], 64)


def three_same_arith(t: AArch64Target, dc: DisasContext, insn: int) -> bool:
    """The arithmetic part of three-same; False when the opcode is not one of them."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 15, 11)  # fmt: skip
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    ctx = dc.ctx
    if opcode >= 0x18:
        if not _fp_three_same(t, dc, insn, q, u, size, opcode, rm, rn, rd):
            simd_fp.three_same(t, dc, insn)
        return True
    if opcode in (0, 2, 4, 0x0E, 0x0F) or (opcode == 0x13 and u):
        simd_int.three_same(t, dc, insn)
        return True
    if opcode in (0x09, 0x0A, 0x0B):
        simd_sat.shift_reg(t, dc, insn)
        return True
    if opcode == 0x16:
        simd_sat.mulh(t, dc, insn)
        return True
    esize = _esize(size)
    count = (128 if q else 64) // esize
    signed = not u
    ops: dict[int, Callable[[Temp, Temp, Temp, Temp | None], object]] = {}
    if opcode in (0x01, 0x05):  # SQADD UQADD SQSUB UQSUB
        if size == 3 and not q:
            raise dc.invalid(insn, "reserved 64-bit lane form")
        a = get_lanes(t, dc, rn, esize, count, signed=signed)
        b = get_lanes(t, dc, rm, esize, count, signed=signed)
        sat = ctx.temp()
        ctx.movi(sat, 0)
        out = [saturating_add(dc, x, y, esize, signed, opcode == 0x05, sat)
               for x, y in zip(a, b)]  # fmt: skip
        set_lanes(t, dc, rd, out, esize)
        set_qc(t, dc, sat)
        return True
    if opcode == 0x08:  # SSHL, USHL: each lane shifted by the signed low byte of Vm's
        if size == 3 and not q:
            raise dc.invalid(insn, "reserved 64-bit lane form")
        a = get_lanes(t, dc, rn, esize, count, signed=signed)
        b = get_lanes(t, dc, rm, esize, count)
        set_lanes(t, dc, rd, [_shift_by_register(dc, x, y, signed) for x, y in zip(a, b,
                                                                                 strict=True)],
                  esize)  # fmt: skip
        return True
    if (opcode, u) in _INT_CMP and size < 3:  # CMGT, CMHI, CMGE, CMHS: all lanes of a half
        swar = _SWAR_CMP[(opcode, u)]
        _per_half(t, dc, rd, q, lambda h: swar_compare(dc, h[rn], h[rm], esize, swar))
        return True
    if opcode in (0x12, 0x13) and size == 2 and (opcode == 0x12 or not u):
        # MUL, MLA, MLS on two 32-bit lanes: a half at a time (SWAR)
        def mul_lanes(h: list[Temp]) -> Temp:
            m = swar_mul32(dc, h[rn], h[rm])
            return m if opcode == 0x13 else swar_add(dc, h[rd], m, 32, sub=bool(u))

        _per_half(t, dc, rd, q, mul_lanes)
        return True
    if (opcode, u) in _INT_CMP:
        cond = _INT_CMP[(opcode, u)]
        ops[opcode] = lambda r, a, b, d: ctx.negsetcond(r, a, b, cond)
    elif opcode in (0x0C, 0x0D):  # [SU]MAX, [SU]MIN
        cond = {(0x0C, 0): COND_GT, (0x0C, 1): COND_GTU, (0x0D, 0): COND_LT,
                (0x0D, 1): COND_LTU}[(opcode, u)]  # fmt: skip
        ops[opcode] = lambda r, a, b, d: ctx.movcond(r, a, b, a, b, cond)
    elif opcode == 0x13 and not u and size < 3:  # MUL
        ops[opcode] = lambda r, a, b, d: ctx.mul(r, a, b)
    elif opcode == 0x12 and size < 3:  # MLA (u=0), MLS (u=1)

        def mla(r: Temp, a: Temp, b: Temp, d: Temp | None) -> None:
            assert d is not None  # the accumulator (Vd's lanes)
            ctx.mul(r, a, b)
            ctx.binary(F_SUB if u else F_ADD, r, d, r)

        ops[opcode] = mla
    elif (opcode == 0x17 and not u) or (opcode in (0x14, 0x15) and size < 3):
        # ADDP, [SU]MAXP, [SU]MINP: pairs of adjacent lanes of Vn:Vm
        if size == 3 and not q:
            raise dc.invalid(insn, "reserved pairwise form")
        pair_signed = opcode != 0x17 and not u
        a = get_lanes(t, dc, rn, esize, count, signed=pair_signed)
        b = get_lanes(t, dc, rm, esize, count, signed=pair_signed)
        both = a + b
        out = []
        for i in range(count):
            r = ctx.temp()
            x, y = both[2 * i], both[2 * i + 1]
            if opcode == 0x17:
                ctx.add(r, x, y)
            else:
                big = opcode == 0x14
                cond = (COND_GT if pair_signed else COND_GTU) if big else (
                    COND_LT if pair_signed else COND_LTU)  # fmt: skip
                ctx.movcond(r, x, y, x, y, cond)
            out.append(r)
        set_lanes(t, dc, rd, out, esize)
        return True
    else:
        return False
    if size == 3 and not q:
        raise dc.invalid(insn, "reserved 64-bit lane form")
    a = get_lanes(t, dc, rn, esize, count, signed=signed)
    b = get_lanes(t, dc, rm, esize, count, signed=signed)
    d = get_lanes(t, dc, rd, esize, count) if opcode == 0x12 else [None] * count
    out = []
    for i in range(count):
        r = ctx.temp()
        ops[opcode](r, a[i], b[i], d[i])
        out.append(r)
    set_lanes(t, dc, rd, out, esize)
    return True


def _shift_by_register(dc: DisasContext, a: Temp, b: Temp, signed: bool) -> Temp:
    """SSHL/USHL of one lane: ``a`` (extended from its lane) shifted left by the signed
    byte in ``b``'s low bits, or right by its negation (arithmetic when ``signed``);
    a count past the lane leaves zero, or the sign bits."""
    ctx = dc.ctx
    sh, n, left, right, r = ctx.temp(), ctx.temp(), ctx.temp(), ctx.temp(), ctx.temp()
    ctx.sextract(sh, b, 0, 8)
    ctx.shl(left, a, sh)  # counts 0..127 here: 64 and more give zero below
    ctx.movcond(left, sh, 63, 0, left, COND_GT)
    ctx.neg(n, sh)
    if signed:
        ctx.movcond(n, n, 63, 63, n, COND_GT)  # 1..128 -> 1..63: all sign bits
        ctx.sar(right, a, n)
    else:
        ctx.shr(right, a, n)
        ctx.movcond(right, n, 63, 0, right, COND_GT)  # 64..128: zero (a 64-bit lane too)
    ctx.movcond(r, sh, 0, right, left, COND_LT)
    return r


_FP3: Final = {
        (0x1A, 0, 0): "fadd", (0x1A, 0, 1): "fsub", (0x1B, 1, 0): "fmul", (0x1F, 1, 0): "fdiv",
        (0x19, 0, 0): "fmla", (0x19, 0, 1): "fmls", (0x1E, 0, 0): "fmax", (0x1E, 0, 1): "fmin",
        (0x18, 0, 0): "fmaxnm", (0x18, 0, 1): "fminnm"}  # fmt: skip


def _fp_three_same(t: AArch64Target, dc: DisasContext, insn: int, q: int, u: int, size: int,
                   opcode: int, rm: int, rn: int, rd: int) -> bool:  # fmt: skip
    name = _FP3.get((opcode, u, size >> 1))
    if name is None:
        return False
    bits = 64 if size & 1 else 32
    if bits == 64 and not q:
        raise dc.invalid(insn, "reserved FP lane form")
    ctx = dc.ctx
    sfx = "f32" if bits == 32 else "f64"
    ty = I32 if bits == 32 else I64
    count = (128 if q else 64) // bits

    a = fp_lanes(t, dc, rn, bits, count)
    b = fp_lanes(t, dc, rm, bits, count)
    acc = fp_lanes(t, dc, rd, bits, count) if name in ("fmla", "fmls") else []
    out = []
    for i in range(count):
        r = ctx.temp(ty)
        if name in ("fmla", "fmls"):
            x = a[i]
            if name == "fmls":
                x = ctx.temp(ty)
                ctx.emit(f"fneg_{sfx}", x, a[i])
            ctx.emit(f"fma_{sfx}", r, x, b[i], acc[i], _rm(dc))
            r = propagate_fma(dc, r, acc[i], x, b[i], bits)  # FMLS: the negated operand
        elif name in ("fmax", "fmin", "fmaxnm", "fminnm"):
            ctx.emit(f"{name}_{sfx}", r, a[i], b[i])
            r = _propagate(dc, r, [a[i], b[i]], bits, quiet_only_both=name.endswith("nm"))
        else:
            ctx.emit(f"{name}_{sfx}", r, a[i], b[i], _rm(dc))
            r = _propagate(dc, r, [a[i], b[i]], bits)
        out.append(r)
    set_fp_lanes(t, dc, rd, out, bits)
    return True


def by_element(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """FMLA/FMLS/FMUL and MUL/MLA/MLS with one operand a lane of Vm (the FP ones also
    scalar); the widening and saturating ones are handed over."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 15, 12)  # fmt: skip
    if opcode in (2, 6, 10) and not scalar:
        simd_int.mull_by_element(t, dc, insn)
        return
    if opcode in (3, 7, 11, 12, 13) and not u:
        simd_sat.by_element(t, dc, insn, scalar)
        return
    if opcode in (13, 15) and u:
        simd_sat.mlah_by_element(t, dc, insn, scalar)
        return
    if opcode == 14 and not scalar:
        simd_int.dot(t, dc, insn, by_element=True)
        return
    if scalar and (u or opcode not in (1, 5, 9)):
        raise dc.invalid(insn, "unsupported scalar by-element instruction")
    lo_, m_, h_ = field(insn, 21, 21), field(insn, 20, 20), field(insn, 11, 11)
    rn, rd = field(insn, 9, 5), insn & 31
    fp = opcode in (1, 5, 9) and not u
    if fp:
        if size < 2 or (size == 3 and (lo_ or not (q or scalar))):
            raise dc.invalid(insn, "unallocated FP by-element form")
        bits = 32 if size == 2 else 64
        index = h_ << 1 | lo_ if bits == 32 else h_
        rm = m_ << 4 | field(insn, 19, 16)
    elif (opcode == 8 and not u) or (opcode in (0, 4) and u):
        if size not in (1, 2):
            raise dc.invalid(insn, "unallocated by-element size")
        bits = _esize(size)
        index = (h_ << 2 | lo_ << 1 | m_) if size == 1 else (h_ << 1 | lo_)
        rm = field(insn, 19, 16) if size == 1 else m_ << 4 | field(insn, 19, 16)
    else:
        raise dc.invalid(insn, "unsupported by-element instruction")
    ctx = dc.ctx
    count = 1 if scalar else (128 if q else 64) // bits
    accumulate = opcode not in (8, 9)  # MLA/MLS, FMLA/FMLS read Vd
    out = []
    if not fp:
        [elem] = get_lanes(t, dc, rm, bits, 1, part=index)
        a = get_lanes(t, dc, rn, bits, count)
        d = get_lanes(t, dc, rd, bits, count) if accumulate else []
        for i in range(count):
            r = ctx.temp()
            ctx.mul(r, a[i], elem)
            if accumulate:
                ctx.binary(F_ADD if opcode == 0 else F_SUB, r, d[i], r)
            out.append(r)
        set_lanes(t, dc, rd, out, bits)
        return
    sfx, ty = ("f32", I32) if bits == 32 else ("f64", I64)
    [e] = fp_lanes(t, dc, rm, bits, 1, part=index)
    a = fp_lanes(t, dc, rn, bits, count)
    d = fp_lanes(t, dc, rd, bits, count) if accumulate else []
    for i in range(count):
        x = a[i]
        r = ctx.temp(ty)
        if opcode == 9:
            ctx.emit(f"fmul_{sfx}", r, x, e, _rm(dc))
            r = _propagate(dc, r, [x, e], bits)
        else:
            xs = x
            if opcode == 5:
                xs = ctx.temp(ty)
                ctx.emit(f"fneg_{sfx}", xs, x)
            ctx.emit(f"fma_{sfx}", r, xs, e, d[i], _rm(dc))
            r = propagate_fma(dc, r, d[i], xs, e, bits)
        out.append(r)
    set_fp_lanes(t, dc, rd, out, bits)


def scalar_by_element(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    by_element(t, dc, insn, scalar=True)


def scalar_dup(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """DUP (element, scalar), i.e. MOV Sd, Vn.S[i]: one lane to a scalar register."""
    imm5, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    size = (imm5 & -imm5).bit_length() - 1
    if size > 3:
        raise dc.invalid(insn, "unallocated element size")
    esize = 8 << size
    [v] = get_lanes(t, dc, rn, esize, 1, part=imm5 >> (size + 1))
    dc.ctx.mov(t.vlo[rd], v)
    dc.ctx.movi(t.vhi[rd], 0)


PATTERNS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("01011110000xxxxx000001xxxxxxxxxx", scalar_dup),
    ("0xx01111xxxxxxxxxxxxx0xxxxxxxxxx", by_element),
    ("01x11111xxxxxxxxxxxxx0xxxxxxxxxx", scalar_by_element),
    ("0xx011110xxxxxxxxxxxx1xxxxxxxxxx", shift_imm),
    ("01x111110xxxxxxxxxxxx1xxxxxxxxxx", scalar_shift_imm),
    ("0xx01110xx1xxxxxxxxx00xxxxxxxxxx", three_diff),
    ("0xx01110xx10000xxxxx10xxxxxxxxxx", two_misc),
    ("01x11110xx10000xxxxx10xxxxxxxxxx", scalar_two_misc),
    ("0xx01110xx11000xxxxx10xxxxxxxxxx", across),
    ("0x001110xx0xxxxx0xxx10xxxxxxxxxx", permute),
    ("0x101110000xxxxx0xxxx0xxxxxxxxxx", ext),
    ("0xx01110000xxxxx0xxxx1xxxxxxxxxx", copy),
)
