"""Run on a ppc64le machine (an emulated one: see test_emulated_fp_flags.py): the IEEE
flags of float ops kept in FPSCR (``tcgkit_host_ppc.fpscr``). Exit status 0 when
every check passed.

* random programs of float ops (operands at the edges: zeros, subnormals, the
  smallest normal, the largest finite, infinities, quiet and signalling NaNs)
  leave in the image generated code saves at its exit (``OFF_FP_SAVE``), with the
  flags of what the ties-away ops computed in Python (``py_op``) ORed in, exactly
  the flags word the reference interpreter computes (``fpflags``);
* whatever the caller's FPSCR held (flags, RN) it is restored at the exit, and
  none of it reaches the image (the prologue clears it);
* whatever Python's own float arithmetic leaves in FPSCR during a call (every
  callback here raises every exception: ``feraiseexcept``) is dropped by the
  reload after it: py_op, a helper call, the memory slow path;
* one directed op per flag, and the pitfalls of Power against the IR (Arm):
  tininess, fma's infinity times zero plus a quiet NaN, the widening fcvt of a
  signalling NaN, frint, the quiet compares, invalid conversions.

    python native_fp_flags.py [EXAMPLES]
"""

from __future__ import annotations

import ctypes
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.native import layout as L
from tcgkit.native.backend import PY_OP, SLOW_MEM, Runtime
from tcgkit.native.memory import ExecPage, NativeCPU, libgcc_clear_cache
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.fpflags import DZC, IOC, IXC, OFC, RAISING, UFC, op_flags
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.ir import Helper, Op
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.ops import opdef
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.region import CodeBuffer
from tcgkit.tcg.softfloat import OP_IMPL
from tcgkit.tcg.types import I32, I64, CallFlags, MemOp, RoundingMode
from tcgkit.testing.ir_programs import NSLOTS, programs, template
from tcgkit_host_ppc import fpscr
from tcgkit_host_ppc.backend import PPC64Host, allocator
from tcgkit_host_ppc.features import detect
from tcgkit_host_ppc.lower import lower, prologue

FLOAT_BASES = {n.rsplit("_", 1)[0] for n in RAISING} | {"fneg", "fabs", "fclass"}
FLAGS_AT = 8 * NSLOTS  # the interpreter's flags word: one slot past the globals
FE_ALL_EXCEPT = 0x3E000000  # glibc on Power: XX ZX UX OX, and VX (as VXSOFT)
#: caller FPSCRs: nothing; every sticky bit with RN = toward zero; some flags with
#: RN = toward -inf (the prologue must clear both)
CALLERS = (0, fpscr.FLAG_MASK & ~fpscr.VX | 1, fpscr.XX | fpscr.VXSNAN | fpscr.FX | 3)
RNE = int(RoundingMode.NEAREST_EVEN)

flush = libgcc_clear_cache()
libm = ctypes.CDLL("libm.so.6")


def fpscr_get() -> int:
    env = ctypes.c_uint64()
    libm.fegetenv(ctypes.byref(env))
    return env.value & 0xFFFFFFFF


def fpscr_set(image: int) -> None:
    env = ctypes.c_uint64(image)
    assert libm.fesetenv(ctypes.byref(env)) == 0


def dirty() -> None:
    """What a call into Python might leave: every exception flag raised."""
    libm.feraiseexcept(FE_ALL_EXCEPT)


