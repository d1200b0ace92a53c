"""The engine of one emulator: it wires a target, a host backend, a TB
hash-table policy, the memory system and the hooks together.

Owns ``Engine``: the translation contexts and the code buffer, the TB cache,
the vCPUs, the hooks, and the bridge between generated code's rare paths
and the memory API (guest reads and writes on the slow path, code fetch,
faults and the hooks they fire, writes that hit translated code). The
execution loop (``loop``) drives it; the public ``Emulator`` wraps it.

With several vCPUs (``add_cpu``), each runs the loop in its own thread:
changes to the TB cache are made under ``tb_lock`` (translation itself is
not: each vCPU translates with its own context into its own region), and
changes to what other vCPUs' generated code reads (their TLBs, the memory
map, a TB flush) are exclusive work (``exclusive``, ``tb_flush``). The
vCPU a thread runs is ``current_cpu()``.

Compiled by mypyc with the translator (``hatch_build``), like ``cpu``: per-TB
code reads the engine's fields directly. An engine cannot be weakly referenced
(the emulator's memory listener holds it and is detached at release).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from time import perf_counter
from typing import TYPE_CHECKING, Any, Final

from .. import hooks as H
from .._bundle import status as bundle_status
from .._collector import relaxed
from ..errors import (
    CodeModified,
    EmulatorClosedError,
    ProtectionFaultError,
    UnhandledInterruptError,
    UnmappedMemoryError,
)
from ..log import DebugLog
from ..memory import (
    PROT_READ,
    PROT_WRITE,
    MemoryAccessError,
    ProtectionError,
    UnmappedAccessError,
)
from ..tcg import translator_build
from ..tcg.context import ContextTable, TCGContext
from ..tcg.region import CodeBuffer
from .cpu import CPU
from .exclusive import ExclusiveGate, RunState
from .softmmu import PAGE_BITS, PAGE_SIZE
from .tb import CF_PARALLEL, CF_SINGLE_STEP, TB
from .tb_hash import TBHashPolicy
from .tb_maint import TBCache
from .vtlb import FillFunction, VirtualTLB

if TYPE_CHECKING:
    from ..host import HostBackend
    from ..memory import AddressSpace
    from ..target import GuestTarget

DEFAULT_CODE_BUFFER: Final = 64 << 20
DEFAULT_REGION: Final = 2 << 20
#: runs of a TB in tier 0 (interpreted) before the host backend compiles it
DEFAULT_TIER_UP: Final = 3
#: young collections wait for this many net allocations from an emulator's first run
#: until it is released (``_collector``)
DEFAULT_GC_YOUNG: Final = 500_000

_FAULTS = {
    "read": (H.HOOK_MEM_READ_UNMAPPED, H.MEM_READ_UNMAPPED, H.HOOK_MEM_READ_PROT, H.MEM_READ_PROT),
    "write": (H.HOOK_MEM_WRITE_UNMAPPED, H.MEM_WRITE_UNMAPPED, H.HOOK_MEM_WRITE_PROT,
              H.MEM_WRITE_PROT),
    "fetch": (H.HOOK_MEM_FETCH_UNMAPPED, H.MEM_FETCH_UNMAPPED, H.HOOK_MEM_FETCH_PROT,
              H.MEM_FETCH_PROT),
}  # fmt: skip


def _released_code(addr: int, size: int) -> bytes:
    raise EmulatorClosedError(f"the engine is released: no code to read at {addr:#x}")


class Engine:
    """Everything one emulator runs with."""

    def __init__(
        self,
        emu: Any,
        target: GuestTarget,
        host: HostBackend,
        policy: TBHashPolicy,
        aspace: AddressSpace,
        *,
        log: DebugLog | None = None,
        code_buffer_size: int = DEFAULT_CODE_BUFFER,
        region_size: int = DEFAULT_REGION,
        max_cpus: int = 64,
        jump_cache: bool = True,
        tier_up: int = DEFAULT_TIER_UP,
        gc_young: int = DEFAULT_GC_YOUNG,
    ) -> None:
        if target.page_bits != PAGE_BITS:
            raise ValueError(f"target {target.name}: only {PAGE_SIZE}-byte pages are supported")
        self._emu = weakref.ref(emu)
        self.target = target
        # a TB stops before an instruction on another 2^tb_page_bits page (the target's
        # page; tcgkit.unicorn: Unicorn's, as its translator stops at its own pages)
        self.tb_page_bits = target.page_bits
        #: the target's fixed attributes translation reads per TB, as native fields
        #: (the target is a plugin object: each of its attributes is a generic lookup)
        self.target_page_bits: int = target.page_bits
        self.target_max_insns: int = target.max_insns
        self.host = host
        self.aspace = aspace
        # read_code's last RAM range, as native fields: the flat view it came from (None:
        # no range), its guest start and end, the region's memory and the offset into it
        self._code_view: Any = None
        self._code_start = 0
        self._code_end = 0
        self._code_mem: Any = None
        self._code_delta = 0
        #: virtual-address translation (``vtlb``; ``set_translation``): None while guest
        #: addresses are physical
        self.vtlb: VirtualTLB | None = None
        self.log = log or DebugLog()
        template = TCGContext(target.state_size)
        if target.fp_flags_offset is not None:
            template.fp_flags_offset = target.fp_flags_offset
        #: the helpers computing float ops' flags for a host whose code does not
        #: (``fpflags.add_flag_calls``), by (opcode, constants)
        self.fp_flag_helpers: dict[tuple[str, tuple[int, ...]], Any] = {}
        target.init_globals(template)
        template.freeze()
        self.contexts = ContextTable(template, max_cpus)
        self.code_buffer = CodeBuffer(code_buffer_size, region_size,
                                      executable=host.needs_executable_buffer)  # fmt: skip
        self.hooks = H.HookRegistry()
        self._hooks_version = self.hooks.version
        self.cpus: list[CPU] = []
        self.gate = ExclusiveGate(self.cpus)
        #: serializes changes to the TB cache (insert, link, invalidate, flush)
        self.tb_lock = threading.RLock()
        self._local = threading.local()  # .cpu: the vCPU this thread runs
        self.tb_cache = TBCache(self, policy)
        self.tb_cache.hash_only = not jump_cache
        self.flush_pending = False
        self.cflags_base = 0  # CF_PARALLEL from the second vCPU on
        if tier_up < 0:
            raise ValueError(f"tier_up must be 0 (compile every TB at once) or more, not {tier_up}")
        #: a TB runs interpreted (tier 0) this many times before it is compiled; 0:
        #: every TB is compiled at once (``tier0``)
        self.tier_up = tier_up
        if self.log.categories & {"op_opt", "out_asm"}:
            self.tier_up = 0  # the log asks for every TB's optimized IR and host code
        if gc_young < 0:
            raise ValueError(f"gc_young must be 0 (leave the collector alone) or more, "
                             f"not {gc_young}")  # fmt: skip
        #: the collector's first threshold from the first run on (``_collector.relaxed``)
        self.gc_young = gc_young
        #: the block that relaxed it, entered by the first run and left by ``release``:
        #: what the runs keep (the TBs, their tier-0 programs and IR) is freed by
        #: ``release``, so a process that closes its emulator never has a young
        #: collection traverse it (``relax_collector``)
        self.collector_hold: relaxed | None = None
        self.cpu = self.add_cpu()
        self.time_translating = 0.0
        #: TBs made again with half their instructions (``translate.TBTooLarge``)
        self.tbs_halved = 0
        self.time_executing = 0.0
        self.time_interpreting = 0.0  # within time_executing
        #: seconds of time_translating spent in the core's passes (the host backend's
        #: allocation, lowering and installation are the rest): float fields, read and
        #: written natively per TB where a dict by phase name was a lookup and a boxed
        #: float each (``time_phases`` gives them by name)
        self.time_decode = 0.0
        self.time_optimize = 0.0
        self.time_liveness = 0.0
        #: the translator's clock: a field read, where the module global was a dict lookup
        #: (ten per TB)
        self.clock: Callable[[], float] = perf_counter
        #: the methods translation hands every TB's DisasContext, bound once (an attribute
        #: read of a method makes a bound method object each time)
        self.fetch_code_fn: Callable[[int, int], bytes] = self.fetch_code
        self.read_code_fn: Callable[[int, int], bytes] = self.read_code

    @property
    def time_phases(self) -> dict[str, float]:
        """Seconds spent in each of the core's passes, by name."""
        return {"decode/IR": self.time_decode, "optimize": self.time_optimize,
                "liveness": self.time_liveness}  # fmt: skip

    @property
    def emu(self) -> Any:
        return self._emu()

    # -- vCPUs -----------------------------------------------------------------------

    def add_cpu(self) -> CPU:
        """A new vCPU: the next slot of the context table, a clone of the template."""
        index, ctx = self.contexts.claim()
        cpu = CPU(self, index, ctx)
        self.target.reset_cpu(cpu)
        self.cpus.append(cpu)
        if len(self.cpus) == 2:
            # TBs translated for one vCPU do atomics as plain loads and stores
            self.cflags_base = CF_PARALLEL
            self.tb_flush()
        return cpu

    def stop_all(self) -> None:
        """Stop every vCPU at its next TB boundary."""
        for cpu in self.cpus:
            cpu.request_stop()

    def current_cpu(self) -> CPU | None:
        """The vCPU the calling thread runs (None outside ``cpu_exec``)."""
        return getattr(self._local, "cpu", None)

    def bind_thread(self, cpu: CPU | None) -> CPU | None:
        """Make ``cpu`` the calling thread's vCPU; returns the previous one."""
        previous = getattr(self._local, "cpu", None)
        self._local.cpu = cpu
        return previous

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Run the block while no other vCPU is in its loop's inner section (they are
        outside it, or parked in a callback inside a TB they will go on running)."""
        cpu = self.current_cpu()
        self.gate.start(cpu)
        try:
            yield
        finally:
            self.gate.end(cpu)

    @property
    def code_pages(self) -> dict[int, Any]:
        return self.tb_cache.page_tbs

    # -- maintenance -------------------------------------------------------------

    def tb_flush(self) -> None:
        """Flush the TB cache now if no vCPU can be inside generated code; otherwise
        at the next TB boundary (``flush_pending``: every loop comes back for it)."""
        cpu = self.current_cpu()
        if cpu is not None and cpu.run_state is not RunState.OUT:
            self._defer_flush()
            return
        with self.exclusive():
            if self.gate.parked():
                self._defer_flush()
                return
            with self.tb_lock:
                self.tb_cache.flush()
            self.flush_pending = False

    def _defer_flush(self) -> None:
        self.flush_pending = True
        for cpu in self.cpus:
            cpu.request_exit()

    def hooks_changed(self) -> None:
        """Hooks were added or removed: make translated code and TLBs reflect them."""
        if self.hooks.version != self._hooks_version:
            self._hooks_version = self.hooks.version
            with self.exclusive():
                for cpu in self.cpus:
                    cpu.tlb.flush()
            self.tb_flush()

    def set_translation(self, fill: FillFunction | None, page_bits: int = PAGE_BITS) -> None:
        """Translate every guest access's virtual page through ``fill`` (``vtlb``), or,
        with None, no more (guest addresses are physical again). Either way every TLB
        entry, kept translation and TB is dropped."""
        if fill is not None and not 0 < page_bits < 64:
            raise ValueError(f"translation pages of 2^{page_bits} bytes: 2^1 to 2^63")
        self.vtlb = None if fill is None else VirtualTLB(self, fill, page_bits)
        self.flush_translation()

    def flush_translation(self) -> None:
        """Drop every TLB entry (both levels) and, with translation on, every kept
        translation and the TBs keyed by virtual addresses."""
        vtlb = self.vtlb
        if vtlb is not None:
            vtlb.flush()
        self._code_view = self._code_mem = None
        with self.exclusive():
            for cpu in self.cpus:
                cpu.tlb.flush()
        self.tb_flush()

    def translation_replaced(self, addr: int) -> None:
        """A kept translation of virtual ``addr``'s page was replaced: the TLBs' entries
        of that page go."""
        page = addr >> PAGE_BITS
        for cpu in self.cpus:
            cpu.tlb.flush_page(page)

    def topology_changed(self, removed: list[tuple[int, int]]) -> None:
        """The guest memory map changed: drop TLB entries and code that lost its memory
        (and, with translation on, the kept translations)."""
        if self.vtlb is not None:
            self.flush_translation()
        with self.exclusive():
            for cpu in self.cpus:
                cpu.tlb.flush()
            for start, end in removed:
                self.invalidate_code(start, end, None)

    def invalidate_code(self, start: int, end: int, cpu: CPU | None) -> None:
        """Invalidate the TBs on guest bytes [start, end). ``cpu``: the vCPU whose store
        wrote them (None: an API call or a hook)."""
        if not any(
            p in self.tb_cache.page_tbs
            for p in range(start >> PAGE_BITS, ((end - 1) >> PAGE_BITS) + 1)
        ):
            return  # fmt: skip
        with self.tb_lock:
            hit = self.tb_cache.invalidate_range(start, end)
        me = cpu if cpu is not None else self.current_cpu()
        where = self.current_insn(me)  # this thread's TB and instruction, if in one
        if where is not None and where[0] in hit and me is not None:
            me.current_tb_invalidated = True
            if cpu is not None and where[0].icount != 1:
                # A guest store overwrote its own TB (QEMU's current_tb_modified): the
                # instructions after it must not run from the stale code. Re-execute the
                # store alone, in a one-off single-instruction TB whose own write does
                # not restart it again, then go on with freshly translated code.
                cpu.current_tb_invalidated = False
                cpu.skip_code_hook_pc = where[0].insn_pcs[where[1]]
                cpu.cflags_next_tb = CF_SINGLE_STEP
                raise CodeModified(resume_after=False)

    # -- where guest code is -------------------------------------------------------------

    def current_insn(self, cpu: CPU | None = None) -> tuple[TB, int] | None:
        """While a helper, hook or slow path runs inside a TB on this thread (``cpu``:
        its vCPU, when the caller knows it): that TB and the guest instruction index."""
        if cpu is None:
            cpu = self.current_cpu()
        if cpu is not None:
            if cpu.interp_tb is not None:
                return cpu.interp_tb, cpu.interp_insn
            if cpu.native_where is not None:
                return cpu.native_where
        return self.host.current_insn()

    def locate(self, cpu: CPU, exc: BaseException) -> tuple[TB, int] | None:
        """For an exception that left a TB ``cpu`` ran: the TB and guest instruction."""
        raised = cpu.interp_raised
        if raised is not None:
            cpu.interp_raised = None
            if raised[0] is exc:
                return raised[1]
        return self.host.locate(exc)

    # -- the memory API, for generated code's rare paths ------------------------------

    def ram_page(self, page: int) -> tuple[memoryview, int, bool, bool, int] | None:
        """(view, base, readable, writable, host address of view[0]) if the whole guest
        page is one RAM range."""
        addr = page << PAGE_BITS
        r = self.aspace.flatview.lookup(addr)
        if r is None or r.region.view is None or r.start > addr or r.end < addr + PAGE_SIZE:
            return None
        base = r.start - r.offset_in_region
        readable, writable = bool(r.perms & PROT_READ), bool(r.perms & PROT_WRITE)
        return r.region.view, base, readable, writable, r.region.host_addr

    def ram_span(self, addr: int) -> tuple[int, int, bool, bool] | None:
        """(start, end, readable, writable) of the flat range holding ``addr`` when it
        is RAM, whole pages of it: what the TLB's second level may be filled with."""
        r = self.aspace.flatview.lookup(addr) if 0 <= addr < 1 << 64 else None
        if r is None or r.region.view is None:
            return None
        start = (r.start + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
        end = r.end & ~(PAGE_SIZE - 1)
        if start >= end:
            return None
        return start, end, bool(r.perms & PROT_READ), bool(r.perms & PROT_WRITE)

    def _faulting(self, cpu: CPU | None, kind: str, addr: int, size: int, value: int,
                  do: Callable[[], Any], fetch_pc: int = -1) -> Any:  # fmt: skip
        """Run the access ``do``; on a fault fire the invalid-memory hooks, retry once.
        ``fetch_pc``: a translated fetch's virtual address (the fault's pc)."""
        hook_u, acc_u, hook_p, acc_p = _FAULTS[kind]
        retried = False
        while True:
            try:
                return do()
            except UnmappedAccessError as e:
                fault_addr = getattr(e, "address", addr)
                if not retried and self.fire_invalid(cpu, hook_u, acc_u, fault_addr, size, value):
                    retried = True
                    continue
                pc = fetch_pc if fetch_pc >= 0 else self._fault_pc(cpu, addr, kind)
                raise UnmappedMemoryError(
                    f"{kind} of {size} bytes at unmapped memory", access=acc_u,
                    address=fault_addr, size=size, pc=pc) from None  # fmt: skip
            except ProtectionError as e:
                fault_addr = getattr(e, "address", addr)
                if not retried and self.fire_invalid(cpu, hook_p, acc_p, fault_addr, size, value):
                    retried = True
                    continue
                pc = fetch_pc if fetch_pc >= 0 else self._fault_pc(cpu, addr, kind)
                raise ProtectionFaultError(
                    f"{kind} of {size} bytes not allowed by the mapping's permissions",
                    access=acc_p, address=fault_addr, size=size, pc=pc) from None  # fmt: skip

    def _fault_pc(self, cpu: CPU | None, addr: int, kind: str) -> int | None:
        if kind == "fetch":
            return addr
        if cpu is None:
            return None
        cpu.sync_pc()
        return cpu.pc

    def guest_read(self, cpu: CPU, addr: int, size: int) -> bytes:
        return self._faulting(cpu, "read", addr, size, 0,
                              lambda: self.aspace.read(addr, size))  # fmt: skip

    def guest_write(self, cpu: CPU, addr: int, data: bytes) -> None:
        value = int.from_bytes(data, "little")
        self._faulting(cpu, "write", addr, len(data), value,
                       lambda: self.aspace.write(addr, data))  # fmt: skip

    def read_translated(self, cpu: CPU, vtlb: VirtualTLB, addr: int, size: int) -> bytes:
        """``guest_read`` of virtual ``addr`` (translation on; the access within one
        virtual page), translated again when an invalid-memory hook asks to retry."""
        paddr = vtlb.translate(cpu, addr, size, H.MEM_READ)
        do = partial(self._read_virtual, cpu, vtlb, addr, size)
        return self._faulting(cpu, "read", paddr, size, 0, do)

    def _read_virtual(self, cpu: CPU, vtlb: VirtualTLB, addr: int, size: int) -> bytes:
        return self.aspace.read(vtlb.translate(cpu, addr, size, H.MEM_READ), size)

    def write_translated(self, cpu: CPU, vtlb: VirtualTLB, addr: int, data: bytes) -> int:
        """``guest_write`` to virtual ``addr`` (as ``read_translated``); returns the
        physical address written."""
        paddr = vtlb.translate(cpu, addr, len(data), H.MEM_WRITE)
        value = int.from_bytes(data, "little")
        do = partial(self._write_virtual, cpu, vtlb, addr, data)
        return self._faulting(cpu, "write", paddr, len(data), value, do)

    def _write_virtual(self, cpu: CPU, vtlb: VirtualTLB, addr: int, data: bytes) -> int:
        paddr = vtlb.translate(cpu, addr, len(data), H.MEM_WRITE)
        self.aspace.write(paddr, data)
        return paddr

    def fetch_code(self, addr: int, size: int) -> bytes:
        vtlb = self.vtlb
        if vtlb is not None:
            return self._fetch_translated(vtlb, addr, size)
        return self._faulting(None, "fetch", addr, size, 0,
                              lambda: self.aspace.read(addr, size, access="fetch"))  # fmt: skip

    def _fetch_translated(self, vtlb: VirtualTLB, addr: int, size: int) -> bytes:
        """``fetch_code`` of virtual ``addr`` (translation on)."""
        data = b""
        for paddr, n in vtlb.pieces(None, addr, size, H.MEM_FETCH):
            read = partial(self.aspace.read, paddr, n, access="fetch")
            data += self._faulting(None, "fetch", paddr, n, 0, read, addr)
        return data

    def _read_code_translated(self, vtlb: VirtualTLB, addr: int, size: int) -> bytes:
        """``read_code`` of virtual ``addr`` (translation on): the bytes from ``addr`` to
        the end of its virtual page (at most ``size``) when a kept translation allows
        fetching them, else none (the translator then fetches through ``fetch_code``,
        which fills the translation)."""
        paddr = vtlb.peek(addr)
        if paddr is None:
            return b""
        n = min(size, (1 << vtlb.page_bits) - (addr & vtlb.offset_mask))
        try:
            return self.aspace.read(paddr, n, access="fetch")
        except MemoryAccessError:
            return b""

    def read_code(self, addr: int, size: int) -> bytes:
        """Code bytes for translation's read-ahead: no hooks, and the memory API's
        own exceptions (``MemoryAccessError``) rather than guest errors.

        Every TB reads its code here once; the executable RAM range of the last read
        is kept with the flat view it came from, and a read inside it copies from the
        region's memory directly. A flat view never changes (a map change, a
        protection change or a freed region makes a new one), so the range is good
        exactly while the address space still has that view.

        With translation on (``vtlb``), see ``_read_code_translated``."""
        vtlb = self.vtlb
        if vtlb is not None:
            return self._read_code_translated(vtlb, addr, size)
        aspace = self.aspace
        if self._code_start <= addr and addr + size <= self._code_end \
                and self._code_view is aspace._view and self._code_view is not None:  # fmt: skip
            off = addr + self._code_delta
            return bytes(self._code_mem[off : off + size])
        view = aspace.flatview
        data = aspace.read(addr, size, access="fetch")
        fr = view.lookup(addr)
        if fr is not None and fr.region.view is not None and addr + size <= fr.end:
            self._code_view = view
            self._code_start = fr.start
            self._code_end = fr.end
            self._code_mem = fr.region.view
            self._code_delta = fr.offset_in_region - fr.start
        return data

    def code_written(self, cpu: CPU, addr: int, size: int) -> None:
        self.invalidate_code(addr, addr + size, cpu)

    # -- hooks -----------------------------------------------------------------------

    def fire_invalid(self, cpu: CPU | None, kind: int, access: int, addr: int, size: int,
                     value: int) -> bool:  # fmt: skip
        """Call the invalid-memory hooks; True if one of them asks to retry."""
        if not self.hooks.mask & kind:
            return False
        if cpu is not None:
            cpu.sync_pc()
        retry = False
        for h in list(self.hooks.matching(kind, addr)):
            if h.callback(self.emu, access, addr, size, value):
                retry = True
        if retry:
            with self.exclusive():
                for c in self.cpus:
                    c.tlb.flush()
        return retry

    def fire_mem_hooks(self, cpu: CPU, kind: int, access: int, addr: int, size: int,
                       value: int, *, sync: bool = True) -> None:  # fmt: skip
        if sync:
            cpu.sync_pc()
        # the range test written out: a generator and a method call per hook cost more
        # than the test (a hooked access runs this every time)
        hooks = self.hooks
        emu = self.emu
        for h in hooks.reads if kind == H.HOOK_MEM_READ else hooks.of(kind):
            begin, end = h.begin, h.end
            if begin > end or begin <= addr <= end:
                cb = h.callback
                if isinstance(cb, H.MemCallback):
                    cb.mem(emu, access, addr, size, value)
                else:
                    cb(emu, access, addr, size, value)

    def fire_code_hooks(self, cpu: CPU, kind: int, pc: int, size: int) -> None:
        for h in self.hooks.of(kind):
            begin, end = h.begin, h.end
            if begin > end or begin <= pc <= end:
                h.callback(self.emu, pc, size)

    def fire_insn_hooks(self, cpu: CPU, insn: int, rt: int, key: tuple[int, ...],
                        value: int) -> bool:  # fmt: skip
        """The HOOK_INSN hooks covering the current instruction (the pc synced first);
        True when one asks that the instruction be skipped (each is called)."""
        cpu.sync_pc()
        skip = False
        for h in self.hooks.matching(H.HOOK_INSN, cpu.pc):
            if h.callback(self.emu, insn, rt, key, value):
                skip = True
        return skip

    def fire_op_hooks(self, cpu: CPU, pc: int, op: int, flags: int, a: int, b: int,
                      bits: int) -> None:  # fmt: skip
        """The HOOK_TCG_OPCODE hooks covering ``pc`` (``tcgkit.target.gen_op_hook``)."""
        for h in self.hooks.matching(H.HOOK_TCG_OPCODE, pc):
            h.callback(self.emu, pc, op, flags, a, b, bits)

    def fire_edge_hooks(self, cur: TB, prev: TB) -> None:
        """The HOOK_EDGE_GENERATED hooks covering ``cur.pc``: ``cur`` was just
        translated, ``prev`` ran before it."""
        now = H.BlockInfo(cur.pc, cur.icount, cur.size)
        before = H.BlockInfo(prev.pc, prev.icount, prev.size)
        for h in self.hooks.matching(H.HOOK_EDGE_GENERATED, cur.pc):
            h.callback(self.emu, now, before)

    def deliver_interrupt(self, cpu: CPU, intno: int) -> None:
        hooks = self.hooks.of(H.HOOK_INTR)
        if not hooks:
            raise UnhandledInterruptError(intno, cpu.pc)
        for h in hooks:
            h.callback(self.emu, intno)

    # -- statistics and release -----------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        c = self.tb_cache.counts
        with self.tb_lock:  # vCPUs' threads add and remove TBs meanwhile
            tbs_cached, tbs_calling = self.tb_cache.census()
        misses = sum(cpu.tlb.misses for cpu in self.cpus)
        refills = sum(cpu.tlb.native_refills for cpu in self.cpus)
        per_s = 1 / self.time_executing if self.time_executing > 0 else 0.0
        # TB lookups generated code did itself (``tcgkit.native.tb_mirror``), counted by
        # each vCPU in its own native block and summed here
        native: dict[str, int] = {}
        for cpu in self.cpus:
            for name, n in self.host.native_lookups(cpu).items():
                native[name] = native.get(name, 0) + n
        native_hits = native.get("hits", 0)
        # the table's own figures include the lookups done in its mirror (a native miss
        # goes on to the policy's lookup, which counts itself)
        table = self.tb_cache.policy.stats()
        if native:
            table["lookups"] += native_hits
            table["probes"] += native.get("probes", 0)
            table["mru_promotions"] += native.get("mru_promotions", 0)
        return {
            "tbs_translated": c["tbs_translated"],
            "tbs_halved": self.tbs_halved,
            "insns_translated": c["insns_translated"],
            # tier 0: TBs that started interpreted (their instructions), those compiled
            # later (``tier_up``), and the time spent interpreting
            "tier0": {
                "tier_up": self.tier_up,
                "tbs": c["tier0_tbs"],
                "insns": c["tier0_insns"],
                "compiled_when_hot": c["tier_ups"],
                "time_interpreting": self.time_interpreting,
            },
            "tbs_cached": tbs_cached,
            "tbs_calling_helpers": tbs_calling,
            "lookups": {
                "jmp_cache_hits": c["jmp_cache_hits"],
                "hash_hits": c["hash_hits"] + native_hits,
                "misses": c["misses"],
                # of them in generated code, without the GIL: hits in the hash table's
                # native mirror, misses that left for Python, MRU promotions, seqlock
                # retries, probes
                "native": native,
            },
            "lookups_native": native_hits,
            "lookups_native_per_s": round(native_hits * per_s),
            "chained_jumps": c["chained"],
            "tbs_invalidated": c["invalidated"],
            "flushes": c["flushes"],
            "regions_in_use": self.code_buffer.regions_in_use,
            "regions_total": len(self.code_buffer.regions),
            "code_bytes": self.code_buffer.bytes_used,
            # TLB misses handled in Python (the slow path), the entries it filled, and
            # the first-level misses generated code refilled from the second level;
            # per second of execution
            "tlb_misses": misses,
            "tlb_fills": sum(cpu.tlb.fills for cpu in self.cpus),
            "tlb_refills_native": refills,
            "tlb_misses_per_s": round(misses * per_s),
            "tlb_refills_native_per_s": round(refills * per_s),
            "time_translating": self.time_translating,
            "time_translating_core": self.time_phases,
            "time_translating_host": dict(getattr(self.host, "time_phases", {})),
            "us_per_insn_translated": round(self.time_translating * 1e6 / c["insns_translated"], 1)
            if c["insns_translated"]
            else 0.0,
            "translator": translator_build(),
            # the packages whose compiled modules are the one-group build (``_bundle``)
            "translator_bundle": bundle_status(),
            "time_executing": self.time_executing,
            "guest_instructions": sum(cpu.icount for cpu in self.cpus),
            "tb_hash": {"policy": self.tb_cache.policy.name, **table},
            "host": self.host.name,
            "target": self.target.name,
        }

    def relax_collector(self) -> None:
        """From the first run until ``release``, young collections wait for
        ``gc_young`` net allocations (each run also relaxes it while it runs, which
        covers an emulator whose hold found the collector relaxed by another one that
        has been released since). Called by ``cpu_exec`` under the ``tb_lock``."""
        if self.collector_hold is None and self.gc_young:
            hold = relaxed(self.gc_young)
            hold.__enter__()
            self.collector_hold = hold

    def release(self) -> None:
        """Free everything this engine made (idempotent; no vCPU may be running)."""
        if self.code_buffer.released:
            return
        self._code_view = self._code_mem = None  # a flat view and a region's memory
        self.fetch_code_fn = self.read_code_fn = _released_code  # (bound: a cycle)
        self.tb_cache.drop_all()  # not a flush: the caches it would reset go below
        self.host.flushed()  # every TB was dropped (a host lets go of its own references)
        self.code_buffer.release()
        self.hooks.clear()
        self.host.release()
        self.target.release()
        for cpu in self.cpus:
            cpu.jmp_cache = []
            cpu.tlb.entries = []
            cpu.passage = None  # it holds the host's execution state
        self.cpus.clear()
        hold, self.collector_hold = self.collector_hold, None
        if hold is not None:  # after the frees: what they free is no longer young
            hold.__exit__()
