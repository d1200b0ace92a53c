"""Translators: AdvSIMD integer lane operations beyond ``trans_simd``'s.

Owns the pairwise long adds ([SU]ADDLP, [SU]ADALP, [SU]ADDLV), SHLL{2}, CLS,
CLZ, RBIT, the halving adds ([SU]HADD, [SU]RHADD, [SU]HSUB), absolute
differences ([SU]ABD, [SU]ABA), polynomial multiplies (PMUL, PMULL{2} of bytes
and of doublewords), the widening multiplies by element ([SU]MULL, [SU]MLAL,
[SU]MLSL {2}), the dot products SDOT/UDOT (also by element), the table lookups
TBL/TBX, and the scalar three-same integer group on D registers (ADD, SUB,
CMGT, CMHI, CMGE, CMHS, CMEQ, CMTST) with ADDP (scalar). ``trans_simd``'s class
translators hand these opcodes over; the scalar groups have decoder patterns of
their own. (The SHA3 group, EOR3, BCAX, RAX1 and XAR, is ``trans_crypto``'s.)

Every operation is lanes of i64 IR ops (``lanes``), PMULL{2} of doublewords the
core's carry-less multiply (``tcgkit.tcg.crypto.gen_clmul``: the host's instruction
or a generic expansion); no Python helper is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tcgkit.target import DisasContext
from tcgkit.tcg.builders import F_ADD, F_SUB
from tcgkit.tcg.crypto import gen_clmul
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.types import Cond

from .aliases import COND_EQ, COND_GE, COND_GEU, COND_GT, COND_GTU, COND_LT, COND_TSTNE
from .bits import field
from .lanes import get_lanes, set_lanes

if TYPE_CHECKING:
    from .target import AArch64Target


def pairwise_long(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """[SU]ADDLP (two-register opcode 2), [SU]ADALP (6)."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 16, 12)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    if size == 3:
        raise dc.invalid(insn, "reserved pairwise long size")
    esize = 8 << size
    count = (128 if q else 64) // esize
    ctx = dc.ctx
    src = get_lanes(t, dc, rn, esize, count, signed=not u)
    acc = get_lanes(t, dc, rd, 2 * esize, count // 2) if opcode == 6 else None
    out = []
    for i in range(count // 2):
        r = ctx.temp()
        ctx.add(r, src[2 * i], src[2 * i + 1])
        if acc is not None:
            ctx.add(r, r, acc[i])
        out.append(r)
    set_lanes(t, dc, rd, out, 2 * esize)


def add_long_across(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """[SU]ADDLV: the sum of every lane, in a scalar of twice the lane size."""
    q, u, size = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22)
    rn, rd = field(insn, 9, 5), insn & 31
    if size == 3 or (size == 2 and not q):
        raise dc.invalid(insn, "reserved ADDLV size")
    esize = 8 << size
    ctx = dc.ctx
    lanes = get_lanes(t, dc, rn, esize, (128 if q else 64) // esize, signed=not u)
    acc = lanes[0]
    for v in lanes[1:]:
        r = ctx.temp()
        ctx.add(r, acc, v)
        acc = r
    set_lanes(t, dc, rd, [acc], 2 * esize)


def misc(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SHLL{2} (two-register opcode 0x13, U=1), CLS/CLZ (4), RBIT (5, U=1, size 1)."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 16, 12)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    ctx = dc.ctx
    esize = 8 << size
    if opcode == 0x13 and u and size < 3:
        src = get_lanes(t, dc, rn, esize, 64 // esize, part=q)
        out = []
        for v in src:
            r = ctx.temp()
            ctx.shl(r, v, esize)
            out.append(r)
        set_lanes(t, dc, rd, out, 2 * esize)
        return
    count = (128 if q else 64) // esize
    out = []
    if opcode == 4 and size < 3:  # CLS (U=0), CLZ (U=1)
        for v in get_lanes(t, dc, rn, esize, count, signed=not u):
            r = ctx.temp()
            if u:
                ctx.clz(r, v, 64)
                ctx.sub(r, r, 64 - esize)
            else:  # leading sign bits after the top one: clz of v ^ (v >> 1), less one
                x = ctx.temp()
                ctx.sar(x, v, 63)
                ctx.xor(x, x, v)
                ctx.clz(r, x, 64)
                ctx.sub(r, r, 64 - esize + 1)
            out.append(r)
        set_lanes(t, dc, rd, out, esize)
        return
    if opcode == 5 and u and size == 1:  # RBIT of each byte
        for v in get_lanes(t, dc, rn, 8, 16 if q else 8):
            r = ctx.temp()
            ctx.movi(r, 0)
            for i in range(8):
                b = ctx.temp()
                ctx.extract(b, v, i, 1)
                ctx.deposit(r, r, b, 7 - i, 1)
            out.append(r)
        set_lanes(t, dc, rd, out, 8)
        return
    raise dc.invalid(insn, "unsupported AdvSIMD two-register instruction")


def three_same(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """[SU]HADD (opcode 0), [SU]RHADD (2), [SU]HSUB (4), [SU]ABD (0x0E), [SU]ABA (0x0F),
    PMUL (0x13, U=1)."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 15, 11)  # fmt: skip
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    if size == 3 or (opcode == 0x13 and size):
        raise dc.invalid(insn, "reserved three-same size")
    esize = 8 << size
    count = (128 if q else 64) // esize
    ctx = dc.ctx
    signed = not u and opcode != 0x13
    a = get_lanes(t, dc, rn, esize, count, signed=signed)
    b = get_lanes(t, dc, rm, esize, count, signed=signed)
    acc = get_lanes(t, dc, rd, esize, count) if opcode == 0x0F else None
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        r = ctx.temp()
        if opcode in (0, 2):
            ctx.add(r, x, y)
            if opcode == 2:
                ctx.add(r, r, 1)
            ctx.sar(r, r, 1)  # the sum fits 33 bits: an i64 shift either way
        elif opcode == 4:
            ctx.sub(r, x, y)
            ctx.sar(r, r, 1)
        elif opcode in (0x0E, 0x0F):
            n = ctx.temp()
            ctx.sub(r, x, y)
            ctx.neg(n, r)
            ctx.movcond(r, r, 0, n, r, COND_LT)
            if acc is not None:
                ctx.add(r, r, acc[i])
        elif opcode == 0x13:
            r = clmul(dc, x, y, 8)
        else:
            raise dc.invalid(insn, "unsupported AdvSIMD three-same instruction")
        out.append(r)
    set_lanes(t, dc, rd, out, esize)


def clmul(dc: DisasContext, a: Temp, b: Temp, bits: int) -> Temp:
    """The low 64 bits of the carry-less product of the ``bits``-bit ``a`` and ``b``."""
    ctx = dc.ctx
    r = ctx.temp()
    ctx.movi(r, 0)
    for i in range(bits):
        m, s = ctx.temp(), ctx.temp()
        ctx.sextract(m, b, i, 1)  # all ones where bit i of b is set
        ctx.shl(s, a, i)
        ctx.and_(s, s, m)
        ctx.xor(r, r, s)
    return r


def pmull(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """PMULL{2}: bytes to halfwords (size 0), or doublewords to a quadword (size 3)."""
    q, size = field(insn, 30, 30), field(insn, 23, 22)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    ctx = dc.ctx
    if size == 0:
        a = get_lanes(t, dc, rn, 8, 8, part=q)
        b = get_lanes(t, dc, rm, 8, 8, part=q)
        set_lanes(t, dc, rd, [clmul(dc, x, y, 8) for x, y in zip(a, b)], 16)
        return
    if size != 3:
        raise dc.invalid(insn, "unallocated PMULL size")
    half = t.vhi if q else t.vlo
    lo, hi = gen_clmul(dc, half[rn], half[rm])
    ctx.mov(t.vlo[rd], lo)
    ctx.mov(t.vhi[rd], hi)


def mull_by_element(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """[SU]MLAL{2} (by-element opcode 2), [SU]MLSL{2} (6), [SU]MULL{2} (10)."""
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 15, 12)  # fmt: skip
    lo_, m_, h_ = field(insn, 21, 21), field(insn, 20, 20), field(insn, 11, 11)
    rn, rd = field(insn, 9, 5), insn & 31
    if size not in (1, 2):
        raise dc.invalid(insn, "unallocated by-element size")
    esize = 8 << size
    index = (h_ << 2 | lo_ << 1 | m_) if size == 1 else (h_ << 1 | lo_)
    rm = field(insn, 19, 16) if size == 1 else m_ << 4 | field(insn, 19, 16)
    ctx = dc.ctx
    count = 64 // esize
    [elem] = get_lanes(t, dc, rm, esize, 1, signed=not u, part=index)
    a = get_lanes(t, dc, rn, esize, count, signed=not u, part=q)
    acc = get_lanes(t, dc, rd, 2 * esize, count) if opcode != 10 else None
    out = []
    for i, x in enumerate(a):
        r = ctx.temp()
        ctx.mul(r, x, elem)
        if acc is not None:
            ctx.binary(F_ADD if opcode == 2 else F_SUB, r, acc[i], r)
        out.append(r)
    set_lanes(t, dc, rd, out, 2 * esize)


def table(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """TBL (op 0), TBX (op 1) with one to four table registers: each index byte of Vm
    picks a byte of the table, or gives 0 (TBL) or keeps Vd's byte (TBX) out of range."""
    q, rm, length, op = field(insn, 30, 30), field(insn, 20, 16), field(insn, 14, 13), field(
        insn, 12, 12)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    ctx = dc.ctx
    count = 16 if q else 8
    halves: list[Temp] = []
    for i in range(length + 1):
        reg = (rn + i) % 32
        halves += [t.vlo[reg], t.vhi[reg]]
    idx = get_lanes(t, dc, rm, 8, count)
    old = get_lanes(t, dc, rd, 8, count) if op else None
    out = []
    for i, x in enumerate(idx):
        sh, sel, r = ctx.temp(), ctx.temp(), ctx.temp()
        ctx.and_(sh, x, 7)
        ctx.shl(sh, sh, 3)
        ctx.shr(sel, x, 3)
        if old is not None:
            ctx.mov(r, old[i])
        else:
            ctx.movi(r, 0)
        for h, half in enumerate(halves):
            v = ctx.temp()
            ctx.shr(v, half, sh)
            ctx.and_(v, v, 0xFF)
            ctx.movcond(r, sel, h, v, r, COND_EQ)
        out.append(r)
    set_lanes(t, dc, rd, out, 8)


def dot(t: AArch64Target, dc: DisasContext, insn: int, by_element: bool = False) -> None:
    """SDOT (U=0), UDOT (U=1): each word lane of Vd plus the four products of the bytes
    of Vn's lane with Vm's (or with the word lane H:L of Vm, by element)."""
    q, u, size = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22)
    rn, rd = field(insn, 9, 5), insn & 31
    if size != 2:
        raise dc.invalid(insn, "unallocated dot product size")
    ctx = dc.ctx
    count = 4 if q else 2
    a = get_lanes(t, dc, rn, 8, 4 * count, signed=not u)
    if by_element:
        index = field(insn, 11, 11) << 1 | field(insn, 21, 21)
        rm = field(insn, 20, 16)
        elem = get_lanes(t, dc, rm, 8, 4, signed=not u, part=index)
        b = elem * count
    else:
        b = get_lanes(t, dc, field(insn, 20, 16), 8, 4 * count, signed=not u)
    acc = get_lanes(t, dc, rd, 32, count)
    out = []
    for i in range(count):
        r = acc[i]
        for k in range(4):
            p, s = ctx.temp(), ctx.temp()
            ctx.mul(p, a[4 * i + k], b[4 * i + k])
            ctx.add(s, r, p)
            r = s
        out.append(r)
    set_lanes(t, dc, rd, out, 32)


def three_same_extra(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """The AdvSIMD three-same extra group: SDOT/UDOT here, SQRDMLAH/SQRDMLSH in
    ``trans_simd_sat``."""
    from . import trans_simd_sat as sat

    opcode = field(insn, 14, 11)
    if opcode == 2:
        dot(t, dc, insn)
    else:
        sat.mlah(t, dc, insn)


def scalar_three_same_extra(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    from . import trans_simd_sat as sat

    sat.mlah(t, dc, insn, scalar=True)


_SCALAR_CMP: dict[tuple[int, int], Cond] = {
    (0x06, 0): COND_GT, (0x06, 1): COND_GTU, (0x07, 0): COND_GE, (0x07, 1): COND_GEU,
    (0x11, 1): COND_EQ, (0x11, 0): COND_TSTNE,
}  # fmt: skip


def scalar_three_same(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """The scalar three-same group: integer ops on D registers here, the saturating,
    shifting and FP ones handed to their modules."""
    from . import trans_simd_fp as simd_fp
    from . import trans_simd_sat as sat

    u, size, opcode = field(insn, 29, 29), field(insn, 23, 22), field(insn, 15, 11)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    if opcode >= 0x18:
        simd_fp.three_same(t, dc, insn, scalar=True)
        return
    if opcode in (0x01, 0x05):
        sat.scalar_add_sub(t, dc, insn)
        return
    if opcode in (0x08, 0x09, 0x0A, 0x0B):
        sat.shift_reg(t, dc, insn, scalar=True)
        return
    if opcode == 0x16:
        sat.mulh(t, dc, insn, scalar=True)
        return
    if size != 3 or not (opcode == 0x10 or (opcode, u) in _SCALAR_CMP):
        raise dc.invalid(insn, "unsupported AdvSIMD scalar three-same instruction")
    ctx = dc.ctx
    [a] = get_lanes(t, dc, rn, 64, 1)
    [b] = get_lanes(t, dc, rm, 64, 1)
    r = ctx.temp()
    if opcode == 0x10:
        ctx.binary(F_SUB if u else F_ADD, r, a, b)
    else:
        ctx.negsetcond(r, a, b, _SCALAR_CMP[(opcode, u)])
    set_lanes(t, dc, rd, [r], 64)


def scalar_pairwise(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """ADDP (scalar) here; FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (scalar) in
    ``trans_simd_fp``."""
    from . import trans_simd_fp as simd_fp

    u, size, opcode = field(insn, 29, 29), field(insn, 23, 22), field(insn, 16, 12)
    rn, rd = field(insn, 9, 5), insn & 31
    if not u and opcode == 0x1B and size == 3:
        ctx = dc.ctx
        a, b = get_lanes(t, dc, rn, 64, 2)
        r = ctx.temp()
        ctx.add(r, a, b)
        set_lanes(t, dc, rd, [r], 64)
        return
    simd_fp.scalar_pairwise(t, dc, insn)


def scalar_three_diff(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SQDMLAL, SQDMLSL, SQDMULL (scalar), in ``trans_simd_sat``."""
    from . import trans_simd_sat as sat

    if field(insn, 15, 12) not in (9, 11, 13):
        raise dc.invalid(insn, "unallocated scalar three-different instruction")
    sat.mull(t, dc, insn, scalar=True)


PATTERNS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("0x001110000xxxxx0xxx00xxxxxxxxxx", table),
    ("01x11110xx1xxxxxxxxxx1xxxxxxxxxx", scalar_three_same),
    ("01x11110xx11000xxxxx10xxxxxxxxxx", scalar_pairwise),
    ("01x11110xx1xxxxxxxxx00xxxxxxxxxx", scalar_three_diff),
    ("0xx01110xx0xxxxx1xxxx1xxxxxxxxxx", three_same_extra),
    ("01111110xx0xxxxx1000x1xxxxxxxxxx", scalar_three_same_extra),
)
