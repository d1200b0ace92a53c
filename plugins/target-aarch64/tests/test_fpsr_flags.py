"""FPSR's cumulative exception flags (IOC DZC OFC UFC IXC IDC) against Unicorn.

Every scalar FP instruction class (arithmetic, fused multiply-add, square root, the
FRINT forms, min/max, the compares, conversions between precisions and to and from
integers, fixed point included) and a representative set of AdvSIMD ones run one at
a time from FPSR = 0 on operands drawn around every flag boundary (``fp_operands``:
zeros, subnormals, the smallest normal, the largest finite, infinities, quiet and
signalling NaNs), in all four rounding modes, with FPCR.FZ and FPCR.DN on and off.
FPSR, the destination registers and NZCV must be Unicorn's, on the python host, on
the native x86-64 host where it runs, and interpreted (tier 0).
"""

from __future__ import annotations

import os
import platform
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit import PROT_ALL, Emulator
from tcgkit.plugins import HOST, get_plugin_manager
from tcgkit_target_aarch64.fp_operands import float_bits, vector_of
from tcgkit_target_aarch64.oracle import TIERS, assemble
from tcgkit_target_aarch64.oracle import test_host as oracle_host
from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, Uc
from unicorn import arm64_const as A

CODE = 0x100000
SLOT = 16  # bytes of code per instruction under test

SCALAR = [
    *(
        f"{op} {{p}}0, {{p}}1, {{p}}2"
        for op in (
            "fadd",
            "fsub",
            "fmul",
            "fdiv",
            "fnmul",
            "fmax",
            "fmin",
            "fmaxnm",
            "fminnm",
            "fabd",
            "fmulx",
        )
    ),
    *(f"{op} {{p}}0, {{p}}1, {{p}}2, {{p}}3" for op in ("fmadd", "fmsub", "fnmadd", "fnmsub")),
    *(
        f"{op} {{p}}0, {{p}}1"
        for op in (
            "fsqrt",
            "frintn",
            "frintp",
            "frintm",
            "frintz",
            "frinta",
            "frintx",
            "frinti",
            "fabs",
            "fneg",
        )
    ),
    "fcmp {p}1, {p}2",
    "fcmpe {p}1, {p}2",
    "fcmp {p}1, #0.0",
    "fcmpe {p}1, #0.0",
    "fccmp {p}1, {p}2, #4, ne",
    "fccmpe {p}1, {p}2, #2, eq",
    "fcsel {p}0, {p}1, {p}2, lt",
    "scvtf {p}0, x4",
    "scvtf {p}0, w4",
    "ucvtf {p}0, x4",
    "ucvtf {p}0, w4",
    "scvtf {p}0, x4, #7",
    "ucvtf {p}0, w4, #31",
    *(
        f"{op} {r}0, {{p}}1"
        for op in (
            "fcvtzs",
            "fcvtzu",
            "fcvtns",
            "fcvtnu",
            "fcvtps",
            "fcvtpu",
            "fcvtms",
            "fcvtmu",
            "fcvtas",
            "fcvtau",
        )
        for r in "xw"
    ),
    "fcvtzs x0, {p}1, #3",
    "fcvtzu w0, {p}1, #20",
    "frecps {p}0, {p}1, {p}2",
    "frsqrts {p}0, {p}1, {p}2",
    "frecpe {p}0, {p}1",
    "frsqrte {p}0, {p}1",
    "frecpx {p}0, {p}1",
]
CONVERT = ["fcvt d0, s1", "fcvt s0, d1"]
VECTOR = [
    *(
        f"{op} v0.{{a}}, v1.{{a}}, v2.{{a}}"
        for op in (
            "fadd",
            "fsub",
            "fmul",
            "fdiv",
            "fmax",
            "fminnm",
            "fmla",
            "fmls",
            "fabd",
            "faddp",
            "fmaxp",
            "fcmeq",
            "fcmge",
            "fcmgt",
            "facge",
            "facgt",
            "fmulx",
            "frecps",
            "frsqrts",
        )
    ),
    "frecpe v0.{a}, v1.{a}",
    "frsqrte v0.{a}, v1.{a}",
    *(
        f"{op} v0.{{a}}, v1.{{a}}"
        for op in (
            "fsqrt",
            "frintx",
            "frinti",
            "frintn",
            "frintz",
            "fcvtzs",
            "fcvtzu",
            "fcvtns",
            "scvtf",
            "ucvtf",
        )
    ),
    *(f"{op} v0.{{a}}, v1.{{a}}, #0.0" for op in ("fcmeq", "fcmge", "fcmgt", "fcmle", "fcmlt")),
    "fmla v0.{a}, v1.{a}, v2.{e}[1]",
    "fmul v0.{a}, v1.{a}, v2.{e}[0]",
    "fcvtzs v0.{a}, v1.{a}, #5",
    "scvtf v0.{a}, v1.{a}, #9",
]
VECTOR_ONLY = ["fcvtn v0.2s, v1.2d", "fcvtl v0.2d, v1.2s", "fmaxnmv s0, v1.4s",
               "fminv s0, v1.4s", "faddp d0, v1.2d", "fcvtxn s0, d1"]  # fmt: skip


