"""MMIO: callbacks with user data, access sizes, memory hooks over a device,
mem_read/mem_write of a device, a device without a read or write callback."""

from uc_common import CODE, attempt, mk, run
from unicorn import *
from unicorn.arm64_const import *

DEV = 0xC0000
store = {}


def dev_read(uc, offset, size, user_data):
    value = store.get(offset, 0x1122334455667788 + offset)
    print("   read", hex(offset), size, user_data, "pc=%#x" % uc.reg_read(UC_ARM64_REG_PC))
    return value


def dev_write(uc, offset, size, value, user_data):
    print("   write", hex(offset), size, hex(value), user_data)
    store[offset] = value


SRC = """
movz x1, #0xc, lsl #16
ldr x2, [x1, #8]
ldrb w3, [x1, #3]
ldrh w4, [x1, #6]
ldr w5, [x1, #12]
mov x6, #0xabcd
movk x6, #0x1234, lsl #32
str x6, [x1, #16]
strh w6, [x1, #2]
strb w6, [x1, #0x21]
str w6, [x1, #0x24]
ldp x7, x8, [x1, #16]
ldr x9, [x1, #0x20]
"""
uc, end = mk(SRC)
uc.mmio_map(DEV, 0x1000, dev_read, {"r": 1}, dev_write, ["w"])


def mem(uc, access, address, size, value, user_data):
    print("   mem %d %#x %d %#x" % (access, address, size, value))


uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, mem)
run("mmio", uc, CODE, end)
print("  ", [hex(uc.reg_read(globals()[f"UC_ARM64_REG_X{i}"])) for i in range(2, 10)])
print("  ", [(hex(b), hex(e), p) for b, e, p in uc.mem_regions()])
attempt("mem_read of the device", lambda: uc.mem_read(DEV + 4, 4))
attempt("mem_write to the device", lambda: uc.mem_write(DEV + 0x40, b"\x01\x02\x03\x04"))
attempt("map over the device", lambda: uc.mem_map(DEV, 0x1000))
attempt("unmap the device", lambda: uc.mem_unmap(DEV, 0x1000))
print("  ", [(hex(b), hex(e), p) for b, e, p in uc.mem_regions()])

# a device without callbacks: not readable / not writable
for label, src, rcb, wcb in [
    ("no read callback: read", "movz x1, #0xd, lsl #16\nldr x2, [x1, #8]", None, dev_write),
    ("no read callback: write", "movz x1, #0xd, lsl #16\nstr x1, [x1, #8]", None, dev_write),
    ("no write callback: write", "movz x1, #0xd, lsl #16\nstr x1, [x1]", dev_read, None),
    ("no callbacks: write", "movz x1, #0xd, lsl #16\nstr x1, [x1]", None, None),
]:
    uc, end = mk(src)
    uc.mmio_map(0xD0000, 0x1000, rcb, "R", wcb, "W")
    run(label, uc, CODE, end)
    print("  ", [(hex(b), hex(e), p) for b, e, p in uc.mem_regions()])

# a device callback that stops emulation
uc, end = mk("movz x1, #0xc, lsl #16\nmov x0, #1\nldr x2, [x1]\nmov x3, #3\nmov x4, #4")


def stopping_read(uc, offset, size, user_data):
    print("   read", hex(offset), size)
    uc.emu_stop()
    return 7


uc.mmio_map(DEV, 0x1000, stopping_read, None, None, None)
run("device stops", uc, CODE, end)
print("   x2", uc.reg_read(UC_ARM64_REG_X2))
