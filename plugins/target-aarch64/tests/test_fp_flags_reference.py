"""``tcgkit.tcg.fpflags`` (the IEEE exception flags of each IR float op) against the
FPSR Unicorn's AArch64 computes for the instruction that op implements.

One instruction at a time, from FPSR = 0, with FPCR's rounding mode drawn (FZ and
DN off: the reference has no flushing), on operands drawn around every boundary
the flags depend on: zeros, subnormals, the smallest normal and its neighbours,
the largest finite number, infinities, quiet and signalling NaNs, and ordinary
numbers, including pairs whose exact sum, product or quotient lands just below
the smallest normal (tininess before rounding) or just above the largest finite
(overflow in each rounding mode).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.tcg.fpflags import OP_FLAGS, frintx_flags
from tcgkit.tcg.softfloat import F32, F64
from tcgkit_target_aarch64.fp_operands import float_bits
from tcgkit_target_aarch64.oracle import assemble
from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, Uc
from unicorn import arm64_const as A

CODE = 0x10000
FLAG_BITS = 0x9F
#: RoundingMode (NEAREST_EVEN, UP, DOWN, ZERO) -> FPCR.RMode
RMODE = {0: 0, 1: 1, 2: 2, 3: 3}


def _uc() -> Uc:
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.mem_map(CODE, 0x1000)
    # CPACR_EL1.FPEN: Unicorn 2 runs with FP enabled, written anyway for older ones
    uc.reg_write(A.UC_ARM64_REG_CPACR_EL1, 3 << 20)
    return uc


@pytest.fixture(scope="module")
def uc() -> Uc:
    return _uc()


def _run(uc: Uc, code: bytes, setup: Callable[[Uc], None], rm: int) -> int:
    uc.mem_write(CODE, code)
    setup(uc)
    uc.reg_write(A.UC_ARM64_REG_FPCR, RMODE[rm] << 22)
    uc.reg_write(A.UC_ARM64_REG_FPSR, 0)
    uc.emu_start(CODE, CODE + len(code))
    return uc.reg_read(A.UC_ARM64_REG_FPSR) & FLAG_BITS


def _regs(prefix: str, values: tuple[int, ...]) -> Callable[[Uc], None]:
    def setup(uc: Uc) -> None:
        for i, v in enumerate(values, start=1):
            uc.reg_write(getattr(A, f"UC_ARM64_REG_{prefix}{i}"), v)

    return setup


RMS = st.sampled_from([0, 1, 2, 3])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip

BINARY = ["fadd", "fsub", "fmul", "fdiv", "fmin", "fmax", "fminnm", "fmaxnm"]


@pytest.mark.parametrize("bits", [32, 64])
@pytest.mark.parametrize("opc", BINARY)
def test_binary_ops_flags_match_unicorn(uc: Uc, opc: str, bits: int) -> None:
    insn = opc
    r = "d" if bits == 64 else "s"
    code = assemble(f"{insn} {r}0, {r}1, {r}2")
    flags = OP_FLAGS[f"{opc}_f{bits}"]
    rm_used = opc in ("fadd", "fsub", "fmul", "fdiv")

    @SETTINGS
    @given(float_bits(bits), float_bits(bits), RMS)
    def check(a: int, b: int, rm: int) -> None:
        got = _run(uc, code, _regs(r.upper(), (a, b)), rm)
        want = flags(a, b, rm) if rm_used else flags(a, b)
        assert got == want, f"{insn} {a:#x}, {b:#x} rm {rm}: unicorn {got:#x} reference {want:#x}"

    check()


@pytest.mark.parametrize("bits", [32, 64])
def test_products_near_the_limits_match_unicorn(uc: Uc, bits: int) -> None:
    """Products and quotients at the underflow and overflow thresholds, every rounding
    mode: fractions next to 1.0 and 2.0 make exact results just below the smallest
    normal ((1 + u)(1 - u) = 1 - u*u: tiny before rounding, normal after it) and just
    around the largest finite number."""
    r = "d" if bits == 64 else "s"
    mul, div = assemble(f"fmul {r}0, {r}1, {r}2"), assemble(f"fdiv {r}0, {r}1, {r}2")
    mb, bias = (52, 1023) if bits == 64 else (23, 127)
    M = 1 << mb
    fracs = [0, 1, 2, 3, M - 1, M - 2, M - 3, M >> 1]
    fmul, fdiv = OP_FLAGS[f"fmul_f{bits}"], OP_FLAGS[f"fdiv_f{bits}"]
    regs = r.upper()
    for target in (1, 2 * bias):  # the smallest normal's exponent field, the largest's
        for delta in range(-2, 3):
            e1 = bias - 3 if target == 1 else bias + 3
            e2 = target + bias - e1 + delta
            e3 = e1 - target + bias - delta
            for m1 in fracs:
                for m2 in fracs:
                    a, b, c = e1 << mb | m1, e2 << mb | m2, e3 << mb | m2
                    for rm in range(4):
                        for code, fn, y in ((mul, fmul, b), (div, fdiv, c)):
                            if not 1 <= y >> mb <= 2 * bias:
                                continue
                            got, want = _run(uc, code, _regs(regs, (a, y)), rm), fn(a, y, rm)
                            assert got == want, (f"{a:#x} {y:#x} rm {rm}: unicorn {got:#x} "
                                                 f"reference {want:#x}")  # fmt: skip
    # the largest finite number plus a fraction of its unit in the last place: between
    # it and 2^(emax+1), overflowing or not by the rounding mode and the sign
    add, fadd = assemble(f"fadd {r}0, {r}1, {r}2"), OP_FLAGS[f"fadd_f{bits}"]
    sign = 1 << (bits - 1)
    biggest = (2 * bias) << mb | (M - 1)
    for k in (1, 2, 3):
        for m in (0, 1, M - 1):
            for s in (0, sign):
                a, b = biggest | s, ((2 * bias - mb - k) << mb | m) | s
                for rm in range(4):
                    got, want = _run(uc, add, _regs(regs, (a, b)), rm), fadd(a, b, rm)
                    assert got == want, f"{a:#x} + {b:#x} rm {rm}: {got:#x} ref {want:#x}"


@pytest.mark.parametrize("bits", [32, 64])
def test_sqrt_fma_frintx_fcmp_match_unicorn(uc: Uc, bits: int) -> None:
    r = "d" if bits == 64 else "s"
    sqrt, frintx = assemble(f"fsqrt {r}0, {r}1"), assemble(f"frintx {r}0, {r}1")
    fma, fcmp = assemble(f"fmadd {r}0, {r}1, {r}2, {r}3"), assemble(f"fcmp {r}1, {r}2")
    suffix = f"f{bits}"
    setup = _regs

    @SETTINGS
    @given(float_bits(bits), float_bits(bits), float_bits(bits), RMS)
    def check(a: int, b: int, c: int, rm: int) -> None:
        R = r.upper()
        cases = [
            (sqrt, setup(R, (a,)), OP_FLAGS[f"fsqrt_{suffix}"](a, rm), "fsqrt"),
            (frintx, setup(R, (a,)), frintx_flags(F64 if bits == 64 else F32, a, rm), "frintx"),
            (fma, setup(R, (a, b, c)), OP_FLAGS[f"fma_{suffix}"](a, b, c, rm), "fmadd"),
            (fcmp, setup(R, (a, b)), OP_FLAGS[f"fcmp_{suffix}"](a, b), "fcmp"),
        ]
        for code, prepare, want, name in cases:
            got = _run(uc, code, prepare, rm)
            assert got == want, (f"{name} {a:#x} {b:#x} {c:#x} rm {rm}: "
                                 f"unicorn {got:#x} reference {want:#x}")  # fmt: skip

    check()


def test_conversions_match_unicorn(uc: Uc) -> None:
    narrow, widen = assemble("fcvt s0, d1"), assemble("fcvt d0, s1")
    to_int = {(s, bits, fb): assemble(f"fcvt{'z' if True else ''}{'s' if s else 'u'} "
                                      f"{'x' if bits == 64 else 'w'}0, {'d' if fb == 64 else 's'}1")
              for s in (0, 1) for bits in (32, 64) for fb in (32, 64)}  # fmt: skip
    from_int = {(s, fb): assemble(f"{'s' if s else 'u'}cvtf {'d' if fb == 64 else 's'}0, x1")
                for s in (0, 1) for fb in (32, 64)}  # fmt: skip
    ints = st.one_of(st.integers(0, (1 << 64) - 1), st.integers(0, 1 << 26),
                     st.sampled_from([1 << 63, (1 << 63) - 1, (1 << 64) - 1, (1 << 53) + 1,
                                      (1 << 24) + 1]))  # fmt: skip

    @SETTINGS
    @given(float_bits(64), float_bits(32), ints, RMS, st.integers(0, 1), st.integers(0, 1),
           st.sampled_from([32, 64]))  # fmt: skip
    def check(d: int, s: int, i: int, rm: int, signed: int, wide: int, bits: int) -> None:
        got = _run(uc, narrow, _regs("D", (d,)), rm)
        assert got == OP_FLAGS["fcvt_f64_f32"](d, rm), f"fcvt s, d {d:#x} rm {rm}: {got:#x}"
        got = _run(uc, widen, _regs("S", (s,)), rm)
        assert got == OP_FLAGS["fcvt_f32_f64"](s, rm), f"fcvt d, s {s:#x}: {got:#x}"
        fb = 64 if wide else 32
        v = d if wide else s
        got = _run(uc, to_int[(signed, bits, fb)], _regs("D" if wide else "S", (v,)), rm)
        want = OP_FLAGS[f"ftoi_f{fb}"](v, signed, bits, 3)  # FCVTZ*: toward zero
        assert got == want, f"fcvtz{'s' if signed else 'u'} {bits} {v:#x}: {got:#x} {want:#x}"
        got = _run(uc, from_int[(signed, fb)], _regs("X", (i,)), rm)
        want = OP_FLAGS[f"itof_f{fb}"](i, signed, rm)
        assert got == want, f"{'s' if signed else 'u'}cvtf f{fb} {i:#x} rm {rm}: {got:#x}"

    check()


def test_the_reference_names_every_float_op() -> None:
    from tcgkit.tcg.softfloat import OP_IMPL

    assert set(OP_IMPL) == set(OP_FLAGS)
