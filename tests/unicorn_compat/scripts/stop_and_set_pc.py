"""emu_stop from a code or block hook that also writes the pc: the run ends and the
pc stays where the hook put it (Unicorn's way to single-step onto another path),
and a run resumed from there goes on from it."""

from uc_common import CODE, mk, run
from unicorn import *
from unicorn.arm64_const import *

SRC = """
mov x0, #0
add x0, x0, #1
add x0, x0, #2
add x0, x0, #4
b skip
add x0, x0, #8
skip:
add x0, x0, #16
add x0, x0, #32
"""


def trial(kind, at, target, stop_first, label):
    uc, end = mk(SRC, data=False)
    calls = []

    def hook(uc, address, size, user_data):
        calls.append(hex(address))
        if address == at:
            if stop_first:
                uc.emu_stop()
                uc.reg_write(UC_ARM64_REG_PC, target)
            else:
                uc.reg_write(UC_ARM64_REG_PC, target)
                uc.emu_stop()

    uc.hook_add(kind, hook)
    run(label, uc, CODE, end)
    print("   x0", uc.reg_read(UC_ARM64_REG_X0), "hook calls", calls)
    run("   resumed", uc, uc.reg_read(UC_ARM64_REG_PC), end)
    print("   x0", uc.reg_read(UC_ARM64_REG_X0))


for stop_first in (True, False):
    order = "stop, then pc" if stop_first else "pc, then stop"
    trial(UC_HOOK_CODE, CODE + 8, CODE + 20, stop_first, f"code hook, {order}")
    trial(UC_HOOK_CODE, CODE + 8, CODE + 8, stop_first, f"code hook, same pc, {order}")
    trial(UC_HOOK_BLOCK, CODE + 24, CODE + 4, stop_first, f"block hook, {order}")

# a stop alone leaves the pc at the hooked instruction
uc, end = mk(SRC, data=False)
uc.hook_add(UC_HOOK_CODE, lambda uc, a, s, d: uc.emu_stop(), begin=CODE + 12, end=CODE + 12)
run("stop alone", uc, CODE, end)
print("   x0", uc.reg_read(UC_ARM64_REG_X0))
