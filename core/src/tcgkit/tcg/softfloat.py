"""Reference IEEE 754 binary32/binary64 arithmetic on bit patterns.

Owns the exact meaning of the IR's float ops (``fadd_f64`` and friends, see
``ops``): every host must produce these bits. Values travel as the unsigned
integers holding their IEEE encoding (f32 in an i32, f64 in an i64).

Rules common to every op, chosen so that targets can express their own
architecture on top of them in IR:

* any NaN result is the *default NaN* (positive, quiet, zero payload:
  0x7fc00000 / 0x7ff8000000000000). NaN propagation (which operand's payload
  survives, quieting) is the target's business, expressed in IR around the
  op: ``fclass`` tells a target which operands are (signalling) NaNs, and
  the optional ``fnan2``/``fnan3`` (``nan_pick``) apply IEEE 754's
  recommended rule in one op where the host lowers them;
* results are rounded once, in the rounding mode given as the op's constant
  (``RoundingMode``); subnormals are kept (no flush to zero), except by the
  optional ``*_fz`` ops (``fz_op``: Arm's FPCR.FZ, for the hosts that lower
  them; a target expresses it in IR around the plain op for the others);
* an exact zero sum is +0 except in DOWN mode (-0), and x + x keeps the sign
  of zero operands, as IEEE requires;
* ``fmin``/``fmax``: NaN if either operand is NaN, and -0 < +0;
  ``fminnm``/``fmaxnm`` (IEEE minNum/maxNum): a quiet NaN operand loses to a
  number; signalling NaNs give the default NaN;
* ``fcmp`` returns a bit set: 1 less, 2 equal, 4 greater, 8 unordered;
* ``frint`` rounds to an integral value in the given mode (zeros keep their
  sign: -0.5 to nearest is -0.0);
* float -> integer conversions round in the given mode, saturate to the
  destination range, and convert NaN to 0 (as AArch64 does);
* no exception flags are computed (a target that needs them derives them in
  IR or through a helper; see the tcgkit notes for what is still missing).

The fast paths use the host's binary64 arithmetic, which Python guarantees is
IEEE round-to-nearest-even; binary32 results computed in binary64 and rounded
once more are exact for + - * / and sqrt (53 >= 2 * 24 + 2). Everything else
(other rounding modes, fma, conversions near the limits) goes through exact
rational arithmetic and one explicit rounding. ``fractions`` (with ``decimal``
and ``numbers``) is imported by the functions that need it, on first use: at
module level it cost every ``tcgkit`` process 2 ms of start-up.
"""

from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING, NamedTuple

from .types import RoundingMode

if TYPE_CHECKING:
    from fractions import Fraction

RNE = RoundingMode.NEAREST_EVEN
RUP = RoundingMode.UP
RDN = RoundingMode.DOWN
RZ = RoundingMode.ZERO
RNA = RoundingMode.NEAREST_AWAY

_pack_d = struct.Struct("<d").pack
_unpack_d = struct.Struct("<d").unpack
_pack_q = struct.Struct("<Q").pack
_unpack_q = struct.Struct("<Q").unpack
_pack_f = struct.Struct("<f").pack
_unpack_f = struct.Struct("<f").unpack
_pack_i = struct.Struct("<I").pack
_unpack_i = struct.Struct("<I").unpack


class Fmt(NamedTuple):
    bits: int
    ebits: int
    mbits: int  # stored fraction bits

    @property
    def bias(self) -> int:
        return (1 << (self.ebits - 1)) - 1

    @property
    def emin(self) -> int:
        return 1 - self.bias

    @property
    def emax(self) -> int:
        return self.bias

    @property
    def sign_bit(self) -> int:
        return 1 << (self.bits - 1)

    @property
    def exp_mask(self) -> int:
        return ((1 << self.ebits) - 1) << self.mbits

    @property
    def frac_mask(self) -> int:
        return (1 << self.mbits) - 1

    @property
    def default_nan(self) -> int:
        return self.exp_mask | (1 << (self.mbits - 1))

    @property
    def inf(self) -> int:
        return self.exp_mask

    @property
    def max_finite(self) -> int:
        return self.exp_mask - 1


