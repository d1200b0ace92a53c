"""The x86-64 host's calls into Python without ctypes: a thunk per callback.

Owns ``thunk(api, callable_addr, nargs)``: the code of a System V function
``uint64 f(uint64 a0, ..., a[nargs-1])`` that calls the Python object at
``callable_addr`` with ``nargs`` ints through the C API whose addresses ``api``
holds (``tcgkit.native.callbacks.CAPI``) and returns the int it answers, masked
to 64 bits. It does what a ctypes closure does for such a callback, in a few
dozen instructions instead of libffi's generic closure and ctypes' per-argument
converters:

    gstate = PyGILState_Ensure()
    args[i] = PyLong_FromUnsignedLongLong(a[i])          ; every argument
    r = PyObject_Vectorcall(callable, args, nargs | OFFSET, NULL)   ; none NULL
    Py_DecRef(args[i])                                   ; every argument
    v = PyLong_AsUnsignedLongLongMask(r); Py_DecRef(r)   ; r not NULL
    if r == NULL or (v == -1 and PyErr_Occurred()):
        PyErr_WriteUnraisable(callable); v = 0           ; as ctypes does
    PyGILState_Release(gstate)
    return v

``args`` sits in the thunk's frame with a free slot before it
(PY_VECTORCALL_ARGUMENTS_OFFSET: a bound method's call puts ``self`` there
instead of copying the arguments). The caller keeps the callable alive; the
thunk holds no reference of its own. Generated code calls a thunk as it called
the closure (the slow path's routines save what the call clobbers).
"""

from __future__ import annotations

from typing import Any, Final

from .encoder import (
    ADD,
    CC_E,
    CC_NE,
    CMP,
    R8,
    R9,
    R12,
    R13,
    RAX,
    RBX,
    RCX,
    RDI,
    RDX,
    RSI,
    RSP,
    SUB,
    XOR,
    Asm,
    Label,
    Mem,
)

#: the System V registers of the first six integer arguments
_ARGS: Final = (RDI, RSI, RDX, RCX, R8, R9)
#: PY_VECTORCALL_ARGUMENTS_OFFSET
_OFFSET: Final = 1 << 63
MAX_ARGS: Final = len(_ARGS)


def thunk(api: Any, callable_addr: int, nargs: int) -> bytes:
    """The thunk's code (see the module docstring); ``nargs`` at most ``MAX_ARGS``."""
    if not 0 <= nargs <= MAX_ARGS:
        raise ValueError(f"a thunk passes 0 to {MAX_ARGS} arguments, not {nargs}")
    a = Asm()
    skip, error, done = Label(), Label(), Label()
    # three pushes after the return address: rsp 16-byte aligned; the frame keeps it
    frame = (8 * (nargs + 1) + 15) & ~15
    a.push(RBX)
    a.push(R12)
    a.push(R13)
    a.alu_ri(SUB, RSP, frame)

    def arg(i: int) -> Mem:  # args[i]; [rsp] is the free slot before them
        return Mem(RSP, 8 + 8 * i)

    def call(fn: int) -> None:
        a.mov_ri(RAX, fn)
        a.call_r(RAX)

    for i in range(nargs):
        a.store(arg(i), _ARGS[i], 8)
    call(api.gil_ensure)
    a.mov_rr(RBX, RAX, w=False)  # PyGILState_STATE, an enum
    for i in range(nargs):
        a.load(RDI, arg(i), 8)
        call(api.from_u64)
        a.store(arg(i), RAX, 8)
    a.alu_rr(XOR, R12, R12, w=False)  # xor r12d, r12d: no result yet
    for i in range(nargs):
        a.alu_mi(CMP, arg(i), 0)
        a.jcc(CC_E, skip)  # an int not made (no memory): no call
    a.mov_ri(RDI, callable_addr)
    a.lea(RSI, arg(0))
    a.mov_ri(RDX, nargs | _OFFSET)
    a.alu_rr(XOR, RCX, RCX, w=False)  # no keyword names
    call(api.vectorcall)
    a.mov_rr(R12, RAX)
    a.bind(skip)
    for i in range(nargs):
        a.load(RDI, arg(i), 8)
        call(api.decref)  # Py_DecRef takes NULL too
    a.test_rr(R12, R12)
    a.jcc(CC_E, error)
    a.mov_rr(RDI, R12)
    call(api.as_u64_mask)
    a.mov_rr(R13, RAX)
    a.mov_rr(RDI, R12)
    call(api.decref)
    a.alu_ri(CMP, R13, -1)
    a.jcc(CC_NE, done)
    call(api.err_occurred)
    a.test_rr(RAX, RAX)
    a.jcc(CC_E, done)
    a.bind(error)
    a.mov_ri(RDI, callable_addr)
    call(api.write_unraisable)  # prints and clears the exception
    a.alu_rr(XOR, R13, R13, w=False)
    a.bind(done)
    a.mov_rr(RDI, RBX, w=False)
    call(api.gil_release)
    a.mov_rr(RAX, R13)
    a.alu_ri(ADD, RSP, frame)
    a.pop(R13)
    a.pop(R12)
    a.pop(RBX)
    a.ret()
    return a.code()
