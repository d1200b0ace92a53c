"""Translators: AdvSIMD half-precision arithmetic (FEAT_FP16) and FMLAL/FMLSL (FEAT_FHM).

Owns three same (FP16) and two-register misc (FP16), vector and scalar; the
half-precision forms of the pairwise (FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP,
vector and scalar) and across-lanes FP reductions (FMAXV, FMINV, FMAXNMV,
FMINNMV), of FMLA/FMLS/FMUL/FMULX by element (and FMULX by element on singles
and doubles, which sits in the same encodings); FMLAL, FMLAL2, FMLSL, FMLSL2
(vector and by element).

The operations are those of single and double lanes, run on halves widened to
doubles (exactly, a signalling NaN kept signalling) and rounded once to a half:
``trans_fp16``'s docstring says why that is the correctly rounded half. The
tables and lane operations are ``trans_simd``'s and ``trans_simd_fp``'s; what
is applied after the rounding (FABD's absolute value) is applied here after
the narrowing. FMLAL's products of halves are exact in singles, so they are
fused single-precision multiply-adds. No Python helper is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from tcgkit.target import DisasContext
from tcgkit.tcg.builders import F_ANDC, F_XOR
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.types import I32, I64, RoundingMode

from .bits import field
from .lanes import get_lanes, set_lanes
from .trans_fp import _propagate, _rm, frint_mode, propagate_fma
from .trans_fp16 import from_half, narrow
from .trans_simd import _FP3, _FP_MISC
from .trans_simd_fp import (
    _CVT,
    _PAIR,
    _SCALAR_PAIR,
    _THREE,
    _narrow,
    _widen,
    binop,
    recip_estimate,
    recip_exponent,
    rsqrt_estimate,
)

if TYPE_CHECKING:
    from .target import AArch64Target

#: results that are lane masks, not halves
_MASKS: Final = frozenset({"fcmeq", "fcmge", "fcmgt", "facge", "facgt"})
#: two-register misc compares with zero (opcode, U) -> (binop, zero first)
_CMP0: Final = {(0x0C, 0): ("fcmgt", False), (0x0C, 1): ("fcmge", False),
                (0x0D, 0): ("fcmeq", False), (0x0D, 1): ("fcmge", True),
                (0x0E, 0): ("fcmgt", True)}  # fmt: skip


def _halves(t: AArch64Target, dc: DisasContext, n: int, count: int, part: int = 0,
            bits: int = 64) -> list[Temp]:  # fmt: skip
    """``count`` half lanes of v<n> from lane ``part * count`` on, widened to doubles
    (or singles) exactly, signalling NaNs kept."""
    lanes = get_lanes(t, dc, n, 16, count, part=part)
    return [from_half(dc, v, bits, quiet=False) for v in lanes]


def fused(dc: DisasContext, acc: Temp, x: Temp, y: Temp, negate: bool, bits: int = 64) -> Temp:
    """acc + (-)x * y with one rounding and FPMulAdd's NaN rules (x negated first)."""
    ctx = dc.ctx
    ty, sfx = (I32, "f32") if bits == 32 else (I64, "f64")
    if negate:
        nx = ctx.temp(ty)
        ctx.emit(f"fneg_{sfx}", nx, x)
        x = nx
    r = ctx.temp(ty)
    ctx.emit(f"fma_{sfx}", r, x, y, acc, _rm(dc))
    return propagate_fma(dc, r, acc, x, y, bits)


def _op(dc: DisasContext, name: str, x: Temp, y: Temp, acc: Temp | None = None) -> Temp:
    """One half lane of ``name`` on widened operands: the half (an i64 of 16 bits), or
    the lane mask of a compare."""
    if name in ("fmla", "fmls"):
        assert acc is not None
        return narrow(dc, fused(dc, acc, x, y, name == "fmls"))
    if name == "fabd":  # FPAbs(FPSub()): the absolute value of the rounded difference
        r = narrow(dc, binop(dc, "fsub", x, y, 64))
        dc.ctx.andc(r, r, 0x8000)
        return r
    r = binop(dc, name, x, y, 64, halves=True)
    return r if name in _MASKS else narrow(dc, r)


def three_same(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """Three same (FP16), vector (4H, 8H) and scalar: the single/double table's opcode
    is 0b11 followed by the three bits here, size<1> is bit 23."""
    scalar = bool(field(insn, 28, 28))
    q, u, a, opc = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 23), field(
        insn, 13, 11)  # fmt: skip
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    key = (0x18 | opc, u, a)
    name = _THREE.get(key) if scalar else _FP3.get(key) or _THREE.get(key)
    pair = _PAIR.get((0x18 | opc, a)) if u and not scalar and name is None else None
    if name is None and pair is None:
        raise dc.invalid(insn, "unallocated AdvSIMD three same (FP16)")
    count = 1 if scalar else 8 if q else 4
    x, y = _halves(t, dc, rn, count), _halves(t, dc, rm, count)
    if pair is not None:
        both = x + y
        out = [_op(dc, pair, both[2 * i], both[2 * i + 1]) for i in range(count)]
    else:
        acc = _halves(t, dc, rd, count) if name in ("fmla", "fmls") else [None] * count
        out = [_op(dc, name, x[i], y[i], acc[i]) for i in range(count)]  # type: ignore[arg-type]
    set_lanes(t, dc, rd, out, 16)


