"""UC_TLB_VIRTUAL: accesses the translation refuses or the memory does not allow.

A fill no hook answers and an entry whose permissions do not allow the access (a
read, a write, a fetch) end the run with UC_ERR_EXCEPTION at the instruction, and no
invalid-memory or interrupt hook is called; an entry onto unmapped physical memory
or onto a mapping without the permission is that access's unmapped / protection
fault at the physical address (its hooks see that address; one that maps the page
lets the access go on); several fill hooks (False passes to the next, ranges);
without a hook over an address, the page is its own; ``emu_stop`` in a fill hook
of a load or store (the access is made, the pc stays at the instruction).
"""

from uc_common import asm, run
from unicorn import (
    UC_ARCH_ARM64,
    UC_CTL_IO_WRITE,
    UC_CTL_TLB_FLUSH,
    UC_HOOK_INTR,
    UC_HOOK_MEM_INVALID,
    UC_HOOK_TLB_FILL,
    UC_MODE_ARM,
    UC_PROT_ALL,
    UC_PROT_EXEC,
    UC_PROT_READ,
    UC_PROT_WRITE,
    UC_TLB_VIRTUAL,
    Uc,
)
from unicorn.arm64_const import UC_ARM64_REG_X0, UC_ARM64_REG_X1, UC_ARM64_REG_X2, UC_ARM64_REG_X3

P_CODE, P_DATA, P_RO = 0x10000, 0x20000, 0x30000
V_CODE, V_RO_ENTRY, V_NONE, V_UNMAPPED, V_RO_MAP = 0x401000, 0x500C00, 0x601800, 0x702000, 0x803400
V_NOEXEC, V_NOFILL = 0x904400, 0xA05800
log = []


asked = []  # every fill, repeats included


def note(line):
    asked.append(line)
    if not log or log[-1] != line:
        log.append(line)


def show(label):
    global log
    print(label, "|", "; ".join(log))
    log = []


table = {
    V_CODE: (P_CODE, UC_PROT_READ | UC_PROT_EXEC),
    V_RO_ENTRY: (P_DATA, UC_PROT_READ),
    V_UNMAPPED: (0x90000, UC_PROT_ALL),
    V_RO_MAP: (P_RO, UC_PROT_ALL),
    V_NOEXEC: (P_CODE, UC_PROT_READ | UC_PROT_WRITE),
}
uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
uc.mem_map(P_CODE, 0x1000)
uc.mem_map(P_DATA, 0x1000)
uc.mem_map(P_RO, 0x1000, UC_PROT_READ)


def fill(uc, vaddr, access, entry, data):
    note("fill %#x %d" % (vaddr, access))
    if vaddr not in table:
        return False
    entry.paddr, entry.perms = table[vaddr]
    return True


def invalid(uc, kind, addr, size, value, data):
    note("invalid %d %#x %d %#x" % (kind, addr, size, value))
    if addr >> 12 == 0x90 and data:
        uc.mem_map(0x90000, 0x1000)
        return True
    return False


uc.hook_add(UC_HOOK_TLB_FILL, fill)
h_invalid = uc.hook_add(UC_HOOK_MEM_INVALID, invalid)
uc.hook_add(UC_HOOK_INTR, lambda uc, n, d: note("intr %d" % n))
code = asm("ldr x1, [x0]\nstr x2, [x3]\nnop", V_CODE)
uc.mem_write(P_CODE, code)
uc.mem_write(P_DATA, (0x5A).to_bytes(8, "little"))
uc.mem_write(P_RO, (0x7B).to_bytes(8, "little"))


def attempt(label, load, store):
    uc.reg_write(UC_ARM64_REG_X0, load)
    uc.reg_write(UC_ARM64_REG_X3, store)
    uc.reg_write(UC_ARM64_REG_X1, 0)
    uc.reg_write(UC_ARM64_REG_X2, 0x99)
    run(label, uc, V_CODE, V_CODE + len(code))
    show(label)
    print(label, "x1", hex(uc.reg_read(UC_ARM64_REG_X1)))


