"""The ``x86_64`` host backend: compile TBs to machine code, run, chain, locate.

Owns ``X86Host``. One instance per emulator:

* ``compile``: register allocation (core ``regalloc`` with this host's
  ``constraints``), lowering (``lower``), placement in the context's region;
  TBs get a small integer id that generated code puts in its exit word and
  in the location word of helper calls.
* ``execute``: calls the prologue through ctypes (the GIL is released while
  generated code runs; callbacks take it back). Chained TBs and jump-cache
  hits never come back here; a goto_ptr miss comes back with EXIT_LOOKUP and
  is resolved by ``CPU.lookup_tb_ptr``, which also fills the native jump cache.
* Helpers and the memory slow path are ctypes callbacks that never let an
  exception into generated code: they catch it, remember it with the guest
  instruction it belongs to, and return a nonzero status; the code exits and
  ``execute`` raises it (with its original traceback) for the loop.
* ``link`` / ``unlink`` patch a goto_tb site's rel32 with one aligned 4-byte
  store.
"""

from __future__ import annotations

import ctypes
from collections.abc import Mapping, MutableSequence
from typing import Any

from tcgkit.exec.cpu import CPU, jmp_cache_index
from tcgkit.exec.tb import TB
from tcgkit.host import Alloc, HostBackend
from tcgkit.target import GuestTarget
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ir import Helper, Op
from tcgkit.tcg.ops import EXIT_LOOKUP, EXIT_REQUESTED, opdef
from tcgkit.tcg.regalloc import OpConstraint, allocate
from tcgkit.tcg.softfloat import OP_IMPL

from . import abi, constraints
from .features import HostFeatures, detect, is_x86_64
from .lower import STORE_FLAG, Runtime, lower
from .runtime import ExecPage, NativeCPU, TLBMirror

U64 = ctypes.c_uint64
SLOW_MEM = ctypes.CFUNCTYPE(ctypes.c_int, U64, U64, U64, U64, U64)
PY_OP = ctypes.CFUNCTYPE(ctypes.c_int, U64, U64, U64, U64, U64)
HELPER = ctypes.CFUNCTYPE(ctypes.c_int, U64, U64, U64, U64, U64, U64)
M64 = (1 << 64) - 1


class _Allocator:
    """The register allocator's view of this host (RegisterFile + constraints)."""

    regs = constraints.REGS

    def __init__(self, features: HostFeatures) -> None:
        self.features = features
        self._table = constraints.table(features)

    def constraint(self, op: Op) -> OpConstraint:
        return constraints.constraint(self.features, op, self._table)

    def imm_ok(self, op: Op, index: int, value: int) -> bool:
        return constraints.imm_ok(op, index, value)


