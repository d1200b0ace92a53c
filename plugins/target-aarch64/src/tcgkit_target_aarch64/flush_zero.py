"""FPCR.FZ, flush to zero, for single- and double-precision operations.

Owns ``flush_ops`` (the pass ``AArch64Target.translate_insn`` runs over the IR of
one instruction when the TB's flags have ``FLAG_FZ``) and ``flush_in`` (the same
flush of one operand, for the translators that compute a float result with integer
ops: the estimates, FRECPX, FCVTXN, FJCVTZS, FCVT to half).

Arm's rules (FPUnpack, FPRound with FPCR.AH = 0): a subnormal operand counts as a
zero of its sign; a result whose exact value is below the smallest normal number in
magnitude is a zero of its sign, decided before rounding (a product just below
2^-126 that rounds up to it is flushed too). The IR's float ops have neither rule
(``tcgkit.tcg.softfloat``), so the pass puts them around each op of the
instruction that reads or rounds a float:

* every float input of ``FLUSH_IN``'s ops goes through ``flush_in`` (three ops:
  magnitude below the smallest normal -> the sign alone);
* ``FLUSH_OUT``'s ops (the roundings whose result can be tiny) are computed a
  second time rounding toward zero, which is below the smallest normal exactly
  when the exact result is; then the result becomes the zero of its own sign (a
  rounding keeps the sign, and an exact zero stays as it is).

Half precision (FZ16) is not modelled: half arithmetic computes on doubles, whose
values from halves are never subnormal, so FZ leaves it alone as Arm does.
"""

from __future__ import annotations

from typing import Final

from tcgkit.target import DisasContext
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ir import Op, Temp, TempKind
from tcgkit.tcg.types import I32, I64, RoundingMode

from .aliases import COND_LTU
from .state import FLAG_FZ

#: ops whose float inputs are flushed (by base; conversions by full name)
FLUSH_IN: Final = frozenset({"fadd", "fsub", "fmul", "fdiv", "fsqrt", "fma", "fmin", "fmax",
                             "fminnm", "fmaxnm", "fcmp", "frint", "fcvt_f64_f32", "fcvt_f32_f64",
                             "ftoi_f32", "ftoi_f64"})  # fmt: skip
#: ops whose result is flushed when tiny (the last constant is the rounding mode)
FLUSH_OUT: Final = frozenset({"fadd", "fsub", "fmul", "fdiv", "fma", "fcvt_f64_f32"})
#: the smallest normal number's encoding, by format width
MIN_NORMAL: Final = {32: 0x00800000, 64: 0x0010000000000000}


def fz(dc: DisasContext) -> bool:
    """FPCR.FZ (a TB flag)."""
    return bool(dc.flags & FLAG_FZ)


def flush_in(dc: DisasContext, v: Temp, bits: int) -> Temp:
    """``v`` (a float of ``bits`` bits in its i32 or i64 temp), or the zero of its sign
    when FPCR.FZ is set and it is subnormal."""
    if not fz(dc) or bits not in MIN_NORMAL:
        return v
    ctx = dc.ctx
    ty = v.type
    sign = 1 << (bits - 1)
    mag, sgn, r = ctx.temp(ty), ctx.temp(ty), ctx.temp(ty)
    ctx.and_(mag, v, sign - 1)
    ctx.and_(sgn, v, sign)
    ctx.movcond(r, mag, MIN_NORMAL[bits], sgn, v, COND_LTU)
    return r


def _flush_const(ctx: TCGContext, t: Temp, bits: int) -> Temp:
    """A constant input flushed at translation time."""
    sign = 1 << (bits - 1)
    v = t.value
    if v & (sign - 1) < MIN_NORMAL[bits] and v & (sign - 1):
        return ctx.const(t.type, v & sign)
    return t


def flush_ops(dc: DisasContext, start: int) -> None:
    """Flush to zero around the float ops of ``dc.ctx.ops[start:]`` (the IR of the
    instruction just translated): see the module docstring."""
    ctx = dc.ctx
    ops = ctx.ops
    tail = ops[start:]
    del ops[start:]
    for op in tail:
        d = op.defn
        name = d.base if d.base in FLUSH_IN else d.name
        if name not in FLUSH_IN:
            ops.append(op)
            continue
        n_out = op.n_out
        args = list(op.args)
        for i, ty in enumerate(d.in_types):
            a = args[n_out + i]
            bits = 32 if ty is I32 else 64
            if a.kind is TempKind.CONST:
                args[n_out + i] = _flush_const(ctx, a, bits)
            else:
                args[n_out + i] = flush_in(dc, a, bits)
        if name in FLUSH_OUT:
            _flushed_result(dc, op, args)
        else:
            op.args = tuple(args)
            ops.append(op)


def _flushed_result(dc: DisasContext, op: Op, args: list) -> None:
    """``op`` with ``args``, preceded by its twin rounding toward zero (before, as the
    op may overwrite an input) and followed by the flush of its result."""
    ctx = dc.ctx
    d = op.defn
    out = args[0]
    ty = d.type if d.type is not None else I64
    bits = 32 if ty is I32 else 64
    rz = ctx.temp(ty)
    ctx.emit(d.name, rz, *args[1:-1], int(RoundingMode.ZERO))
    op.args = tuple(args)
    ctx.ops.append(op)
    sign = 1 << (bits - 1)
    mag, sgn = ctx.temp(ty), ctx.temp(ty)
    ctx.and_(mag, rz, sign - 1)
    ctx.and_(sgn, out, sign)
    ctx.movcond(out, mag, MIN_NORMAL[bits], sgn, out, COND_LTU)
