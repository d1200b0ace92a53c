"""Float ops on A64: the IR's IEEE semantics map onto A64's almost one to one.

Owns ``FLOAT_OPS``. With FPCR.DN set (by the prologue) every NaN result is
the default NaN, FMIN/FMAX order -0 < +0, FMINNM/FMAXNM are minNum/maxNum,
FCVT*S/U saturate and give 0 for NaN, FRINT* round to integral: exactly the
IR's rules. Values move between general and FP registers with fmov
(v0-v2 are scratch). A rounding mode other than nearest-even is set in FPCR
for the one instruction (conversions to integers carry it in the opcode).
Ties-away rounding for arithmetic (no FPCR mode) is computed in Python
through the ``py_op`` callback, which saves the call-clobbered registers.
"""

from __future__ import annotations

from tcgkit.native import layout as L
from tcgkit.tcg.ir import Op
from tcgkit.tcg.types import I64, RoundingMode

from . import fpsr
from .encoder import EQ, HI, MI, SP, VS, ZR
from .lower import ENV, FPCR_DN, FPCR_RMODE, TMP0, TMP1, Lowering, LoweringError

RNA = RoundingMode.NEAREST_AWAY
_FP2 = {"fmul": 0, "fdiv": 1, "fadd": 2, "fsub": 3, "fmax": 4, "fmin": 5, "fmaxnm": 6,
        "fminnm": 7}  # fmt: skip
_FRINT = {RoundingMode.NEAREST_EVEN: 8, RoundingMode.UP: 9, RoundingMode.DOWN: 10,
          RoundingMode.ZERO: 11, RNA: 12}  # fmt: skip
_CVT_RMODE = {RoundingMode.NEAREST_EVEN: 0, RoundingMode.UP: 1, RoundingMode.DOWN: 2,
              RoundingMode.ZERO: 3, RNA: 4}  # fmt: skip
SAVE = tuple(range(0, 16))  # the call-clobbered allocatable registers


def _double(op: Op) -> bool:
    return op.defn.type is I64


def _with_rm(L_: Lowering, rm: int, emit: object) -> None:
    a = L_.a
    if rm:
        a.mov_imm(TMP0, FPCR_DN | FPCR_RMODE[RoundingMode(rm)] << 22)
        a.msr_fpcr(TMP0)
    emit()  # type: ignore[operator]
    if rm:
        a.mov_imm(TMP0, FPCR_DN)
        a.msr_fpcr(TMP0)


