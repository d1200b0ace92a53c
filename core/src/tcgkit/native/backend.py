"""``NativeHost``: the host-independent half of a machine-code backend.

Owns, for one emulator:

* TB ids: a TB's index in ``_tbs``, put by generated code in its exit word
  and in the location word of helper calls; cleared at tb_flush;
* the callbacks generated code calls (ctypes, status-returning: an exception
  never unwinds through generated code; it is kept with the guest
  instruction it belongs to, the code exits with EXIT_HELPER_RAISED and
  ``execute`` re-raises it with its original traceback): target helpers,
  the memory slow path, and float ops computed in Python (``py_op``). What
  a callback is doing and what it raised are the calling thread's
  (``_thread``): vCPUs of one emulator run in threads of their own;
* ``compile`` (core register allocator + the host's lowering, into
  ``code.Lowered`` and ``code.NativeCode``), ``execute`` (``passage``: the
  prologue through the host's entry function, or ctypes where it has none, with
  the GIL released: ``entry``; goto_ptr misses resolved by
  the jump cache's ``lookup``, which also fills the native jump cache),
  chaining (``link``/``unlink`` store one 32-bit word the host computes),
  invalidation and flush of the native jump cache, release;
* native TB lookups, where the host emits them (``lookup_routines``: x86-64):
  the policy's native mirror (``tb_mirror``, asked for once), the page of the
  host's routines, the native-lookup words of each vCPU's block (the routine,
  the mirror, the mode; the key words are the passage's), the mirror's
  reclaim at tb_flush and release, and the per-vCPU counters.

A host subclass provides: ``name``, ``native_here``, ``features``, the
allocator view (``regs``/``constraint``/``imm_ok`` on ``self.allocator``),
``lower_tb``, ``prologue``, ``host_words``, ``goto_tb_word``, and, where the
ISA needs it, ``flush_icache``; optionally ``disassemble_code``,
``entry_function`` and ``python_thunk`` (Python into generated code and back
without ctypes: ``entry``, ``callbacks``), ``atomic_routines`` (the host's
compare-and-swap, called from Python by the
guest atomics of several vCPUs, ``exec.atomic``), ``lookup_routines`` (the
native TB lookup goto_ptr's misses jump to) and ``slow_path_routines`` (the slow
path of guest loads and stores, shared by every TB: placed in a page of its own
when the runtime is first bound, its addresses in ``Runtime.mem_load`` /
``mem_store``, freed at release).
"""

from __future__ import annotations

import ctypes
import functools
import threading
from abc import abstractmethod
from collections.abc import Callable, Mapping, MutableSequence, Sequence
from typing import Any, ClassVar

from ..exec.cpu import CPU, word_view
from ..exec.jmp_cache import jmp_cache_index
from ..exec.tb import TB
from ..host import Alloc, HostBackend
from ..target import GuestTarget
from ..tcg.context import TCGContext
from ..tcg.fpflags import OP_FLAGS, RAISING
from ..tcg.ir import Helper, Op
from ..tcg.ops import opdef
from ..tcg.regalloc import Allocation, Backend, OpConstraint, RegisterFile
from ..tcg.softfloat import OP_IMPL
from . import layout as L
from .callbacks import CAPI, Callbacks
from .code import CompileEnv, Lowered, PhaseTimes, compile_tb, link_tb, unlink_tb
from .entry import NativeEntry
from .memory import ExecPage, NativeCPU, TLBMirror
from .passage import execute as passage_execute
from .slowpath import SlowPath