class Runner:
    def __init__(self) -> None:
        self.features = detect()
        self.page = ExecPage(prologue(), flush)
        self.buffer = CodeBuffer(2 << 20, 1 << 20, executable=True)
        self.region = self.buffer.claim()
        self.table: list = []
        self.flag_fns: list = []
        self.ids: dict = {}
        self.py_flags = 0  # what the py_ops of the last run raise (Python ORs it)
        self.calls = 0
        self.images_at_calls: list[int] = []  # OFF_FP_SAVE when Python was entered
        self.native: NativeCPU | None = None
        self._py_op = PY_OP(self.py_op)
        self._slow_mem = SLOW_MEM(self.slow_mem)
        self._helper = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint64)(self.helper)
        self.helper_addr = ctypes.cast(self._helper, ctypes.c_void_p).value
        self.rt = Runtime(ctypes.cast(self._slow_mem, ctypes.c_void_p).value,
                          ctypes.cast(self._py_op, ctypes.c_void_p).value, self.index,
                          None)  # fmt: skip

    def index(self, opc: str, consts: tuple[int, ...]) -> int:
        if (opc, consts) not in self.ids:
            fn, n = OP_IMPL[opc], opdef(opc).n_in
            self.ids[(opc, consts)] = len(self.table)
            self.table.append(lambda *a, _f=fn, _c=consts, _n=n: _f(*a[:_n], *_c))
            self.flag_fns.append(
                lambda *a, _o=opc, _c=consts, _n=n: op_flags(_o, a[:_n], _c)
                if _o in RAISING else 0)  # fmt: skip
        return self.ids[(opc, consts)]

    def _entered(self, state: int) -> None:
        self.calls += 1
        self.images_at_calls.append(ctypes.c_uint64.from_address(state + L.OFF_FP_SAVE).value)
        dirty()

    def py_op(self, state: int, i: int, a: int, b: int, c: int) -> int:
        self._entered(state)
        self.py_flags |= self.flag_fns[i](a, b, c)
        ctypes.c_uint64.from_address(state + L.OFF_RET).value = self.table[i](a, b, c)
        return 0

    def helper(self, state: int) -> int:
        self._entered(state)
        return 0

    def slow_mem(self, state: int, addr: int, value: int, memop: int, where: int) -> int:
        self._entered(state)
        ctypes.c_uint64.from_address(state + L.OFF_RET).value = 0x3FF0000000000000
        return 0

    def run(self, ops: list[Op], state: list[int], caller: int = 0) -> tuple[int, int]:
        """Execute ``ops`` on ``state`` (updated in place) with FPSCR = ``caller``;
        (the exit word, the FPSCR image at OFF_FP_SAVE)."""
        out = lower(allocate(ops, allocator()), 0, 0, self.rt, lambda op: self.helper_addr,
                    self.features)  # fmt: skip
        addr = self.region.alloc(len(out.code))
        if addr is None:
            self.buffer.reset()
            self.region = self.buffer.claim()
            addr = self.region.alloc(len(out.code))
        self.region.write(addr, out.code)
        flush(addr, len(out.code))
        native = NativeCPU(NSLOTS)
        for i, v in enumerate(state):
            native.state[i] = v
        self.py_flags, self.calls, self.images_at_calls = 0, 0, []
        fpscr_set(caller)
        before = fpscr_get()
        word = self.page.entry(native.state_addr, addr + out.nocheck)
        after = fpscr_get()
        fpscr_set(0)
        assert after == before, f"caller's FPSCR {before:#x} not restored: {after:#x}"
        state[:] = list(native.state)[: len(state)]
        image = native.fp[0]
        # between ops RN is 0 and nothing is enabled: the image says so at the exit
        assert image & 0xFF == 0, f"FPSCR image {image:#x}: RN or an enable bit left set"
        return word & 15, image


def random_programs(r: Runner, examples: int) -> None:
    count = [0]
    py_ops = [0]

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(prog=programs(max_ops=12, op_filter=lambda d: d.base in FLOAT_BASES),
           caller=st.sampled_from(CALLERS))  # fmt: skip
    def check(prog, caller: int) -> None:
        expect = [*prog.state, 0]
        want_exit = interpret(prog.ctx.ops, expect, fp_flags_offset=FLAGS_AT)
        optimize(prog.ctx)
        liveness(prog.ctx)
        got = list(prog.state)
        got_exit, image = r.run(prog.ctx.ops, got, caller)
        flags = fpscr.to_fpflags(image) | r.py_flags
        assert (got_exit, got, flags) == (want_exit, expect[:-1], expect[-1]), (
            f"image {image:#x} py_flags {r.py_flags:#x} caller {caller:#x}\n"
            + format_ops(prog.ctx.ops))  # fmt: skip
        count[0] += 1
        py_ops[0] += r.calls

    check()
    print(f"{count[0]} float programs matched ({py_ops[0]} py_op calls)")


F64_MAX, F64_MIN_SUB, ONE, HALF = 0x7FEFFFFFFFFFFFFF, 1, 0x3FF0000000000000, 0x3FE0000000000000
SNAN, QNAN, ZERO, THREE, INF = (0x7FF0000000000001, 0x7FF8000000000000, 0,
                                0x4008000000000000, 0x7FF0000000000000)  # fmt: skip
