"""``Uc.ctl``: Unicorn's raw control call as its Python bindings expose it,
``ctl(control, op, *args)`` with ctypes arguments, served by the ``ctl_*`` methods.

Owns ``CtlMixin``. As ``uc_ctl`` in C: a UC_CTL_IO_WRITE control takes its values
from its arguments (``c_int(1)``, ``c_uint64(address)``, an array cast to
``c_void_p`` and its length); a UC_CTL_IO_READ one writes its result through the
pointer it is given (``byref(c_int())``, ``pointer(...)``, an array's address);
UC_CTL_TB_REQUEST_CACHE (read-write) takes an address and fills a ``uc_tb``. A
control Unicorn does not have, an op it does not take or a wrong argument count:
UC_ERR_ARG.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

from . import unicorn_const as C
from .errors import UcError

_W, _R, _RW = C.UC_CTL_IO_WRITE, C.UC_CTL_IO_READ, C.UC_CTL_IO_READ_WRITE


def _target(arg: Any) -> Any:
    """The object a ``byref``/``pointer`` argument points at (else the argument)."""
    obj = getattr(arg, "_obj", None)  # ctypes.byref(x)
    if obj is not None:
        return obj
    if isinstance(arg, ctypes._Pointer):
        return arg.contents
    return arg


def _int(arg: Any) -> int:
    """An argument's value: a ctypes number, a Python int or bool, a pointer's value."""
    if isinstance(arg, (int, bool)):
        return int(arg)
    value = getattr(_target(arg), "value", None)
    if not isinstance(value, int):
        raise UcError(C.UC_ERR_ARG)
    return value


def _put(arg: Any, value: int) -> None:
    obj = _target(arg)
    if not hasattr(obj, "value"):
        raise UcError(C.UC_ERR_ARG)
    obj.value = value


class CtlMixin:
    """The ``ctl`` method of ``Uc`` (its ``ctl_*`` methods do the work)."""

    def ctl(self, ctl: int, op: int, *args: Any) -> None:
        """Unicorn's raw ``uc_ctl`` (see the module docstring)."""
        me: Any = self
        n = len(args)
        if ctl in _SIMPLE_READS and op == _R and n == 1:
            _put(args[0], getattr(me, _SIMPLE_READS[ctl])())
        elif ctl in _SIMPLE_WRITES and op == _W and n == _SIMPLE_WRITES[ctl][1]:
            getattr(me, _SIMPLE_WRITES[ctl][0])(*(_int(a) for a in args))
        elif ctl == C.UC_CTL_UC_EXITS and n == 2 and op in (_R, _W):
            address, count = _int(args[0]), _int(args[1])
            if not address and count:
                raise UcError(C.UC_ERR_ARG)
            words = (ctypes.c_uint64 * count).from_address(address) if count else []
            if op == _W:
                me.ctl_set_exits(list(words))
            else:
                exits: Sequence[int] = me.ctl_get_exits()
                if count < len(exits):
                    raise UcError(C.UC_ERR_ARG)
                for i, x in enumerate(exits):
                    words[i] = x
        elif ctl == C.UC_CTL_TB_REQUEST_CACHE and op == _RW and n == 2:
            pc, icount, size = me.ctl_request_cache(_int(args[0]))
            tb = _target(args[1])
            try:
                tb.pc, tb.icount, tb.size = pc, icount, size
            except (AttributeError, TypeError) as e:
                raise UcError(C.UC_ERR_ARG) from e
        else:
            raise UcError(C.UC_ERR_ARG)


#: UC_CTL_IO_READ controls of one result, and the method that gives it
_SIMPLE_READS = {
    C.UC_CTL_UC_MODE: "ctl_get_mode",
    C.UC_CTL_UC_PAGE_SIZE: "ctl_get_page_size",
    C.UC_CTL_UC_ARCH: "ctl_get_arch",
    C.UC_CTL_UC_TIMEOUT: "ctl_get_timeout",
    C.UC_CTL_UC_EXITS_CNT: "ctl_get_exits_cnt",
    C.UC_CTL_CPU_MODEL: "ctl_get_cpu_model",
    C.UC_CTL_TCG_BUFFER_SIZE: "ctl_get_tcg_buffer_size",
}
#: UC_CTL_IO_WRITE controls: the method and its argument count
_SIMPLE_WRITES = {
    C.UC_CTL_UC_PAGE_SIZE: ("ctl_set_page_size", 1),
    C.UC_CTL_UC_USE_EXITS: ("ctl_exits_enabled", 1),
    C.UC_CTL_CPU_MODEL: ("ctl_set_cpu_model", 1),
    C.UC_CTL_TB_REMOVE_CACHE: ("ctl_remove_cache", 2),
    C.UC_CTL_TB_FLUSH: ("ctl_flush_tb", 0),
    C.UC_CTL_TLB_FLUSH: ("ctl_flush_tlb", 0),
    C.UC_CTL_TLB_TYPE: ("ctl_set_tlb_mode", 1),
    C.UC_CTL_TCG_BUFFER_SIZE: ("ctl_set_tcg_buffer_size", 1),
    C.UC_CTL_CONTEXT_MODE: ("ctl_context_mode", 1),
}

__all__ = ["CtlMixin"]
