"""Unicorn's AArch64 works in 1 KiB pages: mappings, protections and unmaps at
1 KiB granularity, several of them inside one 4 KiB page (code next to data next to
a hole), the faults at their edges, mem_regions, and what stays refused."""

from uc_common import asm, attempt, run
from unicorn import *
from unicorn.arm64_const import *

uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
attempt("page size", uc.ctl_get_page_size)
attempt("query page size", lambda: uc.query(UC_QUERY_PAGE_SIZE))
attempt("map 1K code", lambda: uc.mem_map(0x10000, 0x400))
RW = UC_PROT_READ | UC_PROT_WRITE
attempt("map 1K data, same 4K page", lambda: uc.mem_map(0x10800, 0x400, RW))
attempt("map 2K read-only", lambda: uc.mem_map(0x11000, 0x800, UC_PROT_READ))
attempt("map 512 bytes", lambda: uc.mem_map(0x12000, 0x200))
attempt("map at 0x12200", lambda: uc.mem_map(0x12200, 0x400))
attempt("map overlapping", lambda: uc.mem_map(0x10400, 0x800))
print("regions", [(hex(a), hex(b), p) for a, b, p in uc.mem_regions()])

code = asm(
    """
    ldr x0, [x1]
    add x0, x0, #1
    str x0, [x1, #8]
    ldr x2, [x3]
    str x2, [x3]
    ldr x4, [x5]
    nop
""",
    0x10000,
)
uc.mem_write(0x10000, code)
uc.mem_write(0x10800, (41).to_bytes(8, "little"))
uc.mem_write(0x11000, (7).to_bytes(8, "little"))
uc.reg_write(UC_ARM64_REG_X1, 0x10800)
uc.reg_write(UC_ARM64_REG_X3, 0x11000)
uc.reg_write(UC_ARM64_REG_X5, 0x10400)  # the hole between code and data
end = 0x10000 + len(code) - 4
run("write to read-only 1K", uc, 0x10000, end)
print("x0 x2 =", uc.reg_read(UC_ARM64_REG_X0), uc.reg_read(UC_ARM64_REG_X2))
attempt("read back", lambda: int.from_bytes(uc.mem_read(0x10808, 8), "little"))
attempt("protect the read-only page writable", lambda: uc.mem_protect(0x11000, 0x400, UC_PROT_ALL))
run("again from the store", uc, 0x10010, end)
print("x4 =", uc.reg_read(UC_ARM64_REG_X4))
attempt("read the hole", lambda: uc.mem_read(0x10400, 8))
attempt("read across the end of data", lambda: uc.mem_read(0x10BFC, 8))
attempt("unmap 1K of the 2K", lambda: uc.mem_unmap(0x11400, 0x400))
attempt("unmap 512 bytes", lambda: uc.mem_unmap(0x10800, 0x200))
attempt("protect unaligned", lambda: uc.mem_protect(0x10100, 0x400, UC_PROT_READ))
attempt("protect the code read-only", lambda: uc.mem_protect(0x10000, 0x400, UC_PROT_READ))
run("fetch from non-executable 1K", uc, 0x10000, end)
print("regions", [(hex(a), hex(b), p) for a, b, p in uc.mem_regions()])
