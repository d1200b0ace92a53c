"""AdvSIMD instructions translated a 64-bit half at a time rather than lane by lane,
against Unicorn: the integer compares (register and #0, every lane size), ADD,
SUB, MUL, MLA and MLS, EXT at every byte index (destination also a source),
REV16/32/64 of every lane size, the shifts by immediate (SHL, USHR, SSHR, USRA,
SSRA) of every narrow lane size by every amount, and the narrowing ones (UZP1/UZP2,
XTN{2}, SHRN{2} by every amount: the even lanes of each half packed).

Lanes are drawn from values around the lane's sign and zero (0, 1, the largest
positive, the most negative, all ones) as well as at random, so equal lanes, lanes
that differ only in the top bit and every sign combination occur in one vector.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit_target_aarch64.oracle import DATA_SIZE, Machine, assemble, compare

SHAPES = ("8b", "16b", "4h", "8h", "2s", "4s", "2d")

COMPARES = assemble("; ".join(
    [f"{op} v{8 + i}.{s}, v0.{s}, v1.{s}" for i, s in enumerate(SHAPES)
     for op in ("cmeq", "cmtst", "cmgt", "cmge", "cmhi", "cmhs")]
    + [f"{op} v{16 + i}.{s}, v2.{s}, #0" for i, s in enumerate(SHAPES)
       for op in ("cmeq", "cmgt", "cmge", "cmle", "cmlt")]
))  # fmt: skip
# each destination is written by several instructions: the last one survives, so
# spread them: one program per operation
PROGRAMS = [
    assemble("; ".join(f"{op} v{8 + i}.{s}, v0.{s}, v1.{s}" for i, s in enumerate(SHAPES)))
    for op in ("cmeq", "cmtst", "cmgt", "cmge", "cmhi", "cmhs")
] + [
    assemble("; ".join(f"{op} v{16 + i}.{s}, v2.{s}, #0" for i, s in enumerate(SHAPES)))
    for op in ("cmeq", "cmgt", "cmge", "cmle", "cmlt")
] + [
    assemble("; ".join(f"ext v{8 + i}.16b, v0.16b, v1.16b, #{i}" for i in range(16))),
    assemble("; ".join(f"ext v{8 + i}.8b, v0.8b, v1.8b, #{i}" for i in range(8))),
    assemble("ext v0.16b, v1.16b, v0.16b, #8; ext v1.16b, v1.16b, v2.16b, #3;"
             "ext v2.8b, v3.8b, v2.8b, #5; ext v3.16b, v3.16b, v3.16b, #13"),
    assemble("; ".join(f"{op} v{8 + 2 * i + j}.{s}, v0.{s}, v1.{s}"
                       for i, s in enumerate(("8b", "16b", "4h", "8h", "2s", "4s"))
                       for j, op in enumerate(("add", "sub")))
             + "; add v0.4s, v0.4s, v0.4s; sub v1.2s, v2.2s, v1.2s"),
    assemble("mul v8.4s, v0.4s, v1.4s; mul v9.2s, v0.2s, v1.2s; mla v10.4s, v0.4s, v1.4s;"
             "mls v11.4s, v0.4s, v1.4s; mla v12.2s, v1.2s, v0.2s; mls v13.2s, v0.2s, v1.2s;"
             "mul v14.8h, v0.8h, v1.8h; mla v15.16b, v0.16b, v1.16b; mul v0.4s, v0.4s, v0.4s;"
             "mla v1.4s, v1.4s, v2.4s"),
    assemble("rev16 v8.16b, v0.16b; rev16 v9.8b, v1.8b; rev32 v10.16b, v0.16b;"
             "rev32 v11.8h, v1.8h; rev32 v12.4h, v2.4h; rev64 v13.16b, v0.16b;"
             "rev64 v14.8h, v1.8h; rev64 v15.4s, v2.4s; rev64 v16.2s, v0.2s;"
             "rev64 v0.16b, v0.16b; rev32 v1.8b, v1.8b"),
]  # fmt: skip


# the shifts by immediate: v0 shifted by every amount the lane size allows, into v8..v31
# (a second program where the amounts do not fit); the accumulating forms add to the
# destination's own lanes
SHIFTS = {
    f"{op} {shape} {amounts[0]}..": assemble("; ".join(
        f"{op} v{8 + i}.{shape}, v0.{shape}, #{n}" for i, n in enumerate(amounts)))
    for op in ("shl", "ushr", "sshr", "usra", "ssra")
    for shape, esize in (("8b", 8), ("16b", 8), ("4h", 16), ("8h", 16), ("2s", 32), ("4s", 32))
    for every in [range(0, esize) if op == "shl" else range(1, esize + 1)]
    for amounts in (every[:24], every[24:]) if amounts
}  # fmt: skip


def _lanes(esize: int) -> st.SearchStrategy[int]:
    top = 1 << (esize - 1)
    return st.one_of(st.sampled_from([0, 1, top - 1, top, top + 1, (1 << esize) - 1]),
                     st.integers(0, (1 << esize) - 1))  # fmt: skip


@st.composite
def _vector(draw: st.DrawFn) -> int:
    esize = draw(st.sampled_from([8, 16, 32, 64]))
    return sum(draw(_lanes(esize)) << (i * esize) for i in range(128 // esize))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_vector(), min_size=4, max_size=4), st.integers(0, len(PROGRAMS) - 1),
       st.booleans())  # fmt: skip
def test_whole_half_translations_match_unicorn(vectors: list[int], which: int,
                                               equal: bool) -> None:  # fmt: skip
    """``equal``: v1 is v0 with a few lanes changed, so that compares see equal lanes."""
    if equal:
        vectors[1] = vectors[0] ^ (vectors[1] & 0xFF00000000FF0000FFFF)
    vregs = vectors + [0x0123456789ABCDEF_FEDCBA9876543210 * (i + 1) % 2**128 for i in range(28)]
    compare(PROGRAMS[which], Machine({"x0": 0}, 0, vregs, bytes(DATA_SIZE)))


def test_every_program_once() -> None:
    """Each program from one fixed state (v1 = v0 with some lanes changed)."""
    v0 = 0x80FF7F0001807F80_00FF00017FFF8000
    vregs = [v0, v0 ^ 0xFF00FF0000000000_00000000FFFF0001, 0x8000000000000001_7FFFFFFF00000000,
             0xFEDCBA9876543210_0123456789ABCDEF] + [0] * 28  # fmt: skip
    for code in [*PROGRAMS, COMPARES]:
        compare(code, Machine({"x0": 0}, 0, vregs, bytes(DATA_SIZE)))


@pytest.mark.parametrize("name", sorted(SHIFTS))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_vector(), min_size=1, max_size=1), st.integers(0, 2**128 - 1))
def test_swar_shifts_match_unicorn(name: str, v0: list[int], dest: int) -> None:
    """Every lane of v0 shifted at once (SWAR); the destinations start from ``dest``
    (what the accumulating forms add to)."""
    vregs = v0 + [0] * 7 + [dest * (i + 1) % 2**128 for i in range(24)]
    compare(SHIFTS[name], Machine({"x0": 0}, 0, vregs, bytes(DATA_SIZE)))


SHIFT_BY_REGISTER = assemble("; ".join(
    f"{op} v{8 + i}.{s}, v0.{s}, v1.{s}" for i, (op, s) in enumerate(
        (op, s) for op in ("ushl", "sshl") for s in ("16b", "8h", "4s", "2d"))
) + "; ushl d16, d0, d1; sshl d17, d0, d1")  # fmt: skip
#: shift counts (each lane's low byte, signed) around the lane sizes, both ways
COUNTS = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 0x80, 0x81, 0xBF, 0xC0,
          0xC1, 0xDF, 0xE0, 0xE1, 0xEF, 0xF0, 0xF8, 0xF9, 0xFF]  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_vector(), st.lists(st.sampled_from(COUNTS), min_size=16, max_size=16))
def test_shifts_by_register_past_the_lane_match_unicorn(v0: int, counts: list[int]) -> None:
    """USHL/SSHL with counts at and past each lane size, left and right (a 64-bit lane
    shifted right by 64 or more is zero, or its sign bits)."""
    v1 = sum(c << (8 * i) for i, c in enumerate(counts))
    vregs = [v0 | 1 << 127 | 1 << 63, v1] + [0] * 30
    compare(SHIFT_BY_REGISTER, Machine({"x0": 0}, 0, vregs, bytes(DATA_SIZE)))


#: (the narrow shape, its "2" form's shape, the wide source shape, the narrow lane size)
_NARROW = (("8b", "16b", "8h", 8), ("4h", "8h", "4s", 16), ("2s", "4s", "2d", 32))
NARROWS = {
    "uzp": assemble("; ".join(
        [f"uzp{1 + (i + j) % 2} v{8 + 2 * i + j}.{s}, v0.{s}, v1.{s}"
         for i, s in enumerate(("8b", "16b", "4h", "8h", "2s", "4s")) for j in range(2)]
        + ["uzp2 v20.4s, v21.4s, v20.4s", "uzp1 v1.16b, v1.16b, v0.16b",
           "uzp2 v22.8b, v22.8b, v22.8b", "uzp1 v23.2s, v23.2s, v0.2s"])),
    "xtn": assemble("; ".join(
        [f"xtn v{8 + i}.{n}, v{i % 2}.{w}" for i, (n, _, w, _) in enumerate(_NARROW)]
        + [f"mov v{12 + i}.16b, v2.16b; xtn2 v{12 + i}.{n2}, v{i % 2}.{w}"
           for i, (_, n2, w, _) in enumerate(_NARROW)]
        + ["xtn v0.4h, v0.4s", "xtn2 v1.8h, v1.4s"])),
    # every amount, at most 24 to a program (v8..v31)
    **{f"{op} {shape} {a0}..": assemble("; ".join(
        f"{op} v{8 + a - a0}.{shape}, v0.{w}, #{a}" for a in range(a0, min(a0 + 24, e + 1))))
       for n, n2, w, e in _NARROW for op, shape in (("shrn", n), ("shrn2", n2))
       for a0 in range(1, e + 1, 24)},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(NARROWS))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_vector(), min_size=2, max_size=2), st.integers(0, 2**128 - 1))
def test_swar_narrows_match_unicorn(name: str, v: list[int], dest: int) -> None:
    """The narrowing permutes and moves a half at a time; the destinations start from
    ``dest`` (what the "2" forms keep the low half of)."""
    vregs = v + [dest] + [0] * 5 + [dest * (i + 1) % 2**128 for i in range(24)]
    compare(NARROWS[name], Machine({"x0": 0}, 0, vregs, bytes(DATA_SIZE)))
