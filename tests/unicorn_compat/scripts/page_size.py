"""Unicorn's page on AArch64 (1 KiB unless ctl_set_page_size changes it before the
engine starts): the sizes it takes, the granule of mem_map, mem_protect and
mem_unmap it sets, and where blocks end: a block never runs on past the end of a
page (block hooks and ctl_request_cache show it)."""

from uc_common import asm, attempt, run
from unicorn import *
from unicorn.arm64_const import *

# the sizes ctl_set_page_size takes, each on a new Uc, and what mapping then takes
for size in (0, 1, 1000, 1024, 2048, 4096, 8192, 0x4000, 0x10000, 0x200000, 3 << 12):
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    attempt(f"page {size:#x}", lambda: uc.ctl_set_page_size(size))
    page = uc.ctl_get_page_size()
    print("   page now", hex(page), "query", hex(uc.query(UC_QUERY_PAGE_SIZE)))
    attempt("   map 1 KiB", lambda: uc.mem_map(0x400, 0x400))
    attempt("   map 4 KiB", lambda: uc.mem_map(0x100000, 0x1000))
    attempt("   map a page", lambda: uc.mem_map(0x4000_0000, page))
    attempt("   protect 1 KiB of it", lambda: uc.mem_protect(0x4000_0000, 0x400, UC_PROT_READ))
    attempt("   regions", lambda: [(hex(b), hex(e), p) for b, e, p in uc.mem_regions()])

# only before the engine starts (ctl_get_page_size starts it, as mem_map does)
uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
attempt("set 8 KiB", lambda: uc.ctl_set_page_size(0x2000))
attempt("set 16 KiB before it starts", lambda: uc.ctl_set_page_size(0x4000))
attempt("get", lambda: uc.ctl_get_page_size())
attempt("set after get", lambda: uc.ctl_set_page_size(0x1000))
uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
uc.reg_write(UC_ARM64_REG_X3, 1)
attempt("set after reg_write", lambda: uc.ctl_set_page_size(0x1000))
uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
attempt("set with a cpu model", lambda: uc.ctl_set_page_size(0x1000))
attempt("  then the model", lambda: uc.ctl_set_cpu_model(UC_CPU_ARM64_A53))


def blocks(page, start, code, label):
    """Run straight-line code from ``start`` with a block hook; print the blocks."""
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    if page:
        uc.ctl_set_page_size(page)
    uc.mem_map(0x10000, 0x10000)
    uc.mem_write(start, code)
    seen = []
    uc.hook_add(UC_HOOK_BLOCK, lambda uc, a, s, d: seen.append((hex(a), s)))
    run(label, uc, start, start + len(code))
    print("   blocks", seen)
    return uc


# a block that would run over a 1 KiB boundary ends there (and at 4 KiB with 4 KiB pages)
straight = asm("add x0, x0, #1\n" * 12)
blocks(0, 0x103F0, straight, "over 0x10400")
blocks(0x1000, 0x103F0, straight, "over 0x10400, 4 KiB pages")
blocks(0x1000, 0x10FF0, straight, "over 0x11000, 4 KiB pages")
uc = blocks(0, 0x10000, asm("nop\n" * 768), "768 nops")
for at in (0x10000, 0x10200, 0x10400, 0x10A00):
    attempt(f"request_cache {at:#x}", lambda: uc.ctl_request_cache(at))