#: half precision (FEAT_FP16): the scalar forms whose class has a type field (bits
#: 23:22: 0 single, 1 double, 3 half; keystone has no FP16, so the single form is
#: assembled and retyped: not the AdvSIMD scalar FABD, FMULX, FRECPS, FRSQRTS), and
#: the conversions to and from halves (FPCR.AHP is drawn too: the alternative format)
HALF_SCALAR = [t for t in SCALAR if not t.startswith(("fabd", "fmulx", "frecp", "frsqrt"))]
HALF_CONVERT = ["fcvt h0, s1", "fcvt h0, d1", "fcvt s0, h1", "fcvt d0, h1",
                "fcvtn v0.4h, v1.4s", "fcvtn2 v0.8h, v1.4s", "fcvtl v0.4s, v1.4h",
                "fcvtl2 v0.4s, v1.8h"]  # fmt: skip
_BITS = {"h": 16, "s": 32, "d": 64}


def _source_bits(text: str) -> int:
    """The float width of a conversion's source (``v1``'s lanes, or the register
    after the first comma)."""
    src = text.split(",")[1].strip()
    return _BITS[src[-1] if src.startswith("v1.") else src[0]]


def _cases() -> list[tuple[str, int]]:
    """(assembly, the float width of the source operands)."""
    out = [(t.format(p=p), bits) for t in SCALAR for p, bits in (("s", 32), ("d", 64))]
    out += [("fcvt d0, s1", 32), ("fcvt s0, d1", 64)]
    out += [(t.format(a=a, e=e), bits) for t in VECTOR
            for a, e, bits in (("4s", "s", 32), ("2d", "d", 64))]  # fmt: skip
    out += [(t, 64 if "d" in t.split(",")[1] else 32) for t in VECTOR_ONLY]
    out += [(t.format(p="h"), 16) for t in HALF_SCALAR]
    out += [(t, _source_bits(t)) for t in HALF_CONVERT]
    return out


def _encode(text: str, bits: int) -> bytes:
    """``text`` assembled; a scalar half-precision form as its single form retyped."""
    if bits != 16 or text in HALF_CONVERT:
        return assemble(text)
    word = int.from_bytes(assemble(re.sub(r"\bh(\d+)", r"s\1", text)), "little")
    return (word | 3 << 22).to_bytes(4, "little")


CASES = _cases()
CODES = [_encode(text, bits) for text, bits in CASES]
#: the hosts installed here that run on this machine (a tox environment installs only
#: some: host-x86 has no python host)
INSTALLED = {i.name for i in get_plugin_manager().infos(HOST) if i.obj.native_here()}
HOSTS = sorted(({"python", oracle_host()}
                | ({"x86_64"} if platform.machine() in ("x86_64", "AMD64") else set()))
               & INSTALLED)  # fmt: skip
