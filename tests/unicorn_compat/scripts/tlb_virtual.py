"""UC_TLB_VIRTUAL: the TLB_FILL hooks translate every access and fetch.

Identity without a hook; two virtual pages onto one physical page, for code and
for data; code rewritten through a virtual alias of its page; a changed mapping
seen only after a TLB flush (the raw ctl, mem_map, mem_protect); the addresses the
hooks see (code and block hooks: virtual, memory hooks: physical, ranges on those);
Python's mem_read / mem_write stay physical; back to UC_TLB_CPU; ctl_remove_cache and
mem_unmap translate the start of their range.

Virtual pages are Unicorn's (1 KiB) and chosen on distinct TLB slots, so that
Unicorn's TLB never evicts one (it would ask the hooks again).
"""

from uc_common import asm, run
from unicorn import (
    UC_ARCH_ARM64,
    UC_CTL_IO_WRITE,
    UC_CTL_TLB_FLUSH,
    UC_HOOK_BLOCK,
    UC_HOOK_CODE,
    UC_HOOK_MEM_READ,
    UC_HOOK_MEM_WRITE,
    UC_HOOK_TLB_FILL,
    UC_MODE_ARM,
    UC_PROT_ALL,
    UC_PROT_READ,
    UC_TLB_CPU,
    UC_TLB_VIRTUAL,
    Uc,
)
from unicorn.arm64_const import UC_ARM64_REG_X0, UC_ARM64_REG_X1, UC_ARM64_REG_X2, UC_ARM64_REG_X5

P_CODE, P_DATA, P_OTHER, P_CODE2 = 0x10000, 0x20000, 0x30000, 0x40000


class Log:
    """Hook calls, one line each (a line the same as the one before is not repeated)."""

    def __init__(self):
        self.lines = []

    def note(self, line):
        if not self.lines or self.lines[-1] != line:
            self.lines.append(line)

    def show(self, label):
        print(label, "|", "; ".join(self.lines))
        self.lines = []


def machine(table, log):
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
    for p in (P_CODE, P_DATA, P_OTHER, P_CODE2):
        uc.mem_map(p, 0x1000)

    def fill(uc, vaddr, access, entry, data):
        log.note("fill %#x %d" % (vaddr, access))
        if vaddr not in table:
            return False
        entry.paddr, entry.perms = table[vaddr]
        return True

    uc.hook_add(UC_HOOK_TLB_FILL, fill)
    return uc


def regs(uc, *ids):
    return " ".join("%#x" % uc.reg_read(r) for r in ids)


# -- identity: no TLB_FILL hook ------------------------------------------------
uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
uc.mem_map(P_CODE, 0x1000)
uc.mem_map(P_DATA, 0x1000)
code = asm("ldr x1, [x0]\nadd x1, x1, #5\nstr x1, [x0, #8]\nldr x2, [x0, #8]", P_CODE)
uc.mem_write(P_CODE, code)
uc.mem_write(P_DATA, (0x1234).to_bytes(8, "little"))
uc.reg_write(UC_ARM64_REG_X0, P_DATA)
run("identity", uc, P_CODE, P_CODE + len(code))
print("identity regs", regs(uc, UC_ARM64_REG_X1, UC_ARM64_REG_X2), uc.mem_read(P_DATA + 8, 8).hex())

# -- two virtual pages onto one physical page: code and data -------------------
V_CODE1, V_CODE2 = 0x401000, 0x802400
V_DATA1, V_DATA2 = 0x500C00, 0x601800
table = {
    V_CODE1: (P_CODE, UC_PROT_ALL),
    V_CODE2: (P_CODE, UC_PROT_ALL),
    V_DATA1: (P_DATA, UC_PROT_ALL),
    V_DATA2: (P_DATA, UC_PROT_ALL),
}
log = Log()
uc = machine(table, log)
# ten rounds: read through one alias, write through the other (both tiers run)
loop = asm(
    """
    movz x3, #10
again:
    ldr x1, [x0]
    add x1, x1, #1
    str x1, [x2]
    subs x3, x3, #1
    b.ne again
""",
    V_CODE1,
)
uc.mem_write(P_CODE, loop)
uc.mem_write(P_DATA, (100).to_bytes(8, "little"))
uc.hook_add(UC_HOOK_BLOCK, lambda uc, a, s, d: log.note("block %#x %d" % (a, s)))
uc.hook_add(
    UC_HOOK_CODE, lambda uc, a, s, d: log.note("code %#x" % a), begin=V_CODE2, end=V_CODE2 + 3
)
uc.hook_add(
    UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
    lambda uc, k, a, s, v, d: log.note("mem %d %#x %d %#x" % (k, a, s, v)),
)
uc.hook_add(
    UC_HOOK_MEM_READ,
    lambda uc, k, a, s, v, d: log.note("ranged-virtual %#x" % a),
    begin=V_DATA1,
    end=V_DATA1 + 0x3FF,
)
uc.hook_add(
    UC_HOOK_MEM_WRITE,
    lambda uc, k, a, s, v, d: log.note("ranged-physical %#x" % a),
    begin=P_DATA,
    end=P_DATA + 0xFFF,
)
uc.reg_write(UC_ARM64_REG_X0, V_DATA1)
uc.reg_write(UC_ARM64_REG_X2, V_DATA2)
run("alias code 1", uc, V_CODE1, V_CODE1 + len(loop))
log.show("alias code 1")
print("x1", regs(uc, UC_ARM64_REG_X1), "phys", uc.mem_read(P_DATA, 8).hex())
# the same physical code through the other virtual page (its own block)
run("alias code 2", uc, V_CODE2, V_CODE2 + len(loop))
log.show("alias code 2")
print("x1", regs(uc, UC_ARM64_REG_X1), "phys", uc.mem_read(P_DATA, 8).hex())
# again: every translation is kept (no hook call)
run("alias again", uc, V_CODE1, V_CODE1 + len(loop))
log.show("alias again")
for label, addr in (("virtual", V_DATA1), ("physical", P_DATA)):
    try:
        print("mem_read", label, uc.mem_read(addr, 8).hex())
    except Exception as e:  # UcError
        print("mem_read", label, "UcError", e.errno, e)