U64 = ctypes.c_uint64
#: cas(ptr, expected, new) -> old; cas_pair(ptr, exp_lo, exp_hi, new_lo, new_hi, out).
#: Called with the GIL held (PYFUNCTYPE): a routine of a few instructions, where
#: releasing the GIL would hand it to another vCPU's thread and wait to take it back
#: (9.7 us a call with threads running, where the call itself is well under one)
CAS = ctypes.PYFUNCTYPE(U64, U64, U64, U64)
CAS_PAIR = ctypes.PYFUNCTYPE(None, U64, U64, U64, U64, U64, U64)
SLOW_MEM = ctypes.CFUNCTYPE(ctypes.c_int, U64, U64, U64, U64, U64)
#: the shared slow path's load: (state, addr, memop << 48 | where) -> status (``SlowPath.load``)
SLOW_LOAD = ctypes.CFUNCTYPE(ctypes.c_int, U64, U64, U64)
SLOW_CMPXCHG = ctypes.CFUNCTYPE(ctypes.c_int, U64, U64, U64, U64, U64, U64)
PY_OP = ctypes.CFUNCTYPE(ctypes.c_int, U64, U64, U64, U64, U64)
HELPER = ctypes.CFUNCTYPE(ctypes.c_int, U64, U64, U64, U64, U64, U64)
#: lookup(table header, key words [pc, cs_base, flags word], mru) -> code or 0;
#: hash(pc, cs_base, flags word) -> the 32-bit hash (``lookup_routines``)
NL_LOOKUP = ctypes.CFUNCTYPE(U64, U64, U64, U64)
NL_HASH = ctypes.CFUNCTYPE(ctypes.c_uint32, U64, U64, U64)
M64 = (1 << 64) - 1


def _code_of(tb: TB) -> tuple[int, int] | None:
    """(code address, guest size) of a TB generated code may enter (compiled), else None."""
    code = tb.host
    if code is None or tb.program is not None:
        return None
    return code.entry, tb.size


class Runtime:
    """Addresses generated code calls or reads, fixed for one backend instance.

    The records here are plain slotted classes, not dataclasses (a dataclass costs
    ~0.5 ms of every process's start-up, and ``Lowered`` is made for every TB)."""

    __slots__ = ("direct_lookup", "flags_probe", "mem_load", "mem_store", "pc_offset", "py_op",
                 "py_op_index", "slow_cmpxchg", "slow_mem")  # fmt: skip

    def __init__(self, slow_mem: int, py_op: int,
                 py_op_index: Callable[[str, tuple[int, ...]], int],
                 flags_probe: tuple[int, int] | None, slow_cmpxchg: int = 0) -> None:  # fmt: skip
        self.slow_mem = slow_mem  # (state, addr, value, memop | STORE_FLAG, where) -> status
        self.py_op = py_op  # (state, index, a, b, c) -> status: a float op computed in Python
        self.py_op_index = py_op_index  # registers (opcode, consts)
        self.flags_probe = flags_probe  # (state offset, mask) of the TB flags, or None
        #: (state, addr, expected, new, memop, where) -> status: atomic_cmpxchg's slow
        #: path, and atomic_fetch's with ``(aop + 1) << exec.atomic.FETCH_SHIFT`` in
        #: ``memop`` and its value as ``new``
        self.slow_cmpxchg = slow_cmpxchg
        #: the host's shared slow-path routines of guest loads and stores (absolute
        #: addresses, ``slow_path_routines``; 0: each access's stub holds its slow path)
        self.mem_load = 0
        self.mem_store = 0
        #: jump cache and chaining off, lookups native: the byte offset of the guest pc
        #: in the state, for the direct jumps' exits (``exit_tb`` 0 and 1), which then
        #: look the next TB up natively as goto_ptr does (-1: they exit to the loop)
        self.direct_lookup = -1
        #: the byte offset of the guest pc in the state (-1: not known), which the stubs
        #: of loads calling ``mem_load`` set to their instruction's pc (``LOAD_PC_SET``)
        self.pc_offset = -1


