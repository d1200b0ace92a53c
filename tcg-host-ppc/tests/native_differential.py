"""Run on a ppc64le machine (an emulated one: see test_emulated.py): random IR
programs (every value op: integer and float; ties-away float ops through a
real py_op callback) lowered to Power code and executed natively match the
reference interpreter. Exit status 0 when every example matched.

    python native_differential.py [EXAMPLES]
"""

from __future__ import annotations

import ctypes
import sys

from hypothesis import HealthCheck, given, settings
from tcgkit.native import layout as L
from tcgkit.native.backend import PY_OP, Runtime
from tcgkit.native.memory import ExecPage, NativeCPU, libgcc_clear_cache
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.ops import opdef
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.region import CodeBuffer
from tcgkit.tcg.softfloat import OP_IMPL
from tcgkit.testing.ir_programs import programs
from tcgkit_host_ppc.backend import allocator
from tcgkit_host_ppc.features import detect
from tcgkit_host_ppc.lower import lower, prologue

flush = libgcc_clear_cache()


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
        out = lower(allocate(prog.ctx.ops, allocator()), 0, 0, rt, lambda op: 0, features)
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
    memory(page, buffer, rt, features)
    print("memory accesses matched")


def memory(page, buffer, rt, features) -> None:
    """Every size, sign and byte order of qemu_ld/qemu_st through a TLB entry that
    points at a buffer: the inline fast path, byte-reversed forms included."""
    from tcgkit.native.memory import TLBMirror
    from tcgkit.tcg.context import TCGContext
    from tcgkit.tcg.ops import EXIT_LOOKUP
    from tcgkit.tcg.types import I32, I64, MemOp

    guest = 0x7000
    index = (guest >> 12) & (L.TLB_SIZE - 1)
    ram = (ctypes.c_ubyte * 4096)()
    region = buffer.claim() or (buffer.reset(), buffer.claim())[1]
    for memop in range(16):  # size, sign, big-endian
        size = 1 << (memop & 3)
        for width in (32, 64):
            if size * 8 > width:
                continue
            for store in (False, True):
                ty = I64 if width == 64 else I32
                ctx = TCGContext(64)
                addr = ctx.new_global(I64, 0, "addr")
                val = ctx.new_global(ty, 8, "val")
                ctx.freeze()
                m = memop & ~MemOp.MO_SIGN if store else memop
                ctx.emit(f"qemu_{'st' if store else 'ld'}_{ty.suffix}", val, addr, m, 0)
                ctx.emit("exit_tb", EXIT_LOOKUP)
                out = lower(allocate(ctx.ops, allocator()), 0, 0, rt, lambda op: 0, features)
                at = region.alloc(len(out.code))
                if at is None:
                    buffer.reset()
                    region = buffer.claim()
                    at = region.alloc(len(out.code))
                region.write(at, out.code)
                flush(at, len(out.code))
                for i in range(4096):
                    ram[i] = (i * 37 + 11) & 0xFF
                before = bytes(ram)
                native = NativeCPU(8)
                TLBMirror(native).set(index, guest, guest, ctypes.addressof(ram) - guest)
                off = 0x123 & ~(size - 1)
                value = 0x8877665544332211 & ((1 << width) - 1)
                native.state[0], native.state[1] = guest + off, value
                assert page.entry(native.state_addr, at + out.nocheck) & 15 == EXIT_LOOKUP
                order = "big" if memop & MemOp.MO_BE else "little"
                if store:
                    want = (value & ((1 << 8 * size) - 1)).to_bytes(size, order)
                    assert bytes(ram)[off : off + size] == want, (memop, width)
                    assert bytes(ram)[:off] == before[:off]
                else:
                    v = int.from_bytes(before[off : off + size], order,
                                       signed=bool(memop & MemOp.MO_SIGN))  # fmt: skip
                    assert native.state[1] == v & ((1 << width) - 1), (memop, width)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
