"""AdvSIMD building blocks every SIMD translator module shares.

Owns reading and writing vector register lanes as i64 temps (``get_lanes``,
``set_lanes``: a vector register is its two 64-bit halves, the ``vlo``/``vhi``
globals), lane-wise compares on a whole half at once (``swar_compare``: SIMD
within a register, a few ops for 8 byte lanes where one op per lane would take
forty), and the saturation vocabulary (``clamp``, ``saturating_add`` and
``set_qc``, the sticky FPSR.QC flag). Everything here emits i64 IR ops; no
Python helper is called from generated code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tcgkit.target import DisasContext
from tcgkit.tcg.builders import F_ADD, F_AND, F_SUB, F_XOR
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.types import I32, I64

from .aliases import COND_EQ, COND_GT, COND_GTU, COND_LT, COND_LTU, COND_NE, COND_TSTNE
from .state import SLOT_FPSR

if TYPE_CHECKING:
    from .target import AArch64Target

M64: Final = (1 << 64) - 1
#: the high 32-bit lane of a half
HIGH_WORD: Final = 0xFFFFFFFF00000000

# -- lanes ---------------------------------------------------------------------------------


def get_lanes(t: AArch64Target, dc: DisasContext, n: int, esize: int, count: int,
              signed: bool = False, part: int = 0) -> list[Temp]:  # fmt: skip
    """``count`` lanes of ``esize`` bits of v<n>, from lane ``part * count`` on."""
    ctx = dc.ctx
    out = []
    per_half = 64 // esize
    for i in range(part * count, part * count + count):
        half = t.vlo[n] if i < per_half else t.vhi[n]
        pos = (i % per_half) * esize
        v = ctx.temp()
        if esize == 64:
            ctx.mov(v, half)
        elif signed:
            ctx.sextract(v, half, pos, esize)
        else:
            ctx.extract(v, half, pos, esize)
        out.append(v)
    return out


def set_lanes(t: AArch64Target, dc: DisasContext, d: int, lanes: list[Temp], esize: int,
              upper: bool = False, clean: bool = False) -> None:  # fmt: skip
    """Write ``lanes`` into v<d>: the whole register (zeroing what is left), or
    with ``upper`` the high half only (the "2" forms), keeping the low half.
    ``clean``: every lane is zero above its ``esize`` bits already (a half then
    starts from its first lane as it is)."""
    ctx = dc.ctx
    per_half = 64 // esize
    halves: list[Temp] = []
    for h in range(2):
        chunk = lanes[h * per_half : (h + 1) * per_half]
        if not chunk:
            break
        r = chunk[0]
        if esize < 64 and (len(chunk) > 1 or not clean):  # the lanes deposited into a new half
            r = ctx.temp()
            if not clean:
                ctx.extract(r, chunk[0], 0, esize)
            base = r if not clean else chunk[0]
            for i in range(1, len(chunk)):
                ctx.deposit(r, base, chunk[i], i * esize, esize)
                base = r
        elif r.is_global:  # a source register's half as it is: copied before Vd is written
            r = ctx.temp()
            ctx.mov(r, chunk[0])
        halves.append(r)
    if upper:
        ctx.mov(t.vhi[d], halves[0])
        return
    ctx.mov(t.vlo[d], halves[0])
    if len(halves) > 1:
        ctx.mov(t.vhi[d], halves[1])
    else:
        ctx.movi(t.vhi[d], 0)


def fp_lanes(t: AArch64Target, dc: DisasContext, n: int, bits: int, count: int,
             part: int = 0) -> list[Temp]:  # fmt: skip
    """``get_lanes`` for float lanes: single-precision lanes as i32 temps (each the
    low or high word of a half, one op), double-precision ones as the i64 halves."""
    if bits == 64:
        return get_lanes(t, dc, n, 64, count, part=part)
    ctx = dc.ctx
    out = []
    for i in range(part * count, part * count + count):
        half = t.vlo[n] if i < 2 else t.vhi[n]
        v = ctx.temp(I32)
        if i & 1:
            ctx.extrh_i64_i32(v, half)
        else:
            ctx.extrl_i64_i32(v, half)
        out.append(v)
    return out


def set_fp_lanes(t: AArch64Target, dc: DisasContext, d: int, lanes: list[Temp], bits: int,
                 upper: bool = False) -> None:  # fmt: skip
    """``set_lanes`` for float lanes of ``bits`` (i32 temps for single precision)."""
    if bits == 32:
        wide = []
        for v in lanes:
            w = dc.ctx.temp()
            dc.ctx.extu_i32_i64(w, v)
            wide.append(w)
        lanes = wide
    set_lanes(t, dc, d, lanes, bits, upper=upper, clean=True)


def esize_of(size: int) -> int:
    return 8 << size


# -- SIMD within a register: every lane of a 64-bit half at once ----------------------------


def lane_high_bits(esize: int) -> int:
    """The top bit of every ``esize``-bit lane of 64 bits (0x8080...80 for bytes)."""
    return (M64 // ((1 << esize) - 1)) << (esize - 1) & M64


def swar_mask(dc: DisasContext, top: Temp, esize: int) -> Temp:
    """All ones in each lane whose top bit is set in ``top`` (which has no other bits):
    ``(top << 1) - (top >> (esize - 1))``, each lane's 2^esize - 1 (mod 2^64)."""
    ctx = dc.ctx
    up, down = ctx.temp(), ctx.temp()
    ctx.shl(up, top, 1)
    ctx.shr(down, top, esize - 1)
    ctx.sub(up, up, down)
    return up


