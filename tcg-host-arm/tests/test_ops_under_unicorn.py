"""Every IR value op, with random operands, computes under Unicorn's AArch64 CPU
what the reference interpreter (and so the python host) computes: random
programs (integer and float ops, edge constants, forward branches) lowered to
A64 after the optimizer and executed; ties-away float ops go through the
trapped py_op callback."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.testing.ir_programs import Program, programs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(prog=programs(max_ops=32))
def test_a64_code_matches_the_interpreter(runner, prog: Program) -> None:
    expect = list(prog.state)
    want_exit = interpret(prog.ctx.ops, expect)
    optimize(prog.ctx)
    liveness(prog.ctx)
    got = list(prog.state)
    got_exit = runner.run(prog.ctx.ops, got)
    assert (got_exit, got) == (want_exit, expect), format_ops(prog.ctx.ops)
