"""Float ops on x86-64: IEEE results through SSE2, the IR's rules in code.

Owns ``float_op``. Values arrive in general registers (f32 in i32, f64 in
i64) and go through xmm0-xmm2, which the allocator never uses. Rounding
modes other than nearest-even are set for the one instruction by changing
MXCSR's rounding field (``mxcsr.set_rm``: its flags are kept).

IEEE flags: MXCSR accumulates them (``mxcsr``); the SSE instructions here raise
exactly the guest operation's flags (``tcgkit.tcg.fpflags``): ucomis raises IE
for signalling NaNs only, as the ops it serves do; roundsd runs with PE
suppressed (``frint`` raises no IXC); float -> integer converts to the
destination's width (signed) or drops the flags of its signed 64-bit attempt
(unsigned) on the slow path; a result that is the smallest normal number goes
out of line, where ``py_op`` adds Arm's underflow (tininess before rounding,
which x86 does not detect). ``py_op`` computes the flags of what it computes.

The IR's rules (``tcgkit.tcg.softfloat``) that SSE does not follow are
code here: every NaN result becomes the default NaN; min/max order -0 < +0
and give the default NaN for NaN inputs; minNum/maxNum prefer the number to
a quiet NaN; conversions to integers saturate and map NaN to 0.

What is not inline (rare, computed in Python by ``softfloat`` through the
``py_op`` callback, which saves every call-clobbered register): the
ties-away rounding mode of arithmetic (no SSE equivalent; frint's and the
conversions' to integers are code, ``_frint_away``), fma without FMA3, frint
and ties-away conversions without SSE4.1, unsigned 64-bit integers with the
top bit set converted to float, and float to integer conversions whose result
is out of range or NaN.
"""

from __future__ import annotations

import functools
from typing import Final

from librt.strings import BytesWriter
from tcgkit.tcg.ir import Op
from tcgkit.tcg.types import I64, RoundingMode

from . import mxcsr
from .encoder import (
    ADD,
    AND,
    CC_A,
    CC_AE,
    CC_B,
    CC_E,
    CC_LE,
    CC_NE,
    CC_NP,
    CC_P,
    CC_S,
    CMP,
    OR,
    R8,
    RBP,
    RCX,
    RDI,
    RDX,
    RSI,
    SHR,
    SUB,
    XOR,
    Asm,
    Label,
    Mem,
    put_u32,
    put_u64,
)
from .lower import TMP0, TMP1, Lowering, LoweringError, call_and_restore, save_for_call

SHL: Final = 4
ROR: Final = 1
MIN_NORMAL_32: Final = 0x00800000

X0: Final = 0
X1: Final = 1
X2: Final = 2
F2: Final = b"\xf2"
F3: Final = b"\xf3"
P66: Final = b"\x66"
# SSE opcodes (second byte after 0F)
ADDS: Final = 0x58
MULS: Final = 0x59
SUBS: Final = 0x5C
MINS: Final = 0x5D
DIVS: Final = 0x5E
MAXS: Final = 0x5F
SQRTS: Final = 0x51
UCOMIS: Final = 0x2E
CVTSI2S: Final = 0x2A
CVTTS2SI: Final = 0x2C
CVTS2SI: Final = 0x2D
CVTS2S: Final = 0x5A
MOVAPD: Final = 0x28  # with the 66 prefix
_ARITH: Final = {"fadd": ADDS, "fsub": SUBS, "fmul": MULS, "fdiv": DIVS}


class _Fmt:
    """A float format's constants for the lowering (two instances: ``_F32``, ``_F64``;
    read only)."""

    def __init__(self, double: bool) -> None:
        self.w = double
        self.prefix = F2 if double else F3
        self.bits = 64 if double else 32
        self.sign = 1 << (self.bits - 1)
        self.dnan = 0x7FF8000000000000 if double else 0x7FC00000
        self.quiet_bit = 51 if double else 22
        #: an infinity's encoding shifted left by one (its sign dropped): a magnitude
        #: ``x << 1`` above it is a NaN's
        self.inf_x2 = (self.dnan & ~(1 << self.quiet_bit)) << 1 & ((1 << self.bits) - 1)


_F32: Final = _Fmt(False)
_F64: Final = _Fmt(True)


def _fmt(double: bool) -> _Fmt:
    """The format's constants (made once: wide integers, not per op)."""
    return _F64 if double else _F32


