"""The x86-64 host's way in from Python without ctypes: the prologue as a builtin.

Owns ``entry_function(api, message)``: the code of a ``METH_FASTCALL`` C function
``PyObject *f(PyObject *self, PyObject *const *args, Py_ssize_t nargs)`` that
calls the System V function ``uint64 target(uint64 state, uint64 code)`` (a
host's prologue: ``entry(state, code)``) whose address is the int ``self``, with
the GIL released, through the C API whose addresses ``api`` holds
(``tcgkit.native.callbacks.CAPI``). It does what a ctypes call of
``CFUNCTYPE(c_uint64, c_void_p, c_void_p)`` does, without libffi and ctypes'
per-argument converters. One copy serves every prologue of the process
(``tcgkit.native.entry`` makes a function object per prologue, bound to its
address):

    if nargs != 2: PyErr_SetString(PyExc_TypeError, message); return NULL
    target = PyLong_AsUnsignedLongLong(self)         ; -1 and an exception: NULL
    state = PyLong_AsUnsignedLongLong(args[0])
    code = PyLong_AsUnsignedLongLong(args[1])
    tstate = PyEval_SaveThread()                     ; other threads run meanwhile
    word = target(state, code)
    PyEval_RestoreThread(tstate)
    return PyLong_FromUnsignedLongLong(word)

Generated code that calls back into Python takes the GIL itself (``py_call``).
"""

from __future__ import annotations

from typing import Any

from .encoder import (
    CC_NE,
    CMP,
    R12,
    R13,
    R14,
    R15,
    RAX,
    RBX,
    RDI,
    RDX,
    RSI,
    XOR,
    Asm,
    Label,
    Mem,
)


def entry_function(api: Any, message: int) -> bytes:
    """The function's code (see the module docstring); ``message``: the address of a
    NUL-terminated TypeError message, which the caller keeps alive."""
    a = Asm()
    error, fail, out = Label(), Label(), Label()
    # five pushes after the return address: rsp 16-byte aligned
    for r in (RBX, R12, R13, R14, R15):
        a.push(r)

    def call(fn: int) -> None:
        a.mov_ri(RAX, fn)
        a.call_r(RAX)

    def as_u64(dest: int) -> None:  # dest <- the int in rdi; NULL out on an error
        call(api.as_u64)
        a.mov_rr(dest, RAX)
        a.alu_ri(CMP, RAX, -1)
        ok = Label()
        a.jcc(CC_NE, ok)
        call(api.err_occurred)
        a.test_rr(RAX, RAX)
        a.jcc(CC_NE, fail)
        a.bind(ok)

    a.alu_ri(CMP, RDX, 2)
    a.jcc(CC_NE, error)
    a.mov_rr(RBX, RSI)
    as_u64(R15)  # self: the prologue's address
    a.load(RDI, Mem(RBX, 0), 8)
    as_u64(R12)
    a.load(RDI, Mem(RBX, 8), 8)
    as_u64(R13)
    call(api.save_thread)
    a.mov_rr(R14, RAX)
    a.mov_rr(RDI, R12)
    a.mov_rr(RSI, R13)
    a.call_r(R15)
    a.mov_rr(RBX, RAX)
    a.mov_rr(RDI, R14)
    call(api.restore_thread)
    a.mov_rr(RDI, RBX)
    call(api.from_u64)  # the new int, or NULL with MemoryError set
    a.jmp(out)
    a.bind(error)
    a.mov_ri(RDI, api.type_error)
    a.load(RDI, Mem(RDI, 0), 8)  # PyExc_TypeError is a variable holding the object
    a.mov_ri(RSI, message)
    call(api.err_set_string)
    a.bind(fail)
    a.alu_rr(XOR, RAX, RAX, w=False)
    a.bind(out)
    for r in (R15, R14, R13, R12, RBX):
        a.pop(r)
    a.ret()
    return a.code()
