"""Memory hooks around accesses to unmapped memory: a load asks only the READ_UNMAPPED
hooks (no READ hook runs for it), a store runs its WRITE hooks first; with an
UNMAPPED hook that maps the page and returns True, the access is made."""

from uc_common import CODE, mk, run
from unicorn import *
from unicorn.arm64_const import *

HOLE = 0x200000


def show(kind):
    def hook(uc, access, address, size, value, user_data):
        print(
            "   %s %d %#x %d pc=%#x" % (kind, access, address, size, uc.reg_read(UC_ARM64_REG_PC))
        )
        if kind.endswith("maps it"):
            uc.mem_map(address & ~0xFFF, 0x1000)
            uc.mem_write(address, b"\x2a" + bytes(7))
            return True
        return False

    return hook


for label, src, unmapped_kind in [
    (
        "load",
        "movz x0, #0x20, lsl #16\nldr x1, [x0, #8]\nadd x1, x1, #1",
        UC_HOOK_MEM_READ_UNMAPPED,
    ),
    ("store", "movz x0, #0x20, lsl #16\nmov x1, #5\nstr x1, [x0, #8]", UC_HOOK_MEM_WRITE_UNMAPPED),
]:
    for maps in (False, True):
        uc, end = mk(src)
        uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, show("access"))
        uc.hook_add(unmapped_kind, show("unmapped, maps it" if maps else "unmapped"))
        run(f"{label}{' (mapped by the hook)' if maps else ''}", uc, CODE, end)
        print("   x1 %#x" % uc.reg_read(UC_ARM64_REG_X1))
