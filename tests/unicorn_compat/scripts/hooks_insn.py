"""UC_HOOK_INSN on AArch64: MRS, MSR and SYS hooks with the register id and CpReg
they get, ranges, skipping the instruction by returning True, registers written by
the hook, and the instruction ids refused."""

from uc_common import CODE, attempt, mk, run
from unicorn import *
from unicorn.arm64_const import *

SRC = """
mov x3, #0x1234
mrs x2, tpidr_el0
msr tpidr_el0, x3
mrs x5, tpidr_el0
mrs x6, nzcv
msr nzcv, x3
mrs x7, fpcr
dc civac, x3
mrs xzr, tpidr_el0
mrs x29, tpidr_el0
mrs x30, tpidr_el0
mrs x28, tpidrro_el0
msr tpidr_el0, xzr
nop
"""


def regs(uc):
    ids = [
        UC_ARM64_REG_X2,
        UC_ARM64_REG_X5,
        UC_ARM64_REG_X6,
        UC_ARM64_REG_X7,
        UC_ARM64_REG_X9,
        UC_ARM64_REG_X28,
        UC_ARM64_REG_TPIDR_EL0,
        UC_ARM64_REG_NZCV,
    ]
    return " ".join("%#x" % uc.reg_read(i) for i in ids)


for skip in (False, True):
    for ins, name in (
        (UC_ARM64_INS_MRS, "mrs"),
        (UC_ARM64_INS_MSR, "msr"),
        (UC_ARM64_INS_SYS, "sys"),
    ):
        uc, end = mk(SRC)
        uc.reg_write(UC_ARM64_REG_X2, 0x77)

        def cb(uc, reg, cp, ud):
            print("   hook", ud, reg, tuple(cp), "pc=%#x" % uc.reg_read(UC_ARM64_REG_PC))
            if skip:
                uc.reg_write(UC_ARM64_REG_X9, uc.reg_read(UC_ARM64_REG_X9) + 1)
            return skip

        uc.hook_add(UC_HOOK_INSN, cb, name, 1, 0, ins)
        run("%s hooks, returning %s" % (name, skip), uc, CODE, end)
        print("  ", regs(uc))

# a hook over a range; two hooks; hook_del
uc, end = mk(SRC)


def first(uc, reg, cp, ud):
    print("   first", reg, cp.op2)
    return False


def second(uc, reg, cp, ud):
    print("   second", reg)
    return False


def stopper(uc, reg, cp, ud):
    uc.emu_stop()
    return False


h1 = uc.hook_add(UC_HOOK_INSN, first, None, CODE + 4, CODE + 0xC, UC_ARM64_INS_MRS)
h2 = uc.hook_add(UC_HOOK_INSN, second, None, 1, 0, UC_ARM64_INS_MRS)
run("two mrs hooks", uc, CODE, end)
uc.hook_del(h2)
run("after hook_del", uc, CODE, end)

# a hook that stops emulation
uc, end = mk(SRC)
uc.hook_add(
    UC_HOOK_INSN, lambda uc, reg, cp, ud: uc.emu_stop() or False, None, 1, 0, UC_ARM64_INS_MSR
)
run("stop in an msr hook", uc, CODE, end)
print("  ", regs(uc))

# refused instruction ids
uc, end = mk(SRC)
attempt("insn 0", lambda: uc.hook_add(UC_HOOK_INSN, lambda *a: None, None, 1, 0, 0))
attempt("insn 9", lambda: uc.hook_add(UC_HOOK_INSN, lambda *a: None, None, 1, 0, 9))
attempt(
    "sysl", lambda: uc.hook_add(UC_HOOK_INSN, lambda *a: None, None, 1, 0, UC_ARM64_INS_SYSL) > 0
)
