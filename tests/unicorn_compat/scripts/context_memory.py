"""Contexts with memory (UC_CTL_CONTEXT_MODE: UC_CTL_CONTEXT_CPU | UC_CTL_CONTEXT_MEMORY),
as snapshot fuzzers use them: a context saved with memory, runs that change data and
code, restores between them; then the CPU alone and the memory alone restored.
(Unicorn 2.1.4 corrupts its heap when a mapping is made or removed between a save
and a restore in this mode, and crashes restoring a context saved without memory in
it: the script changes bytes, not mappings.)"""

from uc_common import CODE, DATA, attempt, mk, run
from unicorn import *
from unicorn.arm64_const import *

SRC = """
ldr x1, [x5]
add x1, x1, #1
str x1, [x5]
add x0, x0, x1
"""

uc, end = mk(SRC)
attempt(
    "set mode",
    lambda: uc.ctl(
        UC_CTL_CONTEXT_MODE, UC_CTL_IO_WRITE, UC_CTL_CONTEXT_CPU | UC_CTL_CONTEXT_MEMORY
    ),
)
uc.reg_write(UC_ARM64_REG_X5, DATA)
uc.mem_write(DATA, (5).to_bytes(8, "little"))
uc.mem_write(DATA + 0x800, b"untouched")
start = uc.context_save()


def show(what):
    print(
        "%s: x0=%d x1=%d data=%d code=%s tail=%r"
        % (
            what,
            uc.reg_read(UC_ARM64_REG_X0),
            uc.reg_read(UC_ARM64_REG_X1),
            int.from_bytes(uc.mem_read(DATA, 8), "little"),
            bytes(uc.mem_read(CODE + 4, 4)).hex(),
            bytes(uc.mem_read(DATA + 0x800, 9)),
        )
    )


for i in range(4):
    run("run %d" % i, uc, CODE, end)
    show("after run %d" % i)
    uc.mem_write(DATA + 8 * (i + 1), b"\xff" * 8)
    if i % 2:  # the code changes: the next run must not run the old translation
        uc.mem_write(CODE + 4, bytes.fromhex("21900191"))  # add x1, x1, #100
    attempt("restore %d" % i, lambda: uc.context_restore(start))
    show("restored %d" % i)
    attempt("scratch %d" % i, lambda: int.from_bytes(uc.mem_read(DATA + 8, 32), "little"))

# the registers alone
uc.ctl(UC_CTL_CONTEXT_MODE, UC_CTL_IO_WRITE, UC_CTL_CONTEXT_CPU)
uc.mem_write(DATA, (9).to_bytes(8, "little"))
uc.reg_write(UC_ARM64_REG_X0, 55)
uc.context_restore(start)
show("cpu only")

# the memory alone
uc.ctl(UC_CTL_CONTEXT_MODE, UC_CTL_IO_WRITE, UC_CTL_CONTEXT_MEMORY)
uc.reg_write(UC_ARM64_REG_X0, 56)
uc.context_restore(start)
show("memory only")
