"""Guest errors out of emu_start, and the interrupts Unicorn's AArch64 CPU raises."""

from uc_common import CODE, DATA, asm, mk, run
from unicorn import *
from unicorn.arm64_const import *


def regs(uc, *names):
    print("  ", " ".join(f"{n}={uc.reg_read(globals()['UC_ARM64_REG_' + n]):#x}" for n in names))


# each fault, with the registers before and after the faulting instruction
cases = [
    ("read unmapped", "mov x0, #1\nmovz x1, #0x9, lsl #16\nldr x2, [x1]\nmov x3, #3", None),
    ("write unmapped", "mov x0, #1\nmovz x1, #0x9, lsl #16\nstr x0, [x1, #8]\nmov x3, #3", None),
    ("fetch unmapped", "mov x0, #1\nmovz x1, #0x9, lsl #16\nbr x1\nmov x3, #3", None),
    ("fetch past the mapping", "mov x0, #1", None),
    ("read prot", "movz x1, #0x8, lsl #16\nldr x2, [x1]\nmov x3, #3", UC_PROT_WRITE),
    ("write prot", "movz x1, #0x8, lsl #16\nstr x1, [x1]\nmov x3, #3", UC_PROT_READ),
    ("fetch prot", "movz x1, #0x8, lsl #16\nblr x1\nmov x3, #3", UC_PROT_READ),
    ("ldp half mapped", "movz x1, #0x8, lsl #16\nadd x1, x1, #0xff8\nldp x2, x3, [x1]", None),
    ("undefined", "mov x0, #1\n.word 0xffffffff\nmov x3, #3", None),
    ("udf", "mov x0, #1\n.word 0x00000007\nmov x3, #3", None),
    ("hvc", "mov x0, #1\nhvc #1\nmov x3, #3", None),
    ("svc, no hook", "mov x0, #1\nsvc #5\nmov x3, #3", None),
    ("brk, no hook", "mov x0, #1\nbrk #5\nmov x3, #3", None),
    ("unaligned ldxr", "movz x1, #0x8, lsl #16\nadd x1, x1, #1\nldxr x2, [x1]\nmov x3, #3", None),
    (
        "unaligned ldr is fine",
        "movz x1, #0x8, lsl #16\nadd x1, x1, #1\nldr x2, [x1]\nmov x3, #3",
        None,
    ),
]
for label, src, perms in cases:
    uc, end = mk(src)
    if perms is not None:
        uc.mem_protect(DATA, 0x1000, perms)
    until = end + 4 if label == "fetch past the mapping" else end
    if label == "fetch past the mapping":
        uc.mem_unmap(CODE, 0x10000)
        uc.mem_map(CODE, 0x1000)
        uc.mem_write(CODE + 0xFFC, asm("mov x0, #1", CODE + 0xFFC))
        run(label, uc, CODE + 0xFFC, CODE + 0x1004)
        continue
    run(label, uc, CODE, until)
    regs(uc, "X0", "X2", "X3")
    print("   errno", uc.errno)

# with an interrupt hook: intno, the pc it sees, user_data; the hook moves on
calls = []


def intr(uc, intno, user_data):
    pc = uc.reg_read(UC_ARM64_REG_PC)
    print("   intr", intno, "pc=%#x" % pc, user_data)
    calls.append(intno)
    if intno != 2:  # svc leaves the pc after it; the others at the instruction
        uc.reg_write(UC_ARM64_REG_PC, pc + 4)
    if len(calls) > 20:
        uc.emu_stop()


src = """
mov x0, #1
svc #0x11
brk #3
.word 0xffffffff
hvc #2
movz x1, #0x8, lsl #16
add x1, x1, #2
ldaxr w2, [x1]
mov x3, #3
"""
uc, end = mk(src)
uc.hook_add(UC_HOOK_INTR, intr, {"data": 1})
run("interrupts", uc, CODE, end)
regs(uc, "X0", "X2", "X3")
print("   ", calls)

# the hook that does not move the pc: the instruction raises again, until a stop
uc, end = mk("mov x0, #1\nbrk #3\nmov x3, #3")
seen = []


def again(uc, intno, user_data):
    seen.append((intno, uc.reg_read(UC_ARM64_REG_PC)))
    if len(seen) == 3:
        uc.emu_stop()


uc.hook_add(UC_HOOK_INTR, again)
run("brk loop", uc, CODE, end)
print("   ", [(n, hex(pc)) for n, pc in seen])

# count includes the undefined instruction
for n in (2, 3, 4):
    uc, end = mk("mov x0, #1\nmov x1, #2\n.word 0xffffffff\nmov x3, #3\nmov x4, #4")
    uc.hook_add(UC_HOOK_INTR, intr, n)
    run(f"count {n}", uc, CODE, end, count=n)
    regs(uc, "X3", "X4")

# the interrupt hook removed: back to UC_ERR_EXCEPTION
uc, end = mk("svc #1\nsvc #2")
h = uc.hook_add(UC_HOOK_INTR, intr, "first")
run("svc hooked", uc, CODE, CODE + 4)
uc.hook_del(h)
run("svc unhooked", uc, CODE + 4, end)
