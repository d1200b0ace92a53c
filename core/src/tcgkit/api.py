"""The public, Unicorn-like API: ``Emulator``.

Owns argument checking, plugin selection by name, and the translation of
the API's calls into the engine's and the memory system's operations. The
rules users rely on:

* every method of a closed emulator raises ``EmulatorClosedError``;
  ``close()`` itself is idempotent, runs when the with-block ends, and also
  when an emulator that was never closed is garbage-collected;
* errors name the guest pc and address where they have one;
* hooks take what Unicorn passes minus ``user_data`` (closures do that job);
  an exception raised in a hook stops emulation and propagates out of
  ``emu_start`` with its traceback;
* ``emu_start``'s ``timeout`` is in microseconds and ``count`` in guest
  instructions, as in Unicorn; 0 means no limit;
* an emulator has one vCPU until ``add_cpu`` adds more (``vcpu``); register
  calls act on the vCPU of the calling thread when a hook makes them, and
  on vCPU 0 otherwise; ``emu_stop`` stops every vCPU.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import hooks as H
from .errors import EmulatorClosedError, InvalidArgumentError
from .exec.engine import (
    DEFAULT_CODE_BUFFER,
    DEFAULT_GC_YOUNG,
    DEFAULT_REGION,
    DEFAULT_TIER_UP,
    Engine,
)
from .exec.loop import cpu_exec
from .exec.softmmu import PAGE_SIZE
from .exec.tb_hash import DEFAULT_LOG2_BUCKETS, CoreDictPolicy, TBHashPolicy
from .log import DebugLog
from .memory import (
    PROT_ALL,
    AddressSpace,
    GuestMemoryMap,
    MemoryRegion,
    MemorySnapshot,
    MemorySystem,
)
from .plugins import HOST, TARGET, TB_HASH, PluginManager, get_plugin_manager
from .vcpu import VCPU

if TYPE_CHECKING:
    from .exec.cpu import CPU

#: the TB hash-table policy used when none is named, if installed
DEFAULT_TB_HASH = "qht-dyn-nomru"
CORE_TB_HASH = CoreDictPolicy.name
#: the granules ``map_granule`` may be: a page the software TLB's (4 KiB) may hold
#: parts of several mappings, whose accesses then take the slow path
_GRANULES = frozenset(1 << n for n in range(10, PAGE_SIZE.bit_length()))


class CPUContext:
    """A saved CPU state (registers only, as Unicorn's context_save); equal to another
    of the same target and values, hashable, picklable.

    A plain slotted class, not a dataclass: see ``linux.abi.LinuxABI``."""

    __slots__ = ("state", "target")

    def __init__(self, target: str, state: tuple[int, ...]) -> None:
        self.target = target
        self.state = state

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CPUContext):
            return NotImplemented
        return self.target == other.target and self.state == other.state

    def __hash__(self) -> int:
        return hash((self.target, self.state))

    def __repr__(self) -> str:
        return f"CPUContext(target={self.target!r}, state=<{len(self.state)} words>)"


class _TopologyListener:
    """Tells the engine which guest ranges lost their memory at each commit.

    It holds the engine itself (a compiled ``Engine`` cannot be weakly referenced):
    the memory system it listens to is the emulator's own and is closed with it
    (``_release``), and the cycle engine -> address space -> system -> listener ->
    engine is one the collector frees if the emulator is dropped unclosed."""

    def __init__(self, engine: Engine) -> None:
        self._engine: Engine | None = engine
        self._removed: list[tuple[int, int]] = []

    def region_del(self, address_space: Any, section: Any) -> None:
        self._removed.append((section.start, section.end))

    def commit(self, address_space: Any) -> None:
        engine = self._engine
        removed, self._removed = self._removed, []
        if engine is not None:
            engine.topology_changed(removed)

    def detach(self) -> None:
        self._engine = None


def select_tb_hash(pm: PluginManager, name: str | None) -> type[TBHashPolicy]:
    """The policy class for ``name``; None picks the default or the core's fallback."""
    if name is None:
        name = DEFAULT_TB_HASH if DEFAULT_TB_HASH in pm.names(TB_HASH) else CORE_TB_HASH
    if name == CORE_TB_HASH:
        return CoreDictPolicy
    return pm.get(TB_HASH, name)


def _cpu_model(target_cls: Any, target: str, cpu: str | None) -> Any:
    """The target's CPU model ``cpu`` (``GuestTarget.find_cpu_model``); a target class
    that does not have that contract offers no models."""
    find = getattr(target_cls, "find_cpu_model", None)
    if find is not None:
        return find(cpu)
    if cpu is not None:
        raise InvalidArgumentError(f"guest target {target} offers no CPU models (cpu={cpu!r})")
    return None


class Emulator:
    """One emulated machine: a guest target on a host backend, with memory and hooks."""

    def __init__(
        self,
        target: str,
        host: str = "auto",
        tb_hash: str | None = None,
        *,
        cpu: str | None = None,
        tb_hash_log2_buckets: int = DEFAULT_LOG2_BUCKETS,
        debug: str = "",
        log_file: Any = None,
        code_buffer_size: int = DEFAULT_CODE_BUFFER,
        region_size: int = DEFAULT_REGION,
        plugin_manager: PluginManager | None = None,
        jump_cache: bool = True,
        max_cpus: int = 64,
        tier_up: int = DEFAULT_TIER_UP,
        gc_young: int = DEFAULT_GC_YOUNG,
        map_granule: int = PAGE_SIZE,
    ) -> None:
        if map_granule not in _GRANULES:
            raise InvalidArgumentError(
                f"map_granule must be a power of two from 1 KiB to {PAGE_SIZE}, not {map_granule}"
            )
        pm = plugin_manager or get_plugin_manager()
        target_cls = pm.get(TARGET, target)
        self.host_name = pm.resolve_host(host)
        host_cls = pm.get(HOST, self.host_name)
        policy_cls = select_tb_hash(pm, tb_hash)
        # the CPU model (``GuestTarget.cpu_models``; None: the target's default):
        # an unknown name fails here, naming the known ones, before anything is made
        model = _cpu_model(target_cls, target, cpu)
        self.target_name = target
        #: the name of the CPU model emulated (None: the target offers no models)
        self.cpu_name: str | None = None if model is None else model.name
        system = MemorySystem(plugin_manager=pm)
        self._memory = system
        self._system_root = MemoryRegion.container("system", 1 << 64)
        aspace = AddressSpace(system, self._system_root, "cpu-memory")
        self._map = GuestMemoryMap(system, self._system_root, map_granule)
        guest = target_cls() if cpu is None else target_cls(cpu=cpu)
        engine = Engine(
            self, guest, host_cls(), policy_cls(tb_hash_log2_buckets), aspace,
            log=DebugLog(debug, log_file), code_buffer_size=code_buffer_size,
            region_size=region_size, jump_cache=jump_cache, max_cpus=max_cpus,
            tier_up=tier_up, gc_young=gc_young,
        )  # fmt: skip
        self._engine: Engine | None = engine
        self._aspace = aspace
        self._listener = _TopologyListener(engine)
        system.add_listener(self._listener)
        self._lock = threading.Lock()
        self._vcpus = [VCPU(self, engine.cpu)]
        self._finalizer = weakref.finalize(self, _release, engine, system, self._listener)

    # -- life ------------------------------------------------------------------------

    def close(self) -> None:
        """Free everything this emulator made (code buffer, TBs, memory, hooks). Idempotent.

        vCPUs running in threads of their own are stopped and waited for first."""
        engine = self._engine
        if engine is None:
            return
        if engine.current_cpu() is not None:
            raise RuntimeError("close() called while emu_start is running; call emu_stop first")
        for vcpu in self._vcpus:
            while vcpu.running:  # in its own thread, or emu_start in another thread
                self.emu_stop()
                with contextlib.suppress(BaseException):  # what stopped it no longer matters
                    vcpu.join(0.05)
                time.sleep(0.001)
        self._engine = None
        self._finalizer()

    def __enter__(self) -> Emulator:
        self._live()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._engine is None

    def _live(self) -> Engine:
        engine = self._engine
        if engine is None:
            raise EmulatorClosedError("this emulator was closed")
        return engine

    # -- memory ------------------------------------------------------------------------

    def mem_map(self, address: int, size: int, perms: int = PROT_ALL) -> None:
        """Map ``size`` bytes of zeroed RAM at ``address`` (both multiples of the
        emulator's ``map_granule``, 4 KiB unless told)."""
        with self._live().exclusive():  # no other vCPU in generated code meanwhile
            self._map.map_ram(address, size, perms)

    def mem_map_ptr(self, address: int, size: int, perms: int, host_addr: int) -> None:
        """Map ``size`` bytes of the caller's host memory at ``host_addr`` as guest RAM
        at ``address`` (Unicorn's ``mem_map_ptr``): the guest and the caller share the
        bytes; the caller keeps the memory alive until it is unmapped or the emulator
        is closed. Guest code written there by the caller directly (not through
        ``mem_write``) is not noticed: call ``mem_write`` for code."""
        with self._live().exclusive():
            self._map.map_ram(address, size, perms, host_addr)

    def mmio_map(
        self,
        address: int,
        size: int,
        read_cb: Callable[[Emulator, int, int], int] | None,
        write_cb: Callable[[Emulator, int, int, int], None] | None,
        perms: int = PROT_ALL,
    ) -> None:
        """Map an MMIO range.

        ``read_cb(emu, offset, size)`` returns the value read and
        ``write_cb(emu, offset, size, value)`` takes the value written; ``perms``
        narrows what the guest may do there (a device is never executable).
        """
        engine = self._live()
        me = weakref.ref(self)
        read = None if read_cb is None else (lambda off, n: read_cb(me(), off, n))
        write = None if write_cb is None else (lambda off, n, v: write_cb(me(), off, n, v))
        with engine.exclusive():
            self._map.map_mmio(address, size, read, write, perms)

    def mem_unmap(self, address: int, size: int) -> None:
        # exclusive: no vCPU may use a TLB entry of the RAM while it is freed
        with self._live().exclusive():
            self._map.unmap(address, size)

    def mem_protect(self, address: int, size: int, perms: int, *, merge: bool = False) -> None:
        """``perms`` on [address, address + size), every byte of which is mapped. The
        parts of a mapping with other permissions become mappings of their own, as in
        Unicorn; with ``merge``, neighbouring parts of one mapping that now have the
        same permissions become one again, as Linux merges VMAs (``mem_regions``
        then lists them as one)."""
        with self._live().exclusive():
            self._map.protect(address, size, perms, merge)

    def mem_regions(self) -> list[tuple[int, int, int]]:
        """(begin, end inclusive, perms) of every mapping, as Unicorn reports them."""
        self._live()
        return self._map.regions()

    def mem_snapshot(self) -> MemorySnapshot:
        """Guest memory now, to come back to with ``mem_restore``: every mapping (its
        place, size, permissions, and device callbacks) and a copy of its RAM."""
        with self._live().exclusive():
            return self._map.snapshot()

    def mem_restore(self, snapshot: MemorySnapshot) -> None:
        """Make guest memory what it was at ``snapshot``: mappings made since go,
        mappings unmapped since come back, permissions and RAM bytes are as they were
        (pages of code whose bytes changed lose their TBs, as with ``mem_write``).
        The registers are not part of it (``context_save``). A mapping of the caller's
        host memory (``mem_map_ptr``) unmapped since cannot come back: ValueError, and
        nothing changes."""
        engine = self._live()
        with engine.exclusive():
            contents = self._map.restore_layout(snapshot)
        for address, data in contents:
            current = self._aspace.read(address, len(data), check_perms=False)
            if current == data:
                continue
            self._aspace.write(address, data, check_perms=False)
            # the TBs of a code page go only if its bytes changed (a window of 1 KiB
            # granules may hold part of a page)
            end = address + len(data)
            for page in self._code_pages_in(engine, address, end):
                start, stop = max(page << 12, address), min((page + 1) << 12, end)
                lo, hi = start - address, stop - address
                if current[lo:hi] != data[lo:hi]:
                    self._code_written(engine, start, stop, [page])

    def mem_read(self, address: int, size: int) -> bytearray:
        self._live()
        _check_range(address, size)
        return bytearray(self._aspace.read(address, size, check_perms=False))

    def mem_write(self, address: int, data: bytes) -> None:
        engine = self._live()
        n = len(data)
        _check_range(address, n)
        self._aspace.write(address, data if type(data) is bytes else bytes(data),
                           check_perms=False)  # fmt: skip
        if n:
            code = self._code_pages_in(engine, address, address + n)
            if code:
                self._code_written(engine, address, address + n, code)

    @staticmethod
    def _code_pages_in(engine: Engine, start: int, end: int) -> Sequence[int]:
        """The pages of [start, end) that TBs were made from."""
        first, last, code = start >> 12, (end - 1) >> 12, engine.code_pages
        if first == last:  # most writes (a fuzzer's input before each run): one page,
            return (first,) if first in code else ()  # and no list made for it
        if last - first < len(code):
            return [page for page in range(first, last + 1) if page in code]
        # a snapshot: other vCPUs' threads add code pages meanwhile
        return sorted(page for page in list(code) if first <= page <= last)

    @staticmethod
    def _code_written(engine: Engine, start: int, end: int, pages: Sequence[int]) -> None:
        """Code pages ``pages`` of [start, end) written: their TBs go, and their TLB
        entries (writes kept off the fast path while a page holds code) are refilled;
        other pages' entries stay good (the bytes changed, not the mapping)."""
        engine.invalidate_code(start, end, None)
        for cpu in engine.cpus:
            for page in pages:
                cpu.tlb.flush_page(page)

    # -- vCPUs -------------------------------------------------------------------------

    def add_cpu(self) -> VCPU:
        """Add a vCPU (registers reset, as the first one's were); at most ``max_cpus``."""
        engine = self._live()
        try:
            cpu = engine.add_cpu()
        except RuntimeError as e:
            raise ValueError(f"{e}: make the emulator with a larger max_cpus") from None
        vcpu = VCPU(self, cpu)
        self._vcpus.append(vcpu)
        return vcpu

    @property
    def cpus(self) -> list[VCPU]:
        """Every vCPU, by index (``cpus[0]`` is the one ``emu_start`` runs)."""
        self._live()
        return list(self._vcpus)

    @property
    def current_cpu(self) -> VCPU | None:
        """The vCPU running on the calling thread (in a hook: the one that fired it)."""
        cpu = self._live().current_cpu()
        return None if cpu is None else self._vcpus[cpu.index]

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for every vCPU started with ``VCPU.start`` (also those started while it
        waits, as a guest's new threads are); raise the first error that stopped one
        (the others were stopped by it). False if ``timeout`` passed first."""
        self._live()
        deadline = None if timeout is None else time.monotonic() + timeout
        error: BaseException | None = None
        while True:
            started = [v for v in self._vcpus if v.unjoined]
            if not started:
                break
            for vcpu in started:
                left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
                try:
                    if not vcpu.join(left):
                        return False
                except BaseException as e:
                    error = error or e
        if error is not None:
            raise error
        return True

    def _cpu_here(self, engine: Engine) -> CPU:
        return engine.current_cpu() or engine.cpu

    # -- registers -------------------------------------------------------------------

    def reg_read(self, name: str) -> int:
        engine = self._live()
        return engine.target.reg_read(self._cpu_here(engine), name)

    def reg_write(self, name: str, value: int) -> None:
        engine = self._live()
        engine.target.reg_write(self._cpu_here(engine), name, value)

    def context_save(self) -> CPUContext:
        engine = self._live()
        return self._context_save(self._cpu_here(engine))

    def context_restore(self, context: CPUContext) -> None:
        engine = self._live()
        self._context_restore(self._cpu_here(engine), context)

    def _context_save(self, cpu: CPU) -> CPUContext:
        self._live()
        return CPUContext(self.target_name, tuple(cpu.state))

    def _context_restore(self, cpu: CPU, context: CPUContext) -> None:
        self._live()
        if context.target != self.target_name or len(context.state) != len(cpu.state):
            raise ValueError(f"context of target {context.target} cannot be restored here")
        cpu.state[:] = list(context.state)

    # -- hooks -------------------------------------------------------------------------

    def hook_add(
        self, kind: int, callback: Callable[..., Any], begin: int = 1, end: int = 0
    ) -> int:
        """Install a hook; ``begin > end`` means everywhere. Returns a handle for hook_del."""
        engine = self._live()
        handle = engine.hooks.add(kind, callback, begin, end)
        engine.hooks_changed()
        return handle

    def hook_del(self, handle: int) -> None:
        engine = self._live()
        engine.hooks.remove(handle)
        engine.hooks_changed()

    # -- execution ---------------------------------------------------------------------

    def emu_start(self, begin: int, until: int, timeout: int = 0, count: int = 0) -> None:
        """Run vCPU 0 in this thread from ``begin`` until ``until``, ``timeout``
        microseconds, ``count`` instructions (other vCPUs: ``VCPU.start``)."""
        engine = self._live()
        if timeout < 0 or count < 0:
            raise ValueError("timeout and count must not be negative")
        if not self._lock.acquire(blocking=False):
            raise RuntimeError("emu_start is already running on this emulator")
        try:
            if engine.cpu.running:
                raise RuntimeError("vCPU 0 is already running (started with VCPU.start)")
            engine.cpu.stop_request = False
            cpu_exec(engine, engine.cpu, begin, until, timeout, count)
        finally:
            self._lock.release()

    def gdb_serve(self, where: int | str) -> Any:
        """Let gdb debug this emulator from vCPU 0's pc: wait for it on 127.0.0.1:``where``
        (a port) or on the Unix socket at the path ``where``, then serve it until it
        detaches (the guest runs on from there only when the caller runs it) or kills
        the guest, or the connection closes. Returns the session (``state``,
        ``exit_status``). Memory, registers and hooks are the caller's, set before."""
        from .gdbstub import EmulatorRunner, listen, serve

        self._live()
        return serve(EmulatorRunner(self), listen(where))

    def emu_stop(self) -> None:
        """Stop emulation on every vCPU (from a hook, or from another thread)."""
        self._live().stop_all()

    # -- introspection ---------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        engine = self._live()
        out = engine.stats()
        out["memory"] = self._memory.memory_stats()
        return out

    @property
    def memory(self) -> MemoryRegion:
        """The root of the CPU's memory (a container spanning 2^64): add regions of
        any kind to it (``emu.memory.add_subregion(addr, MemoryRegion.rom(...))``)."""
        self._live()
        return self._system_root

    @property
    def memory_system(self) -> MemorySystem:
        """Transactions and listeners for this emulator's memory."""
        self._live()
        return self._memory

    @property
    def engine(self) -> Engine:
        """The engine (for tools and tests that look inside)."""
        return self._live()


def _check_range(address: int, size: int) -> None:
    if size < 0 or address < 0 or address + size > 1 << 64:
        raise ValueError(f"address range {address:#x}+{size:#x} is outside the 64-bit space")


def _release(engine: Engine, system: MemorySystem, listener: _TopologyListener) -> None:
    listener.detach()
    engine.release()
    system.close()


__all__ = ["CPUContext", "Emulator", "H"]
