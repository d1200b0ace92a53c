"""Read hooks on a loop's loads once its code is hot (compiled): a hook over part of
the accesses and the pc it reads, a hook writing the memory being read, a hook that
removes itself or adds another, emu_stop at one access, a read hook next to a write
hook."""

from uc_common import CODE, DATA, mk, run
from unicorn import *
from unicorn.arm64_const import *

# x0 counts down from 40; each iteration loads [x1 + (x0 & 7) * 8] and adds it up
LOOP = """
movz x1, #0x8, lsl #16
mov x0, #40
mov x3, #0
loop:
and x2, x0, #7
ldr x4, [x1, x2, lsl #3]
add x3, x3, x4
ldrb w5, [x1, #0x40]
add x3, x3, x5
subs x0, x0, #1
b.ne loop
"""


def fresh():
    uc, end = mk(LOOP)
    uc.mem_write(DATA, b"".join((i * 0x1111).to_bytes(8, "little") for i in range(8)) + b"\x07")
    return uc, end


def show(label, uc, seen):
    print("   ", label, len(seen), seen[:6], seen[-3:])
    print("    x0 %d x3 %#x" % (uc.reg_read(UC_ARM64_REG_X0), uc.reg_read(UC_ARM64_REG_X3)))


# a hook over part of the loads (the first four words), with the pc of each access
uc, end = fresh()
seen = []


def part(uc, access, address, size, value, user_data):
    seen.append((access, address - DATA, size, value, uc.reg_read(UC_ARM64_REG_PC) - CODE))


uc.hook_add(UC_HOOK_MEM_READ, part, None, DATA, DATA + 0x1F)
run("part of the loads", uc, CODE, end)
show("part", uc, seen)

# a hook writing the memory the access then reads
uc, end = fresh()
seen = []


def meddle(uc, access, address, size, value, user_data):
    seen.append(address - DATA)
    if address == DATA + 0x40:
        uc.mem_write(DATA + 0x40, bytes([len(seen) & 0xFF]))


uc.hook_add(UC_HOOK_MEM_READ, meddle)
run("a hook writing memory", uc, CODE, end)
show("meddle", uc, seen)

# a hook that removes itself after ten calls, and one that adds another on its fifth
uc, end = fresh()
seen = []
handles = {}


def once_more(uc, access, address, size, value, user_data):
    seen.append(("added", address - DATA))


def ten(uc, access, address, size, value, user_data):
    seen.append((user_data, address - DATA))
    n = sum(1 for s in seen if s[0] == user_data)
    if n == 10:
        uc.hook_del(handles[user_data])
    if user_data == "adder" and n == 5:
        uc.hook_add(UC_HOOK_MEM_READ, once_more, None, DATA + 0x40, DATA + 0x40)


handles["ten"] = uc.hook_add(UC_HOOK_MEM_READ, ten, "ten")
handles["adder"] = uc.hook_add(UC_HOOK_MEM_READ, ten, "adder", DATA, DATA + 0x3F)
run("hooks removing themselves, adding another", uc, CODE, end)
show("del/add", uc, seen)

# emu_stop at the 57th load: the load is made, the pc stays at its instruction
for stop_at in (57, 58):
    uc, end = fresh()
    seen = []

    def stopper(uc, access, address, size, value, user_data):
        seen.append(address - DATA)
        if len(seen) == stop_at:
            uc.emu_stop()

    uc.hook_add(UC_HOOK_MEM_READ, stopper)
    run("emu_stop at load %d" % stop_at, uc, CODE, end)
    show("stop", uc, seen)
    print("    x4 %#x x5 %#x" % (uc.reg_read(UC_ARM64_REG_X4), uc.reg_read(UC_ARM64_REG_X5)))

# a read hook and a write hook on a loop that stores what it loads
uc, end = mk("""
movz x1, #0x8, lsl #16
mov x0, #24
loop:
ldr x2, [x1]
add x2, x2, #3
str x2, [x1], #8
subs x0, x0, #1
b.ne loop
""")
seen = []


def rw(uc, access, address, size, value, user_data):
    seen.append((access, address - DATA, value))


uc.hook_add(UC_HOOK_MEM_READ, rw, None, DATA + 0x40, DATA + 0x7F)
uc.hook_add(UC_HOOK_MEM_WRITE, rw, None, DATA + 0x60, DATA + 0xFF)
run("read and write hooks", uc, CODE, end)
show("rw", uc, seen)

# hooks writing registers: a read hook adds to the sum the loop keeps in x3 (and, at
# its 20th call, shortens the loop through x0); another rewrites the register its load
# is about to overwrite; a write hook moves the stores' base x1 on and adds to a sum
uc, end = fresh()
seen = []


def bump(uc, access, address, size, value, user_data):
    seen.append(address - DATA)
    uc.reg_write(UC_ARM64_REG_X3, uc.reg_read(UC_ARM64_REG_X3) + 0x100000)
    if len(seen) == 20:
        uc.reg_write(UC_ARM64_REG_X0, 3)


def clobber_dest(uc, access, address, size, value, user_data):
    uc.reg_write(UC_ARM64_REG_X4, 0xDEAD)


uc.hook_add(UC_HOOK_MEM_READ, bump, None, DATA + 0x40, DATA + 0x40)
uc.hook_add(UC_HOOK_MEM_READ, clobber_dest, None, DATA, DATA + 0x3F)
run("read hooks writing registers", uc, CODE, end)
show("regs", uc, seen)
print("    x4 %#x x5 %#x" % (uc.reg_read(UC_ARM64_REG_X4), uc.reg_read(UC_ARM64_REG_X5)))

uc, end = mk("""
movz x1, #0x8, lsl #16
mov x0, #24
mov x6, #0
loop:
ldr x2, [x1]
add x6, x6, x2
add x2, x2, #3
str x2, [x1]
add x1, x1, #8
subs x0, x0, #1
b.ne loop
""")
seen = []


def skip_ahead(uc, access, address, size, value, user_data):
    seen.append((access, address - DATA, value))
    if len(seen) % 5 == 0:
        uc.reg_write(UC_ARM64_REG_X1, uc.reg_read(UC_ARM64_REG_X1) + 16)
        uc.reg_write(UC_ARM64_REG_X6, uc.reg_read(UC_ARM64_REG_X6) + len(seen))


uc.hook_add(UC_HOOK_MEM_WRITE, skip_ahead, None, DATA, DATA + 0xFFF)
run("a write hook writing registers", uc, CODE, end)
show("wregs", uc, seen)
print("    x1 %#x x6 %#x" % (uc.reg_read(UC_ARM64_REG_X1), uc.reg_read(UC_ARM64_REG_X6)))