#: (host, tier): compiled on every host, interpreted (tier 0, the same on every host)
#: once on the test host, and compiled for a host that computes no flags itself (the
#: python host told so, where it is installed: the engine's helper call per float op,
#: what the AArch64 and POWER hosts get)
RUNS = ([(h, "compiled") for h in HOSTS] + [(oracle_host(), "interpreted")]
        + ([("python", "helpers")] if "python" in INSTALLED else []))  # fmt: skip
FPSR_BITS = 0xF800009F
RMODE_FZ_DN = st.builds(
    lambda rm, fz, dn, ahp, fz16: rm << 22 | fz << 24 | dn << 25 | ahp << 26 | fz16 << 19,
    st.integers(0, 3),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
INTS = st.one_of(st.integers(0, (1 << 64) - 1), st.sampled_from([0, 1, (1 << 64) - 1, 1 << 63,
                 (1 << 63) - 1, 1 << 31, (1 << 31) - 1, (1 << 32) - 1, 1 << 53, (1 << 53) + 1,
                 (1 << 24) + 1, 0xFFFFFFFF80000000, 0x7FFFFFFFFFFFFC00]))  # fmt: skip
#: hypothesis examples per instruction and host (``TCGKIT_FP_EXAMPLES`` for a longer run)
EXAMPLES = int(os.environ.get("TCGKIT_FP_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def uc() -> Uc:
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)  # FEAT_FP16 (tcgkit's default model is max)
    uc.mem_map(CODE, 0x10000)
    for i, code in enumerate(CODES):
        uc.mem_write(CODE + SLOT * i, code)
    return uc


def _emulator(host: str, tier: str) -> Emulator:
    emu = Emulator("aarch64", host=host, tier_up=TIERS.get(tier, 0))
    if tier == "helpers":
        emu.engine.host.computes_fp_flags = False  # type: ignore[misc]
    return emu


@pytest.fixture(scope="module")
def emulators():
    made: dict[tuple[str, str], Emulator] = {}

    def get(host: str, tier: str) -> Emulator:
        emu = made.get((host, tier))
        if emu is None:
            emu = made[(host, tier)] = _emulator(host, tier)
            emu.mem_map(CODE, 0x10000, PROT_ALL)
            for i, code in enumerate(CODES):
                emu.mem_write(CODE + SLOT * i, code)
        return emu

    yield get
    for emu in made.values():
        emu.close()


def _state(fpcr: int, q: tuple[int, int, int], x4: int) -> list[tuple[str, int]]:
    return [("fpcr", fpcr), ("fpsr", 0), ("nzcv", 0x60000000), ("x0", 0), ("x4", x4),
            ("q0", 0), ("q1", q[0]), ("q2", q[1]), ("q3", q[2])]  # fmt: skip


def _run_uc(uc: Uc, i: int, state: list[tuple[str, int]]) -> tuple[int, ...]:
    for name, v in state:
        uc.reg_write(getattr(A, f"UC_ARM64_REG_{name.upper()}"), v)
    uc.emu_start(CODE + SLOT * i, CODE + SLOT * i + len(CODES[i]))
    return tuple(uc.reg_read(getattr(A, f"UC_ARM64_REG_{n}")) for n in ("FPSR", "X0", "Q0",
                                                                         "NZCV"))  # fmt: skip


def _run_tcgkit(emu: Emulator, i: int, state: list[tuple[str, int]]) -> tuple[int, ...]:
    for name, v in state:
        emu.reg_write(name, v)
    emu.emu_start(CODE + SLOT * i, CODE + SLOT * i + len(CODES[i]))
    return tuple(emu.reg_read(n) for n in ("fpsr", "x0", "q0", "nzcv"))


@pytest.mark.parametrize(("host", "tier"), RUNS)
@pytest.mark.parametrize("index", range(len(CASES)), ids=[text for text, _ in CASES])
def test_fpsr_matches_unicorn(uc: Uc, emulators, host: str, tier: str, index: int) -> None:
    text, bits = CASES[index]
    emu = emulators(host, tier)
    operand = vector_of(bits)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(RMODE_FZ_DN, operand, operand, operand, INTS)
    def check(fpcr: int, q1: int, q2: int, q3: int, x4: int) -> None:
        state = _state(fpcr, (q1, q2, q3), x4)
        want = _run_uc(uc, index, state)
        got = _run_tcgkit(emu, index, state)
        names = ("fpsr", "x0", "q0", "nzcv")
        diffs = [f"{n}: tcgkit {g:#x} unicorn {w:#x}"
                 for n, g, w in zip(names, got, want, strict=True) if g != w]  # fmt: skip
        assert not diffs, (f"{text} fpcr {fpcr:#x} q1 {q1:#x} q2 {q2:#x} q3 {q3:#x} "
                           f"x4 {x4:#x}:\n" + "\n".join(diffs))  # fmt: skip

    check()


SEQUENCE = assemble("""
    msr fpsr, x5
    fadd d0, d1, d2
    mrs x6, fpsr
    fmul d3, d1, d2
    fcvtzs w9, d3
    msr fpsr, x7
    fdiv d4, d1, d2
    mrs x8, fpsr
    fsqrt d5, d1
    frintx s6, s2
    fcmpe d4, d5
""")


@pytest.mark.parametrize(("host", "tier"), RUNS)
def test_mrs_msr_fpsr_between_float_ops_match_unicorn(host: str, tier: str) -> None:
    """MRS and MSR of FPSR inside a TB see and replace the flags of the float ops
    before them (x86-64: MXCSR's, saved at the helper call); the flags at the end are
    those accumulated since the last MSR."""
    names = ["x5", "x6", "x7", "x8", "x9", "fpsr", "nzcv", *(f"d{i}" for i in range(7))]
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.mem_map(CODE, 0x1000)
    uc.mem_write(CODE, SEQUENCE)
    with _emulator(host, tier) as emu:
        emu.mem_map(CODE, 0x1000, PROT_ALL)
        emu.mem_write(CODE, SEQUENCE)

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
        @given(RMODE_FZ_DN, float_bits(64), float_bits(64),
               st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF))  # fmt: skip
        def check(fpcr: int, d1: int, d2: int, x5: int, x7: int) -> None:
            state = [("fpcr", fpcr), ("fpsr", 0), ("x5", x5), ("x7", x7), ("d1", d1),
                     ("d2", d2)]  # fmt: skip
            for name, v in state:
                uc.reg_write(getattr(A, f"UC_ARM64_REG_{name.upper()}"), v)
                emu.reg_write(name, v)
            uc.emu_start(CODE, CODE + len(SEQUENCE))
            emu.emu_start(CODE, CODE + len(SEQUENCE))
            want = [uc.reg_read(getattr(A, f"UC_ARM64_REG_{n.upper()}")) for n in names]
            got = [emu.reg_read(n) for n in names]
            diffs = [f"{n}: tcgkit {g:#x} unicorn {w:#x}"
                     for n, g, w in zip(names, got, want, strict=True) if g != w]  # fmt: skip
            assert not diffs, f"fpcr {fpcr:#x} d1 {d1:#x} d2 {d2:#x}:\n" + "\n".join(diffs)

        check()


#: exact results just below the smallest normal that round to it (to nearest, or up):
#: tiny before rounding (Arm: UFC) but not after (x86 raises no UE), and around them
BOUNDARY = [
    ("fmul d0, d1, d2", 0x3FEFFFFFFFFFFFFF, 0x0010000000000000, 0),
    ("fmul d0, d1, d2", 0xBFEFFFFFFFFFFFFF, 0x0010000000000000, 0),
    ("fmul d0, d1, d2", 0x3FEFFFFFFFFFFFFE, 0x0010000000000000, 0),
    ("fmul d0, d1, d2", 0x3FF0000000000000, 0x0010000000000000, 0),
    ("fmul s0, s1, s2", 0x3F7FFFFF, 0x00800000, 0),
    ("fmul s0, s1, s2", 0xBF7FFFFF, 0x00800000, 0),
    ("fmadd d0, d1, d2, d3", 0x3FEFFFFFFFFFFFFF, 0x0010000000000000, 0x8000000000000000),
    ("fmadd s0, s1, s2, s3", 0x3F7FFFFF, 0x00800000, 0),
    ("fnmsub d0, d1, d2, d3", 0x3FEFFFFFFFFFFFFF, 0x0010000000000000, 0),
    ("fdiv d0, d1, d2", 0x0010000000000000, 0x3FF0000000000001, 0),
    ("fdiv d0, d1, d2", 0x001FFFFFFFFFFFFF, 0x3FFFFFFFFFFFFFFF, 0),
    ("fcvt s0, d1", 0x380FFFFFF0000000, 0, 0),
    ("fcvt s0, d1", 0x380FFFFFE0000000, 0, 0),
    ("fmul v0.2d, v1.2d, v2.2d", 0x3FEFFFFFFFFFFFFF, 0x0010000000000000, 0),
]


@pytest.mark.parametrize(("host", "tier"), RUNS)
@pytest.mark.parametrize(("text", "a", "b", "c"), BOUNDARY)
def test_underflow_at_the_smallest_normal_matches_unicorn(
    host: str, tier: str, text: str, a: int, b: int, c: int
) -> None:
    _check_fixed_operands(host, tier, text, a, b, c)


_INF_D, _QNAN_D, _INF_S, _QNAN_S = 0x7FF0000000000000, 0x7FF8000000000123, 0x7F800000, 0x7FC00123
#: an infinity times a zero plus a quiet NaN: Arm raises IOC (and gives the default NaN);
#: x86-64's FMA raises no invalid operation for it
FMA_INVALID = [
    ("fmadd d0, d1, d2, d3", 0, _INF_D, _QNAN_D),
    ("fmadd d0, d1, d2, d3", _INF_D | 1 << 63, 0, _QNAN_D),
    ("fnmsub d0, d1, d2, d3", 1 << 63, _INF_D, _QNAN_D | 1 << 63),
    ("fmsub s0, s1, s2, s3", _INF_S, 0, _QNAN_S),
    ("fnmadd s0, s1, s2, s3", 0, _INF_S, _QNAN_S),
    ("fmla v3.2d, v1.2d, v2.2d", 0, _INF_D, _QNAN_D),
    ("fmls v3.4s, v1.4s, v2.4s", _INF_S | _INF_S << 32, 0, _QNAN_S | _QNAN_S << 32),
]


@pytest.mark.parametrize(("host", "tier"), RUNS)
@pytest.mark.parametrize(("text", "a", "b", "c"), FMA_INVALID)
def test_infinity_times_zero_plus_a_quiet_nan_matches_unicorn(
    host: str, tier: str, text: str, a: int, b: int, c: int
) -> None:
    _check_fixed_operands(host, tier, text, a, b, c)


def _check_fixed_operands(host: str, tier: str, text: str, a: int, b: int, c: int) -> None:
    """``text`` on v1, v2, v3 holding ``a``, ``b``, ``c`` in both halves, in every
    rounding mode with FPCR.FZ off and on: FPSR and v0 (v3 for the vector fused
    forms) must be Unicorn's."""
    code = assemble(text)
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.mem_map(CODE, 0x1000)
    uc.mem_write(CODE, code)
    with _emulator(host, tier) as emu:
        emu.mem_map(CODE, 0x1000, PROT_ALL)
        emu.mem_write(CODE, code)
        for rm in range(4):
            for fz in (0, 1 << 24):
                state = _state(rm << 22 | fz, (a | a << 64, b | b << 64, c | c << 64), 0)
                for name, v in state:
                    uc.reg_write(getattr(A, f"UC_ARM64_REG_{name.upper()}"), v)
                    emu.reg_write(name, v)
                uc.emu_start(CODE, CODE + len(code))
                emu.emu_start(CODE, CODE + len(code))
                for n in ("fpsr", "q0", "q3"):
                    want = uc.reg_read(getattr(A, f"UC_ARM64_REG_{n.upper()}"))
                    got = emu.reg_read(n)
                    assert got == want, f"{text} rm {rm} fz {fz}: {n} {got:#x} unicorn {want:#x}"
