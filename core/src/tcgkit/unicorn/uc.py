"""``Uc``: Unicorn's engine object over a tcgkit ``Emulator``.

Owns the ``Uc`` class as Unicorn's Python bindings shape it: the lookup of the
target for ``(arch, mode)``, the emulator made at first use (as Unicorn's
``uc_init``, so that ``ctl_set_cpu_model`` and ``ctl_set_tcg_buffer_size`` work
until then; the calls that initialize Unicorn's engine without needing tcgkit's
emulator, ``ctl_get_cpu_model``, ``ctl_get_page_size`` and ``query``, end that time
too), the CPU model (Unicorn's UC_CPU_* number, run as the target's model the
``UnicornTarget`` names for it), memory (``mem_map`` ... ``mem_regions``), registers (``access``),
contexts, ``emu_start``/``emu_stop``, ``query`` and the ``ctl_*`` calls; the hooks
are ``hooks.HookMixin``. What Unicorn checks, it checks the same way and with the
same error codes (``UcError``): ranges not aligned to a page or empty
(UC_ERR_ARG), mapping over a mapping (UC_ERR_MAP), unmapping or protecting what
is not wholly mapped (UC_ERR_NOMEM), ``mem_read``/``mem_write`` of unmapped memory
(READ_UNMAPPED/WRITE_UNMAPPED, ignoring permissions, as Unicorn), and guest errors
from ``emu_start`` (``errors.guest_error_code``, with the target's interrupts for
undefined instructions and alignment faults delivered to UC_HOOK_INTR hooks).
Addresses and sizes are taken modulo 2^64, as the bindings' ctypes take them.
"""

from __future__ import annotations

import ctypes
import operator
import threading
import weakref
from array import array
from collections.abc import Callable, Iterator, MutableSequence, Sequence
from typing import Any

from .. import hooks as H
from ..api import Emulator
from ..errors import (
    EmulationError,
    InvalidInstructionError,
    MemoryAccessError,
    TranslationFaultError,
    UnalignedAccessError,
    UnmappedMemoryError,
)
from ..exec.engine import DEFAULT_CODE_BUFFER, DEFAULT_REGION
from ..exec.softmmu import PAGE_SIZE as _ENGINE_PAGE
from . import unicorn_const as C
from .access import RegisterAccess, table_for
from .context import UcContext
from .ctl import CtlMixin
from .errors import UcError, guest_error_code
from .hooks import HookMixin
from .memshim import StopAccess as _StopAccess
from .targets import find_target, resolve_options
from .vtlb import tlb_filler

M64 = (1 << 64) - 1
#: the page sizes ``ctl_set_page_size`` takes (above the engine's page,
#: ``_ENGINE_PAGE``, the granule of its mappings: whole pages of it)
_MIN_PAGE, _MAX_PAGE = 1024, 1 << 30
#: an ``until`` no AArch64 pc reaches (not 4-aligned): runs with exits but none set
_NEVER = M64


def _u64(value: Any) -> int:
    return operator.index(value) & M64


def _wrong_type(argument: int) -> ctypes.ArgumentError:
    """The error Unicorn's ctypes prototypes raise for an argument of a wrong type."""
    return ctypes.ArgumentError(f"argument {argument}: TypeError: wrong type")


def _host_address(ptr: Any) -> int:
    """``mem_map_ptr``'s host pointer as the bindings' ``c_void_p`` argument takes it:
    an int, or a ctypes object (array, pointer, ``byref``, ``c_void_p``) or ``bytes``,
    whose address is used."""
    if ptr is None or isinstance(ptr, int):
        return _u64(ptr or 0)
    try:
        return ctypes.cast(ptr, ctypes.c_void_p).value or 0
    except (ctypes.ArgumentError, TypeError):
        raise _wrong_type(5) from None


def _guest_bytes(data: Any) -> bytes:
    """``mem_write``'s data: what supports the buffer protocol (``bytes``, and the
    ``bytearray``, ``memoryview``, ``array`` and ctypes arrays Unicorn's ``char *``
    prototype refuses); anything else fails as in the bindings (``len`` first)."""
    if type(data) is bytes:  # the common case: no copy
        return data
    try:
        return bytes(memoryview(data))
    except TypeError:
        len(data)
        raise _wrong_type(3) from None


