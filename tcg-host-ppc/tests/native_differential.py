"""Run on a ppc64le machine (an emulated one: see test_emulated.py): random IR
programs (every value op: integer and float; ties-away float ops through a
real py_op callback) lowered to Power code and executed natively match the
reference interpreter. Exit status 0 when every example matched.

    python native_differential.py [EXAMPLES]
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

from hypothesis import HealthCheck, given, settings
from tcgkit.native import layout as L
from tcgkit.native.backend import PY_OP, Runtime
from tcgkit.native.memory import ExecPage, NativeCPU
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.ops import opdef
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.region import CodeBuffer
from tcgkit.tcg.softfloat import OP_IMPL
from tcgkit.testing.ir_programs import programs
from tcgkit_host_ppc import constraints
from tcgkit_host_ppc.features import detect
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


def main(examples: int) -> None:
    features = detect()
    print("features", features.as_dict())
    page = ExecPage(prologue(), flush)
    buffer = CodeBuffer(2 << 20, 1 << 20, executable=True)
    region = buffer.claim()
    table: list = []
    ids: dict = {}

    def index(opc: str, consts: tuple[int, ...]) -> int:
        if (opc, consts) not in ids:
            fn, n = OP_IMPL[opc], opdef(opc).n_in
            ids[(opc, consts)] = len(table)
            table.append(lambda *a, _f=fn, _c=consts, _n=n: _f(*a[:_n], *_c))
        return ids[(opc, consts)]

    def py_op(state: int, i: int, a: int, b: int, c: int) -> int:
        ctypes.c_uint64.from_address(state + L.OFF_RET).value = table[i](a, b, c)
        return 0

    callback = PY_OP(py_op)
    rt = Runtime(0, ctypes.cast(callback, ctypes.c_void_p).value, index, None)
    count = [0]

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(prog=programs(max_ops=32))
    def check(prog) -> None:
        nonlocal region
        expect = list(prog.state)
        want = interpret(prog.ctx.ops, expect)
        optimize(prog.ctx)
        liveness(prog.ctx)
        out = lower(allocate(prog.ctx.ops, Allocator()), 0, 0, rt, lambda op: 0, features)
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
