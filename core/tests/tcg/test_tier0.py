"""Tier 0 computes what the reference interpreter computes: random IR programs
(every value op, edge constants, forward branches), prepared for the tier-0
interpreter, run from the same CPU state before and after the optimizer, end in
the same state with the same exit value."""

from __future__ import annotations

from collections.abc import MutableSequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from tcgkit.exec.tier0 import run_tb
from tcgkit.exec.tier0_program import prepare
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.testing.ir_programs import Program, programs


class _TLB:
    entries: list[Any] = []


class _VCPU:
    """What ``run_tb`` uses of a vCPU (``tier0.RunsTier0``) when the TB touches no
    guest memory: the program's slots as its state."""

    def __init__(self, state: list[int]) -> None:
        self.words: MutableSequence[int] = state
        self.tlb = _TLB()
        self.interp_insn = 0

    def read_state(self, offset: int, nbytes: int) -> int:
        raise AssertionError("the programs have no env loads")

    def write_state(self, offset: int, nbytes: int, value: int) -> None:
        raise AssertionError("the programs have no env stores")


def run_tier0(prog: Program, state: list[int]) -> int:
    ctx = prog.ctx
    return run_tb(_VCPU(state), prepare(ctx.ops, len(ctx.globals), len(ctx.temps)))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_ops=32))
def test_tier0_matches_the_reference_interpreter(prog: Program) -> None:
    expect = list(prog.state)
    want_exit = interpret(prog.ctx.ops, expect)
    got = list(prog.state)
    assert (run_tier0(prog, got), got) == (want_exit, expect), format_ops(prog.ctx.ops)
    optimize(prog.ctx)
    liveness(prog.ctx)
    got = list(prog.state)
    assert (run_tier0(prog, got), got) == (want_exit, expect), format_ops(prog.ctx.ops)
