"""Invalid-memory hooks: unmapped and protection faults, the retry after a hook maps
the memory, the unions, several hooks, and what a failed retry reports."""

from uc_common import CODE, DATA, asm, mk, run
from unicorn import *
from unicorn.arm64_const import *

SRC = """
movz x1, #0x9, lsl #16
mov x5, #0x55
str x5, [x1, #16]
ldr x2, [x1, #16]
ldr x3, [x1, #0xff8]
movn x6, #0
str x6, [x1, #24]
"""


def report(uc, access, address, size, value, user_data):
    print(
        "   invalid %d %#x %d %#x %s pc=%#x"
        % (access, address, size, value, user_data, uc.reg_read(UC_ARM64_REG_PC))
    )


def mapping(uc, access, address, size, value, user_data):
    report(uc, access, address, size, value, user_data)
    uc.mem_map(address & ~0xFFF, 0x1000)
    uc.mem_write(address & ~0xFFF, bytes(range(16)) * 256)
    return True


for label, kind, cb in [
    ("unmapped: map and retry", UC_HOOK_MEM_UNMAPPED, mapping),
    ("write-unmapped: map and retry", UC_HOOK_MEM_WRITE_UNMAPPED, mapping),
    ("read-unmapped only", UC_HOOK_MEM_READ_UNMAPPED, mapping),
    ("invalid: returns False", UC_HOOK_MEM_INVALID, lambda *a: report(*a) or False),
    ("unmapped: returns None", UC_HOOK_MEM_UNMAPPED, report),
    ("unmapped: True, not mapped", UC_HOOK_MEM_UNMAPPED, lambda *a: report(*a) or True),
    ("prot only: not called", UC_HOOK_MEM_PROT, mapping),
    ("in a range that misses", UC_HOOK_MEM_UNMAPPED, mapping),
]:
    uc, end = mk(SRC)
    if label == "in a range that misses":
        uc.hook_add(kind, cb, label, 0xA0000, 0xAFFFF)
    else:
        uc.hook_add(kind, cb, label)
    run(label, uc, CODE, end)
    print(
        "   x2 %#x x3 %#x" % (uc.reg_read(UC_ARM64_REG_X2), uc.reg_read(UC_ARM64_REG_X3)),
        [(hex(b), hex(e), p) for b, e, p in uc.mem_regions()],
    )

# several hooks: called in order until one says it handled the fault
uc, end = mk(SRC)
uc.hook_add(UC_HOOK_MEM_UNMAPPED, lambda *a: report(*a) or False, "first")
uc.hook_add(UC_HOOK_MEM_UNMAPPED, mapping, "second")
uc.hook_add(UC_HOOK_MEM_UNMAPPED, lambda *a: report(*a) or True, "third")
run("three hooks", uc, CODE, end)

# protection faults: the hook is told, returns False: the error
for label, perms, src in [
    ("write to read-only", UC_PROT_READ, "movz x1, #0x8, lsl #16\nmov x2, #9\nstr x2, [x1]"),
    ("read from write-only", UC_PROT_WRITE, "movz x1, #0x8, lsl #16\nldr x2, [x1, #8]"),
    ("read from none", UC_PROT_NONE, "movz x1, #0x8, lsl #16\nldrb w2, [x1, #3]"),
    ("fetch from read-only", UC_PROT_READ, "movz x1, #0x8, lsl #16\nbr x1"),
]:
    uc, end = mk(src)
    uc.mem_protect(DATA, 0x1000, perms)
    uc.hook_add(UC_HOOK_MEM_PROT, lambda *a: report(*a) or False, label)
    uc.hook_add(UC_HOOK_MEM_UNMAPPED, report, "not this one")
    run(label, uc, CODE, end)

# fetch from unmapped memory: the hook maps code there and execution goes on
uc, end = mk("movz x1, #0xa, lsl #16\nblr x1\nmov x4, #4")


def fetch_map(uc, access, address, size, value, user_data):
    report(uc, access, address, size, value, user_data)
    uc.mem_map(0xA0000, 0x1000)
    uc.mem_write(0xA0000, asm("mov x9, #9\nret", 0xA0000))
    return True


uc.hook_add(UC_HOOK_MEM_FETCH_UNMAPPED, fetch_map, "fetch")
run("fetch unmapped, mapped by the hook", uc, CODE, end)
print("   x9", uc.reg_read(UC_ARM64_REG_X9), "x4", uc.reg_read(UC_ARM64_REG_X4))

# a hook that raises: the guest error is what emu_start raises
uc, end = mk(SRC)


def broken(uc, access, address, size, value, user_data):
    raise RuntimeError("hook failed")


uc.hook_add(UC_HOOK_MEM_UNMAPPED, broken)
run("raising invalid hook", uc, CODE, end)
# the next run raises nothing of the old hook's
uc.mem_map(0x90000, 0x1000)
run("after mapping", uc, CODE, end)
