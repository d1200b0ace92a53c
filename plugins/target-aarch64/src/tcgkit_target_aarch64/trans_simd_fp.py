"""Translators: AdvSIMD floating point beyond ``trans_simd``'s arithmetic.

Owns, on single and double lanes, vector and scalar: FABD, FCMEQ/FCMGE/FCMGT,
FACGE/FACGT, FMULX, FRECPS, FRSQRTS (three-same); the pairwise FADDP, FMAXP,
FMINP, FMAXNMP, FMINNMP (vector and scalar) and the reductions FMAXV, FMINV,
FMAXNMV, FMINNMV; the compares with zero; FCVT{N,M,P,A}{S,U}; FCVTXN;
FRINT32Z/32X/64Z/64X; FCVTN/FCVTL (their NaN payloads: ``trans_fp.nan_narrow``,
``nan_widen``); and the fixed-point conversions SCVTF/UCVTF/FCVTZS/FCVTZU #fbits
(vector and of general registers). ``trans_simd`` and ``trans_fp`` hand these
opcodes over. NaN propagation follows ``trans_fp``. The estimates and the
fixed-point conversions also take half-precision lanes (``trans_fp16_simd`` runs
``binop`` on halves widened to doubles).

Every operation is lanes of i64 IR ops (``lanes``); no Python helper is called.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Final

from tcgkit.target import DisasContext
from tcgkit.tcg.fpflags import IOC
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.types import I32, I64

from . import trans_fp16 as fp16
from .aliases import (
    COND_EQ,
    COND_GEU,
    COND_GT,
    COND_GTU,
    COND_LTU,
    COND_NE,
    COND_TSTNE,
    RM_DOWN,
    RM_NEAREST_AWAY,
    RM_NEAREST_EVEN,
    RM_UP,
    RM_ZERO,
)
from .bits import field
from .flush_zero import flush_in, fz
from .lanes import fcmp_flag, fp_lanes, get_lanes, or_fpsr_bits, set_fp_lanes, set_lanes
from .trans_fp import (
    _propagate,
    _rm,
    default_nan,
    frint_int,
    frint_mode,
    nan_narrow,
    propagate_fma,
)

if TYPE_CHECKING:
    from .target import AArch64Target

M64: Final = (1 << 64) - 1
_SIGN: Final = {32: 1 << 31, 64: 1 << 63}
_INF: Final = {32: 0xFF << 23, 64: 0x7FF << 52}
#: (fraction bits, exponent bias) of a half, single, double lane
_FMT: Final = {16: (10, 15), 32: (23, 127), 64: (52, 1023)}


def _const(bits: int, value: float) -> int:
    if bits == 32:
        return int.from_bytes(struct.pack("<f", value), "little")
    return int.from_bytes(struct.pack("<d", value), "little")


def _narrow(dc: DisasContext, v: Temp, bits: int) -> Temp:
    if bits == 64:
        return v
    n = dc.ctx.temp(I32)
    dc.ctx.extrl_i64_i32(n, v)
    return n


def _widen(dc: DisasContext, v: Temp, bits: int) -> Temp:
    if bits == 64:
        return v
    w = dc.ctx.temp()
    dc.ctx.extu_i32_i64(w, v)
    return w


def _inf_times_zero(dc: DisasContext, a: Temp, b: Temp, bits: int) -> Temp:
    """1 where one of ``a``, ``b`` is an infinity and the other a zero."""
    ctx = dc.ctx
    ty = I32 if bits == 32 else I64
    flags = []
    for v in (a, b):
        mag, inf, zero = ctx.temp(ty), ctx.temp(ty), ctx.temp(ty)
        ctx.andc(mag, v, _SIGN[bits])
        ctx.setcond(inf, mag, _INF[bits], COND_EQ)
        ctx.setcond(zero, mag, 0, COND_EQ)
        flags.append((inf, zero))
    x, y = ctx.temp(ty), ctx.temp(ty)
    ctx.and_(x, flags[0][0], flags[1][1])
    ctx.and_(y, flags[0][1], flags[1][0])
    ctx.or_(x, x, y)
    return x


def _halved_step(dc: DisasContext, r: Temp, na: Temp, b: Temp, bits: int) -> None:
    """r = (3 + na * b) / 2 rounded once: the halving goes into an operand whose
    exponent leaves it exact (or, both tiny, onto a result near 3, exactly)."""
    ctx = dc.ctx
    sfx = "f32" if bits == 32 else "f64"
    ty = I32 if bits == 32 else I64
    mbits = 23 if bits == 32 else 52
    ebits = 8 if bits == 32 else 11
    half = ctx.const(ty, _const(bits, 0.5))
    big_a, big_b = ctx.temp(ty), ctx.temp(ty)
    ctx.extract(big_a, na, mbits, ebits)
    ctx.setcond(big_a, big_a, 2, COND_GEU)
    ctx.extract(big_b, b, mbits, ebits)
    ctx.setcond(big_b, big_b, 2, COND_GEU)
    # every halving is computed on what it is used for or on a zero: one that is not
    # exact would raise flags the instruction does not (UFC, IXC)
    x, y, xh, yh = ctx.temp(ty), ctx.temp(ty), ctx.temp(ty), ctx.temp(ty)
    ctx.andc(big_b, big_b, big_a)  # halve b only when a was not
    ctx.movcond(xh, big_a, 0, na, 0, COND_NE)
    ctx.movcond(yh, big_b, 0, b, 0, COND_NE)
    ctx.emit(f"fmul_{sfx}", xh, xh, half, 0)
    ctx.emit(f"fmul_{sfx}", yh, yh, half, 0)
    ctx.movcond(x, big_a, 0, xh, na, COND_NE)
    ctx.movcond(y, big_b, 0, yh, b, COND_NE)
    either, c = ctx.temp(ty), ctx.temp(ty)
    ctx.or_(either, big_a, big_b)
    ctx.movcond(c, either, 0, _const(bits, 1.5), _const(bits, 3.0), COND_NE)
    ctx.emit(f"fma_{sfx}", r, x, y, c, _rm(dc))
    rh = ctx.temp(ty)
    ctx.movcond(rh, either, 0, 0, r, COND_NE)
    ctx.emit(f"fmul_{sfx}", rh, rh, half, _rm(dc))
    ctx.movcond(r, either, 0, r, rh, COND_NE)


def _unless(dc: DisasContext, itz: Temp, a: Temp, b: Temp, bits: int) -> tuple[Temp, Temp]:
    """(a, b), or two zeros where ``itz`` (an infinity times a zero, whose special result
    replaces the product's): the product then raises no IOC, as Arm's has none."""
    ctx = dc.ctx
    ty = I32 if bits == 32 else I64
    x, y = ctx.temp(ty), ctx.temp(ty)
    ctx.movcond(x, itz, 0, 0, a, COND_NE)
    ctx.movcond(y, itz, 0, 0, b, COND_NE)
    return x, y


def binop(dc: DisasContext, name: str, a: Temp, b: Temp, bits: int,
          halves: bool = False) -> Temp:  # fmt: skip
    """One lane of a two-operand FP operation (``a``, ``b`` and the result of the
    lane's type). ``halves``: doubles widened from halves (``trans_fp16_simd``)."""
    ctx = dc.ctx
    sfx = "f32" if bits == 32 else "f64"
    ty = I32 if bits == 32 else I64
    if name in ("fmulx", "frecps", "frsqrts"):  # their special cases test the operands:
        a, b = flush_in(dc, a, bits), flush_in(dc, b, bits)  # FPCR.FZ's zeros first
    r = ctx.temp(ty)
    if name in ("fadd", "fsub", "fmul", "fdiv", "fabd"):
        ctx.emit(f"{'fsub' if name == 'fabd' else name}_{sfx}", r, a, b, _rm(dc))
        r = _propagate(dc, r, [a, b], bits)
        if name == "fabd":
            ctx.emit(f"fabs_{sfx}", r, r)
    elif name in ("fmax", "fmin", "fmaxnm", "fminnm"):
        ctx.emit(f"{name}_{sfx}", r, a, b)
        r = _propagate(dc, r, [a, b], bits, quiet_only_both=name.endswith("nm"))
    elif name in ("fcmeq", "fcmge", "fcmgt", "facge", "facgt"):
        x, y = a, b
        if name.startswith("fac"):
            x, y = ctx.temp(ty), ctx.temp(ty)
            ctx.emit(f"fabs_{sfx}", x, a)
            ctx.emit(f"fabs_{sfx}", y, b)
        c = ctx.temp(ty)
        ctx.emit(f"fcmp_{sfx}", c, x, y)
        if name != "fcmeq":  # FPCompareGE/GT signal on quiet NaNs too
            fcmp_flag(ctx, c, bits, IOC)
        if name == "fcmeq":
            ctx.negsetcond(r, c, 2, COND_EQ)
        elif name.endswith("gt"):
            ctx.negsetcond(r, c, 4, COND_EQ)
        else:
            ctx.negsetcond(r, c, 6, COND_TSTNE)
    elif name == "fmulx":
        itz = _inf_times_zero(dc, a, b, bits)
        x, y = _unless(dc, itz, a, b, bits)  # no invalid product: its special result
        ctx.emit(f"fmul_{sfx}", r, x, y, _rm(dc))
        r = _propagate(dc, r, [a, b], bits)
        two = ctx.temp(ty)
        ctx.xor(two, a, b)
        ctx.and_(two, two, _SIGN[bits])
        ctx.or_(two, two, _const(bits, 2.0))
        ctx.movcond(r, itz, 0, two, r, COND_NE)
    elif name in ("frecps", "frsqrts"):
        itz = _inf_times_zero(dc, a, b, bits)
        na, c = ctx.temp(ty), ctx.temp(ty)
        ctx.emit(f"fneg_{sfx}", na, a)
        ctx.movi(c, _const(bits, 2.0 if name == "frecps" else 3.0))
        x, y = _unless(dc, itz, na, b, bits)  # no invalid product: its special result
        if name == "frecps":
            ctx.emit(f"fma_{sfx}", r, x, y, c, _rm(dc))
        elif halves:  # 3 + a product of halves, halved: exact but for one rounding (and
            # no halving of an operand that FPCR.FZ16's pass would flush on the way)
            ctx.emit(f"fma_{sfx}", r, x, y, c, _rm(dc))
            ctx.emit(f"fmul_{sfx}", r, r, ctx.const(ty, _const(bits, 0.5)), _rm(dc))
        else:
            _halved_step(dc, r, x, y, bits)
        r = propagate_fma(dc, r, c, na, b, bits)
        special = ctx.const(ty, _const(bits, 2.0 if name == "frecps" else 1.5))
        ctx.movcond(r, itz, 0, special, r, COND_NE)
    else:
        raise AssertionError(name)
    return r


#: FP three-same (opcode, U, size<1>) -> operation
_THREE: Final = {
    (0x1A, 1, 1): "fabd", (0x1C, 0, 0): "fcmeq", (0x1C, 1, 0): "fcmge", (0x1C, 1, 1): "fcmgt",
    (0x1D, 1, 0): "facge", (0x1D, 1, 1): "facgt", (0x1B, 0, 0): "fmulx", (0x1F, 0, 0): "frecps",
    (0x1F, 0, 1): "frsqrts",
}  # fmt: skip
#: the pairwise ones (vector three-same, U=1)
_PAIR: Final = {(0x1A, 0): "fadd", (0x1E, 0): "fmax", (0x1E, 1): "fmin", (0x18, 0): "fmaxnm",
                (0x18, 1): "fminnm"}  # fmt: skip


def three_same(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 15, 11)  # fmt: skip
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    bits = 64 if size & 1 else 32
    if bits == 64 and not q and not scalar:
        raise dc.invalid(insn, "reserved FP lane form")
    count = 1 if scalar else (128 if q else 64) // bits
    a = fp_lanes(t, dc, rn, bits, count)
    b = fp_lanes(t, dc, rm, bits, count)
    name = _THREE.get((opcode, u, size >> 1))
    if name is not None:
        set_fp_lanes(t, dc, rd, [binop(dc, name, x, y, bits) for x, y in zip(a, b)], bits)
        return
    pair = _PAIR.get((opcode, size >> 1)) if u and not scalar else None
    if pair is None:
        raise dc.invalid(insn, "unsupported AdvSIMD FP three-same instruction")
    both = a + b
    out = [binop(dc, pair, both[2 * i], both[2 * i + 1], bits) for i in range(count)]
    set_fp_lanes(t, dc, rd, out, bits)


#: scalar pairwise opcode, size<1> -> operation
_SCALAR_PAIR: Final = {(0x0D, 0): "fadd", (0x0F, 0): "fmax", (0x0F, 1): "fmin",
                       (0x0C, 0): "fmaxnm", (0x0C, 1): "fminnm"}  # fmt: skip


def scalar_pairwise(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    u, size, opcode = field(insn, 29, 29), field(insn, 23, 22), field(insn, 16, 12)
    rn, rd = field(insn, 9, 5), insn & 31
    name = _SCALAR_PAIR.get((opcode, size >> 1))
    if not u or name is None:
        raise dc.invalid(insn, "unsupported AdvSIMD scalar pairwise instruction")
    bits = 64 if size & 1 else 32
    a, b = fp_lanes(t, dc, rn, bits, 2)
    set_fp_lanes(t, dc, rd, [binop(dc, name, a, b, bits)], bits)


def across(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FMAXNMV/FMINNMV (opcode 0x0C), FMAXV/FMINV (0x0F) of four single lanes, reduced
    as a tree: (0 op 1) op (2 op 3)."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 16, 12)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    if not (u and q and not size & 1):
        raise dc.invalid(insn, "unsupported FP across-lanes form")
    name = {0x0C: "fmaxnm", 0x0F: "fmax"}[opcode]
    if size >> 1:
        name = name.replace("max", "min")
    v = fp_lanes(t, dc, rn, 32, 4)
    lo, hi = binop(dc, name, v[0], v[1], 32), binop(dc, name, v[2], v[3], 32)
    set_fp_lanes(t, dc, rd, [binop(dc, name, lo, hi, 32)], 32)


#: two-register misc (opcode, size<1>) -> FCVT rounding mode
_CVT: Final = {(0x1A, 0): RM_NEAREST_EVEN, (0x1B, 0): RM_DOWN,
               (0x1C, 0): RM_NEAREST_AWAY, (0x1A, 1): RM_UP}  # fmt: skip
#: compares with zero (opcode, U) -> (fcmp bits of a true result, the operands swapped)
_CMP0: Final = {(0x0C, 0): (4, False), (0x0C, 1): (6, False), (0x0D, 0): (2, False),
                (0x0D, 1): (6, True), (0x0E, 0): (4, True)}  # fmt: skip


def two_misc(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """FCVT{N,M,P,A}{S,U}, FCM{GT,GE,EQ,LE,LT} #0, FRINT{32,64}{Z,X}."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 16, 12)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    bits = 64 if size & 1 else 32
    if bits == 64 and not q and not scalar:
        raise dc.invalid(insn, "reserved FP lane form")
    count = 1 if scalar else (128 if q else 64) // bits
    ctx = dc.ctx
    sfx = "f32" if bits == 32 else "f64"
    ty = I32 if bits == 32 else I64
    src = fp_lanes(t, dc, rn, bits, count)
    out = []
    rm = _CVT.get((opcode, size >> 1))
    if rm is not None:
        for a in src:
            r = ctx.temp()
            ctx.emit(f"ftoi_{sfx}", r, a, int(not u), bits, int(rm))
            if bits == 32:
                ctx.ext32u(r, r)
            out.append(r)
        set_lanes(t, dc, rd, out, bits)
        return
    cmp = _CMP0.get((opcode, u)) if size >> 1 else None
    if cmp is not None:
        mask, swap = cmp
        zero = ctx.const(ty, 0)
        for a in src:
            c, r = ctx.temp(ty), ctx.temp(ty)
            if swap:
                ctx.emit(f"fcmp_{sfx}", c, zero, a)
            else:
                ctx.emit(f"fcmp_{sfx}", c, a, zero)
            if mask != 2:  # all but FCMEQ signal on quiet NaNs too
                fcmp_flag(ctx, c, bits, IOC)
            ctx.negsetcond(r, c, mask, COND_TSTNE)
            out.append(r)
        set_fp_lanes(t, dc, rd, out, bits)
        return
    if opcode in (0x1E, 0x1F) and not size >> 1 and not scalar:  # FRINT32*, FRINT64*
        mode = frint_mode(dc, None if u else RM_ZERO)
        out = [frint_int(dc, a, bits, 32 if opcode == 0x1E else 64, mode) for a in src]
        set_fp_lanes(t, dc, rd, out, bits)
        return
    if opcode in (0x1C, 0x1D, 0x1F) and size >> 1:
        if opcode == 0x1C and (size != 2 or scalar):
            raise dc.invalid(insn, "unallocated URECPE/URSQRTE form")
        if opcode == 0x1F and (u or not scalar):
            raise dc.invalid(insn, "unsupported AdvSIMD FP two-register instruction")
        lanes = get_lanes(t, dc, rn, bits, count)
        if opcode == 0x1C:
            out = [unsigned_estimate(dc, v, bool(u)) for v in lanes]
        elif opcode == 0x1F:
            out = [recip_exponent(dc, v, bits) for v in lanes]
        elif u:
            out = [rsqrt_estimate(dc, v, bits) for v in lanes]
        else:
            out = [recip_estimate(dc, v, bits) for v in lanes]
        set_lanes(t, dc, rd, out, bits)
        return
    raise dc.invalid(insn, "unsupported AdvSIMD FP two-register instruction")


# -- estimates (the Arm ARM's RecipEstimate and RecipSqrtEstimate, as IR) -----------------------


def _recip_table(dc: DisasContext, a: Temp) -> Temp:
    """RecipEstimate: 256..511 -> 256..511."""
    ctx = dc.ctx
    d, r = ctx.temp(), ctx.temp()
    ctx.shl(d, a, 1)
    ctx.add(d, d, 1)
    ctx.divu(r, ctx.const(I64, 1 << 19), d)
    ctx.add(r, r, 1)
    ctx.shr(r, r, 1)
    return r


def _rsqrt_table(dc: DisasContext, a: Temp) -> Temp:
    """RecipSqrtEstimate: 128..511 -> 256..511 (the smallest b >= 512 with
    a' * (b + 1)**2 >= 2**28, found by a binary search, halved)."""
    ctx = dc.ctx
    odd, even, x = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.shl(odd, a, 1)
    ctx.add(odd, odd, 1)
    ctx.andc(even, a, 1)
    ctx.add(even, even, 1)
    ctx.shl(even, even, 1)
    ctx.movcond(x, a, 256, odd, even, COND_LTU)
    b = ctx.temp()
    ctx.movi(b, 511)
    step = 256
    while step:
        c, sq, keep = ctx.temp(), ctx.temp(), ctx.temp()
        ctx.add(c, b, step + 1)
        ctx.mul(sq, c, c)
        ctx.mul(sq, sq, x)
        ctx.setcond(keep, sq, 1 << 28, COND_LTU)
        ctx.sub(c, c, 1)
        ctx.movcond(b, keep, 0, c, b, COND_NE)
        step >>= 1
    r = ctx.temp()
    ctx.add(r, b, 2)  # b + 1 is the first failing value; (that + 1) / 2
    ctx.shr(r, r, 1)
    return r


def _unpack(dc: DisasContext, v: Temp, bits: int) -> tuple[Temp, Temp, Temp]:
    """(sign bit, exponent field, fraction widened to 52 bits) of a float lane."""
    ctx = dc.ctx
    mbits = _FMT[bits][0]
    sign, exp, frac = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.extract(sign, v, bits - 1, 1)
    ctx.extract(exp, v, mbits, bits - 1 - mbits)
    ctx.extract(frac, v, 0, mbits)
    ctx.shl(frac, frac, 52 - mbits)
    return sign, exp, frac


def _quiet_nan(dc: DisasContext, v: Temp, bits: int, r: Temp) -> None:
    """r = v (a lane, zero-extended) quietened where v is a NaN (the default NaN under
    FPCR.DN)."""
    ctx = dc.ctx
    mbits = _FMT[bits][0]
    mag, q = ctx.temp(), ctx.temp()
    ctx.andc(mag, v, 1 << (bits - 1))
    if default_nan(dc):
        ctx.movi(q, ((1 << (bits - mbits)) - 1) << (mbits - 1) & ~(1 << (bits - 1)))
    else:
        ctx.or_(q, v, 1 << (mbits - 1))
    inf = ((1 << (bits - 1 - mbits)) - 1) << mbits
    ctx.movcond(r, mag, inf, q, r, COND_GTU)


#: the biased exponent from which FPCR.FZ (FZ16) flushes FRECPE's estimate: 2**126
#: (2**1022, 2**14) and up
_RECIP_FLUSHED_FROM: Final = {16: 29, 32: 253, 64: 2045}


def _estimate_flags(dc: DisasContext, v: Temp, bits: int, kind: str) -> None:
    """FPSR's flags of an estimate of the lane ``v`` (flushed already: ``flush_in``
    raised IDC), Arm's FPRecipEstimate / FPRSqrtEstimate / FPRecpX: IOC for a signalling
    NaN (``kind`` "rsqrt": and for a negative number or -infinity); "recip" and
    "rsqrt": DZC for a zero; "recip": OFC and IXC below 2**-(bias + 1) (the reciprocal
    overflows), UFC where FPCR.FZ (FZ16) flushes the estimate to a zero."""
    ctx = dc.ctx
    mbits, _ = _FMT[bits]
    emax = (1 << (bits - 1 - mbits)) - 1
    exp, frac, sign, t = ctx.temp(), ctx.temp(), ctx.temp(), ctx.temp()
    ctx.extract(exp, v, mbits, bits - 1 - mbits)
    ctx.extract(frac, v, 0, mbits)
    ctx.extract(sign, v, bits - 1, 1)
    special, nan, snan, zero, flags = (ctx.temp() for _ in range(5))
    ctx.setcond(special, exp, emax, COND_EQ)  # an infinity or a NaN
    ctx.setcond(nan, frac, 0, COND_NE)
    ctx.and_(nan, nan, special)
    ctx.setcond(snan, frac, 1 << (mbits - 1), COND_LTU)  # the quiet bit clear
    ctx.and_(snan, snan, nan)
    ctx.or_(zero, exp, frac)
    ctx.setcond(zero, zero, 0, COND_EQ)
    ctx.mov(flags, snan)  # IOC
    if kind == "rsqrt":  # a negative number or -infinity: IOC
        ctx.andc(t, sign, nan)
        ctx.andc(t, t, zero)
        ctx.or_(flags, flags, t)
    if kind in ("recip", "rsqrt"):
        ctx.shl(t, zero, 1)  # DZC
        ctx.or_(flags, flags, t)
    if kind == "recip":
        over = ctx.temp()
        ctx.setcond(over, exp, 0, COND_EQ)
        ctx.setcond(t, frac, 1 << (mbits - 2), COND_LTU)
        ctx.and_(over, over, t)
        ctx.andc(over, over, zero)
        ctx.shl(t, over, 2)  # OFC
        ctx.or_(flags, flags, t)
        ctx.shl(t, over, 4)  # IXC
        ctx.or_(flags, flags, t)
        if fz(dc, bits):  # the estimate is flushed to a zero: UFC
            ctx.setcond(t, exp, _RECIP_FLUSHED_FROM[bits], COND_GEU)
            ctx.andc(t, t, special)
            ctx.shl(t, t, 3)
            ctx.or_(flags, flags, t)
    or_fpsr_bits(ctx, flags)


def recip_estimate(dc: DisasContext, v: Temp, bits: int) -> Temp:
    """FRECPE of one lane (its bits in an i64)."""
    ctx = dc.ctx
    v = flush_in(dc, v, bits)
    _estimate_flags(dc, v, bits, "recip")
    mbits, bias = _FMT[bits]
    emax = (1 << (bits - 1 - mbits)) - 1
    sign, exp, f52 = _unpack(dc, v, bits)
    # subnormals: the fraction normalized by one or two places
    top, e, f = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.extract(top, f52, 51, 1)
    ctx.movcond(e, top, 0, 0, M64, COND_NE)  # exponent 0 or -1
    ctx.sub(f, ctx.const(I64, 2), top)
    ctx.shl(f, f52, f)
    ctx.extract(f, f, 0, 52)
    ctx.movcond(e, exp, 0, e, exp, COND_EQ)
    ctx.movcond(f, exp, 0, f, f52, COND_EQ)
    scaled, rexp, frac = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.shr(scaled, f, 44)
    ctx.or_(scaled, scaled, 256)
    est = _recip_table(dc, scaled)
    ctx.sub(rexp, ctx.const(I64, 2 * bias - 1), e)
    ctx.and_(frac, est, 0xFF)
    ctx.shl(frac, frac, 44)
    f1, f2 = ctx.temp(), ctx.temp()
    ctx.shr(f1, frac, 1)
    ctx.or_(f1, f1, 1 << 51)
    ctx.shr(f2, frac, 2)
    ctx.or_(f2, f2, 1 << 50)
    ctx.movcond(frac, rexp, 0, f1, frac, COND_EQ)
    ctx.movcond(frac, rexp, M64, f2, frac, COND_EQ)
    ctx.movcond(rexp, rexp, M64, 0, rexp, COND_EQ)
    r, sgn = ctx.temp(), ctx.temp()
    ctx.shl(sgn, sign, bits - 1)
    ctx.shl(r, rexp, mbits)
    ctx.shr(frac, frac, 52 - mbits)
    ctx.or_(r, r, frac)
    ctx.or_(r, r, sgn)
    # the special cases, the later ones winning
    inf = emax << mbits
    tiny, over, big = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.setcond(tiny, f52, 1 << 50, COND_LTU)
    ctx.movi(over, 0)
    ctx.setcond(over, exp, 0, COND_EQ)
    ctx.and_(tiny, tiny, over)  # below 2**-(bias + 1): overflows
    rm = _rm(dc)
    if rm == RM_NEAREST_EVEN:
        ctx.movi(big, inf)
    elif rm == RM_ZERO:
        ctx.movi(big, inf - 1)
    else:
        ctx.movcond(big, sign, 0, inf if rm == RM_UP else inf - 1,
                    inf - 1 if rm == RM_UP else inf, COND_EQ)  # fmt: skip
    ctx.or_(big, big, sgn)
    ctx.movcond(r, tiny, 0, big, r, COND_NE)
    zero = ctx.temp()
    ctx.setcond(zero, f52, 0, COND_EQ)
    ctx.and_(zero, zero, over)
    ctx.movcond(r, zero, 0, inf, r, COND_NE)
    ctx.or_(r, r, sgn)
    if fz(dc, bits):  # from 2**126 (2**1022, 2**14) on the estimate is flushed
        flushes = ctx.temp()
        ctx.setcond(flushes, exp, _RECIP_FLUSHED_FROM[bits], COND_GEU)
        ctx.movcond(r, flushes, 0, sgn, r, COND_NE)
    is_inf = ctx.temp()
    ctx.setcond(is_inf, exp, emax, COND_EQ)
    ctx.movcond(r, is_inf, 0, sgn, r, COND_NE)
    _quiet_nan(dc, v, bits, r)
    return r


def rsqrt_estimate(dc: DisasContext, v: Temp, bits: int) -> Temp:
    """FRSQRTE of one lane (its bits in an i64)."""
    ctx = dc.ctx
    v = flush_in(dc, v, bits)
    _estimate_flags(dc, v, bits, "rsqrt")
    mbits, bias = _FMT[bits]
    emax = (1 << (bits - 1 - mbits)) - 1
    sign, exp, f52 = _unpack(dc, v, bits)
    # subnormals: normalized, the exponent going negative
    lz, e, f = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.clz(lz, f52, 64)
    ctx.sub(lz, lz, 12)
    ctx.movcond(lz, lz, 51, 51, lz, COND_GT)  # a zero fraction: a special case below
    ctx.add(f, lz, 1)
    ctx.shl(f, f52, f)
    ctx.extract(f, f, 0, 52)
    ctx.neg(e, lz)
    ctx.movcond(e, exp, 0, e, exp, COND_EQ)
    ctx.movcond(f, exp, 0, f, f52, COND_EQ)
    odd, even, scaled = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.shr(even, f, 44)
    ctx.or_(even, even, 256)
    ctx.shr(odd, f, 45)
    ctx.or_(odd, odd, 128)
    parity = ctx.temp()
    ctx.and_(parity, e, 1)
    ctx.movcond(scaled, parity, 0, even, odd, COND_EQ)
    est = _rsqrt_table(dc, scaled)
    rexp, r = ctx.temp(), ctx.temp()
    ctx.sub(rexp, ctx.const(I64, 3 * bias - 1), e)
    ctx.shr(rexp, rexp, 1)
    ctx.shl(r, rexp, mbits)
    ctx.and_(est, est, 0xFF)
    ctx.shl(est, est, mbits - 8)
    ctx.or_(r, r, est)
    inf = emax << mbits
    sgn, zero, is_inf = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.shl(sgn, sign, bits - 1)
    ctx.setcond(is_inf, exp, emax, COND_EQ)
    ctx.movcond(r, is_inf, 0, 0, r, COND_NE)  # +infinity: +0
    dnan = {16: 0x7E00, 32: 0x7FC00000, 64: 0x7FF8000000000000}[bits]
    ctx.movcond(r, sign, 0, dnan, r, COND_NE)  # negative: the default NaN
    ctx.or_(zero, exp, f52)
    ctx.movcond(r, zero, 0, inf | 0, r, COND_EQ)
    ctx.movcond(zero, zero, 0, sgn, 0, COND_EQ)
    ctx.or_(r, r, zero)  # zeros: infinities of their sign
    _quiet_nan(dc, v, bits, r)
    return r


def recip_exponent(dc: DisasContext, v: Temp, bits: int) -> Temp:
    """FRECPX of one lane: the exponent inverted, the fraction cleared (a zero or
    subnormal gives the largest exponent)."""
    ctx = dc.ctx
    v = flush_in(dc, v, bits)
    _estimate_flags(dc, v, bits, "recpx")
    mbits = _FMT[bits][0]
    emax = (1 << (bits - 1 - mbits)) - 1
    sign, exp, r = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.extract(sign, v, bits - 1, 1)
    ctx.extract(exp, v, mbits, bits - 1 - mbits)
    ctx.xor(r, exp, emax)
    ctx.movcond(r, exp, 0, emax - 1, r, COND_EQ)
    ctx.shl(r, r, mbits)
    ctx.shl(sign, sign, bits - 1)
    ctx.or_(r, r, sign)
    _quiet_nan(dc, v, bits, r)
    return r


def unsigned_estimate(dc: DisasContext, v: Temp, sqrt: bool) -> Temp:
    """URECPE (URSQRTE with ``sqrt``) of one 32-bit lane."""
    ctx = dc.ctx
    a, r, small = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.shr(a, v, 23)
    est = _rsqrt_table(dc, a) if sqrt else _recip_table(dc, a)
    ctx.shl(r, est, 23)
    ctx.extract(r, r, 0, 32)
    ctx.shr(small, v, 30 if sqrt else 31)
    ctx.movcond(r, small, 0, 0xFFFFFFFF, r, COND_EQ)
    return r


def fixed_vector(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """SCVTF/UCVTF (shift-immediate opcode 0x1C), FCVTZS/FCVTZU (0x1F) with #fbits."""
    q, u, immh, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 22, 19), field(
        insn, 15, 11)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    if immh < 2:
        raise dc.invalid(insn, "unallocated fixed-point conversion")
    bits = 64 if immh >= 8 else 32 if immh >= 4 else 16
    if bits == 64 and not q and not scalar:
        raise dc.invalid(insn, "reserved FP lane form")
    fbits = 2 * bits - (immh << 3 | field(insn, 18, 16))
    count = 1 if scalar else (128 if q else 64) // bits
    to_float = opcode == 0x1C
    src = get_lanes(t, dc, rn, bits, count, signed=to_float and not u)
    if bits == 16:  # on doubles (exact), rounded once to a half (trans_fp16)
        out = [fp16.narrow(dc, _fixed(dc, v, 64, 64, fbits, True, not u)) if to_float else
               _fixed(dc, fp16.from_half(dc, v, 64, quiet=False), 64, 16, fbits, False, not u)
               for v in src]  # fmt: skip
    else:
        out = [_fixed(dc, v, bits, bits, fbits, to_float, not u) for v in src]
    if to_float and bits != 16:
        out = [_widen(dc, v, bits) for v in out]
    # FCVTZS Hd, Hn, #fbits: Unicorn's max CPU (QEMU) writes the int16 sign-extended to
    # 32 bits, bits 31:16 of Vd too; matched (an FCVTZU result is zero-extended anyway)
    quirk = scalar and bits == 16 and not to_float
    set_lanes(t, dc, rd, out, 32 if quirk else bits)


def _fixed(dc: DisasContext, v: Temp, fbits_of: int, ibits: int, fbits: int, to_float: bool,
           signed: bool) -> Temp:  # fmt: skip
    """One fixed-point conversion: the integer ``v`` (i64, extended) to a float of
    ``fbits_of`` bits scaled by 2**-fbits, or the float ``v`` (i64 lane) to an
    ``ibits``-bit integer scaled by 2**fbits, rounding towards zero."""
    ctx = dc.ctx
    sfx = "f32" if fbits_of == 32 else "f64"
    ty = I32 if fbits_of == 32 else I64
    if to_float:
        r = ctx.temp(ty)
        ctx.emit(f"itof_{sfx}", r, v, int(signed), _rm(dc))
        ctx.emit(f"fmul_{sfx}", r, r, ctx.const(ty, _const(fbits_of, 2.0**-fbits)), _rm(dc))
        return r
    a = _clamp_huge(dc, _narrow(dc, v, fbits_of), fbits_of, 2.0 ** (ibits + 1 - fbits))
    s = ctx.temp(ty)
    ctx.emit(f"fmul_{sfx}", s, a, ctx.const(ty, _const(fbits_of, 2.0**fbits)), _rm(dc))
    r = ctx.temp()
    ctx.emit(f"ftoi_{sfx}", r, s, int(signed), ibits, int(RM_ZERO))
    if ibits == 32:
        ctx.ext32u(r, r)
    return r


def _clamp_huge(dc: DisasContext, a: Temp, bits: int, limit: float) -> Temp:
    """``a``, or ``limit`` (2^(ibits + 1 - fbits)) of its sign where it is a number
    beyond it (infinities too): out of the integer range all the same once scaled by
    2^fbits, which then cannot overflow (an overflow would raise OFC and IXC, which
    FPToFixed's exact scaling never does)."""
    ctx = dc.ctx
    ty = I32 if bits == 32 else I64
    huge = _const(bits, limit)
    mag, sgn, r = ctx.temp(ty), ctx.temp(ty), ctx.temp(ty)
    ctx.andc(mag, a, _SIGN[bits])
    ctx.and_(sgn, a, _SIGN[bits])
    ctx.or_(sgn, sgn, huge)
    ctx.movcond(r, mag, huge, sgn, a, COND_GTU)
    ctx.movcond(r, mag, _INF[bits], a, r, COND_GTU)  # a NaN stays one
    return r


def fixed_general(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SCVTF/UCVTF (fixed-point, from a general register), FCVTZS/FCVTZU (fixed-point)."""
    sf, ftype, rmode, opcode = insn >> 31, field(insn, 23, 22), field(insn, 20, 19), field(
        insn, 18, 16)  # fmt: skip
    scale, rn, rd = field(insn, 15, 10), field(insn, 9, 5), insn & 31
    if ftype == 2 or (not sf and scale < 32):
        raise dc.invalid(insn, "unallocated fixed-point conversion")
    bits = (32, 64, 0, 16)[ftype]  # a half: on a double, rounded once (trans_fp16)
    fbits = 64 - scale
    ctx = dc.ctx
    if rmode == 0 and opcode in (2, 3):
        src = ctx.temp()
        x = t.rx(dc, rn)
        if sf:
            ctx.mov(src, x)
        elif opcode == 2:
            ctx.ext32s(src, x)
        else:
            ctx.ext32u(src, x)
        if bits == 16:
            src = fp16.round_to_odd(dc, src, opcode == 2)
            fp16.store(t, dc, rd, _fixed(dc, src, 64, 64, fbits, True, opcode == 2))
            return
        r = _widen(dc, _fixed(dc, src, bits, 64, fbits, True, opcode == 2), bits)
        ctx.mov(t.vlo[rd], r)
        ctx.movi(t.vhi[rd], 0)
        return
    if rmode == 3 and opcode in (0, 1):
        a, abits = (fp16.load(t, dc, rn), 64) if bits == 16 else (t.vlo[rn], bits)
        r = _fixed(dc, a, abits, 64 if sf else 32, fbits, False, opcode == 0)
        t.wx(dc, rd, r, sf)
        return
    raise dc.invalid(insn, "unallocated fixed-point conversion")


def fcvtxn(t: AArch64Target, dc: DisasContext, insn: int, scalar: bool = False) -> None:
    """FCVTXN{2} (and scalar): double to single rounding to odd (truncated, the lowest
    bit set when that was inexact), for a later rounding without double rounding."""
    ctx = dc.ctx
    q = field(insn, 30, 30)
    src = get_lanes(t, dc, field(insn, 9, 5), 64, 1 if scalar else 2)
    out = []
    for v in src:
        v = flush_in(dc, v, 64)
        r32, back, inexact, r = ctx.temp(I32), ctx.temp(), ctx.temp(), ctx.temp()
        ctx.fcvt_f64_f32(r32, v, int(RM_ZERO))
        ctx.fcvt_f32_f64(back, r32, int(RM_ZERO))
        ctx.setcond(inexact, back, v, COND_NE)
        ctx.extu_i32_i64(r, r32)
        ctx.or_(r, r, inexact)
        r32 = ctx.temp(I32)
        ctx.extrl_i64_i32(r32, r)
        r32 = nan_narrow(dc, v, r32)  # a NaN converts back to a different NaN: not inexact
        w = ctx.temp()
        ctx.extu_i32_i64(w, r32)
        if fz(dc):  # below the smallest normal single: its zero (no odd bit)
            mag, sgn = ctx.temp(), ctx.temp()
            ctx.and_(mag, v, (1 << 63) - 1)
            ctx.shr(sgn, v, 32)
            ctx.and_(sgn, sgn, 1 << 31)
            ctx.movcond(w, mag, 0x3810000000000000, sgn, w, COND_LTU)
        out.append(w)
    set_lanes(t, dc, insn & 31, out, 32, upper=bool(q) and not scalar)
