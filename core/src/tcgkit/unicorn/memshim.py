"""The call of a Unicorn memory hook's callback from the engine's memory hook.

Owns ``MemShim`` (what ``Uc.hook_add`` hands the engine for each UC_HOOK_MEM_READ,
_WRITE and _FETCH kind of a hook: it calls ``callback(uc, access, address, size,
value, user_data)`` as Unicorn does, ``value`` signed), ``RunFlags`` (the two flags
of a ``Uc`` a shim reads on every call) and ``StopAccess`` (what a shim raises when
its callback stopped emulation; ``hooks`` describes the rules).

Compiled by mypyc with the translator (``hatch_build``): a hooked access calls a
shim every time, and interpreted, the shim cost as much as the script's own callback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..hooks import MemCallback


class StopAccess(Exception):
    """A memory hook stopped emulation: the engine abandons the instruction before
    the access; ``Uc.emu_start`` runs it again up to that access and stops there."""

    def __init__(self, kind: int, address: int, size: int, value: int) -> None:
        super().__init__(kind, address, size, value)
        self.kind = kind
        self.address = address
        self.size = size
        self.value = value


class RunFlags:
    """A ``Uc``'s ``stopping`` (emu_stop was called in this run) and ``replaying``
    (``Uc._replay`` runs an instruction again, without the script's hooks): fields a
    compiled shim reads natively, where attributes of the ``Uc`` are dictionary
    lookups."""

    __slots__ = ("replaying", "stopping")

    def __init__(self) -> None:
        self.stopping = False
        self.replaying = False


class MemShim(MemCallback):
    """One memory hook kind of one Unicorn hook, as the engine's callback. ``me`` is
    the ``Uc``'s weak reference (the engine's hooks must not keep it alive), ``flags``
    its ``RunFlags``."""

    __slots__ = ("callback", "flags", "kind", "me", "user_data")

    def __init__(self, me: Callable[[], Any], flags: RunFlags, callback: Callable[..., Any],
                 user_data: Any, kind: int) -> None:  # fmt: skip
        self.me, self.flags, self.kind = me, flags, kind
        self.callback, self.user_data = callback, user_data  # the script's

    def mem(self, emu: Any, access: int, addr: int, size: int, value: int) -> None:
        flags = self.flags
        if flags.replaying:
            return
        uc = self.me()
        if uc is None:
            return
        try:
            # Unicorn passes the value as a signed 64-bit integer
            self.callback(uc, access, addr, size, value - (value >> 63 << 64), self.user_data)
        except BaseException as e:
            uc._hook_failed(e)
        if flags.stopping:
            raise StopAccess(self.kind, addr, size, value)