# -- code rewritten through a virtual alias of its physical page ------------------
V_ALIAS = 0x703400
table[V_ALIAS] = (P_CODE, UC_PROT_ALL)
log = Log()
uc = machine(table, log)
first = asm("movz x5, #1", V_CODE1)
patch = asm("movz x5, #2", V_CODE1)
writer = asm("str w1, [x0]", V_CODE2 + 0x100)
uc.mem_write(P_CODE, first)
uc.mem_write(P_CODE + 0x100, writer)
for _ in range(4):  # the first block runs in both tiers
    run("first", uc, V_CODE1, V_CODE1 + 4)
print("x5", regs(uc, UC_ARM64_REG_X5))
uc.reg_write(UC_ARM64_REG_X0, V_ALIAS)
uc.reg_write(UC_ARM64_REG_X1, int.from_bytes(patch, "little"))
run("patch", uc, V_CODE2 + 0x100, V_CODE2 + 0x104)
run("patched", uc, V_CODE1, V_CODE1 + 4)
print("x5", regs(uc, UC_ARM64_REG_X5), "phys", uc.mem_read(P_CODE, 4).hex())
log.show("rewrite")

# -- a changed mapping: seen after a flush --------------------------------------
log = Log()
table = {V_CODE1: (P_CODE, UC_PROT_ALL), V_DATA1: (P_DATA, UC_PROT_ALL)}
uc = machine(table, log)
code = asm("ldr x1, [x0]", V_CODE1)
uc.mem_write(P_CODE, code)
uc.mem_write(P_CODE2, asm("ldr x2, [x0]", V_CODE1))
uc.mem_write(P_DATA, (0xD1).to_bytes(8, "little"))
uc.mem_write(P_OTHER, (0xD2).to_bytes(8, "little"))
uc.reg_write(UC_ARM64_REG_X0, V_DATA1)


def step(label):
    uc.reg_write(UC_ARM64_REG_X1, 0)
    uc.reg_write(UC_ARM64_REG_X2, 0)
    run(label, uc, V_CODE1, V_CODE1 + 4)
    log.show(label)
    print(label, "x1 x2", regs(uc, UC_ARM64_REG_X1, UC_ARM64_REG_X2))


step("before")
table[V_DATA1] = (P_OTHER, UC_PROT_ALL)
table[V_CODE1] = (P_CODE2, UC_PROT_ALL)
step("changed, no flush")
step("another run, no flush")
uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
step("after the flush")
table[V_DATA1] = (P_DATA, UC_PROT_ALL)
uc.mem_map(0x90000, 0x1000)
step("after mem_map")
table[V_CODE1] = (P_CODE, UC_PROT_ALL)
uc.mem_protect(0x90000, 0x1000, UC_PROT_READ)
step("after mem_protect")
table[V_DATA1] = (P_OTHER, UC_PROT_ALL)
uc.mem_write(P_DATA + 0x10, b"\x01")
step("after mem_write to RAM")

# -- back to UC_TLB_CPU: physical addresses ----------------------------------------
uc.ctl_set_tlb_mode(UC_TLB_CPU)
uc.mem_write(P_CODE2 + 0x200, asm("ldr x1, [x0]", P_CODE2 + 0x200))
uc.reg_write(UC_ARM64_REG_X0, P_DATA)
run("cpu mode", uc, P_CODE2 + 0x200, P_CODE2 + 0x204)
log.show("cpu mode")
print("cpu mode x1", regs(uc, UC_ARM64_REG_X1))

# -- ctl_remove_cache: the start of the range is translated (for a fetch) ----------
log = Log()
uc = machine({V_CODE1: (P_CODE, UC_PROT_ALL)}, log)
uc.mem_write(P_CODE, asm("movz x1, #1", V_CODE1))
run("cached", uc, V_CODE1, V_CODE1 + 4)
uc.ctl_remove_cache(V_CODE1, V_CODE1 + 4)
log.show("remove a kept page")
uc.ctl_remove_cache(0x901000, 0x901004)
log.show("remove a refused page")
uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
uc.ctl_remove_cache(V_CODE1, V_CODE1 + 4)
log.show("remove after a flush")
run("again", uc, V_CODE1, V_CODE1 + 4)
log.show("again")

# -- mem_unmap: the start of the range is translated first (for a fetch) -----------
uc.mem_map(0x50000, 0x2000)
uc.mem_unmap(0x51000, 0x1000)
log.show("unmap one page")
uc.mem_unmap(0x50000, 0x1000)
log.show("unmap another")
run("after the unmaps", uc, V_CODE1, V_CODE1 + 4)
log.show("after the unmaps")
