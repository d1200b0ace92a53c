"""The reference float semantics (``tcgkit.tcg.softfloat``) against the host's
IEEE binary64 arithmetic, and its exact path against its fast path and against
the defining properties of directed rounding."""

from __future__ import annotations

import math
import struct
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.tcg import softfloat as sf
from tcgkit.tcg.types import RoundingMode as RM


def d2b(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def b2d(v: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", v))[0]


def f2b(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


finite64 = st.floats(allow_nan=False, allow_infinity=False)
finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
bits64 = st.integers(0, (1 << 64) - 1)
bits32 = st.integers(0, (1 << 32) - 1)
OPS = ["add", "sub", "mul", "div"]


def host(op: str, x: float, y: float) -> float:
    try:
        return {"add": x + y, "sub": x - y, "mul": x * y}[op] if op != "div" else x / y
    except ZeroDivisionError:
        return (
            math.nan
            if x == 0 or math.isnan(x)
            else math.copysign(math.inf, x) * (math.copysign(1, y))
        )


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(OPS), finite64, finite64)
def test_exact_path_matches_host_binary64(op, x, y):
    got = sf._exact_binop(sf.F64, d2b(x), d2b(y), RM.NEAREST_EVEN, op)
    want = host(op, x, y)
    assert got == (sf.F64.default_nan if want != want else d2b(want)), (op, x, y)


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(OPS), finite32, finite32)
def test_binary32_exact_path_matches_double_rounding(op, x, y):
    a, b = f2b(x), f2b(y)
    got = sf._exact_binop(sf.F32, a, b, RM.NEAREST_EVEN, op)
    assert got == sf._binop(sf.F32, a, b, RM.NEAREST_EVEN, op)
    want = host(op, x, y)
    if want == want and abs(want) < 3.4e38:
        assert got == f2b(want)


def neighbours_ok(f: sf.Fmt, exact: Fraction, down: int, up: int) -> None:
    assert sf.is_inf(f, down) or sf.value(f, down) <= exact
    assert sf.is_inf(f, up) or sf.value(f, up) >= exact


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from([sf.F32, sf.F64]), st.sampled_from(["add", "mul", "div"]),
       bits64, bits64)  # fmt: skip
def test_directed_rounding_brackets_the_exact_result(f, op, a, b):
    a &= (1 << f.bits) - 1
    b &= (1 << f.bits) - 1
    if any(sf.is_nan(f, v) or sf.is_inf(f, v) or sf.is_zero(f, v) for v in (a, b)):
        return
    x, y = sf.value(f, a), sf.value(f, b)
    exact = {"add": x + y, "mul": x * y, "div": x / y}[op]
    if exact == 0:
        return
    r = {m: sf._exact_binop(f, a, b, m, op) for m in RM}
    neighbours_ok(f, exact, r[RM.DOWN], r[RM.UP])
    if r[RM.DOWN] == r[RM.UP]:
        assert sf.value(f, r[RM.UP]) == exact
        assert len(set(r.values())) == 1
    toward_zero = r[RM.DOWN] if exact > 0 else r[RM.UP]
    assert r[RM.ZERO] == toward_zero or (
        sf.is_inf(f, toward_zero) and r[RM.ZERO] & ~f.sign_bit == f.max_finite
    )
    assert r[RM.NEAREST_EVEN] in (r[RM.DOWN], r[RM.UP])
    assert r[RM.NEAREST_AWAY] in (r[RM.DOWN], r[RM.UP])


@settings(max_examples=2000, deadline=None)
@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_sqrt_exact_path(x):
    a = d2b(x)
    r = {m: sf.fsqrt(sf.F64, a, m) for m in (RM.DOWN, RM.UP, RM.ZERO)}
    assert sf.fsqrt(sf.F64, a, RM.NEAREST_EVEN) == d2b(math.sqrt(x))
    root2 = sf.value(sf.F64, a)
    for m, v in r.items():
        val = sf.value(sf.F64, v)
        if m is RM.UP:
            assert val * val >= root2
        else:
            assert val * val <= root2