MIN_NORMAL, BELOW_ONE = 0x0010000000000000, 0x3FEFFFFFFFFFFFFF
S_SNAN, S_QNAN, S_MIN_NORMAL, S_BELOW_ONE = 0x7F800001, 0x7FC00000, 0x00800000, 0x3F7FFFFF
S_ONE_HALF = 0x3FC00000
#: (opcode, inputs, constants, the flags Arm and so the IR give it)
DIRECTED = [
    ("fdiv_f64", (ONE, ZERO), (RNE,), DZC),
    ("fdiv_f64", (ONE, THREE), (RNE,), IXC),
    ("fmul_f64", (F64_MAX, F64_MAX), (RNE,), OFC | IXC),
    ("fmul_f64", (F64_MIN_SUB, HALF), (RNE,), UFC | IXC),
    ("fadd_f64", (SNAN, ONE), (RNE,), IOC),
    ("fadd_f64", (QNAN, ONE), (RNE,), 0),
    ("fsub_f64", (ONE, ONE), (RNE,), 0),
    ("fsub_f64", (INF, INF), (RNE,), IOC),
    ("fmul_f64", (INF, ZERO), (RNE,), IOC),
    ("fdiv_f64", (ZERO, ZERO), (RNE,), IOC),
    ("fdiv_f64", (INF, INF), (RNE,), IOC),
    ("fdiv_f64", (INF, ZERO), (RNE,), 0),
    ("fsqrt_f64", (ONE | 1 << 63,), (RNE,), IOC),
    # tiny before rounding, normal after: Arm (and IEEE's alternative) raise UFC
    ("fmul_f64", (BELOW_ONE, MIN_NORMAL), (RNE,), UFC | IXC),
    ("fmul_f32", (S_BELOW_ONE, S_MIN_NORMAL), (RNE,), UFC | IXC),
    ("fma_f64", (BELOW_ONE, MIN_NORMAL, ZERO), (RNE,), UFC | IXC),
    ("fcvt_f64_f32", (0x380FFFFFF0000000,), (RNE,), UFC | IXC),
    # an exact tiny result raises nothing
    ("fmul_f64", (MIN_NORMAL, HALF), (RNE,), 0),
    # infinity times zero plus a quiet NaN: IOC (Arm's FPMulAdd)
    ("fma_f64", (INF, ZERO, QNAN), (RNE,), IOC),
    ("fma_f32", (0x7F800000, 0, S_QNAN), (RNE,), IOC),
    ("fma_f64", (ONE, ONE, QNAN), (RNE,), 0),
    ("fma_f64", (SNAN, ONE, ONE), (RNE,), IOC),
    # the widening conversion of a signalling NaN
    ("fcvt_f32_f64", (S_SNAN,), (RNE,), IOC),
    ("fcvt_f32_f64", (S_QNAN,), (RNE,), 0),
    ("fcvt_f32_f64", (1,), (RNE,), 0),
    ("fcvt_f64_f32", (SNAN,), (RNE,), IOC),
    ("fcvt_f64_f32", (F64_MAX,), (RNE,), OFC | IXC),
    # frint raises no IXC, in every mode
    *[
        (f"frint_{t}", (x,), (int(rm),), 0)
        for t, x in (("f64", 0x3FF8000000000000), ("f32", S_ONE_HALF))
        for rm in RoundingMode
    ],
    ("frint_f64", (SNAN,), (RNE,), IOC),
    ("frint_f32", (S_SNAN,), (RNE,), IOC),
    # the quiet operations: IOC for a signalling NaN only
    *[(f"{b}_f64", (QNAN, ONE), (), 0) for b in ("fcmp", "fmin", "fmax", "fminnm", "fmaxnm")],
    *[(f"{b}_f64", (ONE, SNAN), (), IOC) for b in ("fcmp", "fmin", "fmax", "fminnm", "fmaxnm")],
    *[(f"{b}_f32", (S_QNAN, S_QNAN), (), 0) for b in ("fcmp", "fmin", "fmaxnm")],
    ("fneg_f64", (SNAN,), (), 0),
    ("fabs_f32", (S_SNAN,), (), 0),
    ("fclass_f64", (SNAN,), (), 0),
    # conversions to integers: invalid is IOC alone, no IXC
    ("ftoi_f64", (QNAN,), (1, 64, RNE), IOC),
    ("ftoi_f64", (SNAN,), (0, 32, RNE), IOC),
    ("ftoi_f64", (0x4415AF1D78B58C40,), (1, 32, RNE), IOC),  # 1e20
    ("ftoi_f64", (0xC415AF1D78B58C40,), (0, 64, int(RoundingMode.ZERO)), IOC),
    ("ftoi_f64", (0xBFE0000000000000,), (0, 64, int(RoundingMode.ZERO)), IXC),  # -0.5
    ("ftoi_f64", (0xBFF8000000000000,), (0, 32, RNE), IOC),  # -1.5
    ("ftoi_f32", (S_ONE_HALF,), (1, 64, RNE), IXC),
    ("itof_f32", (0xFFFFFFFFFFFFFFFF,), (0, RNE), IXC),
    ("itof_f64", (3,), (1, RNE), 0),
    # ties away: the py_op path, its flags computed in Python
    ("fadd_f64", (ONE, THREE), (int(RoundingMode.NEAREST_AWAY),), 0),
    ("fdiv_f64", (ONE, THREE), (int(RoundingMode.NEAREST_AWAY),), IXC),
]


