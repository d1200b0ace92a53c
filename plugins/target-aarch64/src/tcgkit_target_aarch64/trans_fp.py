"""Translators: scalar floating point and the AdvSIMD subset implemented so far.

Owns the IR for FP data processing (1-, 2- and 3-source, compare, conditional
select and compare, immediate moves, conversions between the FP formats and
to and from integers) on half, single and double precision, and AdvSIMD modified
immediates, DUP (general) and the three-same logical/add/sub/compare-equal
group as lanes of i64 operations.

Arm's NaN rules are expressed in IR around the core's float ops (which give
the default NaN for any NaN result): a signalling NaN operand, quieted, wins
over a quiet NaN operand, which wins over the default NaN; operands are
considered in the architecture's order (for FMADD the addend first). The
rounding mode is FPCR.RMode, a constant of the TB (``tb_flags``). FPSR's
cumulative exception flags are the IR float ops' (``tcgkit.tcg.fpflags``), plus
what they do not raise: FRINTX's IXC (``frintx_inexact``), the signalling compares'
IOC for quiet NaNs (``lanes.fcmp_flag``), FPCR.FZ's IDC and UFC (``flush_zero``).
Halves (``bits`` 16) are read as doubles and computed on as doubles, then rounded
once to a half when written (``trans_fp16``'s docstring says why that is exact; their
flags are those of the double operations, not yet a half's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from tcgkit.target import DisasContext
from tcgkit.tcg.builders import F_ADD, F_AND, F_ANDC, F_OR, F_ORC, F_SUB, F_XOR
from tcgkit.tcg.fpflags import IOC, IXC
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.types import I32, I64, RoundingMode

from .aliases import (
    COND_ALWAYS,
    COND_EQ,
    COND_GEU,
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
from .lanes import fcmp_flag, or_fpsr, set_lanes, swar_add, swar_compare
from .state import FLAG_DN

if TYPE_CHECKING:
    from .target import AArch64Target

M64: Final = (1 << 64) - 1
QUIET: Final = {16: 1 << 51, 32: 1 << 22, 64: 1 << 51}  # 16: halves computed on as doubles


# -- scalar register access ---------------------------------------------------------------


def _read(t: AArch64Target, dc: DisasContext, n: int, bits: int) -> Temp:
    if bits == 64:
        return t.vlo[n]
    if bits == 16:
        from .trans_fp16 import load

        return load(t, dc, n)
    r = dc.ctx.temp(I32)
    dc.ctx.extrl_i64_i32(r, t.vlo[n])
    return r


def _write(t: AArch64Target, dc: DisasContext, n: int, value: Temp, bits: int) -> None:
    ctx = dc.ctx
    if bits == 16:
        from .trans_fp16 import store

        store(t, dc, n, value)
        return
    if bits == 64:
        ctx.mov(t.vlo[n], value)
    else:
        ctx.extu_i32_i64(t.vlo[n], value)
    ctx.movi(t.vhi[n], 0)


def _low(dc: DisasContext, v: Temp, bits: int) -> Temp:
    """The low ``bits`` bits of the i64 ``v``, as they are (zero-extended)."""
    r = dc.ctx.temp()
    if bits == 64:
        dc.ctx.mov(r, v)
    else:
        dc.ctx.extract(r, v, 0, bits)
    return r


def _bits(dc: DisasContext, insn: int) -> int:
    ftype = field(insn, 23, 22)
    if ftype == 0:
        return 32
    if ftype == 1:
        return 64
    if ftype == 3:
        return 16
    raise dc.invalid(insn, "unallocated FP type")


def _sfx(bits: int) -> str:
    return "f32" if bits == 32 else "f64"


def _ty(bits: int):
    return I32 if bits == 32 else I64


def _rm(dc: DisasContext) -> int:
    """FPCR.RMode (a TB flag) as a ``RoundingMode``: RN RP RM RZ are its values 0-3 (an
    int, not the enum: calling the enum class is a Python-level lookup per op)."""
    return dc.flags & 3


def default_nan(dc: DisasContext) -> bool:
    """FPCR.DN (a TB flag): every NaN result is the default NaN, none propagates."""
    return bool(dc.flags & FLAG_DN)


# -- NaN propagation -------------------------------------------------------------------------


def _propagate(dc: DisasContext, result: Temp, ops: list[Temp], bits: int,
               quiet_only_both: bool = False) -> Temp:  # fmt: skip
    """Arm's choice of NaN result, given the default-NaN result of the IR op (which is
    the result itself when FPCR.DN is set)."""
    if default_nan(dc):
        return result
    ctx = dc.ctx
    ty = _ty(bits)
    sfx = _sfx(bits)
    if not quiet_only_both and len(ops) <= 3 and f"fnan{max(len(ops), 2)}_{sfx}" in dc.host_ops:
        res = ctx.temp(ty)  # one op: the host picks among NaN operands (softfloat.nan_pick)
        if len(ops) == 3:
            ctx.fnan3(res, result, ops[0], ops[1], ops[2], 0)
        else:
            ctx.fnan2(res, result, ops[0], ops[-1])
        return res
    classes = []
    for op in ops:
        c = ctx.temp(ty)
        ctx.emit(f"fclass_{sfx}", c, op)
        classes.append(c)
    res = ctx.temp(ty)
    ctx.mov(res, result)
    if quiet_only_both:  # minNum/maxNum: two quiet NaNs give the first
        both = ctx.temp(ty)
        ctx.and_(both, classes[0], classes[1])
        ctx.movcond(res, both, 2, ops[0], res, COND_EQ)
    else:
        for op, c in reversed(list(zip(ops, classes, strict=True))):
            ctx.movcond(res, c, 2, op, res, COND_EQ)
    for op, c in reversed(list(zip(ops, classes, strict=True))):
        q = ctx.temp(ty)
        ctx.or_(q, op, QUIET[bits])
        ctx.movcond(res, c, 1, q, res, COND_EQ)
    return res


def propagate_fma(dc: DisasContext, result: Temp, acc: Temp, x: Temp, y: Temp,
                  bits: int) -> Temp:  # fmt: skip
    """NaN rules of FPMulAdd: as ``_propagate`` over (addend, x, y), except that a
    quiet-NaN addend with an infinity-times-zero product gives the default NaN (a
    subnormal factor is a zero there under FPCR.FZ, as FPUnpack makes it)."""
    if default_nan(dc):
        return result
    ctx = dc.ctx
    ty = _ty(bits)
    sfx = _sfx(bits)
    host_ops = dc.host_ops
    if bits != 16 and fz(dc, bits) and f"fma_fz_{sfx}" in host_ops and f"fnan3_{sfx}" in host_ops:
        # the product is the host's flush-to-zero twin (``flush_zero``), which raises
        # IDC itself: the pick counts subnormal factors as zeros
        res = ctx.temp(ty)
        ctx.fnan3(res, result, acc, x, y, 3)
        return res
    if bits != 16:  # halves come widened, flushed already under FZ16 (``from_half``)
        x, y = flush_in(dc, x, bits), flush_in(dc, y, bits)  # NaNs, infinities unchanged
    if f"fnan3_{sfx}" in host_ops:
        res = ctx.temp(ty)
        ctx.fnan3(res, result, acc, x, y, 1)
        return res
    res = _propagate(dc, result, [acc, x, y], bits)
    sign = 1 << 31 if bits == 32 else 1 << 63
    inf = (0xFF << 23) if bits == 32 else (0x7FF << 52)
    flags = []
    for v in (x, y):
        mag = ctx.temp(ty)
        ctx.and_(mag, v, sign - 1)
        is_inf, is_zero = ctx.temp(ty), ctx.temp(ty)
        ctx.setcond(is_inf, mag, inf, COND_EQ)
        ctx.setcond(is_zero, mag, 0, COND_EQ)
        flags.append((is_inf, is_zero))
    a, b = ctx.temp(ty), ctx.temp(ty)
    ctx.and_(a, flags[0][0], flags[1][1])
    ctx.and_(b, flags[0][1], flags[1][0])
    ctx.or_(a, a, b)
    cls = ctx.temp(ty)
    ctx.emit(f"fclass_{_sfx(bits)}", cls, acc)
    ctx.setcond(b, cls, 2, COND_EQ)
    ctx.and_(a, a, b)
    default = ctx.temp(ty)
    ctx.movi(default, (0x7FC00000 if bits == 32 else 0x7FF8000000000000))
    ctx.movcond(res, a, 0, default, res, COND_NE)
    return res


# -- data processing ----------------------------------------------------------------------------

_TWO: Final = {0: "fmul", 1: "fdiv", 2: "fadd", 3: "fsub", 4: "fmax", 5: "fmin", 6: "fmaxnm",
        7: "fminnm", 8: "fnmul"}  # fmt: skip


def fp_2src(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    bits = _bits(dc, insn)
    name = _TWO.get(field(insn, 15, 12))
    if name is None:
        raise dc.invalid(insn, "unallocated FP 2-source opcode")
    ctx, sfx = dc.ctx, _sfx(bits)
    a, b = _read(t, dc, field(insn, 9, 5), bits), _read(t, dc, field(insn, 20, 16), bits)
    r = ctx.temp(_ty(bits))
    if name in ("fmax", "fmin", "fmaxnm", "fminnm"):
        ctx.emit(f"{name}_{sfx}", r, a, b)
    else:
        ctx.emit(f"{'fmul' if name == 'fnmul' else name}_{sfx}", r, a, b, _rm(dc))
    r = _propagate(dc, r, [a, b], bits, quiet_only_both=name.endswith("nm"))
    if name == "fnmul" and bits != 16:
        ctx.emit(f"fneg_{sfx}", r, r)
    _write(t, dc, field(insn, 4, 0), r, bits)
    if name == "fnmul" and bits == 16:  # FPNeg(FPMul()): negated once rounded to a half
        ctx.xor(t.vlo[insn & 31], t.vlo[insn & 31], 0x8000)


def fp_1src(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    opcode = field(insn, 20, 15)
    if opcode in (4, 5, 7) and (opcode == 7 or field(insn, 23, 22) == 3):
        from .trans_fp16 import fcvt

        fcvt(t, dc, insn)  # to or from half precision
        return
    bits = _bits(dc, insn)
    ctx, sfx = dc.ctx, _sfx(bits)
    rn, rd = field(insn, 9, 5), field(insn, 4, 0)
    if bits == 16 and opcode in (0, 1, 2):  # FMOV FABS FNEG of a half: its bits, as they are
        h = ctx.temp()  # (FPCR.FZ16 flushes operands of arithmetic only)
        ctx.extract(h, t.vlo[rn], 0, 16)
        if opcode:
            ctx.binary(F_ANDC if opcode == 1 else F_XOR, h, h, 0x8000)
        ctx.mov(t.vlo[rd], h)
        ctx.movi(t.vhi[rd], 0)
        return
    a = _read(t, dc, rn, bits)
    r = ctx.temp(_ty(bits))
    if opcode == 0:
        ctx.mov(r, a)
    elif opcode == 1:
        ctx.emit(f"fabs_{sfx}", r, a)
    elif opcode == 2:
        ctx.emit(f"fneg_{sfx}", r, a)
    elif opcode == 3:
        ctx.emit(f"fsqrt_{sfx}", r, a, _rm(dc))
        r = _propagate(dc, r, [a], bits)
    elif opcode in (4, 5) and (opcode == 4) == (bits == 64):
        _fcvt(t, dc, a, bits, rd)
        return
    elif opcode in (16, 17, 18, 19) and bits != 16:  # FRINT32Z FRINT32X FRINT64Z FRINT64X
        rm = _rm(dc) if opcode & 1 else int(RM_ZERO)
        r = frint_int(dc, a, bits, 32 if opcode < 18 else 64, rm)
    elif opcode in FRINT_RM:  # FRINTN P M Z A X I
        ctx.emit(f"frint_{sfx}", r, a, frint_mode(dc, FRINT_RM[opcode]))
        if opcode == 14:
            frintx_inexact(dc, r, a, bits)
        r = _propagate(dc, r, [a], bits)
    else:
        raise dc.invalid(insn, "unsupported FP 1-source opcode")
    _write(t, dc, rd, r, bits)


#: FP 1-source opcode -> FRINT rounding mode (None: the FPCR's, for FRINTX / FRINTI)
FRINT_RM: Final = {8: RM_NEAREST_EVEN, 9: RM_UP, 10: RM_DOWN,
            11: RM_ZERO, 12: RM_NEAREST_AWAY, 14: None, 15: None}  # fmt: skip


def frintx_inexact(dc: DisasContext, r: Temp, a: Temp, bits: int) -> None:
    """FRINTX's IXC (the IR's ``frint`` raises none): ``r``, ``a`` rounded, is not
    ``a`` (compared as floats: an operand FPCR.FZ flushes is a zero for both)."""
    c = dc.ctx.temp(_ty(bits))
    dc.ctx.emit(f"fcmp_{_sfx(bits)}", c, r, a)
    fcmp_flag(dc.ctx, c, bits, IXC)


def frint_mode(dc: DisasContext, rm: RoundingMode | None) -> int:
    return _rm(dc) if rm is None else int(rm)


def _fcvt(t: AArch64Target, dc: DisasContext, a: Temp, bits: int, rd: int) -> None:
    """FCVT between single and double, with Arm's NaN payload conversion."""
    ctx = dc.ctx
    if bits == 32:  # single -> double
        r = ctx.temp(I64)
        ctx.emit("fcvt_f32_f64", r, a, _rm(dc))
        _write(t, dc, rd, nan_widen(dc, a, r), 64)
    else:  # double -> single
        r32 = ctx.temp(I32)
        ctx.emit("fcvt_f64_f32", r32, a, _rm(dc))
        _write(t, dc, rd, nan_narrow(dc, a, r32), 32)


