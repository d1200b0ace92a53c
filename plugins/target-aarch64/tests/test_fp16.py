"""Half-precision floating point (FEAT_FP16) and FMLAL/FMLSL (FEAT_FHM) against Unicorn.

Every encoding form once per FPCR rounding mode on lanes drawn from FP edge values
(zeros, infinities, quiet and signalling NaNs with payloads, subnormals, the
largest half, halves around integers and ties) and random halves; then random
sequences of them. Sources are v0-v15 (a by-element Vm is one of those), results
go to v16-v31 and x8-x15, NZCV after each compare to x16-x23; all 32 vector
registers, the general registers and NZCV are compared. The scalar FP classes
(group 1), the AdvSIMD FP16 classes (2), their scalar, pairwise and across-lanes
forms (3) and FEAT_FHM (4) each have their random test.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit_target_aarch64.oracle import Machine, assemble, compare

H_EDGES = [
    0x0000,
    0x8000,
    0x7C00,
    0xFC00,
    0x7E00,
    0xFE00,
    0x7E15,
    0xFF01,
    0x7C01,
    0x7D55,
    0xFC02,
    0x0001,
    0x8001,
    0x03FF,
    0x83FF,
    0x0400,
    0x8400,
    0x3C00,
    0xBC00,
    0x7BFF,
    0xFBFF,
    0x3800,
    0xB800,
    0x3E00,
    0x4100,
    0xC100,
    0x3BFF,
    0x6400,
    0x67FF,
    0x4200,
    0x6555,
    0x0200,
    0x1400,
    0x5BFF,
]
S_EDGES = [
    0,
    0x80000000,
    0x7F800000,
    0xFF800000,
    0x7FC00001,
    0xFFA00002,
    0x00000001,
    0x3F800000,
    0xBF800000,
    0x7F7FFFFF,
    0x00800000,
    0x33800000,
]
M64 = (1 << 64) - 1
#: integers for SCVTF/UCVTF: around the half's range, ties below 2**64 with a sticky
#: bit 50 places down (a conversion through a double must not lose it), the extremes
X_EDGES = [
    0,
    1,
    M64,
    2047,
    2049,
    4095,
    65504,
    65519,
    65520,
    65536,
    -65520 & M64,
    1 << 31,
    (1 << 31) - 1,
    -(1 << 31) & M64,
    1 << 63,
    (1 << 63) - 1,
    0xFFFFFFFF,
    0xFFF0000000000001,
    0x8010000000000001,
    0x0FFF000000000001,
    0x7FF8000000000001,
    -0x7FF8000000000001 & M64,
    0x00000000FFF00001,
    0x1001,
]


def _pack(lanes: list[int], bits: int) -> int:
    return sum(v << (i * bits) for i, v in enumerate(lanes))


def _seeded_vreg(rng: random.Random) -> int:
    if rng.random() < 0.15:  # single lanes, for FMLAL's accumulators
        return _pack(
            [rng.choice(S_EDGES) if rng.random() < 0.5 else rng.getrandbits(32) for _ in range(4)],
            32,
        )
    return _pack(
        [rng.choice(H_EDGES) if rng.random() < 0.6 else rng.getrandbits(16) for _ in range(8)], 16
    )


HALF = st.one_of(st.sampled_from(H_EDGES), st.integers(0, 0xFFFF))
VREG = st.one_of(
    st.lists(HALF, min_size=8, max_size=8).map(lambda v: _pack(v, 16)),
    st.lists(
        st.one_of(st.sampled_from(S_EDGES), st.integers(0, (1 << 32) - 1)), min_size=4, max_size=4
    ).map(lambda v: _pack(v, 32)),
)
XREG = st.one_of(
    st.sampled_from(X_EDGES), st.integers(0, M64), st.integers(-70000, 70000).map(lambda v: v & M64)
)


# -- the encoding forms: name -> word of (rd, rn, rm, ra, k), k a field value drawn -------

Form = tuple[str, Callable[[int, int, int, int, int], int]]


def _w(base: int, fields: str = "dnm") -> Callable[[int, int, int, int, int], int]:
    """The form of ``base`` with the register fields named in ``fields`` (d, n, m, a)."""
    return lambda d, n, m, a, k: (
        base | (m << 16 if "m" in fields else 0) | (a << 10 if "a" in fields else 0) | n << 5 | d
    )


def _scalar_forms() -> list[Form]:
    forms: list[Form] = []
    for op in range(9):  # FMUL FDIV FADD FSUB FMAX FMIN FMAXNM FMINNM FNMUL
        forms.append((f"fp2 {op}", _w(0x1EE00800 | op << 12)))
    for op in (0, 1, 2, 3, 8, 9, 10, 11, 12, 14, 15):  # FMOV FABS FNEG FSQRT FRINT*
        forms.append((f"fp1 {op}", lambda d, n, m, a, k, op=op: 0x1EE04000 | op << 15 | n << 5 | d))
    for o1 in (0, 1):  # FMADD FMSUB FNMADD FNMSUB
        for o0 in (0, 1):
            forms.append((f"fp3 {o1}{o0}", _w(0x1FC00000 | o1 << 21 | o0 << 15, "dnma")))
    for opc in (0, 8, 16, 24):  # FCMP, with zero, FCMPE, with zero
        forms.append(
            (f"fcmp {opc}", lambda d, n, m, a, k, opc=opc: 0x1EE02000 | m << 16 | n << 5 | opc)
        )
    for e in (0, 1):  # FCCMP FCCMPE
        forms.append(
            (
                f"fccmp {e}",
                lambda d, n, m, a, k, e=e: (
                    0x1EE00400 | m << 16 | (k & 15) << 12 | n << 5 | e << 4 | (k >> 4 & 15)
                ),
            )
        )
    forms.append(
        ("fcsel", lambda d, n, m, a, k: 0x1EE00C00 | m << 16 | (k & 15) << 12 | n << 5 | d)
    )
    forms.append(("fmov imm", lambda d, n, m, a, k: 0x1EE01000 | (k & 255) << 13 | d))
    for sf in (0, 1):
        # FMOV Wd/Xd, Hn and Hd, Wn/Xn (general registers: sources x0-x7, results x8-x15)
        forms.append(
            (
                f"fmov to gpr {sf}",
                lambda d, n, m, a, k, sf=sf: sf << 31 | 0x1EE60000 | n << 5 | 8 + d % 8,
            )
        )
        forms.append(
            (f"fmov to h {sf}", lambda d, n, m, a, k, sf=sf: sf << 31 | 0x1EE70000 | n % 8 << 5 | d)
        )
        for rmode, opc in [(r, o) for r in range(4) for o in (0, 1)] + [(0, 4), (0, 5)]:
            forms.append(
                (
                    f"fcvt int {sf} {rmode} {opc}",
                    lambda d, n, m, a, k, sf=sf, rmode=rmode, opc=opc: (
                        sf << 31 | 0x1EE00000 | rmode << 19 | opc << 16 | n << 5 | 8 + d % 8
                    ),
                )
            )
        for opc in (2, 3):  # SCVTF UCVTF
            forms.append(
                (
                    f"cvtf {sf} {opc}",
                    lambda d, n, m, a, k, sf=sf, opc=opc: (
                        sf << 31 | 0x1EE00000 | opc << 16 | n % 8 << 5 | d
                    ),
                )
            )
            forms.append(
                (
                    f"cvtf fixed {sf} {opc}",
                    lambda d, n, m, a, k, sf=sf, opc=opc: (
                        sf << 31
                        | 0x1EC00000
                        | opc << 16
                        | (k % (64 - 32 * (1 - sf)) + 32 * (1 - sf)) << 10
                        | n % 8 << 5
                        | d
                    ),
                )
            )
        for opc in (0, 1):  # FCVTZS FCVTZU (fixed-point)
            forms.append(
                (
                    f"fcvtz fixed {sf} {opc}",
                    lambda d, n, m, a, k, sf=sf, opc=opc: (
                        sf << 31
                        | 0x1EC00000
                        | 3 << 19
                        | opc << 16
                        | (k % (64 - 32 * (1 - sf)) + 32 * (1 - sf)) << 10
                        | n << 5
                        | 8 + d % 8
                    ),
                )
            )
    return forms


#: three same (FP16): (U, a, opcode)
V3 = [
    (0, 0, 0),
    (0, 0, 1),
    (0, 0, 2),
    (0, 0, 3),
    (0, 0, 4),
    (0, 0, 6),
    (0, 0, 7),
    (0, 1, 0),
    (0, 1, 1),
    (0, 1, 2),
    (0, 1, 6),
    (0, 1, 7),
    (1, 0, 0),
    (1, 0, 2),
    (1, 0, 3),
    (1, 0, 4),
    (1, 0, 5),
    (1, 0, 6),
    (1, 0, 7),
    (1, 1, 0),
    (1, 1, 2),
    (1, 1, 4),
    (1, 1, 5),
    (1, 1, 6),
]
S3 = [
    (0, 0, 3),
    (0, 0, 4),
    (0, 0, 7),
    (0, 1, 7),
    (1, 0, 4),
    (1, 0, 5),
    (1, 1, 2),
    (1, 1, 4),
    (1, 1, 5),
]
#: two-register misc (FP16), vector and scalar: (U, a, opcode)
M2 = [
    (0, 0, 0x1A),
    (0, 0, 0x1B),
    (0, 0, 0x1C),
    (0, 0, 0x1D),
    (0, 1, 0x0C),
    (0, 1, 0x0D),
    (0, 1, 0x0E),
    (0, 1, 0x1A),
    (0, 1, 0x1B),
    (0, 1, 0x1D),
    (1, 0, 0x1A),
    (1, 0, 0x1B),
    (1, 0, 0x1C),
    (1, 0, 0x1D),
    (1, 1, 0x0C),
    (1, 1, 0x0D),
    (1, 1, 0x1A),
    (1, 1, 0x1B),
    (1, 1, 0x1D),
]
#: vector only: FRINTN FRINTM FABS FRINTP FRINTZ FRINTA FRINTX FNEG FRINTI FSQRT
V2 = [
    (0, 0, 0x18),
    (0, 0, 0x19),
    (0, 1, 0x0F),
    (0, 1, 0x18),
    (0, 1, 0x19),
    (1, 0, 0x18),
    (1, 0, 0x19),
    (1, 1, 0x0F),
    (1, 1, 0x19),
    (1, 1, 0x1F),
]
#: by element (U, opcode): FMLA FMLS FMUL FMULX
ELEM = [(0, 1), (0, 5), (0, 9), (1, 9)]


def _elem(base: int, u: int, opc: int) -> Callable[[int, int, int, int, int], int]:
    """A by-element form of halves: Vm one of v0-v15, the index H:L:M from k."""
    return lambda d, n, m, a, k: (
        base
        | u << 29
        | (k >> 1 & 1) << 21
        | (k & 1) << 20
        | (m % 16) << 16
        | opc << 12
        | (k >> 2 & 1) << 11
        | n << 5
        | d
    )


def _vector_forms() -> list[Form]:
    forms: list[Form] = []
    for q in (0, 1):
        for u, a_, opc in V3:
            forms.append(
                (f"v3 {u}{a_}{opc} q{q}", _w(0x0E400400 | q << 30 | u << 29 | a_ << 23 | opc << 11))
            )
        for u, a_, opc in M2 + V2:
            forms.append(
                (
                    f"v2 {u}{a_}{opc:#x} q{q}",
                    _w(0x0E780800 | q << 30 | u << 29 | a_ << 23 | opc << 12, "dn"),
                )
            )
        for u, opc in ELEM:
            forms.append((f"elem {u} {opc} q{q}", _elem(0x0F000000 | q << 30, u, opc)))
        # FMULX (by element) of singles: index H:L
        forms.append(
            (
                f"fmulx s q{q}",
                lambda d, n, m, a, k, q=q: (
                    0x2F809000 | q << 30 | (k & 1) << 21 | m << 16 | (k >> 1 & 1) << 11 | n << 5 | d
                ),
            )
        )
    forms.append(
        ("fmulx d", lambda d, n, m, a, k: 0x6FC09000 | m << 16 | (k & 1) << 11 | n << 5 | d)
    )
    return forms


def _simd_scalar_forms() -> list[Form]:
    forms: list[Form] = []
    for u, a_, opc in S3:
        forms.append((f"s3 {u}{a_}{opc}", _w(0x5E400400 | u << 29 | a_ << 23 | opc << 11)))
    for u, a_, opc in [*M2, (0, 1, 0x1F)]:
        forms.append((f"s2 {u}{a_}{opc:#x}", _w(0x5E780800 | u << 29 | a_ << 23 | opc << 12, "dn")))
    for size, opc in ((0, 0x0C), (0, 0x0D), (0, 0x0F), (2, 0x0C), (2, 0x0F)):
        forms.append((f"faddp etc {size} {opc:#x}", _w(0x5E300800 | size << 22 | opc << 12, "dn")))
    for q in (0, 1):
        for size, opc in ((0, 0x0C), (0, 0x0F), (2, 0x0C), (2, 0x0F)):
            forms.append(
                (
                    f"across {size} {opc:#x} q{q}",
                    _w(0x0E300800 | q << 30 | size << 22 | opc << 12, "dn"),
                )
            )
    for u, opc in ELEM:
        forms.append((f"scalar elem {u} {opc}", _elem(0x5F000000, u, opc)))
    forms.append(
        (
            "fmulx s scalar",
            lambda d, n, m, a, k: (
                0x7F809000 | (k & 1) << 21 | m << 16 | (k >> 1 & 1) << 11 | n << 5 | d
            ),
        )
    )
    forms.append(
        ("fmulx d scalar", lambda d, n, m, a, k: 0x7FC09000 | m << 16 | (k & 1) << 11 | n << 5 | d)
    )
    # SCVTF UCVTF FCVTZS FCVTZU (fixed-point) on 16-bit lanes: immh:immb = 16 + (k % 16)
    for u in (0, 1):
        for opc in (0x1C, 0x1F):
            for base, label in ((0x0F000400, "q0"), (0x4F000400, "q1"), (0x5F000400, "scalar")):
                forms.append(
                    (
                        f"fixed {u} {opc:#x} {label}",
                        lambda d, n, m, a, k, base=base, u=u, opc=opc: (
                            base | u << 29 | (16 + k % 16) << 16 | opc << 11 | n << 5 | d
                        ),
                    )
                )
    return forms


def _fhm_forms() -> list[Form]:
    forms: list[Form] = []
    for q in (0, 1):
        for u in (0, 1):
            for s in (0, 1):
                opc = 0x19 if u else 0x1D
                forms.append(
                    (
                        f"fmlal{'2' if u else ''} s{s} q{q}",
                        _w(0x0E200400 | q << 30 | u << 29 | s << 23 | opc << 11),
                    )
                )
                forms.append(
                    (
                        f"fmlal{'2' if u else ''} elem s{s} q{q}",
                        _elem(0x0F800000 | q << 30 | s << 14, u, u << 3),
                    )
                )
    return forms


SCALAR, VECTOR, SIMD_SCALAR, FHM = (
    _scalar_forms(),
    _vector_forms(),
    _simd_scalar_forms(),
    _fhm_forms(),
)
_COMPARES = ("fcmp", "fccmp")


def _code(picks: list[tuple[Form, int, int, int, int]]) -> bytes:
    """The words of (form, rn, rm, ra, k) picks, the i-th writing v<16 + i> (x<8 + i>),
    each compare followed by MRS x<16 + i>, NZCV."""
    words = []
    for i, ((name, make), n, m, a, k) in enumerate(picks):
        words.append(make(16 + i, n, m, a, k))
        if name.startswith(_COMPARES):
            words.append(0xD53B4200 | (16 + i))
    return b"".join(w.to_bytes(4, "little") for w in words)


def _machine(machine: Machine, vregs: list[int], xs: list[int], rmode: int, nzcv: int) -> Machine:
    machine.vregs = vregs
    for i, v in enumerate(xs):
        machine.regs[f"x{i}"] = v
    machine.regs["fpcr"] = rmode << 22
    machine.nzcv = nzcv
    return machine


# -- every form once per rounding mode -----------------------------------------------------


@pytest.mark.parametrize("rmode", range(4))
@pytest.mark.parametrize("group", ["scalar", "vector", "simd_scalar", "fhm"])
def test_every_form_matches_unicorn(machine: Machine, group: str, rmode: int) -> None:
    forms = {"scalar": SCALAR, "vector": VECTOR, "simd_scalar": SIMD_SCALAR, "fhm": FHM}[group]
    rng = random.Random(f"fp16-{group}-{rmode}")
    for start in range(0, len(forms), 8):
        chunk = forms[start : start + 8]
        picks = [
            (f, rng.randrange(16), rng.randrange(16), rng.randrange(16), rng.getrandbits(8))
            for f in chunk
        ]
        vregs = [_seeded_vreg(rng) for _ in range(32)]
        xs = [rng.choice(X_EDGES) if rng.random() < 0.7 else rng.getrandbits(64) for _ in range(8)]
        compare(_code(picks), _machine(machine, vregs, xs, rmode, rng.getrandbits(4) << 28))


# -- random sequences ------------------------------------------------------------------------


def _sequence(forms: list[Form], max_size: int) -> st.SearchStrategy:
    pick = st.tuples(
        st.sampled_from(forms),
        st.integers(0, 15),
        st.integers(0, 15),
        st.integers(0, 15),
        st.integers(0, 255),
    )
    return st.lists(pick, min_size=1, max_size=max_size)


def _settings(n: int) -> Callable:
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


STATE = {
    "vregs": st.lists(VREG, min_size=32, max_size=32),
    "xs": st.lists(XREG, min_size=8, max_size=8),
    "rmode": st.integers(0, 3),
    "nzcv": st.integers(0, 15).map(lambda v: v << 28),
}


@_settings(60)
@given(picks=_sequence(SCALAR, 8), **STATE)
def test_random_scalar_fp16_matches_unicorn(
    machine: Machine, picks: list, vregs: list[int], xs: list[int], rmode: int, nzcv: int
) -> None:
    """Group 1: FP data processing, compares, selects, moves and conversions on H."""
    compare(_code(picks), _machine(machine, vregs, xs, rmode, nzcv))


@_settings(40)
@given(picks=_sequence(VECTOR, 4), **STATE)
def test_random_vector_fp16_matches_unicorn(
    machine: Machine, picks: list, vregs: list[int], xs: list[int], rmode: int, nzcv: int
) -> None:
    """Group 2: three same and two-register misc (FP16), by element, on 4H and 8H."""
    compare(_code(picks), _machine(machine, vregs, xs, rmode, nzcv))


@_settings(40)
@given(picks=_sequence(SIMD_SCALAR, 6), **STATE)
def test_random_simd_scalar_fp16_matches_unicorn(
    machine: Machine, picks: list, vregs: list[int], xs: list[int], rmode: int, nzcv: int
) -> None:
    """Group 3: scalar three same and two-register misc, pairwise, across lanes, scalar
    by element, fixed-point conversions of 16-bit lanes."""
    compare(_code(picks), _machine(machine, vregs, xs, rmode, nzcv))


@_settings(25)
@given(picks=_sequence(FHM, 4), **STATE)
def test_random_fmlal_matches_unicorn(
    machine: Machine, picks: list, vregs: list[int], xs: list[int], rmode: int, nzcv: int
) -> None:
    """Group 4: FMLAL, FMLAL2, FMLSL, FMLSL2, vector and by element."""
    compare(_code(picks), _machine(machine, vregs, xs, rmode, nzcv))


# -- the roundings a wider intermediate could get wrong --------------------------------------


def _fused_cases(rng: random.Random) -> list[tuple[int, int, int]]:
    """(a, b, c) halves whose exact a * b + c lies at or next to a rounding boundary of
    the half: products of an odd 12-bit significand (midpoints) plus tiny or cancelling
    addends, and products of large and tiny halves."""
    cases = []
    for _ in range(24):
        # 3 * 1365 = 4095 and friends: x * y with an odd 12-bit product
        x, y = rng.choice([(0x4200, 0x6555), (0x4500, 0x6133), (0x4700, 0x6049)])
        shift = rng.randrange(-12, 2)
        xe = ((x >> 10) & 31) + shift
        if not 1 <= xe <= 30:
            continue
        x = (x & 0x83FF) | xe << 10 | rng.choice([0, 0x8000])
        c = rng.choice([0x0001, 0x8001, 0x0002, 0x8003, 0x0400, 0x8400, 0x1000, 0x9000, 0])
        cases.append((x, y, c))
    for _ in range(24):
        big = rng.randrange(0x5800, 0x7BFF) | rng.choice([0, 0x8000])
        tiny = rng.randrange(0x0001, 0x0800) | rng.choice([0, 0x8000])
        cases.append((big, tiny, rng.getrandbits(16) & 0xBFFF))
    return cases


@pytest.mark.parametrize("rmode", range(4))
def test_fused_roundings_near_ties_match_unicorn(machine: Machine, rmode: int) -> None:
    """FMADD, FMSUB, FNMADD, FNMSUB, FMLA (vector and by element), FRECPS, FRSQRTS and
    SCVTF (fixed-point, 64 bits) where one rounding through a double could differ
    from the half's own."""
    rng = random.Random(f"fused-{rmode}")
    cases = _fused_cases(rng)
    for start in range(0, len(cases), 8):
        chunk = cases[start : start + 8]
        chunk += [chunk[0]] * (8 - len(chunk))
        vregs = [v for x, y, c in chunk for v in (x, y)] + [c for _, _, c in chunk]
        vregs += [_pack([c] * 8, 16) for _, _, c in chunk]
        vregs += [0] * (32 - len(vregs))
        words = []
        for i in range(8):  # the scalar FMAs: x = v<2i>, y = v<2i + 1>, c = v<16 + i>
            o = i % 4
            words.append(
                0x1FC00000
                | (o >> 1) << 21
                | (2 * i + 1) << 16
                | (o & 1) << 15
                | (16 + i) << 10
                | (2 * i) << 5
                | (16 + i)
            )
        for i in range(4):  # FMLA 8H: v<24 + i> += v<2i> * v<2i + 1>; FRECPS, FRSQRTS
            words.append(0x4E400C00 | (2 * i + 1) << 16 | (2 * i) << 5 | (24 + i))
            words.append(0x4E403C00 | (i & 1) << 23 | (2 * i + 1) << 16 | (2 * i) << 5 | (28 + i))
        xs = [
            (rng.randrange(1 << 11, 1 << 12) | 1) << rng.randrange(40, 52) | rng.choice([0, 1])
            for _ in range(8)
        ]
        for i in range(8):  # SCVTF/UCVTF Hd, Xn, #fbits
            words.append(
                0x9EC20000 | (i & 1) << 16 | (64 - rng.randrange(40, 64)) << 10 | i << 5 | (8 + i)
            )
        code = b"".join(w.to_bytes(4, "little") for w in words)
        compare(code, _machine(machine, vregs, xs, rmode, 0))


