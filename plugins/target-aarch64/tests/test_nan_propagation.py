"""Which NaN an A64 float instruction returns, against Unicorn: single and double
precision, scalar and vector, two and three operands (FPProcessNaNs, FPProcessNaNs3
and FPMulAdd's default NaN for a quiet-NaN addend with an infinity times a zero).

Lanes are drawn from quiet and signalling NaNs of both signs with payloads,
infinities, zeros and ordinary numbers, so every order of signalling and quiet
NaNs among the operands occurs. The test host's translator uses ``fnan2``/``fnan3``
where the host lowers them and the ``fclass`` expansion otherwise: both run here
(the host with and without the op), as do both tiers.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit_target_aarch64.oracle import DATA_SIZE, Machine, assemble, compare

D_EDGES = [0x7FF8000000000000, 0xFFF8000000000123, 0x7FF0000000000001, 0xFFF4000000000ABC,
           0x7FF0000000000000, 0xFFF0000000000000, 0, 1 << 63, 0x3FF8000000000000,
           0xC000000000000000, 0x0000000000000001]  # fmt: skip
S_EDGES = [0x7FC00000, 0xFFC00123, 0x7F800001, 0xFFA00ABC, 0x7F800000, 0xFF800000, 0,
           1 << 31, 0x3FC00000, 0xC0000000, 0x00000001]  # fmt: skip

DOUBLE = assemble("""
    fadd d16, d0, d1; fsub d17, d1, d0; fmul d18, d2, d0; fdiv d19, d0, d2
    fmax d20, d1, d2; fmin d21, d2, d1; fsqrt d22, d0; fmulx d7, d0, d1
    fmadd d23, d0, d1, d2; fmsub d24, d1, d2, d0; fnmadd d25, d2, d0, d1
    fnmsub d26, d1, d0, d2; fmadd d27, d3, d4, d5
    fadd v28.2d, v0.2d, v1.2d; fmla v29.2d, v1.2d, v2.2d; fmls v30.2d, v3.2d, v4.2d
    fmla v31.2d, v0.2d, v2.d[1]; fdiv v8.2d, v5.2d, v6.2d
""")
SINGLE = assemble("""
    fadd s16, s0, s1; fmul s17, s1, s2; fmadd s18, s0, s1, s2; fnmsub s19, s2, s1, s0
    fmadd s20, s3, s4, s5; fsqrt s21, s2
    fadd v22.4s, v0.4s, v1.4s; fmla v23.4s, v2.4s, v1.4s; fmul v24.4s, v0.4s, v2.s[1]
    fmls v25.4s, v3.4s, v4.s[3]; fsub v26.2s, v5.2s, v6.2s; fmla v27.2s, v0.2s, v1.2s
""")


def _machine(edges: list[int], bits: int, picks: list[int]) -> Machine:
    """32 vector registers of lanes ``edges[picks[...]]``."""
    per = 128 // bits
    vregs = [sum(edges[picks[r * per + i]] << (i * bits) for i in range(per)) for r in range(32)]
    return Machine({"x0": 0}, 0, vregs, bytes(DATA_SIZE))


def _picks(edges: list[int], bits: int) -> st.SearchStrategy[list[int]]:
    n = 32 * 128 // bits
    return st.lists(st.integers(0, len(edges) - 1), min_size=n, max_size=n)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_picks(D_EDGES, 64))
def test_double_precision_nans_match_unicorn(picks: list[int]) -> None:
    compare(DOUBLE, _machine(D_EDGES, 64, picks))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_picks(S_EDGES, 32))
def test_single_precision_nans_match_unicorn(picks: list[int]) -> None:
    compare(SINGLE, _machine(S_EDGES, 32, picks))


@pytest.mark.parametrize("code", [DOUBLE, SINGLE], ids=["double", "single"])
def test_without_the_host_nan_op(code: bytes) -> None:
    """A host without ``fnan2``/``fnan3`` gets the ``fclass`` expansion: the same NaNs."""
    edges, bits = (D_EDGES, 64) if code is DOUBLE else (S_EDGES, 32)
    per = 128 // bits
    for start in range(len(edges)):
        picks = [(start + 3 * i) % len(edges) for i in range(32 * per)]
        compare(code, _machine(edges, bits, picks), host_ops=frozenset())


def test_fma_default_nan_rule() -> None:
    """FMADD with a quiet-NaN addend: an infinity times a zero gives the default NaN,
    any other product the addend; a signalling NaN anywhere wins (both precisions)."""
    double = {"q": 0x7FF8000000000005, "s": 0x7FF0000000000001, "i": 0xFFF0000000000000,
              "z": 0, "1": 0x3FF0000000000000}  # fmt: skip
    single = {"q": 0x7FC00005, "s": 0x7F800001, "i": 0xFF800000, "z": 1 << 31, "1": 0x3F800000}
    code = assemble("fmadd d3, d0, d1, d2; fmadd s4, s5, s6, s7")
    for case in ("izq", "ziq", "1iq", "izs", "szq", "iiq", "zzq", "zqq"):
        x, y, acc = case
        vregs = [double[x], double[y], double[acc], 0, 0, single[x], single[y], single[acc]]
        compare(code, Machine({"x0": 0}, 0, vregs, bytes(DATA_SIZE)))
