"""The register allocator on a model backend: random IR programs, allocated
under register pressure and constraints (two-address forms, fixed shift-count
and division registers, immediates), run on a model machine end in the same
state as the reference interpreter; syncing rules hold around calls."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.ir import Helper, Op
from tcgkit.tcg.liveness import SYNC_ONLY, liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.regalloc import Insn, OpConstraint, RegisterFile, allocate, describe, simulate
from tcgkit.tcg.semantics import cond_holds, evaluate_op
from tcgkit.tcg.types import I32, I64, CallFlags, Cond
from tcgkit.testing.ir_programs import Program, programs

TWO_ADDRESS = {"add", "sub", "and", "or", "xor", "andc", "orc", "eqv", "nand", "nor", "mul"}
SHIFTS = {"shl", "shr", "sar", "rotl", "rotr"}
DIVS = {"div", "divu", "rem", "remu"}


class ModelBackend:
    """A small register file with x86-like constraints."""

    def __init__(self, nregs: int, callee_saved_first: bool = False) -> None:
        names = tuple(f"r{i}" for i in range(nregs))
        order = tuple(reversed(range(nregs))) if callee_saved_first else tuple(range(nregs))
        self.regs = RegisterFile(names, order, frozenset({0, 1}))

    def constraint(self, op: Op) -> OpConstraint:
        base = op.defn.base
        if op.opc == "call":
            return OpConstraint(("r0",) * op.n_out, tuple(f"r{i}" for i in range(op.n_in)))
        if base in TWO_ADDRESS:
            return OpConstraint(("0",), ("r", "ri"))
        if base in SHIFTS:
            return OpConstraint(("0",), ("r", "r2"))
        if base in DIVS:
            return OpConstraint(("r0",), ("r0", "r"), ("r1",))
        if base in ("mulu2", "muls2"):
            return OpConstraint(("r0", "r1"), ("r0", "r"))
        return OpConstraint(("r",) * op.n_out, ("r",) * op.n_in)

    def imm_ok(self, op: Op, index: int, value: int) -> bool:
        return value < 4096


def run_allocated(ops: list[Op], state: list[int], nregs: int) -> int:
    try:
        alloc = allocate(ops, ModelBackend(nregs))
    except RuntimeError as e:
        raise AssertionError(f"{e}\n{format_ops(ops)}") from e

    def evaluate(op: Op, vals: list[int]) -> list[int]:
        d = op.defn
        w = d.type.value if d.type is not None else 64
        return evaluate_op(op.opc, d.base, w, tuple(vals), tuple(op.consts))

    check_register_discipline(alloc.insns)
    return simulate(alloc, state, evaluate, cond_holds)


def check_register_discipline(insns: list[Insn]) -> None:
    for i in insns:
        if i[0] == "op" and i[2]:
            assert len(set(i[2])) == len(i[2]), "two outputs in one register"


@pytest.mark.parametrize("nregs", [4, 6, 8])
@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(prog=programs(max_ops=28))
def test_allocated_code_computes_what_the_interpreter_does(prog: Program, nregs: int) -> None:
    expect = list(prog.state)
    want_exit = interpret(prog.ctx.ops, expect)
    ctx = prog.ctx
    optimize(ctx)
    liveness(ctx)
    got = list(prog.state)
    got_exit = run_allocated(copy.copy(ctx.ops), got, nregs)
    assert (got_exit, got) == (want_exit, expect), format_ops(ctx.ops)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(progs=st.lists(programs(max_ops=20), min_size=2, max_size=4))
def test_a_reused_register_list_gives_the_same_allocation_and_is_left_all_free(
    progs: list[Program],
) -> None:
    """``allocate``'s ``reg_of``: one list kept from TB to TB (the context's) gives the
    allocation a fresh list gives, and is all -1 again afterwards."""
    reg_of: list[int] = []
    for prog in progs:
        ctx = prog.ctx
        optimize(ctx)
        liveness(ctx)
        fresh = allocate(copy.copy(ctx.ops), ModelBackend(6), ctx.n_index)
        reused = allocate(copy.copy(ctx.ops), ModelBackend(6), ctx.n_index, reg_of=reg_of)
        assert [describe(i) for i in reused.insns] == [describe(i) for i in fresh.insns]
        assert len(reg_of) >= ctx.n_index
        assert set(reg_of) <= {-1}


def test_an_op_needing_more_registers_than_free_spills_its_live_inputs() -> None:
    # found by hypothesis: add2 with four inputs that all stay live (a global and three
    # TB temps) and two outputs, on four registers: inputs give up their registers once
    # their memory homes are written
    t = TCGContext(16)
    g = t.new_global(I32, 0, "h0")
    t.freeze()
    ctx = t.clone("c")
    a, b, c, lo, hi = (ctx.temp(I32, local=True) for _ in range(5))
    ctx.movi(g, 0x89ABCDEF)
    ctx.emit("add2_i32", a, b, 0, g, g, g)
    ctx.neg(c, g)
    ctx.emit("add2_i32", lo, hi, g, a, b, c)  # a, b, c stay live: TB temps, a BB ends below
    done = ctx.label()
    ctx.brcond(Cond.NEVER, g, g, done)
    ctx.set_label(done)
    ctx.add(g, lo, hi)
    ctx.add(g, g, a)
    ctx.exit_tb(0)
    expect = [0, 0]
    want_exit = interpret(ctx.ops, expect)
    liveness(ctx)
    got = [0, 0]
    assert run_allocated(copy.copy(ctx.ops), got, 4) == want_exit
    assert got == expect


def _ctx() -> tuple[TCGContext, list]:
    t = TCGContext(32)
    g = [t.new_global(I64, 8 * i, f"g{i}") for i in range(4)]
    t.freeze()
    return t.clone("c"), g


def test_dirty_globals_are_stored_before_a_helper_that_reads_them_and_dropped_after() -> None:
    ctx, g = _ctx()
    ctx.add(g[0], g[1], 5)
    helper = Helper("h", lambda cpu: None, CallFlags.NONE)
    ctx.call(helper, None)
    ctx.add(g[2], g[0], 1)
    ctx.exit_tb(0)
    liveness(ctx)
    insns = allocate(ctx.ops, ModelBackend(4)).insns
    kinds = [describe(i) for i in insns]
    call_at = kinds.index(("op", "call"))
    assert ("store", "g0") in kinds[:call_at]  # stored for the helper to read
    assert ("load", "g0") in kinds[call_at:]  # reloaded: the helper may have written it


def test_no_read_no_write_helper_keeps_globals_in_registers() -> None:
    ctx, g = _ctx()
    ctx.add(g[0], g[1], 5)
    helper = Helper("h", lambda cpu: None, CallFlags.NO_RWG)
    ctx.call(helper, None)
    ctx.add(g[3], g[1], 1)
    ctx.exit_tb(0)
    liveness(ctx)
    insns = allocate(ctx.ops, ModelBackend(6, callee_saved_first=True)).insns
    kinds = [describe(i) for i in insns]
    call_at = kinds.index(("op", "call"))
    assert ("store", "g0") not in kinds[:call_at]
    assert ("load", "g1") not in kinds[call_at:]  # g1 stayed in a callee-saved register


def test_values_in_call_clobbered_registers_survive_the_call() -> None:
    ctx, g = _ctx()
    ctx.add(g[0], g[1], 5)
    ctx.call(Helper("h", lambda cpu: None, CallFlags.NO_RWG), None)
    ctx.add(g[2], g[0], 1)
    ctx.exit_tb(0)
    liveness(ctx)
    insns = allocate(ctx.ops, ModelBackend(6)).insns  # r0, r1 first: the clobbered ones
    kinds = [describe(i) for i in insns]
    call_at = kinds.index(("op", "call"))
    assert ("store", "g0") in kinds[:call_at]  # saved from its clobbered register
    assert ("load", "g0") in kinds[call_at:]


def _flags_block(ctx: TCGContext, g: list, read_later: bool) -> None:
    """``subs``' shape: g1 = g0 - 1, g2 (a flag) and g0 copies of it, a branch on g1;
    with ``read_later`` g2 is read again in the same block."""
    ctx.sub(g[1], g[0], 1)
    ctx.mov(g[2], g[1])
    ctx.mov(g[0], g[1])
    if read_later:
        ctx.add(g[3], g[2], 7)
    taken = ctx.label()
    ctx.brcond(Cond.NE, g[1], 0, taken)
    ctx.exit_tb(0)
    ctx.set_label(taken)
    ctx.add(g[3], g[2], 1)  # read in another block: loaded from its home there
    ctx.exit_tb(1)


@pytest.mark.parametrize("start", [1, 5])
def test_a_copy_to_a_global_no_op_reads_in_its_block_is_stored_from_its_source(start: int) -> None:
    ctx, g = _ctx()
    _flags_block(ctx, g, read_later=False)
    expect = [start, 0, 0, 0]
    want_exit = interpret(ctx.ops, expect)
    liveness(ctx)
    moves = [op for op in ctx.ops if op.opc == "mov_i64"]
    assert len(moves) == 2 and all(op.life & SYNC_ONLY for op in moves)
    insns = allocate(ctx.ops, ModelBackend(6)).insns
    kinds = [describe(i) for i in insns]
    branch = kinds.index(("op", "brcond_i64"))
    assert ("mov", "") not in kinds[:branch]  # neither copy takes a register of its own
    sub = next(i for i in insns if i[0] == "op" and i[1].opc == "sub_i64")
    stored = {i[2].name: i[1] for i in insns[:branch] if i[0] == "store"}
    assert stored["g2"] == stored["g0"] == sub[2][0]  # both from the difference's register
    got = [start, 0, 0, 0]
    assert run_allocated(copy.copy(ctx.ops), got, 6) == want_exit
    assert got == expect


def test_a_copy_read_again_in_its_block_keeps_a_register() -> None:
    ctx, g = _ctx()
    _flags_block(ctx, g, read_later=True)
    expect = [9, 0, 0, 0]
    want_exit = interpret(ctx.ops, expect)
    liveness(ctx)
    copies = {op.args[0].name: op for op in ctx.ops if op.opc == "mov_i64"}
    assert not copies["g2"].life & SYNC_ONLY  # g2 is read by the add before the branch
    assert copies["g0"].life & SYNC_ONLY
    got = [9, 0, 0, 0]
    assert run_allocated(copy.copy(ctx.ops), got, 4) == want_exit
    assert got == expect
