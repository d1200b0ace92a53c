"""The host backend contract: what a host backend plugin implements.

Owns ``HostBackend``, the base class host plugins subclass and register
through ``tcgkit_host_backends``. A backend instance belongs to one
emulator; it turns a TB's optimized IR into code placed in a code-buffer
region and runs it.

Protocol with the execution loop (``tcgkit.exec.loop``):
* ``compile(ctx, tb, alloc)`` generates code for ``ctx.ops`` and records it on
  ``tb.host`` / ``tb.host_size``; it obtains space by calling
  ``alloc(nbytes) -> (region, host address)``, which may flush the TB cache
  when the buffer is full (the caller then retries the whole translation).
* ``execute(cpu, tb)`` runs generated code from ``tb``, following chained
  ``goto_tb`` jumps, until the code exits to the loop; it returns the last
  TB that ran and the exit value (EXIT_* of ``tcgkit.tcg.ops``). An internal
  ``CPUExit`` or any other exception raised by a helper or a hook propagates
  out of it after ``locate(exc)`` can tell in which TB and at which guest
  instruction it happened.
* ``link(tb, slot, dest)`` / ``unlink(tb, slot)`` patch a goto_tb site.
* Init-time features are computed once (``features()``) and frozen.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, MutableSequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .exec.cpu import CPU
    from .exec.tb import TB
    from .tcg.context import TCGContext
    from .tcg.region import Region

Alloc = Callable[[int], tuple["Region", int]]


class TBTooLarge(Exception):
    """One TB needs more than a host can give a TB (its frame of spill slots, a
    branch's reach, a code-buffer region): the core translates it again with half
    as many guest instructions (as QEMU's tb_gen_code does), down to one."""


class HostBackend(ABC):
    """Base class of host backends (one instance per emulator)."""

    name: ClassVar[str]
    #: whether the code buffer must be mapped executable
    needs_executable_buffer: ClassVar[bool] = True
    #: the optional IR ops this host lowers (``tcgkit.tcg.ops``; e.g.
    #: ``atomic_cmpxchg_i64``): translators emit a generic expansion for the others
    optional_ops: ClassVar[frozenset[str]] = frozenset()
    #: whether this host's code ORs the IEEE flags of each float op into the target's
    #: word (``GuestTarget.fp_flags_offset``; the IR's duty, ``tcgkit.tcg.fpflags``) by
    #: itself; for a host that does not, the engine adds a helper call computing them
    #: before each float op of a compiled TB (``fpflags.add_flag_calls``: correct, slow)
    computes_fp_flags: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def native_here(cls) -> bool:
        """Whether this backend's code can run on this machine."""

    @classmethod
    def features(cls) -> Mapping[str, bool]:
        """Host features detected once at init (frozen)."""
        return {}

    @abstractmethod
    def new_state(self, nslots: int) -> MutableSequence[int]:
        """Storage for one CPU state: ``nslots`` 8-byte slots, zeroed."""

    @abstractmethod
    def compile(self, ctx: TCGContext, tb: TB, alloc: Alloc) -> None:
        """Generate code for ``ctx.ops``; set ``tb.host`` and ``tb.host_size``."""

    @abstractmethod
    def execute(self, cpu: CPU, tb: TB) -> tuple[TB, int]:
        """Run from ``tb`` until generated code exits; (last TB, exit value)."""

    @abstractmethod
    def locate(self, exc: BaseException) -> tuple[TB, int] | None:
        """For an exception that left generated code: (TB, guest instruction index)."""

    @abstractmethod
    def current_insn(self) -> tuple[TB, int] | None:
        """While a helper runs: the TB and guest instruction index that called it."""

    def attach(self, cpu: CPU) -> None:
        """A vCPU was made with this backend's state: native backends point its
        ``exit_flag`` and ``tlb.native`` at memory their code reads."""
        return None

    def tb_invalidated(self, tb: TB) -> None:
        """``tb`` will never be entered again (its incoming jumps are unlinked)."""
        return None

    def flushed(self) -> None:
        """Every TB was dropped (tb_flush); no generated code is running."""
        return None

    def link(self, tb: TB, slot: int, dest: TB) -> None:
        """Make goto_tb ``slot`` of ``tb`` jump straight to ``dest`` (both compiled: each
        has its chaining state, ``TB.chainable``)."""
        assert tb.jmp_dest is not None
        tb.jmp_dest[slot] = dest

    def unlink(self, tb: TB, slot: int) -> None:
        assert tb.jmp_dest is not None
        tb.jmp_dest[slot] = None

    def disassemble(self, tb: TB) -> str:
        """Host code of ``tb`` as text (-d out_asm)."""
        return f"<{self.name}: {tb.host_size} bytes>"

    def release(self) -> None:
        """Free what the backend allocated for its emulator."""
        return None

    def cas(self, host_addr: int, expected: int, new: int, log2: int) -> int | None:
        """The host's atomic compare-and-swap of ``1 << log2`` bytes at host address
        ``host_addr`` (naturally aligned): returns the value read, having written
        ``new`` if it was ``expected``. None: this host has none (the core then
        does the access in an exclusive section)."""
        return None

    def cas_pair(self, host_addr: int, exp_lo: int, exp_hi: int, new_lo: int,
                 new_hi: int) -> tuple[int, int] | None:  # fmt: skip
        """``cas`` of 16 bytes (two 8-byte words, 16-byte aligned); the pair read."""
        return None

    def native_lookups(self, cpu: CPU) -> dict[str, int]:
        """``cpu``'s TB lookups done in generated code (``tcgkit.native.tb_mirror``):
        hits, misses (left for Python), MRU promotions, seqlock retries and probes
        (occupied slots compared, as the qht policies count them); empty
        where lookups leave generated code for Python (every host but x86-64)."""
        return {}

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "features": dict(self.features())}