F32 = Fmt(32, 8, 23)
F64 = Fmt(64, 11, 52)
FMT = {32: F32, 64: F64}


# -- classification -------------------------------------------------------------------


def is_nan(f: Fmt, v: int) -> bool:
    return (v & f.exp_mask) == f.exp_mask and bool(v & f.frac_mask)


def is_snan(f: Fmt, v: int) -> bool:
    return is_nan(f, v) and not v & (1 << (f.mbits - 1))


def is_inf(f: Fmt, v: int) -> bool:
    return (v & ~f.sign_bit) == f.exp_mask


def is_zero(f: Fmt, v: int) -> bool:
    return not v & ~f.sign_bit


def sign(f: Fmt, v: int) -> int:
    return (v >> (f.bits - 1)) & 1


def value(f: Fmt, v: int) -> Fraction:
    """The exact value of a finite encoding."""
    from fractions import Fraction  # on first use (the module docstring)

    m, e = dyadic(f, v)
    return Fraction(m) * Fraction(2) ** e


def dyadic(f: Fmt, v: int) -> tuple[int, int]:
    """(m, e) with m * 2**e the exact value of the finite encoding ``v`` (m signed)."""
    e = (v & f.exp_mask) >> f.mbits
    m = v & f.frac_mask
    if e:
        m |= 1 << f.mbits
    else:
        e = 1
    return (-m if sign(f, v) else m), e - f.bias - f.mbits


FCLASS_SNAN = 1
FCLASS_QNAN = 2


def fclass(f: Fmt, v: int) -> int:
    """1 for a signalling NaN, 2 for a quiet NaN, 0 otherwise."""
    if not is_nan(f, v):
        return 0
    return FCLASS_SNAN if is_snan(f, v) else FCLASS_QNAN


# -- rounding ------------------------------------------------------------------------


def round_exact(f: Fmt, x: Fraction, rm: int, zero_sign: int = 0) -> int:
    """Encode the exact value ``x`` in format ``f``, rounded once in mode ``rm``."""
    from fractions import Fraction  # on first use (the module docstring)

    if x == 0:
        return f.sign_bit if zero_sign else 0
    neg = x < 0
    a = -x if neg else x
    n, d = a.numerator, a.denominator
    e = n.bit_length() - d.bit_length()  # 2^e <= a < 2^(e+2)
    if Fraction(n, d) < Fraction(2) ** e:
        e -= 1
    elif Fraction(n, d) >= Fraction(2) ** (e + 1):
        e += 1
    q_exp = max(e, f.emin) - f.mbits  # exponent of one unit in the last place
    scaled = a / Fraction(2) ** q_exp if q_exp >= 0 else a * (1 << -q_exp)
    i = scaled.numerator // scaled.denominator
    r = scaled - i
    if r:
        up = False
        if rm == RNE:
            up = r > Fraction(1, 2) or (r == Fraction(1, 2) and i & 1)
        elif rm == RNA:
            up = r >= Fraction(1, 2)
        elif rm == RUP:
            up = not neg
        elif rm == RDN:
            up = neg
        if up:
            i += 1
    s = f.sign_bit if neg else 0
    if i == 0:
        return s
    if i >> (f.mbits + 1):  # carried into the next binade
        i >>= 1
        q_exp += 1
    biased = q_exp + f.mbits + f.bias
    if i >> f.mbits == 0:  # subnormal
        return s | i
    if biased >= (1 << f.ebits) - 1:  # overflow
        to_inf = rm in (RNE, RNA) or (rm == RUP and not neg) or (rm == RDN and neg)
        return s | (f.inf if to_inf else f.max_finite)
    return s | (biased << f.mbits) | (i & f.frac_mask)


# -- binary64 / binary32 fast paths -----------------------------------------------------


def _to_float(f: Fmt, v: int) -> float:
    if f is F64:
        return _unpack_d(_pack_q(v))[0]
    return _unpack_f(_pack_i(v))[0]


def _from_float(f: Fmt, x: float, rm: int) -> int | None:
    """Bits of the host double ``x`` in format ``f`` (None: use the exact path)."""
    if f is F64:
        return _unpack_q(_pack_d(x))[0]
    if abs(x) < 3.4e38 and rm == RNE:
        return _unpack_i(_pack_f(x))[0]
    return None


