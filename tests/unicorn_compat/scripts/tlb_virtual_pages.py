"""UC_TLB_VIRTUAL over whole 4 KiB pages: loops sweeping every 1 KiB page of a
4 KiB virtual page (tcgkit's TLB then serves them without the slow path) stay
translated as Unicorn translates them: an entry replaced for another access kind
(a read-only translation, then a write one without read) is asked again for the
next read; a memory hook added later sees the accesses; code made later on the
physical page a virtual data page maps is invalidated by a store through it;
two 4 KiB virtual pages onto one physical page stay coherent.
"""

from uc_common import asm, run
from unicorn import (
    UC_ARCH_ARM64,
    UC_CTL_IO_WRITE,
    UC_CTL_TLB_FLUSH,
    UC_HOOK_MEM_WRITE,
    UC_HOOK_TLB_FILL,
    UC_MEM_WRITE,
    UC_MODE_ARM,
    UC_PROT_ALL,
    UC_PROT_EXEC,
    UC_PROT_READ,
    UC_PROT_WRITE,
    UC_TLB_VIRTUAL,
    Uc,
)
from unicorn.arm64_const import UC_ARM64_REG_X0, UC_ARM64_REG_X1, UC_ARM64_REG_X2, UC_ARM64_REG_X5

P_CODE, P_DATA = 0x10000, 0x20000
V_CODE, V_A, V_B = 0x401000, 0x503000, 0x606000
fills = []
perms_for = {}  # virtual 1 KiB page -> perms by access (default: all)


def fill(uc, vaddr, access, entry, data):
    fills.append("%#x/%d" % (vaddr, access))
    page = vaddr & ~0xFFF
    base = {V_CODE: P_CODE, V_A: P_DATA, V_B: P_DATA}.get(page)
    if base is None:
        return False
    entry.paddr = base + (vaddr & 0xFFF)
    entry.perms = perms_for.get(vaddr, {}).get(access, UC_PROT_ALL)
    return True


def show(label):
    global fills
    print(label, "fills:", " ".join(fills))
    fills = []


uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
uc.mem_map(P_CODE, 0x1000)
uc.mem_map(P_DATA, 0x1000)
uc.hook_add(UC_HOOK_TLB_FILL, fill)
# x0: the page, x2: the other alias; sum the page's 512 words, then write each
# word + 1 through the other virtual page
sweep = asm(
    """
    movz x3, #512
    movz x1, #0
    mov x4, x0
    mov x6, x2
loop:
    ldr x5, [x4], #8
    add x1, x1, x5
    add x5, x5, #1
    str x5, [x6], #8
    subs x3, x3, #1
    b.ne loop
""",
    V_CODE,
)
uc.mem_write(P_CODE, sweep)
uc.mem_write(P_DATA, b"".join(i.to_bytes(8, "little") for i in range(512)))


def sweep_run(label, a, b):
    uc.reg_write(UC_ARM64_REG_X0, a)
    uc.reg_write(UC_ARM64_REG_X2, b)
    run(label, uc, V_CODE, V_CODE + len(sweep))
    show(label)
    print(label, "sum", hex(uc.reg_read(UC_ARM64_REG_X1)), "first words",
          uc.mem_read(P_DATA, 16).hex())  # fmt: skip


for i in range(3):
    sweep_run("sweep %d" % i, V_A, V_B)
sweep_run("same page", V_A, V_A)

# a read-only translation of V_A's second 1 KiB page for reads, write-only for writes
uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
perms_for[V_A + 0x400] = {16: UC_PROT_READ, 17: UC_PROT_WRITE, 18: UC_PROT_EXEC}
sweep_run("warm", V_A, V_B)
one = asm("ldr x1, [x0]\nstr x1, [x0]\nldr x2, [x0]", V_CODE + 0x200)
uc.mem_write(P_CODE + 0x200, one)
uc.reg_write(UC_ARM64_REG_X0, V_A + 0x408)
for _ in range(2):
    run("read, write, read", uc, V_CODE + 0x200, V_CODE + 0x200 + len(one))
    show("read, write, read")

# a write hook added later sees the stores the TLB served before
seen = []
h = uc.hook_add(
    UC_HOOK_MEM_WRITE, lambda uc, k, a, s, v, d: seen.append(a) if k == UC_MEM_WRITE else 0
)
sweep_run("hooked", V_A, V_B)
print("hooked writes", len(seen), hex(min(seen)), hex(max(seen)))
uc.hook_del(h)

# code made on the physical page of a data page: a store through it invalidates
uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
perms_for.clear()
sweep_run("warm again", V_A, V_B)
uc.mem_write(P_DATA + 0x800, asm("movz x5, #1", 0))
V_DCODE = 0x707800  # code at P_DATA + 0x800
fills_code = {V_DCODE: P_DATA + 0x800}


def code_fill(uc, vaddr, access, entry, data):
    if vaddr in fills_code:
        entry.paddr, entry.perms = fills_code[vaddr], UC_PROT_ALL
        return True
    return False


uc.hook_add(UC_HOOK_TLB_FILL, code_fill, None, V_DCODE, V_DCODE + 0x3FF)
for _ in range(4):
    run("data page code", uc, V_DCODE, V_DCODE + 4)
print("x5", hex(uc.reg_read(UC_ARM64_REG_X5)))
patch = asm("movz x5, #2", 0)
store = asm("str w1, [x0]", V_CODE + 0x300)
uc.mem_write(P_CODE + 0x300, store)
uc.reg_write(UC_ARM64_REG_X0, V_B + 0x800)
uc.reg_write(UC_ARM64_REG_X1, int.from_bytes(patch, "little"))
run("patch through V_B", uc, V_CODE + 0x300, V_CODE + 0x304)
run("data page code", uc, V_DCODE, V_DCODE + 4)
print("x5", hex(uc.reg_read(UC_ARM64_REG_X5)))
show("end")
