"""FCADD and FCMLA (vector and by element) against Unicorn: every rotation and
arrangement, lanes drawn from FP edge values (NaNs of both kinds and signs,
infinities, zeros, denormals) and random bit patterns."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit_target_aarch64.oracle import Machine, compare

F16_EDGES = [0, 0x8000, 0x7C00, 0xFC00, 0x7E01, 0xFD02, 0x0001, 0x3C00, 0xBC00, 0x7BFF, 0x0400]
F32_EDGES = [0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00001, 0xFFA00002, 0x00000001,
             0x3F800000, 0xBF800000, 0x7F7FFFFF, 0x00800000]  # fmt: skip
F64_EDGES = [0, 1 << 63, 0x7FF0 << 48, 0xFFF0 << 48, 0x7FF8000000000001, 0xFFF4000000000002,
             1, 0x3FF0 << 48, 0xBFF0 << 48, 0x7FEFFFFFFFFFFFFF, 0x0010 << 48]  # fmt: skip


def _lane(bits: int) -> st.SearchStrategy[int]:
    edges = {16: F16_EDGES, 32: F32_EDGES, 64: F64_EDGES}[bits]
    return st.one_of(st.sampled_from(edges), st.integers(0, (1 << bits) - 1))


def _vreg(bits: int) -> st.SearchStrategy[int]:
    count = 128 // bits
    return st.lists(_lane(bits), min_size=count, max_size=count).map(
        lambda lanes: sum(v << (i * bits) for i, v in enumerate(lanes)))  # fmt: skip


def fcmla(q: int, size: int, rot: int, rm: int, rn: int, rd: int) -> int:
    return q << 30 | 0x2E000000 | size << 22 | rm << 16 | 0b110 << 13 | rot << 11 | 1 << 10 | (
        rn << 5 | rd)  # fmt: skip


def fcadd(q: int, size: int, rot: int, rm: int, rn: int, rd: int) -> int:
    return q << 30 | 0x2E000000 | size << 22 | rm << 16 | 0b111 << 13 | rot << 12 | 1 << 10 | (
        rn << 5 | rd)  # fmt: skip


def fcmla_element(size: int, rot: int, index: int, rm: int, rn: int, rd: int,
                  q: int = 1) -> int:  # fmt: skip
    """The index is H (singles, 4S only) or H:L (halves)."""
    h, lo = (index >> 1, index & 1) if size == 1 else (index, 0)
    return q << 30 | 0x2F000000 | size << 22 | lo << 21 | (rm >> 4) << 20 | (rm & 15) << 16 | (
        rot << 13 | 1 << 12 | h << 11 | rn << 5 | rd)  # fmt: skip


@st.composite
def _case(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    bits = draw(st.sampled_from([16, 32, 64]))
    size = {16: 1, 32: 2, 64: 3}[bits]
    words = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["fcmla", "fcadd", "element"] if bits < 64
                                    else ["fcmla", "fcadd"]))  # fmt: skip
        q = 1 if bits == 64 or (kind == "element" and bits == 32) else draw(st.integers(0, 1))
        rm, rn, rd = (draw(st.integers(0, 7)) for _ in range(3))
        if kind == "fcmla":
            words.append(fcmla(q, size, draw(st.integers(0, 3)), rm, rn, rd))
        elif kind == "fcadd":
            words.append(fcadd(q, size, draw(st.integers(0, 1)), rm, rn, rd))
        else:
            pairs = (2 if bits == 32 else 4) if q else 2
            words.append(fcmla_element(size, draw(st.integers(0, 3)),
                                       draw(st.integers(0, pairs - 1)), rm, rn, rd, q))  # fmt: skip
    vregs = [draw(_vreg(bits)) for _ in range(8)]
    return words, vregs


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=_case())
def test_complex_fp_arithmetic_matches_unicorn(case: tuple[list[int], list[int]],
                                               machine: Machine) -> None:  # fmt: skip
    words, vregs = case
    machine.vregs = vregs
    compare(b"".join(w.to_bytes(4, "little") for w in words), machine)


def test_every_rotation_on_fixed_operands(machine: Machine) -> None:
    """Each rotation and form once, on lanes that make every sign visible."""
    one, two, three = 0x3F800000, 0x40000000, 0x40400000
    machine.vregs = [
        sum(v << (32 * i) for i, v in enumerate(lanes))
        for lanes in ([one, two, three, one], [three, one, two, two], [0, 0, 0, 0],
                      [two, three, one, 0x7FC00000], [one] * 4, [two] * 4, [three] * 4,
                      [0xBF800000] * 4)
    ]  # fmt: skip
    words = [fcmla(1, 2, rot, 1, 0, 2 + rot) for rot in range(4)]
    words += [fcadd(1, 2, rot, 3, 0, 6 + rot) for rot in range(2)]
    words += [fcmla_element(2, rot, rot & 1, 3, 1, 4) for rot in range(4)]
    compare(b"".join(w.to_bytes(4, "little") for w in words), machine)