def two_misc(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """Two-register misc (FP16), vector (4H, 8H) and scalar: FCVT{N,M,A,P,Z}{S,U},
    SCVTF/UCVTF, the compares with zero, FRECPE, FRSQRTE, FRECPX (scalar); vector
    only: FRINT*, FABS, FNEG, FSQRT."""
    scalar = bool(field(insn, 28, 28))
    q, u, a, opc = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 23), field(
        insn, 16, 12)  # fmt: skip
    rn, rd = field(insn, 9, 5), insn & 31
    count = 1 if scalar else 8 if q else 4
    ctx = dc.ctx
    rm = RoundingMode.ZERO if (opc, a) == (0x1B, 1) else _CVT.get((opc, a))
    out: list[Temp] = []
    if rm is not None:  # to 16-bit integers, saturated
        for x in _halves(t, dc, rn, count):
            r = ctx.temp()
            ctx.emit("ftoi_f64", r, x, int(not u), 16, int(rm))
            out.append(r)
    elif (opc, a) == (0x1D, 0):  # SCVTF, UCVTF: exact in a double, one rounding
        for v in get_lanes(t, dc, rn, 16, count, signed=not u):
            r = ctx.temp()
            ctx.emit("itof_f64", r, v, int(not u), _rm(dc))
            out.append(narrow(dc, r))
    elif a and (opc, u) in _CMP0:
        name, swap = _CMP0[(opc, u)]
        zero = ctx.const(I64, 0)
        out = [binop(dc, name, zero, x, 64) if swap else binop(dc, name, x, zero, 64)
               for x in _halves(t, dc, rn, count)]  # fmt: skip
    elif a and opc == 0x1D:  # FRECPE, FRSQRTE
        estimate = rsqrt_estimate if u else recip_estimate
        out = [estimate(dc, v, 16) for v in get_lanes(t, dc, rn, 16, count)]
    elif scalar and (opc, u, a) == (0x1F, 0, 1):  # FRECPX
        out = [recip_exponent(dc, v, 16) for v in get_lanes(t, dc, rn, 16, count)]
    elif not scalar and (opc, u, a) in _FP_MISC:
        name, mode = _FP_MISC[(opc, u, a)]
        for v in get_lanes(t, dc, rn, 16, count):
            r = ctx.temp()
            if name in ("fabs", "fneg"):  # the sign bit alone, a NaN as it is
                ctx.binary(F_ANDC if name == "fabs" else F_XOR, r, v, 0x8000)
                out.append(r)
                continue
            x = from_half(dc, v, 64, quiet=False)
            if name == "frint":
                ctx.emit("frint_f64", r, x, frint_mode(dc, mode))
            else:
                ctx.emit("fsqrt_f64", r, x, _rm(dc))
            out.append(narrow(dc, _propagate(dc, r, [x], 64)))
    else:
        raise dc.invalid(insn, "unallocated AdvSIMD two-register misc (FP16)")
    set_lanes(t, dc, rd, out, 16)


def _reduce(dc: DisasContext, name: str, lanes: list[Temp]) -> Temp:
    """Arm's Reduce: the two halves reduced, then combined."""
    if len(lanes) == 1:
        return lanes[0]
    half = len(lanes) // 2
    return binop(dc, name, _reduce(dc, name, lanes[:half]), _reduce(dc, name, lanes[half:]), 64)


