"""The slow path's second-level TLB probe, lowered to A64, under Unicorn: a
first-level miss whose second-level entry (``tcgkit.native.layout``) matches
is served without calling ``slow_mem``: the entry's three words are copied into
the first level, the refill counter moves, the access completes through the
refilled addend for every size, sign and byte order, and every register live
across the access (callee- and caller-saved alike) survives. A second-level
miss (an invalid tag, a page aliasing the slot, a write to a read-only page,
a page-crossing access, a misaligned one under MO_ALIGN) still reaches the
callback and leaves the first level alone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.native import layout as L
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.types import I32, I64, MemOp

PAGE = 0x1234_5000  # its second-level slot has index bits above the first level's
GPAGE = PAGE >> 12
INDEX = GPAGE & (L.TLB_SIZE - 1)
SLOT = GPAGE & (L.L2_SIZE - 1)
INVALID = L.INVALID_TAG
KEEP = 23  # values live across the access: every allocatable register holds one
STALE = (0x0BAD_0000 | INDEX) << 12  # another page of the same first-level index


def program(memops: list[tuple[int, bool, int]], width: int = 64) -> TCGContext:
    """Accesses (memop, store, address global) with KEEP values live across all of
    them; globals: 0-1 addresses, 2 the loaded / stored value, 3.. the kept values."""
    ctx = TCGContext(8 * (3 + KEEP))
    ty = I64 if width == 64 else I32
    addrs = [ctx.new_global(I64, 8 * i, f"a{i}") for i in range(2)]
    val = ctx.new_global(ty, 16, "val")
    keep = [ctx.new_global(I64, 24 + 8 * i, f"k{i}") for i in range(KEEP)]
    ctx.freeze()
    temps = [ctx.temp() for _ in keep]
    for t, k in zip(temps, keep, strict=True):
        ctx.add(t, k, 1)
    for memop, store, a in memops:
        name = f"qemu_st_{ty.suffix}" if store else f"qemu_ld_{ty.suffix}"
        ctx.emit(name, val, addrs[a], memop, 0)
    for t, k in zip(temps, keep, strict=True):
        ctx.add(k, t, 1)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return ctx


def state(addr0: int, value: int = 0, addr1: int = 0) -> list[int]:
    return [addr0, addr1, value, *(1000 * i for i in range(KEEP))]


def check_kept(s: list[int]) -> None:
    assert s[3:] == [1000 * i + 2 for i in range(KEEP)], "a live register was clobbered"


def _memop(size: int, sign: bool, be: bool) -> int:
    return size | (MemOp.MO_SIGN if sign else 0) | (MemOp.MO_BE if be else 0)


memops = st.builds(_memop, st.integers(0, 3), st.booleans(), st.booleans())


@settings(max_examples=80, deadline=None)
@given(memop=memops, off=st.integers(0, 4088), width=st.sampled_from([32, 64]),
       value=st.integers(0, (1 << 64) - 1), stale=st.booleans())  # fmt: skip
def test_a_second_level_hit_is_served_without_the_callback(
    runner, memop: int, off: int, width: int, value: int, stale: bool
) -> None:
    size = 1 << (memop & 3)
    if size * 8 > width:
        return
    addend = (runner.RAM - PAGE) % (1 << 64)
    l2 = ((SLOT, PAGE, PAGE, addend),)
    # the first level holds nothing, or another page of the same index
    tlb = ((INDEX, STALE, STALE, 0x5000),) if stale else ()
    ram = bytes(range(256)) * 16
    order = "big" if memop & MemOp.MO_BE else "little"
    runner.slow.clear()
    s = state(PAGE + off)
    assert runner.run(program([(memop, False, 0)], width).ops, s, tlb, ram, l2=l2) == EXIT_LOOKUP
    assert runner.slow == []
    want = int.from_bytes(ram[off : off + size], order, signed=bool(memop & MemOp.MO_SIGN))
    assert s[2] == want & ((1 << width) - 1)
    assert runner.refills == 1
    assert runner.tlb[INDEX] == (PAGE, PAGE, addend)
    check_kept(s)

    st_memop = memop & ~MemOp.MO_SIGN
    s = state(PAGE + off, value & ((1 << width) - 1))
    runner.run(program([(st_memop, True, 0)], width).ops, s, tlb, ram, l2=l2)
    assert runner.slow == []
    written = (value & ((1 << 8 * size) - 1)).to_bytes(size, order)
    assert runner.ram == ram[:off] + written + ram[off + size :]
    assert runner.refills == 1
    assert runner.tlb[INDEX] == (PAGE, PAGE, addend)
    check_kept(s)


def test_refills_count_every_first_level_miss(runner) -> None:
    """A load refills; a store to the same page then hits the first level; a page of
    the same first-level index refills over it, and the first page again."""
    other = PAGE + (L.TLB_SIZE << 12)  # the same first-level index, another slot
    l2 = ((SLOT, PAGE, PAGE, runner.RAM - PAGE),
          ((other >> 12) & (L.L2_SIZE - 1), other, other, runner.RAM + 0x1000 - other))  # fmt: skip
    ram = bytes(range(256)) * 32
    ops = program([(MemOp.MO_LEUQ, False, 0), (MemOp.MO_LEUQ, True, 0),
                   (MemOp.MO_LEUQ, True, 1), (MemOp.MO_LEUQ, False, 0)]).ops  # fmt: skip
    runner.slow.clear()
    s = state(PAGE + 16, 0, other + 24)
    runner.run(ops, s, (), ram, l2=l2)
    assert runner.slow == []
    assert runner.refills == 3
    assert runner.tlb[INDEX] == (PAGE, PAGE, (runner.RAM - PAGE) % (1 << 64))
    want = ram[16:24]  # loaded from the first page, stored to both
    assert runner.ram == ram[:0x1018] + want + ram[0x1020:]
    assert s[2] == int.from_bytes(want, "little")
    check_kept(s)


def test_a_read_only_page_refills_loads_only(runner) -> None:
    l2 = ((SLOT, PAGE, INVALID, runner.RAM - PAGE),)
    ram = bytes(range(256)) * 16
    runner.slow.clear()
    s = state(PAGE + 8)
    runner.run(program([(MemOp.MO_LEUL, False, 0)]).ops, s, (), ram, l2=l2)
    assert (runner.slow, runner.refills, s[2]) == ([], 1, 0x0B0A0908)
    assert runner.tlb[INDEX] == (PAGE, INVALID, (runner.RAM - PAGE) % (1 << 64))
    s = state(PAGE + 8, 0x1122)
    runner.run(program([(MemOp.MO_LEUL, True, 0)]).ops, s, (), ram, l2=l2)
    assert runner.slow == [(PAGE + 8, 0x1122, MemOp.MO_LEUL | L.STORE_FLAG)]
    assert runner.refills == 0 and runner.tlb[INDEX][:2] == (INVALID, INVALID)
    assert runner.ram == ram  # the store went to the callback
    check_kept(s)


def test_second_level_misses_reach_the_callback(runner) -> None:
    addend = (runner.RAM - PAGE) % (1 << 64)
    alias = PAGE + (L.L2_SIZE << 12)  # the same second-level slot, another page
    valid = ((SLOT, PAGE, PAGE, addend), (SLOT + 1, PAGE + 0x1000, PAGE + 0x1000, addend))
    cases = [
        ((), PAGE + 8, MemOp.MO_LEUQ),  # invalid tags
        (valid, alias + 8, MemOp.MO_LEUQ),  # the slot holds another page
        (valid, PAGE + 4092, MemOp.MO_LEUQ),  # crosses into the next page
        (valid, PAGE + 4095, MemOp.MO_LEUW),
        (valid, PAGE + 4, MemOp.MO_LEUQ | MemOp.MO_ALIGN),  # misaligned
        (valid, PAGE + 2, MemOp.MO_LEUL | MemOp.MO_ALIGN),
        (valid, PAGE + 1, MemOp.MO_LEUW | MemOp.MO_ALIGN),
    ]
    for l2, addr, memop in cases:
        for store in (False, True):
            runner.slow.clear()
            s = state(addr, 0x55)
            runner.run(program([(memop, store, 0)]).ops, s, (), bytes(0x2000), l2=l2)
            flag = L.STORE_FLAG if store else 0
            assert [(a, m) for a, _, m in runner.slow] == [(addr, memop | flag)], hex(addr)
            assert runner.refills == 0
            assert runner.tlb[INDEX][:2] == (INVALID, INVALID)
            check_kept(s)
    # the same accesses, aligned and within the page, are refilled
    for addr, memop in ((PAGE + 8, MemOp.MO_LEUQ | MemOp.MO_ALIGN), (PAGE + 4088, MemOp.MO_LEUQ)):
        runner.slow.clear()
        runner.run(program([(memop, False, 0)]).ops, state(addr), (), bytes(0x2000), l2=valid)
        assert (runner.slow, runner.refills) == ([], 1)