# -- conversions under FPCR.AHP (alternative half precision) and FPCR.DN --------------------

#: singles around the largest half and the alternative format's largest (131008), halves
#: of exponent 31 (infinities and NaNs in IEEE form, numbers in the alternative one)
CVT_S = [*S_EDGES, 0x477FE000, 0x477FF000, 0x477FFFFF, 0x47800000, 0x47FFE000, 0x47FFF000,
         0x47FFEFFF, 0x48000000, 0xC7FFF000, 0x33000000, 0x33000001]  # fmt: skip
CVT_H = [*H_EDGES, 0x7C01, 0x7FFF, 0xFFFF, 0x7E00, 0xFD00, 0x7BFF]
CONVERSIONS = assemble(
    "fcvt h16, s0; fcvt h17, d1; fcvt s18, h2; fcvt d19, h2; fcvt h20, s3; fcvt d21, h4;"
    "fcvtl v22.4s, v5.4h; fcvtl2 v23.4s, v5.8h; fcvtn v24.4h, v6.4s; fcvtn2 v24.8h, v7.4s"
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.integers(0, 3), st.booleans(), st.booleans(),
       st.lists(st.sampled_from(CVT_S), min_size=10, max_size=10),
       st.lists(st.sampled_from(CVT_H), min_size=10, max_size=10))  # fmt: skip
def test_conversions_under_ahp_and_dn_match_unicorn(machine: Machine, rmode: int, dn: bool,
                                                    ahp: bool, singles: list[int],
                                                    halves: list[int]) -> None:  # fmt: skip
    """FCVT between half and single or double, FCVTL{2}, FCVTN{2}: every rounding mode,
    with and without FPCR.DN and FPCR.AHP."""
    double = singles[1] << 29 | (0x38000000000000 if singles[1] & 0x7F800000 else 0)  # widened
    vregs = [singles[0], double | (singles[1] & 1 << 31) << 32, halves[0], singles[2],
             halves[1], _pack(halves[2:10], 16), _pack(singles[3:7], 32),
             _pack(singles[6:10], 32)] + [0] * 24  # fmt: skip
    m = _machine(machine, vregs, [], rmode, 0)
    m.regs["fpcr"] |= dn << 25 | ahp << 26
    compare(CONVERSIONS, m)
