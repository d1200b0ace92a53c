"""Hook kinds, memory access kinds, and the per-emulator hook registry.

Owns the HOOK_* and MEM_* constants (Unicorn's values, so scripts port
unchanged) and ``HookRegistry``: which callbacks are installed, for which
address ranges, and the version number the engine uses to know when code
translated earlier no longer reflects the hooks (hooks added after code was
translated take effect on its next execution).

Ranges: ``begin <= address <= end``; ``begin > end`` means everywhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any, Final, NamedTuple

HOOK_INTR: Final = 1 << 0
HOOK_INSN: Final = 1 << 1
HOOK_CODE: Final = 1 << 2
HOOK_BLOCK: Final = 1 << 3
HOOK_MEM_READ_UNMAPPED: Final = 1 << 4
HOOK_MEM_WRITE_UNMAPPED: Final = 1 << 5
HOOK_MEM_FETCH_UNMAPPED: Final = 1 << 6
HOOK_MEM_READ_PROT: Final = 1 << 7
HOOK_MEM_WRITE_PROT: Final = 1 << 8
HOOK_MEM_FETCH_PROT: Final = 1 << 9
HOOK_MEM_READ: Final = 1 << 10
HOOK_MEM_WRITE: Final = 1 << 11
HOOK_MEM_FETCH: Final = 1 << 12
#: ``callback(emu, cur, prev)`` (two ``BlockInfo``) when block ``cur`` has just been
#: translated and block ``prev`` ran before it in the same run, ``cur.pc`` in range (as
#: Unicorn 2.1's "edge generated": not for blocks found already translated)
HOOK_EDGE_GENERATED: Final = 1 << 15
#: ``callback(emu, address, op, flags, a, b, bits)`` before an instruction's
#: operation ``op`` (``TCG_OP_SUB``: the target calls it with the minuend ``a`` and
#: subtrahend ``b`` of the instructions whose result is a subtraction, ``bits`` 32
#: or 64, ``flags`` ``TCG_OP_FLAG_CMP`` when only the flags are kept,
#: ``TCG_OP_FLAG_DIRECT`` when the difference is the instruction's result, 0 for a
#: subtraction the instruction makes along the way, as Unicorn's translation does)
HOOK_TCG_OPCODE: Final = 1 << 16
HOOK_MEM_UNMAPPED: Final = (HOOK_MEM_READ_UNMAPPED | HOOK_MEM_WRITE_UNMAPPED
                             | HOOK_MEM_FETCH_UNMAPPED)  # fmt: skip
HOOK_MEM_PROT: Final = HOOK_MEM_READ_PROT | HOOK_MEM_WRITE_PROT | HOOK_MEM_FETCH_PROT
HOOK_MEM_INVALID: Final = HOOK_MEM_UNMAPPED | HOOK_MEM_PROT
HOOK_MEM_VALID: Final = HOOK_MEM_READ | HOOK_MEM_WRITE | HOOK_MEM_FETCH

MEM_READ: Final = 16
MEM_WRITE: Final = 17
MEM_FETCH: Final = 18
MEM_READ_UNMAPPED: Final = 19
MEM_WRITE_UNMAPPED: Final = 20
MEM_FETCH_UNMAPPED: Final = 21
MEM_WRITE_PROT: Final = 22
MEM_READ_PROT: Final = 23
MEM_FETCH_PROT: Final = 24

#: HOOK_TCG_OPCODE's operations and flags (Unicorn's UC_TCG_OP_* values)
TCG_OP_SUB: Final = 0
TCG_OP_FLAG_CMP: Final = 1
TCG_OP_FLAG_DIRECT: Final = 2

#: hook kinds whose presence changes the code that is generated. HOOK_INSN: the
#: target calls ``callback(emu, insn, rt, key, value) -> bool`` before a system
#: instruction it names (``insn``: its id, e.g. AArch64's MRS/MSR/SYS numbered as
#: Unicorn's UC_ARM64_INS_*; ``rt`` the general register operand, ``key`` the
#: system register's encoding, ``value`` rt's value); a true result skips it
TRANSLATION_KINDS: Final = HOOK_CODE | HOOK_BLOCK | HOOK_MEM_FETCH | HOOK_INSN | HOOK_TCG_OPCODE
#: hook kinds whose presence changes which accesses take the softmmu slow path
SLOW_PATH_KINDS: Final = HOOK_MEM_READ | HOOK_MEM_WRITE
#: hook kinds whose callbacks run inside a guest load or store and may write guest
#: registers there (the access goes on, and the instructions after it see the writes)
IN_ACCESS_KINDS: Final = (HOOK_MEM_READ | HOOK_MEM_WRITE | HOOK_MEM_READ_UNMAPPED
                          | HOOK_MEM_WRITE_UNMAPPED | HOOK_MEM_READ_PROT
                          | HOOK_MEM_WRITE_PROT)  # fmt: skip

_SINGLE_KINDS = (*(1 << i for i in range(13)), HOOK_EDGE_GENERATED, HOOK_TCG_OPCODE)
_ALL_KINDS = sum(_SINGLE_KINDS)


class BlockInfo(NamedTuple):
    """A block as HOOK_EDGE_GENERATED describes it (Unicorn's ``uc_tb``)."""

    pc: int
    icount: int  # guest instructions
    size: int  # guest bytes


class Hook:
    """One installed hook of one kind (a plain slotted class: see ``api.CPUContext``)."""

    __slots__ = ("begin", "callback", "end", "handle", "kind")

    def __init__(self, handle: int, kind: int, callback: Callable[..., Any], begin: int,
                 end: int) -> None:  # fmt: skip
        self.handle = handle
        self.kind = kind  # one HOOK_* bit
        self.callback = callback
        self.begin = begin
        self.end = end

    def __repr__(self) -> str:
        return (f"Hook(handle={self.handle}, kind={self.kind:#x}, callback={self.callback!r}, "
                f"begin={self.begin:#x}, end={self.end:#x})")  # fmt: skip

    def covers(self, address: int) -> bool:
        return self.begin > self.end or self.begin <= address <= self.end

    def overlaps(self, lo: int, hi: int) -> bool:
        """Whether any address of [lo, hi] is covered."""
        return self.begin > self.end or (self.begin <= hi and lo <= self.end)


class MemCallback:
    """A memory hook's callback as an object: ``fire_mem_hooks`` calls its ``mem``
    directly (compiled, a native call: no call protocol, no boxed arguments), anyone
    else calls the object as any callback."""

    __slots__ = ()

    def mem(self, emu: Any, access: int, addr: int, size: int, value: int) -> None:
        raise NotImplementedError

    def __call__(self, emu: Any, access: int, addr: int, size: int, value: int) -> None:
        self.mem(emu, access, addr, size, value)


class HookRegistry:
    """The hooks of one emulator."""

    def __init__(self) -> None:
        self._by_kind: dict[int, list[Hook]] = {k: [] for k in _SINGLE_KINDS}
        self._handles = itertools.count(1)
        self._by_handle: dict[int, list[Hook]] = {}
        self.version = 0  # bumped when hooks that shape translation change
        self.mask = 0  # union of kinds installed
        #: ``of(HOOK_MEM_READ)`` as an attribute: a hooked load reads it on every call
        #: (one field read rather than a dictionary lookup)
        self.reads: list[Hook] = []

    def add(self, kind: int, callback: Callable[..., Any], begin: int = 1, end: int = 0) -> int:
        if not callable(callback):
            raise TypeError(f"hook callback must be callable, not {callback!r}")
        kinds = [k for k in _SINGLE_KINDS if kind & k]
        if not kinds or kind & ~_ALL_KINDS:
            raise ValueError(f"invalid hook kind {kind:#x}")
        handle = next(self._handles)
        hooks = [Hook(handle, k, callback, begin, end) for k in kinds]
        for h in hooks:
            self._by_kind[h.kind] = [*self._by_kind[h.kind], h]  # copy-on-write
        self._by_handle[handle] = hooks
        self._changed(kind)
        return handle

    def remove(self, handle: int) -> None:
        hooks = self._by_handle.pop(handle, None)
        if hooks is None:
            raise ValueError(f"no hook with handle {handle}")
        kind = 0
        for h in hooks:
            self._by_kind[h.kind] = [x for x in self._by_kind[h.kind] if x is not h]
            kind |= h.kind
        self._changed(kind)

    def _changed(self, kind: int) -> None:
        self.reads = self._by_kind[HOOK_MEM_READ]
        self.mask = 0
        for k, hooks in self._by_kind.items():
            if hooks:
                self.mask |= k
        if kind & (TRANSLATION_KINDS | SLOW_PATH_KINDS | IN_ACCESS_KINDS):
            self.version += 1

    def of(self, kind: int) -> list[Hook]:
        """The hooks of one kind (a snapshot, safe to iterate while hooks change)."""
        return self._by_kind[kind]

    def matching(self, kind: int, address: int) -> Iterator[Hook]:
        for h in self._by_kind[kind]:
            if h.covers(address):
                yield h

    def any_covers(self, kind: int, address: int) -> bool:
        return any(h.covers(address) for h in self._by_kind[kind])

    def any_overlaps(self, kind: int, lo: int, hi: int) -> bool:
        return any(h.overlaps(lo, hi) for h in self._by_kind[kind])

    def clear(self) -> None:
        for k in self._by_kind:
            self._by_kind[k] = []
        self._by_handle.clear()
        self._changed(_ALL_KINDS)
