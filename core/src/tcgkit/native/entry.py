"""The way in from Python to generated code: ``entry(state, code) -> exit word``.

Owns ``NativeEntry``: a host's prologue page and the callable that runs it with
the GIL released (other threads, other vCPUs among them, run meanwhile). Where
the host has an entry function (``NativeHost.entry_function``: machine code of a
``METH_FASTCALL`` C function that converts the two ints, releases the GIL, calls
the prologue whose address its ``self`` holds and returns the exit word as an
int), the callable is a builtin function object of it (``PyCFunction_NewEx``,
bound to the prologue's address): a call is CPython's vectorcall straight into
that code, 110 ns from Python where a ctypes call of the prologue takes 237
(manyfuncs.elf enters generated code 15,000 times: 61 -> 26 million host
instructions with the guest code they run). Elsewhere it is the ctypes function of
the prologue page (``ExecPage.entry``).

The entry function's code, its ``PyMethodDef`` and their strings are made once
per process and host kind and never freed (``_shared``, a cache of what was
made, like ``callbacks.c_api``): a function object points into them for as long
as it lives, which may be longer than its emulator. After ``release`` nothing may
call ``entry`` (its prologue is unmapped), as nothing could call the ctypes one.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from typing import Any

from .callbacks import CAPI, c_api
from .memory import ExecPage

#: METH_FASTCALL: ``f(self, args, nargs)``
_METH_FASTCALL = 0x0080
_MESSAGE = b"entry(state, code) takes exactly 2 arguments"


class _MethodDef(ctypes.Structure):
    """CPython's ``PyMethodDef``."""

    _fields_ = (("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p))  # fmt: skip


@functools.cache
def _shared(entry_function: Callable[[CAPI, int], bytes | None]) -> tuple[Any, ...] | None:
    """The ``PyMethodDef`` of a host kind's entry function and what it points to (its
    code's page, the error message), or None where the host has none. (Keyed by the
    function alone: no host instance is kept.)"""
    message = ctypes.create_string_buffer(_MESSAGE)
    code = entry_function(c_api(), ctypes.addressof(message))
    if code is None:
        return None
    page = ExecPage(code)
    mdef = _MethodDef(b"entry", page.addr, _METH_FASTCALL, None)
    return mdef, page, message, len(code)


_NEW = ctypes.pythonapi.PyCFunction_NewEx
_NEW.restype = ctypes.py_object
_NEW.argtypes = (ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p)


class NativeEntry:
    """A prologue page and ``entry``, the callable that runs generated code."""

    def __init__(self, prologue: bytes, entry_function: Callable[[CAPI, int], bytes | None],
                 flush_icache: Callable[[int, int], None] | None = None) -> None:  # fmt: skip
        """``entry_function(api, message)``: the host's code of the C function (None:
        it has none), a function of the host class (not of an instance)."""
        self.page = ExecPage(prologue, flush_icache)
        self.entry: Callable[[int, int], int] = self.page.entry
        shared = _shared(entry_function)
        #: whether ``entry`` is the host's builtin (else the page's ctypes function)
        self.native = shared is not None
        if shared is not None:
            mdef, page, _, size = shared
            if flush_icache is not None:  # (made once, flushed by each instance: harmless)
                flush_icache(page.addr, size)
            self.entry = _NEW(ctypes.addressof(mdef), self.page.addr, None)

    def release(self) -> None:
        """Unmap the prologue (no call may follow: see the module docstring)."""
        self.page.release()
