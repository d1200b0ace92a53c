"""Translators: conversions to and from IEEE half precision, and the vocabulary of
half-precision arithmetic (FEAT_FP16).

Owns FCVT between H and S or D registers and the half-precision forms of
FCVTL{2} and FCVTN{2}. The core has no f16 ops: half values are unpacked and
packed with i64 IR ops here (a widening is exact; a narrowing rounds once, in
FPCR's rounding mode, a constant of the TB). NaNs keep their payload, quieted
by the conversions, unless FPCR.DN makes every NaN the default NaN; with FPCR.AHP
conversions use the alternative half-precision format (no infinities or NaNs:
exponent 31 is a normal number, an overflow saturates to the largest magnitude,
an infinity converts to it and a NaN to a zero). Both are constants of the TB
(``tb_flags``). No Python helper is called.

Half-precision arithmetic (``trans_fp`` on H registers, ``trans_fp16_simd``)
widens its operands to doubles exactly, signalling NaNs kept (``load``,
``from_half(quiet=False)``), computes with the f64 IR ops and Arm's NaN rules of
``trans_fp``, and narrows once (``store``, ``to_half(quiet=False)``). One
rounding in double precision and one to a half give the correctly rounded half:

* add, sub, mul, div, sqrt: 53 >= 2 * 11 + 2, so double rounding is innocuous.
* fused multiply-add (FMADD, FMLA, FRECPS, FRSQRTS): a*b has at most 22
  significant bits and c at most 11, so fma_f64 is exact unless the smaller term
  lies wholly below the larger's 31st bit. Then it cannot move the sum onto an
  f16 rounding boundary it was not already on: a half, or a 22-bit product,
  that is not itself an f16 midpoint is at least 2**-22 of its magnitude away
  from every midpoint; a product that is a midpoint, plus an addend below 2**-53
  of it (an addend is at least 2**-24), is beyond 2**29 and overflows either
  way. Directed roundings nest (the half grid is part of the double grid).
* integer to half (SCVTF, UCVTF): the integer is first rounded to odd at 53
  bits (``round_to_odd``), which makes the conversion to double exact and
  keeps the one rounding to half correct.
* min/max, compares, FRINT* (an integral half stays a half), FCVT* to integers,
  fixed-point scaling: exact on the widened value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tcgkit.target import DisasContext
from tcgkit.tcg.builders import F_SAR, F_SHR
from tcgkit.tcg.fpflags import IOC
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.types import I32, I64

from .aliases import (
    COND_EQ,
    COND_GEU,
    COND_GT,
    COND_GTU,
    COND_LT,
    COND_NE,
    RM_DOWN,
    RM_NEAREST_AWAY,
    RM_NEAREST_EVEN,
    RM_UP,
    RM_ZERO,
)
from .bits import field
from .flush_zero import FZ16_LIMITS, flush_in, flush_out, fz
from .lanes import get_lanes, or_fpsr, or_fpsr_bits, set_lanes
from .state import FLAG_AHP
from .trans_fp import _rm, default_nan

if TYPE_CHECKING:
    from .target import AArch64Target

#: (mantissa bits, exponent bits, bias) of single and double
_FMT: Final = {32: (23, 8, 127), 64: (52, 11, 1023)}
M14: Final = -14 & ((1 << 64) - 1)  # the minimum normal exponent of a half, as an i64


def _convert_modes(dc: DisasContext) -> tuple[bool, bool]:
    """(FPCR.AHP, FPCR.DN without AHP) of a conversion: what FPConvert looks at."""
    ahp = bool(dc.flags & FLAG_AHP)
    return ahp, default_nan(dc) and not ahp


def from_half(dc: DisasContext, h: Temp, bits: int, quiet: bool = True,
              convert: bool = False) -> Temp:  # fmt: skip
    """The half ``h`` (an i64 holding 16 bits) as a single or double, in an i64: a NaN
    quietened, or with ``quiet=False`` a signalling NaN kept signalling. ``convert``:
    an FCVT, which FPCR.AHP and FPCR.DN govern."""
    ahp, dn = _convert_modes(dc) if convert else (False, False)
    fz16 = not convert and fz(dc, 16)  # an operand of arithmetic: FZ16 applies
    if fz16:
        dc.extra["fz16"] = True  # and to the instruction's results (``flush_zero``)
    ctx = dc.ctx
    mbits, ebits, bias = _FMT[bits]
    sign, exp, frac = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.extract(sign, h, 15, 1)
    ctx.shl(sign, sign, bits - 1)
    ctx.extract(exp, h, 10, 5)
    ctx.extract(frac, h, 0, 10)
    normal, special, sub = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.add(normal, exp, bias - 15)
    ctx.shl(normal, normal, mbits)
    f = ctx.temp()
    ctx.shl(f, frac, mbits - 10)
    ctx.or_(normal, normal, f)
    # infinities and NaNs (quietened unless told)
    if quiet:
        q = ctx.temp()
        ctx.setcond(q, frac, 0, COND_NE)
        ctx.shl(q, q, mbits - 1)
        ctx.or_(special, f, q)
        ctx.or_(special, special, ((1 << ebits) - 1) << mbits)
    else:
        ctx.or_(special, f, ((1 << ebits) - 1) << mbits)
    # subnormals (and zero): frac * 2**-24, exactly; zeros of their sign under FZ16
    sfx = "f32" if bits == 32 else "f64"
    if fz16:
        ctx.movi(sub, 0)
    elif bits == 32:
        s32 = ctx.temp(I32)
        ctx.emit("itof_f32", s32, frac, 0, int(RM_NEAREST_EVEN))
        ctx.emit(f"fmul_{sfx}", s32, s32, ctx.const(I32, 0x33800000), 0)  # 2**-24
        ctx.extu_i32_i64(sub, s32)
    else:
        ctx.emit("itof_f64", sub, frac, 0, int(RM_NEAREST_EVEN))
        ctx.emit(f"fmul_{sfx}", sub, sub, ctx.const(I64, 0x3E70000000000000), 0)
    r = ctx.temp()
    if ahp:  # exponent 31 is one more binade of normal numbers
        ctx.movcond(r, exp, 0, sub, normal, COND_EQ)
    else:
        ctx.movcond(r, exp, 31, special, normal, COND_EQ)
        ctx.movcond(r, exp, 0, sub, r, COND_EQ)
    ctx.or_(r, r, sign)
    if dn:
        _default_nan_if_nan(dc, r, h, 16, (0x7FC00000 if bits == 32 else 0x7FF8000000000000))
    if convert and not ahp:  # IOC for a signalling NaN (arithmetic: the f64 op's own)
        mag, snan = ctx.temp(), ctx.temp()
        ctx.and_(mag, h, 0x7E00)  # exponent and quiet bit: exactly 0x7C00 for a sNaN ...
        ctx.setcond(snan, mag, 0x7C00, COND_EQ)
        ctx.and_(mag, h, 0x1FF)  # ... with a payload
        ctx.setcond(mag, mag, 0, COND_NE)
        ctx.and_(snan, snan, mag)
        or_fpsr(ctx, snan, IOC)
    return r


def _default_nan_if_nan(dc: DisasContext, r: Temp, a: Temp, bits: int, dnan: int) -> None:
    """r <- ``dnan`` when ``a`` (a float of ``bits`` bits) is a NaN."""
    ctx = dc.ctx
    sign = 1 << (bits - 1)
    inf = {16: 0x7C00, 32: 0x7F800000, 64: 0x7FF0000000000000}[bits]
    mag = ctx.temp()
    ctx.and_(mag, a, sign - 1)
    ctx.movcond(r, mag, inf, dnan, r, COND_GTU)


def to_half(dc: DisasContext, a: Temp, bits: int, rm: int, quiet: bool = True,
            convert: bool = False) -> Temp:  # fmt: skip
    """The single or double ``a`` (its bits in an i64) rounded to a half in mode ``rm``
    (an i64 holding 16 bits). A NaN keeps the top of its payload, quietened; with
    ``quiet=False`` as it is (a NaN made by widening a half, or by Arm's rules on such
    NaNs, has its payload there: it narrows back to the same half). ``convert``: an
    FCVT, which FPCR.AHP and FPCR.DN govern."""
    ahp, dn = _convert_modes(dc) if convert else (False, False)
    if convert:
        a = flush_in(dc, a, bits)  # FPCR.FZ applies to the single or double operand
    ctx = dc.ctx
    mbits, ebits, bias = _FMT[bits]
    sign, exp, frac = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.extract(sign, a, bits - 1, 1)
    ctx.extract(exp, a, mbits, ebits)
    ctx.extract(frac, a, 0, mbits)
    # the significand m (with the implicit bit) and its unbiased exponent e
    m, e, nz = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.setcond(nz, exp, 0, COND_NE)
    ctx.shl(m, nz, mbits)
    ctx.or_(m, m, frac)
    ctx.movcond(e, exp, 0, 1, exp, COND_EQ)  # subnormals: the minimum exponent
    ctx.sub(e, e, bias)
    # E = max(e, -14); q = m >> (mbits - 10 + E - e), rounded
    big_e, sh = ctx.temp(), ctx.temp()
    ctx.movcond(big_e, e, M14, M14, e, COND_LT)
    ctx.sub(sh, big_e, e)
    ctx.add(sh, sh, mbits - 10)
    ctx.movcond(sh, sh, 63, 63, sh, COND_GT)
    q, rem, mask, half = ctx.temp(), ctx.temp(), ctx.temp(), ctx.temp()
    ctx.shr(q, m, sh)
    ctx.shl(mask, ctx.const(I64, 1), sh)
    ctx.sub(mask, mask, 1)
    ctx.and_(rem, m, mask)
    ctx.sub(half, sh, 1)
    ctx.shl(half, ctx.const(I64, 1), half)
    up = ctx.temp()
    if rm == RM_NEAREST_EVEN:
        odd, tie = ctx.temp(), ctx.temp()
        ctx.setcond(up, rem, half, COND_GTU)
        ctx.setcond(tie, rem, half, COND_EQ)
        ctx.and_(odd, q, 1)
        ctx.and_(tie, tie, odd)
        ctx.or_(up, up, tie)
    elif rm == RM_NEAREST_AWAY:
        ctx.setcond(up, rem, half, COND_GEU)
    elif rm in (RM_UP, RM_DOWN):
        ctx.setcond(up, rem, 0, COND_NE)
        toward = ctx.temp()
        ctx.setcond(toward, sign, 0, COND_EQ if rm == RM_UP else COND_NE)
        ctx.and_(up, up, toward)
    else:
        ctx.movi(up, 0)
    ctx.add(q, q, up)
    enc = ctx.temp()
    ctx.add(enc, big_e, 14)
    ctx.shl(enc, enc, 10)
    ctx.add(enc, enc, q)
    _narrowing_flags(dc, a, bits, exp, e, rem, enc, ahp, convert)
    # overflow: the largest finite half, or infinity, as the mode rounds
    if ahp:  # the alternative format saturates, whatever the mode
        ctx.movcond(enc, enc, 0x7FFF, 0x7FFF, enc, COND_GT)
    elif rm == RM_ZERO:
        ctx.movcond(enc, enc, 0x7BFF, 0x7BFF, enc, COND_GT)
    elif rm in (RM_UP, RM_DOWN):
        limit = ctx.temp()
        ctx.movcond(limit, sign, 0, 0x7C00 if rm == RM_UP else 0x7BFF,
                    0x7BFF if rm == RM_UP else 0x7C00, COND_EQ)  # fmt: skip
        ctx.movcond(enc, enc, 0x7BFF, limit, enc, COND_GT)
    else:
        ctx.movcond(enc, enc, 0x7C00, 0x7C00, enc, COND_GT)
    # infinities and NaNs (quietened, the payload's top bits kept)
    special, top = ctx.temp(), ctx.temp()
    ctx.shr(top, frac, mbits - 10)
    if ahp:  # an infinity becomes the largest magnitude, a NaN a zero (of its sign)
        ctx.movcond(special, frac, 0, 0x7FFF, 0, COND_EQ)
    elif quiet:
        ctx.setcond(special, frac, 0, COND_NE)
        ctx.shl(special, special, 9)
        ctx.or_(special, special, top)
        ctx.or_(special, special, 0x7C00)
    else:
        ctx.or_(special, top, 0x7C00)
    ctx.movcond(enc, exp, (1 << ebits) - 1, special, enc, COND_EQ)
    r = ctx.temp()
    ctx.shl(r, sign, 15)
    ctx.or_(r, r, enc)
    if dn:
        _default_nan_if_nan(dc, r, a, bits, 0x7E00)
    return r


def _narrowing_flags(dc: DisasContext, a: Temp, bits: int, exp: Temp, e: Temp, rem: Temp,
                     enc: Temp, ahp: bool, convert: bool) -> None:  # fmt: skip
    """FPSR's flags of ``to_half``'s rounding (Arm's FPRound to 16 bits): for a finite
    operand, IXC when bits were dropped (``rem``) or it overflowed (``enc``, the rounded
    encoding with an unbounded exponent, past the largest finite half), OFC when it
    overflowed, UFC when it was tiny before rounding (``e`` below -14) and inexact; under
    AHP an overflow is IOC alone (the result saturates). For an FCVT (``convert``), IOC
    for a signalling NaN, and under AHP for any NaN or infinity (neither exists there).
    The arithmetic on halves raises the rest itself: its f64 op on the widened operands
    sees the signalling NaNs, and is inexact only where the half is too."""
    ctx = dc.ctx
    mbits, ebits, _ = _FMT[bits]
    finite, inexact, over, flags, t = (ctx.temp() for _ in range(5))
    ctx.setcond(finite, exp, (1 << ebits) - 1, COND_NE)
    ctx.setcond(inexact, rem, 0, COND_NE)
    ctx.setcond(over, enc, 0x7FFF if ahp else 0x7BFF, COND_GT)
    ctx.setcond(t, e, M14, COND_LT)  # tiny, before rounding
    ctx.and_(t, t, inexact)
    ctx.shl(flags, t, 3)  # UFC
    if ahp:
        ctx.andc(inexact, inexact, over)  # a saturation is exact: IOC instead
        ctx.or_(flags, flags, over)  # IOC
    else:
        ctx.or_(inexact, inexact, over)
        ctx.shl(t, over, 2)  # OFC
        ctx.or_(flags, flags, t)
    ctx.shl(t, inexact, 4)  # IXC
    ctx.or_(flags, flags, t)
    ctx.neg(t, finite)  # all ones for a finite operand
    ctx.and_(flags, flags, t)
    if convert:  # IOC: a signalling NaN; with AHP, any NaN or infinity
        special = ctx.temp()
        ctx.xor(special, finite, 1)
        if not ahp:
            quiet_or_inf = ctx.temp()
            ctx.extract(t, a, 0, mbits - 1)  # the payload below the quiet bit
            ctx.setcond(t, t, 0, COND_NE)
            ctx.extract(quiet_or_inf, a, mbits - 1, 1)
            ctx.andc(t, t, quiet_or_inf)
            ctx.and_(special, special, t)
        ctx.or_(flags, flags, special)
    or_fpsr_bits(ctx, flags)


def fcvt(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FCVT (scalar) from or to a half: type (bits 23:22) 0 single, 1 double, 3 half;
    opcode 4 to single, 5 to double, 7 to half."""
    ftype, opcode = field(insn, 23, 22), field(insn, 20, 15)
    rn, rd = field(insn, 9, 5), insn & 31
    src = {0: 32, 1: 64, 3: 16}.get(ftype)
    dst = {4: 32, 5: 64, 7: 16}.get(opcode)
    if src is None or dst is None or src == dst or 16 not in (src, dst):
        raise dc.invalid(insn, "unallocated FCVT")
    ctx = dc.ctx
    v = ctx.temp()
    if src < 64:
        ctx.extract(v, t.vlo[rn], 0, src)
    else:
        ctx.mov(v, t.vlo[rn])
    r = (
        from_half(dc, v, dst, convert=True)
        if src == 16
        else to_half(dc, v, src, _rm(dc), convert=True)
    )
    ctx.mov(t.vlo[rd], r)
    ctx.movi(t.vhi[rd], 0)


def fcvtl(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FCVTL{2} from four halves to four singles."""
    q = field(insn, 30, 30)
    src = get_lanes(t, dc, field(insn, 9, 5), 16, 4, part=q)
    set_lanes(t, dc, insn & 31, [from_half(dc, v, 32, convert=True) for v in src], 32)


def fcvtn(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FCVTN{2} from four singles to four halves (the upper half of Vd with Q)."""
    q = field(insn, 30, 30)
    src = get_lanes(t, dc, field(insn, 9, 5), 32, 4)
    out = [to_half(dc, v, 32, _rm(dc), convert=True) for v in src]
    set_lanes(t, dc, insn & 31, out, 16, upper=bool(q))


# -- half-precision arithmetic: halves computed on as doubles (the module docstring) --------


def load(t: AArch64Target, dc: DisasContext, n: int) -> Temp:
    """H register n as a double (an i64), a signalling NaN kept signalling."""
    h = dc.ctx.temp()
    dc.ctx.extract(h, t.vlo[n], 0, 16)
    return from_half(dc, h, 64, quiet=False)


def narrow(dc: DisasContext, v: Temp) -> Temp:
    """The double ``v``, a half-precision result computed on widened halves, rounded
    to a half in FPCR's mode (an i64 holding 16 bits). Under FPCR.FZ16 a result below
    the smallest normal half is a zero with UFC (the flushed ops' are already)."""
    if fz(dc, 16):
        v = flush_out(dc, v, FZ16_LIMITS[64])
    return to_half(dc, v, 64, _rm(dc), quiet=False)


def store(t: AArch64Target, dc: DisasContext, n: int, v: Temp) -> None:
    """H register n = the double ``v`` rounded to a half (the rest of v<n> cleared)."""
    dc.ctx.mov(t.vlo[n], narrow(dc, v))
    dc.ctx.movi(t.vhi[n], 0)


def round_to_odd(dc: DisasContext, v: Temp, signed: bool) -> Temp:
    """The 64-bit integer ``v`` rounded to odd at 53 significant bits (the bits below
    dropped, the lowest kept one set if any was nonzero): its conversion to a double
    is exact, and one later rounding to a half is as if from ``v`` itself."""
    ctx = dc.ctx
    x, lz, sh = ctx.temp(), ctx.temp(), ctx.temp()
    if signed:  # the magnitude's bit length, as that of v ^ (v >> 63)
        ctx.sar(x, v, 63)
        ctx.xor(x, x, v)
    else:
        ctx.mov(x, v)
    ctx.clz(lz, x, 64)
    ctx.sub(sh, ctx.const(I64, 11), lz)  # bit length - 53
    ctx.movcond(sh, lz, 11, 0, sh, COND_GT)
    mask, low, r = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.shl(mask, ctx.const(I64, 1), sh)
    ctx.sub(mask, mask, 1)
    ctx.and_(low, v, mask)
    ctx.setcond(low, low, 0, COND_NE)
    ctx.binary(F_SAR if signed else F_SHR, r, v, sh)  # floor, then the odd neighbour
    ctx.or_(r, r, low)
    ctx.shl(r, r, sh)
    return r