def _snapshot(words: MutableSequence[int]) -> array[int]:
    out = array("Q")
    if isinstance(words, memoryview):
        out.frombytes(words.tobytes())
    else:
        out.extend(words)
    return out


class Uc(HookMixin, RegisterAccess, CtlMixin):
    """A Unicorn engine: ``Uc(arch, mode, cpu=None, **extras)``.

    ``extras``: tcgkit's options (``host``, ``tb_hash``, ``debug``, ``tier_up``,
    ``fetch_hooks``; see ``targets``), each also read from the environment."""

    _arch_classes: dict[type, type] = {}

    def __new__(cls, arch: int, mode: int, cpu: int | None = None, **extras: Any) -> Uc:
        if cls is Uc:  # the arch's class, with its extra methods (UcAArch64 in Unicorn)
            _, _, spec = find_target(arch)
            if spec.methods is not None:
                return object.__new__(_arch_class(spec.methods))
        return object.__new__(cls)

    def __init__(self, arch: int, mode: int, cpu: int | None = None, **extras: Any) -> None:
        from ..api import select_tb_hash
        from ..log import DebugLog
        from ..plugins import get_plugin_manager

        name, target_cls, spec = find_target(arch)
        if mode & ~spec.modes:
            raise UcError(C.UC_ERR_MODE)
        options = resolve_options(extras)
        pm = get_plugin_manager()
        options["host"] = pm.resolve_host(options.get("host", "auto"))  # errors now, not later
        select_tb_hash(pm, options.get("tb_hash"))
        DebugLog(options.get("debug", ""))
        self._arch, self._mode, self._target, self._spec = arch, mode, name, spec
        self._page = spec.page_size or 1 << target_cls.page_bits
        self._insn_size = target_cls.insn_size_max
        self._options = options
        self._fetch_hooks = bool(options.get("fetch_hooks", False))
        self._cpu_model = spec.default_cpu_model
        self._initialized = False  # as Unicorn's uc->init_done: no model change after
        self._tcg_buffer_size = DEFAULT_CODE_BUFFER
        self._table = table_for(spec, self._cpu_model)
        self._emu: Emulator | None = None
        self._words: MutableSequence[int] | None = None
        self._shadow: dict[str, int] = {}
        self._init_hooks()
        self._mmio_seen: dict[tuple[int, int, int], int] = {}  # device reads (``_replay``)
        self._running = False
        #: UC_TLB_VIRTUAL: a translation for ``_invalidate_translated``, not a fetch
        self._probing = False
        self._timeout = 0
        self._timed_out = False
        self._exits_enabled = False
        self._context_mode = C.UC_CTL_CONTEXT_CPU  # what contexts cover (ctl_context_mode)
        self._exits: tuple[int, ...] = ()
        self._exit_set: frozenset[int] = frozenset()
        self._exit_handles: list[int] = []
        if cpu is not None:
            self._set_cpu_model(cpu)

    # -- the emulator, made at first use --------------------------------------------

    def _emulator(self) -> Emulator:
        emu = self._emu
        if emu is None:
            emu = self._start()
        return emu

    def _attach(self) -> MutableSequence[int]:
        self._emulator()
        assert self._words is not None
        return self._words

    def _start(self) -> Emulator:
        o = self._options
        extra = {} if o.get("tier_up") is None else {"tier_up": o["tier_up"]}
        emu = Emulator(self._target, host=o["host"], tb_hash=o.get("tb_hash"),
                       debug=o.get("debug", ""), code_buffer_size=self._tcg_buffer_size,
                       max_cpus=1, map_granule=min(self._page, _ENGINE_PAGE),
                       cpu=self._spec.cpu_model_names.get(self._cpu_model), **extra)  # fmt: skip
        self._emu = emu
        self._initialized = True
        self._engine = emu.engine
        # Unicorn's blocks end at its pages (AArch64: 1 KiB), and so do the engine's
        emu.engine.tb_page_bits = min(self._page.bit_length() - 1, emu.engine.target.page_bits)
        self._cpu = emu.engine.cpu
        self._words = self._cpu.words
        self._table = table_for(self._spec, self._cpu_model)
        for reg_id, value in self._spec.reset.items():
            self.reg_write(reg_id, value)
        weakref.finalize(self, emu.close)
        if self._exits_enabled and len(self._exits) > 1:
            self._install_exits()
        return emu

    @property
    def errno(self) -> int:
        """Unicorn's ``uc_errno``: UC_ERR_OK (Unicorn 2.1 does not set it when
        ``emu_start`` fails; the ``UcError`` raised has the code)."""
        return C.UC_ERR_OK

    # -- memory ----------------------------------------------------------------------

    def _check_range(self, address: int, size: int) -> None:
        page = self._page
        if size == 0 or address % page or size % page or address + size > 1 << 64:
            raise UcError(C.UC_ERR_ARG)

    def _covered(self, emu: Emulator, address: int, size: int) -> bool:
        at, end = address, address + size
        for begin, last, _ in emu.mem_regions():
            if begin <= at <= last:
                at = last + 1
                if at >= end:
                    return True
        return at >= end

    def mem_map(self, address: int, size: int, perms: int = C.UC_PROT_ALL) -> None:
        """Map ``size`` bytes of zeroed memory at ``address`` (both page-aligned)."""
        assert (perms & ~C.UC_PROT_ALL) == 0, "unexpected perms bitmask"
        self._map(address, size, perms, None)

    def mem_map_ptr(self, address: int, size: int, perms: int, ptr: Any) -> None:
        """Map the script's host memory at ``ptr`` (``size`` bytes, kept alive by the
        script; an address or a ctypes object, as the bindings take it) at
        ``address``: the guest reads and writes it in place."""
        assert (perms & ~C.UC_PROT_ALL) == 0, "unexpected perms bitmask"
        host = _host_address(ptr)
        if not host:
            raise UcError(C.UC_ERR_ARG)
        self._map(address, size, perms, None, host)

    def mmio_map(self, address: int, size: int, read_cb: Callable[..., int] | None,
                 read_ud: Any, write_cb: Callable[..., None] | None,
                 write_ud: Any) -> None:  # fmt: skip
        """Map a device: ``read_cb(uc, offset, size, read_ud) -> int`` and
        ``write_cb(uc, offset, size, value, write_ud)``; a missing callback makes the
        range unreadable (unwritable). Accesses reach them 4 bytes at most, as in
        Unicorn. A callback that stops emulation (or raises) stops it as a memory
        hook does: after that access, with the pc at the instruction."""
        me = weakref.ref(self)
        base = _u64(address)

        def call_read(uc: Uc, offset: int, size: int) -> int:
            try:
                value = operator.index(read_cb(uc, offset, size, read_ud))  # type: ignore[misc]
            except BaseException as e:
                uc._hook_failed(e)
                return 0
            return value & ((1 << (8 * size)) - 1)

        def call_write(uc: Uc, offset: int, size: int, value: int) -> None:
            try:
                write_cb(uc, offset, size, value, write_ud)  # type: ignore[misc]
            except BaseException as e:
                uc._hook_failed(e)

        def read(emu: Any, offset: int, size: int) -> int:
            uc = me()
            if uc is None:
                return 0
            seen = uc._mmio_seen
            if uc._flags.replaying:  # the instruction again: the values it read the first time
                return seen.get((base, offset, size), 0)
            if size == 8:
                value = call_read(uc, offset, 4) | call_read(uc, offset + 4, 4) << 32
            else:
                value = call_read(uc, offset, size)
            if len(seen) > 16:
                seen.clear()
            seen[(base, offset, size)] = value
            if uc._flags.stopping:
                raise _StopAccess(H.HOOK_MEM_READ, base + offset, size, value)
            return value

        def write(emu: Any, offset: int, size: int, value: int) -> None:
            uc = me()
            if uc is None or uc._flags.replaying:
                return
            if size == 8:
                call_write(uc, offset, 4, value & 0xFFFFFFFF)
                call_write(uc, offset + 4, 4, value >> 32)
            else:
                call_write(uc, offset, size, value)
            if uc._flags.stopping:
                raise _StopAccess(H.HOOK_MEM_WRITE, base + offset, size, value)

        perms = (C.UC_PROT_READ if read_cb else 0) | (C.UC_PROT_WRITE if write_cb else 0)
        self._map(address, size, perms, (read if read_cb else None, write if write_cb else None))

    def _map(self, address: int, size: int, perms: int,
             mmio: tuple[Any, Any] | None, ptr: int | None = None) -> None:  # fmt: skip
        address, size = _u64(address), _u64(size)
        if perms & ~C.UC_PROT_ALL:
            raise UcError(C.UC_ERR_ARG)
        self._check_range(address, size)
        emu = self._emulator()
        last = address + size - 1
        if any(b <= last and address <= e for b, e, _ in emu.mem_regions()):
            raise UcError(C.UC_ERR_MAP)
        try:
            if ptr is not None:
                emu.mem_map_ptr(address, size, perms, _u64(ptr))
            elif mmio is None:
                emu.mem_map(address, size, perms)
            else:
                emu.mmio_map(address, size, mmio[0], mmio[1], perms=perms)
        except ValueError:
            raise UcError(C.UC_ERR_ARG) from None
        except (OverflowError, MemoryError, OSError):  # more than the host can give
            raise UcError(C.UC_ERR_NOMEM) from None

    def mem_unmap(self, address: int, size: int) -> None:
        """Unmap [address, address + size): every page of it must be mapped."""
        self._change(address, size, None)

    def mem_protect(self, address: int, size: int, perms: int = C.UC_PROT_ALL) -> None:
        """Set the permissions of [address, address + size), all of it mapped."""
        assert (perms & ~C.UC_PROT_ALL) == 0, "unexpected perms bitmask"
        if perms & ~C.UC_PROT_ALL:
            raise UcError(C.UC_ERR_ARG)
        self._change(address, size, perms)

    def _change(self, address: int, size: int, perms: int | None) -> None:
        address, size = _u64(address), _u64(size)
        if size == 0:
            return  # nothing to do, as in Unicorn
        self._check_range(address, size)
        emu = self._emulator()
        if not self._covered(emu, address, size):
            raise UcError(C.UC_ERR_NOMEM)
        if perms is None and self._engine.vtlb is not None:
            # as Unicorn, first: each mapping the range touches, from its start
            end = address + size - 1
            for begin, last, _ in list(emu.mem_regions()):
                if begin <= end and address <= last:
                    self._invalidate_translated(begin, last + 1)
        try:
            if perms is None:
                emu.mem_unmap(address, size)
            else:
                emu.mem_protect(address, size, perms)
        except ValueError:
            raise UcError(C.UC_ERR_NOMEM) from None

    def mem_regions(self) -> Iterator[tuple[int, int, int]]:
        """(begin, end inclusive, perms) of every mapping, in address order."""
        yield from self._emulator().mem_regions()

    def mem_read(self, address: int, size: int) -> bytearray:
        """``size`` bytes at ``address`` (permissions are not checked, as in Unicorn)."""
        address, size = _u64(address), operator.index(size)
        try:
            return self._emulator().mem_read(address, size)
        except (MemoryAccessError, ValueError):
            raise UcError(C.UC_ERR_READ_UNMAPPED, address, size) from None

    def mem_write(self, address: int, data: bytes) -> None:
        """Write ``data`` at ``address`` (permissions are not checked, as in Unicorn)."""
        address = _u64(address)
        data = _guest_bytes(data)
        emu = self._emulator()
        try:
            emu.mem_write(address, data)
        except (MemoryAccessError, ValueError):
            raise UcError(C.UC_ERR_WRITE_UNMAPPED, address, len(data)) from None
        if self._engine.vtlb is not None and data:
            # Unicorn makes a read-only mapping writable for the write and back, which
            # flushes its TLB: in UC_TLB_VIRTUAL mode the TLB_FILL hooks are asked again
            end = address + len(data) - 1
            if any(b <= end and address <= e and not p & C.UC_PROT_WRITE
                   for b, e, p in emu.mem_regions()):  # fmt: skip
                self._engine.flush_translation()

    # -- contexts ----------------------------------------------------------------------

    def context_save(self) -> UcContext:
        """The registers now, as a new ``UcContext``; with UC_CTL_CONTEXT_MEMORY in the
        context mode (``ctl_context_mode``), guest memory too."""
        words = self._words if self._words is not None else self._attach()
        context = UcContext(self._arch, self._mode, self._cpu_model, self._table,
                            _snapshot(words), dict(self._shadow))  # type: ignore[arg-type]  # fmt: skip
        if self._context_mode & C.UC_CTL_CONTEXT_MEMORY:
            context._memory = self._emulator().mem_snapshot()
        return context

    def context_update(self, context: UcContext) -> None:
        """Save the registers now into ``context`` (and memory, as ``context_save``)."""
        words = self._words if self._words is not None else self._attach()
        context._words = _snapshot(words)
        context._shadow = dict(self._shadow)
        if self._context_mode & C.UC_CTL_CONTEXT_MEMORY:
            context._memory = self._emulator().mem_snapshot()

    def context_restore(self, context: UcContext) -> None:
        """Set what the context mode names from ``context``: the registers
        (UC_CTL_CONTEXT_CPU, the default) and guest memory (UC_CTL_CONTEXT_MEMORY: the
        mappings and RAM bytes of its save; a context saved without it holds none,
        UC_ERR_ARG)."""
        words = self._words if self._words is not None else self._attach()
        saved = context._words
        if context.arch != self._arch or saved is None or len(saved) != len(words):
            raise UcError(C.UC_ERR_ARG)
        mode = self._context_mode
        if mode & C.UC_CTL_CONTEXT_MEMORY:
            if context._memory is None:
                raise UcError(C.UC_ERR_ARG)
            try:
                self._emulator().mem_restore(context._memory)
            except ValueError:
                raise UcError(C.UC_ERR_MAP) from None
        if mode & C.UC_CTL_CONTEXT_CPU:
            words[:] = saved  # type: ignore[index]
            self._shadow = dict(context._shadow)

    def ctl_context_mode(self, mode: int) -> None:
        """What ``context_save``/``context_restore`` cover: UC_CTL_CONTEXT_CPU (the
        registers, the default) and/or UC_CTL_CONTEXT_MEMORY (guest memory)."""
        if mode & ~(C.UC_CTL_CONTEXT_CPU | C.UC_CTL_CONTEXT_MEMORY):
            raise UcError(C.UC_ERR_ARG)
        self._context_mode = mode

    # -- emulation -----------------------------------------------------------------------

    def emu_start(self, begin: int, until: int, timeout: int = 0, count: int = 0) -> None:
        """Run from ``begin`` until the pc is ``until`` (with exits enabled: one of the
        exits), ``timeout`` microseconds have passed or ``count`` instructions have run
        (0: no limit), ``emu_stop`` is called or an error stops it."""
        emu = self._emulator()
        begin, until = _u64(begin), _u64(until)
        timeout, count = _u64(timeout), _u64(count)
        if self._exits_enabled:
            until = self._exits[0] if self._exits else _NEVER
        self._hook_exception = None
        self._flags.stopping = False
        self._timed_out = False
        self._claimed = None
        self._timeout = timeout
        timer = None
        if timeout:
            timer = threading.Timer(timeout / C.UC_SECOND_SCALE, self._timer_fired)
            timer.daemon = True
        self._running = True
        try:
            if timer is not None:
                timer.start()
            self._run(emu, begin, until, count)
        finally:
            self._running = False
            if timer is not None:
                timer.cancel()
        exc, self._hook_exception = self._hook_exception, None
        if exc is not None:
            raise exc

    def _timer_fired(self) -> None:
        if self._running:
            self._timed_out = True
            self.emu_stop()

    def emu_stop(self) -> None:
        """Stop emulation (from a hook, or from another thread)."""
        self._flags.stopping = True
        if self._emu is not None:
            self._emu.emu_stop()

    def _run(self, emu: Emulator, pc: int, until: int, count: int) -> None:
        """The engine's runs for one ``emu_start``: again after each interrupt the
        target raises for an undefined instruction or an alignment fault, which the
        engine reports as errors and Unicorn delivers to UC_HOOK_INTR hooks."""
        cpu = self._cpu
        spec = self._spec
        start = cpu.icount
        extra = 0  # instructions the engine did not count (undefined ones)
        while True:
            left = 0
            if count:
                left = count - (cpu.icount - start) - extra
                if left <= 0:
                    return
            try:
                emu.emu_start(pc, until, 0, left)
                return
            except _StopAccess as stop:
                self._replay(emu, cpu.pc, until, stop)
                return
            except InvalidInstructionError as e:
                if cpu.pc in self._exit_set:  # an exit stops before its instruction is read
                    return
                self._call_code_hooks(cpu.pc, self._insn_size)  # Unicorn calls them first
                if self._flags.stopping:
                    return
                if spec.undefined_intno is not None:
                    if not self._intr:
                        raise UcError(C.UC_ERR_EXCEPTION) from e
                    extra += 1
                    self._deliver_intr(spec.undefined_intno)
                elif not self._invalid_insn_handled():
                    raise UcError(C.UC_ERR_INSN_INVALID) from e
            except UnalignedAccessError as e:
                if spec.unaligned_intno is None:
                    raise UcError(guest_error_code(e)) from e
                if not self._intr:
                    raise UcError(C.UC_ERR_EXCEPTION) from e
                extra += 1
                self._deliver_intr(spec.unaligned_intno)
            except UnmappedMemoryError as e:
                if self._claimed == (e.access, e.address):  # a hook said it mapped it
                    raise UcError(C.UC_ERR_MAP) from e
                raise UcError(guest_error_code(e)) from e
            except EmulationError as e:
                raise UcError(guest_error_code(e)) from e
            if self._flags.stopping:
                return
            pc = cpu.pc

    def _replay(self, emu: Emulator, pc: int, until: int, stop: _StopAccess) -> None:
        """A memory hook stopped emulation at an access, and the engine abandoned the
        instruction before it: run the instruction alone again, without the script's
        hooks, up to and including that access (Unicorn's exit check follows each
        access), and leave the pc at the instruction."""
        passed = False

        def watch(emu: Any, access: int, address: int, size: int, value: int) -> None:
            nonlocal passed
            if passed:
                raise _StopAccess(access, address, size, value)
            if kind_of[access] == stop.kind and address <= stop.address < address + size:
                passed = True  # the access that stopped (or the one a device access is of)

        kind_of = {H.MEM_READ: H.HOOK_MEM_READ, H.MEM_WRITE: H.HOOK_MEM_WRITE,
                   H.MEM_FETCH: H.HOOK_MEM_FETCH}  # fmt: skip
        handle = emu.hook_add(H.HOOK_MEM_READ | H.HOOK_MEM_WRITE, watch)
        self._flags.replaying = True
        try:
            emu.emu_start(pc, until if until != pc else pc ^ 1, 0, 1)
        except _StopAccess:
            pass
        except UnmappedMemoryError as e:
            if self._claimed == (e.access, e.address):
                raise UcError(C.UC_ERR_MAP) from e
            raise UcError(guest_error_code(e)) from e
        except EmulationError as e:
            raise UcError(guest_error_code(e)) from e
        finally:
            self._flags.replaying = False
            self._mmio_seen.clear()
            emu.hook_del(handle)
        self._cpu.pc = pc

    # -- queries and controls ------------------------------------------------------------

    def query(self, prop: int) -> int:
        """UC_QUERY_MODE, _PAGE_SIZE, _ARCH, _TIMEOUT (1 if the last run timed out)."""
        self._initialized = True  # Unicorn initializes its engine for any query
        if prop == C.UC_QUERY_MODE:
            return self._mode
        if prop == C.UC_QUERY_PAGE_SIZE:
            return self._page
        if prop == C.UC_QUERY_ARCH:
            return self._arch
        if prop == C.UC_QUERY_TIMEOUT:
            return int(self._timed_out)
        raise UcError(C.UC_ERR_ARG, prop)

    def ctl_get_mode(self) -> int:
        return self._mode

    def ctl_get_arch(self) -> int:
        return self._arch

    def ctl_get_page_size(self) -> int:
        self._initialized = True  # as Unicorn, which initializes its engine first
        return self._page

    def ctl_set_page_size(self, val: int) -> None:
        """Unicorn's page (the granule of ``mem_map``, ``mem_protect``, ``mem_unmap``,
        and where blocks end), before the engine is initialized: a power of two from
        1 KiB to 1 GiB (Unicorn also takes 2 to 512 bytes); 0 and 1 change nothing."""
        val = _u64(val) & 0xFFFFFFFF  # a uint32_t in the bindings
        if self._initialized or self._emu is not None or val & (val - 1):
            raise UcError(C.UC_ERR_ARG)
        if val <= 1:
            return
        if not _MIN_PAGE <= val <= _MAX_PAGE:
            raise UcError(C.UC_ERR_ARG)
        self._page = val

    def ctl_get_timeout(self) -> int:
        """The last ``emu_start``'s timeout, as Unicorn reports it (x1000)."""
        return self._timeout * 1000

    def ctl_exits_enabled(self, enable: bool) -> None:
        """Stop at the addresses of ``ctl_set_exits`` rather than ``emu_start``'s ``until``."""
        self._exits_enabled = bool(enable)
        if self._emu is not None:  # else installed when the emulator is made
            self._install_exits()

    def ctl_get_exits_cnt(self) -> int:
        if not self._exits_enabled:
            raise UcError(C.UC_ERR_ARG)
        return len(self._exits)

    def ctl_get_exits(self) -> Sequence[int]:
        if not self._exits_enabled:
            raise UcError(C.UC_ERR_ARG)
        return self._exits

    def ctl_set_exits(self, exits: Sequence[int]) -> None:
        if not self._exits_enabled:
            raise UcError(C.UC_ERR_ARG)
        self._exits = tuple(_u64(x) for x in exits)
        if self._emu is not None:
            self._install_exits()

    def _install_exits(self) -> None:
        """The first exit is the engine's ``until``; each other one an engine code hook
        that stops before its instruction (and keeps the script's hooks off it)."""
        emu = self._emulator()
        for handle in self._exit_handles:
            emu.hook_del(handle)
        self._exit_handles = []
        others = self._exits[1:] if self._exits_enabled else ()
        self._exit_set = frozenset(others)
        me = weakref.ref(self)

        def stop(emu: Any, address: int, size: int) -> None:
            uc = me()
            if uc is not None:
                uc.emu_stop()

        for address in others:
            self._exit_handles.append(emu.hook_add(H.HOOK_CODE, stop, address, address))

    def ctl_get_cpu_model(self) -> int:
        """The UC_CPU_* model (Unicorn initializes its engine first: no change after)."""
        self._initialized = True
        return self._cpu_model

    def ctl_set_cpu_model(self, model: int) -> None:
        """Choose the UC_CPU_* model, before the engine is initialized (by ``mem_map``,
        ``reg_read``/``reg_write``, ``hook_add``, ``query``, ``ctl_get_cpu_model``...)
        as Unicorn 2.1 requires; later, or a number the arch has not: UC_ERR_ARG."""
        self._set_cpu_model(model)

    def _set_cpu_model(self, model: int) -> None:
        """A UC_CPU_* model of the arch: the target's CPU model the ``UnicornTarget``
        names for it runs (its instructions, ID registers), with its reset values."""
        if self._initialized or self._emu is not None or model not in self._spec.cpu_models:
            raise UcError(C.UC_ERR_ARG)
        self._cpu_model = model
        self._table = table_for(self._spec, model)

    def ctl_remove_cache(self, lbound: int, ubound: int) -> None:
        """Drop the translations of guest code in [lbound, ubound)."""
        lbound, ubound = _u64(lbound), _u64(ubound)
        if lbound > ubound:
            raise UcError(C.UC_ERR_ARG)
        self._emulator()
        if ubound > lbound:
            if self._engine.vtlb is not None:
                self._invalidate_translated(lbound, ubound)
            else:
                self._engine.invalidate_code(lbound, ubound, None)

    def _invalidate_translated(self, lbound: int, ubound: int) -> None:
        """UC_TLB_VIRTUAL: drop the translated code of [lbound, ubound) from lbound's
        physical address on, lbound translated for a fetch (asking the TLB_FILL hooks
        if need be; a refused translation drops nothing), as Unicorn's
        ``ctl_remove_cache`` and ``mem_unmap`` do."""
        vtlb = self._engine.vtlb
        assert vtlb is not None
        self._probing = True  # (a probe: a failed fetch is asked once)
        try:
            start = vtlb.translate(None, lbound, 1, H.MEM_FETCH)
        except TranslationFaultError:
            return
        finally:
            self._probing = False
        self._engine.invalidate_code(start, start + ubound - lbound, None)

    def ctl_request_cache(self, addr: int) -> tuple[int, int, int]:
        """Translate the block at ``addr`` (if it is not yet): (pc, instructions, bytes)."""
        from ..exec.loop import _find_tb

        self._emulator()
        engine, cpu = self._engine, self._cpu
        try:
            tb = _find_tb(engine, cpu, _u64(addr), engine.cflags_base)
        except EmulationError as e:
            raise UcError(guest_error_code(e)) from e
        return tb.pc, tb.icount, tb.size

    def ctl_flush_tb(self) -> None:
        self._emulator()
        self._engine.tb_flush()

    def ctl_flush_tlb(self) -> None:
        """Drop the TLB's entries (UC_TLB_VIRTUAL: the TLB_FILL hooks are asked again)."""
        self._emulator()
        self._engine.flush_translation()

    def ctl_set_tlb_mode(self, mode: int) -> None:
        """UC_TLB_CPU (guest addresses are physical) or UC_TLB_VIRTUAL (translated by
        the UC_HOOK_TLB_FILL hooks: ``vtlb``); either drops every kept translation."""
        if mode not in (C.UC_TLB_CPU, C.UC_TLB_VIRTUAL):
            raise UcError(C.UC_ERR_ARG)
        self._emulator()
        if mode == C.UC_TLB_VIRTUAL:
            self._engine.set_translation(tlb_filler(self, self._page),
                                         self._page.bit_length() - 1)  # fmt: skip
        else:
            self._engine.set_translation(None)

    def ctl_tlb_mode(self, mode: int) -> None:
        self.ctl_set_tlb_mode(mode)

    def ctl_get_tcg_buffer_size(self) -> int:
        return self._tcg_buffer_size

    def ctl_set_tcg_buffer_size(self, size: int) -> None:
        """The code buffer's size, before first use (at least one region, 2 MiB)."""
        if self._emu is not None or size < DEFAULT_REGION:
            raise UcError(C.UC_ERR_ARG)
        self._tcg_buffer_size = size - size % DEFAULT_REGION


def _arch_class(methods: type) -> type:
    cls = Uc._arch_classes.get(methods)
    if cls is None:
        name = "Uc" + methods.__name__.removesuffix("Methods")
        cls = Uc._arch_classes[methods] = type(name, (methods, Uc), {"__module__": __name__})
    return cls


def ucsubclass(cls: type) -> type:
    """Decorator for subclasses of ``Uc`` (as Unicorn's): on first instantiation the
    subclass takes the arch's class (with its extra methods) as its base."""

    def __new__(sub: type, arch: int, mode: int, *args: Any, **kwargs: Any) -> Any:
        _, _, spec = find_target(arch)
        if spec.methods is not None:
            arch_cls = _arch_class(spec.methods)
            cls.__bases__ = tuple(arch_cls if b is Uc else b for b in cls.__bases__)
        return object.__new__(sub)

    cls.__new__ = __new__  # type: ignore[method-assign]
    return cls


__all__ = ["Uc", "ucsubclass"]
