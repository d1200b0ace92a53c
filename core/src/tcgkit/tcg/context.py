"""Translation contexts: the template, per-vCPU clones, the context table,
and the builder API targets use to emit IR.

Owns ``TCGContext`` and ``ContextTable``.

Life of a context (as in QEMU's MTTCG):

1. The target builds the *template*: it declares the TCG globals (guest
   registers mapped to byte offsets of the CPU state) with ``new_global``.
2. ``freeze()`` ends that phase: the template never changes again and is
   shared read-only. Its globals are shared by every clone.
3. Each vCPU thread claims a slot of the ``ContextTable`` (an atomic
   increment of the slot counter; the table is an array of references sized
   by ``max_cpus``, because how many contexts will exist is not known when
   the template is built) and keeps its own ``clone()``, into which it
   translates without locking. One context serves when one vCPU runs.

Per TB, a context holds the op list, the non-global temps, the constants
and the labels; ``reset()`` clears them before the next TB. What emits ops
into it (``ctx.add(...)``, ``ctx.brcond(...)``...) is ``builders.IRBuilder``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Final

from .builders import IRBuilder
from .ir import Label, Temp, TempKind
from .types import I32, I64, TCGType

SLOT: Final = 8  # the CPU state is an array of 8-byte little-endian slots


class TCGContext(IRBuilder):
    """One translation context (the template, or a vCPU's clone); the builder
    methods targets emit IR with are ``IRBuilder``'s."""

    def __init__(self, state_size: int, *, name: str = "template") -> None:
        if state_size <= 0 or state_size % SLOT:
            raise ValueError(f"CPU state size must be a positive multiple of {SLOT}")
        self.name = name
        self.state_size = state_size
        self._globals: list[Temp] | tuple[Temp, ...] = []
        self._frozen = False
        self._template: TCGContext | None = None
        #: the state word float ops OR their IEEE flags into (-1: none), the target's
        #: ``fp_flags_offset``: the engine sets it on the template, clones copy it
        self.fp_flags_offset: int = -1
        #: whether a callback may run inside a guest memory access of this TB and write
        #: guest registers (memory hooks): the allocator then keeps no global in a host
        #: register across one; the translator sets it per TB
        self.mem_writes_globals = False
        #: the liveness pass's words per global, kept from TB to TB: the epochs and
        #: block numbers it stores only grow (``live_epoch``: above all of them), so a
        #: new TB finds them stale without clearing a list per global
        self.live_dead_at: list[int] = []
        self.live_read_in: list[int] = []
        self.live_epoch = 0
        #: the optimizer's knowledge per temp index, kept from TB to TB in the same way
        #: (``optimize._Knowledge``: its epoch only grows); None until the first TB
        self.opt_knowledge: object | None = None
        #: the register allocator's register per temp index, all -1 between TBs
        #: (``regalloc.allocate``'s ``reg_of``)
        self.alloc_reg_of: list[int] = []
        self.reset()

    # -- template phase ------------------------------------------------------

    def new_global(self, type: TCGType, offset: int, name: str) -> Temp:
        """Declare a TCG global backed by the CPU state slot at ``offset``."""
        if self._frozen:
            raise RuntimeError(f"context {self.name!r} is frozen: globals are defined at init")
        if offset % SLOT or not 0 <= offset < self.state_size:
            raise ValueError(f"global {name!r}: offset {offset} is not a slot of the CPU state")
        if any(g.offset == offset or g.name == name for g in self._globals):
            raise ValueError(f"global {name!r} at offset {offset} is already defined")
        assert isinstance(self._globals, list)
        t = Temp(type, TempKind.GLOBAL, len(self._globals), name, offset=offset)
        self._globals.append(t)
        return t

    def freeze(self) -> None:
        """End the template phase; the globals become an immutable tuple."""
        self._globals = tuple(self._globals)
        self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    @property
    def globals(self) -> tuple[Temp, ...]:
        return tuple(self._globals)

    def clone(self, name: str) -> TCGContext:
        """A context for one vCPU: shares the frozen globals, owns everything else."""
        if not self._frozen:
            raise RuntimeError("freeze() the template before cloning it")
        c = TCGContext(self.state_size, name=name)
        c._globals = self._globals
        c._frozen = True
        c._template = self
        c.fp_flags_offset = self.fp_flags_offset
        c.reset()
        return c

    # -- per-TB state --------------------------------------------------------

    def reset(self) -> None:
        """Forget the previous TB's ops, temps, constants and labels."""
        self.ops = []
        self.temps: list[Temp] = []
        self.labels: list[Label] = []
        self._consts = {}
        self.helpers_called = 0

    @property
    def n_globals(self) -> int:
        """How many globals there are (``len(globals)`` without copying them)."""
        return len(self._globals)

    @property
    def n_index(self) -> int:
        """One more than the largest index of the TB's globals and temps (temps are
        numbered after the globals, densely)."""
        return len(self._globals) + len(self.temps)

    def temp(self, type: TCGType = I64, *, local: bool = False) -> Temp:
        """A new temporary: BB-scoped, or TB-scoped with ``local=True``."""
        kind = TempKind.TB if local else TempKind.BB
        t = Temp(type, kind, len(self._globals) + len(self.temps))
        self.temps.append(t)
        return t

    def temp_i32(self, *, local: bool = False) -> Temp:
        return self.temp(I32, local=local)

    def temp_i64(self, *, local: bool = False) -> Temp:
        return self.temp(I64, local=local)

    def count(self, opc: str) -> int:
        """How many ``opc`` ops the TB holds now."""
        n = 0
        for op in self.ops:
            if op.opc == opc:
                n += 1
        return n

    def label(self) -> Label:
        lab = Label(len(self.labels))
        self.labels.append(lab)
        return lab

    def all_temps(self) -> Iterator[Temp]:
        yield from self.globals
        yield from self.temps


class ContextTable:
    """The table of per-vCPU contexts: an array of references, claimed atomically."""

    def __init__(self, template: TCGContext, max_cpus: int) -> None:
        if max_cpus < 1:
            raise ValueError("max_cpus must be at least 1")
        template.freeze() if not template.frozen else None
        self.template = template
        self._slots: list[TCGContext | None] = [None] * max_cpus
        self._next = itertools.count()
        self._lock = threading.Lock()  # makes the take-next-index step atomic

    def claim(self) -> tuple[int, TCGContext]:
        """Take the next free slot and put a fresh clone of the template in it."""
        with self._lock:
            index = next(self._next)
        if index >= len(self._slots):
            raise RuntimeError(f"all {len(self._slots)} translation contexts are claimed")
        ctx = self.template.clone(f"cpu{index}")
        self._slots[index] = ctx
        return index, ctx

    @property
    def contexts(self) -> list[TCGContext]:
        return [c for c in self._slots if c is not None]
