"""Running A64 code lowered from IR under Unicorn's AArch64 CPU (level 2 of the
proof: the code executes, not only encodes). The harness maps the prologue,
the TB, a native block with the CPU state, and a trap page whose addresses
stand for the Python callbacks: a code hook there serves the call from Python
and returns like the callback would. The code is lowered for the runner's
``HostFeatures`` (none unless given: the detected ones would be this machine's;
Unicorn's "max" CPU executes every extension, LSE included)."""

from __future__ import annotations

import struct

import pytest
from tcgkit.exec.atomic import FETCH_SHIFT, PAIR_FLAG
from tcgkit.native import layout as L
from tcgkit.native.backend import Runtime
from tcgkit.tcg.fpflags import OP_FLAGS, RAISING
from tcgkit.tcg.ir import Op
from tcgkit.tcg.ops import opdef
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.semantics import atomic_update
from tcgkit.tcg.softfloat import OP_IMPL
from tcgkit_host_arm.backend import allocator
from tcgkit_host_arm.features import HostFeatures
from tcgkit_host_arm.lower import FPCR_DN, lower, prologue

unicorn = pytest.importorskip("unicorn")
from unicorn import arm64_const as A  # noqa: E402

CODE, STACK, DATA, TRAP, RAM = 0x100000, 0x400000, 0x800000, 0x700000, 0xA00000
STATE = DATA + L.NATIVE_SIZE
PY_OP, SLOW_MEM, SLOW_CMPXCHG = TRAP, TRAP + 0x40, TRAP + 0x80
RETURN = TRAP + 0x100  # the prologue's caller returns here: the run ends