def _binop(f: Fmt, a: int, b: int, rm: int, name: str) -> int:
    if is_nan(f, a) or is_nan(f, b):
        return f.default_nan
    if rm == RNE:
        x, y = _to_float(f, a), _to_float(f, b)
        try:
            if name == "add":
                r = x + y
            elif name == "sub":
                r = x - y
            elif name == "mul":
                r = x * y
            else:
                r = x / y
        except (ZeroDivisionError, OverflowError):
            r = None
        if r is not None:
            if r != r:
                return f.default_nan
            bits = _from_float(f, r, rm)
            if bits is not None and (f is F64 or not math.isinf(r)):
                return bits
    return _exact_binop(f, a, b, rm, name)


def _exact_binop(f: Fmt, a: int, b: int, rm: int, name: str) -> int:
    sa, sb = sign(f, a), sign(f, b)
    ia, ib = is_inf(f, a), is_inf(f, b)
    za, zb = is_zero(f, a), is_zero(f, b)
    if name == "sub":
        b ^= f.sign_bit
        sb ^= 1
        name = "add"
    if name == "add":
        if ia or ib:
            if ia and ib and sa != sb:
                return f.default_nan
            return a if ia else b
        if za and zb:
            return f.sign_bit if (sa and sb) or (sa != sb and rm == RDN) else 0
        return round_exact(f, value(f, a) + value(f, b), rm, zero_sign=int(rm == RDN))
    s = sa ^ sb
    if name == "mul":
        if (ia and zb) or (ib and za):
            return f.default_nan
        if ia or ib:
            return (f.sign_bit if s else 0) | f.inf
        if za or zb:
            return f.sign_bit if s else 0
        return round_exact(f, value(f, a) * value(f, b), rm)
    # div
    if (ia and ib) or (za and zb):
        return f.default_nan
    if ia or zb:
        return (f.sign_bit if s else 0) | f.inf
    if ib or za:
        return f.sign_bit if s else 0
    return round_exact(f, value(f, a) / value(f, b), rm)


def fadd(f: Fmt, a: int, b: int, rm: int) -> int:
    return _binop(f, a, b, rm, "add")


def fsub(f: Fmt, a: int, b: int, rm: int) -> int:
    return _binop(f, a, b, rm, "sub")


def fmul(f: Fmt, a: int, b: int, rm: int) -> int:
    return _binop(f, a, b, rm, "mul")


def fdiv(f: Fmt, a: int, b: int, rm: int) -> int:
    return _binop(f, a, b, rm, "div")