def nan_narrow(dc: DisasContext, v: Temp, r32: Temp) -> Temp:
    """Arm's NaN payload for double -> single."""
    ctx = dc.ctx
    cls, nan, sign = ctx.temp(I64), ctx.temp(I64), ctx.temp(I64)
    ctx.emit("fclass_f64", cls, v)
    if default_nan(dc):
        ctx.movi(nan, 0x7FC00000)
    else:
        ctx.shr(nan, v, 29)
        ctx.and_(nan, nan, 0x3FFFFF)
        ctx.shr(sign, v, 63)
        ctx.shl(sign, sign, 31)
        ctx.or_(nan, nan, sign)
        ctx.or_(nan, nan, 0x7FC00000)
    n32, c32, out = ctx.temp(I32), ctx.temp(I32), ctx.temp(I32)
    ctx.extrl_i64_i32(n32, nan)
    ctx.extrl_i64_i32(c32, cls)
    ctx.movcond(out, c32, 0, n32, r32, COND_NE)
    return out


def nan_widen(dc: DisasContext, a32: Temp, r: Temp) -> Temp:
    """Arm's NaN payload for single -> double."""
    ctx = dc.ctx
    cls, wide, nan, sign, out = (ctx.temp(I32), ctx.temp(), ctx.temp(), ctx.temp(),
                                 ctx.temp())  # fmt: skip
    ctx.emit("fclass_f32", cls, a32)
    if default_nan(dc):
        ctx.movi(nan, 0x7FF8000000000000)
    else:
        ctx.extu_i32_i64(wide, a32)
        ctx.and_(nan, wide, 0x3FFFFF)
        ctx.shl(nan, nan, 29)
        ctx.shr(sign, wide, 31)
        ctx.shl(sign, sign, 63)
        ctx.or_(nan, nan, sign)
        ctx.or_(nan, nan, 0x7FF8000000000000)
    c64 = ctx.temp()
    ctx.extu_i32_i64(c64, cls)
    ctx.movcond(out, c64, 0, nan, r, COND_NE)
    return out


