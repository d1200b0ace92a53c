"""The python host's bytecode assembler: what CPython is trusted with.

Each test builds code objects with ``bytecode.Assembler`` and runs them: arguments
above 255 (EXTENDED_ARG prefixes) on constants and locals, forward and backward
jumps, jumps too far for the two-unit form (refused as ``TBTooLarge``, which makes
the core halve the TB), the line table (every unit's line, read back through
``co_lines``), and the stack depth the code object declares."""

from __future__ import annotations

import types

import pytest
from tcgkit.host import TBTooLarge
from tcgkit_host_python import bytecode as bc

pytestmark = pytest.mark.skipif(not bc.SUPPORTED, reason="bytecode of CPython 3.11 only")


def _function(a: bc.Assembler) -> types.FunctionType:
    return types.FunctionType(a.code_object("f", "<test>"), {}, "f")


def test_many_constants_and_locals_take_extended_arguments() -> None:
    # x0 = 1000; x1 = x0 + 1001; ... 600 locals and constants: indices past 255
    a = bc.Assembler(("s",))
    names = [a.temp(i) for i in range(600)]
    a.load_int(1000)
    a.store_fast(names[0])
    for i in range(1, 600):
        a.load_fast(names[i - 1])
        a.load_int(1000 + i)
        a.binary(bc.NB_ADD)
        a.store_fast(names[i])
    a.load_fast(names[599])
    a.ret()
    assert _function(a)(None) == sum(range(1000, 1600))


def test_a_backward_jump_loops_and_a_forward_one_skips() -> None:
    # n = s; acc = 0; while n: acc += n; n -= 1 (backward jump); return acc
    a = bc.Assembler(("s",))
    n, acc = a.temp(0), a.temp(1)
    a.load_fast(0)
    a.store_fast(n)
    a.load_int(0)
    a.store_fast(acc)
    top, done = bc.Label(), bc.Label()
    a.place(top)
    a.load_fast(n)
    a.jump(done, False)  # forward, patched when done is placed
    a.load_fast(acc)
    a.load_fast(n)
    a.binary(bc.NB_ADD)
    a.store_fast(acc)
    a.load_fast(n)
    a.load_int(1)
    a.binary(bc.NB_SUB)
    a.store_fast(n)
    a.jump(top)  # backward
    a.place(done)
    a.load_fast(acc)
    a.ret()
    f = _function(a)
    assert [f(k) for k in (0, 1, 10, 300)] == [0, 1, 55, 45150]


@pytest.mark.parametrize("backward", [False, True])
def test_a_jump_beyond_sixteen_bits_is_a_tb_too_large(backward: bool) -> None:
    a = bc.Assembler(("s",))
    far = bc.Label()
    if backward:
        a.place(far)
    else:
        a.load_int(1)
        a.jump(far, True)
    for _ in range(34_000):  # two units each
        a.load_fast(0)
        a.store_fast(0)
    with pytest.raises(TBTooLarge):
        a.jump(far) if backward else a.place(far)


def test_the_line_table_gives_every_unit_its_line() -> None:
    a = bc.Assembler(("s",))
    want: dict[int, int] = {1: 1}  # RESUME
    for line in (2, 3, 3, 7, 5, 300, 301):
        a.set_line(line)
        for i in range(13):  # entries of up to 8 units, and long deltas
            a.load_int(i)
            a.store_fast(0)
        want[line] = want.get(line, 0) + 26
    a.load_int(0)
    a.ret()
    want[301] += 2
    got: dict[int, int] = {}
    for start, end, line in a.code_object("f", "<test>").co_lines():
        got[line] = got.get(line, 0) + (end - start) // 2
    assert got == want


def test_the_declared_stack_depth_is_the_deepest_reached() -> None:
    a = bc.Assembler(("s",))
    for i in range(9):
        a.load_int(i)
    for _ in range(8):
        a.binary(bc.NB_ADD)
    a.ret()
    code = a.code_object("f", "<test>")
    assert code.co_stacksize == 9
    assert types.FunctionType(code, {}, "f")(None) == 36


def test_a_branch_to_a_label_never_set_is_refused() -> None:
    from tcgkit.tcg.context import TCGContext
    from tcgkit.tcg.types import I64
    from tcgkit_host_python.conventions import CodegenError
    from tcgkit_host_python.lower import lower

    ctx = TCGContext(64)
    ctx.new_global(I64, 0, "r0")
    ctx.freeze()
    work = ctx.clone("test")
    work.insn_start(0)
    work.br(work.label())  # never set
    with pytest.raises(CodegenError, match="never sets"):
        lower(work.ops, "<test>")