class AtomicRoutines:
    """A host's compare-and-swap routines in one piece of code: the offset of
    ``cas(ptr, expected, new) -> old`` per access size (log2 0..3), and of
    ``cas_pair(ptr, exp_lo, exp_hi, new_lo, new_hi, out)`` (16 bytes; the pair
    read is stored at ``out``), in the host's C calling convention."""

    __slots__ = ("cas", "cas_pair", "code")

    def __init__(self, code: bytes, cas: tuple[int, int, int, int],
                 cas_pair: int | None = None) -> None:  # fmt: skip
        self.code = code
        self.cas = cas
        self.cas_pair = cas_pair

    @classmethod
    def layout(cls, cas: Sequence[bytes], pair: bytes | None = None,
               pad: bytes = b"") -> AtomicRoutines:  # fmt: skip
        """The four ``cas`` routines (by log2) and the ``pair`` one, one after the other;
        with a ``pad`` byte, each starts 16-byte aligned."""
        code = bytearray()
        offsets = []
        for body in [*cas, *([pair] if pair is not None else [])]:
            if pad:
                code += pad * (-len(code) % 16)
            offsets.append(len(code))
            code += body
        return cls(bytes(code), (offsets[0], offsets[1], offsets[2], offsets[3]),
                   offsets[4] if pair is not None else None)  # fmt: skip


class ConstraintView:
    """The register allocator's view of a host: its register file and, per op, the
    constraint and whether a constant may be an immediate (``regalloc.Backend``)."""

    __slots__ = ("constraint", "fixed", "imm_ok", "parsed", "regs")

    def __init__(self, regs: RegisterFile, constraint: Callable[[Op], OpConstraint],
                 imm_ok: Callable[[Op, int, int], bool],
                 fixed: Mapping[str, OpConstraint] | None = None) -> None:  # fmt: skip
        self.regs = regs
        self.constraint = constraint
        self.imm_ok = imm_ok
        #: op name -> constraint, for the ops whose constraint never depends on their
        #: operands (the allocator reads these instead of calling ``constraint``)
        self.fixed: Mapping[str, OpConstraint] = {} if fixed is None else fixed
        #: the allocator's cache of parsed constraints, kept across TBs (its own business)
        self.parsed: dict[object, Any] = {}


def capstone_text(code: bytes, addr: int, arch: str, mode: str) -> str:
    """Capstone's disassembly of ``code`` (its hex when capstone is not installed);
    ``arch``/``mode`` name capstone constants (``CS_ARCH_X86``, ``CS_MODE_64``; a
    mode may be ``A|B``)."""
    try:
        import capstone
    except ImportError:
        return code.hex()
    flags = 0
    for name in mode.split("|"):
        flags |= getattr(capstone, name)
    md = capstone.Cs(getattr(capstone, arch), flags)
    return "\n".join(f"0x{i.address:016x}:  {i.mnemonic} {i.op_str}".rstrip()
                     for i in md.disasm(code, addr))  # fmt: skip


class _ThreadState(threading.local):
    """What the callbacks of the calling thread's vCPU are doing (see NativeHost)."""

    current: tuple[TB, int] | None = None
    pending: BaseException | None = None
    pending_where: tuple[TB, int] | None = None
    raised_at: tuple[BaseException, tuple[TB, int] | None] | None = None


