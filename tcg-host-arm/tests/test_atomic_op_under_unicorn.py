"""``atomic_cmpxchg_i64`` lowered to A64 (an LDAXR / STLXR loop after the TLB probe),
under Unicorn: every size, a compare that matches and one that does not, on the fast
path (a TLB entry for writing) and on the slow path (the trapped slow_cmpxchg), with
registers live across the access kept; a misaligned address takes the slow path."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.native import layout as L
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.types import I64

PAGE = 0x7000
INDEX = (PAGE >> 12) & (L.TLB_SIZE - 1)


def program(log2: int) -> TCGContext:
    ctx = TCGContext(64)
    names = ("addr", "expected", "new", "out")
    addr, expected, new, out = (ctx.new_global(I64, 8 * i, n) for i, n in enumerate(names))
    keep = [ctx.new_global(I64, 32 + 8 * i, f"k{i}") for i in range(4)]
    ctx.freeze()
    temps = [ctx.temp() for _ in keep]  # live in registers across the access
    for t, k in zip(temps, keep, strict=True):
        ctx.add(t, k, 1)
    ctx.emit("atomic_cmpxchg_i64", out, addr, expected, new, log2, 0)
    for t, k in zip(temps, keep, strict=True):
        ctx.add(k, t, 1)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return ctx


@settings(max_examples=60, deadline=None)
@given(log2=st.integers(0, 3), slot=st.integers(0, 511), match=st.booleans(),
       new=st.integers(0, (1 << 64) - 1), fast=st.booleans())  # fmt: skip
def test_compare_and_swap(runner, log2: int, slot: int, match: bool, new: int,
                          fast: bool) -> None:  # fmt: skip
    n = 1 << log2
    off = slot * 8  # naturally aligned for every size
    ram = bytes((i * 7 + 3) & 0xFF for i in range(0x1000))
    runner.slow_memory[:] = bytes((i * 5 + 1) & 0xFF for i in range(0x10000))
    memory = ram if fast else bytes(runner.slow_memory[PAGE : PAGE + 0x1000])
    old = int.from_bytes(memory[off : off + n], "little")
    expected = old if match else old ^ 1
    tlb = ((INDEX, PAGE, PAGE, runner.RAM - PAGE),) if fast else ()
    runner.slow.clear()
    state = [PAGE + off, expected, new, 0xDEAD, 10, 20, 30, 40]
    assert runner.run(program(log2).ops, state, tlb, ram) == EXIT_LOOKUP
    assert state[3] == old
    assert state[4:] == [12, 22, 32, 42]
    assert bool(runner.slow) != fast
    after = runner.ram if fast else bytes(runner.slow_memory[PAGE : PAGE + 0x1000])
    want = (new & ((1 << 8 * n) - 1)).to_bytes(n, "little") if match else memory[off : off + n]
    assert after[off : off + n] == want
    assert after[:off] == memory[:off] and after[off + n :] == memory[off + n :]


def test_misaligned_takes_the_slow_path(runner) -> None:
    tlb = ((INDEX, PAGE, PAGE, runner.RAM - PAGE),)
    for addr, slow in ((PAGE + 8, False), (PAGE + 4, True), (PAGE + 1, True)):
        runner.slow.clear()
        runner.run(program(3).ops, [addr, 0, 0, 0, 0, 0, 0, 0], tlb, bytes(0x1000))
        assert bool(runner.slow) == slow, hex(addr)