def _fmt_of(op: Op) -> _Fmt:
    return _F64 if op.defn.type is I64 else _F32


def _to_x(L: Lowering, x: int, r: int, w: bool) -> None:
    L.a.movq_xr(x, r, w)


def _ucomis(L: Lowering, f: _Fmt, x: int, y: int) -> None:
    _ucomis_a(L.a, f, x, y)


def _ucomis_a(a: Asm, f: _Fmt, x: int, y: int) -> None:
    a.sse(P66 if f.w else b"", UCOMIS, x, y)


def _tiny_check(a: Asm, f: _Fmt, x: int, slow: Label) -> None:
    """Jump to ``slow`` if xmm ``x`` holds the smallest normal number of either sign:
    the one result whose underflow x86 (tininess after rounding) and Arm (before)
    may judge differently."""
    a.movq_rx(TMP0, x, f.w)
    a.shift_ri(SHL, TMP0, 1, f.w)  # drop the sign
    if f.w:  # the exponent's lowest bit (bit 53 now) to bit 0: 1 for the smallest normal
        a.shift_ri(ROR, TMP0, 53)
        a.alu_ri(CMP, TMP0, 1)
    else:
        a.alu_ri(CMP, TMP0, MIN_NORMAL_32 << 1, False)
    a.jcc(CC_E, slow)


def _nan_addend_check(a: Asm, f: _Fmt, x: int, c: int, slow: Label) -> None:
    """Jump to ``slow`` if xmm ``x``, an fma's result, is a NaN and so is the addend
    (register ``c``): x86 raises no invalid operation for an infinity times a zero
    plus a quiet NaN, Arm (and the IR) do. One ucomis on the common path."""
    number = Label()
    _ucomis_a(a, f, x, x)
    a.jcc(CC_NP, number)
    a.mov_rr(TMP0, c, f.w)
    a.shift_ri(SHL, TMP0, 1, f.w)  # drop the sign: a NaN is above the infinity
    a.mov_ri(TMP1, f.inf_x2)
    a.alu_rr(CMP, TMP0, TMP1, f.w)
    a.jcc(CC_A, slow)
    a.bind(number)


def _result_dnan(a: Asm, f: _Fmt, d: int, x: int) -> None:
    """d <- xmm x, or the default NaN if it holds a NaN."""
    done = Label()
    a.movq_rx(d, x, f.w)
    _ucomis_a(a, f, x, x)
    a.jcc(CC_NP, done)
    a.mov_ri(d, f.dnan)
    a.bind(done)