class NativeHost(HostBackend):
    """Base class of machine-code host backends (see the module docstring)."""

    #: the slow path of guest accesses probes the TLB's second level (``layout``) and
    #: refills the first from it without leaving generated code
    l2_refill: ClassVar[bool] = False

    needs_executable_buffer = True
    allocator: Backend
    #: reach of the direct branch a goto_tb site is patched with (None: the whole
    #: code buffer); beyond it the site branches to its far stub, whose 8-byte
    #: literal, at ``far_literal`` bytes into the stub, is written first
    branch_range: ClassVar[int | None] = None
    far_literal: ClassVar[int] = 0
    #: instruction fetch sees stores to code without ``flush_icache`` (x86-64): the
    #: call is skipped
    icache_coherent: ClassVar[bool] = False
    #: a goto_tb site is a 32-bit displacement from the end of the site (x86-64's
    #: jmp rel32): ``code.patch_site`` computes it without ``goto_tb_word``
    goto_tb_rel32: ClassVar[bool] = False
    #: the flag bits of the image a host that computes float flags itself
    #: (``computes_fp_flags``) saves at ``layout.OFF_FP_SAVE``: ``fold_fp_flags`` turns
    #: them into ``fpflags`` bits (``host_fp_flags``) and clears them there
    fp_flag_mask: ClassVar[int] = 0

    def __init__(self) -> None:
        self._entry = NativeEntry(self.prologue(), type(self).entry_function, self.flush_icache)
        self._natives: dict[int, NativeCPU] = {}  # state address -> native block
        self._cpus: dict[int, CPU] = {}
        self._tbs: list[TB] = []
        self._helpers: dict[int, tuple[Helper, Any, int]] = {}
        self._py_ops: list[Any] = []
        self._py_op_flags: list[Any] = []  # per py_op index: its fpflags function or None
        self._fp_slot = -1  # the target's float-flags word, by slot (-1: none)
        self._py_op_ids: dict[tuple[str, tuple[int, ...]], int] = {}
        # per thread (so per running vCPU): .current, the TB and instruction of the
        # callback running; .pending/.pending_where, what a callback raised there;
        # .raised_at, the exception ``execute`` re-raised and where it happened
        self._thread = _ThreadState()
        self._tb_id_lock = threading.Lock()
        self._slow = SlowPath(self._tbs, self._thread)
        if self.fp_flag_mask:
            self._slow.fold = lambda cpu, state: self.fold_fp_flags(cpu, self._natives[state])
            self._slow.fold_mask = self.fp_flag_mask
        self._callbacks = Callbacks(self.python_thunk, self.flush_icache)
        cb = self._callbacks.make
        self._slow_cb = cb(self._slow.mem, SLOW_MEM)
        self._slow_load_cb = cb(self._slow.load, SLOW_LOAD)
        self._cmpxchg_cb = cb(self._slow.cmpxchg, SLOW_CMPXCHG)
        self._py_op_cb = cb(self._py_op, PY_OP)
        self._rt: Runtime | None = None
        self._jc_enabled = True
        self._buffer: Any = None
        self._atomic_fns: tuple[list[Any], Any] | None = None  # made on first use
        self._atomic_page: ExecPage | None = None
        # native TB lookups (``_native_lookup``): asked for once, when the first vCPU
        # attaches; the mirror is the policy's, the page holds the host's routines
        self._nl_asked = False
        self._nl_table: Any = None
        self._nl_page: ExecPage | None = None
        self._nl_routines: Any = None
        self._nl_mode = 0
        self._sp_page: ExecPage | None = None  # the shared slow path (``slow_path_routines``)
        self._sp_addrs: tuple[int, int] | None = None
        #: seconds spent in ``compile_tb``'s two steps (the engine times its own passes)
        self.phase_times = PhaseTimes()
        #: what ``compile_tb`` calls for ``lower_tb`` (a host may put its compiled
        #: lowering here, bound to its features, and spare a Python method call per TB)
        self.lower_call: Callable[[Allocation, int, int, Runtime, Callable[[Op], int]],
                                  Lowered] = self.lower_tb  # fmt: skip
        # chaining calls these once per jump linked: the compiled functions themselves
        self.link = functools.partial(link_tb, self)  # type: ignore[method-assign]
        self.unlink = functools.partial(unlink_tb, self)  # type: ignore[method-assign]

    # -- what a host provides -------------------------------------------------------------

    @abstractmethod
    def prologue(self) -> bytes:
        """Code of ``entry(state, code)``: save, set the state register, jump to code."""

    @abstractmethod
    def lower_tb(self, allocation: Allocation, tb_id: int, icount: int, rt: Runtime,
                 helper_addr: Callable[[Op], int]) -> Lowered:  # fmt: skip
        """Machine code for one allocated TB."""

    @abstractmethod
    def goto_tb_word(self, site: int, target: int | None) -> int:
        """The 32-bit word to store at a goto_tb ``site`` so that it jumps to ``target``
        (None: falls through to the exit)."""

    def host_words(self) -> tuple[int, int, int, int]:
        """The four host-specific constant words of every native block."""
        return (0, 0, 0, 0)

    def host_fp_flags(self, image: int) -> int:
        """The ``fpflags`` bits of the flag register image saved at ``OFF_FP_SAVE``."""
        return 0

    def fold_fp_flags(self, cpu: CPU, native: NativeCPU) -> None:
        """OR the flags generated code kept in the host's register (saved in its image)
        into the target's word, and clear them in the image (which generated code
        reloads after a call)."""
        fp = native.fp
        image = fp[0]
        if image & self.fp_flag_mask and self._fp_slot >= 0:
            cpu.words[self._fp_slot] |= self.host_fp_flags(image)
            fp[0] = image & ~self.fp_flag_mask

    def flush_icache(self, addr: int, size: int) -> None:
        """Make freshly written code at ``addr`` visible to instruction fetch."""
        return None

    def disassemble_code(self, code: bytes, addr: int) -> str:
        return code.hex()

    def atomic_routines(self) -> AtomicRoutines | None:
        """The host's compare-and-swap code (None: guest atomics of several vCPUs
        take the core's exclusive path)."""
        return None

    @staticmethod
    def entry_function(api: CAPI, message: int) -> bytes | None:
        """The host's code of the ``METH_FASTCALL`` C function that calls the prologue
        whose address its ``self`` holds with the GIL released (``native.entry``), or
        None where it has none (``execute`` then calls the prologue through ctypes)."""
        return None

    def python_thunk(self, api: CAPI, callable_addr: int, nargs: int) -> bytes | None:
        """The host's code of ``uint64 f(uint64 a0, ..., a[nargs-1])`` calling the Python
        object at ``callable_addr`` through the C API (``callbacks``), or None where it
        has none for ``nargs`` arguments (generated code then calls a ctypes closure)."""
        return None

    def slow_path_routines(self, slow_mem: int, slow_load: int) -> Any | None:
        """The host's shared slow path of guest loads and stores, calling ``slow_mem``
        (stores) and ``slow_load`` (loads, ``SlowPath.load``'s protocol):
        an object with ``code`` and the offsets ``load`` and ``store`` of two routines
        every TB's accesses call (their protocol is the host's: its lowering is their
        only caller); None: each access's stub holds the whole slow path."""
        return None

    def lookup_routines(self, page_bits: int, probe: tuple[int, int] | None) -> Any | None:
        """The host's native TB lookup over a ``tb_mirror`` table: an object with
        ``code`` and the offsets ``goto`` (where goto_ptr's misses jump), ``lookup``
        and ``hash`` (System V, for tests); None: lookups stay in Python."""
        return None

    # -- atomics ---------------------------------------------------------------------------------

    def _atomics(self) -> tuple[list[Any], Any] | None:
        got = self._atomic_fns
        if got is not None:
            return got
        with self._tb_id_lock:  # vCPU threads may get here at once
            if self._atomic_fns is not None:
                return self._atomic_fns
            routines = self.atomic_routines()
            if routines is None:
                got = ([], None)
            else:
                page = ExecPage(routines.code, self.flush_icache)
                self._atomic_page = page
                got = ([CAS(page.addr + off) for off in routines.cas],
                       None if routines.cas_pair is None
                       else CAS_PAIR(page.addr + routines.cas_pair))  # fmt: skip
            self._atomic_fns = got
        return got

    def cas(self, host_addr: int, expected: int, new: int, log2: int) -> int | None:
        fns = self._atomics()
        if not fns or not fns[0]:
            return None
        return fns[0][log2](host_addr, expected, new)

    def cas_pair(self, host_addr: int, exp_lo: int, exp_hi: int, new_lo: int,
                 new_hi: int) -> tuple[int, int] | None:  # fmt: skip
        fns = self._atomics()
        if not fns or fns[1] is None:
            return None
        out = (ctypes.c_uint64 * 2)()
        fns[1](host_addr, exp_lo, exp_hi, new_lo, new_hi, ctypes.addressof(out))
        return out[0], out[1]

    # -- vCPUs ---------------------------------------------------------------------------------

    def new_state(self, nslots: int) -> MutableSequence[int]:
        native = NativeCPU(nslots, self.host_words())
        self._natives[native.state_addr] = native
        return native.state

    def attach(self, cpu: CPU) -> None:
        addr = ctypes.addressof(cpu.state)  # type: ignore[arg-type]
        native = self._natives[addr]
        self._cpus[addr] = cpu
        self._slow.attach(addr, cpu, word_view(native.control), word_view(native.fp))
        self._buffer = cpu.engine.code_buffer
        cpu.exit_flag = (ctypes.c_uint64 * 1).from_address(addr + L.OFF_EXIT)
        cpu.tlb.native = TLBMirror(native)
        cpu.tlb.native_l2 = self.l2_refill
        target = cpu.engine.target
        if target.fp_flags_offset is not None:
            self._fp_slot = target.fp_flags_offset >> 3
        probe = target.tb_flags_probe
        if probe is None and type(target).tb_flags is not GuestTarget.tb_flags:
            probe = (-1, 0)  # flags that cannot be probed: every goto_ptr misses
        self.bind_runtime(probe, target.pc_offset)
        self._native_lookup(cpu, native)

    # -- native TB lookups -----------------------------------------------------------------

    def _native_lookup(self, cpu: CPU, native: NativeCPU) -> None:
        """Point ``cpu``'s block at the native lookup, made when the host emits one,
        its flags can be probed, it has a compare-and-swap and the policy offers a
        mirror (``TBHashPolicy.native_table``), on the second vCPU (then the first is
        pointed at it too), or on the first without a jump cache (the qht study's
        mode). One vCPU with its jump cache misses it mostly for TBs not yet
        translated, which Python translates anyway, while the mirror's upkeep costs
        every compiled TB's insertion (callgrind, a coldcode.elf process: 4 % more
        host instructions with the mirror)."""
        engine = cpu.engine
        if not self._nl_asked:
            if not engine.tb_cache.hash_only and len(self._cpus) < 2:
                return
            self._nl_asked = True
            rt = self._rt
            assert rt is not None
            routines = self.lookup_routines(engine.target.page_bits, rt.flags_probe) \
                if self._jc_enabled else None  # fmt: skip
            if routines is None or self.cas(ctypes.addressof(native.nl), 0, 0, 3) is None:
                return
            from .tb_mirror import HASH_NAME

            table = engine.tb_cache.policy.native_table(_code_of, engine.target.page_bits,
                                                        self._cas64)  # fmt: skip
            if table is None or table.hash_name != HASH_NAME:
                return
            self._nl_page = ExecPage(routines.code, self.flush_icache)
            self._nl_routines = routines
            self._nl_table = table
            self._nl_mode = (0 if engine.tb_cache.hash_only else L.NL_MODE_FILL_JC) \
                | (L.NL_MODE_MRU if table.mru else 0)  # fmt: skip
            if engine.tb_cache.hash_only:  # no chaining: direct jumps look up natively too
                rt.direct_lookup = engine.target.pc_offset
            for addr, other in self._natives.items():  # vCPUs attached before
                if other is not native and addr in self._cpus:
                    self._point_native_lookup(other)
        self._point_native_lookup(native)

    def _point_native_lookup(self, native: NativeCPU) -> None:
        """Fill a vCPU's native-lookup words (the function last: a vCPU running
        meanwhile sees no lookup until every other word is set)."""
        page = self._nl_page
        if page is None or not self._jc_enabled:
            return
        nl = native.nl
        nl[L.NL_TABLE // 8] = self._nl_table.header_addr
        nl[L.NL_MODE // 8] = self._nl_mode
        nl[L.NL_SEEN // 8] = L.INVALID_TAG  # the passage writes the key words
        nl[L.NL_FN // 8] = page.addr + self._nl_routines.goto

    def _cas64(self, addr: int, expected: int, new: int) -> int:
        """The host's 8-byte compare-and-swap (the mirror's spinlocks)."""
        old = self.cas(addr, expected, new, 3)
        assert old is not None, "native lookups need the host's compare-and-swap"
        return old

    @property
    def time_phases(self) -> dict[str, float]:
        """Seconds ``compile_tb`` spent in each of its two steps, by name."""
        return {"allocate": self.phase_times.allocate, "lower+enc": self.phase_times.lower}

    @property
    def native_table(self) -> Any:
        """The policy's native mirror generated code looks TBs up in (None: none)."""
        return self._nl_table

    def native_lookups(self, cpu: CPU) -> dict[str, int]:
        if self._nl_table is None:
            return {}
        native = self._natives.get(ctypes.addressof(cpu.state))  # type: ignore[arg-type]
        if native is None:
            return {}
        nl = native.nl
        return {"hits": nl[L.NL_HITS // 8], "misses": nl[L.NL_MISSES // 8],
                "mru_promotions": nl[L.NL_MRU // 8], "retries": nl[L.NL_RETRIES // 8],
                "probes": nl[L.NL_PROBES // 8]}  # fmt: skip

    def lookup_functions(self) -> tuple[Any, Any] | None:
        """The routines ``lookup(table, key words, mru) -> code`` and ``hash(pc,
        cs_base, flags word)`` as ctypes functions (tests), or None."""
        page = self._nl_page
        if page is None:
            return None
        r = self._nl_routines
        return (NL_LOOKUP(page.addr + r.lookup), NL_HASH(page.addr + r.hash))

    def bind_runtime(self, probe: tuple[int, int] | None, pc_offset: int = -1) -> Runtime:
        """Fix what generated code calls and probes (once the target is known: the TB
        flags' probe and the pc's byte offset in the state)."""
        self._rt = Runtime(
            slow_mem=self._slow_cb,
            py_op=self._py_op_cb,
            py_op_index=self._py_op_index,
            flags_probe=None if probe is None or probe[0] < 0 else probe,
            slow_cmpxchg=self._cmpxchg_cb,
        )
        if self._sp_addrs is None:
            slow_load = self._slow_load_cb
            routines = self.slow_path_routines(self._rt.slow_mem, slow_load)
            if routines is None:
                self._sp_addrs = (0, 0)
            else:
                self._sp_page = page = ExecPage(routines.code, self.flush_icache)
                self._sp_addrs = (page.addr + routines.load, page.addr + routines.store)
        self._rt.mem_load, self._rt.mem_store = self._sp_addrs
        self._rt.pc_offset = pc_offset
        # the compiled function itself, with what it reads of this host gathered
        self.compile = functools.partial(compile_tb, CompileEnv(self, self._rt))  # type: ignore[method-assign]
        self._jc_enabled = not (probe is not None and probe[0] < 0)
        for cpu in self._cpus.values():
            cpu.passage = None  # made again from these on its next passage
        return self._rt

    # -- compilation ---------------------------------------------------------------------------

    def compile(self, ctx: TCGContext, tb: TB, alloc: Alloc) -> None:
        # replaced by ``bind_runtime`` (a vCPU attached)
        raise RuntimeError("no vCPU attached: the runtime of generated code is not bound")

    def helper_addr(self, op: Op) -> int:
        """The callback address of ``op``'s helper (made once per helper)."""
        h: Helper = op.consts[0]
        got = self._helpers.get(id(h))
        if got is None:
            n_in = len(op.ins)
            mask = M64 if h.out_type is None or h.out_type.value == 64 else 0xFFFFFFFF

            def tramp(state: int, *args: int, _h: Helper = h, _n: int = n_in) -> int:
                t = self._thread
                try:
                    cpu = self._cpus[state]
                    t.current = self._where(state)
                    self.fold_fp_flags(cpu, self._natives[state])  # FPSR reads see them
                    r = _h.func(cpu, *args[:_n])
                    if _h.out_type is not None:
                        self._natives[state].set_word(L.OFF_RET, int(r) & mask)
                    return 0
                except BaseException as e:
                    t.pending, t.pending_where = e, t.current
                    return 1
                finally:
                    t.current = None

            got = (h, tramp, self._callbacks.make(tramp, HELPER))
            self._helpers[id(h)] = got
        return got[2]

    def _py_op_index(self, opc: str, consts: tuple[int, ...]) -> int:
        key = (opc, consts)
        i = self._py_op_ids.get(key)
        if i is None:
            fn, n_in = OP_IMPL[opc], opdef(opc).n_in
            i = self._py_op_ids[key] = len(self._py_ops)
            self._py_ops.append(lambda *a, _f=fn, _c=consts, _n=n_in: _f(*a[:_n], *_c))
            fl = OP_FLAGS.get(opc) if opc in RAISING else None
            self._py_op_flags.append(
                None if fl is None else lambda *a, _f=fl, _c=consts, _n=n_in: _f(*a[:_n], *_c)
            )
        return i

    # -- callbacks from generated code ---------------------------------------------------------

    def _where(self, state: int) -> tuple[TB, int] | None:
        return self._slow.where(self._natives[state].word(L.OFF_WHERE))

    def _py_op(self, state: int, index: int, a: int, b: int, c: int) -> int:
        try:
            r = self._py_ops[index](a, b, c)
            flags = self._py_op_flags[index]
            if flags is not None and self._fp_slot >= 0:  # the op's IEEE flags (``fpflags``)
                self._cpus[state].words[self._fp_slot] |= flags(a, b, c)
            self._natives[state].set_word(L.OFF_RET, r)
            return 0
        except BaseException as e:
            t = self._thread
            t.pending, t.pending_where = e, None
            return 1

    # -- execution -----------------------------------------------------------------------------

    def execute(self, cpu: CPU, tb: TB) -> tuple[TB, int]:
        """Run from ``tb`` until an exit the loop must see (``native.passage``)."""
        return passage_execute(self, cpu, tb)

    def locate(self, exc: BaseException) -> tuple[TB, int] | None:
        raised = self._thread.raised_at
        if raised is not None and raised[0] is exc:
            return raised[1]
        return None

    def current_insn(self) -> tuple[TB, int] | None:
        return self._thread.current

    # -- chaining --------------------------------------------------------------------------------

    def write_code(self, addr: int, data: bytes) -> None:
        """Write ``data`` over code at ``addr`` (through the writable view under W^X)."""
        ctypes.memmove(self._buffer.writable(addr), data, len(data))
        if not self.icache_coherent:
            self.flush_icache(addr, len(data))

    def link(self, tb: TB, slot: int, dest: TB) -> None:
        """``code.link_tb`` (each instance calls it directly: see ``__init__``)."""
        link_tb(self, tb, slot, dest)

    def unlink(self, tb: TB, slot: int) -> None:
        """``code.unlink_tb`` (each instance calls it directly: see ``__init__``)."""
        unlink_tb(self, tb, slot)

    def tb_invalidated(self, tb: TB) -> None:
        if tb.host is not None:
            index = jmp_cache_index(tb.pc)
            for native in self._natives.values():
                native.jc_drop(index, tb.host.entry)

    def flushed(self) -> None:
        self._tbs.clear()
        for native in self._natives.values():
            native.jc_clear()
        if self._nl_table is not None:  # no vCPU is in generated code: old maps can go
            self._nl_table.reclaim()

    # -- inspection and release -----------------------------------------------------------------

    def disassemble(self, tb: TB) -> str:
        return self.disassemble_code(ctypes.string_at(tb.host.entry, tb.host_size), tb.host.entry)

    def release(self) -> None:
        self._tbs.clear()
        self._helpers.clear()
        self._callbacks.release()
        self._py_ops.clear()
        self._cpus.clear()
        self._slow.clear()
        for native in self._natives.values():
            native.release()
        self._natives.clear()
        self._entry.release()
        if self._atomic_page is not None:
            self._atomic_page.release()
            self._atomic_page = None
        if self._nl_table is not None:
            self._nl_table.release()
            self._nl_table = None
        if self._nl_page is not None:
            self._nl_page.release()
            self._nl_page = None
        if self._sp_page is not None:
            self._sp_page.release()
            self._sp_page = None
        self._sp_addrs = None
        self._atomic_fns = None
        self._thread = self._slow.thread = _ThreadState()