attempt("read-only entry: load", V_RO_ENTRY, V_RO_ENTRY + 8)  # the store is refused
print("phys", uc.mem_read(P_DATA, 16).hex())
attempt("refused load", V_NONE, V_RO_ENTRY)
attempt("unmapped physical page", V_UNMAPPED + 0x10, V_RO_ENTRY)
attempt("mapping without write", V_RO_MAP, V_RO_MAP + 8)
print("phys", uc.mem_read(P_RO, 16).hex())
# an invalid-memory hook that maps the physical page: the access goes on
uc.hook_del(h_invalid)
uc.hook_add(UC_HOOK_MEM_INVALID, invalid, True)
uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
uc.mem_write(P_CODE + 0x100, asm("ldr x1, [x0]", 0))
uc.reg_write(UC_ARM64_REG_X0, V_UNMAPPED + 0x10)
run("mapped by the hook", uc, V_CODE + 0x100, V_CODE + 0x104)
# (the calls, not their number: Unicorn translates the run's end again after the
# map flushed its TLB)
log = sorted(set(log))
show("mapped by the hook")
print("phys", uc.mem_read(0x90010, 16).hex())

# fetches: refused, no EXEC in the entry, the physical page protected
asked.clear()
run("fetch refused", uc, V_NOFILL, V_NOFILL + 4)
show("fetch refused")
run("fetch without EXEC", uc, V_NOEXEC, V_NOEXEC + 4)
show("fetch without EXEC")
print("asked", asked)  # a failed fetch asks twice
uc.mem_write(P_RO + 0x100, asm("nop", 0))
table[V_NOFILL] = (P_RO, UC_PROT_ALL)
run("fetch from a read-only mapping", uc, V_NOFILL + 0x100, V_NOFILL + 0x104)
show("fetch from a read-only mapping")

# several fill hooks, with ranges: the first that returns True translates
uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
uc.mem_map(P_CODE, 0x1000)
uc.mem_map(P_DATA, 0x1000)
uc.mem_write(P_DATA, (0x11).to_bytes(8, "little"))
uc.mem_write(P_DATA + 0x408, (0x22).to_bytes(8, "little"))


def no(uc, vaddr, access, entry, data):
    note("no %#x %d" % (vaddr, access))
    return False


def yes(uc, vaddr, access, entry, data):
    note("yes %#x %d" % (vaddr, access))
    entry.paddr, entry.perms = P_DATA + 0x400, UC_PROT_READ
    return True


# (a hook's range is checked against the accessed address, not its page's)
uc.hook_add(UC_HOOK_TLB_FILL, no, None, 0xB00000, 0xB00FFF)
uc.hook_add(UC_HOOK_TLB_FILL, yes, None, 0xB00804, 0xB00FFF)
uc.hook_add(UC_HOOK_TLB_FILL, no, None, 0xB00800, 0xB00BFF)
code = asm("ldr x1, [x0]\nldr x2, [x3]", P_CODE)
uc.mem_write(P_CODE, code)
uc.reg_write(UC_ARM64_REG_X0, 0xB00808)
uc.reg_write(UC_ARM64_REG_X3, 0xB00008)
run("code without a covering hook", uc, P_CODE, P_CODE + len(code))
show("several hooks")
print("x1 x2", hex(uc.reg_read(UC_ARM64_REG_X1)), hex(uc.reg_read(UC_ARM64_REG_X2)))

# emu_stop in a fill hook of a load / a store: the access is made, the pc stays
for label, kind in (("load", 16), ("store", 17)):
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
    uc.mem_map(P_CODE, 0x1000)
    uc.mem_map(P_DATA, 0x1000)
    uc.mem_write(P_DATA, (0x44).to_bytes(8, "little"))
    code = asm("ldr x1, [x0]\nstr x2, [x3]\nldr x4, [x0, #8]", V_CODE)
    uc.mem_write(P_CODE, code)

    def stopping(uc, vaddr, access, entry, data, kind=kind):
        note("fill %#x %d" % (vaddr, access))
        entry.paddr = P_CODE if access == 18 else P_DATA
        entry.perms = UC_PROT_ALL
        if access == kind:
            uc.emu_stop()
        return True

    uc.hook_add(UC_HOOK_TLB_FILL, stopping)
    uc.reg_write(UC_ARM64_REG_X0, V_RO_ENTRY)
    uc.reg_write(UC_ARM64_REG_X2, 0x99)
    uc.reg_write(UC_ARM64_REG_X3, V_NONE + 0x10)
    run("stop in a %s fill" % label, uc, V_CODE, V_CODE + len(code))
    show("stop in a %s fill" % label)
    print("x1", hex(uc.reg_read(UC_ARM64_REG_X1)), "stored", uc.mem_read(P_DATA + 0x10, 8).hex())