class X86Host(HostBackend):
    """Native x86-64 code generation (System V)."""

    name = "x86_64"
    needs_executable_buffer = True

    @classmethod
    def native_here(cls) -> bool:
        return is_x86_64()

    @classmethod
    def features(cls) -> Mapping[str, bool]:
        return detect().as_dict()

    def __init__(self, features: HostFeatures | None = None) -> None:
        if not is_x86_64():
            raise RuntimeError("the x86_64 host backend runs only on x86-64 machines")
        self.feat = features if features is not None else detect()
        self._alloc = _Allocator(self.feat)
        self._page = ExecPage()
        self._natives: dict[int, NativeCPU] = {}  # state address -> native block
        self._cpus: dict[int, CPU] = {}
        self._tbs: list[TB] = []
        self._helpers: dict[int, tuple[Helper, Any, int]] = {}
        self._py_ops: list[Any] = []
        self._py_op_ids: dict[tuple[str, tuple[int, ...]], int] = {}
        self._pending: BaseException | None = None
        self._pending_where: tuple[TB, int] | None = None
        self._current: tuple[TB, int] | None = None
        self._until: object = object()
        self._slow_cb = SLOW_MEM(self._slow_mem)
        self._py_op_cb = PY_OP(self._py_op)
        self._rt: Runtime | None = None
        self.code_bytes = 0

    # -- vCPUs ---------------------------------------------------------------------------

    def new_state(self, nslots: int) -> MutableSequence[int]:
        native = NativeCPU(nslots)
        self._natives[native.state_addr] = native
        return native.state

    def attach(self, cpu: CPU) -> None:
        addr = ctypes.addressof(cpu.state)  # type: ignore[arg-type]
        native = self._natives[addr]
        self._cpus[addr] = cpu
        self._buffer = cpu.engine.code_buffer
        cpu.exit_flag = (ctypes.c_uint64 * 1).from_address(addr + abi.OFF_EXIT)
        cpu.tlb.native = TLBMirror(native)
        target = cpu.engine.target
        probe = target.tb_flags_probe
        overridden = type(target).tb_flags is not GuestTarget.tb_flags
        if probe is None and overridden:
            probe = (-1, 0)  # flags we cannot probe: every goto_ptr misses
        self.bind_runtime(probe)

    def bind_runtime(self, probe: tuple[int, int] | None) -> Runtime:
        """Fix what generated code calls and probes (once the target is known)."""
        self._rt = Runtime(
            slow_mem=ctypes.cast(self._slow_cb, ctypes.c_void_p).value or 0,
            py_op=ctypes.cast(self._py_op_cb, ctypes.c_void_p).value or 0,
            py_op_index=self._py_op_index,
            flags_probe=None if probe is None or probe[0] < 0 else probe,
        )
        self._jc_enabled = not (probe is not None and probe[0] < 0)
        return self._rt

    # -- compilation -------------------------------------------------------------------------

    def compile(self, ctx: TCGContext, tb: TB, alloc: Alloc) -> None:
        assert self._rt is not None, "no vCPU attached"
        tb_id = len(self._tbs)
        allocation = allocate(ctx.ops, self._alloc)
        out = lower(allocation, self.feat, tb_id, tb.icount, self._rt, self._helper_addr)
        region, addr = alloc(len(out.code))
        region.write(addr, out.code)
        self._tbs.append(tb)
        tb.host = _Code(addr, addr + out.nocheck, out)
        tb.host_size = len(out.code)
        tb.region = region.index
        self.code_bytes += len(out.code)

    def _helper_addr(self, op: Op) -> int:
        h: Helper = op.consts[0]
        got = self._helpers.get(id(h))
        if got is None:
            n_in = len(op.ins)
            mask = M64 if h.out_type is None or h.out_type.value == 64 else 0xFFFFFFFF

            def tramp(state: int, *args: int, _h: Helper = h, _n: int = n_in) -> int:
                try:
                    cpu = self._cpus[state]
                    self._current = self._where(state)
                    r = _h.func(cpu, *args[:_n])
                    if _h.out_type is not None:
                        self._natives[state].set_word(abi.OFF_RET, int(r) & mask)
                    return 0
                except BaseException as e:
                    self._pending, self._pending_where = e, self._current
                    return 1
                finally:
                    self._current = None

            cb = HELPER(tramp)
            got = (h, cb, ctypes.cast(cb, ctypes.c_void_p).value or 0)
            self._helpers[id(h)] = got
        return got[2]

    def _py_op_index(self, opc: str, consts: tuple[int, ...]) -> int:
        key = (opc, consts)
        i = self._py_op_ids.get(key)
        if i is None:
            fn, n_in = OP_IMPL[opc], opdef(opc).n_in
            i = self._py_op_ids[key] = len(self._py_ops)
            self._py_ops.append(lambda *a, _f=fn, _c=consts, _n=n_in: _f(*a[:_n], *_c))
        return i

    # -- callbacks from generated code -----------------------------------------------------

    def _where(self, state: int, word: int | None = None) -> tuple[TB, int] | None:
        if word is None:
            word = self._natives[state].word(abi.OFF_WHERE)
        tb_id = word >> 16
        if tb_id >= len(self._tbs):
            return None
        return self._tbs[tb_id], word & 0xFFFF

    def _slow_mem(self, state: int, addr: int, value: int, memop: int, where: int) -> int:
        try:
            cpu = self._cpus[state]
            self._current = self._where(state, where)
            if memop & STORE_FLAG:
                cpu.tlb.store(addr, value, memop & 0xFF)
            else:
                r = cpu.tlb.load(addr, memop)
                self._natives[state].set_word(abi.OFF_RET, r)
            return 0
        except BaseException as e:
            self._pending, self._pending_where = e, self._current
            return 1
        finally:
            self._current = None

    def _py_op(self, state: int, index: int, a: int, b: int, c: int) -> int:
        try:
            r = self._py_ops[index](a, b, c)
            self._natives[state].set_word(abi.OFF_RET, r)
            return 0
        except BaseException as e:
            self._pending, self._pending_where = e, None
            return 1

    # -- execution ---------------------------------------------------------------------------

    def execute(self, cpu: CPU, tb: TB) -> tuple[TB, int]:
        state = ctypes.addressof(cpu.state)  # type: ignore[arg-type]
        native = self._natives[state]
        until = cpu.engine.until
        if until != self._until:
            self._until = until
            native.set_until(until)
            native.jc_clear()
        entry = self._page.entry
        tbs = self._tbs
        icount = 0
        try:
            code = tb.host.nocheck
            while True:
                word = entry(state, code)
                last = tbs[word >> abi.EXIT_SHIFT]
                reason = word & ((1 << abi.EXIT_SHIFT) - 1)
                if reason == abi.EXIT_HELPER_RAISED:
                    exc, self._pending = self._pending, None
                    assert exc is not None
                    where = self._pending_where
                    if where is not None:
                        icount -= where[0].icount  # the loop counts the ones before it
                    self._raised_at = (exc, where)
                    raise exc
                if reason == abi.EXIT_AT_ENTRY:
                    cpu.pc = last.pc
                    return last, EXIT_REQUESTED
                if reason == EXIT_LOOKUP and not cpu.exit_request:
                    nxt = cpu.lookup_tb_ptr()
                    if nxt is not None:
                        if self._jc_enabled:
                            self._jc_fill(native, cpu, nxt)
                        code = nxt.host.nocheck
                        continue
                return last, reason
        finally:
            icount += native.word(abi.OFF_ICOUNT)
            native.set_word(abi.OFF_ICOUNT, 0)
            cpu.icount += icount

    def _jc_fill(self, native: NativeCPU, cpu: CPU, tb: TB) -> None:
        probe = self._rt.flags_probe if self._rt is not None else None
        key = 0
        if probe is not None:
            key = cpu.state[probe[0] // 8] & probe[1]
        native.jc_set(jmp_cache_index(tb.pc), tb.pc, key, tb.host.entry)

    def locate(self, exc: BaseException) -> tuple[TB, int] | None:
        raised = getattr(self, "_raised_at", None)
        if raised is not None and raised[0] is exc:
            return raised[1]
        return None

    def current_insn(self) -> tuple[TB, int] | None:
        return self._current

    # -- chaining -----------------------------------------------------------------------------

    def link(self, tb: TB, slot: int, dest: TB) -> None:
        site = tb.host.goto_tb_site(slot)
        if site is None:
            return
        ctypes.c_int32.from_address(self._buffer.writable(site)).value = dest.host.entry - (
            site + 4
        )
        tb.jmp_dest[slot] = dest

    def unlink(self, tb: TB, slot: int) -> None:
        site = tb.host.goto_tb_site(slot)
        if site is not None and tb.host is not None:
            ctypes.c_int32.from_address(self._buffer.writable(site)).value = 0
        tb.jmp_dest[slot] = None

    def tb_invalidated(self, tb: TB) -> None:
        if tb.host is not None:
            index = jmp_cache_index(tb.pc)
            for native in self._natives.values():
                native.jc_drop(index, tb.host.entry)

    def flushed(self) -> None:
        self._tbs.clear()
        for native in self._natives.values():
            native.jc_clear()

    # -- inspection and release ---------------------------------------------------------------

    def disassemble(self, tb: TB) -> str:
        code = ctypes.string_at(tb.host.entry, tb.host_size)
        try:
            import capstone
        except ImportError:
            return code.hex()
        md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        return "\n".join(f"0x{i.address:016x}:  {i.mnemonic} {i.op_str}".rstrip()
                         for i in md.disasm(code, tb.host.entry))  # fmt: skip

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "features": self.feat.as_dict()}

    def release(self) -> None:
        self._tbs.clear()
        self._helpers.clear()
        self._py_ops.clear()
        self._cpus.clear()
        for native in self._natives.values():
            native.release()
        self._natives.clear()
        self._page.release()
        self._pending = None
        self._raised_at = None


class _Code:
    """Where a TB's machine code is: its checked entry, the entry Python uses, the
    goto_tb sites."""

    __slots__ = ("_sites", "entry", "nocheck")

    def __init__(self, entry: int, nocheck: int, out: Any) -> None:
        self.entry = entry
        self.nocheck = nocheck
        self._sites = [None if s is None else entry + s for s in out.goto_tb]

    def goto_tb_site(self, slot: int) -> int | None:
        return self._sites[slot]
