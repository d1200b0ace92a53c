"""The Python host's generated code computes what the reference interpreter
computes: random IR programs (every value op, edge constants, forward
branches) run both ways from the same CPU state, before and after the
optimizer, and end in the same state with the same exit value; for both of
its lowerings (bytecode assembled by ``lower``, source compiled from
``codegen``)."""

from __future__ import annotations

import types

import pytest
from hypothesis import HealthCheck, given, settings
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.testing.ir_programs import Program, programs
from tcgkit_host_python.bytecode import SUPPORTED
from tcgkit_host_python.codegen import generate
from tcgkit_host_python.lower import lower


def run_source(ops: list, state: list[int]) -> int:
    gen = generate(ops)
    namespace = dict(gen.bindings)
    exec(compile(gen.source, "<test>", "exec"), namespace)
    return namespace["tb"](state, None)


def run_bytecode(ops: list, state: list[int]) -> int:
    fn = types.FunctionType(lower(ops, "<test>"), {}, "tb", (None,))
    return fn(state, None)


LOWERINGS = {"source": run_source}
if SUPPORTED:  # CPython 3.11 (elsewhere the host generates source alone)
    LOWERINGS["bytecode"] = run_bytecode


@pytest.mark.parametrize("lowering", sorted(LOWERINGS))
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(prog=programs(max_ops=32))
def test_generated_code_matches_the_interpreter(lowering: str, prog: Program) -> None:
    run_generated = LOWERINGS[lowering]
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
