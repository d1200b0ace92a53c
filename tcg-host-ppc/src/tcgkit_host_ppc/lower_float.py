"""Float ops on Power: FPR arithmetic, with the IR's rules made explicit.

Owns ``FLOAT_OPS``. Values move between GPRs and f0-f2 with mtvsrd/mfvsrd
(an f32 through xscvspdpn/xscvdpspn: FPRs hold singles in double format).
Power has no default-NaN mode, so every NaN result is replaced by the
default NaN after the op (fcmpu of the result with itself: unordered);
min/max order -0 < +0 and minNum/maxNum are selected on the GPR encodings
from the compare's CR bits; conversions to integers saturate in hardware and
map NaN to 0 here. Rounding modes are set in FPSCR[RN] around the op;
ties-away arithmetic and conversions (no RN for it; frin is the exception)
go through the ``py_op`` callback.

Float flags (``fpscr``): FPSCR accumulates them; each op's instructions raise
exactly its ``tcgkit.tcg.fpflags`` flags: the fcmpu of ``result`` and of the NaN
checks is the quiet compare (VXSNAN for a signalling NaN only, never VXVC) and
sees a signalling NaN only where the op raises IOC anyway (or, for the widening
``fcvt``, as that op's one flag); frint uses the forms that never set XX (RNE's
xsrdpic does: FPSCR is put back around it); conversions to integers set VXCVI
alone when invalid; the sign-bit ops and ``fclass`` are GPR instructions.
"""

from __future__ import annotations

from tcgkit.native import layout as L
from tcgkit.tcg.ir import Op
from tcgkit.tcg.types import I64, RoundingMode

from . import encoder as E
from . import fpscr
from .encoder import BO_FALSE, BO_TRUE, SP, TOC, Label
from .lower import ENV, R0, SLOW_SAVE, TMP0, TMP1, Lowering, LoweringError

RNA = RoundingMode.NEAREST_AWAY
# IR rounding mode -> FPSCR[RN]
_RN = {RoundingMode.NEAREST_EVEN: 0, RoundingMode.ZERO: 1, RoundingMode.UP: 2,
       RoundingMode.DOWN: 3}  # fmt: skip
_A_FORM = {"fadd": 21, "fsub": 20, "fmul": 25, "fdiv": 18, "fsqrt": 22, "fma": 29}
_FRINT = {RoundingMode.ZERO: 424, RoundingMode.UP: 456, RoundingMode.DOWN: 488, RNA: 392}
DNAN = {True: 0x7FF8000000000000, False: 0x7FC00000}


def _double(op: Op) -> bool:
    return op.defn.type is I64


def to_fpr(L_: Lowering, f: int, r: int, double: bool) -> None:
    a = L_.a
    if double:
        a.mtvsrd(f, r)
    else:
        a.rldicr(R0, r, 32, 31)  # the single in the high word of doubleword 0
        a.mtvsrd(f, R0)
        a.xx2(331, f, f)  # xscvspdpn


def from_fpr(L_: Lowering, r: int, f: int, double: bool) -> None:
    a = L_.a
    if double:
        a.mfvsrd(r, f)
    else:
        a.xx2(267, f, f)  # xscvdpspn
        a.mfvsrd(r, f)
        a.rldicl(r, r, 32, 32)


def with_rn(L_: Lowering, rm: int, emit: object) -> None:
    rn = _RN[RoundingMode(rm)]
    if rn:
        L_.a.mtfsfi(7, rn)
    emit()  # type: ignore[operator]
    if rn:
        L_.a.mtfsfi(7, 0)


def result(L_: Lowering, d: int, f: int, double: bool) -> None:
    """d <- f's encoding, or the default NaN if f holds a NaN."""
    a = L_.a
    done = Label()
    a.fcmpu(f, f)
    from_fpr(L_, d, f, double)  # moves and conversions leave CR0 alone
    a.bc(BO_FALSE, E.SO, done)
    a.mov_imm(d, DNAN[double])
    a.bind(done)


