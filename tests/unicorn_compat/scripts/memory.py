"""Memory: map, unmap, protect, regions, read, write, and their errors."""

from uc_common import attempt
from unicorn import *

uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
attempt("map unaligned address", lambda: uc.mem_map(0x1200, 0x1000))
attempt("map unaligned size", lambda: uc.mem_map(0x1000, 0x1200))
attempt("map size 0", lambda: uc.mem_map(0x1000, 0))
attempt("map bad perms", lambda: uc.mem_map(0x1000, 0x1000, 8))
attempt("map", lambda: uc.mem_map(0x10000, 0x10000))
attempt("map read-only", lambda: uc.mem_map(0x1000, 0x1000, UC_PROT_READ))
attempt("map overlapping", lambda: uc.mem_map(0x1F000, 0x2000))
attempt("map inside", lambda: uc.mem_map(0x12000, 0x1000))
attempt("map last page", lambda: uc.mem_map(0xFFFFFFFFFFFFF000, 0x1000))
attempt("map past the end", lambda: uc.mem_map(0xFFFFFFFFFFFFE000, 0x3000))
attempt("map negative address", lambda: uc.mem_map(-0x100000, 0x1000))
print([(hex(b), hex(e), p) for b, e, p in uc.mem_regions()])
attempt("protect", lambda: uc.mem_protect(0x12000, 0x2000, UC_PROT_READ | UC_PROT_EXEC))
attempt("protect default", lambda: uc.mem_protect(0x1000, 0x1000))
attempt("protect unmapped", lambda: uc.mem_protect(0x40000, 0x1000, UC_PROT_READ))
attempt("protect partly mapped", lambda: uc.mem_protect(0x1F000, 0x2000, UC_PROT_READ))
attempt("protect unaligned", lambda: uc.mem_protect(0x10000, 0x10, UC_PROT_READ))
attempt("protect bad perms", lambda: uc.mem_protect(0x10000, 0x1000, 0x10))
attempt("protect size 0", lambda: uc.mem_protect(0x40000, 0, UC_PROT_READ))
attempt("unmap middle", lambda: uc.mem_unmap(0x15000, 0x1000))
attempt("unmap unmapped", lambda: uc.mem_unmap(0x15000, 0x1000))
attempt("unmap partly mapped", lambda: uc.mem_unmap(0x1E000, 0x3000))
attempt("unmap unaligned", lambda: uc.mem_unmap(0x10010, 0x1000))
attempt("unmap size 0", lambda: uc.mem_unmap(0x40000, 0))
regions = uc.mem_regions()
print(type(regions).__name__, [(hex(b), hex(e), p) for b, e, p in regions])

attempt("write", lambda: uc.mem_write(0x10FFC, b"0123456789"))
attempt("read", lambda: uc.mem_read(0x10FFC, 10))
attempt("read type", lambda: type(uc.mem_read(0x10FFC, 1)).__name__)
attempt("read 0 bytes", lambda: uc.mem_read(0x90000, 0))
attempt("write 0 bytes", lambda: uc.mem_write(0x90000, b""))
attempt("read unmapped", lambda: uc.mem_read(0x90000, 4))
attempt("read across a hole", lambda: uc.mem_read(0x14FFC, 8))
attempt("write unmapped", lambda: uc.mem_write(0x90000, b"abcd"))
attempt("write across a hole", lambda: uc.mem_write(0x14FFC, b"abcdefgh"))
attempt("read after failed write", lambda: uc.mem_read(0x14FF8, 8))
attempt("write read-only (debug path)", lambda: uc.mem_write(0x1000, b"ro"))
attempt("read read-only", lambda: uc.mem_read(0x1000, 2))
uc.mem_map(0x30000, 0x1000, UC_PROT_NONE)
attempt("write prot-none", lambda: uc.mem_write(0x30000, b"none"))
attempt("read prot-none", lambda: uc.mem_read(0x30000, 4))
attempt("read last byte", lambda: uc.mem_read(0xFFFFFFFFFFFFFFFF, 1))
attempt(
    "write remapped",
    lambda: (uc.mem_unmap(0x30000, 0x1000), uc.mem_map(0x30000, 0x1000), uc.mem_read(0x30000, 4))[
        2
    ],
)
print([(hex(b), hex(e), p) for b, e, p in uc.mem_regions()])

# a mapping larger than the host can give: UC_ERR_NOMEM, and nothing mapped
big = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
attempt("map almost all of it", lambda: big.mem_map(0, 0xFFFFFFFFFFFFF000))
attempt("map 2^63", lambda: big.mem_map(1 << 63, 1 << 62))
attempt("regions after", lambda: list(big.mem_regions()))
