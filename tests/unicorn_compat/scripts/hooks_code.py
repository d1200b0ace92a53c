"""Code and block hooks: ranges, begin > end, user_data, order, stops, pc writes,
exceptions, hook_add/hook_del errors."""

from uc_common import CODE, mk, run
from unicorn import *
from unicorn.arm64_const import *

LOOP = """
mov x0, #0
movz x1, #0x8, lsl #16
loop:
add x0, x0, #1
str x0, [x1]
cmp x0, #3
b.ne loop
mov x3, #7
bl func
mov x5, #5
b done
func:
mov x4, #4
ret
done:
nop
"""


def code(uc, address, size, user_data):
    print("   code %#x %d %s" % (address, size, user_data))


def block(uc, address, size, user_data):
    print("   block %#x %d %s" % (address, size, user_data))


for label, kind, cb, begin, end in [
    ("code everywhere", UC_HOOK_CODE, code, 1, 0),
    ("code in a range", UC_HOOK_CODE, code, 0x10008, 0x10010),
    ("code begin > end", UC_HOOK_CODE, code, 0x10020, 0x10008),
    ("code one address", UC_HOOK_CODE, code, 0x1000C, 0x1000C),
    ("block everywhere", UC_HOOK_BLOCK, block, 1, 0),
    ("block in a range", UC_HOOK_BLOCK, block, 0x10008, 0x10020),
    ("code|block", UC_HOOK_CODE | UC_HOOK_BLOCK, code, 0x10020, 0x10030),
]:
    uc, end_ = mk(LOOP)
    uc.hook_add(kind, cb, label, begin, end)
    run(label, uc, CODE, end_)

# two hooks on the same address: in the order added; the first stops: no second
uc, end_ = mk(LOOP)


def stopper(uc, address, size, user_data):
    print("   stopper %#x" % address)
    if address == 0x1000C:
        uc.emu_stop()


uc.hook_add(UC_HOOK_CODE, stopper)
uc.hook_add(UC_HOOK_CODE, code, "second")
run("stop in a code hook", uc, CODE, end_)
print("   x0", uc.reg_read(UC_ARM64_REG_X0), uc.mem_read(0x80000, 1))
run("resume", uc, uc.reg_read(UC_ARM64_REG_PC), end_, count=3)

# stop in a block hook: before the block
uc, end_ = mk(LOOP)


def block_stopper(uc, address, size, user_data):
    print("   block %#x %d" % (address, size))
    if address == 0x10008:
        uc.emu_stop()


uc.hook_add(UC_HOOK_BLOCK, block_stopper)
uc.hook_add(UC_HOOK_CODE, code, "c")
run("stop in a block hook", uc, CODE, end_)
print("   x0", uc.reg_read(UC_ARM64_REG_X0))

# a code hook writes the pc: execution goes on there
uc, end_ = mk(LOOP)


def jumper(uc, address, size, user_data):
    print("   jumper %#x" % address)
    if address == 0x10004:
        uc.reg_write(UC_ARM64_REG_PC, 0x1001C)


uc.hook_add(UC_HOOK_CODE, jumper)
run("pc written in a code hook", uc, CODE, end_)
print(
    "   x0",
    uc.reg_read(UC_ARM64_REG_X0),
    "x1",
    hex(uc.reg_read(UC_ARM64_REG_X1)),
    "x3",
    uc.reg_read(UC_ARM64_REG_X3),
    "x4",
    uc.reg_read(UC_ARM64_REG_X4),
)

# a code hook writes a register the next instruction reads
uc, end_ = mk("mov x0, #1\nadd x1, x0, #1\nadd x2, x1, #1")


def changer(uc, address, size, user_data):
    if address == 0x10004:
        uc.reg_write(UC_ARM64_REG_X0, 100)


uc.hook_add(UC_HOOK_CODE, changer)
run("register written in a code hook", uc, CODE, end_)
print("   x1", uc.reg_read(UC_ARM64_REG_X1), "x2", uc.reg_read(UC_ARM64_REG_X2))

# an exception in a code hook: emulation stops before the instruction, then it is raised
uc, end_ = mk(LOOP)


def raiser(uc, address, size, user_data):
    if address == 0x10010:
        raise ValueError("boom at %#x" % address)


uc.hook_add(UC_HOOK_CODE, raiser)
uc.hook_add(UC_HOOK_CODE, code, "after raiser", 0x10010, 0x10010)
run("exception in a code hook", uc, CODE, end_)
print("   x0", uc.reg_read(UC_ARM64_REG_X0))

# hook_del: during emulation and after; unknown handles; bad hook types
uc, end_ = mk(LOOP)
handles = {}


def deleter(uc, address, size, user_data):
    print("   deleter %#x" % address)
    if address == 0x10010 and "mem" in handles:
        uc.hook_del(handles.pop("mem"))


def mem(uc, access, address, size, value, user_data):
    print("   mem", access, hex(address), size, value, user_data)


handles["code"] = uc.hook_add(UC_HOOK_CODE, deleter, None, 0x10008, 0x10014)
handles["mem"] = uc.hook_add(UC_HOOK_MEM_WRITE, mem, "w")
run("hook_del in a hook", uc, CODE, end_)
uc.hook_del(handles["code"])
run("after hook_del", uc, CODE, end_)
for label, handle in [("hook_del twice", handles["code"]), ("hook_del unknown", 12345)]:
    try:
        uc.hook_del(handle)
        print(label, "ok")
    except KeyError:
        print(label, "KeyError")
for label, htype in [
    ("no kind", 0),
    ("READ_AFTER", UC_HOOK_MEM_READ_AFTER),
    ("unknown bit", 1 << 18),
    ("mixed kinds", UC_HOOK_MEM_READ | UC_HOOK_CODE),
    ("read|read-unmapped", UC_HOOK_MEM_READ | UC_HOOK_MEM_READ_UNMAPPED),
    ("intr|code", UC_HOOK_INTR | UC_HOOK_CODE),
    ("insn, no insn", UC_HOOK_INSN),
]:
    try:
        h = uc.hook_add(htype, code)
        print(label, "added", type(h).__name__)
    except UcError as e:
        print(label, "UcError", e.errno, e)
try:
    uc.hook_add(UC_HOOK_INSN, code, None, 1, 0, 99)
except UcError as e:
    print("insn 99: UcError", e.errno, e)
for label, htype in [
    ("valid", UC_HOOK_MEM_VALID),
    ("invalid", UC_HOOK_MEM_INVALID),
    ("unmapped", UC_HOOK_MEM_UNMAPPED),
    ("prot", UC_HOOK_MEM_PROT),
    ("read invalid", UC_HOOK_MEM_READ_INVALID),
    ("insn invalid", UC_HOOK_INSN_INVALID),
    ("tlb fill", UC_HOOK_TLB_FILL),
]:
    print(label, "added", type(uc.hook_add(htype, code)).__name__)
