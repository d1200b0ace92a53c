"""``frint`` ties away from zero (FRINTA, C's ``round``) inline on x86-64 (roundsd
toward zero, then the exact correction of ``lower_float._frint_away``) computes
``softfloat.frint`` and raises ``fpflags``' flags, for both formats: ties of
either sign, the neighbours of one half, values around 2^mbits (where every value
is integral), subnormals, signed zeros, infinities, quiet and signalling NaNs,
and random encodings; without SSE4.1 it is the out-of-line call, with the same
answers (its flags go to the CPU's word, which this runner has not)."""

from __future__ import annotations

import math
import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.fpflags import OP_FLAGS, frint_flags
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.softfloat import F32, F64, OP_IMPL, frint
from tcgkit.tcg.types import I32, I64, RoundingMode
from tcgkit_host_x86.mxcsr import to_fpflags

AWAY = RoundingMode.NEAREST_AWAY


def f64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


EDGES_64 = [f64(x) for x in (0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994,
                             -0.49999999999999994, 0.5000000000000001, 0.3, -0.3, 0.0, -0.0,
                             2.0**52 - 0.5, -(2.0**52) + 0.5, 2.0**52, 2.0**52 + 1, 2.0**53,
                             2.0**52 - 1.5, 1e300, -1e300, 5e-324, -5e-324, 2.2250738585072014e-308,
                             float("inf"), float("-inf"), 1234567.5, -7.5, 0.75)] + [
    0x7FF8000000000000, 0x7FF0000000000001, 0xFFF4000000000000, 0x7FFFFFFFFFFFFFFF]  # fmt: skip
EDGES_32 = [f32(x) for x in (0.5, -0.5, 1.5, -2.5, 0.49999997, -0.49999997, 2.0**23 - 0.5,
                             -(2.0**23) + 0.5, 2.0**23, 2.0**24, 1e38, 1e-45, -1e-45, 0.0, -0.0,
                             float("inf"), float("-inf"), 12345.5, 0.3)] + [
    0x7FC00000, 0x7F800001, 0xFFA00000]  # fmt: skip


def program(double: bool) -> TCGContext:
    ctx = TCGContext(64)
    ty = I64 if double else I32
    a = ctx.new_global(ty, 0, "a")
    out = ctx.new_global(ty, 8, "out")
    ctx.freeze()
    ctx.emit(f"frint_{'f64' if double else 'f32'}", out, a, AWAY)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return ctx


def check(runner, double: bool, a: int) -> None:
    state = [a, 0xDEAD]
    assert runner.run(program(double).ops, state) == EXIT_LOOKUP
    f = F64 if double else F32
    want = frint(f, a, AWAY)
    assert state[1] == want, (hex(a), hex(state[1]), hex(want))
    if runner.host.feat.sse41:  # (else the flags are the out-of-line call's, in Python)
        image = runner.native.fp[0]  # MXCSR's image at the exit (``mxcsr``)
        assert to_fpflags(image) == frint_flags(f, a, AWAY), hex(a)


def test_edges(runner) -> None:
    for a in EDGES_64:
        check(runner, True, a)
    for a in EDGES_32:
        check(runner, False, a)


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.integers(0, (1 << 64) - 1), st.integers(-60, 60))
def test_random(runner, double: bool, bits: int, scale: int) -> None:
    """Raw encodings (odd ``bits``), or quarters (ties among them) scaled by 2^scale."""
    if bits & 1:
        a = bits if double else bits & 0xFFFFFFFF
    else:
        x = (bits >> 1) % 10_000 / 4 * 2.0**scale * (-1 if bits >> 63 else 1)
        a = f64(x) if double else f32(x)
    check(runner, double, a)


def convert(double: bool, signed: bool, bits: int) -> TCGContext:
    ctx = TCGContext(64)
    a = ctx.new_global(I64 if double else I32, 0, "a")
    out = ctx.new_global(I64, 8, "out")  # (the integer in an i64, whatever its width)
    ctx.freeze()
    ctx.emit(f"ftoi_{'f64' if double else 'f32'}", out, a, int(signed), bits, AWAY)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return ctx


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.booleans(), st.sampled_from([32, 64]), st.integers(0, (1 << 64) - 1),
       st.integers(-8, 70))  # fmt: skip
def test_conversion_to_integer(runner, double: bool, signed: bool, bits: int, raw: int,
                               scale: int) -> None:  # fmt: skip
    """FCVTAS/FCVTAU (ties away): in range inline, the value and IXC; NaNs, infinities
    and values out of range through the slow path (its flags alone)."""
    edges = EDGES_64 if double else EDGES_32
    if raw % 3 == 0:
        a = edges[raw // 3 % len(edges)]
    elif raw % 3 == 1:
        x = (raw >> 2) % 10_000 / 4 * 2.0**scale * (-1 if raw >> 63 else 1)
        a = f64(x) if double else f32(min(x, 3e38) if x > 0 else max(x, -3e38))
    else:
        a = raw if double else raw & 0xFFFFFFFF
    state = [a, 0xDEAD]
    assert runner.run(convert(double, signed, bits).ops, state) == EXIT_LOOKUP
    name = f"ftoi_{'f64' if double else 'f32'}"
    want = OP_IMPL[name](a, int(signed), bits, AWAY)
    assert state[1] == want, (hex(a), hex(state[1]), hex(want))
    if runner.host.feat.sse41:
        # the inline path leaves its flags in MXCSR's image; the slow path drops them
        # there and gives its own to the CPU's word (which this runner has not)
        image = runner.native.fp[0] & 0x3F
        want_flags = OP_FLAGS[name](a, int(signed), bits, AWAY)
        assert image == 0 or to_fpflags(image) == want_flags, hex(a)
        assert image or not want_flags or _slow(a, double, signed, bits), hex(a)


def _slow(a: int, double: bool, signed: bool, bits: int) -> bool:
    """Whether the conversion of ``a`` goes out of line: a NaN or an infinity, or a
    rounded value outside the destination's range."""
    x = _value(a, double)
    if math.isnan(x) or math.isinf(x):
        return True
    r = int(_value(frint(F64 if double else F32, a, AWAY), double))
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return not lo <= r <= hi


def _value(a: int, double: bool) -> float:
    if double:
        return struct.unpack("<d", struct.pack("<Q", a))[0]
    return struct.unpack("<f", struct.pack("<I", a))[0]
