"""The Python host's generated code computes what the reference interpreter
computes: random IR programs (every value op, edge constants, forward
branches) run both ways from the same CPU state, before and after the
optimizer, and end in the same state with the same exit value."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.testing.ir_programs import Program, programs
from tcgkit_host_python.codegen import generate


def run_generated(ops: list, state: list[int]) -> int:
    gen = generate(ops)
    namespace = dict(gen.bindings)
    exec(compile(gen.source, "<test>", "exec"), namespace)
    return namespace["tb"](state, None)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_ops=32))
def test_generated_code_matches_the_interpreter(prog: Program) -> None:
    expect = list(prog.state)
    want_exit = interpret(prog.ctx.ops, expect)
    got = list(prog.state)
    got_exit = run_generated(prog.ctx.ops, got)
    assert (got_exit, got) == (want_exit, expect), format_ops(prog.ctx.ops)
    optimize(prog.ctx)
    liveness(prog.ctx)
    got = list(prog.state)
    got_exit = run_generated(prog.ctx.ops, got)
    assert (got_exit, got) == (want_exit, expect), format_ops(prog.ctx.ops)
