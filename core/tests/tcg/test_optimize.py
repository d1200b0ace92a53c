"""The optimizer and liveness preserve meaning: random programs, interpreted
before and after, end in the same CPU state."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.types import I64, Cond
from tcgkit.testing.ir_programs import Program, programs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_optimize_and_liveness_preserve_semantics(prog: Program) -> None:
    before = list(prog.state)
    interpret(prog.ctx.ops, before)
    ops_before = format_ops(prog.ctx.ops)
    optimize(prog.ctx)
    liveness(prog.ctx)
    after = list(prog.state)
    interpret(prog.ctx.ops, after)
    assert after == before, f"before:\n{ops_before}\nafter:\n{format_ops(prog.ctx.ops)}"


def _ctx() -> tuple[TCGContext, list]:
    t = TCGContext(32)
    g = [t.new_global(I64, 8 * i, f"g{i}") for i in range(4)]
    t.freeze()
    return t.clone("c"), g


def test_constant_folding_and_dead_code():
    ctx, g = _ctx()
    a = ctx.temp()
    ctx.movi(a, 6)
    b = ctx.temp()
    ctx.mul(b, a, 7)
    ctx.add(g[0], b, 0)
    unused = ctx.temp()
    ctx.xor(unused, g[1], g[2])
    ctx.exit_tb(0)
    optimize(ctx)
    liveness(ctx)
    assert format_ops(ctx.ops).splitlines() == [" mov_i64 g0,$0x2a", " exit_tb 0x0"]


def test_copy_propagation_and_identities():
    ctx, g = _ctx()
    t = ctx.temp()
    ctx.mov(t, g[1])
    ctx.and_(g[0], t, 0xFFFFFFFFFFFFFFFF)  # -> mov g0, g1
    ctx.sub(g[2], t, t)  # -> 0
    ctx.exit_tb(0)
    optimize(ctx)
    liveness(ctx)
    text = format_ops(ctx.ops)
    assert " mov_i64 g0,g1" in text
    assert " mov_i64 g2,$0x0" in text
    assert "and_i64" not in text and "sub_i64" not in text


def test_constant_branch_folds_and_unreachable_code_goes():
    ctx, g = _ctx()
    lab = ctx.label()
    ctx.brcond(Cond.EQ, ctx.const(I64, 3), 3, lab)
    ctx.movi(g[0], 1)  # unreachable
    ctx.set_label(lab)
    ctx.movi(g[1], 2)
    ctx.exit_tb(0)
    optimize(ctx)
    liveness(ctx)
    text = format_ops(ctx.ops)
    assert "brcond" not in text and "g0" not in text
    state = [0] * 4
    interpret(ctx.ops, state)
    assert state == [0, 2, 0, 0]


def test_global_written_before_memory_op_is_kept():
    from tcgkit.tcg.types import MemOp

    ctx, g = _ctx()
    ctx.movi(g[0], 1)  # must stay: the load may fault and the handler sees g0
    v = ctx.temp()
    ctx.emit("qemu_ld_i64", v, g[1], MemOp.MO_LEUQ, 0)
    ctx.movi(g[0], 2)
    ctx.mov(g[2], v)
    ctx.exit_tb(0)
    ops = copy.copy(ctx.ops)
    optimize(ctx)
    liveness(ctx)
    assert len(ctx.ops) == len(ops)
