"""``Uc.hook_add`` and ``hook_del``: Unicorn's hooks on the engine's.

Owns how each Unicorn hook kind is served, with Unicorn's callback arguments
(``user_data`` last) and rules:

* UC_HOOK_CODE, UC_HOOK_BLOCK, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE: one engine hook
  per Unicorn hook, over its range (``begin > end``: everywhere), so that code
  outside every range is translated without hook calls and pages outside every
  memory hook's range keep the TLB's fast path;
* UC_HOOK_INTR, the invalid-memory kinds (UC_HOOK_MEM_*_UNMAPPED, *_PROT and their
  unions) and UC_HOOK_INSN_INVALID: one dispatcher each, calling the hooks in the
  order they were added; an invalid-memory hook returning True means "mapped (or
  allowed) now: retry", and the first one that says so ends the round, as in
  Unicorn; a retry that faults again is UC_ERR_MAP;
* UC_HOOK_MEM_FETCH is accepted and, as in Unicorn 2.1, never called, unless the
  ``Uc`` was made with ``fetch_hooks`` (then once per instruction, before it);
  UC_HOOK_TLB_FILL: kept in the order added, called in UC_TLB_VIRTUAL mode (``vtlb``);
* UC_HOOK_INSN (the instructions the target names, e.g. MRS/MSR/SYS/SYSL on
  AArch64): one dispatcher on the engine's HOOK_INSN, which the target calls
  before such an instruction; as in Unicorn, only the first hook added that names
  the instruction and covers it is called, and True skips the instruction;
* UC_HOOK_EDGE_GENERATED: one dispatcher on the engine's HOOK_EDGE_GENERATED (a block
  just translated, the block run before it), calling the hooks whose range holds the
  new block's address with two ``uc_tb`` (``pc``, ``icount``, ``size``);
* UC_HOOK_TCG_OPCODE (``aux1`` the operation: UC_TCG_OP_SUB, the only one; ``aux2``
  the flags): one dispatcher on the engine's HOOK_TCG_OPCODE, calling each hook that
  covers the instruction with ``(uc, address, arg1, arg2, size, user_data)``; a hook
  with flags 0 sees every subtraction Unicorn's translation makes, one with
  UC_TCG_OP_FLAG_CMP those whose result only sets the flags, UC_TCG_OP_FLAG_DIRECT
  those whose result is written (Unicorn 2.1's AArch64 never calls hooks with flags,
  and passes 0 as ``address``: the README lists both);
* UC_HOOK_MEM_READ_AFTER is UC_ERR_ARG, as in Unicorn's bindings, as
  is a type mixing kinds whose callbacks differ, or no kind at all.

A callback that raises, as in Unicorn's bindings, keeps the first exception and
stops emulation; ``emu_start`` raises it when it returns (unless a guest error
came first: that one is raised). ``emu_stop`` in a code or block hook stops before
the instruction, and the remaining hooks of that instruction are not called; in a
memory hook the instruction runs up to that access (the access made, a load's
register written) and emulation stops with the pc at the instruction
(``memshim.StopAccess``; ``Uc._replay`` runs the instruction again, without the script's
hooks, and stops after that access: a store or load with writeback is the one
difference, Unicorn leaving its base register as it was).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import hooks as H
from . import unicorn_const as C
from .errors import UcError
from .memshim import MemShim, RunFlags

if TYPE_CHECKING:
    from ..api import Emulator
    from .uc import Uc

M64 = (1 << 64) - 1

# Unicorn's hook kinds grouped by callback signature (the bindings accept one group)
_INVALID_BITS = (
    C.UC_HOOK_MEM_READ_UNMAPPED, C.UC_HOOK_MEM_WRITE_UNMAPPED, C.UC_HOOK_MEM_FETCH_UNMAPPED,
    C.UC_HOOK_MEM_READ_PROT, C.UC_HOOK_MEM_WRITE_PROT, C.UC_HOOK_MEM_FETCH_PROT,
)  # fmt: skip
_GROUPS = {
    C.UC_HOOK_INTR: "intr",
    C.UC_HOOK_INSN: "insn",
    C.UC_HOOK_CODE: "code",
    C.UC_HOOK_BLOCK: "code",
    **dict.fromkeys(_INVALID_BITS, "invalid"),
    C.UC_HOOK_MEM_READ: "mem",
    C.UC_HOOK_MEM_WRITE: "mem",
    C.UC_HOOK_MEM_FETCH: "mem",
    C.UC_HOOK_INSN_INVALID: "insn_invalid",
    C.UC_HOOK_EDGE_GENERATED: "edge",
    C.UC_HOOK_TCG_OPCODE: "tcg_opcode",
    C.UC_HOOK_TLB_FILL: "tlb_fill",
}
# Unicorn's hook bits are the engine's (tcgkit.hooks has Unicorn's values)
assert H.HOOK_MEM_FETCH == C.UC_HOOK_MEM_FETCH and H.HOOK_MEM_PROT == C.UC_HOOK_MEM_PROT


class UserHook:
    """One hook a script added (the handle it got, and the engine hooks serving it)."""

    __slots__ = ("begin", "callback", "end", "engine_handles", "handle", "htype", "insn",
                 "op", "op_flags", "user_data")  # fmt: skip

    def __init__(self, handle: int, htype: int, callback: Callable[..., Any], user_data: Any,
                 begin: int, end: int) -> None:  # fmt: skip
        self.handle = handle
        self.htype = htype
        self.callback = callback
        self.user_data = user_data
        self.begin = begin
        self.end = end
        self.engine_handles: list[int] = []
        self.insn = 0  # UC_HOOK_INSN: the instruction's id
        self.op = 0  # UC_HOOK_TCG_OPCODE: the operation and its flags
        self.op_flags = 0

    def covers(self, address: int) -> bool:
        return self.begin > self.end or self.begin <= address <= self.end


class HookMixin:
    """The hook half of ``Uc`` (state initialised by ``_init_hooks``)."""

    _hooks: dict[int, UserHook]
    _fetch_hooks: bool
    _exit_set: frozenset[int]

    def _init_hooks(self) -> None:
        self._flags = RunFlags()  # stopping, replaying (the memory shims hold it too)
        self._hooks = {}
        self._next_handle = 1
        self._intr: list[UserHook] = []
        self._insn_invalid: list[UserHook] = []
        self._insn: list[UserHook] = []
        self._edge: list[UserHook] = []
        self._tcg_op: list[UserHook] = []
        self._tlb_fill: list[UserHook] = []
        self._code: list[UserHook] = []
        self._invalid: dict[int, list[UserHook]] = {bit: [] for bit in _INVALID_BITS}
        self._dispatchers: dict[int, int] = {}  # engine kind -> engine handle
        self._hook_exception: BaseException | None = None
        self._claimed: tuple[int, int] | None = None  # (access, address) a hook claimed

    def _emulator(self) -> Emulator:
        raise NotImplementedError

    def emu_stop(self) -> None:
        raise NotImplementedError

    # -- adding and removing ---------------------------------------------------------

    def hook_add(self, htype: int, callback: Callable[..., Any], user_data: Any = None,
                 begin: int = 1, end: int = 0, aux1: int = 0, aux2: int = 0, *,
                 arg1: int | None = None, arg2: int | None = None) -> int:  # fmt: skip
        """Add a hook of kind(s) ``htype`` over [begin, end]; returns its handle.
        ``aux1`` (or ``arg1``, its older name): the instruction of UC_HOOK_INSN."""
        if arg1 is not None:
            aux1 = arg1
        if arg2 is not None:
            aux2 = arg2
        bits = [1 << n for n in range(32) if htype & (1 << n)]
        groups = {_GROUPS.get(bit) for bit in bits}
        if len(groups) != 1 or None in groups:
            raise UcError(C.UC_ERR_ARG)
        group = groups.pop()
        if group == "insn" and aux1 not in self._spec.insn_hooks:  # type: ignore[attr-defined]
            raise UcError(C.UC_ERR_ARG)
        emu = self._emulator()
        hook = UserHook(self._next_handle, htype, callback, user_data, begin & M64, end & M64)
        self._next_handle += 1
        me = weakref.ref(self)
        if group == "intr":
            self._intr = [*self._intr, hook]
            self._dispatcher(emu, H.HOOK_INTR, _intr_dispatcher(me))
        elif group == "invalid":
            for bit in bits:
                self._invalid[bit] = [*self._invalid[bit], hook]
                self._dispatcher(emu, bit, _invalid_dispatcher(me, bit))
        elif group == "insn":
            hook.insn = aux1
            self._insn = [*self._insn, hook]
            self._dispatcher(emu, H.HOOK_INSN, _insn_dispatcher(me))
        elif group == "insn_invalid":
            self._insn_invalid = [*self._insn_invalid, hook]
        elif group == "edge":
            self._edge = [*self._edge, hook]
            self._dispatcher(emu, H.HOOK_EDGE_GENERATED, _edge_dispatcher(me))
        elif group == "tcg_opcode":
            hook.op, hook.op_flags = aux1, aux2
            self._tcg_op = [*self._tcg_op, hook]
            self._dispatcher(emu, H.HOOK_TCG_OPCODE, _tcg_op_dispatcher(me))
        elif group == "tlb_fill":
            self._tlb_fill = [*self._tlb_fill, hook]
        elif group == "code":
            for bit in bits:
                shim = (_code_shim if bit == C.UC_HOOK_CODE else _block_shim)(me, hook)
                hook.engine_handles.append(emu.hook_add(bit, shim, hook.begin, hook.end))
            if htype & C.UC_HOOK_CODE:
                self._code = [*self._code, hook]
        elif group == "mem":
            for bit in bits:
                if bit == C.UC_HOOK_MEM_FETCH and not self._fetch_hooks:
                    continue  # Unicorn 2.1 never calls fetch hooks
                shim = MemShim(me, self._flags, hook.callback, hook.user_data, bit)
                handle = emu.hook_add(bit, shim, hook.begin, hook.end)
                hook.engine_handles.append(handle)
        self._hooks[hook.handle] = hook
        return hook.handle

    def hook_del(self, handle: int) -> None:
        """Remove a hook (``KeyError`` for a handle that is not one, as the bindings)."""
        hook = self._hooks.pop(handle, None)
        if hook is None:
            raise KeyError(handle)
        emu = self._emulator()
        for engine_handle in hook.engine_handles:
            emu.hook_del(engine_handle)
        self._intr = [h for h in self._intr if h is not hook]
        self._insn_invalid = [h for h in self._insn_invalid if h is not hook]
        self._insn = [h for h in self._insn if h is not hook]
        self._code = [h for h in self._code if h is not hook]
        self._edge = [h for h in self._edge if h is not hook]
        self._tcg_op = [h for h in self._tcg_op if h is not hook]
        self._tlb_fill = [h for h in self._tlb_fill if h is not hook]
        for bit, hooks in self._invalid.items():
            self._invalid[bit] = [h for h in hooks if h is not hook]
        if not self._intr:
            self._drop_dispatcher(emu, H.HOOK_INTR)
        if not self._insn:
            self._drop_dispatcher(emu, H.HOOK_INSN)
        if not self._edge:
            self._drop_dispatcher(emu, H.HOOK_EDGE_GENERATED)
        if not self._tcg_op:
            self._drop_dispatcher(emu, H.HOOK_TCG_OPCODE)
        for bit in _INVALID_BITS:
            if not self._invalid[bit]:
                self._drop_dispatcher(emu, bit)

    def _dispatcher(self, emu: Emulator, kind: int, fn: Callable[..., Any]) -> None:
        if kind not in self._dispatchers:
            self._dispatchers[kind] = emu.hook_add(kind, fn)

    def _drop_dispatcher(self, emu: Emulator, kind: int) -> None:
        handle = self._dispatchers.pop(kind, None)
        if handle is not None:
            emu.hook_del(handle)

    # -- what the dispatchers and the emulation loop call ---------------------------

    def _hook_failed(self, exc: BaseException) -> None:
        """A callback raised: keep the first exception and stop (Unicorn's bindings)."""
        if self._hook_exception is None:
            self._hook_exception = exc
        self.emu_stop()

    def _deliver_intr(self, intno: int) -> None:
        for hook in self._intr:
            try:
                hook.callback(self, intno, hook.user_data)
            except BaseException as e:
                self._hook_failed(e)
            if self._flags.stopping:
                break

    def _call_code_hooks(self, address: int, size: int) -> None:
        """The code hooks of an instruction the engine could not translate (Unicorn
        calls them before the instruction raises its exception)."""
        for hook in self._code:
            if self._flags.stopping:
                break
            if hook.covers(address):
                try:
                    hook.callback(self, address, size, hook.user_data)
                except BaseException as e:
                    self._hook_failed(e)

    def _invalid_insn_handled(self) -> bool:
        """UC_HOOK_INSN_INVALID: True if a hook handled it (emulation goes on)."""
        for hook in self._insn_invalid:
            try:
                if hook.callback(self, hook.user_data):
                    return True
            except BaseException as e:
                self._hook_failed(e)
                return False
        return False


def _code_shim(me: weakref.ref[Uc], hook: UserHook) -> Callable[[Any, int, int], None]:
    callback, user_data = hook.callback, hook.user_data

    def code(emu: Any, address: int, size: int) -> None:
        uc = me()
        if uc is None or uc._flags.stopping or uc._flags.replaying or address in uc._exit_set:
            return  # a stop was asked for: no more hooks of this instruction (Unicorn)
        try:
            callback(uc, address, size, user_data)
        except BaseException as e:
            uc._hook_failed(e)

    return code


def _insn_dispatcher(me: weakref.ref[Uc]) -> Callable[..., bool]:
    """The instruction hooks (UC_HOOK_INSN): as Unicorn, only the first one added that
    names this instruction and covers its address is called. Its callback gets ``uc``,
    the target's arguments (``UnicornTarget.insn_hook_args``; AArch64: Rt's register
    id and a ``CpReg``) and ``user_data``; a true result skips the instruction."""

    def on_insn(emu: Any, kind: int, rt: int, key: tuple[int, ...], value: int) -> bool:
        uc = me()
        if uc is None or uc._flags.stopping or uc._flags.replaying:
            return False
        pc = uc._cpu.pc
        for hook in uc._insn:
            if hook.insn == kind and hook.covers(pc):
                args = uc._spec.insn_hook_args(rt, key, value)
                try:
                    return bool(hook.callback(uc, *args, hook.user_data))
                except BaseException as e:
                    uc._hook_failed(e)
                    return False
        return False

    return on_insn


class uc_tb:
    """A translation block as UC_HOOK_EDGE_GENERATED describes it (Unicorn's ``uc_tb``)."""

    __slots__ = ("icount", "pc", "size")

    def __init__(self, block: H.BlockInfo) -> None:
        self.pc = block.pc
        self.icount = block.icount & 0xFFFF
        self.size = block.size & 0xFFFF

    def __repr__(self) -> str:
        return f"uc_tb(pc={self.pc:#x}, icount={self.icount}, size={self.size})"


def _edge_dispatcher(me: weakref.ref[Uc]) -> Callable[[Any, H.BlockInfo, H.BlockInfo], None]:
    def on_edge(emu: Any, cur: H.BlockInfo, prev: H.BlockInfo) -> None:
        uc = me()
        if uc is None or uc._flags.stopping or uc._flags.replaying:
            return
        now, before = uc_tb(cur), uc_tb(prev)
        for hook in uc._edge:
            if hook.covers(cur.pc):
                try:
                    hook.callback(uc, now, before, hook.user_data)
                except BaseException as e:
                    uc._hook_failed(e)
                if uc._flags.stopping:
                    break

    return on_edge


def _tcg_op_dispatcher(me: weakref.ref[Uc]) -> Callable[..., None]:
    def on_op(emu: Any, address: int, op: int, flags: int, a: int, b: int, bits: int) -> None:
        uc = me()
        if uc is None or uc._flags.stopping or uc._flags.replaying:
            return
        for hook in uc._tcg_op:
            if hook.op != op or not hook.covers(address):
                continue
            if hook.op_flags and not hook.op_flags & flags:
                continue
            try:
                hook.callback(uc, address, a, b, bits, hook.user_data)
            except BaseException as e:
                uc._hook_failed(e)
            if uc._flags.stopping:
                break

    return on_op


def _block_shim(me: weakref.ref[Uc], hook: UserHook) -> Callable[[Any, int, int], None]:
    callback, user_data = hook.callback, hook.user_data

    def block(emu: Any, address: int, size: int) -> None:
        uc = me()
        if uc is None or uc._flags.stopping or uc._flags.replaying or address in uc._exit_set:
            return
        try:
            callback(uc, address, size, user_data)
        except BaseException as e:
            uc._hook_failed(e)

    return block


def _intr_dispatcher(me: weakref.ref[Uc]) -> Callable[[Any, int], None]:
    def intr(emu: Any, intno: int) -> None:
        uc = me()
        if uc is not None:
            uc._deliver_intr(intno)

    return intr


def _invalid_dispatcher(me: weakref.ref[Uc],
                        bit: int) -> Callable[[Any, int, int, int, int], bool]:  # fmt: skip
    def invalid(emu: Any, access: int, address: int, size: int, value: int) -> bool:
        uc = me()
        if uc is None:
            return False
        for hook in uc._invalid[bit]:
            if not hook.covers(address):
                continue
            try:
                handled = hook.callback(uc, access, address, size, value - (value >> 63 << 64),
                                        hook.user_data)  # fmt: skip
            except BaseException as e:
                uc._hook_failed(e)
                handled = False
            if handled:
                uc._claimed = (access, address)
                return True
            if uc._flags.stopping:
                break
        return False

    return invalid


__all__ = ["HookMixin", "UserHook", "uc_tb"]
