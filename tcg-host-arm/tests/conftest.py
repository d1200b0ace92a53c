"""Running A64 code lowered from IR under Unicorn's AArch64 CPU (level 2 of the
proof: the code executes, not only encodes). The harness maps the prologue,
the TB, a native block with the CPU state, and a trap page whose addresses
stand for the Python callbacks: a code hook there serves the call from Python
and returns like the callback would."""

from __future__ import annotations

import struct

import pytest
from tcgkit.native import layout as L
from tcgkit.native.backend import Runtime
from tcgkit.tcg.ir import Op
from tcgkit.tcg.ops import opdef
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.softfloat import OP_IMPL
from tcgkit_host_arm import constraints
from tcgkit_host_arm.lower import FPCR_DN, lower, prologue

unicorn = pytest.importorskip("unicorn")
from unicorn import arm64_const as A  # noqa: E402

CODE, STACK, DATA, TRAP = 0x100000, 0x400000, 0x800000, 0x700000
STATE = DATA + L.NATIVE_SIZE
PY_OP = TRAP
RETURN = TRAP + 0x100  # the prologue's caller returns here: the run ends


class Allocator:
    regs = constraints.REGS

    def constraint(self, op: Op):
        return constraints.constraint(op)

    def imm_ok(self, op: Op, index: int, value: int) -> bool:
        return constraints.imm_ok(op, index, value)


class UnicornRunner:
    """Lowers op lists and runs them on a fresh Unicorn machine."""

    def __init__(self) -> None:
        self.py_ops: list = []
        self.ids: dict = {}
        self.rt = Runtime(slow_mem=TRAP + 0x40, py_op=PY_OP, py_op_index=self._index,
                          flags_probe=None)  # fmt: skip
        self.calls = 0

    def _index(self, opc: str, consts: tuple[int, ...]) -> int:
        key = (opc, consts)
        if key not in self.ids:
            fn, n = OP_IMPL[opc], opdef(opc).n_in
            self.ids[key] = len(self.py_ops)
            self.py_ops.append(lambda *a, _f=fn, _c=consts, _n=n: _f(*a[:_n], *_c))
        return self.ids[key]

    def code(self, ops: list[Op]) -> bytes:
        return lower(allocate(ops, Allocator()), 0, 0, self.rt, lambda op: 0).code

    def run(self, ops: list[Op], state: list[int]) -> int:
        out = lower(allocate(ops, Allocator()), 0, 0, self.rt, lambda op: 0)
        uc = unicorn.Uc(unicorn.UC_ARCH_ARM64, unicorn.UC_MODE_ARM)
        uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)
        pro = prologue()
        uc.mem_map(CODE, 0x100000)
        uc.mem_map(STACK, 0x100000)
        uc.mem_map(DATA, 0x100000)
        uc.mem_map(TRAP, 0x1000)
        uc.mem_write(CODE, pro)
        tb = CODE + 0x1000
        uc.mem_write(tb, out.code)
        uc.mem_write(TRAP, b"\xc0\x03\x5f\xd6" * 64)  # ret
        uc.mem_write(STATE, struct.pack(f"<{len(state)}Q", *state))
        uc.reg_write(A.UC_ARM64_REG_SP, STACK + 0x80000)
        uc.reg_write(A.UC_ARM64_REG_X0, STATE)
        uc.reg_write(A.UC_ARM64_REG_X1, tb + out.nocheck)
        uc.reg_write(A.UC_ARM64_REG_LR, RETURN)

        def trap(uc, address, size, user):
            if address != PY_OP:
                return
            self.calls += 1
            r = [uc.reg_read(getattr(A, f"UC_ARM64_REG_X{i}")) for i in range(5)]
            value = self.py_ops[r[1]](r[2], r[3], r[4])
            uc.mem_write(STATE + L.OFF_RET, struct.pack("<Q", value))
            uc.reg_write(A.UC_ARM64_REG_X0, 0)
            # the callee must not depend on FPCR: Python computed it
            assert uc.reg_read(A.UC_ARM64_REG_FPCR) & FPCR_DN

        uc.hook_add(unicorn.UC_HOOK_CODE, trap, begin=TRAP, end=TRAP + 0xFF)
        uc.emu_start(CODE, RETURN, count=1_000_000)
        assert uc.reg_read(A.UC_ARM64_REG_PC) == RETURN, "the TB did not return"
        state[:] = list(struct.unpack(f"<{len(state)}Q", uc.mem_read(STATE, 8 * len(state))))
        return uc.reg_read(A.UC_ARM64_REG_X0) & ((1 << L.EXIT_SHIFT) - 1)


@pytest.fixture(scope="module")
def runner() -> UnicornRunner:
    return UnicornRunner()