class UnicornRunner:
    """Lowers op lists for ``features`` and runs them on a fresh Unicorn machine."""

    RAM = RAM

    def __init__(self, features: HostFeatures | None = None) -> None:
        self.features = features if features is not None else HostFeatures()
        self.py_ops: list = []
        self.py_op_flags: list = []  # per py_op index: its IEEE flags (``fpflags``) or None
        self.py_flags = 0  # the flags of the py_ops of the last run, as Python ORs them
        self.fp_image = 0  # the FPSR image generated code saved at OFF_FP_SAVE (last run)
        self.caller_fpsr = 0  # FPSR before the run (the epilogue restores it)
        self.ids: dict = {}
        self.rt = Runtime(slow_mem=SLOW_MEM, py_op=PY_OP, py_op_index=self._index,
                          flags_probe=None, slow_cmpxchg=SLOW_CMPXCHG)  # fmt: skip
        self.calls = 0
        self.slow: list[tuple[int, int, int]] = []  # (addr, value, memop) of slow accesses
        self.slow_memory = bytearray(0x10000)  # what the slow path reads and writes

    def _index(self, opc: str, consts: tuple[int, ...]) -> int:
        key = (opc, consts)
        if key not in self.ids:
            fn, n = OP_IMPL[opc], opdef(opc).n_in
            self.ids[key] = len(self.py_ops)
            self.py_ops.append(lambda *a, _f=fn, _c=consts, _n=n: _f(*a[:_n], *_c))
            fl = OP_FLAGS.get(opc) if opc in RAISING else None
            self.py_op_flags.append(
                None if fl is None else lambda *a, _f=fl, _c=consts, _n=n: _f(*a[:_n], *_c)
            )
        return self.ids[key]

    def code(self, ops: list[Op], tb_id: int = 0):
        """The Lowered TB (code, entries, goto_tb sites) for ``ops``."""
        return lower(allocate(ops, allocator()), tb_id, 0, self.rt, lambda op: 0, self.features)

    def run(self, ops: list[Op], state: list[int],
            tlb: tuple[tuple[int, int, int, int], ...] = (), ram: bytes = b"",
            jc: tuple[tuple[int, int, int, int], ...] = (), until: int = 2**64 - 1,
            extra: dict[int, bytes] | None = None,
            l2: tuple[tuple[int, int, int, int], ...] = ()) -> int:  # fmt: skip
        """Run ``ops``; ``tlb`` entries (index, read tag, write tag, addend) point guest
        pages at ``ram`` (mapped at RAM), and so do the second-level entries ``l2``
        (slot, read tag, write tag, addend) once the slow path has refilled the first
        level from them; other accesses take the slow path's call, served from
        ``slow_memory``. ``ram`` is replaced by its final contents in ``self.ram``; the
        first level after the run is in ``self.tlb`` (index -> (read tag, write tag,
        addend)), the refill counter in ``self.refills``."""
        out = lower(allocate(ops, allocator()), 0, 0, self.rt, lambda op: 0, self.features)
        uc = unicorn.Uc(unicorn.UC_ARCH_ARM64, unicorn.UC_MODE_ARM)
        uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)
        pro = prologue()
        uc.mem_map(CODE, 0x100000)
        uc.mem_map(STACK, 0x100000)
        uc.mem_map(DATA, RAM - DATA)  # the native block (about 1.6 MiB) and the state
        uc.mem_map(TRAP, 0x1000)
        uc.mem_map(RAM, 0x10000)
        uc.mem_write(RAM, ram)
        uc.mem_write(STATE + L.OFF_TLB, b"\xff" * (L.TLB_SIZE * L.TLB_ENTRY))
        uc.mem_write(STATE + L.OFF_JC, b"\xff" * (L.JC_SIZE * L.JC_ENTRY))
        uc.mem_write(STATE + L.OFF_L2, b"\xff" * (L.L2_SIZE * L.L2_ENTRY))
        for slot, rtag, wtag, addend in l2:
            uc.mem_write(STATE + L.OFF_L2 + slot * L.L2_ENTRY,
                         struct.pack("<QQQ", rtag, wtag, addend & (2**64 - 1)))  # fmt: skip
        for index, pc, key, code in jc:
            uc.mem_write(STATE + L.OFF_JC + index * L.JC_ENTRY, struct.pack("<QQQ", pc, key, code))
        uc.mem_write(STATE + L.OFF_UNTIL, struct.pack("<Q", until))
        for index, rtag, wtag, addend in tlb:
            uc.mem_write(STATE + L.OFF_TLB + index * L.TLB_ENTRY,
                         struct.pack("<QQQ", rtag, wtag, addend & (2**64 - 1)))  # fmt: skip
        uc.mem_write(CODE, pro)
        tb = CODE + 0x1000
        uc.mem_write(tb, out.code)
        for at, blob in (extra or {}).items():  # after: a blob may patch the TB
            if not CODE <= at < CODE + 0x100000:
                uc.mem_map(at & ~0xFFFF, 0x10000)
            uc.mem_write(at, blob)
        uc.mem_write(TRAP, b"\xc0\x03\x5f\xd6" * 64)  # ret
        uc.mem_write(STATE, struct.pack(f"<{len(state)}Q", *state))
        uc.reg_write(A.UC_ARM64_REG_SP, STACK + 0x80000)
        uc.reg_write(A.UC_ARM64_REG_X0, STATE)
        uc.reg_write(A.UC_ARM64_REG_X1, tb + out.nocheck)
        uc.reg_write(A.UC_ARM64_REG_LR, RETURN)
        uc.reg_write(A.UC_ARM64_REG_FPSR, self.caller_fpsr)
        self.py_flags = 0

        def trap(uc, address, size, user):
            if address == SLOW_MEM:
                _, addr, value, memop, _where = (
                    uc.reg_read(getattr(A, f"UC_ARM64_REG_X{i}")) for i in range(5)
                )
                self.slow.append((addr, value, memop))
                n = 1 << (memop & 3)
                off = addr & 0xFFFF
                order = "big" if memop & 8 else "little"
                if memop & L.STORE_FLAG:
                    self.slow_memory[off : off + n] = (value & ((1 << 8 * n) - 1)).to_bytes(
                        n, order
                    )
                else:
                    v = int.from_bytes(self.slow_memory[off : off + n], order,
                                       signed=bool(memop & 4))  # fmt: skip
                    uc.mem_write(STATE + L.OFF_RET, struct.pack("<Q", v & (2**64 - 1)))
                uc.reg_write(A.UC_ARM64_REG_X0, 0)
                return
            if address == SLOW_CMPXCHG:  # a compare-and-swap (or fetch_op) on slow_memory
                _, addr, expected, new, memop, _where = (
                    uc.reg_read(getattr(A, f"UC_ARM64_REG_X{i}")) for i in range(6)
                )
                if memop & PAIR_FLAG:  # 16 bytes; the operands' words at ``expected``
                    words = struct.unpack("<4Q", uc.mem_read(expected, 32))
                    self.slow.append((addr, words, memop))
                    off = addr & 0xFFFF
                    pair = struct.unpack("<2Q", self.slow_memory[off : off + 16])
                    if pair == words[:2]:
                        self.slow_memory[off : off + 16] = struct.pack("<2Q", *words[2:])
                    uc.mem_write(expected, struct.pack("<2Q", *pair))
                    uc.mem_write(STATE + L.OFF_RET, struct.pack("<Q", pair[0]))
                    uc.reg_write(A.UC_ARM64_REG_X0, 0)
                    return
                self.slow.append((addr, new, memop))
                n, off = 1 << (memop & 3), addr & 0xFFFF
                old = int.from_bytes(self.slow_memory[off : off + n], "little")
                fetch = memop >> FETCH_SHIFT  # atomic_fetch: AtomicOp + 1, new its value
                if fetch:
                    new = atomic_update(fetch - 1, old, new, 8 * n)
                if fetch or old == expected:
                    self.slow_memory[off : off + n] = (new & ((1 << 8 * n) - 1)).to_bytes(
                        n, "little")  # fmt: skip
                uc.mem_write(STATE + L.OFF_RET, struct.pack("<Q", old))
                uc.reg_write(A.UC_ARM64_REG_X0, 0)
                return
            if address != PY_OP:
                return
            self.calls += 1
            r = [uc.reg_read(getattr(A, f"UC_ARM64_REG_X{i}")) for i in range(5)]
            value = self.py_ops[r[1]](r[2], r[3], r[4])
            flags = self.py_op_flags[r[1]]
            if flags is not None:
                self.py_flags |= flags(r[2], r[3], r[4])
            # what Python's own float arithmetic would leave in FPSR: reload drops it
            uc.reg_write(A.UC_ARM64_REG_FPSR, 0x1F)
            uc.mem_write(STATE + L.OFF_RET, struct.pack("<Q", value))
            uc.reg_write(A.UC_ARM64_REG_X0, 0)
            # the callee must not depend on FPCR: Python computed it
            assert uc.reg_read(A.UC_ARM64_REG_FPCR) & FPCR_DN

        uc.hook_add(unicorn.UC_HOOK_CODE, trap, begin=TRAP, end=TRAP + 0xFF)
        uc.emu_start(CODE, RETURN, count=1_000_000)
        assert uc.reg_read(A.UC_ARM64_REG_PC) == RETURN, "the TB did not return"
        state[:] = list(struct.unpack(f"<{len(state)}Q", uc.mem_read(STATE, 8 * len(state))))
        self.ram = bytes(uc.mem_read(RAM, len(ram))) if ram else b""
        self.exit_word = uc.reg_read(A.UC_ARM64_REG_X0)
        words = struct.unpack(f"<{L.TLB_SIZE * 4}Q",
                              uc.mem_read(STATE + L.OFF_TLB, L.TLB_SIZE * L.TLB_ENTRY))  # fmt: skip
        self.tlb = {i: words[4 * i : 4 * i + 3] for i in range(L.TLB_SIZE)}
        self.refills = struct.unpack("<Q", uc.mem_read(STATE + L.OFF_REFILLS, 8))[0]
        self.fp_image = struct.unpack("<Q", uc.mem_read(STATE + L.OFF_FP_SAVE, 8))[0]
        assert uc.reg_read(A.UC_ARM64_REG_FPSR) == self.caller_fpsr, "FPSR not restored"
        return self.exit_word & ((1 << L.EXIT_SHIFT) - 1)


@pytest.fixture(scope="module")
def runner() -> UnicornRunner:
    return UnicornRunner()


@pytest.fixture(scope="session")
def runner_for() -> type[UnicornRunner]:
    """The runner class, for tests that lower for given ``HostFeatures``."""
    return UnicornRunner
