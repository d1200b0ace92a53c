"""Tier 0 computes what the reference interpreter computes: random IR programs
(every value op, edge constants, forward branches), prepared for the tier-0
interpreter, run from the same CPU state before and after the optimizer, end in
the same state with the same exit value."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from tcgkit.exec.cpu import CPU
from tcgkit.exec.tier0 import prepare, run_tb
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.testing.ir_programs import Program, programs


class _Host:
    """The part of a host backend a vCPU asks for when it is made: its state is
    the program's list of slots."""

    def __init__(self, state: list[int]) -> None:
        self.state = state

    def new_state(self, nslots: int) -> list[int]:
        return self.state

    def attach(self, cpu: CPU) -> None:
        pass


class _Engine:
    def __init__(self, state: list[int]) -> None:
        self.host = _Host(state)


def run_tier0(prog: Program, state: list[int]) -> int:
    """A real vCPU over ``state`` (run_tb reads its words, TLB and instruction index;
    the TB touches no guest memory)."""
    ctx = prog.ctx
    cpu = CPU(_Engine(state), 0, ctx)  # type: ignore[arg-type]
    return run_tb(cpu, prepare(ctx.ops, len(ctx.globals), len(ctx.temps)))


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
