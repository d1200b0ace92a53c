"""Unicorn's TLB modes: UC_TLB_CPU (guest addresses are physical) and UC_TLB_VIRTUAL
(every access's virtual page is translated by the UC_HOOK_TLB_FILL hooks).

Owns ``uc_tlb_entry`` (the ``entry`` a TLB_FILL callback fills: ``paddr``,
``perms``) and ``tlb_filler``, the engine's fill function (``tcgkit.exec.vtlb``) in
virtual mode, with Unicorn 2.1.4's rules:

* the hooks whose range holds the accessed address are called in the order they
  were added, with ``(uc, address of the page, access, entry, user_data)`` (the
  page: Unicorn's, 1 KiB on AArch64 unless ``ctl_set_page_size`` changed it;
  access: UC_MEM_READ, UC_MEM_WRITE or UC_MEM_FETCH), until one returns True: its
  ``entry`` is the translation (the physical page ``paddr``, UC_PROT_* ``perms``);
* with no hook over the address the page is its own physical page, with only the
  permission of that access;
* when every hook called returns False, or the entry's permissions do not allow the
  access (a fetch: the hooks are asked twice, as Unicorn does), the run ends with
  UC_ERR_EXCEPTION (no invalid-memory or INTR hook is
  called: ``TranslationFaultError``);
* ``emu_stop`` in the hook of a load or store stops as in a memory hook: the access
  is made, the pc stays at the instruction.
"""

from __future__ import annotations

import ctypes
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import hooks as H
from . import unicorn_const as C
from .memshim import StopAccess

if TYPE_CHECKING:
    from .uc import Uc

#: with no TLB_FILL hook over an address: the permission of the access alone
_OWN_PERM = {C.UC_MEM_READ: C.UC_PROT_READ, C.UC_MEM_WRITE: C.UC_PROT_WRITE,
             C.UC_MEM_FETCH: C.UC_PROT_EXEC}  # fmt: skip


class uc_tlb_entry(ctypes.Structure):
    """A TLB entry as a UC_HOOK_TLB_FILL callback fills it (Unicorn's ``uc_tlb_entry``)."""

    _fields_ = (("paddr", ctypes.c_uint64), ("perms", ctypes.c_uint32))

    @property
    def value(self) -> tuple[int, int]:
        """(paddr, perms), as the bindings' structures give their fields."""
        return self.paddr, self.perms


def tlb_filler(uc: Uc, page_size: int) -> Callable[[int, int], tuple[int, int] | None]:
    """The engine's fill function for ``uc`` in UC_TLB_VIRTUAL mode (module docstring)."""
    me = weakref.ref(uc)
    page_mask = ~(page_size - 1) & ((1 << 64) - 1)

    def fill(address: int, access: int) -> tuple[int, int] | None:
        uc = me()
        if uc is None:
            return None
        hooks = [h for h in uc._tlb_fill if h.covers(address)]
        if not hooks:
            return address & page_mask, _OWN_PERM[access]
        got = ask(uc, hooks, address, access)
        if access == C.UC_MEM_FETCH and not uc._probing \
                and (got is None or not got[1] & C.UC_PROT_EXEC):  # fmt: skip
            got = ask(uc, hooks, address, access)  # Unicorn asks twice for a failed fetch
        return got

    def ask(uc: Uc, hooks: list[Any], address: int, access: int) -> tuple[int, int] | None:
        entry = uc_tlb_entry()
        for hook in hooks:
            try:
                done = hook.callback(uc, address & page_mask, access, entry, hook.user_data)
            except BaseException as e:
                uc._hook_failed(e)
                return None
            if done:
                if uc._flags.stopping and access != C.UC_MEM_FETCH and uc._running:
                    _stop_after(uc, access)
                return entry.paddr, entry.perms
        return None

    return fill


def _stop_after(uc: Uc, access: int) -> None:
    """``emu_stop`` in the TLB_FILL hook of a load or store: as a memory hook's stop,
    the access is made and emulation stops at the instruction (a one-off memory hook
    on the access raises ``memshim.StopAccess``; ``Uc.emu_start`` replays it)."""
    kind = H.HOOK_MEM_READ if access == C.UC_MEM_READ else H.HOOK_MEM_WRITE
    emu = uc._emulator()
    handle = 0

    def once(emu: Any, acc: int, address: int, size: int, value: int) -> None:
        emu.hook_del(handle)
        raise StopAccess(kind, address, size, value)

    handle = emu.hook_add(kind, once)


__all__ = ["tlb_filler", "uc_tlb_entry"]
