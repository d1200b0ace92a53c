"""mem_map_ptr: guest RAM over the script's own memory, shared both ways, with
protection changes, unmapping and the errors of a bad range."""

import ctypes

from uc_common import CODE, asm, attempt, run
from unicorn import *
from unicorn.arm64_const import *

DATA = 0x80000
SRC = """
ldr x1, [x5]
add x1, x1, #1
str x1, [x5, #8]
add x6, x5, #0x1000
strb w1, [x6]
"""

buf = ctypes.create_string_buffer(0x2000)
code = ctypes.create_string_buffer(0x1000)
ctypes.memmove(code, asm(SRC), len(asm(SRC)))
end = CODE + len(asm(SRC))

uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
attempt("map code", lambda: uc.mem_map_ptr(CODE, 0x1000, UC_PROT_ALL, ctypes.addressof(code)))
attempt("map data", lambda: uc.mem_map_ptr(DATA, 0x2000, UC_PROT_ALL, ctypes.addressof(buf)))
attempt("regions", lambda: [(hex(b), hex(e), p) for b, e, p in uc.mem_regions()])

# the script writes, the guest reads; the guest writes, the script reads
buf[0:8] = (41).to_bytes(8, "little")
uc.reg_write(UC_ARM64_REG_X5, DATA)
run("run", uc, CODE, end)
print("   buffer", int.from_bytes(buf[8:16], "little"), buf[0x1000][0])
attempt("mem_read", lambda: int.from_bytes(uc.mem_read(DATA + 8, 8), "little"))
uc.mem_write(DATA, (99).to_bytes(8, "little"))
print("   buffer after mem_write", int.from_bytes(buf[0:8], "little"))
run("run again", uc, CODE, end)
print("   buffer", int.from_bytes(buf[8:16], "little"))

# a protection change on part of it keeps the sharing
uc.mem_protect(DATA + 0x1000, 0x1000, UC_PROT_READ)
attempt("regions", lambda: [(hex(b), hex(e), p) for b, e, p in uc.mem_regions()])
buf[0:8] = (7).to_bytes(8, "little")
run("store into the read-only half", uc, CODE, end)
print("   buffer", int.from_bytes(buf[8:16], "little"), buf[0x1000][0])

# errors
attempt("overlap", lambda: uc.mem_map_ptr(DATA, 0x1000, UC_PROT_ALL, ctypes.addressof(buf)))
attempt("unaligned", lambda: uc.mem_map_ptr(0x90001, 0x1000, UC_PROT_ALL, ctypes.addressof(buf)))
attempt("size 0", lambda: uc.mem_map_ptr(0x90000, 0, UC_PROT_ALL, ctypes.addressof(buf)))
attempt("unmap", lambda: uc.mem_unmap(DATA, 0x2000))
run("run after unmap", uc, CODE, end)
print("   buffer kept", int.from_bytes(buf[0:8], "little"))