@settings(max_examples=2000, deadline=None)
@given(finite64, finite64, finite64)
def test_fma_is_exact_then_rounded_once(x, y, z):
    a, b, c = d2b(x), d2b(y), d2b(z)
    got = sf.fma(sf.F64, a, b, c, RM.NEAREST_EVEN)
    exact = Fraction(x) * Fraction(y) + Fraction(z)
    if exact == 0:
        assert sf.is_zero(sf.F64, got)
        return
    try:
        want = float(exact)  # CPython rounds int / int correctly (to nearest even)
    except OverflowError:
        want = math.inf if exact > 0 else -math.inf
    assert got == d2b(want)


@settings(max_examples=2000, deadline=None)
@given(bits64)
def test_conversions(v):
    x = b2d(v)
    # integer -> f64 rounds like float(int)
    assert sf.itof(sf.F64, v, 0, RM.NEAREST_EVEN) == d2b(float(v))
    signed = v - (1 << 64) if v >> 63 else v
    assert sf.itof(sf.F64, v, 1, RM.NEAREST_EVEN) == d2b(float(signed))
    # f64 -> integer toward zero, saturating, NaN -> 0
    got = sf.ftoi(sf.F64, v, 1, 64, RM.ZERO)
    if math.isnan(x):
        want = 0
    elif math.isinf(x):
        want = (1 << 63) - 1 if x > 0 else -(1 << 63)
    else:
        want = min(max(int(x), -(1 << 63)), (1 << 63) - 1)
    assert got == want & ((1 << 64) - 1)
    # f64 -> f32 rounds like the host's float cast, within range
    if not math.isnan(x) and abs(x) < 3.4e38:
        assert sf.fcvt(sf.F64, sf.F32, v, RM.NEAREST_EVEN) == f2b(x)
        back = sf.fcvt(sf.F32, sf.F64, f2b(x), RM.NEAREST_EVEN)
        assert b2d(back) == struct.unpack("<f", struct.pack("<f", x))[0]


def test_special_values():
    f = sf.F64
    inf, ninf, nan = d2b(math.inf), d2b(-math.inf), f.default_nan
    one, zero, nzero = d2b(1.0), 0, f.sign_bit
    assert sf.fadd(f, inf, ninf, RM.NEAREST_EVEN) == nan
    assert sf.fmul(f, inf, zero, RM.NEAREST_EVEN) == nan
    assert sf.fdiv(f, one, nzero, RM.NEAREST_EVEN) == ninf
    assert sf.fadd(f, one, d2b(-1.0), RM.DOWN) == nzero
    assert sf.fadd(f, one, d2b(-1.0), RM.NEAREST_EVEN) == zero
    assert sf.fadd(f, nzero, nzero, RM.NEAREST_EVEN) == nzero
    assert sf.fsqrt(f, d2b(-1.0), RM.NEAREST_EVEN) == nan
    assert sf.fadd(f, 0x7FF0000000000001, one, RM.NEAREST_EVEN) == nan  # sNaN in, default out
    assert sf.fmin(f, zero, nzero) == nzero and sf.fmax(f, nzero, zero) == zero
    assert sf.fminnm(f, 0x7FF8000000000001, one) == one
    assert sf.fminnm(f, 0x7FF0000000000001, one) == nan
    assert sf.fcmp(f, nan, one) == sf.CMP_UN and sf.fcmp(f, zero, nzero) == sf.CMP_EQ
    assert sf.fmul(f, d2b(1e308), d2b(10.0), RM.ZERO) == f.max_finite
    assert sf.fmul(f, d2b(1e308), d2b(-10.0), RM.UP) == f.max_finite | f.sign_bit
    assert sf.ftoi(sf.F32, f2b(2.5), 1, 32, RM.NEAREST_EVEN) == 2
    assert sf.ftoi(sf.F32, f2b(2.5), 1, 32, RM.NEAREST_AWAY) == 3
    assert sf.ftoi(sf.F32, f2b(-2.5), 1, 32, RM.NEAREST_AWAY) == (-3) & ((1 << 64) - 1)
    assert sf.ftoi(sf.F32, f2b(-1.0), 0, 32, RM.ZERO) == 0  # unsigned saturates at 0
    assert sf.ftoi(sf.F64, d2b(1e20), 0, 32, RM.ZERO) == 0xFFFFFFFF
