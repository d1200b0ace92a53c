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

# the host memory as the bindings' void * takes it: an address, or a ctypes object
# (array, pointer, byref, c_void_p) whose address is used; other objects are refused
# by ctypes before the call
pages = ctypes.create_string_buffer(b"\x5a" * 0x4000, 0x4000)
base = ctypes.addressof(pages)
forms = [
    ("array", pages),
    ("pointer", ctypes.pointer(pages)),
    ("byref", ctypes.byref(pages)),
    ("c_void_p", ctypes.c_void_p(base)),
    ("cast char*", ctypes.cast(base, ctypes.POINTER(ctypes.c_char))),
    ("None", None),
    ("bytearray", bytearray(0x1000)),
    ("list", [base]),
    ("float", 1.5),
]
for i, (label, ptr) in enumerate(forms):
    other = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    attempt("map_ptr " + label, lambda: other.mem_map_ptr(0x40000, 0x1000, UC_PROT_ALL, ptr))
    if list(other.mem_regions()):
        other.mem_write(0x40000 + 8 * i, bytes([i + 1]))
        attempt("  read back", lambda: other.mem_read(0x40000 + 8 * i, 2).hex())
print("   host bytes", pages.raw[:0x40].hex())

# mem_write's data: bytes or a ctypes char array; a str or a list is refused by ctypes
chars = ctypes.create_string_buffer(b"\x11\x22", 2)
for label, data in [("str", "ab"), ("list", [1, 2]), ("int", 7), ("char array", chars)]:
    attempt("mem_write " + label, lambda: uc.mem_write(CODE, data))
