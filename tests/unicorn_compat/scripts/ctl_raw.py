"""``Uc.ctl``, Unicorn's raw control call with ctypes arguments, as a script that
bypasses the ``ctl_*`` wrappers writes it: reads through ``byref``, writes of
values, the exits array by address and length, a block's cache entry into a
``uc_tb``, flushes, and what is refused (the page size and UC_TLB_VIRTUAL are
not compared: README's differences)."""

import ctypes

from uc_common import CODE, attempt, mk, run
from unicorn import *
from unicorn.arm64_const import *
from unicorn.unicorn_const import *


class tb(ctypes.Structure):  # Unicorn's uc_tb
    _fields_ = (("pc", ctypes.c_uint64), ("icount", ctypes.c_uint16), ("size", ctypes.c_uint16))


SRC = """
add x0, x0, #1
add x1, x1, #2
b skip
add x2, x2, #3
skip:
add x3, x3, #4
nop
"""

uc, end = mk(SRC)
for name, ctl, ctype in (
    ("mode", UC_CTL_UC_MODE, ctypes.c_int),
    ("arch", UC_CTL_UC_ARCH, ctypes.c_int),
    ("timeout", UC_CTL_UC_TIMEOUT, ctypes.c_uint64),
    ("cpu model", UC_CTL_CPU_MODEL, ctypes.c_int),
):
    out = ctype()
    attempt("read " + name, lambda: (uc.ctl(ctl, UC_CTL_IO_READ, ctypes.byref(out)), out.value)[1])

run("run", uc, CODE, end - 4, timeout=5000000)
out = ctypes.c_uint64()
attempt(
    "timeout after a run",
    lambda: (uc.ctl(UC_CTL_UC_TIMEOUT, UC_CTL_IO_READ, ctypes.byref(out)), out.value)[1],
)

entry = tb()
attempt(
    "request cache",
    lambda: (
        uc.ctl(
            UC_CTL_TB_REQUEST_CACHE,
            UC_CTL_IO_READ_WRITE,
            ctypes.c_uint64(CODE),
            ctypes.byref(entry),
        ),
        (hex(entry.pc), entry.icount, entry.size),
    )[1],
)
attempt(
    "remove cache",
    lambda: uc.ctl(
        UC_CTL_TB_REMOVE_CACHE, UC_CTL_IO_WRITE, ctypes.c_uint64(CODE), ctypes.c_uint64(CODE + 8)
    ),
)
attempt("flush tb", lambda: uc.ctl(UC_CTL_TB_FLUSH, UC_CTL_IO_WRITE))
attempt("flush tlb", lambda: uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE))

# exits: enabled, set through an array, read back, counted
attempt("use exits", lambda: uc.ctl(UC_CTL_UC_USE_EXITS, UC_CTL_IO_WRITE, ctypes.c_int(1)))
exits = (ctypes.c_uint64 * 2)(CODE + 8, CODE + 16)
attempt(
    "set exits",
    lambda: uc.ctl(
        UC_CTL_UC_EXITS, UC_CTL_IO_WRITE, ctypes.cast(exits, ctypes.c_void_p), ctypes.c_size_t(2)
    ),
)
count = ctypes.c_size_t()
attempt(
    "exits count",
    lambda: (uc.ctl(UC_CTL_UC_EXITS_CNT, UC_CTL_IO_READ, ctypes.byref(count)), count.value)[1],
)
back = (ctypes.c_uint64 * 2)()
attempt(
    "get exits",
    lambda: (
        uc.ctl(
            UC_CTL_UC_EXITS, UC_CTL_IO_READ, ctypes.cast(back, ctypes.c_void_p), ctypes.c_size_t(2)
        ),
        [hex(x) for x in back],
    )[1],
)
uc.reg_write(UC_ARM64_REG_X0, 0)
run("run with exits", uc, CODE, 0)
print("x0 x1 =", uc.reg_read(UC_ARM64_REG_X0), uc.reg_read(UC_ARM64_REG_X1))

# what is refused
attempt(
    "set cpu model after init", lambda: uc.ctl(UC_CTL_CPU_MODEL, UC_CTL_IO_WRITE, ctypes.c_int(3))
)
attempt(
    "remove cache, bounds reversed",
    lambda: uc.ctl(
        UC_CTL_TB_REMOVE_CACHE, UC_CTL_IO_WRITE, ctypes.c_uint64(CODE + 8), ctypes.c_uint64(CODE)
    ),
)
attempt("tlb mode cpu", lambda: uc.ctl(UC_CTL_TLB_TYPE, UC_CTL_IO_WRITE, ctypes.c_int(UC_TLB_CPU)))
attempt("unknown control", lambda: uc.ctl(99, UC_CTL_IO_READ, ctypes.byref(ctypes.c_int())))