def directed(r: Runner) -> None:
    tmpl, _ = template()
    for opc, ins, consts, flags in DIRECTED:
        d = opdef(opc)
        ctx = tmpl.clone("test")
        out = next(g for g in ctx.globals if g.type is d.type)
        ctx.insn_start(0x1000)
        ctx.emit(opc, out, *ins, *consts)
        ctx.exit_tb(0)
        expect = [0] * (NSLOTS + 1)
        interpret(ctx.ops, expect, fp_flags_offset=FLAGS_AT)
        assert expect[-1] == flags, (opc, ins, "the reference disagrees with the table")
        for caller in CALLERS:
            got = [0] * NSLOTS
            _, image = r.run(ctx.ops, got, caller)
            assert got == expect[:-1], (opc, ins, got, expect)
            assert fpscr.to_fpflags(image) | r.py_flags == flags, (
                opc,
                [hex(x) for x in ins],
                f"image {image:#x}",
                r.py_flags,
                flags,
            )
    print(f"{len(DIRECTED)} directed ops matched")


def calls(r: Runner) -> None:
    """A helper call and a guest load's slow path between two float ops: FPSCR saved
    before each call (the callee sees the flags so far in the image) and reloaded
    after (what the callee raised is dropped)."""
    helper = Helper("dirty", lambda cpu: None, CallFlags.NONE, None, ())
    for kind in ("helper", "slow_mem"):
        ctx = TCGContext(8 * NSLOTS)
        g = [ctx.new_global(I64, 8 * i, f"g{i}") for i in range(4)]
        ctx.new_global(I32, 8 * 4, "h0")
        ctx.freeze()
        ctx = ctx.clone("test")
        ctx.insn_start(0x1000)
        ctx.emit("fdiv_f64", g[0], ONE, THREE, RNE)  # IXC
        if kind == "helper":
            ctx.call(helper, None)
        else:  # an empty TLB: the probe misses, the slow path calls slow_mem
            ctx.emit("qemu_ld_i64", g[1], g[2], int(MemOp.MO_64), 0)
        ctx.emit("fadd_f64", g[3], g[1], g[1], RNE)
        ctx.exit_tb(0)
        for caller in CALLERS:
            state = [0, ONE, 0x5000, 0] + [0] * (NSLOTS - 4)
            _, image = r.run(ctx.ops, state, caller)
            assert r.calls == 1, (kind, r.calls)
            assert fpscr.to_fpflags(r.images_at_calls[0]) == IXC, (
                kind,
                f"saved before the call: {r.images_at_calls[0]:#x}",
            )
            assert fpscr.to_fpflags(image) == IXC, (kind, f"image {image:#x}")
            assert state[3] == 0x4000000000000000, (kind, hex(state[3]))
    print("calls matched")


def main(examples: int) -> None:
    print("features", detect().as_dict())
    assert PPC64Host.fp_flag_mask == fpscr.FLAG_MASK
    assert PPC64Host.computes_fp_flags
    r = Runner()
    directed(r)
    calls(r)
    random_programs(r, examples)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
