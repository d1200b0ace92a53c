"""Every IR op, with random operands, computes on x86-64 what the reference
interpreter computes, and what the python host computes where it is installed:
random programs (value ops incl. float ops, edge constants, forward branches),
after the optimizer, under every feature set (all detected features, none, and
each one forced off); and float programs with the optional NaN-propagation ops."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.testing.ir_programs import Program, programs

try:
    from tcgkit_host_python.codegen import generate
except ImportError:  # the host-x86 environment installs this host alone
    generate = None


def run_python_host(ops: list, state: list[int]) -> int:
    gen = generate(ops)
    namespace = dict(gen.bindings)
    exec(compile(gen.source, "<test>", "exec"), namespace)
    return namespace["tb"](state, None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(prog=programs(max_ops=32))
def test_machine_code_matches_the_interpreter(runner, prog: Program) -> None:
    _check(runner, prog)


NAN_OPS = frozenset({"fnan2_f32", "fnan2_f64", "fnan3_f32", "fnan3_f64"})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(prog=programs(max_ops=24, host_ops=NAN_OPS, op_filter=lambda d: d.base[0] == "f"))
def test_nan_propagation_ops_match_the_interpreter(runner, prog: Program) -> None:
    """fnan2/fnan3 among the float ops (their operands often NaNs: the edge values)."""
    _check(runner, prog)


def _check(runner, prog: Program) -> None:
    expect = list(prog.state)
    want_exit = interpret(prog.ctx.ops, expect)
    optimize(prog.ctx)
    liveness(prog.ctx)
    got = list(prog.state)
    got_exit = runner.run(prog.ctx.ops, got)
    assert (got_exit, got) == (want_exit, expect), format_ops(prog.ctx.ops)
    if generate is not None:
        py = list(prog.state)
        assert (run_python_host(prog.ctx.ops, py), py) == (got_exit, got)
