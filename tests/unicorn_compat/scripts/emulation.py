"""emu_start's limits (until, count, timeout), emu_stop, queries and controls."""

import time

from uc_common import CODE, attempt, mk, run
from unicorn import *
from unicorn.arm64_const import *

SRC = """
mov x0, #1
mov x1, #2
mov x2, #3
b next
next:
add x0, x0, x1
add x1, x1, x2
cmp x0, #100
b.lo next
mov x3, #3
"""


def block(uc, address, size, user_data):
    print("   block %#x %d" % (address, size))


def x(uc, *n):
    return " ".join("x%d=%d" % (i, uc.reg_read(globals()[f"UC_ARM64_REG_X{i}"])) for i in n)


uc, end = mk(SRC)
uc.hook_add(UC_HOOK_BLOCK, block)
run("until in the middle of a block", uc, CODE, CODE + 8)
print("  ", x(uc, 0, 1, 2))
run("begin == until", uc, CODE, CODE)
# each count on a fresh Uc: Unicorn's count on TBs cached by an earlier run of
# another count stops early (a known Unicorn quirk, not copied)
for label, until, count in [
    ("count 3", end, 3),
    ("count 7", end, 7),
    ("count and until: until first", CODE + 4, 10),
]:
    uc, end = mk(SRC)
    # the address only: with a count, tcgkit's block hook gets the size of the part of
    # the block that runs, Unicorn's the whole block's (README: Unicorn compatibility)
    uc.hook_add(UC_HOOK_BLOCK, lambda uc, a, s, d: print("   block %#x" % a))
    run(label, uc, CODE, until, count=count)
    print("  ", x(uc, 0, 1, 2))
run("until after the code", uc, CODE, end)
print("  ", x(uc, 0, 1, 2, 3))
run("count larger than the run", uc, CODE, end, count=1000)

uc, end = mk(SRC)
steps = []
uc.hook_add(UC_HOOK_CODE, lambda uc, a, s, d: steps.append(a))
for _ in range(5):
    pc = uc.reg_read(UC_ARM64_REG_PC) or CODE
    uc.emu_start(pc, end, count=1)
print("single steps", [hex(a) for a in steps], x(uc, 0, 1))

# a timeout stops an endless loop; query(UC_QUERY_TIMEOUT) says so
uc, end = mk("mov x0, #0\nloop:\nadd x0, x0, #1\nb loop")
attempt("timeout before", lambda: uc.query(UC_QUERY_TIMEOUT))
t0 = time.time()
run("timeout 0.1 s", uc, CODE, 0x20000, timeout=100 * UC_MILISECOND_SCALE)
elapsed = time.time() - t0
print("   stopped in time:", 0.09 < elapsed < 5, "x0 > 1000:", uc.reg_read(UC_ARM64_REG_X0) > 1000)
attempt("timeout after", lambda: uc.query(UC_QUERY_TIMEOUT))
attempt("ctl_get_timeout", lambda: uc.ctl_get_timeout())
uc2, end2 = mk("mov x0, #1")
run("a run without timeout", uc2, CODE, end2, timeout=UC_SECOND_SCALE)
attempt("timeout after", lambda: uc2.query(UC_QUERY_TIMEOUT))

# emu_stop from another thread
import threading  # noqa: E402

uc, end = mk("mov x0, #0\nloop:\nadd x0, x0, #1\nb loop")
threading.Timer(0.1, uc.emu_stop).start()
run("emu_stop from a thread", uc, CODE, 0x20000)
attempt("timeout flag", lambda: uc.query(UC_QUERY_TIMEOUT))

# queries and controls
uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
for label, fn in [
    ("query mode", lambda: uc.query(UC_QUERY_MODE)),
    ("query arch", lambda: uc.query(UC_QUERY_ARCH)),
    ("query 99", lambda: uc.query(99)),
    ("ctl_get_mode", lambda: uc.ctl_get_mode()),
    ("ctl_get_arch", lambda: uc.ctl_get_arch()),
    ("ctl_get_cpu_model", lambda: uc.ctl_get_cpu_model()),
    ("ctl_set_cpu_model A53, fresh", lambda: uc.ctl_set_cpu_model(UC_CPU_ARM64_A53)),
    ("ctl_get_cpu_model", lambda: uc.ctl_get_cpu_model()),
    ("ctl_set_cpu_model 17", lambda: uc.ctl_set_cpu_model(17)),
    ("mem_map", lambda: uc.mem_map(CODE, 0x1000)),
    ("ctl_set_cpu_model after use", lambda: uc.ctl_set_cpu_model(UC_CPU_ARM64_A57)),
    ("ctl_get_exits disabled", lambda: uc.ctl_get_exits()),
    ("ctl_get_exits_cnt disabled", lambda: uc.ctl_get_exits_cnt()),
    ("ctl_set_tlb_mode cpu", lambda: uc.ctl_set_tlb_mode(UC_TLB_CPU)),
    ("ctl_flush_tb", lambda: uc.ctl_flush_tb()),
    ("ctl_remove_cache", lambda: uc.ctl_remove_cache(CODE, CODE + 0x100)),
    ("ctl_remove_cache reversed", lambda: uc.ctl_remove_cache(CODE + 0x100, CODE)),
    (
        "Uc with cpu MAX",
        lambda: Uc(UC_ARCH_ARM64, UC_MODE_ARM, UC_CPU_ARM64_MAX).ctl_get_cpu_model(),
    ),
    ("Uc with a bad cpu", lambda: Uc(UC_ARCH_ARM64, UC_MODE_ARM, 9)),
    ("mode 64", lambda: Uc(UC_ARCH_ARM64, UC_MODE_64)),
    ("mode thumb", lambda: Uc(UC_ARCH_ARM64, UC_MODE_THUMB).ctl_get_mode()),
    ("mode V8", lambda: Uc(UC_ARCH_ARM64, UC_MODE_V8)),
    ("arm64 supported", lambda: uc_arch_supported(UC_ARCH_ARM64)),
]:
    attempt(label, fn)

# exits: stop at any of several addresses; until is ignored
uc, end = mk(SRC)
uc.hook_add(UC_HOOK_CODE, lambda uc, a, s, d: print("   code %#x" % a), None, CODE, CODE + 0x10)
uc.ctl_exits_enabled(True)
attempt("exits count", lambda: uc.ctl_get_exits_cnt())
uc.ctl_set_exits([CODE + 0x8, CODE + 0x24])
attempt("exits", lambda: [hex(e) for e in uc.ctl_get_exits()])
run("run to the first exit", uc, CODE, 0)
run("run on to the other", uc, CODE + 0xC, CODE + 0x10)
print("  ", x(uc, 0, 1, 2, 3))
uc.ctl_set_exits([CODE + 0x10])
uc, end = mk(SRC)  # fresh: Unicorn checks exits when it translates a block
uc.ctl_exits_enabled(True)
uc.ctl_set_exits([CODE + 0x10])
run("one exit", uc, CODE, end)
uc.ctl_exits_enabled(False)
run("exits off: until again", uc, CODE, CODE + 4)
