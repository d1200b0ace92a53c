"""Run on a ppc64le machine (an emulated one: see test_emulated.py): random IR
programs lowered to Power code and executed natively match the reference
interpreter. Exit status 0 when every example matched.

    python native_differential.py [EXAMPLES]
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

from hypothesis import HealthCheck, given, settings
from tcgkit.native.backend import Runtime
from tcgkit.native.memory import ExecPage, NativeCPU
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.region import CodeBuffer
from tcgkit.testing.ir_programs import programs
from tcgkit_host_ppc import constraints
from tcgkit_host_ppc.lower import lower, prologue

CLEAR = getattr(ctypes.CDLL(ctypes.util.find_library("gcc_s") or "libgcc_s.so.1"),
                "__clear_cache")  # fmt: skip
CLEAR.argtypes = (ctypes.c_void_p, ctypes.c_void_p)


def flush(addr: int, size: int) -> None:
    CLEAR(addr, addr + size)


class Allocator:
    regs = constraints.REGS

    def constraint(self, op):
        return constraints.constraint(op)

    def imm_ok(self, op, index, value):
        return constraints.imm_ok(op, index, value)


def integer_op(d) -> bool:
    return not d.base.startswith(("f", "itof"))


def main(examples: int) -> None:
    page = ExecPage(prologue(), flush)
    buffer = CodeBuffer(2 << 20, 1 << 20, executable=True)
    region = buffer.claim()
    rt = Runtime(0, 0, lambda opc, consts: 0, None)
    count = [0]

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(prog=programs(max_ops=32, op_filter=integer_op))
    def check(prog) -> None:
        nonlocal region
        expect = list(prog.state)
        want = interpret(prog.ctx.ops, expect)
        optimize(prog.ctx)
        liveness(prog.ctx)
        out = lower(allocate(prog.ctx.ops, Allocator()), 0, 0, rt, lambda op: 0)
        addr = region.alloc(len(out.code))
        if addr is None:
            buffer.reset()
            region = buffer.claim()
            addr = region.alloc(len(out.code))
        region.write(addr, out.code)
        flush(addr, len(out.code))
        native = NativeCPU(len(prog.state))
        for i, v in enumerate(prog.state):
            native.state[i] = v
        word = page.entry(native.state_addr, addr + out.nocheck)
        got = list(native.state)
        assert (word & 15, got) == (want, expect), format_ops(prog.ctx.ops)
        count[0] += 1

    check()
    print(f"{count[0]} programs matched")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