def fsqrt(f: Fmt, a: int, rm: int) -> int:
    from fractions import Fraction  # on first use (the module docstring)

    if is_nan(f, a):
        return f.default_nan
    if is_zero(f, a):
        return a
    if sign(f, a):
        return f.default_nan
    if is_inf(f, a):
        return a
    if rm == RNE:
        bits = _from_float(f, math.sqrt(_to_float(f, a)), rm)
        if bits is not None:
            return bits
    x = value(f, a)
    # s = floor(sqrt(x) * 2^k) with mbits + 4 bits or more; an inexact root gets a
    # sticky half unit below the guard bits, so that one rounding of it is exact
    ex = x.numerator.bit_length() - x.denominator.bit_length()
    k = f.mbits + 4 - ex // 2
    scaled = x * Fraction(4) ** k
    s = math.isqrt(scaled.numerator // scaled.denominator)
    sticky = 0 if Fraction(s * s) == scaled else 1
    root = Fraction(2 * s + sticky) / Fraction(2) ** (k + 1)
    return round_exact(f, root, rm)


def round_to_integer(x: Fraction, rm: int) -> int:
    """The integer ``x`` rounds to in mode ``rm``."""
    from fractions import Fraction  # on first use (the module docstring)

    i = math.floor(x)
    frac = x - i
    if frac:
        if rm == RNE:
            i += frac > Fraction(1, 2) or (frac == Fraction(1, 2) and i & 1)
        elif rm == RNA:
            i += frac > Fraction(1, 2) or (frac == Fraction(1, 2) and x > 0)
        elif rm == RUP:
            i += 1
        elif rm == RZ:
            i += x < 0
    return i


def frint(f: Fmt, a: int, rm: int) -> int:
    """``a`` rounded to an integral value in mode ``rm``; a zero result keeps the
    sign of ``a`` (-0.3 -> -0.0), infinities and zeros are unchanged."""
    from fractions import Fraction  # on first use (the module docstring)

    if is_nan(f, a):
        return f.default_nan
    if is_inf(f, a) or is_zero(f, a) or (a & f.exp_mask) >> f.mbits >= f.bias + f.mbits:
        return a  # already integral (every value >= 2^mbits is)
    i = round_to_integer(value(f, a), rm)
    if i == 0:
        return a & f.sign_bit
    return round_exact(f, Fraction(i), RNE)


def fma(f: Fmt, a: int, b: int, c: int, rm: int) -> int:
    """a * b + c with one rounding."""
    if is_nan(f, a) or is_nan(f, b) or is_nan(f, c):
        return f.default_nan
    ia, ib, ic = is_inf(f, a), is_inf(f, b), is_inf(f, c)
    za, zb = is_zero(f, a), is_zero(f, b)
    sp = sign(f, a) ^ sign(f, b)
    if (ia and zb) or (ib and za):
        return f.default_nan
    if ia or ib:
        if ic and sign(f, c) != sp:
            return f.default_nan
        return (f.sign_bit if sp else 0) | f.inf
    if ic:
        return c
    if za or zb:
        prod_zero = f.sign_bit if sp else 0
        if is_zero(f, c):
            return _exact_binop(f, prod_zero, c, rm, "add")
        return c
    exact = value(f, a) * value(f, b) + value(f, c)
    return round_exact(f, exact, rm, zero_sign=int(rm == RDN))


def _ordered_less(f: Fmt, a: int, b: int) -> bool:
    """a < b for non-NaN encodings, with -0 < +0."""
    if is_zero(f, a) and is_zero(f, b):
        return sign(f, a) > sign(f, b)
    return value(f, a) < value(f, b)


def fmin(f: Fmt, a: int, b: int) -> int:
    if is_nan(f, a) or is_nan(f, b):
        return f.default_nan
    return a if _ordered_less(f, a, b) or a == b else b


def fmax(f: Fmt, a: int, b: int) -> int:
    if is_nan(f, a) or is_nan(f, b):
        return f.default_nan
    return b if _ordered_less(f, a, b) else a


def _nm(f: Fmt, a: int, b: int, pick: object) -> int:
    if is_snan(f, a) or is_snan(f, b):
        return f.default_nan
    na, nb = is_nan(f, a), is_nan(f, b)
    if na and nb:
        return f.default_nan
    if na:
        return b
    if nb:
        return a
    return pick(f, a, b)  # type: ignore[operator]


def fminnm(f: Fmt, a: int, b: int) -> int:
    return _nm(f, a, b, fmin)


def fmaxnm(f: Fmt, a: int, b: int) -> int:
    return _nm(f, a, b, fmax)


def fneg(f: Fmt, a: int) -> int:
    return a ^ f.sign_bit


def fabs(f: Fmt, a: int) -> int:
    return a & ~f.sign_bit


CMP_LT, CMP_EQ, CMP_GT, CMP_UN = 1, 2, 4, 8


def fcmp(f: Fmt, a: int, b: int) -> int:
    if is_nan(f, a) or is_nan(f, b):
        return CMP_UN
    if (is_zero(f, a) and is_zero(f, b)) or a == b:
        return CMP_EQ
    return CMP_LT if value(f, a) < value(f, b) else CMP_GT


# -- conversions ------------------------------------------------------------------------


def fcvt(src: Fmt, dst: Fmt, a: int, rm: int) -> int:
    """Between binary32 and binary64."""
    if is_nan(src, a):
        return dst.default_nan
    s = dst.sign_bit if sign(src, a) else 0
    if is_inf(src, a):
        return s | dst.inf
    if is_zero(src, a):
        return s
    return round_exact(dst, value(src, a), rm)


def itof(dst: Fmt, a: int, signed: int, rm: int) -> int:
    """The 64-bit integer ``a`` (signed or not) as a float."""
    from fractions import Fraction  # on first use (the module docstring)

    if signed and a >> 63:
        a -= 1 << 64
    if dst is F64 and rm == RNE and -(1 << 53) <= a <= 1 << 53:
        return _unpack_q(_pack_d(float(a)))[0]
    return round_exact(dst, Fraction(a), rm)


def ftoi(src: Fmt, a: int, signed: int, bits: int, rm: int) -> int:
    """``a`` rounded to an integer in mode ``rm``, saturated to ``bits`` bits; NaN -> 0."""
    if is_nan(src, a):
        return 0
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if is_inf(src, a):
        r = lo if sign(src, a) else hi
    else:
        r = min(max(round_to_integer(value(src, a), rm), lo), hi)
    return r & ((1 << 64) - 1)


def nan_pick(f: Fmt, r: int, ops: tuple[int, ...], fma: int = 0) -> int:
    """``fnan2``/``fnan3``: ``r`` (an op's result) unless one of ``ops`` (its operands)
    is a NaN; then the first signalling NaN among them, quieted, or else the first
    quiet NaN (IEEE 754's recommended propagation, Arm's FPProcessNaNs). With
    ``fma`` (``ops`` = addend, multiplicands): a quiet-NaN addend with a product of
    an infinity and a zero keeps ``r`` (Arm's FPMulAdd: the default NaN); ``fma`` 3
    (bit 1, flush to zero: the ``fma_fz`` ops' pick) counts a subnormal factor as a
    zero there, as FPUnpack does under FPCR.FZ."""
    for v in ops:
        if is_snan(f, v):
            return v | 1 << (f.mbits - 1)
    for i, v in enumerate(ops):
        if is_nan(f, v):
            if i == 0 and fma:
                x, y = ops[1], ops[2]
                if fma & 2:
                    x, y = flush_in(f, x), flush_in(f, y)
                if (is_inf(f, x) and is_zero(f, y)) or (is_zero(f, x) and is_inf(f, y)):
                    return r
            return v
    return r


# -- flush to zero: the optional ``*_fz`` ops (Arm's FPCR.FZ as one op) ----------------

#: the ops with a flush-to-zero twin (``fadd_fz_f32`` ... ``fma_fz_f64``, ``ops``)
FZ_BASES = ("fadd", "fsub", "fmul", "fdiv", "fma")
FZ_OPS = frozenset(f"{b}_fz_{w}" for b in FZ_BASES for w in ("f32", "f64"))


def is_subnormal(f: Fmt, v: int) -> bool:
    return 0 < v & (f.sign_bit - 1) < 1 << f.mbits


def flush_in(f: Fmt, v: int) -> int:
    """``v``, or the zero of its sign when it is subnormal."""
    return v & f.sign_bit if is_subnormal(f, v) else v


def tiny_sign(base: str, f: Fmt, ins: tuple[int, ...] | list[int], low: int) -> int:
    """Whether the exact result of op ``base`` (``fmul``, ``fdiv``, ``fma``, or
    ``fcvt_f64_f32`` with ``f`` the double's format) on ``ins`` (encodings of format
    ``f``) is nonzero and below 2^``low`` in magnitude: 0 when it is not (or an
    operand is an infinity or a NaN), else 1 for a positive result, -1 for a negative
    one. Integer arithmetic on the operands' ``dyadic`` forms: exact, and far cheaper
    than rounding."""
    emask = f.exp_mask
    for v in ins:
        if v & emask == emask:
            return 0
    ma, xa = dyadic(f, ins[0])
    if base == "fcvt_f64_f32":
        num, x = ma, xa
    elif base == "fmul":
        mb, xb = dyadic(f, ins[1])
        num, x = ma * mb, xa + xb
    elif base == "fdiv":  # |ma / mb| * 2^(xa - xb) below 2^low: compare integers
        mb, xb = dyadic(f, ins[1])
        if ma == 0 or mb == 0:
            return 0
        shift = xa - xb - low
        na, nb = abs(ma), abs(mb)
        tiny = (na << shift if shift > 0 else na) < (nb << -shift if shift < 0 else nb)
        return (-1 if (ma < 0) != (mb < 0) else 1) if tiny else 0
    else:  # fma: a * b + c exactly, at the smaller of the two exponents
        mb, xb = dyadic(f, ins[1])
        mc, xc = dyadic(f, ins[2])
        p, xp = ma * mb, xa + xb
        x = min(xp, xc)
        num = (p << (xp - x)) + (mc << (xc - x))
    if num == 0 or x >= low or abs(num) >> (low - x) != 0:
        return 0
    return -1 if num < 0 else 1


def fz_op(base: str, f: Fmt, ins: tuple[int, ...], rm: int) -> int:
    """Op ``base`` of ``FZ_BASES`` under Arm's flush to zero (FPCR.FZ, FPUnpack and
    FPRound with FPCR.AH = 0): a subnormal operand is the zero of its sign; a result
    whose exact value is nonzero and below the smallest normal number in magnitude,
    judged before rounding, is the zero of its sign (a sum is tiny exactly when its
    rounded value is: a tiny sum is exact)."""
    ins = tuple([flush_in(f, x) for x in ins])
    fn = _FZ_FUNCS[base]
    if base == "fadd" or base == "fsub":
        return flush_in(f, fn(f, *ins, rm))  # type: ignore[operator]
    t = tiny_sign(base, f, ins, f.emin)
    if t:
        return f.sign_bit if t < 0 else 0
    return fn(f, *ins, rm)  # type: ignore[operator, no-any-return]


_FZ_FUNCS: dict[str, object] = {"fadd": fadd, "fsub": fsub, "fmul": fmul, "fdiv": fdiv, "fma": fma}


# -- the IR ops, by opcode name: functions of (inputs..., constants...) -> result ---------


def _same_format_ops() -> dict[str, object]:
    table: dict[str, object] = {}
    for suffix, f in (("f32", F32), ("f64", F64)):
        table.update({
            f"fadd_{suffix}": lambda a, b, rm, f=f: fadd(f, a, b, rm),
            f"fsub_{suffix}": lambda a, b, rm, f=f: fsub(f, a, b, rm),
            f"fmul_{suffix}": lambda a, b, rm, f=f: fmul(f, a, b, rm),
            f"fdiv_{suffix}": lambda a, b, rm, f=f: fdiv(f, a, b, rm),
            f"fsqrt_{suffix}": lambda a, rm, f=f: fsqrt(f, a, rm),
            f"frint_{suffix}": lambda a, rm, f=f: frint(f, a, rm),
            f"fma_{suffix}": lambda a, b, c, rm, f=f: fma(f, a, b, c, rm),
            f"fmin_{suffix}": lambda a, b, f=f: fmin(f, a, b),
            f"fmax_{suffix}": lambda a, b, f=f: fmax(f, a, b),
            f"fminnm_{suffix}": lambda a, b, f=f: fminnm(f, a, b),
            f"fmaxnm_{suffix}": lambda a, b, f=f: fmaxnm(f, a, b),
            f"fcmp_{suffix}": lambda a, b, f=f: fcmp(f, a, b),
            f"fneg_{suffix}": lambda a, f=f: fneg(f, a),
            f"fabs_{suffix}": lambda a, f=f: fabs(f, a),
            f"fclass_{suffix}": lambda a, f=f: fclass(f, a),
            f"fnan2_{suffix}": lambda r, a, b, f=f: nan_pick(f, r, (a, b)),
            f"fnan3_{suffix}": lambda r, a, b, c, fma, f=f: nan_pick(f, r, (a, b, c), fma),
        })  # fmt: skip
        for base in FZ_BASES:
            table[f"{base}_fz_{suffix}"] = lambda *args, f=f, base=base: fz_op(
                base, f, args[:-1], args[-1]
            )
    return table


#: opcode name -> implementation (immutable after import: built once)
OP_IMPL: dict[str, object] = {
    **_same_format_ops(),
    "fcvt_f64_f32": lambda a, rm: fcvt(F64, F32, a, rm),
    "fcvt_f32_f64": lambda a, rm: fcvt(F32, F64, a, rm),
    "itof_f32": lambda a, signed, rm: itof(F32, a, signed, rm),
    "itof_f64": lambda a, signed, rm: itof(F64, a, signed, rm),
    "ftoi_f32": lambda a, signed, bits, rm: ftoi(F32, a, signed, bits, rm),
    "ftoi_f64": lambda a, signed, bits, rm: ftoi(F64, a, signed, bits, rm),
}