def lane_repeat(esize: int, value: int) -> int:
    """``value`` (of ``esize`` bits) in every ``esize``-bit lane of 64 bits."""
    return (M64 // ((1 << esize) - 1)) * (value & ((1 << esize) - 1)) & M64


def swar_add(dc: DisasContext, a: Temp, b: Temp, esize: int, sub: bool = False) -> Temp:
    """Lane-wise ``a + b`` (or ``a - b``) of two 64-bit halves of ``esize``-bit lanes
    (< 64), no carry or borrow crossing a lane: the low bits of each lane are added
    with the top bits cleared (subtracted with the minuend's top bits set), and the
    lane's top bit is then the operands' top bits XORed in (XNORed for a subtraction).
    Two 32-bit lanes take fewer ops: the whole-half sum is right in the low lane, and
    the high lane's is the sum with the low word of ``a`` (of both for a subtraction)
    cleared, so that nothing carries or borrows into it."""
    ctx = dc.ctx
    if esize == 32:
        r, hi = ctx.temp(), ctx.temp()
        ctx.binary(F_SUB if sub else F_ADD, r, a, b)
        ctx.and_(hi, a, HIGH_WORD)
        if sub:
            low_b = ctx.temp()
            ctx.and_(low_b, b, HIGH_WORD)
            ctx.sub(hi, hi, low_b)
        else:
            ctx.add(hi, hi, b)
        ctx.deposit(r, hi, r, 0, 32)
        return r
    h = lane_high_bits(esize)
    x, y, z, r = ctx.temp(), ctx.temp(), ctx.temp(), ctx.temp()
    if sub:
        ctx.or_(x, a, h)
        ctx.andc(y, b, h)
        ctx.sub(r, x, y)
        ctx.eqv(z, a, b)
    else:
        ctx.andc(x, a, h)
        ctx.andc(y, b, h)
        ctx.add(r, x, y)
        ctx.xor(z, a, b)
    ctx.and_(z, z, h)
    ctx.xor(r, r, z)
    return r


def swar_mul32(dc: DisasContext, a: Temp, b: Temp) -> Temp:
    """Lane-wise products (mod 2^32) of two halves of two 32-bit lanes: the low 32 bits
    of the whole 64-bit product are the low lanes' product; the high lane of ``a``
    alone (its low word cleared) times the high lane of ``b`` puts that lanes' product
    in the high word."""
    ctx = dc.ctx
    r, ah, bh = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.mul(r, a, b)
    ctx.and_(ah, a, HIGH_WORD)
    ctx.shr(bh, b, 32)
    ctx.mul(ah, ah, bh)
    ctx.deposit(r, ah, r, 0, 32)
    return r


def swar_shift(dc: DisasContext, v: Temp, esize: int, amount: int, kind: str) -> Temp:
    """Every ``esize``-bit lane (< 64) of the half ``v`` shifted by ``amount`` at once:
    ``kind`` "shl" (0 <= amount < esize), "shr" or "sar" (1 <= amount <= esize). The
    whole half is shifted and the bits that crossed into a neighbouring lane masked
    off; an arithmetic shift then ORs in each negative lane's copies of its sign bit:
    with S the lanes' top bits of ``v``, ``(S << 1) - (S >> (amount - 1))`` is ones from
    bit ``esize - amount`` to the top of exactly those lanes."""
    ctx = dc.ctx
    r = ctx.temp()
    if kind == "shl":
        if amount == 0:
            ctx.mov(r, v)
            return r
        ctx.shl(r, v, amount)
        ctx.and_(r, r, lane_repeat(esize, ((1 << esize) - 1) << amount))
        return r
    if kind == "sar" and esize == 32:  # the high lane shifted in place, the low one apart
        lo = ctx.temp()
        ctx.sar(r, v, amount)
        ctx.sextract(lo, v, 0, 32)
        ctx.sar(lo, lo, amount)
        ctx.deposit(r, r, lo, 0, 32)
        return r
    if amount >= esize:
        ctx.movi(r, 0)
    else:
        ctx.shr(r, v, amount)
        ctx.and_(r, r, lane_repeat(esize, (1 << (esize - amount)) - 1))
    if kind == "sar":
        s, up = ctx.temp(), ctx.temp()
        ctx.and_(s, v, lane_high_bits(esize))
        ctx.shl(up, s, 1)
        ctx.shr(s, s, amount - 1)
        ctx.sub(up, up, s)
        ctx.or_(r, r, up)
    return r


def swar_even_lanes(dc: DisasContext, x: Temp, esize: int) -> Temp:
    """The even ``esize``-bit lanes (8, 16 or 32) of the half ``x`` packed into the low
    32 bits of the result (lane 0, 2, ...: what a narrowing to ``esize`` bits keeps
    of lanes twice as wide); the bits above are unspecified. Bytes go pairwise first
    (``t | t >> 8`` once the odd bytes are cleared), then the two 16-bit groups meet
    with one deposit."""
    if esize == 32:
        return x
    ctx = dc.ctx
    if esize == 8:
        t, u = ctx.temp(), ctx.temp()
        ctx.and_(t, x, lane_repeat(16, 0xFF))
        ctx.shr(u, t, 8)
        ctx.or_(t, t, u)
        x = t
    hi, r = ctx.temp(), ctx.temp()
    ctx.shr(hi, x, 32)
    ctx.deposit(r, x, hi, 16, 16)
    return r


def swar_pack(dc: DisasContext, lo: Temp, hi: Temp) -> Temp:
    """The low 32 bits of ``lo`` below those of ``hi``: two ``swar_even_lanes`` results
    as one half."""
    r = dc.ctx.temp()
    dc.ctx.deposit(r, lo, hi, 32, 32)
    return r


def swar_narrow(dc: DisasContext, lo: Temp, hi: Temp, esize: int, shift: int = 0) -> Temp:
    """The 128-bit ``hi:lo`` of ``2 * esize``-bit lanes narrowed to one half of
    ``esize``-bit lanes: each lane's bits ``shift`` to ``shift + esize`` (0 <= shift <=
    esize: they never cross into the next lane, so one shift of the whole half does)."""
    parts = []
    for x in (lo, hi):
        if shift:
            s = dc.ctx.temp()
            dc.ctx.shr(s, x, shift)
            x = s
        parts.append(swar_even_lanes(dc, x, esize))
    return swar_pack(dc, parts[0], parts[1])


def swar_compare(dc: DisasContext, a: Temp | int, b: Temp | int, esize: int, cond: str) -> Temp:
    """Lane-wise ``a cond b`` of two 64-bit halves of ``esize``-bit lanes (< 64): all
    ones where it holds. ``cond``: "eq", "tst" (a & b != 0), "geu", "gtu", "ge", "gt".
    Zero test: a lane's low bits plus all-ones-but-the-top carry into its top bit
    exactly when they are not all zero. Ordered: (a | H) - (b & ~H) subtracts the low
    bits with the borrow kept in the lane; its top bit, merged with the operands' top
    bits, is the lane's "no borrow" (a >= b); signed lanes flip their top bits first."""
    ctx = dc.ctx
    h = lane_high_bits(esize)
    low = ~h & M64
    top = ctx.temp()
    if cond in ("eq", "tst"):
        x = ctx.temp()
        ctx.binary(F_XOR if cond == "eq" else F_AND, x, a, b)
        t = ctx.temp()
        ctx.andc(t, x, h)
        ctx.add(t, t, low)
        ctx.or_(t, t, x)
        if cond == "eq":  # the zero lanes
            ctx.andc(top, h, t)
        else:
            ctx.and_(top, t, h)
        return swar_mask(dc, top, esize)
    p: Temp | int = a
    n: Temp | int = b
    if cond in ("ge", "gt"):
        fa, fb = ctx.temp(), ctx.temp()
        ctx.xor(fa, a, h)
        ctx.xor(fb, b, h)
        p, n = fa, fb
    if cond in ("gt", "gtu"):  # a > b is not (b >= a)
        p, n = n, p
    d, k, e = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.or_(d, p, h)
    ctx.andc(k, n, h)
    ctx.sub(d, d, k)  # top bit: the low bits did not borrow
    ctx.andc(k, p, n)  # p's top bit set, n's clear
    ctx.eqv(e, p, n)  # equal top bits ...
    ctx.and_(e, e, d)  # ... and no borrow below
    ctx.or_(k, k, e)
    if cond in ("gt", "gtu"):
        ctx.andc(top, h, k)
    else:
        ctx.and_(top, k, h)
    return swar_mask(dc, top, esize)


# -- saturation ------------------------------------------------------------------


def or_fpsr(ctx: TCGContext, cond: Temp, bit: int) -> None:
    """FPSR |= ``bit`` if ``cond`` (0 or 1, an i32 or i64 temp) is 1: a cumulative flag
    the IR's float ops do not raise themselves (FPSR's slot is their flags word, with
    no TCG global: ``target.fp_flags_offset``)."""
    b = ctx.temp(I64)
    if cond.type is I32:
        ctx.extu_i32_i64(b, cond)
    else:
        ctx.mov(b, cond)
    if bit > 1:
        ctx.shl(b, b, bit.bit_length() - 1)
    or_fpsr_bits(ctx, b)


def or_fpsr_bits(ctx: TCGContext, bits: Temp) -> None:
    """FPSR |= ``bits`` (an i64 temp of FPSR bits, computed in IR)."""
    fpsr = ctx.temp(I64)
    ctx.ld(fpsr, 8 * SLOT_FPSR)
    ctx.or_(fpsr, fpsr, bits)
    ctx.st(fpsr, 8 * SLOT_FPSR)


def fcmp_flag(ctx: TCGContext, cmp: Temp, bits: int, bit: int) -> None:
    """FPSR |= ``bit`` (IOC: a signalling compare of a NaN; IXC: FRINTX changed its
    operand) where the ``fcmp`` result ``cmp`` says unordered (IOC) or less or greater
    (IXC)."""
    c = ctx.temp(cmp.type)
    ctx.setcond(c, cmp, 8 if bit == 1 else 5, COND_EQ if bit == 1 else COND_TSTNE)
    or_fpsr(ctx, c, bit)


def set_qc(t: AArch64Target, dc: DisasContext, sat: Temp) -> None:
    """FPSR.QC |= (sat != 0): the sticky saturation flag."""
    ctx = dc.ctx
    q = ctx.temp()
    ctx.setcond(q, sat, 0, COND_NE)
    ctx.shl(q, q, 27)
    or_fpsr_bits(ctx, q)


def clamp(dc: DisasContext, v: Temp, lo: int, hi: int, signed: bool, sat: Temp) -> Temp:
    """``v`` (an i64, sign-extended when ``signed``) clamped to [lo, hi]; ``sat`` |= 1
    when it was out of range."""
    ctx = dc.ctx
    m64 = (1 << 64) - 1
    r, over = ctx.temp(), ctx.temp()
    lt, gt = (COND_LT, COND_GT) if signed else (COND_LTU, COND_GTU)
    ctx.movcond(r, v, hi & m64, hi & m64, v, gt)
    ctx.movcond(r, r, lo & m64, lo & m64, r, lt)
    ctx.setcond(over, r, v, COND_NE)
    ctx.or_(sat, sat, over)
    return r


def saturating_add(dc: DisasContext, a: Temp, b: Temp, esize: int, signed: bool, sub: bool,
                   sat: Temp) -> Temp:  # fmt: skip
    """[SU]Q(ADD|SUB) of one lane (lanes sign- or zero-extended to i64)."""
    ctx = dc.ctx
    r = ctx.temp()
    ctx.binary(F_SUB if sub else F_ADD, r, a, b)
    if esize < 64:
        lo, hi = ((-(1 << (esize - 1)), (1 << (esize - 1)) - 1) if signed
                  else (0, (1 << esize) - 1))  # fmt: skip
        # the exact result fits a signed i64 whatever the signedness of the lanes
        out = clamp(dc, r, lo, hi, True, sat)
        ctx.extract(out, out, 0, esize)
        return out
    over = ctx.temp()
    if signed:  # overflow: the operands' signs say the result's sign is wrong
        x, y = ctx.temp(), ctx.temp()
        ctx.xor(x, a, r)
        ctx.xor(y, a if sub else b, b if sub else r)  # sub: a ^ b, add: b ^ r
        ctx.and_(x, x, y)
        ctx.setcond(over, x, 0, COND_LT)
        limit = ctx.temp()
        ctx.sar(limit, a, 63)
        ctx.xor(limit, limit, 0x7FFFFFFFFFFFFFFF)  # a < 0: MIN, else MAX
        ctx.movcond(r, over, 0, limit, r, COND_NE)
    elif sub:
        ctx.setcond(over, a, b, COND_LTU)
        ctx.movcond(r, over, 0, 0, r, COND_NE)
    else:
        ctx.setcond(over, r, a, COND_LTU)
        ctx.movcond(r, over, 0, (1 << 64) - 1, r, COND_NE)
    ctx.or_(sat, sat, over)
    return r