def across(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FMAXNMV, FMINNMV (opcode 0x0C), FMAXV, FMINV (0x0F) of 4 or 8 halves."""
    q, a, opc = field(insn, 30, 30), field(insn, 23, 23), field(insn, 16, 12)
    name = {0x0C: "fmaxnm", 0x0F: "fmax"}[opc]
    if a:
        name = name.replace("max", "min")
    r = _reduce(dc, name, _halves(t, dc, field(insn, 9, 5), 8 if q else 4))
    set_lanes(t, dc, insn & 31, [narrow(dc, r)], 16)


def scalar_pairwise(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (scalar) of the two low halves."""
    name = _SCALAR_PAIR.get((field(insn, 16, 12), field(insn, 23, 23)))
    if name is None:
        raise dc.invalid(insn, "unallocated AdvSIMD scalar pairwise (FP16)")
    x, y = _halves(t, dc, field(insn, 9, 5), 2)
    set_lanes(t, dc, insn & 31, [_op(dc, name, x, y)], 16)


_BY_ELEMENT: Final = {(0, 1): "fmla", (0, 5): "fmls", (0, 9): "fmul", (1, 9): "fmulx"}


def by_element(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FMLA, FMLS, FMUL, FMULX by element on halves (size 0: the index is H:L:M, Vm
    one of v0-v15), vector and scalar; FMULX by element on singles and doubles."""
    scalar = bool(field(insn, 28, 28))
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 15, 12)  # fmt: skip
    lo, m, h = field(insn, 21, 21), field(insn, 20, 20), field(insn, 11, 11)
    rn, rd = field(insn, 9, 5), insn & 31
    name = _BY_ELEMENT.get((u, opcode))
    if name is None or size == 1 or (size == 3 and (lo or not (q or scalar))):
        raise dc.invalid(insn, "unallocated FP by-element form")
    if size:  # FMULX on singles (index H:L) or doubles (index H)
        bits = 32 if size == 2 else 64
        count = 1 if scalar else (128 if q else 64) // bits
        [e] = get_lanes(t, dc, m << 4 | field(insn, 19, 16), bits, 1,
                        part=h << 1 | lo if bits == 32 else h)  # fmt: skip
        e = _narrow(dc, e, bits)
        xs = [_narrow(dc, v, bits) for v in get_lanes(t, dc, rn, bits, count)]
        out = [_widen(dc, binop(dc, "fmulx", x, e, bits), bits) for x in xs]
        set_lanes(t, dc, rd, out, bits)
        return
    count = 1 if scalar else 8 if q else 4
    [e] = _halves(t, dc, field(insn, 19, 16), 1, part=h << 2 | lo << 1 | m)
    x = _halves(t, dc, rn, count)
    acc = _halves(t, dc, rd, count) if opcode != 9 else [None] * count
    out = [_op(dc, name, x[i], e, acc[i]) for i in range(count)]  # type: ignore[arg-type]
    set_lanes(t, dc, rd, out, 16)


# -- FEAT_FHM ---------------------------------------------------------------------------


def _fmlal(t: AArch64Target, dc: DisasContext, insn: int, negate: bool, part: int,
           element: Callable[[int], Temp]) -> None:  # fmt: skip
    """Vd's singles += (-)Vn's halves (the low or high ones by ``part``) times
    ``element(i)``, each a fused single-precision multiply-add (FPMulAddH: the
    product of two halves is exact in a single)."""
    q, rn, rd = field(insn, 30, 30), field(insn, 9, 5), insn & 31
    count = 4 if q else 2
    x = _halves(t, dc, rn, count, part=part, bits=32)
    acc = [_narrow(dc, v, 32) for v in get_lanes(t, dc, rd, 32, count)]
    xs = [_narrow(dc, v, 32) for v in x]
    out = [_widen(dc, fused(dc, acc[i], xs[i], element(i), negate, 32), 32)
           for i in range(count)]  # fmt: skip
    set_lanes(t, dc, rd, out, 32)


def fmlal(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FMLAL, FMLSL (U=0), FMLAL2, FMLSL2 (U=1), vector: 2S += 2H * 2H, 4S += 4H * 4H."""
    q, u = field(insn, 30, 30), field(insn, 29, 29)
    count = 4 if q else 2
    y = [_narrow(dc, v, 32) for v in _halves(t, dc, field(insn, 20, 16), count, part=u, bits=32)]
    _fmlal(t, dc, insn, bool(field(insn, 23, 23)), u, lambda i: y[i])


def fmlal_element(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FMLAL, FMLSL (U=0), FMLAL2, FMLSL2 (U=1) by element: Vm.H[H:L:M] of v0-v15."""
    index = field(insn, 11, 11) << 2 | field(insn, 21, 21) << 1 | field(insn, 20, 20)
    [e] = _halves(t, dc, field(insn, 19, 16), 1, part=index, bits=32)
    e32 = _narrow(dc, e, 32)
    u = field(insn, 29, 29)
    _fmlal(t, dc, insn, bool(field(insn, 14, 14)), u, lambda i: e32)


PATTERNS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("0xx01110x10xxxxx00xxx1xxxxxxxxxx", three_same),
    ("01x11110x10xxxxx00xxx1xxxxxxxxxx", three_same),
    ("0xx01110x111100xxxxx10xxxxxxxxxx", two_misc),
    ("01x11110x111100xxxxx10xxxxxxxxxx", two_misc),
    ("0x001110x0110000110010xxxxxxxxxx", across),
    ("0x001110x0110000111110xxxxxxxxxx", across),
    ("01011110x0110000110x10xxxxxxxxxx", scalar_pairwise),
    ("01011110x0110000111110xxxxxxxxxx", scalar_pairwise),
    ("0xx0111100xxxxxxxx01x0xxxxxxxxxx", by_element),
    ("01x1111100xxxxxxxx01x0xxxxxxxxxx", by_element),
    ("0x1011111xxxxxxx1001x0xxxxxxxxxx", by_element),
    ("011111111xxxxxxx1001x0xxxxxxxxxx", by_element),
    ("0x001110x01xxxxx111011xxxxxxxxxx", fmlal),
    ("0x101110x01xxxxx110011xxxxxxxxxx", fmlal),
    ("0x00111110xxxxxx0x00x0xxxxxxxxxx", fmlal_element),
    ("0x10111110xxxxxx1x00x0xxxxxxxxxx", fmlal_element),
)
