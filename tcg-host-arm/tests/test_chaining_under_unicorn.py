"""Control transfer between TBs in A64, under Unicorn: a goto_tb site falls
through to its exit until patched with ``b`` to another TB's entry; goto_ptr
finds the next TB through the inline jump-cache probe, and exits to look it
up on a miss, a pc equal to the run's ``until``, or a TB-flags key mismatch."""

from __future__ import annotations

import struct

from tcgkit.native import layout as L
from tcgkit.native.backend import Runtime
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP, EXIT_REQUESTED
from tcgkit.tcg.types import I64
from tcgkit_host_arm.backend import branch_word

CODE = 0x100000
TB1 = CODE + 0x1000  # where the runner places the TB under test
TB2 = CODE + 0x8000  # a second TB, placed by hand


def second_tb(runner):
    """A TB with id 7 that sets g1 = 0x77 and exits with EXIT_REQUESTED."""
    ctx = TCGContext(64)
    g = [ctx.new_global(I64, 8 * i, f"g{i}") for i in range(4)]
    ctx.freeze()
    ctx.movi(g[1], 0x77)
    ctx.emit("exit_tb", EXIT_REQUESTED)
    return runner.code(ctx.ops, tb_id=7)


def goto_tb_program():
    ctx = TCGContext(64)
    g = [ctx.new_global(I64, 8 * i, f"g{i}") for i in range(4)]
    ctx.freeze()
    ctx.movi(g[2], 5)
    ctx.emit("goto_tb", 0)
    ctx.movi(g[3], 9)
    ctx.emit("exit_tb", 0)
    return ctx


def test_goto_tb_falls_through_then_jumps_once_patched(runner) -> None:
    ctx = goto_tb_program()
    out = runner.code(ctx.ops)
    other = second_tb(runner)
    state = [0] * 8
    assert runner.run(ctx.ops, state, extra={TB2: other.code}) == 0
    assert state[2:4] == [5, 9] and state[1] == 0
    site = out.goto_tb[0]
    patched = bytearray(out.code)
    struct.pack_into("<I", patched, site, branch_word(TB1 + site, TB2))
    state = [0] * 8
    runner.run(ctx.ops, state, extra={TB2: other.code, TB1: bytes(patched)})
    assert runner.exit_word == 7 << L.EXIT_SHIFT | EXIT_REQUESTED
    assert state[1] == 0x77 and state[2] == 5 and state[3] == 0  # globals stored first


def test_goto_tb_beyond_branch_range_goes_through_the_far_stub(runner) -> None:
    ctx = goto_tb_program()
    out = runner.code(ctx.ops)
    other = second_tb(runner)
    far_tb = TB1 + 0x9000000  # 144 MiB away: out of a b's range
    site, stub = out.goto_tb[0], out.far[0]
    assert stub is not None and (TB1 + stub + 8) % 8 == 0
    patched = bytearray(out.code)
    struct.pack_into("<Q", patched, stub + 8, far_tb)  # the literal first
    struct.pack_into("<I", patched, site, branch_word(TB1 + site, TB1 + stub))
    state = [0] * 8
    runner.run(ctx.ops, state, extra={far_tb: other.code, TB1: bytes(patched)})
    assert runner.exit_word == 7 << L.EXIT_SHIFT | EXIT_REQUESTED
    assert state[1] == 0x77 and state[2] == 5 and state[3] == 0


def goto_ptr_program():
    ctx = TCGContext(64)
    g = [ctx.new_global(I64, 8 * i, f"g{i}") for i in range(4)]
    ctx.freeze()
    ctx.goto_ptr(g[0])
    return ctx


def jc_index(pc: int) -> int:
    return (pc >> 2 ^ pc >> (2 + L.JC_BITS)) & (L.JC_SIZE - 1)


def test_goto_ptr_probes_the_jump_cache(runner) -> None:
    other = second_tb(runner)
    pc = 0x412340
    entry = (jc_index(pc), pc, 0, TB2)
    ctx = goto_ptr_program()
    state = [pc] + [0] * 7
    runner.run(ctx.ops, state, jc=(entry,), extra={TB2: other.code})
    assert runner.exit_word == 7 << L.EXIT_SHIFT | EXIT_REQUESTED and state[1] == 0x77
    for kwargs in ({"jc": ((jc_index(pc), pc + 4, 0, TB2),)},  # another pc cached there
                   {"jc": (entry,), "until": pc}):  # the run ends at this pc  # fmt: skip
        state = [pc] + [0] * 7
        assert runner.run(ctx.ops, state, extra={TB2: other.code}, **kwargs) == EXIT_LOOKUP
        assert state[1] == 0


def test_goto_ptr_compares_the_tb_flags_key(runner) -> None:
    saved = runner.rt
    runner.rt = Runtime(saved.slow_mem, saved.py_op, saved.py_op_index, (24, 3 << 22))
    try:
        other = second_tb(runner)
        pc = 0x400000
        ctx = goto_ptr_program()
        for fpcr, hit in ((1 << 22, True), (2 << 22, False), (1 << 22 | 1 << 25, True)):
            state = [pc, 0, 0, fpcr, 0, 0, 0, 0]
            runner.run(ctx.ops, state, jc=((jc_index(pc), pc, 1 << 22, TB2),),
                       extra={TB2: other.code})  # fmt: skip
            assert (state[1] == 0x77) == hit, hex(fpcr)
    finally:
        runner.rt = saved
