"""Callbacks from generated code into Python: one C function address per Python
callable, made by the host's thunk where it has one, or as a ctypes closure.

Owns ``CAPI`` (the addresses of the C-API functions a host's thunk calls, looked
up once per process: ``c_api``) and ``Callbacks`` (the callbacks one backend
made, with what keeps them alive, freed by ``release``).

A thunk (``NativeHost.python_thunk``) is the host's machine code for ``uint64
f(uint64 ...)`` calling the object through the C API: what a ctypes closure of
that signature does (take the GIL, convert the arguments, call, convert the
result, report an exception it did not catch as unraisable and answer 0), without
libffi's generic closure and ctypes' per-argument converters. Each lives in a
page of its own (``ExecPage``: written, then made read-execute), with the
callable it calls held here until ``release``.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from typing import Any

from .memory import ExecPage


class CAPI:
    """Addresses of the C-API functions (and the one variable, ``PyExc_TypeError``) a
    thunk or a native entry (``tcgkit.native.entry``) calls."""

    __slots__ = ("as_u64", "as_u64_mask", "decref", "err_occurred", "err_set_string",
                 "from_u64", "gil_ensure", "gil_release", "restore_thread", "save_thread",
                 "type_error", "vectorcall", "write_unraisable")  # fmt: skip

    def __init__(self, addr: Callable[[str], int], var: Callable[[str], int]) -> None:
        self.gil_ensure = addr("PyGILState_Ensure")
        self.gil_release = addr("PyGILState_Release")
        self.from_u64 = addr("PyLong_FromUnsignedLongLong")
        self.vectorcall = addr("PyObject_Vectorcall")
        self.as_u64_mask = addr("PyLong_AsUnsignedLongLongMask")
        self.decref = addr("Py_DecRef")
        self.err_occurred = addr("PyErr_Occurred")
        self.write_unraisable = addr("PyErr_WriteUnraisable")
        self.as_u64 = addr("PyLong_AsUnsignedLongLong")
        self.save_thread = addr("PyEval_SaveThread")
        self.restore_thread = addr("PyEval_RestoreThread")
        self.err_set_string = addr("PyErr_SetString")
        self.type_error = var("PyExc_TypeError")  # the variable's address


@functools.cache
def c_api() -> CAPI:
    """This interpreter's C-API addresses (found once: the discovery cache)."""

    def addr(name: str) -> int:
        return ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value or 0

    def var(name: str) -> int:
        return ctypes.addressof(ctypes.c_void_p.in_dll(ctypes.pythonapi, name))

    return CAPI(addr, var)


class Callbacks:
    """The callbacks of one backend: ``thunk(api, callable_addr, nargs)`` is the host's
    (None: no thunk for that many arguments, a ctypes closure instead)."""

    def __init__(self, thunk: Callable[[CAPI, int, int], bytes | None],
                 flush_icache: Callable[[int, int], None]) -> None:  # fmt: skip
        self._thunk = thunk
        self._flush = flush_icache
        self._pages: list[ExecPage] = []
        self._alive: list[Any] = []  # the callables and closures the addresses call

    def make(self, fn: Callable[..., int], ctype: Any) -> int:
        """The address of a C function of ctypes function type ``ctype`` (integer
        arguments and result) that calls ``fn``."""
        code = self._thunk(c_api(), id(fn), len(ctype._argtypes_))
        if code is not None:
            page = ExecPage(code, self._flush)
            self._pages.append(page)
            self._alive.append(fn)
            return page.addr
        closure = ctype(fn)
        self._alive.append(closure)
        return ctypes.cast(closure, ctypes.c_void_p).value or 0

    def release(self) -> None:
        """Unmap the thunks' pages and drop the callables (generated code no longer
        runs)."""
        for page in self._pages:
            page.release()
        self._pages.clear()
        self._alive.clear()