def py_op(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    """d <- softfloat's answer for ``op`` (inputs in registers), out of line."""
    a = L.a
    index = L.rt.py_op_index(op.opc, tuple(int(c) for c in op.consts))
    code, at_index, at_fn = _py_op_call(d, tuple(ins))
    _put_call(a.buf, code, at_index, at_fn, index, L.rt.py_op)
    a.test_rr(TMP1, TMP1, False)
    a.jcc(CC_NE, L.raised)
    a.mov_rr(d, TMP0)


def _put_call(buf: BytesWriter, code: bytes, at_index: int, at_fn: int, index: int,
              fn: int) -> None:  # fmt: skip
    """Append ``code`` (``_py_op_call``'s, alone or within a longer sequence) with the
    op's number and the callback's address written in its two immediates."""
    start = len(buf)
    buf.write(code)
    put_u32(buf, start + at_index, index)
    put_u64(buf, start + at_fn, fn)


@functools.lru_cache(maxsize=1024)
def _py_op_call(d: int, ins: tuple[int, ...]) -> tuple[bytes, int, int]:
    """``py_op``'s call of the runtime's callback: a pure function of its registers
    (memoized: ~30 instructions), with zeros where the op's number (a 4-byte
    immediate) and the callback's address (8 bytes) go, which differ from one
    emulator to another: the code and those two offsets (``_put_call``)."""
    a = Asm()
    saved, pad = save_for_call(a, d)
    for x, r in zip((X0, X1, X2), ins):
        a.movq_xr(x, r)
    for x, r in zip((X0, X1, X2), (RDX, RCX, R8)):
        if x < len(ins):
            a.movq_rx(r, x)
    a.mov_ri_fixed(RSI, 0, False)
    at_index = a.pos - 4
    a.mov_rr(RDI, RBP)
    at_fn = call_and_restore(a, -1, saved, pad)
    return a.seq(), at_index, at_fn


def float_op(L: Lowering, op: Op, outs: list[int], ins: list) -> None:
    if any(not isinstance(x, int) for x in ins):
        raise LoweringError(f"{op!r}: float operands must be in registers")
    base = op.defn.base
    fn = FLOAT_OPS.get(base)
    if fn is None:
        raise LoweringError(f"the x86_64 host cannot emit {op!r}")
    fn(L, op, outs[0], ins)


def _arith(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    """fadd fsub fmul fdiv fsqrt fma, and their flush-to-zero twins (``*_fz``):
    ``_arith_code``'s sequence, or the whole op out of line where SSE has no
    equivalent (ties away from zero; fma without FMA3)."""
    rm = int(op.consts[-1])
    d_op = op.defn
    base = d_op.base
    if rm == _AWAY or (base[:3] == "fma" and not L.f.fma):
        py_op(L, op, d, ins)
        return
    code, raised, at_index, at_fn = _arith_code(d_op.type is I64, base, rm, d, tuple(ins))
    buf = L.a.buf
    if raised < 0:
        buf.write(code)
        return
    L.raised.refs.append(len(buf) + raised)
    rt = L.rt
    _put_call(buf, code, at_index, at_fn, rt.py_op_index(op.opc, (rm,)), rt.py_op)


@functools.lru_cache(maxsize=4096)
def _arith_code(w: bool, base: str, rm: int, d: int,
                ins: tuple[int, ...]) -> tuple[bytes, int, int, int]:  # fmt: skip
    """``_arith``'s code for op ``base`` in rounding mode ``rm`` (not ties away) from the
    registers ``ins`` to ``d``, the offset of its ``jne raised`` rel32 (-1: no slow
    path) and those of its slow path's immediates (``_py_op_call``). A pure function
    of its arguments (memoized: up to some eighty instructions).

    A plain op is SSE's, the default NaN for a NaN result, and out of line when x86
    and Arm may judge underflow differently (a result that is the smallest normal
    number) or fma's addend is a NaN (``_nan_addend_check``). A flush-to-zero twin
    (``softfloat.fz_op``) is SSE's op when its operands are not subnormal and its
    exact result is not tiny (below the smallest normal number): a sum's judged by
    its result (a tiny sum is exact, raises no flag, and is its own result); a
    product's, quotient's or fused op's by the operands' exponents before the op
    (``_fz_proven``), else by its result after it, MXCSR kept from before: a
    rounded result above the smallest normal number comes from an exact one above
    it. Anything else (a subnormal operand, a result at most the smallest normal:
    rare) goes out of line with the op's flags dropped, where ``softfloat`` and
    ``fpflags`` compute it with Arm's rules."""
    a = Asm()
    fz = base[-3:] == "_fz"
    if fz:
        base = base[:-3]
    f = _fmt(w)
    slow, done, raised, finish = Label(), Label(), Label(), Label()

    if fz:
        for r in ins:
            _to_slow_if_subnormal(a, f, r, slow)
        if base != "fadd" and base != "fsub":
            proven = Label()
            _fz_proven(a, f, base, ins, proven)
            mxcsr.save_before(a)
            res = _operation(a, f, base, rm, ins)
            a.movq_rx(TMP0, res, f.w)
            a.alu_rr(ADD, TMP0, TMP0, f.w)  # the magnitude, shifted left by one
            a.mov_ri(TMP1, (1 << (52 if f.w else 23)) << 1)  # the smallest normal's
            a.alu_rr(CMP, TMP0, TMP1, f.w)
            a.jcc(CC_A, finish)
            mxcsr.drop_since_before(a)
            a.jmp(slow)
            a.bind(proven)
    res = _operation(a, f, base, rm, ins)
    a.bind(finish)
    if base == "fma":
        _nan_addend_check(a, f, res, ins[2], slow)
    if base == "fadd" or base == "fsub":
        # a tiny sum is exact (a multiple of the smallest subnormal): no flag raised,
        # the smallest normal as a result is exact too; under FZ, flushed out of line
        if fz:
            _to_slow_if_subnormal(a, f, -1, slow)
    elif base != "fsqrt" and not fz:  # (sqrt is never tiny; FZ judged tininess above)
        _tiny_check(a, f, res, slow)  # the inputs are still in their registers
    _result_dnan(a, f, d, res)
    if not slow.refs:  # (fsqrt, fadd, fsub)
        return a.seq(), -1, -1, -1
    a.jmp(done)
    a.bind(slow)  # the same result, with fpflags' underflow (or FZ's rules)
    call, at_index, at_fn = _py_op_call(d, ins)
    at = a.pos
    a.buf.write(call)
    a.test_rr(TMP1, TMP1, False)
    a.jcc(CC_NE, raised)
    a.mov_rr(d, TMP0)
    a.bind(done)
    return a.seq(), raised.refs[0], at + at_index, at + at_fn


def _operation(a: Asm, f: _Fmt, base: str, rm: int, ins: tuple[int, ...]) -> int:
    """``_arith_code``'s SSE operation ``base`` on the inputs in rounding mode ``rm``,
    into the xmm register it returns."""
    for x, r in zip((X0, X1, X2), ins):
        a.movq_xr(x, r, f.w)
    mxcsr.set_rm(a, rm)
    res = X0
    if base == "fsqrt":
        a.sse(f.prefix, SQRTS, X0, X0)
    elif base == "fma":  # a * b + c
        a.vfmadd231(f.w, X2, X0, X1)
        res = X2
    else:
        a.sse(f.prefix, _ARITH[base], X0, X1)
    mxcsr.reset_rm(a, rm)
    return res


def _to_slow_if_subnormal(a: Asm, f: _Fmt, r: int, slow: Label) -> None:
    """Jump to ``slow`` if register ``r`` (-1: xmm0, a result) holds a subnormal."""
    ok = Label()
    if r < 0:
        a.movq_rx(TMP0, X0, f.w)
    else:
        a.mov_rr(TMP0, r, f.w)
    a.alu_rr(ADD, TMP0, TMP0, f.w)  # the sign dropped: zero for a zero
    a.jcc(CC_E, ok)
    a.shift_ri(SHR, TMP0, (52 if f.w else 23) + 1, f.w)  # the exponent field
    a.jcc(CC_E, slow)
    a.bind(ok)


def _exponent(a: Asm, f: _Fmt, t: int, r: int) -> None:
    """t <- the biased exponent of the float in register ``r``."""
    a.mov_rr(t, r, f.w)
    a.shift_ri(SHR, t, 52 if f.w else 23, f.w)
    a.alu_ri(AND, t, 0x7FF if f.w else 0xFF, False)


def _fz_proven(a: Asm, f: _Fmt, base: str, ins: tuple[int, ...], proven: Label) -> None:
    """Under FZ, operands not subnormal: jump to ``proven`` when the operands'
    exponents show that the exact result of ``base`` (fmul, fdiv, fma) is a zero, an
    infinity, a NaN or at least the smallest normal number (as the A64 target's IR
    test, ``flush_zero._to_fast_unless_tiny``), else fall through. With P = |a * b|
    in [2^(ea + eb - 2 bias), 2^(ea + eb - 2 bias + 2)) and C = |c| in [2^(ec - bias),
    2^(ec - bias + 1)): a product is not tiny when ea + eb >= 1 + bias; a quotient,
    above 2^(ea - eb - 1), when ea + bias - 2 >= eb; a fused sum when the product's
    last place is at least the smallest normal (ea + eb >= 1 + bias + 2 frac: the sum
    is a multiple of it) or C dominates (ec >= 2 and ea + eb - ec <= bias - 3: the
    sum is above C / 2)."""
    emax = 0x7FF if f.w else 0xFF
    bias = emax >> 1
    frac = 52 if f.w else 23
    _exponent(a, f, TMP0, ins[0])
    a.lea(TMP1, Mem(TMP0, -1), False)  # a zero wraps to the top: special
    a.alu_ri(CMP, TMP1, emax - 1, False)
    a.jcc(CC_AE, proven)
    _exponent(a, f, TMP1, ins[1])
    a.test_rr(TMP1, TMP1, False)
    a.jcc(CC_E, proven)
    a.alu_ri(CMP, TMP1, emax, False)
    a.jcc(CC_E, proven)
    if base == "fmul":
        a.alu_rr(ADD, TMP0, TMP1, False)
        a.alu_ri(CMP, TMP0, 1 + bias, False)
        a.jcc(CC_AE, proven)
    elif base == "fdiv":
        a.alu_ri(ADD, TMP0, bias - 2, False)
        a.alu_rr(CMP, TMP0, TMP1, False)
        a.jcc(CC_AE, proven)
    else:  # fma
        unknown = Label()
        a.alu_rr(ADD, TMP0, TMP1, False)  # s = ea + eb
        _exponent(a, f, TMP1, ins[2])
        a.alu_ri(CMP, TMP1, emax, False)
        a.jcc(CC_E, proven)  # an infinite or NaN addend
        a.alu_ri(CMP, TMP0, 1 + bias + 2 * frac, False)
        a.jcc(CC_AE, proven)
        a.alu_ri(CMP, TMP1, 2, False)
        a.jcc(CC_B, unknown)  # a zero addend, or the smallest normals
        a.alu_rr(SUB, TMP0, TMP1, False)
        a.alu_ri(CMP, TMP0, bias - 3, False)
        a.jcc(CC_LE, proven)  # (signed)
        a.bind(unknown)


_ROUND_IMM: Final = {RoundingMode.NEAREST_EVEN: 0, RoundingMode.DOWN: 1, RoundingMode.UP: 2,
              RoundingMode.ZERO: 3}  # fmt: skip


def _frint(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    """Round to an integral value: SSE4.1 round{s,d} with the mode as an immediate;
    ties away from zero (FRINTA, C's ``round``) as ``_frint_away`` says."""
    f = _fmt_of(op)
    rm = op.consts[0]
    if not L.f.sse41 or (rm not in _ROUND_IMM and rm != _AWAY):
        py_op(L, op, d, ins)
        return
    _to_x(L, X0, ins[0], f.w)
    if rm == _AWAY:
        _frint_away(L, f, ins[0])
    else:
        L.a.round_s(f.w, X0, X0, _ROUND_IMM[rm] | 8)
    _result_dnan(L.a, f, d, X0)


_AWAY: Final = RoundingMode.NEAREST_AWAY


def _frint_away(L: Lowering, f: _Fmt, x: int) -> None:
    """xmm0 (holding register ``x``'s value) <- it rounded to an integral value, ties
    away from zero: t = trunc(x); when |x| < 2^mbits (so x - t is exact and both are
    finite) and |x - t| >= 1/2, t + copysign(1, x) (exact too). A NaN or an infinity
    keeps roundsd's answer, and so its flags: the subtraction, which would raise IE
    for an infinity, is skipped; no other instruction here raises any flag."""
    a = L.a
    done = Label()
    mbits = 52 if f.w else 23
    bias = 1023 if f.w else 127
    a.round_s(f.w, X1, X0, 3 | 8)  # trunc, no PE
    a.mov_rr(TMP0, x, f.w)
    a.shift_ri(SHL, TMP0, 1, f.w)  # the magnitude's bits
    a.mov_ri(TMP1, (bias + mbits) << (mbits + 1))  # 2^mbits's, the same way
    a.alu_rr(CMP, TMP0, TMP1, f.w)
    a.jcc(CC_AE, done)  # integral already (or not a number): t is the answer
    a.sse(f.prefix, SUBS, X0, X1)  # x - t, exact
    a.movq_rx(TMP0, X0, f.w)
    a.shift_ri(SHL, TMP0, 1, f.w)
    a.mov_ri(TMP1, (bias - 1) << (mbits + 1))  # 1/2's magnitude bits
    a.alu_rr(CMP, TMP0, TMP1, f.w)
    a.jcc(CC_B, done)
    a.mov_rr(TMP0, x, f.w)  # copysign(1, x)
    a.shift_ri(SHR, TMP0, f.bits - 1, f.w)
    a.shift_ri(SHL, TMP0, f.bits - 1, f.w)
    a.mov_ri(TMP1, bias << mbits)
    a.alu_rr(OR, TMP0, TMP1, f.w)
    a.movq_xr(X0, TMP0, f.w)
    a.sse(f.prefix, ADDS, X1, X0)  # t +- 1: an integer below 2^mbits + 1, exact
    a.bind(done)
    a.sse(P66, MOVAPD, X0, X1)  # the answer in xmm0


def _signops(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L.a
    f = _fmt_of(op)
    neg = op.defn.base == "fneg"
    if f.w:
        a.mov_ri(TMP1, f.sign if neg else f.sign - 1)
        a.mov_rr(d, ins[0])
        a.alu_rr(XOR if neg else AND, d, TMP1)
    else:
        a.movzx_rr(d, ins[0], 4)
        a.alu_ri(XOR if neg else AND, d, f.sign if neg else f.sign - 1, False)


def _fclass(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    """0 for a number, 1 for a signalling NaN, 2 for a quiet NaN."""
    a = L.a
    f = _fmt_of(op)
    done = Label()
    a.mov_rr(TMP0, ins[0])
    a.shift_ri(4, TMP0, 1, f.w)  # shl: drop the sign
    a.mov_ri(TMP1, f.inf_x2)  # inf << 1
    a.mov_ri(d, 0)
    a.alu_rr(CMP, TMP0, TMP1, f.w)
    a.jcc(6, done)  # jbe: not a NaN
    a.shift_ri(SHR, TMP0, f.quiet_bit + 1, f.w)
    a.alu_ri(AND, TMP0, 1, False)
    a.mov_ri(d, 1)
    a.alu_rr(0, d, TMP0, False)  # add: 1 + quiet
    a.bind(done)


def _minmax_numbers(L: Lowering, f: _Fmt, is_min: bool, d: int, x: int, y: int,
                    done: Label) -> None:  # fmt: skip
    """Both operands are numbers (in xmm0/xmm1 and the GPRs x, y)."""
    a = L.a
    differ = Label()
    _ucomis(L, f, X0, X1)
    a.jcc(CC_NE, differ)
    # equal, including -0 == +0: min ORs the sign in, max ANDs it out
    a.mov_rr(TMP0, x)
    a.alu_rr(OR if is_min else AND, TMP0, y, f.w)
    a.mov_rr(d, TMP0)
    a.jmp(done)
    a.bind(differ)
    a.sse(f.prefix, MINS if is_min else MAXS, X0, X1)
    a.movq_rx(d, X0, f.w)
    a.jmp(done)


def _minmax(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L.a
    f = _fmt_of(op)
    base = op.defn.base
    is_min = base in ("fmin", "fminnm")
    x, y = ins
    done, dnan = Label(), Label()
    _to_x(L, X0, x, f.w)
    _to_x(L, X1, y, f.w)
    if base in ("fmin", "fmax"):
        _ucomis(L, f, X0, X1)
        a.jcc(CC_P, dnan)
        _minmax_numbers(L, f, is_min, d, x, y, done)
    else:
        a_nan, b_nan, ret_a, ret_b = Label(), Label(), Label(), Label()
        _ucomis(L, f, X0, X0)
        a.jcc(CC_P, a_nan)
        _ucomis(L, f, X1, X1)
        a.jcc(CC_P, b_nan)
        _minmax_numbers(L, f, is_min, d, x, y, done)
        a.bind(a_nan)  # x is a NaN: signalling -> default NaN; else y if it is a number
        a.bt_ri(x, f.quiet_bit, f.w)
        a.jcc(CC_B ^ 1, dnan)
        _ucomis(L, f, X1, X1)
        a.jcc(CC_P, dnan)
        a.jmp(ret_b)
        a.bind(b_nan)  # y is a NaN, x a number
        a.bt_ri(y, f.quiet_bit, f.w)
        a.jcc(CC_B ^ 1, dnan)
        a.bind(ret_a)
        a.mov_rr(d, x)
        a.jmp(done)
        a.bind(ret_b)
        a.mov_rr(d, y)
        a.jmp(done)
    a.bind(dnan)
    a.mov_ri(d, f.dnan)
    a.bind(done)


def _fcmp(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L.a
    f = _fmt_of(op)
    done = Label()
    _to_x(L, X0, ins[0], f.w)
    _to_x(L, X1, ins[1], f.w)
    _ucomis(L, f, X0, X1)
    for value, cc in ((8, CC_P), (2, CC_E), (1, CC_B)):
        a.mov_ri(d, value, w=False)  # mov r32, imm: flags untouched
        a.jcc(cc, done)
    a.mov_ri(d, 4, w=False)
    a.bind(done)


def _fcvt(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L.a
    narrow = op.opc == "fcvt_f64_f32"  # f64 -> f32
    src, dst = _fmt(narrow), _fmt(not narrow)
    rm = op.consts[0]
    if rm == RoundingMode.NEAREST_AWAY:
        py_op(L, op, d, ins)
        return
    _to_x(L, X0, ins[0], src.w)
    mxcsr.set_rm(a, rm)
    a.sse(src.prefix, CVTS2S, X0, X0)
    mxcsr.reset_rm(a, rm)
    if not narrow:  # f32 -> f64 is exact
        _result_dnan(L.a, dst, d, X0)
        return
    slow, done = Label(), Label()
    _tiny_check(L.a, dst, X0, slow)
    _result_dnan(L.a, dst, d, X0)
    a.jmp(done)
    a.bind(slow)
    py_op(L, op, d, ins)  # the same result, with fpflags' underflow
    a.bind(done)


def _itof(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L.a
    f = _fmt(op.opc == "itof_f64")
    sgn, rm = op.consts
    if rm == RoundingMode.NEAREST_AWAY:
        py_op(L, op, d, ins)
        return
    slow, done = Label(), Label()
    if not sgn:
        a.test_rr(ins[0], ins[0])
        a.jcc(CC_S, slow)  # >= 2^63: not a signed value
    mxcsr.set_rm(a, rm)
    a.sse(f.prefix, CVTSI2S, X0, ins[0], True)
    mxcsr.reset_rm(a, rm)
    a.movq_rx(d, X0, f.w)
    if not sgn:
        a.jmp(done)
        a.bind(slow)
        py_op(L, op, d, ins)
        a.bind(done)


def _ftoi(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    a = L.a
    f = _fmt(op.opc == "ftoi_f64")
    sgn, bits, rm = op.consts
    away = rm == RoundingMode.NEAREST_AWAY
    if (away and not L.f.sse41) or bits not in (32, 64):
        py_op(L, op, d, ins)
        return
    slow, done = Label(), Label()
    _to_x(L, X0, ins[0], f.w)
    # signed: a conversion to the destination's width, whose flags are Arm's (IE for
    # NaN and out of range, PE for inexact); unsigned: through the signed 64-bit one,
    # whose flags the slow path drops (-1.5 or 2^63 would leave PE or IE wrongly)
    w = bits == 64 or not sgn
    if not sgn or away:
        mxcsr.save_before(a)
    if away:  # ties away (FCVTA*, C's lround): the integral value, then exact
        _to_x(L, X2, ins[0], f.w)
        _frint_away(L, f, ins[0])
        # x truncated, for its flags alone: PE exactly when x is not integral (IE when
        # it is out of range, where the answer is the slow path's, its flags dropped)
        a.sse(f.prefix, CVTTS2SI, TMP0, X2, w)
        a.sse(f.prefix, CVTTS2SI, TMP0, X0, w)
    elif rm == RoundingMode.ZERO:
        a.sse(f.prefix, CVTTS2SI, TMP0, X0, w)
    else:
        mxcsr.set_rm(a, rm)
        a.sse(f.prefix, CVTS2SI, TMP0, X0, w)
        mxcsr.reset_rm(a, rm)
    # TMP0: the rounded value, or 0x80000000(00000000) for NaN / out of range
    if sgn and bits == 64:
        a.mov_ri(TMP1, 1 << 63)
        a.alu_rr(CMP, TMP0, TMP1)
        a.jcc(CC_E, slow)
    elif sgn:
        a.alu_ri(CMP, TMP0, -(1 << 31), False)
        a.jcc(CC_E, slow)
        a.movsx_rr(TMP0, TMP0, 4)
    elif bits == 64:
        a.test_rr(TMP0, TMP0)
        a.jcc(CC_S, slow)
    else:
        a.mov_rr(TMP1, TMP0)
        a.shift_ri(SHR, TMP1, 32)
        a.jcc(CC_NE, slow)
    a.mov_rr(d, TMP0)
    a.jmp(done)
    a.bind(slow)
    if not sgn or away:
        mxcsr.drop_since_before(a)
    py_op(L, op, d, ins)  # the result and its flags (``fpflags``)
    a.bind(done)


def _nan_pick(L: Lowering, op: Op, d: int, ins: list[int]) -> None:
    """fnan2/fnan3 (``softfloat.nan_pick``): d <- r unless an operand is a NaN."""
    fma = int(op.consts[0]) if op.consts else 0
    L.a.buf.write(_nan_pick_code(op.defn.type is I64, fma, d, ins[0], tuple(ins[1:])))


@functools.lru_cache(maxsize=1024)
def _nan_pick_code(w: bool, fma: int, d: int, r: int, srcs: tuple[int, ...]) -> bytes:
    """``_nan_pick``'s code, a pure function of its registers (its jumps stay inside
    it): the common case is one ucomis per operand; the choice among NaNs is a
    second walk. ``fma`` 3: a subnormal factor counts as a zero (``nan_pick``)."""
    a = Asm()
    f = _fmt(w)
    some_nan, done, keep_r = Label(), Label(), Label()
    picks = [Label() for _ in srcs]
    for s in srcs:
        a.movq_xr(X0, s, w)
        _ucomis_a(a, f, X0, X0)
        a.jcc(CC_P, some_nan)
    a.bind(keep_r)
    a.mov_rr(d, r, w)
    a.jmp(done)
    a.bind(some_nan)
    for s, pick in zip(srcs, picks):  # the first signalling NaN
        number = Label()
        a.movq_xr(X0, s, w)
        _ucomis_a(a, f, X0, X0)
        a.jcc(CC_NP, number)
        a.bt_ri(s, f.quiet_bit, w)
        a.jcc(CC_B ^ 1, pick)
        a.bind(number)
    first_quiet = Label() if fma else picks[0]
    for s, pick in zip(srcs[:-1], [first_quiet, *picks[1:-1]]):  # the first quiet NaN
        a.movq_xr(X0, s, w)
        _ucomis_a(a, f, X0, X0)
        a.jcc(CC_P, pick)
    a.jmp(picks[-1])
    if fma:  # a quiet-NaN addend and an infinity times a zero: r (the default NaN)
        x_inf = Label()
        a.bind(first_quiet)
        a.mov_ri(TMP1, f.inf_x2)  # inf << 1
        a.mov_rr(TMP0, srcs[1], w)
        a.shift_ri(4, TMP0, 1, w)  # shl: drop the sign
        a.alu_rr(CMP, TMP0, TMP1, w)
        a.jcc(CC_E, x_inf)
        _to_if_nonzero(a, f, fma, picks[0])
        a.mov_rr(TMP0, srcs[2], w)  # x is a zero: y an infinity?
        a.shift_ri(4, TMP0, 1, w)
        a.alu_rr(CMP, TMP0, TMP1, w)
        a.jcc(CC_E, keep_r)
        a.jmp(picks[0])
        a.bind(x_inf)  # x is an infinity: y a zero?
        a.mov_rr(TMP0, srcs[2], w)
        a.shift_ri(4, TMP0, 1, w)
        nonzero = Label()
        _to_if_nonzero(a, f, fma, nonzero)
        a.jmp(keep_r)
        a.bind(nonzero)
    quiet = Label()
    for i, (s, pick) in enumerate(zip(srcs, picks)):
        a.bind(pick)
        a.mov_rr(TMP0, s, w)
        if i < len(srcs) - 1:
            a.jmp(quiet)
    a.bind(quiet)
    a.bt_ri(TMP0, f.quiet_bit, w, digit=5)  # bts: quieted
    a.mov_rr(d, TMP0, w)
    a.bind(done)
    return a.seq()


def _to_if_nonzero(a: Asm, f: _Fmt, fma: int, to: Label) -> None:
    """Jump to ``to`` unless TMP0, a float's encoding shifted left by one, is a zero
    (with ``fma`` bit 1, flush to zero: or a subnormal)."""
    if fma & 2:
        a.shift_ri(SHR, TMP0, (52 if f.w else 23) + 1, f.w)  # the exponent field
    else:
        a.test_rr(TMP0, TMP0, f.w)
    a.jcc(CC_NE, to)


FLOAT_OPS: Final = {
    "fadd": _arith, "fsub": _arith, "fmul": _arith, "fdiv": _arith, "fsqrt": _arith,
    "fma": _arith, "fadd_fz": _arith, "fsub_fz": _arith, "fmul_fz": _arith,
    "fdiv_fz": _arith, "fma_fz": _arith, "frint": _frint, "fneg": _signops, "fabs": _signops,
    "fclass": _fclass,
    "fmin": _minmax, "fmax": _minmax, "fminnm": _minmax, "fmaxnm": _minmax,
    "fcmp": _fcmp, "fnan2": _nan_pick, "fnan3": _nan_pick,
    "fcvt_f64_f32": _fcvt, "fcvt_f32_f64": _fcvt,
    "itof_f32": _itof, "itof_f64": _itof, "ftoi_f32": _ftoi, "ftoi_f64": _ftoi,
}  # fmt: skip
