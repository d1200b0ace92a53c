"""Contexts: save, restore, update, pickle, registers read from a context, and many
short runs restored between them as fuzzers do."""

import pickle

from uc_common import CODE, DATA, attempt, mk, run
from unicorn import *
from unicorn.arm64_const import *

SRC = """
ldr x1, [x5]
add x0, x0, x1
add x2, x2, #1
str x0, [x5, #8]
"""

uc, end = mk(SRC)
uc.reg_write(UC_ARM64_REG_X5, DATA)
uc.reg_write(UC_ARM64_REG_X0, 10)
uc.reg_write(UC_ARM64_REG_D3, 0x1122334455667788)
uc.mem_write(DATA, (5).to_bytes(8, "little"))
start = uc.context_save()
attempt("context x0", lambda: start.reg_read(UC_ARM64_REG_X0))
attempt("context d3", lambda: start.reg_read(UC_ARM64_REG_D3))
attempt("context arch", lambda: start.arch)
attempt("context mode", lambda: start.mode)

for i in range(5):
    uc.context_restore(start)
    uc.mem_write(DATA, (i * 3).to_bytes(8, "little"))
    run("run %d" % i, uc, CODE, end)
    print(
        "   x0=%d x2=%d mem=%d"
        % (
            uc.reg_read(UC_ARM64_REG_X0),
            uc.reg_read(UC_ARM64_REG_X2),
            int.from_bytes(uc.mem_read(DATA + 8, 8), "little"),
        )
    )

# the context is a snapshot: later runs leave it as it was
attempt("saved x0 after runs", lambda: start.reg_read(UC_ARM64_REG_X0))

# context_update refreshes an existing context object
ctx = uc.context_save()
uc.reg_write(UC_ARM64_REG_X0, 77)
uc.context_update(ctx)
attempt("updated x0", lambda: ctx.reg_read(UC_ARM64_REG_X0))
uc.reg_write(UC_ARM64_REG_X0, 1)
uc.context_restore(ctx)
attempt("restored x0", lambda: uc.reg_read(UC_ARM64_REG_X0))

# a context written to and restored
ctx.reg_write(UC_ARM64_REG_X2, 0x55)
uc.context_restore(ctx)
attempt("x2 written in the context", lambda: uc.reg_read(UC_ARM64_REG_X2))

# pickled and restored into the same Uc
blob = pickle.dumps(start)
again = pickle.loads(blob)
uc.context_restore(again)
attempt("unpickled x0", lambda: uc.reg_read(UC_ARM64_REG_X0))
attempt("unpickled d3", lambda: uc.reg_read(UC_ARM64_REG_D3))
run("run after unpickle", uc, CODE, end)
attempt("x0", lambda: uc.reg_read(UC_ARM64_REG_X0))
