"""The IEEE flags of float ops, kept in the host's FPSR (``tcgkit_host_arm.fpsr``),
under Unicorn's AArch64 CPU: random programs of float ops (operands at the edges:
NaNs signalling and quiet, infinities, the largest finite, subnormals) leave in the
image generated code saves at its exit, with what the ties-away ops computed in
Python ORed in, exactly the flags the reference interpreter computes (``fpflags``),
whatever the caller's FPSR held before (restored at the exit) and whatever Python's
own float arithmetic left there during a call (dropped by the reload after it)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.fpflags import DZC, IOC, IXC, OFC, RAISING, UFC
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.types import RoundingMode
from tcgkit.testing.ir_programs import NSLOTS, Program, programs, template
from tcgkit_host_arm.fpsr import FLAG_MASK

FLOAT_BASES = {n.rsplit("_", 1)[0] for n in RAISING} | {"fneg", "fabs", "fclass"}
FLAGS_AT = 8 * NSLOTS  # the flags word: one slot past the program's globals


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(prog=programs(max_ops=12, op_filter=lambda d: d.base in FLOAT_BASES),
       caller=st.sampled_from([0, 0x9F, 0x0800_0010]))  # fmt: skip
def test_fpsr_accumulates_the_flags_the_interpreter_computes(runner, prog: Program,
                                                             caller: int) -> None:  # fmt: skip
    expect = [*prog.state, 0]
    want_exit = interpret(prog.ctx.ops, expect, fp_flags_offset=FLAGS_AT)
    optimize(prog.ctx)
    liveness(prog.ctx)
    got = list(prog.state)
    runner.caller_fpsr = caller
    try:
        got_exit = runner.run(prog.ctx.ops, got)
    finally:
        runner.caller_fpsr = 0
    flags = runner.fp_image & FLAG_MASK | runner.py_flags
    assert (got_exit, got, flags) == (want_exit, expect[:-1], expect[-1]), format_ops(prog.ctx.ops)


F64_MAX, F64_MIN_SUB, ONE, HALF = 0x7FEFFFFFFFFFFFFF, 1, 0x3FF0000000000000, 0x3FE0000000000000
SNAN, QNAN, ZERO, THREE = 0x7FF0000000000001, 0x7FF8000000000000, 0, 0x4008000000000000
#: one double-precision op each, and the flags Arm (and so the IR) gives it: every
#: flag, whether or not the random programs above happen to raise it
ONE_OP_EACH = [
    ("fdiv", (ONE, ZERO), DZC),
    ("fdiv", (ONE, THREE), IXC),
    ("fmul", (F64_MAX, F64_MAX), OFC | IXC),
    ("fmul", (F64_MIN_SUB, HALF), UFC | IXC),
    ("fadd", (SNAN, ONE), IOC),
    ("fadd", (QNAN, ONE), 0),
    ("fsub", (ONE, ONE), 0),
]


@pytest.mark.parametrize(("name", "ins", "flags"), ONE_OP_EACH)
def test_each_flag_from_one_op(runner, name: str, ins: tuple[int, int], flags: int) -> None:
    ctx = template()[0].clone("test")
    out = ctx.globals[0]
    getattr(ctx, name)(out, *ins, int(RoundingMode.NEAREST_EVEN))
    ctx.exit_tb(0)
    expect = [0] * (NSLOTS + 1)
    interpret(ctx.ops, expect, fp_flags_offset=FLAGS_AT)
    assert expect[-1] == flags  # the reference agrees with the table
    got = [0] * NSLOTS
    runner.run(ctx.ops, got)
    assert (got, runner.fp_image & FLAG_MASK) == (expect[:-1], flags)
