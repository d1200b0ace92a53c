"""Guest loads and stores lowered to A64, under Unicorn: the inline TLB fast
path for every size, sign and byte order (rev for big-endian), and the slow
path (the trapped slow_mem callback, with every caller-saved register kept)
for pages without an entry, accesses crossing into the next page and
misaligned ones under MO_ALIGN."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.native import layout as L
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.types import I32, I64, MemOp

PAGE = 0x7000
INDEX = (PAGE >> 12) & (L.TLB_SIZE - 1)


def program(memop: int, width: int, store: bool) -> TCGContext:
    ctx = TCGContext(64)
    ty = I64 if width == 64 else I32
    addr = ctx.new_global(I64, 0, "addr")
    val = ctx.new_global(ty, 8, "val")
    keep = [ctx.new_global(I64, 16 + 8 * i, f"k{i}") for i in range(4)]
    ctx.freeze()
    # values live in registers across the access: the slow path must keep them
    temps = [ctx.temp() for _ in keep]
    for t, k in zip(temps, keep, strict=True):
        ctx.add(t, k, 1)
    ctx.emit(f"qemu_st_{ty.suffix}" if store else f"qemu_ld_{ty.suffix}", val, addr, memop, 0)
    for t, k in zip(temps, keep, strict=True):
        ctx.add(k, t, 1)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return ctx


def _memop(size: int, sign: bool, be: bool) -> int:
    return size | (MemOp.MO_SIGN if sign else 0) | (MemOp.MO_BE if be else 0)


memops = st.builds(_memop, st.integers(0, 3), st.booleans(), st.booleans())


@settings(max_examples=150, deadline=None)
@given(memop=memops, off=st.integers(0, 4088), width=st.sampled_from([32, 64]),
       value=st.integers(0, (1 << 64) - 1), fast=st.booleans())  # fmt: skip
def test_loads_and_stores(runner, memop: int, off: int, width: int, value: int,
                          fast: bool) -> None:  # fmt: skip
    size = 1 << (memop & 3)
    if size * 8 > width:
        return
    ram = bytes(range(256)) * 16
    runner.slow_memory[:] = bytes(reversed(range(256))) * 256
    tlb = ((INDEX, PAGE, PAGE, runner.RAM - PAGE),) if fast else ()
    before = ram if fast else bytes(runner.slow_memory[PAGE : PAGE + 0x1000])
    runner.slow.clear()
    state = [PAGE + off, 0xDEAD, 10, 20, 30, 40, 0, 0]
    assert runner.run(program(memop, width, False).ops, state, tlb, ram) == EXIT_LOOKUP
    order = "big" if memop & MemOp.MO_BE else "little"
    want = int.from_bytes(before[off : off + size], order, signed=bool(memop & MemOp.MO_SIGN))
    assert state[1] == want & ((1 << width) - 1)
    assert state[2:6] == [12, 22, 32, 42]  # registers live across the access survive
    assert bool(runner.slow) != fast
    st_memop = memop & ~MemOp.MO_SIGN
    state = [PAGE + off, value & ((1 << width) - 1), 10, 20, 30, 40, 0, 0]
    runner.run(program(st_memop, width, True).ops, state, tlb, ram)
    written = (value & ((1 << 8 * size) - 1)).to_bytes(size, order)
    after = runner.ram if fast else bytes(runner.slow_memory[PAGE : PAGE + 0x1000])
    assert after[off : off + size] == written
    assert after[:off] == before[:off] and after[off + size :] == before[off + size :]
    assert state[2:6] == [12, 22, 32, 42]


def test_crossing_and_misaligned_accesses_leave_the_fast_path(runner) -> None:
    ram = bytes(0x1000)
    tlb = ((INDEX, PAGE, PAGE, runner.RAM - PAGE),)
    for addr, memop, slow in ((PAGE + 8, MemOp.MO_LEUQ, False),
                              (PAGE + 4092, MemOp.MO_LEUQ, True),
                              (PAGE + 4, MemOp.MO_LEUQ | MemOp.MO_ALIGN, True),
                              (PAGE + 8, MemOp.MO_LEUQ | MemOp.MO_ALIGN, False)):  # fmt: skip
        runner.slow.clear()
        runner.run(program(memop, 64, False).ops, [addr, 0, 0, 0, 0, 0, 0, 0], tlb, ram)
        assert bool(runner.slow) == slow, (hex(addr), memop)