def py_op(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    """d <- softfloat's answer, through the py_op callback (r3-r10 saved)."""
    a = L_.a
    index = L_.rt.py_op_index(op.opc, tuple(int(c) for c in op.consts))
    saved = [r for r in range(3, 11) if r != d]
    for r in saved:
        a.std(r, SP, SLOW_SAVE + 8 * (r - 3))
    for i, r in enumerate(ins):
        a.std(r, SP, SLOW_SAVE + 64 + 8 * i)
    for i in range(len(ins)):
        a.ld(5 + i, SP, SLOW_SAVE + 64 + 8 * i)
    a.mov_imm(4, index)
    a.mr(3, ENV)
    fpscr.save(a, ENV, TMP0)  # the float flags so far, for Python to fold
    a.mov_imm(TMP1, L_.rt.py_op)
    a.mtctr(TMP1)
    a.bctr(link=True)
    a.ld(TOC, SP, 24)
    fpscr.reload(a, ENV, TMP0)
    a.mr(R0, 3)
    a.ld(TMP0, ENV, L.OFF_RET)
    for r in saved:
        a.ld(r, SP, SLOW_SAVE + 8 * (r - 3))
    a.cmpi(R0, 0, False)
    a.bc(BO_FALSE, E.EQ, L_.raised)
    a.mr(d, TMP0)


def _arith(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    dbl = _double(op)
    base = op.defn.base
    rm = op.consts[-1]
    if rm == RNA and base != "frint":
        py_op(L_, op, d, ins)
        return
    for i, r in enumerate(ins):
        to_fpr(L_, i, r, dbl)
    opcd = 63 if dbl else 59
    if base == "frint":
        if rm == RoundingMode.NEAREST_EVEN:
            # xsrdpic (FPSCR[RN], which is round-to-nearest-even here) is IEEE's
            # roundToIntegralExact: it sets XX, which frint never raises. Its only
            # other flag is VXSNAN: raised by fcmpu first, then FPSCR is put back
            # as it was after the fcmpu, whatever xsrdpic set
            a.fcmpu(0, 0)
            a.mffs(3)
            a.xx2(107, 0, 0)
            a.mtfsf(0xFF, 3)
        else:
            a.fp_x(_FRINT[RoundingMode(rm)], 0, 0)
    elif base == "fsqrt":
        with_rn(L_, rm, lambda: a.fp_a(opcd, 22, 0, 0, 0))
    elif base == "fma":  # a * b + c: fmadd frt = fra * frc + frb
        with_rn(L_, rm, lambda: a.fp_a(opcd, 29, 0, 0, 2, 1))
    else:
        xo = _A_FORM[base]
        if base == "fmul":  # A-form multiply takes frc, not frb
            with_rn(L_, rm, lambda: a.fp_a(opcd, xo, 0, 0, 0, 1))
        else:
            with_rn(L_, rm, lambda: a.fp_a(opcd, xo, 0, 0, 1))
    result(L_, d, 0, dbl)


def _signops(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    dbl = _double(op)
    neg = op.defn.base == "fneg"
    x = ins[0]
    if dbl:
        if neg:
            a.mov_imm(R0, 1 << 63)
            a.logic(316, d, x, R0)
        else:
            a.rldicl(d, x, 0, 1)
    elif neg:
        a.xoris(d, x, 0x8000)
    else:
        a.rlwinm(d, x, 0, 1, 31)


def _fclass(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    """0 number, 1 signalling NaN, 2 quiet NaN, on the encoding."""
    a = L_.a
    dbl = _double(op)
    x = ins[0]
    quiet = 51 if dbl else 22
    if dbl:
        a.rldicr(TMP0, x, 1, 62)  # << 1: drop the sign
        a.mov_imm(TMP1, 0x7FF0000000000000 << 1 & (2**64 - 1))
    else:
        a.rlwinm(TMP0, x, 1, 0, 30)
        a.mov_imm(TMP1, 0x7F800000 << 1 & 0xFFFFFFFF)
    a.cmp(TMP0, TMP1, True, True)  # unsigned: above infinity -> a NaN
    a.rldicl(TMP0, x, 64 - quiet, 63)  # the quiet bit
    a.addi(TMP0, TMP0, 1)
    a.li(R0, 0)
    a.isel(d, TMP0, R0, E.GT)


def _minmax(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    dbl = _double(op)
    base = op.defn.base
    is_min = base in ("fmin", "fminnm")
    x, y = ins
    done, dnan = Label(), Label()
    to_fpr(L_, 0, x, dbl)
    to_fpr(L_, 1, y, dbl)

    def numbers() -> None:
        differ = Label()
        a.fcmpu(0, 1)
        a.bc(BO_FALSE, E.EQ, differ)
        a.logic(444 if is_min else 28, d, x, y)  # -0 == +0: min ORs the sign in, max ANDs
        a.b(done)
        a.bind(differ)
        # less: min takes x, max takes y
        a.isel(d, x, y, E.LT) if is_min else a.isel(d, y, x, E.LT)
        a.b(done)

    if base in ("fmin", "fmax"):
        a.fcmpu(0, 1)
        a.bc(BO_TRUE, E.SO, dnan)
        numbers()
    else:
        x_nan, y_nan, ret_x, ret_y = Label(), Label(), Label(), Label()
        quiet = 51 if dbl else 22
        a.fcmpu(0, 0)
        a.bc(BO_TRUE, E.SO, x_nan)
        a.fcmpu(1, 1)
        a.bc(BO_TRUE, E.SO, y_nan)
        numbers()
        a.bind(x_nan)  # x a NaN: signalling -> default; else y if it is a number
        a.rldicl(R0, x, 64 - quiet, 63)
        a.cmpi(R0, 0)
        a.bc(BO_TRUE, E.EQ, dnan)
        a.fcmpu(1, 1)
        a.bc(BO_TRUE, E.SO, dnan)
        a.b(ret_y)
        a.bind(y_nan)
        a.rldicl(R0, y, 64 - quiet, 63)
        a.cmpi(R0, 0)
        a.bc(BO_TRUE, E.EQ, dnan)
        a.bind(ret_x)
        a.mr(d, x)
        a.b(done)
        a.bind(ret_y)
        a.mr(d, y)
        a.b(done)
    a.bind(dnan)
    a.mov_imm(d, DNAN[dbl])
    a.bind(done)


def _fcmp(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    dbl = _double(op)
    to_fpr(L_, 0, ins[0], dbl)
    to_fpr(L_, 1, ins[1], dbl)
    a.fcmpu(0, 1)
    a.li(TMP0, 4)
    for value, bit in ((1, E.LT), (2, E.EQ), (8, E.SO)):
        a.li(TMP1, value)
        a.isel(TMP0, TMP1, TMP0, bit)
    a.mr(d, TMP0)


def _fcvt(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    narrow = op.opc == "fcvt_f64_f32"
    rm = op.consts[0]
    if rm == RNA:
        py_op(L_, op, d, ins)
        return
    to_fpr(L_, 0, ins[0], narrow)
    if narrow:
        with_rn(L_, rm, lambda: a.fp_x(12, 0, 0))  # frsp
    # widening is exact and xscvspdpn kept a signalling NaN signalling: result()'s
    # fcmpu of it raises VXSNAN, the op's one flag (IOC); after frsp it raises nothing
    result(L_, d, 0, not narrow)


def _itof(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    dbl = op.opc == "itof_f64"
    sgn, rm = op.consts
    if rm == RNA:
        py_op(L_, op, d, ins)
        return
    a.mtvsrd(0, ins[0])
    if dbl:
        with_rn(L_, rm, lambda: a.fp_x(846 if sgn else 974, 0, 0))  # fcfid / fcfidu
    else:
        with_rn(L_, rm, lambda: a.fp_x59(846 if sgn else 974, 0, 0))  # fcfids / fcfidus
    from_fpr(L_, d, 0, dbl)


_CTI = {
    (True, 64): (814, 815),
    (False, 64): (942, 943),
    (True, 32): (14, 15),
    (False, 32): (142, 143),
}  # (signed, bits) -> (xo with FPSCR[RN], xo toward zero)


def _ftoi(L_: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L_.a
    dbl = op.opc == "ftoi_f64"
    sgn, bits, rm = op.consts
    if rm == RNA or bits not in (32, 64):
        py_op(L_, op, d, ins)
        return
    to_fpr(L_, 0, ins[0], dbl)
    current, toward_zero = _CTI[(bool(sgn), bits)]
    if rm == RoundingMode.ZERO:
        a.fp_x(toward_zero, 1, 0)
    else:
        with_rn(L_, rm, lambda: a.fp_x(current, 1, 0))
    a.mfvsrd(d, 1)
    if bits == 32:
        a.unary_x(986, d, d) if sgn else a.rldicl(d, d, 0, 32)
    a.fcmpu(0, 0)  # NaN -> 0
    a.isel(d, 0, d, E.SO)  # ra = 0: the value 0


def float_op(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    if any(not isinstance(x, int) for x in ins):
        raise LoweringError(f"{op!r}: float operands must be in registers")
    base = op.defn.base
    d = outs[0]
    if base in ("fneg", "fabs"):
        _signops(L_, op, d, ins)
    elif base == "fclass":
        _fclass(L_, op, d, ins)
    elif base in ("fmin", "fmax", "fminnm", "fmaxnm"):
        _minmax(L_, op, d, ins)
    elif base == "fcmp":
        _fcmp(L_, op, d, ins)
    elif base.startswith("fcvt"):
        _fcvt(L_, op, d, ins)
    elif base.startswith("itof"):
        _itof(L_, op, d, ins)
    elif base.startswith("ftoi"):
        _ftoi(L_, op, d, ins)
    else:
        _arith(L_, op, d, ins)


FLOAT_OPS = {b: float_op for b in ("fadd", "fsub", "fmul", "fdiv", "fsqrt", "fma", "fmin",
                                   "fmax", "fminnm", "fmaxnm", "fcmp", "fneg", "fabs",
                                   "fclass", "frint", "fcvt_f64_f32", "fcvt_f32_f64",
                                   "itof_f32", "itof_f64", "ftoi_f32", "ftoi_f64")}  # fmt: skip
