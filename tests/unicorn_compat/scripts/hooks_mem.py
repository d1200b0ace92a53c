"""Memory hooks: access kinds, sizes, values, ranges, stops and exceptions in them."""

from uc_common import CODE, DATA, mk, run
from unicorn import *
from unicorn.arm64_const import *

SRC = """
movz x1, #0x8, lsl #16
mov x2, #0x1234
movk x2, #0xabcd, lsl #48
str x2, [x1]
strb w2, [x1, #9]
strh w2, [x1, #10]
str w2, [x1, #12]
ldr x3, [x1]
ldrb w4, [x1, #9]
ldrsh x5, [x1, #10]
ldr w6, [x1, #12]
stp x2, x3, [x1, #16]
ldp x7, x8, [x1, #16]
str q0, [x1, #32]
ldr q1, [x1, #32]
str x2, [x1, #0x80]!
ldr x9, [x1], #8
mov x10, #0x7f0
add x10, x10, x1
ldr x11, [x10]
"""


def mem(uc, access, address, size, value, user_data):
    print(
        "   mem %d %#x %d %#x %s pc=%#x"
        % (access, address, size, value, user_data, uc.reg_read(UC_ARM64_REG_PC))
    )


for label, kind, begin, end in [
    ("read|write", UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, 1, 0),
    ("valid", UC_HOOK_MEM_VALID, 1, 0),
    ("read", UC_HOOK_MEM_READ, 1, 0),
    ("write in a range", UC_HOOK_MEM_WRITE, DATA + 8, DATA + 0x10F),
    ("read begin > end", UC_HOOK_MEM_READ, DATA + 0x20, DATA + 8),
    ("fetch (never called)", UC_HOOK_MEM_FETCH, 1, 0),
]:
    uc, end_ = mk(SRC)
    uc.reg_write(UC_ARM64_REG_Q0, 0x00112233445566778899AABBCCDDEEFF)
    uc.hook_add(kind, mem, label, begin, end)
    run(label, uc, CODE, end_)
print("   regs", [hex(uc.reg_read(globals()[f"UC_ARM64_REG_X{i}"])) for i in range(1, 12)])
print("   q1", hex(uc.reg_read(UC_ARM64_REG_Q1)))

# a memory hook stops emulation: the access is made, the pc stays at the instruction
for label, src, when in [
    ("stop at a store", "movz x1, #0x8, lsl #16\nmov x2, #5\nstr x2, [x1]\nadd x2, x2, #1", DATA),
    ("stop at a load", "movz x1, #0x8, lsl #16\nldr x2, [x1, #8]\nadd x2, x2, #1", DATA + 8),
    (
        "stop at stp's first",
        "movz x1, #0x8, lsl #16\nmov x2, #7\nmov x3, #9\nstp x2, x3, [x1]",
        DATA,
    ),
    (
        "stop at stp's second",
        "movz x1, #0x8, lsl #16\nmov x2, #7\nmov x3, #9\nstp x2, x3, [x1]",
        DATA + 8,
    ),
]:
    uc, end_ = mk(src)
    uc.mem_write(DATA + 8, b"\x2a" + bytes(7))

    def stop(uc, access, address, size, value, user_data, when=when):
        mem(uc, access, address, size, value, user_data)
        if address == when:
            uc.emu_stop()

    uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, stop, "s")
    uc.hook_add(UC_HOOK_MEM_WRITE, mem, "second hook")
    run(label, uc, CODE, end_)
    print(
        "   x1 %#x x2 %#x" % (uc.reg_read(UC_ARM64_REG_X1), uc.reg_read(UC_ARM64_REG_X2)),
        uc.mem_read(DATA, 24).hex(),
    )

# an exception in a memory hook: the same, then the exception
uc, end_ = mk("movz x1, #0x8, lsl #16\nmov x2, #5\nstr x2, [x1]\nmov x3, #3")


def boom(uc, access, address, size, value, user_data):
    raise RuntimeError("memory hook failed at %#x" % address)


uc.hook_add(UC_HOOK_MEM_WRITE, boom)
run("exception in a memory hook", uc, CODE, end_)
print("   x3", uc.reg_read(UC_ARM64_REG_X3), uc.mem_read(DATA, 8).hex())

# a hook writes the memory the instruction then reads
uc, end_ = mk("movz x1, #0x8, lsl #16\nldr x2, [x1]\nldr x3, [x1]")


def patch(uc, access, address, size, value, user_data):
    uc.mem_write(address, b"\x99" * size)


h = uc.hook_add(UC_HOOK_MEM_READ, patch, None, DATA, DATA)
run("memory written by a read hook", uc, CODE, end_)
print("   x2 %#x x3 %#x" % (uc.reg_read(UC_ARM64_REG_X2), uc.reg_read(UC_ARM64_REG_X3)))

# memory hooks and a loop that runs long enough to be compiled
uc, end_ = mk("""
movz x1, #0x8, lsl #16
mov x0, #0
loop:
ldr x2, [x1, x0, lsl #3]
add x2, x2, x0
str x2, [x1, x0, lsl #3]
add x0, x0, #1
cmp x0, #64
b.ne loop
""")
counts = {UC_MEM_READ: 0, UC_MEM_WRITE: 0}


def count(uc, access, address, size, value, user_data):
    counts[access] += 1


uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, count, None, DATA, DATA + 0xFF)
run("hot loop", uc, CODE, end_)
print("   counts", counts, uc.mem_read(DATA, 16).hex(), uc.mem_read(DATA + 0x1F8, 8).hex())
