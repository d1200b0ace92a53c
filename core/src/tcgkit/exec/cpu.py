"""The vCPU: its CPU state, its translation context, its TLB and jump cache,
and the requests other threads and hooks make of it.

Owns ``CPU`` and the byte-level view of the CPU state. The state itself is
storage the host backend provides (``HostBackend.new_state``): a sequence of
8-byte little-endian slots that generated code reads and writes; this module
only reads and writes it by byte offset for registers and helpers.

Compiled by mypyc with the translator (``hatch_build``): the loop, tier 0 and
the passage read a vCPU's fields on every TB, directly when compiled. So no
attribute may be added to a CPU after ``__init__``, a CPU cannot be weakly
referenced, and a compiled function typed ``CPU`` accepts nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, MutableSequence
from typing import TYPE_CHECKING, Any

from ..tcg.context import SLOT, TCGContext
from .exclusive import RunState
from .jmp_cache import JMP_CACHE_SIZE, Lookup, lookup
from .softmmu import SoftTLB

if TYPE_CHECKING:
    from ..tcg.region import Region
    from .engine import Engine
    from .tb import TB


def word_view(state: MutableSequence[int]) -> MutableSequence[int]:
    """``state`` as unsigned 64-bit words: a list as it is, a buffer of 8-byte items (a
    native host's ctypes array) through a memoryview (an item costs a third of a ctypes
    one), anything else as it is."""
    if isinstance(state, list):
        return state
    try:
        view = memoryview(state)  # type: ignore[arg-type]
    except TypeError:  # a host's own sequence type, without the buffer protocol
        return state
    if view.itemsize != 8 or view.ndim != 1:
        return state
    return view.cast("B").cast("Q")  # type: ignore[return-value]  # a sequence in all but name


class CPU:
    """One virtual CPU of an emulator."""

    def __init__(self, engine: Engine, index: int, ctx: TCGContext) -> None:
        self.engine = engine
        self.index = index
        self.ctx = ctx
        self.state: MutableSequence[int] = engine.host.new_state(ctx.state_size // SLOT)
        #: the same slots for the tier-0 interpreter: a native host's ctypes array seen
        #: through a memoryview of unsigned words (an item costs a third of a ctypes one)
        self.words: MutableSequence[int] = word_view(self.state)
        self._pc_slot: int = engine.target.pc_offset // SLOT
        self.tlb = SoftTLB(self)
        self.jmp_cache: list[TB | None] = [None] * JMP_CACHE_SIZE
        # leave generated code at the next TB boundary: a word native code can read
        self.exit_flag: MutableSequence[int] = [0]
        self.stop_request = False  # emu_stop: end emu_start
        #: work other threads queued for this vCPU's own thread, run in order at its next
        #: TB boundary (QEMU's async_run_on_cpu): ``queue_work``, ``run_work``
        self.work: list[Callable[[], object]] = []
        self.running = False  # in cpu_exec (any thread)
        self.run_state = RunState.OUT  # where it is for exclusive work (``exclusive``)
        self.until: int | None = None  # the running emu_start's `until`
        self.jmp_lookup: Lookup | None = None  # the running emu_start's (jmp_cache.lookup)
        #: the pc whose code hooks must not fire again, and ``skip_mem_hook_pc`` its memory
        #: hooks: the instruction re-executes after a hook rewrote its code (-1: none; an
        #: int rather than None, so that the test per hooked access is native)
        self.skip_code_hook_pc = -1
        self.current_tb_invalidated = False  # a hook or store overwrote the running TB
        self.cflags_next_tb = 0  # nonzero: the cflags of the next TB (e.g. single step)
        self.skip_mem_hook_pc = -1
        self.region: Region | None = None  # code-buffer region this vCPU's context fills
        self.icount = 0  # guest instructions executed by completed TBs
        # tier 0 (``tier0``): the TB being interpreted and its current instruction, and
        # the last exception that left the interpreter with where it happened
        self.interp_tb: TB | None = None
        self.interp_insn = 0
        #: the TB and guest instruction of a slow-path access or atomic that generated
        #: code called into Python for (``native.slowpath``), while it runs
        self.native_where: tuple[TB, int] | None = None
        self.interp_raised: tuple[BaseException, tuple[TB, int]] | None = None
        #: a native host's ``native.passage.Passage`` for this vCPU (made on its first
        #: passage through generated code, dropped when the host rebinds its runtime)
        self.passage: Any = None
        # ``tb_flags`` memoized by the target's ``tb_flags_probe`` (the flags are a
        # function of one state slot's masked bits): the slot (-1: no probe), its mask,
        # the masked bits last seen and the flags they gave
        probe = engine.target.tb_flags_probe
        self._flags_slot = -1
        self._flags_mask = 0
        if probe is not None and probe[0] >= 0:
            self._flags_slot = probe[0] // SLOT
            self._flags_mask = probe[1]
        self._flags_seen = -1
        self._flags: tuple[int, int] = (0, 0)
        engine.host.attach(self)

    def tb_flags(self) -> tuple[int, int]:
        """The target's ``tb_flags`` for this vCPU: called again only when the bits its
        probe names have changed (every TB lookup asks)."""
        slot = self._flags_slot
        if slot < 0:
            return self.engine.target.tb_flags(self)
        seen = self.words[slot] & self._flags_mask
        if seen != self._flags_seen:
            self._flags = self.engine.target.tb_flags(self)
            self._flags_seen = seen
        return self._flags

    @property
    def exit_request(self) -> bool:
        return bool(self.exit_flag[0])

    @exit_request.setter
    def exit_request(self, value: bool) -> None:
        self.exit_flag[0] = 1 if value else 0

    # -- state by byte offset -------------------------------------------------

    def read_state(self, offset: int, nbytes: int) -> int:
        """Little-endian value of ``nbytes`` at ``offset`` (may span slots)."""
        value = 0
        shift = 0
        while nbytes:
            slot, sub = divmod(offset, SLOT)
            n = min(nbytes, SLOT - sub)
            value |= ((self.words[slot] >> (8 * sub)) & ((1 << (8 * n)) - 1)) << shift
            shift += 8 * n
            offset += n
            nbytes -= n
        return value

    def write_state(self, offset: int, nbytes: int, value: int) -> None:
        """Store the low ``nbytes`` of ``value`` at ``offset`` (may span slots)."""
        while nbytes:
            slot, sub = divmod(offset, SLOT)
            n = min(nbytes, SLOT - sub)
            mask = ((1 << (8 * n)) - 1) << (8 * sub)
            old = self.words[slot]
            self.words[slot] = (old & ~mask & 0xFFFFFFFFFFFFFFFF) | ((value << (8 * sub)) & mask)
            value >>= 8 * n
            offset += n
            nbytes -= n

    @property
    def pc(self) -> int:
        return self.words[self._pc_slot]

    @pc.setter
    def pc(self, value: int) -> None:
        # the shift tests the range natively (a mask by a 64-bit constant is a long-int
        # operation even for a small value): a hooked access sets the pc every time
        self.words[self._pc_slot] = value & 0xFFFFFFFFFFFFFFFF if value >> 64 else value

    def sync_pc(self) -> None:
        """While a helper or hook runs inside a TB: store the current instruction's pc."""
        where = self.engine.current_insn(self)
        if where is not None:
            tb, index = where
            self.pc = tb.insn_pcs[index]

    def lookup_tb_ptr(self, interpreted: bool | None = False) -> TB | None:
        """QEMU's helper_lookup_tb_ptr: after an indirect jump, the next TB straight from
        the jump cache, or None when the execution loop must decide
        (``jmp_cache.lookup``; by default compiled TBs only)."""
        return lookup(self, interpreted)

    def flush_jmp_cache(self) -> None:
        self.jmp_cache[:] = [None] * JMP_CACHE_SIZE

    def request_stop(self) -> None:
        """End this vCPU's run at the next TB boundary (emu_stop, a timeout, an error)."""
        self.stop_request = True
        self.exit_request = True

    def queue_work(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on this vCPU's thread at its next TB boundary, outside the
        inner section, registers exact (at once when it starts next, if not running).
        Any thread may call it; ``list.append`` is atomic."""
        self.work.append(fn)
        self.exit_request = True

    def run_work(self) -> None:
        """Run the queued work, oldest first (the vCPU's own thread, from the loop)."""
        work = self.work
        while work:
            work.pop(0)()

    def request_exit(self) -> None:
        """Make generated code return to the loop at the next TB boundary."""
        self.exit_request = True