def py_op(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    """d <- softfloat's answer for ``op``, through the py_op callback."""
    a = L_.a
    index = L_.rt.py_op_index(op.opc, tuple(int(c) for c in op.consts))
    saved = [r for r in SAVE if r != d]
    if len(saved) % 2:
        saved.append(ZR)
    for i in range(0, len(saved), 2):
        a.ldp_stp(False, saved[i], saved[i + 1], SP, -16, "pre")
    for i, r in enumerate(ins):  # into v0-v2 first: the argument registers overlap
        a.fmov_to_fp(i, r, True)
    for i in range(len(ins)):
        a.fmov_from_fp(2 + i, i, True)
    a.mov_imm(1, index)
    a.mov(0, ENV)
    fpsr.save(a, ENV)
    a.mov_imm(TMP0, L_.rt.py_op)
    a.blr(TMP0)
    fpsr.reload(a, ENV)
    a.mov(TMP1, 0, False)
    a.ldst(3, 1, TMP0, ENV, L.OFF_RET)
    for i in reversed(range(0, len(saved), 2)):
        a.ldp_stp(True, saved[i], saved[i + 1], SP, 16, "post")
    a.cbz(TMP1, L_.raised, sf=False, nonzero=True)
    a.mov(d, TMP0)


def _arith(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    dbl = _double(op)
    base = op.defn.base
    rm = op.consts[-1] if op.defn.consts and op.defn.consts[-1] == "rm" else 0
    if rm == RNA and base != "frint":
        py_op(L_, op, d, ins)
        return
    for i, r in enumerate(ins):
        a.fmov_to_fp(i, r, dbl)
    if base in _FP2:
        _with_rm(L_, rm, lambda: a.fp2(_FP2[base], 0, 0, 1, dbl))
    elif base == "fsqrt":
        _with_rm(L_, rm, lambda: a.fp1(3, 0, 0, dbl))
    elif base == "fma":  # a * b + c
        _with_rm(L_, rm, lambda: a.fmadd(0, 0, 1, 2, dbl))
    elif base == "frint":
        a.fp1(_FRINT[RoundingMode(rm)], 0, 0, dbl)
    elif base == "fneg":
        a.fp1(2, 0, 0, dbl)
    elif base == "fabs":
        a.fp1(1, 0, 0, dbl)
    a.fmov_from_fp(d, 0, dbl)


def _fcmp(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    dbl = _double(op)
    a.fmov_to_fp(0, ins[0], dbl)
    a.fmov_to_fp(1, ins[1], dbl)
    a.fcmp(0, 1, dbl)
    # unordered: V set; less: N set; equal: Z set; else greater
    a.mov_imm(TMP0, 4)
    a.mov_imm(TMP1, 1)
    a.csel(TMP0, TMP1, TMP0, MI)
    a.mov_imm(TMP1, 2)
    a.csel(TMP0, TMP1, TMP0, EQ)
    a.mov_imm(TMP1, 8)
    a.csel(d, TMP1, TMP0, VS)


def _fclass(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    """0 number, 1 signalling NaN, 2 quiet NaN (integer ops on the encoding)."""
    a = L_.a
    dbl = _double(op)
    bits = 64 if dbl else 32
    quiet = 51 if dbl else 22
    inf2 = (0x7FF0000000000000 << 1 if dbl else 0x7F800000 << 1) & ((1 << bits) - 1)
    a.bfm(2, TMP0, ins[0], (-1) % bits, bits - 2, dbl)  # lsl #1: drop the sign
    a.mov_imm(TMP1, inf2, dbl)
    a.cmp(TMP0, TMP1, dbl)
    a.bfm(2, TMP1, ins[0], quiet, quiet, dbl)  # the quiet bit
    a.add_imm(TMP1, TMP1, 1, dbl)
    a.csel(d, TMP1, ZR, HI, dbl)


def _fcvt(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    narrow = op.opc == "fcvt_f64_f32"
    rm = op.consts[0]
    if rm == RNA:
        py_op(L_, op, d, ins)
        return
    a.fmov_to_fp(0, ins[0], narrow)
    _with_rm(L_, rm if narrow else 0, lambda: a.fp1(4 if narrow else 5, 0, 0, narrow))
    a.fmov_from_fp(d, 0, not narrow)


def _itof(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    dbl = op.opc == "itof_f64"
    sgn, rm = op.consts
    if rm == RNA:
        py_op(L_, op, d, ins)
        return
    _with_rm(L_, rm, lambda: a.cvt_from_int(bool(sgn), 0, ins[0], dbl))
    a.fmov_from_fp(d, 0, dbl)


def _ftoi(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    dbl = op.opc == "ftoi_f64"
    sgn, bits, rm = op.consts
    if bits not in (32, 64):
        py_op(L_, op, d, ins)
        return
    a.fmov_to_fp(0, ins[0], dbl)
    a.cvt_to_int(_CVT_RMODE[RoundingMode(rm)], bool(sgn), d, 0, dbl, bits == 64)
    if bits == 32 and sgn:
        a.bfm(0, d, d, 0, 31, True)  # sxtw: the IR's result is the 64-bit value


def float_op(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    if any(not isinstance(x, int) for x in ins):
        raise LoweringError(f"{op!r}: float operands must be in registers")
    base = op.defn.base
    if base in ("fcmp",):
        _fcmp(L_, op, outs[0], ins)
    elif base == "fclass":
        _fclass(L_, op, outs[0], ins)
    elif base.startswith("fcvt"):
        _fcvt(L_, op, outs[0], ins)
    elif base.startswith("itof"):
        _itof(L_, op, outs[0], ins)
    elif base.startswith("ftoi"):
        _ftoi(L_, op, outs[0], ins)
    else:
        _arith(L_, op, outs[0], ins)


FLOAT_OPS = {b: float_op for b in ("fadd", "fsub", "fmul", "fdiv", "fsqrt", "fma", "fmin",
                                   "fmax", "fminnm", "fmaxnm", "fcmp", "fneg", "fabs",
                                   "fclass", "frint", "fcvt_f64_f32", "fcvt_f32_f64",
                                   "itof_f32", "itof_f64", "ftoi_f32", "ftoi_f64")}  # fmt: skip