def fp_3src(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    bits = _bits(dc, insn)
    o1, o0 = field(insn, 21, 21), field(insn, 15, 15)
    ctx, sfx = dc.ctx, _sfx(bits)
    n = _read(t, dc, field(insn, 9, 5), bits)
    m = _read(t, dc, field(insn, 20, 16), bits)
    acc = _read(t, dc, field(insn, 14, 10), bits)
    ty = _ty(bits)
    if o0 ^ o1:  # FMSUB, FNMADD: the product is negated (FNMSUB: -a + n*m)
        nn = ctx.temp(ty)
        ctx.emit(f"fneg_{sfx}", nn, n)
        n_used = nn
    else:
        n_used = n
    if o1:  # FNMADD, FNMSUB: the addend is negated
        na = ctx.temp(ty)
        ctx.emit(f"fneg_{sfx}", na, acc)
        acc_used = na
    else:
        acc_used = acc
    r = ctx.temp(ty)
    ctx.emit(f"fma_{sfx}", r, n_used, m, acc_used, _rm(dc))
    # Arm negates the operands before FPMulAdd: a NaN comes out with the negated sign
    r = propagate_fma(dc, r, acc_used, n_used, m, bits)
    _write(t, dc, field(insn, 4, 0), r, bits)


def _set_flags_from_fcmp(t: AArch64Target, dc: DisasContext, cmp: Temp, bits: int) -> None:
    ctx = dc.ctx
    r = cmp
    if bits == 32:
        r = ctx.temp(I64)
        ctx.extu_i32_i64(r, cmp)
    ctx.setcond(t.nf, r, 1, COND_EQ)
    ctx.shl(t.nf, t.nf, 63)
    ctx.setcond(t.zf, r, 2, COND_NE)
    ctx.setcond(t.cf, r, 2, COND_GEU)
    ctx.setcond(t.vf, r, 8, COND_EQ)
    ctx.shl(t.vf, t.vf, 63)


def fp_compare(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    bits = _bits(dc, insn)
    ctx = dc.ctx
    a = _read(t, dc, field(insn, 9, 5), bits)
    if field(insn, 3, 3):
        b = ctx.temp(_ty(bits))
        ctx.movi(b, 0)
    else:
        b = _read(t, dc, field(insn, 20, 16), bits)
    r = ctx.temp(_ty(bits))
    ctx.emit(f"fcmp_{_sfx(bits)}", r, a, b)
    if field(insn, 4, 4):  # FCMPE: a quiet NaN raises IOC too
        fcmp_flag(ctx, r, bits, IOC)
    _set_flags_from_fcmp(t, dc, r, bits)


def fp_ccmp(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    bits = _bits(dc, insn)
    ctx = dc.ctx
    cond, x, y = t.cond(dc, field(insn, 15, 12))
    skip, done = ctx.label(), ctx.label()
    if cond is not COND_ALWAYS:
        ctx.brcond(cond.invert(), x, y, skip)
    a = _read(t, dc, field(insn, 9, 5), bits)
    b = _read(t, dc, field(insn, 20, 16), bits)
    r = ctx.temp(_ty(bits))
    ctx.emit(f"fcmp_{_sfx(bits)}", r, a, b)
    if field(insn, 4, 4):  # FCCMPE: a quiet NaN raises IOC too
        fcmp_flag(ctx, r, bits, IOC)
    _set_flags_from_fcmp(t, dc, r, bits)
    ctx.br(done)
    ctx.set_label(skip)
    nzcv = insn & 15
    ctx.movi(t.nf, (1 << 63) if nzcv & 8 else 0)
    ctx.movi(t.zf, 0 if nzcv & 4 else 1)
    ctx.movi(t.cf, (nzcv >> 1) & 1)
    ctx.movi(t.vf, (1 << 63) if nzcv & 1 else 0)
    ctx.set_label(done)


def fp_csel(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    bits = _bits(dc, insn)
    ctx = dc.ctx
    cond, x, y = t.cond(dc, field(insn, 15, 12))
    r = ctx.temp(I64)
    wa, wb = _low(dc, t.vlo[field(insn, 9, 5)], bits), _low(dc, t.vlo[field(insn, 20, 16)], bits)
    if cond is COND_ALWAYS:
        ctx.mov(r, wa)
    else:
        ctx.movcond(r, x, ctx.const(I64, y) if isinstance(y, int) else y, wa, wb, cond)
    rd = field(insn, 4, 0)
    ctx.mov(t.vlo[rd], r)
    ctx.movi(t.vhi[rd], 0)


def vfp_expand_imm(imm8: int, bits: int) -> int:
    """VFPExpandImm: the half, single or double of an 8-bit FP immediate."""
    ebits = {16: 5, 32: 8, 64: 11}[bits]
    mbits = bits - 1 - ebits
    sign, b6, mid, frac = imm8 >> 7, (imm8 >> 6) & 1, (imm8 >> 4) & 3, imm8 & 15
    exp = (b6 ^ 1) << (ebits - 1) | ((1 << (ebits - 3)) - 1 if b6 else 0) << 2 | mid
    return sign << (bits - 1) | exp << mbits | frac << (mbits - 4)


def fp_imm(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    value = vfp_expand_imm(field(insn, 20, 13), _bits(dc, insn))
    rd = field(insn, 4, 0)
    dc.ctx.movi(t.vlo[rd], value)
    dc.ctx.movi(t.vhi[rd], 0)


def fp_int(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SCVTF/UCVTF, FCVTZS/FCVTZU (and the other rounding FCVT*), FMOV general."""
    sf, ftype, rmode, opcode = insn >> 31, field(insn, 23, 22), field(insn, 20, 19), field(
        insn, 18, 16)  # fmt: skip
    rn, rd = field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    if opcode == 6 and rmode == 3 and ftype == 1 and not sf:
        fjcvtzs(t, dc, rn, rd)
        return
    if opcode in (6, 7):  # FMOV between general and FP registers
        if rmode == 1 and ftype == 2 and sf:  # the top half of a 128-bit register
            if opcode == 7:
                ctx.mov(t.vhi[rd], t.rx(dc, rn))
            else:
                t.wx(dc, rd, t.vhi[rn])
            return
        width = {0: 32, 1: 64, 3: 16}.get(ftype)  # a half moves to or from W or X
        if rmode or width is None or (width == 32 and sf) or (width == 64 and not sf):
            raise dc.invalid(insn, "unallocated FMOV (general)")
        if opcode == 7:
            ctx.mov(t.vlo[rd], _low(dc, t.rx(dc, rn), width))
            ctx.movi(t.vhi[rd], 0)
        else:
            t.wx(dc, rd, _low(dc, t.vlo[rn], width), sf)
        return
    bits = _bits(dc, insn)
    if opcode in (2, 3) and rmode == 0:  # SCVTF / UCVTF
        src = ctx.temp()
        if sf:
            ctx.mov(src, t.rx(dc, rn))
        elif opcode == 2:
            ctx.ext32s(src, t.rx(dc, rn))
        else:
            ctx.ext32u(src, t.rx(dc, rn))
        if bits == 16:  # exact in a double, then one rounding to a half (trans_fp16)
            from .trans_fp16 import round_to_odd

            src = round_to_odd(dc, src, opcode == 2)
        r = ctx.temp(_ty(bits))
        ctx.emit(f"itof_{_sfx(bits)}", r, src, int(opcode == 2), _rm(dc))
        _write(t, dc, rd, r, bits)
        return
    if opcode in (0, 1, 4, 5):  # FCVT{N,P,M,Z}{S,U} by rmode; FCVTA{S,U}
        if opcode in (4, 5):
            if rmode:
                raise dc.invalid(insn, "unallocated conversion")
            rm = int(RM_NEAREST_AWAY)
        else:
            rm = (RM_NEAREST_EVEN, RM_UP, RM_DOWN,
                  RM_ZERO)[rmode]  # fmt: skip
        signed = int(opcode in (0, 4))
        a = _read(t, dc, rn, bits)
        r = ctx.temp()
        ctx.emit(f"ftoi_{_sfx(bits)}", r, a, signed, 64 if sf else 32, int(rm))
        t.wx(dc, rd, r, sf)
        return
    raise dc.invalid(insn, "unsupported FP/integer conversion")


def fjcvtzs(t: AArch64Target, dc: DisasContext, rn: int, rd: int) -> None:
    """FJCVTZS: double to int32 as JavaScript's ToInt32 (truncated, modulo 2**32; NaN
    and infinities give 0); Z set when the conversion was exact (not for -0.0, nor for
    a subnormal input, flushed or not), N, C and V clear. Integer ops only, so that its
    flags are Arm's FPToFixedJS alone: IOC for a NaN, an infinity or a truncation
    outside [-2**31, 2**31 - 1]; else IXC when a fraction was dropped."""
    ctx = dc.ctx
    a = flush_in(dc, t.vlo[rn], 64)
    exp, m, sign = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.extract(exp, a, 52, 11)
    ctx.extract(m, a, 0, 52)
    ctx.setcond(sign, exp, 0, COND_NE)  # the implicit bit of a normal number
    ctx.shl(sign, sign, 52)
    ctx.or_(m, m, sign)
    ctx.shr(sign, a, 63)
    # below 2**52 (exp < 1075): the magnitude truncated, and whether a fraction was lost
    sh, mag, lost = ctx.temp(), ctx.temp(), ctx.temp()
    ctx.sub(sh, ctx.const(I64, 1075), exp)
    ctx.movcond(sh, sh, 63, 63, sh, COND_GTU)  # from exponents below 1012 on: all lost
    ctx.shr(mag, m, sh)
    ctx.shl(lost, ctx.const(I64, 1), sh)
    ctx.sub(lost, lost, 1)
    ctx.and_(lost, lost, m)
    ctx.setcond(lost, lost, 0, COND_NE)
    # from 2**52 on: integral; its low 32 bits are m << (exp - 1075), none past a shift of 31
    k, high = ctx.temp(), ctx.temp()
    ctx.sub(k, exp, 1075)
    ctx.shl(high, m, k)
    ctx.movcond(high, k, 31, 0, high, COND_GTU)
    small = ctx.temp()
    ctx.setcond(small, exp, 1075, COND_LTU)
    ctx.movcond(mag, small, 0, mag, high, COND_NE)
    ctx.and_(lost, lost, small)
    # in range: below 2**31, or -2**31 itself (exponents past 1054 are all out)
    in_range, t2 = ctx.temp(), ctx.temp()
    ctx.setcond(in_range, mag, 0x80000000, COND_LTU)
    ctx.setcond(t2, mag, 0x80000000, COND_EQ)
    ctx.and_(t2, t2, sign)
    ctx.or_(in_range, in_range, t2)
    ctx.setcond(t2, exp, 1055, COND_LTU)
    ctx.and_(in_range, in_range, t2)
    finite = ctx.temp()
    ctx.setcond(finite, exp, 2047, COND_NE)
    # the value: the signed truncation modulo 2**32 (0 for a NaN or an infinity)
    r = ctx.temp()
    ctx.neg(r, mag)
    ctx.movcond(r, sign, 0, r, mag, COND_NE)
    ctx.movcond(r, finite, 0, r, 0, COND_NE)
    ctx.ext32u(r, r)
    t.wx(dc, rd, r, 0)
    # flags: IOC (not a number, infinite, or out of range), else IXC (a fraction lost)
    ioc, ixc = ctx.temp(), ctx.temp()
    ctx.and_(ioc, in_range, finite)
    ctx.xor(ioc, ioc, 1)
    ctx.andc(ixc, lost, ioc)
    or_fpsr(ctx, ioc, IOC)
    or_fpsr(ctx, ixc, IXC)
    # Z: exact and in range, not -0.0, and not a subnormal input (flushed to zero or not)
    c = ctx.temp()
    ctx.or_(c, ioc, ixc)
    ctx.xor(c, c, 1)
    ctx.setcond(t2, a, 1 << 63, COND_NE)
    ctx.and_(c, c, t2)
    ctx.and_(t2, t.vlo[rn], (1 << 63) - 1)
    ctx.sub(t2, t2, 1)
    ctx.setcond(t2, t2, (1 << 52) - 1, COND_LTU)
    ctx.andc(c, c, t2)
    ctx.xor(t.zf, c, 1)
    ctx.movi(t.nf, 0)
    ctx.movi(t.cf, 0)
    ctx.movi(t.vf, 0)


def frint_int(dc: DisasContext, a: Temp, bits: int, n: int, rm: int) -> Temp:
    """FRINT32*/FRINT64*: ``a`` rounded to an integral value in mode ``rm``; out of the
    n-bit signed range (NaN and infinities too) the most negative n-bit integer, with
    IOC; IXC when the rounding was inexact (every form, as Unicorn's QEMU raises it)."""
    ctx = dc.ctx
    ty = _ty(bits)
    sfx = _sfx(bits)
    if bits == 32:
        limit, low = 0x4F000000 if n == 32 else 0x5F000000, 0xCF000000 if n == 32 else 0xDF000000
    else:
        limit = (1023 + n - 1) << 52
        low = limit | 1 << 63
    r, c1, c2 = ctx.temp(ty), ctx.temp(ty), ctx.temp(ty)
    ctx.emit(f"frint_{sfx}", r, a, rm)
    frintx_inexact(dc, r, a, bits)  # IXC for an inexact rounding, Z forms too (as QEMU)
    ctx.emit(f"fcmp_{sfx}", c1, r, ctx.const(ty, limit))
    ctx.emit(f"fcmp_{sfx}", c2, r, ctx.const(ty, low))
    ctx.setcond(c1, c1, 1, COND_EQ)  # below 2**(n-1)
    ctx.setcond(c2, c2, 6, COND_TSTNE)  # at least -2**(n-1)
    ctx.and_(c1, c1, c2)
    ctx.movcond(r, c1, 0, r, low, COND_NE)
    out = ctx.temp(ty)
    ctx.xor(out, c1, 1)
    or_fpsr(ctx, out, IOC)  # out of range (NaN and infinities too): IOC
    return r


# -- AdvSIMD ------------------------------------------------------------------------------


def _expand_imm(op: int, cmode: int, imm8: int) -> int | None:
    """AdvSIMDExpandImm: the 64-bit pattern of a modified immediate."""
    c = cmode >> 1
    if c in (0, 1, 2, 3):
        v = imm8 << (8 * c)
        return v | v << 32
    if c in (4, 5):
        v = imm8 << (8 * (c - 4))
        return v * 0x0001000100010001
    if c == 6:
        v = (imm8 << 8 | 0xFF) if not cmode & 1 else (imm8 << 16 | 0xFFFF)
        return v | v << 32
    if cmode == 14 and not op:
        return imm8 * 0x0101010101010101
    if cmode == 14:
        return sum((0xFF << (8 * i)) for i in range(8) if imm8 >> i & 1)
    if cmode == 15 and not op:  # FMOV (vector, single)
        b6 = (imm8 >> 6) & 1
        exp = ((b6 ^ 1) << 7) | ((0x1F if b6 else 0) << 2) | ((imm8 >> 4) & 3)
        v = (imm8 >> 7) << 31 | exp << 23 | (imm8 & 15) << 19
        return v | v << 32
    if cmode == 15:  # FMOV (vector, double)
        b6 = (imm8 >> 6) & 1
        exp = ((b6 ^ 1) << 10) | ((0xFF if b6 else 0) << 2) | ((imm8 >> 4) & 3)
        return (imm8 >> 7) << 63 | exp << 52 | (imm8 & 15) << 48
    return None


def simd_mod_imm(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    q, op, cmode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 15, 12)
    imm8 = field(insn, 18, 16) << 5 | field(insn, 9, 5)
    imm = _expand_imm(op, cmode, imm8)
    if imm is None or (cmode == 15 and op and not q):
        raise dc.invalid(insn, "unallocated modified immediate")
    rd = insn & 31
    ctx = dc.ctx
    is_orr_bic = cmode < 12 and cmode & 1
    invert = op and not is_orr_bic and cmode not in (14, 15)
    if invert:
        imm ^= M64
    for half, reg in ((0, t.vlo[rd]), (1, t.vhi[rd])):
        if half and not q:
            ctx.movi(reg, 0)
        elif is_orr_bic:
            ctx.binary(F_ANDC if op else F_OR, reg, reg, imm)
        else:
            ctx.movi(reg, imm)


def simd_fmov_h(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """FMOV (vector, immediate) of half-precision lanes: VFPExpandImm to 16 bits."""
    q = field(insn, 30, 30)
    lane = vfp_expand_imm(field(insn, 18, 16) << 5 | field(insn, 9, 5), 16)
    rd = insn & 31
    dc.ctx.movi(t.vlo[rd], lane * 0x0001000100010001)
    dc.ctx.movi(t.vhi[rd], lane * 0x0001000100010001 if q else 0)


def simd_dup_general(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    q, imm5 = field(insn, 30, 30), field(insn, 20, 16)
    size = (imm5 & -imm5).bit_length() - 1
    if size > 3 or (size == 3 and not q):
        raise dc.invalid(insn, "unallocated DUP")
    ctx = dc.ctx
    v = ctx.temp()
    ctx.extract(v, t.rx(dc, field(insn, 9, 5)), 0, 8 << size) if size < 3 else ctx.mov(
        v, t.rx(dc, field(insn, 9, 5)))  # fmt: skip
    if size < 3:
        ctx.mul(v, v, M64 // ((1 << (8 << size)) - 1))
    rd = insn & 31
    ctx.mov(t.vlo[rd], v)
    if q:
        ctx.mov(t.vhi[rd], v)
    else:
        ctx.movi(t.vhi[rd], 0)


def simd_3same(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    q, u, size, opcode = field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22), field(
        insn, 15, 11)  # fmt: skip
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    ctx = dc.ctx
    if opcode == 3:
        results = []
        for half in range(2 if q else 1):
            a = (t.vlo if half == 0 else t.vhi)[rn]
            b = (t.vlo if half == 0 else t.vhi)[rm]
            d = (t.vlo if half == 0 else t.vhi)[rd]
            r = ctx.temp()
            if not u:
                ctx.binary((F_AND, F_ANDC, F_OR, F_ORC)[size], r, a, b)
            elif size == 0:
                ctx.xor(r, a, b)
            else:  # BSL, BIT, BIF: bitwise selects
                sel, x, y = {1: (d, a, b), 2: (b, a, d), 3: (b, d, a)}[size]
                s1, s2 = ctx.temp(), ctx.temp()
                ctx.and_(s1, x, sel)
                ctx.andc(s2, y, sel)
                ctx.or_(r, s1, s2)
            results.append(r)
    elif opcode in (16, 17) and (size < 3 or q):
        results = []
        for half in range(2 if q else 1):
            a = (t.vlo if half == 0 else t.vhi)[rn]
            b = (t.vlo if half == 0 else t.vhi)[rm]
            r = ctx.temp()
            if opcode == 16 and size == 3:
                ctx.binary(F_SUB if u else F_ADD, r, a, b)
            elif opcode == 16:  # lane-wise add or subtract
                r = swar_add(dc, a, b, 8 << size, sub=bool(u))
            elif size < 3:  # CMTST (u=0) / CMEQ (u=1): all ones per lane where it holds
                r = swar_compare(dc, a, b, 8 << size, "eq" if u else "tst")
            else:
                bits = 64
                ctx.movi(r, 0)
                for lane in range(64 // bits):
                    la, lb, m = ctx.temp(), ctx.temp(), ctx.temp()
                    ctx.extract(la, a, lane * bits, bits)
                    ctx.extract(lb, b, lane * bits, bits)
                    if u:
                        ctx.setcond(m, la, lb, COND_EQ)
                    else:
                        ctx.setcond(m, la, lb, COND_TSTNE)
                    ctx.neg(m, m)
                    ctx.deposit(r, r, m, lane * bits, bits)
            results.append(r)
    else:
        from .trans_simd import three_same_arith

        if not three_same_arith(t, dc, insn):
            raise dc.invalid(insn, "unsupported AdvSIMD three-same instruction")
        return
    set_lanes(t, dc, rd, results, 64)


PATTERNS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("00011110xx1xxxxx001000xxxxxxxxxx", fp_compare),
    ("00011110xx1xxxxxxxxx01xxxxxxxxxx", fp_ccmp),
    ("00011110xx1xxxxxxxxx11xxxxxxxxxx", fp_csel),
    ("00011110xx1xxxxxxxxx10xxxxxxxxxx", fp_2src),
    ("00011110xx1xxxxxx10000xxxxxxxxxx", fp_1src),
    ("00011110xx1xxxxxxxx10000000xxxxx", fp_imm),
    ("x0011110xx1xxxxx000000xxxxxxxxxx", fp_int),
    ("00011111xxxxxxxxxxxxxxxxxxxxxxxx", fp_3src),
    ("0xx0111100000xxxxxxx01xxxxxxxxxx", simd_mod_imm),
    ("0x00111100000xxx111111xxxxxxxxxx", simd_fmov_h),
    ("0x001110000xxxxx000011xxxxxxxxxx", simd_dup_general),
    ("0xx01110xx1xxxxxxxxxx1xxxxxxxxxx", simd_3same),
)
