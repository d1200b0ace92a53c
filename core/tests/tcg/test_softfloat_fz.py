"""The flush-to-zero ops' reference (``softfloat.fz_op``, ``fpflags.fz_flags``) against
a direct reading of Arm's rules in exact rational arithmetic: operands below the
smallest normal number are zeros of their sign (IDC); a result whose exact value is
nonzero and below it is the zero of its sign (UFC alone), else the plain op's result
and flags on the flushed operands. Operands near the thresholds (products and
quotients landing either side of the smallest normal), subnormals, specials and
random encodings; every rounding mode."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.tcg.fpflags import IDC, OP_FLAGS, UFC
from tcgkit.tcg.softfloat import F32, F64, FZ_BASES, OP_IMPL, is_inf, is_nan, value
from tcgkit.tcg.types import RoundingMode


def _exact(base: str, f, xs: list[int]) -> Fraction | None:
    """The exact result, or None when an operand is an infinity or a NaN."""
    if any(is_nan(f, x) or is_inf(f, x) for x in xs):
        return None
    v = [value(f, x) for x in xs]
    if base == "fadd":
        return v[0] + v[1]
    if base == "fsub":
        return v[0] - v[1]
    if base == "fmul":
        return v[0] * v[1]
    if base == "fdiv":
        return None if v[1] == 0 else v[0] / v[1]
    return v[0] * v[1] + v[2]


def _operand(f, kind: int, raw: int) -> int:
    bits, frac = f.bits, f.mbits
    sign = (raw & 1) << (bits - 1)
    mant = raw >> 1 & ((1 << frac) - 1)
    if kind == 0:  # subnormal or zero
        return sign | mant >> (raw >> 60 & 7)
    if kind == 1:  # near the square root of the smallest normal, or near it
        half = (1 - f.bias) // 2 + f.bias
        exp = (half if raw >> 62 & 1 else 1) + (raw >> 56 & 7) - 3
        return sign | max(exp, 0) << frac | mant
    if kind == 2:  # ordinary numbers
        return sign | (f.bias + (raw >> 56 & 15) - 8) << frac | mant
    return raw & ((1 << bits) - 1)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(FZ_BASES), st.booleans(), st.sampled_from(list(RoundingMode)),
       st.lists(st.tuples(st.integers(0, 3), st.integers(0, (1 << 64) - 1)), min_size=3,
                max_size=3))  # fmt: skip
def test_fz_ops_follow_arms_rules(base: str, double: bool, rm, operands) -> None:
    f = F64 if double else F32
    name = f"{base}_fz_{'f64' if double else 'f32'}"
    n = 3 if base == "fma" else 2
    ins = [_operand(f, k, r) for k, r in operands[:n]]
    min_normal = 1 << f.mbits
    sign = f.sign_bit
    flushed = [x & sign if 0 < x & (sign - 1) < min_normal else x for x in ins]
    idc = IDC if flushed != ins else 0
    plain = f"{base}_{'f64' if double else 'f32'}"
    exact = _exact(base, f, flushed)
    smallest = Fraction(2) ** (1 - f.bias)
    got, flags = OP_IMPL[name](*ins, rm), OP_FLAGS[name](*ins, rm)
    if exact is not None and 0 < abs(exact) < smallest:
        assert (got, flags) == ((sign if exact < 0 else 0), idc | UFC), (name, ins, rm)
    else:
        want = OP_IMPL[plain](*flushed, rm), idc | OP_FLAGS[plain](*flushed, rm)
        assert (got, flags) == want, (name, [hex(x) for x in ins], rm)
